package main_test

// The README's "Exit codes" table, row by row, through the built binary:
// each row is provoked the way a user meets it (a sandbox that rejects, a
// port that is closed, a config that is wrong) and the exit code, the one
// error line and its hint are checked; the table's codes and the rows here
// are compared, so a code added to the README without a row fails.

import (
	"bytes"
	"crypto/x509"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xs2a-dev/xs2a/pkg/sandbox"
	"github.com/xs2a-dev/xs2a/pkg/shquote"
	"github.com/xs2a-dev/xs2a/pkg/state"
)

// exitRow is one way to reach an exit code: what to run (given the rows'
// shared bank) and what the one error line must hold ("" want: no error
// line, a success or a silent report).
type exitRow struct {
	code int
	name string
	run  func(t *testing.T, e *exitEnv) result
	want []string
}

// exitEnv is what the rows share: one sandbox that also trusts the CA of
// a set whose certificates have expired (generate --break expired).
type exitEnv struct {
	b       *bank
	expired string // the directory of the expired set
}

func (e *exitEnv) user(t *testing.T, edits map[string]string) *user {
	return newUser(t, e.b, edits)
}

// closedPort is a loopback address nothing listens on.
func closedPort(t *testing.T) string {
	return "127.0.0.1:" + strconv.Itoa(freePort(t))
}

// statedUser is a user whose state holds st, as an earlier run (before a
// restart of the bank) left it.
func statedUser(t *testing.T, e *exitEnv, st *state.State) *user {
	u := e.user(t, nil)
	if err := os.MkdirAll(filepath.Dir(u.statePath()), 0o700); err != nil {
		t.Fatal(err)
	}
	writeState(t, u, st)
	return u
}

