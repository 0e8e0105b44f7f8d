package xs2a

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/xs2a-dev/xs2a/pkg/termsafe"
)

// BookingStatusRefused reports whether err is a bank's refusal of the
// bookingStatus a report asked for: 400 PARAMETER_NOT_SUPPORTED naming
// bookingStatus or no other parameter, or 400 FORMAT_ERROR naming
// bookingStatus. The file's bookingStatus description makes only "booked"
// mandatory for an ASPSP ("To support the "pending" and "both" feature is
// optional for the ASPSP, Error code if not supported"); adorsys xs2a
// (GetTransactionsReportValidator) answers a status missing from its
// profile's availableBookingStatuses (booked and pending by default, not
// both) with 400 PARAMETER_NOT_SUPPORTED "bookingStatus 'both' is not
// supported by ASPSP"; other ASPSPs say FORMAT_ERROR with the parameter in
// the text.
func BookingStatusRefused(err error) (*APIError, bool) {
	var ae *APIError
	if !errors.As(err, &ae) || ae.Status != http.StatusBadRequest {
		return nil, false
	}
	names := func(param string) bool {
		for _, m := range ae.Messages {
			if m.Code != "PARAMETER_NOT_SUPPORTED" && m.Code != "FORMAT_ERROR" {
				continue
			}
			if strings.Contains(strings.ToLower(m.Path+" "+m.Text), strings.ToLower(param)) {
				return true
			}
		}
		return strings.Contains(strings.ToLower(ae.Body), strings.ToLower(param))
	}
	if names("bookingStatus") || names("booking status") {
		return ae, ae.HasCode("PARAMETER_NOT_SUPPORTED") || ae.HasCode("FORMAT_ERROR")
	}
	if !ae.HasCode("PARAMETER_NOT_SUPPORTED") {
		return nil, false
	}
	// PARAMETER_NOT_SUPPORTED about another parameter of the request is
	// not about bookingStatus: a retry with booked would only fail again.
	for _, other := range []string{"withBalance", "dateFrom", "dateTo", "entryReferenceFrom", "deltaList"} {
		if names(other) {
			return nil, false
		}
	}
	return ae, true
}

// withBookingStatus reads a report with tq's query. When the caller left
// BookingStatus empty (both) and the bank refuses it on the first page
// (BookingStatusRefused), it reads the report once more with booked, the
// one status every ASPSP supports; reset empties what the first try
// gathered. It returns the status used and the refusal fallen back on.
func (c *Client) withBookingStatus(ctx context.Context, base Request, id string, tq TransactionQuery, reset func(), page func([]byte) (string, error)) (used, fallback string, err error) {
	bs := tq.BookingStatus
	auto := bs == ""
	if auto {
		bs = "both"
	}
	q := url.Values{}
	if tq.From != "" {
		q.Set("dateFrom", tq.From)
	}
	if tq.To != "" {
		q.Set("dateTo", tq.To)
	}
	q.Set("bookingStatus", bs)
	if tq.WithBalance {
		q.Set("withBalance", "true")
	}
	base.Query = q
	reset()
	pages, err := c.report(ctx, base, id, tq, page)
	if err == nil {
		return bs, "", nil
	}
	ae, refused := BookingStatusRefused(err)
	if !auto || pages > 0 || !refused {
		return "", "", err
	}
	q = url.Values{}
	for k, v := range base.Query {
		q[k] = v
	}
	q.Set("bookingStatus", "booked")
	base.Query = q
	reset()
	if _, err := c.report(ctx, base, id, tq, page); err != nil {
		return "", "", err
	}
	return "booked", ae.Error(), nil
}

// report reads the pages of a transaction report, following each page's
// next link (page returns it) on the bank's origin, never the same link
// twice, at most tq.MaxPages pages and tq.MaxBytes bytes. It returns the
// pages read.
func (c *Client) report(ctx context.Context, req Request, id string, tq TransactionQuery, page func([]byte) (string, error)) (int, error) {
	max := tq.MaxPages
	if max == 0 {
		max = 100
	}
	maxBytes := tq.MaxBytes
	if maxBytes == 0 {
		maxBytes = MaxReportBytes
	}
	seen := map[string]bool{}
	total, pages := 0, 0
	for pages < max {
		resp, err := c.call(ctx, req, http.StatusOK, nil)
		if err != nil {
			return pages, err
		}
		if total += len(resp.Body); total > maxBytes {
			return pages, fmt.Errorf("the transaction report of %s is larger than %d MiB after %d pages; xs2a reads no more (narrow dateFrom/dateTo)", termsafe.Line(id), maxBytes>>20, pages+1)
		}
		next, err := page(resp.Body)
		if err != nil {
			return pages, fmt.Errorf("the answer to %s %s is not the expected JSON: %v", req.Method, termsafe.Line(req.Path), err)
		}
		pages++
		if tq.OnPage != nil {
			tq.OnPage(pages)
		}
		if next == "" || seen[next] {
			break
		}
		seen[next] = true
		if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") {
			// Checked here too, so the refusal names the link.
			if _, err := c.resolve("transactions' next link", next); err != nil {
				return pages, err
			}
		}
		req.Path, req.Query = next, nil
	}
	return pages, nil
}
