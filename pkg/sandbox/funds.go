package sandbox

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"regexp"
	"strings"

	"github.com/xs2a-dev/xs2a/pkg/iban"
	"github.com/xs2a-dev/xs2a/pkg/text"
	"github.com/xs2a-dev/xs2a/pkg/xs2a"
)

// The file's checkAvailabilityOfFunds (POST /v1/funds-confirmations, the
// PIIS): is an amount available on an account right now. The answer is the
// account's spendable balance as the AIS shows it (xs2a.Spendable): the
// interimAvailable balance of a payment account of customer
// PaymentCustomerID, the credit line left (expected with creditLimitIncluded)
// of a card account. The 1.3 file leaves the PIIS consent to the ASPSP and
// declares no Consent-ID on this path ("contained but commented out"). With
// the access token of a PIIS:<consentId> authorisation (piis.go) the call
// is bound to that consent: valid, this TPP's, for the account asked
// about. With the client-credentials token any test customer's account
// answers, unless Options.RequirePIISConsent (or a Consent-ID names one).

// fundsRequest is the file's confirmationOfFunds.
type fundsRequest struct {
	CardNumber       *string      `json:"cardNumber"`
	Account          *fundsTarget `json:"account"`
	Payee            *string      `json:"payee"`
	InstructedAmount *struct {
		Currency *string `json:"currency"`
		Amount   *string `json:"amount"`
	} `json:"instructedAmount"`
}

// fundsTarget is the file's accountReference; the forms the sandbox has no
// accounts for are decoded to be refused by name.
type fundsTarget struct {
	IBAN            string          `json:"iban"`
	BBAN            json.RawMessage `json:"bban"`
	PAN             string          `json:"pan"`
	MaskedPAN       string          `json:"maskedPan"`
	MSISDN          json.RawMessage `json:"msisdn"`
	Other           json.RawMessage `json:"other"`
	Currency        string          `json:"currency"`
	CashAccountType json.RawMessage `json:"cashAccountType"`
}

// fundsAmountRE is the file's amount pattern with the sign left out (a
// negative amount is no amount to spend) and at most two decimals: every
// account of the sandbox is in EUR, whose minor unit is the cent.
var fundsAmountRE = regexp.MustCompile(`^[0-9]{1,14}(\.[0-9]{1,2})?$`)

// fundsAccount is what an account reference found: its currency, its
// spendable balance in cents and whether it is a card.
type fundsAccount struct {
	noun, id, currency, maskedPAN string
	spendable                     int64
	blocked                       bool
}

func (s *Server) confirmFunds(c *call) *apiError {
	t, e := s.clientToken(c)
	if e != nil {
		return e
	}
	consent, e := s.fundsConsent(c, t)
	if e != nil {
		return e
	}
	if ct := c.r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/json") {
		return reject(http.StatusUnsupportedMediaType, CodeFormatError, fmt.Sprintf("Content-Type %q: the confirmation of funds request is application/json", text.Clip(ct, 60)))
	}
	req, e := decodeFundsRequest(c.body)
	if e != nil {
		return e
	}
	cents, currency, e := fundsAmount(req)
	if e != nil {
		return e
	}
	acc, e := s.fundsAccount(req)
	if e != nil {
		return e
	}
	if consent != nil && !consent.covers(acc) {
		return reject(http.StatusUnauthorized, CodeConsentInvalid, fmt.Sprintf("PIIS consent %s is for %s, not for %s %s", consent.ID, consent.Account(), acc.noun, acc.id))
	}
	if acc.blocked {
		return reject(http.StatusBadRequest, CodeResourceBlocked, fmt.Sprintf("%s %s is blocked", acc.noun, acc.id)).withPath("account")
	}
	if currency != acc.currency {
		// A real issuer might convert; the sandbox states its limit rather
		// than answer from a rate the TPP cannot see.
		return formatErr("instructedAmount.currency", "instructedAmount is in %s; %s %s is in %s and the sandbox confirms funds in the account's currency only", currency, acc.noun, acc.id, acc.currency)
	}
	if req.CardNumber != nil && acc.maskedPAN != "" && !panMatches(*req.CardNumber, acc.maskedPAN) {
		return formatErr("cardNumber", "cardNumber does not belong to card %s (%s)", acc.id, acc.maskedPAN)
	}
	return c.reply(http.StatusOK, struct {
		FundsAvailable bool `json:"fundsAvailable"`
	}{cents <= acc.spendable})
}

