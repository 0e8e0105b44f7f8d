package sandbox

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/xs2a-dev/xs2a/pkg/iban"
	"github.com/xs2a-dev/xs2a/pkg/text"

	"github.com/xs2a-dev/xs2a/pkg/xs2a"
)

// MaxConsentDays is how far validUntil may reach in the default dialect
// (rulesOf in consentrules.go: the RTS's 180 days; 9999-12-31 is adjusted
// down to it, a later date refused).
const MaxConsentDays = 180

// consentRequest mirrors the OpenAPI "consents" schema with pointers, so a
// missing field can be told from a zero value.
type consentRequest struct {
	Access                   *Access `json:"access"`
	RecurringIndicator       *bool   `json:"recurringIndicator"`
	ValidUntil               *string `json:"validUntil"`
	FrequencyPerDay          *int    `json:"frequencyPerDay"`
	CombinedServiceIndicator *bool   `json:"combinedServiceIndicator"`
}

func formatErr(path, f string, a ...any) *apiError {
	return reject(http.StatusBadRequest, CodeFormatError, fmt.Sprintf(f, a...)).withPath(path)
}

// parseConsent validates a consent body by the default dialect's rules.
func parseConsent(body []byte, today time.Time) (*Consent, *apiError) {
	return parseConsentBy(body, today, rulesOf(DialectEnfuce))
}

// parseConsentBy validates a consent body and names the field at fault.
func parseConsentBy(body []byte, today time.Time, rules consentRules) (*Consent, *apiError) {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, formatErr("", "the body is empty; a consent request carries a JSON object")
	}
	if path, ok := duplicateKey(body); ok {
		return nil, formatErr(path, "%s appears twice in the JSON object; parsers disagree on which one counts, so the bank refuses it", path)
	}
	if e := unsupportedAccess(body); e != nil {
		return nil, e
	}
	req, e := decodeConsentRequest(body)
	if e != nil {
		return nil, e
	}
	switch {
	case req.Access == nil:
		return nil, formatErr("access", "access is required")
	case req.RecurringIndicator == nil:
		return nil, formatErr("recurringIndicator", "recurringIndicator is required")
	case req.ValidUntil == nil:
		return nil, formatErr("validUntil", "validUntil is required (an ISO date, e.g. %s)", today.AddDate(0, 0, 90).Format(time.DateOnly))
	case req.FrequencyPerDay == nil:
		return nil, formatErr("frequencyPerDay", "frequencyPerDay is required")
	case req.CombinedServiceIndicator == nil:
		return nil, formatErr("combinedServiceIndicator", "combinedServiceIndicator is required")
	}
	if *req.CombinedServiceIndicator {
		return nil, reject(http.StatusBadRequest, CodeSessionsNotSupported, "combinedServiceIndicator true: this ASPSP does not support sessions with payment initiation").withPath("combinedServiceIndicator")
	}
	vu, err := time.Parse(time.DateOnly, *req.ValidUntil)
	if err != nil {
		return nil, formatErr("validUntil", "validUntil %q is not an ISO date (YYYY-MM-DD)", *req.ValidUntil)
	}
	if vu.Before(today) {
		return nil, formatErr("validUntil", "validUntil %s is in the past (today is %s)", vu.Format(time.DateOnly), today.Format(time.DateOnly))
	}
	vu, e = rules.limitValidUntil(vu, today)
	if e != nil {
		return nil, e
	}
	f := *req.FrequencyPerDay
	switch {
	case f < 1:
		return nil, formatErr("frequencyPerDay", "frequencyPerDay must be at least 1, got %d", f)
	case f > 4:
		return nil, formatErr("frequencyPerDay", "frequencyPerDay %d exceeds 4, the maximum without a bilateral agreement", f)
	case !*req.RecurringIndicator && f != 1:
		return nil, formatErr("frequencyPerDay", "a one-off consent (recurringIndicator false) has frequencyPerDay 1, got %d", f)
	}
	if e := validateAccess(req.Access); e != nil {
		return nil, e
	}
	return &Consent{Access: *req.Access, Recurring: *req.RecurringIndicator, ValidUntil: vu, FrequencyPerDay: f, Status: StatusReceived}, nil
}

