// Package consent implements `xs2a consent create|get|status|delete`.
package consent

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/xs2a-dev/xs2a/cmd/xs2a/internal/cmdutil"
	"github.com/xs2a-dev/xs2a/pkg/budget"
	"github.com/xs2a-dev/xs2a/pkg/state"
	"github.com/xs2a-dev/xs2a/pkg/termsafe"
	"github.com/xs2a-dev/xs2a/pkg/xs2a"
)

// NewCmdConsent builds the `xs2a consent` group.
func NewCmdConsent(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "consent",
		Short: "Create, read and delete AIS consents",
		Args:  cmdutil.NoArgs,
		RunE:  cmdutil.MissingSubcommand,
	}
	cmd.AddCommand(newCmdCreate(f), newCmdGet(f, "get"), newCmdGet(f, "status"), newCmdDelete(f))
	return cmd
}

var ibanRE = regexp.MustCompile(`^[A-Z]{2}[0-9]{2}[A-Z0-9]{10,30}$`)

// CreateOptions are the flags of `consent create`.
type CreateOptions struct {
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
	ConsentID     string `json:"consentId"`
	ConsentStatus string `json:"consentStatus"`
	SCAOAuth      string `json:"scaOAuth,omitempty"`
	SCAApproach   string `json:"scaApproach,omitempty"`
	ValidUntil    string `json:"validUntil"`
	XRequestID    string `json:"xRequestId"`
}

func newCmdCreate(f *cmdutil.Factory) *cobra.Command {
	o := &CreateOptions{}
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
			body, err := o.Request(f.Now())
			if err != nil {
				return err
			}
			if err := cmdutil.SetPSUIP(f, o.PSUIP); err != nil {
				return err
			}
			s, err := f.Session()
			if err != nil {
				return err
			}
			ct, err := s.ClientToken(cmd.Context(), false)
			if err != nil {
				return err
			}
			created, err := s.API.CreateConsent(cmd.Context(), ct.AccessToken, body)
			if err != nil {
				return cmdutil.NetError(err)
			}
			err = s.Store.Update(s.Config.ProfileName, func(st *state.State) error {
				st.ConsentID, st.ConsentStatus, st.ValidUntil = created.ConsentID, created.ConsentStatus, body.ValidUntil
				st.UserToken, st.Pending, st.Code = nil, nil, ""
				return nil
			})
			if err != nil {
				return err
			}
			out := createdJSON{ConsentID: created.ConsentID, ConsentStatus: created.ConsentStatus,
				SCAApproach: created.SCAApproach, ValidUntil: body.ValidUntil, XRequestID: created.RequestID}
			if href := created.Links["scaOAuth"].Href; href != "" {
				// Shown only on an origin the profile names: it is what a
				// user would fetch next (metadata is discovered from base_url).
				if u, err := s.Origins.Resolve("scaOAuth link", href); err != nil {
					fmt.Fprintf(f.IO.ErrOut, "warning: %v\n", err)
				} else {
					out.SCAOAuth = u.String()
				}
			}
			if cmdutil.WantsJSON(f) {
				return cmdutil.JSON(f, out)
			}
			w := f.IO.Out
			fmt.Fprintf(w, "consent %s: %s (valid until %s)\n", l(out.ConsentID), l(out.ConsentStatus), out.ValidUntil)
			if out.SCAOAuth != "" {
				fmt.Fprintf(w, "scaOAuth: %s\n", l(out.SCAOAuth))
			}
			fmt.Fprintln(f.IO.ErrOut, "next: xs2a authorize --exchange")
			return nil
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

// managed is what consent management commands start with: the session, the
// consent id (given, or the last created) and the client-credentials token.
func managed(ctx context.Context, f *cmdutil.Factory, args []string) (*cmdutil.Session, string, *state.Token, error) {
	s, err := f.Session()
	if err != nil {
		return nil, "", nil, err
	}
	id, err := consentID(s, args)
	if err != nil {
		return nil, "", nil, err
	}
	ct, err := s.ClientToken(ctx, false)
	if err != nil {
		return nil, "", nil, err
	}
	return s, id, ct, nil
}

func consentID(s *cmdutil.Session, args []string) (string, error) {
	if len(args) == 1 {
		return args[0], nil
	}
	st, err := s.Store.Load(s.Config.ProfileName)
	if err != nil {
		return "", err
	}
	if st.ConsentID == "" {
		return "", cmdutil.UsageErrorf("no consent id: give one, or run `xs2a consent create` first")
	}
	return st.ConsentID, nil
}

func newCmdGet(f *cmdutil.Factory, what string) *cobra.Command {
	short := map[string]string{"get": "Read a consent (GET /v1/consents/{id})", "status": "Read a consent's status and its call budget"}[what]
	var local bool
	cmd := &cobra.Command{
		Use:               what + " [ID]",
		ValidArgsFunction: completeConsent(f),
		Short:             short + "; the id defaults to the last created",
		Args:              cmdutil.MaximumArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if what == "status" {
				return status(cmd.Context(), f, args, local)
			}
			s, id, ct, err := managed(cmd.Context(), f, args)
			if err != nil {
				return err
			}
			c, err := s.API.GetConsent(cmd.Context(), ct.AccessToken, id)
			if err != nil {
				return cmdutil.NetError(err)
			}
			if cmdutil.WantsJSON(f) {
				return cmdutil.JSON(f, c)
			}
			w := f.IO.Out
			fmt.Fprintf(w, "consent:           %s\nstatus:            %s\nvalid until:       %s\nrecurring:         %v\nfrequency per day: %d\nlast action:       %s\n",
				l(id), l(c.ConsentStatus), l(c.ValidUntil), c.RecurringIndicator, c.FrequencyPerDay, l(c.LastActionDate))
			return nil
		},
	}
	if what == "status" {
		cmd.Long = `Read a consent's status from the bank (GET /v1/consents/{id}/status) and show,
beside it, the call budget the client keeps in the profile's state: valid
until and days left, the PSU-not-present calls left today of the consent's
frequencyPerDay, the TPP's requests left today of the bank's daily limit,
and when the bank's day resets. When the client does not know the consent's
frequencyPerDay (it was created elsewhere), it reads the whole consent
instead (GET /v1/consents/{id}, the same one request).

The status request itself counts against the daily limit; --local shows the
last known status and the budget without asking the bank.`
		cmd.Example = `  xs2a consent status
  xs2a consent status --local -o json | jq .budget.callsLeftToday`
		cmd.Flags().BoolVar(&local, "local", false, "do not ask the bank: the last known status and the budget only (costs no request)")
	}
	return cmd
}

