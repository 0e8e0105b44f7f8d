// Package replay implements `xs2a replay DIR`: the API requests recorded
// with --record sent again, signed afresh, and their answers compared with
// the recorded ones (pkg/bundle does the work).
package replay

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"strconv"

	"github.com/spf13/cobra"
	"github.com/xs2a-dev/xs2a/cmd/xs2a/internal/cmdutil"
	"github.com/xs2a-dev/xs2a/cmd/xs2a/internal/report"
	"github.com/xs2a-dev/xs2a/pkg/budget"
	"github.com/xs2a-dev/xs2a/pkg/bundle"
	"github.com/xs2a-dev/xs2a/pkg/iostreams"
	"github.com/xs2a-dev/xs2a/pkg/profile"
	"github.com/xs2a-dev/xs2a/pkg/termsafe"
	"github.com/xs2a-dev/xs2a/pkg/text"
)

// Row is one line of the table, and its JSON form.
type Row struct {
	Index int    `json:"index"`
	File  string `json:"file"`
	bundle.Result
}

// ReplayOptions are the argument of `xs2a replay` and what it uses.
type ReplayOptions struct {
	IO      *iostreams.IOStreams
	Session func() (*cmdutil.Session, error)
	Config  func() (*profile.Config, error)
	// Dir is the recording (--record's directory).
	Dir string
}

// NewCmdReplay builds `xs2a replay DIR`; runF replaces the run function in
// tests.
func NewCmdReplay(f *cmdutil.Factory, runF func(*ReplayOptions) error) *cobra.Command {
	o := &ReplayOptions{IO: f.IO, Session: f.Session, Config: f.Config}
	return &cobra.Command{
		Use:   "replay DIR",
		Short: "Re-send the API requests recorded with --record and compare the answers (a regression test)",
		Long: `Send the API requests recorded in DIR (by --record) again, in order, to the
active profile's base_url: same method, path, query, body and headers, but
signed afresh (new X-Request-ID, Digest, Signature) and with the current
credentials, added as 'xs2a proxy --inject-auth' adds them: the client
token and API key for consent management, payments and funds confirmation,
the PSU's token (refreshed when expired) and its Consent-ID for everything
else.

Token-endpoint exchanges are not replayed: tokens come from the profile's
state. A replayed POST that creates something creates it again: a consent,
a payment (a new payment: it waits for the PSU's authorisation as the
recorded one did), an authorisation. When the answer names a new
consentId, paymentId or authorisationId, later consent and payment paths
that named the recorded one use the new one (so a recorded DELETE cancels
the payment the replay initiated).

One row per exchange: the recorded status and code, the new status and
code, and same or CHANGED. Exit status 0 when every answer has the same
status and code, 7 when any differs, 8 when --strict-budget kept any from
being sent.`,
		Example: `  xs2a --record ./before flow
  xs2a replay ./before
  xs2a replay ./before -p bank-sandbox -o json`,
		Args: cmdutil.ExactArgs(1, "DIR"),
		ValidArgsFunction: func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
			return nil, cobra.ShellCompDirectiveFilterDirs
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Dir = args[0]
			if runF != nil {
				return runF(o)
			}
			return replayRun(cmd.Context(), o)
		},
	}
}

