package sandbox

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/xs2a-dev/xs2a/pkg/httplog"
	"github.com/xs2a-dev/xs2a/pkg/httpsig"
)

// The memory keeps the newest records: the oldest go first, and a request
// ID sent again counts as new.
func TestRejectionsBounded(t *testing.T) {
	s := startSandbox(t, Options{Remember: 3, RatePerSecond: -1, RatePerDay: -1})
	p := bankTPP(t, s)
	var ids []string
	unsigned := func(rid string) {
		t.Helper()
		a := do(t, p.plain, p.request("GET", "/v1/card-accounts", "", nil, map[string]string{"X-Request-ID": rid}))
		wantAPIError(t, a, http.StatusUnauthorized, CodeSignatureMissing, "")
	}
	for range 5 {
		ids = append(ids, uuid.NewString())
		unsigned(ids[len(ids)-1])
	}
	for i, id := range ids {
		a, rec := p.record(id)
		if i < 2 {
			wantAPIError(t, a, http.StatusNotFound, CodeResourceUnknown, "", "the sandbox keeps the newest 3")
			continue
		}
		if rec == nil || rec.RequestID != id || rec.Status != 401 || rec.Messages[0].Code != CodeSignatureMissing {
			t.Errorf("record %d: %d %+v", i, a.status, rec)
		}
	}
	// ids[2] again: now the newest, so the next rejection drops ids[3].
	unsigned(ids[2])
	unsigned(uuid.NewString())
	for id, want := range map[string]int{ids[2]: 200, ids[3]: 404, ids[4]: 200} {
		if a, _ := p.record(id); a.status != want {
			t.Errorf("%s: %d; want %d", id, a.status, want)
		}
	}
	if n := s.memory.len(); n != 3 {
		t.Errorf("%d records kept; want 3", n)
	}
}

// What is kept: the request as received with its secrets fingerprinted,
// the diagnosis, the answer.
func TestRejectionRecord(t *testing.T) {
	s := startSandbox(t, Options{RatePerSecond: -1, RatePerDay: -1})
	p := bankTPP(t, s)
	tok := p.clientToken()
	// A body changed after signing.
	c := signing(tamper{base: mtlsTransport(s, s.Certs.QWAC)}, s.Certs.QSeal)
	req := p.request("POST", "/v1/consents", tok, consentBody(nil), map[string]string{"PSU-ID": "1345611"})
	rid := req.Header.Get("X-Request-ID")
	a := do(t, c, req)
	wantAPIError(t, a, http.StatusUnauthorized, CodeSignatureInvalid, "")
	ra, rec := p.record(rid)
	if rec == nil {
		t.Fatalf("no record: %d %s", ra.status, ra.body)
	}
	if ra.header.Get("Content-Type") != "application/json" {
		t.Errorf("Content-Type %q", ra.header.Get("Content-Type"))
	}
	if rec.Method != "POST" || rec.Path != "/v1/consents" || rec.Status != 401 || rec.Accepted || rec.Dialect != "enfuce" ||
		rec.OrganizationID != s.DefaultApp.OrganizationID || rec.Time.IsZero() {
		t.Errorf("record head: %+v", rec)
	}
	if rec.Diagnosis == nil || rec.Diagnosis.Valid || rec.Diagnosis.Check(httpsig.CheckDigest).Status != httpsig.Fail {
		t.Fatalf("diagnosis: %+v", rec.Diagnosis)
	}
	m := rec.Request.Message()
	if m.Method != "POST" || m.Target != "/v1/consents" || !strings.Contains(string(m.Body), `"frequencyPerDay":3`) || m.Get("PSU-ID") != "1345611" || m.Get("Signature") == "" {
		t.Errorf("request as received: %+v", m)
	}
	if got, want := m.Get("Authorization"), "Bearer "+httplog.Redact(tok); got != want {
		t.Errorf("Authorization kept as %q; want %q", got, want)
	}
	if got, want := m.Get("X-API-Key"), httplog.Redact(s.DefaultApp.APIKey); got != want {
		t.Errorf("API key kept as %q; want %q", got, want)
	}
	if strings.Contains(string(ra.body), tok) || strings.Contains(string(ra.body), s.DefaultApp.APIKey) {
		t.Error("the record shows the token or the API key")
	}
	// Verifying the kept request again reaches the same verdict.
	if d := httpsig.Verify(m, httpsig.VerifyOptions{}); d.Valid || d.Check(httpsig.CheckDigest).Expected != rec.Diagnosis.Check(httpsig.CheckDigest).Expected {
		t.Errorf("re-verifying the kept request: %+v", d.Check(httpsig.CheckDigest))
	}

	// A signed Authorization header (lenient) is fingerprinted in the
	// signing string too.
	ls := startSandbox(t, Options{Dialect: DialectLenient, RatePerSecond: -1, RatePerDay: -1})
	lp := bankTPP(t, ls)
	ltok := lp.clientToken()
	lc := signerClient(t, ls, func(sg *httpsig.Signer) {
		sg.Profile, sg.Headers = httpsig.ProfileGeneric, []string{"x-request-id", "digest", "authorization"}
	})
	req = lp.request("POST", "/v1/consents", ltok, consentBody(nil), nil)
	rid = req.Header.Get("X-Request-ID")
	wantStatus(t, do(t, lc, req), http.StatusCreated)
	ra, rec = lp.record(rid)
	if rec == nil || !rec.Accepted || !strings.Contains(rec.Diagnosis.SigningString, "authorization: Bearer "+httplog.Redact(ltok)) || strings.Contains(string(ra.body), ltok) {
		t.Errorf("lenient record of a signed Authorization: %s", ra.body)
	}
	// An X-Request-ID that is not a UUID: a warning (once), not FORMAT_ERROR.
	req = lp.request("POST", "/v1/consents", ltok, consentBody(nil), map[string]string{"X-Request-ID": "12345"})
	wantStatus(t, do(t, lp.signed, req), http.StatusCreated)
	if _, rec := lp.record("12345"); rec == nil || !rec.Accepted || len(rec.Warnings) != 1 || rec.Warnings[0] != `x-request-id: X-Request-ID "12345" is not a UUID` {
		t.Errorf("lenient record of a non-UUID X-Request-ID: %+v", rec)
	}
}

