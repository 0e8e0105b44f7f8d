// Package httplog is the HTTP trace behind -v: an http.RoundTripper that
// writes each exchange (request line, headers, body; status, timing, TLS,
// headers, body) to a writer, with credentials replaced by a short
// fingerprint unless ShowSecrets is set.
//
// A block looks like this:
//
//	> POST https://bank.example/token
//	> Authorization: Basic [redacted sha256:5f4dcc3b]
//	> Content-Type: application/x-www-form-urlencoded
//	>
//	> code=[redacted sha256:1a2b3c4d]
//	> grant_type=authorization_code
//	< 200 OK (12.3ms, TLS 1.3, client certificate: CN=tpp,O=Example)
//	< Content-Type: application/json
//	<
//	< {
//	<   "access_token": "[redacted sha256:9e8d7c6b]",
//	<   "token_type": "Bearer"
//	< }
//
// The fingerprint is the start of the secret's SHA-256, so the same token
// can be recognised where it is issued and where it is used without being
// shown. Each block is written with a single Write under a package-wide
// mutex: concurrent requests never interleave their lines.
//
// A body is shown as far as its first MaxBody bytes, then a note says how
// many more there were, or that the length is unknown when the reader
// stopped early. A gzip or deflate body is decoded for the trace within
// the same bound. The answer is passed on to the caller as it arrives,
// whole and unchanged; its block is written when the caller has read it.
// Everything from outside (status text, header names and values, bodies)
// is written with its control characters escaped (pkg/termsafe), so a
// bank cannot send the terminal escape sequences.
package httplog

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/xs2a-dev/xs2a/pkg/termsafe"
)

// MaxBody is how much of a body the trace keeps and shows (decoded, when
// it has a Content-Encoding); the rest is replaced by a note. The body the
// caller reads is never shortened.
const MaxBody = 64 << 10

// Transport is an http.RoundTripper that traces every exchange to Out.
// The zero value is usable: it sends with http.DefaultTransport and traces
// to os.Stderr.
type Transport struct {
	// Base sends the request; nil means http.DefaultTransport.
	Base http.RoundTripper
	// Out receives the trace; nil means os.Stderr.
	Out io.Writer
	// ShowSecrets prints every value as sent (--show-secrets).
	ShowSecrets bool
	// SecretHeaders are redacted in addition to Authorization,
	// Proxy-Authorization, Cookie, Set-Cookie and X-API-Key (e.g. a
	// profile's own API key header). Names are case-insensitive.
	SecretHeaders []string
	// ClientCert describes the TLS client certificate Base presents
	// (e.g. its subject); when set it is printed on the status line of
	// TLS exchanges. The client side cannot learn it from the response.
	ClientCert string
	// Now is the clock used for timings; nil means time.Now.
	Now func() time.Time
}

var _ http.RoundTripper = (*Transport)(nil)

// writeMu serialises blocks across all Transports: several may share
// stderr.
var writeMu sync.Mutex

// Redact returns a fingerprint that stands for secret in the trace:
// "[redacted sha256:1a2b3c4d]", the first 8 hex digits of its SHA-256.
// The empty string stays empty.
func Redact(secret string) string {
	if secret == "" {
		return ""
	}
	sum := sha256.Sum256([]byte(secret))
	return "[redacted sha256:" + hex.EncodeToString(sum[:4]) + "]"
}

// Names are compared after normalize, so access_token, accessToken and
// Access-Token are one name.
var (
	alwaysSecretHeaders = []string{"authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key"}
	secretQuery         = nameSet("code", "access_token", "refresh_token", "id_token", "client_secret", "code_verifier")
	secretForm          = nameSet("client_secret", "code", "code_verifier", "refresh_token", "access_token", "password", "assertion", "client_assertion")
	secretJSON          = nameSet("access_token", "refresh_token", "id_token", "client_secret", "code", "code_verifier", "password")
	urlHeaders          = []string{"location", "content-location", "referer"}
)