func exitRows() []exitRow {
	hour := time.Now().Add(time.Hour)
	return []exitRow{
		{0, "success", func(t *testing.T, e *exitEnv) result { return e.user(t, nil).run("token") }, nil},

		{1, "the API's port is closed", func(t *testing.T, e *exitEnv) result {
			return e.user(t, map[string]string{"base_url": "https://" + closedPort(t)}).run("consent", "create")
		}, []string{"connection refused", "hint: is the ASPSP reachable at the profile's base_url ("}},
		{1, "the token endpoint's port is closed: the hint names token_url", func(t *testing.T, e *exitEnv) result {
			return e.user(t, map[string]string{"token_url": "https://" + closedPort(t) + "/oauth/token"}).run("token")
		}, []string{"connection refused", "reachable at the profile's token_url ("}},

		{2, "base_url without a scheme", func(t *testing.T, e *exitEnv) result {
			return e.user(t, map[string]string{"base_url": strings.TrimPrefix(e.b.s.URL, "https://")}).run("consent", "create")
		}, []string{"base_url 127.0.0.1:", "has no scheme; hint: write it https://127.0.0.1:"}},
		{2, "a missing argument", func(t *testing.T, e *exitEnv) result { return e.user(t, nil).run("accounts", "balances") }, nil},

		{2, "base_url ending in /v1, refused before any request", func(t *testing.T, e *exitEnv) result {
			return e.user(t, map[string]string{"base_url": e.b.s.URL + "/v1"}).run("consent", "create")
		}, []string{"ends in /v1", "hint: drop /v1: xs2a adds it"}},

		{3, "the bank refuses a consent beyond its 180 days", func(t *testing.T, e *exitEnv) result {
			return e.user(t, nil).run("consent", "create", "--days", "400")
		}, []string{"400 "}},

		{4, "a PSU token the bank does not know", func(t *testing.T, e *exitEnv) result {
			return statedUser(t, e, &state.State{ConsentID: "cns-gone", ConsentStatus: "valid",
				UserToken: &state.Token{AccessToken: "psu-token-of-a-restarted-bank", RefreshToken: "r", Expiry: hour, ConsentID: "cns-gone"}}).run("accounts", "list")
		}, []string{"401 TOKEN_UNKNOWN", "hint: the ASPSP does not know the PSU's access token", "run `xs2a authorize`, then `xs2a token exchange` (or `xs2a flow`)"}},
		{4, "a refresh token the bank does not know", func(t *testing.T, e *exitEnv) result {
			return statedUser(t, e, &state.State{ConsentID: "cns-gone", ConsentStatus: "valid",
				UserToken: &state.Token{AccessToken: "a", RefreshToken: "refresh-of-a-restarted-bank", Expiry: time.Now().Add(-time.Minute), ConsentID: "cns-gone"}}).run("accounts", "list")
		}, []string{"invalid_grant", "hint: the ASPSP refuses the PSU's refresh token", "`xs2a authorize`, then `xs2a token exchange` (or `xs2a flow`)"}},

		{5, "an expired QWAC at the token endpoint", func(t *testing.T, e *exitEnv) result {
			return e.user(t, map[string]string{"qwac_cert": filepath.Join(e.expired, "qwac.pem"), "qwac_key": filepath.Join(e.expired, "qwac.key")}).run("token")
		}, []string{"CERTIFICATE_EXPIRED", "hint: run `xs2a certs check`"}},
		{5, "an expired QSealC on the API", func(t *testing.T, e *exitEnv) result {
			return e.user(t, map[string]string{"qseal_cert": filepath.Join(e.expired, "qseal.pem"), "qseal_key": filepath.Join(e.expired, "qseal.key")}).run("consent", "create")
		}, []string{"401 CERTIFICATE_EXPIRED", "hint: `xs2a sandbox why "}},
		{5, "https to a plain-HTTP port", func(t *testing.T, e *exitEnv) result {
			plain := httptest.NewServer(http.NotFoundHandler())
			t.Cleanup(plain.Close)
			return e.user(t, map[string]string{"base_url": "https://" + plain.Listener.Addr().String()}).run("consent", "create")
		}, []string{"hint: the server answered the TLS handshake in plain HTTP"}},

		{6, "a signature the bank refuses", func(t *testing.T, e *exitEnv) result {
			return e.user(t, map[string]string{"signing.serial_form": "decimal"}).run("consent", "create")
		}, []string{"401 SIGNATURE_INVALID", "hint: `xs2a sandbox why "}},

		{7, "replay: the bank answers otherwise now", func(t *testing.T, e *exitEnv) result {
			u := e.user(t, nil)
			u.must("consent", "create")
			rec := filepath.Join(u.dir, "rec")
			u.must("--record", rec, "consent", "delete")
			return u.run("replay", rec)
		}, nil},

		{8, "--strict-budget: beyond the TPP's daily limit", func(t *testing.T, e *exitEnv) result {
			u := e.user(t, map[string]string{"budget.daily_limit": "1"})
			u.must("consent", "create")
			return u.run("consent", "status", "--strict-budget")
		}, []string{"not sent"}},

		{9, "funds-confirmation --exit-status: the bank has not the funds", func(t *testing.T, e *exitEnv) result {
			r := e.user(t, nil).run("funds-confirmation", "--account", "FI0412345600012343", "--amount", "99999999999", "--exit-status")
			if !strings.HasPrefix(r.stdout, "funds NOT available: ") || r.stderr != "" {
				t.Errorf("the answer is not printed, or an error line is:\nstdout: %s\nstderr: %s", r.stdout, r.stderr)
			}
			return r
		}, nil},

		{9, "payment status --exit-status: the payment was cancelled", func(t *testing.T, e *exitEnv) result {
			u := e.user(t, nil)
			u.must("payment", "initiate", "--debtor", "FI0412345600012343", "--creditor", "DE89370400440532013000", "--creditor-name", "A", "--amount", "1")
			u.must("payment", "cancel")
			r := u.run("payment", "status", "--exit-status")
			if !strings.Contains(r.stdout, ": CANC (final)") || r.stderr != "" {
				t.Errorf("the answer is not printed, or an error line is:\nstdout: %s\nstderr: %s", r.stdout, r.stderr)
			}
			return r
		}, nil},

		{130, "interrupted while waiting for the PSU", func(t *testing.T, e *exitEnv) result {
			u := e.user(t, nil)
			u.must("consent", "create")
			p := startProc(t, u.dir, append(append([]string{}, u.env...), "BROWSER=true"), "--config", u.cfg, "authorize", "--timeout", "60s")
			p.waitLine(`waiting for the PSU's authorization`)
			code := p.stop()
			return result{stderr: p.stderr.String(), code: code}
		}, []string{"interrupted"}},
	}
}

