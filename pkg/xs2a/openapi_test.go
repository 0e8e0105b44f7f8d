package xs2a_test

// TestRequestsMatchTheOpenAPIFile checks every request the client sends
// against the official Berlin Group OpenAPI file (NextGenPSD2 1.3.12), which
// is not part of this repository: XS2A_OPENAPI names it, by default
// ../../../shared/spec/psd2-api-1.3.12.json from this package's directory.
// Without the file the test is skipped, except in CI (CI=true), where it
// fails.
//
// A RoundTripper between the signer and the mutual-TLS transport sees each
// request exactly as it goes over the wire and validates it (operation,
// path and query parameters, headers, body against the schema) before
// forwarding it to the sandbox; it also checks what the file leaves
// optional but the bank requires: X-Request-ID a UUID, Digest, Signature
// and TPP-Signature-Certificate on every call, a bearer token.
//
// PSU-IP-Address: the file marks it required on POST /v1/consents (and
// optional everywhere else in AIS). The consent is created with no
// Client.PSUIPAddress, so the file's fallback (the local address of the
// connection) is what the check sees; the reads after the PSU's approval
// carry a configured one.

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/google/uuid"
	"github.com/xs2a-dev/xs2a/pkg/httpsig"
	"github.com/xs2a-dev/xs2a/pkg/oauth"
	"github.com/xs2a-dev/xs2a/pkg/sandbox"
	"github.com/xs2a-dev/xs2a/pkg/spec"
	"github.com/xs2a-dev/xs2a/pkg/xs2a"
)

// specGate validates each request against the file (pkg/spec's Checker,
// and what the bank requires beyond it), records the findings and which
// operations it saw, and forwards the request unchanged.
type specGate struct {
	base    http.RoundTripper
	checker *spec.Checker
	doc     *openapi3.T

	mu       sync.Mutex
	seen     map[string]int // operationId → requests
	findings []string
	sent     map[string]*recorded // the last request of each operation
	first    map[string]*recorded // and the first
	// answers: validate each answer against the file too (a fake bank's
	// shapes must be the file's; the sandbox's are checked in its tests).
	answers bool
}

type recorded struct {
	req  *http.Request
	body []byte
}

func newSpecGate(t *testing.T, doc *openapi3.T, serverURL string, base http.RoundTripper) *specGate {
	t.Helper()
	return &specGate{base: base, checker: spec.NewChecker(t, doc, serverURL), doc: doc,
		seen: map[string]int{}, sent: map[string]*recorded{}, first: map[string]*recorded{}}
}

func (g *specGate) RoundTrip(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil && req.Body != http.NoBody {
		b, err := io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, err
		}
		body = b
		req = req.Clone(req.Context())
		req.Body = io.NopCloser(bytes.NewReader(b))
		req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }
	}
	op, errs := g.check(req, body)
	g.mu.Lock()
	g.seen[op]++
	g.sent[op] = &recorded{req: req.Clone(context.Background()), body: body}
	if g.first[op] == nil {
		g.first[op] = g.sent[op]
	}
	for _, e := range errs {
		g.findings = append(g.findings, fmt.Sprintf("%s %s (%s): %v", req.Method, req.URL.RequestURI(), op, e))
	}
	g.mu.Unlock()
	resp, err := g.base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(b))
	if !g.answers {
		if resp.StatusCode/100 == 2 {
			g.checker.Follow(b)
		}
		return resp, nil
	}
	res := g.checker.Check(spec.Exchange{Request: req, Body: body, Status: resp.StatusCode, Header: resp.Header, Answer: b})
	g.mu.Lock()
	defer g.mu.Unlock()
	answerErrs := res.AnswerErrors
	if req.Method == http.MethodGet && resp.StatusCode == http.StatusOK {
		answerErrs = serviceSchema(g.doc, req, b, answerErrs, withStatusSchemas)
	}
	for _, e := range answerErrs {
		g.findings = append(g.findings, fmt.Sprintf("answer to %s %s: %v", req.Method, req.URL.RequestURI(), e))
	}
	return resp, nil
}

