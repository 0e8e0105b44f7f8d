package main_test

// `xs2a authorize` diagnosing the redirect that never reaches the CLI:
// the checks before the browser opens, the idle notice while waiting, and
// the URL pasted on standard input. The PSU's browser is an HTTP client.

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/xs2a-dev/xs2a/pkg/sandbox"
)

// setKeys adds profile keys newUser does not write to the user's profile
// "sb", which is the last mapping in the file.
func (u *user) setKeys(kv ...string) {
	u.t.Helper()
	f, err := os.OpenFile(u.cfg, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		u.t.Fatal(err)
	}
	defer f.Close()
	for i := 0; i+1 < len(kv); i += 2 {
		if _, err := fmt.Fprintf(f, "    %s: %s\n", kv[i], kv[i+1]); err != nil {
			u.t.Fatal(err)
		}
	}
}

func TestAuthorizeChecksBeforeTheBrowser(t *testing.T) {
	b := startBank(t, sandbox.Options{AutoApprove: true, RatePerSecond: -1, RatePerDay: -1})

	t.Run("port in use", func(t *testing.T) {
		t.Parallel()
		ln, err := net.Listen("tcp4", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		port := fmt.Sprint(ln.Addr().(*net.TCPAddr).Port)
		u := newUser(t, b, nil)
		u.setKeys("redirect_uri", yamlQuote("http://127.0.0.1:"+port+"/callback"))
		r := u.run("authorize", "--consent", "cns-any", "--timeout", "5s")
		oneErrorLine(t, "authorize on a port in use", r, 2, "port "+port+" on 127.0.0.1 is already in use")
		if strings.Contains(r.stderr, "waiting for the PSU") || strings.Contains(r.stderr, "open this URL") {
			t.Errorf("the browser step began although the port is taken:\n%s", r.stderr)
		}
	})

	p := fmt.Sprint(freePort(t))
	loop := "http://127.0.0.1:" + p + "/callback"
	for _, tc := range []struct {
		name, redirect, registered string
		want                       []string
	}{
		{"scheme", loop, "https://127.0.0.1:" + p + "/callback", []string{"differs in scheme: http here, https registered"}},
		{"host localhost", loop, "http://localhost:" + p + "/callback", []string{"host: 127.0.0.1 here, localhost registered", "RFC 8252 section 8.3"}},
		{"host ::1", loop, "http://[::1]:" + p + "/callback", []string{"host: 127.0.0.1 here, ::1 registered"}},
		{"port", loop, "http://127.0.0.1:1/callback", []string{"port: " + p + " here, 1 registered"}},
		{"random port against a fixed one", "", "http://127.0.0.1:8765/callback", []string{"port: random here", "set redirect_uri to http://127.0.0.1:8765/callback"}},
		{"path", loop, "http://127.0.0.1:" + p + "/cb", []string{`path: "/callback" here, "/cb" registered`}},
		{"trailing slash", loop, "http://127.0.0.1:" + p + "/callback/", []string{`path: "/callback" here, "/callback/" registered (a trailing slash counts)`}},
		{"closest of several", loop, "https://tpp.example/cb, http://127.0.0.1:" + p + "/cb", []string{"closest registered, http://127.0.0.1:" + p + "/cb,", "path"}},
		{"redirect_uri https", "https://127.0.0.1:" + p + "/callback", "", []string{"scheme https", "plain http", "use http://127.0.0.1:" + p + "/callback"}},
		{"redirect_uri localhost", "http://localhost:" + p + "/callback", "", []string{"uses localhost", "use http://127.0.0.1:" + p + "/callback", "register that spelling"}},
		{"redirect_uri not loopback", "http://192.0.2.1:" + p + "/callback", "", []string{"host 192.0.2.1 is not 127.0.0.1 or [::1]"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			u := newUser(t, b, nil)
			if tc.redirect != "" {
				u.setKeys("redirect_uri", yamlQuote(tc.redirect))
			}
			if tc.registered != "" {
				u.setKeys("registered_redirect_uris", yamlQuote(tc.registered))
			}
			r := u.run("authorize", "--consent", "cns-any", "--timeout", "5s")
			oneErrorLine(t, tc.name, r, 2, tc.want...)
			if strings.Contains(r.stderr, "waiting for the PSU") {
				t.Errorf("%s: the listener was opened:\n%s", tc.name, r.stderr)
			}
		})
	}

	t.Run("registered from the environment", func(t *testing.T) {
		t.Parallel()
		u := newUser(t, b, nil)
		r := u.runEnv([]string{"XS2A_REGISTERED_REDIRECT_URIS=https://tpp.example/cb,http://127.0.0.1:8765/callback"},
			"authorize", "--consent", "cns-any", "--timeout", "5s")
		oneErrorLine(t, "XS2A_REGISTERED_REDIRECT_URIS", r, 2, "closest registered, http://127.0.0.1:8765/callback,", "port: random here")
	})

	t.Run("registered as a YAML list, port-less: a note, and the authorization works", func(t *testing.T) {
		t.Parallel()
		needCurl(t)
		u := newUser(t, b, nil)
		u.setKeys("registered_redirect_uris", "\n      - https://tpp.example/cb\n      - http://127.0.0.1/callback")
		u.must("consent", "create")
		r := u.must("authorize", "--exchange", "--timeout", "20s")
		if !strings.Contains(r.stderr, "note: the registered http://127.0.0.1/callback has no port: a random port works only at banks that accept any port") {
			t.Errorf("no RFC 8252 7.3 note:\n%s", r.stderr)
		}
		if !strings.Contains(r.stdout, "PSU access token") {
			t.Errorf("stdout %q", r.stdout)
		}
	})

	t.Run("registered matches exactly: no note", func(t *testing.T) {
		t.Parallel()
		needCurl(t)
		u := newUser(t, b, nil)
		pp := fmt.Sprint(freePort(t))
		u.setKeys("redirect_uri", yamlQuote("http://127.0.0.1:"+pp+"/cb"), "registered_redirect_uris", yamlQuote("http://127.0.0.1:"+pp+"/cb"))
		u.must("consent", "create")
		r := u.must("authorize", "--timeout", "20s")
		if strings.Contains(r.stderr, "note:") || !strings.Contains(r.stderr, "on http://127.0.0.1:"+pp+"/cb ") {
			t.Errorf("stderr:\n%s", r.stderr)
		}
	})
}

// metadataServer serves RFC 8414 metadata with the bank's server
// certificate, pointing at the bank's endpoints, with methods as
// code_challenge_methods_supported (nil: the member left out).
func metadataServer(t *testing.T, b *bank, methods []string) string {
	t.Helper()
	cert, err := tls.LoadX509KeyPair(b.file("server.pem"), b.file("server.key"))
	if err != nil {
		t.Fatal(err)
	}
	md := map[string]any{"authorization_endpoint": b.s.AuthURL + "/oauth/authorize", "token_endpoint": b.s.URL + "/oauth/token"}
	if methods != nil {
		md["code_challenge_methods_supported"] = methods
	}
	var srv *httptest.Server
	srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/.well-known/oauth-authorization-server" {
			http.NotFound(w, r)
			return
		}
		md["issuer"] = srv.URL // RFC 8414 section 3.3: the issuer it is fetched for
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(md)
	}))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestAuthorizeChecksMetadataForS256(t *testing.T) {
	b := startBank(t, sandbox.Options{AutoApprove: true, RatePerSecond: -1, RatePerDay: -1})

	t.Run("without S256", func(t *testing.T) {
		u := newUser(t, b, map[string]string{"base_url": metadataServer(t, b, []string{"plain"}), "token_url": "", "authorize_url": "",
			"allowed_origins": b.s.URL + " " + b.s.AuthURL})
		r := u.run("authorize", "--consent", "cns-any", "--no-browser", "--timeout", "5s")
		oneErrorLine(t, "metadata with plain only", r, 4, "code_challenge_methods_supported [plain] without S256", "RFC 9700")
		if strings.Contains(r.stderr, "open this URL") {
			t.Errorf("the URL was given out although the bank cannot do S256:\n%s", r.stderr)
		}
	})
	t.Run("not announced: a warning, and the wait begins", func(t *testing.T) {
		u := newUser(t, b, map[string]string{"base_url": metadataServer(t, b, nil), "token_url": "", "authorize_url": "",
			"allowed_origins": b.s.URL + " " + b.s.AuthURL})
		r := u.run("authorize", "--consent", "cns-any", "--no-browser", "--timeout", "1s")
		oneErrorLine(t, "metadata without the member", r, 4, "no callback arrived in time")
		if !strings.Contains(r.stderr, "warning: the OAuth metadata") || !strings.Contains(r.stderr, "does not announce code_challenge_methods_supported") ||
			!strings.Contains(r.stderr, "  "+b.s.AuthURL+"/oauth/authorize?") {
			t.Errorf("stderr:\n%s", r.stderr)
		}
	})
	t.Run("the sandbox announces S256", func(t *testing.T) {
		// The sandbox's sign-in pages are on another port: the profile lists it.
		u := newUser(t, b, map[string]string{"token_url": "", "authorize_url": "", "allowed_origins": b.s.AuthURL})
		r := u.run("authorize", "--consent", "cns-any", "--no-browser", "--timeout", "1s")
		oneErrorLine(t, "discovery at the sandbox", r, 4, "no callback arrived in time")
		if strings.Contains(r.stderr, "code_challenge_methods_supported") {
			t.Errorf("stderr:\n%s", r.stderr)
		}
	})
}

