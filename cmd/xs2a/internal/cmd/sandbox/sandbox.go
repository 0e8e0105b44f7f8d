// Package sandbox implements `xs2a sandbox`: run the emulated ASPSP.
package sandbox

import (
	"context"
	"crypto/x509"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/xs2a-dev/xs2a/cmd/xs2a/internal/cmdutil"
	"github.com/xs2a-dev/xs2a/pkg/httpsig"
	"github.com/xs2a-dev/xs2a/pkg/iostreams"
	"github.com/xs2a-dev/xs2a/pkg/pemfile"
	"github.com/xs2a-dev/xs2a/pkg/profile"
	"github.com/xs2a-dev/xs2a/pkg/qcert"
	sbx "github.com/xs2a-dev/xs2a/pkg/sandbox"
	"github.com/xs2a-dev/xs2a/pkg/shquote"
	"github.com/xs2a-dev/xs2a/pkg/state"
	"github.com/xs2a-dev/xs2a/pkg/termsafe"
	"go.yaml.in/yaml/v3"
)

// NewCmdSandbox builds the `xs2a sandbox` group.
func NewCmdSandbox(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "sandbox",
		Short:   "Run the embedded emulated bank (a Berlin Group ASPSP that explains every rejection)",
		Example: "  xs2a sandbox serve --write-profile sandbox\n  xs2a sandbox why 3f1c2a9e-5b7d-4c1e-9a0f-2d6e8b4c7a13",
		Args:    cmdutil.NoArgs,
		RunE:    cmdutil.MissingSubcommand,
	}
	cmd.AddCommand(NewCmdServe(f, nil), NewCmdWhy(f, nil))
	return cmd
}

// ServeOptions are the flags of `xs2a sandbox serve` and what it uses.
type ServeOptions struct {
	IO          *iostreams.IOStreams
	Config      func() (*profile.Config, error)
	Now         func() time.Time
	Addr        string
	AuthAddr    string
	CertsDir    string
	AutoApprove bool
	// AutoApproveAs is the customer --auto-approve approves as.
	AutoApproveAs string
	Bank          string
	BankName      string
	Trust         []string
	StrictTLS     bool
	AppsFile      string
	Rate          float64
	DailyLimit    int
	WriteProfile  string
	DataDir       string
	AllowRemote   bool
	// PIISConsents are accounts (IBAN or masked PAN) whose holders grant
	// the sandbox's own TPP a PIIS consent at start (--piis-consent);
	// RequirePIIS refuses funds confirmations without one.
	PIISConsents []string
	RequirePIIS  bool
	// Ready, when set, receives the started server (tests).
	Ready func(*sbx.Server)
}

// DefaultCertsDir keeps the sandbox's certificates between runs, so a
// profile written once stays valid: sandbox/certs in the state directory,
// which state.DefaultDir alone places (XDG_STATE_HOME when absolute, else
// ~/.local/state/xs2a). It is a flag's default, computed before anything
// can fail: with no state directory to find (no HOME, no XDG_STATE_HOME),
// a relative xs2a-sandbox-certs, which --certs can replace.
func DefaultCertsDir() string {
	dir, err := state.DefaultDir()
	if err != nil {
		return "xs2a-sandbox-certs"
	}
	return filepath.Join(dir, "sandbox", "certs")
}

