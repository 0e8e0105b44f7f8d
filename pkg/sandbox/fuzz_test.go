package sandbox

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/xs2a-dev/xs2a/pkg/httpsig"
)

var fzConsentSeeds = []string{
	`{"access":{"allPsd2":"allAccounts"},"recurringIndicator":true,"validUntil":"2025-09-01","frequencyPerDay":4,"combinedServiceIndicator":false}`,
	`{"access":{"availableAccounts":"allAccountsWithOwnerName"},"recurringIndicator":false,"validUntil":"2025-06-01","frequencyPerDay":1,"combinedServiceIndicator":false}`,
	`{"access":{"accounts":[],"balances":[],"transactions":[]},"recurringIndicator":true,"validUntil":"9999-12-31","frequencyPerDay":2,"combinedServiceIndicator":false}`,
	`{"access":{"accounts":[{"maskedPan":"524378******8693"}],"transactions":[{"maskedPan":"524378 ****** 8693"}]},"recurringIndicator":true,"validUntil":"2025-07-01","frequencyPerDay":4,"combinedServiceIndicator":false}`,
	`{"access":{"accounts":[{"iban":"FI2112345600000785"}]},"recurringIndicator":true,"validUntil":"2025-07-01","frequencyPerDay":4,"combinedServiceIndicator":false}`,
	`{"access":{},"recurringIndicator":true,"validUntil":"2025-07-01","frequencyPerDay":4,"combinedServiceIndicator":false}`,
	`{"access":{"allPsd2":"allAccounts"},"recurringIndicator":true,"validUntil":"2024-01-01","frequencyPerDay":5,"combinedServiceIndicator":true}`,
	`{"access":{"allPsd2":"allAccounts"},"recurringIndicator":"yes","validUntil":"tomorrow","frequencyPerDay":1.5,"combinedServiceIndicator":false,"extra":1}`,
	`{"access":{"allPsd2":"allAccounts"}} {}`,
	`{"access":{"accounts":[],"additionalInformation":{"ownerName":[]},"restrictedTo":["CACC"]},"recurringIndicator":true,"validUntil":"2025-07-01","frequencyPerDay":4,"combinedServiceIndicator":false}`,
	`{"access":{"allPsd2":"allAccountsWithOwnerName"},"recurringIndicator":true,"validUntil":"2025-07-01","frequencyPerDay":4,"combinedServiceIndicator":false}`,
	`[]`, ``, `null`,
}

var fzToday = time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)

func FuzzParseConsent(f *testing.F) {
	for _, s := range fzConsentSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		c, e := parseConsent(body, fzToday)
		if e != nil {
			if c != nil {
				t.Fatal("a consent and an error")
			}
			if e.status != http.StatusBadRequest || len(e.msgs) == 0 || e.Error() == "" {
				t.Fatalf("rejection is not a 400 with a message: %d %v", e.status, e.msgs)
			}
			return
		}
		if c.FrequencyPerDay < 1 || c.FrequencyPerDay > 4 {
			t.Fatalf("accepted frequencyPerDay %d", c.FrequencyPerDay)
		}
		if !c.Recurring && c.FrequencyPerDay != 1 {
			t.Fatalf("accepted a one-off consent with frequencyPerDay %d", c.FrequencyPerDay)
		}
		if c.ValidUntil.Before(fzToday) || c.ValidUntil.After(fzToday.AddDate(0, 0, MaxConsentDays)) {
			t.Fatalf("accepted validUntil %s outside [%s, +%d days]", c.ValidUntil, fzToday, MaxConsentDays)
		}
		a := c.Access
		if a.AllPsd2 == "" && a.AvailableAccounts == "" && a.AvailableAccountsWithBalance == "" &&
			a.Accounts == nil && a.Balances == nil && a.Transactions == nil {
			t.Fatalf("accepted an empty access: %+v", a)
		}
		if c.Status != StatusReceived {
			t.Fatalf("new consent has status %q", c.Status)
		}
		_ = describeAccess(a)
	})
}

// fzServer is one sandbox for every input: New is slow (certificates) and
// the invariants must hold whatever state earlier inputs left behind.
var (
	fzSrvOnce sync.Once
	fzSrv     *Server
	fzToken   string
)

