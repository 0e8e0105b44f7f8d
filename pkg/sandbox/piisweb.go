package sandbox

// The PSU's pages for PIIS consents (piis.go). /psu/piis-consents: the
// PSU signs in (the sign-in of web.go), picks one of its accounts and a
// registered application, and gets the consent's id to hand to the TPP;
// it lists the PSU's consents, which it can revoke. Then the TPP's
// authorization request with scope PIIS:<consentId> shows the consent to
// approve or refuse (the OAuth pages of web.go). The forms carry the
// sign-in's random session id, which only the page shown to the PSU
// knows: another site cannot post them (CSRF).

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// piisPage is what the PIIS pages show.
type piisPage struct {
	// The consent of an authorization request.
	ConsentID, Account, ValidUntil string
	// The grant page.
	Granted, GrantedTPP, GrantedAccount string
	DefaultUntil                        string
	Accounts                            []piisChoice
	TPPs                                []piisChoice
	Consents                            []piisLine
}

type piisChoice struct{ Value, ClientID, Label string }

type piisLine struct {
	ID, Account, TPP, Status, ValidUntil string
	Revocable                            bool
	// StatusText is Status in the PSU's words.
	StatusText string
}

// piisStatusText says what a PIIS consent's status means to the PSU who
// granted it; the list shows the code too, which the application sees.
func piisStatusText(status string) string {
	switch status {
	case StatusReceived:
		return "granted, not yet authorised by the application (you approve it once more when it asks)"
	case StatusValid:
		return "active: the application can ask whether funds are available"
	case StatusRejected:
		return "refused: you refused it when the application asked"
	case StatusRevokedByPsu:
		return "revoked by you"
	case StatusExpired:
		return "expired"
	case StatusTerminatedByTpp:
		return "ended by the application"
	}
	return status
}

// tppName is how the pages name an app's TPP; call with the lock held.
func tppName(app *App) string {
	if app == nil {
		return ""
	}
	if app.Name == "" || app.Name == "default" {
		return app.OrganizationID
	}
	return app.Name + " (" + app.OrganizationID + ")"
}

// orgName names the TPP of an organisation by its apps; call with the lock
// held.
func (s *Server) orgName(org string) string {
	for _, id := range s.appIDs() {
		if a := s.store.apps[id]; a.OrganizationID == org {
			return tppName(a)
		}
	}
	return org
}

