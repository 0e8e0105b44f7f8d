// Package authorize implements `xs2a authorize`: the PSU's OAuth2
// authorization of a consent in the browser, caught on a loopback listener.
// The authorization itself is the session's (cmdutil.Session.Authorize),
// which `xs2a flow` runs too; this command owns the flags and the printing.
package authorize

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"
	"github.com/xs2a-dev/xs2a/cmd/xs2a/internal/cmdutil"
	"github.com/xs2a-dev/xs2a/pkg/iostreams"
	"github.com/xs2a-dev/xs2a/pkg/profile"
	"github.com/xs2a-dev/xs2a/pkg/termsafe"
)

// AuthorizeOptions are the flags of `xs2a authorize` and what it uses.
type AuthorizeOptions struct {
	IO      *iostreams.IOStreams
	Session func() (*cmdutil.Session, error)
	Browser cmdutil.Browser

	ConsentID string
	// Payment (--payment) and PIIS (--piis) authorise a payment or a
	// funds confirmation consent instead of the AIS consent; remembered
	// means the flag was given without an ID (the state's).
	Payment, PIIS string
	Exchange      bool
	// Wait is --no-browser, --timeout, --idle-notice and --paste, which
	// `xs2a flow` takes too.
	Wait cmdutil.AuthorizeFlags

	kind string // profile.ScopePIS, ScopePIIS, "" (AIS)
}

// NewCmdAuthorize builds `xs2a authorize`; runF replaces the run function
// in tests.
func NewCmdAuthorize(f *cmdutil.Factory, runF func(*AuthorizeOptions) error) *cobra.Command {
	o := &AuthorizeOptions{IO: f.IO, Session: f.Session, Browser: f.Browser}
	cmd := &cobra.Command{
		Use:   "authorize [--consent ID | --payment [ID] | --piis [ID]] [--exchange]",
		Short: "Let the PSU authorize the consent in the browser (OAuth2 code flow with PKCE S256)",
		Long: `Build the authorization URL (scope AIS:<consentId>; with --payment
PIS:<paymentId>, with --piis PIIS:<consentId>: the profile's scopes.ais,
scopes.pis and scopes.piis templates; a random state, PKCE S256),
listen for the redirect on a loopback address (127.0.0.1 only, RFC 8252; a
random port unless the profile's redirect_uri fixes one), open the browser
(or print the URL with --no-browser, or when there is no display), and wait
for exactly one callback. A callback with a wrong state is refused and
reported; an error callback (access_denied) is reported. The code is kept for
'xs2a token exchange', or exchanged at once with --exchange. A payment's
or a funds confirmation's token is kept apart from the AIS one: authorising
a payment leaves 'xs2a accounts' as it was.

Before the browser opens: the port must be free, the redirect URI must be
one of the profile's registered_redirect_uris (each differing part named),
and the ASPSP's metadata, when reachable, must announce PKCE S256.
While waiting: after --idle-notice with nothing reaching the listener, the
likely causes are printed; the URL the browser ended on can be pasted on
standard input instead of the redirect reaching this machine (SSH, headless).

$BROWSER, when set, is the command that opens the URL.`,
		Example: `  xs2a consent create && xs2a authorize --exchange
  xs2a authorize --payment --exchange            # the payment initiated last
  xs2a authorize --payment pay-123 --no-browser
  xs2a authorize --no-browser --timeout 10m      # then paste the URL the browser ends on
  ssh -L 8765:127.0.0.1:8765 devbox              # or forward the fixed port of redirect_uri`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := o.Wait.Validate(); err != nil {
				return err
			}
			if err := o.resolveKind(cmd, args); err != nil {
				return err
			}
			if runF != nil {
				return runF(o)
			}
			return authorizeRun(cmd.Context(), o)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&o.ConsentID, "consent", "", "consent to authorize (default: the last created)")
	fl.StringVar(&o.Payment, "payment", "", "authorize a payment (scope scopes.pis; ID default: the last initiated)")
	fl.StringVar(&o.PIIS, "piis", "", "authorize a funds confirmation consent (scope scopes.piis; ID default: the state's)")
	fl.Lookup("payment").NoOptDefVal = cmdutil.Remembered
	fl.Lookup("piis").NoOptDefVal = cmdutil.Remembered
	fl.BoolVar(&o.Exchange, "exchange", false, "exchange the code for tokens at once")
	o.Wait.Register(cmd)
	return cmd
}

