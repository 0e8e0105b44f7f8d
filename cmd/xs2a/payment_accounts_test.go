package main_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/xs2a-dev/xs2a/pkg/sandbox"
)

// TestPaymentAccountsThroughTheBinary: customer 5000001's IBAN payment
// accounts, read with the built binary (consent create, authorize, and the
// five /v1/accounts operations through `xs2a api`) from a sandbox that
// approves as that customer.
func TestPaymentAccountsThroughTheBinary(t *testing.T) {
	needCurl(t)
	b := startBank(t, sandbox.Options{AutoApprove: true, AutoApprovePSU: sandbox.PaymentCustomerID, RatePerSecond: -1, RatePerDay: -1})
	u := newUser(t, b, nil)
	u.must("consent", "create") // allPsd2
	u.must("authorize", "--exchange", "--timeout", "20s")

	var list struct {
		Accounts []struct {
			ResourceID, IBAN, CashAccountType string
			Balances                          []json.RawMessage
		}
	}
	r := u.must("api", "GET", "/v1/accounts?withBalance=true", "-H", "PSU-IP-Address: 192.0.2.1")
	if err := json.Unmarshal([]byte(r.stdout), &list); err != nil || len(list.Accounts) != 2 {
		t.Fatalf("account list: %v\n%s", err, r.stdout)
	}
	for i, want := range []string{"FI0412345600012343", "FI9612345600098763"} {
		if a := list.Accounts[i]; a.IBAN != want || len(a.Balances) == 0 {
			t.Errorf("account %d: %+v; want %s with balances", i, a, want)
		}
	}
	u.must("api", "GET", "/v1/accounts/acc-8763", "-H", "PSU-IP-Address: 192.0.2.1")
	if r := u.must("api", "GET", "/v1/accounts/acc-8763/balances", "-H", "PSU-IP-Address: 192.0.2.1"); !strings.Contains(r.stdout, `"closingBooked"`) {
		t.Errorf("balances: %s", r.stdout)
	}
	from := time.Now().AddDate(0, -1, 0).Format(time.DateOnly)
	r = u.must("api", "GET", "/v1/accounts/acc-2343/transactions?bookingStatus=booked&dateFrom="+from, "-H", "PSU-IP-Address: 192.0.2.1")
	var rep struct {
		Transactions struct {
			Booked []struct {
				TransactionID string
				Links         map[string]struct{ Href string } `json:"_links"`
			}
		}
	}
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil || len(rep.Transactions.Booked) == 0 {
		t.Fatalf("a month of booked transactions: %v\n%s", err, r.stdout)
	}
	tx := rep.Transactions.Booked[0]
	r = u.must("api", "GET", tx.Links["transactionDetails"].Href, "-H", "PSU-IP-Address: 192.0.2.1")
	if !strings.Contains(r.stdout, `"transactionId": "`+tx.TransactionID+`"`) {
		t.Errorf("transaction details of %s: %s", tx.TransactionID, r.stdout)
	}
	// An unknown transaction: the bank's 404 is the command's error.
	r = u.run("api", "GET", "/v1/accounts/acc-2343/transactions/acc-2343-19990101-1", "-H", "PSU-IP-Address: 192.0.2.1")
	if r.code == 0 || !strings.Contains(r.stderr, "RESOURCE_UNKNOWN") {
		t.Errorf("unknown transaction: exit %d\n%s", r.code, r.stderr)
	}
}
