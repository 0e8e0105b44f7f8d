package sandbox

import (
	"crypto/rand"
	"embed"
	"fmt"
	"html/template"
	"math/big"
	"net/http"
	"net/url"
	"strings"
	"time"
)

//go:embed pages/*.html
var pageFS embed.FS

var pages = template.Must(template.ParseFS(pageFS, "pages/*.html"))

type pageData struct {
	Bank, Title, Error, Session, OTP, PSUHint string
	TPP, ConsentID, ValidUntil                string
	Frequency                                 int
	Recurring                                 bool
	Wants                                     []string
	Cards                                     []*CardAccount
	Accounts                                  []*PaymentAccount
	Pick                                      bool
	PSUs                                      []*PSU
	Message                                   string
	// The sign-in page (login.html): what the PSU signs in for and the
	// test customer who can (loginPage).
	Heading, SuggestPSU, SuggestNote string
	// A payment's page (payweb.go).
	PaymentID, Service, Product, DebtorIBAN, Total, Currency string
	Payments                                                 []paymentLine
	Cancel                                                   bool // the PSU authorises the payment's cancellation
	// The PIIS consent's pages (piisweb.go).
	PIIS *piisPage
}

func (s *Server) page(w http.ResponseWriter, status int, name string, d pageData) {
	d.Bank = s.opts.Bank
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Frame-Options", "DENY")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	w.WriteHeader(status)
	_ = pages.ExecuteTemplate(w, name, d)
}

// refusedPage answers 503 while the data file cannot be written: a consent
// the PSU grants would be lost on restart.
func (s *Server) refusedPage(w http.ResponseWriter) bool {
	err := s.dataFailed()
	if err != nil {
		s.page(w, http.StatusServiceUnavailable, "error.html", pageData{Title: "The bank is unavailable", Message: unavailable(err)})
	}
	return err != nil
}

func (s *Server) errorPage(w http.ResponseWriter, msg string) {
	s.page(w, http.StatusBadRequest, "error.html", pageData{Title: "Authorization request refused", Message: msg})
}

// redirectError sends the PSU's browser back to the TPP with an OAuth error.
func redirectError(w http.ResponseWriter, r *http.Request, redirect, state, iss, code, desc string) {
	u, _ := url.Parse(redirect)
	q := u.Query()
	q.Set("error", code)
	q.Set("iss", iss) // RFC 9207, announced in the metadata
	if desc != "" {
		q.Set("error_description", desc)
	}
	if state != "" {
		q.Set("state", state)
	}
	u.RawQuery = q.Encode()
	http.Redirect(w, r, u.String(), http.StatusFound)
}

// handleAuthorize is the OAuth2 authorization endpoint. Errors about the
// client or redirect_uri get a page, never a redirect (RFC 6749 4.1.2.1):
// redirecting to an unchecked URI would make the bank an open redirector.
func (s *Server) handleAuthorize(w http.ResponseWriter, r *http.Request) {
	if s.refusedPage(w) {
		return
	}
	q := r.URL.Query()
	app, redirect, problem := s.authorizeClient(q)
	if problem != "" {
		s.errorPage(w, problem)
		return
	}
	state := q.Get("state")
	challenge, ref, e := s.authorizeRequest(q, app)
	if e != nil {
		redirectError(w, r, redirect, state, trimBase(s.URL), e.code, e.desc)
		return
	}
	sess := &authSession{id: randomID(24), clientID: app.ClientID, redirectURI: redirect, state: state, challenge: challenge,
		otp: otp(), expires: s.now().Add(SessionTTL)}
	// The session names what is authorised; AutoApprove has its PSU
	// approve at once, else the PSU signs in.
	var auto func(http.ResponseWriter, *http.Request, *authSession)
	switch ref.kind {
	case "PIIS":
		sess.piisID, auto = ref.id, s.autoApprovePIIS
	case "PIS":
		sess.paymentID, auto = ref.id, s.autoApprovePayment
	default:
		sess.consentID, auto = ref.id, s.autoApproveConsent
	}
	if s.opts.AutoApprove {
		auto(w, r, sess)
		return
	}
	s.signIn(w, sess, app)
}

