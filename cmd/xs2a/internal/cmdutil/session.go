package cmdutil

import (
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"net/url"
	"path"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"github.com/xs2a-dev/xs2a/pkg/budget"
	"github.com/xs2a-dev/xs2a/pkg/bundle"
	"github.com/xs2a-dev/xs2a/pkg/httplog"
	"github.com/xs2a-dev/xs2a/pkg/httpsig"
	"github.com/xs2a-dev/xs2a/pkg/mtls"
	"github.com/xs2a-dev/xs2a/pkg/oauth"
	"github.com/xs2a-dev/xs2a/pkg/origin"
	"github.com/xs2a-dev/xs2a/pkg/pemfile"
	"github.com/xs2a-dev/xs2a/pkg/profile"
	"github.com/xs2a-dev/xs2a/pkg/state"
	"github.com/xs2a-dev/xs2a/pkg/termsafe"
	"github.com/xs2a-dev/xs2a/pkg/xs2a"
	"golang.org/x/time/rate"
)

// Session is what a network command works with: the profile, the one mTLS
// client (token endpoint), the one signed client (API), the AIS client and
// the profile's state.
type Session struct {
	Config *profile.Config
	MTLS   *http.Client
	Signed *http.Client
	API    *xs2a.Client
	OAuth  oauth.Config
	Store  *state.Store
	Now    func() time.Time
	// Budget is the bank's limits from the profile (budget.* keys).
	Budget budget.Limits
	// ErrOut hears warnings about the bank's answers.
	ErrOut io.Writer
	// Origins is where links and discovered endpoints may point.
	Origins *origin.Policy
	// Recorder writes every exchange of both clients to --record's
	// directory; nil when not recording.
	Recorder *bundle.Recorder
}

// Session builds the session for the configuration in effect
// (NewSession). The signed client's composition order: budget, then sign,
// then record, then trace, then send, so that a call refused for its budget
// is never signed or sent, and the recording and the -v trace show the
// exact signed headers.
func (f *Factory) Session() (*Session, error) {
	cfg, err := f.Config()
	if err != nil {
		return nil, err
	}
	return NewSession(f, cfg, nil)
}

// configName is the config file for a message: the file read, else where
// one would be.
func configName(cfg *profile.Config) string {
	if cfg.File != "" {
		return termsafe.Line(cfg.File)
	}
	if cfg.Path != "" {
		return "no config file at " + termsafe.Line(cfg.Path)
	}
	return "no config file"
}

// NewSession builds a session for an explicit configuration; store nil
// means the profile's state in the XDG state directory.
func NewSession(f *Factory, cfg *profile.Config, store *state.Store) (*Session, error) {
	p := cfg.Profile
	if p.BaseURL == "" {
		if p != (profile.Profile{}) {
			// A bank's profile: `sandbox serve --write-profile` with its
			// name would overwrite it with the sandbox's.
			return nil, UsageErrorf("profile %q has no base_url: set base_url in it (%s) to the ASPSP's API root, without /v1", cfg.ProfileName, configName(cfg))
		}
		return nil, UsageErrorf("profile %q has no base_url: configure the ASPSP (see configs/xs2a.example.yaml) or run `xs2a sandbox serve --write-profile %s`", cfg.ProfileName, cfg.ProfileName)
	}
	origins, err := checkURLs(cfg)
	if err != nil {
		return nil, err
	}
	m, err := mtls.New(mtls.Options{CertFile: p.QWACCert, KeyFile: p.QWACKey, CABundle: p.CABundle, Insecure: cfg.Insecure})
	if err != nil {
		return nil, FileError(err)
	}
	if store == nil {
		dir, err := state.DefaultDir()
		if err != nil {
			return nil, err
		}
		store = state.Open(dir)
	}
	warnExposed(f, store, cfg.ProfileName)
	if cfg.Insecure {
		fmt.Fprintln(f.IO.ErrOut, "warning: --insecure: the ASPSP's TLS certificate is not verified; tokens can be read by anyone on the path")
	}
	lim, err := budget.ParseLimits(p.Budget.RatePerSecond, p.Budget.DailyLimit, p.Budget.Timezone, p.Budget.Strict)
	if err != nil {
		return nil, UsageErrorf("profile %q: %v", cfg.ProfileName, err)
	}
	// adorsys-based banks count frequencyPerDay per endpoint and account.
	lim.PerPath = budget.CountsPerPath(p.Bank)
	s := &Session{Config: cfg, Now: f.Now, Store: store, Budget: lim, Origins: origins, ErrOut: f.IO.ErrOut}
	if err := s.buildClients(f, m); err != nil {
		return nil, err
	}
	if s.API, err = apiClient(f, cfg, s.Signed, origins, lim); err != nil {
		return nil, err
	}
	s.OAuth = oauth.Config{ClientID: p.ClientID, ClientSecret: p.ClientSecret, AuthorizeURL: p.AuthorizeURL, TokenURL: p.TokenURL, RedirectURL: p.RedirectURI, Now: f.Now}
	return s, nil
}

