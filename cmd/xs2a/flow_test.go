package main_test

// `xs2a flow` through the binary, without a browser: the embedded sandbox's
// auto-approving PSU plays the browser. The interactive journey in a real
// browser is in browser_test.go.

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/xs2a-dev/xs2a/pkg/qcert"
	"github.com/xs2a-dev/xs2a/pkg/sandbox"
)

func TestFlowAgainstTheEmbeddedSandbox(t *testing.T) {
	t.Run("json", func(t *testing.T) {
		r := xs2a(t, t.TempDir(), "", nil, "flow", "--sandbox", "-o", "json")
		if r.code != 0 {
			t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
		}
		rec := decodeFlowRecord(t, r.stdout)
		checkWholeJourney(t, rec)
		if !rec.Sandbox || rec.KeyGenMillis <= 0 || rec.TotalMillis < rec.KeyGenMillis {
			t.Errorf("sandbox=%v key_generation_ms=%d total_ms=%d; want the sandbox, key generation > 0 and within the total",
				rec.Sandbox, rec.KeyGenMillis, rec.TotalMillis)
		}
		if strings.Contains(r.stderr, "panic") || strings.Contains(r.stderr, "goroutine") {
			t.Errorf("stderr: %s", r.stderr)
		}
	})

	t.Run("text", func(t *testing.T) {
		r := xs2a(t, t.TempDir(), "", nil, "flow", "--sandbox")
		if r.code != 0 {
			t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
		}
		for _, want := range []string{"The journey worked", "5243 78** **** 8693", "5243 66** **** 8694"} {
			if !strings.Contains(r.stdout, want) {
				t.Errorf("stdout lacks %q:\n%s", want, r.stdout)
			}
		}
		// A line per step, numbered, each a success.
		for i, name := range flowStepNames {
			re := regexp.MustCompile(fmt.Sprintf(`(?m)^✓ %d %s +.* → .*\(\d+ ms\)$`, i+1, regexp.QuoteMeta(name)))
			if !re.MatchString(r.stdout) {
				t.Errorf("no success line for step %d %q:\n%s", i+1, name, r.stdout)
			}
		}
		if !strings.Contains(r.stderr, "embedded sandbox on https://127.0.0.1:") {
			t.Errorf("stderr does not say where the sandbox runs:\n%s", r.stderr)
		}
	})

	// A profile without base_url has nowhere else to go: the sandbox runs.
	t.Run("profile without base_url", func(t *testing.T) {
		cfgHome := t.TempDir()
		writeFlowConfig(t, cfgHome, "profile: nobase\nprofiles:\n  nobase:\n    account_type: card\n")
		env := []string{"XDG_CONFIG_HOME=" + cfgHome}
		r := xs2a(t, t.TempDir(), "", env, "flow")
		if r.code != 0 {
			t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
		}
		if !strings.Contains(r.stderr, `profile "nobase" has no base_url: running against the embedded sandbox`) {
			t.Errorf("stderr does not say why the sandbox runs:\n%s", r.stderr)
		}
		if !strings.Contains(r.stdout, "The journey worked") {
			t.Errorf("stdout:\n%s", r.stdout)
		}
		r = xs2a(t, t.TempDir(), "", env, "flow", "-p", "nobase", "-o", "json")
		if r.code != 0 {
			t.Fatalf("-o json: exit %d\n%s", r.code, r.stderr)
		}
		checkWholeJourney(t, decodeFlowRecord(t, r.stdout))
	})
}