func normalize(name string) string {
	return strings.Map(func(r rune) rune {
		if r == '_' || r == '-' {
			return -1
		}
		return unicode.ToLower(r)
	}, name)
}

func nameSet(names ...string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[normalize(n)] = true
	}
	return m
}

// RoundTrip implements http.RoundTripper. The caller's request is never
// modified. The response body is passed on as it arrives: the trace keeps
// only its first MaxBody bytes on the way through, and the block is written
// when the caller has read the body to its end, met an error or closed it.
// So a streamed answer reaches the caller at once (`xs2a proxy -v`), and a
// large one, or a small gzip body that Go's transport inflates to a
// gigabyte, costs the trace 64 KiB.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	base := t.Base
	if base == nil {
		base = http.DefaultTransport
	}
	now := t.Now
	if now == nil {
		now = time.Now
	}

	var b strings.Builder
	t.writeRequestHead(&b, req)

	send := req
	var reqBody []byte
	if req.Body != nil && req.Body != http.NoBody {
		// The request is ours (or, in the proxy, bounded by its MaxBody):
		// it is read whole because it has to be sent whole.
		data, s, err := CaptureBody(req)
		if err != nil {
			b.WriteString("< error: reading request body: " + termsafe.Line(err.Error()) + "\n\n")
			t.flush(b.String())
			return nil, err
		}
		send, reqBody = s, data
		t.writeBody(&b, "> ", body{header: req.Header, kept: reqBody[:min(len(reqBody), MaxBody)],
			read: int64(len(reqBody)), length: int64(len(reqBody)), complete: true})
	}
	// A bank that quotes the request in its answer ("Bearer ... is not
	// known", an echoed form) would show the secrets redacted above by
	// name: the answer's block hides them by value.
	creds := t.requestSecrets(req, reqBody)
	hide := func(s string) string {
		if t.ShowSecrets {
			return s
		}
		return Hide(s, creds...)
	}

	start := now()
	resp, err := base.RoundTrip(send)
	if err != nil {
		fmt.Fprintf(&b, "< error: %s (%s)\n\n", termsafe.Line(err.Error()), since(now, start))
		t.flush(b.String())
		return resp, err
	}
	t.writeStatus(&b, resp, since(now, start))
	t.writeHeaders(&b, "< ", resp.Header)
	if resp.Body == nil || resp.Body == http.NoBody {
		b.WriteString("\n")
		t.flush(hide(b.String()))
		return resp, nil
	}
	head := hide(b.String())
	// What the body's block needs, taken now: the caller may change the
	// response's headers before it reads the body.
	hdr := http.Header{}
	for _, k := range []string{"Content-Type", "Content-Encoding"} {
		if v := resp.Header.Values(k); len(v) > 0 {
			hdr[k] = slices.Clone(v)
		}
	}
	length, inflated := resp.ContentLength, resp.Uncompressed
	resp.Body = &tracedBody{rc: resp.Body, done: func(kept []byte, read int64, complete bool, readErr error) {
		var rest strings.Builder
		t.writeBody(&rest, "< ", body{header: hdr, kept: kept, read: read, length: length,
			complete: complete, readErr: readErr != nil, inflated: inflated})
		if readErr != nil {
			rest.WriteString("< error: reading response body: " + termsafe.Line(readErr.Error()) + "\n")
		}
		rest.WriteString("\n")
		t.flush(head + hide(rest.String()))
	}}
	return resp, nil
}

// requestSecrets are the values the trace redacts by name in req (secret
// headers, query parameters and form or JSON fields of its body), found
// by running the redactor over it.
func (t *Transport) requestSecrets(req *http.Request, body []byte) []string {
	var out []string
	r := t.redactor()
	r.Found = func(s string) { out = append(out, s) }
	for k, vs := range req.Header {
		for _, v := range vs {
			r.Header(k, v)
		}
	}
	if req.URL != nil {
		r.Query(req.URL.RawQuery)
	}
	if len(body) > 0 {
		if _, ok := r.JSON(body); !ok {
			r.Text(string(body))
		}
	}
	return out
}

