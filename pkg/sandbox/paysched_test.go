package sandbox

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func day(s string) time.Time {
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return d
}

func dates(ds []time.Time) string {
	var out []string
	for _, d := range ds {
		out = append(out, d.Format(time.DateOnly))
	}
	return strings.Join(out, " ")
}

// TestInstalmentCalendar: the execution dates of each frequency code,
// dayOfExecution, the month's end, endDate and the weekend rules
// (2027-01-01 is a Friday; 2027-02-06 and 2027-03-06 are Saturdays,
// 2027-02-28 a Sunday).
func TestInstalmentCalendar(t *testing.T) {
	for _, tc := range []struct {
		name string
		b    paymentBody
		upto string
		want string
	}{
		{"Monthly on startDate's day", paymentBody{StartDate: "2027-01-01", Frequency: "Monthly"}, "2027-04-30",
			"2027-01-01 2027-02-01 2027-03-01 2027-04-01"},
		{"Monthly, a Saturday, following (the default)", paymentBody{StartDate: "2027-01-01", Frequency: "Monthly", DayOfExecution: "6"}, "2027-03-31",
			"2027-01-06 2027-02-08 2027-03-08"},
		{"Monthly, a Saturday, preceding", paymentBody{StartDate: "2027-01-01", Frequency: "Monthly", DayOfExecution: "6", ExecutionRule: "preceding"}, "2027-03-31",
			"2027-01-06 2027-02-05 2027-03-05"},
		{"preceding never before startDate", paymentBody{StartDate: "2027-01-02", Frequency: "Monthly", ExecutionRule: "preceding"}, "2027-01-31",
			"2027-01-04"},
		{"31 is the month's last day", paymentBody{StartDate: "2027-01-01", Frequency: "Monthly", DayOfExecution: "31", ExecutionRule: "preceding"}, "2027-05-31",
			"2027-01-29 2027-02-26 2027-03-31 2027-04-30 2027-05-31"},
		{"a day before startDate's is next month's", paymentBody{StartDate: "2027-01-10", Frequency: "Monthly", DayOfExecution: "5"}, "2027-03-31",
			"2027-02-05 2027-03-05"},
		{"Daily on business days", paymentBody{StartDate: "2027-01-01", Frequency: "Daily"}, "2027-01-06",
			"2027-01-01 2027-01-04 2027-01-05 2027-01-06"},
		{"Weekly", paymentBody{StartDate: "2027-01-01", Frequency: "Weekly"}, "2027-01-22",
			"2027-01-01 2027-01-08 2027-01-15 2027-01-22"},
		{"EveryTwoWeeks", paymentBody{StartDate: "2027-01-01", Frequency: "EveryTwoWeeks"}, "2027-02-01",
			"2027-01-01 2027-01-15 2027-01-29"},
		{"EveryTwoMonths", paymentBody{StartDate: "2027-01-01", Frequency: "EveryTwoMonths"}, "2027-07-31",
			"2027-01-01 2027-03-01 2027-05-03 2027-07-01"},
		{"Quarterly", paymentBody{StartDate: "2027-01-01", Frequency: "Quarterly", DayOfExecution: "15"}, "2027-12-31",
			"2027-01-15 2027-04-15 2027-07-15 2027-10-15"},
		{"SemiAnnual", paymentBody{StartDate: "2027-01-01", Frequency: "SemiAnnual"}, "2028-12-31",
			"2027-01-01 2027-07-01 2028-01-03 2028-07-03"},
		{"Annual", paymentBody{StartDate: "2027-03-01", Frequency: "Annual"}, "2030-12-31",
			"2027-03-01 2028-03-01 2029-03-01 2030-03-01"},
		{"MonthlyVariable", paymentBody{StartDate: "2027-01-01", Frequency: "MonthlyVariable", DayOfExecution: "20", MonthsOfExecution: []string{"1", "4", "10"}}, "2027-12-31",
			"2027-01-20 2027-04-20 2027-10-20"},
		{"endDate ends it", paymentBody{StartDate: "2027-01-01", Frequency: "Monthly", EndDate: "2027-03-01"}, "2027-12-31",
			"2027-01-01 2027-02-01 2027-03-01"},
		{"following may pass endDate", paymentBody{StartDate: "2027-01-01", Frequency: "Monthly", DayOfExecution: "6", EndDate: "2027-02-06"}, "2027-12-31",
			"2027-01-06 2027-02-08"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			start := day(tc.b.StartDate)
			if got := dates(tc.b.instalments(start.AddDate(0, 0, -1), day(tc.upto))); got != tc.want {
				t.Errorf("instalments %s, want %s", got, tc.want)
			}
		})
	}
	b := paymentBody{StartDate: "2027-01-01", Frequency: "Monthly", EndDate: "2027-03-01"}
	if n, ok := b.nextInstalment(day("2027-01-01")); !ok || n.Format(time.DateOnly) != "2027-02-01" {
		t.Errorf("next after the first: %v %v", n, ok)
	}
	if _, ok := b.nextInstalment(day("2027-03-01")); ok {
		t.Errorf("a next instalment after endDate")
	}
}

