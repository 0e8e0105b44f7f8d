package sandbox

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/xs2a-dev/xs2a/pkg/xs2a"
)

// fundsBody is a confirmationOfFunds body.
func fundsBody(account map[string]any, amount, currency string, extra map[string]any) []byte {
	m := map[string]any{"account": account, "instructedAmount": map[string]any{"currency": currency, "amount": amount}}
	for k, v := range extra {
		if v == nil {
			delete(m, k)
		} else {
			m[k] = v
		}
	}
	b, err := json.Marshal(m)
	if err != nil {
		panic(err)
	}
	return b
}

// spendableCents is what the sandbox holds spendable on a payment account
// (IBAN) or card (masked PAN) now, read from its data, not its API.
func spendableCents(t *testing.T, rig *specRig, ref string) int64 {
	t.Helper()
	now := rig.s.now().In(rig.s.zone)
	for _, p := range rig.s.psus {
		for _, a := range p.Accounts {
			if a.IBAN == ref {
				b, _, _ := xs2a.Spendable(toXS2A(a.Balances(now)), false)
				return parseAmountCents(b.BalanceAmount.Amount)
			}
		}
		for _, c := range p.Cards {
			if c.MaskedPAN == ref {
				b, _, _ := xs2a.Spendable(toXS2A(c.Balances(now)), true)
				return parseAmountCents(b.BalanceAmount.Amount)
			}
		}
	}
	t.Fatalf("no account %s", ref)
	return 0
}

func euros(c int64) string { return fmt.Sprintf("%d.%02d", c/100, c%100) }

