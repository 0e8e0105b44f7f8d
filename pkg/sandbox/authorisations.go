package sandbox

// The consent authorisation sub-resources (/v1/consents/{consentId}/
// authorisations...) for the bank's one SCA approach, the OAuth2 integrated
// approach ("subsumed by REDIRECT", the file's ASPSP-SCA-Approach header):
// the PSU authenticates and decides on the bank's own pages, reached
// through the OAuth2 authorization endpoint the scaOAuth link's metadata
// names. An authorisation resource is how the TPP follows that: its
// scaStatus moves with the PSU's sign-in (web.go).
//
// Sources:
//   - implicit start: the file's consentResponseExample2_OAuth2 ("Response
//     in case of the OAuth2 approach with an implicit generated authorisation
//     resource") links scaStatus to /consents/{id}/authorisations/{authId}
//     next to scaOAuth; so does consent creation here.
//   - explicit start (startConsentAuthorisation) on a consent that no longer
//     awaits authorisation: 409 STATUS_INVALID, "The addressed resource does
//     not allow additional authorisation" (Guidelines' code list, as in
//     adorsys xs2a, xs2a-core MessageErrorCode.STATUS_INVALID).
//   - an unknown authorisationId in the path: 403 RESOURCE_UNKNOWN, the
//     Guidelines' status for a resource other than an account addressed by
//     the path (adorsys xs2a MessageErrorCode.RESOURCE_UNKNOWN_403: "other
//     resource in path"; 404 is for an account-id, 400 for the payload).
//   - update PSU data: the file's updateConsentsPsuData text allows, in the
//     Redirect approach, only the selection of an SCA method (this bank
//     offers none: the PSU meets one sign-in on its pages), and the PSU
//     identification where no OAuth2 token identifies the PSU; the body of
//     an identification update is {} (the file's example "Update PSU
//     identification"). PSU authentication data (psuData), an SCA method,
//     authentication data (scaAuthenticationData) and a confirmation code
//     belong to the embedded approach or to a redirect with a confirmation
//     link this bank never gives: 400 SERVICE_INVALID ("The addressed
//     service is not valid for the addressed resources or the submitted
//     data", adorsys SERVICE_INVALID_400 "because of payload"). adorsys
//     xs2a's RedirectAisAuthorizationService has no update of PSU data at
//     all (updateConsentPsuData returns null).
//   - an unknown PSU-ID: 401 PSU_CREDENTIALS_INVALID (the file's 401 AIS
//     codes; Guidelines: "The PSU-ID cannot be matched by the addressed
//     ASPSP").

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/xs2a-dev/xs2a/pkg/text"
)

// SCA statuses of an authorisation (the file's scaStatus values this bank
// uses).
const (
	// ScaReceived: the authorisation exists; the PSU has not opened the
	// bank's page yet.
	ScaReceived = "received"
	// ScaPSUIdentified: the TPP named the PSU (PSU-ID); only that PSU may
	// sign in for it.
	ScaPSUIdentified = "psuIdentified"
	// ScaStarted: the PSU opened the bank's authorization page, which
	// starts the SCA routine (the sign-in with a one-time code).
	ScaStarted = "started"
	// ScaPSUAuthenticated: the PSU signed in (customer number and
	// one-time code: "identified and authenticated") and is deciding.
	ScaPSUAuthenticated = "psuAuthenticated"
	// ScaFinalised: the PSU approved; the consent became valid.
	ScaFinalised = "finalised"
	// ScaFailed: the PSU refused (the consent is rejected), or the
	// consent left received another way (deleted, expired, authorised
	// through another authorisation) before this one finished.
	ScaFailed = "failed"
)

// MaxAuthorisationsPerConsent bounds the authorisation resources one
// consent keeps (in memory and in the data file): past it the oldest is
// forgotten, and a GET of its id is RESOURCE_UNKNOWN.
const MaxAuthorisationsPerConsent = 16

