package pemfile_test

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"sync"
	"testing"
	"time"

	"github.com/xs2a-dev/xs2a/pkg/pemfile"
)

var fzSentinels = []error{pemfile.ErrNotFound, pemfile.ErrEncrypted, pemfile.ErrNotRSA, pemfile.ErrNoCert, pemfile.ErrNoKey}

// fzCheckErr asserts the package's error contract: every failure is a
// *pemfile.Error naming the input (and usually wrapping a sentinel).
func fzCheckErr(t *testing.T, name string, err error) {
	t.Helper()
	var pe *pemfile.Error
	isSentinel := false
	for _, s := range fzSentinels {
		if errors.Is(err, s) {
			isSentinel = true
		}
	}
	if !errors.As(err, &pe) && !isSentinel {
		t.Fatalf("error %T %q is neither a *pemfile.Error nor wraps a sentinel", err, err)
	}
	if pe != nil && pe.Path != name {
		t.Fatalf("error names %q, not the input %q", pe.Path, name)
	}
	if err.Error() == "" {
		t.Fatal("empty error message")
	}
}

type fzMaterial struct {
	rsaPKCS1, rsaPKCS8, ecSEC1, ecPKCS8, edPKCS8, certDER []byte
}

var (
	fzOnce sync.Once
	fzMat  fzMaterial
)

func fzMaterials(tb testing.TB) fzMaterial {
	fzOnce.Do(func() {
		rk, err := rsa.GenerateKey(rand.Reader, 1024) // small: seeds only
		if err != nil {
			panic(err)
		}
		ek, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		_, edk, _ := ed25519.GenerateKey(rand.Reader)
		fzMat.rsaPKCS1 = x509.MarshalPKCS1PrivateKey(rk)
		fzMat.rsaPKCS8, _ = x509.MarshalPKCS8PrivateKey(rk)
		fzMat.ecSEC1, _ = x509.MarshalECPrivateKey(ek)
		fzMat.ecPKCS8, _ = x509.MarshalPKCS8PrivateKey(ek)
		fzMat.edPKCS8, _ = x509.MarshalPKCS8PrivateKey(edk)
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "tpp.example", Organization: []string{"Example TPP"}},
			NotBefore: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), NotAfter: time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)}
		fzMat.certDER, err = x509.CreateCertificate(rand.Reader, tmpl, tmpl, &rk.PublicKey, rk)
		if err != nil {
			panic(err)
		}
	})
	return fzMat
}

func fzPEM(typ string, b []byte, h map[string]string) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: typ, Headers: h, Bytes: b})
}

func FuzzParseRSAKey(f *testing.F) {
	m := fzMaterials(f)
	cert := fzPEM("CERTIFICATE", m.certDER, nil)
	for _, s := range [][]byte{
		fzPEM("RSA PRIVATE KEY", m.rsaPKCS1, nil),
		fzPEM("PRIVATE KEY", m.rsaPKCS8, nil),
		append(append([]byte{}, cert...), fzPEM("PRIVATE KEY", m.rsaPKCS8, nil)...),
		append(fzPEM("EC PARAMETERS", []byte{0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07}, nil), fzPEM("EC PRIVATE KEY", m.ecSEC1, nil)...),
		fzPEM("PRIVATE KEY", m.ecPKCS8, nil),
		fzPEM("PRIVATE KEY", m.edPKCS8, nil),
		fzPEM("ENCRYPTED PRIVATE KEY", []byte{0x30, 0x00}, nil),
		fzPEM("RSA PRIVATE KEY", m.rsaPKCS1[:40], map[string]string{"Proc-Type": "4,ENCRYPTED", "DEK-Info": "AES-128-CBC,00"}),
		fzPEM("PUBLIC KEY", []byte{0x30, 0x00}, nil),
		cert,
		m.rsaPKCS1, m.rsaPKCS8, m.ecSEC1, m.edPKCS8,
		[]byte("-----BEGIN RSA PRIVATE KEY-----\nnot base64\n-----END RSA PRIVATE KEY-----\n"),
		[]byte("-----BEGIN"),
		{},
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		const name = "fuzz.key"
		k, err := pemfile.ParseRSAKey(name, b)
		if err != nil {
			if k != nil {
				t.Fatal("a key and an error")
			}
			fzCheckErr(t, name, err)
			return
		}
		if k == nil || k.N == nil {
			t.Fatal("nil key without an error")
		}
	})
}

func FuzzParseCertificates(f *testing.F) {
	m := fzMaterials(f)
	cert := fzPEM("CERTIFICATE", m.certDER, nil)
	for _, s := range [][]byte{
		cert,
		append(append([]byte{}, cert...), cert...),
		append(fzPEM("RSA PRIVATE KEY", m.rsaPKCS1, nil), cert...),
		fzPEM("RSA PRIVATE KEY", m.rsaPKCS1, nil),
		fzPEM("CERTIFICATE", m.certDER[:len(m.certDER)/2], nil),
		m.certDER,
		[]byte("-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n"),
		[]byte("-----BEGIN"),
		{},
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		const name = "fuzz.pem"
		cs, err := pemfile.ParseCertificates(name, b)
		if err != nil {
			if cs != nil {
				t.Fatal("certificates and an error")
			}
			fzCheckErr(t, name, err)
			return
		}
		if len(cs) == 0 {
			t.Fatal("no certificates and no error")
		}
		for i, c := range cs {
			if c == nil {
				t.Fatalf("certificate %d is nil", i)
			}
		}
	})
}