// authorizeClient checks client_id and redirect_uri, the parameters an
// error about which is a page (problem), not a redirect.
func (s *Server) authorizeClient(q url.Values) (app *App, redirect, problem string) {
	app = s.store.app(q.Get("client_id"))
	if q.Get("client_id") == "" {
		return nil, "", "client_id is missing."
	}
	if app == nil {
		return nil, "", fmt.Sprintf("Unknown client_id %q.", q.Get("client_id"))
	}
	redirect = q.Get("redirect_uri")
	if redirect == "" {
		return nil, "", "redirect_uri is missing."
	}
	if why, ok := redirectAllowed(app, redirect); !ok {
		return nil, "", fmt.Sprintf("redirect_uri %q is refused: %s.", redirect, why)
	}
	return app, redirect, ""
}

// authorizeError is an error the authorization endpoint sends to the
// checked redirect_uri (RFC 6749 4.1.2.1).
type authorizeError struct{ code, desc string }

// authorizeRequest checks the rest of an authorization request of app:
// the response type and mode, state, the PKCE challenge and the consent
// the scope names, which must await this TPP's authorisation.
func (s *Server) authorizeRequest(q url.Values, app *App) (challenge string, ref scopeRef, e *authorizeError) {
	if rt := q.Get("response_type"); rt != "code" {
		return "", scopeRef{}, &authorizeError{"unsupported_response_type", fmt.Sprintf("response_type %q is not supported; use code", rt)}
	}
	if rm := q.Get("response_mode"); rm != "" && rm != "query" {
		return "", scopeRef{}, &authorizeError{"invalid_request", fmt.Sprintf("response_mode %q is not supported; use query", rm)}
	}
	if q.Get("state") == "" {
		return "", scopeRef{}, &authorizeError{"invalid_request", "state is required (RFC 9700: protect the redirect against CSRF)"}
	}
	challenge, method := q.Get("code_challenge"), q.Get("code_challenge_method")
	switch {
	case challenge == "":
		return "", scopeRef{}, &authorizeError{"invalid_request", "code_challenge is required: PKCE with S256"}
	case method != "S256":
		return "", scopeRef{}, &authorizeError{"invalid_request", fmt.Sprintf("code_challenge_method %q is not supported; only S256 (plain is refused)", method)}
	case len(challenge) != 43 || strings.ContainsAny(challenge, "+/="):
		return "", scopeRef{}, &authorizeError{"invalid_request", "code_challenge is not BASE64URL(SHA256(verifier)) without padding (43 characters)"}
	}
	ref, ok := parseScope(q.Get("scope"))
	if !ok {
		return "", scopeRef{}, &authorizeError{"invalid_scope", fmt.Sprintf("scope %q is not AIS:<consentId>, PIS:<paymentId> or PIIS:<consentId>", q.Get("scope"))}
	}
	why := ""
	switch ref.kind {
	case "PIIS":
		why = s.piisAwaits(ref.id, app)
	case "PIS":
		why = s.paymentAwaits(ref.id, app)
	default:
		why = s.awaitsAuthorisation(ref.id, app)
	}
	if why != "" {
		return "", scopeRef{}, &authorizeError{"invalid_scope", why}
	}
	return challenge, ref, nil
}

// awaitsAuthorisation says why the consent cannot be authorised through
// app, "" when it can.
func (s *Server) awaitsAuthorisation(consentID string, app *App) (why string) {
	s.store.locked(func() {
		c := s.store.consents[consentID]
		if c != nil {
			s.expire(c) // a consent past its validUntil can no longer be authorised
		}
		switch {
		case c == nil:
			why = fmt.Sprintf("consent %q does not exist", consentID)
		case c.OrganizationID != app.OrganizationID || !sameTPP(s.store.apps[c.ClientID], app):
			why = fmt.Sprintf("consent %q belongs to another TPP", consentID)
		case c.Status != StatusReceived:
			why = fmt.Sprintf("consent %q is %s; only a consent in status received awaits authorisation", consentID, c.Status)
		}
	})
	return why
}

