package budget

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"
)

// Call is how the bank counts one request.
type Call struct {
	// API: a request to the XS2A API (base path, then /v1/...): it counts
	// against the TPP's daily limit. The token endpoint, the OAuth metadata
	// and the sandbox's own paths do not.
	API bool
	// ConsentID is the consent a PSU-not-present account call spends one
	// access of; "" when the call spends none (the PSU is present, a page
	// after the first of a report, or not an account call).
	ConsentID string
	// PresentConsentID is the consent of an account access with the PSU
	// present (PSU-IP-Address): it spends an access of a one-off consent
	// only, which counts every access.
	PresentConsentID string
	// Path is the endpoint and account an account access reads (the API
	// path, without the query), as the banks that count per path and
	// one-off consents count it.
	Path string
}

var (
	versionRE = regexp.MustCompile(`^/v[0-9]+(/|$)`)
	accountRE = regexp.MustCompile(`^/v[0-9]+/(card-)?accounts(/|$)`)
)

// Classify says how the bank counts req, whose API lives under base
// (the profile's base_url).
func Classify(req *http.Request, base *url.URL) Call {
	p := req.URL.Path
	if base != nil {
		bp := strings.TrimRight(base.Path, "/")
		if bp != "" {
			if !strings.HasPrefix(p, bp+"/") {
				return Call{}
			}
			p = strings.TrimPrefix(p, bp)
		}
	}
	if !versionRE.MatchString(p) {
		return Call{API: false}
	}
	c := Call{API: true}
	cid := req.Header.Get("Consent-ID")
	page := req.URL.Query().Get("page")
	// As the bank counts: an account access without the PSU, once per
	// report (the pages after the first belong to the same access).
	if req.Method == http.MethodGet && cid != "" && accountRE.MatchString(p) && (page == "" || page == "0") {
		c.Path = p
		if req.Header.Get("PSU-IP-Address") == "" {
			c.ConsentID = cid
		} else {
			c.PresentConsentID = cid
		}
	}
	return c
}

// Transport counts what it carries into the ledger and sends it on Base.
type Transport struct {
	Base   http.RoundTripper
	Limits Limits
	// BaseURL is the profile's base_url: only requests to its /v1/... count.
	BaseURL string
	Now     func() time.Time
	// Update runs fn on the stored ledger under the state's lock and saves
	// it when fn returns nil (a process-safe read-modify-write).
	Update func(fn func(*Ledger) error) error
	// Warn receives the one-line warnings.
	Warn io.Writer

	once     sync.Once
	base     *url.URL
	warnedMu sync.Mutex
	warned   map[string]bool // validUntil warnings given, by consent
}

var _ http.RoundTripper = (*Transport)(nil)

func (t *Transport) now() time.Time {
	if t.Now != nil {
		return t.Now()
	}
	return time.Now()
}

func (t *Transport) warnf(format string, a ...any) {
	if t.Warn != nil {
		fmt.Fprintf(t.Warn, "warning: "+format+"\n", a...)
	}
}

// reservation is what a call took from the budgets before it was sent.
type reservation struct {
	day            string
	request, spent bool // counted against the daily limit, the consent
	lastRequest    bool // the daily limit's last request
	lastCall       bool // the consent's last access
	frequency      int
	validUntil     string
	consent        string // the consent spent (spent true)
	oneOff         bool
}

// RoundTrip reserves the call's share of the budgets, sends it, and gives
// back what the bank did not count.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	t.once.Do(func() { t.base, _ = url.Parse(t.BaseURL) })
	call := Classify(req, t.base)
	learn := consentLearner(req, t.base)
	if !call.API {
		return t.Base.RoundTrip(req)
	}
	var sent []byte // a consent create's body, for its validUntil and frequencyPerDay
	if learn == learnCreate && req.Body != nil && req.Body != http.NoBody {
		var err error
		if sent, req, err = peekRequestBody(req); err != nil {
			return nil, err
		}
	}
	res, err := t.reserve(call, t.now())
	if err != nil {
		return nil, err
	}
	resp, err := t.Base.RoundTrip(req)
	if err != nil {
		t.settle(call, res, nil, nil)
		return nil, err
	}
	var body []byte
	if learn != learnNone && resp.StatusCode/100 == 2 {
		body = peekResponseBody(resp)
	}
	t.settle(call, res, resp, func(l *Ledger) {
		switch learn {
		case learnCreate:
			learnCreated(l, sent, body)
		case learnGet:
			learnRead(l, consentPathID(req, t.base), body)
		}
	})
	return resp, nil
}

