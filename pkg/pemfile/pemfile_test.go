package pemfile_test

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xs2a-dev/xs2a/pkg/pemfile"
)

// Fixtures: two RSA keys, a CA certificate for the first and a leaf for the
// second signed by it, an EC key. Generated once per test binary.
type fixtures struct {
	caKey, leafKey *rsa.PrivateKey
	ca, leaf       *x509.Certificate
	ec             *ecdsa.PrivateKey
}

var (
	fixOnce sync.Once
	fix     *fixtures
	fixErr  error
)

func getFixtures(t *testing.T) *fixtures {
	t.Helper()
	fixOnce.Do(func() {
		f := &fixtures{}
		var wg sync.WaitGroup
		var e1, e2 error
		wg.Add(2)
		go func() { defer wg.Done(); f.caKey, e1 = rsa.GenerateKey(rand.Reader, 2048) }()
		go func() { defer wg.Done(); f.leafKey, e2 = rsa.GenerateKey(rand.Reader, 2048) }()
		wg.Wait()
		if fixErr = errors.Join(e1, e2); fixErr != nil {
			return
		}
		if f.ec, fixErr = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); fixErr != nil {
			return
		}
		now := time.Now()
		caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "pemfile test CA"},
			NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour), IsCA: true, BasicConstraintsValid: true,
			KeyUsage: x509.KeyUsageCertSign}
		der, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &f.caKey.PublicKey, f.caKey)
		if err != nil {
			fixErr = err
			return
		}
		if f.ca, fixErr = x509.ParseCertificate(der); fixErr != nil {
			return
		}
		leafTmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "pemfile test leaf"},
			NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour), KeyUsage: x509.KeyUsageDigitalSignature}
		if der, err = x509.CreateCertificate(rand.Reader, leafTmpl, f.ca, &f.leafKey.PublicKey, f.caKey); err != nil {
			fixErr = err
			return
		}
		if f.leaf, fixErr = x509.ParseCertificate(der); fixErr != nil {
			return
		}
		fix = f
	})
	if fixErr != nil {
		t.Fatalf("fixtures: %v", fixErr)
	}
	return fix
}

func pemOf(typ string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}

