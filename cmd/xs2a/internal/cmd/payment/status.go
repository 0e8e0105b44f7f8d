package payment

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/xs2a-dev/xs2a/cmd/xs2a/internal/cmdutil"
	"github.com/xs2a-dev/xs2a/pkg/iostreams"
	"github.com/xs2a-dev/xs2a/pkg/text"
	"github.com/xs2a-dev/xs2a/pkg/xs2a"
)

// StatusOptions are the flags of `xs2a payment status` and what it uses.
type StatusOptions struct {
	IO      *iostreams.IOStreams
	Session func() (*cmdutil.Session, error)
	// Sleep waits between polls; tests replace it.
	Sleep func(context.Context, time.Duration) error

	ID   string
	Path PathFlags
	// Wait polls until the status is final, every Interval, for at most
	// Timeout.
	Wait     bool
	Interval time.Duration
	Timeout  time.Duration
	// ExitStatus: exit 0 when accepted, 9 when rejected or cancelled.
	ExitStatus bool
}

// NewCmdStatus builds `xs2a payment status`; runF replaces the run
// function in tests.
func NewCmdStatus(f *cmdutil.Factory, runF func(*StatusOptions) error) *cobra.Command {
	o := &StatusOptions{IO: f.IO, Session: f.Session, Sleep: sleep}
	cmd := &cobra.Command{
		Use:               "status [ID]",
		ValidArgsFunction: completePayment(f),
		Short:             "Read a payment's transaction status; the id defaults to the last initiated",
		Long: `Read a payment's transaction status (GET .../{paymentId}/status). With --wait,
poll every --interval until the status is final (` + strings.Join(xs2a.FinalStatuses, ", ") + `:
settled on the creditor's or the debtor's account, accepted without posting,
rejected, cancelled; for a standing order or a bulk also ACTC, ACSP and
ACWP: it is accepted and runs on its schedule or waits for its date, not
final), showing the status on a
terminal meanwhile; after --timeout the command fails (exit 1), naming
what the payment waits for (RCVD: the PSU's authorisation).

--exit-status: exit 0 when the payment is executed or accepted (a standing
order or a bulk accepted), 9 when it was rejected or cancelled (RJCT, CANC), the
status printed either way; a status that is neither yet fails (exit 1).

The service and product of the path are the remembered payment's when the
id is its own (or none is given), else --service and --product (defaults
payments and sepa-credit-transfers).`,
		Example: `  xs2a payment status
  xs2a payment status --wait --timeout 2m
  xs2a payment status --wait --exit-status && ship-the-order
  xs2a payment status pay-123 --service periodic-payments -o json | jq -r .transaction_status`,
		Args: cmdutil.MaximumArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.ID = argID(args)
			if o.Interval <= 0 || o.Timeout <= 0 {
				return cmdutil.UsageErrorf("--interval and --timeout must be positive")
			}
			if runF != nil {
				return runF(o)
			}
			return statusRun(cmd.Context(), o)
		},
	}
	o.Path.register(cmd)
	fl := cmd.Flags()
	fl.BoolVar(&o.Wait, "wait", false, "poll until the status is final ("+strings.Join(xs2a.FinalStatuses, ", ")+"), for a standing order or a bulk also accepted ("+strings.Join(xs2a.StandingOrderRunning, ", ")+")")
	fl.DurationVar(&o.Interval, "interval", 2*time.Second, "with --wait: time between polls")
	fl.DurationVar(&o.Timeout, "timeout", 5*time.Minute, "with --wait: how long to wait for a final status")
	fl.BoolVar(&o.ExitStatus, "exit-status", false, "exit 0 when the payment is executed or accepted, 9 when rejected or cancelled")
	return cmd
}

// statusJSON is `payment status -o json`.
type statusJSON struct {
	targetJSON
	TransactionStatus string          `json:"transaction_status"`
	Final             bool            `json:"final"`
	WaitingOver       bool            `json:"waiting_over"`
	FundsAvailable    *bool           `json:"funds_available,omitempty"`
	Polls             int             `json:"polls"`
	BankResponse      json.RawMessage `json:"bank_response"`
}