// TestExitCodeTableThroughTheBinary: one row per code of README's table
// (and the paths issue 18 found giving another code), each through the
// built binary.
func TestExitCodeTableThroughTheBinary(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	expired := filepath.Join(dir, "expired")
	if r := xs2a(t, dir, "", nil, "certs", "generate", "--dir", expired, "--break", "expired"); r.code != 0 {
		t.Fatalf("certs generate --break expired: exit %d\n%s", r.code, r.stderr)
	}
	b := startBank(t, sandbox.Options{AutoApprove: true, RatePerSecond: -1, RatePerDay: -1, Trust: []*x509.Certificate{readCert(t, filepath.Join(expired, "ca.pem"))}})
	e := &exitEnv{b: b, expired: expired}

	rows := exitRows()
	covered := map[int]bool{}
	for _, row := range rows {
		covered[row.code] = true
		t.Run(strconv.Itoa(row.code)+"/"+row.name, func(t *testing.T) {
			r := row.run(t, e)
			switch {
			case row.want != nil:
				oneErrorLine(t, row.name, r, row.code, row.want...)
			case r.code != row.code:
				t.Errorf("exit %d; want %d\nstdout: %s\nstderr: %s", r.code, row.code, r.stdout, r.stderr)
			}
		})
	}
	for _, code := range readmeExitCodes(t) {
		if !covered[code] {
			t.Errorf("README's exit code %d has no row here", code)
		}
	}
}

// readmeExitCodes are the codes of README's "Exit codes" table.
func readmeExitCodes(t *testing.T) []int {
	t.Helper()
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(b), "\n## Exit codes\n")
	if !ok {
		t.Fatal(`README.md has no "## Exit codes" section`)
	}
	section, _, _ = strings.Cut(section, "\n## ")
	var codes []int
	for _, m := range regexp.MustCompile(`(?m)^\| (\d+) \|`).FindAllStringSubmatch(section, -1) {
		n, _ := strconv.Atoi(m[1])
		codes = append(codes, n)
	}
	sort.Ints(codes)
	if len(codes) < 10 {
		t.Fatalf("read %v from README's table; its form changed?", codes)
	}
	return codes
}

// errorObject is what -o json writes to stderr for an error.
type errorObject struct {
	Error struct {
		Message   string  `json:"message"`
		ExitCode  int     `json:"exit_code"`
		Code      *string `json:"code"`
		Status    *int    `json:"status"`
		RequestID *string `json:"request_id"`
		Hint      *string `json:"hint"`
	} `json:"error"`
}

// oneJSONError is oneErrorLine for -o json: the exit code, the error as
// one JSON object on the last stderr line, with the same code, its message
// and hint holding each of want; nothing on stdout.
func oneJSONError(t *testing.T, what string, r result, code int, want ...string) errorObject {
	t.Helper()
	lines := strings.Split(strings.TrimRight(r.stderr, "\n"), "\n")
	var o errorObject
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &o); err != nil {
		t.Fatalf("%s: the last stderr line is not the JSON error object: %v\n%s", what, err, r.stderr)
	}
	if r.code != code || o.Error.ExitCode != code {
		t.Errorf("%s: exit %d, exit_code %d; want %d", what, r.code, o.Error.ExitCode, code)
	}
	if strings.Contains(r.stderr, "xs2a: error:") || r.stdout != "" {
		t.Errorf("%s: a text error line or stdout beside the JSON object:\nstdout: %s\nstderr: %s", what, r.stdout, r.stderr)
	}
	all := o.Error.Message
	if o.Error.Hint != nil {
		all += " " + *o.Error.Hint
	}
	for _, w := range want {
		if !strings.Contains(all, w) {
			t.Errorf("%s: the error object lacks %q: %s", what, w, lines[len(lines)-1])
		}
	}
	return o
}

