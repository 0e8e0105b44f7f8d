package httpsig

// Outside-oracle tests: the expected values here do not come from this
// package. They come from the published test vectors of
// draft-cavage-http-signatures-10 (Appendix C), from an independent
// implementation (github.com/go-fed/httpsig) and from OpenSSL.

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"math/big"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	gofed "github.com/go-fed/httpsig"
	"github.com/xs2a-dev/xs2a/pkg/httpmsg"
)

// ---------------------------------------------------------------------------
// draft-cavage-http-signatures-10, Appendix C
// ---------------------------------------------------------------------------

// oracleDraftKeyPEM is the RSA test key published in draft-cavage-http-signatures-10
// Appendix C ("Test Values"). It is a public test vector, not a secret.
const oracleDraftKeyPEM = `-----BEGIN RSA PRIVATE KEY-----
MIICXgIBAAKBgQDCFENGw33yGihy92pDjZQhl0C36rPJj+CvfSC8+q28hxA161QF
NUd13wuCTUcq0Qd2qsBe/2hFyc2DCJJg0h1L78+6Z4UMR7EOcpfdUE9Hf3m/hs+F
UR45uBJeDK1HSFHD8bHKD6kv8FPGfJTotc+2xjJwoYi+1hqp1fIekaxsyQIDAQAB
AoGBAJR8ZkCUvx5kzv+utdl7T5MnordT1TvoXXJGXK7ZZ+UuvMNUCdN2QPc4sBiA
QWvLw1cSKt5DsKZ8UETpYPy8pPYnnDEz2dDYiaew9+xEpubyeW2oH4Zx71wqBtOK
kqwrXa/pzdpiucRRjk6vE6YY7EBBs/g7uanVpGibOVAEsqH1AkEA7DkjVH28WDUg
f1nqvfn2Kj6CT7nIcE3jGJsZZ7zlZmBmHFDONMLUrXR/Zm3pR5m0tCmBqa5RK95u
412jt1dPIwJBANJT3v8pnkth48bQo/fKel6uEYyboRtA5/uHuHkZ6FQF7OUkGogc
mSJluOdc5t6hI1VsLn0QZEjQZMEOWr+wKSMCQQCC4kXJEsHAve77oP6HtG/IiEn7
kpyUXRNvFsDE0czpJJBvL/aRFUJxuRK91jhjC68sA7NsKMGg5OXb5I5Jj36xAkEA
gIT7aFOYBFwGgQAQkWNKLvySgKbAZRTeLBacpHMuQdl1DfdntvAyqpAZ0lY0RKmW
G6aFKaqQfOXKCyWoUiVknQJAXrlgySFci/2ueKlIE1QqIiLSZ8V8OlpFLRnb1pzI
7U1yQXnTAEFYM560yJlzUpOb1V4cScGd365tiSMvxLOvTA==
-----END RSA PRIVATE KEY-----
`

// oracleDraftPublicKeyPEM is the matching public key as the draft prints it.
const oracleDraftPublicKeyPEM = `-----BEGIN PUBLIC KEY-----
MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDCFENGw33yGihy92pDjZQhl0C3
6rPJj+CvfSC8+q28hxA161QFNUd13wuCTUcq0Qd2qsBe/2hFyc2DCJJg0h1L78+6
Z4UMR7EOcpfdUE9Hf3m/hs+FUR45uBJeDK1HSFHD8bHKD6kv8FPGfJTotc+2xjJw
oYi+1hqp1fIekaxsyQIDAQAB
-----END PUBLIC KEY-----
`

// oracleDraftRequest is the example request of section 2.1 / Appendix C.
const oracleDraftRequest = "POST /foo?param=value&pet=dog HTTP/1.1\r\n" +
	"Host: example.com\r\n" +
	"Date: Sun, 05 Jan 2014 21:31:40 GMT\r\n" +
	"Content-Type: application/json\r\n" +
	"Digest: SHA-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=\r\n" +
	"Content-Length: 18\r\n" +
	"\r\n" +
	`{"hello": "world"}`

const oracleDraftDigest = "SHA-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE="

type oracleDraftCase struct {
	name    string
	headers []string // nil: no headers parameter (C.1)
	// signingString and signature are the draft's published values.
	signingString string
	signature     string
	// header is the draft's Authorization header value, unwrapped.
	header string
}

