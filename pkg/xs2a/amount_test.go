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
