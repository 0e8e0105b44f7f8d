package sandbox

// The bank's rules, one subtest per rule: every request goes through real TLS
// on loopback, and every rejection is checked for its exact HTTP status,
// Berlin Group code (and path), and a piece of its explanation.

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	_ "time/tzdata" // the bank's days are Helsinki days on every test machine

	"github.com/google/uuid"
	"github.com/xs2a-dev/xs2a/pkg/httpsig"
	"github.com/xs2a-dev/xs2a/pkg/qcert"
)

// --- time ------------------------------------------------------------------

// fakeClock is Options.Now for tests that move time: expiry, daily limits,
// day rollover. Certificates are issued at the real time, so a clock starts
// near time.Now and only moves forward.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock(t time.Time) *fakeClock { return &fakeClock{t: t} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

var helsinki = func() *time.Location {
	z, err := time.LoadLocation("Europe/Helsinki")
	if err != nil {
		panic(err) // time/tzdata is linked in
	}
	return z
}()

// nextBankMidnight is the first midnight in Helsinki after t.
func nextBankMidnight(t time.Time) time.Time {
	h := t.In(helsinki)
	return time.Date(h.Year(), h.Month(), h.Day()+1, 0, 0, 0, 0, helsinki)
}

// bankDate is t's calendar date at the bank.
func bankDate(t time.Time) time.Time {
	y, m, d := t.In(helsinki).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// beforeBankMidnight is a clock 10 minutes before the next Helsinki
// midnight, and that midnight. Ten minutes leave time for a consent, a code
// and a token (tokens live an hour); and just after that midnight the bank's
// date is a day ahead of the UTC date, which catches a "today" taken in UTC.
// The midnight is the first at least ten minutes away, so the clock never
// runs behind the real one: the test certificates are valid from five
// minutes ago, and run in the ten minutes before midnight, a clock set
// before that would find them not yet valid.
func beforeBankMidnight() (*fakeClock, time.Time) {
	midnight := nextBankMidnight(time.Now().Add(10 * time.Minute))
	return newClock(midnight.Add(-10 * time.Minute)), midnight
}

// --- certificates ----------------------------------------------------------

// otherOrg is a second TPP, supervised in Sweden.
var otherOrg = qcert.Org{Name: "Other TPP AB", Country: "SE", NCAID: "FI", NCAName: "Finansinspektionen",
	AuthNumber: "556677-8899", Domain: "other.example"}

var (
	extraMu   sync.Mutex
	extraSets = map[string]*qcert.Set{}
)

// extraSet is a further certificate set with its own CA, made once per test
// binary:
//   - "same-org": the default organisation under another CA (another QWAC
//     thumbprint for the same TPP; untrusted unless Options.Trust names it)
//   - "pi-only": the default organisation with the role PSP_PI only
//   - "other-org": the organisation otherOrg
func extraSet(t testing.TB, name string) *qcert.Set {
	t.Helper()
	extraMu.Lock()
	defer extraMu.Unlock()
	if s := extraSets[name]; s != nil {
		return s
	}
	o := qcert.Options{Org: qcert.DefaultOrg}
	switch name {
	case "same-org":
	case "pi-only":
		o.Roles = []qcert.Role{qcert.RolePI}
	case "ic-only":
		o.Roles = []qcert.Role{qcert.RoleIC}
	case "ai-only":
		o.Roles = []qcert.Role{qcert.RoleAI}
	case "other-org":
		o.Org, o.Roles = otherOrg, DefaultRoles
	default:
		t.Fatalf("no certificate set %q", name)
	}
	s, err := qcert.GenerateSet(o)
	if err != nil {
		t.Fatal(err)
	}
	extraSets[name] = s
	return s
}

// otherApp is the app of otherOrg, registered with Options.Apps.
var otherApp = App{Name: "Other TPP", ClientID: "other-client", ClientSecret: "other-secret", APIKey: "other-api-key",
	OrganizationID: otherOrg.OrganizationIdentifier()}

// --- parties ---------------------------------------------------------------

// party is a TPP talking to the sandbox: an app, the QWAC it connects with
// and the QSealC it signs with.
type party struct {
	t       testing.TB
	s       *Server
	app     App
	plain   *http.Client // mTLS, unsigned
	signed  *http.Client // mTLS, signing every request
	browser *http.Client // the PSU's browser: no client certificate, no redirects followed
}

func mtlsTransport(s *Server, qwac *qcert.Issued) *http.Transport {
	cfg := &tls.Config{RootCAs: s.CertPool(), MinVersion: tls.VersionTLS12}
	if qwac != nil {
		cfg.Certificates = []tls.Certificate{{Certificate: [][]byte{qwac.Cert.Raw}, PrivateKey: qwac.Key, Leaf: qwac.Cert}}
	}
	return &http.Transport{TLSClientConfig: cfg}
}

func signing(base http.RoundTripper, seal *qcert.Issued) *http.Client {
	return &http.Client{Timeout: 30 * time.Second, Transport: &httpsig.Transport{
		Signer: &httpsig.Signer{Key: seal.Key, Cert: seal.Cert}, Base: base}}
}

func newParty(t testing.TB, s *Server, app App, qwac, seal *qcert.Issued) *party {
	tr := mtlsTransport(s, qwac)
	br := mtlsTransport(s, nil)
	t.Cleanup(tr.CloseIdleConnections)
	t.Cleanup(br.CloseIdleConnections)
	return &party{t: t, s: s, app: app,
		plain:  &http.Client{Timeout: 30 * time.Second, Transport: tr},
		signed: signing(tr, seal),
		browser: &http.Client{Timeout: 30 * time.Second, Transport: br,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }},
	}
}

// bankTPP is the default TPP: the default app with the sandbox's QWAC and QSealC.
func bankTPP(t testing.TB, s *Server) *party {
	return newParty(t, s, s.DefaultApp, s.Certs.QWAC, s.Certs.QSeal)
}

// otherTPP is otherOrg with its own certificates and app; the sandbox must
// trust its CA and register otherApp.
func otherTPP(t testing.TB, s *Server) *party {
	set := extraSet(t, "other-org")
	return newParty(t, s, otherApp, set.QWAC, set.QSeal)
}

// otherOrgOptions trusts otherOrg's CA and registers its app.
func otherOrgOptions(t testing.TB, o Options) Options {
	o.Trust = append(o.Trust, extraSet(t, "other-org").CA.Cert)
	o.Apps = append(o.Apps, otherApp)
	return o
}

// token posts a form to the token endpoint over mTLS, with HTTP Basic
// client authentication when basic is set.
func (p *party) token(form url.Values, basic bool) answer {
	p.t.Helper()
	req, _ := http.NewRequest("POST", p.s.URL+"/oauth/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if basic {
		req.SetBasicAuth(p.app.ClientID, p.app.ClientSecret)
	}
	return do(p.t, p.plain, req)
}

func (p *party) clientToken() string {
	p.t.Helper()
	a := p.token(url.Values{"grant_type": {"client_credentials"}}, true)
	if a.status != 200 {
		p.t.Fatalf("client_credentials: %d %s", a.status, a.body)
	}
	var tr TokenResponse
	a.json(p.t, &tr)
	return tr.AccessToken
}

// request builds an API request with a fresh X-Request-ID, the bearer token
// and the app's API key; hdr overrides those, and an empty value removes a
// header.
func (p *party) request(method, path, token string, body []byte, hdr map[string]string) *http.Request {
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, p.s.URL+path, r)
	if err != nil {
		p.t.Fatal(err)
	}
	req.Header.Set("X-Request-ID", uuid.NewString())
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	req.Header.Set(p.s.opts.APIKeyHeader, p.app.APIKey)
	setConsentPSUIP(req)
	for k, v := range hdr {
		if v == "" {
			req.Header.Del(k)
		} else {
			req.Header.Set(k, v)
		}
	}
	return req
}

