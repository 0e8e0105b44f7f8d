package xs2a

import (
	"errors"
	"regexp"
	"strings"
)

// The file's amountValue without its sign (up to 14 digits, a point and up
// to 3 decimals) and an ISO 4217 code's shape. What a TPP sends to be paid
// or confirmed is positive, so the sign is not taken.
var (
	amountShape   = regexp.MustCompile(`^[0-9]{1,14}(\.[0-9]{1,3})?$`)
	currencyShape = regexp.MustCompile(`^[A-Z]{3}$`)
)

var (
	// ErrAmount: not the file's form of a positive amount.
	ErrAmount = errors.New("not an amount: more than zero, digits with a point and up to 3 decimals (12.34)")
	// ErrCurrency: not three capital letters.
	ErrCurrency = errors.New("not a currency code (three capital letters, e.g. EUR)")
)

// CheckAmount reports whether s is a positive amount as the file writes
// one ("12.34"), before it is sent to be paid or confirmed.
func CheckAmount(s string) error {
	if !amountShape.MatchString(s) || strings.Trim(s, "0.") == "" {
		return ErrAmount
	}
	return nil
}

// CheckCurrency reports whether s has an ISO 4217 code's shape.
func CheckCurrency(s string) error {
	if !currencyShape.MatchString(s) {
		return ErrCurrency
	}
	return nil
}
