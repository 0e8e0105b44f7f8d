package flow

// The payment journey (`xs2a flow --payment`): token, payment initiate,
// the PSU's authorization of the payment, token exchange, the status read
// until final. Each step is the command it reproduces: the body is built
// by `payment initiate`'s own flags and rules (pis.InitiateOptions) and
// the status read by `payment status --wait`'s loop (pis.StatusOptions).

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"
	pis "github.com/xs2a-dev/xs2a/cmd/xs2a/internal/cmd/payment"
	"github.com/xs2a-dev/xs2a/cmd/xs2a/internal/cmdutil"
	"github.com/xs2a-dev/xs2a/pkg/iostreams"
	"github.com/xs2a-dev/xs2a/pkg/profile"
	"github.com/xs2a-dev/xs2a/pkg/shquote"
	"github.com/xs2a-dev/xs2a/pkg/state"
	"github.com/xs2a-dev/xs2a/pkg/termsafe"
	"github.com/xs2a-dev/xs2a/pkg/xs2a"
)

// The embedded sandbox's defaults for the payment and funds journeys: the
// current account of customer 5000001 (who approves as its holder), a
// creditor with a valid IBAN, 1.00 EUR.
const (
	SandboxDebtor       = "FI0412345600012343"
	SandboxCreditor     = "DE89370400440532013000"
	SandboxCreditorName = "John Miles"
	SandboxAmount       = "1.00"
)

// PaymentResult is the payment journey's payment, for --output json.
type PaymentResult struct {
	PaymentID         string `json:"payment_id"`
	PaymentService    string `json:"payment_service"`
	PaymentProduct    string `json:"payment_product"`
	TransactionStatus string `json:"transaction_status"`
	// Final: the status does not move any more (xs2a.FinalStatuses).
	Final bool `json:"final"`
	// Amount is the instructed amount of a single or periodic payment
	// (a bulk's payments each have their own: Payments counts them).
	Amount       *xs2a.Amount `json:"amount,omitempty"`
	Payments     int          `json:"payments,omitempty"`
	Debtor       string       `json:"debtor_iban,omitempty"`
	Creditor     string       `json:"creditor_iban,omitempty"`
	CreditorName string       `json:"creditor_name,omitempty"`
	// StartDate and Frequency: a standing order's schedule.
	StartDate      string `json:"start_date,omitempty"`
	Frequency      string `json:"frequency,omitempty"`
	FundsAvailable *bool  `json:"funds_available,omitempty"`
	PSUMessage     string `json:"psu_message,omitempty"`
	StatusReads    int    `json:"status_reads"`
	// Note says why a status that is not final ends the journey: a
	// standing order runs until its end date or its cancellation.
	Note string `json:"note,omitempty"`
}

// paymentOnly are the flags of the payment journey alone; --amount and
// --currency are the funds journey's too.
var paymentOnly = []string{"service", "product", "debtor", "creditor", "creditor-name", "remittance", "end-to-end-id",
	"start-date", "end-date", "frequency", "execution-rule", "day-of-execution", "payments-file", "batch-booking", "body-file", "interval"}

// fundsOnly are the flags of the funds journey alone.
var fundsOnly = []string{"account", "pan", "card-number", "payee", "piis"}

// registerJourneyFlags adds --payment and --funds and the flags that
// describe their payment and request: `payment initiate`'s own
// (pis.InitiateOptions.BodyFlags) and `funds-confirmation`'s account flags.
func registerJourneyFlags(cmd *cobra.Command, o *FlowOptions) {
	o.Pay.IO, o.Pay.Now = o.IO, o.Now
	fl := cmd.Flags()
	fl.BoolVar(&o.Payment, "payment", false, "the payment journey: token, payment initiate, authorize --payment, token exchange, payment status until final")
	fl.BoolVar(&o.Funds, "funds", false, "the funds confirmation journey: token, [authorize --piis, token exchange,] funds-confirmation")
	fl.StringVar(&o.PIIS, "piis", "", "with --funds: authorise this PIIS consent (scope scopes.piis; no ID: the state's) and confirm funds with its token")
	fl.Lookup("piis").NoOptDefVal = cmdutil.Remembered
	o.Pay.BodyFlags(cmd)
	fl.DurationVar(&o.Interval, "interval", 2*time.Second, "with --payment: time between the payment's status reads")
	fl.StringVar(&o.FundsReq.Account, "account", "", "with --funds: the account's IBAN")
	fl.StringVar(&o.FundsReq.PAN, "pan", "", "with --funds: the card account, its card number or masked PAN")
	fl.StringVar(&o.FundsReq.CardNumber, "card-number", "", "with --funds: the card number of the card the issuer (the TPP) issued")
	fl.StringVar(&o.FundsReq.Payee, "payee", "", "with --funds: the merchant, shown to the PSU")
	// Where the embedded sandbox fills a flag in, its help says with what.
	for name, def := range map[string]string{"debtor": SandboxDebtor, "creditor": SandboxCreditor, "creditor-name": SandboxCreditorName,
		"amount": SandboxAmount, "account": SandboxDebtor} {
		fl.Lookup(name).Usage += " (with the embedded sandbox default " + def + ")"
	}
	for _, name := range paymentOnly {
		if u := fl.Lookup(name); !strings.HasPrefix(u.Usage, "with ") {
			u.Usage = "with --payment: " + u.Usage
		}
	}
	for _, name := range []string{"amount", "currency"} {
		fl.Lookup(name).Usage = "with --payment or --funds: " + fl.Lookup(name).Usage
	}
}

