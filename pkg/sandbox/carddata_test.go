package sandbox

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
)

// cardBalance is a balance as the answer carries it.
type cardBalance struct {
	BalanceAmount       Amount `json:"balanceAmount"`
	BalanceType         string `json:"balanceType"`
	CreditLimitIncluded bool   `json:"creditLimitIncluded"`
	ReferenceDate       string `json:"referenceDate"`
}

// balanceOf finds the balance of a type (and credit-line flag) in bs.
func balanceOf(t *testing.T, bs []cardBalance, typ string, credit bool) int64 {
	t.Helper()
	for _, b := range bs {
		if b.BalanceType == typ && b.CreditLimitIncluded == credit {
			return parseCents(b.BalanceAmount.Amount)
		}
	}
	t.Fatalf("no %s balance (creditLimitIncluded %v) in %+v", typ, credit, bs)
	return 0
}

// rateMicro reads an exchangeRate string ("0.085123") as millionths.
func rateMicro(t *testing.T, s string) int64 {
	t.Helper()
	var whole, frac int64
	if n, err := fmt.Sscanf(s, "%d.%06d", &whole, &frac); n != 2 || err != nil || len(s) != len(fmt.Sprint(whole))+7 {
		t.Fatalf("exchangeRate %q is not a decimal with six places", s)
	}
	return whole*rateScale + frac
}

// foreignDay is a day before yesterday (booked) on which card made a
// purchase in a foreign currency, found from the bank's own data so the
// checked answer is sure to carry one.
func foreignDay(t *testing.T, card *CardAccount, today time.Time) time.Time {
	t.Helper()
	for d := today.AddDate(0, 0, -2); d.After(today.AddDate(0, -6, 0)); d = d.AddDate(0, 0, -1) {
		for _, tx := range card.purchases(d) {
			if tx.OriginalAmount != nil {
				return d
			}
		}
	}
	t.Fatal("no foreign purchase in half a year")
	return time.Time{}
}

