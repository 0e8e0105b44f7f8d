package main_test

// The PIIS consent through the built binary: `sandbox serve --piis-consent
// --require-piis-consent`, `authorize --piis ID --exchange` (headless: the
// auto-approving bank and a curl "browser"), `funds-confirmation` with the
// PIIS token (true, false, an account the consent does not cover), and a
// consent granted on the bank's page to another TPP, which this TPP can
// neither authorise nor name.

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/xs2a-dev/xs2a/pkg/sandbox"
)

const (
	piisIBAN    = "FI0412345600012343" // customer 5000001's current account
	piisSavings = "FI9612345600098763" // and its savings account
	piisCard    = "524378******8693"   // customer 1345611's card
)

func TestPIISConsentAgainstSandboxServe(t *testing.T) {
	dir := t.TempDir()
	apps := filepath.Join(dir, "apps.yaml")
	const otherOrg = "PSDFI-FINFSA-7654321-0"
	if err := os.WriteFile(apps, []byte("- {name: Other Issuer, client_id: other-issuer, client_secret: other-secret, api_key: other-key, organization_id: "+otherOrg+"}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s := serveBinary(t, "--piis-consent", piisIBAN, "--piis-consent", piisCard, "--require-piis-consent", "--apps", apps)
	ids := regexp.MustCompile(`consent_id:(piis-[A-Za-z0-9_-]+)`).FindAllStringSubmatch(s.info["piis_consents"], -1)
	if len(ids) != 2 || s.info["require_piis_consent"] != "true" {
		t.Fatalf("serve -o json: piis_consents %q, require_piis_consent %q", s.info["piis_consents"], s.info["require_piis_consent"])
	}
	ibanID, cardID := ids[0][1], ids[1][1]
	browser := []string{"BROWSER=" + flowBrowser(t, s)}

	// The bank demands a PIIS consent: the client token alone is refused,
	// and the hint names the way to one.
	r := s.run(nil, "funds-confirmation", "--account", piisIBAN, "--amount", "1")
	oneErrorLine(t, "client token under --require-piis-consent", r, 4, "401 CONSENT_INVALID", "xs2a authorize --piis")

	// A consent granted but not authorised yet, named with --consent.
	r = s.run(nil, "funds-confirmation", "--pan", piisCard, "--amount", "1", "--consent", cardID)
	oneErrorLine(t, "received consent", r, 4, "401 CONSENT_INVALID", "received", "xs2a authorize --piis")

	// --write-profile remembered the last consent --piis-consent granted,
	// the card's: `authorize --piis` without an ID takes it, and its
	// holder (1345611) approves.
	if r = s.run(browser, "authorize", "--piis", "--exchange", "--timeout", "30s"); r.code != 0 || !strings.Contains(r.stdout+r.stderr, cardID) {
		t.Fatalf("authorize --piis (the state's) --exchange: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r = s.run(nil, "funds-confirmation", "--pan", "5243780000008693", "--amount", "1", "--exit-status"); r.code != 0 || !strings.Contains(r.stderr, cardID) {
		t.Errorf("card with its PIIS token: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}

	// Authorised headless by ID; the PSU (5000001, the account's holder)
	// approves.
	if r = s.run(browser, "authorize", "--piis", ibanID, "--exchange", "--timeout", "30s"); r.code != 0 || !strings.Contains(r.stdout+r.stderr, ibanID) {
		t.Fatalf("authorize --piis --exchange: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = s.run(nil, "funds-confirmation", "--account", piisIBAN, "--amount", "1.00", "--exit-status")
	if r.code != 0 || r.stdout != "funds available: 1.00 EUR on "+piisIBAN+"\n" || !strings.Contains(r.stderr, "PIIS token of consent "+ibanID) ||
		!strings.Contains(r.stderr, "--show-secrets") {
		t.Errorf("available with the PIIS token: exit %d\nstdout: %s\nstderr: %s", r.code, r.stdout, r.stderr)
	}
	r = s.run(nil, "funds-confirmation", "--account", piisIBAN, "--amount", "99999999999.99", "--exit-status")
	if r.code != 9 || r.stdout != "funds NOT available: 99999999999.99 EUR on "+piisIBAN+"\n" {
		t.Errorf("not available with the PIIS token: exit %d\nstdout: %s\nstderr: %s", r.code, r.stdout, r.stderr)
	}
	// `xs2a api --token piis` sends the PIIS token; --token client the
	// client token.
	body := `{"account":{"iban":"` + piisIBAN + `"},"instructedAmount":{"currency":"EUR","amount":"1.00"}}`
	if r = s.run(nil, "api", "POST", "/v1/funds-confirmations", "--token", "piis", "-d", body); r.code != 0 || !strings.Contains(r.stdout, `"fundsAvailable": true`) {
		t.Errorf("api POST /v1/funds-confirmations with the PIIS token: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r = s.run(nil, "api", "POST", "/v1/funds-confirmations", "--token", "client", "-d", body); r.code == 0 || !strings.Contains(r.stderr, "CONSENT_INVALID") {
		t.Errorf("api --token client under --require-piis-consent: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = s.run(nil, "funds-confirmation", "--account", piisSavings, "--amount", "1")
	oneErrorLine(t, "an account the consent does not cover", r, 4, "401 CONSENT_INVALID", piisSavings, "xs2a authorize --piis")
	r = s.run(nil, "funds-confirmation", "--account", piisIBAN, "--amount", "1", "--client-token")
	oneErrorLine(t, "--client-token", r, 4, "401 CONSENT_INVALID")
	if strings.Contains(r.stderr, "PIIS token of consent") {
		t.Errorf("--client-token sent the PIIS token:\n%s", r.stderr)
	}

	// The PSU grants another TPP a consent on the bank's page (HTTP form
	// posts, as a browser sends them).
	otherID := grantOnPage(t, s, "5000001", piisIBAN, "other-issuer")
	r = s.run(browser, "authorize", "--piis", otherID, "--exchange", "--timeout", "30s")
	if r.code == 0 || !strings.Contains(r.stderr, "invalid_scope") || !strings.Contains(r.stderr, "another TPP") {
		t.Errorf("authorize another TPP's consent: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = s.run(nil, "funds-confirmation", "--account", piisIBAN, "--amount", "1", "--consent", otherID, "--client-token")
	oneErrorLine(t, "another TPP's consent", r, 4, "400 CONSENT_UNKNOWN", "no PIIS consent of this TPP", "xs2a authorize --piis")
}

var (
	piisSessionRE = regexp.MustCompile(`name="session" value="([^"]+)"`)
	piisOTPRE     = regexp.MustCompile(`id="code">([0-9]{6})<`)
	piisGrantedRE = regexp.MustCompile(`id="piis-consent-id">(piis-[A-Za-z0-9_-]+)<`)
)

// grantOnPage signs customer in on the bank's /psu/piis-consents and
// grants the app clientID a consent of account; it returns the id the page
// shows.
func grantOnPage(t *testing.T, s *served, customer, account, clientID string) string {
	t.Helper()
	pool := x509.NewCertPool()
	ca, err := os.ReadFile(filepath.Join(s.dir, "certs", "ca.pem"))
	if err != nil || !pool.AppendCertsFromPEM(ca) {
		t.Fatalf("the sandbox CA: %v", err)
	}
	c := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}}
	page := func(resp *http.Response, err error) string {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 {
			t.Fatalf("%s: %d %s", resp.Request.URL, resp.StatusCode, b)
		}
		return string(b)
	}
	base := s.info["auth_url"]
	p := page(c.Get(base + "/psu/piis-consents"))
	sm, om := piisSessionRE.FindStringSubmatch(p), piisOTPRE.FindStringSubmatch(p)
	if sm == nil || om == nil {
		t.Fatalf("the grant page has no sign-in:\n%s", p)
	}
	p = page(c.PostForm(base+"/oauth/login", url.Values{"session": {sm[1]}, "psu_id": {customer}, "otp": {om[1]}}))
	if !strings.Contains(p, account) || !strings.Contains(p, "Other Issuer") {
		t.Fatalf("the grant page after sign-in lists neither the account nor the other TPP:\n%s", p)
	}
	p = page(c.PostForm(base+"/psu/piis-consents", url.Values{"session": {sm[1]}, "action": {"grant"}, "account": {account}, "tpp": {clientID}}))
	m := piisGrantedRE.FindStringSubmatch(p)
	if m == nil {
		t.Fatalf("no consent id on the page:\n%s", p)
	}
	return m[1]
}

// TestPIISConsentInTheRealBrowser: in Chromium the PSU grants a PIIS
// consent on the sandbox's page, then approves `xs2a authorize --piis ID
// --exchange` on the bank's consent page showing the account; the PIIS
// token then confirms funds.
func TestPIISConsentInTheRealBrowser(t *testing.T) {
	path := chromium(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	browser, chromeOut := startBrowser(t, ctx, path)
	b := startBank(t, sandbox.Options{RatePerSecond: -1})
	u := newUser(t, b, nil)
	tab, tcancel := context.WithTimeout(newTab(t, browser), 45*time.Second)
	defer tcancel()

	// The grant page: sign in as 5000001, pick the account and the TPP.
	if err := chromedp.Do(tab, chromedp.Navigate(b.s.AuthURL+"/psu/piis-consents"), chromedp.WaitVisible(chromedp.ID("signin"))); err != nil {
		t.Fatalf("grant page: %v", err)
	}
	otp, err := chromedp.Run(tab, chromedp.Text(chromedp.ID("code")))
	if err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(tab,
		chromedp.SendKeys(chromedp.ID("psu_id"), "5000001"),
		chromedp.SendKeys(chromedp.ID("otp"), strings.TrimSpace(otp)),
		chromedp.Click(chromedp.ID("signin")),
		chromedp.WaitVisible(chromedp.ID("grant")),
		chromedp.Click(chromedp.CSS(`input[name=account][value="`+piisIBAN+`"]`)),
		chromedp.Click(chromedp.CSS(`input[name=tpp][value="`+b.s.DefaultApp.ClientID+`"]`)),
		chromedp.Click(chromedp.ID("grant")),
		chromedp.WaitVisible(chromedp.ID("piis-consent-id")),
	); err != nil {
		text, _ := chromedp.Run(tab, chromedp.Evaluate[string](`document.body ? document.body.innerText : ""`))
		t.Fatalf("granting on the page: %v\npage:\n%s\nchromium:\n%s", err, text, chromeOut)
	}
	id, err := chromedp.Run(tab, chromedp.Text(chromedp.ID("piis-consent-id")))
	if id = strings.TrimSpace(id); err != nil || !strings.HasPrefix(id, "piis-") {
		t.Fatalf("consent id on the page: %q %v", id, err)
	}

	// The TPP asks for its authorisation; $BROWSER hands the URL over.
	urlFile := filepath.Join(u.dir, "opened-urls")
	script := filepath.Join(u.dir, "browser.sh")
	if err := os.WriteFile(script, []byte("#!/bin/sh\nprintf '%s\\n' \"$1\" >> '"+urlFile+"'\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	p := &flowProcess{proc: startProc(t, u.dir, append(append([]string{}, u.env...), "BROWSER="+script),
		"--config", u.cfg, "authorize", "--piis", id, "--exchange", "--timeout", "40s"), urlFile: urlFile}
	authURL := p.authURL(t, tab)
	if !strings.Contains(authURL, "scope=PIIS%3A"+id) {
		t.Fatalf("authorization URL %q lacks scope PIIS:%s", authURL, id)
	}
	psuSignsInAs(t, tab, authURL, "5000001")
	page, err := chromedp.Run(tab, chromedp.Evaluate[string](`document.body.innerText`))
	if err != nil || !strings.Contains(page, piisIBAN) || !strings.Contains(page, id) {
		t.Errorf("the consent page does not show the account and the consent (%v):\n%s", err, page)
	}
	if err := chromedp.Do(tab, chromedp.Click(chromedp.ID("approve"))); err != nil {
		t.Fatal(err)
	}
	if page, err := waitForText(tab, "close this tab"); err != nil {
		t.Fatalf("no callback page: %v\n%s\nxs2a stderr:\n%s", err, page, p.stderr)
	}
	if code := p.exit(t, 30*time.Second); code != 0 {
		t.Fatalf("authorize --piis --exchange: exit %d\n%s%s", code, p.stdout, p.stderr)
	}
	r := u.run("funds-confirmation", "--account", piisIBAN, "--amount", "1", "--exit-status")
	if r.code != 0 || !strings.Contains(r.stderr, "PIIS token of consent "+id) {
		t.Errorf("funds-confirmation with the PIIS token: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}
