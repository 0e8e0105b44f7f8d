package main_test

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/xs2a-dev/xs2a/pkg/sandbox"
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

// sandbox why stops at a redirect like every other step, and says so:
// the Location and the fix, not only "answered 302".
func TestHostileBankWhyRedirect(t *testing.T) {
	b := startBank(t, sandbox.Options{RatePerSecond: -1, RatePerDay: -1})
	h := startHostile(t, b)
	h.mux.Handle("/", redirectTo(http.StatusFound, h.plain.URL+"/why"))
	u := h.user(t, nil)
	r := u.run("sandbox", "why", "00000000-0000-4000-8000-000000000000")
	oneErrorLine(t, "sandbox why", r, 3, "answered 302", h.plain.URL+"/why", "xs2a follows no redirect", "base_url")
	h.nothingCaught(t)
}

// A scaOAuth link on a foreign host with a C1 CSI and a right-to-left
// override in its name: consent create's warning names it escaped.
func TestHostileBankLinkHostIsEscaped(t *testing.T) {
	b := startBank(t, sandbox.Options{RatePerSecond: -1, RatePerDay: -1})
	h := startHostile(t, b)
	link := "https://ev\u009b31mil\u202eelpmaxe.knab/.well-known/oauth-authorization-server"
	h.mux.HandleFunc("/v1/consents", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		_ = json.NewEncoder(w).Encode(map[string]any{"consentId": "cns-9", "consentStatus": "received",
			"_links": map[string]any{"scaOAuth": map[string]string{"href": link}}})
	})
	u := h.user(t, nil)
	authorizedState(t, u)
	r := u.must("consent", "create")
	noRawControls(t, "consent create", r.stdout+r.stderr)
	if !strings.Contains(r.stderr, "warning: refused to follow the scaOAuth link") {
		t.Errorf("no warning:\n%s", r.stderr)
	}
}

// A token endpoint (or a debugging gateway before it) that echoes the
// request in its error answer would put the refresh token, the code and
// verifier, the client secret (or its Basic credentials) into the error
// line, which a CI log keeps: they are redacted from it.
func TestHostileBankEchoedSecretsLeaveNoTrace(t *testing.T) {
	b := startBank(t, sandbox.Options{RatePerSecond: -1, RatePerDay: -1})
	h := startHostile(t, b)
	h.mux.HandleFunc("/oauth/token", func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		_ = json.NewEncoder(w).Encode(map[string]string{"error": "invalid_request",
			"error_description": "bad request: " + r.PostForm.Encode() + " with " + r.Header.Get("Authorization")})
	})
	u := h.user(t, nil)
	authorizedState(t, u)
	code, verifier := "the-code-123456", strings.Repeat("v", 43)
	for _, args := range [][]string{{"token", "refresh"}, {"token"},
		{"token", "exchange", "--code", code, "--verifier", verifier, "--redirect-uri", "http://127.0.0.1:1/cb"}} {
		r := u.run(args...)
		oneErrorLine(t, strings.Join(args, " "), r, 4, "invalid_request", "[redacted sha256:")
		for _, secret := range []string{hRefresh, hClientSecret, code, verifier, "aG9zdGlsZS1jbGllbnQ6Y2xpZW50LXNlY3JldC03ZjNhOWM="} {
			if strings.Contains(r.stderr, secret) {
				t.Errorf("%s: %q is in the error line: %s", args, secret, r.stderr)
			}
		}
	}
}

