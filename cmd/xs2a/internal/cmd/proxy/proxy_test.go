package proxy_test

import (
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/xs2a-dev/xs2a/cmd/xs2a/internal/cmdtest"
)

func TestProxyFlags(t *testing.T) {
	e := cmdtest.New(t)
	e.Expect(2, "--listen", "proxy", "--listen", "192.0.2.1:8080")
	e.Expect(2, "--cors-origin", "proxy", "--cors-origin", "not an origin")
	e.Expect(2, "", "proxy", "extra")
	e.Expect(2, "has no base_url", "proxy", "--listen", "127.0.0.1:0")
}

var listening = regexp.MustCompile(`^proxying (http://\S+) -> `)

func TestProxyAgainstTheBank(t *testing.T) {
	e := cmdtest.New(t)
	b := e.Consented()
	p := e.Start("proxy", "--listen", "127.0.0.1:0", "--inject-auth", "--cors-origin", "http://localhost:3000")
	base := p.WaitFor(listening)[1]

	get := func(path string, hdr map[string]string) (int, string) {
		t.Helper()
		req, err := http.NewRequest("GET", base+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	// The proxy signs, adds the PSU's token and Consent-ID, and sends.
	code, body := get("/v1/card-accounts", map[string]string{"PSU-IP-Address": "192.0.2.1"})
	if code != 200 || !strings.Contains(body, "card-8693") {
		t.Errorf("GET /v1/card-accounts through the proxy: %d %s", code, body)
	}
	// A web page's request is refused before it reaches the bank.
	if code, _ := get("/v1/card-accounts", map[string]string{"Origin": "https://evil.example"}); code != 403 {
		t.Errorf("a request from another origin: %d, want 403", code)
	}
	p.WaitFor(regexp.MustCompile(`GET /v1/card-accounts 200`))
	r := p.Stop()
	if r.Code != 0 || !strings.Contains(r.Stderr, "stopping") {
		t.Errorf("proxy after Ctrl-C: exit %d\n%s", r.Code, r.Stderr)
	}
	if n := strings.Count(b.Log.String(), "GET /v1/card-accounts 200"); n != 1 {
		t.Errorf("the bank answered %d GET /v1/card-accounts through the proxy, want 1:\n%s", n, b.Log.String())
	}
}
