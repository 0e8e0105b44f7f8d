package httpsig

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xs2a-dev/xs2a/pkg/httpmsg"
	"github.com/xs2a-dev/xs2a/pkg/text"
)

// The keyId of the test certificate written by hand in every serial and DN
// form, so that the table below does not trust KeyID to build its inputs.
var (
	mtSerials = map[SerialForm]string{
		SerialDERHex:   "00E62A8BB30907C2BA",
		SerialHex:      "E62A8BB30907C2BA",
		SerialLowerHex: "e62a8bb30907c2ba",
		SerialDecimal:  "16585222178812183226",
	}
	mtDNs = map[DNForm]string{
		DNPercent:          "CN=Test%20QTSP%20CA%202-1,O=Test%20Trust%20Services,C=FI",
		DNRFC4514:          "CN=Test QTSP CA 2-1,O=Test Trust Services,C=FI",
		DNX509Order:        "C=FI,O=Test Trust Services,CN=Test QTSP CA 2-1",
		DNX509OrderPercent: "C=FI,O=Test%20Trust%20Services,CN=Test%20QTSP%20CA%202-1",
	}
	mtKeyID = "SN=" + mtSerials[SerialDERHex] + ",CA=" + mtDNs[DNPercent]
)

const mtHeaders = "x-request-id digest"

// mtLine is one correct signing-string line built by hand: the lower-cased
// name, ": ", and every value of the header joined by ", ".
func mtLine(m *httpmsg.Request, name string) string {
	lname := strings.ToLower(name)
	if lname == RequestTarget {
		return RequestTarget + ": " + strings.ToLower(m.Method) + " " + m.Target
	}
	return lname + ": " + strings.Join(m.Values(name), ", ")
}

// mtString is the correct signing string for a space-separated header list.
func mtString(m *httpmsg.Request, headers string) string {
	var lines []string
	for _, h := range strings.Fields(headers) {
		lines = append(lines, mtLine(m, h))
	}
	return strings.Join(lines, "\n")
}

func mtB64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

func mtSHA256(b []byte) []byte { s := sha256.Sum256(b); return s[:] }

func mtSHA512(b []byte) []byte { s := sha512.Sum512(b); return s[:] }

// mtPretty and mtCompact reformat the test's own JSON bodies, which are
// valid, so an error is a broken test and panics.
func mtPretty(body []byte, indent string) []byte {
	var b bytes.Buffer
	if err := json.Indent(&b, body, "", indent); err != nil {
		panic(err)
	}
	return b.Bytes()
}

func mtCompact(body []byte) []byte {
	var b bytes.Buffer
	if err := json.Compact(&b, body); err != nil {
		panic(err)
	}
	return b.Bytes()
}

// mtRow is one request, signed by hand with one mistake, and what Verify
// must say about it.
type mtRow struct {
	name string

	// How the request is made and signed. The zero values give a correct
	// Berlin Group request.
	prep    func(m *httpmsg.Request)        // before the digest and the signature
	digest  func(body []byte) string        // Digest header value; nil: SHA-256 of the body
	headers string                          // headers parameter; "": mtHeaders
	ss      func(m *httpmsg.Request) string // the string actually signed; nil: the correct one
	alg     string                          // algorithm parameter; "": rsa-sha256
	hash    crypto.Hash                     // hash actually signed; 0: SHA-256
	key     *rsa.PrivateKey                 // nil: the certificate's key
	pss     bool                            // RSASSA-PSS instead of PKCS#1 v1.5
	keyID   string                          // "": mtKeyID
	after   func(m *httpmsg.Request)        // after signing (proxies, copy-paste)
	opt     VerifyOptions

	// What Verify must answer.
	valid  bool
	fail   []string          // exactly the checks that fail
	warn   []string          // checks that must warn
	cause  string            // the first cause about this mistake; "": no causes at all
	also   []string          // further causes that must be listed
	detail map[string]string // check ID → text its Detail must contain
	form   *KeyIDFormat      // Diagnosis.KeyIDForm
}

