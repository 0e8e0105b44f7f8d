package xs2a

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/xs2a-dev/xs2a/pkg/text"
)

// TPPMessage is one Berlin Group tppMessages entry.
type TPPMessage struct {
	Category string `json:"category"`
	Code     string `json:"code"`
	Path     string `json:"path,omitempty"`
	Text     string `json:"text,omitempty"`
}

// APIError is an ASPSP's error answer: the status, the Berlin Group codes
// and texts (tppMessages, or the RFC 7807 variant), and the X-Request-ID to
// quote to the bank's support.
type APIError struct {
	Status    int          `json:"status"`
	RequestID string       `json:"xRequestId,omitempty"`
	Messages  []TPPMessage `json:"tppMessages,omitempty"`
	// Body is the raw answer when it was neither form.
	Body string `json:"body,omitempty"`
	// Path is the URL path the request went to, RetryAfter the answer's
	// Retry-After and Rejection the sandbox's record of the rejection
	// (SandboxRejectionHeader): what the hint is chosen by.
	Path       string `json:"-"`
	RetryAfter string `json:"-"`
	Rejection  string `json:"-"`
}

// SandboxRejectionHeader is where `xs2a sandbox serve` names the record
// it keeps of a rejection (`xs2a sandbox why` reads it): an error answer
// that carries it is the sandbox's, so the hint can name the tool that sees
// what the sandbox saw.
const SandboxRejectionHeader = "X-Sandbox-Rejection"

// signatureCodes are the codes for which `xs2a sign verify` is the next
// step; certificateCodes those of the QWAC, the QSeal and their chain,
// which `xs2a certs check` sees and sign verify cannot.
var (
	signatureCodes   = []string{"SIGNATURE_INVALID", "SIGNATURE_MISSING"}
	certificateCodes = []string{"CERTIFICATE_INVALID", "CERTIFICATE_MISSING", "CERTIFICATE_EXPIRED", "CERTIFICATE_BLOCKED", "CERTIFICATE_REVOKED",
		// The certificate's PSD2 roles lack the service's: a property of
		// the certificate, fixed with another one.
		"ROLE_INVALID"}
)

// authCodes are the codes that mean: get a new token or consent.
var authCodes = []string{"TOKEN_UNKNOWN", "TOKEN_INVALID", "TOKEN_EXPIRED", "CONSENT_UNKNOWN", "CONSENT_INVALID", "CONSENT_EXPIRED", "PSU_CREDENTIALS_INVALID"}

// HasCode reports whether any message carries code.
func (e *APIError) HasCode(code string) bool {
	for _, m := range e.Messages {
		if m.Code == code {
			return true
		}
	}
	return false
}

// SignatureProblem reports a rejection `xs2a sign verify` can explain.
func (e *APIError) SignatureProblem() bool {
	return slices.ContainsFunc(signatureCodes, e.HasCode)
}

// CertificateProblem reports a rejection of a certificate or its chain
// (the CERTIFICATE_* codes).
func (e *APIError) CertificateProblem() bool {
	return slices.ContainsFunc(certificateCodes, e.HasCode)
}

// AuthProblem reports a token or consent rejection.
func (e *APIError) AuthProblem() bool { return slices.ContainsFunc(authCodes, e.HasCode) }

func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "the ASPSP answered %d", e.Status)
	seen := map[string]bool{}
	var codes []string
	for _, m := range e.Messages {
		if !seen[m.Code] {
			seen[m.Code] = true
			codes = append(codes, m.Code)
		}
	}
	if len(codes) > 0 {
		b.WriteString(" " + strings.Join(codes, ", "))
	}
	for i, m := range e.Messages {
		if m.Text == "" {
			continue
		}
		if i == 0 {
			b.WriteString(": ")
		} else {
			b.WriteString(" | ")
		}
		if m.Path != "" {
			b.WriteString("[" + m.Path + "] ")
		}
		b.WriteString(m.Text)
	}
	if len(e.Messages) == 0 && e.Body != "" {
		b.WriteString(": " + text.Clip(strings.TrimSpace(e.Body), 300))
	}
	if e.RequestID != "" {
		b.WriteString(" (X-Request-ID " + e.RequestID + ")")
	}
	return b.String()
}