var oracleDraftCases = []oracleDraftCase{
	{
		name:          "C.1 Default Test",
		headers:       nil,
		signingString: "date: Sun, 05 Jan 2014 21:31:40 GMT",
		signature:     "SjWJWbWN7i0wzBvtPl8rbASWz5xQW6mcJmn+ibttBqtifLN7Sazz6m79cNfwwb8DMJ5cou1s7uEGKKCs+FLEEaDV5lp7q25WqS+lavg7T8hc0GppauB6hbgEKTwblDHYGEtbGmtdHgVCk9SuS13F0hZ8FD0k/5OxEPXe5WozsbM=",
		header:        `Signature keyId="Test",algorithm="rsa-sha256",signature="SjWJWbWN7i0wzBvtPl8rbASWz5xQW6mcJmn+ibttBqtifLN7Sazz6m79cNfwwb8DMJ5cou1s7uEGKKCs+FLEEaDV5lp7q25WqS+lavg7T8hc0GppauB6hbgEKTwblDHYGEtbGmtdHgVCk9SuS13F0hZ8FD0k/5OxEPXe5WozsbM="`,
	},
	{
		name:    "C.2 Basic Test",
		headers: []string{"(request-target)", "host", "date"},
		signingString: "(request-target): post /foo?param=value&pet=dog\n" +
			"host: example.com\n" +
			"date: Sun, 05 Jan 2014 21:31:40 GMT",
		signature: "qdx+H7PHHDZgy4y/Ahn9Tny9V3GP6YgBPyUXMmoxWtLbHpUnXS2mg2+SbrQDMCJypxBLSPQR2aAjn7ndmw2iicw3HMbe8VfEdKFYRqzic+efkb3nndiv/x1xSHDJWeSWkx3ButlYSuBskLu6kd9Fswtemr3lgdDEmn04swr2Os0=",
		header:    `Signature keyId="Test",algorithm="rsa-sha256",headers="(request-target) host date",signature="qdx+H7PHHDZgy4y/Ahn9Tny9V3GP6YgBPyUXMmoxWtLbHpUnXS2mg2+SbrQDMCJypxBLSPQR2aAjn7ndmw2iicw3HMbe8VfEdKFYRqzic+efkb3nndiv/x1xSHDJWeSWkx3ButlYSuBskLu6kd9Fswtemr3lgdDEmn04swr2Os0="`,
	},
	{
		name:    "C.3 All Headers Test",
		headers: []string{"(request-target)", "host", "date", "content-type", "digest", "content-length"},
		signingString: "(request-target): post /foo?param=value&pet=dog\n" +
			"host: example.com\n" +
			"date: Sun, 05 Jan 2014 21:31:40 GMT\n" +
			"content-type: application/json\n" +
			"digest: SHA-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=\n" +
			"content-length: 18",
		signature: "vSdrb+dS3EceC9bcwHSo4MlyKS59iFIrhgYkz8+oVLEEzmYZZvRs8rgOp+63LEM3v+MFHB32NfpB2bEKBIvB1q52LaEUHFv120V01IL+TAD48XaERZFukWgHoBTLMhYS2Gb51gWxpeIq8knRmPnYePbF5MOkR0Zkly4zKH7s1dE=",
		header:    `Signature keyId="Test",algorithm="rsa-sha256",headers="(request-target) host date content-type digest content-length",signature="vSdrb+dS3EceC9bcwHSo4MlyKS59iFIrhgYkz8+oVLEEzmYZZvRs8rgOp+63LEM3v+MFHB32NfpB2bEKBIvB1q52LaEUHFv120V01IL+TAD48XaERZFukWgHoBTLMhYS2Gb51gWxpeIq8knRmPnYePbF5MOkR0Zkly4zKH7s1dE="`,
	},
}

func oracleDraftKey(t testing.TB) *rsa.PrivateKey {
	t.Helper()
	b, _ := pem.Decode([]byte(oracleDraftKeyPEM))
	if b == nil {
		t.Fatal("draft test key: no PEM block")
	}
	k, err := x509.ParsePKCS1PrivateKey(b.Bytes)
	if err != nil {
		t.Fatalf("draft test key: %v", err)
	}
	pb, _ := pem.Decode([]byte(oracleDraftPublicKeyPEM))
	pub, err := x509.ParsePKIXPublicKey(pb.Bytes)
	if err != nil {
		t.Fatalf("draft public key: %v", err)
	}
	if !k.PublicKey.Equal(pub) {
		t.Fatal("the draft's public key is not the draft private key's")
	}
	return k
}

func oracleDraftMessage(t testing.TB) *httpmsg.Request {
	t.Helper()
	m, err := httpmsg.Parse([]byte(oracleDraftRequest))
	if err != nil {
		t.Fatalf("parsing the draft request: %v", err)
	}
	if string(m.Body) != `{"hello": "world"}` {
		t.Fatalf("draft body = %q", m.Body)
	}
	return m
}

func oracleLogChecks(t testing.TB, d *Diagnosis) {
	t.Helper()
	for _, c := range d.Checks {
		t.Logf("  %-5s %-22s expected=%q got=%q %s", c.Status, c.ID, c.Expected, c.Got, c.Detail)
	}
	for _, c := range d.Causes {
		t.Logf("  cause %s: %s", c.ID, c.Summary)
	}
}

