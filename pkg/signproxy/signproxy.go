// Package signproxy is the core of `xs2a proxy`: an http.Handler that takes
// plain-HTTP requests from API tools and browser apps on loopback and sends
// each on to the ASPSP through a client that signs it and presents the QWAC,
// streaming the answer back unchanged.
//
// The proxy lends the TPP's certificates (and, with an Inject hook, the
// PSU's token) to whoever reaches it, and browsers are the way in: a web
// page can make the browser send requests to 127.0.0.1. So the handler
// refuses a Host other than its own (DNS rebinding), an Origin not allowed
// explicitly (cross-site requests) and cross-site subresource loads, and
// answers CORS only for the origins it was given.
package signproxy

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/xs2a-dev/xs2a/pkg/budget"
	"github.com/xs2a-dev/xs2a/pkg/httplog"
	"github.com/xs2a-dev/xs2a/pkg/termsafe"
	"github.com/xs2a-dev/xs2a/pkg/text"
	"github.com/xs2a-dev/xs2a/pkg/xs2a"
)

const (
	// DefaultMaxBody bounds a request body: the whole body is read before
	// sending, because the Digest covers it.
	DefaultMaxBody = 10 << 20
	// maxTee is how much of an error answer is kept aside to find its
	// Berlin Group code; error bodies are a few hundred bytes.
	maxTee = 256 << 10
)

// Config is what the proxy works with.
type Config struct {
	// Client signs and sends: the session's httpsig.Transport over the
	// mutual-TLS transport. The proxy copies it and does not follow
	// redirects, so a 3xx reaches the caller as the ASPSP sent it.
	Client *http.Client
	// BaseURL is the ASPSP's base; the request's path and query are appended.
	BaseURL string
	// Inject, when set, runs on the outgoing request before it is signed,
	// to add what it lacks (a bearer token, Consent-ID). Its error answers
	// 401 without anything being sent.
	Inject func(ctx context.Context, r *http.Request) error
	// SecretHeaders name the headers, besides Authorization, X-API-Key and
	// cookies, whose values the log hides when a bank quotes them back
	// (the profile's api_key_header).
	SecretHeaders []string
	// Log receives one line per exchange (and the texts of a 4xx); nil
	// discards.
	Log io.Writer
	// Now is the clock of the latency in the log; nil is time.Now.
	Now func() time.Time
	// Addr is the address the proxy listens on, with the port chosen
	// (listener.Addr().String()). A request must name it as Host, or
	// localhost, 127.0.0.1 or [::1] with its port: a page whose name a DNS
	// rebinding pointed at 127.0.0.1 names its own.
	Addr string
	// AllowRemote accepts any Host (the proxy listens beyond loopback).
	AllowRemote bool
	// CORSOrigins are the browser origins (scheme://host[:port]) allowed
	// to call the proxy; any other Origin is refused.
	CORSOrigins []string
	// MaxBody bounds request bodies (413 beyond); 0 is DefaultMaxBody.
	MaxBody int64
}

// Proxy is the handler. It is safe for concurrent use.
type Proxy struct {
	client  *http.Client
	base    string
	inject  func(context.Context, *http.Request) error
	log     io.Writer
	now     func() time.Time
	maxBody int64
	hosts   map[string]bool // acceptable Host values; nil accepts any
	origins map[string]bool
	secret  []string // SecretHeaders
	logMu   sync.Mutex
}

// New checks the configuration and builds the handler.
func New(c Config) (*Proxy, error) {
	if c.Client == nil {
		return nil, errors.New("signproxy: no client")
	}
	if c.BaseURL == "" {
		return nil, errors.New("signproxy: no base URL")
	}
	cl := *c.Client
	cl.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	p := &Proxy{client: &cl, base: strings.TrimRight(c.BaseURL, "/"), inject: c.Inject, log: c.Log, now: c.Now,
		maxBody: c.MaxBody, origins: map[string]bool{}, secret: c.SecretHeaders}
	if p.log == nil {
		p.log = io.Discard
	}
	if p.now == nil {
		p.now = time.Now
	}
	if p.maxBody <= 0 {
		p.maxBody = DefaultMaxBody
	}
	if !c.AllowRemote {
		hosts, err := allowedHosts(c.Addr)
		if err != nil {
			return nil, err
		}
		p.hosts = hosts
	}
	for _, o := range c.CORSOrigins {
		n, err := ParseOrigin(o)
		if err != nil {
			return nil, err
		}
		p.origins[n] = true
	}
	return p, nil
}

