package xs2a_test

import (
	"context"
	"sort"
	"testing"
	"time"

	"github.com/xs2a-dev/xs2a/pkg/httpsig"
	"github.com/xs2a-dev/xs2a/pkg/sandbox"
	"github.com/xs2a-dev/xs2a/pkg/spec"
	"github.com/xs2a-dev/xs2a/pkg/xs2a"
)

// TestPaymentAccountRequestsMatchTheOpenAPIFileAgainstTheSandbox: the
// client's five payment-account operations (list with withBalance,
// details, balances, a report on several pages followed through the
// bank's next links, transaction details) against the sandbox's customer
// 5000001, every request validated against the file on its way and every
// answer too. With TestRequestsMatchTheOpenAPIFile (consents and cards)
// every AIS operation the client has a method for is checked in a real
// exchange; the fake bank of TestPaymentAccountRequestsMatchTheOpenAPIFile
// stays for what the sandbox does not do (refusing bookingStatus=both,
// standing orders).
func TestPaymentAccountRequestsMatchTheOpenAPIFileAgainstTheSandbox(t *testing.T) {
	doc := spec.Load(t)
	ctx := context.Background()
	s, mtls, c, cfg := bank(t, sandbox.Options{AutoApprove: true, AutoApprovePSU: sandbox.PaymentCustomerID, RatePerSecond: -1, RatePerDay: -1})
	signer, ok := c.HTTP.Transport.(*httpsig.Transport)
	if !ok {
		t.Fatalf("the client's transport is %T, not the signer", c.HTTP.Transport)
	}
	gate := newSpecGate(t, doc, s.URL, signer.Base)
	gate.answers = true
	signer.Base = gate

	_, at, cid := approved(t, s, mtls, c, cfg, xs2a.ConsentRequest{Access: xs2a.Access{AllPsd2: "allAccounts"},
		RecurringIndicator: true, ValidUntil: time.Now().AddDate(0, 0, 30).Format(time.DateOnly), FrequencyPerDay: 4})
	c.PSUIPAddress = "192.0.2.1" // the PSU is present for the reads

	accts, err := c.Accounts(ctx, at, cid, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(accts) != 2 || accts[0].IBAN != "FI0412345600012343" || accts[1].IBAN != "FI9612345600098763" {
		t.Fatalf("accounts %+v", accts)
	}
	for _, a := range accts {
		if len(a.Balances) == 0 {
			t.Errorf("%s: no balances with withBalance=true and an allPsd2 consent", a.ResourceID)
		}
	}
	id := accts[0].ResourceID
	a, err := c.Account(ctx, at, cid, id, false)
	if err != nil || a.IBAN != accts[0].IBAN || len(a.Balances) != 0 {
		t.Errorf("account %s without withBalance: %+v %v", id, a, err)
	}
	bs, err := c.AccountBalances(ctx, at, cid, id)
	if err != nil || len(bs) == 0 {
		t.Errorf("balances %+v %v", bs, err)
	}
	rep, err := c.AccountTransactions(ctx, at, cid, id, xs2a.TransactionQuery{From: time.Now().AddDate(-1, 0, 0).Format(time.DateOnly), WithBalance: true})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Pages < 2 || len(rep.Booked) == 0 || rep.BookingStatus != "both" || rep.Fallback != "" || rep.Account.IBAN != accts[0].IBAN {
		t.Fatalf("a year's report: %d pages, %d booked, status %q, fallback %q, account %+v", rep.Pages, len(rep.Booked), rep.BookingStatus, rep.Fallback, rep.Account)
	}
	seen := map[string]bool{}
	for _, x := range append(rep.Booked, rep.Pending...) {
		if x.TransactionID == "" || seen[x.TransactionID] {
			t.Fatalf("transaction id %q missing or twice across pages", x.TransactionID)
		}
		seen[x.TransactionID] = true
	}
	want := rep.Booked[len(rep.Booked)/2]
	d, err := c.TransactionDetails(ctx, at, cid, id, want.TransactionID)
	if err != nil || d.TransactionID != want.TransactionID || d.TransactionAmount != want.TransactionAmount || d.BookingDate != want.BookingDate {
		t.Errorf("details of %s: %+v %v; want the list's %+v", want.TransactionID, d, err, want)
	}

	gate.mu.Lock()
	defer gate.mu.Unlock()
	for _, f := range gate.findings {
		t.Errorf("does not conform: %s", f)
	}
	wantOps := map[string]int{"createConsent": 1, "getAccountList": 1, "readAccountDetails": 1, "getBalances": 1, "getTransactionList": rep.Pages, "getTransactionDetails": 1}
	for op, n := range wantOps {
		if gate.seen[op] != n {
			t.Errorf("%s: %d request(s) validated; want %d", op, gate.seen[op], n)
		}
	}
	if len(gate.seen) != len(wantOps) {
		var ops []string
		for op := range gate.seen {
			ops = append(ops, op)
		}
		sort.Strings(ops)
		t.Errorf("operations seen: %v; want exactly %d", ops, len(wantOps))
	}
	// The later pages followed the bank's links, whose page parameter the
	// file does not declare: the gate let them pass as links, and the
	// first page had none.
	first, last := gate.first["getTransactionList"], gate.sent["getTransactionList"]
	if first == nil || last == nil || first == last || first.req.URL.Query().Has("page") || !last.req.URL.Query().Has("page") {
		t.Errorf("the report's pages: first %v, last %v; want the last through the bank's next link", first, last)
	}
}
