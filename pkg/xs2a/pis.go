package xs2a

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/xs2a-dev/xs2a/pkg/termsafe"
)

// Payment initiation (PIS) as the file's /v1/{payment-service}/{payment-product}
// paths shape it, JSON products only. The TPP's client-credentials token
// authenticates these calls, as it does consent management; the PSU
// authorises the payment through OAuth (scope PIS:<paymentId>).

// PaymentServices are the file's payment services.
var PaymentServices = []string{"payments", "periodic-payments", "bulk-payments"}

// PaymentProducts are the file's JSON payment products (the pain.001
// ones take XML, which xs2a does not build).
var PaymentProducts = []string{"sepa-credit-transfers", "instant-sepa-credit-transfers", "target-2-payments", "cross-border-credit-transfers"}

// FinalStatuses are the transaction statuses after which a payment does
// not move, by the file's descriptions: settlement completed on the
// creditor's (ACCC) or the debtor's (ACSC) account, accepted without
// posting (ACWP), rejected (RJCT), cancelled (CANC).
var FinalStatuses = []string{"ACCC", "ACSC", "ACWP", "RJCT", "CANC"}

// FinalStatus reports a transaction status after which the payment does not move.
func FinalStatus(s string) bool { return slices.Contains(FinalStatuses, s) }

// StandingOrderRunning are the statuses in which a standing order
// (periodic-payments) is accepted and runs on its schedule, or a bulk is
// accepted and waits for its execution (a requestedExecutionDate, a
// batch): a bank keeps it there while its instalments or its date follow,
// so no read shows it final soon.
var StandingOrderRunning = []string{"ACTC", "ACSP", "ACWP"}

// scheduled are the services whose accepted payment runs on a schedule
// of its own (StandingOrderRunning).
func scheduled(service string) bool {
	return service == "periodic-payments" || service == "bulk-payments"
}

// WaitOver reports whether waiting for a payment of service (payments,
// periodic-payments, bulk-payments) in transaction status is over: a
// final status (FinalStatus) for every service and, for a standing order
// or a bulk, also StandingOrderRunning: accepted, executed on its schedule
// or date, and no read will show it final before then. `xs2a payment
// status --wait` and the flow's payment step stop on it.
func WaitOver(service, status string) bool {
	return FinalStatus(status) || scheduled(service) && slices.Contains(StandingOrderRunning, status)
}

// acceptedStatuses are the file's statuses of a payment the bank has
// executed or accepted for execution: settled (ACCC, ACSC), accepted
// without posting (ACWP), in settlement (ACSP), with a change (ACWC),
// after the customer profile (ACCP) or funds check (ACFC).
var acceptedStatuses = []string{"ACCC", "ACSC", "ACWP", "ACSP", "ACWC", "ACCP", "ACFC"}

// PaymentAccepted reports a payment of service in status the bank has
// executed or accepted for execution (for a standing order or a bulk:
// accepted, its instalments or date to follow, ACTC too). RJCT and CANC are PaymentRefused;
// the others (RCVD, PDNG, PATC, PART, a single payment's ACTC) are
// neither yet.
func PaymentAccepted(service, status string) bool {
	return slices.Contains(acceptedStatuses, status) || scheduled(service) && slices.Contains(StandingOrderRunning, status)
}

// PaymentRefused reports a payment rejected (RJCT) or cancelled (CANC):
// it will not be executed.
func PaymentRefused(status string) bool { return status == "RJCT" || status == "CANC" }

// CheckPaymentPath refuses a service or product the file does not have
// (or xs2a does not build), naming the ones it does.
func CheckPaymentPath(service, product string) error {
	if !slices.Contains(PaymentServices, service) {
		return fmt.Errorf("unknown payment service %q (want %s)", service, strings.Join(PaymentServices, ", "))
	}
	if strings.HasPrefix(product, "pain.001-") {
		return fmt.Errorf("payment product %q: XML (pain.001) products are not supported by xs2a; use a JSON product (%s)", product, strings.Join(PaymentProducts, ", "))
	}
	if !slices.Contains(PaymentProducts, product) {
		return fmt.Errorf("unknown payment product %q (want %s)", product, strings.Join(PaymentProducts, ", "))
	}
	return nil
}

