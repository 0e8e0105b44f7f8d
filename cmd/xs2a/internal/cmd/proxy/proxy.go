// Package proxy implements `xs2a proxy`: a loopback HTTP proxy that sends
// every request on to the ASPSP over mutual TLS, signed.
package proxy

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/spf13/cobra"
	"github.com/xs2a-dev/xs2a/cmd/xs2a/internal/cmd/token"
	"github.com/xs2a-dev/xs2a/cmd/xs2a/internal/cmdutil"
)

const (
	maxRequestBody = 10 << 20 // larger requests get 413
	maxSniff       = 1 << 20  // answers up to this size are buffered to find the Berlin Group code
)

// hopByHop are the headers that belong to one connection, not to the exchange.
var hopByHop = []string{"Connection", "Keep-Alive", "Proxy-Authenticate", "Proxy-Authorization", "Proxy-Connection",
	"TE", "Trailer", "Transfer-Encoding", "Upgrade"}

// Options are the flags of `xs2a proxy`.
type Options struct {
	F           *cmdutil.Factory
	Listen      string
	InjectAuth  bool
	AllowRemote bool
}

// NewCmdProxy builds `xs2a proxy`.
func NewCmdProxy(f *cmdutil.Factory) *cobra.Command {
	o := &Options{F: f}
	cmd := &cobra.Command{
		Use:   "proxy [--listen 127.0.0.1:8080] [--inject-auth]",
		Short: "Serve a plain-HTTP loopback proxy that signs and sends requests over mutual TLS (Postman, Insomnia, browser apps)",
		Long: `Listen on plain HTTP (loopback only unless --allow-remote) and forward every
request to the profile's base_url with the same path and query, over mutual
TLS with the QWAC and signed with the QSealC (X-Request-ID when absent,
Digest, Signature, TPP-Signature-Certificate). Headers are copied except the
hop-by-hop ones and Host; the answer comes back unchanged.

With --inject-auth, a request without Authorization gets the PSU access
token of the profile's state (refreshed when expired) and one without
Consent-ID the state's consent id; consent management (/v1/consents...) gets
the client-credentials token and the API key instead.

One line per exchange on stderr: method, path, status, Berlin Group code,
X-Request-ID and latency; a 4xx answer's tppMessages texts follow it.
Ctrl-C stops the proxy.`,
		Example: `  xs2a proxy --inject-auth
  curl http://127.0.0.1:8080/v1/card-accounts -H 'PSU-IP-Address: 192.0.2.1'`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkListen(o.Listen, o.AllowRemote); err != nil {
				return err
			}
			return run(cmd.Context(), o)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&o.Listen, "listen", "127.0.0.1:8080", "address to listen on (plain HTTP; loopback only unless --allow-remote)")
	fl.BoolVar(&o.InjectAuth, "inject-auth", false, "add the state's token (and Consent-ID, or API key for consent management) when the request has none")
	fl.BoolVar(&o.AllowRemote, "allow-remote", false, "allow a --listen address other than loopback (anyone who reaches it uses your certificates)")
	return cmd
}

func checkListen(addr string, allowRemote bool) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return cmdutil.UsageErrorf("--listen %q: %v (want host:port, e.g. 127.0.0.1:8080)", addr, err)
	}
	if allowRemote {
		return nil
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return cmdutil.UsageErrorf("--listen %q is not a loopback address: the proxy uses the TPP's certificates for anyone who reaches it; use 127.0.0.1 or [::1], or give --allow-remote", addr)
	}
	return nil
}

type proxy struct {
	o      *Options
	s      *cmdutil.Session
	client *http.Client
	base   string
	logMu  sync.Mutex
	tokMu  sync.Mutex // one token refresh at a time
}

func run(ctx context.Context, o *Options) error {
	if ctx == nil {
		ctx = context.Background()
	}
	s, err := o.F.Session()
	if err != nil {
		return err
	}
	errOut := o.F.IO.ErrOut
	if o.AllowRemote {
		fmt.Fprintf(errOut, "warning: --allow-remote: anyone who can reach %s can call the ASPSP with the TPP's certificates", o.Listen)
		if o.InjectAuth {
			fmt.Fprint(errOut, " and the PSU's token")
		}
		fmt.Fprintln(errOut)
	}
	c := *s.Signed
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	p := &proxy{o: o, s: s, client: &c, base: strings.TrimRight(s.Config.Profile.BaseURL, "/")}

	ln, err := net.Listen("tcp", o.Listen)
	if err != nil {
		return cmdutil.UsageErrorf("--listen %s: %v", o.Listen, err)
	}
	srv := &http.Server{Handler: p, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	auth := ""
	if o.InjectAuth {
		auth = " (adding the state's token when a request has none)"
	}
	fmt.Fprintf(errOut, "proxying http://%s -> %s%s; one line per request below. Ctrl-C stops.\n", ln.Addr(), p.base, auth)
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	fmt.Fprintln(errOut, "stopping")
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		srv.Close()
	}
	return nil
}

