// Package oauth is the client side of the bank's OAuth2 "integrated
// approach": a client-credentials token for consent management, the
// authorization URL with scope AIS:<consentId>, state and PKCE S256, and the
// code and refresh-token exchanges. The protocol work is golang.org/x/oauth2;
// this package adds the bank's parameters, RFC 8414 discovery and errors
// that keep the server's error code and description.
//
// Every call takes the *http.Client to use: the token endpoint is reached
// over mutual TLS with the QWAC, so the caller passes its mTLS client.
package oauth

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/xs2a-dev/xs2a/pkg/httplog"
	"github.com/xs2a-dev/xs2a/pkg/origin"
	"github.com/xs2a-dev/xs2a/pkg/termsafe"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// MaxAccessLifetime is the longest access-token lifetime believed: a
// longer expires_in (centuries, from a bug or a hostile server) is cut to
// it with a warning, so a token is asked for again at least daily.
const MaxAccessLifetime = 24 * time.Hour

// Config is one client at one authorization server.
type Config struct {
	ClientID     string
	ClientSecret string // empty: tls_client_auth, the QWAC authenticates
	AuthorizeURL string
	TokenURL     string
	RedirectURL  string
	// Now is the clock expiry is computed with; nil means time.Now.
	Now func() time.Time
}

// Token is what the token endpoint returned.
type Token struct {
	AccessToken  string    `json:"access_token"`
	RefreshToken string    `json:"refresh_token,omitempty"`
	TokenType    string    `json:"token_type"`
	Scope        string    `json:"scope,omitempty"`
	Expiry       time.Time `json:"expiry"`
	// Warnings are what the caller should tell the user about the answer
	// (an expires_in that was cut to MaxAccessLifetime).
	Warnings []string `json:"-"`
}

// AnswerError is a 2xx token answer xs2a will not use (RFC 6749 section
// 5.1): a token type other than Bearer, an expires_in that is not a
// non-negative whole number of seconds.
type AnswerError struct{ Reason string }

func (e *AnswerError) Error() string { return "the token endpoint's answer is unusable: " + e.Reason }

// Error is an RFC 6749 error answer, or a token endpoint that did not answer
// in that form.
type Error struct {
	Status      int
	Code        string // invalid_grant, invalid_client, ...
	Description string
	Body        string // the raw answer when it was not RFC 6749 JSON
}

func (e *Error) Error() string {
	switch {
	case e.Code != "" && e.Description != "":
		return fmt.Sprintf("token endpoint answered %d %s: %s", e.Status, e.Code, e.Description)
	case e.Code != "":
		return fmt.Sprintf("token endpoint answered %d %s", e.Status, e.Code)
	}
	return fmt.Sprintf("token endpoint answered %d: %s", e.Status, strings.TrimSpace(e.Body))
}

func (c Config) oauth2() *oauth2.Config {
	style := oauth2.AuthStyleInHeader
	if c.ClientSecret == "" {
		style = oauth2.AuthStyleInParams
	}
	return &oauth2.Config{ClientID: c.ClientID, ClientSecret: c.ClientSecret, RedirectURL: c.RedirectURL,
		Endpoint: oauth2.Endpoint{AuthURL: c.AuthorizeURL, TokenURL: c.TokenURL, AuthStyle: style}}
}

func withClient(ctx context.Context, hc *http.Client) context.Context {
	return context.WithValue(ctx, oauth2.HTTPClient, hc)
}

