package sandbox

import (
	"fmt"
	"net/http"
	"time"
)

type cardAccountJSON struct {
	ResourceID  string          `json:"resourceId"`
	MaskedPan   string          `json:"maskedPan"`
	Currency    string          `json:"currency"`
	OwnerName   string          `json:"ownerName,omitempty"`
	Name        string          `json:"name"`
	DisplayName string          `json:"displayName,omitempty"`
	Product     string          `json:"product"`
	Status      string          `json:"status"`
	Usage       string          `json:"usage,omitempty"`
	CreditLimit Amount          `json:"creditLimit"`
	Balances    []Balance       `json:"balances,omitempty"`
	Links       map[string]link `json:"_links,omitempty"`
}

// access is what an accounts call found: the consent, its PSU and the token.
type access struct {
	consent *Consent
}

// consentAccess checks the PSU token and Consent-ID of an accounts call and
// reserves its access against frequencyPerDay (consentrules.go): the
// access is kept only when the call's answer is 2xx (c.reply), and given
// back when the handler refuses the call (s.fail). Handlers need do
// nothing more than answer through c.reply or return their *apiError.
func (s *Server) consentAccess(c *call) (*access, *apiError) {
	t, e := s.bearer(c)
	if e != nil {
		return nil, e
	}
	if t.kind != "user" {
		return nil, reject(http.StatusUnauthorized, CodeTokenInvalid, "a client-credentials token cannot read accounts: use the access token from the authorization code exchange (scope AIS:<consentId>)")
	}
	cid := c.r.Header.Get("Consent-ID")
	if cid == "" {
		return nil, formatErr("Consent-ID", "the Consent-ID header is missing")
	}
	s.store.mu.Lock()
	defer s.store.mu.Unlock()
	con := s.store.consents[cid]
	switch {
	case con == nil || !s.ownedBy(con, c.tpp):
		// 400, not 403: the Guidelines' code table answers CONSENT_UNKNOWN
		// with 403 when the consent is addressed in the path and with 400
		// otherwise, as here in the Consent-ID header. Unknown and another
		// TPP's get the same answer, so it tells nothing of other TPPs.
		return nil, reject(http.StatusBadRequest, CodeConsentUnknown, fmt.Sprintf("consent %q is not a consent of this TPP", cid)).withPath("Consent-ID")
	case t.consentID != cid:
		return nil, reject(http.StatusUnauthorized, CodeConsentInvalid, fmt.Sprintf("the access token was issued for consent %q, not for Consent-ID %q", t.consentID, cid))
	}
	s.expire(con)
	switch {
	case con.Status == StatusValid:
	case con.Status == StatusExpired && s.readingReport(c, con):
		// The later pages of the report a one-off consent read last.
	case con.Status == StatusExpired && !dateOf(s.now().In(s.zone)).After(con.ValidUntil) && !con.Recurring:
		return nil, reject(http.StatusUnauthorized, CodeConsentExpired, fmt.Sprintf("consent %q was a one-off consent (recurringIndicator false) and has been used; ask the PSU for a new one", cid))
	case con.Status == StatusExpired && !dateOf(s.now().In(s.zone)).After(con.ValidUntil):
		return nil, reject(http.StatusUnauthorized, CodeConsentExpired, fmt.Sprintf("consent %q expired when the PSU authorised a newer recurring consent of this TPP; use that one", cid))
	case con.Status == StatusExpired:
		return nil, reject(http.StatusUnauthorized, CodeConsentExpired, fmt.Sprintf("consent %q expired after %s; ask the PSU for a new one", cid, con.ValidUntil.Format(time.DateOnly)))
	default:
		return nil, reject(http.StatusUnauthorized, CodeConsentInvalid, fmt.Sprintf("consent %q is %s, not valid", cid, con.Status))
	}
	if e := s.reserve(c, con); e != nil {
		return nil, e
	}
	return &access{consent: con}, nil
}

// gives reports that the consent gives kind access ("accounts",
// "balances", "transactions") to the account or card id: a balances or
// transactions grant gives its details too. Call with the store's lock
// held.
func (con *Consent) gives(id, kind string) bool {
	granted := map[string]map[string]bool{"accounts": con.Accounts, "balances": con.Balances, "transactions": con.Transactions}[kind]
	return granted[id] || (kind == "accounts" && (con.Balances[id] || con.Transactions[id]))
}

// resource is a card account or a payment account, as a path names it.
type resource interface {
	resourceID() string
	blocked() bool
}

func (c *CardAccount) resourceID() string    { return c.ResourceID }
func (c *CardAccount) blocked() bool         { return c.Status == "blocked" }
func (a *PaymentAccount) resourceID() string { return a.ResourceID }
func (a *PaymentAccount) blocked() bool      { return a.Status == "blocked" }

