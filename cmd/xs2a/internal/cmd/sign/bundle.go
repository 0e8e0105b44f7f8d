package sign

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/xs2a-dev/xs2a/cmd/xs2a/internal/cmdutil"
	"github.com/xs2a-dev/xs2a/pkg/bundle"
	"github.com/xs2a-dev/xs2a/pkg/httpmsg"
	"github.com/xs2a-dev/xs2a/pkg/httpsig"
	"github.com/xs2a-dev/xs2a/pkg/pemfile"
)

// bundleVerdict is one line of `sign verify --bundle`, and its JSON form.
type bundleVerdict struct {
	Index  int       `json:"index"`
	File   string    `json:"file"`
	Time   time.Time `json:"time"`
	Kind   string    `json:"kind"`
	Method string    `json:"method"`
	Path   string    `json:"path"`
	// Verdict is "valid", "invalid" or "not signed".
	Verdict     string     `json:"verdict"`
	FailedCheck string     `json:"failedCheck,omitempty"`
	Detail      string     `json:"detail,omitempty"`
	Cause       string     `json:"cause,omitempty"`
	Confirmed   bool       `json:"confirmed,omitempty"`
	KeyIDForm   *keyIDForm `json:"keyIdForm,omitempty"`
}

// keyIDForm is the keyId form seen, named as --serial-form and --dn-form name it.
type keyIDForm struct {
	Serial httpsig.SerialForm `json:"serial"`
	DN     httpsig.DNForm     `json:"dn"`
}

func verifyBundle(o *VerifyOptions) error {
	exs, err := bundle.Read(o.Bundle)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return cmdutil.UsageErrorf("--bundle %s: no such directory", o.Bundle)
		}
		return cmdutil.UsageErrorf("--bundle: %v", err)
	}
	vo, err := bundleOptions(o)
	if err != nil {
		return err
	}
	out := make([]bundleVerdict, 0, len(exs))
	invalid := 0
	for i, e := range exs {
		v := checkExchange(e, vo)
		v.Index = i + 1
		if v.Verdict == "invalid" {
			invalid++
		}
		out = append(out, v)
	}
	if cmdutil.WantsJSON(o.F) {
		if err := cmdutil.JSON(o.F, out); err != nil {
			return err
		}
	} else {
		printBundle(o, out)
	}
	if invalid > 0 {
		return cmdutil.Silent(cmdutil.ExitSignature)
	}
	return nil
}

// bundleOptions are the verify flags that apply to every exchange of a
// bundle: --generic, --at, --cert and the expected keyId form.
func bundleOptions(o *VerifyOptions) (httpsig.VerifyOptions, error) {
	var vo httpsig.VerifyOptions
	var err error
	if o.Generic {
		vo.Profile = httpsig.ProfileGeneric
	}
	if o.At != "" {
		t, err := time.Parse(time.RFC3339, o.At)
		if err != nil {
			return vo, cmdutil.UsageErrorf("--at %q is not an RFC 3339 time (e.g. 2026-01-31T12:00:00Z)", o.At)
		}
		vo.Now = func() time.Time { return t }
	}
	if o.SerialForm != "" || o.DNForm != "" {
		f := httpsig.DefaultKeyIDFormat
		if o.SerialForm != "" {
			if f.Serial, err = httpsig.ParseSerialForm(o.SerialForm); err != nil {
				return vo, cmdutil.UsageError(err)
			}
		}
		if o.DNForm != "" {
			if f.DN, err = httpsig.ParseDNForm(o.DNForm); err != nil {
				return vo, cmdutil.UsageError(err)
			}
		}
		vo.KeyIDFormat = &f
	}
	if o.CertFile != "" {
		if vo.Cert, err = pemfile.ReadCertificate(o.CertFile); err != nil {
			return vo, cmdutil.FileError(err)
		}
	}
	return vo, nil
}

// checkExchange verifies one recorded request, by default at its recorded
// time, so a certificate that has expired since is judged as the bank
// judged it.
func checkExchange(e *bundle.Exchange, vo httpsig.VerifyOptions) bundleVerdict {
	v := bundleVerdict{File: e.File, Time: e.Time, Kind: e.Kind, Method: e.Request.Method, Path: e.Path()}
	if !e.Signed() {
		v.Verdict = "not signed"
		if e.Kind == bundle.KindOAuth {
			v.Detail = "token endpoint: mutual TLS, no signature"
		}
		return v
	}
	m, err := e.Message()
	if err != nil {
		v.Verdict, v.FailedCheck, v.Detail = "invalid", "bundle", err.Error()
		return v
	}
	if vo.Now == nil {
		at := e.Time
		vo.Now = func() time.Time { return at }
	}
	d := httpsig.Verify(m, vo)
	if f := d.KeyIDForm; f != nil {
		v.KeyIDForm = &keyIDForm{Serial: f.Serial, DN: f.DN}
	}
	if d.Valid {
		v.Verdict = "valid"
		return v
	}
	v.Verdict = "invalid"
	for _, c := range d.Checks {
		if c.Status == httpsig.Fail || (c.ID == httpsig.CheckSignature && c.Status == httpsig.Skip) {
			v.FailedCheck, v.Detail = c.ID, c.Detail
			break
		}
	}
	for _, c := range d.Causes {
		if v.Cause == "" || (c.Confirmed && !v.Confirmed) {
			v.Cause, v.Confirmed = c.Summary, c.Confirmed
		}
	}
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

func printBundle(o *VerifyOptions, vs []bundleVerdict) {
	cs := o.F.IO.ColorScheme()
	tw := tabwriter.NewWriter(o.F.IO.Out, 0, 4, 2, ' ', 0)
	valid, invalid, unsigned := 0, 0, 0
	for _, v := range vs {
		verdict := ""
		switch v.Verdict {
		case "valid":
			valid++
			verdict = cs.Green("valid")
			if v.KeyIDForm != nil {
				verdict += cs.Faint(fmt.Sprintf("  keyId serial %s, DN %s", v.KeyIDForm.Serial, v.KeyIDForm.DN))
			}
		case "invalid":
			invalid++
			verdict = cs.Red("INVALID") + " " + v.FailedCheck
			if v.Cause != "" {
				verdict += ": " + v.Cause
				if v.Confirmed {
					verdict += " (confirmed)"
				}
			} else if v.Detail != "" {
				verdict += ": " + v.Detail
			}
		default:
			unsigned++
			verdict = cs.Faint("not signed")
			if v.Detail != "" {
				verdict += cs.Faint(" (" + v.Detail + ")")
			}
		}
		fmt.Fprintf(tw, "%d\t%s %s\t%s\n", v.Index, v.Method, clip(v.Path, 60), oneLine(verdict))
	}
	_ = tw.Flush()
	fmt.Fprintf(o.F.IO.Out, "%d exchange(s): %d valid, %d invalid, %d not signed\n", len(vs), valid, invalid, unsigned)
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
