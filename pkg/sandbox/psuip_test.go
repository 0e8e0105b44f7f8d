package sandbox

import (
	"testing"
)

// TestPSUIPAddress: mandatory on POST /v1/consents (the file), and an IP
// address wherever sent: a malformed one is FORMAT_ERROR, never the PSU's
// presence that skips frequencyPerDay.
func TestPSUIPAddress(t *testing.T) {
	s := startSandbox(t, Options{RatePerSecond: -1, AutoApprove: true})
	p := bankTPP(t, s)
	tok := p.clientToken()

	t.Run("missing on POST /v1/consents", func(t *testing.T) {
		a := p.call("POST", "/v1/consents", tok, consentBody(nil), map[string]string{"PSU-IP-Address": ""})
		wantAPIError(t, a, 400, CodeFormatError, "PSU-IP-Address", "PSU-IP-Address header is missing")
	})

	// A recurring consent with one access a day without the PSU.
	cid := p.createConsent(consentBody(func(m map[string]any) { m["frequencyPerDay"] = 1 }))
	at := p.tokens(p.autoCode(cid)).AccessToken
	for _, tc := range []struct {
		ip   string
		want int
	}{
		{"999.1.1.1", 400},
		{"192.0.2", 400},
		{"not-an-ip", 400},
		{"192.0.2.1, 198.51.100.7", 400},
		{"fe80::1%eth0", 400},
		{"192.0.2.1", 200},
		{"2001:db8::1", 200},
	} {
		t.Run("consent create with "+tc.ip, func(t *testing.T) {
			a := p.call("POST", "/v1/consents", tok, consentBody(nil), map[string]string{"PSU-IP-Address": tc.ip})
			if tc.want == 400 {
				wantAPIError(t, a, 400, CodeFormatError, "PSU-IP-Address", "is not an IP address")
			} else {
				wantStatus(t, a, 201)
			}
		})
		t.Run("read with "+tc.ip, func(t *testing.T) {
			a := p.cards(cid, at, map[string]string{"PSU-IP-Address": tc.ip})
			if tc.want == 400 {
				wantAPIError(t, a, 400, CodeFormatError, "PSU-IP-Address", "is not an IP address")
			} else {
				wantStatus(t, a, 200)
			}
		})
	}
	// The PSU-present reads above spent nothing; the one access without the
	// PSU is still there, and then used up: a malformed address does not
	// get past it.
	wantStatus(t, p.cards(cid, at, nil), 200)
	wantAPIError(t, p.cards(cid, at, nil), 429, CodeAccessExceeded, "")
	wantAPIError(t, p.cards(cid, at, map[string]string{"PSU-IP-Address": "999.1.1.1"}), 400, CodeFormatError, "PSU-IP-Address")
	if n := s.CallsToday(cid); n != 1 {
		t.Errorf("CallsToday = %d; want 1 (the one access without the PSU)", n)
	}

	t.Run("sent twice", func(t *testing.T) {
		req := p.request("GET", "/v1/card-accounts", at, nil, map[string]string{"Consent-ID": cid})
		req.Header.Add("PSU-IP-Address", "192.0.2.1")
		req.Header.Add("PSU-IP-Address", "192.0.2.2")
		wantAPIError(t, do(t, p.signed, req), 400, CodeFormatError, "PSU-IP-Address", "more than once")
	})
}
