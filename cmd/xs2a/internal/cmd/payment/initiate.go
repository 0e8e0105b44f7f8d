package payment

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/xs2a-dev/xs2a/cmd/xs2a/internal/cmdutil"
	"github.com/xs2a-dev/xs2a/pkg/iostreams"
	"github.com/xs2a-dev/xs2a/pkg/state"
	"github.com/xs2a-dev/xs2a/pkg/xs2a"
)

// InitiateOptions are the flags of `xs2a payment initiate` and what it uses.
type InitiateOptions struct {
	IO      *iostreams.IOStreams
	Session func() (*cmdutil.Session, error)
	Now     func() time.Time

	Service, Product string
	Debtor, Creditor string
	CreditorName     string
	Amount, Currency string
	Remittance       string
	EndToEndID       string
	// Periodic payments.
	StartDate, EndDate, Frequency, ExecutionRule, DayOfExecution string
	// Bulk payments: the payments from a JSON file.
	PaymentsFile string
	BatchBooking bool
	// BodyFile is the whole body, sent as it is (- for stdin).
	BodyFile string
	PSUIP    string

	changed func(string) bool
	body    []byte // Body's, read once (stdin cannot be read twice)
}

// frequencies are the file's frequencyCode.
var frequencies = []string{"Daily", "Weekly", "EveryTwoWeeks", "Monthly", "EveryTwoMonths", "Quarterly", "SemiAnnual", "Annual", "MonthlyVariable"}

// NewCmdInitiate builds `xs2a payment initiate`; runF replaces the run
// function in tests.
func NewCmdInitiate(f *cmdutil.Factory, runF func(*InitiateOptions) error) *cobra.Command {
	o := &InitiateOptions{IO: f.IO, Session: f.Session, Now: f.Now}
	cmd := &cobra.Command{
		Use:   "initiate",
		Short: "POST /v1/{payment-service}/{payment-product} with the client-credentials token",
		Long: `Initiate a payment: a single one (--service payments, the default), a standing
order (periodic-payments: --start-date, --frequency, optionally --end-date,
--execution-rule, --day-of-execution) or a bulk (bulk-payments: the debtor
and --payments-file, a JSON array of the file's bulk elements:
[{"instructedAmount": {"currency": "EUR", "amount": "1.00"},
  "creditorAccount": {"iban": "..."}, "creditorName": "..."}]; the single
payment's flags --creditor, --amount, ... are refused with it).
The product is one of sepa-credit-transfers (default),
instant-sepa-credit-transfers, target-2-payments and
cross-border-credit-transfers. --body-file sends a body of your own as it is.

The body is checked before it is sent: IBANs by their check digits (mod
97), amounts as the file writes them (12.34, a string) with no more
decimals than the currency has (ISO 4217: 2 for EUR, 0 for JPY, where
known), the currency in upper case (eur is sent EUR), the service and
product against the file's (JSON products only: not pain.001); bad input
exits 2 and sends nothing.

The payment's id, service and product are remembered for 'xs2a authorize
--payment' and 'xs2a payment status|get|cancel'. PSU-IP-Address is
mandatory here: --psu-ip, else the profile's psu_ip_address, else the local
address of the connection.`,
		Example: `  xs2a payment initiate --debtor FI0412345600012343 --creditor DE89370400440532013000 \
      --creditor-name "John Miles" --amount 12.34 --remittance "Invoice 42"
  xs2a payment initiate --product instant-sepa-credit-transfers --debtor FI0412345600012343 \
      --creditor DE89370400440532013000 --creditor-name "John Miles" --amount 5
  xs2a payment initiate --service periodic-payments --start-date 2027-01-01 --frequency Monthly --day-of-execution 1 \
      --debtor FI0412345600012343 --creditor DE89370400440532013000 --creditor-name "John Miles" --amount 50
  xs2a payment initiate --service bulk-payments --debtor FI0412345600012343 --payments-file bulk.json
  xs2a payment initiate --product target-2-payments --body-file payment.json`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.changed = cmd.Flags().Changed
			body, err := o.Body()
			if err != nil {
				return err
			}
			o.body = body
			if err := cmdutil.SetPSUIP(f, o.PSUIP); err != nil {
				return err
			}
			if runF != nil {
				return runF(o)
			}
			return initiateRun(cmd.Context(), o)
		},
	}
	o.BodyFlags(cmd)
	fl := cmd.Flags()
	fl.StringVar(&o.PSUIP, "psu-ip", "", "PSU-IP-Address, mandatory here (default: the profile's psu_ip_address, else the local address of the connection)")
	return cmd
}