// weekdayNoon is the clock moved forward to the next Wednesday at noon in
// Helsinki, so that "today" is a business day whatever day the test runs.
func weekdayNoon(c *fakeClock) time.Time {
	d := c.Now().In(helsinki)
	d = time.Date(d.Year(), d.Month(), d.Day()+1, 12, 0, 0, 0, helsinki)
	for d.Weekday() != time.Wednesday {
		d = d.AddDate(0, 0, 1)
	}
	c.Set(d)
	return bankDate(d)
}

// authorisePayment runs the PSU's authorisation of an AutoApprove sandbox
// and the code's exchange.
func authorisePayment(t *testing.T, p *party, id string) {
	t.Helper()
	verifier, challenge := pkce()
	q := redirected(t, p.authorize(pisQuery(p.app, id, "st", challenge)), loopbackRedirect)
	if a, tr := p.exchange(q.Get("code"), loopbackRedirect, verifier); a.status != 200 || tr.Scope != "PIS:"+id {
		t.Fatalf("exchange: %d %s", a.status, a.body)
	}
}

// cancelWithPSU cancels an authorised payment not yet executed as this
// bank does: DELETE answers 202, the cancellation authorisation is
// started and the PSU (AutoApprove) authorises it with PIS:<paymentId>.
func cancelWithPSU(t *testing.T, p *party, path, id string) {
	t.Helper()
	wantStatus(t, p.call("DELETE", path+"/"+id, p.clientToken(), nil, nil), 202)
	wantStatus(t, p.call("POST", path+"/"+id+"/cancellation-authorisations", p.clientToken(), nil, nil), 201)
	authorisePayment(t, p, id)
}

// ledgerOf is what payment id booked on the account (index in the payment
// customer's accounts).
func ledgerOf(s *Server, acc int, id string) []AccountTransaction {
	var out []AccountTransaction
	s.store.locked(func() {
		for _, e := range s.psu(PaymentCustomerID).Accounts[acc].ledger.between(time.Time{}, time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)) {
			if e.EntryReference == id {
				out = append(out, e)
			}
		}
	})
	return out
}

type statusAnswer struct {
	TransactionStatus string `json:"transactionStatus"`
	FundsAvailable    *bool  `json:"fundsAvailable"`
	PSUMessage        string `json:"psuMessage"`
}