// tracedBody passes a response body on to the caller unchanged, keeps its
// first MaxBody bytes and reports them once: at the end, at a read error
// or at Close, whichever comes first.
type tracedBody struct {
	rc       io.ReadCloser
	mu       sync.Mutex
	kept     []byte
	read     int64
	finished bool
	done     func(kept []byte, read int64, complete bool, err error)
}

func (b *tracedBody) Read(p []byte) (int, error) {
	n, err := b.rc.Read(p)
	b.mu.Lock()
	if n > 0 && !b.finished {
		if room := MaxBody - len(b.kept); room > 0 {
			b.kept = append(b.kept, p[:min(n, room)]...)
		}
		b.read += int64(n)
	}
	b.mu.Unlock()
	switch {
	case err == io.EOF:
		b.finish(true, nil)
	case err != nil:
		b.finish(false, err)
	}
	return n, err
}

func (b *tracedBody) Close() error {
	err := b.rc.Close()
	b.finish(false, nil)
	return err
}

func (b *tracedBody) finish(complete bool, err error) {
	b.mu.Lock()
	if b.finished {
		b.mu.Unlock()
		return
	}
	b.finished = true
	kept, read := b.kept, b.read
	b.mu.Unlock()
	b.done(kept, read, complete, err)
}

// CaptureBody returns the request body's bytes and the request to send, for
// a RoundTripper that must see the body without taking it from the sender.
// With GetBody the copy comes from there and req itself is sent; without,
// req.Body is consumed and a clone carrying the bytes is sent instead.
func CaptureBody(req *http.Request) ([]byte, *http.Request, error) {
	if req.GetBody != nil {
		if rc, err := req.GetBody(); err == nil {
			data, err := io.ReadAll(rc)
			_ = rc.Close()
			if err == nil {
				return data, req, nil
			}
		}
	}
	data, err := io.ReadAll(req.Body)
	_ = req.Body.Close() // a RoundTripper closes the body, even on error
	if err != nil {
		return nil, nil, err
	}
	r := req.Clone(req.Context())
	r.Body = io.NopCloser(bytes.NewReader(data))
	r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }
	return data, r, nil
}

func since(now func() time.Time, start time.Time) string {
	d := now().Sub(start)
	if d < time.Second {
		return strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'f', 1, 64) + "ms"
	}
	return strconv.FormatFloat(d.Seconds(), 'f', 2, 64) + "s"
}

func (t *Transport) flush(block string) {
	out := t.Out
	if out == nil {
		out = os.Stderr
	}
	writeMu.Lock()
	defer writeMu.Unlock()
	_, _ = io.WriteString(out, block)
}

func (t *Transport) writeRequestHead(b *strings.Builder, req *http.Request) {
	b.WriteString("> " + termsafe.Line(req.Method+" "+t.url(req.URL)) + "\n")
	t.writeHeaders(b, "> ", req.Header)
}

func (t *Transport) writeStatus(b *strings.Builder, resp *http.Response, elapsed string) {
	status := resp.Status
	if status == "" || !strings.HasPrefix(status, strconv.Itoa(resp.StatusCode)) {
		status = strings.TrimSpace(strconv.Itoa(resp.StatusCode) + " " + http.StatusText(resp.StatusCode))
	}
	details := []string{elapsed}
	if resp.TLS != nil {
		details = append(details, tls.VersionName(resp.TLS.Version))
		if t.ClientCert != "" {
			details = append(details, "client certificate: "+t.ClientCert)
		}
	}
	b.WriteString("< " + termsafe.Line(status) + " (" + termsafe.Line(strings.Join(details, ", ")) + ")\n")
}

// url renders u for the trace: secret query parameters and the password
// of any userinfo are redacted, the fragment (never sent) is left out.
func (t *Transport) url(u *url.URL) string {
	if u == nil {
		return ""
	}
	if !t.ShowSecrets {
		return t.redactor().URL(u)
	}
	c := *u
	c.RawQuery, c.ForceQuery, c.Fragment, c.RawFragment = "", false, "", ""
	s := c.String()
	if u.RawQuery != "" || u.ForceQuery {
		s += "?" + u.RawQuery
	}
	return s
}

