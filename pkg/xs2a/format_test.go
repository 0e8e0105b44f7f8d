package xs2a

import "testing"

func TestAmountString(t *testing.T) {
	if got := (Amount{Currency: "EUR", Amount: "-12.50"}).String(); got != "-12.50 EUR" {
		t.Errorf("Amount.String() = %q", got)
	}
}

func TestFormatMaskedPAN(t *testing.T) {
	for pan, want := range map[string]string{
		"524378xxxxxx8693": "5243 78** **** 8693",
		"524378******8693": "5243 78** **** 8693",
		"5243780000008693": "5243 7800 0000 8693",
		"52437x8693":       "52437x8693", // not 16: as sent
		"":                 "",
		"ééééxxxxxxxxéééé": "éééé **** **** éééé", // grouped by character, never mid-UTF-8
	} {
		if got := FormatMaskedPAN(pan); got != want {
			t.Errorf("FormatMaskedPAN(%q) = %q, want %q", pan, got, want)
		}
	}
}
