package httpsig

import (
	"encoding/base64"
	"net/http"
	"strings"
	"testing"
	"time"

	gofed "github.com/go-fed/httpsig"
	"github.com/xs2a-dev/xs2a/pkg/httpmsg"
)

var adorsysForm = KeyIDFormat{Serial: SerialLowerHex, DN: DNPercent}

func adorsysOptions() VerifyOptions {
	return VerifyOptions{KeyIDFormat: &adorsysForm, RequireHeaders: []string{"date"}}
}

func TestNamedKeyIDForms(t *testing.T) {
	tc := newTestCert(t)
	for _, tt := range []struct{ name, keyID string }{
		{"enfuce", "SN=00E62A8BB30907C2BA,CA=CN=Test%20QTSP%20CA%202-1,O=Test%20Trust%20Services,C=FI"},
		{"adorsys", "SN=e62a8bb30907c2ba,CA=CN=Test%20QTSP%20CA%202-1,O=Test%20Trust%20Services,C=FI"},
		{"berlin-group", "SN=E62A8BB30907C2BA,CA=CN=Test%20QTSP%20CA%202-1,O=Test%20Trust%20Services,C=FI"},
	} {
		f, err := ParseKeyIDFormName(tt.name)
		if err != nil {
			t.Fatal(err)
		}
		if got, _ := KeyID(tc.Cert, f); got != tt.keyID {
			t.Errorf("%s: keyId %q; want %q", tt.name, got, tt.keyID)
		}
		if KeyIDFormName(f) != tt.name {
			t.Errorf("KeyIDFormName(%v) = %q; want %q", f, KeyIDFormName(f), tt.name)
		}
	}
	if _, err := ParseKeyIDFormName("octal"); err == nil || !strings.Contains(err.Error(), "one of enfuce, adorsys, berlin-group") {
		t.Errorf("unknown name: %v", err)
	}
	if KeyIDFormName(KeyIDFormat{Serial: SerialDecimal, DN: DNX509Order}) != "" {
		t.Error("an unnamed combination has a name")
	}
}

func TestSignDate(t *testing.T) {
	tc := newTestCert(t)
	at := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
	m := sampleRequest()
	res, err := (&Signer{Key: tc.Key, Cert: tc.Cert, KeyID: adorsysForm, SignDate: true, Now: func() time.Time { return at }}).Sign(m)
	if err != nil {
		t.Fatal(err)
	}
	if res.Date != "Tue, 01 Dec 2026 08:00:00 GMT" || m.Get("Date") != res.Date {
		t.Errorf("Date added %q, header %q", res.Date, m.Get("Date"))
	}
	if got := strings.Join(res.Params.Headers, " "); got != "x-request-id digest date" {
		t.Errorf("headers %q", got)
	}
	if !strings.HasSuffix(res.SigningString, "\ndate: Tue, 01 Dec 2026 08:00:00 GMT") {
		t.Errorf("signing string %q", res.SigningString)
	}
	d := Verify(m.Clone(), adorsysOptions())
	if !d.Valid {
		logChecks(t, d)
		t.Fatal("adorsys-form signature with date rejected by the adorsys rules")
	}
	// The enfuce rules (the plain profile) do not allow date.
	if d := Verify(m.Clone(), VerifyOptions{}); d.Valid || !strings.Contains(d.Check(CheckHeaders).Detail, `"date" is not allowed`) {
		t.Errorf("profile without date: valid %v, header check %+v", d.Valid, d.Check(CheckHeaders))
	}
	// An existing Date is kept, not replaced.
	m2 := sampleRequest()
	m2.Set("Date", "Mon, 30 Nov 2026 23:59:59 GMT")
	res2, err := (&Signer{Key: tc.Key, Cert: tc.Cert, SignDate: true}).Sign(m2)
	if err != nil {
		t.Fatal(err)
	}
	if res2.Date != "" || m2.Get("Date") != "Mon, 30 Nov 2026 23:59:59 GMT" {
		t.Errorf("existing Date replaced: added %q, now %q", res2.Date, m2.Get("Date"))
	}
	// go-fed/httpsig, the independent implementation, verifies it too.
	r := oracleToHTTP(t, m)
	ver, err := gofed.NewVerifier(r)
	if err != nil {
		t.Fatal(err)
	}
	if err := ver.Verify(&tc.Key.PublicKey, gofed.RSA_SHA256); err != nil {
		t.Errorf("go-fed rejects the adorsys-form signature with date: %v", err)
	}
	r.Header.Set("Date", "Wed, 02 Dec 2026 08:00:00 GMT")
	if ver, err := gofed.NewVerifier(r); err != nil {
		t.Fatal(err)
	} else if ver.Verify(&tc.Key.PublicKey, gofed.RSA_SHA256) == nil {
		t.Error("go-fed verified a request whose Date changed after signing")
	}
}

