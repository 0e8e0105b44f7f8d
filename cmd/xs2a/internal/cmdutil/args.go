package cmdutil

import (
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"
)

// Remembered is the value of an id flag given without one (NoOptDefVal
// of authorize's --payment and --piis, flow's --piis): the state's id.
// --help shows it (`--piis string[="(remembered)"]`), so it is printable;
// no bank's id is written so.
const Remembered = "(remembered)"

// NoArgs rejects positional arguments with a usage error; for a group
// (a command with subcommands) the word is a subcommand mistyped.
func NoArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 && cmd.HasAvailableSubCommands() {
		return UnknownCommand(cmd, args[0])
	}
	if len(args) > 0 {
		return UsageErrorf("%s takes no arguments, got %q", cmd.CommandPath(), args[0])
	}
	return nil
}

// MaximumArgs allows at most n positional arguments.
func MaximumArgs(n int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) > n {
			return UsageErrorf("%s takes at most %d argument(s), got %d", cmd.CommandPath(), n, len(args))
		}
		return nil
	}
}

// ExactArgs requires exactly n positional arguments, naming them in the error.
func ExactArgs(n int, what string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != n {
			return UsageErrorf("%s needs %s", cmd.CommandPath(), what)
		}
		return nil
	}
}

// ReadInput reads a file, or standard input (in) for "-". A missing file
// is a usage error, since the user named it.
func ReadInput(in io.Reader, path, what string) ([]byte, error) {
	if path == "-" {
		b, err := io.ReadAll(in)
		if err != nil {
			return nil, fmt.Errorf("reading %s from standard input: %w", what, err)
		}
		return b, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		if os.IsNotExist(err) {
			return nil, UsageErrorf("%s file %s does not exist", what, path)
		}
		return nil, fmt.Errorf("reading %s: %w", what, err)
	}
	return b, nil
}

// MissingSubcommand is the RunE of a command group run without a
// subcommand: a usage error naming the subcommands the group has.
func MissingSubcommand(cmd *cobra.Command, args []string) error {
	var names []string
	for _, c := range cmd.Commands() {
		if c.IsAvailableCommand() {
			names = append(names, c.Name())
		}
	}
	return UsageErrorf("missing subcommand: %s (see '%s --help')", orJoin(names), cmd.CommandPath())
}

// UsageArgs makes any error of the positional-argument validator v a usage
// error: for the commands cobra adds itself (completion), whose
// validators return plain errors.
func UsageArgs(v cobra.PositionalArgs) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if err := v(cmd, args); err != nil {
			return UsageError(err)
		}
		return nil
	}
}