// TestOracleDraftCavageAppendixCSign signs the draft's example request with
// the draft's key and compares the signing string and the signature value
// with the draft's published values byte for byte (RSASSA-PKCS1-v1_5 is
// deterministic, so the same key and bytes give the same signature).
func TestOracleDraftCavageAppendixCSign(t *testing.T) {
	key := oracleDraftKey(t)
	for _, tc := range oracleDraftCases {
		t.Run(tc.name, func(t *testing.T) {
			m := oracleDraftMessage(t)
			s := &Signer{Key: key, Profile: ProfileGeneric, KeyIDOverride: "Test", Headers: tc.headers}
			res, err := s.Sign(m)
			if err != nil {
				t.Fatal(err)
			}
			if res.SigningString != tc.signingString {
				t.Errorf("signing string\n got: %q\nwant: %q", res.SigningString, tc.signingString)
			}
			if res.Params.Signature != tc.signature {
				t.Errorf("signature\n got: %s\nwant: %s", res.Params.Signature, tc.signature)
			}
			if res.Params.Algorithm != "rsa-sha256" || res.Params.KeyID != "Test" {
				t.Errorf("algorithm=%q keyId=%q; want rsa-sha256, Test", res.Params.Algorithm, res.Params.KeyID)
			}
			// SigningString, the exported builder, must agree with Sign.
			ss, err := SigningString(m, res.Params.SignedHeaders(), &res.Params)
			if err != nil || ss != tc.signingString {
				t.Errorf("SigningString() = %q, %v; want %q", ss, err, tc.signingString)
			}
			// The header we write: the draft's parameters in the draft's
			// order; for C.1 our Signer adds headers="date", which the draft
			// leaves out (it is the default).
			wantHeader := strings.TrimPrefix(tc.header, "Signature ")
			if tc.headers == nil {
				wantHeader = strings.Replace(wantHeader, `,signature=`, `,headers="date",signature=`, 1)
			}
			if res.SignatureHeader != wantHeader {
				t.Errorf("Signature header\n got: %s\nwant: %s", res.SignatureHeader, wantHeader)
			}
			if got := m.Get("Signature"); got != res.SignatureHeader {
				t.Errorf("request Signature header = %q; want %q", got, res.SignatureHeader)
			}
			// No certificate: no TPP-Signature-Certificate may appear.
			if m.Has("TPP-Signature-Certificate") || res.Certificate != "" {
				t.Error("generic signing without a certificate added TPP-Signature-Certificate")
			}
			// Digest: only C.3 signs it; there Sign recomputes it and the
			// value must be the draft's, i.e. what the draft request carried.
			if strings.Contains(strings.Join(tc.headers, " "), "digest") {
				if res.Digest != oracleDraftDigest {
					t.Errorf("Signed.Digest = %q; want the draft's %q", res.Digest, oracleDraftDigest)
				}
			} else if res.Digest != "" {
				t.Errorf("Signed.Digest = %q; want \"\" (digest is not in the list)", res.Digest)
			}
			if got := m.Values("Digest"); len(got) != 1 || got[0] != oracleDraftDigest {
				t.Errorf("Digest header after signing = %q; want exactly [%q]", got, oracleDraftDigest)
			}
		})
	}
	if got := Digest(DigestSHA256, []byte(`{"hello": "world"}`)); got != oracleDraftDigest {
		t.Errorf("Digest(SHA-256, draft body) = %q; want %q", got, oracleDraftDigest)
	}
}

// TestOracleDraftCavageAppendixCVerify parses the draft's literal headers and
// verifies them against the draft request with the draft's public key.
func TestOracleDraftCavageAppendixCVerify(t *testing.T) {
	key := oracleDraftKey(t)
	for _, tc := range oracleDraftCases {
		t.Run(tc.name, func(t *testing.T) {
			p, err := ParseSignature(tc.header)
			if err != nil {
				t.Fatalf("ParseSignature(draft header): %v", err)
			}
			if p.KeyID != "Test" || p.Algorithm != "rsa-sha256" || p.Signature != tc.signature {
				t.Errorf("parsed keyId=%q algorithm=%q signature=%q", p.KeyID, p.Algorithm, p.Signature)
			}
			wantHeaders := tc.headers
			if wantHeaders == nil {
				wantHeaders = []string{"date"}
				if p.HeadersSet {
					t.Error("HeadersSet = true for a header without a headers parameter")
				}
			}
			if got := strings.Join(p.SignedHeaders(), " "); got != strings.Join(wantHeaders, " ") {
				t.Errorf("SignedHeaders() = %q; want %q", got, strings.Join(wantHeaders, " "))
			}

			// As an Authorization header ("Signature keyId=..."), as the draft sends it.
			m := oracleDraftMessage(t)
			m.Set("Authorization", tc.header)
			d := Verify(m, VerifyOptions{Profile: ProfileGeneric, PublicKey: &key.PublicKey})
			if !d.Valid {
				oracleLogChecks(t, d)
				t.Errorf("Verify(draft %s as Authorization) is not valid", tc.name)
			}
			if c := d.Check(CheckSignature); c == nil || c.Status != Pass {
				t.Errorf("signature check = %+v; want pass", c)
			}
			if d.SigningString != tc.signingString {
				t.Errorf("Diagnosis.SigningString = %q; want %q", d.SigningString, tc.signingString)
			}

			// As a Signature header (the value without the scheme).
			m2 := oracleDraftMessage(t)
			m2.Set("Signature", strings.TrimPrefix(tc.header, "Signature "))
			if d := Verify(m2, VerifyOptions{Profile: ProfileGeneric, PublicKey: &key.PublicKey}); !d.Valid {
				oracleLogChecks(t, d)
				t.Errorf("Verify(draft %s as Signature) is not valid", tc.name)
			}

			// The Berlin Group profile still rejects the draft's header list
			// (no x-request-id, no digest), and says so for C.1's missing
			// headers parameter; the signature itself still verifies.
			m4 := oracleDraftMessage(t)
			m4.Set("Authorization", tc.header)
			d4 := Verify(m4, VerifyOptions{Profile: ProfileBerlinGroup, PublicKey: &key.PublicKey})
			if d4.Valid {
				t.Error("the Berlin Group profile accepted the draft's header list")
			}
			if c := d4.Check(CheckHeaders); c == nil || c.Status != Fail ||
				(tc.headers == nil) != strings.Contains(c.Detail, "no headers parameter") {
				t.Errorf("Berlin Group header-list check = %+v", c)
			}
			if c := d4.Check(CheckSignature); c == nil || c.Status != Pass {
				t.Errorf("Berlin Group signature check = %+v; want pass", c)
			}

			// The oracle can fail: a changed Date breaks every case (all sign date).
			m3 := oracleDraftMessage(t)
			m3.Set("Date", "Sun, 05 Jan 2014 21:31:41 GMT")
			m3.Set("Authorization", tc.header)
			d3 := Verify(m3, VerifyOptions{Profile: ProfileGeneric, PublicKey: &key.PublicKey})
			if d3.Valid {
				t.Error("Verify passed with a Date one second off")
			}
			if c := d3.Check(CheckSignature); c == nil || c.Status != Fail {
				t.Errorf("signature check with a changed Date = %+v; want fail", c)
			}
		})
	}
}

