// Package token implements `xs2a token`, `token exchange` and `token refresh`.
package token

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"
	"github.com/xs2a-dev/xs2a/cmd/xs2a/internal/cmdutil"
	"github.com/xs2a-dev/xs2a/pkg/oauth"
	"github.com/xs2a-dev/xs2a/pkg/state"
	"github.com/xs2a-dev/xs2a/pkg/termsafe"
)

// NewCmdToken builds `xs2a token` (client credentials) and its subcommands.
func NewCmdToken(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "token",
		Short: "Get a client-credentials access token from the token endpoint (mutual TLS)",
		Long: `Get a client-credentials token for consent management from the profile's
token endpoint over mutual TLS with the QWAC. The token is kept in the
profile's state for the next steps; it is shown masked unless --show-secrets.`,
		Example: `  xs2a token
  xs2a token -o json --show-secrets | jq -r .access_token`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := f.Session()
			if err != nil {
				return err
			}
			t, err := ClientToken(cmd.Context(), s, true)
			if err != nil {
				return err
			}
			return printToken(f, s, "client-credentials", t)
		},
	}
	cmd.AddCommand(newCmdExchange(f), newCmdRefresh(f))
	return cmd
}

func toState(t *oauth.Token, consentID string) *state.Token {
	return &state.Token{AccessToken: t.AccessToken, RefreshToken: t.RefreshToken, Expiry: t.Expiry, Scope: t.Scope, ConsentID: consentID}
}

// ClientToken returns the state's client-credentials token while valid, or
// gets (fresh=true: always gets) a new one and keeps it.
func ClientToken(ctx context.Context, s *cmdutil.Session, fresh bool) (*state.Token, error) {
	name := s.Config.ProfileName
	if !fresh {
		st, err := s.Store.Load(name)
		if err != nil {
			return nil, err
		}
		if st.ClientToken != nil && st.ClientToken.Valid(s.Now()) {
			return st.ClientToken, nil
		}
	}
	if s.OAuth.TokenURL == "" {
		if _, err := discover(ctx, s, true, false); err != nil {
			return nil, err
		}
	}
	if s.OAuth.ClientID == "" {
		return nil, cmdutil.UsageErrorf("profile %q has no client_id", name)
	}
	t, err := oauth.ClientCredentials(ctx, s.MTLS, s.OAuth)
	if err != nil {
		return nil, tokenError(err)
	}
	warn(s, t)
	tok := toState(t, "")
	err = s.Store.Update(name, func(st *state.State) error { st.ClientToken = tok; return nil })
	return tok, err
}

type tokenJSON struct {
	Kind         string    `json:"kind"`
	AccessToken  string    `json:"access_token"`
	RefreshToken string    `json:"refresh_token,omitempty"`
	Expiry       time.Time `json:"expiry"`
	ExpiresIn    int       `json:"expires_in"`
	Scope        string    `json:"scope,omitempty"`
	ConsentID    string    `json:"consent_id,omitempty"`
}

func printToken(f *cmdutil.Factory, s *cmdutil.Session, kind string, t *state.Token) error {
	show := s.Config.ShowSecrets
	in := int(t.Expiry.Sub(s.Now()).Seconds())
	if cmdutil.WantsJSON(f) {
		return cmdutil.JSON(f, tokenJSON{Kind: kind, AccessToken: cmdutil.Mask(t.AccessToken, show), RefreshToken: cmdutil.Mask(t.RefreshToken, show),
			Expiry: t.Expiry, ExpiresIn: in, Scope: t.Scope, ConsentID: t.ConsentID})
	}
	// The tokens and scope are the bank's strings: escaped for the terminal.
	l := termsafe.Line
	w := f.IO.Out
	fmt.Fprintf(w, "%s access token: %s\n", kind, l(cmdutil.Mask(t.AccessToken, show)))
	if !t.Expiry.IsZero() {
		fmt.Fprintf(w, "expires:       %s (in %s)\n", t.Expiry.Local().Format(time.RFC3339), time.Duration(in)*time.Second)
	}
	if t.RefreshToken != "" {
		fmt.Fprintf(w, "refresh token: %s\n", l(cmdutil.Mask(t.RefreshToken, show)))
	}
	if t.Scope != "" {
		fmt.Fprintf(w, "scope:         %s\n", l(t.Scope))
	}
	return nil
}

func newCmdExchange(f *cmdutil.Factory) *cobra.Command {
	var code, verifier, redirect string
	cmd := &cobra.Command{
		Use:   "exchange [--code CODE --verifier VERIFIER]",
		Short: "Trade the authorization code and PKCE verifier for access and refresh tokens",
		Long: `Exchange the authorization code from 'xs2a authorize' (kept in the profile's
state, or given with --code and --verifier) at the token endpoint over mutual
TLS. The tokens are kept for 'xs2a accounts'.`,
		Example: `  xs2a authorize && xs2a token exchange
  xs2a token exchange --code "$CODE" --verifier "$VERIFIER" --redirect-uri http://127.0.0.1:8765/callback`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := f.Session()
			if err != nil {
				return err
			}
			t, err := Exchange(cmd.Context(), s, code, verifier, redirect)
			if err != nil {
				return err
			}
			return printToken(f, s, "PSU", t)
		},
	}
	cmd.Flags().StringVar(&code, "code", "", "authorization code (default: the one `xs2a authorize` kept)")
	cmd.Flags().StringVar(&verifier, "verifier", "", "PKCE code verifier (default: the one `xs2a authorize` kept)")
	cmd.Flags().StringVar(&redirect, "redirect-uri", "", "the redirect_uri of the authorization request (default: the one kept, or the profile's)")
	return cmd
}

