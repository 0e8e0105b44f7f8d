package cmdtest_test

import (
	"encoding/json"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/xs2a-dev/xs2a/cmd/xs2a/internal/cmdtest"
)

// snake is a field name xs2a gives: lower case words joined by "_".
var snake = regexp.MustCompile(`^[a-z][a-z0-9]*(_[a-z0-9]+)*$`)

// notOurs are the fields whose value xs2a does not name: bank_response is
// the bank's answer in the Berlin Group's names; serial is a map whose keys
// are data (the --serial-form names: der-hex, lower-hex, …), not fields.
var notOurs = map[string]bool{
	"bank_response": true, // the bank's body, camelCase as the file names it
	"serial":        true, // certs inspect: the serial number in each --serial-form
}

// walkKeys appends to bad every key of v at path outside notOurs that is
// not snake_case.
func walkKeys(path string, v any, bad *[]string) {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			if !snake.MatchString(k) {
				*bad = append(*bad, path+"."+k)
			}
			if !notOurs[k] {
				walkKeys(path+"."+k, x, bad)
			}
		}
	case []any:
		for _, x := range v {
			walkKeys(path+"[]", x, bad)
		}
	}
}

// checkKeys fails the test unless out is one JSON document whose own
// field names are all snake_case; it returns the document.
func checkKeys(t *testing.T, what, out string) any {
	t.Helper()
	var v any
	dec := json.NewDecoder(strings.NewReader(out))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		t.Errorf("%s: stdout is not JSON: %v\n%s", what, err, out)
		return nil
	}
	var bad []string
	walkKeys("", v, &bad)
	sort.Strings(bad)
	bad = dedupe(bad)
	if len(bad) > 0 {
		t.Errorf("%s -o json: field names that are not snake_case, outside bank_response: %s\n%s", what, strings.Join(bad, ", "), out)
	}
	return v
}

func dedupe(s []string) []string {
	var out []string
	for i, x := range s {
		if i == 0 || s[i-1] != x {
			out = append(out, x)
		}
	}
	return out
}

