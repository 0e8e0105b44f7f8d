package sandbox

// The cancellation of a payment the PSU already authorised but the bank
// has not executed yet (a standing order while it runs; a future-dated
// payment before its day): the file lets DELETE answer 202 with
// _links.startAuthorisation when the ASPSP wants the PSU to authorise the
// cancellation, and this bank does, as such a payment is the PSU's order,
// not the TPP's draft any more. The TPP starts the cancellation's
// authorisation (POST .../cancellation-authorisations, the file's
// startPaymentInitiationCancellationAuthorisation) and sends the PSU to the
// bank's OAuth2 pages with the payment's own scope, PIS:<paymentId> (the
// bank's documentation names no other); the page then shows the payment
// to cancel. Approval: the cancellation authorisation finalised, the
// payment CANC (a standing order books no further instalment). Refusal:
// failed, the payment as it was.
//
// A payment not yet authorised (RCVD) is still cancelled at once (204),
// and one the bank executed (ACSC, ACCC) or ended (RJCT, CANC) cannot be
// (405 CANCELLATION_INVALID).

import (
	"fmt"
	"net/http"
)

// cancellation is the authorisable of p's cancellation: its
// cancellation-authorisations, awaiting SCA while the TPP asked for the
// cancellation (202) and the payment still awaits execution.
type cancellation struct{ p *Payment }

func (c cancellation) authList() *[]*authorisation { return &c.p.Cancellations }
func (c cancellation) awaitsSCA() bool             { return c.p.CancelRequested && c.p.pending() }

// scaTarget is what a PSU's sign-in with scope PIS:<paymentId> authorises:
// the payment while it is RCVD, else its cancellation while one of its
// cancellation authorisations is open, else nothing (nil). p may be nil.
// Call with the store's lock held.
func (p *Payment) scaTarget() authorisable {
	switch {
	case p == nil:
		return nil
	case p.awaitsSCA():
		return p
	case cancellation{p}.awaitsSCA() && latestOpen(cancellation{p}) != nil:
		return cancellation{p}
	}
	return nil
}

// cancellationHolder is the path's payment's cancellation as an
// authHolder.
func (s *Server) cancellationHolder(c *call) (*authHolder, *apiError) {
	p, e := s.ownPayment(c)
	if e != nil {
		return nil, e
	}
	return &authHolder{x: cancellation{p}, record: p, what: fmt.Sprintf("the cancellation of payment %q", p.ID), base: p.path() + "/cancellation-authorisations",
		status: func() string {
			if p.Status == TxReceived {
				return "not needed (the payment is RCVD: DELETE cancels it at once)"
			}
			if p.pending() {
				return "not asked for (DELETE the payment first)"
			}
			return "impossible (payment " + p.Status + ")"
		},
		awaiting: "a cancellation is authorised after DELETE answered 202, while the payment is ACTC"}, nil
}

type cancelAccepted struct {
	TransactionStatus string          `json:"transactionStatus"`
	Links             map[string]link `json:"_links"`
}

// askCancellation answers a DELETE of a payment awaiting execution: 202,
// the PSU must authorise the cancellation (a DELETE again while it is
// asked answers the same).
func (s *Server) askCancellation(c *call, p *Payment) *apiError {
	var st string
	s.store.locked(func() {
		st = p.Status
		if !p.CancelRequested {
			p.CancelRequested = true
			c.saved.add(s.store.save(p))
		}
	})
	return c.reply(http.StatusAccepted, cancelAccepted{TransactionStatus: st,
		Links: map[string]link{"startAuthorisation": {Href: p.path() + "/cancellation-authorisations"}, "self": {Href: p.path()}, "status": {Href: p.path() + "/status"}}})
}

// decideCancellation applies the PSU's decision on p's cancellation: it
// reports whether the payment was cancelled. Call with the lock held.
func (s *Server) decideCancellation(p *Payment, sess *authSession, approve bool) bool {
	x := cancellation{p}
	p.CancelRequested = false
	ev := scaDeny
	if approve {
		ev = scaApprove
		p.Status, p.Reason = TxCancelled, "The PSU authorised the cancellation on the bank's page."
	}
	s.scaStep(x, sess, ev)
	// The others still open end here for good: a later DELETE asks anew,
	// and must not revive them.
	for _, a := range p.Cancellations {
		if !scaFinal(a.Status) {
			a.Status = ScaFailed
		}
	}
	return approve
}
