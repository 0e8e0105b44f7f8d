package sandbox

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net/url"
	"strings"
	"testing"

	"github.com/xs2a-dev/xs2a/pkg/qcert"
)

// siblingQWACWithRoles is another QWAC of the default TPP (same subject,
// same CA) whose PSD2 statement names roles.
func siblingQWACWithRoles(t testing.TB, s *Server, roles ...qcert.Role) *qcert.Issued {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	v, err := qcert.MarshalQCStatements(qcert.StatementsSpec{Type: qcert.QcTypeWeb, Roles: roles, NCAName: qcert.DefaultOrg.NCAName, NCAID: qcert.DefaultOrg.NCAIdentifier()})
	if err != nil {
		t.Fatal(err)
	}
	c := s.Certs.QWAC.Cert
	tmpl := &x509.Certificate{SerialNumber: new(big.Int).Add(c.SerialNumber, big.NewInt(7)), RawSubject: c.RawSubject, DNSNames: c.DNSNames,
		NotBefore: c.NotBefore, NotAfter: c.NotAfter, KeyUsage: c.KeyUsage, ExtKeyUsage: c.ExtKeyUsage,
		ExtraExtensions: []pkix.Extension{{Id: qcert.OIDQCStatements, Value: v}}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, s.Certs.CA.Cert, &key.PublicKey, s.Certs.CA.Key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return &qcert.Issued{Cert: cert, Key: key}
}

// TestPaymentPages: only the debtor account's holder may sign in for a
// payment; a PIS code is exchanged only with a QWAC that has PSP_PI; a
// refused payment cannot be authorised again.
func TestPaymentPages(t *testing.T) {
	s := startSandbox(t, Options{RatePerSecond: -1})
	p := bankTPP(t, s)
	_, pc := p.initiate("/v1/payments/sepa-credit-transfers", sepaBody("3.00", nil))
	if pc.PaymentID == "" {
		t.Fatal("no payment")
	}

	scaStatus := func() string {
		t.Helper()
		a := p.call("GET", pc.Links["scaStatus"].Href, p.clientToken(), nil, nil)
		var st scaStatusAnswer
		a.json(t, &st)
		return st.ScaStatus
	}

	// Another customer signs in: refused, asked to sign in as the holder.
	_, challenge := pkce()
	session, otp := p.loginPage(pisQuery(p.app, pc.PaymentID, "st", challenge))
	if st := scaStatus(); st != ScaStarted {
		t.Errorf("scaStatus with the page open: %s", st)
	}
	a := p.post("/oauth/login", url.Values{"session": {session}, "psu_id": {DocumentedPSU}, "otp": {otp}})
	if a.status != 200 || !strings.Contains(string(a.body), "not yours") || strings.Contains(string(a.body), `id="approve"`) {
		t.Errorf("a non-holder's sign-in: %d %s", a.status, a.body)
	}
	if d := p.post("/oauth/decision", url.Values{"session": {session}, "decision": {"approve"}}); d.status == 302 {
		t.Errorf("a decision without the holder's sign-in redirected: %s", d.header.Get("Location"))
	}
	a = p.post("/oauth/login", url.Values{"session": {session}, "psu_id": {PaymentCustomerID}, "otp": {otp}})
	if a.status != 200 || !strings.Contains(string(a.body), `id="approve"`) {
		t.Fatalf("the holder's sign-in: %d %s", a.status, a.body)
	}
	if st := scaStatus(); st != ScaPSUAuthenticated {
		t.Errorf("scaStatus after the holder's sign-in: %s", st)
	}
	if st := p.call("GET", "/v1/payments/sepa-credit-transfers/"+pc.PaymentID+"/status", p.clientToken(), nil, nil); !strings.Contains(string(st.body), `"RCVD"`) {
		t.Errorf("signed in, not decided: %s", st.body)
	}

	// The holder approves; the code exchanged with a PSP_AI-only QWAC of
	// the same TPP is refused, naming PSP_PI.
	q, verifier := p.paymentDecision(pc.PaymentID, PaymentCustomerID, "approve", nil)
	if st := scaStatus(); st != ScaFinalised {
		t.Errorf("scaStatus after approval: %s", st)
	}
	aiOnly := newParty(t, s, s.DefaultApp, siblingQWACWithRoles(t, s, qcert.RoleAI), s.Certs.QSeal)
	a, _ = aiOnly.exchange(q.Get("code"), loopbackRedirect, verifier)
	wantOAuthError(t, a, 400, "unauthorized_client", "do not include PSP_PI")
	a, tr := p.exchange(q.Get("code"), loopbackRedirect, verifier)
	if a.status != 200 || tr.Scope != "PIS:"+pc.PaymentID {
		t.Errorf("exchange with the PSP_PI QWAC: %d %s", a.status, a.body)
	}

	// A refused payment's authorization request is invalid_scope.
	_, pc2 := p.initiate("/v1/payments/sepa-credit-transfers", sepaBody("4.00", nil))
	p.paymentDecision(pc2.PaymentID, PaymentCustomerID, "deny", nil)
	if a := p.authorize(pisQuery(p.app, pc2.PaymentID, "st", pkceChallenge())); a.status != 302 || !strings.Contains(a.header.Get("Location"), "RJCT") {
		t.Errorf("authorize of a rejected payment: %d %s", a.status, a.header.Get("Location"))
	}
	// PIIS is not granted on these pages.
	q3 := pisQuery(p.app, "cns-x", "st", pkceChallenge())
	q3.Set("scope", "PIIS:cns-x")
	if a := p.authorize(q3); a.status != 302 || !strings.Contains(a.header.Get("Location"), "error=invalid_scope") {
		t.Errorf("PIIS scope: %d %s", a.status, a.header.Get("Location"))
	}
}

// TestPaymentAutoApprove: --auto-approve approves a payment as its debtor
// account's holder, whoever AutoApprovePSU names.
func TestPaymentAutoApprove(t *testing.T) {
	s := startSandbox(t, Options{RatePerSecond: -1, AutoApprove: true})
	p := bankTPP(t, s)
	_, pc := p.initiate("/v1/payments/instant-sepa-credit-transfers", sepaBody("7.00", nil))
	verifier, challenge := pkce()
	q := redirected(t, p.authorize(pisQuery(p.app, pc.PaymentID, "st-auto", challenge)), loopbackRedirect)
	if q.Get("code") == "" {
		t.Fatalf("no code: %v", q)
	}
	if a, _ := p.exchange(q.Get("code"), loopbackRedirect, verifier); a.status != 200 {
		t.Fatalf("exchange: %d %s", a.status, a.body)
	}
	a := p.call("GET", "/v1/payments/instant-sepa-credit-transfers/"+pc.PaymentID+"/status", p.clientToken(), nil, nil)
	if !strings.Contains(string(a.body), `"transactionStatus":"ACCC"`) {
		t.Errorf("status: %s", a.body)
	}
}