// TestOpenAPICardData: card data as the file's card notes describe it,
// every answer validated against the file. Balances come with the consent
// (never with a query parameter), as the file's balance types for cards;
// foreign-currency purchases carry originalAmount, currencyExchange,
// markupFee and markupFeePercentage, and add up.
func TestOpenAPICardData(t *testing.T) {
	rig := newSpecRig(t, Options{})
	p, step, badStep := rig.p, rig.step, rig.badStep
	ip := "192.0.2.1"
	today := bankDate(rig.clock.Now())
	card := rig.s.psu("1345611").Cards[0] // card-8693

	// allPsd2: balances for both cards, everywhere.
	all, at := p.consented(consentBody(nil))
	h := map[string]string{"Consent-ID": all, "PSU-IP-Address": ip}
	var list struct{ CardAccounts []cardAccountJSON }
	step("200 card accounts with balances (allPsd2)", 200, func() answer {
		return p.call("GET", "/v1/card-accounts", at, nil, h)
	}).json(t, &list)
	if len(list.CardAccounts) != 2 {
		t.Fatalf("allPsd2 lists %d cards, want 2", len(list.CardAccounts))
	}
	for _, c := range list.CardAccounts {
		if len(c.Balances) != 5 {
			t.Errorf("%s: %d balances, want the 5 card balance types", c.ResourceID, len(c.Balances))
		}
	}
	var det struct{ CardAccount cardAccountJSON }
	step("200 card account details with balances (allPsd2)", 200, func() answer {
		return p.call("GET", "/v1/card-accounts/card-8693", at, nil, h)
	}).json(t, &det)
	if len(det.CardAccount.Balances) != 5 {
		t.Errorf("details: %d balances, want 5", len(det.CardAccount.Balances))
	}

	t.Run("balance types and the credit line", func(t *testing.T) {
		var bal struct{ Balances []cardBalance }
		step("200 card balances", 200, func() answer {
			return p.call("GET", "/v1/card-accounts/card-8693/balances", at, nil, h)
		}).json(t, &bal)
		closing := balanceOf(t, bal.Balances, "closingBooked", false)
		interim := balanceOf(t, bal.Balances, "interimAvailable", false)
		expected := balanceOf(t, bal.Balances, "expected", false)
		spend := balanceOf(t, bal.Balances, "expected", true)
		nonInv := balanceOf(t, bal.Balances, "nonInvoiced", false)
		if spend-expected != card.CreditLimit {
			t.Errorf("expected with the credit line %d - expected %d = %d, want the credit limit %d", spend, expected, spend-expected, card.CreditLimit)
		}
		if interim != closing+nonInv {
			t.Errorf("interimAvailable %d != closingBooked %d + nonInvoiced %d (invoiced unpaid + booked not invoiced)", interim, closing, nonInv)
		}
		// expected - interimAvailable is the pending items: as the report lists them.
		var pend txReport
		step("200 pending transactions", 200, func() answer {
			return p.call("GET", "/v1/card-accounts/card-8693/transactions?bookingStatus=pending&dateFrom="+today.AddDate(0, 0, -3).Format(time.DateOnly), at, nil, h)
		}).json(t, &pend)
		var pending int64
		for _, tx := range pend.CardTransactions.Pending {
			pending += parseCents(tx.TransactionAmount.Amount)
		}
		if expected-interim != pending {
			t.Errorf("expected %d - interimAvailable %d = %d, want the pending items %d", expected, interim, expected-interim, pending)
		}
		// closingBooked is last month's statement until the repayment of the 5th is on the account.
		first := billingMonth(today)
		var owed int64
		var repayment *CardTransaction
		next := "/v1/card-accounts/card-8693/transactions?bookingStatus=booked&dateFrom=" + first.AddDate(0, -1, -1).Format(time.DateOnly)
		for next != "" {
			var r txReport
			p.call("GET", next, at, nil, h).json(t, &r)
			for _, tx := range r.CardTransactions.Booked {
				bd, _ := time.Parse(time.DateOnly, tx.BookingDate)
				switch {
				case tx.ProprietaryBankTxCode == "PURCHASE" && billingMonth(bd).Equal(first.AddDate(0, -1, 0)):
					owed += parseCents(tx.TransactionAmount.Amount)
					if !tx.Invoiced {
						t.Errorf("%s booked %s, last month, is not invoiced", tx.CardTransactionID, tx.BookingDate)
					}
				case tx.ProprietaryBankTxCode == "REPAYMENT" && billingMonth(bd).Equal(first):
					repayment = &tx
				case tx.ProprietaryBankTxCode == "PURCHASE" && billingMonth(bd).Equal(first) && tx.Invoiced:
					t.Errorf("%s booked %s, this month, is invoiced", tx.CardTransactionID, tx.BookingDate)
				}
			}
			next = r.CardTransactions.Links["next"].Href
		}
		if repaid(today) {
			if repayment == nil || parseCents(repayment.TransactionAmount.Amount) != -owed || closing != 0 {
				t.Errorf("repaid: repayment %+v, last month's purchases %d, closingBooked %d (want 0)", repayment, owed, closing)
			}
		} else if repayment != nil || closing != owed {
			t.Errorf("not yet repaid: closingBooked %d, want last month's purchases %d (repayment %+v)", closing, owed, repayment)
		}
	})

	t.Run("foreign-currency purchase", func(t *testing.T) {
		day := foreignDay(t, card, today).Format(time.DateOnly)
		var r struct {
			txReport
			Balances []cardBalance `json:"balances"`
		}
		step("200 transactions with a foreign purchase and balances", 200, func() answer {
			return p.call("GET", "/v1/card-accounts/card-8693/transactions?bookingStatus=booked&dateFrom="+day+"&dateTo="+day, at, nil, h)
		}).json(t, &r)
		if len(r.Balances) != 5 {
			t.Errorf("the consent gives balances: the report carries %d, want 5", len(r.Balances))
		}
		found := 0
		for _, tx := range r.CardTransactions.Booked {
			if tx.OriginalAmount == nil {
				if tx.CurrencyExchange != nil || tx.MarkupFee != nil || tx.MarkupFeePercentage != "" {
					t.Errorf("%s in EUR carries exchange data: %+v", tx.CardTransactionID, tx)
				}
				continue
			}
			found++
			if len(tx.CurrencyExchange) != 1 || tx.MarkupFee == nil || tx.MarkupFeePercentage != "1.5" {
				t.Fatalf("%s lacks currencyExchange, markupFee or markupFeePercentage: %+v", tx.CardTransactionID, tx)
			}
			x := tx.CurrencyExchange[0]
			if x.SourceCurrency != "NOK" || tx.OriginalAmount.Currency != "NOK" || x.UnitCurrency != "NOK" || x.TargetCurrency != "EUR" ||
				tx.TransactionAmount.Currency != "EUR" || tx.MarkupFee.Currency != "EUR" || x.QuotationDate != tx.TransactionDate {
				t.Errorf("%s: currencies or quotation date inconsistent: %+v %+v", tx.CardTransactionID, tx, x)
			}
			orig, fee, total := parseCents(tx.OriginalAmount.Amount), parseCents(tx.MarkupFee.Amount), parseCents(tx.TransactionAmount.Amount)
			conv := divRound(orig*rateMicro(t, x.ExchangeRate), rateScale)
			if fee != divRound(conv*150, 10_000) || total != conv+fee || orig >= 0 {
				t.Errorf("%s: %d NOK cents × %s = %d, markup %d, amount %d (want %d + 1.5 %%)", tx.CardTransactionID, orig, x.ExchangeRate, conv, fee, total, conv)
			}
		}
		if found == 0 {
			t.Fatalf("no foreign purchase on %s in the answer: %+v", day, r.CardTransactions.Booked)
		}
	})

	// Balances exactly where the consent gives them.
	t.Run("balances follow the consent", func(t *testing.T) {
		cid, at := p.consented(consentBody(func(m map[string]any) {
			m["access"] = map[string]any{
				"transactions": []any{map[string]any{"maskedPan": "524378******8693"}},
				"balances":     []any{map[string]any{"maskedPan": "524366******8694"}},
			}
		}))
		h := map[string]string{"Consent-ID": cid, "PSU-IP-Address": ip}
		var list struct{ CardAccounts []cardAccountJSON }
		step("200 card accounts, balances for one", 200, func() answer { return p.call("GET", "/v1/card-accounts", at, nil, h) }).json(t, &list)
		got := map[string]int{}
		for _, c := range list.CardAccounts {
			got[c.ResourceID] = len(c.Balances)
		}
		if len(got) != 2 || got["card-8693"] != 0 || got["card-8694"] != 5 {
			t.Errorf("balances per card = %v, want card-8693 none (transactions only), card-8694 5", got)
		}
		var d1, d2 struct{ CardAccount cardAccountJSON }
		step("200 details without balances", 200, func() answer { return p.call("GET", "/v1/card-accounts/card-8693", at, nil, h) }).json(t, &d1)
		step("200 details with balances", 200, func() answer { return p.call("GET", "/v1/card-accounts/card-8694", at, nil, h) }).json(t, &d2)
		if len(d1.CardAccount.Balances) != 0 || len(d2.CardAccount.Balances) != 5 {
			t.Errorf("details: card-8693 %d balances (want 0), card-8694 %d (want 5)", len(d1.CardAccount.Balances), len(d2.CardAccount.Balances))
		}
		a := step("200 transactions without balances", 200, func() answer {
			return p.call("GET", "/v1/card-accounts/card-8693/transactions?bookingStatus=both&dateFrom="+today.AddDate(0, 0, -5).Format(time.DateOnly), at, nil, h)
		})
		var raw map[string]json.RawMessage
		a.json(t, &raw)
		if _, ok := raw["balances"]; ok {
			t.Errorf("the consent gives no balances of card-8693, the report carries them: %s", a.body)
		}
	})

	// withBalance is no parameter of the card paths: refused by name, and
	// the refused call does not use the day's allowance.
	t.Run("withBalance", func(t *testing.T) {
		cid, at := p.consented(consentBody(func(m map[string]any) { m["frequencyPerDay"] = 1 }))
		noPSU := map[string]string{"Consent-ID": cid}
		for _, path := range []string{"/v1/card-accounts?withBalance=true", "/v1/card-accounts/card-8693?withBalance=true",
			"/v1/card-accounts/card-8693/balances?withBalance=false",
			"/v1/card-accounts/card-8693/transactions?bookingStatus=both&withBalance=true&dateFrom=" + today.Format(time.DateOnly)} {
			badStep("400 FORMAT_ERROR "+path, 400, func() answer {
				a := p.call("GET", path, at, nil, noPSU)
				wantAPIError(t, a, 400, CodeFormatError, "withBalance", `query parameter "withBalance" is not defined for GET /v1/card-accounts`, "card balances come with the consent")
				return a
			})
		}
		badStep("400 FORMAT_ERROR another undeclared parameter", 400, func() answer {
			a := p.call("GET", "/v1/card-accounts/card-8693/balances?currency=EUR", at, nil, noPSU)
			wantAPIError(t, a, 400, CodeFormatError, "currency", `query parameter "currency" is not defined for GET /v1/card-accounts/{account-id}/balances`)
			return a
		})
		step("200 the day's one access is still there", 200, func() answer { return p.call("GET", "/v1/card-accounts", at, nil, noPSU) })
		step("429 and now it is used", 429, func() answer { return p.call("GET", "/v1/card-accounts", at, nil, noPSU) })
	})
}

