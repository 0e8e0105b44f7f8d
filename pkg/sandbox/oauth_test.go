package sandbox

// The authorization server: the token endpoint (RFC 6749 errors), the
// authorization endpoint and the PSU's pages, the code exchange with PKCE,
// refresh-token rotation and certificate-bound tokens (RFC 8705).

import (
	"bytes"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xs2a-dev/xs2a/pkg/qcert"
)

// registeredApp belongs to the default organisation and has registered
// redirect URIs, unlike the default app.
var registeredApp = App{Name: "Registered App", ClientID: "registered-client", ClientSecret: "registered-secret",
	APIKey: "registered-api-key", OrganizationID: qcert.DefaultOrg.OrganizationIdentifier(),
	RedirectURIs: []string{"http://127.0.0.1:8080/callback", "https://tpp.example/xs2a/callback"}}

// mtlsApp is registered without a secret: for tls_client_auth.
var mtlsApp = App{Name: "mTLS App", ClientID: "mtls-client", APIKey: "mtls-api-key", OrganizationID: qcert.DefaultOrg.OrganizationIdentifier()}

func TestTokenEndpoint(t *testing.T) {
	s := startSandbox(t, otherOrgOptions(t, Options{RatePerSecond: -1, Apps: []App{mtlsApp}}))
	p := bankTPP(t, s)
	app := s.DefaultApp
	cc := func(kv ...string) url.Values {
		v := url.Values{"grant_type": {"client_credentials"}}
		for i := 0; i < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return v
	}
	ok := func(t *testing.T, p *party, a answer) {
		t.Helper()
		wantStatus(t, a, 200)
		var tr TokenResponse
		a.json(t, &tr)
		if tr.AccessToken == "" || tr.TokenType != "Bearer" || tr.ExpiresIn != int(AccessTokenTTL.Seconds()) || tr.RefreshToken != "" {
			t.Errorf("token response = %+v", tr)
		}
		if a.header.Get("Cache-Control") != "no-store" {
			t.Errorf("Cache-Control = %q", a.header.Get("Cache-Control"))
		}
		// The token is good for consent management.
		wantStatus(t, p.call("POST", "/v1/consents", tr.AccessToken, consentBody(nil), nil), 201)
	}

	t.Run("client_secret_basic", func(t *testing.T) { ok(t, p, p.token(cc(), true)) })
	t.Run("client_secret_post", func(t *testing.T) {
		ok(t, p, p.token(cc("client_id", app.ClientID, "client_secret", app.ClientSecret), false))
	})
	t.Run("tls_client_auth", func(t *testing.T) {
		// Only for an app registered without a secret (RFC 8705 section 2).
		q := newParty(t, s, mtlsApp, s.Certs.QWAC, s.Certs.QSeal)
		ok(t, q, q.token(cc("client_id", mtlsApp.ClientID), false))
		wantOAuthError(t, p.token(cc("client_id", app.ClientID), false), 401, "invalid_client", "has a client secret", "tls_client_auth")
		wantOAuthError(t, q.token(cc("client_id", mtlsApp.ClientID, "client_secret", "guess"), false), 401, "invalid_client", "wrong client_secret")
	})

	t.Run("wrong secret (post)", func(t *testing.T) {
		a := p.token(cc("client_id", app.ClientID, "client_secret", "wrong"), false)
		wantOAuthError(t, a, 401, "invalid_client", `wrong client_secret for client "sandbox-client"`)
	})
	t.Run("wrong secret (basic)", func(t *testing.T) {
		q := newParty(t, s, App{ClientID: app.ClientID, ClientSecret: "wrong"}, s.Certs.QWAC, s.Certs.QSeal)
		wantOAuthError(t, q.token(cc(), true), 401, "invalid_client", "wrong client_secret")
	})
	t.Run("unknown client", func(t *testing.T) {
		wantOAuthError(t, p.token(cc("client_id", "nobody", "client_secret", "x"), false), 401, "invalid_client", `unknown client_id "nobody"`)
	})
	t.Run("no client_id", func(t *testing.T) {
		wantOAuthError(t, p.token(cc(), false), 401, "invalid_client", "no client_id")
	})
	t.Run("Basic and client_secret together", func(t *testing.T) {
		wantOAuthError(t, p.token(cc("client_secret", app.ClientSecret), true), 400, "invalid_request", "client authenticated twice")
	})
	t.Run("default app with another organisation's QWAC", func(t *testing.T) {
		set := extraSet(t, "other-org")
		q := newParty(t, s, app, set.QWAC, set.QSeal)
		wantOAuthError(t, q.token(cc(), true), 401, "invalid_client",
			fmt.Sprintf(`client "sandbox-client" is registered for %s but the QWAC presented belongs to %s`,
				qcert.DefaultOrg.OrganizationIdentifier(), otherOrg.OrganizationIdentifier()))
	})
	t.Run("another organisation's app with the default QWAC", func(t *testing.T) {
		q := newParty(t, s, otherApp, s.Certs.QWAC, s.Certs.QSeal)
		wantOAuthError(t, q.token(cc(), true), 401, "invalid_client",
			fmt.Sprintf(`client "other-client" is registered for %s but the QWAC presented belongs to %s`,
				otherOrg.OrganizationIdentifier(), qcert.DefaultOrg.OrganizationIdentifier()))
	})
	t.Run("another organisation's app with its QWAC", func(t *testing.T) {
		o := otherTPP(t, s)
		ok(t, o, o.token(cc(), true))
	})
	t.Run("unsupported grant", func(t *testing.T) {
		a := p.token(url.Values{"grant_type": {"password"}, "username": {"u"}, "password": {"p"}}, true)
		wantOAuthError(t, a, 400, "unsupported_grant_type", `grant_type "password" is not supported`)
	})
	t.Run("grant_type missing", func(t *testing.T) {
		wantOAuthError(t, p.token(url.Values{}, true), 400, "invalid_request", "grant_type is missing")
	})
	t.Run("parameters in the query", func(t *testing.T) {
		req, _ := http.NewRequest("POST", s.URL+"/oauth/token?grant_type=client_credentials", strings.NewReader(""))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth(app.ClientID, app.ClientSecret)
		wantOAuthError(t, do(t, p.plain, req), 400, "invalid_request", "parameters go in the POST body")
	})
}

