package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"
	"github.com/xs2a-dev/xs2a/cmd/xs2a/internal/cmdutil"
	"github.com/xs2a-dev/xs2a/pkg/budget"
	"github.com/xs2a-dev/xs2a/pkg/iostreams"
	"github.com/xs2a-dev/xs2a/pkg/xs2a"
)

// runRoot runs the real command tree, plus extra commands, through the
// boundary and returns the exit code, stdout and stderr.
func runRoot(t *testing.T, extra []*cobra.Command, args ...string) (int, string, string) {
	t.Helper()
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_CONFIG_HOME", home)
	for _, k := range []string{"XS2A_CONFIG", "XS2A_PROFILE", "XS2A_OUTPUT", "XS2A_RECORD"} {
		t.Setenv(k, "")
	}
	ios, _, out, errOut := iostreams.Test()
	f := &cmdutil.Factory{IO: ios, Now: time.Now, Version: "test"}
	root := NewCmdRoot(f)
	root.AddCommand(extra...)
	code := execute(context.Background(), root, args, ios, func() bool { return errorsAsJSON(root, f, args) }, func() string { return invocationOf(f) })
	return code, out.String(), errOut.String()
}

// returning is a command that returns err as it is: no wrapping, no
// ExitError, as a command that forgot them would.
func returning(err error) *cobra.Command {
	return &cobra.Command{Use: "fail", Args: cmdutil.NoArgs, RunE: func(*cobra.Command, []string) error { return err }}
}

// TestUnwrappedErrorsGetTheirCodeAtTheBoundary: the exit code and hint of
// a network failure come from app.Run's one Classify, not from the command.
func TestUnwrappedErrorsGetTheirCodeAtTheBoundary(t *testing.T) {
	sent := func(err error) error {
		return fmt.Errorf("GET /v1/card-accounts: %w", &url.Error{Op: "Get", URL: "https://bank.example/v1/card-accounts", Err: err})
	}
	tests := []struct {
		name string
		err  error
		code int
		line string // what the one stderr line must contain; "" for none
	}{
		{"the bank's TOKEN_EXPIRED", sent(&xs2a.APIError{Status: 401, Messages: []xs2a.TPPMessage{{Code: "TOKEN_EXPIRED"}}}), cmdutil.ExitAuth, "answered 401 TOKEN_EXPIRED; hint: run `xs2a token refresh`"},
		{"the bank's SIGNATURE_INVALID", &xs2a.APIError{Status: 401, Messages: []xs2a.TPPMessage{{Code: "SIGNATURE_INVALID"}}}, cmdutil.ExitSignature, "hint: capture the request"},
		{"the bank's FORMAT_ERROR", sent(&xs2a.APIError{Status: 400, Messages: []xs2a.TPPMessage{{Code: "FORMAT_ERROR"}}}), cmdutil.ExitRejected, "answered 400 FORMAT_ERROR"},
		{"the budget", sent(&budget.ExceededError{Budget: budget.BudgetDaily, Limit: 4, ZoneName: "UTC"}), cmdutil.ExitBudget, "daily limit"},
		{"Ctrl-C", sent(context.Canceled), cmdutil.ExitInterrupted, "xs2a: error: interrupted"},
		{"anything else", errors.New("disk full"), cmdutil.ExitFailure, "xs2a: error: disk full"},
		{"a report already printed", cmdutil.Silent(cmdutil.ExitChanged), cmdutil.ExitChanged, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, stderr := runRoot(t, []*cobra.Command{returning(tt.err)}, "fail")
			if code != tt.code {
				t.Errorf("exit %d; want %d (stderr %q)", code, tt.code, stderr)
			}
			if out != "" {
				t.Errorf("stdout %q; want nothing", out)
			}
			if tt.line == "" {
				if stderr != "" {
					t.Errorf("stderr %q; want nothing", stderr)
				}
				return
			}
			if strings.Count(stderr, "\n") != 1 || !strings.HasPrefix(stderr, "xs2a: error: ") || !strings.Contains(stderr, tt.line) {
				t.Errorf("stderr %q; want one xs2a: error: line with %q", stderr, tt.line)
			}
		})
	}
}

