package authorize_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/xs2a-dev/xs2a/cmd/xs2a/internal/cmdtest"
	"github.com/xs2a-dev/xs2a/cmd/xs2a/internal/cmdutil"
)

func TestAuthorizeFlags(t *testing.T) {
	e := cmdtest.New(t)
	e.Expect(2, "--timeout must be positive", "authorize", "--timeout", "0s")
	e.Expect(2, `invalid value "soon" for --timeout: want a duration`, "authorize", "--timeout", "soon")
	e.Expect(2, "", "authorize", "extra")
	e.Expect(2, "has no base_url", "authorize")
	e.Bank()
	e.Expect(2, "--idle-notice must not be negative", "authorize", "--idle-notice", "-1s")
}

func TestAuthorizeAgainstTheBank(t *testing.T) {
	e := cmdtest.New(t)
	e.Bank()
	e.Must("token")
	e.Must("consent", "create")
	r := e.Must("authorize", "--exchange", "--timeout", "10s")
	urls := e.Browser.URLs()
	if len(urls) != 1 {
		t.Fatalf("browser opened %v", urls)
	}
	u, err := url.Parse(urls[0])
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	if q.Get("code_challenge_method") != "S256" || !strings.HasPrefix(q.Get("scope"), "AIS:") || q.Get("state") == "" {
		t.Errorf("authorization URL %s", urls[0])
	}
	if !strings.Contains(r.Stdout+r.Stderr, "PSU") {
		t.Errorf("authorize --exchange:\nstdout %s\nstderr %s", r.Stdout, r.Stderr)
	}
	e.Must("consent", "create")
	r = e.Must("-o", "json", "authorize", "--timeout", "10s")
	if !strings.HasPrefix(r.Stdout, "{") || !strings.Contains(r.Stdout, `"code": null`) || !strings.Contains(r.Stdout, `"code_masked": true`) ||
		!strings.Contains(r.Stdout, `"consent_id": "`) {
		t.Errorf("authorize -o json:\n%s", r.Stdout)
	}
	for _, err := range e.Browser.Errs() {
		if err != nil {
			t.Errorf("browser: %v", err)
		}
	}
}

// Without a browser the URL is printed, and the command waits for the
// callback until --timeout.
func TestAuthorizeWithoutABrowser(t *testing.T) {
	e := cmdtest.New(t)
	e.Bank()
	e.Must("token")
	e.Must("consent", "create")
	e.Browser.Err = cmdutil.ErrNoBrowser
	r := e.Run("authorize", "--timeout", "300ms", "--idle-notice", "0")
	if r.Code == 0 || !strings.Contains(r.Stderr, "/oauth/authorize?") {
		t.Errorf("authorize with no browser: exit %d\nstderr %s", r.Code, r.Stderr)
	}
	e.Expect(4, "no callback arrived in time", "authorize", "--consent", "cns-unknown", "--no-browser", "--timeout", "200ms", "--paste=false")
}
