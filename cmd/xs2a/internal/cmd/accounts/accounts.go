// Package accounts implements `xs2a accounts list|get|balances|transactions|transaction`.
package accounts

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"github.com/xs2a-dev/xs2a/cmd/xs2a/internal/cmdutil"
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
		Args: cmdutil.NoArgs,
		RunE: cmdutil.MissingSubcommand,
	}
	cmd.PersistentFlags().StringVar(&consent, "consent", "", "Consent-ID (default: the authorized consent)")
	cmd.PersistentFlags().StringVar(&psuIP, "psu-ip", "", "send PSU-IP-Address: the PSU is present, so the call does not count against frequencyPerDay (default: the profile's psu_ip_address)")
	cmd.PersistentPreRunE = func(c *cobra.Command, args []string) error {
		if err := c.Root().PersistentPreRunE(c, args); err != nil {
			return err
		}
		return cmdutil.SetPSUIP(f, psuIP)
	}
	cmd.AddCommand(newList(f, &consent), newGet(f, &consent), newBalances(f, &consent), newTransactions(f, &consent), newTransaction(f, &consent))
	return cmd
}

// access is the token and consent of an accounts call.
func access(ctx context.Context, f *cmdutil.Factory, consent string) (*cmdutil.Session, string, string, error) {
	s, err := f.Session()
	if err != nil {
		return nil, "", "", err
	}
	t, err := s.UserToken(ctx)
	if err != nil {
		return nil, "", "", err
	}
	if consent == "" {
		consent = t.ConsentID
	}
	if consent == "" {
		st, err := s.Store.Load(s.Config.ProfileName)
		if err != nil {
			return nil, "", "", err
		}
		consent = st.ConsentID
	}
	if consent == "" {
		return nil, "", "", cmdutil.UsageErrorf("no consent id: give --consent")
	}
	return s, t.AccessToken, consent, nil
}

