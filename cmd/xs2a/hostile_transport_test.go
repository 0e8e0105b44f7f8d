package main_test

// A hostile bank: a loopback TLS server the profile trusts (the bank's CA,
// its server certificate) that answers with redirects, foreign links,
// lying metadata and odd token answers, and catchers on other loopback
// ports (plain http, and https on another port) that record everything
// that reaches them. Every attack runs the built binary; each test
// asserts the exact refusal and that no request, and so no secret,
// reached a secretCatcher.

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/xs2a-dev/xs2a/pkg/sandbox"
)

func TestHostileBankRedirects(t *testing.T) {
	b := startBank(t, sandbox.Options{RatePerSecond: -1, RatePerDay: -1})
	for _, target := range []string{"plain", "tls"} {
		t.Run("token endpoint redirects to "+target, func(t *testing.T) {
			h := startHostile(t, b)
			to := h.plain.URL
			if target == "tls" {
				to = h.tls.URL
			}
			h.mux.Handle("/oauth/token", redirectTo(http.StatusTemporaryRedirect, to+"/steal"))
			u := h.user(t, nil)
			r := u.run("token")
			oneErrorLine(t, "token", r, 4, "answered 307", to+"/steal", "xs2a follows no redirect", "configure the final URL in the profile: token_url")
			h.nothingCaught(t)
		})
	}
	t.Run("refresh token redirected", func(t *testing.T) {
		h := startHostile(t, b)
		h.mux.Handle("/oauth/token", redirectTo(http.StatusPermanentRedirect, h.plain.URL+"/steal"))
		u := h.user(t, nil)
		authorizedState(t, u)
		r := u.run("token", "refresh")
		oneErrorLine(t, "refresh", r, 4, "answered 308", "token_url")
		h.nothingCaught(t)
	})
	t.Run("code exchange redirected", func(t *testing.T) {
		h := startHostile(t, b)
		h.mux.Handle("/oauth/token", redirectTo(http.StatusTemporaryRedirect, h.tls.URL+"/steal"))
		u := h.user(t, nil)
		r := u.run("token", "exchange", "--code", "the-code-123", "--verifier", strings.Repeat("v", 43), "--redirect-uri", "http://127.0.0.1:1/cb")
		oneErrorLine(t, "exchange", r, 4, "answered 307", "token_url")
		h.nothingCaught(t)
	})
	t.Run("API redirects to plain http", func(t *testing.T) {
		h := startHostile(t, b)
		h.mux.Handle("/v1/consents", redirectTo(http.StatusTemporaryRedirect, h.plain.URL+"/v1/consents"))
		u := h.user(t, nil)
		authorizedState(t, u)
		r := u.run("consent", "create")
		oneErrorLine(t, "consent create", r, 3, "answered 307", h.plain.URL+"/v1/consents", "configure the final URL in the profile: base_url")
		h.nothingCaught(t)
	})
	t.Run("api and flow stop at a redirect too", func(t *testing.T) {
		h := startHostile(t, b)
		h.mux.Handle("/v1/card-accounts", redirectTo(http.StatusFound, h.tls.URL+"/v1/card-accounts"))
		h.mux.Handle("/oauth/token", redirectTo(http.StatusTemporaryRedirect, h.plain.URL+"/token"))
		u := h.user(t, nil)
		authorizedState(t, u)
		r := u.run("api", "GET", "/card-accounts", "--token", "user")
		oneErrorLine(t, "api", r, 3, "GET /card-accounts answered 302 Found with a redirect to "+h.tls.URL+"/v1/card-accounts", "base_url")
		r = u.run("flow", "-o", "json")
		if r.code != 4 || !strings.Contains(r.stdout, "configure the final URL in the profile: token_url") {
			t.Errorf("flow: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
		}
		h.nothingCaught(t)
	})
	t.Run("metadata redirects", func(t *testing.T) {
		h := startHostile(t, b)
		h.mux.Handle("/.well-known/oauth-authorization-server", redirectTo(http.StatusFound, h.plain.URL+"/md"))
		u := h.user(t, map[string]string{"token_url": "", "authorize_url": ""})
		r := u.run("token")
		oneErrorLine(t, "discovery", r, 4, "answered 302", h.plain.URL+"/md", "token_url")
		h.nothingCaught(t)
	})
	t.Run("a Location with terminal controls is escaped", func(t *testing.T) {
		h := startHostile(t, b)
		// Go's client refuses C0 controls in a header itself; a C1 CSI
		// (U+009B) and a right-to-left override pass it.
		h.mux.HandleFunc("/oauth/token", func(w http.ResponseWriter, r *http.Request) {
			w.Header()["Location"] = []string{h.plain.URL + "/\u009b31m\u202etxe.lave"}
			w.WriteHeader(http.StatusFound)
		})
		u := h.user(t, nil)
		r := u.run("token")
		oneErrorLine(t, "escaped", r, 4, "answered 302", "token_url")
		if strings.Contains(r.stderr, "\u009b") || strings.Contains(r.stderr, "\u202e") {
			t.Errorf("a terminal control reached the terminal: %q", r.stderr)
		}
		h.nothingCaught(t)
	})
}

// pagingBank answers a transaction page whose next link is next.
func pagingBank(h *hostile, next string) {
	h.mux.HandleFunc("/v1/card-accounts/card-1/transactions", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"cardAccount": map[string]string{"maskedPan": "524378******8693"},
			"cardTransactions": map[string]any{"booked": []any{}, "pending": []any{}, "_links": map[string]any{"next": map[string]string{"href": next}}}})
	})
}

