package sandbox

// Payments executed when they are due: standing orders (periodic-payments)
// book one instalment per period from startDate, and a bulk with a
// requestedExecutionDate in the future waits for that date. Nothing runs
// in the background: whenever an API call arrives (gateway.go: catchUp) or
// a payment is authorised (execute), what fell due up to the sandbox's
// clock (Options.Now) is executed, in date order, each on its own date. So
// a test moves a fake clock and the next read sees the instalments booked.
//
// Statuses (the file's transactionStatus):
//   - an authorised standing order is ACTC ("Authentication and syntactical
//     and semantical validation are successful") while it runs: an
//     instalment the available balance does not cover is refused, the order
//     goes on (psuMessage says so); after MaxRefusedInstalments refusals
//     the bank stops it: RJCT;
//   - on its endDate, once its last instalment is executed, the order is
//     ACSC: every settlement on the debtor's account it asked for
//     is completed (RJCT if no instalment could be booked at all); an order
//     without endDate is never finished;
//   - a future-dated bulk is ACTC until its date, not ACSP: ACSP says
//     "accepted for execution" after the customer profile checks, and the
//     funds check is still to come (on the date, RJCT when short), so the
//     status claims no more than validation and the PSU's authentication.
//
// The calendar: business days are Monday to Friday (no bank holidays). An
// instalment falling on a weekend moves to the following Monday or, with
// executionRule "preceding", to the Friday before (never before startDate:
// then the Monday after). Without executionRule the bank applies
// "following". Daily orders run on business days only; Weekly and
// EveryTwoWeeks on startDate's weekday; the monthly codes (Monthly,
// EveryTwoMonths, Quarterly, SemiAnnual, Annual, MonthlyVariable) on
// dayOfExecution (startDate's day without it; "31" and any day past a
// month's end are its last day), counting months from startDate's;
// MonthlyVariable only in monthsOfExecution (every month without them).