// signIn keeps the session and shows the PSU the sign-in page.
func (s *Server) signIn(w http.ResponseWriter, sess *authSession, app *App) {
	var saved pending
	s.store.locked(func() {
		// Expired sign-ins go too: nothing else may prune while only
		// authorization requests arrive.
		s.store.prune(s.now())
		s.store.addSession(sess)
		// The page starts the SCA routine of the consent's open authorisation.
		if c := s.store.consents[sess.consentID]; c != nil && c.Status == StatusReceived && s.scaStep(c, sess, scaOpen) {
			saved.add(s.store.save(c))
		}
		// ... or of the payment's, or of its cancellation's (paycancel.go).
		if x := s.store.payments.byID[sess.paymentID].scaTarget(); x != nil && s.scaStep(x, sess, scaOpen) {
			saved.add(s.store.save(s.store.payments.byID[sess.paymentID]))
		}
	})
	if err := saved.wait(); err != nil {
		s.errorPage(w, saveFailed(err))
		return
	}
	s.page(w, http.StatusOK, "login.html", s.loginPage(sess, ""))
}

// loginPage is the sign-in page of sess, with the refusal problem: it says
// what the PSU signs in for (access to accounts, a payment or its
// cancellation, a PIIS consent) and suggests the test customer who can
// approve it: the debtor account's holder for a payment, the customer who
// granted a PIIS consent, else the documented customer.
func (s *Server) loginPage(sess *authSession, problem string) pageData {
	d := pageData{Title: "Sign in", Session: sess.id, OTP: sess.otp, PSUs: s.psus, Error: problem,
		Heading: "Sign in to give access to your accounts", SuggestPSU: DocumentedPSU, SuggestNote: "has two Mastercard accounts"}
	s.store.locked(func() {
		switch {
		case sess.paymentID != "":
			d.Heading = "Sign in to authorise a payment"
			p := s.store.payments.byID[sess.paymentID]
			if p == nil {
				return
			}
			if _, ok := p.scaTarget().(cancellation); ok {
				d.Heading = "Sign in to authorise the cancellation of a payment"
			}
			if p.Owner != nil {
				d.SuggestPSU, d.SuggestNote = p.Owner.ID, "holds account "+p.Debtor.IBAN+", from which the payment is taken"
			}
		case sess.piisID != "":
			d.Heading = "Sign in to approve a funds confirmation consent"
			if p := s.store.piis[sess.piisID]; p != nil && p.PSU != nil {
				d.SuggestPSU, d.SuggestNote = p.PSU.ID, "granted this consent, for "+p.Account()
			}
		case sess.grant:
			d.Heading = "Sign in to manage your funds confirmation consents"
		}
	})
	return d
}

// sameTPP reports that app b, authorising a consent created through app a
// of the same organisation, is of a's TPP: bound to the same CA, or not
// bound yet (the code exchange binds it and checks the consent's owner).
// Call with the store's lock held.
func sameTPP(a, b *App) bool {
	return a != nil && b != nil && a.CA != "" && (b.CA == "" || a.CA == b.CA)
}

func otp() string {
	n, err := rand.Int(rand.Reader, big.NewInt(1000000))
	if err != nil {
		panic(err)
	}
	return fmt.Sprintf("%06d", n.Int64())
}

// session is the sign-in a posted page form belongs to (its "session"
// field), the form read at most 16 KiB; nil when there is none, the error
// page written.
func (s *Server) session(w http.ResponseWriter, r *http.Request) *authSession {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		s.errorPage(w, "The form could not be read.")
		return nil
	}
	var sess *authSession
	s.store.locked(func() { sess = s.store.sessions[r.PostForm.Get("session")] })
	if sess == nil || s.now().After(sess.expires) {
		s.errorPage(w, "This sign-in has expired or is unknown. Start again from the application.")
		return nil
	}
	return sess
}

