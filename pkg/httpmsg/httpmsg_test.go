package httpmsg

import (
	"bytes"
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestParseCases(t *testing.T) {
	consent := `{"access":{"allPsd2":"allAccounts"}}`
	tests := []struct {
		name   string
		raw    string
		method string
		target string
		proto  string
		header []Field
		body   string
		extra  int
	}{
		{name: "CRLF head",
			raw:    "POST /v1/consents HTTP/1.1\r\nHost: api.example.com\r\nContent-Type: application/json\r\nContent-Length: 36\r\n\r\n" + consent,
			method: "POST", target: "/v1/consents", proto: "HTTP/1.1",
			header: []Field{{"Host", "api.example.com"}, {"Content-Type", "application/json"}, {"Content-Length", "36"}},
			body:   consent},
		{name: "LF head",
			raw:    "POST /v1/consents HTTP/1.1\nHost: api.example.com\nX-Request-ID: 99391c7e-ad88-49ec-a2ad-99ddcb1f7721\n\n" + consent,
			method: "POST", target: "/v1/consents", proto: "HTTP/1.1",
			header: []Field{{"Host", "api.example.com"}, {"X-Request-ID", "99391c7e-ad88-49ec-a2ad-99ddcb1f7721"}},
			body:   consent},
		{name: "no Content-Length keeps the trailing newline",
			raw:    "POST /v1/consents HTTP/1.1\nHost: h\n\n" + consent + "\n",
			method: "POST", target: "/v1/consents", proto: "HTTP/1.1", header: []Field{{"Host", "h"}}, body: consent + "\n"},
		{name: "Content-Length cuts an editor's trailing newline",
			raw:    "POST /v1/consents HTTP/1.1\nContent-Length: 36\n\n" + consent + "\n",
			method: "POST", target: "/v1/consents", proto: "HTTP/1.1", header: []Field{{"Content-Length", "36"}}, body: consent, extra: 1},
		{name: "Content-Length cuts more",
			raw:    "POST /x HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}\r\n\r\n",
			method: "POST", target: "/x", proto: "HTTP/1.1", header: []Field{{"Content-Length", "2"}}, body: "{}", extra: 4},
		{name: "Content-Length zero",
			raw:    "POST /x HTTP/1.1\r\nContent-Length:  0 \r\n\r\n\r\n",
			method: "POST", target: "/x", proto: "HTTP/1.1", header: []Field{{"Content-Length", "0"}}, body: "", extra: 2},
		{name: "request line without version",
			raw:    "GET /v1/accounts?withBalance=true\nConsent-ID: c-1\n",
			method: "GET", target: "/v1/accounts?withBalance=true", proto: "HTTP/1.1", header: []Field{{"Consent-ID", "c-1"}}},
		{name: "absolute-form target and HTTP/1.0",
			raw:    "GET https://api.example.com/v1/accounts HTTP/1.0\r\n\r\n",
			method: "GET", target: "https://api.example.com/v1/accounts", proto: "HTTP/1.0"},
		{name: "obs-fold",
			raw:    "GET / HTTP/1.1\r\nX-Long: first\r\n   second\r\n\tthird\r\nHost: h\r\n\r\n",
			method: "GET", target: "/", proto: "HTTP/1.1", header: []Field{{"X-Long", "first second third"}, {"Host", "h"}}},
		{name: "blank lines before the request line",
			raw:    "\r\n\nGET / HTTP/1.1\r\nHost: h\r\n\r\n",
			method: "GET", target: "/", proto: "HTTP/1.1", header: []Field{{"Host", "h"}}},
		{name: "spelling, order, repeats and empty values kept",
			raw:    "GET / HTTP/1.1\r\nx-request-id: a\r\nCache-Control: max-age=60\r\nX-Empty:\r\ncache-control:  must-revalidate\t\r\n\r\n",
			method: "GET", target: "/", proto: "HTTP/1.1",
			header: []Field{{"x-request-id", "a"}, {"Cache-Control", "max-age=60"}, {"X-Empty", ""}, {"cache-control", "must-revalidate"}}},
		{name: "head without a final newline",
			raw:    "DELETE /v1/consents/c-1 HTTP/1.1\r\nHost: h",
			method: "DELETE", target: "/v1/consents/c-1", proto: "HTTP/1.1", header: []Field{{"Host", "h"}}},
		{name: "colon in the value",
			raw:    "GET / HTTP/1.1\nTPP-Redirect-URI: https://tpp.example/cb?x=1:2\n\n",
			method: "GET", target: "/", proto: "HTTP/1.1", header: []Field{{"TPP-Redirect-URI", "https://tpp.example/cb?x=1:2"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, extra, err := ParseWithExtra([]byte(tt.raw))
			if err != nil {
				t.Fatal(err)
			}
			if m.Method != tt.method || m.Target != tt.target || m.Proto != tt.proto {
				t.Errorf("request line = %q %q %q; want %q %q %q", m.Method, m.Target, m.Proto, tt.method, tt.target, tt.proto)
			}
			if !slices.Equal(m.Header, tt.header) {
				t.Errorf("header = %q; want %q", m.Header, tt.header)
			}
			if string(m.Body) != tt.body {
				t.Errorf("body = %q; want %q", m.Body, tt.body)
			}
			if extra != tt.extra {
				t.Errorf("extra = %d; want %d", extra, tt.extra)
			}
			m2, err := Parse([]byte(tt.raw))
			if err != nil || !bytes.Equal(m2.Body, m.Body) {
				t.Errorf("Parse = %v, %v; want the same request as ParseWithExtra", m2, err)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		raw  string
		line int
		msg  string
	}{
		{name: "empty", raw: "", msg: "the input is empty"},
		{name: "only whitespace", raw: " \r\n\t\n", msg: "the input is empty"},
		{name: "invalid header name", raw: "POST / HTTP/1.1\r\nHost: h\r\nBad Name: x\r\n\r\n", line: 3, msg: `invalid header name "Bad Name"`},
		{name: "invalid header name after blank lines", raw: "\n\nGET / HTTP/1.1\nX(y): 1\n", line: 4, msg: `invalid header name "X(y)"`},
		{name: "header without colon", raw: "GET / HTTP/1.1\nHost h\n", line: 2, msg: `header line without "name: value": "Host h"`},
		{name: "header with empty name", raw: "GET / HTTP/1.1\n: v\n", line: 2, msg: "header line without"},
		{name: "continuation before any header", raw: "GET / HTTP/1.1\n folded\n", line: 2, msg: "continuation line before any header"},
		{name: "request line with one word", raw: "GET\n", line: 1, msg: `request line "GET" is not "METHOD TARGET HTTP/1.1"`},
		{name: "request line with double space", raw: "GET  / HTTP/1.1\n", line: 1, msg: "is not \"METHOD TARGET HTTP/1.1\""},
		{name: "invalid method", raw: "G(T / HTTP/1.1\n", line: 1, msg: `invalid method "G(T"`},
		{name: "relative target", raw: "GET v1/accounts HTTP/1.1\n", line: 1, msg: `request target "v1/accounts" is neither a path nor an absolute URL`},
		{name: "not HTTP", raw: "GET / SPDY/3\n", line: 1, msg: `protocol "SPDY/3" is not HTTP/x.y`},
		{name: "Content-Length larger than the body", raw: "POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\n{}", msg: "Content-Length says 10 bytes but the body has only 2"},
		{name: "Content-Length not a number", raw: "POST / HTTP/1.1\r\nContent-Length: ten\r\n\r\n{}", msg: `Content-Length "ten" is not a non-negative number`},
		{name: "Content-Length negative", raw: "POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n{}", msg: `Content-Length "-1" is not a non-negative number`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := Parse([]byte(tt.raw))
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("Parse = %+v, %v; want a *ParseError", m, err)
			}
			if pe.Line != tt.line {
				t.Errorf("line = %d; want %d (%v)", pe.Line, tt.line, err)
			}
			if !strings.Contains(pe.Msg, tt.msg) {
				t.Errorf("message = %q; want it to contain %q", pe.Msg, tt.msg)
			}
			if !strings.HasPrefix(err.Error(), "malformed HTTP request: ") {
				t.Errorf("Error() = %q", err.Error())
			}
		})
	}
}

func TestParseHeadTooLong(t *testing.T) {
	raw := "GET / HTTP/1.1\r\nX-Big: " + strings.Repeat("a", MaxHeadBytes) + "\r\nHost: h\r\n\r\n"
	_, err := Parse([]byte(raw))
	if err == nil || !strings.Contains(err.Error(), "request head is longer than") {
		t.Fatalf("err = %v; want the head-length error", err)
	}
}

func TestRequestHeaderMethods(t *testing.T) {
	m := &Request{Method: "GET", Target: "/", Header: []Field{{"Host", "h"}, {"X-A", "1"}, {"x-a", "2"}, {"X-Empty", ""}}}
	if got := m.Values("X-A"); !slices.Equal(got, []string{"1", "2"}) {
		t.Errorf("Values = %q", got)
	}
	if got := m.Get("x-A"); got != "1" {
		t.Errorf("Get = %q", got)
	}
	if !m.Has("x-empty") || m.Has("X-Missing") {
		t.Errorf("Has wrong")
	}
	m.Set("X-a", "3")
	if want := []Field{{"Host", "h"}, {"X-a", "3"}, {"X-Empty", ""}}; !slices.Equal(m.Header, want) {
		t.Errorf("after Set: %q; want %q", m.Header, want)
	}
	m.Set("Digest", "d")
	m.Del("host")
	if want := []Field{{"X-a", "3"}, {"X-Empty", ""}, {"Digest", "d"}}; !slices.Equal(m.Header, want) {
		t.Errorf("after Set and Del: %q; want %q", m.Header, want)
	}
}

func TestWriteTo(t *testing.T) {
	m := &Request{Method: "POST", Target: "/v1/consents", Header: []Field{{"Host", "h"}, {"x-request-id", "1"}}, Body: []byte("{}")}
	var b bytes.Buffer
	n, err := m.WriteTo(&b)
	want := "POST /v1/consents HTTP/1.1\r\nHost: h\r\nx-request-id: 1\r\n\r\n{}"
	if err != nil || b.String() != want || n != int64(len(want)) {
		t.Errorf("WriteTo = %q, %d, %v; want %q", b.String(), n, err, want)
	}
}

func TestPath(t *testing.T) {
	for target, want := range map[string]string{
		"/v1/accounts?withBalance=true":        "/v1/accounts?withBalance=true",
		"https://api.example.com/v1/a%20b?x=1": "/v1/a%20b?x=1",
		"https://api.example.com":              "/",
		"*":                                    "*",
	} {
		if got := (&Request{Target: target}).Path(); got != want {
			t.Errorf("Path(%q) = %q; want %q", target, got, want)
		}
	}
}
