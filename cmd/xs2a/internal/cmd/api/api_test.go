package api_test

import (
	"strings"
	"testing"

	"github.com/xs2a-dev/xs2a/cmd/xs2a/internal/cmdtest"
)

func TestAPIFlags(t *testing.T) {
	e := cmdtest.New(t)
	e.Expect(2, "", "api")
	e.Expect(2, "", "api", "GET")
	e.Expect(2, `method "FETCH"`, "api", "FETCH", "/x")
	e.Expect(2, "must start with /", "api", "GET", "x")
	e.Expect(2, "exclusive", "api", "POST", "/x", "-d", "{}", "--body-file", "b.json")
	e.Expect(2, "is not \"Name: value\"", "api", "GET", "/x", "-H", "nocolon")
	e.Expect(2, "has no base_url", "api", "GET", "/x")
}

func TestAPIAgainstTheBank(t *testing.T) {
	e := cmdtest.New(t)
	b := e.Consented()
	r := e.Must("api", "GET", "/card-accounts", "-H", "PSU-IP-Address: 192.0.2.1")
	if !strings.Contains(r.Stdout, "card-8693") {
		t.Errorf("api GET /card-accounts:\n%s", r.Stdout)
	}
	// An error status: the bank's body still goes to stdout, exit 3.
	r = e.Expect(3, "404", "api", "GET", "/card-accounts/nope", "-H", "PSU-IP-Address: 192.0.2.1")
	if !strings.Contains(r.Stdout, "RESOURCE_UNKNOWN") {
		t.Errorf("api GET of an unknown account: stdout %q", r.Stdout)
	}
	r = e.Must("api", "GET", "/v1/card-accounts/card-8693/balances", "-H", "PSU-IP-Address: 192.0.2.1")
	if !strings.Contains(r.Stdout, "balances") {
		t.Errorf("api GET balances:\n%s", r.Stdout)
	}
	r = e.Must("-o", "json", "consent", "status")
	cid := between(r.Stdout, `"consent_id": "`, `"`)
	e.Must("api", "GET", "/consents/"+cid+"/status", "--token", "client")
	e.Must("api", "GET", "/consents/"+cid+"/authorisations", "--token", "client")
	e.Expect(2, "", "api", "GET", "/card-accounts", "--token", "sometimes")
	r = e.RunStdin(`{"access":{"allPsd2":"allAccounts"},"recurringIndicator":false,"validUntil":"`+e.Now.AddDate(0, 0, 1).Format("2006-01-02")+`","frequencyPerDay":1,"combinedServiceIndicator":false}`,
		"api", "POST", "/consents", "--token", "client", "--body-file", "-")
	if r.Code != 0 || !strings.Contains(r.Stdout, "consentId") {
		t.Errorf("api POST /consents: exit %d\n%s\n%s", r.Code, r.Stdout, r.Stderr)
	}
	e.Must("api", "DELETE", "/consents/"+cid, "--token", "client")
	if !strings.Contains(b.Log.String(), "DELETE /v1/consents/"+cid+" 204") {
		t.Errorf("the bank did not delete %s:\n%s", cid, b.Log.String())
	}
}

func between(s, from, to string) string {
	_, s, _ = strings.Cut(s, from)
	s, _, _ = strings.Cut(s, to)
	return s
}
