package httpmsg

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"

	"github.com/xs2a-dev/xs2a/pkg/text"
)

// maxChunkLine bounds a chunk-size line with its extensions, as net/http
// does, so a line of extensions cannot hide megabytes of non-content.
const maxChunkLine = 4096

// readBody sets req.Body and req.Framing from the bytes after the head
// (rest, which starts at offset len(raw)-len(rest) of raw) the way RFC 9112
// §6.3 orders it, and returns how many bytes followed the body.
func readBody(req *Request, raw, rest []byte) (int, error) {
	te := req.Values("Transfer-Encoding")
	cls := req.Values("Content-Length")
	switch {
	case len(te) > 0:
		if req.Proto == "HTTP/1.0" {
			return 0, &ParseError{Msg: "Transfer-Encoding in an HTTP/1.0 request: HTTP/1.0 has no chunked framing, so a server cannot tell where the body ends (RFC 9112 §6.1); send HTTP/1.1 or Content-Length"}
		}
		if len(cls) > 0 {
			// RFC 9112 §6.3: Transfer-Encoding overrides Content-Length,
			// but the pair "ought to be handled as an error" because it is
			// how requests are smuggled past a proxy that reads the other
			// one. A bank's gateway may refuse it, and which body the
			// Digest covers is ambiguous, so xs2a refuses too.
			return 0, &ParseError{Msg: "both Content-Length and Transfer-Encoding: a server reading one and a proxy reading the other see different bodies (request smuggling, RFC 9112 §6.3), so banks' gateways refuse it; remove Content-Length"}
		}
		var codings []string
		for _, v := range te {
			for _, c := range strings.Split(v, ",") {
				if c = strings.Trim(c, " \t"); c != "" {
					codings = append(codings, c)
				}
			}
		}
		if len(codings) == 0 || !strings.EqualFold(codings[len(codings)-1], "chunked") {
			return 0, &ParseError{Msg: fmt.Sprintf("Transfer-Encoding %q does not end in chunked, so the body's length cannot be known (RFC 9112 §6.3)", text.Clip(strings.Join(te, ", "), 80))}
		}
		if len(codings) > 1 {
			return 0, &ParseError{Msg: fmt.Sprintf("Transfer-Encoding %q applies codings besides chunked; xs2a reads chunked alone, as net/http does", text.Clip(strings.Join(te, ", "), 80))}
		}
		base := len(raw) - len(rest)
		body, after, warns, err := dechunk(rest, base)
		if err != nil {
			return 0, err
		}
		req.Body, req.Framing = body, FramingChunked
		req.Framed = append([]byte(nil), rest[:len(rest)-len(after)]...)
		req.Warnings = append(req.Warnings, warns...)
		return len(after), nil
	case len(cls) > 0:
		for _, v := range cls[1:] {
			if v != cls[0] {
				return 0, &ParseError{Msg: fmt.Sprintf("Content-Length appears with different values (%q, %q): a server cannot know the body's length (RFC 9112 §6.3)", text.Clip(cls[0], 80), text.Clip(v, 80))}
			}
		}
		n, ok := parseLength(cls[0])
		if !ok {
			return 0, &ParseError{Msg: fmt.Sprintf("Content-Length %q is not a non-negative number", text.Clip(cls[0], 80))}
		}
		if n > int64(len(rest)) {
			return 0, &ParseError{Msg: fmt.Sprintf("Content-Length says %d bytes but the body has only %d", n, len(rest))}
		}
		req.Body, req.Framing = append([]byte(nil), rest[:n]...), FramingContentLength
		return len(rest) - int(n), nil
	case len(rest) > 0:
		req.Body, req.Framing = append([]byte(nil), rest...), FramingToEnd
		req.Warnings = append(req.Warnings, fmt.Sprintf("no Content-Length and no Transfer-Encoding: the %d byte(s) after the head are read as the body, but a server reads such a request as having none (RFC 9112 §6.3); send Content-Length: %d", len(rest), len(rest)))
	}
	return 0, nil
}

