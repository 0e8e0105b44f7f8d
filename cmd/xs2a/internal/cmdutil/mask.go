package cmdutil

import (
	"fmt"
	"unicode/utf8"

	"github.com/xs2a-dev/xs2a/pkg/text"
)

// Mask shows a secret's first four characters unless secrets are shown; a
// secret of eight characters or fewer shows none. It counts and cuts by
// character (text.Clip), so a secret that is not ASCII is never cut inside
// a UTF-8 sequence.
func Mask(secret string, show bool) string {
	if show || secret == "" {
		return secret
	}
	n := utf8.RuneCountInString(secret)
	if n <= 8 {
		return "****"
	}
	return fmt.Sprintf("%s(%d chars, --show-secrets to see)", text.Clip(secret, 4), n)
}

// MaskJSON is a secret as -o json gives it: the value with --show-secrets,
// else nil (null) and masked true, so that a script never reads a masked
// string and sends it as if it were the secret. An empty secret is null
// and not masked: there was none. A document carries it as two fields,
// `<field>` and `<field>_masked`.
func MaskJSON(secret string, show bool) (value *string, masked bool) {
	if secret == "" {
		return nil, false
	}
	if show {
		return &secret, false
	}
	return nil, true
}

// SecretJSON sets m[field] and m[field+"_masked"] as MaskJSON says, for a
// document built as a map.
func SecretJSON(m map[string]any, field, secret string, show bool) {
	v, masked := MaskJSON(secret, show)
	m[field], m[field+"_masked"] = v, masked
}