// TestOpenAPIFundsConfirmation: checkAvailabilityOfFunds answers true up to
// the account's spendable balance and false a cent above it, for an IBAN
// account of customer 5000001 and for a card (its credit line left), and
// refuses what it cannot answer with the file's errors; every exchange
// validated against the official OpenAPI file.
func TestOpenAPIFundsConfirmation(t *testing.T) {
	rig := newSpecRig(t, Options{})
	p, step, badStep := rig.p, rig.step, rig.badStep
	tok := p.clientToken()
	post := func(body []byte, hdr map[string]string) func() answer {
		return func() answer { return p.call("POST", "/v1/funds-confirmations", tok, body, hdr) }
	}
	available := func(a answer) bool {
		t.Helper()
		var r struct{ FundsAvailable *bool }
		a.json(t, &r)
		if r.FundsAvailable == nil {
			t.Fatalf("no fundsAvailable: %s", a.body)
		}
		return *r.FundsAvailable
	}

	cur := spendableCents(t, rig, currentIBAN)
	if cur <= 0 {
		t.Fatalf("the current account has %d cents to spend; the test needs some", cur)
	}
	iban := map[string]any{"iban": currentIBAN}
	if a := step("200 true: the whole available balance", 200, post(fundsBody(iban, euros(cur), "EUR", nil), nil)); !available(a) {
		t.Errorf("%s EUR of %s EUR available: %s", euros(cur), euros(cur), a.body)
	}
	if a := step("200 false: a cent more", 200, post(fundsBody(iban, euros(cur+1), "EUR", map[string]any{"payee": "Kauppa Oy", "cardNumber": "5243780000008693"}), nil)); available(a) {
		t.Errorf("%s EUR of %s EUR available: %s", euros(cur+1), euros(cur), a.body)
	}
	// The savings account is another balance: what fits there is not
	// answered from the current account.
	sav := spendableCents(t, rig, savingsIBAN)
	if a := step("200 savings account, with currency", 200, post(fundsBody(map[string]any{"iban": savingsIBAN, "currency": "EUR"}, euros(sav), "EUR", nil), nil)); !available(a) {
		t.Errorf("savings: %s", a.body)
	}

	const card = "524378******8693"
	line := spendableCents(t, rig, card)
	if line <= 0 {
		t.Fatalf("card %s has %d cents of credit left", card, line)
	}
	if a := step("200 true: card by maskedPan, the credit line left", 200, post(fundsBody(map[string]any{"maskedPan": card}, euros(line), "EUR", nil), nil)); !available(a) {
		t.Errorf("card: %s", a.body)
	}
	if a := step("200 false: card by pan, a cent over the credit line", 200, post(fundsBody(map[string]any{"pan": "5243780000008693"}, euros(line+1), "EUR",
		map[string]any{"cardNumber": "5243780000008693"}), nil)); available(a) {
		t.Errorf("card over the line: %s", a.body)
	}

	// Errors.
	step("400 RESOURCE_UNKNOWN: an IBAN of no account here", 400, func() answer {
		a := post(fundsBody(map[string]any{"iban": "DE89370400440532013000"}, "1.00", "EUR", nil), nil)()
		wantAPIError(t, a, 400, CodeResourceUnknown, "account.iban", "DE89370400440532013000")
		return a
	})
	step("400 RESOURCE_UNKNOWN: a PAN of no card, masked in the text", 400, func() answer {
		a := post(fundsBody(map[string]any{"pan": "4111111111111111"}, "1.00", "EUR", nil), nil)()
		wantAPIError(t, a, 400, CodeResourceUnknown, "account.pan", "411111******1111")
		if strings.Contains(string(a.body), "4111111111111111") {
			t.Errorf("the full PAN is echoed: %s", a.body)
		}
		return a
	})
	step("400 RESOURCE_BLOCKED: customer 3000001's blocked card", 400, func() answer {
		a := post(fundsBody(map[string]any{"maskedPan": "524366******2222"}, "1.00", "EUR", nil), nil)()
		wantAPIError(t, a, 400, CodeResourceBlocked, "account", "blocked")
		return a
	})
	step("400 FORMAT_ERROR: IBAN check digits wrong", 400, func() answer {
		a := post(fundsBody(map[string]any{"iban": "FI0512345600012343"}, "1.00", "EUR", nil), nil)()
		wantAPIError(t, a, 400, CodeFormatError, "account.iban", "check digits")
		return a
	})
	step("400 FORMAT_ERROR: another currency", 400, func() answer {
		a := post(fundsBody(iban, "1.00", "SEK", nil), nil)()
		wantAPIError(t, a, 400, CodeFormatError, "instructedAmount.currency", "EUR")
		return a
	})
	step("400 FORMAT_ERROR: both iban and maskedPan", 400, func() answer {
		a := post(fundsBody(map[string]any{"iban": currentIBAN, "maskedPan": card}, "1.00", "EUR", nil), nil)()
		wantAPIError(t, a, 400, CodeFormatError, "account", "exactly one")
		return a
	})
	step("400 FORMAT_ERROR: cardNumber of another card", 400, func() answer {
		a := post(fundsBody(map[string]any{"maskedPan": card}, "1.00", "EUR", map[string]any{"cardNumber": "5243660000008694"}), nil)()
		wantAPIError(t, a, 400, CodeFormatError, "cardNumber")
		return a
	})
	step("400 FORMAT_ERROR: a zero amount", 400, func() answer {
		a := post(fundsBody(iban, "0.00", "EUR", nil), nil)()
		wantAPIError(t, a, 400, CodeFormatError, "instructedAmount.amount", "zero")
		return a
	})
	step("400 PARAMETER_NOT_SUPPORTED: bban", 400, func() answer {
		a := post(fundsBody(map[string]any{"bban": "12345600012343"}, "1.00", "EUR", nil), nil)()
		wantAPIError(t, a, 400, CodeParameterNotSupported, "account.bban")
		return a
	})
	step("400 CONSENT_UNKNOWN: a Consent-ID the sandbox has no PIIS consent for", 400, func() answer {
		a := post(fundsBody(iban, "1.00", "EUR", nil), map[string]string{"Consent-ID": "piis-1"})()
		wantAPIError(t, a, 400, CodeConsentUnknown, "Consent-ID", "not a PIIS consent of this TPP")
		return a
	})
	step("401 TOKEN_INVALID: no token", 401, func() answer {
		a := p.call("POST", "/v1/funds-confirmations", "", fundsBody(iban, "1.00", "EUR", nil), nil)
		wantAPIError(t, a, 401, CodeTokenInvalid, "")
		return a
	})
	badStep("400 FORMAT_ERROR: instructedAmount missing", 400, func() answer {
		a := post(fundsBody(iban, "1.00", "EUR", map[string]any{"instructedAmount": nil}), nil)()
		wantAPIError(t, a, 400, CodeFormatError, "instructedAmount")
		return a
	})
	badStep("400 FORMAT_ERROR: amount not the file's pattern", 400, func() answer {
		a := post(fundsBody(iban, "twelve", "EUR", nil), nil)()
		wantAPIError(t, a, 400, CodeFormatError, "instructedAmount.amount")
		return a
	})
	badStep("400 FORMAT_ERROR: payee over 70 characters", 400, func() answer {
		long := fmt.Sprintf("%071d", 0)
		a := post(fundsBody(iban, "1.00", "EUR", map[string]any{"payee": long}), nil)()
		wantAPIError(t, a, 400, CodeFormatError, "payee")
		return a
	})
}
