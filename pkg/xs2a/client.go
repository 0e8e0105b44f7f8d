// Package xs2a is a client for Berlin Group NextGenPSD2 Account Information
// APIs: consents, card accounts and payment accounts, over the signed
// mutual-TLS http.Client the caller builds (pkg/httpsig's Transport over a
// QWAC transport). It keeps under the bank's rate with a client-side
// limiter, honours 429 Retry-After a bounded number of times, and turns
// error answers into *APIError.
package xs2a

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/xs2a-dev/xs2a/pkg/httplog"
	"github.com/xs2a-dev/xs2a/pkg/origin"
	"github.com/xs2a-dev/xs2a/pkg/termsafe"
	"golang.org/x/time/rate"
)

// MaxAnswerBytes bounds one answer the client reads (after any transport
// decoding), MaxReportBytes all the pages of one transaction report: a
// bank, or anyone in its place, cannot make xs2a hold more.
const (
	MaxAnswerBytes = 16 << 20
	MaxReportBytes = 64 << 20
)

// Client calls one ASPSP's XS2A API.
type Client struct {
	HTTP    *http.Client // signed, mutual TLS
	BaseURL string       // e.g. https://api.bank.example (without /v1)
	Version string       // "v1" when empty
	// APIKey travels in APIKeyHeader (default X-API-Key) on consent calls.
	APIKey, APIKeyHeader string
	// PSUIPAddress, when set, is sent on account calls: the PSU is present
	// and the call does not count against frequencyPerDay. POST /v1/consents
	// always carries one (the file makes it mandatory there): this, else
	// the local address of the connection (LocalAddr).
	PSUIPAddress string
	// LocalAddr finds the address the TPP's requests to target leave from,
	// the file's fallback for PSU-IP-Address ("If not available, the TPP
	// shall use the IP Address used by the TPP when submitting this
	// request"); nil: RouteLocalAddr.
	LocalAddr func(ctx context.Context, target *url.URL) (netip.Addr, error)
	// OnLocalPSUIP hears the fallback address each time it is used (the
	// command line says so once).
	OnLocalPSUIP func(addr netip.Addr)
	// Origins is where a link the ASPSP hands back (Request.Path absolute,
	// e.g. paging) may point; nil: base_url's origin only.
	Origins    *origin.Policy
	Limiter    *rate.Limiter // nil: 4.5 requests a second, burst 5 (under the bank's 5)
	MaxRetries int           // on 429; 0 means 2, negative none
	MaxWait    time.Duration // longest Retry-After honoured; 0 means 10 s
	Sleep      func(context.Context, time.Duration) error
}

func (c *Client) limiter() *rate.Limiter {
	if c.Limiter == nil {
		// A little under the documented 5 a second: at exactly the bank's
		// rate, clock skew turns every sixth call into a 429 and a
		// whole-second Retry-After.
		c.Limiter = rate.NewLimiter(4.5, 5)
	}
	return c.Limiter
}

func (c *Client) url(path string) string {
	v := c.Version
	if v == "" {
		v = "v1"
	}
	return strings.TrimRight(c.BaseURL, "/") + "/" + v + path
}

// resolve checks a link from the ASPSP against Origins.
func (c *Client) resolve(what, link string) (*url.URL, error) {
	pol := c.Origins
	if pol == nil {
		var err error
		if pol, err = origin.New(c.BaseURL, ""); err != nil {
			return nil, err
		}
	}
	return pol.Resolve(what, link)
}

// Response is a raw answer, for `xs2a api`.
type Response struct {
	Status    int
	Header    http.Header
	Body      []byte
	RequestID string
	// PSUIPAddress is the PSU-IP-Address the request carried, if any.
	PSUIPAddress string
	// Path is the URL path the request went to.
	Path string
}

// Error is the answer as an *APIError, with the secrets the request
// carried hidden in it: a bank that quotes the request in its error
// ("token ... is not known") must not put the PSU's token or the API key in
// the line.
func (r *Response) Error(secrets ...string) *APIError {
	body := []byte(httplog.Hide(string(r.Body), secrets...))
	e := ParseError(r.Status, firstNonEmpty(r.Header.Get("X-Request-ID"), r.RequestID), body)
	e.Path, e.RetryAfter, e.Rejection = r.Path, r.Header.Get("Retry-After"), r.Header.Get(SandboxRejectionHeader)
	return e
}

// Request describes one call.
type Request struct {
	Method    string
	Path      string // after /v1, e.g. /consents
	Query     url.Values
	Token     string // bearer
	ConsentID string
	Body      []byte
	APIKey    bool // send the API key
	PSUIP     bool // send PSU-IP-Address when configured
	// PSUIPRequired: PSU-IP-Address is mandatory on this call; without a
	// configured one the local address of the connection goes.
	PSUIPRequired bool
	Header        http.Header
}

