package sandbox

// Payment initiation (PIS) of the 1.3.12 file: POST
// /v1/{payment-service}/{payment-product} and the payment's resources, for
// the services payments, periodic-payments and bulk-payments and the four
// JSON products of the file's paymentInitiation_json. The debtor account
// must be an IBAN account of a test customer (5000001's acc-2343 and
// acc-8763); the PSU authorises on the bank's pages (OAuth2 integrated,
// scope PIS:<paymentId>), as for consents, with the same authorisation
// sub-resources (authorisations.go).
//
// Transaction status (the file's transactionStatus, ISO 20022 codes):
//   - RCVD on initiation;
//   - ACTC once the PSU approved (authentication and checks passed);
//   - then at once ACSC (settlement on the debtor's account completed: a
//     booked entry on the account, the available balance debited) or ACCC
//     for instant-sepa-credit-transfers (settled on the creditor's side
//     too, as SCT Inst is within seconds); a standing order (periodic)
//     and a bulk with a later requestedExecutionDate stay ACTC until they
//     are due (paysched.go);
//   - RJCT when the PSU refuses or the available balance does not cover
//     the amount (the status answer says which in psuMessage, with
//     fundsAvailable false for the latter);
//   - CANC when the TPP deletes it before authorisation (204), or when the
//     PSU authorises the cancellation of a payment authorised but not
//     executed (a standing order, ACTC: DELETE answers 202, paycancel.go).
//
// Errors, by the file's PIS codes: an unknown product 404 PRODUCT_UNKNOWN;
// a payment id not of this TPP (or unknown) 403 RESOURCE_UNKNOWN; a
// cancellation of a payment in a final status 405 CANCELLATION_INVALID.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/xs2a-dev/xs2a/pkg/iban"
	"github.com/xs2a-dev/xs2a/pkg/text"
)

// Transaction statuses the sandbox's payments take.
const (
	TxReceived  = "RCVD"
	TxAccepted  = "ACTC"
	TxSettled   = "ACSC"
	TxCredited  = "ACCC"
	TxRejected  = "RJCT"
	TxCancelled = "CANC"
)

// Message codes of PIS only.
const (
	CodeProductUnknown      = "PRODUCT_UNKNOWN"
	CodeCancellationInvalid = "CANCELLATION_INVALID"
)

// PaymentServices and PaymentProducts are what the sandbox serves.
var (
	PaymentServices = []string{"payments", "periodic-payments", "bulk-payments"}
	PaymentProducts = []string{"sepa-credit-transfers", "instant-sepa-credit-transfers", "target-2-payments", "cross-border-credit-transfers"}
)

// MaxPayments bounds the payments the sandbox keeps (in memory only):
// past it the oldest is forgotten.
const MaxPayments = 10000

// MaxBulkPayments bounds the payments of one bulk.
const MaxBulkPayments = 100

// paymentBody is a single or periodic payment of the file
// (paymentInitiation_json, periodicPaymentInitiation_json), and an element
// of a bulk (paymentInitiationBulkElement_json) without debtorAccount.
type paymentBody struct {
	EndToEndIdentification            string            `json:"endToEndIdentification,omitempty"`
	DebtorAccount                     *AccountReference `json:"debtorAccount,omitempty"`
	InstructedAmount                  *Amount           `json:"instructedAmount,omitempty"`
	CreditorAccount                   *AccountReference `json:"creditorAccount,omitempty"`
	CreditorAgent                     string            `json:"creditorAgent,omitempty"`
	CreditorAgentName                 string            `json:"creditorAgentName,omitempty"`
	CreditorName                      string            `json:"creditorName,omitempty"`
	CreditorAddress                   *paymentAddress   `json:"creditorAddress,omitempty"`
	RemittanceInformationUnstructured string            `json:"remittanceInformationUnstructured,omitempty"`
	// periodic-payments
	StartDate         string   `json:"startDate,omitempty"`
	EndDate           string   `json:"endDate,omitempty"`
	ExecutionRule     string   `json:"executionRule,omitempty"`
	Frequency         string   `json:"frequency,omitempty"`
	DayOfExecution    string   `json:"dayOfExecution,omitempty"`
	MonthsOfExecution []string `json:"monthsOfExecution,omitempty"`
}

type paymentAddress struct {
	StreetName     string `json:"streetName,omitempty"`
	BuildingNumber string `json:"buildingNumber,omitempty"`
	TownName       string `json:"townName,omitempty"`
	PostCode       string `json:"postCode,omitempty"`
	Country        string `json:"country"`
}

