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
