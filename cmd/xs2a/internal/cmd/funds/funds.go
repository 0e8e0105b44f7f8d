// Package funds is `xs2a funds-confirmation`: the PIIS's one call, POST
// /v1/funds-confirmations, for card-based payment instrument issuers and
// shell scripts that ask "is this amount there now".
package funds

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"github.com/xs2a-dev/xs2a/cmd/xs2a/internal/cmdutil"
	"github.com/xs2a-dev/xs2a/pkg/iban"
	"github.com/xs2a-dev/xs2a/pkg/iostreams"
	"github.com/xs2a-dev/xs2a/pkg/state"
	"github.com/xs2a-dev/xs2a/pkg/termsafe"
	"github.com/xs2a-dev/xs2a/pkg/xs2a"
)

// Options are the flags of `xs2a funds-confirmation` and what it uses.
type Options struct {
	IO      *iostreams.IOStreams
	Session func() (*cmdutil.Session, error)

	Account    string // --account IBAN
	PAN        string // --pan PAN or masked PAN
	CardNumber string
	Amount     string
	Currency   string
	Payee      string
	Consent    string
	ExitStatus bool
	// ClientToken sends the client-credentials token even when the state
	// keeps a PIIS token.
	ClientToken bool
}

var (
	panRE = regexp.MustCompile(`^[0-9]{12,19}$`)
	// maskedPANRE: the first six and last four digits shown, the rest
	// masked (the file's maskedPan, e.g. 123456xxxxxx1234).
	maskedPANRE = regexp.MustCompile(`^[0-9]{6}[0-9*xX]{2,9}[0-9]{4}$`)
)

// Request builds the body the flags describe, or a usage error naming the
// flag: nothing goes to the bank that it would refuse for its form.
func (o *Options) Request() (xs2a.FundsRequest, error) {
	var r xs2a.FundsRequest
	switch {
	case o.Account != "" && o.PAN != "":
		return r, cmdutil.UsageErrorf("give one of --account and --pan, not both")
	case o.Account == "" && o.PAN == "":
		return r, cmdutil.UsageErrorf("give the account: --account IBAN or --pan PAN")
	case o.Account != "":
		account := iban.Electronic(o.Account)
		if err := iban.Check(account); err != nil {
			return r, cmdutil.UsageErrorf("--account %q: %v", termsafe.Line(o.Account), err)
		}
		r.Account.IBAN = account
	default:
		pan := strings.ReplaceAll(o.PAN, " ", "")
		switch {
		case panRE.MatchString(pan):
			r.Account.PAN = pan
		case maskedPANRE.MatchString(pan):
			r.Account.MaskedPAN = pan
		default:
			return r, cmdutil.UsageErrorf("--pan %q is neither a card number (12 to 19 digits) nor a masked PAN (524378******8693)", termsafe.Line(o.PAN))
		}
	}
	if o.CardNumber != "" {
		cn := strings.ReplaceAll(o.CardNumber, " ", "")
		if !panRE.MatchString(cn) {
			return r, cmdutil.UsageErrorf("--card-number %q is not a card number (12 to 19 digits)", termsafe.Line(o.CardNumber))
		}
		r.CardNumber = cn
	}
	if o.Amount == "" {
		return r, cmdutil.UsageErrorf("give the amount to confirm: --amount 12.34")
	}
	if err := xs2a.CheckAmount(o.Amount); err != nil {
		return r, cmdutil.UsageErrorf("--amount %q is %v", termsafe.Line(o.Amount), err)
	}
	cur := strings.ToUpper(o.Currency)
	if err := xs2a.CheckCurrency(cur); err != nil {
		return r, cmdutil.UsageErrorf("--currency %q is %v", termsafe.Line(o.Currency), err)
	}
	r.InstructedAmount = xs2a.Amount{Currency: cur, Amount: o.Amount}
	if n := len([]rune(o.Payee)); n > 70 {
		return r, cmdutil.UsageErrorf("--payee is %d characters; the file allows 70", n)
	}
	r.Payee, r.ConsentID = o.Payee, o.Consent
	return r, nil
}

// resultJSON is -o json: xs2a's names in snake_case, the bank's answer
// verbatim under bank_response.
type resultJSON struct {
	FundsAvailable   bool        `json:"funds_available"`
	Account          AccountJSON `json:"account"`
	InstructedAmount xs2a.Amount `json:"instructed_amount"`
	XRequestID       string      `json:"x_request_id"`
	BankResponse     any         `json:"bank_response"`
}

// AccountJSON names the account in -o json (`xs2a flow --funds` too); a
// full PAN only masked.
type AccountJSON struct {
	IBAN      string `json:"iban,omitempty"`
	MaskedPAN string `json:"masked_pan,omitempty"`
}

// AccountOf is a as AccountJSON: a full PAN, sent whole, is masked (PCI
// DSS: the output may land in a log).
func AccountOf(a xs2a.AccountReference) AccountJSON {
	j := AccountJSON{IBAN: a.IBAN, MaskedPAN: a.MaskedPAN}
	if a.PAN != "" {
		j.MaskedPAN = MaskPAN(a.PAN)
	}
	return j
}

