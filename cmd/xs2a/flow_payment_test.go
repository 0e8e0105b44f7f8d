package main_test

// `xs2a flow --payment` and `flow --funds` through the binary (issue 19):
// the embedded sandbox's journeys, the payment journey against `sandbox
// serve` with the debit read back through AIS, the headless PSU, and the
// failures (bad input before sending, the bank's refusal, a rejection).

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"math/big"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// payFlowRecord is what `xs2a flow --payment|--funds -o json` prints.
type payFlowRecord struct {
	OK      bool   `json:"ok"`
	Sandbox bool   `json:"sandbox"`
	Journey string `json:"journey"`
	Steps   []struct {
		Name      string `json:"name"`
		Sent      string `json:"sent"`
		Got       string `json:"got"`
		OK        bool   `json:"ok"`
		Error     string `json:"error"`
		Reproduce string `json:"reproduce"`
	} `json:"steps"`
	Payment *struct {
		ID          string     `json:"payment_id"`
		Service     string     `json:"payment_service"`
		Product     string     `json:"payment_product"`
		Status      string     `json:"transaction_status"`
		Final       *bool      `json:"final"`
		Amount      flowAmount `json:"amount"`
		Debtor      string     `json:"debtor_iban"`
		Creditor    string     `json:"creditor_iban"`
		StatusReads int        `json:"status_reads"`
		Note        string     `json:"note"`
	} `json:"payment"`
	Funds *struct {
		Available *bool  `json:"funds_available"`
		ConsentID string `json:"consent_id"`
		Account   struct {
			IBAN string `json:"iban"`
		} `json:"account"`
		InstructedAmount flowAmount `json:"instructed_amount"`
	} `json:"funds"`
	Accounts []struct {
		IBAN      string     `json:"iban"`
		Available flowAmount `json:"available"`
		Booked    int        `json:"booked_transactions"`
	} `json:"accounts"`
}

func decodePayFlow(t *testing.T, r result) payFlowRecord {
	t.Helper()
	var rec payFlowRecord
	dec := json.NewDecoder(strings.NewReader(r.stdout))
	if err := dec.Decode(&rec); err != nil {
		t.Fatalf("stdout is not the flow record: %v\nstdout %s\nstderr %s", err, r.stdout, r.stderr)
	}
	if rest := strings.TrimSpace(r.stdout[dec.InputOffset():]); rest != "" {
		t.Fatalf("stdout has more than the JSON record: %q", rest)
	}
	return rec
}

func stepNames(rec payFlowRecord) string {
	var names []string
	for _, s := range rec.Steps {
		names = append(names, s.Name)
	}
	return strings.Join(names, ",")
}

const payFlowSteps = "token,payment initiate,authorize,token exchange,payment status"

