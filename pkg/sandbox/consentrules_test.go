package sandbox

// The consent rules of consentrules.go, one test per rule, each rule per
// dialect where the banks differ.

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xs2a-dev/xs2a/pkg/httpsig"
)

// dialectTPP is the default TPP signing as the dialect demands (adorsys:
// the date signed and the keyId in its form).
func dialectTPP(t *testing.T, s *Server, d Dialect) *party {
	p := bankTPP(t, s)
	if d == DialectAdorsys {
		p.signed = &http.Client{Timeout: 30 * time.Second, Transport: &httpsig.Transport{Base: p.plain.Transport,
			Signer: &httpsig.Signer{Key: s.Certs.QSeal.Key, Cert: s.Certs.QSeal.Cert, SignDate: true,
				KeyID: httpsig.KeyIDFormat{Serial: httpsig.SerialLowerHex, DN: httpsig.DNPercent}}}}
	}
	return p
}

var psuHere = map[string]string{"PSU-IP-Address": "192.0.2.1"}

func oneOffBody(edit func(m map[string]any)) []byte {
	return consentBody(func(m map[string]any) {
		m["recurringIndicator"], m["frequencyPerDay"] = false, 1
		if edit != nil {
			edit(m)
		}
	})
}

// consentInfo reads GET /v1/consents/{cid}.
func (p *party) consentInfo(cid string) (ci struct {
	ValidUntil, ConsentStatus, LastActionDate string
}) {
	p.t.Helper()
	a := p.call("GET", "/v1/consents/"+cid, p.clientToken(), nil, nil)
	wantStatus(p.t, a, 200)
	a.json(p.t, &ci)
	return ci
}

func (p *party) read(cid, at, path string, hdr map[string]string) answer {
	p.t.Helper()
	h := map[string]string{"Consent-ID": cid}
	for k, v := range hdr {
		h[k] = v
	}
	return p.call("GET", path, at, nil, h)
}

// TestRefusedCallsAreNotCounted: an access counts only when its answer is
// 2xx; a 404, a 400 or a 401 uses none.
func TestRefusedCallsAreNotCounted(t *testing.T) {
	s := startSandbox(t, Options{RatePerSecond: -1, AutoApprove: true})
	p := bankTPP(t, s)
	cid, at := p.consented(consentBody(func(m map[string]any) { m["frequencyPerDay"] = 1 }))
	for _, r := range []struct {
		name, path string
		status     int
		code, at   string
	}{
		{"404 unknown card", "/v1/card-accounts/card-9999", 404, CodeResourceUnknown, ""},
		{"404 unknown card, again", "/v1/card-accounts/card-0000/balances", 404, CodeResourceUnknown, ""},
		{"400 PERIOD_INVALID", "/v1/card-accounts/card-8693/transactions?bookingStatus=both&dateFrom=2099-01-01", 400, CodePeriodInvalid, ""},
		{"400 FORMAT_ERROR", "/v1/card-accounts/card-8693/transactions?bookingStatus=both", 400, CodeFormatError, "dateFrom"},
	} {
		t.Run(r.name, func(t *testing.T) {
			wantAPIError(t, p.read(cid, at, r.path, nil), r.status, r.code, r.at)
			if n := s.CallsToday(cid); n != 0 {
				t.Errorf("CallsToday = %d after a refused call; want 0", n)
			}
		})
	}
	wantAPIError(t, p.read(cid, "not-a-token", "/v1/card-accounts", nil), 401, CodeTokenUnknown, "")
	wantStatus(t, p.cards(cid, at, nil), 200) // the day's one access, still there
	wantAPIError(t, p.cards(cid, at, nil), 429, CodeAccessExceeded, "", "allows 1 accesses a day")
	if n := s.CallsToday(cid); n != 1 {
		t.Errorf("CallsToday = %d; want 1", n)
	}
}

