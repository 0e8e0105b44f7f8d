// Package flow implements `xs2a flow`: the bank's whole documented journey
// in one command, against a profile or the embedded sandbox.
package flow

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/xs2a-dev/xs2a/cmd/xs2a/internal/cmd/funds"
	pis "github.com/xs2a-dev/xs2a/cmd/xs2a/internal/cmd/payment"
	"github.com/xs2a-dev/xs2a/cmd/xs2a/internal/cmdutil"
	"github.com/xs2a-dev/xs2a/pkg/budget"
	"github.com/xs2a-dev/xs2a/pkg/iostreams"
	"github.com/xs2a-dev/xs2a/pkg/profile"
	"github.com/xs2a-dev/xs2a/pkg/qcert"
	"github.com/xs2a-dev/xs2a/pkg/sandbox"
	"github.com/xs2a-dev/xs2a/pkg/shquote"
	"github.com/xs2a-dev/xs2a/pkg/state"
	"github.com/xs2a-dev/xs2a/pkg/termsafe"
	"github.com/xs2a-dev/xs2a/pkg/text"
	"github.com/xs2a-dev/xs2a/pkg/xs2a"
)

// FlowOptions are the flags of `xs2a flow` and what it uses.
type FlowOptions struct {
	IO      *iostreams.IOStreams
	Config  func() (*profile.Config, error)
	Session func() (*cmdutil.Session, error)
	// NewSession builds the session for the embedded sandbox's profile,
	// with its own state.
	NewSession func(*profile.Config, *state.Store) (*cmdutil.Session, error)
	Browser    cmdutil.Browser
	Now        func() time.Time

	Sandbox     bool
	Interactive bool
	// Wait is --no-browser, --timeout, --idle-notice and --paste, as
	// `xs2a authorize` takes them: flow's authorize step is that command.
	Wait cmdutil.AuthorizeFlags
	Days int
	// PSUIP is --psu-ip: PSU-IP-Address on the consent and the reads.
	PSUIP string

	// Payment is --payment: the payment journey instead of the AIS one,
	// the payment described by Pay, `payment initiate`'s flags.
	Payment bool
	Pay     pis.InitiateOptions
	// Interval is --interval: time between the payment's status reads.
	Interval time.Duration
	// Funds is --funds: the funds confirmation journey, its request
	// described by FundsReq, `funds-confirmation`'s flags (the amount and
	// currency are Pay's --amount and --currency, one flag each).
	Funds    bool
	FundsReq funds.Options
	// PIIS is --piis [ID]: the funds journey authorises this PIIS consent
	// (PIIS:<consentId>) and confirms funds with its token; remembered
	// (no ID) is the state's consent. The embedded sandbox's PSU grants
	// one for the account whether or not it is given.
	PIIS string
	// grantPIIS is the embedded sandbox's PSU granting the funds
	// journey's PIIS consent (set once the sandbox runs).
	grantPIIS *piisGrant

	changed func(string) bool
}

// Step is one step of the journey as it happened.
type Step struct {
	Name      string `json:"name"`
	Sent      string `json:"sent"`
	Got       string `json:"got,omitempty"`
	Millis    int64  `json:"ms"`
	OK        bool   `json:"ok"`
	Error     string `json:"error,omitempty"`
	Reproduce string `json:"reproduce"`
}

// Card is a card account with its balance, for the summary. Amounts are
// the bank's: {"amount": "310.92", "currency": "EUR"}, the amount the
// decimal string it sent.
type Card struct {
	ResourceID string       `json:"resource_id"`
	MaskedPan  string       `json:"masked_pan"`
	Name       string       `json:"name"`
	Available  *xs2a.Amount `json:"available,omitempty"`
	// AvailableBalance names the balance Available is (xs2a.Spendable):
	// "expected with credit limit" where the bank gives one.
	AvailableBalance string       `json:"available_balance,omitempty"`
	CreditLimit      *xs2a.Amount `json:"credit_limit,omitempty"`
	Booked           int          `json:"booked_transactions"`
	Pending          int          `json:"pending_transactions"`
}

// Account is a payment account (account_type: payment) with its balance,
// for the summary.
type Account struct {
	ResourceID string       `json:"resource_id"`
	IBAN       string       `json:"iban,omitempty"`
	Name       string       `json:"name"`
	Available  *xs2a.Amount `json:"available,omitempty"`
	// AvailableBalance names the balance Available is: interimAvailable
	// where the bank gives one.
	AvailableBalance string `json:"available_balance,omitempty"`
	Booked           int    `json:"booked_transactions"`
	Pending          int    `json:"pending_transactions"`
}

