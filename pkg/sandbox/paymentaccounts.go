package sandbox

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/xs2a-dev/xs2a/pkg/iban"
)

// PaymentAccount is one IBAN payment account (the file's accountDetails)
// with its data.
type PaymentAccount struct {
	ResourceID  string
	IBAN        string
	BIC         string
	Currency    string
	Name        string
	DisplayName string
	Product     string
	// CashAccountType is ISO 20022 ExternalCashAccountType1Code: CACC a
	// current account, SVGS a savings account.
	CashAccountType string
	Status          string // enabled | blocked | deleted (the file's accountStatus)
	Usage           string // PRIV | ORGA
	OwnerName       string
	// Opening is the booked balance, in cents, before the two years of
	// history the sandbox keeps.
	Opening int64
	// SweepTo (on the current account) and SweepFrom (on the savings
	// account) are the two ends of the monthly transfer to savings.
	SweepTo, SweepFrom string
	// ledger holds what executed payments booked (payments.go).
	ledger *ledger
}

// PaymentCustomerID is the test customer whose accounts are IBAN payment
// accounts, beside the card customers of the bank's documentation.
const PaymentCustomerID = "5000001"

// sandboxBIC is the emulated bank's BIC: "SAND" is no institution's code.
const sandboxBIC = "SANDFIHHXXX"

// The customer's IBANs: Finnish (ISO 13616: FI, two check digits, a
// 14-digit BBAN whose last digit is a Luhn check), with the bank code
// 123456 of the Finnish standard's own example, which no bank uses.
const (
	currentIBAN = "FI0412345600012343"
	savingsIBAN = "FI9612345600098763"
)

func paymentCustomer(bank string) *PSU {
	const owner = "Aino Virtanen"
	return &PSU{ID: PaymentCustomerID, Name: owner, Note: "two IBAN payment accounts, current and savings: /v1/accounts", Accounts: []*PaymentAccount{
		{ResourceID: "acc-2343", IBAN: currentIBAN, BIC: sandboxBIC, Currency: "EUR", Name: "Current account", DisplayName: bank + " Current Account",
			Product: "Current Account", CashAccountType: "CACC", Status: "enabled", Usage: "PRIV", OwnerName: owner, Opening: 240000, SweepTo: savingsIBAN, ledger: &ledger{}},
		{ResourceID: "acc-8763", IBAN: savingsIBAN, BIC: sandboxBIC, Currency: "EUR", Name: "Savings account", DisplayName: bank + " Savings Account",
			Product: "Savings Account", CashAccountType: "SVGS", Status: "enabled", Usage: "PRIV", OwnerName: owner, Opening: 500000, SweepFrom: currentIBAN, ledger: &ledger{}},
	}}
}

// AccountTransaction is the subset of the file's "transactions" schema the
// sandbox fills for payment accounts.
type AccountTransaction struct {
	TransactionID                     string            `json:"transactionId"`
	EntryReference                    string            `json:"entryReference,omitempty"`
	EndToEndID                        string            `json:"endToEndId,omitempty"`
	BookingDate                       string            `json:"bookingDate,omitempty"`
	ValueDate                         string            `json:"valueDate,omitempty"`
	TransactionAmount                 Amount            `json:"transactionAmount"`
	CreditorName                      string            `json:"creditorName,omitempty"`
	CreditorAccount                   *AccountReference `json:"creditorAccount,omitempty"`
	DebtorName                        string            `json:"debtorName,omitempty"`
	DebtorAccount                     *AccountReference `json:"debtorAccount,omitempty"`
	RemittanceInformationUnstructured string            `json:"remittanceInformationUnstructured,omitempty"`
	BankTransactionCode               string            `json:"bankTransactionCode,omitempty"`
	Links                             map[string]link   `json:"_links,omitempty"`
	booked                            bool
}

// counterparty is someone the current account pays or is paid by.
type counterparty struct {
	name, iban string
}

