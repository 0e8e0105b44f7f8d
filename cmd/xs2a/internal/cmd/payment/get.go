package payment

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"
	"github.com/xs2a-dev/xs2a/cmd/xs2a/internal/cmdutil"
	"github.com/xs2a-dev/xs2a/pkg/iostreams"
	"github.com/xs2a-dev/xs2a/pkg/xs2a"
)

// GetOptions are the flags of `xs2a payment get` and what it uses.
type GetOptions struct {
	IO      *iostreams.IOStreams
	Session func() (*cmdutil.Session, error)
	ID      string
	Path    PathFlags
}

// NewCmdGet builds `xs2a payment get`; runF replaces the run function in tests.
func NewCmdGet(f *cmdutil.Factory, runF func(*GetOptions) error) *cobra.Command {
	o := &GetOptions{IO: f.IO, Session: f.Session}
	cmd := &cobra.Command{
		Use:               "get [ID]",
		ValidArgsFunction: completePayment(f),
		Short:             "Read a payment as the bank holds it; the id defaults to the last initiated",
		Long: `Read a payment (GET /v1/{payment-service}/{payment-product}/{paymentId}): its
status, debtor, amount, creditor and, for a bulk, its payments (-o json
gives the bank's answer verbatim under bank_response).`,
		Example: `  xs2a payment get
  xs2a payment get pay-123 --service bulk-payments -o json`,
		Args: cmdutil.MaximumArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.ID = argID(args)
			if runF != nil {
				return runF(o)
			}
			return getRun(cmd.Context(), o)
		},
	}
	o.Path.register(cmd)
	return cmd
}

// gotJSON is `payment get -o json`.
type gotJSON struct {
	targetJSON
	TransactionStatus string          `json:"transaction_status,omitempty"`
	DebtorIBAN        string          `json:"debtor_iban,omitempty"`
	CreditorIBAN      string          `json:"creditor_iban,omitempty"`
	CreditorName      string          `json:"creditor_name,omitempty"`
	Amount            *amountJSON     `json:"amount,omitempty"`
	Payments          int             `json:"payments,omitempty"`
	BankResponse      json.RawMessage `json:"bank_response"`
}

func getRun(ctx context.Context, o *GetOptions) error {
	s, t, err := o.Path.open(o.Session, o.ID)
	if err != nil {
		return err
	}
	var p *xs2a.Payment
	err = s.WithClientToken(ctx, func(token string) (err error) {
		p, err = s.API.GetPayment(ctx, token, t.Service, t.Product, t.ID)
		return err
	})
	if err != nil {
		return err
	}
	Remember(s, t, p.TransactionStatus)
	out := gotJSON{targetJSON: t.json(), TransactionStatus: p.TransactionStatus,
		CreditorName: p.CreditorName, Payments: len(p.Payments), BankResponse: bankBody(p.Body)}
	if p.DebtorAccount != nil {
		out.DebtorIBAN = p.DebtorAccount.IBAN
	}
	if p.CreditorAccount != nil {
		out.CreditorIBAN = p.CreditorAccount.IBAN
	}
	if a := p.InstructedAmount; a != nil {
		out.Amount = &amountJSON{Amount: a.Amount, Currency: a.Currency}
	}
	if s.WantsJSON() {
		return cmdutil.WriteJSON(o.IO.Out, out)
	}
	w := o.IO.Out
	fmt.Fprintf(w, "payment:      %s (%s/%s)\n", l(t.ID), t.Service, t.Product)
	fmt.Fprintf(w, "status:       %s\n", l(p.TransactionStatus))
	if out.DebtorIBAN != "" {
		fmt.Fprintf(w, "debtor:       %s\n", l(out.DebtorIBAN))
	}
	if out.Amount != nil {
		fmt.Fprintf(w, "amount:       %s %s\n", l(out.Amount.Amount), l(out.Amount.Currency))
	}
	if out.CreditorIBAN != "" || out.CreditorName != "" {
		fmt.Fprintf(w, "creditor:     %s %s\n", l(out.CreditorName), l(out.CreditorIBAN))
	}
	if p.RemittanceInformationUnstructured != "" {
		fmt.Fprintf(w, "remittance:   %s\n", l(p.RemittanceInformationUnstructured))
	}
	if p.Frequency != "" {
		fmt.Fprintf(w, "schedule:     %s from %s %s\n", l(p.Frequency), l(p.StartDate), until(l(p.EndDate)))
		if p.DayOfExecution != "" {
			fmt.Fprintf(w, "executed on:  day %s of the period\n", l(p.DayOfExecution))
		}
		if p.ExecutionRule != "" {
			// following/preceding: the business day taken when that day
			// is a holiday.
			fmt.Fprintf(w, "on a holiday: %s business day (executionRule %s)\n", l(p.ExecutionRule), l(p.ExecutionRule))
		}
	}
	for i, b := range p.Payments {
		fmt.Fprintf(w, "payment %d:    %s %s to %s %s\n", i+1, l(b.InstructedAmount.Amount), l(b.InstructedAmount.Currency), l(b.CreditorName), l(b.CreditorAccount.IBAN))
	}
	return nil
}

// until ends a schedule's sentence: a standing order without an end date
// runs until it is cancelled.
func until(end string) string {
	if end == "" {
		return "until cancelled"
	}
	return "to " + end
}
