package sandbox

// PIIS consents: the consent a PSU gives a card-based payment instrument
// issuer (a TPP with PSP_IC) to ask POST /v1/funds-confirmations about one
// of the PSU's accounts. The 1.3 file leaves this consent to the ASPSP
// ("the PSU grants it to the bank"); the Berlin Group's PIIS consent
// extension (/v2/consents/confirmation-of-funds) is not implemented, since
// its shapes cannot be checked against a published file here. So the PSU
// grants it on the sandbox's own pages (piisweb.go) or the operator
// pre-grants it (`sandbox serve --piis-consent`, GrantPIISConsent), in
// status received; the TPP then has it authorised with the bank's
// documented scope PIIS:<consentId> (the PSU approves on the bank's page:
// valid) and calls with the access token of that scope.

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/xs2a-dev/xs2a/pkg/iban"
	"github.com/xs2a-dev/xs2a/pkg/qcert"
	"github.com/xs2a-dev/xs2a/pkg/text"
)

var bucketPIIS = []byte("piis")

// PIISConsent is a funds confirmation consent: one account of one PSU, for
// one TPP (its organisation, and the CA its QWACs chain to once known).
type PIISConsent struct {
	ID             string
	OrganizationID string
	// CA is the TPP's CA (App.CA); empty, the first token exchange with
	// a QWAC of the organisation binds it, as apps are bound.
	CA  string
	PSU *PSU
	// IBAN or MaskedPAN names the account, as funds.go resolves them.
	IBAN, MaskedPAN string
	Currency        string
	ValidUntil      time.Time // a date: the consent lives through that day
	Status          string    // received, valid, rejected, revokedByPsu, expired
	Created         time.Time
	LastAction      time.Time
}

// MaxPIISConsents bounds the PIIS consents the sandbox keeps: the grant
// page takes no certificate, so a loop of grants must not grow memory or
// the data file without bound.
const MaxPIISConsents = 1000

// DefaultPIISValidity is how long a consent granted without a date lasts.
const DefaultPIISValidity = 90 * 24 * time.Hour

// Account is the consent's account as a TPP names it: an IBAN, or a
// card's masked PAN.
func (p *PIISConsent) Account() string {
	if p.IBAN != "" {
		return p.IBAN
	}
	return p.MaskedPAN
}

// GrantPIISConsent grants a PIIS consent as the PSU would on the bank's
// page: customerID's account (an IBAN of a payment account, or a card's
// masked PAN; customerID "" is the account's holder) for the TPP of
// organisation tppOrgID, until validUntil (a date; zero: 90 days). The
// consent is received: the TPP has it authorised with PIIS:<id>.
func (s *Server) GrantPIISConsent(customerID, account, tppOrgID string, validUntil time.Time) (string, error) {
	if tppOrgID == "" {
		return "", errors.New("a PIIS consent is for a TPP: its organisation identifier is required")
	}
	var ca string
	s.store.locked(func() {
		// The CA of the organisation's app, when exactly one CA is known
		// for it: the consent is then that TPP's from the start.
		for _, a := range s.store.apps {
			if a.OrganizationID == tppOrgID && a.CA != "" {
				if ca != "" && ca != a.CA {
					ca = "-"
				} else {
					ca = a.CA
				}
			}
		}
	})
	if ca == "-" {
		ca = ""
	}
	p, err := s.newPIIS(customerID, account, tppOrgID, ca, validUntil)
	if err != nil {
		return "", err
	}
	if err := s.keepPIIS(p); err != nil {
		return "", err
	}
	return p.ID, nil
}

// GrantOwnPIISConsent grants the sandbox's own TPP (the organisation of
// its QWAC) a PIIS consent of account, as the account's holder would on
// the grant page, valid for DefaultPIISValidity: `sandbox serve
// --piis-consent` and flow's embedded sandbox get a consent without a
// browser.
func (s *Server) GrantOwnPIISConsent(account string) (string, error) {
	return s.GrantPIISConsent("", account, qcert.OrganizationIdentifier(s.Certs.QWAC.Cert), time.Time{})
}

