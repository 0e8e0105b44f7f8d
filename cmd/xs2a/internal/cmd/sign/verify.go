package sign

import (
	"time"

	"github.com/spf13/cobra"
	"github.com/xs2a-dev/xs2a/cmd/xs2a/internal/cmdutil"
	"github.com/xs2a-dev/xs2a/cmd/xs2a/internal/report"
	"github.com/xs2a-dev/xs2a/pkg/httpmsg"
	"github.com/xs2a-dev/xs2a/pkg/httpsig"
	"github.com/xs2a-dev/xs2a/pkg/pemfile"
)

// VerifyOptions are the parsed flags of `xs2a sign verify`.
type VerifyOptions struct {
	F *cmdutil.Factory

	RequestFile string
	CertFile    string
	Generic     bool
	At          string
	SerialForm  string
	DNForm      string
	Explain     bool
	// Bundle is a --record directory whose signed exchanges are checked.
	Bundle string
}

// NewCmdVerify builds `xs2a sign verify`.
func NewCmdVerify(f *cmdutil.Factory, runF func(*VerifyOptions) error) *cobra.Command {
	opts := &VerifyOptions{F: f}
	cmd := &cobra.Command{
		Use:   "verify [FILE|-]",
		Short: "Check a signed request and explain why its signature fails",
		Long: `Check a signed raw HTTP/1.1 request the way a Berlin Group ASPSP does and
report every step: the Signature header, the certificate (from
TPP-Signature-Certificate, or --cert), the signed header list, X-Request-ID,
the Digest, the keyId, the algorithm and the signature itself.

When the signature fails, xs2a recovers from the RSA signature which hash was
signed, then tries the mistakes people make (header order, upper-case names,
CRLF, a trailing newline, (request-target), SHA-256/512 mix-ups, a body
re-serialised after digesting, a digest in hex, another key) and names the one
that reproduces it. Exit status 0 only when the request would be accepted;
6 when the signature is invalid.

With --bundle DIR (a directory written by --record), every recorded signed
exchange is checked offline at the time it was recorded, one line each;
token-endpoint exchanges are "not signed", which is not a failure. Exit
status 6 when any signed exchange is invalid.`,
		Example: `  xs2a sign verify captured.http
  pbpaste | xs2a sign verify -
  xs2a sign verify captured.http --cert qseal.pem --expect-serial-form lower-hex
  xs2a sign verify --bundle ./ticket-4711`,
		Args: cmdutil.MaximumArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.Bundle != "" {
				if len(args) > 0 || opts.RequestFile != "" {
					return cmdutil.UsageErrorf("give either a request or --bundle DIR, not both")
				}
				if runF != nil {
					return runF(opts)
				}
				return verifyBundle(opts)
			}
			if len(args) == 1 {
				if opts.RequestFile != "" {
					return cmdutil.UsageErrorf("give the request either as an argument or with --request, not both")
				}
				opts.RequestFile = args[0]
			}
			if opts.RequestFile == "" {
				if f.IO.IsStdinTTY() {
					return cmdutil.UsageErrorf("no request: give a FILE, or - to read standard input")
				}
				opts.RequestFile = "-"
			}
			if runF != nil {
				return runF(opts)
			}
			return verifyRun(opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&opts.RequestFile, "request", "r", "", "signed raw HTTP request `file` (- for stdin)")
	fl.StringVar(&opts.CertFile, "cert", "", "verify with this certificate instead of TPP-Signature-Certificate")
	fl.BoolVar(&opts.Generic, "generic", false, "plain draft-cavage rules, not the Berlin Group profile")
	fl.StringVar(&opts.At, "at", "", "check certificate validity at this RFC 3339 time instead of now")
	fl.StringVar(&opts.SerialForm, "expect-serial-form", "", "fail unless the keyId serial is in this form ("+forms(httpsig.SerialForms)+")")
	fl.StringVar(&opts.DNForm, "expect-dn-form", "", "fail unless the keyId DN is in this form ("+forms(httpsig.DNForms)+")")
	fl.BoolVar(&opts.Explain, "explain", false, "also print the signing string the verifier built (also -v)")
	fl.StringVar(&opts.Bundle, "bundle", "", "check every signed exchange recorded with --record in `DIR`, one line each")
	_ = cmd.MarkFlagDirname("bundle")
	_ = cmd.RegisterFlagCompletionFunc("expect-serial-form", fixed(strs(httpsig.SerialForms)...))
	_ = cmd.RegisterFlagCompletionFunc("expect-dn-form", fixed(strs(httpsig.DNForms)...))
	return cmd
}

func verifyRun(o *VerifyOptions) error {
	raw, err := cmdutil.ReadInput(o.F, o.RequestFile, "request")
	if err != nil {
		return err
	}
	m, err := httpmsg.Parse(raw)
	if err != nil {
		return cmdutil.UsageErrorf("%s: %v", displayName(o.RequestFile), err)
	}
	printParseWarnings(o.F, m)
	vo := httpsig.VerifyOptions{Now: o.F.Now}
	if o.Generic {
		vo.Profile = httpsig.ProfileGeneric
	}
	if o.At != "" {
		t, err := time.Parse(time.RFC3339, o.At)
		if err != nil {
			return cmdutil.UsageErrorf("--at %q is not an RFC 3339 time (e.g. 2026-01-31T12:00:00Z)", o.At)
		}
		vo.Now = func() time.Time { return t }
	}
	if o.SerialForm != "" || o.DNForm != "" {
		f := httpsig.DefaultKeyIDFormat
		if o.SerialForm != "" {
			if f.Serial, err = httpsig.ParseSerialForm(o.SerialForm); err != nil {
				return cmdutil.UsageError(err)
			}
		}
		if o.DNForm != "" {
			if f.DN, err = httpsig.ParseDNForm(o.DNForm); err != nil {
				return cmdutil.UsageError(err)
			}
		}
		vo.KeyIDFormat = &f
	}
	if o.CertFile != "" {
		c, err := pemfile.ReadCertificate(o.CertFile)
		if err != nil {
			return cmdutil.FileError(err)
		}
		vo.Cert = c
	}
	d := httpsig.Verify(m, vo)
	if cmdutil.WantsJSON(o.F) {
		if err := cmdutil.JSON(o.F, d); err != nil {
			return err
		}
	} else {
		cfg, _ := o.F.Config()
		report.Diagnosis(o.F.IO.Out, o.F.IO.ColorScheme(), m, d, o.Explain || (cfg != nil && cfg.Verbose))
	}
	if !d.Valid {
		return cmdutil.Silent(cmdutil.ExitSignature)
	}
	return nil
}