// authorisation is one authorisation sub-resource of a consent.
type authorisation struct {
	ID      string
	Status  string // as stored; scaStatusOf gives the status answered
	PSU     string // the PSU-ID the TPP identified, if any
	Created time.Time
}

// scaEvent is what moves an authorisation.
type scaEvent string

const (
	scaIdentify scaEvent = "identify" // the TPP sends PSU-ID (PUT, or POST with PSU-ID)
	scaOpen     scaEvent = "open"     // the PSU opens the authorization page
	scaSignIn   scaEvent = "signIn"   // the PSU signs in on it
	scaApprove  scaEvent = "approve"  // the PSU approves the consent
	scaDeny     scaEvent = "deny"     // the PSU refuses it
)

// scaFinal reports a final status: the file calls finalised, failed and
// exempted final.
func scaFinal(st string) bool {
	return st == ScaFinalised || st == ScaFailed || st == "exempted"
}

// nextSCA is the status after ev, or false when ev is not allowed from
// from. A PSU may open the page again (a new sign-in restarts the SCA
// routine); nothing moves a final status.
func nextSCA(from string, ev scaEvent) (string, bool) {
	if scaFinal(from) {
		return from, false
	}
	switch ev {
	case scaIdentify:
		if from == ScaReceived {
			return ScaPSUIdentified, true
		}
	case scaOpen:
		return ScaStarted, true
	case scaSignIn:
		if from == ScaStarted || from == ScaPSUAuthenticated {
			return ScaPSUAuthenticated, true
		}
	case scaApprove:
		return ScaFinalised, true
	case scaDeny:
		return ScaFailed, true
	}
	return from, false
}

// authorisable is what has authorisation sub-resources: a consent or a
// payment. The SCA routine is the same for both (the PSU's pages move it);
// only what "still awaits authorisation" means differs.
type authorisable interface {
	// authList is the resource's authorisations, oldest first.
	authList() *[]*authorisation
	// awaitsSCA reports the resource still in the status the PSU's
	// authorisation moves on from (received; RCVD for a payment).
	awaitsSCA() bool
}

func (c *Consent) authList() *[]*authorisation { return &c.Authorisations }
func (c *Consent) awaitsSCA() bool             { return c.Status == StatusReceived }

// scaStatusOf is the status answered for a: an authorisation that never
// finished while its resource left the status awaiting it can no longer
// finish, and is failed. Call with the store's lock held.
func scaStatusOf(x authorisable, a *authorisation) string {
	if !scaFinal(a.Status) && !x.awaitsSCA() {
		return ScaFailed
	}
	return a.Status
}

// addAuthorisation starts an authorisation of c; call with the lock held.
func (c *Consent) addAuthorisation(now time.Time, psuID string) *authorisation {
	return addAuth(c, now, psuID)
}

// addAuth starts an authorisation of x, keeping the newest
// MaxAuthorisationsPerConsent; call with the lock held.
func addAuth(x authorisable, now time.Time, psuID string) *authorisation {
	a := &authorisation{ID: "auth-" + randomID(12), Status: ScaReceived, PSU: psuID, Created: now}
	if psuID != "" {
		a.Status = ScaPSUIdentified
	}
	l := x.authList()
	*l = append(*l, a)
	if n := len(*l); n > MaxAuthorisationsPerConsent {
		*l = append([]*authorisation(nil), (*l)[n-MaxAuthorisationsPerConsent:]...)
	}
	return a
}

// findAuthorisation is c's authorisation id, or nil; call with the lock held.
func (c *Consent) findAuthorisation(id string) *authorisation { return findAuth(c, id) }

func findAuth(x authorisable, id string) *authorisation {
	for _, a := range *x.authList() {
		if a.ID == id {
			return a
		}
	}
	return nil
}

