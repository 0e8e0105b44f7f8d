package cmdutil

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/xs2a-dev/xs2a/pkg/oauth"
	"github.com/xs2a-dev/xs2a/pkg/profile"
	"github.com/xs2a-dev/xs2a/pkg/state"
	"github.com/xs2a-dev/xs2a/pkg/termsafe"
	"github.com/xs2a-dev/xs2a/pkg/xs2a"
)

// The OAuth side of a session: the tokens every network command needs,
// kept in the profile's state. They live here, not in the token command,
// so that no command package imports another.

// ClientToken returns the state's client-credentials token while valid, or
// gets (fresh=true: always gets) a new one and keeps it.
func (s *Session) ClientToken(ctx context.Context, fresh bool) (*state.Token, error) {
	t, _, err := s.clientToken(ctx, fresh)
	return t, err
}

// WithClientToken makes a consent management call with the
// client-credentials token. A kept token the bank no longer knows (401
// TOKEN_UNKNOWN or TOKEN_INVALID: an in-memory sandbox restarted, the bank
// dropped it before its expiry) is replaced once by itself: a new one is
// fetched, stderr says so on one line, and the call is made again. Only
// then: a 401 says the bank did nothing with the request, so even a POST
// cannot take effect twice; a token just fetched is not replaced again.
func (s *Session) WithClientToken(ctx context.Context, call func(token string) error) error {
	t, kept, err := s.clientToken(ctx, false)
	if err != nil {
		return err
	}
	err = call(t.AccessToken)
	var ae *xs2a.APIError
	if err == nil || !kept || !errors.As(err, &ae) || ae.Status != http.StatusUnauthorized || !(ae.HasCode("TOKEN_UNKNOWN") || ae.HasCode("TOKEN_INVALID")) {
		return err
	}
	if s.ErrOut != nil {
		code := "TOKEN_UNKNOWN"
		if !ae.HasCode(code) {
			code = "TOKEN_INVALID"
		}
		fmt.Fprintf(s.ErrOut, "note: the ASPSP does not know the kept client token (%s; a restarted sandbox forgets its tokens): fetching a new one and sending the request again\n", code)
	}
	if t, _, err = s.clientToken(ctx, true); err != nil {
		return err
	}
	return call(t.AccessToken)
}

// clientToken is ClientToken, and whether the token was the one kept in
// the state (not fetched now).
func (s *Session) clientToken(ctx context.Context, fresh bool) (*state.Token, bool, error) {
	name := s.Config.ProfileName
	if !fresh {
		st, err := s.Store.Load(name)
		if err != nil {
			return nil, false, err
		}
		if st.ClientToken != nil && st.ClientToken.Valid(s.Now()) {
			return st.ClientToken, true, nil
		}
	}
	if s.OAuth.TokenURL == "" {
		if _, err := s.discover(ctx, true, false); err != nil {
			return nil, false, err
		}
	}
	if s.OAuth.ClientID == "" {
		return nil, false, UsageErrorf("profile %q has no client_id", name)
	}
	t, err := oauth.ClientCredentials(ctx, s.MTLS, s.OAuth)
	if err != nil {
		return nil, false, tokenError(err)
	}
	s.warnToken(t)
	tok := toState(t, "")
	err = s.Store.Update(name, func(st *state.State) error { st.ClientToken = tok; return nil })
	return tok, false, err
}

