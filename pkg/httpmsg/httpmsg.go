// Package httpmsg reads and writes HTTP/1.1 request messages exactly as they
// were written: header order, header name spelling, repeated headers and the
// body bytes are all kept, because a signature is computed over exactly those
// and "almost the same" is what makes signatures fail.
//
// net/http canonicalises header names and merges repeats into a map, which
// loses the evidence a signature debugger needs; this package does not.
package httpmsg

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/xs2a-dev/xs2a/pkg/text"
)

// Field is one header line as it appeared in the message.
type Field struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Request is an HTTP request message with its header lines in order.
type Request struct {
	Method string
	// Target is the request-target as written on the request line: usually
	// origin-form ("/v1/consents?x=1"), possibly absolute-form.
	Target string
	Proto  string
	Header []Field
	// Body is the content: for a chunked message the chunks' data joined,
	// never the framing, since a Digest covers the content (RFC 9112 §7.1).
	Body []byte
	// Framing says how the parsed message delimited its body.
	Framing Framing
	// Framed is, for a chunked message, the body as it was framed (sizes,
	// extensions, data, trailers), kept so a verifier can recognise a
	// Digest computed over the framing; nil otherwise.
	Framed []byte
	// Warnings name what the parser read differently from what a server
	// would, or had to guess; empty for a cleanly framed message.
	Warnings []string
}

// Framing is how a message delimits its body (RFC 9112 §6.3).
type Framing string

const (
	// FramingNone: no Content-Length, no Transfer-Encoding and no bytes
	// after the head.
	FramingNone Framing = ""
	// FramingContentLength: the body is the Content-Length bytes after the head.
	FramingContentLength Framing = "content-length"
	// FramingChunked: Transfer-Encoding: chunked; Body holds the content.
	FramingChunked Framing = "chunked"
	// FramingToEnd: no Content-Length and no chunking, yet bytes follow the
	// head; they are taken as the body, with a warning, because a request
	// pasted from a log often lost its Content-Length, though a server reads
	// such a request as having no body at all.
	FramingToEnd Framing = "to-end"
)

// MaxHeadBytes bounds the request line plus headers, as servers do.
const MaxHeadBytes = 1 << 20

// ParseError says where a raw request is malformed.
type ParseError struct {
	Line int // 1-based line of the message head, 0 when not about a line
	Msg  string
}

func (e *ParseError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("malformed HTTP request: line %d: %s", e.Line, e.Msg)
	}
	return "malformed HTTP request: " + e.Msg
}

// Parse reads a raw HTTP/1.1 request as copied from a log or a proxy. Lines of
// the head may end in CRLF or LF. The body is everything after the blank line;
// when Content-Length is present and smaller than what follows, the body is cut
// to it (so a trailing newline added by an editor is not taken as body) and
// Extra reports how many bytes were dropped.
func Parse(raw []byte) (*Request, error) {
	req, _, err := ParseWithExtra(raw)
	return req, err
}