// peekRequestBody reads the request's body (up to 1 MiB through GetBody)
// and returns the request to send: the caller's, or a copy carrying the
// body read, since a RoundTripper must not change the caller's request.
func peekRequestBody(req *http.Request) ([]byte, *http.Request, error) {
	if req.GetBody != nil {
		var sent []byte
		if rc, err := req.GetBody(); err == nil {
			sent, _ = io.ReadAll(io.LimitReader(rc, 1<<20))
			rc.Close()
		}
		return sent, req, nil
	}
	b, err := io.ReadAll(req.Body)
	req.Body.Close()
	if err != nil {
		return nil, nil, err
	}
	req = req.Clone(req.Context())
	req.Body = io.NopCloser(bytes.NewReader(b))
	req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }
	return b, req, nil
}

// peekResponseBody reads up to 1 MiB of the answer's body and puts it back
// in front of the rest; nil when reading failed.
func peekResponseBody(resp *http.Response) []byte {
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	resp.Body = struct {
		io.Reader
		io.Closer
	}{io.MultiReader(bytes.NewReader(body), resp.Body), resp.Body}
	if err != nil {
		return nil
	}
	return body
}

// learnCreated learns a new consent from its create request (sent) and the
// bank's answer.
func learnCreated(l *Ledger, sent, answer []byte) {
	var in struct {
		ValidUntil         string `json:"validUntil"`
		FrequencyPerDay    int    `json:"frequencyPerDay"`
		RecurringIndicator *bool  `json:"recurringIndicator"`
	}
	var out struct {
		ConsentID     string `json:"consentId"`
		ConsentStatus string `json:"consentStatus"`
	}
	if json.Unmarshal(sent, &in) == nil && json.Unmarshal(answer, &out) == nil {
		l.Learn(out.ConsentID, in.ValidUntil, in.FrequencyPerDay, out.ConsentStatus)
		if in.RecurringIndicator != nil {
			l.LearnOneOff(out.ConsentID, !*in.RecurringIndicator)
		}
	}
}

// learnRead learns consent id from the bank's answer to reading it.
func learnRead(l *Ledger, id string, answer []byte) {
	var out struct {
		ValidUntil         string `json:"validUntil"`
		FrequencyPerDay    int    `json:"frequencyPerDay"`
		ConsentStatus      string `json:"consentStatus"`
		RecurringIndicator *bool  `json:"recurringIndicator"`
	}
	if json.Unmarshal(answer, &out) == nil {
		l.Learn(id, out.ValidUntil, out.FrequencyPerDay, out.ConsentStatus)
		if out.RecurringIndicator != nil {
			l.LearnOneOff(id, !*out.RecurringIndicator)
		}
	}
}

// reserve counts the call before it is sent, or refuses it (Strict).
func (t *Transport) reserve(call Call, now time.Time) (*reservation, error) {
	lim := t.Limits
	day := lim.Day(now)
	res := &reservation{day: day}
	var refused error
	var over []string
	err := t.Update(func(l *Ledger) error {
		l.roll(day)
		l.prune(day)
		if lim.DailyLimit > 0 && l.Requests >= lim.DailyLimit {
			if lim.Strict {
				refused = &ExceededError{Budget: BudgetDaily, Limit: lim.DailyLimit, Resets: lim.Midnight(now), ZoneName: lim.ZoneName(), By: lim.StrictBy}
				return refused
			}
			over = append(over, fmt.Sprintf("the TPP's daily limit of %d requests is used up", lim.DailyLimit))
		}
		cid := call.ConsentID
		if c := l.Consents[call.PresentConsentID]; cid == "" && c != nil && c.OneOff {
			cid = call.PresentConsentID // a one-off consent counts the PSU's accesses too
		}
		if cid != "" {
			var problem string
			if problem, refused = lim.spend(l.consent(cid), cid, call.Path, now, day, res); refused != nil {
				if lim.Strict {
					return refused
				}
				refused = nil
				over = append(over, problem)
			}
		}
		l.Requests++
		res.request = true
		res.lastRequest = lim.DailyLimit > 0 && l.Requests == lim.DailyLimit
		return nil
	})
	if refused != nil {
		return nil, refused
	}
	if err != nil {
		return nil, fmt.Errorf("budget: %w", err)
	}
	if len(over) > 0 {
		t.warnf("%s; sending anyway, the bank will answer 429 until 00:00 %s time (--strict-budget refuses such a call)", strings.Join(over, " and "), lim.ZoneName())
	}
	t.warnValidity(res.consent, res.validUntil, day)
	return res, nil
}

