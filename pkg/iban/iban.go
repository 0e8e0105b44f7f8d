// Package iban checks International Bank Account Numbers as ISO 13616
// writes them in electronic form: two letters, two check digits, up to 30
// letters and digits, the check digits making the number 1 modulo 97 (ISO
// 7064 MOD 97-10). The client refuses a mistyped IBAN before it is sent;
// the sandbox refuses one as a bank does; both use this one rule.
package iban

import (
	"errors"
	"math/big"
	"regexp"
	"strings"
)

// shape is the OpenAPI file's iban pattern, anchored (the longest IBAN is
// 34 characters).
var shape = regexp.MustCompile(`^[A-Z]{2}[0-9]{2}[A-Z0-9]{1,30}$`)

var (
	// ErrShape: not two letters, two digits and up to 30 letters or digits.
	ErrShape = errors.New("not an IBAN (two letters, two check digits, up to 30 letters or digits)")
	// ErrCheckDigits: the shape is right, the check digits do not match.
	ErrCheckDigits = errors.New("the IBAN's check digits do not match (mod 97): a mistyped character?")
)

// Check reports why s is not an IBAN in electronic form (upper case, no
// spaces), nil when it is one. MOD 97-10 computes check digits 02 to 98, so
// 00, 01 and 99 are refused even where the remainder would pass.
func Check(s string) error {
	if !shape.MatchString(s) {
		return ErrShape
	}
	if s[2:4] < "02" || s[2:4] > "98" || Mod97(s[4:]+s[:4]) != 1 {
		return ErrCheckDigits
	}
	return nil
}

// Valid reports whether s is an IBAN in electronic form (Check is nil).
func Valid(s string) bool { return Check(s) == nil }

// Electronic is s as typed (spaces, lower case) in electronic form.
func Electronic(s string) string { return strings.ToUpper(strings.ReplaceAll(s, " ", "")) }

// Mod97 is s read as a number, letters as 10 (A) to 35 (Z), modulo 97;
// other characters are skipped. An IBAN's check digits are 98 minus
// Mod97 of its rest with the country and "00" moved to the end.
func Mod97(s string) int {
	var digits strings.Builder
	for _, c := range strings.ToUpper(s) {
		switch {
		case c >= '0' && c <= '9':
			digits.WriteRune(c)
		case c >= 'A' && c <= 'Z':
			digits.WriteString(big.NewInt(int64(c - 'A' + 10)).String())
		}
	}
	n, ok := new(big.Int).SetString(digits.String(), 10)
	if !ok {
		return -1
	}
	return int(new(big.Int).Mod(n, big.NewInt(97)).Int64())
}
