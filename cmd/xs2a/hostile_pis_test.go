package main_test

// The hostile bank against the payment (PIS) and funds confirmation (PIIS)
// commands: `payment initiate|status [--wait]|get|cancel`, `authorize
// --payment|--piis` and `funds-confirmation [--exit-status]`. The same
// loopback bank and catchers as hostile_transport_test.go; each attack runs
// the built binary and asserts the refusal, the exit code, and that no
// request (so no token, API key or secret) reached a catcher.

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xs2a-dev/xs2a/pkg/sandbox"
	"github.com/xs2a-dev/xs2a/pkg/state"
)

const (
	payPath = "/v1/payments/sepa-credit-transfers"
	// initiateArgs are a valid single payment's flags.
)

var initiateArgs = []string{"payment", "initiate", "--debtor", "FI0412345600012343", "--creditor", "DE89370400440532013000",
	"--creditor-name", "John Miles", "--amount", "12.34"}

// answer writes v as JSON with code.
func answer(code int, v any) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		if s, ok := v.(string); ok {
			_, _ = io.WriteString(w, s)
			return
		}
		_ = json.NewEncoder(w).Encode(v)
	}
}

// pisUser is a TPP of the hostile bank with a client token in its state
// and, id not "", the payment id remembered as `payment initiate` leaves it.
func pisUser(t *testing.T, h *hostile, id string) *user {
	t.Helper()
	u := h.user(t, nil)
	authorizedState(t, u)
	if id != "" {
		st := u.state()
		st.Payment = &state.Payment{ID: id, Service: "payments", Product: "sepa-credit-transfers", Status: "RCVD", Created: time.Now()}
		writeState(t, u, st)
	}
	return u
}

// requests records the request URIs (as sent, not cleaned) a handler sees.
type requests struct {
	mu   sync.Mutex
	uris []string
}

func (q *requests) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q.mu.Lock()
		q.uris = append(q.uris, r.Method+" "+r.RequestURI)
		q.mu.Unlock()
		next.ServeHTTP(w, r)
	})
}

func (q *requests) list() []string {
	q.mu.Lock()
	defer q.mu.Unlock()
	return append([]string(nil), q.uris...)
}

// linkAttacks name the links foreignLink makes.
var linkAttacks = []string{"plain http", "https on another port", "protocol-relative", "userinfo", "javascript", "file", "an option", "CR LF"}

// foreignLink is a link of the hostile bank's answer that leads elsewhere,
// or is no URL to follow at all.
func foreignLink(h *hostile, name string) string {
	host := strings.TrimPrefix(h.srv.URL, "https://")
	return map[string]string{
		"plain http":            h.plain.URL + "/authorize",
		"https on another port": h.tls.URL + "/authorize",
		"protocol-relative":     "//" + strings.TrimPrefix(h.tls.URL, "https://") + "/authorize",
		"userinfo":              "https://evil@" + host + "/authorize",
		"javascript":            "javascript:fetch('" + h.plain.URL + "')",
		"file":                  "file:///etc/passwd",
		"an option":             "-a Calculator",
		"CR LF":                 h.srv.URL + "/a\r\nX-Injected: 1",
	}[name]
}

