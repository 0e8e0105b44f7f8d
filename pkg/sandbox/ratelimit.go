package sandbox

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"golang.org/x/time/rate"
)

type tppLimit struct {
	sec *rate.Limiter
	day string
	n   int
}

// newLimit is a TPP's limiter: the second's in memory, the day's count
// (persisted with a data directory) starting at zero.
func (s *Server) newLimit() *tppLimit {
	l := &tppLimit{}
	if s.opts.RatePerSecond > 0 {
		burst := int(s.opts.RatePerSecond)
		if burst < 1 {
			burst = 1
		}
		l.sec = rate.NewLimiter(rate.Limit(s.opts.RatePerSecond), burst)
	}
	return l
}

// rateLimit counts a request of the TPP with this key (a TPP's key for the
// API, "token " and the key for the token endpoint): what is the kind of
// request the refusal names; daily applies RatePerDay too.
func (s *Server) rateLimit(key, what string, daily bool, saved *pending) *apiError {
	// A negative RatePerSecond or RatePerDay turns off that limit only.
	if s.opts.RatePerSecond < 0 && (s.opts.RatePerDay < 0 || !daily) {
		return nil
	}
	now := s.now()
	s.limMu.Lock()
	defer s.limMu.Unlock()
	l := s.limiters[key]
	if l == nil {
		l = s.newLimit()
		s.limiters[key] = l
	}
	day := s.bankDay(now)
	if l.day != day {
		l.day, l.n = day, 0
	}
	if daily && s.opts.RatePerDay > 0 && l.n >= s.opts.RatePerDay {
		midnight := time.Date(now.In(s.zone).Year(), now.In(s.zone).Month(), now.In(s.zone).Day()+1, 0, 0, 0, 0, s.zone)
		e := reject(http.StatusTooManyRequests, CodeAccessExceeded,
			fmt.Sprintf("the daily limit of %d %s for this TPP is used up; it resets at the bank's midnight (%s)", s.opts.RatePerDay, what, midnight.Format(time.RFC3339)))
		e.header = http.Header{"Retry-After": {strconv.Itoa(int(midnight.Sub(now).Seconds()) + 1)}}
		return e
	}
	if l.sec != nil {
		res := l.sec.ReserveN(now, 1)
		if d := res.DelayFrom(now); d > 0 {
			res.CancelAt(now)
			e := reject(http.StatusTooManyRequests, CodeAccessExceeded,
				fmt.Sprintf("more than %g %s a second from this TPP; retry after %s", s.opts.RatePerSecond, what, d.Round(time.Millisecond)))
			secs := int(d/time.Second) + 1
			e.header = http.Header{"Retry-After": {strconv.Itoa(secs)}}
			return e
		}
	}
	if !daily {
		return nil
	}
	l.n++
	if s.opts.RatePerDay > 0 {
		saved.add(s.store.save(limitRecord{Org: key, Day: l.day, N: l.n}))
	}
	return nil
}