// check returns the operationId of req and what is wrong with it: the
// file's findings and what the file leaves optional and the bank does not.
func (g *specGate) check(req *http.Request, body []byte) (string, []error) {
	res := g.checker.Check(spec.Exchange{Request: req, Body: body})
	if res.Route == nil {
		return res.Op, res.RequestErrors
	}
	errs := res.RequestErrors
	if req.Method == http.MethodPost {
		errs = serviceSchema(g.doc, req, body, errs, initiationSchemas)
	}
	h := req.Header
	if rid := h.Get("X-Request-ID"); uuid.Validate(rid) != nil || len(rid) != 36 {
		errs = append(errs, fmt.Errorf("X-Request-ID %q is not a UUID", rid))
	}
	if d := h.Get("Digest"); !strings.HasPrefix(d, "SHA-256=") && !strings.HasPrefix(d, "SHA-512=") {
		errs = append(errs, fmt.Errorf("Digest %q is not SHA-256= or SHA-512=", d))
	}
	sig := h.Get("Signature")
	for _, want := range []string{`keyId="SN=`, `algorithm="rsa-sha`, `headers="`, "x-request-id", "digest", `signature="`} {
		if !strings.Contains(sig, want) {
			errs = append(errs, fmt.Errorf("Signature %q lacks %s", sig, want))
		}
	}
	if h.Get("TPP-Signature-Certificate") == "" {
		errs = append(errs, errors.New("TPP-Signature-Certificate is missing"))
	}
	if !strings.HasPrefix(h.Get("Authorization"), "Bearer ") {
		errs = append(errs, errors.New("no bearer token"))
	}
	if path := res.Route.Path; (strings.HasPrefix(path, "/v1/card-accounts") || strings.HasPrefix(path, "/v1/accounts")) && h.Get("Consent-ID") == "" {
		errs = append(errs, errors.New("Consent-ID is missing on an account call"))
	}
	return res.Operation, errs
}

