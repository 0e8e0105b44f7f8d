package budget_test

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/xs2a-dev/xs2a/pkg/budget"
)

// rulesRig is a Transport over a fake bank that answers every account call
// with status (200 unless set) and consent creation with consent c1.
type rulesRig struct {
	t      *testing.T
	led    budget.Ledger
	now    time.Time
	status int
	sent   int
	warn   bytes.Buffer
	tr     *budget.Transport
}

func newRulesRig(t *testing.T, perPath bool) *rulesRig {
	r := &rulesRig{t: t, now: time.Date(2027, 1, 15, 12, 0, 0, 0, time.UTC), status: 200}
	lim, _ := budget.ParseLimits("", "", "", "")
	lim.PerPath = perPath
	r.tr = &budget.Transport{Limits: lim, BaseURL: "https://bank.example", Now: func() time.Time { return r.now }, Warn: &r.warn,
		Base: roundTripper(func(req *http.Request) (*http.Response, error) {
			r.sent++
			status, body := r.status, "{}"
			if req.Method == "POST" {
				status, body = 201, `{"consentId":"c1","consentStatus":"received"}`
			}
			return &http.Response{StatusCode: status, Header: http.Header{}, Body: io.NopCloser(strings.NewReader(body)), Request: req}, nil
		}),
		Update: func(fn func(*budget.Ledger) error) error { return fn(&r.led) }}
	return r
}

func (r *rulesRig) create(body string) {
	r.t.Helper()
	if _, err := r.tr.RoundTrip(mustRequest(r.t, "POST", "https://bank.example/v1/consents", []byte(body))); err != nil {
		r.t.Fatal(err)
	}
}

// get reads path with consent c1; psuIP "" is the PSU not present.
func (r *rulesRig) get(path, psuIP string, strict bool) error {
	r.t.Helper()
	req := mustRequest(r.t, "GET", "https://bank.example"+path, nil)
	req.Header.Set("Consent-ID", "c1")
	if psuIP != "" {
		req.Header.Set("PSU-IP-Address", psuIP)
	}
	r.tr.Limits.Strict = strict
	resp, err := r.tr.RoundTrip(req)
	if err == nil {
		resp.Body.Close()
	}
	return err
}

// TestOneOffConsentBudget: a one-off consent (recurringIndicator false)
// is counted on every access, PSU present or not, each endpoint and
// account once, and ends at the midnight after its first use, as the
// sandbox and adorsys count it (README "Consent rules").
func TestOneOffConsentBudget(t *testing.T) {
	r := newRulesRig(t, false)
	r.create(`{"access":{"allPsd2":"allAccounts"},"recurringIndicator":false,"validUntil":"2027-01-16","frequencyPerDay":1}`)
	if c := r.led.Consents["c1"]; c == nil || !c.OneOff {
		t.Fatalf("the create request's recurringIndicator false was not learned: %+v", c)
	}
	if err := r.get("/v1/card-accounts", "192.0.2.1", true); err != nil {
		t.Fatalf("first read: %v", err)
	}
	if rep := r.led.Report("c1", r.tr.Limits, r.now); rep.CallsToday != 1 || !rep.OneOff {
		t.Errorf("a PSU-present read of a one-off consent: %+v; want it counted", rep)
	}
	// The same endpoint again, PSU present or not: refused in strict mode.
	for _, ip := range []string{"192.0.2.1", ""} {
		err := r.get("/v1/card-accounts", ip, true)
		var ee *budget.ExceededError
		if !errors.As(err, &ee) || ee.Budget != budget.BudgetOneOff || !strings.Contains(err.Error(), "one-off consent and has read /v1/card-accounts already") {
			t.Errorf("second read (PSU-IP %q): %v; want the one-off refusal", ip, err)
		}
	}
	if r.sent != 2 {
		t.Errorf("%d requests reached the bank; want 2 (create, the first read)", r.sent)
	}
	// Another endpoint is its own access; the pages after the first of a
	// report belong to it.
	if err := r.get("/v1/card-accounts/card-1/transactions?dateFrom=2027-01-01", "", true); err != nil {
		t.Errorf("another endpoint: %v", err)
	}
	if err := r.get("/v1/card-accounts/card-1/transactions?dateFrom=2027-01-01&page=1", "", true); err != nil {
		t.Errorf("the report's next page: %v", err)
	}
	// Without strict the second read is sent, with a warning.
	r.warn.Reset()
	if err := r.get("/v1/card-accounts", "", false); err != nil || !strings.Contains(r.warn.String(), "one-off consent and has read /v1/card-accounts already (429 ACCESS_EXCEEDED); sending anyway") {
		t.Errorf("non-strict: %v; warned %q", err, r.warn.String())
	}
	// The next bank day it has ended, whatever it reads.
	r.now = r.now.Add(24 * time.Hour)
	err := r.get("/v1/card-accounts/card-2/balances", "192.0.2.1", true)
	if !strings.Contains(fmtErr(err), "one-off consent, used on 2027-01-15: it ended") {
		t.Errorf("the day after its use: %v", err)
	}
}

