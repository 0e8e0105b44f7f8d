package xs2a

import (
	"errors"
	"testing"
)

func TestCheckAmountAndCurrency(t *testing.T) {
	for s, want := range map[string]error{
		"12.34": nil, "1": nil, "0.001": nil, "99999999999999.999": nil,
		"0": ErrAmount, "0.00": ErrAmount, "-5": ErrAmount, "12,34": ErrAmount, "12.3456": ErrAmount,
		"": ErrAmount, "1e3": ErrAmount, "123456789012345": ErrAmount, ".5": ErrAmount,
	} {
		if err := CheckAmount(s); !errors.Is(err, want) {
			t.Errorf("CheckAmount(%q) = %v, want %v", s, err, want)
		}
	}
	for s, want := range map[string]error{"EUR": nil, "SEK": nil, "eur": ErrCurrency, "EU": ErrCurrency, "EURO": ErrCurrency} {
		if err := CheckCurrency(s); !errors.Is(err, want) {
			t.Errorf("CheckCurrency(%q) = %v, want %v", s, err, want)
		}
	}
}

// TestCurrencyAndMinorUnits: a typed code is taken in lower case and sent
// upper case; an amount with more decimals than ISO 4217 gives its
// currency is refused, an unknown currency left to the file's 3.
func TestCurrencyAndMinorUnits(t *testing.T) {
	for in, want := range map[string]string{"eur": "EUR", "EUR": "EUR", "sEk": "SEK", "euro": "", "e1r": "", "": ""} {
		got, err := Currency(in)
		if got != want || (err == nil) != (want != "") {
			t.Errorf("Currency(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, c := range []struct {
		amount, currency string
		ok               bool
	}{
		{"1.23", "EUR", true}, {"1.234", "EUR", false}, {"1", "EUR", true}, {"1.2", "GBP", true},
		{"100", "JPY", true}, {"100.5", "JPY", false}, {"1.234", "KWD", true}, {"1.234", "XAU", true},
	} {
		if err := CheckMinorUnits(c.amount, c.currency); (err == nil) != c.ok {
			t.Errorf("CheckMinorUnits(%s, %s) = %v", c.amount, c.currency, err)
		}
	}
}