// buildClients composes the token client (s.MTLS) and the API client
// (s.Signed) over the mutual-TLS transport m, from the outside in: count,
// sign, record, trace, send. The recording and the -v trace thus show the
// exact signed headers.
func (s *Session) buildClients(f *Factory, m *mtls.Client) error {
	cfg := s.Config
	base := traced(f, cfg, m)
	mtlsBase := base
	if cfg.Record != "" {
		rec, err := newRecorder(f, cfg, m.Leaf, s.Store)
		if err != nil {
			return err
		}
		s.Recorder = rec
		mtlsBase = rec.Transport(bundle.KindOAuth, base)
		base = rec.Transport(bundle.KindAPI, base)
	}
	// Every client hands a 3xx back instead of following it (origin.NoRedirect).
	s.MTLS = &http.Client{Transport: mtlsBase, Timeout: m.HTTP.Timeout, CheckRedirect: origin.NoRedirect}
	signed, err := signingTransport(f, cfg, base)
	if err != nil {
		return err
	}
	// A failure on the way names the profile key of its URL; under the
	// budget, which is the client's own refusal (and flow reaches it by
	// type).
	signed = endpointTransport{p: cfg.Profile, base: signed}
	// Outermost, so a call refused for its budget is neither signed, nor
	// recorded, nor sent; every command's API calls pass here.
	s.Signed = &http.Client{Transport: budgetTransport(f, cfg, s.Budget, s.Store, signed), Timeout: m.HTTP.Timeout, CheckRedirect: origin.NoRedirect}
	s.MTLS.Transport = endpointTransport{p: cfg.Profile, base: s.MTLS.Transport}
	return nil
}

// traced is the mutual-TLS transport, behind the -v trace on stderr when
// verbose.
func traced(f *Factory, cfg *profile.Config, m *mtls.Client) http.RoundTripper {
	if !cfg.Verbose {
		return m.RoundTripper
	}
	tr := &httplog.Transport{Base: m.RoundTripper, Out: f.IO.ErrOut, ShowSecrets: cfg.ShowSecrets}
	if cfg.Profile.APIKeyHeader != "" {
		tr.SecretHeaders = []string{cfg.Profile.APIKeyHeader}
	}
	if m.Leaf != nil {
		tr.ClientCert, _ = httpsig.FormatDN(m.Leaf.RawSubject, httpsig.DNRFC4514)
	}
	return tr
}

