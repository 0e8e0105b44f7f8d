package cmdutil

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"

	"github.com/xs2a-dev/xs2a/pkg/budget"
	"github.com/xs2a-dev/xs2a/pkg/loopback"
	"github.com/xs2a-dev/xs2a/pkg/mtls"
	"github.com/xs2a-dev/xs2a/pkg/oauth"
	"github.com/xs2a-dev/xs2a/pkg/origin"
	"github.com/xs2a-dev/xs2a/pkg/pemfile"
	"github.com/xs2a-dev/xs2a/pkg/xs2a"
)

// Exit codes: one table for every command, documented in README.md. The
// map from an error to its code is Classify, below.
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

// ExitError carries an exit code chosen where the error arose, by code that
// knows more than the error's type says (a usage error, a report already
// printed). Classify honours it before any rule of its own. Silent errors
// have already told the user everything (a report was printed) and add no
// line of their own.
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

// Classify is the one map from an error to its exit code and the line the
// user reads (without the "xs2a: error:" prefix; "" for a Silent error). It
// is applied once, where an error leaves a command: the root's execute
// (package app, under Run and RunFactory), and flow's step recorder.
// Commands return plain wrapped errors: the rules below find the type
// anywhere in the chain (errors.As), so a command never has to remember to
// classify, and rewording a message changes no code.
//
// An *ExitError anywhere in the chain wins with its code and message as
// written; otherwise the first rule that recognises the error gives the
// code and may add the next step as a hint; an error no rule knows is 1.
func Classify(err error) (code int, message string) {
	if err == nil {
		return ExitOK, ""
	}
	var ee *ExitError
	if errors.As(err, &ee) {
		if ee.Silent {
			return ee.Code, ""
		}
		return ee.Code, err.Error()
	}
	for _, rule := range rules {
		if code, message, ok := rule(err); ok {
			return code, message
		}
	}
	return ExitFailure, err.Error()
}

// A rule recognises an error by its type and gives its exit code and
// message, or reports false.
type rule func(error) (code int, message string, ok bool)

// rules in the order they are tried: the more specific first (an
// APIError inside a url.Error is the bank's answer, not a network failure).
var rules = []rule{
	redirectRule, linkRule, budgetRule, apiRule, oauthRule, loopbackRule,
	fileRule, tlsVerifyRule, tlsAlertRule, canceledRule, networkRule,
}

func hinted(err error, hint string) string { return err.Error() + "; hint: " + hint }

// redirectRule: a 3xx answer to an API call, which xs2a never follows.
func redirectRule(err error) (int, string, bool) {
	var re *origin.RedirectError
	if !errors.As(err, &re) {
		return 0, "", false
	}
	return ExitRejected, err.Error() + "; configure the final URL in the profile: base_url", true
}

// linkRule: a link from the bank that xs2a refuses to follow.
func linkRule(err error) (int, string, bool) {
	var le *origin.LinkError
	return ExitRejected, err.Error(), errors.As(err, &le)
}

// budgetRule: a call refused before it was sent. The message is the
// budget's alone: the URL a wrapper names was never called.
func budgetRule(err error) (int, string, bool) {
	var be *budget.ExceededError
	if !errors.As(err, &be) {
		return 0, "", false
	}
	return ExitBudget, be.Error(), true
}

// apiRule: the ASPSP's error answer, classified by its Berlin Group codes.
func apiRule(err error) (int, string, bool) {
	var ae *xs2a.APIError
	if !errors.As(err, &ae) {
		return 0, "", false
	}
	code := ExitRejected
	switch {
	case ae.HasCode("SIGNATURE_INVALID") || ae.HasCode("SIGNATURE_MISSING"):
		code = ExitSignature
	case ae.SignatureProblem(): // the CERTIFICATE_* codes
		code = ExitCertificate
	case ae.AuthProblem():
		code = ExitAuth
	}
	if h := ae.Hint(); h != "" {
		return code, hinted(err, h), true
	}
	return code, err.Error(), true
}