// TestStandingOrdersExecuted: a monthly standing order starting today
// books its first instalment at once and one a month as the clock moves,
// none after its endDate (then ACSC); a cancelled one books nothing more;
// one the balance does not cover has its instalments refused and stays
// ACTC. The status and the account's transactions through the AIS
// handlers, validated against the file.
func TestStandingOrdersExecuted(t *testing.T) {
	rig := newSpecRig(t, Options{AutoApprovePSU: PaymentCustomerID, RatePerDay: -1})
	p := rig.p
	today := weekdayNoon(rig.clock)
	const pp = "/v1/periodic-payments/sepa-credit-transfers"
	order := func(amount, freq, end string) string {
		t.Helper()
		a, pc := p.initiate(pp, sepaBody(amount, func(m map[string]any) {
			m["startDate"], m["frequency"] = today.Format(time.DateOnly), freq
			if end != "" {
				m["endDate"] = end
			}
		}))
		wantStatus(t, a, 201)
		authorisePayment(t, p, pc.PaymentID)
		return pc.PaymentID
	}
	status := func(name, id, want string) statusAnswer {
		t.Helper()
		var st statusAnswer
		rig.step(name, 200, func() answer {
			a := p.call("GET", pp+"/"+id+"/status", p.clientToken(), nil, nil)
			a.json(t, &st)
			if st.TransactionStatus != want {
				t.Errorf("status %s, want %s: %s", st.TransactionStatus, want, a.body)
			}
			return a
		})
		return st
	}
	// booked reads the day's booked entries of payment id through AIS.
	booked := func(name, id string, d time.Time) []AccountTransaction {
		t.Helper()
		cid, at := p.consented(consentBody(nil))
		var out []AccountTransaction
		rig.step(name, 200, func() answer {
			ds := d.Format(time.DateOnly)
			a := p.call("GET", "/v1/accounts/acc-2343/transactions?bookingStatus=booked&dateFrom="+ds+"&dateTo="+ds, at, nil, map[string]string{"Consent-ID": cid, "PSU-IP-Address": "192.0.2.1"})
			var rep accountsReport
			a.json(t, &rep)
			for _, e := range rep.Transactions.Booked {
				if e.EntryReference == id {
					out = append(out, e)
				}
			}
			return a
		})
		return out
	}

	end := today.AddDate(0, 2, 10)
	monthly := order("50.00", "Monthly", end.Format(time.DateOnly))
	if got := ledgerOf(rig.s, 0, monthly); len(got) != 1 || got[0].TransactionAmount.Amount != "-50.00" || got[0].BookingDate != today.Format(time.DateOnly) || got[0].BankTransactionCode != "PMNT-ICDT-STDO" {
		t.Fatalf("booked at the approval: %+v", got)
	}
	if e := booked("200 today's instalment through AIS", monthly, today); len(e) != 1 || e[0].CreditorName != landlord.name {
		t.Errorf("AIS shows %+v", e)
	}
	status("200 standing order ACTC while it runs", monthly, TxAccepted)

	weekly := order("7.00", "Weekly", "")
	cancelWithPSU(t, p, pp, weekly)
	status("200 cancelled order CANC", weekly, TxCancelled)

	short := order("99999.00", "Monthly", "")
	st := status("200 refused instalment, the order ACTC", short, TxAccepted)
	if !strings.Contains(st.PSUMessage, "0 instalment(s) booked") || !strings.Contains(st.PSUMessage, "Refused for insufficient funds: "+today.Format(time.DateOnly)+".") {
		t.Errorf("psuMessage %q", st.PSUMessage)
	}
	if got := ledgerOf(rig.s, 0, short); len(got) != 0 {
		t.Errorf("a refused instalment booked: %+v", got)
	}

	// Two months on: three instalments.
	rig.clock.Set(rig.clock.Now().AddDate(0, 2, 1))
	st = status("200 after two months, ACTC", monthly, TxAccepted)
	if !strings.Contains(st.PSUMessage, "3 instalment(s) booked") {
		t.Errorf("psuMessage %q", st.PSUMessage)
	}
	got := ledgerOf(rig.s, 0, monthly)
	if len(got) != 3 {
		t.Fatalf("after two months %d instalments: %+v", len(got), got)
	}
	second := businessDay(today.AddDate(0, 1, 0), "following", today)
	if e := booked("200 the second instalment through AIS", monthly, second); len(e) != 1 || e[0].TransactionID != "acc-2343-"+second.Format("20060102")+"-"+monthly+"-1" {
		t.Errorf("AIS on %s shows %+v", second.Format(time.DateOnly), e)
	}
	if n := len(ledgerOf(rig.s, 0, weekly)); n != 1 {
		t.Errorf("the cancelled order booked %d, want its first only", n)
	}
	if n := len(ledgerOf(rig.s, 0, short)); n != 0 {
		t.Errorf("the short order booked %d", n)
	}

	// Past endDate: nothing more, ACSC.
	rig.clock.Set(rig.clock.Now().AddDate(0, 3, 0))
	st = status("200 after endDate ACSC", monthly, TxSettled)
	if n := len(ledgerOf(rig.s, 0, monthly)); n != 3 {
		t.Errorf("after endDate %d instalments, want 3", n)
	}
	if !strings.Contains(st.PSUMessage, "ended on "+end.Format(time.DateOnly)+": 3 instalment(s)") {
		t.Errorf("psuMessage %q", st.PSUMessage)
	}
	a := p.call("DELETE", pp+"/"+monthly, p.clientToken(), nil, nil)
	wantAPIError(t, a, 405, CodeCancellationInvalid, "", "ACSC")
	// Five months of refusals stop the short order? Not yet: 6 of 10.
	st = status("200 the short order still runs", short, TxAccepted)
}

