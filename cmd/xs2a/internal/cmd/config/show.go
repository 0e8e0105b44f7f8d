package config

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"github.com/xs2a-dev/xs2a/cmd/xs2a/internal/cmdutil"
	"github.com/xs2a-dev/xs2a/pkg/budget"
	"github.com/xs2a-dev/xs2a/pkg/iostreams"
	"github.com/xs2a-dev/xs2a/pkg/profile"
	"github.com/xs2a-dev/xs2a/pkg/termsafe"
)

// ShowOptions are what `xs2a config show` uses (it has no flags of its
// own: -p, --show-secrets and -o are global).
type ShowOptions struct {
	IO     *iostreams.IOStreams
	Config func() (*profile.Config, error)
}

// NewCmdShow builds `xs2a config show`.
func NewCmdShow(f *cmdutil.Factory, runF func(*ShowOptions) error) *cobra.Command {
	o := &ShowOptions{IO: f.IO, Config: f.Config}
	return &cobra.Command{
		Use:   "show",
		Short: "Print the profile in effect, where each value came from, and the client authentication it implies",
		Long: `Print every key of the profile in effect (-p, XS2A_PROFILE, the file's
profile:, else "default") with its value and where that came from: a flag,
the environment (XS2A_<KEY>), the config file, or the default the client
uses when the key is left out. Client secrets
and API keys are masked unless --show-secrets. The last line names the
client authentication the token endpoint will see: client_secret_basic with
a client_secret, tls_client_auth (RFC 8705, the QWAC alone) without one.`,
		Example: `  xs2a config show
  xs2a config show -p sandbox
  xs2a config show -o json | jq -r .settings.base_url.value`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(o)
			}
			return showRun(o)
		},
	}
}

// secretKeys are masked unless --show-secrets.
var secretKeys = []string{"client_secret", "api_key"}

// setting is one key in the JSON answer: a masked secret's value is null
// with masked true, so that no script sends the mask as the secret.
type setting struct {
	Value  *string `json:"value"`
	Masked bool    `json:"masked,omitempty"`
	Source string  `json:"source"`
}

// AuthMethod is the client authentication the token endpoint sees for p
// (pkg/oauth): the client secret in HTTP Basic when there is one, else the
// QWAC alone (RFC 8705 tls_client_auth); and why.
func AuthMethod(p profile.Profile) (method, why string) {
	switch {
	case p.ClientSecret != "":
		return "client_secret_basic", "client_id and client_secret in the Authorization header, over mutual TLS with the QWAC"
	case p.QWACCert != "":
		return "tls_client_auth", "no client_secret: the QWAC alone authenticates client_id (RFC 8705)"
	default:
		return "tls_client_auth", "no client_secret, and no qwac_cert to authenticate client_id with: the token endpoint will refuse"
	}
}

// defaults are what the client uses for a key left unset (pkg/xs2a,
// pkg/budget, the accounts commands, sign verify).
var defaults = map[string]string{
	"api_version": "v1", "api_key_header": "X-API-Key", "account_type": "card", "bank": "enfuce",
	"budget.rate_per_second": strconv.FormatFloat(budget.DefaultRatePerSecond, 'g', -1, 64),
	"budget.daily_limit":     strconv.Itoa(budget.DefaultDailyLimit), "budget.timezone": budget.DefaultTimezone,
	"budget.strict": "false",
	"scopes.ais":    profile.DefaultScopes[profile.ScopeAIS], "scopes.pis": profile.DefaultScopes[profile.ScopePIS],
	"scopes.piis": profile.DefaultScopes[profile.ScopePIIS],
}

// resolved is key's value and source, a default when unset; "" when
// neither.
func resolved(cfg *profile.Config, key string) (v, src string) {
	if v = value(&cfg.Profile, key); v != "" {
		return v, cfg.Sources[key]
	}
	if d, ok := defaults[key]; ok {
		return d, "default"
	}
	return "", "not set"
}

func value(p *profile.Profile, key string) string {
	v := map[string]string{
		"base_url": p.BaseURL, "token_url": p.TokenURL, "authorize_url": p.AuthorizeURL,
		"client_id": p.ClientID, "client_secret": p.ClientSecret, "api_key": p.APIKey,
		"api_key_header": p.APIKeyHeader, "qwac_cert": p.QWACCert, "qwac_key": p.QWACKey,
		"qseal_cert": p.QSealCert, "qseal_key": p.QSealKey, "ca_bundle": p.CABundle,
		"redirect_uri": p.RedirectURI, "account_type": p.AccountType, "api_version": p.APIVersion,
		"psu_ip_address": p.PSUIPAddress, "bank": p.Bank,
		"signing.algorithm": p.Signing.Algorithm, "signing.digest": p.Signing.Digest,
		"signing.serial_form": p.Signing.SerialForm, "signing.dn_form": p.Signing.DNForm,
		"signing.keyid_form": p.Signing.KeyIDForm, "signing.sign_date": p.Signing.SignDate,
		"registered_redirect_uris": p.RegisteredRedirectURIs, "allowed_origins": p.AllowedOrigins,
		"budget.rate_per_second": p.Budget.RatePerSecond, "budget.daily_limit": p.Budget.DailyLimit,
		"budget.timezone": p.Budget.Timezone, "budget.strict": p.Budget.Strict,
		"scopes.ais": p.Scopes.AIS, "scopes.pis": p.Scopes.PIS, "scopes.piis": p.Scopes.PIIS,
	}
	return v[key]
}

func showRun(o *ShowOptions) error {
	cfg, err := o.Config()
	if err != nil {
		return err
	}
	method, why := AuthMethod(cfg.Profile)
	file := cfg.File
	if cfg.Output == "json" {
		settings := map[string]setting{}
		for _, k := range profile.Keys {
			v, src := resolved(cfg, k)
			s := setting{Source: src}
			switch {
			case v == "":
			case slices.Contains(secretKeys, k) && !cfg.ShowSecrets:
				s.Masked = true
			default:
				s.Value = &v
			}
			settings[k] = s
		}
		var filePtr *string
		if file != "" {
			filePtr = &file
		}
		return cmdutil.WriteJSON(o.IO.Out, map[string]any{
			"config_file": filePtr, "profile": cfg.ProfileName, "profile_source": cfg.Sources["profile"],
			"profile_in_file": slices.Contains(cfg.Profiles, strings.ToLower(cfg.ProfileName)),
			"settings":        settings, "client_auth_method": method, "client_auth_reason": why,
		})
	}
	w := o.IO.Out
	if file == "" {
		fmt.Fprintf(w, "config file: none (%s does not exist)\n", termsafe.Line(cfg.Path))
	} else {
		fmt.Fprintf(w, "config file: %s\n", termsafe.Line(file))
	}
	note := ""
	if !slices.Contains(cfg.Profiles, strings.ToLower(cfg.ProfileName)) {
		note = ", not in the config file"
	}
	fmt.Fprintf(w, "profile: %s (%s%s)\n", termsafe.Line(cfg.ProfileName), cfg.Sources["profile"], note)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, k := range profile.Keys {
		v, src := resolved(cfg, k)
		switch {
		case v == "":
			v = "-"
		case slices.Contains(secretKeys, k):
			v = cmdutil.Mask(v, cfg.ShowSecrets)
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", k, termsafe.Line(v), src)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "client authentication: %s (%s)\n", method, why)
	return err
}
