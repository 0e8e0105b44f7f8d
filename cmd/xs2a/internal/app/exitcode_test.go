package app

import (
	"context"
	"errors"
	"fmt"
	"net/url"
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
	code := execute(context.Background(), root, args, ios)
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
		{"the bank's SIGNATURE_INVALID", &xs2a.APIError{Status: 401, Messages: []xs2a.TPPMessage{{Code: "SIGNATURE_INVALID"}}}, cmdutil.ExitSignature, "hint: save the request"},
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
