package sandbox

import (
	"fmt"
	"net/http"

	"github.com/xs2a-dev/xs2a/pkg/text"
)

// The payment-account operations of the file (getAccountList,
// readAccountDetails, getBalances, getTransactionList,
// getTransactionDetails), served for the IBAN accounts of customer
// PaymentCustomerID. Access follows the card accounts' rules (s.card):
// an account of another PSU or none is 404 RESOURCE_UNKNOWN, one the
// consent does not give is 401 CONSENT_INVALID.

type accountJSON struct {
	ResourceID      string          `json:"resourceId"`
	IBAN            string          `json:"iban"`
	Currency        string          `json:"currency"`
	OwnerName       string          `json:"ownerName,omitempty"`
	Name            string          `json:"name,omitempty"`
	DisplayName     string          `json:"displayName,omitempty"`
	Product         string          `json:"product,omitempty"`
	CashAccountType string          `json:"cashAccountType,omitempty"`
	Status          string          `json:"status,omitempty"`
	BIC             string          `json:"bic,omitempty"`
	Usage           string          `json:"usage,omitempty"`
	Balances        []Balance       `json:"balances,omitempty"`
	Links           map[string]link `json:"_links,omitempty"`
}

// withBalance reads the file's boolean withBalance query parameter; a
// value that is not a boolean is a FORMAT_ERROR, as for any malformed
// parameter.
func withBalance(c *call) (bool, *apiError) {
	v, ok := c.r.URL.Query()["withBalance"]
	if !ok {
		return false, nil
	}
	if v[0] != "true" && v[0] != "false" {
		return false, formatErr("withBalance", "withBalance %q is not a boolean (true or false)", text.Clip(v[0], 20))
	}
	return v[0] == "true", nil
}

// paymentAccount finds an account the consent covers for the given kind of
// access, as s.card finds a card.
func (s *Server) paymentAccount(c *call, a *access, kind string) (*PaymentAccount, *apiError) {
	return consented(s, c, a, kind, "payment account", a.consent.PSU.Accounts)
}

// accountJSON is the account as the consent shows it: links to balances
// and transactions only where granted (the file's _linksAccountDetails:
// "only supported, when the corresponding consent has been already
// granted"), balances with withBalance only where the consent gives
// balances (the file's withBalance: "if granted by the PSU in the related
// consent"). Call with the store's lock held.
func (s *Server) accountJSON(acc *PaymentAccount, con *Consent, withBalance bool) accountJSON {
	j := accountJSON{ResourceID: acc.ResourceID, IBAN: acc.IBAN, Currency: acc.Currency, OwnerName: acc.OwnerName, Name: acc.Name,
		DisplayName: acc.DisplayName, Product: acc.Product, CashAccountType: acc.CashAccountType, Status: acc.Status, BIC: acc.BIC,
		Usage: acc.Usage, Links: detailLinks(con, "/v1/accounts/", acc.ResourceID)}
	if con.Balances[acc.ResourceID] && withBalance && acc.Status == "enabled" {
		j.Balances = acc.Balances(s.now().In(s.zone))
	}
	return j
}

// listAccounts answers getAccountList: the payment accounts the consent
// gives (a card customer's list is empty).
func (s *Server) listAccounts(c *call) *apiError {
	a, e := s.consentAccess(c)
	if e != nil {
		return e
	}
	wb, e := withBalance(c)
	if e != nil {
		return e
	}
	out := []accountJSON{}
	s.store.locked(func() {
		for _, acc := range a.consent.PSU.Accounts {
			if a.consent.gives(acc.ResourceID, "accounts") {
				out = append(out, s.accountJSON(acc, a.consent, wb))
			}
		}
	})
	return c.reply(http.StatusOK, map[string]any{"accounts": out})
}

func (s *Server) getAccount(c *call) *apiError {
	a, e := s.consentAccess(c)
	if e != nil {
		return e
	}
	wb, e := withBalance(c)
	if e != nil {
		return e
	}
	acc, e := s.paymentAccount(c, a, "accounts")
	if e != nil {
		return e
	}
	var j accountJSON
	s.store.locked(func() { j = s.accountJSON(acc, a.consent, wb) })
	return c.reply(http.StatusOK, map[string]any{"account": j})
}

func (s *Server) accountBalances(c *call) *apiError {
	a, e := s.consentAccess(c)
	if e != nil {
		return e
	}
	acc, e := s.paymentAccount(c, a, "balances")
	if e != nil {
		return e
	}
	return c.reply(http.StatusOK, map[string]any{
		"account":  AccountReference{IBAN: acc.IBAN, Currency: acc.Currency},
		"balances": acc.Balances(s.now().In(s.zone)),
	})
}

// accountTransactions answers getTransactionList: the report of the
// account's history the query asks for, with its balances when asked
// (withBalance) and the consent gives them.
func (s *Server) accountTransactions(c *call) *apiError {
	a, e := s.consentAccess(c)
	if e != nil {
		return e
	}
	acc, e := s.paymentAccount(c, a, "transactions")
	if e != nil {
		return e
	}
	now := s.now().In(s.zone) // the bank's days decide what is pending
	q := c.r.URL.Query()
	tq, e := parseTxQuery(q, dateOf(now), accountHistory)
	if e != nil {
		return e
	}
	wb, e := withBalance(c)
	if e != nil {
		return e
	}
	txs := acc.Transactions(tq.from, tq.to, now)
	for i, t := range txs {
		txs[i].Links = map[string]link{"transactionDetails": {Href: "/v1/accounts/" + acc.ResourceID + "/transactions/" + t.TransactionID}}
	}
	report, e := transactionReport(txs, tq, c.r.URL.Path, q, "account", "/v1/accounts/"+acc.ResourceID)
	if e != nil {
		return e
	}
	body := map[string]any{
		"account":      AccountReference{IBAN: acc.IBAN, Currency: acc.Currency},
		"transactions": report,
	}
	var balances bool
	s.store.locked(func() { balances = a.consent.Balances[acc.ResourceID] })
	if wb && balances {
		body["balances"] = acc.Balances(now)
	}
	return c.reply(http.StatusOK, body)
}

// accountTransaction answers getTransactionDetails for a transaction of the
// account's history that the consent's transactions grant covers.
func (s *Server) accountTransaction(c *call) *apiError {
	a, e := s.consentAccess(c)
	if e != nil {
		return e
	}
	acc, e := s.paymentAccount(c, a, "transactions")
	if e != nil {
		return e
	}
	id := c.r.PathValue("transactionId")
	t, ok := acc.Transaction(id, s.now().In(s.zone))
	if !ok {
		return reject(http.StatusNotFound, CodeResourceUnknown, fmt.Sprintf("transaction %q does not exist on payment account %q (the history is two years)", text.Clip(id, 60), acc.ResourceID))
	}
	return c.reply(http.StatusOK, map[string]any{"transactionsDetails": map[string]any{"transactionDetails": t}})
}
