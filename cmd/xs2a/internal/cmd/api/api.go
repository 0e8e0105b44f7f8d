// Package api implements `xs2a api`: any XS2A call through the signed mTLS client.
package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/spf13/cobra"
	"github.com/xs2a-dev/xs2a/cmd/xs2a/internal/cmdutil"
	"github.com/xs2a-dev/xs2a/pkg/iostreams"
	"github.com/xs2a-dev/xs2a/pkg/termsafe"
	"github.com/xs2a-dev/xs2a/pkg/xs2a"
)

// APIOptions are the arguments and flags of `xs2a api` and what it uses.
type APIOptions struct {
	IO      *iostreams.IOStreams
	Session func() (*cmdutil.Session, error)
	// ReadInput reads --body-file (- for standard input).
	ReadInput func(path, what string) ([]byte, error)
	// Method is upper case; Path starts with / and may carry a query.
	Method, Path string
	Body         string
	// BodyGiven: --body was given, so an empty one is sent as such.
	BodyGiven bool
	BodyFile  string
	Token     string
	Consent   string
	Headers   []string
}

// NewCmdAPI builds `xs2a api METHOD PATH`; runF replaces the run function
// in tests.
func NewCmdAPI(f *cmdutil.Factory, runF func(*APIOptions) error) *cobra.Command {
	o := &APIOptions{IO: f.IO, Session: f.Session,
		ReadInput: func(path, what string) ([]byte, error) { return cmdutil.ReadInput(f.IO.In, path, what) }}
	cmd := &cobra.Command{
		Use:   "api METHOD PATH",
		Short: "Send any XS2A request through the signed mutual-TLS client",
		Long: `Send a request the named commands do not cover. PATH is relative to the
API version (/consents/ID/authorisations) or absolute (/v1/...). The request
is signed like every other; --token picks the bearer token: client (the
client-credentials token, with the API key), user (the PSU's, with
Consent-ID), piis (the PSU's funds confirmation token, with the API key) or
none. The answer's body goes to stdout, pretty when JSON; an
error status exits 3 (or 4, 5, 6 by its code). Control characters in the
body are written escaped (\u001b in JSON, \x1b otherwise), never raw.
A POST to /consents carries PSU-IP-Address as consent create's does.`,
		Example: `  xs2a api GET /card-accounts                 # the PSU's token and the consent from the state
  xs2a api GET '/card-accounts/card-8693/transactions?bookingStatus=booked&dateFrom=2026-01-01'
  xs2a api GET /consents/CONSENT-ID/authorisations --token client   # the id consent create printed`,
		Args: cmdutil.ExactArgs(2, "METHOD and PATH"),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Method, o.Path = strings.ToUpper(args[0]), args[1]
			switch o.Method {
			case "GET", "POST", "PUT", "DELETE", "PATCH":
			default:
				return cmdutil.UsageErrorf("method %q is not GET, POST, PUT, DELETE or PATCH", args[0])
			}
			if !strings.HasPrefix(o.Path, "/") {
				return cmdutil.UsageErrorf("PATH %q must start with /", o.Path)
			}
			if o.Body != "" && o.BodyFile != "" {
				return cmdutil.UsageErrorf("--body and --body-file are exclusive")
			}
			o.BodyGiven = cmd.Flags().Changed("body")
			if runF != nil {
				return runF(o)
			}
			return apiRun(cmd.Context(), o)
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&o.Body, "body", "d", "", "request body (JSON)")
	fl.StringVar(&o.BodyFile, "body-file", "", "request body from a file (- for stdin)")
	fl.StringVar(&o.Token, "token", "user", "bearer token: client, user, piis (the PSU's funds confirmation token) or none")
	fl.StringVar(&o.Consent, "consent", "", "Consent-ID with --token user (default: the authorized consent)")
	fl.StringArrayVarP(&o.Headers, "header", "H", nil, "extra header \"Name: value\" (repeatable)")
	return cmd
}

func apiRun(ctx context.Context, o *APIOptions) error {
	var b []byte
	switch {
	case o.BodyFile != "":
		var err error
		if b, err = o.ReadInput(o.BodyFile, "body"); err != nil {
			return err
		}
	case o.BodyGiven:
		b = []byte(o.Body)
	}
	hdr := http.Header{}
	for _, h := range o.Headers {
		k, v, ok := strings.Cut(h, ":")
		if !ok {
			return cmdutil.UsageErrorf("--header %q is not \"Name: value\"", h)
		}
		hdr.Add(strings.TrimSpace(k), strings.TrimSpace(v))
	}
	s, err := o.Session()
	if err != nil {
		return err
	}
	req := xs2a.Request{Method: o.Method, Body: b, Header: hdr, PSUIP: true}
	path, query, _ := strings.Cut(o.Path, "?")
	// The file makes PSU-IP-Address mandatory on POST /v1/consents:
	// a -H of the user's, else the one consent create would send.
	req.PSUIPRequired = o.Method == "POST" && (path == "/consents" || path == "/"+s.API.Version+"/consents" || (s.API.Version == "" && path == "/v1/consents"))
	req.Path = path
	if query != "" {
		req.Path = path + "?" + query
	}
	if err := addCredentials(ctx, s, o, &req); err != nil {
		return err
	}
	resp, err := s.API.Do(ctx, req)
	if err != nil {
		return err
	}
	fmt.Fprintf(o.IO.ErrOut, "%d %s (X-Request-ID %s)\n", resp.Status, http.StatusText(resp.Status), termsafe.Line(resp.RequestID))
	writeBody(o.IO.Out, resp.Body)
	if resp.Status >= 400 {
		// The line quotes the bank, which may quote the request.
		return resp.Error(req.Token, s.API.APIKey)
	}
	return nil
}

// addCredentials puts --token's credentials on the request.
func addCredentials(ctx context.Context, s *cmdutil.Session, o *APIOptions, req *xs2a.Request) error {
	switch o.Token {
	case "client":
		t, err := s.ClientToken(ctx, false)
		if err != nil {
			return err
		}
		req.Token, req.APIKey = t.AccessToken, true
	case "user":
		t, err := s.UserToken(ctx)
		if err != nil {
			return err
		}
		req.Token, req.ConsentID = t.AccessToken, firstNonEmpty(o.Consent, t.ConsentID)
	case "piis":
		// The PSU's funds confirmation token (`authorize --piis --exchange`).
		t, err := s.PIISToken(ctx)
		if err != nil {
			return err
		}
		if t == nil {
			return &cmdutil.ExitError{Code: cmdutil.ExitAuth, Err: fmt.Errorf("no PIIS token in profile %q: run `xs2a authorize --piis ID --exchange` first", s.Config.ProfileName)}
		}
		req.Token, req.APIKey = t.AccessToken, true
	case "none":
	default:
		return cmdutil.UsageErrorf("--token %q is not client, user, piis or none", o.Token)
	}
	return nil
}

// writeBody writes the bank's body for the terminal too: JSON keeps its
// value with every control character a JSON escape, anything else shows
// them escaped.
func writeBody(w io.Writer, body []byte) {
	var pretty bytes.Buffer
	if termsafe.IndentJSON(&pretty, body, "  ", maxPretty) {
		pretty.WriteByte('\n')
		_, _ = w.Write(termsafe.JSON(pretty.Bytes()))
	} else if json.Valid(body) {
		// Nested too deep to indent within maxPretty: as it came.
		_, _ = w.Write(append(termsafe.JSON(body), '\n'))
	} else {
		_, _ = w.Write([]byte(termsafe.Text(string(body))))
	}
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
