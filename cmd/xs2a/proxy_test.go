package main_test

// `xs2a proxy` driven through the built binary: a PSU token in the state,
// the proxy as a subprocess, curl as the API tool on the plain-HTTP side.

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/xs2a-dev/xs2a/pkg/sandbox"
)

// curlFull runs curl and gives the status, the answer's headers and body.
func curlFull(t *testing.T, args ...string) (int, http.Header, string) {
	t.Helper()
	dir := t.TempDir()
	hf, bf := filepath.Join(dir, "headers"), filepath.Join(dir, "body")
	out, err := exec.Command("curl", append([]string{"-sS", "-D", hf, "-o", bf, "-w", "%{http_code}"}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("curl %v: %v\n%s", args, err, out)
	}
	code, err := strconv.Atoi(strings.TrimSpace(string(out)))
	if err != nil {
		t.Fatalf("curl output %q", out)
	}
	raw, _ := os.ReadFile(hf)
	body, _ := os.ReadFile(bf)
	h := http.Header{}
	for _, line := range strings.Split(string(raw), "\r\n")[1:] {
		if k, v, ok := strings.Cut(line, ":"); ok {
			h.Add(strings.TrimSpace(k), strings.TrimSpace(v))
		}
	}
	return code, h, string(body)
}

func TestProxy(t *testing.T) {
	t.Run("non-loopback listen without --allow-remote", func(t *testing.T) {
		t.Parallel()
		r := xs2a(t, t.TempDir(), "", nil, "proxy", "--listen", "0.0.0.0:0")
		oneErrorLine(t, "proxy --listen 0.0.0.0:0", r, 2, "not a loopback address", "--allow-remote")
	})

	t.Run("a --cors-origin that is not an origin", func(t *testing.T) {
		t.Parallel()
		r := xs2a(t, t.TempDir(), "", nil, "proxy", "--cors-origin", "*")
		oneErrorLine(t, "proxy --cors-origin *", r, 2, "--cors-origin", "name each browser app's origin")
	})

	t.Run("forwards signed over mTLS and injects the PSU token", func(t *testing.T) {
		t.Parallel()
		needCurl(t)
		u := authorizedUser(t)
		p := startProxy(t, u, "127.0.0.1", "--inject-auth")
		base := p.base

		body, code := curlStatus(t, base+"/v1/card-accounts", "-H", "PSU-IP-Address: 192.0.2.1")
		if code != 200 || !strings.Contains(body, "524378******8693") || !strings.Contains(body, "524366******8694") {
			t.Errorf("GET /v1/card-accounts via proxy: %d\n%s\nproxy stderr:\n%s", code, body, p.stderr.String())
		}
		// The proxy logs after it has passed the answer on: wait for the line.
		p.logged("GET /v1/card-accounts", "GET /v1/card-accounts 200")

		body, code = curlStatus(t, base+"/v1/card-accounts", "-H", "PSU-IP-Address: 192.0.2.1", "-H", "Authorization: Bearer nope")
		if code != 401 || !strings.Contains(body, `"TOKEN_UNKNOWN"`) || !strings.Contains(body, "tppMessages") {
			t.Errorf("wrong token via proxy: %d\n%s", code, body)
		}
		p.logged("401 with a wrong token", "GET /v1/card-accounts 401 TOKEN_UNKNOWN", "not one this ASPSP issued")

		// A body over the proxy's 10 MiB limit is refused before anything is signed or sent.
		big := filepath.Join(t.TempDir(), "big.json")
		if err := os.WriteFile(big, bytes.Repeat([]byte(" "), 10<<20+1), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, code := curlStatus(t, "-X", "POST", "--data-binary", "@"+big, "-H", "Content-Type: application/json", base+"/v1/consents"); code != http.StatusRequestEntityTooLarge {
			t.Errorf("11 MiB body through the proxy: %d; want 413", code)
		}

		// A page whose name was rebound to 127.0.0.1 names itself in Host.
		port := strconv.Itoa(p.port)
		body, code = curlStatus(t, base+"/v1/card-accounts", "-H", "Host: attacker.example:"+port)
		if code != 403 || !strings.Contains(body, "DNS rebinding") || strings.Contains(body, "8693") {
			t.Errorf("rebinding Host: %d %s; want 403", code, body)
		}
		p.logged("rebinding Host", "GET /v1/card-accounts 403 - X-Request-ID - ", `Host "attacker.example:`+port+`" is not this proxy's address`)
		// A web page's fetch carries its Origin: without --cors-origin, refused.
		body, code = curlStatus(t, base+"/v1/card-accounts", "-H", "Origin: http://attacker.example")
		if code != 403 || !strings.Contains(body, "--cors-origin") || strings.Contains(body, "8693") {
			t.Errorf("foreign Origin: %d %s; want 403", code, body)
		}
		p.logged("foreign Origin", `Origin "http://attacker.example" may not use the TPP's certificates`)
		// localhost is this proxy too.
		if _, code := curlStatus(t, "http://localhost:"+port+"/v1/card-accounts", "-H", "PSU-IP-Address: 192.0.2.1", "--resolve", "localhost:"+port+":127.0.0.1"); code != 200 {
			t.Errorf("via localhost: %d", code)
		}
		p.stop()
		t.Logf("proxy stderr:\n%s", p.stderr.String())
	})

	t.Run("--allow-remote warns and serves", func(t *testing.T) {
		t.Parallel()
		needCurl(t)
		u := authorizedUser(t)
		p := startProxy(t, u, "0.0.0.0", "--allow-remote", "--inject-auth")
		p.logged("startup", "warning: --allow-remote: anyone who can reach 0.0.0.0:"+strconv.Itoa(p.port)+
			" can call the ASPSP with the TPP's certificates and the PSU's token")
		// Connect to loopback only; any Host is accepted.
		body, code := curlStatus(t, p.base+"/v1/card-accounts", "-H", "PSU-IP-Address: 192.0.2.1", "-H", "Host: xs2a-box.lan:"+strconv.Itoa(p.port))
		if code != 200 || !strings.Contains(body, "524378******8693") {
			t.Errorf("via --allow-remote: %d %s", code, body)
		}
		p.logged("served", "GET /v1/card-accounts 200 ")
		p.stop()
	})

	t.Run("--cors-origin answers preflights and marks answers", func(t *testing.T) {
		t.Parallel()
		needCurl(t)
		u := authorizedUser(t)
		const app = "http://localhost:3000"
		p := startProxy(t, u, "127.0.0.1", "--inject-auth", "--cors-origin", app)

		code, h, _ := curlFull(t, "-X", "OPTIONS", p.base+"/v1/card-accounts", "-H", "Origin: "+app,
			"-H", "Access-Control-Request-Method: GET", "-H", "Access-Control-Request-Headers: psu-ip-address, x-request-id, x-trace")
		allow := strings.ToLower(h.Get("Access-Control-Allow-Headers"))
		if code != 204 || h.Get("Access-Control-Allow-Origin") != app || !strings.Contains(h.Get("Access-Control-Allow-Methods"), "GET") ||
			!strings.Contains(allow, "psu-ip-address") || !strings.Contains(allow, "x-trace") || !strings.Contains(allow, "consent-id") ||
			h.Get("Access-Control-Max-Age") == "" {
			t.Errorf("preflight: %d %v", code, h)
		}
		p.logged("preflight", "OPTIONS /v1/card-accounts 204 ")

		code, h, body := curlFull(t, p.base+"/v1/card-accounts", "-H", "Origin: "+app, "-H", "PSU-IP-Address: 192.0.2.1")
		if code != 200 || !strings.Contains(body, "524378******8693") || h.Get("Access-Control-Allow-Origin") != app ||
			!strings.Contains(h.Get("Vary"), "Origin") || !strings.Contains(h.Get("Access-Control-Expose-Headers"), "X-Request-ID") || h.Get("X-Request-ID") == "" {
			t.Errorf("GET with the allowed Origin: %d %v\n%s", code, h, body)
		}
		code, h, _ = curlFull(t, p.base+"/v1/card-accounts", "-H", "Origin: http://localhost:3001")
		if code != 403 || h.Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("another origin: %d %v", code, h)
		}
		// API tools send no Origin: no CORS headers for them.
		code, h, _ = curlFull(t, p.base+"/v1/card-accounts", "-H", "PSU-IP-Address: 192.0.2.1")
		if code != 200 || h.Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("without Origin: %d ACAO %q", code, h.Get("Access-Control-Allow-Origin"))
		}
		p.stop()
	})

	t.Run("a signature the sandbox refuses: its diagnosis in the log, its 401 to curl", func(t *testing.T) {
		t.Parallel()
		needCurl(t)
		b := startBank(t, sandbox.Options{AutoApprove: true, RatePerSecond: -1, RatePerDay: -1})
		u := newUser(t, b, nil)
		// The QSealC is SHA256-RSA; the Berlin Group profile wants the
		// signature's hash to match, and this profile signs with SHA-512.
		f, err := os.OpenFile(u.cfg, os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		f.WriteString("    signing:\n      algorithm: rsa-sha512\n")
		f.Close()
		p := startProxy(t, u, "127.0.0.1")
		const rid = "0b7c61c4-7f0e-4c59-9f38-4bd8a1f1a8b2"
		code, h, body := curlFull(t, p.base+"/v1/card-accounts", "-H", "X-Request-ID: "+rid, "-H", "PSU-IP-Address: 192.0.2.1")
		var e struct {
			TPPMessages []struct{ Code, Text string } `json:"tppMessages"`
		}
		if code != 401 || json.Unmarshal([]byte(body), &e) != nil || len(e.TPPMessages) < 2 || e.TPPMessages[0].Code != "SIGNATURE_INVALID" ||
			!strings.HasPrefix(h.Get("Content-Type"), "application/json") || h.Get("X-Request-ID") != rid {
			t.Fatalf("refused signature: %d %v\n%s", code, h, body)
		}
		// Every text the sandbox sent is a line of the proxy's log, after
		// the exchange's line.
		want := []string{"GET /v1/card-accounts 401 SIGNATURE_INVALID X-Request-ID " + rid + " "}
		for _, m := range e.TPPMessages {
			want = append(want, "\n  "+m.Code+": "+m.Text+"\n")
		}
		p.logged("refused signature", want...)
		if !strings.Contains(body, "check algorithm failed") || !strings.Contains(p.stderr.String(), "expected rsa-sha256; got rsa-sha512") {
			t.Errorf("the diagnosis does not name the algorithm:\n%s\n%s", body, p.stderr.String())
		}
		p.stop()
		t.Logf("proxy stderr:\n%s", p.stderr.String())
	})
}