// hopByHop are the headers that belong to one connection, not to the exchange.
var hopByHop = []string{"Connection", "Keep-Alive", "Proxy-Authenticate", "Proxy-Authorization", "Proxy-Connection",
	"TE", "Trailer", "Transfer-Encoding", "Upgrade"}

func removeHopByHop(h http.Header) {
	for _, f := range h["Connection"] {
		for _, name := range strings.Split(f, ",") {
			if name = strings.TrimSpace(name); name != "" {
				h.Del(name)
			}
		}
	}
	for _, name := range hopByHop {
		delete(h, name)
	}
}

// ServeHTTP checks the request, forwards it and streams the answer back.
func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	x := &exchange{p: p, w: w, r: r, start: p.now()}
	if !x.guard() {
		return
	}
	out, ok := x.upstreamRequest()
	if !ok {
		return
	}
	resp, ok := x.forward(out)
	if !ok {
		return
	}
	defer resp.Body.Close()
	x.copyAnswer(resp, out.Header)
}

// exchange is one request through the proxy: what its answer and its log
// line are made from, filled in as the request goes along.
type exchange struct {
	p      *Proxy
	w      http.ResponseWriter
	r      *http.Request
	start  time.Time
	origin string // the caller's allowed browser origin, "" for none
	rid    string // X-Request-ID, once the request has one
}

// guard refuses a foreign Host or Origin and answers a CORS preflight; it
// reports whether the request goes on.
func (x *exchange) guard() bool {
	if msg := x.p.checkHost(x.r.Host); msg != "" {
		x.fail(http.StatusForbidden, msg)
		return false
	}
	origin, msg := x.p.checkOrigin(x.r.Header)
	if msg != "" {
		x.fail(http.StatusForbidden, msg)
		return false
	}
	x.origin = origin
	if origin != "" && x.r.Method == http.MethodOptions && x.r.Header.Get("Access-Control-Request-Method") != "" {
		preflight(x.w.Header(), x.r.Header, origin)
		x.w.WriteHeader(http.StatusNoContent)
		x.log(http.StatusNoContent, "", nil)
		return false
	}
	return true
}

// upstreamRequest is the request to send the ASPSP: the caller's method,
// path, query, headers (hop-by-hop ones removed) and whole body, with an
// X-Request-ID and what Inject adds. It answers the caller itself, and
// returns false, when there is none.
func (x *exchange) upstreamRequest() (*http.Request, bool) {
	r := x.r
	if !strings.HasPrefix(r.URL.Path, "/") {
		// "GET *" and the like: appended to the base URL it would
		// name another host.
		x.fail(http.StatusBadRequest, fmt.Sprintf("request target %q is not a path", text.Clip(r.RequestURI, 80)))
		return nil, false
	}
	var body io.Reader = http.NoBody
	if r.Body != nil && r.Body != http.NoBody {
		b, err := io.ReadAll(http.MaxBytesReader(x.w, r.Body, x.p.maxBody))
		if err != nil {
			var mb *http.MaxBytesError
			if errors.As(err, &mb) {
				x.fail(http.StatusRequestEntityTooLarge, fmt.Sprintf("request body larger than %d bytes", x.p.maxBody))
				return nil, false
			}
			x.fail(http.StatusBadRequest, "reading the request body: "+err.Error())
			return nil, false
		}
		if len(b) > 0 {
			body = bytes.NewReader(b)
		}
	}
	target := x.p.base + r.URL.EscapedPath()
	if r.URL.RawQuery != "" {
		target += "?" + r.URL.RawQuery
	}
	out, err := http.NewRequestWithContext(r.Context(), r.Method, target, body)
	if err != nil {
		x.fail(http.StatusBadRequest, err.Error())
		return nil, false
	}
	out.Header = r.Header.Clone()
	removeHopByHop(out.Header)
	x.rid = out.Header.Get("X-Request-ID")
	if x.rid == "" {
		x.rid = uuid.NewString()
		out.Header.Set("X-Request-ID", x.rid)
	}
	if x.p.inject != nil {
		if err := x.p.inject(r.Context(), out); err != nil {
			x.fail(http.StatusUnauthorized, err.Error())
			return nil, false
		}
	}
	return out, true
}

