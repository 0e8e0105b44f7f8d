package sandbox

import (
	"bytes"
	"crypto/x509"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/xs2a-dev/xs2a/pkg/qcert"
)

var piisIDRE = regexp.MustCompile(`id="piis-consent-id">(piis-[A-Za-z0-9_-]+)<`)

const piisCard = "524378******8693"

// grantOnPage signs psu in on /psu/piis-consents and grants a consent of
// account to the app; it returns the consent's id and the page.
func (p *party) grantOnPage(psu, account, clientID, validUntil string) (string, string) {
	p.t.Helper()
	session := p.grantSignIn(psu)
	a := p.post("/psu/piis-consents", url.Values{"session": {session}, "action": {"grant"}, "account": {account}, "tpp": {clientID}, "valid_until": {validUntil}})
	if a.status != 200 {
		p.t.Fatalf("grant: %d %s", a.status, a.body)
	}
	m := piisIDRE.FindSubmatch(a.body)
	if m == nil {
		return "", string(a.body)
	}
	return string(m[1]), string(a.body)
}

// grantSignIn opens the grant page and signs psu in; it returns the session.
func (p *party) grantSignIn(psu string) string {
	p.t.Helper()
	a := do(p.t, p.browser, mustGet(p.s.AuthURL+"/psu/piis-consents"))
	sm, om := sessionRE.FindSubmatch(a.body), otpRE.FindSubmatch(a.body)
	if a.status != 200 || sm == nil || om == nil {
		p.t.Fatalf("grant page: %d %s", a.status, a.body)
	}
	a = p.post("/oauth/login", url.Values{"session": {string(sm[1])}, "psu_id": {psu}, "otp": {string(om[1])}})
	if a.status != 200 || !bytes.Contains(a.body, []byte(`id="grant"`)) {
		p.t.Fatalf("sign-in as %s on the grant page: %d %s", psu, a.status, a.body)
	}
	return string(sm[1])
}

func piisQuery(app App, id, state, challenge string) url.Values {
	q := authQuery(app, "", loopbackRedirect, state, challenge)
	q.Set("scope", "PIIS:"+id)
	return q
}

// piisApprove has psu approve (or refuse) consent id on the bank's pages
// and returns the redirect's query and the PKCE verifier.
func (p *party) piisApprove(id, psu, decision string, check func(page string)) (url.Values, string) {
	p.t.Helper()
	verifier, challenge := pkce()
	session, otp := p.loginPage(piisQuery(p.app, id, "st-piis", challenge))
	a := p.post("/oauth/login", url.Values{"session": {session}, "psu_id": {psu}, "otp": {otp}})
	if a.status != 200 || !bytes.Contains(a.body, []byte(`id="approve"`)) {
		p.t.Fatalf("login as %s: %d %s", psu, a.status, a.body)
	}
	if check != nil {
		check(string(a.body))
	}
	a = p.post("/oauth/decision", url.Values{"session": {session}, "decision": {decision}})
	return redirected(p.t, a, loopbackRedirect), verifier
}

// piisToken has psu approve consent id and exchanges the code.
func (p *party) piisToken(id, psu string) string {
	p.t.Helper()
	q, verifier := p.piisApprove(id, psu, "approve", nil)
	a, tr := p.exchange(q.Get("code"), loopbackRedirect, verifier)
	if a.status != 200 || tr.Scope != "PIIS:"+id {
		p.t.Fatalf("exchange: %d %s (scope %q)", a.status, a.body, tr.Scope)
	}
	return tr.AccessToken
}