// Only the organisation that sent a request reads its record; a rejection
// before the TPP was known is readable by any trusted QWAC; no QWAC, an
// untrusted one, or a malformed id get Berlin Group errors.
func TestRejectionAccess(t *testing.T) {
	s := startSandbox(t, otherOrgOptions(t, Options{RatePerSecond: -1, RatePerDay: -1}))
	bank, other := bankTPP(t, s), otherTPP(t, s)

	rid := uuid.NewString()
	wantAPIError(t, do(t, bank.plain, bank.request("GET", "/v1/card-accounts", "", nil, map[string]string{"X-Request-ID": rid})),
		http.StatusUnauthorized, CodeSignatureMissing, "")
	if a, rec := bank.record(rid); rec == nil {
		t.Errorf("the sender cannot read its record: %d %s", a.status, a.body)
	}
	a, _ := other.record(rid)
	wantAPIError(t, a, http.StatusForbidden, CodeResourceUnknown, "", "came from another TPP")
	if strings.Contains(string(a.body), s.DefaultApp.OrganizationID) {
		t.Error("the refusal names the other organisation")
	}

	// Rejected before the TPP was identified: the X-Request-ID is not a UUID,
	// so easy to guess; the handshake's certificate binds the record.
	wantAPIError(t, do(t, bank.signed, bank.request("GET", "/v1/card-accounts", "", nil, map[string]string{"X-Request-ID": "12345"})),
		http.StatusBadRequest, CodeFormatError, "X-Request-ID")
	if a, rec := bank.record("12345"); rec == nil || rec.OrganizationID != s.DefaultApp.OrganizationID || rec.Diagnosis != nil || rec.Messages[0].Code != CodeFormatError {
		t.Errorf("record of a rejection before identification: %d %s", a.status, a.body)
	}
	a, _ = other.record("12345")
	wantAPIError(t, a, http.StatusForbidden, CodeResourceUnknown, "", "came from another TPP")
	// A certificate of an untrusted CA naming the organisation is not the
	// TPP (any CA can name any organisation): only that certificate
	// could read the record.
	refused := newParty(t, s, s.DefaultApp, extraSet(t, "same-org").QWAC, s.Certs.QSeal)
	wantAPIError(t, do(t, refused.plain, refused.request("GET", "/v1/card-accounts", "", nil, map[string]string{"X-Request-ID": "123456"})),
		http.StatusBadRequest, CodeFormatError, "X-Request-ID")
	a, _ = bank.record("123456")
	wantAPIError(t, a, http.StatusForbidden, CodeResourceUnknown, "", "came from another TPP")
	a, _ = other.record("123456")
	wantAPIError(t, a, http.StatusForbidden, CodeResourceUnknown, "", "came from another TPP")
	// Only a request without any client certificate is readable by any trusted QWAC.
	anon := newParty(t, s, s.DefaultApp, nil, s.Certs.QSeal)
	wantAPIError(t, do(t, anon.plain, anon.request("GET", "/v1/card-accounts", "", nil, map[string]string{"X-Request-ID": "1234567"})),
		http.StatusBadRequest, CodeFormatError, "X-Request-ID")
	if a, rec := other.record("1234567"); rec == nil || rec.OrganizationID != "" {
		t.Errorf("record of a request without a certificate: %d %s", a.status, a.body)
	}
	// An unknown path is a rejection too.
	rid2 := uuid.NewString()
	wantAPIError(t, do(t, bank.signed, bank.request("GET", "/v2/nothing", "", nil, map[string]string{"X-Request-ID": rid2})), http.StatusNotFound, CodeResourceUnknown, "")
	if _, rec := bank.record(rid2); rec == nil || rec.Status != 404 {
		t.Errorf("no record of the 404: %+v", rec)
	}

	// No client certificate; an untrusted QWAC of the same organisation.
	nocert := newParty(t, s, s.DefaultApp, nil, s.Certs.QSeal)
	a, _ = nocert.record(rid)
	wantAPIError(t, a, http.StatusUnauthorized, CodeCertificateMissing, "")
	untrusted := newParty(t, s, s.DefaultApp, extraSet(t, "same-org").QWAC, s.Certs.QSeal)
	a, _ = untrusted.record(rid)
	wantAPIError(t, a, http.StatusUnauthorized, CodeCertificateInvalid, "", "not issued by a QTSP this ASPSP trusts")

	// Malformed and unknown ids; a wrong method.
	a, _ = bank.record("%01x")
	wantAPIError(t, a, http.StatusBadRequest, CodeFormatError, "requestId")
	a, _ = bank.record(strings.Repeat("a", 201))
	wantAPIError(t, a, http.StatusBadRequest, CodeFormatError, "requestId")
	a, _ = bank.record(uuid.NewString())
	wantAPIError(t, a, http.StatusNotFound, CodeResourceUnknown, "")
	req, _ := http.NewRequest("DELETE", s.URL+RejectionsPath+rid, nil)
	a = do(t, bank.plain, req)
	wantAPIError(t, a, http.StatusMethodNotAllowed, CodeServiceInvalid, "")
	if a.header.Get("Allow") != "GET" {
		t.Errorf("Allow %q", a.header.Get("Allow"))
	}
	// The lookups themselves are not remembered.
	var body ErrorBody
	if err := json.Unmarshal(a.body, &body); err != nil {
		t.Fatal(err)
	}
	if n := s.memory.len(); n != 5 {
		t.Errorf("%d records; want the 5 rejections only", n)
	}
}