func (t *Transport) redactor() Redactor { return Redactor{SecretHeaders: t.SecretHeaders} }

func (t *Transport) writeHeaders(b *strings.Builder, prefix string, h http.Header) {
	names := make([]string, 0, len(h))
	for k := range h {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, k := range names {
		for _, v := range h[k] {
			b.WriteString(prefix + termsafe.Line(k) + ": " + termsafe.Line(t.headerValue(k, v)) + "\n")
		}
	}
}

// headerValue is how the value v of header name appears in the trace.
func (t *Transport) headerValue(name, v string) string {
	// Signature and TPP-Signature-Certificate are shown whole, however
	// long: they are not secret, and a signature debugger needs every
	// character of them (issue 18 item 13).
	if t.ShowSecrets {
		return v
	}
	return t.redactor().Header(name, v)
}

func isToken(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r > unicode.MaxASCII || !(unicode.IsLetter(r) || unicode.IsDigit(r) || strings.ContainsRune("!#$%&'*+-.^_`|~", r)) {
			return false
		}
	}
	return true
}

// body is what the trace knows of a body when it writes it.
type body struct {
	header http.Header
	// kept is the body's first bytes as they went by (at most MaxBody),
	// still in their Content-Encoding.
	kept []byte
	// read is how many bytes went by; complete says that was all of it.
	read     int64
	complete bool
	// length is the Content-Length, -1 when unknown.
	length int64
	// readErr says reading stopped at an error rather than at Close.
	readErr bool
	// inflated: Go's transport asked for gzip itself and decoded it, so
	// the sizes are of the decoded body.
	inflated bool
}

// more reports whether bytes of the body were not kept: beyond MaxBody, or
// not read at all before the reader stopped.
func (bd body) more() bool {
	if bd.read > int64(len(bd.kept)) {
		return true
	}
	return !bd.complete && (bd.length < 0 || bd.length > bd.read)
}

// stopped says why the reading of a body that was not read to its end stopped.
func (bd body) stopped() string {
	if bd.readErr {
		return "reading failed"
	}
	return "the reader closed the body"
}

// writeBody formats the kept prefix of a body by its Content-Type (JSON
// pretty-printed, forms one field per line, other text as is, binary as a
// note), decoding a gzip or deflate Content-Encoding within MaxBody, and
// says what was left out. Every line is escaped for the terminal.
func (t *Transport) writeBody(b *strings.Builder, prefix string, bd body) {
	if bd.read == 0 {
		if !bd.complete {
			b.WriteString(strings.TrimRight(prefix, " ") + "\n")
			b.WriteString(prefix + "(" + bd.stopped() + " before reading any of it)\n")
		}
		return
	}
	data, more := bd.kept, bd.more()
	var notes []string
	enc := strings.ToLower(strings.TrimSpace(bd.header.Get("Content-Encoding")))
	encoded := enc != "" && enc != "identity"
	if encoded {
		plain, ended, note, ok := bd.inflate(enc, more)
		if !ok {
			b.WriteString(strings.TrimRight(prefix, " ") + "\n")
			b.WriteString(prefix + note + "\n")
			return
		}
		notes = append(notes, note)
		// The decoded size is not known: the encoding's note says what is.
		data, more = plain, !ended || more
	}
	if more {
		data = wholeRunes(data)
	}
	text, shown, more, notes := t.bodyText(bd.header, data, more, encoded, notes)
	ctype := bd.header.Get("Content-Type") // shown with %q, which escapes it
	if text == "" {
		switch {
		case encoded:
			notes = append([]string{fmt.Sprintf("(binary data, Content-Type %q)", ctype)}, notes...)
		case bd.complete:
			notes = []string{fmt.Sprintf("(%d bytes of binary data, Content-Type %q)", bd.read, ctype)}
		default:
			notes = []string{fmt.Sprintf("(binary data, Content-Type %q; %s after %d bytes)", ctype, bd.stopped(), bd.read)}
		}
	} else if more && !encoded {
		notes = append(notes, t.sizeNote(bd, shown))
	}

	b.WriteString(strings.TrimRight(prefix, " ") + "\n")
	if text != "" {
		for line := range strings.SplitSeq(strings.TrimRight(text, "\n"), "\n") {
			// A CRLF line ending is the line's end; any other CR is
			// escaped, so it cannot overprint the line.
			b.WriteString(prefix + termsafe.Text(strings.TrimSuffix(line, "\r")) + "\n")
		}
	}
	for _, n := range notes {
		b.WriteString(prefix + n + "\n")
	}
}

