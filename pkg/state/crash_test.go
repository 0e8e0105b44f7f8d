package state

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/xs2a-dev/xs2a/pkg/atomicfile"
)

const crashEnv = "XS2A_STATE_CRASH_HELPER_DIR"

// crashState is a large state: many account ids and a long pending entry.
func crashState(gen int) *State {
	st := &State{ConsentID: "consent-" + strconv.Itoa(gen), ConsentStatus: "valid", ValidUntil: "2025-09-01",
		Pending:     &Pending{ConsentID: "c", State: strings.Repeat("s", 4096), Verifier: strings.Repeat("v", 128), Created: time.Unix(1700000000, 0).UTC()},
		ClientToken: &Token{AccessToken: strings.Repeat("t", 2048)}}
	for i := 0; i < 3000; i++ {
		st.AccountIDs = append(st.AccountIDs, fmt.Sprintf("card-%d-%06d", gen, i))
	}
	return st
}

// crashKey is a 100 KB key-like file whose last line is the SHA-256 of the rest.
func crashKey(gen int) []byte {
	var b bytes.Buffer
	b.WriteString("-----BEGIN PRIVATE KEY-----\n")
	line := strings.Repeat(strconv.Itoa(gen%10), 64)
	for b.Len() < 100<<10 {
		b.WriteString(line + "\n")
	}
	b.WriteString("-----END PRIVATE KEY-----\n")
	sum := sha256.Sum256(b.Bytes())
	b.WriteString("sha256:" + hex.EncodeToString(sum[:]) + "\n")
	return b.Bytes()
}

func keyComplete(b []byte) bool {
	i := bytes.LastIndex(bytes.TrimSuffix(b, []byte("\n")), []byte("\n"))
	if i < 0 {
		return false
	}
	body, last := b[:i+1], strings.TrimSpace(string(b[i+1:]))
	sum := sha256.Sum256(body)
	return last == "sha256:"+hex.EncodeToString(sum[:])
}

// TestHelperWriter is the child: it saves as fast as it can until killed
// (bounded, in case nobody kills it).
func TestHelperWriter(t *testing.T) {
	dir := os.Getenv(crashEnv)
	if dir == "" {
		t.Skip("helper process for TestCrashDuringWrite")
	}
	s := Open(dir)
	deadline := time.Now().Add(30 * time.Second)
	fmt.Println("ready")
	done := make(chan struct{})
	go func() {
		defer close(done)
		for gen := 0; time.Now().Before(deadline); gen++ {
			if err := atomicfile.WriteFile(filepath.Join(dir, "qwac.key"), crashKey(gen), 0o600); err != nil {
				fmt.Fprintln(os.Stderr, "key:", err)
				os.Exit(3)
			}
		}
	}()
	for gen := 0; time.Now().Before(deadline); gen++ {
		if err := s.Save("crash", crashState(gen)); err != nil {
			fmt.Fprintln(os.Stderr, "save:", err)
			os.Exit(3)
		}
	}
	<-done
}

