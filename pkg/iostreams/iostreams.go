// Package iostreams holds the three standard streams of a command together
// with what is known about them (is it a terminal, may it be coloured), so that
// commands never touch os.Stdout directly and tests can swap in buffers and
// pretend to be a terminal.
package iostreams

import (
	"bytes"
	"io"
	"os"
	"time"

	"github.com/fatih/color"
	"github.com/mattn/go-isatty"
)

// IOStreams are the streams a command reads and writes.
type IOStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer

	stdinTTY, stdoutTTY, stderrTTY bool
	noColor                        bool
	progressDelay                  *time.Duration // nil: DefaultProgressDelay
}

// System returns the process's streams. NO_COLOR with a value (an empty
// one counts as unset, as https://no-color.org says) and TERM=dumb switch
// colour off.
func System() *IOStreams {
	s := &IOStreams{
		In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr,
		stdinTTY:  isTerminal(os.Stdin),
		stdoutTTY: isTerminal(os.Stdout),
		stderrTTY: isTerminal(os.Stderr),
	}
	if os.Getenv("NO_COLOR") != "" || os.Getenv("TERM") == "dumb" {
		s.noColor = true
	}
	return s
}

func isTerminal(f *os.File) bool {
	return isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd())
}

// Test returns streams backed by buffers: no terminal, no colour.
func Test() (*IOStreams, *bytes.Buffer, *bytes.Buffer, *bytes.Buffer) {
	in, out, errOut := &bytes.Buffer{}, &bytes.Buffer{}, &bytes.Buffer{}
	return &IOStreams{In: in, Out: out, ErrOut: errOut}, in, out, errOut
}

func (s *IOStreams) IsStdinTTY() bool  { return s.stdinTTY }
func (s *IOStreams) IsStdoutTTY() bool { return s.stdoutTTY }
func (s *IOStreams) IsStderrTTY() bool { return s.stderrTTY }

// SetTTY lets tests pretend the streams are terminals.
func (s *IOStreams) SetTTY(stdin, stdout, stderr bool) {
	s.stdinTTY, s.stdoutTTY, s.stderrTTY = stdin, stdout, stderr
}

// SetColorDisabled turns colour off (--no-color).
func (s *IOStreams) SetColorDisabled(off bool) { s.noColor = s.noColor || off }

// ColorEnabled reports whether stdout may be coloured.
func (s *IOStreams) ColorEnabled() bool { return s.stdoutTTY && !s.noColor }

// ErrColorEnabled reports whether stderr may be coloured.
func (s *IOStreams) ErrColorEnabled() bool { return s.stderrTTY && !s.noColor }

// ColorScheme for stdout.
func (s *IOStreams) ColorScheme() *ColorScheme { return NewColorScheme(s.ColorEnabled()) }

// ErrColorScheme for stderr.
func (s *IOStreams) ErrColorScheme() *ColorScheme { return NewColorScheme(s.ErrColorEnabled()) }

// ColorScheme colours text only when enabled. Each colour is its own
// *color.Color with its state set explicitly, so fatih/color's global NoColor
// (computed from stdout alone) never decides for stderr.
type ColorScheme struct {
	enabled                         bool
	red, green, yellow, bold, faint *color.Color
}

// NewColorScheme returns a scheme that colours when enabled is true.
func NewColorScheme(enabled bool) *ColorScheme {
	mk := func(a ...color.Attribute) *color.Color {
		c := color.New(a...)
		if enabled {
			c.EnableColor()
		} else {
			c.DisableColor()
		}
		return c
	}
	return &ColorScheme{enabled: enabled,
		red: mk(color.FgRed), green: mk(color.FgGreen), yellow: mk(color.FgYellow),
		bold: mk(color.Bold), faint: mk(color.Faint)}
}

func (c *ColorScheme) Enabled() bool          { return c.enabled }
func (c *ColorScheme) Red(s string) string    { return c.red.Sprint(s) }
func (c *ColorScheme) Green(s string) string  { return c.green.Sprint(s) }
func (c *ColorScheme) Yellow(s string) string { return c.yellow.Sprint(s) }
func (c *ColorScheme) Bold(s string) string   { return c.bold.Sprint(s) }
func (c *ColorScheme) Faint(s string) string  { return c.faint.Sprint(s) }

// SuccessIcon marks a check that passed.
func (c *ColorScheme) SuccessIcon() string { return c.Green("✓") }

// FailureIcon marks a check that failed.
func (c *ColorScheme) FailureIcon() string { return c.Red("✗") }

// WarningIcon marks a warning.
func (c *ColorScheme) WarningIcon() string { return c.Yellow("!") }