// spend counts one access to consent c (id) on path, recording it in res.
// When the consent's budget is already used up it says so: problem is the
// warning, refused the error a Strict transport answers instead; the
// access is counted only when the call goes (the caller returns refused).
func (lim Limits) spend(c *Consent, id, path string, now time.Time, day string, res *reservation) (problem string, refused error) {
	c.roll(day)
	res.frequency, res.validUntil, res.consent, res.oneOff = c.FrequencyPerDay, c.ValidUntil, id, c.OneOff
	switch {
	case c.OneOff && c.Used != "" && c.Used < day:
		// It ended at the midnight after its first use.
		refused = &ExceededError{Budget: BudgetOneOff, ConsentID: id, Used: c.Used, By: lim.StrictBy}
		problem = fmt.Sprintf("consent %s is a one-off consent used on %s, ended since (401 CONSENT_EXPIRED)", id, c.Used)
	case c.OneOff && c.Paths[path] > 0:
		refused = &ExceededError{Budget: BudgetOneOff, ConsentID: id, Path: path, By: lim.StrictBy}
		problem = fmt.Sprintf("consent %s is a one-off consent and has read %s already (429 ACCESS_EXCEEDED)", id, path)
	case !c.OneOff && lim.PerPath && c.FrequencyPerDay > 0 && c.Paths[path] >= c.FrequencyPerDay:
		refused = &ExceededError{Budget: BudgetConsent, ConsentID: id, Path: path, Limit: c.FrequencyPerDay, Resets: lim.Midnight(now), ZoneName: lim.ZoneName(), By: lim.StrictBy}
		problem = fmt.Sprintf("consent %s has used its %d PSU-not-present calls of %s today", id, c.FrequencyPerDay, path)
	case !c.OneOff && !lim.PerPath && c.FrequencyPerDay > 0 && c.Calls >= c.FrequencyPerDay:
		refused = &ExceededError{Budget: BudgetConsent, ConsentID: id, Limit: c.FrequencyPerDay, Resets: lim.Midnight(now), ZoneName: lim.ZoneName(), By: lim.StrictBy}
		problem = fmt.Sprintf("consent %s has used its %d PSU-not-present calls today", id, c.FrequencyPerDay)
	}
	if refused != nil && lim.Strict {
		return problem, refused
	}
	c.Calls++
	if c.OneOff || lim.PerPath {
		if c.Paths == nil {
			c.Paths = map[string]int{}
		}
		c.Paths[path]++
	}
	if c.OneOff && c.Used == "" {
		c.Used = day
	}
	res.spent = true
	switch {
	case c.OneOff:
		// Each path once: no "last call" of a day to warn of.
	case lim.PerPath:
		res.lastCall = c.FrequencyPerDay > 0 && c.Paths[path] == c.FrequencyPerDay
	default:
		res.lastCall = c.FrequencyPerDay > 0 && c.Calls == c.FrequencyPerDay
	}
	return problem, refused
}