// Record is the whole journey, for --output json.
type Record struct {
	Profile string `json:"profile"`
	Sandbox bool   `json:"sandbox"`
	// FellBack: the profile has no base_url, so the embedded sandbox ran.
	FellBack bool   `json:"fell_back_to_sandbox,omitempty"`
	OK       bool   `json:"ok"`
	Steps    []Step `json:"steps"`
	Cards    []Card `json:"cards"`
	// Accounts are the payment accounts read (account_type: payment).
	Accounts []Account `json:"accounts,omitempty"`
	// Journey is "payment" or "funds" for those journeys; absent for the
	// AIS one.
	Journey string `json:"journey,omitempty"`
	// Payment is the payment journey's payment, Funds the funds
	// confirmation journey's answer.
	Payment      *PaymentResult `json:"payment,omitempty"`
	Funds        *FundsResult   `json:"funds,omitempty"`
	ConsentID    string         `json:"consent_id,omitempty"`
	KeyGenMillis int64          `json:"key_generation_ms,omitempty"`
	SetupMillis  int64          `json:"sandbox_setup_ms,omitempty"`
	TotalMillis  int64          `json:"total_ms"`
}

// NewCmdFlow builds `xs2a flow`; runF replaces the run function in tests.
func NewCmdFlow(f *cmdutil.Factory, runF func(*FlowOptions) error) *cobra.Command {
	o := &FlowOptions{IO: f.IO, Config: f.Config, Session: f.Session, Browser: f.Browser, Now: f.Now,
		NewSession: func(c *profile.Config, st *state.Store) (*cmdutil.Session, error) {
			return cmdutil.NewSession(f, c, st)
		}}
	cmd := &cobra.Command{
		Use:   "flow [--sandbox] [--interactive] [--payment | --funds]",
		Short: "Run the whole journey: token, consent, authorize, exchange, accounts, balances, transactions",
		Long: `Run the bank's documented flow step by step against the profile, printing a
line per step (what was sent, what came back, how long it took) and stopping
at the first failure with its diagnosis and the command that reproduces that
step alone. --output json gives the whole record.

The reads follow the profile's account_type: card (the default) reads
/v1/card-accounts, payment reads /v1/accounts (list, each account's
balances and transactions).

The PSU approves during the journey and is present for the reads after it,
so they carry PSU-IP-Address (--psu-ip, else the profile's psu_ip_address,
else the one the consent was created with: the local address of the
connection) and do not spend the consent's frequencyPerDay. No call the
budget says the bank will refuse is sent: the journey stops before it, with
the reason (exit 8).

With --sandbox, or when the profile has no base_url, it starts the embedded
sandbox in-process on random loopback ports with fresh certificates in a
temporary directory, and the PSU (1345611) approves automatically;
--interactive opens the real browser on the sandbox's sign-in and consent
pages instead (the page shows the one-time code).

The PSU's authorization waits as 'xs2a authorize' does: the browser opens
(or, with --no-browser or no display, the URL is printed on stderr), the
URL the browser ended on may be pasted on standard input (SSH, headless),
and after --idle-notice with nothing reaching the listener the likely
causes are printed; --timeout bounds the wait.

--payment runs the payment journey instead: token, payment initiate (the
payment from the flags of 'xs2a payment initiate', checked by its rules
before anything is sent), authorize --payment (scope PIS:<paymentId>),
token exchange, then the payment's status every --interval until it is
final, for at most --timeout, as 'payment status --wait' reads it. A
standing order (--service periodic-payments) and a bulk stop once the bank
accepted them (ACTC): a standing order runs on its schedule and is not
final. A payment the bank rejects (RJCT, e.g. insufficient funds) or
cancels fails the journey with its reason (exit 3). Against the embedded
sandbox the debtor's holder (5000001) approves, and the flags not given
default to 1.00 EUR from FI0412345600012343 to DE89370400440532013000
(John Miles), a standing order monthly from tomorrow.

--funds runs the funds confirmation journey: token, then POST
/v1/funds-confirmations with the request of 'xs2a funds-confirmation'
(--account or --pan, --amount, --currency, --card-number, --payee); the
answer is in the summary and the record, and "not available" is an answer,
not a failure (exit 0). With --piis [ID] the PSU first authorises that PIIS
consent (scope PIIS:<consentId>; no ID: the state's) and the call carries
its token. Against the embedded sandbox the account defaults to
FI0412345600012343, the amount to 1.00, and the PSU grants a PIIS consent
of the account first, as on the bank's page.`,
		Example: `  xs2a flow --sandbox
  xs2a flow --sandbox --interactive
  xs2a -p local flow --no-browser            # open the printed URL anywhere, paste where it ends
  xs2a flow --sandbox --payment --amount 12.34 --remittance "Invoice 42"
  xs2a flow --sandbox --payment --service periodic-payments --start-date 2027-01-01 --frequency Monthly
  xs2a flow --sandbox --funds --amount 250
  xs2a -p sb flow --funds --piis --account FI0412345600012343 --amount 5
  xs2a flow --profile sandbox -o json | jq '.steps[] | select(.ok == false)'`,
		Args: func(cmd *cobra.Command, args []string) error {
			// `--piis ID` (a space, not =) leaves ID as the argument, as
			// `authorize --piis ID` takes it.
			if len(args) == 1 && o.PIIS == cmdutil.Remembered {
				return nil
			}
			return cmdutil.NoArgs(cmd, args)
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				o.PIIS = args[0]
			}
			if err := o.Wait.Validate(); err != nil {
				return err
			}
			o.changed = cmd.Flags().Changed
			if err := o.checkJourneyFlags(); err != nil {
				return err
			}
			if o.Days < 1 {
				return cmdutil.UsageErrorf("--days %d: want a number of days of transactions, 1 or more", o.Days)
			}
			if err := cmdutil.SetPSUIP(f, o.PSUIP); err != nil {
				return err
			}
			if runF != nil {
				return runF(o)
			}
			return flowRun(cmd.Context(), o)
		},
	}
	fl := cmd.Flags()
	fl.BoolVar(&o.Sandbox, "sandbox", false, "run against the embedded sandbox (default when the profile has no base_url)")
	fl.BoolVar(&o.Interactive, "interactive", false, "with the sandbox: sign in and approve in the real browser")
	o.Wait.Register(cmd)
	fl.IntVar(&o.Days, "days", 30, "how many days of transactions to read")
	fl.StringVar(&o.PSUIP, "psu-ip", "", "PSU-IP-Address on the consent and the reads (default: the profile's psu_ip_address, else the local address of the connection)")
	registerJourneyFlags(cmd, o)
	return cmd
}