func mtSign(t *testing.T, tc testCert, r mtRow) *httpmsg.Request {
	t.Helper()
	m := sampleRequest()
	if r.prep != nil {
		r.prep(m)
	}
	dg := "SHA-256=" + mtB64(mtSHA256(m.Body))
	if r.digest != nil {
		dg = r.digest(m.Body)
	}
	m.Header = append(m.Header, httpmsg.Field{Name: "Digest", Value: dg})
	headers := r.headers
	if headers == "" {
		headers = mtHeaders
	}
	ss := mtString(m, headers)
	if r.ss != nil {
		ss = r.ss(m)
	}
	h := r.hash
	if h == 0 {
		h = crypto.SHA256
	}
	key := r.key
	if key == nil {
		key = tc.Key
	}
	hh := h.New()
	hh.Write([]byte(ss))
	var sig []byte
	var err error
	if r.pss {
		sig, err = rsa.SignPSS(rand.Reader, key, h, hh.Sum(nil), nil)
	} else {
		sig, err = rsa.SignPKCS1v15(rand.Reader, key, h, hh.Sum(nil))
	}
	if err != nil {
		t.Fatal(err)
	}
	alg := r.alg
	if alg == "" {
		alg = "rsa-sha256"
	}
	keyID := r.keyID
	if keyID == "" {
		keyID = mtKeyID
	}
	m.Header = append(m.Header,
		httpmsg.Field{Name: "Signature", Value: fmt.Sprintf(`keyId="%s",algorithm="%s",headers="%s",signature="%s"`, keyID, alg, headers, mtB64(sig))},
		httpmsg.Field{Name: "TPP-Signature-Certificate", Value: mtB64(tc.Cert.Raw)},
	)
	if r.after != nil {
		r.after(m)
	}
	return m
}

// mtFamily groups cause IDs by what they are about, so that "the first cause
// about this mistake" can be found among causes about other things.
func mtFamily(id string) string {
	switch {
	case strings.HasPrefix(id, "digest-"):
		return "digest"
	case strings.HasPrefix(id, "keyid-"):
		return "keyid"
	case strings.HasPrefix(id, "header-list-"):
		return "header-list"
	}
	return "signature"
}

