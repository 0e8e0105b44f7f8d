package termsafe

import "io"

// Writer passes what is written through Text: for a writer handed to a
// library that writes whole messages to the terminal (one Write each, as
// fmt.Fprintf does) quoting outside values in them, like the budget's
// warnings naming the bank's consent id. A rune split across two Writes
// would show as its escaped bytes, never raw.
type Writer struct{ W io.Writer }

func (w Writer) Write(p []byte) (int, error) {
	if _, err := io.WriteString(w.W, Text(string(p))); err != nil {
		return 0, err
	}
	return len(p), nil
}
