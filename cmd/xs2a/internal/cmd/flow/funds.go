package flow

// The funds confirmation journey (`xs2a flow --funds`): token, then POST
// /v1/funds-confirmations with the request `xs2a funds-confirmation`
// builds (funds.Options.Request).

import (
	"context"
	"fmt"
	"strings"

	"github.com/xs2a-dev/xs2a/cmd/xs2a/internal/cmdutil"
	"github.com/xs2a-dev/xs2a/pkg/iostreams"
	"github.com/xs2a-dev/xs2a/pkg/shquote"
	"github.com/xs2a-dev/xs2a/pkg/state"
	"github.com/xs2a-dev/xs2a/pkg/termsafe"
	"github.com/xs2a-dev/xs2a/pkg/xs2a"
)

// FundsResult is the funds confirmation journey's answer, for --output
// json (as `funds-confirmation -o json` names it).
type FundsResult struct {
	FundsAvailable   bool         `json:"funds_available"`
	Account          fundsAccount `json:"account"`
	InstructedAmount xs2a.Amount  `json:"instructed_amount"`
	// ConsentID is the PIIS consent the call carried, if any.
	ConsentID string `json:"consent_id,omitempty"`
}

// fundsAccount names the account; a full PAN only masked.
type fundsAccount struct {
	IBAN      string `json:"iban,omitempty"`
	MaskedPAN string `json:"masked_pan,omitempty"`
}

// fundsRequest is the request `funds-confirmation` would send for the
// flags; against the embedded sandbox the account and the amount default
// to 5000001's current account and 1.00.
func (o *FlowOptions) fundsRequest(embedded bool) (xs2a.FundsRequest, error) {
	fo := o.FundsReq
	fo.Amount, fo.Currency = o.Pay.Amount, o.Pay.Currency
	if embedded {
		if fo.Account == "" && fo.PAN == "" {
			fo.Account = SandboxDebtor
		}
		if fo.Amount == "" {
			fo.Amount = SandboxAmount
		}
	}
	return fo.Request()
}

// fundsJourney runs its steps in order, stopping at the first failure.
// A PIIS consent's steps go between the token and the call, e.g.
//
//	func() error {
//		_, err := authorizeExchange(ctx, r, s, w, profile.ScopePIIS, id, "authorize --piis "+id)
//		req.ConsentID = id
//		return err
//	},
func fundsJourney(ctx context.Context, r *runner, s *cmdutil.Session, w authWait, req xs2a.FundsRequest) error {
	var ct *state.Token
	steps := []func() error{
		func() (err error) {
			ct, err = r.clientToken(ctx, s)
			return err
		},
		func() error { return fundsStep(ctx, r, s, ct, req) },
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return err
		}
	}
	return nil
}

// fundsStep is the call, with the client-credentials token as
// `funds-confirmation` makes it.
func fundsStep(ctx context.Context, r *runner, s *cmdutil.Session, ct *state.Token, req xs2a.FundsRequest) error {
	acct := fundsAccount{IBAN: req.Account.IBAN, MaskedPAN: req.Account.MaskedPAN}
	flag := "--account " + shquote.Arg(req.Account.IBAN)
	if req.Account.PAN != "" {
		acct.MaskedPAN = maskPAN(req.Account.PAN) // sent whole, shown masked
	}
	if acct.MaskedPAN != "" {
		flag = "--pan " + shquote.Arg(acct.MaskedPAN)
	}
	cmd := "funds-confirmation " + flag + " --amount " + shquote.Arg(req.InstructedAmount.Amount) + " --currency " + shquote.Arg(req.InstructedAmount.Currency)
	if req.ConsentID != "" {
		cmd += " --consent " + shquote.Arg(req.ConsentID)
	}
	on := acct.IBAN
	if on == "" {
		on = "card " + acct.MaskedPAN
	}
	res := &FundsResult{Account: acct, InstructedAmount: req.InstructedAmount, ConsentID: req.ConsentID}
	return r.step("funds confirmation", "POST /v1/funds-confirmations ("+req.InstructedAmount.String()+" on "+on+")", cmd, func() (string, error) {
		got, err := s.API.FundsConfirmation(ctx, ct.AccessToken, req)
		if err != nil {
			return "", err
		}
		res.FundsAvailable = got.FundsAvailable
		r.rec.Funds = res
		return fmt.Sprintf("200, fundsAvailable %t", got.FundsAvailable), nil
	})
}

// maskPAN keeps a card number's first six and last four digits (PCI
// DSS: the record may land in a log).
func maskPAN(pan string) string {
	if len(pan) < 10 {
		return pan
	}
	return pan[:6] + strings.Repeat("*", len(pan)-10) + pan[len(pan)-4:]
}

func printFunds(ios *iostreams.IOStreams, rec *Record) {
	w, cs, l := ios.Out, ios.ColorScheme(), termsafe.Line
	f := rec.Funds
	verdict := "available"
	if !f.FundsAvailable {
		verdict = "NOT available"
	}
	on := f.Account.IBAN
	if on == "" {
		on = "card " + f.Account.MaskedPAN
	}
	fmt.Fprintf(w, "\n%s funds %s: %s on %s\n", cs.Bold("The journey worked:"), verdict, l(f.InstructedAmount.String()), l(on))
	fmt.Fprintf(w, "%s\n", cs.Faint(fmt.Sprintf("total %d ms", rec.TotalMillis)))
}