// newPIIS builds a received consent for the account of customerID (or of
// its holder).
func (s *Server) newPIIS(customerID, account, org, ca string, validUntil time.Time) (*PIISConsent, error) {
	now := s.now()
	today := dateOf(now.In(s.zone))
	if validUntil.IsZero() {
		validUntil = dateOf(now.Add(DefaultPIISValidity).In(s.zone))
	}
	validUntil = dateOf(validUntil.In(s.zone))
	if validUntil.Before(today) {
		return nil, fmt.Errorf("validUntil %s is in the past", validUntil.Format(time.DateOnly))
	}
	psu, iban, masked, cur, err := s.piisAccount(customerID, account)
	if err != nil {
		return nil, err
	}
	return &PIISConsent{ID: "piis-" + randomID(18), OrganizationID: org, CA: ca, PSU: psu, IBAN: iban, MaskedPAN: masked, Currency: cur,
		ValidUntil: validUntil, Status: StatusReceived, Created: now, LastAction: now}, nil
}

// piisAccount finds account (an IBAN or a masked PAN) among customerID's
// accounts, or among all customers' when customerID is "".
func (s *Server) piisAccount(customerID, account string) (psu *PSU, ibanOf, masked, currency string, err error) {
	account = strings.TrimSpace(account)
	electronic := iban.Electronic(account)
	for _, p := range s.psus {
		if customerID != "" && p.ID != customerID {
			continue
		}
		for _, a := range p.Accounts {
			if a.IBAN == electronic && a.Status != "deleted" {
				return p, a.IBAN, "", a.Currency, nil
			}
		}
		for _, c := range p.Cards {
			if c.MaskedPAN == account {
				return p, "", c.MaskedPAN, c.Currency, nil
			}
		}
	}
	if customerID != "" && s.psu(customerID) == nil {
		return nil, "", "", "", fmt.Errorf("%q is not a test customer (%s)", customerID, customerIDs(s.psus))
	}
	if customerID != "" {
		return nil, "", "", "", fmt.Errorf("customer %s has no account %q (an IBAN of a payment account or a card's masked PAN)", customerID, account)
	}
	return nil, "", "", "", fmt.Errorf("no test customer has account %q (an IBAN of a payment account, e.g. of customer %s, or a card's masked PAN, e.g. of %s)", account, PaymentCustomerID, DocumentedPSU)
}

// keepPIIS stores a new consent and waits for the data file.
func (s *Server) keepPIIS(p *PIISConsent) error {
	if err := s.dataFailed(); err != nil {
		return errors.New(unavailable(err))
	}
	var saved pending
	full := false
	s.store.locked(func() {
		s.prunePIIS(p.Created)
		if len(s.store.piis) >= MaxPIISConsents {
			full = true
			return
		}
		s.store.piis[p.ID] = p
		saved.add(s.store.save(p))
	})
	if full {
		return fmt.Errorf("the sandbox keeps at most %d PIIS consents; revoke some first", MaxPIISConsents)
	}
	if err := saved.wait(); err != nil {
		return errors.New(saveFailed(err))
	}
	return nil
}

// prunePIIS forgets consents that ended more than consentRetention ago;
// call with the store's lock held.
func (s *Server) prunePIIS(now time.Time) {
	var gone []any
	for k, p := range s.store.piis {
		s.expirePIIS(p)
		end := p.LastAction
		if p.Status == StatusExpired {
			end = p.ValidUntil.Add(24 * time.Hour)
		}
		if p.Status != StatusReceived && p.Status != StatusValid && now.After(end.Add(consentRetention)) {
			delete(s.store.piis, k)
			gone = append(gone, deletion{bucketPIIS, k})
		}
	}
	if len(gone) > 0 {
		s.store.save(gone...)
	}
}

// expirePIIS ends a received or valid consent after its validUntil day;
// call with the store's lock held.
func (s *Server) expirePIIS(p *PIISConsent) {
	if (p.Status == StatusValid || p.Status == StatusReceived) && dateOf(s.now().In(s.zone)).After(p.ValidUntil) {
		p.Status = StatusExpired
		p.LastAction = time.Date(p.ValidUntil.Year(), p.ValidUntil.Month(), p.ValidUntil.Day()+1, 0, 0, 0, 0, s.zone)
	}
}

