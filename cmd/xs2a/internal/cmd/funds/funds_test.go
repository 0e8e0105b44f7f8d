package funds_test

import (
	"encoding/json"
	"io"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/xs2a-dev/xs2a/cmd/xs2a/internal/cmdtest"
)

const iban = "FI0412345600012343" // the sandbox's customer 5000001, current account

// TestBadInput: each mistake is one line on stderr and exit 2, before any
// request (no bank is running).
func TestBadInput(t *testing.T) {
	e := cmdtest.New(t)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--amount", "1"}, "give the account: --account IBAN or --pan PAN"},
		{[]string{"--account", iban, "--pan", "524378******8693", "--amount", "1"}, "give one of --account and --pan, not both"},
		{[]string{"--account", "FI0512345600012343", "--amount", "1"}, "check digits do not match (mod 97)"},
		{[]string{"--account", "not-an-iban", "--amount", "1"}, "not an IBAN"},
		{[]string{"--account", iban}, "give the amount to confirm"},
		{[]string{"--account", iban, "--amount", "12,34"}, `--amount "12,34" is not an amount`},
		{[]string{"--account", iban, "--amount", "-5"}, `--amount "-5" is not an amount`},
		{[]string{"--account", iban, "--amount", "0.00"}, "is not an amount: more than zero"},
		{[]string{"--account", iban, "--amount", "1", "--currency", "EURO"}, "is not a currency code"},
		{[]string{"--pan", "5243", "--amount", "1"}, "neither a card number"},
		{[]string{"--pan", "524378******8693", "--card-number", "12ab", "--amount", "1"}, "--card-number"},
		{[]string{"--account", iban, "--amount", "1", "--payee", strings.Repeat("x", 71)}, "allows 70"},
		{[]string{"--account", iban, "--amount", "1", "extra"}, ""},
	} {
		r := e.Run(append([]string{"funds-confirmation"}, tc.args...)...)
		if r.Code != 2 || r.Stdout != "" || strings.Count(r.Stderr, "\n") != 1 || !strings.Contains(r.Stderr, tc.want) {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit 2 and one line with %q", tc.args, r.Code, r.Stdout, r.Stderr, tc.want)
		}
	}
}

// TestAgainstTheBank: true and false from the sandbox's answer, in text
// and -o json, and --exit-status's 0 and 9.
func TestAgainstTheBank(t *testing.T) {
	e := cmdtest.New(t)
	e.Bank()
	r := e.Must("funds-confirmation", "--account", iban, "--amount", "1.00")
	if r.Stdout != "funds available: 1.00 EUR on "+iban+"\n" {
		t.Errorf("stdout %q", r.Stdout)
	}
	r = e.Run("funds-confirmation", "--account", iban, "--amount", "99999999999", "--exit-status")
	if r.Code != 9 || r.Stdout != "funds NOT available: 99999999999 EUR on "+iban+"\n" || r.Stderr != "" {
		t.Errorf("no funds, --exit-status: exit %d, stdout %q, stderr %q; want 9 and the answer", r.Code, r.Stdout, r.Stderr)
	}
	// Without --exit-status "no" is an answer, not a failure.
	e.Must("funds-confirmation", "--account", iban, "--amount", "99999999999")
	e.Must("funds-confirmation", "--account", iban, "--amount", "1", "--exit-status")

	r = e.Run("-o", "json", "funds-confirmation", "--pan", "5243780000008693", "--card-number", "5243780000008693", "--amount", "99999999999", "--payee", "Kauppa Oy", "--exit-status")
	var got struct {
		FundsAvailable *bool `json:"funds_available"`
		Account        struct {
			MaskedPAN string `json:"masked_pan"`
		} `json:"account"`
		InstructedAmount struct{ Amount, Currency string } `json:"instructed_amount"`
		XRequestID       string                            `json:"x_request_id"`
		Bank             struct {
			FundsAvailable *bool `json:"fundsAvailable"`
		} `json:"bank_response"`
	}
	if err := json.Unmarshal([]byte(r.Stdout), &got); err != nil || r.Code != 9 || got.FundsAvailable == nil || *got.FundsAvailable ||
		got.Bank.FundsAvailable == nil || *got.Bank.FundsAvailable || got.Account.MaskedPAN != "524378******8693" ||
		got.InstructedAmount.Amount != "99999999999" || got.InstructedAmount.Currency != "EUR" || got.XRequestID == "" {
		t.Errorf("-o json, card over its line: exit %d, %v\n%s", r.Code, err, r.Stdout)
	}
	if strings.Contains(r.Stdout, "5243780000008693") {
		t.Errorf("the full PAN is printed: %s", r.Stdout)
	}

	// The bank's refusal is the bank's, exit 3.
	r = e.Expect(3, "RESOURCE_UNKNOWN", "funds-confirmation", "--account", "DE89370400440532013000", "--amount", "1")
	if r.Stdout != "" {
		t.Errorf("refused: stdout %q", r.Stdout)
	}
}

