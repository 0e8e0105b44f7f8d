// Package proxy implements `xs2a proxy`: a loopback HTTP proxy that sends
// every request on to the ASPSP over mutual TLS, signed.
package proxy

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"github.com/xs2a-dev/xs2a/cmd/xs2a/internal/cmdutil"
	"github.com/xs2a-dev/xs2a/pkg/iostreams"
	"github.com/xs2a-dev/xs2a/pkg/signproxy"
)

// ProxyOptions are the flags of `xs2a proxy` and what it uses.
type ProxyOptions struct {
	IO          *iostreams.IOStreams
	Session     func() (*cmdutil.Session, error)
	Now         func() time.Time
	Listen      string
	InjectAuth  bool
	AllowRemote bool
	CORSOrigins []string
}

// NewCmdProxy builds `xs2a proxy`; runF replaces the run function in
// tests.
func NewCmdProxy(f *cmdutil.Factory, runF func(*ProxyOptions) error) *cobra.Command {
	o := &ProxyOptions{IO: f.IO, Session: f.Session, Now: f.Now}
	cmd := &cobra.Command{
		Use:   "proxy [--listen 127.0.0.1:8080] [--inject-auth] [--cors-origin ORIGIN]...",
		Short: "Serve a plain-HTTP loopback proxy that signs and sends requests over mutual TLS (Postman, Insomnia, browser apps)",
		Long: `Listen on plain HTTP (loopback only unless --allow-remote) and forward every
request to the profile's base_url with the same path and query, over mutual
TLS with the QWAC and signed with the QSealC (X-Request-ID when absent,
Digest, Signature, TPP-Signature-Certificate). Headers are copied except the
hop-by-hop ones and Host; the answer is streamed back unchanged as it
arrives.

A request whose Host is not the proxy's address (DNS rebinding) or that
comes from a web page (an Origin header, or Sec-Fetch-Site cross-site) is
refused with 403. --cors-origin allows a browser app's origin: the proxy
answers its CORS preflights and marks the answers readable by it.

With --inject-auth, a request without Authorization gets the PSU access
token of the profile's state (refreshed when expired) and one without
Consent-ID the state's consent id; consent management (/v1/consents...),
payments (/v1/{payment-service}/...) and funds confirmation
(/v1/funds-confirmations) get the client-credentials token and the API key
instead.

One line per exchange on stderr: method, path, status, Berlin Group code,
X-Request-ID and latency; a 4xx answer's tppMessages texts follow it.
Ctrl-C stops the proxy.`,
		Example: `  xs2a proxy --inject-auth
  curl http://127.0.0.1:8080/v1/card-accounts -H 'PSU-IP-Address: 192.0.2.1'
  xs2a proxy --cors-origin http://localhost:3000   # a browser app served from there`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Listen = cmdutil.ListenAddr(o.Listen, o.AllowRemote)
			if err := checkListen(o.Listen, o.AllowRemote); err != nil {
				return err
			}
			for _, origin := range o.CORSOrigins {
				if _, err := signproxy.ParseOrigin(origin); err != nil {
					return cmdutil.UsageErrorf("--cors-origin: %v", err)
				}
			}
			if runF != nil {
				return runF(o)
			}
			return proxyRun(cmd.Context(), o)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&o.Listen, "listen", "127.0.0.1:8080", "address to listen on (plain HTTP; loopback only unless --allow-remote; a port alone or :PORT is on 127.0.0.1; port 0 picks a free one)")
	fl.BoolVar(&o.InjectAuth, "inject-auth", false, "add the state's token (and Consent-ID; the client token and API key for consents, payments, funds) when the request has none")
	fl.BoolVar(&o.AllowRemote, "allow-remote", false, "allow a --listen address other than loopback, and any Host (anyone who reaches it uses your certificates)")
	fl.StringArrayVar(&o.CORSOrigins, "cors-origin", nil, "allow this browser `ORIGIN` (scheme://host[:port]; repeatable): CORS preflights answered, answers readable")
	return cmd
}

func checkListen(addr string, allowRemote bool) error {
	return cmdutil.CheckListen("--listen", addr, allowRemote, "the proxy uses the TPP's certificates for anyone who reaches it", "127.0.0.1:8080")
}

// proxy holds what the --inject-auth hook needs.
type proxy struct {
	s     *cmdutil.Session
	tokMu sync.Mutex // one token refresh at a time
}

func proxyRun(ctx context.Context, o *ProxyOptions) error {
	if ctx == nil {
		ctx = context.Background()
	}
	s, err := o.Session()
	if err != nil {
		return err
	}
	errOut := o.IO.ErrOut
	if o.AllowRemote {
		fmt.Fprintf(errOut, "warning: --allow-remote: anyone who can reach %s can call the ASPSP with the TPP's certificates", o.Listen)
		if o.InjectAuth {
			fmt.Fprint(errOut, " and the PSU's token")
		}
		fmt.Fprintln(errOut)
	}
	ln, err := net.Listen("tcp", o.Listen)
	if err != nil {
		if inUse := cmdutil.AddrInUse(err, cmdutil.ListenFlag{Flag: "--listen", Addr: o.Listen}); inUse != nil {
			return inUse
		}
		return cmdutil.UsageErrorf("--listen %s: %v", o.Listen, err)
	}
	defer ln.Close()
	p := &proxy{s: s}
	cfg := signproxy.Config{Client: s.Signed, BaseURL: s.Config.Profile.BaseURL, Log: errOut, Now: o.Now,
		Addr: ln.Addr().String(), AllowRemote: o.AllowRemote, CORSOrigins: o.CORSOrigins}
	if h := s.API.APIKeyHeader; h != "" {
		cfg.SecretHeaders = []string{h}
	}
	if o.InjectAuth {
		cfg.Inject = p.inject
	}
	h, err := signproxy.New(cfg)
	if err != nil {
		return cmdutil.UsageError(err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	extra := ""
	if o.InjectAuth {
		extra = " (adding the state's token when a request has none)"
	}
	if len(o.CORSOrigins) > 0 {
		extra += "; browser apps allowed from " + strings.Join(o.CORSOrigins, ", ")
	}
	fmt.Fprintf(errOut, "proxying http://%s -> %s%s; one line per request below. Ctrl-C stops.\n", ln.Addr(), strings.TrimRight(s.Config.Profile.BaseURL, "/"), extra)
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

// inject adds the token (and Consent-ID or API key) the request lacks.
func (p *proxy) inject(ctx context.Context, out *http.Request) error {
	p.tokMu.Lock()
	defer p.tokMu.Unlock()
	return p.s.InjectAuth(ctx, out)
}
