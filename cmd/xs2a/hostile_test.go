package main_test

// A hostile bank of its own (not the sandbox): a loopback TLS server with
// the test CA's server certificate that answers whatever the test wants,
// and a user whose profile points at it, with a PSU token and a consent in
// the state so commands go straight to the API.

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// `xs2a proxy -v` in front of a bank that sends a first part, then waits
// until the proxy's caller has it: the trace must not hold the answer
// back. The answer's status text, headers and body carry terminal escapes;
// the trace on the proxy's stderr shows them escaped.
func TestProxyVerboseStreamsAndEscapes(t *testing.T) {
	first := "line one \x1b]52;c;Y3VybCBldmls\x07 \u009b31m \u202eevil\r\n"
	rest := "line two \x1b[2J\r\x1b[1Afake OK\n"
	callerHasFirst := make(chan struct{})
	bankGaveUp := make(chan struct{})
	srv := hostileBank(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.Header().Set("X-Note", "ok")
		io.WriteString(w, first)
		w.(http.Flusher).Flush()
		select {
		case <-callerHasFirst:
		case <-time.After(5 * time.Second):
			close(bankGaveUp)
		}
		io.WriteString(w, rest)
	}))
	u := hostileUser(t, srv.URL)
	u.t = t
	p := startProxy(t, u, "127.0.0.1", "-v")
	resp, err := http.Get(p.base + "/v1/card-accounts/card-1/transactions")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	got := make([]byte, len(first))
	if _, err := io.ReadFull(resp.Body, got); err != nil {
		t.Fatal(err)
	}
	select {
	case <-bankGaveUp:
		t.Fatal("the first part reached the caller only after the bank gave up waiting: proxy -v buffers the answer")
	default:
	}
	close(callerHasFirst)
	tail, err := io.ReadAll(resp.Body)
	if err != nil || string(got) != first || string(tail) != rest {
		t.Errorf("the caller read %q + %q (%v); want the answer unchanged", got, tail, err)
	}
	p.logged("the -v trace", "< line two ", "GET /v1/card-accounts/card-1/transactions 200 ")
	p.stop()
	log := p.stderr.String()
	for _, c := range []string{"\x1b", "\x07", "\u009b", "\u202e", "\r"} {
		if strings.Contains(log, c) {
			t.Errorf("the proxy's stderr holds the raw %q:\n%s", c, log)
		}
	}
	for _, w := range []string{`< line one \x1b]52;c;Y3VybCBldmls\x07 \u009b31m \u202eevil` + "\n", `< line two \x1b[2J\r\x1b[1Afake OK` + "\n"} {
		if !strings.Contains(log, w) {
			t.Errorf("the trace lacks %q:\n%s", w, log)
		}
	}
}
