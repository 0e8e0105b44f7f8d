package certs

import (
	"crypto/rsa"
	"crypto/x509"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/xs2a-dev/xs2a/cmd/xs2a/internal/cmdutil"
	"github.com/xs2a-dev/xs2a/pkg/iostreams"
	"github.com/xs2a-dev/xs2a/pkg/pemfile"
	"github.com/xs2a-dev/xs2a/pkg/profile"
	"github.com/xs2a-dev/xs2a/pkg/qcert"
	"github.com/xs2a-dev/xs2a/pkg/termsafe"
)

// CheckOptions are the flags of `xs2a certs check` and what it uses.
type CheckOptions struct {
	IO              *iostreams.IOStreams
	Config          func() (*profile.Config, error)
	Now             func() time.Time
	QWAC, QWACKey   string
	QSeal, QSealKey string
	CA              string
	For             string
}

// NewCmdCheck builds `xs2a certs check`.
func NewCmdCheck(f *cmdutil.Factory, runF func(*CheckOptions) error) *cobra.Command {
	o := &CheckOptions{IO: f.IO, Config: f.Config, Now: f.Now}
	cmd := &cobra.Command{
		Use:   "check [--qwac FILE --qseal FILE] [--ca BUNDLE] [--for ais]",
		Short: "Check a QWAC and QSealC the way a bank will before going live",
		Long: `The readiness check before going live: each certificate's chain (against
--ca, else the profile's ca_bundle, else the system roots; stderr says which; the QWAC file may carry intermediates after the
QWAC), validity, RSA key size, key pair (with --qwac-key and --qseal-key),
key usage, QCStatements with the right QcType per use (web for the QWAC,
eseal for the QSealC), the PSP role the service needs (PSP_AI for ais),
organizationIdentifier, and the same organisation in both. Every defect of
certs generate --break is named.

Exit status 0 only when a bank would accept them; otherwise one line per
problem on stdout and exit status 5. Files default to the profile's
qwac_cert, qwac_key, qseal_cert and qseal_key.`,
		Example: `  xs2a certs check -p sandbox
  xs2a certs check --qwac certs/qwac.pem --qseal certs/qseal.pem --ca certs/ca.pem
  xs2a certs check --profile live --ca qtsp-roots.pem --for pis`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if _, ok := qcert.ServiceRoles[strings.ToLower(o.For)]; !ok {
				return cmdutil.UsageErrorf("--for %q is not a service (want ais, pis or piis)", o.For)
			}
			if runF != nil {
				return runF(o)
			}
			return checkRun(o)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&o.QWAC, "qwac", "", "QWAC certificate file, with intermediates if any (default: profile qwac_cert)")
	fl.StringVar(&o.QWACKey, "qwac-key", "", "QWAC private key (default: profile qwac_key, when --qwac is not given)")
	fl.StringVar(&o.QSeal, "qseal", "", "QSealC certificate file (default: profile qseal_cert)")
	fl.StringVar(&o.QSealKey, "qseal-key", "", "QSealC private key (default: profile qseal_key, when --qseal is not given)")
	fl.StringVar(&o.CA, "ca", "", "trusted CA bundle (PEM) for the chains (default: profile ca_bundle, else system roots)")
	fl.StringVar(&o.For, "for", "ais", "service the certificates are for: ais, pis or piis")
	return cmd
}

type checkJSON struct {
	Ready    bool            `json:"ready"`
	Service  string          `json:"service"`
	Problems []qcert.Problem `json:"problems"`
}

func checkRun(o *CheckOptions) error {
	cfg, err := o.Config()
	if err != nil {
		return err
	}
	pick := func(flag, prof string) string {
		if flag != "" {
			return flag
		}
		return prof
	}
	in := qcert.CheckInput{Service: o.For, Now: o.Now()}
	qwac, qseal := pick(o.QWAC, cfg.Profile.QWACCert), pick(o.QSeal, cfg.Profile.QSealCert)
	if qwac == "" || qseal == "" {
		return cmdutil.UsageErrorf("give --qwac and --qseal (or set qwac_cert and qseal_cert in profile %q)", cfg.ProfileName)
	}
	if in.QWAC, err = pemfile.ReadCertificates(qwac); err != nil {
		return cmdutil.FileError(err)
	}
	if in.QSeal, err = pemfile.ReadCertificates(qseal); err != nil {
		return cmdutil.FileError(err)
	}
	readKey := func(p string) (*rsa.PrivateKey, error) {
		if p == "" {
			return nil, nil
		}
		k, err := pemfile.ReadRSAKey(p)
		if err != nil {
			return nil, cmdutil.FileError(err)
		}
		return k, nil
	}
	// A key comes from the profile only with its certificate: the
	// profile's qwac_key beside a --qwac file pairs two unrelated files and
	// reports a mismatch the files given do not have (the README's
	// `certs check --qwac certs/qwac.pem ...` after sandbox serve wrote a
	// default profile).
	profileKey := func(certFlag, key string) string {
		if certFlag != "" {
			return ""
		}
		return key
	}
	if in.QWACKey, err = readKey(pick(o.QWACKey, profileKey(o.QWAC, cfg.Profile.QWACKey))); err != nil {
		return err
	}
	if in.QSealKey, err = readKey(pick(o.QSealKey, profileKey(o.QSeal, cfg.Profile.QSealKey))); err != nil {
		return err
	}
	// The trust anchor: --ca, else the profile's ca_bundle (the test CA
	// certs generate --write-profile and sandbox serve --write-profile
	// record), else the system roots. Which one is said on stderr.
	ca, caFrom := o.CA, "--ca"
	if ca == "" && cfg.Profile.CABundle != "" {
		ca, caFrom = cfg.Profile.CABundle, fmt.Sprintf("ca_bundle of profile %q", cfg.ProfileName)
	}
	if ca != "" {
		cas, err := pemfile.ReadCertificates(ca)
		if err != nil {
			return cmdutil.FileError(err)
		}
		in.Roots = x509.NewCertPool()
		for _, c := range cas {
			in.Roots.AddCert(c)
		}
		in.RootCerts, in.RootsName = cas, termsafe.Line(ca)
		fmt.Fprintf(o.IO.ErrOut, "chains checked against %s (%s)\n", termsafe.Line(ca), caFrom)
	} else {
		fmt.Fprintln(o.IO.ErrOut, "chains checked against the system roots (no --ca, no ca_bundle in the profile)")
	}
	problems := qcert.Check(in)
	if cmdutil.WantsJSON(o.Config) {
		if problems == nil {
			problems = []qcert.Problem{}
		}
		if err := cmdutil.WriteJSON(o.IO.Out, checkJSON{Ready: len(problems) == 0, Service: strings.ToLower(o.For), Problems: problems}); err != nil {
			return err
		}
	} else {
		cs := o.IO.ColorScheme()
		for _, p := range problems {
			// A problem quotes the certificates (role names, issuer): escaped.
			fmt.Fprintf(o.IO.Out, "%s %s: %s (%s)\n", cs.FailureIcon(), p.Cert, termsafe.Line(p.Msg), p.Code)
		}
		if len(problems) == 0 {
			fmt.Fprintf(o.IO.Out, "%s ready for %s: chain, validity, keys, QcType, roles and organisation as a bank expects\n", cs.SuccessIcon(), strings.ToUpper(o.For))
		}
	}
	if len(problems) > 0 {
		return &cmdutil.ExitError{Code: cmdutil.ExitCertificate, Err: fmt.Errorf("%s: a bank would refuse these certificates", plural(len(problems), "problem", "problems"))}
	}
	return nil
}
