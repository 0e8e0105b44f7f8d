package xs2a_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xs2a-dev/xs2a/pkg/httpsig"
	"github.com/xs2a-dev/xs2a/pkg/origin"
	"github.com/xs2a-dev/xs2a/pkg/spec"
	"github.com/xs2a-dev/xs2a/pkg/xs2a"
	"golang.org/x/time/rate"
)

// payBank is a fake ASPSP on 127.0.0.1 with one IBAN payment account,
// answering in the shapes of the file (the gate validates them):
// a transaction report on two pages (the second through _links.next with
// a page parameter of the bank's), transaction details, and, when refuse
// names a code, a 400 to bookingStatus=both.
type payBank struct {
	srv    *httptest.Server
	refuse string // "", "PARAMETER_NOT_SUPPORTED", "FORMAT_ERROR", "FORMAT_ERROR dateFrom"

	mu      sync.Mutex
	queries []url.Values // of the transaction reports, in order
}

const payIBAN = "DE89370400440532013000"

func newPayBank(t *testing.T) *payBank {
	t.Helper()
	b := &payBank{}
	b.srv = httptest.NewTLSServer(http.HandlerFunc(b.serve))
	t.Cleanup(b.srv.Close)
	return b
}

func (b *payBank) serve(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Request-ID", r.Header.Get("X-Request-ID"))
	w.Header().Set("Content-Type", "application/json")
	answer := func(v any) { _ = json.NewEncoder(w).Encode(v) }
	acct := map[string]any{"resourceId": "acc-1", "iban": payIBAN, "currency": "EUR", "name": "Giro \x1b[31mred", "product": "Girokonto",
		"cashAccountType": "CACC", "status": "enabled", "ownerName": "Heike Mustermann",
		"_links": map[string]any{"balances": map[string]string{"href": "/v1/accounts/acc-1/balances"}, "transactions": map[string]string{"href": "/v1/accounts/acc-1/transactions"}}}
	bal := []map[string]any{{"balanceAmount": map[string]string{"currency": "EUR", "amount": "500.00"}, "balanceType": "interimAvailable"}}
	ref := map[string]string{"iban": payIBAN, "currency": "EUR"}
	tx := func(id, amount, date string) map[string]any {
		return map[string]any{"transactionId": id, "entryReference": "E" + id, "bookingDate": date, "valueDate": date,
			"transactionAmount": map[string]string{"currency": "EUR", "amount": amount}, "creditorName": "John Miles",
			"creditorAccount": map[string]string{"iban": "DE67100100101306118605"}, "remittanceInformationUnstructured": "Ref " + id,
			"bankTransactionCode": "PMNT-RCDT-ESCT"}
	}
	switch p := r.URL.Path; {
	case p == "/v1/accounts":
		if r.URL.Query().Get("withBalance") == "true" {
			acct["balances"] = bal
		}
		answer(map[string]any{"accounts": []any{acct}})
	case p == "/v1/accounts/acc-1":
		if r.URL.Query().Get("withBalance") == "true" {
			acct["balances"] = bal
		}
		answer(map[string]any{"account": acct})
	case p == "/v1/accounts/acc-1/balances":
		answer(map[string]any{"account": ref, "balances": bal})
	case p == "/v1/accounts/acc-1/transactions/tx-2":
		answer(map[string]any{"transactionsDetails": map[string]any{"transactionDetails": tx("tx-2", "-12.50", "2026-11-02")}})
	case p == "/v1/accounts/acc-1/transactions":
		q := r.URL.Query()
		b.mu.Lock()
		b.queries = append(b.queries, q)
		b.mu.Unlock()
		if b.refuse != "" && q.Get("bookingStatus") == "both" {
			code, text := b.refuse, "bookingStatus 'both' is not supported by ASPSP"
			if code == "FORMAT_ERROR dateFrom" {
				code, text = "FORMAT_ERROR", "dateFrom is not a date"
			}
			w.WriteHeader(http.StatusBadRequest)
			answer(map[string]any{"tppMessages": []map[string]string{{"category": "ERROR", "code": code, "text": text}}})
			return
		}
		report := map[string]any{}
		if q.Get("page") == "" {
			report["booked"] = []any{tx("tx-1", "100.00", "2026-11-01"), tx("tx-2", "-12.50", "2026-11-02")}
			if q.Get("bookingStatus") != "booked" {
				report["pending"] = []any{tx("tx-p", "-3.00", "2026-11-03")}
			}
			next := url.Values{"dateFrom": {q.Get("dateFrom")}, "bookingStatus": {q.Get("bookingStatus")}, "page": {"2"}}
			report["_links"] = map[string]any{"account": map[string]string{"href": "/v1/accounts/acc-1"},
				"next": map[string]string{"href": "/v1/accounts/acc-1/transactions?" + next.Encode()}}
		} else {
			report["booked"] = []any{tx("tx-3", "7.00", "2026-11-04")}
			report["_links"] = map[string]any{"account": map[string]string{"href": "/v1/accounts/acc-1"}}
		}
		if q.Get("bookingStatus") == "information" {
			report = map[string]any{"information": []any{tx("so-1", "-50.00", "2026-12-01")}, "_links": map[string]any{"account": map[string]string{"href": "/v1/accounts/acc-1"}}}
		}
		answer(map[string]any{"account": ref, "transactions": report})
	default:
		w.WriteHeader(http.StatusNotFound)
		answer(map[string]any{"tppMessages": []map[string]string{{"category": "ERROR", "code": "RESOURCE_UNKNOWN"}}})
	}
}