func (s *Server) handleLogin(w http.ResponseWriter, r *http.Request) {
	sess := s.session(w, r)
	if sess == nil {
		return
	}
	psu := s.psu(strings.TrimSpace(r.PostForm.Get("psu_id")))
	if psu == nil || r.PostForm.Get("otp") != sess.otp {
		s.page(w, http.StatusOK, "login.html", s.loginPage(sess, "Unknown customer number or wrong one-time code."))
		return
	}
	if sess.paymentID != "" {
		s.paymentLogin(w, sess, psu)
		return
	}
	if sess.piisID != "" || sess.grant {
		s.piisLogin(w, sess, psu)
		return
	}
	var d pageData
	var gone string
	var other bool
	var saved pending
	s.store.locked(func() {
		// The consent may have been deleted, pruned or ended since the
		// sign-in page was shown.
		c := s.store.consents[sess.consentID]
		app := s.store.apps[sess.clientID]
		if c != nil {
			s.expire(c)
		}
		switch {
		case c == nil || app == nil:
			gone = "The consent this sign-in is for no longer exists. Start again from the application."
			return
		case c.Status != StatusReceived:
			gone = fmt.Sprintf("The consent this sign-in is for is %s and no longer awaits your approval. Start again from the application.", c.Status)
			return
		}
		if want := identifiedPSU(c, sess, s.psu); want != nil && want != psu {
			other = true // the TPP identified another PSU (PSU-ID) for this authorisation
			return
		}
		sess.psu = psu
		if s.scaStep(c, sess, scaSignIn) {
			saved.add(s.store.save(c))
		}
		d = pageData{Title: "Give access", Session: sess.id, TPP: app.Name, ConsentID: c.ID, ValidUntil: c.ValidUntil.Format(time.DateOnly),
			Frequency: c.FrequencyPerDay, Recurring: c.Recurring, Wants: describeAccess(c.Access), Cards: psu.Cards, Accounts: psu.Accounts, Pick: picks(c.Access)}
		if d.TPP == "" || d.TPP == "default" {
			d.TPP = app.OrganizationID
		}
	})
	if other {
		s.page(w, http.StatusOK, "login.html", s.loginPage(sess, "The application asked for another customer's approval; sign in with that customer number."))
		return
	}
	if gone != "" {
		s.errorPage(w, gone)
		return
	}
	if err := saved.wait(); err != nil {
		s.errorPage(w, saveFailed(err))
		return
	}
	s.page(w, http.StatusOK, "consent.html", d)
}

func (s *Server) handleDecision(w http.ResponseWriter, r *http.Request) {
	if s.refusedPage(w) {
		return
	}
	sess := s.session(w, r)
	if sess == nil {
		return
	}
	var psu *PSU
	s.store.locked(func() {
		// Set by the sign-in under the lock; one decision per sign-in.
		if psu = sess.psu; psu != nil {
			s.store.dropSession(sess)
		}
	})
	if psu == nil {
		s.errorPage(w, "Sign in first.")
		return
	}
	if sess.paymentID != "" {
		s.paymentDecision(w, r, sess, r.PostForm.Get("decision") == "approve")
		return
	}
	if sess.piisID != "" || sess.grant {
		s.piisDecision(w, r, sess, psu, r.PostForm.Get("decision") == "approve")
		return
	}
	if r.PostForm.Get("decision") != "approve" {
		var saved pending
		s.store.locked(func() {
			if c := s.store.consents[sess.consentID]; c != nil && c.Status == StatusReceived {
				c.Status = StatusRejected
				s.scaStep(c, sess, scaDeny)
				c.LastAction = s.now() // lastActionDate follows every change
				saved.add(s.store.save(c))
			}
		})
		if err := saved.wait(); err != nil {
			s.errorPage(w, saveFailed(err))
			return
		}
		redirectError(w, r, sess.redirectURI, sess.state, trimBase(s.URL), "access_denied", "the PSU denied the consent")
		return
	}
	s.approve(w, r, sess, psu, r.PostForm["account"])
}

