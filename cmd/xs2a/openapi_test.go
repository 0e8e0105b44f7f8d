package main_test

// TestBinaryExchangesMatchTheOpenAPIFile holds what the built binary sends,
// and what the sandbox answers, against the official Berlin Group OpenAPI
// file (NextGenPSD2 1.3.12; XS2A_OPENAPI names it, see pkg/spec): the
// sandbox is started by `xs2a sandbox serve --write-profile`, the client
// runs with exactly that profile (no key added by hand), every command
// records with --record, and every recorded exchange of the API client is
// validated: operation, path and query parameters (one the operation does
// not declare is a finding, except inside a link the bank gave: a link's
// query is the bank's), headers, body; the answer's status, headers and
// body, errors included.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"encoding/json"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"github.com/xs2a-dev/xs2a/pkg/bundle"
	"github.com/xs2a-dev/xs2a/pkg/spec"
)

// bundleChecker validates recorded exchanges against the file.
type bundleChecker struct {
	router routers.Router
	opts   []openapi3.SchemaValidationOption
	links  map[string]bool // hrefs of the answers checked so far
}

func newBundleChecker(t *testing.T, doc *openapi3.T, server string) *bundleChecker {
	t.Helper()
	doc.Servers = openapi3.Servers{{URL: server}}
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	return &bundleChecker{router: router, links: map[string]bool{}, opts: []openapi3.SchemaValidationOption{
		openapi3.WithStringFormatValidator("uuid", openapi3.NewRegexpFormatValidator(openapi3.FormatOfStringForUUIDOfRFC9562)),
		openapi3.WithStringFormatValidator("ipv4", openapi3.NewIPValidator(true)),
	}}
}

// check returns the exchange's operationId and what is wrong with it.
func (c *bundleChecker) check(ex *bundle.Exchange) (string, []error) {
	ctx := context.Background()
	body, err := ex.Request.Body.Bytes()
	if err != nil {
		return "", []error{err}
	}
	req, err := http.NewRequest(ex.Request.Method, ex.Request.URL, bytes.NewReader(body))
	if err != nil {
		return "", []error{err}
	}
	for _, f := range ex.Request.Headers {
		req.Header.Add(f.Name, f.Value)
	}
	route, params, err := c.router.FindRoute(req)
	if err != nil {
		return ex.Request.Method + " " + req.URL.Path, []error{fmt.Errorf("not an operation of the OpenAPI file: %w", err)}
	}
	op := route.Operation.OperationID
	var errs []error
	add := func(err error) {
		var me openapi3.MultiError
		switch {
		case err == nil:
		case errors.As(err, &me):
			errs = append(errs, me...)
		default:
			errs = append(errs, err)
		}
	}
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route, Options: &openapi3filter.Options{
		MultiError: true, SchemaValidationOptions: c.opts,
		// Who may call is the bank's business; the file names the scheme.
		AuthenticationFunc: openapi3filter.NoopAuthenticationFunc,
	}}
	add(openapi3filter.ValidateRequest(ctx, in))
	if !c.links[req.URL.RequestURI()] {
		declared := map[string]bool{}
		for _, ps := range []openapi3.Parameters{route.PathItem.Parameters, route.Operation.Parameters} {
			for _, p := range ps {
				if p.Value != nil && p.Value.In == openapi3.ParameterInQuery {
					declared[p.Value.Name] = true
				}
			}
		}
		for name := range req.URL.Query() {
			if !declared[name] {
				errs = append(errs, fmt.Errorf("query parameter %q is not declared for %s %s", name, req.Method, route.Path))
			}
		}
	}
	if ex.Response == nil {
		return op, append(errs, fmt.Errorf("no answer recorded: %s", ex.Error))
	}
	rb, err := ex.Response.Body.Bytes()
	if err != nil {
		return op, append(errs, err)
	}
	h := http.Header{}
	for _, f := range ex.Response.Headers {
		h.Add(f.Name, f.Value)
	}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: ex.Response.Status, Header: h,
		Body:    io.NopCloser(bytes.NewReader(rb)),
		Options: &openapi3filter.Options{MultiError: true, IncludeResponseStatus: true, SchemaValidationOptions: c.opts}}
	add(openapi3filter.ValidateResponse(ctx, out))
	if ex.Response.Status/100 == 2 {
		collectHrefs(rb, c.links)
	}
	return op, errs
}