// call sends a signed API request (see request).
func (p *party) call(method, path, token string, body []byte, hdr map[string]string) answer {
	p.t.Helper()
	return do(p.t, p.signed, p.request(method, path, token, body, hdr))
}

func (p *party) createConsent(body []byte) string {
	p.t.Helper()
	a := p.call("POST", "/v1/consents", p.clientToken(), body, nil)
	if a.status != 201 {
		p.t.Fatalf("create consent: %d %s", a.status, a.body)
	}
	var cr struct{ ConsentID string }
	a.json(p.t, &cr)
	return cr.ConsentID
}

// consentBody is a valid consent request (all accounts, recurring, four a
// day, as long as the bank allows) changed by edit.
func consentBody(edit func(m map[string]any)) []byte {
	m := map[string]any{"access": map[string]any{"allPsd2": "allAccounts"}, "recurringIndicator": true,
		"validUntil": "9999-12-31", "frequencyPerDay": 4, "combinedServiceIndicator": false}
	if edit != nil {
		edit(m)
	}
	b, err := json.Marshal(m)
	if err != nil {
		panic(err)
	}
	return b
}

// cards reads GET /v1/card-accounts for consent cid.
func (p *party) cards(cid, token string, hdr map[string]string) answer {
	p.t.Helper()
	h := map[string]string{"Consent-ID": cid}
	for k, v := range hdr {
		h[k] = v
	}
	return p.call("GET", "/v1/card-accounts", token, nil, h)
}

func (p *party) consentStatus(cid string) string {
	p.t.Helper()
	a := p.call("GET", "/v1/consents/"+cid+"/status", p.clientToken(), nil, nil)
	if a.status != 200 {
		p.t.Fatalf("consent status: %d %s", a.status, a.body)
	}
	var st struct{ ConsentStatus string }
	a.json(p.t, &st)
	return st.ConsentStatus
}

// --- the PSU's side ----------------------------------------------------------

const loopbackRedirect = "http://127.0.0.1:9/callback"

func authQuery(app App, cid, redirect, state, challenge string) url.Values {
	return url.Values{"response_type": {"code"}, "client_id": {app.ClientID}, "redirect_uri": {redirect},
		"scope": {"AIS:" + cid}, "state": {state}, "code_challenge": {challenge}, "code_challenge_method": {"S256"},
		"response_mode": {"query"}}
}

// authorize is the PSU's browser opening the authorization endpoint.
func (p *party) authorize(q url.Values) answer {
	p.t.Helper()
	return do(p.t, p.browser, mustGet(p.s.AuthURL+"/oauth/authorize?"+q.Encode()))
}

// post is the PSU's browser submitting a form of the bank's pages.
func (p *party) post(path string, form url.Values) answer {
	p.t.Helper()
	req, _ := http.NewRequest("POST", p.s.AuthURL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return do(p.t, p.browser, req)
}

var (
	otpRE     = regexp.MustCompile(`id="code">([0-9]{6})<`)
	sessionRE = regexp.MustCompile(`name="session" value="([^"]+)"`)
)

// loginPage opens the authorization endpoint (AutoApprove off) and reads the
// sign-in page: the session and the one-time code.
func (p *party) loginPage(q url.Values) (session, otp string) {
	p.t.Helper()
	a := p.authorize(q)
	if a.status != 200 {
		p.t.Fatalf("authorize: %d %s (Location %q)", a.status, a.body, a.header.Get("Location"))
	}
	sm, om := sessionRE.FindSubmatch(a.body), otpRE.FindSubmatch(a.body)
	if sm == nil || om == nil {
		p.t.Fatalf("the sign-in page has no session or no element id=\"code\":\n%s", a.body)
	}
	return string(sm[1]), string(om[1])
}

// redirected checks a 302 to redirect and returns its query.
func redirected(t testing.TB, a answer, redirect string) url.Values {
	t.Helper()
	if a.status != http.StatusFound {
		t.Fatalf("status %d, want a 302 to %s; body %.300s", a.status, redirect, a.body)
	}
	loc, err := url.Parse(a.header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	want, _ := url.Parse(redirect)
	if loc.Scheme != want.Scheme || loc.Host != want.Host || loc.Path != want.Path {
		t.Fatalf("redirect to %s, want %s", loc, redirect)
	}
	return loc.Query()
}

// authGrant is a consent's way through the authorization endpoint.
type authGrant struct {
	cid, code, redirect, verifier string
}

// approve signs psu in on the pages, approves (picking accounts when
// given) and returns the code.
func (p *party) approve(cid, psu string, accounts ...string) authGrant {
	p.t.Helper()
	verifier, challenge := pkce()
	g := authGrant{cid: cid, redirect: loopbackRedirect, verifier: verifier}
	session, otp := p.loginPage(authQuery(p.app, cid, g.redirect, "st-approve", challenge))
	a := p.post("/oauth/login", url.Values{"session": {session}, "psu_id": {psu}, "otp": {otp}})
	if a.status != 200 || !bytes.Contains(a.body, []byte(`id="approve"`)) {
		p.t.Fatalf("login as %s: %d %s", psu, a.status, a.body)
	}
	a = p.post("/oauth/decision", url.Values{"session": {session}, "decision": {"approve"}, "account": accounts})
	q := redirected(p.t, a, g.redirect)
	if q.Get("state") != "st-approve" || q.Get("code") == "" {
		p.t.Fatalf("redirect lacks code or state: %v", q)
	}
	g.code = q.Get("code")
	return g
}

// autoCode runs the authorization endpoint of an AutoApprove sandbox.
func (p *party) autoCode(cid string) authGrant {
	p.t.Helper()
	verifier, challenge := pkce()
	g := authGrant{cid: cid, redirect: loopbackRedirect, verifier: verifier}
	q := redirected(p.t, p.authorize(authQuery(p.app, cid, g.redirect, "st-auto", challenge)), g.redirect)
	if q.Get("state") != "st-auto" || q.Get("code") == "" {
		p.t.Fatalf("redirect lacks code or state: %v", q)
	}
	g.code = q.Get("code")
	return g
}

// exchange trades a code for tokens (HTTP Basic).
func (p *party) exchange(code, redirect, verifier string) (answer, TokenResponse) {
	p.t.Helper()
	a := p.token(url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {redirect}, "code_verifier": {verifier}}, true)
	var tr TokenResponse
	if a.status == 200 {
		a.json(p.t, &tr)
	}
	return a, tr
}

func (p *party) tokens(g authGrant) TokenResponse {
	p.t.Helper()
	a, tr := p.exchange(g.code, g.redirect, g.verifier)
	if a.status != 200 {
		p.t.Fatalf("exchange: %d %s", a.status, a.body)
	}
	return tr
}

// consented creates a consent, lets the sandbox auto-approve it and returns
// the consent id and the PSU's access token.
func (p *party) consented(body []byte) (string, string) {
	p.t.Helper()
	cid := p.createConsent(body)
	return cid, p.tokens(p.autoCode(cid)).AccessToken
}

// --- assertions --------------------------------------------------------------

// wantAPIError checks a Berlin Group error: status, the code of every
// message, the path of the first, and that the texts contain each of texts.
func wantAPIError(t testing.TB, a answer, status int, code, path string, texts ...string) {
	t.Helper()
	if a.status != status {
		t.Errorf("status = %d, want %d; body %s", a.status, status, a.body)
	}
	var e ErrorBody
	if err := json.Unmarshal(a.body, &e); err != nil || len(e.TPPMessages) == 0 {
		t.Fatalf("not a tppMessages body (%v): %s", err, a.body)
	}
	var all []string
	for _, m := range e.TPPMessages {
		if m.Code != code || m.Category != "ERROR" {
			t.Errorf("message %s/%s, want ERROR/%s: %s", m.Category, m.Code, code, a.body)
		}
		all = append(all, m.Text)
	}
	if e.TPPMessages[0].Path != path {
		t.Errorf("path = %q, want %q: %s", e.TPPMessages[0].Path, path, a.body)
	}
	joined := strings.Join(all, " | ")
	for _, want := range texts {
		if !strings.Contains(joined, want) {
			t.Errorf("text does not mention %q: %s", want, joined)
		}
	}
	if ct := a.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q", ct)
	}
}