// NewCmdServe builds `xs2a sandbox serve`.
func NewCmdServe(f *cmdutil.Factory, runF func(*ServeOptions) error) *cobra.Command {
	o := &ServeOptions{IO: f.IO, Config: f.Config, Now: f.Now}
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve the emulated ASPSP on loopback until interrupted",
		Long: `Run an emulated Berlin Group ASPSP that behaves like the AIS API Enfuce
documents for its card issuers and enforces every rule: mutual TLS with a
QWAC, signed requests (Digest, Signature, TPP-Signature-Certificate with a
QSealC), OAuth2 with PKCE, consents, the card accounts of the test customer
1345611 and the IBAN payment accounts of customer 5000001. Every rejection carries the Berlin Group code and, in tppMessages,
which check failed, what it expected and what it got. --bank reads signatures
as Enfuce (the default), adorsys-based ASPSPs or a forgiving bank do, and
every rejection is kept for ` + "`xs2a sandbox why <X-Request-ID>`" + `.

Two listeners: the API and token endpoint (mutual TLS) and the pages the
PSU's browser visits (no client certificate). Certificates come from --certs
(generated there on first use) and stay valid across restarts; the default
app's client_id, secret and API key are printed (secrets masked unless
--show-secrets) and --write-profile NAME writes a ready client profile.

The bank keeps its state in memory unless --data DIR is given: then apps,
consents, tokens, codes and day counts live in DIR/sandbox.db, each change
committed before the answer reporting it, and a restart (even after a kill)
finds them again. A second sandbox on the same DIR is refused.

Funds confirmation answers any test customer's account to the client
token, unless --require-piis-consent: then only under a PIIS consent, which
the PSU grants on AUTH_URL/psu/piis-consents (or --piis-consent grants at
start, its id printed) and the TPP has authorised with scope
PIIS:<consentId> (` + "`xs2a authorize --piis ID --exchange`" + `).

A TPP is its QWAC's organizationIdentifier together with the trusted CA the
QWAC chains to: a QWAC naming the same organisation from another CA is
another TPP. Both listeners stay on loopback unless --allow-remote.`,
		Example: `  xs2a sandbox serve --write-profile sandbox
  xs2a sandbox serve --bank adorsys          # keyId SN=<lower-hex>,CA=..., date signed
  xs2a sandbox serve --auto-approve --addr 127.0.0.1:0 --auth-addr 127.0.0.1:0
  xs2a sandbox serve --auto-approve-as 5000001   # approve as the customer of payment accounts
  xs2a sandbox serve --strict-tls --trust my-qtsp-ca.pem
  xs2a sandbox serve --data ~/xs2a-bank --write-profile sandbox
  xs2a sandbox serve --auto-approve --piis-consent FI0412345600012343 --require-piis-consent`,
		Args:        cmdutil.NoArgs,
		Annotations: map[string]string{cmdutil.AnnotationWritesConfig: "true"},
		RunE: func(cmd *cobra.Command, args []string) error {
			if cmd.Flags().Changed("auto-approve-as") {
				if ok, ids := knownCustomer(o.AutoApproveAs); !ok {
					return cmdutil.UsageErrorf("--auto-approve-as %q: not a test customer (%s)", o.AutoApproveAs, ids)
				}
				o.AutoApprove = true
			}
			if o.Rate == 0 || o.DailyLimit == 0 {
				return cmdutil.UsageErrorf("--rate and --daily-limit must be positive (or negative to switch the limit off)")
			}
			if _, err := sbx.ParseDialect(o.Bank); err != nil {
				return cmdutil.UsageErrorf("--bank: %v; the card issuer's name is --bank-name", err)
			}
			o.Addr, o.AuthAddr = cmdutil.ListenAddr(o.Addr, o.AllowRemote), cmdutil.ListenAddr(o.AuthAddr, o.AllowRemote)
			if err := checkListen("--addr", o.Addr, o.AllowRemote); err != nil {
				return err
			}
			if err := checkListen("--auth-addr", o.AuthAddr, o.AllowRemote); err != nil {
				return err
			}
			if o.DataDir != "" && !cmd.Flags().Changed("certs") {
				o.CertsDir = filepath.Join(o.DataDir, "certs") // one directory is the whole sandbox
			}
			if runF != nil {
				return runF(o)
			}
			return serveRun(cmd.Context(), o)
		},
	}
	addServeFlags(cmd, o)
	return cmd
}