// Exchange trades the authorization code for tokens and keeps them. An
// empty code means the one `xs2a authorize` kept (with its verifier and
// redirect URI); an empty redirect the one kept, else the profile's.
func (s *Session) Exchange(ctx context.Context, code, verifier, redirect string) (*state.Token, error) {
	name := s.Config.ProfileName
	st, err := s.Store.Load(name)
	if err != nil {
		return nil, err
	}
	if code == "" {
		code, verifier = st.Code, st.CodeVerifier
		if redirect == "" {
			redirect = st.CodeRedirect
		}
	}
	if code == "" {
		return nil, UsageErrorf("no authorization code: run `xs2a authorize` first, or give --code and --verifier")
	}
	if verifier == "" {
		return nil, UsageErrorf("no PKCE verifier: give --verifier with --code")
	}
	if redirect == "" {
		redirect = s.OAuth.RedirectURL
	}
	if _, err := s.Discover(ctx); err != nil {
		return nil, err
	}
	cfg := s.OAuth
	cfg.RedirectURL = redirect
	t, err := oauth.Exchange(ctx, s.MTLS, cfg, code, verifier)
	if err != nil {
		return nil, tokenError(err)
	}
	s.warnToken(t)
	consentID := st.ConsentID
	kind := ""
	if st.Pending != nil {
		kind = st.Pending.Kind
		if st.Pending.ConsentID != "" {
			consentID = st.Pending.ConsentID
		}
	}
	if kind != "" {
		if err := s.checkGrantedScope(kind, consentID, t.Scope); err != nil {
			return nil, err
		}
		// A payment's or a funds confirmation's token: kept in its own
		// slot, so the AIS token (and `accounts`) stays as it was.
		return s.keepOtherToken(name, kind, toState(t, consentID))
	}
	tok := toState(t, consentID)
	err = s.Store.Update(name, func(st *state.State) error {
		st.UserToken, st.Code, st.CodeVerifier, st.CodeRedirect, st.Pending = tok, "", "", "", nil
		// The bank issued tokens for the consent: it is valid now, as
		// `consent status --local` should say without asking.
		if consentID != "" && st.ConsentID == consentID {
			st.ConsentStatus = "valid"
		}
		if st.Budget != nil {
			if c := st.Budget.Consents[consentID]; c != nil {
				c.Status = "valid"
			}
		}
		return nil
	})
	return tok, err
}

// checkGrantedScope refuses a PIS or PIIS token whose scope (RFC 6749
// §5.1: present when it differs from the one asked for) lacks the scope
// asked for: a token for another payment would be kept, and used, as
// this one's.
func (s *Session) checkGrantedScope(kind, id, granted string) error {
	want, err := s.Config.Profile.Scope(kind, id)
	if ide := (*profile.ScopeIDError)(nil); errors.As(err, &ide) {
		// No scope names this id: no token can be its.
		return &ExitError{Code: ExitAuth, Err: fmt.Errorf("%w; nothing kept", err)}
	}
	if err != nil || granted == "" || slices.Contains(strings.Fields(granted), want) {
		return nil
	}
	flag := map[string]string{"pis": "--payment", "piis": "--piis"}[kind]
	return &ExitError{Code: ExitAuth, Err: fmt.Errorf("the token endpoint issued a token for scope \"%s\", not \"%s\": the code was not for this authorisation; nothing kept (run `xs2a authorize %s` again)",
		termsafe.Line(granted), termsafe.Line(want), flag)}
}

// keepOtherToken keeps a PIS or PIIS token (Exchange): the payment's in
// state.Payment when it is the payment remembered (else a Payment for it
// is remembered, service and product unknown), the PIIS one in PIISToken.
func (s *Session) keepOtherToken(name, kind string, tok *state.Token) (*state.Token, error) {
	err := s.Store.Update(name, func(st *state.State) error {
		st.Code, st.CodeVerifier, st.CodeRedirect, st.Pending = "", "", "", nil
		switch kind {
		case "pis":
			tok.PaymentID, tok.ConsentID = tok.ConsentID, ""
			if st.Payment == nil || st.Payment.ID != tok.PaymentID {
				st.Payment = &state.Payment{ID: tok.PaymentID, Created: s.Now()}
			}
			st.Payment.Token = tok
		case "piis":
			st.PIISConsentID, st.PIISToken = tok.ConsentID, tok
		default:
			return fmt.Errorf("unknown authorisation kind %q in the state", kind)
		}
		return nil
	})
	return tok, err
}

// Refresh renews the user token with its refresh token.
func (s *Session) Refresh(ctx context.Context) (*state.Token, error) {
	name := s.Config.ProfileName
	st, err := s.Store.Load(name)
	if err != nil {
		return nil, err
	}
	if st.UserToken == nil || st.UserToken.RefreshToken == "" {
		return nil, &ExitError{Code: ExitAuth, Err: fmt.Errorf("no refresh token in profile %q: run `xs2a authorize --exchange`", name)}
	}
	tok, err := s.refreshed(ctx, st.UserToken, "the ASPSP refuses the PSU's refresh token: authorize the consent again, `xs2a authorize`, then `xs2a token exchange` (or `xs2a flow`)")
	if err != nil {
		return nil, err
	}
	err = s.Store.Update(name, func(st *state.State) error { st.UserToken = tok; return nil })
	return tok, err
}

