package spec

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

// Checker validates exchanges against the file: what the sandbox's tests,
// the client's and the binary's share, so that the three hold requests and
// answers to one reading of it.
//
// Beyond what kin-openapi checks, a query parameter the operation does not
// declare is a finding (kin-openapi lets it pass; a strict bank may not),
// except in a request to a link the bank gave in an answer checked before:
// the file leaves a link's content to the ASPSP, so its query is the bank's
// own (the sandbox's `page`).
type Checker struct {
	// Doc is the file, its servers replaced by the one given.
	Doc    *openapi3.T
	router routers.Router
	opts   []openapi3.SchemaValidationOption

	mu    sync.Mutex
	links map[string]bool // hrefs of the 2xx answers checked so far
}

// NewChecker routes the paths of doc (from Load; nil loads it, or skips)
// at server, e.g. "https://127.0.0.1:8443": the file's servers are the
// example bank's.
func NewChecker(t testing.TB, doc *openapi3.T, server string) *Checker {
	t.Helper()
	if doc == nil {
		doc = Load(t)
	}
	doc.Servers = openapi3.Servers{{URL: server}}
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	return &Checker{Doc: doc, router: router, links: map[string]bool{},
		// uuid (X-Request-ID) and ipv4 (PSU-IP-Address) are checked too;
		// kin-openapi leaves them out by default.
		opts: []openapi3.SchemaValidationOption{
			openapi3.WithStringFormatValidator("uuid", openapi3.NewRegexpFormatValidator(openapi3.FormatOfStringForUUIDOfRFC9562)),
			openapi3.WithStringFormatValidator("ipv4", openapi3.NewIPValidator(true)),
		}}
}

// Exchange is one request as sent and, when Status is not 0, its answer.
type Exchange struct {
	Request *http.Request
	Body    []byte // the request body

	Status int
	Header http.Header
	Answer []byte
}

// Result is what Check found.
type Result struct {
	// Operation is the file's operationId, "" when the request is none.
	Operation string
	// Op is "GET /v1/consents/{consentId}": the method and the file's path
	// (the request's path when the request is no operation).
	Op string
	// Route is the file's operation, nil when the request is none.
	Route *routers.Route
	// RequestErrors and AnswerErrors are the findings, one error each.
	RequestErrors, AnswerErrors []error
}

// OK reports a conforming exchange.
func (r Result) OK() bool { return len(r.RequestErrors) == 0 && len(r.AnswerErrors) == 0 }

// Check validates ex. The links of a 2xx answer are remembered, so that a
// later request following one is not held to the operation's query
// parameters. The request is not changed.
func (c *Checker) Check(ex Exchange) Result {
	ctx := context.Background()
	req := ex.Request.Clone(ctx)
	body := ex.Body
	// Body and GetBody both give the body: kin-openapi may reread it.
	req.Body = io.NopCloser(bytes.NewReader(body))
	req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	route, params, err := c.router.FindRoute(req)
	if err != nil {
		return Result{Op: req.Method + " " + req.URL.Path,
			RequestErrors: []error{fmt.Errorf("not an operation of the OpenAPI file: %w", err)}}
	}
	res := Result{Operation: route.Operation.OperationID, Op: req.Method + " " + route.Path, Route: route}
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route, Options: &openapi3filter.Options{
		MultiError: true, SchemaValidationOptions: c.opts,
		// Who may call is the bank's business (its own tests check it);
		// the file only names the bearer scheme.
		AuthenticationFunc: openapi3filter.NoopAuthenticationFunc,
	}}
	res.RequestErrors = split(openapi3filter.ValidateRequest(ctx, in))
	c.mu.Lock()
	followed := c.links[req.URL.RequestURI()]
	c.mu.Unlock()
	if !followed {
		res.RequestErrors = append(res.RequestErrors, UndeclaredQuery(route, req)...)
	}
	if ex.Status == 0 {
		return res
	}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: ex.Status, Header: ex.Header,
		Body:    io.NopCloser(bytes.NewReader(ex.Answer)),
		Options: &openapi3filter.Options{MultiError: true, IncludeResponseStatus: true, SchemaValidationOptions: c.opts}}
	res.AnswerErrors = split(openapi3filter.ValidateResponse(ctx, out))
	if ex.Status/100 == 2 {
		c.Follow(ex.Answer)
	}
	return res
}

// Followed reports whether requestURI is a link of an answer checked or
// followed before.
func (c *Checker) Followed(requestURI string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.links[requestURI]
}

// Follow remembers the links of a 2xx answer not passed to Check, so that
// requests following them are not held to their operation's query.
func (c *Checker) Follow(answer []byte) {
	c.mu.Lock()
	Hrefs(answer, c.links)
	c.mu.Unlock()
}

// split makes one error of kin-openapi's MultiError a list.
func split(err error) []error {
	var me openapi3.MultiError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &me):
		return append([]error(nil), me...)
	default:
		return []error{err}
	}
}

// UndeclaredQuery lists the query parameters of req the operation does not
// declare.
func UndeclaredQuery(route *routers.Route, req *http.Request) []error {
	declared := map[string]bool{}
	for _, ps := range []openapi3.Parameters{route.PathItem.Parameters, route.Operation.Parameters} {
		for _, p := range ps {
			if p.Value != nil && p.Value.In == openapi3.ParameterInQuery {
				declared[p.Value.Name] = true
			}
		}
	}
	var errs []error
	for name := range req.URL.Query() {
		if !declared[name] {
			errs = append(errs, fmt.Errorf("query parameter %q is not declared for %s %s", name, req.Method, route.Path))
		}
	}
	return errs
}

// Hrefs adds every "href" of a JSON document to into, as the request URI
// a client following it sends (an absolute link too).
func Hrefs(body []byte, into map[string]bool) {
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, e := range v {
				if h, ok := e.(string); ok && k == "href" {
					into[h] = true
					if u, err := url.Parse(h); err == nil {
						into[u.RequestURI()] = true
					}
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

// AISOperations are the operations the file tags "Account Information
// Service (AIS)" (17 in 1.3.12), by operationId, as "GET /v1/accounts".
func AISOperations(doc *openapi3.T) map[string]string {
	ops := map[string]string{}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			for _, tag := range op.Tags {
				if tag == "Account Information Service (AIS)" {
					ops[op.OperationID] = method + " " + path
				}
			}
		}
	}
	return ops
}