// inflate decodes the kept prefix of a body sent with Content-Encoding enc,
// within MaxBody; more says bytes of it were not kept. The note says what
// was on the wire and, when ok is false, that the body is not decoded.
func (bd body) inflate(enc string, more bool) (plain []byte, ended bool, note string, ok bool) {
	plain, ended, _, ok = Inflate(enc, bd.kept, MaxBody)
	wire := fmt.Sprintf("%d bytes", bd.read)
	switch {
	case !bd.complete && bd.length >= 0:
		wire = fmt.Sprintf("%d bytes by its Content-Length; %s after %d", bd.length, bd.stopped(), bd.read)
	case !bd.complete:
		wire = fmt.Sprintf("%s after %d bytes", bd.stopped(), bd.read)
	}
	switch {
	case !ok:
		note = fmt.Sprintf("(Content-Encoding %s, not decoded for the trace; %s)", termsafe.Line(enc), wire)
	case ended && !more:
		note = fmt.Sprintf("(%s, %s on the wire, decoded for the trace)", termsafe.Line(enc), wire)
	default:
		note = fmt.Sprintf("… more bytes not shown (%s, %s on the wire; the trace decodes at most %d KiB)", termsafe.Line(enc), wire, MaxBody>>10)
	}
	return plain, ended, note, ok
}

// bodyText formats data by the Content-Type in h: JSON (declared, or
// undeclared and looking like it) pretty-printed, a form one field per
// line, anything else as text, "" for binary. shown is how many bytes of
// data the text shows; more and notes come back updated.
func (t *Transport) bodyText(h http.Header, data []byte, more, encoded bool, notes []string) (string, int, bool, []string) {
	mt, _, _ := mime.ParseMediaType(h.Get("Content-Type"))
	isJSON := mt == "application/json" || strings.HasSuffix(mt, "+json") || (mt == "" && (json.Valid(data) || startsJSON(data)))
	shown := len(data)
	var text string
	switch {
	case isJSON:
		var used int
		var err error
		text, used, err = t.prettyJSON(data, more)
		switch {
		case errors.Is(err, errFull):
			if encoded && !more {
				notes = append(notes, fmt.Sprintf("… the rest is not shown (the trace shows %d KiB of it)", MaxBody>>10))
			}
			shown, more = used, true
		case err != nil:
			text = t.rawText(data)
			if text != "" {
				notes = append([]string{"(not valid JSON: " + err.Error() + ")"}, notes...)
			}
		default:
			shown = used
		}
	case mt == "application/x-www-form-urlencoded":
		text = t.form(data)
	default:
		text = t.rawText(data)
	}
	return text, shown, more, notes
}

// sizeNote says how much of a body the trace left out, as far as it is
// known: a body closed before its end and without a Content-Length has no
// known length.
func (t *Transport) sizeNote(bd body, shown int) string {
	decoded := ""
	if bd.inflated {
		decoded = ", gzip-decoded by the transport"
	}
	switch {
	case bd.complete:
		return fmt.Sprintf("… %d more bytes not shown (the body is %d bytes%s)", bd.read-int64(shown), bd.read, decoded)
	case bd.length >= 0:
		stop := "the reader closed it"
		if bd.readErr {
			stop = "reading failed"
		}
		return fmt.Sprintf("… %d more bytes not shown (the body is %d bytes by its Content-Length; %s after %d)", bd.length-int64(shown), bd.length, stop, bd.read)
	default:
		// Without a Content-Length the end was never seen: whether more
		// followed is not known, and the note does not guess.
		stop := "the reader stopped"
		if bd.readErr {
			stop = "reading failed"
		}
		return fmt.Sprintf("… %s after %d bytes; the rest, if any, is not shown (no Content-Length: the length is unknown%s)", stop, bd.read, decoded)
	}
}

