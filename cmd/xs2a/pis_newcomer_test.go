package main_test

// What a newcomer met following README's "Payments (PIS)" with the built
// binary against `sandbox serve --auto-approve` (issue 19): each test
// fails on the behaviour found and passes on the fix.

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// newcomerPayment is README's single payment from customer 5000001's
// account, which `--auto-approve` approves as the debtor's holder.
func newcomerPayment(extra ...string) []string {
	return append([]string{"payment", "initiate", "--debtor", "FI0412345600012343", "--creditor", "DE89370400440532013000",
		"--creditor-name", "John Miles"}, extra...)
}

// initiated runs a payment initiation that must succeed, returning the
// payment's id.
func initiated(t *testing.T, s *served, args ...string) string {
	t.Helper()
	r := s.run(nil, append(args, "-o", "json")...)
	var out struct {
		PaymentID string `json:"payment_id"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &out); r.code != 0 || err != nil || out.PaymentID == "" {
		t.Fatalf("%v: exit %d %v\n%s%s", args, r.code, err, r.stdout, r.stderr)
	}
	return out.PaymentID
}

// TestStandingOrderWaitIsOver: an authorised standing order stays ACTC
// while it runs; `payment status --wait` stops there (it waited until
// its --timeout before), says it is accepted and not final, and
// -o json has final false and waiting_over true; --exit-status is 0.
func TestStandingOrderWaitIsOver(t *testing.T) {
	s := serveBinary(t)
	browser := []string{"BROWSER=" + flowBrowser(t, s)}
	start := time.Now().AddDate(0, 0, 7).Format(time.DateOnly)
	id := initiated(t, s, newcomerPayment("--amount", "50.00", "--service", "periodic-payments", "--start-date", start, "--frequency", "Monthly")...)
	if r := s.run(browser, "authorize", "--payment", "--exchange", "--timeout", "30s"); r.code != 0 {
		t.Fatalf("authorize --payment: exit %d\n%s", r.code, r.stderr)
	}
	r := s.run(nil, "payment", "status", "--wait", "--interval", "100ms", "--timeout", "5s")
	// The bank's psuMessage (the sandbox's: the instalments booked and the
	// next) follows on its own line.
	if want := "payment " + id + ": ACTC (standing order accepted, instalments follow its schedule; not final)\n"; r.code != 0 || !strings.HasPrefix(r.stdout, want) {
		t.Errorf("status --wait of a standing order: exit %d\nstdout %q, want %q\nstderr %s", r.code, r.stdout, want, r.stderr)
	}
	r = s.run(nil, "payment", "status", "--wait", "--timeout", "5s", "--exit-status", "-o", "json")
	var st struct {
		Status      string `json:"transaction_status"`
		Final       *bool  `json:"final"`
		WaitingOver *bool  `json:"waiting_over"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &st); r.code != 0 || err != nil || st.Status != "ACTC" || st.Final == nil || *st.Final || st.WaitingOver == nil || !*st.WaitingOver {
		t.Errorf("status --wait --exit-status -o json: exit %d %v\n%s%s", r.code, err, r.stdout, r.stderr)
	}
}

// TestPaymentWaitNamesTheMissingStep: a payment nobody authorised stays
// RCVD; --wait's timeout names `authorize --payment ID` with the run's
// --config and -p, not more waiting.
func TestPaymentWaitNamesTheMissingStep(t *testing.T) {
	s := serveBinary(t)
	id := initiated(t, s, newcomerPayment("--amount", "1.00")...)
	args := []string{"payment", "status", "--wait", "--interval", "100ms", "--timeout", "300ms"}
	oneErrorLine(t, "status --wait of a RCVD payment", s.run(nil, args...), 1, "is still RCVD after", "the PSU has not authorised it yet",
		"run `xs2a authorize --payment "+id+" --exchange`, then `xs2a payment status "+id+" --wait`, or a longer --timeout")
	// The step is named with this run's --config and -p, once.
	if raw := s.rawStderr(args...); !strings.Contains(raw, "run `xs2a --config "+s.cfg+" -p sb authorize --payment "+id+" --exchange`") {
		t.Errorf("the step lacks the run's --config and -p:\n%s", raw)
	}
}

