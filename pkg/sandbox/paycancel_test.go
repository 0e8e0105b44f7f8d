package sandbox

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// standingOrder is a monthly standing order from in three days.
func standingOrder(today time.Time) []byte {
	return sepaBody("50.00", func(m map[string]any) {
		m["startDate"] = today.AddDate(0, 0, 3).Format(time.DateOnly)
		m["frequency"] = "Monthly"
	})
}

// TestOpenAPIPaymentCancellation: an authorised standing order (ACTC) is
// cancelled only with the PSU's authorisation: DELETE 202 with
// startAuthorisation, the cancellation authorisation started, listed and
// followed, the PSU refusing (the order runs on) then approving on the
// bank's pages (CANC); every answer checked against the official file.
func TestOpenAPIPaymentCancellation(t *testing.T) {
	rig := newSpecRigAs(t, Options{})
	p, step := rig.p, rig.step
	tok := p.clientToken()
	const pp = "/v1/periodic-payments/sepa-credit-transfers"
	_, pc := p.initiate(pp, standingOrder(bankDate(rig.clock.Now())))
	id := pc.PaymentID
	statusIs := func(name, want string) {
		t.Helper()
		step(name, 200, func() answer {
			a := p.call("GET", pp+"/"+id+"/status", tok, nil, nil)
			if !strings.Contains(string(a.body), `"transactionStatus":"`+want+`"`) {
				t.Errorf("status: %s, want %s", a.body, want)
			}
			return a
		})
	}
	scaIs := func(name, authID, want string) {
		t.Helper()
		step(name, 200, func() answer {
			a := p.call("GET", pp+"/"+id+"/cancellation-authorisations/"+authID, tok, nil, nil)
			if !strings.Contains(string(a.body), `"scaStatus":"`+want+`"`) {
				t.Errorf("scaStatus: %s, want %s", a.body, want)
			}
			return a
		})
	}
	start := func(name string) string {
		t.Helper()
		var st struct {
			ScaStatus, AuthorisationID string
			Links                      map[string]link `json:"_links"`
		}
		step(name, 201, func() answer {
			a := p.call("POST", pp+"/"+id+"/cancellation-authorisations", tok, []byte("{}"), map[string]string{"Content-Type": "application/json"})
			a.json(t, &st)
			self := pp + "/" + id + "/cancellation-authorisations/" + st.AuthorisationID
			if st.ScaStatus != ScaReceived || st.Links["scaOAuth"].Href == "" || st.Links["scaStatus"].Href != self ||
				a.header.Get("Location") != self || a.header.Get("ASPSP-SCA-Approach") != "REDIRECT" {
				t.Errorf("201: %v %s", a.header, a.body)
			}
			return a
		})
		return st.AuthorisationID
	}

	// Before authorisation the order is the TPP's draft: no cancellation
	// to authorise.
	step("409 cancellation authorisation of a payment not authorised", 409, func() answer {
		a := p.call("POST", pp+"/"+id+"/cancellation-authorisations", tok, nil, nil)
		wantAPIError(t, a, 409, CodeStatusInvalid, "", "DELETE cancels it at once")
		return a
	})
	p.paymentDecision(id, PaymentCustomerID, "approve", nil)
	statusIs("200 standing order ACTC", "ACTC")
	step("409 cancellation authorisation before DELETE", 409, func() answer {
		a := p.call("POST", pp+"/"+id+"/cancellation-authorisations", tok, nil, nil)
		wantAPIError(t, a, 409, CodeStatusInvalid, "", "not asked for")
		return a
	})
	if a := p.authorize(pisQuery(p.app, id, "st", pkceChallenge())); !strings.Contains(a.header.Get("Location"), "error=invalid_scope") {
		t.Errorf("PIS scope of an ACTC payment with no cancellation asked: %d %s", a.status, a.header.Get("Location"))
	}

	cancelAsked := func(name string) {
		t.Helper()
		step(name, 202, func() answer {
			a := p.call("DELETE", pp+"/"+id, tok, nil, nil)
			var c struct {
				TransactionStatus string
				Links             map[string]link `json:"_links"`
			}
			a.json(t, &c)
			if c.TransactionStatus != "ACTC" || c.Links["startAuthorisation"].Href != pp+"/"+id+"/cancellation-authorisations" {
				t.Errorf("202: %s", a.body)
			}
			return a
		})
	}
	cancelAsked("202 DELETE of an authorised standing order")
	statusIs("200 still ACTC while the PSU decides", "ACTC")
	abandonedID := start("201 a cancellation authorisation the PSU never opens")
	refusedID := start("201 cancellation authorisation started")
	scaIs("200 cancellation scaStatus received", refusedID, ScaReceived)
	step("403 unknown cancellation authorisation", 403, func() answer {
		a := p.call("GET", pp+"/"+id+"/cancellation-authorisations/auth-nope", tok, nil, nil)
		wantAPIError(t, a, 403, CodeResourceUnknown, "authorisationId", "the cancellation of payment")
		return a
	})
	q, _ := p.paymentDecision(id, PaymentCustomerID, "deny", func(page string) {
		for _, want := range []string{`id="cancel"`, "cancel this payment", "50.00 EUR", landlord.name, "Cancel this payment", "books no further instalment"} {
			if !strings.Contains(page, want) {
				t.Errorf("the cancellation page lacks %q", want)
			}
		}
	})
	if q.Get("error") != "access_denied" || !strings.Contains(q.Get("error_description"), "cancellation") {
		t.Errorf("refusal redirect: %v", q)
	}
	scaIs("200 refused cancellation failed", refusedID, ScaFailed)
	statusIs("200 refused: the order runs on, ACTC", "ACTC")

	cancelAsked("202 DELETE asked again")
	cancelAsked("202 DELETE while asked answers the same")
	scaIs("200 the refused one stays failed when asked again", refusedID, ScaFailed)
	scaIs("200 the abandoned one too", abandonedID, ScaFailed)
	authID := start("201 a second cancellation authorisation")
	step("200 cancellation authorisations listed", 200, func() answer {
		a := p.call("GET", pp+"/"+id+"/cancellation-authorisations", tok, nil, nil)
		var l struct{ AuthorisationIDs []string }
		a.json(t, &l)
		if len(l.AuthorisationIDs) != 3 || l.AuthorisationIDs[0] != abandonedID || l.AuthorisationIDs[1] != refusedID || l.AuthorisationIDs[2] != authID {
			t.Errorf("list: %s", a.body)
		}
		return a
	})
	q, verifier := p.paymentDecision(id, PaymentCustomerID, "approve", nil)
	if a, tr := p.exchange(q.Get("code"), loopbackRedirect, verifier); a.status != 200 || tr.Scope != "PIS:"+id {
		t.Errorf("exchange after the cancellation: %d %s", a.status, a.body)
	}
	scaIs("200 approved cancellation finalised", authID, ScaFinalised)
	statusIs("200 standing order CANC", "CANC")
	step("405 DELETE of a cancelled payment", 405, func() answer {
		a := p.call("DELETE", pp+"/"+id, tok, nil, nil)
		wantAPIError(t, a, 405, CodeCancellationInvalid, "", "CANC")
		return a
	})
	step("409 cancellation authorisation of a cancelled payment", 409, func() answer {
		a := p.call("POST", pp+"/"+id+"/cancellation-authorisations", tok, nil, nil)
		wantAPIError(t, a, 409, CodeStatusInvalid, "", "payment CANC")
		return a
	})
}

