package accounts

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/spf13/cobra"
	"github.com/xs2a-dev/xs2a/cmd/xs2a/internal/cmdutil"
	"github.com/xs2a-dev/xs2a/cmd/xs2a/internal/report"
	"github.com/xs2a-dev/xs2a/pkg/iostreams"
	"github.com/xs2a-dev/xs2a/pkg/profile"
	"github.com/xs2a-dev/xs2a/pkg/xs2a"
)

// TransactionsOptions are the flags of `xs2a accounts transactions` and
// what it uses.
type TransactionsOptions struct {
	IO      *iostreams.IOStreams
	Session func() (*cmdutil.Session, error)
	Config  func() (*profile.Config, error)
	Now     func() time.Time
	// Consent is the group's --consent; "" means the authorized consent.
	Consent   string
	AccountID string
	Query     xs2a.TransactionQuery
	// BookingStatusGiven: --booking-status was given. Without it the
	// report asks for both and falls back to booked when the bank refuses.
	BookingStatusGiven bool
}

// NewCmdTransactions builds `xs2a accounts transactions`; runF replaces
// the run function in tests.
func NewCmdTransactions(f *cmdutil.Factory, runF func(*TransactionsOptions) error) *cobra.Command {
	o := &TransactionsOptions{IO: f.IO, Session: f.Session, Config: f.Config, Now: f.Now}
	q := &o.Query
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
			for _, d := range [][2]string{{"--from", q.From}, {"--to", q.To}} {
				if _, err := time.Parse(time.DateOnly, d[1]); d[1] != "" && err != nil {
					return cmdutil.UsageErrorf("%s %q is not a date (YYYY-MM-DD)", d[0], d[1])
				}
			}
			o.Consent, o.AccountID = consentFlag(cmd), args[0]
			o.BookingStatusGiven = cmd.Flags().Changed("booking-status")
			if runF != nil {
				return runF(o)
			}
			return transactionsRun(cmd.Context(), o)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&q.From, "from", "", "dateFrom (default: 30 days ago)")
	fl.StringVar(&q.To, "to", "", "dateTo (default: today)")
	fl.StringVar(&q.BookingStatus, "booking-status", "both", "booked, pending or both; payment accounts also information (standing orders) or all")
	fl.BoolVar(&q.WithBalance, "with-balance", false, "payment accounts: the balances with the report (withBalance); card accounts: nothing to send (balances come with the consent)")
	return cmd
}

func transactionsRun(ctx context.Context, o *TransactionsOptions) error {
	q := o.Query
	if q.From == "" {
		q.From = o.Now().AddDate(0, 0, -30).Format(time.DateOnly)
	}
	isCard, err := card(o.Config)
	if err != nil {
		return err
	}
	// The file's enums: bookingStatusCard, bookingStatusGeneric. Which
	// one applies is the profile's, so this is checked here, not with
	// the other flags.
	allowed := []string{"booked", "pending", "both"}
	if !isCard {
		allowed = append(allowed, "information", "all")
	}
	if !slices.Contains(allowed, q.BookingStatus) {
		return cmdutil.UsageErrorf("--booking-status %q is not %s", q.BookingStatus, orList(allowed))
	}
	if !o.BookingStatusGiven {
		q.BookingStatus = "" // both, with the fallback to booked
	}
	c, err := access(ctx, o.Session, o.Consent)
	if err != nil {
		return err
	}
	if !isCard {
		return transactionsPayment(ctx, o, c, q)
	}
	if q.WithBalance {
		fmt.Fprintln(o.IO.ErrOut, cardBalanceNote)
		q.WithBalance = false
	}
	stop := pageProgress(o.IO, &q, c.S.Config.Verbose)
	tx, err := c.S.API.CardTransactions(ctx, c.Token.AccessToken, c.ConsentID, o.AccountID, q)
	stop()
	if err != nil {
		return err
	}
	noteFallback(o.IO.ErrOut, tx.Fallback)
	if c.S.WantsJSON() {
		return cmdutil.WriteJSON(o.IO.Out, cardReport(o.AccountID, tx))
	}
	tw := report.NewTable(o.IO, 3) // DETAILS
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
	fmt.Fprintf(o.IO.ErrOut, "%d booked, %d pending, %d page(s)\n", len(tx.Booked), len(tx.Pending), tx.Pages)
	return nil
}

// transactionsPayment is transactions for payment accounts
// (account_type: payment).
func transactionsPayment(ctx context.Context, o *TransactionsOptions, c *accountCall, q xs2a.TransactionQuery) error {
	stop := pageProgress(o.IO, &q, c.S.Config.Verbose)
	tx, err := c.S.API.AccountTransactions(ctx, c.Token.AccessToken, c.ConsentID, o.AccountID, q)
	stop()
	if err != nil {
		return err
	}
	noteFallback(o.IO.ErrOut, tx.Fallback)
	if c.S.WantsJSON() {
		return cmdutil.WriteJSON(o.IO.Out, paymentReport(o.AccountID, tx))
	}
	tw := report.NewTable(o.IO, 4, 3) // REFERENCE, then COUNTERPARTY
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
	fmt.Fprintf(o.IO.ErrOut, "%d booked, %d pending, %d information, %d page(s)\n", len(tx.Booked), len(tx.Pending), len(tx.Information), tx.Pages)
	writeBalances(o.IO.Out, tx.Balances)
	return nil
}

// pageProgress shows, on a terminal, the pages of the report read so
// far (a bank with 20 small pages takes seconds); the caller stops it
// before printing. With -v the trace of each page says as much, and a
// progress line would be drawn into it.
func pageProgress(ios *iostreams.IOStreams, q *xs2a.TransactionQuery, verbose bool) (stop func()) {
	if verbose {
		return func() {}
	}
	p := ios.StartProgress("reading the transaction report")
	q.OnPage = func(n int) { p.Update(fmt.Sprintf("reading the transaction report: %d page(s)", n)) }
	return p.Stop
}