func TestHostileBankPaymentLinks(t *testing.T) {
	b := startBank(t, sandbox.Options{RatePerSecond: -1, RatePerDay: -1})
	for _, name := range linkAttacks {
		t.Run("initiate: scaOAuth "+name, func(t *testing.T) {
			h := startHostile(t, b)
			link := foreignLink(h, name)
			h.mux.Handle(payPath, answer(http.StatusCreated, map[string]any{"paymentId": "pay-1", "transactionStatus": "RCVD",
				"_links": map[string]any{"scaOAuth": map[string]string{"href": link}, "scaRedirect": map[string]string{"href": link},
					"startAuthorisation": map[string]string{"href": link}, "self": map[string]string{"href": link}, "status": map[string]string{"href": link}}}))
			u := pisUser(t, h, "")
			args, _ := recordingBrowser(t, u)
			r := u.run(initiateArgs...)
			if r.code != 0 || !strings.Contains(r.stdout, "payment pay-1: RCVD") {
				t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
			}
			if strings.Contains(r.stdout, "scaOAuth") || !strings.Contains(r.stderr, "warning: refused to follow the scaOAuth link") {
				t.Errorf("the foreign link was handed on, or not named:\nstdout:\n%s\nstderr:\n%s", r.stdout, r.stderr)
			}
			noRawControls(t, "initiate", r.stdout+r.stderr)
			if strings.Contains(r.stderr, "\r\n") {
				t.Errorf("a raw CR LF from the link reached stderr: %q", r.stderr)
			}
			rj := u.run(append(initiateArgs, "-o", "json")...)
			var doc map[string]any
			if err := json.Unmarshal([]byte(rj.stdout), &doc); err != nil || doc["sca_oauth"] != nil {
				t.Errorf("-o json: %v: sca_oauth %v\n%s", err, doc["sca_oauth"], rj.stdout)
			}
			if got, err := os.ReadFile(args); err == nil {
				t.Errorf("the browser was launched with %q", got)
			}
			h.nothingCaught(t)
		})
	}
	for _, name := range linkAttacks {
		if name == "CR LF" || name == "an option" {
			continue // not a URL a client could post to; refused the same way by the first check
		}
		t.Run("cancel: startAuthorisation "+name, func(t *testing.T) {
			h := startHostile(t, b)
			link := foreignLink(h, name)
			h.mux.Handle(payPath+"/pay-1", answer(http.StatusAccepted, map[string]any{"transactionStatus": "ACTC",
				"_links": map[string]any{"startAuthorisation": map[string]string{"href": link}}}))
			u := pisUser(t, h, "pay-1")
			r := u.run("payment", "cancel")
			oneErrorLine(t, "cancel", r, 3, "refused to follow the link", "expected "+h.srv.URL)
			h.nothingCaught(t)
		})
	}
	t.Run("cancel: a foreign SCA link of the cancellation authorisation", func(t *testing.T) {
		h := startHostile(t, b)
		q := &requests{}
		h.mux.Handle(payPath+"/pay-1", answer(http.StatusAccepted, map[string]any{"transactionStatus": "ACTC",
			"_links": map[string]any{"startAuthorisation": map[string]string{"href": payPath + "/pay-1/cancellation-authorisations"}}}))
		h.mux.Handle(payPath+"/pay-1/cancellation-authorisations", q.wrap(answer(http.StatusCreated, map[string]any{"authorisationId": "auth-1", "scaStatus": "received",
			"_links": map[string]any{"scaOAuth": map[string]string{"href": h.plain.URL + "/x"}, "scaRedirect": map[string]string{"href": "javascript:alert(1)"}}})))
		u := pisUser(t, h, "pay-1")
		r := u.must("payment", "cancel")
		if strings.Contains(r.stdout, "sca link") || strings.Contains(r.stdout, h.plain.URL) ||
			!strings.Contains(r.stderr, "refused to follow the scaOAuth link "+h.plain.URL+"/x") || !strings.Contains(r.stderr, "refused to follow the scaRedirect link javascript:alert(1)") {
			t.Errorf("stdout:\n%s\nstderr:\n%s", r.stdout, r.stderr)
		}
		if got := q.list(); len(got) != 1 || got[0] != "POST "+payPath+"/pay-1/cancellation-authorisations" {
			t.Errorf("the bank saw %q", got)
		}
		h.nothingCaught(t)
	})
}

