package main_test

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// lockedBuffer is a process's stderr, read while the process writes it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestSandboxServeAllowRemote: with --allow-remote the sandbox listens
// beyond loopback and says on stderr what that exposes, each listener
// once; a loopback listener is not mentioned. Only loopback is connected to.
func TestSandboxServeAllowRemote(t *testing.T) {
	dir := t.TempDir()
	cmd := exec.Command(bin, "sandbox", "serve", "--addr", "0.0.0.0:0", "--auth-addr", "127.0.0.1:0", "--allow-remote",
		"--certs", f(""), "-o", "json")
	cmd.Env = []string{"HOME=" + dir, "PATH=" + os.Getenv("PATH"), "NO_COLOR=1"}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	errb := &lockedBuffer{}
	cmd.Stderr = errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	var info map[string]string
	if err := json.NewDecoder(stdout).Decode(&info); err != nil {
		t.Fatalf("serve did not print its JSON: %v\n%s", err, errb.String())
	}
	api := strings.TrimPrefix(info["apiURL"], "https://")
	if !strings.HasPrefix(api, "0.0.0.0:") && !strings.HasPrefix(api, "[::]:") {
		t.Fatalf("apiURL %q", info["apiURL"])
	}
	want := "warning: --allow-remote: anyone who can reach " + api + " can call the sandbox's API and token endpoint with a certificate of a trusted CA"
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(errb.String(), "serving;") && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	got := errb.String()
	if strings.Count(got, want) != 1 {
		t.Errorf("stderr does not warn once with %q:\n%s", want, got)
	}
	if strings.Contains(got, "PSU's pages") {
		t.Errorf("stderr warns about the pages on loopback:\n%s", got)
	}
}
