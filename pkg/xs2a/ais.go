package xs2a

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/xs2a-dev/xs2a/pkg/termsafe"
)

// AccountReference names an account: a card by maskedPan, a payment account by IBAN.
type AccountReference struct {
	IBAN      string `json:"iban,omitempty"`
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
}

// CardAccounts lists the card accounts the consent gives.
func (c *Client) CardAccounts(ctx context.Context, token, consentID string, withBalance bool) ([]CardAccount, error) {
	q := url.Values{}
	if withBalance {
		q.Set("withBalance", "true")
	}
	var out struct {
		CardAccounts []CardAccount `json:"cardAccounts"`
	}
	if _, err := c.call(ctx, Request{Method: http.MethodGet, Path: "/card-accounts", Query: q, Token: token, ConsentID: consentID, PSUIP: true}, http.StatusOK, &out); err != nil {
		return nil, err
	}
	return out.CardAccounts, nil
}

// CardAccount reads one card account.
func (c *Client) CardAccount(ctx context.Context, token, consentID, id string, withBalance bool) (*CardAccount, error) {
	q := url.Values{}
	if withBalance {
		q.Set("withBalance", "true")
	}
	var out struct {
		CardAccount CardAccount `json:"cardAccount"`
	}
	if _, err := c.call(ctx, Request{Method: http.MethodGet, Path: "/card-accounts/" + url.PathEscape(id), Query: q, Token: token, ConsentID: consentID, PSUIP: true}, http.StatusOK, &out); err != nil {
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
	From, To      string // ISO dates; From is required by most ASPSPs
	BookingStatus string // booked, pending, both (default both)
	WithBalance   bool
	MaxPages      int // 0 means 100
	MaxBytes      int // all pages' answers together; 0 means MaxReportBytes
}

// CardTransactions reads a report, following its next links.
func (c *Client) CardTransactions(ctx context.Context, token, consentID, id string, tq TransactionQuery) (*CardTransactions, error) {
	q := url.Values{}
	if tq.From != "" {
		q.Set("dateFrom", tq.From)
	}
	if tq.To != "" {
		q.Set("dateTo", tq.To)
	}
	bs := tq.BookingStatus
	if bs == "" {
		bs = "both"
	}
	q.Set("bookingStatus", bs)
	if tq.WithBalance {
		q.Set("withBalance", "true")
	}
	max := tq.MaxPages
	if max == 0 {
		max = 100
	}
	out := &CardTransactions{Booked: []CardTransaction{}, Pending: []CardTransaction{}}
	req := Request{Method: http.MethodGet, Path: "/card-accounts/" + url.PathEscape(id) + "/transactions", Query: q, Token: token, ConsentID: consentID, PSUIP: true}
	seen := map[string]bool{}
	total, maxBytes := 0, tq.MaxBytes
	if maxBytes == 0 {
		maxBytes = MaxReportBytes
	}
	for page := 0; page < max; page++ {
		var r struct {
			CardAccount      AccountReference `json:"cardAccount"`
			Balances         []Balance        `json:"balances"`
			CardTransactions struct {
				Booked  []CardTransaction `json:"booked"`
				Pending []CardTransaction `json:"pending"`
				Links   map[string]Link   `json:"_links"`
			} `json:"cardTransactions"`
		}
		resp, err := c.call(ctx, req, http.StatusOK, &r)
		if err != nil {
			return nil, err
		}
		if total += len(resp.Body); total > maxBytes {
			return nil, fmt.Errorf("the transaction report of %s is larger than %d MiB after %d pages; xs2a reads no more (narrow dateFrom/dateTo)", termsafe.Line(id), maxBytes>>20, out.Pages+1)
		}
		out.Pages++
		out.CardAccount = r.CardAccount
		if len(r.Balances) > 0 {
			out.Balances = r.Balances
		}
		out.Booked = append(out.Booked, r.CardTransactions.Booked...)
		out.Pending = append(out.Pending, r.CardTransactions.Pending...)
		next := r.CardTransactions.Links["next"].Href
		if next == "" || seen[next] {
			break
		}
		seen[next] = true
		if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") {
			// Checked here too, so the refusal names the link.
			if _, err := c.resolve("transactions' next link", next); err != nil {
				return nil, err
			}
		}
		req.Path, req.Query = next, nil
	}
	return out, nil
}

// Accounts lists payment accounts (raw JSON: card issuers have none).
func (c *Client) Accounts(ctx context.Context, token, consentID string) (json.RawMessage, error) {
	var out json.RawMessage
	if _, err := c.call(ctx, Request{Method: http.MethodGet, Path: "/accounts", Token: token, ConsentID: consentID, PSUIP: true}, http.StatusOK, &out); err != nil {
		return nil, err
	}
	return out, nil
}