// addServeFlags registers the flags of `sandbox serve` and their completions.
func addServeFlags(cmd *cobra.Command, o *ServeOptions) {
	fl := cmd.Flags()
	fl.StringVar(&o.Addr, "addr", "127.0.0.1:8443", "API and token endpoint address (mutual TLS; loopback only unless --allow-remote; a port alone or :PORT is on 127.0.0.1; port 0 picks a free one)")
	fl.StringVar(&o.AuthAddr, "auth-addr", "127.0.0.1:8444", "address of the PSU's authorization pages (loopback only unless --allow-remote; a port alone or :PORT is on 127.0.0.1; port 0 picks a free one)")
	fl.BoolVar(&o.AllowRemote, "allow-remote", false, "allow an --addr or --auth-addr other than loopback (anyone who reaches them uses the bank: its API with a trusted CA's certificate, the PSU's pages)")
	fl.StringVar(&o.CertsDir, "certs", DefaultCertsDir(), "certificate set directory (generated when empty)")
	fl.BoolVar(&o.AutoApprove, "auto-approve", false, "approve every authorization at once as customer 1345611 (scripts, CI)")
	fl.StringVar(&o.AutoApproveAs, "auto-approve-as", sbx.DocumentedPSU, "the customer --auto-approve approves as (implies --auto-approve): 1345611 has card accounts, 5000001 IBAN payment accounts (--write-profile then writes account_type payment)")
	fl.StringVar(&o.Bank, "bank", string(sbx.DialectEnfuce), "how signatures are read and consents counted: "+httpsig.BankNames()+" (see README)")
	fl.StringVar(&o.BankName, "bank-name", "Enfuce Sandbox Bank", "card issuer name shown on pages and cards")
	_ = cmd.RegisterFlagCompletionFunc("bank", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return strings.Split(httpsig.BankNames(), ", "), cobra.ShellCompDirectiveNoFileComp
	})
	fl.StringArrayVar(&o.Trust, "trust", nil, "also trust TPP certificates from this QTSP CA file (repeatable)")
	fl.BoolVar(&o.StrictTLS, "strict-tls", false, "refuse a missing or untrusted client certificate in the TLS handshake")
	fl.StringVar(&o.AppsFile, "apps", "", "YAML file with more apps: a list of {name, client_id, client_secret (none: tls_client_auth), api_key, organization_id, redirect_uris, ca (hex SHA-256 of the TPP's CA public key; none: bound on first use)}")
	fl.Float64Var(&o.Rate, "rate", 5, "requests a second per TPP (negative: no limit)")
	fl.IntVar(&o.DailyLimit, "daily-limit", 1000, "requests a day per TPP (negative: no limit)")
	fl.StringVar(&o.WriteProfile, "write-profile", "", "write a client profile with this name for the running sandbox")
	fl.StringArrayVar(&o.PIISConsents, "piis-consent", nil, "grant the sandbox's own TPP a PIIS (funds confirmation) consent of this account at start, as its holder would on /psu/piis-consents: an IBAN of a payment account or a card's masked PAN (repeatable; the ids are printed, and --write-profile remembers the last for xs2a authorize --piis)")
	fl.BoolVar(&o.RequirePIIS, "require-piis-consent", false, "confirm funds only under a PIIS consent (the access token of scope PIIS:<consentId>), not to the client-credentials token alone")
	fl.StringVar(&o.DataDir, "data", "", "keep apps, consents, tokens and day counters in `DIR`/sandbox.db across restarts (certificates in DIR/certs unless --certs)")
}

// checkListen: the PSU's pages sign anyone in as a test customer, and the
// API serves every TPP a trusted CA certifies.
func checkListen(flag, addr string, allowRemote bool) error {
	return cmdutil.CheckListen(flag, addr, allowRemote,
		"the sandbox's API, its PSU sign-in pages and its `sandbox why` records would serve anyone who reaches it", "127.0.0.1:8443")
}

