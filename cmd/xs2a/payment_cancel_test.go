package main_test

// The cancellation of an authorised standing order through the built
// binary: `payment cancel` gets the bank's 202 and starts the cancellation
// authorisation, `authorize --payment` lets the PSU decide on the bank's
// page (scope PIS:<paymentId>), `payment status` shows CANC, or ACTC when
// the PSU kept the order; `payment cancel --status` follows the
// cancellation authorisations. The sandbox's answers are held to the
// OpenAPI file in pkg/sandbox (paycancel_test.go), the client's requests
// in pkg/xs2a.

import (
	"crypto/tls"
	"crypto/x509"
	"io"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/xs2a-dev/xs2a/pkg/sandbox"
)

// standingOrderArgs initiate a monthly standing order of 5000001's.
func standingOrderArgs() []string {
	return []string{"payment", "initiate", "--service", "periodic-payments", "--debtor", "FI0412345600012343", "--creditor", "DE89370400440532013000",
		"--creditor-name", "John Miles", "--amount", "50.00", "--currency", "EUR", "--start-date", time.Now().AddDate(0, 0, 7).Format(time.DateOnly),
		"--frequency", "Monthly"}
}

// psuHTTP is the PSU's browser for the bank's pages (TLS under ca), not
// following the bank's redirect back to the TPP.
func psuHTTP(t *testing.T, ca string) *http.Client {
	t.Helper()
	pem, err := os.ReadFile(ca)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	return &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}, Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// deliver sends the bank's redirect to the waiting `authorize` listener.
func deliver(t *testing.T, loc string) {
	t.Helper()
	if !strings.HasPrefix(loc, "http://127.0.0.1:") {
		t.Fatalf("the bank redirected to %q", loc)
	}
	resp, err := http.Get(loc)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
}

