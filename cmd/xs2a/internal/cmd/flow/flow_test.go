package flow_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/xs2a-dev/xs2a/cmd/xs2a/internal/cmdtest"
)

func TestFlowFlags(t *testing.T) {
	e := cmdtest.New(t)
	e.Expect(2, "--timeout must be positive", "flow", "--timeout", "0s")
	e.Expect(2, "unknown flag", "flow", "--nope")
	e.Expect(2, "", "flow", "extra")
}

type record struct {
	OK       bool   `json:"ok"`
	Sandbox  bool   `json:"sandbox"`
	FellBack bool   `json:"fell_back_to_sandbox"`
	Consent  string `json:"consent_id"`
	Steps    []struct {
		Name string `json:"name"`
		OK   bool   `json:"ok"`
	} `json:"steps"`
	Cards    []json.RawMessage `json:"cards"`
	Accounts []json.RawMessage `json:"accounts"`
}

// With no profile the journey runs against the embedded sandbox.
func TestFlowFallsBackToTheEmbeddedSandbox(t *testing.T) {
	e := cmdtest.New(t)
	r := e.Must("flow", "-o", "json", "--timeout", "20s")
	var rec record
	if err := json.Unmarshal([]byte(r.Stdout), &rec); err != nil {
		t.Fatalf("%v\n%s", err, r.Stdout)
	}
	if !rec.OK || !rec.Sandbox || !rec.FellBack || len(rec.Cards) == 0 {
		t.Errorf("flow -o json: %+v", rec)
	}
}

func TestFlowAgainstTheBank(t *testing.T) {
	e := cmdtest.New(t)
	b := e.Bank()
	r := e.Must("flow", "--timeout", "20s", "--psu-ip", "192.0.2.7")
	if !strings.Contains(r.Stdout, "card-8693") {
		t.Errorf("flow:\nstdout %s\nstderr %s", r.Stdout, r.Stderr)
	}
	if len(e.Browser.URLs()) != 1 {
		t.Errorf("browser opened %v", e.Browser.URLs())
	}
	r = e.Must("flow", "-o", "json", "--days", "7")
	var rec record
	if err := json.Unmarshal([]byte(r.Stdout), &rec); err != nil {
		t.Fatalf("%v\n%s", err, r.Stdout)
	}
	if !rec.OK || rec.Sandbox || len(rec.Steps) == 0 {
		t.Errorf("flow -o json: %+v", rec)
	}
	// The journey sends PSU-IP-Address (the connection's local address by
	// default), so its reads spend none of the consent's frequencyPerDay.
	if n := b.CallsToday(rec.Consent); rec.Consent == "" || n != 0 {
		t.Errorf("CallsToday(%q) = %d after the journey, want 0", rec.Consent, n)
	}
}

func TestFlowPaymentAccounts(t *testing.T) {
	e := cmdtest.New(t)
	e.Bank("--auto-approve-as", "5000001")
	r := e.Must("flow", "-o", "json")
	var rec record
	if err := json.Unmarshal([]byte(r.Stdout), &rec); err != nil {
		t.Fatalf("%v\n%s", err, r.Stdout)
	}
	if !rec.OK || len(rec.Accounts) == 0 {
		t.Errorf("flow -o json: %+v", rec)
	}
	e.Must("flow")
}
