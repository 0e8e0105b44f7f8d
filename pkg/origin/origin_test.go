package origin

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/xs2a-dev/xs2a/pkg/termsafe"
)

func TestResolve(t *testing.T) {
	p, err := New("https://api.bank.example/", "https://pages.bank.example:8443, https://auth.bank.example")
	if err != nil {
		t.Fatal(err)
	}
	ok := map[string]string{
		"/v1/card-accounts/1/transactions?page=2":                          "https://api.bank.example/v1/card-accounts/1/transactions?page=2",
		"https://api.bank.example/v1/x":                                    "https://api.bank.example/v1/x",
		"https://API.bank.example:443/v1/x":                                "https://API.bank.example:443/v1/x",
		"https://pages.bank.example:8443/v1/x":                             "https://pages.bank.example:8443/v1/x",
		"https://auth.bank.example/.well-known/oauth-authorization-server": "https://auth.bank.example/.well-known/oauth-authorization-server",
		"v1/relative": "https://api.bank.example/v1/relative",
	}
	for link, want := range ok {
		u, err := p.Resolve("link", link)
		if err != nil || u.String() != want {
			t.Errorf("Resolve(%q) = %v, %v; want %s", link, u, err, want)
		}
	}
	bad := map[string]string{
		"http://api.bank.example/v1/x":        "plain http",
		"https://api.bank.example:8443/v1/x":  "origin https://api.bank.example:8443 is not the profile's",
		"https://evil.example/v1/x":           "not the profile's",
		"//evil.example/v1/x":                 "not the profile's",
		"https://pages.bank.example/v1/x":     "not the profile's",
		"javascript:alert(1)":                 `scheme "javascript" is not https`,
		"file:///etc/passwd":                  `scheme "file"`,
		"-a Calculator":                       "starts with -",
		"https://user:pw@api.bank.example/v1": "user information",
		"https://evil.example\x1b[31m/":       "not a URL",
	}
	for link, want := range bad {
		_, err := p.Resolve("next link", link)
		var le *LinkError
		if !errors.As(err, &le) || !strings.Contains(err.Error(), want) {
			t.Errorf("Resolve(%q) = %v; want a LinkError with %q", link, err, want)
			continue
		}
		if !strings.Contains(err.Error(), "expected https://api.bank.example or https://pages.bank.example:8443 or https://auth.bank.example") {
			t.Errorf("Resolve(%q): %v does not name the expected origins", link, err)
		}
		if strings.Contains(err.Error(), "\x1b") {
			t.Errorf("Resolve(%q): the message carries an escape character", link)
		}
	}
	if err := p.Check("token_endpoint", "/oauth/token"); err == nil {
		t.Error("Check accepted a relative endpoint")
	}
}

func TestNewRefuses(t *testing.T) {
	for base, allowed := range map[string]string{
		"ftp://bank.example":     "",
		"https://bank.example":   "http://pages.bank.example",
		"https://bank.example/":  "https://pages.bank.example/v1",
		"https://bank.example//": "javascript:x",
	} {
		if _, err := New(base, allowed); err == nil {
			t.Errorf("New(%q, %q) accepted", base, allowed)
		}
	}
	if _, err := New("http://127.0.0.1:8080", "http://127.0.0.1:9090"); err != nil {
		t.Errorf("a loopback sandbox: %v", err)
	}
}

func TestConfigurableAndBrowsable(t *testing.T) {
	for raw, ok := range map[string]bool{
		"https://bank.example": true, "http://127.0.0.1:8080": true, "http://[::1]:1": true, "http://localhost:1": true,
		"http://bank.example": false, "file:///x": false, "bank.example": false,
	} {
		if err := Configurable(raw); (err == nil) != ok {
			t.Errorf("Configurable(%q) = %v", raw, err)
		}
		if err := Browsable(raw); (err == nil) != ok {
			t.Errorf("Browsable(%q) = %v", raw, err)
		}
	}
	for _, raw := range []string{"-a Calculator", "--new-window=https://x", "javascript:alert(1)", "https://"} {
		if Browsable(raw) == nil {
			t.Errorf("Browsable(%q) accepted", raw)
		}
	}
}

func TestRedirected(t *testing.T) {
	for status, want := range map[int]bool{200: false, 304: false, 301: true, 302: true, 303: true, 307: true, 308: true, 404: false} {
		resp := &http.Response{StatusCode: status, Header: http.Header{"Location": {"http://evil.example/\x1b[2J"}}}
		if status == 304 {
			resp.Header = http.Header{}
		}
		err := Redirected(resp)
		if (err != nil) != want {
			t.Errorf("Redirected(%d) = %v", status, err)
		}
		if err != nil && (strings.Contains(err.Error(), "\x1b") || !strings.Contains(err.Error(), `http://evil.example/\x1b[2J`)) {
			t.Errorf("Redirected(%d): %q", status, err)
		}
	}
}

// FuzzResolve: whatever the bank puts in a link, what Resolve accepts is on
// an allowed origin, and a refusal's message holds no control character.
func FuzzResolve(f *testing.F) {
	for _, s := range []string{"/v1/x?page=2", "https://api.bank.example/v1", "http://api.bank.example/", "//evil.example/",
		"https://api.bank.example:443/", "https://api.bank.example@evil.example/", "https://evil.example#@api.bank.example",
		"javascript:alert(1)", "-x", "https://[::1]:443/", "\x1b[31m", "https://api.bank.example\\@evil.example/", "https:api.bank.example/x", "https://ev%c2%9bil.example/"} {
		f.Add(s)
	}
	p, err := New("https://api.bank.example", "https://pages.bank.example:8443")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, link string) {
		u, err := p.Resolve("link", link)
		if err != nil {
			if strings.ContainsAny(err.Error(), "\x00\x1b\n\r") || !termsafe.Safe(err.Error()) {
				t.Fatalf("control character in %q", err)
			}
			return
		}
		o, err := Of(u)
		if err != nil {
			t.Fatalf("accepted %q without an origin: %v", link, err)
		}
		if o != (Origin{"https", "api.bank.example", "443"}) && o != (Origin{"https", "pages.bank.example", "8443"}) {
			t.Fatalf("accepted %q on %s", link, o)
		}
		if u.User != nil {
			t.Fatalf("accepted %q with user information", link)
		}
	})
}

// A host may hold C1 controls and bidi overrides (url.Parse lets them
// through, percent-encoded or raw): the refusal that names the link's
// origin escapes them too, not only the link itself.
func TestLinkErrorEscapesTheOrigin(t *testing.T) {
	p, err := New("https://api.bank.example", "")
	if err != nil {
		t.Fatal(err)
	}
	for _, link := range []string{"https://ev\u009b31mil.example/x", "https://ev%c2%9b31mil.example/x", "https://evil\u202eelpmaxe.knab/x"} {
		_, err := p.Resolve("scaOAuth link", link)
		if err == nil {
			t.Fatalf("Resolve(%q) accepted it", link)
		}
		if !termsafe.Safe(err.Error()) {
			t.Errorf("Resolve(%q): the message holds a raw control character: %q", link, err)
		}
	}
}