// collectHrefs adds every "href" of a JSON answer to into.
func collectHrefs(body []byte, into map[string]bool) {
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, e := range v {
				if h, ok := e.(string); ok && k == "href" {
					into[h] = true
				}
				walk(e)
			}
		case []any:
			for _, e := range v {
				walk(e)
			}
		}
	}
	var v any
	if json.Unmarshal(body, &v) == nil {
		walk(v)
	}
}

func TestBinaryExchangesMatchTheOpenAPIFile(t *testing.T) {
	needCurl(t)
	doc := spec.Load(t)
	s := serveBinary(t)
	rec := filepath.Join(s.dir, "recorded")
	from := time.Now().AddDate(-1, 0, 0).Format(time.DateOnly)
	browser := []string{"BROWSER=" + flowBrowser(t, s)}
	for _, args := range [][]string{
		{"flow", "-o", "json"},
		{"consent", "get"},
		{"consent", "status"},
		// Without --psu-ip each read is an access without the PSU: four,
		// what the flow's consent allows a day.
		{"accounts", "list"},
		{"accounts", "get", "card-8693"},
		{"accounts", "balances", "card-8694"},
		{"accounts", "transactions", "card-8693", "--from", from},
		{"consent", "delete"},
	} {
		r := s.run(browser, append([]string{"--record", rec}, args...)...)
		if r.code != 0 {
			t.Fatalf("xs2a %s: exit %d\n%s", strings.Join(args, " "), r.code, r.stderr)
		}
	}
	exs, err := bundle.Read(rec)
	if err != nil {
		t.Fatal(err)
	}
	var checker *bundleChecker
	seen := map[string]int{}
	for _, ex := range exs {
		if ex.Kind != bundle.KindAPI {
			continue // the token endpoint is OAuth's, not the file's
		}
		if checker == nil {
			u, err := url.Parse(ex.Request.URL)
			if err != nil {
				t.Fatal(err)
			}
			checker = newBundleChecker(t, doc, u.Scheme+"://"+u.Host)
		}
		op, errs := checker.check(ex)
		seen[op]++
		for _, e := range errs {
			t.Errorf("%s %s (%s, %s): %v", ex.Request.Method, ex.Path(), op, ex.File, e)
		}
	}
	want := []string{"createConsent", "getConsentInformation", "getConsentStatus", "deleteConsent",
		"getCardAccountList", "readCardAccountDetails", "getCardAccountBalances", "getCardAccountTransactionList"}
	for _, op := range want {
		if seen[op] == 0 {
			t.Errorf("no exchange of %s was recorded and validated", op)
		}
	}
	if seen["getCardAccountTransactionList"] < 3 {
		t.Errorf("%d transaction pages validated; a year of transactions has more than two, so the bank's next links are not exercised", seen["getCardAccountTransactionList"])
	}
	var ops []string
	for op, n := range seen {
		ops = append(ops, fmt.Sprintf("%s×%d", op, n))
	}
	sort.Strings(ops)
	t.Logf("validated: %s", strings.Join(ops, " "))

	// The oracle is alive: an undeclared query parameter, a header the
	// file forbids, and an answer it does not allow are caught.
	t.Run("broken exchanges are caught", func(t *testing.T) {
		var list *bundle.Exchange
		for _, ex := range exs {
			if ex.Kind == bundle.KindAPI && strings.HasSuffix(strings.SplitN(ex.Path(), "?", 2)[0], "/card-accounts") && ex.Response != nil && ex.Response.Status == 200 {
				list = ex
			}
		}
		if list == nil {
			t.Fatal("no GET /v1/card-accounts recorded")
		}
		for name, edit := range map[string]func(e *bundle.Exchange){
			"withBalance on the card list": func(e *bundle.Exchange) { e.Request.URL += "?withBalance=true" },
			"PSU-IP-Address not IPv4": func(e *bundle.Exchange) {
				e.Request.Headers = append(e.Request.Headers, bundle.Field{Name: "PSU-IP-Address", Value: "999.1.1.1"})
			},
			"cardAccounts missing": func(e *bundle.Exchange) {
				e.Response = &bundle.Response{Status: 200, Headers: e.Response.Headers, Body: bundle.NewBody([]byte(`{}`))}
			},
		} {
			ex := *list
			ex.Request.Headers = append([]bundle.Field{}, list.Request.Headers...)
			for i, f := range ex.Request.Headers {
				if strings.EqualFold(f.Name, "PSU-IP-Address") {
					ex.Request.Headers = append(ex.Request.Headers[:i], ex.Request.Headers[i+1:]...)
					break
				}
			}
			edit(&ex)
			if _, errs := checker.check(&ex); len(errs) == 0 {
				t.Errorf("%s: the check found nothing", name)
			}
		}
	})
}
