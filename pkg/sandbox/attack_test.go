package sandbox

// The attack suite, in the style of the OpenID FAPI conformance tests: one
// row per attack a TPP, a stolen token or a hostile client can try, each
// sent through real TLS on loopback and checked for the exact refusal (HTTP
// status, Berlin Group code or RFC 6749 error, and a distinctive piece of
// the explanation). Some attacks are also covered by the rule tests
// (rules_test.go, oauth_test.go); they are repeated here so that this file
// is the complete list.
//
// What the bank can and cannot detect about state: state is the client's
// CSRF protection (RFC 6749 10.12). The bank only requires it and echoes it
// unchanged; it does not remember states, so the same authorization request
// sent twice is two independent sessions. What the bank does guarantee is
// that each authorization code is exchanged at most once (and that a second
// exchange revokes the tokens of the first). Matching the returned state to
// the one sent, and refusing a callback that was not asked for, is the
// TPP's side: the CLI's loopback receiver is tested in pkg/loopback.

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xs2a-dev/xs2a/pkg/text"

	"github.com/google/uuid"
	"github.com/xs2a-dev/xs2a/pkg/httpsig"
	"github.com/xs2a-dev/xs2a/pkg/qcert"
)

// attackEnv is the sandbox most attacks share: the PSU's pages (no
// AutoApprove), a frozen clock (nothing moves it, so rows may run in
// parallel), no per-second limit, and trust in the other organisation, in
// another CA of the default organisation and in the PSP_PI-only set.
type attackEnv struct {
	s     *Server
	clock *fakeClock
	// serial runs the fast rows one at a time: they approve recurring
	// consents of the same PSU as the same TPP, and each approval expires
	// the former ones (consentrules.go supersede), so in parallel one
	// row's approval ended another's consent between its approval and its
	// read (401 CONSENT_EXPIRED, a flaky failure). The slow rows still run
	// beside them.
	serial sync.Mutex
}

func newAttackEnv(t *testing.T) *attackEnv {
	clock := newClock(time.Now())
	o := otherOrgOptions(t, Options{RatePerSecond: -1, Now: clock.Now,
		Trust: []*x509.Certificate{extraSet(t, "same-org").CA.Cert, extraSet(t, "pi-only").CA.Cert}})
	return &attackEnv{s: startSandbox(t, o), clock: clock}
}

// tpp is the default TPP, owned by the row's own test.
func (e *attackEnv) tpp(t *testing.T) *party { return bankTPP(t, e.s) }

// psuConsent is a consent of p approved on the pages by psu, and its tokens.
func psuConsent(p *party, psu string, edit func(map[string]any)) (string, TokenResponse) {
	p.t.Helper()
	cid := p.createConsent(consentBody(edit))
	return cid, p.tokens(p.approve(cid, psu))
}

// oneOff makes a consent one-off. The rows run in parallel on one sandbox:
// a recurring consent the PSU approves would expire the PSU's former
// recurring consents at the same TPP, another row's among them.
func oneOff(m map[string]any) { m["recurringIndicator"], m["frequencyPerDay"] = false, 1 }

// afterSigning edits the request after the signing transport signed it.
type afterSigning struct {
	base http.RoundTripper
	edit func(r *http.Request)
}

func (a afterSigning) RoundTrip(req *http.Request) (*http.Response, error) {
	r := req.Clone(req.Context())
	a.edit(r)
	return a.base.RoundTrip(r)
}

// signWith is a client of p's QWAC signing with signer (nil key/cert mean
// p's sandbox QSealC), through base when given.
func signWith(p *party, s *httpsig.Signer, wrap func(http.RoundTripper) http.RoundTripper) *http.Client {
	if s.Key == nil {
		s.Key, s.Cert = p.s.Certs.QSeal.Key, p.s.Certs.QSeal.Cert
	}
	var base http.RoundTripper = p.plain.Transport
	if wrap != nil {
		base = wrap(base)
	}
	return &http.Client{Timeout: 30 * time.Second, Transport: &httpsig.Transport{Signer: s, Base: base}}
}

