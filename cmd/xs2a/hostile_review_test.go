package main_test

import (
	"strconv"
	"testing"
)

// A curl command is printed to be read and pasted: a request file's ESC,
// OSC (52 sets the clipboard the user pastes from next), CR or C1 in it
// would be obeyed by the terminal, and escaping them would change what
// curl sends. So such a request is refused as curl, with the way out;
// newlines and tabs in the body are kept, as single quotes keep them.
func TestSignCurlRefusesTerminalControls(t *testing.T) {
	dir := t.TempDir()
	osc52 := "\x1b]52;c;cm0gLXJmIH4K\x07"
	req := func(header, body string) string {
		return "POST /v1/consents HTTP/1.1\r\nHost: bank.example\r\nX-Evil: " + header + "\r\nContent-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n" + body
	}
	for name, raw := range map[string]string{
		"OSC 52 in a header":  req(osc52, "{}"),
		"OSC 52 in the body":  req("x", "{\"a\":\""+osc52+"\"}"),
		"a lone CR in a body": req("x", "{\"a\":1}\r{\"ok\":true}"),
		"C1 CSI in a header":  req("\u009b2J", "{}"),
		"bidi in the target":  "GET /v1/accounts?x=\u202e HTTP/1.1\r\nHost: bank.example\r\n\r\n",
	} {
		r := signCurl(t, dir, raw)
		noRawControls(t, name, r.stdout+r.stderr)
		oneErrorLine(t, name, r, 2, "control character", "--format http")
	}
	// A multi-line JSON body with tabs (and CRLF line ends) is fine.
	r := signCurl(t, dir, req("x", "{\r\n\t\"a\": 1\n}"))
	if r.code != 0 {
		t.Errorf("a body with newlines and tabs: exit %d %s", r.code, r.stderr)
	}
}
