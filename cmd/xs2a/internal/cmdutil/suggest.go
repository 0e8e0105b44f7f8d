package cmdutil

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// UnknownCommand is the usage error for a word that names no subcommand
// of cmd, with the closest subcommands when a typo explains it ("lst" →
// list). A group (accounts, consent, ...) has a RunE of its own, so cobra
// hands it the word as an argument instead of looking it up: NoArgs sends
// it here.
func UnknownCommand(cmd *cobra.Command, word string) error {
	var names []string
	for _, c := range cmd.Commands() {
		if c.IsAvailableCommand() {
			names = append(names, c.Name())
		}
	}
	msg := fmt.Sprintf("unknown command %q for %q", word, cmd.CommandPath())
	if s := closest(word, names); len(s) > 0 {
		msg += "; did you mean " + orJoin(s) + "?"
	}
	return UsageErrorf("%s (see '%s --help')", msg, cmd.CommandPath())
}

// FlagError is the root's flag error function (cobra's SetFlagErrorFunc):
// every error of parsing flags is a usage error that names the flag, an
// unknown flag gets the closest one the command has, and each ends with
// the command's help.
func FlagError(c *cobra.Command, err error) error {
	see := fmt.Sprintf(" (see '%s --help')", c.CommandPath())
	var notExist *pflag.NotExistError
	var invalid *pflag.InvalidValueError
	switch {
	case errors.As(err, &notExist) && notExist.GetSpecifiedShortnames() == "":
		if s := closestFlag(c.Flags(), notExist.GetSpecifiedName()); s != "" {
			return UsageErrorf("%v; did you mean --%s?%s", err, s, see)
		}
	case errors.As(err, &invalid):
		fl := invalid.GetFlag()
		return UsageErrorf("invalid value %q for --%s: %s%s", invalid.GetValue(), fl.Name, wantValue(fl, invalid.Unwrap()), see)
	}
	return UsageErrorf("%v%s", err, see)
}

// wantValue says what a flag of pflag's own types takes, which says more
// than strconv's "parsing "abc": invalid syntax"; a value type of ours
// says it in its own error.
func wantValue(fl *pflag.Flag, cause error) string {
	switch fl.Value.Type() {
	case "duration":
		return "want a duration such as 90s, 5m or 1h30m"
	case "int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16", "uint32", "uint64":
		return "want a whole number"
	case "float32", "float64":
		return "want a number"
	case "bool":
		return "want true or false"
	}
	return cause.Error()
}

// closestFlag is the visible flag of fs nearest to name (closest), ""
// when none is near.
func closestFlag(fs *pflag.FlagSet, name string) string {
	var names []string
	fs.VisitAll(func(fl *pflag.Flag) {
		if !fl.Hidden {
			names = append(names, fl.Name)
		}
	})
	if s := closest(name, names); len(s) > 0 {
		return s[0]
	}
	return ""
}

// closest are the names nearest to word: within two edits (cobra's
// measure for commands), or beginning with it (--insec → insecure,
// counted as two), only those at the smallest distance, so that "lst" gets
// list and not get as well.
func closest(word string, names []string) []string {
	word = strings.ToLower(word)
	var best []string
	bestD := 3
	for _, n := range names {
		d := editDistance(word, n)
		if d > 2 && strings.HasPrefix(n, word) {
			d = 2
		}
		switch {
		case d > 2:
		case d < bestD:
			best, bestD = []string{n}, d
		case d == bestD:
			best = append(best, n)
		}
	}
	return best
}

// editDistance is the Levenshtein distance between a and b, by byte (flag
// names are ASCII).
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// orJoin is "", "a", "a or b", "a, b or c".
func orJoin(s []string) string {
	if len(s) < 2 {
		return strings.Join(s, "")
	}
	return strings.Join(s[:len(s)-1], ", ") + " or " + s[len(s)-1]
}
