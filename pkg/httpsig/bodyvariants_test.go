package httpsig

import (
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
