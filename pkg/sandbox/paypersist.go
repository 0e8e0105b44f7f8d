package sandbox

// Payments in the data file (--data): one record per payment in the
// bucket "payments" (schema 4; 5 adds a standing order's progress,
// "order"). The entries executed payments booked on the debtor's account
// are not stored apart: they are booked again from the settled payments
// when the file is read, on the day they were, and a standing order's from
// its schedule up to where it had run, without the refused ones.

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

var bucketPayments = []byte("payments")

type paymentRecord struct {
	ID             string                `json:"id"`
	Service        string                `json:"service"`
	Product        string                `json:"product"`
	OrganizationID string                `json:"organizationId"`
	ClientID       string                `json:"clientId"`
	Single         *paymentBody          `json:"single,omitempty"`
	Bulk           *bulkBody             `json:"bulk,omitempty"`
	DebtorIBAN     string                `json:"debtorIban"`
	Total          int64                 `json:"total"`
	Status         string                `json:"status"`
	Reason         string                `json:"reason,omitempty"`
	NoFunds        bool                  `json:"noFunds,omitempty"`
	Created        time.Time             `json:"created"`
	Executed       time.Time             `json:"executed,omitzero"`
	Authorisations []authorisationRecord `json:"authorisations,omitempty"`
	// A cancellation the PSU is to authorise (paycancel.go).
	CancelRequested bool                  `json:"cancelRequested,omitempty"`
	Cancellations   []authorisationRecord `json:"cancellations,omitempty"`
	Order           *orderProgress        `json:"order,omitempty"` // schema 5
}

var paymentStatuses = map[string]bool{TxReceived: true, TxAccepted: true, TxSettled: true, TxCredited: true, TxRejected: true, TxCancelled: true}

func encodePayment(p *Payment) []byte {
	r := paymentRecord{ID: p.ID, Service: p.Service, Product: p.Product, OrganizationID: p.OrganizationID, ClientID: p.ClientID,
		Single: p.Single, Bulk: p.Bulk, DebtorIBAN: p.Debtor.IBAN, Total: p.Total, Status: p.Status, Reason: p.Reason, NoFunds: p.NoFunds,
		Created: p.Created, Executed: p.Executed, CancelRequested: p.CancelRequested, Order: p.Order}
	for _, a := range p.Authorisations {
		r.Authorisations = append(r.Authorisations, authorisationRecord{ID: a.ID, Status: a.Status, PSU: a.PSU, Created: a.Created})
	}
	for _, a := range p.Cancellations {
		r.Cancellations = append(r.Cancellations, authorisationRecord{ID: a.ID, Status: a.Status, PSU: a.PSU, Created: a.Created})
	}
	return mustJSON(r)
}

// decodePayment reads a payment record; the debtor account must be a
// customer's, and a settled payment must say when it was executed.
func (s *Server) decodePayment(key string, b []byte) (*Payment, error) {
	var r paymentRecord
	if err := decodeStrict(b, &r); err != nil {
		return nil, err
	}
	if err := sameKey(key, r.ID); err != nil {
		return nil, err
	}
	switch {
	case !paymentStatuses[r.Status]:
		return nil, fmt.Errorf("unknown transaction status %q", r.Status)
	case !slices.Contains(PaymentServices, r.Service) || !slices.Contains(PaymentProducts, r.Product):
		return nil, fmt.Errorf("unknown payment service or product %q %q", r.Service, r.Product)
	case (r.Single == nil) == (r.Bulk == nil) || (r.Bulk != nil) != (r.Service == "bulk-payments"):
		return nil, errors.New("a payment is a single one or a bulk, as its service says")
	case (r.Status == TxSettled || r.Status == TxCredited) && r.Executed.IsZero():
		return nil, errors.New("a settled payment without its execution time")
	case len(r.Authorisations) > MaxAuthorisationsPerConsent || len(r.Cancellations) > MaxAuthorisationsPerConsent:
		return nil, fmt.Errorf("%d authorisations, %d cancellation authorisations; at most %d each", len(r.Authorisations), len(r.Cancellations), MaxAuthorisationsPerConsent)
	case r.Bulk != nil && r.Bulk.RequestedExecutionDate != "" && !isDate(r.Bulk.RequestedExecutionDate):
		return nil, fmt.Errorf("requestedExecutionDate %q is not a date", r.Bulk.RequestedExecutionDate)
	}
	if err := checkOrder(&r); err != nil {
		return nil, err
	}
	p := &Payment{ID: r.ID, Service: r.Service, Product: r.Product, OrganizationID: r.OrganizationID, ClientID: r.ClientID,
		Single: r.Single, Bulk: r.Bulk, Total: r.Total, Status: r.Status, Reason: r.Reason, NoFunds: r.NoFunds, Created: r.Created, Executed: r.Executed,
		CancelRequested: r.CancelRequested, Order: r.Order}
	for _, psu := range s.psus {
		for _, acc := range psu.Accounts {
			if strings.EqualFold(acc.IBAN, r.DebtorIBAN) {
				p.Debtor, p.Owner = acc, psu
			}
		}
	}
	if p.Debtor == nil {
		return nil, fmt.Errorf("debtor account %q of no customer", r.DebtorIBAN)
	}
	if err := checkBooked(p); err != nil {
		return nil, err
	}
	for _, l := range []struct {
		x   authorisable
		rec []authorisationRecord
	}{{p, r.Authorisations}, {cancellation{p}, r.Cancellations}} {
		for _, a := range l.rec {
			switch {
			case a.ID == "" || findAuth(l.x, a.ID) != nil:
				return nil, fmt.Errorf("authorisation id %q missing or repeated", a.ID)
			case !scaStatuses[a.Status]:
				return nil, fmt.Errorf("authorisation %q: unknown scaStatus %q", a.ID, a.Status)
			case a.PSU != "" && s.psu(a.PSU) == nil:
				return nil, fmt.Errorf("authorisation %q of unknown customer %q", a.ID, a.PSU)
			}
			*l.x.authList() = append(*l.x.authList(), &authorisation{ID: a.ID, Status: a.Status, PSU: a.PSU, Created: a.Created})
		}
	}
	return p, nil
}