// bulkBody is bulkPaymentInitiation_json.
type bulkBody struct {
	BatchBookingPreferred  *bool             `json:"batchBookingPreferred,omitempty"`
	DebtorAccount          *AccountReference `json:"debtorAccount,omitempty"`
	RequestedExecutionDate string            `json:"requestedExecutionDate,omitempty"`
	RequestedExecutionTime string            `json:"requestedExecutionTime,omitempty"`
	Payments               []paymentBody     `json:"payments"`
}

// Payment is one initiated payment (single, periodic or bulk).
type Payment struct {
	ID, Service, Product     string
	OrganizationID, ClientID string
	Single                   *paymentBody // payments and periodic-payments
	Bulk                     *bulkBody
	Debtor                   *PaymentAccount
	Owner                    *PSU // the debtor account's customer
	Total                    int64
	Status                   string
	// Reason says why a payment is RJCT (psuMessage of the status);
	// NoFunds that the balance did not cover it.
	Reason  string
	NoFunds bool
	Created time.Time
	// Executed is when the debit was booked (ACSC, ACCC).
	Executed       time.Time
	Authorisations []*authorisation
	// CancelRequested: the TPP asked to cancel the payment (202), and the
	// PSU is to authorise it through Cancellations (paycancel.go).
	CancelRequested bool
	Cancellations   []*authorisation
	Order           *orderProgress // a standing order's instalments (paysched.go)
}

func (p *Payment) authList() *[]*authorisation { return &p.Authorisations }
func (p *Payment) awaitsSCA() bool             { return p.Status == TxReceived }

// path is the payment's resource path.
func (p *Payment) path() string { return "/v1/" + p.Service + "/" + p.Product + "/" + p.ID }

// payments keeps the sandbox's payments, oldest first for the bound.
type payments struct {
	byID  map[string]*Payment
	order []string
	// due are the authorised payments awaiting a date; nothing is due
	// before nextDue (paysched.go).
	due     map[string]*Payment
	nextDue time.Time
}

var (
	amountRE = regexp.MustCompile(`^[0-9]{1,14}(\.[0-9]{1,2})?$`)
	bicRE    = regexp.MustCompile(`^[A-Z]{6}[A-Z2-9][A-NP-Z0-9]([A-Z0-9]{3})?$`)
)

var frequencies = []string{"Daily", "Weekly", "EveryTwoWeeks", "Monthly", "EveryTwoMonths", "Quarterly", "SemiAnnual", "Annual", "MonthlyVariable"}

// decodeBody decodes body into v: no unknown field, nothing after the
// object; what is at fault is named.
func decodeBody(body []byte, v any, what string) *apiError {
	if len(bytes.TrimSpace(body)) == 0 {
		return formatErr("", "the body is empty; %s carries a JSON object", what)
	}
	if path, ok := duplicateKey(body); ok {
		return formatErr(path, "%s appears twice in the JSON object; parsers disagree on which one counts, so the bank refuses it", path)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		if ute, ok := err.(*json.UnmarshalTypeError); ok {
			return formatErr(ute.Field, "%s must be a JSON %s, got %s", ute.Field, jsonType(ute.Type.Kind().String()), ute.Value)
		}
		if se, ok := err.(*json.SyntaxError); ok {
			return formatErr("", "the body is not valid JSON: %v at byte %d", se, se.Offset)
		}
		if strings.HasPrefix(err.Error(), "json: unknown field ") {
			f := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
			return formatErr(f, "unknown field %q in %s", text.Clip(f, 40), what)
		}
		return formatErr("", "the body is not %s: %v", what, err)
	}
	if dec.More() {
		return formatErr("", "the body has data after the JSON object")
	}
	return nil
}

