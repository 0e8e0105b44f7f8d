package consent_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/xs2a-dev/xs2a/cmd/xs2a/internal/cmdtest"
)

func TestConsentFlags(t *testing.T) {
	e := cmdtest.New(t)
	for _, tc := range []struct {
		args []string
		code int
		err  string
	}{
		{[]string{"consent"}, 2, ""},
		{[]string{"consent", "create", "--bogus"}, 2, "unknown flag: --bogus"},
		{[]string{"consent", "create"}, 2, "has no base_url"},
		{[]string{"consent", "status", "a", "b"}, 2, ""},
	} {
		r := e.Run(tc.args...)
		if r.Code != tc.code || !strings.Contains(r.Stderr, tc.err) || r.Stdout != "" {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit %d and %q", tc.args, r.Code, r.Stdout, r.Stderr, tc.code, tc.err)
		}
	}
}

func TestConsentAgainstTheBank(t *testing.T) {
	e := cmdtest.New(t)
	b := e.Bank()
	e.Must("token")
	r := e.Must("-o", "json", "consent", "create")
	var c struct {
		ConsentID string `json:"consent_id"`
	}
	if err := json.Unmarshal([]byte(r.Stdout), &c); err != nil || c.ConsentID == "" {
		t.Fatalf("consent create -o json: %v\n%s", err, r.Stdout)
	}
	e.Must("authorize", "--exchange", "--timeout", "10s")
	if n := len(e.Browser.URLs()); n != 1 {
		t.Errorf("browser opened %d URLs, want 1", n)
	}
	r = e.Must("consent", "status")
	if !strings.Contains(r.Stdout, c.ConsentID) || !strings.Contains(r.Stdout, "valid") {
		t.Errorf("consent status:\n%s", r.Stdout)
	}
	e.Must("consent", "status", "-v")
	// consent get -o json names the consent (the bank's answer does not)
	// and keeps the bank's answer apart, in the bank's names.
	r = e.Must("consent", "get", "-o", "json")
	var got struct {
		ConsentID     string `json:"consent_id"`
		ConsentStatus string `json:"consent_status"`
		Bank          struct {
			ConsentStatus string `json:"consentStatus"`
		} `json:"bank_response"`
	}
	if err := json.Unmarshal([]byte(r.Stdout), &got); err != nil || got.ConsentID != c.ConsentID || got.ConsentStatus != "valid" || got.Bank.ConsentStatus != "valid" {
		t.Errorf("consent get -o json: %v\n%s", err, r.Stdout)
	}
	e.Must("consent", "get")
	e.Expect(2, "--days 0: want the consent's validity in days, 1 or more", "consent", "create", "--days", "0")
	e.Expect(4, "CONSENT_UNKNOWN", "consent", "status", "unknown-id", "-o", "json")
	e.Expect(4, "CONSENT_UNKNOWN", "consent", "get", "unknown-id")
	e.Must("consent", "delete")
	if !strings.Contains(b.Log.String(), "DELETE /v1/consents/"+c.ConsentID+" 204") {
		t.Errorf("the bank did not delete the consent:\n%s", b.Log.String())
	}
	r = e.Must("consent", "status", c.ConsentID)
	if !strings.Contains(r.Stdout, "terminatedByTpp") {
		t.Errorf("consent status after delete:\n%s", r.Stdout)
	}
	e.Must("consent", "create", "--one-off")
}

// Issue 18 item 10: a new consent says it replaces the authorized one and
// its token; --local knows the exchange made the consent valid; the "no PSU
// access token" hint names the exchange.
func TestConsentReplacesAuthorized(t *testing.T) {
	e := cmdtest.New(t)
	e.Bank()
	e.Must("token")
	r := e.Must("-o", "json", "consent", "create")
	var c struct {
		ConsentID string `json:"consent_id"`
	}
	if err := json.Unmarshal([]byte(r.Stdout), &c); err != nil || c.ConsentID == "" {
		t.Fatalf("consent create -o json: %v\n%s", err, r.Stdout)
	}
	if strings.Contains(r.Stderr, "replaces") {
		t.Errorf("first consent create says it replaces one:\n%s", r.Stderr)
	}
	r = e.Expect(4, "", "accounts", "list")
	if !strings.Contains(r.Stderr, "xs2a authorize --exchange") || !strings.Contains(r.Stderr, "xs2a token exchange") {
		t.Errorf("no PSU token, consent received: hint %q does not name the exchange", r.Stderr)
	}
	e.Must("authorize", "--timeout", "10s")
	r = e.Expect(4, "", "accounts", "list")
	if !strings.Contains(r.Stderr, "run `xs2a token exchange`") {
		t.Errorf("no PSU token, code kept: hint %q does not name token exchange", r.Stderr)
	}
	e.Must("token", "exchange")
	r = e.Must("consent", "status", "--local")
	if !strings.Contains(r.Stdout, "valid (last known") {
		t.Errorf("consent status --local after token exchange:\n%s", r.Stdout)
	}
	r = e.Must("consent", "create")
	want := "replaces consent " + c.ConsentID + " (valid) and its PSU access token"
	lines := strings.Split(strings.TrimSpace(r.Stderr), "\n")
	if !strings.Contains(r.Stderr, want) || !strings.Contains(r.Stderr, "xs2a authorize --consent "+c.ConsentID+" --exchange") {
		t.Errorf("consent create over an authorized consent: stderr %q, want %q", r.Stderr, want)
	}
	for _, ln := range lines {
		if strings.Contains(ln, "replaces") && !strings.Contains(ln, "--exchange") {
			t.Errorf("the notice is not one line: %q", r.Stderr)
		}
	}
	r = e.Must("consent", "create")
	if strings.Contains(r.Stderr, "replaces") {
		t.Errorf("consent create over an unauthorized consent says it replaces one:\n%s", r.Stderr)
	}
}
