package main_test

// The helpers the end-to-end tests share, in one place: the binary under
// test and its fixtures (TestMain), the user at a terminal and the bank
// they talk to, `xs2a sandbox serve` as a served bank, flow records, curl
// and `xs2a proxy`, headless Chromium, and the hostile banks. A helper only
// one test file uses stays in that file; the one child-process type is
// proc (proc_test.go), and how the binary is built is build_test.go.

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/xs2a-dev/xs2a/pkg/profile"
	"github.com/xs2a-dev/xs2a/pkg/qcert"
	"github.com/xs2a-dev/xs2a/pkg/sandbox"
	"github.com/xs2a-dev/xs2a/pkg/shquote"
	"github.com/xs2a-dev/xs2a/pkg/state"
)

var (
	bin   string // the built xs2a
	fixed string // directory with generated certificates and keys
)

func TestMain(m *testing.M) {
	code, err := setup(m)
	if err != nil {
		fmt.Fprintln(os.Stderr, "setup:", err)
		os.Exit(1)
	}
	os.Exit(code)
}

func setup(m *testing.M) (int, error) {
	dir, err := os.MkdirTemp("", "xs2a-cli-test-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(dir)
	bin = filepath.Join(dir, "xs2a")
	if err := buildXS2A(bin); err != nil {
		return 0, err
	}
	fixed = filepath.Join(dir, "fixed")
	if err := os.MkdirAll(fixed, 0o700); err != nil {
		return 0, err
	}
	set, err := qcert.GenerateSet(qcert.Options{Org: qcert.DefaultOrg, Roles: sandbox.DefaultRoles}) // as the sandbox makes its own: AIS, PIS and PIIS
	if err != nil {
		return 0, err
	}
	files := map[string][]byte{
		"ca.pem": set.CA.CertPEM(), "ca.key": set.CA.KeyPEM(),
		"qwac.pem": set.QWAC.CertPEM(), "qwac.key": set.QWAC.KeyPEM(),
		"qseal.pem": set.QSeal.CertPEM(), "qseal.key": set.QSeal.KeyPEM(),
		"server.pem": set.Server.CertPEM(), "server.key": set.Server.KeyPEM(),
		"encrypted.key":    pem.EncodeToMemory(&pem.Block{Type: "ENCRYPTED PRIVATE KEY", Bytes: []byte{0x30, 0x03, 0x02, 0x01, 0x00}}),
		"garbage.pem":      []byte("this is not a certificate\n"),
		"request-bad.http": []byte("this is not http\n"),
	}
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ecDER, _ := x509.MarshalPKCS8PrivateKey(ec)
	files["ec.key"] = pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: ecDER})
	// An expired certificate signed by the test CA.
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(77), Subject: pkix.Name{CommonName: "expired TPP", Organization: []string{"Old Oy"}},
		NotBefore: time.Now().Add(-48 * time.Hour), NotAfter: time.Now().Add(-24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, set.CA.Cert, set.QSeal.Key.Public(), set.CA.Key)
	if err != nil {
		return 0, err
	}
	files["expired.pem"] = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	weak, _ := rsa.GenerateKey(rand.Reader, 1024)
	wk, _ := x509.MarshalPKCS8PrivateKey(weak)
	files["weak.key"] = pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: wk})
	// A QWAC-like certificate with a 1024-bit key and one with an EC key,
	// both otherwise copies of the good QWAC (same QCStatements and subject).
	for name, pub := range map[string]any{"weak-qwac.pem": &weak.PublicKey, "ec-qwac.pem": &ec.PublicKey} {
		tmpl := *set.QWAC.Cert
		tmpl.SerialNumber = big.NewInt(int64(len(name)))
		tmpl.ExtraExtensions = nil
		for _, e := range set.QWAC.Cert.Extensions {
			if e.Id.Equal(qcert.OIDQCStatements) {
				tmpl.ExtraExtensions = append(tmpl.ExtraExtensions, e)
			}
		}
		d, err := x509.CreateCertificate(rand.Reader, &tmpl, set.CA.Cert, pub, set.CA.Key)
		if err != nil {
			return 0, err
		}
		files[name] = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: d})
	}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(fixed, name), b, 0o600); err != nil {
			return 0, err
		}
	}
	return m.Run(), nil
}

