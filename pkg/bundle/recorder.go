package bundle

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"mime"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/xs2a-dev/xs2a/pkg/atomicfile"
	"github.com/xs2a-dev/xs2a/pkg/httplog"
	"github.com/xs2a-dev/xs2a/pkg/httpmsg"
	"github.com/xs2a-dev/xs2a/pkg/httpsig"
)

// MaxBody is how much of a body a file keeps; the caller always reads all of it.
const MaxBody = 1 << 20

// minSecret is the shortest value hidden wherever it appears: a shorter
// one would match by chance (inside a base64 signature, a date) and make
// the file unreadable; a secret that short is still hidden by its name.
const minSecret = 6

// Recorder writes every exchange sent through its transports to Dir. One
// Recorder serves all clients of a process, so a token learned from the
// token endpoint's answer is hidden in the API exchanges too.
type Recorder struct {
	// Dir receives the files; Prepare creates it.
	Dir string
	// BaseURL is the profile's base_url, written into each API exchange.
	BaseURL string
	// SecretHeaders are header names whose values are secret beyond the
	// built-in ones (the profile's API key header).
	SecretHeaders []string
	// ClientCert is the QWAC the mTLS transport presents.
	ClientCert *x509.Certificate
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// OnError is told when a file cannot be written; the exchange itself
	// goes on. nil ignores it.
	OnError func(error)

	mu      sync.Mutex
	secrets map[string]bool
}

// Prepare creates dir (mode 0700) when missing and checks it is a
// writable directory, so a bad --record fails before anything is sent.
func Prepare(dir string) error {
	if dir == "" {
		return errors.New("no directory given")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	st, err := os.Stat(dir)
	if err != nil {
		return err
	}
	if !st.IsDir() {
		return fmt.Errorf("%s is not a directory", dir)
	}
	f, err := os.CreateTemp(dir, ".probe-*")
	if err != nil {
		return err
	}
	name := f.Name()
	_ = f.Close()
	return os.Remove(name)
}

// AddSecrets makes values the recorder hides wherever they appear (client
// secret, API key, tokens from the state). Empty and very short values are
// ignored.
func (r *Recorder) AddSecrets(values ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.secrets == nil {
		r.secrets = map[string]bool{}
	}
	for _, v := range values {
		v = strings.TrimSpace(v)
		if len(v) >= minSecret {
			r.secrets[v] = true
		}
	}
}

func (r *Recorder) known() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := slices.Collect(maps.Keys(r.secrets))
	// Longest first: a token that contains another is replaced whole.
	slices.SortFunc(s, func(a, b string) int { return len(b) - len(a) })
	return s
}

func (r *Recorder) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

// Transport returns a RoundTripper that sends with base (nil:
// http.DefaultTransport) and records each exchange as kind.
func (r *Recorder) Transport(kind string, base http.RoundTripper) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	return &transport{r: r, kind: kind, base: base}
}

type transport struct {
	r    *Recorder
	kind string
	base http.RoundTripper
}

var _ http.RoundTripper = (*transport)(nil)

// clock collects the httptrace phases of one exchange.
type clock struct {
	mu                                 sync.Mutex
	start                              time.Time
	now                                func() time.Time
	dnsStart, connStart, tlsStart      time.Time
	dns, connect, handshake, firstByte *float64
	reused                             bool
}

func (c *clock) ms(from time.Time) *float64 {
	v := float64(c.now().Sub(from)) / float64(time.Millisecond)
	return &v
}

func (c *clock) trace() *httptrace.ClientTrace {
	set := func(f func()) { c.mu.Lock(); f(); c.mu.Unlock() }
	return &httptrace.ClientTrace{
		DNSStart:          func(httptrace.DNSStartInfo) { set(func() { c.dnsStart = c.now() }) },
		DNSDone:           func(httptrace.DNSDoneInfo) { set(func() { c.dns = c.ms(c.dnsStart) }) },
		ConnectStart:      func(string, string) { set(func() { c.connStart = c.now() }) },
		ConnectDone:       func(string, string, error) { set(func() { c.connect = c.ms(c.connStart) }) },
		TLSHandshakeStart: func() { set(func() { c.tlsStart = c.now() }) },
		TLSHandshakeDone:  func(tls.ConnectionState, error) { set(func() { c.handshake = c.ms(c.tlsStart) }) },
		GotConn:           func(i httptrace.GotConnInfo) { set(func() { c.reused = i.Reused }) },
		GotFirstResponseByte: func() {
			set(func() { c.firstByte = c.ms(c.start) })
		},
	}
}

