package sandbox

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/xs2a-dev/xs2a/cmd/xs2a/internal/cmdutil"
	"github.com/xs2a-dev/xs2a/cmd/xs2a/internal/report"
	"github.com/xs2a-dev/xs2a/pkg/iostreams"
	"github.com/xs2a-dev/xs2a/pkg/origin"
	"github.com/xs2a-dev/xs2a/pkg/profile"
	sbx "github.com/xs2a-dev/xs2a/pkg/sandbox"
	"github.com/xs2a-dev/xs2a/pkg/termsafe"
	"github.com/xs2a-dev/xs2a/pkg/xs2a"
)

// WhyOptions are the flags of `xs2a sandbox why` and what it uses.
type WhyOptions struct {
	IO     *iostreams.IOStreams
	Config func() (*profile.Config, error)
	// NewSession builds the session for the profile with --url applied.
	NewSession func(*profile.Config) (*cmdutil.Session, error)
	RequestID  string
	URL        string
}

// NewCmdWhy builds `xs2a sandbox why`.
func NewCmdWhy(f *cmdutil.Factory, runF func(*WhyOptions) error) *cobra.Command {
	o := &WhyOptions{IO: f.IO, Config: f.Config,
		NewSession: func(c *profile.Config) (*cmdutil.Session, error) { return cmdutil.NewSession(f, c, nil) }}
	cmd := &cobra.Command{
		Use:   "why <x-request-id>",
		Short: "Show why the sandbox rejected a request: its full diagnosis, from the bank's side",
		Long: `Fetch what the sandbox kept of a request it rejected (or, in the lenient
dialect, accepted with warnings) and print it as ` + "`xs2a sign verify`" + ` prints a
report: every check with what was expected and what came, and the cause.
The X-Request-ID is in the error line of the command that was rejected
("(X-Request-ID ...)") and in the -v trace.

It connects with the active profile's QWAC to its base_url (or --url): the
sandbox answers only to the TPP (organisation and CA) that sent the request.`,
		Example: `  xs2a -p sandbox sandbox why 3f1c2a9e-5b7d-4c1e-9a0f-2d6e8b4c7a13   # the X-Request-ID an error line quoted
  xs2a -p sandbox sandbox why 3f1c2a9e-5b7d-4c1e-9a0f-2d6e8b4c7a13 -o json | jq .diagnosis.causes`,
		Args: cmdutil.ExactArgs(1, "the X-Request-ID of the rejected request"),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.RequestID = args[0]
			if !sbx.ValidRequestID(o.RequestID) {
				return cmdutil.UsageErrorf("%q is not an X-Request-ID (1 to 200 printable characters)", o.RequestID)
			}
			if o.URL != "" {
				if u, err := url.Parse(o.URL); err != nil || u.Scheme != "https" || u.Host == "" {
					return cmdutil.UsageErrorf("--url %q is not an https URL of the sandbox's API", o.URL)
				}
			}
			if runF != nil {
				return runF(o)
			}
			return whyRun(cmd.Context(), o)
		},
	}
	cmd.Flags().StringVar(&o.URL, "url", "", "the sandbox's API base URL (default: the profile's base_url)")
	return cmd
}

func whyRun(ctx context.Context, o *WhyOptions) error {
	cfg, err := o.Config()
	if err != nil {
		return err
	}
	if o.URL != "" {
		c := *cfg
		c.Profile.BaseURL = o.URL
		cfg = &c
	}
	sess, err := o.NewSession(cfg)
	if err != nil {
		return err
	}
	base := strings.TrimRight(cfg.Profile.BaseURL, "/")
	req, err := http.NewRequestWithContext(ctx, "GET", base+sbx.RejectionsPath+url.PathEscape(o.RequestID), nil)
	if err != nil {
		return cmdutil.UsageErrorf("base_url %q: %v", base, err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := sess.MTLS.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if err := origin.Redirected(resp); err != nil {
		// Not followed (the QWAC would go along), and said as every step says it.
		return fmt.Errorf("GET %s%s %w", sbx.RejectionsPath, termsafe.Line(o.RequestID), err)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		ae := xs2a.ParseError(resp.StatusCode, "", body)
		if resp.StatusCode == http.StatusNotFound && !strings.Contains(ae.Error(), "no rejection of a request") {
			return &cmdutil.ExitError{Code: cmdutil.ExitRejected, Err: ae, Hint: fmt.Sprintf("%s is not an xs2a sandbox (`xs2a sandbox why` reads what `xs2a sandbox serve` keeps)", base)}
		}
		return ae
	}
	var rec sbx.Record
	if err := json.Unmarshal(body, &rec); err != nil || rec.Request == nil {
		return fmt.Errorf("%s answered 200 with something that is not a kept rejection: %v", base, err)
	}
	if cmdutil.WantsJSON(o.Config) {
		return cmdutil.WriteJSON(o.IO.Out, rec)
	}
	printRecord(o, &rec, cfg.Verbose)
	return nil
}

// printRecord heads the verify-style report with the bank's side: when,
// what, and what it answered. The record is whatever the server at --url
// answered: its strings are printed with control characters escaped.
func printRecord(o *WhyOptions, rec *sbx.Record, verbose bool) {
	w := o.IO.Out
	cs := o.IO.ColorScheme()
	l := termsafe.Line
	answer := fmt.Sprintf("%d %s", rec.Status, strings.Join(codes(rec.Messages), ", "))
	if rec.Accepted {
		answer = fmt.Sprintf("%d, accepted with warnings", rec.Status)
	}
	fmt.Fprintf(w, "%s %s %s %s answered %s (X-Request-ID %s, dialect %s)\n", cs.Bold("The bank's side:"),
		rec.Time.UTC().Format(time.RFC3339), l(rec.Method), l(rec.Path), l(strings.TrimSpace(answer)), l(rec.RequestID), l(rec.Dialect))
	for _, wn := range rec.Warnings {
		fmt.Fprintf(w, "  %s %s\n", cs.WarningIcon(), l(wn))
	}
	if rec.Diagnosis != nil {
		report.Diagnosis(w, cs, rec.Request.Message(), rec.Diagnosis, verbose)
		if !rec.Diagnosis.Valid || rec.Accepted {
			return
		}
		fmt.Fprintln(w, "The signature was accepted; the request was rejected after it:")
	} else {
		fmt.Fprintln(w, "The signature checks did not run: the request was rejected before them.")
	}
	for _, m := range rec.Messages {
		path := ""
		if m.Path != "" {
			path = " [" + l(m.Path) + "]"
		}
		fmt.Fprintf(w, "  %s %s%s: %s\n", cs.FailureIcon(), l(m.Code), path, l(m.Text))
	}
}

func codes(msgs []sbx.TPPMessage) []string {
	var out []string
	for _, m := range msgs {
		if len(out) == 0 || out[len(out)-1] != m.Code {
			out = append(out, m.Code)
		}
	}
	return out
}