func loadOrGenerate(ios *iostreams.IOStreams, dir string, now time.Time) (*qcert.Set, bool, error) {
	ok, err := qcert.SetExists(dir)
	if err != nil {
		return nil, false, cmdutil.UsageError(err)
	}
	if ok {
		set, err := qcert.LoadSet(dir)
		if err != nil {
			return nil, false, cmdutil.CertError(err)
		}
		if now.After(set.Server.Cert.NotAfter) || now.After(set.QWAC.Cert.NotAfter) || now.After(set.QSeal.Cert.NotAfter) {
			return nil, false, cmdutil.CertError(fmt.Errorf("the sandbox certificates in %s have expired: remove the directory to have them generated again", dir))
		}
		return set, false, nil
	}
	// The first start generates the set: seconds on a slow machine.
	stop := ios.StartProgress("generating the sandbox's certificates in " + dir + " (first start only)").Stop
	set, err := qcert.GenerateSet(qcert.Options{Org: qcert.DefaultOrg, Roles: sbx.DefaultRoles, Now: func() time.Time { return now }})
	stop()
	if err != nil {
		return nil, false, err
	}
	if err := set.Write(dir, false); err != nil {
		return nil, false, err
	}
	return set, true, nil
}

func serveRun(ctx context.Context, o *ServeOptions) error {
	if ctx == nil {
		ctx = context.Background()
	}
	opts, generated, err := bankOptions(o)
	if err != nil {
		return err
	}
	s, err := sbx.Start(opts)
	if err != nil {
		if inUse := cmdutil.AddrInUse(err, cmdutil.ListenFlag{Flag: "--addr", Addr: o.Addr}, cmdutil.ListenFlag{Flag: "--auth-addr", Addr: o.AuthAddr}); inUse != nil {
			return inUse
		}
		return cmdutil.UsageError(err)
	}
	defer s.Close()
	piis, err := grantPIIS(s, o.PIISConsents)
	if err != nil {
		return err
	}
	errOut := o.IO.ErrOut
	if o.AllowRemote {
		api, pages := strings.TrimPrefix(s.URL, "https://"), strings.TrimPrefix(s.AuthURL, "https://")
		if !cmdutil.IsLoopback(api) {
			fmt.Fprintf(errOut, "warning: --allow-remote: anyone who can reach %s can call the sandbox's API and token endpoint with a certificate of a trusted CA, and read the `sandbox why` records of requests sent without one\n", api)
		}
		if !cmdutil.IsLoopback(pages) {
			fmt.Fprintf(errOut, "warning: --allow-remote: anyone who can reach %s can open the PSU's pages and sign in as a test customer (the one-time code is on the page)\n", pages)
		}
	}

	kv := cmdutil.SandboxProfile(s, opts, o.CertsDir)
	cfg, _ := o.Config()
	show := cfg != nil && cfg.ShowSecrets
	if o.WriteProfile != "" {
		if cfg == nil || cfg.Path == "" {
			return cmdutil.UsageErrorf("no config file path to write profile %q to (use --config)", o.WriteProfile)
		}
		if err := profile.UpdateFile(cfg.Path, o.WriteProfile, kv); err != nil {
			return fmt.Errorf("writing profile %q: %w", o.WriteProfile, err)
		}
		// A profile the user must name on every command is one step
		// more: it becomes the file's profile: unless that names another.
		name := strings.ToLower(o.WriteProfile)
		other, err := profile.SetDefaultProfile(cfg.Path, name)
		switch {
		case err != nil:
			return fmt.Errorf("setting profile: %s in %s: %w", name, cfg.Path, err)
		case other == "":
			fmt.Fprintf(errOut, "set profile: %s in %s (it named none): commands use this sandbox without -p\n", name, cfg.Path)
		case other != name:
			fmt.Fprintf(errOut, "%s keeps profile: %s; use this sandbox with -p %s (or XS2A_PROFILE=%s)\n", cfg.Path, other, name, name)
		}
		if len(piis) > 0 {
			if err := rememberPIIS(name, piis[len(piis)-1].ID); err != nil {
				return err
			}
		}
	}
	if err := printServe(o, s, kv, piis, generated, show); err != nil {
		return err
	}
	if o.Ready != nil {
		o.Ready(s)
	}
	fmt.Fprintln(errOut, "serving; one line per request below. Ctrl-C stops.")
	<-ctx.Done()
	fmt.Fprintln(errOut, "stopping")
	return nil
}