// checkJourneyFlags refuses two journeys at once and a journey's flag
// given to another one.
func (o *FlowOptions) checkJourneyFlags() error {
	if o.Payment && o.Funds {
		return cmdutil.UsageErrorf("--payment and --funds exclude each other: one journey at a time")
	}
	wrong := func(names []string, with string) error {
		for _, n := range names {
			if o.changed(n) {
				return cmdutil.UsageErrorf("--%s goes with %s", n, with)
			}
		}
		return nil
	}
	if !o.Payment {
		if err := wrong(paymentOnly, "--payment"); err != nil {
			return err
		}
	}
	if !o.Funds {
		if err := wrong(fundsOnly, "--funds"); err != nil {
			return err
		}
	}
	if o.Interval <= 0 {
		return cmdutil.UsageErrorf("--interval must be positive")
	}
	if o.Payment || o.Funds {
		return wrong([]string{"days"}, "the account information journey (without --payment or --funds)")
	}
	return wrong([]string{"amount", "currency"}, "--payment or --funds")
}

// paymentBody is the payment's body, built and checked by `payment
// initiate`'s rules; against the embedded sandbox the flags not given take
// its defaults (a standing order from tomorrow, monthly).
func (o *FlowOptions) paymentBody(embedded bool) ([]byte, error) {
	p := &o.Pay
	if embedded && p.BodyFile == "" {
		def := func(flag string, v *string, d string) {
			if !o.changed(flag) {
				*v = d
			}
		}
		def("debtor", &p.Debtor, SandboxDebtor)
		if p.Service != "bulk-payments" {
			def("creditor", &p.Creditor, SandboxCreditor)
			def("creditor-name", &p.CreditorName, SandboxCreditorName)
			def("amount", &p.Amount, SandboxAmount)
		}
		if p.Service == "periodic-payments" {
			def("start-date", &p.StartDate, o.Now().AddDate(0, 0, 1).Format(time.DateOnly))
			def("frequency", &p.Frequency, "Monthly")
		}
	}
	return p.Body()
}

// initiateCommand is `payment initiate` with the flags that send body.
func (o *FlowOptions) initiateCommand() string {
	p := &o.Pay
	args := []string{"payment", "initiate"}
	add := func(flag, v string) {
		if v != "" {
			args = append(args, "--"+flag, shquote.Arg(v))
		}
	}
	if p.Service != "payments" {
		add("service", p.Service)
	}
	if p.Product != "sepa-credit-transfers" {
		add("product", p.Product)
	}
	if p.BodyFile != "" {
		add("body-file", p.BodyFile)
		return strings.Join(args, " ")
	}
	add("debtor", p.Debtor)
	if p.Service == "bulk-payments" {
		add("payments-file", p.PaymentsFile)
		if o.changed("batch-booking") {
			args = append(args, fmt.Sprintf("--batch-booking=%t", p.BatchBooking))
		}
		return strings.Join(args, " ")
	}
	add("creditor", p.Creditor)
	add("creditor-name", p.CreditorName)
	add("amount", p.Amount)
	add("currency", p.Currency)
	add("remittance", p.Remittance)
	add("end-to-end-id", p.EndToEndID)
	add("start-date", p.StartDate)
	add("end-date", p.EndDate)
	add("frequency", p.Frequency)
	add("execution-rule", p.ExecutionRule)
	add("day-of-execution", p.DayOfExecution)
	return strings.Join(args, " ")
}

