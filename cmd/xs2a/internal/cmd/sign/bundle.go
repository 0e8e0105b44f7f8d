package sign

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"github.com/xs2a-dev/xs2a/cmd/xs2a/internal/cmdutil"
	"github.com/xs2a-dev/xs2a/cmd/xs2a/internal/report"
	"github.com/xs2a-dev/xs2a/pkg/bundle"
	"github.com/xs2a-dev/xs2a/pkg/httpsig"
	"github.com/xs2a-dev/xs2a/pkg/iostreams"
	"github.com/xs2a-dev/xs2a/pkg/termsafe"
	"github.com/xs2a-dev/xs2a/pkg/text"
)

// bundleVerdict is one line of `sign verify --bundle`, and its JSON form.
type bundleVerdict struct {
	Index int `json:"index"`
	bundle.Verdict
}

func verifyBundle(o *VerifyOptions) error {
	exs, err := bundle.Read(o.Bundle)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return cmdutil.UsageErrorf("--bundle %s: no such directory", o.Bundle)
		}
		return cmdutil.UsageErrorf("--bundle: %v", err)
	}
	banks, err := resolveBanks(o)
	if err != nil {
		return err
	}
	vos := make([]httpsig.VerifyOptions, len(banks))
	for i, b := range banks {
		if vos[i], err = verifyOptions(o, b); err != nil {
			return err
		}
	}
	// One line per exchange, and with --bank all one per exchange and bank.
	out := make([]bundleVerdict, 0, len(exs)*len(banks))
	// invalid counts the exchanges no bank accepts (with one bank: that
	// bank refuses), as a single request's verdict does.
	invalid := 0
	for i, e := range exs {
		refused := 0
		for _, vo := range vos {
			v := bundleVerdict{Index: i + 1, Verdict: bundle.Verify(e, vo)}
			if v.Verdict.Verdict == bundle.Invalid {
				refused++
			}
			out = append(out, v)
		}
		if refused == len(vos) {
			invalid++
		}
	}
	if cmdutil.WantsJSON(o.Config) {
		if err := cmdutil.WriteJSON(o.IO.Out, out); err != nil {
			return err
		}
	} else {
		printBundle(o, out)
	}
	if invalid > 0 {
		return cmdutil.Silent(cmdutil.ExitSignature)
	}
	return nil
}

func printBundle(o *VerifyOptions, vs []bundleVerdict) {
	cs := o.IO.ColorScheme()
	tw := report.NewTable(o.IO, -1) // the verdict's reason; --entry N has it in full
	valid, invalid, unsigned := 0, 0, 0
	// With --bank all, each exchange has a line per bank, the bank's name
	// in a column; one bank is named once, in the summary.
	several := len(vs) > 1 && vs[1].Index == vs[0].Index
	for _, v := range vs {
		verdict := ""
		switch v.Verdict.Verdict {
		case bundle.Valid:
			valid++
			verdict = cs.Green("valid")
			if v.KeyIDForm != nil {
				verdict += cs.Faint(fmt.Sprintf("  keyId serial %s, DN %s", v.KeyIDForm.Serial, v.KeyIDForm.DN))
			}
		case bundle.Invalid:
			invalid++
			verdict = invalidText(cs, v.FailedCheck, v.Cause, v.Detail, v.Confirmed)
		default:
			unsigned++
			verdict = cs.Faint("not signed")
			if v.Detail != "" {
				verdict += cs.Faint(" (" + termsafe.Line(v.Detail) + ")")
			}
		}
		if several {
			verdict = v.Bank + "\t" + verdict
		}
		// Method and path are the bundle file's, the verdict quotes its headers.
		fmt.Fprintf(tw, "%d\t%s %s\t%s\n", v.Index, termsafe.Line(v.Method), text.Clip(termsafe.Line(v.Path), 60), text.OneLine(verdict))
	}
	_ = tw.Flush()
	judged := ""
	if len(vs) > 0 && vs[0].Bank != "" {
		banks := []string{}
		for _, v := range vs {
			if v.Index == vs[0].Index {
				banks = append(banks, v.Bank)
			}
		}
		judged = " for " + strings.Join(banks, ", ")
	}
	n := len(vs)
	if len(vs) > 0 {
		n = vs[len(vs)-1].Index
	}
	fmt.Fprintf(o.IO.Out, "%d exchange(s)%s: %d valid, %d invalid, %d not signed\n", n, judged, valid, invalid, unsigned)
}

// invalidText is a refused exchange's verdict in a one-line listing (a
// bundle, a HAR): the failed check and the cause, else the check's detail.
func invalidText(cs *iostreams.ColorScheme, check, cause, detail string, confirmed bool) string {
	t := cs.Red("INVALID") + " " + termsafe.Line(check)
	switch {
	case cause != "":
		t += ": " + termsafe.Line(cause)
		if confirmed {
			t += " (confirmed)"
		}
	case detail != "":
		t += ": " + termsafe.Line(detail)
	}
	return t
}
