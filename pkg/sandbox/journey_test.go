package sandbox

import (
	"strings"
	"testing"
	"time"
)

func TestJourneyAutoApproved(t *testing.T) {
	s := startSandbox(t, Options{AutoApprove: true, RatePerSecond: -1})
	p := newTPP(t, s)
	cid, at := p.journey(allAccounts)

	a := p.api("GET", "/v1/card-accounts", at, nil, map[string]string{"Consent-ID": cid})
	if a.status != 200 {
		t.Fatalf("card-accounts: %d %s", a.status, a.body)
	}
	var list struct {
		CardAccounts []struct{ ResourceID, MaskedPan, Name string }
	}
	a.json(t, &list)
	if len(list.CardAccounts) != 2 || list.CardAccounts[0].MaskedPan != "524378******8693" || list.CardAccounts[1].MaskedPan != "524366******8694" ||
		list.CardAccounts[0].Name != "MC_CARD" {
		t.Errorf("card accounts = %+v", list.CardAccounts)
	}
	if a.header.Get("X-Request-ID") == "" {
		t.Error("X-Request-ID not echoed")
	}

	a = p.api("GET", "/v1/card-accounts/card-8693/balances", at, nil, map[string]string{"Consent-ID": cid, "PSU-IP-Address": "192.0.2.1"})
	if a.status != 200 || !strings.Contains(string(a.body), `"balanceType":"interimAvailable"`) {
		t.Errorf("balances: %d %s", a.status, a.body)
	}
	from := time.Now().AddDate(0, 0, -60).Format(time.DateOnly)
	a = p.api("GET", "/v1/card-accounts/card-8693/transactions?bookingStatus=both&dateFrom="+from, at, nil, map[string]string{"Consent-ID": cid, "PSU-IP-Address": "192.0.2.1"})
	if a.status != 200 || !strings.Contains(string(a.body), `"booked":[{`) {
		t.Errorf("transactions: %d %.300s", a.status, a.body)
	}
}

func TestSignatureRejectionExplains(t *testing.T) {
	s := startSandbox(t, Options{})
	p := newTPP(t, s)
	tok := p.clientToken()
	// Unsigned request over mTLS: SIGNATURE_MISSING.
	req := mustGet(s.URL + "/v1/consents/x")
	req.Header.Set("X-Request-ID", "99391c7e-ad88-49ec-a2ad-99ddcb1f7721")
	req.Header.Set("Authorization", "Bearer "+tok)
	a := do(t, p.plain, req)
	if a.status != 401 || a.codes(t)[0] != CodeSignatureMissing {
		t.Errorf("unsigned: %d %v", a.status, a.codes(t))
	}
	if !strings.Contains(a.text(t), "no Signature header") {
		t.Errorf("text does not explain: %s", a.text(t))
	}
}