// TestPaymentCancellationAutoApprove: --auto-approve approves a
// cancellation as the debtor's holder, and the data file keeps an open
// cancellation authorisation across a restart.
func TestPaymentCancellationAutoApprove(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	clock := newClock(time.Now())
	opts := Options{AutoApprove: true, RatePerSecond: -1, Now: clock.Now}
	const pp = "/v1/periodic-payments/instant-sepa-credit-transfers"
	authorize := func(p *party, id string) {
		t.Helper()
		verifier, challenge := pkce()
		q := redirected(t, p.authorize(pisQuery(p.app, id, "st", challenge)), loopbackRedirect)
		if a, _ := p.exchange(q.Get("code"), loopbackRedirect, verifier); a.status != 200 {
			t.Fatalf("exchange: %d %s", a.status, a.body)
		}
	}
	status := func(p *party, id string) string {
		t.Helper()
		var st struct{ TransactionStatus string }
		p.call("GET", pp+"/"+id+"/status", p.clientToken(), nil, nil).json(t, &st)
		return st.TransactionStatus
	}
	s1 := startData(t, dir, opts)
	p1 := bankTPP(t, s1)
	_, pc := p1.initiate(pp, standingOrder(bankDate(clock.Now())))
	authorize(p1, pc.PaymentID)
	wantStatus(t, p1.call("DELETE", pp+"/"+pc.PaymentID, p1.clientToken(), nil, nil), 202)
	a := p1.call("POST", pp+"/"+pc.PaymentID+"/cancellation-authorisations", p1.clientToken(), nil, nil)
	wantStatus(t, a, 201)
	var st struct{ AuthorisationID string }
	if err := json.Unmarshal(a.body, &st); err != nil {
		t.Fatal(err)
	}
	s1.Close()

	s2 := startData(t, dir, opts)
	defer s2.Close()
	p2 := bankTPP(t, s2)
	if got := status(p2, pc.PaymentID); got != "ACTC" {
		t.Fatalf("after a restart: %s", got)
	}
	authorize(p2, pc.PaymentID)
	if got := status(p2, pc.PaymentID); got != "CANC" {
		t.Errorf("auto-approved cancellation: %s", got)
	}
	a = p2.call("GET", pp+"/"+pc.PaymentID+"/cancellation-authorisations/"+st.AuthorisationID, p2.clientToken(), nil, nil)
	if !strings.Contains(string(a.body), `"scaStatus":"finalised"`) {
		t.Errorf("the cancellation authorisation kept across the restart: %s", a.body)
	}
}
