package main_test

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
)

// TestServedPaymentProfile: `sandbox serve --auto-approve-as 5000001
// --write-profile` writes account_type payment (the customer has IBAN
// payment accounts and no cards), so flow and accounts read /v1/accounts
// with that profile as it is, no key added by hand.
func TestServedPaymentProfile(t *testing.T) {
	needCurl(t)
	s := serveBinary(t, "--auto-approve-as", "5000001")
	if s.info["account_type"] != "payment" {
		t.Errorf("serve -o json says accountType %q; want payment", s.info["account_type"])
	}
	cfg, err := os.ReadFile(s.cfg)
	if err != nil || !strings.Contains(string(cfg), "account_type: payment") {
		t.Fatalf("the written profile: %v\n%s", err, cfg)
	}
	env := []string{"BROWSER=" + flowBrowser(t, s)}
	r := s.run(env, "flow", "-o", "json")
	if r.code != 0 {
		t.Fatalf("flow: exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	var rec struct {
		OK    bool `json:"ok"`
		Steps []struct {
			Name, Sent, Got string
			OK              bool
		} `json:"steps"`
		Accounts []struct {
			ResourceID       string     `json:"resource_id"`
			IBAN             string     `json:"iban"`
			Available        flowAmount `json:"available"`
			AvailableBalance string     `json:"available_balance"`
		} `json:"accounts"`
		Cards []json.RawMessage `json:"cards"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &rec); err != nil {
		t.Fatalf("flow -o json: %v\n%s", err, r.stdout)
	}
	if !rec.OK || len(rec.Steps) < 5 || rec.Steps[4].Name != "accounts" || !strings.HasPrefix(rec.Steps[4].Sent, "GET /v1/accounts ") ||
		!strings.HasPrefix(rec.Steps[4].Got, "200, 2 payment account(s)") || len(rec.Cards) != 0 {
		t.Fatalf("flow with the served payment profile: %+v", rec)
	}
	if len(rec.Accounts) != 2 || rec.Accounts[0].IBAN != "FI0412345600012343" || rec.Accounts[1].IBAN != "FI9612345600098763" {
		t.Fatalf("accounts %+v", rec.Accounts)
	}
	for _, a := range rec.Accounts {
		if a.Available == "" || a.AvailableBalance != "interimAvailable" {
			t.Errorf("%s: available %q from %q; want the interimAvailable balance", a.ResourceID, a.Available, a.AvailableBalance)
		}
	}
	// A transaction id from the report, then its details.
	id := rec.Accounts[0].ResourceID
	r = s.run(nil, "accounts", "transactions", id, "--psu-ip", "192.0.2.1", "-o", "json")
	var doc struct {
		Bank struct {
			Transactions struct {
				Booked []struct {
					TransactionID string `json:"transactionId"`
				} `json:"booked"`
			} `json:"transactions"`
		} `json:"bank_response"`
	}
	err = json.Unmarshal([]byte(r.stdout), &doc)
	rep := doc.Bank.Transactions
	if r.code != 0 || err != nil || len(rep.Booked) == 0 || rep.Booked[0].TransactionID == "" {
		t.Fatalf("accounts transactions %s: exit %d %v\n%s\n%s", id, r.code, err, r.stdout, r.stderr)
	}
	tx := rep.Booked[0].TransactionID
	r = s.run(nil, "accounts", "transaction", id, tx, "--psu-ip", "192.0.2.1")
	if r.code != 0 || !strings.Contains(r.stdout, tx) {
		t.Errorf("accounts transaction %s %s: exit %d\n%s\n%s", id, tx, r.code, r.stdout, r.stderr)
	}
}
