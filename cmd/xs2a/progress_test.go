package main_test

// At a terminal (a pseudo-terminal from util-linux's script(1)): a wait
// over a second shows a progress line on stderr, and tables fit $COLUMNS;
// piped, neither (issue 18 item 15).

import (
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/xs2a-dev/xs2a/pkg/shquote"
)

// atTerminal runs the binary under script(1), its three streams a
// pseudo-terminal, and returns what the terminal showed (stdout and
// stderr together) and the exit code.
func atTerminal(t *testing.T, env []string, args ...string) (string, int) {
	t.Helper()
	path, err := exec.LookPath("script")
	if err != nil {
		t.Skip("no script(1) for a pseudo-terminal")
	}
	words := []string{shquote.Arg(bin)}
	for _, a := range args {
		words = append(words, shquote.Arg(a))
	}
	cmd := exec.Command(path, "-qec", strings.Join(words, " "), "/dev/null")
	home := t.TempDir()
	cmd.Env = append([]string{"HOME=" + home, "XDG_CONFIG_HOME=" + filepath.Join(home, ".config"),
		"XDG_STATE_HOME=" + filepath.Join(home, ".state"), "PATH=/usr/bin:/bin", "NO_COLOR=1", "TERM=xterm"}, env...)
	out, err := cmd.Output()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	// The terminal's line discipline turns \n into \r\n.
	return strings.ReplaceAll(string(out), "\r\n", "\n"), code
}

func TestKeyGenerationProgressAtATerminal(t *testing.T) {
	dir := t.TempDir()
	out, code := atTerminal(t, nil, "certs", "generate", "--dir", filepath.Join(dir, "tty"), "--key-size", "4096")
	if code != 0 || !strings.Contains(out, "\r⠋ generating 4096-bit RSA keys") {
		t.Fatalf("exit %d; no progress line:\n%q", code, out)
	}
	// Erased before the files are listed: the listing starts a clean line.
	if !regexp.MustCompile(`generating 4096-bit RSA keys\r +\r✓ PSD2 test certificates`).MatchString(out) {
		t.Errorf("the progress line is not erased before the listing:\n%q", out)
	}
	r := xs2a(t, dir, "", nil, "certs", "generate", "--dir", filepath.Join(dir, "piped"), "--key-size", "2048")
	if r.code != 0 || strings.Contains(r.stderr, "\r") || strings.Contains(r.stderr, "generating 2048") || strings.Contains(r.stdout, "\r") {
		t.Errorf("piped: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
}

func TestTransactionsTableFitsTheTerminal(t *testing.T) {
	u := authorizedUser(t)
	args := []string{"--config", u.cfg, "accounts", "transactions", "card-8693", "--from", "2026-01-01"}
	out, code := atTerminal(t, append(append([]string{}, u.env...), "COLUMNS=48"), args...)
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	// A year of pages at the client's 5 calls a second: seconds.
	if !regexp.MustCompile(`\r⠋ reading the transaction report(: \d+ page\(s\))?`).MatchString(out) || !regexp.MustCompile(`\r +\rDATE +STATUS`).MatchString(out) {
		t.Errorf("no progress line, or not erased before the table:\n%q", out)
	}
	rows, cut := 0, 0
	for _, l := range strings.Split(out, "\n") {
		if !strings.HasPrefix(l, "20") { // a row: it starts with its date
			continue
		}
		rows++
		if n := len([]rune(l)); n > 48 {
			t.Errorf("%d columns at COLUMNS=48: %q", n, l)
		}
		if strings.HasSuffix(l, "…") {
			cut++
		}
	}
	if rows == 0 || cut == 0 {
		t.Errorf("%d rows, %d cut:\n%s", rows, cut, out)
	}
	// Piped, every character, and no progress.
	r := u.run(args...)
	if r.code != 0 || strings.Contains(r.stdout, "…") || strings.Contains(r.stderr, "\r") || strings.Count(r.stdout, "\n") != rows+1 {
		t.Errorf("piped: exit %d, %d lines for %d rows\nstdout %s\nstderr %q", r.code, strings.Count(r.stdout, "\n"), rows, r.stdout, r.stderr)
	}
}
