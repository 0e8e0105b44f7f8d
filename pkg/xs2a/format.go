package xs2a

import "strings"

// String writes the amount as xs2a prints money everywhere: the bank's
// value as sent (a string, never a float, so no digit is lost or added),
// a space, and the currency: "1234.56 EUR".
func (a Amount) String() string { return a.Amount + " " + a.Currency }

// FormatMaskedPAN writes a card's 16-character masked PAN as the bank prints
// it on a statement, in groups of four with the hidden digits as '*':
// "524378xxxxxx8693" becomes "5243 78** **** 8693". Any other length is
// returned as it is, since the grouping of such a number is not known.
func FormatMaskedPAN(pan string) string {
	r := []rune(strings.ReplaceAll(pan, "x", "*"))
	if len(r) != 16 {
		return pan
	}
	return string(r[0:4]) + " " + string(r[4:8]) + " " + string(r[8:12]) + " " + string(r[12:16])
}