// refreshed is old renewed with its refresh token, for the caller to keep
// in its own slot of the state: the bank's new token for old's consent,
// old's refresh token kept when the bank sends none (RFC 6749 §6 lets it
// keep the grant's). invalidGrant is the hint when the bank refuses the
// grant (a restarted sandbox, a consent ended): only a new SCA gets
// tokens then.
func (s *Session) refreshed(ctx context.Context, old *state.Token, invalidGrant string) (*state.Token, error) {
	if _, err := s.Discover(ctx); err != nil {
		return nil, err
	}
	t, err := oauth.Refresh(ctx, s.MTLS, s.OAuth, old.RefreshToken)
	if err != nil {
		var oe *oauth.Error
		if errors.As(err, &oe) && oe.Code == "invalid_grant" {
			err = WithHint(err, invalidGrant)
		}
		return nil, tokenError(err)
	}
	s.warnToken(t)
	tok := toState(t, old.ConsentID)
	if tok.RefreshToken == "" {
		tok.RefreshToken = old.RefreshToken
	}
	return tok, nil
}

// UserToken returns a valid PSU token, refreshing an expired one.
func (s *Session) UserToken(ctx context.Context) (*state.Token, error) {
	st, err := s.Store.Load(s.Config.ProfileName)
	if err != nil {
		return nil, err
	}
	if st.UserToken == nil {
		next := "`xs2a authorize --exchange` (or `xs2a authorize`, then `xs2a token exchange`)"
		if st.Code != "" {
			next = "`xs2a token exchange` (the code `xs2a authorize` kept waits for it)"
		}
		switch st.ConsentStatus {
		case "terminatedByTpp", "expired", "rejected", "revokedByPsu":
			next = "`xs2a consent create` (consent " + st.ConsentID + " is " + st.ConsentStatus + "), then " + next
		default:
			if st.ConsentID == "" {
				next = "`xs2a consent create`, then " + next
			}
		}
		return nil, &ExitError{Code: ExitAuth, Err: fmt.Errorf("no PSU access token in profile %q: run %s first", s.Config.ProfileName, next)}
	}
	if st.UserToken.Valid(s.Now()) {
		return st.UserToken, nil
	}
	return s.Refresh(ctx)
}

// Discover fills the OAuth endpoints the profile leaves out from RFC 8414
// metadata and returns that metadata; nil when the profile names both
// endpoints and nothing was fetched.
func (s *Session) Discover(ctx context.Context) (*oauth.Metadata, error) {
	if s.OAuth.TokenURL != "" && s.OAuth.AuthorizeURL != "" {
		return nil, nil
	}
	return s.discover(ctx, s.OAuth.TokenURL == "", s.OAuth.AuthorizeURL == "")
}

// discover fetches the metadata and takes the endpoints asked for, each
// only when it is on an origin the profile names (pkg/origin): the token
// endpoint gets the client secret, the code and verifier, the refresh
// token; the authorization endpoint goes to the browser.
func (s *Session) discover(ctx context.Context, tokenURL, authorizeURL bool) (*oauth.Metadata, error) {
	name := s.Config.ProfileName
	md, err := oauth.Discover(ctx, s.MTLS, s.MetadataURL())
	if err != nil {
		err = RedirectFix(err, "token_url and authorize_url (then nothing is discovered)", ExitAuth)
		return nil, fmt.Errorf("profile %q lacks token_url/authorize_url and discovery failed: %w", name, err)
	}
	refuse := func(err error) error {
		return &ExitError{Code: ExitAuth, Err: fmt.Errorf("OAuth metadata %s: %w", s.MetadataURL(), err)}
	}
	if tokenURL {
		if err := s.Origins.Check("token_endpoint", md.TokenEndpoint); err != nil {
			return nil, refuse(err)
		}
		s.OAuth.TokenURL = md.TokenEndpoint
	}
	if authorizeURL {
		if err := s.Origins.Check("authorization_endpoint", md.AuthorizationEndpoint); err != nil {
			return nil, refuse(err)
		}
		s.OAuth.AuthorizeURL = md.AuthorizationEndpoint
	}
	return md, nil
}

