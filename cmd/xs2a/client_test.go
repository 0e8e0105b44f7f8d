package main_test

// The client commands (token, consent, authorize, accounts, api) driven
// through the built binary against an emulated bank started in this test
// process. Each user of the bank has its own HOME and XDG_STATE_HOME, so the
// profile's state (tokens, consent, code) chains from one invocation to the
// next exactly as it does in a shell.

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xs2a-dev/xs2a/pkg/sandbox"
	"github.com/xs2a-dev/xs2a/pkg/state"
)

func TestClientCommands(t *testing.T) {
	b := startBank(t, sandbox.Options{AutoApprove: true, RatePerSecond: -1, RatePerDay: -1})
	from := time.Now().AddDate(0, 0, -60).Format(time.DateOnly)

	t.Run("happy path", func(t *testing.T) {
		t.Parallel()
		needCurl(t)
		// A bank of its own: the PSU's approval of a recurring consent
		// expires the TPP's former ones, another subtest's among them.
		b := startBank(t, sandbox.Options{AutoApprove: true, RatePerSecond: -1, RatePerDay: -1})
		u := newUser(t, b, nil)
		r := u.must("token")
		if !strings.HasPrefix(r.stdout, "client-credentials access token: ") || !strings.Contains(r.stdout, "--show-secrets to see") {
			t.Errorf("token: %q", r.stdout)
		}
		r = u.must("consent", "create")
		m := consentLine.FindStringSubmatch(r.stdout)
		if m == nil {
			t.Fatalf("consent create printed %q", r.stdout)
		}
		cid := m[1]
		if !strings.Contains(r.stdout, "scaOAuth: "+b.s.URL+"/.well-known/oauth-authorization-server") || !strings.Contains(r.stderr, "next: xs2a authorize --exchange") {
			t.Errorf("consent create: stdout %q stderr %q", r.stdout, r.stderr)
		}
		if st := u.state(); st.ConsentID != cid || st.ConsentStatus != "received" || st.ClientToken == nil {
			t.Errorf("state after consent create: %+v", st)
		}

		r = u.must("authorize", "--exchange", "--timeout", "20s")
		if !strings.HasPrefix(r.stdout, "authorized consent "+cid+"; PSU access token ") {
			t.Errorf("authorize: %q", r.stdout)
		}
		for _, w := range []string{"waiting for the PSU's authorization of consent " + cid + " on http://127.0.0.1:", "opened the authorization page in "} {
			if !strings.Contains(r.stderr, w) {
				t.Errorf("authorize stderr lacks %q:\n%s", w, r.stderr)
			}
		}
		st := u.state()
		if st.UserToken == nil || st.UserToken.ConsentID != cid || st.UserToken.RefreshToken == "" || st.UserToken.Scope != "AIS:"+cid ||
			st.Code != "" || st.Pending != nil {
			t.Fatalf("state after authorize --exchange: %+v (user token %+v)", st, st.UserToken)
		}

		r = u.must("accounts", "list")
		for _, w := range []string{"RESOURCE ID", "card-8693", "5243 78** **** 8693", "card-8694", "5243 66** **** 8694"} {
			if !strings.Contains(r.stdout, w) {
				t.Errorf("accounts list lacks %q:\n%s", w, r.stdout)
			}
		}
		r = u.must("accounts", "list", "-o", "json")
		var list struct {
			AccountType string `json:"account_type"`
			Bank        struct {
				CardAccounts []map[string]any `json:"cardAccounts"`
			} `json:"bank_response"`
		}
		err := json.Unmarshal([]byte(r.stdout), &list)
		cards := list.Bank.CardAccounts
		if err != nil || list.AccountType != "card" {
			t.Fatalf("accounts list -o json: %v\n%s", err, r.stdout)
		}
		if len(cards) != 2 || cards[0]["resourceId"] == "" || cards[1]["resourceId"] == "" || cards[0]["resourceId"] == nil {
			t.Errorf("accounts list -o json: %v", cards)
		}
		// --psu-ip: the PSU is present, so the calls below do not use up the
		// consent's four accesses a day (two are used above).
		r = u.must("accounts", "get", "card-8693", "--psu-ip", "192.0.2.10")
		if !strings.HasPrefix(r.stdout, "card-8693  5243 78** **** 8693") || !strings.Contains(r.stdout, "credit limit: ") {
			t.Errorf("accounts get:\n%s", r.stdout)
		}
		r = u.must("accounts", "balances", "card-8694", "--psu-ip", "192.0.2.10")
		if !regexp.MustCompile(`(?m)^\w+: +-?[0-9]+\.[0-9]{2} EUR$`).MatchString(r.stdout) {
			t.Errorf("accounts balances:\n%s", r.stdout)
		}
		r = u.must("accounts", "transactions", "card-8693", "--from", from, "-o", "json", "--psu-ip", "192.0.2.10")
		var rep struct {
			Pages int `json:"pages"`
			Bank  struct {
				CardTransactions struct {
					Booked  []map[string]any `json:"booked"`
					Pending []map[string]any `json:"pending"`
				} `json:"cardTransactions"`
			} `json:"bank_response"`
		}
		err = json.Unmarshal([]byte(r.stdout), &rep)
		tx := struct {
			Booked, Pending []map[string]any
			Pages           int
		}{rep.Bank.CardTransactions.Booked, rep.Bank.CardTransactions.Pending, rep.Pages}
		if err != nil {
			t.Fatalf("transactions -o json: %v\n%s", err, r.stdout)
		}
		if len(tx.Booked) == 0 || tx.Pages < 1 || tx.Pending == nil {
			t.Errorf("transactions from %s: %d booked, %d pages", from, len(tx.Booked), tx.Pages)
		}
		for _, x := range tx.Booked {
			if d, _ := x["transactionDate"].(string); d < from {
				t.Errorf("transaction of %s before --from %s", d, from)
				break
			}
		}

		r = u.must("consent", "get", "-o", "json")
		var c map[string]any
		if err := json.Unmarshal([]byte(r.stdout), &c); err != nil || c["consent_status"] != "valid" || c["consent_id"] != cid {
			t.Errorf("consent get -o json: %v %s", err, r.stdout)
		}
		r = u.must("consent", "status")
		if !regexp.MustCompile(`(?m)^status: +valid$`).MatchString(r.stdout) || !strings.HasPrefix(r.stdout, "consent: ") {
			t.Errorf("consent status printed %q; want a status: valid line", r.stdout)
		}

		before := u.state().UserToken
		r = u.must("token", "refresh")
		after := u.state().UserToken
		if !strings.HasPrefix(r.stdout, "PSU access token: ") || after.AccessToken == before.AccessToken || after.RefreshToken == before.RefreshToken ||
			after.ConsentID != cid {
			t.Errorf("token refresh: %q; access token changed %v, refresh token rotated %v, consent %q",
				r.stdout, after.AccessToken != before.AccessToken, after.RefreshToken != before.RefreshToken, after.ConsentID)
		}
		// The refreshed token reads accounts.
		u.must("accounts", "get", "card-8694", "--psu-ip", "192.0.2.10")

		r = u.must("api", "GET", "/consents/"+cid+"/status", "--token", "client")
		var status map[string]string
		if err := json.Unmarshal([]byte(r.stdout), &status); err != nil || status["consentStatus"] != "valid" || len(status) != 1 {
			t.Errorf("api GET status: %v %q", err, r.stdout)
		}
		if !regexp.MustCompile(`^200 OK \(X-Request-ID [0-9a-f-]{36}\)\n$`).MatchString(r.stderr) {
			t.Errorf("api stderr %q", r.stderr)
		}

		r = u.must("consent", "delete")
		if r.stdout != "consent "+cid+" terminated\n" {
			t.Errorf("consent delete printed %q", r.stdout)
		}
		if st := u.state(); st.ConsentStatus != "terminatedByTpp" || st.UserToken != nil {
			t.Errorf("state after delete: status %q, user token %+v", st.ConsentStatus, st.UserToken)
		}
		if r := u.must("consent", "status"); !regexp.MustCompile(`(?m)^status: +terminatedByTpp$`).MatchString(r.stdout) {
			t.Errorf("status after delete: %q", r.stdout)
		}
		// `consent delete` drops the PSU token with the consent, so the
		// next accounts call stops before the bank: exit 4, and the hint
		// names the way back.
		r = u.run("accounts", "list")
		oneErrorLine(t, "accounts list after consent delete", r, 4, "no PSU access token", "xs2a consent create", "xs2a authorize --exchange")
	})

	t.Run("authorize, then token exchange", func(t *testing.T) {
		t.Parallel()
		needCurl(t)
		// A bank of its own: the PSU's approval of a recurring consent
		// expires the TPP's former ones, another subtest's among them.
		b := startBank(t, sandbox.Options{AutoApprove: true, RatePerSecond: -1, RatePerDay: -1})
		u := newUser(t, b, nil)
		r := u.must("consent", "create", "-o", "json")
		var created struct {
			ConsentID     string `json:"consent_id"`
			ConsentStatus string `json:"consent_status"`
		}
		if err := json.Unmarshal([]byte(r.stdout), &created); err != nil || created.ConsentID == "" || created.ConsentStatus != "received" {
			t.Fatalf("consent create -o json: %v %q", err, r.stdout)
		}
		cid := created.ConsentID
		r = u.must("authorize", "--timeout", "20s")
		if !strings.HasPrefix(r.stdout, "authorized consent "+cid+"; code ") || !strings.Contains(r.stdout, "kept for `xs2a --config "+u.cfg+" token exchange`") {
			t.Errorf("authorize: %q", r.stdout)
		}
		fi, err := os.Stat(u.statePath())
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("state file mode %v; want 0600 (it holds tokens)", fi.Mode().Perm())
		}
		raw, _ := os.ReadFile(u.statePath())
		st := u.state()
		if !bytes.Contains(raw, []byte(`"`+cid+`"`)) || st.ConsentID != cid || st.Code == "" || st.CodeVerifier == "" ||
			!strings.HasPrefix(st.CodeRedirect, "http://127.0.0.1:") || st.Pending == nil || st.Pending.ConsentID != cid {
			t.Fatalf("state after authorize: %s", raw)
		}
		if strings.Contains(r.stdout+r.stderr, st.Code) {
			t.Errorf("authorize printed the code in full")
		}
		r = u.must("token", "exchange")
		if !strings.HasPrefix(r.stdout, "PSU access token: ") || !strings.Contains(r.stdout, "scope:         AIS:"+cid) {
			t.Errorf("token exchange: %q", r.stdout)
		}
		st = u.state()
		if st.UserToken == nil || st.UserToken.ConsentID != cid || st.Code != "" || st.CodeVerifier != "" || st.Pending != nil {
			t.Errorf("state after exchange: %+v", st)
		}
		// The code was spent: a second exchange has nothing to trade.
		oneErrorLine(t, "second token exchange", u.run("token", "exchange"), 2, "no authorization code")
		u.must("accounts", "list")

		// An expired PSU token is refreshed by the command that needs it.
		old := st.UserToken
		var doc map[string]any
		raw, _ = os.ReadFile(u.statePath())
		if err := json.Unmarshal(raw, &doc); err != nil {
			t.Fatal(err)
		}
		doc["user_token"].(map[string]any)["expiry"] = time.Now().Add(-time.Hour).Format(time.RFC3339)
		raw, _ = json.Marshal(doc)
		if err := os.WriteFile(u.statePath(), raw, 0o600); err != nil {
			t.Fatal(err)
		}
		u.must("accounts", "get", "card-8693", "--psu-ip", "192.0.2.10")
		if nt := u.state().UserToken; nt == nil || nt.AccessToken == old.AccessToken || !nt.Expiry.After(time.Now().Add(50*time.Minute)) {
			t.Errorf("an expired PSU token was not refreshed: %+v", nt)
		}

		// The consent ends at the bank behind the CLI's back (from another
		// machine, or by the PSU): the kept token now meets the bank's
		// CONSENT_INVALID, an authorisation problem with a next step.
		r = u.must("api", "DELETE", "/consents/"+cid, "--token", "client")
		if r.stdout != "" || !strings.HasPrefix(r.stderr, "204 No Content") {
			t.Errorf("api DELETE: stdout %q stderr %q", r.stdout, r.stderr)
		}
		r = u.run("accounts", "list")
		oneErrorLine(t, "accounts list after the consent was terminated", r, 4, "CONSENT_INVALID", "terminatedByTpp", "hint: create a new consent")
		// Terminating it again is a plain rejection by the bank: exit 3.
		r = u.run("consent", "delete")
		oneErrorLine(t, "second consent delete", r, 3, "409", "X-Request-ID")
	})

	t.Run("authorize without a callback times out", func(t *testing.T) {
		t.Parallel()
		u := newUser(t, b, nil)
		u.must("consent", "create")
		nothing := filepath.Join(u.dir, "nothing.sh")
		if err := os.WriteFile(nothing, []byte("#!/bin/sh\ntrue\n"), 0o700); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		r := u.runEnv([]string{"BROWSER=" + nothing}, "authorize", "--timeout", "2s")
		if el := time.Since(start); el < 2*time.Second || el > 10*time.Second {
			t.Errorf("authorize --timeout 2s took %s", el)
		}
		oneErrorLine(t, "authorize --timeout 2s", r, 4, "no callback arrived in time after 2s", "--no-browser")
		m := regexp.MustCompile(`on http://127\.0\.0\.1:(\d+)/callback`).FindStringSubmatch(r.stderr)
		if m == nil {
			t.Fatalf("no listener address on stderr:\n%s", r.stderr)
		}
		ln, err := net.Listen("tcp4", "127.0.0.1:"+m[1])
		if err != nil {
			t.Errorf("port %s not freed after the timeout: %v", m[1], err)
		} else {
			ln.Close()
		}
		if st := u.state(); st.Code != "" || st.UserToken != nil {
			t.Errorf("a timed-out authorize left a code or token: %+v", st)
		}
	})

	t.Run("authorize --no-browser prints the URL", func(t *testing.T) {
		t.Parallel()
		u := newUser(t, b, nil)
		u.must("consent", "create")
		cid := u.state().ConsentID
		r := u.run("authorize", "--no-browser", "--timeout", "1s")
		oneErrorLine(t, "authorize --no-browser --timeout 1s", r, 4, "no callback arrived in time")
		if strings.Contains(r.stderr, "opened the authorization page") {
			t.Errorf("--no-browser opened a browser:\n%s", r.stderr)
		}
		m := regexp.MustCompile(`(?m)^  (https://\S+)$`).FindStringSubmatch(r.stderr)
		if m == nil {
			t.Fatalf("no URL on stderr:\n%s", r.stderr)
		}
		raw := m[1]
		if !strings.HasPrefix(raw, b.s.AuthURL+"/oauth/authorize?") || !strings.Contains(raw, "scope=AIS%3A"+cid) ||
			!strings.Contains(raw, "code_challenge_method=S256") {
			t.Errorf("authorization URL %s", raw)
		}
		pu, err := url.Parse(raw)
		if err != nil {
			t.Fatal(err)
		}
		q := pu.Query()
		st := u.state()
		if q.Get("state") == "" || st.Pending == nil || q.Get("state") != st.Pending.State || q.Get("response_type") != "code" ||
			q.Get("client_id") != b.s.DefaultApp.ClientID || len(q.Get("code_challenge")) != 43 || !strings.HasPrefix(q.Get("redirect_uri"), "http://127.0.0.1:") {
			t.Errorf("authorization URL parameters %v (pending %+v)", q, st.Pending)
		}
		if strings.Contains(raw, st.Pending.Verifier) {
			t.Error("the URL carries the PKCE verifier")
		}
	})

	t.Run("rejections", func(t *testing.T) {
		t.Parallel()
		// The QSealC's key is the QWAC's.
		u := newUser(t, b, map[string]string{"qseal_key": b.file("qwac.key")})
		oneErrorLine(t, "qseal_key of the QWAC", u.run("token"), 5, "qwac.key does not belong to the certificate")

		// No ca_bundle: the sandbox's CA is no system root.
		u = newUser(t, b, map[string]string{"ca_bundle": ""})
		oneErrorLine(t, "no ca_bundle", u.run("token"), 5, "certificate", "hint:", "ca_bundle")

		// A wrong client secret.
		u = newUser(t, b, map[string]string{"client_secret": "not-the-secret"})
		oneErrorLine(t, "wrong client_secret", u.run("token"), 4, "invalid_client", "wrong client_secret")

		u = newUser(t, b, nil)
		oneErrorLine(t, "accounts list before authorize", u.run("accounts", "list"), 4, "no PSU access token")
		u.must("consent", "create")
		oneErrorLine(t, "accounts list before authorize, with a consent", u.run("accounts", "list"), 4, "no PSU access token")
		oneErrorLine(t, "token refresh before authorize", u.run("token", "refresh"), 4, "no refresh token")
		// 403 CONSENT_UNKNOWN: pkg/xs2a counts it as an authorisation
		// problem, and the README's table puts consent errors at 4.
		oneErrorLine(t, "consent get unknown-id", u.run("consent", "get", "unknown-id"), 4, "403", "CONSENT_UNKNOWN", "X-Request-ID")
		oneJSONError(t, "consent status unknown-id -o json", u.run("consent", "status", "unknown-id", "-o", "json"), 4, "CONSENT_UNKNOWN")
	})

	t.Run("no secret in any output", func(t *testing.T) {
		t.Parallel()
		needCurl(t)
		// A bank of its own: the PSU's approval of a recurring consent
		// expires the TPP's former ones, another subtest's among them.
		b := startBank(t, sandbox.Options{AutoApprove: true, RatePerSecond: -1, RatePerDay: -1})
		u := newUser(t, b, nil)
		outs, secrets := journey(t, u, from, "-v")
		p := b.s.DefaultApp
		secrets["client_secret"] = p.ClientSecret
		secrets["api_key"] = p.APIKey
		secrets["basic credentials"] = base64.StdEncoding.EncodeToString([]byte(p.ClientID + ":" + p.ClientSecret))
		for name, v := range secrets {
			if len(v) < 16 {
				t.Fatalf("secret %s is %q: too short to look for", name, v)
			}
		}
		traced := 0
		for _, o := range outs {
			all := o.r.stdout + o.r.stderr
			traced += strings.Count(o.r.stderr, "[redacted sha256:")
			for name, v := range secrets {
				if strings.Contains(all, v) {
					t.Errorf("xs2a %s -v printed the %s in full", o.cmd, name)
				}
			}
		}
		if traced < 10 {
			t.Errorf("only %d redactions in the -v traces: is -v tracing at all?", traced)
		}
		// The search can fail: with --show-secrets the token is there.
		r := u.must("token", "-v", "--show-secrets", "-o", "json")
		tok := u.state().ClientToken.AccessToken
		var j struct {
			AccessToken string `json:"access_token"`
		}
		if err := json.Unmarshal([]byte(r.stdout), &j); err != nil || j.AccessToken != tok {
			t.Errorf("token --show-secrets -o json: %v %q", err, r.stdout)
		}
		if !strings.Contains(r.stderr, `"access_token": "`+tok+`"`) {
			t.Errorf("the -v --show-secrets trace does not show the token:\n%s", r.stderr)
		}
	})

	t.Run("-o json prints one JSON document", func(t *testing.T) {
		t.Parallel()
		needCurl(t)
		// A bank of its own: the PSU's approval of a recurring consent
		// expires the TPP's former ones, another subtest's among them.
		b := startBank(t, sandbox.Options{AutoApprove: true, RatePerSecond: -1, RatePerDay: -1})
		u := newUser(t, b, nil)
		outs, _ := journey(t, u, from, "--output", "json", "-v")
		for _, o := range outs {
			if o.r.stdout == "" && o.empty {
				continue
			}
			dec := json.NewDecoder(strings.NewReader(o.r.stdout))
			var v any
			if err := dec.Decode(&v); err != nil {
				t.Errorf("xs2a %s -o json: stdout is not JSON: %v\n%s", o.cmd, err, o.r.stdout)
				continue
			}
			if dec.More() || !json.Valid([]byte(o.r.stdout)) {
				t.Errorf("xs2a %s -o json: more than one JSON document on stdout:\n%s", o.cmd, o.r.stdout)
			}
			if _, isObject := v.(map[string]any); !isObject {
				if _, isArray := v.([]any); !isArray {
					t.Errorf("xs2a %s -o json: %T, not an object or array", o.cmd, v)
				}
			}
			if strings.Contains(o.r.stdout, "> GET ") || strings.Contains(o.r.stdout, "< 200") {
				t.Errorf("xs2a %s: the -v trace reached stdout", o.cmd)
			}
		}
	})
}