func TestHostileBankLinks(t *testing.T) {
	b := startBank(t, sandbox.Options{RatePerSecond: -1, RatePerDay: -1})
	cases := []struct {
		name string
		next func(h *hostile) string
	}{
		{"plain http", func(h *hostile) string { return h.plain.URL + "/v1/card-accounts/card-1/transactions?page=2" }},
		{"https on another port", func(h *hostile) string { return h.tls.URL + "/v1/card-accounts/card-1/transactions?page=2" }},
		{"protocol-relative", func(h *hostile) string {
			return "//" + strings.TrimPrefix(h.tls.URL, "https://") + "/v1/card-accounts/card-1/transactions?page=2"
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := startHostile(t, b)
			next := tc.next(h)
			pagingBank(h, next)
			u := h.user(t, nil)
			authorizedState(t, u)
			r := u.run("accounts", "transactions", "card-1")
			oneErrorLine(t, "paging", r, 3, "refused", next, "expected "+h.srv.URL, "allowed_origins")
			h.nothingCaught(t)
		})
	}
	t.Run("a foreign scaOAuth link is not handed on", func(t *testing.T) {
		h := startHostile(t, b)
		link := h.plain.URL + "/.well-known/oauth-authorization-server"
		h.mux.HandleFunc("/v1/consents", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusCreated)
			_ = json.NewEncoder(w).Encode(map[string]any{"consentId": "cns-9", "consentStatus": "received",
				"_links": map[string]any{"scaOAuth": map[string]string{"href": link}}})
		})
		u := h.user(t, nil)
		authorizedState(t, u)
		r := u.must("consent", "create")
		if strings.Contains(r.stdout, link) || !strings.Contains(r.stderr, "warning: refused to follow the scaOAuth link "+link) {
			t.Errorf("stdout:\n%s\nstderr:\n%s", r.stdout, r.stderr)
		}
		h.nothingCaught(t)
	})
	t.Run("an origin the profile allows is followed", func(t *testing.T) {
		h := startHostile(t, b)
		pagingBank(h, h.tls.URL+"/v1/card-accounts/card-1/transactions?page=2")
		u := h.user(t, map[string]string{"allowed_origins": h.tls.URL})
		authorizedState(t, u)
		r := u.run("accounts", "transactions", "card-1")
		h.tls.mu.Lock()
		seen := append([]string(nil), h.tls.seen...)
		h.tls.mu.Unlock()
		if len(seen) != 1 || !strings.Contains(seen[0], "page=2") {
			t.Errorf("the allowed origin got %d requests; want the next page (exit %d: %s)", len(seen), r.code, r.stderr)
		}
		h.plain.nothing(t)
	})
}

