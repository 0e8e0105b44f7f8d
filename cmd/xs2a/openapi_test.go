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
	"fmt"
	"net/http"
	"net/url"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/xs2a-dev/xs2a/pkg/bundle"
	"github.com/xs2a-dev/xs2a/pkg/spec"
)

// checkRecorded validates one recorded exchange with c.
func checkRecorded(c *spec.Checker, ex *bundle.Exchange) spec.Result {
	fail := func(err error) spec.Result { return spec.Result{Op: ex.Request.Method, RequestErrors: []error{err}} }
	body, err := ex.Request.Body.Bytes()
	if err != nil {
		return fail(err)
	}
	req, err := http.NewRequest(ex.Request.Method, ex.Request.URL, bytes.NewReader(body))
	if err != nil {
		return fail(err)
	}
	for _, f := range ex.Request.Headers {
		req.Header.Add(f.Name, f.Value)
	}
	if ex.Response == nil {
		return fail(fmt.Errorf("no answer recorded: %s", ex.Error))
	}
	answer, err := ex.Response.Body.Bytes()
	if err != nil {
		return fail(err)
	}
	h := http.Header{}
	for _, f := range ex.Response.Headers {
		h.Add(f.Name, f.Value)
	}
	return c.Check(spec.Exchange{Request: req, Body: body, Status: ex.Response.Status, Header: h, Answer: answer})
}

func TestBinaryExchangesMatchTheOpenAPIFile(t *testing.T) {
	needCurl(t)
	spec.Load(t) // skip early without the file
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
	var checker *spec.Checker
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
			checker = spec.NewChecker(t, nil, u.Scheme+"://"+u.Host)
		}
		res := checkRecorded(checker, ex)
		seen[res.Operation]++
		for _, e := range append(res.RequestErrors, res.AnswerErrors...) {
			t.Errorf("%s %s (%s, %s): %v", ex.Request.Method, ex.Path(), res.Op, ex.File, e)
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
			if checkRecorded(checker, &ex).OK() {
				t.Errorf("%s: the check found nothing", name)
			}
		}
	})
}
