package consent

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"
	"github.com/xs2a-dev/xs2a/cmd/xs2a/internal/cmdutil"
	"github.com/xs2a-dev/xs2a/pkg/iostreams"
	"github.com/xs2a-dev/xs2a/pkg/xs2a"
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

// gotJSON is `consent get -o json`: what the text says, in xs2a's
// snake_case, and the bank's answer under bank_response as the bank wrote
// it (the answer has no consentId: the id is the path's).
type gotJSON struct {
	ConsentID          string `json:"consent_id"`
	ConsentStatus      string `json:"consent_status"`
	ValidUntil         string `json:"valid_until"`
	RecurringIndicator bool   `json:"recurring_indicator"`
	FrequencyPerDay    int    `json:"frequency_per_day"`
	LastActionDate     string `json:"last_action_date"`
	BankResponse       any    `json:"bank_response"`
}

func getRun(ctx context.Context, o *GetOptions) error {
	c, err := managed(ctx, o.Session, o.ConsentID)
	if err != nil {
		return err
	}
	var kept json.RawMessage
	var got *xs2a.Consent
	err = c.S.WithClientToken(ctx, func(token string) (err error) {
		got, err = c.S.API.GetConsent(xs2a.KeepAnswer(ctx, &kept), token, c.ConsentID)
		return err
	})
	if err != nil {
		return err
	}
	if c.S.WantsJSON() {
		return cmdutil.WriteJSON(o.IO.Out, gotJSON{ConsentID: c.ConsentID, ConsentStatus: got.ConsentStatus, ValidUntil: got.ValidUntil,
			RecurringIndicator: got.RecurringIndicator, FrequencyPerDay: got.FrequencyPerDay, LastActionDate: got.LastActionDate, BankResponse: cmdutil.BankBody(kept, got)})
	}
	fmt.Fprintf(o.IO.Out, "consent:           %s\nstatus:            %s\nvalid until:       %s\nrecurring:         %v\nfrequency per day: %d\nlast action:       %s\n",
		l(c.ConsentID), l(got.ConsentStatus), l(got.ValidUntil), got.RecurringIndicator, got.FrequencyPerDay, l(got.LastActionDate))
	return nil
}