// describe fills in what the body says of the payment (also a --body-file
// one): amount, accounts, schedule.
func (pr *PaymentResult) describe(body []byte) {
	var b struct {
		DebtorAccount    xs2a.AccountReference  `json:"debtorAccount"`
		InstructedAmount *xs2a.Amount           `json:"instructedAmount"`
		CreditorAccount  *xs2a.AccountReference `json:"creditorAccount"`
		CreditorName     string                 `json:"creditorName"`
		StartDate        string                 `json:"startDate"`
		Frequency        string                 `json:"frequency"`
		Payments         []json.RawMessage      `json:"payments"`
	}
	if json.Unmarshal(body, &b) != nil {
		return
	}
	pr.Debtor, pr.Amount, pr.CreditorName = b.DebtorAccount.IBAN, b.InstructedAmount, b.CreditorName
	if b.CreditorAccount != nil {
		pr.Creditor = b.CreditorAccount.IBAN
	}
	pr.StartDate, pr.Frequency, pr.Payments = b.StartDate, b.Frequency, len(b.Payments)
}

func paymentJourney(ctx context.Context, r *runner, s *cmdutil.Session, o *FlowOptions, w authWait, body []byte) error {
	name := s.Config.ProfileName
	svc, prod := o.Pay.Service, o.Pay.Product
	pr := &PaymentResult{PaymentService: svc, PaymentProduct: prod}
	pr.describe(body)
	r.rec.Payment = pr
	ct, err := r.clientToken(ctx, s)
	if err != nil {
		return err
	}
	path := "/v1/" + svc + "/" + prod
	if err := r.step("payment initiate", "POST "+path+" ("+pr.summary()+")", o.initiateCommand(), func() (string, error) {
		p, err := s.API.InitiatePayment(ctx, ct.AccessToken, svc, prod, body)
		if err != nil {
			return "", err
		}
		pr.PaymentID, pr.TransactionStatus = p.PaymentID, p.TransactionStatus
		// Remembered as `payment initiate` remembers it, so that the
		// reproduce commands (and `payment status`) find it.
		return fmt.Sprintf("201 %s, %s", p.PaymentID, p.TransactionStatus), s.Store.Update(name, func(st *state.State) error {
			st.Payment = &state.Payment{ID: p.PaymentID, Service: svc, Product: prod, Status: p.TransactionStatus, Created: s.Now()}
			return nil
		})
	}); err != nil {
		return err
	}
	id := shquote.Arg(pr.PaymentID) // the bank's: one word in the commands
	target := pis.Target{ID: pr.PaymentID, Service: svc, Product: prod}
	authAgain, statusAgain := "authorize --payment "+id, pis.StatusWords(target)
	if r.embedded {
		// A new sandbox knows no payment of this one: the steps before
		// come first, the payment remembered by the new profile's state.
		then := ", then: xs2a -p local "
		authAgain = o.initiateCommand() + then + "authorize --payment"
		statusAgain = authAgain + " --exchange" + then + "payment status --wait"
	}
	if _, err := authorizeExchange(ctx, r, s, w, profile.ScopePIS, pr.PaymentID, authAgain); err != nil {
		return err
	}
	// A payment waits until final; a standing order and a bulk until the
	// bank accepted it (xs2a.WaitOver, as `payment status --wait`): it then
	// runs on its schedule or waits for its date, not final for months.
	what := "until final"
	if svc != "payments" {
		what = "until accepted"
	}
	so := &pis.StatusOptions{IO: r.io, Wait: true, Interval: o.Interval, Timeout: o.Wait.Timeout}
	return r.step("payment status", fmt.Sprintf("GET %s/%s/status %s (every %s, up to %s)", path, pr.PaymentID, what, o.Interval, o.Wait.Timeout),
		statusAgain, func() (string, error) {
			st, reads, err := so.Read(ctx, s, target)
			if err != nil {
				return "", err
			}
			pr.TransactionStatus, pr.StatusReads = st.TransactionStatus, reads
			pr.Final, pr.FundsAvailable, pr.PSUMessage = xs2a.FinalStatus(st.TransactionStatus), st.FundsAvailable, st.PSUMessage
			pis.Remember(s, target, st.TransactionStatus)
			got := fmt.Sprintf("200 %s%s, %d read(s)", st.TransactionStatus, finalNote(pr.Final), reads)
			if xs2a.PaymentRefused(st.TransactionStatus) {
				// The journey's purpose failed: the bank's reason, exit 3.
				why := ""
				if st.PSUMessage != "" {
					why = ": " + st.PSUMessage
				}
				return got, &cmdutil.ExitError{Code: cmdutil.ExitRejected, Err: fmt.Errorf("the bank ended payment %s with %s%s", pr.PaymentID, st.TransactionStatus, why)}
			}
			switch {
			case pr.Final:
			case svc == "periodic-payments" && r.embedded:
				pr.Note = "a standing order is not final: it runs from its start date until its end date or its cancellation (the embedded sandbox stopped with the journey; against `xs2a sandbox serve`, `xs2a payment cancel` cancels it)"
			case svc == "periodic-payments":
				pr.Note = "a standing order is not final: it runs from its start date until its end date or `" + strings.TrimSpace(r.prefix) + " payment cancel " + id + " --service periodic-payments`"
			case svc == "bulk-payments":
				pr.Note = "a bulk accepted is executed on its requested date or the bank's schedule: `payment status` reads it then"
			}
			return got, nil
		})
}