type runner struct {
	io     *iostreams.IOStreams
	rec    *Record
	out    io.Writer
	json   bool
	prefix string // how to run the reproduce commands
	// again is how the diagnosis names an xs2a command (the run's
	// --config and -p, as app.execute says them in an error line);
	// embedded: the journey runs against the embedded sandbox.
	again    string
	embedded bool
}

func (r *runner) step(name, sent, reproduce string, fn func() (string, error)) error {
	start := time.Now()
	got, err := fn()
	st := Step{Name: name, Sent: sent, Got: got, Millis: time.Since(start).Milliseconds(), OK: err == nil, Reproduce: r.prefix + reproduce}
	if err != nil {
		_, st.Error = cmdutil.Classify(err) // the hint too, as app.Run shows it
		if r.again != "" {
			st.Error = strings.ReplaceAll(st.Error, "`xs2a ", "`"+r.again+" ")
		}
	}
	r.rec.Steps = append(r.rec.Steps, st)
	if !r.json {
		// What was sent and got quote the bank's answers: escaped.
		cs := r.io.ColorScheme()
		n := len(r.rec.Steps)
		if err == nil {
			fmt.Fprintf(r.out, "%s %d %-18s %s → %s %s\n", cs.SuccessIcon(), n, name, termsafe.Line(sent), termsafe.Line(got), cs.Faint(fmt.Sprintf("(%d ms)", st.Millis)))
		} else {
			fmt.Fprintf(r.out, "%s %d %-18s %s → %s\n", cs.FailureIcon(), n, name, termsafe.Line(sent), cs.Red("failed"))
			fmt.Fprintf(r.out, "    diagnosis: %s\n    reproduce: %s\n", termsafe.Line(text.OneLine(st.Error)), termsafe.Line(st.Reproduce))
		}
	}
	return err
}

