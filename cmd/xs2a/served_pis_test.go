package main_test

import (
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// pisBody is a SEPA credit transfer from customer 5000001's current
// account to a Finnish IBAN whose check digits hold.
const pisBody = `{"debtorAccount":{"iban":"FI0412345600012343"},"instructedAmount":{"currency":"EUR","amount":"42.00"},` +
	`"creditorAccount":{"iban":"FI8515723000234564"},"creditorName":"Kiinteistö Oy","remittanceInformationUnstructured":"served PIS"}`

// TestServedPayment: through the built binary against `sandbox serve`, a
// SEPA credit transfer is initiated (xs2a api), authorised by the PSU at
// the authorization endpoint with scope PIS:<paymentId> (auto-approve as
// the debtor's holder), settled (ACSC), refused cancellation after, seen
// booked through AIS; another one cancelled before authorisation (CANC);
// bad input answered with the bank's code and exit 3.
func TestServedPayment(t *testing.T) {
	needCurl(t)
	s := serveBinary(t, "--auto-approve-as", "5000001")
	ip := "PSU-IP-Address: 192.0.2.1"
	const sct = "/v1/payments/sepa-credit-transfers"
	initiate := func(body string) string {
		t.Helper()
		r := s.run(nil, "api", "POST", sct, "--token", "client", "-H", ip, "-d", body)
		if r.code != 0 {
			t.Fatalf("initiate: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
		}
		var pc struct{ TransactionStatus, PaymentID string }
		if err := json.Unmarshal([]byte(r.stdout), &pc); err != nil || pc.TransactionStatus != "RCVD" || pc.PaymentID == "" {
			t.Fatalf("initiate: %v %s", err, r.stdout)
		}
		return pc.PaymentID
	}
	status := func(id string) string {
		t.Helper()
		r := s.run(nil, "api", "GET", sct+"/"+id+"/status", "--token", "client")
		var st struct{ TransactionStatus string }
		if r.code != 0 || json.Unmarshal([]byte(r.stdout), &st) != nil {
			t.Fatalf("status: exit %d %s %s", r.code, r.stdout, r.stderr)
		}
		return st.TransactionStatus
	}

	id := initiate(pisBody)
	cfg, err := os.ReadFile(s.cfg)
	m := regexp.MustCompile(`authorize_url: (\S+)`).FindSubmatch(cfg)
	if err != nil || m == nil {
		t.Fatalf("no authorize_url in the written profile: %v\n%s", err, cfg)
	}
	auth := string(m[1])
	q := url.Values{"response_type": {"code"}, "client_id": {"sandbox-client"}, "redirect_uri": {"http://127.0.0.1:9/cb"},
		"scope": {"PIS:" + id}, "state": {"st"}, "code_challenge": {strings.Repeat("x", 43)}, "code_challenge_method": {"S256"}}
	out, code := curlStatus(t, "--cacert", filepath.Join(s.dir, "certs", "ca.pem"), "-o", "/dev/null", "-w", "%{redirect_url}\n%{http_code}", auth+"?"+q.Encode())
	if code != 302 || !strings.Contains(out, "code=") {
		t.Fatalf("authorize PIS:%s: %d %s", id, code, out)
	}
	if st := status(id); st != "ACSC" {
		t.Errorf("status after approval %s, want ACSC", st)
	}
	r := s.run(nil, "api", "DELETE", sct+"/"+id, "--token", "client")
	if r.code != 3 || !strings.Contains(r.stderr, "405 CANCELLATION_INVALID") {
		t.Errorf("cancel after settlement: exit %d %s", r.code, r.stderr)
	}

	id2 := initiate(pisBody)
	if r := s.run(nil, "api", "DELETE", sct+"/"+id2, "--token", "client"); r.code != 0 {
		t.Errorf("cancel before authorisation: exit %d %s", r.code, r.stderr)
	}
	if st := status(id2); st != "CANC" {
		t.Errorf("status after DELETE %s, want CANC", st)
	}

	for _, c := range []struct{ name, path, body, want string }{
		{"unknown product", "/v1/payments/swift-wires", pisBody, "404 PRODUCT_UNKNOWN"},
		{"creditor IBAN check digits", sct, strings.Replace(pisBody, "FI85", "FI86", 1), "400 FORMAT_ERROR: [creditorAccount.iban]"},
		{"amount", sct, strings.Replace(pisBody, `"42.00"`, `"42,00"`, 1), "400 FORMAT_ERROR: [instructedAmount.amount]"},
	} {
		r := s.run(nil, "api", "POST", c.path, "--token", "client", "-H", ip, "-d", c.body)
		if r.code != 3 || !strings.Contains(r.stderr, c.want) || strings.Count(strings.TrimSpace(r.stderr), "xs2a: error:") != 1 {
			t.Errorf("%s: exit %d, want 3 and %q:\n%s", c.name, r.code, c.want, r.stderr)
		}
	}
	if r := s.run(nil, "api", "GET", sct+"/pmt-of-nobody", "--token", "client"); r.code != 3 || !strings.Contains(r.stderr, "403 RESOURCE_UNKNOWN") {
		t.Errorf("unknown payment id: exit %d %s", r.code, r.stderr)
	}
}

// TestServedPaymentRoles: certificates made with `certs generate` (PSP_AI
// only) are refused on the PIS paths, naming PSP_PI.
func TestServedPaymentRoles(t *testing.T) {
	dir := t.TempDir()
	if r := xs2a(t, dir, "", nil, "certs", "generate", "--dir", filepath.Join(dir, "ai"), "--roles", "PSP_AI"); r.code != 0 {
		t.Fatalf("certs generate: exit %d %s", r.code, r.stderr)
	}
	s := serveBinary(t, "--auto-approve-as", "5000001", "--certs", filepath.Join(dir, "ai"))
	r := s.run(nil, "api", "POST", "/v1/payments/sepa-credit-transfers", "--token", "client", "-H", "PSU-IP-Address: 192.0.2.1", "-d", pisBody)
	if r.code == 0 || !strings.Contains(r.stderr, "ROLE_INVALID") || !strings.Contains(r.stderr, "do not include PSP_PI") {
		t.Errorf("PIS with PSP_AI-only certificates: exit %d %s", r.code, r.stderr)
	}
}