func (c *clock) timings() Timings {
	c.mu.Lock()
	defer c.mu.Unlock()
	return Timings{Start: c.start.UTC(), Reused: c.reused, DNS: c.dns, Connect: c.connect, TLS: c.handshake, FirstByte: c.firstByte, Total: *c.ms(c.start)}
}

// RoundTrip implements http.RoundTripper. The caller's request is not
// modified; the response body is passed through as it arrives and the
// file is written when the caller has read it to the end or closed it.
func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	var reqBody []byte
	send := req
	if req.Body != nil && req.Body != http.NoBody {
		var err error
		if reqBody, send, err = httplog.CaptureBody(req); err != nil {
			return nil, err
		}
	}
	c := &clock{start: t.r.now(), now: t.r.now}
	send = send.WithContext(httptrace.WithClientTrace(send.Context(), c.trace()))
	resp, err := t.base.RoundTrip(send)
	if err != nil {
		t.r.write(t.r.build(captured{kind: t.kind, req: req, reqBody: reqBody, err: err, timings: c.timings()}))
		return resp, err
	}
	if resp.Body == nil || resp.Body == http.NoBody {
		t.r.write(t.r.build(captured{kind: t.kind, req: req, reqBody: reqBody, resp: resp, timings: c.timings()}))
		return resp, nil
	}
	resp.Body = &tee{rc: resp.Body, done: func(b []byte, total int, rerr error) {
		t.r.write(t.r.build(captured{kind: t.kind, req: req, reqBody: reqBody, resp: resp, respBody: b, respSize: total, err: rerr, timings: c.timings()}))
	}}
	return resp, nil
}

// tee keeps the first MaxBody bytes the caller reads and reports them once,
// at the end of the body, at an error or at Close.
type tee struct {
	rc   io.ReadCloser
	buf  bytes.Buffer
	n    int
	once sync.Once
	done func(kept []byte, total int, err error)
}

func (t *tee) Read(p []byte) (int, error) {
	n, err := t.rc.Read(p)
	if room := MaxBody - t.buf.Len(); n > 0 && room > 0 {
		t.buf.Write(p[:min(n, room)])
	}
	t.n += n
	if err != nil {
		var rerr error
		if !errors.Is(err, io.EOF) {
			rerr = err
		}
		t.finish(rerr)
	}
	return n, err
}

func (t *tee) Close() error {
	err := t.rc.Close()
	t.finish(nil)
	return err
}

func (t *tee) finish(err error) {
	t.once.Do(func() { t.done(t.buf.Bytes(), t.n, err) })
}

func fingerprint(der []byte) string {
	s := sha256.Sum256(der)
	return hex.EncodeToString(s[:])
}

// captured is what the transport saw of one exchange: the raw material of
// its record (Exchange).
type captured struct {
	kind     string
	req      *http.Request // as the caller sent it
	reqBody  []byte
	resp     *http.Response // nil when no answer came
	respBody []byte         // the first MaxBody bytes of the answer's body
	respSize int            // the answer's body bytes read in all
	err      error          // the round trip's, or the answer body's read
	timings  Timings
}

