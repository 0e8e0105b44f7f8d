package termsafe

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestLine(t *testing.T) {
	cases := map[string]string{
		"plain ✓ text":           "plain ✓ text",
		"\x1b[2J\x1b[H✓ VALID":   `\x1b[2J\x1b[H✓ VALID`,
		"\x1b]52;c;ZXZpbA==\x07": `\x1b]52;c;ZXZpbA==\x07`,
		"ok\rfake ✓":             `ok\rfake ✓`,
		"a\nb\tc":                `a\nb\tc`,
		"del\x7f":                `del\x7f`,
		"c1\u009b31m":            `c1\u009b31m`,
		"bad\xffutf8":            `bad\xffutf8`,
		"bidi\u202egnp.exe":      `bidi\u202egnp.exe`,
		"isolate\u2066x\u2069":   `isolate\u2066x\u2069`,
		"Töölö Åland € 🏦":        "Töölö Åland € 🏦",
	}
	for in, want := range cases {
		if got := Line(in); got != want {
			t.Errorf("Line(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestText(t *testing.T) {
	in := "{\n\t\"name\": \"\x1b[31mred\"\r\n}"
	want := "{\n\t\"name\": \"\\x1b[31mred\"\\r\n}"
	if got := Text(in); got != want {
		t.Errorf("Text = %q, want %q", got, want)
	}
}

func TestSafe(t *testing.T) {
	if !Safe("Rocker Card ✓") || Safe("a\x1bb") || Safe("a\nb") || Safe("\xff") {
		t.Error("Safe misjudges")
	}
}

// The escaped form never holds a control character, and text without any
// is returned unchanged.
func FuzzEscape(f *testing.F) {
	for _, s := range []string{"", "x", "\x1b]0;t\x07", "a\r\nb", "\xc2\x9b", "\u202e", "\xed\xa0\x80"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for name, got := range map[string]string{"Line": Line(s), "Text": Text(s)} {
			if !utf8.ValidString(got) {
				t.Fatalf("%s(%q) is not UTF-8: %q", name, s, got)
			}
			for _, r := range got {
				if dangerous(r) && !(name == "Text" && (r == '\n' || r == '\t')) {
					t.Fatalf("%s(%q) keeps %U", name, s, r)
				}
			}
		}
		if Safe(s) && Line(s) != s {
			t.Fatalf("Line changed safe text %q", s)
		}
		if !strings.ContainsAny(s, "\\") && Safe(s) != (Line(s) == s) {
			t.Fatalf("Safe(%q) disagrees with Line", s)
		}
	})
}
