package sandbox

// Attacks on what issue 16 added to the sandbox (payment accounts, card
// data, authorisations, consent rules), each with the finding it proves
// fixed. The findings table is in the commit messages.

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xs2a-dev/xs2a/pkg/iban"
)

// paymentParty is a sandbox whose auto-approving PSU is the customer of the
// IBAN payment accounts, in dialect d, and its default TPP.
func paymentParty(t *testing.T, d Dialect) (*Server, *party) {
	t.Helper()
	s := startSandbox(t, Options{AutoApprove: true, AutoApprovePSU: PaymentCustomerID, RatePerSecond: -1, RatePerDay: -1, Dialect: d})
	return s, dialectTPP(t, s, d)
}

// twoYears is the transactions path of account id: both statuses over the
// two years the bank keeps, so the report has many pages.
func twoYears(s *Server, base, id string) string {
	from := dateOf(s.now().In(s.zone)).AddDate(-2, 0, 0).Format(time.DateOnly)
	return base + id + "/transactions?bookingStatus=both&dateFrom=" + from
}

// TestAttackPageParameterIsNoFreeAccess: "the pages after the first of one
// report are one access" must not make any call free. Before the fix a
// `page` query parameter on any account path (the payment paths took any
// parameter) exempted the call from frequencyPerDay: balances and details
// could be read without limit with ?page=1; page=00 (page 0 to the handler)
// read a report's first page for free; and page=1 with no first page read
// was never counted.
func TestAttackPageParameterIsNoFreeAccess(t *testing.T) {
	s, p := paymentParty(t, DialectEnfuce)
	cid, at := p.consented(consentBody(func(m map[string]any) { m["frequencyPerDay"] = 1 }))
	wantStatus(t, p.read(cid, at, "/v1/accounts/acc-2343/balances", nil), 200)
	// frequencyPerDay 1 is used: each spelling below must be refused.
	for _, tc := range []struct {
		name, path string
		status     int
		code, at   string
	}{
		{"balances ?page=1", "/v1/accounts/acc-2343/balances?page=1", 400, CodeFormatError, "page"},
		{"details ?page=2", "/v1/accounts/acc-2343?page=2", 400, CodeFormatError, "page"},
		{"list ?page=1", "/v1/accounts?page=1", 400, CodeFormatError, "page"},
		{"list ?withBalance=true&page=1", "/v1/accounts?withBalance=true&page=1", 400, CodeFormatError, "page"},
		{"transaction details ?page=1", "/v1/accounts/acc-2343/transactions/acc-2343-20261201-1?page=1", 400, CodeFormatError, "page"},
		{"balances ?unknown", "/v1/accounts/acc-2343/balances?x=1", 400, CodeFormatError, "x"},
		{"transactions page=00", twoYears(s, "/v1/accounts/", "acc-2343") + "&page=00", 429, CodeAccessExceeded, ""},
		{"transactions page=+0", twoYears(s, "/v1/accounts/", "acc-2343") + "&page=%2B0", 429, CodeAccessExceeded, ""},
		{"transactions page=1, no first page", twoYears(s, "/v1/accounts/", "acc-2343") + "&page=1", 429, CodeAccessExceeded, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantAPIError(t, p.read(cid, at, tc.path, nil), tc.status, tc.code, tc.at)
		})
	}
	if n := s.CallsToday(cid); n != 1 {
		t.Errorf("CallsToday = %d; want 1", n)
	}
	t.Run("card transactions page=1, no first page", func(t *testing.T) {
		s := startSandbox(t, Options{AutoApprove: true, RatePerSecond: -1, RatePerDay: -1})
		p := bankTPP(t, s)
		cid, at := p.consented(consentBody(func(m map[string]any) { m["frequencyPerDay"] = 1 }))
		wantStatus(t, p.cards(cid, at, nil), 200)
		wantAPIError(t, p.read(cid, at, twoYears(s, "/v1/card-accounts/", "card-8693")+"&page=1", nil), 429, CodeAccessExceeded, "")
	})
}

