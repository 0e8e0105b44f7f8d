package cmdutil

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xs2a-dev/xs2a/pkg/budget"
	"github.com/xs2a-dev/xs2a/pkg/loopback"
	"github.com/xs2a-dev/xs2a/pkg/oauth"
	"github.com/xs2a-dev/xs2a/pkg/origin"
	"github.com/xs2a-dev/xs2a/pkg/pemfile"
	"github.com/xs2a-dev/xs2a/pkg/xs2a"
)

// classifyCase is one error and what Classify must make of it; msg is a
// regexp the message must match.
type classifyCase struct {
	name string
	err  error
	code int
	msg  string
}

func apiErr(status int, codes ...string) *xs2a.APIError {
	e := &xs2a.APIError{Status: status, RequestID: "req-1"}
	for _, c := range codes {
		e.Messages = append(e.Messages, xs2a.TPPMessage{Category: "ERROR", Code: c, Text: "the bank's words for " + c})
	}
	return e
}

// asSent wraps err as a network step sees it: inside the *url.Error of
// http.Client and a command's context, never classified by hand.
func asSent(err error) error {
	return fmt.Errorf("GET /v1/accounts: %w", &url.Error{Op: "Get", URL: "https://bank.example/v1/accounts", Err: err})
}

// classifyCases covers every row of README's "Exit codes" table (see
// TestClassifyPinsTheREADMETable) and every error type Classify knows.
func classifyCases(t *testing.T) []classifyCase {
	exceeded := &budget.ExceededError{Budget: budget.BudgetDaily, Limit: 4, Resets: time.Date(2026, 12, 6, 0, 0, 0, 0, time.UTC), ZoneName: "UTC"}
	return []classifyCase{
		{"nil", nil, ExitOK, `^$`},

		// 1: not otherwise classified.
		{"plain I/O error", fmt.Errorf("writing out.json: %w", os.ErrPermission), ExitFailure, `^writing out\.json: permission denied$`},
		{"connection refused (a real dial)", refusedDial(t), ExitFailure, `connection refused; hint: is the ASPSP reachable at the profile's base_url\?$`},
		{"timeout", asSent(context.DeadlineExceeded), ExitFailure, `deadline exceeded; hint: is the ASPSP reachable`},
		{"listen error: no reachability hint", portTaken(t), ExitFailure, `^listen tcp [^;]*$`},

		// 2: usage.
		{"UsageErrorf", UsageErrorf("--days %d is outside 1..3650", 0), ExitUsage, `^--days 0 is outside`},
		{"key file that does not exist", &pemfile.Error{Path: "qseal.key", Msg: "no such file", Err: pemfile.ErrNotFound}, ExitUsage, `^qseal\.key: no such file$`},
		{"redirect URI not registered", &loopback.RegistrationError{URI: "http://127.0.0.1:8080/cb", Closest: "http://127.0.0.1:8081/cb", Diffs: []string{"port"}}, ExitUsage, `is not registered`},
		{"redirect URI port in use", &loopback.PortInUseError{Addr: "127.0.0.1:8080", Err: errors.New("bind: address already in use")}, ExitUsage, `port 8080 on 127\.0\.0\.1 is already in use`},

		// 3: the ASPSP rejected the request.
		{"APIError FORMAT_ERROR", asSent(apiErr(400, "FORMAT_ERROR")), ExitRejected, `answered 400 FORMAT_ERROR: the bank's words for FORMAT_ERROR \(X-Request-ID req-1\)$`},
		{"APIError without tppMessages", &xs2a.APIError{Status: 500, Body: "oops"}, ExitRejected, `^the ASPSP answered 500: oops$`},
		{"APIError ACCESS_EXCEEDED: with its hint", apiErr(429, "ACCESS_EXCEEDED"), ExitRejected, "; hint: ACCESS_EXCEEDED: the consent's frequencyPerDay is used up for today; create a new consent \\(`xs2a consent create`\\), or read with the PSU present \\(--psu-ip"},
		{"APIError 429 of the rate: wait", withAnswer(apiErr(429, "ACCESS_EXCEEDED"), "/v1/card-accounts", "1"), ExitRejected, `; hint: the bank's rate limit: wait for Retry-After \(1 s\)`},
		{"APIError 429 of the TPP's daily limit", withAnswer(&xs2a.APIError{Status: 429, Messages: []xs2a.TPPMessage{{Code: "ACCESS_EXCEEDED", Text: "the daily limit of 1000 requests for this TPP is used up"}}}, "/v1/consents", "3600"), ExitRejected, `; hint: the TPP's daily limit at this bank is used up: wait for Retry-After \(3600 s\)$`},
		{"APIError 429 of a one-off consent", withAnswer(&xs2a.APIError{Status: 429, Messages: []xs2a.TPPMessage{{Code: "ACCESS_EXCEEDED", Text: "consent \"c\" is a one-off consent (recurringIndicator false)"}}}, "/v1/card-accounts", ""), ExitRejected, "; hint: the one-off consent's access is used: create a new consent"},
		{"429 without a code or a Retry-After", &xs2a.APIError{Status: 429, Body: "slow down"}, ExitRejected, `; hint: the bank says too many requests: wait until the bank's midnight`},
		{"APIError 404 on /v1/v1", withAnswer(apiErr(404, "RESOURCE_UNKNOWN"), "/v1/v1/consents", ""), ExitRejected, `; hint: the path has /v1 twice: base_url ends in /v1`},
		{"APIError 404 for a masked PAN", withAnswer(apiErr(404, "RESOURCE_UNKNOWN"), "/v1/card-accounts/524378******8693/balances", ""), ExitRejected, "; hint: ACCOUNT-ID is the account's resource id, not its masked PAN: `xs2a accounts list`"},
		{"redirect", asSent(&origin.RedirectError{Status: 302, Location: "https://elsewhere.example/"}), ExitRejected, `xs2a follows no redirect; configure the final URL in the profile: base_url$`},
		{"link off the origin", &origin.LinkError{What: "next link", Link: "https://evil.example/x", Why: "another host", Expected: "https://bank.example"}, ExitRejected, `^refused to follow the next link`},

		// 4: token, consent or OAuth.
		{"APIError TOKEN_EXPIRED", asSent(apiErr(401, "TOKEN_EXPIRED")), ExitAuth, `; hint: run .xs2a token refresh.`},
		{"APIError CONSENT_UNKNOWN", apiErr(403, "CONSENT_UNKNOWN"), ExitAuth, `; hint: the consent id is not one of this TPP's`},
		{"APIError CONSENT_EXPIRED", apiErr(401, "CONSENT_EXPIRED"), ExitAuth, `; hint: create a new consent`},
		{"APIError TOKEN_INVALID", apiErr(401, "TOKEN_INVALID"), ExitAuth, `TOKEN_INVALID`},
		{"APIError TOKEN_UNKNOWN of the PSU's token", withAnswer(apiErr(401, "TOKEN_UNKNOWN"), "/v1/card-accounts", ""), ExitAuth, "; hint: the ASPSP does not know the PSU's access token .*`xs2a consent create` first when .*: run `xs2a authorize`, then `xs2a token exchange` \\(or `xs2a flow`\\)$"},
		{"APIError TOKEN_UNKNOWN of the client token", withAnswer(apiErr(401, "TOKEN_UNKNOWN"), "/v1/consents", ""), ExitAuth, "; hint: the ASPSP does not know the client-credentials token: run `xs2a token`"},
		{"refresh refused, with its hint", WithHint(&oauth.Error{Status: 400, Code: "invalid_grant"}, "run `xs2a flow`"), ExitAuth, "^token endpoint answered 400 invalid_grant; hint: run `xs2a flow`$"},
		{"oauth.Error", fmt.Errorf("client token: %w", &oauth.Error{Status: 400, Code: "invalid_client", Description: "unknown client"}), ExitAuth, `^client token: token endpoint answered 400 invalid_client: unknown client; hint: the ASPSP refuses the client.s credentials: `},
		{"oauth.AnswerError", &oauth.AnswerError{Reason: "token_type mac"}, ExitAuth, `unusable: token_type mac$`},
		{"oauth.IssuerError", &oauth.IssuerError{MetadataURL: "https://bank.example/.well-known/oauth-authorization-server", Got: "https://other.example", Want: "https://bank.example"}, ExitAuth, `names issuer`},
		{"loopback.AuthError", &loopback.AuthError{Code: "access_denied", Description: "the PSU declined"}, ExitAuth, `^authorization refused: access_denied: the PSU declined$`},
		{"oauth.Error invalid_client", &oauth.Error{Status: 401, Code: "invalid_client", Description: "wrong client_secret"}, ExitAuth, "; hint: the ASPSP refuses the client's credentials: check the profile's client_id and client_secret"},
		{"loopback.AuthError invalid_scope", &loopback.AuthError{Code: "invalid_scope", Description: `consent "cns-1" does not exist`}, ExitAuth, "; hint: the ASPSP refuses the scope, which names the consent: .*`xs2a consent create` makes a new one"},

		// 5: certificate or key, TLS.
		{"APIError CERTIFICATE_EXPIRED", apiErr(401, "CERTIFICATE_EXPIRED"), ExitCertificate, "; hint: run `xs2a certs check`: it checks the QWAC, the QSeal and their chain"},
		{"APIError CERTIFICATE_INVALID", apiErr(401, "CERTIFICATE_INVALID"), ExitCertificate, `CERTIFICATE_INVALID`},
		{"APIError CERTIFICATE_REVOKED from the sandbox", sandboxAnswer(apiErr(401, "CERTIFICATE_REVOKED")), ExitCertificate, "; hint: `xs2a sandbox why req-1` shows which certificate"},
		{"APIError ROLE_INVALID of a bank", withAnswer(apiErr(401, "ROLE_INVALID"), "/v1/accounts", ""), ExitCertificate, "; hint: the certificates. PSD2 roles lack PSP_AI, which account information needs \\(`xs2a certs check --for ais` shows them\\): a QWAC and a QSealC with PSP_AI come from your QTSP, .*$"},
		{"APIError ROLE_INVALID of a bank's payment", withAnswer(apiErr(401, "ROLE_INVALID"), "/v1/periodic-payments/sepa-credit-transfers", ""), ExitCertificate, "; hint: the certificates. PSD2 roles lack PSP_PI, which payment initiation needs \\(`xs2a certs check --for pis` shows them\\): .* from your QTSP"},
		{"APIError ROLE_INVALID of the sandbox's funds confirmation", sandboxAnswer(withAnswer(apiErr(401, "ROLE_INVALID"), "/v1/funds-confirmations", "")), ExitCertificate, "; hint: the certificates. PSD2 roles lack PSP_IC, which funds confirmation needs \\(`xs2a certs check --for piis` shows them\\): the sandbox's own certificates carry PSP_AI, PSP_PI and PSP_IC .*`xs2a sandbox serve --certs DIR`.*`--trust DIR/ca.pem --apps APPS.yaml`$"},
		{"CERTIFICATE_EXPIRED at the token endpoint", fmt.Errorf("client token: %w", &oauth.Error{Status: 401, Code: "invalid_client", Description: "mutual TLS with a QWAC is required",
			Body: `{"error":"invalid_client","tppMessages":[{"category":"ERROR","code":"CERTIFICATE_EXPIRED","text":"the QWAC expired"}]}`}), ExitCertificate, "invalid_client: mutual TLS .*; hint: run `xs2a certs check`"},
		{"CERTIFICATE_REVOKED as the token endpoint's OAuth error", &oauth.Error{Status: 401, Code: "CERTIFICATE_REVOKED", Description: "the QWAC is revoked"}, ExitCertificate, "^token endpoint answered 401 CERTIFICATE_REVOKED: the QWAC is revoked; hint: run `xs2a certs check`"},
		{"https to a plain-HTTP port (a real handshake)", plainHTTPServer(t), ExitCertificate, `; hint: the server answered the TLS handshake in plain HTTP`},
		{"CertError", CertError(errors.New("the sandbox certificates have expired")), ExitCertificate, `^the sandbox certificates have expired$`},
		{"key file that is no key", &pemfile.Error{Path: "qseal.pem", Msg: "no PRIVATE KEY block", Err: pemfile.ErrNoKey}, ExitCertificate, `^qseal\.pem: no PRIVATE KEY block$`},
		{"key and certificate apart", &pemfile.MatchError{KeyPath: "qwac.key", CertPath: "qseal.pem"}, ExitCertificate, `does not belong to the certificate`},
		{"server certificate of an unknown CA (a real handshake)", untrustedServer(t), ExitCertificate, `certificate signed by unknown authority; hint: the ASPSP's server certificate is not trusted: set ca_bundle`},
		{"server certificate for another host (a real handshake)", wrongHostname(t), ExitCertificate, `; hint: the ASPSP's server certificate is not trusted`},
		{"expired server certificate", asSent(&tls.CertificateVerificationError{Err: x509.CertificateInvalidError{Reason: x509.Expired}}), ExitCertificate, `; hint: the ASPSP's server certificate is not trusted`},
		{"x509.CertificateInvalidError alone", x509.CertificateInvalidError{Reason: x509.NotAuthorizedToSign}, ExitCertificate, `hint: the ASPSP's server certificate`},
		{"client certificate refused: a TLS alert (a real handshake)", clientCertRefused(t), ExitCertificate, `; hint: the ASPSP refused the TLS handshake, usually the client certificate`},

		// 6: signature.
		{"APIError SIGNATURE_INVALID", asSent(apiErr(401, "SIGNATURE_INVALID")), ExitSignature, "; hint: capture the request and check it offline: run the command again with --record DIR, then `xs2a sign verify --bundle DIR`$"},
		{"APIError SIGNATURE_MISSING", apiErr(401, "SIGNATURE_MISSING", "CERTIFICATE_MISSING"), ExitSignature, "SIGNATURE_MISSING, CERTIFICATE_MISSING.*; hint: capture the request"},
		{"APIError SIGNATURE_INVALID from the sandbox", sandboxAnswer(apiErr(401, "SIGNATURE_INVALID")), ExitSignature, "; hint: `xs2a sandbox why req-1` prints the sandbox's whole signature check$"},
		{"SIGNATURE_INVALID at the token endpoint", &oauth.Error{Status: 401, Code: "invalid_client", Body: `{"tppMessages":[{"code":"SIGNATURE_INVALID"}]}`}, ExitSignature, `invalid_client; hint: capture`},
		{"sign verify: invalid, report printed", Silent(ExitSignature), ExitSignature, `^$`},

		// 7: replay found a difference (only replay says so, after its report).
		{"replay: an answer differs", Silent(ExitChanged), ExitChanged, `^$`},

		// 8: budget.
		{"budget exceeded, as sent: the message is the budget's alone", asSent(exceeded), ExitBudget, "^" + regexp.QuoteMeta(exceeded.Error()) + "$"},
		{"replay: an exchange not sent", Silent(ExitBudget), ExitBudget, `^$`},

		// 9: funds-confirmation --exit-status, fundsAvailable false (the
		// answer printed, no error line).
		{"funds-confirmation --exit-status: no funds", Silent(ExitNoFunds), ExitNoFunds, `^$`},

		// 130: interrupted.
		{"Ctrl-C during a request", asSent(context.Canceled), ExitInterrupted, `^interrupted$`},
		{"authorize: interrupted while waiting", &ExitError{Code: ExitInterrupted, Err: errors.New("interrupted while waiting for the authorization")}, ExitInterrupted, `^interrupted while waiting`},

		// An ExitError wins over the types inside it, with its message as written.
		{"ExitError around an APIError", &ExitError{Code: ExitRejected, Err: fmt.Errorf("%w; hint: not an xs2a sandbox", apiErr(404, "RESOURCE_UNKNOWN"))}, ExitRejected, `; hint: not an xs2a sandbox$`},
		{"RedirectFix for the token endpoint", RedirectFix(asSent(&origin.RedirectError{Status: 307, Location: "/token2"}), "token_url", ExitAuth), ExitAuth, `configure the final URL in the profile: token_url$`},
	}
}