// checkCreditor validates what a single payment and a bulk element share;
// p is the path prefix ("" or "payments[i].").
func checkCreditor(b *paymentBody, p string) (int64, *apiError) {
	switch {
	case b.InstructedAmount == nil:
		return 0, formatErr(p+"instructedAmount", "%sinstructedAmount is required ({\"currency\": \"EUR\", \"amount\": \"12.34\"})", p)
	case !currencyRE.MatchString(b.InstructedAmount.Currency):
		return 0, formatErr(p+"instructedAmount.currency", "%sinstructedAmount.currency %q is not an ISO 4217 code (three capital letters)", p, text.Clip(b.InstructedAmount.Currency, 8))
	case !amountRE.MatchString(b.InstructedAmount.Amount):
		return 0, formatErr(p+"instructedAmount.amount", "%sinstructedAmount.amount %q is not an amount: digits with at most two decimals after a point, e.g. \"12.34\"", p, text.Clip(b.InstructedAmount.Amount, 30))
	case b.CreditorAccount == nil || b.CreditorAccount.IBAN == "":
		return 0, formatErr(p+"creditorAccount.iban", "%screditorAccount.iban is required: the creditor's IBAN", p)
	case len(b.CreditorAccount.IBAN) > 34 || !iban.Valid(b.CreditorAccount.IBAN):
		return 0, formatErr(p+"creditorAccount.iban", "%screditorAccount.iban %q is not an IBAN (ISO 13616: country, check digits, no spaces; the check digits must hold, mod 97)", p, text.Clip(b.CreditorAccount.IBAN, 40))
	case b.CreditorAccount.Currency != "" && !currencyRE.MatchString(b.CreditorAccount.Currency):
		return 0, formatErr(p+"creditorAccount.currency", "%screditorAccount.currency %q is not an ISO 4217 code", p, text.Clip(b.CreditorAccount.Currency, 8))
	case strings.TrimSpace(b.CreditorName) == "":
		return 0, formatErr(p+"creditorName", "%screditorName is required", p)
	case len([]rune(b.CreditorName)) > 70:
		return 0, formatErr(p+"creditorName", "%screditorName is longer than 70 characters", p)
	case len([]rune(b.RemittanceInformationUnstructured)) > 140:
		return 0, formatErr(p+"remittanceInformationUnstructured", "%sremittanceInformationUnstructured is longer than 140 characters", p)
	case len([]rune(b.EndToEndIdentification)) > 35:
		return 0, formatErr(p+"endToEndIdentification", "%sendToEndIdentification is longer than 35 characters", p)
	case b.CreditorAgent != "" && !bicRE.MatchString(b.CreditorAgent):
		return 0, formatErr(p+"creditorAgent", "%screditorAgent %q is not a BIC (8 or 11 characters)", p, text.Clip(b.CreditorAgent, 20))
	case len([]rune(b.CreditorAgentName)) > 140:
		return 0, formatErr(p+"creditorAgentName", "%screditorAgentName is longer than 140 characters", p)
	case b.CreditorAddress != nil && !regexp.MustCompile(`^[A-Z]{2}$`).MatchString(b.CreditorAddress.Country):
		return 0, formatErr(p+"creditorAddress.country", "%screditorAddress.country %q is not an ISO 3166 code (two capital letters)", p, text.Clip(b.CreditorAddress.Country, 8))
	}
	c := parseCents(b.InstructedAmount.Amount)
	if c <= 0 {
		return 0, formatErr(p+"instructedAmount.amount", "%sinstructedAmount.amount %s is not positive", p, b.InstructedAmount.Amount)
	}
	return c, nil
}

// debtorOf finds the account the debtorAccount reference names among the
// customers' IBAN accounts, and its customer.
func (s *Server) debtorOf(ref *AccountReference) (*PaymentAccount, *PSU, *apiError) {
	switch {
	case ref == nil || ref.IBAN == "":
		return nil, nil, formatErr("debtorAccount.iban", "debtorAccount.iban is required: the PSU's IBAN the payment is taken from (e.g. %s)", currentIBAN)
	case len(ref.IBAN) > 34 || !iban.Valid(ref.IBAN):
		return nil, nil, formatErr("debtorAccount.iban", "debtorAccount.iban %q is not an IBAN (ISO 13616; the check digits must hold, mod 97)", text.Clip(ref.IBAN, 40))
	}
	for _, psu := range s.psus {
		for _, acc := range psu.Accounts {
			if !strings.EqualFold(acc.IBAN, ref.IBAN) {
				continue
			}
			if ref.Currency != "" && ref.Currency != acc.Currency {
				return nil, nil, reject(http.StatusBadRequest, CodeFormatError,
					fmt.Sprintf("debtorAccount.currency %q: account %s is held in %s", text.Clip(ref.Currency, 8), acc.IBAN, acc.Currency)).withPath("debtorAccount.currency")
			}
			if acc.Status != "enabled" {
				return nil, nil, reject(http.StatusBadRequest, CodeResourceBlocked, fmt.Sprintf("debtor account %s is %s", acc.IBAN, acc.Status)).withPath("debtorAccount.iban")
			}
			return acc, psu, nil
		}
	}
	return nil, nil, reject(http.StatusBadRequest, CodeResourceUnknown,
		fmt.Sprintf("debtorAccount.iban %s is no account of this ASPSP; the test customer %s holds %s and %s", ref.IBAN, PaymentCustomerID, currentIBAN, savingsIBAN)).withPath("debtorAccount.iban")
}