// PaymentRequest is the file's paymentInitiation_json: the body of a
// single payment (service payments).
type PaymentRequest struct {
	EndToEndIdentification            string           `json:"endToEndIdentification,omitempty"`
	DebtorAccount                     AccountReference `json:"debtorAccount"`
	InstructedAmount                  Amount           `json:"instructedAmount"`
	CreditorAccount                   AccountReference `json:"creditorAccount"`
	CreditorAgent                     string           `json:"creditorAgent,omitempty"`
	CreditorName                      string           `json:"creditorName"`
	RemittanceInformationUnstructured string           `json:"remittanceInformationUnstructured,omitempty"`
}

// PeriodicPaymentRequest is the file's periodicPaymentInitiation_json (a
// standing order): a payment with its schedule.
type PeriodicPaymentRequest struct {
	PaymentRequest
	StartDate string `json:"startDate"`
	EndDate   string `json:"endDate,omitempty"`
	// ExecutionRule: following | preceding.
	ExecutionRule string `json:"executionRule,omitempty"`
	// Frequency: the file's frequencyCode (Daily, Weekly, Monthly, ...).
	Frequency string `json:"frequency"`
	// DayOfExecution: "1" to "31", no leading zero.
	DayOfExecution string `json:"dayOfExecution,omitempty"`
}

// BulkPayment is one of a bulk's payments (paymentInitiationBulkElement_json):
// the debtor account is the bulk's.
type BulkPayment struct {
	EndToEndIdentification            string           `json:"endToEndIdentification,omitempty"`
	InstructedAmount                  Amount           `json:"instructedAmount"`
	CreditorAccount                   AccountReference `json:"creditorAccount"`
	CreditorAgent                     string           `json:"creditorAgent,omitempty"`
	CreditorName                      string           `json:"creditorName"`
	RemittanceInformationUnstructured string           `json:"remittanceInformationUnstructured,omitempty"`
}

// BulkPaymentRequest is the file's bulkPaymentInitiation_json.
type BulkPaymentRequest struct {
	BatchBookingPreferred  *bool            `json:"batchBookingPreferred,omitempty"`
	DebtorAccount          AccountReference `json:"debtorAccount"`
	RequestedExecutionDate string           `json:"requestedExecutionDate,omitempty"`
	Payments               []BulkPayment    `json:"payments"`
}

// PaymentInitiated is the 201 answer to a payment initiation.
type PaymentInitiated struct {
	TransactionStatus       string          `json:"transactionStatus"`
	PaymentID               string          `json:"paymentId"`
	TransactionFeeIndicator *bool           `json:"transactionFeeIndicator,omitempty"`
	PSUMessage              string          `json:"psuMessage,omitempty"`
	Links                   map[string]Link `json:"_links"`
	// SCAApproach is the ASPSP-SCA-Approach header, Location the
	// payment's resource.
	SCAApproach string `json:"-"`
	Location    string `json:"-"`
	RequestID   string `json:"-"`
	// PSUIPAddress is the PSU-IP-Address the request carried.
	PSUIPAddress string `json:"-"`
	// Body is the answer as the bank wrote it.
	Body json.RawMessage `json:"-"`
}

// PaymentStatus is GET .../{paymentId}/status.
type PaymentStatus struct {
	TransactionStatus string          `json:"transactionStatus"`
	FundsAvailable    *bool           `json:"fundsAvailable,omitempty"`
	PSUMessage        string          `json:"psuMessage,omitempty"`
	Links             map[string]Link `json:"_links,omitempty"`
	Body              json.RawMessage `json:"-"`
}