// TestErrorsAsJSON: with -o json the error is one JSON object on one
// stderr line with what the bank said, stdout stays empty; the text line
// is the same error's.
func TestErrorsAsJSON(t *testing.T) {
	bank := &xs2a.APIError{Status: 429, RequestID: "rid-7", RetryAfter: "3600",
		Messages: []xs2a.TPPMessage{{Code: "ACCESS_EXCEEDED", Text: "consent \"c1\" allows 4 accesses a day without the PSU"}}}
	type object struct {
		Error struct {
			Message   string  `json:"message"`
			ExitCode  int     `json:"exit_code"`
			Code      *string `json:"code"`
			Status    *int    `json:"status"`
			RequestID *string `json:"request_id"`
			Hint      *string `json:"hint"`
		} `json:"error"`
	}
	decode := func(t *testing.T, stderr string) object {
		t.Helper()
		var o object
		if strings.Count(stderr, "\n") != 1 || json.Unmarshal([]byte(stderr), &o) != nil {
			t.Fatalf("stderr %q is not one JSON line", stderr)
		}
		return o
	}
	for _, args := range [][]string{{"-o", "json", "fail"}, {"fail", "--output=json"}} {
		code, out, stderr := runRoot(t, []*cobra.Command{returning(fmt.Errorf("GET /v1/card-accounts: %w", bank))}, args...)
		o := decode(t, stderr)
		e := o.Error
		if code != cmdutil.ExitRejected || out != "" || e.ExitCode != code || e.Code == nil || *e.Code != "ACCESS_EXCEEDED" ||
			e.Status == nil || *e.Status != 429 || e.RequestID == nil || *e.RequestID != "rid-7" || e.Hint == nil ||
			!strings.Contains(*e.Hint, "xs2a consent create") || !strings.Contains(e.Message, "answered 429 ACCESS_EXCEEDED") ||
			strings.Contains(e.Message, "hint:") {
			t.Errorf("%v: exit %d, stdout %q, object %+v", args, code, out, e)
		}
	}
	// An error without a bank: its members are null, the shape the same.
	code, _, stderr := runRoot(t, nil, "-o", "json", "frobnicate")
	e := decode(t, stderr).Error
	if code != cmdutil.ExitUsage || e.ExitCode != 2 || e.Code != nil || e.Status != nil || e.RequestID != nil || !strings.Contains(stderr, `"code":null`) {
		t.Errorf("unknown command: exit %d, %s", code, stderr)
	}
	// Text mode: the same error, the one line of old.
	code, _, stderr = runRoot(t, []*cobra.Command{returning(bank)}, "fail")
	if code != cmdutil.ExitRejected || !strings.HasPrefix(stderr, "xs2a: error: the ASPSP answered 429 ACCESS_EXCEEDED") || !strings.Contains(stderr, "; hint: ACCESS_EXCEEDED: the consent's frequencyPerDay") {
		t.Errorf("text: exit %d, %q", code, stderr)
	}
}

// TestCobraUsageErrorsAreExit2 goes through each way cobra itself refuses
// a command line; each is recognised by where it arises, not its text.
func TestCobraUsageErrorsAreExit2(t *testing.T) {
	for _, args := range [][]string{
		{"frobnicate"},                 // the root's lookup
		{"acounts"},                    // the same, with a suggestion
		{"--frobnicate"},               // flag parsing, the root
		{"version", "--frobnicate"},    // flag parsing, a command
		{"flow", "--timeout", "soon"},  // a flag's value
		{"completion", "bash", "more"}, // cobra's own validator, wrapped
		{"version", "extra"},           // cmdutil.NoArgs
		{"certs"},                      // cmdutil.MissingSubcommand
		{"certs", "inspect"},           // cmdutil.ExactArgs
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			code, out, stderr := runRoot(t, nil, args...)
			if code != cmdutil.ExitUsage || out != "" || strings.Count(stderr, "\n") != 1 || !strings.HasPrefix(stderr, "xs2a: error: ") {
				t.Errorf("exit %d, stdout %q, stderr %q; want exit 2 and one xs2a: error: line", code, out, stderr)
			}
		})
	}
	code, out, _ := runRoot(t, nil)
	if code != 0 || !strings.Contains(out, "Usage:") {
		t.Errorf("no arguments: exit %d, %q; want the help and 0", code, out)
	}
}

// TestNoCobraRuleWithPlainErrors: cobra returns a required flag's and a
// "one required" group's violations as plain errors after every hook
// above, which would exit 1; no command may use them (check in RunE and
// return cmdutil.UsageErrorf). Run with no flags set, cobra's own checks
// find any such rule.
func TestNoCobraRuleWithPlainErrors(t *testing.T) {
	ios, _, _, _ := iostreams.Test()
	var walk func(*cobra.Command)
	walk = func(c *cobra.Command) {
		if err := c.ValidateRequiredFlags(); err != nil {
			t.Errorf("%s: %v: return cmdutil.UsageErrorf from RunE instead", c.CommandPath(), err)
		}
		if err := c.ValidateFlagGroups(); err != nil {
			t.Errorf("%s: %v: return cmdutil.UsageErrorf from RunE instead", c.CommandPath(), err)
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(NewCmdRoot(&cmdutil.Factory{IO: ios, Now: time.Now}))
}

// The commands an error names are said with the --config and -p the run
// was given, so that pasting one works on the same profile; without them,
// as they are.
func TestHintsNameTheProfileInUse(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "my config.yaml")
	if err := os.WriteFile(cfg, []byte("profiles:\n  exp:\n    base_url: https://bank.example\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	failing := returning(&cmdutil.ExitError{Code: cmdutil.ExitCertificate, Err: errors.New("the ASPSP answered 401 CERTIFICATE_EXPIRED"), Hint: "run `xs2a certs check`"})
	code, _, stderr := runRoot(t, []*cobra.Command{failing}, "--config", cfg, "-p", "exp", "fail")
	if want := "hint: run `xs2a --config '" + cfg + "' -p exp certs check`"; code != cmdutil.ExitCertificate || !strings.Contains(stderr, want) {
		t.Errorf("exit %d, stderr %q; want %q", code, stderr, want)
	}
	failing = returning(&cmdutil.ExitError{Code: cmdutil.ExitCertificate, Err: errors.New("x"), Hint: "run `xs2a certs check`"})
	if _, _, stderr = runRoot(t, []*cobra.Command{failing}, "fail"); !strings.Contains(stderr, "hint: run `xs2a certs check`") {
		t.Errorf("no flags given: %q", stderr)
	}
}