// wantErrorPage checks that the authorization endpoint refused with a page
// and did not redirect anywhere.
func wantErrorPage(t testing.TB, a answer, text string) {
	t.Helper()
	if a.status != 400 {
		t.Errorf("status = %d, want 400 (an error page); Location %q; body %.300s", a.status, a.header.Get("Location"), a.body)
	}
	if loc := a.header.Get("Location"); loc != "" {
		t.Errorf("redirects to %q; an untrusted request must get a page", loc)
	}
	if ct := a.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Errorf("Content-Type = %q", ct)
	}
	body := html.UnescapeString(string(a.body))
	if !strings.Contains(body, `id="error"`) || !strings.Contains(body, text) {
		t.Errorf("the page does not say %q:\n%s", text, body)
	}
}

// wantLoginPage checks that the authorization request was accepted.
func wantLoginPage(t testing.TB, a answer) {
	t.Helper()
	if a.status != 200 || !otpRE.Match(a.body) {
		t.Errorf("status %d, want the sign-in page; Location %q; body %.400s", a.status, a.header.Get("Location"), a.body)
	}
}

func TestAuthorizeEndpoint(t *testing.T) {
	s := startSandbox(t, otherOrgOptions(t, Options{RatePerSecond: -1, Apps: []App{registeredApp}}))
	p := bankTPP(t, s)
	cid := p.createConsent(consentBody(nil))
	_, challenge := pkce()
	query := func(app App, edit func(q url.Values)) url.Values {
		q := authQuery(app, cid, loopbackRedirect, "st-1", challenge)
		if edit != nil {
			edit(q)
		}
		return q
	}
	with := func(kv ...string) func(url.Values) {
		return func(q url.Values) {
			for i := 0; i < len(kv); i += 2 {
				if kv[i+1] == "" {
					q.Del(kv[i])
				} else {
					q.Set(kv[i], kv[i+1])
				}
			}
		}
	}

	// Refused with a page, never a redirect (RFC 6749 4.1.2.1).
	for _, tc := range []struct {
		name string
		app  App
		edit func(url.Values)
		text string
	}{
		{"client_id missing", s.DefaultApp, with("client_id", ""), "client_id is missing"},
		{"unknown client_id", s.DefaultApp, with("client_id", "nobody"), `Unknown client_id "nobody"`},
		{"redirect_uri missing", s.DefaultApp, with("redirect_uri", ""), "redirect_uri is missing"},
		{"non-loopback redirect", s.DefaultApp, with("redirect_uri", "https://evil.example/cb"), `redirect_uri "https://evil.example/cb" is refused`},
		{"plain http to another host", s.DefaultApp, with("redirect_uri", "http://192.0.2.10:8080/cb"), "only loopback"},
		{"https on loopback", s.DefaultApp, with("redirect_uri", "https://127.0.0.1:8443/cb"), "only loopback http"},
		{"redirect with a fragment", s.DefaultApp, with("redirect_uri", "http://127.0.0.1:9/cb#x"), "without a fragment"},
		{"relative redirect", s.DefaultApp, with("redirect_uri", "/callback"), "not an absolute URI"},
		{"registered: other path on loopback", registeredApp, with("redirect_uri", "http://127.0.0.1:9999/other"), "not one of the client's registered URIs"},
		{"registered: other loopback host", registeredApp, with("redirect_uri", "http://localhost:8080/callback"), "not one of the client's registered URIs"},
		{"registered: other https path", registeredApp, with("redirect_uri", "https://tpp.example/other"), "not one of the client's registered URIs"},
	} {
		t.Run(tc.name, func(t *testing.T) { wantErrorPage(t, p.authorize(query(tc.app, tc.edit)), tc.text) })
	}

	// Accepted: the sign-in page.
	for _, tc := range []struct {
		name     string
		app      App
		redirect string
	}{
		{"127.0.0.1 any port", s.DefaultApp, "http://127.0.0.1:12345/cb"},
		{"[::1] any port", s.DefaultApp, "http://[::1]:5555/cb"},
		{"localhost any port", s.DefaultApp, "http://localhost:8080/cb"},
		{"loopback without port", s.DefaultApp, "http://127.0.0.1/cb"},
		{"registered: loopback path, another port", registeredApp, "http://127.0.0.1:9999/callback"},
		{"registered: exact https", registeredApp, "https://tpp.example/xs2a/callback"},
	} {
		t.Run(tc.name, func(t *testing.T) { wantLoginPage(t, p.authorize(query(tc.app, with("redirect_uri", tc.redirect)))) })
	}

	// Refused with a redirect carrying error (and state when given).
	other := otherTPP(t, s)
	otherCID := other.createConsent(consentBody(nil))
	ended := p.createConsent(consentBody(nil))
	wantStatus(t, p.call("DELETE", "/v1/consents/"+ended, p.clientToken(), nil, nil), 204)
	for _, tc := range []struct {
		name        string
		edit        func(url.Values)
		code, state string
		text        string
	}{
		{"response_type token", with("response_type", "token"), "unsupported_response_type", "st-1", `response_type "token" is not supported`},
		{"response_mode fragment", with("response_mode", "fragment"), "invalid_request", "st-1", `response_mode "fragment"`},
		{"state missing", with("state", ""), "invalid_request", "", "state is required"},
		{"code_challenge missing", with("code_challenge", ""), "invalid_request", "st-1", "PKCE with S256"},
		{"code_challenge_method plain", with("code_challenge_method", "plain"), "invalid_request", "st-1", "plain is refused"},
		{"code_challenge_method missing", with("code_challenge_method", ""), "invalid_request", "st-1", "only S256"},
		{"code_challenge too short", with("code_challenge", "abc"), "invalid_request", "st-1", "43 characters"},
		{"scope not AIS", with("scope", "openid accounts"), "invalid_scope", "st-1", `scope "openid accounts" is not AIS:<consentId>`},
		{"unknown consent", with("scope", "AIS:cns-unknown"), "invalid_scope", "st-1", `consent "cns-unknown" does not exist`},
		{"consent of another TPP", with("scope", "AIS:"+otherCID), "invalid_scope", "st-1", "belongs to another TPP"},
		{"consent not received", with("scope", "AIS:"+ended), "invalid_scope", "st-1", "is terminatedByTpp; only a consent in status received"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q := redirected(t, p.authorize(query(s.DefaultApp, tc.edit)), loopbackRedirect)
			if q.Get("error") != tc.code || q.Get("state") != tc.state || q.Has("code") {
				t.Errorf("redirect query = %v, want error=%s state=%q", q, tc.code, tc.state)
			}
			if !strings.Contains(q.Get("error_description"), tc.text) {
				t.Errorf("error_description %q does not mention %q", q.Get("error_description"), tc.text)
			}
		})
	}
}