// latestOpen is x's newest authorisation that has not finished, or nil;
// call with the lock held.
func latestOpen(x authorisable) *authorisation {
	l := *x.authList()
	for i := len(l) - 1; i >= 0; i-- {
		if a := l[i]; !scaFinal(a.Status) {
			return a
		}
	}
	return nil
}

// actingAuthorisation is the authorisation a PSU's sign-in acts on: the
// one chosen when the PSU opened the page, else the resource's latest open
// one, else a new one (a consent from a data file written before
// authorisations were kept has none); created says it is new. Call with
// the lock held.
func (s *Server) actingAuthorisation(x authorisable, sess *authSession) (a *authorisation, created bool) {
	if a := findAuth(x, sess.authID); a != nil && !scaFinal(a.Status) {
		return a, false
	}
	if a = latestOpen(x); a == nil {
		a, created = addAuth(x, s.now(), ""), true
	}
	sess.authID = a.ID
	return a, created
}

// scaStep moves the authorisation sess acts on by ev; it reports whether
// anything changed (the resource is then to be saved). Call with the lock
// held.
func (s *Server) scaStep(x authorisable, sess *authSession, ev scaEvent) bool {
	a, created := s.actingAuthorisation(x, sess)
	next, ok := nextSCA(a.Status, ev)
	if ok && next != a.Status {
		a.Status = next
		return true
	}
	return created
}

// identifiedPSU is the customer the TPP identified for the authorisation
// the PSU opens, or nil; call with the lock held.
func identifiedPSU(x authorisable, sess *authSession, psu func(string) *PSU) *PSU {
	if a := findAuth(x, sess.authID); a != nil && a.PSU != "" {
		return psu(a.PSU)
	}
	return nil
}

// --- the API --------------------------------------------------------------

func authorisationPath(consentID, authID string) string {
	return "/v1/consents/" + consentID + "/authorisations/" + authID
}

type startedAuthorisation struct {
	ScaStatus       string          `json:"scaStatus"`
	AuthorisationID string          `json:"authorisationId"`
	Links           map[string]link `json:"_links"`
}

type scaStatusAnswer struct {
	ScaStatus string          `json:"scaStatus"`
	Links     map[string]link `json:"_links,omitempty"`
}

// checkAuthorisationBody admits what the OAuth2 approach takes in the body
// of POST .../authorisations and PUT .../authorisations/{id}: nothing, or
// an empty JSON object. The file's other bodies are named and refused.
func checkAuthorisationBody(c *call) *apiError {
	b := bytes.TrimSpace(c.body)
	if len(b) == 0 {
		return nil
	}
	if ct := c.r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/json") {
		return reject(http.StatusUnsupportedMediaType, CodeFormatError, fmt.Sprintf("Content-Type %q: the body is application/json", ct))
	}
	if path, ok := duplicateKey(b); ok {
		return formatErr(path, "%s appears twice in the JSON object; parsers disagree on which one counts, so the bank refuses it", path)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil || m == nil {
		return formatErr("", "the body is not a JSON object; send {} or no body")
	}
	const why = "this ASPSP authenticates the PSU in its OAuth2 pages (SCA approach REDIRECT, OAuth2 integrated): send the PSU to the authorization endpoint of the scaOAuth link's metadata"
	for _, f := range []struct{ name, what string }{
		{"psuData", "psuData (PSU authentication data) belongs to the embedded approach"},
		{"authenticationMethodId", "authenticationMethodId: there is no SCA method to select, the PSU signs in on the bank's page"},
		{"scaAuthenticationData", "scaAuthenticationData belongs to the embedded approach"},
		{"confirmationCode", "confirmationCode: this ASPSP gives no confirmation link, the exchange of the OAuth2 code at the token endpoint completes the authorisation"},
	} {
		if _, ok := m[f.name]; ok {
			return reject(http.StatusBadRequest, CodeServiceInvalid, fmt.Sprintf("%s; %s", f.what, why)).withPath(f.name)
		}
	}
	for k := range m {
		return formatErr(k, "unknown field %q; the body is {} (or none)", text.Clip(k, 40))
	}
	return nil
}

