// Package budget keeps a TPP's call budget at an ASPSP the way the bank
// counts it: per consent, the accesses without the PSU (no PSU-IP-Address)
// a bank day allows (frequencyPerDay); per TPP, the API requests a bank
// day allows (the gateway's daily limit). The bank's day is its own time
// zone's calendar day (Europe/Helsinki for the Enfuce-hosted issuers), so
// the counts reset at the bank's midnight, not the caller's.
//
// The Ledger is plain data kept in the profile's state; Transport counts
// every request it carries into it, warns on the last call of a budget and
// on a call beyond it, and with Limits.Strict refuses that call before it
// is sent.
package budget

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	// The bank's zone must be known on machines without a zoneinfo
	// database, or the client's day would silently be UTC's.
	_ "time/tzdata"
)

// Defaults of the Enfuce banks' sandbox: 5 requests a second and 1000 a
// day per TPP, days in Helsinki.
const (
	DefaultRatePerSecond = 5.0
	DefaultDailyLimit    = 1000
	DefaultTimezone      = "Europe/Helsinki"
)

// ExpirySoon is how close validUntil must be for a warning.
const ExpirySoon = 7

// keepDays is how long a consent past its validUntil (or not used) stays in
// the ledger: long enough for `consent status` to explain a late 401.
const keepDays = 30

// Limits are the bank's limits as the profile states them.
type Limits struct {
	RatePerSecond float64 // 0: no pacing
	DailyLimit    int     // 0: no daily limit
	Zone          *time.Location
	Strict        bool // refuse a call beyond a budget before sending it
	// StrictBy names what made the limits strict, for the refusal's text;
	// "": --strict-budget or budget.strict.
	StrictBy string
	// PerPath: the bank counts frequencyPerDay per endpoint and account
	// (CountsPerPath), not per consent.
	PerPath bool
}

// CountsPerPath says whether a bank (the profile's bank key) counts
// frequencyPerDay per endpoint and account: adorsys xs2a does, since its
// release 2.5 ("New mechanism for counting frequencyPerDay":
// AisConsentUsageService keeps one counter per consent, day and request
// URI), and so does the sandbox's lenient bank; Enfuce (the default)
// counts per consent, as the file's frequencyPerDay words it ("maximum
// frequency for an access without PSU involvement per day").
func CountsPerPath(bank string) bool {
	switch strings.ToLower(strings.TrimSpace(bank)) {
	case "adorsys", "lenient":
		return true
	}
	return false
}

// ParseLimits reads the profile's budget.* keys; "" takes the default.
// daily "0" or "off" turns the daily limit off, rate "0" the pacing.
func ParseLimits(rate, daily, zone, strict string) (Limits, error) {
	l := Limits{RatePerSecond: DefaultRatePerSecond, DailyLimit: DefaultDailyLimit}
	if rate = strings.TrimSpace(rate); rate != "" {
		if rate == "off" {
			rate = "0"
		}
		v, err := strconv.ParseFloat(rate, 64)
		if err != nil || v < 0 || v > 10000 {
			return l, fmt.Errorf("budget.rate_per_second %q is not a number of requests a second (0 to 10000, 0 or off for no pacing)", rate)
		}
		l.RatePerSecond = v
	}
	if daily = strings.TrimSpace(daily); daily != "" {
		if daily == "off" {
			daily = "0"
		}
		v, err := strconv.Atoi(daily)
		if err != nil || v < 0 {
			return l, fmt.Errorf("budget.daily_limit %q is not a number of requests a day (0 or off for none)", daily)
		}
		l.DailyLimit = v
	}
	if zone = strings.TrimSpace(zone); zone == "" {
		zone = DefaultTimezone
	}
	loc, err := time.LoadLocation(zone)
	if err != nil {
		return l, fmt.Errorf("budget.timezone %q is not an IANA time zone (e.g. Europe/Helsinki)", zone)
	}
	l.Zone = loc
	switch strings.ToLower(strings.TrimSpace(strict)) {
	case "", "false", "no", "0":
	case "true", "yes", "1":
		l.Strict = true
	default:
		return l, fmt.Errorf("budget.strict %q is not true or false", strict)
	}
	return l, nil
}

func (l Limits) zone() *time.Location {
	if l.Zone == nil {
		return time.UTC
	}
	return l.Zone
}

// Day is the bank's calendar day of t.
func (l Limits) Day(t time.Time) string { return t.In(l.zone()).Format(time.DateOnly) }

// Midnight is the bank's next midnight after t, when the day's counts reset.
func (l Limits) Midnight(t time.Time) time.Time {
	b := t.In(l.zone())
	return time.Date(b.Year(), b.Month(), b.Day()+1, 0, 0, 0, 0, l.zone())
}

