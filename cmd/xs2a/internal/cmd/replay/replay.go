// Package replay implements `xs2a replay DIR`: the API requests recorded
// with --record sent again, signed afresh, and their answers compared with
// the recorded ones.
package replay

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/google/uuid"
	"github.com/spf13/cobra"
	"github.com/xs2a-dev/xs2a/cmd/xs2a/internal/cmd/token"
	"github.com/xs2a-dev/xs2a/cmd/xs2a/internal/cmdutil"
	"github.com/xs2a-dev/xs2a/pkg/bundle"
)

// stripped are the recorded headers a replay never sends again: the
// signature set (signed afresh), the credentials (the current ones are
// added) and what the HTTP client writes itself.
var stripped = []string{"host", "content-length", "x-request-id", "digest", "signature", "tpp-signature-certificate",
	"authorization", "x-api-key", "consent-id", "accept-encoding", "connection", "user-agent"}

// Row is one line of the table, and its JSON form.
type Row struct {
	Index  int    `json:"index"`
	File   string `json:"file"`
	Method string `json:"method"`
	Path   string `json:"path"`
	Old    Answer `json:"recorded"`
	New    Answer `json:"now"`
	// Result is "same", "changed" or "skipped".
	Result string `json:"result"`
	Note   string `json:"note,omitempty"`
}

// Answer is a status and Berlin Group code, or the error instead of them.
type Answer struct {
	Status int    `json:"status,omitempty"`
	Code   string `json:"code,omitempty"`
	Error  string `json:"error,omitempty"`
}

func (a Answer) String() string {
	switch {
	case a.Error != "":
		return "error"
	case a.Status == 0:
		return "-"
	case a.Code != "":
		return strconv.Itoa(a.Status) + " " + a.Code
	}
	return strconv.Itoa(a.Status)
}

// NewCmdReplay builds `xs2a replay DIR`.
func NewCmdReplay(f *cmdutil.Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "replay DIR",
		Short: "Re-send the API requests recorded with --record and compare the answers (a regression test)",
		Long: `Send the API requests recorded in DIR (by --record) again, in order, to the
active profile's base_url: same method, path, query, body and headers, but
signed afresh (new X-Request-ID, Digest, Signature) and with the current
credentials, added as 'xs2a proxy --inject-auth' adds them: the client
token and API key for consent management, the PSU's token (refreshed when
expired) and its Consent-ID for everything else.

Token-endpoint exchanges are not replayed: tokens come from the profile's
state. When a replayed POST /v1/consents answers a new consentId, later
consent-management paths that named the recorded one use the new one.

One row per exchange: the recorded status and code, the new status and
code, and same or CHANGED. Exit status 0 when every answer has the same
status and code, 7 when any differs.`,
		Example: `  xs2a --record ./before flow
  xs2a replay ./before
  xs2a replay ./before -p bank-sandbox -o json`,
		Args: cmdutil.ExactArgs(1, "DIR"),
		ValidArgsFunction: func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
			return nil, cobra.ShellCompDirectiveFilterDirs
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			return run(cmd.Context(), f, args[0])
		},
	}
}

func run(ctx context.Context, f *cmdutil.Factory, dir string) error {
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
	s, err := f.Session()
	if err != nil {
		return err
	}
	c := *s.Signed
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	r := &replayer{s: s, client: &c, base: strings.TrimRight(s.Config.Profile.BaseURL, "/"), ids: map[string]string{}}
	rows := make([]Row, 0, len(exs))
	changed := 0
	for i, e := range exs {
		if ctx.Err() != nil {
			// Ctrl-C: the rest would only fail; say so instead of a table of errors.
			return &cmdutil.ExitError{Code: cmdutil.ExitInterrupted, Err: fmt.Errorf("interrupted after %d of %d exchanges", i, len(exs))}
		}
		row := r.one(ctx, e)
		row.Index, row.File = i+1, e.File
		if row.Result == "changed" {
			changed++
		}
		rows = append(rows, row)
	}
	if cmdutil.WantsJSON(f) {
		if err := cmdutil.JSON(f, rows); err != nil {
			return err
		}
	} else {
		printRows(f, rows, changed)
	}
	if changed > 0 {
		return cmdutil.Silent(cmdutil.ExitChanged)
	}
	return nil
}

type replayer struct {
	s      *cmdutil.Session
	client *http.Client
	base   string
	// ids maps a consent id of the recording to the one its replay created.
	ids map[string]string
}

func recorded(e *bundle.Exchange) Answer {
	if e.Response == nil {
		return Answer{Error: e.Error}
	}
	return Answer{Status: e.Response.Status, Code: e.Response.Code}
}

