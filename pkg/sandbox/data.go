package sandbox

import (
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"time"

	"github.com/xs2a-dev/xs2a/pkg/xs2a"
)

// PSU is a test customer of the emulated bank.
type PSU struct {
	ID    string
	Name  string
	Cards []*CardAccount
	// Accounts are the PSU's IBAN payment accounts (paymentaccounts.go).
	Accounts []*PaymentAccount
	// RevokesConsent: the PSU revokes every consent right after approving it
	// (through the bank's app), to test revokedByPsu.
	RevokesConsent bool
	Note           string
}

// CardAccount is one card account with its data.
type CardAccount struct {
	ResourceID  string
	MaskedPAN   string
	Name        string
	DisplayName string
	Product     string
	Currency    string
	OwnerName   string
	Status      string // enabled | blocked
	CreditLimit int64  // cents
	Usage       string
}

// Amount is a Berlin Group amount: the value is a string.
type Amount = xs2a.Amount

func cents(currency string, c int64) Amount {
	sign := ""
	if c < 0 {
		sign, c = "-", -c
	}
	return Amount{Currency: currency, Amount: fmt.Sprintf("%s%d.%02d", sign, c/100, c%100)}
}

// TestPSUs are the sandbox's customers; 1345611 is the one the bank documents.
func TestPSUs(bank string) []*PSU {
	return []*PSU{
		{ID: "1345611", Name: "Test Customer", Note: "the documented test customer: two MC_CARD accounts", Cards: []*CardAccount{
			{ResourceID: "card-8693", MaskedPAN: "524378******8693", Name: "MC_CARD", DisplayName: bank + " Mastercard",
				Product: "Mastercard Credit", Currency: "EUR", OwnerName: "Test Customer", Status: "enabled", CreditLimit: 500000, Usage: "PRIV"},
			{ResourceID: "card-8694", MaskedPAN: "524366******8694", Name: "MC_CARD", DisplayName: bank + " Mastercard Gold",
				Product: "Mastercard Gold Credit", Currency: "EUR", OwnerName: "Test Customer", Status: "enabled", CreditLimit: 1000000, Usage: "PRIV"},
		}},
		{ID: "2000001", Name: "No Cards", Note: "a PSU without card accounts: the account list is empty"},
		{ID: "3000001", Name: "Blocked Card", Note: "one enabled and one blocked card: the blocked card answers RESOURCE_BLOCKED", Cards: []*CardAccount{
			{ResourceID: "card-1111", MaskedPAN: "524378******1111", Name: "MC_CARD", DisplayName: bank + " Mastercard",
				Product: "Mastercard Credit", Currency: "EUR", OwnerName: "Blocked Card", Status: "enabled", CreditLimit: 200000, Usage: "PRIV"},
			{ResourceID: "card-2222", MaskedPAN: "524366******2222", Name: "MC_CARD", DisplayName: bank + " Mastercard Gold",
				Product: "Mastercard Gold Credit", Currency: "EUR", OwnerName: "Blocked Card", Status: "blocked", CreditLimit: 300000, Usage: "PRIV"},
		}},
		{ID: "4000001", Name: "Revoking Customer", RevokesConsent: true, Note: "revokes every consent in the bank's app right after approving it: calls answer CONSENT_INVALID (revokedByPsu)", Cards: []*CardAccount{
			{ResourceID: "card-4444", MaskedPAN: "524378******4444", Name: "MC_CARD", DisplayName: bank + " Mastercard",
				Product: "Mastercard Credit", Currency: "EUR", OwnerName: "Revoking Customer", Status: "enabled", CreditLimit: 150000, Usage: "PRIV"},
		}},
		paymentCustomer(bank),
	}
}

// CardTransaction is the Berlin Group cardTransaction subset the sandbox fills.
type CardTransaction struct {
	CardTransactionID           string               `json:"cardTransactionId"`
	TransactionDate             string               `json:"transactionDate"`
	AcceptorTransactionDateTime string               `json:"acceptorTransactionDateTime"`
	BookingDate                 string               `json:"bookingDate,omitempty"`
	ValueDate                   string               `json:"valueDate,omitempty"`
	TransactionAmount           Amount               `json:"transactionAmount"`
	CurrencyExchange            []ReportExchangeRate `json:"currencyExchange,omitempty"`
	OriginalAmount              *Amount              `json:"originalAmount,omitempty"`
	MarkupFee                   *Amount              `json:"markupFee,omitempty"`
	MarkupFeePercentage         string               `json:"markupFeePercentage,omitempty"`
	CardAcceptorID              string               `json:"cardAcceptorId,omitempty"`
	MerchantCategoryCode        string               `json:"merchantCategoryCode,omitempty"`
	MaskedPAN                   string               `json:"maskedPAN"`
	TransactionDetails          string               `json:"transactionDetails"`
	Invoiced                    bool                 `json:"invoiced"`
	ProprietaryBankTxCode       string               `json:"proprietaryBankTransactionCode,omitempty"`
	booked                      bool
	when                        time.Time
}

type merchant struct {
	name, mcc string
	min, max  int64 // cents of the card's currency, or of foreign when set
	foreign   string
}

var merchants = []merchant{
	{"K-Market Kamppi HELSINKI", "5411", 320, 8900, ""},
	{"S-Market Tampere", "5411", 540, 12400, ""},
	{"Neste Espoo", "5541", 2500, 9800, ""},
	{"HSL Mobiili", "4111", 280, 5980, ""},
	{"Alko Forum", "5921", 1200, 6500, ""},
	{"Spotify AB", "5815", 1199, 1199, ""},
	{"Finnair Oyj", "3008", 8900, 45900, ""},
	{"Stockmann Helsinki", "5311", 1990, 21900, ""},
	{"Wolt Enterprises", "5814", 1350, 4890, ""},
	{"Amazon EU SARL", "5942", 990, 15900, ""},
	{"Cafe Regatta", "5812", 420, 1650, ""},
	{"IKEA Vantaa", "5712", 2900, 32000, ""},
	{"Hotel Oslo Central", "7011", 140000, 440000, "NOK"}, // NOK: min and max in the merchant's currency
	{"Apple Services", "5818", 299, 2999, ""},
}

