package sandbox

import (
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xs2a-dev/xs2a/pkg/iban"
)

// TestIBANCheck: the ISO 13616 check against published examples (the
// standard's and the national formats' own), and what it refuses.
func TestIBANCheck(t *testing.T) {
	for _, s := range []string{
		"FI2112345600000785",              // Finnish example (Finance Finland)
		"DE89370400440532013000",          // German example (ECBS / Wikipedia)
		"GB82WEST12345698765432",          // British example, letters in the BBAN
		"NL91ABNA0417164300",              // Dutch example
		"MT84MALT011000012345MTLCAST001S", // 31 characters
		currentIBAN, savingsIBAN,
		employer.iban, landlord.iban, electricity.iban, friends[0].iban, friends[1].iban,
	} {
		if !iban.Valid(s) {
			t.Errorf("%s refused", s)
		}
	}
	for _, bad := range []string{
		"FI2112345600000786",     // last digit changed
		"FI2212345600000785",     // check digits changed
		"FI12112345600000785",    // a digit too many before the BBAN
		"fi2112345600000785",     // the country in lower case
		"FI21 1234 5600 0007 85", // the paper form, with spaces
		"FI21",                   // no BBAN
		"2112345600000785",       // no country
		"",
		"FI21123456000007850000000000000000000", // longer than 34
	} {
		if iban.Valid(bad) && len(bad) <= 34 {
			t.Errorf("%q accepted", bad)
		}
	}
	if got := ibanOf("FI", "12345600000785"); got != "FI2112345600000785" {
		t.Errorf("ibanOf = %s, want the example's FI2112345600000785", got)
	}
}

// TestGrantPaymentAccounts: what grant gives for each kind of consent, for
// the payment customer and for the card customer.
func TestGrantPaymentAccounts(t *testing.T) {
	payer := paymentCustomer("Bank")
	carder := TestPSUs("Bank")[0]
	ref := func(iban string) []AccountReference { return []AccountReference{{IBAN: iban}} }
	type got struct{ accounts, balances, transactions []string }
	for _, tc := range []struct {
		name   string
		psu    *PSU
		access Access
		picked []string
		want   got
	}{
		{"iban in accounts", payer, Access{Accounts: ref(currentIBAN)}, nil, got{accounts: []string{"acc-2343"}}},
		{"iban in balances gives the account too", payer, Access{Balances: ref(savingsIBAN)}, nil,
			got{accounts: []string{"acc-8763"}, balances: []string{"acc-8763"}}},
		{"iban in transactions", payer, Access{Transactions: ref(currentIBAN)}, nil,
			got{accounts: []string{"acc-2343"}, transactions: []string{"acc-2343"}}},
		{"iban with its currency", payer, Access{Accounts: []AccountReference{{IBAN: currentIBAN, Currency: "EUR"}}}, nil,
			got{accounts: []string{"acc-2343"}}},
		{"iban with another currency", payer, Access{Accounts: []AccountReference{{IBAN: currentIBAN, Currency: "SEK"}}}, nil, got{}},
		{"iban of no account of the PSU", payer, Access{Accounts: ref("FI2112345600000785")}, nil, got{}},
		{"iban of the PSU's account, card customer", carder, Access{Accounts: ref(currentIBAN)}, nil, got{}},
		{"maskedPan, payment customer", payer, Access{Accounts: []AccountReference{{MaskedPAN: "524378******8693"}}}, nil, got{}},
		{"iban and maskedPan lists mixed", carder, Access{Accounts: []AccountReference{{IBAN: currentIBAN}, {MaskedPAN: "524378******8693"}}}, nil,
			got{accounts: []string{"card-8693"}}},
		{"allPsd2", payer, Access{AllPsd2: "allAccounts"}, nil, got{
			accounts: []string{"acc-2343", "acc-8763"}, balances: []string{"acc-2343", "acc-8763"}, transactions: []string{"acc-2343", "acc-8763"}}},
		{"allPsd2, card customer", carder, Access{AllPsd2: "allAccounts"}, nil, got{
			accounts: []string{"card-8693", "card-8694"}, balances: []string{"card-8693", "card-8694"}, transactions: []string{"card-8693", "card-8694"}}},
		{"availableAccounts, one picked", payer, Access{AvailableAccounts: "allAccounts"}, []string{"acc-8763"}, got{accounts: []string{"acc-8763"}}},
		{"availableAccountsWithBalance, both picked", payer, Access{AvailableAccountsWithBalance: "allAccounts"}, []string{"acc-2343", "acc-8763"},
			got{accounts: []string{"acc-2343", "acc-8763"}, balances: []string{"acc-2343", "acc-8763"}}},
		{"empty transactions list, one picked", payer, Access{Transactions: []AccountReference{}}, []string{"acc-2343"},
			got{accounts: []string{"acc-2343"}, transactions: []string{"acc-2343"}}},
		{"a picked id of another PSU's account", payer, Access{AvailableAccounts: "allAccounts"}, []string{"card-8693", "acc-2343"},
			got{accounts: []string{"acc-2343"}}},
		{"nothing picked", payer, Access{Balances: []AccountReference{}}, nil, got{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &Consent{Access: tc.access}
			grant(c, tc.psu, tc.picked)
			ids := func(m map[string]bool) []string {
				var out []string
				for id, ok := range m {
					if ok {
						out = append(out, id)
					}
				}
				slices.Sort(out)
				return out
			}
			g := got{ids(c.Accounts), ids(c.Balances), ids(c.Transactions)}
			if !reflect.DeepEqual(g, tc.want) {
				t.Errorf("granted %+v, want %+v", g, tc.want)
			}
		})
	}
}