// BodyFlags adds the flags that describe the payment (--service,
// --product, the body's flags, --body-file) to cmd: `payment initiate`'s,
// which `xs2a flow --payment` shares so that the two build one body by one
// set of rules (Body).
func (o *InitiateOptions) BodyFlags(cmd *cobra.Command) {
	fl := cmd.Flags()
	o.changed = fl.Changed
	fl.StringVar(&o.Service, "service", "payments", "payment service: payments, periodic-payments or bulk-payments")
	fl.StringVar(&o.Product, "product", "sepa-credit-transfers", "payment product: "+strings.Join(xs2a.PaymentProducts, ", "))
	fl.StringVar(&o.Debtor, "debtor", "", "the PSU's account to pay from (IBAN)")
	fl.StringVar(&o.Creditor, "creditor", "", "the creditor's account (IBAN)")
	fl.StringVar(&o.CreditorName, "creditor-name", "", "the creditor's name")
	fl.StringVar(&o.Amount, "amount", "", "amount, e.g. 12.34")
	fl.StringVar(&o.Currency, "currency", "EUR", "currency (ISO 4217)")
	fl.StringVar(&o.Remittance, "remittance", "", "remittance information (unstructured)")
	fl.StringVar(&o.EndToEndID, "end-to-end-id", "", "endToEndIdentification")
	fl.StringVar(&o.StartDate, "start-date", "", "periodic: first day (YYYY-MM-DD)")
	fl.StringVar(&o.EndDate, "end-date", "", "periodic: last day (YYYY-MM-DD; default: until cancelled)")
	fl.StringVar(&o.Frequency, "frequency", "", "periodic: "+strings.Join(frequencies, ", "))
	fl.StringVar(&o.ExecutionRule, "execution-rule", "", "periodic: following or preceding (a date on a holiday)")
	fl.StringVar(&o.DayOfExecution, "day-of-execution", "", "periodic: day of the month, 1 to 31")
	fl.StringVar(&o.PaymentsFile, "payments-file", "", "bulk: JSON file with the payments (an array of the file's bulk elements)")
	fl.BoolVar(&o.BatchBooking, "batch-booking", false, "bulk: batchBookingPreferred (one booking for the whole bulk)")
	fl.StringVar(&o.BodyFile, "body-file", "", "the whole request body from a JSON file (- for stdin), sent as it is")
}

// bodyFlags are the flags that build the body, exclusive with --body-file.
var bodyFlags = []string{"debtor", "creditor", "creditor-name", "amount", "currency", "remittance", "end-to-end-id",
	"start-date", "end-date", "frequency", "execution-rule", "day-of-execution", "payments-file", "batch-booking"}

// singleFlags are the flags of one payment's body, which a bulk takes
// from --payments-file instead.
var singleFlags = []string{"creditor", "creditor-name", "amount", "currency", "remittance", "end-to-end-id"}

// Body is the request body the options describe, checked.
func (o *InitiateOptions) Body() ([]byte, error) {
	if err := xs2a.CheckPaymentPath(o.Service, o.Product); err != nil {
		return nil, cmdutil.UsageError(err)
	}
	changed := o.changed
	if changed == nil {
		changed = func(string) bool { return false }
	}
	if o.BodyFile != "" {
		for _, n := range bodyFlags {
			if changed(n) {
				return nil, cmdutil.UsageErrorf("--body-file is the whole body: --%s goes in the file", n)
			}
		}
		return o.readBodyFile()
	}
	var used []string
	for _, n := range []string{"start-date", "end-date", "frequency", "execution-rule", "day-of-execution"} {
		if changed(n) && o.Service != "periodic-payments" {
			used = append(used, "--"+n)
		}
	}
	if len(used) > 0 {
		verb := "go"
		if len(used) == 1 {
			verb = "goes"
		}
		return nil, cmdutil.UsageErrorf("%s %s with --service periodic-payments", strings.Join(used, ", "), verb)
	}
	if o.Service == "bulk-payments" {
		// The bulk's payments are the file's, each with its creditor and
		// amount: a single payment's flag would be dropped silently.
		for _, n := range singleFlags {
			if changed(n) {
				return nil, cmdutil.UsageErrorf("--%s is a single payment's: a bulk's payments (each with its creditor, amount, currency, remittance and end-to-end id) come from --payments-file", n)
			}
		}
	}
	for _, n := range []string{"payments-file", "batch-booking"} {
		if changed(n) && o.Service != "bulk-payments" {
			return nil, cmdutil.UsageErrorf("--%s goes with --service bulk-payments", n)
		}
	}
	debtor, err := o.required("--debtor", o.Debtor)
	if err != nil {
		return nil, err
	}
	if debtor, err = CheckIBAN("--debtor", debtor); err != nil {
		return nil, err
	}
	if o.Service == "bulk-payments" {
		return o.bulk(debtor)
	}
	p, err := o.single(debtor)
	if err != nil {
		return nil, err
	}
	if o.Service == "payments" {
		return json.Marshal(p)
	}
	return o.periodic(p)
}

