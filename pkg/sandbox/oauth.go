package sandbox

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// Lifetimes of what the authorization server issues.
const (
	CodeTTL         = 2 * time.Minute
	AccessTokenTTL  = time.Hour
	RefreshTokenTTL = 90 * 24 * time.Hour
	SessionTTL      = 10 * time.Minute
)

// Metadata is the RFC 8414 authorization server metadata.
type Metadata struct {
	Issuer                            string   `json:"issuer"`
	AuthorizationEndpoint             string   `json:"authorization_endpoint"`
	TokenEndpoint                     string   `json:"token_endpoint"`
	GrantTypesSupported               []string `json:"grant_types_supported"`
	ResponseTypesSupported            []string `json:"response_types_supported"`
	ResponseModesSupported            []string `json:"response_modes_supported"`
	CodeChallengeMethodsSupported     []string `json:"code_challenge_methods_supported"`
	TokenEndpointAuthMethodsSupported []string `json:"token_endpoint_auth_methods_supported"`
	ScopesSupported                   []string `json:"scopes_supported"`
	TLSClientCertificateBoundTokens   bool     `json:"tls_client_certificate_bound_access_tokens"`
	// IssParameterSupported: the redirect back carries iss (RFC 9207).
	IssParameterSupported bool `json:"authorization_response_iss_parameter_supported"`
}

func (s *Server) metadata() Metadata {
	return Metadata{
		Issuer: trimBase(s.URL), AuthorizationEndpoint: trimBase(s.AuthURL) + "/oauth/authorize",
		TokenEndpoint:                     trimBase(s.URL) + "/oauth/token",
		GrantTypesSupported:               []string{"client_credentials", "authorization_code", "refresh_token"},
		ResponseTypesSupported:            []string{"code"},
		ResponseModesSupported:            []string{"query"},
		CodeChallengeMethodsSupported:     []string{"S256"},
		TokenEndpointAuthMethodsSupported: []string{"client_secret_basic", "client_secret_post", "tls_client_auth"},
		ScopesSupported:                   []string{"AIS:<consentId>", "PIS:<paymentId>", "PIIS:<consentId>"},
		TLSClientCertificateBoundTokens:   true,
		IssParameterSupported:             true,
	}
}

func (s *Server) handleMetadata(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "max-age=300")
	writeJSON(w, http.StatusOK, s.metadata())
}

// TokenResponse is the token endpoint's answer.
type TokenResponse struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int    `json:"expires_in"`
	RefreshToken string `json:"refresh_token,omitempty"`
	Scope        string `json:"scope,omitempty"`
}

func (s *Server) handleToken(w http.ResponseWriter, r *http.Request) {
	if err := s.dataFailed(); err != nil {
		codeTo(w, "server_error")
		writeOAuthError(w, invalid(http.StatusServiceUnavailable, "server_error", "%s", unavailable(err)))
		return
	}
	var saved pending
	resp, e := s.token(r, &saved)
	if err := saved.wait(); err != nil && e == nil {
		e = invalid(http.StatusInternalServerError, "server_error", "%s", saveFailed(err))
	}
	if e != nil {
		codeTo(w, e.Code)
		writeOAuthError(w, e)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, resp)
}

func invalid(status int, code, f string, a ...any) *oauthError {
	return &oauthError{Status: status, Code: code, Description: fmt.Sprintf(f, a...)}
}

