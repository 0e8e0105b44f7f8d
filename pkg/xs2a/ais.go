package xs2a

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
)

// AccountReference names an account: a card by maskedPan, a payment account by IBAN.
type AccountReference struct {
	IBAN      string `json:"iban,omitempty"`
	BBAN      string `json:"bban,omitempty"`
	MSISDN    string `json:"msisdn,omitempty"`
	MaskedPAN string `json:"maskedPan,omitempty"`
	PAN       string `json:"pan,omitempty"`
	Currency  string `json:"currency,omitempty"`
}

// Access is the accountAccess of a consent request.
type Access struct {
	Accounts                     []AccountReference `json:"accounts,omitempty"`
	Balances                     []AccountReference `json:"balances,omitempty"`
	Transactions                 []AccountReference `json:"transactions,omitempty"`
	AvailableAccounts            string             `json:"availableAccounts,omitempty"`
	AvailableAccountsWithBalance string             `json:"availableAccountsWithBalance,omitempty"`
	AllPsd2                      string             `json:"allPsd2,omitempty"`
}

// ConsentRequest is the body of POST /v1/consents.
type ConsentRequest struct {
	Access                   Access `json:"access"`
	RecurringIndicator       bool   `json:"recurringIndicator"`
	ValidUntil               string `json:"validUntil"`
	FrequencyPerDay          int    `json:"frequencyPerDay"`
	CombinedServiceIndicator bool   `json:"combinedServiceIndicator"`
}

// Link is a Berlin Group hyperlink.
type Link struct {
	Href string `json:"href"`
}

// ConsentCreated is the 201 answer.
type ConsentCreated struct {
	ConsentStatus string          `json:"consentStatus"`
	ConsentID     string          `json:"consentId"`
	Links         map[string]Link `json:"_links"`
	// SCAApproach is the ASPSP-SCA-Approach header.
	SCAApproach string `json:"scaApproach,omitempty"`
	RequestID   string `json:"xRequestId,omitempty"`
	// PSUIPAddress is the PSU-IP-Address the request carried.
	PSUIPAddress string `json:"-"`
}

// Consent is GET /v1/consents/{id}.
type Consent struct {
	Access             Access          `json:"access"`
	RecurringIndicator bool            `json:"recurringIndicator"`
	ValidUntil         string          `json:"validUntil"`
	FrequencyPerDay    int             `json:"frequencyPerDay"`
	LastActionDate     string          `json:"lastActionDate"`
	ConsentStatus      string          `json:"consentStatus"`
	Links              map[string]Link `json:"_links,omitempty"`
}

// CreateConsent posts a consent with the client-credentials token and
// PSU-IP-Address, mandatory there (Client.PSUIPAddress, else the local
// address of the connection).
func (c *Client) CreateConsent(ctx context.Context, token string, req ConsentRequest) (*ConsentCreated, error) {
	body, err := json.Marshal(req)
	if err != nil {
		return nil, err
	}
	var out ConsentCreated
	resp, err := c.call(ctx, Request{Method: http.MethodPost, Path: "/consents", Token: token, Body: body, APIKey: true, PSUIPRequired: true}, http.StatusCreated, &out)
	if err != nil {
		return nil, err
	}
	out.PSUIPAddress = resp.PSUIPAddress
	out.SCAApproach = resp.Header.Get("ASPSP-SCA-Approach")
	out.RequestID = resp.RequestID
	return &out, nil
}

