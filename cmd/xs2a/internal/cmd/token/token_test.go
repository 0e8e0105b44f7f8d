package token_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xs2a-dev/xs2a/cmd/xs2a/internal/cmdtest"
)

func TestTokenFlags(t *testing.T) {
	e := cmdtest.New(t)
	e.Expect(2, "unknown flag: --nope", "token", "--nope")
	e.Expect(2, "", "token", "extra")
	e.Expect(2, "has no base_url", "token")
	e.Expect(2, "has no base_url", "token", "refresh")
	e.Expect(2, "flag needs an argument", "token", "exchange", "--code")
}

func TestTokenAgainstTheBank(t *testing.T) {
	e := cmdtest.New(t)
	e.Bank()
	r := e.Must("token")
	if !strings.Contains(r.Stdout, "client-credentials") || strings.Contains(r.Stdout, "\x1b") {
		t.Errorf("token:\n%s", r.Stdout)
	}
	r = e.Must("token", "-o", "json", "--show-secrets")
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal([]byte(r.Stdout), &tok); err != nil || tok.AccessToken == "" {
		t.Fatalf("token -o json --show-secrets: %v\n%s", err, r.Stdout)
	}
	// The token is kept in the profile's state, in the Env's state directory.
	st, err := os.ReadFile(filepath.Join(e.StateDir, "profiles", "default.json"))
	if err != nil || !strings.Contains(string(st), tok.AccessToken) {
		t.Errorf("state after token: %v\n%s", err, st)
	}

	// Nothing to exchange or refresh yet.
	e.Expect(2, "", "token", "exchange")
	r = e.Run("token", "refresh")
	if r.Code == 0 {
		t.Errorf("token refresh without a refresh token: exit 0\n%s", r.Stdout)
	}

	e.Must("consent", "create")
	e.Must("authorize", "--timeout", "10s") // the code is kept, not exchanged
	r = e.Must("token", "exchange")
	if !strings.Contains(r.Stdout, "PSU") {
		t.Errorf("token exchange:\n%s", r.Stdout)
	}
	// Masked, a token is null beside access_token_masked: no string a
	// script would send as the token.
	r = e.Must("token", "refresh", "-o", "json")
	var masked map[string]any
	if err := json.Unmarshal([]byte(r.Stdout), &masked); err != nil || masked["access_token"] != nil || masked["access_token_masked"] != true ||
		masked["refresh_token"] != nil || masked["refresh_token_masked"] != true {
		t.Errorf("token refresh -o json: %v\n%s", err, r.Stdout)
	}
	r = e.Run("token", "exchange", "--code", "the-code-123", "--verifier", strings.Repeat("v", 43))
	if r.Code == 0 || !strings.Contains(r.Stderr, "invalid_grant") {
		t.Errorf("exchange of an unknown code: exit %d, stderr %q", r.Code, r.Stderr)
	}
}