// A payment id the bank made up is one path segment of the next request,
// whatever it holds: never a dot segment a server (or a proxy on the way)
// removes, never a query, a fragment or another path.
func TestHostileBankPaymentIDs(t *testing.T) {
	b := startBank(t, sandbox.Options{RatePerSecond: -1, RatePerDay: -1})
	// Path-escaped: each is one segment the bank sees as sent.
	for _, tc := range []struct{ id, sent string }{
		{"../../consents/cns-1", "..%2F..%2Fconsents%2Fcns-1"},
		{"p?x=1#f", "p%3Fx=1%23f"},
		{"%2e%2e", "%252e%252e"},
		{"p 1\x1b[2J", "p%201%1B%5B2J"},
	} {
		t.Run("escaped "+tc.id, func(t *testing.T) {
			h := startHostile(t, b)
			q := &requests{}
			h.mux.Handle("/", q.wrap(okOrNoContent))
			h.mux.Handle(payPath, answer(http.StatusCreated, map[string]any{"paymentId": tc.id, "transactionStatus": "RCVD"}))
			u := pisUser(t, h, "")
			r := u.must(initiateArgs...)
			noRawControls(t, "initiate", r.stdout+r.stderr)
			if got := u.state().Payment; got == nil || got.ID != tc.id {
				t.Fatalf("the state holds %+v; want the id %q as the bank gave it", got, tc.id)
			}
			r = u.must("payment", "status")
			noRawControls(t, "status", r.stdout+r.stderr)
			u.must("payment", "get")
			u.must("payment", "cancel")
			want := []string{"GET " + payPath + "/" + tc.sent + "/status", "GET " + payPath + "/" + tc.sent, "DELETE " + payPath + "/" + tc.sent}
			if got := q.list(); strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("the bank saw\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
			h.nothingCaught(t)
		})
	}
	// A dot segment cannot be escaped (RFC 3986 §2.3: %2E is a "." to
	// anyone normalising the path, §5.2.4 removes it): refused.
	for _, id := range []string{"..", ".", ""} {
		t.Run("refused "+id, func(t *testing.T) {
			h := startHostile(t, b)
			q := &requests{}
			h.mux.Handle("/", q.wrap(okOrNoContent))
			h.mux.Handle(payPath, answer(http.StatusCreated, map[string]any{"paymentId": id, "transactionStatus": "RCVD"}))
			u := pisUser(t, h, "")
			r := u.run(initiateArgs...)
			oneErrorLine(t, "initiate", r, 1, "paymentId")
			if st := u.state(); st.Payment != nil {
				t.Errorf("the unusable id was remembered: %+v", st.Payment)
			}
			if id == "" {
				return
			}
			for _, cmd := range [][]string{{"payment", "status", id}, {"payment", "get", id}, {"payment", "cancel", id}} {
				r := u.run(cmd...)
				oneErrorLine(t, strings.Join(cmd, " "), r, 2, "payment id", "path segment")
			}
			// One planted in the state by an older xs2a.
			st := u.state()
			st.Payment = &state.Payment{ID: id, Service: "payments", Product: "sepa-credit-transfers"}
			writeState(t, u, st)
			oneErrorLine(t, "status from the state", u.run("payment", "status"), 2, "payment id", "path segment")
			if got := q.list(); len(got) != 0 {
				t.Errorf("the bank saw %q", got)
			}
		})
	}
}

// okOrNoContent answers a payment's DELETE with 204, anything else with a
// final status.
var okOrNoContent = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodDelete {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	answer(http.StatusOK, map[string]any{"transactionStatus": "ACSC"})(w, r)
})

// statusAnswers answers the payment's status reads one after another from
// the handlers given, the last one for every read after.
func statusAnswers(hs ...http.HandlerFunc) http.Handler {
	var mu sync.Mutex
	n := 0
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		h := hs[min(n, len(hs)-1)]
		n++
		mu.Unlock()
		h(w, r)
	})
}

