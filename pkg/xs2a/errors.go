package xs2a

import (
	"encoding/json"
	"fmt"
	"slices"
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
}

// signatureCodes are the codes for which `xs2a sign verify` is the next step.
var signatureCodes = []string{"SIGNATURE_INVALID", "SIGNATURE_MISSING", "CERTIFICATE_INVALID", "CERTIFICATE_MISSING", "CERTIFICATE_EXPIRED"}

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

// Hint is the next step for the person reading the error, or "".
func (e *APIError) Hint() string {
	switch {
	case e.SignatureProblem():
		return "save the request (xs2a sign --format http) and run `xs2a sign verify` on it to see which check fails"
	case e.HasCode("TOKEN_EXPIRED"):
		return "run `xs2a token refresh` (or `xs2a authorize` again)"
	case e.HasCode("CONSENT_UNKNOWN"):
		return "the consent id is not one of this TPP's consents at this ASPSP (another profile or environment?); `xs2a consent create` makes a new one"
	case e.HasCode("CONSENT_EXPIRED") || e.HasCode("CONSENT_INVALID"):
		return "create a new consent (`xs2a consent create`) and authorize it"
	case e.HasCode("ACCESS_EXCEEDED"):
		return "the rate limit or the consent's frequencyPerDay is used up; wait (`xs2a consent status` shows what is left and when the bank's day resets), or send PSU-IP-Address when the PSU is present"
	}
	return ""
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
