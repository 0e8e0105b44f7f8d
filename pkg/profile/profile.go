// Package profile is the typed configuration of xs2a: the settings of one
// ASPSP environment (a "profile") and the global choices around it. It holds
// no loading logic: the command layer fills it from the config file, XS2A_*
// environment variables and flags, so library users can fill it any way.
package profile

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/xs2a-dev/xs2a/pkg/termsafe"
)

// Config is the resolved configuration a command runs with.
type Config struct {
	// File is the config file that was read, "" when none.
	File string
	// Explicit: File was named with --config or XS2A_CONFIG, not found in
	// the default place (so commands to repeat must name it too).
	Explicit bool
	// Path is the config file in effect: File, or where one would be
	// created (what --write-profile updates).
	Path        string
	ProfileName string
	// Invocation is how to run xs2a again with this configuration, for
	// the commands hints and next steps name: "xs2a", or with the
	// --config and -p the command line gave (an environment variable or
	// the file's profile: hold in the next run too).
	Invocation string
	Output     string // "text" or "json"
	NoColor    bool
	Verbose    bool
	// Insecure skips TLS server verification (--insecure).
	Insecure bool
	// ShowSecrets prints tokens, codes and keys in full (--show-secrets).
	ShowSecrets bool
	// Record is the directory every exchange is recorded to (--record),
	// "" when not recording.
	Record  string
	Profile Profile
	// Sources says where each key's value came from, by the key's name in
	// the file (base_url, signing.keyid_form, output, ...): "flag
	// --NAME", "environment XS2A_NAME", "file" or "default"; a key
	// that is not set has none.
	Sources map[string]string
	// Profiles are the names of the profiles the config file defines,
	// sorted; FileProfile is its top-level profile: ("" when none).
	Profiles    []string
	FileProfile string
}

// Profile is one ASPSP environment (the embedded sandbox, a bank's sandbox, live).
type Profile struct {
	BaseURL      string `mapstructure:"base_url"`
	TokenURL     string `mapstructure:"token_url"`
	AuthorizeURL string `mapstructure:"authorize_url"`
	ClientID     string `mapstructure:"client_id"`
	ClientSecret string `mapstructure:"client_secret"`
	APIKey       string `mapstructure:"api_key"`
	APIKeyHeader string `mapstructure:"api_key_header"`
	QWACCert     string `mapstructure:"qwac_cert"`
	QWACKey      string `mapstructure:"qwac_key"`
	QSealCert    string `mapstructure:"qseal_cert"`
	QSealKey     string `mapstructure:"qseal_key"`
	CABundle     string `mapstructure:"ca_bundle"`
	RedirectURI  string `mapstructure:"redirect_uri"`
	AccountType  string `mapstructure:"account_type"`
	APIVersion   string `mapstructure:"api_version"`
	PSUIPAddress string `mapstructure:"psu_ip_address"`
	// Bank is whose rules `xs2a sign verify` judges by: enfuce | adorsys |
	// lenient (httpsig.Banks); "" is enfuce.
	Bank    string `mapstructure:"bank"`
	Signing Signing
	Budget  Budget
	Scopes  Scopes

	// RegisteredRedirectURIs are the redirect URIs registered at the bank
	// for ClientID, separated by commas or spaces (a YAML list is joined
	// so); see RegisteredRedirects.
	RegisteredRedirectURIs string `mapstructure:"registered_redirect_uris"`

	// AllowedOrigins are origins (scheme://host[:port]) besides base_url's
	// that links and discovered endpoints from the bank may point to,
	// separated by commas or spaces; see pkg/origin.
	AllowedOrigins string `mapstructure:"allowed_origins"`
}

// Budget is the bank's limits as the client counts them (pkg/budget):
// "" takes the Enfuce sandbox's 5 a second, 1000 a day, Europe/Helsinki.
type Budget struct {
	RatePerSecond string `mapstructure:"rate_per_second"`
	DailyLimit    string `mapstructure:"daily_limit"`
	Timezone      string `mapstructure:"timezone"`
	// Strict ("true") refuses a call beyond a budget before sending it.
	Strict string `mapstructure:"strict"`
}

