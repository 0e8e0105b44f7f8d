package httpmsg

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

const consentJSON = `{"access":{"allPsd2":"allAccounts"}}`

// chunkedSeeds are requests whose body net/http reads; the oracle test and
// the fuzz target both check httpmsg reads the same body.
var chunkedSeeds = []string{
	// As Node's http module sends a JSON body: one chunk, then the last chunk.
	"POST /v1/consents HTTP/1.1\r\nHost: api.example.com\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n24\r\n" + consentJSON + "\r\n0\r\n\r\n",
	// Several chunks, upper-case hex, extensions, a trailer, a bytes after.
	"POST /v1/payments/sepa-credit-transfers HTTP/1.1\r\nHost: h\r\ntransfer-encoding: Chunked\r\n\r\n" +
		"A;name=value\r\n{\"a\":12345\r\n3 ; ext=\"q;d\"\r\n67}\r\n000\r\nX-Trailer: t\r\n\r\nGET / HTTP/1.1\r\n\r\n",
	// An empty chunked body.
	"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
	// Chunk data holding CRLF and a "0\r\n\r\n" of its own.
	"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n7\r\n0\r\n\r\nab\r\n0\r\n\r\n",
}

func TestChunkedBody(t *testing.T) {
	tests := []struct {
		raw      string
		body     string
		extra    int
		warnings []string
	}{
		{raw: chunkedSeeds[0], body: consentJSON},
		{raw: chunkedSeeds[1], body: `{"a":1234567}`, extra: len("GET / HTTP/1.1\r\n\r\n"), warnings: []string{"trailer field(s) X-Trailer are ignored"}},
		{raw: chunkedSeeds[2], body: ""},
		{raw: chunkedSeeds[3], body: "0\r\n\r\nab"},
		{raw: "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n", body: "{}", warnings: []string{"not closed by a blank line"}},
	}
	for i, tt := range tests {
		m, extra, err := ParseWithExtra([]byte(tt.raw))
		if err != nil {
			t.Fatalf("%d: %v", i, err)
		}
		if string(m.Body) != tt.body || extra != tt.extra || m.Framing != FramingChunked {
			t.Errorf("%d: body %q, extra %d, framing %q; want %q, %d, chunked", i, m.Body, extra, m.Framing, tt.body, tt.extra)
		}
		if len(m.Warnings) != len(tt.warnings) {
			t.Errorf("%d: warnings %q; want %d", i, m.Warnings, len(tt.warnings))
		}
		for j, w := range tt.warnings {
			if j < len(m.Warnings) && !strings.Contains(m.Warnings[j], w) {
				t.Errorf("%d: warning %q; want it to contain %q", i, m.Warnings[j], w)
			}
		}
		// The header is kept as written; WriteTo frames the content again.
		if !m.IsChunked() {
			t.Errorf("%d: IsChunked false", i)
		}
		var b bytes.Buffer
		if _, err := m.WriteTo(&b); err != nil {
			t.Fatal(err)
		}
		back, err := http.ReadRequest(bufio.NewReader(&b))
		if err != nil {
			t.Fatalf("%d: net/http cannot read WriteTo's %q: %v", i, b.String(), err)
		}
		if got, _ := io.ReadAll(back.Body); string(got) != tt.body {
			t.Errorf("%d: net/http reads WriteTo's body as %q; want %q", i, got, tt.body)
		}
		m.UseContentLength()
		if m.IsChunked() || m.Get("Content-Length") == "" || m.Framing != FramingContentLength {
			t.Errorf("%d: after UseContentLength: %q, %q", i, m.Header, m.Framing)
		}
		b.Reset()
		m.WriteTo(&b)
		if m2, extra, err := ParseWithExtra(b.Bytes()); err != nil || string(m2.Body) != tt.body || extra != 0 || m2.Framing != FramingContentLength {
			t.Errorf("%d: the Content-Length form %q reads back as %v, %d, %v", i, b.String(), m2, extra, err)
		}
	}
}