// checkBooked refuses a record whose payments book would not: amounts
// that are not amounts, creditors without an IBAN.
func checkBooked(p *Payment) error {
	var els []paymentBody
	if p.Bulk != nil {
		els = p.Bulk.Payments
	} else {
		els = []paymentBody{*p.Single}
	}
	if len(els) == 0 || len(els) > MaxBulkPayments {
		return fmt.Errorf("%d payments", len(els))
	}
	for i := range els {
		if els[i].InstructedAmount == nil || !amountRE.MatchString(els[i].InstructedAmount.Amount) || els[i].CreditorAccount == nil {
			return fmt.Errorf("payment %d lacks its amount or creditor account", i)
		}
	}
	return nil
}

// loadPayments keeps the file's payments, oldest first, books the settled
// ones and the standing orders' instalments again on their debtors'
// accounts, and schedules what is still due.
func (s *Server) loadPayments(ps []*Payment) {
	slices.SortStableFunc(ps, func(a, b *Payment) int { return a.Created.Compare(b.Created) })
	for _, p := range ps {
		s.store.addPayment(p) // a file holds at most MaxPayments
	}
	slices.SortStableFunc(ps, func(a, b *Payment) int { return a.Executed.Compare(b.Executed) })
	for _, p := range ps {
		switch {
		case p.Order != nil:
			s.rebookOrder(p)
		case p.Status == TxSettled || p.Status == TxCredited:
			s.book(p)
		}
	}
	today := dateOf(s.now().In(s.zone))
	for _, p := range ps {
		if !p.pending() || s.store.payments.byID[p.ID] != p {
			continue
		}
		if p.Service == "periodic-payments" && p.Order == nil {
			// A schema 4 file's running order, which that build never
			// executed: it runs from today, not from its startDate.
			p.Order = &orderProgress{Through: today.AddDate(0, 0, -1).Format(time.DateOnly)}
		}
		s.store.payments.due[p.ID] = p
	}
	s.store.payments.nextDue = time.Time{}
}

func isDate(s string) bool {
	_, err := time.Parse(time.DateOnly, s)
	return err == nil
}

// checkOrder checks a standing order's progress: only a standing order
// has one, a finished order (ACSC) must have booked, and the dates are
// dates.
func checkOrder(r *paymentRecord) error {
	o := r.Order
	switch {
	case o == nil:
		if r.Service == "periodic-payments" && r.Status == TxSettled {
			return errors.New("a finished standing order without its progress")
		}
		return nil
	case r.Service != "periodic-payments":
		return errors.New("progress of a standing order on a payment that is none")
	case !isDate(o.Through):
		return fmt.Errorf("standing order through %q: not a date", o.Through)
	case o.Booked < 0 || len(o.Refused) > MaxRefusedInstalments:
		return fmt.Errorf("standing order: %d booked, %d refused", o.Booked, len(o.Refused))
	case r.Single == nil || !isDate(r.Single.StartDate):
		return errors.New("a standing order without its startDate")
	}
	for _, d := range o.Refused {
		if !isDate(d) {
			return fmt.Errorf("refused instalment %q: not a date", d)
		}
	}
	return nil
}