// bankOptions prepares the data directory, the certificates (kept, or
// generated now), the trusted CAs and the apps: the options the sandbox
// starts with, which the profile pointing at it follows too.
func bankOptions(o *ServeOptions) (opts sbx.Options, generated bool, err error) {
	if o.DataDir != "" {
		if err := os.MkdirAll(o.DataDir, 0o700); err != nil {
			return opts, false, cmdutil.UsageError(fmt.Errorf("--data: %w", err))
		}
	}
	set, generated, err := loadOrGenerate(o.IO, o.CertsDir, o.Now())
	if err != nil {
		return opts, false, err
	}
	var trust []*x509.Certificate
	for _, p := range o.Trust {
		cs, err := pemfile.ReadCertificates(p)
		if err != nil {
			return opts, false, cmdutil.FileError(err)
		}
		trust = append(trust, cs...)
	}
	var apps []sbx.App
	if o.AppsFile != "" {
		b, err := cmdutil.ReadInput(o.IO.In, o.AppsFile, "apps")
		if err != nil {
			return opts, false, err
		}
		if err := yaml.Unmarshal(b, &apps); err != nil {
			return opts, false, cmdutil.UsageErrorf("%s: not a YAML list of apps: %v", o.AppsFile, err)
		}
	}
	return sbx.Options{Certs: set, Trust: trust, StrictTLS: o.StrictTLS, AutoApprove: o.AutoApprove, AutoApprovePSU: o.AutoApproveAs, Bank: o.BankName, Dialect: sbx.Dialect(o.Bank),
		Apps: apps, RequirePIISConsent: o.RequirePIIS, RatePerSecond: o.Rate, RatePerDay: o.DailyLimit, Addr: o.Addr, AuthAddr: o.AuthAddr, Log: o.IO.ErrOut,
		DataDir: o.DataDir}, generated, nil
}

