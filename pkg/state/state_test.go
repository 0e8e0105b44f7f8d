package state

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

func sample() *State {
	exp := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	return &State{
		ConsentID:     "c-123",
		ConsentStatus: "valid",
		ValidUntil:    "2030-01-01",
		Pending:       &Pending{ConsentID: "c-123", State: "st", Verifier: "ver", RedirectURI: "http://127.0.0.1:8765/cb", Created: exp.Add(-time.Hour)},
		Code:          "code-1",
		CodeVerifier:  "ver",
		CodeRedirect:  "http://127.0.0.1:8765/cb",
		ClientToken:   &Token{AccessToken: "cat", Expiry: exp, Scope: "AIS"},
		UserToken:     &Token{AccessToken: "uat", RefreshToken: "urt", Expiry: exp, Scope: "AIS:c-123", ConsentID: "c-123"},
	}
}

func TestRoundTrip(t *testing.T) {
	s := Open(t.TempDir())
	in := sample()
	before := time.Now()
	if err := s.Save("sandbox", in); err != nil {
		t.Fatal(err)
	}
	if in.Updated.Before(before.Add(-time.Second)) || in.Updated.After(time.Now().Add(time.Second)) {
		t.Errorf("Updated = %v, not now", in.Updated)
	}
	out, err := s.Load("sandbox")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(in, out) {
		t.Errorf("round trip:\n got %+v\nwant %+v", out, in)
	}
	// Profiles are separate.
	other, err := s.Load("live")
	if err != nil || !reflect.DeepEqual(other, &State{}) {
		t.Errorf("other profile: %+v, %v", other, err)
	}
	// The file is JSON with the documented names.
	p, _ := s.Path("sandbox")
	data, _ := os.ReadFile(p)
	for _, k := range []string{`"consent_id"`, `"pending"`, `"code_verifier"`, `"code_redirect_uri"`, `"client_token"`, `"user_token"`, `"refresh_token"`, `"expiry"`, `"updated"`} {
		if !strings.Contains(string(data), k) {
			t.Errorf("state file lacks %s:\n%s", k, data)
		}
	}
}

func TestPermissions(t *testing.T) {
	root := filepath.Join(t.TempDir(), "xs2a")
	s := Open(root)
	if err := s.Save("p", sample()); err != nil {
		t.Fatal(err)
	}
	p, _ := s.Path("p")
	if p != filepath.Join(root, "profiles", "p.json") {
		t.Errorf("Path = %s", p)
	}
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	if m := fi.Mode().Perm(); m != 0o600 {
		t.Errorf("file mode %o, want 600", m)
	}
	for _, d := range []string{root, filepath.Join(root, "profiles")} {
		di, err := os.Stat(d)
		if err != nil {
			t.Fatal(err)
		}
		if m := di.Mode().Perm(); m != 0o700 {
			t.Errorf("%s mode %o, want 700", d, m)
		}
	}
	// No temporary files are left behind.
	ents, _ := os.ReadDir(filepath.Join(root, "profiles"))
	for _, e := range ents {
		if e.Name() != "p.json" {
			t.Errorf("stray file %s", e.Name())
		}
	}
}

func TestMissingAndEmpty(t *testing.T) {
	s := Open(filepath.Join(t.TempDir(), "nothing-here"))
	st, err := s.Load("sandbox")
	if err != nil || st == nil || !reflect.DeepEqual(st, &State{}) {
		t.Fatalf("missing file: %+v, %v", st, err)
	}
	if _, err := os.Stat(s.Dir); !errors.Is(err, os.ErrNotExist) {
		t.Error("Load created the directory")
	}
	p, _ := s.Path("sandbox")
	os.MkdirAll(filepath.Dir(p), 0o700)
	os.WriteFile(p, nil, 0o600)
	if st, err := s.Load("sandbox"); err != nil || !reflect.DeepEqual(st, &State{}) {
		t.Errorf("empty file: %+v, %v", st, err)
	}
}

func TestCorrupt(t *testing.T) {
	s := Open(t.TempDir())
	p, _ := s.Path("bank")
	os.MkdirAll(filepath.Dir(p), 0o700)
	if err := os.WriteFile(p, []byte(`{"consent_id": "c-1",`), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := s.Load("bank")
	if err == nil {
		t.Fatal("corrupt file loaded")
	}
	for _, w := range []string{p, "delete it", "again"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not mention %q", err, w)
		}
	}
	// Update refuses too, and leaves the file for the user to look at.
	if err := s.Update("bank", func(*State) error { t.Error("fn called"); return nil }); err == nil {
		t.Error("Update over a corrupt file succeeded")
	}
	if data, _ := os.ReadFile(p); string(data) != `{"consent_id": "c-1",` {
		t.Error("corrupt file was changed")
	}
}

