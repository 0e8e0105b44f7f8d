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
	w       io.Writer
	width   int
	shrink  []int
	drop    []int
	dropped []string
	keep    map[int]int
	buf     bytes.Buffer
}

// Drop names the columns (0-based) that are left out, in this order, when
// the table is still wider than the terminal with every shrinkable column
// at its narrowest: a narrow terminal gets fewer columns rather than rows
// the terminal wraps mid-word. Dropped says which were left out.
func (t *Table) Drop(cols ...int) *Table {
	t.drop = cols
	return t
}

// Keep sets how many leading words of column col's cells a cut never
// takes (a balance's "available 285.06 EUR": the amount whole or not at
// all): the column is not shortened below them, and the table drops a
// column (Drop) first.
func (t *Table) Keep(col, words int) *Table {
	if t.keep == nil {
		t.keep = map[int]int{}
	}
	t.keep[col] = words
	return t
}

// Dropped is the headers of the columns the last Flush left out.
func (t *Table) Dropped() []string { return t.dropped }

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
		var shrink []int
		keep := t.keep
		rows, shrink, keep, t.dropped = dropColumns(rows, t.width, t.shrink, t.drop, keep)
		fit(rows, t.width, shrink, keep)
	}
	tw := tabwriter.NewWriter(t.w, 0, 2, 2, ' ', 0)
	for _, r := range rows {
		if _, err := io.WriteString(tw, strings.Join(r, "\t")+"\n"); err != nil {
			return err
		}
	}
	return tw.Flush()
}

// dropColumns leaves out the drop columns, in order, while the rows would
// be wider than width with every shrink column at its floor; it returns
// the rows, the shrink columns renumbered, and the dropped headers.
func dropColumns(rows [][]string, width int, shrink, drop []int, keep map[int]int) ([][]string, []int, map[int]int, []string) {
	if len(drop) == 0 {
		return rows, shrink, keep, nil
	}
	widths, floors := columnWidths(rows, shrink, keep)
	narrowest := func(gone map[int]bool) int {
		total, n := 0, 0
		for c, w := range widths {
			if gone[c] {
				continue
			}
			if f, ok := floors[c]; ok {
				w = f
			}
			total += w
			n++
		}
		return total + 2*max(n-1, 0)
	}
	gone := map[int]bool{}
	var names []string
	for _, c := range drop {
		if narrowest(gone) <= width {
			break
		}
		if c >= 0 && c < len(widths) && !gone[c] {
			gone[c] = true
			if c < len(rows[0]) {
				names = append(names, rows[0][c])
			}
		}
	}
	if len(gone) == 0 {
		return rows, shrink, keep, nil
	}
	out := make([][]string, len(rows))
	for i, r := range rows {
		for c, cell := range r {
			if !gone[c] {
				out[i] = append(out[i], cell)
			}
		}
	}
	// renumber is c's index once the gone columns are out.
	renumber := func(c int) int {
		n := c
		for g := range gone {
			if g < c {
				n--
			}
		}
		return n
	}
	var kept []int
	for _, c := range shrink {
		if c < 0 {
			c += len(widths)
		}
		if !gone[c] {
			kept = append(kept, renumber(c))
		}
	}
	keptWords := map[int]int{}
	for c, n := range keep {
		if !gone[c] {
			keptWords[renumber(c)] = n
		}
	}
	return out, kept, keptWords, names
}

// fit shortens the cells of the shrinkable columns until every row fits
// in width columns, in the order shrink names them (the least needed
// first), each down to minShrunk or its header's width; when they all
// are and the row is still too wide, the terminal wraps it.
func fit(rows [][]string, width int, shrink []int, keep map[int]int) {
	widths, floor := columnWidths(rows, shrink, keep)
	total := 2 * max(len(widths)-1, 0) // the padding
	for _, w := range widths {
		total += w
	}
	order := make([]int, len(shrink))
	for i, c := range shrink {
		if c < 0 {
			c += len(widths) // -1: the last column
		}
		order[i] = c
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

// columnWidths is each column's widest cell, and the floor of each
// shrinkable column: minShrunk, or its header's width when wider (a first
// row in capitals is the header, never cut), or its widest cell when
// narrower.
func columnWidths(rows [][]string, shrink []int, keep map[int]int) (widths []int, floor map[int]int) {
	for _, r := range rows {
		for i, c := range r {
			if i >= len(widths) {
				widths = append(widths, 0)
			}
			widths[i] = max(widths[i], visible(c))
		}
	}
	header := strings.ToUpper(strings.Join(rows[0], "")) == strings.Join(rows[0], "")
	floor = map[int]int{}
	for _, c := range shrink {
		if c < 0 {
			c += len(widths) // -1: the last column
		}
		if c < 0 || c >= len(widths) {
			continue
		}
		f := minShrunk
		if header && c < len(rows[0]) {
			f = max(f, visible(rows[0][c]))
		}
		if n := keep[c]; n > 0 {
			for _, r := range rows {
				if c < len(r) {
					f = max(f, visible(leadingWords(r[c], n))+1) // and the "…"
				}
			}
		}
		floor[c] = min(widths[c], f)
	}
	return widths, floor
}

// leadingWords is the first n words of s.
func leadingWords(s string, n int) string {
	w := strings.Fields(s)
	return strings.Join(w[:min(n, len(w))], " ")
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