// appIDs are the registered apps' client ids, sorted; call with the lock
// held.
func (s *Server) appIDs() []string {
	ids := make([]string, 0, len(s.store.apps))
	for id := range s.store.apps {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// handlePIISGrantPage starts a sign-in to grant PIIS consents.
func (s *Server) handlePIISGrantPage(w http.ResponseWriter, r *http.Request) {
	if s.refusedPage(w) {
		return
	}
	sess := &authSession{id: randomID(24), grant: true, otp: otp(), expires: s.now().Add(SessionTTL)}
	s.store.locked(func() {
		s.store.prune(s.now())
		s.store.addSession(sess)
	})
	s.page(w, http.StatusOK, "login.html", s.loginPage(sess, ""))
}

// grantPage is the grant page of the signed-in PSU; call with the lock
// held.
func (s *Server) grantPage(sess *authSession) pageData {
	psu := sess.psu
	d := &piisPage{DefaultUntil: dateOf(s.now().Add(DefaultPIISValidity).In(s.zone)).Format(time.DateOnly)}
	for _, a := range psu.Accounts {
		if a.Status != "deleted" {
			d.Accounts = append(d.Accounts, piisChoice{Value: a.IBAN, Label: a.DisplayName + " · " + a.IBAN})
		}
	}
	for _, c := range psu.Cards {
		d.Accounts = append(d.Accounts, piisChoice{Value: c.MaskedPAN, Label: c.DisplayName + " · " + c.MaskedPAN})
	}
	for _, id := range s.appIDs() {
		d.TPPs = append(d.TPPs, piisChoice{ClientID: id, Label: tppName(s.store.apps[id])})
	}
	ids := make([]string, 0)
	for id, p := range s.store.piis {
		if p.PSU == psu {
			ids = append(ids, id)
		}
	}
	slices.SortFunc(ids, func(a, b string) int { return s.store.piis[a].Created.Compare(s.store.piis[b].Created) })
	for _, id := range ids {
		p := s.store.piis[id]
		s.expirePIIS(p)
		d.Consents = append(d.Consents, piisLine{ID: p.ID, Account: p.Account(), TPP: s.orgName(p.OrganizationID), Status: p.Status,
			StatusText: piisStatusText(p.Status), ValidUntil: p.ValidUntil.Format(time.DateOnly), Revocable: p.Status == StatusReceived || p.Status == StatusValid})
	}
	return pageData{Title: "Funds confirmation consents", Session: sess.id, PIIS: d}
}

// handlePIISGrant grants or revokes a PIIS consent for the signed-in PSU.
func (s *Server) handlePIISGrant(w http.ResponseWriter, r *http.Request) {
	if s.refusedPage(w) {
		return
	}
	sess := s.session(w, r)
	if sess == nil {
		return
	}
	var psu *PSU
	s.store.locked(func() {
		if sess.grant {
			psu = sess.psu
		}
	})
	if psu == nil {
		s.errorPage(w, "Sign in first: open /psu/piis-consents.")
		return
	}
	f := r.PostForm
	var msg, problem, granted string
	switch f.Get("action") {
	case "grant":
		granted, problem = s.grantOnPage(psu, f)
	case "revoke":
		msg, problem = s.revokeOnPage(psu, f.Get("consent"))
	default:
		problem = "Unknown action."
	}
	var d pageData
	s.store.locked(func() {
		d = s.grantPage(sess)
		if p := s.store.piis[granted]; p != nil {
			d.PIIS.Granted, d.PIIS.GrantedTPP, d.PIIS.GrantedAccount = p.ID, s.orgName(p.OrganizationID), p.Account()
		}
	})
	d.Error, d.Message = problem, msg
	s.page(w, http.StatusOK, "piisgrant.html", d)
}

// grantOnPage grants what the form asks: the consent's id, or the problem.
func (s *Server) grantOnPage(psu *PSU, f url.Values) (id, problem string) {
	account, clientID := f.Get("account"), f.Get("tpp")
	if account == "" || clientID == "" {
		return "", "Choose an account and an application."
	}
	app := s.store.app(clientID)
	if app == nil {
		return "", "That application is not registered at this bank."
	}
	var until time.Time
	if v := strings.TrimSpace(f.Get("valid_until")); v != "" {
		t, err := time.ParseInLocation(time.DateOnly, v, s.zone)
		if err != nil {
			return "", fmt.Sprintf("Valid until %q is not a date (YYYY-MM-DD).", v)
		}
		until = t
	}
	var ca string
	s.store.locked(func() { ca = app.CA })
	p, err := s.newPIIS(psu.ID, account, app.OrganizationID, ca, until)
	if err == nil {
		err = s.keepPIIS(p)
	}
	if err != nil {
		return "", "The consent was not granted: " + err.Error() + "."
	}
	return p.ID, ""
}

// revokeOnPage revokes one of the PSU's consents.
func (s *Server) revokeOnPage(psu *PSU, id string) (msg, problem string) {
	var saved pending
	s.store.locked(func() {
		p := s.store.piis[id]
		if p != nil {
			s.expirePIIS(p)
		}
		switch {
		case p == nil || p.PSU != psu:
			problem = "You have no such consent."
		case p.Status != StatusReceived && p.Status != StatusValid:
			problem = fmt.Sprintf("Consent %s is %s already.", p.ID, p.Status)
		default:
			p.Status, p.LastAction = StatusRevokedByPsu, s.now()
			saved.add(s.store.save(p))
			msg = fmt.Sprintf("Consent %s is revoked: the application can no longer confirm funds with it.", p.ID)
		}
	})
	if err := saved.wait(); err != nil {
		return "", saveFailed(err)
	}
	return msg, problem
}

// piisLogin follows a sign-in on the PIIS pages: the grant page, or the
// consent of an authorization request for the PSU who granted it.
func (s *Server) piisLogin(w http.ResponseWriter, sess *authSession, psu *PSU) {
	var d pageData
	var gone, other string
	s.store.locked(func() {
		if sess.grant {
			sess.psu = psu
			d = s.grantPage(sess)
			return
		}
		p := s.store.piis[sess.piisID]
		if p != nil {
			s.expirePIIS(p)
		}
		switch {
		case p == nil:
			gone = "The consent this sign-in is for no longer exists. Start again from the application."
			return
		case p.Status != StatusReceived && p.Status != StatusValid:
			gone = fmt.Sprintf("The consent this sign-in is for is %s and can no longer be approved.", p.Status)
			return
		case p.PSU != psu:
			other = "The consent is for another customer's account; sign in as the customer who granted it" + customer(p.PSU) + "."
			return
		}
		sess.psu = psu
		d = pageData{Title: "Confirmation of funds", Session: sess.id, TPP: s.orgName(p.OrganizationID),
			PIIS: &piisPage{ConsentID: p.ID, Account: p.Account(), ValidUntil: p.ValidUntil.Format(time.DateOnly)}}
	})
	switch {
	case gone != "":
		s.errorPage(w, gone)
	case other != "":
		s.page(w, http.StatusOK, "login.html", s.loginPage(sess, other))
	case sess.grant:
		s.page(w, http.StatusOK, "piisgrant.html", d)
	default:
		s.page(w, http.StatusOK, "piis.html", d)
	}
}

// piisDecision applies the PSU's decision on a PIIS consent: approval
// makes it valid (again) and sends the browser back with a code; refusal
// of a received consent rejects it and sends access_denied.
func (s *Server) piisDecision(w http.ResponseWriter, r *http.Request, sess *authSession, psu *PSU, approve bool) {
	if sess.grant {
		s.errorPage(w, "This sign-in grants consents on /psu/piis-consents; it has no authorization to decide.")
		return
	}
	now := s.now()
	var code *authCode
	var gone bool
	var saved pending
	s.store.locked(func() {
		p := s.store.piis[sess.piisID]
		if p != nil {
			s.expirePIIS(p)
		}
		if p == nil || p.PSU != psu || (p.Status != StatusReceived && p.Status != StatusValid) {
			gone = true
			return
		}
		if !approve {
			if p.Status == StatusReceived {
				p.Status, p.LastAction = StatusRejected, now
				saved.add(s.store.save(p))
			}
			return
		}
		p.Status, p.LastAction = StatusValid, now
		if psu.RevokesConsent {
			p.Status = StatusRevokedByPsu // in the bank's app, right after approving
		}
		code = &authCode{value: randomID(32), clientID: sess.clientID, redirectURI: sess.redirectURI, challenge: sess.challenge,
			piisID: p.ID, expires: now.Add(CodeTTL)}
		s.store.codes[code.value] = code
		saved.add(s.store.save(p, code))
	})
	s.endDecision(w, r, sess, &saved, gone, "the PIIS consent can no longer be authorised", code, "the PSU refused the PIIS consent")
}

// autoApprovePIIS is AutoApprove for a PIIS consent: the customer who
// granted it approves.
func (s *Server) autoApprovePIIS(w http.ResponseWriter, r *http.Request, sess *authSession) {
	var psu *PSU
	s.store.locked(func() {
		if p := s.store.piis[sess.piisID]; p != nil {
			psu = p.PSU
		}
	})
	s.piisDecision(w, r, sess, psu, true)
}
