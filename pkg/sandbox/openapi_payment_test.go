package sandbox

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// accountsReport is the body of getTransactionList.
type accountsReport struct {
	Account      AccountReference `json:"account"`
	Transactions struct {
		Booked  []AccountTransaction `json:"booked"`
		Pending []AccountTransaction `json:"pending"`
		Links   map[string]link      `json:"_links"`
	} `json:"transactions"`
	Balances []Balance `json:"balances"`
}

// TestOpenAPIPaymentAccounts: the five payment-account operations of the
// file (getAccountList, readAccountDetails, getBalances,
// getTransactionList, getTransactionDetails), answers and errors, checked
// against the official OpenAPI file, for customer 5000001.
func TestOpenAPIPaymentAccounts(t *testing.T) {
	rig := newSpecRig(t, Options{AutoApprovePSU: PaymentCustomerID})
	p, step, badStep := rig.p, rig.step, rig.badStep
	ip := "192.0.2.1"
	today := bankDate(rig.clock.Now())

	cid, at := p.consented(consentBody(nil)) // allPsd2
	h := map[string]string{"Consent-ID": cid, "PSU-IP-Address": ip}
	get := func(path string) func() answer { return func() answer { return p.call("GET", path, at, nil, h) } }

	list := step("200 account list, withBalance", 200, get("/v1/accounts?withBalance=true"))
	var l struct{ Accounts []accountJSON }
	list.json(t, &l)
	if len(l.Accounts) != 2 || l.Accounts[0].IBAN != currentIBAN || l.Accounts[1].IBAN != savingsIBAN {
		t.Fatalf("account list: %s", list.body)
	}
	for _, acc := range l.Accounts {
		if len(acc.Balances) == 0 || acc.Links["balances"].Href == "" || acc.Links["transactions"].Href == "" {
			t.Errorf("allPsd2 with withBalance: %s lacks balances or links: %+v", acc.ResourceID, acc)
		}
	}
	step("200 account list", 200, get("/v1/accounts"))
	details := step("200 account details, withBalance", 200, get("/v1/accounts/acc-2343?withBalance=true"))
	if !strings.Contains(string(details.body), `"closingBooked"`) || !strings.Contains(string(details.body), `"cashAccountType":"CACC"`) {
		t.Errorf("details: %s", details.body)
	}
	step("200 account details", 200, get("/v1/accounts/acc-8763"))
	bal := step("200 balances", 200, get("/v1/accounts/acc-8763/balances"))
	if !strings.Contains(string(bal.body), `"iban":"`+savingsIBAN+`"`) || !strings.Contains(string(bal.body), `"interimAvailable"`) {
		t.Errorf("balances: %s", bal.body)
	}

	from := today.AddDate(-1, 0, 0).Format(time.DateOnly)
	first := step("200 transactions, both, first page", 200, get("/v1/accounts/acc-2343/transactions?bookingStatus=both&dateFrom="+from))
	var r accountsReport
	first.json(t, &r)
	if len(r.Transactions.Pending) == 0 && len(r.Transactions.Booked) == 0 {
		t.Fatalf("a year of the current account has no transactions: %s", first.body)
	}
	next := r.Transactions.Links["next"].Href
	if next == "" {
		t.Fatal("a year of transactions fits on one page; the next link is not exercised")
	}
	step("200 transactions, next page", 200, get(next))
	step("200 transactions, booked, withBalance", 200, func() answer {
		a := get("/v1/accounts/acc-2343/transactions?bookingStatus=booked&withBalance=true&dateFrom=" + today.AddDate(0, 0, -40).Format(time.DateOnly) +
			"&dateTo=" + today.AddDate(0, 0, -10).Format(time.DateOnly))()
		var r accountsReport
		a.json(t, &r)
		if len(r.Balances) == 0 || len(r.Transactions.Pending) != 0 || len(r.Transactions.Booked) == 0 {
			t.Errorf("booked with balance: %s", a.body)
		}
		return a
	})
	pend := step("200 transactions, pending", 200, get("/v1/accounts/acc-2343/transactions?bookingStatus=pending&dateFrom="+today.AddDate(0, 0, -7).Format(time.DateOnly)))
	var pr accountsReport
	pend.json(t, &pr)
	if pr.Transactions.Booked != nil {
		t.Errorf("bookingStatus pending answered booked entries: %s", pend.body)
	}
	booked := r.Transactions.Booked[0]
	det := step("200 transaction details (the list's link)", 200, get(booked.Links["transactionDetails"].Href))
	var d struct {
		TransactionsDetails struct {
			TransactionDetails AccountTransaction `json:"transactionDetails"`
		} `json:"transactionsDetails"`
	}
	det.json(t, &d)
	if got := d.TransactionsDetails.TransactionDetails; got.TransactionID != booked.TransactionID || got.TransactionAmount != booked.TransactionAmount ||
		got.EntryReference != booked.EntryReference || got.BookingDate != booked.BookingDate {
		t.Errorf("details %+v differ from the list's entry %+v", got, booked)
	}

	// Errors.
	badStep("400 FORMAT_ERROR (bookingStatus missing, which the file requires)", 400, get("/v1/accounts/acc-2343/transactions?dateFrom="+from))
	step("400 PARAMETER_NOT_SUPPORTED (bookingStatus information)", 400, get("/v1/accounts/acc-2343/transactions?bookingStatus=information"))
	step("400 PERIOD_INVALID", 400, get("/v1/accounts/acc-2343/transactions?bookingStatus=booked&dateFrom="+today.Format(time.DateOnly)+
		"&dateTo="+today.AddDate(0, 0, -1).Format(time.DateOnly)))
	badStep("400 FORMAT_ERROR (withBalance not a boolean)", 400, get("/v1/accounts?withBalance=yes"))
	step("404 RESOURCE_UNKNOWN (account)", 404, get("/v1/accounts/acc-9999"))
	step("404 RESOURCE_UNKNOWN (a card is no payment account)", 404, get("/v1/accounts/card-8693/balances"))
	step("404 RESOURCE_UNKNOWN (transaction)", 404, get("/v1/accounts/acc-2343/transactions/acc-2343-19990101-1"))

	// A consent that gives the current account's details only.
	one, oneAT := p.consented(consentBody(func(m map[string]any) {
		m["access"] = map[string]any{"accounts": []any{map[string]any{"iban": currentIBAN, "currency": "EUR"}}}
	}))
	oh := map[string]string{"Consent-ID": one, "PSU-IP-Address": ip}
	onlyList := step("200 account list, withBalance, no balances granted", 200, func() answer {
		return p.call("GET", "/v1/accounts?withBalance=true", oneAT, nil, oh)
	})
	if l := string(onlyList.body); strings.Contains(l, savingsIBAN) || strings.Contains(l, "balances") || !strings.Contains(l, currentIBAN) {
		t.Errorf("accounts-only consent: list %s; want the current account without balances or links to them", l)
	}
	step("401 CONSENT_INVALID (account not granted)", 401, func() answer { return p.call("GET", "/v1/accounts/acc-8763", oneAT, nil, oh) })
	step("401 CONSENT_INVALID (balances not granted)", 401, func() answer {
		return p.call("GET", "/v1/accounts/acc-2343/balances", oneAT, nil, oh)
	})
	step("401 CONSENT_INVALID (transaction details not granted)", 401, func() answer {
		return p.call("GET", "/v1/accounts/acc-2343/transactions/"+booked.TransactionID, oneAT, nil, oh)
	})
}

