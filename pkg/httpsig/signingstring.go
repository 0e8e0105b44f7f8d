package httpsig

import (
	"fmt"
	"strings"

	"github.com/xs2a-dev/xs2a/pkg/httpmsg"
)

// RequestTarget is the pseudo-header of draft-cavage section 2.3.
const RequestTarget = "(request-target)"

// MissingHeaderError is returned when the header list names a header the
// request does not carry.
type MissingHeaderError struct{ Name string }

func (e *MissingHeaderError) Error() string {
	return fmt.Sprintf("header %q is in the signed header list but not in the request", e.Name)
}

// Line is one line of a signing string, kept apart so that the explanation can
// show where each value came from.
type Line struct {
	Name  string // as written in the signing string
	Value string
}

// lineForm captures how a signing string is assembled. The correct form is
// the zero value; the others are the mistakes Verify searches.
type lineForm struct {
	nameCase  nameCase
	sep       string // "" means "\n"
	trailer   string // appended after the last line
	multiJoin string // "" means ", "
}

type nameCase int

const (
	nameLower nameCase = iota
	nameAsInMessage
	nameCanonical
	// nameAsSpecified spells names as the Berlin Group specification does
	// (X-Request-ID, PSU-ID): a server that reads the request through
	// net/http sees only canonical names (X-Request-Id), so "as in the
	// message" cannot reproduce a signer that copied the specification's.
	nameAsSpecified
)

// specNames are the Berlin Group specification's spellings that are not
// the canonical form.
var specNames = map[string]string{
	"x-request-id": "X-Request-ID", "psu-id": "PSU-ID", "psu-corporate-id": "PSU-Corporate-ID",
	"tpp-redirect-uri": "TPP-Redirect-URI", "psu-ip-address": "PSU-IP-Address", "consent-id": "Consent-ID",
	"tpp-signature-certificate": "TPP-Signature-Certificate", "tpp-nok-redirect-uri": "TPP-Nok-Redirect-URI",
	"psu-id-type": "PSU-ID-Type", "psu-corporate-id-type": "PSU-Corporate-ID-Type",
}

// SigningLines builds the lines of the signing string for the header list,
// per draft-cavage-http-signatures-10 section 2.3.
func SigningLines(m *httpmsg.Request, headers []string, p *Params) ([]Line, error) {
	return signingLines(m, headers, p, lineForm{})
}

func signingLines(m *httpmsg.Request, headers []string, p *Params, f lineForm) ([]Line, error) {
	lines := make([]Line, 0, len(headers))
	for _, h := range headers {
		lh := strings.ToLower(h)
		switch lh {
		case RequestTarget:
			lines = append(lines, Line{Name: RequestTarget, Value: strings.ToLower(m.Method) + " " + m.Path()})
			continue
		case "(created)", "(expires)":
			v := ""
			if p != nil {
				v = p.Created
				if lh == "(expires)" {
					v = p.Expires
				}
			}
			if v == "" {
				return nil, &MissingHeaderError{Name: lh}
			}
			lines = append(lines, Line{Name: lh, Value: v})
			continue
		}
		var vals []string
		name := lh
		for _, fld := range m.Header {
			if strings.EqualFold(fld.Name, h) {
				vals = append(vals, strings.TrimSpace(fld.Value))
				if f.nameCase == nameAsInMessage && len(vals) == 1 {
					name = fld.Name
				}
			}
		}
		if vals == nil {
			return nil, &MissingHeaderError{Name: lh}
		}
		switch f.nameCase {
		case nameCanonical:
			name = canonical(lh)
		case nameAsSpecified:
			name = canonical(lh)
			if n, ok := specNames[lh]; ok {
				name = n
			}
		}
		join := f.multiJoin
		if join == "" {
			join = ", "
		}
		lines = append(lines, Line{Name: name, Value: strings.Join(vals, join)})
	}
	return lines, nil
}

func joinLines(lines []Line, f lineForm) string {
	sep := f.sep
	if sep == "" {
		sep = "\n"
	}
	var b strings.Builder
	for i, l := range lines {
		if i > 0 {
			b.WriteString(sep)
		}
		b.WriteString(l.Name)
		b.WriteString(": ")
		b.WriteString(l.Value)
	}
	b.WriteString(f.trailer)
	return b.String()
}

// SigningString returns the exact string that is signed: "name: value" lines
// joined by "\n", names lowercased, no trailing newline.
func SigningString(m *httpmsg.Request, headers []string, p *Params) (string, error) {
	lines, err := SigningLines(m, headers, p)
	if err != nil {
		return "", err
	}
	return joinLines(lines, lineForm{}), nil
}

func canonical(lower string) string {
	b := []byte(lower)
	up := true
	for i, c := range b {
		if up && c >= 'a' && c <= 'z' {
			b[i] = c - 'a' + 'A'
		}
		up = c == '-'
	}
	return string(b)
}

// Visible renders a string with its invisible characters shown, so a CR, a
// tab or a trailing newline in a signing string can be seen in a terminal.
func Visible(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '\n':
			b.WriteString("\\n\n")
		case '\r':
			b.WriteString("\\r")
		case '\t':
			b.WriteString("\\t")
		default:
			if r < 0x20 || r == 0x7f {
				fmt.Fprintf(&b, "\\x%02x", r)
			} else if r == 0xa0 || r == 0xfeff || r == 0x200b {
				fmt.Fprintf(&b, "\\u%04x", r)
			} else {
				b.WriteRune(r)
			}
		}
	}
	return b.String()
}