// statusJSON is `consent status -o json`; its field names are stable.
type statusJSON struct {
	ConsentID     string        `json:"consentId"`
	ConsentStatus string        `json:"consentStatus"`
	Local         bool          `json:"local"` // true: the status is the last known, not asked
	Budget        budget.Report `json:"budget"`
}

func status(ctx context.Context, f *cmdutil.Factory, args []string, local bool) error {
	s, err := f.Session()
	if err != nil {
		return err
	}
	id, err := consentID(s, args)
	if err != nil {
		return err
	}
	st, err := s.Store.Load(s.Config.ProfileName)
	if err != nil {
		return err
	}
	known := func(st *state.State) *budget.Consent {
		if st.Budget == nil {
			return nil
		}
		return st.Budget.Consents[id]
	}
	var cs string
	if local {
		if c := known(st); c != nil && c.Status != "" {
			cs = c.Status
		} else if st.ConsentID == id {
			cs = st.ConsentStatus
		}
	} else {
		ct, err := s.ClientToken(ctx, false)
		if err != nil {
			return err
		}
		if c := known(st); c != nil && c.FrequencyPerDay > 0 {
			cs, err = s.API.ConsentStatus(ctx, ct.AccessToken, id)
		} else {
			// The whole consent costs the same request and tells the
			// budget its validUntil and frequencyPerDay.
			var c *xs2a.Consent
			if c, err = s.API.GetConsent(ctx, ct.AccessToken, id); err == nil {
				cs = c.ConsentStatus
			}
		}
		if err != nil {
			return cmdutil.NetError(err)
		}
	}
	err = s.Store.Update(s.Config.ProfileName, func(x *state.State) error {
		if !local {
			if x.ConsentID == id {
				x.ConsentStatus = cs
			}
			if c := known(x); c != nil {
				c.Status = cs
			}
		}
		st = x
		return nil
	})
	if err != nil {
		return err
	}
	rep := st.Budget.Report(id, s.Budget, s.Now())
	if cmdutil.WantsJSON(f) {
		return cmdutil.JSON(f, statusJSON{ConsentID: id, ConsentStatus: cs, Local: local, Budget: rep})
	}
	return printStatus(f, s, id, cs, local, rep)
}