// Payment is GET .../{paymentId}: what the bank holds of the payment. The
// fields xs2a prints are typed (a single or periodic payment's; a bulk's
// payments stay in Body).
type Payment struct {
	TransactionStatus                 string            `json:"transactionStatus,omitempty"`
	DebtorAccount                     *AccountReference `json:"debtorAccount,omitempty"`
	InstructedAmount                  *Amount           `json:"instructedAmount,omitempty"`
	CreditorAccount                   *AccountReference `json:"creditorAccount,omitempty"`
	CreditorName                      string            `json:"creditorName,omitempty"`
	RemittanceInformationUnstructured string            `json:"remittanceInformationUnstructured,omitempty"`
	StartDate                         string            `json:"startDate,omitempty"`
	EndDate                           string            `json:"endDate,omitempty"`
	Frequency                         string            `json:"frequency,omitempty"`
	DayOfExecution                    string            `json:"dayOfExecution,omitempty"`
	ExecutionRule                     string            `json:"executionRule,omitempty"`
	Payments                          []BulkPayment     `json:"payments,omitempty"`
	Body                              json.RawMessage   `json:"-"`
}

// PaymentCancelled is the answer to DELETE .../{paymentId}: 204 (cancelled,
// no authorisation needed: Status "" and no links) or 202 with the status
// and the link to start the cancellation's authorisation.
type PaymentCancelled struct {
	HTTPStatus        int             `json:"-"`
	TransactionStatus string          `json:"transactionStatus,omitempty"`
	Links             map[string]Link `json:"_links,omitempty"`
	Body              json.RawMessage `json:"-"`
}

// NeedsAuthorisation reports a cancellation the PSU must authorise.
func (p *PaymentCancelled) NeedsAuthorisation() bool {
	return p.HTTPStatus == http.StatusAccepted && p.Links["startAuthorisation"].Href != ""
}

// Authorisation is the 201 answer starting an authorisation
// (startScaprocessResponse), e.g. a cancellation's.
type Authorisation struct {
	SCAStatus       string          `json:"scaStatus"`
	AuthorisationID string          `json:"authorisationId"`
	PSUMessage      string          `json:"psuMessage,omitempty"`
	Links           map[string]Link `json:"_links"`
	Body            json.RawMessage `json:"-"`
}

// CheckPaymentID refuses a payment id that cannot be one segment of a
// path. Escaping makes any other id one segment ("/", "?", "#" and "%"
// are percent-encoded), but "." and ".." stay dot segments, which the
// bank, or any proxy on the way, removes (RFC 3986 §5.2.4, and §2.3 makes
// %2E the same "."): GET .../sepa-credit-transfers/../status would read
// another resource, and DELETE .../sepa-credit-transfers/.. delete one.
func CheckPaymentID(id string) error {
	switch id {
	case "":
		return fmt.Errorf("the payment id is empty")
	case ".", "..":
		return fmt.Errorf("payment id %q cannot be a path segment: a URL's dot segments are removed on the way (RFC 3986 §5.2.4), so the request would go to another resource", id)
	}
	return nil
}

// paymentPath is the path of a payment (id "": of the service and
// product), each part one escaped segment.
func paymentPath(service, product, id string) string {
	p := "/" + url.PathEscape(service) + "/" + url.PathEscape(product)
	if id != "" {
		p += "/" + url.PathEscape(id)
	}
	return p
}

// paymentIDPath is paymentPath for an id, refused by CheckPaymentID.
func paymentIDPath(service, product, id string) (string, error) {
	if err := CheckPaymentID(id); err != nil {
		return "", err
	}
	return paymentPath(service, product, id), nil
}