func replayRun(ctx context.Context, o *ReplayOptions) error {
	dir := o.Dir
	if ctx == nil {
		ctx = context.Background()
	}
	exs, err := bundle.Read(dir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return cmdutil.UsageErrorf("%s: no such directory", dir)
		}
		return cmdutil.UsageError(err)
	}
	// Every target is checked before anything is sent, or a token
	// refreshed: a bundle is somebody else's file, and a target that leaves
	// the profile's origin would carry the live credentials with it.
	cfg, err := o.Config()
	if err != nil {
		return err
	}
	if base := cfg.Profile.BaseURL; base != "" {
		var te *bundle.TargetError
		if err := bundle.Check(base, exs); errors.As(err, &te) {
			return cmdutil.UsageErrorf("%s: recorded target %s refused, nothing was replayed: %s (a replay sends only paths on the profile's base_url)",
				termsafe.Line(te.File), termsafe.Line(strconv.Quote(te.Target)), termsafe.Line(te.Err.Error()))
		} else if err != nil {
			return cmdutil.UsageError(err)
		}
	}
	s, err := o.Session()
	if err != nil {
		return err
	}
	c := *s.Signed
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	spy := &refusals{base: c.Transport}
	// Paced as every other command's calls are: a recorded journey sent at
	// once would meet the bank's per-second limit and show its 429s as
	// changes.
	c.Transport = s.API.Paced(spy)
	r := &bundle.Replayer{Client: &c, BaseURL: s.Config.Profile.BaseURL,
		Inject: func(req *http.Request) error { return s.InjectAuth(ctx, req) }}
	if h := s.API.APIKeyHeader; h != "" {
		r.Strip = []string{h}
	}
	rows := make([]Row, 0, len(exs))
	changed, refused := 0, 0
	for i, e := range exs {
		if ctx.Err() != nil {
			// Ctrl-C: the rest would only fail; say so instead of a table of errors.
			return &cmdutil.ExitError{Code: cmdutil.ExitInterrupted, Err: fmt.Errorf("interrupted after %d of %d exchanges", i, len(exs))}
		}
		spy.last = nil
		row := Row{Index: i + 1, File: e.File, Result: r.Replay(ctx, e)}
		if spy.last != nil {
			// Not sent (--strict-budget): the reason without the URL.
			refused++
			row.Result.Note = spy.last.Error()
		}
		if row.Result.Result == bundle.Changed {
			changed++
		}
		rows = append(rows, row)
	}
	if s.WantsJSON() {
		if err := cmdutil.WriteJSON(o.IO.Out, rows); err != nil {
			return err
		}
	} else {
		printRows(o.IO, rows, changed)
	}
	if refused > 0 {
		// Exchanges that were not sent say nothing of the bank: the
		// budget's code, not "changed".
		return cmdutil.Silent(cmdutil.ExitBudget)
	}
	if changed > 0 {
		return cmdutil.Silent(cmdutil.ExitChanged)
	}
	return nil
}

// refusals notes the budget's refusal of the exchange being replayed.
type refusals struct {
	base http.RoundTripper
	last *budget.ExceededError
}

func (t *refusals) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(req)
	var be *budget.ExceededError
	if errors.As(err, &be) {
		t.last = be
	}
	return resp, err
}

func printRows(ios *iostreams.IOStreams, rows []Row, changed int) {
	cs := ios.ColorScheme()
	tw := report.NewTable(ios, -1, 1) // the result's note, then the request
	fmt.Fprintln(tw, "#\tREQUEST\tRECORDED\tNOW\tRESULT")
	replayed := 0
	for _, r := range rows {
		result, now := "", r.New.String()
		switch r.Result.Result {
		case bundle.Same:
			replayed++
			result = cs.Green("same")
		case bundle.Changed:
			replayed++
			result = cs.Red("CHANGED")
		default:
			result, now = cs.Faint("not replayed"), "-"
		}
		// The recording's paths and the bank's codes and errors: escaped.
		l := termsafe.Line
		line := fmt.Sprintf("%d\t%s %s\t%s\t%s\t%s", r.Index, l(r.Method), l(text.Clip(r.Path, 60)), l(r.Old.String()), l(now), result)
		// A changed row's reason; a same row's note only when it names
		// the new id a POST created (later paths use it): a same error
		// is said once, in NOW.
		if r.Note != "" && (r.Result.Result != bundle.Same || r.New.Error == "") {
			line += cs.Faint("  " + l(text.Clip(r.Note, 120)))
		}
		fmt.Fprintln(tw, line)
	}
	_ = tw.Flush()
	fmt.Fprintf(ios.Out, "%d replayed: %d same, %d changed; %d token-endpoint exchange(s) not replayed\n", replayed, replayed-changed, changed, len(rows)-replayed)
}