// wantOAuthError checks an RFC 6749 error of the token endpoint.
func wantOAuthError(t testing.TB, a answer, status int, code string, texts ...string) {
	t.Helper()
	if a.status != status {
		t.Errorf("status = %d, want %d; body %s", a.status, status, a.body)
	}
	var e struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	if err := json.Unmarshal(a.body, &e); err != nil {
		t.Fatalf("not JSON: %v: %s", err, a.body)
	}
	if e.Error != code {
		t.Errorf("error = %q, want %q: %s", e.Error, code, a.body)
	}
	for _, want := range texts {
		if !strings.Contains(e.Description, want) {
			t.Errorf("error_description does not mention %q: %s", want, e.Description)
		}
	}
	if a.header.Get("Cache-Control") != "no-store" {
		t.Errorf("Cache-Control = %q, want no-store", a.header.Get("Cache-Control"))
	}
	if status == 401 && a.header.Get("WWW-Authenticate") == "" {
		t.Error("401 without WWW-Authenticate")
	}
}

func wantStatus(t testing.TB, a answer, status int) {
	t.Helper()
	if a.status != status {
		t.Fatalf("status = %d, want %d; body %.600s", a.status, status, a.body)
	}
}

// --- TLS and identity --------------------------------------------------------

func TestIdentity(t *testing.T) {
	s := startSandbox(t, Options{RatePerSecond: -1})
	unsigned := func(t *testing.T, s *Server, qwac *qcert.Issued) answer {
		tr := mtlsTransport(s, qwac)
		defer tr.CloseIdleConnections()
		req := mustGet(s.URL + "/v1/consents/cns-x")
		req.Header.Set("X-Request-ID", uuid.NewString())
		return do(t, &http.Client{Transport: tr}, req)
	}

	t.Run("no client certificate", func(t *testing.T) {
		wantAPIError(t, unsigned(t, s, nil), 401, CodeCertificateMissing, "", "no client certificate")
	})
	t.Run("QWAC of an untrusted CA", func(t *testing.T) {
		wantAPIError(t, unsigned(t, s, extraSet(t, "same-org").QWAC), 401, CodeCertificateInvalid, "", "not issued by a QTSP this ASPSP trusts", "--trust")
	})
	t.Run("QWAC of a CA given in Trust", func(t *testing.T) {
		// The organisation under another CA is another TPP, with its own app.
		set := extraSet(t, "same-org")
		app := App{Name: "same org, other CA", ClientID: "other-ca-client", ClientSecret: "s", APIKey: "k", OrganizationID: s.DefaultApp.OrganizationID}
		s := startSandbox(t, Options{RatePerSecond: -1, Trust: []*x509.Certificate{set.CA.Cert}, Apps: []App{app}})
		p := newParty(t, s, app, set.QWAC, set.QSeal)
		a := p.call("POST", "/v1/consents", p.clientToken(), consentBody(nil), nil)
		wantStatus(t, a, 201)
	})
	t.Run("expired QWAC", func(t *testing.T) {
		clock := newClock(time.Now())
		s := startSandbox(t, Options{RatePerSecond: -1, Now: clock.Now})
		clock.Set(s.Certs.QWAC.Cert.NotAfter.Add(time.Hour))
		wantAPIError(t, unsigned(t, s, s.Certs.QWAC), 401, CodeCertificateExpired, "", "expired on "+s.Certs.QWAC.Cert.NotAfter.UTC().Format(time.RFC3339))
	})
	t.Run("QWAC without PSP_AI", func(t *testing.T) {
		set := extraSet(t, "pi-only")
		s := startSandbox(t, Options{RatePerSecond: -1, Trust: []*x509.Certificate{set.CA.Cert}})
		wantAPIError(t, unsigned(t, s, set.QWAC), 401, CodeRoleInvalid, "", "[PSP_PI]", "do not include PSP_AI")
	})
	t.Run("QSealC as the TLS client certificate", func(t *testing.T) {
		wantAPIError(t, unsigned(t, s, s.Certs.QSeal), 401, CodeCertificateInvalid, "", "QcType [eseal]; expected web", "swap")
	})
	t.Run("token endpoint without a QWAC", func(t *testing.T) {
		p := newParty(t, s, s.DefaultApp, nil, s.Certs.QSeal)
		wantOAuthError(t, p.token(url.Values{"grant_type": {"client_credentials"}}, true), 401, "invalid_client", "mutual TLS", CodeCertificateMissing)
	})
}

func TestStrictTLS(t *testing.T) {
	s := startSandbox(t, Options{RatePerSecond: -1, StrictTLS: true})
	try := func(qwac *qcert.Issued) error {
		tr := mtlsTransport(s, qwac)
		defer tr.CloseIdleConnections()
		req := mustGet(s.URL + "/v1/consents/cns-x")
		req.Header.Set("X-Request-ID", uuid.NewString())
		resp, err := (&http.Client{Transport: tr, Timeout: 10 * time.Second}).Do(req)
		if err != nil {
			return err
		}
		resp.Body.Close()
		return nil
	}
	t.Run("no client certificate", func(t *testing.T) {
		if err := try(nil); err == nil {
			t.Fatal("the handshake succeeded without a client certificate")
		} else {
			t.Logf("client error: %v", err)
		}
	})
	t.Run("untrusted client certificate", func(t *testing.T) {
		if err := try(extraSet(t, "same-org").QWAC); err == nil {
			t.Fatal("the handshake succeeded with a QWAC of an untrusted CA")
		} else {
			t.Logf("client error: %v", err)
		}
	})
	t.Run("trusted QWAC", func(t *testing.T) {
		if err := try(s.Certs.QWAC); err != nil {
			t.Fatalf("the handshake failed with the sandbox's QWAC: %v", err)
		}
	})
}

// --- X-Request-ID --------------------------------------------------------------

func TestRequestID(t *testing.T) {
	s := startSandbox(t, Options{RatePerSecond: -1})
	p := bankTPP(t, s)
	tok := p.clientToken()

	t.Run("missing", func(t *testing.T) {
		// The signing transport adds an X-Request-ID, so send unsigned: the
		// X-Request-ID check comes first.
		a := do(t, p.plain, p.request("GET", "/v1/consents/cns-x", tok, nil, map[string]string{"X-Request-ID": ""}))
		wantAPIError(t, a, 400, CodeFormatError, "X-Request-ID", "X-Request-ID header is missing")
	})
	t.Run("not a UUID", func(t *testing.T) {
		a := p.call("GET", "/v1/consents/cns-x", tok, nil, map[string]string{"X-Request-ID": "12345"})
		wantAPIError(t, a, 400, CodeFormatError, "X-Request-ID", `X-Request-ID "12345" is not a UUID`)
	})
	t.Run("echoed on success", func(t *testing.T) {
		rid := uuid.NewString()
		a := p.call("POST", "/v1/consents", tok, consentBody(nil), map[string]string{"X-Request-ID": rid})
		wantStatus(t, a, 201)
		if got := a.header.Get("X-Request-ID"); got != rid {
			t.Errorf("X-Request-ID = %q, want %q", got, rid)
		}
	})
	t.Run("echoed on a check's error", func(t *testing.T) {
		rid := uuid.NewString()
		a := do(t, p.plain, p.request("GET", "/v1/consents/cns-x", tok, nil, map[string]string{"X-Request-ID": rid}))
		wantAPIError(t, a, 401, CodeSignatureMissing, "")
		if got := a.header.Get("X-Request-ID"); got != rid {
			t.Errorf("X-Request-ID = %q, want %q", got, rid)
		}
	})
	t.Run("echoed on an endpoint's error", func(t *testing.T) {
		rid := uuid.NewString()
		a := p.call("GET", "/v1/consents/cns-x", tok, nil, map[string]string{"X-Request-ID": rid})
		wantAPIError(t, a, 403, CodeConsentUnknown, "", `consent "cns-x" is not a consent of this TPP`)
		if got := a.header.Get("X-Request-ID"); got != rid {
			t.Errorf("X-Request-ID = %q, want %q", got, rid)
		}
	})
}

