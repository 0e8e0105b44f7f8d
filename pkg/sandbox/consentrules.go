package sandbox

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/xs2a-dev/xs2a/pkg/text"
)

// The consent rules of item 9 of issue 16, each with its source. Where the
// banks differ, the dialect (Options.Dialect) decides; README "Consent
// rules" lists them.
//
// Sources named below:
//   - the file: Berlin Group NextGenPSD2 OpenAPI 1.3.12, schemas
//     recurringIndicator, frequencyPerDay, validUntil, lastActionDate and the
//     description of POST /v1/consents (createConsent).
//   - adorsys xs2a (github.com/adorsys/xs2a):
//     doc/release_notes/Release_notes_2.5 "New mechanism for counting
//     frequencyPerDay" (usage counted per endpoint: /accounts, and per
//     account-id its details, balances and transactions, per transaction-id
//     its details); AisConsentUsageService (one counter per consent, bank
//     day and request URI); AccountConsentValidator (429 ACCESS_EXCEEDED when
//     the URI's counter is used up; a request from the PSU is exempt unless
//     the consent is one-off); AccountHelperService.needsToUpdateUsage
//     (one-off consents count every access); CardAccountService and the
//     other account services (the usage is logged only after the answer
//     was built: a refused call uses nothing); OneOffConsentExpirationService
//     (a one-off consent expires once every GET it allows was made; an
//     available-accounts one after its one call); ConsentJpaRepository
//     expireUsedNonRecurringConsents (a one-off consent used on an earlier
//     day expires); AisConsentServiceInternal findAndTerminateOldConsents
//     (a new recurring consent ends the TPP's former ones of the PSU:
//     received → rejected, valid → terminatedByTpp) and adjustValidUntilDate
//     (validUntil beyond maxConsentValidityDays is adjusted, counting today
//     as the first day; the profile's default 0 means no limit).
//   - RTS: Commission Delegated Regulation (EU) 2018/389 as amended by
//     (EU) 2022/2360, Article 10a(2)(b): strong customer authentication again
//     once more than 180 days have elapsed (it was 90 under Article 10).

// consentRules is how one bank applies the consent rules.
type consentRules struct {
	// perEndpoint: frequencyPerDay counts per endpoint and account (the
	// request path), as adorsys xs2a does; otherwise per consent.
	perEndpoint bool
	// maxDays is the longest validity; todayCounts: today is the first of
	// them (adorsys: latest = today + maxDays - 1), otherwise latest =
	// today + maxDays.
	maxDays     int
	todayCounts bool
	// refuseBeyond: a validUntil after the latest date, other than the
	// file's "9999-12-31" (the maximum), is refused rather than adjusted.
	refuseBeyond bool
	// formerStatus is what a new recurring consent makes of the TPP's
	// former valid consents of the PSU; formerOneOff: one-off ones too.
	formerStatus string
	formerOneOff bool
}

// rules is the rule set of the sandbox's dialect.
func (s *Server) rules() consentRules { return rulesOf(s.dialect) }

// rulesOf is the rule set of a dialect.
func rulesOf(d Dialect) consentRules {
	switch d {
	case DialectAdorsys:
		// adorsys xs2a: usage per request URI; adjustValidUntilDate with
		// maxConsentValidityDays 180 (the RTS's; adorsys's own default, 0,
		// sets no limit at all); findAndTerminateOldConsents ends every
		// former consent, one-off ones too, as terminatedByTpp.
		return consentRules{perEndpoint: true, maxDays: 180, todayCounts: true, formerStatus: StatusTerminatedByTpp, formerOneOff: true}
	case DialectLenient:
		// What some bank accepts: the more generous unit, dates adjusted.
		return consentRules{perEndpoint: true, maxDays: 180, formerStatus: StatusExpired}
	}
	// enfuce, the default and the strict one: the file's rules read
	// strictly (one count per consent; the former recurring consent
	// "expires"); 180 days (RTS Article 10a); a date beyond refused, so
	// that a TPP never believes it holds days it was not given.
	return consentRules{maxDays: 180, refuseBeyond: true, formerStatus: StatusExpired}
}