// metadata serves RFC 8414 metadata with md's members over the defaults.
func (h *hostile) metadata(md map[string]any) {
	full := map[string]any{"issuer": h.srv.URL, "authorization_endpoint": h.srv.URL + "/oauth/authorize",
		"token_endpoint": h.srv.URL + "/oauth/token", "code_challenge_methods_supported": []string{"S256"}}
	for k, v := range md {
		full[k] = v
	}
	h.mux.HandleFunc("/.well-known/oauth-authorization-server", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(full)
	})
}

// recordingBrowser is a $BROWSER that writes its arguments and environment
// to files in the user's directory.
func recordingBrowser(t *testing.T, u *user) (args, env string) {
	t.Helper()
	args, env = filepath.Join(u.dir, "browser-args"), filepath.Join(u.dir, "browser-env")
	script := filepath.Join(u.dir, "record-browser.sh")
	s := "#!/bin/sh\nprintf '%s\\n' \"$@\" > '" + args + "'\nenv > '" + env + "'\n"
	if err := os.WriteFile(script, []byte(s), 0o700); err != nil {
		t.Fatal(err)
	}
	u.env = append(u.env, "BROWSER="+script)
	return args, env
}

func TestHostileBankMetadata(t *testing.T) {
	b := startBank(t, sandbox.Options{RatePerSecond: -1, RatePerDay: -1})
	discover := map[string]string{"token_url": "", "authorize_url": ""}
	t.Run("wrong issuer", func(t *testing.T) {
		h := startHostile(t, b)
		h.metadata(map[string]any{"issuer": "https://bank.example"})
		h.mux.Handle("/oauth/token", h.plain)
		r := h.user(t, discover).run("token")
		oneErrorLine(t, "issuer", r, 4, `issuer "https://bank.example"`, "RFC 8414", h.srv.URL)
		h.nothingCaught(t)
	})
	t.Run("token endpoint on plain http elsewhere", func(t *testing.T) {
		h := startHostile(t, b)
		h.metadata(map[string]any{"token_endpoint": h.plain.URL + "/token"})
		r := h.user(t, discover).run("token")
		oneErrorLine(t, "http token endpoint", r, 4, "token_endpoint", h.plain.URL+"/token", "expected "+h.srv.URL)
		h.nothingCaught(t)
	})
	t.Run("token endpoint on https elsewhere", func(t *testing.T) {
		h := startHostile(t, b)
		h.metadata(map[string]any{"token_endpoint": h.tls.URL + "/token"})
		r := h.user(t, discover).run("token")
		oneErrorLine(t, "foreign token endpoint", r, 4, "token_endpoint", h.tls.URL+"/token", "allowed_origins")
		h.nothingCaught(t)
	})
	for _, ep := range []string{"javascript:alert(1)", "file:///etc/passwd", "-a Calculator", "--new-window=https://evil.example", "http://evil.example/authorize"} {
		t.Run("authorization endpoint "+ep, func(t *testing.T) {
			h := startHostile(t, b)
			h.metadata(map[string]any{"authorization_endpoint": ep})
			u := h.user(t, discover)
			args, _ := recordingBrowser(t, u)
			r := u.run("authorize", "--consent", "cns-1", "--timeout", "2s", "--paste=false")
			oneErrorLine(t, "authorize endpoint", r, 4, "authorization_endpoint")
			if got, err := os.ReadFile(args); err == nil {
				t.Errorf("the browser was launched with %q", got)
			}
			if strings.Contains(r.stderr, "open this URL") {
				t.Errorf("the URL was given out:\n%s", r.stderr)
			}
			h.nothingCaught(t)
		})
	}
	t.Run("iss of the callback differs (RFC 9207)", func(t *testing.T) {
		h := startHostile(t, b)
		h.metadata(map[string]any{"authorization_response_iss_parameter_supported": true})
		h.mux.HandleFunc("/oauth/authorize", func(w http.ResponseWriter, r *http.Request) {
			q := r.URL.Query()
			http.Redirect(w, r, q.Get("redirect_uri")+"?code=c1&state="+q.Get("state")+"&iss=https%3A%2F%2Fevil.example", http.StatusFound)
		})
		u := h.user(t, discover)
		r := u.run("authorize", "--consent", "cns-1", "--timeout", "2s", "--paste=false")
		oneErrorLine(t, "iss", r, 4, "no callback arrived in time")
		if !strings.Contains(r.stderr, "refused a callback with a wrong iss") {
			t.Errorf("the wrong iss was not named:\n%s", r.stderr)
		}
		if st := u.state(); st.Code != "" {
			t.Errorf("the code of a callback with a wrong iss was kept")
		}
	})
	t.Run("iss of the callback matches", func(t *testing.T) {
		h := startHostile(t, b)
		h.metadata(map[string]any{"authorization_response_iss_parameter_supported": true})
		h.mux.HandleFunc("/oauth/authorize", func(w http.ResponseWriter, r *http.Request) {
			q := r.URL.Query()
			http.Redirect(w, r, q.Get("redirect_uri")+"?code=c1&state="+q.Get("state")+"&iss="+h.srv.URL, http.StatusFound)
		})
		u := h.user(t, discover)
		u.must("authorize", "--consent", "cns-1", "--timeout", "10s", "--paste=false")
	})
}