// --- signatures ------------------------------------------------------------------

// tamper changes the body after the signing transport computed the digest.
type tamper struct{ base http.RoundTripper }

func (t tamper) RoundTrip(req *http.Request) (*http.Response, error) {
	b, err := io.ReadAll(req.Body)
	if err != nil {
		return nil, err
	}
	req.Body.Close()
	b = bytes.Replace(b, []byte(`"frequencyPerDay":4`), []byte(`"frequencyPerDay":3`), 1)
	r := req.Clone(req.Context())
	r.Body = io.NopCloser(bytes.NewReader(b))
	r.ContentLength = int64(len(b))
	r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }
	return t.base.RoundTrip(r)
}

func TestSignature(t *testing.T) {
	s := startSandbox(t, otherOrgOptions(t, Options{RatePerSecond: -1}))
	p := bankTPP(t, s)
	tok := p.clientToken()
	post := func(c *http.Client, hdr map[string]string) answer {
		return do(t, c, p.request("POST", "/v1/consents", tok, consentBody(nil), hdr))
	}
	tr := p.plain.Transport

	t.Run("unsigned", func(t *testing.T) {
		wantAPIError(t, post(p.plain, nil), 401, CodeSignatureMissing, "", "no Signature header")
	})
	t.Run("body changed after signing", func(t *testing.T) {
		c := signing(tamper{tr}, s.Certs.QSeal)
		wantAPIError(t, post(c, nil), 401, CodeSignatureInvalid, "", "check "+httpsig.CheckDigest+" failed", "does not match")
	})
	t.Run("QSealC of another organisation", func(t *testing.T) {
		c := signing(tr, extraSet(t, "other-org").QSeal)
		wantAPIError(t, post(c, nil), 401, CodeCertificateInvalid, "",
			fmt.Sprintf("the QSealC belongs to %q but the QWAC to %q", otherOrg.OrganizationIdentifier(), qcert.DefaultOrg.OrganizationIdentifier()))
	})
	t.Run("QWAC as the signing certificate", func(t *testing.T) {
		c := signing(tr, s.Certs.QWAC)
		wantAPIError(t, post(c, nil), 401, CodeCertificateInvalid, "", "QSealC has QcType [web]; expected eseal")
	})
	t.Run("header list with date", func(t *testing.T) {
		c := &http.Client{Transport: &httpsig.Transport{Base: tr, Signer: &httpsig.Signer{Key: s.Certs.QSeal.Key, Cert: s.Certs.QSeal.Cert,
			Profile: httpsig.ProfileGeneric, Headers: []string{"x-request-id", "digest", "date"}}}}
		a := post(c, map[string]string{"Date": time.Now().UTC().Format(http.TimeFormat)})
		wantAPIError(t, a, 401, CodeSignatureInvalid, "", `"date" is not allowed in the Berlin Group header list`)
	})
	t.Run("signed", func(t *testing.T) {
		wantStatus(t, post(p.signed, nil), 201)
	})
}

// --- consents ----------------------------------------------------------------------

func TestConsentValidation(t *testing.T) {
	clock := newClock(time.Now())
	s := startSandbox(t, Options{RatePerSecond: -1, Now: clock.Now})
	p := bankTPP(t, s)
	tok := p.clientToken()
	today := bankDate(clock.Now())
	del := func(k string) func(map[string]any) { return func(m map[string]any) { delete(m, k) } }
	set := func(kv ...any) func(map[string]any) {
		return func(m map[string]any) {
			for i := 0; i < len(kv); i += 2 {
				m[kv[i].(string)] = kv[i+1]
			}
		}
	}
	for _, tc := range []struct {
		name   string
		body   []byte
		status int
		code   string
		path   string
		text   string
	}{
		{"access missing", consentBody(del("access")), 400, CodeFormatError, "access", "access is required"},
		{"recurringIndicator missing", consentBody(del("recurringIndicator")), 400, CodeFormatError, "recurringIndicator", "recurringIndicator is required"},
		{"validUntil missing", consentBody(del("validUntil")), 400, CodeFormatError, "validUntil", "validUntil is required"},
		{"frequencyPerDay missing", consentBody(del("frequencyPerDay")), 400, CodeFormatError, "frequencyPerDay", "frequencyPerDay is required"},
		{"combinedServiceIndicator missing", consentBody(del("combinedServiceIndicator")), 400, CodeFormatError, "combinedServiceIndicator", "combinedServiceIndicator is required"},
		{"validUntil yesterday", consentBody(set("validUntil", today.AddDate(0, 0, -1).Format(time.DateOnly))), 400, CodeFormatError, "validUntil", "is in the past"},
		{"validUntil not a date", consentBody(set("validUntil", "31.12.2099")), 400, CodeFormatError, "validUntil", `validUntil "31.12.2099" is not an ISO date`},
		{"frequencyPerDay 0", consentBody(set("frequencyPerDay", 0)), 400, CodeFormatError, "frequencyPerDay", "at least 1, got 0"},
		{"frequencyPerDay 5", consentBody(set("frequencyPerDay", 5)), 400, CodeFormatError, "frequencyPerDay", "frequencyPerDay 5 exceeds 4"},
		{"one-off with frequency 2", consentBody(set("recurringIndicator", false, "frequencyPerDay", 2)), 400, CodeFormatError, "frequencyPerDay", "one-off consent (recurringIndicator false) has frequencyPerDay 1"},
		{"combinedServiceIndicator true", consentBody(set("combinedServiceIndicator", true)), 400, CodeSessionsNotSupported, "combinedServiceIndicator", "does not support sessions"},
		{"unknown field", consentBody(set("frequency", 4)), 400, CodeFormatError, "frequency", `unknown field "frequency"`},
		{"frequencyPerDay a string", consentBody(set("frequencyPerDay", "4")), 400, CodeFormatError, "frequencyPerDay", "frequencyPerDay must be a JSON integer, got string"},
		{"recurringIndicator a string", consentBody(set("recurringIndicator", "true")), 400, CodeFormatError, "recurringIndicator", "must be a JSON boolean"},
		{"malformed JSON", []byte(`{"access": {]}`), 400, CodeFormatError, "", "not valid JSON"},
		{"truncated JSON", []byte(`{"access": {"allPsd2": "allAccounts"}`), 400, CodeFormatError, "", "unexpected EOF"},
		{"empty body", []byte(` `), 400, CodeFormatError, "", "the body is empty"},
		{"two JSON values", append(consentBody(nil), []byte(` {}`)...), 400, CodeFormatError, "", "data after the JSON object"},
		{"iban check digits wrong", consentBody(set("access", map[string]any{"accounts": []any{map[string]any{"iban": "FI2112345600000786"}}})), 400, CodeFormatError, "access.accounts[0].iban", "is not an IBAN"},
		{"bad maskedPan", consentBody(set("access", map[string]any{"balances": []any{map[string]any{"maskedPan": "8693"}}})), 400, CodeFormatError, "access.balances[0].maskedPan", "is not a masked card number"},
		{"allPsd2 not allAccounts", consentBody(set("access", map[string]any{"allPsd2": "all"})), 400, CodeFormatError, "access.allPsd2", `must be "allAccounts" or "allAccountsWithOwnerName", got "all"`},
		{"access asks for nothing", consentBody(set("access", map[string]any{})), 400, CodeFormatError, "access", "access asks for nothing"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantAPIError(t, p.call("POST", "/v1/consents", tok, tc.body, nil), tc.status, tc.code, tc.path, tc.text)
		})
	}
	t.Run("validUntil today", func(t *testing.T) {
		wantStatus(t, p.call("POST", "/v1/consents", tok, consentBody(set("validUntil", today.Format(time.DateOnly))), nil), 201)
	})
	t.Run("Content-Type not JSON", func(t *testing.T) {
		a := p.call("POST", "/v1/consents", tok, consentBody(nil), map[string]string{"Content-Type": "text/plain"})
		// The file gives 415 no body (TestHeaders reads the reason back).
		if a.status != 415 || len(a.body) != 0 {
			t.Errorf("status %d body %q; want 415 without a body", a.status, a.body)
		}
	})
}