type result struct {
	stdout, stderr string
	code           int
}

// xs2a runs the binary in dir with a clean environment: no user config, no colour.
func xs2a(t *testing.T, dir, stdin string, env []string, args ...string) result {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	home := t.TempDir()
	cmd.Env = append([]string{"HOME=" + home, "XDG_CONFIG_HOME=" + filepath.Join(home, ".config"),
		"XDG_STATE_HOME=" + filepath.Join(home, ".state"), "PATH=" + os.Getenv("PATH"), "NO_COLOR=1"}, env...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("running xs2a: %v", err)
	}
	return result{out.String(), withoutInvocation(errb.String(), args), code}
}

// withoutInvocation is stderr with the --config and -p this run was given
// taken out of the commands its hints and next steps name ("`xs2a
// --config '/tmp/…' -p sb certs check`" reads "`xs2a certs check`"), so
// that the tests compare the words that matter; that the flags are there
// is TestHintsNameTheProfileInUse's and TestHintsNameTheFlagsGiven's.
func withoutInvocation(stderr string, args []string) string {
	inv := "xs2a"
	for i := 0; i+1 < len(args); i++ {
		switch args[i] {
		case "--config":
			inv += " --config " + shquote.Arg(args[i+1])
		case "-p", "--profile":
			inv += " -p " + shquote.Arg(args[i+1])
		}
	}
	if inv == "xs2a" {
		return stderr
	}
	return strings.NewReplacer("`"+inv+" ", "`xs2a ", "next: "+inv+" ", "next: xs2a ", ", then "+inv+" ", ", then xs2a ").Replace(stderr)
}

// fixture is the path of a file setup wrote to fixed.
func fixture(name string) string { return filepath.Join(fixed, name) }

// bank is a sandbox and the directory its certificate set was written to.
type bank struct {
	s     *sandbox.Server
	certs string
}

// startBank starts a sandbox with a fresh certificate set written with
// qcert.Set.Write, so profiles can name the files.
func startBank(t *testing.T, opts sandbox.Options) *bank {
	t.Helper()
	// The roles the sandbox gives its own certificates: AIS, PIS and PIIS.
	set, err := qcert.GenerateSet(qcert.Options{Org: qcert.DefaultOrg, Roles: sandbox.DefaultRoles})
	if err != nil {
		t.Fatal(err)
	}
	certs := filepath.Join(t.TempDir(), "certs")
	if err := set.Write(certs, false); err != nil {
		t.Fatal(err)
	}
	opts.Certs = set
	s, err := sandbox.Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return &bank{s: s, certs: certs}
}

func (b *bank) file(name string) string { return filepath.Join(b.certs, name) }

// user is one person at a terminal: a config file with one profile "sb"
// for the bank, a HOME and a state directory of their own, and a BROWSER.
type user struct {
	t    *testing.T
	b    *bank
	dir  string
	cfg  string
	home string
	env  []string
}