// TestAutoApproveAvailableAccounts: under --auto-approve the PSU picks all
// its cards where the consent lets it pick, so available-accounts consents
// give the cards (balances only with availableAccountsWithBalance).
func TestAutoApproveAvailableAccounts(t *testing.T) {
	rig := newSpecRig(t, Options{})
	p := rig.p
	for _, tc := range []struct {
		name     string
		access   map[string]any
		balances int
	}{
		{"availableAccounts", map[string]any{"availableAccounts": "allAccounts"}, 0},
		{"availableAccountsWithBalance", map[string]any{"availableAccountsWithBalance": "allAccounts"}, 5},
		{"empty accounts list", map[string]any{"accounts": []any{}}, 0},
		{"empty balances list", map[string]any{"balances": []any{}}, 5},
	} {
		cid, at := p.consented(consentBody(func(m map[string]any) { m["access"] = tc.access }))
		var list struct{ CardAccounts []cardAccountJSON }
		rig.step("200 "+tc.name, 200, func() answer {
			return p.call("GET", "/v1/card-accounts", at, nil, map[string]string{"Consent-ID": cid, "PSU-IP-Address": "192.0.2.1"})
		}).json(t, &list)
		var ids []string
		for _, c := range list.CardAccounts {
			ids = append(ids, c.ResourceID)
			if len(c.Balances) != tc.balances {
				t.Errorf("%s: %s has %d balances, want %d", tc.name, c.ResourceID, len(c.Balances), tc.balances)
			}
		}
		if strings.Join(ids, ",") != "card-8693,card-8694" {
			t.Errorf("%s: auto-approve gave %v, want both cards of 1345611", tc.name, ids)
		}
	}
}