// Name is the account as a line names it: the IBAN, else the card's
// masked PAN.
func (a AccountJSON) Name() string {
	if a.IBAN != "" {
		return a.IBAN
	}
	return "card " + a.MaskedPAN
}

// MaskPAN keeps a card number's first six and last four digits.
func MaskPAN(pan string) string {
	if len(pan) < 10 {
		return pan
	}
	return pan[:6] + strings.Repeat("*", len(pan)-10) + pan[len(pan)-4:]
}

// NewCmdFundsConfirmation builds `xs2a funds-confirmation`; runF replaces
// the run function in tests.
func NewCmdFundsConfirmation(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	o := &Options{IO: f.IO, Session: f.Session}
	cmd := &cobra.Command{
		Use:   "funds-confirmation",
		Short: "Ask whether an amount is available on an account now (PIIS, POST /v1/funds-confirmations)",
		Long: `Confirmation of funds (the PIIS): is the amount available on the account at
the moment of the request. The account is an IBAN (--account) or a card
(--pan, the card number or its masked PAN); --card-number is the card the
card-based payment instrument issuer issued, sent when known.

The call goes with the API key and the PSU's PIIS token when the profile's
state keeps one (` + "`xs2a authorize --piis ID --exchange`" + `: scope
PIIS:<consentId>; stderr names the consent), else the client-credentials
token; --client-token sends that one anyway. --consent sends a Consent-ID,
for a bank with PIIS consents (the 1.3 file comments the header out and
leaves the consent to the bank); the PIIS token goes along when it is that
consent's.

Prints whether the funds are available. With --exit-status the answer is
also the exit status: 0 available, 9 not available (any error keeps its own
code, see README "Exit codes"), for shell scripts:

  xs2a funds-confirmation --account FI0412345600012343 --amount 12.34 --exit-status && pay`,
		Example: `  xs2a funds-confirmation --account FI0412345600012343 --amount 12.34
  xs2a funds-confirmation --pan 524378******8693 --amount 250 --currency EUR --payee "Kauppa Oy"
  xs2a funds-confirmation --account FI0412345600012343 --amount 99.90 --exit-status -o json`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if _, err := o.Request(); err != nil {
				return err
			}
			if runF != nil {
				return runF(o)
			}
			return run(cmd.Context(), o)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&o.Account, "account", "", "the account's IBAN")
	fl.StringVar(&o.PAN, "pan", "", "the card account: its card number or masked PAN (524378******8693)")
	fl.StringVar(&o.CardNumber, "card-number", "", "the card number of the card the issuer (the TPP) issued, when known")
	fl.StringVar(&o.Amount, "amount", "", "the amount to confirm, e.g. 12.34 (required)")
	fl.StringVar(&o.Currency, "currency", "EUR", "the amount's currency (ISO 4217)")
	fl.StringVar(&o.Payee, "payee", "", "the merchant, shown to the PSU (at most 70 characters)")
	fl.StringVar(&o.Consent, "consent", "", "a PIIS consent id, sent as Consent-ID (banks that have PIIS consents)")
	fl.BoolVar(&o.ExitStatus, "exit-status", false, "exit 0 when the funds are available and 9 when not")
	fl.BoolVar(&o.ClientToken, "client-token", false, "send the client-credentials token even when the state keeps a PIIS token")
	return cmd
}

func run(ctx context.Context, o *Options) error {
	req, err := o.Request()
	if err != nil {
		return err
	}
	s, err := o.Session()
	if err != nil {
		return err
	}
	var got *xs2a.FundsConfirmation
	var kept json.RawMessage
	piis, err := piisToken(ctx, o, s)
	if err != nil {
		return err
	}
	if piis != nil {
		fmt.Fprintf(o.IO.ErrOut, "note: sending the PSU's PIIS token of consent %s (%s); --client-token sends the client-credentials token\n",
			termsafe.Line(piis.ConsentID), cmdutil.Mask(piis.AccessToken, s.Config.ShowSecrets))
		got, err = s.API.FundsConfirmation(xs2a.KeepAnswer(ctx, &kept), piis.AccessToken, req)
		err = RefusalHint(err, piis.ConsentID)
	} else {
		err = s.WithClientToken(ctx, func(token string) (err error) {
			got, err = s.API.FundsConfirmation(xs2a.KeepAnswer(ctx, &kept), token, req)
			return err
		})
		err = RefusalHint(err, "")
	}
	if err != nil {
		return err
	}
	if s.WantsJSON() {
		out := resultJSON{FundsAvailable: got.FundsAvailable, Account: AccountOf(req.Account),
			InstructedAmount: req.InstructedAmount, XRequestID: got.RequestID,
			BankResponse: cmdutil.BankBody(kept, map[string]any{"fundsAvailable": got.FundsAvailable})}
		if err := cmdutil.WriteJSON(o.IO.Out, out); err != nil {
			return err
		}
	} else {
		verdict := "available"
		if !got.FundsAvailable {
			verdict = "NOT available"
		}
		fmt.Fprintf(o.IO.Out, "funds %s: %s %s on %s\n", verdict, req.InstructedAmount.Amount, req.InstructedAmount.Currency, AccountOf(req.Account).Name())
	}
	if o.ExitStatus && !got.FundsAvailable {
		return cmdutil.Silent(cmdutil.ExitNoFunds)
	}
	return nil
}