// TestErrorsAsJSONThroughTheBinary: with -o json an error is one JSON
// object on stderr with the bank's code, status and X-Request-ID and the
// hint apart; stdout stays empty; text mode keeps its line.
func TestErrorsAsJSONThroughTheBinary(t *testing.T) {
	t.Parallel()
	b := startBank(t, sandbox.Options{AutoApprove: true, RatePerSecond: -1, RatePerDay: -1})
	u := newUser(t, b, nil)
	r := u.run("-o", "json", "consent", "status", "cns-nope")
	o := oneJSONError(t, "consent status -o json", r, 4, "403 CONSENT_UNKNOWN")
	e := o.Error
	rid := regexp.MustCompile(`X-Request-ID ([0-9a-f-]{36})`).FindStringSubmatch(e.Message)
	if r.code != 4 || r.stdout != "" || e.ExitCode != 4 || e.Code == nil || *e.Code != "CONSENT_UNKNOWN" || e.Status == nil || *e.Status != 403 ||
		e.RequestID == nil || rid == nil || *e.RequestID != rid[1] || e.Hint == nil || !strings.Contains(*e.Hint, "`xs2a consent create` makes a new one") ||
		strings.Contains(e.Message, "hint:") || strings.Contains(r.stderr, "xs2a: error:") {
		t.Errorf("exit %d, stdout %q, stderr %s", r.code, r.stdout, r.stderr)
	}
	// A config check's hint is apart too.
	bad := newUser(t, b, map[string]string{"base_url": b.s.URL + "/v1"})
	o = oneJSONError(t, "base_url ending in /v1, -o json", bad.run("-o", "json", "consent", "create"), 2, "ends in /v1")
	if o.Error.Hint == nil || *o.Error.Hint != "drop /v1: xs2a adds it" || strings.Contains(o.Error.Message, "hint") {
		t.Errorf("config error -o json: %+v", o.Error)
	}
	// A usage error before any config is read: the same shape, nulls.
	r = xs2a(t, t.TempDir(), "", nil, "accounts", "lst", "-o", "json")
	o = errorObject{}
	if err := json.Unmarshal([]byte(r.stderr), &o); err != nil || r.code != 2 || o.Error.ExitCode != 2 || o.Error.Code != nil || o.Error.Status != nil || strings.Count(r.stderr, "\n") != 1 {
		t.Errorf("usage error -o json: exit %d, %v, stderr %q", r.code, err, r.stderr)
	}
	// Text mode: the line of old.
	oneErrorLine(t, "text", u.run("consent", "status", "cns-nope"), 4, "403 CONSENT_UNKNOWN", "; hint: ", "`xs2a consent create` makes a new one")
}