// output is one command of a journey and what it printed.
type output struct {
	cmd   string
	r     result
	empty bool // a command that answers nothing (204)
}

// journey runs every client command once, each with extra (global flags),
// and returns their outputs and every secret the state held along the way
// (tokens rotate, so the state is read after each step).
func journey(t *testing.T, u *user, from string, extra ...string) ([]output, map[string]string) {
	t.Helper()
	var outs []output
	secrets := map[string]string{}
	keep := func(name, v string) {
		if v != "" {
			secrets[name+" "+v[:min(4, len(v))]] = v
		}
	}
	step := func(empty bool, args ...string) result {
		t.Helper()
		r := u.run(append(append([]string{}, args...), extra...)...)
		if r.code != 0 {
			t.Fatalf("xs2a %s %s: exit %d\n%s", strings.Join(args, " "), strings.Join(extra, " "), r.code, r.stderr)
		}
		outs = append(outs, output{cmd: strings.Join(args, " "), r: r, empty: empty})
		if st := u.state(); st != nil {
			for _, tk := range []struct {
				name string
				t    *state.Token
			}{{"client access token", st.ClientToken}, {"PSU token", st.UserToken}} {
				if tk.t != nil {
					keep(tk.name, tk.t.AccessToken)
					keep(tk.name+" (refresh)", tk.t.RefreshToken)
				}
			}
			keep("authorization code", st.Code)
			keep("PKCE verifier", st.CodeVerifier)
			if st.Pending != nil {
				keep("PKCE verifier", st.Pending.Verifier)
			}
		}
		return r
	}
	step(false, "token")
	step(false, "consent", "create")
	cid := u.state().ConsentID
	step(false, "authorize", "--timeout", "20s")
	step(false, "token", "exchange")
	step(false, "accounts", "list")
	step(false, "accounts", "get", "card-8693", "--psu-ip", "192.0.2.10")
	step(false, "accounts", "balances", "card-8694", "--psu-ip", "192.0.2.10")
	step(false, "accounts", "transactions", "card-8693", "--from", from, "--psu-ip", "192.0.2.10")
	step(false, "consent", "get")
	step(false, "consent", "status")
	step(false, "token", "refresh")
	step(false, "api", "GET", "/consents/"+cid+"/status", "--token", "client")
	step(false, "api", "GET", "/card-accounts/card-8693", "--token", "user")
	step(false, "consent", "delete")
	step(false, "consent", "create", "--account", "524378******8693", "--balances")
	step(false, "authorize", "--exchange", "--timeout", "20s")
	step(false, "accounts", "balances", "card-8693")
	step(true, "api", "DELETE", "/consents/"+u.state().ConsentID, "--token", "client")
	for _, k := range []string{"authorization code", "PKCE verifier", "PSU token (refresh)", "client access token"} {
		found := false
		for name := range secrets {
			found = found || strings.HasPrefix(name, k+" ")
		}
		if !found {
			t.Fatalf("the journey kept no %s in the state", k)
		}
	}
	return outs, secrets
}

