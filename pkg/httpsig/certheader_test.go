package httpsig

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"math/big"
	"strings"
	"sync"
	"testing"
	"time"
)

var (
	caOnce sync.Once
	caDER  []byte
)

// testCADER is a CA certificate named as the test QSealC's issuer, so the
// pair is a chain as banks' chain files hold it (issuer linked by name).
func testCADER(t testing.TB) []byte {
	tc := newTestCert(t)
	caOnce.Do(func() {
		k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), RawSubject: tc.Cert.RawIssuer, NotBefore: time.Now().Add(-time.Hour),
			NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign, Subject: pkix.Name{}}
		var err error
		if caDER, err = x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k); err != nil {
			panic(err)
		}
	})
	return caDER
}

func pemOf(der []byte) string {
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}

// certHeaderForms writes the test QSealC in every form people send.
func certHeaderForms(t testing.TB) map[CertHeaderForm]string {
	tc := newTestCert(t)
	leaf, ca := tc.Cert.Raw, testCADER(t)
	b64 := base64.StdEncoding.EncodeToString
	pemLeaf := pemOf(leaf)
	body := strings.TrimSuffix(strings.TrimPrefix(pemLeaf, pemBegin+"\n"), pemEnd+"\n")
	return map[CertHeaderForm]string{
		CertFormBase64DER:  b64(leaf),
		CertFormLineBreaks: strings.ReplaceAll(strings.TrimSpace(body), "\n", " "), // folded lines arrive as spaces
		CertFormBase64URL:  base64.RawURLEncoding.EncodeToString(leaf),
		CertFormPEM:        strings.ReplaceAll(strings.TrimSpace(pemLeaf), "\n", " "),
		CertFormPEMBundle:  strings.ReplaceAll(strings.TrimSpace(pemOf(ca)+pemLeaf), "\n", " "), // CA first: the leaf is found anyway
		CertFormBase64List: b64(leaf) + " " + b64(ca),
		CertFormDERChain:   b64(append(append([]byte{}, leaf...), ca...)),
	}
}

func TestParseCertHeaderForms(t *testing.T) {
	tc := newTestCert(t)
	for want, v := range certHeaderForms(t) {
		h, err := ParseCertHeader(v)
		if err != nil {
			t.Errorf("%s: %v", want, err)
			continue
		}
		if h.Form != want || !bytes.Equal(h.Leaf.Raw, tc.Cert.Raw) {
			t.Errorf("%s: form %s, leaf %s", want, h.Form, h.Leaf.Subject)
		}
		if c, err := ParseCertificateHeader(v); err != nil || !bytes.Equal(c.Raw, tc.Cert.Raw) {
			t.Errorf("%s: ParseCertificateHeader = %v", want, err)
		}
	}
	// A JSON-escaped PEM (\n as two characters).
	h, err := ParseCertHeader(strings.ReplaceAll(pemOf(tc.Cert.Raw), "\n", `\n`))
	if err != nil || h.Form != CertFormPEM {
		t.Errorf("JSON-escaped PEM: %v, %v", h, err)
	}
	for v, msg := range map[string]string{
		"not base64 at all!": "not base64",
		"-----BEGIN PRIVATE KEY----- MIIB -----END PRIVATE KEY-----":    `PEM "PRIVATE KEY" block`,
		pemBegin + " " + base64.StdEncoding.EncodeToString(tc.Cert.Raw): "without its -----END",
		"AAAA": "not a DER certificate",
		base64.StdEncoding.EncodeToString(bytes.Repeat(tc.Cert.Raw, 11)): "more than 10",
	} {
		if _, err := ParseCertHeader(v); err == nil || !strings.Contains(err.Error(), msg) {
			t.Errorf("ParseCertHeader(%.40q) = %v; want %q", v, err, msg)
		}
	}
}

