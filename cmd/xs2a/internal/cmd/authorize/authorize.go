// Package authorize implements `xs2a authorize`: the PSU's OAuth2
// authorization of a consent in the browser, caught on a loopback listener.
package authorize

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
	"github.com/xs2a-dev/xs2a/cmd/xs2a/internal/cmdutil"
	"github.com/xs2a-dev/xs2a/pkg/loopback"
	"github.com/xs2a-dev/xs2a/pkg/oauth"
	"github.com/xs2a-dev/xs2a/pkg/origin"
	"github.com/xs2a-dev/xs2a/pkg/state"
	"github.com/xs2a-dev/xs2a/pkg/termsafe"
)

// Options are the flags of `xs2a authorize`.
type Options struct {
	ConsentID string
	NoBrowser bool
	Timeout   time.Duration
	Exchange  bool
	// IdleNotice is how long nothing may reach the listener before the
	// likely causes are printed; 0: never.
	IdleNotice time.Duration
	// Paste, when set, is read for the URL the browser ended on (headless
	// machines, SSH); PastePrompt says to ask for it (a terminal).
	Paste       io.Reader
	PastePrompt bool
}

// NewCmdAuthorize builds `xs2a authorize`.
func NewCmdAuthorize(f *cmdutil.Factory) *cobra.Command {
	o := &Options{}
	var paste bool
	cmd := &cobra.Command{
		Use:   "authorize [--consent ID] [--exchange]",
		Short: "Let the PSU authorize the consent in the browser (OAuth2 code flow with PKCE S256)",
		Long: `Build the authorization URL (scope AIS:<consentId>, a random state, PKCE S256),
listen for the redirect on a loopback address (127.0.0.1 only, RFC 8252; a
random port unless the profile's redirect_uri fixes one), open the browser
(or print the URL with --no-browser, or when there is no display), and wait
for exactly one callback. A callback with a wrong state is refused and
reported; an error callback (access_denied) is reported. The code is kept for
'xs2a token exchange', or exchanged at once with --exchange.

Before the browser opens: the port must be free, the redirect URI must be
one of the profile's registered_redirect_uris (each differing part named),
and the ASPSP's metadata, when reachable, must announce PKCE S256.
While waiting: after --idle-notice with nothing reaching the listener, the
likely causes are printed; the URL the browser ended on can be pasted on
standard input instead of the redirect reaching this machine (SSH, headless).

$BROWSER, when set, is the command that opens the URL.`,
		Example: `  xs2a consent create && xs2a authorize --exchange
  xs2a authorize --no-browser --timeout 10m      # then paste the URL the browser ends on
  ssh -L 8765:127.0.0.1:8765 devbox              # or forward the fixed port of redirect_uri`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.Timeout <= 0 {
				return cmdutil.UsageErrorf("--timeout must be positive")
			}
			s, err := f.Session()
			if err != nil {
				return err
			}
			if o.IdleNotice < 0 {
				return cmdutil.UsageErrorf("--idle-notice must not be negative (0 disables it)")
			}
			browse := f.Browser.Browse
			if o.NoBrowser {
				browse = nil
			}
			if paste {
				o.Paste, o.PastePrompt = f.IO.In, f.IO.IsStdinTTY()
				if fd, ok := f.IO.In.(interface{ Fd() uintptr }); ok && o.PastePrompt && !readableTerminal(fd.Fd()) {
					o.Paste, o.PastePrompt = nil, false // a background job: the browser's callback only
				}
			}
			out, err := Run(cmd.Context(), s, *o, browse, f.IO.ErrOut)
			if err != nil {
				return err
			}
			return printOutcome(f, s, out)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&o.ConsentID, "consent", "", "consent to authorize (default: the last created)")
	fl.BoolVar(&o.NoBrowser, "no-browser", false, "print the URL instead of opening a browser")
	fl.DurationVar(&o.Timeout, "timeout", 5*time.Minute, "how long to wait for the PSU")
	fl.BoolVar(&o.Exchange, "exchange", false, "exchange the code for tokens at once")
	fl.DurationVar(&o.IdleNotice, "idle-notice", time.Minute, "after this long with nothing reaching the listener, print the likely causes (0: never)")
	fl.BoolVar(&paste, "paste", true, "accept the URL the browser ended on, pasted on standard input (--paste=false leaves stdin alone)")
	return cmd
}

