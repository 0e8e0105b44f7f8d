package main_test

// The PIS journey of issue 19 through the built binary, client and bank
// both ours but each held to the OpenAPI file in its own tests: `xs2a
// payment initiate`, `authorize --payment --exchange`, `payment status
// --wait` to a final status against `sandbox serve`, and a cancellation
// before authorisation.

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestPaymentJourneyAgainstSandboxServe(t *testing.T) {
	s := serveBinary(t, "--auto-approve-as", "5000001")
	browser := []string{"BROWSER=" + flowBrowser(t, s)}
	pay := []string{"payment", "initiate", "--debtor", "FI0412345600012343", "--creditor", "DE89370400440532013000", "--creditor-name", "John Miles", "--currency", "EUR"}

	r := s.run(nil, append(pay, "--amount", "12.34", "--remittance", "Invoice 42", "-o", "json")...)
	var init struct {
		PaymentID         string `json:"payment_id"`
		TransactionStatus string `json:"transaction_status"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &init); r.code != 0 || err != nil || init.PaymentID == "" || init.TransactionStatus != "RCVD" {
		t.Fatalf("payment initiate: exit %d %v\n%s%s", r.code, err, r.stdout, r.stderr)
	}
	if r = s.run(browser, "authorize", "--payment", "--exchange", "--timeout", "30s"); r.code != 0 || !strings.Contains(r.stdout+r.stderr, init.PaymentID) {
		t.Fatalf("authorize --payment --exchange: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r = s.run(nil, "payment", "status", "--wait", "--timeout", "30s"); r.code != 0 || !strings.Contains(r.stdout, init.PaymentID+": ACSC (final)") {
		t.Fatalf("payment status --wait: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	// The debit is booked on the debtor's account, which the AIS side reads.
	if r = s.run(nil, "payment", "get", "-o", "json"); r.code != 0 || !strings.Contains(r.stdout, `"transaction_status": "ACSC"`) {
		t.Errorf("payment get -o json: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	// A settled payment cannot be cancelled: the bank's 405, exit 3.
	oneErrorLine(t, "cancel after settlement", s.run(nil, "payment", "cancel"), 3, "405 CANCELLATION_INVALID")

	// Cancelled before the PSU authorised it: CANC.
	if r = s.run(nil, append(pay, "--amount", "1.00")...); r.code != 0 {
		t.Fatalf("second payment initiate: exit %d\n%s", r.code, r.stderr)
	}
	if r = s.run(nil, "payment", "cancel"); r.code != 0 {
		t.Fatalf("payment cancel: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r = s.run(nil, "payment", "status"); r.code != 0 || !strings.Contains(r.stdout, "CANC") {
		t.Errorf("status after cancel: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}

	// A standing order and a bulk, as the file shapes them, accepted.
	start := time.Now().AddDate(0, 0, 7).Format(time.DateOnly)
	if r = s.run(nil, append(pay, "--amount", "50.00", "--service", "periodic-payments", "--start-date", start, "--frequency", "Monthly", "--day-of-execution", "5")...); r.code != 0 ||
		!strings.Contains(r.stdout, ": RCVD (periodic-payments/sepa-credit-transfers)") {
		t.Errorf("periodic payment: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	bulk := filepath.Join(t.TempDir(), "bulk.json")
	if err := os.WriteFile(bulk, []byte(`[{"instructedAmount": {"currency": "EUR", "amount": "1.00"}, "creditorAccount": {"iban": "DE89370400440532013000"}, "creditorName": "A"},
 {"instructedAmount": {"currency": "EUR", "amount": "2.50"}, "creditorAccount": {"iban": "DE89370400440532013000"}, "creditorName": "B"}]`), 0o600); err != nil {
		t.Fatal(err)
	}
	if r = s.run(nil, "payment", "initiate", "--service", "bulk-payments", "--debtor", "FI0412345600012343", "--payments-file", bulk); r.code != 0 ||
		!strings.Contains(r.stdout, ": RCVD (bulk-payments/sepa-credit-transfers)") {
		t.Errorf("bulk payment: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}

	// Bad input: one line, exit 2, nothing sent; an id the bank does not
	// know: its answer, exit 3.
	oneErrorLine(t, "unknown product", s.run(nil, append(pay, "--amount", "1", "--product", "sepa")...), 2, `unknown payment product "sepa"`)
	oneErrorLine(t, "bad creditor IBAN", s.run(nil, "payment", "initiate", "--debtor", "FI0412345600012343", "--creditor", "DE89370400440532013001", "--creditor-name", "X", "--amount", "1"), 2, "mod 97")
	oneErrorLine(t, "bad amount", s.run(nil, append(pay, "--amount", "12,34")...), 2, "12,34")
	oneErrorLine(t, "unknown payment id", s.run(nil, "payment", "status", "pmt-nope"), 3, "RESOURCE_UNKNOWN")
}