// parsePayment validates the body of a payment of service, naming the
// field at fault.
func (s *Server) parsePayment(service string, body []byte, today time.Time) (*Payment, *apiError) {
	p := &Payment{Service: service}
	if service == "bulk-payments" {
		var b bulkBody
		if e := decodeBody(body, &b, "a bulk payment"); e != nil {
			return nil, e
		}
		acc, psu, e := s.debtorOf(b.DebtorAccount)
		if e != nil {
			return nil, e
		}
		switch {
		case len(b.Payments) == 0:
			return nil, formatErr("payments", "payments is required: the bulk's payments, at least one")
		case len(b.Payments) > MaxBulkPayments:
			return nil, formatErr("payments", "payments lists %d payments; at most %d", len(b.Payments), MaxBulkPayments)
		}
		if b.RequestedExecutionDate != "" {
			d, err := time.Parse(time.DateOnly, b.RequestedExecutionDate)
			if err != nil {
				return nil, formatErr("requestedExecutionDate", "requestedExecutionDate %q is not an ISO date", text.Clip(b.RequestedExecutionDate, 20))
			}
			if d.Before(today) {
				return nil, reject(http.StatusBadRequest, "EXECUTION_DATE_INVALID", fmt.Sprintf("requestedExecutionDate %s is in the past", b.RequestedExecutionDate)).withPath("requestedExecutionDate")
			}
		}
		if b.RequestedExecutionTime != "" {
			if _, err := time.Parse(time.RFC3339, b.RequestedExecutionTime); err != nil {
				return nil, formatErr("requestedExecutionTime", "requestedExecutionTime %q is not an RFC 3339 date-time", text.Clip(b.RequestedExecutionTime, 40))
			}
		}
		for i := range b.Payments {
			el := &b.Payments[i]
			pre := fmt.Sprintf("payments[%d].", i)
			if el.DebtorAccount != nil || el.StartDate != "" || el.Frequency != "" || el.EndDate != "" || el.ExecutionRule != "" || el.DayOfExecution != "" || el.MonthsOfExecution != nil {
				return nil, formatErr(pre[:len(pre)-1], "%s is a bulk element: debtorAccount is the bulk's, and a bulk holds no periodic payment", pre[:len(pre)-1])
			}
			c, e := checkCreditor(el, pre)
			if e != nil {
				return nil, e
			}
			if el.InstructedAmount.Currency != acc.Currency {
				return nil, formatErr(pre+"instructedAmount.currency", "%sinstructedAmount.currency %s: the debtor account is held in %s", pre, el.InstructedAmount.Currency, acc.Currency)
			}
			p.Total += c
		}
		p.Bulk, p.Debtor, p.Owner = &b, acc, psu
		return p, nil
	}
	if e := refuseExecutionDate(service, body); e != nil {
		return nil, e
	}
	var b paymentBody
	what := "a payment"
	if service == "periodic-payments" {
		what = "a periodic payment"
	}
	if e := decodeBody(body, &b, what); e != nil {
		return nil, e
	}
	acc, psu, e := s.debtorOf(b.DebtorAccount)
	if e != nil {
		return nil, e
	}
	c, e := checkCreditor(&b, "")
	if e != nil {
		return nil, e
	}
	if b.InstructedAmount.Currency != acc.Currency {
		return nil, formatErr("instructedAmount.currency", "instructedAmount.currency %s: the debtor account %s is held in %s", b.InstructedAmount.Currency, acc.IBAN, acc.Currency)
	}
	if service == "periodic-payments" {
		if e := checkPeriodic(&b, today); e != nil {
			return nil, e
		}
	} else if b.StartDate != "" || b.Frequency != "" || b.EndDate != "" || b.ExecutionRule != "" || b.DayOfExecution != "" || b.MonthsOfExecution != nil {
		return nil, formatErr("", "startDate, endDate, frequency, executionRule, dayOfExecution and monthsOfExecution belong to periodic-payments, not to %s", service)
	}
	p.Single, p.Debtor, p.Owner, p.Total = &b, acc, psu, c
	return p, nil
}

