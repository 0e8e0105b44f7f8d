// Package accounts implements `xs2a accounts list|get|balances|transactions|transaction`,
// one file per verb; payment.go has what only payment accounts print.
package accounts

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
	"github.com/xs2a-dev/xs2a/cmd/xs2a/internal/cmdutil"
	"github.com/xs2a-dev/xs2a/pkg/profile"
	"github.com/xs2a-dev/xs2a/pkg/state"
	"github.com/xs2a-dev/xs2a/pkg/termsafe"
	"github.com/xs2a-dev/xs2a/pkg/xs2a"
)

// NewCmdAccounts builds the `xs2a accounts` group.
func NewCmdAccounts(f *cmdutil.Factory) *cobra.Command {
	var consent, psuIP string
	cmd := &cobra.Command{
		Use:   "accounts",
		Short: "Read the accounts a consent gives: list, get, balances, transactions",
		Long: `Read account information with the PSU's access token (from 'xs2a authorize
--exchange', refreshed when expired) and the consent id, both from the
profile's state unless --consent is given. The profile's account_type says
where: card (the default) reads /v1/card-accounts, payment reads the IBAN
payment accounts on /v1/accounts (and has transaction details:
'xs2a accounts transaction').`,
		Example: `  xs2a accounts list
  xs2a accounts balances card-8693
  xs2a accounts transactions card-8693 --from 2026-10-01`,
		Args: cmdutil.NoArgs,
		RunE: cmdutil.MissingSubcommand,
	}
	cmd.PersistentPreRunE = func(c *cobra.Command, args []string) error {
		if err := c.Root().PersistentPreRunE(c, args); err != nil {
			return err
		}
		return cmdutil.SetPSUIP(f, psuIP)
	}
	cmd.AddCommand(NewCmdList(f, nil), NewCmdGet(f, nil), NewCmdBalances(f, nil), NewCmdTransactions(f, nil), NewCmdTransaction(f, nil))
	// Each verb's own flags, not the group's persistent ones, so that
	// `accounts balances --help` lists them under Flags, where a reader
	// looks, not among the Global Flags (both bound to the group's values).
	for _, sub := range cmd.Commands() {
		sub.Flags().StringVar(&consent, "consent", "", "Consent-ID (default: the authorized consent)")
		sub.Flags().StringVar(&psuIP, "psu-ip", "", "send PSU-IP-Address: the PSU is present, so the call does not count against frequencyPerDay (default: the profile's psu_ip_address)")
	}
	return cmd
}

// consentFlag is the group's --consent, as a leaf reads it; "" when the
// leaf runs without the group (a test of its flags).
func consentFlag(cmd *cobra.Command) string {
	if fl := cmd.Flag("consent"); fl != nil {
		return fl.Value.String()
	}
	return ""
}

// accountCall is what an accounts call is made with: the session, the
// PSU's token and the consent it belongs to.
type accountCall struct {
	S         *cmdutil.Session
	Token     *state.Token
	ConsentID string
}

// access opens the session and finds the token (refreshed when expired)
// and the consent: --consent, else the token's, else the state's.
func access(ctx context.Context, session func() (*cmdutil.Session, error), consent string) (*accountCall, error) {
	s, err := session()
	if err != nil {
		return nil, err
	}
	t, err := s.UserToken(ctx)
	if err != nil {
		return nil, err
	}
	if consent == "" {
		consent = t.ConsentID
	}
	if consent == "" {
		st, err := s.Store.Load(s.Config.ProfileName)
		if err != nil {
			return nil, err
		}
		consent = st.ConsentID
	}
	if consent == "" {
		return nil, cmdutil.UsageErrorf("no consent id: give --consent")
	}
	return &accountCall{S: s, Token: t, ConsentID: consent}, nil
}