func TestClassify(t *testing.T) {
	for _, tc := range classifyCases(t) {
		t.Run(tc.name, func(t *testing.T) {
			code, msg := Classify(tc.err)
			if code != tc.code {
				t.Errorf("code %d; want %d (message %q)", code, tc.code, msg)
			}
			if !regexp.MustCompile(tc.msg).MatchString(msg) {
				t.Errorf("message %q does not match %q", msg, tc.msg)
			}
			if strings.Count(msg, "; hint: ") > 1 {
				t.Errorf("more than one hint: %q", msg)
			}
			if CodeOf(tc.err) != code {
				t.Errorf("CodeOf %d differs from Classify's %d", CodeOf(tc.err), code)
			}
		})
	}
}

// withAnswer is e as the client fills it from the answer to path.
func withAnswer(e *xs2a.APIError, path, retryAfter string) *xs2a.APIError {
	e.Path, e.RetryAfter = path, retryAfter
	return e
}

// sandboxAnswer is e as the sandbox answers it, naming its record.
func sandboxAnswer(e *xs2a.APIError) *xs2a.APIError {
	e.Rejection = "/sandbox/v1/rejections/" + e.RequestID
	return e
}

// TestDescribe: what -o json reports of an error besides the line: the
// bank's code, status and X-Request-ID, and the hint apart.
func TestDescribe(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want Failure
	}{
		{"the API", asSent(withAnswer(apiErr(404, "RESOURCE_UNKNOWN", "FORMAT_ERROR"), "/v1/v1/x", "")), Failure{ExitCode: ExitRejected, Code: "RESOURCE_UNKNOWN", Status: 404, RequestID: "req-1"}},
		{"the token endpoint", &oauth.Error{Status: 400, Code: "invalid_grant"}, Failure{ExitCode: ExitAuth, Code: "invalid_grant", Status: 400}},
		{"no answer", UsageErrorf("bad"), Failure{ExitCode: ExitUsage, Message: "bad"}},
		{"an ExitError's hint", &ExitError{Code: ExitRejected, Err: errors.New("no"), Hint: "do this"}, Failure{ExitCode: ExitRejected, Message: "no", Hint: "do this"}},
		{"silent", Silent(ExitChanged), Failure{ExitCode: ExitChanged, Silent: true}},
	} {
		got := Describe(tc.err)
		if tc.want.Message == "" && !tc.want.Silent {
			tc.want.Message, tc.want.Hint = got.Message, got.Hint
		}
		if got != tc.want {
			t.Errorf("%s: %+v; want %+v", tc.name, got, tc.want)
		}
		if strings.Contains(got.Message, "; hint: ") {
			t.Errorf("%s: the hint is in the message: %q", tc.name, got.Message)
		}
	}
}