// ---------------------------------------------------------------------------
// go-fed/httpsig cross-verification
// ---------------------------------------------------------------------------

var (
	oracleCert512Once sync.Once
	oracleCert512     *x509.Certificate
)

// oracleSHA512Cert is a certificate for newTestCert's key whose own signature is
// sha512WithRSAEncryption, so the Berlin Group profile picks rsa-sha512.
func oracleSHA512Cert(t testing.TB) testCert {
	t.Helper()
	tc := newTestCert(t)
	oracleCert512Once.Do(func() {
		caKey, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		caTmpl := &x509.Certificate{
			SerialNumber:          big.NewInt(7),
			Subject:               pkix.Name{CommonName: "Test QTSP CA 512", Organization: []string{"Test Trust Services"}, Country: []string{"DE"}},
			NotBefore:             time.Now().Add(-time.Hour),
			NotAfter:              time.Now().Add(24 * time.Hour),
			IsCA:                  true,
			BasicConstraintsValid: true,
			KeyUsage:              x509.KeyUsageCertSign,
			SignatureAlgorithm:    x509.SHA512WithRSA,
		}
		caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
		if err != nil {
			panic(err)
		}
		ca, err := x509.ParseCertificate(caDER)
		if err != nil {
			panic(err)
		}
		tmpl := &x509.Certificate{
			SerialNumber:       big.NewInt(0x9FA1),
			Subject:            pkix.Name{CommonName: "Example TPP 512", Organization: []string{"Example TPP GmbH"}, Country: []string{"DE"}},
			NotBefore:          time.Now().Add(-time.Hour),
			NotAfter:           time.Now().Add(24 * time.Hour),
			KeyUsage:           x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment,
			SignatureAlgorithm: x509.SHA512WithRSA,
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &tc.Key.PublicKey, caKey)
		if err != nil {
			panic(err)
		}
		oracleCert512, err = x509.ParseCertificate(der)
		if err != nil {
			panic(err)
		}
	})
	return testCert{Key: tc.Key, Cert: oracleCert512}
}

// oracleToHTTP builds a net/http request from a signed httpmsg.Request, as a server
// would see it.
func oracleToHTTP(t testing.TB, m *httpmsg.Request) *http.Request {
	t.Helper()
	r, err := http.NewRequest(m.Method, "https://"+m.Get("Host")+m.Target, bytes.NewReader(m.Body))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range m.Header {
		if strings.EqualFold(f.Name, "Host") {
			continue
		}
		r.Header.Add(f.Name, f.Value)
	}
	return r
}

type oracleVariant struct {
	name  string
	build func() *httpmsg.Request
}

