// Package certs implements `xs2a certs`: generate test QWAC/QSealC sets,
// inspect real certificates, check a pair for readiness, and sign the
// proof-of-possession challenge.
package certs

import (
	"fmt"

	"github.com/spf13/cobra"
	"github.com/xs2a-dev/xs2a/cmd/xs2a/internal/cmdutil"
)

// NewCmdCerts builds the `xs2a certs` group.
func NewCmdCerts(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "certs",
		Short:   "Make test PSD2 certificates (QWAC, QSealC) and inspect real ones",
		Example: "  xs2a certs generate --dir ./certs\n  xs2a certs inspect ./certs/qwac.pem\n  xs2a -p sandbox certs check",
		Args:    cmdutil.NoArgs,
		RunE:    cmdutil.MissingSubcommand,
	}
	cmd.AddCommand(NewCmdGenerate(f, nil), NewCmdInspect(f, nil), NewCmdCheck(f, nil), NewCmdSignChallenge(f, nil))
	return cmd
}

func plural(n int, one, many string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}