// autoApproveConsent is AutoApprove for an account information consent:
// the PSU picks all its accounts where the consent lets it pick
// (availableAccounts, availableAccountsWithBalance, empty lists): without
// a pick those consents would give nothing.
func (s *Server) autoApproveConsent(w http.ResponseWriter, r *http.Request, sess *authSession) {
	psu := s.autoPSU(sess)
	s.approve(w, r, sess, psu, allResourceIDs(psu))
}

// approve marks the consent valid with what the PSU granted and sends the
// browser back with a code.
func (s *Server) approve(w http.ResponseWriter, r *http.Request, sess *authSession, psu *PSU, picked []string) {
	now := s.now()
	var code *authCode
	var saved <-chan error
	s.store.locked(func() {
		c := s.store.consents[sess.consentID]
		if c != nil {
			s.expire(c)
		}
		if c == nil || c.Status != StatusReceived {
			return
		}
		grant(c, psu, picked)
		c.PSU = psu
		c.Status = StatusValid
		c.LastAction = now
		if psu.RevokesConsent {
			c.Status = StatusRevokedByPsu
		}
		s.scaStep(c, sess, scaApprove)
		code = &authCode{value: randomID(32), clientID: sess.clientID, redirectURI: sess.redirectURI, challenge: sess.challenge,
			consentID: c.ID, expires: now.Add(CodeTTL)}
		s.store.codes[code.value] = code
		// A new recurring consent ends the TPP's former ones of the PSU
		// (consentrules.go).
		saved = s.store.save(append([]any{c, code}, s.supersede(c, now)...)...)
	})
	if code == nil {
		redirectError(w, r, sess.redirectURI, sess.state, trimBase(s.URL), "invalid_request", "the consent no longer awaits authorisation")
		return
	}
	if saved != nil {
		if err := <-saved; err != nil {
			s.errorPage(w, saveFailed(err))
			return
		}
	}
	s.redirectCode(w, r, sess, code)
}

// redirectCode sends the PSU's browser back to the TPP's redirect URI
// with the code, the state and the issuer (RFC 9207, announced in the
// metadata): the end of every approval, of a consent, a payment or its
// cancellation, a PIIS consent.
func (s *Server) redirectCode(w http.ResponseWriter, r *http.Request, sess *authSession, code *authCode) {
	u, _ := url.Parse(sess.redirectURI)
	q := u.Query()
	q.Set("code", code.value)
	q.Set("state", sess.state)
	q.Set("iss", trimBase(s.URL))
	u.RawQuery = q.Encode()
	http.Redirect(w, r, u.String(), http.StatusFound)
}

// endDecision ends the PSU's decision on a payment (or its cancellation)
// or a PIIS consent: once what the redirect reports is in the data file,
// an invalid_request redirect saying goneWhy when the object no longer
// awaited the decision, access_denied saying refused when the PSU refused
// (no code), else the code.
func (s *Server) endDecision(w http.ResponseWriter, r *http.Request, sess *authSession, saved *pending, gone bool, goneWhy string,
	code *authCode, refused string) {
	if err := saved.wait(); err != nil {
		s.errorPage(w, saveFailed(err))
		return
	}
	switch {
	case gone:
		redirectError(w, r, sess.redirectURI, sess.state, trimBase(s.URL), "invalid_request", goneWhy)
	case code == nil:
		redirectError(w, r, sess.redirectURI, sess.state, trimBase(s.URL), "access_denied", refused)
	default:
		s.redirectCode(w, r, sess, code)
	}
}

// allResourceIDs are the resource ids of all the PSU's accounts, cards and
// payment accounts: what the PSU picks under --auto-approve.
func allResourceIDs(psu *PSU) []string {
	var ids []string
	for _, c := range psu.Cards {
		ids = append(ids, c.ResourceID)
	}
	for _, a := range psu.Accounts {
		ids = append(ids, a.ResourceID)
	}
	return ids
}