import (
	"cmp"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// MaxRefusedInstalments is how many instalments of a standing order the
// balance may refuse before the bank stops the order (RJCT); it bounds the
// refusals a payment record keeps.
const MaxRefusedInstalments = 10

// orderProgress is how far a standing order has run.
type orderProgress struct {
	// Through: the instalments dated up to this date (YYYY-MM-DD) are
	// done, booked or refused; the order was authorised the day after it.
	Through string `json:"through"`
	Booked  int    `json:"booked,omitempty"`
	// Refused are the dates of instalments the balance did not cover.
	Refused []string `json:"refused,omitempty"`
}

// pending reports a payment the PSU authorised that is not yet executed
// (or not completely): a running standing order, a bulk awaiting its
// requestedExecutionDate. Such a payment can still be cancelled, with the
// PSU's authorisation of the cancellation (DELETE answers 202, paycancel.go).
func (p *Payment) pending() bool {
	return p.Status == TxAccepted && (p.Service == "periodic-payments" || p.executionDate() != "")
}

// executionDate is a bulk's requestedExecutionDate, "" for others.
func (p *Payment) executionDate() string {
	if p.Bulk == nil {
		return ""
	}
	return p.Bulk.RequestedExecutionDate
}

// scheduled takes over a payment the PSU just approved (ACTC) when it is
// not executed at once: a standing order starts (its instalments from
// today on, today's at once), a bulk dated after today waits. It reports
// whether it did. Call with the store's lock held.
func (s *Server) scheduled(p *Payment, now time.Time) bool {
	today := dateOf(now.In(s.zone))
	switch {
	case p.Service == "periodic-payments":
		// Instalments dated before the approval are not made up for: the
		// bank could not execute them.
		p.Order = &orderProgress{Through: today.AddDate(0, 0, -1).Format(time.DateOnly)}
	case p.executionDate() > today.Format(time.DateOnly):
		p.Reason = "Accepted: to be executed on " + p.executionDate()
	default:
		return false
	}
	s.store.payments.nextDue = time.Time{}
	s.store.payments.due[p.ID] = p
	// Today's instalment at once; the caller saves p, the data file gets
	// the others (none unless a read was missed) without waiting.
	if ch := s.runDue(now); len(ch) > 0 {
		s.store.save(ch...)
	}
	return true
}

// catchUp executes what fell due before the call is served, and has the
// call wait for its record.
func (s *Server) catchUp(c *call) {
	s.store.locked(func() {
		if ch := s.runDue(s.now()); len(ch) > 0 {
			c.saved.add(s.store.save(ch...))
		}
	})
}

// dueEvent is one execution: an instalment of a standing order or a
// future-dated bulk, on day.
type dueEvent struct {
	day time.Time
	p   *Payment
}

// runDue executes every due event up to now's bank day, oldest first, and
// returns the payments it changed for the data file. Call with the store's
// lock held.
func (s *Server) runDue(now time.Time) []any {
	ps := &s.store.payments
	today := dateOf(now.In(s.zone))
	if len(ps.due) == 0 || (!ps.nextDue.IsZero() && today.Before(ps.nextDue)) {
		return nil
	}
	var events []dueEvent
	for id, p := range ps.due {
		// Cancelled, stopped, or forgotten past MaxPayments.
		if p.Status != TxAccepted || ps.byID[id] != p {
			delete(ps.due, id)
			continue
		}
		if p.Order != nil {
			from, _ := time.Parse(time.DateOnly, p.Order.Through)
			for _, d := range p.Single.instalments(from, today) {
				events = append(events, dueEvent{d, p})
			}
			continue
		}
		if d, _ := time.Parse(time.DateOnly, p.executionDate()); !d.After(today) {
			events = append(events, dueEvent{d, p})
		}
	}
	slices.SortStableFunc(events, func(a, b dueEvent) int {
		return cmp.Or(a.day.Compare(b.day), a.p.Created.Compare(b.p.Created), strings.Compare(a.p.ID, b.p.ID))
	})
	changed := map[*Payment]bool{}
	for _, ev := range events {
		p := ev.p
		if p.Status != TxAccepted {
			continue // stopped by an earlier refusal
		}
		changed[p] = true
		// Executed on its day: at the day's start, or now for today's (so
		// the balance checked is the one the PSU sees).
		at := now
		if ev.day.Before(today) {
			at = time.Date(ev.day.Year(), ev.day.Month(), ev.day.Day(), 0, 0, 0, 0, s.zone)
		}
		if p.Order == nil {
			p.Reason = ""
			s.execute(p, at) // the date is reached: executed as at once
			delete(ps.due, p.ID)
			continue
		}
		s.instalment(p, ev.day, at)
	}
	// Orders advance to today, and those past their endDate finish.
	next := time.Time{}
	for id, p := range ps.due {
		if p.Status != TxAccepted {
			delete(ps.due, id)
			continue
		}
		if p.Order == nil {
			d, _ := time.Parse(time.DateOnly, p.executionDate())
			next = earliest(next, d)
			continue
		}
		if p.Order.Through < today.Format(time.DateOnly) {
			p.Order.Through = today.Format(time.DateOnly)
			changed[p] = true
		}
		if n, ok := p.Single.nextInstalment(today); ok {
			next = earliest(next, n)
			p.Reason = fmt.Sprintf("Standing order: %d instalment(s) booked, the next on %s.%s", p.Order.Booked, n.Format(time.DateOnly), refusedNote(p.Order))
			continue
		}
		// No instalment left: the order ends on its endDate (ACTC until
		// then, as the TPP may still look at or cancel it).
		if end, _ := time.Parse(time.DateOnly, p.Single.EndDate); today.Before(end) {
			next = earliest(next, end)
			p.Reason = fmt.Sprintf("Standing order: %d instalment(s) booked, none left before its endDate %s.%s", p.Order.Booked, p.Single.EndDate, refusedNote(p.Order))
			continue
		}
		s.finishOrder(p)
		changed[p] = true
		delete(ps.due, id)
	}
	ps.nextDue = next
	if next.IsZero() {
		// Nothing left with a date: only a new approval adds to due.
		ps.nextDue = today.AddDate(1000, 0, 0)
	}
	out := make([]any, 0, len(changed))
	for p := range changed {
		out = append(out, p)
	}
	slices.SortFunc(out, func(a, b any) int { return strings.Compare(a.(*Payment).ID, b.(*Payment).ID) })
	return out
}

func earliest(a, b time.Time) time.Time {
	if a.IsZero() || b.Before(a) {
		return b
	}
	return a
}

// instalment executes one instalment of standing order p due on day, at
// at: booked when the available balance covers it, refused otherwise (the
// order's psuMessage lists the refused dates).
func (s *Server) instalment(p *Payment, day, at time.Time) {
	o := p.Order
	if avail := p.Debtor.available(at.In(s.zone)); avail < p.Total {
		o.Refused = append(o.Refused, day.Format(time.DateOnly))
		if len(o.Refused) >= MaxRefusedInstalments {
			p.Status, p.NoFunds = TxRejected, true
			p.Reason = fmt.Sprintf("The bank stopped the standing order: %d instalments were refused for insufficient funds, the last on %s.", len(o.Refused), day.Format(time.DateOnly))
		}
		return
	}
	s.bookInstalment(p, at)
	o.Booked++
	p.Executed = at
}

// bookInstalment books one instalment of p executed at at: book books a
// payment on the day of its Executed, so a copy carries the instalment's
// (book codes it PMNT-ICDT-STDO, a standing order's).
func (s *Server) bookInstalment(p *Payment, at time.Time) {
	q := *p
	q.Executed = at
	s.book(&q)
}

// finishOrder ends a standing order whose last instalment is done: ACSC,
// or RJCT when none could be booked.
func (s *Server) finishOrder(p *Payment) {
	o := p.Order
	if o.Booked == 0 {
		p.Status, p.NoFunds = TxRejected, len(o.Refused) > 0
		p.Reason = "The standing order ended without a booked instalment." + refusedNote(o)
		return
	}
	p.Status = TxSettled
	p.Reason = fmt.Sprintf("The standing order ended on %s: %d instalment(s) booked.%s", p.Single.EndDate, o.Booked, refusedNote(o))
}

func refusedNote(o *orderProgress) string {
	if len(o.Refused) == 0 {
		return ""
	}
	return fmt.Sprintf(" Refused for insufficient funds: %s.", strings.Join(o.Refused, ", "))
}

// rebookOrder books again, when the data file is read, the instalments a
// standing order booked: the dates of its schedule up to Through that were
// not refused, as many as it counted (the newest first, as the order was
// approved after its startDate when it booked fewer).
func (s *Server) rebookOrder(p *Payment) {
	start, _ := time.Parse(time.DateOnly, p.Single.StartDate)
	through, _ := time.Parse(time.DateOnly, p.Order.Through)
	var booked []time.Time
	for _, d := range p.Single.instalments(start.AddDate(0, 0, -1), through) {
		if !slices.Contains(p.Order.Refused, d.Format(time.DateOnly)) {
			booked = append(booked, d)
		}
	}
	booked = booked[max(0, len(booked)-p.Order.Booked):]
	for _, d := range booked {
		s.bookInstalment(p, time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, s.zone))
	}
}

