package flow

// The funds confirmation journey (`xs2a flow --funds`): token, then POST
// /v1/funds-confirmations with the request `xs2a funds-confirmation`
// builds (funds.Options.Request).

import (
	"context"
	"fmt"

	"github.com/xs2a-dev/xs2a/cmd/xs2a/internal/cmd/funds"
	"github.com/xs2a-dev/xs2a/cmd/xs2a/internal/cmdutil"
	"github.com/xs2a-dev/xs2a/pkg/iostreams"
	"github.com/xs2a-dev/xs2a/pkg/profile"
	"github.com/xs2a-dev/xs2a/pkg/shquote"
	"github.com/xs2a-dev/xs2a/pkg/state"
	"github.com/xs2a-dev/xs2a/pkg/termsafe"
	"github.com/xs2a-dev/xs2a/pkg/xs2a"
)

// FundsResult is the funds confirmation journey's answer, for --output
// json (as `funds-confirmation -o json` names it).
type FundsResult struct {
	FundsAvailable   bool              `json:"funds_available"`
	Account          funds.AccountJSON `json:"account"`
	InstructedAmount xs2a.Amount       `json:"instructed_amount"`
	// ConsentID is the PIIS consent whose token (or Consent-ID) the call
	// carried, if any.
	ConsentID string `json:"consent_id,omitempty"`
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

// piisSource is the PIIS consent the funds journey authorises: an id
// (--piis, or the state's), or one the embedded sandbox's PSU grants.
type piisSource struct {
	id    string
	grant func() (string, error) // the embedded sandbox's PSU
	shown string                 // the grant's account, for the step line
}

// piisGrant is a PIIS consent the embedded sandbox's PSU grants.
type piisGrant struct {
	account string
	grant   func() (string, error)
}

// piisConsent resolves --piis; against the embedded sandbox the PSU
// grants a consent of the requested account, as on the bank's page
// /psu/piis-consents, so the journey shows the bank's whole PIIS flow.
func (o *FlowOptions) piisConsent(s *cmdutil.Session, embedded bool) (piisSource, error) {
	// The embedded sandbox's PSU grants one: no other id can exist there.
	if embedded && o.grantPIIS != nil && (o.PIIS == "" || o.PIIS == cmdutil.Remembered) {
		return piisSource{grant: o.grantPIIS.grant, shown: o.grantPIIS.account}, nil
	}
	if o.PIIS != cmdutil.Remembered {
		return piisSource{id: o.PIIS}, nil
	}
	st, err := s.Store.Load(s.Config.ProfileName)
	if err != nil {
		return piisSource{}, err
	}
	if st.PIISConsentID == "" {
		return piisSource{}, cmdutil.UsageErrorf("--piis: profile %q remembers no PIIS consent: give its id, --piis ID", s.Config.ProfileName)
	}
	return piisSource{id: st.PIISConsentID}, nil
}

// fundsJourney runs its steps in order, stopping at the first failure:
// the client token; with a PIIS consent its grant (the embedded
// sandbox's PSU), the PSU's authorisation and the code's exchange; the
// call, with the PIIS token when there is one.
func fundsJourney(ctx context.Context, r *runner, s *cmdutil.Session, w authWait, req xs2a.FundsRequest, piis piisSource) error {
	var ct, pt *state.Token
	steps := []func() error{
		func() (err error) {
			ct, err = r.clientToken(ctx, s)
			return err
		},
	}
	if piis.grant != nil {
		steps = append(steps, func() error {
			// Reproduced by sandbox serve's --piis-consent, not by a
			// command against the bank: the whole line, no prefix.
			prefix := r.prefix
			r.prefix = ""
			defer func() { r.prefix = prefix }()
			how := "xs2a sandbox serve --piis-consent " + shquote.Arg(piis.shown) + " --write-profile local, then: xs2a -p local authorize --piis --exchange"
			return r.step("PIIS consent", "the PSU grants it on the bank's page (/psu/piis-consents, "+piis.shown+")", how, func() (string, error) {
				id, err := piis.grant()
				piis.id = id
				return "consent " + id + " (received)", err
			})
		})
	}
	steps = append(steps, func() error {
		if piis.id == "" {
			return nil
		}
		var err error
		again := "authorize --piis " + shquote.Arg(piis.id)
		if piis.grant != nil {
			again = "authorize --piis" // the consent --piis-consent granted
		}
		pt, err = authorizeExchange(ctx, r, s, w, profile.ScopePIIS, piis.id, again)
		return err
	}, func() error {
		tok := ct
		if pt != nil {
			tok = pt
		}
		return fundsStep(ctx, r, s, tok, req, piis.id)
	})
	for _, step := range steps {
		if err := step(); err != nil {
			return err
		}
	}
	return nil
}

// fundsStep is the call as `funds-confirmation` makes it, with the
// client-credentials token, or the PSU's token of PIIS consent piis
// (which the command too takes from the state).
func fundsStep(ctx context.Context, r *runner, s *cmdutil.Session, ct *state.Token, req xs2a.FundsRequest, piis string) error {
	acct := funds.AccountOf(req.Account) // a full PAN, sent whole, shown masked
	flag := "--account " + shquote.Arg(req.Account.IBAN)
	if acct.MaskedPAN != "" {
		flag = "--pan " + shquote.Arg(acct.MaskedPAN)
	}
	cmd := "funds-confirmation " + flag + " --amount " + shquote.Arg(req.InstructedAmount.Amount) + " --currency " + shquote.Arg(req.InstructedAmount.Currency)
	if req.ConsentID != "" {
		cmd += " --consent " + shquote.Arg(req.ConsentID)
	}
	if piis == "" {
		// The command sends the PSU's PIIS token when the state keeps one;
		// the journey sent the client token.
		cmd += " --client-token"
	}
	consent := req.ConsentID
	if consent == "" {
		consent = piis
	}
	res := &FundsResult{Account: acct, InstructedAmount: req.InstructedAmount, ConsentID: consent}
	return r.step("funds confirmation", "POST /v1/funds-confirmations ("+req.InstructedAmount.String()+" on "+acct.Name()+")", cmd, func() (string, error) {
		got, err := s.API.FundsConfirmation(ctx, ct.AccessToken, req)
		if err != nil {
			return "", funds.RefusalHint(err, piis)
		}
		res.FundsAvailable = got.FundsAvailable
		r.rec.Funds = res
		return fmt.Sprintf("200, fundsAvailable %t", got.FundsAvailable), nil
	})
}

func printFunds(ios *iostreams.IOStreams, rec *Record) {
	w, cs, l := ios.Out, ios.ColorScheme(), termsafe.Line
	f := rec.Funds
	verdict := "available"
	if !f.FundsAvailable {
		verdict = "NOT available"
	}
	fmt.Fprintf(w, "\n%s funds %s: %s on %s\n", cs.Bold("The journey worked:"), verdict, l(f.InstructedAmount.String()), l(f.Account.Name()))
	fmt.Fprintf(w, "%s\n", cs.Faint(fmt.Sprintf("total %d ms", rec.TotalMillis)))
}
