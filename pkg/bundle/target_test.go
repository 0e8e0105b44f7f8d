package bundle

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

const fuzzBase = "https://bank.example:8443/base"

func TestResolveRefusesTargetsThatLeaveTheOrigin(t *testing.T) {
	ok := map[string]string{
		"/v1/accounts": "https://bank.example:8443/base/v1/accounts",
		"/v1/accounts/a%2Fb/transactions?x=a@b/c": "https://bank.example:8443/base/v1/accounts/a%2Fb/transactions?x=a@b/c",
		"/v1/consents/c-1/status":                 "https://bank.example:8443/base/v1/consents/c-1/status",
		"/":                                       "https://bank.example:8443/base/",
		"/v1/accounts?dateFrom=2026-01-01&q=%20":  "https://bank.example:8443/base/v1/accounts?dateFrom=2026-01-01&q=%20",
	}
	for target, want := range ok {
		u, err := Resolve(fuzzBase, target)
		if err != nil || u.String() != want {
			t.Errorf("Resolve(%q) = %v, %v; want %s", target, u, err, want)
		}
	}
	bad := []string{"", "v1/accounts", "@evil.example/v1", ".evil.example/v1", ":9999/v1", "//evil.example/v1", `/\evil.example`,
		`\\evil.example/v1`, "https://evil.example/v1", "/v1/a@evil", "/v1//accounts", "/%2F%2Fevil.example/v1", "/%2fevil",
		"/%5Cevil", "/v1/../../x", "/v1/%2e%2e/x", "/./v1", "/v1/accounts#frag", "/v1/acc ounts", "/v1/\r\nHost: evil",
		"/v1/\x1b[2J", "/v1/%00", "/v1?x=%0d%0aEvil:%201", "/v1/é", "/v1/%zz", "/v1?%zz"}
	for _, target := range bad {
		if u, err := Resolve(fuzzBase, target); err == nil || !errors.Is(err, ErrTarget) {
			t.Errorf("Resolve(%q) = %v, %v; want ErrTarget", target, u, err)
		}
	}
	if _, err := Resolve("not a url", "/v1"); err == nil {
		t.Error("a base_url that is not a URL was accepted")
	}
}

func TestCheckNamesTheFirstBadExchange(t *testing.T) {
	ex := func(file, kind, target string) *Exchange {
		return &Exchange{Format: Format, Kind: kind, File: file, Request: Request{Method: "GET", Target: target}}
	}
	exs := []*Exchange{ex("1.json", KindAPI, "/v1/accounts"), ex("2.json", KindOAuth, "@never.sent/token"),
		ex("3.json", KindAPI, "@evil.example/v1/accounts"), ex("4.json", KindAPI, "//x")}
	var te *TargetError
	if err := Check(fuzzBase, exs); !errors.As(err, &te) || te.File != "3.json" || te.Target != "@evil.example/v1/accounts" {
		t.Errorf("Check: %v", err)
	}
	if err := Check(fuzzBase, exs[:2]); err != nil {
		t.Errorf("Check of good exchanges: %v", err)
	}
}

// A hostile bank answers a consent id that is not one path segment: the
// replay does not put it in a later path.
func TestReplayerKeepsTheBanksIDsOutOfThePath(t *testing.T) {
	var paths []string
	bank := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		paths = append(paths, r.URL.RawPath+"|"+r.URL.Path)
		if r.Method == "POST" {
			w.WriteHeader(201)
			io.WriteString(w, `{"consentId":"../../../@evil.example"}`)
			return
		}
		io.WriteString(w, `{}`)
	}))
	defer bank.Close()
	ex := func(method, path, answer string) *Exchange {
		return &Exchange{Format: Format, Kind: KindAPI, Request: Request{Method: method, Target: path},
			Response: &Response{Status: 200, Body: NewBody([]byte(answer))}}
	}
	r := &Replayer{Client: bank.Client(), BaseURL: bank.URL + "/xs2a"}
	r.Replay(context.Background(), ex("POST", "/v1/consents", `{"consentId":"c-old"}`))
	if res := r.Replay(context.Background(), ex("GET", "/v1/consents/c-old/status", "")); res.Sent != "" {
		t.Errorf("sent %q", res.Sent)
	}
	if len(paths) != 2 || paths[1] != "|/xs2a/v1/consents/c-old/status" {
		t.Errorf("paths %q", paths)
	}
	// Replay itself refuses a target, even when Check was not called.
	if res := r.Replay(context.Background(), ex("GET", "@evil.example/v1/accounts", "")); res.New.Error == "" || !strings.Contains(res.Note, "not sent") || len(paths) != 2 {
		t.Errorf("replay of a hostile target: %+v, paths %q", res, paths)
	}
}

// FuzzResolve: whatever target a bundle holds, what Resolve accepts is on
// the base_url's exact scheme, host and port, with no userinfo, under its
// path.
func FuzzResolve(f *testing.F) {
	for _, s := range []string{"/v1/accounts", "/v1/accounts?withBalance=true", "@evil.example/x", ".evil.example/x", "//evil/x",
		`/\evil`, "/%2F%2Fevil", "/v1/%2e%2e/x", "https://evil/x", "/v1?x=@evil//y", "/:8443@evil/", "/v1/%40evil", "/%5c%5cevil"} {
		f.Add(s)
	}
	base, _ := url.Parse(fuzzBase)
	f.Fuzz(func(t *testing.T, target string) {
		u, err := Resolve(fuzzBase, target)
		if err != nil {
			if u != nil {
				t.Fatal("a URL with an error")
			}
			return
		}
		if u.Scheme != base.Scheme || u.Host != base.Host || u.Hostname() != "bank.example" || u.Port() != "8443" || u.User != nil || u.Opaque != "" {
			t.Fatalf("Resolve(%q) = %s: left the origin", target, u)
		}
		if !strings.HasPrefix(u.EscapedPath(), "/base/") && u.EscapedPath() != "/base" {
			t.Fatalf("Resolve(%q) = %s: left the base path", target, u)
		}
		// What the client sends parses to the same origin again.
		again, err := url.Parse(u.String())
		if err != nil || again.Host != base.Host || again.User != nil {
			t.Fatalf("Resolve(%q) = %s: re-parses as %v, %v", target, u, again, err)
		}
	})
}