func TestRequestsMatchTheOpenAPIFile(t *testing.T) {
	doc := spec.Load(t)
	ctx := context.Background()
	s, mtls, c, cfg := bank(t, sandbox.Options{AutoApprove: true, RatePerSecond: -1, RatePerDay: -1})
	signer, ok := c.HTTP.Transport.(*httpsig.Transport)
	if !ok {
		t.Fatalf("the client's transport is %T, not the signer", c.HTTP.Transport)
	}
	gate := newSpecGate(t, doc, s.URL, signer.Base)
	signer.Base = gate

	ct, err := oauth.ClientCredentials(ctx, mtls, cfg)
	if err != nil {
		t.Fatal(err)
	}
	created, err := c.CreateConsent(ctx, ct.AccessToken, xs2a.ConsentRequest{Access: xs2a.Access{AllPsd2: "allAccounts"},
		RecurringIndicator: true, ValidUntil: time.Now().AddDate(0, 0, 30).Format(time.DateOnly), FrequencyPerDay: 4})
	if err != nil {
		t.Fatal(err)
	}
	if created.PSUIPAddress != "127.0.0.1" {
		t.Errorf("POST /v1/consents to the loopback sandbox carried PSU-IP-Address %q; want the connection's 127.0.0.1", created.PSUIPAddress)
	}
	c.PSUIPAddress = "192.0.2.1" // the PSU is present for the reads
	cid := created.ConsentID
	if _, err := c.GetConsent(ctx, ct.AccessToken, cid); err != nil {
		t.Fatal(err)
	}
	if st, err := c.ConsentStatus(ctx, ct.AccessToken, cid); err != nil || st != "received" {
		t.Fatalf("status %q %v", st, err)
	}
	// The PSU approves (auto-approve); the code is exchanged (OAuth, not in the file).
	verifier := oauth.NewVerifier()
	browser := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: s.CertPool()}},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := browser.Get(oauth.AuthCodeURL(cfg, "AIS:"+cid, "state-1", verifier))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, _ := url.Parse(resp.Header.Get("Location"))
	ut, err := oauth.Exchange(ctx, mtls, cfg, loc.Query().Get("code"), verifier)
	if err != nil {
		t.Fatalf("exchange of the code from %s: %v", loc, err)
	}
	at := ut.AccessToken

	if cards, err := c.CardAccounts(ctx, at, cid); err != nil || len(cards) != 2 {
		t.Fatalf("card accounts: %v %+v", err, cards)
	}
	if _, err := c.CardAccount(ctx, at, cid, "card-8693"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CardBalances(ctx, at, cid, "card-8694"); err != nil {
		t.Fatal(err)
	}
	tx, err := c.CardTransactions(ctx, at, cid, "card-8693", xs2a.TransactionQuery{From: time.Now().AddDate(-1, 0, 0).Format(time.DateOnly),
		To: time.Now().Format(time.DateOnly), BookingStatus: "booked"})
	if err != nil {
		t.Fatal(err)
	}
	if tx.Pages < 2 {
		t.Errorf("a year of transactions came on %d page(s); the next links are not exercised", tx.Pages)
	}
	if err := c.DeleteConsent(ctx, ct.AccessToken, cid); err != nil {
		t.Fatal(err)
	}

	gate.mu.Lock()
	defer gate.mu.Unlock()
	for _, f := range gate.findings {
		t.Errorf("request does not conform: %s", f)
	}
	want := map[string]int{
		"createConsent": 1, "getConsentInformation": 1, "getConsentStatus": 1, "deleteConsent": 1,
		"getCardAccountList": 1, "readCardAccountDetails": 1, "getCardAccountBalances": 1, "getCardAccountTransactionList": tx.Pages,
	}
	for op, n := range want {
		if gate.seen[op] != n {
			t.Errorf("%s: %d request(s) validated; want %d", op, gate.seen[op], n)
		}
	}
	if len(gate.seen) != len(want) {
		var ops []string
		for op := range gate.seen {
			ops = append(ops, op)
		}
		sort.Strings(ops)
		t.Errorf("operations seen: %v; want exactly %d", ops, len(want))
	}

	// The oracle is alive: broken requests, built from ones that passed,
	// are caught.
	t.Run("broken requests are caught", func(t *testing.T) {
		post, list := gate.sent["createConsent"], gate.sent["getCardAccountList"]
		txs, txsFirst := gate.sent["getCardAccountTransactionList"], gate.first["getCardAccountTransactionList"]
		if post == nil || list == nil || txs == nil || txs == txsFirst {
			t.Fatal("no recorded POST /v1/consents, GET /v1/card-accounts or two pages of transactions")
		}
		// The last page was asked for through the bank's next link, whose
		// query has what the operation does not declare (the sandbox's
		// page): it passes because the bank gave it.
		if r := gate.checker.Check(spec.Exchange{Request: txs.req}); r.Route == nil || len(spec.UndeclaredQuery(r.Route, txs.req)) == 0 {
			t.Errorf("the followed link %s has no undeclared parameter: the link exemption is not exercised", txs.req.URL)
		}
		for name, tc := range map[string]struct {
			from *recorded
			edit func(r *http.Request, body []byte) []byte
		}{
			"frequencyPerDay as a string": {post, func(_ *http.Request, b []byte) []byte {
				return bytes.Replace(b, []byte(`"frequencyPerDay":4`), []byte(`"frequencyPerDay":"4"`), 1)
			}},
			"recurringIndicator missing": {post, func(_ *http.Request, b []byte) []byte {
				return bytes.Replace(b, []byte(`"recurringIndicator":true,`), nil, 1)
			}},
			"PSU-IP-Address missing on POST /v1/consents": {post, func(r *http.Request, b []byte) []byte { r.Header.Del("PSU-IP-Address"); return b }},
			"PSU-IP-Address not IPv4":                     {post, func(r *http.Request, b []byte) []byte { r.Header.Set("PSU-IP-Address", "::1"); return b }},
			"X-Request-ID not a UUID":                     {list, func(r *http.Request, b []byte) []byte { r.Header.Set("X-Request-ID", "42"); return b }},
			"Consent-ID missing":                          {list, func(r *http.Request, b []byte) []byte { r.Header.Del("Consent-ID"); return b }},
			"unsigned":                                    {list, func(r *http.Request, b []byte) []byte { r.Header.Del("Signature"); return b }},
			"no Digest":                                   {list, func(r *http.Request, b []byte) []byte { r.Header.Del("Digest"); return b }},
			"bookingStatus not in the enum": {txsFirst, func(r *http.Request, b []byte) []byte {
				q := r.URL.Query()
				q.Set("bookingStatus", "sometimes")
				r.URL.RawQuery = q.Encode()
				return b
			}},
			"bookingStatus missing": {txsFirst, func(r *http.Request, b []byte) []byte {
				q := r.URL.Query()
				q.Del("bookingStatus")
				r.URL.RawQuery = q.Encode()
				return b
			}},
			"withBalance on GET /v1/card-accounts (undeclared there)": {list, func(r *http.Request, b []byte) []byte {
				r.URL.RawQuery = "withBalance=true"
				return b
			}},
			"withBalance on card transactions (undeclared there)": {txsFirst, func(r *http.Request, b []byte) []byte {
				q := r.URL.Query()
				q.Set("withBalance", "true")
				r.URL.RawQuery = q.Encode()
				return b
			}},
			"page on a request that follows no link of the bank": {txsFirst, func(r *http.Request, b []byte) []byte {
				q := r.URL.Query()
				q.Set("page", "9999")
				r.URL.RawQuery = q.Encode()
				return b
			}},
			"dateFrom not a date": {txsFirst, func(r *http.Request, b []byte) []byte {
				q := r.URL.Query()
				q.Set("dateFrom", "yesterday")
				r.URL.RawQuery = q.Encode()
				return b
			}},
		} {
			r := tc.from.req.Clone(context.Background())
			body := tc.edit(r, bytes.Clone(tc.from.body))
			if gate.checker.Followed(r.URL.RequestURI()) {
				t.Fatalf("%s: the edited %s is a link the bank gave", name, r.URL.RequestURI())
			}
			if tc.from == post && bytes.Equal(body, tc.from.body) && name != "PSU-IP-Address missing on POST /v1/consents" && name != "PSU-IP-Address not IPv4" {
				t.Fatalf("%s: the edit changed nothing in %s", name, tc.from.body)
			}
			if _, errs := gate.check(r, body); len(errs) == 0 {
				t.Errorf("%s: the check found nothing in %s %s %s", name, r.Method, r.URL, body)
			} else {
				t.Logf("%s: %.200v", name, errs[0])
			}
		}
		// And the unbroken originals still pass.
		for _, rec := range []*recorded{post, list, txsFirst, txs} {
			if _, errs := gate.check(rec.req.Clone(context.Background()), rec.body); len(errs) != 0 {
				t.Errorf("the recorded %s %s fails on a second check: %v", rec.req.Method, rec.req.URL.Path, errs)
			}
		}
	})
}

