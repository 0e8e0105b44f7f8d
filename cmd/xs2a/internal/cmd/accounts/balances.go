package accounts

import (
	"context"
	"encoding/json"

	"github.com/spf13/cobra"
	"github.com/xs2a-dev/xs2a/cmd/xs2a/internal/cmdutil"
	"github.com/xs2a-dev/xs2a/pkg/iostreams"
	"github.com/xs2a-dev/xs2a/pkg/profile"
	"github.com/xs2a-dev/xs2a/pkg/xs2a"
)

// BalancesOptions are the argument of `xs2a accounts balances` and what
// it uses.
type BalancesOptions struct {
	IO      *iostreams.IOStreams
	Session func() (*cmdutil.Session, error)
	Config  func() (*profile.Config, error)
	// Consent is the group's --consent; "" means the authorized consent.
	Consent   string
	AccountID string
}

// NewCmdBalances builds `xs2a accounts balances`; runF replaces the run
// function in tests.
func NewCmdBalances(f *cmdutil.Factory, runF func(*BalancesOptions) error) *cobra.Command {
	o := &BalancesOptions{IO: f.IO, Session: f.Session, Config: f.Config}
	return &cobra.Command{
		Use:               "balances ACCOUNT-ID",
		ValidArgsFunction: completeAccounts(f),
		Short:             "Show an account's balances",
		Example:           "  xs2a accounts balances card-8693\n  xs2a accounts balances card-8693 --psu-ip 192.0.2.1   # the PSU is present: not counted against frequencyPerDay",
		Args:              cmdutil.ExactArgs(1, "an ACCOUNT-ID (see xs2a accounts list)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Consent, o.AccountID = consentFlag(cmd), args[0]
			if runF != nil {
				return runF(o)
			}
			return balancesRun(cmd.Context(), o)
		},
	}
}

func balancesRun(ctx context.Context, o *BalancesOptions) error {
	isCard, c, err := begin(ctx, o.Config, o.Session, o.Consent)
	if err != nil {
		return err
	}
	get := c.S.API.CardBalances
	if !isCard {
		get = c.S.API.AccountBalances
	}
	var kept json.RawMessage
	bs, err := get(xs2a.KeepAnswer(ctx, &kept), c.Token.AccessToken, c.ConsentID, o.AccountID)
	if err != nil {
		return err
	}
	if c.S.WantsJSON() {
		if bs == nil {
			bs = []xs2a.Balance{}
		}
		return cmdutil.WriteJSON(o.IO.Out, accountJSON{AccountType: accountType(isCard), AccountID: o.AccountID, BankResponse: cmdutil.BankBody(kept, map[string]any{"balances": bs})})
	}
	writeBalances(o.IO.Out, bs)
	return nil
}