// checkPeriodic validates the standing order's schedule.
func checkPeriodic(b *paymentBody, today time.Time) *apiError {
	if b.CreditorAgentName != "" {
		return formatErr("creditorAgentName", "creditorAgentName is not a field of a periodic payment")
	}
	if b.StartDate == "" {
		return formatErr("startDate", "startDate is required: the first execution's date (YYYY-MM-DD)")
	}
	start, err := time.Parse(time.DateOnly, b.StartDate)
	if err != nil {
		return formatErr("startDate", "startDate %q is not an ISO date (YYYY-MM-DD)", text.Clip(b.StartDate, 20))
	}
	if start.Before(today) {
		return reject(http.StatusBadRequest, "EXECUTION_DATE_INVALID", fmt.Sprintf("startDate %s is in the past (today is %s)", b.StartDate, today.Format(time.DateOnly))).withPath("startDate")
	}
	switch {
	case b.Frequency == "":
		return formatErr("frequency", "frequency is required: one of %s", strings.Join(frequencies, ", "))
	case !slices.Contains(frequencies, b.Frequency):
		return formatErr("frequency", "frequency %q is not one of %s", text.Clip(b.Frequency, 20), strings.Join(frequencies, ", "))
	case b.ExecutionRule != "" && b.ExecutionRule != "following" && b.ExecutionRule != "preceding":
		return formatErr("executionRule", "executionRule %q is not following or preceding", text.Clip(b.ExecutionRule, 20))
	case b.DayOfExecution != "" && !validDay(b.DayOfExecution, 31):
		return formatErr("dayOfExecution", "dayOfExecution %q is not a day of the month, \"1\" to \"31\"", text.Clip(b.DayOfExecution, 5))
	case len(b.MonthsOfExecution) > 11:
		return formatErr("monthsOfExecution", "monthsOfExecution lists %d months; at most 11", len(b.MonthsOfExecution))
	}
	for i, m := range b.MonthsOfExecution {
		if !validDay(m, 12) {
			return formatErr(fmt.Sprintf("monthsOfExecution[%d]", i), "monthsOfExecution[%d] %q is not a month, \"1\" to \"12\"", i, text.Clip(m, 5))
		}
	}
	if b.EndDate != "" {
		end, err := time.Parse(time.DateOnly, b.EndDate)
		if err != nil {
			return formatErr("endDate", "endDate %q is not an ISO date (YYYY-MM-DD)", text.Clip(b.EndDate, 20))
		}
		if end.Before(start) {
			return formatErr("endDate", "endDate %s is before startDate %s", b.EndDate, b.StartDate)
		}
	}
	return nil
}

// validDay is "1" to max, as the file's enums write them (no leading 0).
func validDay(s string, max int) bool {
	for i := 1; i <= max; i++ {
		if s == fmt.Sprint(i) {
			return true
		}
	}
	return false
}

// --- the API --------------------------------------------------------------

type paymentCreated struct {
	TransactionStatus string          `json:"transactionStatus"`
	PaymentID         string          `json:"paymentId"`
	Links             map[string]link `json:"_links"`
}

// paymentPath checks the service and product of the path.
func paymentPath(c *call) (service, product string, e *apiError) {
	service, product = strings.Split(c.r.URL.Path, "/")[2], c.r.PathValue("paymentProduct")
	if !slices.Contains(PaymentProducts, product) {
		return "", "", reject(http.StatusNotFound, CodeProductUnknown,
			fmt.Sprintf("payment product %q is not offered; this ASPSP offers %s", text.Clip(product, 60), strings.Join(PaymentProducts, ", "))).withPath("payment-product")
	}
	return service, product, nil
}

func (s *Server) paymentLinks(p *Payment, authID string) map[string]link {
	l := map[string]link{
		"scaOAuth": {Href: trimBase(s.URL) + "/.well-known/oauth-authorization-server"},
		"self":     {Href: p.path()},
		"status":   {Href: p.path() + "/status"},
	}
	if authID != "" {
		l["scaStatus"] = link{Href: p.path() + "/authorisations/" + authID}
	}
	return l
}

// initiatePayment is initiatePayment: the payment is RCVD, its
// authorisation started implicitly (scaStatus link), as for consents.
func (s *Server) initiatePayment(c *call) *apiError {
	t, e := s.clientToken(c)
	if e != nil {
		return e
	}
	service, product, e := paymentPath(c)
	if e != nil {
		return e
	}
	if c.r.Header.Get("PSU-IP-Address") == "" {
		return formatErr("PSU-IP-Address", "PSU-IP-Address header is missing; a payment initiation carries the PSU's IP address (the file makes it mandatory)")
	}
	if ct := c.r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/json") {
		return reject(http.StatusUnsupportedMediaType, CodeFormatError,
			fmt.Sprintf("Content-Type %q: this ASPSP takes payments as application/json only (no pain.001 XML, no multipart)", text.Clip(ct, 60)))
	}
	now := s.now()
	p, e := s.parsePayment(service, c.body, dateOf(now.In(s.zone)))
	if e != nil {
		return e
	}
	p.ID = "pmt-" + randomID(18)
	p.Product = product
	p.OrganizationID, p.ClientID = c.tpp.OrganizationID, t.clientID
	p.Status, p.Created = TxReceived, now
	auth := addAuth(p, now, "")
	s.store.locked(func() { c.saved.add(s.store.save(append([]any{p}, s.store.addPayment(p)...)...)) })
	h := c.w.Header()
	h.Set("Location", p.path())
	h.Set("ASPSP-SCA-Approach", "REDIRECT")
	return c.reply(http.StatusCreated, paymentCreated{TransactionStatus: p.Status, PaymentID: p.ID, Links: s.paymentLinks(p, auth.ID)})
}