// daySeed makes a day's transactions the same on every run and machine.
func daySeed(card string, day time.Time) uint64 {
	h := fnv.New64a()
	fmt.Fprintf(h, "%s/%s", card, day.Format(time.DateOnly))
	return h.Sum64()
}

// purchases are the card's purchases made on day d, the same on every run:
// 0 to 3 a day; a purchase at a foreign merchant is charged in the card's
// currency at the day's rate plus the markup (carddata.go).
func (a *CardAccount) purchases(d time.Time) []CardTransaction {
	r := rand.New(rand.NewPCG(daySeed(a.ResourceID, d), 0x5a5a))
	n := r.IntN(4) // 0..3 purchases a day
	out := make([]CardTransaction, 0, n)
	for i := 0; i < n; i++ {
		m := merchants[r.IntN(len(merchants))]
		amt := m.min
		if m.max > m.min {
			amt += r.Int64N(m.max - m.min)
		}
		when := d.Add(time.Duration(7*3600+r.IntN(15*3600)) * time.Second)
		tx := CardTransaction{
			CardTransactionID:           fmt.Sprintf("%s-%s-%d", a.ResourceID, d.Format("20060102"), i+1),
			TransactionDate:             d.Format(time.DateOnly),
			AcceptorTransactionDateTime: when.Format(time.RFC3339),
			TransactionAmount:           cents(a.Currency, -amt),
			CardAcceptorID:              fmt.Sprintf("%015d", 100000000000000+r.Int64N(899999999999999)),
			MerchantCategoryCode:        m.mcc,
			MaskedPAN:                   a.MaskedPAN,
			TransactionDetails:          m.name,
			ProprietaryBankTxCode:       "PURCHASE",
			when:                        when,
		}
		if m.foreign != "" && m.foreign != a.Currency {
			a.foreignPurchase(&tx, m.foreign, -amt, d) // m.min, m.max are in m.foreign
		}
		out = append(out, tx)
	}
	return out
}

// Transactions returns the card's history between from and to (dates,
// inclusive), newest first; the last two days are still pending. A booked
// entry is invoiced once the month of its booking date has ended (the
// statement); the statement is repaid in full by direct debit on the 5th.
func (a *CardAccount) Transactions(from, to, now time.Time) []CardTransaction {
	today := dateOf(now)
	thisMonth := billingMonth(today)
	// The history is the last two years up to today: the walk is clamped
	// to them, so a dateTo of 9999-12-31 does not cost a step for each of
	// the days between (three million, a hundred times the report's work).
	first, last := dateOf(from), dateOf(to)
	if last.After(today) {
		last = today
	}
	if oldest := today.AddDate(-2, 0, 0); first.Before(oldest) {
		first = oldest
	}
	var out []CardTransaction
	for d := last; !d.Before(first); d = d.AddDate(0, 0, -1) {
		for _, tx := range a.purchases(d) {
			tx.booked = d.Before(today.AddDate(0, 0, -1))
			if tx.booked {
				booking := d.AddDate(0, 0, 1)
				tx.BookingDate = booking.Format(time.DateOnly)
				tx.ValueDate = tx.BookingDate
				tx.Invoiced = billingMonth(booking).Before(thisMonth)
			}
			out = append(out, tx)
		}
		// The repayment of last month's statement on the 5th.
		if d.Day() == 5 && d.Before(today.AddDate(0, 0, -1)) {
			owed := a.statement(billingMonth(d).AddDate(0, -1, 0))
			if owed == 0 {
				continue // nothing to repay
			}
			out = append(out, CardTransaction{
				CardTransactionID: fmt.Sprintf("%s-%s-pay", a.ResourceID, d.Format("20060102")), TransactionDate: d.Format(time.DateOnly),
				AcceptorTransactionDateTime: d.Add(9 * time.Hour).Format(time.RFC3339), BookingDate: d.Format(time.DateOnly),
				ValueDate: d.Format(time.DateOnly), TransactionAmount: cents(a.Currency, -owed), MaskedPAN: a.MaskedPAN,
				TransactionDetails: "Repayment, thank you", ProprietaryBankTxCode: "REPAYMENT",
				Invoiced: billingMonth(d).Before(thisMonth), booked: true, when: d.Add(9 * time.Hour),
			})
		}
	}
	return out
}

// Balance is one Berlin Group balance.
type Balance struct {
	BalanceAmount       Amount `json:"balanceAmount"`
	BalanceType         string `json:"balanceType"`
	CreditLimitIncluded bool   `json:"creditLimitIncluded"`
	LastChangeDateTime  string `json:"lastChangeDateTime,omitempty"`
	ReferenceDate       string `json:"referenceDate,omitempty"`
}

func parseCents(s string) int64 {
	var neg bool
	if len(s) > 0 && s[0] == '-' {
		neg, s = true, s[1:]
	}
	var whole, frac int64
	fmt.Sscanf(s, "%d.%d", &whole, &frac)
	v := whole*100 + frac
	if neg {
		v = -v
	}
	return v
}

// dateOf is t's calendar date where t is (pass a time in the bank's zone for
// the bank's date), as midnight UTC, the form time.Parse gives ISO dates.
func dateOf(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}