func printStatus(f *cmdutil.Factory, s *cmdutil.Session, id, cs string, local bool, r budget.Report) error {
	w := f.IO.Out
	cs = l(cs)
	if cs == "" {
		cs = "unknown"
	}
	if local {
		cs += " (last known; --local does not ask the bank)"
	}
	valid := "unknown (xs2a consent get reads it)"
	r.ValidUntil = l(r.ValidUntil)
	if r.ValidUntil != "" && r.DaysLeft != nil {
		switch d := *r.DaysLeft; {
		case d < 0:
			valid = fmt.Sprintf("%s (expired %d days ago)", r.ValidUntil, -d)
		case d == 0:
			valid = r.ValidUntil + " (today is its last day)"
		case d == 1:
			valid = r.ValidUntil + " (1 day left)"
		default:
			valid = fmt.Sprintf("%s (%d days left)", r.ValidUntil, d)
		}
	}
	calls := fmt.Sprintf("%d made today; frequencyPerDay unknown (xs2a consent get reads it)", r.CallsToday)
	if r.FrequencyPerDay != nil {
		calls = fmt.Sprintf("%d of %d left today (frequencyPerDay)", *r.CallsLeftToday, *r.FrequencyPerDay)
		if r.PerEndpoint {
			calls = fmt.Sprintf("%d of %d left today on the endpoint used most (frequencyPerDay, counted per endpoint and account)", *r.CallsLeftToday, *r.FrequencyPerDay)
		}
	}
	if r.OneOff {
		calls = fmt.Sprintf("one-off consent: %d endpoint(s) read, each once, PSU present or not", r.CallsToday)
	}
	reqs := fmt.Sprintf("%d made today (no budget.daily_limit)", r.RequestsToday)
	if r.DailyLimit != nil {
		reqs = fmt.Sprintf("%d of %d left today (the TPP's daily limit)", *r.RequestsLeftToday, *r.DailyLimit)
	}
	resets, _ := time.Parse(time.RFC3339, r.ResetsAt)
	in := resets.Sub(s.Now()).Round(time.Minute)
	rows := [][2]string{{"consent", l(id)}, {"status", cs}, {"valid until", valid}, {"PSU-not-present calls", calls},
		{"TPP requests", reqs}, {"day resets", fmt.Sprintf("00:00 %s time, %s (in %dh%02dm)", s.Budget.ZoneName(), r.ResetsAt, int(in.Hours()), int(in.Minutes())%60)}}
	if r.Strict {
		rows = append(rows, [2]string{"strict budget", "on: a call beyond a budget is refused before it is sent (exit 8)"})
	}
	var err error
	for _, row := range rows {
		if _, err = fmt.Fprintf(w, "%-23s%s\n", row[0]+":", row[1]); err != nil {
			break
		}
	}
	return err
}

// completeConsent offers the consent id kept in the profile's state.
func completeConsent(f *cmdutil.Factory) func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return func(cmd *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
		if len(args) > 0 {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		return cmdutil.StateCompletion(f, func(st *state.State) []string {
			if st.ConsentID == "" {
				return nil
			}
			return []string{st.ConsentID + "\t" + st.ConsentStatus}
		})
	}
}

func newCmdDelete(f *cmdutil.Factory) *cobra.Command {
	return &cobra.Command{
		Use:               "delete [ID]",
		ValidArgsFunction: completeConsent(f),
		Short:             "Terminate a consent (DELETE /v1/consents/{id})",
		Args:              cmdutil.MaximumArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, id, ct, err := managed(cmd.Context(), f, args)
			if err != nil {
				return err
			}
			if err := s.API.DeleteConsent(cmd.Context(), ct.AccessToken, id); err != nil {
				return cmdutil.NetError(err)
			}
			_ = s.Store.Update(s.Config.ProfileName, func(x *state.State) error {
				if x.ConsentID == id {
					x.ConsentStatus, x.UserToken = "terminatedByTpp", nil
				}
				return nil
			})
			if cmdutil.WantsJSON(f) {
				return cmdutil.JSON(f, map[string]string{"consentId": id, "consentStatus": "terminatedByTpp"})
			}
			_, err = fmt.Fprintf(f.IO.Out, "consent %s terminated\n", l(id))
			return err
		},
	}
}

// l is how the bank's strings (and ids it gave) are printed in text
// output: control characters escaped.
func l(s string) string { return termsafe.Line(s) }
