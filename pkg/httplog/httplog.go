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
package httplog

import (
	"bytes"
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
)

// MaxBody is how much of a formatted body the trace shows; the rest is
// replaced by a note. The body the caller reads is never shortened.
const MaxBody = 64 << 10

// Values of these headers are shortened to their first 60 characters when
// longer than 120: they are not secret, just long (a base64 certificate).
const (
	longHeaderMax  = 120
	longHeaderKeep = 60
)

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
	longHeaders         = []string{"tpp-signature-certificate", "signature"}
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
// modified; the response body is read in full for the trace and replaced
// by an equivalent reader, so the caller reads exactly what was received.
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
		var err error
		reqBody, send, err = CaptureBody(req)
		if err != nil {
			b.WriteString("< error: reading request body: " + err.Error() + "\n\n")
			t.flush(b.String())
			return nil, err
		}
		t.writeBody(&b, "> ", req.Header, reqBody)
	}

	start := now()
	resp, err := base.RoundTrip(send)
	if err != nil {
		fmt.Fprintf(&b, "< error: %v (%s)\n\n", err, since(now, start))
		t.flush(b.String())
		return resp, err
	}

	var respBody []byte
	var readErr error
	if resp.Body != nil && resp.Body != http.NoBody {
		respBody, readErr = io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		var rest io.Reader = bytes.NewReader(respBody)
		if readErr != nil {
			// The caller sees the same bytes, then the same error.
			rest = io.MultiReader(rest, errReader{readErr})
		}
		resp.Body = io.NopCloser(rest)
	}
	elapsed := since(now, start)

	t.writeStatus(&b, resp, elapsed)
	t.writeHeaders(&b, "< ", resp.Header)
	if len(respBody) > 0 {
		t.writeBody(&b, "< ", resp.Header, respBody)
	}
	if readErr != nil {
		b.WriteString("< error: reading response body: " + readErr.Error() + "\n")
	}
	b.WriteString("\n")
	t.flush(b.String())
	return resp, nil
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

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
	b.WriteString("> " + req.Method + " " + t.url(req.URL) + "\n")
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
	b.WriteString("< " + status + " (" + strings.Join(details, ", ") + ")\n")
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
			b.WriteString(prefix + k + ": " + oneLine(t.headerValue(k, v)) + "\n")
		}
	}
}

// headerValue is how the value v of header name appears in the trace.
func (t *Transport) headerValue(name, v string) string {
	l := strings.ToLower(name)
	r := t.redactor()
	if slices.Contains(longHeaders, l) && (t.ShowSecrets || !r.SecretHeader(name)) {
		// Not secret, only long: shortened even with ShowSecrets.
		return shorten(v)
	}
	if t.ShowSecrets {
		return v
	}
	return r.Header(name, v)
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

func shorten(v string) string {
	n := utf8.RuneCountInString(v)
	if n <= longHeaderMax {
		return v
	}
	r := []rune(v)
	return string(r[:longHeaderKeep]) + "…(" + strconv.Itoa(n) + " chars)"
}

// oneLine keeps a value on its line: a CR or LF in a header value would
// otherwise forge trace lines.
func oneLine(s string) string {
	if !strings.ContainsAny(s, "\r\n") {
		return s
	}
	q := strconv.Quote(s)
	return q[1 : len(q)-1]
}

// writeBody formats body by its Content-Type: JSON pretty-printed, forms
// one field per line, other text as is, binary as a note.
func (t *Transport) writeBody(b *strings.Builder, prefix string, h http.Header, body []byte) {
	if len(body) == 0 {
		return
	}
	mt, _, _ := mime.ParseMediaType(h.Get("Content-Type"))
	isJSON := mt == "application/json" || strings.HasSuffix(mt, "+json") || (mt == "" && json.Valid(body))

	var text, note string
	switch {
	case isJSON:
		var err error
		text, err = t.prettyJSON(body)
		if errors.Is(err, errFull) {
			note = fmt.Sprintf("… (truncated: the body is %d bytes; the trace shows %d KiB of it)", len(body), MaxBody>>10)
		} else if err != nil {
			text = t.rawText(body, true)
			if text != "" {
				note = "(not valid JSON: " + err.Error() + ")"
			}
		}
	case mt == "application/x-www-form-urlencoded":
		text = t.form(body)
	default:
		text = t.rawText(body, false)
	}
	if text == "" {
		note = fmt.Sprintf("(%d bytes of binary data, Content-Type %q)", len(body), h.Get("Content-Type"))
	} else if len(text) > MaxBody {
		cut := strings.LastIndexByte(text[:MaxBody], '\n')
		if cut < 0 {
			cut = MaxBody
			for cut > 0 && !utf8.RuneStart(text[cut]) {
				cut--
			}
		}
		text = text[:cut]
		note = fmt.Sprintf("… (truncated: the body is %d bytes; the trace shows %d KiB of it)", len(body), MaxBody>>10)
	}

	b.WriteString(strings.TrimRight(prefix, " ") + "\n")
	if text != "" {
		for line := range strings.SplitSeq(strings.TrimRight(text, "\n"), "\n") {
			b.WriteString(prefix + line + "\n")
		}
	}
	if note != "" {
		b.WriteString(prefix + note + "\n")
	}
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
		b.WriteString(oneLine(name) + "=" + oneLine(val) + "\n")
	}
	return b.String()
}

// jsonSecretRe is the fallback for a body that claims to be JSON but does
// not parse: "secret_name": "value" pairs are still redacted.
var jsonSecretRe = regexp.MustCompile(`(?i)("(?:access_token|refresh_token|id_token|client_secret|code|code_verifier|password|accessToken|refreshToken|idToken|clientSecret|codeVerifier)"\s*:\s*")((?:[^"\\]|\\.)*)(")`)

// rawText returns body as text, or "" when it is not printable text.
func (t *Transport) rawText(body []byte, jsonish bool) string {
	if !utf8.Valid(body) {
		return ""
	}
	s := strings.ReplaceAll(string(body), "\r\n", "\n")
	for _, r := range s {
		if r != '\n' && r != '\t' && unicode.IsControl(r) {
			return ""
		}
	}
	if jsonish && !t.ShowSecrets {
		s = t.redactor().LooseJSON(s)
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
// spelling, and redacts secret fields at any depth.
func (t *Transport) prettyJSON(body []byte) (string, error) {
	p := &jsonPrinter{dec: json.NewDecoder(bytes.NewReader(body)), redact: !t.ShowSecrets}
	p.dec.UseNumber()
	for {
		tok, err := p.dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return "", err
		}
		if err := p.value(tok, 0); err != nil {
			if errors.Is(err, errFull) {
				return p.buf.String(), err
			}
			return "", err
		}
		p.buf.WriteByte('\n')
	}
	return p.buf.String(), nil
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