// printServe says where the sandbox is and how to use it, with the
// app's secrets masked unless show.
func printServe(o *ServeOptions, s *sbx.Server, kv map[string]string, piis []grantedPIIS, generated, show bool) error {
	app := s.DefaultApp
	bank, _ := sbx.ParseDialect(o.Bank) // validated before starting
	cfg, _ := o.Config()
	if cmdutil.WantsJSON(o.Config) {
		out := map[string]any{"api_url": s.URL, "auth_url": s.AuthURL, "token_endpoint": kv["token_url"], "authorization_endpoint": kv["authorize_url"],
			"metadata": s.URL + "/.well-known/oauth-authorization-server", "certs": o.CertsDir, "client_id": app.ClientID,
			"profile": o.WriteProfile, "dialect": o.Bank, "bank": string(bank), "account_type": kv["account_type"],
			"rejections": s.URL + sbx.RejectionsPath, "data": o.DataDir, "piis_grant_page": s.AuthURL + "/psu/piis-consents",
			"require_piis_consent": o.RequirePIIS, "piis_consents": piisJSON(piis)}
		cmdutil.SecretJSON(out, "client_secret", app.ClientSecret, show)
		cmdutil.SecretJSON(out, "api_key", app.APIKey, show)
		return cmdutil.WriteJSON(o.IO.Out, out)
	}
	w := o.IO.Out
	cs := o.IO.ColorScheme()
	fmt.Fprintf(w, "%s %s sandbox is running\n", cs.SuccessIcon(), o.BankName)
	fmt.Fprintf(w, "  signatures read as:     %s\n", dialectLine(sbx.Dialect(o.Bank)))
	fmt.Fprintf(w, "  API (mutual TLS):       %s/v1\n", s.URL)
	fmt.Fprintf(w, "  token endpoint:         %s\n", kv["token_url"])
	fmt.Fprintf(w, "  authorization endpoint: %s\n", kv["authorize_url"])
	fmt.Fprintf(w, "  OAuth metadata:         %s/.well-known/oauth-authorization-server\n", s.URL)
	fmt.Fprintf(w, "  why a request failed:   xs2a sandbox why <X-Request-ID>  (%s{id})\n", s.URL+sbx.RejectionsPath)
	fmt.Fprintf(w, "  certificates:           %s", o.CertsDir)
	if generated {
		fmt.Fprint(w, " (generated now)")
	}
	fmt.Fprintln(w)
	if o.DataDir != "" {
		fmt.Fprintf(w, "  data (kept on restart): %s\n", filepath.Join(o.DataDir, sbx.DBFile))
	}
	fmt.Fprintf(w, "  client_id:              %s\n", app.ClientID)
	fmt.Fprintf(w, "  client_secret:          %s\n", cmdutil.Mask(app.ClientSecret, show))
	fmt.Fprintf(w, "  API key (X-API-Key):    %s\n", cmdutil.Mask(app.APIKey, show))
	fmt.Fprintf(w, "  test customers:         %s (the sign-in page shows the one-time code)\n", customerList())
	if o.AutoApprove {
		fmt.Fprintf(w, "  authorizations are approved automatically (once the URL is opened): consents as %s, payments as the debtor account's holder, a PIIS consent as the customer who granted it\n", o.AutoApproveAs)
	}
	fmt.Fprintf(w, "  PIIS consents:          granted by the PSU on %s/psu/piis-consents", s.AuthURL)
	if o.RequirePIIS {
		fmt.Fprint(w, " (required for funds confirmation)")
	}
	fmt.Fprintln(w)
	for _, g := range piis {
		// The written profile's state remembers it; without one the
		// consent is this bank's, which the default profile may not be.
		run := "xs2a"
		if o.WriteProfile != "" {
			run += " -p " + shquote.Arg(o.WriteProfile)
		}
		fmt.Fprintf(w, "  PIIS consent:           %s for %s: %s authorize --piis %s --exchange\n", g.ID, termsafe.Line(g.Account), run, g.ID)
	}
	if o.WriteProfile != "" {
		fmt.Fprintf(w, "  profile %q written to %s (account_type %s): try  xs2a --profile %s certs check\n", o.WriteProfile, cfg.Path, kv["account_type"], o.WriteProfile)
	}
	return nil
}

// dialectLine says in a few words what the dialect demands.
func dialectLine(d sbx.Dialect) string {
	switch d {
	case sbx.DialectAdorsys:
		return "adorsys (keyId exactly SN=<lower-hex>,CA=<DN with %20>; date signed)"
	case sbx.DialectLenient:
		return "lenient (rule deviations are warnings; digest, signature and certificates must hold)"
	}
	return "enfuce (header list exactly x-request-id digest [psu-id psu-corporate-id tpp-redirect-uri]; keyId serial in hex, CA URL-encoded)"
}

// knownCustomer reports a test customer of the sandbox; ids lists them all.
func knownCustomer(id string) (ok bool, ids string) {
	var all []string
	for _, p := range sbx.TestPSUs("") {
		ok = ok || p.ID == id
		all = append(all, p.ID)
	}
	return ok, strings.Join(all, ", ")
}

// customerList names the customers with cards and with payment accounts,
// the two a TPP reads data of.
func customerList() string {
	var out []string
	for _, p := range sbx.TestPSUs("") {
		switch {
		case p.ID == sbx.DocumentedPSU:
			out = append(out, p.ID+" card accounts")
		case len(p.Accounts) > 0:
			out = append(out, p.ID+" payment accounts")
		}
	}
	return strings.Join(out, ", ")
}
