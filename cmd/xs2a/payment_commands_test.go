package main_test

import (
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/xs2a-dev/xs2a/pkg/sandbox"
)

// payFake is a bank with one IBAN payment account on 127.0.0.1: the
// sandbox has none on this branch. It refuses bookingStatus=both (400
// PARAMETER_NOT_SUPPORTED, adorsys' answer when both is not among the
// profile's availableBookingStatuses) and records each request's path
// and query.
type payFake struct {
	srv *httptest.Server
	mu  sync.Mutex
	got []string // path?query
}

func newPayFake(t *testing.T) *payFake {
	t.Helper()
	p := &payFake{}
	p.srv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		p.got = append(p.got, r.URL.RequestURI())
		p.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Request-ID", r.Header.Get("X-Request-ID"))
		answer := func(v any) { _ = json.NewEncoder(w).Encode(v) }
		acct := map[string]any{"resourceId": "acc-1", "iban": "DE89370400440532013000", "currency": "EUR", "name": "Giro\x1b[2J", "product": "Girokonto", "status": "enabled"}
		bal := []any{map[string]any{"balanceAmount": map[string]string{"currency": "EUR", "amount": "500.00"}, "balanceType": "interimAvailable"}}
		tx := map[string]any{"transactionId": "tx-2", "entryReference": "E2", "bookingDate": "2026-11-02", "valueDate": "2026-11-02",
			"transactionAmount": map[string]string{"currency": "EUR", "amount": "-12.50"}, "creditorName": "John Miles",
			"creditorAccount": map[string]string{"iban": "DE67100100101306118605"}, "remittanceInformationUnstructured": "Invoice 42",
			"bankTransactionCode": "PMNT-ICDT-ESCT"}
		q := r.URL.Query()
		switch r.URL.Path {
		case "/v1/accounts":
			if q.Get("withBalance") == "true" {
				acct["balances"] = bal
			}
			answer(map[string]any{"accounts": []any{acct}})
		case "/v1/accounts/acc-1":
			answer(map[string]any{"account": acct})
		case "/v1/accounts/acc-1/balances":
			answer(map[string]any{"balances": bal})
		case "/v1/accounts/acc-1/transactions":
			if q.Get("bookingStatus") == "both" {
				w.WriteHeader(http.StatusBadRequest)
				answer(map[string]any{"tppMessages": []any{map[string]string{"category": "ERROR", "code": "PARAMETER_NOT_SUPPORTED", "text": "bookingStatus 'both' is not supported by ASPSP"}}})
				return
			}
			rep := map[string]any{"booked": []any{tx}, "_links": map[string]any{}}
			if q.Get("bookingStatus") == "information" {
				rep = map[string]any{"information": []any{tx}, "_links": map[string]any{}}
			}
			answer(map[string]any{"account": map[string]string{"iban": "DE89370400440532013000"}, "transactions": rep})
		case "/v1/accounts/acc-1/transactions/tx-2":
			answer(map[string]any{"transactionsDetails": map[string]any{"transactionDetails": tx}})
		default:
			w.WriteHeader(http.StatusNotFound)
			answer(map[string]any{"tppMessages": []any{map[string]string{"category": "ERROR", "code": "RESOURCE_UNKNOWN"}}})
		}
	}))
	t.Cleanup(p.srv.Close)
	return p
}

func (p *payFake) take() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	got := p.got
	p.got = nil
	return got
}

