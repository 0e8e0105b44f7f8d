package accounts

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"
	"github.com/xs2a-dev/xs2a/cmd/xs2a/internal/cmdutil"
	"github.com/xs2a-dev/xs2a/pkg/iostreams"
	"github.com/xs2a-dev/xs2a/pkg/profile"
	"github.com/xs2a-dev/xs2a/pkg/xs2a"
)

// GetOptions are the flags of `xs2a accounts get` and what it uses.
type GetOptions struct {
	IO      *iostreams.IOStreams
	Session func() (*cmdutil.Session, error)
	Config  func() (*profile.Config, error)
	// Consent is the group's --consent; "" means the authorized consent.
	Consent     string
	AccountID   string
	WithBalance bool
}

// NewCmdGet builds `xs2a accounts get`; runF replaces the run function in
// tests.
func NewCmdGet(f *cmdutil.Factory, runF func(*GetOptions) error) *cobra.Command {
	o := &GetOptions{IO: f.IO, Session: f.Session, Config: f.Config}
	cmd := &cobra.Command{
		Use:               "get ACCOUNT-ID",
		ValidArgsFunction: completeAccounts(f),
		Short:             "Show one account",
		Example:           "  xs2a accounts get card-8693\n  xs2a accounts get card-8693 -o json",
		Args:              cmdutil.ExactArgs(1, "an ACCOUNT-ID (see xs2a accounts list)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Consent, o.AccountID = consentFlag(cmd), args[0]
			if runF != nil {
				return runF(o)
			}
			return getRun(cmd.Context(), o)
		},
	}
	cmd.Flags().BoolVar(&o.WithBalance, "with-balance", false, "payment accounts: ask for the balances (withBalance); card accounts: nothing to send (balances come with the consent)")
	return cmd
}

func getRun(ctx context.Context, o *GetOptions) error {
	isCard, c, err := begin(ctx, o.Config, o.Session, o.Consent)
	if err != nil {
		return err
	}
	if !isCard {
		return getPayment(ctx, o, c)
	}
	if o.WithBalance {
		fmt.Fprintln(o.IO.ErrOut, cardBalanceNote)
	}
	var kept json.RawMessage
	a, err := c.S.API.CardAccount(xs2a.KeepAnswer(ctx, &kept), c.Token.AccessToken, c.ConsentID, o.AccountID)
	if err != nil {
		return err
	}
	if c.S.WantsJSON() {
		return cmdutil.WriteJSON(o.IO.Out, accountJSON{AccountType: "card", AccountID: o.AccountID, BankResponse: cmdutil.BankBody(kept, map[string]any{"cardAccount": a})})
	}
	w := o.IO.Out
	fmt.Fprintf(w, "%s  %s  %s (%s)\nstatus: %s  currency: %s  owner: %s\n", l(a.ResourceID), spacedPAN(a.MaskedPan), l(a.DisplayName), l(a.Product), l(a.Status), l(a.Currency), l(a.OwnerName))
	if a.CreditLimit != nil {
		fmt.Fprintf(w, "credit limit: %s\n", amount(*a.CreditLimit))
	}
	writeBalances(w, a.Balances)
	return nil
}

// getPayment is get for payment accounts (account_type: payment).
func getPayment(ctx context.Context, o *GetOptions, c *accountCall) error {
	var kept json.RawMessage
	a, err := c.S.API.Account(xs2a.KeepAnswer(ctx, &kept), c.Token.AccessToken, c.ConsentID, o.AccountID, o.WithBalance)
	if err != nil {
		return err
	}
	if c.S.WantsJSON() {
		return cmdutil.WriteJSON(o.IO.Out, accountJSON{AccountType: "payment", AccountID: o.AccountID, BankResponse: cmdutil.BankBody(kept, map[string]any{"account": a})})
	}
	w := o.IO.Out
	fmt.Fprintf(w, "%s  %s  %s (%s)\nstatus: %s  currency: %s  owner: %s\n", l(a.ResourceID), accountID(*a), l(firstOf(a.DisplayName, a.Name)), l(a.Product), l(a.Status), l(a.Currency), l(a.OwnerName))
	if a.CashAccountType != "" || a.BIC != "" {
		fmt.Fprintf(w, "type: %s  bic: %s\n", l(a.CashAccountType), l(a.BIC))
	}
	writeBalances(w, a.Balances)
	return nil
}