// token answers a token request; saved collects the data-file commits
// the answer waits for.
func (s *Server) token(r *http.Request, saved *pending) (*TokenResponse, *oauthError) {
	tpp, ae := s.tppFromTLS(r)
	if ae != nil {
		oe := invalid(http.StatusUnauthorized, "invalid_client", "mutual TLS with a QWAC is required at the token endpoint: %s", ae.Error())
		oe.TPPMessages = ae.msgs
		return nil, oe
	}
	// Limited a second as the API is (RatePerSecond, a count of its own;
	// the daily limit is the API's, as the bank documents): a loop of
	// token requests must not grow the bank's memory or its data file.
	// RFC 6749 has no error for it; slow_down is the token endpoint's error
	// for a client asking too often (RFC 8628 section 3.5, registered for
	// token endpoint responses), and Retry-After says for how long.
	if e := s.rateLimit("token "+tpp.Key, "token requests", false, saved); e != nil {
		oe := invalid(e.status, "slow_down", "%s", e.msgs[0].Text)
		oe.header = e.header
		return nil, oe
	}
	r.Body = http.MaxBytesReader(nil, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		return nil, invalid(http.StatusBadRequest, "invalid_request", "the body is not application/x-www-form-urlencoded: %v", err)
	}
	if len(r.URL.Query()) > 0 {
		return nil, invalid(http.StatusBadRequest, "invalid_request", "parameters go in the POST body, not the URL (RFC 6749 section 3.2)")
	}
	app, oe := s.authenticateClient(r, tpp, saved)
	if oe != nil {
		return nil, oe
	}
	now := s.now()
	switch gt := r.PostForm.Get("grant_type"); gt {
	case "client_credentials":
		t := s.issueClientToken(app, tpp, now, saved)
		return &TokenResponse{AccessToken: t.value, TokenType: "Bearer", ExpiresIn: int(AccessTokenTTL.Seconds())}, nil
	case "authorization_code":
		return s.exchangeCode(r, app, tpp, now, saved)
	case "refresh_token":
		return s.refresh(r, app, tpp, now, saved)
	case "":
		return nil, invalid(http.StatusBadRequest, "invalid_request", "grant_type is missing")
	default:
		return nil, invalid(http.StatusBadRequest, "unsupported_grant_type", "grant_type %q is not supported (client_credentials, authorization_code, refresh_token)", gt)
	}
}