// farFuture is the file's way to ask for the longest validity: "If a
// maximal available date is requested, a date in far future is to be used:
// "9999-12-31"".
var farFuture = time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)

// latest is the last validUntil the bank grants a consent created today.
func (r consentRules) latest(today time.Time) time.Time {
	if r.todayCounts {
		return today.AddDate(0, 0, r.maxDays-1)
	}
	return today.AddDate(0, 0, r.maxDays)
}

// limitValidUntil adjusts or refuses a validUntil beyond the bank's
// longest validity. The file: "Future dates might get adjusted by ASPSP.
// ... In both cases the consent object to be retrieved by the get consent
// request will contain the adjusted date."
func (r consentRules) limitValidUntil(vu, today time.Time) (time.Time, *apiError) {
	max := r.latest(today)
	switch {
	case !vu.After(max):
		return vu, nil
	case r.refuseBeyond && !vu.Equal(farFuture):
		return vu, formatErr("validUntil", "validUntil %s is beyond the %d days this ASPSP grants (latest %s); ask for %s or earlier, or for 9999-12-31 to get the longest",
			vu.Format(time.DateOnly), r.maxDays, max.Format(time.DateOnly), max.Format(time.DateOnly))
	}
	return max, nil
}

// --- counting accesses (frequencyPerDay) -----------------------------------

// Consent.calls holds the counted accesses of a consent: per bank day
// ("2026-12-05") when the unit is the consent, per bank day and request
// path ("2026-12-05 /v1/card-accounts/x/balances") when it is the endpoint
// and account. One-off consents always count per path. Beside the counters,
// the marks of the transaction reports counted today (reportKey, isMark).

// callKey is the counter an access of c counts in, or "" when it counts in
// none: the PSU is present (PSU-IP-Address) on a recurring consent (the
// file: frequencyPerDay is "the requested maximum frequency for an access
// without PSU involvement per day"), or the call asks for a page after the
// first of a report whose first page was counted today, which belongs to
// the access of that first page. A later page with no first page read
// today is an access of its own: otherwise `page=1` would read a report
// (most of it) without ever counting.
func (s *Server) callKey(c *call, con *Consent) string {
	day := s.bankDay(s.now())
	if nextPage(c) && con.calls[reportKey(day, c)] > 0 {
		return ""
	}
	switch {
	case !con.Recurring:
		// One-off: every access counts, the PSU present or not (adorsys
		// needsToUpdateUsage, AccountConsentValidator), each endpoint and
		// account once (frequencyPerDay 1, per request URI).
		return day + " " + c.r.URL.Path
	case c.r.Header.Get("PSU-IP-Address") != "":
		return ""
	case s.rules().perEndpoint:
		return day + " " + c.r.URL.Path
	}
	return day
}

// reportKey is the mark, kept in calls beside the counters, that a report
// was counted today: the day, the path and the report's query without its
// page ("2026-12-05 /v1/accounts/x/transactions?bookingStatus=both&
// dateFrom=…&dateTo=&withBalance="), in one spelling whatever the order
// of the parameters. The report and not only the path: otherwise one
// counted report made the later pages of any other free (the whole
// history, windowed by dateTo). Only the parameters the report reads, each
// first value, clipped: a mark survives only a 2xx, whose values parsed.
func reportKey(day string, c *call) string {
	q := c.r.URL.Query()
	v := func(k string) string { return url.QueryEscape(text.Clip(q.Get(k), 16)) }
	return day + " " + c.r.URL.Path + "?bookingStatus=" + v("bookingStatus") + "&dateFrom=" + v("dateFrom") +
		"&dateTo=" + v("dateTo") + "&withBalance=" + v("withBalance")
}

// isMark reports a key of calls that is a report's mark, no counter.
func isMark(k string) bool { return strings.Contains(k, "?") }

// nextPage reports a request for a page after the first of a transactions
// report: the number as the handlers read it (strconv.Atoi), so "00" or
// "+0" is the first page, and on a transactions list only (the one path
// with pages; refuseUndeclaredQuery refuses `page` elsewhere).
func nextPage(c *call) bool {
	n, err := strconv.Atoi(c.r.URL.Query().Get("page"))
	return err == nil && n > 0 && strings.HasSuffix(c.r.URL.Path, "/transactions")
}

// reserve counts an access of c against con before the handler answers,
// and registers what settles it: kept when the answer is 2xx, given back
// otherwise (a 404 or 400 uses nothing: adorsys logs the usage only after
// the answer was built). Counting first keeps two concurrent calls on the
// last allowance from both passing. Call with the store's lock held.
func (s *Server) reserve(c *call, con *Consent) *apiError {
	key := s.callKey(c, con)
	var keys []string
	if key != "" {
		day, _, _ := strings.Cut(key, " ")
		if con.calls == nil {
			con.calls = map[string]int{}
		}
		limit := con.FrequencyPerDay
		if !con.Recurring {
			limit = 1
		}
		if con.calls[key] >= limit {
			return reject(http.StatusTooManyRequests, CodeAccessExceeded, s.exceeded(c, con))
		}
		for k := range con.calls {
			if d, _, _ := strings.Cut(k, " "); d != day && con.Recurring {
				delete(con.calls, k) // past days no longer limit anything
			}
		}
		keys = append(keys, key)
		if strings.HasSuffix(c.r.URL.Path, "/transactions") {
			// Mark the report, so that its later pages today belong to
			// this access (callKey, readingReport).
			keys = append(keys, reportKey(day, c))
		}
		for _, k := range keys {
			con.calls[k]++
		}
	}
	c.settlers = append(c.settlers, func(ok bool) {
		s.store.locked(func() {
			if !ok {
				for _, k := range keys {
					if con.calls[k] > 0 {
						if con.calls[k]--; con.calls[k] == 0 {
							delete(con.calls, k)
						}
					}
				}
				return
			}
			s.accessed(c, con, key != "")
		})
	})
	return nil
}

// exceeded is the text of a 429 ACCESS_EXCEEDED.
func (s *Server) exceeded(c *call, con *Consent) string {
	switch {
	case !con.Recurring:
		return fmt.Sprintf("consent %q is a one-off consent (recurringIndicator false): it allows one access to %s, PSU present or not, and that one was made", con.ID, c.r.URL.Path)
	case s.rules().perEndpoint:
		return fmt.Sprintf("consent %q allows %d accesses a day without the PSU (no PSU-IP-Address) to %s; today's are used", con.ID, con.FrequencyPerDay, c.r.URL.Path)
	}
	return fmt.Sprintf("consent %q allows %d accesses a day without the PSU (no PSU-IP-Address); today's are used", con.ID, con.FrequencyPerDay)
}

// accessed records a successful access: lastActionDate, and a one-off
// consent that has made every access it allows ends. Call with the lock held.
func (s *Server) accessed(c *call, con *Consent, counted bool) {
	prev := con.LastAction
	con.LastAction = s.now()
	changed := counted
	if !con.Recurring && counted && con.Status == StatusValid && s.usedUp(con) {
		// adorsys OneOffConsentExpirationService: expired once every GET
		// it allows was made.
		con.Status = StatusExpired
		changed = true
	}
	// lastActionDate is a date: another call on the same bank day changes
	// nothing a restart would show, so only a counted call is written then.
	if changed || (s.store.j != nil && s.bankDay(prev) != s.bankDay(con.LastAction)) {
		c.saved.add(s.store.save(con))
	}
}