// --- the calendar -------------------------------------------------------------

// maxInstalments bounds a schedule's walk (a Daily order over centuries).
const maxInstalments = 100000

// instalments are the standing order's execution dates after after, up to
// upto (dates as dateOf gives them), in order.
func (b *paymentBody) instalments(after, upto time.Time) []time.Time {
	var out []time.Time
	b.walk(func(d time.Time) bool {
		if d.After(upto) {
			return false
		}
		if d.After(after) {
			out = append(out, d)
		}
		return true
	})
	return out
}

// nextInstalment is the first execution date after day, if any.
func (b *paymentBody) nextInstalment(day time.Time) (time.Time, bool) {
	var next time.Time
	b.walk(func(d time.Time) bool {
		if d.After(day) {
			next = d
			return false
		}
		return true
	})
	return next, !next.IsZero()
}

// walk calls f with the execution dates in order, until f returns false
// or the order ends (endDate: an instalment whose scheduled date is past
// it is not made; the rule may move the last one past it).
func (b *paymentBody) walk(f func(time.Time) bool) {
	start, err := time.Parse(time.DateOnly, b.StartDate)
	if err != nil {
		return
	}
	end, err := time.Parse(time.DateOnly, b.EndDate)
	if err != nil {
		end = time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)
	}
	months := map[string]int{"Monthly": 1, "MonthlyVariable": 1, "EveryTwoMonths": 2, "Quarterly": 3, "SemiAnnual": 6, "Annual": 12}
	day := start.Day()
	if n, err := strconv.Atoi(b.DayOfExecution); err == nil {
		day = n
	}
	for k := 0; k < maxInstalments; k++ {
		var d time.Time
		switch b.Frequency {
		case "Daily":
			d = start.AddDate(0, 0, k)
			if weekend(d) {
				if d.After(end) {
					return
				}
				continue // no instalment on a non-business day
			}
		case "Weekly":
			d = start.AddDate(0, 0, 7*k)
		case "EveryTwoWeeks":
			d = start.AddDate(0, 0, 14*k)
		default:
			n, ok := months[b.Frequency]
			if !ok {
				return
			}
			first := time.Date(start.Year(), start.Month()+time.Month(n*k), 1, 0, 0, 0, 0, time.UTC)
			last := first.AddDate(0, 1, -1).Day()
			d = first.AddDate(0, 0, min(day, last)-1)
			if d.Before(start) {
				continue
			}
			if b.Frequency == "MonthlyVariable" && len(b.MonthsOfExecution) > 0 && !slices.Contains(b.MonthsOfExecution, strconv.Itoa(int(d.Month()))) {
				if d.After(end) {
					return
				}
				continue
			}
		}
		if d.After(end) {
			return
		}
		if !f(businessDay(d, b.ExecutionRule, start)) {
			return
		}
	}
}