// piisOf reports that the consent is tpp's: its organisation, and its CA
// when bound. Call with the store's lock held.
func piisOf(p *PIISConsent, tpp *TPP) bool {
	return p.OrganizationID == tpp.OrganizationID && sameCA(p.CA, tpp.CA, false)
}

// sameCA reports that a consent bound to CA bound ("": to none yet, so
// any CA of its organisation) may be used by a party whose CA is ca. The
// two callers differ in the party's "": a TPP (piisOf) shows its CA in
// every QWAC, so its "" is no CA and matches only an unbound consent; an
// app (piisAwaits, unbound true) has no CA until its first token exchange
// binds it (oauth.go), so its "" matches any consent of the organisation,
// and the exchange then checks the TPP itself with piisOf.
func sameCA(bound, ca string, unbound bool) bool {
	return bound == "" || bound == ca || (unbound && ca == "")
}

// piisAwaits says why the consent cannot be authorised through app, ""
// when it can: it exists, is the app's TPP's, and is received (or valid:
// the PSU authorises it again).
func (s *Server) piisAwaits(id string, app *App) (why string) {
	s.store.locked(func() {
		p := s.store.piis[id]
		if p != nil {
			s.expirePIIS(p)
		}
		switch {
		case p == nil:
			why = fmt.Sprintf("PIIS consent %q does not exist", id)
		case p.OrganizationID != app.OrganizationID || !sameCA(p.CA, app.CA, true):
			why = fmt.Sprintf("PIIS consent %q belongs to another TPP", id)
		case p.Status != StatusReceived && p.Status != StatusValid:
			// It never becomes authorisable again: the next step is a new
			// consent, which only the PSU grants, on the bank's page.
			why = fmt.Sprintf("PIIS consent %q is %s; only a received (or valid) consent can be authorised: the PSU grants a new one on %s/psu/piis-consents and gives the TPP its id",
				id, p.Status, s.AuthURL)
		}
	})
	return why
}

// covers reports that the consent is for the account funds.go resolved.
func (p *PIISConsent) covers(acc fundsAccount) bool {
	if acc.maskedPAN != "" {
		return p.MaskedPAN == acc.maskedPAN
	}
	return p.IBAN != "" && p.IBAN == acc.id
}

// PIISConsentStatus is the consent's status ("" when unknown), for tests
// and the operator.
func (s *Server) PIISConsentStatus(id string) (status string) {
	s.store.locked(func() {
		if p := s.store.piis[id]; p != nil {
			s.expirePIIS(p)
			status = p.Status
		}
	})
	return status
}

// --- the data file ---------------------------------------------------------

type piisRecord struct {
	ID             string    `json:"id"`
	OrganizationID string    `json:"organizationId"`
	CA             string    `json:"ca,omitempty"`
	PSU            string    `json:"psu"`
	IBAN           string    `json:"iban,omitempty"`
	MaskedPAN      string    `json:"maskedPan,omitempty"`
	Currency       string    `json:"currency"`
	ValidUntil     time.Time `json:"validUntil"`
	Status         string    `json:"status"`
	Created        time.Time `json:"created"`
	LastAction     time.Time `json:"lastAction"`
}

var piisStatuses = []string{StatusReceived, StatusValid, StatusRejected, StatusExpired, StatusRevokedByPsu}

func encodePIIS(p *PIISConsent) []byte {
	return mustJSON(piisRecord{ID: p.ID, OrganizationID: p.OrganizationID, CA: p.CA, PSU: p.PSU.ID, IBAN: p.IBAN, MaskedPAN: p.MaskedPAN,
		Currency: p.Currency, ValidUntil: p.ValidUntil, Status: p.Status, Created: p.Created, LastAction: p.LastAction})
}

