package main_test

// Payments executed when due, through the built binary against `sandbox
// serve` (its real clock: the moves of time are pkg/sandbox's tests): a
// bulk dated tomorrow stays ACTC after authorisation and can still be
// cancelled (the PSU authorising the cancellation); a standing order starting today has its first instalment
// booked at once, or named for Monday on a weekend.

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestScheduledPaymentsAgainstSandboxServe(t *testing.T) {
	s := serveBinary(t, "--auto-approve-as", "5000001")
	browser := []string{"BROWSER=" + flowBrowser(t, s)}
	helsinki, err := time.LoadLocation("Europe/Helsinki")
	if err != nil {
		t.Skip("no Europe/Helsinki zone:", err)
	}
	today := time.Now().In(helsinki)
	status := func(what string) (st struct {
		TransactionStatus string `json:"transactionStatus"`
		PSUMessage        string `json:"psuMessage"`
	}) {
		t.Helper()
		r := s.run(nil, "payment", "status", "-o", "json")
		var out struct {
			BankResponse json.RawMessage `json:"bank_response"`
		}
		if err := json.Unmarshal([]byte(r.stdout), &out); r.code != 0 || err != nil || json.Unmarshal(out.BankResponse, &st) != nil {
			t.Fatalf("%s: payment status: exit %d %v\n%s%s", what, r.code, err, r.stdout, r.stderr)
		}
		return st
	}

	// A bulk dated tomorrow: authorised, ACTC, executed tomorrow.
	tomorrow := today.AddDate(0, 0, 1).Format(time.DateOnly)
	body := filepath.Join(t.TempDir(), "bulk.json")
	if err := os.WriteFile(body, []byte(`{"debtorAccount": {"iban": "FI0412345600012343"}, "requestedExecutionDate": "`+tomorrow+`",
 "payments": [{"instructedAmount": {"currency": "EUR", "amount": "4.00"}, "creditorAccount": {"iban": "DE89370400440532013000"}, "creditorName": "A"}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if r := s.run(nil, "payment", "initiate", "--service", "bulk-payments", "--body-file", body); r.code != 0 || !strings.Contains(r.stdout, ": RCVD (bulk-payments/sepa-credit-transfers)") {
		t.Fatalf("future-dated bulk: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := s.run(browser, "authorize", "--payment", "--exchange", "--timeout", "30s"); r.code != 0 {
		t.Fatalf("authorize --payment --exchange: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if st := status("future-dated bulk"); st.TransactionStatus != "ACTC" || st.PSUMessage != "Accepted: to be executed on "+tomorrow {
		t.Errorf("future-dated bulk after authorisation: %+v", st)
	}
	// Waiting is over once the bulk is accepted: it waits for its date, so
	// --wait stops there (it ran to its timeout before) and --exit-status
	// says accepted.
	if r := s.run(nil, "payment", "status", "--wait", "--timeout", "10s", "--exit-status"); r.code != 0 || !strings.Contains(r.stdout, ": ACTC (bulk accepted, executed on its requested date") {
		t.Errorf("status --wait of a future-dated bulk: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	// Not yet executed, so still cancellable, with the PSU's authorisation
	// of the cancellation.
	if r := s.run(browser, "payment", "cancel", "--authorize", "--timeout", "30s"); r.code != 0 {
		t.Fatalf("payment cancel: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if st := status("cancelled bulk"); st.TransactionStatus != "CANC" {
		t.Errorf("after cancel: %+v", st)
	}

	// A standing order from today.
	if r := s.run(nil, "payment", "initiate", "--service", "periodic-payments", "--debtor", "FI0412345600012343", "--creditor", "DE89370400440532013000",
		"--creditor-name", "John Miles", "--amount", "9.00", "--start-date", today.Format(time.DateOnly), "--frequency", "Weekly"); r.code != 0 {
		t.Fatalf("standing order: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := s.run(browser, "authorize", "--payment", "--exchange", "--timeout", "30s"); r.code != 0 {
		t.Fatalf("authorize the standing order: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	st := status("standing order")
	want := "1 instalment(s) booked, the next on " + today.AddDate(0, 0, 7).Format(time.DateOnly)
	if wd := today.Weekday(); wd == time.Saturday || wd == time.Sunday {
		monday := today.AddDate(0, 0, map[time.Weekday]int{time.Saturday: 2, time.Sunday: 1}[wd])
		want = "0 instalment(s) booked, the next on " + monday.Format(time.DateOnly)
	}
	if st.TransactionStatus != "ACTC" || !strings.Contains(st.PSUMessage, want) {
		t.Errorf("standing order: %+v; want ACTC and %q", st, want)
	}
}