// identifiedCustomer reads PSU-ID: "" when absent, an error when it names
// no customer of this bank.
func (s *Server) identifiedCustomer(h http.Header) (string, *apiError) {
	id := strings.TrimSpace(h.Get("PSU-ID"))
	if id == "" {
		return "", nil
	}
	if s.psu(id) == nil {
		return "", reject(http.StatusUnauthorized, CodePSUCredentialsInvalid, fmt.Sprintf("PSU-ID %q is not a customer of this ASPSP", text.Clip(id, 40))).withPath("PSU-ID")
	}
	return id, nil
}

// CodePSUCredentialsInvalid: the PSU-ID cannot be matched by the ASPSP.
const CodePSUCredentialsInvalid = "PSU_CREDENTIALS_INVALID"

// authHolder is a resource with authorisation sub-resources as a route
// finds it (a consent, a payment): one set of handlers serves them all.
type authHolder struct {
	x authorisable
	// record is what the data file keeps of x when it changes (x itself
	// when nil; a cancellation is kept in its payment's record).
	record any
	// what names the resource in answers, e.g. `consent "c-1"`.
	what string
	// base is the path of its authorisations collection.
	base string
	// refresh brings the resource's status up to date before it is read
	// (a consent past validUntil expires); nil when nothing does. Called
	// with the store's lock held.
	refresh func()
	// status is the resource's status, for the 409 of a start on a
	// resource that no longer awaits authorisation; awaiting says which
	// status does. Called with the lock held.
	status   func() string
	awaiting string
}

// authLookup finds the path's resource of the calling TPP.
type authLookup func(c *call) (*authHolder, *apiError)

// consentHolder is the path's consent as an authHolder.
func (s *Server) consentHolder(c *call) (*authHolder, *apiError) {
	con, e := s.managedConsent(c)
	if e != nil {
		return nil, e
	}
	return &authHolder{x: con, what: fmt.Sprintf("consent %q", con.ID), base: "/v1/consents/" + con.ID + "/authorisations",
		refresh: func() { s.expire(con) }, status: func() string { return con.Status },
		awaiting: "only a consent in status received is authorised"}, nil
}

// authLinks: where the PSU goes (scaOAuth, the OAuth2 server metadata, as
// resource creation gives it) and where the TPP follows the status.
func (s *Server) authLinks(h *authHolder, authID string) map[string]link {
	return map[string]link{
		"scaOAuth":  {Href: trimBase(s.URL) + "/.well-known/oauth-authorization-server"},
		"scaStatus": {Href: h.base + "/" + authID},
	}
}

// startAuth is startConsentAuthorisation and startPaymentAuthorisation.
func (s *Server) startAuth(find authLookup) apiHandler {
	return func(c *call) *apiError {
		h, e := find(c)
		if e != nil {
			return e
		}
		if e := checkAuthorisationBody(c); e != nil {
			return e
		}
		psuID, e := s.identifiedCustomer(c.r.Header)
		if e != nil {
			return e
		}
		var a *authorisation
		var ended string
		s.store.locked(func() {
			if h.refresh != nil {
				h.refresh()
			}
			if !h.x.awaitsSCA() {
				ended = h.status()
				return
			}
			a = addAuth(h.x, s.now(), psuID)
			rec := h.record
			if rec == nil {
				rec = h.x
			}
			c.saved.add(s.store.save(rec))
		})
		if ended != "" {
			return reject(http.StatusConflict, CodeStatusInvalid,
				fmt.Sprintf("%s is %s and does not allow additional authorisation; %s", h.what, ended, h.awaiting))
		}
		hd := c.w.Header()
		// The file's 201 names X-Request-ID and ASPSP-SCA-Approach; Location is
		// what a 201 carries (RFC 9110, 15.3.2), as on resource creation.
		hd.Set("Location", h.base+"/"+a.ID)
		hd.Set("ASPSP-SCA-Approach", "REDIRECT")
		return c.reply(http.StatusCreated, startedAuthorisation{ScaStatus: a.Status, AuthorisationID: a.ID, Links: s.authLinks(h, a.ID)})
	}
}