// newUser writes a complete profile for b; edits replace values, an empty
// value leaves the key out.
func newUser(t *testing.T, b *bank, edits map[string]string) *user {
	t.Helper()
	dir := t.TempDir()
	s := b.s
	p := map[string]string{
		"base_url": s.URL, "token_url": s.URL + "/oauth/token", "authorize_url": s.AuthURL + "/oauth/authorize",
		"client_id": s.DefaultApp.ClientID, "client_secret": s.DefaultApp.ClientSecret, "api_key": s.DefaultApp.APIKey,
		"api_key_header": "X-API-Key",
		"qwac_cert":      b.file("qwac.pem"), "qwac_key": b.file("qwac.key"),
		"qseal_cert": b.file("qseal.pem"), "qseal_key": b.file("qseal.key"),
		"ca_bundle": b.file("ca.pem"),
	}
	for k, v := range edits {
		if !slices.Contains(profile.Keys, k) {
			t.Fatalf("newUser: %q is not a profile key (profile.Keys)", k)
		}
		p[k] = v
	}
	// The keys in the order of profile.Keys; "signing.x" is x under signing.
	var y strings.Builder
	y.WriteString("profile: sb\nprofiles:\n  sb:\n")
	section := ""
	for _, k := range profile.Keys {
		v := p[k]
		if v == "" {
			continue
		}
		indent := "    "
		if sub, leaf, nested := strings.Cut(k, "."); nested {
			if sub != section {
				y.WriteString(indent + sub + ":\n")
				section = sub
			}
			indent, k = indent+"  ", leaf
		} else {
			section = ""
		}
		y.WriteString(indent + k + ": " + yamlQuote(v) + "\n")
	}
	cfg := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(cfg, []byte(y.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	// The PSU's browser: curl follows the bank's redirect to the CLI's
	// loopback listener, as a browser would.
	browser := filepath.Join(dir, "browser.sh")
	script := "#!/bin/sh\nexec curl -sS --cacert '" + b.file("ca.pem") + "' -L \"$1\" >/dev/null\n"
	if err := os.WriteFile(browser, []byte(script), 0o700); err != nil {
		t.Fatal(err)
	}
	home := filepath.Join(dir, "home")
	u := &user{t: t, b: b, dir: dir, cfg: cfg, home: home}
	u.env = []string{"HOME=" + home, "XDG_STATE_HOME=" + filepath.Join(home, ".state"), "XDG_CONFIG_HOME=" + filepath.Join(home, ".config"),
		"BROWSER=" + browser}
	return u
}

// authorizedUser is a TPP whose PSU has approved a consent at an
// auto-approving bank with no rate limits: the state holds the PSU's tokens.
func authorizedUser(t *testing.T) *user {
	t.Helper()
	b := startBank(t, sandbox.Options{AutoApprove: true, RatePerSecond: -1, RatePerDay: -1})
	u := newUser(t, b, nil)
	u.must("token")
	u.must("consent", "create")
	u.must("authorize", "--exchange", "--timeout", "20s")
	return u
}

// needCurl skips a test that plays the PSU's browser with curl when there
// is none (CI must have it).
func needCurl(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("curl"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("CI=true and no curl on PATH: the client tests use it as the PSU's browser")
		}
		t.Skip("no curl on PATH: it plays the PSU's browser here")
	}
}

// yamlQuote writes a YAML double-quoted scalar (paths and URLs only).
func yamlQuote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// run runs xs2a with the user's config, HOME, state and browser.
func (u *user) run(args ...string) result {
	u.t.Helper()
	return xs2a(u.t, u.dir, "", u.env, append([]string{"--config", u.cfg}, args...)...)
}

// runEnv is run with extra environment (later entries win).
func (u *user) runEnv(env []string, args ...string) result {
	u.t.Helper()
	return xs2a(u.t, u.dir, "", append(append([]string{}, u.env...), env...), append([]string{"--config", u.cfg}, args...)...)
}

func (u *user) statePath() string {
	return filepath.Join(u.home, ".state", "xs2a", "profiles", "sb.json")
}

// state reads the profile's state file.
func (u *user) state() *state.State {
	u.t.Helper()
	b, err := os.ReadFile(u.statePath())
	if err != nil {
		u.t.Fatalf("state file: %v", err)
	}
	var st state.State
	if err := json.Unmarshal(b, &st); err != nil {
		u.t.Fatalf("state file is not JSON: %v\n%s", err, b)
	}
	return &st
}

// must runs a command that has to succeed.
func (u *user) must(args ...string) result {
	u.t.Helper()
	r := u.run(args...)
	if r.code != 0 {
		u.t.Fatalf("xs2a %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
	}
	return r
}

// oneErrorLine asserts the documented error shape: the exit code, one
// "xs2a: error:" line on stderr containing each of want, nothing on stdout.
func oneErrorLine(t *testing.T, what string, r result, code int, want ...string) {
	t.Helper()
	if r.code != code {
		t.Errorf("%s: exit %d; want %d\nstderr: %s", what, r.code, code, r.stderr)
	}
	lines := strings.Split(strings.TrimRight(r.stderr, "\n"), "\n")
	last := lines[len(lines)-1]
	t.Logf("%s: exit %d: %s", what, r.code, last)
	if !strings.HasPrefix(last, "xs2a: error: ") {
		t.Errorf("%s: last stderr line %q is not an \"xs2a: error:\" line", what, last)
	}
	if n := strings.Count(r.stderr, "xs2a: error:"); n != 1 {
		t.Errorf("%s: %d error lines; want 1:\n%s", what, n, r.stderr)
	}
	for _, w := range want {
		if !strings.Contains(last, w) {
			t.Errorf("%s: error line %q lacks %q", what, last, w)
		}
	}
	if r.stdout != "" {
		t.Errorf("%s: stdout not empty on error: %q", what, r.stdout)
	}
	if strings.Contains(r.stderr, "goroutine ") || strings.Contains(r.stderr, "panic") {
		t.Errorf("%s: stack trace on stderr:\n%s", what, r.stderr)
	}
}

var consentLine = regexp.MustCompile(`^consent (\S+): received \(valid until \d{4}-\d{2}-\d{2}\)\n`)

// served is `xs2a sandbox serve` running as a process with its own config,
// HOME and state, and the profile "sb" it wrote.
type served struct {
	t    *testing.T
	dir  string
	cfg  string
	env  []string
	info serveInfo
	// log is the sandbox's stderr, written from the process's pipe.
	log *syncBuffer
}

func serveBinary(t *testing.T, args ...string) *served {
	t.Helper()
	dir := t.TempDir()
	home := filepath.Join(dir, "home")
	s := &served{t: t, dir: dir, cfg: filepath.Join(dir, "config.yaml"), log: &syncBuffer{},
		env: []string{"HOME=" + home, "XDG_STATE_HOME=" + filepath.Join(home, ".state"), "XDG_CONFIG_HOME=" + filepath.Join(home, ".config")}}
	p := startProc(t, "", s.env, append([]string{"--config", s.cfg, "sandbox", "serve", "--addr", "127.0.0.1:0", "--auth-addr", "127.0.0.1:0",
		"--certs", filepath.Join(dir, "certs"), "--write-profile", "sb", "--auto-approve", "--rate", "-1", "-o", "json"}, args...)...)
	s.log = p.stderr
	p.waitJSON(&s.info)
	return s
}

// run runs xs2a with the served config and profile.
func (s *served) run(env []string, args ...string) result {
	s.t.Helper()
	return xs2a(s.t, s.dir, "", append(append([]string{}, s.env...), env...), append([]string{"--config", s.cfg, "-p", "sb"}, args...)...)
}

// flowRecord is what `xs2a flow -o json` prints.
type flowRecord struct {
	Profile string `json:"profile"`
	Sandbox bool   `json:"sandbox"`
	OK      bool   `json:"ok"`
	Steps   []struct {
		Name      string `json:"name"`
		Sent      string `json:"sent"`
		Got       string `json:"got"`
		Millis    *int64 `json:"ms"`
		OK        bool   `json:"ok"`
		Error     string `json:"error"`
		Reproduce string `json:"reproduce"`
	} `json:"steps"`
	Cards []struct {
		ResourceID string     `json:"resource_id"`
		MaskedPan  string     `json:"masked_pan"`
		Available  flowAmount `json:"available"`
		// AvailableBalance: which balance available is.
		AvailableBalance string     `json:"available_balance"`
		CreditLimit      flowAmount `json:"credit_limit"`
	} `json:"cards"`
	ConsentID    string `json:"consent_id"`
	KeyGenMillis int64  `json:"key_generation_ms"`
	TotalMillis  int64  `json:"total_ms"`
}

// flowAmount is an amount of the flow record, {"amount": "310.92",
// "currency": "EUR"}, read as "310.92 EUR". It refuses any other form: an
// amount that is a number (a float) or a "310.92 EUR" string.
type flowAmount string

func (a *flowAmount) UnmarshalJSON(b []byte) error {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return fmt.Errorf("amount %s is not an object: %v", b, err)
	}
	var amount, currency string
	if err := json.Unmarshal(m["amount"], &amount); err != nil || len(m) != 2 {
		return fmt.Errorf("amount %s: want {\"amount\": \"<decimal string>\", \"currency\": ...}", b)
	}
	if err := json.Unmarshal(m["currency"], &currency); err != nil {
		return fmt.Errorf("amount %s: currency: %v", b, err)
	}
	*a = flowAmount(amount + " " + currency)
	return nil
}

// decodeFlowRecord insists that stdout is exactly one JSON document.
func decodeFlowRecord(t *testing.T, stdout string) flowRecord {
	t.Helper()
	var rec flowRecord
	dec := json.NewDecoder(strings.NewReader(stdout))
	if err := dec.Decode(&rec); err != nil {
		t.Fatalf("stdout is not the flow record: %v\n%s", err, stdout)
	}
	if rest := strings.TrimSpace(stdout[dec.InputOffset():]); rest != "" {
		t.Fatalf("stdout has more than the JSON record: %q", rest)
	}
	return rec
}

var flowStepNames = []string{"token", "consent create", "authorize", "token exchange", "card accounts",
	"balances", "transactions", "balances", "transactions"}

// checkWholeJourney asserts a successful record of the sandbox's journey.
func checkWholeJourney(t *testing.T, rec flowRecord) {
	t.Helper()
	if !rec.OK {
		t.Errorf("ok = false: %+v", rec.Steps)
	}
	var names []string
	for i, s := range rec.Steps {
		names = append(names, s.Name)
		if !s.OK || s.Error != "" || s.Millis == nil || *s.Millis < 0 || s.Sent == "" || s.Got == "" {
			t.Errorf("step %d %q: ok=%v error=%q ms=%v sent=%q got=%q", i+1, s.Name, s.OK, s.Error, s.Millis, s.Sent, s.Got)
		}
	}
	if strings.Join(names, ",") != strings.Join(flowStepNames, ",") {
		t.Errorf("steps %q; want %q", names, flowStepNames)
	}
	avail := map[string]string{}
	for _, c := range rec.Cards {
		avail[c.MaskedPan] = string(c.Available)
		// The money to spend, as the file's card notes name it; not
		// interimAvailable, which is what the card owes.
		if c.AvailableBalance != "expected with credit limit" {
			t.Errorf("card %s: available is the %q balance; want expected with credit limit", c.MaskedPan, c.AvailableBalance)
		}
	}
	if len(rec.Cards) != 2 {
		t.Errorf("%d cards; want 2: %+v", len(rec.Cards), rec.Cards)
	}
	for _, pan := range []string{"524378******8693", "524366******8694"} {
		if a, ok := avail[pan]; !ok || a == "" {
			t.Errorf("card %s missing or without an available balance: %v", pan, avail)
		}
	}
	if !strings.HasPrefix(rec.ConsentID, "cns-") {
		t.Errorf("consent_id %q", rec.ConsentID)
	}
}

// flowBrowser is $BROWSER for `flow -p sb`: it follows the authorization
// URL, which the auto-approving bank redirects to the CLI's listener.
func flowBrowser(t *testing.T, s *served) string {
	t.Helper()
	path := filepath.Join(s.dir, "browser.sh")
	script := "#!/bin/sh\nexec curl -sS --cacert '" + filepath.Join(s.dir, "certs", "ca.pem") + "' -L \"$1\" >/dev/null\n"
	if err := os.WriteFile(path, []byte(script), 0o700); err != nil {
		t.Fatal(err)
	}
	return path
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// curlStatus runs curl and splits its output into body and status code.
func curlStatus(t *testing.T, args ...string) (string, int) {
	t.Helper()
	out, err := exec.Command("curl", append([]string{"-sS", "-w", "\n%{http_code}"}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("curl %v: %v\n%s", args, err, out)
	}
	s := string(out)
	i := strings.LastIndex(s, "\n")
	code, err := strconv.Atoi(s[i+1:])
	if err != nil {
		t.Fatalf("curl output %q", s)
	}
	return s[:i], code
}

// proxyProc is a running `xs2a proxy`.
type proxyProc struct {
	*proc
	base string // http://127.0.0.1:PORT
	port int
}

// startProxy runs `xs2a proxy --listen HOST:PORT args...` for u on a free
// port and waits until it says it is proxying.
func startProxy(t *testing.T, u *user, host string, args ...string) *proxyProc {
	t.Helper()
	port := freePort(t)
	listen := net.JoinHostPort(host, strconv.Itoa(port))
	p := &proxyProc{proc: startProc(t, u.dir, u.env, append([]string{"--config", u.cfg, "proxy", "--listen", listen}, args...)...),
		port: port, base: "http://127.0.0.1:" + strconv.Itoa(port)}
	p.waitLine(`^proxying http://`)
	return p
}

// stop sends SIGINT and expects a clean exit.
func (p *proxyProc) stop() {
	p.t.Helper()
	if code := p.proc.stop(); code != 0 {
		p.t.Errorf("proxy after SIGINT: exit %d\n%s", code, p.stderr)
	}
}

// writeState replaces the profile's state file, as another machine's
// history would leave it.
func writeState(t *testing.T, u *user, st *state.State) {
	t.Helper()
	b, err := json.Marshal(st)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(u.statePath(), b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// chromium finds the browser: $XS2A_CHROMIUM, else the usual names on PATH.
// Without one the test skips, except in CI, which must run it.
func chromium(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("XS2A_CHROMIUM"); p != "" {
		if _, err := exec.LookPath(p); err != nil {
			t.Fatalf("XS2A_CHROMIUM=%s is not an executable: %v", p, err)
		}
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	const msg = "no Chromium: set XS2A_CHROMIUM or install chromium (apt-get install chromium)"
	if os.Getenv("CI") == "true" {
		t.Fatal(msg + "; CI must run the browser test")
	}
	t.Skip(msg)
	return ""
}

// startBrowser starts headless Chromium with a fresh profile, bounded by
// parent; it is stopped when the test ends, whatever happens. Tabs are
// opened on the returned context with newTab.
func startBrowser(t *testing.T, parent context.Context, path string) (context.Context, *syncBuffer) {
	t.Helper()
	out := &syncBuffer{}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox, // tests run as root, and Chromium's sandbox refuses root
		chromedp.DisableGPU,
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		// The in-process sandbox serves its pages with a certificate from
		// the CA it generated a moment ago. That CA is in no trust store
		// Chromium reads, and what is tested here is the PSU's pages and the
		// redirect, not TLS (the CLI's own connections verify the CA), so
		// certificate errors are ignored.
		chromedp.IgnoreCertErrors,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1024, 900),
		chromedp.CombinedOutput(out),
	}
	actx, acancel := chromedp.NewExecAllocator(parent, opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() {
		cancel()  // closes the first tab
		acancel() // stops the browser and waits for it to exit
	})
	// Start the browser now, so a failure to launch is reported as such.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("starting %s: %v\n%s", path, err, out)
	}
	return ctx, out
}

// newTab opens a tab, closed when the (sub)test ends. It is a tab of the
// profile, as the PSU's would be, not of an incognito-like browser context:
// a regular profile preconnects, and that is part of what the CLI meets.
func newTab(t *testing.T, browser context.Context) context.Context {
	t.Helper()
	ctx, cancel := chromedp.NewContext(browser)
	t.Cleanup(cancel)
	return ctx
}

// The secrets of the hostile bank's user; none may reach a secretCatcher.
const (
	hClientSecret = "client-secret-7f3a9c"
	hAPIKey       = "api-key-51d2e8"
	hUserToken    = "psu-access-token-0b6d"
	hRefresh      = "psu-refresh-token-9e21"
)

// secretCatcher records every request that reaches it.
type secretCatcher struct {
	URL  string
	mu   sync.Mutex
	seen []string
}

func (c *secretCatcher) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s\n", r.Method, r.URL)
	_ = r.Header.Write(&b)
	b.Write(body)
	c.mu.Lock()
	c.seen = append(c.seen, b.String())
	c.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	// Were it believed, this would be the user's token.
	_, _ = io.WriteString(w, `{"access_token":"stolen","token_type":"Bearer","expires_in":3600}`)
}

// nothing fails the test if anything reached the secretCatcher.
func (c *secretCatcher) nothing(t *testing.T) {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, s := range c.seen {
		t.Errorf("a request reached the secretCatcher at %s:\n%s", c.URL, s)
		for _, secret := range []string{hClientSecret, hAPIKey, hUserToken, hRefresh} {
			if strings.Contains(s, secret) {
				t.Errorf("  … carrying the secret %q", secret)
			}
		}
	}
}

// hostile is the bank and its two catchers.
type hostile struct {
	b          *bank
	srv        *httptest.Server
	mux        *http.ServeMux
	plain, tls *secretCatcher
}

// tlsCert is the bank's server certificate (valid for 127.0.0.1).
func (b *bank) tlsCert(t *testing.T) tls.Certificate {
	t.Helper()
	cert, err := tls.LoadX509KeyPair(b.file("server.pem"), b.file("server.key"))
	if err != nil {
		t.Fatal(err)
	}
	return cert
}

func startHostile(t *testing.T, b *bank) *hostile {
	t.Helper()
	h := &hostile{b: b, mux: http.NewServeMux(), plain: &secretCatcher{}, tls: &secretCatcher{}}
	cert := b.tlsCert(t)
	h.srv = httptest.NewUnstartedServer(h.mux)
	h.srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	h.srv.StartTLS()
	t.Cleanup(h.srv.Close)
	ps := httptest.NewServer(h.plain)
	t.Cleanup(ps.Close)
	h.plain.URL = ps.URL
	ts := httptest.NewUnstartedServer(h.tls)
	ts.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	ts.StartTLS()
	t.Cleanup(ts.Close)
	h.tls.URL = ts.URL
	return h
}

// user is a TPP configured for the hostile bank with the given edits.
func (h *hostile) user(t *testing.T, edits map[string]string) *user {
	t.Helper()
	p := map[string]string{"base_url": h.srv.URL, "token_url": h.srv.URL + "/oauth/token", "authorize_url": h.srv.URL + "/oauth/authorize",
		"client_id": "hostile-client", "client_secret": hClientSecret, "api_key": hAPIKey}
	for k, v := range edits {
		p[k] = v
	}
	return newUser(t, h.b, p)
}

// nothingCaught asserts neither secretCatcher saw a request.
func (h *hostile) nothingCaught(t *testing.T) {
	t.Helper()
	h.plain.nothing(t)
	h.tls.nothing(t)
}

func redirectTo(status int, target string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Location", target)
		w.WriteHeader(status)
	}
}

func tokenAnswer(body string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, body)
	}
}

