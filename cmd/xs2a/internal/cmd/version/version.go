// Package version prints the build version.
package version

import (
	"fmt"
	"runtime"

	"github.com/spf13/cobra"
	"github.com/xs2a-dev/xs2a/cmd/xs2a/internal/cmdutil"
	"github.com/xs2a-dev/xs2a/pkg/iostreams"
)

// VersionOptions are what `xs2a version` uses (it has no flags).
type VersionOptions struct {
	IO      *iostreams.IOStreams
	Version string
	// JSON reports whether --output json was asked for.
	JSON func() bool
}

// NewCmdVersion builds `xs2a version`; runF replaces the run function in
// tests.
func NewCmdVersion(f *cmdutil.Factory, runF func(*VersionOptions) error) *cobra.Command {
	o := &VersionOptions{IO: f.IO, Version: f.Version, JSON: func() bool { return cmdutil.WantsJSON(f.Config) }}
	return &cobra.Command{
		Use:   "version",
		Short: "Print the xs2a version",
		Example: `  xs2a version
  xs2a --version
  xs2a version -o json`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(o)
			}
			return versionRun(o)
		},
	}
}

func versionRun(o *VersionOptions) error {
	if o.JSON() {
		return cmdutil.WriteJSON(o.IO.Out, map[string]string{"version": o.Version, "go": runtime.Version(), "platform": runtime.GOOS + "/" + runtime.GOARCH})
	}
	_, err := fmt.Fprintln(o.IO.Out, Line(o.Version))
	return err
}

// Line is the version line of `xs2a version` and `xs2a --version`.
func Line(v string) string {
	return fmt.Sprintf("xs2a %s (%s, %s/%s)", v, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}
