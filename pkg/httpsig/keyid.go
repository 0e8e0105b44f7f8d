package httpsig

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/hex"
	"fmt"
	"math/big"
	"net/url"
	"strings"
)

// SerialForm is how the certificate serial number is written in the keyId.
// ASPSPs disagree, so it is a setting; Verify recognises every form.
type SerialForm string

const (
	// SerialDERHex is upper-case hex of the DER INTEGER contents, so a serial
	// whose high bit is set keeps its leading 00 byte. The form of the bank's
	// own example (SN=00E62A8BB30907C2BA) and the default.
	SerialDERHex SerialForm = "der-hex"
	// SerialHex is upper-case hex without leading zero bytes, as in the Berlin
	// Group OpenAPI example (SN=9FA1).
	SerialHex SerialForm = "hex"
	// SerialLowerHex is lower-case hex without leading zeros (adorsys-based ASPSPs).
	SerialLowerHex SerialForm = "lower-hex"
	// SerialDecimal is the serial in decimal, as some gateways print it.
	SerialDecimal SerialForm = "decimal"
)

// SerialForms lists every form, the default first.
var SerialForms = []SerialForm{SerialDERHex, SerialHex, SerialLowerHex, SerialDecimal}

// DNForm is how the issuer distinguished name is written after CA=.
type DNForm string

const (
	// DNPercent is RFC 4514 order (most specific first: CN=...,O=...,C=DE)
	// with spaces percent-encoded, exactly as the Berlin Group OpenAPI example
	// writes it; the default.
	DNPercent DNForm = "rfc4514-pct"
	// DNRFC4514 is the same order with spaces as they are.
	DNRFC4514 DNForm = "rfc4514"
	// DNX509Order is the order the certificate stores the RDNs (C=DE,O=...,CN=...),
	// as OpenSSL and some Java stacks print it.
	DNX509Order DNForm = "x509-order"
	// DNX509OrderPercent is the certificate order with spaces percent-encoded.
	DNX509OrderPercent DNForm = "x509-order-pct"
)

// DNForms lists every form, the default first.
var DNForms = []DNForm{DNPercent, DNRFC4514, DNX509Order, DNX509OrderPercent}

// KeyIDFormat selects the serial and DN forms of a keyId.
type KeyIDFormat struct {
	Serial SerialForm `json:"serial"`
	DN     DNForm     `json:"dn"`
}

// DefaultKeyIDFormat is the form xs2a writes unless told otherwise.
var DefaultKeyIDFormat = KeyIDFormat{Serial: SerialDERHex, DN: DNPercent}

// NamedKeyIDForm is a keyId form by the name of who writes or reads it.
type NamedKeyIDForm struct {
	Name   string
	Format KeyIDFormat
	Who    string
}

// NamedKeyIDForms are the forms ASPSPs are known to use, the default first.
var NamedKeyIDForms = []NamedKeyIDForm{
	{"enfuce", DefaultKeyIDFormat, "Enfuce-hosted card issuers (the bank's example SN=00E62A8BB30907C2BA)"},
	{"adorsys", KeyIDFormat{Serial: SerialLowerHex, DN: DNPercent}, "adorsys-based ASPSPs, which compare the keyId as a string"},
	{"berlin-group", KeyIDFormat{Serial: SerialHex, DN: DNPercent}, "the Berlin Group OpenAPI example (SN=9FA1)"},
}

// ParseKeyIDFormName looks up a named keyId form.
func ParseKeyIDFormName(s string) (KeyIDFormat, error) {
	names := make([]string, len(NamedKeyIDForms))
	for i, n := range NamedKeyIDForms {
		if n.Name == s {
			return n.Format, nil
		}
		names[i] = n.Name
	}
	return KeyIDFormat{}, fmt.Errorf("unknown keyId form %q (one of %s)", s, strings.Join(names, ", "))
}

// KeyIDFormName is the name of a format, "" when it has none.
func KeyIDFormName(f KeyIDFormat) string {
	for _, n := range NamedKeyIDForms {
		if n.Format == f {
			return n.Name
		}
	}
	return ""
}

