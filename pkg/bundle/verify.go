package bundle

import (
	"strings"
	"time"

	"github.com/xs2a-dev/xs2a/pkg/httpmsg"
	"github.com/xs2a-dev/xs2a/pkg/httpsig"
)

// Verdicts of Verify.
const (
	Valid     = "valid"
	Invalid   = "invalid"
	NotSigned = "not signed"
)

// Verdict is the offline check of one recorded exchange.
type Verdict struct {
	File   string    `json:"file"`
	Time   time.Time `json:"time"`
	Kind   string    `json:"kind"`
	Method string    `json:"method"`
	Path   string    `json:"path"`
	// Bank is the rule set judged by (httpsig.VerifyOptions.Bank).
	Bank string `json:"bank,omitempty"`
	// Verdict is Valid, Invalid or NotSigned.
	Verdict string `json:"verdict"`
	// FailedCheck is the first failing httpsig check (digest, signature...).
	FailedCheck string `json:"failed_check,omitempty"`
	Detail      string `json:"detail,omitempty"`
	// Cause explains the failure; Confirmed when undoing it was verified
	// to make the check pass.
	Cause     string     `json:"cause,omitempty"`
	Confirmed bool       `json:"confirmed,omitempty"`
	KeyIDForm *KeyIDForm `json:"key_id_form,omitempty"`
}

// KeyIDForm is the keyId form seen, named as --serial-form and --dn-form name it.
type KeyIDForm struct {
	Serial httpsig.SerialForm `json:"serial"`
	DN     httpsig.DNForm     `json:"dn"`
}

// Verify re-checks the recorded signature of e with httpsig.Verify. Unless
// opt.Now is set, the certificate is judged at the recorded time, as the
// bank judged it then. An exchange without a Signature (the token
// endpoint) is NotSigned, which is not a failure.
func Verify(e *Exchange, opt httpsig.VerifyOptions) Verdict {
	v := Verdict{File: e.File, Time: e.Time, Kind: e.Kind, Method: e.Request.Method, Path: e.Path(), Bank: string(opt.Bank)}
	if !e.Signed() {
		v.Verdict = NotSigned
		if e.Kind == KindOAuth {
			v.Detail = "token endpoint: mutual TLS, no signature"
		}
		return v
	}
	m, err := e.Message()
	if err != nil {
		v.Verdict, v.FailedCheck, v.Detail = Invalid, "bundle", err.Error()
		return v
	}
	if opt.Now == nil {
		at := e.Time
		opt.Now = func() time.Time { return at }
	}
	d := httpsig.Verify(m, opt)
	if f := d.KeyIDForm; f != nil {
		v.KeyIDForm = &KeyIDForm{Serial: f.Serial, DN: f.DN}
	}
	if d.Valid {
		v.Verdict = Valid
		return v
	}
	v.Verdict = Invalid
	var cause httpsig.Cause
	v.FailedCheck, v.Detail, cause = d.Refusal()
	v.Cause, v.Confirmed = cause.Summary, cause.Confirmed
	// The recording itself can be why: say so rather than blame the sender.
	if v.FailedCheck == httpsig.CheckSignature && signedRedaction(m, d.Headers) {
		v.Cause, v.Confirmed = "a signed value holds a secret and was redacted in the recording, so the signature cannot be re-checked from it", false
	}
	if b := e.Request.Body; b != nil && (b.Redacted || b.Truncated) && v.FailedCheck == httpsig.CheckDigest {
		v.Cause, v.Confirmed = "the recorded body is not the bytes sent (a secret was redacted from it, or it was cut at 1 MiB)", false
	}
	return v
}

// signedRedaction reports a redaction in the request-target or a signed header.
func signedRedaction(m *httpmsg.Request, headers []string) bool {
	const mark = "[redacted sha256:"
	for _, h := range headers {
		if strings.EqualFold(h, httpsig.RequestTarget) && strings.Contains(m.Path(), mark) {
			return true
		}
		for _, v := range m.Values(h) {
			if strings.Contains(v, mark) {
				return true
			}
		}
	}
	return false
}