// InjectAuth adds the credentials a request lacks, the way a TPP would
// send it: consent management (/v1/consents...), payments
// (/v1/{payment-service}/..., initiated by the TPP before any PSU token
// exists) and confirmation of funds (/v1/funds-confirmations, which has no
// PSU) get the client-credentials token and the API key; every other call the PSU's access token (refreshed
// when expired) and the Consent-ID it belongs to. Headers already present
// are kept. `xs2a proxy --inject-auth` and `xs2a replay` use it.
func (s *Session) InjectAuth(ctx context.Context, out *http.Request) error {
	if FundsConfirmation(out.URL.Path) && out.Header.Get("Authorization") == "" {
		// The PSU's PIIS token when the state keeps one (`authorize
		// --piis --exchange`), as funds-confirmation sends it; else the
		// client token below.
		t, err := s.PIISToken(ctx)
		if err != nil {
			return err
		}
		if t != nil {
			out.Header.Set("Authorization", "Bearer "+t.AccessToken)
		}
	}
	if ConsentManagement(out.URL.Path) || FundsConfirmation(out.URL.Path) || PaymentPath(out.URL.Path) {
		if out.Header.Get("Authorization") == "" {
			t, err := s.ClientToken(ctx, false)
			if err != nil {
				return err
			}
			out.Header.Set("Authorization", "Bearer "+t.AccessToken)
		}
		if h, key := s.API.APIKeyHeader, s.API.APIKey; key != "" {
			if h == "" {
				h = "X-API-Key"
			}
			if out.Header.Get(h) == "" {
				out.Header.Set(h, key)
			}
		}
		return nil
	}
	var consentID string
	if out.Header.Get("Authorization") == "" {
		t, err := s.UserToken(ctx)
		if err != nil {
			return err
		}
		out.Header.Set("Authorization", "Bearer "+t.AccessToken)
		consentID = t.ConsentID
	}
	if out.Header.Get("Consent-ID") == "" {
		if consentID == "" {
			st, err := s.Store.Load(s.Config.ProfileName)
			if err != nil {
				return err
			}
			consentID = st.ConsentID
			if st.UserToken != nil && st.UserToken.ConsentID != "" {
				consentID = st.UserToken.ConsentID
			}
		}
		if consentID != "" {
			out.Header.Set("Consent-ID", consentID)
		}
	}
	return nil
}

// FundsConfirmation reports the PIIS's path, /v1/funds-confirmations (or
// /funds-confirmations, as ConsentManagement takes /consents).
func FundsConfirmation(path string) bool {
	segs := strings.Split(strings.Trim(path, "/"), "/")
	return segs[len(segs)-1] == "funds-confirmations" && (len(segs) == 1 || len(segs) == 2 && segs[0] != "" && segs[0][0] == 'v')
}

// PaymentPath reports a path of the payment endpoints
// (/v1/{payment-service}/...), which the TPP calls with its
// client-credentials token as it does consent management.
func PaymentPath(path string) bool {
	segs := strings.Split(strings.Trim(path, "/"), "/")
	return len(segs) >= 3 && slices.Contains(xs2a.PaymentServices, segs[1])
}

// ConsentManagement reports a path of the consent endpoints
// (/v1/consents, /v1/consents/{id}, .../status).
func ConsentManagement(path string) bool {
	segs := strings.Split(strings.Trim(path, "/"), "/")
	for i, s := range segs {
		if s == "consents" {
			return i <= 1
		}
	}
	return false
}

func toState(t *oauth.Token, consentID string) *state.Token {
	return &state.Token{AccessToken: t.AccessToken, RefreshToken: t.RefreshToken, Expiry: t.Expiry, Scope: t.Scope, ConsentID: consentID}
}

// tokenError classifies a token endpoint failure: a redirect is fixed in
// token_url (exit 4, as every token error).
// An endpoint that is not reached is named by its key, token_url: the
// network rule's hint would name base_url.
func tokenError(err error) error {
	if Describe(err).Hint == unreachedHint {
		return WithHint(err, "is the token endpoint reachable at the profile's token_url?")
	}
	return RedirectFix(err, "token_url", ExitAuth)
}

// warnToken tells the user what was adjusted in the token answer.
func (s *Session) warnToken(t *oauth.Token) {
	for _, w := range t.Warnings {
		if s.ErrOut != nil {
			fmt.Fprintln(s.ErrOut, "warning: "+w)
		}
	}
}