// decodeFundsRequest decodes the body strictly and checks the fields the
// file requires or bounds.
func decodeFundsRequest(body []byte) (*fundsRequest, *apiError) {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, formatErr("", "the body is empty; a confirmation of funds request carries a JSON object")
	}
	if path, ok := duplicateKey(body); ok {
		return nil, formatErr(path, "%s appears twice in the JSON object; parsers disagree on which one counts, so the bank refuses it", path)
	}
	var req fundsRequest
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		if ute, ok := err.(*json.UnmarshalTypeError); ok {
			return nil, formatErr(ute.Field, "%s must be a JSON %s, got %s", ute.Field, jsonType(ute.Type.Kind().String()), ute.Value)
		}
		if se, ok := err.(*json.SyntaxError); ok {
			return nil, formatErr("", "the body is not valid JSON: %v at byte %d", se, se.Offset)
		}
		if f, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
			f = strings.Trim(f, `"`)
			return nil, formatErr(f, "unknown field %q in the confirmation of funds request", f)
		}
		return nil, formatErr("", "the body is not a confirmation of funds request: %v", err)
	}
	if dec.More() {
		return nil, formatErr("", "the body has data after the JSON object")
	}
	switch {
	case req.Account == nil:
		return nil, formatErr("account", "account is required (an accountReference: iban, pan or maskedPan)")
	case req.InstructedAmount == nil:
		return nil, formatErr("instructedAmount", `instructedAmount is required, e.g. {"currency": "EUR", "amount": "12.34"}`)
	case req.Payee != nil && len([]rune(*req.Payee)) > 70:
		return nil, formatErr("payee", "payee is at most 70 characters (Max70Text)")
	case req.CardNumber != nil && len(*req.CardNumber) > 35:
		return nil, formatErr("cardNumber", "cardNumber is at most 35 characters")
	case req.CardNumber != nil && !panRE.MatchString(*req.CardNumber):
		return nil, formatErr("cardNumber", "cardNumber %q is not a card number (12 to 19 digits)", text.Clip(*req.CardNumber, 40))
	}
	return &req, nil
}

// fundsAmount checks instructedAmount and gives it in cents.
func fundsAmount(req *fundsRequest) (int64, string, *apiError) {
	a := req.InstructedAmount
	switch {
	case a.Currency == nil:
		return 0, "", formatErr("instructedAmount.currency", "instructedAmount.currency is required (ISO 4217, e.g. EUR)")
	case !currencyRE.MatchString(*a.Currency):
		return 0, "", formatErr("instructedAmount.currency", "instructedAmount.currency %q is not an ISO 4217 code (three capital letters)", text.Clip(*a.Currency, 20))
	case a.Amount == nil:
		return 0, "", formatErr("instructedAmount.amount", "instructedAmount.amount is required (a string, e.g. \"12.34\")")
	case !fundsAmountRE.MatchString(*a.Amount):
		return 0, "", formatErr("instructedAmount.amount", "instructedAmount.amount %q is not a positive amount with at most two decimals (e.g. \"12.34\")", text.Clip(*a.Amount, 30))
	}
	r, _ := new(big.Rat).SetString(*a.Amount)
	c := new(big.Rat).Mul(r, big.NewRat(100, 1))
	if c.Sign() == 0 {
		return 0, "", formatErr("instructedAmount.amount", "instructedAmount.amount is zero; ask for a positive amount")
	}
	return c.Num().Int64(), *a.Currency, nil
}