func oracleVariants() []oracleVariant {
	get := func() *httpmsg.Request {
		return &httpmsg.Request{Method: "GET", Target: "/v1/accounts?withBalance=true", Proto: "HTTP/1.1",
			Header: []httpmsg.Field{
				{Name: "Host", Value: "api.example.com"},
				{Name: "X-Request-ID", Value: "2f0f1c4e-6a8b-4c43-9d3e-7c5e1a2b3c4d"},
				{Name: "Consent-ID", Value: "consent-123"},
			}}
	}
	return []oracleVariant{
		{"post-body", sampleRequest},
		{"post-body-psu-id", func() *httpmsg.Request {
			m := sampleRequest()
			m.Header = append(m.Header, httpmsg.Field{Name: "PSU-ID", Value: "PSU-1234"})
			return m
		}},
		{"post-body-tpp-redirect-uri", func() *httpmsg.Request {
			m := sampleRequest()
			m.Header = append(m.Header, httpmsg.Field{Name: "TPP-Redirect-URI", Value: "https://tpp.example.com/cb?state=a,b&x=%20y"})
			return m
		}},
		{"post-body-all-conditional", func() *httpmsg.Request {
			m := sampleRequest()
			m.Header = append(m.Header,
				httpmsg.Field{Name: "PSU-ID", Value: "PSU-1234"},
				httpmsg.Field{Name: "PSU-Corporate-ID", Value: "Corp 42"},
				httpmsg.Field{Name: "TPP-Redirect-URI", Value: "https://tpp.example.com/cb"})
			return m
		}},
		{"get-empty-body", get},
		{"get-empty-body-psu-id-tpp-redirect-uri", func() *httpmsg.Request {
			m := get()
			m.Header = append(m.Header,
				httpmsg.Field{Name: "psu-id", Value: "  padded psu  "},
				httpmsg.Field{Name: "tpp-redirect-uri", Value: "https://tpp.example.com/cb"})
			return m
		}},
		{"delete-empty-body-unicode-psu-id", func() *httpmsg.Request {
			m := get()
			m.Method, m.Target = "DELETE", "/v1/consents/consent-123"
			m.Header = append(m.Header, httpmsg.Field{Name: "PSU-ID", Value: "Jürgen Ñ"})
			return m
		}},
		{"post-body-repeated-psu-id", func() *httpmsg.Request {
			// Two PSU-ID lines: both signers join the values with ", ".
			m := sampleRequest()
			m.Header = append(m.Header,
				httpmsg.Field{Name: "PSU-ID", Value: "first"},
				httpmsg.Field{Name: "X-Other", Value: "between"},
				httpmsg.Field{Name: "Psu-Id", Value: " second "})
			return m
		}},
	}
}

// TestOracleGoFedVerifiesOurSignatures: every Berlin Group signature our
// Signer makes verifies with go-fed/httpsig's verifier.
func TestOracleGoFedVerifiesOurSignatures(t *testing.T) {
	certs := []struct {
		name    string
		tc      testCert
		alg     Algorithm // what the certificate implies
		gofedAl gofed.Algorithm
		wrongAl gofed.Algorithm
	}{
		{"rsa-sha256", newTestCert(t), RSASHA256, gofed.RSA_SHA256, gofed.RSA_SHA512},
		{"rsa-sha512", oracleSHA512Cert(t), RSASHA512, gofed.RSA_SHA512, gofed.RSA_SHA256},
	}
	for _, c := range certs {
		for _, v := range oracleVariants() {
			t.Run(c.name+"/"+v.name, func(t *testing.T) {
				m := v.build()
				res, err := (&Signer{Key: c.tc.Key, Cert: c.tc.Cert}).Sign(m)
				if err != nil {
					t.Fatal(err)
				}
				if res.Params.Algorithm != string(c.alg) {
					t.Fatalf("algorithm = %q; want %q (from the certificate)", res.Params.Algorithm, c.alg)
				}
				if len(res.Warnings) != 0 {
					t.Errorf("warnings: %q", res.Warnings)
				}
				// Our own verifier agrees (the go-fed check below is the oracle).
				if d := Verify(m.Clone(), VerifyOptions{}); !d.Valid {
					oracleLogChecks(t, d)
					t.Error("our Verify rejects our signature")
				}

				r := oracleToHTTP(t, m)
				ver, err := gofed.NewVerifier(r)
				if err != nil {
					t.Fatalf("go-fed NewVerifier: %v (Signature: %s)", err, m.Get("Signature"))
				}
				if err := ver.Verify(&c.tc.Key.PublicKey, c.gofedAl); err != nil {
					t.Errorf("go-fed Verify(%s): %v\nsigning string: %q\nSignature: %s", c.gofedAl, err, res.SigningString, m.Get("Signature"))
				}
				// The oracle discriminates: the other hash fails ...
				if err := ver.Verify(&c.tc.Key.PublicKey, c.wrongAl); err == nil {
					t.Errorf("go-fed Verify(%s) passed for an %s signature", c.wrongAl, c.alg)
				}
				// ... and so does a changed signed header.
				r2 := oracleToHTTP(t, m)
				r2.Header.Set("X-Request-ID", "00000000-0000-4000-8000-000000000000")
				if ver2, err := gofed.NewVerifier(r2); err != nil {
					t.Fatal(err)
				} else if err := ver2.Verify(&c.tc.Key.PublicKey, c.gofedAl); err == nil {
					t.Error("go-fed verified a request whose X-Request-ID changed after signing")
				}
			})
		}
	}

	// An explicit rsa-sha512 with the SHA-256 certificate (the Signer warns,
	// but the signature itself is still a valid rsa-sha512 one).
	t.Run("explicit-rsa-sha512-with-sha256-cert", func(t *testing.T) {
		tc := newTestCert(t)
		m := sampleRequest()
		res, err := (&Signer{Key: tc.Key, Cert: tc.Cert, Algorithm: RSASHA512}).Sign(m)
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Warnings) == 0 {
			t.Error("no warning for rsa-sha512 with a sha256WithRSA certificate")
		}
		ver, err := gofed.NewVerifier(oracleToHTTP(t, m))
		if err != nil {
			t.Fatal(err)
		}
		if err := ver.Verify(&tc.Key.PublicKey, gofed.RSA_SHA512); err != nil {
			t.Errorf("go-fed Verify(rsa-sha512): %v", err)
		}
	})
}

