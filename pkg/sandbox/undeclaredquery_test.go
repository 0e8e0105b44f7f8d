package sandbox

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestOpenAPIUndeclaredQueryEverywhere: a query parameter the file does
// not declare is refused on every operation, not only the account reads
// (the file declares query parameters on those alone): consents, payments,
// funds confirmation, signing baskets. Each request breaks the file on
// purpose (the validator must say so) and each 400 FORMAT_ERROR answer is
// checked against it; nothing was created or spent by a refused call.
func TestOpenAPIUndeclaredQueryEverywhere(t *testing.T) {
	rig := newSpecRig(t, Options{AutoApprovePSU: PaymentCustomerID, RatePerDay: -1})
	p := rig.p
	tok := p.clientToken()
	const pp = "/v1/payments/sepa-credit-transfers"
	_, pc := p.initiate(pp, sepaBody("1.00", nil))
	cid := p.createConsent(consentBody(nil))
	hdr := map[string]string{"Content-Type": "application/json", "PSU-IP-Address": "192.0.2.1"}
	funds, _ := json.Marshal(map[string]any{"account": map[string]any{"iban": currentIBAN}, "instructedAmount": map[string]any{"currency": "EUR", "amount": "1.00"}})
	for _, tc := range []struct {
		method, path string
		body         []byte
	}{
		{"POST", "/v1/consents?foo=1", consentBody(nil)},
		{"GET", "/v1/consents/" + cid + "?foo=1", nil},
		{"GET", "/v1/consents/" + cid + "/status?withBalance=true", nil},
		{"POST", pp + "?foo=1", sepaBody("1.00", nil)},
		{"GET", pp + "/" + pc.PaymentID + "?foo=1", nil},
		{"GET", pp + "/" + pc.PaymentID + "/status?page=1", nil},
		{"GET", pp + "/" + pc.PaymentID + "/authorisations?foo=1", nil},
		{"POST", "/v1/funds-confirmations?foo=1", funds},
		{"GET", "/v1/signing-baskets/x?foo=1", nil},
	} {
		rig.badStep("400 FORMAT_ERROR (undeclared query, "+tc.method+" "+tc.path+")", 400, func() answer {
			a := p.call(tc.method, tc.path, tok, tc.body, hdr)
			if !strings.Contains(string(a.body), "FORMAT_ERROR") || !strings.Contains(string(a.body), "is not defined for "+tc.method+" ") {
				t.Errorf("%s %s: %s", tc.method, tc.path, a.body)
			}
			return a
		})
	}
	// The refused initiation created no payment: the TPP's payments are
	// the one above.
	n := 0
	rig.s.store.locked(func() {
		for _, q := range rig.s.store.payments.byID {
			if q.ID != pc.PaymentID {
				n++
			}
		}
	})
	if n != 0 {
		t.Errorf("%d payments created by refused initiations", n)
	}
}