// wholeRunes drops a UTF-8 sequence cut at the end of a prefix, so a cut
// text still reads as text.
func wholeRunes(b []byte) []byte {
	for i := len(b) - 1; i >= 0 && i >= len(b)-utf8.UTFMax; i-- {
		if utf8.RuneStart(b[i]) {
			if !utf8.FullRune(b[i:]) {
				return b[:i]
			}
			break
		}
	}
	return b
}

// startsJSON: a body without a Content-Type that opens like a JSON object
// or array is treated as JSON (and redacted as JSON) even when cut short.
func startsJSON(b []byte) bool {
	s := bytes.TrimLeft(b, " \t\r\n")
	return len(s) > 0 && (s[0] == '{' || s[0] == '[')
}

// Inflate decodes at most limit bytes of a gzip or deflate body's prefix:
// a decompression bomb cannot make the caller allocate more. ended reports
// that the encoded stream ended within raw and its decoding within limit,
// cut that the decoding goes on past limit; ok is false for an encoding it
// does not know or cannot start. The -v trace and the recorder both use it.
func Inflate(enc string, raw []byte, limit int) (plain []byte, ended, cut, ok bool) {
	var r io.Reader
	switch enc {
	case "gzip", "x-gzip":
		zr, err := gzip.NewReader(bytes.NewReader(raw))
		if err != nil {
			return nil, false, false, false
		}
		r = zr
	case "deflate":
		// RFC 9110 §8.4.1.2: zlib (RFC 1950); some servers send raw deflate.
		if zr, err := zlib.NewReader(bytes.NewReader(raw)); err == nil {
			r = zr
		} else {
			r = flate.NewReader(bytes.NewReader(raw))
		}
	default:
		return nil, false, false, false
	}
	plain, err := io.ReadAll(io.LimitReader(r, int64(limit)+1))
	if len(plain) > limit {
		return plain[:limit], false, true, true
	}
	if err != nil && len(plain) == 0 {
		return nil, false, false, false
	}
	return plain, err == nil, false, true
}

// form prints a urlencoded body one decoded field per line.
func (t *Transport) form(body []byte) string {
	var b strings.Builder
	for p := range strings.SplitSeq(strings.TrimSpace(string(body)), "&") {
		if p == "" {
			continue
		}
		k, v, _ := strings.Cut(p, "=")
		name, err := url.QueryUnescape(k)
		if err != nil {
			name = k
		}
		val, err := url.QueryUnescape(v)
		if err != nil {
			val = v
		}
		if !t.ShowSecrets && secretForm[normalize(name)] {
			val = Redact(val)
		}
		b.WriteString(termsafe.Line(name) + "=" + termsafe.Line(val) + "\n")
	}
	return b.String()
}

// jsonSecretRe is the fallback for a body that claims to be JSON but does
// not parse: "secret_name": "value" pairs are still redacted, and so is a
// value cut off by the end of the text (a prefix cut at MaxBody).
var jsonSecretRe = regexp.MustCompile(`(?i)("(?:access_token|refresh_token|id_token|client_secret|code|code_verifier|password|accessToken|refreshToken|idToken|clientSecret|codeVerifier)"\s*:\s*")((?:[^"\\]|\\.)*)("|\\?\z)`)

// rawText returns body as text, or "" when it is binary: not UTF-8, or
// with a NUL. Other control characters are text; they are escaped when the
// lines are written.
func (t *Transport) rawText(body []byte) string {
	if !utf8.Valid(body) || bytes.IndexByte(body, 0) >= 0 {
		return ""
	}
	s := string(body)
	if !t.ShowSecrets {
		// Text that is not JSON may still carry "access_token": "...", or
		// access_token=... (a text/plain token answer, read as a form).
		s = t.redactor().Text(s)
	}
	return s
}