// TestFutureDatedBulk: a bulk with a later requestedExecutionDate is ACTC
// until that date, then booked on it (ACSC, through AIS), or RJCT when the
// balance is short then; cancelled before the date it books nothing; a
// date in the past is EXECUTION_DATE_INVALID; a single payment takes no
// requestedExecutionDate (the file's n.a.).
func TestFutureDatedBulk(t *testing.T) {
	rig := newSpecRig(t, Options{AutoApprovePSU: PaymentCustomerID, RatePerDay: -1})
	p := rig.p
	today := weekdayNoon(rig.clock)
	const bp = "/v1/bulk-payments/sepa-credit-transfers"
	due := today.AddDate(0, 0, 2)
	bulk := func(date string, amounts ...string) []byte {
		var ps []map[string]any
		for _, a := range amounts {
			ps = append(ps, map[string]any{"instructedAmount": map[string]any{"currency": "EUR", "amount": a},
				"creditorAccount": map[string]any{"iban": friends[0].iban}, "creditorName": friends[0].name})
		}
		b, _ := json.Marshal(map[string]any{"debtorAccount": map[string]any{"iban": currentIBAN}, "requestedExecutionDate": date, "payments": ps})
		return b
	}
	status := func(name, id, want string) statusAnswer {
		t.Helper()
		var st statusAnswer
		rig.step(name, 200, func() answer {
			a := p.call("GET", bp+"/"+id+"/status", p.clientToken(), nil, nil)
			a.json(t, &st)
			if st.TransactionStatus != want {
				t.Errorf("status %s, want %s: %s", st.TransactionStatus, want, a.body)
			}
			return a
		})
		return st
	}
	initiate := func(body []byte) string {
		t.Helper()
		a, pc := p.initiate(bp, body)
		wantStatus(t, a, 201)
		authorisePayment(t, p, pc.PaymentID)
		return pc.PaymentID
	}

	ok := initiate(bulk(due.Format(time.DateOnly), "12.00", "3.50"))
	short := initiate(bulk(due.Format(time.DateOnly), "99999.00"))
	cancelled := initiate(bulk(due.Format(time.DateOnly), "1.00"))
	st := status("200 future-dated bulk ACTC", ok, TxAccepted)
	if st.PSUMessage != "Accepted: to be executed on "+due.Format(time.DateOnly) {
		t.Errorf("psuMessage %q", st.PSUMessage)
	}
	var pend bool
	rig.s.store.locked(func() { pend = rig.s.store.payments.byID[ok].pending() })
	if !pend {
		t.Errorf("a future-dated bulk is not pending")
	}
	if n := len(ledgerOf(rig.s, 0, ok)); n != 0 {
		t.Errorf("booked before its date: %d", n)
	}
	rig.step("202 future-dated bulk: its cancellation asks the PSU", 202, func() answer { return p.call("DELETE", bp+"/"+cancelled, p.clientToken(), nil, nil) })
	rig.step("201 the cancellation authorisation", 201, func() answer {
		return p.call("POST", bp+"/"+cancelled+"/cancellation-authorisations", p.clientToken(), nil, nil)
	})
	authorisePayment(t, p, cancelled)

	rig.clock.Set(rig.clock.Now().AddDate(0, 0, 1))
	status("200 the day before, still ACTC", ok, TxAccepted)

	rig.clock.Set(rig.clock.Now().AddDate(0, 0, 1))
	st = status("200 on its date ACSC", ok, TxSettled)
	if st.PSUMessage != "" {
		t.Errorf("psuMessage %q after execution", st.PSUMessage)
	}
	rig.s.store.locked(func() { pend = rig.s.store.payments.byID[ok].pending() })
	if pend {
		t.Errorf("an executed bulk is pending")
	}
	cid, at := p.consented(consentBody(nil))
	rig.step("200 the bulk's entries through AIS", 200, func() answer {
		ds := due.Format(time.DateOnly)
		a := p.call("GET", "/v1/accounts/acc-2343/transactions?bookingStatus=booked&dateFrom="+ds+"&dateTo="+ds, at, nil, map[string]string{"Consent-ID": cid, "PSU-IP-Address": "192.0.2.1"})
		var rep accountsReport
		a.json(t, &rep)
		var amounts []string
		for _, e := range rep.Transactions.Booked {
			if e.EntryReference == ok {
				amounts = append(amounts, e.TransactionAmount.Amount+" "+e.BookingDate)
			}
		}
		if strings.Join(amounts, ",") != "-12.00 "+ds+",-3.50 "+ds && strings.Join(amounts, ",") != "-3.50 "+ds+",-12.00 "+ds {
			t.Errorf("the bulk's entries %v", amounts)
		}
		return a
	})
	rig.stepOneOf("200 bulk information", 200, "bulkPaymentInitiationWithStatusResponse", true, func() answer {
		a := p.call("GET", bp+"/"+ok, p.clientToken(), nil, nil)
		if !strings.Contains(string(a.body), `"requestedExecutionDate":"`+due.Format(time.DateOnly)+`"`) || !strings.Contains(string(a.body), `"transactionStatus":"ACSC"`) {
			t.Errorf("bulk: %s", a.body)
		}
		return a
	})
	st = status("200 short on its date RJCT", short, TxRejected)
	if st.FundsAvailable == nil || *st.FundsAvailable || !strings.Contains(st.PSUMessage, "Insufficient funds") {
		t.Errorf("short bulk: %+v", st)
	}
	status("200 cancelled bulk CANC", cancelled, TxCancelled)
	if n := len(ledgerOf(rig.s, 0, cancelled)) + len(ledgerOf(rig.s, 0, short)); n != 0 {
		t.Errorf("cancelled or short bulks booked %d", n)
	}

	rig.step("400 requestedExecutionDate in the past", 400, func() answer {
		a := p.call("POST", bp, p.clientToken(), bulk(due.AddDate(0, 0, -1).Format(time.DateOnly), "1.00"), pisIP)
		wantAPIError(t, a, 400, "EXECUTION_DATE_INVALID", "requestedExecutionDate", "in the past")
		return a
	})
	rig.step("400 requestedExecutionDate in a single payment", 400, func() answer {
		body := sepaBody("1.00", func(m map[string]any) { m["requestedExecutionDate"] = due.AddDate(0, 0, 7).Format(time.DateOnly) })
		a := p.call("POST", "/v1/payments/sepa-credit-transfers", p.clientToken(), body, pisIP)
		wantAPIError(t, a, 400, CodeFormatError, "requestedExecutionDate", "n.a.", "bulk-payments")
		return a
	})
}