// signingTransport signs the API calls over base with the profile's
// QSealC; a profile without one sends them unsigned, with a warning.
func signingTransport(f *Factory, cfg *profile.Config, base http.RoundTripper) (http.RoundTripper, error) {
	p := cfg.Profile
	if p.QSealCert == "" && p.QSealKey == "" {
		// Some sandboxes do not ask for signatures; say so once.
		fmt.Fprintf(f.IO.ErrOut, "warning: profile %q has no qseal_cert/qseal_key: requests are not signed\n", cfg.ProfileName)
		// base, not the token client's: a recording still tells API calls from token calls.
		return base, nil
	}
	key, err := pemfile.ReadRSAKey(p.QSealKey)
	if err != nil {
		return nil, FileError(err)
	}
	cert, err := pemfile.ReadCertificate(p.QSealCert)
	if err != nil {
		return nil, FileError(err)
	}
	if err := pemfile.CheckPair(key, cert, p.QSealKey, p.QSealCert); err != nil {
		return nil, CertError(err)
	}
	signer := &httpsig.Signer{Key: key, Cert: cert, Now: f.Now}
	if err := ApplySigning(signer, p.Signing); err != nil {
		return nil, err
	}
	return &httpsig.Transport{Signer: signer, Base: base}, nil
}

// apiClient is the XS2A client over the signed client: the PSU's IP
// address (--psu-ip over the profile's) and a rate a little under the
// bank's limit.
func apiClient(f *Factory, cfg *profile.Config, signed *http.Client, origins *origin.Policy, lim budget.Limits) (*xs2a.Client, error) {
	p := cfg.Profile
	psuIP := p.PSUIPAddress
	if f.PSUIPAddress != "" {
		psuIP = f.PSUIPAddress
	}
	if psuIP != "" && !validPSUIP(psuIP) {
		return nil, UsageErrorf("profile %q: psu_ip_address %q is not an IP address", cfg.ProfileName, psuIP)
	}
	c := &xs2a.Client{HTTP: signed, BaseURL: p.BaseURL, Origins: origins, Version: p.APIVersion, APIKey: p.APIKey, APIKeyHeader: p.APIKeyHeader, PSUIPAddress: psuIP}
	if cfg.Verbose {
		// The file's fallback for the mandatory header on POST /v1/consents:
		// said once, so the user knows what the bank was told and how to change it.
		var once sync.Once
		c.OnLocalPSUIP = func(a netip.Addr) {
			once.Do(func() {
				fmt.Fprintf(f.IO.ErrOut, "PSU-IP-Address: %s (the local address of the connection; set psu_ip_address or --psu-ip)\n", a)
			})
		}
	}
	switch r := lim.RatePerSecond; {
	case r == 0:
		c.Limiter = rate.NewLimiter(rate.Inf, 0)
	case r != budget.DefaultRatePerSecond:
		// A little under the bank's rate, as xs2a.Client's default is under 5.
		c.Limiter = rate.NewLimiter(rate.Limit(r*0.9), max(1, int(r)))
	}
	return c, nil
}

// warnedExposed: a command that builds two sessions warns once.
var warnedExposed sync.Map

// warnExposed warns when others can read the state directory or file
// while it holds tokens: xs2a makes them 0700 and 0600, but a directory
// made by hand or a file copied in keeps its mode.
func warnExposed(f *Factory, store *state.Store, profile string) {
	if runtime.GOOS == "windows" {
		return // no POSIX mode bits to speak of
	}
	for _, e := range store.Exposed(profile) {
		if _, done := warnedExposed.LoadOrStore(e.Path, true); done {
			continue
		}
		what := "state file"
		if e.Dir {
			what = "state directory"
		}
		fmt.Fprintf(f.IO.ErrOut, "warning: %s %s holds tokens and others can read it (mode %04o): %s\n",
			what, termsafe.Line(e.Path), e.Mode, termsafe.Line(e.Fix()))
	}
}