// forward sends out to the ASPSP. When no answer comes it answers the
// caller 502 (429 for a request refused for its budget) and returns false.
func (x *exchange) forward(out *http.Request) (*http.Response, bool) {
	resp, err := x.p.client.Do(out)
	if err == nil {
		return resp, true
	}
	// The client's error names the URL, query and all: a code or a token
	// there must not reach the log.
	if ue := (*url.Error)(nil); errors.As(err, &ue) {
		ue.URL = httplog.Redactor{}.URL(out.URL)
	}
	if x.r.Context().Err() != nil {
		err = fmt.Errorf("the caller went away before the ASPSP answered: %w", err)
	}
	status := http.StatusBadGateway
	var be *budget.ExceededError
	if errors.As(err, &be) {
		// Refused here for its budget (--strict-budget): the app sees the
		// status the bank would have answered, and why.
		status, err = http.StatusTooManyRequests, be
	}
	x.fail(status, err.Error())
	return nil, false
}

// copyAnswer streams the ASPSP's answer to the caller under the proxy's own
// CORS headers, then logs it with the Berlin Group code and texts of a 4xx,
// the credentials sent (sent is the request's header) hidden.
func (x *exchange) copyAnswer(resp *http.Response, sent http.Header) {
	h := x.w.Header()
	for k, vs := range resp.Header {
		h[k] = vs
	}
	removeHopByHop(h)
	// The proxy is the origin the browser talks to: its CORS answer is the
	// one that counts, not the ASPSP's for its own origin.
	for k := range h {
		if strings.HasPrefix(k, "Access-Control-") {
			delete(h, k)
		}
	}
	if x.origin != "" {
		allowOrigin(h, x.origin)
	}
	if v := resp.Header.Get("X-Request-ID"); v != "" {
		x.rid = v
	}
	// Only an error's prefix is kept aside, for the log line; every byte
	// goes on to the caller as it arrives.
	var tee *bytes.Buffer
	if resp.StatusCode >= 400 && isJSON(resp.Header.Get("Content-Type")) {
		tee = &bytes.Buffer{}
	}
	x.w.WriteHeader(resp.StatusCode)
	n, upErr, downErr := stream(x.w, resp.Body, tee)

	code, texts := "", []string(nil)
	if tee != nil {
		code, texts = berlinGroup(tee.Bytes())
	}
	if resp.StatusCode < 400 || resp.StatusCode >= 500 {
		texts = nil
	}
	// A bank that quotes the request in its error ("Bearer ... is not
	// known") must not put the injected token or the API key in the log.
	creds := credentials(sent, x.p.secret)
	code = httplog.Hide(code, creds...)
	for i := range texts {
		texts[i] = httplog.Hide(texts[i], creds...)
	}
	switch {
	case upErr != nil:
		texts = append(texts, fmt.Sprintf("proxy: the ASPSP's answer broke off after %d bytes: %v", n, upErr))
	case downErr != nil:
		texts = append(texts, fmt.Sprintf("proxy: the caller went away after %d bytes: %v", n, downErr))
	}
	x.log(resp.StatusCode, code, texts)
	if upErr != nil {
		// Ending normally would close a chunked answer as if it were
		// complete; aborting tells the caller it was cut.
		panic(http.ErrAbortHandler)
	}
}

var bufPool = sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}

// credentials are the secret header values of a request as sent (the
// Authorization credentials without their scheme, the API key, cookies),
// for httplog.Hide.
func credentials(h http.Header, secretHeaders []string) []string {
	var out []string
	for name, vs := range h {
		if !(httplog.Redactor{SecretHeaders: secretHeaders}).SecretHeader(name) {
			continue
		}
		for _, v := range vs {
			out = append(out, v)
			if _, cred, ok := strings.Cut(strings.TrimSpace(v), " "); ok {
				out = append(out, strings.TrimSpace(cred))
			}
		}
	}
	return out
}