// addPayment keeps p, forgetting the oldest past MaxPayments, and
// returns their deletions for the data file; call with the lock held.
func (st *store) addPayment(p *Payment) []any {
	st.payments.byID[p.ID] = p
	st.payments.order = append(st.payments.order, p.ID)
	var gone []any
	if n := len(st.payments.order); n > MaxPayments {
		for _, id := range st.payments.order[:n-MaxPayments] {
			delete(st.payments.byID, id)
			gone = append(gone, deletion{bucketPayments, id})
		}
		st.payments.order = append([]string(nil), st.payments.order[n-MaxPayments:]...)
	}
	return gone
}

// ownPayment is the path's payment of the calling TPP under the path's
// service and product: anything else is 403 RESOURCE_UNKNOWN (the file's
// 403 for a resource other than an account in the path).
func (s *Server) ownPayment(c *call) (*Payment, *apiError) {
	if _, e := s.clientToken(c); e != nil {
		return nil, e
	}
	service, product, e := paymentPath(c)
	if e != nil {
		return nil, e
	}
	id := c.r.PathValue("paymentId")
	var p *Payment
	s.store.locked(func() {
		p = s.store.payments.byID[id]
		if p != nil && !s.paymentOf(p, c.tpp) {
			p = nil
		}
	})
	if p == nil || p.Service != service || p.Product != product {
		return nil, reject(http.StatusForbidden, CodeResourceUnknown,
			fmt.Sprintf("%s %q is not a payment of this TPP", strings.TrimSuffix(service, "s"), text.Clip(id, 60))).withPath("paymentId")
	}
	return p, nil
}

// paymentOf reports a payment of tpp, as ownedBy does for consents; call
// with the lock held.
func (s *Server) paymentOf(p *Payment, tpp *TPP) bool {
	app := s.store.apps[p.ClientID]
	return p.OrganizationID == tpp.OrganizationID && app != nil && app.CA != "" && app.CA == tpp.CA
}

// paymentInfo is the answer of getPaymentInformation: the payment as
// initiated and its status (the file's ...WithStatusResponse schemas).
type paymentInfo struct {
	EndToEndIdentification            string            `json:"endToEndIdentification,omitempty"`
	DebtorAccount                     *AccountReference `json:"debtorAccount,omitempty"`
	InstructedAmount                  *Amount           `json:"instructedAmount,omitempty"`
	CreditorAccount                   *AccountReference `json:"creditorAccount,omitempty"`
	CreditorAgent                     string            `json:"creditorAgent,omitempty"`
	CreditorName                      string            `json:"creditorName,omitempty"`
	CreditorAddress                   *paymentAddress   `json:"creditorAddress,omitempty"`
	RemittanceInformationUnstructured string            `json:"remittanceInformationUnstructured,omitempty"`
	StartDate                         string            `json:"startDate,omitempty"`
	EndDate                           string            `json:"endDate,omitempty"`
	ExecutionRule                     string            `json:"executionRule,omitempty"`
	Frequency                         string            `json:"frequency,omitempty"`
	DayOfExecution                    string            `json:"dayOfExecution,omitempty"`
	BatchBookingPreferred             *bool             `json:"batchBookingPreferred,omitempty"`
	RequestedExecutionDate            string            `json:"requestedExecutionDate,omitempty"`
	Payments                          []paymentBody     `json:"payments,omitempty"`
	TransactionStatus                 string            `json:"transactionStatus"`
}

