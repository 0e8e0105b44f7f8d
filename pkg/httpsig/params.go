package httpsig

import (
	"fmt"
	"strconv"
	"strings"
)

// Params are the parameters of a Signature header.
type Params struct {
	KeyID     string
	Algorithm string
	// Headers is the signed header list in signing order. HeadersSet is false
	// when the parameter was absent, in which case the draft says ["date"].
	Headers    []string
	HeadersSet bool
	Signature  string
	Created    string
	Expires    string
	// Order is the order parameters appeared in, and Unknown holds parameters
	// this package does not know, kept for the diagnosis.
	Order   []string
	Unknown map[string]string
}

// SignedHeaders is the effective header list: the default ["date"] of the
// draft (section 2.1.6) when no headers parameter was given.
func (p *Params) SignedHeaders() []string {
	if !p.HeadersSet {
		return []string{"date"}
	}
	return p.Headers
}

// String writes the header value in the canonical parameter order with
// quoted values, as the Berlin Group examples do.
func (p *Params) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "keyId=%s,algorithm=%s", quoteParam(p.KeyID), quoteParam(p.Algorithm))
	if p.Created != "" {
		fmt.Fprintf(&b, ",created=%s", p.Created)
	}
	if p.Expires != "" {
		fmt.Fprintf(&b, ",expires=%s", p.Expires)
	}
	if p.HeadersSet {
		fmt.Fprintf(&b, ",headers=%s", quoteParam(strings.Join(p.Headers, " ")))
	}
	fmt.Fprintf(&b, ",signature=%s", quoteParam(p.Signature))
	return b.String()
}

// quoteParam writes an HTTP quoted-string (RFC 9110 5.6.4): only '"' and '\' are
// escaped, everything else is kept byte for byte, which is what
// ParseSignature reads back. Go's %q would write Go escapes (\x00, \t,
// \u00a0) that a server reads as the letters x00, t, u00a0.
func quoteParam(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == '"' || c == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	b.WriteByte('"')
	return b.String()
}

// HeaderParseError says what is wrong with a Signature header and where.
type HeaderParseError struct {
	Offset int
	Msg    string
}

func (e *HeaderParseError) Error() string {
	return fmt.Sprintf("signature header: %s (at character %d)", e.Msg, e.Offset+1)
}

// ParseSignature parses a Signature header value. It also accepts the value of
// an Authorization header ("Signature keyId=...").
func ParseSignature(h string) (*Params, error) {
	s := h
	off := 0
	// The "Signature " auth-scheme of an Authorization header, but not a
	// first parameter named signature with a space before its '='.
	if t := strings.TrimLeft(s, " \t"); len(t) >= 10 && strings.EqualFold(t[:10], "signature ") &&
		!strings.HasPrefix(strings.TrimLeft(t[10:], " \t"), "=") {
		off = len(s) - len(t) + 10
	}
	p := &Params{}
	seen := map[string]bool{}
	for {
		for off < len(s) && (s[off] == ' ' || s[off] == '\t') {
			off++
		}
		if off >= len(s) {
			break
		}
		start := off
		for off < len(s) && s[off] != '=' && s[off] != ',' && s[off] != ' ' {
			off++
		}
		name := s[start:off]
		if name == "" {
			return nil, &HeaderParseError{Offset: start, Msg: "expected a parameter name"}
		}
		for off < len(s) && s[off] == ' ' {
			off++
		}
		if off >= len(s) || s[off] != '=' {
			return nil, &HeaderParseError{Offset: off, Msg: fmt.Sprintf("parameter %q has no '=value'", name)}
		}
		off++
		for off < len(s) && s[off] == ' ' {
			off++
		}
		var val string
		if off < len(s) && s[off] == '"' {
			v, next, ok := quotedString(s, off+1)
			if !ok {
				return nil, &HeaderParseError{Offset: start, Msg: fmt.Sprintf("value of %q has no closing quote", name)}
			}
			val, off = v, next
		} else {
			vs := off
			for off < len(s) && s[off] != ',' {
				off++
			}
			val = strings.TrimSpace(s[vs:off])
		}
		lname := strings.ToLower(name)
		if seen[lname] {
			return nil, &HeaderParseError{Offset: start, Msg: fmt.Sprintf("parameter %q appears twice", name)}
		}
		seen[lname] = true
		p.Order = append(p.Order, name)
		switch lname {
		case "keyid":
			p.KeyID = val
		case "algorithm":
			p.Algorithm = val
		case "headers":
			p.HeadersSet = true
			p.Headers = strings.Fields(val)
		case "signature":
			p.Signature = val
		case "created":
			p.Created = val
		case "expires":
			p.Expires = val
		default:
			if p.Unknown == nil {
				p.Unknown = map[string]string{}
			}
			p.Unknown[name] = val
		}
		for off < len(s) && (s[off] == ' ' || s[off] == '\t') {
			off++
		}
		if off < len(s) {
			if s[off] != ',' {
				return nil, &HeaderParseError{Offset: off, Msg: fmt.Sprintf("expected ',' after parameter %q", name)}
			}
			off++
		}
	}
	if p.KeyID == "" && !seen["keyid"] {
		return nil, &HeaderParseError{Offset: 0, Msg: "keyId parameter is missing"}
	}
	if p.Signature == "" {
		return nil, &HeaderParseError{Offset: 0, Msg: "signature parameter is missing or empty"}
	}
	for _, k := range []string{"created", "expires"} {
		v := p.Created
		if k == "expires" {
			v = p.Expires
		}
		if v != "" {
			if _, err := strconv.ParseInt(v, 10, 64); err != nil {
				return nil, &HeaderParseError{Offset: 0, Msg: fmt.Sprintf("%s=%q is not a Unix time", k, v)}
			}
		}
	}
	return p, nil
}

// quotedString reads an HTTP quoted-string whose opening quote ends before
// off; it returns the value, the offset after the closing quote, and false
// when there is none.
func quotedString(s string, off int) (string, int, bool) {
	// Fast path: no escape before the closing quote, as in every header a
	// real signer writes; the value is a plain substring.
	if i := strings.IndexAny(s[off:], "\"\\"); i >= 0 && s[off+i] == '"' {
		return s[off : off+i], off + i + 1, true
	}
	var b strings.Builder
	for off < len(s) {
		c := s[off]
		if c == '\\' && off+1 < len(s) {
			b.WriteByte(s[off+1])
			off += 2
			continue
		}
		if c == '"' {
			return b.String(), off + 1, true
		}
		b.WriteByte(c)
		off++
	}
	return "", off, false
}