func finalNote(final bool) string {
	if final {
		return " (final)"
	}
	return ""
}

// summary is the payment in a few words: amount, accounts, schedule.
func (pr *PaymentResult) summary() string {
	var b strings.Builder
	switch {
	case pr.Amount != nil:
		b.WriteString(pr.Amount.String())
	case pr.Payments > 0:
		fmt.Fprintf(&b, "%d payments", pr.Payments)
	}
	if pr.Frequency != "" {
		fmt.Fprintf(&b, " %s from %s", pr.Frequency, pr.StartDate)
	}
	if pr.Debtor != "" {
		b.WriteString(", " + pr.Debtor)
	}
	if pr.Creditor != "" {
		b.WriteString(" → " + pr.Creditor)
		if pr.CreditorName != "" {
			b.WriteString(" " + pr.CreditorName)
		}
	}
	return strings.TrimPrefix(b.String(), ", ")
}

// authorizeExchange is the PSU's authorization of what kind and id name
// (profile.ScopePIS: a payment; ScopePIIS: a funds confirmation consent)
// and the exchange of its code: two steps, as `authorize --payment|--piis`
// and `token exchange` make them. The token is kept in the state's slot
// for kind, so the profile's AIS token stays as it was.
func authorizeExchange(ctx context.Context, r *runner, s *cmdutil.Session, w authWait, kind, id, reproduce string) (*state.Token, error) {
	scope, err := s.Config.Profile.Scope(kind, id)
	if err != nil {
		scope = "?" // Authorize says why, as the step's failure
	}
	var auth *cmdutil.Authorization
	if err := r.step("authorize", "browser → authorization endpoint (scope "+scope+", PKCE S256)", reproduce, func() (string, error) {
		ao := w.opts
		ao.Kind, ao.ConsentID = kind, id
		var err error
		if auth, err = s.Authorize(ctx, ao, w.browse, w.errOut); err != nil {
			return "", err
		}
		return "code received on the loopback listener", nil
	}); err != nil {
		return nil, err
	}
	var tok *state.Token
	err = r.step("token exchange", "POST token endpoint (authorization_code + code_verifier)", "token exchange", func() (string, error) {
		st, err := s.Store.Load(s.Config.ProfileName)
		if err != nil {
			return "", err
		}
		if tok, err = s.Exchange(ctx, auth.Code, st.CodeVerifier, st.CodeRedirect); err != nil {
			return "", err
		}
		what := "access token"
		if tok.RefreshToken != "" {
			what = "access and refresh token"
		}
		return what + ", scope " + tok.Scope, nil
	})
	return tok, err
}

func printPayment(ios *iostreams.IOStreams, rec *Record) {
	w, cs, l := ios.Out, ios.ColorScheme(), termsafe.Line
	pr := rec.Payment
	what := "payment"
	switch pr.PaymentService {
	case "periodic-payments":
		what = "standing order"
	case "bulk-payments":
		what = "bulk payment"
	}
	fmt.Fprintf(w, "\n%s %s %s %s%s (%s/%s)\n", cs.Bold("The journey worked:"), what, l(pr.PaymentID), l(pr.TransactionStatus), finalNote(pr.Final), pr.PaymentService, pr.PaymentProduct)
	fmt.Fprintf(w, "  %s\n", l(pr.summary()))
	if pr.Note != "" {
		fmt.Fprintf(w, "  %s\n", l(pr.Note))
	}
	fmt.Fprintf(w, "%s\n", cs.Faint(fmt.Sprintf("total %d ms", rec.TotalMillis)))
}
