package consent

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"
	"github.com/xs2a-dev/xs2a/cmd/xs2a/internal/cmdutil"
	"github.com/xs2a-dev/xs2a/pkg/iostreams"
)

// GetOptions are the argument of `xs2a consent get` and what it uses.
type GetOptions struct {
	IO      *iostreams.IOStreams
	Session func() (*cmdutil.Session, error)
	// ConsentID is the argument; "" means the last created.
	ConsentID string
}

// NewCmdGet builds `xs2a consent get`; runF replaces the run function in
// tests.
func NewCmdGet(f *cmdutil.Factory, runF func(*GetOptions) error) *cobra.Command {
	o := &GetOptions{IO: f.IO, Session: f.Session}
	return &cobra.Command{
		Use:               "get [ID]",
		ValidArgsFunction: completeConsent(f),
		Short:             "Read a consent (GET /v1/consents/{id}); the id defaults to the last created",
		Example:           "  xs2a consent get\n  xs2a consent get cns-EDqLAnn3BZSLRXZjPzaqPPpp -o json",
		Args:              cmdutil.MaximumArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.ConsentID = argID(args)
			if runF != nil {
				return runF(o)
			}
			return getRun(cmd.Context(), o)
		},
	}
}

func getRun(ctx context.Context, o *GetOptions) error {
	c, err := managed(ctx, o.Session, o.ConsentID)
	if err != nil {
		return err
	}
	got, err := c.S.API.GetConsent(ctx, c.Token.AccessToken, c.ConsentID)
	if err != nil {
		return err
	}
	if c.S.WantsJSON() {
		return cmdutil.WriteJSON(o.IO.Out, got)
	}
	fmt.Fprintf(o.IO.Out, "consent:           %s\nstatus:            %s\nvalid until:       %s\nrecurring:         %v\nfrequency per day: %d\nlast action:       %s\n",
		l(c.ConsentID), l(got.ConsentStatus), l(got.ValidUntil), got.RecurringIndicator, got.FrequencyPerDay, l(got.LastActionDate))
	return nil
}
