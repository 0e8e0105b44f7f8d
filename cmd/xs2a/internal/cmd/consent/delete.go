package consent

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"
	"github.com/xs2a-dev/xs2a/cmd/xs2a/internal/cmdutil"
	"github.com/xs2a-dev/xs2a/pkg/iostreams"
	"github.com/xs2a-dev/xs2a/pkg/state"
)

// DeleteOptions are the argument of `xs2a consent delete` and what it uses.
type DeleteOptions struct {
	IO      *iostreams.IOStreams
	Session func() (*cmdutil.Session, error)
	// ConsentID is the argument; "" means the last created.
	ConsentID string
}

// NewCmdDelete builds `xs2a consent delete`; runF replaces the run
// function in tests.
func NewCmdDelete(f *cmdutil.Factory, runF func(*DeleteOptions) error) *cobra.Command {
	o := &DeleteOptions{IO: f.IO, Session: f.Session}
	return &cobra.Command{
		Use:               "delete [ID]",
		ValidArgsFunction: completeConsent(f),
		Short:             "Terminate a consent (DELETE /v1/consents/{id})",
		Example:           "  xs2a consent delete\n  xs2a consent delete cns-EDqLAnn3BZSLRXZjPzaqPPpp",
		Args:              cmdutil.MaximumArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.ConsentID = argID(args)
			if runF != nil {
				return runF(o)
			}
			return deleteRun(cmd.Context(), o)
		},
	}
}

func deleteRun(ctx context.Context, o *DeleteOptions) error {
	c, err := managed(ctx, o.Session, o.ConsentID)
	if err != nil {
		return err
	}
	s, id := c.S, c.ConsentID
	if err := s.WithClientToken(ctx, func(token string) error { return s.API.DeleteConsent(ctx, token, id) }); err != nil {
		return err
	}
	// The consent is gone at the bank whatever the state says: a failed
	// write is a warning, not the command's failure.
	s.WarnState(s.Store.Update(s.Config.ProfileName, func(x *state.State) error {
		if x.ConsentID == id {
			x.ConsentStatus, x.UserToken = "terminatedByTpp", nil
		}
		return nil
	}))
	if s.WantsJSON() {
		return cmdutil.WriteJSON(o.IO.Out, map[string]string{"consent_id": id, "consent_status": "terminatedByTpp"})
	}
	_, err = fmt.Fprintf(o.IO.Out, "consent %s terminated\n", l(id))
	return err
}