// serviceSchema settles the file's oneOf for payment bodies: the
// initiation body (and GET's answer) is oneOf single, periodic, bulk
// without a discriminator, and single lacks additionalProperties: false,
// so every periodic body matches two (a "more than one oneOf" finding),
// and a periodic body without its startDate passes as a single payment.
// The path names the service, so the body is checked against that
// service's schema alone (schemas: payments, periodic-payments,
// bulk-payments), and the ambiguity finding is dropped.
func serviceSchema(doc *openapi3.T, req *http.Request, body []byte, errs []error, schemas [3]string) []error {
	segs := strings.Split(strings.Trim(req.URL.Path, "/"), "/")
	if len(body) == 0 || len(segs) < 3 || len(segs) > 4 || segs[0] != "v1" || req.Method == http.MethodDelete {
		return errs
	}
	i := slices.Index(xs2a.PaymentServices, segs[1])
	if i < 0 {
		return errs
	}
	var out []error
	for _, e := range errs {
		if !strings.Contains(e.Error(), "matches more than one oneOf schemas") {
			out = append(out, e)
		}
	}
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		return append(out, err)
	}
	if err := doc.Components.Schemas[schemas[i]].Value.VisitJSON(v, openapi3.MultiErrors()); err != nil {
		out = append(out, fmt.Errorf("as %s: %w", schemas[i], err))
	}
	return out
}

var (
	initiationSchemas = [3]string{"paymentInitiation_json", "periodicPaymentInitiation_json", "bulkPaymentInitiation_json"}
	withStatusSchemas = [3]string{"paymentInitiationWithStatusResponse", "periodicPaymentInitiationWithStatusResponse", "bulkPaymentInitiationWithStatusResponse"}
)
