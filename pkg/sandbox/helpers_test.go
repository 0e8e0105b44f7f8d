package sandbox

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"io"
	"math/big"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/xs2a-dev/xs2a/pkg/httpsig"
	"github.com/xs2a-dev/xs2a/pkg/qcert"
)

var (
	setOnce sync.Once
	testSet *qcert.Set
)

// sharedSet is one certificate set per test binary; key generation dominates.
func sharedSet(t testing.TB) *qcert.Set {
	t.Helper()
	setOnce.Do(func() {
		var err error
		testSet, err = qcert.GenerateSet(qcert.Options{Org: qcert.DefaultOrg, Roles: DefaultRoles})
		if err != nil {
			panic(err)
		}
	})
	return testSet
}

func startSandbox(t testing.TB, opts Options) *Server {
	t.Helper()
	if opts.Certs == nil {
		opts.Certs = sharedSet(t)
	}
	s, err := Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// tpp is a test TPP: the sandbox's default app with a signing client.
type tpp struct {
	t      testing.TB
	s      *Server
	plain  *http.Client // mTLS, unsigned (token endpoint)
	signed *http.Client // mTLS, signing every request
}

func newTPP(t testing.TB, s *Server) *tpp {
	plain := s.Client()
	signed := &http.Client{Transport: &httpsig.Transport{
		Signer: &httpsig.Signer{Key: s.Certs.QSeal.Key, Cert: s.Certs.QSeal.Cert},
		Base:   plain.Transport,
	}}
	return &tpp{t: t, s: s, plain: plain, signed: signed}
}

type answer struct {
	status int
	header http.Header
	body   []byte
}

func (a answer) json(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(a.body, v); err != nil {
		t.Fatalf("answer is not JSON: %v\n%s", err, a.body)
	}
}

// codes lists the tppMessages codes of an error answer.
func (a answer) codes(t testing.TB) []string {
	t.Helper()
	var e ErrorBody
	a.json(t, &e)
	var out []string
	for _, m := range e.TPPMessages {
		out = append(out, m.Code)
	}
	return out
}

func (a answer) text(t testing.TB) string {
	t.Helper()
	var e ErrorBody
	a.json(t, &e)
	var out []string
	for _, m := range e.TPPMessages {
		out = append(out, m.Text)
	}
	return strings.Join(out, " | ")
}

func do(t testing.TB, c *http.Client, req *http.Request) answer {
	t.Helper()
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return answer{resp.StatusCode, resp.Header, b}
}

func (p *tpp) clientToken() string {
	p.t.Helper()
	form := url.Values{"grant_type": {"client_credentials"}}
	req, _ := http.NewRequest("POST", p.s.URL+"/oauth/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(p.s.DefaultApp.ClientID, p.s.DefaultApp.ClientSecret)
	a := do(p.t, p.plain, req)
	if a.status != 200 {
		p.t.Fatalf("client_credentials: %d %s", a.status, a.body)
	}
	var tr TokenResponse
	a.json(p.t, &tr)
	return tr.AccessToken
}

// testPSUIP is the PSU-IP-Address the helpers send on POST /v1/consents,
// where the file makes it mandatory (TEST-NET-1, RFC 5737).
const testPSUIP = "192.0.2.1"

// setConsentPSUIP gives a POST /v1/consents its mandatory PSU-IP-Address;
// a test leaves it out with the header's value "" in its own headers.
func setConsentPSUIP(req *http.Request) {
	if req.Method == http.MethodPost && req.URL.Path == "/v1/consents" {
		req.Header.Set("PSU-IP-Address", testPSUIP)
	}
}

// api sends a signed API request with the usual headers (a header given
// as "" is left out).
func (p *tpp) api(method, path, token string, body []byte, hdr map[string]string) answer {
	p.t.Helper()
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req, _ := http.NewRequest(method, p.s.URL+path, r)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	req.Header.Set(p.s.opts.APIKeyHeader, p.s.DefaultApp.APIKey)
	setConsentPSUIP(req)
	for k, v := range hdr {
		if v == "" {
			req.Header.Del(k)
		} else {
			req.Header.Set(k, v)
		}
	}
	return do(p.t, p.signed, req)
}

const allAccounts = `{"access":{"allPsd2":"allAccounts"},"recurringIndicator":true,"validUntil":"9999-12-31","frequencyPerDay":4,"combinedServiceIndicator":false}`

func (p *tpp) createConsent(body string) string {
	p.t.Helper()
	a := p.api("POST", "/v1/consents", p.clientToken(), []byte(body), nil)
	if a.status != 201 {
		p.t.Fatalf("create consent: %d %s", a.status, a.body)
	}
	var cr struct{ ConsentID string }
	a.json(p.t, &cr)
	return cr.ConsentID
}

func pkce() (verifier, challenge string) {
	b := make([]byte, 32)
	rand.Read(b)
	verifier = base64.RawURLEncoding.EncodeToString(b)
	return verifier, S256(verifier)
}

// authorizeURL builds the bank's authorization request.
func (p *tpp) authorizeURL(consentID, redirect, state, challenge string) string {
	q := url.Values{"response_type": {"code"}, "client_id": {p.s.DefaultApp.ClientID}, "redirect_uri": {redirect},
		"scope": {"AIS:" + consentID}, "state": {state}, "code_challenge": {challenge}, "code_challenge_method": {"S256"}, "response_mode": {"query"}}
	return p.s.AuthURL + "/oauth/authorize?" + q.Encode()
}

// browser follows the bank's pages but stops at the TPP's loopback redirect,
// returning where it would go.
func (p *tpp) browser() *http.Client {
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: p.plain.Transport.(*http.Transport).TLSClientConfig.Clone()}}
	c.Transport.(*http.Transport).TLSClientConfig.Certificates = nil // a browser has no QWAC
	c.CheckRedirect = func(req *http.Request, via []*http.Request) error { return http.ErrUseLastResponse }
	return c
}

