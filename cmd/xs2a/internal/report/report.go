// Package report renders what several commands print the same way: the
// signature diagnosis of `xs2a sign verify`, which `xs2a sandbox why` prints
// from the bank's side, and the one line per bank of a verdict across banks.
package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/xs2a-dev/xs2a/pkg/httpmsg"
	"github.com/xs2a-dev/xs2a/pkg/httpsig"
	"github.com/xs2a-dev/xs2a/pkg/iostreams"
	"github.com/xs2a-dev/xs2a/pkg/termsafe"
	"github.com/xs2a-dev/xs2a/pkg/text"
)

// Diagnosis writes the human form of a signature diagnosis, as `xs2a sign
// verify` prints it. The request came from a file or over the network, and
// the checks quote it: every value is escaped for the terminal (pkg/termsafe).
func Diagnosis(w io.Writer, cs *iostreams.ColorScheme, m *httpmsg.Request, d *httpsig.Diagnosis, showSigningString bool) {
	l := termsafe.Line
	fmt.Fprintf(w, "%s %s %s (%s profile)\n", cs.Bold("Signature check of"), l(m.Method), l(m.Path()), l(string(d.Profile)))
	for _, c := range d.Checks {
		icon := cs.SuccessIcon()
		switch c.Status {
		case httpsig.Fail:
			icon = cs.FailureIcon()
		case httpsig.Warn:
			icon = cs.WarningIcon()
		case httpsig.Skip:
			icon = cs.Faint("-")
		}
		line := fmt.Sprintf("  %s %s", icon, l(c.Title))
		if c.Status == httpsig.Pass && c.Got != "" {
			line += cs.Faint(": " + text.Clip(l(c.Got), 100))
		}
		fmt.Fprintln(w, line)
		if c.Status == httpsig.Pass {
			if c.Detail != "" {
				fmt.Fprintf(w, "      %s\n", cs.Faint(l(c.Detail)))
			}
			continue
		}
		if c.Expected != "" {
			fmt.Fprintf(w, "      expected: %s\n", l(c.Expected))
		}
		if c.Got != "" {
			fmt.Fprintf(w, "      got:      %s\n", l(c.Got))
		}
		if c.Detail != "" {
			fmt.Fprintf(w, "      %s\n", l(c.Detail))
		}
	}
	if showSigningString && d.SigningString != "" {
		fmt.Fprintf(w, "%s\n  %s\n", cs.Bold("Signing string built from this request:"), indent(termsafe.Text(httpsig.Visible(d.SigningString)), "  "))
	}
	if len(d.Causes) > 0 {
		fmt.Fprintln(w, cs.Bold("Why:"))
		for _, c := range d.Causes {
			tag := ""
			if c.Confirmed {
				tag = cs.Faint(" (confirmed: undoing it makes the check pass)")
			}
			fmt.Fprintf(w, "  → %s%s\n", l(c.Summary), tag)
			if c.Fix != "" {
				fmt.Fprintf(w, "    fix: %s\n", l(c.Fix))
			}
		}
	}
	switch {
	case d.Bank != "" && d.Valid:
		fmt.Fprintf(w, "%s %s\n", cs.Green("VALID for "+l(d.Bank)+":"), "the signature verifies and the request follows "+l(d.Bank)+"'s rules")
	case d.Bank != "":
		fmt.Fprintf(w, "%s %s\n", cs.Red("INVALID for "+l(d.Bank)+":"), l(d.Bank)+" would reject this request (SIGNATURE_INVALID or a certificate error)")
	case d.Valid:
		fmt.Fprintf(w, "%s %s\n", cs.Green("VALID"), "the signature verifies and the request follows the profile")
	default:
		fmt.Fprintf(w, "%s %s\n", cs.Red("INVALID"), "a Berlin Group ASPSP would reject this request (SIGNATURE_INVALID or a certificate error)")
	}
}

func indent(s, pad string) string {
	return strings.ReplaceAll(strings.TrimSuffix(s, "\n"), "\n", "\n"+pad)
}

// BankVerdicts prints one line per bank for the same request: its verdict
// and, when it refuses, the first failed check and the cause named for it.
// The reason is cut to width (0: no limit), as a Table cuts.
func BankVerdicts(w io.Writer, width int, cs *iostreams.ColorScheme, ds []*httpsig.Diagnosis) {
	tw := NewTableWidth(w, width, 2)
	for _, d := range ds {
		if d.Valid {
			fmt.Fprintf(tw, "%s\t%s\t%s\n", termsafe.Line(d.Bank), cs.Green("VALID"), cs.Faint("accepts this request"))
			continue
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", termsafe.Line(d.Bank), cs.Red("INVALID"), text.OneLine(text.Clip(termsafe.Line(FirstFailure(d)), 200)))
	}
	_ = tw.Flush()
}

// FirstFailure is "check: cause" for a refused request: the first failed
// check and the first cause about it (confirmed first), else its detail.
func FirstFailure(d *httpsig.Diagnosis) string {
	id, why := "", ""
	for _, c := range d.Checks {
		if c.Status == httpsig.Fail || (c.ID == httpsig.CheckSignature && c.Status == httpsig.Skip) {
			id, why = c.ID, c.Detail
			break
		}
	}
	var found *httpsig.Cause
	for i, c := range d.Causes {
		if causeCheck(c.ID) == id && (found == nil || (c.Confirmed && !found.Confirmed)) {
			found = &d.Causes[i]
		}
	}
	if found != nil {
		return id + ": " + found.Summary
	}
	return id + ": " + why
}

// causeCheck is the check a cause explains, by the cause ID's family.
func causeCheck(cause string) string {
	switch {
	case strings.HasPrefix(cause, "digest-"):
		return httpsig.CheckDigest
	case strings.HasPrefix(cause, "keyid-"):
		return httpsig.CheckKeyID
	case strings.HasPrefix(cause, "header-list-"), cause == "date-unsigned", cause == "required-header-unsigned":
		return httpsig.CheckHeaders
	case strings.HasPrefix(cause, "x-request-id-"):
		return httpsig.CheckRequestID
	}
	return httpsig.CheckSignature
}