// checkURLs refuses profile URLs that would carry credentials in clear
// (plain http beyond this machine) and builds the policy for the URLs the
// bank hands back: base_url's origin and allowed_origins.
func checkURLs(cfg *profile.Config) (*origin.Policy, error) {
	p := cfg.Profile
	for _, kv := range [][2]string{{"base_url", p.BaseURL}, {"token_url", p.TokenURL}, {"authorize_url", p.AuthorizeURL}} {
		// bank.example:443 parses as no URL at all (or as a scheme):
		// the fix is the missing https://, which no parser error says.
		if missingScheme(kv[1]) {
			return nil, &ExitError{Code: ExitUsage, Err: fmt.Errorf("profile %q: %s %s has no scheme", cfg.ProfileName, kv[0], termsafe.Line(kv[1])),
				Hint: "write it https://" + termsafe.Line(strings.TrimLeft(kv[1], "/"))}
		}
	}
	for _, kv := range [][2]string{{"base_url", p.BaseURL}, {"token_url", p.TokenURL}} {
		if kv[1] == "" {
			continue
		}
		if err := origin.Configurable(kv[1]); err != nil {
			return nil, UsageErrorf("profile %q: %s %s: %v", cfg.ProfileName, kv[0], termsafe.Line(kv[1]), err)
		}
	}
	if p.AuthorizeURL != "" {
		if err := origin.Browsable(p.AuthorizeURL); err != nil {
			return nil, UsageErrorf("profile %q: authorize_url %s: %v", cfg.ProfileName, termsafe.Line(p.AuthorizeURL), err)
		}
	}
	// xs2a adds /<api_version>/... itself: a base_url ending in it would
	// call /v1/v1/accounts and get a 404 that names nothing.
	ver := p.APIVersion
	if ver == "" {
		ver = "v1"
	}
	if u, err := url.Parse(p.BaseURL); err == nil && strings.EqualFold(path.Base(strings.TrimRight(u.Path, "/")), ver) {
		return nil, &ExitError{Code: ExitUsage, Err: fmt.Errorf("profile %q: base_url %s ends in /%s", cfg.ProfileName, termsafe.Line(p.BaseURL), ver),
			Hint: "drop /" + ver + ": xs2a adds it"}
	}
	pol, err := origin.New(p.BaseURL, p.AllowedOrigins)
	if err != nil {
		return nil, UsageErrorf("profile %q: %v", cfg.ProfileName, err)
	}
	return pol, nil
}

// budgetTransport counts the API calls into the profile's state.
func budgetTransport(f *Factory, cfg *profile.Config, lim budget.Limits, store *state.Store, base http.RoundTripper) http.RoundTripper {
	// The warnings name the consent by the id the bank gave: escaped.
	return &budget.Transport{Base: base, Limits: lim, BaseURL: cfg.Profile.BaseURL, Now: f.Now, Warn: termsafe.Writer{W: f.IO.ErrOut},
		Update: func(fn func(*budget.Ledger) error) error {
			return store.Update(cfg.ProfileName, func(st *state.State) error {
				if st.Budget == nil {
					st.Budget = &budget.Ledger{}
				}
				return fn(st.Budget)
			})
		}}
}

// newRecorder prepares --record's directory and gives the recorder every
// secret the session knows, so none of them reaches a file even where no
// name marks it.
func newRecorder(f *Factory, cfg *profile.Config, qwac *x509.Certificate, store *state.Store) (*bundle.Recorder, error) {
	p := cfg.Profile
	if err := bundle.Prepare(cfg.Record); err != nil {
		return nil, UsageErrorf("--record %s: %v", cfg.Record, err)
	}
	var warned sync.Once
	rec := &bundle.Recorder{Dir: cfg.Record, BaseURL: p.BaseURL, ClientCert: qwac, Now: f.Now,
		OnError: func(err error) {
			warned.Do(func() { fmt.Fprintf(f.IO.ErrOut, "warning: %s\n", termsafe.Line(err.Error())) })
		}}
	if p.APIKeyHeader != "" {
		rec.SecretHeaders = []string{p.APIKeyHeader}
	}
	rec.AddSecrets(p.ClientSecret, p.APIKey)
	if st, err := store.Load(cfg.ProfileName); err == nil {
		rec.AddSecrets(st.Code, st.CodeVerifier)
		if st.Pending != nil {
			rec.AddSecrets(st.Pending.Verifier)
		}
		// The payment's and the funds confirmation's PSU tokens are kept
		// apart from the AIS one, and are as secret.
		toks := []*state.Token{st.ClientToken, st.UserToken, st.PIISToken}
		if st.Payment != nil {
			toks = append(toks, st.Payment.Token)
		}
		for _, t := range toks {
			if t != nil {
				rec.AddSecrets(t.AccessToken, t.RefreshToken)
			}
		}
	}
	return rec, nil
}

