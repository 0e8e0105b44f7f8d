package sandbox

import (
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestSignInSaysWhatAndWho: the sign-in page says what the PSU signs in
// for (access to accounts, a payment, its cancellation, a PIIS consent)
// and suggests the test customer who can approve it; a refusal names the
// customer to sign in as.
func TestSignInSaysWhatAndWho(t *testing.T) {
	s := startSandbox(t, Options{RatePerSecond: -1})
	p := bankTPP(t, s)
	page := func(what string, q url.Values, heading, suggested string) (session, otp string) {
		t.Helper()
		a := p.authorize(q)
		body := string(a.body)
		if a.status != 200 || !strings.Contains(body, `<h1 id="heading">`+heading+`</h1>`) || !strings.Contains(body, `id="suggested">`+suggested+`<`) {
			t.Errorf("%s: the sign-in page does not say %q and suggest %s:\n%s", what, heading, suggested, body)
		}
		if m := sessionRE.FindStringSubmatch(body); m != nil {
			session = m[1]
		}
		if m := otpRE.FindStringSubmatch(body); m != nil {
			otp = m[1]
		}
		return session, otp
	}
	refused := func(what, session, otp, psu, heading, want string) {
		t.Helper()
		a := p.post("/oauth/login", url.Values{"session": {session}, "psu_id": {psu}, "otp": {otp}})
		body := string(a.body)
		if a.status != 200 || !strings.Contains(body, want) || !strings.Contains(body, heading) || strings.Contains(body, `id="approve"`) {
			t.Errorf("%s: %s's sign-in is not refused with %q under %q:\n%s", what, psu, want, heading, body)
		}
	}

	// A consent for accounts: the documented customer.
	page("AIS consent", authQuery(p.app, p.createConsent(consentBody(nil)), loopbackRedirect, "st", pkceChallenge()),
		"Sign in to give access to your accounts", DocumentedPSU)

	// A payment: the debtor account's holder, named by the refusal.
	_, pc := p.initiate("/v1/payments/sepa-credit-transfers", sepaBody("3.00", nil))
	const payHeading = "Sign in to authorise a payment"
	session, otp := page("payment", pisQuery(p.app, pc.PaymentID, "st", pkceChallenge()), payHeading, PaymentCustomerID)
	refused("payment", session, otp, DocumentedPSU, payHeading, "which is not yours; sign in as its holder, customer "+PaymentCustomerID+".")

	// Its cancellation: a standing order approved, then DELETE.
	const pp = "/v1/periodic-payments/sepa-credit-transfers"
	_, so := p.initiate(pp, standingOrder(bankDate(time.Now())))
	p.paymentDecision(so.PaymentID, PaymentCustomerID, "approve", nil)
	tok := p.clientToken()
	if a := p.call("DELETE", pp+"/"+so.PaymentID, tok, nil, nil); a.status != 202 {
		t.Fatalf("DELETE: %d %s", a.status, a.body)
	}
	if a := p.call("POST", pp+"/"+so.PaymentID+"/cancellation-authorisations", tok, nil, nil); a.status != 201 {
		t.Fatalf("cancellation authorisation: %d %s", a.status, a.body)
	}
	page("cancellation", pisQuery(p.app, so.PaymentID, "st", pkceChallenge()), "Sign in to authorise the cancellation of a payment", PaymentCustomerID)

	// A PIIS consent: the customer who granted it.
	id, _ := p.grantOnPage(PaymentCustomerID, currentIBAN, s.DefaultApp.ClientID, "")
	const piisHeading = "Sign in to approve a funds confirmation consent"
	session, otp = page("PIIS consent", piisQuery(p.app, id, "st", pkceChallenge()), piisHeading, PaymentCustomerID)
	refused("PIIS consent", session, otp, DocumentedPSU, piisHeading, "sign in as the customer who granted it, customer "+PaymentCustomerID+".")

	// The grant page's sign-in.
	a := do(t, p.browser, mustGet(s.AuthURL+"/psu/piis-consents"))
	if !strings.Contains(string(a.body), "Sign in to manage your funds confirmation consents") {
		t.Errorf("grant page's sign-in:\n%s", a.body)
	}
}

// TestPIISGrantPageStatuses: the grant page shows every consent's status
// in words and as the code; a consent that can no longer be authorised
// (revoked, refused) is refused with the next step: a new grant on the
// page.
func TestPIISGrantPageStatuses(t *testing.T) {
	s := startSandbox(t, Options{RatePerSecond: -1})
	p := bankTPP(t, s)
	grant := func() string {
		t.Helper()
		id, page := p.grantOnPage(PaymentCustomerID, currentIBAN, s.DefaultApp.ClientID, "")
		if id == "" {
			t.Fatalf("not granted:\n%s", page)
		}
		return id
	}
	valid, received, revoked, rejected := grant(), grant(), grant(), grant()
	p.piisToken(valid, PaymentCustomerID)
	p.piisApprove(rejected, PaymentCustomerID, "deny", nil)
	session := p.grantSignIn(PaymentCustomerID)
	a := p.post("/psu/piis-consents", url.Values{"session": {session}, "action": {"revoke"}, "consent": {revoked}})
	body := string(a.body)
	for id, want := range map[string]string{
		valid:    "active: the application can ask whether funds are available</span> (<span class=\"status\">valid</span>)",
		received: "granted, not yet authorised by the application (you approve it once more when it asks)</span> (<span class=\"status\">received</span>)",
		revoked:  "revoked by you</span> (<span class=\"status\">revokedByPsu</span>)",
		rejected: "refused: you refused it when the application asked</span> (<span class=\"status\">rejected</span>)",
	} {
		i := strings.Index(body, "<code>"+id+"</code>")
		line, _, _ := strings.Cut(body[max(i, 0):], "</li>")
		if i < 0 || !strings.Contains(line, want) {
			t.Errorf("consent %s: want %q in its line:\n%s", id, want, line)
		}
	}

	for _, id := range []string{revoked, rejected} {
		q := redirected(t, p.authorize(piisQuery(p.app, id, "st", pkceChallenge())), loopbackRedirect)
		if q.Get("error") != "invalid_scope" || !strings.Contains(q.Get("error_description"), "the PSU grants a new one on "+s.AuthURL+"/psu/piis-consents") {
			t.Errorf("authorize of %s: %v", id, q)
		}
	}
}