func TestConsentCredentials(t *testing.T) {
	s := startSandbox(t, Options{RatePerSecond: -1})
	p := bankTPP(t, s)
	tok := p.clientToken()
	t.Run("API key missing", func(t *testing.T) {
		a := p.call("POST", "/v1/consents", tok, consentBody(nil), map[string]string{"X-API-Key": ""})
		wantAPIError(t, a, 400, CodeFormatError, "X-API-Key", "the API key is missing")
	})
	t.Run("API key wrong", func(t *testing.T) {
		a := p.call("POST", "/v1/consents", tok, consentBody(nil), map[string]string{"X-API-Key": "sandbox-api-key-wrong"})
		wantAPIError(t, a, 401, CodeTokenInvalid, "X-API-Key", `not the key of client "sandbox-client"`)
	})
	t.Run("no bearer token", func(t *testing.T) {
		a := p.call("POST", "/v1/consents", "", consentBody(nil), nil)
		wantAPIError(t, a, 401, CodeTokenInvalid, "", "no Authorization: Bearer token")
	})
	t.Run("not a Bearer header", func(t *testing.T) {
		a := p.call("POST", "/v1/consents", "", consentBody(nil), map[string]string{"Authorization": "Basic Zm9vOmJhcg=="})
		wantAPIError(t, a, 401, CodeTokenInvalid, "", `not "Bearer <token>"`)
	})
	t.Run("unknown bearer token", func(t *testing.T) {
		a := p.call("POST", "/v1/consents", "not-a-token", consentBody(nil), nil)
		wantAPIError(t, a, 401, CodeTokenUnknown, "", "not one this ASPSP issued")
	})
	t.Run("expired bearer token", func(t *testing.T) {
		clock := newClock(time.Now())
		s := startSandbox(t, Options{RatePerSecond: -1, Now: clock.Now})
		p := bankTPP(t, s)
		tok := p.clientToken()
		clock.Add(AccessTokenTTL + time.Second)
		wantAPIError(t, p.call("POST", "/v1/consents", tok, consentBody(nil), nil), 401, CodeTokenExpired, "", "the bearer token expired")
	})
}

func TestConsentLifecycle(t *testing.T) {
	clock := newClock(time.Now())
	s := startSandbox(t, otherOrgOptions(t, Options{RatePerSecond: -1, Now: clock.Now}))
	p := bankTPP(t, s)

	t.Run("201 with Location, REDIRECT and scaOAuth metadata", func(t *testing.T) {
		a := p.call("POST", "/v1/consents", p.clientToken(), consentBody(nil), nil)
		wantStatus(t, a, 201)
		var cr struct {
			ConsentStatus, ConsentID string
			Links                    map[string]struct{ Href string } `json:"_links"`
		}
		a.json(t, &cr)
		if cr.ConsentStatus != StatusReceived || !strings.HasPrefix(cr.ConsentID, "cns-") {
			t.Errorf("consent = %+v", cr)
		}
		if got := a.header.Get("Location"); got != "/v1/consents/"+cr.ConsentID {
			t.Errorf("Location = %q", got)
		}
		if got := a.header.Get("ASPSP-SCA-Approach"); got != "REDIRECT" {
			t.Errorf("ASPSP-SCA-Approach = %q", got)
		}
		if cr.Links["self"].Href != "/v1/consents/"+cr.ConsentID || cr.Links["status"].Href != "/v1/consents/"+cr.ConsentID+"/status" {
			t.Errorf("_links = %+v", cr.Links)
		}
		meta := cr.Links["scaOAuth"].Href
		if meta != s.URL+"/.well-known/oauth-authorization-server" {
			t.Fatalf("scaOAuth = %q", meta)
		}
		m := do(t, p.plain, mustGet(meta))
		wantStatus(t, m, 200)
		var md Metadata
		m.json(t, &md)
		if md.Issuer != s.URL || md.TokenEndpoint != s.URL+"/oauth/token" || md.AuthorizationEndpoint != s.AuthURL+"/oauth/authorize" {
			t.Errorf("endpoints: %+v", md)
		}
		if strings.Join(md.CodeChallengeMethodsSupported, ",") != "S256" || strings.Join(md.ResponseTypesSupported, ",") != "code" ||
			!md.TLSClientCertificateBoundTokens {
			t.Errorf("metadata: %+v", md)
		}
		for _, g := range []string{"client_credentials", "authorization_code", "refresh_token"} {
			if !strings.Contains(strings.Join(md.GrantTypesSupported, " "), g) {
				t.Errorf("grant %s not announced: %v", g, md.GrantTypesSupported)
			}
		}
		// The browser finds the same metadata on the pages' host.
		wm := do(t, p.browser, mustGet(s.AuthURL+"/.well-known/oauth-authorization-server"))
		if wm.status != 200 || !bytes.Equal(wm.body, m.body) {
			t.Errorf("metadata on the pages' host: %d %s", wm.status, wm.body)
		}
	})

	t.Run("validUntil 9999-12-31 adjusted", func(t *testing.T) {
		cid := p.createConsent(consentBody(nil))
		a := p.call("GET", "/v1/consents/"+cid, p.clientToken(), nil, nil)
		wantStatus(t, a, 200)
		var ci struct {
			ValidUntil, ConsentStatus, LastActionDate string
			FrequencyPerDay                           int
			RecurringIndicator                        bool
			Access                                    Access
		}
		a.json(t, &ci)
		want := bankDate(clock.Now()).AddDate(0, 0, MaxConsentDays).Format(time.DateOnly)
		if ci.ValidUntil != want {
			t.Errorf("validUntil = %s, want %s (today + %d)", ci.ValidUntil, want, MaxConsentDays)
		}
		if ci.ConsentStatus != StatusReceived || ci.FrequencyPerDay != 4 || !ci.RecurringIndicator || ci.Access.AllPsd2 != "allAccounts" ||
			ci.LastActionDate != bankDate(clock.Now()).Format(time.DateOnly) {
			t.Errorf("consent = %+v", ci)
		}
	})

	t.Run("consent of another TPP", func(t *testing.T) {
		o := otherTPP(t, s)
		cid := o.createConsent(consentBody(nil))
		tok := p.clientToken()
		for _, path := range []string{"/v1/consents/" + cid, "/v1/consents/" + cid + "/status"} {
			wantAPIError(t, p.call("GET", path, tok, nil, nil), 403, CodeConsentUnknown, "", "is not a consent of this TPP")
		}
		wantAPIError(t, p.call("DELETE", "/v1/consents/"+cid, tok, nil, nil), 403, CodeConsentUnknown, "")
		if st := o.consentStatus(cid); st != StatusReceived {
			t.Errorf("the other TPP's consent is %s", st)
		}
	})

	t.Run("DELETE", func(t *testing.T) {
		cid := p.createConsent(consentBody(nil))
		tok := p.clientToken()
		a := p.call("DELETE", "/v1/consents/"+cid, tok, nil, nil)
		wantStatus(t, a, 204)
		if len(a.body) != 0 {
			t.Errorf("204 with a body: %q", a.body)
		}
		if st := p.consentStatus(cid); st != StatusTerminatedByTpp {
			t.Errorf("status after DELETE = %s", st)
		}
		wantAPIError(t, p.call("DELETE", "/v1/consents/"+cid, tok, nil, nil), 409, CodeStatusInvalid, "", "is already terminatedByTpp")
	})
}