// decodeConsentRequest decodes the consent body strictly (no unknown
// field, nothing after the object) and names the field at fault.
func decodeConsentRequest(body []byte) (consentRequest, *apiError) {
	var req consentRequest
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		if ute, ok := err.(*json.UnmarshalTypeError); ok {
			return req, formatErr(ute.Field, "%s must be a JSON %s, got %s", ute.Field, jsonType(ute.Type.Kind().String()), ute.Value)
		}
		if se, ok := err.(*json.SyntaxError); ok {
			return req, formatErr("", "the body is not valid JSON: %v at byte %d", se, se.Offset)
		}
		// encoding/json gives an unknown field no error type: its text is
		// the only way to name the field. It picks the path and the words,
		// never the code (FORMAT_ERROR either way).
		if strings.HasPrefix(err.Error(), "json: unknown field ") {
			f := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
			return req, formatErr(f, "unknown field %q in the consent request", f)
		}
		return req, formatErr("", "the body is not a consent request: %v", err)
	}
	if dec.More() {
		return req, formatErr("", "the body has data after the JSON object")
	}
	return req, nil
}

// unsupportedAccess refuses the optional access fields of the file's
// accountAccess schema that this ASPSP does not support, by name, with
// PARAMETER_NOT_SUPPORTED (the file: "Optional if supported by API
// provider"), rather than as unknown fields. A body that is not a JSON
// object is left to the decoder proper.
func unsupportedAccess(body []byte) *apiError {
	var top struct {
		Access map[string]json.RawMessage `json:"access"`
	}
	if json.Unmarshal(body, &top) != nil {
		return nil
	}
	for _, f := range []struct{ name, why string }{
		{"additionalInformation", "this card issuer delivers neither owner names nor trusted beneficiaries through additionalInformation"},
		{"restrictedTo", "the accounts of this card issuer are card accounts, which have no cashAccountType to restrict to"},
	} {
		if _, ok := top.Access[f.name]; ok {
			return reject(http.StatusBadRequest, CodeParameterNotSupported,
				fmt.Sprintf("access.%s is optional in the Berlin Group file and not supported here: %s; leave it out", f.name, f.why)).withPath("access." + f.name)
		}
	}
	return nil
}

// maxJSONDepth is how deep duplicateKey looks. A consent request nests four
// levels; a body of a MiB nests 170,000, and a frame and a map per level
// cost 83 MB and half a second. Anything deeper than this is no consent
// request, and the decoder refuses it.
const maxJSONDepth = 32

// duplicateKey finds the first key repeated within one JSON object, as a
// dotted path. Go keeps the last duplicate, other parsers the first: a body
// that means different things to different parsers is refused.
func duplicateKey(body []byte) (string, bool) {
	dec := json.NewDecoder(bytes.NewReader(body))
	type frame struct {
		keys    map[string]bool
		object  bool
		key     string // the key whose value is being read
		wantKey bool
	}
	var stack []*frame
	path := func(k string) string {
		var parts []string
		for _, f := range stack {
			if f.object && f.key != "" && f != stack[len(stack)-1] {
				parts = append(parts, f.key)
			}
		}
		return strings.Join(append(parts, k), ".")
	}
	for {
		tok, err := dec.Token()
		if err != nil {
			return "", false // malformed JSON is reported by the decoder proper
		}
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		switch t := tok.(type) {
		case json.Delim:
			if (t == '{' || t == '[') && len(stack) >= maxJSONDepth {
				return "", false
			}
			switch t {
			case '{':
				stack = append(stack, &frame{keys: map[string]bool{}, object: true, wantKey: true})
				continue
			case '[':
				stack = append(stack, &frame{})
				continue
			default:
				stack = stack[:len(stack)-1]
				if len(stack) == 0 {
					return "", false
				}
				if p := stack[len(stack)-1]; p.object {
					p.wantKey = true
				}
				continue
			}
		case string:
			if top != nil && top.object && top.wantKey {
				if top.keys[t] {
					return path(t), true
				}
				top.keys[t] = true
				top.key, top.wantKey = t, false
				continue
			}
		}
		if top != nil && top.object {
			top.wantKey = true
		}
	}
}

