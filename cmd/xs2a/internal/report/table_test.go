package report

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"testing"
	"text/tabwriter"
	"unicode/utf8"

	"github.com/xs2a-dev/xs2a/pkg/iostreams"
)

const rows = "DATE\tSTATUS\tAMOUNT\tDETAILS\n" +
	"2026-12-01\tbooked\t-12.50 EUR\tCoffee at the corner shop near the central station in Helsinki\n" +
	"2026-12-02\tpending\t-1234.00 EUR\tFlight\n"

// Off a terminal the table is exactly what text/tabwriter prints: nothing
// is cut, whatever the width of the rows.
func TestTableOffATerminalIsTabwriter(t *testing.T) {
	var want bytes.Buffer
	tw := tabwriter.NewWriter(&want, 0, 2, 2, ' ', 0)
	fmt.Fprint(tw, rows)
	tw.Flush()

	ios, _, out, _ := iostreams.Test()
	t.Setenv("COLUMNS", "30") // not a terminal: ignored
	tb := NewTable(ios, 3)
	fmt.Fprint(tb, rows)
	if err := tb.Flush(); err != nil {
		t.Fatal(err)
	}
	if out.String() != want.String() {
		t.Errorf("got\n%s\nwant\n%s", out, &want)
	}
}

// On a terminal of $COLUMNS the free-text column is cut with an
// ellipsis at a word's end, and every line fits.
func TestTableFitsTheTerminal(t *testing.T) {
	ios, _, out, _ := iostreams.Test()
	ios.SetTTY(false, true, false)
	t.Setenv("COLUMNS", "60")
	if w := ios.TerminalWidth(); w != 60 {
		t.Fatalf("TerminalWidth = %d with COLUMNS=60", w)
	}
	tb := NewTable(ios, 3)
	fmt.Fprint(tb, rows)
	if err := tb.Flush(); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != 3 {
		t.Fatalf("%d lines:\n%s", len(lines), out)
	}
	for _, l := range lines {
		if n := utf8.RuneCountInString(l); n > 60 {
			t.Errorf("%d columns > 60: %q", n, l)
		}
	}
	cut := lines[1][strings.Index(lines[1], "Coffee"):]
	if !strings.HasSuffix(cut, "…") {
		t.Fatalf("no ellipsis: %q", lines[1])
	}
	// Whole words of the original, no word cut in two.
	words := strings.TrimSuffix(cut, "…")
	if !strings.HasPrefix("Coffee at the corner shop near the central station in Helsinki", words+" ") {
		t.Errorf("cut mid-word: %q", cut)
	}
	if !strings.HasSuffix(lines[2], "Flight") || !strings.HasPrefix(lines[0], "DATE        STATUS   AMOUNT") {
		t.Errorf("the other cells changed:\n%s", out)
	}
}

// Columns not named are never cut; a named one not below its floor.
func TestTableCutsOnlyWhatItMay(t *testing.T) {
	var out bytes.Buffer
	tb := NewTableWidth(&out, 20, 3)
	fmt.Fprint(tb, rows)
	tb.Flush()
	if !strings.Contains(out.String(), "-1234.00 EUR") || !strings.Contains(out.String(), "2026-12-01") {
		t.Errorf("a fixed column was cut:\n%s", &out)
	}
	for _, l := range strings.Split(out.String(), "\n")[1:2] {
		d := l[strings.Index(l, "Coffee"):]
		if utf8.RuneCountInString(d) > minShrunk {
			t.Errorf("DETAILS is %q, want at most %d columns", d, minShrunk)
		}
	}
}

func TestEllipsis(t *testing.T) {
	for _, tc := range []struct {
		in   string
		n    int
		want string
	}{
		{"short", 10, "short"},
		{"exactly ten", 11, "exactly ten"},
		{"Coffee at the corner shop", 16, "Coffee at the…"},
		{"Supercalifragilistic", 8, "Superca…"},
		{"\x1b[32mVALID and more\x1b[0m", 8, "VALID…"},
		{"ab", 1, "…"},
	} {
		if got := Ellipsis(tc.in, tc.n); got != tc.want {
			t.Errorf("Ellipsis(%q, %d) = %q; want %q", tc.in, tc.n, got, tc.want)
		}
	}
}

// -1 is the last column, whichever it is; the caller's list is kept.
func TestTableLastColumn(t *testing.T) {
	var out bytes.Buffer
	shrink := []int{-1}
	tb := NewTableWidth(&out, 40, shrink...)
	fmt.Fprint(tb, "1\tGET /v1/accounts\tINVALID signature: the Digest header does not match the body\n")
	tb.Flush()
	line := strings.TrimSuffix(out.String(), "\n")
	if n := utf8.RuneCountInString(line); n > 40 || !strings.HasSuffix(line, "…") || !strings.Contains(line, "GET /v1/accounts") {
		t.Errorf("%d columns: %q", n, line)
	}
	if shrink[0] != -1 {
		t.Errorf("the caller's columns changed: %v", shrink)
	}
}

// Drop leaves columns out, in its order, only while the narrowest cells
// would not fit; the shrinkable columns after a dropped one still shrink.
func TestTableDrop(t *testing.T) {
	rows := "ID\tNAME\tPRODUCT\tSTATUS\tNOTE\n" +
		"card-1\tA very long account name indeed\tMastercard Gold Premium\tenabled\tsome free text that goes on\n"
	for _, tc := range []struct {
		width   int
		dropped []string
	}{
		{200, nil},
		{70, nil},                           // shrinking is enough
		{50, []string{"PRODUCT"}},           // one column out
		{36, []string{"PRODUCT", "STATUS"}}, // both
		{10, []string{"PRODUCT", "STATUS"}}, // no more to drop: the terminal wraps
	} {
		var b strings.Builder
		tw := NewTableWidth(&b, tc.width, 1, 4, 2).Drop(2, 3)
		fmt.Fprint(tw, rows)
		if err := tw.Flush(); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(tw.Dropped(), tc.dropped) {
			t.Errorf("width %d: dropped %v, want %v\n%s", tc.width, tw.Dropped(), tc.dropped, b.String())
		}
		for _, h := range tc.dropped {
			if strings.Contains(b.String(), h) {
				t.Errorf("width %d: %s still shown\n%s", tc.width, h, b.String())
			}
		}
		if len(tc.dropped) < 2 || tc.width >= 36 {
			for _, l := range strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n") {
				if n := visible(l); n > tc.width {
					t.Errorf("width %d: a row of %d: %q", tc.width, n, l)
				}
			}
		}
	}
}

// Keep: a cut never takes a cell's leading words; a narrow table drops a
// column before it would.
func TestTableKeep(t *testing.T) {
	rows := "ID\tSTATUS\tBALANCE\n" +
		"card-1\tenabled\tavailable 285.06 EUR (expected with credit limit)\n"
	var b strings.Builder
	tw := NewTableWidth(&b, 34, 2).Keep(2, 3).Drop(1)
	fmt.Fprint(tw, rows)
	if err := tw.Flush(); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "available 285.06 EUR…") || !slices.Equal(tw.Dropped(), []string{"STATUS"}) {
		t.Errorf("dropped %v\n%s", tw.Dropped(), b.String())
	}
	for _, l := range strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n") {
		if visible(l) > 34 {
			t.Errorf("a row of %d: %q", visible(l), l)
		}
	}
}
