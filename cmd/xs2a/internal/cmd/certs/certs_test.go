package certs_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xs2a-dev/xs2a/cmd/xs2a/internal/cmdtest"
)

func TestCertsFlags(t *testing.T) {
	e := cmdtest.New(t)
	e.Expect(2, "", "certs")
	e.Expect(2, "--key-size 1024 is not allowed", "certs", "generate", "--key-size", "1024")
	e.Expect(2, "--days 0 is outside", "certs", "generate", "--days", "0")
	e.Expect(2, "--bank: unknown bank", "certs", "generate", "--bank", "nobank")
	e.Expect(2, "--break", "certs", "generate", "--break", "nothing-like-this")
	e.Expect(2, "", "certs", "inspect")
	e.Expect(2, "--for \"xyz\" is not a service", "certs", "check", "--for", "xyz")
	e.Expect(2, "give --qwac and --qseal", "certs", "check")
	e.Expect(2, "--challenge is required", "certs", "sign-challenge")
	e.Expect(2, "--challenge is empty", "certs", "sign-challenge", "--challenge", "")
	e.Expect(2, "--key is required", "certs", "sign-challenge", "--challenge", "x")
	e.Expect(2, "--verify needs --cert", "certs", "sign-challenge", "--challenge", "x", "--verify", "c2ln")
}

func TestCertsOnASet(t *testing.T) {
	e := cmdtest.New(t)
	dir := e.Certs()
	f := func(n string) string { return filepath.Join(dir, n) }

	r := e.Must("certs", "inspect", f("qwac.pem"), "--key", f("qwac.key"))
	if !strings.Contains(r.Stdout, "PSP_AI") {
		t.Errorf("certs inspect qwac.pem:\n%s", r.Stdout)
	}
	e.Must("certs", "inspect", f("qseal.pem"), "-o", "json")
	e.Expect(5, "", "certs", "inspect", f("qwac.pem"), "--key", f("qseal.key"))
	e.Expect(2, "", "certs", "inspect", filepath.Join(dir, "missing.pem"))

	r = e.Must("certs", "check", "--qwac", f("qwac.pem"), "--qseal", f("qseal.pem"), "--ca", f("ca.pem"),
		"--qwac-key", f("qwac.key"), "--qseal-key", f("qseal.key"))
	r = e.Must("certs", "check", "--qwac", f("qwac.pem"), "--qseal", f("qseal.pem"), "--ca", f("ca.pem"), "-o", "json")
	if !strings.Contains(r.Stdout, `"ready": true`) {
		t.Errorf("certs check -o json:\n%s", r.Stdout)
	}
	// A QWAC given as the QSealC is not ready.
	r = e.Run("certs", "check", "--qwac", f("qwac.pem"), "--qseal", f("qwac.pem"), "--ca", f("ca.pem"))
	if r.Code == 0 {
		t.Errorf("certs check with the QWAC as QSealC: exit 0\n%s", r.Stdout)
	}

	r = e.Must("certs", "sign-challenge", "--key", f("qseal.key"), "--challenge", "portal-challenge-1")
	sig := strings.TrimSpace(r.Stdout)
	if sig == "" {
		t.Fatal("sign-challenge printed nothing")
	}
	e.Must("certs", "sign-challenge", "--cert", f("qseal.pem"), "--challenge", "portal-challenge-1", "--verify", sig)
	r = e.Run("certs", "sign-challenge", "--cert", f("qseal.pem"), "--challenge", "another", "--verify", sig)
	if r.Code == 0 {
		t.Error("a signature of another challenge verified")
	}
}

func TestCertsGenerate(t *testing.T) {
	e := cmdtest.New(t)
	dir := filepath.Join(e.Dir, "gen")
	r := e.Must("certs", "generate", "--dir", dir, "--write-profile", "mine", "--org", "Test TPP")
	for _, n := range []string{"qwac.pem", "qwac.key", "qseal.pem", "qseal.key", "ca.pem"} {
		if _, err := os.Stat(filepath.Join(dir, n)); err != nil {
			t.Errorf("after certs generate: %v\n%s", err, r.Stdout)
		}
	}
	cfg, err := os.ReadFile(e.ConfigPath)
	if err != nil || !strings.Contains(string(cfg), "mine:") {
		t.Errorf("config after --write-profile mine: %v\n%s", err, cfg)
	}
	e.Expect(2, "already holds", "certs", "generate", "--dir", dir)
	e.Must("certs", "generate", "--break", "list")
	e.Must("-p", "mine", "certs", "check", "--ca", filepath.Join(dir, "ca.pem"))
	e.Must("-p", "mine", "certs", "check") // the profile's ca_bundle is the set's ca.pem
}

