package cmdutil

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"

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
	ExitNoFunds     = 9 // --exit-status: funds-confirmation's fundsAvailable false, payment status's RJCT or CANC
	ExitInterrupted = 130
)

// ExitError carries an exit code chosen where the error arose, by code that
// knows more than the error's type says (a usage error, a report already
// printed). Classify honours it before any rule of its own. Silent errors
// have already told the user everything (a report was printed) and add no
// line of their own. Hint, when set, is the next step.
type ExitError struct {
	Code   int
	Err    error
	Silent bool
	Hint   string
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

// hintError is an error whose next step is known where it arose (a
// refresh token the bank refuses): the exit code stays the rules' own, the
// hint replaces theirs, so the line still gives one next step.
type hintError struct {
	err  error
	hint string
}

func (e *hintError) Error() string { return e.err.Error() }
func (e *hintError) Unwrap() error { return e.err }

// WithHint gives err the next step hint; nil stays nil.
func WithHint(err error, hint string) error {
	if err == nil {
		return nil
	}
	return &hintError{err: err, hint: hint}
}

// Failure is an error as the user reads it: the exit code, the line, the
// one next step, and what the bank said (its Berlin Group code, the HTTP
// status and the X-Request-ID to quote to its support). The root prints
// Line in text mode and JSON with -o json.
type Failure struct {
	ExitCode int
	Message  string
	Hint     string
	// Code is the bank's Berlin Group code (the first of its tppMessages),
	// else the token endpoint's OAuth error; Status the HTTP status of the
	// answer; RequestID its X-Request-ID. Empty when no answer came.
	Code      string
	Status    int
	RequestID string
	// Silent: the command printed its report and adds no line.
	Silent bool
}

// Line is the text after "xs2a: error: ": the message, then the hint.
func (f Failure) Line() string {
	if f.Silent || f.Message == "" {
		return ""
	}
	if f.Hint == "" {
		return f.Message
	}
	return f.Message + "; hint: " + f.Hint
}

// JSON is the error object -o json writes to stderr, every member present
// (null when unknown) so a script reads one shape:
// {"error":{"message","exit_code","code","status","request_id","hint"}}.
func (f Failure) JSON() []byte {
	orNull := func(s string) *string {
		if s == "" {
			return nil
		}
		return &s
	}
	type object struct {
		Message   string  `json:"message"`
		ExitCode  int     `json:"exit_code"`
		Code      *string `json:"code"`
		Status    *int    `json:"status"`
		RequestID *string `json:"request_id"`
		Hint      *string `json:"hint"`
	}
	o := object{Message: f.Message, ExitCode: f.ExitCode, Code: orNull(f.Code), RequestID: orNull(f.RequestID), Hint: orNull(f.Hint)}
	if f.Status != 0 {
		o.Status = &f.Status
	}
	b, _ := json.Marshal(struct {
		Error object `json:"error"`
	}{o})
	return b
}

// Classify is the one map from an error to its exit code and the line the
// user reads (without the "xs2a: error:" prefix; "" for a Silent error):
// Describe's code and Line.
func Classify(err error) (code int, message string) {
	f := Describe(err)
	return f.ExitCode, f.Line()
}

// Describe is the one map from an error to what the user reads of it. It
// is applied once, where an error leaves a command: the root's execute
// (package app, under Run and RunFactory), and flow's step recorder.
// Commands return plain wrapped errors: the rules below find the type
// anywhere in the chain (errors.As), so a command never has to remember to
// classify, and rewording a message changes no code.
//
// An *ExitError anywhere in the chain wins with its code, message and hint
// as written; otherwise the first rule that recognises the error gives the
// code and may add the next step as a hint; an error no rule knows is 1.
// A hint given with WithHint replaces the rule's.
func Describe(err error) Failure {
	if err == nil {
		return Failure{ExitCode: ExitOK}
	}
	f := Failure{ExitCode: ExitFailure, Message: err.Error()}
	var ee *ExitError
	if errors.As(err, &ee) {
		if ee.Silent {
			return Failure{ExitCode: ee.Code, Silent: true}
		}
		f = Failure{ExitCode: ee.Code, Message: err.Error(), Hint: ee.Hint}
	} else {
		for _, rule := range rules {
			if r, ok := rule(err); ok {
				f = r
				break
			}
		}
	}
	var he *hintError
	if errors.As(err, &he) {
		f.Hint = he.hint
	}
	answered(err, &f)
	return f
}

// answered fills what the bank's answer in err said: the Berlin Group
// code, the status and the X-Request-ID.
func answered(err error, f *Failure) {
	var ae *xs2a.APIError
	var oe *oauth.Error
	switch {
	case errors.As(err, &ae):
		f.Status, f.RequestID = ae.Status, ae.RequestID
		if len(ae.Messages) > 0 {
			f.Code = ae.Messages[0].Code
		}
	case errors.As(err, &oe):
		f.Status, f.Code = oe.Status, oe.Code
		if msgs := tokenEndpointMessages(oe); len(msgs) > 0 {
			f.Code = msgs[0].Code
		}
	}
}

// A rule recognises an error by its type and gives what the user reads of
// it (at least its exit code and message), or reports false.
type rule func(error) (Failure, bool)

// rules in the order they are tried: the more specific first (an
// APIError inside a url.Error is the bank's answer, not a network failure).
var rules = []rule{
	redirectRule, linkRule, budgetRule, apiRule, oauthRule, loopbackRule,
	fileRule, tlsVerifyRule, tlsAlertRule, canceledRule, networkRule,
}

// is is a Failure of code with err's message.
func is(code int, err error) Failure { return Failure{ExitCode: code, Message: err.Error()} }

// hinted is a Failure of code with err's message and the next step.
func hinted(code int, err error, hint string) Failure {
	return Failure{ExitCode: code, Message: err.Error(), Hint: hint}
}

// redirectRule: a 3xx answer to an API call, which xs2a never follows.
func redirectRule(err error) (Failure, bool) {
	var re *origin.RedirectError
	if !errors.As(err, &re) {
		return Failure{}, false
	}
	return Failure{ExitCode: ExitRejected, Message: err.Error() + "; configure the final URL in the profile: base_url"}, true
}

// linkRule: a link from the bank that xs2a refuses to follow.
func linkRule(err error) (Failure, bool) {
	var le *origin.LinkError
	return is(ExitRejected, err), errors.As(err, &le)
}

// budgetRule: a call refused before it was sent. The message is the
// budget's alone: the URL a wrapper names was never called.
func budgetRule(err error) (Failure, bool) {
	var be *budget.ExceededError
	if !errors.As(err, &be) {
		return Failure{}, false
	}
	return is(ExitBudget, be), true
}

// apiRule: the ASPSP's error answer, classified by its Berlin Group codes.
func apiRule(err error) (Failure, bool) {
	var ae *xs2a.APIError
	if !errors.As(err, &ae) {
		return Failure{}, false
	}
	return hinted(apiCode(ae), err, ae.Hint()), true
}

// apiCode is the exit code of the bank's Berlin Group codes, wherever
// they came from (the API, or the token endpoint's answer).
func apiCode(ae *xs2a.APIError) int {
	switch {
	case ae.HasCode("SIGNATURE_INVALID") || ae.HasCode("SIGNATURE_MISSING"):
		return ExitSignature
	case ae.CertificateProblem(): // the CERTIFICATE_* codes
		return ExitCertificate
	case ae.AuthProblem():
		return ExitAuth
	}
	return ExitRejected
}

// tokenEndpointMessages are the Berlin Group tppMessages a token
// endpoint's error answer carries beside RFC 6749's error (the sandbox
// sends the QWAC's judgement there: CERTIFICATE_EXPIRED).
// A gateway that puts the Berlin Group code in the OAuth error itself
// ({"error":"CERTIFICATE_EXPIRED"}) is read the same way.
func tokenEndpointMessages(oe *oauth.Error) []xs2a.TPPMessage {
	if msgs := xs2a.DecodeErrorBody([]byte(oe.Body)).Messages(); len(msgs) > 0 {
		return msgs
	}
	if strings.HasPrefix(oe.Code, "CERTIFICATE_") || strings.HasPrefix(oe.Code, "SIGNATURE_") {
		return []xs2a.TPPMessage{{Category: "ERROR", Code: oe.Code, Text: oe.Description}}
	}
	return nil
}

// oauthRule: the token endpoint's error answer, an answer xs2a will not
// use, or metadata of another issuer: 4, unless the answer names a
// certificate or signature code, which has the code it has on the API.
func oauthRule(err error) (Failure, bool) {
	var oe *oauth.Error
	var ae *oauth.AnswerError
	var ie *oauth.IssuerError
	if errors.As(err, &oe) {
		if msgs := tokenEndpointMessages(oe); len(msgs) > 0 {
			api := &xs2a.APIError{Status: oe.Status, Messages: msgs}
			if code := apiCode(api); code == ExitCertificate || code == ExitSignature {
				return hinted(code, err, api.Hint()), true
			}
		}
		if oe.Code == "invalid_client" {
			return hinted(ExitAuth, err, "the ASPSP refuses the client's credentials: check the profile's client_id and client_secret (`xs2a config show`); a sandbox restarted without --data makes new ones, which its --write-profile writes"), true
		}
		return is(ExitAuth, err), true
	}
	return is(ExitAuth, err), errors.As(err, &ae) || errors.As(err, &ie)
}

// loopbackRule: the bank's refusal delivered to the redirect URI is an
// authorisation problem; a redirect URI that is not registered, or whose
// port is taken, is fixed in the profile: usage.
func loopbackRule(err error) (Failure, bool) {
	var ae *loopback.AuthError
	var re *loopback.RegistrationError
	var pe *loopback.PortInUseError
	switch {
	case errors.As(err, &ae) && ae.Code == "invalid_scope":
		// The scope names the consent (or payment): a bank that refuses it
		// most often no longer knows that resource (expired, deleted, a
		// sandbox restarted without --data).
		return hinted(ExitAuth, err, "the ASPSP refuses the scope, which names the consent: if it no longer knows the consent (`xs2a consent status`), `xs2a consent create` makes a new one to authorize"), true
	case errors.As(err, &ae):
		return is(ExitAuth, err), true
	case errors.As(err, &re), errors.As(err, &pe):
		return is(ExitUsage, err), true
	}
	return Failure{}, false
}

// fileRule: a certificate or key file that does not exist was named by
// the user (usage); one that is not what it should be is a certificate or
// key problem (as FileError).
func fileRule(err error) (Failure, bool) {
	var fe *pemfile.Error
	var me *pemfile.MatchError
	switch {
	case errors.Is(err, pemfile.ErrNotFound):
		return is(ExitUsage, err), true
	case errors.As(err, &fe), errors.As(err, &me):
		return is(ExitCertificate, err), true
	}
	return Failure{}, false
}

// tlsVerifyRule: the ASPSP's server certificate did not verify.
func tlsVerifyRule(err error) (Failure, bool) {
	var cve *tls.CertificateVerificationError
	var uae x509.UnknownAuthorityError
	var hne x509.HostnameError
	var cie x509.CertificateInvalidError
	var le *mtls.LookalikeError
	if errors.As(err, &le) {
		return hinted(ExitCertificate, err, le.Explanation+"; point ca_bundle at the ca.pem of the set the ASPSP serves (for the sandbox: its --certs directory)"), true
	}
	if errors.As(err, &cve) || errors.As(err, &uae) || errors.As(err, &hne) || errors.As(err, &cie) {
		return hinted(ExitCertificate, err, "the ASPSP's server certificate is not trusted: set ca_bundle in the profile (for the sandbox: its ca.pem)"), true
	}
	return Failure{}, false
}

// tlsAlertRule: the server sent a TLS alert, or answered the handshake in
// plain HTTP. crypto/tls reports a received alert as a *net.OpError whose
// Op is "remote error" (the alert type itself is unexported); at the
// handshake it is almost always the client certificate that was refused.
// An answer that is no TLS record is tls.RecordHeaderError: the URL says
// https to a plain-HTTP port.
func tlsAlertRule(err error) (Failure, bool) {
	var oe *net.OpError
	if errors.As(err, &oe) && oe.Op == "remote error" {
		return hinted(ExitCertificate, err, "the ASPSP refused the TLS handshake, usually the client certificate: check qwac_cert/qwac_key (xs2a certs check)"), true
	}
	var rh tls.RecordHeaderError
	if errors.Is(err, http.ErrSchemeMismatch) || errors.As(err, &rh) {
		return hinted(ExitCertificate, err, "the server answered the TLS handshake in plain HTTP: the URL's port is not the ASPSP's https port (check base_url and token_url)"), true
	}
	return Failure{}, false
}

// canceledRule: Ctrl-C (or SIGTERM) cancelled the command's context.
func canceledRule(err error) (Failure, bool) {
	if errors.Is(err, context.Canceled) {
		return Failure{ExitCode: ExitInterrupted, Message: "interrupted"}, true
	}
	return Failure{}, false
}

// networkRule: a request that did not reach the ASPSP or got no answer
// (refused, unresolvable, timed out, cut). Listening and accepting are
// this machine's side, not the ASPSP's: no hint for those.
func networkRule(err error) (Failure, bool) {
	var ne net.Error
	if !errors.As(err, &ne) {
		return Failure{}, false
	}
	var oe *net.OpError
	if errors.As(err, &oe) && (oe.Op == "listen" || oe.Op == "accept") {
		return is(ExitFailure, err), true
	}
	return hinted(ExitFailure, err, "is the ASPSP reachable at "+endpointWhere(err, "the profile's base_url")+"?"), true
}

// unreachedHint is networkRule's next step for a request that got no
// answer and names no profile key (no EndpointError): the token endpoint's
// calls name token_url instead (tokenError).
const unreachedHint = "is the ASPSP reachable at the profile's base_url?"

// CodeOf is Classify's exit code alone.
func CodeOf(err error) int {
	code, _ := Classify(err)
	return code
}
