package replay

import (
	"strings"
	"testing"

	"github.com/xs2a-dev/xs2a/pkg/bundle"
	"github.com/xs2a-dev/xs2a/pkg/iostreams"
)

// The id a bank's answer named is data: a same row's note shows it
// escaped, never raw control bytes for the terminal.
func TestRowNoteEscaped(t *testing.T) {
	ios, _, out, _ := iostreams.Test()
	r := Row{Index: 1, Result: bundle.Result{Method: "POST", Path: "/v1/consents", Old: bundle.Answer{Status: 201}, New: bundle.Answer{Status: 201},
		Result: bundle.Same, Note: "consent c-1 is now c-2\x1b]0;owned\x07"}}
	printRows(ios, []Row{r}, 0)
	if strings.ContainsAny(out.String(), "\x1b\x07") || !strings.Contains(out.String(), "same  consent c-1 is now c-2") {
		t.Errorf("row:\n%q", out.String())
	}
}
