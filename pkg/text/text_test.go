package text

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestClip(t *testing.T) {
	for _, c := range []struct {
		s    string
		n    int
		want string
	}{
		{"", 3, ""},
		{"abc", 3, "abc"},
		{"abcd", 3, "abc…"},
		{"abcd", 0, "…"},
		{"abcd", -1, "…"},
		// Characters, not bytes: "é" is two bytes, "€" three, "𝄞" four.
		{"éé", 2, "éé"},
		{"ééé", 2, "éé…"},
		{"a€b", 2, "a€…"},
		{"𝄞𝄞", 1, "𝄞…"},
		// A byte that is not UTF-8 counts as one character and is kept.
		{"\xffab", 1, "\xff…"},
		{"a\xe2\x82", 2, "a\xe2…"},
	} {
		if got := Clip(c.s, c.n); got != c.want {
			t.Errorf("Clip(%q, %d) = %q, want %q", c.s, c.n, got, c.want)
		}
	}
}

func TestOneLine(t *testing.T) {
	for in, want := range map[string]string{
		"":                     "",
		"one":                  "one",
		"  two\twords \r\n  ":  "two words",
		"a\n\nb\u00a0c":        "a b c", // U+00A0 is white space to strings.Fields
		"already on one line.": "already on one line.",
	} {
		if got := OneLine(in); got != want {
			t.Errorf("OneLine(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzClip holds Clip to its promise for any input: the result is s itself
// or a prefix of it plus one Ellipsis, at most n characters before the
// ellipsis, and valid UTF-8 whenever s is.
func FuzzClip(f *testing.F) {
	for _, s := range []string{"", "abc", "ééé", "a€b𝄞", "\xff\xfe", "a\xe2\x82\xacz"} {
		f.Add(s, 2)
	}
	f.Add("ab…", 2) // already ends in the ellipsis
	f.Fuzz(func(t *testing.T, s string, n int) {
		if n > 1<<16 || n < -1<<16 {
			t.Skip()
		}
		got := Clip(s, n)
		if utf8.RuneCountInString(s) <= max(n, 0) {
			if got != s {
				t.Fatalf("Clip(%q, %d) = %q, want s whole", s, n, got)
			}
			return
		}
		prefix, ok := strings.CutSuffix(got, Ellipsis)
		if !ok || !strings.HasPrefix(s, prefix) || len(prefix) == len(s) {
			t.Fatalf("Clip(%q, %d) = %q: not a shorter prefix of s and one ellipsis", s, n, got)
		}
		if max(n, 0) != utf8.RuneCountInString(prefix) {
			t.Fatalf("Clip(%q, %d) kept %d characters, want %d", s, n, utf8.RuneCountInString(prefix), max(n, 0))
		}
		if utf8.ValidString(s) && !utf8.ValidString(got) {
			t.Fatalf("Clip(%q, %d) = %q cuts a UTF-8 character", s, n, got)
		}
	})
}

func FuzzOneLine(f *testing.F) {
	for _, s := range []string{"", "a\nb", " \t x \r\n y "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := OneLine(s)
		if strings.ContainsAny(got, "\r\n\t") || strings.Contains(got, "  ") || strings.TrimSpace(got) != got {
			t.Fatalf("OneLine(%q) = %q is not one line of single spaces", s, got)
		}
		if OneLine(got) != got {
			t.Fatalf("OneLine is not stable on %q", got)
		}
	})
}