// parseLength reads a Content-Length value: decimal digits only (no sign,
// no spaces inside), as RFC 9110 §8.6 writes it.
func parseLength(v string) (int64, bool) {
	v = strings.Trim(v, " \t")
	if v == "" || len(v) > 18 {
		return 0, false
	}
	for i := 0; i < len(v); i++ {
		if v[i] < '0' || v[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseInt(v, 10, 64)
	return n, err == nil
}

// dechunk decodes a chunked body (RFC 9112 §7.1) from b, whose first byte is
// at offset base of the input, so errors name the offset a user can find in
// the file. Extensions are read and ignored; so are trailer fields, which a
// signature cannot cover, with a warning. Line ends must be CRLF, as net/http
// requires since a bare LF in chunk framing is a smuggling vector (RFC 9112
// errata 7633). It returns the content and the bytes after the chunked body.
func dechunk(b []byte, base int) (body, after []byte, warnings []string, err error) {
	fail := func(pos int, format string, args ...any) ([]byte, []byte, []string, error) {
		return nil, nil, nil, &ParseError{Msg: fmt.Sprintf("chunked body: at byte offset %d: ", base+pos) + fmt.Sprintf(format, args...)}
	}
	pos := 0
	// line returns the line starting at pos without its CRLF, and the
	// position after it.
	line := func(what string) (string, int, error) {
		i := bytes.IndexByte(b[pos:], '\n')
		if i < 0 {
			_, _, _, err := fail(pos, "the input ends inside %s (a chunked body ends with a 0-size chunk and a blank line)", what)
			return "", 0, err
		}
		l := b[pos : pos+i]
		if i > maxChunkLine {
			_, _, _, err := fail(pos, "%s is longer than %d bytes", what, maxChunkLine)
			return "", 0, err
		}
		if len(l) == 0 || l[len(l)-1] != '\r' {
			_, _, _, err := fail(pos, "%s ends in a bare LF, not CRLF: chunk framing needs CRLF (RFC 9112 §7.1; was the file's line ends converted by an editor?)", what)
			return "", 0, err
		}
		l = l[:len(l)-1]
		if j := bytes.IndexByte(l, '\r'); j >= 0 {
			_, _, _, err := fail(pos+j, "a CR inside %s", what)
			return "", 0, err
		}
		return string(l), pos + i + 1, nil
	}
	chunks := 0
	for {
		l, next, err := line("a chunk-size line")
		if err != nil {
			return nil, nil, nil, err
		}
		size, ext, _ := strings.Cut(l, ";")
		size = strings.TrimRight(size, " \t") // BWS before the extensions
		if size == "" || len(size) > 16 || strings.Trim(size, "0123456789abcdefABCDEF") != "" {
			return fail(pos, "%q is not a chunk size (1 to 16 hex digits)", text.Clip(size, 80))
		}
		for i := 0; i < len(ext); i++ {
			if c := ext[i]; (c < ' ' && c != '\t') || c == 0x7f {
				return fail(pos+len(size)+1+i, "a control character in a chunk extension")
			}
		}
		n, _ := strconv.ParseUint(size, 16, 64)
		at := pos
		pos = next
		if n == 0 {
			break
		}
		if n > uint64(len(b)-pos) {
			return fail(at, "the chunk size %s says %d bytes but only %d follow", size, n, len(b)-pos)
		}
		body = append(body, b[pos:pos+int(n)]...)
		pos += int(n)
		if !bytes.HasPrefix(b[pos:], []byte("\r\n")) {
			return fail(pos, "the chunk's %d bytes (size %s at byte offset %d) are not followed by CRLF: the size does not match the data", n, size, base+at)
		}
		pos += 2
		chunks++
	}
	var trailers []string
	start := pos
	for {
		if pos == len(b) {
			warnings = append(warnings, "the chunked body is not closed by a blank line after the 0-size chunk (RFC 9112 §7.1); a server waits for it")
			break
		}
		l, next, err := line("a trailer line")
		if err != nil {
			return nil, nil, nil, err
		}
		if next-start > MaxHeadBytes {
			return fail(pos, "the trailer section is longer than %d bytes", MaxHeadBytes)
		}
		if l == "" {
			pos = next
			break
		}
		name, _, ok := strings.Cut(l, ":")
		if !ok || !validToken(name) {
			return fail(pos, "trailer line %q is not \"name: value\"", text.Clip(l, 80))
		}
		trailers = append(trailers, name)
		pos = next
	}
	if len(trailers) > 0 {
		warnings = append(warnings, fmt.Sprintf("the chunked body's trailer field(s) %s are ignored: a signature covers header fields only", strings.Join(trailers, ", ")))
	}
	return body, b[pos:], warnings, nil
}

// IsChunked reports whether the header frames the body with
// Transfer-Encoding: chunked.
func (r *Request) IsChunked() bool {
	te := r.Values("Transfer-Encoding")
	if len(te) == 0 {
		return false
	}
	codings := strings.Split(te[len(te)-1], ",")
	return strings.EqualFold(strings.Trim(codings[len(codings)-1], " \t"), "chunked")
}

// UseContentLength replaces Transfer-Encoding with a Content-Length of the
// content, at the place of the first Transfer-Encoding line, so the message
// WriteTo writes carries the content as one plain body: what `xs2a sign`
// writes, since every server and tool reads that alike.
func (r *Request) UseContentLength() {
	out := r.Header[:0]
	done := false
	for _, f := range r.Header {
		if strings.EqualFold(f.Name, "Transfer-Encoding") || strings.EqualFold(f.Name, "Content-Length") {
			if !done && strings.EqualFold(f.Name, "Transfer-Encoding") {
				out = append(out, Field{Name: "Content-Length", Value: strconv.Itoa(len(r.Body))})
				done = true
			}
			continue
		}
		out = append(out, f)
	}
	r.Header = out
	if !done {
		r.Set("Content-Length", strconv.Itoa(len(r.Body)))
	}
	r.Framing, r.Framed = FramingContentLength, nil
}