func TestPSUPages(t *testing.T) {
	clock := newClock(time.Now())
	s := startSandbox(t, Options{RatePerSecond: -1, Now: clock.Now})
	p := bankTPP(t, s)
	_, challenge := pkce()
	start := func(cid string) (string, string) {
		return p.loginPage(authQuery(p.app, cid, loopbackRedirect, "st-pages", challenge))
	}

	t.Run("sign-in page", func(t *testing.T) {
		a := p.authorize(authQuery(p.app, p.createConsent(consentBody(nil)), loopbackRedirect, "st-pages", challenge))
		wantLoginPage(t, a)
		for k, v := range map[string]string{"X-Frame-Options": "DENY", "Cache-Control": "no-store"} {
			if a.header.Get(k) != v {
				t.Errorf("%s = %q, want %q", k, a.header.Get(k), v)
			}
		}
	})
	t.Run("wrong one-time code", func(t *testing.T) {
		session, otp := start(p.createConsent(consentBody(nil)))
		n, _ := strconv.Atoi(otp)
		wrong := fmt.Sprintf("%06d", (n+1)%1000000)
		for _, form := range []url.Values{
			{"session": {session}, "psu_id": {"1345611"}, "otp": {wrong}},
			{"session": {session}, "psu_id": {"9999999"}, "otp": {otp}},
		} {
			a := p.post("/oauth/login", form)
			wantStatus(t, a, 200)
			if !bytes.Contains(a.body, []byte(`id="error"`)) || !bytes.Contains(a.body, []byte("wrong one-time code")) || !otpRE.Match(a.body) {
				t.Errorf("no error on the sign-in page:\n%s", a.body)
			}
		}
		// The session survives a typo.
		a := p.post("/oauth/login", url.Values{"session": {session}, "psu_id": {"1345611"}, "otp": {otp}})
		if a.status != 200 || !bytes.Contains(a.body, []byte(`id="approve"`)) {
			t.Errorf("sign-in after a typo: %d %s", a.status, a.body)
		}
	})
	t.Run("consent page lists the cards", func(t *testing.T) {
		cid := p.createConsent(consentBody(nil))
		session, otp := start(cid)
		a := p.post("/oauth/login", url.Values{"session": {session}, "psu_id": {"1345611"}, "otp": {otp}})
		wantStatus(t, a, 200)
		for _, want := range []string{"524378******8693", "524366******8694", cid, `id="approve"`, `id="deny"`} {
			if !bytes.Contains(a.body, []byte(want)) {
				t.Errorf("the consent page lacks %q:\n%s", want, a.body)
			}
		}
	})
	t.Run("deny, then the session again", func(t *testing.T) {
		cid := p.createConsent(consentBody(nil))
		session, otp := start(cid)
		wantStatus(t, p.post("/oauth/login", url.Values{"session": {session}, "psu_id": {"1345611"}, "otp": {otp}}), 200)
		q := redirected(t, p.post("/oauth/decision", url.Values{"session": {session}, "decision": {"deny"}}), loopbackRedirect)
		if q.Get("error") != "access_denied" || q.Get("state") != "st-pages" || q.Has("code") {
			t.Errorf("redirect query = %v", q)
		}
		if st := p.consentStatus(cid); st != StatusRejected {
			t.Errorf("consent status after deny = %s, want rejected", st)
		}
		wantErrorPage(t, p.post("/oauth/decision", url.Values{"session": {session}, "decision": {"approve"}}), "expired or is unknown")
		wantErrorPage(t, p.post("/oauth/login", url.Values{"session": {session}, "psu_id": {"1345611"}, "otp": {otp}}), "expired or is unknown")
		if st := p.consentStatus(cid); st != StatusRejected {
			t.Errorf("consent status after the replay = %s, want rejected", st)
		}
	})
	t.Run("decision before sign-in", func(t *testing.T) {
		session, _ := start(p.createConsent(consentBody(nil)))
		wantErrorPage(t, p.post("/oauth/decision", url.Values{"session": {session}, "decision": {"approve"}}), "Sign in first")
	})
	t.Run("unknown session", func(t *testing.T) {
		wantErrorPage(t, p.post("/oauth/login", url.Values{"session": {"nope"}, "psu_id": {"1345611"}, "otp": {"000000"}}), "expired or is unknown")
	})
	t.Run("availableAccounts: the PSU picks", func(t *testing.T) {
		cid := p.createConsent(consentBody(func(m map[string]any) { m["access"] = map[string]any{"availableAccounts": "allAccounts"} }))
		session, otp := start(cid)
		a := p.post("/oauth/login", url.Values{"session": {session}, "psu_id": {"1345611"}, "otp": {otp}})
		for _, id := range []string{"card-8693", "card-8694"} {
			if !bytes.Contains(a.body, []byte(`name="account" value="`+id+`"`)) {
				t.Errorf("the consent page offers no checkbox for %s:\n%s", id, a.body)
			}
		}
	})
	t.Run("approve one picked account, then read", func(t *testing.T) {
		cid := p.createConsent(consentBody(func(m map[string]any) { m["access"] = map[string]any{"availableAccounts": "allAccounts"} }))
		at := p.tokens(p.approve(cid, "1345611", "card-8694")).AccessToken
		ip := map[string]string{"Consent-ID": cid, "PSU-IP-Address": "192.0.2.1"}
		a := p.cards(cid, at, ip)
		wantStatus(t, a, 200)
		var list struct{ CardAccounts []cardAccountJSON }
		a.json(t, &list)
		if len(list.CardAccounts) != 1 || list.CardAccounts[0].ResourceID != "card-8694" {
			t.Errorf("card accounts = %+v, want only card-8694", list.CardAccounts)
		}
		if len(list.CardAccounts) == 1 && len(list.CardAccounts[0].Links) != 0 {
			t.Errorf("links to what was not granted: %v", list.CardAccounts[0].Links)
		}
		wantStatus(t, p.call("GET", "/v1/card-accounts/card-8694", at, nil, ip), 200)
		wantAPIError(t, p.call("GET", "/v1/card-accounts/card-8694/balances", at, nil, ip), 401, CodeConsentInvalid, "",
			`does not give access to the balances of card account "card-8694"`)
		wantAPIError(t, p.call("GET", "/v1/card-accounts/card-8693", at, nil, ip), 401, CodeConsentInvalid, "",
			`does not give access to the accounts of card account "card-8693"`)
	})
	t.Run("session expires", func(t *testing.T) {
		session, otp := start(p.createConsent(consentBody(nil)))
		clock.Add(SessionTTL + time.Second)
		wantErrorPage(t, p.post("/oauth/login", url.Values{"session": {session}, "psu_id": {"1345611"}, "otp": {otp}}), "expired or is unknown")
	})
}