// ParseWithExtra is Parse that also returns the number of bytes that followed
// a Content-Length-delimited body and were not taken into it.
func ParseWithExtra(raw []byte) (*Request, int, error) {
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil, 0, &ParseError{Msg: "the input is empty"}
	}
	rest := raw
	lineNo := 0
	readLine := func() (string, bool) {
		i := bytes.IndexByte(rest, '\n')
		if i < 0 {
			line := string(rest)
			rest = nil
			lineNo++
			return strings.TrimSuffix(line, "\r"), false
		}
		line := string(rest[:i])
		rest = rest[i+1:]
		lineNo++
		return strings.TrimSuffix(line, "\r"), true
	}
	// Tolerate blank lines before the request line, as RFC 9112 2.2 allows.
	var first string
	for {
		l, more := readLine()
		if l != "" || !more {
			first = l
			break
		}
	}
	if len(raw)-len(rest) > MaxHeadBytes {
		return nil, 0, &ParseError{Msg: fmt.Sprintf("request head is longer than %d bytes", MaxHeadBytes)}
	}
	method, target, proto, err := parseRequestLine(first)
	if err != nil {
		return nil, 0, &ParseError{Line: lineNo, Msg: err.Error()}
	}
	req := &Request{Method: method, Target: target, Proto: proto}
	for rest != nil {
		if len(raw)-len(rest) > MaxHeadBytes {
			return nil, 0, &ParseError{Msg: fmt.Sprintf("request head is longer than %d bytes", MaxHeadBytes)}
		}
		l, more := readLine()
		if l == "" {
			break
		}
		if l[0] == ' ' || l[0] == '\t' {
			// obs-fold (RFC 9112 5.2): a continuation of the previous value.
			if len(req.Header) == 0 {
				return nil, 0, &ParseError{Line: lineNo, Msg: "continuation line before any header"}
			}
			last := &req.Header[len(req.Header)-1]
			last.Value = strings.TrimSpace(last.Value + " " + strings.TrimSpace(l))
			continue
		}
		colon := strings.IndexByte(l, ':')
		if colon <= 0 {
			return nil, 0, &ParseError{Line: lineNo, Msg: fmt.Sprintf("header line without \"name: value\": %q", text.Clip(l, 80))}
		}
		name := l[:colon]
		if !validToken(name) {
			return nil, 0, &ParseError{Line: lineNo, Msg: fmt.Sprintf("invalid header name %q", text.Clip(name, 80))}
		}
		req.Header = append(req.Header, Field{Name: name, Value: strings.Trim(l[colon+1:], " \t")})
		if !more {
			break
		}
	}
	extra, err := readBody(req, raw, rest)
	if err != nil {
		return nil, 0, err
	}
	return req, extra, nil
}

func parseRequestLine(l string) (method, target, proto string, err error) {
	parts := strings.Split(l, " ")
	if len(parts) == 2 {
		// "GET /path" without a version, as often pasted; assume HTTP/1.1.
		parts = append(parts, "HTTP/1.1")
	}
	if len(parts) != 3 {
		return "", "", "", fmt.Errorf("request line %q is not \"METHOD TARGET HTTP/1.1\"", text.Clip(l, 80))
	}
	method, target, proto = parts[0], parts[1], parts[2]
	if !validToken(method) {
		return "", "", "", fmt.Errorf("invalid method %q", text.Clip(method, 80))
	}
	if target == "" || (target[0] != '/' && target != "*" && !strings.Contains(target, "://")) {
		return "", "", "", fmt.Errorf("request target %q is neither a path nor an absolute URL", text.Clip(target, 80))
	}
	if !strings.HasPrefix(proto, "HTTP/") {
		return "", "", "", fmt.Errorf("protocol %q is not HTTP/x.y", text.Clip(proto, 80))
	}
	return method, target, proto, nil
}

// IsToken reports whether s is an RFC 9110 token (§5.6.2): one or more
// tchar, which is what a method and a header name must be.
func IsToken(s string) bool { return validToken(s) }

func validToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte("\"(),/:;<=>?@[\\]{}", c) >= 0 {
			return false
		}
	}
	return true
}

// Values returns every value of the header, matched case-insensitively, in
// message order.
func (r *Request) Values(name string) []string {
	var out []string
	for _, f := range r.Header {
		if strings.EqualFold(f.Name, name) {
			out = append(out, f.Value)
		}
	}
	return out
}

// Get returns the first value of the header or "".
func (r *Request) Get(name string) string {
	for _, f := range r.Header {
		if strings.EqualFold(f.Name, name) {
			return f.Value
		}
	}
	return ""
}

// Has reports whether the header is present at all (even with an empty value).
func (r *Request) Has(name string) bool {
	for _, f := range r.Header {
		if strings.EqualFold(f.Name, name) {
			return true
		}
	}
	return false
}