// Issue 18 item 8: with a profile, certs check trusts the profile's
// ca_bundle when --ca is not given (and says so); --ca still wins.
func TestCertsCheckUsesProfileCABundle(t *testing.T) {
	e := cmdtest.New(t)
	b := e.Bank() // writes profile "default" with ca_bundle and the set's qwac_*, qseal_*
	cfg, err := os.ReadFile(e.ConfigPath)
	if err != nil || !strings.Contains(string(cfg), "ca_bundle:") {
		t.Fatalf("profile written by sandbox serve: %v\n%s", err, cfg)
	}
	r := e.Must("certs", "check")
	if !strings.Contains(r.Stderr, `ca_bundle of profile "default"`) || !strings.Contains(r.Stderr, "ca.pem") {
		t.Errorf("certs check does not say which CA it checked against:\n%s", r.Stderr)
	}
	r = e.Must("certs", "check", "-o", "json")
	if !strings.Contains(r.Stdout, `"ready": true`) {
		t.Errorf("certs check -o json:\n%s", r.Stdout)
	}
	// Another set's CA given as --ca wins over ca_bundle: the chain fails.
	other := filepath.Join(e.Dir, "other")
	e.Must("certs", "generate", "--dir", other, "--key-size", "2048")
	r = e.Expect(5, "", "certs", "check", "--ca", filepath.Join(other, "ca.pem"))
	if !strings.Contains(r.Stderr, "(--ca)") {
		t.Errorf("certs check --ca does not say it used --ca:\n%s", r.Stderr)
	}
	// And --ca naming the profile's own CA passes as before.
	e.Must("certs", "check", "--ca", filepath.Join(b.CertsDir, "ca.pem"))
}

// Key generation shows a progress line on a terminal's stderr, never on
// stdout and never when stderr is not a terminal; the defect table fits
// the terminal (issue 18 item 15).
func TestGenerateAtATerminal(t *testing.T) {
	e := cmdtest.New(t)
	r := e.RunTTY("certs", "generate", "--dir", filepath.Join(e.Dir, "tty"), "--key-size", "2048")
	if r.Code != 0 || !strings.HasPrefix(r.Stderr, "\r⠋ generating 2048-bit RSA keys") || strings.Contains(r.Stdout, "\r") {
		t.Errorf("exit %d\nstdout %q\nstderr %q", r.Code, r.Stdout, r.Stderr)
	}
	r = e.Must("certs", "generate", "--dir", filepath.Join(e.Dir, "piped"), "--key-size", "2048")
	if strings.Contains(r.Stderr, "\r") || strings.Contains(r.Stderr, "generating 2048-bit") {
		t.Errorf("progress off a terminal:\n%q", r.Stderr)
	}

	t.Setenv("COLUMNS", "70")
	r = e.RunTTY("certs", "generate", "--break", "list")
	piped := e.Must("certs", "generate", "--break", "list")
	for _, l := range strings.Split(strings.TrimSuffix(r.Stdout, "\n"), "\n") {
		if n := len([]rune(l)); n > 70 {
			t.Errorf("%d columns on a 70-column terminal: %q", n, l)
		}
	}
	if !strings.Contains(r.Stdout, "…") || strings.Contains(piped.Stdout, "…") || strings.Count(r.Stdout, "\n") != strings.Count(piped.Stdout, "\n") {
		t.Errorf("at a terminal:\n%s\npiped:\n%s", r.Stdout, piped.Stdout)
	}
}

// With a profile whose keys are another set's, certs check --qwac/--qseal
// checks the files given: the profile's keys do not come along (they
// would belong to other certificates), and --qwac-key still does.
func TestCertsCheckFilesGivenIgnoreProfileKeys(t *testing.T) {
	e := cmdtest.New(t)
	e.Bank() // profile "default" with the sandbox set's qwac_key and qseal_key
	dir := filepath.Join(e.Dir, "certs")
	e.Must("certs", "generate", "--dir", dir, "--key-size", "2048")
	f := func(n string) string { return filepath.Join(dir, n) }
	e.Must("certs", "check", "--qwac", f("qwac.pem"), "--qseal", f("qseal.pem"), "--ca", f("ca.pem"), "--for", "ais")
	// The key check still runs when a key is given: another set's key fails.
	e.Expect(5, "", "certs", "check", "--qwac", f("qwac.pem"), "--qseal", f("qseal.pem"), "--ca", f("ca.pem"),
		"--qwac-key", f("qseal.key"))
	// And the profile's own certificates are still checked with its keys.
	e.Must("certs", "check")
}
