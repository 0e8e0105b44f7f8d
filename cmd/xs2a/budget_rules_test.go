package main_test

// The client's budget follows the sandbox's consent rules (README "Consent
// rules"), through the built binary against `xs2a sandbox serve` with the
// profile it writes: a one-off consent reads each endpoint once, refused
// calls spend nothing, and a bank that counts per endpoint and account
// (--bank lenient, written to the profile's bank) is counted so.

import (
	"strings"
	"testing"
)

// approvedConsent creates a consent with args and has the auto-approving
// bank's PSU approve it (authorize --exchange through curl).
func approvedConsent(t *testing.T, s *served, args ...string) []string {
	t.Helper()
	env := []string{"BROWSER=" + flowBrowser(t, s)}
	if r := s.run(env, append([]string{"consent", "create"}, args...)...); r.code != 0 {
		t.Fatalf("consent create %v: exit %d\n%s", args, r.code, r.stderr)
	}
	if r := s.run(env, "authorize", "--exchange", "--timeout", "20s"); r.code != 0 {
		t.Fatalf("authorize: exit %d\n%s", r.code, r.stderr)
	}
	return env
}

func TestOneOffBudgetThroughTheBinary(t *testing.T) {
	needCurl(t)
	s := serveBinary(t)
	env := approvedConsent(t, s, "--one-off")
	if r := s.run(env, "accounts", "list", "--psu-ip", "192.0.2.1"); r.code != 0 {
		t.Fatalf("the one-off consent's first read: exit %d\n%s", r.code, r.stderr)
	}
	// The PSU present or not, the second read of the same endpoint is one
	// the bank refuses: --strict-budget does not send it.
	for _, extra := range [][]string{nil, {"--psu-ip", "192.0.2.1"}} {
		r := s.run(env, append([]string{"accounts", "list", "--strict-budget"}, extra...)...)
		if r.code != 8 || !strings.Contains(r.stderr, "is a one-off consent and has read /v1/card-accounts already") {
			t.Errorf("second read %v: exit %d; want 8 and the one-off reason\n%s", extra, r.code, r.stderr)
		}
	}
	// Sent anyway without --strict-budget: the warning, and the bank agrees.
	r := s.run(env, "accounts", "list")
	if r.code == 0 || !strings.Contains(r.stderr, "one-off consent and has read /v1/card-accounts already (429 ACCESS_EXCEEDED); sending anyway") ||
		!strings.Contains(r.stderr, "ACCESS_EXCEEDED") {
		t.Errorf("second read sent: exit %d\n%s", r.code, r.stderr)
	}
	// Another endpoint is its own access.
	if r := s.run(env, "accounts", "get", "card-8693", "--strict-budget"); r.code != 0 {
		t.Errorf("the card's details: exit %d\n%s", r.code, r.stderr)
	}
	if r := s.run(env, "consent", "status", "--local"); r.code != 0 || !strings.Contains(r.stdout, "one-off consent: 2 endpoint(s) read, each once") {
		t.Errorf("consent status --local: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
}

func TestPerPathBudgetThroughTheBinary(t *testing.T) {
	needCurl(t)
	t.Run("enfuce counts per consent; refused calls spend nothing", func(t *testing.T) {
		s := serveBinary(t)
		env := approvedConsent(t, s, "--frequency-per-day", "1")
		// A 404 is no access, for the bank and the budget alike.
		if r := s.run(env, "accounts", "get", "card-0000"); r.code == 0 || !strings.Contains(r.stderr, "RESOURCE_UNKNOWN") {
			t.Fatalf("an unknown card: exit %d\n%s", r.code, r.stderr)
		}
		if r := s.run(env, "accounts", "list", "--strict-budget"); r.code != 0 {
			t.Fatalf("the one access after a 404: exit %d\n%s", r.code, r.stderr)
		}
		r := s.run(env, "accounts", "balances", "card-8693", "--strict-budget")
		if r.code != 8 || !strings.Contains(r.stderr, "has used its 1 PSU-not-present calls today (frequencyPerDay)") {
			t.Errorf("a second endpoint per consent: exit %d; want 8\n%s", r.code, r.stderr)
		}
	})
	t.Run("lenient counts per endpoint and account", func(t *testing.T) {
		s := serveBinary(t, "--bank", "lenient")
		env := approvedConsent(t, s, "--frequency-per-day", "1")
		for _, args := range [][]string{{"accounts", "list"}, {"accounts", "balances", "card-8693"}, {"accounts", "get", "card-8693"}} {
			if r := s.run(env, append(args, "--strict-budget")...); r.code != 0 {
				t.Errorf("%v: exit %d\n%s", args, r.code, r.stderr)
			}
		}
		r := s.run(env, "accounts", "balances", "card-8693", "--strict-budget")
		if r.code != 8 || !strings.Contains(r.stderr, "has used its 1 PSU-not-present calls of /v1/card-accounts/card-8693/balances today (frequencyPerDay, counted per endpoint and account)") {
			t.Errorf("the same endpoint again: exit %d; want 8\n%s", r.code, r.stderr)
		}
		// And the bank counts so: sent anyway, it answers 429.
		if r := s.run(env, "accounts", "balances", "card-8693"); r.code == 0 || !strings.Contains(r.stderr, "ACCESS_EXCEEDED") {
			t.Errorf("sent anyway: exit %d\n%s", r.code, r.stderr)
		}
	})
}