// TestDataDirKeepsSchedules: with --data, standing orders' booked and
// refused instalments and a future-dated bulk outlive a restart; after it
// the order goes on and the bulk executes on its date.
func TestDataDirKeepsSchedules(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	clock := newClock(time.Now())
	today := weekdayNoon(clock)
	opts := Options{AutoApprove: true, RatePerSecond: -1, RatePerDay: -1, Now: clock.Now}
	const pp, bp = "/v1/periodic-payments/sepa-credit-transfers", "/v1/bulk-payments/sepa-credit-transfers"
	statusOf := func(p *party, path string) string {
		t.Helper()
		var st statusAnswer
		p.call("GET", path+"/status", p.clientToken(), nil, nil).json(t, &st)
		return st.TransactionStatus
	}

	s1 := startData(t, dir, opts)
	p1 := bankTPP(t, s1)
	_, weekly := p1.initiate(pp, sepaBody("5.00", func(m map[string]any) {
		m["startDate"], m["frequency"] = today.Format(time.DateOnly), "Weekly"
	}))
	authorisePayment(t, p1, weekly.PaymentID)
	_, short := p1.initiate(pp, sepaBody("99999.00", func(m map[string]any) {
		m["startDate"], m["frequency"] = today.Format(time.DateOnly), "Weekly"
	}))
	authorisePayment(t, p1, short.PaymentID)
	due := today.AddDate(0, 0, 20).Format(time.DateOnly)
	bulk := []byte(`{"debtorAccount":{"iban":"` + currentIBAN + `"},"requestedExecutionDate":"` + due + `","payments":[{"instructedAmount":{"currency":"EUR","amount":"8.00"},"creditorAccount":{"iban":"` + landlord.iban + `"},"creditorName":"x"}]}`)
	_, later := p1.initiate(bp, bulk)
	authorisePayment(t, p1, later.PaymentID)
	// Approved a week after its startDate: from then on only.
	_, late := p1.initiate(pp, sepaBody("6.00", func(m map[string]any) {
		m["startDate"], m["frequency"] = today.Format(time.DateOnly), "Weekly"
	}))
	clock.Set(clock.Now().AddDate(0, 0, 7))
	authorisePayment(t, p1, late.PaymentID)
	if st := statusOf(p1, pp+"/"+weekly.PaymentID); st != TxAccepted {
		t.Fatalf("weekly: %s", st)
	}
	before := ledgerOf(s1, 0, weekly.PaymentID)
	if len(before) != 2 {
		t.Fatalf("weekly booked %d before the restart", len(before))
	}
	s1.Close()

	s2 := startData(t, dir, opts)
	defer s2.Close()
	p2 := bankTPP(t, s2)
	if after := ledgerOf(s2, 0, weekly.PaymentID); len(after) != 2 || after[0].TransactionID != before[0].TransactionID || after[1].TransactionID != before[1].TransactionID {
		t.Errorf("after the restart %+v, before %+v", after, before)
	}
	var o orderProgress
	s2.store.locked(func() { o = *s2.store.payments.byID[weekly.PaymentID].Order })
	if o.Booked != 2 || o.Through != bankDate(clock.Now()).Format(time.DateOnly) || len(o.Refused) != 0 {
		t.Errorf("progress after the restart %+v", o)
	}
	s2.store.locked(func() { o = *s2.store.payments.byID[short.PaymentID].Order })
	if o.Booked != 0 || len(o.Refused) != 2 || o.Refused[1] != today.AddDate(0, 0, 7).Format(time.DateOnly) || len(ledgerOf(s2, 0, short.PaymentID)) != 0 {
		t.Errorf("the short order after the restart %+v", o)
	}
	if b := ledgerOf(s2, 0, late.PaymentID); len(b) != 1 || b[0].BookingDate != today.AddDate(0, 0, 7).Format(time.DateOnly) {
		t.Errorf("the order approved late after the restart: %+v", b)
	}
	if st := statusOf(p2, bp+"/"+later.PaymentID); st != TxAccepted {
		t.Errorf("the future-dated bulk after the restart: %s", st)
	}
	clock.Set(clock.Now().AddDate(0, 0, 14))
	if st := statusOf(p2, bp+"/"+later.PaymentID); st != TxSettled {
		t.Errorf("the bulk on its date after the restart: %s", st)
	}
	if n := len(ledgerOf(s2, 0, weekly.PaymentID)); n != 4 {
		t.Errorf("weekly booked %d after 3 weeks, want 4", n)
	}
	s2.Close()
	// And once more: the executed bulk is booked again on its date.
	s3 := startData(t, dir, opts)
	defer s3.Close()
	if b := ledgerOf(s3, 0, later.PaymentID); len(b) != 1 || b[0].BookingDate != due {
		t.Errorf("the bulk after a second restart: %+v", b)
	}
}