func TestCodeExchange(t *testing.T) {
	clock := newClock(time.Now())
	s := startSandbox(t, Options{RatePerSecond: -1, AutoApprove: true, Now: clock.Now, Apps: []App{registeredApp}})
	p := bankTPP(t, s)
	ip := map[string]string{"PSU-IP-Address": "192.0.2.1"}
	code := func() authGrant { return p.autoCode(p.createConsent(consentBody(nil))) }

	t.Run("success", func(t *testing.T) {
		g := code()
		a, tr := p.exchange(g.code, g.redirect, g.verifier)
		wantStatus(t, a, 200)
		if tr.AccessToken == "" || tr.RefreshToken == "" || tr.TokenType != "Bearer" || tr.Scope != "AIS:"+g.cid ||
			tr.ExpiresIn != int(AccessTokenTTL.Seconds()) {
			t.Errorf("token response = %+v", tr)
		}
		if a.header.Get("Cache-Control") != "no-store" {
			t.Errorf("Cache-Control = %q", a.header.Get("Cache-Control"))
		}
		wantStatus(t, p.cards(g.cid, tr.AccessToken, ip), 200)
		if st := p.consentStatus(g.cid); st != StatusValid {
			t.Errorf("consent status = %s", st)
		}
	})
	t.Run("code reused revokes its tokens", func(t *testing.T) {
		g := code()
		first := p.tokens(g)
		a, _ := p.exchange(g.code, g.redirect, g.verifier)
		wantOAuthError(t, a, 400, "invalid_grant", "already used", "revoked")
		wantAPIError(t, p.cards(g.cid, first.AccessToken, ip), 401, CodeTokenInvalid, "", "revoked")
		wantOAuthError(t, p.token(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {first.RefreshToken}}, true), 400, "invalid_grant", "revoked")
	})
	t.Run("wrong verifier", func(t *testing.T) {
		g := code()
		other, _ := pkce()
		a, _ := p.exchange(g.code, g.redirect, other)
		wantOAuthError(t, a, 400, "invalid_grant", "PKCE verification failed")
	})
	t.Run("verifier not RFC 7636", func(t *testing.T) {
		g := code()
		a, _ := p.exchange(g.code, g.redirect, "too-short")
		wantOAuthError(t, a, 400, "invalid_grant", "43 to 128 characters")
	})
	t.Run("verifier missing", func(t *testing.T) {
		g := code()
		a, _ := p.exchange(g.code, g.redirect, "")
		wantOAuthError(t, a, 400, "invalid_request", "PKCE is required")
	})
	t.Run("redirect_uri changed", func(t *testing.T) {
		g := code()
		a, _ := p.exchange(g.code, "http://127.0.0.1:9/other", g.verifier)
		wantOAuthError(t, a, 400, "invalid_grant", `redirect_uri "http://127.0.0.1:9/other" differs`)
	})
	t.Run("code unknown", func(t *testing.T) {
		v, _ := pkce()
		a, _ := p.exchange("no-such-code", loopbackRedirect, v)
		wantOAuthError(t, a, 400, "invalid_grant", "unknown authorization code")
	})
	t.Run("code missing", func(t *testing.T) {
		v, _ := pkce()
		a, _ := p.exchange("", loopbackRedirect, v)
		wantOAuthError(t, a, 400, "invalid_request", "code is missing")
	})
	t.Run("code of another client", func(t *testing.T) {
		g := code()
		q := newParty(t, s, registeredApp, s.Certs.QWAC, s.Certs.QSeal)
		a, _ := q.exchange(g.code, g.redirect, g.verifier)
		wantOAuthError(t, a, 400, "invalid_grant", "issued to another client")
	})
	t.Run("code expired", func(t *testing.T) {
		g := code()
		clock.Add(3 * time.Minute)
		a, _ := p.exchange(g.code, g.redirect, g.verifier)
		wantOAuthError(t, a, 400, "invalid_grant", "the authorization code expired")
	})
	t.Run("access token expired", func(t *testing.T) {
		g := code()
		tr := p.tokens(g)
		clock.Add(AccessTokenTTL + time.Second)
		wantAPIError(t, p.cards(g.cid, tr.AccessToken, ip), 401, CodeTokenExpired, "", "expired", "refresh it")
	})
}

