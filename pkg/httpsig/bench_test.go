package httpsig

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/xs2a-dev/xs2a/pkg/httpmsg"
)

// The benchmarks below answer one question: how much does xs2a add to the
// RSA operation it cannot avoid? BenchmarkSign and BenchmarkVerify measure
// the whole Berlin Group path on a 2048-bit key and a 1 KiB JSON body;
// BenchmarkRSASignBare and BenchmarkRSAVerifyBare measure only SHA-256 of
// the same signing string plus the RSA PKCS#1 v1.5 operation.
// scripts/bench-sign.sh turns the four into overhead percentages.

// benchBodySize is the size of the request body the benchmarks sign.
const benchBodySize = 1024

// benchBody is a consent request padded to exactly benchBodySize bytes.
func benchBody() []byte {
	const head = `{"access":{"accounts":[{"iban":"FI2112345600000785"},{"iban":"FI5542345670000081"}],` +
		`"balances":[{"iban":"FI2112345600000785"}],"transactions":[{"iban":"FI2112345600000785"}]},` +
		`"recurringIndicator":true,"validUntil":"2099-12-31","frequencyPerDay":4,"combinedServiceIndicator":false,"note":"`
	const tail = `"}`
	return []byte(head + strings.Repeat("x", benchBodySize-len(head)-len(tail)) + tail)
}

// benchRequest is sampleRequest with the 1 KiB body.
func benchRequest(b *testing.B) *httpmsg.Request {
	b.Helper()
	m := sampleRequest()
	m.Body = benchBody()
	if len(m.Body) != benchBodySize {
		b.Fatalf("body is %d bytes, want %d", len(m.Body), benchBodySize)
	}
	return m
}

// benchSigned signs a fresh benchRequest once, outside the timed loop.
func benchSigned(b *testing.B) (testCert, *httpmsg.Request, *Signed) {
	b.Helper()
	tc := newTestCert(b)
	m := benchRequest(b)
	s, err := (&Signer{Key: tc.Key, Cert: tc.Cert}).Sign(m)
	if err != nil {
		b.Fatal(err)
	}
	return tc, m, s
}

// BenchmarkSign is the full Berlin Group signing path: key/certificate
// check, Digest over the body, keyId, signing string, RSA signature,
// TPP-Signature-Certificate. Each iteration signs a fresh clone, as
// Sign adds headers to the request it is given.
func BenchmarkSign(b *testing.B) {
	tc := newTestCert(b)
	base := benchRequest(b)
	s := &Signer{Key: tc.Key, Cert: tc.Cert}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Sign(base.Clone()); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRSASignBare is the floor under BenchmarkSign: SHA-256 of the same
// signing string and rsa.SignPKCS1v15 with the same key.
func BenchmarkRSASignBare(b *testing.B) {
	tc, _, signed := benchSigned(b)
	ss := []byte(signed.SigningString)
	b.ReportAllocs()
	for b.Loop() {
		h := sha256.Sum256(ss)
		if _, err := rsa.SignPKCS1v15(rand.Reader, tc.Key, crypto.SHA256, h[:]); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerify is the full verification of a valid request: parsing
// Signature and TPP-Signature-Certificate, the certificate, header list,
// X-Request-ID, Digest, keyId and algorithm checks, and the signature.
func BenchmarkVerify(b *testing.B) {
	_, m, _ := benchSigned(b)
	if d := Verify(m, VerifyOptions{}); !d.Valid {
		b.Fatalf("the benchmark request does not verify: %+v", d.Checks)
	}
	b.ReportAllocs()
	for b.Loop() {
		if d := Verify(m, VerifyOptions{}); !d.Valid {
			b.Fatal("not valid")
		}
	}
}

// BenchmarkVerifyEnfuce is BenchmarkVerify with the enfuce rules, as
// sign verify and the sandbox run by default: the keyId rule adds a
// lookup in the cached match, no parsing of the certificate.
func BenchmarkVerifyEnfuce(b *testing.B) {
	_, m, _ := benchSigned(b)
	o := BankEnfuce.VerifyOptions()
	if d := Verify(m, o); !d.Valid {
		b.Fatalf("the benchmark request does not verify for enfuce: %+v", d.Checks)
	}
	b.ReportAllocs()
	for b.Loop() {
		if d := Verify(m, o); !d.Valid {
			b.Fatal("not valid")
		}
	}
}

// BenchmarkRSAVerifyBare is the floor under BenchmarkVerify: SHA-256 of the
// same signing string and rsa.VerifyPKCS1v15 with the same key.
func BenchmarkRSAVerifyBare(b *testing.B) {
	tc, _, signed := benchSigned(b)
	ss := []byte(signed.SigningString)
	sig, err := base64.StdEncoding.DecodeString(signed.Params.Signature)
	if err != nil {
		b.Fatal(err)
	}
	pub := &tc.Key.PublicKey
	b.ReportAllocs()
	for b.Loop() {
		h := sha256.Sum256(ss)
		if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, h[:], sig); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifyDiagnoseMistake verifies a request whose headers parameter
// lists the signed headers in the other order than they were signed in, so
// the signature fails and Verify searches for the mistake (and finds
// header-order). Compare with BenchmarkVerify for what diagnosis costs.
func BenchmarkVerifyDiagnoseMistake(b *testing.B) {
	_, m, _ := benchSigned(b)
	p, err := ParseSignature(m.Get("Signature"))
	if err != nil {
		b.Fatal(err)
	}
	p.Headers = []string{p.Headers[1], p.Headers[0]}
	m.Set("Signature", p.String())
	check := func(d *Diagnosis) {
		if d.Valid {
			b.Fatal("the swapped request verifies")
		}
		for _, c := range d.Causes {
			if c.ID == "header-order" {
				return
			}
		}
		b.Fatalf("header-order not diagnosed: %+v", d.Causes)
	}
	check(Verify(m, VerifyOptions{}))
	b.ReportAllocs()
	for b.Loop() {
		check(Verify(m, VerifyOptions{}))
	}
}
