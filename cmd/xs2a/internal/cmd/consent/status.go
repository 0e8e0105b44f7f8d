package consent

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"
	"github.com/xs2a-dev/xs2a/cmd/xs2a/internal/cmdutil"
	"github.com/xs2a-dev/xs2a/pkg/budget"
	"github.com/xs2a-dev/xs2a/pkg/iostreams"
	"github.com/xs2a-dev/xs2a/pkg/state"
	"github.com/xs2a-dev/xs2a/pkg/xs2a"
)

// StatusOptions are the flags of `xs2a consent status` and what it uses.
type StatusOptions struct {
	IO      *iostreams.IOStreams
	Session func() (*cmdutil.Session, error)
	// ConsentID is the argument; "" means the last created.
	ConsentID string
	// Local is --local: the last known status, without asking the bank.
	Local bool
}

// NewCmdStatus builds `xs2a consent status`; runF replaces the run
// function in tests.
func NewCmdStatus(f *cmdutil.Factory, runF func(*StatusOptions) error) *cobra.Command {
	o := &StatusOptions{IO: f.IO, Session: f.Session}
	cmd := &cobra.Command{
		Use:               "status [ID]",
		ValidArgsFunction: completeConsent(f),
		Short:             "Read a consent's status and its call budget; the id defaults to the last created",
		Long: `Read a consent's status from the bank (GET /v1/consents/{id}/status) and show,
beside it, the call budget the client keeps in the profile's state: valid
until and days left, the PSU-not-present calls left today of the consent's
frequencyPerDay, the TPP's requests left today of the bank's daily limit,
and when the bank's day resets. When the client does not know the consent's
frequencyPerDay (it was created elsewhere), it reads the whole consent
instead (GET /v1/consents/{id}, the same one request).

The status request itself counts against the daily limit; --local shows the
last known status and the budget without asking the bank.`,
		Example: `  xs2a consent status
  xs2a consent status --local -o json | jq .budget.calls_left_today`,
		Args: cmdutil.MaximumArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.ConsentID = argID(args)
			if runF != nil {
				return runF(o)
			}
			return statusRun(cmd.Context(), o)
		},
	}
	cmd.Flags().BoolVar(&o.Local, "local", false, "do not ask the bank: the last known status and the budget only (costs no request)")
	return cmd
}

// statusJSON is `consent status -o json`; its field names are stable.
type statusJSON struct {
	ConsentID     string        `json:"consent_id"`
	ConsentStatus string        `json:"consent_status"`
	Local         bool          `json:"local"` // true: the status is the last known, not asked
	Budget        budget.Report `json:"budget"`
}

// statusRun reads the status (from the bank, or the state with --local),
// keeps it, and prints it beside the budget.
func statusRun(ctx context.Context, o *StatusOptions) error {
	s, err := o.Session()
	if err != nil {
		return err
	}
	id, err := consentID(s, o.ConsentID)
	if err != nil {
		return err
	}
	st, err := s.Store.Load(s.Config.ProfileName)
	if err != nil {
		return err
	}
	var status string
	if o.Local {
		status = lastKnown(st, id)
	} else if status, err = askStatus(ctx, s, st, id); err != nil {
		return err
	}
	err = s.Store.Update(s.Config.ProfileName, func(x *state.State) error {
		if !o.Local {
			if x.ConsentID == id {
				x.ConsentStatus = status
			}
			if c := known(x, id); c != nil {
				c.Status = status
			}
		}
		st = x
		return nil
	})
	if err != nil {
		return err
	}
	rep := st.Budget.Report(id, s.Budget, s.Now())
	if s.WantsJSON() {
		return cmdutil.WriteJSON(o.IO.Out, statusJSON{ConsentID: id, ConsentStatus: status, Local: o.Local, Budget: rep})
	}
	return printStatus(o.IO.Out, s, id, status, o.Local, rep)
}