func (o *InitiateOptions) required(flag, v string) (string, error) {
	if strings.TrimSpace(v) == "" {
		return "", cmdutil.UsageErrorf("%s is required (or give the whole body with --body-file)", flag)
	}
	return v, nil
}

func (o *InitiateOptions) single(debtor string) (xs2a.PaymentRequest, error) {
	p := xs2a.PaymentRequest{DebtorAccount: xs2a.AccountReference{IBAN: debtor}, EndToEndIdentification: o.EndToEndID,
		RemittanceInformationUnstructured: o.Remittance}
	var err error
	if p.CreditorAccount.IBAN, err = o.required("--creditor", o.Creditor); err != nil {
		return p, err
	}
	if p.CreditorAccount.IBAN, err = CheckIBAN("--creditor", p.CreditorAccount.IBAN); err != nil {
		return p, err
	}
	if p.CreditorName, err = o.required("--creditor-name", o.CreditorName); err != nil {
		return p, err
	}
	if p.InstructedAmount.Amount, err = o.required("--amount", o.Amount); err != nil {
		return p, err
	}
	if err := CheckAmount("--amount", o.Amount); err != nil {
		return p, err
	}
	if p.InstructedAmount.Currency, err = CheckCurrency("--currency", o.Currency); err != nil {
		return p, err
	}
	if err := xs2a.CheckMinorUnits(o.Amount, p.InstructedAmount.Currency); err != nil {
		return p, cmdutil.UsageErrorf("--amount %q: %v", o.Amount, err)
	}
	if len(o.Remittance) > 140 {
		return p, cmdutil.UsageErrorf("--remittance is %d characters; the file allows 140", len(o.Remittance))
	}
	if len(o.CreditorName) > 70 {
		return p, cmdutil.UsageErrorf("--creditor-name is %d characters; the file allows 70", len(o.CreditorName))
	}
	return p, nil
}

func (o *InitiateOptions) periodic(p xs2a.PaymentRequest) ([]byte, error) {
	r := xs2a.PeriodicPaymentRequest{PaymentRequest: p, StartDate: o.StartDate, EndDate: o.EndDate,
		Frequency: o.Frequency, ExecutionRule: o.ExecutionRule, DayOfExecution: o.DayOfExecution}
	if _, err := o.required("--start-date", o.StartDate); err != nil {
		return nil, err
	}
	for flag, d := range map[string]string{"--start-date": o.StartDate, "--end-date": o.EndDate} {
		if _, err := time.Parse(time.DateOnly, d); d != "" && err != nil {
			return nil, cmdutil.UsageErrorf("%s %q is not a date (YYYY-MM-DD)", flag, d)
		}
	}
	if o.EndDate != "" && o.EndDate < o.StartDate {
		return nil, cmdutil.UsageErrorf("--end-date %s is before --start-date %s", o.EndDate, o.StartDate)
	}
	if !slices.Contains(frequencies, o.Frequency) {
		return nil, cmdutil.UsageErrorf("--frequency %q: want one of %s", o.Frequency, strings.Join(frequencies, ", "))
	}
	if o.ExecutionRule != "" && o.ExecutionRule != "following" && o.ExecutionRule != "preceding" {
		return nil, cmdutil.UsageErrorf("--execution-rule %q: want following or preceding", o.ExecutionRule)
	}
	if d := o.DayOfExecution; d != "" {
		n := 0
		if _, err := fmt.Sscanf(d, "%d", &n); err != nil || fmt.Sprint(n) != d || n < 1 || n > 31 {
			return nil, cmdutil.UsageErrorf("--day-of-execution %q: want a day of the month, 1 to 31 (no leading zero)", d)
		}
	}
	return json.Marshal(r)
}

