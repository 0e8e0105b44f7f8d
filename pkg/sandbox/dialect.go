package sandbox

import (
	"fmt"
	"strings"

	"github.com/xs2a-dev/xs2a/pkg/httpsig"
)

// Dialect is how the sandbox reads signatures, after the ASPSPs it
// imitates: Berlin Group ASPSPs agree on the cryptography and disagree on
// the keyId's spelling and the signed header list.
type Dialect string

const (
	// DialectEnfuce is the Berlin Group header list as Enfuce documents it
	// (x-request-id and digest always, psu-id, psu-corporate-id and
	// tpp-redirect-uri if and only if present, nothing else) and every
	// keyId form, named in the diagnosis. The default.
	DialectEnfuce Dialect = "enfuce"
	// DialectAdorsys is what adorsys-based ASPSPs demand: the keyId exactly
	// SN=<lower-case hex>,CA=<RFC 4514 DN with %20>, compared as a string,
	// and "date" in the signed header list.
	DialectAdorsys Dialect = "adorsys"
	// DialectLenient accepts every keyId form and turns the profile's rule
	// deviations into warnings; digest, signature and certificates must
	// still hold.
	DialectLenient Dialect = "lenient"
)

// Dialects lists every dialect, the default first.
var Dialects = []Dialect{DialectEnfuce, DialectAdorsys, DialectLenient}

// ParseDialect validates a dialect name; "" is the default.
func ParseDialect(s string) (Dialect, error) {
	if s == "" {
		return DialectEnfuce, nil
	}
	for _, d := range Dialects {
		if string(d) == s {
			return d, nil
		}
	}
	names := make([]string, len(Dialects))
	for i, d := range Dialects {
		names[i] = string(d)
	}
	return "", fmt.Errorf("unknown bank dialect %q (one of %s)", s, strings.Join(names, ", "))
}

// verifyOptions are the verifier's rules for the dialect.
func (d Dialect) verifyOptions() httpsig.VerifyOptions {
	o := httpsig.VerifyOptions{Profile: httpsig.ProfileBerlinGroup}
	switch d {
	case DialectAdorsys:
		f, _ := httpsig.ParseKeyIDFormName("adorsys")
		o.KeyIDFormat = &f
		o.RequireHeaders = []string{"date"}
	case DialectLenient:
		o.Lenient = true
	}
	return o
}

// warningTexts are the warnings of a diagnosis as one text each.
func warningTexts(d *httpsig.Diagnosis) []string {
	var out []string
	for _, c := range d.Warnings() {
		t := c.ID + ": " + c.Detail
		if c.Detail == "" {
			t = c.ID + ": " + c.Title
		}
		out = append(out, t)
	}
	return out
}
