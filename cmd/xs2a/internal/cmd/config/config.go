// Package config implements `xs2a config`: what the configuration in
// effect is and where each value came from, and which profiles the config
// file defines.
package config

import (
	"github.com/spf13/cobra"
	"github.com/xs2a-dev/xs2a/cmd/xs2a/internal/cmdutil"
)

// NewCmdConfig builds the `xs2a config` group.
func NewCmdConfig(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "config",
		Short: "Show the configuration in effect and the profiles of the config file",
		Example: `  xs2a config show -p sandbox
  xs2a config profiles`,
		Args: cmdutil.NoArgs,
		RunE: cmdutil.MissingSubcommand,
	}
	cmd.AddCommand(NewCmdShow(f, nil), NewCmdProfiles(f, nil))
	return cmd
}