func statusRun(ctx context.Context, o *StatusOptions) error {
	s, t, err := o.Path.open(o.Session, o.ID)
	if err != nil {
		return err
	}
	st, polls, err := o.Read(ctx, s, t)
	if err != nil {
		return err
	}
	Remember(s, t, st.TransactionStatus)
	final := xs2a.FinalStatus(st.TransactionStatus)
	if s.WantsJSON() {
		return cmdutil.WriteJSON(o.IO.Out, statusJSON{targetJSON: t.json(),
			TransactionStatus: st.TransactionStatus, Final: final, WaitingOver: xs2a.WaitOver(t.Service, st.TransactionStatus),
			FundsAvailable: st.FundsAvailable, Polls: polls, BankResponse: bankBody(st.Body)})
	} else {
		what := ""
		switch {
		case final:
			what = " (final)"
		case xs2a.WaitOver(t.Service, st.TransactionStatus):
			what = " (" + acceptedNote(t.Service) + ")"
		}
		fmt.Fprintf(o.IO.Out, "payment %s: %s%s\n", l(t.ID), l(st.TransactionStatus), what)
		if st.PSUMessage != "" {
			fmt.Fprintf(o.IO.Out, "psuMessage: %s\n", l(st.PSUMessage))
		}
	}
	if o.ExitStatus {
		return outcome(t, st.TransactionStatus)
	}
	return nil
}

// Read reads t's status with the client-credentials token and, with
// Wait, polls until waiting is over (xs2a.WaitOver):
// `payment status`'s reads, which `xs2a flow --payment` makes too. It
// returns the last status and how many reads it took.
func (o *StatusOptions) Read(ctx context.Context, s *cmdutil.Session, t Target) (*xs2a.PaymentStatus, int, error) {
	read := func(ctx context.Context) (st *xs2a.PaymentStatus, err error) {
		err = s.WithClientToken(ctx, func(token string) error {
			st, err = s.API.PaymentStatus(ctx, token, t.Service, t.Product, t.ID)
			return err
		})
		return st, err
	}
	if o.Wait {
		return o.poll(ctx, t, read)
	}
	st, err := read(ctx)
	if err != nil {
		return nil, 0, err
	}
	return st, 1, nil
}

// errNotFinal is --wait's timeout.
var errNotFinal = errors.New("not final")

// poll reads the status every Interval until it is final or Timeout has
// passed, the status on a progress line meanwhile (a terminal only).
// Timeout bounds the whole wait, each read included: a bank that answers
// slowly, never, or with 429 and a Retry-After cannot stretch it.
func (o *StatusOptions) poll(ctx context.Context, t Target, read func(context.Context) (*xs2a.PaymentStatus, error)) (*xs2a.PaymentStatus, int, error) {
	deadline := time.Now().Add(o.Timeout)
	wctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	var st *xs2a.PaymentStatus
	polls := 0
	last := func() string { return l(st.TransactionStatus) }
	label := func() string {
		return fmt.Sprintf("waiting for payment %s to be final: %s (%d reads)", l(t.ID), last(), polls)
	}
	notFinal := func(why string) error {
		if st == nil {
			return fmt.Errorf("payment %s: no status read in %s%s: %w; read it again with `xs2a payment status --wait`, or a longer --timeout",
				l(t.ID), o.Timeout, why, errNotFinal)
		}
		said := ""
		if st.PSUMessage != "" {
			said = " (the bank: " + text.Clip(l(st.PSUMessage), 200) + ")"
		}
		return fmt.Errorf("payment %s is still %s after %s (%d reads%s)%s: %w; %s",
			l(t.ID), last(), o.Timeout, polls, why, said, errNotFinal, waitingFor(t, st.TransactionStatus, true))
	}
	// The wait's end, not the user's Ctrl-C (ctx), which stays an interrupt.
	timedOut := func(err error) bool {
		return ctx.Err() == nil && (wctx.Err() != nil || errors.Is(err, context.DeadlineExceeded))
	}
	var prog *iostreams.Progress
	defer func() {
		if prog != nil {
			prog.Stop()
		}
	}()
	for {
		next, err := read(wctx)
		if err != nil {
			if timedOut(err) {
				why := "; the last read did not end in time"
				if wctx.Err() == nil {
					why = "" // the rate limiter saw the deadline coming: nothing was sent
				}
				return nil, polls, notFinal(why)
			}
			return nil, polls, err
		}
		st, polls = next, polls+1
		if xs2a.WaitOver(t.Service, st.TransactionStatus) {
			return st, polls, nil
		}
		if prog == nil {
			prog = o.IO.StartProgress(label())
		} else {
			prog.Update(label())
		}
		if time.Now().Add(o.Interval).After(deadline) {
			return nil, polls, notFinal("")
		}
		pause := o.Sleep
		if pause == nil {
			pause = sleep
		}
		if err := pause(wctx, o.Interval); err != nil {
			if timedOut(err) {
				return nil, polls, notFinal("")
			}
			return nil, polls, err
		}
	}
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