// signedClient signs with a throw-away key (the gate checks the headers'
// form, the fake bank nothing) and routes through gate when given.
func (b *payBank) client(t *testing.T, gate func(http.RoundTripper) http.RoundTripper) *xs2a.Client {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "test TPP"}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	base := b.srv.Client().Transport
	if gate != nil {
		base = gate(base)
	}
	hc := &http.Client{Transport: &httpsig.Transport{Signer: &httpsig.Signer{Key: key, Cert: cert}, Base: base}, CheckRedirect: origin.NoRedirect}
	return &xs2a.Client{HTTP: hc, BaseURL: b.srv.URL, Limiter: rate.NewLimiter(rate.Inf, 1), PSUIPAddress: "192.0.2.1"}
}

func (b *payBank) reportQueries() []url.Values {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]url.Values(nil), b.queries...)
}

// TestPaymentAccountRequestsMatchTheOpenAPIFile: the payment-account
// operations (list with withBalance, details, balances, a paged report,
// transaction details) against a fake bank whose answers the file accepts;
// every request conforms, and each answer decodes into what the bank said.
// The same calls against the sandbox are
// TestPaymentAccountRequestsMatchTheOpenAPIFileAgainstTheSandbox; this fake
// bank stays for what the sandbox does not do (standing orders, refusing
// bookingStatus=both: TestBookingStatusFallback).
func TestPaymentAccountRequestsMatchTheOpenAPIFile(t *testing.T) {
	doc := spec.Load(t)
	b := newPayBank(t)
	var gate *specGate
	c := b.client(t, func(base http.RoundTripper) http.RoundTripper {
		gate = newSpecGate(t, doc, b.srv.URL, base)
		gate.answers = true
		return gate
	})
	ctx := context.Background()
	const tok, cid = "psu-token", "consent-1"

	accts, err := c.Accounts(ctx, tok, cid, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(accts) != 1 || accts[0].IBAN != payIBAN || accts[0].ResourceID != "acc-1" || len(accts[0].Balances) != 1 || accts[0].CashAccountType != "CACC" {
		t.Errorf("accounts %+v", accts)
	}
	a, err := c.Account(ctx, tok, cid, "acc-1", false)
	if err != nil || a.IBAN != payIBAN || a.Balances != nil || a.Links["transactions"].Href != "/v1/accounts/acc-1/transactions" {
		t.Errorf("account %+v %v", a, err)
	}
	bs, err := c.AccountBalances(ctx, tok, cid, "acc-1")
	if err != nil || len(bs) != 1 || bs[0].BalanceType != "interimAvailable" || bs[0].BalanceAmount.Amount != "500.00" {
		t.Errorf("balances %+v %v", bs, err)
	}
	rep, err := c.AccountTransactions(ctx, tok, cid, "acc-1", xs2a.TransactionQuery{From: "2026-10-01", WithBalance: true})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Pages != 2 || len(rep.Booked) != 3 || len(rep.Pending) != 1 || rep.Account.IBAN != payIBAN || rep.BookingStatus != "both" || rep.Fallback != "" {
		t.Errorf("report: %d pages, %d booked, %d pending, %+v", rep.Pages, len(rep.Booked), len(rep.Pending), rep)
	}
	if x := rep.Booked[1]; x.TransactionID != "tx-2" || x.CreditorName != "John Miles" || x.CreditorAccount == nil || x.CreditorAccount.IBAN != "DE67100100101306118605" ||
		x.BankTransactionCode != "PMNT-RCDT-ESCT" || x.TransactionAmount.Amount != "-12.50" || x.EntryReference != "Etx-2" {
		t.Errorf("booked[1] %+v", x)
	}
	so, err := c.AccountTransactions(ctx, tok, cid, "acc-1", xs2a.TransactionQuery{From: "2026-10-01", BookingStatus: "information"})
	if err != nil || len(so.Information) != 1 || len(so.Booked) != 0 {
		t.Errorf("standing orders %+v %v", so, err)
	}
	d, err := c.TransactionDetails(ctx, tok, cid, "acc-1", "tx-2")
	if err != nil || d.TransactionID != "tx-2" || d.RemittanceInformationUnstructured != "Ref tx-2" || d.ValueDate != "2026-11-02" {
		t.Errorf("details %+v %v", d, err)
	}

	gate.mu.Lock()
	defer gate.mu.Unlock()
	for _, f := range gate.findings {
		t.Errorf("does not conform: %s", f)
	}
	want := map[string]int{"getAccountList": 1, "readAccountDetails": 1, "getBalances": 1, "getTransactionList": 3, "getTransactionDetails": 1}
	for op, n := range want {
		if gate.seen[op] != n {
			t.Errorf("%s: %d request(s) validated; want %d", op, gate.seen[op], n)
		}
	}
	if len(gate.seen) != len(want) {
		t.Errorf("operations seen: %v", gate.seen)
	}

	t.Run("broken requests are caught", func(t *testing.T) {
		bal, first := gate.sent["getBalances"], gate.first["getTransactionList"]
		for name, tc := range map[string]struct {
			from *recorded
			edit func(r *http.Request)
		}{
			"withBalance on balances (undeclared there)": {bal, func(r *http.Request) { r.URL.RawQuery = "withBalance=true" }},
			"page the bank did not give":                 {first, func(r *http.Request) { r.URL.RawQuery += "&page=3" }},
			"bookingStatus not in the enum": {first, func(r *http.Request) {
				r.URL.RawQuery = strings.Replace(r.URL.RawQuery, "bookingStatus=both", "bookingStatus=some", 1)
			}},
			"Consent-ID missing": {bal, func(r *http.Request) { r.Header.Del("Consent-ID") }},
		} {
			r := tc.from.req.Clone(context.Background())
			tc.edit(r)
			if r.URL.String() == tc.from.req.URL.String() && r.Header.Get("Consent-ID") != "" {
				t.Fatalf("%s: the edit changed nothing", name)
			}
			_, errs := gate.check(r, nil)
			if len(errs) == 0 {
				t.Errorf("%s: the check found nothing in %s", name, r.URL)
			}
		}
	})
}

// TestBookingStatusFallback: with no bookingStatus chosen, a bank that
// refuses both (400 PARAMETER_NOT_SUPPORTED, or FORMAT_ERROR naming
// bookingStatus) gets the report asked once more with booked; a chosen
// status, or a refusal about another parameter, is not retried.
func TestBookingStatusFallback(t *testing.T) {
	for _, tc := range []struct {
		name, refuse, status string
		wantRetry            bool
	}{
		{"PARAMETER_NOT_SUPPORTED (adorsys)", "PARAMETER_NOT_SUPPORTED", "", true},
		{"FORMAT_ERROR naming bookingStatus", "FORMAT_ERROR", "", true},
		{"FORMAT_ERROR about dateFrom", "FORMAT_ERROR dateFrom", "", false},
		{"both chosen by the user", "PARAMETER_NOT_SUPPORTED", "both", false},
		{"accepted", "", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := newPayBank(t)
			b.refuse = tc.refuse
			c := b.client(t, nil)
			rep, err := c.AccountTransactions(context.Background(), "tok", "cid", "acc-1", xs2a.TransactionQuery{From: "2026-10-01", BookingStatus: tc.status})
			qs := b.reportQueries()
			switch {
			case tc.wantRetry:
				if err != nil {
					t.Fatal(err)
				}
				// both refused, then booked: page 1 and the page the link gave.
				if len(qs) != 3 || qs[0].Get("bookingStatus") != "both" || qs[1].Get("bookingStatus") != "booked" || qs[1].Get("dateFrom") != "2026-10-01" || qs[1].Has("page") || qs[2].Get("page") != "2" {
					t.Errorf("queries %v", qs)
				}
				if rep.BookingStatus != "booked" || !strings.Contains(rep.Fallback, "400") || !strings.Contains(rep.Fallback, strings.Fields(tc.refuse)[0]) || len(rep.Pending) != 0 || len(rep.Booked) != 3 {
					t.Errorf("report %+v", rep)
				}
			case tc.refuse == "":
				if err != nil || len(qs) != 2 || rep.BookingStatus != "both" || rep.Fallback != "" {
					t.Errorf("%v %v %+v", err, qs, rep)
				}
			default:
				var ae *xs2a.APIError
				if !errors.As(err, &ae) || ae.Status != 400 || len(qs) != 1 {
					t.Errorf("err %v after %d request(s); want the 400 after one", err, len(qs))
				}
			}
		})
	}
	t.Run("cards too", func(t *testing.T) {
		var got []string
		srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			got = append(got, r.URL.Query().Get("bookingStatus"))
			w.Header().Set("Content-Type", "application/json")
			if r.URL.Query().Get("bookingStatus") == "both" {
				w.WriteHeader(400)
				fmt.Fprint(w, `{"tppMessages":[{"category":"ERROR","code":"PARAMETER_NOT_SUPPORTED","text":"bookingStatus 'both' is not supported by ASPSP"}]}`)
				return
			}
			fmt.Fprint(w, `{"cardTransactions":{"booked":[{"cardTransactionId":"1","transactionAmount":{"currency":"EUR","amount":"1.00"}}],"_links":{}}}`)
		}))
		defer srv.Close()
		c := &xs2a.Client{HTTP: srv.Client(), BaseURL: srv.URL, Limiter: rate.NewLimiter(rate.Inf, 1)}
		tx, err := c.CardTransactions(context.Background(), "tok", "cid", "card-1", xs2a.TransactionQuery{From: "2026-10-01"})
		if err != nil || tx.BookingStatus != "booked" || !strings.Contains(tx.Fallback, "PARAMETER_NOT_SUPPORTED") || len(tx.Booked) != 1 || strings.Join(got, ",") != "both,booked" {
			t.Errorf("%v %+v %v", err, tx, got)
		}
		if _, err := c.CardTransactions(context.Background(), "tok", "cid", "card-1", xs2a.TransactionQuery{WithBalance: true}); err == nil || !strings.Contains(err.Error(), "no withBalance") {
			t.Errorf("withBalance on card transactions: %v", err)
		}
	})
}