// decodePIIS reads a record; its customer must still hold its account.
func (s *Server) decodePIIS(key string, b []byte) (*PIISConsent, error) {
	var r piisRecord
	if err := decodeStrict(b, &r); err != nil {
		return nil, err
	}
	if err := sameKey(key, r.ID); err != nil {
		return nil, err
	}
	switch {
	case !slices.Contains(piisStatuses, r.Status):
		return nil, fmt.Errorf("unknown PIIS consent status %q", r.Status)
	case r.OrganizationID == "":
		return nil, errors.New("a PIIS consent without its TPP's organisation")
	case !validCA(r.CA):
		return nil, fmt.Errorf("ca %q is not a CA's id", r.CA)
	case (r.IBAN == "") == (r.MaskedPAN == ""):
		return nil, errors.New("a PIIS consent names one account: an iban or a maskedPan")
	}
	psu, ibanOf, masked, cur, err := s.piisAccount(r.PSU, r.IBAN+r.MaskedPAN)
	if err != nil {
		return nil, err
	}
	return &PIISConsent{ID: r.ID, OrganizationID: r.OrganizationID, CA: r.CA, PSU: psu, IBAN: ibanOf, MaskedPAN: masked, Currency: cur,
		ValidUntil: r.ValidUntil, Status: r.Status, Created: r.Created, LastAction: r.LastAction}, nil
}

// fundsConsent is the PIIS consent a funds confirmation is bound to: the
// one of the access token's PIIS:<consentId> scope, or the one a
// Consent-ID names (the file comments that header out for the "extended
// services"; the sandbox reads it rather than ignore what the TPP relies
// on). Nil with the client-credentials token and no Consent-ID, unless
// Options.RequirePIISConsent refuses that.
func (s *Server) fundsConsent(c *call, t *token) (*PIISConsent, *apiError) {
	cid := c.r.Header.Get("Consent-ID")
	id := cid
	if t.kind == "user" {
		kind, tid, _ := strings.Cut(t.scope, ":")
		if kind != "PIIS" {
			return nil, reject(http.StatusUnauthorized, CodeTokenInvalid, fmt.Sprintf("the access token is for %s, not for a PIIS consent: confirmation of funds takes the token of a PIIS:<consentId> authorisation, or the client-credentials token", text.Clip(t.scope, 80)))
		}
		if cid != "" && cid != tid {
			return nil, reject(http.StatusBadRequest, CodeConsentUnknown, fmt.Sprintf("Consent-ID %q is not the PIIS consent %s the access token was issued for", text.Clip(cid, 60), tid)).withPath("Consent-ID")
		}
		id = tid
	}
	if id == "" {
		if s.opts.RequirePIISConsent {
			return nil, reject(http.StatusUnauthorized, CodeConsentInvalid, "this ASPSP confirms funds only under a PIIS consent the PSU granted: send the access token of its PIIS:<consentId> authorisation (the PSU grants one on "+trimBase(s.AuthURL)+"/psu/piis-consents)")
		}
		return nil, nil
	}
	s.store.mu.Lock()
	defer s.store.mu.Unlock()
	p := s.store.piis[id]
	if p == nil || !piisOf(p, c.tpp) {
		// Unknown and another TPP's get the same answer: it tells nothing
		// of other TPPs.
		return nil, reject(http.StatusBadRequest, CodeConsentUnknown, fmt.Sprintf("%q is not a PIIS consent of this TPP", text.Clip(id, 60))).withPath("Consent-ID")
	}
	s.expirePIIS(p)
	switch p.Status {
	case StatusValid:
		return p, nil
	case StatusExpired:
		return nil, reject(http.StatusUnauthorized, CodeConsentExpired, fmt.Sprintf("PIIS consent %s expired after %s; ask the PSU for a new one", p.ID, p.ValidUntil.Format(time.DateOnly)))
	case StatusReceived:
		return nil, reject(http.StatusUnauthorized, CodeConsentInvalid, fmt.Sprintf("PIIS consent %s is received, not valid: have the PSU authorise it (scope PIIS:%s)", p.ID, p.ID))
	default:
		return nil, reject(http.StatusUnauthorized, CodeConsentInvalid, fmt.Sprintf("PIIS consent %s is %s, not valid", p.ID, p.Status))
	}
}