func TestTransportAddsDate(t *testing.T) {
	tc := newTestCert(t)
	var seen http.Header
	tr := &Transport{Signer: &Signer{Key: tc.Key, Cert: tc.Cert, SignDate: true}, Base: rtFunc(func(r *http.Request) (*http.Response, error) {
		seen = r.Header.Clone()
		return &http.Response{StatusCode: 204, Body: http.NoBody, Request: r}, nil
	})}
	req, _ := http.NewRequest("GET", "https://api.example.com/v1/accounts", nil)
	if _, err := tr.RoundTrip(req); err != nil {
		t.Fatal(err)
	}
	if _, err := http.ParseTime(seen.Get("Date")); err != nil {
		t.Errorf("sent Date %q: %v", seen.Get("Date"), err)
	}
	if !strings.Contains(seen.Get("Signature"), `headers="x-request-id digest date"`) {
		t.Errorf("Signature %q", seen.Get("Signature"))
	}
	if req.Header.Get("Date") != "" {
		t.Error("the caller's request was modified")
	}
}

type rtFunc func(*http.Request) (*http.Response, error)

func (f rtFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func logChecks(t *testing.T, d *Diagnosis) {
	t.Helper()
	for _, c := range d.Checks {
		t.Logf("%s %s: %s (expected %q got %q)", c.Status, c.ID, c.Detail, c.Expected, c.Got)
	}
	for _, c := range d.Causes {
		t.Logf("cause %s: %s; fix %s", c.ID, c.Summary, c.Fix)
	}
}

// The adorsys rules against the default signature: both the keyId form and
// the missing date are named, with what was expected, what came, and the
// xs2a settings that fix it.
func TestAdorsysRulesExplainTheDefaultSignature(t *testing.T) {
	tc := newTestCert(t)
	m := sampleRequest()
	if _, err := (&Signer{Key: tc.Key, Cert: tc.Cert}).Sign(m); err != nil {
		t.Fatal(err)
	}
	d := Verify(m, adorsysOptions())
	if d.Valid {
		t.Fatal("der-hex keyId without date accepted by the adorsys rules")
	}
	k := d.Check(CheckKeyID)
	if k.Status != Fail || !strings.HasPrefix(k.Expected, "SN=e62a8bb30907c2ba,CA=CN=Test%20QTSP") || !strings.HasPrefix(k.Got, "SN=00E62A8BB30907C2BA,") ||
		!strings.Contains(k.Detail, "serial written as der-hex, issuer DN as rfc4514-pct") || !strings.Contains(k.Detail, "keyId form adorsys") {
		t.Errorf("keyId check %+v", k)
	}
	h := d.Check(CheckHeaders)
	if h.Status != Fail || h.Expected != "x-request-id digest date (any order)" ||
		!strings.Contains(h.Detail, `"date" must be signed (this ASPSP requires it) and the request has no Date header`) {
		t.Errorf("header check %+v", h)
	}
	fixes := map[string]string{}
	for _, c := range d.Causes {
		fixes[c.ID] = c.Fix
	}
	if !strings.Contains(fixes["keyid-form"], "--keyid-form adorsys (profile: signing.keyid_form: adorsys)") {
		t.Errorf("keyid-form fix %q", fixes["keyid-form"])
	}
	if !strings.Contains(fixes["date-unsigned"], "--sign-date") || !strings.Contains(fixes["date-unsigned"], "signing.sign_date: true") {
		t.Errorf("date fix %q", fixes["date-unsigned"])
	}
	// The signature itself is fine: only the rules fail.
	if d.Check(CheckSignature).Status != Pass {
		t.Errorf("signature check %+v", d.Check(CheckSignature))
	}
}

// The exact form is compared as a string: the right serial in an unusual
// spelling is the right certificate, but not the form.
func TestExactKeyIDFormIsAString(t *testing.T) {
	tc := newTestCert(t)
	want, _ := KeyID(tc.Cert, adorsysForm)
	for _, kid := range []string{
		strings.Replace(want, "SN=e62a", "SN=E62a", 1), // mixed case
		strings.Replace(want, "SN=", "SN=00", 1),       // lower-case with the DER zero
		strings.ReplaceAll(want, "%20", " "),           // rfc4514
	} {
		m := sampleRequest()
		m.Set("Date", dateExample)
		if _, err := (&Signer{Key: tc.Key, Cert: tc.Cert, KeyIDOverride: kid, SignDate: true}).Sign(m); err != nil {
			t.Fatal(err)
		}
		d := Verify(m.Clone(), adorsysOptions())
		if c := d.Check(CheckKeyID); d.Valid || c.Status != Fail || c.Expected != want {
			t.Errorf("keyId %q: valid %v, check %+v", kid, d.Valid, c)
		}
		// Without an exact form every spelling of the right certificate passes.
		if d := Verify(m.Clone(), VerifyOptions{RequireHeaders: []string{"date"}}); !d.Valid {
			logChecks(t, d)
			t.Errorf("keyId %q rejected without an exact form", kid)
		}
	}
	m := sampleRequest()
	if _, err := (&Signer{Key: tc.Key, Cert: tc.Cert, KeyIDOverride: strings.Replace(want, "SN=e62a", "SN=E62a", 1)}).Sign(m); err != nil {
		t.Fatal(err)
	}
	if c := Verify(m, VerifyOptions{}).Check(CheckKeyID); c.Status != Pass || !strings.Contains(c.Detail, "serial written as a variant of hex") {
		t.Errorf("mixed-case serial: %+v", c)
	}
	// Lenient accepts it and warns: string-comparing ASPSPs would not.
	if d := Verify(m, VerifyOptions{Lenient: true}); !d.Valid || d.Check(CheckKeyID).Status != Warn ||
		!strings.Contains(d.Check(CheckKeyID).Detail, "compares the keyId as a string will not find") {
		t.Errorf("lenient, mixed-case serial: valid %v, %+v", d.Valid, d.Check(CheckKeyID))
	}
}

func TestLenient(t *testing.T) {
	tc := newTestCert(t)
	// Everything a strict ASPSP refuses short of the cryptography: a header
	// list with an extra header and without psu-id, a keyId form other than
	// the one wanted, an X-Request-ID that is not a UUID, rsa-sha512 with a
	// SHA-256 certificate.
	sloppy := func() *httpmsg.Request {
		m := sampleRequest()
		m.Set("X-Request-ID", "12345")
		m.Set("PSU-ID", "1345611")
		s := &Signer{Key: tc.Key, Cert: tc.Cert, Profile: ProfileGeneric, Algorithm: RSASHA512, KeyID: KeyIDFormat{Serial: SerialDecimal, DN: DNX509Order},
			Headers: []string{"x-request-id", "digest", "content-type"}}
		if _, err := s.Sign(m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	strict := Verify(sloppy(), VerifyOptions{KeyIDFormat: &DefaultKeyIDFormat})
	if strict.Valid {
		t.Fatal("the strict profile accepts the sloppy request")
	}
	d := Verify(sloppy(), VerifyOptions{KeyIDFormat: &DefaultKeyIDFormat, Lenient: true})
	if !d.Valid {
		logChecks(t, d)
		t.Fatal("lenient rejects a request whose cryptography holds")
	}
	warned := map[string]string{}
	for _, c := range d.Warnings() {
		warned[c.ID] = c.Detail
	}
	for id, want := range map[string]string{
		CheckHeaders:   `"psu-id" is in the request, so it must be signed; "content-type" is not allowed`,
		CheckKeyID:     "serial written as decimal, issuer DN as x509-order",
		CheckRequestID: "requires a UUID",
		CheckAlgorithm: "the certificate is signed with SHA256-RSA",
	} {
		if !strings.Contains(warned[id], want) {
			t.Errorf("warning %s = %q; want it to contain %q", id, warned[id], want)
		}
	}
	if len(d.Causes) != 0 {
		t.Errorf("causes for a valid request: %+v", d.Causes)
	}

	// The cryptography still must hold: a body changed after signing, an
	// unsigned digest, another key.
	m := sloppy()
	m.Body = append(m.Body[:len(m.Body)-1:len(m.Body)-1], ' ', '}')
	if d := Verify(m, VerifyOptions{Lenient: true}); d.Valid || d.Check(CheckDigest).Status != Fail {
		t.Errorf("lenient accepts a changed body: %+v", d.Check(CheckDigest))
	}
	m = sampleRequest()
	if _, err := (&Signer{Key: tc.Key, Cert: tc.Cert, Profile: ProfileGeneric, Headers: []string{"x-request-id"}}).Sign(m); err != nil {
		t.Fatal(err)
	}
	m.Set("Digest", Digest(DigestSHA256, m.Body))
	if d := Verify(m, VerifyOptions{Lenient: true}); d.Valid || d.Check(CheckHeaders).Status != Fail ||
		!strings.Contains(d.Check(CheckHeaders).Detail, "without it the signature does not cover the body") {
		t.Errorf("lenient accepts an unsigned digest: %+v", d.Check(CheckHeaders))
	}
	m = sampleRequest()
	kid, _ := KeyID(tc.Cert, DefaultKeyIDFormat)
	if _, err := (&Signer{Key: otherKey, KeyIDOverride: kid, Profile: ProfileGeneric, Headers: []string{"x-request-id", "digest"}}).Sign(m); err != nil {
		t.Fatal(err)
	}
	m.Set("TPP-Signature-Certificate", base64.StdEncoding.EncodeToString(tc.Cert.Raw))
	if d := Verify(m, VerifyOptions{Lenient: true}); d.Valid || d.Check(CheckSignature).Status != Fail {
		t.Errorf("lenient accepts another key's signature: %+v", d.Check(CheckSignature))
	}
}