func TestInvalidProfileNames(t *testing.T) {
	s := Open(t.TempDir())
	bad := []string{"../x", "", "a/b", ".", "..", `a\b`, "a b", "ä", strings.Repeat("x", 65), "/etc/passwd", "x\x00"}
	for _, name := range bad {
		if _, err := s.Path(name); err == nil {
			t.Errorf("Path(%q) accepted", name)
		}
		if _, err := s.Load(name); err == nil {
			t.Errorf("Load(%q) accepted", name)
		}
		if err := s.Save(name, &State{}); err == nil {
			t.Errorf("Save(%q) accepted", name)
		}
		if err := s.Update(name, func(*State) error { return nil }); err == nil {
			t.Errorf("Update(%q) accepted", name)
		}
		if err := s.Clear(name); err == nil {
			t.Errorf("Clear(%q) accepted", name)
		}
	}
	for _, name := range []string{"sandbox", "bank-x.live_2", "A", strings.Repeat("x", 64), "..x", ".hidden"} {
		p, err := s.Path(name)
		if err != nil {
			t.Errorf("Path(%q): %v", name, err)
			continue
		}
		if filepath.Dir(p) != filepath.Join(s.Dir, "profiles") {
			t.Errorf("Path(%q) = %s escapes the profiles directory", name, p)
		}
	}
}

func TestConcurrentUpdatesLoseNothing(t *testing.T) {
	s := Open(t.TempDir())
	const n = 10
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			err := s.Update("p", func(st *State) error {
				c, _ := strconv.Atoi(st.ValidUntil)
				// Widen the race window: without the lock, others
				// would read the same count meanwhile.
				time.Sleep(2 * time.Millisecond)
				st.ValidUntil = strconv.Itoa(c + 1)
				st.ConsentID += string(rune('a' + i))
				return nil
			})
			if err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	st, err := s.Load("p")
	if err != nil {
		t.Fatal(err)
	}
	if st.ValidUntil != strconv.Itoa(n) || len(st.ConsentID) != n {
		t.Errorf("after %d updates: counter %s, ConsentID %q", n, st.ValidUntil, st.ConsentID)
	}
	for i := range n {
		if !strings.ContainsRune(st.ConsentID, rune('a'+i)) {
			t.Errorf("update %d lost: %q", i, st.ConsentID)
		}
	}
}

func TestUpdateErrorSavesNothing(t *testing.T) {
	s := Open(t.TempDir())
	if err := s.Save("p", &State{ConsentID: "keep"}); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	err := s.Update("p", func(st *State) error { st.ConsentID = "lost"; return boom })
	if !errors.Is(err, boom) {
		t.Fatalf("Update error %v", err)
	}
	if st, _ := s.Load("p"); st.ConsentID != "keep" {
		t.Errorf("ConsentID %q after a failed update", st.ConsentID)
	}
}

func TestClear(t *testing.T) {
	s := Open(t.TempDir())
	if err := s.Clear("never-saved"); err != nil {
		t.Errorf("Clear of nothing: %v", err)
	}
	if err := s.Save("p", sample()); err != nil {
		t.Fatal(err)
	}
	if err := s.Save("q", &State{ConsentID: "q"}); err != nil {
		t.Fatal(err)
	}
	if err := s.Clear("p"); err != nil {
		t.Fatal(err)
	}
	if st, err := s.Load("p"); err != nil || !reflect.DeepEqual(st, &State{}) {
		t.Errorf("after Clear: %+v, %v", st, err)
	}
	if st, _ := s.Load("q"); st.ConsentID != "q" {
		t.Error("Clear touched another profile")
	}
}

