package sandbox

// The PSU's pages for a payment (scope PIS:<paymentId>): the same sign-in
// as for consents (web.go), then a page showing the payment (amount,
// creditor, debtor account) to approve or refuse; or, for a payment whose
// cancellation the TPP started (paycancel.go), the payment to cancel. Only
// the debtor account's holder may authorise either.

import (
	"fmt"
	"net/http"
)

// paymentAwaits says why payment id cannot be authorised through app, ""
// when it can.
func (s *Server) paymentAwaits(id string, app *App) (why string) {
	s.store.locked(func() {
		p := s.store.payments.byID[id]
		switch {
		case p == nil:
			why = fmt.Sprintf("payment %q does not exist", id)
		case p.OrganizationID != app.OrganizationID || !sameTPP(s.store.apps[p.ClientID], app):
			why = fmt.Sprintf("payment %q belongs to another TPP", id)
		case p.scaTarget() == nil:
			why = fmt.Sprintf("payment %q is %s; only a payment in status RCVD awaits authorisation, or one whose cancellation the TPP started (DELETE, then POST .../cancellation-authorisations)", id, p.Status)
		}
	})
	return why
}

// paymentPage is what the page shows of p; call with the lock held.
func (s *Server) paymentPage(sess *authSession, p *Payment) pageData {
	app := s.store.apps[p.ClientID]
	d := pageData{Title: "Authorise a payment", Session: sess.id, PaymentID: p.ID, Service: p.Service, Product: p.Product,
		DebtorIBAN: p.Debtor.IBAN, Total: cents(p.Debtor.Currency, p.Total).Amount, Currency: p.Debtor.Currency, Payments: describePayment(p)}
	if app != nil {
		d.TPP = app.Name
		if d.TPP == "" || d.TPP == "default" {
			d.TPP = app.OrganizationID
		}
	}
	if p.Single != nil && p.Single.Frequency != "" {
		d.Message = fmt.Sprintf("A standing order: %s from %s", p.Single.Frequency, p.Single.StartDate)
		if p.Single.EndDate != "" {
			d.Message += " until " + p.Single.EndDate
		}
		d.Message += "."
	}
	if _, ok := p.scaTarget().(cancellation); ok {
		d.Cancel, d.Title = true, "Cancel a payment"
		if p.Single != nil && p.Single.Frequency != "" {
			d.Message += " Once cancelled, it books no further instalment."
		}
	}
	return d
}

// paymentLogin follows a sign-in for a payment: the payment's page for
// the debtor account's holder.
func (s *Server) paymentLogin(w http.ResponseWriter, sess *authSession, psu *PSU) {
	var d pageData
	var gone, other string
	var saved pending
	s.store.locked(func() {
		p := s.store.payments.byID[sess.paymentID]
		x := p.scaTarget()
		switch {
		case p == nil:
			gone = "The payment this sign-in is for no longer exists. Start again from the application."
			return
		case x == nil:
			gone = fmt.Sprintf("The payment this sign-in is for is %s and no longer awaits your approval.", p.Status)
			return
		}
		if want := identifiedPSU(x, sess, s.psu); want != nil && want != psu {
			other = fmt.Sprintf("The application asked for customer %s's approval; sign in as customer %s.", want.ID, want.ID)
			return
		}
		if psu != p.Owner {
			other = fmt.Sprintf("The payment is taken from account %s, which is not yours; sign in as its holder%s.", p.Debtor.IBAN, customer(p.Owner))
			return
		}
		sess.psu = psu
		if s.scaStep(x, sess, scaSignIn) {
			saved.add(s.store.save(p))
		}
		d = s.paymentPage(sess, p)
	})
	if err := saved.wait(); err != nil {
		s.errorPage(w, saveFailed(err))
		return
	}
	switch {
	case gone != "":
		s.errorPage(w, gone)
	case other != "":
		s.page(w, http.StatusOK, "login.html", s.loginPage(sess, other))
	default:
		s.page(w, http.StatusOK, "payment.html", d)
	}
}

// customer names psu after a refusal's "sign in as ...": ", customer
// ID", or nothing when there is none.
func customer(psu *PSU) string {
	if psu == nil {
		return ""
	}
	return ", customer " + psu.ID
}

// paymentDecision applies the PSU's decision: approval executes the
// payment (execute: ACSC/ACCC, or RJCT without funds), or cancels it when
// the decision is on its cancellation, and sends the browser back with a
// code; refusal rejects the payment (RJCT), or leaves it as it was when
// the decision is on its cancellation, and sends access_denied.
func (s *Server) paymentDecision(w http.ResponseWriter, r *http.Request, sess *authSession, approve bool) {
	now := s.now()
	var code *authCode
	var gone bool
	refused := "the PSU refused the payment"
	var saved pending
	s.store.locked(func() {
		p := s.store.payments.byID[sess.paymentID]
		x := p.scaTarget()
		if x == nil {
			gone = true
			return
		}
		_, cancel := x.(cancellation)
		switch {
		case cancel && !s.decideCancellation(p, sess, approve):
			refused = "the PSU refused the cancellation of the payment"
			saved.add(s.store.save(p))
			return
		case cancel:
		case !approve:
			p.Status, p.Reason = TxRejected, "The PSU refused the payment on the bank's page."
			s.scaStep(p, sess, scaDeny)
			saved.add(s.store.save(p))
			return
		default:
			s.scaStep(p, sess, scaApprove)
			s.execute(p, now)
		}
		code = &authCode{value: randomID(32), clientID: sess.clientID, redirectURI: sess.redirectURI, challenge: sess.challenge,
			paymentID: p.ID, expires: now.Add(CodeTTL)}
		s.store.codes[code.value] = code
		saved.add(s.store.save(p, code))
	})
	s.endDecision(w, r, sess, &saved, gone, "the payment no longer awaits authorisation", code, refused)
}

// autoApprovePayment is AutoApprove for a payment, or its cancellation:
// the debtor account's holder (or the customer the TPP identified) signs
// in and approves.
func (s *Server) autoApprovePayment(w http.ResponseWriter, r *http.Request, sess *authSession) {
	var psu *PSU
	s.store.locked(func() {
		s.store.addSession(sess)
		p := s.store.payments.byID[sess.paymentID]
		if x := p.scaTarget(); x != nil {
			s.scaStep(x, sess, scaOpen)
			if psu = identifiedPSU(x, sess, s.psu); psu == nil {
				psu = p.Owner
			}
			s.scaStep(x, sess, scaSignIn)
		}
		s.store.dropSession(sess)
	})
	if psu == nil {
		redirectError(w, r, sess.redirectURI, sess.state, trimBase(s.URL), "invalid_request", "the payment no longer awaits authorisation")
		return
	}
	s.paymentDecision(w, r, sess, true)
}
