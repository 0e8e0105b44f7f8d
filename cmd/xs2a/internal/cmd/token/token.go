// Package token implements `xs2a token`, `token exchange` and `token refresh`.
// The OAuth work itself is the session's (cmdutil/tokens.go); these
// commands run it and print the token.
package token

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"
	"github.com/xs2a-dev/xs2a/cmd/xs2a/internal/cmdutil"
	"github.com/xs2a-dev/xs2a/pkg/iostreams"
	"github.com/xs2a-dev/xs2a/pkg/state"
	"github.com/xs2a-dev/xs2a/pkg/termsafe"
)

// TokenOptions are the dependencies of `xs2a token` (it has no flags).
type TokenOptions struct {
	IO      *iostreams.IOStreams
	Session func() (*cmdutil.Session, error)
}

// NewCmdToken builds `xs2a token` (client credentials) and its
// subcommands; runF replaces the run function in tests.
func NewCmdToken(f *cmdutil.Factory, runF func(*TokenOptions) error) *cobra.Command {
	o := &TokenOptions{IO: f.IO, Session: f.Session}
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
			if runF != nil {
				return runF(o)
			}
			return tokenRun(cmd.Context(), o)
		},
	}
	cmd.AddCommand(NewCmdExchange(f, nil), NewCmdRefresh(f, nil))
	return cmd
}

func tokenRun(ctx context.Context, o *TokenOptions) error {
	s, err := o.Session()
	if err != nil {
		return err
	}
	t, err := s.ClientToken(ctx, true)
	if err != nil {
		return err
	}
	return printToken(o.IO, s, "client-credentials", t)
}

type tokenJSON struct {
	Kind string `json:"kind"`
	// The tokens are null and *_masked true unless --show-secrets
	// (cmdutil.MaskJSON); a refresh token the bank did not give is null
	// and not masked.
	AccessToken        *string   `json:"access_token"`
	AccessTokenMasked  bool      `json:"access_token_masked"`
	RefreshToken       *string   `json:"refresh_token"`
	RefreshTokenMasked bool      `json:"refresh_token_masked"`
	Expiry             time.Time `json:"expiry"`
	ExpiresIn          int       `json:"expires_in"`
	Scope              string    `json:"scope,omitempty"`
	ConsentID          string    `json:"consent_id,omitempty"`
	// PaymentID: a payment's token (authorize --payment), kept apart
	// from the AIS one.
	PaymentID string `json:"payment_id,omitempty"`
}

// printToken shows a token the three commands got, masked unless
// --show-secrets.
func printToken(ios *iostreams.IOStreams, s *cmdutil.Session, kind string, t *state.Token) error {
	show := s.Config.ShowSecrets
	in := int(t.Expiry.Sub(s.Now()).Seconds())
	if s.WantsJSON() {
		doc := tokenJSON{Kind: kind, Expiry: t.Expiry, ExpiresIn: in, Scope: t.Scope, ConsentID: t.ConsentID, PaymentID: t.PaymentID}
		doc.AccessToken, doc.AccessTokenMasked = cmdutil.MaskJSON(t.AccessToken, show)
		doc.RefreshToken, doc.RefreshTokenMasked = cmdutil.MaskJSON(t.RefreshToken, show)
		return cmdutil.WriteJSON(ios.Out, doc)
	}
	// The tokens and scope are the bank's strings: escaped for the terminal.
	l := termsafe.Line
	w := ios.Out
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
	if t.PaymentID != "" {
		fmt.Fprintf(w, "payment:       %s (kept apart from the AIS token)\n", l(t.PaymentID))
	}
	return nil
}