func TestHostileBankBrowserEnvironment(t *testing.T) {
	b := startBank(t, sandbox.Options{RatePerSecond: -1, RatePerDay: -1})
	h := startHostile(t, b)
	secrets := []string{"XS2A_CLIENT_SECRET=" + hClientSecret, "XS2A_API_KEY=" + hAPIKey}
	check := func(t *testing.T, r result, env string) {
		t.Helper()
		if r.code != 4 {
			t.Fatalf("exit %d; want 4 (timeout)\n%s", r.code, r.stderr)
		}
		got, err := os.ReadFile(env)
		if err != nil {
			t.Fatalf("the browser did not run: %v\n%s", err, r.stderr)
		}
		for _, s := range []string{hClientSecret, hAPIKey, "XS2A_"} {
			if strings.Contains(string(got), s) {
				t.Errorf("the browser's environment holds %q", s)
			}
		}
		if !strings.Contains(string(got), "HOME=") {
			t.Errorf("the browser's environment lost HOME:\n%s", got)
		}
	}
	t.Run("$BROWSER", func(t *testing.T) {
		u := h.user(t, map[string]string{"client_secret": ""})
		_, env := recordingBrowser(t, u)
		check(t, u.runEnv(secrets, "authorize", "--consent", "cns-1", "--timeout", "1s", "--paste=false"), env)
	})
	t.Run("the system's launcher (xdg-open)", func(t *testing.T) {
		if runtime.GOOS != "linux" {
			t.Skip("pkg/browser runs xdg-open on Linux only")
		}
		u := h.user(t, map[string]string{"client_secret": ""})
		_, env := recordingBrowser(t, u)
		bin := filepath.Join(u.dir, "bin")
		if err := os.MkdirAll(bin, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(filepath.Join(u.dir, "record-browser.sh"), filepath.Join(bin, "xdg-open")); err != nil {
			t.Fatal(err)
		}
		extra := append([]string{"BROWSER=", "DISPLAY=:99", "PATH=" + bin + ":" + os.Getenv("PATH")}, secrets...)
		check(t, u.runEnv(extra, "authorize", "--consent", "cns-1", "--timeout", "1s", "--paste=false"), env)
	})
}

func TestHostileBankTokenAnswers(t *testing.T) {
	b := startBank(t, sandbox.Options{RatePerSecond: -1, RatePerDay: -1})
	for _, tc := range []struct {
		name, body string
		want       []string
	}{
		{"mac token", `{"access_token":"a","token_type":"mac","expires_in":3600}`, []string{`token_type "mac"`, "Bearer"}},
		{"no token type", `{"access_token":"a","expires_in":3600}`, []string{"token_type", "Bearer"}},
		{"negative lifetime", `{"access_token":"a","token_type":"Bearer","expires_in":-5}`, []string{"expires_in -5"}},
		{"fractional lifetime", `{"access_token":"a","token_type":"Bearer","expires_in":1.5}`, []string{"expires_in", "RFC 6749"}},
		{"lifetime as text", `{"access_token":"a","token_type":"Bearer","expires_in":"soon"}`, []string{"expires_in", "RFC 6749"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := startHostile(t, b)
			h.mux.Handle("/oauth/token", tokenAnswer(tc.body))
			u := h.user(t, nil)
			r := u.run("token")
			oneErrorLine(t, tc.name, r, 4, tc.want...)
			if _, err := os.Stat(u.statePath()); err == nil && u.state().ClientToken != nil {
				t.Errorf("the token was kept")
			}
		})
	}
	t.Run("centuries are clamped with a warning", func(t *testing.T) {
		h := startHostile(t, b)
		h.mux.Handle("/oauth/token", tokenAnswer(`{"access_token":"a","token_type":"bearer","expires_in":1000000000000}`))
		u := h.user(t, nil)
		r := u.must("token")
		if !strings.Contains(r.stderr, "warning: the token endpoint's expires_in 1000000000000") || !strings.Contains(r.stderr, "24h0m0s") {
			t.Errorf("stderr:\n%s", r.stderr)
		}
		if exp := u.state().ClientToken.Expiry; exp.After(time.Now().Add(24*time.Hour + time.Minute)) {
			t.Errorf("expiry %s is beyond 24 h", exp)
		}
	})
}

// TestProfileURLsInClear: credentials never travel over plain http beyond
// this machine, even where the profile itself says so.
func TestProfileURLsInClear(t *testing.T) {
	b := startBank(t, sandbox.Options{RatePerSecond: -1, RatePerDay: -1})
	h := startHostile(t, b)
	for _, tc := range []struct {
		key, value, want string
	}{
		// 192.0.2.1 is TEST-NET-1: were it dialled, nothing would answer.
		{"token_url", "http://192.0.2.1/oauth/token", "token_url http://192.0.2.1/oauth/token: plain http to 192.0.2.1 would carry the credentials in clear"},
		{"base_url", "http://192.0.2.1", "base_url http://192.0.2.1: plain http"},
		{"authorize_url", "javascript:alert(1)", `authorize_url javascript:alert(1): scheme "javascript" is not https`},
		{"allowed_origins", "http://192.0.2.1", `allowed_origins "http://192.0.2.1": plain http`},
		{"allowed_origins", h.tls.URL + "/v1", "is not an origin"},
	} {
		u := h.user(t, map[string]string{tc.key: tc.value})
		r := u.run("token")
		oneErrorLine(t, tc.key, r, 2, tc.want)
	}
	// A sandbox on this machine may be plain http.
	u := h.user(t, map[string]string{"allowed_origins": h.plain.URL})
	h.mux.Handle("/oauth/token", tokenAnswer(`{"access_token":"a","token_type":"Bearer","expires_in":60}`))
	u.must("token")
	h.nothingCaught(t)
}