func TestUseContentLengthKeepsPlace(t *testing.T) {
	m, err := Parse([]byte("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nDigest: d\r\n\r\n2\r\n{}\r\n0\r\n\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	m.UseContentLength()
	var b bytes.Buffer
	m.WriteTo(&b)
	if want := "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\nDigest: d\r\n\r\n{}"; b.String() != want {
		t.Errorf("got %q; want %q", b.String(), want)
	}
}

func TestBodyFramingErrors(t *testing.T) {
	head := "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
	off := len(head)
	tests := []struct{ raw, msg string }{
		{"POST / HTTP/1.1\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n", "both Content-Length and Transfer-Encoding"},
		{"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n", "HTTP/1.0"},
		{"POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\nxx", `"gzip" does not end in chunked`},
		{"POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", "codings besides chunked"},
		{"POST / HTTP/1.1\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}x", "different values"},
		{"POST / HTTP/1.1\r\nContent-Length: +2\r\n\r\n{}", "not a non-negative number"},
		{head + "zz\r\n", "at byte offset " + strconv.Itoa(off) + `: "zz" is not a chunk size`},
		{head + "12345678901234567\r\n", "not a chunk size"},
		{head + "a\r\n{}\r\n0\r\n\r\n", "at byte offset " + strconv.Itoa(off) + ": the chunk size a says 10 bytes but only 9 follow"},
		{head + "1\r\n{}\r\n0\r\n\r\n", "at byte offset " + strconv.Itoa(off+4) + ": the chunk's 1 bytes"},
		{head + "2\n{}\n0\n\n", "at byte offset " + strconv.Itoa(off) + ": a chunk-size line ends in a bare LF"},
		{head + "2\r\n{}\r\n", "the input ends inside a chunk-size line"},
		{head + "2;a\x01b\r\n{}\r\n0\r\n\r\n", "at byte offset " + strconv.Itoa(off+3) + ": a control character"},
		{head + "0\r\nbad trailer\r\n\r\n", "trailer line"},
		{head + strings.Repeat("0", 5000) + "\r\n\r\n", "longer than 4096 bytes"},
		{head + "2\r\n{}\r\n0\r\n\r", "the input ends inside a trailer line"},
	}
	for _, tt := range tests {
		m, err := Parse([]byte(tt.raw))
		var pe *ParseError
		if !errors.As(err, &pe) || !strings.Contains(err.Error(), tt.msg) {
			t.Errorf("Parse(%q) = %v, %v; want an error containing %q", tt.raw, m, err, tt.msg)
		}
	}
}

func TestToEndWarning(t *testing.T) {
	m, err := Parse([]byte("POST /x HTTP/1.1\nHost: h\n\n{}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if m.Framing != FramingToEnd || string(m.Body) != "{}\n" || len(m.Warnings) != 1 || !strings.Contains(m.Warnings[0], "send Content-Length: 3") {
		t.Errorf("framing %q body %q warnings %q", m.Framing, m.Body, m.Warnings)
	}
	m, err = Parse([]byte("GET /x HTTP/1.1\r\nHost: h\r\n\r\n"))
	if err != nil || m.Framing != FramingNone || len(m.Warnings) != 0 {
		t.Errorf("a request without body: %v %v", m, err)
	}
}

// TestBodyAgreesWithNetHTTP is the oracle: for every seed net/http reads,
// httpmsg reads the same body, except that a body without any framing is
// read to the end with a warning, where a server reads none.
func TestBodyAgreesWithNetHTTP(t *testing.T) {
	for _, s := range append(append([]string{}, fzSeeds...), chunkedSeeds...) {
		checkAgainstNetHTTP(t, []byte(s))
	}
}

func checkAgainstNetHTTP(t *testing.T, raw []byte) {
	t.Helper()
	hr, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(raw)))
	if err != nil {
		return
	}
	want, err := io.ReadAll(hr.Body)
	if err != nil {
		return // net/http accepted the head but not the body
	}
	m, err := Parse(raw)
	if err != nil {
		var pe *ParseError
		if !errors.As(err, &pe) || pe.Msg == "" {
			t.Fatalf("Parse(%q): an error that names nothing: %v", raw, err)
		}
		return
	}
	if m.Framing == FramingToEnd && len(want) == 0 && len(m.Warnings) > 0 {
		return // documented: read to the end, with a warning
	}
	if !bytes.Equal(m.Body, want) {
		t.Fatalf("Parse(%q): body %q; net/http reads %q", raw, m.Body, want)
	}
}

func FuzzBodyAgainstNetHTTP(f *testing.F) {
	for _, s := range append(append([]string{}, fzSeeds...), chunkedSeeds...) {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		checkAgainstNetHTTP(t, raw)
	})
}
