package main_test

import (
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
)

// pisFake is a bank's payment paths on 127.0.0.1 (the sandbox's PIS side
// is another slice of issue 19): a payment is RCVD, each status read moves
// it on (RCVD → ACTC → ACSC), DELETE of a RCVD one is 204. It answers
// whatever bearer token the sandbox issued.
type pisFake struct {
	srv *httptest.Server

	mu       sync.Mutex
	bodies   []string
	status   map[string]string
	service  map[string]string
	requests []string
}

// seen is what the fake received so far, copied under its lock (its
// handler runs on the server's goroutines).
func (p *pisFake) seen() (bodies, requests []string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.bodies), slices.Clone(p.requests)
}

func newPISFake(t *testing.T) *pisFake {
	t.Helper()
	p := &pisFake{status: map[string]string{}, service: map[string]string{}}
	p.srv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		defer p.mu.Unlock()
		p.requests = append(p.requests, r.Method+" "+r.URL.Path+" PSU-IP-Address="+r.Header.Get("PSU-IP-Address"))
		w.Header().Set("Content-Type", "application/json")
		answer := func(code int, v any) { w.WriteHeader(code); _ = json.NewEncoder(w).Encode(v) }
		segs := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
		if len(segs) == 3 && r.Method == http.MethodPost {
			var b strings.Builder
			_, _ = fmt.Fprint(&b, mustRead(r))
			p.bodies = append(p.bodies, b.String())
			id := fmt.Sprintf("pay-%d", len(p.bodies))
			p.status[id], p.service[id] = "RCVD", segs[1]+"/"+segs[2]
			answer(http.StatusCreated, map[string]any{"transactionStatus": "RCVD", "paymentId": id,
				"_links": map[string]any{"self": map[string]string{"href": r.URL.Path + "/" + id}}})
			return
		}
		if len(segs) < 4 || p.status[segs[3]] == "" || p.service[segs[3]] != segs[1]+"/"+segs[2] {
			answer(http.StatusForbidden, map[string]any{"tppMessages": []any{map[string]string{"category": "ERROR", "code": "RESOURCE_UNKNOWN"}}})
			return
		}
		id := segs[3]
		switch {
		case len(segs) == 5 && segs[4] == "status":
			st := p.status[id]
			p.status[id] = map[string]string{"RCVD": "ACTC", "ACTC": "ACSC"}[st]
			if p.status[id] == "" {
				p.status[id] = st
			}
			answer(http.StatusOK, map[string]any{"transactionStatus": st})
		case r.Method == http.MethodDelete:
			p.status[id] = "CANC"
			w.WriteHeader(http.StatusNoContent)
		default:
			answer(http.StatusOK, map[string]any{"transactionStatus": p.status[id]})
		}
	}))
	t.Cleanup(p.srv.Close)
	return p
}

func mustRead(r *http.Request) string {
	var v any
	_ = json.NewDecoder(r.Body).Decode(&v)
	b, _ := json.Marshal(v)
	return string(b)
}

// TestPaymentCommandsThroughTheBinary: initiate (bad input refused with
// one line and exit 2, nothing sent), status --wait to a final status,
// cancel of a new payment, each against the payment paths of a fake bank
// with the sandbox's client token; then the AIS consent's PSU token is
// still the one `accounts` uses.
func TestPaymentCommandsThroughTheBinary(t *testing.T) {
	needCurl(t)
	u := authorizedUser(t)
	ais := u.state().UserToken
	p := newPISFake(t)
	ca, err := os.ReadFile(u.b.file("ca.pem"))
	if err != nil {
		t.Fatal(err)
	}
	ca = append(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: p.srv.Certificate().Raw})...)
	bundle := filepath.Join(u.dir, "ca-and-pis.pem")
	if err := os.WriteFile(bundle, ca, 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := os.ReadFile(u.cfg)
	if err != nil {
		t.Fatal(err)
	}
	s := regexp.MustCompile(`(?m)^    base_url: .*$`).ReplaceAllString(string(cfg), "    base_url: "+yamlQuote(p.srv.URL))
	s = regexp.MustCompile(`(?m)^    ca_bundle: .*$`).ReplaceAllString(s, "    ca_bundle: "+yamlQuote(bundle))
	if err := os.WriteFile(u.cfg, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}

	pay := []string{"payment", "initiate", "--debtor", "DE89370400440532013000", "--creditor", "DE75512108001245126199", "--creditor-name", "John Miles", "--amount", "12.34"}
	with := func(extra ...string) []string { return append(append([]string{}, pay...), extra...) }
	oneErrorLine(t, "unknown product", u.run(with("--product", "sepa")...), 2, `unknown payment product "sepa"`)
	oneErrorLine(t, "bad IBAN", u.run(with("--creditor", "DE75512108001245126198")...), 2, "check digits do not match")
	oneErrorLine(t, "bad amount", u.run(with("--amount", "12.3456")...), 2, "is not an amount")
	if bodies, _ := p.seen(); len(bodies) != 0 {
		t.Fatalf("bad input reached the bank: %v", bodies)
	}

	r := u.must(with("--psu-ip", "192.0.2.9", "--remittance", "Invoice 42")...)
	if !strings.Contains(r.stdout, "payment pay-1: RCVD (payments/sepa-credit-transfers)") {
		t.Errorf("initiate: %s", r.stdout)
	}
	want := `{"creditorAccount":{"iban":"DE75512108001245126199"},"creditorName":"John Miles","debtorAccount":{"iban":"DE89370400440532013000"},"instructedAmount":{"amount":"12.34","currency":"EUR"},"remittanceInformationUnstructured":"Invoice 42"}`
	if bodies, requests := p.seen(); bodies[0] != want || !strings.HasSuffix(requests[0], "PSU-IP-Address=192.0.2.9") {
		t.Errorf("initiation %s %v\nwant %s", bodies[0], requests[0], want)
	}
	r = u.must("payment", "status", "--wait", "--interval", "20ms", "-o", "json")
	var st struct {
		Status string `json:"transaction_status"`
		Final  bool   `json:"final"`
		Polls  int    `json:"polls"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &st); err != nil || st.Status != "ACSC" || !st.Final || st.Polls != 3 {
		t.Errorf("status --wait: %s %v", r.stdout, err)
	}
	u.must(with("--service", "periodic-payments", "--start-date", "2027-01-01", "--frequency", "Monthly")...)
	r = u.must("payment", "cancel")
	if _, requests := p.seen(); !strings.Contains(r.stdout, "payment pay-2: cancelled (CANC)") || !strings.Contains(strings.Join(requests, "\n"), "DELETE /v1/periodic-payments/sepa-credit-transfers/pay-2") {
		t.Errorf("cancel: %s\n%v", r.stdout, requests)
	}
	oneErrorLine(t, "another TPP's payment", u.run("payment", "status", "pay-99"), 3, "RESOURCE_UNKNOWN")
	if got := u.state().UserToken; got == nil || got.AccessToken != ais.AccessToken {
		t.Error("the AIS PSU token changed with the payment commands")
	}
}