// Do sends a request with X-Request-ID, the bearer token, Consent-ID and
// the API key as asked, retrying on 429 within the limits.
func (c *Client) Do(ctx context.Context, r Request) (*Response, error) {
	u, err := c.target(r)
	if err != nil {
		return nil, err
	}
	retries := c.MaxRetries
	if retries == 0 {
		retries = 2
	}
	maxWait := c.MaxWait
	if maxWait == 0 {
		maxWait = 10 * time.Second
	}
	sleep := c.Sleep
	if sleep == nil {
		sleep = sleepCtx
	}
	for attempt := 0; ; attempt++ {
		if err := c.limiter().Wait(ctx); err != nil {
			if _, ok := ctx.Deadline(); ok && ctx.Err() == nil {
				// The limiter refuses a wait that would end past the
				// deadline, before the deadline: that is the deadline.
				return nil, fmt.Errorf("%w (%v)", context.DeadlineExceeded, err)
			}
			return nil, err
		}
		req, err := c.newRequest(ctx, r, u)
		if err != nil {
			return nil, err
		}
		out, err := c.send(req, r)
		if err != nil {
			return nil, err
		}
		// A 429 with no time to wait on an account call without the PSU is
		// the consent's frequencyPerDay used up: a retry cannot pass before
		// the bank's midnight and would only spend the TPP's daily requests.
		spent := out.Header.Get("Retry-After") == "" && r.ConsentID != "" && out.PSUIPAddress == ""
		if out.Status == http.StatusTooManyRequests && attempt < retries && retries > 0 && !spent {
			wait := retryAfter(out.Header.Get("Retry-After"))
			if wait <= maxWait {
				if err := sleep(ctx, wait); err != nil {
					return nil, err
				}
				continue
			}
		}
		return out, nil
	}
}

// sleepCtx waits d, or until ctx is done.
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// target is the URL r calls: its path under the base and version, a link
// that already carries the version, or an absolute link from the ASPSP on
// an origin the profile names; then the query.
func (c *Client) target(r Request) (string, error) {
	if err := dotSegments(r.Path); err != nil {
		return "", err
	}
	u := c.url(r.Path)
	if !strings.HasPrefix(r.Path, "/") || strings.HasPrefix(r.Path, "//") {
		// An absolute link from the ASPSP (paging): followed, with the
		// PSU's token, only on an origin the profile names.
		link, err := c.resolve("link", r.Path)
		if err != nil {
			return "", err
		}
		u = link.String()
	} else if isVersion(r.Path) {
		u = strings.TrimRight(c.BaseURL, "/") + r.Path // a link already carrying the version
	}
	if len(r.Query) > 0 {
		u += "?" + r.Query.Encode()
	}
	return u, nil
}

// dotSegments refuses a path whose segment is "." or "..": the ids in
// xs2a's paths are the bank's (consents, accounts, transactions,
// payments, authorisations), escaped into one segment each, but a dot
// segment survives escaping and is removed on the way (RFC 3986 §5.2.4),
// so GET /consents/.. would read /consents, DELETE .../{id} delete another
// resource. One rule here for every path the client builds (CheckPaymentID
// says it earlier for payments, before any command runs).
func dotSegments(path string) error {
	p, _, _ := strings.Cut(path, "?")
	for _, seg := range strings.Split(p, "/") {
		if seg == "." || seg == ".." {
			return fmt.Errorf("%s: an id %q cannot be a path segment: a URL's dot segments are removed on the way (RFC 3986 §5.2.4), so the request would go to another resource; nothing was sent", termsafe.Line(path), seg)
		}
	}
	return nil
}

// newRequest is one attempt at r: a fresh request (a retry is a new
// request, with a new X-Request-ID unless r names one) with the headers r
// asks for.
func (c *Client) newRequest(ctx context.Context, r Request, u string) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, r.Method, u, bytes.NewReader(r.Body))
	if err != nil {
		return nil, err
	}
	if r.Body == nil {
		req.Body, req.GetBody, req.ContentLength = http.NoBody, nil, 0
	}
	for k, vs := range r.Header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	if req.Header.Get("X-Request-ID") == "" {
		req.Header.Set("X-Request-ID", uuid.NewString())
	}
	req.Header.Set("Accept", "application/json")
	if r.Body != nil && req.Header.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if r.Token != "" {
		req.Header.Set("Authorization", "Bearer "+r.Token)
	}
	if r.ConsentID != "" {
		req.Header.Set("Consent-ID", r.ConsentID)
	}
	if r.APIKey && c.APIKey != "" {
		h := c.APIKeyHeader
		if h == "" {
			h = "X-API-Key"
		}
		req.Header.Set(h, c.APIKey)
	}
	if err := c.setPSUIP(ctx, r, req); err != nil {
		return nil, err
	}
	return req, nil
}