// GetConsent reads a consent.
func (c *Client) GetConsent(ctx context.Context, token, id string) (*Consent, error) {
	var out Consent
	if _, err := c.call(ctx, Request{Method: http.MethodGet, Path: "/consents/" + url.PathEscape(id), Token: token, APIKey: true}, http.StatusOK, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ConsentStatus reads a consent's status.
func (c *Client) ConsentStatus(ctx context.Context, token, id string) (string, error) {
	var out struct {
		ConsentStatus string `json:"consentStatus"`
	}
	if _, err := c.call(ctx, Request{Method: http.MethodGet, Path: "/consents/" + url.PathEscape(id) + "/status", Token: token, APIKey: true}, http.StatusOK, &out); err != nil {
		return "", err
	}
	return out.ConsentStatus, nil
}

// DeleteConsent terminates a consent (terminatedByTpp).
func (c *Client) DeleteConsent(ctx context.Context, token, id string) error {
	_, err := c.call(ctx, Request{Method: http.MethodDelete, Path: "/consents/" + url.PathEscape(id), Token: token, APIKey: true}, http.StatusNoContent, nil)
	return err
}

// Amount is a Berlin Group amount (the value is a string).
type Amount struct {
	Currency string `json:"currency"`
	Amount   string `json:"amount"`
}

// Balance is one balance.
type Balance struct {
	BalanceAmount       Amount `json:"balanceAmount"`
	BalanceType         string `json:"balanceType"`
	CreditLimitIncluded bool   `json:"creditLimitIncluded,omitempty"`
	LastChangeDateTime  string `json:"lastChangeDateTime,omitempty"`
	ReferenceDate       string `json:"referenceDate,omitempty"`
}

// CardAccount is cardAccountDetails.
type CardAccount struct {
	ResourceID  string          `json:"resourceId"`
	MaskedPan   string          `json:"maskedPan"`
	Currency    string          `json:"currency"`
	OwnerName   string          `json:"ownerName,omitempty"`
	Name        string          `json:"name,omitempty"`
	DisplayName string          `json:"displayName,omitempty"`
	Product     string          `json:"product,omitempty"`
	Status      string          `json:"status,omitempty"`
	Usage       string          `json:"usage,omitempty"`
	CreditLimit *Amount         `json:"creditLimit,omitempty"`
	Balances    []Balance       `json:"balances,omitempty"`
	Links       map[string]Link `json:"_links,omitempty"`
}

// CardTransaction is a card transaction.
type CardTransaction struct {
	CardTransactionID           string  `json:"cardTransactionId,omitempty"`
	TransactionDate             string  `json:"transactionDate,omitempty"`
	AcceptorTransactionDateTime string  `json:"acceptorTransactionDateTime,omitempty"`
	BookingDate                 string  `json:"bookingDate,omitempty"`
	ValueDate                   string  `json:"valueDate,omitempty"`
	TransactionAmount           Amount  `json:"transactionAmount"`
	OriginalAmount              *Amount `json:"originalAmount,omitempty"`
	MerchantCategoryCode        string  `json:"merchantCategoryCode,omitempty"`
	MaskedPAN                   string  `json:"maskedPAN,omitempty"`
	TransactionDetails          string  `json:"transactionDetails,omitempty"`
	Invoiced                    bool    `json:"invoiced,omitempty"`
}

// CardTransactions is a whole report: every page followed and merged.
type CardTransactions struct {
	CardAccount AccountReference  `json:"cardAccount"`
	Booked      []CardTransaction `json:"booked"`
	Pending     []CardTransaction `json:"pending"`
	Balances    []Balance         `json:"balances,omitempty"`
	Pages       int               `json:"pages"`
	// BookingStatus is the one the report was read with.
	BookingStatus string `json:"bookingStatus"`
	// Fallback is the bank's refusal of bookingStatus=both when the
	// report was read again with booked (see BookingStatusRefused).
	Fallback string `json:"bookingStatusFallback,omitempty"`
}

// CardAccounts lists the card accounts the consent gives. No withBalance:
// the file declares none on the card paths (GET /v1/card-accounts has no
// query parameter at all); a card's balances come with it when the consent
// grants them (its balances access, or availableAccountsWithBalance).
func (c *Client) CardAccounts(ctx context.Context, token, consentID string) ([]CardAccount, error) {
	var out struct {
		CardAccounts []CardAccount `json:"cardAccounts"`
	}
	if _, err := c.call(ctx, Request{Method: http.MethodGet, Path: "/card-accounts", Token: token, ConsentID: consentID, PSUIP: true}, http.StatusOK, &out); err != nil {
		return nil, err
	}
	return out.CardAccounts, nil
}

// CardAccount reads one card account (no withBalance either: see
// CardAccounts).
func (c *Client) CardAccount(ctx context.Context, token, consentID, id string) (*CardAccount, error) {
	var out struct {
		CardAccount CardAccount `json:"cardAccount"`
	}
	if _, err := c.call(ctx, Request{Method: http.MethodGet, Path: "/card-accounts/" + url.PathEscape(id), Token: token, ConsentID: consentID, PSUIP: true}, http.StatusOK, &out); err != nil {
		return nil, err
	}
	return &out.CardAccount, nil
}

// CardBalances reads a card account's balances.
func (c *Client) CardBalances(ctx context.Context, token, consentID, id string) ([]Balance, error) {
	var out struct {
		Balances []Balance `json:"balances"`
	}
	if _, err := c.call(ctx, Request{Method: http.MethodGet, Path: "/card-accounts/" + url.PathEscape(id) + "/balances", Token: token, ConsentID: consentID, PSUIP: true}, http.StatusOK, &out); err != nil {
		return nil, err
	}
	return out.Balances, nil
}

// TransactionQuery selects a transaction report.
type TransactionQuery struct {
	From, To string // ISO dates; From is required by most ASPSPs
	// BookingStatus is booked, pending or both (cards); payment accounts
	// also information (standing orders) and all. Empty means both, with
	// one fallback to booked when the bank refuses both (see
	// BookingStatusRefused); a status the caller names is sent as it is.
	BookingStatus string
	// WithBalance asks for the balances with a payment account's report;
	// the file declares no withBalance for card transactions, so
	// CardTransactions refuses it.
	WithBalance bool
	MaxPages    int // 0 means 100
	MaxBytes    int // all pages' answers together; 0 means MaxReportBytes
	// OnPage, if set, is told the pages read so far after each page: a
	// report of many pages takes seconds, and a terminal can show it.
	OnPage func(pages int)
}

// CardTransactions reads a report, following its next links.
func (c *Client) CardTransactions(ctx context.Context, token, consentID, id string, tq TransactionQuery) (*CardTransactions, error) {
	if tq.WithBalance {
		return nil, errors.New("the OpenAPI file declares no withBalance for card transactions; card balances come with the card account when the consent grants them")
	}
	var out *CardTransactions
	base := Request{Method: http.MethodGet, Path: "/card-accounts/" + url.PathEscape(id) + "/transactions", Token: token, ConsentID: consentID, PSUIP: true}
	used, fellBack, err := c.withBookingStatus(ctx, base, id, tq, func() {
		out = &CardTransactions{Booked: []CardTransaction{}, Pending: []CardTransaction{}}
	}, func(body []byte) (string, error) {
		var r struct {
			CardAccount      AccountReference `json:"cardAccount"`
			Balances         []Balance        `json:"balances"`
			CardTransactions struct {
				Booked  []CardTransaction `json:"booked"`
				Pending []CardTransaction `json:"pending"`
				Links   map[string]Link   `json:"_links"`
			} `json:"cardTransactions"`
		}
		if err := json.Unmarshal(body, &r); err != nil {
			return "", err
		}
		out.Pages++
		out.CardAccount = r.CardAccount
		if len(r.Balances) > 0 {
			out.Balances = r.Balances
		}
		out.Booked = append(out.Booked, r.CardTransactions.Booked...)
		out.Pending = append(out.Pending, r.CardTransactions.Pending...)
		return r.CardTransactions.Links["next"].Href, nil
	})
	if err != nil {
		return nil, err
	}
	out.BookingStatus, out.Fallback = used, fellBack
	return out, nil
}