// TestAttackPagesStillOneAccess: the later pages of a report whose first
// page was counted today stay free, in every dialect (the fix must not
// take that away), and only those.
func TestAttackPagesStillOneAccess(t *testing.T) {
	for _, d := range Dialects {
		t.Run(string(d), func(t *testing.T) {
			s, p := paymentParty(t, d)
			cid, at := p.consented(consentBody(func(m map[string]any) { m["frequencyPerDay"] = 2 }))
			rep := twoYears(s, "/v1/accounts/", "acc-2343")
			wantStatus(t, p.read(cid, at, rep, nil), 200)
			wantStatus(t, p.read(cid, at, rep+"&page=1", nil), 200)
			wantStatus(t, p.read(cid, at, rep+"&page=2", nil), 200)
			if n := s.CallsToday(cid); n != 1 {
				t.Errorf("CallsToday = %d after one report's three pages; want 1", n)
			}
			// Another consent's page 1, its first page never read: an access.
			cid2, at2 := p.consented(consentBody(nil))
			wantStatus(t, p.read(cid2, at2, rep+"&page=1", nil), 200)
			if n := s.CallsToday(cid2); n != 1 {
				t.Errorf("CallsToday = %d after a page 1 without its first page; want 1", n)
			}
		})
	}
}

// TestAttackOneOffUsedUpReadAgain: a one-off consent, used up, let its
// balances (and details) be read again and again with ?page=1: the
// exception for "the later pages of the last report" took any path with a
// page parameter.
func TestAttackOneOffUsedUpReadAgain(t *testing.T) {
	s, p := paymentParty(t, DialectEnfuce)
	cid, at := p.consented(oneOffBody(nil))
	wantStatus(t, p.read(cid, at, "/v1/accounts/acc-2343/balances", nil), 200)
	wantAPIError(t, p.read(cid, at, "/v1/accounts/acc-2343/balances", nil), 429, CodeAccessExceeded, "")
	a := p.read(cid, at, "/v1/accounts/acc-2343/balances?page=1", nil)
	if a.status == 200 {
		t.Fatalf("a one-off consent read balances a second time with ?page=1: %s", a.body)
	}
	rep := twoYears(s, "/v1/accounts/", "acc-2343")
	wantStatus(t, p.read(cid, at, rep, nil), 200)
	wantStatus(t, p.read(cid, at, rep+"&page=1", nil), 200) // the same report: one access
	wantAPIError(t, p.read(cid, at, rep+"&page=00", nil), 429, CodeAccessExceeded, "")
	if n := s.CallsToday(cid); n != 2 {
		t.Errorf("CallsToday = %d; want 2", n)
	}
}

// refIBAN is ISO 13616 checked the long way, independent of validIBAN: the
// file's pattern character by character, check digits 02 to 98 (what ISO
// 7064 MOD 97-10 computes), and the remainder taken digit by digit.
func refIBAN(s string) bool {
	if len(s) < 5 || len(s) > 34 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case i < 2 && (c < 'A' || c > 'Z'):
			return false
		case i >= 2 && i < 4 && (c < '0' || c > '9'):
			return false
		case i >= 4 && !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z'):
			return false
		}
	}
	if cd := s[2:4]; cd < "02" || cd > "98" {
		return false
	}
	r := 0
	for _, c := range s[4:] + s[:4] {
		switch {
		case c >= '0' && c <= '9':
			r = (r*10 + int(c-'0')) % 97
		case c >= 'a' && c <= 'z':
			r = (r*100 + int(c-'a'+10)) % 97
		default:
			r = (r*100 + int(c-'A'+10)) % 97
		}
	}
	return r == 1
}

// FuzzValidIBAN: the consent's IBAN check agrees with refIBAN on any
// string, never panics, and a valid IBAN is what ibanOf makes of its
// country and BBAN. Seeds: testdata/fuzz/FuzzValidIBAN and below. Before
// the fix validIBAN took check digits 00 and 01, which MOD 97-10 never
// computes (FI00…, FI01…: each is a valid IBAN's twin).
func FuzzValidIBAN(f *testing.F) {
	for _, s := range []string{"FI2112345600000785", "GB82WEST12345698765432", "MT84MALT011000012345MTLCAST001S", "gb82west12345698765432",
		"FI0012345600000096", "FI0112345600000078", "FI21 1234 5600 0007 85", "FI2112345600000785\n", "ＦＩ2112345600000785", "FI٢١12345600000785", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, want := iban.Valid(s), refIBAN(s)
		if got != want {
			t.Fatalf("iban.Valid(%q) = %v, the ISO 13616 check says %v", s, got, want)
		}
		if got && ibanOf(s[:2], s[4:]) != s {
			t.Fatalf("valid %q, but ibanOf gives %q", s, ibanOf(s[:2], s[4:]))
		}
	})
}

