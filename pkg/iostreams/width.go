package iostreams

import (
	"io"
	"os"
	"strconv"
)

// DefaultWidth is a terminal's width when neither $COLUMNS nor the
// terminal says.
const DefaultWidth = 80

// TerminalWidth is how many columns a table on stdout may take: 0 (no
// limit) when stdout is not a terminal, since a script or a file wants
// every character; on a terminal $COLUMNS, else the terminal's own size,
// else DefaultWidth.
func (s *IOStreams) TerminalWidth() int {
	if !s.stdoutTTY {
		return 0
	}
	return width(s.Out)
}

// errWidth is TerminalWidth for stderr.
func (s *IOStreams) errWidth() int {
	if !s.stderrTTY {
		return 0
	}
	return width(s.ErrOut)
}

func width(w io.Writer) int {
	// $COLUMNS first: a shell sets it without exporting it, so one in the
	// environment is the user's choice (COLUMNS=200 xs2a ...).
	if n, err := strconv.Atoi(os.Getenv("COLUMNS")); err == nil && n > 0 {
		return n
	}
	if f, ok := w.(interface{ Fd() uintptr }); ok {
		if n := terminalColumns(f.Fd()); n > 0 {
			return n
		}
	}
	return DefaultWidth
}