func (o *InitiateOptions) bulk(debtor string) ([]byte, error) {
	if _, err := o.required("--payments-file", o.PaymentsFile); err != nil {
		return nil, err
	}
	raw, err := readInput(o.IO, o.PaymentsFile)
	if err != nil {
		return nil, err
	}
	var payments []xs2a.BulkPayment
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&payments); err != nil {
		return nil, cmdutil.UsageErrorf("--payments-file %s: not a JSON array of bulk payments (instructedAmount, creditorAccount, creditorName, ...): %v", o.PaymentsFile, err)
	}
	if len(payments) == 0 {
		return nil, cmdutil.UsageErrorf("--payments-file %s holds no payments", o.PaymentsFile)
	}
	for i := range payments {
		p := &payments[i]
		where := fmt.Sprintf("--payments-file %s, payment %d:", o.PaymentsFile, i+1)
		if p.CreditorAccount.IBAN, err = CheckIBAN(where+" creditorAccount.iban", p.CreditorAccount.IBAN); err != nil {
			return nil, err
		}
		if err := CheckAmount(where+" instructedAmount.amount", p.InstructedAmount.Amount); err != nil {
			return nil, err
		}
		if p.InstructedAmount.Currency, err = CheckCurrency(where+" instructedAmount.currency", p.InstructedAmount.Currency); err != nil {
			return nil, err
		}
		if err := xs2a.CheckMinorUnits(p.InstructedAmount.Amount, p.InstructedAmount.Currency); err != nil {
			return nil, cmdutil.UsageErrorf("%s instructedAmount.amount %q: %v", where, p.InstructedAmount.Amount, err)
		}
		if p.CreditorName == "" {
			return nil, cmdutil.UsageErrorf("%s creditorName is missing", where)
		}
	}
	r := xs2a.BulkPaymentRequest{DebtorAccount: xs2a.AccountReference{IBAN: debtor}, Payments: payments}
	if o.changed != nil && o.changed("batch-booking") {
		r.BatchBookingPreferred = &o.BatchBooking
	}
	return json.Marshal(r)
}

// readBodyFile reads --body-file: a JSON object, sent as it is.
func (o *InitiateOptions) readBodyFile() ([]byte, error) {
	b, err := readInput(o.IO, o.BodyFile)
	if err != nil {
		return nil, err
	}
	var v map[string]any
	if err := json.Unmarshal(b, &v); err != nil {
		return nil, cmdutil.UsageErrorf("--body-file %s is not a JSON object: %v", o.BodyFile, err)
	}
	return b, nil
}

// readInput reads a file, or stdin for -.
func readInput(ios *iostreams.IOStreams, name string) ([]byte, error) {
	if name == "-" {
		return io.ReadAll(io.LimitReader(ios.In, xs2a.MaxAnswerBytes))
	}
	b, err := os.ReadFile(name)
	if err != nil {
		return nil, cmdutil.UsageError(err)
	}
	return b, nil
}

// initiatedJSON is `payment initiate -o json`.
type initiatedJSON struct {
	targetJSON
	TransactionStatus string          `json:"transaction_status"`
	SCAApproach       string          `json:"sca_approach,omitempty"`
	SCAOAuth          string          `json:"sca_oauth,omitempty"`
	XRequestID        string          `json:"x_request_id"`
	BankResponse      json.RawMessage `json:"bank_response"`
}

func initiateRun(ctx context.Context, o *InitiateOptions) error {
	body := o.body
	if body == nil {
		var err error
		if body, err = o.Body(); err != nil {
			return err
		}
	}
	s, err := o.Session()
	if err != nil {
		return err
	}
	var p *xs2a.PaymentInitiated
	err = s.WithClientToken(ctx, func(token string) (err error) {
		p, err = s.API.InitiatePayment(ctx, token, o.Service, o.Product, body)
		return err
	})
	if err != nil {
		return err
	}
	err = s.Store.Update(s.Config.ProfileName, func(st *state.State) error {
		st.Payment = &state.Payment{ID: p.PaymentID, Service: o.Service, Product: o.Product, Status: p.TransactionStatus, Created: s.Now()}
		return nil
	})
	s.WarnState(err)
	out := initiatedJSON{targetJSON: Target{p.PaymentID, o.Service, o.Product}.json(), TransactionStatus: p.TransactionStatus,
		SCAApproach: p.SCAApproach, XRequestID: p.RequestID, BankResponse: bankBody(p.Body)}
	if href := p.Links["scaOAuth"].Href; href != "" {
		// Shown only on an origin the profile names.
		if u, err := s.Origins.Resolve("scaOAuth link", href); err != nil {
			fmt.Fprintf(o.IO.ErrOut, "warning: %v\n", err)
		} else {
			out.SCAOAuth = u.String()
		}
	}
	if s.WantsJSON() {
		return cmdutil.WriteJSON(o.IO.Out, out)
	}
	fmt.Fprintf(o.IO.Out, "payment %s: %s (%s/%s)\n", l(p.PaymentID), l(p.TransactionStatus), o.Service, o.Product)
	if out.SCAOAuth != "" {
		fmt.Fprintf(o.IO.Out, "scaOAuth: %s\n", l(out.SCAOAuth))
	}
	fmt.Fprintln(o.IO.ErrOut, "next: "+s.Again("authorize --payment --exchange")+", then "+s.Again("payment status --wait"))
	return nil
}
