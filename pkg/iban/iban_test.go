package iban

import (
	"errors"
	"testing"
)

// The ECBS register's examples (outside vectors) are valid; one changed
// character, a transposition, a bad shape and the impossible check digits
// are not.
func TestCheck(t *testing.T) {
	for _, s := range []string{"DE89370400440532013000", "GB82WEST12345698765432", "FI2112345600000785", "NL91ABNA0417164300", "FR1420041010050500013M02606"} {
		if err := Check(s); err != nil {
			t.Errorf("Check(%q) = %v", s, err)
		}
	}
	for s, want := range map[string]error{
		"DE89370400440532013001":      ErrCheckDigits, // one digit off
		"DE89370400440532031000":      ErrCheckDigits, // two swapped
		"DE00370400440532013000":      ErrCheckDigits,
		"de89370400440532013000":      ErrShape, // not the electronic form
		"DE89 3704 0044 0532 0130 00": ErrShape,
		"D89370400440532013000":       ErrShape,
		"":                            ErrShape,
	} {
		if err := Check(s); !errors.Is(err, want) {
			t.Errorf("Check(%q) = %v, want %v", s, err, want)
		}
	}
	if got := Electronic("gb82 west 1234 5698 7654 32"); got != "GB82WEST12345698765432" || !Valid(got) {
		t.Errorf("Electronic = %q", got)
	}
}