// keepIDs keeps the listed account ids for completion; a failed write
// costs only that, so it is a warning.
func keepIDs(s *cmdutil.Session, ids []string) {
	s.WarnState(s.Store.Update(s.Config.ProfileName, func(st *state.State) error { st.AccountIDs = ids; return nil }))
}

// begin is how every account read starts: the profile's account type,
// checked before any token is fetched, then the token and the consent.
func begin(ctx context.Context, config func() (*profile.Config, error), session func() (*cmdutil.Session, error), consent string) (bool, *accountCall, error) {
	isCard, err := card(config)
	if err != nil {
		return false, nil, err
	}
	c, err := access(ctx, session, consent)
	return isCard, c, err
}

// card reports whether the profile's accounts are card accounts
// (account_type card, the default) or payment accounts (payment).
func card(config func() (*profile.Config, error)) (bool, error) {
	cfg, err := config()
	if err != nil {
		return false, err
	}
	switch t := strings.ToLower(cfg.Profile.AccountType); t {
	case "", "card":
		return true, nil
	case "payment":
		return false, nil
	default:
		return false, cmdutil.UsageErrorf("account_type %q in profile %q is not card or payment", t, cfg.ProfileName)
	}
}

// cardBalanceNote is what --with-balance says for card accounts: the file
// declares withBalance on /v1/accounts, /v1/accounts/{id} and its
// transactions only (NextGenPSD2 OpenAPI 1.3.12), none on the card paths.
const cardBalanceNote = "--with-balance sends nothing for card accounts: the OpenAPI file has no withBalance on the card paths; a card's balances come with it when the consent grants them (balances access or availableAccountsWithBalance)"

// noteFallback says on stderr that the report was read with booked after
// the bank refused both.
func noteFallback(w io.Writer, refusal string) {
	if refusal != "" {
		fmt.Fprintf(w, "the bank refused bookingStatus=both (%s): read again with booked, so no pending transactions\n", l(refusal))
	}
}

func orList(vs []string) string {
	return strings.Join(vs[:len(vs)-1], ", ") + " or " + vs[len(vs)-1]
}

// completeAccounts offers the account ids the last `accounts list` returned.
func completeAccounts(f *cmdutil.Factory) func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return func(cmd *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
		if len(args) > 0 {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		return cmdutil.StateCompletion(f, func(st *state.State) []string { return st.AccountIDs })
	}
}

// l is how every string of the bank's answer is printed in text output:
// control characters escaped, so that none rewrites the screen (the bank
// is outside; -o json keeps the strings as they came).
func l(s string) string { return termsafe.Line(s) }

func amount(a xs2a.Amount) string { return l(a.String()) }

// spacedPAN writes 524378******8693 as the bank's 5243 78** **** 8693.
func spacedPAN(p string) string { return l(xs2a.FormatMaskedPAN(p)) }

// balanceSummary is the BALANCE column: the money to spend
// (xs2a.Spendable), named when it is not a payment account's plain
// interimAvailable. A card's interimAvailable without the credit limit is
// what the card owes, so it keeps its own name.
func balanceSummary(bs []xs2a.Balance, card bool) string {
	b, label, ok := xs2a.Spendable(bs, card)
	switch {
	case !ok:
		return ""
	case label == "interimAvailable" && !card:
		return "available " + amount(b.BalanceAmount)
	case b.CreditLimitIncluded:
		return "available " + amount(b.BalanceAmount) + " (" + l(label) + ")"
	default:
		return l(label) + " " + amount(b.BalanceAmount)
	}
}

// writeBalances writes one balance a line; a balance with
// creditLimitIncluded says so (a card has two expected balances, one
// without and one with the credit limit).
func writeBalances(w io.Writer, bs []xs2a.Balance) {
	for _, b := range bs {
		name := l(b.BalanceType)
		if b.CreditLimitIncluded {
			name += " (credit limit included)"
		}
		fmt.Fprintf(w, "%-18s %s\n", name+":", amount(b.BalanceAmount))
	}
}
