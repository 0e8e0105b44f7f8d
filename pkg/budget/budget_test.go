package budget_test

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/xs2a-dev/xs2a/pkg/budget"
	"github.com/xs2a-dev/xs2a/pkg/state"
)

func TestParseLimits(t *testing.T) {
	l, err := budget.ParseLimits("", "", "", "")
	if err != nil || l.RatePerSecond != 5 || l.DailyLimit != 1000 || l.Zone.String() != "Europe/Helsinki" || l.Strict || l.ZoneName() != "Helsinki" {
		t.Errorf("defaults: %+v %v", l, err)
	}
	l, err = budget.ParseLimits("2.5", "off", "America/New_York", "true")
	if err != nil || l.RatePerSecond != 2.5 || l.DailyLimit != 0 || l.ZoneName() != "New York" || !l.Strict {
		t.Errorf("set: %+v %v", l, err)
	}
	for _, bad := range [][4]string{{"-1", "", "", ""}, {"", "many", "", ""}, {"", "", "Mars/Olympus", ""}, {"", "", "", "maybe"}} {
		if _, err := budget.ParseLimits(bad[0], bad[1], bad[2], bad[3]); err == nil || !strings.Contains(err.Error(), "budget.") {
			t.Errorf("ParseLimits%q: %v; want an error naming the key", bad, err)
		}
	}
}

func TestBankDayAndMidnight(t *testing.T) {
	l, _ := budget.ParseLimits("", "", "", "")
	// 22:30 UTC on 1 December is 00:30 on 2 December in Helsinki (UTC+2);
	// on 1 July 21:30 UTC is 00:30 (UTC+3).
	for _, c := range []struct{ utc, day, midnight string }{
		{"2026-12-01T21:59:59Z", "2026-12-01", "2026-12-02T00:00:00+02:00"},
		{"2026-12-01T22:00:00Z", "2026-12-02", "2026-12-03T00:00:00+02:00"},
		{"2027-07-01T20:59:59Z", "2027-07-01", "2027-07-02T00:00:00+03:00"},
		{"2027-07-01T21:00:00Z", "2027-07-02", "2027-07-03T00:00:00+03:00"},
	} {
		now, _ := time.Parse(time.RFC3339, c.utc)
		if d, m := l.Day(now), l.Midnight(now).Format(time.RFC3339); d != c.day || m != c.midnight {
			t.Errorf("%s: day %s, midnight %s; want %s, %s", c.utc, d, m, c.day, c.midnight)
		}
	}
}

func TestClassify(t *testing.T) {
	base, _ := url.Parse("https://bank.example/psd2")
	for _, c := range []struct {
		method, url string
		header      map[string]string
		api         bool
		consent     string
	}{
		{"GET", "https://bank.example/psd2/v1/card-accounts", map[string]string{"Consent-ID": "c1"}, true, "c1"},
		{"GET", "https://bank.example/psd2/v1/card-accounts/x/transactions?page=0", map[string]string{"Consent-ID": "c1"}, true, "c1"},
		{"GET", "https://bank.example/psd2/v1/card-accounts/x/transactions?page=2", map[string]string{"Consent-ID": "c1"}, true, ""},
		{"GET", "https://bank.example/psd2/v1/accounts", map[string]string{"Consent-ID": "c1", "PSU-IP-Address": "192.0.2.1"}, true, ""},
		{"GET", "https://bank.example/psd2/v1/consents/c1/status", nil, true, ""},
		{"POST", "https://bank.example/psd2/v1/consents", nil, true, ""},
		{"POST", "https://bank.example/psd2/oauth/token", nil, false, ""},
		{"GET", "https://bank.example/psd2/.well-known/oauth-authorization-server", nil, false, ""},
		{"GET", "https://bank.example/sandbox/v1/rejections/x", nil, false, ""},
	} {
		req, _ := http.NewRequest(c.method, c.url, nil)
		for k, v := range c.header {
			req.Header.Set(k, v)
		}
		if got := budget.Classify(req, base); got.API != c.api || got.ConsentID != c.consent {
			t.Errorf("%s %s %v: %+v; want API %v, consent %q", c.method, c.url, c.header, got, c.api, c.consent)
		}
	}
}

// bank answers as the sandbox does: consent accesses beyond four a day get
// 429 without Retry-After.
type bank struct {
	mu    sync.Mutex
	calls int
	sent  atomic.Int32
}

func (b *bank) RoundTrip(req *http.Request) (*http.Response, error) {
	b.sent.Add(1)
	status := http.StatusOK
	if budget.Classify(req, nil).ConsentID != "" {
		b.mu.Lock()
		if b.calls >= 4 {
			status = http.StatusTooManyRequests
		} else {
			b.calls++
		}
		b.mu.Unlock()
	}
	return &http.Response{StatusCode: status, Header: http.Header{}, Body: io.NopCloser(strings.NewReader("{}")), Request: req}, nil
}