func fzSandbox(tb testing.TB) *Server {
	fzSrvOnce.Do(func() {
		s, err := New(Options{Certs: sharedSet(tb), RatePerSecond: -1, RatePerDay: -1})
		if err != nil {
			panic(err)
		}
		fzSrv = s
		// A client token through the handler itself, over a pretend mTLS connection.
		form := url.Values{"grant_type": {"client_credentials"}}
		req := httptest.NewRequest("POST", "https://sandbox.test/oauth/token", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth(s.DefaultApp.ClientID, s.DefaultApp.ClientSecret)
		req.TLS = fzTLS(s)
		rec := httptest.NewRecorder()
		s.Handler().ServeHTTP(rec, req)
		var tr TokenResponse
		if rec.Code != 200 || json.Unmarshal(rec.Body.Bytes(), &tr) != nil {
			panic("client token: " + rec.Body.String())
		}
		fzToken = tr.AccessToken
	})
	return fzSrv
}

func fzTLS(s *Server) *tls.ConnectionState {
	return &tls.ConnectionState{HandshakeComplete: true, Version: tls.VersionTLS13,
		PeerCertificates: []*x509.Certificate{s.Certs.QWAC.Cert, s.Certs.CA.Cert}}
}

// fzHandlerRT serves a request with the API handler in process.
type fzHandlerRT struct {
	h   http.Handler
	tls *tls.ConnectionState
	rec *httptest.ResponseRecorder
}

func (rt *fzHandlerRT) RoundTrip(r *http.Request) (*http.Response, error) {
	r.TLS = rt.tls
	r.RemoteAddr = "192.0.2.1:1234"
	rt.rec = httptest.NewRecorder()
	rt.h.ServeHTTP(rt.rec, r)
	return rt.rec.Result(), nil
}

var fzMethods = []string{"GET", "POST", "DELETE", "PUT", "HEAD", "OPTIONS", "PATCH"}

func FuzzAPIHandler(f *testing.F) {
	body := []byte(fzConsentSeeds[0])
	f.Add(uint8(1), "v1/consents", "Content-Type", "application/json", body, uint8(7))
	f.Add(uint8(1), "v1/consents", "PSU-IP-Address", "192.0.2.7", body, uint8(3))
	f.Add(uint8(1), "v1/consents", "PSU-IP-Address", "999.1.1.1", body, uint8(3))
	f.Add(uint8(0), "v1/card-accounts", "PSU-IP-Address", "fe80::1%eth0", []byte(nil), uint8(7))
	f.Add(uint8(1), "v1/consents", "TPP-Redirect-URI", "https://tpp.example/cb", []byte(fzConsentSeeds[3]), uint8(7))
	f.Add(uint8(0), "v1/consents/abc", "Consent-ID", "abc", []byte(nil), uint8(7))
	f.Add(uint8(0), "v1/consents/abc/status", "X-Request-ID", "not-a-uuid", []byte(nil), uint8(7))
	f.Add(uint8(3), "v1/consents/abc/authorisations/auth-1", "PSU-ID", "1345611", []byte(`{"psuData":{"password":"x"}}`), uint8(7))
	f.Add(uint8(2), "v1/consents/abc", "Digest", "SHA-256=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=", []byte(nil), uint8(7))
	f.Add(uint8(0), "v1/card-accounts", "Consent-ID", "c1", []byte(nil), uint8(7))
	f.Add(uint8(0), "v1/card-accounts/x/transactions?dateFrom=2025-01-01&bookingStatus=both", "Consent-ID", "c1", []byte(nil), uint8(7))
	f.Add(uint8(0), "v1/card-accounts/x/balances", "Signature", `keyId="x",signature="c2ln"`, []byte(nil), uint8(6))
	f.Add(uint8(0), "v1/accounts", "Authorization", "Bearer nope", []byte(nil), uint8(3))
	f.Add(uint8(1), "oauth/token", "Content-Type", "application/x-www-form-urlencoded", []byte("grant_type=client_credentials"), uint8(1))
	f.Add(uint8(1), "oauth/token", "Content-Type", "application/x-www-form-urlencoded", []byte("grant_type=authorization_code&code=x&code_verifier=y&redirect_uri=https%3A%2F%2Ftpp"), uint8(0))
	f.Add(uint8(0), ".well-known/oauth-authorization-server", "Accept", "*/*", []byte(nil), uint8(0))
	f.Add(uint8(3), "v2/nothing", "X", "y", []byte("{}"), uint8(0))
	f.Add(uint8(0), "v1/../v1/consents", "X", "y", []byte(nil), uint8(4))
	f.Fuzz(func(t *testing.T, m uint8, path, hname, hvalue string, body []byte, flags uint8) {
		s := fzSandbox(t)
		method := fzMethods[int(m)%len(fzMethods)]
		target := "https://sandbox.test/" + path
		req, err := http.NewRequest(method, target, bytes.NewReader(body))
		if err != nil || req.URL.Host != "sandbox.test" {
			return
		}
		req.Header.Set("X-Request-ID", uuid.NewString())
		if flags&4 != 0 {
			req.Header.Set("Authorization", "Bearer "+fzToken)
		}
		if len(body) > 0 {
			req.Header.Set("Content-Type", "application/json")
		}
		if hname != "" && httpHeaderOK(hname, hvalue) {
			req.Header.Set(hname, hvalue)
		}
		rt := &fzHandlerRT{h: s.Handler()}
		if flags&1 != 0 {
			rt.tls = fzTLS(s)
		}
		var base http.RoundTripper = rt
		if flags&2 != 0 {
			base = &httpsig.Transport{Signer: &httpsig.Signer{Key: s.Certs.QSeal.Key, Cert: s.Certs.QSeal.Cert}, Base: rt}
		}
		resp, err := base.RoundTrip(req)
		if err != nil {
			return // the signer refused the request (e.g. a header it cannot sign)
		}
		resp.Body.Close()
		rec := rt.rec
		if rec.Code >= 500 {
			t.Fatalf("%s %s: status %d\n%s", method, path, rec.Code, rec.Body)
		}
		if rec.Code < 400 || method == "HEAD" {
			return
		}
		if req.URL.Path == "/oauth/token" && method == "POST" {
			var oe struct {
				Error string `json:"error"`
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &oe); err != nil || oe.Error == "" {
				t.Fatalf("token endpoint %d answer is not an OAuth error: %v\n%s", rec.Code, err, rec.Body)
			}
			return
		}
		if rec.Code >= 300 && rec.Code < 400 {
			return
		}
		var eb ErrorBody
		if err := json.Unmarshal(rec.Body.Bytes(), &eb); err != nil || len(eb.TPPMessages) == 0 {
			t.Fatalf("%s %s: %d answer is not JSON with tppMessages: %v\n%s", method, req.URL.Path, rec.Code, err, rec.Body)
		}
		if !strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") {
			t.Fatalf("%d answer has Content-Type %q", rec.Code, rec.Header().Get("Content-Type"))
		}
	})
}