// TestSchema4StandingOrder: a running standing order of a schema 4 file
// (no progress: that build never executed one) loads, and runs from the
// day it is read, not from its startDate.
func TestSchema4StandingOrder(t *testing.T) {
	clock := newClock(time.Now())
	today := weekdayNoon(clock)
	s := startSandbox(t, Options{RatePerSecond: -1, Now: clock.Now})
	start := today.AddDate(0, -3, 0).Format(time.DateOnly)
	rec := `{"id":"pmt-old","service":"periodic-payments","product":"sepa-credit-transfers","organizationId":"o","clientId":"c",
		"single":{"debtorAccount":{"iban":"` + currentIBAN + `"},"instructedAmount":{"currency":"EUR","amount":"4.00"},"creditorAccount":{"iban":"` + landlord.iban + `"},
		"creditorName":"x","startDate":"` + start + `","frequency":"Daily"},"debtorIban":"` + currentIBAN + `","total":400,"status":"ACTC","created":"2026-01-01T00:00:00Z"}`
	p, err := s.decodePayment("pmt-old", []byte(rec))
	if err != nil {
		t.Fatal(err)
	}
	var changed []any
	s.store.locked(func() {
		s.loadPayments([]*Payment{p})
		changed = s.runDue(clock.Now())
	})
	if len(changed) != 1 || p.Order == nil || p.Order.Booked != 1 || len(ledgerOf(s, 0, "pmt-old")) != 1 {
		t.Errorf("a schema 4 order: %d changed, %+v, %d booked", len(changed), p.Order, len(ledgerOf(s, 0, "pmt-old")))
	}
	// A progress on what is no standing order is damage.
	bad := strings.Replace(strings.Replace(rec, `"periodic-payments"`, `"payments"`, 1), `"startDate":"`+start+`","frequency":"Daily"`, `"creditorAgentName":"y"`, 1)
	bad = strings.Replace(bad, `"status":"ACTC"`, `"status":"ACTC","order":{"through":"2026-01-01"}`, 1)
	if _, err := s.decodePayment("pmt-old", []byte(bad)); err == nil || !strings.Contains(err.Error(), "none") {
		t.Errorf("progress on a single payment: %v", err)
	}
}

