package main_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// serveProcess is `xs2a sandbox serve` running as a process.
type serveProcess struct {
	*proc
	info serveInfo
}

// startServe runs `xs2a sandbox serve -o json` on random loopback ports
// with exactly env and waits for its JSON.
func startServe(t *testing.T, env []string, args ...string) *serveProcess {
	t.Helper()
	p := &serveProcess{proc: startProc(t, "", env, append([]string{"sandbox", "serve", "--addr", "127.0.0.1:0", "--auth-addr", "127.0.0.1:0", "-o", "json"}, args...)...)}
	p.waitJSON(&p.info)
	return p
}

// TestSandboxDataSurvivesSIGKILL: a consent created through the binary is
// there after the sandbox was killed without warning and started again on
// the same --data, and the client token from before still works.
func TestSandboxDataSurvivesSIGKILL(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "team-sandbox")
	cfg := filepath.Join(dir, "config.yaml")
	home := filepath.Join(dir, "home")
	env := []string{"HOME=" + home, "XDG_STATE_HOME=" + filepath.Join(home, ".state"), "XDG_CONFIG_HOME=" + filepath.Join(home, ".config"),
		"PATH=" + os.Getenv("PATH"), "NO_COLOR=1"}
	serveArgs := []string{"--config", cfg, "--data", data, "--auto-approve", "--write-profile", "sb"}
	run := func(args ...string) result {
		return xs2a(t, dir, "", env, append([]string{"--config", cfg, "--profile", "sb"}, args...)...)
	}
	clientToken := func() string {
		b, err := os.ReadFile(filepath.Join(home, ".state", "xs2a", "profiles", "sb.json"))
		if err != nil {
			t.Fatal(err)
		}
		var st struct {
			ClientToken struct {
				AccessToken string `json:"access_token"`
			} `json:"client_token"`
		}
		json.Unmarshal(b, &st)
		return st.ClientToken.AccessToken
	}

	s := startServe(t, env, serveArgs...)
	if s.info["data"] != data {
		t.Errorf("serve -o json: data = %q; want %q", s.info["data"], data)
	}
	profile1, _ := os.ReadFile(cfg)
	if !strings.Contains(string(profile1), filepath.Join(data, "certs", "qwac.pem")) {
		t.Errorf("with --data and no --certs the certificates belong in %s/certs; profile:\n%s", data, profile1)
	}
	r := run("consent", "create")
	m := consentLine.FindStringSubmatch(r.stdout)
	if r.code != 0 || m == nil {
		t.Fatalf("consent create: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	cid, token := m[1], clientToken()
	if token == "" {
		t.Fatal("consent create left no client token in the state")
	}

	// A second sandbox on the same directory is refused at once (were it
	// not, it would serve until the deadline).
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	second := exec.CommandContext(ctx, bin, append([]string{"sandbox", "serve", "--addr", "127.0.0.1:0", "--auth-addr", "127.0.0.1:0"}, serveArgs...)...)
	second.Env = env
	var out2, err2 bytes.Buffer
	second.Stdout, second.Stderr = &out2, &err2
	second.Run()
	r = result{out2.String(), err2.String(), second.ProcessState.ExitCode()}
	oneErrorLine(t, "second sandbox on the same --data", r, 2, "sandbox data directory "+data+" is in use by another sandbox")

	s.kill() // SIGKILL: no shutdown, no last write

	s = startServe(t, env, serveArgs...) // new random ports; the profile is written again
	profile2, _ := os.ReadFile(cfg)
	secret := func(b []byte) string {
		for _, l := range strings.Split(string(b), "\n") {
			if strings.Contains(l, "client_secret:") || strings.Contains(l, "api_key:") {
				return l
			}
		}
		return ""
	}
	if secret(profile2) == "" || secret(profile1) != secret(profile2) {
		t.Errorf("the default app's secret changed across the restart:\n%s\n%s", secret(profile1), secret(profile2))
	}
	r = run("consent", "get", cid, "-o", "json")
	var c map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &c); r.code != 0 || err != nil || c["consent_status"] != "received" ||
		c["frequency_per_day"] != float64(4) || c["consent_id"] != cid {
		t.Errorf("consent get %s after SIGKILL and restart: exit %d\n%s%s", cid, r.code, r.stdout, r.stderr)
	}
	if clientToken() != token {
		t.Error("consent get fetched a new client token: the one issued before the restart was not accepted")
	}

	if code := s.stop(); code != 0 {
		t.Errorf("serve after SIGINT: exit %d\n%s", code, s.stderr)
	}
	for path, want := range map[string]os.FileMode{data: 0o700, filepath.Join(data, "sandbox.db"): 0o600} {
		if st, err := os.Stat(path); err != nil {
			t.Error(err)
		} else if st.Mode().Perm() != want {
			t.Errorf("%s: mode %v; want %v", path, st.Mode().Perm(), want)
		}
	}
}

func TestSandboxDataThatCannotBeUsed(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "damaged"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "damaged", "sandbox.db"), bytes.Repeat([]byte("garbage "), 4096), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "file"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name, data string
		want       []string
	}{
		{"a damaged database", "damaged", []string{filepath.Join("damaged", "sandbox.db") + " is not a readable sandbox database", "move it away"}},
		{"a file, not a directory", "file", []string{"--data: mkdir file: not a directory"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := xs2a(t, dir, "", nil, "sandbox", "serve", "--addr", "127.0.0.1:0", "--auth-addr", "127.0.0.1:0", "--data", tt.data)
			oneErrorLine(t, tt.name, r, 2, tt.want...)
		})
	}
}
