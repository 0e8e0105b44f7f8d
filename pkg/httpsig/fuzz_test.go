package httpsig

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xs2a-dev/xs2a/pkg/httpmsg"
)

// Signature header values people send: the Berlin Group example, the
// draft-cavage examples, Authorization form, and broken ones.
var fzSignatureSeeds = []string{
	`keyId="SN=9FA1,CA=CN=D-TRUST%20CA%202-1%202015,O=D-Trust%20GmbH,C=DE",algorithm="rsa-sha256",headers="Digest X-Request-ID PSU-ID TPP-Redirect-URI Date",signature="Base64(RSA-SHA256(signing string))"`,
	`keyId="Test",algorithm="rsa-sha256",headers="(request-target) host date",signature="qdx+H7PHHDZgy4y/Ahn9Tny9V3GP6YgBPyUXMmoxWtLbHpUnXS2mg2+SmrGdGRgFSCMDOetO5kWbQnNrV6Ul2gtnc3xKZxZYuqiQhE0qjK4pWK8cGoT9kzxi6uzKoWdYMfW2cjAg6cIrNs1hRhaw0JtuGk58pLlg8XY4SYFX9tE="`,
	`keyId="Test",algorithm="rsa-sha256",signature="SjWJWbWN7i0wzBvtPl8rbASWz5xQW6mcJmn+ibttBqtifLN7Sazz6m79cNfwwb8DMJ5cou1s7uEGKKCs+FLEEaDV5lp7q25WqS+lavg7T8hc0GppauB6hbgEKTwblDHYGEtbGmtdHgVCk9SuS13F0hZ8FD0k/5OxEPXe5WozsbM="`,
	`Signature keyId="rsa-key-1",algorithm="hs2019",created=1402170695,expires=1402170699,headers="(request-target) (created) (expires) host date digest content-length",signature="Base64(RSA-SHA256(signing string))"`,
	`keyId = "SN=00E62A8BB30907C2BA, CA=CN=Test QTSP CA 2-1,O=Test Trust Services,C=FI" , algorithm=rsa-sha256 ,headers= "x-request-id digest",signature=c2ln==`,
	`keyId="a\"b\\c",signature="s",ext="x"`,
	`keyId="k",keyId="k",signature="s"`,
	`keyId="k",signature="unterminated`,
	`keyId="k",created=now,signature="s"`,
	`signature = "c2ln", keyId="k"`,
	`keyId,signature="s"`,
	``,
	"keyId=\"SN=\xff,CA=x\",signature=\"s\"",
}

func FuzzParseSignature(f *testing.F) {
	for _, s := range fzSignatureSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, h string) {
		p, err := ParseSignature(h)
		if err != nil {
			var pe *HeaderParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error is %T, not *HeaderParseError: %v", err, err)
			}
			if pe.Offset < 0 || pe.Offset > len(h) {
				t.Fatalf("error offset %d outside the %d-byte input", pe.Offset, len(h))
			}
			return
		}
		if p.Signature == "" {
			t.Fatalf("parsed without a signature: %+v", p)
		}
		s := p.String()
		q, err := ParseSignature(s)
		if err != nil {
			t.Fatalf("ParseSignature(%q) = %s; its String() %q does not re-parse: %v", h, fzDump(p), s, err)
		}
		if q.KeyID != p.KeyID || q.Algorithm != p.Algorithm || q.Signature != p.Signature ||
			q.HeadersSet != p.HeadersSet || !slices.Equal(q.Headers, p.Headers) ||
			q.Created != p.Created || q.Expires != p.Expires {
			t.Fatalf("round trip through String() %q changed the parameters:\n got %s\nwant %s", s, fzDump(q), fzDump(p))
		}
		if q.String() != s {
			t.Fatalf("String() is not stable: %q then %q", s, q.String())
		}
	})
}

func fzDump(p *Params) string {
	return fmt.Sprintf("keyId=%q algorithm=%q headers=%q (set %v) signature=%q created=%q expires=%q",
		p.KeyID, p.Algorithm, p.Headers, p.HeadersSet, p.Signature, p.Created, p.Expires)
}

