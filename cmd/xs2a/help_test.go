package main_test

// Help as a new user reads it: the first example of `api --help` runs as
// written against the sandbox, flags show plain value names, and the
// examples are commands (the tree-wide rules are in app's help_test.go).

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// examplesOf is the Examples section of a --help output, a line each.
func examplesOf(t *testing.T, help string) []string {
	t.Helper()
	_, rest, ok := strings.Cut(help, "\nExamples:\n")
	if !ok {
		t.Fatalf("no Examples in help:\n%s", help)
	}
	section, _, _ := strings.Cut(rest, "\n\n")
	return strings.Split(section, "\n")
}

func TestAPIHelpsFirstExampleRunsAgainstTheSandbox(t *testing.T) {
	needCurl(t)
	u := authorizedUser(t)
	help := u.run("api", "--help")
	if help.code != 0 {
		t.Fatalf("api --help: exit %d %s", help.code, help.stderr)
	}
	first := strings.TrimSpace(examplesOf(t, help.stdout)[0])
	// As the user pastes it into a shell: the xs2a on PATH, the profile
	// from the config file.
	sh := exec.Command("sh", "-c", first)
	sh.Dir = u.dir
	sh.Env = append(append([]string{"PATH=" + filepath.Dir(bin) + string(os.PathListSeparator) + os.Getenv("PATH"), "NO_COLOR=1"}, u.env...), "XS2A_CONFIG="+u.cfg)
	out, err := sh.Output()
	if err != nil {
		var stderr string
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		t.Fatalf("first example %q: %v\n%s", first, err, stderr)
	}
	if !strings.Contains(string(out), `"cardAccounts"`) || !strings.Contains(string(out), "card-8693") {
		t.Errorf("first example %q printed %s", first, out)
	}
}

func TestHelpShowsPlainValueNamesAndOnlyCommandsAsExamples(t *testing.T) {
	dir := t.TempDir()
	ex := xs2a(t, dir, "", nil, "token", "exchange", "--help")
	for _, re := range []string{`(?m)^\s+--code CODE\s`, `(?m)^\s+--verifier VERIFIER\s`} {
		if !regexp.MustCompile(re).MatchString(ex.stdout) {
			t.Errorf("token exchange --help lacks %s:\n%s", re, ex.stdout)
		}
	}
	if regexp.MustCompile(`--(code|verifier) xs2a`).MatchString(ex.stdout) {
		t.Errorf("a command shown as a flag's value name:\n%s", ex.stdout)
	}
	for _, args := range [][]string{{"sandbox", "why"}, {}, {"accounts"}, {"version"}, {"completion", "bash"}} {
		r := xs2a(t, dir, "", nil, append(args, "--help")...)
		for _, line := range examplesOf(t, r.stdout) {
			if !strings.HasPrefix(strings.TrimSpace(line), "xs2a ") && !strings.Contains(line, "xs2a completion") {
				t.Errorf("xs2a %v --help: example line %q is not an xs2a command", args, line)
			}
		}
	}
}

// TestHelpHasNoControlBytes: the help of the commands whose id flags may
// be given without a value shows that default as printable text (a NUL
// marker there broke the terminal's line and the flags' alignment).
func TestHelpHasNoControlBytes(t *testing.T) {
	dir := t.TempDir()
	for _, args := range [][]string{{"authorize"}, {"flow"}} {
		r := xs2a(t, dir, "", nil, append(args, "--help")...)
		for i, c := range r.stdout {
			if (c < 0x20 && c != '\n') || c == 0x7f {
				t.Errorf("xs2a %v --help: control byte %q at %d: %q", args, c, i, r.stdout[max(0, i-40):i])
				break
			}
		}
		if !strings.Contains(r.stdout, `--piis string[="(remembered)"]`) {
			t.Errorf("xs2a %v --help: --piis's default without a value is not shown as (remembered):\n%s", args, r.stdout)
		}
	}
}