func TestCrashDuringWrite(t *testing.T) {
	if testing.Short() {
		t.Skip("kills 30 child processes")
	}
	dir := t.TempDir()
	s := Open(dir)
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 1))
	const rounds = 30
	var absent, valid, keyAbsent, keyValid int
	for i := 0; i < rounds; i++ {
		cmd := exec.Command(os.Args[0], "-test.run=^TestHelperWriter$", "-test.count=1")
		cmd.Env = append(os.Environ(), crashEnv+"="+dir)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Count the delay from the moment the child writes, not from exec.
		ready := make(chan struct{})
		go func() {
			buf := make([]byte, 64)
			for {
				n, err := stdout.Read(buf)
				if bytes.Contains(buf[:n], []byte("ready")) || err != nil {
					close(ready)
					io.Copy(io.Discard, stdout)
					return
				}
			}
		}()
		select {
		case <-ready:
		case <-time.After(10 * time.Second):
			t.Log("child did not report ready within 10 s; killing it anyway")
		}
		time.Sleep(time.Duration(1+rng.IntN(50)) * time.Millisecond)
		_ = cmd.Process.Signal(syscall.SIGKILL)
		err = cmd.Wait()
		var ee *exec.ExitError
		if err != nil && !errors.As(err, &ee) {
			t.Fatal(err)
		}
		if ee != nil && ee.ExitCode() == 3 {
			t.Fatalf("helper failed to write: %s", stderr.String())
		}

		path, _ := s.Path("crash")
		if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
			if valid > 0 {
				t.Fatalf("round %d: the state file vanished after it had been written", i)
			}
			absent++
		} else {
			st, err := s.Load("crash")
			if err != nil {
				t.Fatalf("round %d: Load after SIGKILL: %v", i, err)
			}
			if len(st.AccountIDs) != 3000 || st.ConsentID == "" {
				t.Fatalf("round %d: state is not a complete version: %d account ids", i, len(st.AccountIDs))
			}
			valid++
		}
		kb, err := os.ReadFile(filepath.Join(dir, "qwac.key"))
		switch {
		case errors.Is(err, os.ErrNotExist):
			if keyValid > 0 {
				t.Fatalf("round %d: the key file vanished", i)
			}
			keyAbsent++
		case err != nil:
			t.Fatal(err)
		case !keyComplete(kb):
			t.Fatalf("round %d: key file is torn (%d bytes)", i, len(kb))
		default:
			keyValid++
		}
		// Load only ever opens <profile>.json: a temporary file is never
		// what it reads, whatever is left over.
		ents, _ := os.ReadDir(filepath.Join(dir, "profiles"))
		for _, e := range ents {
			if strings.HasSuffix(e.Name(), ".json") && e.Name() != "crash.json" {
				t.Fatalf("round %d: unexpected .json file %s in profiles", i, e.Name())
			}
		}
	}
	tmps := 0
	for _, d := range []string{dir, filepath.Join(dir, "profiles")} {
		ents, _ := os.ReadDir(d)
		for _, e := range ents {
			if strings.Contains(e.Name(), ".tmp-") {
				tmps++
			}
		}
	}
	t.Logf("%d kills: state absent %d, valid %d; key absent %d, complete %d; leftover temporary files %d",
		rounds, absent, valid, keyAbsent, keyValid, tmps)
}

// mountTmpfs mounts a small tmpfs at a new directory, or skips.
func mountTmpfs(t *testing.T, size string) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root to mount a tmpfs")
	}
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size, "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs (%v): %s", err, bytes.TrimSpace(out))
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v: %s", dir, err, out)
		}
	})
	return dir
}

func TestSaveDiskFull(t *testing.T) {
	dir := mountTmpfs(t, "64k")
	s := Open(dir)
	small := &State{ConsentID: "before", AccountIDs: []string{"a"}}
	if err := s.Save("p", small); err != nil {
		t.Fatal(err)
	}
	path, _ := s.Path("p")
	before, _ := os.ReadFile(path)
	err := s.Save("p", crashState(1)) // ~180 KB of JSON
	if err == nil {
		t.Fatal("saving 180 KB on a 64 KB filesystem succeeded")
	}
	if !errors.Is(err, syscall.ENOSPC) {
		t.Errorf("error does not surface ENOSPC: %v", err)
	}
	t.Logf("disk full: %v", err)
	after, _ := os.ReadFile(path)
	if !bytes.Equal(before, after) {
		t.Fatal("the previous state file changed")
	}
	if st, err := s.Load("p"); err != nil || st.ConsentID != "before" {
		t.Fatalf("Load after a failed save: %+v %v", st, err)
	}
	ents, _ := os.ReadDir(filepath.Join(dir, "profiles"))
	for _, e := range ents {
		if e.Name() != "p.json" {
			t.Errorf("left behind %s", e.Name())
		}
	}
}

func TestSaveReadOnly(t *testing.T) {
	dir := mountTmpfs(t, "1m")
	s := Open(dir)
	if err := s.Save("p", &State{ConsentID: "before"}); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-o", "remount,ro", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot remount read-only (%v): %s", err, bytes.TrimSpace(out))
	}
	err := s.Save("p", &State{ConsentID: "after"})
	if err == nil {
		t.Fatal("saving on a read-only filesystem succeeded")
	}
	if !errors.Is(err, syscall.EROFS) {
		t.Errorf("error does not surface EROFS: %v", err)
	}
	t.Logf("read-only: %v", err)
	if st, err := s.Load("p"); err != nil || st.ConsentID != "before" {
		t.Fatalf("Load after a failed save: %+v %v", st, err)
	}
}
