package cmdutil

import (
	"maps"
	"path/filepath"
	"slices"
	"strconv"

	"github.com/xs2a-dev/xs2a/pkg/budget"
	"github.com/xs2a-dev/xs2a/pkg/httpsig"
	"github.com/xs2a-dev/xs2a/pkg/sandbox"
)

// SandboxProfile is the profile that points at the sandbox sb, started with
// opts, whose certificate set (qcert.Set.Write) is in certsDir: profile keys
// (profile.Keys) to values. It is the one mapping from a running sandbox to
// a client profile: `xs2a sandbox serve --write-profile` writes it and
// `xs2a flow --sandbox` runs with it, so the two cannot drift apart when a
// key is added.
func SandboxProfile(sb *sandbox.Server, opts sandbox.Options, certsDir string) map[string]string {
	cert := func(name string) string { return absPath(filepath.Join(certsDir, name)) }
	header := opts.APIKeyHeader
	if header == "" {
		header = "X-API-Key" // the sandbox's default
	}
	bank, _ := sandbox.ParseDialect(string(opts.Dialect)) // Start refused any other
	app := sb.DefaultApp
	keys := map[string]string{
		"base_url": sb.URL, "token_url": sb.URL + "/oauth/token", "authorize_url": sb.AuthURL + "/oauth/authorize",
		"client_id": app.ClientID, "client_secret": app.ClientSecret, "api_key": app.APIKey, "api_key_header": header,
		"qwac_cert": cert("qwac.pem"), "qwac_key": cert("qwac.key"), "qseal_cert": cert("qseal.pem"), "qseal_key": cert("qseal.key"),
		"ca_bundle": cert("ca.pem"), "account_type": sandboxAccountType(opts), "api_version": "v1",
		// `xs2a sign verify` judges by the rules this sandbox reads with.
		"bank": string(bank),
		// The client's call budget counts against this bank's limits.
		"budget.rate_per_second": sandboxRate(opts.RatePerSecond), "budget.daily_limit": sandboxDailyLimit(opts.RatePerDay),
		"budget.timezone": budget.DefaultTimezone,
	}
	// The dialect's signature rules, so the profile signs as this bank reads.
	maps.Copy(keys, BankSigning(bank))
	return keys
}

// absPath is path made absolute, for a profile that works from any
// directory; as it is when that fails (no working directory).
func absPath(path string) string {
	if p, err := filepath.Abs(path); err == nil {
		return p
	}
	return path
}

// sandboxAccountType is the profile's account_type for the customer the
// bank approves as: payment when that customer has IBAN payment accounts and
// no cards (5000001), so that `accounts` and `flow` read /v1/accounts with
// the profile as it is; card otherwise (and without AutoApprove, where the
// PSU who signs in is not known beforehand).
func sandboxAccountType(opts sandbox.Options) string {
	if !opts.AutoApprove {
		return "card"
	}
	id := opts.AutoApprovePSU
	if id == "" {
		id = sandbox.DocumentedPSU
	}
	for _, p := range sandbox.TestPSUs("") {
		if p.ID == id && len(p.Cards) == 0 && len(p.Accounts) > 0 {
			return "payment"
		}
	}
	return "card"
}

// sandboxRate is budget.rate_per_second for the sandbox's RatePerSecond:
// zero is the sandbox's default, the Enfuce sandbox's rate that is the
// client's default too; a negative rate (no limit) paces nothing ("0").
func sandboxRate(r float64) string {
	switch {
	case r == 0:
		r = budget.DefaultRatePerSecond
	case r < 0:
		return "0"
	}
	return strconv.FormatFloat(r, 'g', -1, 64)
}

// sandboxDailyLimit is budget.daily_limit for the sandbox's RatePerDay, by
// sandboxRate's rule; a negative limit is "off".
func sandboxDailyLimit(n int) string {
	switch {
	case n == 0:
		n = budget.DefaultDailyLimit
	case n < 0:
		return "off"
	}
	return strconv.Itoa(n)
}

// BankSigning is the profile's signing keys a client needs for bank b to
// accept its signatures, derived from the rules b verifies with
// (httpsig.Bank.VerifyOptions) so that a written profile and the bank
// cannot disagree: adorsys compares the keyId as one string in its own form
// and requires a signed Date; Enfuce and the lenient bank take the
// client's defaults (no keys).
func BankSigning(b httpsig.Bank) map[string]string {
	keys := map[string]string{}
	o := b.VerifyOptions()
	if o.KeyIDFormat != nil {
		if name := httpsig.KeyIDFormName(*o.KeyIDFormat); name != "" {
			keys["signing.keyid_form"] = name
		}
	}
	if slices.Contains(o.RequireHeaders, "date") {
		keys["signing.sign_date"] = "true"
	}
	return keys
}