// TestLastAllowanceRace: concurrent calls on the last allowances: exactly
// frequencyPerDay of them pass, whatever the interleaving, and the refused
// ones (404) among them give theirs back.
func TestLastAllowanceRace(t *testing.T) {
	s := startSandbox(t, Options{RatePerSecond: -1, RatePerDay: -1, AutoApprove: true})
	p := bankTPP(t, s)
	cid, at := p.consented(consentBody(func(m map[string]any) { m["frequencyPerDay"] = 3 }))
	const n = 12
	var wg sync.WaitGroup
	codes := make([]int, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			path := "/v1/card-accounts"
			if i%3 == 0 {
				path = "/v1/card-accounts/card-9999" // refused: uses nothing
			}
			codes[i] = p.read(cid, at, path, nil).status
		}()
	}
	wg.Wait()
	ok, notFound := 0, 0
	for i, c := range codes {
		switch {
		case c == 200:
			ok++
		case c == 404 && i%3 == 0:
			notFound++
		case c != 429:
			t.Errorf("call %d: status %d", i, c)
		}
	}
	if ok != 3 {
		t.Errorf("%d of %d concurrent calls answered 200; want frequencyPerDay 3 (codes %v)", ok, n, codes)
	}
	if n := s.CallsToday(cid); n != 3 {
		t.Errorf("CallsToday = %d; want 3", n)
	}
}

// TestFrequencyUnitPerDialect: enfuce counts per consent; adorsys (release
// notes 2.5, AisConsentUsageService) and lenient per endpoint and account.
func TestFrequencyUnitPerDialect(t *testing.T) {
	for _, d := range Dialects {
		t.Run(string(d), func(t *testing.T) {
			s := startSandbox(t, Options{RatePerSecond: -1, RatePerDay: -1, AutoApprove: true, Dialect: d})
			p := dialectTPP(t, s, d)
			cid, at := p.consented(consentBody(func(m map[string]any) { m["frequencyPerDay"] = 1 }))
			wantStatus(t, p.cards(cid, at, nil), 200)
			bal := p.read(cid, at, "/v1/card-accounts/card-8693/balances", nil)
			if d == DialectEnfuce {
				wantAPIError(t, bal, 429, CodeAccessExceeded, "", "allows 1 accesses a day without the PSU (no PSU-IP-Address); today's are used")
				return
			}
			wantStatus(t, bal, 200)
			wantStatus(t, p.read(cid, at, "/v1/card-accounts/card-8694/balances", nil), 200) // another account
			wantAPIError(t, p.read(cid, at, "/v1/card-accounts/card-8693/balances", nil), 429, CodeAccessExceeded, "",
				"to /v1/card-accounts/card-8693/balances")
			wantAPIError(t, p.cards(cid, at, nil), 429, CodeAccessExceeded, "")
			wantStatus(t, p.cards(cid, at, psuHere), 200) // the PSU is present: not counted
			if n := s.CallsToday(cid); n != 3 {
				t.Errorf("CallsToday = %d; want 3", n)
			}
		})
	}
}

