package main_test

// Hostile files through the built binary: a crafted bundle that would send
// the live credentials elsewhere, a crafted request file whose curl command
// runs something, a symlink planted where the state goes.

import (
	"crypto/tls"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/xs2a-dev/xs2a/pkg/bundle"
	"github.com/xs2a-dev/xs2a/pkg/sandbox"
)

// catcher is a TLS server the attacker runs, with a certificate the
// client trusts (the sandbox's own, valid for 127.0.0.1): whatever reaches
// it is recorded. A credential sent here is a credential stolen.
type catcher struct {
	srv   *httptest.Server
	mu    sync.Mutex
	conns int
	reqs  []string
}

func startCatcher(t *testing.T, b *bank) *catcher {
	t.Helper()
	c := &catcher{}
	cert, err := tls.X509KeyPair(b.s.Certs.Server.CertPEM(), b.s.Certs.Server.KeyPEM())
	if err != nil {
		t.Fatal(err)
	}
	c.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.mu.Lock()
		c.reqs = append(c.reqs, r.Method+" "+r.URL.String()+" Authorization="+r.Header.Get("Authorization")+
			" Consent-ID="+r.Header.Get("Consent-ID")+" X-API-Key="+r.Header.Get("X-API-Key"))
		c.mu.Unlock()
		w.WriteHeader(200)
	}))
	c.srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}, ClientAuth: tls.RequestClientCert}
	c.srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			c.mu.Lock()
			c.conns++
			c.mu.Unlock()
		}
	}
	c.srv.StartTLS()
	t.Cleanup(c.srv.Close)
	return c
}

func (c *catcher) addr() string { return c.srv.Listener.Addr().String() }

func (c *catcher) caught() (int, []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.conns, append([]string(nil), c.reqs...)
}