func (r *replayer) one(ctx context.Context, e *bundle.Exchange) Row {
	row := Row{Method: e.Request.Method, Path: e.Path(), Old: recorded(e)}
	if e.Kind != bundle.KindAPI {
		row.Result = "skipped"
		row.Note = "token endpoint: tokens come from the profile's state, refreshed when expired"
		return row
	}
	rel := e.Path()
	if b := strings.TrimRight(e.BaseURL, "/"); b != "" && strings.HasPrefix(e.Request.URL, b+"/") {
		rel = strings.TrimPrefix(e.Request.URL, b)
	}
	rel = r.mapIDs(rel)
	body, err := e.Request.Body.Bytes()
	if err != nil {
		return r.failed(row, err)
	}
	var rd io.Reader = http.NoBody
	if len(body) > 0 {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, e.Request.Method, r.base+rel, rd)
	if err != nil {
		return r.failed(row, err)
	}
	apiKeyHeader := strings.ToLower(r.s.API.APIKeyHeader)
	for _, h := range e.Request.Headers {
		l := strings.ToLower(h.Name)
		if slices.Contains(stripped, l) || l == apiKeyHeader || strings.Contains(h.Value, "[redacted sha256:") {
			continue
		}
		req.Header.Add(h.Name, h.Value)
	}
	// Fresh, not left to the signer: an unsigned profile sends it too.
	req.Header.Set("X-Request-ID", uuid.NewString())
	if err := token.InjectAuth(ctx, r.s, req); err != nil {
		return r.failed(row, err)
	}
	resp, err := r.client.Do(req)
	if err != nil {
		return r.failed(row, err)
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return r.failed(row, err)
	}
	row.New = Answer{Status: resp.StatusCode, Code: bundle.TPPCode(answer)}
	if e.Request.Method == http.MethodPost && strings.HasSuffix(strings.TrimRight(req.URL.Path, "/"), "/consents") && e.Response != nil {
		old, now := consentID(e.Response.Body), consentID(&bundle.Body{Text: string(answer)})
		if old != "" && now != "" && old != now {
			r.ids[old] = now
			row.Note = "consent " + old + " is now " + now
		}
	}
	row.Result = "same"
	if row.New != row.Old {
		row.Result = "changed"
	}
	return row
}

func (r *replayer) failed(row Row, err error) Row {
	row.New = Answer{Error: oneLine(err.Error())}
	row.Result = "changed"
	if row.Old.Error != "" {
		row.Result = "same"
	}
	row.Note = row.New.Error
	return row
}

// mapIDs puts the consent ids this replay created in place of the
// recorded ones in consent-management paths.
func (r *replayer) mapIDs(rel string) string {
	path, query, hasQuery := strings.Cut(rel, "?")
	if !token.ConsentManagement(path) {
		return rel
	}
	segs := strings.Split(path, "/")
	for i, s := range segs {
		if n, ok := r.ids[s]; ok {
			segs[i] = n
		}
	}
	out := strings.Join(segs, "/")
	if hasQuery {
		out += "?" + query
	}
	return out
}

func consentID(b *bundle.Body) string {
	raw, err := b.Bytes()
	if err != nil || len(raw) == 0 {
		return ""
	}
	var v struct {
		ConsentID string `json:"consentId"`
	}
	if json.Unmarshal(raw, &v) != nil {
		return ""
	}
	return v.ConsentID
}

func printRows(f *cmdutil.Factory, rows []Row, changed int) {
	cs := f.IO.ColorScheme()
	tw := tabwriter.NewWriter(f.IO.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "#\tREQUEST\tRECORDED\tNOW\tRESULT")
	replayed := 0
	for _, r := range rows {
		result := ""
		switch r.Result {
		case "same":
			replayed++
			result = cs.Green("same")
		case "changed":
			replayed++
			result = cs.Red("CHANGED")
		default:
			result = cs.Faint("not replayed")
		}
		now := r.New.String()
		if r.Result == "skipped" {
			now = "-"
		}
		line := fmt.Sprintf("%d\t%s %s\t%s\t%s\t%s", r.Index, r.Method, clip(r.Path, 60), r.Old, now, result)
		if r.Note != "" && r.Result != "same" {
			line += cs.Faint("  " + clip(r.Note, 120))
		}
		fmt.Fprintln(tw, line)
	}
	_ = tw.Flush()
	fmt.Fprintf(f.IO.Out, "%d replayed: %d same, %d changed; %d token-endpoint exchange(s) not replayed\n", replayed, replayed-changed, changed, len(rows)-replayed)
}

func clip(s string, n int) string {
	if len([]rune(s)) > n {
		return string([]rune(s)[:n]) + "…"
	}
	return s
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