func weekend(d time.Time) bool { return d.Weekday() == time.Saturday || d.Weekday() == time.Sunday }

// businessDay moves a weekend date by the executionRule: to the Friday
// before ("preceding", unless that is before startDate) or the Monday
// after ("following", the default).
func businessDay(d time.Time, rule string, start time.Time) time.Time {
	if !weekend(d) {
		return d
	}
	if rule == "preceding" {
		back := d.AddDate(0, 0, -1)
		if d.Weekday() == time.Sunday {
			back = d.AddDate(0, 0, -2)
		}
		if !back.Before(start) {
			return back
		}
	}
	if d.Weekday() == time.Saturday {
		return d.AddDate(0, 0, 2)
	}
	return d.AddDate(0, 0, 1)
}

// --- single payments ----------------------------------------------------------

// refuseExecutionDate refuses requestedExecutionDate and
// requestedExecutionTime in a single or periodic payment: the file's
// table for paymentInitiation_json marks both "n.a." for all four JSON
// products (its schema leaves them out); only a bulk carries them. Said
// plainly, rather than as an unknown field.
func refuseExecutionDate(service string, body []byte) *apiError {
	if service == "bulk-payments" {
		return nil
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(body, &m) != nil {
		return nil // decodeBody names what is wrong
	}
	for _, f := range []string{"requestedExecutionDate", "requestedExecutionTime"} {
		if _, ok := m[f]; ok {
			return reject(http.StatusBadRequest, CodeFormatError, fmt.Sprintf(
				"%s is not applicable to %s of this ASPSP's products (the file marks it n.a. for all four); a payment on a later date is a bulk-payments with requestedExecutionDate, or a periodic-payments", f, service)).withPath(f)
		}
	}
	return nil
}
