package main_test

// Listen addresses as a user gives them: a second sandbox or proxy on a
// taken address is told which and how to get a free one; a port alone is
// on 127.0.0.1; the proxy's own 502 is an error an app parses.

import (
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	bg "github.com/xs2a-dev/xs2a/pkg/xs2a"
)

func TestSecondSandboxIsToldWhichAddressIsTakenAndHowOut(t *testing.T) {
	s := serveBinary(t)
	api := strings.TrimPrefix(s.info["api_url"], "https://")
	pages := strings.TrimPrefix(s.info["auth_url"], "https://")
	certs := filepath.Join(s.dir, "certs")
	second := func(args ...string) result {
		return xs2a(t, s.dir, "", s.env, append([]string{"--config", filepath.Join(t.TempDir(), "c.yaml"), "sandbox", "serve", "--certs", certs}, args...)...)
	}
	// Both taken: both named at once, not one and then the other.
	r := second("--addr", api, "--auth-addr", pages)
	oneErrorLine(t, "both taken", r, 2, api+" (--addr) and "+pages+" (--auth-addr) are already in use", "--addr :0 --auth-addr :0")
	// Only the pages' address taken: only that one named.
	r = second("--addr", "127.0.0.1:0", "--auth-addr", pages)
	oneErrorLine(t, "pages taken", r, 2, pages+" (--auth-addr) is already in use", "e.g. --auth-addr :0 for a free port")
	if strings.Contains(r.stderr, "(--addr)") {
		t.Errorf("a free --addr named as taken: %s", r.stderr)
	}

	// A port alone, and :PORT, are on 127.0.0.1; :0 is a free port there.
	port := strconv.Itoa(freePort(t))
	p := startProc(t, s.dir, s.env, "--config", filepath.Join(t.TempDir(), "c.yaml"), "sandbox", "serve", "--certs", certs,
		"--addr", port, "--auth-addr", ":0", "-o", "json")
	var info map[string]any
	p.waitJSON(&info)
	if info["api_url"] != "https://127.0.0.1:"+port || !strings.HasPrefix(info["auth_url"].(string), "https://127.0.0.1:") ||
		strings.HasSuffix(info["auth_url"].(string), ":0") {
		t.Errorf("--addr %s --auth-addr :0: apiURL %v, authURL %v", port, info["api_url"], info["auth_url"])
	}
	// Beyond loopback still takes --allow-remote.
	r = second("--addr", "0.0.0.0:0")
	oneErrorLine(t, "0.0.0.0", r, 2, `--addr "0.0.0.0:0" is not a loopback address`)
	r = second("--addr", "port8443")
	oneErrorLine(t, "not an address", r, 2, `--addr "port8443"`, "want host:port or a port")
}

func TestProxyOnABarePortTakenPortAndItsOwn502(t *testing.T) {
	s := serveBinary(t)
	port := strconv.Itoa(freePort(t))
	// The bank behind the proxy is down: a port nothing listens on.
	down := []string{"XS2A_BASE_URL=https://127.0.0.1:" + strconv.Itoa(freePort(t))}
	p := startProc(t, s.dir, append(append([]string{}, s.env...), down...), "--config", s.cfg, "-p", "sb", "proxy", "--listen", port)
	p.waitLine(`^proxying http://127\.0\.0\.1:` + port + ` -> `)

	r := s.run(nil, "proxy", "--listen", ":"+port)
	oneErrorLine(t, "second proxy", r, 2, "127.0.0.1:"+port+" (--listen) is already in use", "--listen :0")

	resp, err := http.Get("http://127.0.0.1:" + port + "/v1/card-accounts")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadGateway || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("bank down: %d %s %s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	// The shape an app parses the bank's errors with, and the
	// library's own decoder as the second reader.
	var msgs struct {
		TPPMessages []struct{ Category, Code, Text string } `json:"tppMessages"`
	}
	if err := json.Unmarshal(body, &msgs); err != nil || len(msgs.TPPMessages) != 1 {
		t.Fatalf("502 body %s: %v", body, err)
	}
	m := msgs.TPPMessages[0]
	if m.Category != "ERROR" || m.Code != "PROXY_BAD_GATEWAY" || !strings.HasPrefix(m.Text, "xs2a proxy: ") || !strings.Contains(m.Text, "connection refused") {
		t.Errorf("502 message %+v", m)
	}
	if e := bg.DecodeErrorBody(body); len(e.TPPMessages) != 1 || e.TPPMessages[0].Code != "PROXY_BAD_GATEWAY" {
		t.Errorf("DecodeErrorBody(%s) = %+v", body, e)
	}
	p.logged("proxy log", "GET /v1/card-accounts 502 ")
}