// TestPaymentAccountPaging follows the report's next links to the end: the
// pages hold every transaction of the period once, in the order of the
// history (pending first), PageSize at most each, and the links are right.
func TestPaymentAccountPaging(t *testing.T) {
	s := startSandbox(t, Options{AutoApprove: true, AutoApprovePSU: PaymentCustomerID, RatePerSecond: -1})
	p := bankTPP(t, s)
	cid, at := p.consented(consentBody(nil))
	h := map[string]string{"Consent-ID": cid, "PSU-IP-Address": "192.0.2.1"}
	now := s.now().In(s.zone)
	today := dateOf(now)
	acc := s.psu(PaymentCustomerID).Accounts[0]
	for _, tc := range []struct {
		status string
		from   time.Time
	}{
		{"both", today.AddDate(-1, 0, 0)},
		{"booked", today.AddDate(-2, 0, 0)},
		{"pending", today.AddDate(0, 0, -3)},
		{"both", today}, // pending only, one page
	} {
		t.Run(tc.status+" from "+tc.from.Format(time.DateOnly), func(t *testing.T) {
			var want []string
			var pend, book []string
			for _, tx := range acc.Transactions(tc.from, today, now) {
				if tx.booked {
					book = append(book, tx.TransactionID)
				} else {
					pend = append(pend, tx.TransactionID)
				}
			}
			switch tc.status {
			case "booked":
				want = book
			case "pending":
				want = pend
			default:
				want = append(pend, book...)
			}
			var got []string
			pages := 0
			path := "/v1/accounts/" + acc.ResourceID + "/transactions?bookingStatus=" + tc.status + "&dateFrom=" + tc.from.Format(time.DateOnly)
			var lastHref string
			for path != "" {
				a := p.call("GET", path, at, nil, h)
				if a.status != 200 {
					t.Fatalf("%s: %d %s", path, a.status, a.body)
				}
				var r accountsReport
				a.json(t, &r)
				n := len(r.Transactions.Booked) + len(r.Transactions.Pending)
				if n > PageSize {
					t.Errorf("page %d holds %d", pages, n)
				}
				for _, tx := range append(r.Transactions.Pending, r.Transactions.Booked...) {
					got = append(got, tx.TransactionID)
				}
				links := r.Transactions.Links
				if links["account"].Href != "/v1/accounts/"+acc.ResourceID || links["first"].Href == "" || links["last"].Href == "" {
					t.Errorf("page %d links: %v", pages, links)
				}
				if (pages > 0) != (links["previous"].Href != "") {
					t.Errorf("page %d: previous %q", pages, links["previous"].Href)
				}
				lastHref = links["last"].Href
				pages++
				path = links["next"].Href
				if pages > 100 {
					t.Fatal("more than 100 pages")
				}
			}
			if strings.Join(got, ",") != strings.Join(want, ",") {
				t.Errorf("the pages hold %d transactions, the history %d (or in another order)", len(got), len(want))
			}
			if wantPages := max(1, (len(want)+PageSize-1)/PageSize); pages != wantPages {
				t.Errorf("%d pages, want %d", pages, wantPages)
			}
			if !strings.Contains(lastHref, "page="+itoa(pages-1)) {
				t.Errorf("last link %q is not page %d", lastHref, pages-1)
			}
		})
	}
	t.Run("a page past the last", func(t *testing.T) {
		a := p.call("GET", "/v1/accounts/acc-2343/transactions?bookingStatus=pending&page=7&dateFrom="+today.Format(time.DateOnly), at, nil, h)
		wantAPIError(t, a, 400, CodeFormatError, "page", "does not exist")
	})
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }
