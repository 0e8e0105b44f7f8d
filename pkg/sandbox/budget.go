package sandbox

import "strings"

// CallsToday is how many accesses consent id has used on the bank's
// current day (what frequencyPerDay limits: without the PSU, or every one
// of a one-off consent), over all its endpoints when the dialect counts
// per endpoint, for tests that hold a client's count against the bank's.
func (s *Server) CallsToday(consentID string) int {
	s.store.mu.Lock()
	defer s.store.mu.Unlock()
	con := s.store.consents[consentID]
	if con == nil {
		return 0
	}
	n, day := 0, s.bankDay(s.now())
	if con.Recurring && !s.rules().perEndpoint {
		return con.calls[day]
	}
	for k, c := range con.calls {
		if d, _, _ := strings.Cut(k, " "); d == day && !isMark(k) { // marks of reports read: no accesses
			n += c
		}
	}
	return n
}

// RequestsToday is how many API requests the TPPs of organizationID (one
// per CA their QWACs chain to) made on the bank's current day (what
// RatePerDay limits, per TPP).
func (s *Server) RequestsToday(organizationID string) int {
	s.limMu.Lock()
	defer s.limMu.Unlock()
	n := 0
	for k, l := range s.limiters {
		if i := strings.LastIndexByte(k, ' '); i >= 0 && k[:i] == organizationID && l.day == s.bankDay(s.now()) {
			n += l.n
		}
	}
	return n
}

// requestsTodayOf is the day count of the TPP with this key.
func (s *Server) requestsTodayOf(key string) int {
	s.limMu.Lock()
	defer s.limMu.Unlock()
	l := s.limiters[key]
	if l == nil || l.day != s.bankDay(s.now()) {
		return 0
	}
	return l.n
}