// ZoneName is how the bank's zone reads in a sentence: "Helsinki".
func (l Limits) ZoneName() string {
	n := l.zone().String()
	if i := strings.LastIndexByte(n, '/'); i >= 0 {
		n = n[i+1:]
	}
	return strings.ReplaceAll(n, "_", " ")
}

// Ledger is the budget kept in a profile's state.
type Ledger struct {
	// Day is the bank day Requests counts.
	Day      string `json:"day,omitempty"`
	Requests int    `json:"requests"`
	// Consents by consent id.
	Consents map[string]*Consent `json:"consents,omitempty"`
}

// Consent is what the ledger knows of one consent.
type Consent struct {
	ValidUntil      string `json:"valid_until,omitempty"`       // from the create request or GET consent
	FrequencyPerDay int    `json:"frequency_per_day,omitempty"` // 0: not known
	Status          string `json:"status,omitempty"`
	// Day is the bank day Calls counts (and the last day the consent was
	// used without the PSU).
	Day   string `json:"day,omitempty"`
	Calls int    `json:"calls"`
	// OneOff: recurringIndicator false. The bank counts every access of
	// it, the PSU present or not, each endpoint and account once, and it
	// ends after use (the file: "false, if the consent is for one access
	// to the account data"; adorsys AccountHelperService and
	// OneOffConsentExpirationService).
	OneOff bool `json:"one_off,omitempty"`
	// Used is the bank day a one-off consent was first used: it ends at
	// that day's midnight.
	Used string `json:"used,omitempty"`
	// Paths counts the accesses per endpoint and account (the API path):
	// a one-off consent's, for its whole life; a recurring one's on Day,
	// when the bank counts per path (Limits.PerPath).
	Paths map[string]int `json:"paths,omitempty"`
}

func (l *Ledger) roll(day string) {
	if l.Day != day {
		l.Day, l.Requests = day, 0
	}
}

// consent returns the entry for id, creating it.
func (l *Ledger) consent(id string) *Consent {
	if l.Consents == nil {
		l.Consents = map[string]*Consent{}
	}
	c := l.Consents[id]
	if c == nil {
		c = &Consent{}
		l.Consents[id] = c
	}
	return c
}

func (c *Consent) roll(day string) {
	if c.Day != day {
		c.Day, c.Calls = day, 0
		if !c.OneOff {
			c.Paths = nil
		}
	}
}

// LearnOneOff records a consent's recurringIndicator (the create request,
// GET consent).
func (l *Ledger) LearnOneOff(id string, oneOff bool) {
	if id != "" {
		l.consent(id).OneOff = oneOff
	}
}

// Learn records what a consent create or GET answer says of a consent.
func (l *Ledger) Learn(id, validUntil string, frequencyPerDay int, status string) {
	if id == "" {
		return
	}
	c := l.consent(id)
	if validUntil != "" {
		c.ValidUntil = validUntil
	}
	if frequencyPerDay > 0 {
		c.FrequencyPerDay = frequencyPerDay
	}
	if status != "" {
		c.Status = status
	}
}

// prune forgets consents long past their validUntil or long unused, so
// the state does not grow with every consent ever made.
func (l *Ledger) prune(today string) {
	t, err := time.Parse(time.DateOnly, today)
	if err != nil {
		return
	}
	cut := t.AddDate(0, 0, -keepDays).Format(time.DateOnly)
	for id, c := range l.Consents {
		last := c.ValidUntil
		if c.Day > last {
			last = c.Day
		}
		if last != "" && last < cut {
			delete(l.Consents, id)
		}
	}
}

// Report is the budget of one consent and of the TPP at one instant, the
// form `xs2a consent status -o json` prints (field names are stable).
type Report struct {
	ConsentID  string `json:"-"` // the command's output names it once
	ValidUntil string `json:"valid_until"`
	// DaysLeft counts the days after today the consent is still valid:
	// 0 on its last day, negative once expired; null when valid_until is not known.
	DaysLeft        *int `json:"days_left"`
	FrequencyPerDay *int `json:"frequency_per_day"`
	CallsToday      int  `json:"calls_today"`
	CallsLeftToday  *int `json:"calls_left_today"`
	// DailyLimit and RequestsLeftToday are null when the profile has no daily limit.
	DailyLimit        *int `json:"daily_limit"`
	RequestsToday     int  `json:"requests_today"`
	RequestsLeftToday *int `json:"requests_left_today"`
	// OneOff: a one-off consent (each endpoint and account once);
	// PerEndpoint: the bank counts frequencyPerDay per endpoint and
	// account, and calls_left_today is what is left on the one used most.
	OneOff      bool   `json:"one_off,omitempty"`
	PerEndpoint bool   `json:"per_endpoint,omitempty"`
	BankDay     string `json:"bank_day"`
	Timezone    string `json:"timezone"`
	ResetsAt    string `json:"resets_at"`
	Strict      bool   `json:"strict"`
}

