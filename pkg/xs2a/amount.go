package xs2a

import (
	"errors"
	"fmt"
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
	// ErrCurrency: not three letters (CheckCurrency: capital ones).
	ErrCurrency = errors.New("not a currency code (ISO 4217: three letters, e.g. EUR)")
)

// CheckAmount reports whether s is a positive amount as the file writes
// one ("12.34"), before it is sent to be paid or confirmed.
func CheckAmount(s string) error {
	if !amountShape.MatchString(s) || strings.Trim(s, "0.") == "" {
		return ErrAmount
	}
	return nil
}

// CheckCurrency reports whether s has an ISO 4217 code's shape: three
// capital letters, as the file sends it. A code a person typed goes
// through Currency first.
func CheckCurrency(s string) error {
	if !currencyShape.MatchString(s) {
		return ErrCurrency
	}
	return nil
}

// Currency is the one rule for a currency code a person typed (--currency
// of payment initiate and funds-confirmation): lower case is accepted and
// sent upper case (eur is EUR; ISO 4217 codes are letters only, so
// nothing else changes), anything else not three letters is ErrCurrency.
func Currency(s string) (string, error) {
	up := strings.ToUpper(s)
	if err := CheckCurrency(up); err != nil {
		return "", err
	}
	return up, nil
}

// minorUnits are ISO 4217's decimals (the "minor unit") of common
// currencies: a bank refuses an amount with more (1.234 EUR). A currency
// not here is left to the file's rule (up to 3 decimals) and its bank.
var minorUnits = map[string]int{
	"EUR": 2, "USD": 2, "GBP": 2, "CHF": 2, "SEK": 2, "DKK": 2, "NOK": 2, "PLN": 2, "CZK": 2, "HUF": 2,
	"RON": 2, "BGN": 2, "CAD": 2, "AUD": 2, "NZD": 2, "CNY": 2, "HKD": 2, "SGD": 2, "INR": 2, "TRY": 2,
	"JPY": 0, "ISK": 0, "KRW": 0, "CLP": 0,
	"BHD": 3, "KWD": 3, "JOD": 3, "OMR": 3, "TND": 3, "IQD": 3, "LYD": 3,
}

// CheckMinorUnits refuses an amount with more decimals than its
// currency has (ISO 4217's minor unit: 2 for EUR, 0 for JPY), when the
// currency is one xs2a knows (minorUnits); amount has the file's form
// (CheckAmount).
func CheckMinorUnits(amount, currency string) error {
	n, known := minorUnits[currency]
	if !known {
		return nil
	}
	decimals := 0
	if _, frac, ok := strings.Cut(amount, "."); ok {
		decimals = len(frac)
	}
	if decimals <= n {
		return nil
	}
	if n == 0 {
		return fmt.Errorf("%s has no minor unit (ISO 4217): a whole amount, without decimals", currency)
	}
	return fmt.Errorf("%s has %d decimals (ISO 4217's minor unit); %s has %d", currency, n, amount, decimals)
}