func fmtErr(err error) string {
	if err == nil {
		return "<nil>"
	}
	return err.Error()
}

// TestRefusedAccessesAreNotCounted: the bank counts an access only when
// it answers 2xx, so the ledger gives a 400, 401, 403 or 404 back (the
// request still counts against the TPP's daily limit).
func TestRefusedAccessesAreNotCounted(t *testing.T) {
	r := newRulesRig(t, false)
	r.led.Learn("c1", "2027-04-15", 4, "valid")
	for _, status := range []int{400, 401, 403, 404, 500} {
		r.status = status
		if err := r.get("/v1/card-accounts/nope", "", true); err != nil {
			t.Fatal(err)
		}
	}
	if rep := r.led.Report("c1", r.tr.Limits, r.now); rep.CallsToday != 0 || rep.RequestsToday != 5 {
		t.Errorf("after five refused reads: %d calls, %d requests; want 0 and 5", rep.CallsToday, rep.RequestsToday)
	}
	r.status = 200
	for i := 0; i < 4; i++ {
		if err := r.get("/v1/card-accounts", "", true); err != nil {
			t.Fatalf("read %d of 4: %v", i+1, err)
		}
	}
	var ee *budget.ExceededError
	if err := r.get("/v1/card-accounts", "", true); !errors.As(err, &ee) || ee.Budget != budget.BudgetConsent {
		t.Errorf("the fifth 2xx-worthy read: %v; want frequencyPerDay", err)
	}
	// A one-off consent's refused read leaves the endpoint unread.
	o := newRulesRig(t, false)
	o.create(`{"access":{"allPsd2":"allAccounts"},"recurringIndicator":false,"validUntil":"2027-01-16","frequencyPerDay":1}`)
	o.status = 404
	if err := o.get("/v1/card-accounts/x", "", true); err != nil {
		t.Fatal(err)
	}
	o.status = 200
	if err := o.get("/v1/card-accounts/x", "", true); err != nil {
		t.Errorf("after a 404 the one-off consent's read: %v; want it sent", err)
	}
}

// TestPerPathBudget: a bank that counts per endpoint and account
// (adorsys, the lenient sandbox) allows frequencyPerDay reads of each.
func TestPerPathBudget(t *testing.T) {
	if !budget.CountsPerPath("adorsys") || !budget.CountsPerPath("Lenient") || budget.CountsPerPath("enfuce") || budget.CountsPerPath("") {
		t.Fatal("CountsPerPath: adorsys and lenient count per path, enfuce and the default per consent")
	}
	r := newRulesRig(t, true)
	r.led.Learn("c1", "2027-04-15", 2, "valid")
	for _, p := range []string{"/v1/card-accounts", "/v1/card-accounts", "/v1/card-accounts/a", "/v1/card-accounts/a", "/v1/card-accounts/a/balances"} {
		if err := r.get(p, "", true); err != nil {
			t.Errorf("%s: %v", p, err)
		}
	}
	err := r.get("/v1/card-accounts/a", "", true)
	var ee *budget.ExceededError
	if !errors.As(err, &ee) || ee.Budget != budget.BudgetConsent || ee.Path != "/v1/card-accounts/a" || !strings.Contains(err.Error(), "counted per endpoint and account") {
		t.Errorf("the third read of one account: %v", err)
	}
	if rep := r.led.Report("c1", r.tr.Limits, r.now); rep.CallsToday != 5 || !rep.PerEndpoint || *rep.CallsLeftToday != 0 {
		t.Errorf("report %+v; want 5 calls, 0 left on the most used endpoint", rep)
	}
	// The same reads per consent: the third is refused.
	c := newRulesRig(t, false)
	c.led.Learn("c1", "2027-04-15", 2, "valid")
	c.get("/v1/card-accounts", "", true)
	c.get("/v1/card-accounts/a", "", true)
	if err := c.get("/v1/card-accounts/a/balances", "", true); !errors.As(err, &ee) {
		t.Errorf("per consent, the third read: %v; want refused", err)
	}
}