// ParseSerialForm validates a serial form name.
func ParseSerialForm(s string) (SerialForm, error) {
	for _, f := range SerialForms {
		if string(f) == s {
			return f, nil
		}
	}
	return "", fmt.Errorf("unknown serial form %q (one of %s)", s, joinForms(SerialForms))
}

// ParseDNForm validates a DN form name.
func ParseDNForm(s string) (DNForm, error) {
	for _, f := range DNForms {
		if string(f) == s {
			return f, nil
		}
	}
	return "", fmt.Errorf("unknown DN form %q (one of %s)", s, joinForms(DNForms))
}

func joinForms[T ~string](fs []T) string {
	s := make([]string, len(fs))
	for i, f := range fs {
		s[i] = string(f)
	}
	return strings.Join(s, ", ")
}

// FormatSerial writes a serial number in the given form.
func FormatSerial(serial *big.Int, f SerialForm) string {
	n := new(big.Int).Abs(serial)
	switch f {
	case SerialDecimal:
		return n.String()
	case SerialLowerHex:
		return strings.ToLower(n.Text(16))
	case SerialHex:
		return strings.ToUpper(n.Text(16))
	default:
		b := n.Bytes()
		if len(b) == 0 || b[0]&0x80 != 0 {
			b = append([]byte{0}, b...)
		}
		return strings.ToUpper(hex.EncodeToString(b))
	}
}

var attrNames = map[string]string{
	"2.5.4.3":                    "CN",
	"2.5.4.6":                    "C",
	"2.5.4.7":                    "L",
	"2.5.4.8":                    "ST",
	"2.5.4.9":                    "STREET",
	"2.5.4.10":                   "O",
	"2.5.4.11":                   "OU",
	"2.5.4.5":                    "SERIALNUMBER",
	"2.5.4.97":                   "organizationIdentifier",
	"2.5.4.4":                    "SN",
	"2.5.4.42":                   "GN",
	"0.9.2342.19200300.100.1.25": "DC",
	"0.9.2342.19200300.100.1.1":  "UID",
	"1.2.840.113549.1.9.1":       "emailAddress",
}

// FormatDN writes a raw DER-encoded Name in the given form.
func FormatDN(rawName []byte, f DNForm) (string, error) {
	all, err := formatDNAll(rawName)
	if err != nil {
		return "", err
	}
	for i, df := range DNForms {
		if df == f {
			return all[i], nil
		}
	}
	return all[0], nil
}

// formatDNAll parses a Name once and writes it in every DNForm.
func formatDNAll(rawName []byte) ([]string, error) {
	if v, ok := dnCache.getBytes(rawName); ok {
		return v, nil
	}
	var seq pkix.RDNSequence
	if rest, err := asn1.Unmarshal(rawName, &seq); err != nil {
		return nil, fmt.Errorf("parsing distinguished name: %w", err)
	} else if len(rest) > 0 {
		return nil, fmt.Errorf("parsing distinguished name: trailing data")
	}
	rdns := make([]string, 0, len(seq))
	for _, rdn := range seq {
		parts := make([]string, 0, len(rdn))
		for _, atv := range rdn {
			name, ok := attrNames[atv.Type.String()]
			if !ok {
				name = atv.Type.String()
			}
			parts = append(parts, name+"="+escapeDNValue(fmt.Sprint(atv.Value)))
		}
		rdns = append(rdns, strings.Join(parts, "+"))
	}
	x509Order := strings.Join(rdns, ",")
	for i, j := 0, len(rdns)-1; i < j; i, j = i+1, j-1 {
		rdns[i], rdns[j] = rdns[j], rdns[i]
	}
	rfc := strings.Join(rdns, ",")
	byForm := map[DNForm]string{DNPercent: percentSpaces(rfc), DNRFC4514: rfc, DNX509Order: x509Order, DNX509OrderPercent: percentSpaces(x509Order)}
	out := make([]string, len(DNForms))
	for i, f := range DNForms {
		out[i] = byForm[f]
	}
	dnCache.put(string(rawName), out)
	return out, nil
}

