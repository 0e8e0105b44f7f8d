package cmdutil

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/xs2a-dev/xs2a/pkg/iostreams"
	"github.com/xs2a-dev/xs2a/pkg/loopback"
	"github.com/xs2a-dev/xs2a/pkg/oauth"
	"github.com/xs2a-dev/xs2a/pkg/origin"
	"github.com/xs2a-dev/xs2a/pkg/profile"
	"github.com/xs2a-dev/xs2a/pkg/shquote"
	"github.com/xs2a-dev/xs2a/pkg/state"
	"github.com/xs2a-dev/xs2a/pkg/termsafe"
)

// The PSU's authorization of a consent, as a session method beside
// Exchange (tokens.go) because two commands run it: `xs2a authorize` and
// the authorize step of `xs2a flow`. The commands keep their flags and
// their printing.

// AuthorizeOptions say how Authorize runs.
type AuthorizeOptions struct {
	// Kind is what the PSU authorises: profile.ScopeAIS ("" too),
	// ScopePIS or ScopePIIS; it picks the scope template and the slot the
	// token is kept in.
	Kind string
	// ConsentID is the consent (for ScopePIS the payment) to authorize;
	// "" means the state's.
	ConsentID string
	Timeout   time.Duration
	// Exchange trades the code for tokens at once.
	Exchange bool
	// IdleNotice is how long nothing may reach the listener before the
	// likely causes are printed; 0: never.
	IdleNotice time.Duration
	// Paste, when set, is read for the URL the browser ended on (headless
	// machines, SSH); PastePrompt says to ask for it (a terminal).
	Paste       io.Reader
	PastePrompt bool
	// Command is what the timeout's hint says to run again; "" means
	// `xs2a authorize` for the same kind and id (authPlan.again).
	Command string
}

// AuthorizeFlags are the flags of the PSU's wait that `xs2a authorize`
// and `xs2a flow` share, so that --no-browser, --paste, --timeout and
// --idle-notice mean the same on both and the hints naming them are true
// for both.
type AuthorizeFlags struct {
	NoBrowser  bool
	Timeout    time.Duration
	IdleNotice time.Duration
	// Paste is --paste: accept the URL the browser ended on on stdin.
	Paste bool
}

// Register adds the flags to cmd.
func (a *AuthorizeFlags) Register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.BoolVar(&a.NoBrowser, "no-browser", false, "print the URL instead of opening a browser")
	fl.DurationVar(&a.Timeout, "timeout", 5*time.Minute, "how long to wait for the PSU's authorization")
	fl.DurationVar(&a.IdleNotice, "idle-notice", time.Minute, "after this long with nothing reaching the listener, print the likely causes (0: never)")
	fl.BoolVar(&a.Paste, "paste", true, "accept the URL the browser ended on, pasted on standard input (--paste=false leaves stdin alone)")
}

// Validate refuses values the wait cannot use (exit 2).
func (a *AuthorizeFlags) Validate() error {
	if a.Timeout <= 0 {
		return UsageErrorf("--timeout must be positive")
	}
	if a.IdleNotice < 0 {
		return UsageErrorf("--idle-notice must not be negative (0 disables it)")
	}
	return nil
}

// Options are the AuthorizeOptions the flags give, with the streams'
// stdin for the paste, and the browser to open (nil with --no-browser:
// the URL is printed).
func (a *AuthorizeFlags) Options(ios *iostreams.IOStreams, b Browser) (AuthorizeOptions, func(string) error) {
	ao := AuthorizeOptions{Timeout: a.Timeout, IdleNotice: a.IdleNotice}
	var browse func(string) error
	if !a.NoBrowser && b != nil {
		browse = b.Browse
	}
	if a.Paste {
		ao.Paste, ao.PastePrompt = ios.In, ios.IsStdinTTY()
		if fd, ok := ios.In.(interface{ Fd() uintptr }); ok && ao.PastePrompt && !readableTerminal(fd.Fd()) {
			ao.Paste, ao.PastePrompt = nil, false // a background job: the browser's callback only
		}
	}
	return ao, browse
}

// Authorization is what an authorization produced.
type Authorization struct {
	ConsentID string
	Code      string
	Token     *state.Token // with Exchange
	URL       string       // the authorization URL
}

// authPlan is what the checks before the browser opens settle.
type authPlan struct {
	consentID  string // or the payment's id
	kind       string
	scope      string
	addr, path string   // the listener's
	registered []string // the profile's registered_redirect_uris
	issuer     string   // RFC 9207: the callback must name it; "" when not announced
}

