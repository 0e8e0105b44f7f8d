package sandbox

import (
	"bytes"
	"crypto/x509"
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/xs2a-dev/xs2a/pkg/qcert"
)

// sepaBody is a single payment from the payment customer's current
// account, changed by edit.
func sepaBody(amount string, edit func(m map[string]any)) []byte {
	m := map[string]any{
		"endToEndIdentification":            "E2E-TEST-1",
		"debtorAccount":                     map[string]any{"iban": currentIBAN, "currency": "EUR"},
		"instructedAmount":                  map[string]any{"currency": "EUR", "amount": amount},
		"creditorAccount":                   map[string]any{"iban": landlord.iban},
		"creditorName":                      landlord.name,
		"remittanceInformationUnstructured": "Rent 12/2026",
	}
	if edit != nil {
		edit(m)
	}
	b, err := json.Marshal(m)
	if err != nil {
		panic(err)
	}
	return b
}

var pisIP = map[string]string{"PSU-IP-Address": "192.0.2.1"}

type pisCreated struct {
	TransactionStatus string          `json:"transactionStatus"`
	PaymentID         string          `json:"paymentId"`
	Links             map[string]link `json:"_links"`
}

// initiate posts a payment and reads the 201.
func (p *party) initiate(path string, body []byte) (answer, pisCreated) {
	p.t.Helper()
	a := p.call("POST", path, p.clientToken(), body, pisIP)
	var pc pisCreated
	if a.status == 201 {
		a.json(p.t, &pc)
	}
	return a, pc
}

func pisQuery(app App, paymentID, state, challenge string) url.Values {
	q := authQuery(app, "", loopbackRedirect, state, challenge)
	q.Set("scope", "PIS:"+paymentID)
	return q
}