func TestTokenValid(t *testing.T) {
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	cases := []struct {
		name string
		tok  *Token
		want bool
	}{
		{"nil", nil, false},
		{"empty", &Token{}, false},
		{"no access token", &Token{RefreshToken: "r", Expiry: now.Add(time.Hour)}, false},
		{"an hour left", &Token{AccessToken: "a", Expiry: now.Add(time.Hour)}, true},
		{"31s left", &Token{AccessToken: "a", Expiry: now.Add(31 * time.Second)}, true},
		{"30s+1ns left", &Token{AccessToken: "a", Expiry: now.Add(30*time.Second + 1)}, true},
		{"exactly 30s left", &Token{AccessToken: "a", Expiry: now.Add(30 * time.Second)}, false},
		{"10s left", &Token{AccessToken: "a", Expiry: now.Add(10 * time.Second)}, false},
		{"expires now", &Token{AccessToken: "a", Expiry: now}, false},
		{"expired", &Token{AccessToken: "a", Expiry: now.Add(-time.Minute)}, false},
		{"no expiry known", &Token{AccessToken: "a"}, true},
		{"other zone", &Token{AccessToken: "a", Expiry: now.Add(time.Minute).In(time.FixedZone("CET", 3600))}, true},
	}
	for _, c := range cases {
		if got := c.tok.Valid(now); got != c.want {
			t.Errorf("%s: Valid = %v, want %v", c.name, got, c.want)
		}
	}
}

func TestDefaultDir(t *testing.T) {
	t.Setenv("XDG_STATE_HOME", "/var/tmp/xdg-state")
	if d, err := DefaultDir(); err != nil || d != filepath.Join("/var/tmp/xdg-state", "xs2a") {
		t.Errorf("with XDG_STATE_HOME: %s, %v", d, err)
	}
	home := t.TempDir()
	t.Setenv("HOME", home)
	for _, x := range []string{"", "relative/dir"} {
		t.Setenv("XDG_STATE_HOME", x)
		if d, err := DefaultDir(); err != nil || d != filepath.Join(home, ".local", "state", "xs2a") {
			t.Errorf("XDG_STATE_HOME=%q: %s, %v", x, d, err)
		}
	}
}

// A save that cannot write leaves the previous state as it was.
func TestSaveFailureKeepsOldFile(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("running as root: permissions do not stop root from writing, so a read-only directory cannot make Save fail")
	}
	s := Open(t.TempDir())
	if err := s.Save("p", &State{ConsentID: "old"}); err != nil {
		t.Fatal(err)
	}
	p, _ := s.Path("p")
	old, _ := os.ReadFile(p)
	dir := filepath.Dir(p)
	if err := os.Chmod(dir, 0o500); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(dir, 0o700) })
	if err := s.Save("p", &State{ConsentID: "new"}); err == nil {
		t.Fatal("Save into a read-only directory succeeded")
	}
	if now, _ := os.ReadFile(p); string(now) != string(old) {
		t.Errorf("old file changed:\n%s", now)
	}
	if st, err := s.Load("p"); err != nil || st.ConsentID != "old" {
		t.Errorf("Load after failed save: %+v, %v", st, err)
	}
}

// The same guarantee where root cannot bypass it: a state that cannot be
// encoded (a year past 9999) fails before anything is written.
func TestSaveEncodingFailureKeepsOldFile(t *testing.T) {
	s := Open(t.TempDir())
	if err := s.Save("p", &State{ConsentID: "old"}); err != nil {
		t.Fatal(err)
	}
	p, _ := s.Path("p")
	old, _ := os.ReadFile(p)
	bad := &State{ConsentID: "new", UserToken: &Token{AccessToken: "a", Expiry: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}}
	if err := s.Save("p", bad); err == nil {
		t.Fatal("Save of an unencodable state succeeded")
	}
	if !bad.Updated.IsZero() {
		t.Error("a failed Save still set Updated")
	}
	if now, _ := os.ReadFile(p); string(now) != string(old) {
		t.Errorf("old file changed:\n%s", now)
	}
}

// And where the target cannot be replaced at all (a directory in its
// place), the error says so and nothing else is disturbed.
func TestSaveOverDirectoryFails(t *testing.T) {
	s := Open(t.TempDir())
	p, _ := s.Path("p")
	if err := os.MkdirAll(filepath.Join(p, "keep"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := s.Save("p", &State{ConsentID: "x"}); err == nil {
		t.Fatal("Save over a directory succeeded")
	}
	if _, err := os.Stat(filepath.Join(p, "keep")); err != nil {
		t.Error("the directory in the way was disturbed")
	}
	ents, _ := os.ReadDir(filepath.Dir(p))
	for _, e := range ents {
		if strings.Contains(e.Name(), ".tmp-") {
			t.Errorf("temporary file %s left behind", e.Name())
		}
	}
}
