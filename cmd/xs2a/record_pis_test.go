package main_test

// --record, `sign verify --bundle`, `replay` and `proxy --inject-auth` for
// the PIS and PIIS calls (issue 19: "work for these calls unchanged"),
// through the built binary against `sandbox serve`. The recorded
// signatures are checked by an outside verifier (go-fed/httpsig) and the
// Digest by openssl; the exchanges against the OpenAPI file.

import (
	"bytes"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	gofed "github.com/go-fed/httpsig"
	"github.com/xs2a-dev/xs2a/pkg/bundle"
	"github.com/xs2a-dev/xs2a/pkg/httplog"
	"github.com/xs2a-dev/xs2a/pkg/spec"
	"github.com/xs2a-dev/xs2a/pkg/state"
	pkgxs2a "github.com/xs2a-dev/xs2a/pkg/xs2a"
)

// servedSecrets are the served profile's client secret and API key (from
// the config `sandbox serve --write-profile` wrote) and the state's client
// token.
func servedSecrets(t *testing.T, s *served) (sec secrets, apiKey, clientToken string) {
	t.Helper()
	cfg, err := os.ReadFile(s.cfg)
	if err != nil {
		t.Fatal(err)
	}
	field := func(name string) string {
		m := regexp.MustCompile(`(?m)^\s+` + name + `: (\S+)$`).FindSubmatch(cfg)
		if m == nil {
			t.Fatalf("no %s in the written profile:\n%s", name, cfg)
		}
		return string(m[1])
	}
	b, err := os.ReadFile(filepath.Join(s.dir, "home", ".state", "xs2a", "profiles", "sb.json"))
	if err != nil {
		t.Fatalf("state file: %v", err)
	}
	var st state.State
	if err := json.Unmarshal(b, &st); err != nil || st.ClientToken == nil || st.ClientToken.AccessToken == "" {
		t.Fatalf("no client token in the state: %v\n%s", err, b)
	}
	sec = secrets{}
	apiKey, clientToken = field("api_key"), st.ClientToken.AccessToken
	sec.add("client secret", field("client_secret"))
	sec.add("API key", apiKey)
	sec.add("client token", clientToken)
	return sec, apiKey, clientToken
}

// oracleVerify checks each signed exchange of exs without xs2a's code:
// go-fed/httpsig verifies the Signature with the key of the recorded
// TPP-Signature-Certificate, and openssl's SHA-256 of the recorded body is
// the Digest. It returns how many it checked.
func oracleVerify(t *testing.T, exs []*bundle.Exchange) int {
	t.Helper()
	openssl, err := exec.LookPath("openssl")
	if err != nil {
		t.Skip("no openssl on PATH")
	}
	n := 0
	for _, e := range exs {
		if e.Kind != bundle.KindAPI {
			continue
		}
		what := e.Request.Method + " " + e.Path()
		req, err := http.NewRequest(e.Request.Method, e.Request.URL, nil)
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		for _, h := range e.Request.Headers {
			req.Header.Add(h.Name, h.Value)
		}
		der, err := base64.StdEncoding.DecodeString(req.Header.Get("TPP-Signature-Certificate"))
		if err != nil || len(der) == 0 {
			t.Errorf("%s: no recorded TPP-Signature-Certificate: %v", what, err)
			continue
		}
		cert, err := x509.ParseCertificate(der)
		if err != nil {
			t.Errorf("%s: the recorded certificate does not parse: %v", what, err)
			continue
		}
		v, err := gofed.NewVerifier(req)
		if err != nil {
			t.Errorf("%s: go-fed cannot read the recorded Signature: %v", what, err)
			continue
		}
		if err := v.Verify(cert.PublicKey, gofed.RSA_SHA256); err != nil {
			t.Errorf("%s: go-fed does not verify the recorded signature: %v", what, err)
		}
		body, err := e.Request.Body.Bytes()
		if err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(openssl, "dgst", "-sha256", "-binary")
		cmd.Stdin = bytes.NewReader(body)
		sum, err := cmd.Output()
		if err != nil {
			t.Fatalf("openssl dgst: %v", err)
		}
		if want := "SHA-256=" + base64.StdEncoding.EncodeToString(sum); req.Header.Get("Digest") != want {
			t.Errorf("%s: Digest %q; openssl says %q of the %d recorded body bytes", what, req.Header.Get("Digest"), want, len(body))
		}
		n++
	}
	return n
}