func TestRefresh(t *testing.T) {
	clock := newClock(time.Now())
	s := startSandbox(t, Options{RatePerSecond: -1, AutoApprove: true, Now: clock.Now})
	p := bankTPP(t, s)
	ip := map[string]string{"PSU-IP-Address": "192.0.2.1"}
	refresh := func(rt string) answer {
		return p.token(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}}, true)
	}

	t.Run("rotation: each refresh token works once", func(t *testing.T) {
		cid := p.createConsent(consentBody(nil))
		first := p.tokens(p.autoCode(cid))
		a := refresh(first.RefreshToken)
		wantStatus(t, a, 200)
		var second TokenResponse
		a.json(t, &second)
		if second.AccessToken == "" || second.AccessToken == first.AccessToken || second.RefreshToken == "" ||
			second.RefreshToken == first.RefreshToken || second.Scope != "AIS:"+cid {
			t.Errorf("refreshed = %+v", second)
		}
		wantStatus(t, p.cards(cid, second.AccessToken, ip), 200)
		wantOAuthError(t, refresh(first.RefreshToken), 400, "invalid_grant", "revoked")
		wantStatus(t, refresh(second.RefreshToken), 200)
	})
	t.Run("refresh_token missing", func(t *testing.T) {
		wantOAuthError(t, p.token(url.Values{"grant_type": {"refresh_token"}}, true), 400, "invalid_request", "refresh_token is missing")
	})
	t.Run("access token as refresh token", func(t *testing.T) {
		tr := p.tokens(p.autoCode(p.createConsent(consentBody(nil))))
		wantOAuthError(t, refresh(tr.AccessToken), 400, "invalid_grant", "unknown refresh token")
	})
	t.Run("refresh token expired", func(t *testing.T) {
		tr := p.tokens(p.autoCode(p.createConsent(consentBody(nil))))
		clock.Add(RefreshTokenTTL + time.Second)
		wantOAuthError(t, refresh(tr.RefreshToken), 400, "invalid_grant", "the refresh token expired")
	})
}