// authorized writes a state with the PSU's tokens and a consent.
func authorizedState(t *testing.T, u *user) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(u.statePath()), 0o700); err != nil {
		t.Fatal(err)
	}
	writeState(t, u, &state.State{ConsentID: "cns-1", ConsentStatus: "valid",
		ClientToken: &state.Token{AccessToken: "client-token-x", Expiry: time.Now().Add(time.Hour)},
		UserToken:   &state.Token{AccessToken: hUserToken, RefreshToken: hRefresh, Expiry: time.Now().Add(time.Hour), ConsentID: "cns-1"}})
}

// hostileBank serves h over TLS on 127.0.0.1 with a random port.
func hostileBank(tb testing.TB, h http.Handler) *httptest.Server {
	tb.Helper()
	cert, err := tls.LoadX509KeyPair(fixture("server.pem"), fixture("server.key"))
	if err != nil {
		tb.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(h)
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	srv.StartTLS()
	tb.Cleanup(srv.Close)
	return srv
}

// hostileUser has a profile "sb" for the bank at url, signing with the
// fixed certificates, and a valid PSU token and consent in its state.
func hostileUser(tb testing.TB, url string) *user {
	tb.Helper()
	dir := tb.TempDir()
	cfg := filepath.Join(dir, "config.yaml")
	yaml := "profile: sb\nprofiles:\n  sb:\n" +
		"    base_url: " + yamlQuote(url) + "\n" +
		"    token_url: " + yamlQuote(url+"/oauth/token") + "\n" +
		"    client_id: tpp\n" +
		"    qwac_cert: " + yamlQuote(fixture("qwac.pem")) + "\n    qwac_key: " + yamlQuote(fixture("qwac.key")) + "\n" +
		"    qseal_cert: " + yamlQuote(fixture("qseal.pem")) + "\n    qseal_key: " + yamlQuote(fixture("qseal.key")) + "\n" +
		"    ca_bundle: " + yamlQuote(fixture("ca.pem")) + "\n"
	if err := os.WriteFile(cfg, []byte(yaml), 0o600); err != nil {
		tb.Fatal(err)
	}
	home := filepath.Join(dir, "home")
	st := &state.State{ConsentID: "consent-1", ConsentStatus: "valid",
		UserToken: &state.Token{AccessToken: "psu-token", Expiry: time.Now().Add(24 * time.Hour), ConsentID: "consent-1"}}
	if err := state.Open(filepath.Join(home, ".state", "xs2a")).Save("sb", st); err != nil {
		tb.Fatal(err)
	}
	t, _ := tb.(*testing.T)
	return &user{t: t, dir: dir, cfg: cfg, home: home,
		env: []string{"HOME=" + home, "XDG_STATE_HOME=" + filepath.Join(home, ".state"), "XDG_CONFIG_HOME=" + filepath.Join(home, ".config")}}
}

// signCurl signs raw with the fixed QSealC and prints it as a curl command.
func signCurl(t *testing.T, dir, raw string, extra ...string) result {
	t.Helper()
	req := filepath.Join(dir, "req.http")
	if err := os.WriteFile(req, []byte(raw), 0o600); err != nil {
		t.Fatal(err)
	}
	return xs2a(t, dir, "", nil, append([]string{"sign", "--key", fixture("qseal.key"), "--cert", fixture("qseal.pem"), "--request", req, "--format", "curl"}, extra...)...)
}

// noRawControls fails when out holds an ESC, BEL or C1 byte: a terminal
// would obey them.
func noRawControls(t *testing.T, what, out string) {
	t.Helper()
	if i := strings.IndexAny(out, "\x1b\x07\u009b\u202e"); i >= 0 {
		t.Errorf("%s: raw control character at %d: %q", what, i, out[max(0, i-40):min(len(out), i+40)])
	}
}

func readCert(t *testing.T, path string) *x509.Certificate {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	blk, _ := pem.Decode(b)
	if blk == nil {
		t.Fatalf("%s: no PEM block", path)
	}
	c, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// serveInfo is `xs2a sandbox serve -o json`: every value as a string, a
// masked secret's null as "" and its *_masked as "true".
type serveInfo map[string]string

func (s *serveInfo) UnmarshalJSON(b []byte) error {
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	*s = serveInfo{}
	for k, v := range m {
		if v != nil {
			(*s)[k] = fmt.Sprint(v)
		}
	}
	return nil
}