// slowBrowser follows the bank's redirect after delay; with early, it
// first sends the listener a callback with a wrong state.
func slowBrowser(t *testing.T, u *user, delay string, early bool) string {
	t.Helper()
	var s strings.Builder
	s.WriteString("#!/bin/sh\n")
	if early {
		// redirect_uri=http%3A%2F%2F127.0.0.1%3APORT%2Fcallback, decoded.
		s.WriteString(`r=$(printf '%s' "$1" | sed -n 's/.*redirect_uri=\([^&]*\).*/\1/p' | sed 's/%3A/:/g; s/%2F/\//g')` + "\n")
		s.WriteString(`curl -sS "$r?state=not-ours&code=forged" >/dev/null` + "\n")
	}
	s.WriteString("sleep " + delay + "\n")
	s.WriteString("exec curl -sS --cacert '" + u.b.file("ca.pem") + "' -L \"$1\" >/dev/null\n")
	path := filepath.Join(u.dir, "slow-browser.sh")
	if err := os.WriteFile(path, []byte(s.String()), 0o700); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestAuthorizeIdleNotice(t *testing.T) {
	needCurl(t)
	b := startBank(t, sandbox.Options{AutoApprove: true, RatePerSecond: -1, RatePerDay: -1})

	t.Run("nothing arrives: the causes, then the callback still completes", func(t *testing.T) {
		t.Parallel()
		u := newUser(t, b, nil)
		u.setKeys("registered_redirect_uris", yamlQuote("http://127.0.0.1/callback"))
		u.must("consent", "create")
		r := u.runEnv([]string{"BROWSER=" + slowBrowser(t, u, "2", false)}, "authorize", "--exchange", "--idle-notice", "300ms", "--timeout", "20s")
		if r.code != 0 {
			t.Fatalf("exit %d:\n%s", r.code, r.stderr)
		}
		m := regexp.MustCompile(`on http://127\.0\.0\.1:(\d+)/callback`).FindStringSubmatch(r.stderr)
		if m == nil {
			t.Fatalf("no listener address:\n%s", r.stderr)
		}
		port := m[1]
		t.Logf("stderr:\n%s", r.stderr)
		for _, w := range []string{
			"xs2a: nothing has reached http://127.0.0.1:" + port + "/callback in 300ms; still waiting (up to --timeout 20s). Likely causes:",
			"the browser did not open", "\n      " + b.s.AuthURL + "/oauth/authorize?",
			"its registered redirect URI for client " + b.s.DefaultApp.ClientID + " differs", "the profile says http://127.0.0.1/callback",
			"the browser runs on another machine", "paste the URL it ends on here", "ssh -L " + port + ":127.0.0.1:" + port,
			"a firewall, VPN client", "the PSU has not finished signing in",
		} {
			if !strings.Contains(r.stderr, w) {
				t.Errorf("idle notice lacks %q:\n%s", w, r.stderr)
			}
		}
		if n := strings.Count(r.stderr, "nothing has reached"); n != 1 {
			t.Errorf("%d idle notices; want 1", n)
		}
		if !strings.Contains(r.stdout, "PSU access token") {
			t.Errorf("stdout %q", r.stdout)
		}
	})

	t.Run("a refused callback is not silence", func(t *testing.T) {
		t.Parallel()
		u := newUser(t, b, nil)
		u.must("consent", "create")
		r := u.runEnv([]string{"BROWSER=" + slowBrowser(t, u, "2", true)}, "authorize", "--idle-notice", "1s", "--timeout", "20s")
		if r.code != 0 {
			t.Fatalf("exit %d:\n%s", r.code, r.stderr)
		}
		if !strings.Contains(r.stderr, "refused a callback with a wrong state") {
			t.Errorf("the forged callback was not reported:\n%s", r.stderr)
		}
		if strings.Contains(r.stderr, "nothing has reached") {
			t.Errorf("idle notice although a callback reached the listener:\n%s", r.stderr)
		}
	})

	t.Run("--idle-notice 0 never", func(t *testing.T) {
		t.Parallel()
		u := newUser(t, b, nil)
		u.must("consent", "create")
		r := u.run("authorize", "--no-browser", "--idle-notice", "0", "--timeout", "1s")
		oneErrorLine(t, "--idle-notice 0", r, 4, "no callback arrived in time", "paste the URL it ends on")
		if strings.Contains(r.stderr, "nothing has reached") {
			t.Errorf("idle notice with --idle-notice 0:\n%s", r.stderr)
		}
	})
	t.Run("--idle-notice negative", func(t *testing.T) {
		u := newUser(t, b, nil)
		oneErrorLine(t, "--idle-notice -1s", u.run("authorize", "--idle-notice", "-1s"), 2, "--idle-notice must not be negative")
	})
}

// start runs xs2a with the user's config, HOME, state and browser as a
// process the test talks to: stdin written, stderr read line by line.
func (u *user) start(args ...string) *proc {
	u.t.Helper()
	return startProc(u.t, u.dir, u.env, append([]string{"--config", u.cfg}, args...)...)
}

// bankRedirect plays the PSU's browser on another machine: it follows the
// authorization URL to the bank but not the bank's redirect to 127.0.0.1,
// and returns where it would have gone.
func bankRedirect(t *testing.T, b *bank, authURL string) string {
	t.Helper()
	pem, err := os.ReadFile(b.file("ca.pem"))
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	hc := &http.Client{
		Transport:     &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}},
		Timeout:       10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	resp, err := hc.Get(authURL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusFound || !strings.HasPrefix(loc, "http://127.0.0.1:") {
		t.Fatalf("the bank answered %d, Location %q", resp.StatusCode, loc)
	}
	return loc
}

func TestAuthorizePasteFallback(t *testing.T) {
	b := startBank(t, sandbox.Options{AutoApprove: true, RatePerSecond: -1, RatePerDay: -1})

	t.Run("garbage and a wrong state explained, then the right URL", func(t *testing.T) {
		t.Parallel()
		u := newUser(t, b, nil)
		u.must("consent", "create")
		cid := u.state().ConsentID
		l := u.start("authorize", "--no-browser", "--exchange", "--idle-notice", "0", "--timeout", "30s")
		authURL := l.waitLine(`^  (https://\S+)$`)[1]
		l.waitLine(`^…or paste the URL your browser ended on \(http://127\.0\.0\.1:\d+/callback\?code=…\) here`)
		loc := bankRedirect(t, b, authURL)
		lu, err := url.Parse(loc)
		if err != nil {
			t.Fatal(err)
		}
		code := lu.Query().Get("code")

		io.WriteString(l.stdin, "I signed in, what now?\n")
		l.waitLine(`^xs2a: the pasted line is not a URL: paste the whole address your browser ended on, starting with http://127\.0\.0\.1:\d+/callback\? — still waiting$`)

		wrong := *lu
		q := wrong.Query()
		q.Set("state", "an-earlier-state")
		wrong.RawQuery = q.Encode()
		io.WriteString(l.stdin, wrong.String()+"\n")
		l.waitLine(`^xs2a: refused the pasted URL with a wrong state \(possible CSRF\): is it from an earlier authorization\? — still waiting$`)

		io.WriteString(l.stdin, authURL+"\n")
		l.waitLine(`^xs2a: the pasted URL goes to https://\S+/oauth/authorize, not to http://127\.0\.0\.1:\d+/callback: that is the bank's authorization URL`)

		io.WriteString(l.stdin, "  "+loc+"\r\n")
		if c := l.wait(30 * time.Second); c != 0 {
			t.Fatalf("exit %d:\n%s", c, l.stderr.String())
		}
		out := l.stdout.String()
		if !strings.HasPrefix(out, "authorized consent "+cid+"; PSU access token ") {
			t.Errorf("stdout %q", out)
		}
		if strings.Contains(l.stderr.String(), code) {
			t.Error("the pasted code reached stderr")
		}
		if st := u.state(); st.UserToken == nil || st.UserToken.ConsentID != cid {
			t.Errorf("no PSU token kept: %+v", st.UserToken)
		}
	})

	t.Run("the bank's error pasted is reported", func(t *testing.T) {
		t.Parallel()
		u := newUser(t, b, nil)
		u.must("consent", "create")
		l := u.start("authorize", "--no-browser", "--idle-notice", "0", "--timeout", "30s")
		authURL := l.waitLine(`^  (https://\S+)$`)[1]
		au, _ := url.Parse(authURL)
		l.waitLine(`^…or paste`)
		io.WriteString(l.stdin, au.Query().Get("redirect_uri")+"?error=access_denied&error_description=the+PSU+said+no&state="+url.QueryEscape(au.Query().Get("state"))+"\n")
		if c := l.wait(30 * time.Second); c != 4 {
			t.Fatalf("exit %d; want 4:\n%s", c, l.stderr.String())
		}
		if !strings.Contains(l.stderr.String(), "xs2a: error: authorization refused: access_denied: the PSU said no") {
			t.Errorf("stderr:\n%s", l.stderr.String())
		}
	})

	t.Run("--paste=false leaves stdin alone", func(t *testing.T) {
		t.Parallel()
		u := newUser(t, b, nil)
		u.must("consent", "create")
		r := xs2a(t, u.dir, "http://127.0.0.1:1/callback?code=x&state=y\n", u.env, "--config", u.cfg, "authorize", "--no-browser", "--paste=false", "--timeout", "1s")
		oneErrorLine(t, "--paste=false", r, 4, "no callback arrived in time")
		if strings.Contains(r.stderr, "paste") {
			t.Errorf("stdin was read with --paste=false:\n%s", r.stderr)
		}
	})
}
