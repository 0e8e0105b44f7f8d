package token

import (
	"context"

	"github.com/spf13/cobra"
	"github.com/xs2a-dev/xs2a/cmd/xs2a/internal/cmdutil"
	"github.com/xs2a-dev/xs2a/pkg/iostreams"
)

// RefreshOptions are the dependencies of `xs2a token refresh` (it has no
// flags).
type RefreshOptions struct {
	IO      *iostreams.IOStreams
	Session func() (*cmdutil.Session, error)
}

// NewCmdRefresh builds `xs2a token refresh`; runF replaces the run
// function in tests.
func NewCmdRefresh(f *cmdutil.Factory, runF func(*RefreshOptions) error) *cobra.Command {
	o := &RefreshOptions{IO: f.IO, Session: f.Session}
	return &cobra.Command{
		Use:     "refresh",
		Short:   "Get a new access token with the kept refresh token",
		Example: "  xs2a token refresh\n  xs2a token refresh -o json --show-secrets | jq -r .access_token",
		Args:    cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(o)
			}
			return refreshRun(cmd.Context(), o)
		},
	}
}

func refreshRun(ctx context.Context, o *RefreshOptions) error {
	s, err := o.Session()
	if err != nil {
		return err
	}
	t, err := s.Refresh(ctx)
	if err != nil {
		return err
	}
	return printToken(o.IO, s, "PSU", t)
}
