package main_test

// `xs2a proxy` driven through the built binary: a PSU token in the state,
// the proxy as a subprocess, curl as the API tool on the plain-HTTP side.

import (
	"bytes"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xs2a-dev/xs2a/pkg/sandbox"
)

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

func TestProxy(t *testing.T) {
	t.Run("non-loopback listen without --allow-remote", func(t *testing.T) {
		t.Parallel()
		r := xs2a(t, t.TempDir(), "", nil, "proxy", "--listen", "0.0.0.0:0")
		oneErrorLine(t, "proxy --listen 0.0.0.0:0", r, 2, "not a loopback address", "--allow-remote")
	})

	t.Run("forwards signed over mTLS and injects the PSU token", func(t *testing.T) {
		t.Parallel()
		needCurl(t)
		b := startBank(t, sandbox.Options{AutoApprove: true, RatePerSecond: -1, RatePerDay: -1})
		u := newUser(t, b, nil)
		u.must("token")
		u.must("consent", "create")
		u.must("authorize", "--exchange", "--timeout", "20s")

		port := freePort(t)
		addr := "127.0.0.1:" + strconv.Itoa(port)
		cmd := exec.Command(bin, "--config", u.cfg, "proxy", "--listen", addr, "--inject-auth")
		cmd.Dir = u.dir
		cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "NO_COLOR=1"}, u.env...)
		stderr := &syncBuffer{}
		cmd.Stdout, cmd.Stderr = stderr, stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// done is closed when the proxy has exited; waitErr is then its result.
		done := make(chan struct{})
		var waitErr error
		go func() { waitErr = cmd.Wait(); close(done) }()
		t.Cleanup(func() {
			select {
			case <-done:
			default:
				cmd.Process.Kill()
				<-done
			}
		})
		deadline := time.Now().Add(5 * time.Second)
		for {
			c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
			if err == nil {
				c.Close()
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("proxy does not accept connections on %s:\n%s", addr, stderr.String())
			}
			select {
			case <-done:
				t.Fatalf("proxy exited: %v\n%s", waitErr, stderr.String())
			case <-time.After(50 * time.Millisecond):
			}
		}
		base := "http://" + addr

		body, code := curlStatus(t, base+"/v1/card-accounts", "-H", "PSU-IP-Address: 192.0.2.1")
		if code != 200 || !strings.Contains(body, "524378******8693") || !strings.Contains(body, "524366******8694") {
			t.Errorf("GET /v1/card-accounts via proxy: %d\n%s\nproxy stderr:\n%s", code, body, stderr.String())
		}
		// The proxy logs after it has passed the answer on: wait for the line.
		if !eventually(func() bool { return strings.Contains(stderr.String(), "GET /v1/card-accounts 200") }) {
			t.Errorf("no log line for the exchange:\n%s", stderr.String())
		}

		body, code = curlStatus(t, base+"/v1/card-accounts", "-H", "PSU-IP-Address: 192.0.2.1", "-H", "Authorization: Bearer nope")
		if code != 401 || !strings.Contains(body, `"TOKEN_UNKNOWN"`) || !strings.Contains(body, "tppMessages") {
			t.Errorf("wrong token via proxy: %d\n%s", code, body)
		}
		if !eventually(func() bool {
			return strings.Contains(stderr.String(), "GET /v1/card-accounts 401 TOKEN_UNKNOWN") &&
				strings.Contains(stderr.String(), "not one this ASPSP issued")
		}) {
			t.Errorf("no 401 log line with the code and the sandbox's text:\n%s", stderr.String())
		}

		// A body over the proxy's 10 MiB limit is refused before anything is signed or sent.
		big := filepath.Join(t.TempDir(), "big.json")
		if err := os.WriteFile(big, bytes.Repeat([]byte(" "), 10<<20+1), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, code := curlStatus(t, "-X", "POST", "--data-binary", "@"+big, "-H", "Content-Type: application/json", base+"/v1/consents"); code != http.StatusRequestEntityTooLarge {
			t.Errorf("11 MiB body through the proxy: %d; want 413", code)
		}

		if err := cmd.Process.Signal(os.Interrupt); err != nil {
			t.Fatal(err)
		}
		select {
		case <-done:
			if waitErr != nil {
				t.Errorf("proxy after SIGINT: %v\n%s", waitErr, stderr.String())
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("proxy did not stop on SIGINT:\n%s", stderr.String())
		}
		t.Logf("proxy stderr:\n%s", stderr.String())
	})
}

// eventually polls cond for up to five seconds.
func eventually(cond func() bool) bool {
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if cond() {
			return true
		}
	}
	return cond()
}