func (s *Server) getPayment(c *call) *apiError {
	p, e := s.ownPayment(c)
	if e != nil {
		return e
	}
	var info paymentInfo
	s.store.locked(func() {
		info.TransactionStatus = p.Status
		if b := p.Bulk; b != nil {
			info.DebtorAccount, info.BatchBookingPreferred, info.RequestedExecutionDate, info.Payments = b.DebtorAccount, b.BatchBookingPreferred, b.RequestedExecutionDate, b.Payments
			return
		}
		b := p.Single
		info.EndToEndIdentification, info.DebtorAccount, info.InstructedAmount, info.CreditorAccount = b.EndToEndIdentification, b.DebtorAccount, b.InstructedAmount, b.CreditorAccount
		info.CreditorAgent, info.CreditorName, info.CreditorAddress, info.RemittanceInformationUnstructured = b.CreditorAgent, b.CreditorName, b.CreditorAddress, b.RemittanceInformationUnstructured
		info.StartDate, info.EndDate, info.ExecutionRule, info.Frequency, info.DayOfExecution = b.StartDate, b.EndDate, b.ExecutionRule, b.Frequency, b.DayOfExecution
	})
	return c.reply(http.StatusOK, info)
}

type paymentStatus struct {
	TransactionStatus string          `json:"transactionStatus"`
	FundsAvailable    *bool           `json:"fundsAvailable,omitempty"`
	PSUMessage        string          `json:"psuMessage,omitempty"`
	Links             map[string]link `json:"_links,omitempty"`
}

func (s *Server) paymentStatus(c *call) *apiError {
	p, e := s.ownPayment(c)
	if e != nil {
		return e
	}
	var st paymentStatus
	s.store.locked(func() {
		st.TransactionStatus, st.PSUMessage = p.Status, p.Reason
		if p.NoFunds {
			f := false
			st.FundsAvailable = &f
		}
	})
	return c.reply(http.StatusOK, st)
}

// cancelPayment is cancelPayment: a payment not yet authorised (RCVD) is
// cancelled at once (204, CANC); one authorised but not executed (a
// standing order, ACTC) only once the PSU authorises the cancellation
// (202, paycancel.go); a payment in a final status cannot be (405
// CANCELLATION_INVALID, the file's code).
func (s *Server) cancelPayment(c *call) *apiError {
	p, e := s.ownPayment(c)
	if e != nil {
		return e
	}
	var was string
	var ask bool
	s.store.locked(func() {
		switch {
		case p.Status == TxReceived:
			p.Status = TxCancelled
			p.Reason = "cancelled by the TPP"
			c.saved.add(s.store.save(p))
		case p.pending():
			ask = true
		default:
			was = p.Status
		}
	})
	if ask {
		return s.askCancellation(c, p)
	}
	if was != "" {
		// RFC 9110 15.5.6: a 405 lists what the resource allows now.
		c.w.Header().Set("Allow", "GET")
		return reject(http.StatusMethodNotAllowed, CodeCancellationInvalid,
			fmt.Sprintf("payment %q is %s (final): it can no longer be cancelled; a payment is cancelled before the PSU authorises it (RCVD), or with the PSU's authorisation before the bank executes it (ACTC)", p.ID, was))
	}
	if e := c.committed(); e != nil {
		return e
	}
	c.w.Header().Set("X-Request-ID", c.rid)
	c.w.WriteHeader(http.StatusNoContent)
	return nil
}

// paymentHolder is the path's payment as an authHolder.
func (s *Server) paymentHolder(c *call) (*authHolder, *apiError) {
	p, e := s.ownPayment(c)
	if e != nil {
		return nil, e
	}
	return &authHolder{x: p, what: fmt.Sprintf("payment %q", p.ID), base: p.path() + "/authorisations",
		status: func() string { return p.Status }, awaiting: "only a payment in status RCVD is authorised"}, nil
}

// signingBaskets answers every signing-basket operation: the file lets an
// ASPSP not offer them (405 SERVICE_INVALID, the file's 405 code for
// them).
func (s *Server) signingBaskets(c *call) *apiError {
	// An empty Allow: the resource allows no method (RFC 9110 10.2.1).
	c.w.Header().Set("Allow", "")
	return reject(http.StatusMethodNotAllowed, CodeServiceInvalid,
		"signing baskets are not supported by this ASPSP: initiate and authorise each payment (or a bulk-payments) on its own")
}

// --- execution --------------------------------------------------------------

// ledger is what executed payments booked on an account, beside its
// generated history.
type ledger struct {
	mu      sync.Mutex
	entries []AccountTransaction
}

func (l *ledger) add(t AccountTransaction) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.entries = append(l.entries, t)
}

