package accounts

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
	"github.com/xs2a-dev/xs2a/cmd/xs2a/internal/cmdutil"
	"github.com/xs2a-dev/xs2a/pkg/iostreams"
	"github.com/xs2a-dev/xs2a/pkg/profile"
	"github.com/xs2a-dev/xs2a/pkg/xs2a"
)

// TransactionOptions are the arguments of `xs2a accounts transaction` and
// what it uses.
type TransactionOptions struct {
	IO      *iostreams.IOStreams
	Session func() (*cmdutil.Session, error)
	Config  func() (*profile.Config, error)
	// Consent is the group's --consent; "" means the authorized consent.
	Consent       string
	AccountID     string
	TransactionID string
}

// NewCmdTransaction builds `xs2a accounts transaction`; runF replaces the
// run function in tests.
func NewCmdTransaction(f *cmdutil.Factory, runF func(*TransactionOptions) error) *cobra.Command {
	o := &TransactionOptions{IO: f.IO, Session: f.Session, Config: f.Config}
	return &cobra.Command{
		Use:               "transaction ACCOUNT-ID TRANSACTION-ID",
		ValidArgsFunction: completeAccounts(f),
		Short:             "Show one transaction of a payment account (transaction details)",
		Long: `Show one transaction of a payment account: GET
/v1/accounts/{account-id}/transactions/{transactionId}, the transactionId a
report gave ('xs2a accounts transactions', last column). Payment accounts
only (account_type: payment): the OpenAPI file has no transaction details
for card accounts.`,
		Example: "  xs2a accounts transaction acc-1 tx-2\n  xs2a accounts transaction acc-1 tx-2 -o json",
		Args:    cmdutil.ExactArgs(2, "an ACCOUNT-ID and a TRANSACTION-ID (see xs2a accounts transactions)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Consent, o.AccountID, o.TransactionID = consentFlag(cmd), args[0], args[1]
			if runF != nil {
				return runF(o)
			}
			return transactionRun(cmd.Context(), o)
		},
	}
}

func transactionRun(ctx context.Context, o *TransactionOptions) error {
	isCard, c, err := begin(ctx, o.Config, o.Session, o.Consent)
	if err != nil {
		return err
	}
	if isCard {
		return cmdutil.UsageErrorf("the OpenAPI file has no transaction details for card accounts (account_type card); `xs2a accounts transactions %s` lists them", o.AccountID)
	}
	var kept json.RawMessage
	t, err := c.S.API.TransactionDetails(xs2a.KeepAnswer(ctx, &kept), c.Token.AccessToken, c.ConsentID, o.AccountID, o.TransactionID)
	if err != nil {
		return err
	}
	if c.S.WantsJSON() {
		return cmdutil.WriteJSON(o.IO.Out, accountJSON{AccountType: "payment", AccountID: o.AccountID, TransactionID: o.TransactionID,
			BankResponse: cmdutil.BankBody(kept, map[string]any{"transactionsDetails": map[string]any{"transactionDetails": t}})})
	}
	writeTransaction(o.IO.Out, t)
	return nil
}

// writeTransaction prints the fields a transaction has, one a line.
func writeTransaction(w io.Writer, t *xs2a.Transaction) {
	ref := func(r *xs2a.AccountReference) string {
		if r == nil {
			return ""
		}
		return firstOf(r.IBAN, r.BBAN, r.MaskedPAN, r.MSISDN)
	}
	for _, kv := range [][2]string{
		{"transactionId", t.TransactionID}, {"entryReference", t.EntryReference}, {"endToEndId", t.EndToEndID},
		{"bookingDate", t.BookingDate}, {"valueDate", t.ValueDate}, {"amount", t.TransactionAmount.String()},
		{"creditorName", t.CreditorName}, {"creditorAccount", ref(t.CreditorAccount)}, {"debtorName", t.DebtorName}, {"debtorAccount", ref(t.DebtorAccount)},
		{"remittance", reference(*t)}, {"bankTransactionCode", t.BankTransactionCode}, {"proprietaryCode", t.ProprietaryBankTransactionCode},
		{"purposeCode", t.PurposeCode}, {"mandateId", t.MandateID}, {"creditorId", t.CreditorID}, {"additionalInfo", t.AdditionalInformation},
	} {
		if strings.TrimSpace(kv[1]) != "" {
			fmt.Fprintf(w, "%-20s %s\n", kv[0]+":", l(kv[1]))
		}
	}
}