// TestOracleGoFedSignaturesVerifyWithOurs: requests signed by go-fed/httpsig
// (which writes algorithm="hs2019") verify with our Verify in the Berlin Group
// profile; the only non-pass check is the algorithm warning.
func TestOracleGoFedSignaturesVerifyWithOurs(t *testing.T) {
	for _, c := range []struct {
		name  string
		tc    testCert
		alg   gofed.Algorithm
		hashN string
	}{
		{"rsa-sha256", newTestCert(t), gofed.RSA_SHA256, "SHA-256"},
		{"rsa-sha512", oracleSHA512Cert(t), gofed.RSA_SHA512, "SHA-512"},
	} {
		for _, body := range []struct {
			name   string
			method string
			body   []byte
		}{
			{"body", "POST", sampleRequest().Body},
			{"empty-body", "GET", []byte{}},
		} {
			t.Run(c.name+"/"+body.name, func(t *testing.T) {
				r, err := http.NewRequest(body.method, "https://api.example.com/v1/consents", bytes.NewReader(body.body))
				if err != nil {
					t.Fatal(err)
				}
				r.Header.Set("X-Request-ID", "99391c7e-ad88-49ec-a2ad-99ddcb1f7721")
				if len(body.body) > 0 {
					r.Header.Set("Content-Type", "application/json")
				}
				signer, got, err := gofed.NewSigner([]gofed.Algorithm{c.alg}, gofed.DigestSha256,
					[]string{"x-request-id", "digest"}, gofed.Signature, 0)
				if err != nil || got != c.alg {
					t.Fatalf("go-fed NewSigner: %v, %v", got, err)
				}
				kid, err := KeyID(c.tc.Cert, DefaultKeyIDFormat)
				if err != nil {
					t.Fatal(err)
				}
				if err := signer.SignRequest(c.tc.Key, kid, r, body.body); err != nil {
					t.Fatalf("go-fed SignRequest: %v", err)
				}
				r.Header.Set("TPP-Signature-Certificate", base64.StdEncoding.EncodeToString(c.tc.Cert.Raw))

				m, err := httpmsg.FromHTTP(r)
				if err != nil {
					t.Fatal(err)
				}
				// go-fed's own Digest must be ours too (it is an RFC 3230 value).
				if got, want := m.Get("Digest"), Digest(DigestSHA256, body.body); got != want {
					t.Errorf("go-fed Digest = %q; ours %q", got, want)
				}
				d := Verify(m, VerifyOptions{})
				if !d.Valid {
					oracleLogChecks(t, d)
					t.Fatalf("our Verify rejects a go-fed signature; causes %+v", d.Causes)
				}
				if !strings.EqualFold(d.Algorithm, "hs2019") {
					t.Errorf("Diagnosis.Algorithm = %q; go-fed writes hs2019", d.Algorithm)
				}
				for _, ch := range d.Checks {
					want := Pass
					if ch.ID == CheckAlgorithm {
						want = Warn
					}
					if ch.Status != want {
						t.Errorf("check %s = %s (%s); want %s", ch.ID, ch.Status, ch.Detail, want)
					}
				}
				if ch := d.Check(CheckSignature); ch == nil || !strings.Contains(ch.Detail, c.hashN) {
					t.Errorf("signature check %+v does not name %s, the hash go-fed used", ch, c.hashN)
				}
				if ch := d.Check(CheckKeyID); ch == nil || ch.Status != Pass {
					t.Errorf("keyId check = %+v", ch)
				}

				// The same go-fed signature in the generic profile: hs2019 passes.
				dg := Verify(m.Clone(), VerifyOptions{Profile: ProfileGeneric})
				if !dg.Valid {
					oracleLogChecks(t, dg)
					t.Error("generic-profile Verify rejects the go-fed signature")
				}
				if ch := dg.Check(CheckAlgorithm); ch == nil || ch.Status != Pass {
					t.Errorf("generic algorithm check = %+v; want pass for hs2019", ch)
				}

				// Tampering after go-fed signed must be caught.
				if len(body.body) > 0 {
					m2 := m.Clone()
					m2.Body = append(m2.Body, ' ')
					if d := Verify(m2, VerifyOptions{}); d.Valid {
						t.Error("Verify passed with a body changed after signing")
					} else if ch := d.Check(CheckDigest); ch == nil || ch.Status != Fail {
						t.Errorf("digest check with a changed body = %+v; want fail", ch)
					}
				}
				m3 := m.Clone()
				m3.Set("X-Request-ID", "00000000-0000-4000-8000-000000000000")
				if d := Verify(m3, VerifyOptions{}); d.Valid {
					t.Error("Verify passed with X-Request-ID changed after signing")
				} else if ch := d.Check(CheckSignature); ch == nil || ch.Status != Fail {
					t.Errorf("signature check with a changed X-Request-ID = %+v; want fail", ch)
				}
			})
		}
	}
}

// ---------------------------------------------------------------------------
// OpenSSL as oracle
// ---------------------------------------------------------------------------