func pkcs8(t *testing.T, k any) []byte {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

func write(t *testing.T, dir, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func concat(bs ...[]byte) []byte {
	var out []byte
	for _, b := range bs {
		out = append(out, b...)
	}
	return out
}

func TestReadRSAKeyFormats(t *testing.T) {
	f := getFixtures(t)
	dir := t.TempDir()
	k := f.leafKey
	for _, tc := range []struct {
		name string
		data []byte
	}{
		{"pkcs1.pem", pemOf("RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(k))},
		{"pkcs8.pem", pemOf("PRIVATE KEY", pkcs8(t, k))},
		{"pkcs1.der", x509.MarshalPKCS1PrivateKey(k)},
		{"pkcs8.der", pkcs8(t, k)},
		// A combined file: certificate first, then the key.
		{"combined.pem", concat(pemOf("CERTIFICATE", f.leaf.Raw), pemOf("PRIVATE KEY", pkcs8(t, k)))},
		// Text around the block, as some tools write it.
		{"commented.pem", concat([]byte("Bag Attributes\n    localKeyID: 01\n"), pemOf("RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(k)))},
		{"crlf.pem", []byte(strings.ReplaceAll(string(pemOf("PRIVATE KEY", pkcs8(t, k))), "\n", "\r\n"))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := write(t, dir, tc.name, tc.data)
			got, err := pemfile.ReadRSAKey(p)
			if err != nil {
				t.Fatalf("ReadRSAKey: %v", err)
			}
			if !got.Equal(k) {
				t.Fatal("ReadRSAKey returned another key")
			}
			if err := pemfile.CheckPair(got, f.leaf, p, "leaf.pem"); err != nil {
				t.Errorf("CheckPair with the right key: %v", err)
			}
		})
	}
}

func TestReadRSAKeyEncrypted(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name string
		data []byte
	}{
		{"pkcs8-enc.pem", pemOf("ENCRYPTED PRIVATE KEY", []byte("not really ciphertext, the type is what counts"))},
		{"legacy-enc.pem", pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY",
			Headers: map[string]string{"Proc-Type": "4,ENCRYPTED", "DEK-Info": "AES-128-CBC,00112233445566778899AABBCCDDEEFF"},
			Bytes:   []byte{1, 2, 3, 4, 5, 6, 7, 8}})},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := write(t, dir, tc.name, tc.data)
			k, err := pemfile.ReadRSAKey(p)
			if k != nil || !errors.Is(err, pemfile.ErrEncrypted) {
				t.Fatalf("ReadRSAKey = %v, %v; want ErrEncrypted", k, err)
			}
			msg := err.Error()
			for _, w := range []string{p + ": ", "encrypted", "decrypt it first", "openssl pkey -in " + p + " -out key.pem"} {
				if !strings.Contains(msg, w) {
					t.Errorf("message %q lacks %q", msg, w)
				}
			}
			var pe *pemfile.Error
			if !errors.As(err, &pe) || pe.Path != p {
				t.Errorf("not a *pemfile.Error for %s: %#v", p, err)
			}
		})
	}
}

func TestReadRSAKeyNotRSA(t *testing.T) {
	f := getFixtures(t)
	dir := t.TempDir()
	sec1, err := x509.MarshalECPrivateKey(f.ec)
	if err != nil {
		t.Fatal(err)
	}
	_, edKey, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	// What `openssl ecparam -name prime256v1 -genkey` writes: the curve in an
	// EC PARAMETERS block before the key.
	curve, err := asn1.Marshal(asn1.ObjectIdentifier{1, 2, 840, 10045, 3, 1, 7})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		data []byte
		want string
	}{
		{"ec-pkcs8.pem", pemOf("PRIVATE KEY", pkcs8(t, f.ec)), "holds an EC key; the Berlin Group profile signs with RSA (rsa-sha256): make an RSA key"},
		{"ec-sec1.pem", pemOf("EC PRIVATE KEY", sec1), "holds an EC key; the Berlin Group profile signs with RSA"},
		{"ec-pkcs8.der", pkcs8(t, f.ec), "holds an EC key"},
		{"ec-sec1.der", sec1, "holds an EC key"},
		{"ed25519.pem", pemOf("PRIVATE KEY", pkcs8(t, edKey)), "holds an Ed25519 key"},
		{"ec-openssl-ecparam.pem", concat(pemOf("EC PARAMETERS", curve), pemOf("EC PRIVATE KEY", sec1)), "holds an EC key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := write(t, dir, tc.name, tc.data)
			k, err := pemfile.ReadRSAKey(p)
			if k != nil || !errors.Is(err, pemfile.ErrNotRSA) {
				t.Fatalf("ReadRSAKey = %v, %v; want ErrNotRSA", k, err)
			}
			if !strings.HasPrefix(err.Error(), p+": ") || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("message %q, want %q after the path", err, tc.want)
			}
		})
	}
}