// piisToken is the PIIS token to send: the state's, unless --client-token
// or a --consent that names another consent; nil sends the client token.
func piisToken(ctx context.Context, o *Options, s *cmdutil.Session) (*state.Token, error) {
	if o.ClientToken {
		return nil, nil
	}
	st, err := s.Store.Load(s.Config.ProfileName)
	if err != nil {
		return nil, err
	}
	if st.PIISToken == nil || (o.Consent != "" && o.Consent != st.PIISToken.ConsentID) {
		return nil, nil
	}
	return s.PIISToken(ctx)
}

// consentRefusal reports a bank's answer that refuses the token or the
// consent (not the request's content): a 401 with a token or consent code,
// or CONSENT_UNKNOWN.
func consentRefusal(err error) bool {
	var ae *xs2a.APIError
	if !errors.As(err, &ae) {
		return false
	}
	if ae.HasCode("CONSENT_UNKNOWN") {
		return true
	}
	return ae.Status == http.StatusUnauthorized && (ae.HasCode("CONSENT_INVALID") || ae.HasCode("CONSENT_EXPIRED") ||
		ae.HasCode("TOKEN_INVALID") || ae.HasCode("TOKEN_UNKNOWN") || ae.HasCode("TOKEN_EXPIRED"))
}

// RefusalHint gives a bank's refusal of a funds confirmation its next
// step: of the PSU's token of PIIS consent consentID, or ("") of the
// client token where the bank wants a PIIS consent; the exit code stays
// the error's own. `xs2a flow --funds` gives its refusals the same.
func RefusalHint(err error, consentID string) error {
	if consentID == "" {
		return needsPIIS(err)
	}
	return refusedPIIS(err, consentID)
}

// refusedPIIS gives the bank's refusal of the PIIS token its next step.
func refusedPIIS(err error, consentID string) error {
	if !consentRefusal(err) {
		return err
	}
	id := termsafe.Line(consentID)
	if ended(err) {
		// Authorising it again would only be refused (invalid_scope): the
		// next step is a new consent, which only the PSU grants.
		return cmdutil.WithHint(err, fmt.Sprintf("PIIS consent %s has ended (revoked, refused or expired) and cannot be authorised again: the PSU grants a new one for this account on the bank's pages (the sandbox's AUTH_URL/psu/piis-consents), then `xs2a authorize --piis NEWID --exchange` with its id; --client-token sends the client-credentials token instead", id))
	}
	return cmdutil.WithHint(err, fmt.Sprintf("the ASPSP refuses PIIS consent %s for this call: a token gone stale is renewed by `xs2a authorize --piis %s --exchange`; a consent that ended or covers another account needs a new one from the PSU for this account, then `xs2a authorize --piis ID --exchange`; --client-token sends the client-credentials token instead", id, id))
}

// endedStatuses are the consent statuses after which a PIIS consent is
// never valid again, as a bank's CONSENT_INVALID text names them.
var endedStatuses = []string{"revokedByPsu", "rejected", "expired", "terminatedByTpp"}

// ended reports that the bank refused the PIIS consent because it ended:
// CONSENT_EXPIRED, or CONSENT_INVALID whose text names an ended status.
func ended(err error) bool {
	var ae *xs2a.APIError
	if !errors.As(err, &ae) || ae.Status != http.StatusUnauthorized {
		return false
	}
	if ae.HasCode("CONSENT_EXPIRED") {
		return true
	}
	for _, m := range ae.Messages {
		if m.Code == "CONSENT_INVALID" && slices.ContainsFunc(endedStatuses, func(st string) bool { return strings.Contains(m.Text, st) }) {
			return true
		}
	}
	return false
}

// needsPIIS: a bank that confirms funds only under a PIIS consent refuses
// the client token with a consent code; the next step is the consent.
func needsPIIS(err error) error {
	var ae *xs2a.APIError
	if !errors.As(err, &ae) {
		return err
	}
	if ae.HasCode("CONSENT_UNKNOWN") {
		// The rules' hint names `consent create`, an AIS consent.
		return cmdutil.WithHint(err, "--consent names no PIIS consent of this TPP at this ASPSP: the PSU grants one to this TPP (on the bank's pages), then `xs2a authorize --piis ID --exchange`")
	}
	if ae.Status != http.StatusUnauthorized || !(ae.HasCode("CONSENT_INVALID") || ae.HasCode("CONSENT_EXPIRED")) {
		return err
	}
	return cmdutil.WithHint(err, "the ASPSP confirms funds under a PIIS consent the PSU granted: `xs2a authorize --piis ID --exchange` with its id, then ask again")
}