// pointAt rewrites the user's profile: the XS2A API at the fake (its
// certificate added to the CA bundle), the accounts of type payment; the
// tokens and consent in the state stay the sandbox's.
func (u *user) pointAt(t *testing.T, p *payFake) {
	t.Helper()
	ca, err := os.ReadFile(u.b.file("ca.pem"))
	if err != nil {
		t.Fatal(err)
	}
	ca = append(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: p.srv.Certificate().Raw})...)
	bundle := filepath.Join(u.dir, "ca-and-fake.pem")
	if err := os.WriteFile(bundle, ca, 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := os.ReadFile(u.cfg)
	if err != nil {
		t.Fatal(err)
	}
	s := regexp.MustCompile(`(?m)^    base_url: .*$`).ReplaceAllString(string(cfg), "    base_url: "+yamlQuote(p.srv.URL))
	s = regexp.MustCompile(`(?m)^    ca_bundle: .*$`).ReplaceAllString(s, "    ca_bundle: "+yamlQuote(bundle))
	// The PSU is present: no frequencyPerDay budget in the way.
	s += "    account_type: payment\n    psu_ip_address: 192.0.2.10\n"
	if err := os.WriteFile(u.cfg, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestPaymentAccountCommands: with account_type payment, accounts
// list|get|balances|transactions read /v1/accounts..., transaction reads
// the details, the bank's strings are escaped, bookingStatus both falls
// back to booked once (said on stderr) unless the user chose it.
func TestPaymentAccountCommands(t *testing.T) {
	needCurl(t)
	u := authorizedUser(t)
	card := u.run("accounts", "transaction", "card-8693", "tx-1")
	oneErrorLine(t, "transaction details of a card", card, 2, "no transaction details for card accounts")
	oneErrorLine(t, "information on a card", u.run("accounts", "transactions", "card-8693", "--booking-status", "information"), 2, "not booked, pending or both")

	p := newPayFake(t)
	u.pointAt(t, p)

	r := u.must("accounts", "list", "--with-balance")
	if got := p.take(); len(got) != 1 || got[0] != "/v1/accounts?withBalance=true" {
		t.Errorf("accounts list --with-balance sent %v", got)
	}
	for _, w := range []string{"RESOURCE ID", "IBAN", "acc-1", "DE89 3704 0044 0532 0130 00", `Giro\x1b[2J`, "available 500.00 EUR"} {
		if !strings.Contains(r.stdout, w) {
			t.Errorf("accounts list lacks %q:\n%s", w, r.stdout)
		}
	}
	if strings.Contains(r.stdout, "\x1b") || strings.Contains(r.stderr, "withBalance") {
		t.Errorf("accounts list: a raw escape, or a note about withBalance:\n%q\n%s", r.stdout, r.stderr)
	}
	r = u.must("accounts", "list", "-o", "json")
	var list struct {
		Bank struct {
			Accounts []map[string]any `json:"accounts"`
		} `json:"bank_response"`
	}
	err := json.Unmarshal([]byte(r.stdout), &list)
	accts := list.Bank.Accounts
	if err != nil || len(accts) != 1 || accts[0]["iban"] != "DE89370400440532013000" || accts[0]["name"] != "Giro\x1b[2J" {
		t.Errorf("accounts list -o json: %v %s", err, r.stdout)
	}
	if got := p.take(); len(got) != 1 || got[0] != "/v1/accounts" {
		t.Errorf("accounts list sent %v", got)
	}

	r = u.must("accounts", "get", "acc-1")
	if !strings.HasPrefix(r.stdout, "acc-1  DE89 3704 0044 0532 0130 00") {
		t.Errorf("accounts get:\n%s", r.stdout)
	}
	r = u.must("accounts", "balances", "acc-1")
	if !strings.Contains(r.stdout, "interimAvailable:  500.00 EUR") {
		t.Errorf("accounts balances:\n%s", r.stdout)
	}
	if got := p.take(); strings.Join(got, " ") != "/v1/accounts/acc-1 /v1/accounts/acc-1/balances" {
		t.Errorf("get and balances sent %v", got)
	}

	r = u.must("accounts", "transactions", "acc-1", "--from", "2026-10-01")
	got := p.take()
	if len(got) != 2 {
		t.Fatalf("transactions sent %v; want both, then booked", got)
	}
	q0, q1 := query(t, got[0]), query(t, got[1])
	if q0.Get("bookingStatus") != "both" || q1.Get("bookingStatus") != "booked" || q1.Get("dateFrom") != "2026-10-01" || len(q1) != 2 {
		t.Errorf("transactions sent %v", got)
	}
	if !regexp.MustCompile(`(?m)^the bank refused bookingStatus=both \(the ASPSP answered 400 PARAMETER_NOT_SUPPORTED: bookingStatus 'both' is not supported by ASPSP .*\): read again with booked, so no pending transactions$`).MatchString(r.stderr) {
		t.Errorf("the fallback is not said:\n%s", r.stderr)
	}
	for _, w := range []string{"DATE", "COUNTERPARTY", "2026-11-02", "booked", "-12.50 EUR", "John Miles", "Invoice 42", "tx-2"} {
		if !strings.Contains(r.stdout, w) {
			t.Errorf("transactions lack %q:\n%s", w, r.stdout)
		}
	}
	oneErrorLine(t, "--booking-status both chosen", u.run("accounts", "transactions", "acc-1", "--booking-status", "both"), 3, "PARAMETER_NOT_SUPPORTED")
	if got := p.take(); len(got) != 1 {
		t.Errorf("--booking-status both: %d requests %v; want one, no fallback", len(got), got)
	}
	r = u.must("accounts", "transactions", "acc-1", "--booking-status", "information", "--with-balance", "-o", "json")
	var rep struct {
		Status string `json:"booking_status"`
		Bank   struct {
			Transactions struct {
				Information []map[string]any `json:"information"`
			} `json:"transactions"`
		} `json:"bank_response"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil || len(rep.Bank.Transactions.Information) != 1 || rep.Status != "information" {
		t.Errorf("standing orders -o json: %v %s", err, r.stdout)
	}
	if got := p.take(); len(got) != 1 || query(t, got[0]).Get("withBalance") != "true" {
		t.Errorf("--with-balance on a payment account's report sent %v", got)
	}

	r = u.must("accounts", "transaction", "acc-1", "tx-2")
	for _, w := range []string{"transactionId:       tx-2", "creditorName:        John Miles", "creditorAccount:     DE67100100101306118605", "remittance:          Invoice 42", "bankTransactionCode: PMNT-ICDT-ESCT"} {
		if !strings.Contains(r.stdout, w) {
			t.Errorf("transaction lacks %q:\n%s", w, r.stdout)
		}
	}
	r = u.must("accounts", "transaction", "acc-1", "tx-2", "-o", "json")
	var details struct {
		TransactionID string `json:"transaction_id"`
		Bank          struct {
			TransactionsDetails struct {
				TransactionDetails map[string]any `json:"transactionDetails"`
			} `json:"transactionsDetails"`
		} `json:"bank_response"`
	}
	err = json.Unmarshal([]byte(r.stdout), &details)
	d := details.Bank.TransactionsDetails.TransactionDetails
	if err != nil || details.TransactionID != "tx-2" || d["transactionId"] != "tx-2" || d["entryReference"] != "E2" {
		t.Errorf("transaction -o json: %v %s", err, r.stdout)
	}
	if got := p.take(); len(got) != 2 || got[0] != "/v1/accounts/acc-1/transactions/tx-2" {
		t.Errorf("transaction sent %v", got)
	}
	// What completion offers for ACCOUNT-ID (of transaction too): the ids
	// the last list gave.
	if ids := u.state().AccountIDs; len(ids) != 1 || ids[0] != "acc-1" {
		t.Errorf("account ids kept for completion: %v", ids)
	}
	oneErrorLine(t, "all on payment accounts is the file's", u.run("accounts", "transactions", "acc-1", "--booking-status", "sometimes"), 2, "booked, pending, both, information or all")

	cfg, err := os.ReadFile(u.cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(u.cfg, []byte(strings.Replace(string(cfg), "account_type: payment", "account_type: savings", 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	oneErrorLine(t, "an unknown account_type", u.run("accounts", "list"), 2, `account_type "savings" in profile "sb" is not card or payment`)
	if got := p.take(); len(got) != 0 {
		t.Errorf("an unknown account_type sent %v", got)
	}
}

func query(t *testing.T, uri string) url.Values {
	t.Helper()
	u, err := url.Parse(uri)
	if err != nil {
		t.Fatal(err)
	}
	return u.Query()
}

// TestCardWithBalanceNote: --with-balance on card commands sends no
// withBalance (the file has none for card accounts) and says why on
// stderr, against the sandbox.
func TestCardWithBalanceNote(t *testing.T) {
	needCurl(t)
	u := authorizedUser(t)
	for _, args := range [][]string{
		{"accounts", "list", "--with-balance"},
		{"accounts", "get", "card-8693", "--with-balance"},
		{"accounts", "transactions", "card-8693", "--with-balance"},
	} {
		r := u.must(append(args, "-v", "--psu-ip", "192.0.2.10")...)
		if n := strings.Count(r.stderr, "--with-balance sends nothing for card accounts: the OpenAPI file has no withBalance on the card paths"); n != 1 {
			t.Errorf("%v: the note %d times:\n%s", args, n, r.stderr)
		}
		if !strings.Contains(r.stderr, "/v1/card-accounts") || strings.Contains(r.stderr, "withBalance=") {
			t.Errorf("%v: -v shows no card call or a withBalance parameter:\n%s", args, r.stderr)
		}
	}
	r := u.must("accounts", "get", "card-8693", "--psu-ip", "192.0.2.10")
	if strings.Contains(r.stderr, "with-balance") {
		t.Errorf("accounts get without --with-balance: %s", r.stderr)
	}
}

// TestFlowReadsPaymentAccounts: with account_type payment, flow -p reads
// /v1/accounts (the sandbox's PSU 1345611 has card accounts only, so the
// list may be empty) and never a card path.
func TestFlowReadsPaymentAccounts(t *testing.T) {
	needCurl(t)
	b := startBank(t, sandbox.Options{AutoApprove: true, RatePerSecond: -1, RatePerDay: -1})
	u := newUser(t, b, map[string]string{"account_type": "payment"})
	r := u.run("flow", "-o", "json", "--timeout", "20s")
	rec := decodeFlowRecord(t, r.stdout)
	if r.code != 0 || !rec.OK || len(rec.Steps) < 5 {
		t.Fatalf("exit %d, %+v\n%s", r.code, rec, r.stderr)
	}
	s := rec.Steps[4]
	if s.Name != "accounts" || !strings.HasPrefix(s.Sent, "GET /v1/accounts (Consent-ID, PSU-IP-Address ") || !regexp.MustCompile(`^200, \d+ payment account\(s\)$`).MatchString(s.Got) {
		t.Errorf("step 5: %+v", s)
	}
	for _, s := range rec.Steps {
		if strings.Contains(s.Sent, "card-accounts") {
			t.Errorf("a card path with account_type payment: %+v", s)
		}
		if s.Name == "transactions" && !strings.HasPrefix(s.Sent, "GET /v1/accounts/") {
			t.Errorf("transactions step %+v", s)
		}
	}
}
