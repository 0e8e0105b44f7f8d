package payment_test

import (
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/xs2a-dev/xs2a/cmd/xs2a/internal/cmd/payment"
	"github.com/xs2a-dev/xs2a/cmd/xs2a/internal/cmdtest"
	"github.com/xs2a-dev/xs2a/pkg/state"
)

// stubBank is a PIS bank on 127.0.0.1 for the commands (the sandbox's PIS
// paths are another slice): a client-credentials token endpoint and the
// payment paths in the file's shapes (pkg/xs2a's TestPaymentRequestsMatch
// TheOpenAPIFile checks the client's requests against the file). A
// payment is RCVD, each status read moves it on (RCVD → ACTC → ACSC);
// DELETE of a RCVD payment is 204, of a later one 202 with
// startAuthorisation.
type stubBank struct {
	srv *httptest.Server

	mu       sync.Mutex
	payments map[string]*stubPayment
	bodies   []map[string]any
	psuIPs   []string
}

type stubPayment struct {
	service, product, status string
	body                     map[string]any
}

func newStubBank(t *testing.T, e *cmdtest.Env) *stubBank {
	t.Helper()
	b := &stubBank{payments: map[string]*stubPayment{}}
	b.srv = httptest.NewTLSServer(http.HandlerFunc(b.serve))
	t.Cleanup(b.srv.Close)
	certs := e.Certs()
	ca := filepath.Join(e.Dir, "stub-ca.pem")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: b.srv.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := fmt.Sprintf(`profiles:
  default:
    base_url: %[1]s
    token_url: %[1]s/oauth/token
    authorize_url: %[1]s/oauth/authorize
    client_id: tpp-1
    client_secret: s3cret
    qwac_cert: %[2]s/qwac.pem
    qwac_key: %[2]s/qwac.key
    qseal_cert: %[2]s/qseal.pem
    qseal_key: %[2]s/qseal.key
    ca_bundle: %[3]s
`, b.srv.URL, certs, ca)
	if err := os.MkdirAll(filepath.Dir(e.ConfigPath), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(e.ConfigPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return b
}

func (b *stubBank) serve(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	answer := func(code int, v any) {
		w.WriteHeader(code)
		_ = json.NewEncoder(w).Encode(v)
	}
	fail := func(code int, msg string) {
		answer(code, map[string]any{"tppMessages": []map[string]string{{"category": "ERROR", "code": msg, "text": "stub: " + msg}}})
	}
	if r.URL.Path == "/oauth/token" {
		answer(http.StatusOK, map[string]any{"access_token": "client-tok", "token_type": "Bearer", "expires_in": 3600})
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	segs := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	if len(segs) < 3 || segs[0] != "v1" || r.Header.Get("Authorization") != "Bearer client-tok" {
		fail(http.StatusUnauthorized, "TOKEN_INVALID")
		return
	}
	base := "/" + strings.Join(segs[:3], "/")
	if len(segs) == 3 && r.Method == http.MethodPost {
		var body map[string]any
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			fail(http.StatusBadRequest, "FORMAT_ERROR")
			return
		}
		b.bodies = append(b.bodies, body)
		b.psuIPs = append(b.psuIPs, r.Header.Get("PSU-IP-Address"))
		id := fmt.Sprintf("pay-%d", len(b.bodies))
		b.payments[id] = &stubPayment{service: segs[1], product: segs[2], status: "RCVD", body: body}
		w.Header().Set("ASPSP-SCA-Approach", "REDIRECT")
		answer(http.StatusCreated, map[string]any{"transactionStatus": "RCVD", "paymentId": id,
			"_links": map[string]any{"scaOAuth": map[string]string{"href": b.srv.URL + "/.well-known/oauth-authorization-server"},
				"self": map[string]string{"href": base + "/" + id}}})
		return
	}
	p := b.payments[segs[min(3, len(segs)-1)]]
	if len(segs) < 4 || p == nil || p.service != segs[1] || p.product != segs[2] {
		fail(http.StatusForbidden, "RESOURCE_UNKNOWN")
		return
	}
	switch {
	case len(segs) == 4 && r.Method == http.MethodGet:
		out := map[string]any{"transactionStatus": p.status}
		for k, v := range p.body {
			out[k] = v
		}
		answer(http.StatusOK, out)
	case len(segs) == 5 && segs[4] == "status":
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
			"_links": map[string]any{"startAuthorisation": map[string]string{"href": r.URL.Path + "/cancellation-authorisations"}}})
	case len(segs) == 5 && segs[4] == "cancellation-authorisations" && r.Method == http.MethodGet:
		answer(http.StatusOK, map[string]any{"authorisationIds": []string{"auth-1"}})
	case len(segs) == 6 && segs[4] == "cancellation-authorisations" && segs[5] == "auth-1":
		answer(http.StatusOK, map[string]any{"scaStatus": "psuAuthenticated"})
	case len(segs) == 5 && segs[4] == "cancellation-authorisations":
		answer(http.StatusCreated, map[string]any{"scaStatus": "received", "authorisationId": "auth-1",
			"_links": map[string]any{"scaOAuth": map[string]string{"href": b.srv.URL + "/.well-known/oauth-authorization-server"}}})
	default:
		fail(http.StatusMethodNotAllowed, "SERVICE_INVALID")
	}
}