// `payment status --wait` against a bank that keeps it waiting: --timeout
// bounds the whole wait, whatever the bank does meanwhile.
func TestHostileBankPaymentStatusWait(t *testing.T) {
	b := startBank(t, sandbox.Options{RatePerSecond: -1, RatePerDay: -1})
	status := func(s string) http.HandlerFunc { return answer(http.StatusOK, map[string]any{"transactionStatus": s}) }
	wait := []string{"payment", "status", "--wait", "--interval", "100ms", "--timeout", "2s"}
	// timed runs cmd and asserts it ended within the timeout and some slack.
	timed := func(t *testing.T, u *user, args ...string) result {
		t.Helper()
		start := time.Now()
		r := u.run(args...)
		if d := time.Since(start); d > 6*time.Second {
			t.Errorf("%s took %s; --timeout is 2s", strings.Join(args, " "), d.Round(time.Millisecond))
		}
		return r
	}
	for _, tc := range []struct {
		name string
		bank http.Handler
		want []string
	}{
		{"never final", status("RCVD"), []string{"still RCVD after 2s", "--timeout"}},
		// By design a code the file does not list is waited on, not
		// refused: it is not final, and a bank's newer code should not end
		// the wait early; --timeout ends it, the code shown escaped.
		{"an unknown status with escapes", status("PWND\x1b[2J\u202e"), []string{`still PWND\x1b[2J\u202e after 2s`}},
		{"429 with a Retry-After of 3 s, again and again", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Retry-After", "3")
			answer(http.StatusTooManyRequests, map[string]any{"tppMessages": []any{map[string]string{"category": "ERROR", "code": "ACCESS_EXCEEDED"}}})(w, r)
		}), []string{"no status read in 2s"}},
		{"a slow-loris answer", statusAnswers(status("RCVD"), func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusOK)
			_, _ = io.WriteString(w, `{"transactionStatus": "`)
			for i := 0; i < 30 && r.Context().Err() == nil; i++ {
				_, _ = io.WriteString(w, " ")
				w.(http.Flusher).Flush()
				time.Sleep(300 * time.Millisecond)
			}
		}), []string{"still RCVD after 2s"}},
		{"no answer at all", statusAnswers(status("RCVD"), func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-r.Context().Done():
			case <-time.After(10 * time.Second):
			}
		}), []string{"still RCVD after 2s"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := startHostile(t, b)
			h.mux.Handle(payPath+"/pay-1/status", tc.bank)
			u := pisUser(t, h, "pay-1")
			r := timed(t, u, wait...)
			oneErrorLine(t, tc.name, r, 1, tc.want...)
			noRawControls(t, tc.name, r.stderr)
			h.nothingCaught(t)
		})
	}
	for _, body := range []string{"", "{}", `{"transactionStatus":""}`} {
		t.Run("no transactionStatus: "+body, func(t *testing.T) {
			h := startHostile(t, b)
			h.mux.Handle(payPath+"/pay-1/status", answer(http.StatusOK, body))
			u := pisUser(t, h, "pay-1")
			oneErrorLine(t, "no status", timed(t, u, wait...), 1, "has no transactionStatus")
		})
	}
	t.Run("a Retry-After of days ends at once", func(t *testing.T) {
		h := startHostile(t, b)
		h.mux.HandleFunc(payPath+"/pay-1/status", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Retry-After", "259200")
			answer(http.StatusTooManyRequests, map[string]any{"tppMessages": []any{map[string]string{"category": "ERROR", "code": "ACCESS_EXCEEDED"}}})(w, r)
		})
		u := pisUser(t, h, "pay-1")
		r := timed(t, u, wait...)
		oneErrorLine(t, "Retry-After 3 days", r, 3, "429", "ACCESS_EXCEEDED", "wait for Retry-After (259200 s)")
		// A payment spends no consent's frequencyPerDay: the hint does not say so.
		if strings.Contains(r.stderr, "frequencyPerDay") {
			t.Errorf("the hint names a consent's frequencyPerDay:\n%s", r.stderr)
		}
	})
	t.Run("an answer over 16 MiB", func(t *testing.T) {
		h := startHostile(t, b)
		h.mux.HandleFunc(payPath+"/pay-1/status", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, `{"transactionStatus":"RCVD","psuMessage":"`)
			chunk := strings.Repeat("x", 1<<20)
			for i := 0; i < 17; i++ {
				if _, err := io.WriteString(w, chunk); err != nil {
					return
				}
			}
			_, _ = io.WriteString(w, `"}`)
		})
		u := pisUser(t, h, "pay-1")
		r := timed(t, u, wait...)
		oneErrorLine(t, "17 MiB", r, 1, "larger than 16 MiB")
	})
	t.Run("final, then not final again", func(t *testing.T) {
		h := startHostile(t, b)
		h.mux.Handle(payPath+"/pay-1/status", statusAnswers(status("RCVD"), status("ACSC"), status("RCVD")))
		u := pisUser(t, h, "pay-1")
		r := u.must(append(wait, "-o", "json")...)
		var doc struct {
			Status string `json:"transaction_status"`
			Final  bool   `json:"final"`
			Polls  int    `json:"polls"`
		}
		if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil || doc.Status != "ACSC" || !doc.Final || doc.Polls != 2 {
			t.Errorf("%+v %v\n%s", doc, err, r.stdout)
		}
		if st := u.state().Payment; st.Status != "ACSC" {
			t.Errorf("remembered %q", st.Status)
		}
		// The bank then says RCVD: what it says is shown, not the old final one.
		r = u.must("payment", "status")
		if !strings.Contains(r.stdout, "payment pay-1: RCVD\n") {
			t.Errorf("stdout %q", r.stdout)
		}
	})
}

