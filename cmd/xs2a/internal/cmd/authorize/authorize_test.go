package authorize_test

import (
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xs2a-dev/xs2a/cmd/xs2a/internal/cmdtest"
	"github.com/xs2a-dev/xs2a/cmd/xs2a/internal/cmdutil"
	"github.com/xs2a-dev/xs2a/pkg/state"
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

// --payment and --piis ask for the scope of their kind, from the
// profile's scopes.pis and scopes.piis templates; a template without its
// placeholder is bad config (exit 2), and the AIS scope stays AIS:<id>.
func TestAuthorizeScopes(t *testing.T) {
	e := cmdtest.New(t)
	e.Bank()
	e.Browser.Err = cmdutil.ErrNoBrowser
	scope := func(args ...string) string {
		t.Helper()
		r := e.Run(append([]string{"authorize", "--timeout", "300ms", "--idle-notice", "0", "--paste=false"}, args...)...)
		i := strings.Index(r.Stderr, "https://")
		if r.Code != 4 || i < 0 {
			t.Fatalf("authorize %v: exit %d\n%s", args, r.Code, r.Stderr)
		}
		u, err := url.Parse(strings.Fields(r.Stderr[i:])[0])
		if err != nil {
			t.Fatal(err)
		}
		return u.Query().Get("scope")
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--consent", "cns-1"}, "AIS:cns-1"},
		{[]string{"--payment", "pay-1"}, "PIS:pay-1"},
		{[]string{"--payment=pay-2"}, "PIS:pay-2"},
		{[]string{"--piis", "cns-9"}, "PIIS:cns-9"},
	} {
		if got := scope(c.args...); got != c.want {
			t.Errorf("authorize %v: scope %q, want %q", c.args, got, c.want)
		}
	}
	e.Expect(2, "no payment to authorize", "authorize", "--payment")
	e.Expect(2, "exclude each other", "authorize", "--payment", "pay-1", "--consent", "cns-1")
	e.Expect(2, "unexpected argument", "authorize", "--consent", "cns-1", "pay-1")
	t.Setenv("XS2A_SCOPES_PIS", "PIS[{paymentId}]")
	if got := scope("--payment", "pay-3"); got != "PIS[pay-3]" {
		t.Errorf("scopes.pis PIS[{paymentId}]: scope %q", got)
	}
	t.Setenv("XS2A_SCOPES_PIS", "PIS:{consentId}")
	e.Expect(2, "does not contain {paymentId}", "authorize", "--payment", "pay-3")
}

// A payment's token goes to its own slot: the AIS token, and `accounts`,
// survive a payment authorisation. (The sandbox's PIS side is another
// slice: the code here is an AIS consent's, marked a payment's in the
// state as `authorize --payment` would.)
func TestPaymentTokenKeepsTheAISToken(t *testing.T) {
	e := cmdtest.New(t)
	e.Consented()
	path := filepath.Join(e.StateDir, "profiles", "default.json")
	load := func() *state.State {
		t.Helper()
		st, err := state.Open(e.StateDir).Load("default")
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	ais := load().UserToken
	if ais == nil {
		t.Fatal("no AIS token after the consented flow")
	}
	// A new consent's code, marked a payment's; the AIS token of the
	// first consent put back (consent create drops it).
	aisState := load()
	e.Must("consent", "create", "--one-off") // a recurring one would end the first
	e.Must("authorize", "--timeout", "10s")
	var pay string
	err := state.Open(e.StateDir).Update("default", func(st *state.State) error {
		st.Pending.Kind, pay = "pis", st.Pending.ConsentID
		st.UserToken, st.ConsentID, st.ConsentStatus = aisState.UserToken, aisState.ConsentID, aisState.ConsentStatus
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// The token's scope is the consent's, AIS:<id>: the payment's scope
	// template says so, else the exchange refuses a token for another scope.
	t.Setenv("XS2A_SCOPES_PIS", "AIS:{paymentId}")
	e.Must("token", "exchange")
	st := load()
	if st.UserToken == nil || st.UserToken.AccessToken != ais.AccessToken {
		t.Errorf("the AIS token changed with a payment's exchange (%s)", path)
	}
	if st.Payment == nil || st.Payment.ID != pay || st.Payment.Token == nil || st.Payment.Token.PaymentID != pay || st.Payment.Token.AccessToken == ais.AccessToken {
		t.Errorf("payment slot after the exchange: %+v", st.Payment)
	}
	e.Must("accounts", "list")
}
