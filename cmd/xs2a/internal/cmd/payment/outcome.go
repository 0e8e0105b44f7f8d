package payment

import (
	"fmt"

	"github.com/xs2a-dev/xs2a/cmd/xs2a/internal/cmdutil"
	"github.com/xs2a-dev/xs2a/pkg/shquote"
	"github.com/xs2a-dev/xs2a/pkg/xs2a"
)

// What `payment status` says of a status: when waiting is over
// (xs2a.WaitOver), and, when it is not, what the payment is waiting for,
// so that the one line at the timeout names the step that is missing
// rather than more waiting.

// ExitRefused is `payment status --exit-status`'s code for a payment
// rejected or cancelled: 9, as funds-confirmation's "no".
const ExitRefused = cmdutil.ExitNoFunds

// acceptedNote is the human note on a standing order or a bulk accepted
// and running or waiting for its date (xs2a.StandingOrderRunning).
func acceptedNote(service string) string {
	if service == "bulk-payments" {
		return "bulk accepted, executed on its requested date or the bank's schedule; not final"
	}
	return "standing order accepted, instalments follow its schedule; not final"
}

// waitingFor is the next step for a payment whose waiting is not over:
// the PSU's authorisation for RCVD, the remaining authorisations for
// PATC, the bank's checks for PDNG, else reading again later.
// timedOut says so for --wait's timeout: a longer one is then a way.
func waitingFor(t Target, status string, timedOut bool) string {
	id := l(shquote.Arg(t.ID))
	again := "`" + cli(StatusWords(t)) + "`"
	if timedOut {
		again += ", or a longer --timeout"
	}
	switch status {
	case "RCVD":
		return "the PSU has not authorised it yet: run `" + cli("authorize --payment "+id+" --exchange") + "`, then " + again
	case "PATC":
		return "the authorisation is partial: the payment needs more than one PSU's authorisation and some are missing (each authorises with `" +
			cli("authorize --payment "+id) + "`); then " + again
	case "PDNG":
		return "the payment is pending at the bank (further checks, a status update will follow): read it again with " + again
	}
	return "read it again with " + again
}

// cli is the command line of words as an error names it: the boundary
// (app.execute) adds this run's --config and -p to every "`xs2a " of an
// error line, so writing them here would say them twice.
func cli(words string) string { return "xs2a " + words }

// StatusWords is `payment status ID --wait` for t, its service and
// product named when they are not the defaults (another id than the
// remembered one needs them); `xs2a flow --payment` names it too.
func StatusWords(t Target) string {
	return "payment status " + l(shquote.Arg(t.ID)) + " --wait" + pathWords(t)
}

// pathWords are the --service and --product flags that address t when
// they are not the defaults.
func pathWords(t Target) string {
	w := ""
	if t.Service != "payments" {
		w += " --service " + t.Service
	}
	if t.Product != "sepa-credit-transfers" {
		w += " --product " + t.Product
	}
	return w
}

// outcome is --exit-status's code for a status read: 0 executed or
// accepted (a standing order accepted), 9 rejected or cancelled; a status
// that is neither yet fails as --wait's timeout does (exit 1).
func outcome(t Target, status string) error {
	switch {
	case xs2a.PaymentAccepted(t.Service, status):
		return nil
	case xs2a.PaymentRefused(status):
		return cmdutil.Silent(ExitRefused)
	}
	return fmt.Errorf("payment %s is %s, neither accepted nor refused yet: %s", l(t.ID), l(status), waitingFor(t, status, false))
}