// between are the entries booked from first to last (dates), newest first.
func (l *ledger) between(first, last time.Time) []AccountTransaction {
	if l == nil {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []AccountTransaction
	for i := len(l.entries) - 1; i >= 0; i-- {
		t := l.entries[i]
		d, _ := time.Parse(time.DateOnly, t.BookingDate)
		if !d.Before(first) && !d.After(last) {
			out = append(out, t)
		}
	}
	return out
}

// sum is the total of the entries.
func (l *ledger) sum() int64 {
	if l == nil {
		return 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	var n int64
	for _, t := range l.entries {
		n += parseCents(t.TransactionAmount.Amount)
	}
	return n
}

// available is the account's interimAvailable balance in cents.
func (a *PaymentAccount) available(now time.Time) int64 {
	for _, b := range a.Balances(now) {
		if b.BalanceType == "interimAvailable" {
			return parseCents(b.BalanceAmount.Amount)
		}
	}
	return 0
}

// execute runs a payment the PSU approved: ACTC, then the debit booked
// and ACSC (ACCC for instant), or RJCT when the available balance does not
// cover it. A standing order or a bulk dated later stays ACTC, executed
// when due (paysched.go). Call with the store's lock held
// (the ledger has its own).
func (s *Server) execute(p *Payment, now time.Time) {
	p.Status = TxAccepted
	if s.scheduled(p, now) {
		return
	}
	local := now.In(s.zone)
	if avail := p.Debtor.available(local); avail < p.Total {
		p.Status, p.NoFunds = TxRejected, true
		p.Reason = fmt.Sprintf("Insufficient funds: the available balance of %s is %s, the payment %s", p.Debtor.IBAN,
			cents(p.Debtor.Currency, avail).Amount, cents(p.Debtor.Currency, p.Total).Amount)
		return
	}
	p.Executed = now
	s.book(p)
	p.Status = TxSettled
	if p.Product == "instant-sepa-credit-transfers" {
		p.Status = TxCredited
	}
}

// describePayment is what the PSU's page shows of p.
type paymentLine struct {
	Amount, Currency, CreditorName, CreditorIBAN, Remittance string
}

func describePayment(p *Payment) []paymentLine {
	line := func(b *paymentBody) paymentLine {
		return paymentLine{Amount: b.InstructedAmount.Amount, Currency: b.InstructedAmount.Currency, CreditorName: b.CreditorName,
			CreditorIBAN: b.CreditorAccount.IBAN, Remittance: b.RemittanceInformationUnstructured}
	}
	if p.Bulk != nil {
		var out []paymentLine
		for i := range p.Bulk.Payments {
			out = append(out, line(&p.Bulk.Payments[i]))
		}
		return out
	}
	return []paymentLine{line(p.Single)}
}

// book debits what p pays on its debtor's account, on the day it was
// executed (p.Executed): at execution, and again when the data file is
// read. Call with the store's lock held (the ledger has its own).
func (s *Server) book(p *Payment) {
	local := p.Executed.In(s.zone)
	// A standing order's instalment is coded as one (ISO 20022 bank
	// transaction code PMNT-ICDT-STDO), as the generated history's rent
	// is: written so at once, a reader never sees another code.
	code := "PMNT-ICDT-ESCT"
	if p.Service == "periodic-payments" {
		code = "PMNT-ICDT-STDO"
	}
	// book debits one entry; a batch entry (iban "") has no one creditor
	// account.
	book := func(i int, amount int64, creditor, iban, e2e, text string) {
		date := local.Format(time.DateOnly)
		t := AccountTransaction{
			TransactionID:  fmt.Sprintf("%s-%s-%s-%d", p.Debtor.ResourceID, local.Format("20060102"), p.ID, i+1),
			EntryReference: p.ID, EndToEndID: e2e, BookingDate: date, ValueDate: date,
			TransactionAmount: cents(p.Debtor.Currency, -amount), CreditorName: creditor,
			RemittanceInformationUnstructured: text, BankTransactionCode: code, booked: true,
		}
		if iban != "" {
			t.CreditorAccount = &AccountReference{IBAN: iban}
		}
		p.Debtor.ledger.add(t)
	}
	one := func(i int, b *paymentBody) {
		book(i, parseCents(b.InstructedAmount.Amount), b.CreditorName, b.CreditorAccount.IBAN, b.EndToEndIdentification, b.RemittanceInformationUnstructured)
	}
	switch {
	case p.Bulk != nil && p.Bulk.BatchBookingPreferred != nil && *p.Bulk.BatchBookingPreferred:
		// Batch booking (the file's batchBookingPreferred): one entry of
		// the sum on the debtor's account.
		book(0, p.Total, fmt.Sprintf("Bulk of %d payments", len(p.Bulk.Payments)), "", "", "Bulk "+p.ID)
	case p.Bulk != nil:
		for i := range p.Bulk.Payments {
			one(i, &p.Bulk.Payments[i])
		}
	default:
		one(0, p.Single)
	}
}
