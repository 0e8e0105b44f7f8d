package sandbox

import (
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestDataDirKeepsPayments: with a data directory, a settled payment, its
// booked debit, a payment awaiting authorisation and its authorisations
// outlive a restart; the waiting one is then authorised and settled.
func TestDataDirKeepsPayments(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	clock := newClock(time.Now())
	opts := Options{AutoApprove: true, RatePerSecond: -1, Now: clock.Now}
	const sct = "/v1/payments/sepa-credit-transfers"
	approve := func(p *party, id string) {
		t.Helper()
		verifier, challenge := pkce()
		q := redirected(t, p.authorize(pisQuery(p.app, id, "st", challenge)), loopbackRedirect)
		if a, tr := p.exchange(q.Get("code"), loopbackRedirect, verifier); a.status != 200 || tr.Scope != "PIS:"+id {
			t.Fatalf("exchange: %d %s", a.status, a.body)
		}
	}
	status := func(p *party, id string) string {
		t.Helper()
		a := p.call("GET", sct+"/"+id+"/status", p.clientToken(), nil, nil)
		var st struct{ TransactionStatus string }
		a.json(t, &st)
		return st.TransactionStatus
	}
	booked := func(s *Server) []AccountTransaction {
		today := bankDate(clock.Now())
		var out []AccountTransaction
		s.store.locked(func() {
			out = s.psu(PaymentCustomerID).Accounts[0].ledger.between(today.AddDate(0, 0, -1), today.AddDate(0, 0, 1))
		})
		return out
	}

	s1 := startData(t, dir, opts)
	p1 := bankTPP(t, s1)
	_, settled := p1.initiate(sct, sepaBody("11.00", nil))
	approve(p1, settled.PaymentID)
	_, waiting := p1.initiate(sct, sepaBody("22.00", nil))
	wantStatus(t, p1.call("POST", sct+"/"+waiting.PaymentID+"/authorisations", p1.clientToken(), nil, nil), 201)
	if st := status(p1, settled.PaymentID); st != "ACSC" {
		t.Fatalf("before the restart: %s", st)
	}
	s1.Close()

	s2 := startData(t, dir, opts)
	defer s2.Close()
	p2 := bankTPP(t, s2)
	if st := status(p2, settled.PaymentID); st != "ACSC" {
		t.Errorf("the settled payment after a restart: %s", st)
	}
	if b := booked(s2); len(b) != 1 || b[0].TransactionAmount.Amount != "-11.00" || b[0].EntryReference != settled.PaymentID {
		t.Errorf("the booked debit after a restart: %+v", b)
	}
	if st := status(p2, waiting.PaymentID); st != "RCVD" {
		t.Errorf("the waiting payment after a restart: %s", st)
	}
	a := p2.call("GET", sct+"/"+waiting.PaymentID+"/authorisations", p2.clientToken(), nil, nil)
	if strings.Count(string(a.body), "auth-") != 2 {
		t.Errorf("authorisations after a restart: %s", a.body)
	}
	approve(p2, waiting.PaymentID)
	if st := status(p2, waiting.PaymentID); st != "ACSC" {
		t.Errorf("authorised after a restart: %s", st)
	}
	if b := booked(s2); len(b) != 2 {
		t.Errorf("booked after a restart and a second payment: %+v", b)
	}
}