func jsonType(kind string) string {
	switch kind {
	case "bool":
		return "boolean"
	case "int", "int64":
		return "integer"
	case "string":
		return "string"
	case "ptr", "struct":
		return "object"
	case "slice":
		return "array"
	}
	return kind
}

var (
	maskedPANRE = regexp.MustCompile(`^[0-9]{6}[0-9*xX]{2,9}[0-9]{4}$`)
	panRE       = regexp.MustCompile(`^[0-9]{12,19}$`)
	currencyRE  = regexp.MustCompile(`^[A-Z]{3}$`)
)

// maxPANField is the longest maskedPan or pan taken as written: 19 digits
// with a space between groups of four, and some to spare.
const maxPANField = 35

func validateAccess(a *Access) *apiError {
	for name, v := range map[string]string{"access.allPsd2": a.AllPsd2, "access.availableAccounts": a.AvailableAccounts,
		"access.availableAccountsWithBalance": a.AvailableAccountsWithBalance} {
		if v == "allAccountsWithOwnerName" && name == "access.allPsd2" {
			return reject(http.StatusBadRequest, CodeParameterNotSupported,
				"access.allPsd2 \"allAccountsWithOwnerName\": the file admits it, this ASPSP does not deliver owner names with a global consent; use \"allAccounts\"").withPath(name)
		}
		if v != "" && v != "allAccounts" && v != "allAccountsWithOwnerName" {
			return formatErr(name, "%s must be \"allAccounts\" or \"allAccountsWithOwnerName\", got %q", name, text.Clip(v, 40))
		}
	}
	lists := map[string][]AccountReference{"access.accounts": a.Accounts, "access.balances": a.Balances, "access.transactions": a.Transactions}
	any := a.AllPsd2 != "" || a.AvailableAccounts != "" || a.AvailableAccountsWithBalance != ""
	for name, refs := range lists {
		if refs != nil {
			any = true
		}
		// A consent is kept, in memory and in the data file, until its
		// validUntil: what one request may hold is bounded.
		if len(refs) > MaxAccountReferences {
			return formatErr(name, "%s lists %d account references; at most %d", name, len(refs), MaxAccountReferences)
		}
		for i, ref := range refs {
			p := fmt.Sprintf("%s[%d]", name, i)
			switch {
			case ref.IBAN != "" && (ref.MaskedPAN != "" || ref.PAN != ""):
				return formatErr(p, "%s names an account by iban and by card number; give one", p)
			case ref.IBAN != "" && (len(ref.IBAN) > 34 || !iban.Valid(ref.IBAN)):
				// ISO 13616: at most 34 characters, no spaces, check
				// digits that make the number 1 modulo 97.
				return formatErr(p+".iban", "%s.iban %q is not an IBAN (ISO 13616: country, check digits, no spaces; the check digits must hold)", p, text.Clip(ref.IBAN, 40))
			case ref.IBAN == "" && ref.MaskedPAN == "" && ref.PAN == "":
				return formatErr(p, "%s names no account: give iban (a payment account) or maskedPan (a card account, e.g. 524378******8693)", p)
			case ref.MaskedPAN != "" && (len(ref.MaskedPAN) > maxPANField || !maskedPANRE.MatchString(normPAN(ref.MaskedPAN))):
				return formatErr(p+".maskedPan", "%s.maskedPan %q is not a masked card number (first 6 and last 4 digits)", p, text.Clip(ref.MaskedPAN, maxPANField))
			case ref.PAN != "" && (len(ref.PAN) > maxPANField || !panRE.MatchString(normPAN(ref.PAN))):
				return formatErr(p+".pan", "%s.pan %q is not a card number (12 to 19 digits)", p, text.Clip(ref.PAN, maxPANField))
			case ref.Currency != "" && !currencyRE.MatchString(ref.Currency):
				return formatErr(p+".currency", "%s.currency %q is not an ISO 4217 currency code (three capital letters)", p, text.Clip(ref.Currency, 8))
			}
		}
	}
	if !any {
		return formatErr("access", "access asks for nothing: give allPsd2, availableAccounts, availableAccountsWithBalance, or accounts/balances/transactions")
	}
	return nil
}