func flowRun(ctx context.Context, o *FlowOptions) error {
	start := time.Now()
	cfg, err := o.Config()
	if err != nil {
		return err
	}
	rec := &Record{Profile: cfg.ProfileName}
	r := &runner{io: o.IO, rec: rec, out: o.IO.Out, json: cfg.Output == "json"}
	// The payment's body and the funds request are checked before
	// anything runs: bad input is exit 2 with nothing sent.
	embeddedBank := o.Sandbox || cfg.Profile.BaseURL == ""
	var pay []byte
	var fundsReq xs2a.FundsRequest
	switch {
	case o.Payment:
		rec.Journey = "payment"
		if pay, err = o.paymentBody(embeddedBank); err != nil {
			return err
		}
	case o.Funds:
		rec.Journey = "funds"
		if fundsReq, err = o.fundsRequest(embeddedBank); err != nil {
			return err
		}
	}
	var s *cmdutil.Session
	// The PSU's wait is authorize's: the URL, the paste prompt and the
	// idle notice on stderr, unless the auto-approving sandbox's PSU
	// plays the browser, which needs no one.
	w := authWait{errOut: o.IO.ErrOut}
	w.opts, w.browse = o.Wait.Options(o.IO, o.Browser)
	w.opts.Command = "xs2a flow"
	if o.Sandbox || cfg.Profile.BaseURL == "" {
		if !o.Sandbox && !r.json {
			fmt.Fprintf(o.IO.ErrOut, "profile %q has no base_url: running against the embedded sandbox\n", cfg.ProfileName)
		}
		e, err := startSandbox(o, cfg, rec)
		if err != nil {
			return err
		}
		defer e.Stop()
		sb := e.Bank
		s = e.Session
		if o.Funds {
			// An IBAN, else the card's masked PAN (a full PAN masked):
			// how the sandbox's grant names an account.
			a := funds.AccountOf(fundsReq.Account)
			acct := a.IBAN
			if acct == "" {
				acct = a.MaskedPAN
			}
			o.grantPIIS = &piisGrant{account: acct, grant: func() (string, error) {
				return sb.GrantOwnPIISConsent(acct)
			}}
		}
		rec.Sandbox, rec.FellBack = true, !o.Sandbox
		r.prefix = "xs2a sandbox serve --write-profile local, then: xs2a -p local "
		r.embedded = true
		if !o.Interactive && !o.Wait.NoBrowser {
			w.browse, w.opts.Paste, w.errOut = follower(sb), nil, io.Discard
		}
		if !r.json {
			fmt.Fprintf(o.IO.ErrOut, "embedded sandbox on %s (certificates generated in %d ms)\n", sb.URL, rec.KeyGenMillis+rec.SetupMillis)
		}
	} else {
		if s, err = o.Session(); err != nil {
			return err
		}
		// A command to paste: each word quoted where a shell would read
		// more into it (the resourceId below is the bank's).
		r.prefix = "xs2a -p " + shquote.Arg(cfg.ProfileName) + " "
		if cfg.File != "" && cfg.Explicit {
			r.prefix = "xs2a --config " + shquote.Arg(cfg.File) + " -p " + shquote.Arg(cfg.ProfileName) + " "
		}
		r.again = cfg.Invocation // "" leaves the words as they are
	}
	strictJourney(s)
	switch {
	case o.Payment:
		err = paymentJourney(ctx, r, s, o, w, pay)
	case o.Funds:
		piis, perr := o.piisConsent(s, embeddedBank)
		if perr != nil {
			return perr // bad input: nothing was sent
		}
		err = fundsJourney(ctx, r, s, w, fundsReq, piis)
	default:
		err = journey(ctx, r, s, o, w)
	}
	rec.OK = err == nil
	rec.TotalMillis = time.Since(start).Milliseconds()
	if r.json {
		if jerr := cmdutil.WriteJSON(o.IO.Out, rec); jerr != nil {
			return jerr
		}
	} else if err == nil {
		switch {
		case o.Payment:
			printPayment(o.IO, rec)
		case o.Funds:
			printFunds(o.IO, rec)
		default:
			printCards(o.IO, rec)
		}
	}
	if err != nil {
		code := cmdutil.CodeOf(err)
		return &cmdutil.ExitError{Code: code, Silent: true, Err: err}
	}
	return nil
}