// TestTokenBinding: tokens are bound to the QWAC they were issued to (RFC
// 8705), even for another QWAC of the same TPP (organisation and CA).
func TestTokenBinding(t *testing.T) {
	s := startSandbox(t, Options{RatePerSecond: -1, AutoApprove: true})
	p := bankTPP(t, s)
	q := newParty(t, s, s.DefaultApp, siblingQWAC(t, s), s.Certs.QSeal) // same TPP, same app, another certificate
	cid := p.createConsent(consentBody(nil))
	tr := p.tokens(p.autoCode(cid))
	ip := map[string]string{"PSU-IP-Address": "192.0.2.1"}

	wantAPIError(t, q.cards(cid, tr.AccessToken, ip), 401, CodeTokenInvalid, "", "bound to another client certificate (RFC 8705")
	wantAPIError(t, q.call("POST", "/v1/consents", p.clientToken(), consentBody(nil), nil), 401, CodeTokenInvalid, "", "RFC 8705")
	wantOAuthError(t, q.token(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tr.RefreshToken}}, true), 400, "invalid_grant", "RFC 8705")
	// The other QWAC gets its own tokens, and the first ones still work.
	wantStatus(t, q.call("POST", "/v1/consents", q.clientToken(), consentBody(nil), nil), 201)
	wantStatus(t, p.cards(cid, tr.AccessToken, ip), 200)
}