// TestConvert: the card is charged original × rate, rounded to the cent
// (half away from zero), plus the markup on that, rounded likewise.
func TestConvert(t *testing.T) {
	for _, tc := range []struct {
		original, rate, bp       int64
		converted, markup, total int64
	}{
		{-250000, 85000, 150, -21250, -319, -21569}, // 2500.00 NOK at 0.085: 212.50 EUR, 1.5 % = 3.1875 → 3.19
		{-140001, 85123, 150, -11917, -179, -12096}, // 11917.31… cents; 178.755 → 179
		{-399999, 86499, 150, -34600, -519, -35119},
		{-33, 85000, 150, -3, 0, -3}, // 2.805 → 3; 0.045 → 0
		{-1, 85000, 150, 0, 0, 0},
		{12345, 920000, 150, 11357, 170, 11527}, // a refund is converted the same way, positive
		{-100000, 1000000, 0, -100000, 0, -100000},
	} {
		c := Convert(tc.original, tc.rate, tc.bp)
		if c.Converted != tc.converted || c.Markup != tc.markup || c.Total != tc.total {
			t.Errorf("Convert(%d, %d, %d) = %+v, want %d %d %d", tc.original, tc.rate, tc.bp, c, tc.converted, tc.markup, tc.total)
		}
	}
	for bp, want := range map[int64]string{150: "1.5", 175: "1.75", 200: "2", 5: "0.05"} {
		if got := formatBP(bp); got != want {
			t.Errorf("formatBP(%d) = %q, want %q", bp, got, want)
		}
	}
	for micro, want := range map[int64]string{85123: "0.085123", 1_000_000: "1.000000", 920_000: "0.920000"} {
		if got := formatRate(micro); got != want {
			t.Errorf("formatRate(%d) = %q, want %q", micro, got, want)
		}
	}
	// The day's rate is the same on every run, within ±2 % of the central rate.
	d := time.Date(2026, 3, 14, 0, 0, 0, 0, time.UTC)
	if a, b := exchangeRate("NOK", "EUR", d), exchangeRate("NOK", "EUR", d); a != b || a < 83_300 || a > 86_700 {
		t.Errorf("NOK/EUR on %s: %d and %d", d.Format(time.DateOnly), a, b)
	}
}