// TestConsentExpiry: a consent is valid through its validUntil, a date at
// the bank, and expires at the bank's (Helsinki) midnight after it.
func TestConsentExpiry(t *testing.T) {
	clock, midnight := beforeBankMidnight()
	s := startSandbox(t, Options{RatePerSecond: -1, AutoApprove: true, Now: clock.Now})
	p := bankTPP(t, s)
	today := bankDate(clock.Now()).Format(time.DateOnly)
	cid, at := p.consented(consentBody(func(m map[string]any) { m["validUntil"] = today }))
	ip := map[string]string{"PSU-IP-Address": "192.0.2.1"}

	clock.Set(midnight.Add(-time.Second))
	wantStatus(t, p.cards(cid, at, ip), 200)

	clock.Set(midnight.Add(time.Second))
	wantAPIError(t, p.cards(cid, at, ip), 401, CodeConsentExpired, "", "expired after "+today)
	if st := p.consentStatus(cid); st != StatusExpired {
		t.Errorf("status = %s, want expired", st)
	}
	// Nor can the PSU still authorise one that expired before being authorised.
	received := p.createConsent(consentBody(func(m map[string]any) { m["validUntil"] = bankDate(clock.Now()).Format(time.DateOnly) }))
	clock.Set(nextBankMidnight(clock.Now()).Add(time.Second))
	_, challenge := pkce()
	q := redirected(t, p.authorize(authQuery(p.app, received, loopbackRedirect, "st-x", challenge)), loopbackRedirect)
	if q.Get("error") != "invalid_scope" || !strings.Contains(q.Get("error_description"), "is expired") {
		t.Errorf("authorising an expired consent: %v", q)
	}
	// An expired consent cannot be deleted.
	wantAPIError(t, p.call("DELETE", "/v1/consents/"+cid, p.clientToken(), nil, nil), 409, CodeStatusInvalid, "", "already expired")
}

// TestBankDate: "today" is the bank's date, also in the hours after
// midnight in Helsinki when the UTC date is still yesterday's.
func TestBankDate(t *testing.T) {
	clock, midnight := beforeBankMidnight()
	clock.Set(midnight.Add(30 * time.Minute))
	s := startSandbox(t, Options{RatePerSecond: -1, Now: clock.Now})
	p := bankTPP(t, s)
	today := bankDate(clock.Now())
	tok := p.clientToken()
	yesterday := today.AddDate(0, 0, -1).Format(time.DateOnly)
	a := p.call("POST", "/v1/consents", tok, consentBody(func(m map[string]any) { m["validUntil"] = yesterday }), nil)
	wantAPIError(t, a, 400, CodeFormatError, "validUntil", "validUntil "+yesterday+" is in the past")

	cid := p.createConsent(consentBody(nil))
	a = p.call("GET", "/v1/consents/"+cid, tok, nil, nil)
	var ci struct{ ValidUntil string }
	a.json(t, &ci)
	if want := today.AddDate(0, 0, MaxConsentDays).Format(time.DateOnly); ci.ValidUntil != want {
		t.Errorf("validUntil = %s, want %s (the bank's today + %d)", ci.ValidUntil, want, MaxConsentDays)
	}
}

// --- accounts --------------------------------------------------------------------

func TestAccountsAccess(t *testing.T) {
	s := startSandbox(t, Options{RatePerSecond: -1, AutoApprove: true})
	p := bankTPP(t, s)
	cid, at := p.consented(consentBody(nil))
	ip := map[string]string{"PSU-IP-Address": "192.0.2.1"}

	t.Run("client-credentials token", func(t *testing.T) {
		wantAPIError(t, p.cards(cid, p.clientToken(), ip), 401, CodeTokenInvalid, "", "a client-credentials token cannot read accounts")
	})
	t.Run("refresh token as bearer", func(t *testing.T) {
		// One-off: a recurring one would expire cid (the PSU's former
		// recurring consent at this TPP).
		cid := p.createConsent(consentBody(func(m map[string]any) { m["recurringIndicator"], m["frequencyPerDay"] = false, 1 }))
		tr := p.tokens(p.autoCode(cid))
		wantAPIError(t, p.cards(cid, tr.RefreshToken, ip), 401, CodeTokenUnknown, "", "or it is a refresh token")
	})
	t.Run("Consent-ID missing", func(t *testing.T) {
		wantAPIError(t, p.cards("", at, ip), 400, CodeFormatError, "Consent-ID", "the Consent-ID header is missing")
	})
	t.Run("Consent-ID of another consent", func(t *testing.T) {
		other := p.createConsent(consentBody(nil))
		wantAPIError(t, p.cards(other, at, ip), 401, CodeConsentInvalid, "", fmt.Sprintf("issued for consent %q, not for Consent-ID %q", cid, other))
	})
	t.Run("Consent-ID unknown", func(t *testing.T) {
		// 400 in a header, 403 in a path (the Guidelines' code table).
		wantAPIError(t, p.cards("cns-unknown", at, ip), 400, CodeConsentUnknown, "Consent-ID", `consent "cns-unknown" is not a consent of this TPP`)
	})
	t.Run("unknown account", func(t *testing.T) {
		a := p.call("GET", "/v1/card-accounts/card-9999", at, nil, map[string]string{"Consent-ID": cid, "PSU-IP-Address": "192.0.2.1"})
		wantAPIError(t, a, 404, CodeResourceUnknown, "", `card account "card-9999" does not exist`)
	})
	t.Run("payment accounts", func(t *testing.T) {
		a := p.call("GET", "/v1/accounts", at, nil, map[string]string{"Consent-ID": cid, "PSU-IP-Address": "192.0.2.1"})
		wantStatus(t, a, 200)
		if strings.TrimSpace(string(a.body)) != `{"accounts":[]}` {
			t.Errorf("accounts = %s", a.body)
		}
	})
	t.Run("card account details", func(t *testing.T) {
		// allPsd2 gives the balances: they come with the consent, no query.
		a := p.call("GET", "/v1/card-accounts/card-8693", at, nil, map[string]string{"Consent-ID": cid, "PSU-IP-Address": "192.0.2.1"})
		wantStatus(t, a, 200)
		var d struct {
			CardAccount cardAccountJSON
		}
		a.json(t, &d)
		if d.CardAccount.MaskedPan != "524378******8693" || len(d.CardAccount.Balances) != 5 || d.CardAccount.Links["transactions"].Href != "/v1/card-accounts/card-8693/transactions" {
			t.Errorf("card account = %+v", d.CardAccount)
		}
	})
}

