package replay_test

import (
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/xs2a-dev/xs2a/cmd/xs2a/internal/cmdtest"
)

func TestReplayFlags(t *testing.T) {
	e := cmdtest.New(t)
	e.Expect(2, "", "replay")
	e.Expect(2, "no such directory", "replay", filepath.Join(e.Dir, "missing"))
	e.Expect(2, "", "replay", e.Dir)
}

func TestReplayAgainstTheBank(t *testing.T) {
	e := cmdtest.New(t)
	b := e.Consented()
	rec := filepath.Join(e.Dir, "rec")
	e.Must("--record", rec, "accounts", "list", "--psu-ip", "192.0.2.1")
	e.Expect(3, "RESOURCE_UNKNOWN", "--record", rec, "accounts", "balances", "bad", "--psu-ip", "192.0.2.1")
	e.Must("--record", rec, "consent", "status")

	r := e.Must("replay", rec)
	if strings.Contains(r.Stdout, "CHANGED") || !strings.Contains(r.Stdout, "same") {
		t.Errorf("replay:\n%s\n%s", r.Stdout, r.Stderr)
	}
	r = e.Must("replay", rec, "-o", "json")
	if !strings.Contains(r.Stdout, `"status"`) {
		t.Errorf("replay -o json:\n%s", r.Stdout)
	}
	if n := strings.Count(b.Log.String(), "GET /v1/card-accounts/bad/balances 404"); n != 3 {
		t.Errorf("the bank saw the recorded 404 %d times, want 3 (recorded, replayed twice)", n)
	}
}

// A replayed POST that creates a consent creates another one: the human
// table's row says so ("consent X is now Y", as README promises), not
// only -o json, though the status is the same.
func TestReplayTableNamesNewIDs(t *testing.T) {
	e := cmdtest.New(t)
	e.Bank()
	e.Must("token")
	rec := filepath.Join(e.Dir, "rec")
	e.Must("--record", rec, "consent", "create")
	r := e.Must("replay", rec)
	if !regexp.MustCompile(`(?m)^1 +POST /v1/consents +201 +201 +same +consent \S+ is now \S+$`).MatchString(r.Stdout) {
		t.Errorf("the row does not name the new consent:\n%s", r.Stdout)
	}
}
