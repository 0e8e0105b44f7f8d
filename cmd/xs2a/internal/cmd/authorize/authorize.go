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
	"time"

	"github.com/spf13/cobra"
	"github.com/xs2a-dev/xs2a/cmd/xs2a/internal/cmd/token"
	"github.com/xs2a-dev/xs2a/cmd/xs2a/internal/cmdutil"
	"github.com/xs2a-dev/xs2a/pkg/loopback"
	"github.com/xs2a-dev/xs2a/pkg/oauth"
	"github.com/xs2a-dev/xs2a/pkg/state"
)

// Options are the flags of `xs2a authorize`.
type Options struct {
	ConsentID string
	NoBrowser bool
	Timeout   time.Duration
	Exchange  bool
}

// NewCmdAuthorize builds `xs2a authorize`.
func NewCmdAuthorize(f *cmdutil.Factory) *cobra.Command {
	o := &Options{}
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

$BROWSER, when set, is the command that opens the URL.`,
		Example: `  xs2a consent create && xs2a authorize --exchange
  xs2a authorize --no-browser --timeout 10m`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.Timeout <= 0 {
				return cmdutil.UsageErrorf("--timeout must be positive")
			}
			s, err := f.Session()
			if err != nil {
				return err
			}
			browse := f.Browser.Browse
			if o.NoBrowser {
				browse = nil
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
	return cmd
}

func randomState() string {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// listenAddr turns the profile's redirect URI into what the listener binds.
func listenAddr(redirect string) (addr, path string, err error) {
	if redirect == "" {
		return "127.0.0.1:0", "/callback", nil
	}
	u, err := url.Parse(redirect)
	if err != nil || u.Scheme != "http" {
		return "", "", cmdutil.UsageErrorf("redirect_uri %q is not an http://127.0.0.1:<port>/<path> loopback URI (RFC 8252)", redirect)
	}
	host, port := u.Hostname(), u.Port()
	if port == "" {
		port = "0"
	}
	if host == "localhost" {
		return "", "", cmdutil.UsageErrorf("redirect_uri %q uses localhost; use http://127.0.0.1:%s%s instead (RFC 8252 section 8.3: the name may resolve elsewhere)", redirect, port, u.Path)
	}
	path = u.Path
	if path == "" {
		path = "/"
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
	if err := token.Discover(ctx, s); err != nil {
		return nil, err
	}
	if s.OAuth.ClientID == "" {
		return nil, cmdutil.UsageErrorf("profile %q has no client_id", name)
	}
	addr, path, err := listenAddr(s.OAuth.RedirectURL)
	if err != nil {
		return nil, err
	}
	stateValue := randomState()
	recv, err := loopback.Listen(loopback.Options{Addr: addr, Path: path, State: stateValue,
		OnEvent: func(msg string) { fmt.Fprintln(errOut, "xs2a: "+msg) }})
	if err != nil {
		var pe *loopback.PortInUseError
		if errors.As(err, &pe) {
			return nil, &cmdutil.ExitError{Code: cmdutil.ExitFailure, Err: err}
		}
		return nil, cmdutil.UsageError(err)
	}
	defer recv.Close()
	verifier := oauth.NewVerifier()
	cfg := s.OAuth
	cfg.RedirectURL = recv.RedirectURL
	authURL := oauth.AuthCodeURL(cfg, consentID, stateValue, verifier)
	if err := s.Store.Update(name, func(x *state.State) error {
		x.Pending = &state.Pending{ConsentID: consentID, State: stateValue, Verifier: verifier, RedirectURI: recv.RedirectURL, Created: s.Now()}
		return nil
	}); err != nil {
		return nil, err
	}

	fmt.Fprintf(errOut, "waiting for the PSU's authorization of consent %s on %s (up to %s)\n", consentID, recv.RedirectURL, o.Timeout)
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
		fmt.Fprintf(errOut, "open this URL in a browser:\n\n  %s\n\n", authURL)
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
		if out.Token, err = token.Exchange(ctx, s, res.Code, verifier, recv.RedirectURL); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func printOutcome(f *cmdutil.Factory, s *cmdutil.Session, out *Outcome) error {
	show := s.Config.ShowSecrets
	if out.Token == nil {
		if cmdutil.WantsJSON(f) {
			return cmdutil.JSON(f, map[string]string{"consentId": out.ConsentID, "code": cmdutil.Mask(out.Code, show), "next": "xs2a token exchange"})
		}
		_, err := fmt.Fprintf(f.IO.Out, "authorized consent %s; code %s kept for `xs2a token exchange`\n", out.ConsentID, cmdutil.Mask(out.Code, show))
		return err
	}
	t := out.Token
	if cmdutil.WantsJSON(f) {
		return cmdutil.JSON(f, map[string]any{"consentId": out.ConsentID, "access_token": cmdutil.Mask(t.AccessToken, show),
			"refresh_token": cmdutil.Mask(t.RefreshToken, show), "expiry": t.Expiry, "scope": t.Scope})
	}
	_, err := fmt.Fprintf(f.IO.Out, "authorized consent %s; PSU access token %s (expires %s)\n", out.ConsentID, cmdutil.Mask(t.AccessToken, show), t.Expiry.Local().Format(time.RFC3339))
	return err
}
