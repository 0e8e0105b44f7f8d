package sign

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"
	"github.com/xs2a-dev/xs2a/cmd/xs2a/internal/cmdutil"
	"github.com/xs2a-dev/xs2a/cmd/xs2a/internal/report"
	"github.com/xs2a-dev/xs2a/pkg/capture"
	"github.com/xs2a-dev/xs2a/pkg/httpsig"
	"github.com/xs2a-dev/xs2a/pkg/iostreams"
	"github.com/xs2a-dev/xs2a/pkg/pemfile"
	"github.com/xs2a-dev/xs2a/pkg/profile"
)

// VerifyOptions are the parsed flags of `xs2a sign verify` and what it uses.
type VerifyOptions struct {
	IO     *iostreams.IOStreams
	Config func() (*profile.Config, error)
	Now    func() time.Time

	RequestFile string
	CertFile    string
	Generic     bool
	At          string
	SerialForm  string
	DNForm      string
	Explain     bool
	// Bundle is a --record directory whose signed exchanges are checked.
	Bundle string
	// Entry picks one request of a HAR (1-based); BodyFile supplies the
	// body that curl -v output and some HAR entries do not show.
	Entry    int
	BodyFile string
	// Bank is whose rules to judge by (httpsig.Banks, or "all"); "" takes
	// the profile's bank key, else enfuce.
	Bank string
}

// NewCmdVerify builds `xs2a sign verify`.
func NewCmdVerify(f *cmdutil.Factory, runF func(*VerifyOptions) error) *cobra.Command {
	opts := &VerifyOptions{IO: f.IO, Config: f.Config, Now: f.Now}
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

The request is judged by one bank's rules (--bank; default the profile's
bank key, else enfuce), the same rules the sandbox serves with --bank:
enfuce (the bank's page as written: header list exactly x-request-id, digest
and psu-id, psu-corporate-id, tpp-redirect-uri when present; keyId serial in
hex, CA the URL-encoded DN), adorsys (keyId exactly SN=<lower-hex>,CA=<DN
with %20>; date signed) or lenient. --bank all prints one line per bank;
its exit status is 0 when at least one bank accepts (no request suits both
enfuce and adorsys: one refuses a signed date, the other requires it).

With --bundle DIR (a directory written by --record), every recorded signed
exchange is checked offline at the time it was recorded, one line each (with
--bank all one per exchange and bank); token-endpoint exchanges are "not
signed", which is not a failure. Exit status 6 when a signed exchange is
invalid (with --bank all: invalid for every bank).