const (
	debtor   = "DE89370400440532013000"
	creditor = "DE75512108001245126199"
)

func single(extra ...string) []string {
	return append([]string{"payment", "initiate", "--debtor", debtor, "--creditor", creditor, "--creditor-name", "John Miles", "--amount", "12.34", "--remittance", "Invoice 42"}, extra...)
}

// Bad input is refused before anything is sent: one line, exit 2.
func TestInitiateBadInput(t *testing.T) {
	e := cmdtest.New(t)
	b := newStubBank(t, e)
	for _, c := range []struct {
		want string
		args []string
	}{
		{"unknown payment product \"sepa\"", single("--product", "sepa")},
		{"unknown payment service \"standing-orders\"", single("--service", "standing-orders")},
		{"check digits do not match", []string{"payment", "initiate", "--debtor", "DE89370400440532013001", "--creditor", creditor, "--creditor-name", "J", "--amount", "1"}},
		{"not an IBAN", single("--creditor", "12345")},
		{"is not an amount", single("--amount", "12,34")},
		{"is not an amount", single("--amount", "0.00")},
		{"is not an amount", single("--amount", "-5")},
		{"is not a currency code", single("--currency", "euro")},
		{"--creditor-name is required", []string{"payment", "initiate", "--debtor", debtor, "--creditor", creditor, "--amount", "1"}},
		{"--frequency goes with --service periodic-payments", single("--frequency", "Monthly")},
		{"--start-date is required", single("--service", "periodic-payments", "--frequency", "Monthly")},
		{"--frequency \"Fortnightly\"", single("--service", "periodic-payments", "--start-date", "2027-01-01", "--frequency", "Fortnightly")},
		{"--day-of-execution \"01\"", single("--service", "periodic-payments", "--start-date", "2027-01-01", "--frequency", "Monthly", "--day-of-execution", "01")},
		{"--payments-file is required", []string{"payment", "initiate", "--service", "bulk-payments", "--debtor", debtor}},
		{"--body-file is the whole body", single("--body-file", "x.json")},
		{"no such file", []string{"payment", "initiate", "--body-file", filepath.Join(e.Dir, "none.json")}},
	} {
		r := e.Expect(2, c.want, c.args...)
		if n := strings.Count(strings.TrimSpace(r.Stderr), "\n"); n != 0 {
			t.Errorf("%v: %d lines on stderr:\n%s", c.args, n+1, r.Stderr)
		}
	}
	if len(b.bodies) != 0 {
		t.Errorf("the bank got %d initiations from bad input", len(b.bodies))
	}
	if _, err := payment.CheckIBAN("--x", "GB82 WEST 1234 5698 7654 32"); err != nil {
		t.Errorf("a valid IBAN with spaces: %v", err)
	}
}