// TestIBANCheckDigitsRange: FI00… and FI01… with a BBAN that makes their
// remainder 1 are refused (ISO 7064 MOD 97-10 check digits are 02–98).
func TestIBANCheckDigitsRange(t *testing.T) {
	n := 0
	for b := 0; b < 2000 && n < 4; b++ {
		bban := fmt.Sprintf("%014d", 12345600000000+b)
		for _, cd := range []string{"00", "01"} {
			s := "FI" + cd + bban
			if iban.Mod97(s[4:]+s[:4]) == 1 {
				n++
				if iban.Valid(s) {
					t.Errorf("%s accepted: check digits %s are never computed", s, cd)
				}
			}
		}
	}
	if n == 0 {
		t.Fatal("no BBAN with check digits 00 or 01 found")
	}
}

// TestOpenAPIAttack16: the answers of the fixes above validated against the
// file: the undeclared query parameter on each payment path (the request
// breaks the file on purpose) and the 429 of a later page read first.
func TestOpenAPIAttack16(t *testing.T) {
	rig := newSpecRig(t, Options{AutoApprovePSU: PaymentCustomerID})
	p := rig.p
	cid, at := p.consented(consentBody(func(m map[string]any) { m["frequencyPerDay"] = 1 }))
	get := func(path string) func() answer { return func() answer { return p.read(cid, at, path, nil) } }
	tx := "/v1/accounts/acc-2343/transactions/acc-2343-" + bankDate(rig.clock.Now()).AddDate(0, 0, -30).Format("20060102") + "-1"
	for _, path := range []string{"/v1/accounts?page=1", "/v1/accounts/acc-2343?page=1", "/v1/accounts/acc-2343/balances?page=1",
		"/v1/accounts/acc-2343/balances?currency=EUR", tx + "?page=1"} {
		rig.badStep("400 FORMAT_ERROR (undeclared query, "+path+")", 400, get(path))
	}
	// The refusals of getTransactionList the other rigs do not show.
	txl := "/v1/accounts/acc-2343/transactions?bookingStatus=booked&dateFrom=" + bankDate(rig.clock.Now()).AddDate(0, 0, -30).Format(time.DateOnly)
	rig.step("400 PARAMETER_NOT_SUPPORTED (deltaList)", 400, get(txl+"&deltaList=true"))
	rig.step("400 PARAMETER_NOT_SUPPORTED (entryReferenceFrom)", 400, get(txl+"&entryReferenceFrom=1"))
	rig.step("400 PARAMETER_NOT_SUPPORTED (bookingStatus all)", 400, get(strings.Replace(txl, "booked", "all", 1)))
	rig.badStep("400 FORMAT_ERROR (dateTo not a date)", 400, get(txl+"&dateTo=tomorrow"))
	rig.badStep("400 FORMAT_ERROR (page not a number)", 400, get(txl+"&page=x"))
	rig.badStep("400 FORMAT_ERROR (page past the last)", 400, get(txl+"&page=99"))
	rig.step("200 balances, the day's access", 200, get("/v1/accounts/acc-2343/balances"))
	// page=1 is the bank's own parameter, in the file only inside its links
	// (so badStep); the report's first page was never read, so it is an
	// access, and the day's is used.
	rig.badStep("429 ACCESS_EXCEEDED (a later page, first page unread)", 429,
		get("/v1/accounts/acc-2343/transactions?bookingStatus=both&dateFrom="+bankDate(rig.clock.Now()).AddDate(-1, 0, 0).Format(time.DateOnly)+"&page=1"))
}

// TestAttackOtherTPPsAuthorisations: another TPP can neither list, read,
// start nor identify a PSU on the authorisations of a TPP's consent: the
// same 403 CONSENT_UNKNOWN as for a consent that does not exist, and
// nothing changes. (Held before: a regression test.)
func TestAttackOtherTPPsAuthorisations(t *testing.T) {
	s := startSandbox(t, otherOrgOptions(t, Options{RatePerSecond: -1, RatePerDay: -1}))
	a, o := bankTPP(t, s), otherTPP(t, s)
	cid := a.createConsent(consentBody(nil))
	base := "/v1/consents/" + cid + "/authorisations"
	var l struct{ AuthorisationIDs []string }
	a.call("GET", base, a.clientToken(), nil, nil).json(t, &l)
	if len(l.AuthorisationIDs) != 1 {
		t.Fatalf("authorisations %v", l.AuthorisationIDs)
	}
	own := base + "/" + l.AuthorisationIDs[0]
	otok := o.clientToken()
	psu := map[string]string{"PSU-ID": "3000001"}
	for _, tc := range []struct{ method, path string }{
		{"GET", base}, {"POST", base}, {"GET", own}, {"PUT", own},
		{"GET", "/v1/consents/cns-doesnotexist/authorisations"},
	} {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			var body []byte
			if tc.method != "GET" {
				body = []byte(`{}`)
			}
			wantAPIError(t, o.call(tc.method, tc.path, otok, body, psu), 403, CodeConsentUnknown, "")
		})
	}
	a.call("GET", base, a.clientToken(), nil, nil).json(t, &l)
	if len(l.AuthorisationIDs) != 1 || a.scaStatusAt(t, own) != ScaReceived {
		t.Errorf("the other TPP changed the consent's authorisations: %v %s", l.AuthorisationIDs, a.scaStatusAt(t, own))
	}
}