// expiredQSeal is the sandbox's QSealC re-issued by the same CA with a
// validity that ended yesterday: same organisation, same key.
func expiredQSeal(t *testing.T, s *Server) *qcert.Issued {
	t.Helper()
	tmpl := *s.Certs.QSeal.Cert
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 120))
	if err != nil {
		t.Fatal(err)
	}
	tmpl.SerialNumber = serial
	tmpl.NotBefore = time.Now().Add(-72 * time.Hour).UTC().Truncate(time.Second)
	tmpl.NotAfter = time.Now().Add(-24 * time.Hour).UTC().Truncate(time.Second)
	tmpl.SignatureAlgorithm = x509.SHA256WithRSA
	der, err := x509.CreateCertificate(rand.Reader, &tmpl, s.Certs.CA.Cert, &s.Certs.QSeal.Key.PublicKey, s.Certs.CA.Key)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return &qcert.Issued{Cert: c, Key: s.Certs.QSeal.Key}
}

// rawTLS opens a TLS connection to the API with the default QWAC, for what
// net/http will not send.
func rawTLS(t *testing.T, s *Server) *tls.Conn {
	t.Helper()
	q := s.Certs.QWAC
	conn, err := tls.Dial("tcp", strings.TrimPrefix(s.URL, "https://"), &tls.Config{RootCAs: s.CertPool(), MinVersion: tls.VersionTLS12,
		Certificates: []tls.Certificate{{Certificate: [][]byte{q.Cert.Raw}, PrivateKey: q.Key, Leaf: q.Cert}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// rawExchange writes req as is and reads one response.
func rawExchange(t *testing.T, s *Server, req string) answer {
	t.Helper()
	conn := rawTLS(t, s)
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(conn, req); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no HTTP answer to the raw request: %v", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return answer{resp.StatusCode, resp.Header, b}
}

// stillServing checks that the sandbox answers a good request.
func stillServing(t *testing.T, e *attackEnv) {
	t.Helper()
	p := e.tpp(t)
	wantStatus(t, p.call("POST", "/v1/consents", p.clientToken(), consentBody(nil), nil), 201)
}

// wantRefusal checks an answer against a row: an RFC 6749 error (lower
// case) of the token endpoint or, for a 302, of the authorization
// endpoint's redirect; a Berlin Group error (upper case); or, with no code,
// the status and body of a plain HTTP refusal.
func wantRefusal(t *testing.T, a answer, status int, code, path string, texts ...string) {
	t.Helper()
	switch {
	case code == "":
		if a.status != status {
			t.Errorf("status = %d, want %d; body %.300s", a.status, status, a.body)
		}
		for _, want := range texts {
			if !bytes.Contains(a.body, []byte(want)) {
				t.Errorf("body does not mention %q: %.300s", want, a.body)
			}
		}
	case a.status == http.StatusFound || status == http.StatusFound:
		if a.status != status {
			t.Fatalf("status = %d, want %d; body %.300s", a.status, status, a.body)
		}
		loc, err := url.Parse(a.header.Get("Location"))
		if err != nil {
			t.Fatal(err)
		}
		q := loc.Query()
		if q.Get("error") != code || q.Has("code") {
			t.Errorf("redirect %s, want error=%s and no code", loc, code)
		}
		for _, want := range texts {
			if !strings.Contains(q.Get("error_description"), want) {
				t.Errorf("error_description %q does not mention %q", q.Get("error_description"), want)
			}
		}
	case strings.ToLower(code) == code:
		wantOAuthError(t, a, status, code, texts...)
	default:
		wantAPIError(t, a, status, code, path, texts...)
	}
}

type attackRow struct {
	name   string
	status int
	code   string // Berlin Group code, RFC 6749 error, or "" for a plain HTTP refusal
	path   string // tppMessages[0].path
	texts  []string
	slow   bool // takes the server's ReadHeaderTimeout; skipped with -short
	attack func(t *testing.T, e *attackEnv) answer
}

const psuOK, psuRevokes = "1345611", "4000001"

var psuIP = map[string]string{"PSU-IP-Address": "192.0.2.1"}

func TestAttacks(t *testing.T) {
	e := newAttackEnv(t)
	other := extraSet(t, "other-org")
	sameOrg := extraSet(t, "same-org")
	piOnly := extraSet(t, "pi-only")
	consentPost := func(p *party, c *http.Client, body []byte, hdr map[string]string) answer {
		return do(p.t, c, p.request("POST", "/v1/consents", p.clientToken(), body, hdr))
	}

	rows := []attackRow{
		// --- the authorization code and PKCE ---------------------------------
		{name: "authorization code reused", status: 400, code: "invalid_grant", texts: []string{"already used", "revoked"},
			attack: func(t *testing.T, e *attackEnv) answer {
				p := e.tpp(t)
				cid := p.createConsent(consentBody(nil))
				g := p.approve(cid, psuOK)
				first := p.tokens(g)
				wantStatus(t, p.cards(cid, first.AccessToken, psuIP), 200)
				a, _ := p.exchange(g.code, g.redirect, g.verifier)
				// The replay revokes what the first exchange issued.
				wantAPIError(t, p.cards(cid, first.AccessToken, psuIP), 401, CodeTokenInvalid, "", "revoked", "used twice")
				return a
			}},
		{name: "wrong PKCE verifier", status: 400, code: "invalid_grant", texts: []string{"PKCE verification failed"},
			attack: func(t *testing.T, e *attackEnv) answer {
				p := e.tpp(t)
				g := p.approve(p.createConsent(consentBody(nil)), psuOK)
				wrong, _ := pkce()
				a, _ := p.exchange(g.code, g.redirect, wrong)
				return a
			}},
		{name: "PKCE verifier missing", status: 400, code: "invalid_request", texts: []string{"code_verifier is missing", "PKCE is required"},
			attack: func(t *testing.T, e *attackEnv) answer {
				p := e.tpp(t)
				g := p.approve(p.createConsent(consentBody(nil)), psuOK)
				a, _ := p.exchange(g.code, g.redirect, "")
				return a
			}},
		{name: "code_challenge_method plain", status: 302, code: "invalid_request", texts: []string{"plain is refused"},
			attack: func(t *testing.T, e *attackEnv) answer {
				p := e.tpp(t)
				v, _ := pkce()
				q := authQuery(p.app, p.createConsent(consentBody(nil)), loopbackRedirect, "st-plain", v) // plain: challenge = verifier
				q.Set("code_challenge_method", "plain")
				a := p.authorize(q)
				if got := redirected(t, a, loopbackRedirect).Get("state"); got != "st-plain" {
					t.Errorf("state = %q, want st-plain echoed", got)
				}
				return a
			}},
		{name: "code_challenge not 43 characters", status: 302, code: "invalid_request", texts: []string{"43 characters"},
			attack: func(t *testing.T, e *attackEnv) answer {
				p := e.tpp(t)
				_, c := pkce()
				return p.authorize(authQuery(p.app, p.createConsent(consentBody(nil)), loopbackRedirect, "st-short", c[:42]))
			}},
		{name: "redirect_uri changed between authorize and token", status: 400, code: "invalid_grant",
			texts: []string{`redirect_uri "http://127.0.0.1:9/evil" differs`},
			attack: func(t *testing.T, e *attackEnv) answer {
				p := e.tpp(t)
				g := p.approve(p.createConsent(consentBody(nil)), psuOK)
				a, _ := p.exchange(g.code, "http://127.0.0.1:9/evil", g.verifier)
				return a
			}},
		{name: "state replayed: the same authorization request twice", status: 400, code: "invalid_grant", texts: []string{"already used"},
			attack: func(t *testing.T, e *attackEnv) answer {
				p := e.tpp(t)
				cid := p.createConsent(consentBody(nil))
				verifier, challenge := pkce()
				q := authQuery(p.app, cid, loopbackRedirect, "st-replayed", challenge)
				// The bank keeps no record of states: the identical request
				// is a second, independent session.
				s1, otp1 := p.loginPage(q)
				s2, _ := p.loginPage(q)
				if s1 == s2 {
					t.Errorf("the replayed request got the same session %q", s1)
				}
				wantStatus(t, p.post("/oauth/login", url.Values{"session": {s1}, "psu_id": {psuOK}, "otp": {otp1}}), 200)
				rq := redirected(t, p.post("/oauth/decision", url.Values{"session": {s1}, "decision": {"approve"}}), loopbackRedirect)
				if rq.Get("state") != "st-replayed" || rq.Get("code") == "" {
					t.Fatalf("redirect = %v", rq)
				}
				code := rq.Get("code")
				a, tr := p.exchange(code, loopbackRedirect, verifier)
				wantStatus(t, a, 200)
				wantStatus(t, p.cards(cid, tr.AccessToken, psuIP), 200)
				// Once the consent is valid, the same request cannot start a
				// third session either: only a received consent is authorised.
				third := p.authorize(q)
				wantRefusal(t, third, 302, "invalid_scope", "", "only a consent in status received")
				// The code itself is single use.
				a, _ = p.exchange(code, loopbackRedirect, verifier)
				return a
			}},

		// --- the TPP is its organisation and its CA (issue 14) ------------------
		{name: "QWAC of another trusted CA naming the TPP's organisation, with its app's secret", status: 401, code: "invalid_client",
			texts: []string{"another CA", "another TPP with the same organizationIdentifier"},
			attack: func(t *testing.T, e *attackEnv) answer {
				q := newParty(t, e.s, e.s.DefaultApp, sameOrg.QWAC, sameOrg.QSeal)
				return q.token(url.Values{"grant_type": {"client_credentials"}}, true)
			}},
		{name: "tls_client_auth for an app that has a client secret", status: 401, code: "invalid_client",
			texts: []string{"has a client secret", "tls_client_auth"},
			attack: func(t *testing.T, e *attackEnv) answer {
				p := e.tpp(t)
				return p.token(url.Values{"grant_type": {"client_credentials"}, "client_id": {p.app.ClientID}}, false)
			}},
		{name: "a CA certificate as the QWAC", status: 401, code: CodeCertificateInvalid,
			texts: []string{"the QWAC is a CA certificate (basicConstraints CA:TRUE, keyUsage keyCertSign)"},
			attack: func(t *testing.T, e *attackEnv) answer {
				// The trusted other-org CA itself, as the TLS client certificate.
				tr := mtlsTransport(e.s, other.CA)
				defer tr.CloseIdleConnections()
				req := mustGet(e.s.URL + "/v1/consents/cns-x")
				req.Header.Set("X-Request-ID", uuid.NewString())
				return do(t, &http.Client{Transport: tr}, req)
			}},

		// --- tokens bound to their client and certificate ----------------------
		{name: "token of another client (another TPP's app)", status: 401, code: CodeTokenInvalid,
			texts: []string{"bound to another client certificate"},
			attack: func(t *testing.T, e *attackEnv) answer {
				b := newParty(t, e.s, otherApp, other.QWAC, other.QSeal)
				cid, tr := psuConsent(b, psuOK, oneOff)
				wantStatus(t, b.cards(cid, tr.AccessToken, psuIP), 200)
				return e.tpp(t).cards(cid, tr.AccessToken, psuIP) // B's token and consent, A's QWAC
			}},
		{name: "token with another QWAC of the same organisation", status: 401, code: CodeTokenInvalid,
			texts: []string{"bound to another client certificate", "RFC 8705"},
			attack: func(t *testing.T, e *attackEnv) answer {
				p := e.tpp(t)
				cid, tr := psuConsent(p, psuOK, oneOff)
				q := newParty(t, e.s, e.s.DefaultApp, sameOrg.QWAC, sameOrg.QSeal)
				return q.cards(cid, tr.AccessToken, psuIP)
			}},
		{name: "consent of another TPP", status: 400, code: CodeConsentUnknown, path: "Consent-ID", texts: []string{"is not a consent of this TPP"},
			attack: func(t *testing.T, e *attackEnv) answer {
				b := newParty(t, e.s, otherApp, other.QWAC, other.QSeal)
				bcid, _ := psuConsent(b, psuOK, oneOff)
				p := e.tpp(t)
				_, tr := psuConsent(p, psuOK, oneOff)
				return p.cards(bcid, tr.AccessToken, psuIP) // A's token, B's Consent-ID
			}},

		// --- consent state ---------------------------------------------------------
		{name: "expired consent", status: 401, code: CodeConsentExpired, texts: []string{"expired after"},
			attack: func(t *testing.T, e *attackEnv) answer {
				clock, midnight := beforeBankMidnight()
				s := startSandbox(t, Options{RatePerSecond: -1, AutoApprove: true, Now: clock.Now})
				p := bankTPP(t, s)
				today := bankDate(clock.Now()).Format(time.DateOnly)
				cid, at := p.consented(consentBody(func(m map[string]any) { m["validUntil"] = today }))
				wantStatus(t, p.cards(cid, at, psuIP), 200)
				clock.Set(midnight.Add(time.Second)) // past validUntil, the token still live
				return p.cards(cid, at, psuIP)
			}},
		{name: "revoked consent (PSU 4000001)", status: 401, code: CodeConsentInvalid, texts: []string{"is revokedByPsu, not valid"},
			attack: func(t *testing.T, e *attackEnv) answer {
				p := e.tpp(t)
				cid, tr := psuConsent(p, psuRevokes, nil)
				return p.cards(cid, tr.AccessToken, psuIP)
			}},
		{name: "frequencyPerDay exhausted", status: 429, code: CodeAccessExceeded, texts: []string{"allows 1 accesses a day without the PSU"},
			attack: func(t *testing.T, e *attackEnv) answer {
				p := e.tpp(t)
				cid, tr := psuConsent(p, psuOK, func(m map[string]any) { m["frequencyPerDay"] = 1 })
				wantStatus(t, p.cards(cid, tr.AccessToken, nil), 200)
				return p.cards(cid, tr.AccessToken, nil)
			}},
		{name: "one-off consent read twice, PSU present", status: 429, code: CodeAccessExceeded, texts: []string{"is a one-off consent", "PSU present or not"},
			attack: func(t *testing.T, e *attackEnv) answer {
				p := e.tpp(t)
				cid, tr := psuConsent(p, psuOK, oneOff)
				wantStatus(t, p.cards(cid, tr.AccessToken, psuIP), 200)
				return p.cards(cid, tr.AccessToken, psuIP)
			}},

		// --- signatures --------------------------------------------------------------
		{name: "body tampered after signing", status: 401, code: CodeSignatureInvalid,
			texts: []string{"check " + httpsig.CheckDigest + " failed", "does not match"},
			attack: func(t *testing.T, e *attackEnv) answer {
				p := e.tpp(t)
				return consentPost(p, signing(tamper{p.plain.Transport}, e.s.Certs.QSeal), consentBody(nil), nil)
			}},
		{name: "x-request-id tampered after signing", status: 401, code: CodeSignatureInvalid,
			texts: []string{"check " + httpsig.CheckSignature + " failed: the signature does not match the signing string"},
			attack: func(t *testing.T, e *attackEnv) answer {
				p := e.tpp(t)
				c := signWith(p, &httpsig.Signer{}, func(b http.RoundTripper) http.RoundTripper {
					return afterSigning{b, func(r *http.Request) { r.Header.Set("X-Request-ID", uuid.NewString()) }}
				})
				return consentPost(p, c, consentBody(nil), nil)
			}},
		{name: "digest tampered after signing", status: 401, code: CodeSignatureInvalid,
			texts: []string{fmt.Sprintf("check %s failed: SHA-256 of the %d body bytes does not match", httpsig.CheckDigest, len(consentBody(nil)))},
			attack: func(t *testing.T, e *attackEnv) answer {
				p := e.tpp(t)
				c := signWith(p, &httpsig.Signer{}, func(b http.RoundTripper) http.RoundTripper {
					return afterSigning{b, func(r *http.Request) { r.Header.Set("Digest", httpsig.Digest(httpsig.DigestSHA256, []byte("{}"))) }}
				})
				return consentPost(p, c, consentBody(nil), nil)
			}},
		{name: "psu-id tampered after signing", status: 401, code: CodeSignatureInvalid,
			texts: []string{"check " + httpsig.CheckSignature + " failed: the signature does not match the signing string"},
			attack: func(t *testing.T, e *attackEnv) answer {
				p := e.tpp(t)
				c := signWith(p, &httpsig.Signer{}, func(b http.RoundTripper) http.RoundTripper {
					return afterSigning{b, func(r *http.Request) { r.Header.Set("PSU-ID", psuRevokes) }}
				})
				return consentPost(p, c, consentBody(nil), map[string]string{"PSU-ID": psuOK})
			}},
		{name: "signature header list without digest", status: 401, code: CodeSignatureInvalid,
			texts: []string{`check signed-headers failed: "digest" must be signed`, "Digest must be present whenever Signature is"},
			attack: func(t *testing.T, e *attackEnv) answer {
				p := e.tpp(t)
				c := signWith(p, &httpsig.Signer{Profile: httpsig.ProfileGeneric, Headers: []string{"x-request-id"}}, nil)
				return consentPost(p, c, consentBody(nil), nil)
			}},
		{name: "signature header list with date", status: 401, code: CodeSignatureInvalid,
			texts: []string{`"date" is not allowed in the Berlin Group header list`},
			attack: func(t *testing.T, e *attackEnv) answer {
				p := e.tpp(t)
				c := signWith(p, &httpsig.Signer{Profile: httpsig.ProfileGeneric, Headers: []string{"x-request-id", "digest", "date"}}, nil)
				return consentPost(p, c, consentBody(nil), map[string]string{"Date": time.Now().UTC().Format(http.TimeFormat)})
			}},
		{name: "rsa-sha512 with a SHA256-RSA QSealC", status: 401, code: CodeSignatureInvalid,
			texts: []string{"check " + httpsig.CheckAlgorithm + " failed", "the certificate is signed with SHA256-RSA", "expected rsa-sha256; got rsa-sha512"},
			attack: func(t *testing.T, e *attackEnv) answer {
				p := e.tpp(t)
				if e.s.Certs.QSeal.Cert.SignatureAlgorithm != x509.SHA256WithRSA {
					t.Fatalf("the QSealC is signed with %s", e.s.Certs.QSeal.Cert.SignatureAlgorithm)
				}
				return consentPost(p, signWith(p, &httpsig.Signer{Algorithm: httpsig.RSASHA512}, nil), consentBody(nil), nil)
			}},

		// --- certificates --------------------------------------------------------------
		{name: "expired QSealC", status: 401, code: CodeCertificateExpired,
			texts: []string{"check " + httpsig.CheckValidity + " failed: the certificate has expired"},
			attack: func(t *testing.T, e *attackEnv) answer {
				p := e.tpp(t)
				return consentPost(p, signing(p.plain.Transport, expiredQSeal(t, e.s)), consentBody(nil), nil)
			}},
		{name: "QSealC without PSP_AI", status: 401, code: CodeRoleInvalid, texts: []string{"QSealC's PSD2 roles [PSP_PI] do not include PSP_AI"},
			attack: func(t *testing.T, e *attackEnv) answer {
				p := e.tpp(t)
				return consentPost(p, signing(p.plain.Transport, piOnly.QSeal), consentBody(nil), nil)
			}},
		{name: "QWAC and QSealC of different organisations", status: 401, code: CodeCertificateInvalid,
			texts: []string{fmt.Sprintf("the QSealC belongs to %q but the QWAC to %q", otherOrg.OrganizationIdentifier(), qcert.DefaultOrg.OrganizationIdentifier())},
			attack: func(t *testing.T, e *attackEnv) answer {
				p := e.tpp(t)
				return consentPost(p, signing(p.plain.Transport, other.QSeal), consentBody(nil), nil)
			}},

		// --- malformed requests ----------------------------------------------------------
		{name: "X-Request-ID not a UUID (urn:uuid: form)", status: 400, code: CodeFormatError, path: "X-Request-ID", texts: []string{"is not a UUID"},
			attack: func(t *testing.T, e *attackEnv) answer {
				p := e.tpp(t)
				return p.call("POST", "/v1/consents", p.clientToken(), consentBody(nil), map[string]string{"X-Request-ID": "urn:uuid:" + uuid.NewString()})
			}},
		{name: "body over 1 MiB", status: 400, code: CodeFormatError, texts: []string{fmt.Sprintf("the body is larger than %d bytes", MaxBody)},
			attack: func(t *testing.T, e *attackEnv) answer {
				p := e.tpp(t)
				big := bytes.Repeat([]byte(" "), MaxBody+1)
				copy(big, consentBody(nil))
				return p.call("POST", "/v1/consents", p.clientToken(), big, nil)
			}},
		{name: "malformed JSON consent", status: 400, code: CodeFormatError, texts: []string{"the body is not valid JSON"},
			attack: func(t *testing.T, e *attackEnv) answer {
				p := e.tpp(t)
				return p.call("POST", "/v1/consents", p.clientToken(), []byte(`{"access":{"allPsd2":"allAccounts"},,}`), nil)
			}},
		{name: "JSON with trailing garbage", status: 400, code: CodeFormatError, texts: []string{"data after the JSON object"},
			attack: func(t *testing.T, e *attackEnv) answer {
				p := e.tpp(t)
				return p.call("POST", "/v1/consents", p.clientToken(), append(consentBody(nil), []byte(`garbage`)...), nil)
			}},
		{name: "JSON with duplicate keys", status: 400, code: CodeFormatError, path: "frequencyPerDay", texts: []string{"frequencyPerDay appears twice"},
			attack: func(t *testing.T, e *attackEnv) answer {
				p := e.tpp(t)
				body := []byte(`{"access":{"allPsd2":"allAccounts"},"recurringIndicator":true,"validUntil":"9999-12-31",` +
					`"frequencyPerDay":1,"combinedServiceIndicator":false,"frequencyPerDay":4}`)
				return p.call("POST", "/v1/consents", p.clientToken(), body, nil)
			}},

		// --- the HTTP layer ---------------------------------------------------------------
		// net/http cannot send a CR or LF in a header value, so these go raw.
		// Go's server unfolds an obs-fold line into the previous header's
		// value with a space (RFC 9112 5.2 allows that or a 400), so the
		// folded line never becomes a header of its own: folded into
		// X-Request-ID it makes that value no UUID, and the bank refuses.
		{name: "header injection by obs-fold", status: 400, code: CodeFormatError, path: "X-Request-ID",
			texts: []string{" X-Injected: 1\" is not a UUID"},
			attack: func(t *testing.T, e *attackEnv) answer {
				host := strings.TrimPrefix(e.s.URL, "https://")
				a := rawExchange(t, e.s, "GET /v1/consents/cns-x HTTP/1.1\r\nHost: "+host+"\r\nX-Request-ID: "+uuid.NewString()+
					"\r\n X-Injected: 1\r\nConnection: close\r\n\r\n")
				stillServing(t, e)
				return a
			}},
		{name: "header injection by a bare CR", status: 400, texts: []string{"400 Bad Request"},
			attack: func(t *testing.T, e *attackEnv) answer {
				host := strings.TrimPrefix(e.s.URL, "https://")
				a := rawExchange(t, e.s, "GET /v1/consents/cns-x HTTP/1.1\r\nHost: "+host+"\r\nX-Request-ID: "+uuid.NewString()+
					"\rX-Injected: 1\r\nConnection: close\r\n\r\n")
				stillServing(t, e)
				return a
			}},
		{name: "slowloris: request line never finished", slow: true,
			attack: func(t *testing.T, e *attackEnv) answer {
				conn := rawTLS(t, e.s)
				if _, err := io.WriteString(conn, "GET /v1/consents/cns-x HT"); err != nil {
					t.Fatal(err)
				}
				start := time.Now()
				conn.SetReadDeadline(start.Add(20 * time.Second))
				b, err := io.ReadAll(conn)
				took := time.Since(start)
				var ne net.Error
				switch {
				case errors.As(err, &ne) && ne.Timeout():
					t.Fatalf("the server kept the half-sent request open for %s", took.Round(time.Second))
				case took < 9*time.Second || took > 15*time.Second:
					t.Errorf("closed after %s, want about the ReadHeaderTimeout (%s)", took.Round(100*time.Millisecond), e.s.apiSrv.ReadHeaderTimeout)
				}
				if len(b) > 0 && !bytes.HasPrefix(b, []byte("HTTP/1.1 400 ")) {
					t.Errorf("answered %q before closing; want nothing or a 400", text.Clip(string(b), 80))
				}
				t.Logf("closed after %s (err %v, %d bytes: %q)", took.Round(100*time.Millisecond), err, len(b), text.Clip(string(b), 80))
				stillServing(t, e)
				return answer{status: 0}
			}},
	}

	for _, row := range rows {
		t.Run(row.name, func(t *testing.T) {
			if row.slow && testing.Short() {
				t.Skipf("takes the server's ReadHeaderTimeout (%s); run without -short", e.s.apiSrv.ReadHeaderTimeout)
			}
			t.Parallel()
			if !row.slow {
				e.serial.Lock()
				defer e.serial.Unlock()
			}
			a := row.attack(t, e)
			if row.status == 0 && row.code == "" {
				return // the attack checked itself
			}
			wantRefusal(t, a, row.status, row.code, row.path, row.texts...)
			t.Logf("refused: %d %s %s", a.status, a.header.Get("Location"), text.Clip(string(a.body), 400))
		})
	}
}