func TestMistakeDiagnosis(t *testing.T) {
	tc := newTestCert(t)
	body := sampleRequest().Body
	pretty := mtPretty(body, "  ")
	ref := func(name string) func(m *httpmsg.Request) string {
		return func(m *httpmsg.Request) string { return mtLine(m, name) }
	}
	join := func(parts ...func(m *httpmsg.Request) string) func(m *httpmsg.Request) string {
		return func(m *httpmsg.Request) string {
			var s []string
			for _, p := range parts {
				s = append(s, p(m))
			}
			return strings.Join(s, "\n")
		}
	}
	lit := func(s string) func(m *httpmsg.Request) string { return func(*httpmsg.Request) string { return s } }
	xrid, dig := ref("x-request-id"), ref("digest")
	sig := []string{CheckSignature}
	dgst := []string{CheckDigest}
	setBody := func(b []byte) func(m *httpmsg.Request) { return func(m *httpmsg.Request) { m.Body = b } }
	addHeader := func(name, value string) func(m *httpmsg.Request) {
		return func(m *httpmsg.Request) { m.Header = append(m.Header, httpmsg.Field{Name: name, Value: value}) }
	}
	defaultForm := &KeyIDFormat{Serial: SerialDERHex, DN: DNPercent}
	generic := VerifyOptions{Profile: ProfileGeneric}

	rows := []mtRow{
		{name: "correct request", valid: true, form: defaultForm},
		{name: "correct request in Authorization header", valid: true, form: defaultForm,
			after: func(m *httpmsg.Request) {
				v := m.Get("Signature")
				m.Del("Signature")
				m.Set("Authorization", "Signature "+v)
			}},

		// The signing string.
		{name: "header order swapped", ss: join(dig, xrid), fail: sig, cause: "header-order"},
		{name: "names as in the message", fail: sig, cause: "names-not-lowercased",
			ss: func(m *httpmsg.Request) string {
				return "X-Request-ID: " + m.Get("X-Request-ID") + "\nDigest: " + m.Get("Digest")
			}},
		{name: "names in canonical case", fail: sig, cause: "names-not-lowercased",
			ss: func(m *httpmsg.Request) string {
				return "X-Request-Id: " + m.Get("X-Request-ID") + "\nDigest: " + m.Get("Digest")
			}},
		{name: "lines joined by CRLF", fail: sig, cause: "crlf",
			ss: func(m *httpmsg.Request) string { return mtLine(m, "x-request-id") + "\r\n" + mtLine(m, "digest") }},
		{name: "trailing newline", fail: sig, cause: "trailing-newline",
			ss: func(m *httpmsg.Request) string { return mtString(m, mtHeaders) + "\n" }},
		{name: "trailing CRLF", fail: sig, cause: "trailing-newline",
			ss: func(m *httpmsg.Request) string { return mtString(m, mtHeaders) + "\r\n" }},
		{name: "order swapped and trailing newline", fail: sig, cause: "header-order", also: []string{"trailing-newline"},
			ss: func(m *httpmsg.Request) string { return join(dig, xrid)(m) + "\n" }},
		{name: "(request-target) signed but not listed", fail: sig, cause: "request-target-added",
			ss: join(lit("(request-target): post /v1/consents"), xrid, dig)},
		{name: "(request-target) listed but not signed", headers: "(request-target) x-request-id digest", ss: join(xrid, dig),
			fail: []string{CheckHeaders, CheckSignature}, cause: "request-target-missing",
			detail: map[string]string{CheckHeaders: `"(request-target)" is not allowed in the Berlin Group header list`}},
		{name: "(request-target) listed but not signed, generic", headers: "(request-target) x-request-id digest", ss: join(xrid, dig),
			opt: generic, fail: sig, cause: "request-target-missing"},
		{name: "(Request-Target) listed upper-case but not signed, generic", headers: "(Request-Target) x-request-id digest", ss: join(xrid, dig),
			opt: generic, fail: []string{CheckHeaders, CheckSignature}, cause: "request-target-missing",
			detail: map[string]string{CheckHeaders: `"(Request-Target)" is not lower-case`}},
		{name: "SHA-512 signed, rsa-sha256 declared", hash: crypto.SHA512, fail: sig, cause: "hash-mismatch"},
		{name: "SHA-256 signed, rsa-sha512 declared", alg: "rsa-sha512", fail: []string{CheckAlgorithm, CheckSignature}, cause: "hash-mismatch",
			detail: map[string]string{CheckAlgorithm: "SHA256-RSA"}},
		{name: "signed with another key", key: otherKey, fail: sig, cause: "another-key"},
		{name: "RSA-PSS padding", pss: true, fail: sig, cause: "rsa-pss"},
		{name: "RSA-PSS padding with SHA-512", pss: true, hash: crypto.SHA512, fail: sig, cause: "rsa-pss"},
		{name: "listed header left out", ss: xrid, fail: sig, cause: "header-not-signed"},
		{name: "extra header signed, not listed", ss: join(xrid, dig, lit("psu-ip-address: 192.0.2.1")), fail: sig, cause: "header-signed-unlisted"},

		// The digest (the Digest header as sent is signed correctly).
		{name: "digest in hex", fail: dgst, cause: "digest-hex",
			digest: func(b []byte) string { return "SHA-256=" + hex.EncodeToString(mtSHA256(b)) }},
		{name: "SHA-512 value labelled SHA-256", fail: dgst, cause: "digest-sha-mixup",
			digest: func(b []byte) string { return "SHA-256=" + mtB64(mtSHA512(b)) }},
		{name: "digest over body plus newline", fail: dgst, cause: "digest-trailing-newline",
			digest: func(b []byte) string { return "SHA-256=" + mtB64(mtSHA256(append(append([]byte(nil), b...), '\n'))) }},
		{name: "digest without the newline the body ends with", fail: dgst, cause: "digest-trailing-newline",
			prep:   setBody(append(append([]byte(nil), body...), '\n')),
			digest: func([]byte) string { return "SHA-256=" + mtB64(mtSHA256(body)) }},
		{name: "digest over compact JSON, pretty body sent", prep: setBody(pretty), fail: dgst, cause: "digest-json-reserialised",
			digest: func(b []byte) string { return "SHA-256=" + mtB64(mtSHA256(mtCompact(b))) }},
		{name: "digest over compact JSON from a file with a final newline, pretty body sent", prep: setBody(pretty), fail: dgst, cause: "digest-json-reserialised",
			digest: func(b []byte) string { return "SHA-256=" + mtB64(mtSHA256(append(mtCompact(b), '\n'))) }},
		{name: "digest over pretty JSON, compact body sent", fail: dgst, cause: "digest-json-reserialised",
			digest: func(b []byte) string { return "SHA-256=" + mtB64(mtSHA256(mtPretty(b, "  "))) }},
		{name: "digest over 4-space pretty JSON, compact body sent", fail: dgst, cause: "digest-json-reserialised",
			digest: func(b []byte) string { return "SHA-256=" + mtB64(mtSHA256(mtPretty(b, "    "))) }},
		{name: "digest over tab-indented JSON, compact body sent", fail: dgst, cause: "digest-json-reserialised",
			digest: func(b []byte) string { return "SHA-256=" + mtB64(mtSHA256(mtPretty(b, "\t"))) }},
		{name: "digest over CRLF body, LF body sent", prep: setBody(pretty), fail: dgst, cause: "digest-crlf",
			digest: func(b []byte) string {
				return "SHA-256=" + mtB64(mtSHA256(bytes.ReplaceAll(b, []byte("\n"), []byte("\r\n"))))
			}},
		{name: "digest over LF body, CRLF body sent", prep: setBody(bytes.ReplaceAll(pretty, []byte("\n"), []byte("\r\n"))), fail: dgst, cause: "digest-crlf",
			digest: func(b []byte) string {
				return "SHA-256=" + mtB64(mtSHA256(bytes.ReplaceAll(b, []byte("\r\n"), []byte("\n"))))
			}},
		{name: "digest of the empty body", fail: dgst, cause: "digest-empty-body",
			digest: func([]byte) string { return "SHA-256=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=" }},
		{name: "digest in base64url", fail: dgst, cause: "digest-base64url",
			digest: func(b []byte) string { return "SHA-256=" + base64.RawURLEncoding.EncodeToString(mtSHA256(b)) }},
		{name: "SHA-512 digest, correct", valid: true, form: defaultForm,
			digest: func(b []byte) string { return "SHA-512=" + mtB64(mtSHA512(b)) }},
		{name: "digest algorithm spelled sha-256", valid: true, warn: []string{CheckDigest}, form: defaultForm,
			digest: func(b []byte) string { return "sha-256=" + mtB64(mtSHA256(b)) },
			detail: map[string]string{CheckDigest: `the algorithm is written "sha-256"`}},

		// keyId.
		{name: "keyId with a space before CA=", keyID: "SN=" + mtSerials[SerialDERHex] + ", CA=" + mtDNs[DNPercent], valid: true, form: defaultForm},
		{name: "keyId in another form than the ASPSP wants", opt: VerifyOptions{KeyIDFormat: &KeyIDFormat{Serial: SerialHex, DN: DNRFC4514}},
			fail: []string{CheckKeyID}, cause: "keyid-form", form: defaultForm,
			detail: map[string]string{CheckKeyID: "this ASPSP expects serial as hex and DN as rfc4514"}},
		{name: "keyId of another serial", keyID: "SN=01,CA=" + mtDNs[DNPercent], fail: []string{CheckKeyID}, cause: "keyid-mismatch",
			detail: map[string]string{CheckKeyID: `serial "01" is not the certificate's serial (00E62A8BB30907C2BA in hex, 16585222178812183226 in decimal)`}},
		{name: "keyId of another CA", keyID: "SN=" + mtSerials[SerialDERHex] + ",CA=CN=Other CA,C=DE", fail: []string{CheckKeyID}, cause: "keyid-mismatch",
			detail: map[string]string{CheckKeyID: `CA "CN=Other CA,C=DE" is not the certificate's issuer`}},
		{name: "keyId without CA", keyID: "SN=" + mtSerials[SerialDERHex], fail: []string{CheckKeyID}, cause: "keyid-mismatch",
			detail: map[string]string{CheckKeyID: `has no ",CA=<issuer DN>" part`}},

		// Berlin Group header list rules.
		{name: "digest not signed", headers: "x-request-id", fail: []string{CheckHeaders}, cause: "header-list-missing",
			detail: map[string]string{CheckHeaders: `"digest" must be signed`}},
		{name: "x-request-id not signed", headers: "digest", fail: []string{CheckHeaders}, cause: "header-list-missing",
			detail: map[string]string{CheckHeaders: `"x-request-id" must be signed`}},
		{name: "psu-id present, not signed", prep: addHeader("PSU-ID", "PSU-1234"), fail: []string{CheckHeaders}, cause: "header-list-missing",
			detail: map[string]string{CheckHeaders: `"psu-id" is in the request, so it must be signed`}},
		{name: "psu-id present and signed", prep: addHeader("PSU-ID", "PSU-1234"), headers: "x-request-id digest psu-id", valid: true, form: defaultForm},
		{name: "tpp-redirect-uri signed, then dropped", prep: addHeader("TPP-Redirect-URI", "https://tpp.example/cb"),
			headers: "x-request-id digest tpp-redirect-uri", after: func(m *httpmsg.Request) { m.Del("TPP-Redirect-URI") },
			fail: []string{CheckHeaders, CheckSignature},
			detail: map[string]string{
				CheckHeaders:   `"tpp-redirect-uri" is listed but not in the request`,
				CheckSignature: `cannot build the signing string: header "tpp-redirect-uri"`,
			}},
		{name: "date signed", prep: addHeader("Date", "Sun, 05 Jan 2014 21:31:40 GMT"), headers: "x-request-id digest date", fail: []string{CheckHeaders}, cause: "header-list-extra",
			detail: map[string]string{CheckHeaders: `"date" is not allowed in the Berlin Group header list`}},
		{name: "upper-case name in the list", headers: "X-Request-ID digest", fail: []string{CheckHeaders}, cause: "header-list-not-lowercase",
			detail: map[string]string{CheckHeaders: `"X-Request-ID" is not lower-case`}},
		{name: "header listed twice", headers: "x-request-id digest digest", fail: []string{CheckHeaders}, cause: "header-list-duplicate",
			detail: map[string]string{CheckHeaders: `"digest" is listed twice`}},
		{name: "date signed, generic profile", prep: addHeader("Date", "Sun, 05 Jan 2014 21:31:40 GMT"), headers: "x-request-id digest date",
			opt: generic, valid: true, form: defaultForm},

		// The certificate.
		{name: "certificate expired", opt: VerifyOptions{Now: func() time.Time { return tc.Cert.NotAfter.Add(time.Hour) }},
			fail: []string{CheckValidity}, detail: map[string]string{CheckValidity: "the certificate has expired"}},
		{name: "certificate not yet valid", opt: VerifyOptions{Now: func() time.Time { return tc.Cert.NotBefore.Add(-time.Hour) }},
			fail: []string{CheckValidity}, detail: map[string]string{CheckValidity: "the certificate is not valid yet"}},
		{name: "TPP-Signature-Certificate missing", after: func(m *httpmsg.Request) { m.Del("TPP-Signature-Certificate") },
			fail: []string{CheckCertificate}, detail: map[string]string{CheckCertificate: "no TPP-Signature-Certificate header"}},
		{name: "TPP-Signature-Certificate missing, --cert given", after: func(m *httpmsg.Request) { m.Del("TPP-Signature-Certificate") },
			opt:  VerifyOptions{Cert: tc.Cert},
			fail: []string{CheckCertificate}, form: defaultForm,
			detail: map[string]string{CheckCertificate: "requires TPP-Signature-Certificate whenever there is a Signature"}},
		{name: "TPP-Signature-Certificate not base64", after: func(m *httpmsg.Request) { m.Set("TPP-Signature-Certificate", "not base64 at all!") },
			fail: []string{CheckCertificate}, detail: map[string]string{CheckCertificate: "TPP-Signature-Certificate is not base64"}},
		{name: "TPP-Signature-Certificate base64 of garbage", after: func(m *httpmsg.Request) { m.Set("TPP-Signature-Certificate", mtB64([]byte("hello world"))) },
			fail: []string{CheckCertificate}, detail: map[string]string{CheckCertificate: "TPP-Signature-Certificate is not a DER certificate"}},
		{name: "TPP-Signature-Certificate as PEM with line breaks", valid: true, form: defaultForm,
			after: func(m *httpmsg.Request) {
				b := mtB64(tc.Cert.Raw)
				m.Set("TPP-Signature-Certificate", "-----BEGIN CERTIFICATE-----"+b[:64]+" "+b[64:]+"-----END CERTIFICATE-----")
			}},

		// X-Request-ID and the Signature header itself.
		{name: "X-Request-ID not a UUID", prep: func(m *httpmsg.Request) { m.Set("X-Request-ID", "req-42") },
			valid: true, warn: []string{CheckRequestID}, form: defaultForm},
		{name: "two Signature headers", after: func(m *httpmsg.Request) {
			m.Header = append(m.Header, httpmsg.Field{Name: "signature", Value: m.Get("Signature")})
		},
			fail: []string{CheckSignatureHeader}, detail: map[string]string{CheckSignatureHeader: "exactly one Signature header is allowed"}},
		{name: "Signature header cut off", after: func(m *httpmsg.Request) { v := m.Get("Signature"); m.Set("Signature", v[:len(v)-1]) },
			fail: []string{CheckSignatureHeader}, detail: map[string]string{CheckSignatureHeader: `value of "signature" has no closing quote`}},
	}

	// Every serial form with every DN form verifies and is named.
	for _, sf := range SerialForms {
		for _, df := range DNForms {
			rows = append(rows, mtRow{
				name:  fmt.Sprintf("keyId form %s/%s", sf, df),
				keyID: "SN=" + mtSerials[sf] + ",CA=" + mtDNs[df],
				valid: true, form: &KeyIDFormat{Serial: sf, DN: df},
			})
		}
	}

	for _, r := range rows {
		t.Run(r.name, func(t *testing.T) {
			m := mtSign(t, tc, r)
			d := Verify(m, r.opt)
			defer func() {
				if t.Failed() {
					for _, c := range d.Checks {
						t.Logf("  %-5s %-22s exp=%q got=%q detail=%q", c.Status, c.ID, text.Clip(c.Expected, 80), text.Clip(c.Got, 80), c.Detail)
					}
					for _, c := range d.Causes {
						t.Logf("  cause %s (confirmed=%v): %s", c.ID, c.Confirmed, c.Summary)
					}
				}
			}()
			if d.Valid != r.valid {
				t.Errorf("Valid = %v; want %v", d.Valid, r.valid)
			}
			var failed []string
			for _, c := range d.Checks {
				if c.Status == Fail {
					failed = append(failed, c.ID)
				}
			}
			slices.Sort(failed)
			want := slices.Sorted(slices.Values(r.fail))
			if !slices.Equal(failed, want) {
				t.Errorf("failing checks = %v; want %v", failed, want)
			}
			for _, id := range r.warn {
				if c := d.Check(id); c == nil || c.Status != Warn {
					t.Errorf("check %s = %+v; want status warn", id, c)
				}
			}
			for id, sub := range r.detail {
				if c := d.Check(id); c == nil || !strings.Contains(c.Detail, sub) {
					t.Errorf("check %s = %+v; want its detail to contain %q", id, c, sub)
				}
			}
			if r.cause == "" {
				if len(d.Causes) > 0 {
					t.Errorf("causes = %+v; want none", d.Causes)
				}
			} else {
				var first *Cause
				for i := range d.Causes {
					if mtFamily(d.Causes[i].ID) == mtFamily(r.cause) {
						first = &d.Causes[i]
						break
					}
				}
				switch {
				case first == nil:
					t.Errorf("no %s cause in %+v; want %q", mtFamily(r.cause), d.Causes, r.cause)
				case first.ID != r.cause:
					t.Errorf("first %s cause = %q (%s); want %q", mtFamily(r.cause), first.ID, first.Summary, r.cause)
				case !first.Confirmed:
					t.Errorf("cause %q is not confirmed", first.ID)
				}
			}
			for _, id := range r.also {
				if !slices.ContainsFunc(d.Causes, func(c Cause) bool { return c.ID == id && c.Confirmed }) {
					t.Errorf("causes %+v lack confirmed %q", d.Causes, id)
				}
			}
			if r.form != nil {
				if d.KeyIDForm == nil || *d.KeyIDForm != *r.form {
					t.Errorf("KeyIDForm = %+v; want %+v", d.KeyIDForm, *r.form)
				}
			}
		})
	}
}

// TestKeyIDFormsByHand checks that KeyID writes the hand-written forms the
// table above relies on.
func TestKeyIDFormsByHand(t *testing.T) {
	tc := newTestCert(t)
	for sf, sn := range mtSerials {
		for df, dn := range mtDNs {
			got, err := KeyID(tc.Cert, KeyIDFormat{Serial: sf, DN: df})
			if err != nil {
				t.Fatal(err)
			}
			if want := "SN=" + sn + ",CA=" + dn; got != want {
				t.Errorf("KeyID(%s/%s) = %q; want %q", sf, df, got, want)
			}
		}
	}
	if got, _ := KeyID(tc.Cert, KeyIDFormat{}); got != mtKeyID {
		t.Errorf("KeyID(zero format) = %q; want the default %q", got, mtKeyID)
	}
}
