package main_test

// Mistakes a user makes at the prompt: a mistyped subcommand or flag gets
// the closest name, a flag's bad value names the flag, --version answers,
// and colour stays off for the errors raised before the config is read
// when --no-color or NO_COLOR says so.

import (
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestMistypedCommandsAndFlagsGetTheClosestName(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		args []string
		want []string
	}{
		// A group has a RunE of its own (missing subcommand), so the word
		// reached it as an argument: "takes no arguments" before.
		{[]string{"accounts", "lst"}, []string{`unknown command "lst" for "xs2a accounts"; did you mean list?`, "(see 'xs2a accounts --help')"}},
		{[]string{"consent", "creat"}, []string{`unknown command "creat" for "xs2a consent"; did you mean create?`}},
		{[]string{"token", "exchnge"}, []string{`unknown command "exchnge" for "xs2a token"; did you mean exchange?`}},
		{[]string{"sandbox", "srve"}, []string{`did you mean serve?`}},
		{[]string{"certs", "gen"}, []string{`did you mean generate?`}}, // a prefix
		{[]string{"consnt"}, []string{`unknown command "consnt" for "xs2a"; did you mean consent? (see 'xs2a --help')`}},
		{[]string{"accounts", "zzz"}, []string{`unknown command "zzz" for "xs2a accounts" (see`}},
		{[]string{"accounts", "list", "--consnt", "x"}, []string{"unknown flag: --consnt; did you mean --consent?", "(see 'xs2a accounts list --help')"}},
		{[]string{"--insec", "version"}, []string{"unknown flag: --insec; did you mean --insecure?"}},
		{[]string{"--versoin"}, []string{"did you mean --version?"}},
		{[]string{"sign", "--frobnicate"}, []string{"unknown flag: --frobnicate (see 'xs2a sign --help')"}},
		// Item 19: the bad value of a flag names the flag, and says what it takes.
		{[]string{"authorize", "--timeout", "abc"}, []string{`invalid value "abc" for --timeout: want a duration such as 90s`}},
		{[]string{"sandbox", "serve", "--rate", "fast"}, []string{`invalid value "fast" for --rate: want a number`}},
		{[]string{"certs", "generate", "--days=soon"}, []string{`invalid value "soon" for --days: want a whole number`}},
		{[]string{"-v=maybe", "version"}, []string{`invalid value "maybe" for --verbose: want true or false`}},
		// Checked by the command, not pflag: still named.
		{[]string{"accounts", "transactions", "card-8693", "--to", "2026-13-01"}, []string{`--to "2026-13-01" is not a date (YYYY-MM-DD)`}},
	} {
		r := xs2a(t, dir, "", nil, c.args...)
		oneErrorLine(t, strings.Join(c.args, " "), r, 2, c.want...)
		if strings.Contains(r.stderr, "takes no arguments") || strings.Contains(r.stderr, "Did you mean this") {
			t.Errorf("%v: cobra's wording left: %q", c.args, r.stderr)
		}
	}
}

func TestVersionFlagPrintsWhatVersionPrints(t *testing.T) {
	dir := t.TempDir()
	v := xs2a(t, dir, "", nil, "version")
	f := xs2a(t, dir, "", nil, "--version")
	if f.code != 0 || v.code != 0 || f.stderr != "" {
		t.Fatalf("--version: exit %d, stderr %q; version: exit %d", f.code, f.stderr, v.code)
	}
	if !strings.HasPrefix(f.stdout, "xs2a ") || f.stdout != v.stdout {
		t.Errorf("--version printed %q; `xs2a version` %q", f.stdout, v.stdout)
	}
	// -v stays --verbose: --version does not take it.
	if r := xs2a(t, dir, "", nil, "-v", "version"); r.code != 0 || r.stdout != v.stdout {
		t.Errorf("-v version: exit %d, stdout %q", r.code, r.stdout)
	}
}

// TestColourOfEarlyErrors runs xs2a with stderr on a pseudo-terminal, where
// the error line is red unless --no-color, XS2A_NO_COLOR or a non-empty
// NO_COLOR says otherwise, also when the error comes before the config is
// read (a bad flag, a missing config file).
func TestColourOfEarlyErrors(t *testing.T) {
	dir := t.TempDir()
	const red = "\x1b[31mxs2a: error:"
	for _, c := range []struct {
		name string
		env  []string
		args []string
		red  bool
	}{
		{"bad flag, colour allowed (control)", nil, []string{"sign", "--frobnicate"}, true},
		{"empty NO_COLOR does not switch colour off", []string{"NO_COLOR="}, []string{"sign", "--frobnicate"}, true},
		{"bad flag with --no-color", nil, []string{"--no-color", "sign", "--frobnicate"}, false},
		{"bad flag with --no-color after it", nil, []string{"sign", "--frobnicate", "--no-color"}, false},
		{"bad flag value with --no-color=true", nil, []string{"--no-color=true", "authorize", "--timeout", "x"}, false},
		{"--no-color=false keeps colour", nil, []string{"--no-color=false", "sign", "--frobnicate"}, true},
		{"unknown command with --no-color", nil, []string{"--no-color", "consnt"}, false},
		{"missing config with --no-color", nil, []string{"--no-color", "--config", "nope.yaml", "version"}, false},
		{"missing config, colour allowed (control)", nil, []string{"--config", "nope.yaml", "version"}, true},
		{"XS2A_NO_COLOR", []string{"XS2A_NO_COLOR=1"}, []string{"--config", "nope.yaml", "version"}, false},
		{"NO_COLOR=1", []string{"NO_COLOR=1"}, []string{"sign", "--frobnicate"}, false},
	} {
		code, stderr := runOnTerminal(t, dir, c.env, c.args...)
		if code != 2 {
			t.Errorf("%s: exit %d; want 2\nstderr: %q", c.name, code, stderr)
		}
		if got := strings.Contains(stderr, red); got != c.red {
			t.Errorf("%s: red error line %v; want %v\nstderr: %q", c.name, got, c.red, stderr)
		}
		if !c.red && strings.Contains(stderr, "\x1b[") {
			t.Errorf("%s: an escape sequence on stderr: %q", c.name, stderr)
		}
		if !strings.Contains(stderr, "xs2a: error:") {
			t.Errorf("%s: no error line: %q", c.name, stderr)
		}
	}
}

// runOnTerminal runs xs2a with stderr on a pseudo-terminal (stdout is a
// pipe) and no NO_COLOR unless env sets one; it returns the exit code and
// what the terminal showed.
func runOnTerminal(t *testing.T, dir string, env []string, args ...string) (int, string) {
	t.Helper()
	master, slave := openPTY(t)
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	home := t.TempDir()
	cmd.Env = append([]string{"HOME=" + home, "XDG_CONFIG_HOME=" + filepath.Join(home, ".config"),
		"XDG_STATE_HOME=" + filepath.Join(home, ".state"), "PATH=" + os.Getenv("PATH"), "TERM=xterm"}, env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, slave
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	slave.Close()
	var tty bytes.Buffer
	copied := make(chan struct{})
	go func() { _, _ = io.Copy(&tty, master); close(copied) }() // ends with EIO once the child is gone
	err := cmd.Wait()
	select {
	case <-copied:
	case <-time.After(5 * time.Second):
		t.Errorf("xs2a %v: the terminal was not closed", args)
	}
	master.Close()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return code, strings.ReplaceAll(tty.String(), "\r\n", "\n")
}