// build turns one exchange into its record, with every secret redacted.
func (r *Recorder) build(c captured) *Exchange {
	red := httplog.Redactor{SecretHeaders: r.SecretHeaders, Found: func(s string) { r.AddSecrets(s) }}
	e := &Exchange{Format: Format, Kind: c.kind, Time: c.timings.Start, Timings: c.timings}
	if c.kind == KindAPI {
		e.BaseURL = r.BaseURL
	}
	sent := sentHeaders(c.req)
	r.learnBasic(c.req.Header.Get("Authorization"))
	e.Request = requestRecord(red, c.req, sent, c.reqBody)
	signatureInputs(e, c.req.URL, sent, c.reqBody)
	if c.resp != nil {
		e.Response = responseRecord(red, c.resp, c.respBody, c.respSize)
		r.tlsRecord(e, c.resp.TLS)
	}
	if c.err != nil {
		e.Error = c.err.Error()
	}
	r.scrub(e)
	return e
}

// sentHeaders are the request's header fields as they went out, Host first,
// the rest in name order.
func sentHeaders(req *http.Request) []Field {
	host := req.Host
	if host == "" && req.URL != nil {
		host = req.URL.Host
	}
	var raw []Field
	if host != "" {
		raw = append(raw, Field{"Host", host})
	}
	for _, name := range slices.Sorted(maps.Keys(req.Header)) {
		for _, v := range req.Header[name] {
			raw = append(raw, Field{name, v})
		}
	}
	return raw
}

// requestRecord is the request's record: the sent headers and the body
// redacted.
func requestRecord(red httplog.Redactor, req *http.Request, sent []Field, body []byte) Request {
	rq := Request{Method: req.Method, URL: red.URL(req.URL), Target: target(red, req.URL)}
	if rq.Method == "" {
		rq.Method = http.MethodGet
	}
	for _, f := range sent {
		rq.Headers = append(rq.Headers, Field{f.Name, red.Header(f.Name, f.Value)})
	}
	rq.Body = redactBody(red, req.Header.Get("Content-Type"), body)
	return rq
}

// signatureInputs records what the signature and the digest cover, from the
// headers as sent (before redaction): the digest's check, the signing string
// and the QSealC's fingerprint.
func signatureInputs(e *Exchange, u *url.URL, sent []Field, body []byte) {
	m := &httpmsg.Request{Method: e.Request.Method, Target: targetRaw(u), Proto: "HTTP/1.1", Body: body}
	for _, f := range sent {
		m.Header = append(m.Header, httpmsg.Field{Name: f.Name, Value: f.Value})
	}
	if d := m.Get("Digest"); d != "" {
		e.Digest = digestInput(d, body)
	}
	if sig := m.Get("Signature"); sig != "" {
		if p, err := httpsig.ParseSignature(sig); err == nil {
			if ss, err := httpsig.SigningString(m, p.SignedHeaders(), p); err == nil {
				e.SigningString = ss
			}
		}
	}
	if v := m.Get("TPP-Signature-Certificate"); v != "" {
		if c, err := httpsig.ParseCertificateHeader(v); err == nil {
			e.Certificates.QSealC = fingerprint(c.Raw)
		}
	}
}

// responseRecord is the answer's record: its headers redacted, and its body
// decoded and redacted when it can be, else only its size. body is the
// first MaxBody bytes of the size read.
func responseRecord(red httplog.Redactor, resp *http.Response, body []byte, size int) *Response {
	enc := strings.ToLower(strings.TrimSpace(resp.Header.Get("Content-Encoding")))
	plain, decoded, cut := decode(enc, body)
	rs := &Response{Status: resp.StatusCode, Proto: resp.Proto, Code: TPPCode(plain)}
	for _, name := range slices.Sorted(maps.Keys(resp.Header)) {
		for _, v := range resp.Header[name] {
			rs.Headers = append(rs.Headers, Field{name, red.Header(name, v)})
		}
	}
	switch {
	case len(body) == 0:
	case !decoded:
		// Bytes no secret can be found in are not kept at all.
		rs.Body = &Body{Size: size, Encoding: enc}
	default:
		rs.Body = redactBody(red, resp.Header.Get("Content-Type"), plain)
		if plain := rs.Body; plain != nil && enc != "" && enc != "identity" {
			plain.Encoding, plain.Size = enc, size
			plain.Truncated = plain.Truncated || cut
		}
	}
	if rs.Body != nil && size > len(body) {
		rs.Body.Truncated, rs.Body.Size = true, size
	}
	return rs
}