func normPAN(p string) string { return strings.ReplaceAll(p, " ", "") }

func samePAN(ref AccountReference, card *CardAccount) bool {
	p := normPAN(ref.MaskedPAN)
	if p == "" {
		p = normPAN(ref.PAN)
	}
	c := card.MaskedPAN
	return len(p) >= 10 && p[:6] == c[:6] && p[len(p)-4:] == c[len(c)-4:]
}

// picks reports whether the PSU chooses the accounts on the consent page.
func picks(a Access) bool {
	return a.AvailableAccounts != "" || a.AvailableAccountsWithBalance != "" ||
		(a.Accounts != nil && len(a.Accounts) == 0) || (a.Balances != nil && len(a.Balances) == 0) || (a.Transactions != nil && len(a.Transactions) == 0)
}

// grantable is an account of the PSU a consent may give: a card account
// (referenced by maskedPan or pan) or a payment account (by iban, with the
// currency when the reference gives one).
type grantable struct {
	id    string
	match func(AccountReference) bool
}

// grantables are the PSU's card accounts, then its payment accounts.
func grantables(psu *PSU) []grantable {
	var out []grantable
	for _, card := range psu.Cards {
		out = append(out, grantable{card.ResourceID, func(ref AccountReference) bool { return ref.IBAN == "" && samePAN(ref, card) }})
	}
	for _, acc := range psu.Accounts {
		out = append(out, grantable{acc.ResourceID, func(ref AccountReference) bool {
			return ref.IBAN != "" && strings.EqualFold(ref.IBAN, acc.IBAN) && (ref.Currency == "" || ref.Currency == acc.Currency)
		}})
	}
	return out
}

// grant records what the PSU gave: the account ids (card and payment
// accounts) per kind of access.
func grant(c *Consent, psu *PSU, picked []string) {
	c.Accounts, c.Balances, c.Transactions = map[string]bool{}, map[string]bool{}, map[string]bool{}
	chosen := map[string]bool{}
	for _, id := range picked {
		chosen[id] = true
	}
	a := c.Access
	for _, g := range grantables(psu) {
		switch {
		case a.AllPsd2 != "":
			c.Accounts[g.id], c.Balances[g.id], c.Transactions[g.id] = true, true, true
			continue
		case a.AvailableAccountsWithBalance != "":
			if chosen[g.id] {
				c.Accounts[g.id], c.Balances[g.id] = true, true
			}
			continue
		case a.AvailableAccounts != "":
			if chosen[g.id] {
				c.Accounts[g.id] = true
			}
			continue
		}
		for kind, refs := range map[string][]AccountReference{"accounts": a.Accounts, "balances": a.Balances, "transactions": a.Transactions} {
			ok := false
			if refs != nil && len(refs) == 0 {
				ok = chosen[g.id]
			}
			for _, ref := range refs {
				ok = ok || g.match(ref)
			}
			if !ok {
				continue
			}
			c.Accounts[g.id] = true
			switch kind {
			case "balances":
				c.Balances[g.id] = true
			case "transactions":
				c.Transactions[g.id] = true
			}
		}
	}
}

func describeAccess(a Access) []string {
	var out []string
	refs := func(rs []AccountReference) string {
		if len(rs) == 0 {
			return "the accounts you choose"
		}
		var ps []string
		for _, r := range rs {
			ps = append(ps, r.IBAN+r.MaskedPAN+r.PAN)
		}
		return strings.Join(ps, ", ")
	}
	switch {
	case a.AllPsd2 != "":
		out = append(out, "all your accounts (card and payment accounts), their balances and transactions")
	case a.AvailableAccountsWithBalance != "":
		out = append(out, "the list of the accounts you choose, with balances")
	case a.AvailableAccounts != "":
		out = append(out, "the list of the accounts you choose")
	}
	if a.Accounts != nil {
		out = append(out, "details of "+refs(a.Accounts))
	}
	if a.Balances != nil {
		out = append(out, "balances of "+refs(a.Balances))
	}
	if a.Transactions != nil {
		out = append(out, "transactions of "+refs(a.Transactions))
	}
	return out
}