// TestAccountReportLimits: a payment account's report keeps the limits of
// the card report: MaxReportBytes over all pages, a link seen twice ends
// it, a link to another origin is refused.
func TestAccountReportLimits(t *testing.T) {
	mode := ""
	page := 0
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		page++
		next := fmt.Sprintf("/v1/accounts/a/transactions?page=%d", page)
		pad := ""
		switch mode {
		case "endless":
			pad = strings.Repeat("y", 300<<10)
		case "loop":
			next = "/v1/accounts/a/transactions?page=1"
		case "foreign":
			next = "https://elsewhere.example/v1/accounts/a/transactions?page=2"
		}
		fmt.Fprintf(w, `{"transactions":{"booked":[{"transactionId":"t%d","transactionAmount":{"currency":"EUR","amount":"1"}}],"pad":%q,"_links":{"next":{"href":%q}}}}`, page, pad, next)
	}))
	defer srv.Close()
	hc := srv.Client()
	hc.CheckRedirect = origin.NoRedirect
	c := &xs2a.Client{HTTP: hc, BaseURL: srv.URL, Limiter: rate.NewLimiter(rate.Inf, 1)}
	ctx := context.Background()

	mode, page = "endless", 0
	if _, err := c.AccountTransactions(ctx, "tok", "cid", "a", xs2a.TransactionQuery{MaxBytes: 1 << 20}); err == nil || !strings.Contains(err.Error(), "larger than 1 MiB after 4 pages") {
		t.Errorf("endless report: %v", err)
	}
	mode, page = "loop", 0
	rep, err := c.AccountTransactions(ctx, "tok", "cid", "a", xs2a.TransactionQuery{})
	if err != nil || rep.Pages != 2 || len(rep.Booked) != 2 {
		t.Errorf("a link seen twice: %v %+v", err, rep)
	}
	mode, page = "pages", 0
	if rep, err := c.AccountTransactions(ctx, "tok", "cid", "a", xs2a.TransactionQuery{MaxPages: 5}); err != nil || rep.Pages != 5 {
		t.Errorf("MaxPages 5: %v %+v", err, rep)
	}
	mode, page = "foreign", 0
	var le *origin.LinkError
	if _, err := c.AccountTransactions(ctx, "tok", "cid", "a", xs2a.TransactionQuery{}); !errors.As(err, &le) {
		t.Errorf("a next link to another origin: %v; want a LinkError", err)
	}
	if page != 1 {
		t.Errorf("%d requests; the foreign link was followed", page)
	}
}

// KeepAnswer keeps the bank's body byte for byte, with what the typed
// answer drops (the balances answer's "account" here), and no page of a
// report.
func TestKeepAnswer(t *testing.T) {
	b := newPayBank(t)
	c := b.client(t, nil)
	var raw json.RawMessage
	ctx := xs2a.KeepAnswer(context.Background(), &raw)
	if _, err := c.AccountBalances(ctx, "psu-token", "consent-1", "acc-1"); err != nil {
		t.Fatal(err)
	}
	want := `{"account":{"currency":"EUR","iban":"DE89370400440532013000"},"balances":[{"balanceAmount":{"amount":"500.00","currency":"EUR"},"balanceType":"interimAvailable"}]}` + "\n"
	if string(raw) != want {
		t.Errorf("kept %q; want the bank's body %q", raw, want)
	}
	raw = nil
	if _, err := c.AccountTransactions(ctx, "psu-token", "consent-1", "acc-1", xs2a.TransactionQuery{From: "2026-10-01"}); err != nil {
		t.Fatal(err)
	}
	if raw != nil {
		t.Errorf("a report's page was kept: %s", raw)
	}
}
