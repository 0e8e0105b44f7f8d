package shquote

import (
	"os/exec"
	"strings"
	"testing"
)

// unquote reads one word of the grammar Quote writes: quoted runs and \'
// between them, nothing else. It fails on anything a shell would treat
// specially outside quotes.
func unquote(w string) (string, bool) {
	var b strings.Builder
	for len(w) > 0 {
		switch {
		case strings.HasPrefix(w, `\'`):
			b.WriteByte('\'')
			w = w[2:]
		case w[0] == '\'':
			end := strings.IndexByte(w[1:], '\'')
			if end < 0 {
				return "", false
			}
			b.WriteString(w[1 : 1+end])
			w = w[2+end:]
		default:
			return "", false
		}
	}
	return b.String(), true
}

func TestQuote(t *testing.T) {
	cases := map[string]string{
		"":                 `''`,
		"GET":              `'GET'`,
		"it's":             `'it'\''s'`,
		"$(id) `id` \\ \n": "'$(id) `id` \\ \n'",
		"''":               `''\'''\'''`,
	}
	for in, want := range cases {
		if got := Quote(in); got != want {
			t.Errorf("Quote(%q) = %s; want %s", in, got, want)
		}
	}
	for in, want := range map[string]string{"card-8693": "card-8693", "/tmp/a b/c.yaml": `'/tmp/a b/c.yaml'`, "": `''`,
		"x;touch y": `'x;touch y'`, "~root": `'~root'`, "a*": `'a*'`, "2026-01-01": "2026-01-01"} {
		if got := Arg(in); got != want {
			t.Errorf("Arg(%q) = %s; want %s", in, got, want)
		}
	}
	if _, err := Word("a\x00b"); err != ErrNUL {
		t.Errorf("Word with NUL: %v", err)
	}
}

// TestQuoteInARealShell: sh reads each quoted word back as exactly one
// argument, the original bytes.
func TestQuoteInARealShell(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	words := []string{"GET`touch /tmp/x`", "$(id)", "a'b\"c", "\\", "\n\t ", "*", "~", "-X", "é\u202e", ";|&<>(){}[]!#"}
	script := `printf '%s\0' `
	for _, w := range words {
		script += " " + Quote(w)
	}
	out, err := exec.Command(sh, "-c", script).Output()
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Split(strings.TrimSuffix(string(out), "\x00"), "\x00")
	if strings.Join(got, "|") != strings.Join(words, "|") || len(got) != len(words) {
		t.Errorf("sh read %q; want %q", got, words)
	}
}

// FuzzQuote: any string without NUL quotes to a word of the grammar
// '...' and \' only, which reads back to the same string.
func FuzzQuote(f *testing.F) {
	for _, s := range []string{"", "GET", "it's", "$(touch x)", "`id`", "'''", "\\'", "a\nb", "\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		w, err := Word(s)
		if strings.IndexByte(s, 0) >= 0 {
			if err == nil {
				t.Fatal("NUL accepted")
			}
			return
		}
		back, ok := unquote(w)
		if !ok || back != s {
			t.Fatalf("Quote(%q) = %s reads back as %q, %v", s, w, back, ok)
		}
	})
}