// strictJourney makes the session's budget refuse, before sending, a call
// beyond the consent's frequencyPerDay or the TPP's daily limit: a journey
// that cannot complete stops with the reason instead of spending the
// bank's answers on 429s.
func strictJourney(s *cmdutil.Session) {
	if bt, ok := s.Signed.Transport.(*budget.Transport); ok {
		bt.Limits.Strict = true
		bt.Limits.StrictBy = "xs2a flow sends no call its budget says the bank will refuse"
	}
}

// clientToken is every journey's first step: a fresh client-credentials
// token.
func (r *runner) clientToken(ctx context.Context, s *cmdutil.Session) (*state.Token, error) {
	var ct *state.Token
	err := r.step("token", "POST token endpoint (client_credentials, mutual TLS)", "token", func() (string, error) {
		var err error
		ct, err = s.ClientToken(ctx, true)
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("client token, expires in %s", ct.Expiry.Sub(s.Now()).Round(time.Second)), nil
	})
	return ct, err
}

// authWait is how the journey's authorize step waits for the PSU.
type authWait struct {
	opts   cmdutil.AuthorizeOptions
	browse func(string) error // nil: print the URL
	errOut io.Writer
}

func journey(ctx context.Context, r *runner, s *cmdutil.Session, o *FlowOptions, w authWait) error {
	name := s.Config.ProfileName
	var payment bool
	switch t := strings.ToLower(s.Config.Profile.AccountType); t {
	case "", "card":
	case "payment":
		payment = true
	default:
		return cmdutil.UsageErrorf("account_type %q in profile %q is not card or payment", t, name)
	}
	ct, err := r.clientToken(ctx, s)
	if err != nil {
		return err
	}
	validUntil := s.Now().AddDate(0, 0, 90).Format(time.DateOnly)
	var created *xs2a.ConsentCreated
	if err := r.step("consent create", "POST /v1/consents (allPsd2, validUntil "+validUntil+", 4 a day)", "consent create", func() (string, error) {
		var err error
		created, err = s.API.CreateConsent(ctx, ct.AccessToken, xs2a.ConsentRequest{Access: xs2a.Access{AllPsd2: "allAccounts"},
			RecurringIndicator: true, ValidUntil: validUntil, FrequencyPerDay: 4})
		if err != nil {
			return "", err
		}
		r.rec.ConsentID = created.ConsentID
		if s.API.PSUIPAddress == "" {
			// The PSU approves next and is present for the reads after:
			// they carry the address the consent was created with.
			s.API.PSUIPAddress = created.PSUIPAddress
		}
		return fmt.Sprintf("201 %s, %s", created.ConsentID, created.ConsentStatus),
			s.Store.Update(name, func(st *state.State) error {
				st.ConsentID, st.ConsentStatus = created.ConsentID, created.ConsentStatus
				return nil
			})
	}); err != nil {
		return err
	}
	var auth *cmdutil.Authorization
	if err := r.step("authorize", "browser → authorization endpoint (scope AIS:"+created.ConsentID+", PKCE S256)", "authorize", func() (string, error) {
		var err error
		ao := w.opts
		ao.ConsentID = created.ConsentID
		auth, err = s.Authorize(ctx, ao, w.browse, w.errOut)
		if err != nil {
			return "", err
		}
		return "code received on the loopback listener", nil
	}); err != nil {
		return err
	}
	var ut *state.Token
	if err := r.step("token exchange", "POST token endpoint (authorization_code + code_verifier)", "token exchange", func() (string, error) {
		st, err := s.Store.Load(name)
		if err != nil {
			return "", err
		}
		ut, err = s.Exchange(ctx, auth.Code, st.CodeVerifier, st.CodeRedirect)
		if err != nil {
			return "", err
		}
		return "access and refresh token, scope " + ut.Scope, nil
	}); err != nil {
		return err
	}
	if payment {
		return readPayment(ctx, r, s, o, ut.AccessToken, created.ConsentID)
	}
	var cards []xs2a.CardAccount
	if err := r.step("card accounts", "GET /v1/card-accounts (Consent-ID, PSU-IP-Address "+s.API.PSUIPAddress+")", "accounts list", func() (string, error) {
		var err error
		cards, err = s.API.CardAccounts(ctx, ut.AccessToken, created.ConsentID)
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("200, %d card account(s)", len(cards)), nil
	}); err != nil {
		return err
	}
	from := s.Now().AddDate(0, 0, -o.Days).Format(time.DateOnly)
	for _, c := range cards {
		card := Card{ResourceID: c.ResourceID, MaskedPan: c.MaskedPan, Name: c.Name}
		card.CreditLimit = c.CreditLimit
		if err := r.step("balances", "GET /v1/card-accounts/"+c.ResourceID+"/balances", "accounts balances "+shquote.Arg(c.ResourceID), func() (string, error) {
			bs, err := s.API.CardBalances(ctx, ut.AccessToken, created.ConsentID, c.ResourceID)
			if err != nil {
				return "", err
			}
			card.Available, card.AvailableBalance = available(bs, true)
			return fmt.Sprintf("200, %d balance(s)", len(bs)), nil
		}); err != nil {
			return err
		}
		if err := r.step("transactions", "GET /v1/card-accounts/"+c.ResourceID+"/transactions?dateFrom="+from, "accounts transactions "+shquote.Arg(c.ResourceID)+" --from "+from, func() (string, error) {
			tx, err := s.API.CardTransactions(ctx, ut.AccessToken, created.ConsentID, c.ResourceID, xs2a.TransactionQuery{From: from})
			if err != nil {
				return "", err
			}
			card.Booked, card.Pending = len(tx.Booked), len(tx.Pending)
			return fmt.Sprintf("200, %d booked, %d pending (%d page(s))%s", card.Booked, card.Pending, tx.Pages, fellBack(tx.Fallback)), nil
		}); err != nil {
			return err
		}
		r.rec.Cards = append(r.rec.Cards, card)
	}
	return nil
}