// TestClientTokenReplacedOnce: a kept client token the bank no longer
// knows (as after an in-memory sandbox restart) is replaced once, said on
// one stderr line, and the call succeeds; the new token is kept.
func TestClientTokenReplacedOnce(t *testing.T) {
	t.Parallel()
	b := startBank(t, sandbox.Options{AutoApprove: true, RatePerSecond: -1, RatePerDay: -1})
	u := newUser(t, b, nil)
	if err := os.MkdirAll(filepath.Dir(u.statePath()), 0o700); err != nil {
		t.Fatal(err)
	}
	writeState(t, u, &state.State{ClientToken: &state.Token{AccessToken: "client-token-of-a-restarted-bank", Expiry: time.Now().Add(time.Hour)}})
	r := u.run("consent", "create")
	if r.code != 0 || !consentLine.MatchString(r.stdout) {
		t.Fatalf("consent create: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if n := strings.Count(r.stderr, "does not know the kept client token"); n != 1 || !strings.Contains(r.stderr, "TOKEN_UNKNOWN") {
		t.Errorf("%d notes of the replacement; want 1 naming TOKEN_UNKNOWN:\n%s", n, r.stderr)
	}
	st := u.state()
	if st.ClientToken == nil || st.ClientToken.AccessToken == "client-token-of-a-restarted-bank" || st.ConsentID == "" {
		t.Errorf("the new client token or the consent was not kept: %+v", st)
	}
	// The new token is used as it is: no second replacement.
	r = u.must("consent", "status")
	if strings.Contains(r.stderr, "client token") {
		t.Errorf("consent status replaced the token again:\n%s", r.stderr)
	}
}

// TestAccessExceededHintThroughTheBinary: the consent's frequencyPerDay
// used up, the hint says so and names a new consent and --psu-ip, and
// --psu-ip does read; a masked PAN where the resource id goes gets its
// hint.
func TestAccessExceededHintThroughTheBinary(t *testing.T) {
	t.Parallel()
	needCurl(t)
	b := startBank(t, sandbox.Options{AutoApprove: true, RatePerSecond: -1, RatePerDay: -1})
	u := newUser(t, b, nil)
	u.must("consent", "create", "--frequency-per-day", "1")
	u.must("authorize", "--exchange", "--timeout", "20s")
	oneErrorLine(t, "balances of a masked PAN", u.run("accounts", "balances", "524378******8693"), 3,
		"RESOURCE_UNKNOWN", "hint: ACCOUNT-ID is the account's resource id, not its masked PAN: `xs2a accounts list`")
	u.must("accounts", "list")
	oneErrorLine(t, "the second read without the PSU", u.run("accounts", "list"), 3, "429 ACCESS_EXCEEDED",
		"hint: ACCESS_EXCEEDED: the consent's frequencyPerDay is used up", "`xs2a consent create`", "--psu-ip", "or wait until")
	u.must("accounts", "list", "--psu-ip", "192.0.2.1")
	if r := u.must("accounts", "balances", "--help"); !strings.Contains(r.stdout[:strings.Index(r.stdout, "Global Flags:")], "--psu-ip") {
		t.Errorf("--psu-ip is not among balances' own flags:\n%s", r.stdout)
	}
}

// TestHintsNameTheFlagsGiven: through the binary, a hint and a next step
// name the --config and -p of the run, so pasting one works on the same
// profile (issue 18 item 5; the other tests read stderr without them,
// withoutInvocation).
func TestHintsNameTheFlagsGiven(t *testing.T) {
	s := serveBinary(t)
	raw := func(args ...string) (string, int) {
		cmd := exec.Command(bin, append([]string{"--config", s.cfg, "-p", "sb"}, args...)...)
		cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "NO_COLOR=1"}, s.env...)
		var errb bytes.Buffer
		cmd.Stderr = &errb
		err := cmd.Run()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		}
		return errb.String(), code
	}
	inv := "xs2a --config " + shquote.Arg(s.cfg) + " -p sb "
	if stderr, code := raw("consent", "status", "cns-nope"); code != 4 || !strings.Contains(stderr, "`"+inv+"consent create` makes a new one") {
		t.Errorf("exit %d, stderr %s; want the hint's command with %q", code, stderr, inv)
	}
	if stderr, code := raw("consent", "create"); code != 0 || !strings.Contains(stderr, "next: "+inv+"authorize --exchange") {
		t.Errorf("exit %d, stderr %s; want the next step with %q", code, stderr, inv)
	}
}