// authenticateClient accepts client_secret_basic and client_secret_post for
// an app with a secret, tls_client_auth for one without (RFC 8705 section
// 2: registered for it); in every case the app must belong to the QWAC's
// TPP, its organisation and its CA.
func (s *Server) authenticateClient(r *http.Request, tpp *TPP, saved *pending) (*App, *oauthError) {
	id, secret, basic := r.BasicAuth()
	if basic {
		if v, err := url.QueryUnescape(id); err == nil {
			id = v
		}
		if v, err := url.QueryUnescape(secret); err == nil {
			secret = v
		}
		if r.PostForm.Get("client_secret") != "" {
			return nil, invalid(http.StatusBadRequest, "invalid_request", "client authenticated twice (Basic and client_secret in the body); use one method")
		}
	} else {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	if id == "" {
		return nil, invalid(http.StatusUnauthorized, "invalid_client", "no client_id (send it with HTTP Basic or in the body)")
	}
	app := s.store.app(id)
	if app == nil {
		return nil, invalid(http.StatusUnauthorized, "invalid_client", "unknown client_id %q", id)
	}
	if app.OrganizationID != tpp.OrganizationID {
		return nil, invalid(http.StatusUnauthorized, "invalid_client", "client %q is registered for %s but the QWAC presented belongs to %s", id, app.OrganizationID, tpp.OrganizationID)
	}
	switch {
	case app.ClientSecret != "" && secret == "":
		return nil, invalid(http.StatusUnauthorized, "invalid_client",
			"client %q has a client secret: send it (client_secret_basic or client_secret_post); tls_client_auth (RFC 8705 section 2) is only for apps registered without one", id)
	case secret != "" && subtle.ConstantTimeCompare([]byte(secret), []byte(app.ClientSecret)) != 1:
		return nil, invalid(http.StatusUnauthorized, "invalid_client", "wrong client_secret for client %q", id)
	}
	var ca string
	s.store.locked(func() {
		if app.CA == "" {
			// Bound to the first TPP that proves it holds the app: its
			// secret, or for tls_client_auth its QWAC's organisation.
			app.CA = tpp.CA
			saved.add(s.store.save(app))
		}
		ca = app.CA
	})
	if ca != tpp.CA {
		return nil, invalid(http.StatusUnauthorized, "invalid_client",
			"client %q is registered for the %s whose QWACs another CA issues (%s); the QWAC presented chains to CA %s, which makes it another TPP with the same organizationIdentifier", id, app.OrganizationID, short(ca), short(tpp.CA))
	}
	return app, nil
}

// short is the start of a CA's id, enough to tell two apart in a message.
func short(ca string) string {
	if len(ca) > 16 {
		return "sha256:" + ca[:16] + "…"
	}
	return ca
}

// issueClientToken issues a client-credentials token of app, bound to the QWAC
// it was asked with (RFC 8705).
func (s *Server) issueClientToken(app *App, tpp *TPP, now time.Time, saved *pending) *token {
	t := &token{value: randomID(32), kind: "client", clientID: app.ClientID, thumbprint: tpp.Thumbprint, expires: now.Add(AccessTokenTTL)}
	s.store.locked(func() {
		s.store.prune(now)
		s.store.addToken(t)
		saved.add(s.store.save(t))
	})
	return t
}

var verifierRE = regexp.MustCompile(`^[A-Za-z0-9._~-]{43,128}$`)

// S256 is the PKCE code challenge of a verifier.
func S256(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

func (s *Server) exchangeCode(r *http.Request, app *App, tpp *TPP, now time.Time, saved *pending) (*TokenResponse, *oauthError) {
	f := r.PostForm
	code, redirect, verifier := f.Get("code"), f.Get("redirect_uri"), f.Get("code_verifier")
	if code == "" {
		return nil, invalid(http.StatusBadRequest, "invalid_request", "code is missing")
	}
	s.store.mu.Lock()
	defer s.store.mu.Unlock()
	c := s.store.codes[code]
	switch {
	case c == nil:
		return nil, invalid(http.StatusBadRequest, "invalid_grant", "unknown authorization code")
	case c.clientID != app.ClientID:
		// Before the reuse check: another client that learnt the code (it
		// is in the PSU's redirect URL) must not revoke what it issued.
		return nil, invalid(http.StatusBadRequest, "invalid_grant", "the code was issued to another client")
	case c.used:
		// RFC 6749 4.1.2: a reused code revokes what it issued.
		for _, v := range c.issued {
			if t := s.store.tokens[v]; t != nil {
				t.revoked = true
				saved.add(s.store.save(t))
			}
		}
		return nil, invalid(http.StatusBadRequest, "invalid_grant", "the authorization code was already used; the tokens issued for it are revoked")
	case now.After(c.expires):
		return nil, invalid(http.StatusBadRequest, "invalid_grant", "the authorization code expired (codes live %s)", CodeTTL)
	case redirect != c.redirectURI:
		return nil, invalid(http.StatusBadRequest, "invalid_grant", "redirect_uri %q differs from the one of the authorization request (%q)", redirect, c.redirectURI)
	case verifier == "":
		return nil, invalid(http.StatusBadRequest, "invalid_request", "code_verifier is missing (PKCE is required)")
	case !verifierRE.MatchString(verifier):
		return nil, invalid(http.StatusBadRequest, "invalid_grant", "code_verifier must be 43 to 128 characters of A-Z a-z 0-9 - . _ ~ (RFC 7636 section 4.1)")
	case S256(verifier) != c.challenge:
		return nil, invalid(http.StatusBadRequest, "invalid_grant", "PKCE verification failed: BASE64URL(SHA256(code_verifier)) does not equal the code_challenge")
	case s.store.consents[c.consentID] != nil && !s.ownedBy(s.store.consents[c.consentID], tpp):
		return nil, invalid(http.StatusBadRequest, "invalid_grant", "the code's consent belongs to another TPP")
	case s.store.payments.byID[c.paymentID] != nil && !s.paymentOf(s.store.payments.byID[c.paymentID], tpp):
		return nil, invalid(http.StatusBadRequest, "invalid_grant", "the code's payment belongs to another TPP")
	case s.store.piis[c.piisID] != nil && !piisOf(s.store.piis[c.piisID], tpp):
		return nil, invalid(http.StatusBadRequest, "invalid_grant", "the code's PIIS consent belongs to another TPP")
	}
	scope := "AIS:" + c.consentID
	tokenConsent := c.consentID
	if c.piisID != "" {
		// A PIIS token needs a QWAC with PSP_IC, as funds confirmation does.
		if e := checkRole(tpp.Cert, "QWAC", "/v1/funds-confirmations"); e != nil {
			return nil, invalid(http.StatusBadRequest, "unauthorized_client", "%s", e.msgs[0].Text)
		}
		scope, tokenConsent = "PIIS:"+c.piisID, c.piisID
		if p := s.store.piis[c.piisID]; p != nil && p.CA == "" {
			p.CA = tpp.CA // the consent is this TPP's from now on
			saved.add(s.store.save(p))
		}
	}
	if c.paymentID != "" {
		// A PIS token needs a QWAC with PSP_PI, as the PIS paths do.
		if e := checkRole(tpp.Cert, "QWAC", "/v1/payments"); e != nil {
			return nil, invalid(http.StatusBadRequest, "unauthorized_client", "%s", e.msgs[0].Text)
		}
		scope = "PIS:" + c.paymentID
	}
	c.used = true
	s.store.prune(now)
	at := &token{value: randomID(32), kind: "user", clientID: app.ClientID, thumbprint: tpp.Thumbprint, consentID: tokenConsent, scope: scope, expires: now.Add(AccessTokenTTL)}
	rt := &token{value: randomID(32), kind: "user", refresh: true, clientID: app.ClientID, thumbprint: tpp.Thumbprint, consentID: tokenConsent, scope: scope, expires: now.Add(RefreshTokenTTL)}
	s.store.addToken(at)
	s.store.addToken(rt)
	c.issued = []string{at.value, rt.value}
	saved.add(s.store.save(c, at, rt))
	return &TokenResponse{AccessToken: at.value, TokenType: "Bearer", ExpiresIn: int(AccessTokenTTL.Seconds()), RefreshToken: rt.value, Scope: scope}, nil
}

func (s *Server) refresh(r *http.Request, app *App, tpp *TPP, now time.Time, saved *pending) (*TokenResponse, *oauthError) {
	v := r.PostForm.Get("refresh_token")
	if v == "" {
		return nil, invalid(http.StatusBadRequest, "invalid_request", "refresh_token is missing")
	}
	s.store.mu.Lock()
	defer s.store.mu.Unlock()
	old := s.store.tokens[v]
	switch {
	case old == nil || !old.refresh:
		return nil, invalid(http.StatusBadRequest, "invalid_grant", "unknown refresh token")
	case old.revoked:
		return nil, invalid(http.StatusBadRequest, "invalid_grant", "the refresh token was revoked (reused code, or already rotated)")
	case now.After(old.expires):
		return nil, invalid(http.StatusBadRequest, "invalid_grant", "the refresh token expired")
	case old.clientID != app.ClientID:
		return nil, invalid(http.StatusBadRequest, "invalid_grant", "the refresh token was issued to another client")
	case old.thumbprint != tpp.Thumbprint:
		return nil, invalid(http.StatusBadRequest, "invalid_grant", "the refresh token is bound to another client certificate (RFC 8705)")
	}
	old.revoked = true // rotation: each refresh token works once
	at := &token{value: randomID(32), kind: "user", clientID: app.ClientID, thumbprint: tpp.Thumbprint, consentID: old.consentID, scope: old.scope, expires: now.Add(AccessTokenTTL)}
	rt := &token{value: randomID(32), kind: "user", refresh: true, clientID: app.ClientID, thumbprint: tpp.Thumbprint, consentID: old.consentID, scope: old.scope, expires: old.expires}
	s.store.addToken(at)
	s.store.addToken(rt)
	saved.add(s.store.save(old, at, rt))
	return &TokenResponse{AccessToken: at.value, TokenType: "Bearer", ExpiresIn: int(AccessTokenTTL.Seconds()), RefreshToken: rt.value, Scope: old.scope}, nil
}

// redirectAllowed applies the registered redirect URIs, and RFC 8252
// section 7.3 for loopback: any port on 127.0.0.1, [::1] or localhost.
func redirectAllowed(app *App, raw string) (string, bool) {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" || u.Host == "" || u.Fragment != "" {
		return "the redirect_uri is not an absolute URI without a fragment", false
	}
	for _, reg := range app.RedirectURIs {
		if reg == raw {
			return "", true
		}
	}
	host := u.Hostname()
	loop := host == "localhost"
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		loop = true
	}
	if u.Scheme == "http" && loop {
		if len(app.RedirectURIs) == 0 {
			return "", true
		}
		for _, reg := range app.RedirectURIs {
			ru, err := url.Parse(reg)
			if err == nil && ru.Scheme == "http" && ru.Hostname() == host && ru.Path == u.Path {
				return "", true // any port (RFC 8252 section 7.3)
			}
		}
	}
	if len(app.RedirectURIs) == 0 {
		return "the client has no registered redirect URIs, so only loopback http://127.0.0.1:<port>/... (RFC 8252) is accepted", false
	}
	return fmt.Sprintf("the redirect_uri is not one of the client's registered URIs %v", app.RedirectURIs), false
}

// scopeRef is what an authorization's scope names: the kind (AIS, PIS,
// PIIS, the bank's documented forms AIS:<consentId>, PIS:<paymentId>,
// PIIS:<consentId>) and the resource's id.
type scopeRef struct{ kind, id string }

// parseScope finds the first AIS:, PIS: or PIIS: scope among the
// space-separated ones.
func parseScope(scope string) (scopeRef, bool) {
	for _, f := range strings.Fields(scope) {
		kind, id, ok := strings.Cut(f, ":")
		if ok && id != "" && (kind == "AIS" || kind == "PIS" || kind == "PIIS") {
			return scopeRef{kind, id}, true
		}
	}
	return scopeRef{}, false
}
