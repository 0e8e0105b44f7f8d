package accounts

import (
	"github.com/xs2a-dev/xs2a/pkg/xs2a"
)

// accountJSON is what every accounts command prints with -o json: what
// xs2a says in snake_case, and the bank's answer under bank_response in
// the Berlin Group's names and shape (the file's cardAccountList,
// cardAccountDetails, readCardAccountBalance, …), so that a script knows
// which names are whose.
type accountJSON struct {
	// AccountType is the profile's account_type: card or payment.
	AccountType string `json:"account_type"`
	// AccountID is the ACCOUNT-ID argument (the resourceId); none for list.
	AccountID string `json:"account_id,omitempty"`
	// TransactionID is transaction's TRANSACTION-ID argument.
	TransactionID string `json:"transaction_id,omitempty"`
	BankResponse  any    `json:"bank_response"`
}

// reportJSON is a transaction report: every page read and merged into one
// answer of the bank's shape, with what xs2a did to read it.
type reportJSON struct {
	AccountType string `json:"account_type"`
	AccountID   string `json:"account_id"`
	Pages       int    `json:"pages"`
	// BookingStatus is the one the report was read with; the fallback is
	// the bank's refusal of both when it was read again with booked.
	BookingStatus         string `json:"booking_status"`
	BookingStatusFallback string `json:"booking_status_fallback,omitempty"`
	BankResponse          any    `json:"bank_response"`
}

func accountType(card bool) string {
	if card {
		return "card"
	}
	return "payment"
}

// cardReport is a card report in the file's cardAccountsTransactionsResponse200.
func cardReport(id string, tx *xs2a.CardTransactions) reportJSON {
	type txs struct {
		Booked  []xs2a.CardTransaction `json:"booked"`
		Pending []xs2a.CardTransaction `json:"pending"`
	}
	body := struct {
		CardAccount      xs2a.AccountReference `json:"cardAccount"`
		Balances         []xs2a.Balance        `json:"balances,omitempty"`
		CardTransactions txs                   `json:"cardTransactions"`
	}{tx.CardAccount, tx.Balances, txs{tx.Booked, tx.Pending}}
	return reportJSON{AccountType: "card", AccountID: id, Pages: tx.Pages, BookingStatus: tx.BookingStatus, BookingStatusFallback: tx.Fallback, BankResponse: body}
}

// paymentReport is a payment account's report in the file's
// transactionsResponse200Json.
func paymentReport(id string, tx *xs2a.AccountTransactions) reportJSON {
	type txs struct {
		Booked      []xs2a.Transaction `json:"booked"`
		Pending     []xs2a.Transaction `json:"pending"`
		Information []xs2a.Transaction `json:"information"`
	}
	body := struct {
		Account      xs2a.AccountReference `json:"account"`
		Balances     []xs2a.Balance        `json:"balances,omitempty"`
		Transactions txs                   `json:"transactions"`
	}{tx.Account, tx.Balances, txs{tx.Booked, tx.Pending, tx.Information}}
	return reportJSON{AccountType: "payment", AccountID: id, Pages: tx.Pages, BookingStatus: tx.BookingStatus, BookingStatusFallback: tx.Fallback, BankResponse: body}
}