// The counterparties' IBANs are Finnish too, check digits computed.
var (
	employer    = counterparty{"Aalto Works Oy", ibanOf("FI", "79999900012346")}
	landlord    = counterparty{"Kiinteistö Oy Vallilan Helmi", ibanOf("FI", "15723000234564")}
	electricity = counterparty{"Helen Oy", ibanOf("FI", "80001800045673")}
	friends     = []counterparty{{"Mikko Korhonen", ibanOf("FI", "57123000456783")}, {"Laura Nieminen", ibanOf("FI", "31315000678904")}}
)

// ibanOf gives a BBAN its ISO 13616 check digits (mod 97).
func ibanOf(country, bban string) string {
	r := iban.Mod97(bban + country + "00")
	return fmt.Sprintf("%s%02d%s", country, 98-r, bban)
}

// Transactions returns the account's history between from and to (dates,
// inclusive), newest first; the last two days are still pending, as the
// cards' are. Each day's entries are drawn from a generator seeded with
// the account and the date (daySeed), so every run shows the same.
func (a *PaymentAccount) Transactions(from, to, now time.Time) []AccountTransaction {
	first, last := dateOf(from), dateOf(to)
	if today := dateOf(now); last.After(today) {
		last = today
	}
	// Newest day first, a day's payments before its other entries; the
	// day is in every transactionId (a pending entry has no bookingDate),
	// and payments may have booked on earlier days (paysched.go).
	out := append(a.ledger.between(first, last), a.generated(from, to, now)...)
	slices.SortStableFunc(out, func(x, y AccountTransaction) int {
		dx, _ := a.idDay(x.TransactionID)
		dy, _ := a.idDay(y.TransactionID)
		return strings.Compare(dy, dx)
	})
	return out
}

// idDay is the YYYYMMDD a transactionId of the account names
// (<resourceId>-<YYYYMMDD>-...); false when the id is not the account's.
func (a *PaymentAccount) idDay(id string) (string, bool) {
	rest, ok := strings.CutPrefix(id, a.ResourceID+"-")
	d, _, _ := strings.Cut(rest, "-")
	return d, ok
}

// generated is the account's made-up history (Transactions without the
// payments' entries).
func (a *PaymentAccount) generated(from, to, now time.Time) []AccountTransaction {
	today := dateOf(now)
	first, last := dateOf(from), dateOf(to)
	if last.After(today) {
		last = today
	}
	if oldest := today.AddDate(-2, 0, 0); first.Before(oldest) {
		first = oldest
	}
	var out []AccountTransaction
	for d := last; !d.Before(first); d = d.AddDate(0, 0, -1) {
		out = append(out, a.day(d, today)...)
	}
	return out
}