// Exchange trades the code for tokens and keeps them.
func Exchange(ctx context.Context, s *cmdutil.Session, code, verifier, redirect string) (*state.Token, error) {
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
		return nil, cmdutil.UsageErrorf("no authorization code: run `xs2a authorize` first, or give --code and --verifier")
	}
	if verifier == "" {
		return nil, cmdutil.UsageErrorf("no PKCE verifier: give --verifier with --code")
	}
	if redirect == "" {
		redirect = s.OAuth.RedirectURL
	}
	if _, err := Discover(ctx, s); err != nil {
		return nil, err
	}
	cfg := s.OAuth
	cfg.RedirectURL = redirect
	t, err := oauth.Exchange(ctx, s.MTLS, cfg, code, verifier)
	if err != nil {
		return nil, tokenError(err)
	}
	warn(s, t)
	consentID := st.ConsentID
	if st.Pending != nil && st.Pending.ConsentID != "" {
		consentID = st.Pending.ConsentID
	}
	tok := toState(t, consentID)
	err = s.Store.Update(name, func(st *state.State) error {
		st.UserToken, st.Code, st.CodeVerifier, st.CodeRedirect, st.Pending = tok, "", "", "", nil
		return nil
	})
	return tok, err
}

// Discover fills the OAuth endpoints the profile leaves out from RFC 8414
// metadata and returns that metadata; nil when the profile names both
// endpoints and nothing was fetched.
func Discover(ctx context.Context, s *cmdutil.Session) (*oauth.Metadata, error) {
	if s.OAuth.TokenURL != "" && s.OAuth.AuthorizeURL != "" {
		return nil, nil
	}
	return discover(ctx, s, s.OAuth.TokenURL == "", s.OAuth.AuthorizeURL == "")
}

// discover fetches the metadata and takes the endpoints asked for, each
// only when it is on an origin the profile names (pkg/origin): the token
// endpoint gets the client secret, the code and verifier, the refresh
// token; the authorization endpoint goes to the browser.
func discover(ctx context.Context, s *cmdutil.Session, tokenURL, authorizeURL bool) (*oauth.Metadata, error) {
	name := s.Config.ProfileName
	md, err := oauth.Discover(ctx, s.MTLS, s.MetadataURL())
	if err != nil {
		err = cmdutil.RedirectFix(err, "token_url and authorize_url (then nothing is discovered)", cmdutil.ExitAuth)
		return nil, cmdutil.NetError(fmt.Errorf("profile %q lacks token_url/authorize_url and discovery failed: %w", name, err))
	}
	refuse := func(err error) error {
		return &cmdutil.ExitError{Code: cmdutil.ExitAuth, Err: fmt.Errorf("OAuth metadata %s: %w", s.MetadataURL(), err)}
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

// tokenError classifies a token endpoint failure: a redirect is fixed in
// token_url (exit 4, as every token error).
func tokenError(err error) error {
	return cmdutil.NetError(cmdutil.RedirectFix(err, "token_url", cmdutil.ExitAuth))
}

// warn tells the user what was adjusted in the token answer.
func warn(s *cmdutil.Session, t *oauth.Token) {
	for _, w := range t.Warnings {
		if s.ErrOut != nil {
			fmt.Fprintln(s.ErrOut, "warning: "+w)
		}
	}
}

func newCmdRefresh(f *cmdutil.Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "refresh",
		Short: "Get a new access token with the kept refresh token",
		Args:  cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := f.Session()
			if err != nil {
				return err
			}
			t, err := Refresh(cmd.Context(), s)
			if err != nil {
				return err
			}
			return printToken(f, s, "PSU", t)
		},
	}
}

// Refresh renews the user token with its refresh token.
func Refresh(ctx context.Context, s *cmdutil.Session) (*state.Token, error) {
	name := s.Config.ProfileName
	st, err := s.Store.Load(name)
	if err != nil {
		return nil, err
	}
	if st.UserToken == nil || st.UserToken.RefreshToken == "" {
		return nil, &cmdutil.ExitError{Code: cmdutil.ExitAuth, Err: fmt.Errorf("no refresh token in profile %q: run `xs2a authorize --exchange`", name)}
	}
	if _, err := Discover(ctx, s); err != nil {
		return nil, err
	}
	t, err := oauth.Refresh(ctx, s.MTLS, s.OAuth, st.UserToken.RefreshToken)
	if err != nil {
		return nil, tokenError(err)
	}
	warn(s, t)
	tok := toState(t, st.UserToken.ConsentID)
	if tok.RefreshToken == "" {
		tok.RefreshToken = st.UserToken.RefreshToken
	}
	err = s.Store.Update(name, func(st *state.State) error { st.UserToken = tok; return nil })
	return tok, err
}

// UserToken returns a valid PSU token, refreshing an expired one.
func UserToken(ctx context.Context, s *cmdutil.Session) (*state.Token, error) {
	st, err := s.Store.Load(s.Config.ProfileName)
	if err != nil {
		return nil, err
	}
	if st.UserToken == nil {
		next := "`xs2a authorize --exchange`"
		switch st.ConsentStatus {
		case "terminatedByTpp", "expired", "rejected", "revokedByPsu":
			next = "`xs2a consent create` (consent " + st.ConsentID + " is " + st.ConsentStatus + "), then " + next
		default:
			if st.ConsentID == "" {
				next = "`xs2a consent create`, then " + next
			}
		}
		return nil, &cmdutil.ExitError{Code: cmdutil.ExitAuth, Err: fmt.Errorf("no PSU access token in profile %q: run %s first", s.Config.ProfileName, next)}
	}
	if st.UserToken.Valid(s.Now()) {
		return st.UserToken, nil
	}
	return Refresh(ctx, s)
}
