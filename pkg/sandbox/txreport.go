package sandbox

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/xs2a-dev/xs2a/pkg/text"
)

// The transaction reports of card accounts and payment accounts read the
// same query (bookingStatus, dateFrom, dateTo, the bank's own page) and
// page the same way; history is what tells them apart.

// PageSize is how many transactions one page of a report holds.
const PageSize = 50

// history is what differs between the two reports' queries.
type history struct {
	keeper string // who keeps the two years, for the PERIOD_INVALID text
	// standingOrders are the file's bookingStatus values for standing
	// orders that the report knows but does not serve
	// (PARAMETER_NOT_SUPPORTED, not FORMAT_ERROR).
	standingOrders []string
}

var (
	cardHistory    = history{keeper: "this card issuer", standingOrders: []string{"information"}}
	accountHistory = history{keeper: "this ASPSP", standingOrders: []string{"information", "all"}}
)

// txQuery is a checked transaction-list query.
type txQuery struct {
	status   string
	from, to time.Time
	page     int
}

// parseTxQuery checks a transaction report's query: bookingStatus
// required (booked, pending, both; the standing orders are optional in the
// file and not supported here); delta reports neither; dateFrom required,
// two years back at most.
func parseTxQuery(q url.Values, today time.Time, h history) (txQuery, *apiError) {
	var t txQuery
	switch t.status = q.Get("bookingStatus"); {
	case t.status == "booked", t.status == "pending", t.status == "both":
	case t.status == "":
		return t, formatErr("bookingStatus", "bookingStatus is required: booked, pending or both")
	case slices.Contains(h.standingOrders, t.status):
		return t, reject(http.StatusBadRequest, CodeParameterNotSupported, fmt.Sprintf("bookingStatus %s (standing orders) is not supported by %s; use booked, pending or both", t.status, h.keeper)).withPath("bookingStatus")
	default:
		return t, formatErr("bookingStatus", "bookingStatus %q is not booked, pending or both", text.Clip(t.status, 20))
	}
	if q.Get("deltaList") != "" || q.Get("entryReferenceFrom") != "" {
		return t, reject(http.StatusBadRequest, CodeParameterNotSupported, "delta reports (deltaList, entryReferenceFrom) are not supported; use dateFrom and dateTo")
	}
	t.from, t.to = today, today
	if v := q.Get("dateFrom"); v == "" {
		return t, formatErr("dateFrom", "dateFrom is required (an ISO date)")
	} else if d, err := time.Parse(time.DateOnly, v); err != nil {
		return t, formatErr("dateFrom", "dateFrom %q is not an ISO date (YYYY-MM-DD)", text.Clip(v, 20))
	} else {
		t.from = d
	}
	if v := q.Get("dateTo"); v != "" {
		d, err := time.Parse(time.DateOnly, v)
		if err != nil {
			return t, formatErr("dateTo", "dateTo %q is not an ISO date (YYYY-MM-DD)", text.Clip(v, 20))
		}
		t.to = d
	}
	switch {
	case t.from.After(t.to):
		return t, reject(http.StatusBadRequest, CodePeriodInvalid, fmt.Sprintf("dateFrom %s is after dateTo %s", t.from.Format(time.DateOnly), t.to.Format(time.DateOnly)))
	case t.from.After(today):
		return t, reject(http.StatusBadRequest, CodePeriodInvalid, fmt.Sprintf("dateFrom %s is in the future", t.from.Format(time.DateOnly)))
	case t.from.Before(today.AddDate(-2, 0, 0)):
		return t, reject(http.StatusBadRequest, CodePeriodInvalid, h.keeper+" keeps two years of transactions; dateFrom is earlier")
	}
	if v := q.Get("page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return t, formatErr("page", "page %q is not a page number", text.Clip(v, 20))
		}
		t.page = n
	}
	return t, nil
}

// bookable is a transaction of either report.
type bookable interface{ isBooked() bool }

func (t CardTransaction) isBooked() bool    { return t.booked }
func (t AccountTransaction) isBooked() bool { return t.booked }

// transactionReport is page tq.page of the report of txs (newest first):
// pending then booked, as bookingStatus asks, each list present only when
// asked for, with the paging links and the link named account to the
// account the report is of.
func transactionReport[T bookable](txs []T, tq txQuery, path string, q url.Values, account, href string) (map[string]any, *apiError) {
	var booked, pending, list []T
	for _, t := range txs {
		if t.isBooked() {
			booked = append(booked, t)
		} else {
			pending = append(pending, t)
		}
	}
	switch tq.status {
	case "booked":
		list = booked
	case "pending":
		list = pending
	default:
		list = append(append(list, pending...), booked...)
	}
	slice, links, e := pageOf(list, tq.page, path, q)
	if e != nil {
		return nil, e
	}
	pb, pp := []T{}, []T{} // [], not null, for an empty list
	for _, t := range slice {
		if t.isBooked() {
			pb = append(pb, t)
		} else {
			pp = append(pp, t)
		}
	}
	links[account] = link{Href: href}
	report := map[string]any{"_links": links}
	if tq.status != "pending" {
		report["booked"] = pb
	}
	if tq.status != "booked" {
		report["pending"] = pp
	}
	return report, nil
}

// pageOf cuts page n of PageSize entries out of list and links first,
// last, next and previous to the same query with the bank's own page
// parameter.
func pageOf[T any](list []T, page int, path string, q url.Values) ([]T, map[string]link, *apiError) {
	pages := max(1, (len(list)+PageSize-1)/PageSize)
	if page >= pages {
		return nil, nil, formatErr("page", "page %d does not exist (the report has %d)", page, pages)
	}
	pageURL := func(n int) link {
		v := url.Values{}
		for k, vs := range q {
			v[k] = vs
		}
		v.Set("page", strconv.Itoa(n))
		return link{Href: path + "?" + v.Encode()}
	}
	links := map[string]link{"first": pageURL(0), "last": pageURL(pages - 1)}
	if page+1 < pages {
		links["next"] = pageURL(page + 1)
	}
	if page > 0 {
		links["previous"] = pageURL(page - 1)
	}
	return list[page*PageSize : min(len(list), (page+1)*PageSize)], links, nil
}
