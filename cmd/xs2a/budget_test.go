package main_test

// The call budget (pkg/budget) through the built binary against the
// emulated bank, both on one fake clock: the binary's through the test
// hook XS2A_FAKE_NOW, the bank's through sandbox.Options.Now. The client's
// counts are held against the bank's after every step.

import (
	"encoding/json"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xs2a-dev/xs2a/pkg/sandbox"
)

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

// budgetUser is a user of a bank whose clock the test sets.
type budgetUser struct {
	*user
	clk   *fakeClock
	daily int
}

// at runs xs2a with the bank's and the binary's clock at t.
func (u *budgetUser) at(t time.Time, args ...string) result {
	u.t.Helper()
	u.clk.set(t)
	return u.runEnv([]string{"XS2A_FAKE_NOW=" + t.Format(time.RFC3339), "XS2A_BUDGET_DAILY_LIMIT=" + strconv.Itoa(u.daily)}, args...)
}

func (u *budgetUser) mustAt(t time.Time, args ...string) result {
	u.t.Helper()
	r := u.at(t, args...)
	if r.code != 0 {
		u.t.Fatalf("xs2a %s at %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), t.Format(time.RFC3339), r.code, r.stdout, r.stderr)
	}
	return r
}

// agree asserts that the client's counts are the bank's: the consent's
// PSU-not-present calls and the TPP's requests of the bank's day.
func (u *budgetUser) agree(step, cid string, calls, requests int) {
	u.t.Helper()
	st := u.state()
	if st.Budget == nil {
		u.t.Fatalf("%s: no budget in the state", step)
	}
	bankCalls := u.b.s.CallsToday(cid)
	bankReqs := u.b.s.RequestsToday(u.b.s.DefaultApp.OrganizationID)
	day := u.clk.Now().In(helsinki(u.t)).Format(time.DateOnly)
	clientCalls, clientReqs := 0, 0
	if c := st.Budget.Consents[cid]; c != nil && c.Day == day {
		clientCalls = c.Calls
	}
	if st.Budget.Day == day {
		clientReqs = st.Budget.Requests
	}
	if clientCalls != bankCalls || clientReqs != bankReqs {
		u.t.Errorf("%s: client counts %d calls, %d requests; the bank %d calls, %d requests", step, clientCalls, clientReqs, bankCalls, bankReqs)
	}
	if calls >= 0 && bankCalls != calls {
		u.t.Errorf("%s: the bank counts %d PSU-not-present calls; want %d", step, bankCalls, calls)
	}
	if requests >= 0 && bankReqs != requests {
		u.t.Errorf("%s: the bank counts %d requests; want %d", step, bankReqs, requests)
	}
}

func helsinki(t *testing.T) *time.Location {
	t.Helper()
	z, err := time.LoadLocation("Europe/Helsinki")
	if err != nil {
		t.Fatal(err)
	}
	return z
}

// nextDate is the first of the given days (month and day) at 23:40 in
// Helsinki that is more than an hour ahead of now: within the test
// certificates' year of validity, whenever the test runs.
func nextDate(t *testing.T, days ...[2]int) time.Time {
	z := helsinki(t)
	now := time.Now()
	var best time.Time
	for _, md := range days {
		for y := now.Year(); y <= now.Year()+1; y++ {
			c := time.Date(y, time.Month(md[0]), md[1], 23, 40, 0, 0, z)
			if c.After(now.Add(time.Hour)) {
				if best.IsZero() || c.Before(best) {
					best = c
				}
				break
			}
		}
	}
	return best
}

func noWarning(t *testing.T, what string, r result) {
	t.Helper()
	if strings.Contains(r.stderr, "warning:") {
		t.Errorf("%s warned:\n%s", what, r.stderr)
	}
}

func warned(t *testing.T, what string, r result, want ...string) {
	t.Helper()
	lines := regexp.MustCompile(`(?m)^warning: .*$`).FindAllString(r.stderr, -1)
	for _, w := range want {
		found := false
		for _, l := range lines {
			found = found || strings.Contains(l, w)
		}
		if !found {
			t.Errorf("%s: no warning line with %q:\n%s", what, w, r.stderr)
		}
	}
}

type statusOut struct {
	ConsentID     string `json:"consent_id"`
	ConsentStatus string `json:"consent_status"`
	Budget        struct {
		ValidUntil        string `json:"valid_until"`
		DaysLeft          *int   `json:"days_left"`
		FrequencyPerDay   *int   `json:"frequency_per_day"`
		CallsToday        int    `json:"calls_today"`
		CallsLeftToday    *int   `json:"calls_left_today"`
		DailyLimit        *int   `json:"daily_limit"`
		RequestsToday     int    `json:"requests_today"`
		RequestsLeftToday *int   `json:"requests_left_today"`
		BankDay           string `json:"bank_day"`
		Timezone          string `json:"timezone"`
		ResetsAt          string `json:"resets_at"`
	} `json:"budget"`
}

func (u *budgetUser) status(t time.Time, extra ...string) statusOut {
	u.t.Helper()
	r := u.mustAt(t, append([]string{"consent", "status", "-o", "json"}, extra...)...)
	var s statusOut
	if err := json.Unmarshal([]byte(r.stdout), &s); err != nil {
		u.t.Fatalf("consent status -o json: %v\n%s", err, r.stdout)
	}
	return s
}

func TestBudgetAgreesWithTheBank(t *testing.T) {
	needCurl(t)
	for _, season := range []struct {
		name string
		days [][2]int
		zone string // Helsinki's offset then
	}{
		{"winter", [][2]int{{1, 15}, {2, 15}}, "+02:00"},
		{"summer", [][2]int{{7, 15}, {8, 15}}, "+03:00"},
	} {
		t.Run(season.name, func(t *testing.T) {
			t.Parallel()
			start := nextDate(t, season.days...)
			clk := &fakeClock{t: start}
			const daily = 40
			b := startBank(t, sandbox.Options{AutoApprove: true, RatePerSecond: -1, RatePerDay: daily, Now: clk.Now})
			u := &budgetUser{user: newUser(t, b, nil), clk: clk, daily: daily}
			at := func(min int) time.Time { return start.Add(time.Duration(min) * time.Minute) }

			u.mustAt(at(0), "consent", "create", "--frequency-per-day", "4")
			cid := u.state().ConsentID
			u.mustAt(at(1), "authorize", "--exchange", "--timeout", "20s")
			u.agree("after consent create and authorize", cid, 0, -1)
			base := b.s.RequestsToday(b.s.DefaultApp.OrganizationID)
			if base < 1 {
				t.Fatalf("the bank counted %d requests for consent create", base)
			}

			// Calls 1 to 3 without the PSU: silent.
			for i, args := range [][]string{{"accounts", "list"}, {"accounts", "get", "card-8693"}, {"accounts", "balances", "card-8693"}} {
				r := u.mustAt(at(2+i), args...)
				noWarning(t, strings.Join(args, " "), r)
				u.agree(strings.Join(args, " "), cid, i+1, base+i+1)
			}
			// With the PSU present: not counted against frequencyPerDay.
			r := u.mustAt(at(5), "accounts", "get", "card-8694", "--psu-ip", "192.0.2.10")
			noWarning(t, "accounts get --psu-ip", r)
			u.agree("accounts get --psu-ip", cid, 3, base+4)

			// Call 4: a report of several pages, one access, the last one.
			from := at(6).In(helsinki(t)).AddDate(-2, 0, 1).Format(time.DateOnly)
			r = u.mustAt(at(6), "accounts", "transactions", "card-8693", "--from", from, "-o", "json")
			var tx struct{ Pages int }
			if err := json.Unmarshal([]byte(r.stdout), &tx); err != nil || tx.Pages < 2 {
				t.Fatalf("transactions from %s: %v, %d pages; want a report of several pages", from, err, tx.Pages)
			}
			warned(t, "call 4", r, "this was the last PSU-not-present call for consent "+cid+" today", "00:00 Helsinki time")
			u.agree("call 4, "+strconv.Itoa(tx.Pages)+" pages", cid, 4, base+4+tx.Pages)
			reqs := base + 4 + tx.Pages

			s := u.status(at(7))
			reqs++ // the status request
			if s.ConsentStatus != "valid" || s.Budget.FrequencyPerDay == nil || *s.Budget.FrequencyPerDay != 4 || s.Budget.CallsToday != 4 ||
				s.Budget.CallsLeftToday == nil || *s.Budget.CallsLeftToday != 0 || s.Budget.DailyLimit == nil || *s.Budget.DailyLimit != daily ||
				s.Budget.RequestsToday != reqs || *s.Budget.RequestsLeftToday != daily-reqs || s.Budget.DaysLeft == nil || *s.Budget.DaysLeft != 90 ||
				s.Budget.Timezone != "Europe/Helsinki" || s.Budget.BankDay != start.Format(time.DateOnly) {
				t.Errorf("consent status -o json after call 4: %+v", s)
			}
			if want := start.Format(time.DateOnly); s.Budget.ResetsAt != time.Date(start.Year(), start.Month(), start.Day()+1, 0, 0, 0, 0, helsinki(t)).Format(time.RFC3339) ||
				!strings.HasSuffix(s.Budget.ResetsAt, "T00:00:00"+season.zone) {
				t.Errorf("resetsAt %s on %s; want the next midnight in Helsinki (%s)", s.Budget.ResetsAt, want, season.zone)
			}
			u.agree("consent status", cid, 4, reqs)

			// Call 5 with --strict-budget: refused here, nothing sent.
			r = u.at(at(8), "accounts", "list", "--strict-budget")
			oneErrorLine(t, "call 5 --strict-budget", r, 8, "consent "+cid+" has used its 4 PSU-not-present calls today", "not sent",
				"00:00 Helsinki time", "--psu-ip")
			u.agree("call 5 refused", cid, 4, reqs)

			// Call 5 without: a warning, sent, and the bank's 429, once.
			r = u.at(at(9), "accounts", "list")
			oneErrorLine(t, "call 5", r, 3, "429", "ACCESS_EXCEEDED")
			warned(t, "call 5", r, "consent "+cid+" has used its 4 PSU-not-present calls today; sending anyway")
			reqs++ // the bank counts a request it refuses for the consent
			u.agree("call 5 sent", cid, 4, reqs)

			// 23:59:59 at the bank: still the same day.
			end := time.Date(start.Year(), start.Month(), start.Day(), 23, 59, 59, 0, helsinki(t))
			r = u.at(end, "accounts", "list", "--strict-budget")
			oneErrorLine(t, "at 23:59:59", r, 8, "not sent")
			u.agree("at 23:59:59", cid, 4, reqs)

			// 00:00:00: a new bank day, the whole budget again on both sides.
			midnight := end.Add(time.Second)
			r = u.mustAt(midnight, "accounts", "list", "--strict-budget")
			noWarning(t, "the first call of the new day", r)
			u.agree("after midnight", cid, 1, 1)
			s = u.status(midnight.Add(time.Minute), "--local")
			if s.Budget.CallsToday != 1 || *s.Budget.CallsLeftToday != 3 || s.Budget.RequestsToday != 1 || *s.Budget.DaysLeft != 89 ||
				s.Budget.BankDay != midnight.Format(time.DateOnly) {
				t.Errorf("consent status --local after midnight: %+v", s.Budget)
			}
			u.agree("status --local sends nothing", cid, 1, 1)
			r = u.mustAt(midnight.Add(time.Minute), "consent", "status", "--local")
			for _, w := range []string{"consent:               " + cid + "\n", "\nvalid until:           ", " (89 days left)\n",
				"\nPSU-not-present calls: 3 of 4 left today (frequencyPerDay)\n", "\nTPP requests:          39 of 40 left today (the TPP's daily limit)\n",
				"\nday resets:            00:00 Helsinki time, " + midnight.AddDate(0, 0, 1).Format(time.RFC3339) + " (in 23h59m)\n"} {
				if !strings.Contains(r.stdout, w) {
					t.Errorf("consent status --local lacks %q:\n%s", w, r.stdout)
				}
			}
			t.Logf("consent status --local:\n%s", r.stdout)
		})
	}
}

// The TPP's daily limit: the warning on the last request, --strict-budget
// refusing the next, and the bank's 429 without it.
func TestBudgetDailyLimit(t *testing.T) {
	t.Parallel()
	start := nextDate(t, [2]int{3, 10}, [2]int{9, 10})
	clk := &fakeClock{t: start}
	const daily = 4
	b := startBank(t, sandbox.Options{AutoApprove: true, RatePerSecond: -1, RatePerDay: daily, Now: clk.Now})
	u := &budgetUser{user: newUser(t, b, nil), clk: clk, daily: daily}
	u.mustAt(start, "consent", "create") // request 1
	cid := u.state().ConsentID
	status := []string{"api", "GET", "/consents/" + cid + "/status", "--token", "client"}
	for i := 2; i <= 3; i++ {
		noWarning(t, "request "+strconv.Itoa(i), u.mustAt(start, status...))
	}
	r := u.mustAt(start, status...)
	warned(t, "request 4", r, "this was the TPP's last request of the daily limit (4); the next one will get 429 until 00:00 Helsinki time")
	u.agree("request 4", cid, 0, 4)

	r = u.at(start, append(status, "--strict-budget")...)
	oneErrorLine(t, "request 5 --strict-budget", r, 8, "the TPP's daily limit of 4 requests is used up", "not sent", "00:00 Helsinki time")
	u.agree("request 5 refused", cid, 0, 4)

	r = u.at(start, status...)
	warned(t, "request 5", r, "daily limit of 4 requests is used up; sending anyway")
	if r.code != 3 || !strings.Contains(r.stdout, "ACCESS_EXCEEDED") {
		t.Errorf("request 5: exit %d, stdout %q; want the bank's 429 ACCESS_EXCEEDED (exit 3)", r.code, r.stdout)
	}
	u.agree("request 5 refused by the bank", cid, 0, 4)

	// A profile key makes every call strict; the flag, given, overrides it.
	r = u.runEnv([]string{"XS2A_FAKE_NOW=" + start.Format(time.RFC3339), "XS2A_BUDGET_DAILY_LIMIT=4", "XS2A_BUDGET_STRICT=true"}, status...)
	oneErrorLine(t, "budget.strict true", r, 8, "not sent")
	r = u.runEnv([]string{"XS2A_FAKE_NOW=" + start.Format(time.RFC3339), "XS2A_BUDGET_DAILY_LIMIT=4", "XS2A_BUDGET_STRICT=true"}, append(status, "--strict-budget=false")...)
	if r.code != 3 {
		t.Errorf("--strict-budget=false over budget.strict: exit %d; want the bank's 429 (3)\n%s", r.code, r.stderr)
	}

	// A bad budget key is a usage error naming it.
	r = u.runEnv([]string{"XS2A_BUDGET_TIMEZONE=Mars/Olympus"}, "consent", "status")
	oneErrorLine(t, "budget.timezone Mars/Olympus", r, 2, "budget.timezone", "Mars/Olympus")
}

// proxy and replay send through the same signed client: counted, warned
// and refused the same way, with no code of their own.
func TestBudgetCountsProxyAndReplay(t *testing.T) {
	t.Parallel()
	needCurl(t)
	start := nextDate(t, [2]int{5, 20}, [2]int{11, 20})
	clk := &fakeClock{t: start}
	b := startBank(t, sandbox.Options{AutoApprove: true, RatePerSecond: -1, RatePerDay: 100, Now: clk.Now})
	u := &budgetUser{user: newUser(t, b, nil), clk: clk, daily: 100}
	u.mustAt(start, "consent", "create", "--frequency-per-day", "2")
	cid := u.state().ConsentID
	u.mustAt(start, "authorize", "--exchange", "--timeout", "20s")
	rec := filepath.Join(u.dir, "rec")
	u.mustAt(start, "--record", rec, "accounts", "list") // call 1
	u.agree("recorded accounts list", cid, 1, -1)

	u.env = append(u.env, "XS2A_FAKE_NOW="+start.Format(time.RFC3339), "XS2A_BUDGET_DAILY_LIMIT=100")
	p := startProxy(t, u.user, "127.0.0.1", "--inject-auth", "--strict-budget")
	if _, code := curlStatus(t, p.base+"/v1/card-accounts"); code != 200 { // call 2, the last
		t.Fatalf("call 2 through the proxy: %d\n%s", code, p.stderr.String())
	}
	p.logged("call 2", "warning: this was the last PSU-not-present call for consent "+cid+" today")
	u.agree("call 2 through the proxy", cid, 2, -1)
	before := b.s.RequestsToday(b.s.DefaultApp.OrganizationID)
	body, code := curlStatus(t, p.base+"/v1/card-accounts")
	if code != 429 || !strings.Contains(body, "has used its 2 PSU-not-present calls today") || !strings.Contains(body, "not sent") {
		t.Errorf("call 3 through a --strict-budget proxy: %d %s; want the proxy's own 429", code, body)
	}
	u.agree("call 3 refused by the proxy", cid, 2, before)
	// With the PSU present the proxy still serves.
	if _, code := curlStatus(t, p.base+"/v1/card-accounts", "-H", "PSU-IP-Address: 192.0.2.1"); code != 200 {
		t.Errorf("a PSU-present call through the proxy: %d", code)
	}
	u.agree("PSU-present call through the proxy", cid, 2, before+1)
	p.stop()

	// replay: the recorded accounts list again, now beyond the budget.
	r := u.at(start, "replay", rec, "--strict-budget")
	if r.code != 8 || !strings.Contains(r.stdout, "budget: consent "+cid+" has used its 2 PSU-not-present calls today") {
		t.Errorf("replay --strict-budget: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	u.agree("replay --strict-budget", cid, 2, before+1)
	r = u.at(start, "replay", rec)
	if r.code != 7 || !strings.Contains(r.stdout, "429") {
		t.Errorf("replay beyond the budget: exit %d; want 7 with the bank's 429\n%s%s", r.code, r.stdout, r.stderr)
	}
	warned(t, "replay", r, "has used its 2 PSU-not-present calls today; sending anyway")
	u.agree("replay", cid, 2, before+2)
}

// validUntil near and past: one warning per invocation, and the bank's
// 401 for an expired consent does not count as an access.
func TestBudgetValidUntil(t *testing.T) {
	t.Parallel()
	needCurl(t)
	start := nextDate(t, [2]int{4, 1}, [2]int{10, 1})
	clk := &fakeClock{t: start}
	b := startBank(t, sandbox.Options{AutoApprove: true, RatePerSecond: -1, RatePerDay: 100, Now: clk.Now})
	u := &budgetUser{user: newUser(t, b, nil), clk: clk, daily: 100}
	last := start.AddDate(0, 0, 3)
	u.mustAt(start, "consent", "create", "--valid-until", last.Format(time.DateOnly))
	cid := u.state().ConsentID
	u.mustAt(start, "authorize", "--exchange", "--timeout", "20s")
	r := u.mustAt(start, "accounts", "list")
	warned(t, "3 days before validUntil", r, "consent "+cid+" expires after "+last.Format(time.DateOnly)+" (3 days left): ask the PSU for a new consent soon")
	if n := strings.Count(r.stderr, "warning:"); n != 1 {
		t.Errorf("%d warnings; want 1:\n%s", n, r.stderr)
	}
	r = u.mustAt(last, "accounts", "get", "card-8693")
	warned(t, "on the last day", r, "consent "+cid+" is valid through today only")
	u.agree("on the last day", cid, 1, -1)

	// The next bank day: expired at the bank too.
	r = u.at(last.AddDate(0, 0, 1), "accounts", "list")
	oneErrorLine(t, "after validUntil", r, 4, "CONSENT_EXPIRED")
	warned(t, "after validUntil", r, "consent "+cid+" expired after "+last.Format(time.DateOnly)+" (validUntil)")
	u.agree("after validUntil", cid, 0, -1)
	s := u.status(last.AddDate(0, 0, 1), "--local")
	if s.Budget.DaysLeft == nil || *s.Budget.DaysLeft != -1 {
		t.Errorf("daysLeft after validUntil: %v; want -1", s.Budget.DaysLeft)
	}

	// A consent the client has not seen made (from another machine):
	// `consent status` reads it whole and so learns its limits.
	raw := u.mustAt(start, "api", "POST", "/consents", "--token", "client", "--body",
		`{"access":{"allPsd2":"allAccounts"},"recurringIndicator":true,"validUntil":"`+last.Format(time.DateOnly)+`","frequencyPerDay":2,"combinedServiceIndicator":false}`)
	var created struct{ ConsentID string }
	if err := json.Unmarshal([]byte(raw.stdout), &created); err != nil || created.ConsentID == "" {
		t.Fatalf("api POST /consents: %v %s", err, raw.stdout)
	}
	if c := u.state().Budget.Consents[created.ConsentID]; c == nil || c.FrequencyPerDay != 2 {
		t.Errorf("a consent created through `api` was not learned: %+v", c)
	}
	st := u.state()
	delete(st.Budget.Consents, created.ConsentID)
	writeState(t, u.user, st)
	r = u.mustAt(start, "consent", "status", created.ConsentID, "-v")
	if !regexp.MustCompile(`(?m)^> GET https://\S+/v1/consents/`+regexp.QuoteMeta(created.ConsentID)+`$`).MatchString(r.stderr) ||
		!regexp.MustCompile(`(?m)^PSU-not-present calls: 2 of 2 left today`).MatchString(r.stdout) {
		t.Errorf("consent status of an unknown consent: did not read it whole and learn its frequencyPerDay:\n%s\n%s", r.stdout, r.stderr)
	}
}
