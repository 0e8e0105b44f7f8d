package accounts

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"github.com/xs2a-dev/xs2a/cmd/xs2a/internal/cmdutil"
	"github.com/xs2a-dev/xs2a/cmd/xs2a/internal/report"
	"github.com/xs2a-dev/xs2a/pkg/iostreams"
	"github.com/xs2a-dev/xs2a/pkg/profile"
	"github.com/xs2a-dev/xs2a/pkg/xs2a"
)

// ListOptions are the flags of `xs2a accounts list` and what it uses.
type ListOptions struct {
	IO      *iostreams.IOStreams
	Session func() (*cmdutil.Session, error)
	Config  func() (*profile.Config, error)
	// Consent is the group's --consent; "" means the authorized consent.
	Consent     string
	WithBalance bool
}

// NewCmdList builds `xs2a accounts list`; runF replaces the run function
// in tests.
func NewCmdList(f *cmdutil.Factory, runF func(*ListOptions) error) *cobra.Command {
	o := &ListOptions{IO: f.IO, Session: f.Session, Config: f.Config}
	cmd := &cobra.Command{
		Use:     "list",
		Short:   "List the accounts the consent gives",
		Example: "  xs2a accounts list --with-balance\n  xs2a accounts list -o json | jq -r '.bank_response.cardAccounts[].resourceId'",
		Args:    cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Consent = consentFlag(cmd)
			if runF != nil {
				return runF(o)
			}
			return listRun(cmd.Context(), o)
		},
	}
	cmd.Flags().BoolVar(&o.WithBalance, "with-balance", false, "payment accounts: ask for the balances (withBalance); card accounts: nothing to send (balances come with the consent)")
	return cmd
}

func listRun(ctx context.Context, o *ListOptions) error {
	isCard, c, err := begin(ctx, o.Config, o.Session, o.Consent)
	if err != nil {
		return err
	}
	if !isCard {
		return listPayment(ctx, o, c)
	}
	if o.WithBalance {
		fmt.Fprintln(o.IO.ErrOut, cardBalanceNote)
	}
	s := c.S
	var kept json.RawMessage
	cards, err := s.API.CardAccounts(xs2a.KeepAnswer(ctx, &kept), c.Token.AccessToken, c.ConsentID)
	if err != nil {
		return err
	}
	ids := make([]string, len(cards))
	for i, c := range cards {
		ids[i] = c.ResourceID
	}
	keepIDs(s, ids)
	if s.WantsJSON() {
		if cards == nil {
			cards = []xs2a.CardAccount{}
		}
		return cmdutil.WriteJSON(o.IO.Out, accountJSON{AccountType: "card", BankResponse: cmdutil.BankBody(kept, map[string]any{"cardAccounts": cards})})
	}
	// PRODUCT, then NAME, then BALANCE give way; a balance is cut at a
	// word, so its amount shows whole ("available 285.06…") or not at all.
	// A balance keeps its "available 285.06 EUR" whole; when the narrowest
	// cells do not fit, PRODUCT, then STATUS, then CREDIT LIMIT are left
	// out (said on stderr) rather than rows wrapped.
	tw := report.NewTable(o.IO, 3, 2, 6).Keep(6, 3).Drop(3, 4, 5)
	fmt.Fprintln(tw, "RESOURCE ID\tMASKED PAN\tNAME\tPRODUCT\tSTATUS\tCREDIT LIMIT\tBALANCE")
	for _, c := range cards {
		limit := ""
		if c.CreditLimit != nil {
			limit = amount(*c.CreditLimit)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", l(c.ResourceID), spacedPAN(c.MaskedPan), l(c.Name), l(c.Product), l(c.Status), limit, balanceSummary(c.Balances, true))
	}
	if len(cards) == 0 {
		fmt.Fprintln(o.IO.ErrOut, "the consent gives no card accounts")
	}
	return flushTable(o, tw)
}

// listPayment is list for payment accounts (account_type: payment).
func listPayment(ctx context.Context, o *ListOptions, c *accountCall) error {
	s := c.S
	var kept json.RawMessage
	accts, err := s.API.Accounts(xs2a.KeepAnswer(ctx, &kept), c.Token.AccessToken, c.ConsentID, o.WithBalance)
	if err != nil {
		return err
	}
	ids := make([]string, 0, len(accts))
	for _, a := range accts {
		if a.ResourceID != "" {
			ids = append(ids, a.ResourceID)
		}
	}
	keepIDs(s, ids)
	if s.WantsJSON() {
		if accts == nil {
			accts = []xs2a.Account{}
		}
		return cmdutil.WriteJSON(o.IO.Out, accountJSON{AccountType: "payment", BankResponse: cmdutil.BankBody(kept, map[string]any{"accounts": accts})})
	}
	tw := report.NewTable(o.IO, 4, 3, 6).Keep(6, 3).Drop(4, 5, 2) // as for cards; CURRENCY goes last
	fmt.Fprintln(tw, "RESOURCE ID\tIBAN\tCURRENCY\tNAME\tPRODUCT\tSTATUS\tBALANCE")
	for _, a := range accts {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", l(a.ResourceID), accountID(a), l(a.Currency), l(a.Name), l(a.Product), l(a.Status), balanceSummary(a.Balances, false))
	}
	if len(accts) == 0 {
		fmt.Fprintln(o.IO.ErrOut, "the consent gives no payment accounts")
	}
	return flushTable(o, tw)
}

// flushTable prints the table and, when the terminal was too narrow for
// some columns, which ones and where to see them.
func flushTable(o *ListOptions, tw *report.Table) error {
	if err := tw.Flush(); err != nil {
		return err
	}
	if d := tw.Dropped(); len(d) > 0 {
		fmt.Fprintf(o.IO.ErrOut, "(terminal too narrow: %s not shown; a wider terminal, a pipe or -o json shows them)\n", strings.Join(d, ", "))
	}
	return nil
}