func (p *proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxRequestBody))
	if err != nil {
		var mb *http.MaxBytesError
		if errors.As(err, &mb) {
			p.fail(w, r, start, http.StatusRequestEntityTooLarge, "", fmt.Sprintf("request body larger than %d bytes", int64(maxRequestBody)))
			return
		}
		p.fail(w, r, start, http.StatusBadRequest, "", "reading the request body: "+err.Error())
		return
	}
	target := p.base + r.URL.EscapedPath()
	if r.URL.RawQuery != "" {
		target += "?" + r.URL.RawQuery
	}
	var rd io.Reader = http.NoBody
	if len(body) > 0 {
		rd = bytes.NewReader(body)
	}
	out, err := http.NewRequestWithContext(r.Context(), r.Method, target, rd)
	if err != nil {
		p.fail(w, r, start, http.StatusBadRequest, "", err.Error())
		return
	}
	for k, vs := range r.Header {
		out.Header[k] = append([]string(nil), vs...)
	}
	removeHopByHop(out.Header)
	out.Header.Del("Host")
	rid := out.Header.Get("X-Request-ID")
	if rid == "" {
		rid = uuid.NewString()
		out.Header.Set("X-Request-ID", rid)
	}
	if p.o.InjectAuth {
		if err := p.inject(r.Context(), out); err != nil {
			p.fail(w, r, start, http.StatusUnauthorized, rid, err.Error())
			return
		}
	}
	resp, err := p.client.Do(out)
	if err != nil {
		p.fail(w, r, start, http.StatusBadGateway, rid, err.Error())
		return
	}
	defer resp.Body.Close()
	// Buffer a small answer to find its Berlin Group code; stream the rest.
	head, _ := io.ReadAll(io.LimitReader(resp.Body, maxSniff+1))
	h := w.Header()
	for k, vs := range resp.Header {
		h[k] = append([]string(nil), vs...)
	}
	removeHopByHop(h)
	w.WriteHeader(resp.StatusCode)
	_, _ = w.Write(head)
	if len(head) > maxSniff {
		_, _ = io.Copy(w, resp.Body)
	}
	if v := resp.Header.Get("X-Request-ID"); v != "" {
		rid = v
	}
	code, texts := "", []string(nil)
	if len(head) <= maxSniff {
		code, texts = berlinGroup(head)
	}
	if resp.StatusCode < 400 || resp.StatusCode >= 500 {
		texts = nil
	}
	p.log(r, resp.StatusCode, code, rid, time.Since(start), texts)
}

// inject adds the token (and Consent-ID or API key) the request lacks.
func (p *proxy) inject(ctx context.Context, out *http.Request) error {
	p.tokMu.Lock()
	defer p.tokMu.Unlock()
	return token.InjectAuth(ctx, p.s, out)
}

func removeHopByHop(h http.Header) {
	for _, f := range h.Values("Connection") {
		for _, name := range strings.Split(f, ",") {
			if name = strings.TrimSpace(name); name != "" {
				h.Del(name)
			}
		}
	}
	for _, name := range hopByHop {
		h.Del(name)
	}
}

// berlinGroup finds the first tppMessages code and all texts of an answer.
func berlinGroup(body []byte) (string, []string) {
	var e struct {
		TPPMessages []struct {
			Code, Path, Text string
		} `json:"tppMessages"`
	}
	if len(body) == 0 || json.Unmarshal(body, &e) != nil || len(e.TPPMessages) == 0 {
		return "", nil
	}
	var texts []string
	for _, m := range e.TPPMessages {
		if m.Text == "" {
			continue
		}
		t := m.Code + ": " + m.Text
		if m.Path != "" {
			t = m.Code + " [" + m.Path + "]: " + m.Text
		}
		texts = append(texts, t)
	}
	return e.TPPMessages[0].Code, texts
}

// fail answers an exchange the proxy could not complete itself.
func (p *proxy) fail(w http.ResponseWriter, r *http.Request, start time.Time, status int, rid, msg string) {
	msg = strings.Join(strings.Fields(msg), " ")
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(status)
	fmt.Fprintf(w, "xs2a proxy: %s\n", msg)
	p.log(r, status, "", rid, time.Since(start), []string{"proxy: " + msg})
}

func (p *proxy) log(r *http.Request, status int, code, rid string, d time.Duration, texts []string) {
	if code == "" {
		code = "-"
	}
	if rid == "" {
		rid = "-"
	}
	p.logMu.Lock()
	defer p.logMu.Unlock()
	w := p.o.F.IO.ErrOut
	fmt.Fprintf(w, "%s %s %d %s X-Request-ID %s %s\n", r.Method, r.URL.Path, status, code, rid, d.Round(time.Millisecond))
	for _, t := range texts {
		fmt.Fprintf(w, "  %s\n", strings.Join(strings.Fields(t), " "))
	}
}
