package sandbox

// CallsToday is how many accesses without the PSU consent id has used on
// the bank's current day (what frequencyPerDay limits), for tests that
// hold a client's count against the bank's.
func (s *Server) CallsToday(consentID string) int {
	s.store.mu.Lock()
	defer s.store.mu.Unlock()
	con := s.store.consents[consentID]
	if con == nil {
		return 0
	}
	return con.calls[s.bankDay(s.now())]
}

// RequestsToday is how many API requests the TPP of organizationID made on
// the bank's current day (what RatePerDay limits).
func (s *Server) RequestsToday(organizationID string) int {
	s.limMu.Lock()
	defer s.limMu.Unlock()
	l := s.limiters[organizationID]
	if l == nil || l.day != s.bankDay(s.now()) {
		return 0
	}
	return l.n
}
