package main_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xs2a-dev/xs2a/pkg/pemfile"
)

// TestCertsGenerateDiskFull: on a filesystem with room for only part of the
// set, `xs2a certs generate` fails with one clear line and leaves no torn
// .pem or .key behind, nor part of the set.
func TestCertsGenerateDiskFull(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to mount a tmpfs")
	}
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs (%v): %s", err, bytes.TrimSpace(out))
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v: %s", dir, err, out)
		}
	})
	// Leave two pages free: a couple of files fit, the set does not.
	if err := os.WriteFile(filepath.Join(dir, "filler"), make([]byte, 56<<10), 0o600); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "certs")
	cmd := exec.Command(bin, "certs", "generate", "--dir", out)
	cmd.Env = append(os.Environ(), "NO_COLOR=1")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if err == nil {
		t.Fatalf("certs generate on a full disk succeeded:\n%s", stdout.String())
	}
	msg := strings.TrimSpace(stderr.String())
	t.Logf("exit %v, stderr: %s", err, msg)
	if lines := strings.Count(msg, "\n") + 1; msg == "" || lines != 1 {
		t.Errorf("want one error line, got %d:\n%s", lines, msg)
	}
	if !strings.Contains(msg, "no space left on device") {
		t.Errorf("error does not say the disk is full: %s", msg)
	}
	ents, _ := os.ReadDir(out)
	var left []string
	for _, e := range ents {
		p := filepath.Join(out, e.Name())
		left = append(left, e.Name())
		switch {
		case strings.Contains(e.Name(), ".tmp-"):
			t.Errorf("temporary file %s left behind", e.Name())
		case strings.HasSuffix(e.Name(), ".pem"):
			if _, err := pemfile.ReadCertificate(p); err != nil {
				t.Errorf("partial certificate %s: %v", e.Name(), err)
			}
		case strings.HasSuffix(e.Name(), ".key"):
			if _, err := pemfile.ReadRSAKey(p); err != nil {
				t.Errorf("partial key %s: %v", e.Name(), err)
			}
		}
	}
	if len(left) > 0 {
		t.Errorf("a failed generate left part of the set behind: %v (a retry without --force would be refused)", left)
	}
}