// TestPIISToken: the consent `sandbox serve --piis-consent` granted and
// --write-profile remembered is authorised by `authorize --piis
// --exchange`; funds-confirmation then sends its token (stderr names the
// consent, the token masked), --client-token the client token, and under
// --require-piis-consent that one is refused with a hint naming
// `authorize --piis`.
func TestPIISToken(t *testing.T) {
	e := cmdtest.New(t)
	e.Bank("--piis-consent", iban, "--require-piis-consent")
	r := e.Expect(4, "401 CONSENT_INVALID", "funds-confirmation", "--account", iban, "--amount", "1")
	if !strings.Contains(r.Stderr, "xs2a authorize --piis") {
		t.Errorf("no hint naming authorize --piis: %s", r.Stderr)
	}
	r = e.Must("authorize", "--piis", "--exchange")
	m := regexp.MustCompile(`piis-[A-Za-z0-9_-]+`).FindString(r.Stdout + r.Stderr)
	if m == "" {
		t.Fatalf("authorize --piis names no consent:\n%s%s", r.Stdout, r.Stderr)
	}
	r = e.Must("funds-confirmation", "--account", iban, "--amount", "1.00")
	if r.Stdout != "funds available: 1.00 EUR on "+iban+"\n" || !strings.Contains(r.Stderr, "PIIS token of consent "+m) || !strings.Contains(r.Stderr, "--show-secrets") {
		t.Errorf("with the PIIS token: stdout %q stderr %q", r.Stdout, r.Stderr)
	}
	r = e.Expect(4, "401 CONSENT_INVALID", "funds-confirmation", "--account", iban, "--amount", "1", "--client-token")
	if strings.Contains(r.Stderr, "PIIS token") {
		t.Errorf("--client-token sent the PIIS token: %s", r.Stderr)
	}
	// --consent naming the token's consent sends both.
	e.Must("funds-confirmation", "--account", iban, "--amount", "1", "--consent", m)
}

// TestEndedPIISConsent: once the PSU revokes the PIIS consent, the
// refusal's hint does not send the TPP to authorise it again (the bank
// refuses that too, naming where the PSU grants a new one) but to a new
// grant and `authorize --piis NEWID --exchange`.
func TestEndedPIISConsent(t *testing.T) {
	e := cmdtest.New(t)
	b := e.Bank("--piis-consent", iban, "--require-piis-consent")
	r := e.Must("authorize", "--piis", "--exchange")
	id := regexp.MustCompile(`piis-[A-Za-z0-9_-]+`).FindString(r.Stdout + r.Stderr)
	if id == "" {
		t.Fatalf("authorize --piis names no consent:\n%s%s", r.Stdout, r.Stderr)
	}
	// The PSU revokes it on the bank's page.
	c := e.Browser.Client
	form := func(path string, v url.Values) string {
		t.Helper()
		resp, err := c.PostForm(b.AuthURL+path, v)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return string(body)
	}
	resp, err := c.Get(b.AuthURL + "/psu/piis-consents")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	session := regexp.MustCompile(`name="session" value="([^"]+)"`).FindSubmatch(page)
	otp := regexp.MustCompile(`id="code">([0-9]{6})<`).FindSubmatch(page)
	if session == nil || otp == nil {
		t.Fatalf("grant page:\n%s", page)
	}
	form("/oauth/login", url.Values{"session": {string(session[1])}, "psu_id": {"5000001"}, "otp": {string(otp[1])}})
	if got := form("/psu/piis-consents", url.Values{"session": {string(session[1])}, "action": {"revoke"}, "consent": {id}}); !strings.Contains(got, "is revoked") {
		t.Fatalf("revoke:\n%s", got)
	}

	r = e.Expect(4, "401 CONSENT_INVALID", "funds-confirmation", "--account", iban, "--amount", "1")
	if !strings.Contains(r.Stderr, "xs2a authorize --piis NEWID --exchange") || strings.Contains(r.Stderr, "authorize --piis "+id) {
		t.Errorf("the hint for a revoked consent: %s", r.Stderr)
	}
	r = e.Run("authorize", "--piis", id, "--exchange")
	if r.Code == 0 || !strings.Contains(r.Stderr, "the PSU grants a new one on "+b.AuthURL+"/psu/piis-consents") {
		t.Errorf("authorize --piis of the revoked consent: exit %d\n%s", r.Code, r.Stderr)
	}
}