// Authorize authorizes a consent: the checks, the listener, the URL, the
// browser (browse nil: print the URL), the wait, and with o.Exchange the
// code exchange. Progress goes to errOut.
func (s *Session) Authorize(ctx context.Context, o AuthorizeOptions, browse func(string) error, errOut io.Writer) (*Authorization, error) {
	plan, err := s.authPreflight(ctx, o, errOut)
	if err != nil {
		return nil, err
	}
	if o.Command == "" {
		o.Command = plan.again(o.Exchange)
	}
	stateValue := randomState()
	var authURL, redirectURL string // for the idle notice, set before Wait
	recv, err := loopback.Listen(loopback.Options{Addr: plan.addr, Path: plan.path, State: stateValue, Issuer: plan.issuer,
		OnEvent: func(msg string) { fmt.Fprintln(errOut, "xs2a: "+msg) }, Paste: o.Paste,
		IdleAfter: o.IdleNotice, OnIdle: func() {
			idleNotice(errOut, o, s, plan.registered, authURL, redirectURL)
		}})
	if err != nil {
		// A port in use (loopback.PortInUseError names it) is fixed in the
		// profile's redirect_uri or by stopping the other program, like
		// every other problem of the redirect URI: exit 2.
		return nil, UsageError(err)
	}
	defer recv.Close()
	verifier := oauth.NewVerifier()
	cfg := s.OAuth
	cfg.RedirectURL = recv.RedirectURL
	redirectURL = recv.RedirectURL
	authURL = oauth.AuthCodeURL(cfg, plan.scope, stateValue, verifier)
	name := s.Config.ProfileName
	if err := s.Store.Update(name, func(x *state.State) error {
		x.Pending = &state.Pending{Kind: plan.kind, ConsentID: plan.consentID, State: stateValue, Verifier: verifier, RedirectURI: recv.RedirectURL, Created: s.Now()}
		return nil
	}); err != nil {
		return nil, err
	}
	res, err := awaitCallback(ctx, o, recv, plan.what(), authURL, browse, errOut)
	if err != nil {
		return nil, err
	}
	if err := s.Store.Update(name, func(x *state.State) error {
		x.Code, x.CodeVerifier, x.CodeRedirect = res.Code, verifier, recv.RedirectURL
		return nil
	}); err != nil {
		return nil, err
	}
	out := &Authorization{ConsentID: plan.consentID, Code: res.Code, URL: authURL}
	if o.Exchange {
		if out.Token, err = s.Exchange(ctx, res.Code, verifier, recv.RedirectURL); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// what names what the PSU authorises, for the progress lines.
func (p *authPlan) what() string {
	switch p.kind {
	case profile.ScopePIS:
		return "payment " + p.consentID
	case profile.ScopePIIS:
		return "funds confirmation consent " + p.consentID
	}
	return "consent " + p.consentID
}

// again is `xs2a authorize` for what p authorises, by kind and id:
// without them it would authorise the AIS consent (or another payment)
// instead. An error line names it as `xs2a ...`; the boundary adds this
// run's --config and -p.
func (p *authPlan) again(exchange bool) string {
	flag := "--consent"
	switch p.kind {
	case profile.ScopePIS:
		flag = "--payment"
	case profile.ScopePIIS:
		flag = "--piis"
	}
	w := "xs2a authorize " + flag + " " + termsafe.Line(shquote.Arg(p.consentID))
	if exchange {
		w += " --exchange"
	}
	return w
}

// authPreflight makes the checks a browser would otherwise fail
// silently, cheapest first.
func (s *Session) authPreflight(ctx context.Context, o AuthorizeOptions, errOut io.Writer) (*authPlan, error) {
	name := s.Config.ProfileName
	st, err := s.Store.Load(name)
	if err != nil {
		return nil, err
	}
	p := &authPlan{consentID: o.ConsentID, kind: o.Kind}
	if p.kind == profile.ScopeAIS {
		p.kind = ""
	}
	if p.consentID == "" {
		switch p.kind {
		case "":
			p.consentID = st.ConsentID
		case profile.ScopePIS:
			if st.Payment != nil {
				p.consentID = st.Payment.ID
			}
		case profile.ScopePIIS:
			p.consentID = st.PIISConsentID
		}
	}
	if p.consentID == "" {
		switch p.kind {
		case profile.ScopePIS:
			return nil, UsageErrorf("no payment to authorize: run `xs2a payment initiate` first, or give --payment ID")
		case profile.ScopePIIS:
			return nil, UsageErrorf("no funds confirmation consent to authorize: give --piis ID")
		}
		return nil, UsageErrorf("no consent to authorize: run `xs2a consent create` first, or give --consent")
	}
	scopeKind := p.kind
	if scopeKind == "" {
		scopeKind = profile.ScopeAIS
	}
	if p.scope, err = s.Config.Profile.Scope(scopeKind, p.consentID); err != nil {
		// An id the scope cannot hold is the id's fault, not the profile's.
		if ide := (*profile.ScopeIDError)(nil); errors.As(err, &ide) {
			return nil, UsageError(err)
		}
		return nil, UsageErrorf("profile %q: %v", name, err)
	}
	if s.OAuth.ClientID == "" {
		return nil, UsageErrorf("profile %q has no client_id", name)
	}
	if p.addr, p.path, err = listenAddr(s.OAuth.RedirectURL); err != nil {
		return nil, err
	}
	p.registered = s.Config.Profile.RegisteredRedirects()
	if len(p.registered) > 0 {
		planned := (&url.URL{Scheme: "http", Host: p.addr, Path: p.path}).String()
		note, err := loopback.MatchRegistered(planned, p.registered)
		if err != nil {
			return nil, UsageErrorf("%v (registered_redirect_uris of profile %q)", err, name)
		}
		if note != "" {
			fmt.Fprintln(errOut, "note: "+note)
		}
	}
	md, err := s.checkMetadata(ctx, errOut)
	if err != nil {
		return nil, err
	}
	if md != nil && md.IssParameterSupported {
		p.issuer = md.Issuer
	}
	// The browser launcher gets only an https URL (http on loopback, a
	// sandbox here) that no launcher reads as an option.
	if err := origin.Browsable(s.OAuth.AuthorizeURL); err != nil {
		return nil, &ExitError{Code: ExitAuth, Err: fmt.Errorf("refused to open the authorization endpoint %s in the browser: %v; configure authorize_url in the profile", termsafe.Line(s.OAuth.AuthorizeURL), err)}
	}
	return p, nil
}

// awaitCallback opens the browser (or prints the URL) and waits for the
// one callback, turning a refusal, the timeout and Ctrl-C into their exit
// codes.
func awaitCallback(ctx context.Context, o AuthorizeOptions, recv *loopback.Receiver, what, authURL string, browse func(string) error, errOut io.Writer) (*loopback.Result, error) {
	fmt.Fprintf(errOut, "waiting for the PSU's authorization of %s on %s (up to %s)\n", termsafe.Line(what), recv.RedirectURL, o.Timeout)
	opened := false
	if browse != nil {
		if err := browse(authURL); err == nil {
			opened = true
			fmt.Fprintln(errOut, "opened the authorization page in the browser")
		} else if !errors.Is(err, ErrNoBrowser) {
			fmt.Fprintf(errOut, "could not open a browser: %v\n", err)
		}
	}
	if !opened {
		fmt.Fprintf(errOut, "open this URL in a browser:\n\n  %s\n\n", termsafe.Line(authURL))
	}
	if o.Paste != nil && (o.PastePrompt || !opened) {
		fmt.Fprintf(errOut, "…or paste the URL your browser ended on (%s?code=…) here and press Enter\n", recv.RedirectURL)
	}
	wctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	res, err := recv.Wait(wctx)
	if err == nil {
		return res, nil
	}
	var ae *loopback.AuthError
	switch {
	case errors.As(err, &ae):
		return nil, &ExitError{Code: ExitAuth, Err: err}
	case errors.Is(err, loopback.ErrTimeout):
		again := o.Command
		advice := "a longer --timeout, or --no-browser to open the URL yourself"
		if browse == nil {
			advice = "a longer --timeout; open the printed URL in a browser that can reach this machine's 127.0.0.1"
			if o.Paste != nil {
				advice += ", or paste the URL it ends on"
			}
		}
		return nil, &ExitError{Code: ExitAuth, Err: fmt.Errorf("%w after %s: run `%s` again (%s)", err, o.Timeout, again, advice)}
	case errors.Is(err, context.Canceled):
		return nil, &ExitError{Code: ExitInterrupted, Err: errors.New("interrupted while waiting for the authorization")}
	}
	return nil, err
}

// listenAddr turns the profile's redirect URI into what the listener binds,
// naming the part that a loopback listener cannot serve.
func listenAddr(redirect string) (addr, path string, err error) {
	if redirect == "" {
		return "127.0.0.1:0", "/callback", nil
	}
	u, err := url.Parse(redirect)
	if err != nil || u.Host == "" {
		return "", "", UsageErrorf("redirect_uri %q is not an http://127.0.0.1:<port>/<path> loopback URI (RFC 8252)", redirect)
	}
	host, port := u.Hostname(), u.Port()
	if port == "" {
		port = "0"
	}
	path = u.EscapedPath()
	if path == "" {
		path = "/"
	}
	fix := "http://" + net.JoinHostPort("127.0.0.1", port) + path
	if port == "0" {
		fix = "http://127.0.0.1" + path
	}
	switch {
	case u.Scheme != "http":
		return "", "", UsageErrorf("redirect_uri %q: scheme %s: the loopback listener speaks plain http (RFC 8252 section 7.3); use %s and register that at the bank", redirect, u.Scheme, fix)
	case strings.EqualFold(host, "localhost"):
		return "", "", UsageErrorf("redirect_uri %q uses localhost, which may resolve to ::1 while the listener is on 127.0.0.1 (RFC 8252 section 8.3); use %s and register that spelling at the bank (it compares strings)", redirect, fix)
	case u.RawQuery != "" || u.Fragment != "":
		return "", "", UsageErrorf("redirect_uri %q: a query or fragment cannot be caught by the loopback listener; use %s", redirect, fix)
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() || (ip.To4() != nil && host != "127.0.0.1") {
		return "", "", UsageErrorf("redirect_uri %q: host %s is not 127.0.0.1 or [::1], the loopback addresses xs2a listens on: the bank's redirect must reach this machine; use %s", redirect, host, fix)
	}
	return net.JoinHostPort(host, port), path, nil
}

// checkMetadata discovers the endpoints the profile leaves out from the
// ASPSP's RFC 8414 metadata, and then insists that the metadata does not
// rule out PKCE S256, the only method xs2a sends (RFC 9700 forbids plain).
// A profile naming both endpoints costs no extra request, so recordings and
// rate limits see exactly the authorization's own exchanges.
func (s *Session) checkMetadata(ctx context.Context, errOut io.Writer) (*oauth.Metadata, error) {
	md, err := s.Discover(ctx)
	if err != nil || md == nil {
		return nil, err
	}
	switch {
	case len(md.CodeChallengeMethodsSupported) == 0:
		fmt.Fprintf(errOut, "warning: the OAuth metadata %s does not announce code_challenge_methods_supported: the server may not do PKCE; xs2a sends S256 anyway\n", s.MetadataURL())
	case !md.SupportsS256():
		return nil, &ExitError{Code: ExitAuth, Err: fmt.Errorf("the OAuth metadata %s announces code_challenge_methods_supported %v without S256: xs2a sends only PKCE S256 (RFC 9700 rules out plain), so the bank would refuse the authorization", s.MetadataURL(), md.CodeChallengeMethodsSupported)}
	}
	return md, nil
}

// idleNotice tells the person at the terminal why nothing may be arriving,
// most likely cause first, each with what to do about it.
func idleNotice(w io.Writer, o AuthorizeOptions, s *Session, registered []string, authURL, redirect string) {
	port := "PORT"
	if u, err := url.Parse(redirect); err == nil {
		port = u.Port()
	}
	reg := "set registered_redirect_uris in the profile, and xs2a compares them before the browser opens"
	if len(registered) > 0 {
		reg = "the profile says " + strings.Join(registered, ", ") + " — check the bank's registration says so too"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "xs2a: nothing has reached %s in %s; still waiting (up to --timeout %s). Likely causes:\n", redirect, o.IdleNotice, o.Timeout)
	if loopbackEndpoint(s.OAuth.AuthorizeURL) {
		// A bank's authorization endpoint is never on this machine:
		// this is `xs2a sandbox serve`, whose --auto-approve still needs
		// the URL opened (it approves when the page is requested).
		ca := "CERTS/ca.pem"
		if s.Config != nil && s.Config.Profile.CABundle != "" {
			ca = shquote.Arg(s.Config.Profile.CABundle)
		}
		fmt.Fprintf(&b, "  - the authorization endpoint is on this machine (xs2a sandbox serve?): --auto-approve approves when the URL is opened, not before; open it, or run with BROWSER=\"curl -sSL --cacert %s -o /dev/null\"\n", termsafe.Line(ca))
	}
	fmt.Fprintf(&b, "  - the browser did not open, or opened on another screen: open this URL yourself:\n      %s\n", termsafe.Line(authURL))
	fmt.Fprintf(&b, "  - the bank sent the browser elsewhere or shows an error page: its registered redirect URI for client %s differs from %s (%s)\n", s.OAuth.ClientID, redirect, reg)
	fmt.Fprintf(&b, "  - the browser runs on another machine (SSH, remote desktop, container, VM): its 127.0.0.1 is not this one; ")
	if o.Paste != nil {
		b.WriteString("paste the URL it ends on here, or ")
	}
	fmt.Fprintf(&b, "forward the port with ssh -L %s:127.0.0.1:%s <this host> (a fixed port in redirect_uri makes that repeatable)\n", port, port)
	fmt.Fprintf(&b, "  - a firewall, VPN client or security software blocks the browser's connection to 127.0.0.1:%s\n", port)
	b.WriteString("  - the PSU has not finished signing in and approving at the bank yet\n")
	_, _ = io.WriteString(w, b.String())
}

// loopbackEndpoint reports a URL whose host is this machine (127.0.0.1,
// ::1, localhost).
func loopbackEndpoint(raw string) bool {
	u, err := url.Parse(raw)
	return err == nil && origin.Loopback(u.Hostname())
}

func randomState() string {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}