// known is the budget's record of the consent; nil when it has none.
func known(st *state.State, id string) *budget.Consent {
	if st.Budget == nil {
		return nil
	}
	return st.Budget.Consents[id]
}

// lastKnown is the status the state last saw for the consent.
func lastKnown(st *state.State, id string) string {
	if c := known(st, id); c != nil && c.Status != "" {
		return c.Status
	}
	if st.ConsentID == id {
		return st.ConsentStatus
	}
	return ""
}

// askStatus asks the bank. When the budget does not know the consent's
// frequencyPerDay, the whole consent costs the same one request and tells
// the budget its validUntil and frequencyPerDay.
func askStatus(ctx context.Context, s *cmdutil.Session, st *state.State, id string) (string, error) {
	var status string
	err := s.WithClientToken(ctx, func(token string) (err error) {
		if c := known(st, id); c != nil && c.FrequencyPerDay > 0 {
			status, err = s.API.ConsentStatus(ctx, token, id)
			return err
		}
		var c *xs2a.Consent
		if c, err = s.API.GetConsent(ctx, token, id); err == nil {
			status = c.ConsentStatus
		}
		return err
	})
	if err != nil {
		return "", err
	}
	return status, nil
}

func printStatus(w io.Writer, s *cmdutil.Session, id, status string, local bool, r budget.Report) error {
	status = l(status)
	if status == "" {
		status = "unknown"
	}
	if local {
		status += " (last known; --local does not ask the bank)"
	}
	valid := "unknown (xs2a consent get reads it)"
	r.ValidUntil = l(r.ValidUntil)
	if r.ValidUntil != "" && r.DaysLeft != nil {
		switch d := *r.DaysLeft; {
		case d < 0:
			valid = fmt.Sprintf("%s (expired %d days ago)", r.ValidUntil, -d)
		case d == 0:
			valid = r.ValidUntil + " (today is its last day)"
		case d == 1:
			valid = r.ValidUntil + " (1 day left)"
		default:
			valid = fmt.Sprintf("%s (%d days left)", r.ValidUntil, d)
		}
	}
	calls := fmt.Sprintf("%d made today; frequencyPerDay unknown (xs2a consent get reads it)", r.CallsToday)
	if r.FrequencyPerDay != nil {
		calls = fmt.Sprintf("%d of %d left today (frequencyPerDay)", *r.CallsLeftToday, *r.FrequencyPerDay)
		if r.PerEndpoint {
			calls = fmt.Sprintf("%d of %d left today on the endpoint used most (frequencyPerDay, counted per endpoint and account)", *r.CallsLeftToday, *r.FrequencyPerDay)
		}
	}
	if r.OneOff {
		calls = fmt.Sprintf("one-off consent: %d endpoint(s) read, each once, PSU present or not", r.CallsToday)
	}
	reqs := fmt.Sprintf("%d made today (no budget.daily_limit)", r.RequestsToday)
	if r.DailyLimit != nil {
		reqs = fmt.Sprintf("%d of %d left today (the TPP's daily limit)", *r.RequestsLeftToday, *r.DailyLimit)
	}
	resets, _ := time.Parse(time.RFC3339, r.ResetsAt)
	in := resets.Sub(s.Now()).Round(time.Minute)
	rows := [][2]string{{"consent", l(id)}, {"status", status}, {"valid until", valid}, {"PSU-not-present calls", calls},
		{"TPP requests", reqs}, {"day resets", fmt.Sprintf("00:00 %s time, %s (in %dh%02dm)", s.Budget.ZoneName(), r.ResetsAt, int(in.Hours()), int(in.Minutes())%60)}}
	if r.Strict {
		rows = append(rows, [2]string{"strict budget", "on: a call beyond a budget is refused before it is sent (exit 8)"})
	}
	var err error
	for _, row := range rows {
		if _, err = fmt.Fprintf(w, "%-23s%s\n", row[0]+":", row[1]); err != nil {
			break
		}
	}
	return err
}
