package main_test

// `xs2a flow` through the binary, without a browser: the embedded sandbox's
// auto-approving PSU plays the browser. The interactive journey in a real
// browser is in browser_test.go.

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/xs2a-dev/xs2a/pkg/qcert"
	"github.com/xs2a-dev/xs2a/pkg/sandbox"
	"github.com/xs2a-dev/xs2a/pkg/shquote"
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

// `xs2a -p sb flow` against `sandbox serve --write-profile sb` on a
// machine with no browser (issue 18 item 1): the URL is printed on
// stderr as authorize prints it, and the PSU opening it elsewhere, or
// pasting the address the browser ended on, completes the journey.
func TestFlowHeadlessThroughTheBinary(t *testing.T) {
	s := serveBinary(t)
	// The PSU's browser, on this machine or another one.
	pem, err := os.ReadFile(filepath.Join(s.dir, "certs", "ca.pem"))
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	psu := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	start := func(args ...string) *proc {
		// No BROWSER and no DISPLAY: nothing could open a browser anyway.
		return startProc(t, s.dir, s.env, append([]string{"--config", s.cfg, "-p", "sb", "flow", "--idle-notice", "0", "--timeout", "30s"}, args...)...)
	}
	done := func(p *proc) {
		t.Helper()
		if c := p.wait(30 * time.Second); c != 0 {
			t.Fatalf("exit %d\nstdout %s\nstderr %s", c, p.stdout.String(), p.stderr.String())
		}
		if !strings.Contains(p.stdout.String(), "The journey worked") || strings.Contains(p.stdout.String(), "/oauth/authorize") {
			t.Errorf("stdout:\n%s", p.stdout.String())
		}
	}

	t.Run("--no-browser: the printed URL opened", func(t *testing.T) {
		p := start("--no-browser")
		u := p.waitLine(`^  (https://\S+/oauth/authorize\?\S+)$`)[1]
		p.waitLine(`^…or paste the URL your browser ended on \(http://127\.0\.0\.1:\d+/callback\?code=…\) here`)
		resp, err := psu.Get(u) // to the bank, which approves and redirects to the listener
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		done(p)
	})

	t.Run("--paste: the URL the browser ended on on stdin", func(t *testing.T) {
		p := start("--paste", "-o", "json")
		u := p.waitLine(`^  (https://\S+/oauth/authorize\?\S+)$`)[1]
		nc := *psu
		nc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
		resp, err := nc.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		loc := resp.Header.Get("Location")
		if !strings.HasPrefix(loc, "http://127.0.0.1:") {
			t.Fatalf("the bank answered %d, Location %q", resp.StatusCode, loc)
		}
		if _, err := io.WriteString(p.stdin, loc+"\n"); err != nil {
			t.Fatal(err)
		}
		if c := p.wait(30 * time.Second); c != 0 {
			t.Fatalf("exit %d\nstderr %s", c, p.stderr.String())
		}
		checkWholeJourney(t, decodeFlowRecord(t, p.stdout.String()))
	})

	t.Run("the timeout's hint is true for flow", func(t *testing.T) {
		r := s.run(nil, "flow", "--no-browser", "--paste=false", "--timeout", "1s", "--idle-notice", "300ms")
		// The diagnosis names flow with the run's --config and -p, as an
		// error line does.
		if r.code != 4 || !strings.Contains(r.stderr, "nothing has reached") || !strings.Contains(r.stdout, "run `xs2a --config "+shquote.Arg(s.cfg)+" -p sb flow` again (a longer --timeout") {
			t.Errorf("exit %d\nstdout %s\nstderr %s", r.code, r.stdout, r.stderr)
		}
	})
}
