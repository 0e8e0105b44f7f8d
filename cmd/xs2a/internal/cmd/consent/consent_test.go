package consent_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/xs2a-dev/xs2a/cmd/xs2a/internal/cmdtest"
)

func TestConsentFlags(t *testing.T) {
	e := cmdtest.New(t)
	for _, tc := range []struct {
		args []string
		code int
		err  string
	}{
		{[]string{"consent"}, 2, ""},
		{[]string{"consent", "create", "--bogus"}, 2, "unknown flag: --bogus"},
		{[]string{"consent", "create"}, 2, "has no base_url"},
		{[]string{"consent", "status", "a", "b"}, 2, ""},
	} {
		r := e.Run(tc.args...)
		if r.Code != tc.code || !strings.Contains(r.Stderr, tc.err) || r.Stdout != "" {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit %d and %q", tc.args, r.Code, r.Stdout, r.Stderr, tc.code, tc.err)
		}
	}
}

func TestConsentAgainstTheBank(t *testing.T) {
	e := cmdtest.New(t)
	b := e.Bank()
	e.Must("token")
	r := e.Must("-o", "json", "consent", "create")
	var c struct {
		ConsentID string `json:"consentId"`
	}
	if err := json.Unmarshal([]byte(r.Stdout), &c); err != nil || c.ConsentID == "" {
		t.Fatalf("consent create -o json: %v\n%s", err, r.Stdout)
	}
	e.Must("authorize", "--exchange", "--timeout", "10s")
	if n := len(e.Browser.URLs()); n != 1 {
		t.Errorf("browser opened %d URLs, want 1", n)
	}
	r = e.Must("consent", "status")
	if !strings.Contains(r.Stdout, c.ConsentID) || !strings.Contains(r.Stdout, "valid") {
		t.Errorf("consent status:\n%s", r.Stdout)
	}
	e.Must("consent", "status", "-v")
	r = e.Must("consent", "get", "-o", "json")
	if !strings.Contains(r.Stdout, `"consentStatus": "valid"`) {
		t.Errorf("consent get -o json:\n%s", r.Stdout)
	}
	e.Must("consent", "get")
	e.Expect(4, "CONSENT_UNKNOWN", "consent", "status", "unknown-id", "-o", "json")
	e.Expect(4, "CONSENT_UNKNOWN", "consent", "get", "unknown-id")
	e.Must("consent", "delete")
	if !strings.Contains(b.Log.String(), "DELETE /v1/consents/"+c.ConsentID+" 204") {
		t.Errorf("the bank did not delete the consent:\n%s", b.Log.String())
	}
	r = e.Must("consent", "status", c.ConsentID)
	if !strings.Contains(r.Stdout, "terminatedByTpp") {
		t.Errorf("consent status after delete:\n%s", r.Stdout)
	}
	e.Must("consent", "create", "--one-off")
}
