package capture

import (
	"errors"
	"fmt"
	"strings"

	"github.com/xs2a-dev/xs2a/pkg/httpmsg"
	"github.com/xs2a-dev/xs2a/pkg/text"
)

// Curl is the request read from curl -v output.
type Curl struct {
	// Request has the head curl printed and no body: curl -v does not show
	// the body it sends.
	Request *httpmsg.Request
	// Requests is how many requests the output shows (-L follows redirects,
	// several URLs send several); Request is the first.
	Requests int
}

// ErrCurlTrace is returned for curl --trace/--trace-ascii output, which
// shows the request as hex dumps that are not read.
var ErrCurlTrace = errors.New("this is curl --trace output, which is not read; run curl -v instead and give its \"> \" lines")

// IsCurlTrace reports curl --trace or --trace-ascii output.
func IsCurlTrace(raw []byte) bool {
	for _, l := range lines(raw) {
		if strings.HasPrefix(l, "=> Send header") || strings.HasPrefix(l, "== Info:") {
			return true
		}
	}
	return false
}

// ParseCurl reads the request head from curl -v output: the lines that start
// with "> ", up to the first "> " line that is empty. Lines starting with
// "* " (curl's notes), "< " (the response) and anything else are ignored.
func ParseCurl(raw []byte) (*Curl, error) {
	if len(raw) > MaxBytes {
		return nil, fmt.Errorf("the input is larger than %d MiB", MaxBytes>>20)
	}
	if IsCurlTrace(raw) {
		return nil, ErrCurlTrace
	}
	c := &Curl{}
	var head []string
	in := false
	for _, l := range lines(raw) {
		rest, ok := strings.CutPrefix(l, ">")
		if !ok {
			continue
		}
		rest = strings.TrimPrefix(rest, " ")
		if !in {
			if isRequestLine(rest) {
				c.Requests++
				if c.Requests == 1 {
					in = true
					head = append(head, rest)
				}
			}
			continue
		}
		if rest == "" {
			in = false
			continue
		}
		head = append(head, rest)
	}
	if c.Requests == 0 {
		return nil, errors.New("no \"> METHOD /path HTTP/x\" line: curl -v prints the request it sends on lines starting with \"> \"")
	}
	req, err := parseHead(head)
	if err != nil {
		return nil, err
	}
	c.Request = req
	return c, nil
}

// parseHead reads a request line and "Name: value" lines. It is not
// httpmsg.Parse because curl shows no body, so Content-Length and
// Transfer-Encoding describe bytes that are not there.
func parseHead(head []string) (*httpmsg.Request, error) {
	parts := strings.Split(head[0], " ")
	if len(parts) == 2 {
		parts = append(parts, "HTTP/1.1")
	}
	req := &httpmsg.Request{Method: parts[0], Target: parts[1], Proto: parts[2]}
	for i, l := range head[1:] {
		name, value, ok := strings.Cut(l, ":")
		if !ok || !httpmsg.IsToken(name) {
			return nil, fmt.Errorf("curl -v request line %d is not \"Name: value\": %q", i+2, text.Clip(l, 80))
		}
		if strings.ContainsRune(value, '\r') {
			return nil, fmt.Errorf("curl -v request line %d has a carriage return inside it", i+2)
		}
		req.Header = append(req.Header, httpmsg.Field{Name: name, Value: strings.Trim(value, " \t")})
	}
	return req, nil
}