// Hint is the next step for the person reading the error, or "": one
// step, from the tool that can see the problem.
func (e *APIError) Hint() string {
	switch {
	case e.Status == 404 && strings.HasPrefix(e.Path, "/v1/v1/"):
		return "the path has /v1 twice: base_url ends in /v1 and xs2a adds the version itself; remove /v1 from base_url"
	case e.SignatureProblem():
		if e.Rejection != "" {
			return "`xs2a sandbox why " + e.RequestID + "` prints the sandbox's whole signature check"
		}
		return "capture the request and check it offline: run the command again with --record DIR, then `xs2a sign verify --bundle DIR`"
	case e.HasCode("ROLE_INVALID"):
		return e.roleHint()
	case e.CertificateProblem():
		if e.Rejection != "" {
			return "`xs2a sandbox why " + e.RequestID + "` shows which certificate the sandbox refused and why"
		}
		return "run `xs2a certs check`: it checks the QWAC, the QSeal and their chain as a bank does"
	case e.HasCode("TOKEN_EXPIRED"):
		return "run `xs2a token refresh` (or `xs2a authorize` again)"
	case e.HasCode("TOKEN_UNKNOWN") || e.HasCode("TOKEN_INVALID"):
		if consentPath(e.Path) {
			return "the ASPSP does not know the client-credentials token: run `xs2a token` for a new one"
		}
		return "the ASPSP does not know the PSU's access token (a sandbox restarted without --data forgets it, and its consents too: `xs2a consent create` first when `xs2a consent status` says the consent is unknown): run `xs2a authorize`, then `xs2a token exchange` (or `xs2a flow`)"
	case e.HasCode("CONSENT_UNKNOWN"):
		return "the consent id is not one of this TPP's consents at this ASPSP (another profile or environment?); `xs2a consent create` makes a new one"
	case e.HasCode("CONSENT_EXPIRED") || e.HasCode("CONSENT_INVALID"):
		return "create a new consent (`xs2a consent create`) and authorize it"
	case e.Status == 429 || e.HasCode("ACCESS_EXCEEDED"):
		return e.tooMany()
	case e.Status >= 400 && e.Status < 500 && maskedPANPath(e.Path):
		return "ACCOUNT-ID is the account's resource id, not its masked PAN: `xs2a accounts list` shows the resource ids"
	}
	return ""
}

// roleHint is the hint of ROLE_INVALID: the role the path's service
// needs, the `certs check --for` that shows the certificates' roles, and
// a fix that works where the answer came from. A new set made by `certs
// generate` has a CA of its own, which a running sandbox does not trust:
// against the sandbox (it names its record of the rejection) the fix is
// its own certificates, which carry all three roles, or making it serve
// or trust the new set; against a bank, certificates from the QTSP.
func (e *APIError) roleHint() string {
	role, service, check := "PSP_AI", "account information", "ais"
	switch segs := apiSegments(e.Path); {
	case segs[0] == "funds-confirmations", consentPath(e.Path) && segs[1] == "confirmation-of-funds":
		role, service, check = "PSP_IC", "funds confirmation", "piis"
	case slices.Contains(PaymentServices, segs[0]), segs[0] == "signing-baskets":
		role, service, check = "PSP_PI", "payment initiation", "pis"
	}
	h := "the certificates' PSD2 roles lack " + role + ", which " + service + " needs (`xs2a certs check --for " + check + "` shows them)"
	if e.Rejection != "" {
		return h + ": the sandbox's own certificates carry PSP_AI, PSP_PI and PSP_IC (the ones `xs2a sandbox serve --write-profile` names in the profile); " +
			"a set of your own (`xs2a certs generate --roles PSP_AI,PSP_PI,PSP_IC --dir DIR`) has a CA the running sandbox does not trust: restart it with `xs2a sandbox serve --certs DIR` (it serves and trusts that set), or `--trust DIR/ca.pem --apps APPS.yaml`"
	}
	return h + ": a QWAC and a QSealC with " + role + " come from your QTSP, once your NCA has authorised the TPP for " + service
}

// tooMany is the hint of a 429: what the bank said it was, then its fix.
func (e *APIError) tooMany() string {
	wait := "wait until the bank's midnight"
	if ra := strings.TrimSpace(e.RetryAfter); ra != "" {
		wait = "wait for Retry-After (" + ra + ")"
		if _, err := strconv.Atoi(ra); err == nil {
			wait = "wait for Retry-After (" + ra + " s)"
		}
	}
	var said string
	for _, m := range e.Messages {
		said += " " + strings.ToLower(m.Text)
	}
	secs, err := strconv.Atoi(strings.TrimSpace(e.RetryAfter))
	soon := err == nil && secs <= 60
	switch {
	case strings.Contains(said, "a second"), soon, !e.HasCode("ACCESS_EXCEEDED") && e.RetryAfter != "":
		return "the bank's rate limit: " + wait + " and send it again (budget.rate_per_second paces xs2a under it)"
	case strings.Contains(said, "daily limit"):
		return "the TPP's daily limit at this bank is used up: " + wait
	case strings.Contains(said, "one-off"):
		return "the one-off consent's access is used: create a new consent (`xs2a consent create`)"
	case e.HasCode("ACCESS_EXCEEDED") && !noConsentPath(e.Path):
		return "ACCESS_EXCEEDED: the consent's frequencyPerDay is used up for today; create a new consent (`xs2a consent create`), or read with the PSU present (--psu-ip ADDRESS: PSU-initiated reads do not count against frequencyPerDay), or " + wait
	}
	return "the bank says too many requests: " + wait + " and send it again"
}