// verdicts runs `sign verify --bundle dir -o json`: each exchange's
// method, path and verdict.
func verdicts(t *testing.T, s *served, dir string) (int, []struct{ Method, Path, Verdict, FailedCheck string }) {
	t.Helper()
	r := s.run(nil, "sign", "verify", "--bundle", dir, "-o", "json")
	var vs []struct {
		Method      string `json:"method"`
		Path        string `json:"path"`
		Verdict     string `json:"verdict"`
		FailedCheck string `json:"failed_check"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &vs); err != nil {
		t.Fatalf("sign verify --bundle -o json: exit %d %v\n%s%s", r.code, err, r.stdout, r.stderr)
	}
	out := make([]struct{ Method, Path, Verdict, FailedCheck string }, len(vs))
	for i, v := range vs {
		out[i] = struct{ Method, Path, Verdict, FailedCheck string }{v.Method, v.Path, v.Verdict, v.FailedCheck}
	}
	return r.code, out
}

// checkAgainstOpenAPI validates every API exchange of exs, request and
// answer, and returns the operations seen.
func checkAgainstOpenAPI(t *testing.T, exs []*bundle.Exchange) map[string]int {
	t.Helper()
	var c *spec.Checker
	seen := map[string]int{}
	for _, e := range exs {
		if e.Kind != bundle.KindAPI {
			continue
		}
		if c == nil {
			c = spec.NewChecker(t, nil, e.BaseURL)
		}
		res := checkRecorded(c, e)
		seen[res.Operation]++
		body, _ := e.Request.Body.Bytes()
		answer := []byte{}
		if e.Response != nil {
			answer, _ = e.Response.Body.Bytes()
		}
		res.RequestErrors = byService(c, e, body, res.RequestErrors, "paymentInitiation_json", "periodicPaymentInitiation_json", "bulkPaymentInitiation_json")
		res.AnswerErrors = byService(c, e, answer, res.AnswerErrors, "paymentInitiationWithStatusResponse", "periodicPaymentInitiationWithStatusResponse", "bulkPaymentInitiationWithStatusResponse")
		for _, err := range append(res.RequestErrors, res.AnswerErrors...) {
			t.Errorf("%s %s (%s): %v", e.Request.Method, e.Path(), res.Op, err)
		}
	}
	return seen
}

// byService settles the file's oneOf for a payment's body (the
// initiation's, GET's answer): single, periodic and bulk without a
// discriminator, and single allowing more properties, so a periodic body
// matches two. The path names the service: body is checked against that
// service's schema (schemas: payments, periodic-payments, bulk-payments)
// and the ambiguity finding dropped, as pkg/xs2a's OpenAPI test does.
func byService(c *spec.Checker, e *bundle.Exchange, body []byte, errs []error, schemas ...string) []error {
	var out []error
	ambiguous := false
	for _, err := range errs {
		if strings.Contains(err.Error(), "matches more than one oneOf schemas") {
			ambiguous = true
		} else {
			out = append(out, err)
		}
	}
	if !ambiguous {
		return errs
	}
	segs := strings.Split(strings.Trim(strings.SplitN(e.Path(), "?", 2)[0], "/"), "/")
	i := -1
	if len(segs) >= 3 && len(segs) <= 4 && segs[0] == "v1" {
		i = slices.Index(pkgxs2a.PaymentServices, segs[1])
	}
	if i < 0 {
		return errs
	}
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		return append(out, err)
	}
	if err := c.Doc.Components.Schemas[schemas[i]].Value.VisitJSON(v, openapi3.MultiErrors()); err != nil {
		out = append(out, fmt.Errorf("as %s: %w", schemas[i], err))
	}
	return out
}

var recordedPaymentID = regexp.MustCompile(`"paymentId":"([^"]+)"`)

