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
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// Config is one client at one authorization server.
type Config struct {
	ClientID     string
	ClientSecret string // empty: tls_client_auth, the QWAC authenticates
	AuthorizeURL string
	TokenURL     string
	RedirectURL  string
}

// Token is what the token endpoint returned.
type Token struct {
	AccessToken  string    `json:"access_token"`
	RefreshToken string    `json:"refresh_token,omitempty"`
	TokenType    string    `json:"token_type"`
	Scope        string    `json:"scope,omitempty"`
	Expiry       time.Time `json:"expiry"`
}

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

func convert(t *oauth2.Token) *Token {
	out := &Token{AccessToken: t.AccessToken, RefreshToken: t.RefreshToken, TokenType: t.TokenType, Expiry: t.Expiry}
	if s, ok := t.Extra("scope").(string); ok {
		out.Scope = s
	}
	return out
}

func wrap(err error) error {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		e := &Error{Code: re.ErrorCode, Description: re.ErrorDescription, Body: string(re.Body)}
		if re.Response != nil {
			e.Status = re.Response.StatusCode
		}
		return e
	}
	return err
}

// ClientCredentials gets the token consent management needs.
func ClientCredentials(ctx context.Context, hc *http.Client, c Config) (*Token, error) {
	cc := clientcredentials.Config{ClientID: c.ClientID, ClientSecret: c.ClientSecret, TokenURL: c.TokenURL,
		AuthStyle: c.oauth2().Endpoint.AuthStyle}
	t, err := cc.Token(withClient(ctx, hc))
	if err != nil {
		return nil, wrap(err)
	}
	return convert(t), nil
}

// NewVerifier is a fresh PKCE code verifier (RFC 7636, 43 characters).
func NewVerifier() string { return oauth2.GenerateVerifier() }

// Challenge is the S256 code challenge of a verifier.
func Challenge(verifier string) string { return oauth2.S256ChallengeFromVerifier(verifier) }

// AuthCodeURL is the bank's authorization request: response_type=code,
// scope AIS:<consentId>, state, response_mode=query and PKCE S256.
func AuthCodeURL(c Config, consentID, state, verifier string) string {
	return c.oauth2().AuthCodeURL(state, oauth2.S256ChallengeOption(verifier),
		oauth2.SetAuthURLParam("scope", "AIS:"+consentID), oauth2.SetAuthURLParam("response_mode", "query"))
}

// Exchange trades an authorization code and its verifier for tokens.
func Exchange(ctx context.Context, hc *http.Client, c Config, code, verifier string) (*Token, error) {
	t, err := c.oauth2().Exchange(withClient(ctx, hc), code, oauth2.VerifierOption(verifier))
	if err != nil {
		return nil, wrap(err)
	}
	return convert(t), nil
}

// Refresh trades a refresh token for a new access (and refresh) token.
func Refresh(ctx context.Context, hc *http.Client, c Config, refreshToken string) (*Token, error) {
	src := c.oauth2().TokenSource(withClient(ctx, hc), &oauth2.Token{RefreshToken: refreshToken, Expiry: time.Unix(1, 0)})
	t, err := src.Token()
	if err != nil {
		return nil, wrap(err)
	}
	return convert(t), nil
}

// Metadata is the RFC 8414 authorization server metadata.
type Metadata struct {
	Issuer                        string   `json:"issuer"`
	AuthorizationEndpoint         string   `json:"authorization_endpoint"`
	TokenEndpoint                 string   `json:"token_endpoint"`
	CodeChallengeMethodsSupported []string `json:"code_challenge_methods_supported"`
	GrantTypesSupported           []string `json:"grant_types_supported"`
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

// Discover fetches the metadata document (the consent's scaOAuth link).
func Discover(ctx context.Context, hc *http.Client, metadataURL string) (*Metadata, error) {
	if _, err := url.Parse(metadataURL); err != nil {
		return nil, fmt.Errorf("metadata URL %q: %w", metadataURL, err)
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
	return &m, nil
}