// tlsRecord records the connection's TLS version and suite and the
// certificates in play, when the answer came over TLS.
func (r *Recorder) tlsRecord(e *Exchange, cs *tls.ConnectionState) {
	if cs == nil {
		return
	}
	e.TLS = &TLSInfo{Version: tls.VersionName(cs.Version), CipherSuite: tls.CipherSuiteName(cs.CipherSuite)}
	for _, c := range cs.PeerCertificates {
		e.Certificates.ServerChain = append(e.Certificates.ServerChain, fingerprint(c.Raw))
	}
	if r.ClientCert != nil {
		e.Certificates.QWAC = fingerprint(r.ClientCert.Raw)
	}
}

// learnBasic learns the client secret inside HTTP Basic credentials
// (RFC 6749 2.3.1 form-encodes both parts).
func (r *Recorder) learnBasic(auth string) {
	scheme, cred, ok := strings.Cut(strings.TrimSpace(auth), " ")
	if !ok || !strings.EqualFold(scheme, "basic") {
		return
	}
	dec, err := base64.StdEncoding.DecodeString(strings.TrimSpace(cred))
	if err != nil {
		return
	}
	_, pass, ok := strings.Cut(string(dec), ":")
	if !ok {
		return
	}
	if p, err := url.QueryUnescape(pass); err == nil {
		r.AddSecrets(p)
	}
	r.AddSecrets(pass)
}

func targetRaw(u *url.URL) string {
	if u == nil {
		return "/"
	}
	return u.RequestURI()
}

func target(red httplog.Redactor, u *url.URL) string {
	if u == nil {
		return "/"
	}
	p := u.EscapedPath()
	if p == "" {
		p = "/"
	}
	if u.RawQuery != "" {
		p += "?" + red.Query(u.RawQuery)
	}
	return p
}

func redactBody(red httplog.Redactor, contentType string, b []byte) *Body {
	if len(b) == 0 {
		return nil
	}
	mt, _, _ := mime.ParseMediaType(contentType)
	out := b
	switch {
	case mt == "application/x-www-form-urlencoded":
		out = []byte(red.Form(string(b)))
	case mt == "application/json" || strings.HasSuffix(mt, "+json") || mt == "":
		var ok bool
		if out, ok = red.JSON(b); !ok && utf8.Valid(b) {
			// Not JSON after all, or cut off: its secret fields by pattern.
			out = []byte(red.LooseJSON(string(b)))
		}
	case utf8.Valid(b):
		// text/plain and the like: a token answer may come as a form in it.
		out = []byte(red.Text(string(b)))
	}
	body := NewBody(out)
	body.Size = len(b)
	body.Redacted = !bytes.Equal(out, b)
	return body
}

// decode undoes a Content-Encoding the transport left in place (the caller
// asked for it), so the body's secrets can be found: plain is at most
// MaxBody bytes (cut says it was cut), decoded is false for an encoding it
// cannot undo. A body itself cut at MaxBody decodes as far as it goes.
func decode(enc string, b []byte) (plain []byte, decoded, cut bool) {
	if enc == "" || enc == "identity" {
		return b, true, false
	}
	plain, _, cut, ok := httplog.Inflate(enc, b, MaxBody)
	if !ok {
		return nil, false, false
	}
	return plain, true, cut
}

func digestInput(header string, body []byte) *DigestInput {
	d := &DigestInput{Header: header, Bytes: len(body), Match: httpsig.DigestMatches(header, body)}
	vals, err := httpsig.ParseDigest(header)
	if err != nil {
		return d
	}
	// What the header should have said, for the algorithms it names and
	// xs2a knows.
	var computed []string
	for _, v := range vals {
		if alg, err := httpsig.ParseDigestAlgorithm(v.Algorithm); err == nil {
			computed = append(computed, httpsig.Digest(alg, body))
		}
	}
	d.Computed = strings.Join(computed, ",")
	return d
}