// noConsentPath reports a path called without a consent (payments, funds
// confirmation, consent management), where no frequencyPerDay is spent.
func noConsentPath(p string) bool {
	first := apiSegments(p)[0]
	return consentPath(p) || slices.Contains(PaymentServices, first) || first == "funds-confirmations"
}

// consentPath reports a path of the consent endpoints, which the
// client-credentials token opens (/v1/consents, /v1/consents/{id}, .../status).
func consentPath(p string) bool { return apiSegments(p)[0] == "consents" }

// apiSegments are the first two segments of a path after its version
// (/v1/consents/abc/status: consents, abc), "" for those it lacks.
func apiSegments(p string) [2]string {
	var out [2]string
	segs := strings.Split(strings.Trim(p, "/"), "/")
	if len(segs) > 1 {
		copy(out[:], segs[1:])
	}
	return out
}

// maskedPANPath reports a path with a masked PAN (524378******8693, or as
// the table prints it, 5243 78** **** 8693) where an account's resource id
// goes.
func maskedPANPath(p string) bool {
	for _, seg := range strings.Split(p, "/") {
		if strings.Contains(seg, "**") && strings.Trim(seg, "0123456789*Xx ") == "" {
			return true
		}
	}
	return false
}

// ErrorBody is what the JSON of an error answer says, in each of the forms
// ASPSPs and their authorization servers use. Each form is read on its own,
// so a field of one form with an unexpected type does not hide another.
type ErrorBody struct {
	// TPPMessages is the Berlin Group tppMessages array as sent.
	TPPMessages []TPPMessage
	// Problem is the RFC 7807 variant of the OpenAPI file (type, title,
	// detail, code, additionalErrors), as messages; nil without a code or title.
	Problem []TPPMessage
	// OAuthError and OAuthDescription are an OAuth error's (RFC 6749
	// section 5.2) error and error_description.
	OAuthError, OAuthDescription string
}

// DecodeErrorBody reads an error answer's body; a body that is not JSON
// gives the zero ErrorBody.
func DecodeErrorBody(body []byte) ErrorBody {
	var out ErrorBody
	if len(body) == 0 || !json.Valid(body) {
		return out
	}
	var bg struct {
		TPPMessages []TPPMessage `json:"tppMessages"`
	}
	if json.Unmarshal(body, &bg) == nil {
		out.TPPMessages = bg.TPPMessages
	}
	var pr struct {
		Type       string `json:"type"`
		Title      string `json:"title"`
		Detail     string `json:"detail"`
		Code       string `json:"code"`
		Additional []struct {
			Title, Detail, Code string
		} `json:"additionalErrors"`
	}
	if json.Unmarshal(body, &pr) == nil && (pr.Code != "" || pr.Title != "") {
		out.Problem = append(out.Problem, TPPMessage{Category: "ERROR", Code: pr.Code, Text: strings.TrimSpace(pr.Title + " " + pr.Detail)})
		for _, a := range pr.Additional {
			out.Problem = append(out.Problem, TPPMessage{Category: "ERROR", Code: a.Code, Text: strings.TrimSpace(a.Title + " " + a.Detail)})
		}
	}
	var oa struct {
		Error            string `json:"error"`
		ErrorDescription string `json:"error_description"`
	}
	if json.Unmarshal(body, &oa) == nil {
		out.OAuthError, out.OAuthDescription = oa.Error, oa.ErrorDescription
	}
	return out
}

// Messages are the tppMessages, else the RFC 7807 variant's.
func (b ErrorBody) Messages() []TPPMessage {
	if len(b.TPPMessages) > 0 {
		return b.TPPMessages
	}
	return b.Problem
}

// ParseError decodes an error answer in any of the forms ASPSPs use.
func ParseError(status int, requestID string, body []byte) *APIError {
	e := &APIError{Status: status, RequestID: requestID, Messages: DecodeErrorBody(body).Messages()}
	if len(e.Messages) == 0 {
		e.Body = string(body)
	}
	return e
}