// readPayment reads the payment accounts (account_type: payment) as the
// card journey reads cards: the list, then each one's balances and
// transactions, on /v1/accounts.
func readPayment(ctx context.Context, r *runner, s *cmdutil.Session, o *FlowOptions, tok, cid string) error {
	var accts []xs2a.Account
	if err := r.step("accounts", "GET /v1/accounts (Consent-ID, PSU-IP-Address "+s.API.PSUIPAddress+")", "accounts list", func() (string, error) {
		var err error
		accts, err = s.API.Accounts(ctx, tok, cid, false)
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("200, %d payment account(s)", len(accts)), nil
	}); err != nil {
		return err
	}
	from := s.Now().AddDate(0, 0, -o.Days).Format(time.DateOnly)
	for _, a := range accts {
		acct := Account{ResourceID: a.ResourceID, IBAN: a.IBAN, Name: a.Name}
		if err := r.step("balances", "GET /v1/accounts/"+a.ResourceID+"/balances", "accounts balances "+shquote.Arg(a.ResourceID), func() (string, error) {
			bs, err := s.API.AccountBalances(ctx, tok, cid, a.ResourceID)
			if err != nil {
				return "", err
			}
			acct.Available, acct.AvailableBalance = available(bs, false)
			return fmt.Sprintf("200, %d balance(s)", len(bs)), nil
		}); err != nil {
			return err
		}
		if err := r.step("transactions", "GET /v1/accounts/"+a.ResourceID+"/transactions?dateFrom="+from, "accounts transactions "+shquote.Arg(a.ResourceID)+" --from "+from, func() (string, error) {
			tx, err := s.API.AccountTransactions(ctx, tok, cid, a.ResourceID, xs2a.TransactionQuery{From: from})
			if err != nil {
				return "", err
			}
			acct.Booked, acct.Pending = len(tx.Booked), len(tx.Pending)
			return fmt.Sprintf("200, %d booked, %d pending (%d page(s))%s", acct.Booked, acct.Pending, tx.Pages, fellBack(tx.Fallback)), nil
		}); err != nil {
			return err
		}
		r.rec.Accounts = append(r.rec.Accounts, acct)
	}
	return nil
}

// available is the money to spend and the balance it is
// (xs2a.Spendable): for a card the balance with the credit limit, not
// interimAvailable, which is what the card owes.
func available(bs []xs2a.Balance, card bool) (*xs2a.Amount, string) {
	b, label, ok := xs2a.Spendable(bs, card)
	if !ok {
		return nil, ""
	}
	return &b.BalanceAmount, label
}

// amountText is an amount as the text summary shows it ("310.92 EUR");
// "" for none.
func amountText(a *xs2a.Amount) string {
	if a == nil {
		return ""
	}
	return a.String()
}

