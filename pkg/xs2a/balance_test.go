package xs2a_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xs2a-dev/xs2a/pkg/sandbox"
	"github.com/xs2a-dev/xs2a/pkg/xs2a"
)

func bal(typ, amount string, limit bool) xs2a.Balance {
	return xs2a.Balance{BalanceType: typ, BalanceAmount: xs2a.Amount{Currency: "EUR", Amount: amount}, CreditLimitIncluded: limit}
}

func TestSpendable(t *testing.T) {
	card := []xs2a.Balance{bal("closingBooked", "-100.00", false), bal("interimAvailable", "-150.00", false),
		bal("expected", "-170.00", false), bal("expected", "4830.00", true), bal("nonInvoiced", "-50.00", false)}
	for _, tc := range []struct {
		name        string
		bs          []xs2a.Balance
		card        bool
		amount, lbl string
	}{
		{"card: expected with the credit limit", card, true, "4830.00", "expected with credit limit"},
		{"card: interimAvailable with the credit limit when no such expected",
			[]xs2a.Balance{bal("interimAvailable", "-150.00", false), bal("interimAvailable", "4850.00", true)}, true, "4850.00", "interimAvailable with credit limit"},
		{"card without a credit-limit balance: interimAvailable", card[:3], true, "-150.00", "interimAvailable"},
		{"card: the first when no interimAvailable", []xs2a.Balance{bal("closingBooked", "-1.00", false)}, true, "-1.00", "closingBooked"},
		{"payment account: interimAvailable, not the credit-limit one", card, false, "-150.00", "interimAvailable"},
		{"payment account: the first", []xs2a.Balance{bal("closingBooked", "10.00", false), bal("expected", "12.00", false)}, false, "10.00", "closingBooked"},
	} {
		b, lbl, ok := xs2a.Spendable(tc.bs, tc.card)
		if !ok || b.BalanceAmount.Amount != tc.amount || lbl != tc.lbl {
			t.Errorf("%s: %+v %q %v; want %s %q", tc.name, b, lbl, ok, tc.amount, tc.lbl)
		}
	}
	if _, _, ok := xs2a.Spendable(nil, true); ok {
		t.Error("no balances gave one")
	}
}

// cents reads a Berlin Group amount ("-1234.5", "12.00") in cents.
func cents(t *testing.T, a string) int64 {
	t.Helper()
	whole, frac, _ := strings.Cut(a, ".")
	frac = (frac + "00")[:2]
	neg := strings.HasPrefix(whole, "-")
	w, err := strconv.ParseInt(strings.TrimPrefix(whole, "-"), 10, 64)
	f, err2 := strconv.ParseInt(frac, 10, 64)
	if err != nil || err2 != nil {
		t.Fatalf("amount %q", a)
	}
	if neg {
		return -(w*100 + f)
	}
	return w*100 + f
}

// TestSpendableAgainstTheSandbox: for the sandbox's cards (the file's card
// notes) the money to spend is the credit limit plus the expected balance
// of the same answer, not interimAvailable.
func TestSpendableAgainstTheSandbox(t *testing.T) {
	ctx := context.Background()
	s, mtls, c, cfg := bank(t, sandbox.Options{AutoApprove: true, RatePerSecond: -1, RatePerDay: -1})
	_, at, cid := approved(t, s, mtls, c, cfg, xs2a.ConsentRequest{Access: xs2a.Access{AllPsd2: "allAccounts"},
		RecurringIndicator: true, ValidUntil: time.Now().AddDate(0, 0, 30).Format(time.DateOnly), FrequencyPerDay: 4})
	c.PSUIPAddress = "192.0.2.1"
	for _, id := range []string{"card-8693", "card-8694"} {
		card, err := c.CardAccount(ctx, at, cid, id)
		if err != nil || card.CreditLimit == nil {
			t.Fatalf("%s: %v %+v", id, err, card)
		}
		b, lbl, ok := xs2a.Spendable(card.Balances, true)
		var expected, interim *xs2a.Balance
		for i, x := range card.Balances {
			switch {
			case x.BalanceType == "expected" && !x.CreditLimitIncluded:
				expected = &card.Balances[i]
			case x.BalanceType == "interimAvailable" && !x.CreditLimitIncluded:
				interim = &card.Balances[i]
			}
		}
		if !ok || expected == nil || interim == nil {
			t.Fatalf("%s: balances %+v", id, card.Balances)
		}
		if got, want := cents(t, b.BalanceAmount.Amount), cents(t, card.CreditLimit.Amount)+cents(t, expected.BalanceAmount.Amount); got != want || lbl != "expected with credit limit" {
			t.Errorf("%s: spendable %s (%s); want credit limit %s + expected %s", id, b.BalanceAmount.Amount, lbl, card.CreditLimit.Amount, expected.BalanceAmount.Amount)
		}
		if b.BalanceAmount.Amount == interim.BalanceAmount.Amount {
			t.Errorf("%s: spendable is interimAvailable %s", id, interim.BalanceAmount.Amount)
		}
	}
}