// fundsAccount finds the account the reference names among all the test
// customers' accounts (the TPP knows the PSU's account, not the PSU). An
// unknown account is 400 RESOURCE_UNKNOWN: the Implementation Guidelines
// answer an unknown resource with 400 when the payload addresses it (404
// is for the path). The file's CARD_INVALID would fit an unknown card
// better, but its 400 answer for this path refers to the AIS error schema,
// whose codes lack it.
func (s *Server) fundsAccount(req *fundsRequest) (fundsAccount, *apiError) {
	ref := req.Account
	for _, f := range []struct {
		name string
		v    json.RawMessage
	}{{"bban", ref.BBAN}, {"msisdn", ref.MSISDN}, {"other", ref.Other}} {
		if f.v != nil {
			return fundsAccount{}, reject(http.StatusBadRequest, CodeParameterNotSupported,
				fmt.Sprintf("account.%s is not supported: the sandbox's accounts are addressed by iban, pan or maskedPan", f.name)).withPath("account." + f.name)
		}
	}
	n := 0
	for _, v := range []string{ref.IBAN, ref.PAN, ref.MaskedPAN} {
		if v != "" {
			n++
		}
	}
	if n != 1 {
		return fundsAccount{}, formatErr("account", "account names one account: exactly one of iban, pan and maskedPan (got %d)", n)
	}
	if ref.Currency != "" && !currencyRE.MatchString(ref.Currency) {
		return fundsAccount{}, formatErr("account.currency", "account.currency %q is not an ISO 4217 code", text.Clip(ref.Currency, 20))
	}
	now := s.now().In(s.zone)
	unknown := func(field, v string) (fundsAccount, *apiError) {
		return fundsAccount{}, reject(http.StatusBadRequest, CodeResourceUnknown, fmt.Sprintf("no account of this ASPSP has %s %s", field, v)).withPath("account." + field)
	}
	switch {
	case ref.IBAN != "":
		if !iban.Valid(ref.IBAN) {
			return fundsAccount{}, formatErr("account.iban", "account.iban %q is not a valid IBAN (form or ISO 13616 check digits)", text.Clip(ref.IBAN, 40))
		}
		for _, p := range s.psus {
			for _, a := range p.Accounts {
				if a.IBAN != ref.IBAN || a.Status == "deleted" || (ref.Currency != "" && ref.Currency != a.Currency) {
					continue
				}
				b, _, ok := xs2a.Spendable(toXS2A(a.Balances(now)), false)
				if !ok {
					break
				}
				return fundsAccount{noun: "account", id: a.IBAN, currency: a.Currency, spendable: parseAmountCents(b.BalanceAmount.Amount), blocked: a.Status == "blocked"}, nil
			}
		}
		return unknown("iban", ref.IBAN)
	default:
		field, v := "pan", ref.PAN
		if ref.MaskedPAN != "" {
			field, v = "maskedPan", ref.MaskedPAN
		}
		if field == "pan" && !panRE.MatchString(v) {
			return fundsAccount{}, formatErr("account.pan", "account.pan is not a card number (12 to 19 digits)")
		}
		for _, p := range s.psus {
			for _, a := range p.Cards {
				if (field == "pan" && !panMatches(v, a.MaskedPAN)) || (field == "maskedPan" && v != a.MaskedPAN) ||
					(ref.Currency != "" && ref.Currency != a.Currency) {
					continue
				}
				b, _, ok := xs2a.Spendable(toXS2A(a.Balances(now)), true)
				if !ok {
					break
				}
				return fundsAccount{noun: "card account", id: a.MaskedPAN, currency: a.Currency, maskedPAN: a.MaskedPAN,
					spendable: parseAmountCents(b.BalanceAmount.Amount), blocked: a.Status == "blocked"}, nil
			}
		}
		if field == "pan" {
			v = maskPAN(v) // a full PAN is not echoed (PCI DSS)
		}
		return unknown(field, v)
	}
}

// panMatches: the sandbox knows its cards by masked PAN only (first six and
// last four digits), so a full PAN of that length with those digits is the
// card's.
func panMatches(pan, masked string) bool {
	return len(pan) == len(masked) && len(pan) >= 10 && pan[:6] == masked[:6] && pan[len(pan)-4:] == masked[len(masked)-4:]
}

// maskPAN masks all but the first six and last four digits.
func maskPAN(pan string) string {
	if len(pan) < 10 {
		return strings.Repeat("*", len(pan))
	}
	return pan[:6] + strings.Repeat("*", len(pan)-10) + pan[len(pan)-4:]
}

func toXS2A(bs []Balance) []xs2a.Balance {
	out := make([]xs2a.Balance, len(bs))
	for i, b := range bs {
		out[i] = xs2a.Balance(b)
	}
	return out
}

// parseAmountCents reads a balance amount the sandbox wrote itself (cents,
// two decimals, maybe signed).
func parseAmountCents(s string) int64 {
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		return 0
	}
	return new(big.Rat).Mul(r, big.NewRat(100, 1)).Num().Int64()
}