The request may also be a HAR file (HTTP Archive, exported by browser
devtools, Postman or Insomnia): every request in it is checked, one line
each, exit status 6 when any signed one is invalid; --entry N checks one in
full. Or it may be the output of curl -v: the lines starting with "> " are
the request; curl does not show the body, so give it with --body FILE or the
Digest is not checked. The format is recognised by itself.`,
		Example: `  xs2a sign verify captured.http
  pbpaste | xs2a sign verify -
  xs2a sign verify captured.http --bank all
  xs2a sign verify captured.http --cert qseal.pem --expect-serial-form lower-hex
  xs2a sign verify --bundle ./ticket-4711
  xs2a sign verify capture.har --entry 3
  curl -v ... 2>&1 | xs2a sign verify - --body consent.json`,
		Args: cmdutil.MaximumArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.Bundle != "" {
				if len(args) > 0 || opts.RequestFile != "" {
					return cmdutil.UsageErrorf("give either a request or --bundle DIR, not both")
				}
				if opts.Entry != 0 || opts.BodyFile != "" {
					return cmdutil.UsageErrorf("--entry and --body are for a HAR or curl -v request, not --bundle")
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
				if opts.IO.IsStdinTTY() {
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
	addVerifyFlags(cmd, opts)
	return cmd
}

// addVerifyFlags registers the flags of `sign verify` and their completions.
func addVerifyFlags(cmd *cobra.Command, opts *VerifyOptions) {
	fl := cmd.Flags()
	fl.StringVarP(&opts.RequestFile, "request", "r", "", "signed raw HTTP request `file` (- for stdin)")
	fl.StringVar(&opts.CertFile, "cert", "", "verify with this certificate instead of TPP-Signature-Certificate")
	fl.BoolVar(&opts.Generic, "generic", false, "plain draft-cavage rules, not the Berlin Group profile")
	fl.StringVar(&opts.At, "at", "", "check certificate validity at this RFC 3339 time instead of now")
	fl.StringVar(&opts.SerialForm, "expect-serial-form", "", "fail unless the keyId serial is in this form ("+forms(httpsig.SerialForms)+")")
	fl.StringVar(&opts.DNForm, "expect-dn-form", "", "fail unless the keyId DN is in this form ("+forms(httpsig.DNForms)+")")
	fl.BoolVar(&opts.Explain, "explain", false, "also print the signing string the verifier built (also -v)")
	fl.IntVar(&opts.Entry, "entry", 0, "check entry `N` (from 1) of a HAR file in full")
	fl.StringVar(&opts.BodyFile, "body", "", "the request body `file`, for curl -v output and HAR entries that do not show it")
	fl.StringVar(&opts.Bank, "bank", "", "judge by this bank's rules: "+httpsig.BankNames()+", or all (default: the profile's bank, else enfuce)")
	_ = cmd.RegisterFlagCompletionFunc("bank", fixed(append(strs(httpsig.Banks), "all")...))
	fl.StringVar(&opts.Bundle, "bundle", "", "check every signed exchange recorded with --record in `DIR`, one line each")
	_ = cmd.MarkFlagDirname("bundle")
	_ = cmd.MarkFlagFilename("body")
	_ = cmd.RegisterFlagCompletionFunc("expect-serial-form", fixed(strs(httpsig.SerialForms)...))
	_ = cmd.RegisterFlagCompletionFunc("expect-dn-form", fixed(strs(httpsig.DNForms)...))
}

func verifyRun(o *VerifyOptions) error {
	in, err := readRequestInput(o)
	if err != nil {
		return err
	}
	if in.har != nil {
		return verifyHAR(o, in)
	}
	m := in.req
	if in.format != capture.FormatHTTP && in.bodyUnknown == "" {
		// A raw request's framing is checked by its parser; a capture's
		// Content-Length only here.
		where := "the capture"
		switch {
		case o.BodyFile != "":
			where = "the --body file"
		case in.format == capture.FormatHAR:
			where = "the HAR entry"
		}
		if w := lengthWarning(m, where); w != "" {
			m.Warnings = append(m.Warnings, w)
			in.warnings = append(in.warnings, w)
		}
	}
	printParseWarnings(o.IO, m)
	banks, err := resolveBanks(o)
	if err != nil {
		return err
	}
	ds := make([]*httpsig.Diagnosis, 0, len(banks))
	// valid: some bank accepts. With one bank, that bank; with --bank all,
	// any: no request passes both enfuce (no date) and adorsys (date), so
	// "every bank" would make the status say nothing.
	valid := false
	for _, b := range banks {
		vo, err := verifyOptions(o, b)
		if err != nil {
			return err
		}
		if vo.Now == nil {
			vo.Now = o.Now
		}
		vo.BodyUnknown = in.bodyUnknown
		d := httpsig.Verify(m, vo)
		valid = valid || d.Valid
		ds = append(ds, d)
	}
	switch {
	case len(ds) > 1 && cmdutil.WantsJSON(o.Config):
		if err := cmdutil.WriteJSON(o.IO.Out, ds); err != nil {
			return err
		}
	case len(ds) > 1:
		if in.header != "" {
			fmt.Fprintln(o.IO.Out, in.header)
		}
		report.BankVerdicts(o.IO.Out, o.IO.TerminalWidth(), o.IO.ColorScheme(), ds)
	case cmdutil.WantsJSON(o.Config):
		if err := cmdutil.WriteJSON(o.IO.Out, singleJSON{Format: in.format, Entry: in.entry, CaptureWarnings: in.warnings, Diagnosis: ds[0]}); err != nil {
			return err
		}
	default:
		if in.header != "" {
			fmt.Fprintln(o.IO.Out, in.header)
		}
		cfg, _ := o.Config()
		report.Diagnosis(o.IO.Out, o.IO.ColorScheme(), m, ds[0], o.Explain || (cfg != nil && cfg.Verbose))
	}
	if !valid {
		return cmdutil.Silent(cmdutil.ExitSignature)
	}
	return nil
}

// resolveBanks is whose rules to judge by: --bank, else the profile's bank
// key, else enfuce; every bank for "all". --generic judges by no bank (the
// plain draft), so it and an explicit --bank exclude each other.
func resolveBanks(o *VerifyOptions) ([]httpsig.Bank, error) {
	if o.Generic {
		if o.Bank != "" {
			return nil, cmdutil.UsageErrorf("give either --generic (plain draft-cavage rules) or --bank, not both")
		}
		return []httpsig.Bank{""}, nil
	}
	name, from := o.Bank, "--bank"
	if name == "" {
		if cfg, _ := o.Config(); cfg != nil && cfg.Profile.Bank != "" {
			name, from = cfg.Profile.Bank, "the profile's bank"
		}
	}
	if name == "all" {
		return httpsig.Banks, nil
	}
	b, err := httpsig.ParseBank(name)
	if err != nil {
		return nil, cmdutil.UsageErrorf("%s: %v, or all", from, err)
	}
	return []httpsig.Bank{b}, nil
}

// verifyOptions are the bank's rules with the flags that apply to every
// request on top: --generic (bank ""), --at, --cert and the expected keyId
// form, which replaces the bank's keyId rule.
func verifyOptions(o *VerifyOptions, b httpsig.Bank) (httpsig.VerifyOptions, error) {
	var vo httpsig.VerifyOptions
	var err error
	if b == "" {
		vo.Profile = httpsig.ProfileGeneric
	} else {
		vo = b.VerifyOptions()
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
		if vo.KeyIDFormat != nil {
			f = *vo.KeyIDFormat
		}
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