// TestOpenAPIPIISConsent: a PIIS consent granted on the bank's page,
// authorised with PIIS:<consentId> by the PSU who granted it, binds funds
// confirmation to its TPP and its account; every API answer, the errors
// included, validated against the official file.
func TestOpenAPIPIISConsent(t *testing.T) {
	rig := newSpecRigAs(t, otherOrgOptions(t, Options{}))
	p, step := rig.p, rig.step
	other := otherTPP(t, rig.s)
	// The other TPP's calls are recorded and validated too.
	orec := &recorder{base: other.plain.Transport}
	other.signed = signing(orec, extraSet(t, "other-org").QSeal)
	otherStep := func(name string, status int, send func() answer) {
		t.Helper()
		t.Run(name, func(t *testing.T) {
			if a := send(); a.status != status {
				t.Fatalf("status %d, want %d: %s", a.status, status, a.body)
			}
			rig.checker.check(t, orec.last(t))
		})
	}
	fc := func(tok string, account map[string]any, amount string, hdr map[string]string) func() answer {
		return func() answer {
			return p.call("POST", "/v1/funds-confirmations", tok, fundsBody(account, amount, "EUR", nil), hdr)
		}
	}
	available := func(a answer) bool {
		t.Helper()
		var r struct{ FundsAvailable *bool }
		a.json(t, &r)
		if r.FundsAvailable == nil {
			t.Fatalf("no fundsAvailable: %s", a.body)
		}
		return *r.FundsAvailable
	}
	current := map[string]any{"iban": currentIBAN}

	// The PSU grants on the page: the consent's id, escaped HTML.
	id, page := p.grantOnPage(PaymentCustomerID, currentIBAN, rig.s.DefaultApp.ClientID, "")
	if id == "" || !strings.Contains(page, rig.s.DefaultApp.OrganizationID) || !strings.Contains(page, "PIIS:"+id) {
		t.Fatalf("the grant page shows no consent id, TPP or scope:\n%s", page)
	}
	if st := rig.s.PIISConsentStatus(id); st != StatusReceived {
		t.Fatalf("granted consent is %q, want received", st)
	}
	_, bad := p.grantOnPage(PaymentCustomerID, currentIBAN, rig.s.DefaultApp.ClientID, "<script>alert(1)</script>")
	if strings.Contains(bad, "<script>alert") || !strings.Contains(bad, "&lt;script&gt;") {
		t.Errorf("a bad date is not refused with escaped HTML:\n%s", bad)
	}
	// Another customer's account cannot be granted.
	if got, page := p.grantOnPage(DocumentedPSU, currentIBAN, rig.s.DefaultApp.ClientID, ""); got != "" || !strings.Contains(page, "has no account") {
		t.Errorf("customer 1345611 granted 5000001's account: %q\n%s", got, page)
	}
	// CSRF: a form without a signed-in session of this page does nothing.
	if a := p.post("/psu/piis-consents", url.Values{"session": {"guessed"}, "action": {"grant"}, "account": {currentIBAN}, "tpp": {rig.s.DefaultApp.ClientID}}); a.status != 400 {
		t.Errorf("a guessed session: %d %s", a.status, a.body)
	}

	tok := p.clientToken()
	step("401 CONSENT_INVALID: a received consent, not yet authorised", 401, func() answer {
		a := fc(tok, current, "1.00", map[string]string{"Consent-ID": id})()
		wantAPIError(t, a, 401, CodeConsentInvalid, "", "received")
		return a
	})

	// Another TPP can neither authorise nor use it.
	_, challenge := pkce()
	q := redirected(t, other.authorize(piisQuery(other.app, id, "st-o", challenge)), loopbackRedirect)
	if q.Get("error") != "invalid_scope" || !strings.Contains(q.Get("error_description"), "another TPP") {
		t.Errorf("another TPP's authorization: %v", q)
	}
	otherTok := other.clientToken()
	otherStep("400 CONSENT_UNKNOWN: another TPP names the consent", 400, func() answer {
		a := other.call("POST", "/v1/funds-confirmations", otherTok, fundsBody(current, "1.00", "EUR", nil), map[string]string{"Consent-ID": id})
		wantAPIError(t, a, 400, CodeConsentUnknown, "Consent-ID", "not a PIIS consent of this TPP")
		return a
	})

	// Only the customer who granted it approves it.
	_, challenge = pkce()
	session, otp := p.loginPage(piisQuery(p.app, id, "st-x", challenge))
	if a := p.post("/oauth/login", url.Values{"session": {session}, "psu_id": {DocumentedPSU}, "otp": {otp}}); !bytes.Contains(a.body, []byte("another customer")) {
		t.Errorf("customer 1345611 signs in for 5000001's consent: %s", a.body)
	}
	piis := p.piisToken(id, PaymentCustomerID)
	if st := rig.s.PIISConsentStatus(id); st != StatusValid {
		t.Fatalf("authorised consent is %q, want valid", st)
	}

	cur := spendableCents(t, rig, currentIBAN)
	if a := step("200 true with the PIIS token", 200, fc(piis, current, euros(cur), nil)); !available(a) {
		t.Errorf("%s available: %s", euros(cur), a.body)
	}
	if a := step("200 false with the PIIS token: a cent more", 200, fc(piis, current, euros(cur+1), nil)); available(a) {
		t.Errorf("%s available: %s", euros(cur+1), a.body)
	}
	step("200 the PIIS token with its own Consent-ID", 200, fc(piis, current, "1.00", map[string]string{"Consent-ID": id}))
	step("401 CONSENT_INVALID: an account the consent does not cover", 401, func() answer {
		a := fc(piis, map[string]any{"iban": savingsIBAN}, "1.00", nil)()
		wantAPIError(t, a, 401, CodeConsentInvalid, "", savingsIBAN, currentIBAN)
		return a
	})
	step("400 CONSENT_UNKNOWN: the PIIS token with another Consent-ID", 400, func() answer {
		a := fc(piis, current, "1.00", map[string]string{"Consent-ID": "piis-other"})()
		wantAPIError(t, a, 400, CodeConsentUnknown, "Consent-ID")
		return a
	})
	otherStep("401 TOKEN_INVALID: another TPP's certificate with the PIIS token", 401, func() answer {
		a := other.call("POST", "/v1/funds-confirmations", piis, fundsBody(current, "1.00", "EUR", nil), nil)
		wantAPIError(t, a, 401, CodeTokenInvalid, "")
		return a
	})
	step("200 the client token naming the valid consent", 200, fc(tok, current, "1.00", map[string]string{"Consent-ID": id}))
	step("200 the client token alone stays lenient", 200, fc(tok, map[string]any{"iban": savingsIBAN}, "1.00", nil))

	// An AIS token is no PIIS token.
	cid := p.createConsent(consentBody(nil))
	ais := p.tokens(p.approve(cid, DocumentedPSU)).AccessToken
	step("401 TOKEN_INVALID: an AIS token", 401, func() answer {
		a := fc(ais, current, "1.00", nil)()
		wantAPIError(t, a, 401, CodeTokenInvalid, "", "AIS:")
		return a
	})

	// A card: granted by its holder, asked by pan.
	cardID, err := rig.s.GrantPIISConsent("", piisCard, rig.s.DefaultApp.OrganizationID, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	cardTok := p.piisToken(cardID, DocumentedPSU)
	step("200 the card consent, asked by pan", 200, fc(cardTok, map[string]any{"pan": "5243780000008693"}, "1.00", nil))
	step("401 CONSENT_INVALID: the card consent for an IBAN", 401, func() answer {
		a := fc(cardTok, current, "1.00", nil)()
		wantAPIError(t, a, 401, CodeConsentInvalid, "", piisCard)
		return a
	})

	// Refused on the bank's page: rejected.
	refused, _ := p.grantOnPage(PaymentCustomerID, savingsIBAN, rig.s.DefaultApp.ClientID, "")
	if q, _ := p.piisApprove(refused, PaymentCustomerID, "deny", nil); q.Get("error") != "access_denied" {
		t.Errorf("refusal: %v", q)
	}
	step("401 CONSENT_INVALID: a refused consent", 401, func() answer {
		a := fc(tok, current, "1.00", map[string]string{"Consent-ID": refused})()
		wantAPIError(t, a, 401, CodeConsentInvalid, "", "rejected")
		return a
	})

	// Revoked by the PSU on the page.
	session = p.grantSignIn(PaymentCustomerID)
	a := p.post("/psu/piis-consents", url.Values{"session": {session}, "action": {"revoke"}, "consent": {id}})
	if !strings.Contains(string(a.body), "is revoked") {
		t.Fatalf("revoke: %d %s", a.status, a.body)
	}
	step("401 CONSENT_INVALID: revoked by the PSU", 401, func() answer {
		a := fc(piis, current, "1.00", nil)()
		wantAPIError(t, a, 401, CodeConsentInvalid, "", StatusRevokedByPsu)
		return a
	})

	// Expired after its validUntil day.
	rig.clock.Add(DefaultPIISValidity + 48*time.Hour)
	card := map[string]any{"maskedPan": piisCard}
	step("401 CONSENT_EXPIRED: past validUntil", 401, func() answer {
		// The PIIS token expired long before: a fresh client token names it.
		a := fc(p.clientToken(), card, "1.00", map[string]string{"Consent-ID": cardID})()
		wantAPIError(t, a, 401, CodeConsentExpired, "", "expired")
		return a
	})
}

// TestPIISRequireConsent: with RequirePIISConsent the client-credentials
// token alone confirms no funds; the PIIS token does.
func TestPIISRequireConsent(t *testing.T) {
	rig := newSpecRig(t, Options{RequirePIISConsent: true})
	p, step := rig.p, rig.step
	body := fundsBody(map[string]any{"iban": currentIBAN}, "1.00", "EUR", nil)
	step("401 CONSENT_INVALID: the client token without a PIIS consent", 401, func() answer {
		a := p.call("POST", "/v1/funds-confirmations", p.clientToken(), body, nil)
		wantAPIError(t, a, 401, CodeConsentInvalid, "", "PIIS", "/psu/piis-consents")
		return a
	})
	id, err := rig.s.GrantPIISConsent(PaymentCustomerID, "FI04 1234 5600 0123 43", rig.s.DefaultApp.OrganizationID, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	// AutoApprove: the customer who granted it approves at once.
	verifier, challenge := pkce()
	q := redirected(t, p.authorize(piisQuery(p.app, id, "st", challenge)), loopbackRedirect)
	ea, tr := p.exchange(q.Get("code"), loopbackRedirect, verifier)
	if ea.status != 200 || tr.Scope != "PIIS:"+id || tr.RefreshToken == "" {
		t.Fatalf("exchange: %d %s", ea.status, ea.body)
	}
	step("200 the PIIS token", 200, func() answer { return p.call("POST", "/v1/funds-confirmations", tr.AccessToken, body, nil) })

	for _, c := range []struct{ customer, account, org, want string }{
		{"", "FI0000000000000000", "org", "no test customer has account"},
		{"9999999", currentIBAN, "org", "not a test customer"},
		{PaymentCustomerID, currentIBAN, "", "organisation"},
	} {
		if _, err := rig.s.GrantPIISConsent(c.customer, c.account, c.org, time.Time{}); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("GrantPIISConsent(%q, %q, %q): %v, want %q", c.customer, c.account, c.org, err, c.want)
		}
	}
	md := rig.s.metadata()
	if !strings.Contains(strings.Join(md.ScopesSupported, " "), "PIIS:<consentId>") {
		t.Errorf("metadata scopes: %v", md.ScopesSupported)
	}
}

// TestDataDirKeepsPIISConsents: a valid PIIS consent and its token outlive
// a restart.
func TestDataDirKeepsPIISConsents(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	opts := Options{AutoApprove: true, RatePerSecond: -1}
	s1 := startData(t, dir, opts)
	p1 := bankTPP(t, s1)
	id, err := s1.GrantPIISConsent("", currentIBAN, s1.DefaultApp.OrganizationID, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	waiting, err := s1.GrantPIISConsent("", piisCard, s1.DefaultApp.OrganizationID, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	verifier, challenge := pkce()
	q := redirected(t, p1.authorize(piisQuery(p1.app, id, "st", challenge)), loopbackRedirect)
	_, tr := p1.exchange(q.Get("code"), loopbackRedirect, verifier)
	s1.Close()

	s2 := startData(t, dir, opts)
	defer s2.Close()
	p2 := bankTPP(t, s2)
	if st, st2 := s2.PIISConsentStatus(id), s2.PIISConsentStatus(waiting); st != StatusValid || st2 != StatusReceived {
		t.Errorf("after a restart: %q %q, want valid received", st, st2)
	}
	a := p2.call("POST", "/v1/funds-confirmations", tr.AccessToken, fundsBody(map[string]any{"iban": currentIBAN}, "1.00", "EUR", nil), nil)
	wantStatus(t, a, 200)
}

// TestPIISTokenNeedsPSPIC: a QWAC without PSP_IC gets no PIIS token.
func TestPIISTokenNeedsPSPIC(t *testing.T) {
	ai := extraSet(t, "ai-only")
	app := App{Name: "ai only", ClientID: "ai-client", ClientSecret: "s", APIKey: "k", OrganizationID: qcert.DefaultOrg.OrganizationIdentifier()}
	s := startSandbox(t, Options{AutoApprove: true, RatePerSecond: -1, Trust: []*x509.Certificate{ai.CA.Cert}, Apps: []App{app}})
	id, err := s.GrantPIISConsent("", currentIBAN, app.OrganizationID, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	s.store.locked(func() { s.store.piis[id].CA = "" }) // not bound yet: any CA of the organisation
	p := newParty(t, s, app, ai.QWAC, ai.QSeal)
	verifier, challenge := pkce()
	q := redirected(t, p.authorize(piisQuery(app, id, "st", challenge)), loopbackRedirect)
	a, _ := p.exchange(q.Get("code"), loopbackRedirect, verifier)
	if a.status != 400 || !bytes.Contains(a.body, []byte("unauthorized_client")) || !bytes.Contains(a.body, []byte("PSP_IC")) {
		t.Errorf("PIIS token for a PSP_AI-only QWAC: %d %s", a.status, a.body)
	}
}

// TestGrantOwnPIISConsent: the sandbox's own grant is for its QWAC's
// organisation (its CA known from the default app), the account's holder,
// the default validity, in status received.
func TestGrantOwnPIISConsent(t *testing.T) {
	s := startData(t, "", Options{RatePerSecond: -1})
	defer s.Close()
	id, err := s.GrantOwnPIISConsent(currentIBAN)
	if err != nil {
		t.Fatal(err)
	}
	var p PIISConsent
	s.store.locked(func() { p = *s.store.piis[id] })
	want := dateOf(s.now().Add(DefaultPIISValidity).In(s.zone))
	if p.OrganizationID != s.DefaultApp.OrganizationID || p.CA != s.DefaultApp.CA || p.IBAN != currentIBAN ||
		p.PSU == nil || p.Status != StatusReceived || !p.ValidUntil.Equal(want) {
		t.Errorf("consent %+v, want org %s, CA %s, %s, received until %s", p, s.DefaultApp.OrganizationID, s.DefaultApp.CA, currentIBAN, want)
	}
	if _, err := s.GrantOwnPIISConsent("FI0000000000000000"); err == nil {
		t.Error("an unknown account was granted")
	}
}
