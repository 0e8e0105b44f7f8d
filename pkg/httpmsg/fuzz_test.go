package httpmsg

import (
	"bytes"
	"errors"
	"slices"
	"strings"
	"testing"
)

var fzSeeds = []string{
	// A Berlin Group request as signed by xs2a.
	"POST /v1/consents HTTP/1.1\r\nHost: api.example.com\r\nContent-Type: application/json\r\n" +
		"X-Request-ID: 99391c7e-ad88-49ec-a2ad-99ddcb1f7721\r\nPSU-IP-Address: 192.0.2.1\r\n" +
		"Digest: SHA-256=XjC/MlCfZV8TYlNtLFs2qGFxlWPGy5c4xz9Q/DNy1k8=\r\n" +
		`Signature: keyId="SN=00E62A8BB30907C2BA,CA=CN=Test%20QTSP%20CA%202-1,O=Test%20Trust%20Services,C=FI",algorithm="rsa-sha256",headers="x-request-id digest",signature="c2ln"` + "\r\n" +
		"TPP-Signature-Certificate: MIIB\r\nContent-Length: 36\r\n\r\n" + `{"access":{"allPsd2":"allAccounts"}}`,
	// The draft-cavage example request, LF line ends as pasted from the draft.
	"POST /foo?param=value&pet=dog HTTP/1.1\nHost: example.com\nDate: Sun, 05 Jan 2014 21:31:40 GMT\n" +
		"Content-Type: application/json\nDigest: SHA-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=\nContent-Length: 18\n\n{\"hello\": \"world\"}\n",
	"GET /v1/accounts\nConsent-ID: c-1\n",
	"GET https://api.example.com/v1/accounts HTTP/1.1\r\nX-Long: a\r\n b\r\n\r\n",
	"\r\n\r\nGET / HTTP/1.1\r\nX: a\r\r\n\r\n",
	"POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\n{}",
	"POST / HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}\n",
	"GET / HTTP/1.1\r\nBad Name: x\r\n\r\n",
	"GET / HTTP/1.1\r\n folded\r\n\r\n",
	"",
}

func FuzzParse(f *testing.F) {
	for _, s := range append(append([]string{}, fzSeeds...), chunkedSeeds...) {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		m, extra, err := ParseWithExtra(raw)
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error is %T, not *ParseError: %v", err, err)
			}
			if m != nil {
				t.Fatalf("a request and an error: %+v, %v", m, err)
			}
			return
		}
		if extra < 0 || extra+len(m.Body) > len(raw) {
			t.Fatalf("extra = %d with a %d-byte body from %d bytes", extra, len(m.Body), len(raw))
		}
		for _, f := range m.Header {
			if strings.ContainsAny(f.Name, " \t\r\n:") || f.Name == "" {
				t.Fatalf("header name %q", f.Name)
			}
			if strings.ContainsRune(f.Value, '\n') || strings.Trim(f.Value, " \t") != f.Value {
				t.Fatalf("header value %q is not one trimmed line", f.Value)
			}
		}
		var b bytes.Buffer
		if _, err := m.WriteTo(&b); err != nil {
			t.Fatal(err)
		}
		m2, extra2, err := ParseWithExtra(b.Bytes())
		if err != nil && len(raw) > MaxHeadBytes/2 {
			return // CRLF line ends may push a long LF head over MaxHeadBytes
		}
		if err != nil {
			t.Fatalf("Parse(%q) worked, but its WriteTo %q does not parse: %v", raw, b.Bytes(), err)
		}
		if m2.Method != m.Method || m2.Target != m.Target || m2.Proto != m.Proto {
			t.Fatalf("request line %q %q %q came back as %q %q %q", m.Method, m.Target, m.Proto, m2.Method, m2.Target, m2.Proto)
		}
		if !slices.Equal(m2.Header, m.Header) {
			t.Fatalf("header %q came back as %q", m.Header, m2.Header)
		}
		if !bytes.Equal(m2.Body, m.Body) || extra2 != 0 {
			t.Fatalf("body %q came back as %q (extra %d)", m.Body, m2.Body, extra2)
		}
	})
}
