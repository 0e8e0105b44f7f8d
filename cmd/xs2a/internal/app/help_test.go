package app

import (
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"github.com/xs2a-dev/xs2a/cmd/xs2a/internal/cmdutil"
	"github.com/xs2a-dev/xs2a/pkg/iostreams"
)

// TestEveryCommandHasAnExampleAndPlainValueNames walks the whole command
// tree (cobra's completion commands included): every command that runs,
// and the root, shows an example in its help, each example line is a
// command (no error line pasted among them), and no flag's value name in
// the help is a phrase: pflag takes the first backquoted word of a usage
// for it, so "(default: the one `xs2a authorize` kept)" showed as
// "--code xs2a authorize".
func TestEveryCommandHasAnExampleAndPlainValueNames(t *testing.T) {
	ios, _, _, _ := iostreams.Test()
	root := NewCmdRoot(&cmdutil.Factory{IO: ios})
	n := 0
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		n++
		path := c.CommandPath()
		if (c.Runnable() || c == root) && strings.TrimSpace(c.Example) == "" {
			t.Errorf("%s has no Example", path)
		}
		for _, line := range strings.Split(c.Example, "\n") {
			line = strings.TrimSpace(line)
			if strings.HasPrefix(line, "xs2a:") || strings.Contains(line, "error:") {
				t.Errorf("%s: example line %q is an error, not a command", path, line)
			}
		}
		check := func(fl *pflag.Flag) {
			name, _ := pflag.UnquoteUsage(fl)
			if strings.ContainsAny(name, " \t") || strings.Contains(name, "xs2a") {
				t.Errorf("%s --%s: value name %q", path, fl.Name, name)
			}
		}
		c.LocalFlags().VisitAll(check)
		c.InheritedFlags().VisitAll(check)
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
	if n < 30 {
		t.Fatalf("walked %d commands; the tree has more", n)
	}
}

// TestExamplesParse reads every xs2a command in every example (after
// `&&` and `|` too) as the shell would split it and has the tree parse
// it: the command exists, its flags exist and take the values given, its
// arguments are the number it takes. Whether it then works against a
// bank is the binary tests' (the api example is run against the sandbox).
func TestExamplesParse(t *testing.T) {
	ios, _, _, _ := iostreams.Test()
	newRoot := func() *cobra.Command { return NewCmdRoot(&cmdutil.Factory{IO: ios}) }
	n := 0
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		for _, cmdline := range exampleCommands(c.Example) {
			n++
			root := newRoot()
			found, rest, err := root.Find(cmdline[1:])
			if err == nil {
				err = found.ParseFlags(rest)
			}
			if err == nil {
				err = found.ValidateArgs(found.Flags().Args())
			}
			if err != nil {
				t.Errorf("%s: example %q: %v", c.CommandPath(), strings.Join(cmdline, " "), err)
			}
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(newRoot())
	if n < 40 {
		t.Fatalf("found %d example commands; there are more", n)
	}
}

// exampleCommands splits an Example into the xs2a command lines in it,
// each as words: a line ending in \ goes on on the next, quotes are
// removed, and a command ends at a shell operator or a comment.
func exampleCommands(example string) [][]string {
	var out [][]string
	text := strings.ReplaceAll(example, "\\\n", " ")
	for _, line := range strings.Split(text, "\n") {
		var words []string
		var cur strings.Builder
		inWord := false
		quote := rune(0)
		flush := func() {
			if inWord {
				words = append(words, cur.String())
			}
			cur.Reset()
			inWord = false
		}
		end := func() {
			flush()
			if len(words) > 0 && words[0] == "xs2a" {
				out = append(out, words)
			}
			words = nil
		}
		rs := []rune(line)
	scan:
		for i := 0; i < len(rs); i++ {
			r := rs[i]
			switch {
			case quote != 0 && r == quote:
				quote = 0
			case quote != 0:
				cur.WriteRune(r)
			case r == '\'' || r == '"':
				quote, inWord = r, true
			case r == '\\' && i+1 < len(rs):
				i++
				cur.WriteRune(rs[i])
				inWord = true
			case r == ' ' || r == '\t':
				flush()
			case r == '#' && !inWord:
				break scan
			case r == '|' || r == ';' || r == '&' || r == '>' || r == '<':
				end()
				for i+1 < len(rs) && strings.ContainsRune("|&>", rs[i+1]) {
					i++
				}
				if r == '>' || r == '<' { // the file name after a redirection
					for i+1 < len(rs) && rs[i+1] == ' ' {
						i++
					}
					for i+1 < len(rs) && rs[i+1] != ' ' {
						i++
					}
				}
			default:
				cur.WriteRune(r)
				inWord = true
			}
		}
		end()
	}
	return out
}