// httpHeaderOK is what net/http would send: a token name and a value
// without control characters.
func httpHeaderOK(name, value string) bool {
	for _, c := range []byte(name) {
		if c <= ' ' || c >= 0x7f || strings.IndexByte("\"(),/:;<=>?@[\\]{}", c) >= 0 {
			return false
		}
	}
	for _, c := range []byte(value) {
		if (c < ' ' && c != '\t') || c == 0x7f {
			return false
		}
	}
	return true
}

func FuzzWebHandler(f *testing.F) {
	f.Add(uint8(0), "response_type=code&client_id=sandbox-client&scope=AIS%3Aconsent-1&state=s1&redirect_uri=https%3A%2F%2Ftpp.example%2Fcb&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256", "")
	f.Add(uint8(0), "client_id=unknown&redirect_uri=javascript:alert(1)", "")
	f.Add(uint8(0), "client_id=sandbox-client&response_type=token&redirect_uri=http%3A%2F%2F127.0.0.1%3A8765%2Fcallback", "")
	f.Add(uint8(1), "", "session=abc&psu_id=1345611&otp=123456")
	f.Add(uint8(1), "", "session=&psu_id=&otp=")
	f.Add(uint8(2), "", "session=abc&decision=approve&account=card-1&account=card-2")
	f.Add(uint8(2), "", "session=abc&decision=deny")
	f.Add(uint8(2), "", "%zz=1&session")
	f.Add(uint8(3), "", "")
	f.Fuzz(func(t *testing.T, kind uint8, query, form string) {
		s := fzSandbox(t)
		var req *http.Request
		switch kind % 4 {
		case 0:
			req = httptest.NewRequest("GET", "https://auth.test/oauth/authorize", nil)
			req.URL.RawQuery = query
		case 1, 2:
			p := "/oauth/login"
			if kind%4 == 2 {
				p = "/oauth/decision"
			}
			req = httptest.NewRequest("POST", "https://auth.test"+p, strings.NewReader(form))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.URL.RawQuery = query
		default:
			req = httptest.NewRequest("GET", "https://auth.test/.well-known/oauth-authorization-server", nil)
		}
		rec := httptest.NewRecorder()
		s.WebHandler().ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("%s %s?%s form %q: status %d\n%s", req.Method, req.URL.Path, query, form, rec.Code, rec.Body)
		}
	})
}