// TestConsentIBANReferences: consent requests naming payment accounts by
// IBAN are accepted when the IBAN is well formed; the field at fault is
// named otherwise.
func TestConsentIBANReferences(t *testing.T) {
	s := startSandbox(t, Options{RatePerSecond: -1})
	p := bankTPP(t, s)
	tok := p.clientToken()
	body := func(access map[string]any) []byte {
		return consentBody(func(m map[string]any) { m["access"] = access })
	}
	for _, tc := range []struct {
		name       string
		access     map[string]any
		status     int
		code, path string
		text       string
	}{
		{"iban", map[string]any{"balances": []any{map[string]any{"iban": currentIBAN}}}, 201, "", "", ""},
		{"iban and currency", map[string]any{"transactions": []any{map[string]any{"iban": savingsIBAN, "currency": "EUR"}}}, 201, "", "", ""},
		{"check digits wrong", map[string]any{"accounts": []any{map[string]any{"iban": "FI0512345600012343"}}}, 400, CodeFormatError, "access.accounts[0].iban", "is not an IBAN"},
		{"spaces", map[string]any{"balances": []any{map[string]any{"iban": "FI04 1234 5600 0123 43"}}}, 400, CodeFormatError, "access.balances[0].iban", "is not an IBAN"},
		{"second reference malformed", map[string]any{"transactions": []any{map[string]any{"iban": currentIBAN}, map[string]any{"iban": "XX"}}}, 400, CodeFormatError, "access.transactions[1].iban", "is not an IBAN"},
		{"iban and maskedPan in one reference", map[string]any{"accounts": []any{map[string]any{"iban": currentIBAN, "maskedPan": "524378******8693"}}}, 400, CodeFormatError, "access.accounts[0]", "give one"},
		{"currency malformed", map[string]any{"accounts": []any{map[string]any{"iban": currentIBAN, "currency": "eur"}}}, 400, CodeFormatError, "access.accounts[0].currency", "ISO 4217"},
		{"no identifier", map[string]any{"accounts": []any{map[string]any{"currency": "EUR"}}}, 400, CodeFormatError, "access.accounts[0]", "give iban"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := p.call("POST", "/v1/consents", tok, body(tc.access), nil)
			if tc.status == 201 {
				wantStatus(t, a, 201)
				return
			}
			wantAPIError(t, a, tc.status, tc.code, tc.path, tc.text)
		})
	}
}