// exchange trades a code for tokens.
func (p *tpp) exchange(code, redirect, verifier string) (answer, TokenResponse) {
	p.t.Helper()
	form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {redirect}, "code_verifier": {verifier}}
	req, _ := http.NewRequest("POST", p.s.URL+"/oauth/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(p.s.DefaultApp.ClientID, p.s.DefaultApp.ClientSecret)
	a := do(p.t, p.plain, req)
	var tr TokenResponse
	if a.status == 200 {
		a.json(p.t, &tr)
	}
	return a, tr
}

// journey runs consent → auto-approved authorization → code exchange and
// returns the consent id and the PSU access token.
func (p *tpp) journey(body string) (string, string) {
	p.t.Helper()
	cid := p.createConsent(body)
	verifier, challenge := pkce()
	redirect := "http://127.0.0.1:9/callback"
	a := do(p.t, p.browser(), mustGet(p.authorizeURL(cid, redirect, "st-1", challenge)))
	if a.status != http.StatusFound {
		p.t.Fatalf("authorize: %d %s", a.status, a.body)
	}
	loc, _ := url.Parse(a.header.Get("Location"))
	if loc.Query().Get("state") != "st-1" || loc.Query().Get("code") == "" {
		p.t.Fatalf("redirect %s lacks code or state", loc)
	}
	ea, tr := p.exchange(loc.Query().Get("code"), redirect, verifier)
	if ea.status != 200 {
		p.t.Fatalf("exchange: %d %s", ea.status, ea.body)
	}
	return cid, tr.AccessToken
}

func mustGet(u string) *http.Request {
	r, err := http.NewRequest("GET", u, nil)
	if err != nil {
		panic(err)
	}
	return r
}

// requestsToday is the day count of p's TPP (its QWAC's organisation and CA).
func (s *Server) requestsToday(p *party) int {
	tr := p.plain.Transport.(*http.Transport)
	c := tr.TLSClientConfig.Certificates[0].Leaf
	return s.requestsTodayOf(tppKey(qcert.OrganizationIdentifier(c), s.anchorOf(c, nil)))
}

// siblingQWAC is another QWAC of the default TPP: same subject, same CA,
// another key (so another thumbprint).
func siblingQWAC(t testing.TB, s *Server) *qcert.Issued {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	c := s.Certs.QWAC.Cert
	tmpl := &x509.Certificate{SerialNumber: new(big.Int).Add(c.SerialNumber, big.NewInt(1)), RawSubject: c.RawSubject, DNSNames: c.DNSNames,
		NotBefore: c.NotBefore, NotAfter: c.NotAfter, KeyUsage: c.KeyUsage, ExtKeyUsage: c.ExtKeyUsage}
	for _, e := range c.Extensions {
		if e.Id.Equal(qcert.OIDQCStatements) {
			tmpl.ExtraExtensions = append(tmpl.ExtraExtensions, e)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, s.Certs.CA.Cert, &key.PublicKey, s.Certs.CA.Key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return &qcert.Issued{Cert: cert, Key: key}
}

// liveTokens is how many tokens the store keeps for an app.
func (s *Server) liveTokens(clientID string) int {
	n := 0
	s.store.locked(func() {
		for _, t := range s.store.tokens {
			if t.clientID == clientID {
				n++
			}
		}
	})
	return n
}