// FileError classifies a pemfile error: a file that does not exist is a
// usage error (exit 2), a file that is not what it should be a certificate
// or key error (exit 5).
func FileError(err error) error {
	if errors.Is(err, pemfile.ErrNotFound) {
		return UsageError(err)
	}
	return CertError(err)
}

// WarnState says on stderr that a state write after a successful call
// failed: the call's answer stands, but the next command may not know it.
func (s *Session) WarnState(err error) {
	if err != nil && s.ErrOut != nil {
		fmt.Fprintf(s.ErrOut, "warning: the profile's state was not updated: %s\n", termsafe.Line(err.Error()))
	}
}

// WantsJSON reports whether --output json was asked for, as
// cmdutil.WantsJSON does for a command without a session.
func (s *Session) WantsJSON() bool { return s.Config.Output == "json" }

// MetadataURL is where the ASPSP's RFC 8414 metadata is expected.
func (s *Session) MetadataURL() string {
	return strings.TrimRight(s.Config.Profile.BaseURL, "/") + oauth.WellKnown
}

// StateCompletion completes from the active profile's state. Completion runs
// without the root's PersistentPreRunE, so the configuration is read here.
func StateCompletion(f *Factory, pick func(*state.State) []string) ([]string, cobra.ShellCompDirective) {
	cfg, err := f.Config()
	if err != nil || cfg == nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	dir, err := state.DefaultDir()
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	name := cfg.ProfileName
	if name == "" {
		name = "default"
	}
	st, err := state.Open(dir).Load(name)
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	// The ids and status are the bank's, and the shell shows them in its
	// menu: escaped, on either side of the TAB before a description.
	cands := pick(st)
	for i, c := range cands {
		v, desc, ok := strings.Cut(c, "\t")
		cands[i] = termsafe.Line(v)
		if ok {
			cands[i] += "\t" + termsafe.Line(desc)
		}
	}
	return cands, cobra.ShellCompDirectiveNoFileComp
}

// SetPSUIP takes a command's --psu-ip: an IP address, which overrides the
// profile's psu_ip_address for the session; "" leaves the profile's.
func SetPSUIP(f *Factory, v string) error {
	if v == "" {
		return nil
	}
	if !validPSUIP(v) {
		return UsageErrorf("--psu-ip %q is not an IP address", v)
	}
	f.PSUIPAddress = v
	return nil
}

// validPSUIP is the sandbox's rule for PSU-IP-Address (pkg/sandbox
// checkPSUIP): one IPv4 or IPv6 address without a zone, which names an
// interface of this machine, not an address a bank can use.
func validPSUIP(v string) bool {
	a, err := netip.ParseAddr(v)
	return err == nil && a.Zone() == ""
}

// missingScheme reports a URL written without its scheme: bank.example,
// bank.example/psd2 or 127.0.0.1:8443 (which url.Parse refuses or reads
// as the scheme "127.0.0.1"). A word before a colon that is no host
// (javascript:alert(1)) is a scheme, judged by the origin checks.
func missingScheme(raw string) bool {
	if raw == "" || strings.Contains(raw, "://") {
		return false
	}
	host, rest, found := strings.Cut(strings.TrimLeft(raw, "/"), ":")
	if !found {
		return true
	}
	hostLike := host == "localhost" || strings.Contains(host, ".") || strings.HasPrefix(host, "[")
	return hostLike && rest != "" && rest[0] >= '0' && rest[0] <= '9'
}

// Again is the command line of xs2a with words rest, as run with this
// session's --config and -p (profile.Config.Invocation): what a "next:"
// line prints, so that pasting it works on the same profile.
func (s *Session) Again(rest string) string {
	inv := "xs2a"
	if s.Config != nil && s.Config.Invocation != "" {
		inv = s.Config.Invocation
	}
	return inv + " " + rest
}