// stream copies body to w, flushing after every read so that each part
// reaches the caller when the ASPSP sends it, and keeps the first maxTee
// bytes in tee when tee is not nil. upErr is a read error of the answer,
// downErr a write error towards the caller.
func stream(w http.ResponseWriter, body io.Reader, tee *bytes.Buffer) (n int64, upErr, downErr error) {
	bp := bufPool.Get().(*[]byte)
	defer bufPool.Put(bp)
	buf := *bp
	rc := http.NewResponseController(w)
	for {
		nr, er := body.Read(buf)
		if nr > 0 {
			if tee != nil && tee.Len() < maxTee {
				tee.Write(buf[:min(nr, maxTee-tee.Len())])
			}
			nw, ew := w.Write(buf[:nr])
			n += int64(nw)
			if ew != nil {
				return n, nil, ew
			}
			// The last read's data goes out when the handler returns.
			if er == nil {
				if ew := rc.Flush(); ew != nil {
					return n, nil, ew
				}
			}
		}
		if er == io.EOF {
			return n, nil, nil
		}
		if er != nil {
			return n, er, nil
		}
	}
}

func isJSON(contentType string) bool {
	mt, _, _ := strings.Cut(contentType, ";")
	mt = strings.ToLower(strings.TrimSpace(mt))
	return mt == "application/json" || strings.HasSuffix(mt, "+json")
}

// fail answers an exchange the proxy could not complete itself, in the
// Berlin Group error shape an app already parses for the bank's errors
// (tppMessages, application/json): a text/plain answer it could not read.
// The text starts "xs2a proxy:" and the code is the proxy's (failCode), so
// an app can tell this answer from the bank's; an allowed browser app may
// read why.
func (x *exchange) fail(status int, msg string) {
	msg = text.OneLine(msg)
	h := x.w.Header()
	if x.origin != "" {
		allowOrigin(h, x.origin)
	}
	body, _ := json.Marshal(struct {
		TPPMessages []xs2a.TPPMessage `json:"tppMessages"`
	}{[]xs2a.TPPMessage{{Category: "ERROR", Code: failCode(status), Text: "xs2a proxy: " + msg}}})
	h.Set("Content-Type", "application/json")
	h.Set("X-Content-Type-Options", "nosniff")
	x.w.WriteHeader(status)
	_, _ = x.w.Write(append(body, '\n'))
	x.log(status, "", []string{"proxy: " + msg})
}

// failCode is the tppMessages code of the proxy's own answer: the Berlin
// Group's where the bank would answer the same (a malformed request, a
// call beyond the budget), else one of the proxy's, named PROXY_*, so that
// no app takes it for the bank's.
func failCode(status int) string {
	switch status {
	case http.StatusBadRequest, http.StatusRequestEntityTooLarge:
		return "FORMAT_ERROR"
	case http.StatusTooManyRequests:
		return "ACCESS_EXCEEDED"
	case http.StatusForbidden:
		return "PROXY_FORBIDDEN"
	case http.StatusUnauthorized:
		return "PROXY_NO_CREDENTIALS"
	default:
		return "PROXY_BAD_GATEWAY"
	}
}

// log writes the exchange's line, timed from its start.
func (x *exchange) log(status int, code string, texts []string) {
	x.p.line(x.r, status, code, x.rid, x.p.now().Sub(x.start), texts)
}

// line writes the exchange's log line and its texts in one write, so
// concurrent exchanges do not interleave.
func (p *Proxy) line(r *http.Request, status int, code, rid string, d time.Duration, texts []string) {
	if code == "" {
		code = "-"
	}
	if rid == "" {
		rid = "-"
	}
	var b strings.Builder
	// The path is the caller's, the code, id and texts the ASPSP's: each is
	// escaped, so neither can send the terminal escape sequences.
	fmt.Fprintf(&b, "%s %s %d %s X-Request-ID %s %s\n", r.Method, termsafe.Line(r.URL.Path), status, termsafe.Line(code), termsafe.Line(rid), d.Round(time.Millisecond))
	for _, t := range texts {
		fmt.Fprintf(&b, "  %s\n", termsafe.Line(text.OneLine(t)))
	}
	p.logMu.Lock()
	defer p.logMu.Unlock()
	io.WriteString(p.log, b.String())
}
