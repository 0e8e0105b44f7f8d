package sandbox

import (
	"encoding/json"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/xs2a-dev/xs2a/pkg/xs2a"
)

// Berlin Group message codes the sandbox answers with.
const (
	CodeFormatError             = "FORMAT_ERROR"
	CodeParameterNotSupported   = "PARAMETER_NOT_SUPPORTED"
	CodeServiceInvalid          = "SERVICE_INVALID"
	CodeServiceUnavailable      = "SERVICE_UNAVAILABLE" // not in the standard's list, which has no code for a 503
	CodeResourceUnknown         = "RESOURCE_UNKNOWN"
	CodeConsentUnknown          = "CONSENT_UNKNOWN"
	CodeConsentInvalid          = "CONSENT_INVALID"
	CodeConsentExpired          = "CONSENT_EXPIRED"
	CodeCertificateInvalid      = "CERTIFICATE_INVALID"
	CodeCertificateExpired      = "CERTIFICATE_EXPIRED"
	CodeCertificateMissing      = "CERTIFICATE_MISSING"
	CodeRoleInvalid             = "ROLE_INVALID"
	CodeSignatureInvalid        = "SIGNATURE_INVALID"
	CodeSignatureMissing        = "SIGNATURE_MISSING"
	CodeTokenUnknown            = "TOKEN_UNKNOWN"
	CodeTokenInvalid            = "TOKEN_INVALID"
	CodeTokenExpired            = "TOKEN_EXPIRED"
	CodePeriodInvalid           = "PERIOD_INVALID"
	CodeStatusInvalid           = "STATUS_INVALID"
	CodeAccessExceeded          = "ACCESS_EXCEEDED"
	CodeSessionsNotSupported    = "SESSIONS_NOT_SUPPORTED"
	CodeResourceBlocked         = "RESOURCE_BLOCKED"
	CodeRequestedFormatsInvalid = "REQUESTED_FORMATS_INVALID"
)

// TPPMessage is one entry of tppMessages: the client's type, as the wire
// format is one (doc.go).
type TPPMessage = xs2a.TPPMessage

// ErrorBody is the Berlin Group error answer.
type ErrorBody struct {
	TPPMessages []TPPMessage `json:"tppMessages"`
}

// apiError is a rejection on its way to the TPP.
type apiError struct {
	status int
	msgs   []TPPMessage
	header http.Header
}

func (e *apiError) Error() string {
	var b strings.Builder
	for i, m := range e.msgs {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(m.Code)
		if m.Text != "" {
			b.WriteString(": " + m.Text)
		}
	}
	return b.String()
}

// Code is the first message's code, for the request log.
func (e *apiError) Code() string {
	if len(e.msgs) == 0 {
		return ""
	}
	return e.msgs[0].Code
}

// maxText is the OpenAPI file's maxLength of tppMessageText.
const maxText = 500

// reject builds an error with one message per text (one explanation
// each); a text over the 500-character limit is carried by several
// messages with the same code, cut only between its sentences, so nothing
// of the diagnosis is lost and no explanation is split in two.
func reject(status int, code string, texts ...string) *apiError {
	e := &apiError{status: status}
	for _, t := range texts {
		for _, part := range splitText(t) {
			e.msgs = append(e.msgs, TPPMessage{Category: "ERROR", Code: code, Text: part})
		}
	}
	if len(e.msgs) == 0 {
		e.msgs = []TPPMessage{{Category: "ERROR", Code: code}}
	}
	return e
}

func (e *apiError) withPath(p string) *apiError {
	for i := range e.msgs {
		e.msgs[i].Path = p
	}
	return e
}

// splitText packs t's sentences (ending in ". " or "; ") into texts of at
// most maxText characters, each made of whole sentences. A sentence
// longer than that on its own (an error quoting long names) is clipped at
// a word with an ellipsis rather than continued in another message, where
// its second half would read as an explanation of its own.
func splitText(t string) []string {
	t = strings.TrimSpace(t)
	if t == "" {
		return nil
	}
	if utf8.RuneCountInString(t) <= maxText {
		return []string{t}
	}
	var out []string
	cur := ""
	for _, s := range sentences(t) {
		s = clipWords(s, maxText)
		if cur != "" && utf8.RuneCountInString(cur)+1+utf8.RuneCountInString(s) <= maxText {
			cur += " " + s
			continue
		}
		if cur != "" {
			out = append(out, cur)
		}
		cur = s
	}
	return append(out, cur)
}

// sentences splits t after each ". " and "; " outside double quotes (a
// quoted name such as "Example Ltd. Oy" is one word), keeping the
// punctuation.
func sentences(t string) []string {
	var out []string
	quoted, start := false, 0
	for i := 0; i < len(t); i++ {
		switch c := t[i]; {
		case c == '\\' && quoted:
			i++ // an escaped character, a quote included
		case c == '"':
			quoted = !quoted
		case !quoted && (c == '.' || c == ';') && i+1 < len(t) && t[i+1] == ' ':
			out = append(out, strings.TrimSpace(t[start:i+1]))
			start = i + 2
		}
	}
	if rest := strings.TrimSpace(t[min(start, len(t)):]); rest != "" {
		out = append(out, rest)
	}
	return out
}

// clipWords shortens s to at most n characters, cut after a word and
// marked with an ellipsis.
func clipWords(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	cut, count := 0, 0
	for i := range s {
		if count == n-1 {
			cut = i
			break
		}
		count++
	}
	if i := strings.LastIndexByte(s[:cut], ' '); i > cut/2 {
		cut = i
	}
	return strings.TrimRight(s[:cut], " ,;:") + "…"
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

func writeAPIError(w http.ResponseWriter, e *apiError) {
	for k, vs := range e.header {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	if bodiless(e.status) {
		// The file gives these answers headers only; the messages stay
		// readable through the rejections endpoint (`xs2a sandbox why`).
		w.WriteHeader(e.status)
		return
	}
	writeJSON(w, e.status, ErrorBody{TPPMessages: e.msgs})
}

// oauthError is an RFC 6749 error answer of the token endpoint.
type oauthError struct {
	Status      int    `json:"-"`
	Code        string `json:"error"`
	Description string `json:"error_description,omitempty"`
	// TPPMessages are the Berlin Group messages beside the OAuth error
	// when a certificate was refused, so the client reads the same
	// CERTIFICATE_* code (and exit code) as on the API.
	TPPMessages []TPPMessage `json:"tppMessages,omitempty"`
	header      http.Header  // more answer headers (Retry-After)
}

func (e *oauthError) Error() string { return e.Code + ": " + e.Description }

func writeOAuthError(w http.ResponseWriter, e *oauthError) {
	for k, v := range e.header {
		w.Header()[k] = v
	}
	w.Header().Set("Cache-Control", "no-store")
	if e.Status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Basic realm="xs2a-sandbox"`)
	}
	writeJSON(w, e.Status, e)
}

// bodiless reports an error status whose answer the OpenAPI file defines
// without content (REQUEST_TIMEOUT_408_AIS, UNSUPPORTED_MEDIA_TYPE_415_AIS).
func bodiless(status int) bool {
	return status == http.StatusRequestTimeout || status == http.StatusUnsupportedMediaType
}