// stepClock is a sandbox clock that stands still until the bank refuses a
// request for its rate, then moves on two seconds: the 429 is certain and
// the retry after Retry-After is certain to pass.
type stepClock struct {
	mu  sync.Mutex
	now time.Time
	n   int // 429s seen
}

func (c *stepClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Write receives the sandbox's request log.
func (c *stepClock) Write(p []byte) (int, error) {
	if bytes.Contains(p, []byte(" 429 ACCESS_EXCEEDED ")) {
		c.mu.Lock()
		c.now = c.now.Add(2 * time.Second)
		c.n++
		c.mu.Unlock()
	}
	return len(p), nil
}

func TestClientWaitsOutTheRateLimit(t *testing.T) {
	t.Parallel()
	clk := &stepClock{now: time.Now()}
	b := startBank(t, sandbox.Options{AutoApprove: true, RatePerSecond: 1, RatePerDay: -1, Now: clk.Now, Log: clk})
	u := newUser(t, b, nil)
	u.must("consent", "create") // the second's one request
	for i := 1; i <= 2; i++ {
		start := time.Now()
		r := u.must("consent", "status", "-v")
		if !regexp.MustCompile(`(?m)^status: +received$`).MatchString(r.stdout) {
			t.Errorf("status %d printed %q", i, r.stdout)
		}
		blocks := regexp.MustCompile(`(?m)^> GET https://\S+/v1/consents/\S+/status$`).FindAllString(r.stderr, -1)
		answers := regexp.MustCompile(`(?m)^< (\d{3}) `).FindAllStringSubmatch(r.stderr, -1)
		var codes []string
		for _, a := range answers {
			codes = append(codes, a[1])
		}
		if len(blocks) != 2 || strings.Join(codes, ",") != "429,200" {
			t.Errorf("status %d: %d request blocks, answers %v; want 2 blocks answered 429 then 200:\n%s", i, len(blocks), codes, r.stderr)
		}
		if !regexp.MustCompile(`(?m)^< Retry-After: [12]$`).MatchString(r.stderr) {
			t.Errorf("status %d: no Retry-After in the trace:\n%s", i, r.stderr)
		}
		if el := time.Since(start); el < time.Second {
			t.Errorf("status %d took %s: the client did not wait for Retry-After", i, el)
		}
	}
	clk.mu.Lock()
	defer clk.mu.Unlock()
	if clk.n != 2 {
		t.Errorf("the bank refused %d requests for the rate; want 2", clk.n)
	}
}
