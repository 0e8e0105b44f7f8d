package termsafe

import (
	"bytes"
	"encoding/json"
)

// IndentJSON pretty-prints a JSON document into dst, as json.Indent does,
// unless the result could exceed max bytes: every line is indented by its
// depth, so a body nested thousands deep grows quadratically (20 KB nested
// 9,999 deep: over a gigabyte). It reports whether dst holds the indented
// document; false for invalid JSON or one that would grow past max.
func IndentJSON(dst *bytes.Buffer, body []byte, indent string, max int) bool {
	// Each line holds at least one byte of the body, so this bounds the
	// output from above.
	if len(body)*(2+len(indent)*jsonDepth(body)) > max {
		return false
	}
	return json.Indent(dst, body, "", indent) == nil
}

// jsonDepth is the deepest nesting of arrays and objects in b, outside
// strings; b need not be valid JSON.
func jsonDepth(b []byte) int {
	depth, max := 0, 0
	inString, escaped := false, false
	for _, c := range b {
		switch {
		case inString:
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
		case c == '"':
			inString = true
		case c == '[' || c == '{':
			depth++
			if depth > max {
				max = depth
			}
		case c == ']' || c == '}':
			if depth > 0 {
				depth--
			}
		}
	}
	return max
}
