package token

import (
	"context"

	"github.com/spf13/cobra"
	"github.com/xs2a-dev/xs2a/cmd/xs2a/internal/cmdutil"
	"github.com/xs2a-dev/xs2a/pkg/iostreams"
)

// ExchangeOptions are the flags of `xs2a token exchange`; empty ones mean
// what `xs2a authorize` kept in the profile's state.
type ExchangeOptions struct {
	IO       *iostreams.IOStreams
	Session  func() (*cmdutil.Session, error)
	Code     string
	Verifier string
	Redirect string
}

// NewCmdExchange builds `xs2a token exchange`; runF replaces the run
// function in tests.
func NewCmdExchange(f *cmdutil.Factory, runF func(*ExchangeOptions) error) *cobra.Command {
	o := &ExchangeOptions{IO: f.IO, Session: f.Session}
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
			if runF != nil {
				return runF(o)
			}
			return exchangeRun(cmd.Context(), o)
		},
	}
	// No backquotes in these usages: pflag takes the first backquoted
	// word for the value's name ("--code xs2a authorize").
	cmd.Flags().StringVar(&o.Code, "code", "", "the `CODE` of the authorization (default: the one 'xs2a authorize' kept)")
	cmd.Flags().StringVar(&o.Verifier, "verifier", "", "the PKCE code `VERIFIER` (default: the one 'xs2a authorize' kept)")
	cmd.Flags().StringVar(&o.Redirect, "redirect-uri", "", "the redirect_uri of the authorization request (default: the one kept, or the profile's)")
	return cmd
}

func exchangeRun(ctx context.Context, o *ExchangeOptions) error {
	s, err := o.Session()
	if err != nil {
		return err
	}
	t, err := s.Exchange(ctx, o.Code, o.Verifier, o.Redirect)
	if err != nil {
		return err
	}
	return printToken(o.IO, s, "PSU", t)
}