// TestTestCustomers drives the pages as each test customer.
func TestTestCustomers(t *testing.T) {
	s := startSandbox(t, Options{RatePerSecond: -1})
	p := bankTPP(t, s)
	ip := map[string]string{"PSU-IP-Address": "192.0.2.1"}
	session := func(psu string) (string, string) {
		cid := p.createConsent(consentBody(nil))
		return cid, p.tokens(p.approve(cid, psu)).AccessToken
	}

	t.Run("3000001 blocked card", func(t *testing.T) {
		cid, at := session("3000001")
		a := p.cards(cid, at, ip)
		wantStatus(t, a, 200)
		if !bytes.Contains(a.body, []byte(`"status":"blocked"`)) {
			t.Errorf("the blocked card is not listed as blocked: %s", a.body)
		}
		h := map[string]string{"Consent-ID": cid, "PSU-IP-Address": "192.0.2.1"}
		wantAPIError(t, p.call("GET", "/v1/card-accounts/card-2222/balances", at, nil, h), 400, CodeResourceBlocked, "", `card account "card-2222" is blocked`)
		wantAPIError(t, p.call("GET", "/v1/card-accounts/card-2222/transactions?bookingStatus=both&dateFrom=2020-01-01", at, nil, h), 400, CodeResourceBlocked, "")
		wantStatus(t, p.call("GET", "/v1/card-accounts/card-1111/balances", at, nil, h), 200)
	})
	t.Run("4000001 revokes", func(t *testing.T) {
		cid, at := session("4000001")
		wantAPIError(t, p.cards(cid, at, ip), 401, CodeConsentInvalid, "", "is revokedByPsu, not valid")
		if st := p.consentStatus(cid); st != StatusRevokedByPsu {
			t.Errorf("status = %s", st)
		}
	})
	t.Run("2000001 has no cards", func(t *testing.T) {
		cid, at := session("2000001")
		a := p.cards(cid, at, ip)
		wantStatus(t, a, 200)
		if strings.TrimSpace(string(a.body)) != `{"cardAccounts":[]}` {
			t.Errorf("card accounts = %s", a.body)
		}
	})
}

func TestFrequencyPerDay(t *testing.T) {
	clock, midnight := beforeBankMidnight()
	s := startSandbox(t, Options{RatePerSecond: -1, AutoApprove: true, Now: clock.Now})
	p := bankTPP(t, s)
	cid, at := p.consented(consentBody(func(m map[string]any) { m["frequencyPerDay"] = 2 }))

	wantStatus(t, p.cards(cid, at, nil), 200)
	wantStatus(t, p.cards(cid, at, map[string]string{"PSU-IP-Address": "192.0.2.1"}), 200) // the PSU is present: not counted
	wantStatus(t, p.cards(cid, at, nil), 200)
	wantAPIError(t, p.cards(cid, at, nil), 429, CodeAccessExceeded, "", "allows 2 accesses a day without the PSU")
	wantStatus(t, p.cards(cid, at, map[string]string{"PSU-IP-Address": "192.0.2.1"}), 200)

	clock.Set(midnight.Add(time.Second)) // the next bank day
	wantStatus(t, p.cards(cid, at, nil), 200)
	wantStatus(t, p.cards(cid, at, nil), 200)
	wantAPIError(t, p.cards(cid, at, nil), 429, CodeAccessExceeded, "")
}

func TestTransactionsQuery(t *testing.T) {
	clock := newClock(time.Now())
	s := startSandbox(t, Options{RatePerSecond: -1, AutoApprove: true, Now: clock.Now})
	p := bankTPP(t, s)
	cid, at := p.consented(consentBody(nil))
	today := bankDate(clock.Now())
	d := func(days int) string { return today.AddDate(0, 0, days).Format(time.DateOnly) }
	for _, tc := range []struct {
		name, query string
		status      int
		code, path  string
		text        string
	}{
		{"bookingStatus missing", "dateFrom=" + d(-30), 400, CodeFormatError, "bookingStatus", "bookingStatus is required"},
		{"bookingStatus unknown", "bookingStatus=all&dateFrom=" + d(-30), 400, CodeFormatError, "bookingStatus", `bookingStatus "all" is not booked, pending or both`},
		{"bookingStatus information", "bookingStatus=information&dateFrom=" + d(-30), 400, CodeParameterNotSupported, "bookingStatus", "standing orders"},
		{"dateFrom missing", "bookingStatus=both", 400, CodeFormatError, "dateFrom", "dateFrom is required"},
		{"dateFrom after dateTo", "bookingStatus=both&dateFrom=" + d(-5) + "&dateTo=" + d(-10), 400, CodePeriodInvalid, "", "dateFrom " + d(-5) + " is after dateTo " + d(-10)},
		{"dateFrom in the future", "bookingStatus=both&dateFrom=" + d(2) + "&dateTo=" + d(3), 400, CodePeriodInvalid, "", "is in the future"},
		{"dateFrom more than two years back", "bookingStatus=both&dateFrom=" + today.AddDate(-2, 0, -1).Format(time.DateOnly), 400, CodePeriodInvalid, "", "two years"},
		{"dateFrom not a date", "bookingStatus=both&dateFrom=2024-13-01", 400, CodeFormatError, "dateFrom", `dateFrom "2024-13-01" is not an ISO date`},
		{"dateTo not a date", "bookingStatus=both&dateFrom=" + d(-30) + "&dateTo=yesterday", 400, CodeFormatError, "dateTo", `dateTo "yesterday" is not an ISO date`},
		{"deltaList", "bookingStatus=both&deltaList=true", 400, CodeParameterNotSupported, "", "delta reports"},
		{"entryReferenceFrom", "bookingStatus=both&entryReferenceFrom=x", 400, CodeParameterNotSupported, "", "delta reports"},
		{"page not a number", "bookingStatus=both&dateFrom=" + d(-30) + "&page=x", 400, CodeFormatError, "page", `page "x" is not a page number`},
		{"page beyond the last", "bookingStatus=both&dateFrom=" + d(-3) + "&page=7", 400, CodeFormatError, "page", "page 7 does not exist"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := p.call("GET", "/v1/card-accounts/card-8693/transactions?"+tc.query, at, nil, map[string]string{"Consent-ID": cid, "PSU-IP-Address": "192.0.2.1"})
			wantAPIError(t, a, tc.status, tc.code, tc.path, tc.text)
		})
	}
}

type txReport struct {
	CardTransactions struct {
		Booked  []CardTransaction `json:"booked"`
		Pending []CardTransaction `json:"pending"`
		Links   map[string]link   `json:"_links"`
	} `json:"cardTransactions"`
}

// allPages follows _links.next from path and returns every transaction id
// in order and the number of pages.
func (p *party) allPages(cid, at, path string) ([]string, int) {
	p.t.Helper()
	var ids []string
	pages := 0
	for path != "" {
		a := p.call("GET", path, at, nil, map[string]string{"Consent-ID": cid, "PSU-IP-Address": "192.0.2.1"})
		if a.status != 200 {
			p.t.Fatalf("%s: %d %s", path, a.status, a.body)
		}
		var r txReport
		a.json(p.t, &r)
		n := len(r.CardTransactions.Booked) + len(r.CardTransactions.Pending)
		if n > PageSize {
			p.t.Errorf("page %d has %d transactions, more than %d", pages, n, PageSize)
		}
		for _, tx := range append(r.CardTransactions.Pending, r.CardTransactions.Booked...) {
			ids = append(ids, tx.CardTransactionID)
		}
		if r.CardTransactions.Links["first"].Href == "" || r.CardTransactions.Links["last"].Href == "" {
			p.t.Errorf("page %d lacks first or last: %v", pages, r.CardTransactions.Links)
		}
		if (pages > 0) != (r.CardTransactions.Links["previous"].Href != "") {
			p.t.Errorf("page %d: previous = %q", pages, r.CardTransactions.Links["previous"].Href)
		}
		pages++
		path = r.CardTransactions.Links["next"].Href
		if pages > 100 {
			p.t.Fatal("more than 100 pages")
		}
	}
	return ids, pages
}