func TestRecordVerifyReplayPayments(t *testing.T) {
	s := serveBinary(t, "--auto-approve-as", "5000001")
	rec := filepath.Join(s.dir, "rec")
	pay := []string{"--record", rec, "payment", "initiate", "--debtor", "FI0412345600012343", "--creditor", "DE89370400440532013000", "--creditor-name", "John Miles"}
	bulk := filepath.Join(s.dir, "bulk.json")
	if err := os.WriteFile(bulk, []byte(`[{"instructedAmount": {"currency": "EUR", "amount": "1.00"}, "creditorAccount": {"iban": "DE89370400440532013000"}, "creditorName": "A"},
 {"instructedAmount": {"currency": "EUR", "amount": "2.50"}, "creditorAccount": {"iban": "DE89370400440532013000"}, "creditorName": "B"}]`), 0o600); err != nil {
		t.Fatal(err)
	}
	start := time.Now().AddDate(0, 0, 7).Format(time.DateOnly)
	steps := [][]string{
		append(pay, "--amount", "50.00", "--service", "periodic-payments", "--start-date", start, "--frequency", "Monthly"),
		{"--record", rec, "payment", "initiate", "--service", "bulk-payments", "--debtor", "FI0412345600012343", "--payments-file", bulk},
		// The single payment last: status, get and cancel default to it.
		append(pay, "--amount", "12.34", "--remittance", "Invoice 42", "--psu-ip", "192.0.2.10"),
		{"--record", rec, "payment", "status"},
		{"--record", rec, "payment", "get"},
	}
	for _, args := range steps {
		if r := s.run(nil, args...); r.code != 0 {
			t.Fatalf("%v: exit %d\n%s%s", args, r.code, r.stdout, r.stderr)
		}
	}
	exs, _ := recording(t, rec)
	var id string
	for _, e := range exs {
		if e.Request.Method == "POST" && e.Path() == "/v1/payments/sepa-credit-transfers" && e.Response != nil {
			if m := recordedPaymentID.FindStringSubmatch(e.Response.Body.Text); m != nil {
				id = m[1]
			}
		}
	}
	if id == "" {
		t.Fatal("no paymentId in the recorded initiation")
	}
	sct := "/v1/payments/sepa-credit-transfers/" + id
	for _, args := range [][]string{
		// The payment's authorisation started explicitly (the file's
		// startPaymentAuthorisation); xs2a's own commands use OAuth's.
		{"--record", rec, "api", "POST", sct + "/authorisations", "--token", "client", "-d", "{}"},
		{"--record", rec, "payment", "cancel"},
		{"--record", rec, "funds-confirmation", "--account", "FI0412345600012343", "--amount", "12.34", "--payee", "Kauppa Oy"},
	} {
		if r := s.run(nil, args...); r.code != 0 {
			t.Fatalf("%v: exit %d\n%s%s", args, r.code, r.stdout, r.stderr)
		}
	}

	exs, all := recording(t, rec)
	sec, apiKey, clientToken := servedSecrets(t, s)
	noSecrets(t, all, sec, apiKey, clientToken)
	secretFieldsRedacted(t, all)
	// The requests as sent: the client token and the API key (redacted),
	// the signature set, PSU-IP-Address where the file makes it mandatory.
	want := []string{
		"POST /v1/periodic-payments/sepa-credit-transfers", "POST /v1/bulk-payments/sepa-credit-transfers", "POST /v1/payments/sepa-credit-transfers",
		"GET " + sct + "/status", "GET " + sct, "POST " + sct + "/authorisations", "DELETE " + sct, "POST /v1/funds-confirmations",
	}
	var got []string
	for _, e := range exs {
		if e.Kind != bundle.KindAPI {
			continue
		}
		what := e.Request.Method + " " + e.Path()
		got = append(got, what)
		for _, h := range []string{"X-Request-ID", "Digest", "Signature", "TPP-Signature-Certificate"} {
			if e.Request.Header(h) == "" {
				t.Errorf("%s: recorded without %s", what, h)
			}
		}
		if a := e.Request.Header("Authorization"); a != "Bearer "+httplog.Redact(clientToken) {
			t.Errorf("%s: Authorization %q; want the client token's fingerprint", what, a)
		}
		if k := e.Request.Header("X-API-Key"); k != httplog.Redact(apiKey) {
			t.Errorf("%s: X-API-Key %q", what, k)
		}
		if e.Request.Method == "POST" && strings.HasSuffix(e.Path(), "-credit-transfers") && e.Request.Header("PSU-IP-Address") == "" {
			t.Errorf("%s: recorded without PSU-IP-Address", what)
		}
		if e.Digest == nil || !e.Digest.Match {
			t.Errorf("%s: recorded digest %+v", what, e.Digest)
		}
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("recorded API exchanges:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if n := oracleVerify(t, exs); n != len(want) {
		t.Errorf("the oracles checked %d exchanges; want %d", n, len(want))
	}

	t.Run("sign verify --bundle", func(t *testing.T) {
		code, vs := verdicts(t, s, rec)
		valid := 0
		for _, v := range vs {
			if v.Verdict == "valid" {
				valid++
			} else if !strings.HasPrefix(v.Path, "/oauth/") {
				t.Errorf("%s %s: %s %s", v.Method, v.Path, v.Verdict, v.FailedCheck)
			}
		}
		if code != 0 || valid != len(want) {
			t.Errorf("exit %d, %d valid; want 0 and %d", code, valid, len(want))
		}
		// The payment's amount changed after signing: caught offline.
		bad := filepath.Join(t.TempDir(), "bad")
		os.MkdirAll(bad, 0o700)
		n := 0
		for _, e := range exs {
			if e.Path() == "/v1/payments/sepa-credit-transfers" {
				e.Request.Body.Text = strings.Replace(e.Request.Body.Text, `"12.34"`, `"99.34"`, 1)
				n++
			}
			if _, err := bundle.Write(bad, e); err != nil {
				t.Fatal(err)
			}
		}
		code, vs = verdicts(t, s, bad)
		if code != 6 || n != 1 {
			t.Fatalf("tampered payment: exit %d (%d changed); want 6", code, n)
		}
		for _, v := range vs {
			if v.Path == "/v1/payments/sepa-credit-transfers" && (v.Verdict != "invalid" || v.FailedCheck != "digest") {
				t.Errorf("tampered payment: %s %s", v.Verdict, v.FailedCheck)
			}
		}
	})

	t.Run("the recorded exchanges match the OpenAPI file", func(t *testing.T) {
		seen := checkAgainstOpenAPI(t, exs)
		for _, op := range []string{"initiatePayment", "getPaymentInitiationStatus", "getPaymentInformation", "startPaymentAuthorisation", "cancelPayment", "checkAvailabilityOfFunds"} {
			if seen[op] == 0 {
				t.Errorf("no %s validated (%v)", op, seen)
			}
		}
	})

	t.Run("replay", func(t *testing.T) {
		rec2 := filepath.Join(t.TempDir(), "again")
		r := s.run(nil, "replay", rec, "-o", "json", "--record", rec2)
		var rows []struct {
			Method string `json:"method"`
			Path   string `json:"path"`
			Sent   string `json:"sent"`
			Old    struct {
				Status int `json:"status"`
			} `json:"recorded"`
			New struct {
				Status int    `json:"status"`
				Code   string `json:"code"`
			} `json:"now"`
			Result string `json:"result"`
			Note   string `json:"note"`
		}
		if err := json.Unmarshal([]byte(r.stdout), &rows); err != nil || r.code != 0 {
			t.Fatalf("replay: exit %d %v\n%s%s", r.code, err, r.stdout, r.stderr)
		}
		// A replayed initiation is a new payment (the bank sees a new
		// X-Request-ID, as for a replayed consent); the later calls go
		// to it, the DELETE cancels it, not the recorded one again.
		newID := ""
		for _, row := range rows {
			if row.Result == "skipped" {
				continue
			}
			if row.Result != "same" {
				t.Errorf("%s %s: %s, now %d %s (%s)", row.Method, row.Path, row.Result, row.New.Status, row.New.Code, row.Note)
			}
			if row.Path == "/v1/payments/sepa-credit-transfers" {
				m := regexp.MustCompile(`^payment ` + regexp.QuoteMeta(id) + ` is now (\S+)$`).FindStringSubmatch(row.Note)
				if m == nil {
					t.Fatalf("initiation replayed with note %q", row.Note)
				}
				newID = m[1]
			}
		}
		for _, row := range rows {
			if strings.HasPrefix(row.Path, sct) {
				if want := strings.Replace(row.Path, id, newID, 1); row.Sent != want {
					t.Errorf("%s %s sent as %q; want %q", row.Method, row.Path, row.Sent, want)
				}
			}
		}
		for _, pid := range []string{id, newID} {
			r := s.run(nil, "payment", "status", pid)
			if r.code != 0 || !strings.HasPrefix(r.stdout, "payment "+pid+": CANC") {
				t.Errorf("payment status %s: exit %d %q", pid, r.code, r.stdout)
			}
		}
		// The replay's recording: signed afresh, with new X-Request-IDs,
		// and valid.
		again, all2 := recording(t, rec2)
		noSecrets(t, all2, sec)
		if n := oracleVerify(t, again); n != len(want) {
			t.Errorf("the oracles checked %d replayed exchanges; want %d", n, len(want))
		}
		for _, e := range again {
			for _, e0 := range exs {
				if e0.Request.Header("X-Request-ID") == e.Request.Header("X-Request-ID") {
					t.Errorf("replay reused X-Request-ID %s", e.Request.Header("X-Request-ID"))
				}
			}
		}
		if code, vs := verdicts(t, s, rec2); code != 0 || len(vs) != len(want) {
			t.Errorf("verify of the replay's recording: exit %d, %d verdicts", code, len(vs))
		}
	})
}

// TestProxyPaymentsAndFunds: a plain HTTP client's PIS and PIIS requests
// through `xs2a proxy --inject-auth` reach `sandbox serve` signed, with the
// client-credentials token and API key added, and come back; the
// forwarded requests and the answers match the OpenAPI file.
func TestProxyPaymentsAndFunds(t *testing.T) {
	s := serveBinary(t, "--auto-approve-as", "5000001")
	// A client token in the state (the proxy fetches one too when there
	// is none; here its value is checked in the recording).
	if r := s.run(nil, "token"); r.code != 0 {
		t.Fatalf("token: exit %d\n%s", r.code, r.stderr)
	}
	rec := filepath.Join(s.dir, "proxied")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	p := startProc(t, s.dir, s.env, "--config", s.cfg, "-p", "sb", "proxy", "--listen", "127.0.0.1:"+strconv.Itoa(port), "--inject-auth", "--record", rec)
	p.waitLine(`^proxying http://`)
	base := "http://127.0.0.1:" + strconv.Itoa(port)

	send := func(method, path, body string, hdr ...string) (int, []byte) {
		t.Helper()
		req, err := http.NewRequest(method, base+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("%s %s via the proxy: %v", method, path, err)
		}
		defer resp.Body.Close()
		var b bytes.Buffer
		b.ReadFrom(resp.Body)
		return resp.StatusCode, b.Bytes()
	}
	ip := []string{"PSU-IP-Address", "192.0.2.1"}
	code, b := send("POST", "/v1/payments/sepa-credit-transfers", pisBody, ip...)
	var pc struct{ TransactionStatus, PaymentID string }
	if json.Unmarshal(b, &pc) != nil || code != 201 || pc.TransactionStatus != "RCVD" || pc.PaymentID == "" {
		t.Fatalf("initiation via the proxy: %d %s\n%s", code, b, p.stderr)
	}
	sct := "/v1/payments/sepa-credit-transfers/" + pc.PaymentID
	start := time.Now().AddDate(0, 0, 7).Format(time.DateOnly)
	periodic := strings.TrimSuffix(pisBody, "}") + `,"startDate":"` + start + `","frequency":"Monthly"}`
	for _, c := range []struct {
		method, path, body string
		status             int
		want               string
	}{
		{"GET", sct + "/status", "", 200, `"transactionStatus":"RCVD"`},
		{"GET", sct, "", 200, `"creditorName":"Kiinteistö Oy"`},
		{"POST", sct + "/authorisations", "{}", 201, `"authorisationId":`},
		{"DELETE", sct, "", 204, ``},
		{"GET", sct + "/status", "", 200, `"transactionStatus":"CANC"`},
		{"POST", "/v1/periodic-payments/sepa-credit-transfers", periodic, 201, `"transactionStatus":"RCVD"`},
		{"POST", "/v1/funds-confirmations", `{"account":{"iban":"FI0412345600012343"},"instructedAmount":{"currency":"EUR","amount":"1.00"}}`, 200, `"fundsAvailable":true`},
		{"POST", "/v1/funds-confirmations", `{"account":{"iban":"FI0412345600012343"},"instructedAmount":{"currency":"EUR","amount":"99999999999.99"}}`, 200, `"fundsAvailable":false`},
	} {
		code, b := send(c.method, c.path, c.body, ip...)
		if code != c.status || !strings.Contains(string(b), c.want) {
			t.Errorf("%s %s via the proxy: %d %s; want %d with %s", c.method, c.path, code, b, c.status, c.want)
		}
	}
	p.logged("the payment's DELETE", "DELETE "+sct+" 204 - X-Request-ID ", "POST /v1/funds-confirmations 200 - X-Request-ID ")
	if code := p.stop(); code != 0 {
		t.Errorf("proxy after SIGINT: exit %d\n%s", code, p.stderr)
	}

	exs, all := recording(t, rec)
	if len(exs) != 9 {
		t.Errorf("the proxy recorded %d exchanges; want 9", len(exs))
	}
	sec, apiKey, clientToken := servedSecrets(t, s)
	noSecrets(t, all, sec, apiKey, clientToken)
	for _, e := range exs {
		// Injected: the client-credentials token and the API key; no
		// Consent-ID (a payment and a funds confirmation have none).
		if a := e.Request.Header("Authorization"); a != "Bearer "+httplog.Redact(clientToken) || e.Request.Header("X-API-Key") != httplog.Redact(apiKey) || e.Request.Header("Consent-ID") != "" {
			t.Errorf("%s %s forwarded with Authorization %q, X-API-Key %q, Consent-ID %q", e.Request.Method, e.Path(), a, e.Request.Header("X-API-Key"), e.Request.Header("Consent-ID"))
		}
	}
	if n := oracleVerify(t, exs); n != len(exs) {
		t.Errorf("the oracles checked %d of %d exchanges", n, len(exs))
	}
	if code, vs := verdicts(t, s, rec); code != 0 || len(vs) != len(exs) {
		t.Errorf("sign verify --bundle of the proxy's recording: exit %d, %v", code, vs)
	}
	// Replayed: a new payment, its authorisation started and the payment
	// cancelled, its status CANC, the standing order and the funds checks
	// again: every answer as recorded.
	// A row is "same", then the note of the id a POST created, if any.
	if r := s.run(nil, "replay", rec); r.code != 0 || len(regexp.MustCompile(`(?m) same(  .*)?$`).FindAllString(r.stdout, -1)) != len(exs) || !regexp.MustCompile(`(?m) same  payment pmt-\S+ is now pmt-\S+$`).MatchString(r.stdout) || !strings.Contains(r.stdout, fmt.Sprintf("%d replayed: %d same, 0 changed", len(exs), len(exs))) {
		t.Errorf("replay of the proxy's recording: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	t.Run("what the proxy forwarded and what came back match the OpenAPI file", func(t *testing.T) {
		seen := checkAgainstOpenAPI(t, exs)
		for _, op := range []string{"initiatePayment", "getPaymentInitiationStatus", "getPaymentInformation", "startPaymentAuthorisation", "cancelPayment", "checkAvailabilityOfFunds"} {
			if seen[op] == 0 {
				t.Errorf("no %s validated (%v)", op, seen)
			}
		}
	})
}

// TestRecordHidesPaymentAndPIISTokens: the PSU's tokens for a payment and
// for a funds confirmation consent, kept in the state apart from the AIS
// token, are hidden by value in a recording as the AIS ones are, wherever
// they appear (here in a header no name marks secret, and in the query).
func TestRecordHidesPaymentAndPIISTokens(t *testing.T) {
	s := serveBinary(t)
	if r := s.run(nil, "token"); r.code != 0 {
		t.Fatalf("token: exit %d\n%s", r.code, r.stderr)
	}
	path := filepath.Join(s.dir, "home", ".state", "xs2a", "profiles", "sb.json")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var st state.State
	if err := json.Unmarshal(b, &st); err != nil {
		t.Fatal(err)
	}
	const pis, pisRefresh, piis = "pis-access-token-6f1d9a3b2c", "pis-refresh-token-0a8e7d6c5b", "piis-access-token-4e3d2c1b0a"
	exp := time.Now().Add(time.Hour)
	st.Payment = &state.Payment{ID: "pmt-1", Service: "payments", Product: "sepa-credit-transfers", Created: time.Now(),
		Token: &state.Token{AccessToken: pis, RefreshToken: pisRefresh, Expiry: exp, PaymentID: "pmt-1"}}
	st.PIISConsentID, st.PIISToken = "piis-1", &state.Token{AccessToken: piis, Expiry: exp, ConsentID: "piis-1"}
	if b, err = json.Marshal(st); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	rec := filepath.Join(s.dir, "rec")
	s.run(nil, "--record", rec, "api", "GET", "/v1/payments/sepa-credit-transfers/pmt-1/status?trace="+pisRefresh, "--token", "client",
		"-H", "X-Trace: "+pis, "-H", "X-Other: "+piis)
	_, all := recording(t, rec)
	sec := secrets{}
	sec.add("payment token", pis)
	sec.add("payment refresh token", pisRefresh)
	sec.add("PIIS token", piis)
	noSecrets(t, all, sec, pis, pisRefresh, piis)
}