// setPSUIP sends the configured PSU-IP-Address where r asks for it; where
// the call requires one and none is configured or given, the local address
// of the connection goes.
func (c *Client) setPSUIP(ctx context.Context, r Request, req *http.Request) error {
	if (r.PSUIP || r.PSUIPRequired) && c.PSUIPAddress != "" {
		req.Header.Set("PSU-IP-Address", c.PSUIPAddress)
		return nil
	}
	if !r.PSUIPRequired || req.Header.Get("PSU-IP-Address") != "" {
		return nil
	}
	find := c.LocalAddr
	if find == nil {
		find = RouteLocalAddr
	}
	addr, err := find(ctx, req.URL)
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		// The bank's host has no address: the request could not go either,
		// and that, not the header, is what to fix.
		return fmt.Errorf("%s %s: %w", r.Method, termsafe.Line(r.Path), err)
	}
	if err != nil {
		return fmt.Errorf("PSU-IP-Address is mandatory on %s %s and the local address of the connection is unknown (%v): set psu_ip_address or --psu-ip", r.Method, termsafe.Line(r.Path), err)
	}
	req.Header.Set("PSU-IP-Address", addr.String())
	if c.OnLocalPSUIP != nil {
		c.OnLocalPSUIP(addr)
	}
	return nil
}

// send makes one attempt and reads the whole answer, refusing a redirect
// and an answer over MaxAnswerBytes.
func (c *Client) send(req *http.Request, r Request) (*Response, error) {
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return nil, err
	}
	if err := origin.Redirected(resp); err != nil {
		resp.Body.Close()
		// Never followed: the token and API key would go along.
		return nil, fmt.Errorf("%s %s %w", r.Method, termsafe.Line(r.Path), err)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxAnswerBytes+1))
	resp.Body.Close()
	if err != nil {
		return nil, fmt.Errorf("reading the answer to %s %s: %w", r.Method, termsafe.Line(r.Path), err)
	}
	if len(body) > MaxAnswerBytes {
		// Said, not cut silently: a cut answer would only fail later as
		// "not the expected JSON", hiding why.
		return nil, fmt.Errorf("the answer to %s %s is larger than %d MiB; xs2a reads no more (narrow the request, e.g. dateFrom/dateTo)", r.Method, termsafe.Line(r.Path), MaxAnswerBytes>>20)
	}
	return &Response{Status: resp.StatusCode, Header: resp.Header, Body: body,
		RequestID: req.Header.Get("X-Request-ID"), PSUIPAddress: req.Header.Get("PSU-IP-Address"), Path: req.URL.Path}, nil
}

// RouteLocalAddr is the address a connection to target leaves from, as the
// system's routing chooses it: a UDP "connection" to the host's port sends
// nothing, yet binds the local address the TCP connection of the request
// gets (the same route; a proxy between is not seen).
func RouteLocalAddr(ctx context.Context, target *url.URL) (netip.Addr, error) {
	port := target.Port()
	if port == "" {
		port = "443"
		if target.Scheme == "http" {
			port = "80"
		}
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "udp", net.JoinHostPort(target.Hostname(), port))
	if err != nil {
		return netip.Addr{}, err
	}
	defer conn.Close()
	ap, err := netip.ParseAddrPort(conn.LocalAddr().String())
	if err != nil {
		return netip.Addr{}, err
	}
	return ap.Addr().Unmap(), nil
}

// isVersion reports a path that starts with its API version ("/v1/..."), as
// the ASPSP's _links do.
func isVersion(p string) bool {
	if !strings.HasPrefix(p, "/v") {
		return false
	}
	seg := strings.SplitN(strings.TrimPrefix(p, "/"), "/", 2)[0]
	_, err := strconv.Atoi(strings.TrimPrefix(seg, "v"))
	return err == nil && len(seg) > 1
}

// retryAfter reads seconds or an HTTP date; a missing value means one second.
func retryAfter(v string) time.Duration {
	if v == "" {
		return time.Second
	}
	if n, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && n >= 0 {
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := time.Until(t); d > 0 {
			return d
		}
		return 0
	}
	return time.Second
}

// call does a request and decodes a successful JSON answer into out.
func (c *Client) call(ctx context.Context, r Request, want int, out any) (*Response, error) {
	resp, err := c.Do(ctx, r)
	if err != nil {
		return nil, err
	}
	if resp.Status != want {
		return resp, resp.Error(r.Token, c.APIKey)
	}
	if out != nil && len(resp.Body) > 0 {
		if err := json.Unmarshal(resp.Body, out); err != nil {
			return resp, fmt.Errorf("the answer to %s %s is not the expected JSON: %v", r.Method, r.Path, err)
		}
		if dst, ok := ctx.Value(answerKey{}).(*json.RawMessage); ok {
			*dst = resp.Body
		}
	}
	return resp, nil
}

type answerKey struct{}

// KeepAnswer returns a context under which a call that decodes one answer
// (a consent, an account list, an account, balances, a transaction's
// details) also keeps that answer's body in *dst, as the bank wrote it:
// for a command that prints the bank's body beside what it read from it.
// The pages of a transaction report are not kept (they are merged).
func KeepAnswer(ctx context.Context, dst *json.RawMessage) context.Context {
	return context.WithValue(ctx, answerKey{}, dst)
}

func firstNonEmpty(v ...string) string {
	for _, s := range v {
		if s != "" {
			return s
		}
	}
	return ""
}