// day is one day's entries of the account.
func (a *PaymentAccount) day(d, today time.Time) []AccountTransaction {
	r := rand.New(rand.NewPCG(daySeed(a.ResourceID, d), 0xa5a5))
	var out []AccountTransaction
	entry := func(c counterparty, amount int64, code, text string) {
		t := AccountTransaction{TransactionAmount: cents(a.Currency, amount), BankTransactionCode: code, RemittanceInformationUnstructured: text}
		if amount < 0 {
			t.CreditorName = c.name
			if c.iban != "" {
				t.CreditorAccount = &AccountReference{IBAN: c.iban}
			}
		} else {
			t.DebtorName = c.name
			if c.iban != "" {
				t.DebtorAccount = &AccountReference{IBAN: c.iban}
			}
		}
		out = append(out, t)
	}
	month := d.Format("01/2006")
	switch a.CashAccountType {
	case "CACC":
		if d.Day() == 1 {
			entry(landlord, -115000, "PMNT-ICDT-STDO", "Vuokra "+month)
		}
		if d.Day() == 15 {
			entry(electricity, -(3500 + r.Int64N(6000)), "PMNT-ICDT-ESCT", "RF18 5390 0754 7034 electricity "+month)
		}
		if d.Day() == 25 {
			entry(employer, 345000, "PMNT-RCDT-ESCT", "Salary "+month)
		}
		if d.Day() == 26 && a.SweepTo != "" {
			entry(counterparty{a.OwnerName, a.SweepTo}, -50000, "PMNT-ICDT-STDO", "Monthly savings "+month)
		}
		for i, n := 0, r.IntN(2); i < n; i++ { // a debit card purchase every other day
			m := merchants[r.IntN(len(merchants))]
			if m.foreign != "" {
				continue
			}
			amt := m.min
			if m.max > m.min {
				amt += r.Int64N(m.max - m.min)
			}
			entry(counterparty{name: m.name}, -amt, "PMNT-CCRD-POSD", "Debit card purchase "+m.name)
		}
		if r.IntN(12) == 0 {
			f := friends[r.IntN(len(friends))]
			entry(f, 500+r.Int64N(6000), "PMNT-RCDT-ESCT", "Thanks for dinner")
		}
	case "SVGS":
		if d.Day() == 26 && a.SweepFrom != "" {
			entry(counterparty{a.OwnerName, a.SweepFrom}, 50000, "PMNT-RCDT-ESCT", "Monthly savings "+month)
		}
		if d.Month() == time.December && d.Day() == 31 {
			entry(counterparty{name: "Interest"}, 4000+r.Int64N(2000), "PMNT-MCOP-OTHR", "Interest "+d.Format("2006"))
		}
	}
	booked := d.Before(today.AddDate(0, 0, -1))
	for i := range out {
		t := &out[i]
		t.TransactionID = fmt.Sprintf("%s-%s-%d", a.ResourceID, d.Format("20060102"), i+1)
		t.EndToEndID = fmt.Sprintf("E2E%s%s%02d", d.Format("20060102"), a.IBAN[len(a.IBAN)-4:], i+1)
		t.booked = booked
		if booked {
			t.BookingDate = d.Format(time.DateOnly)
			t.ValueDate = t.BookingDate
			// The bank's reference of the booked entry (the file: "as
			// used e.g. within camt.05x"); pending entries have none yet.
			t.EntryReference = fmt.Sprintf("%s%s%02d", d.Format("20060102"), a.IBAN[len(a.IBAN)-6:], i+1)
		}
	}
	return out
}

// Transaction finds one transaction by its transactionId: the id names the
// day, whose entries are made again.
func (a *PaymentAccount) Transaction(id string, now time.Time) (AccountTransaction, bool) {
	ds, ok := a.idDay(id)
	if !ok {
		return AccountTransaction{}, false
	}
	d, err := time.Parse("20060102", ds)
	if err != nil {
		return AccountTransaction{}, false
	}
	for _, t := range a.Transactions(d, d, now) {
		if t.TransactionID == id {
			return t, true
		}
	}
	return AccountTransaction{}, false
}

// Balances: closingBooked is the opening balance with every booked entry
// of the history (the last two days are pending, so nothing is booked
// yesterday: the balance at yesterday's close); interimAvailable adds the
// pending entries. Both are types of the file's balanceType.
func (a *PaymentAccount) Balances(now time.Time) []Balance {
	today := dateOf(now)
	var booked, pending int64
	for _, t := range a.generated(today.AddDate(-2, 0, 0), today, now) {
		c := parseCents(t.TransactionAmount.Amount)
		if t.booked {
			booked += c
		} else {
			pending += c
		}
	}
	ts := now.UTC().Truncate(time.Second).Format(time.RFC3339)
	closing := a.Opening + booked
	return []Balance{
		{BalanceAmount: cents(a.Currency, closing), BalanceType: "closingBooked", ReferenceDate: today.AddDate(0, 0, -1).Format(time.DateOnly)},
		// Executed payments (booked today, after yesterday's close) count
		// in the available balance only.
		{BalanceAmount: cents(a.Currency, closing+pending+a.ledger.sum()), BalanceType: "interimAvailable", LastChangeDateTime: ts},
	}
}