// FuzzRejectionLookup: whatever follows /sandbox/v1/rejections/, the answer
// is the one kept record for exactly its X-Request-ID, or a Berlin Group
// error; never a 5xx.
func FuzzRejectionLookup(f *testing.F) {
	const kept = "5d9a3c0e-2a4b-4c1d-9e8f-0a1b2c3d4e5f"
	for _, seed := range []string{kept, strings.ToUpper(kept), kept + "/x", "12345", "%00", "%2F", "..", "a%20b", "%E2%82%AC", strings.Repeat("z", 201), ""} {
		f.Add(seed, true)
	}
	f.Add(kept, false)
	f.Fuzz(func(t *testing.T, raw string, withCert bool) {
		s := fzSandbox(t)
		if s.memory.get(kept) == nil {
			req := httptest.NewRequest("GET", "https://sandbox.test/v1/card-accounts", nil)
			req.Header.Set("X-Request-ID", kept)
			req.TLS = fzTLS(s)
			s.Handler().ServeHTTP(httptest.NewRecorder(), req) // unsigned: SIGNATURE_MISSING, kept
		}
		req, err := http.NewRequest("GET", "https://sandbox.test"+RejectionsPath+raw, nil)
		if err != nil || req.URL.Host != "sandbox.test" {
			return
		}
		if withCert {
			req.TLS = fzTLS(s)
		}
		rec := httptest.NewRecorder()
		s.Handler().ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("%q: status %d\n%s", raw, rec.Code, rec.Body)
		}
		if rec.Code == http.StatusOK {
			var r Record
			if err := json.Unmarshal(rec.Body.Bytes(), &r); err != nil || r.RequestID != kept || req.URL.Path != RejectionsPath+kept || !withCert {
				t.Fatalf("%q (path %q) answered 200 with %s", raw, req.URL.Path, rec.Body)
			}
			return
		}
		if rec.Code >= 300 && rec.Code < 400 {
			return // the mux cleans paths (.., //) with a redirect
		}
		var eb ErrorBody
		if err := json.Unmarshal(rec.Body.Bytes(), &eb); err != nil || len(eb.TPPMessages) == 0 {
			t.Fatalf("%q: %d answer is not JSON with tppMessages: %v\n%s", raw, rec.Code, err, rec.Body)
		}
	})
}

// FuzzAcceptsJSON: any Accept value is answered without a panic, and the
// answer does not change when a range that cannot match is appended.
func FuzzAcceptsJSON(f *testing.F) {
	for _, s := range []string{"", "application/json", "text/html", "*/*;q=0", "application/json;q=0, */*",
		"application/*;charset=utf-8;q=0.5", "text/html, application/xhtml+xml;q=0.9, */*;q=0.8", "application/json;q=abc", ";;,/,", "APPLICATION/JSON;Q=1.000"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, accept string) {
		got := AcceptsJSON(accept)
		if strings.TrimSpace(accept) != "" && AcceptsJSON(accept+", image/png") != got {
			t.Errorf("appending image/png changed the answer for %q", accept)
		}
	})
}