// oauthRule: the token endpoint's error answer, an answer xs2a will not
// use, or metadata of another issuer.
func oauthRule(err error) (int, string, bool) {
	var oe *oauth.Error
	var ae *oauth.AnswerError
	var ie *oauth.IssuerError
	return ExitAuth, err.Error(), errors.As(err, &oe) || errors.As(err, &ae) || errors.As(err, &ie)
}

// loopbackRule: the bank's refusal delivered to the redirect URI is an
// authorisation problem; a redirect URI that is not registered, or whose
// port is taken, is fixed in the profile: usage.
func loopbackRule(err error) (int, string, bool) {
	var ae *loopback.AuthError
	var re *loopback.RegistrationError
	var pe *loopback.PortInUseError
	switch {
	case errors.As(err, &ae):
		return ExitAuth, err.Error(), true
	case errors.As(err, &re), errors.As(err, &pe):
		return ExitUsage, err.Error(), true
	}
	return 0, "", false
}

// fileRule: a certificate or key file that does not exist was named by
// the user (usage); one that is not what it should be is a certificate or
// key problem (as FileError).
func fileRule(err error) (int, string, bool) {
	var fe *pemfile.Error
	var me *pemfile.MatchError
	switch {
	case errors.Is(err, pemfile.ErrNotFound):
		return ExitUsage, err.Error(), true
	case errors.As(err, &fe), errors.As(err, &me):
		return ExitCertificate, err.Error(), true
	}
	return 0, "", false
}

// tlsVerifyRule: the ASPSP's server certificate did not verify.
func tlsVerifyRule(err error) (int, string, bool) {
	var cve *tls.CertificateVerificationError
	var uae x509.UnknownAuthorityError
	var hne x509.HostnameError
	var cie x509.CertificateInvalidError
	var le *mtls.LookalikeError
	if errors.As(err, &le) {
		return ExitCertificate, hinted(err, le.Explanation+"; point ca_bundle at the ca.pem of the set the ASPSP serves (for the sandbox: its --certs directory)"), true
	}
	if errors.As(err, &cve) || errors.As(err, &uae) || errors.As(err, &hne) || errors.As(err, &cie) {
		return ExitCertificate, hinted(err, "the ASPSP's server certificate is not trusted: set ca_bundle in the profile (for the sandbox: its ca.pem)"), true
	}
	return 0, "", false
}

// tlsAlertRule: the server sent a TLS alert. crypto/tls reports a received
// alert as a *net.OpError whose Op is "remote error" (the alert type
// itself is unexported); at the handshake it is almost always the client
// certificate that was refused.
func tlsAlertRule(err error) (int, string, bool) {
	var oe *net.OpError
	if errors.As(err, &oe) && oe.Op == "remote error" {
		return ExitCertificate, hinted(err, "the ASPSP refused the TLS handshake, usually the client certificate: check qwac_cert/qwac_key (xs2a certs check)"), true
	}
	return 0, "", false
}

// canceledRule: Ctrl-C (or SIGTERM) cancelled the command's context.
func canceledRule(err error) (int, string, bool) {
	if errors.Is(err, context.Canceled) {
		return ExitInterrupted, "interrupted", true
	}
	return 0, "", false
}

// networkRule: a request that did not reach the ASPSP or got no answer
// (refused, unresolvable, timed out, cut). Listening and accepting are
// this machine's side, not the ASPSP's: no hint for those.
func networkRule(err error) (int, string, bool) {
	var ne net.Error
	if !errors.As(err, &ne) {
		return 0, "", false
	}
	var oe *net.OpError
	if errors.As(err, &oe) && (oe.Op == "listen" || oe.Op == "accept") {
		return ExitFailure, err.Error(), true
	}
	return ExitFailure, hinted(err, "is the ASPSP reachable at the profile's base_url?"), true
}

// CodeOf is Classify's exit code alone.
func CodeOf(err error) int {
	code, _ := Classify(err)
	return code
}