// writeFlowConfig writes the default config file under cfgHome (what
// XDG_CONFIG_HOME points to), so commands need no --config.
func writeFlowConfig(t *testing.T, cfgHome, yaml string) {
	t.Helper()
	dir := filepath.Join(cfgHome, "xs2a")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "config.yaml"), []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestFlowStopsAtTheFirstFailure(t *testing.T) {
	// A bank of our own, with the test certificate set, and a profile for
	// it whose client_secret is wrong: the very first step must fail.
	set, err := qcert.LoadSet(fixed)
	if err != nil {
		t.Fatal(err)
	}
	sb, err := sandbox.Start(sandbox.Options{Certs: set})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sb.Close)
	app := sb.DefaultApp
	cfgHome := t.TempDir()
	writeFlowConfig(t, cfgHome, fmt.Sprintf(`profiles:
  wrongsecret:
    base_url: %s
    token_url: %s/oauth/token
    authorize_url: %s/oauth/authorize
    client_id: %s
    client_secret: %s
    api_key: %s
    api_key_header: X-API-Key
    qwac_cert: %s
    qwac_key: %s
    qseal_cert: %s
    qseal_key: %s
    ca_bundle: %s
    account_type: card
    api_version: v1
`, sb.URL, sb.URL, sb.AuthURL, app.ClientID, "not-"+app.ClientSecret, app.APIKey,
		fixture("qwac.pem"), fixture("qwac.key"), fixture("qseal.pem"), fixture("qseal.key"), fixture("ca.pem")))
	env := []string{"XDG_CONFIG_HOME=" + cfgHome}

	t.Run("explicit config is repeated in the reproduce command", func(t *testing.T) {
		cfgFile := filepath.Join(cfgHome, "xs2a", "config.yaml")
		r := xs2a(t, t.TempDir(), "", nil, "--config", cfgFile, "-p", "wrongsecret", "flow", "-o", "json")
		rec := decodeFlowRecord(t, r.stdout)
		if r.code != 4 || len(rec.Steps) != 1 || rec.Steps[0].Reproduce != "xs2a --config "+cfgFile+" -p wrongsecret token" {
			t.Errorf("exit %d, steps %+v", r.code, rec.Steps)
		}
	})
	t.Run("json", func(t *testing.T) {
		r := xs2a(t, t.TempDir(), "", env, "-p", "wrongsecret", "flow", "-o", "json")
		if r.code != 4 {
			t.Fatalf("exit %d; want 4\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
		}
		rec := decodeFlowRecord(t, r.stdout)
		if rec.OK || rec.Sandbox || rec.Profile != "wrongsecret" {
			t.Errorf("ok=%v sandbox=%v profile=%q; want a failed run of profile wrongsecret", rec.OK, rec.Sandbox, rec.Profile)
		}
		if len(rec.Steps) != 1 {
			t.Fatalf("%d steps ran; want only the failing token step: %+v", len(rec.Steps), rec.Steps)
		}
		s := rec.Steps[0]
		if s.Name != "token" || s.OK || !strings.Contains(s.Error, "invalid_client") || s.Millis == nil || *s.Millis < 0 {
			t.Errorf("step = %+v; want token failed with invalid_client", s)
		}
		if s.Reproduce != "xs2a -p wrongsecret token" {
			t.Errorf("reproduce = %q; want %q", s.Reproduce, "xs2a -p wrongsecret token")
		}
		if len(rec.Cards) != 0 || rec.ConsentID != "" {
			t.Errorf("cards %+v, consent %q after a failed token step", rec.Cards, rec.ConsentID)
		}
		// The reproduce command does reproduce it, on its own.
		rr := xs2a(t, t.TempDir(), "", env, strings.Fields(strings.TrimPrefix(s.Reproduce, "xs2a "))...)
		if rr.code != 4 || !strings.Contains(rr.stderr, "invalid_client") {
			t.Errorf("%q: exit %d; want 4 with invalid_client\n%s", s.Reproduce, rr.code, rr.stderr)
		}
	})

	t.Run("text", func(t *testing.T) {
		r := xs2a(t, t.TempDir(), "", env, "-p", "wrongsecret", "flow")
		if r.code != 4 {
			t.Fatalf("exit %d; want 4\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
		}
		if !regexp.MustCompile(`(?m)^✗ 1 token +.* → failed$`).MatchString(r.stdout) {
			t.Errorf("no failure line for step 1 token:\n%s", r.stdout)
		}
		if !regexp.MustCompile(`(?m)^ +diagnosis: .*invalid_client`).MatchString(r.stdout) {
			t.Errorf("no diagnosis line naming invalid_client:\n%s", r.stdout)
		}
		if !regexp.MustCompile(`(?m)^ +reproduce: xs2a -p wrongsecret token$`).MatchString(r.stdout) {
			t.Errorf("no reproduce line:\n%s", r.stdout)
		}
		if strings.Contains(r.stdout, " 2 consent create") || strings.Contains(r.stdout, "The journey worked") {
			t.Errorf("the flow went on after the failure:\n%s", r.stdout)
		}
		if n := bytes.Count([]byte(r.stdout), []byte("\n")); n != 3 {
			t.Errorf("stdout has %d lines; want the failed step, its diagnosis and reproduce lines:\n%s", n, r.stdout)
		}
	})
}