// TestOneOffConsent: a one-off consent counts every access, the PSU present
// or not, allows each endpoint and account once, and expires once it has
// made every access it allows (adorsys OneOffConsentExpirationService), or
// at the end of the bank day it was first used.
func TestOneOffConsent(t *testing.T) {
	for _, d := range Dialects {
		t.Run(string(d), func(t *testing.T) {
			s := startSandbox(t, Options{RatePerSecond: -1, RatePerDay: -1, AutoApprove: true, Dialect: d})
			p := dialectTPP(t, s, d)
			today := bankDate(time.Now()).Format(time.DateOnly)
			cid, at := p.consented(oneOffBody(nil))
			wantStatus(t, p.cards(cid, at, psuHere), 200)
			wantAPIError(t, p.cards(cid, at, psuHere), 429, CodeAccessExceeded, "", "is a one-off consent", "PSU present or not")
			from := bankDate(time.Now()).AddDate(-1, 0, 0).Format(time.DateOnly)
			var next string
			for _, card := range []string{"card-8694", "card-8693"} {
				wantStatus(t, p.read(cid, at, "/v1/card-accounts/"+card, nil), 200)
				wantStatus(t, p.read(cid, at, "/v1/card-accounts/"+card+"/balances", nil), 200)
				if st := p.consentStatus(cid); st != StatusValid {
					t.Fatalf("status %s before the last access; want valid", st)
				}
				tx := p.read(cid, at, "/v1/card-accounts/"+card+"/transactions?bookingStatus=both&dateFrom="+from, nil)
				wantStatus(t, tx, 200)
				var r txReport
				tx.json(t, &r)
				next = r.CardTransactions.Links["next"].Href
			}
			ci := p.consentInfo(cid)
			if ci.ConsentStatus != StatusExpired || ci.LastActionDate != today {
				t.Errorf("after every access: %+v; want expired, lastActionDate %s", ci, today)
			}
			// The pages of the last report are that one access.
			if next == "" {
				t.Fatal("a year of card-8693's transactions fits on one page")
			}
			wantStatus(t, p.read(cid, at, next, nil), 200)
			wantAPIError(t, p.cards(cid, at, psuHere), 401, CodeConsentExpired, "", "was a one-off consent", "has been used")
		})
	}

	t.Run("available accounts: the one list", func(t *testing.T) {
		s := startSandbox(t, Options{RatePerSecond: -1, AutoApprove: true})
		p := bankTPP(t, s)
		cid, at := p.consented(oneOffBody(func(m map[string]any) { m["access"] = map[string]any{"availableAccounts": "allAccounts"} }))
		wantStatus(t, p.cards(cid, at, nil), 200)
		if st := p.consentStatus(cid); st != StatusExpired {
			t.Errorf("status %s after the list; want expired", st)
		}
	})

	t.Run("ends at the bank's midnight after its first use", func(t *testing.T) {
		clock, midnight := beforeBankMidnight()
		s := startSandbox(t, Options{RatePerSecond: -1, AutoApprove: true, Now: clock.Now})
		p := bankTPP(t, s)
		cid, at := p.consented(oneOffBody(nil))
		wantStatus(t, p.cards(cid, at, nil), 200)
		clock.Set(midnight.Add(time.Second))
		wantAPIError(t, p.read(cid, at, "/v1/card-accounts/card-8693", nil), 401, CodeConsentExpired, "", "has been used")
		ci := p.consentInfo(cid)
		if want := bankDate(clock.Now()).Format(time.DateOnly); ci.ConsentStatus != StatusExpired || ci.LastActionDate != want {
			t.Errorf("the next day: %+v; want expired, lastActionDate %s (its midnight)", ci, want)
		}
	})

	t.Run("unused, it waits", func(t *testing.T) {
		clock, midnight := beforeBankMidnight()
		s := startSandbox(t, Options{RatePerSecond: -1, AutoApprove: true, Now: clock.Now})
		p := bankTPP(t, s)
		cid, at := p.consented(oneOffBody(nil))
		clock.Set(midnight.Add(5 * time.Minute))
		wantStatus(t, p.cards(cid, at, nil), 200)
	})

	t.Run("a new one-off consent leaves the former recurring one", func(t *testing.T) {
		s := startSandbox(t, Options{RatePerSecond: -1, AutoApprove: true})
		p := bankTPP(t, s)
		rec, at := p.consented(consentBody(nil))
		p.consented(oneOffBody(nil))
		wantStatus(t, p.cards(rec, at, nil), 200)
	})
}

// TestOneOffUsedSurvivesARestart: the accesses made are in the data file.
func TestOneOffUsedSurvivesARestart(t *testing.T) {
	dir := t.TempDir()
	s := startData(t, dir, Options{RatePerSecond: -1, AutoApprove: true})
	p := bankTPP(t, s)
	cid, at := p.consented(oneOffBody(nil))
	wantStatus(t, p.cards(cid, at, nil), 200)
	s.Close()

	s = startData(t, dir, Options{RatePerSecond: -1, AutoApprove: true})
	defer s.Close()
	p = bankTPP(t, s)
	wantAPIError(t, p.cards(cid, at, psuHere), 429, CodeAccessExceeded, "", "is a one-off consent")
	wantStatus(t, p.read(cid, at, "/v1/card-accounts/card-8693", nil), 200)
}

