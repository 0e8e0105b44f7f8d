package sandbox_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/xs2a-dev/xs2a/cmd/xs2a/internal/cmdtest"
)

func TestServeFlags(t *testing.T) {
	e := cmdtest.New(t)
	e.Expect(2, "", "sandbox")
	e.Expect(2, "not a test customer", "sandbox", "serve", "--auto-approve-as", "42")
	e.Expect(2, "--rate and --daily-limit must be positive", "sandbox", "serve", "--rate", "0")
	e.Expect(2, "--bank:", "sandbox", "serve", "--bank", "nobank")
	e.Expect(2, "--addr", "sandbox", "serve", "--addr", "192.0.2.1:8443")
	e.Expect(2, "--auth-addr", "sandbox", "serve", "--auth-addr", "192.0.2.1:8444")
}

// Bank is `sandbox serve --write-profile default` run in process: the
// start banner and the profile written are the command's own.
func TestServeWritesTheProfile(t *testing.T) {
	e := cmdtest.New(t)
	b := e.Bank("--auto-approve-as", "5000001", "--bank", "adorsys")
	for _, want := range []string{"sandbox is running", b.URL + "/v1", "approved automatically (once the URL is opened): consents as 5000001, payments as the debtor account's holder", `profile "default" written`} {
		if !strings.Contains(b.Stdout, want) {
			t.Errorf("serve printed no %q:\n%s", want, b.Stdout)
		}
	}
	cfg, err := os.ReadFile(e.ConfigPath)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"base_url: " + b.URL, "account_type: payment", "bank: adorsys", "keyid_form: adorsys", "sign_date: true", "qwac_cert: " + b.CertsDir} {
		if !strings.Contains(string(cfg), want) {
			t.Errorf("profile lacks %q:\n%s", want, cfg)
		}
	}
}

var requestID = regexp.MustCompile(`\(X-Request-ID ([0-9a-f-]{36})\)`)

func TestWhy(t *testing.T) {
	e := cmdtest.New(t)
	e.Expect(2, "needs the X-Request-ID", "sandbox", "why")
	e.Expect(2, "is not an X-Request-ID", "sandbox", "why", "a\x01b")
	e.Expect(2, "is not an https URL", "sandbox", "why", "rid", "--url", "http://127.0.0.1:1")

	// Signed the enfuce way (over the adorsys settings the written profile
	// has): an adorsys bank rejects it and keeps why.
	b := e.Bank("--bank", "adorsys")
	t.Setenv("XS2A_SIGNING_KEYID_FORM", "enfuce")
	t.Setenv("XS2A_SIGNING_SIGN_DATE", "false")
	r := e.Expect(6, "SIGNATURE_INVALID", "consent", "create")
	m := requestID.FindStringSubmatch(r.Stderr)
	if m == nil {
		t.Fatalf("no X-Request-ID in %q", r.Stderr)
	}
	r = e.Must("sandbox", "why", m[1])
	if !strings.HasPrefix(r.Stdout, "The bank's side: ") || !strings.Contains(r.Stdout, "INVALID for adorsys") {
		t.Errorf("sandbox why:\n%s", r.Stdout)
	}
	r = e.Must("sandbox", "why", m[1], "-o", "json", "--url", b.URL)
	if !strings.Contains(r.Stdout, m[1]) {
		t.Errorf("sandbox why -o json:\n%s", r.Stdout)
	}
	e.Expect(3, "RESOURCE_UNKNOWN", "sandbox", "why", "00000000-0000-4000-8000-000000000000")
}

// A config whose profile: names another profile keeps it; serve says how
// to use the one it wrote.
func TestServeKeepsTheFilesProfile(t *testing.T) {
	e := cmdtest.New(t)
	if err := os.MkdirAll(filepath.Dir(e.ConfigPath), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(e.ConfigPath, []byte("profile: live\nprofiles:\n  live:\n    base_url: https://api.bank.example\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	b := e.Bank()
	if want := e.ConfigPath + " keeps profile: live; use this sandbox with -p default"; !strings.Contains(b.Log.String(), want) {
		t.Errorf("serve's stderr lacks %q:\n%s", want, b.Log.String())
	}
	cfg, _ := os.ReadFile(e.ConfigPath)
	if !strings.HasPrefix(string(cfg), "profile: live\n") {
		t.Errorf("profile: changed:\n%s", cfg)
	}
}