// Besides the count, the bytes kept are bounded: big bodies push the oldest
// records out sooner; the newest always stays.
func TestRejectionsByteBudget(t *testing.T) {
	m := newRejections(100)
	m.maxBytes = 10_000
	rec := func(id string, body int) *Record {
		return &Record{RequestID: id, Request: &RecordedRequest{Body: strings.Repeat("x", body)}}
	}
	for i := range 4 {
		m.put(rec(fmt.Sprint("small-", i), 100))
	}
	m.put(rec("big", 8_000))
	if m.get("small-0") != nil || m.get("small-1") != nil || m.get("small-3") == nil || m.get("big") == nil {
		t.Errorf("after a big record: %d kept, %d bytes", m.len(), m.bytes)
	}
	m.put(rec("huge", 50_000))
	if m.len() != 1 || m.get("huge") == nil {
		t.Errorf("a record over the whole budget: %d kept; want only it", m.len())
	}
	m.put(rec("huge", 10))
	if m.len() != 1 || m.bytes != rec("huge", 10).size() {
		t.Errorf("replacing a record: %d kept, %d bytes", m.len(), m.bytes)
	}
}

// Remember < 0 keeps nothing.
func TestRejectionsOff(t *testing.T) {
	s := startSandbox(t, Options{Remember: -1, RatePerSecond: -1, RatePerDay: -1})
	p := bankTPP(t, s)
	rid := uuid.NewString()
	do(t, p.plain, p.request("GET", "/v1/card-accounts", "", nil, map[string]string{"X-Request-ID": rid}))
	a, _ := p.record(rid)
	if a.status != http.StatusNotFound || s.memory.len() != 0 {
		t.Errorf("Remember -1 kept a record: %d", a.status)
	}
	if txt := a.text(t); !strings.Contains(txt, "keeps none") || strings.Contains(txt, "newest -1") {
		t.Errorf("404 text %q; want it to say the sandbox keeps none", txt)
	}
}