// scrub replaces every known secret, wherever it is in the record, by
// its fingerprint: also URL-encoded, as it appears in a query or a form.
func (r *Recorder) scrub(e *Exchange) {
	secrets := r.known()
	if len(secrets) == 0 {
		return
	}
	var pairs []string
	for _, s := range secrets {
		fp := httplog.Redact(s)
		pairs = append(pairs, s, fp)
		if q := url.QueryEscape(s); q != s {
			pairs = append(pairs, q, fp)
		}
		if p := url.PathEscape(s); p != s {
			pairs = append(pairs, p, fp)
		}
	}
	rep := strings.NewReplacer(pairs...)
	str := func(s *string) { *s = rep.Replace(*s) }
	fields := func(fs []Field) {
		for i := range fs {
			str(&fs[i].Name)
			str(&fs[i].Value)
		}
	}
	body := func(b *Body) {
		if b == nil {
			return
		}
		if b.Base64 != "" {
			raw, err := base64.StdEncoding.DecodeString(b.Base64)
			if err == nil {
				if c := rep.Replace(string(raw)); c != string(raw) {
					b.Base64 = base64.StdEncoding.EncodeToString([]byte(c))
					b.Redacted = true
				}
			}
			return
		}
		if c := rep.Replace(b.Text); c != b.Text {
			b.Text = c
			b.Redacted = true
		}
	}
	str(&e.BaseURL)
	str(&e.Request.URL)
	str(&e.Request.Target)
	fields(e.Request.Headers)
	body(e.Request.Body)
	str(&e.SigningString)
	if e.Digest != nil {
		str(&e.Digest.Header)
	}
	if e.Response != nil {
		fields(e.Response.Headers)
		body(e.Response.Body)
		str(&e.Response.Code)
	}
	str(&e.Error)
}

// FileName is where an exchange is written: its start time (UTC, to the
// nanosecond, so names sort in time order), method, path and the start of
// its X-Request-ID (random when it has none).
func FileName(e *Exchange) string {
	path := e.Path()
	if i := strings.IndexByte(path, '?'); i >= 0 {
		path = path[:i]
	}
	id := e.Request.Header("X-Request-ID")
	id = strings.Map(keep, id)
	if len(id) > 8 {
		id = id[:8]
	}
	if id == "" {
		var b [4]byte
		_, _ = rand.Read(b[:])
		id = hex.EncodeToString(b[:])
	}
	return e.Time.UTC().Format("20060102T150405.000000000Z") + "-" + slug(e.Request.Method, 10) + "-" + slug(path, 60) + "-" + id + ".json"
}

func keep(r rune) rune {
	if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
		return r
	}
	return -1
}

// slug keeps letters and digits and turns every other run into one dash.
func slug(s string, max int) string {
	var b strings.Builder
	dash := false
	for _, r := range s {
		if keep(r) >= 0 {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			b.WriteRune(r)
			dash = false
		} else {
			dash = true
		}
	}
	out := b.String()
	if len(out) > max {
		out = strings.TrimRight(out[:max], "-")
	}
	if out == "" {
		out = "root"
	}
	return out
}

// Marshal encodes an exchange as written to a file: indented, HTML
// characters not escaped, so a grep finds what a reader sees.
func Marshal(e *Exchange) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(e); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// Write stores e in dir under FileName, mode 0600, atomically. The name
// is first claimed with an exclusive create, so two processes appending to
// one directory at the same instant never overwrite each other's file.
func Write(dir string, e *Exchange) (string, error) {
	data, err := Marshal(e)
	if err != nil {
		return "", err
	}
	base := strings.TrimSuffix(FileName(e), ".json")
	name := base + ".json"
	for i := 2; ; i++ {
		path := filepath.Join(dir, name)
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err == nil {
			_ = f.Close()
			if err := atomicfile.WriteFile(path, data, 0o600); err != nil {
				_ = os.Remove(path)
				return "", err
			}
			return path, nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return "", err
		}
		name = fmt.Sprintf("%s~%d.json", base, i)
	}
}

func (r *Recorder) write(e *Exchange) {
	if _, err := Write(r.Dir, e); err != nil && r.OnError != nil {
		r.OnError(fmt.Errorf("--record: %w", err))
	}
}