// TestAttackConcurrentPagesRace: many concurrent reads of later pages with
// no first page read, on a per-consent count, pass at most frequencyPerDay
// times in all; run with -race.
func TestAttackConcurrentPagesRace(t *testing.T) {
	s, p := paymentParty(t, DialectEnfuce)
	cid, at := p.consented(consentBody(func(m map[string]any) { m["frequencyPerDay"] = 2 }))
	rep := twoYears(s, "/v1/accounts/", "acc-2343")
	const n = 12
	var wg sync.WaitGroup
	codes := make([]int, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			path := rep + "&page=" + strconv.Itoa(1+i%3)
			if i%4 == 0 {
				path = rep + "&page=99" // refused: gives its reservation back
			}
			codes[i] = p.read(cid, at, path, nil).status
		}()
	}
	wg.Wait()
	if n := s.CallsToday(cid); n < 1 || n > 2 {
		t.Errorf("CallsToday = %d; want 1 or 2 (codes %v)", n, codes)
	}
	for i, c := range codes {
		if c != 200 && c != 429 && !(c == 400 && i%4 == 0) {
			t.Errorf("call %d: %d", i, c)
		}
	}
}

// TestAttackPathSpellings: under the per-endpoint count (adorsys,
// lenient) no other spelling of a used path reaches the account as a new
// endpoint: escapes decode to the same path, a trailing slash, another
// case or a double slash is no endpoint (404, or the mux's redirect to
// the clean path), and a query is no part of the endpoint. (Held before:
// a regression test.)
func TestAttackPathSpellings(t *testing.T) {
	for _, d := range []Dialect{DialectAdorsys, DialectLenient} {
		t.Run(string(d), func(t *testing.T) {
			s, p := paymentParty(t, d)
			cid, at := p.consented(consentBody(func(m map[string]any) { m["frequencyPerDay"] = 1 }))
			wantStatus(t, p.read(cid, at, "/v1/accounts/acc-2343/balances", nil), 200)
			for _, path := range []string{
				"/v1/accounts/acc-2343/balances", "/v1/accounts/%61cc-2343/balances", "/v1/accounts/acc-2343/%62alances",
				"/v1/accounts/acc-2343/balances/", "/v1/accounts/ACC-2343/balances", "/v1/Accounts/acc-2343/balances",
				"/v1//accounts/acc-2343/balances", "/v1/accounts/acc-2343/./balances", "/v1/accounts/x/../acc-2343/balances",
				"/v1/accounts/acc-2343%2Fbalances", "/v1/accounts/acc-2343/balances?",
			} {
				if a := p.read(cid, at, path, nil); a.status/100 == 2 {
					t.Errorf("%s: %d, a second read of the used endpoint", path, a.status)
				}
			}
			if n := s.CallsToday(cid); n != 1 {
				t.Errorf("CallsToday = %d; want 1", n)
			}
		})
	}
}