// TestFormerConsentExpires: the file's createConsent: "the former consent
// automatically expires as soon as the new consent request is authorised
// by the PSU"; adorsys terminates it (terminatedByTpp), one-off ones too.
func TestFormerConsentExpires(t *testing.T) {
	for _, d := range Dialects {
		t.Run(string(d), func(t *testing.T) {
			clock, midnight := beforeBankMidnight()
			s := startSandbox(t, otherOrgOptions(t, Options{RatePerSecond: -1, RatePerDay: -1, Dialect: d, Now: clock.Now}))
			p := dialectTPP(t, s, d)
			approved := func(p *party, body []byte, psu string) (string, string) {
				cid := p.createConsent(body)
				return cid, p.tokens(p.approve(cid, psu)).AccessToken
			}
			former, formerAT := approved(p, consentBody(nil), "1345611")
			once, _ := approved(p, oneOffBody(nil), "1345611")
			otherPSU, _ := approved(p, consentBody(nil), "3000001")
			var otherTPPs string
			if d != DialectAdorsys { // otherTPP signs as enfuce wants
				o := otherTPP(t, s)
				otherTPPs, _ = approved(o, consentBody(nil), "1345611")
				defer func() {
					if st := o.consentStatus(otherTPPs); st != StatusValid {
						t.Errorf("another TPP's consent of the PSU: %s, want valid", st)
					}
				}()
			}
			clock.Set(midnight.Add(time.Minute)) // the next bank day
			newer, newerAT := approved(p, consentBody(nil), "1345611")

			want, wantOnce := StatusExpired, StatusValid
			if d == DialectAdorsys {
				want, wantOnce = StatusTerminatedByTpp, StatusTerminatedByTpp
			}
			ci := p.consentInfo(former)
			if ci.ConsentStatus != want || ci.LastActionDate != bankDate(clock.Now()).Format(time.DateOnly) {
				t.Errorf("former consent: %+v; want %s, lastActionDate today", ci, want)
			}
			if st := p.consentStatus(once); st != wantOnce {
				t.Errorf("former one-off consent: %s, want %s", st, wantOnce)
			}
			if st := p.consentStatus(otherPSU); st != StatusValid {
				t.Errorf("another PSU's consent: %s, want valid", st)
			}
			if d != DialectAdorsys {
				wantAPIError(t, p.cards(former, formerAT, psuHere), 401, CodeConsentExpired, "", "newer recurring consent")
			}
			wantStatus(t, p.cards(newer, newerAT, psuHere), 200)
		})
	}

	t.Run("kept in the data file", func(t *testing.T) {
		dir := t.TempDir()
		s := startData(t, dir, Options{RatePerSecond: -1, AutoApprove: true})
		p := bankTPP(t, s)
		former, _ := p.consented(consentBody(nil))
		p.consented(consentBody(nil))
		s.Close()
		s = startData(t, dir, Options{RatePerSecond: -1, AutoApprove: true})
		defer s.Close()
		if st := bankTPP(t, s).consentStatus(former); st != StatusExpired {
			t.Errorf("after a restart the former consent is %s, want expired", st)
		}
	})
}

// TestLastActionDateOnEveryChange: lastActionDate (the file: "the date of
// the last action on the consent object ... having an impact on the
// status") follows each change: approval, revocation by the PSU, expiry.
func TestLastActionDateOnEveryChange(t *testing.T) {
	clock, midnight := beforeBankMidnight()
	s := startSandbox(t, Options{RatePerSecond: -1, Now: clock.Now})
	p := bankTPP(t, s)
	today := bankDate(clock.Now())
	for _, r := range []struct {
		name, psu, status string
	}{
		{"approved", "1345611", StatusValid},
		{"revoked by the PSU", "4000001", StatusRevokedByPsu},
	} {
		t.Run(r.name, func(t *testing.T) {
			clock.Set(midnight.Add(-5 * time.Minute))
			cid := p.createConsent(consentBody(func(m map[string]any) { m["validUntil"] = today.AddDate(0, 0, 1).Format(time.DateOnly) }))
			clock.Set(midnight.Add(time.Minute))
			p.approve(cid, r.psu)
			ci := p.consentInfo(cid)
			if ci.ConsentStatus != r.status || ci.LastActionDate != today.AddDate(0, 0, 1).Format(time.DateOnly) {
				t.Errorf("%+v; want %s on the day of the change", ci, r.status)
			}
		})
	}
	t.Run("expired", func(t *testing.T) {
		clock.Set(midnight.Add(-5 * time.Minute))
		cid := p.createConsent(consentBody(func(m map[string]any) { m["validUntil"] = today.Format(time.DateOnly) }))
		clock.Set(midnight.Add(24*time.Hour + time.Minute))
		ci := p.consentInfo(cid)
		if want := today.AddDate(0, 0, 1).Format(time.DateOnly); ci.ConsentStatus != StatusExpired || ci.LastActionDate != want {
			t.Errorf("%+v; want expired, lastActionDate %s (the day after validUntil)", ci, want)
		}
	})
}