// TestClassifyBudgetDropsTheURL: the call was never sent, so the line
// names the budget, not the URL a wrapper put around it.
func TestClassifyBudgetDropsTheURL(t *testing.T) {
	be := &budget.ExceededError{Budget: budget.BudgetDaily, Limit: 4, ZoneName: "UTC"}
	_, msg := Classify(asSent(be))
	if msg != be.Error() || strings.Contains(msg, "bank.example") {
		t.Errorf("message %q; want the budget's own %q", msg, be.Error())
	}
}

// TestClassifyPinsTheREADMETable: every code in README's "Exit codes"
// table has a case above, and every code a case gives is in the table.
func TestClassifyPinsTheREADMETable(t *testing.T) {
	readme, err := os.ReadFile("../../../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(readme), "\n## Exit codes\n")
	if !ok {
		t.Fatal(`README.md has no "## Exit codes" section`)
	}
	section, _, _ = strings.Cut(section, "\n## ")
	documented := map[int]bool{}
	for _, m := range regexp.MustCompile(`(?m)^\| (\d+) \|`).FindAllStringSubmatch(section, -1) {
		n, _ := strconv.Atoi(m[1])
		documented[n] = true
	}
	if len(documented) < 10 {
		t.Fatalf("read %d codes from README's table; the table's form changed?", len(documented))
	}
	covered := map[int]bool{}
	for _, tc := range classifyCases(t) {
		covered[tc.code] = true
		if !documented[tc.code] {
			t.Errorf("case %q gives exit %d, which README's table does not document", tc.name, tc.code)
		}
	}
	var missing []int
	for n := range documented {
		if !covered[n] {
			missing = append(missing, n)
		}
	}
	sort.Ints(missing)
	if len(missing) > 0 {
		t.Errorf("README documents exit codes %v that no Classify case pins", missing)
	}
	for _, c := range []int{ExitOK, ExitFailure, ExitUsage, ExitRejected, ExitAuth, ExitCertificate, ExitSignature, ExitChanged, ExitBudget, ExitNoFunds, ExitInterrupted} {
		if !documented[c] {
			t.Errorf("exit constant %d is not in README's table", c)
		}
	}
}

// TestRewordingChangesNoCode: each typed error keeps its code whatever its
// text says, and whatever a command wraps around it. A rule keyed on
// message text would fail here.
func TestRewordingChangesNoCode(t *testing.T) {
	reworded := []struct {
		name string
		a, b error
	}{
		{"APIError texts", apiErr(401, "TOKEN_EXPIRED"), &xs2a.APIError{Status: 401, Messages: []xs2a.TPPMessage{{Code: "TOKEN_EXPIRED", Text: "remote error: tls: unknown certificate; connection refused; interrupted"}}}},
		{"APIError body", &xs2a.APIError{Status: 400, Body: "bad"}, &xs2a.APIError{Status: 400, Body: "unknown command \"x\" for \"xs2a\"; certificate signed by unknown authority"}},
		{"oauth.Error description", &oauth.Error{Status: 400, Code: "invalid_grant"}, &oauth.Error{Status: 400, Code: "invalid_grant", Description: "remote error: tls: bad certificate"}},
		{"loopback.AuthError description", &loopback.AuthError{Code: "access_denied"}, &loopback.AuthError{Code: "access_denied", Description: "unknown flag: --x"}},
		{"budget", &budget.ExceededError{Budget: budget.BudgetDaily}, &budget.ExceededError{Budget: budget.BudgetOneOff, Path: "/v1/accounts", By: "an unrelated tool"}},
		{"plain error that reads like a TLS alert", errors.New("disk full"), errors.New("remote error: tls: bad certificate")},
		{"plain error that reads like cobra", errors.New("disk full"), errors.New("unknown command \"x\" for \"xs2a\"")},
		{"plain error that reads like a usage error", errors.New("disk full"), errors.New("accepts 1 arg(s), received 2; flag needs an argument; required flag(s) \"x\" not set")},
		{"usage error that reads like a network failure", UsageErrorf("bad"), UsageErrorf("dial tcp: connection refused; context canceled")},
	}
	for _, r := range reworded {
		t.Run(r.name, func(t *testing.T) {
			ca, _ := Classify(r.a)
			cb, mb := Classify(r.b)
			if ca != cb {
				t.Errorf("code %d for %q but %d for the reworded %q", ca, r.a, cb, mb)
			}
			if cw, _ := Classify(fmt.Errorf("step 3 of the journey, in other words: %w", r.b)); cw != ca {
				t.Errorf("wrapped in other words: code %d; want %d", cw, ca)
			}
		})
	}
}

// refusedDial is a real "connection refused" from http.Client.
func refusedDial(t *testing.T) error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	_, err = http.Get("http://" + addr + "/v1/accounts")
	if err == nil {
		t.Fatal("a closed port answered")
	}
	return err
}