// listAuth is getConsentAuthorisation and
// getPaymentInitiationAuthorisation.
func (s *Server) listAuth(find authLookup) apiHandler {
	return func(c *call) *apiError {
		h, e := find(c)
		if e != nil {
			return e
		}
		ids := []string{}
		s.store.locked(func() {
			for _, a := range *h.x.authList() {
				ids = append(ids, a.ID)
			}
		})
		return c.reply(http.StatusOK, map[string][]string{"authorisationIds": ids})
	}
}

// ownAuthorisation finds the path's authorisation of h.
func (s *Server) ownAuthorisation(c *call, h *authHolder) (*authorisation, *apiError) {
	id := c.r.PathValue("authorisationId")
	var a *authorisation
	s.store.locked(func() { a = findAuth(h.x, id) })
	if a == nil {
		return nil, reject(http.StatusForbidden, CodeResourceUnknown, fmt.Sprintf("%s has no authorisation %q", h.what, text.Clip(id, 60))).withPath("authorisationId")
	}
	return a, nil
}

// authStatus is getConsentScaStatus and getPaymentInitiationScaStatus.
func (s *Server) authStatus(find authLookup) apiHandler {
	return func(c *call) *apiError {
		h, e := find(c)
		if e != nil {
			return e
		}
		a, e := s.ownAuthorisation(c, h)
		if e != nil {
			return e
		}
		var st string
		s.store.locked(func() { st = scaStatusOf(h.x, a) })
		return c.reply(http.StatusOK, scaStatusAnswer{ScaStatus: st})
	}
}

// updatePSUData is updateConsentsPsuData: in this approach, the PSU
// identification only.
func (s *Server) updatePSUData(c *call) *apiError {
	h, e := s.consentHolder(c)
	if e != nil {
		return e
	}
	con := h.x.(*Consent)
	a, e := s.ownAuthorisation(c, h)
	if e != nil {
		return e
	}
	if e := checkAuthorisationBody(c); e != nil {
		return e
	}
	psuID, e := s.identifiedCustomer(c.r.Header)
	if e != nil {
		return e
	}
	if psuID == "" {
		return formatErr("PSU-ID", "PSU-ID is missing: the one update of PSU data this ASPSP takes is the PSU identification (PSU-ID, body {}); "+
			"it authenticates the PSU in its OAuth2 pages")
	}
	var was string
	s.store.locked(func() {
		s.expire(con)
		st := scaStatusOf(con, a)
		next, ok := nextSCA(st, scaIdentify)
		if !ok {
			was = st
			return
		}
		a.Status, a.PSU = next, psuID
		c.saved.add(s.store.save(con))
	})
	if was != "" {
		return reject(http.StatusConflict, CodeStatusInvalid,
			fmt.Sprintf("authorisation %q is %s; the PSU is identified only on an authorisation in status received", a.ID, was))
	}
	c.w.Header().Set("ASPSP-SCA-Approach", "REDIRECT")
	return c.reply(http.StatusOK, scaStatusAnswer{ScaStatus: ScaPSUIdentified, Links: s.authLinks(h, a.ID)})
}

// autoPSU is the customer AutoApprove signs in: the one the TPP identified
// (PSU-ID) for the authorisation the sign-in acts on, else 1345611.
func (s *Server) autoPSU(sess *authSession) *PSU {
	var p *PSU
	s.store.locked(func() {
		if c := s.store.consents[sess.consentID]; c != nil && c.Status == StatusReceived {
			s.actingAuthorisation(c, sess)
			p = identifiedPSU(c, sess, s.psu)
		}
	})
	if p == nil {
		p = s.psu(s.opts.AutoApprovePSU)
	}
	return p
}
