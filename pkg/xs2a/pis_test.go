package xs2a_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/xs2a-dev/xs2a/pkg/spec"
	"github.com/xs2a-dev/xs2a/pkg/xs2a"
)

// pisBank is a fake ASPSP for payment initiation, answering in the file's
// shapes (the gate checks them): a payment is RCVD when initiated, and each
// status read moves it on (RCVD → ACTC → ACSC) so polling is seen to end;
// DELETE cancels a RCVD payment at once (204) and asks for an
// authorisation of the cancellation (202, _links.startAuthorisation) once
// it is ACTC or later.
type pisBank struct {
	srv *httptest.Server

	mu       sync.Mutex
	payments map[string]*pisPayment
	n        int
}

type pisPayment struct {
	service, product, status string
	body                     map[string]any
}

func newPISBank(t *testing.T) *pisBank {
	t.Helper()
	b := &pisBank{payments: map[string]*pisPayment{}}
	b.srv = httptest.NewTLSServer(http.HandlerFunc(b.serve))
	t.Cleanup(b.srv.Close)
	return b
}

func (b *pisBank) setStatus(id, status string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.payments[id].status = status
}

func (b *pisBank) serve(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Request-ID", r.Header.Get("X-Request-ID"))
	w.Header().Set("Content-Type", "application/json")
	answer := func(code int, v any) {
		w.WriteHeader(code)
		_ = json.NewEncoder(w).Encode(v)
	}
	fail := func(code int, msg string) {
		answer(code, map[string]any{"tppMessages": []map[string]string{{"category": "ERROR", "code": msg}}})
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	segs := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	if len(segs) < 3 || segs[0] != "v1" {
		fail(http.StatusNotFound, "RESOURCE_UNKNOWN")
		return
	}
	base := "/" + strings.Join(segs[:3], "/")
	if len(segs) == 3 && r.Method == http.MethodPost {
		var body map[string]any
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			fail(http.StatusBadRequest, "FORMAT_ERROR")
			return
		}
		b.n++
		id := fmt.Sprintf("pay-%d", b.n)
		b.payments[id] = &pisPayment{service: segs[1], product: segs[2], status: "RCVD", body: body}
		self := base + "/" + id
		w.Header().Set("ASPSP-SCA-Approach", "REDIRECT")
		w.Header().Set("Location", self)
		answer(http.StatusCreated, map[string]any{"transactionStatus": "RCVD", "paymentId": id,
			"_links": map[string]any{"scaOAuth": map[string]string{"href": b.srv.URL + "/.well-known/oauth-authorization-server"},
				"self": map[string]string{"href": self}, "status": map[string]string{"href": self + "/status"}}})
		return
	}
	p := b.payments[segs[3]]
	if len(segs) < 4 || p == nil || p.service != segs[1] || p.product != segs[2] {
		fail(http.StatusForbidden, "RESOURCE_UNKNOWN")
		return
	}
	id := segs[3]
	switch {
	case len(segs) == 4 && r.Method == http.MethodGet:
		out := map[string]any{"transactionStatus": p.status}
		for k, v := range p.body {
			out[k] = v
		}
		answer(http.StatusOK, out)
	case len(segs) == 5 && segs[4] == "status" && r.Method == http.MethodGet:
		st := p.status
		switch p.status {
		case "RCVD":
			p.status = "ACTC"
		case "ACTC":
			p.status = "ACSC"
		}
		answer(http.StatusOK, map[string]any{"transactionStatus": st})
	case len(segs) == 4 && r.Method == http.MethodDelete:
		if p.status == "RCVD" {
			p.status = "CANC"
			w.WriteHeader(http.StatusNoContent)
			return
		}
		answer(http.StatusAccepted, map[string]any{"transactionStatus": p.status,
			"_links": map[string]any{"startAuthorisation": map[string]string{"href": base + "/" + id + "/cancellation-authorisations"}}})
	case len(segs) == 5 && segs[4] == "cancellation-authorisations" && r.Method == http.MethodPost:
		self := base + "/" + id + "/cancellation-authorisations/auth-1"
		answer(http.StatusCreated, map[string]any{"scaStatus": "received", "authorisationId": "auth-1",
			"_links": map[string]any{"scaOAuth": map[string]string{"href": b.srv.URL + "/.well-known/oauth-authorization-server"},
				"self": map[string]string{"href": self}, "scaStatus": map[string]string{"href": self}}})
	case len(segs) == 5 && segs[4] == "cancellation-authorisations" && r.Method == http.MethodGet:
		answer(http.StatusOK, map[string]any{"authorisationIds": []string{"auth-1"}})
	case len(segs) == 6 && segs[4] == "cancellation-authorisations" && segs[5] == "auth-1" && r.Method == http.MethodGet:
		answer(http.StatusOK, map[string]any{"scaStatus": "finalised"})
	default:
		fail(http.StatusMethodNotAllowed, "SERVICE_INVALID")
	}
}