// decideOnPages signs in as psu on the bank's pages at authURL, checks the
// decision page holds want, decides, and returns where the bank sends the
// browser back.
func decideOnPages(t *testing.T, hc *http.Client, authURL, psu, decision string, want ...string) string {
	t.Helper()
	u, err := url.Parse(authURL)
	if err != nil {
		t.Fatal(err)
	}
	page := func(resp *http.Response, err error) string {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != 200 {
			t.Fatalf("%s: %d %s", resp.Request.URL.Path, resp.StatusCode, b)
		}
		return string(b)
	}
	login := page(hc.Get(authURL))
	sess := regexp.MustCompile(`name="session" value="([^"]+)"`).FindStringSubmatch(login)
	otp := regexp.MustCompile(`id="code">([0-9]{6})<`).FindStringSubmatch(login)
	if sess == nil || otp == nil {
		t.Fatalf("no session or one-time code on the sign-in page:\n%s", login)
	}
	base := u.Scheme + "://" + u.Host
	decide := page(hc.PostForm(base+"/oauth/login", url.Values{"session": {sess[1]}, "psu_id": {psu}, "otp": {otp[1]}}))
	for _, w := range want {
		if !strings.Contains(decide, w) {
			t.Errorf("the decision page lacks %q:\n%s", w, decide)
		}
	}
	resp, err := hc.PostForm(base+"/oauth/decision", url.Values{"session": {sess[1]}, "decision": {decision}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("decision: %d", resp.StatusCode)
	}
	return resp.Header.Get("Location")
}

// TestPaymentCancellationThroughTheBinary: a standing order authorised
// under --auto-approve, cancelled (202, the cancellation authorisation
// started), the cancellation authorised with `authorize --payment
// --no-browser` (headless), CANC; another in one command with
// `payment cancel --authorize`.
func TestPaymentCancellationThroughTheBinary(t *testing.T) {
	s := serveBinary(t, "--auto-approve-as", "5000001")
	browser := []string{"BROWSER=" + flowBrowser(t, s)}
	if r := s.run(nil, standingOrderArgs()...); r.code != 0 || !strings.Contains(r.stdout, ": RCVD (periodic-payments/sepa-credit-transfers)") {
		t.Fatalf("payment initiate: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := s.run(browser, "authorize", "--payment", "--exchange", "--timeout", "30s"); r.code != 0 {
		t.Fatalf("authorize --payment: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := s.run(nil, "payment", "status"); r.code != 0 || !strings.Contains(r.stdout, "ACTC") {
		t.Fatalf("status of the authorised standing order: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r := s.run(nil, "payment", "cancel")
	if r.code != 0 || !strings.Contains(r.stdout, "the PSU must authorise the cancellation (authorisation auth-") || !strings.Contains(r.stdout, ", received)") ||
		!strings.Contains(r.stdout, "sca link: https://127.0.0.1:") || !regexp.MustCompile(`next: the PSU authorises the cancellation: xs2a .*authorize --payment pmt-\S+, then xs2a .*payment status pmt-\S+ --wait --service periodic-payments`).MatchString(r.stderr) {
		t.Fatalf("payment cancel: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := s.run(nil, "payment", "status"); !strings.Contains(r.stdout, "ACTC") {
		t.Errorf("status while the PSU decides: %s%s", r.stdout, r.stderr)
	}

	// The PSU's browser is elsewhere: the URL printed, the bank's page
	// (auto-approving) visited by hand, its redirect delivered.
	l := startProc(t, s.dir, s.env, "--config", s.cfg, "-p", "sb", "authorize", "--payment", "--no-browser", "--paste=false", "--idle-notice", "0", "--timeout", "30s")
	authURL := l.waitLine(`^  (https://\S+)$`)[1]
	if !strings.Contains(authURL, "scope=PIS%3Apmt-") {
		t.Errorf("authorization URL without the payment's scope: %s", authURL)
	}
	resp, err := psuHTTP(t, s.dir+"/certs/ca.pem").Get(authURL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	deliver(t, resp.Header.Get("Location"))
	if c := l.wait(30 * time.Second); c != 0 {
		t.Fatalf("authorize --payment --no-browser: exit %d\n%s", c, l.stderr.String())
	}
	if r := s.run(nil, "payment", "status"); r.code != 0 || !strings.Contains(r.stdout, "CANC") {
		t.Errorf("status after the cancellation: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := s.run(nil, "payment", "cancel", "--status"); r.code != 0 || !regexp.MustCompile(`cancellation authorisation auth-\S+: finalised\n$`).MatchString(r.stdout) {
		t.Errorf("cancel --status: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	oneErrorLine(t, "cancel of a cancelled payment", s.run(nil, "payment", "cancel"), 3, "405 CANCELLATION_INVALID")

	// --authorize: the DELETE and the PSU's authorisation in one command.
	if r := s.run(nil, standingOrderArgs()...); r.code != 0 {
		t.Fatalf("second standing order: exit %d\n%s", r.code, r.stderr)
	}
	if r := s.run(browser, "authorize", "--payment", "--exchange", "--timeout", "30s"); r.code != 0 {
		t.Fatalf("authorize the second standing order: exit %d\n%s", r.code, r.stderr)
	}
	r = s.run(browser, "payment", "cancel", "--authorize", "--timeout", "30s")
	if r.code != 0 || !regexp.MustCompile(`^payment pmt-\S+: the PSU authorised the cancellation \(authorisation auth-\S+\); status CANC\n$`).MatchString(r.stdout) {
		t.Errorf("payment cancel --authorize: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	oneErrorLine(t, "--authorize with --status", s.run(nil, "payment", "cancel", "--authorize", "--status"), 2, "--authorize and --status exclude each other")
}

// TestPaymentCancellationRefused: on the bank's own pages (no
// auto-approve) the debtor sees the order to cancel and keeps it: the
// authorize command reports access_denied (exit 4), the order stays ACTC
// and the cancellation authorisation failed.
func TestPaymentCancellationRefused(t *testing.T) {
	b := startBank(t, sandbox.Options{RatePerSecond: -1, RatePerDay: -1})
	u := newUser(t, b, nil)
	hc := psuHTTP(t, b.file("ca.pem"))
	if r := u.run(standingOrderArgs()...); r.code != 0 {
		t.Fatalf("payment initiate: exit %d\n%s", r.code, r.stderr)
	}
	authorize := func(decision string, want ...string) *proc {
		l := u.start("authorize", "--payment", "--no-browser", "--paste=false", "--idle-notice", "0", "--timeout", "30s")
		authURL := l.waitLine(`^  (https://\S+)$`)[1]
		deliver(t, decideOnPages(t, hc, authURL, sandbox.PaymentCustomerID, decision, want...))
		return l
	}
	if l := authorize("approve", "John Miles", "50.00 EUR"); l.wait(30*time.Second) != 0 {
		t.Fatalf("authorize the standing order:\n%s", l.stderr.String())
	}
	if r := u.run("payment", "cancel"); r.code != 0 || !strings.Contains(r.stdout, "the PSU must authorise the cancellation") {
		t.Fatalf("payment cancel: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	l := authorize("deny", "asks you to cancel this payment", "Cancel this payment", "John Miles", "50.00 EUR")
	if c := l.wait(30 * time.Second); c != 4 || !strings.Contains(l.stderr.String(), "access_denied: the PSU refused the cancellation of the payment") {
		t.Errorf("refused cancellation: exit %d\n%s", c, l.stderr.String())
	}
	if r := u.run("payment", "status"); r.code != 0 || !strings.Contains(r.stdout, "ACTC") {
		t.Errorf("status after the refusal: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := u.run("payment", "cancel", "--status"); r.code != 0 || !strings.Contains(r.stdout, ": failed\n") {
		t.Errorf("cancel --status after the refusal: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}
