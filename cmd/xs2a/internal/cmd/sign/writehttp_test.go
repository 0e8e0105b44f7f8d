package sign

import (
	"bytes"
	"strings"
	"testing"

	"github.com/xs2a-dev/xs2a/pkg/httpmsg"
)

// A request file with terminal sequences: into a pipe the message stays
// byte for byte (sign verify - reads it), on a terminal it is escaped.
func TestWriteHTTPEscapesOnlyForATerminal(t *testing.T) {
	raw := "POST /v1/consents\x1b]52;c;ZXZpbA==\x07 HTTP/1.1\r\nHost: bank.example\r\nX-Note: ok\x1b[2K\r\nContent-Length: 7\r\n\r\n{\"a\":1}"
	m, err := httpmsg.Parse([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	var pipe, tty bytes.Buffer
	if err := writeHTTP(&pipe, m, false); err != nil {
		t.Fatal(err)
	}
	if err := writeHTTP(&tty, m, true); err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(pipe.Bytes(), []byte("\x1b]52;")) || !bytes.Contains(pipe.Bytes(), []byte("\r\n")) {
		t.Errorf("the piped message is not byte for byte:\n%q", pipe.String())
	}
	got := tty.String()
	if strings.ContainsAny(got, "\x1b\x07\r") {
		t.Errorf("the terminal gets control characters:\n%q", got)
	}
	for _, want := range []string{`\x1b]52;c;ZXZpbA==\x07`, `ok\x1b[2K`, "Host: bank.example\n"} {
		if !strings.Contains(got, want) {
			t.Errorf("the terminal output lacks %q:\n%s", want, got)
		}
	}
}