// Scopes are the OAuth scope templates per kind of authorisation; ""
// takes the bank's documented form (DefaultScopes). Each must hold its
// placeholder, {consentId} or {paymentId}: a bank that writes the scope
// otherwise ("PIS[paymentId]") gets its form without a new release.
type Scopes struct {
	AIS  string `mapstructure:"ais"`
	PIS  string `mapstructure:"pis"`
	PIIS string `mapstructure:"piis"`
}

// Scope kinds: what the PSU authorises.
const (
	ScopeAIS  = "ais"  // an account information consent
	ScopePIS  = "pis"  // a payment
	ScopePIIS = "piis" // a confirmation of funds consent
)

// DefaultScopes are the bank's documented forms, by kind.
var DefaultScopes = map[string]string{
	ScopeAIS: "AIS:{consentId}", ScopePIS: "PIS:{paymentId}", ScopePIIS: "PIIS:{consentId}",
}

// scopePlaceholder is the placeholder each kind's template must hold.
var scopePlaceholder = map[string]string{ScopeAIS: "{consentId}", ScopePIS: "{paymentId}", ScopePIIS: "{consentId}"}

// ValidateScope checks a scopes.<kind> template: it must name its
// resource, else every authorisation would ask for the same scope.
func ValidateScope(kind, template string) error {
	ph, ok := scopePlaceholder[kind]
	if !ok {
		return fmt.Errorf("unknown scope kind %q (want ais, pis or piis)", kind)
	}
	if template != "" && !strings.Contains(template, ph) {
		return fmt.Errorf("scopes.%s %q does not contain %s (e.g. %q)", kind, template, ph, DefaultScopes[kind])
	}
	return nil
}

// Scope is the OAuth scope that authorises resource id of kind
// (ScopeAIS, ScopePIS, ScopePIIS): the profile's template, else the
// default, with the placeholder replaced.
func (p *Profile) Scope(kind, id string) (string, error) {
	if i := strings.IndexFunc(id, notScopeChar); i >= 0 {
		return "", &ScopeIDError{Kind: kind, ID: id, Rune: []rune(id[i:])[0]}
	}
	t := map[string]string{ScopeAIS: p.Scopes.AIS, ScopePIS: p.Scopes.PIS, ScopePIIS: p.Scopes.PIIS}[kind]
	if err := ValidateScope(kind, t); err != nil {
		return "", err
	}
	if t == "" {
		t = DefaultScopes[kind]
	}
	return strings.ReplaceAll(t, scopePlaceholder[kind], id), nil
}

// ScopeIDError is an id that cannot go in a scope. The id may come from
// the bank (the state remembers its paymentId): a space in it would add a
// scope of the bank's choosing to what the PSU is asked for.
type ScopeIDError struct {
	Kind, ID string
	Rune     rune // the first one a scope cannot hold
}

func (e *ScopeIDError) Error() string {
	what := map[string]string{ScopePIS: "payment ", ScopePIIS: "funds confirmation consent "}[e.Kind]
	if what == "" {
		what = "consent "
	}
	return fmt.Sprintf("%s cannot go in the OAuth scope: it holds %s, and a scope is printable ASCII without spaces, quotes or backslashes (RFC 6749 §3.3: a space would add another scope to what the PSU is asked for)",
		termsafe.Line(what+e.ID), termsafe.Line(strconv.QuoteRune(e.Rune)))
}

// notScopeChar is a rune a scope token cannot hold (RFC 6749 §3.3:
// NQCHAR = %x21 / %x23-5B / %x5D-7E).
func notScopeChar(r rune) bool { return r < 0x21 || r > 0x7e || r == '"' || r == '\\' }

