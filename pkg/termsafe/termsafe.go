// Package termsafe makes text that came from outside xs2a (a bank's answer,
// a header, a request file, a bundle, a certificate's subject) safe to write
// to a terminal. A terminal obeys the control characters in what it is
// given: ESC and CSI/OSC sequences move the cursor, rewrite lines already
// printed, set the window title or the clipboard, and a bare CR lets a line
// print over itself (a fake "✓"). So every control character in such text
// is written as a visible escape instead: C0 controls, DEL, the C1 range,
// invalid UTF-8 and the Unicode bidirectional overrides that reorder what a
// reader sees.
//
// Line is for a value printed inside one line of the layout (it escapes
// newlines and tabs too); Text keeps newlines and tabs, for a body shown
// as a block (the -v trace). JSON output needs neither, but encoding/json
// escapes only the C0 controls (and U+2028/U+2029): JSON writes DEL, C1
// and the bidi characters of a JSON document as \uXXXX too.
package termsafe

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// Line escapes every control character, newlines and tabs included.
func Line(s string) string { return escape(s, false) }

// Text escapes every control character but LF and TAB, which a block of
// text keeps; CR is escaped, since it can overwrite a line.
func Text(s string) string { return escape(s, true) }

// Safe reports whether s needs no escaping for a single line.
func Safe(s string) bool {
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && n == 1) || dangerous(r) {
			return false
		}
		i += n
	}
	return true
}

func escape(s string, block bool) string {
	// The common case: nothing to do, no allocation.
	clean := true
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && n == 1) || (dangerous(r) && !(block && (r == '\n' || r == '\t'))) {
			clean = false
			break
		}
		i += n
	}
	if clean {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 16)
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			b.WriteString(`\x`)
			b.WriteString(hex2(s[i]))
		case block && (r == '\n' || r == '\t'):
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\r':
			b.WriteString(`\r`)
		case r < 0x20 || r == 0x7f:
			b.WriteString(`\x`)
			b.WriteString(hex2(byte(r)))
		case dangerous(r):
			b.WriteString(`\u`)
			h := strconv.FormatInt(int64(r), 16)
			b.WriteString(strings.Repeat("0", 4-len(h)))
			b.WriteString(h)
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

func hex2(c byte) string {
	const digits = "0123456789abcdef"
	return string([]byte{digits[c>>4], digits[c&0xf]})
}

// dangerous: C0, DEL, C1, and the bidi embeddings, overrides and isolates
// (U+202A–U+202E, U+2066–U+2069) that make a terminal show text in an
// order other than the bytes'; also the line and paragraph separators.
func dangerous(r rune) bool {
	switch {
	case r < 0x20, r == 0x7f, r >= 0x80 && r <= 0x9f:
		return true
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069, r == 0x2028, r == 0x2029:
		return true
	}
	return false
}