var fzKeyIDSeeds = []string{
	"SN=9FA1,CA=CN=D-TRUST%20CA%202-1%202015,O=D-Trust%20GmbH,C=DE",
	"SN=00E62A8BB30907C2BA, CA=CN=Test QTSP CA 2-1,O=Test Trust Services,C=FI",
	"sn=e62a8bb30907c2ba,ca=C=FI,O=Test Trust Services,CN=Test QTSP CA 2-1",
	"SN=16585222178812183226,CA=CN=Test\\, QTSP,C=FI",
	"SN=1, CA=CN=a,CA=b",
	"SN=9FA1",
	"9FA1,CA=x",
	"SN=ı,CA=x",
	"",
}

func FuzzParseKeyID(f *testing.F) {
	tc := newTestCert(f)
	for _, s := range fzKeyIDSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m := MatchKeyID(s, tc.Cert) // must not panic, whatever the keyId
		sn, ca, err := ParseKeyID(s)
		if err != nil {
			if m.OK() || m.Problem == "" {
				t.Fatalf("ParseKeyID fails (%v) but MatchKeyID = %+v", err, m)
			}
			return
		}
		if !strings.Contains(s, sn) || !strings.HasSuffix(strings.TrimSpace(s), ca) {
			t.Fatalf("ParseKeyID(%q) = %q, %q: not parts of the input", s, sn, ca)
		}
		sn2, ca2, err := ParseKeyID("SN=" + sn + ",CA=" + ca)
		if err != nil || sn2 != sn || ca2 != ca {
			t.Fatalf("ParseKeyID(%q) = %q, %q; rebuilt it gives %q, %q, %v", s, sn, ca, sn2, ca2, err)
		}
		if m.OK() && m.Problem != "" {
			t.Fatalf("MatchKeyID(%q) is OK but has a problem: %q", s, m.Problem)
		}
	})
}

