package consent

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/xs2a-dev/xs2a/cmd/xs2a/internal/cmdutil"
	"github.com/xs2a-dev/xs2a/pkg/iostreams"
	"github.com/xs2a-dev/xs2a/pkg/state"
	"github.com/xs2a-dev/xs2a/pkg/xs2a"
)

var ibanRE = regexp.MustCompile(`^[A-Z]{2}[0-9]{2}[A-Z0-9]{10,30}$`)

// CreateOptions are the flags of `consent create` and what it uses.
type CreateOptions struct {
	IO      *iostreams.IOStreams
	Session func() (*cmdutil.Session, error)
	Now     func() time.Time

	AllAccounts       bool
	Available         bool
	AvailableBalances bool
	Accounts          []string
	Balances          bool
	Transactions      bool
	ValidUntil        string
	Days              int
	Frequency         int
	OneOff            bool
	// PSUIP is --psu-ip (PSU-IP-Address); "" means the profile's, else the local address.
	PSUIP string
}

// Request builds the consent body the options describe.
func (o *CreateOptions) Request(now time.Time) (xs2a.ConsentRequest, error) {
	var r xs2a.ConsentRequest
	modes := 0
	for _, b := range []bool{o.AllAccounts, o.Available, o.AvailableBalances, len(o.Accounts) > 0} {
		if b {
			modes++
		}
	}
	if modes > 1 {
		return r, cmdutil.UsageErrorf("choose one of --all-accounts, --available-accounts, --available-accounts-with-balance and --account")
	}
	switch {
	case o.Available:
		r.Access.AvailableAccounts = "allAccounts"
	case o.AvailableBalances:
		r.Access.AvailableAccountsWithBalance = "allAccounts"
	case len(o.Accounts) > 0:
		var refs []xs2a.AccountReference
		for _, a := range o.Accounts {
			a = strings.ReplaceAll(a, " ", "")
			if ibanRE.MatchString(strings.ToUpper(a)) {
				refs = append(refs, xs2a.AccountReference{IBAN: a})
			} else {
				refs = append(refs, xs2a.AccountReference{MaskedPAN: a})
			}
		}
		r.Access.Accounts = refs
		if o.Balances {
			r.Access.Balances = refs
		}
		if o.Transactions {
			r.Access.Transactions = refs
		}
	default:
		r.Access.AllPsd2 = "allAccounts"
	}
	if (o.Balances || o.Transactions) && len(o.Accounts) == 0 {
		return r, cmdutil.UsageErrorf("--balances and --transactions go with --account")
	}
	r.ValidUntil = o.ValidUntil
	if r.ValidUntil == "" {
		if o.Days < 1 {
			return r, cmdutil.UsageErrorf("--days %d: want the consent's validity in days, 1 or more", o.Days)
		}
		r.ValidUntil = now.AddDate(0, 0, o.Days).Format(time.DateOnly)
	} else if _, err := time.Parse(time.DateOnly, r.ValidUntil); err != nil {
		return r, cmdutil.UsageErrorf("--valid-until %q is not a date (YYYY-MM-DD)", o.ValidUntil)
	}
	r.RecurringIndicator = !o.OneOff
	r.FrequencyPerDay = o.Frequency
	if o.OneOff {
		r.FrequencyPerDay = 1
	}
	if r.FrequencyPerDay < 1 {
		return r, cmdutil.UsageErrorf("--frequency-per-day must be at least 1")
	}
	return r, nil
}

type createdJSON struct {
	ConsentID     string `json:"consent_id"`
	ConsentStatus string `json:"consent_status"`
	SCAOAuth      string `json:"sca_oauth,omitempty"`
	SCAApproach   string `json:"sca_approach,omitempty"`
	ValidUntil    string `json:"valid_until"`
	XRequestID    string `json:"x_request_id"`
}