func TestPaymentCommands(t *testing.T) {
	e := cmdtest.New(t)
	b := newStubBank(t, e)
	r := e.Must(single("--psu-ip", "192.0.2.7")...)
	if !strings.Contains(r.Stdout, "payment pay-1: RCVD (payments/sepa-credit-transfers)") || !strings.Contains(r.Stderr, "xs2a authorize --payment") {
		t.Errorf("initiate:\n%s\n%s", r.Stdout, r.Stderr)
	}
	got := b.bodies[0]
	want := map[string]any{"debtorAccount": map[string]any{"iban": debtor}, "creditorAccount": map[string]any{"iban": creditor},
		"creditorName": "John Miles", "instructedAmount": map[string]any{"amount": "12.34", "currency": "EUR"}, "remittanceInformationUnstructured": "Invoice 42"}
	if fmt.Sprint(got) != fmt.Sprint(want) || b.psuIPs[0] != "192.0.2.7" {
		t.Errorf("body %v, PSU-IP-Address %q; want %v", got, b.psuIPs[0], want)
	}
	st, err := state.Open(e.StateDir).Load("default")
	if err != nil || st.Payment == nil || st.Payment.ID != "pay-1" || st.Payment.Service != "payments" || st.Payment.Product != "sepa-credit-transfers" {
		t.Fatalf("state: %+v %v", st.Payment, err)
	}

	// get and status default to the remembered payment; --wait polls to ACSC.
	r = e.Must("-o", "json", "payment", "get")
	var g map[string]any
	if err := json.Unmarshal([]byte(r.Stdout), &g); err != nil {
		t.Fatal(err)
	}
	if g["payment_id"] != "pay-1" || g["transaction_status"] != "RCVD" || fmt.Sprint(g["amount"]) != "map[amount:12.34 currency:EUR]" ||
		g["bank_response"].(map[string]any)["creditorName"] != "John Miles" {
		t.Errorf("get -o json: %s", r.Stdout)
	}
	r = e.Must("payment", "status", "--wait", "--interval", "10ms")
	if strings.TrimSpace(r.Stdout) != "payment pay-1: ACSC (final)" {
		t.Errorf("status --wait: %q", r.Stdout)
	}
	r = e.Must("-o", "json", "payment", "status")
	var s map[string]any
	if err := json.Unmarshal([]byte(r.Stdout), &s); err != nil || s["transaction_status"] != "ACSC" || s["final"] != true || s["bank_response"] == nil {
		t.Errorf("status -o json: %s %v", r.Stdout, err)
	}
	if st, _ := state.Open(e.StateDir).Load("default"); st.Payment.Status != "ACSC" {
		t.Errorf("remembered status %q", st.Payment.Status)
	}
	// Cancelling an executed payment: the bank asks for an authorisation.
	r = e.Must("-o", "json", "payment", "cancel")
	var c map[string]any
	if err := json.Unmarshal([]byte(r.Stdout), &c); err != nil || c["authorisation_required"] != true || c["authorisation_id"] != "auth-1" || c["cancelled"] != false {
		t.Errorf("cancel after execution: %s %v", r.Stdout, err)
	}
	r = e.Must("payment", "cancel")
	if !strings.Contains(r.Stderr, "next: the PSU authorises the cancellation: xs2a authorize --payment") {
		t.Errorf("cancel's next step: %s", r.Stderr)
	}
	// --status: the cancellation authorisations, nothing cancelled.
	r = e.Must("payment", "cancel", "--status")
	if r.Stdout != "payment pay-1: cancellation authorisation auth-1: psuAuthenticated\n" {
		t.Errorf("cancel --status: %q", r.Stdout)
	}
	r = e.Must("-o", "json", "payment", "cancel", "--status")
	var cs struct {
		PaymentID      string `json:"payment_id"`
		Authorisations []struct {
			AuthorisationID string          `json:"authorisation_id"`
			SCAStatus       string          `json:"sca_status"`
			BankResponse    json.RawMessage `json:"bank_response"`
		} `json:"cancellation_authorisations"`
	}
	if err := json.Unmarshal([]byte(r.Stdout), &cs); err != nil || cs.PaymentID != "pay-1" || len(cs.Authorisations) != 1 ||
		cs.Authorisations[0].SCAStatus != "psuAuthenticated" || !strings.Contains(string(cs.Authorisations[0].BankResponse), `"scaStatus"`) {
		t.Errorf("cancel --status -o json: %s %v", r.Stdout, err)
	}

	// A periodic payment, then cancelled before authorisation (204).
	e.Must(single("--service", "periodic-payments", "--start-date", "2027-01-01", "--frequency", "Monthly", "--day-of-execution", "1", "--execution-rule", "following")...)
	if p := b.bodies[1]; p["frequency"] != "Monthly" || p["startDate"] != "2027-01-01" || p["dayOfExecution"] != "1" {
		t.Errorf("periodic body %v", p)
	}
	r = e.Must("payment", "cancel")
	if !strings.Contains(r.Stdout, "payment pay-2: cancelled (CANC)") {
		t.Errorf("cancel: %s", r.Stdout)
	}
	// The wrong service for the payment: the bank's refusal, exit 3.
	e.Expect(3, "RESOURCE_UNKNOWN", "payment", "status", "pay-2", "--service", "payments")

	// A bulk from a file, and a body of one's own.
	bulk := filepath.Join(e.Dir, "bulk.json")
	os.WriteFile(bulk, []byte(`[{"instructedAmount":{"currency":"EUR","amount":"1.00"},"creditorAccount":{"iban":"`+creditor+`"},"creditorName":"A"},
		{"instructedAmount":{"currency":"EUR","amount":"2.50"},"creditorAccount":{"iban":"`+creditor+`"},"creditorName":"B"}]`), 0o600)
	r = e.Must("payment", "initiate", "--service", "bulk-payments", "--debtor", debtor, "--payments-file", bulk, "--batch-booking")
	if p := b.bodies[2]; len(p["payments"].([]any)) != 2 || p["batchBookingPreferred"] != true {
		t.Errorf("bulk body %v", p)
	}
	r = e.Must("payment", "get")
	if !strings.Contains(r.Stdout, "payment 2:    2.50 EUR to B") {
		t.Errorf("get bulk:\n%s", r.Stdout)
	}
	body := filepath.Join(e.Dir, "body.json")
	os.WriteFile(body, []byte(`{"debtorAccount":{"iban":"`+debtor+`"},"instructedAmount":{"currency":"EUR","amount":"3.00"},"creditorAccount":{"iban":"`+creditor+`"},"creditorName":"C","creditorAgent":"AAAADEBBXXX"}`), 0o600)
	e.Must("payment", "initiate", "--product", "target-2-payments", "--body-file", body)
	if p := b.bodies[3]; p["creditorAgent"] != "AAAADEBBXXX" {
		t.Errorf("--body-file body %v", p)
	}
	if st, _ := state.Open(e.StateDir).Load("default"); st.Payment.Product != "target-2-payments" {
		t.Errorf("remembered %+v", st.Payment)
	}
}