// messageCode is the shape of Berlin Group message codes (FORMAT_ERROR,
// CONSENT_UNKNOWN) and RFC 7807 "code" values: in tppMessages and
// problem details "code" is the error, not an authorization code, and
// hiding it would hide the one thing -v is for.
var messageCode = regexp.MustCompile(`^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+$`)

var errFull = errors.New("trace body limit reached")

// prettyJSON re-indents body with two spaces, keeping key order and number
// spelling, and redacts secret fields at any depth. used is how much of
// body the text shows. With errFull the text is cut at MaxBody; a body that
// is itself a cut prefix (cut) is printed as far as its complete tokens go.
func (t *Transport) prettyJSON(body []byte, cut bool) (text string, used int, err error) {
	p := &jsonPrinter{dec: json.NewDecoder(bytes.NewReader(body)), redact: !t.ShowSecrets}
	p.dec.UseNumber()
	for {
		tok, err := p.dec.Token()
		if err == io.EOF {
			break
		}
		if err == nil {
			err = p.value(tok, 0)
		}
		switch {
		case err == nil:
			p.buf.WriteByte('\n')
			continue
		case errors.Is(err, errFull):
			return p.buf.String(), int(p.dec.InputOffset()), err
		case cut && (errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)):
			// The prefix ends inside a value: what is complete is shown
			// (a secret's value only when complete, redacted).
			return p.buf.String(), int(p.dec.InputOffset()), nil
		default:
			return "", 0, err
		}
	}
	return p.buf.String(), len(body), nil
}

type jsonPrinter struct {
	dec    *json.Decoder
	buf    bytes.Buffer
	redact bool
}

func (p *jsonPrinter) indent(depth int) {
	p.buf.WriteString(strings.Repeat("  ", depth))
}

func (p *jsonPrinter) str(s string) {
	var sb bytes.Buffer
	enc := json.NewEncoder(&sb)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	p.buf.Write(bytes.TrimRight(sb.Bytes(), "\n"))
}

func (p *jsonPrinter) value(tok json.Token, depth int) error {
	if p.buf.Len() > MaxBody {
		return errFull
	}
	switch v := tok.(type) {
	case json.Delim:
		closer := json.Delim('}')
		if v == '[' {
			closer = ']'
		}
		if !p.dec.More() {
			if _, err := p.dec.Token(); err != nil {
				return err
			}
			p.buf.WriteString(string(v) + string(closer))
			return nil
		}
		p.buf.WriteString(string(v) + "\n")
		for n := 0; p.dec.More(); n++ {
			if n > 0 {
				p.buf.WriteString(",\n")
			}
			p.indent(depth + 1)
			if v == '{' {
				kt, err := p.dec.Token()
				if err != nil {
					return err
				}
				key, _ := kt.(string)
				p.str(key)
				p.buf.WriteString(": ")
				if p.redact && secretJSON[normalize(key)] {
					if err := p.secret(key); err != nil {
						return err
					}
					continue
				}
			}
			et, err := p.dec.Token()
			if err != nil {
				return err
			}
			if err := p.value(et, depth+1); err != nil {
				return err
			}
		}
		if _, err := p.dec.Token(); err != nil {
			return err
		}
		p.buf.WriteString("\n")
		p.indent(depth)
		p.buf.WriteString(string(closer))
	case string:
		p.str(v)
	case json.Number:
		p.buf.WriteString(v.String())
	case bool:
		p.buf.WriteString(strconv.FormatBool(v))
	case nil:
		p.buf.WriteString("null")
	}
	return nil
}

// secret prints the value of a secret field as a redaction string.
func (p *jsonPrinter) secret(key string) error {
	var raw json.RawMessage
	if err := p.dec.Decode(&raw); err != nil {
		return err
	}
	out, _ := secretJSONValue(key, raw, nil)
	p.buf.WriteString(out)
	return nil
}
