// Package api implements `xs2a api`: any XS2A call through the signed mTLS client.
package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/spf13/cobra"
	"github.com/xs2a-dev/xs2a/cmd/xs2a/internal/cmdutil"
	"github.com/xs2a-dev/xs2a/pkg/httplog"
	"github.com/xs2a-dev/xs2a/pkg/termsafe"
	"github.com/xs2a-dev/xs2a/pkg/xs2a"
)

// NewCmdAPI builds `xs2a api METHOD PATH`.
func NewCmdAPI(f *cmdutil.Factory) *cobra.Command {
	var body, bodyFile, tok, consent string
	var headers []string
	cmd := &cobra.Command{
		Use:   "api METHOD PATH",
		Short: "Send any XS2A request through the signed mutual-TLS client",
		Long: `Send a request the named commands do not cover. PATH is relative to the
API version (/consents/ID/authorisations) or absolute (/v1/...). The request
is signed like every other; --token picks the bearer token: client (the
client-credentials token, with the API key), user (the PSU's, with
Consent-ID) or none. The answer's body goes to stdout, pretty when JSON; an
error status exits 3 (or 4, 5, 6 by its code). Control characters in the
body are written escaped (\u001b in JSON, \x1b otherwise), never raw.
A POST to /consents carries PSU-IP-Address as consent create's does.`,
		Example: `  xs2a api GET /consents/$ID/authorisations --token client
  xs2a api GET /card-accounts/card-8693/transactions?bookingStatus=booked\&dateFrom=2026-01-01`,
		Args: cmdutil.ExactArgs(2, "METHOD and PATH"),
		RunE: func(cmd *cobra.Command, args []string) error {
			method := strings.ToUpper(args[0])
			switch method {
			case "GET", "POST", "PUT", "DELETE", "PATCH":
			default:
				return cmdutil.UsageErrorf("method %q is not GET, POST, PUT, DELETE or PATCH", args[0])
			}
			if !strings.HasPrefix(args[1], "/") {
				return cmdutil.UsageErrorf("PATH %q must start with /", args[1])
			}
			if body != "" && bodyFile != "" {
				return cmdutil.UsageErrorf("--body and --body-file are exclusive")
			}
			var b []byte
			switch {
			case bodyFile != "":
				var err error
				if b, err = cmdutil.ReadInput(f, bodyFile, "body"); err != nil {
					return err
				}
			case cmd.Flags().Changed("body"):
				b = []byte(body)
			}
			hdr := http.Header{}
			for _, h := range headers {
				k, v, ok := strings.Cut(h, ":")
				if !ok {
					return cmdutil.UsageErrorf("--header %q is not \"Name: value\"", h)
				}
				hdr.Add(strings.TrimSpace(k), strings.TrimSpace(v))
			}
			s, err := f.Session()
			if err != nil {
				return err
			}
			req := xs2a.Request{Method: method, Body: b, Header: hdr, PSUIP: true}
			path, query, _ := strings.Cut(args[1], "?")
			// The file makes PSU-IP-Address mandatory on POST /v1/consents:
			// a -H of the user's, else the one consent create would send.
			req.PSUIPRequired = method == "POST" && (path == "/consents" || path == "/"+s.API.Version+"/consents" || (s.API.Version == "" && path == "/v1/consents"))
			req.Path = path
			if query != "" {
				req.Path = path + "?" + query
			}
			switch tok {
			case "client":
				t, err := s.ClientToken(cmd.Context(), false)
				if err != nil {
					return err
				}
				req.Token, req.APIKey = t.AccessToken, true
			case "user":
				t, err := s.UserToken(cmd.Context())
				if err != nil {
					return err
				}
				req.Token, req.ConsentID = t.AccessToken, firstNonEmpty(consent, t.ConsentID)
			case "none":
			default:
				return cmdutil.UsageErrorf("--token %q is not client, user or none", tok)
			}
			resp, err := s.API.Do(cmd.Context(), req)
			if err != nil {
				return cmdutil.NetError(err)
			}
			fmt.Fprintf(f.IO.ErrOut, "%d %s (X-Request-ID %s)\n", resp.Status, http.StatusText(resp.Status), termsafe.Line(resp.RequestID))
			// The bank's body is for the terminal too: JSON keeps its value
			// with every control character a JSON escape, anything else
			// shows them escaped.
			var pretty bytes.Buffer
			if termsafe.IndentJSON(&pretty, resp.Body, "  ", maxPretty) {
				pretty.WriteByte('\n')
				_, _ = f.IO.Out.Write(termsafe.JSON(pretty.Bytes()))
			} else if json.Valid(resp.Body) {
				// Nested too deep to indent within maxPretty: as it came.
				_, _ = f.IO.Out.Write(append(termsafe.JSON(resp.Body), '\n'))
			} else {
				_, _ = f.IO.Out.Write([]byte(termsafe.Text(string(resp.Body))))
			}
			if resp.Status >= 400 {
				// The line quotes the bank, which may quote the request.
				body := httplog.Hide(string(resp.Body), req.Token, s.API.APIKey)
				return cmdutil.NetError(xs2a.ParseError(resp.Status, resp.RequestID, []byte(body)))
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&body, "body", "d", "", "request body (JSON)")
	fl.StringVar(&bodyFile, "body-file", "", "request body from a file (- for stdin)")
	fl.StringVar(&tok, "token", "user", "bearer token: client, user or none")
	fl.StringVar(&consent, "consent", "", "Consent-ID with --token user (default: the authorized consent)")
	fl.StringArrayVarP(&headers, "header", "H", nil, "extra header \"Name: value\" (repeatable)")
	return cmd
}

func firstNonEmpty(v ...string) string {
	for _, s := range v {
		if s != "" {
			return s
		}
	}
	return ""
}

// maxPretty bounds the indented form of an answer: a bank's body nested
// thousands deep would take gigabytes once indented.
const maxPretty = 64 << 20