func TestTransactionsPaging(t *testing.T) {
	clock := newClock(time.Now())
	s := startSandbox(t, Options{RatePerSecond: -1, AutoApprove: true, Now: clock.Now})
	p := bankTPP(t, s)
	cid, at := p.consented(consentBody(nil))
	today := bankDate(clock.Now())
	from, mid := today.AddDate(-2, 0, 0), today.AddDate(-1, 0, 0)
	q := func(from, to time.Time) string {
		return "/v1/card-accounts/card-8693/transactions?bookingStatus=both&dateFrom=" + from.Format(time.DateOnly) + "&dateTo=" + to.Format(time.DateOnly)
	}

	all, pages := p.allPages(cid, at, q(from, today))
	if pages < 2 || len(all) <= PageSize {
		t.Fatalf("two years: %d transactions on %d pages; want more than one page", len(all), pages)
	}
	if want := (len(all) + PageSize - 1) / PageSize; pages != want {
		t.Errorf("%d pages for %d transactions, want %d", pages, len(all), want)
	}
	seen := map[string]bool{}
	for _, id := range all {
		if seen[id] {
			t.Errorf("transaction %s appears twice", id)
		}
		seen[id] = true
	}
	older, _ := p.allPages(cid, at, q(from, mid))
	newer, _ := p.allPages(cid, at, q(mid.AddDate(0, 0, 1), today))
	if len(older)+len(newer) != len(all) {
		t.Errorf("the two halves have %d + %d transactions, the whole range %d", len(older), len(newer), len(all))
	}
	for _, id := range append(older, newer...) {
		if !seen[id] {
			t.Errorf("transaction %s of a half is not in the whole range", id)
		}
	}
	t.Logf("%d transactions on %d pages", len(all), pages)
}

func TestTransactionsDeterministic(t *testing.T) {
	clock := newClock(time.Now())
	read := func() []byte {
		s := startSandbox(t, Options{RatePerSecond: -1, AutoApprove: true, Now: clock.Now})
		p := bankTPP(t, s)
		cid, at := p.consented(consentBody(nil))
		from := bankDate(clock.Now()).AddDate(0, 0, -90).Format(time.DateOnly)
		a := p.call("GET", "/v1/card-accounts/card-8694/transactions?bookingStatus=both&dateFrom="+from, at, nil, map[string]string{"Consent-ID": cid, "PSU-IP-Address": "192.0.2.1"})
		wantStatus(t, a, 200)
		return a.body
	}
	one, two := read(), read()
	if !bytes.Equal(one, two) {
		t.Errorf("two sandboxes answer different transactions:\n%.500s\n%.500s", one, two)
	}
	if !bytes.Contains(one, []byte(`"cardTransactionId":"card-8694-`)) {
		t.Errorf("no transactions: %.300s", one)
	}
}

// --- rate limits ---------------------------------------------------------------------

func TestRateLimitPerSecond(t *testing.T) {
	clock := newClock(time.Now()) // frozen: no token comes back while the test runs
	s := startSandbox(t, Options{Now: clock.Now})
	p := bankTPP(t, s)
	tok := p.clientToken() // the token endpoint is not counted
	cid := p.createConsent(consentBody(nil))
	for i := 2; i <= 5; i++ {
		wantStatus(t, p.call("GET", "/v1/consents/"+cid+"/status", tok, nil, nil), 200)
	}
	a := p.call("GET", "/v1/consents/"+cid+"/status", tok, nil, nil)
	wantAPIError(t, a, 429, CodeAccessExceeded, "", "more than 5 requests a second from this TPP")
	if ra, err := strconv.Atoi(a.header.Get("Retry-After")); err != nil || ra < 1 {
		t.Errorf("Retry-After = %q", a.header.Get("Retry-After"))
	}
	clock.Add(time.Second)
	wantStatus(t, p.call("GET", "/v1/consents/"+cid+"/status", tok, nil, nil), 200)
}

func TestRateLimitPerDay(t *testing.T) {
	// RatePerSecond -1 turns off the per-second limit only.
	for _, perSecond := range []float64{1000, -1} {
		t.Run(fmt.Sprintf("RatePerSecond %g", perSecond), func(t *testing.T) {
			clock, midnight := beforeBankMidnight()
			s := startSandbox(t, Options{RatePerSecond: perSecond, RatePerDay: 3, Now: clock.Now})
			p := bankTPP(t, s)
			tok := p.clientToken()
			cid := p.createConsent(consentBody(nil))
			for i := 2; i <= 3; i++ {
				wantStatus(t, p.call("GET", "/v1/consents/"+cid+"/status", tok, nil, nil), 200)
			}
			a := p.call("GET", "/v1/consents/"+cid+"/status", tok, nil, nil)
			wantAPIError(t, a, 429, CodeAccessExceeded, "", "the daily limit of 3 requests", midnight.Format(time.RFC3339))
			if want := strconv.Itoa(int(midnight.Sub(clock.Now()).Seconds()) + 1); a.header.Get("Retry-After") != want {
				t.Errorf("Retry-After = %q, want %s", a.header.Get("Retry-After"), want)
			}
			// The token endpoint is the authorization server's: not counted.
			p.clientToken()
			clock.Set(midnight.Add(time.Second))
			for i := 1; i <= 3; i++ {
				wantStatus(t, p.call("GET", "/v1/consents/"+cid+"/status", tok, nil, nil), 200)
			}
			wantAPIError(t, p.call("GET", "/v1/consents/"+cid+"/status", tok, nil, nil), 429, CodeAccessExceeded, "")
		})
	}
}

// --- robustness ----------------------------------------------------------------------

func TestRobustness(t *testing.T) {
	s := startSandbox(t, Options{RatePerSecond: -1})
	p := bankTPP(t, s)
	tok := p.clientToken()
	t.Run("body over 1 MiB", func(t *testing.T) {
		big := bytes.Repeat([]byte(" "), MaxBody+1)
		copy(big, `{"access":{"allPsd2":"allAccounts"}}`)
		rid := uuid.NewString()
		a := p.call("POST", "/v1/consents", tok, big, map[string]string{"X-Request-ID": rid})
		wantAPIError(t, a, 400, CodeFormatError, "", fmt.Sprintf("the body is larger than %d bytes", MaxBody))
		if got := a.header.Get("X-Request-ID"); got != rid {
			t.Errorf("X-Request-ID = %q, want %q (the OpenAPI file requires it on a 400)", got, rid)
		}
		wantStatus(t, p.call("POST", "/v1/consents", tok, consentBody(nil), nil), 201) // still serving
	})
	t.Run("token endpoint body over 64 KiB", func(t *testing.T) {
		form := url.Values{"grant_type": {"client_credentials"}, "padding": {strings.Repeat("x", 64<<10)}}
		wantOAuthError(t, p.token(form, true), 400, "invalid_request", "too large")
	})
	t.Run("unknown path", func(t *testing.T) {
		rid := uuid.NewString()
		a := p.call("GET", "/v1/payments/sepa-credit-transfers/p-1/x", tok, nil, map[string]string{"X-Request-ID": rid})
		wantAPIError(t, a, 404, CodeResourceUnknown, "", "no endpoint GET /v1/payments/sepa-credit-transfers/p-1/x")
		if a.header.Get("X-Request-ID") != rid {
			t.Errorf("404 does not echo X-Request-ID")
		}
	})
	t.Run("wrong method on a known path", func(t *testing.T) {
		a := p.call("PUT", "/v1/consents/cns-1", tok, []byte("{}"), nil)
		wantAPIError(t, a, 405, CodeServiceInvalid, "", "PUT is not allowed on /v1/consents/cns-1 (allowed: GET, DELETE)")
		if a.header.Get("Allow") != "GET, DELETE" {
			t.Errorf("Allow = %q", a.header.Get("Allow"))
		}
	})
}