// Signing holds how an ASPSP wants requests signed.
type Signing struct {
	Algorithm  string `mapstructure:"algorithm"`   // rsa-sha256 | rsa-sha512 | "" (from the certificate)
	Digest     string `mapstructure:"digest"`      // SHA-256 | SHA-512
	SerialForm string `mapstructure:"serial_form"` // der-hex | hex | lower-hex | decimal
	DNForm     string `mapstructure:"dn_form"`     // rfc4514-pct | rfc4514 | x509-order | x509-order-pct
	// KeyIDForm names serial and DN form together: enfuce | adorsys |
	// berlin-group; exclusive with SerialForm and DNForm.
	KeyIDForm string `mapstructure:"keyid_form"`
	// SignDate ("true") adds a Date header and signs it, as adorsys-based
	// ASPSPs require.
	SignDate string `mapstructure:"sign_date"`
}

// Keys lists every profile key as written in the config file, for loaders
// that resolve keys one by one (so environment variables can set each).
var Keys = []string{
	"base_url", "token_url", "authorize_url", "client_id", "client_secret", "api_key", "api_key_header",
	"qwac_cert", "qwac_key", "qseal_cert", "qseal_key", "ca_bundle", "redirect_uri", "registered_redirect_uris", "account_type",
	"api_version", "psu_ip_address", "allowed_origins", "bank",
	"signing.algorithm", "signing.digest", "signing.serial_form", "signing.dn_form",
	"signing.keyid_form", "signing.sign_date",
	"budget.rate_per_second", "budget.daily_limit", "budget.timezone", "budget.strict",
	"scopes.ais", "scopes.pis", "scopes.piis",
}

// Set assigns a key of Keys.
func (p *Profile) Set(key, value string) error {
	m := map[string]*string{
		"base_url": &p.BaseURL, "token_url": &p.TokenURL, "authorize_url": &p.AuthorizeURL,
		"client_id": &p.ClientID, "client_secret": &p.ClientSecret, "api_key": &p.APIKey,
		"api_key_header": &p.APIKeyHeader, "qwac_cert": &p.QWACCert, "qwac_key": &p.QWACKey,
		"qseal_cert": &p.QSealCert, "qseal_key": &p.QSealKey, "ca_bundle": &p.CABundle,
		"redirect_uri": &p.RedirectURI, "account_type": &p.AccountType, "api_version": &p.APIVersion,
		"psu_ip_address": &p.PSUIPAddress, "bank": &p.Bank,
		"signing.algorithm": &p.Signing.Algorithm, "signing.digest": &p.Signing.Digest,
		"signing.serial_form": &p.Signing.SerialForm, "signing.dn_form": &p.Signing.DNForm,
		"signing.keyid_form": &p.Signing.KeyIDForm, "signing.sign_date": &p.Signing.SignDate,
		"registered_redirect_uris": &p.RegisteredRedirectURIs, "allowed_origins": &p.AllowedOrigins,
		"budget.rate_per_second": &p.Budget.RatePerSecond, "budget.daily_limit": &p.Budget.DailyLimit,
		"budget.timezone": &p.Budget.Timezone, "budget.strict": &p.Budget.Strict,
		"scopes.ais": &p.Scopes.AIS, "scopes.pis": &p.Scopes.PIS, "scopes.piis": &p.Scopes.PIIS,
	}
	ptr, ok := m[key]
	if !ok {
		return fmt.Errorf("unknown profile key %q", key)
	}
	if kind, ok := strings.CutPrefix(key, "scopes."); ok {
		if err := ValidateScope(kind, value); err != nil {
			return err
		}
	}
	*ptr = value
	return nil
}

// RegisteredRedirects splits RegisteredRedirectURIs; nil means the profile
// does not say what the bank has registered.
func (p *Profile) RegisteredRedirects() []string {
	return strings.FieldsFunc(p.RegisteredRedirectURIs, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == '\n' })
}

// ValidateOutput checks an --output value.
func ValidateOutput(s string) error {
	switch strings.ToLower(s) {
	case "text", "json":
		return nil
	}
	return fmt.Errorf("invalid --output %q (want text or json)", s)
}
