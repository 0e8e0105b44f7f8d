//go:build !windows

package state

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// plant puts a symlink at name pointing at a file outside the state
// directory, and returns the outside file and its content.
func plant(t *testing.T, link string, content string) string {
	t.Helper()
	outside := filepath.Join(t.TempDir(), "victim")
	if content != "" {
		if err := os.WriteFile(outside, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll(filepath.Dir(link), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, link); err != nil {
		t.Fatal(err)
	}
	return outside
}

func unchanged(t *testing.T, path, content string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if content == "" {
		if err == nil {
			t.Errorf("%s was created through the link", path)
		}
		return
	}
	if err != nil || string(b) != content {
		t.Errorf("%s: %q, %v; want it untouched", path, b, err)
	}
}

// A symlink planted where the state file goes is neither read, nor
// written through, nor replaced: a clear error, the target as it was.
func TestStateFileSymlinkIsRefused(t *testing.T) {
	s := Open(t.TempDir())
	path, _ := s.Path("sb")
	const victim = `{"consent_id":"from the victim file"}`
	outside := plant(t, path, victim)
	if _, err := s.Load("sb"); err == nil || !strings.Contains(err.Error(), "symbolic link") || !strings.Contains(err.Error(), path) {
		t.Errorf("Load through a symlink: %v", err)
	}
	if err := s.Update("sb", func(st *State) error { st.ConsentID = "x"; return nil }); err == nil || !strings.Contains(err.Error(), "symbolic link") {
		t.Errorf("Update through a symlink: %v", err)
	}
	if err := s.Save("sb", sample()); err == nil || !strings.Contains(err.Error(), "symbolic link") {
		t.Errorf("Save over a symlink: %v", err)
	}
	unchanged(t, outside, victim)
	if fi, err := os.Lstat(path); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("the planted link itself was replaced: %v %v", fi, err)
	}
}

// The lock file is opened without following a link, so a planted link
// cannot make xs2a create or open a file elsewhere.
func TestLockFileSymlinkIsRefused(t *testing.T) {
	for _, content := range []string{"", "the victim's data\n"} {
		s := Open(t.TempDir())
		outside := plant(t, filepath.Join(s.Dir, "profiles", "sb.lock"), content)
		if err := s.Update("sb", func(st *State) error { return nil }); err == nil || !strings.Contains(err.Error(), "symbolic link") {
			t.Errorf("Update with a planted lock link: %v", err)
		}
		if err := s.Clear("sb"); err == nil {
			t.Error("Clear with a planted lock link succeeded")
		}
		unchanged(t, outside, content)
	}
}

// A FIFO planted at the state path is refused, not waited on forever.
func TestStateFileMustBeARegularFile(t *testing.T) {
	s := Open(t.TempDir())
	path, _ := s.Path("sb")
	os.MkdirAll(filepath.Dir(path), 0o700)
	if err := mkfifo(path); err != nil {
		t.Skip("no mkfifo:", err)
	}
	if _, err := s.Load("sb"); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("Load of a FIFO: %v", err)
	}
}

// Exposed names the state directory and file others can read, only when
// they hold a secret.
func TestExposed(t *testing.T) {
	s := Open(t.TempDir())
	if got := s.Exposed("sb"); len(got) != 0 {
		t.Errorf("no state: %v", got)
	}
	if err := s.Save("sb", &State{ConsentID: "c"}); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(s.Dir, "profiles")
	os.Chmod(dir, 0o755)
	if got := s.Exposed("sb"); len(got) != 0 {
		t.Errorf("no secret in the state: %v", got)
	}
	if err := s.Save("sb", sample()); err != nil {
		t.Fatal(err)
	}
	if got := s.Exposed("sb"); len(got) != 1 || got[0].Path != dir || !got[0].Dir || got[0].Fix() != "chmod 700 "+dir {
		t.Errorf("open dir: %+v", got)
	}
	path, _ := s.Path("sb")
	os.Chmod(path, 0o640)
	if got := s.Exposed("sb"); len(got) != 2 || got[1].Path != path || got[1].Fix() != "chmod 600 "+path {
		t.Errorf("open dir and file: %+v", got)
	}
	os.Chmod(dir, 0o700)
	os.Chmod(path, 0o600)
	if got := s.Exposed("sb"); len(got) != 0 {
		t.Errorf("closed again: %v", got)
	}
}

// A state directory another user made first (a shared XDG_STATE_HOME such
// as /tmp) is refused for reading, writing and locking: its owner could
// read the tokens or plant a state.
func TestForeignStateDirectoryRefused(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to give a directory to another user")
	}
	root := t.TempDir()
	s := Open(root)
	if err := os.MkdirAll(filepath.Join(root, "profiles"), 0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(filepath.Join(root, "profiles"), 65534, 65534); err != nil {
		t.Fatal(err)
	}
	_, lerr := s.Load("p")
	serr := s.Save("p", &State{ConsentID: "c"})
	uerr := s.Update("p", func(*State) error { return nil })
	for name, err := range map[string]error{"Load": lerr, "Save": serr, "Update": uerr} {
		if err == nil || !strings.Contains(err.Error(), "belongs to another user (uid 65534)") {
			t.Errorf("%s: %v; want a refusal naming the owner", name, err)
		}
	}
	if _, err := os.Stat(filepath.Join(root, "profiles", "p.json")); err == nil {
		t.Error("a state file was written into the foreign directory")
	}
}
