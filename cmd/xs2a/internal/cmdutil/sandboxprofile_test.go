package cmdutil

import (
	"maps"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/xs2a-dev/xs2a/pkg/profile"
	"github.com/xs2a-dev/xs2a/pkg/qcert"
	"github.com/xs2a-dev/xs2a/pkg/sandbox"
)

// The profile for a sandbox follows how the sandbox was started: the
// customer it approves as (account_type), how it reads signatures (bank),
// its limits (budget), and names the certificates by absolute paths.
func TestSandboxProfile(t *testing.T) {
	set, err := qcert.GenerateSet(qcert.Options{Org: qcert.DefaultOrg})
	if err != nil {
		t.Fatal(err)
	}
	start := func(opts sandbox.Options) *sandbox.Server {
		opts.Certs = set
		sb, err := sandbox.Start(opts)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(sb.CloseNow)
		return sb
	}
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}

	// As `sandbox serve --auto-approve-as 5000001 --bank adorsys --rate 2.5
	// --daily-limit -1 --certs certs` starts it.
	opts := sandbox.Options{AutoApprove: true, AutoApprovePSU: sandbox.PaymentCustomerID, Dialect: sandbox.DialectAdorsys, RatePerSecond: 2.5, RatePerDay: -1}
	sb := start(opts)
	certs := filepath.Join(wd, "certs")
	want := map[string]string{
		"base_url": sb.URL, "token_url": sb.URL + "/oauth/token", "authorize_url": sb.AuthURL + "/oauth/authorize",
		"client_id": sb.DefaultApp.ClientID, "client_secret": sb.DefaultApp.ClientSecret, "api_key": sb.DefaultApp.APIKey, "api_key_header": "X-API-Key",
		"qwac_cert": filepath.Join(certs, "qwac.pem"), "qwac_key": filepath.Join(certs, "qwac.key"),
		"qseal_cert": filepath.Join(certs, "qseal.pem"), "qseal_key": filepath.Join(certs, "qseal.key"), "ca_bundle": filepath.Join(certs, "ca.pem"),
		"account_type": "payment", "api_version": "v1", "bank": "adorsys",
		"signing.keyid_form": "adorsys", "signing.sign_date": "true",
		"budget.rate_per_second": "2.5", "budget.daily_limit": "off", "budget.timezone": "Europe/Helsinki",
	}
	got := SandboxProfile(sb, opts, "certs")
	if !maps.Equal(got, want) {
		t.Errorf("SandboxProfile =\n%v\nwant\n%v", got, want)
	}
	var p profile.Profile
	for k, v := range got {
		if !slices.Contains(profile.Keys, k) {
			t.Errorf("%q is not a profile key", k)
		}
		if err := p.Set(k, v); err != nil {
			t.Error(err)
		}
	}

	// The zero Options, as `xs2a flow --sandbox` starts its bank: the
	// sandbox's defaults, written out.
	sb = start(sandbox.Options{})
	got = SandboxProfile(sb, sandbox.Options{}, certs)
	for k, v := range map[string]string{"account_type": "card", "bank": "enfuce", "api_key_header": "X-API-Key",
		"budget.rate_per_second": "5", "budget.daily_limit": "1000", "qwac_cert": filepath.Join(certs, "qwac.pem")} {
		if got[k] != v {
			t.Errorf("zero options: %s = %q, want %q", k, got[k], v)
		}
	}
	// Enfuce takes the client's signing defaults: no signing keys.
	for _, k := range []string{"signing.keyid_form", "signing.sign_date"} {
		if v, ok := got[k]; ok {
			t.Errorf("zero options (enfuce): %s = %q, want none", k, v)
		}
	}
	// No rate limit paces nothing; without AutoApprove the customer is
	// unknown beforehand.
	opts = sandbox.Options{AutoApprovePSU: sandbox.PaymentCustomerID, RatePerSecond: -1, RatePerDay: 20, APIKeyHeader: "Api-Key"}
	got = SandboxProfile(start(opts), opts, certs)
	for k, v := range map[string]string{"account_type": "card", "budget.rate_per_second": "0", "budget.daily_limit": "20", "api_key_header": "Api-Key"} {
		if got[k] != v {
			t.Errorf("%+v: %s = %q, want %q", opts, k, got[k], v)
		}
	}
}