// Every secret the -v trace hides is hidden in the record too: a cookie, a
// secret query parameter and the secret fields of a form sent to the
// wrong endpoint (the token request posted to /v1/consents) are kept only
// as fingerprints, in the request and in the signing string.
func TestRejectionRecordHidesSecrets(t *testing.T) {
	s := startSandbox(t, Options{Dialect: DialectLenient, RatePerSecond: -1, RatePerDay: -1})
	p := bankTPP(t, s)
	const (
		cookie   = "cookie-secret-4711"
		code     = "query-code-secret-4712"
		verifier = "form-verifier-secret-4713"
		secret   = "form-client-secret-4714"
	)
	form := "grant_type=authorization_code&code_verifier=" + verifier + "&client_secret=" + secret
	c := signerClient(t, s, func(sg *httpsig.Signer) {
		sg.Profile, sg.Headers = httpsig.ProfileGeneric, []string{httpsig.RequestTarget, "x-request-id", "digest", "cookie"}
	})
	req := p.request("POST", "/v1/consents?code="+code, "", []byte(form),
		map[string]string{"Cookie": "session=" + cookie, "Content-Type": "application/x-www-form-urlencoded"})
	rid := req.Header.Get("X-Request-ID")
	if a := do(t, c, req); a.status < 400 {
		t.Fatalf("the form was accepted as a consent: %d %s", a.status, a.body)
	}
	a, rec := p.record(rid)
	if rec == nil {
		t.Fatalf("no record: %d %s", a.status, a.body)
	}
	for _, v := range []string{cookie, code, verifier, secret} {
		if strings.Contains(string(a.body), v) {
			t.Errorf("the record shows %q", v)
		}
	}
	m := rec.Request.Message()
	if got, want := m.Get("Cookie"), "session="+httplog.Redact(cookie); got != want {
		t.Errorf("Cookie kept as %q; want %q", got, want)
	}
	if want := "/v1/consents?code=" + httplog.Redact(code); m.Target != want {
		t.Errorf("target kept as %q; want %q", m.Target, want)
	}
	if !strings.Contains(string(m.Body), "client_secret="+httplog.Redact(secret)) || !strings.Contains(string(m.Body), "grant_type=authorization_code") {
		t.Errorf("form body kept as %q", m.Body)
	}
	if rec.Diagnosis == nil || !strings.Contains(rec.Diagnosis.SigningString, "cookie: session="+httplog.Redact(cookie)) ||
		!strings.Contains(rec.Diagnosis.SigningString, "code="+httplog.Redact(code)) {
		t.Errorf("signing string: %+v", rec.Diagnosis)
	}
}

// seenWriter notes whether the record of rid was kept by the time the
// answer's body started on its way to the client.
type seenWriter struct {
	http.ResponseWriter
	s    *Server
	rid  string
	kept *bool
}

func (w seenWriter) Write(b []byte) (int, error) {
	*w.kept = w.s.memory.get(w.rid) != nil
	return w.ResponseWriter.Write(b)
}

// The record is kept before the answer is written, so a client that asks
// `sandbox why` the moment the rejection arrives finds it.
func TestRejectionKeptBeforeTheAnswer(t *testing.T) {
	s := startSandbox(t, Options{RatePerSecond: -1, RatePerDay: -1})
	for _, tc := range []struct{ name, method, path string }{
		{"rejected by the checks", "GET", "/v1/accounts"},
		{"no such endpoint", "GET", "/v2/nothing"},
	} {
		rid := "kept-first-" + tc.name
		req, _ := http.NewRequest(tc.method, "https://bank.example"+tc.path, nil)
		req.Header.Set("X-Request-ID", rid) // not a UUID: FORMAT_ERROR before any TLS check
		rec := httptest.NewRecorder()
		kept := false
		s.Handler().ServeHTTP(seenWriter{ResponseWriter: rec, s: s, rid: rid, kept: &kept}, req)
		if rec.Code < 400 {
			t.Fatalf("%s: %d", tc.name, rec.Code)
		}
		if !kept {
			t.Errorf("%s: the answer was written before the record was kept", tc.name)
		}
	}
}