// On a terminal --wait shows the status on a progress line.
func TestStatusWaitProgress(t *testing.T) {
	e := cmdtest.New(t)
	newStubBank(t, e)
	e.Must(single()...)
	r := e.RunTTY("payment", "status", "--wait", "--interval", "50ms")
	if r.Code != 0 || !strings.Contains(r.Stderr, "waiting for payment pay-1 to be final") || !strings.Contains(r.Stdout, "ACSC (final)") {
		t.Errorf("exit %d\nstdout %q\nstderr %q", r.Code, r.Stdout, r.Stderr)
	}
	e.Must(single()...)
	// RCVD or ACTC: --timeout counts from before the first read, so how
	// many reads fit in 60 ms depends on the machine.
	e.Expect(1, "after 60ms", "payment", "status", "--wait", "--interval", "50ms", "--timeout", "60ms")
}

// xs2a's own fields are snake_case; the bank's bodies (bank_response,
// authorisation_response) and amounts' inner names are left as they are.
func TestPaymentJSONFieldNames(t *testing.T) {
	e := cmdtest.New(t)
	newStubBank(t, e)
	snake := regexp.MustCompile(`^[a-z][a-z0-9]*(_[a-z0-9]+)*$`)
	for _, args := range [][]string{single(), {"payment", "get"}, {"payment", "status"}, {"payment", "status"}, {"payment", "cancel"}} {
		r := e.Must(append([]string{"-o", "json"}, args...)...)
		var doc map[string]json.RawMessage
		if err := json.Unmarshal([]byte(r.Stdout), &doc); err != nil {
			t.Fatalf("%v: %v\n%s", args, err, r.Stdout)
		}
		if _, ok := doc["bank_response"]; !ok {
			t.Errorf("%v: no bank_response", args)
		}
		for k := range doc {
			if !snake.MatchString(k) {
				t.Errorf("%v -o json: field %q is not snake_case", args, k)
			}
		}
	}
}

// A standing order's schedule reads as a sentence: "until cancelled"
// without an end date, "from X to Y" with one.
func TestGetScheduleWording(t *testing.T) {
	e := cmdtest.New(t)
	newStubBank(t, e)
	e.Must(single("--service", "periodic-payments", "--start-date", "2026-12-06", "--frequency", "Daily")...)
	r := e.Must("payment", "get")
	if !strings.Contains(r.Stdout, "schedule:     Daily from 2026-12-06 until cancelled\n") {
		t.Errorf("open-ended standing order:\n%s", r.Stdout)
	}
	e.Must(single("--service", "periodic-payments", "--start-date", "2026-12-06", "--end-date", "2027-01-31", "--frequency", "Weekly")...)
	r = e.Must("payment", "get")
	if !strings.Contains(r.Stdout, "schedule:     Weekly from 2026-12-06 to 2027-01-31\n") {
		t.Errorf("standing order with an end date:\n%s", r.Stdout)
	}
}

// TestCancelNextNamesThePayment: cancelling by an id other than the
// remembered one, the next steps name that id (without it they would
// authorise and read the remembered payment).
func TestCancelNextNamesThePayment(t *testing.T) {
	e := cmdtest.New(t)
	newStubBank(t, e)
	e.Must(single()...)
	e.Must("payment", "status", "pay-1") // RCVD → ACTC: its DELETE asks for an authorisation
	e.Must(single()...)                  // pay-2 is now the remembered one
	r := e.Must("payment", "cancel", "pay-1")
	for _, want := range []string{"authorize --payment pay-1,", "payment status pay-1 --wait", "payment cancel pay-1 --status"} {
		if !strings.Contains(r.Stderr, want) {
			t.Errorf("cancel's next step without %q:\n%s", want, r.Stderr)
		}
	}
}