// paymentDecision runs the pages for a payment as psu (AutoApprove off)
// and returns the redirect's query.
func (p *party) paymentDecision(paymentID, psu, decision string, check func(page string)) (url.Values, string) {
	p.t.Helper()
	verifier, challenge := pkce()
	session, otp := p.loginPage(pisQuery(p.app, paymentID, "st-pis", challenge))
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

func (p *party) available(token, cid, acc string) int64 {
	p.t.Helper()
	a := p.call("GET", "/v1/accounts/"+acc+"/balances", token, nil, map[string]string{"Consent-ID": cid, "PSU-IP-Address": "192.0.2.1"})
	wantStatus(p.t, a, 200)
	var r struct{ Balances []Balance }
	a.json(p.t, &r)
	for _, b := range r.Balances {
		if b.BalanceType == "interimAvailable" {
			return parseCents(b.BalanceAmount.Amount)
		}
	}
	p.t.Fatalf("no interimAvailable: %s", a.body)
	return 0
}

// TestOpenAPIPayments: single payments of the four products, their
// resources, authorisations and errors, every answer checked against the
// official file; the PSU authorises on the bank's pages (AutoApprove off)
// and the executed payment shows through AIS.
func TestOpenAPIPayments(t *testing.T) {
	rig := newSpecRigAs(t, otherOrgOptions(t, Options{}))
	p, step, badStep := rig.p, rig.step, rig.badStep
	tok := p.clientToken()
	post := func(path string, body []byte, hdr map[string]string) func() answer {
		return func() answer { return p.call("POST", path, tok, body, hdr) }
	}
	get := func(path string) func() answer { return func() answer { return p.call("GET", path, tok, nil, nil) } }

	// The PSU's AIS view of the current account, before.
	cid := p.createConsent(consentBody(nil))
	ais := p.tokens(p.approve(cid, PaymentCustomerID)).AccessToken
	before := p.available(ais, cid, "acc-2343")

	const sct = "/v1/payments/sepa-credit-transfers"
	var pc pisCreated
	step("201 SEPA credit transfer initiated", 201, func() answer {
		a := p.call("POST", sct, tok, sepaBody("123.45", nil), pisIP)
		a.json(t, &pc)
		if pc.TransactionStatus != "RCVD" || !strings.HasPrefix(pc.PaymentID, "pmt-") || pc.Links["scaOAuth"].Href == "" ||
			pc.Links["self"].Href != sct+"/"+pc.PaymentID || !strings.HasPrefix(pc.Links["scaStatus"].Href, sct+"/"+pc.PaymentID+"/authorisations/") {
			t.Errorf("201: %s", a.body)
		}
		if a.header.Get("Location") != sct+"/"+pc.PaymentID || a.header.Get("ASPSP-SCA-Approach") != "REDIRECT" {
			t.Errorf("headers: %v", a.header)
		}
		return a
	})
	self := sct + "/" + pc.PaymentID
	step("200 payment information", 200, func() answer {
		a := get(self)()
		if !strings.Contains(string(a.body), `"transactionStatus":"RCVD"`) || !strings.Contains(string(a.body), `"creditorName":"`+landlord.name+`"`) {
			t.Errorf("payment: %s", a.body)
		}
		return a
	})
	step("200 status RCVD", 200, get(self+"/status"))
	implicit := pc.Links["scaStatus"].Href
	step("200 implicit authorisation received", 200, func() answer {
		a := get(implicit)()
		if !strings.Contains(string(a.body), `"scaStatus":"received"`) {
			t.Errorf("scaStatus: %s", a.body)
		}
		return a
	})
	var started startedAuthorisation
	step("201 authorisation started", 201, func() answer {
		a := post(self+"/authorisations", nil, nil)()
		a.json(t, &started)
		if started.ScaStatus != "received" || started.Links["scaStatus"].Href != self+"/authorisations/"+started.AuthorisationID {
			t.Errorf("started: %s", a.body)
		}
		return a
	})
	step("200 authorisation list", 200, func() answer {
		a := get(self + "/authorisations")()
		if !strings.Contains(string(a.body), started.AuthorisationID) || !strings.Contains(string(a.body), strings.TrimPrefix(implicit, self+"/authorisations/")) {
			t.Errorf("list: %s", a.body)
		}
		return a
	})
	step("403 unknown authorisation", 403, get(self+"/authorisations/auth-nope"))

	// The PSU approves on the page, which shows the payment.
	q, verifier := p.paymentDecision(pc.PaymentID, PaymentCustomerID, "approve", func(page string) {
		for _, want := range []string{"123.45 EUR", landlord.name, landlord.iban, currentIBAN, "Rent 12/2026"} {
			if !strings.Contains(page, want) {
				t.Errorf("the payment page lacks %q", want)
			}
		}
	})
	a, tr := p.exchange(q.Get("code"), loopbackRedirect, verifier)
	wantStatus(t, a, 200)
	if tr.Scope != "PIS:"+pc.PaymentID {
		t.Errorf("token scope %q", tr.Scope)
	}
	step("200 status ACSC", 200, func() answer {
		a := get(self + "/status")()
		if !strings.Contains(string(a.body), `"transactionStatus":"ACSC"`) {
			t.Errorf("status: %s", a.body)
		}
		return a
	})
	step("200 scaStatus finalised", 200, func() answer {
		a := get(self + "/authorisations/" + started.AuthorisationID)()
		if !strings.Contains(string(a.body), `"scaStatus":"finalised"`) {
			t.Errorf("scaStatus: %s", a.body)
		}
		return a
	})
	if after := p.available(ais, cid, "acc-2343"); after != before-12345 {
		t.Errorf("available %d after, %d before: want the 123.45 debited", after, before)
	}
	today := bankDate(rig.clock.Now()).Format(time.DateOnly)
	tx := p.call("GET", "/v1/accounts/acc-2343/transactions?bookingStatus=booked&dateFrom="+today, ais, nil, map[string]string{"Consent-ID": cid, "PSU-IP-Address": "192.0.2.1"})
	wantStatus(t, tx, 200)
	var rep accountsReport
	tx.json(t, &rep)
	found := false
	for _, e := range rep.Transactions.Booked {
		if e.TransactionAmount.Amount == "-123.45" && e.CreditorName == landlord.name && e.CreditorAccount.IBAN == landlord.iban {
			found = true
			one := p.call("GET", "/v1/accounts/acc-2343/transactions/"+e.TransactionID, ais, nil, map[string]string{"Consent-ID": cid, "PSU-IP-Address": "192.0.2.1"})
			wantStatus(t, one, 200)
		}
	}
	if !found {
		t.Errorf("the payment is not among the booked transactions: %s", tx.body)
	}
	step("405 CANCELLATION_INVALID after settlement", 405, func() answer {
		a := p.call("DELETE", self, tok, nil, nil)
		wantAPIError(t, a, 405, CodeCancellationInvalid, "", "ACSC")
		if allow, ok := a.header["Allow"]; !ok || allow[0] != "GET" {
			t.Errorf("Allow %q", allow)
		}
		return a
	})
	step("409 no authorisation of a settled payment", 409, post(self+"/authorisations", nil, nil))

	// Cancelled before authorisation.
	_, c2 := p.initiate(sct, sepaBody("5.00", nil))
	step("204 cancelled before authorisation", 204, func() answer { return p.call("DELETE", sct+"/"+c2.PaymentID, tok, nil, nil) })
	step("200 status CANC", 200, func() answer {
		a := get(sct + "/" + c2.PaymentID + "/status")()
		if !strings.Contains(string(a.body), `"transactionStatus":"CANC"`) {
			t.Errorf("status: %s", a.body)
		}
		return a
	})
	if a := p.authorize(pisQuery(p.app, c2.PaymentID, "st", pkceChallenge())); a.status != 302 || !strings.Contains(a.header.Get("Location"), "invalid_scope") {
		t.Errorf("authorize of a cancelled payment: %d %s", a.status, a.header.Get("Location"))
	}

	// Refused by the PSU.
	_, c3 := p.initiate(sct, sepaBody("6.00", nil))
	q3, _ := p.paymentDecision(c3.PaymentID, PaymentCustomerID, "deny", nil)
	if q3.Get("error") != "access_denied" {
		t.Errorf("refusal redirect: %v", q3)
	}
	step("200 status RJCT, refused", 200, func() answer {
		a := get(sct + "/" + c3.PaymentID + "/status")()
		if !strings.Contains(string(a.body), `"transactionStatus":"RJCT"`) || !strings.Contains(string(a.body), "refused") {
			t.Errorf("status: %s", a.body)
		}
		return a
	})

	// Not covered by the available balance.
	_, c4 := p.initiate(sct, sepaBody("99999999.00", nil))
	q4, v4 := p.paymentDecision(c4.PaymentID, PaymentCustomerID, "approve", nil)
	if a, _ := p.exchange(q4.Get("code"), loopbackRedirect, v4); a.status != 200 {
		t.Errorf("exchange after a rejected execution: %d %s", a.status, a.body)
	}
	step("200 status RJCT, no funds", 200, func() answer {
		a := get(sct + "/" + c4.PaymentID + "/status")()
		if !strings.Contains(string(a.body), `"transactionStatus":"RJCT"`) || !strings.Contains(string(a.body), `"fundsAvailable":false`) ||
			!strings.Contains(string(a.body), "Insufficient funds") {
			t.Errorf("status: %s", a.body)
		}
		return a
	})

	// The other products.
	for product, final := range map[string]string{"instant-sepa-credit-transfers": "ACCC", "target-2-payments": "ACSC", "cross-border-credit-transfers": "ACSC"} {
		path := "/v1/payments/" + product
		var c pisCreated
		step("201 "+product, 201, func() answer {
			a := post(path, sepaBody("1.00", nil), pisIP)()
			a.json(t, &c)
			return a
		})
		p.paymentDecision(c.PaymentID, PaymentCustomerID, "approve", nil)
		step("200 "+product+" "+final, 200, func() answer {
			a := get(path + "/" + c.PaymentID + "/status")()
			if !strings.Contains(string(a.body), `"transactionStatus":"`+final+`"`) {
				t.Errorf("status: %s", a.body)
			}
			return a
		})
		step("403 "+product+" id under another product", 403, get(sct+"/"+c.PaymentID))
	}

	// Bad input, each answer against the file.
	step("404 PRODUCT_UNKNOWN (pain.001)", 404, func() answer {
		a := post("/v1/payments/pain.001-sepa-credit-transfers", sepaBody("1.00", nil), pisIP)()
		wantAPIError(t, a, 404, CodeProductUnknown, "payment-product", "sepa-credit-transfers")
		return a
	})
	badStep("404 PRODUCT_UNKNOWN (not the file's)", 404, post("/v1/payments/swift-wires", sepaBody("1.00", nil), pisIP))
	step("400 creditor IBAN check digits", 400, func() answer {
		a := post(sct, sepaBody("1.00", func(m map[string]any) { m["creditorAccount"] = map[string]any{"iban": "FI1512345600012343"} }), pisIP)()
		wantAPIError(t, a, 400, CodeFormatError, "creditorAccount.iban", "mod 97")
		return a
	})
	step("400 debtor account of no customer", 400, func() answer {
		a := post(sct, sepaBody("1.00", func(m map[string]any) { m["debtorAccount"] = map[string]any{"iban": landlord.iban} }), pisIP)()
		wantAPIError(t, a, 400, CodeResourceUnknown, "debtorAccount.iban", currentIBAN)
		return a
	})
	step("400 three decimals", 400, func() answer {
		a := post(sct, sepaBody("1.001", nil), pisIP)()
		wantAPIError(t, a, 400, CodeFormatError, "instructedAmount.amount", "two decimals")
		return a
	})
	step("400 amount with a comma", 400, post(sct, sepaBody("12,34", nil), pisIP))
	badStep("400 no PSU-IP-Address", 400, func() answer {
		a := p.call("POST", sct, tok, sepaBody("1.00", nil), map[string]string{"PSU-IP-Address": ""})
		wantAPIError(t, a, 400, CodeFormatError, "PSU-IP-Address", "mandatory")
		return a
	})
	badStep("400 no creditorName", 400, post(sct, sepaBody("1.00", func(m map[string]any) { delete(m, "creditorName") }), pisIP))
	step("400 zero amount", 400, post(sct, sepaBody("0.00", nil), pisIP))
	step("403 unknown payment", 403, get(sct+"/pmt-nope"))

	// Another TPP's payment.
	other := otherTPP(t, rig.s)
	_, oc := other.initiate(sct, sepaBody("2.00", nil))
	for _, m := range []struct{ method, path string }{{"GET", ""}, {"GET", "/status"}, {"DELETE", ""}, {"GET", "/authorisations"}} {
		step("403 another TPP's payment "+m.method+m.path, 403, func() answer {
			a := p.call(m.method, sct+"/"+oc.PaymentID+m.path, tok, nil, nil)
			wantAPIError(t, a, 403, CodeResourceUnknown, "paymentId", "not a payment of this TPP")
			return a
		})
	}
	if a := p.authorize(pisQuery(p.app, oc.PaymentID, "st", pkceChallenge())); a.status != 302 || !strings.Contains(a.header.Get("Location"), "another+TPP") {
		t.Errorf("authorize of another TPP's payment: %d %s", a.status, a.header.Get("Location"))
	}

	step("405 signing baskets not supported", 405, func() answer {
		a := post("/v1/signing-baskets", []byte(`{"paymentIds":["`+pc.PaymentID+`"]}`), pisIP)()
		wantAPIError(t, a, 405, CodeServiceInvalid, "", "signing baskets are not supported")
		if allow, ok := a.header["Allow"]; !ok || allow[0] != "" {
			t.Errorf("Allow %q, want present and empty", allow)
		}
		return a
	})
}

func pkceChallenge() string {
	_, c := pkce()
	return c
}

// TestPISRoles: a QWAC or QSealC without PSP_PI is refused on the PIS
// paths with ROLE_INVALID naming PSP_PI, and the answer conforms to the
// file.
func TestPISRoles(t *testing.T) {
	ai := extraSet(t, "ai-only")
	app := App{Name: "ai only", ClientID: "ai-client", ClientSecret: "s", APIKey: "k", OrganizationID: qcert.DefaultOrg.OrganizationIdentifier()}
	rig := newSpecRig(t, Options{Trust: []*x509.Certificate{ai.CA.Cert}, Apps: []App{app}})
	for _, c := range []struct {
		name        string
		app         App
		qwac, qseal *qcert.Issued
		use         string
	}{
		{"QWAC without PSP_PI", app, ai.QWAC, rig.s.Certs.QSeal, "QWAC"},
		{"QSealC without PSP_PI", rig.s.DefaultApp, rig.s.Certs.QWAC, ai.QSeal, "QSealC"},
	} {
		t.Run(c.name, func(t *testing.T) {
			party := newParty(t, rig.s, c.app, c.qwac, c.qseal)
			rec := &recorder{base: party.plain.Transport}
			party.signed = signing(rec, c.qseal)
			a := party.call("POST", "/v1/payments/sepa-credit-transfers", party.clientToken(), sepaBody("1.00", nil), pisIP)
			wantAPIError(t, a, 401, CodeRoleInvalid, "", "the "+c.use+"'s PSD2 roles [PSP_AI] do not include PSP_PI, which payment initiation needs")
			rig.checker.check(t, rec.last(t))
			// The cancellation authorisations are PIS paths too.
			a = party.call("POST", "/v1/periodic-payments/sepa-credit-transfers/pmt-any/cancellation-authorisations", party.clientToken(), nil, nil)
			wantAPIError(t, a, 401, CodeRoleInvalid, "", "do not include PSP_PI, which payment initiation needs")
			rig.checker.check(t, rec.last(t))
		})
	}
}

// TestOpenAPIPeriodicAndBulk: a standing order (periodic-payments) and a
// bulk (bulk-payments) accepted, authorised and followed, against the
// file. The file's oneOf of the three bodies cannot tell a periodic
// payment from a single one (a periodic body is a valid single one too):
// those steps accept that ambiguity only and check the schema meant.
func TestOpenAPIPeriodicAndBulk(t *testing.T) {
	rig := newSpecRigAs(t, Options{})
	p, step, badStep := rig.p, rig.step, rig.badStep
	tok := p.clientToken()
	today := bankDate(rig.clock.Now())
	periodic := func(edit func(m map[string]any)) []byte {
		return sepaBody("50.00", func(m map[string]any) {
			m["startDate"] = today.AddDate(0, 0, 3).Format(time.DateOnly)
			m["endDate"] = today.AddDate(1, 0, 0).Format(time.DateOnly)
			m["frequency"] = "Monthly"
			m["executionRule"] = "following"
			m["dayOfExecution"] = "26"
			if edit != nil {
				edit(m)
			}
		})
	}
	const pp = "/v1/periodic-payments/sepa-credit-transfers"
	var pc pisCreated
	rig.stepOneOf("201 standing order initiated", 201, "paymentInitiationRequestResponse-201", true, func() answer {
		a := p.call("POST", pp, tok, periodic(nil), pisIP)
		a.json(t, &pc)
		if pc.TransactionStatus != "RCVD" || pc.Links["self"].Href != pp+"/"+pc.PaymentID {
			t.Errorf("201: %s", a.body)
		}
		return a
	})
	rig.stepOneOf("200 standing order information", 200, "periodicPaymentInitiationWithStatusResponse", true, func() answer {
		a := p.call("GET", pp+"/"+pc.PaymentID, tok, nil, nil)
		for _, want := range []string{`"frequency":"Monthly"`, `"dayOfExecution":"26"`, `"executionRule":"following"`, `"transactionStatus":"RCVD"`} {
			if !strings.Contains(string(a.body), want) {
				t.Errorf("lacks %s: %s", want, a.body)
			}
		}
		return a
	})
	p.paymentDecision(pc.PaymentID, PaymentCustomerID, "approve", func(page string) {
		if !strings.Contains(page, "A standing order: Monthly from") {
			t.Errorf("the page does not say it is a standing order")
		}
	})
	step("200 standing order ACTC", 200, func() answer {
		a := p.call("GET", pp+"/"+pc.PaymentID+"/status", tok, nil, nil)
		if !strings.Contains(string(a.body), `"transactionStatus":"ACTC"`) {
			t.Errorf("status: %s", a.body)
		}
		return a
	})
	// Its cancellation needs the PSU's authorisation (paycancel_test.go).
	step("202 standing order: the PSU authorises its cancellation", 202, func() answer { return p.call("DELETE", pp+"/"+pc.PaymentID, tok, nil, nil) })
	rig.stepOneOf("400 startDate in the past", 400, "", true, func() answer {
		a := p.call("POST", pp, tok, periodic(func(m map[string]any) { m["startDate"] = today.AddDate(0, 0, -1).Format(time.DateOnly) }), pisIP)
		wantAPIError(t, a, 400, "EXECUTION_DATE_INVALID", "startDate", "in the past")
		return a
	})
	rig.stepOneOf("400 endDate before startDate", 400, "", true, func() answer {
		a := p.call("POST", pp, tok, periodic(func(m map[string]any) { m["endDate"] = today.Format(time.DateOnly) }), pisIP)
		wantAPIError(t, a, 400, CodeFormatError, "endDate", "before startDate")
		return a
	})
	step("400 unknown frequency", 400, func() answer {
		a := p.call("POST", pp, tok, periodic(func(m map[string]any) { m["frequency"] = "Fortnightly" }), pisIP)
		wantAPIError(t, a, 400, CodeFormatError, "frequency", "EveryTwoWeeks")
		return a
	})
	step("400 no startDate", 400, func() answer {
		a := p.call("POST", pp, tok, sepaBody("1.00", nil), pisIP)
		wantAPIError(t, a, 400, CodeFormatError, "startDate", "required")
		return a
	})

	// A bulk of two, booked as two entries.
	const bp = "/v1/bulk-payments/sepa-credit-transfers"
	bulk := func(amounts ...string) []byte {
		var ps []map[string]any
		for i, a := range amounts {
			f := friends[i%len(friends)]
			ps = append(ps, map[string]any{"instructedAmount": map[string]any{"currency": "EUR", "amount": a},
				"creditorAccount": map[string]any{"iban": f.iban}, "creditorName": f.name, "remittanceInformationUnstructured": "Bulk " + a})
		}
		b, _ := json.Marshal(map[string]any{"batchBookingPreferred": false, "debtorAccount": map[string]any{"iban": savingsIBAN}, "payments": ps})
		return b
	}
	var bc pisCreated
	step("201 bulk initiated", 201, func() answer {
		a := p.call("POST", bp, tok, bulk("10.00", "20.50"), pisIP)
		a.json(t, &bc)
		return a
	})
	step("200 bulk information", 200, func() answer {
		a := p.call("GET", bp+"/"+bc.PaymentID, tok, nil, nil)
		if !strings.Contains(string(a.body), `"batchBookingPreferred":false`) || strings.Count(string(a.body), `"creditorName"`) != 2 {
			t.Errorf("bulk: %s", a.body)
		}
		return a
	})
	p.paymentDecision(bc.PaymentID, PaymentCustomerID, "approve", func(page string) {
		if !strings.Contains(page, "30.50 EUR") || !strings.Contains(page, friends[1].name) {
			t.Errorf("the bulk's page lacks the total or a creditor")
		}
	})
	step("200 bulk ACSC", 200, func() answer {
		a := p.call("GET", bp+"/"+bc.PaymentID+"/status", tok, nil, nil)
		if !strings.Contains(string(a.body), `"transactionStatus":"ACSC"`) {
			t.Errorf("status: %s", a.body)
		}
		return a
	})
	var booked []AccountTransaction
	rig.s.store.locked(func() {
		booked = rig.s.psu(PaymentCustomerID).Accounts[1].ledger.between(today.AddDate(0, 0, -1), today.AddDate(0, 0, 1))
	})
	if len(booked) != 2 {
		t.Errorf("bulk booked %d entries on the savings account, want 2", len(booked))
	}
	// Batch booking: one entry of the sum.
	var bb pisCreated
	step("201 bulk with batch booking", 201, func() answer {
		a := p.call("POST", bp, tok, bytes.Replace(bulk("1.00", "2.00", "3.00"), []byte(`"batchBookingPreferred":false`), []byte(`"batchBookingPreferred":true`), 1), pisIP)
		a.json(t, &bb)
		return a
	})
	p.paymentDecision(bb.PaymentID, PaymentCustomerID, "approve", nil)
	rig.s.store.locked(func() {
		booked = rig.s.psu(PaymentCustomerID).Accounts[1].ledger.between(today.AddDate(0, 0, -1), today.AddDate(0, 0, 1))
	})
	if len(booked) != 3 || booked[0].TransactionAmount.Amount != "-6.00" || booked[0].CreditorName != "Bulk of 3 payments" || booked[0].CreditorAccount != nil {
		t.Errorf("batch booking: %+v", booked)
	}
	step("400 bulk without payments", 400, func() answer {
		a := p.call("POST", bp, tok, []byte(`{"debtorAccount":{"iban":"`+savingsIBAN+`"},"payments":[]}`), pisIP)
		wantAPIError(t, a, 400, CodeFormatError, "payments", "at least one")
		return a
	})
	badStep("400 batchBookingPreferred not a boolean", 400, func() answer {
		a := p.call("POST", bp, tok, bytes.Replace(bulk("1.00"), []byte(`"batchBookingPreferred":false`), []byte(`"batchBookingPreferred":"no"`), 1), pisIP)
		wantAPIError(t, a, 400, CodeFormatError, "batchBookingPreferred", "boolean")
		return a
	})
	step("400 bulk element with a bad IBAN", 400, func() answer {
		b := bytes.Replace(bulk("1.00", "2.00"), []byte(friends[1].iban), []byte("FI0012345600012343"), 1)
		a := p.call("POST", bp, tok, b, pisIP)
		wantAPIError(t, a, 400, CodeFormatError, "payments[1].creditorAccount.iban", "not an IBAN")
		return a
	})
}