func consentCall(t *testing.T, id string) *http.Request {
	req, err := http.NewRequest("GET", "https://bank.example/v1/card-accounts", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Consent-ID", id)
	return req
}

// Two invocations at once share the state file: none of their counts is lost.
func TestConcurrentCountsThroughTheState(t *testing.T) {
	store := state.Open(t.TempDir())
	lim, _ := budget.ParseLimits("", "", "", "")
	now := time.Date(2027, 1, 15, 12, 0, 0, 0, time.UTC)
	b := &bank{}
	newTransport := func(strict bool) *budget.Transport {
		l := lim
		l.Strict = strict
		return &budget.Transport{Base: b, Limits: l, BaseURL: "https://bank.example", Now: func() time.Time { return now }, Warn: io.Discard,
			Update: func(fn func(*budget.Ledger) error) error {
				return store.Update("p", func(st *state.State) error {
					if st.Budget == nil {
						st.Budget = &budget.Ledger{}
					}
					return fn(st.Budget)
				})
			}}
	}
	// The consent's frequencyPerDay, as the create answer taught it.
	if err := store.Update("p", func(st *state.State) error {
		st.Budget = &budget.Ledger{}
		st.Budget.Learn("c1", "2027-04-15", 4, "valid")
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var refused atomic.Int32
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := newTransport(true).RoundTrip(consentCall(t, "c1"))
			var ee *budget.ExceededError
			if errors.As(err, &ee) {
				refused.Add(1)
			} else if err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	st, _ := store.Load("p")
	r := st.Budget.Report("c1", lim, now)
	if b.calls != 4 || b.sent.Load() != 4 || refused.Load() != 4 || r.CallsToday != 4 || r.RequestsToday != 4 || *r.CallsLeftToday != 0 {
		t.Errorf("8 strict calls at once: the bank counted %d of %d sent, %d refused; the ledger %d calls, %d requests",
			b.calls, b.sent.Load(), refused.Load(), r.CallsToday, r.RequestsToday)
	}
	// Without strict the fifth is sent, warned of, and the bank's 429
	// leaves the counts as the bank has them.
	var warn bytes.Buffer
	tr := newTransport(false)
	tr.Warn = &warn
	resp, err := tr.RoundTrip(consentCall(t, "c1"))
	if err != nil || resp.StatusCode != 429 || !strings.Contains(warn.String(), "has used its 4 PSU-not-present calls today; sending anyway") {
		t.Errorf("fifth call: %v %v; warned %q", resp, err, warn.String())
	}
	st, _ = store.Load("p")
	if r := st.Budget.Report("c1", lim, now); r.CallsToday != 4 || r.RequestsToday != 5 {
		t.Errorf("after the bank's 429: %d calls, %d requests; want 4 and 5", r.CallsToday, r.RequestsToday)
	}
}

func FuzzParseLimits(f *testing.F) {
	f.Add("5", "1000", "Europe/Helsinki", "true")
	f.Add("", "off", "", "")
	f.Add("1e309", "-3", "../../etc/passwd", "yes")
	f.Fuzz(func(t *testing.T, rate, daily, zone, strict string) {
		l, err := budget.ParseLimits(rate, daily, zone, strict)
		if err != nil {
			return
		}
		if l.RatePerSecond < 0 || l.DailyLimit < 0 || l.Zone == nil {
			t.Errorf("ParseLimits(%q, %q, %q, %q) = %+v", rate, daily, zone, strict, l)
		}
		now := time.Now()
		if m := l.Midnight(now); !m.After(now) || l.Day(m) == l.Day(now) {
			t.Errorf("midnight %v of %v is not the next bank day", m, now)
		}
	})
}

// FuzzConsentAnswer feeds the transport bank answers to consent create
// and GET: whatever they hold, nothing panics and no count goes negative.
func FuzzConsentAnswer(f *testing.F) {
	f.Add(201, []byte(`{"validUntil":"2027-04-15","frequencyPerDay":4}`), []byte(`{"consentId":"c1","consentStatus":"received"}`))
	f.Add(200, []byte(``), []byte(`{"validUntil":"x","frequencyPerDay":-7,"consentStatus":"valid"}`))
	f.Add(429, []byte(`[`), []byte(`{"frequencyPerDay":1e99}`))
	f.Fuzz(func(t *testing.T, status int, sent, answer []byte) {
		if status < 100 || status > 599 {
			return
		}
		var led budget.Ledger
		lim, _ := budget.ParseLimits("", "", "", "")
		tr := &budget.Transport{Limits: lim, BaseURL: "https://bank.example", Warn: io.Discard,
			Base: roundTripper(func(req *http.Request) (*http.Response, error) {
				if req.Method == "POST" {
					if got, _ := io.ReadAll(req.Body); !bytes.Equal(got, sent) {
						t.Fatalf("the bank got %q; the caller sent %q", got, sent)
					}
				}
				return &http.Response{StatusCode: status, Header: http.Header{}, Body: io.NopCloser(bytes.NewReader(answer)), Request: req}, nil
			}),
			Update: func(fn func(*budget.Ledger) error) error { return fn(&led) }}
		create := mustRequest(t, "POST", "https://bank.example/v1/consents", sent)
		create.GetBody = nil // as a proxied request comes: the body readable once
		for _, req := range []*http.Request{create, mustRequest(t, "GET", "https://bank.example/v1/consents/c1", nil)} {
			resp, err := tr.RoundTrip(req)
			if err != nil {
				t.Fatal(err)
			}
			got, _ := io.ReadAll(resp.Body)
			if !bytes.Equal(got, answer) {
				t.Fatalf("the answer's body changed on its way through: %q, want %q", got, answer)
			}
		}
		if led.Requests < 0 {
			t.Errorf("requests %d", led.Requests)
		}
		for id, c := range led.Consents {
			if c.Calls < 0 || c.FrequencyPerDay < 0 {
				t.Errorf("consent %q: %+v", id, c)
			}
		}
	})
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func mustRequest(t *testing.T, method, u string, body []byte) *http.Request {
	req, err := http.NewRequest(method, u, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	return req
}