// portTaken is a real listen error: the port is held by another listener.
func portTaken(t *testing.T) error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	ln2, err := net.Listen("tcp", ln.Addr().String())
	if err == nil {
		ln2.Close()
		t.Fatal("the same port was bound twice")
	}
	return err
}

func quietTLSServer(t *testing.T, cfg *tls.Config) *httptest.Server {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the server's side of the failed handshakes
	srv.TLS = cfg
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv
}

// untrustedServer: the default client does not trust httptest's CA.
func untrustedServer(t *testing.T) error {
	srv := quietTLSServer(t, nil)
	c := &http.Client{Transport: &http.Transport{}}
	_, err := c.Get(srv.URL)
	if err == nil {
		t.Fatal("an untrusted server certificate was accepted")
	}
	return err
}

// wrongHostname: the CA is trusted, but the certificate names other hosts.
func wrongHostname(t *testing.T) error {
	srv := quietTLSServer(t, nil)
	tr := srv.Client().Transport.(*http.Transport).Clone()
	tr.TLSClientConfig.ServerName = "bank.invalid"
	_, err := (&http.Client{Transport: tr}).Get(srv.URL)
	if err == nil {
		t.Fatal("a certificate for another host was accepted")
	}
	return err
}

// plainHTTPServer: https:// to a port that speaks plain HTTP.
func plainHTTPServer(t *testing.T) error {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {}))
	t.Cleanup(srv.Close)
	_, err := http.Get("https://" + srv.Listener.Addr().String() + "/v1/consents")
	if err == nil {
		t.Fatal("https to a plain-HTTP port succeeded")
	}
	return err
}

// clientCertRefused: the server demands a client certificate the client
// does not have and answers with a TLS alert.
func clientCertRefused(t *testing.T) error {
	srv := quietTLSServer(t, &tls.Config{ClientAuth: tls.RequireAnyClientCert})
	_, err := srv.Client().Get(srv.URL)
	if err == nil {
		t.Fatal("the server took a client without a certificate")
	}
	return err
}