func (b *pisBank) client(t *testing.T, gate func(http.RoundTripper) http.RoundTripper) *xs2a.Client {
	t.Helper()
	c := (&payBank{srv: b.srv}).client(t, gate)
	c.PSUIPAddress = "" // the initiation finds the connection's address
	return c
}

const (
	pisDebtor   = "DE89370400440532013000"
	pisCreditor = "DE67100100101306118605"
)

func sct() xs2a.PaymentRequest {
	return xs2a.PaymentRequest{DebtorAccount: xs2a.AccountReference{IBAN: pisDebtor}, InstructedAmount: xs2a.Amount{Currency: "EUR", Amount: "12.34"},
		CreditorAccount: xs2a.AccountReference{IBAN: pisCreditor}, CreditorName: "John Miles", RemittanceInformationUnstructured: "Ref 42"}
}

// TestPaymentRequestsMatchTheOpenAPIFile: every PIS operation xs2a sends
// (initiate for the three services and the four JSON products, get,
// status, cancel without and with the cancellation's authorisation),
// validated against the file, requests and answers.
func TestPaymentRequestsMatchTheOpenAPIFile(t *testing.T) {
	doc := spec.Load(t)
	b := newPISBank(t)
	var gate *specGate
	c := b.client(t, func(base http.RoundTripper) http.RoundTripper {
		gate = newSpecGate(t, doc, b.srv.URL, base)
		gate.answers = true
		return gate
	})
	ctx := context.Background()
	const tok = "client-token"
	marshal := func(v any) []byte {
		body, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return body
	}

	var single *xs2a.PaymentInitiated
	for _, product := range xs2a.PaymentProducts {
		p, err := c.InitiatePayment(ctx, tok, "payments", product, marshal(sct()))
		if err != nil {
			t.Fatalf("%s: %v", product, err)
		}
		if p.TransactionStatus != "RCVD" || p.PaymentID == "" || p.SCAApproach != "REDIRECT" || p.Links["scaOAuth"].Href == "" || p.PSUIPAddress != "127.0.0.1" {
			t.Errorf("payments/%s initiated: %+v", product, p)
		}
		if single == nil {
			single = p
		}
	}
	yes := true
	periodic := xs2a.PeriodicPaymentRequest{PaymentRequest: sct(), StartDate: "2027-01-01", EndDate: "2027-12-31",
		Frequency: "Monthly", ExecutionRule: "following", DayOfExecution: "1"}
	per, err := c.InitiatePayment(ctx, tok, "periodic-payments", "sepa-credit-transfers", marshal(periodic))
	if err != nil {
		t.Fatal(err)
	}
	bulk := xs2a.BulkPaymentRequest{BatchBookingPreferred: &yes, DebtorAccount: xs2a.AccountReference{IBAN: pisDebtor},
		Payments: []xs2a.BulkPayment{{InstructedAmount: xs2a.Amount{Currency: "EUR", Amount: "1.00"}, CreditorAccount: xs2a.AccountReference{IBAN: pisCreditor}, CreditorName: "A"},
			{InstructedAmount: xs2a.Amount{Currency: "EUR", Amount: "2.50"}, CreditorAccount: xs2a.AccountReference{IBAN: pisCreditor}, CreditorName: "B"}}}
	bk, err := c.InitiatePayment(ctx, tok, "bulk-payments", "sepa-credit-transfers", marshal(bulk))
	if err != nil {
		t.Fatal(err)
	}

	c.PSUIPAddress = "192.0.2.1"
	got, err := c.GetPayment(ctx, tok, "payments", "sepa-credit-transfers", single.PaymentID)
	if err != nil || got.TransactionStatus != "RCVD" || got.InstructedAmount == nil || got.InstructedAmount.Amount != "12.34" || got.CreditorName != "John Miles" {
		t.Errorf("get payment %+v %v", got, err)
	}
	if g, err := c.GetPayment(ctx, tok, "periodic-payments", "sepa-credit-transfers", per.PaymentID); err != nil || g.Frequency != "Monthly" {
		t.Errorf("get periodic %+v %v", g, err)
	}
	if g, err := c.GetPayment(ctx, tok, "bulk-payments", "sepa-credit-transfers", bk.PaymentID); err != nil || len(g.Payments) != 2 {
		t.Errorf("get bulk %+v %v", g, err)
	}
	for _, want := range []string{"RCVD", "ACTC", "ACSC"} {
		st, err := c.PaymentStatus(ctx, tok, "payments", "sepa-credit-transfers", single.PaymentID)
		if err != nil || st.TransactionStatus != want {
			t.Fatalf("status %+v %v, want %s", st, err, want)
		}
	}
	if !xs2a.FinalStatus("ACSC") || xs2a.FinalStatus("ACTC") {
		t.Error("FinalStatus")
	}
	// Cancelled before authorisation: 204.
	cn, err := c.CancelPayment(ctx, tok, "periodic-payments", "sepa-credit-transfers", per.PaymentID)
	if err != nil || cn.HTTPStatus != http.StatusNoContent || cn.NeedsAuthorisation() || cn.TransactionStatus != "CANC" {
		t.Errorf("cancel before authorisation %+v %v", cn, err)
	}
	// Authorised: the bank asks for the cancellation's authorisation.
	b.setStatus(bk.PaymentID, "ACTC")
	cn, err = c.CancelPayment(ctx, tok, "bulk-payments", "sepa-credit-transfers", bk.PaymentID)
	if err != nil || !cn.NeedsAuthorisation() {
		t.Fatalf("cancel after authorisation %+v %v", cn, err)
	}
	auth, err := c.StartCancellationAuthorisation(ctx, tok, "bulk-payments", "sepa-credit-transfers", bk.PaymentID, cn.Links["startAuthorisation"].Href)
	if err != nil || auth.AuthorisationID != "auth-1" || auth.SCAStatus != "received" || auth.Links["scaOAuth"].Href == "" {
		t.Errorf("cancellation authorisation %+v %v", auth, err)
	}
	if ids, _, err := c.CancellationAuthorisations(ctx, tok, "bulk-payments", "sepa-credit-transfers", bk.PaymentID); err != nil || len(ids) != 1 || ids[0] != "auth-1" {
		t.Errorf("cancellation authorisations %v %v", ids, err)
	}
	if st, _, err := c.CancellationSCAStatus(ctx, tok, "bulk-payments", "sepa-credit-transfers", bk.PaymentID, "auth-1"); err != nil || st != "finalised" {
		t.Errorf("cancellation scaStatus %q %v", st, err)
	}
	// An unknown payment is the bank's error, with its code.
	_, err = c.PaymentStatus(ctx, tok, "payments", "sepa-credit-transfers", "pay-none")
	var ae *xs2a.APIError
	if !errors.As(err, &ae) || !ae.HasCode("RESOURCE_UNKNOWN") {
		t.Errorf("unknown payment: %v", err)
	}
	if _, err := c.InitiatePayment(ctx, tok, "payments", "sepa-credit-transfer", nil); err == nil || !strings.Contains(err.Error(), "unknown payment product") {
		t.Errorf("unknown product: %v", err)
	}

	gate.mu.Lock()
	defer gate.mu.Unlock()
	for _, f := range gate.findings {
		if strings.Contains(f, "pay-none") {
			continue // the error answer is checked as the bank's
		}
		t.Errorf("does not conform: %s", f)
	}
	want := map[string]int{"initiatePayment": 6, "getPaymentInformation": 3, "getPaymentInitiationStatus": 4,
		"cancelPayment": 2, "startPaymentInitiationCancellationAuthorisation": 1,
		"getPaymentInitiationCancellationAuthorisationInformation": 1, "getPaymentCancellationScaStatus": 1}
	for op, n := range want {
		if gate.seen[op] != n {
			t.Errorf("%s: %d request(s) validated; want %d (seen %v)", op, gate.seen[op], n, gate.seen)
		}
	}

	t.Run("broken requests are caught", func(t *testing.T) {
		post := gate.first["initiatePayment"]
		if post == nil {
			t.Fatal("no recorded initiation")
		}
		for name, edit := range map[string]func(r *http.Request, b []byte) []byte{
			"PSU-IP-Address missing": func(r *http.Request, b []byte) []byte { r.Header.Del("PSU-IP-Address"); return b },
			"creditorName missing": func(_ *http.Request, b []byte) []byte {
				return bytes.Replace(b, []byte(`"creditorName":"John Miles",`), nil, 1)
			},
			"amount a number": func(_ *http.Request, b []byte) []byte {
				return bytes.Replace(b, []byte(`"amount":"12.34"`), []byte(`"amount":12.34`), 1)
			},
			"unknown product": func(r *http.Request, b []byte) []byte {
				r.URL.Path = strings.Replace(r.URL.Path, "sepa-credit-transfers", "sepa-credit-transfer", 1)
				return b
			},
			// The periodic schema alone still judges a periodic body
			// (periodicOneOf): startDate missing, a frequency not the file's.
			"periodic without startDate": func(r *http.Request, _ []byte) []byte {
				r.URL.Path = "/v1/periodic-payments/sepa-credit-transfers"
				return bytes.Replace(marshal(periodic), []byte(`"startDate":"2027-01-01",`), nil, 1)
			},
			"periodic every fortnight": func(r *http.Request, _ []byte) []byte {
				r.URL.Path = "/v1/periodic-payments/sepa-credit-transfers"
				return bytes.Replace(marshal(periodic), []byte(`"Monthly"`), []byte(`"Fortnightly"`), 1)
			},
		} {
			r := post.req.Clone(context.Background())
			body := edit(r, bytes.Clone(post.body))
			if _, errs := gate.check(r, body); len(errs) == 0 {
				t.Errorf("%s: the check found nothing in %s %s", name, r.URL, body)
			}
		}
		r := post.req.Clone(context.Background())
		r.URL.Path = "/v1/periodic-payments/sepa-credit-transfers"
		if _, errs := gate.check(r, marshal(periodic)); len(errs) != 0 {
			t.Errorf("the periodic body fails on a second check: %v", errs)
		}
	})
}

