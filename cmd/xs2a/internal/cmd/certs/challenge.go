package certs

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"github.com/xs2a-dev/xs2a/cmd/xs2a/internal/cmdutil"
	"github.com/xs2a-dev/xs2a/pkg/iostreams"
	"github.com/xs2a-dev/xs2a/pkg/pemfile"
	"github.com/xs2a-dev/xs2a/pkg/profile"
	"github.com/xs2a-dev/xs2a/pkg/qcert"
)

// ChallengeOptions are the flags of `xs2a certs sign-challenge` and what it uses.
type ChallengeOptions struct {
	IO        *iostreams.IOStreams
	Config    func() (*profile.Config, error)
	KeyFile   string
	CertFile  string
	Challenge string
	Verify    string
}

// NewCmdSignChallenge builds `xs2a certs sign-challenge`.
func NewCmdSignChallenge(f *cmdutil.Factory, runF func(*ChallengeOptions) error) *cobra.Command {
	o := &ChallengeOptions{IO: f.IO, Config: f.Config}
	cmd := &cobra.Command{
		Use:   "sign-challenge --key QSEAL_KEY --challenge STRING",
		Short: "Sign the bank portal's challenge string to prove you hold the QSealC key",
		Long: `Sign the challenge string the bank's developer portal shows when qualified
certificates are uploaded, with the QSealC private key (RSA PKCS#1 v1.5,
SHA-256), and print the signature in base64 to paste back.

With --verify SIGNATURE and --cert, check a signature instead (exit status 6
when it does not verify).`,
		Example: `  xs2a certs sign-challenge --key qseal.key --challenge 'a1b2c3d4'
  xs2a certs sign-challenge --cert qseal.pem --challenge 'a1b2c3d4' --verify "$SIG"`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if !cmd.Flags().Changed("challenge") {
				return cmdutil.UsageErrorf("--challenge is required")
			}
			if o.Challenge == "" {
				return cmdutil.UsageErrorf("--challenge is empty")
			}
			if o.Verify == "" && o.KeyFile == "" {
				return cmdutil.UsageErrorf("--key is required to sign (or --verify SIGNATURE with --cert to check one)")
			}
			if o.Verify != "" && o.CertFile == "" {
				return cmdutil.UsageErrorf("--verify needs --cert, the QSealC whose key signed")
			}
			if runF != nil {
				return runF(o)
			}
			return challengeRun(o)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&o.KeyFile, "key", "", "QSealC private key")
	fl.StringVar(&o.CertFile, "cert", "", "QSealC certificate (for --verify)")
	fl.StringVar(&o.Challenge, "challenge", "", "the challenge string exactly as the portal shows it")
	fl.StringVar(&o.Verify, "verify", "", "a base64 signature to check instead of signing")
	return cmd
}

func challengeRun(o *ChallengeOptions) error {
	if o.Verify != "" {
		cert, err := pemfile.ReadCertificate(o.CertFile)
		if err != nil {
			return cmdutil.FileError(err)
		}
		if err := qcert.VerifyChallenge(cert, o.Challenge, o.Verify); err != nil {
			return &cmdutil.ExitError{Code: cmdutil.ExitSignature, Err: err}
		}
		if cmdutil.WantsJSON(o.Config) {
			return cmdutil.WriteJSON(o.IO.Out, map[string]bool{"valid": true})
		}
		fmt.Fprintln(o.IO.Out, "valid: the signature matches the challenge and the certificate")
		return nil
	}
	key, err := pemfile.ReadRSAKey(o.KeyFile)
	if err != nil {
		return cmdutil.FileError(err)
	}
	if strings.HasSuffix(o.Challenge, "\n") {
		fmt.Fprintln(o.IO.ErrOut, "warning: the challenge ends with a newline, which is signed too")
	}
	if o.CertFile != "" {
		cert, err := pemfile.ReadCertificate(o.CertFile)
		if err != nil {
			return cmdutil.FileError(err)
		}
		if err := pemfile.CheckPair(key, cert, o.KeyFile, o.CertFile); err != nil {
			return cmdutil.CertError(err)
		}
	}
	sig, err := qcert.SignChallenge(key, o.Challenge)
	if err != nil {
		return err
	}
	if cmdutil.WantsJSON(o.Config) {
		return cmdutil.WriteJSON(o.IO.Out, map[string]string{"challenge": o.Challenge, "signature": sig, "algorithm": "RSA PKCS#1 v1.5 SHA-256"})
	}
	fmt.Fprintln(o.IO.Out, sig)
	return nil
}