// settle gives back what the bank did not count, learns from its answer
// and warns when the call was the last of a budget. resp nil: no answer.
func (t *Transport) settle(call Call, res *reservation, resp *http.Response, learn func(*Ledger)) {
	giveRequest, giveCall, usedUp := false, false, false
	switch {
	case resp == nil:
		// No answer: the request most likely never reached the bank's
		// counter; counting it would warn of a budget not spent.
		giveRequest, giveCall = true, true
	case resp.StatusCode == http.StatusTooManyRequests && resp.Header.Get("Retry-After") != "":
		// The gateway's rate limit refused it before anything counted.
		giveRequest, giveCall = true, true
	case resp.StatusCode == http.StatusTooManyRequests:
		// ACCESS_EXCEEDED without a time to wait: the consent's accesses
		// are used up at the bank (whatever this ledger thought).
		giveCall, usedUp = true, true
	case resp.StatusCode/100 != 2:
		// The bank counts an access only when it answers 2xx (adorsys logs
		// the usage after the answer was built; the sandbox gives a
		// refused access back): a 400, 401, 403 or 404 spent none.
		giveCall = true
	}
	giveCall = giveCall && res.spent
	if !giveRequest && !giveCall && !usedUp && learn == nil {
		t.warnLast(call, res)
		return
	}
	_ = t.Update(func(l *Ledger) error {
		if giveRequest && l.Day == res.day && l.Requests > 0 {
			l.Requests--
		}
		if res.spent {
			c := l.consent(res.consent)
			if c.Day == res.day {
				if giveCall && c.Calls > 0 {
					c.Calls--
				}
				if giveCall && c.Paths[call.Path] > 0 {
					c.Paths[call.Path]--
					if c.Paths[call.Path] == 0 {
						delete(c.Paths, call.Path)
					}
				}
				if giveCall && c.OneOff && len(c.Paths) == 0 && c.Used == res.day {
					c.Used = "" // not used after all
				}
				if usedUp {
					switch {
					case c.OneOff:
						if c.Paths == nil {
							c.Paths = map[string]int{}
						}
						c.Paths[call.Path] = 1
					case c.FrequencyPerDay > 0 && c.Paths != nil:
						c.Paths[call.Path] = c.FrequencyPerDay
					case c.FrequencyPerDay > 0 && c.Calls < c.FrequencyPerDay:
						c.Calls = c.FrequencyPerDay
					}
				}
			}
		}
		if learn != nil {
			learn(l)
		}
		return nil
	})
	if giveRequest {
		res.lastRequest = false
	}
	if giveCall {
		res.lastCall = false
	}
	t.warnLast(call, res)
}

func (t *Transport) warnLast(call Call, res *reservation) {
	z := t.Limits.ZoneName()
	if res.lastCall {
		what := ""
		if t.Limits.PerPath {
			what = " of " + call.Path
		}
		t.warnf("this was the last PSU-not-present call%s for consent %s today (%d of %d); the next one will get 429 until 00:00 %s time",
			what, res.consent, res.frequency, res.frequency, z)
	}
	if res.lastRequest {
		t.warnf("this was the TPP's last request of the daily limit (%d); the next one will get 429 until 00:00 %s time", t.Limits.DailyLimit, z)
	}
}

// warnValidity warns once per consent when its validUntil is near or past.
func (t *Transport) warnValidity(id, validUntil, today string) {
	d, ok := daysLeft(validUntil, today)
	if id == "" || !ok || d > ExpirySoon {
		return
	}
	t.warnedMu.Lock()
	if t.warned == nil {
		t.warned = map[string]bool{}
	}
	seen := t.warned[id]
	t.warned[id] = true
	t.warnedMu.Unlock()
	if seen {
		return
	}
	switch {
	case d < 0:
		t.warnf("consent %s expired after %s (validUntil); the bank answers 401 CONSENT_EXPIRED: ask the PSU for a new consent", id, validUntil)
	case d == 0:
		t.warnf("consent %s is valid through today only (validUntil %s): ask the PSU for a new consent", id, validUntil)
	default:
		t.warnf("consent %s expires after %s (%d days left): ask the PSU for a new consent soon", id, validUntil, d)
	}
}

type learnKind int

const (
	learnNone learnKind = iota
	learnCreate
	learnGet
)

var consentRE = regexp.MustCompile(`^/v[0-9]+/consents(/[^/]+)?$`)

// consentLearner says whether req's answer tells the ledger of a consent.
func consentLearner(req *http.Request, base *url.URL) learnKind {
	p := apiPath(req, base)
	m := consentRE.FindStringSubmatch(p)
	switch {
	case m == nil:
		return learnNone
	case req.Method == http.MethodPost && m[1] == "":
		return learnCreate
	case req.Method == http.MethodGet && m[1] != "":
		return learnGet
	}
	return learnNone
}

func consentPathID(req *http.Request, base *url.URL) string {
	m := consentRE.FindStringSubmatch(apiPath(req, base))
	if m == nil || m[1] == "" {
		return ""
	}
	id, err := url.PathUnescape(m[1][1:])
	if err != nil {
		return ""
	}
	return id
}

func apiPath(req *http.Request, base *url.URL) string {
	p := req.URL.Path
	if base != nil {
		if bp := strings.TrimRight(base.Path, "/"); bp != "" {
			p = strings.TrimPrefix(p, bp)
		}
	}
	return p
}