// A redirect of a payment or funds call is never followed: the client
// token, the API key and the payment's body would go along.
func TestHostileBankPaymentRedirects(t *testing.T) {
	b := startBank(t, sandbox.Options{RatePerSecond: -1, RatePerDay: -1})
	for _, tc := range []struct {
		name, path string
		args       []string
	}{
		{"initiate", payPath, initiateArgs},
		{"status", payPath + "/pay-1/status", []string{"payment", "status", "--wait", "--timeout", "5s"}},
		{"get", payPath + "/pay-1", []string{"payment", "get"}},
		{"cancel", payPath + "/pay-1", []string{"payment", "cancel"}},
		{"cancellation authorisation", payPath + "/pay-1/cancellation-authorisations", []string{"payment", "cancel"}},
		{"funds confirmation", "/v1/funds-confirmations", []string{"funds-confirmation", "--account", "FI0412345600012343", "--amount", "1", "--exit-status"}},
	} {
		for _, code := range []int{http.StatusFound, http.StatusTemporaryRedirect, http.StatusPermanentRedirect} {
			t.Run(tc.name+" "+http.StatusText(code), func(t *testing.T) {
				h := startHostile(t, b)
				to := h.plain.URL + tc.path
				if code == http.StatusPermanentRedirect {
					to = h.tls.URL + tc.path
				}
				h.mux.Handle(tc.path, redirectTo(code, to))
				if tc.name == "cancellation authorisation" {
					h.mux.Handle(payPath+"/pay-1", answer(http.StatusAccepted, map[string]any{"transactionStatus": "ACTC",
						"_links": map[string]any{"startAuthorisation": map[string]string{"href": tc.path}}}))
				}
				u := pisUser(t, h, "pay-1")
				r := u.run(tc.args...)
				oneErrorLine(t, tc.name, r, 3, "answered "+strconv.Itoa(code), to, "xs2a follows no redirect", "base_url")
				h.nothingCaught(t)
			})
		}
	}
}