// escapeDNValue applies RFC 4514 section 2.4 escaping.
func escapeDNValue(v string) string {
	var b strings.Builder
	for i, r := range v {
		switch {
		case strings.ContainsRune(",+\"\\<>;=", r):
			b.WriteByte('\\')
			b.WriteRune(r)
		case (i == 0 && (r == ' ' || r == '#')) || (i == len(v)-1 && r == ' '):
			b.WriteByte('\\')
			b.WriteRune(r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// percentSpaces encodes spaces and percent signs, the two characters the
// Berlin Group example shows encoded while '=' and ',' stay as they are.
func percentSpaces(s string) string { return percentReplacer.Replace(s) }

var percentReplacer = strings.NewReplacer("%", "%25", " ", "%20")

// KeyID returns "SN=<serial>,CA=<issuer DN>" for the certificate.
func KeyID(cert *x509.Certificate, f KeyIDFormat) (string, error) {
	if f.Serial == "" {
		f.Serial = DefaultKeyIDFormat.Serial
	}
	if f.DN == "" {
		f.DN = DefaultKeyIDFormat.DN
	}
	dn, err := FormatDN(cert.RawIssuer, f.DN)
	if err != nil {
		return "", err
	}
	return "SN=" + FormatSerial(cert.SerialNumber, f.Serial) + ",CA=" + dn, nil
}

// ParseKeyID splits "SN=...,CA=..." into its serial and CA parts. The CA part
// runs to the end, since the DN itself contains commas.
func ParseKeyID(keyID string) (serial, ca string, err error) {
	s := strings.TrimSpace(keyID)
	if len(s) < 3 || !strings.EqualFold(s[:3], "SN=") {
		return "", "", fmt.Errorf("keyId %q does not start with \"SN=\"", keyID)
	}
	rest := s[3:]
	// Matched ASCII-only: strings.ToUpper changes the byte length of
	// invalid UTF-8 and of some letters (ı, ſ, ɐ), and its offsets then do
	// not fit rest.
	i := indexFoldASCII(rest, ",CA=")
	j := indexFoldASCII(rest, ", CA=")
	switch {
	case i >= 0 && (j < 0 || i < j):
		return rest[:i], rest[i+4:], nil
	case j >= 0:
		return rest[:j], rest[j+5:], nil
	}
	return "", "", fmt.Errorf("keyId %q has no \",CA=<issuer DN>\" part", keyID)
}

// indexFoldASCII is strings.Index with ASCII letters matched
// case-insensitively; sub must be ASCII.
func indexFoldASCII(s, sub string) int {
	for i := 0; i+len(sub) <= len(s); i++ {
		if asciiEqualFold(s[i:i+len(sub)], sub) {
			return i
		}
	}
	return -1
}

func asciiEqualFold(a, b string) bool {
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'a' <= x && x <= 'z' {
			x -= 'a' - 'A'
		}
		if 'a' <= y && y <= 'z' {
			y -= 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// KeyIDMatch is the result of comparing a keyId with a certificate.
type KeyIDMatch struct {
	SerialOK   bool
	DNOK       bool
	SerialForm SerialForm // the form recognised, when SerialOK
	DNForm     DNForm     // the form recognised, when DNOK
	// SerialExact and DNExact: the part is written exactly in its form, not
	// a spelling of the same value in no form (mixed case, extra zeros).
	SerialExact, DNExact bool
	// SameSerial and SameDN are the other forms that write this
	// certificate's value identically (a serial without the high bit set is
	// der-hex and hex alike), so a diagnosis names them too.
	SameSerial []SerialForm
	SameDN     []DNForm
	// Problem explains a mismatch in one sentence.
	Problem string
}

// OK reports whether both parts name the certificate.
func (m KeyIDMatch) OK() bool { return m.SerialOK && m.DNOK }

// Form is the recognised format, meaningful when OK.
func (m KeyIDMatch) Form() KeyIDFormat { return KeyIDFormat{Serial: m.SerialForm, DN: m.DNForm} }

// MatchKeyID compares a keyId with a certificate, recognising every serial and
// DN form, and names the form it saw.
func MatchKeyID(keyID string, cert *x509.Certificate) KeyIDMatch {
	k := keyID + "\x00" + string(cert.Signature)
	if m, ok := kidCache.get(k); ok {
		return m
	}
	m := matchKeyID(keyID, cert)
	kidCache.put(k, m)
	return m
}

func matchKeyID(keyID string, cert *x509.Certificate) KeyIDMatch {
	var m KeyIDMatch
	sn, ca, err := ParseKeyID(keyID)
	if err != nil {
		m.Problem = err.Error()
		return m
	}
	for _, f := range SerialForms {
		if sn == FormatSerial(cert.SerialNumber, f) {
			m.SerialOK, m.SerialForm, m.SerialExact = true, f, true
			break
		}
	}
	if !m.SerialOK {
		// Same number, unusual spelling (mixed case, extra zeros, colons)?
		clean := strings.NewReplacer(":", "", " ", "").Replace(sn)
		if v, ok := new(big.Int).SetString(clean, 16); ok && v.CmpAbs(cert.SerialNumber) == 0 {
			m.SerialOK, m.SerialForm = true, SerialHex
		} else {
			m.Problem = fmt.Sprintf("serial %q is not the certificate's serial (%s in hex, %s in decimal)",
				sn, FormatSerial(cert.SerialNumber, SerialDERHex), FormatSerial(cert.SerialNumber, SerialDecimal))
		}
	}
	if all, err := formatDNAll(cert.RawIssuer); err == nil {
		for i, dn := range all {
			if dn == ca {
				m.DNOK, m.DNForm, m.DNExact = true, DNForms[i], true
				break
			}
		}
	}
	if m.SerialExact {
		for _, f := range SerialForms {
			if f != m.SerialForm && FormatSerial(cert.SerialNumber, f) == sn {
				m.SameSerial = append(m.SameSerial, f)
			}
		}
	}
	if m.DNExact {
		all, _ := formatDNAll(cert.RawIssuer)
		for i, f := range DNForms {
			if f != m.DNForm && all[i] == ca {
				m.SameDN = append(m.SameDN, f)
			}
		}
	}
	if !m.DNOK {
		want, _ := FormatDN(cert.RawIssuer, DNRFC4514)
		got := ca
		if u, err := url.PathUnescape(ca); err == nil {
			got = u
		}
		if normDN(got) == normDN(want) {
			m.DNOK, m.DNForm = true, DNRFC4514
		} else if normDN(reverseDN(got)) == normDN(want) {
			m.DNOK, m.DNForm = true, DNX509Order
		} else {
			p := fmt.Sprintf("CA %q is not the certificate's issuer %q", ca, want)
			if m.Problem != "" {
				m.Problem += "; " + p
			} else {
				m.Problem = p
			}
		}
	}
	return m
}

// normDN makes spelling differences that do not change the name disappear:
// spaces after commas, attribute-name case.
func normDN(s string) string {
	parts := splitDN(s)
	for i, p := range parts {
		p = strings.TrimSpace(p)
		if k, v, ok := strings.Cut(p, "="); ok {
			p = strings.ToUpper(strings.TrimSpace(k)) + "=" + strings.TrimSpace(v)
		}
		parts[i] = p
	}
	return strings.Join(parts, ",")
}

func reverseDN(s string) string {
	parts := splitDN(s)
	for i, j := 0, len(parts)-1; i < j; i, j = i+1, j-1 {
		parts[i], parts[j] = parts[j], parts[i]
	}
	return strings.Join(parts, ",")
}

// splitDN splits on commas that are not escaped with a backslash.
func splitDN(s string) []string {
	var parts []string
	var cur strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '\\' && i+1 < len(s) {
			cur.WriteByte(c)
			cur.WriteByte(s[i+1])
			i++
			continue
		}
		if c == ',' {
			parts = append(parts, cur.String())
			cur.Reset()
			continue
		}
		cur.WriteByte(c)
	}
	return append(parts, cur.String())
}