// NewCmdCreate builds `xs2a consent create`; runF replaces the run
// function in tests.
func NewCmdCreate(f *cmdutil.Factory, runF func(*CreateOptions) error) *cobra.Command {
	o := &CreateOptions{IO: f.IO, Session: f.Session, Now: f.Now}
	cmd := &cobra.Command{
		Use:   "create",
		Short: "POST /v1/consents with the client-credentials token and the API key",
		Long: `Create an AIS consent. The client-credentials token comes from the profile's
state (or is fetched), the body says what access is wanted, and the consent
id is kept for 'xs2a authorize' and 'xs2a accounts'.

Access: all accounts with balances and transactions (default), the list of
available accounts (the PSU picks), or given accounts (masked PANs for card
issuers) with --balances and --transactions.

PSU-IP-Address is mandatory on POST /v1/consents: --psu-ip, else the
profile's psu_ip_address, else the local address of the connection the
request leaves on (the file's fallback; -v says so).`,
		Example: `  xs2a consent create
  xs2a consent create --available-accounts --valid-until 2026-12-31
  xs2a consent create --account 524378******8693 --balances --transactions --frequency-per-day 2`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if _, err := o.Request(o.Now()); err != nil {
				return err
			}
			if err := cmdutil.SetPSUIP(f, o.PSUIP); err != nil {
				return err
			}
			if runF != nil {
				return runF(o)
			}
			return createRun(cmd.Context(), o)
		},
	}
	fl := cmd.Flags()
	fl.BoolVar(&o.AllAccounts, "all-accounts", false, "all accounts with balances and transactions (allPsd2, the default)")
	fl.BoolVar(&o.Available, "available-accounts", false, "only the list of available accounts")
	fl.BoolVar(&o.AvailableBalances, "available-accounts-with-balance", false, "the list of available accounts with balances")
	fl.StringArrayVar(&o.Accounts, "account", nil, "an account: masked PAN (524378******8693) or IBAN (repeatable)")
	fl.BoolVar(&o.Balances, "balances", false, "with --account: also their balances")
	fl.BoolVar(&o.Transactions, "transactions", false, "with --account: also their transactions")
	fl.StringVar(&o.ValidUntil, "valid-until", "", "last day of validity (YYYY-MM-DD; default today + --days)")
	fl.IntVar(&o.Days, "days", 90, "validity in days when --valid-until is not given")
	fl.IntVar(&o.Frequency, "frequency-per-day", 4, "accesses a day without the PSU")
	fl.BoolVar(&o.OneOff, "one-off", false, "a one-off consent (recurringIndicator false, frequency 1)")
	fl.StringVar(&o.PSUIP, "psu-ip", "", "PSU-IP-Address, mandatory on POST /v1/consents (default: the profile's psu_ip_address, else the local address of the connection)")
	return cmd
}

func createRun(ctx context.Context, o *CreateOptions) error {
	body, err := o.Request(o.Now())
	if err != nil {
		return err
	}
	s, err := o.Session()
	if err != nil {
		return err
	}
	var created *xs2a.ConsentCreated
	err = s.WithClientToken(ctx, func(token string) (err error) {
		created, err = s.API.CreateConsent(ctx, token, body)
		return err
	})
	if err != nil {
		return err
	}
	var replaced string
	err = s.Store.Update(s.Config.ProfileName, func(st *state.State) error {
		replaced = replacedNotice(st, created.ConsentID)
		st.ConsentID, st.ConsentStatus, st.ValidUntil = created.ConsentID, created.ConsentStatus, body.ValidUntil
		st.UserToken, st.Pending, st.Code = nil, nil, ""
		return nil
	})
	if err != nil {
		return err
	}
	if replaced != "" {
		fmt.Fprintln(o.IO.ErrOut, replaced)
	}
	out := createdJSON{ConsentID: created.ConsentID, ConsentStatus: created.ConsentStatus,
		SCAApproach: created.SCAApproach, ValidUntil: body.ValidUntil, XRequestID: created.RequestID}
	if href := created.Links["scaOAuth"].Href; href != "" {
		// Shown only on an origin the profile names: it is what a
		// user would fetch next (metadata is discovered from base_url).
		if u, err := s.Origins.Resolve("scaOAuth link", href); err != nil {
			fmt.Fprintf(o.IO.ErrOut, "warning: %v\n", err)
		} else {
			out.SCAOAuth = u.String()
		}
	}
	if s.WantsJSON() {
		return cmdutil.WriteJSON(o.IO.Out, out)
	}
	w := o.IO.Out
	fmt.Fprintf(w, "consent %s: %s (valid until %s)\n", l(out.ConsentID), l(out.ConsentStatus), out.ValidUntil)
	if out.SCAOAuth != "" {
		fmt.Fprintf(w, "scaOAuth: %s\n", l(out.SCAOAuth))
	}
	fmt.Fprintln(o.IO.ErrOut, "next: "+s.Again("authorize --exchange"))
	return nil
}

// replacedNotice is the one line that says the new consent replaces the
// authorized one whose PSU tokens the state holds; "" when it holds none.
// The state keeps one consent and its tokens, so the old consent's tokens
// are dropped: the consent itself stays at the bank, and using it again
// takes a new authorization.
func replacedNotice(st *state.State, newID string) string {
	if st.UserToken == nil {
		return ""
	}
	old := st.UserToken.ConsentID
	if old == "" {
		old = st.ConsentID
	}
	if old == "" || old == newID {
		return ""
	}
	status := st.ConsentStatus
	if status == "" || st.ConsentID != old {
		status = "authorized"
	}
	return fmt.Sprintf("note: consent %s replaces consent %s (%s) and its PSU access token in the profile's state; %s stays at the bank, and using it again needs a new SCA: xs2a authorize --consent %s --exchange",
		l(newID), l(old), l(status), l(old), l(old))
}