// convert checks the answer (RFC 6749 section 5.1) and computes the expiry
// from expires_in itself: golang.org/x/oauth2 accepts a negative lifetime
// and stretches any huge one to 68 years.
func (c Config) convert(t *oauth2.Token) (*Token, error) {
	if !strings.EqualFold(t.TokenType, "bearer") {
		if t.TokenType == "" {
			return nil, &AnswerError{Reason: "no token_type; xs2a sends tokens only as Bearer (RFC 6750), and RFC 6749 section 5.1 requires the member"}
		}
		return nil, &AnswerError{Reason: fmt.Sprintf("token_type \"%s\"; xs2a sends tokens only as Bearer (RFC 6750)", termsafe.Line(t.TokenType))}
	}
	out := &Token{AccessToken: t.AccessToken, RefreshToken: t.RefreshToken, TokenType: "Bearer"}
	if s, ok := t.Extra("scope").(string); ok {
		out.Scope = s
	}
	now := time.Now
	if c.Now != nil {
		now = c.Now
	}
	exp := t.Extra("expires_in")
	if exp == "" {
		// A form-encoded answer (golang.org/x/oauth2 reads those too)
		// without the member: Extra gives "" for it.
		exp = nil
	}
	switch v := exp.(type) {
	case nil:
		// Not sent (RFC 6749: RECOMMENDED): the ASPSP will say when it has expired.
	case float64, string, int64:
		// float64 from JSON; int64 (or float64, or the raw string) from a
		// form-encoded answer, which Extra parses.
		n, ok := v.(float64)
		switch x := v.(type) {
		case int64:
			n, ok = float64(x), true
		case string:
			i, err := strconv.ParseInt(x, 10, 64)
			n, ok = float64(i), err == nil
		}
		if !ok || n < 0 || math.Trunc(n) != n {
			return nil, &AnswerError{Reason: fmt.Sprintf("expires_in %s is not a non-negative whole number of seconds (RFC 6749 section 5.1)", termsafe.Line(fmt.Sprint(v)))}
		}
		life := MaxAccessLifetime
		if n > life.Seconds() {
			out.Warnings = append(out.Warnings, fmt.Sprintf("the token endpoint's expires_in %.0f seconds is beyond %s: xs2a takes %s, and asks for a new token then", n, MaxAccessLifetime, MaxAccessLifetime))
		} else {
			life = time.Duration(n) * time.Second
		}
		out.Expiry = now().Add(life)
	default:
		return nil, &AnswerError{Reason: fmt.Sprintf("expires_in %s is not a number of seconds (RFC 6749 section 5.1)", termsafe.Line(fmt.Sprint(v)))}
	}
	return out, nil
}

// secrets are what a request of c carries besides the grant's own: the
// client secret, and the Basic credentials golang.org/x/oauth2 makes of it.
func (c Config) secrets(grant ...string) []string {
	out := grant
	if c.ClientSecret != "" {
		basic := url.QueryEscape(c.ClientID) + ":" + url.QueryEscape(c.ClientSecret)
		out = append(out, c.ClientSecret, base64.StdEncoding.EncodeToString([]byte(basic)))
	}
	return out
}

// wrap turns a golang.org/x/oauth2 error into ours. The secrets the
// request carried are hidden in what the token endpoint answered: a
// gateway echoing the request would put them into the error line.
func wrap(err error, secrets []string) error {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		if re.Response != nil {
			if rerr := origin.Redirected(re.Response); rerr != nil {
				return fmt.Errorf("the token endpoint %w", rerr)
			}
		}
		e := &Error{Code: httplog.Hide(re.ErrorCode, secrets...), Description: httplog.Hide(re.ErrorDescription, secrets...), Body: httplog.Hide(string(re.Body), secrets...)}
		if re.Response != nil {
			e.Status = re.Response.StatusCode
		}
		return e
	}
	if err != nil && strings.HasPrefix(err.Error(), "oauth2: cannot parse json") {
		// golang.org/x/oauth2 refuses a 2xx answer whose members have the
		// wrong type (expires_in "soon" or 1.5) without an error type.
		return &AnswerError{Reason: "not RFC 6749 section 5.1 JSON (a member of the wrong type, such as an expires_in that is not a whole number of seconds): " + termsafe.Line(err.Error())}
	}
	return err
}

// ClientCredentials gets the token consent management needs.
func ClientCredentials(ctx context.Context, hc *http.Client, c Config) (*Token, error) {
	cc := clientcredentials.Config{ClientID: c.ClientID, ClientSecret: c.ClientSecret, TokenURL: c.TokenURL,
		AuthStyle: c.oauth2().Endpoint.AuthStyle}
	t, err := cc.Token(withClient(ctx, hc))
	if err != nil {
		return nil, wrap(err, c.secrets())
	}
	return c.convert(t)
}

// NewVerifier is a fresh PKCE code verifier (RFC 7636, 43 characters).
func NewVerifier() string { return oauth2.GenerateVerifier() }

// Challenge is the S256 code challenge of a verifier.
func Challenge(verifier string) string { return oauth2.S256ChallengeFromVerifier(verifier) }