// InitiatePayment posts a payment (body: one of the request types above,
// marshalled, or a body of the caller's) with the client-credentials token
// and PSU-IP-Address, mandatory there (Client.PSUIPAddress, else the local
// address of the connection).
func (c *Client) InitiatePayment(ctx context.Context, token, service, product string, body []byte) (*PaymentInitiated, error) {
	if err := CheckPaymentPath(service, product); err != nil {
		return nil, err
	}
	var out PaymentInitiated
	resp, err := c.call(ctx, Request{Method: http.MethodPost, Path: paymentPath(service, product, ""), Token: token, Body: body, APIKey: true, PSUIPRequired: true}, http.StatusCreated, &out)
	if err != nil {
		return nil, err
	}
	if out.PaymentID == "" {
		return nil, fmt.Errorf("the answer to POST %s has no paymentId", paymentPath(service, product, ""))
	}
	if err := CheckPaymentID(out.PaymentID); err != nil {
		// Not remembered: every later command would address another resource.
		return nil, fmt.Errorf("the answer to POST %s has an unusable paymentId: %v", paymentPath(service, product, ""), err)
	}
	out.SCAApproach, out.Location = resp.Header.Get("ASPSP-SCA-Approach"), resp.Header.Get("Location")
	out.RequestID, out.PSUIPAddress, out.Body = resp.RequestID, resp.PSUIPAddress, resp.Body
	return &out, nil
}

// GetPayment reads a payment.
func (c *Client) GetPayment(ctx context.Context, token, service, product, id string) (*Payment, error) {
	path, err := paymentIDPath(service, product, id)
	if err != nil {
		return nil, err
	}
	var out Payment
	resp, err := c.call(ctx, Request{Method: http.MethodGet, Path: path, Token: token, APIKey: true, PSUIP: true}, http.StatusOK, &out)
	if err != nil {
		return nil, err
	}
	out.Body = resp.Body
	return &out, nil
}

// PaymentStatus reads a payment's transaction status.
func (c *Client) PaymentStatus(ctx context.Context, token, service, product, id string) (*PaymentStatus, error) {
	path, err := paymentIDPath(service, product, id)
	if err != nil {
		return nil, err
	}
	var out PaymentStatus
	resp, err := c.call(ctx, Request{Method: http.MethodGet, Path: path + "/status", Token: token, APIKey: true, PSUIP: true}, http.StatusOK, &out)
	if err != nil {
		return nil, err
	}
	if out.TransactionStatus == "" {
		// The file requires it; an empty one is no status to wait on.
		return nil, fmt.Errorf("the answer to GET %s/status has no transactionStatus", termsafe.Line(path))
	}
	out.Body = resp.Body
	return &out, nil
}

// CancelPayment asks the bank to cancel a payment (DELETE): 204 it is
// cancelled, 202 the PSU must authorise the cancellation
// (NeedsAuthorisation, then StartCancellationAuthorisation).
func (c *Client) CancelPayment(ctx context.Context, token, service, product, id string) (*PaymentCancelled, error) {
	path, err := paymentIDPath(service, product, id)
	if err != nil {
		return nil, err
	}
	r := Request{Method: http.MethodDelete, Path: path, Token: token, APIKey: true, PSUIP: true}
	resp, err := c.Do(ctx, r)
	if err != nil {
		return nil, err
	}
	out := &PaymentCancelled{HTTPStatus: resp.Status, Body: resp.Body}
	switch resp.Status {
	case http.StatusNoContent:
		out.TransactionStatus = "CANC"
		return out, nil
	case http.StatusAccepted:
		if err := json.Unmarshal(resp.Body, out); err != nil {
			return nil, fmt.Errorf("the answer to DELETE %s is not the expected JSON: %v", r.Path, err)
		}
		return out, nil
	}
	return nil, resp.Error(token, c.APIKey)
}

// StartCancellationAuthorisation starts the authorisation of a
// cancellation (POST .../cancellation-authorisations), by the link the
// DELETE answer gave (on an origin the profile names) or, link "", the
// file's path. The body is empty JSON: the PSU is identified at the bank
// (OAuth), not here.
func (c *Client) StartCancellationAuthorisation(ctx context.Context, token, service, product, id, link string) (*Authorisation, error) {
	path := link
	if path == "" {
		p, err := paymentIDPath(service, product, id)
		if err != nil {
			return nil, err
		}
		path = p + "/cancellation-authorisations"
	}
	var out Authorisation
	resp, err := c.call(ctx, Request{Method: http.MethodPost, Path: path, Token: token, Body: []byte("{}"), APIKey: true, PSUIP: true}, http.StatusCreated, &out)
	if err != nil {
		return nil, err
	}
	out.Body = resp.Body
	return &out, nil
}
