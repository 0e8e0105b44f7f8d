package sandbox

import (
	"fmt"
	"time"
)

// Card data as the card notes of the Berlin Group OpenAPI file 1.3.12
// describe it: foreign-currency purchases with the exchange rate and the
// issuer's markup (cardTransaction: originalAmount, currencyExchange,
// markupFee, markupFeePercentage), and the card balance types of the file's
// balanceType description (closingBooked, interimAvailable, expected with
// and without the credit line, nonInvoiced).

// ReportExchangeRate is the file's reportExchangeRate: one rate that turned
// the original amount into the card's currency.
type ReportExchangeRate struct {
	SourceCurrency string `json:"sourceCurrency"`
	ExchangeRate   string `json:"exchangeRate"`
	UnitCurrency   string `json:"unitCurrency"`
	TargetCurrency string `json:"targetCurrency"`
	QuotationDate  string `json:"quotationDate"`
}

// MarkupBasisPoints is the issuer's foreign-currency markup on card
// purchases, 1.50 % of the converted amount (a common Mastercard issuer
// fee; the sandbox's choice, stated as markupFeePercentage).
const MarkupBasisPoints = 150

// rateScale: exchange rates carry six decimals, as card schemes publish them.
const rateScale = 1_000_000

// exchangeRate is the day's rate for one unit of the foreign currency in
// the card's currency, in millionths: the same for every card and every run
// on that day (a scheme's daily rate), around a central rate.
func exchangeRate(from, to string, day time.Time) int64 {
	central := map[string]int64{"NOK/EUR": 85_000, "SEK/EUR": 87_500, "USD/EUR": 920_000}[from+"/"+to]
	if central == 0 {
		central = rateScale
	}
	// ±2 % a day, from the day's seed.
	spread := central / 50
	return central - spread + int64(daySeed("fx/"+from+"/"+to, day)%uint64(2*spread+1))
}

// divRound divides, rounding half away from zero (amounts in cents).
func divRound(n, d int64) int64 {
	if (n < 0) != (d < 0) {
		return -((abs64(n) + abs64(d)/2) / abs64(d))
	}
	return (abs64(n) + abs64(d)/2) / abs64(d)
}

func abs64(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}

// Conversion is a foreign purchase in the card's currency: original ×
// rate, rounded to the cent, plus the markup fee on that converted amount,
// rounded to the cent; Total is the transactionAmount. All in cents with
// the purchase's sign (debits negative), so Total = Converted + Markup
// holds as written in the answer.
type Conversion struct {
	Converted, Markup, Total int64
}

// Convert applies rate (millionths) and the markup (basis points) to
// original cents of the foreign currency.
func Convert(original, rateMicro, markupBP int64) Conversion {
	conv := divRound(original*rateMicro, rateScale)
	fee := divRound(conv*markupBP, 10_000)
	return Conversion{Converted: conv, Markup: fee, Total: conv + fee}
}

// formatRate writes millionths as a decimal string ("0.085123").
func formatRate(micro int64) string {
	return fmt.Sprintf("%d.%06d", micro/rateScale, micro%rateScale)
}

// formatBP writes basis points as a percentage string ("1.5").
func formatBP(bp int64) string {
	s := fmt.Sprintf("%d.%02d", bp/100, bp%100)
	for s[len(s)-1] == '0' {
		s = s[:len(s)-1]
	}
	if s[len(s)-1] == '.' {
		s = s[:len(s)-1]
	}
	return s
}

// foreignPurchase fills a purchase of origCents (negative) in a foreign
// currency on day d: the card is charged the converted amount plus markup.
func (a *CardAccount) foreignPurchase(tx *CardTransaction, currency string, origCents int64, d time.Time) {
	rate := exchangeRate(currency, a.Currency, d)
	c := Convert(origCents, rate, MarkupBasisPoints)
	o, fee := cents(currency, origCents), cents(a.Currency, c.Markup)
	tx.TransactionAmount = cents(a.Currency, c.Total)
	tx.OriginalAmount = &o
	tx.MarkupFee = &fee
	tx.MarkupFeePercentage = formatBP(MarkupBasisPoints)
	tx.CurrencyExchange = []ReportExchangeRate{{SourceCurrency: currency, ExchangeRate: formatRate(rate), UnitCurrency: currency,
		TargetCurrency: a.Currency, QuotationDate: d.Format(time.DateOnly)}}
}