// fzRequests are whole requests for FuzzVerify: correctly signed ones, ones
// with the usual mistakes, the draft's example and malformed ones.
func fzRequests(t testing.TB) [][]byte {
	tc := newTestCert(t)
	var out [][]byte
	add := func(m *httpmsg.Request) {
		var b bytes.Buffer
		if _, err := m.WriteTo(&b); err != nil {
			t.Fatal(err)
		}
		out = append(out, b.Bytes())
	}
	sign := func(s *Signer, m *httpmsg.Request) *httpmsg.Request {
		if _, err := s.Sign(m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	ok := sign(&Signer{Key: tc.Key, Cert: tc.Cert}, sampleRequest())
	add(ok)
	withPSU := sampleRequest()
	withPSU.Header = append(withPSU.Header,
		httpmsg.Field{Name: "PSU-ID", Value: "PSU-1234"},
		httpmsg.Field{Name: "TPP-Redirect-URI", Value: "https://tpp.example/cb?state=1"})
	add(sign(&Signer{Key: tc.Key, Cert: tc.Cert, KeyID: KeyIDFormat{Serial: SerialDecimal, DN: DNX509Order}}, withPSU))
	get := &httpmsg.Request{Method: "GET", Target: "/v1/accounts?withBalance=true", Proto: "HTTP/1.1", Header: []httpmsg.Field{
		{Name: "Host", Value: "api.example.com"}, {Name: "X-Request-ID", Value: "5c8b2f49-2d3a-4f3e-9f0e-8c1a1b2c3d4e"}, {Name: "Consent-ID", Value: "c-1"},
	}}
	add(sign(&Signer{Key: tc.Key, Cert: tc.Cert, Digest: DigestSHA512}, get))
	generic := sampleRequest()
	generic.Header = append(generic.Header, httpmsg.Field{Name: "Date", Value: "Sun, 05 Jan 2014 21:31:40 GMT"})
	add(sign(&Signer{Key: tc.Key, Cert: tc.Cert, Profile: ProfileGeneric, Headers: []string{"(request-target)", "host", "date", "digest", "x-request-id"}}, generic))
	// Mistakes: re-signed by otherKey, header order, a body changed after signing.
	wrongKey := sign(&Signer{Key: otherKey, KeyIDOverride: mtKeyID, Profile: ProfileGeneric, Headers: []string{"x-request-id", "digest"}}, sampleRequest())
	wrongKey.Set("TPP-Signature-Certificate", mtB64(tc.Cert.Raw))
	add(wrongKey)
	changed := ok.Clone()
	changed.Body = append(changed.Body, '\n')
	add(changed)
	swapped := ok.Clone()
	p, _ := ParseSignature(swapped.Get("Signature"))
	p.Headers = []string{"digest", "x-request-id"}
	swapped.Set("Signature", p.String())
	add(swapped)
	out = append(out,
		[]byte("POST /foo?param=value&pet=dog HTTP/1.1\r\nHost: example.com\r\nDate: Sun, 05 Jan 2014 21:31:40 GMT\r\nContent-Type: application/json\r\n"+
			"Digest: SHA-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=\r\nContent-Length: 18\r\n"+
			`Signature: keyId="Test",algorithm="rsa-sha256",headers="(request-target) host date",signature="qdx+H7PHHDZgy4y/Ahn9Tny9V3GP6YgBPyUXMmoxWtLbHpUnXS2mg2+SmrGdGRgFSCMDOetO5kWbQnNrV6Ul2gtnc3xKZxZYuqiQhE0qjK4pWK8cGoT9kzxi6uzKoWdYMfW2cjAg6cIrNs1hRhaw0JtuGk58pLlg8XY4SYFX9tE="`+
			"\r\n\r\n{\"hello\": \"world\"}"),
		[]byte("GET /v1/accounts\nX-Request-ID: 1\nSignature: keyId=\"SN=\xff,CA=x\",signature=\"AAAA\"\nDigest: SHA-256=\n\n"),
		[]byte("GET / HTTP/1.1\r\nSignature: a\r\nSignature: b\r\n\r\n"),
		[]byte("POST / HTTP/1.1\r\nContent-Length: 99\r\n\r\nshort"),
		[]byte("GET / HTTP/1.1\r\nTPP-Signature-Certificate: -----BEGIN CERTIFICATE-----AAAA-----END CERTIFICATE-----\r\n\r\n"),
	)
	return out
}

func FuzzVerify(f *testing.F) {
	tc := newTestCert(f)
	for _, raw := range fzRequests(f) {
		for mode := range uint8(6) {
			f.Add(raw, mode)
		}
	}
	now := func() time.Time { return tc.Cert.NotBefore.Add(time.Minute) }
	opts := []VerifyOptions{
		{Cert: tc.Cert, Now: now},
		{Profile: ProfileGeneric, Now: now},
		{PublicKey: &tc.Key.PublicKey, Profile: ProfileGeneric, Now: now, KeyIDFormat: &DefaultKeyIDFormat},
	}
	// Every bank's rules, as sign verify --bank and the sandbox apply them.
	for _, b := range Banks {
		o := b.VerifyOptions()
		o.Cert, o.Now = tc.Cert, now
		opts = append(opts, o)
	}
	// mode picks the options; one Verify per input keeps executions, and
	// the minimisation of new inputs, fast.
	f.Fuzz(func(t *testing.T, raw []byte, mode uint8) {
		m, err := httpmsg.Parse(raw)
		if err != nil {
			return
		}
		d := Verify(m, opts[int(mode)%len(opts)])
		if d == nil {
			t.Fatal("Verify returned nil")
		}
		failed := slices.ContainsFunc(d.Checks, func(c Check) bool { return c.Status == Fail })
		if d.Valid && failed {
			t.Fatalf("Valid with a failing check: %+v", d.Checks)
		}
		if d.Check(CheckSignatureHeader) == nil || d.Check(CheckSignature) == nil {
			t.Fatalf("the signature-header and signature checks are always reported: %+v", d.Checks)
		}
		if d.Valid && d.Check(CheckSignature).Status != Pass {
			t.Fatalf("Valid without a passing signature: %+v", d.Checks)
		}
	})
}

// TestFuzzVerifySeeds makes sure the signed seeds are what they claim: the
// fuzzer starts from requests that verify.
func TestFuzzVerifySeeds(t *testing.T) {
	tc := newTestCert(t)
	reqs := fzRequests(t)
	for i, want := range []bool{true, true, true, true, false, false, false} {
		m, err := httpmsg.Parse(reqs[i])
		if err != nil {
			t.Fatalf("seed %d: %v", i, err)
		}
		opt := VerifyOptions{Cert: tc.Cert}
		if i == 3 {
			opt.Profile = ProfileGeneric
		}
		if d := Verify(m, opt); d.Valid != want {
			t.Errorf("seed %d: Valid = %v; want %v (causes %+v)", i, d.Valid, want, d.Causes)
		}
	}
}