func TestSwappedAndWrongFiles(t *testing.T) {
	f := getFixtures(t)
	dir := t.TempDir()
	certPEM := write(t, dir, "cert.pem", pemOf("CERTIFICATE", f.leaf.Raw))
	certDER := write(t, dir, "cert.der", f.leaf.Raw)
	keyPEM := write(t, dir, "key.pem", pemOf("PRIVATE KEY", pkcs8(t, f.leafKey)))
	rsaKeyPEM := write(t, dir, "rsakey.pem", pemOf("RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(f.leafKey)))
	keyDER := write(t, dir, "key.der", pkcs8(t, f.leafKey))
	pubPEM := write(t, dir, "pub.pem", pemOf("PUBLIC KEY", []byte{0x30, 0x00}))

	// A certificate given as the key.
	for _, tc := range []struct{ path, want string }{
		{certPEM, "no PRIVATE KEY block in the PEM data"},
		{certDER, "not a PEM file and not a DER private key"},
		{pubPEM, `holds a "PUBLIC KEY" block, not a private key`},
	} {
		k, err := pemfile.ReadRSAKey(tc.path)
		if k != nil || !errors.Is(err, pemfile.ErrNoKey) || err.Error() != tc.path+": "+tc.want {
			t.Errorf("ReadRSAKey(%s) = %v, %v; want ErrNoKey %q", filepath.Base(tc.path), k, err, tc.path+": "+tc.want)
		}
	}
	// A key given as the certificate.
	for _, tc := range []struct{ path, want string }{
		{keyPEM, `holds "PRIVATE KEY", not a certificate (did you swap the --cert and --key files?)`},
		{rsaKeyPEM, `holds "RSA PRIVATE KEY", not a certificate (did you swap the --cert and --key files?)`},
		{keyDER, "not a PEM file and not a DER certificate"},
	} {
		cs, err := pemfile.ReadCertificates(tc.path)
		if cs != nil || !errors.Is(err, pemfile.ErrNoCert) || err.Error() != tc.path+": "+tc.want {
			t.Errorf("ReadCertificates(%s) = %v, %v; want ErrNoCert %q", filepath.Base(tc.path), cs, err, tc.path+": "+tc.want)
		}
		if c, err2 := pemfile.ReadCertificate(tc.path); c != nil || err2 == nil || err2.Error() != err.Error() {
			t.Errorf("ReadCertificate(%s) = %v, %v; want the ReadCertificates error", filepath.Base(tc.path), c, err2)
		}
	}
}

func TestMissingAndUnreadable(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "nope.pem")
	_, err1 := pemfile.ReadRSAKey(missing)
	_, err2 := pemfile.ReadCertificates(missing)
	_, err3 := pemfile.ReadCertificate(missing)
	for i, err := range []error{err1, err2, err3} {
		if !errors.Is(err, pemfile.ErrNotFound) || err.Error() != missing+": no such file" {
			t.Errorf("read %d of a missing file: %v; want ErrNotFound %q", i, err, missing+": no such file")
		}
		if errors.Is(err, pemfile.ErrNoKey) || errors.Is(err, pemfile.ErrNoCert) {
			t.Errorf("read %d of a missing file is also ErrNoKey/ErrNoCert: %v", i, err)
		}
	}
	// A directory is there but cannot be read: not ErrNotFound, the OS error wrapped.
	_, err := pemfile.ReadRSAKey(dir)
	var pe *pemfile.Error
	if err == nil || errors.Is(err, pemfile.ErrNotFound) || !errors.As(err, &pe) || pe.Path != dir || pe.Err == nil {
		t.Errorf("ReadRSAKey(directory) = %#v", err)
	}
}

func TestReadCertificatesChainAndDER(t *testing.T) {
	f := getFixtures(t)
	dir := t.TempDir()
	chain := write(t, dir, "chain.pem", concat(pemOf("CERTIFICATE", f.leaf.Raw), pemOf("CERTIFICATE", f.ca.Raw)))
	cs, err := pemfile.ReadCertificates(chain)
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != 2 || !cs[0].Equal(f.leaf) || !cs[1].Equal(f.ca) {
		t.Fatalf("chain read as %d certificates, want leaf then CA", len(cs))
	}
	if c, err := pemfile.ReadCertificate(chain); err != nil || !c.Equal(f.leaf) {
		t.Errorf("ReadCertificate(chain) = %v, %v; want the leaf", c, err)
	}
	// A combined file: key blocks are skipped, the certificates kept in order.
	combined := write(t, dir, "combined.pem", concat(pemOf("PRIVATE KEY", pkcs8(t, f.leafKey)), pemOf("CERTIFICATE", f.ca.Raw),
		pemOf("CERTIFICATE", f.leaf.Raw)))
	if cs, err := pemfile.ReadCertificates(combined); err != nil || len(cs) != 2 || !cs[0].Equal(f.ca) || !cs[1].Equal(f.leaf) {
		t.Errorf("combined file: %d certificates, %v", len(cs), err)
	}
	der := write(t, dir, "leaf.der", f.leaf.Raw)
	if cs, err := pemfile.ReadCertificates(der); err != nil || len(cs) != 1 || !cs[0].Equal(f.leaf) {
		t.Errorf("DER certificate: %v, %v", cs, err)
	}
	// A damaged second certificate is reported by its position.
	broken := write(t, dir, "broken.pem", concat(pemOf("CERTIFICATE", f.leaf.Raw), pemOf("CERTIFICATE", []byte{0x30, 0x03, 0x02, 0x01, 0x01})))
	if cs, err := pemfile.ReadCertificates(broken); cs != nil || err == nil || !strings.HasPrefix(err.Error(), broken+": certificate 2 cannot be parsed: ") {
		t.Errorf("broken chain: %v, %v", cs, err)
	}
}

func TestGarbage(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name           string
		data           []byte
		certMsg, keyMs string
	}{
		{"garbage.bin", []byte("this is neither PEM nor DER\x00\x01"), "not a PEM file and not a DER certificate", "not a PEM file and not a DER private key"},
		{"empty.pem", nil, "not a PEM file and not a DER certificate", "not a PEM file and not a DER private key"},
		{"header-only.pem", []byte("-----BEGIN CERTIFICATE-----\nnot base64!\n"), "no CERTIFICATE block in the PEM data", "no PRIVATE KEY block in the PEM data"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := write(t, dir, tc.name, tc.data)
			cs, err := pemfile.ReadCertificates(p)
			if cs != nil || !errors.Is(err, pemfile.ErrNoCert) || err.Error() != p+": "+tc.certMsg {
				t.Errorf("ReadCertificates = %v, %v; want ErrNoCert %q", cs, err, tc.certMsg)
			}
			k, err := pemfile.ReadRSAKey(p)
			if k != nil || !errors.Is(err, pemfile.ErrNoKey) || err.Error() != p+": "+tc.keyMs {
				t.Errorf("ReadRSAKey = %v, %v; want ErrNoKey %q", k, err, tc.keyMs)
			}
		})
	}
	// A key block whose contents are damaged: not one of the sentinels, but named.
	p := write(t, dir, "damaged.pem", pemOf("RSA PRIVATE KEY", []byte{0x30, 0x03, 0x02, 0x01, 0x00}))
	k, err := pemfile.ReadRSAKey(p)
	if k != nil || err == nil || !strings.HasPrefix(err.Error(), p+": the RSA PRIVATE KEY cannot be parsed: ") {
		t.Errorf("damaged key = %v, %v", k, err)
	}
	// Parse* use the given name in their errors.
	if _, err := pemfile.ParseRSAKey("--key flag", []byte("junk")); err == nil || !strings.HasPrefix(err.Error(), "--key flag: ") {
		t.Errorf("ParseRSAKey name: %v", err)
	}
	if _, err := pemfile.ParseCertificates("stdin", []byte("junk")); err == nil || !strings.HasPrefix(err.Error(), "stdin: ") {
		t.Errorf("ParseCertificates name: %v", err)
	}
}

