package termsafe

import "unicode/utf8"

// JSON rewrites a JSON document so that no character a terminal obeys is
// left raw in it, without changing what it decodes to. encoding/json
// already writes C0 controls as \u00XX and U+2028/U+2029 escaped, but not
// DEL, the C1 range or the bidi overrides, and json.Indent passes a
// bank's raw bytes through as they came; those are written as \uXXXX here,
// and invalid UTF-8 as \ufffd (what a decoder reads it as anyway). In valid
// JSON such characters can only stand inside strings, where \uXXXX means
// the same character, so the document stays valid and equal. JSON is for
// output meant for scripts (-o json, xs2a api's pretty bodies), which a
// user may still cat.
func JSON(b []byte) []byte {
	clean := true
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if (r == utf8.RuneError && n == 1) || (r >= 0x7f && dangerous(r)) {
			clean = false
			break
		}
		i += n
	}
	if clean {
		return b
	}
	const digits = "0123456789abcdef"
	out := make([]byte, 0, len(b)+32)
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			out = append(out, `\ufffd`...)
		case r >= 0x7f && dangerous(r):
			out = append(out, '\\', 'u', digits[r>>12&0xf], digits[r>>8&0xf], digits[r>>4&0xf], digits[r&0xf])
		default:
			out = append(out, b[i:i+n]...)
		}
		i += n
	}
	return out
}
