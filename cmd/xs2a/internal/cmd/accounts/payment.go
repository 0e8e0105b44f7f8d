package accounts

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"github.com/xs2a-dev/xs2a/cmd/xs2a/internal/cmdutil"
	"github.com/xs2a-dev/xs2a/pkg/state"
	"github.com/xs2a-dev/xs2a/pkg/xs2a"
)

// Payment accounts (account_type: payment): /v1/accounts... with the
// file's accountDetails, accountReport and transactionDetails.

func listPayment(ctx context.Context, f *cmdutil.Factory, s *cmdutil.Session, tok, cid string, withBalance bool) error {
	accts, err := s.API.Accounts(ctx, tok, cid, withBalance)
	if err != nil {
		return cmdutil.NetError(err)
	}
	ids := make([]string, 0, len(accts))
	for _, a := range accts {
		if a.ResourceID != "" {
			ids = append(ids, a.ResourceID)
		}
	}
	_ = s.Store.Update(s.Config.ProfileName, func(st *state.State) error { st.AccountIDs = ids; return nil })
	if cmdutil.WantsJSON(f) {
		if accts == nil {
			accts = []xs2a.Account{}
		}
		return cmdutil.JSON(f, accts)
	}
	tw := tabwriter.NewWriter(f.IO.Out, 0, 2, 2, ' ', 0)
	fmt.Fprintln(tw, "RESOURCE ID\tIBAN\tCURRENCY\tNAME\tPRODUCT\tSTATUS\tBALANCE")
	for _, a := range accts {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", l(a.ResourceID), accountID(a), l(a.Currency), l(a.Name), l(a.Product), l(a.Status), balanceSummary(a.Balances, false))
	}
	if len(accts) == 0 {
		fmt.Fprintln(f.IO.ErrOut, "the consent gives no payment accounts")
	}
	return tw.Flush()
}

func getPayment(ctx context.Context, f *cmdutil.Factory, s *cmdutil.Session, tok, cid, id string, withBalance bool) error {
	a, err := s.API.Account(ctx, tok, cid, id, withBalance)
	if err != nil {
		return cmdutil.NetError(err)
	}
	if cmdutil.WantsJSON(f) {
		return cmdutil.JSON(f, a)
	}
	w := f.IO.Out
	fmt.Fprintf(w, "%s  %s  %s (%s)\nstatus: %s  currency: %s  owner: %s\n", l(a.ResourceID), accountID(*a), l(firstOf(a.DisplayName, a.Name)), l(a.Product), l(a.Status), l(a.Currency), l(a.OwnerName))
	if a.CashAccountType != "" || a.BIC != "" {
		fmt.Fprintf(w, "type: %s  bic: %s\n", l(a.CashAccountType), l(a.BIC))
	}
	writeBalances(w, a.Balances)
	return nil
}

func transactionsPayment(ctx context.Context, f *cmdutil.Factory, s *cmdutil.Session, tok, cid, id string, q xs2a.TransactionQuery) error {
	tx, err := s.API.AccountTransactions(ctx, tok, cid, id, q)
	if err != nil {
		return cmdutil.NetError(err)
	}
	noteFallback(f, tx.Fallback)
	if cmdutil.WantsJSON(f) {
		return cmdutil.JSON(f, tx)
	}
	tw := tabwriter.NewWriter(f.IO.Out, 0, 2, 2, ' ', 0)
	fmt.Fprintln(tw, "DATE\tSTATUS\tAMOUNT\tCOUNTERPARTY\tREFERENCE\tTRANSACTION ID")
	for _, g := range []struct {
		status string
		list   []xs2a.Transaction
	}{{"information", tx.Information}, {"pending", tx.Pending}, {"booked", tx.Booked}} {
		for _, t := range g.list {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", l(firstOf(t.BookingDate, t.ValueDate)), g.status, amount(t.TransactionAmount), l(counterparty(t)), l(reference(t)), l(t.TransactionID))
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(f.IO.ErrOut, "%d booked, %d pending, %d information, %d page(s)\n", len(tx.Booked), len(tx.Pending), len(tx.Information), tx.Pages)
	writeBalances(f.IO.Out, tx.Balances)
	return nil
}

func newTransaction(f *cmdutil.Factory, consent *string) *cobra.Command {
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
			isCard, err := card(f)
			if err != nil {
				return err
			}
			s, tok, cid, err := access(cmd.Context(), f, *consent)
			if err != nil {
				return err
			}
			if isCard {
				return cmdutil.UsageErrorf("the OpenAPI file has no transaction details for card accounts (account_type card); `xs2a accounts transactions %s` lists them", args[0])
			}
			t, err := s.API.TransactionDetails(cmd.Context(), tok, cid, args[0], args[1])
			if err != nil {
				return cmdutil.NetError(err)
			}
			if cmdutil.WantsJSON(f) {
				return cmdutil.JSON(f, t)
			}
			writeTransaction(f.IO.Out, t)
			return nil
		},
	}
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
		{"bookingDate", t.BookingDate}, {"valueDate", t.ValueDate}, {"amount", t.TransactionAmount.Amount + " " + t.TransactionAmount.Currency},
		{"creditorName", t.CreditorName}, {"creditorAccount", ref(t.CreditorAccount)}, {"debtorName", t.DebtorName}, {"debtorAccount", ref(t.DebtorAccount)},
		{"remittance", reference(*t)}, {"bankTransactionCode", t.BankTransactionCode}, {"proprietaryCode", t.ProprietaryBankTransactionCode},
		{"purposeCode", t.PurposeCode}, {"mandateId", t.MandateID}, {"creditorId", t.CreditorID}, {"additionalInfo", t.AdditionalInformation},
	} {
		if strings.TrimSpace(kv[1]) != "" {
			fmt.Fprintf(w, "%-20s %s\n", kv[0]+":", l(kv[1]))
		}
	}
}

// accountID is how a payment account is named in a table: its IBAN in
// groups of four (as printed on paper), else its other identifier.
func accountID(a xs2a.Account) string {
	if a.IBAN == "" {
		return l(firstOf(a.BBAN, a.MSISDN))
	}
	var b strings.Builder
	for i, r := range a.IBAN {
		if i > 0 && i%4 == 0 {
			b.WriteByte(' ')
		}
		b.WriteRune(r)
	}
	return l(b.String())
}

// counterparty is the other side: the creditor of a debit, the debtor of
// a credit (amounts are signed), else whichever the bank gave.
func counterparty(t xs2a.Transaction) string {
	if strings.HasPrefix(t.TransactionAmount.Amount, "-") {
		return firstOf(t.CreditorName, t.DebtorName)
	}
	return firstOf(t.DebtorName, t.CreditorName)
}

func reference(t xs2a.Transaction) string {
	if t.RemittanceInformationUnstructured != "" {
		return t.RemittanceInformationUnstructured
	}
	return strings.Join(t.RemittanceInformationUnstructuredArray, " ")
}

func firstOf(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}