// TestPaymentAccountsPicked: the PSU of payment accounts signs in on the
// bank's pages, sees the accounts by IBAN, picks one, and the consent
// gives that one only.
func TestPaymentAccountsPicked(t *testing.T) {
	s := startSandbox(t, Options{RatePerSecond: -1})
	p := bankTPP(t, s)
	cid := p.createConsent(consentBody(func(m map[string]any) { m["access"] = map[string]any{"availableAccountsWithBalance": "allAccounts"} }))
	verifier, challenge := pkce()
	session, otp := p.loginPage(authQuery(p.app, cid, loopbackRedirect, "st", challenge))
	page := p.post("/oauth/login", map[string][]string{"session": {session}, "psu_id": {PaymentCustomerID}, "otp": {otp}})
	for _, want := range []string{currentIBAN, savingsIBAN, `value="acc-2343"`, `value="acc-8763"`, "the list of the accounts you choose, with balances"} {
		if !strings.Contains(string(page.body), want) {
			t.Errorf("the consent page lacks %q:\n%s", want, page.body)
		}
	}
	a := p.post("/oauth/decision", map[string][]string{"session": {session}, "decision": {"approve"}, "account": {"acc-8763"}})
	q := redirected(t, a, loopbackRedirect)
	tr := p.tokens(authGrant{cid: cid, code: q.Get("code"), redirect: loopbackRedirect, verifier: verifier})
	h := map[string]string{"Consent-ID": cid, "PSU-IP-Address": "192.0.2.1"}
	list := p.call("GET", "/v1/accounts?withBalance=true", tr.AccessToken, nil, h)
	var l struct{ Accounts []accountJSON }
	list.json(t, &l)
	if list.status != 200 || len(l.Accounts) != 1 || l.Accounts[0].IBAN != savingsIBAN || len(l.Accounts[0].Balances) == 0 {
		t.Errorf("list after picking the savings account: %d %s", list.status, list.body)
	}
	if l.Accounts[0].Links["transactions"].Href != "" {
		t.Errorf("availableAccountsWithBalance links to transactions: %s", list.body)
	}
	wantAPIError(t, p.call("GET", "/v1/accounts/acc-2343", tr.AccessToken, nil, h), 401, CodeConsentInvalid, "")
	wantStatus(t, p.call("GET", "/v1/accounts/acc-8763/balances", tr.AccessToken, nil, h), 200)
	wantAPIError(t, p.call("GET", "/v1/accounts/acc-8763/transactions?bookingStatus=booked&dateFrom=2026-01-01", tr.AccessToken, nil, h), 401, CodeConsentInvalid, "")
	// The card customer's account list stays empty.
	cid2, at2 := p.consentedAs(DocumentedPSU)
	l2 := p.call("GET", "/v1/accounts", at2, nil, map[string]string{"Consent-ID": cid2, "PSU-IP-Address": "192.0.2.1"})
	if l2.status != 200 || strings.TrimSpace(string(l2.body)) != `{"accounts":[]}` {
		t.Errorf("card customer's account list: %d %s", l2.status, l2.body)
	}
}

// consentedAs creates an allPsd2 consent that psu approves on the pages.
func (p *party) consentedAs(psu string) (string, string) {
	p.t.Helper()
	cid := p.createConsent(consentBody(nil))
	return cid, p.tokens(p.approve(cid, psu)).AccessToken
}

// TestPaymentAccountRequests: the refusals of the payment-account
// operations, beyond those the OpenAPI test shows.
func TestPaymentAccountRequests(t *testing.T) {
	clock := newClock(time.Now())
	s := startSandbox(t, Options{AutoApprove: true, AutoApprovePSU: PaymentCustomerID, RatePerSecond: -1, Now: clock.Now})
	p := bankTPP(t, s)
	cid, at := p.consented(consentBody(nil))
	h := map[string]string{"Consent-ID": cid, "PSU-IP-Address": "192.0.2.1"}
	today := dateOf(s.now().In(s.zone))
	day := func(n int) string { return today.AddDate(0, 0, n).Format(time.DateOnly) }
	tx := "/v1/accounts/acc-2343/transactions?"
	for _, tc := range []struct {
		name, path string
		status     int
		code, at   string
		text       string
	}{
		{"bookingStatus all", tx + "bookingStatus=all&dateFrom=" + day(-3), 400, CodeParameterNotSupported, "bookingStatus", "not supported"},
		{"bookingStatus unknown", tx + "bookingStatus=future&dateFrom=" + day(-3), 400, CodeFormatError, "bookingStatus", "is not booked, pending or both"},
		{"deltaList", tx + "bookingStatus=booked&deltaList=true", 400, CodeParameterNotSupported, "", "delta reports"},
		{"entryReferenceFrom", tx + "bookingStatus=booked&entryReferenceFrom=2026120301234301", 400, CodeParameterNotSupported, "", "delta reports"},
		{"dateFrom missing", tx + "bookingStatus=booked", 400, CodeFormatError, "dateFrom", "dateFrom is required"},
		{"dateFrom not a date", tx + "bookingStatus=booked&dateFrom=05.12.2026", 400, CodeFormatError, "dateFrom", "not an ISO date"},
		{"dateTo not a date", tx + "bookingStatus=booked&dateFrom=" + day(-3) + "&dateTo=tomorrow", 400, CodeFormatError, "dateTo", "not an ISO date"},
		{"dateFrom in the future", tx + "bookingStatus=booked&dateFrom=" + day(1) + "&dateTo=" + day(2), 400, CodePeriodInvalid, "", "in the future"},
		{"dateFrom before the history", tx + "bookingStatus=booked&dateFrom=" + today.AddDate(-2, 0, -1).Format(time.DateOnly), 400, CodePeriodInvalid, "", "two years"},
		{"withBalance not a boolean", tx + "bookingStatus=booked&withBalance=1&dateFrom=" + day(-3), 400, CodeFormatError, "withBalance", "not a boolean"},
		{"details withBalance not a boolean", "/v1/accounts/acc-2343?withBalance=TRUE", 400, CodeFormatError, "withBalance", "not a boolean"},
		{"transaction of another account", "/v1/accounts/acc-8763/transactions/acc-2343-" + today.AddDate(0, 0, -5).Format("20060102") + "-1", 404, CodeResourceUnknown, "", "does not exist"},
		{"transaction id not of the form", "/v1/accounts/acc-2343/transactions/acc-2343-x", 404, CodeResourceUnknown, "", "does not exist"},
		{"transaction number past the day's", "/v1/accounts/acc-2343/transactions/acc-2343-" + today.AddDate(0, 0, -5).Format("20060102") + "-99", 404, CodeResourceUnknown, "", "does not exist"},
		{"card account on the payment path", "/v1/accounts/card-8693", 404, CodeResourceUnknown, "", "does not exist"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantAPIError(t, p.call("GET", tc.path, at, nil, h), tc.status, tc.code, tc.at, tc.text)
		})
	}
	t.Run("405 on a payment-account path", func(t *testing.T) {
		for _, path := range []string{"/v1/accounts/acc-2343", "/v1/accounts/acc-2343/balances", "/v1/accounts/acc-2343/transactions/acc-2343-20261201-1"} {
			a := p.call("DELETE", path, at, nil, h)
			if a.status != 405 || a.header.Get("Allow") != "GET" {
				t.Errorf("DELETE %s: %d Allow %q", path, a.status, a.header.Get("Allow"))
			}
		}
	})
	t.Run("a pending transaction's details", func(t *testing.T) {
		// The last two days are pending; go forward a day at a time until
		// they hold an entry (the history is the same on every run), and
		// read it with a consent of that day.
		acc := s.psu(PaymentCustomerID).Accounts[0]
		for d := 0; d < 30; d++ {
			now := s.now().In(s.zone)
			var pending []AccountTransaction
			for _, tx := range acc.Transactions(dateOf(now).AddDate(0, 0, -1), now, now) {
				if !tx.booked {
					pending = append(pending, tx)
				}
			}
			if len(pending) == 0 {
				clock.Add(24 * time.Hour)
				continue
			}
			cid, at := p.consented(consentBody(nil))
			h := map[string]string{"Consent-ID": cid, "PSU-IP-Address": "192.0.2.1"}
			a := p.call("GET", "/v1/accounts/acc-2343/transactions/"+pending[0].TransactionID, at, nil, h)
			if a.status != 200 || strings.Contains(string(a.body), "bookingDate") || strings.Contains(string(a.body), "entryReference") ||
				!strings.Contains(string(a.body), pending[0].TransactionID) {
				t.Errorf("pending details: %d %s", a.status, a.body)
			}
			return
		}
		t.Fatal("no pending entry in 30 days")
	})
}

