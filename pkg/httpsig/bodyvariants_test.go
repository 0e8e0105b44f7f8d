package httpsig

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestBodyVariantsBounded: a TPP sends a 6 KB JSON body nested 3,000 deep
// with a Digest that does not match. Explaining the mismatch pretty-printed
// the body three ways, and each line's indentation grows with the depth:
// 120 MB of variants held at once (a 20 KB body nested 9,999 deep, the
// most JSON allows: over a gigabyte). The pretty-printed variants are now
// tried only when they are bounded, the others still are.
func TestBodyVariantsBounded(t *testing.T) {
	body := []byte(strings.Repeat("[", 3000) + strings.Repeat("]", 3000))
	total := 0
	for _, v := range bodyVariants(body) {
		total += len(v.body)
	}
	if total > maxVariantBytes*8 {
		t.Errorf("the variants of a %d-byte body hold %d bytes", len(body), total)
	}
	// A consent body pretty-printed is still recognised.
	consent := []byte(`{"access":{"accounts":[{"maskedPan":"524378******8693"}]},"recurringIndicator":true}`)
	found := false
	for _, v := range bodyVariants(consent) {
		found = found || strings.Contains(v.what, "pretty-printed")
	}
	if !found {
		t.Error("no pretty-printed variant of a small consent body")
	}
}

func FuzzJSONDepth(f *testing.F) {
	for _, s := range []string{`{}`, `[[1,[2]],{"a":"[[["}]`, `"\"["`, `{"a\\":[{}]}`, `[`, `]]]`, ``} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		d := jsonDepth(b)
		if d < 0 {
			t.Fatalf("depth %d", d)
		}
		if !json.Valid(b) {
			return
		}
		// For valid JSON the depth is the decoder's deepest nesting.
		dec := json.NewDecoder(strings.NewReader(string(b)))
		cur, max := 0, 0
		for {
			tok, err := dec.Token()
			if err != nil {
				break
			}
			if d, ok := tok.(json.Delim); ok {
				if d == '[' || d == '{' {
					cur++
					max = maxInt(max, cur)
				} else {
					cur--
				}
			}
		}
		if d != max {
			t.Fatalf("jsonDepth %d, decoder %d for %q", d, max, b)
		}
	})
}

func maxInt(a, b int) int {
	if a > b {
		return a
	}
	return b
}