// consented finds the path's accountId among the PSU's resources (noun
// names their kind in the answers) and checks the consent gives kind
// access to it: another PSU's or none is 404 RESOURCE_UNKNOWN, one the
// consent does not give 401 CONSENT_INVALID, a blocked one 400
// RESOURCE_BLOCKED.
func consented[R resource](s *Server, c *call, a *access, kind, noun string, resources []R) (R, *apiError) {
	id := c.r.PathValue("accountId")
	var found R
	var ok bool
	for _, r := range resources {
		if r.resourceID() == id {
			found, ok = r, true
		}
	}
	var covered bool
	s.store.locked(func() { covered = a.consent.gives(id, kind) })
	switch {
	case !ok:
		return found, reject(http.StatusNotFound, CodeResourceUnknown, fmt.Sprintf("%s %q does not exist for this PSU", noun, id))
	case !covered:
		return found, reject(http.StatusUnauthorized, CodeConsentInvalid, fmt.Sprintf("consent %q does not give access to the %s of %s %q", a.consent.ID, kind, noun, id))
	case found.blocked():
		return found, reject(http.StatusBadRequest, CodeResourceBlocked, fmt.Sprintf("%s %q is blocked", noun, id))
	}
	return found, nil
}

// card finds a card the consent covers for the given kind of access.
func (s *Server) card(c *call, a *access, kind string) (*CardAccount, *apiError) {
	return consented(s, c, a, kind, "card account", a.consent.PSU.Cards)
}

// cardJSON is the card's cardAccountDetails. Balances come with the
// consent, never with a query parameter (the file declares none on the card
// paths; its cardAccountList example carries balances): present when the
// consent gives balances for the card and the card can be read (enabled).
func (s *Server) cardJSON(card *CardAccount, con *Consent) cardAccountJSON {
	j := cardAccountJSON{ResourceID: card.ResourceID, MaskedPan: card.MaskedPAN, Currency: card.Currency, OwnerName: card.OwnerName,
		Name: card.Name, DisplayName: card.DisplayName, Product: card.Product, Status: card.Status, Usage: card.Usage,
		CreditLimit: cents(card.Currency, card.CreditLimit), Links: detailLinks(con, "/v1/card-accounts/", card.ResourceID)}
	if con.Balances[card.ResourceID] && card.Status == "enabled" {
		j.Balances = card.Balances(s.now().In(s.zone))
	}
	return j
}

// detailLinks are the links of the details of account id (of the
// collection, "/v1/accounts/" or "/v1/card-accounts/") to its balances and
// transactions, each only where the consent grants it (the file's
// _linksAccountDetails: "only supported, when the corresponding consent
// has been already granted"). Call with the store's lock held.
func detailLinks(con *Consent, collection, id string) map[string]link {
	self := collection + id
	links := map[string]link{}
	if con.Balances[id] {
		links["balances"] = link{Href: self + "/balances"}
	}
	if con.Transactions[id] {
		links["transactions"] = link{Href: self + "/transactions"}
	}
	return links
}

func (s *Server) listCards(c *call) *apiError {
	a, e := s.consentAccess(c)
	if e != nil {
		return e
	}
	out := []cardAccountJSON{}
	s.store.locked(func() {
		for _, card := range a.consent.PSU.Cards {
			if a.consent.gives(card.ResourceID, "accounts") {
				out = append(out, s.cardJSON(card, a.consent))
			}
		}
	})
	return c.reply(http.StatusOK, map[string]any{"cardAccounts": out})
}

func (s *Server) getCard(c *call) *apiError {
	a, e := s.consentAccess(c)
	if e != nil {
		return e
	}
	card, e := s.card(c, a, "accounts")
	if e != nil {
		return e
	}
	var j cardAccountJSON
	s.store.locked(func() { j = s.cardJSON(card, a.consent) })
	return c.reply(http.StatusOK, map[string]any{"cardAccount": j})
}

func (s *Server) cardBalances(c *call) *apiError {
	a, e := s.consentAccess(c)
	if e != nil {
		return e
	}
	card, e := s.card(c, a, "balances")
	if e != nil {
		return e
	}
	return c.reply(http.StatusOK, map[string]any{
		"cardAccount": AccountReference{MaskedPAN: card.MaskedPAN, Currency: card.Currency},
		"balances":    card.Balances(s.now().In(s.zone)),
	})
}

// cardTransactions answers the card account's transaction report, with
// the card's balances when the consent gives them.
func (s *Server) cardTransactions(c *call) *apiError {
	a, e := s.consentAccess(c)
	if e != nil {
		return e
	}
	card, e := s.card(c, a, "transactions")
	if e != nil {
		return e
	}
	now := s.now().In(s.zone) // the bank's days decide what is pending
	q := c.r.URL.Query()
	tq, e := parseTxQuery(q, dateOf(now), cardHistory)
	if e != nil {
		return e
	}
	report, e := transactionReport(card.Transactions(tq.from, tq.to, now), tq, c.r.URL.Path, q, "cardAccount", "/v1/card-accounts/"+card.ResourceID)
	if e != nil {
		return e
	}
	body := map[string]any{
		"cardAccount":      AccountReference{MaskedPAN: card.MaskedPAN, Currency: card.Currency},
		"cardTransactions": report,
	}
	// The file's AIS overview: "Transaction reports for a given account or
	// card account including balances if applicable"; with no withBalance
	// on this path, applicable is: the consent gives the card's balances.
	var withBalances bool
	s.store.locked(func() { withBalances = a.consent.Balances[card.ResourceID] })
	if withBalances {
		body["balances"] = card.Balances(now)
	}
	return c.reply(http.StatusOK, body)
}