// TestWeekendInstalments: an instalment whose day is a Saturday is booked
// on the Monday after with executionRule following, on the Friday before
// with preceding, never on the Saturday.
func TestWeekendInstalments(t *testing.T) {
	clock := newClock(time.Now())
	today := weekdayNoon(clock)
	s := startSandbox(t, Options{AutoApprove: true, RatePerSecond: -1, RatePerDay: -1, Now: clock.Now})
	p := bankTPP(t, s)
	// The first Saturday of next month, its day of the month as
	// dayOfExecution.
	sat := time.Date(today.Year(), today.Month()+1, 1, 0, 0, 0, 0, time.UTC)
	for sat.Weekday() != time.Saturday {
		sat = sat.AddDate(0, 0, 1)
	}
	const pp = "/v1/periodic-payments/sepa-credit-transfers"
	ids := map[string]string{}
	for _, rule := range []string{"following", "preceding"} {
		_, pc := p.initiate(pp, sepaBody("3.00", func(m map[string]any) {
			m["startDate"], m["frequency"], m["dayOfExecution"], m["executionRule"] = today.Format(time.DateOnly), "Monthly", fmt.Sprint(sat.Day()), rule
		}))
		authorisePayment(t, p, pc.PaymentID)
		ids[rule] = pc.PaymentID
	}
	clock.Set(time.Date(sat.Year(), sat.Month(), sat.Day()+3, 12, 0, 0, 0, helsinki))
	wantStatus(t, p.call("GET", pp+"/"+ids["following"]+"/status", p.clientToken(), nil, nil), 200)
	for rule, want := range map[string]time.Time{"following": sat.AddDate(0, 0, 2), "preceding": sat.AddDate(0, 0, -1)} {
		var days []string
		for _, e := range ledgerOf(s, 0, ids[rule]) {
			days = append(days, e.BookingDate)
		}
		if !slices.Contains(days, want.Format(time.DateOnly)) || slices.Contains(days, sat.Format(time.DateOnly)) {
			t.Errorf("%s: booked on %v; want %s (%s), not %s", rule, days, want.Format(time.DateOnly), want.Weekday(), sat.Format(time.DateOnly))
		}
	}
}

// TestBookWritesStandingOrderCode: book writes a periodic payment's entry
// with the standing order's code, PMNT-ICDT-STDO, at once: a reader of the
// ledger never sees it as PMNT-ICDT-ESCT (it was written so and recoded
// after, under a second lock). A single payment's entry stays ESCT.
func TestBookWritesStandingOrderCode(t *testing.T) {
	s := startData(t, "", Options{RatePerSecond: -1})
	defer s.Close()
	now := s.now()
	for _, c := range []struct{ service, id, want string }{
		{"periodic-payments", "book-periodic", "PMNT-ICDT-STDO"},
		{"payments", "book-single", "PMNT-ICDT-ESCT"},
	} {
		s.store.locked(func() {
			p := &Payment{ID: c.id, Service: c.service, Debtor: s.psu(PaymentCustomerID).Accounts[0], Executed: now, Total: 100,
				Single: &paymentBody{InstructedAmount: &Amount{Amount: "1.00", Currency: "EUR"}, CreditorName: "Landlord",
					CreditorAccount: &AccountReference{IBAN: "FI02 1234 5600 0000 14"}}}
			s.book(p)
		})
		if got := ledgerOf(s, 0, c.id); len(got) != 1 || got[0].BankTransactionCode != c.want {
			t.Errorf("%s: entries %+v, want one coded %s", c.service, got, c.want)
		}
	}
}
