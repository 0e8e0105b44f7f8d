package sandbox

import (
	"slices"

	"github.com/xs2a-dev/xs2a/pkg/httpsig"
)

// Dialect is how the sandbox reads signatures: a bank's rule set, the
// same httpsig.Bank `xs2a sign verify --bank` judges by, so the doctor and
// the sandbox cannot disagree.
type Dialect = httpsig.Bank

const (
	DialectEnfuce  = httpsig.BankEnfuce
	DialectAdorsys = httpsig.BankAdorsys
	DialectLenient = httpsig.BankLenient
)

// Dialects lists every dialect, the default first.
var Dialects = httpsig.Banks

// ParseDialect validates a dialect name; "" is the default.
func ParseDialect(s string) (Dialect, error) { return httpsig.ParseBank(s) }

// warningTexts are the warnings of a diagnosis as one text each, but for
// the checks whose IDs are in skip.
func warningTexts(d *httpsig.Diagnosis, skip []string) []string {
	var out []string
	for _, c := range d.Warnings() {
		if slices.Contains(skip, c.ID) {
			continue
		}
		t := c.ID + ": " + c.Detail
		if c.Detail == "" {
			t = c.ID + ": " + c.Title
		}
		out = append(out, t)
	}
	return out
}