// usedUp reports a one-off consent that has made every access it allows:
// an available-accounts consent its one access (adorsys: "All available
// account consent support only one call - readAccountList"); otherwise,
// for each account it grants, its details, and its balances and its
// transactions where granted. The list and transaction details are not
// needed. Call with the lock held.
func (s *Server) usedUp(con *Consent) bool {
	used := map[string]bool{}
	for k := range con.calls {
		if _, p, ok := strings.Cut(k, " "); ok && !isMark(k) {
			used[p] = true
		}
	}
	a := con.Access
	if a.AvailableAccounts != "" || a.AvailableAccountsWithBalance != "" {
		return len(used) > 0
	}
	read := func(id, sub string) bool {
		return used["/v1/card-accounts/"+id+sub] || used["/v1/accounts/"+id+sub]
	}
	for id := range con.Accounts {
		if !read(id, "") {
			return false
		}
	}
	for id := range con.Balances {
		if !read(id, "/balances") {
			return false
		}
	}
	for id := range con.Transactions {
		if !read(id, "/transactions") {
			return false
		}
	}
	return true
}

// readingReport reports a page after the first of a transactions report
// whose first page a one-off consent, now used up, read today: the pages
// of one report are one access. Call with the lock held.
func (s *Server) readingReport(c *call, con *Consent) bool {
	return !con.Recurring && nextPage(c) && con.calls[reportKey(s.bankDay(s.now()), c)] > 0 &&
		!dateOf(s.now().In(s.zone)).After(con.ValidUntil)
}

// firstUse is the bank day of a one-off consent's first counted access,
// "" before it.
func firstUse(con *Consent) string {
	first := ""
	for k := range con.calls {
		if d, _, _ := strings.Cut(k, " "); first == "" || d < first {
			first = d
		}
	}
	return first
}

// --- the former consents ----------------------------------------------------

// supersede ends the former consents of the PSU at the TPP of con, a
// recurring consent the PSU has just approved, and returns them for the
// data file. The file (POST /v1/consents): "When this consent request is a
// request where the "recurringIndicator" equals "true", and if it exists
// already a former consent for recurring access on account information for
// the addressed PSU, then the former consent automatically expires as soon
// as the new consent request is authorised by the PSU." The TPP is what
// ownedBy means: the same organisation and CA. Call with the lock held.
func (s *Server) supersede(con *Consent, now time.Time) []any {
	if !con.Recurring || con.Status != StatusValid || con.PSU == nil {
		return nil
	}
	app := s.store.apps[con.ClientID]
	var out []any
	for _, o := range s.store.consents {
		if o == con || o.PSU == nil || o.PSU.ID != con.PSU.ID || o.OrganizationID != con.OrganizationID {
			continue
		}
		if oa := s.store.apps[o.ClientID]; app == nil || oa == nil || oa.CA == "" || oa.CA != app.CA {
			continue
		}
		s.expire(o)
		if o.Status != StatusValid || (!o.Recurring && !s.rules().formerOneOff) {
			continue
		}
		o.Status = s.rules().formerStatus
		o.LastAction = now // lastActionDate follows every change
		out = append(out, o)
	}
	return out
}

// --- expiry -------------------------------------------------------------------

// expire moves a consent past its validUntil to expired, and a one-off
// consent used on an earlier bank day (adorsys
// expireUsedNonRecurringConsents); its lastActionDate is the moment it
// expired, the bank's midnight, so that a restart, which derives the same,
// shows the same. Call with the lock held.
func (s *Server) expire(con *Consent) {
	if con.Status != StatusValid && con.Status != StatusReceived {
		return
	}
	today := dateOf(s.now().In(s.zone))
	end := time.Time{}
	if con.ValidUntil.Before(today) {
		end = con.ValidUntil
	}
	if d := firstUse(con); !con.Recurring && d != "" && d < today.Format(time.DateOnly) {
		if u, err := time.Parse(time.DateOnly, d); err == nil && (end.IsZero() || u.Before(end)) {
			end = u
		}
	}
	if end.IsZero() {
		return
	}
	con.Status = StatusExpired
	// The bank's midnight after the last day.
	con.LastAction = time.Date(end.Year(), end.Month(), end.Day()+1, 0, 0, 0, 0, s.zone)
}