// TestAutoApprovePSU: AutoApprovePSU names the customer; an unknown one is
// refused at start.
func TestAutoApprovePSU(t *testing.T) {
	if _, err := New(Options{Certs: sharedSet(t), AutoApprovePSU: "9999999"}); err == nil || !strings.Contains(err.Error(), PaymentCustomerID) {
		t.Errorf("unknown auto-approve customer: %v", err)
	}
}

// TestDataDirKeepsIBANGrants: a consent granting payment accounts is read
// back after a restart as it was granted (the grants are account ids, as
// for cards).
func TestDataDirKeepsIBANGrants(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	clock := newClock(time.Now())
	opts := Options{AutoApprove: true, AutoApprovePSU: PaymentCustomerID, RatePerSecond: -1, Now: clock.Now}
	s1 := startData(t, dir, opts)
	p := bankTPP(t, s1)
	cid, at := p.consented(consentBody(func(m map[string]any) {
		m["access"] = map[string]any{"balances": []any{map[string]any{"iban": savingsIBAN}}, "accounts": []any{map[string]any{"iban": currentIBAN}}}
	}))
	s1.Close()
	s2 := startData(t, dir, opts)
	defer s2.Close()
	p = bankTPP(t, s2)
	h := map[string]string{"Consent-ID": cid, "PSU-IP-Address": "192.0.2.1"}
	wantStatus(t, p.call("GET", "/v1/accounts/acc-8763/balances", at, nil, h), 200)
	wantStatus(t, p.call("GET", "/v1/accounts/acc-2343", at, nil, h), 200)
	wantAPIError(t, p.call("GET", "/v1/accounts/acc-2343/balances", at, nil, h), 401, CodeConsentInvalid, "")
	var l struct{ Accounts []accountJSON }
	a := p.call("GET", "/v1/accounts", at, nil, h)
	a.json(t, &l)
	if len(l.Accounts) != 2 {
		t.Errorf("account list after restart: %s", a.body)
	}
}

// BenchmarkPaymentAccountBalances: a balance walks the account's two years
// of history (withBalance on the list does it for each account).
func BenchmarkPaymentAccountBalances(b *testing.B) {
	acc := paymentCustomer("Bank").Accounts[0]
	now := time.Now()
	for b.Loop() {
		acc.Balances(now)
	}
}
