package cmdutil

import (
	"errors"
	"fmt"

	"github.com/xs2a-dev/xs2a/pkg/budget"
)

// Exit codes: one table for every command, documented in README.md.
const (
	ExitOK          = 0
	ExitFailure     = 1 // failure not otherwise classified (I/O, internal)
	ExitUsage       = 2 // bad flag, argument, input file or config
	ExitRejected    = 3 // the ASPSP (or sandbox) rejected the request
	ExitAuth        = 4 // token, consent or OAuth authorisation problem
	ExitCertificate = 5 // TLS, certificate or key problem
	ExitSignature   = 6 // signature invalid
	ExitChanged     = 7 // replay: an answer differs from the recorded one
	ExitBudget      = 8 // --strict-budget: a call beyond the budget was not sent
	ExitInterrupted = 130
)

// ExitError carries an exit code. Silent errors have already told the user
// everything (a report was printed) and add no line of their own.
type ExitError struct {
	Code   int
	Err    error
	Silent bool
}

func (e *ExitError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("exit %d", e.Code)
	}
	return e.Err.Error()
}

func (e *ExitError) Unwrap() error { return e.Err }

// UsageErrorf is a bad flag, argument or input: exit 2.
func UsageErrorf(format string, a ...any) error {
	return &ExitError{Code: ExitUsage, Err: fmt.Errorf(format, a...)}
}

// UsageError wraps err as a usage error.
func UsageError(err error) error { return &ExitError{Code: ExitUsage, Err: err} }

// CertError wraps a certificate or key problem: exit 5.
func CertError(err error) error { return &ExitError{Code: ExitCertificate, Err: err} }

// Silent exits with code without printing a line (the command printed its report).
func Silent(code int) error { return &ExitError{Code: code, Silent: true} }

// CodeOf maps an error to its exit code.
func CodeOf(err error) int {
	if err == nil {
		return ExitOK
	}
	var ee *ExitError
	if errors.As(err, &ee) {
		return ee.Code
	}
	var be *budget.ExceededError
	if errors.As(err, &be) {
		return ExitBudget
	}
	return ExitFailure
}