// TestValidUntilMaxPerDialect: the longest validity, 180 days (RTS
// 2022/2360, Article 10a); 9999-12-31 is the file's "maximal available
// date" and gets the longest; a later date is refused by enfuce and
// adjusted by adorsys (adjustValidUntilDate, today the first day) and
// lenient. GET consent shows the adjusted date.
func TestValidUntilMaxPerDialect(t *testing.T) {
	today := bankDate(time.Now())
	d := func(n int) string { return today.AddDate(0, 0, n).Format(time.DateOnly) }
	for _, r := range []struct {
		dialect   Dialect
		asked     string
		want      string // the date GET shows; "" refused
		wantError string
	}{
		{DialectEnfuce, "9999-12-31", d(180), ""},
		{DialectEnfuce, d(180), d(180), ""},
		{DialectEnfuce, d(181), "", fmt.Sprintf("validUntil %s is beyond the 180 days this ASPSP grants (latest %s)", d(181), d(180))},
		{DialectEnfuce, "2099-12-31", "", "(latest " + d(180) + ")"},
		{DialectAdorsys, "9999-12-31", d(179), ""},
		{DialectAdorsys, d(200), d(179), ""},
		{DialectAdorsys, d(90), d(90), ""},
		{DialectLenient, "9999-12-31", d(180), ""},
		{DialectLenient, d(365), d(180), ""},
	} {
		t.Run(string(r.dialect)+" "+r.asked, func(t *testing.T) {
			s := startSandbox(t, Options{RatePerSecond: -1, Dialect: r.dialect})
			p := dialectTPP(t, s, r.dialect)
			body := consentBody(func(m map[string]any) { m["validUntil"] = r.asked })
			if r.want == "" {
				wantAPIError(t, p.call("POST", "/v1/consents", p.clientToken(), body, nil), 400, CodeFormatError, "validUntil", r.wantError)
				return
			}
			if got := p.consentInfo(p.createConsent(body)).ValidUntil; got != r.want {
				t.Errorf("validUntil %s became %s, want %s", r.asked, got, r.want)
			}
		})
	}
}

// TestOpenAPIConsentRules validates the answers of the consent rules
// against the file.
func TestOpenAPIConsentRules(t *testing.T) {
	rig := newSpecRig(t, Options{})
	p, today := rig.p, bankDate(rig.clock.Now())
	tok := p.clientToken()
	rig.step("400 FORMAT_ERROR (validUntil beyond the longest)", 400, func() answer {
		return p.call("POST", "/v1/consents", tok, consentBody(func(m map[string]any) { m["validUntil"] = today.AddDate(1, 0, 0).Format(time.DateOnly) }), nil)
	})
	cid, at := p.consented(consentBody(func(m map[string]any) { m["frequencyPerDay"] = 1 }))
	rig.step("404 RESOURCE_UNKNOWN (uses no access)", 404, func() answer { return p.read(cid, at, "/v1/card-accounts/card-9999", nil) })
	rig.step("200 the day's access", 200, func() answer { return p.cards(cid, at, nil) })
	rig.step("429 ACCESS_EXCEEDED (frequencyPerDay)", 429, func() answer { return p.cards(cid, at, nil) })
	once, onceAT := p.consented(oneOffBody(func(m map[string]any) { m["access"] = map[string]any{"availableAccounts": "allAccounts"} }))
	rig.step("200 the one-off access", 200, func() answer { return p.cards(once, onceAT, psuHere) })
	rig.step("200 the one-off consent, expired", 200, func() answer { return p.call("GET", "/v1/consents/"+once, tok, nil, nil) })
	rig.step("401 CONSENT_EXPIRED (one-off used)", 401, func() answer { return p.cards(once, onceAT, psuHere) })
	twice, twiceAT := p.consented(oneOffBody(nil))
	rig.step("200 one-off, once", 200, func() answer { return p.cards(twice, twiceAT, psuHere) })
	rig.step("429 ACCESS_EXCEEDED (one-off, PSU present)", 429, func() answer { return p.cards(twice, twiceAT, psuHere) })
	newer, _ := p.consented(consentBody(nil))
	rig.step("401 CONSENT_EXPIRED (a newer recurring consent)", 401, func() answer { return p.cards(cid, at, psuHere) })
	rig.step("200 the former consent, expired", 200, func() answer { return p.call("GET", "/v1/consents/"+cid+"/status", tok, nil, nil) })
	if !strings.HasPrefix(newer, "cns-") {
		t.Errorf("consent id %q", newer)
	}
}
