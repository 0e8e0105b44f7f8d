package sandbox

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// A long text is carried by several tppMessages cut only between its
// sentences: each message at most 500 characters (not bytes), each ending
// where a sentence ends, and together the whole text.
func TestSplitTextCutsBetweenSentences(t *testing.T) {
	sentence := func(n int, r string) string { return "the " + strings.Repeat(r+" ", n) + "end" }
	text := sentence(60, "ä") + "; " + sentence(70, "word") + ". " + sentence(30, "x") + "; " + sentence(10, "y")
	parts := splitText(text)
	if len(parts) < 2 {
		t.Fatalf("%d parts for %d characters", len(parts), utf8.RuneCountInString(text))
	}
	for i, p := range parts {
		if n := utf8.RuneCountInString(p); n > maxText {
			t.Errorf("part %d has %d characters", i, n)
		}
		if !strings.HasPrefix(p, "the ") || !(strings.HasSuffix(p, "end;") || strings.HasSuffix(p, "end.") || strings.HasSuffix(p, "end")) {
			t.Errorf("part %d does not hold whole sentences: %q", i, p)
		}
	}
	if got := strings.Join(parts, " "); got != text {
		t.Errorf("parts joined differ from the text:\n%q\n%q", got, text)
	}
	// Sentences that fit together share a message.
	if short := splitText("one; two. three"); len(short) != 1 {
		t.Errorf("short text split: %q", short)
	}
}

// One sentence over the limit is clipped after a word, never continued in
// a second message.
func TestSplitTextClipsOneLongSentence(t *testing.T) {
	text := "the issuer " + strings.Repeat("näme ", 150) + "is unknown"
	parts := splitText(text)
	if len(parts) != 1 {
		t.Fatalf("one sentence became %d messages: %q", len(parts), parts)
	}
	p := parts[0]
	if n := utf8.RuneCountInString(p); n > maxText || n < maxText-10 {
		t.Errorf("clipped to %d characters", n)
	}
	if !strings.HasSuffix(p, "näme…") {
		t.Errorf("not cut after a word with an ellipsis: ...%q", p[len(p)-20:])
	}
}

// A quoted name with ". " in it is not a sentence end.
func TestSentencesKeepQuotedNames(t *testing.T) {
	got := sentences(`the QWAC "O=Example Ltd. Oy; x" is refused; the sandbox trusts "A \"q. r\" B". Next`)
	want := []string{`the QWAC "O=Example Ltd. Oy; x" is refused;`, `the sandbox trusts "A \"q. r\" B".`, "Next"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("sentences = %q, want %q", got, want)
	}
}