// kind is what --consent, --payment and --piis ask to authorise, the ID
// in ConsentID ("" for the state's).
func (o *AuthorizeOptions) resolveKind(cmd *cobra.Command, args []string) error {
	fl := cmd.Flags()
	given := 0
	for _, n := range []string{"consent", "payment", "piis"} {
		if fl.Changed(n) {
			given++
		}
	}
	if given > 1 {
		return cmdutil.UsageErrorf("--consent, --payment and --piis exclude each other")
	}
	id, kind := o.ConsentID, ""
	switch {
	case fl.Changed("payment"):
		id, kind = o.Payment, profile.ScopePIS
	case fl.Changed("piis"):
		id, kind = o.PIIS, profile.ScopePIIS
	}
	if id == cmdutil.Remembered {
		id = ""
	}
	// `--payment ID` (a space, not =) leaves ID as the argument.
	if len(args) == 1 {
		if kind == "" || id != "" {
			return cmdutil.UsageErrorf("unexpected argument %q (authorize takes --consent ID, --payment [ID] or --piis [ID])", args[0])
		}
		id = args[0]
	}
	o.ConsentID, o.kind = id, kind
	return nil
}

func authorizeRun(ctx context.Context, o *AuthorizeOptions) error {
	s, err := o.Session()
	if err != nil {
		return err
	}
	ao, browse := o.Wait.Options(o.IO, o.Browser)
	ao.ConsentID, ao.Exchange, ao.Kind = o.ConsentID, o.Exchange, o.kind
	out, err := s.Authorize(ctx, ao, browse, o.IO.ErrOut)
	if err != nil {
		return err
	}
	return printOutcome(o.IO, s, out, o.kind)
}

func printOutcome(ios *iostreams.IOStreams, s *cmdutil.Session, out *cmdutil.Authorization, kind string) error {
	show := s.Config.ShowSecrets
	idKey, what := "consent_id", "consent"
	switch kind {
	case profile.ScopePIS:
		idKey, what = "payment_id", "payment"
	case profile.ScopePIIS:
		what = "funds confirmation consent"
	}
	if out.Token == nil {
		if s.WantsJSON() {
			// Said with this run's --config and -p: the code waits in
			// this profile's state.
			doc := map[string]any{idKey: out.ConsentID, "next": s.Again("token exchange")}
			cmdutil.SecretJSON(doc, "code", out.Code, show)
			return cmdutil.WriteJSON(ios.Out, doc)
		}
		_, err := fmt.Fprintf(ios.Out, "authorized %s %s; code %s kept for `%s`\n", what, termsafe.Line(out.ConsentID), termsafe.Line(cmdutil.Mask(out.Code, show)), s.Again("token exchange"))
		return err
	}
	t := out.Token
	if s.WantsJSON() {
		doc := map[string]any{idKey: out.ConsentID, "expiry": t.Expiry, "scope": t.Scope}
		cmdutil.SecretJSON(doc, "access_token", t.AccessToken, show)
		cmdutil.SecretJSON(doc, "refresh_token", t.RefreshToken, show)
		return cmdutil.WriteJSON(ios.Out, doc)
	}
	_, err := fmt.Fprintf(ios.Out, "authorized %s %s; PSU access token %s (expires %s)\n", what, termsafe.Line(out.ConsentID), termsafe.Line(cmdutil.Mask(t.AccessToken, show)), t.Expiry.Local().Format(time.RFC3339))
	return err
}