func oracleNeedOpenSSL(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("openssl")
	if err != nil {
		t.Skip("openssl is not on PATH; skipping the OpenSSL oracle tests")
	}
	return p
}

func oracleRunOpenSSL(t *testing.T, bin, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("openssl %s: %v\nstdout: %s\nstderr: %s", strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	return stdout.String()
}

func oracleWriteFile(t *testing.T, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func oraclePublicKeyPEM(t *testing.T, pub *rsa.PublicKey) []byte {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

func oraclePKCS8PEM(t *testing.T, key *rsa.PrivateKey) []byte {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
}

// TestOracleOpenSSLVerifiesOurSignatures: openssl dgst -verify accepts our
// signatures over our signing strings, with the public key of the certificate.
func TestOracleOpenSSLVerifiesOurSignatures(t *testing.T) {
	bin := oracleNeedOpenSSL(t)
	for _, c := range []struct {
		name string
		tc   testCert
		dgst string
	}{
		{"rsa-sha256", newTestCert(t), "-sha256"},
		{"rsa-sha512", oracleSHA512Cert(t), "-sha512"},
	} {
		for _, v := range oracleVariants()[:5] {
			t.Run(c.name+"/"+v.name, func(t *testing.T) {
				dir := t.TempDir()
				m := v.build()
				res, err := (&Signer{Key: c.tc.Key, Cert: c.tc.Cert}).Sign(m)
				if err != nil {
					t.Fatal(err)
				}
				sig, err := base64.StdEncoding.DecodeString(res.Params.Signature)
				if err != nil {
					t.Fatal(err)
				}
				// The public key comes from the certificate in the request, as a bank takes it.
				cert, err := ParseCertificateHeader(m.Get("TPP-Signature-Certificate"))
				if err != nil {
					t.Fatal(err)
				}
				oracleWriteFile(t, dir, "pub.pem", oraclePublicKeyPEM(t, cert.PublicKey.(*rsa.PublicKey)))
				oracleWriteFile(t, dir, "ss.txt", []byte(res.SigningString))
				oracleWriteFile(t, dir, "sig.bin", sig)
				out := oracleRunOpenSSL(t, bin, dir, "dgst", c.dgst, "-verify", "pub.pem", "-signature", "sig.bin", "ss.txt")
				if strings.TrimSpace(out) != "Verified OK" {
					t.Errorf("openssl says %q; want Verified OK", out)
				}
				// The signing string openssl verified is the one in the request:
				// header names lower-case, LF-joined, no trailing newline.
				var want []string
				for _, h := range res.Params.Headers {
					want = append(want, h+": "+strings.TrimSpace(strings.Join(m.Values(h), ", ")))
				}
				if res.SigningString != strings.Join(want, "\n") {
					t.Errorf("signing string %q; want %q", res.SigningString, strings.Join(want, "\n"))
				}

				// openssl must reject the same signature over a changed string
				// (the oracle can say no).
				oracleWriteFile(t, dir, "ss2.txt", []byte(res.SigningString+"\n"))
				cmd := exec.Command(bin, "dgst", c.dgst, "-verify", "pub.pem", "-signature", "sig.bin", "ss2.txt")
				cmd.Dir = dir
				if out, err := cmd.CombinedOutput(); err == nil || strings.Contains(string(out), "Verified OK") {
					t.Errorf("openssl verified the signature over a signing string with a trailing newline: %s", out)
				}
			})
		}
	}
}

// TestOracleOpenSSLSignaturesVerifyWithOurs: signatures made by openssl dgst
// -sign over our signing string verify with our Verify.
func TestOracleOpenSSLSignaturesVerifyWithOurs(t *testing.T) {
	bin := oracleNeedOpenSSL(t)
	for _, c := range []struct {
		name string
		tc   testCert
		alg  Algorithm
		dgst string
	}{
		{"rsa-sha256", newTestCert(t), RSASHA256, "-sha256"},
		{"rsa-sha512", oracleSHA512Cert(t), RSASHA512, "-sha512"},
	} {
		for _, v := range []oracleVariant{oracleVariants()[0], oracleVariants()[3], oracleVariants()[4]} {
			t.Run(c.name+"/"+v.name, func(t *testing.T) {
				dir := t.TempDir()
				oracleWriteFile(t, dir, "key.pem", oraclePKCS8PEM(t, c.tc.Key))
				m := v.build()
				m.Set("Digest", Digest(DigestSHA256, m.Body))
				kid, err := KeyID(c.tc.Cert, DefaultKeyIDFormat)
				if err != nil {
					t.Fatal(err)
				}
				p := Params{KeyID: kid, Algorithm: string(c.alg), Headers: BerlinGroupHeaders(m), HeadersSet: true}
				ss, err := SigningString(m, p.Headers, &p)
				if err != nil {
					t.Fatal(err)
				}
				oracleWriteFile(t, dir, "ss.txt", []byte(ss))
				oracleRunOpenSSL(t, bin, dir, "dgst", c.dgst, "-sign", "key.pem", "-out", "sig.bin", "ss.txt")
				sig, err := os.ReadFile(filepath.Join(dir, "sig.bin"))
				if err != nil {
					t.Fatal(err)
				}
				if len(sig) != c.tc.Key.Size() {
					t.Fatalf("openssl signature is %d bytes; want %d", len(sig), c.tc.Key.Size())
				}
				p.Signature = base64.StdEncoding.EncodeToString(sig)
				m.Set("Signature", p.String())
				m.Set("TPP-Signature-Certificate", base64.StdEncoding.EncodeToString(c.tc.Cert.Raw))

				d := Verify(m, VerifyOptions{})
				if !d.Valid {
					oracleLogChecks(t, d)
					t.Fatalf("our Verify rejects an openssl signature; causes %+v", d.Causes)
				}
				for _, ch := range d.Checks {
					if ch.Status != Pass {
						t.Errorf("check %s = %s (%s); want pass", ch.ID, ch.Status, ch.Detail)
					}
				}
				if d.SigningString != ss {
					t.Errorf("Diagnosis.SigningString = %q; want %q", d.SigningString, ss)
				}
				// Our signer is deterministic (PKCS#1 v1.5): it must produce
				// exactly openssl's bytes for the same request.
				m2 := v.build()
				res, err := (&Signer{Key: c.tc.Key, Cert: c.tc.Cert, Algorithm: c.alg}).Sign(m2)
				if err != nil {
					t.Fatal(err)
				}
				if res.SigningString != ss || res.Params.Signature != p.Signature {
					t.Errorf("our Signer and openssl disagree\n ours: %s\nopenssl: %s", res.Params.Signature, p.Signature)
				}
			})
		}
	}

	// The draft's vectors, signed by openssl with the draft key, give the
	// draft's signatures: a third, independent confirmation of Appendix C.
	t.Run("draft-appendix-c", func(t *testing.T) {
		dir := t.TempDir()
		oracleWriteFile(t, dir, "key.pem", oraclePKCS8PEM(t, oracleDraftKey(t)))
		for i, tc := range oracleDraftCases {
			ss := fmt.Sprintf("ss%d.txt", i)
			sb := fmt.Sprintf("sig%d.bin", i)
			oracleWriteFile(t, dir, ss, []byte(tc.signingString))
			oracleRunOpenSSL(t, bin, dir, "dgst", "-sha256", "-sign", "key.pem", "-out", sb, ss)
			sig, err := os.ReadFile(filepath.Join(dir, sb))
			if err != nil {
				t.Fatal(err)
			}
			if got := base64.StdEncoding.EncodeToString(sig); got != tc.signature {
				t.Errorf("%s: openssl signature over the draft signing string\n got: %s\nwant: %s", tc.name, got, tc.signature)
			}
		}
	})
}

// TestOracleOpenSSLDigest compares Digest with openssl dgst -binary | base64.
func TestOracleOpenSSLDigest(t *testing.T) {
	bin := oracleNeedOpenSSL(t)
	bodies := []struct {
		name string
		body []byte
		want string // a published value, "" when none
	}{
		{"empty", nil, "SHA-256=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="},
		{"draft", []byte(`{"hello": "world"}`), oracleDraftDigest},
		{"consent", sampleRequest().Body, ""},
		{"trailing-newline", []byte("{\"a\":1}\n"), ""},
		{"crlf-unicode", []byte("{\r\n  \"name\": \"Jürgen Ñ €\"\r\n}"), ""},
		{"binary", []byte{0, 1, 2, 0xff, 0xfe, '\n', '\r', 0x80}, ""},
		{"large", bytes.Repeat([]byte("0123456789abcdef"), 70000), ""},
	}
	for _, b := range bodies {
		t.Run(b.name, func(t *testing.T) {
			dir := t.TempDir()
			oracleWriteFile(t, dir, "body", b.body)
			for _, a := range []struct {
				alg  DigestAlgorithm
				flag string
			}{{DigestSHA256, "-sha256"}, {DigestSHA512, "-sha512"}} {
				oracleRunOpenSSL(t, bin, dir, "dgst", a.flag, "-binary", "-out", "d.bin", "body")
				b64 := strings.TrimSpace(oracleRunOpenSSL(t, bin, dir, "base64", "-A", "-in", "d.bin"))
				want := string(a.alg) + "=" + b64
				if got := Digest(a.alg, b.body); got != want {
					t.Errorf("Digest(%s) = %q; openssl gives %q", a.alg, got, want)
				}
				if a.alg == DigestSHA256 && b.want != "" && want != b.want {
					t.Errorf("openssl gives %q; the published value is %q", want, b.want)
				}
			}
			// A request carrying the openssl digest passes our digest check.
			m := &httpmsg.Request{Method: "POST", Target: "/", Body: b.body,
				Header: []httpmsg.Field{{Name: "Digest", Value: Digest(DigestSHA256, b.body)}}}
			d := Verify(m, VerifyOptions{Profile: ProfileGeneric})
			if c := d.Check(CheckDigest); c == nil || c.Status != Pass {
				t.Errorf("digest check = %+v; want pass", c)
			}
		})
	}
	if got := Digest(DigestSHA256, []byte{}); got != "SHA-256=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=" {
		t.Errorf("Digest(SHA-256, empty) = %q", got)
	}
}
