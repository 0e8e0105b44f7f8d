// Package payment implements `xs2a payment initiate|status|get|cancel`
// (PIS), one file per verb. The payment initiated last is remembered in
// the profile's state (id, service, product) as the consent id is, and
// the PSU authorises it with `xs2a authorize --payment`.
package payment

import (
	"encoding/json"

	"github.com/spf13/cobra"
	"github.com/xs2a-dev/xs2a/cmd/xs2a/internal/cmdutil"
	"github.com/xs2a-dev/xs2a/pkg/iban"
	"github.com/xs2a-dev/xs2a/pkg/state"
	"github.com/xs2a-dev/xs2a/pkg/termsafe"
	"github.com/xs2a-dev/xs2a/pkg/xs2a"
)

// NewCmdPayment builds the `xs2a payment` group.
func NewCmdPayment(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "payment",
		Short: "Initiate, read and cancel payments (PIS)",
		Example: `  xs2a payment initiate --debtor FI0412345600012343 --creditor DE89370400440532013000 --creditor-name "John Miles" --amount 12.34
  xs2a authorize --payment --exchange
  xs2a payment status --wait`,
		Args: cmdutil.NoArgs,
		RunE: cmdutil.MissingSubcommand,
	}
	cmd.AddCommand(NewCmdInitiate(f, nil), NewCmdStatus(f, nil), NewCmdGet(f, nil), NewCmdCancel(f, nil))
	return cmd
}

// Target is the payment a command addresses: its id and the service and
// product its path needs.
type Target struct {
	ID, Service, Product string
}

// targetJSON names the payment in every command's -o json, first.
type targetJSON struct {
	PaymentID      string `json:"payment_id"`
	PaymentService string `json:"payment_service"`
	PaymentProduct string `json:"payment_product"`
}

func (t Target) json() targetJSON { return targetJSON{t.ID, t.Service, t.Product} }

// PathFlags are --service and --product of status, get and cancel: the
// remembered payment's when its id is the one addressed, else the
// defaults (payments, sepa-credit-transfers) unless given.
type PathFlags struct {
	Service, Product string
}

func (p *PathFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&p.Service, "service", "", "payment service: payments, periodic-payments or bulk-payments (default: the remembered payment's, else payments)")
	fl.StringVar(&p.Product, "product", "", "payment product (default: the remembered payment's, else sepa-credit-transfers)")
}

// open is the session and the payment a verb addresses (resolve), as
// get, status and cancel each start.
func (p *PathFlags) open(session func() (*cmdutil.Session, error), id string) (*cmdutil.Session, Target, error) {
	s, err := session()
	if err != nil {
		return nil, Target{}, err
	}
	t, err := p.resolve(s, id)
	return s, t, err
}

// resolve finds the payment addressed: the id given, else the one
// remembered; its service and product from the flags, else the state.
func (p *PathFlags) resolve(s *cmdutil.Session, id string) (Target, error) {
	st, err := s.Store.Load(s.Config.ProfileName)
	if err != nil {
		return Target{}, err
	}
	t := Target{ID: id}
	if rem := st.Payment; rem != nil && (id == "" || id == rem.ID) {
		t = Target{ID: rem.ID, Service: rem.Service, Product: rem.Product}
	}
	if t.ID == "" {
		return t, cmdutil.UsageErrorf("no payment id: give one, or run `xs2a payment initiate` first")
	}
	// Before anything is sent; the state may hold an id an older xs2a
	// took from a bank.
	if err := xs2a.CheckPaymentID(t.ID); err != nil {
		return t, cmdutil.UsageError(err)
	}
	if p.Service != "" {
		t.Service = p.Service
	}
	if p.Product != "" {
		t.Product = p.Product
	}
	if t.Service == "" {
		t.Service = "payments"
	}
	if t.Product == "" {
		t.Product = "sepa-credit-transfers"
	}
	if err := xs2a.CheckPaymentPath(t.Service, t.Product); err != nil {
		return t, cmdutil.UsageError(err)
	}
	return t, nil
}

// Remember keeps the status seen for the remembered payment (`xs2a flow
// --payment` too).
func Remember(s *cmdutil.Session, t Target, status string) {
	err := s.Store.Update(s.Config.ProfileName, func(st *state.State) error {
		if st.Payment != nil && st.Payment.ID == t.ID && status != "" {
			st.Payment.Status = status
		}
		return nil
	})
	s.WarnState(err)
}

func argID(args []string) string {
	if len(args) == 1 {
		return args[0]
	}
	return ""
}

// completePayment offers the payment id kept in the profile's state.
func completePayment(f *cmdutil.Factory) func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return func(cmd *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
		if len(args) > 0 {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		return cmdutil.StateCompletion(f, func(st *state.State) []string {
			if st.Payment == nil {
				return nil
			}
			return []string{st.Payment.ID + "\t" + st.Payment.Service + "/" + st.Payment.Product + " " + st.Payment.Status}
		})
	}
}

// CheckIBAN checks an IBAN's shape and its ISO 13616 check digits
// (mod 97): a mistyped digit is refused here, not by the bank after the
// PSU signed in. Spaces are allowed and dropped; the IBAN is returned in
// its electronic form.
func CheckIBAN(flag, v string) (string, error) {
	s := iban.Electronic(v)
	if err := iban.Check(s); err != nil {
		return "", cmdutil.UsageErrorf("%s %q: %v", flag, v, err)
	}
	return s, nil
}

// CheckAmount checks a payment amount (12.34) as the file writes amounts
// (xs2a.CheckAmount), naming where it came from.
func CheckAmount(flag, v string) error {
	if err := xs2a.CheckAmount(v); err != nil {
		return cmdutil.UsageErrorf("%s %q is %v", flag, v, err)
	}
	return nil
}

// CheckCurrency checks an ISO 4217 code as xs2a.Currency does (eur is
// sent EUR), returning it as it is sent.
func CheckCurrency(flag, v string) (string, error) {
	c, err := xs2a.Currency(v)
	if err != nil {
		return "", cmdutil.UsageErrorf("%s %q is %v", flag, v, err)
	}
	return c, nil
}

// bankBody is the bank's answer for -o json, verbatim; null when there
// was none (a 204).
func bankBody(b []byte) json.RawMessage {
	if len(b) == 0 || !json.Valid(b) {
		return json.RawMessage("null")
	}
	return json.RawMessage(b)
}

// amountJSON is an amount in xs2a's JSON: the amount a string.
type amountJSON struct {
	Amount   string `json:"amount"`
	Currency string `json:"currency"`
}

func l(s string) string { return termsafe.Line(s) }