func TestFlowPaymentAgainstTheEmbeddedSandbox(t *testing.T) {
	t.Run("a SEPA credit transfer, final", func(t *testing.T) {
		r := xs2a(t, t.TempDir(), "", nil, "flow", "--sandbox", "--payment", "-o", "json")
		rec := decodePayFlow(t, r)
		p := rec.Payment
		if r.code != 0 || !rec.OK || !rec.Sandbox || rec.Journey != "payment" || p == nil {
			t.Fatalf("exit %d\nstdout %s\nstderr %s", r.code, r.stdout, r.stderr)
		}
		if got := stepNames(rec); got != payFlowSteps {
			t.Errorf("steps %s; want %s", got, payFlowSteps)
		}
		for _, s := range rec.Steps {
			if !s.OK || s.Sent == "" || s.Got == "" || !strings.HasPrefix(s.Reproduce, "xs2a sandbox serve --write-profile local, then: xs2a -p local ") {
				t.Errorf("step %+v", s)
			}
		}
		// The sandbox's defaults: 1.00 EUR from 5000001's current account.
		if p.Status != "ACSC" || p.Final == nil || !*p.Final || p.Amount != "1.00 EUR" || p.Debtor != "FI0412345600012343" ||
			p.Service != "payments" || p.Product != "sepa-credit-transfers" || !strings.HasPrefix(p.ID, "pmt-") || p.StatusReads < 1 {
			t.Errorf("payment %+v", *p)
		}
		if !strings.Contains(rec.Steps[2].Sent, "scope PIS:"+p.ID) {
			t.Errorf("authorize sent %q; want the scope PIS:%s", rec.Steps[2].Sent, p.ID)
		}
	})

	t.Run("instant, text", func(t *testing.T) {
		r := xs2a(t, t.TempDir(), "", nil, "flow", "--sandbox", "--payment", "--product", "instant-sepa-credit-transfers", "--amount", "5", "--remittance", "Invoice 42")
		if r.code != 0 {
			t.Fatalf("exit %d\nstdout %s\nstderr %s", r.code, r.stdout, r.stderr)
		}
		for i, name := range strings.Split(payFlowSteps, ",") {
			re := regexp.MustCompile(`(?m)^✓ ` + string(rune('1'+i)) + ` ` + regexp.QuoteMeta(name) + ` +.* → .*\(\d+ ms\)$`)
			if !re.MatchString(r.stdout) {
				t.Errorf("no success line for step %d %q:\n%s", i+1, name, r.stdout)
			}
		}
		if !regexp.MustCompile(`(?m)^The journey worked: payment pmt-\S+ ACCC \(final\) \(payments/instant-sepa-credit-transfers\)$`).MatchString(r.stdout) ||
			!strings.Contains(r.stdout, "5 EUR, FI0412345600012343 → DE89370400440532013000 John Miles") {
			t.Errorf("summary:\n%s", r.stdout)
		}
	})

	t.Run("a standing order: accepted, not final, said so", func(t *testing.T) {
		start := time.Now().AddDate(0, 0, 7).Format(time.DateOnly)
		r := xs2a(t, t.TempDir(), "", nil, "flow", "--sandbox", "--payment", "--service", "periodic-payments", "--start-date", start,
			"--frequency", "Monthly", "--day-of-execution", "5", "--amount", "50.00", "-o", "json")
		rec := decodePayFlow(t, r)
		p := rec.Payment
		if r.code != 0 || !rec.OK || p == nil || p.Status != "ACTC" || p.Final == nil || *p.Final || p.Service != "periodic-payments" ||
			p.Amount != "50.00 EUR" || !strings.Contains(p.Note, "a standing order is not final") {
			t.Fatalf("exit %d\nstdout %s\nstderr %s", r.code, r.stdout, r.stderr)
		}
		if got := stepNames(rec); got != payFlowSteps {
			t.Errorf("steps %s", got)
		}
		// It stopped at the acceptance, not at --timeout.
		if p.StatusReads != 1 {
			t.Errorf("%d status reads; want 1", p.StatusReads)
		}
		// A new embedded sandbox knows no payment of this one: the
		// reproduce line initiates and authorises one first, and reads the
		// status of the payment its state remembers.
		if want := "payment initiate --service periodic-payments "; !strings.Contains(rec.Steps[4].Reproduce, want) ||
			!strings.HasSuffix(rec.Steps[4].Reproduce, ", then: xs2a -p local authorize --payment --exchange, then: xs2a -p local payment status --wait") {
			t.Errorf("status reproduce %q; want ...%q", rec.Steps[4].Reproduce, want)
		}
		r = xs2a(t, t.TempDir(), "", nil, "flow", "--sandbox", "--payment", "--service", "periodic-payments")
		if r.code != 0 || !regexp.MustCompile(`(?m)^The journey worked: standing order pmt-\S+ ACTC \(periodic-payments/sepa-credit-transfers\)$`).MatchString(r.stdout) ||
			!strings.Contains(r.stdout, "a standing order is not final") || !strings.Contains(r.stdout, "1.00 EUR Monthly from "+time.Now().AddDate(0, 0, 1).Format(time.DateOnly)) {
			t.Errorf("text: exit %d\nstdout %s\nstderr %s", r.code, r.stdout, r.stderr)
		}
	})

	t.Run("--record, then sign verify --bundle", func(t *testing.T) {
		dir := t.TempDir()
		rec := filepath.Join(dir, "rec")
		if r := xs2a(t, dir, "", nil, "flow", "--sandbox", "--payment", "--record", rec); r.code != 0 {
			t.Fatalf("exit %d\n%s", r.code, r.stderr)
		}
		r := xs2a(t, dir, "", nil, "sign", "verify", "--bundle", rec)
		if r.code != 0 || !strings.Contains(r.stdout, "POST /v1/payments/sepa-credit-transfers") || !strings.Contains(r.stdout, "2 valid, 0 invalid") {
			t.Errorf("sign verify --bundle: exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
	})

	t.Run("a bulk: stops once accepted, here settled at once", func(t *testing.T) {
		bulk := filepath.Join(t.TempDir(), "bulk.json")
		if err := os.WriteFile(bulk, []byte(`[{"instructedAmount": {"currency": "EUR", "amount": "1.00"}, "creditorAccount": {"iban": "DE89370400440532013000"}, "creditorName": "A"},
 {"instructedAmount": {"currency": "EUR", "amount": "2.50"}, "creditorAccount": {"iban": "DE89370400440532013000"}, "creditorName": "B"}]`), 0o600); err != nil {
			t.Fatal(err)
		}
		r := xs2a(t, t.TempDir(), "", nil, "flow", "--sandbox", "--payment", "--service", "bulk-payments", "--payments-file", bulk, "-o", "json")
		rec := decodePayFlow(t, r)
		if p := rec.Payment; r.code != 0 || !rec.OK || p == nil || p.Service != "bulk-payments" || p.Status != "ACSC" || p.Debtor != "FI0412345600012343" ||
			!strings.HasSuffix(rec.Steps[1].Reproduce, "payment initiate --service bulk-payments --debtor FI0412345600012343 --payments-file "+bulk) {
			t.Fatalf("exit %d\nstdout %s\nstderr %s", r.code, r.stdout, r.stderr)
		}
		if !strings.Contains(rec.Steps[1].Sent, "(2 payments, FI0412345600012343)") {
			t.Errorf("initiate sent %q", rec.Steps[1].Sent)
		}
	})

	t.Run("rejected for want of funds: the bank's reason, exit 3", func(t *testing.T) {
		r := xs2a(t, t.TempDir(), "", nil, "flow", "--sandbox", "--payment", "--amount", "999999.00")
		if r.code != 3 {
			t.Fatalf("exit %d; want 3\nstdout %s\nstderr %s", r.code, r.stdout, r.stderr)
		}
		if !regexp.MustCompile(`(?m)^✗ 5 payment status +GET .* → failed\n    diagnosis: the bank ended payment pmt-\S+ with RJCT: Insufficient funds.*\n    reproduce: xs2a sandbox serve --write-profile local, then: xs2a -p local payment initiate .* --amount 999999.00 --currency EUR, then: xs2a -p local authorize --payment --exchange, then: xs2a -p local payment status --wait$`).MatchString(r.stdout) {
			t.Errorf("stdout:\n%s", r.stdout)
		}
		if strings.Contains(r.stdout, "The journey worked") {
			t.Errorf("a rejected payment is no success:\n%s", r.stdout)
		}
	})
}

func TestFlowFundsAgainstTheEmbeddedSandbox(t *testing.T) {
	for _, tc := range []struct {
		amount string
		want   bool
	}{{"", true}, {"1000000.00", false}} {
		args := []string{"flow", "--sandbox", "--funds", "-o", "json"}
		if tc.amount != "" {
			args = append(args, "--amount", tc.amount)
		}
		r := xs2a(t, t.TempDir(), "", nil, args...)
		rec := decodePayFlow(t, r)
		f := rec.Funds
		// "Not available" is the bank's answer, not a failed journey.
		if r.code != 0 || !rec.OK || rec.Journey != "funds" || f == nil || f.Available == nil || *f.Available != tc.want {
			t.Fatalf("%v: exit %d\nstdout %s\nstderr %s", args, r.code, r.stdout, r.stderr)
		}
		// The embedded sandbox's PSU grants a PIIS consent of the account,
		// authorised with PIIS:<consentId>, whose token the call carries.
		if got := stepNames(rec); got != "token,PIIS consent,authorize,token exchange,funds confirmation" {
			t.Errorf("steps %s", got)
		}
		want := tc.amount
		if want == "" {
			want = "1.00"
		}
		last := rec.Steps[len(rec.Steps)-1]
		if f.Account.IBAN != "FI0412345600012343" || string(f.InstructedAmount) != want+" EUR" || !strings.HasPrefix(f.ConsentID, "piis-") ||
			!strings.HasSuffix(last.Reproduce, "funds-confirmation --account FI0412345600012343 --amount "+want+" --currency EUR") {
			t.Errorf("funds %+v, reproduce %q", *f, last.Reproduce)
		}
		if g := rec.Steps[1]; !strings.Contains(g.Got, f.ConsentID) || g.Reproduce != "xs2a sandbox serve --piis-consent FI0412345600012343 --write-profile local, then: xs2a -p local authorize --piis --exchange" {
			t.Errorf("the grant step %+v", g)
		}
		if a := rec.Steps[2]; !strings.Contains(a.Sent, "scope PIIS:"+f.ConsentID) {
			t.Errorf("the authorize step %+v", a)
		}
	}
	// --piis without an ID: the consent the embedded sandbox's PSU grants.
	if r := xs2a(t, t.TempDir(), "", nil, "flow", "--sandbox", "--funds", "--piis", "-o", "json"); r.code != 0 || !strings.HasPrefix(decodePayFlow(t, r).Funds.ConsentID, "piis-") {
		t.Errorf("flow --sandbox --funds --piis: exit %d\nstdout %s\nstderr %s", r.code, r.stdout, r.stderr)
	}
	r := xs2a(t, t.TempDir(), "", nil, "flow", "--sandbox", "--funds", "--amount", "1000000.00")
	if r.code != 0 || !strings.Contains(r.stdout, "The journey worked: funds NOT available: 1000000.00 EUR on FI0412345600012343") {
		t.Errorf("text: exit %d\nstdout %s\nstderr %s", r.code, r.stdout, r.stderr)
	}
}

// The payment journey against `sandbox serve` with a profile: the debit
// read back through the AIS journey (the balance down by the amount, one
// more booked entry), the PSU headless with --no-browser, and the failures.
func TestFlowPaymentAgainstSandboxServe(t *testing.T) {
	s := serveBinary(t, "--auto-approve-as", "5000001")
	browser := []string{"BROWSER=" + flowBrowser(t, s)}
	pay := []string{"flow", "--payment", "--debtor", "FI0412345600012343", "--creditor", "DE89370400440532013000", "--creditor-name", "John Miles", "--timeout", "30s", "--interval", "200ms"}
	current := func() (avail *big.Rat, booked int) {
		t.Helper()
		r := s.run(browser, "flow", "--timeout", "30s", "-o", "json")
		rec := decodePayFlow(t, r)
		for _, a := range rec.Accounts {
			if a.IBAN == "FI0412345600012343" {
				v, ok := new(big.Rat).SetString(strings.TrimSuffix(string(a.Available), " EUR"))
				if !ok {
					t.Fatalf("available %q", a.Available)
				}
				return v, a.Booked
			}
		}
		t.Fatalf("flow: exit %d, no account FI0412345600012343\n%s\n%s", r.code, r.stdout, r.stderr)
		return nil, 0
	}
	before, bookedBefore := current()

	r := s.run(browser, append(pay, "--amount", "12.34", "-o", "json")...)
	rec := decodePayFlow(t, r)
	if r.code != 0 || !rec.OK || rec.Sandbox || rec.Payment == nil || rec.Payment.Status != "ACSC" || rec.Payment.Amount != "12.34 EUR" {
		t.Fatalf("flow --payment: exit %d\nstdout %s\nstderr %s", r.code, r.stdout, r.stderr)
	}
	after, bookedAfter := current()
	if diff := new(big.Rat).Sub(before, after); diff.Cmp(big.NewRat(1234, 100)) != 0 || bookedAfter != bookedBefore+1 {
		t.Errorf("available %s → %s, booked %d → %d; want 12.34 less and one more entry", before.FloatString(2), after.FloatString(2), bookedBefore, bookedAfter)
	}
	// The payment is the profile's remembered one: `payment status`
	// without an id reads it.
	if r = s.run(nil, "payment", "status"); r.code != 0 || !strings.Contains(r.stdout, rec.Payment.ID+": ACSC (final)") {
		t.Errorf("payment status: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}

	t.Run("--no-browser: the PSU opens the printed URL", func(t *testing.T) {
		p := startProc(t, s.dir, s.env, append([]string{"--config", s.cfg, "-p", "sb"}, append(pay, "--amount", "1.00", "--no-browser", "--idle-notice", "0")...)...)
		u := p.waitLine(`^  (https://\S+/oauth/authorize\?\S+)$`)[1]
		if !strings.Contains(u, "scope=PIS%3Apmt-") {
			t.Errorf("the authorization URL does not ask for a payment's scope: %s", u)
		}
		resp, err := (&http.Client{Timeout: 10 * time.Second, Transport: psuTransport(t, s)}).Get(u)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if c := p.wait(30 * time.Second); c != 0 {
			t.Fatalf("exit %d\nstdout %s\nstderr %s", c, p.stdout.String(), p.stderr.String())
		}
		if !regexp.MustCompile(`(?m)^The journey worked: payment pmt-\S+ ACSC \(final\)`).MatchString(p.stdout.String()) {
			t.Errorf("stdout:\n%s", p.stdout.String())
		}
	})

	t.Run("bad input: one line, exit 2, nothing sent", func(t *testing.T) {
		heard := s.log.String()
		defer func() {
			if now := s.log.String(); now != heard {
				t.Errorf("the bank heard from refused input:\n%s", strings.TrimPrefix(now, heard))
			}
		}()
		oneErrorLine(t, "bad creditor IBAN", s.run(nil, "flow", "--payment", "--debtor", "FI0412345600012343", "--creditor", "DE89370400440532013001", "--creditor-name", "X", "--amount", "1"), 2, "mod 97")
		oneErrorLine(t, "no debtor against a profile", s.run(nil, "flow", "--payment"), 2, "--debtor is required")
		oneErrorLine(t, "two journeys", s.run(nil, "flow", "--payment", "--funds"), 2, "--payment and --funds exclude each other")
		oneErrorLine(t, "bad funds amount", s.run(nil, "flow", "--funds", "--account", "FI0412345600012343", "--amount", "-1"), 2, `--amount "-1" is not an amount`)
	})

	t.Run("the bank refuses: diagnosis and the reproduce line, exit 3", func(t *testing.T) {
		// A valid IBAN that is no account of this bank.
		r := s.run(browser, "flow", "--payment", "--debtor", "DE89370400440532013000", "--creditor", "FI0412345600012343", "--creditor-name", "X", "--amount", "1")
		if r.code != 3 {
			t.Fatalf("exit %d; want 3\nstdout %s\nstderr %s", r.code, r.stdout, r.stderr)
		}
		re := regexp.MustCompile(`(?m)^✗ 2 payment initiate +POST /v1/payments/sepa-credit-transfers .* → failed\n    diagnosis: the ASPSP answered 400 RESOURCE_UNKNOWN: .*\n    reproduce: xs2a --config \S+ -p sb payment initiate --debtor DE89370400440532013000 --creditor FI0412345600012343 --creditor-name X --amount 1 --currency EUR$`)
		if !re.MatchString(r.stdout) {
			t.Errorf("stdout:\n%s", r.stdout)
		}
		// The reproduce line, run, is the same refusal.
		line := regexp.MustCompile(`(?m)^    reproduce: xs2a (.*)$`).FindStringSubmatch(r.stdout)
		if line != nil {
			again := s.run(nil, strings.Fields(strings.TrimPrefix(line[1], "--config "+s.cfg+" -p sb "))...)
			oneErrorLine(t, "the reproduce command", again, 3, "RESOURCE_UNKNOWN")
		}
	})

	t.Run("funds against the profile", func(t *testing.T) {
		heard := s.log.String()
		r := s.run(nil, "flow", "--funds", "--account", "FI0412345600012343", "--amount", "5.00", "-o", "json")
		// The bank's log shows the call (and so would show a refused one's).
		if !strings.Contains(strings.TrimPrefix(s.log.String(), heard), "POST /v1/funds-confirmations 200") {
			t.Errorf("the bank's log lacks the call:\n%s", strings.TrimPrefix(s.log.String(), heard))
		}
		rec := decodePayFlow(t, r)
		if r.code != 0 || rec.Funds == nil || rec.Funds.Available == nil || !*rec.Funds.Available {
			t.Errorf("exit %d\nstdout %s\nstderr %s", r.code, r.stdout, r.stderr)
		}
	})
}

// psuTransport trusts the served sandbox's CA, as the PSU's browser would.
func psuTransport(t *testing.T, s *served) *http.Transport {
	t.Helper()
	pem, err := os.ReadFile(filepath.Join(s.dir, "certs", "ca.pem"))
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	return &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}
}

// The funds journey with a PIIS consent against `sandbox serve
// --piis-consent --require-piis-consent`: --piis (the consent
// --write-profile remembered) authorises it and the call carries its
// token; without it the bank, wanting a PIIS consent, refuses the
// client token with the diagnosis; --piis with none remembered is exit 2.
func TestFlowFundsWithPIISConsentAgainstSandboxServe(t *testing.T) {
	s := serveBinary(t, "--piis-consent", "FI0412345600012343", "--require-piis-consent")
	browser := []string{"BROWSER=" + flowBrowser(t, s)}
	r := s.run(browser, "flow", "--funds", "--piis", "--account", "FI0412345600012343", "--amount", "2.00", "--timeout", "30s", "-o", "json")
	rec := decodePayFlow(t, r)
	if r.code != 0 || rec.Funds == nil || rec.Funds.Available == nil || !*rec.Funds.Available || !strings.HasPrefix(rec.Funds.ConsentID, "piis-") {
		t.Fatalf("flow --funds --piis: exit %d\nstdout %s\nstderr %s", r.code, r.stdout, r.stderr)
	}
	if got := stepNames(rec); got != "token,authorize,token exchange,funds confirmation" {
		t.Errorf("steps %s", got)
	}
	if a := rec.Steps[1]; !strings.Contains(a.Sent, "scope PIIS:"+rec.Funds.ConsentID) || !strings.HasSuffix(a.Reproduce, "authorize --piis "+rec.Funds.ConsentID) {
		t.Errorf("the authorize step %+v", a)
	}

	// `--piis ID` with a space, as `authorize --piis ID` takes it.
	id := rec.Funds.ConsentID
	if r := s.run(browser, "flow", "--funds", "--piis", id, "--account", "FI0412345600012343", "--amount", "2.00", "--timeout", "30s", "-o", "json"); r.code != 0 || decodePayFlow(t, r).Funds.ConsentID != id {
		t.Errorf("flow --funds --piis ID: exit %d\nstdout %s\nstderr %s", r.code, r.stdout, r.stderr)
	}

	r = s.run(nil, "flow", "--funds", "--account", "FI0412345600012343", "--amount", "2.00")
	// The hint names the command with the run's --config and -p, and the
	// reproduce line sends the client token as the journey did (the
	// command would send the PIIS token the state keeps, and succeed).
	if r.code != 4 || !strings.Contains(r.stdout, "CONSENT_INVALID") || strings.Contains(r.stdout, "consent create") || !strings.Contains(r.stdout, " -p sb authorize --piis ID --exchange`") ||
		!strings.Contains(r.stdout, " -p sb funds-confirmation --account FI0412345600012343 --amount 2.00 --currency EUR --client-token\n") {
		t.Errorf("the client token where the bank wants a PIIS consent: exit %d\nstdout %s\nstderr %s", r.code, r.stdout, r.stderr)
	}

	// Another state directory: the profile remembers no PIIS consent there.
	other := s.run([]string{"XDG_STATE_HOME=" + t.TempDir()}, "flow", "--funds", "--piis", "--account", "FI0412345600012343", "--amount", "1")
	if other.code != 2 || !strings.Contains(other.stderr, "remembers no PIIS consent") {
		t.Errorf("--piis with none remembered: exit %d\nstdout %s\nstderr %s", other.code, other.stdout, other.stderr)
	}
}
