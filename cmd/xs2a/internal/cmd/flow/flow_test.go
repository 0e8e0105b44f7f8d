package flow_test

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/xs2a-dev/xs2a/cmd/xs2a/internal/app"
	"github.com/xs2a-dev/xs2a/cmd/xs2a/internal/cmdtest"
)

func TestFlowFlags(t *testing.T) {
	e := cmdtest.New(t)
	e.Expect(2, "--timeout must be positive", "flow", "--timeout", "0s")
	e.Expect(2, "--days -3: want a number of days of transactions, 1 or more", "flow", "--days", "-3")
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

// headless is `xs2a flow args...` running in process with a stdin the
// test writes to, as a person at an SSH session would.
type headless struct {
	t      *testing.T
	stdin  *io.PipeWriter
	stdout *cmdtest.SyncBuffer
	stderr *cmdtest.SyncBuffer
	done   chan int
}

func startHeadless(t *testing.T, e *cmdtest.Env, args ...string) *headless {
	t.Helper()
	f, _, _ := e.Factory("")
	pr, pw := io.Pipe()
	h := &headless{t: t, stdin: pw, stdout: &cmdtest.SyncBuffer{}, stderr: &cmdtest.SyncBuffer{}, done: make(chan int, 1)}
	f.IO.In, f.IO.Out, f.IO.ErrOut = pr, h.stdout, h.stderr
	ctx, cancel := context.WithCancel(context.Background())
	go func() { h.done <- app.RunFactory(ctx, f, args) }()
	t.Cleanup(func() { cancel(); pw.Close(); <-h.done; h.done <- -1 })
	return h
}

// waitFor waits for a stderr line matching re and returns its submatches.
func (h *headless) waitFor(re string) []string {
	h.t.Helper()
	rx := regexp.MustCompile(re)
	deadline := time.After(20 * time.Second)
	for {
		text, changed := h.stderr.Watch()
		for _, line := range strings.Split(text, "\n") {
			if m := rx.FindStringSubmatch(line); m != nil {
				return m
			}
		}
		select {
		case <-changed:
		case <-deadline:
			h.t.Fatalf("no stderr line matching %s:\n%s", re, text)
		}
	}
}

func (h *headless) exit() int {
	h.t.Helper()
	select {
	case c := <-h.done:
		h.done <- c
		return c
	case <-time.After(30 * time.Second):
		h.t.Fatalf("flow did not end:\n%s", h.stderr.String())
	}
	return -1
}

// The authorization URL flow prints, as `xs2a authorize` prints it.
const printedURL = `^  (https://\S+/oauth/authorize\?\S+)$`

// Without a browser flow prints the URL and offers the paste, as
// authorize does: opening the URL elsewhere, or pasting where it ended,
// completes the journey (issue 18 item 1).
func TestFlowHeadless(t *testing.T) {
	e := cmdtest.New(t)
	e.Bank()
	client := e.Browser.Client
	e.Browser.Client = nil // flow must not open it: --no-browser

	t.Run("the printed URL opened by the PSU", func(t *testing.T) {
		h := startHeadless(t, e, "flow", "--no-browser", "--timeout", "20s", "--idle-notice", "0")
		u := h.waitFor(printedURL)[1]
		h.waitFor(`^…or paste the URL your browser ended on \(http://127\.0\.0\.1:\d+/callback\?code=…\) here`)
		resp, err := client.Get(u) // the PSU's browser: to the bank, then back to the listener
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if c := h.exit(); c != 0 || !strings.Contains(h.stdout.String(), "The journey worked") {
			t.Fatalf("exit %d\nstdout %s\nstderr %s", c, h.stdout, h.stderr)
		}
		if strings.Contains(h.stdout.String(), "https://") && strings.Contains(h.stdout.String(), u) {
			t.Errorf("the URL reached stdout:\n%s", h.stdout)
		}
	})

	t.Run("the URL the browser ended on pasted", func(t *testing.T) {
		h := startHeadless(t, e, "flow", "--no-browser", "--timeout", "20s", "--idle-notice", "0")
		u := h.waitFor(printedURL)[1]
		loc := endsOn(t, client, u)
		if _, err := io.WriteString(h.stdin, loc+"\n"); err != nil {
			t.Fatal(err)
		}
		if c := h.exit(); c != 0 || !strings.Contains(h.stdout.String(), "The journey worked") {
			t.Fatalf("exit %d\nstdout %s\nstderr %s", c, h.stdout, h.stderr)
		}
	})

	t.Run("the idle notice, and the timeout names flow's own flags", func(t *testing.T) {
		r := e.Run("flow", "--no-browser", "--timeout", "1s", "--idle-notice", "200ms", "--paste=false")
		if r.Code != 4 || !strings.Contains(r.Stderr, "open this URL in a browser") || !strings.Contains(r.Stderr, "still waiting (up to --timeout 1s)") {
			t.Errorf("exit %d\nstdout %s\nstderr %s", r.Code, r.Stdout, r.Stderr)
		}
		if !strings.Contains(r.Stdout, "run `xs2a flow` again") || strings.Contains(r.Stdout, "xs2a authorize` again") {
			t.Errorf("the timeout's diagnosis:\n%s", r.Stdout)
		}
		if strings.Contains(r.Stderr, "paste") {
			t.Errorf("--paste=false offered the paste:\n%s", r.Stderr)
		}
	})

	if n := len(e.Browser.URLs()); n != 0 {
		t.Errorf("--no-browser opened the browser %d times", n)
	}
	e.Expect(2, "--idle-notice must not be negative", "flow", "--idle-notice", "-1s")
}

// The embedded sandbox with --no-browser prints the URL too; its PSU
// approves whoever opens it.
func TestFlowEmbeddedSandboxNoBrowser(t *testing.T) {
	e := cmdtest.New(t)
	h := startHeadless(t, e, "flow", "--sandbox", "--no-browser", "--timeout", "30s", "--idle-notice", "0", "-o", "json")
	u := h.waitFor(printedURL)[1]
	// The sandbox's CA is in flow's temporary directory: a browser would
	// ask to trust it.
	c := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if code := h.exit(); code != 0 {
		t.Fatalf("exit %d\nstderr %s", code, h.stderr)
	}
	var rec record
	if err := json.Unmarshal([]byte(h.stdout.String()), &rec); err != nil || !rec.OK || !rec.Sandbox {
		t.Errorf("%v: %s", err, h.stdout)
	}
}

// endsOn follows the authorization URL to the bank but not the bank's
// redirect to 127.0.0.1: the address a browser on another machine ends on.
func endsOn(t *testing.T, c *http.Client, authURL string) string {
	t.Helper()
	nc := *c
	nc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := nc.Get(authURL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc := resp.Header.Get("Location")
	if !strings.HasPrefix(loc, "http://127.0.0.1:") {
		t.Fatalf("the bank answered %d, Location %q", resp.StatusCode, loc)
	}
	return loc
}

// The journeys exclude each other, a journey's flag given to another one
// is a usage error, and the payment's or the request's bad input is
// refused before anything is sent, by the rules of `payment initiate` and
// `funds-confirmation`.
func TestFlowJourneyFlags(t *testing.T) {
	e := cmdtest.New(t)
	e.Expect(2, "--payment and --funds exclude each other", "flow", "--payment", "--funds")
	e.Expect(2, "--debtor goes with --payment", "flow", "--debtor", "FI0412345600012343")
	e.Expect(2, "--service goes with --payment", "flow", "--funds", "--service", "periodic-payments")
	e.Expect(2, "--account goes with --funds", "flow", "--payment", "--account", "FI0412345600012343")
	e.Expect(2, "--days goes with the account information journey", "flow", "--funds", "--days", "3")
	e.Expect(2, "--amount goes with --payment or --funds", "flow", "--amount", "3")
	e.Expect(2, "--interval must be positive", "flow", "--payment", "--interval", "0s")

	b := e.Bank("--auto-approve-as", "5000001")
	before := b.Log.String()
	for _, tc := range []struct {
		want string
		args []string
	}{
		{"--creditor \"DE89370400440532013001\": the IBAN's check digits do not match (mod 97)", []string{"--payment", "--debtor", "FI0412345600012343", "--creditor", "DE89370400440532013001", "--creditor-name", "J", "--amount", "1"}},
		// Against a profile nothing is filled in.
		{"--debtor is required", []string{"--payment"}},
		{"--creditor-name is required", []string{"--payment", "--debtor", "FI0412345600012343", "--creditor", "DE89370400440532013000", "--amount", "1"}},
		{"unknown payment product \"sepa\"", []string{"--payment", "--product", "sepa"}},
		{"--start-date goes with --service periodic-payments", []string{"--payment", "--start-date", "2027-01-01"}},
		{"give the amount to confirm", []string{"--funds", "--account", "FI0412345600012343"}},
		{"give the account: --account IBAN or --pan PAN", []string{"--funds", "--amount", "1"}},
		{"--amount \"12,34\" is not an amount", []string{"--funds", "--account", "FI0412345600012343", "--amount", "12,34"}},
	} {
		r := e.Expect(2, tc.want, append([]string{"flow"}, tc.args...)...)
		if r.Stdout != "" || strings.Count(strings.TrimSpace(r.Stderr), "\n") != 0 {
			t.Errorf("flow %v: want one line on stderr and nothing on stdout:\nstdout %s\nstderr %s", tc.args, r.Stdout, r.Stderr)
		}
	}
	// A request line of the bank's log ("POST /v1/... 201"); its banner
	// may still arrive after the snapshot above.
	for _, line := range strings.Split(strings.TrimPrefix(b.Log.String(), before), "\n") {
		for _, m := range []string{"GET /", "POST /", "PUT /", "DELETE /"} {
			if strings.Contains(line, m) {
				t.Errorf("the bank heard from the refused journeys: %s", line)
			}
		}
	}
}

type payRecord struct {
	OK      bool   `json:"ok"`
	Journey string `json:"journey"`
	Steps   []struct {
		Name      string `json:"name"`
		OK        bool   `json:"ok"`
		Reproduce string `json:"reproduce"`
	} `json:"steps"`
	Payment *struct {
		ID     string `json:"payment_id"`
		Status string `json:"transaction_status"`
		Final  bool   `json:"final"`
		Amount struct {
			Amount   string `json:"amount"`
			Currency string `json:"currency"`
		} `json:"amount"`
	} `json:"payment"`
	Funds *struct {
		Available bool `json:"funds_available"`
	} `json:"funds"`
}

// Against a profile: the steps in order, the payment remembered in the
// profile's state for the reproduce commands, which name it.
func TestFlowPaymentAgainstTheBank(t *testing.T) {
	e := cmdtest.New(t)
	e.Bank("--auto-approve-as", "5000001")
	r := e.Must("flow", "--payment", "--debtor", "FI0412345600012343", "--creditor", "DE89370400440532013000", "--creditor-name", "John Miles",
		"--amount", "2.50", "--timeout", "20s", "--interval", "100ms", "-o", "json")
	var rec payRecord
	if err := json.Unmarshal([]byte(r.Stdout), &rec); err != nil {
		t.Fatalf("%v\n%s", err, r.Stdout)
	}
	var names []string
	for _, s := range rec.Steps {
		names = append(names, s.Name)
	}
	if got := strings.Join(names, ","); got != "token,payment initiate,authorize,token exchange,payment status" {
		t.Errorf("steps %s", got)
	}
	p := rec.Payment
	if !rec.OK || rec.Journey != "payment" || p == nil || p.Status != "ACSC" || !p.Final || p.Amount.Amount != "2.50" || p.Amount.Currency != "EUR" {
		t.Fatalf("flow --payment -o json: %s", r.Stdout)
	}
	if want := "xs2a -p default authorize --payment " + p.ID; rec.Steps[2].Reproduce != want {
		t.Errorf("authorize's reproduce %q; want %q", rec.Steps[2].Reproduce, want)
	}
	// The reproduce command of the status step works as it is.
	r = e.Must("payment", "status", p.ID)
	if !strings.Contains(r.Stdout, p.ID+": ACSC (final)") {
		t.Errorf("payment status: %s", r.Stdout)
	}
}