// mustJSON runs a command with -o json, expects exit code (0 unless
// said), and checks its keys.
func mustJSON(t *testing.T, e *cmdtest.Env, code int, args ...string) any {
	t.Helper()
	r := e.Run(append(args, "-o", "json")...)
	if r.Code != code {
		t.Fatalf("xs2a %s -o json: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), r.Code, code, r.Stdout, r.Stderr)
	}
	return checkKeys(t, strings.Join(args, " "), r.Stdout)
}

// TestJSONFieldNamesAreSnakeCase runs every command that has -o json and
// walks its document: a camelCase field xs2a adds later fails here.
// The bank's bodies stay as the bank wrote them, under bank_response.
func TestJSONFieldNamesAreSnakeCase(t *testing.T) {
	e := cmdtest.New(t)
	mustJSON(t, e, 0, "version")

	// Certificates.
	dir := filepath.Join(e.Dir, "gen")
	mustJSON(t, e, 0, "certs", "generate", "--dir", dir)
	mustJSON(t, e, 0, "certs", "generate", "--break", "list")
	mustJSON(t, e, 0, "certs", "inspect", filepath.Join(dir, "qseal.pem"), "--key", filepath.Join(dir, "qseal.key"))
	mustJSON(t, e, 0, "certs", "check", "--qwac", filepath.Join(dir, "qwac.pem"), "--qseal", filepath.Join(dir, "qseal.pem"), "--ca", filepath.Join(dir, "ca.pem"))
	mustJSON(t, e, 0, "certs", "sign-challenge", "--key", filepath.Join(dir, "qseal.key"), "--challenge", "abc")

	// sign and sign verify, one request and --bank all.
	key, cert := filepath.Join(dir, "qseal.key"), filepath.Join(dir, "qseal.pem")
	mustJSON(t, e, 0, "sign", "--key", key, "--cert", cert, "--url", "https://bank.example/v1/consents", "-X", "POST", "-d", `{"a":1}`)
	signed := e.Must("sign", "--key", key, "--cert", cert, "--url", "https://bank.example/v1/consents", "-X", "POST", "-d", `{"a":1}`, "--format", "http").Stdout
	for _, args := range [][]string{{"sign", "verify", "-"}, {"sign", "verify", "-", "--bank", "all"}} {
		r := e.RunStdin(signed, append(args, "-o", "json")...)
		checkKeys(t, strings.Join(args, " "), r.Stdout)
	}
	// A HAR of that request, once as signed and once with its body
	// changed (so that the entry names its failed check).
	doc := mustJSON(t, e, 0, "sign", "--key", key, "--cert", cert, "--url", "https://bank.example/v1/consents", "-X", "POST", "-d", `{"a":1}`).(map[string]any)
	entry := func(body string) map[string]any {
		return map[string]any{"request": map[string]any{"method": doc["method"], "url": doc["url"], "httpVersion": "HTTP/1.1",
			"headers": doc["headers"], "postData": map[string]any{"mimeType": "application/json", "text": body}}}
	}
	har, _ := json.Marshal(map[string]any{"log": map[string]any{"version": "1.2", "creator": map[string]any{"name": "test", "version": "1"},
		"entries": []any{entry(`{"a":1}`), entry(`{"a":2}`)}}})
	r := e.RunStdin(string(har), "sign", "verify", "-", "-o", "json")
	if r.Code != 6 || !strings.Contains(r.Stdout, `"failed_check": "digest"`) {
		t.Errorf("sign verify of a HAR -o json: exit %d, want 6 and a failed_check\n%s\n%s", r.Code, r.Stdout, r.Stderr)
	}
	checkKeys(t, "sign verify HAR", r.Stdout)
	mustJSON(t, e, 0, "certs", "generate", "--dir", filepath.Join(e.Dir, "broken"), "--break", "expired")

	// The sandbox as `sandbox serve -o json` prints it.
	p := e.Start("sandbox", "serve", "--addr", "127.0.0.1:0", "--auth-addr", "127.0.0.1:0", "--certs", filepath.Join(e.Dir, "serve-certs"), "-o", "json")
	p.WaitFor(regexp.MustCompile(`^serving`))
	checkKeys(t, "sandbox serve", p.Stdout.String())
	p.Stop()

	// The journey, command by command, against a bank on payment accounts
	// (they have every accounts verb).
	e.Bank("--auto-approve-as", "5000001")
	mustJSON(t, e, 0, "token")
	created := mustJSON(t, e, 0, "consent", "create")
	cid, _ := created.(map[string]any)["consent_id"].(string)
	if cid == "" {
		t.Fatalf("consent create -o json has no consent_id: %v", created)
	}
	mustJSON(t, e, 0, "authorize", "--timeout", "10s")
	mustJSON(t, e, 0, "token", "exchange")
	mustJSON(t, e, 0, "token", "refresh")
	mustJSON(t, e, 0, "consent", "status")
	mustJSON(t, e, 0, "consent", "status", "--local")
	got := mustJSON(t, e, 0, "consent", "get")
	if m, _ := got.(map[string]any); m["consent_id"] != cid {
		t.Errorf("consent get -o json: consent_id %v, want %s", m["consent_id"], cid)
	}
	rec := filepath.Join(e.Dir, "rec")
	mustJSON(t, e, 0, "--record", rec, "accounts", "list", "--with-balance")
	mustJSON(t, e, 0, "accounts", "get", "acc-2343", "--psu-ip", "192.0.2.10")
	mustJSON(t, e, 0, "accounts", "balances", "acc-2343", "--psu-ip", "192.0.2.10")
	report := mustJSON(t, e, 0, "accounts", "transactions", "acc-2343", "--psu-ip", "192.0.2.10", "--with-balance")
	raw, _ := json.Marshal(report)
	id := regexp.MustCompile(`"transactionId":"([^"]+)"`).FindStringSubmatch(string(raw))
	if id == nil {
		t.Fatalf("no transactionId in the report's bank_response: %s", raw)
	}
	mustJSON(t, e, 0, "accounts", "transaction", "acc-2343", id[1], "--psu-ip", "192.0.2.10")
	mustJSON(t, e, 0, "funds-confirmation", "--account", "FI0412345600012343", "--amount", "1")
	mustJSON(t, e, 0, "replay", rec)
	mustJSON(t, e, 0, "sign", "verify", "--bundle", rec)
	mustJSON(t, e, 0, "flow", "--timeout", "20s")
	mustJSON(t, e, 0, "flow", "--payment", "--debtor", "FI0412345600012343", "--creditor", "DE89370400440532013000", "--creditor-name", "J", "--amount", "1", "--timeout", "20s")
	mustJSON(t, e, 0, "flow", "--funds", "--account", "FI0412345600012343", "--amount", "1")
	mustJSON(t, e, 0, "consent", "create")
	// Masked, a secret is null beside <field>_masked; --show-secrets
	// gives the value.
	tok := mustJSON(t, e, 0, "authorize", "--exchange", "--timeout", "10s").(map[string]any)
	if tok["access_token"] != nil || tok["access_token_masked"] != true || tok["refresh_token"] != nil || tok["refresh_token_masked"] != true {
		t.Errorf("authorize --exchange -o json: the tokens are not null and masked: %v", tok)
	}
	tok = mustJSON(t, e, 0, "token", "--show-secrets").(map[string]any)
	if s, _ := tok["access_token"].(string); s == "" || tok["access_token_masked"] != false {
		t.Errorf("token --show-secrets -o json: %v", tok)
	}
	mustJSON(t, e, 0, "consent", "delete")

	// The bank's side of a rejection: sign the adorsys way's opposite.
	e2 := cmdtest.New(t)
	e2.Bank("--bank", "adorsys")
	t.Setenv("XS2A_SIGNING_KEYID_FORM", "enfuce") // over the profile's adorsys settings
	t.Setenv("XS2A_SIGNING_SIGN_DATE", "false")
	r = e2.Run("consent", "create")
	m := regexp.MustCompile(`\(X-Request-ID ([0-9a-f-]{36})\)`).FindStringSubmatch(r.Stderr)
	if m == nil {
		t.Fatalf("no X-Request-ID in %q", r.Stderr)
	}
	mustJSON(t, e2, 0, "sandbox", "why", m[1])

	// The card journey of the embedded sandbox.
	e3 := cmdtest.New(t)
	mustJSON(t, e3, 0, "flow", "--timeout", "20s")
}

// The walk itself: a camelCase key of xs2a's is found at any depth, the
// bank's names under bank_response are left alone.
func TestWalkKeys(t *testing.T) {
	var v any
	if err := json.Unmarshal([]byte(`{"consent_id": "c", "steps": [{"ok": true, "sentAt": 1}], "bank_response": {"consentStatus": "valid"}, "x_2": {"badKey": 1}}`), &v); err != nil {
		t.Fatal(err)
	}
	var bad []string
	walkKeys("", v, &bad)
	sort.Strings(bad)
	if strings.Join(bad, " ") != ".steps[].sentAt .x_2.badKey" {
		t.Errorf("walkKeys found %q; want .steps[].sentAt and .x_2.badKey", bad)
	}
}