func randomState() string {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// listenAddr turns the profile's redirect URI into what the listener binds,
// naming the part that a loopback listener cannot serve.
func listenAddr(redirect string) (addr, path string, err error) {
	if redirect == "" {
		return "127.0.0.1:0", "/callback", nil
	}
	u, err := url.Parse(redirect)
	if err != nil || u.Host == "" {
		return "", "", cmdutil.UsageErrorf("redirect_uri %q is not an http://127.0.0.1:<port>/<path> loopback URI (RFC 8252)", redirect)
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
		return "", "", cmdutil.UsageErrorf("redirect_uri %q: scheme %s: the loopback listener speaks plain http (RFC 8252 section 7.3); use %s and register that at the bank", redirect, u.Scheme, fix)
	case strings.EqualFold(host, "localhost"):
		return "", "", cmdutil.UsageErrorf("redirect_uri %q uses localhost, which may resolve to ::1 while the listener is on 127.0.0.1 (RFC 8252 section 8.3); use %s and register that spelling at the bank (it compares strings)", redirect, fix)
	case u.RawQuery != "" || u.Fragment != "":
		return "", "", cmdutil.UsageErrorf("redirect_uri %q: a query or fragment cannot be caught by the loopback listener; use %s", redirect, fix)
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() || (ip.To4() != nil && host != "127.0.0.1") {
		return "", "", cmdutil.UsageErrorf("redirect_uri %q: host %s is not 127.0.0.1 or [::1], the loopback addresses xs2a listens on: the bank's redirect must reach this machine; use %s", redirect, host, fix)
	}
	return net.JoinHostPort(host, port), path, nil
}

// Outcome is what an authorization produced.
type Outcome struct {
	ConsentID string
	Code      string
	Token     *state.Token // with Exchange
	URL       string       // the authorization URL
}

// Run authorizes a consent: the listener, the URL, the browser (browse nil:
// print the URL), the wait, and with o.Exchange the code exchange.
// Progress goes to errOut.
func Run(ctx context.Context, s *cmdutil.Session, o Options, browse func(string) error, errOut io.Writer) (*Outcome, error) {
	name := s.Config.ProfileName
	st, err := s.Store.Load(name)
	if err != nil {
		return nil, err
	}
	consentID := o.ConsentID
	if consentID == "" {
		consentID = st.ConsentID
	}
	if consentID == "" {
		return nil, cmdutil.UsageErrorf("no consent to authorize: run `xs2a consent create` first, or give --consent")
	}
	if s.OAuth.ClientID == "" {
		return nil, cmdutil.UsageErrorf("profile %q has no client_id", name)
	}
	// The checks a browser would otherwise fail silently, cheapest first.
	addr, path, err := listenAddr(s.OAuth.RedirectURL)
	if err != nil {
		return nil, err
	}
	registered := s.Config.Profile.RegisteredRedirects()
	if len(registered) > 0 {
		planned := (&url.URL{Scheme: "http", Host: addr, Path: path}).String()
		note, err := loopback.MatchRegistered(planned, registered)
		if err != nil {
			return nil, cmdutil.UsageErrorf("%v (registered_redirect_uris of profile %q)", err, name)
		}
		if note != "" {
			fmt.Fprintln(errOut, "note: "+note)
		}
	}
	md, err := checkMetadata(ctx, s, errOut)
	if err != nil {
		return nil, err
	}
	issuer := ""
	if md != nil && md.IssParameterSupported {
		issuer = md.Issuer // RFC 9207: the callback must name it
	}
	// The browser launcher gets only an https URL (http on loopback, a
	// sandbox here) that no launcher reads as an option.
	if err := origin.Browsable(s.OAuth.AuthorizeURL); err != nil {
		return nil, &cmdutil.ExitError{Code: cmdutil.ExitAuth, Err: fmt.Errorf("refused to open the authorization endpoint %s in the browser: %v; configure authorize_url in the profile", termsafe.Line(s.OAuth.AuthorizeURL), err)}
	}
	stateValue := randomState()
	var authURL, redirectURL string // for the idle notice, set before Wait
	recv, err := loopback.Listen(loopback.Options{Addr: addr, Path: path, State: stateValue, Issuer: issuer,
		OnEvent: func(msg string) { fmt.Fprintln(errOut, "xs2a: "+msg) }, Paste: o.Paste,
		IdleAfter: o.IdleNotice, OnIdle: func() {
			idleNotice(errOut, o, s, registered, authURL, redirectURL)
		}})
	if err != nil {
		// A port in use (loopback.PortInUseError names it) is fixed in the
		// profile's redirect_uri or by stopping the other program, like
		// every other problem of the redirect URI: exit 2.
		return nil, cmdutil.UsageError(err)
	}
	defer recv.Close()
	verifier := oauth.NewVerifier()
	cfg := s.OAuth
	cfg.RedirectURL = recv.RedirectURL
	redirectURL = recv.RedirectURL
	authURL = oauth.AuthCodeURL(cfg, consentID, stateValue, verifier)
	if err := s.Store.Update(name, func(x *state.State) error {
		x.Pending = &state.Pending{ConsentID: consentID, State: stateValue, Verifier: verifier, RedirectURI: recv.RedirectURL, Created: s.Now()}
		return nil
	}); err != nil {
		return nil, err
	}

	fmt.Fprintf(errOut, "waiting for the PSU's authorization of consent %s on %s (up to %s)\n", termsafe.Line(consentID), recv.RedirectURL, o.Timeout)
	opened := false
	if browse != nil {
		if err := browse(authURL); err == nil {
			opened = true
			fmt.Fprintln(errOut, "opened the authorization page in the browser")
		} else if !errors.Is(err, cmdutil.ErrNoBrowser) {
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
	if err != nil {
		var ae *loopback.AuthError
		switch {
		case errors.As(err, &ae):
			return nil, &cmdutil.ExitError{Code: cmdutil.ExitAuth, Err: err}
		case errors.Is(err, loopback.ErrTimeout):
			advice := "a longer --timeout, or --no-browser to open the URL yourself"
			if browse == nil {
				advice = "a longer --timeout; open the printed URL in a browser that can reach this machine's 127.0.0.1"
				if o.Paste != nil {
					advice += ", or paste the URL it ends on"
				}
			}
			return nil, &cmdutil.ExitError{Code: cmdutil.ExitAuth, Err: fmt.Errorf("%w after %s: run `xs2a authorize` again (%s)", err, o.Timeout, advice)}
		case errors.Is(err, context.Canceled):
			return nil, &cmdutil.ExitError{Code: cmdutil.ExitInterrupted, Err: errors.New("interrupted while waiting for the authorization")}
		}
		return nil, err
	}
	if err := s.Store.Update(name, func(x *state.State) error {
		x.Code, x.CodeVerifier, x.CodeRedirect = res.Code, verifier, recv.RedirectURL
		return nil
	}); err != nil {
		return nil, err
	}
	out := &Outcome{ConsentID: consentID, Code: res.Code, URL: authURL}
	if o.Exchange {
		if out.Token, err = s.Exchange(ctx, res.Code, verifier, recv.RedirectURL); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// checkMetadata discovers the endpoints the profile leaves out from the
// ASPSP's RFC 8414 metadata, and then insists that the metadata does not
// rule out PKCE S256, the only method xs2a sends (RFC 9700 forbids plain).
// A profile naming both endpoints costs no extra request, so recordings and
// rate limits see exactly the authorization's own exchanges.
func checkMetadata(ctx context.Context, s *cmdutil.Session, errOut io.Writer) (*oauth.Metadata, error) {
	md, err := s.Discover(ctx)
	if err != nil || md == nil {
		return nil, err
	}
	switch {
	case len(md.CodeChallengeMethodsSupported) == 0:
		fmt.Fprintf(errOut, "warning: the OAuth metadata %s does not announce code_challenge_methods_supported: the server may not do PKCE; xs2a sends S256 anyway\n", s.MetadataURL())
	case !md.SupportsS256():
		return nil, &cmdutil.ExitError{Code: cmdutil.ExitAuth, Err: fmt.Errorf("the OAuth metadata %s announces code_challenge_methods_supported %v without S256: xs2a sends only PKCE S256 (RFC 9700 rules out plain), so the bank would refuse the authorization", s.MetadataURL(), md.CodeChallengeMethodsSupported)}
	}
	return md, nil
}

// idleNotice tells the person at the terminal why nothing may be arriving,
// most likely cause first, each with what to do about it.
func idleNotice(w io.Writer, o Options, s *cmdutil.Session, registered []string, authURL, redirect string) {
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

func printOutcome(f *cmdutil.Factory, s *cmdutil.Session, out *Outcome) error {
	show := s.Config.ShowSecrets
	if out.Token == nil {
		if cmdutil.WantsJSON(f) {
			return cmdutil.JSON(f, map[string]string{"consentId": out.ConsentID, "code": cmdutil.Mask(out.Code, show), "next": "xs2a token exchange"})
		}
		_, err := fmt.Fprintf(f.IO.Out, "authorized consent %s; code %s kept for `xs2a token exchange`\n", termsafe.Line(out.ConsentID), termsafe.Line(cmdutil.Mask(out.Code, show)))
		return err
	}
	t := out.Token
	if cmdutil.WantsJSON(f) {
		return cmdutil.JSON(f, map[string]any{"consentId": out.ConsentID, "access_token": cmdutil.Mask(t.AccessToken, show),
			"refresh_token": cmdutil.Mask(t.RefreshToken, show), "expiry": t.Expiry, "scope": t.Scope})
	}
	_, err := fmt.Fprintf(f.IO.Out, "authorized consent %s; PSU access token %s (expires %s)\n", termsafe.Line(out.ConsentID), termsafe.Line(cmdutil.Mask(t.AccessToken, show)), t.Expiry.Local().Format(time.RFC3339))
	return err
}