// TestCardBalancesStatement: before the repayment of the 5th,
// closingBooked is last month's statement (its last day the reference
// date); after, 0, and the repayment pays the statement in full.
func TestCardBalancesStatement(t *testing.T) {
	card := TestPSUs("Bank")[0].Cards[0]
	helsinkiNoon := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 12, 0, 0, 0, helsinki) }
	for _, tc := range []struct {
		now    time.Time
		repaid bool
	}{
		{helsinkiNoon(2026, 3, 3), false},
		{helsinkiNoon(2026, 3, 6), false},
		{helsinkiNoon(2026, 3, 7), true},
		{helsinkiNoon(2026, 3, 28), true},
		{helsinkiNoon(2026, 1, 2), false}, // the statement of December
	} {
		bs := card.Balances(tc.now)
		var closing Balance
		for _, b := range bs {
			if b.BalanceType == "closingBooked" {
				closing = b
			}
		}
		today := dateOf(tc.now)
		lastMonth := billingMonth(today).AddDate(0, -1, 0)
		owed := card.statement(lastMonth)
		if owed >= 0 {
			t.Fatalf("%s: last month's statement is %d; the data should owe something", today.Format(time.DateOnly), owed)
		}
		want := owed
		if tc.repaid {
			want = 0
		}
		if parseCents(closing.BalanceAmount.Amount) != want || closing.ReferenceDate != billingMonth(today).AddDate(0, 0, -1).Format(time.DateOnly) {
			t.Errorf("%s: closingBooked %+v, want %d on the statement's last day", today.Format(time.DateOnly), closing, want)
		}
		var pay *CardTransaction
		for _, tx := range card.Transactions(billingMonth(today), today, tc.now) {
			if tx.ProprietaryBankTxCode == "REPAYMENT" {
				pay = &tx
			}
		}
		if (pay != nil) != tc.repaid || (pay != nil && parseCents(pay.TransactionAmount.Amount) != -owed) {
			t.Errorf("%s: repayment %+v, want repaid=%v paying %d", today.Format(time.DateOnly), pay, tc.repaid, -owed)
		}
	}
}
