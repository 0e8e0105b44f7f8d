package xs2a

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
)

// Account is the file's accountDetails: a payment account (IBAN).
type Account struct {
	ResourceID      string          `json:"resourceId,omitempty"`
	IBAN            string          `json:"iban,omitempty"`
	BBAN            string          `json:"bban,omitempty"`
	MSISDN          string          `json:"msisdn,omitempty"`
	Currency        string          `json:"currency"`
	OwnerName       string          `json:"ownerName,omitempty"`
	OwnerNames      json.RawMessage `json:"ownerNames,omitempty"`
	PSUName         string          `json:"psuName,omitempty"`
	Name            string          `json:"name,omitempty"`
	DisplayName     string          `json:"displayName,omitempty"`
	Product         string          `json:"product,omitempty"`
	CashAccountType string          `json:"cashAccountType,omitempty"`
	Status          string          `json:"status,omitempty"`
	BIC             string          `json:"bic,omitempty"`
	LinkedAccounts  string          `json:"linkedAccounts,omitempty"`
	Usage           string          `json:"usage,omitempty"`
	Details         string          `json:"details,omitempty"`
	Balances        []Balance       `json:"balances,omitempty"`
	Links           map[string]Link `json:"_links,omitempty"`
}

// Transaction is the file's transactions schema: one entry of a payment
// account's report (booked, pending or information) and the body of
// transaction details. Structured parts the client does not print stay as
// the bank sent them (-o json).
type Transaction struct {
	TransactionID                          string            `json:"transactionId,omitempty"`
	EntryReference                         string            `json:"entryReference,omitempty"`
	EndToEndID                             string            `json:"endToEndId,omitempty"`
	BatchIndicator                         *bool             `json:"batchIndicator,omitempty"`
	BatchNumberOfTransactions              int               `json:"batchNumberOfTransactions,omitempty"`
	MandateID                              string            `json:"mandateId,omitempty"`
	CheckID                                string            `json:"checkId,omitempty"`
	CreditorID                             string            `json:"creditorId,omitempty"`
	BookingDate                            string            `json:"bookingDate,omitempty"`
	ValueDate                              string            `json:"valueDate,omitempty"`
	TransactionAmount                      Amount            `json:"transactionAmount"`
	CurrencyExchange                       json.RawMessage   `json:"currencyExchange,omitempty"`
	CreditorName                           string            `json:"creditorName,omitempty"`
	CreditorAccount                        *AccountReference `json:"creditorAccount,omitempty"`
	CreditorAgent                          string            `json:"creditorAgent,omitempty"`
	UltimateCreditor                       string            `json:"ultimateCreditor,omitempty"`
	DebtorName                             string            `json:"debtorName,omitempty"`
	DebtorAccount                          *AccountReference `json:"debtorAccount,omitempty"`
	DebtorAgent                            string            `json:"debtorAgent,omitempty"`
	UltimateDebtor                         string            `json:"ultimateDebtor,omitempty"`
	RemittanceInformationUnstructured      string            `json:"remittanceInformationUnstructured,omitempty"`
	RemittanceInformationUnstructuredArray []string          `json:"remittanceInformationUnstructuredArray,omitempty"`
	RemittanceInformationStructured        json.RawMessage   `json:"remittanceInformationStructured,omitempty"`
	RemittanceInformationStructuredArray   json.RawMessage   `json:"remittanceInformationStructuredArray,omitempty"`
	EntryDetails                           json.RawMessage   `json:"entryDetails,omitempty"`
	AdditionalInformation                  string            `json:"additionalInformation,omitempty"`
	AdditionalInformationStructured        json.RawMessage   `json:"additionalInformationStructured,omitempty"`
	PurposeCode                            string            `json:"purposeCode,omitempty"`
	BankTransactionCode                    string            `json:"bankTransactionCode,omitempty"`
	ProprietaryBankTransactionCode         string            `json:"proprietaryBankTransactionCode,omitempty"`
	BalanceAfterTransaction                *Balance          `json:"balanceAfterTransaction,omitempty"`
	Links                                  map[string]Link   `json:"_links,omitempty"`
}

// AccountTransactions is a payment account's whole report (the file's
// accountReport): every page followed and merged.
type AccountTransactions struct {
	Account     AccountReference `json:"account"`
	Booked      []Transaction    `json:"booked"`
	Pending     []Transaction    `json:"pending"`
	Information []Transaction    `json:"information"`
	Balances    []Balance        `json:"balances,omitempty"`
	Pages       int              `json:"pages"`
	// BookingStatus is the one the report was read with.
	BookingStatus string `json:"bookingStatus"`
	// Fallback is the bank's refusal of bookingStatus=both when the
	// report was read again with booked (see BookingStatusRefused).
	Fallback string `json:"bookingStatusFallback,omitempty"`
}