// Report computes the budget of consent id at now.
func (l *Ledger) Report(id string, lim Limits, now time.Time) Report {
	day := lim.Day(now)
	r := Report{ConsentID: id, BankDay: day, Timezone: lim.zone().String(),
		ResetsAt: lim.Midnight(now).Format(time.RFC3339), Strict: lim.Strict}
	if l != nil && l.Day == day {
		r.RequestsToday = l.Requests
	}
	if lim.DailyLimit > 0 {
		n, left := lim.DailyLimit, max(0, lim.DailyLimit-r.RequestsToday)
		r.DailyLimit, r.RequestsLeftToday = &n, &left
	}
	var c *Consent
	if l != nil {
		c = l.Consents[id]
	}
	if c == nil {
		return r
	}
	r.ValidUntil = c.ValidUntil
	if d, ok := daysLeft(c.ValidUntil, day); ok {
		r.DaysLeft = &d
	}
	if c.Day == day {
		r.CallsToday = c.Calls
	}
	r.OneOff = c.OneOff
	used := r.CallsToday
	if lim.PerPath && !c.OneOff {
		r.PerEndpoint, used = true, 0
		if c.Day == day {
			for _, n := range c.Paths {
				used = max(used, n)
			}
		}
	}
	if c.FrequencyPerDay > 0 {
		f, left := c.FrequencyPerDay, max(0, c.FrequencyPerDay-used)
		r.FrequencyPerDay, r.CallsLeftToday = &f, &left
	}
	return r
}

// daysLeft is validUntil minus today, in days.
func daysLeft(validUntil, today string) (int, bool) {
	v, err1 := time.Parse(time.DateOnly, validUntil)
	t, err2 := time.Parse(time.DateOnly, today)
	if err1 != nil || err2 != nil {
		return 0, false
	}
	return int(v.Sub(t).Hours() / 24), true
}

// ExceededError is a call refused before sending because it is beyond a
// budget (Limits.Strict).
type ExceededError struct {
	// Budget is "frequencyPerDay" (the consent's), "one-off" (a one-off
	// consent's one read of Path, or its day) or "daily limit" (the TPP's).
	Budget    string
	ConsentID string
	// Path is the endpoint and account (one-off, or a bank counting per path).
	Path string
	// Used is the day a one-off consent was used, when it has ended.
	Used     string
	Limit    int
	Resets   time.Time
	ZoneName string
	// By is what refused it (Limits.StrictBy); "": --strict-budget or budget.strict.
	By string
}

func (e *ExceededError) Error() string {
	reset := fmt.Sprintf("it resets at 00:00 %s time (%s)", e.ZoneName, e.Resets.Format(time.RFC3339))
	by := e.By
	if by == "" {
		by = "--strict-budget or budget.strict"
	}
	if e.Budget == BudgetOneOff {
		if e.Used != "" {
			return fmt.Sprintf("budget: consent %s is a one-off consent, used on %s: it ended at that day's midnight (the bank answers 401 CONSENT_EXPIRED); not sent (%s); ask the PSU for a new consent",
				e.ConsentID, e.Used, by)
		}
		return fmt.Sprintf("budget: consent %s is a one-off consent and has read %s already (each endpoint and account once; the bank answers 429 ACCESS_EXCEEDED); not sent (%s); ask the PSU for a new consent",
			e.ConsentID, e.Path, by)
	}
	if e.Budget == BudgetConsent && e.Path != "" {
		return fmt.Sprintf("budget: consent %s has used its %d PSU-not-present calls of %s today (frequencyPerDay, counted per endpoint and account); not sent (%s); %s, or send with --psu-ip when the PSU is present",
			e.ConsentID, e.Limit, e.Path, by, reset)
	}
	if e.Budget == BudgetConsent {
		return fmt.Sprintf("budget: consent %s has used its %d PSU-not-present calls today (frequencyPerDay); not sent (%s); %s, or send with --psu-ip when the PSU is present",
			e.ConsentID, e.Limit, by, reset)
	}
	return fmt.Sprintf("budget: the TPP's daily limit of %d requests is used up; not sent (%s); %s", e.Limit, by, reset)
}

// The budgets an ExceededError names.
const (
	BudgetConsent = "frequencyPerDay"
	BudgetOneOff  = "one-off"
	BudgetDaily   = "daily limit"
)