// An ASPSP that quotes the request in its error ("Bearer ... is not
// known") does not get the PSU's token or the API key into the error line.
func TestHostileBankEchoedTokenNotInErrorLine(t *testing.T) {
	b := startBank(t, sandbox.Options{RatePerSecond: -1, RatePerDay: -1})
	h := startHostile(t, b)
	echo := func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		_ = json.NewEncoder(w).Encode(map[string]any{"tppMessages": []map[string]string{{"category": "ERROR", "code": "TOKEN_INVALID",
			"text": r.Header.Get("Authorization") + " / " + r.Header.Get("X-API-Key") + " is not known"}}})
	}
	h.mux.HandleFunc("/v1/card-accounts", echo)
	h.mux.HandleFunc("/v1/consents", echo)
	u := h.user(t, nil)
	authorizedState(t, u)
	for _, args := range [][]string{{"accounts", "list"}, {"consent", "create"}, {"api", "GET", "/card-accounts"}} {
		r := u.run(args...)
		if r.code != 4 || !strings.Contains(r.stderr, "TOKEN_INVALID") {
			t.Errorf("%s: exit %d %s", args, r.code, r.stderr)
		}
		for _, secret := range []string{hUserToken, hAPIKey, "client-token-x"} {
			if strings.Contains(r.stderr, secret) {
				t.Errorf("%s: %q is in the error line: %s", args, secret, r.stderr)
			}
		}
	}
}

// flow's "reproduce:" line is a command to paste: a resourceId the bank
// chose ("card-1;touch pwned") is one quoted word in it, never a second
// command.
func TestHostileBankFlowReproduceIsOneWord(t *testing.T) {
	needCurl(t)
	b := startBank(t, sandbox.Options{RatePerSecond: -1, RatePerDay: -1})
	h := startHostile(t, b)
	id := "card-1;touch pwned$(touch pwned2)"
	h.mux.HandleFunc("/oauth/token", tokenAnswer(`{"access_token":"at-flow-1","token_type":"Bearer","expires_in":3600,"refresh_token":"rt-flow-1"}`))
	h.mux.HandleFunc("/oauth/authorize", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		http.Redirect(w, r, q.Get("redirect_uri")+"?code=code-flow-1&state="+q.Get("state"), http.StatusFound)
	})
	h.mux.HandleFunc("/v1/consents", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write([]byte(`{"consentId":"cns-flow","consentStatus":"received"}`))
	})
	h.mux.HandleFunc("/v1/card-accounts", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"cardAccounts": []any{map[string]string{"resourceId": id, "maskedPan": "524378******8693"}}})
	})
	h.mux.HandleFunc("/v1/card-accounts/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = w.Write([]byte(`{"tppMessages":[{"category":"ERROR","code":"INTERNAL_SERVER_ERROR"}]}`))
	})
	u := h.user(t, nil)
	script := filepath.Join(u.dir, "browser.sh")
	if err := os.WriteFile(script, []byte("#!/bin/sh\nexec curl -sS --cacert '"+b.file("ca.pem")+"' -L \"$1\" >/dev/null\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	r := u.runEnv([]string{"BROWSER=" + script}, "flow", "--timeout", "20s")
	_, line, ok := strings.Cut(r.stdout, "reproduce: ")
	if !ok {
		t.Fatalf("flow: exit %d, no reproduce line\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	line, _, _ = strings.Cut(line, "\n")
	if !strings.Contains(line, "accounts balances '"+id+"'") {
		t.Errorf("reproduce: %s; want the resourceId as one single-quoted word", line)
	}
}

// A bank answers `xs2a api` with 20 KB of JSON nested 9,999 deep: indented,
// it would take over a gigabyte. The answer is printed as it came.
func TestHostileBankDeepJSONNotIndented(t *testing.T) {
	b := startBank(t, sandbox.Options{RatePerSecond: -1, RatePerDay: -1})
	h := startHostile(t, b)
	deep := strings.Repeat("[", 9999) + strings.Repeat("]", 9999)
	h.mux.HandleFunc("/v1/consents/cns-1/status", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(deep))
	})
	u := h.user(t, nil)
	authorizedState(t, u)
	r := u.must("api", "GET", "/consents/cns-1/status", "--token", "user")
	if r.stdout != deep+"\n" {
		t.Errorf("stdout is %d bytes, want the %d-byte answer as it came", len(r.stdout), len(deep)+1)
	}
}
