// Package capture reads HTTP requests from where people copy them: a raw
// HTTP/1.1 message, an HTTP Archive (HAR 1.2, the export of browser devtools,
// Postman and Insomnia) or the "> " lines of curl -v output. Each becomes the
// same *httpmsg.Request the raw reader gives, so the signature doctor judges
// them alike.
package capture

import (
	"bytes"
	"strings"

	"github.com/xs2a-dev/xs2a/pkg/httpmsg"
)

// Format is the kind of input Detect recognised.
type Format string

// The formats read.
const (
	FormatHTTP Format = "http"
	FormatHAR  Format = "har"
	FormatCurl Format = "curl"
)

// Limits: a HAR of a long browser session can be hundreds of megabytes; a
// request the doctor can help with is never that large, so the input is
// refused beyond MaxBytes rather than decoded into several times its size.
const (
	MaxBytes   = 64 << 20
	MaxEntries = 10000
)

// Detect says which format raw is in. A first line that is a request line is
// raw HTTP; a JSON object is a HAR; a "> METHOD target HTTP/x" line among
// others is curl -v output. Anything else is taken as raw HTTP, so that the
// raw reader's error explains what is wrong.
func Detect(raw []byte) Format {
	b := bytes.TrimPrefix(raw, []byte("\xef\xbb\xbf")) // a BOM from Windows editors
	b = bytes.TrimLeft(b, " \t\r\n")
	if len(b) > 0 && b[0] == '{' {
		return FormatHAR
	}
	first, _, _ := bytes.Cut(b, []byte("\n"))
	if isRequestLine(strings.TrimSuffix(string(first), "\r")) {
		return FormatHTTP
	}
	if IsCurlTrace(raw) {
		return FormatCurl
	}
	for _, l := range lines(raw) {
		if rest, ok := strings.CutPrefix(l, "> "); ok && isRequestLine(rest) {
			return FormatCurl
		}
	}
	return FormatHTTP
}

// isRequestLine reports "METHOD TARGET HTTP/x" (or "METHOD TARGET").
func isRequestLine(l string) bool {
	parts := strings.Split(l, " ")
	if len(parts) != 2 && len(parts) != 3 {
		return false
	}
	if !httpmsg.IsToken(parts[0]) || parts[1] == "" {
		return false
	}
	if len(parts) == 3 && !strings.HasPrefix(parts[2], "HTTP/") {
		return false
	}
	t := parts[1]
	if strings.IndexFunc(t, func(r rune) bool { return r <= ' ' || r == 0x7f }) >= 0 {
		return false
	}
	return t[0] == '/' || t == "*" || strings.Contains(t, "://")
}

// lines splits raw at LF and drops a CR before it.
func lines(raw []byte) []string {
	ls := strings.Split(string(raw), "\n")
	for i, l := range ls {
		ls[i] = strings.TrimSuffix(l, "\r")
	}
	return ls
}