// funds-confirmation --exit-status gates a payment in a script (`&& pay`):
// only a well-formed fundsAvailable true exits 0; anything else the bank
// may answer is an error exit, never 0 and never 9 (a clear "no").
func TestHostileBankFundsAnswers(t *testing.T) {
	b := startBank(t, sandbox.Options{RatePerSecond: -1, RatePerDay: -1})
	args := []string{"funds-confirmation", "--account", "FI0412345600012343", "--amount", "12.34", "--exit-status"}
	for _, tc := range []struct {
		name   string
		status int
		body   string
		code   int
		want   string
	}{
		{"true as a string", 200, `{"fundsAvailable":"true"}`, 1, "not the expected JSON"},
		{"1", 200, `{"fundsAvailable":1}`, 1, "not the expected JSON"},
		{"null", 200, `{"fundsAvailable":null}`, 1, "no fundsAvailable"},
		{"missing", 200, `{"funds":true}`, 1, "no fundsAvailable"},
		{"empty body", 200, ``, 1, "no fundsAvailable"},
		{"not JSON", 200, `yes`, 1, "not the expected JSON"},
		{"trailing garbage", 200, `{"fundsAvailable":true} {"fundsAvailable":false}`, 1, "not the expected JSON"},
		{"an array", 200, `[{"fundsAvailable":true}]`, 1, "not the expected JSON"},
		// Go keeps the last of two keys, another parser the first: the
		// answer says both.
		{"false then true", 200, `{"fundsAvailable":false,"fundsAvailable":true}`, 1, "fundsAvailable twice"},
		{"true then false", 200, `{"fundsAvailable":true,"fundsAvailable":false}`, 1, "fundsAvailable twice"},
		{"201 true", 201, `{"fundsAvailable":true}`, 3, "201"},
		{"202 true", 202, `{"fundsAvailable":true}`, 3, "202"},
		{"204", 204, ``, 3, "204"},
		{"tppMessages beside true", 400, `{"fundsAvailable":true,"tppMessages":[{"category":"ERROR","code":"FORMAT_ERROR"}]}`, 3, "FORMAT_ERROR"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := startHostile(t, b)
			h.mux.Handle("/v1/funds-confirmations", answer(tc.status, tc.body))
			u := pisUser(t, h, "")
			r := u.run(args...)
			oneErrorLine(t, tc.name, r, tc.code, tc.want)
			rj := u.run(append(args, "-o", "json")...)
			if rj.code != tc.code || rj.stdout != "" {
				t.Errorf("-o json: exit %d, stdout %q", rj.code, rj.stdout)
			}
		})
	}
	t.Run("a plain true and false", func(t *testing.T) {
		h := startHostile(t, b)
		answers := statusAnswers(answer(200, `{"fundsAvailable":true}`), answer(200, `{"fundsAvailable":false}`))
		h.mux.Handle("/v1/funds-confirmations", answers)
		u := pisUser(t, h, "")
		u.must(args...)
		if r := u.run(args...); r.code != 9 || !strings.Contains(r.stdout, "funds NOT available") {
			t.Errorf("false: exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
	})
}

// Everything the payment answers hold reaches the terminal escaped, in
// text and in -o json, the error lines included.
func TestHostileBankPaymentText(t *testing.T) {
	b := startBank(t, sandbox.Options{RatePerSecond: -1, RatePerDay: -1})
	id := "p" + evil
	amount := map[string]string{"amount": "1.00" + evil, "currency": "EUR" + evil}
	acct := map[string]string{"iban": "DE89" + evil}
	h := startHostile(t, b)
	h.mux.Handle(payPath, answer(http.StatusCreated, map[string]any{"paymentId": id, "transactionStatus": "RCVD" + evil, "psuMessage": evil,
		"_links": map[string]any{"scaOAuth": map[string]string{"href": "/oauth/" + evil}}}))
	h.mux.HandleFunc(payPath+"/", func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method == http.MethodDelete:
			answer(http.StatusAccepted, map[string]any{"transactionStatus": "ACTC" + evil,
				"_links": map[string]any{"startAuthorisation": map[string]string{"href": r.URL.EscapedPath() + "/cancellation-authorisations"}}})(w, r)
		case strings.HasSuffix(r.URL.Path, "/cancellation-authorisations"):
			answer(http.StatusCreated, map[string]any{"authorisationId": "a" + evil, "scaStatus": "received" + evil,
				"_links": map[string]any{"scaRedirect": map[string]string{"href": "/sca/" + evil}}})(w, r)
		case strings.HasSuffix(r.URL.Path, "/status"):
			answer(http.StatusOK, map[string]any{"transactionStatus": "ACSC" + evil, "psuMessage": evil, "fundsAvailable": true})(w, r)
		default:
			answer(http.StatusOK, map[string]any{"transactionStatus": "ACSC" + evil, "debtorAccount": acct, "creditorAccount": acct,
				"instructedAmount": amount, "creditorName": "C" + evil, "remittanceInformationUnstructured": "R" + evil,
				"startDate": "2026" + evil, "endDate": evil, "frequency": "Monthly" + evil,
				"payments": []any{map[string]any{"instructedAmount": amount, "creditorAccount": acct, "creditorName": "B" + evil}}})(w, r)
		}
	})
	u := pisUser(t, h, "")
	for _, args := range [][]string{initiateArgs, {"payment", "status"}, {"payment", "get"}, {"payment", "cancel"}} {
		what := strings.Join(args[:2], " ")
		r := u.must(args...)
		safeOutput(t, what, r, "stdout")
		rj := u.must(append(args, "-o", "json")...)
		safeOutput(t, what+" -o json", rj, "")
		if !strings.Contains(rj.stdout, `\u001b[2J`) {
			t.Errorf("%s -o json: the bank's strings are not kept as JSON escapes:\n%s", what, rj.stdout)
		}
	}
	if got := u.state().Payment; got == nil || got.ID != id {
		t.Errorf("the state holds %+v; want the id as the bank gave it", got)
	}
	// Error answers and broken ones.
	for _, tc := range []struct {
		name string
		h    http.HandlerFunc
	}{
		{"tppMessages", answer(http.StatusBadRequest, map[string]any{"tppMessages": []any{map[string]string{"category": "ERROR", "code": "FORMAT_ERROR" + evil, "text": "t" + evil, "path": evil}}})},
		{"fundsAvailable not a bool", answer(http.StatusOK, map[string]any{"transactionStatus": "ACSC", "fundsAvailable": "yes" + evil})},
		{"not JSON", answer(http.StatusOK, "<html>"+evil)},
	} {
		h := startHostile(t, b)
		h.mux.Handle(payPath+"/p1/status", tc.h)
		u := pisUser(t, h, "p1")
		r := u.run("payment", "status")
		oneErrorLine(t, tc.name, r, map[bool]int{true: 3, false: 1}[tc.name == "tppMessages"])
		safeOutput(t, tc.name, r, "")
	}
}