// writeBundle writes exchanges as a --record directory would hold them.
func writeBundle(t *testing.T, dir string, exs map[string]*bundle.Exchange) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	for name, e := range exs {
		b, err := json.MarshalIndent(e, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

func apiExchange(baseURL, url, target string) *bundle.Exchange {
	return &bundle.Exchange{Format: bundle.Format, Kind: bundle.KindAPI, BaseURL: baseURL,
		Request:  bundle.Request{Method: "GET", URL: url, Target: target, Headers: []bundle.Field{{Name: "Accept", Value: "application/json"}, {Name: "PSU-IP-Address", Value: "192.0.2.10"}}},
		Response: &bundle.Response{Status: 200}}
}

func TestReplayNeverLeavesTheProfileOrigin(t *testing.T) {
	needCurl(t)
	u := authorizedUser(t)
	c := startCatcher(t, u.b)
	base := u.b.s.URL
	evil := c.addr()
	hostile := map[string]*bundle.Exchange{
		"userinfo":           apiExchange(base, "", "@"+evil+"/v1/accounts"),
		"userinfo, consents": apiExchange(base, "", "@"+evil+"/v1/consents/x/status"), // the API key

		"host suffix":        apiExchange(base, "", ".evil.example/v1/accounts"),
		"scheme-relative":    apiExchange(base, "", "//"+evil+"/v1/accounts"),
		"backslashes":        apiExchange(base, "", `/\`+evil+"/v1/accounts"),
		"absolute":           apiExchange(base, "", "https://"+evil+"/v1/accounts"),
		"encoded slashes":    apiExchange(base, "", "/%2F%2F"+evil+"/v1/accounts"),
		"dot segments":       apiExchange(base, "", "/v1/../../v1/accounts"),
		"control characters": apiExchange(base, "", "/v1/accounts\x1b]0;pwned\x07"),
		// No target: the URL's path is used, relative to the recorded
		// base_url, which is the attacker's to choose too.
		"url only": apiExchange("", "@"+evil+"/v1/accounts", ""),
	}
	for name, e := range hostile {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "bundle")
			rec := filepath.Join(t.TempDir(), "rec")
			// A good exchange first: nothing may be sent, not even it.
			writeBundle(t, dir, map[string]*bundle.Exchange{
				"001-good.json":             apiExchange(base, base+"/v1/accounts", "/v1/accounts"),
				"002-\x1b[31mevil\x07.json": e,
			})
			r := u.run("replay", dir, "--record", rec)
			oneErrorLine(t, "replay of "+name, r, 2, `002-\x1b[31mevil\x07.json`, "base_url")
			if strings.Contains(r.stderr, "\x1b") {
				t.Errorf("raw ESC on stderr: %q", r.stderr)
			}
			if n, reqs := c.caught(); n > 0 || len(reqs) > 0 {
				t.Errorf("the catcher got %d connection(s): %q", n, reqs)
			}
			if got, _ := filepath.Glob(filepath.Join(rec, "*.json")); len(got) > 0 {
				t.Errorf("replay sent %d exchange(s) before refusing: %v", len(got), got)
			}
		})
	}
	// The good exchange alone replays: the check refuses only what leaves.
	dir := filepath.Join(t.TempDir(), "good")
	writeBundle(t, dir, map[string]*bundle.Exchange{"001.json": apiExchange(base, base+"/v1/accounts", "/v1/accounts?withBalance=true")})
	if r := u.run("replay", dir); r.code != 0 {
		t.Errorf("replay of a good bundle: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// runShell runs script with sh in dir, PATH starting with pathDir.
func runShell(t *testing.T, dir, pathDir, script string) (string, error) {
	t.Helper()
	cmd := exec.Command("sh", "-c", script)
	cmd.Dir = dir
	cmd.Env = []string{"PATH=" + pathDir + string(os.PathListSeparator) + os.Getenv("PATH"), "HOME=" + dir}
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func noSideEffects(t *testing.T, dir string) {
	t.Helper()
	if got, _ := filepath.Glob(filepath.Join(dir, "pwned*")); len(got) > 0 {
		t.Errorf("pasting the curl command ran a command: %v exist", got)
	}
}

// The method, the URL, every header and the body of a crafted request
// file reach curl's argv exactly as written, and nothing else runs.
func TestSignCurlIsInertInAShell(t *testing.T) {
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh")
	}
	dir := t.TempDir()
	// curl replaced by a stub that writes its argv, NUL-separated.
	stubs := filepath.Join(dir, "stubs")
	os.MkdirAll(stubs, 0o700)
	argvFile := filepath.Join(dir, "argv")
	os.WriteFile(filepath.Join(stubs, "curl"), []byte("#!/bin/sh\nfor a; do printf '%s\\0' \"$a\"; done > '"+argvFile+"'\n"), 0o700)
	// A QWAC path with a quote, a space and a colon (curl's password separator).
	qdir := filepath.Join(dir, "it's a:dir")
	os.MkdirAll(qdir, 0o700)
	qwac := filepath.Join(qdir, "qwac.pem")
	b, _ := os.ReadFile(fixture("qwac.pem"))
	os.WriteFile(qwac, b, 0o600)

	// Every character of this method is an RFC 9110 tchar: it is a valid
	// method, and a command substitution when left unquoted.
	method := "GET`touch$IFS'pwned1'`"
	url := "https://bank.example/v1/accounts?a=1&b=$(touch$IFS'pwned2')&c=[1]{2}"
	evil := "$(touch pwned3) `touch pwned4` 'q' \"dq\" \\ ;touch pwned5"
	body := "@/etc/passwd\nline 2 $(touch pwned6) 'it''s'\n"
	raw := method + " " + url + " HTTP/1.1\r\nHost: bank.example\r\nX-Evil: " + evil + "\r\nContent-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n" + body
	r := signCurl(t, dir, raw, "--qwac-cert", qwac, "--qwac-key", fixture("qwac.key"))
	if r.code != 0 {
		t.Fatalf("sign --format curl: exit %d: %s", r.code, r.stderr)
	}
	t.Logf("curl command:\n%s", r.stdout)
	if out, err := runShell(t, dir, stubs, "set -n\n"+r.stdout); err != nil {
		t.Fatalf("sh -n: %v %s", err, out)
	}
	if out, err := runShell(t, dir, stubs, r.stdout); err != nil {
		t.Fatalf("running the curl command: %v %s", err, out)
	}
	noSideEffects(t, dir)
	raw2, err := os.ReadFile(argvFile)
	if err != nil {
		t.Fatalf("the stub curl did not run: %v", err)
	}
	argv := strings.Split(strings.TrimSuffix(string(raw2), "\x00"), "\x00")
	after := func(flag string) []string {
		var vals []string
		for i := 0; i+1 < len(argv); i++ {
			if argv[i] == flag {
				vals = append(vals, argv[i+1])
			}
		}
		return vals
	}
	if got := after("-X"); len(got) != 1 || got[0] != method {
		t.Errorf("-X %q; want %q", got, method)
	}
	if got := after("--url"); len(got) != 1 || got[0] != url {
		t.Errorf("--url %q; want %q (argv %q)", got, url, argv)
	}
	if got := after("--data-raw"); len(got) != 1 || got[0] != body {
		t.Errorf("--data-raw %q; want %q: --data-binary would read a file for @", got, body)
	}
	if got := after("--cert"); len(got) != 1 || got[0] != strings.ReplaceAll(qwac, ":", `\:`) {
		t.Errorf("--cert %q; want the path with its colon escaped for curl", got)
	}
	if !slices.Contains(after("-H"), "X-Evil: "+evil) {
		t.Errorf("-H values %q lack X-Evil exactly", after("-H"))
	}
	if !slices.Contains(argv, "--globoff") {
		t.Errorf("no --globoff: curl would expand [1]{2} in the URL: %q", argv)
	}

	// A method that is not a token, from --method, is refused.
	r = xs2a(t, dir, "", nil, "sign", "--key", fixture("qseal.key"), "--cert", fixture("qseal.pem"), "--url", "https://bank.example/v1", "-X", "get;touch /tmp/x", "--format", "curl")
	oneErrorLine(t, "a method that is not a token", r, 2, "method", "RFC 9110")
	// A header value with a line break would split the header.
	r = xs2a(t, dir, "", nil, "sign", "--key", fixture("qseal.key"), "--cert", fixture("qseal.pem"), "--url", "https://bank.example/v1", "-H", "X-A: a\nInjected: 1", "--format", "curl")
	oneErrorLine(t, "a header value with a newline", r, 2, "X-A", "line break")
	// A body with a NUL byte cannot be a shell argument.
	r = signCurl(t, dir, "POST /v1/x HTTP/1.1\r\nHost: bank.example\r\nContent-Length: 3\r\n\r\na\x00b")
	oneErrorLine(t, "a body with a NUL byte", r, 2, "NUL", "--format http")

	// And through a real curl to a loopback server: what arrives is what
	// the file says.
	if _, err := exec.LookPath("curl"); err != nil {
		t.Skip("no curl on PATH")
	}
	type got struct{ method, evil, body string }
	ch := make(chan got, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		ch <- got{r.Method, r.Header.Get("X-Evil"), string(b)}
	}))
	defer srv.Close()
	raw = method + " " + srv.URL + "/v1/consents HTTP/1.1\r\nHost: x\r\nX-Evil: " + evil + "\r\nContent-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n" + body
	r = signCurl(t, dir, raw)
	if r.code != 0 {
		t.Fatalf("sign --format curl: exit %d: %s", r.code, r.stderr)
	}
	if out, err := runShell(t, dir, t.TempDir(), r.stdout); err != nil {
		t.Fatalf("running the curl command: %v %s", err, out)
	}
	noSideEffects(t, dir)
	select {
	case g := <-ch:
		if g != (got{method, evil, body}) {
			t.Errorf("the server got %+v; want %q, %q, %q", g, method, evil, body)
		}
	default:
		t.Error("the request did not reach the server")
	}
}

// A symlink planted where the state goes is refused, its target left as
// it was; a config file or state others can read draws one warning each.
func TestStateFilesThroughTheBinary(t *testing.T) {
	b := startBank(t, sandbox.Options{AutoApprove: true, RatePerSecond: -1, RatePerDay: -1})
	u := newUser(t, b, nil)
	r := u.must("token")
	if strings.Contains(r.stderr, "warning:") {
		t.Errorf("warning with private files: %s", r.stderr)
	}
	path := u.statePath()
	dir := filepath.Dir(path)

	// Readable by others: one warning each, naming the fix.
	os.Chmod(u.cfg, 0o644)
	os.Chmod(dir, 0o755)
	os.Chmod(path, 0o640)
	r = u.must("token")
	for _, want := range []string{
		"warning: config file " + u.cfg + " holds api_key and client_secret and others can read it (mode 0644): chmod 600 " + u.cfg + "\n",
		"warning: state directory " + dir + " holds tokens and others can read it (mode 0755): chmod 700 " + dir + "\n",
		"warning: state file " + path + " holds tokens and others can read it (mode 0640): chmod 600 " + path + "\n",
	} {
		if n := strings.Count(r.stderr, want); n != 1 {
			t.Errorf("%d times on stderr: %q\n%s", n, want, r.stderr)
		}
	}
	os.Chmod(u.cfg, 0o600)
	os.Chmod(dir, 0o700)
	os.Chmod(path, 0o600)
	if r = u.must("token"); strings.Contains(r.stderr, "warning:") {
		t.Errorf("warning after chmod: %s", r.stderr)
	}

	// A symlink at the state file and at the lock file.
	for _, name := range []string{filepath.Base(path), "sb.lock"} {
		const victim = "the user's own file\n"
		outside := filepath.Join(t.TempDir(), "victim")
		os.WriteFile(outside, []byte(victim), 0o600)
		link := filepath.Join(dir, name)
		saved, _ := os.ReadFile(link)
		os.Remove(link)
		if err := os.Symlink(outside, link); err != nil {
			t.Fatal(err)
		}
		r = u.run("token")
		oneErrorLine(t, "symlink at "+name, r, 1, link, "symbolic link")
		if got, _ := os.ReadFile(outside); string(got) != victim {
			t.Errorf("%s: the link's target was changed: %q", name, got)
		}
		if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
			t.Errorf("%s: the link was replaced", name)
		}
		os.Remove(link)
		os.WriteFile(link, saved, 0o600)
	}
}

// What came from a request file or a bundle is printed escaped: the
// method, path, headers, keyId and signing string.
func TestSignOutputEscapesTheFile(t *testing.T) {
	dir := t.TempDir()
	osc := "\x1b]0;pwned\x07"
	raw := "GET /v1/accounts" + osc + " HTTP/1.1\r\nHost: bank.example\r\nX-Request-ID: \x1b[2J\u202eevil\r\nPSU-ID: \x1b[31mred\u009b\r\n\r\n"
	req := filepath.Join(dir, "req.http")
	os.WriteFile(req, []byte(raw), 0o600)

	// sign --explain: the signing string and the keyId on stderr.
	r := xs2a(t, dir, "", nil, "sign", "--key", fixture("qseal.key"), "--cert", fixture("qseal.pem"), "--request", req, "--explain",
		"--key-id", "SN=1,CA=\x1b[31mx", "--generic", "--headers", "(request-target) x-request-id psu-id")
	if r.code != 0 {
		t.Fatalf("sign: exit %d %s", r.code, r.stderr)
	}
	noRawControls(t, "sign --explain stderr", r.stderr)
	noRawControls(t, "sign stdout", r.stdout)
	for _, want := range []string{`\x1b]0;pwned\x07`, `\x1b[2J`, `\u202e`, `SN=1,CA=\x1b[31mx`} {
		if !strings.Contains(r.stderr+r.stdout, want) {
			t.Errorf("sign output lacks %s:\n%s\n%s", want, r.stderr, r.stdout)
		}
	}

	// The signed message, verified: the report names path and headers.
	signed := xs2a(t, dir, "", nil, "sign", "--key", fixture("qseal.key"), "--cert", fixture("qseal.pem"), "--request", req, "--format", "http")
	if signed.code != 0 {
		t.Fatalf("sign --format http: exit %d %s", signed.code, signed.stderr)
	}
	sf := filepath.Join(dir, "signed.http")
	os.WriteFile(sf, []byte(strings.Replace(signed.stdout, "keyId=\"", "keyId=\"\x1b[31m", 1)), 0o600)
	r = xs2a(t, dir, "", nil, "sign", "verify", sf, "--explain")
	noRawControls(t, "sign verify", r.stdout+r.stderr)
	for _, want := range []string{`/v1/accounts\x1b]0;pwned\x07`, `\x1b[2J`, `\x1b[31m`} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("sign verify lacks %s:\n%s", want, r.stdout)
		}
	}
	// JSON keeps JSON's escaping.
	r = xs2a(t, dir, "", nil, "sign", "verify", sf, "-o", "json")
	if strings.ContainsAny(r.stdout, "\x1b\x07") {
		t.Errorf("sign verify -o json holds a raw ESC or BEL")
	}
	if !json.Valid([]byte(r.stdout)) || !strings.Contains(r.stdout, `\u001b[2J`) {
		t.Errorf("sign verify -o json:\n%s", r.stdout)
	}

	// sign verify --bundle: the recorded method and target.
	bdir := filepath.Join(dir, "bundle")
	e := apiExchange("https://bank.example", "", "/v1/accounts"+osc)
	e.Request.Headers = append(e.Request.Headers, bundle.Field{Name: "Signature", Value: `keyId="` + osc + `",algorithm="rsa-sha256",headers="x-request-id",signature="AA=="`},
		bundle.Field{Name: "X-Request-ID", Value: osc})
	writeBundle(t, bdir, map[string]*bundle.Exchange{"001.json": e})
	r = xs2a(t, dir, "", nil, "sign", "verify", "--bundle", bdir)
	noRawControls(t, "sign verify --bundle", r.stdout+r.stderr)
	if !strings.Contains(r.stdout, `/v1/accounts\x1b]0;pwned\x07`) {
		t.Errorf("sign verify --bundle:\n%s", r.stdout)
	}
}
