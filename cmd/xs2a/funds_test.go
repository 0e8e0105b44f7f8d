package main_test

// funds-confirmation through the built binary: against `sandbox serve`
// (true, false, --exit-status, -o json, the bank's refusal), and a QSealC
// without PSP_IC refused once the sandbox checks the PIIS role.

import (
	"crypto/x509"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xs2a-dev/xs2a/pkg/qcert"
	"github.com/xs2a-dev/xs2a/pkg/sandbox"
)

func TestFundsConfirmationAgainstSandboxServe(t *testing.T) {
	s := serveBinary(t)
	const iban = "FI0412345600012343" // customer 5000001's current account

	r := s.run(nil, "funds-confirmation", "--account", iban, "--amount", "12.34", "--exit-status")
	if r.code != 0 || r.stdout != "funds available: 12.34 EUR on "+iban+"\n" {
		t.Errorf("available: exit %d\nstdout: %s\nstderr: %s", r.code, r.stdout, r.stderr)
	}
	r = s.run(nil, "funds-confirmation", "--account", iban, "--amount", "99999999999.99", "--exit-status")
	if r.code != 9 || r.stdout != "funds NOT available: 99999999999.99 EUR on "+iban+"\n" || r.stderr != "" {
		t.Errorf("not available, --exit-status: exit %d; want 9\nstdout: %s\nstderr: %s", r.code, r.stdout, r.stderr)
	}
	// A card: its credit line left, by masked PAN, -o json.
	for _, tc := range []struct {
		amount string
		want   bool
		code   int
	}{{"1.00", true, 0}, {"99999999999", false, 9}} {
		r = s.run(nil, "-o", "json", "funds-confirmation", "--pan", "524378******8693", "--amount", tc.amount, "--payee", "Kauppa Oy", "--exit-status")
		var got struct {
			FundsAvailable *bool `json:"funds_available"`
			Bank           struct {
				FundsAvailable *bool `json:"fundsAvailable"`
			} `json:"bank_response"`
		}
		if err := json.Unmarshal([]byte(r.stdout), &got); err != nil || r.code != tc.code || got.FundsAvailable == nil || *got.FundsAvailable != tc.want ||
			got.Bank.FundsAvailable == nil || *got.Bank.FundsAvailable != tc.want {
			t.Errorf("card %s -o json: exit %d (want %d), %v\nstdout: %s\nstderr: %s", tc.amount, r.code, tc.code, err, r.stdout, r.stderr)
		}
	}
	// Bad input: one line, exit 2, nothing sent.
	for _, args := range [][]string{
		{"--account", "FI0512345600012343", "--amount", "1"},
		{"--account", iban, "--amount", "1.2.3"},
		{"--amount", "1"},
		{"--account", iban, "--pan", "524378******8693", "--amount", "1"},
	} {
		r = s.run(nil, append([]string{"funds-confirmation"}, args...)...)
		oneErrorLine(t, strings.Join(args, " "), r, 2)
	}
	// Recorded, verified offline and replayed as every other call.
	rec := filepath.Join(s.dir, "rec")
	if r := s.run(nil, "--record", rec, "funds-confirmation", "--account", iban, "--amount", "1"); r.code != 0 {
		t.Fatalf("--record: exit %d\n%s", r.code, r.stderr)
	}
	if r := s.run(nil, "sign", "verify", "--bundle", rec); r.code != 0 {
		t.Errorf("sign verify --bundle: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := s.run(nil, "replay", rec); r.code != 0 || !strings.Contains(r.stdout, "funds-confirmations") {
		t.Errorf("replay: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	// The bank's refusal: an IBAN it does not hold.
	r = s.run(nil, "funds-confirmation", "--account", "DE89370400440532013000", "--amount", "1")
	oneErrorLine(t, "unknown IBAN", r, 3, "400 RESOURCE_UNKNOWN")
}

// TestFundsConfirmationNeedsPSPIC: a TPP whose certificates carry PSP_AI
// and PSP_PI but not PSP_IC is refused ROLE_INVALID naming PSP_IC.
func TestFundsConfirmationNeedsPSPIC(t *testing.T) {
	set, err := qcert.GenerateSet(qcert.Options{Org: qcert.DefaultOrg, Roles: []qcert.Role{qcert.RoleAI, qcert.RolePI}})
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "no-ic")
	if err := set.Write(dir, true); err != nil {
		t.Fatal(err)
	}
	app := sandbox.App{Name: "no-ic", ClientID: "no-ic", ClientSecret: "secret-no-ic", APIKey: "key-no-ic", OrganizationID: qcert.DefaultOrg.OrganizationIdentifier()}
	b := startBank(t, sandbox.Options{Trust: []*x509.Certificate{set.CA.Cert}, RatePerSecond: -1, Apps: []sandbox.App{app}})
	f := func(n string) string { return filepath.Join(dir, n) }
	u := newUser(t, b, map[string]string{"qwac_cert": f("qwac.pem"), "qwac_key": f("qwac.key"), "qseal_cert": f("qseal.pem"), "qseal_key": f("qseal.key"),
		"client_id": app.ClientID, "client_secret": app.ClientSecret, "api_key": app.APIKey})
	r := u.run("funds-confirmation", "--account", "FI0412345600012343", "--amount", "1")

	oneErrorLine(t, "QSealC without PSP_IC", r, 5, "ROLE_INVALID", "PSP_IC", "hint: the certificates' PSD2 roles lack PSP_IC, which funds confirmation needs (`xs2a certs check --for piis` shows them)", "`xs2a sandbox serve --certs DIR`")
	if r.code == 0 {
		t.Errorf("a TPP without PSP_IC got an answer:\n%s", r.stdout)
	}
}
