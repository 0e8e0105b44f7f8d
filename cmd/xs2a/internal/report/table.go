package report

import (
	"bytes"
	"io"
	"regexp"
	"strings"
	"text/tabwriter"
	"unicode/utf8"

	"github.com/xs2a-dev/xs2a/pkg/iostreams"
)

// Table is the human output's table: written like a tabwriter (cells
// ended by \t, rows by \n), printed by Flush in columns two spaces apart,
// and fitted to the terminal. When a row is wider than the terminal, the
// free-text columns named at construction (the bank's names, details,
// reasons) are shortened, the least needed first, each cut cell ending in "…" and
// cut at a space where one is near, so a table never wraps mid-word. Off a
// terminal (width 0) nothing is cut: a script or a file gets every
// character.
type Table struct {
	w      io.Writer
	width  int
	shrink []int
	buf    bytes.Buffer
}

// NewTable is a Table on ios.Out as wide as ios.TerminalWidth(); shrink
// are the columns (0-based; -1 the last) that may be shortened, in the
// order they give way.
func NewTable(ios *iostreams.IOStreams, shrink ...int) *Table {
	return NewTableWidth(ios.Out, ios.TerminalWidth(), shrink...)
}

// NewTableWidth is a Table on w, width columns wide (0: no limit).
func NewTableWidth(w io.Writer, width int, shrink ...int) *Table {
	return &Table{w: w, width: width, shrink: shrink}
}

// Write buffers the table's text until Flush.
func (t *Table) Write(p []byte) (int, error) { return t.buf.Write(p) }

// minShrunk is the narrowest a shortened column gets: a cut below it
// would leave nothing to read.
const minShrunk = 12

// Flush prints the table.
func (t *Table) Flush() error {
	text := strings.TrimSuffix(t.buf.String(), "\n")
	t.buf.Reset()
	if text == "" {
		return nil
	}
	var rows [][]string
	for _, line := range strings.Split(text, "\n") {
		rows = append(rows, strings.Split(line, "\t"))
	}
	if t.width > 0 {
		fit(rows, t.width, t.shrink)
	}
	tw := tabwriter.NewWriter(t.w, 0, 2, 2, ' ', 0)
	for _, r := range rows {
		if _, err := io.WriteString(tw, strings.Join(r, "\t")+"\n"); err != nil {
			return err
		}
	}
	return tw.Flush()
}

// fit shortens the cells of the shrinkable columns until every row fits
// in width columns, in the order shrink names them (the least needed
// first), each down to minShrunk or its header's width; when they all
// are and the row is still too wide, the terminal wraps it.
func fit(rows [][]string, width int, shrink []int) {
	widths := []int{}
	for _, r := range rows {
		for i, c := range r {
			if i >= len(widths) {
				widths = append(widths, 0)
			}
			widths[i] = max(widths[i], visible(c))
		}
	}
	total := 0
	for i, w := range widths {
		total += w
		if i < len(widths)-1 {
			total += 2 // the padding
		}
	}
	// A first row in capitals is the header, never cut: the columns are
	// not cut narrower than it.
	header := strings.ToUpper(strings.Join(rows[0], "")) == strings.Join(rows[0], "")
	floor := map[int]int{}
	order := make([]int, len(shrink))
	for i, c := range shrink {
		if c < 0 {
			c += len(widths) // -1: the last column
		}
		order[i] = c
		if c < 0 || c >= len(widths) {
			continue
		}
		f := minShrunk
		if header && c < len(rows[0]) {
			f = max(f, visible(rows[0][c]))
		}
		floor[c] = min(widths[c], f)
	}
	excess := total - width
	for _, c := range order {
		if f, ok := floor[c]; ok && excess > 0 {
			take := min(excess, widths[c]-f)
			widths[c] -= take
			excess -= take
		}
	}
	for c := range floor {
		for _, r := range rows {
			if c < len(r) {
				r[c] = Ellipsis(r[c], widths[c])
			}
		}
	}
}

var ansi = regexp.MustCompile("\x1b\\[[0-9;]*m")

// visible is how many columns s takes on a terminal: its runes, colour
// sequences not counted.
func visible(s string) int { return utf8.RuneCountInString(ansi.ReplaceAllString(s, "")) }

// Ellipsis shortens s to n columns ending in "…", at the last space in
// its second half when the cut would fall inside a word; s as it is when
// it fits. A shortened cell loses its colour.
func Ellipsis(s string, n int) string {
	if visible(s) <= n {
		return s
	}
	r := []rune(ansi.ReplaceAllString(s, ""))
	if n < 2 {
		return "…"
	}
	keep := r[:n-1]
	if r[n-1] != ' ' && keep[len(keep)-1] != ' ' {
		for i := len(keep) - 1; i >= len(keep)/2; i-- {
			if keep[i] == ' ' {
				keep = keep[:i]
				break
			}
		}
	}
	return strings.TrimRight(string(keep), " ") + "…"
}