// authorizeBank answers the authorization request by sending the
// browser back to the CLI's listener with the query callback makes of
// the request's state, and a token endpoint answering token.
func authorizeBank(h *hostile, callback func(state string) string, token string) {
	h.mux.HandleFunc("/oauth/authorize", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		http.Redirect(w, r, q.Get("redirect_uri")+"?"+callback(q.Get("state")), http.StatusFound)
	})
	h.mux.Handle("/oauth/token", tokenAnswer(token))
}

// `authorize --payment` and `--piis` against a bank whose callbacks and
// tokens are not what the authorization asked for.
func TestHostileBankPaymentAuthorize(t *testing.T) {
	b := startBank(t, sandbox.Options{RatePerSecond: -1, RatePerDay: -1})
	good := `{"access_token":"a","token_type":"Bearer","expires_in":60,"scope":"PIS:pay-1"}`
	t.Run("a callback with another state", func(t *testing.T) {
		h := startHostile(t, b)
		authorizeBank(h, func(string) string { return "code=c1&state=forged" }, good)
		u := pisUser(t, h, "pay-1")
		r := u.run("authorize", "--payment", "--exchange", "--timeout", "2s", "--paste=false")
		oneErrorLine(t, "wrong state", r, 4, "no callback arrived in time")
		if st := u.state(); st.Code != "" || st.Payment.Token != nil {
			t.Errorf("the forged callback's code or a token was kept: %+v", st.Payment)
		}
	})
	t.Run("an error callback with escapes", func(t *testing.T) {
		h := startHostile(t, b)
		authorizeBank(h, func(s string) string {
			return "error=access_denied&error_description=" + strings.ReplaceAll(url.QueryEscape("no"+evil), "+", "%20") + "&state=" + s
		}, good)
		u := pisUser(t, h, "pay-1")
		r := u.run("authorize", "--payment", "--timeout", "5s", "--paste=false")
		oneErrorLine(t, "error callback", r, 4, "access_denied")
		safeOutput(t, "error callback", r, "")
	})
	t.Run("a token for another payment", func(t *testing.T) {
		h := startHostile(t, b)
		authorizeBank(h, func(s string) string { return "code=c1&state=" + s },
			`{"access_token":"a","token_type":"Bearer","expires_in":60,"scope":"PIS:pay-2"}`)
		u := pisUser(t, h, "pay-1")
		r := u.run("authorize", "--payment", "--exchange", "--timeout", "5s", "--paste=false")
		oneErrorLine(t, "other payment", r, 4, `scope "PIS:pay-2"`, `"PIS:pay-1"`)
		if st := u.state(); st.Payment == nil || st.Payment.ID != "pay-1" || st.Payment.Token != nil {
			t.Errorf("the other payment's token was kept: %+v", st.Payment)
		}
	})
	t.Run("a token for another PIIS consent", func(t *testing.T) {
		h := startHostile(t, b)
		authorizeBank(h, func(s string) string { return "code=c1&state=" + s },
			`{"access_token":"a","token_type":"Bearer","expires_in":60,"scope":"PIIS:cns-2 AIS:cns-2"}`)
		u := pisUser(t, h, "")
		r := u.run("authorize", "--piis", "cns-1", "--exchange", "--timeout", "5s", "--paste=false")
		oneErrorLine(t, "other consent", r, 4, `"PIIS:cns-1"`, "authorize --piis")
		if st := u.state(); st.PIISToken != nil {
			t.Errorf("the other consent's token was kept: %+v", st.PIISToken)
		}
	})
	t.Run("a token of the payment's scope is kept", func(t *testing.T) {
		h := startHostile(t, b)
		authorizeBank(h, func(s string) string { return "code=c1&state=" + s }, good)
		u := pisUser(t, h, "pay-1")
		u.must("authorize", "--payment", "--exchange", "--timeout", "5s", "--paste=false")
		if st := u.state(); st.Payment.Token == nil || st.Payment.Token.AccessToken != "a" {
			t.Errorf("state %+v", st.Payment)
		}
	})
	// A scope is space-separated (RFC 6749 §3.3): an id with a space would
	// ask the PSU for more than the payment.
	for _, tc := range []struct{ name, id string }{
		{"a space", "pay-1 AIS:cns-9"},
		{"a quote", `pay"1`},
		{"escapes", "p" + evil},
		{"non-ASCII", "päy"},
	} {
		t.Run("an id with "+tc.name, func(t *testing.T) {
			h := startHostile(t, b)
			q := &requests{}
			h.mux.Handle("/", q.wrap(http.NotFoundHandler()))
			u := pisUser(t, h, tc.id)
			args, _ := recordingBrowser(t, u)
			for _, cmd := range [][]string{{"authorize", "--payment"}, {"authorize", "--payment=" + tc.id}, {"authorize", "--piis", tc.id}, {"authorize", "--consent", tc.id}} {
				r := u.run(append(cmd, "--timeout", "2s", "--paste=false")...)
				oneErrorLine(t, strings.Join(cmd, " "), r, 2, "cannot go in the OAuth scope", "RFC 6749")
				safeOutput(t, strings.Join(cmd, " "), r, "")
			}
			if got, err := os.ReadFile(args); err == nil {
				t.Errorf("the browser was launched with %q", got)
			}
			if got := q.list(); len(got) != 0 {
				t.Errorf("the bank saw %q", got)
			}
		})
	}
}

// At a terminal, `status --wait` shows the bank's status on its progress
// line: escaped, as everywhere.
func TestHostileBankPaymentProgressLine(t *testing.T) {
	b := startBank(t, sandbox.Options{RatePerSecond: -1, RatePerDay: -1})
	h := startHostile(t, b)
	odd := answer(http.StatusOK, map[string]any{"transactionStatus": "RCVD" + evil})
	h.mux.Handle(payPath+"/pay-1/status", statusAnswers(odd, odd, odd, odd, odd, odd, odd, odd, odd, odd,
		answer(http.StatusOK, map[string]any{"transactionStatus": "ACSC"})))
	u := pisUser(t, h, "pay-1")
	out, code := atTerminal(t, u.env, "--config", u.cfg, "payment", "status", "--wait", "--interval", "200ms", "--timeout", "20s")
	if code != 0 || !strings.Contains(out, `waiting for payment pay-1 to be final: RCVD\x1b[2J`) || !strings.Contains(out, "payment pay-1: ACSC (final)") {
		t.Fatalf("exit %d; no escaped progress line:\n%q", code, out)
	}
	noRawControls(t, "the terminal", out)
}