// AuthCodeURL is the bank's authorization request: response_type=code,
// the scope, state, response_mode=query and PKCE S256. The scope names
// what the PSU authorises (AIS:<consentId>, PIS:<paymentId>,
// PIIS:<consentId>): the caller fills it in (profile.Profile.Scope), since
// a bank may write it otherwise.
func AuthCodeURL(c Config, scope, state, verifier string) string {
	return c.oauth2().AuthCodeURL(state, oauth2.S256ChallengeOption(verifier),
		oauth2.SetAuthURLParam("scope", scope), oauth2.SetAuthURLParam("response_mode", "query"))
}

// Exchange trades an authorization code and its verifier for tokens.
func Exchange(ctx context.Context, hc *http.Client, c Config, code, verifier string) (*Token, error) {
	t, err := c.oauth2().Exchange(withClient(ctx, hc), code, oauth2.VerifierOption(verifier))
	if err != nil {
		return nil, wrap(err, c.secrets(code, verifier))
	}
	return c.convert(t)
}

// Refresh trades a refresh token for a new access (and refresh) token.
func Refresh(ctx context.Context, hc *http.Client, c Config, refreshToken string) (*Token, error) {
	src := c.oauth2().TokenSource(withClient(ctx, hc), &oauth2.Token{RefreshToken: refreshToken, Expiry: time.Unix(1, 0)})
	t, err := src.Token()
	if err != nil {
		return nil, wrap(err, c.secrets(refreshToken))
	}
	return c.convert(t)
}

// Metadata is the RFC 8414 authorization server metadata.
type Metadata struct {
	Issuer                        string   `json:"issuer"`
	AuthorizationEndpoint         string   `json:"authorization_endpoint"`
	TokenEndpoint                 string   `json:"token_endpoint"`
	CodeChallengeMethodsSupported []string `json:"code_challenge_methods_supported"`
	GrantTypesSupported           []string `json:"grant_types_supported"`
	// IssParameterSupported: the authorization response carries iss,
	// which the client must compare with Issuer (RFC 9207).
	IssParameterSupported bool `json:"authorization_response_iss_parameter_supported"`
}

// WellKnown is the RFC 8414 path suffix of the metadata document.
const WellKnown = "/.well-known/oauth-authorization-server"

// IssuerError is metadata naming another issuer than the one it was
// fetched for.
type IssuerError struct{ MetadataURL, Got, Want string }

func (e *IssuerError) Error() string {
	return fmt.Sprintf("OAuth metadata %s names issuer \"%s\", not %s, the issuer it was fetched for (RFC 8414 section 3.3): refused, it may be another server's",
		e.MetadataURL, termsafe.Line(e.Got), e.Want)
}

// SupportsS256 reports whether the server announces PKCE S256.
func (m *Metadata) SupportsS256() bool {
	for _, v := range m.CodeChallengeMethodsSupported {
		if v == "S256" {
			return true
		}
	}
	return false
}

// Discover fetches the metadata document at issuer + WellKnown and checks
// that it names that issuer (RFC 8414 section 3.3: otherwise another
// server's metadata could stand in and steer the client). Where the
// endpoints may be is the caller's policy (pkg/origin).
func Discover(ctx context.Context, hc *http.Client, metadataURL string) (*Metadata, error) {
	if _, err := url.Parse(metadataURL); err != nil {
		return nil, fmt.Errorf("metadata URL %q: %w", metadataURL, err)
	}
	issuer, ok := strings.CutSuffix(metadataURL, WellKnown)
	if !ok {
		return nil, fmt.Errorf("metadata URL %s does not end in %s (RFC 8414)", metadataURL, WellKnown)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, metadataURL, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("fetching OAuth metadata: %w", err)
	}
	defer resp.Body.Close()
	if err := origin.Redirected(resp); err != nil {
		return nil, fmt.Errorf("OAuth metadata %s %w", metadataURL, err)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("reading OAuth metadata: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("OAuth metadata %s answered %s", metadataURL, resp.Status)
	}
	var m Metadata
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("OAuth metadata %s is not JSON: %v", metadataURL, err)
	}
	if m.AuthorizationEndpoint == "" || m.TokenEndpoint == "" {
		return nil, fmt.Errorf("OAuth metadata %s lacks authorization_endpoint or token_endpoint", metadataURL)
	}
	if m.Issuer != issuer {
		return nil, &IssuerError{MetadataURL: metadataURL, Got: m.Issuer, Want: issuer}
	}
	return &m, nil
}
