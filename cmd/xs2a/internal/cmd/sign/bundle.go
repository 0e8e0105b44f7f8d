package sign

import (
	"errors"
	"fmt"
	"io/fs"
	"text/tabwriter"
	"time"

	"github.com/xs2a-dev/xs2a/cmd/xs2a/internal/cmdutil"
	"github.com/xs2a-dev/xs2a/cmd/xs2a/internal/report"
	"github.com/xs2a-dev/xs2a/pkg/bundle"
	"github.com/xs2a-dev/xs2a/pkg/httpsig"
	"github.com/xs2a-dev/xs2a/pkg/pemfile"
	"github.com/xs2a-dev/xs2a/pkg/termsafe"
)

// bundleVerdict is one line of `sign verify --bundle`, and its JSON form.
type bundleVerdict struct {
	Index int `json:"index"`
	bundle.Verdict
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
		v := bundleVerdict{Index: i + 1, Verdict: bundle.Verify(e, vo)}
		if v.Verdict.Verdict == bundle.Invalid {
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

func printBundle(o *VerifyOptions, vs []bundleVerdict) {
	cs := o.F.IO.ColorScheme()
	tw := tabwriter.NewWriter(o.F.IO.Out, 0, 4, 2, ' ', 0)
	valid, invalid, unsigned := 0, 0, 0
	for _, v := range vs {
		verdict := ""
		switch v.Verdict.Verdict {
		case bundle.Valid:
			valid++
			verdict = cs.Green("valid")
			if v.KeyIDForm != nil {
				verdict += cs.Faint(fmt.Sprintf("  keyId serial %s, DN %s", v.KeyIDForm.Serial, v.KeyIDForm.DN))
			}
		case bundle.Invalid:
			invalid++
			verdict = cs.Red("INVALID") + " " + termsafe.Line(v.FailedCheck)
			if v.Cause != "" {
				verdict += ": " + termsafe.Line(v.Cause)
				if v.Confirmed {
					verdict += " (confirmed)"
				}
			} else if v.Detail != "" {
				verdict += ": " + termsafe.Line(v.Detail)
			}
		default:
			unsigned++
			verdict = cs.Faint("not signed")
			if v.Detail != "" {
				verdict += cs.Faint(" (" + termsafe.Line(v.Detail) + ")")
			}
		}
		// Method and path are the bundle file's, the verdict quotes its headers.
		fmt.Fprintf(tw, "%d\t%s %s\t%s\n", v.Index, termsafe.Line(v.Method), report.Clip(termsafe.Line(v.Path), 60), report.OneLine(verdict))
	}
	_ = tw.Flush()
	fmt.Fprintf(o.F.IO.Out, "%d exchange(s): %d valid, %d invalid, %d not signed\n", len(vs), valid, invalid, unsigned)
}