// A dot segment as payment id would steer the request to another resource
// once the path is normalised: nothing is sent for it, whichever call.
func TestPaymentDotSegmentIDsSendNothing(t *testing.T) {
	b := newPISBank(t)
	sent := 0
	c := b.client(t, func(rt http.RoundTripper) http.RoundTripper {
		return countingTransport(func(r *http.Request) (*http.Response, error) { sent++; return rt.RoundTrip(r) })
	})
	ctx := context.Background()
	for _, id := range []string{".", "..", ""} {
		_, err1 := c.GetPayment(ctx, "t", "payments", "sepa-credit-transfers", id)
		_, err2 := c.PaymentStatus(ctx, "t", "payments", "sepa-credit-transfers", id)
		_, err3 := c.CancelPayment(ctx, "t", "payments", "sepa-credit-transfers", id)
		_, err4 := c.StartCancellationAuthorisation(ctx, "t", "payments", "sepa-credit-transfers", id, "")
		for i, err := range []error{err1, err2, err3, err4} {
			if err == nil || !strings.Contains(err.Error(), "payment id") {
				t.Errorf("id %q, call %d: %v; want the id refused", id, i+1, err)
			}
		}
	}
	if sent != 0 {
		t.Errorf("%d requests sent", sent)
	}
}

type countingTransport func(*http.Request) (*http.Response, error)