func TestCheckPair(t *testing.T) {
	f := getFixtures(t)
	if err := pemfile.CheckPair(f.caKey, f.ca, "ca.key", "ca.pem"); err != nil {
		t.Errorf("matching pair: %v", err)
	}
	err := pemfile.CheckPair(f.caKey, f.leaf, "keys/qseal.key", "certs/qwac.pem")
	var me *pemfile.MatchError
	if !errors.As(err, &me) || me.KeyPath != "keys/qseal.key" || me.CertPath != "certs/qwac.pem" {
		t.Fatalf("mismatch: %#v, want *MatchError for both paths", err)
	}
	want := "the private key keys/qseal.key does not belong to the certificate certs/qwac.pem (their public keys differ): use the key the certificate was issued for"
	if err.Error() != want {
		t.Errorf("message %q, want %q", err, want)
	}
	// A certificate with a non-RSA key never matches an RSA key.
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(3), Subject: pkix.Name{CommonName: "ec"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, f.ca, &f.ec.PublicKey, f.caKey)
	if err != nil {
		t.Fatal(err)
	}
	ecCert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	if err := pemfile.CheckPair(f.caKey, ecCert, "k", "c"); !errors.As(err, &me) {
		t.Errorf("EC certificate with an RSA key: %v, want *MatchError", err)
	}
}