func TestVerifyNamesCertHeaderForm(t *testing.T) {
	tc := newTestCert(t)
	for form, v := range certHeaderForms(t) {
		m := sampleRequest()
		if _, err := (&Signer{Key: tc.Key, Cert: tc.Cert}).Sign(m); err != nil {
			t.Fatal(err)
		}
		m.Set("TPP-Signature-Certificate", v)

		// Any form accepted: valid, and a warning names a non-standard form.
		d := Verify(m, VerifyOptions{})
		c := d.Check(CheckCertHeaderForm)
		if !d.Valid {
			t.Errorf("%s: invalid with every form accepted: %+v", form, d.Checks)
		}
		if form == CertFormBase64DER {
			if c != nil {
				t.Errorf("standard form reported: %+v", c)
			}
		} else if c == nil || c.Status != Warn || c.Got != string(form) || !strings.Contains(c.Detail, "fix: ") {
			t.Errorf("%s: check %+v; want a warning naming the form with a fix", form, c)
		}

		// A bank that takes base64 DER only: the other forms fail, named.
		d = Verify(m, VerifyOptions{CertHeaderForms: []string{string(CertFormBase64DER)}})
		c = d.Check(CheckCertHeaderForm)
		if form == CertFormBase64DER {
			if !d.Valid || c == nil || c.Status != Pass {
				t.Errorf("standard form with a strict bank: valid %v, check %+v", d.Valid, c)
			}
			continue
		}
		if d.Valid || c == nil || c.Status != Fail || c.Got != string(form) {
			t.Errorf("%s with a strict bank: valid %v, check %+v", form, d.Valid, c)
		}
		if len(d.Causes) != 1 || d.Causes[0].ID != "cert-header-"+string(form) || d.Causes[0].Fix == "" {
			t.Errorf("%s: causes %+v", form, d.Causes)
		}
		if form == CertFormPEM && !strings.Contains(d.Causes[0].Fix, "without the enclosing -----BEGIN CERTIFICATE-----") {
			t.Errorf("the armour's fix does not quote the bank's rule: %q", d.Causes[0].Fix)
		}
		// A bank that accepts this form: it passes.
		d = Verify(m, VerifyOptions{CertHeaderForms: []string{string(form)}})
		if c = d.Check(CheckCertHeaderForm); !d.Valid || c == nil || c.Status != Pass {
			t.Errorf("%s accepted by the bank: valid %v, check %+v", form, d.Valid, c)
		}
	}
}

func FuzzParseCertHeader(f *testing.F) {
	for _, v := range certHeaderForms(f) {
		f.Add(v)
	}
	f.Add("-----BEGIN CERTIFICATE----- AAAA -----END CERTIFICATE----- x")
	f.Add("AAAA,BBBB")
	f.Add(`MIIB\nMIIC`)
	f.Fuzz(func(t *testing.T, v string) {
		h, err := parseCertHeader(v)
		if err != nil {
			if h != nil {
				t.Fatalf("a header and an error")
			}
			return
		}
		if h.Leaf == nil || len(h.Certs) == 0 || len(h.Certs) > maxHeaderCerts {
			t.Fatalf("header %+v", h)
		}
		found := false
		for _, c := range h.Certs {
			found = found || c == h.Leaf
		}
		if !found || (len(h.Certs) > 1) != (h.Form == CertFormPEMBundle || h.Form == CertFormBase64List || h.Form == CertFormDERChain) {
			t.Fatalf("form %s with %d certificates", h.Form, len(h.Certs))
		}
		// The standard form is what it says: one certificate, standard
		// base64 of its DER, nothing else.
		if h.Form == CertFormBase64DER {
			der, err := base64.StdEncoding.DecodeString(strings.TrimSpace(v))
			if err != nil || !bytes.Equal(der, h.Leaf.Raw) || strings.ContainsAny(strings.TrimSpace(v), " \t\r\n,\\") {
				t.Fatalf("%q named base64-der", v)
			}
		}
	})
}