// TestAttackLaterPagesOfAnotherReport: the later pages free today are
// those of the report whose first page was counted, not of any report of
// the account: before the fix one counted report made page 1 of every
// other (any dates: so the whole history, windowed by dateTo) free, for a
// recurring consent and for a one-off one.
func TestAttackLaterPagesOfAnotherReport(t *testing.T) {
	for _, oneOff := range []bool{false, true} {
		t.Run(map[bool]string{false: "recurring", true: "one-off"}[oneOff], func(t *testing.T) {
			s, p := paymentParty(t, DialectEnfuce)
			body := consentBody(func(m map[string]any) { m["frequencyPerDay"] = 1 })
			if oneOff {
				body = oneOffBody(nil)
			}
			cid, at := p.consented(body)
			today := dateOf(s.now().In(s.zone))
			from := today.AddDate(0, -6, 0).Format(time.DateOnly)
			wantStatus(t, p.read(cid, at, "/v1/accounts/acc-2343/transactions?bookingStatus=both&dateFrom="+from, nil), 200)
			rep := twoYears(s, "/v1/accounts/", "acc-2343")
			wantAPIError(t, p.read(cid, at, rep+"&page=1", nil), 429, CodeAccessExceeded, "")
			wantAPIError(t, p.read(cid, at, rep+"&dateTo="+today.AddDate(0, -2, 0).Format(time.DateOnly)+"&page=1", nil), 429, CodeAccessExceeded, "")
			// The counted report, its parameters in another order: its pages.
			wantStatus(t, p.read(cid, at, "/v1/accounts/acc-2343/transactions?page=1&dateFrom="+from+"&bookingStatus=both", nil), 200)
			if n := s.CallsToday(cid); n != 1 {
				t.Errorf("CallsToday = %d; want 1", n)
			}
		})
	}
}

// TestOpenAPIAuthorisationBodies: the refusals of the authorisation
// bodies the other rigs do not show, validated against the file: a body
// that is no object, a duplicate key, an unknown field, a body that is not
// JSON; on POST and on PUT. (`[]` conforms: the file's first branch, {}, has
// no type.)
func TestOpenAPIAuthorisationBodies(t *testing.T) {
	rig := newSpecRigAs(t, Options{})
	p := rig.p
	tok := p.clientToken()
	cid := p.createConsent(consentBody(nil))
	base := "/v1/consents/" + cid + "/authorisations"
	var l struct{ AuthorisationIDs []string }
	p.call("GET", base, tok, nil, nil).json(t, &l)
	one := base + "/" + l.AuthorisationIDs[0]
	psu := map[string]string{"PSU-ID": "3000001"}
	for _, m := range []struct{ method, path string }{{"POST", base}, {"PUT", one}} {
		for _, c := range []struct {
			name, body string
			conforms   bool
			at, text   string
		}{
			{"not an object", `[]`, true, "", "not a JSON object"},
			{"duplicate key", `{"x":1,"x":2}`, true, "x", "appears twice"},
			{"unknown field", `{"psuIdentification":1}`, true, "psuIdentification", "unknown field"},
		} {
			rig.stepOneOf("400 FORMAT_ERROR ("+m.method+", "+c.name+")", 400, "", c.conforms, func() answer {
				a := p.call(m.method, m.path, tok, []byte(c.body), psu)
				wantAPIError(t, a, 400, CodeFormatError, c.at, c.text)
				return a
			})
		}
		rig.stepOneOf("415 ("+m.method+", text/plain)", 415, "", false, func() answer {
			return p.call(m.method, m.path, tok, []byte(`{}`), map[string]string{"PSU-ID": "3000001", "Content-Type": "text/plain"})
		})
	}
}

// TestReportMarkSurvivesARestart: the mark of a counted report is in the
// data file: after a restart its later pages are still one access with
// its first, and another report's are not.
func TestReportMarkSurvivesARestart(t *testing.T) {
	dir := t.TempDir()
	opts := Options{RatePerSecond: -1, AutoApprove: true, AutoApprovePSU: PaymentCustomerID}
	s := startData(t, dir, opts)
	p := bankTPP(t, s)
	cid, at := p.consented(consentBody(func(m map[string]any) { m["frequencyPerDay"] = 2 }))
	rep := twoYears(s, "/v1/accounts/", "acc-2343")
	wantStatus(t, p.read(cid, at, rep, nil), 200)
	s.Close()

	s = startData(t, dir, opts)
	defer s.Close()
	p = bankTPP(t, s)
	wantStatus(t, p.read(cid, at, rep+"&page=3", nil), 200)
	if n := s.CallsToday(cid); n != 1 {
		t.Errorf("CallsToday = %d after a later page of the counted report; want 1", n)
	}
	wantStatus(t, p.read(cid, at, rep+"&dateTo="+dateOf(s.now().In(s.zone)).AddDate(0, -1, 0).Format(time.DateOnly)+"&page=1", nil), 200)
	if n := s.CallsToday(cid); n != 2 {
		t.Errorf("CallsToday = %d after a later page of another report; want 2", n)
	}
}