func balanceQuery(withBalance bool) url.Values {
	if !withBalance {
		return nil
	}
	return url.Values{"withBalance": {"true"}}
}

// Accounts lists the payment accounts the consent gives (GET
// /v1/accounts); withBalance is the file's parameter there ("including the
// booking balance, if granted by the PSU in the related consent").
func (c *Client) Accounts(ctx context.Context, token, consentID string, withBalance bool) ([]Account, error) {
	var out struct {
		Accounts []Account `json:"accounts"`
	}
	if _, err := c.call(ctx, Request{Method: http.MethodGet, Path: "/accounts", Query: balanceQuery(withBalance), Token: token, ConsentID: consentID, PSUIP: true}, http.StatusOK, &out); err != nil {
		return nil, err
	}
	return out.Accounts, nil
}

// Account reads one payment account (GET /v1/accounts/{account-id}).
func (c *Client) Account(ctx context.Context, token, consentID, id string, withBalance bool) (*Account, error) {
	var out struct {
		Account Account `json:"account"`
	}
	if _, err := c.call(ctx, Request{Method: http.MethodGet, Path: "/accounts/" + url.PathEscape(id), Query: balanceQuery(withBalance), Token: token, ConsentID: consentID, PSUIP: true}, http.StatusOK, &out); err != nil {
		return nil, err
	}
	return &out.Account, nil
}

// AccountBalances reads a payment account's balances.
func (c *Client) AccountBalances(ctx context.Context, token, consentID, id string) ([]Balance, error) {
	var out struct {
		Balances []Balance `json:"balances"`
	}
	if _, err := c.call(ctx, Request{Method: http.MethodGet, Path: "/accounts/" + url.PathEscape(id) + "/balances", Token: token, ConsentID: consentID, PSUIP: true}, http.StatusOK, &out); err != nil {
		return nil, err
	}
	return out.Balances, nil
}

// AccountTransactions reads a payment account's report, following its
// next links with the limits of CardTransactions.
func (c *Client) AccountTransactions(ctx context.Context, token, consentID, id string, tq TransactionQuery) (*AccountTransactions, error) {
	var out *AccountTransactions
	base := Request{Method: http.MethodGet, Path: "/accounts/" + url.PathEscape(id) + "/transactions", Token: token, ConsentID: consentID, PSUIP: true}
	used, fellBack, err := c.withBookingStatus(ctx, base, id, tq, func() {
		out = &AccountTransactions{Booked: []Transaction{}, Pending: []Transaction{}, Information: []Transaction{}}
	}, func(body []byte) (string, error) {
		var r struct {
			Account      AccountReference `json:"account"`
			Balances     []Balance        `json:"balances"`
			Transactions struct {
				Booked      []Transaction   `json:"booked"`
				Pending     []Transaction   `json:"pending"`
				Information []Transaction   `json:"information"`
				Links       map[string]Link `json:"_links"`
			} `json:"transactions"`
		}
		if err := json.Unmarshal(body, &r); err != nil {
			return "", err
		}
		out.Pages++
		out.Account = r.Account
		if len(r.Balances) > 0 {
			out.Balances = r.Balances
		}
		out.Booked = append(out.Booked, r.Transactions.Booked...)
		out.Pending = append(out.Pending, r.Transactions.Pending...)
		out.Information = append(out.Information, r.Transactions.Information...)
		return r.Transactions.Links["next"].Href, nil
	})
	if err != nil {
		return nil, err
	}
	out.BookingStatus, out.Fallback = used, fellBack
	return out, nil
}

// TransactionDetails reads one transaction of a payment account (GET
// /v1/accounts/{account-id}/transactions/{transactionId}); the file has no
// such operation for card accounts.
func (c *Client) TransactionDetails(ctx context.Context, token, consentID, accountID, transactionID string) (*Transaction, error) {
	var out struct {
		TransactionsDetails struct {
			TransactionDetails Transaction `json:"transactionDetails"`
		} `json:"transactionsDetails"`
	}
	if _, err := c.call(ctx, Request{Method: http.MethodGet, Path: "/accounts/" + url.PathEscape(accountID) + "/transactions/" + url.PathEscape(transactionID), Token: token, ConsentID: consentID, PSUIP: true}, http.StatusOK, &out); err != nil {
		return nil, err
	}
	return &out.TransactionsDetails.TransactionDetails, nil
}