// availableNote is the text line's name of the balance, when it is not
// the plain interimAvailable "available" means.
func availableNote(label string) string {
	if label == "" || label == "interimAvailable" {
		return ""
	}
	return " (" + termsafe.Line(label) + ")"
}

// fellBack is the step's note when the bank refused bookingStatus=both.
func fellBack(refusal string) string {
	if refusal == "" {
		return ""
	}
	return "; bookingStatus both refused (" + refusal + "), read with booked"
}

func printCards(ios *iostreams.IOStreams, rec *Record) {
	w := ios.Out
	cs := ios.ColorScheme()
	l := termsafe.Line // the bank's strings
	if len(rec.Accounts) > 0 {
		fmt.Fprintf(w, "\n%s consent %s: %d payment account(s)\n", cs.Bold("The journey worked:"), l(rec.ConsentID), len(rec.Accounts))
		for _, a := range rec.Accounts {
			fmt.Fprintf(w, "  %s  %-8s available %-14s %d booked, %d pending\n", l(a.IBAN), l(a.Name), l(amountText(a.Available))+availableNote(a.AvailableBalance), a.Booked, a.Pending)
		}
	} else {
		fmt.Fprintf(w, "\n%s consent %s: %d card account(s)\n", cs.Bold("The journey worked:"), l(rec.ConsentID), len(rec.Cards))
	}
	for _, c := range rec.Cards {
		fmt.Fprintf(w, "  %s  %-8s available %-14s limit %-14s %d booked, %d pending\n", l(xs2a.FormatMaskedPAN(c.MaskedPan)), l(c.Name), l(amountText(c.Available))+availableNote(c.AvailableBalance), l(amountText(c.CreditLimit)), c.Booked, c.Pending)
	}
	fmt.Fprintf(w, "%s\n", cs.Faint(fmt.Sprintf("total %d ms", rec.TotalMillis)))
}

// embedded is the running embedded bank and a session pointed at it.
type embedded struct {
	Bank    *sandbox.Server
	Session *cmdutil.Session
	// Stop closes the bank and removes its certificates and state.
	Stop func()
}

// startSandbox runs the embedded bank with fresh certificates in a
// temporary directory and a session (with its own state) pointed at it.
func startSandbox(o *FlowOptions, cfg *profile.Config, rec *Record) (*embedded, error) {
	t0 := time.Now()
	set, err := qcert.GenerateSet(qcert.Options{Org: qcert.DefaultOrg, Roles: sandbox.DefaultRoles, Now: o.Now})
	if err != nil {
		return nil, err
	}
	rec.KeyGenMillis = set.KeyGenTime.Milliseconds()
	dir, err := os.MkdirTemp("", "xs2a-flow-")
	if err != nil {
		return nil, err
	}
	cleanup := func() { os.RemoveAll(dir) }
	if err := set.Write(filepath.Join(dir, "certs"), false); err != nil {
		cleanup()
		return nil, err
	}
	logTo := io.Discard
	if cfg.Verbose {
		logTo = o.IO.ErrOut
	}
	opts := sandbox.Options{Certs: set, AutoApprove: !o.Interactive, Log: logTo}
	sb, err := sandbox.Start(opts)
	if err != nil {
		cleanup()
		return nil, err
	}
	stop := func() { sb.CloseNow(); cleanup() }
	// The profile `sandbox serve --write-profile` would write for this bank.
	var p profile.Profile
	for k, v := range cmdutil.SandboxProfile(sb, opts, filepath.Join(dir, "certs")) {
		if err := p.Set(k, v); err != nil {
			stop()
			return nil, err
		}
	}
	p.PSUIPAddress = "127.0.0.1" // the PSU is at this terminal
	sc := *cfg
	sc.Profile, sc.ProfileName = p, "flow"
	s, err := o.NewSession(&sc, state.Open(filepath.Join(dir, "state")))
	if err != nil {
		stop()
		return nil, err
	}
	rec.SetupMillis = time.Since(t0).Milliseconds() - rec.KeyGenMillis
	return &embedded{Bank: sb, Session: s, Stop: stop}, nil
}

// follower plays the PSU's browser for the auto-approving sandbox: it
// follows the bank's redirect to the CLI's loopback listener.
func follower(sb *sandbox.Server) func(string) error {
	return func(u string) error {
		c := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: sb.CertPool(), MinVersion: tls.VersionTLS12}}}
		go func() {
			resp, err := c.Get(u)
			if err == nil {
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		}()
		return nil
	}
}