// billingMonth is the first day of the month whose statement (invoice) a
// booked entry goes on: the month of its booking date.
func billingMonth(bookingDate time.Time) time.Time {
	return time.Date(bookingDate.Year(), bookingDate.Month(), 1, 0, 0, 0, 0, time.UTC)
}

// statement is the total of the purchases booked in the month starting at
// first (negative: what the PSU owes for it). A purchase is booked the day
// after it is made, so they are the purchases of the day before first to
// the day before the next month.
func (a *CardAccount) statement(first time.Time) int64 {
	var sum int64
	for d := first.AddDate(0, 0, -1); d.Before(first.AddDate(0, 1, -1)); d = d.AddDate(0, 0, 1) {
		for _, tx := range a.purchases(d) {
			sum += parseCents(tx.TransactionAmount.Amount)
		}
	}
	return sum
}

// repaid reports that the direct debit of the 5th paying the statement of
// the month before today's month is on the account (it shows, booked, two
// days after: as every entry older than yesterday).
func repaid(today time.Time) bool {
	fifth := time.Date(today.Year(), today.Month(), 5, 0, 0, 0, 0, time.UTC)
	return fifth.Before(today.AddDate(0, 0, -1))
}

// Balances are the card's balances as the file's balanceType description
// defines them for card accounts (debits negative, debitAccounting false):
//   - closingBooked: "invoiced, but not yet paid entries": last month's
//     statement until the repayment of the 5th is on the account, then 0;
//     referenceDate the statement's last day;
//   - interimAvailable: invoiced but not yet paid, plus booked but not yet
//     invoiced entries (this month's booked purchases);
//   - expected: those plus the pending items; a second expected with
//     creditLimitIncluded is "money to spend with the value of a
//     pre-approved credit limit": the credit limit plus the first;
//   - nonInvoiced: the booked entries not yet invoiced.
func (a *CardAccount) Balances(now time.Time) []Balance {
	today := dateOf(now)
	month := billingMonth(today)
	var invoicedUnpaid int64
	if !repaid(today) {
		invoicedUnpaid = a.statement(month.AddDate(0, -1, 0))
	}
	var booked, pending int64
	for _, t := range a.Transactions(month.AddDate(0, 0, -1), now, now) {
		if t.ProprietaryBankTxCode == "REPAYMENT" {
			continue // pays last month's statement, counted there
		}
		c := parseCents(t.TransactionAmount.Amount)
		switch {
		case !t.booked:
			pending += c
		case !t.Invoiced:
			booked += c
		}
	}
	ts := now.UTC().Truncate(time.Second).Format(time.RFC3339)
	day := today.Format(time.DateOnly)
	cur := a.Currency
	return []Balance{
		{BalanceAmount: cents(cur, invoicedUnpaid), BalanceType: "closingBooked", ReferenceDate: month.AddDate(0, 0, -1).Format(time.DateOnly)},
		{BalanceAmount: cents(cur, invoicedUnpaid+booked), BalanceType: "interimAvailable", LastChangeDateTime: ts, ReferenceDate: day},
		{BalanceAmount: cents(cur, invoicedUnpaid+booked+pending), BalanceType: "expected", LastChangeDateTime: ts, ReferenceDate: day},
		{BalanceAmount: cents(cur, a.CreditLimit+invoicedUnpaid+booked+pending), BalanceType: "expected", CreditLimitIncluded: true, LastChangeDateTime: ts, ReferenceDate: day},
		{BalanceAmount: cents(cur, booked), BalanceType: "nonInvoiced", LastChangeDateTime: ts, ReferenceDate: day},
	}
}