func (f countingTransport) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestWaitOver: final statuses end every wait; a standing order's and a
// bulk's also when accepted (running, or waiting for its date), a single
// payment's does not.
func TestWaitOver(t *testing.T) {
	for _, c := range []struct {
		service, status string
		over, accepted  bool
	}{
		{"payments", "ACSC", true, true}, {"payments", "RJCT", true, false}, {"payments", "CANC", true, false},
		{"payments", "ACTC", false, false}, {"payments", "RCVD", false, false}, {"payments", "ACSP", false, true},
		{"bulk-payments", "ACTC", true, true}, {"bulk-payments", "PART", false, false}, {"bulk-payments", "RCVD", false, false},
		{"periodic-payments", "ACTC", true, true}, {"periodic-payments", "ACSP", true, true}, {"periodic-payments", "ACWP", true, true},
		{"periodic-payments", "RCVD", false, false}, {"periodic-payments", "PATC", false, false},
	} {
		if got := xs2a.WaitOver(c.service, c.status); got != c.over {
			t.Errorf("WaitOver(%s, %s) = %v", c.service, c.status, got)
		}
		if got := xs2a.PaymentAccepted(c.service, c.status); got != c.accepted {
			t.Errorf("PaymentAccepted(%s, %s) = %v", c.service, c.status, got)
		}
		if xs2a.PaymentAccepted(c.service, c.status) && xs2a.PaymentRefused(c.status) {
			t.Errorf("%s/%s both accepted and refused", c.service, c.status)
		}
	}
}

// The same for the AIS paths: a bank's consent or account id "." or ".."
// is refused by the client before anything is sent, whichever call.
func TestAISDotSegmentIDsSendNothing(t *testing.T) {
	b := newPISBank(t)
	sent := 0
	c := b.client(t, func(rt http.RoundTripper) http.RoundTripper {
		return countingTransport(func(r *http.Request) (*http.Response, error) { sent++; return rt.RoundTrip(r) })
	})
	ctx := context.Background()
	for _, id := range []string{".", ".."} {
		_, err1 := c.GetConsent(ctx, "t", id)
		_, err2 := c.ConsentStatus(ctx, "t", id)
		err3 := c.DeleteConsent(ctx, "t", id)
		_, err4 := c.CardAccount(ctx, "t", "cns", id)
		_, err5 := c.CardBalances(ctx, "t", "cns", id)
		_, err6 := c.AccountBalances(ctx, "t", "cns", id)
		for i, err := range []error{err1, err2, err3, err4, err5, err6} {
			if err == nil || !strings.Contains(err.Error(), "dot segments") {
				t.Errorf("id %q, call %d: %v; want the id refused", id, i+1, err)
			}
		}
	}
	if sent != 0 {
		t.Errorf("%d requests sent", sent)
	}
}