// --- handlers -------------------------------------------------------------

// link is a Berlin Group hyperlink (the client's type, doc.go).
type link = xs2a.Link

// consentCreated is the 201 answer. Not the client's xs2a.ConsentCreated:
// that one also holds what the client learns from the answer's headers.
type consentCreated struct {
	ConsentStatus string          `json:"consentStatus"`
	ConsentID     string          `json:"consentId"`
	Links         map[string]link `json:"_links"`
}

// consentInfo is the answer of GET /v1/consents/{consentId}.
type consentInfo = xs2a.Consent

// clientToken checks the bearer token of consent management calls: the
// client-credentials token of this TPP (a PSU token of this TPP is fine too).
func (s *Server) clientToken(c *call) (*token, *apiError) {
	t, e := s.bearer(c)
	if e != nil {
		return nil, e
	}
	key := c.r.Header.Get(s.opts.APIKeyHeader)
	app := s.store.app(t.clientID)
	switch {
	case key == "":
		return nil, formatErr(s.opts.APIKeyHeader, "the API key is missing: send it in the %s header", s.opts.APIKeyHeader)
	case app == nil || key != app.APIKey:
		return nil, reject(http.StatusUnauthorized, CodeTokenInvalid, fmt.Sprintf("the API key in %s is not the key of client %q", s.opts.APIKeyHeader, t.clientID)).withPath(s.opts.APIKeyHeader)
	}
	return t, nil
}

// bearer finds and checks the Authorization: Bearer token.
func (s *Server) bearer(c *call) (*token, *apiError) {
	h := c.r.Header.Get("Authorization")
	if h == "" {
		return nil, reject(http.StatusUnauthorized, CodeTokenInvalid, "no Authorization: Bearer token; get one from the token endpoint first")
	}
	v, ok := strings.CutPrefix(h, "Bearer ")
	if !ok {
		return nil, reject(http.StatusUnauthorized, CodeTokenInvalid, "the Authorization header is not \"Bearer <token>\"")
	}
	var t *token
	s.store.locked(func() { t = s.store.tokens[strings.TrimSpace(v)] })
	switch {
	case t == nil || t.refresh:
		return nil, reject(http.StatusUnauthorized, CodeTokenUnknown, "the bearer token is not one this ASPSP issued (or it is a refresh token)")
	case t.revoked:
		return nil, reject(http.StatusUnauthorized, CodeTokenInvalid, "the bearer token was revoked (its authorization code was used twice)")
	case s.now().After(t.expires):
		return nil, reject(http.StatusUnauthorized, CodeTokenExpired, fmt.Sprintf("the bearer token expired at %s; refresh it", t.expires.UTC().Format(time.RFC3339)))
	case t.thumbprint != c.tpp.Thumbprint:
		return nil, reject(http.StatusUnauthorized, CodeTokenInvalid, "the bearer token is bound to another client certificate (RFC 8705 x5t#S256); use the QWAC it was issued to")
	}
	return t, nil
}

func (s *Server) consentLinks(id string) map[string]link {
	return map[string]link{
		"scaOAuth": {Href: trimBase(s.URL) + "/.well-known/oauth-authorization-server"},
		"self":     {Href: "/v1/consents/" + id},
		"status":   {Href: "/v1/consents/" + id + "/status"},
	}
}