// rawStderr is the stderr of s.run as the binary wrote it, the
// invocation left in (xs2a takes it out for the comparisons).
func (s *served) rawStderr(args ...string) string {
	s.t.Helper()
	cmd := exec.Command(bin, append([]string{"--config", s.cfg, "-p", "sb"}, args...)...)
	cmd.Dir = s.dir
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "NO_COLOR=1"}, s.env...)
	var errb bytes.Buffer
	cmd.Stderr = &errb
	_ = cmd.Run()
	return errb.String()
}

// TestPaymentStatusExitStatus: --exit-status is 0 for a settled payment,
// 9 for a cancelled or rejected one (the status printed, no error line),
// and a failure keeps its code.
func TestPaymentStatusExitStatus(t *testing.T) {
	s := serveBinary(t)
	browser := []string{"BROWSER=" + flowBrowser(t, s)}

	id := initiated(t, s, newcomerPayment("--amount", "1.00")...)
	if r := s.run(nil, "payment", "cancel"); r.code != 0 {
		t.Fatalf("cancel: exit %d %s", r.code, r.stderr)
	}
	r := s.run(nil, "payment", "status", "--wait", "--exit-status")
	if r.code != 9 || !strings.HasPrefix(r.stdout, "payment "+id+": CANC (final)\n") || r.stderr != "" {
		t.Errorf("--exit-status of a cancelled payment: exit %d, want 9\nstdout %q\nstderr %q", r.code, r.stdout, r.stderr)
	}

	// More than the debtor has: the bank rejects it once authorised.
	id = initiated(t, s, newcomerPayment("--amount", "99999999.00")...)
	if r := s.run(browser, "authorize", "--payment", "--exchange", "--timeout", "30s"); r.code != 0 {
		t.Fatalf("authorize --payment: exit %d\n%s", r.code, r.stderr)
	}
	r = s.run(nil, "payment", "status", "--wait", "--exit-status", "--timeout", "10s")
	if r.code != 9 || !strings.HasPrefix(r.stdout, "payment "+id+": RJCT (final)\n") || r.stderr != "" {
		t.Errorf("--exit-status of a rejected payment: exit %d, want 9\nstdout %q\nstderr %q", r.code, r.stdout, r.stderr)
	}

	id = initiated(t, s, newcomerPayment("--amount", "1.00")...)
	if r := s.run(browser, "authorize", "--payment", "--exchange", "--timeout", "30s"); r.code != 0 {
		t.Fatalf("authorize --payment: exit %d\n%s", r.code, r.stderr)
	}
	if r = s.run(nil, "payment", "status", "--wait", "--exit-status", "--timeout", "10s"); r.code != 0 || r.stdout != "payment "+id+": ACSC (final)\n" {
		t.Errorf("--exit-status of a settled payment: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	// Not yet decided, without --wait: neither 0 nor 9; the status
	// printed, then the error line naming the missing step.
	id = initiated(t, s, newcomerPayment("--amount", "1.00")...)
	r = s.run(nil, "payment", "status", "--exit-status")
	if r.code != 1 || r.stdout != "payment "+id+": RCVD\n" || !strings.Contains(r.stderr, "xs2a: error: payment "+id+" is RCVD, neither accepted nor refused yet: the PSU has not authorised it yet: run `") ||
		strings.Contains(r.stderr, "--timeout") {
		t.Errorf("--exit-status of a RCVD payment: exit %d, want 1\nstdout %q\nstderr %q", r.code, r.stdout, r.stderr)
	}
	// A failure keeps its code.
	oneErrorLine(t, "--exit-status of an unknown payment", s.run(nil, "payment", "status", "pmt-of-nobody", "--exit-status"), 3, "RESOURCE_UNKNOWN")
}

// TestAuthorizeAgainNamesKindAndID: the timeout's "run again" of
// `authorize --payment` and `--piis` names the same kind and id (it said
// `xs2a authorize`, which authorises the AIS consent), with the run's
// --config and -p; against the sandbox the idle notice says
// --auto-approve needs the URL opened.
func TestAuthorizeAgainNamesKindAndID(t *testing.T) {
	s := serveBinary(t)
	id := initiated(t, s, newcomerPayment("--amount", "1.00")...)
	nobody := []string{"BROWSER=true"} // opens nothing: nobody approves
	wait := []string{"--timeout", "1500ms", "--idle-notice", "500ms", "--paste=false"}

	r := s.run(nobody, append([]string{"authorize", "--payment"}, wait...)...)
	oneErrorLine(t, "authorize --payment timing out", r, 4, "run `xs2a authorize --payment "+id+"` again")
	if !strings.Contains(r.stderr, "the authorization endpoint is on this machine (xs2a sandbox serve?): --auto-approve approves when the URL is opened") ||
		!strings.Contains(r.stderr, `BROWSER="curl -sSL --cacert `+s.dir+"/certs/ca.pem -o /dev/null") {
		t.Errorf("the idle notice does not say --auto-approve needs the URL opened:\n%s", r.stderr)
	}
	if raw := s.rawStderr(append([]string{"authorize", "--payment", id, "--exchange"}, wait...)...); !strings.Contains(raw, "run `xs2a --config "+s.cfg+" -p sb authorize --payment "+id+" --exchange` again") {
		t.Errorf("authorize --payment ID --exchange: the again line lacks the kind, id or invocation:\n%s", raw)
	}
	r = s.run(nobody, append([]string{"authorize", "--piis", "piis-42", "--exchange"}, wait...)...)
	oneErrorLine(t, "authorize --piis timing out", r, 4, "run `xs2a authorize --piis piis-42 --exchange` again")

	// The code kept is for `token exchange` on this run's profile.
	r = s.run([]string{"BROWSER=" + flowBrowser(t, s)}, "authorize", "--payment", id, "--timeout", "30s")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "authorized payment "+id+"; code ") || !strings.HasSuffix(r.stdout, " kept for `xs2a --config "+s.cfg+" -p sb token exchange`\n") {
		t.Errorf("authorize --payment without --exchange: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// TestPaymentInitiateNewcomerInput: a bulk refuses the single payment's
// flags it used to drop; eur is sent EUR (as funds-confirmation takes
// it); 1.234 EUR is refused before sending (the bank refused it, exit
// 3); a pain.001 product is named XML, not unknown; "goes with"; the
// help's first example works against the sandbox; `payment get` of a
// standing order shows its day of execution and execution rule.
func TestPaymentInitiateNewcomerInput(t *testing.T) {
	s := serveBinary(t)
	for _, flag := range []string{"--creditor", "--creditor-name", "--remittance", "--amount", "--currency", "--end-to-end-id"} {
		v := map[string]string{"--creditor": "DE89370400440532013000", "--amount": "1.00", "--currency": "EUR"}[flag]
		if v == "" {
			v = "x"
		}
		r := s.run(nil, "payment", "initiate", "--service", "bulk-payments", "--debtor", "FI0412345600012343", "--payments-file", "none.json", flag, v)
		oneErrorLine(t, "bulk with "+flag, r, 2, flag+" is a single payment's", "come from --payments-file")
	}

	id := initiated(t, s, newcomerPayment("--amount", "1.50", "--currency", "eur")...)
	if r := s.run(nil, "payment", "get", id, "-o", "json"); r.code != 0 || !strings.Contains(r.stdout, `"currency": "EUR"`) {
		t.Errorf("--currency eur: not sent EUR: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	oneErrorLine(t, "1.234 EUR", s.run(nil, newcomerPayment("--amount", "1.234")...), 2, `--amount "1.234": EUR has 2 decimals`)
	oneErrorLine(t, "1.5 JPY", s.run(nil, newcomerPayment("--amount", "1.5", "--currency", "JPY")...), 2, "JPY has no minor unit")
	oneErrorLine(t, "pain.001", s.run(nil, newcomerPayment("--amount", "1", "--product", "pain.001-sepa-credit-transfers")...), 2,
		"XML (pain.001) products are not supported by xs2a; use a JSON product")
	oneErrorLine(t, "--frequency alone", s.run(nil, newcomerPayment("--amount", "1", "--frequency", "Monthly")...), 2,
		"--frequency goes with --service periodic-payments")

	// The help's first example, as a newcomer pastes it.
	help := s.run(nil, "payment", "initiate", "--help").stdout
	_, ex, _ := strings.Cut(help, "Examples:\n")
	first := strings.SplitN(strings.ReplaceAll(ex, "\\\n", " "), "\n", 2)[0]
	if !strings.HasPrefix(strings.TrimSpace(first), "xs2a payment initiate ") {
		t.Fatalf("the help's first example: %q", first)
	}
	line := strings.Replace(strings.TrimSpace(first), "xs2a ", "'"+bin+"' --config '"+s.cfg+"' -p sb ", 1)
	cmd := exec.Command("sh", "-c", line)
	cmd.Dir, cmd.Env = s.dir, append([]string{"PATH=" + os.Getenv("PATH")}, s.env...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("the help's first example against the sandbox: %v\n%s\n%s", err, first, out)
	}

	start := time.Now().AddDate(0, 0, 7).Format(time.DateOnly)
	initiated(t, s, newcomerPayment("--amount", "5", "--service", "periodic-payments", "--start-date", start, "--frequency", "Monthly",
		"--day-of-execution", "5", "--execution-rule", "preceding")...)
	r := s.run(nil, "payment", "get")
	if r.code != 0 || !strings.Contains(r.stdout, "executed on:  day 5 of the period\n") || !strings.Contains(r.stdout, "on a holiday: preceding business day") {
		t.Errorf("payment get of a standing order:\n%s%s", r.stdout, r.stderr)
	}
}

// TestRoleInvalidHintWorks: certificates without PSP_PI and PSP_IC are
// refused ROLE_INVALID on payments and funds confirmation; the hint names
// the check of that service (pis, piis: it said pis for both) and a fix
// that works against the sandbox (a new set made by `certs generate`
// alone has a CA the running sandbox does not trust): following it, the
// sandbox serving the new set, both calls go through.
func TestRoleInvalidHintWorks(t *testing.T) {
	dir := t.TempDir()
	if r := xs2a(t, dir, "", nil, "certs", "generate", "--dir", filepath.Join(dir, "ai"), "--roles", "PSP_AI"); r.code != 0 {
		t.Fatalf("certs generate: exit %d %s", r.code, r.stderr)
	}
	s := serveBinary(t, "--certs", filepath.Join(dir, "ai"))
	oneErrorLine(t, "payment without PSP_PI", s.run(nil, newcomerPayment("--amount", "1")...), 5, "ROLE_INVALID",
		"hint: the certificates' PSD2 roles lack PSP_PI, which payment initiation needs (`xs2a certs check --for pis` shows them)", "`xs2a sandbox serve --certs DIR`")
	oneErrorLine(t, "funds confirmation without PSP_IC", s.run(nil, "funds-confirmation", "--account", "FI0412345600012343", "--amount", "1"), 5, "ROLE_INVALID",
		"hint: the certificates' PSD2 roles lack PSP_IC, which funds confirmation needs (`xs2a certs check --for piis` shows them)", "`xs2a sandbox serve --certs DIR`")
	if r := xs2a(t, dir, "", nil, "certs", "check", "--qwac", filepath.Join(dir, "ai", "qwac.pem"), "--qseal", filepath.Join(dir, "ai", "qseal.pem"),
		"--ca", filepath.Join(dir, "ai", "ca.pem"), "--for", "piis"); r.code != 5 || !strings.Contains(r.stdout+r.stderr, "PSP_IC") {
		t.Errorf("certs check --for piis of a PSP_AI set: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}

	// The hint followed: a set with the three roles, served by the sandbox.
	if r := xs2a(t, dir, "", nil, "certs", "generate", "--dir", filepath.Join(dir, "all"), "--roles", "PSP_AI,PSP_PI,PSP_IC"); r.code != 0 {
		t.Fatalf("certs generate: exit %d %s", r.code, r.stderr)
	}
	s = serveBinary(t, "--certs", filepath.Join(dir, "all"))
	initiated(t, s, newcomerPayment("--amount", "1")...)
	if r := s.run(nil, "funds-confirmation", "--account", "FI0412345600012343", "--amount", "1"); r.code != 0 {
		t.Errorf("funds confirmation with the new set served: exit %d\n%s", r.code, r.stderr)
	}
}