// Set replaces every occurrence of the header with one line, kept at the
// position of the first occurrence or appended.
func (r *Request) Set(name, value string) {
	out := r.Header[:0]
	done := false
	for _, f := range r.Header {
		if strings.EqualFold(f.Name, name) {
			if !done {
				out = append(out, Field{Name: name, Value: value})
				done = true
			}
			continue
		}
		out = append(out, f)
	}
	r.Header = out
	if !done {
		r.Header = append(r.Header, Field{Name: name, Value: value})
	}
}

// Del removes every occurrence of the header.
func (r *Request) Del(name string) {
	out := r.Header[:0]
	for _, f := range r.Header {
		if !strings.EqualFold(f.Name, name) {
			out = append(out, f)
		}
	}
	r.Header = out
}

// Path returns the request target in origin-form (path and query), which is
// what (request-target) signs, even when the message used absolute-form.
func (r *Request) Path() string {
	if strings.Contains(r.Target, "://") {
		if u, err := url.Parse(r.Target); err == nil {
			p := u.EscapedPath()
			if p == "" {
				p = "/"
			}
			if u.RawQuery != "" {
				p += "?" + u.RawQuery
			}
			return p
		}
	}
	return r.Target
}

// Clone returns a deep copy.
func (r *Request) Clone() *Request {
	c := *r
	c.Header = append([]Field(nil), r.Header...)
	c.Body = append([]byte(nil), r.Body...)
	c.Warnings = append([]string(nil), r.Warnings...)
	c.Framed = append([]byte(nil), r.Framed...)
	return &c
}

// WriteTo writes the message in HTTP/1.1 wire form (CRLF line endings).
func (r *Request) WriteTo(w io.Writer) (int64, error) {
	var b bytes.Buffer
	proto := r.Proto
	if proto == "" {
		proto = "HTTP/1.1"
	}
	fmt.Fprintf(&b, "%s %s %s\r\n", r.Method, r.Target, proto)
	for _, f := range r.Header {
		fmt.Fprintf(&b, "%s: %s\r\n", f.Name, f.Value)
	}
	b.WriteString("\r\n")
	if r.IsChunked() {
		// The header promises chunks: Body is the content, so frame it
		// again, in one chunk, or the message would lie about its length.
		if len(r.Body) > 0 {
			fmt.Fprintf(&b, "%x\r\n", len(r.Body))
			b.Write(r.Body)
			b.WriteString("\r\n")
		}
		b.WriteString("0\r\n\r\n")
	} else {
		b.Write(r.Body)
	}
	return b.WriteTo(w)
}

// FromHTTP converts a net/http request, reading (and restoring) its body.
// Header order is not known for net/http requests; names are sorted so the
// result is stable.
func FromHTTP(req *http.Request) (*Request, error) {
	var body []byte
	if req.Body != nil && req.Body != http.NoBody {
		b, err := io.ReadAll(req.Body)
		if err != nil {
			return nil, fmt.Errorf("reading request body: %w", err)
		}
		_ = req.Body.Close()
		body = b
		req.Body = io.NopCloser(bytes.NewReader(b))
		req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }
		req.ContentLength = int64(len(b))
	}
	if req.URL == nil {
		return nil, errors.New("request has no URL")
	}
	target := req.URL.RequestURI()
	m := &Request{Method: req.Method, Target: target, Proto: "HTTP/1.1", Body: body}
	if m.Method == "" {
		m.Method = http.MethodGet
	}
	host := req.Host
	if host == "" {
		host = req.URL.Host
	}
	if host != "" {
		m.Header = append(m.Header, Field{Name: "Host", Value: host})
	}
	for _, name := range slices.Sorted(maps.Keys(req.Header)) {
		for _, v := range req.Header[name] {
			m.Header = append(m.Header, Field{Name: name, Value: v})
		}
	}
	return m, nil
}