func (s *Server) createConsent(c *call) *apiError {
	t, e := s.clientToken(c)
	if e != nil {
		return e
	}
	if e := requirePSUIP(c.r.Header); e != nil {
		return e
	}
	if ct := c.r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/json") {
		return reject(http.StatusUnsupportedMediaType, CodeFormatError, fmt.Sprintf("Content-Type %q: the consent request is application/json", ct))
	}
	now := s.now()
	con, e := parseConsentBy(c.body, dateOf(now.In(s.zone)), s.rules())
	if e != nil {
		return e
	}
	con.ID = "cns-" + randomID(18)
	con.OrganizationID = c.tpp.OrganizationID
	con.ClientID = t.clientID
	con.LastAction = now
	// The OAuth2 approach starts the authorisation implicitly (the file's
	// consentResponseExample2_OAuth2): scaStatus links to it.
	auth := con.addAuthorisation(now, "")
	links := s.consentLinks(con.ID)
	links["scaStatus"] = link{Href: authorisationPath(con.ID, auth.ID)}
	s.store.locked(func() {
		s.store.prune(now)
		s.store.consents[con.ID] = con
		c.saved.add(s.store.save(con))
	})
	h := c.w.Header()
	h.Set("Location", "/v1/consents/"+con.ID)
	h.Set("ASPSP-SCA-Approach", "REDIRECT")
	return c.reply(http.StatusCreated, consentCreated{ConsentStatus: con.Status, ConsentID: con.ID, Links: links})
}

// ownConsent finds a consent of the calling TPP, expiring it when its day has passed.
func (s *Server) ownConsent(c *call) (*Consent, *apiError) {
	id := c.r.PathValue("consentId")
	s.store.mu.Lock()
	defer s.store.mu.Unlock()
	con := s.store.consents[id]
	if con == nil || !s.ownedBy(con, c.tpp) {
		return nil, reject(http.StatusForbidden, CodeConsentUnknown, fmt.Sprintf("consent %q is not a consent of this TPP", id))
	}
	s.expire(con)
	return con, nil
}

// ownedBy reports a consent of tpp: of its organisation, created through an
// app bound to its CA. Call with the lock held.
func (s *Server) ownedBy(con *Consent, tpp *TPP) bool {
	app := s.store.apps[con.ClientID]
	return con.OrganizationID == tpp.OrganizationID && app != nil && app.CA != "" && app.CA == tpp.CA
}

// managedConsent is what consent management calls share: the TPP's
// client token with its API key, and a consent of that TPP.
func (s *Server) managedConsent(c *call) (*Consent, *apiError) {
	if _, e := s.clientToken(c); e != nil {
		return nil, e
	}
	return s.ownConsent(c)
}

func (s *Server) getConsent(c *call) *apiError {
	con, e := s.managedConsent(c)
	if e != nil {
		return e
	}
	var info consentInfo
	s.store.locked(func() {
		info = consentInfo{Access: con.Access, RecurringIndicator: con.Recurring, ValidUntil: con.ValidUntil.Format(time.DateOnly),
			FrequencyPerDay: con.FrequencyPerDay, LastActionDate: con.LastAction.In(s.zone).Format(time.DateOnly), ConsentStatus: con.Status}
	})
	return c.reply(http.StatusOK, info)
}

func (s *Server) consentStatus(c *call) *apiError {
	con, e := s.managedConsent(c)
	if e != nil {
		return e
	}
	var st string
	s.store.locked(func() { st = con.Status })
	return c.reply(http.StatusOK, map[string]string{"consentStatus": st})
}

func (s *Server) deleteConsent(c *call) *apiError {
	con, e := s.managedConsent(c)
	if e != nil {
		return e
	}
	var ended string
	s.store.locked(func() {
		switch st := con.Status; st {
		case StatusTerminatedByTpp, StatusRevokedByPsu, StatusExpired, StatusRejected:
			ended = st
			return
		}
		con.Status = StatusTerminatedByTpp
		con.LastAction = s.now() // lastActionDate follows every change
		c.saved.add(s.store.save(con))
	})
	if ended != "" {
		return reject(http.StatusConflict, CodeStatusInvalid, fmt.Sprintf("consent %q is already %s", con.ID, ended))
	}
	if e := c.committed(); e != nil {
		return e
	}
	c.w.Header().Set("X-Request-ID", c.rid)
	c.w.WriteHeader(http.StatusNoContent)
	return nil
}

// MaxAccountReferences bounds each list of account references in a consent
// request.
const MaxAccountReferences = 100