// card reports whether the profile's accounts are card accounts
// (account_type card, the default) or payment accounts (payment).
func card(f *cmdutil.Factory) (bool, error) {
	cfg, err := f.Config()
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

func newList(f *cmdutil.Factory, consent *string) *cobra.Command {
	var withBalance bool
	cmd := &cobra.Command{
		Use:     "list",
		Short:   "List the accounts the consent gives",
		Example: "  xs2a accounts list --with-balance\n  xs2a accounts list -o json | jq -r '.[].resourceId'",
		Args:    cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			isCard, err := card(f)
			if err != nil {
				return err
			}
			s, tok, cid, err := access(cmd.Context(), f, *consent)
			if err != nil {
				return err
			}
			if !isCard {
				return listPayment(cmd.Context(), f, s, tok, cid, withBalance)
			}
			if withBalance {
				fmt.Fprintln(f.IO.ErrOut, cardBalanceNote)
			}
			cards, err := s.API.CardAccounts(cmd.Context(), tok, cid)
			if err != nil {
				return cmdutil.NetError(err)
			}
			ids := make([]string, len(cards))
			for i, c := range cards {
				ids[i] = c.ResourceID
			}
			_ = s.Store.Update(s.Config.ProfileName, func(st *state.State) error { st.AccountIDs = ids; return nil })
			if cmdutil.WantsJSON(f) {
				if cards == nil {
					cards = []xs2a.CardAccount{}
				}
				return cmdutil.JSON(f, cards)
			}
			tw := tabwriter.NewWriter(f.IO.Out, 0, 2, 2, ' ', 0)
			fmt.Fprintln(tw, "RESOURCE ID\tMASKED PAN\tNAME\tPRODUCT\tSTATUS\tCREDIT LIMIT\tBALANCE")
			for _, c := range cards {
				limit := ""
				if c.CreditLimit != nil {
					limit = amount(*c.CreditLimit)
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", l(c.ResourceID), spacedPAN(c.MaskedPan), l(c.Name), l(c.Product), l(c.Status), limit, balanceSummary(c.Balances, true))
			}
			if len(cards) == 0 {
				fmt.Fprintln(f.IO.ErrOut, "the consent gives no card accounts")
			}
			return tw.Flush()
		},
	}
	cmd.Flags().BoolVar(&withBalance, "with-balance", false, "payment accounts: ask for the balances (withBalance); card accounts: nothing to send (balances come with the consent)")
	return cmd
}

func newGet(f *cmdutil.Factory, consent *string) *cobra.Command {
	var withBalance bool
	cmd := &cobra.Command{
		Use:               "get ACCOUNT-ID",
		ValidArgsFunction: completeAccounts(f),
		Short:             "Show one account",
		Args:              cmdutil.ExactArgs(1, "an ACCOUNT-ID (see xs2a accounts list)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			isCard, err := card(f)
			if err != nil {
				return err
			}
			s, tok, cid, err := access(cmd.Context(), f, *consent)
			if err != nil {
				return err
			}
			if !isCard {
				return getPayment(cmd.Context(), f, s, tok, cid, args[0], withBalance)
			}
			if withBalance {
				fmt.Fprintln(f.IO.ErrOut, cardBalanceNote)
			}
			c, err := s.API.CardAccount(cmd.Context(), tok, cid, args[0])
			if err != nil {
				return cmdutil.NetError(err)
			}
			if cmdutil.WantsJSON(f) {
				return cmdutil.JSON(f, c)
			}
			w := f.IO.Out
			fmt.Fprintf(w, "%s  %s  %s (%s)\nstatus: %s  currency: %s  owner: %s\n", l(c.ResourceID), spacedPAN(c.MaskedPan), l(c.DisplayName), l(c.Product), l(c.Status), l(c.Currency), l(c.OwnerName))
			if c.CreditLimit != nil {
				fmt.Fprintf(w, "credit limit: %s\n", amount(*c.CreditLimit))
			}
			writeBalances(w, c.Balances)
			return nil
		},
	}
	cmd.Flags().BoolVar(&withBalance, "with-balance", false, "payment accounts: ask for the balances (withBalance); card accounts: nothing to send (balances come with the consent)")
	return cmd
}

func newBalances(f *cmdutil.Factory, consent *string) *cobra.Command {
	return &cobra.Command{
		Use:               "balances ACCOUNT-ID",
		ValidArgsFunction: completeAccounts(f),
		Short:             "Show an account's balances",
		Args:              cmdutil.ExactArgs(1, "an ACCOUNT-ID (see xs2a accounts list)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			isCard, err := card(f)
			if err != nil {
				return err
			}
			s, tok, cid, err := access(cmd.Context(), f, *consent)
			if err != nil {
				return err
			}
			get := s.API.CardBalances
			if !isCard {
				get = s.API.AccountBalances
			}
			bs, err := get(cmd.Context(), tok, cid, args[0])
			if err != nil {
				return cmdutil.NetError(err)
			}
			if cmdutil.WantsJSON(f) {
				return cmdutil.JSON(f, bs)
			}
			writeBalances(f.IO.Out, bs)
			return nil
		},
	}
}

func newTransactions(f *cmdutil.Factory, consent *string) *cobra.Command {
	var q xs2a.TransactionQuery
	cmd := &cobra.Command{
		Use:               "transactions ACCOUNT-ID",
		ValidArgsFunction: completeAccounts(f),
		Short:             "Show an account's transactions, following every page",
		Long: `Show an account's transactions from --from (default 30 days ago), following
every page the bank links (at most 100 pages and 64 MiB).

--booking-status is booked, pending or both (the default); payment accounts
also take information (standing orders) and all, as the OpenAPI file's
enum has them. The file makes only booked mandatory for a bank: when
--booking-status is not given and the bank answers 400
PARAMETER_NOT_SUPPORTED (or FORMAT_ERROR naming bookingStatus) to both,
the report is read once more with booked, and stderr says so.`,
		Example: "  xs2a accounts transactions card-8693 --from 2026-10-01 --booking-status booked",
		Args:    cmdutil.ExactArgs(1, "an ACCOUNT-ID (see xs2a accounts list)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			for _, d := range []string{q.From, q.To} {
				if _, err := time.Parse(time.DateOnly, d); d != "" && err != nil {
					return cmdutil.UsageErrorf("%q is not a date (YYYY-MM-DD)", d)
				}
			}
			if q.From == "" {
				q.From = f.Now().AddDate(0, 0, -30).Format(time.DateOnly)
			}
			isCard, err := card(f)
			if err != nil {
				return err
			}
			// The file's enums: bookingStatusCard, bookingStatusGeneric.
			allowed := []string{"booked", "pending", "both"}
			if !isCard {
				allowed = append(allowed, "information", "all")
			}
			if !slices.Contains(allowed, q.BookingStatus) {
				return cmdutil.UsageErrorf("--booking-status %q is not %s", q.BookingStatus, orList(allowed))
			}
			if !cmd.Flags().Changed("booking-status") {
				q.BookingStatus = "" // both, with the fallback to booked
			}
			s, tok, cid, err := access(cmd.Context(), f, *consent)
			if err != nil {
				return err
			}
			if !isCard {
				return transactionsPayment(cmd.Context(), f, s, tok, cid, args[0], q)
			}
			if q.WithBalance {
				fmt.Fprintln(f.IO.ErrOut, cardBalanceNote)
				q.WithBalance = false
			}
			tx, err := s.API.CardTransactions(cmd.Context(), tok, cid, args[0], q)
			if err != nil {
				return cmdutil.NetError(err)
			}
			noteFallback(f, tx.Fallback)
			if cmdutil.WantsJSON(f) {
				return cmdutil.JSON(f, tx)
			}
			tw := tabwriter.NewWriter(f.IO.Out, 0, 2, 2, ' ', 0)
			fmt.Fprintln(tw, "DATE\tSTATUS\tAMOUNT\tDETAILS")
			for _, t := range tx.Pending {
				fmt.Fprintf(tw, "%s\tpending\t%s\t%s\n", l(t.TransactionDate), amount(t.TransactionAmount), l(t.TransactionDetails))
			}
			for _, t := range tx.Booked {
				fmt.Fprintf(tw, "%s\tbooked\t%s\t%s\n", l(t.TransactionDate), amount(t.TransactionAmount), l(t.TransactionDetails))
			}
			if err := tw.Flush(); err != nil {
				return err
			}
			fmt.Fprintf(f.IO.ErrOut, "%d booked, %d pending, %d page(s)\n", len(tx.Booked), len(tx.Pending), tx.Pages)
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&q.From, "from", "", "dateFrom (default: 30 days ago)")
	fl.StringVar(&q.To, "to", "", "dateTo (default: today)")
	fl.StringVar(&q.BookingStatus, "booking-status", "both", "booked, pending or both; payment accounts also information (standing orders) or all")
	fl.BoolVar(&q.WithBalance, "with-balance", false, "payment accounts: the balances with the report (withBalance); card accounts: nothing to send (balances come with the consent)")
	return cmd
}

// noteFallback says on stderr that the report was read with booked after
// the bank refused both.
func noteFallback(f *cmdutil.Factory, refusal string) {
	if refusal != "" {
		fmt.Fprintf(f.IO.ErrOut, "the bank refused bookingStatus=both (%s): read again with booked, so no pending transactions\n", l(refusal))
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

func amount(a xs2a.Amount) string { return l(a.Amount + " " + a.Currency) }

// spacedPAN writes 524378******8693 as the bank's 5243 78** **** 8693.
func spacedPAN(p string) string {
	if len(p) != 16 {
		return l(p)
	}
	p = strings.ReplaceAll(p, "x", "*")
	return l(p[0:4] + " " + p[4:8] + " " + p[8:12] + " " + p[12:16])
}

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
