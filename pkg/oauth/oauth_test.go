package oauth

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/xs2a-dev/xs2a/pkg/origin"
	"golang.org/x/oauth2"
)

var now = time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC)

func noRedirects() *http.Client { return &http.Client{CheckRedirect: origin.NoRedirect} }

// tokenServer answers every token request with body (status 200), or
// redirects when body starts with "redirect:".
func tokenServer(t *testing.T, body string) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		if loc, ok := strings.CutPrefix(body, "redirect:"); ok {
			http.Redirect(w, r, loc, http.StatusTemporaryRedirect)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestTokenAnswers(t *testing.T) {
	for _, tc := range []struct {
		body    string
		life    time.Duration // 0: no expiry; negative: now
		warn    bool
		refused string
	}{
		{`{"access_token":"a","token_type":"Bearer","expires_in":3600}`, time.Hour, false, ""},
		{`{"access_token":"a","token_type":"bearer","expires_in":"600"}`, 10 * time.Minute, false, ""},
		{`{"access_token":"a","token_type":"BEARER"}`, 0, false, ""},
		{`{"access_token":"a","token_type":"Bearer","expires_in":0}`, -1, false, ""}, // expires at once
		{`{"access_token":"a","token_type":"Bearer","expires_in":1e300}`, 0, false, "RFC 6749"},
		{`{"access_token":"a","token_type":"Bearer","expires_in":1000000000000}`, MaxAccessLifetime, true, ""},
		{`{"access_token":"a","token_type":"Bearer","expires_in":86401}`, MaxAccessLifetime, true, ""},
		{`{"access_token":"a","token_type":"mac","expires_in":3600}`, 0, false, `token_type "mac"`},
		{`{"access_token":"a","token_type":"Bearer\u001b[2J","expires_in":3600}`, 0, false, `token_type "Bearer\x1b[2J"`},
		{`{"access_token":"a","expires_in":3600}`, 0, false, "no token_type"},
		{`{"access_token":"a","token_type":"Bearer","expires_in":-5}`, 0, false, "expires_in -5"},
		{`{"access_token":"a","token_type":"Bearer","expires_in":1.5}`, 0, false, "RFC 6749"},
		{`{"access_token":"a","token_type":"Bearer","expires_in":"soon"}`, 0, false, "RFC 6749"},
		{`{"access_token":"a","token_type":"Bearer","expires_in":"-5"}`, 0, false, "expires_in -5"},
	} {
		c := Config{ClientID: "c", ClientSecret: "s", TokenURL: tokenServer(t, tc.body), Now: func() time.Time { return now }}
		tok, err := ClientCredentials(context.Background(), noRedirects(), c)
		if tc.refused != "" {
			var ae *AnswerError
			if !errors.As(err, &ae) || !strings.Contains(err.Error(), tc.refused) {
				t.Errorf("%s: %v; want an AnswerError with %q", tc.body, err, tc.refused)
			}
			if err != nil && strings.Contains(err.Error(), "\x1b") {
				t.Errorf("%s: an escape character in %q", tc.body, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tc.body, err)
			continue
		}
		want := time.Time{}
		switch {
		case tc.life > 0:
			want = now.Add(tc.life)
		case tc.life < 0:
			want = now
		}
		if !tok.Expiry.Equal(want) || tok.TokenType != "Bearer" || (len(tok.Warnings) > 0) != tc.warn {
			t.Errorf("%s: expiry %s type %q warnings %q; want expiry %s", tc.body, tok.Expiry, tok.TokenType, tok.Warnings, want)
		}
	}
}

func TestTokenRedirectIsNotFollowed(t *testing.T) {
	caught := 0
	catcher := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { caught++ }))
	defer catcher.Close()
	c := Config{ClientID: "c", ClientSecret: "s", TokenURL: tokenServer(t, "redirect:"+catcher.URL+"/steal")}
	_, err := ClientCredentials(context.Background(), noRedirects(), c)
	var re *origin.RedirectError
	if !errors.As(err, &re) || re.Status != http.StatusTemporaryRedirect || re.Location != catcher.URL+"/steal" {
		t.Errorf("err = %v; want a RedirectError naming the catcher", err)
	}
	if caught != 0 {
		t.Errorf("the catcher got %d requests", caught)
	}
}

func metadataServer(t *testing.T, md func(self string) map[string]any) string {
	t.Helper()
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != WellKnown {
			http.Redirect(w, r, "http://evil.example/", http.StatusFound)
			return
		}
		_ = json.NewEncoder(w).Encode(md(srv.URL))
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestDiscoverChecksTheIssuer(t *testing.T) {
	good := func(self string) map[string]any {
		return map[string]any{"issuer": self, "authorization_endpoint": self + "/a", "token_endpoint": self + "/t",
			"authorization_response_iss_parameter_supported": true}
	}
	base := metadataServer(t, good)
	md, err := Discover(context.Background(), noRedirects(), base+WellKnown)
	if err != nil || !md.IssParameterSupported || md.Issuer != base {
		t.Fatalf("Discover = %+v, %v", md, err)
	}
	for _, iss := range []string{"https://bank.example", "", "http://127.0.0.1:1", "\x1b[31m"} {
		base := metadataServer(t, func(self string) map[string]any {
			m := good(self)
			m["issuer"] = iss
			return m
		})
		_, err := Discover(context.Background(), noRedirects(), base+WellKnown)
		var ie *IssuerError
		if !errors.As(err, &ie) || !strings.Contains(err.Error(), "RFC 8414") || strings.Contains(err.Error(), "\x1b") {
			t.Errorf("issuer %q: %v; want an IssuerError", iss, err)
		}
	}
	_, err = Discover(context.Background(), noRedirects(), base+"/elsewhere"+WellKnown+"x")
	if err == nil {
		t.Error("a metadata URL without the well-known suffix was fetched")
	}
	_, err = Discover(context.Background(), noRedirects(), base+"/other"+WellKnown)
	var re *origin.RedirectError
	if !errors.As(err, &re) {
		t.Errorf("a redirecting metadata URL: %v; want a RedirectError", err)
	}
}

// FuzzTokenAnswer: whatever members a token answer has, what convert
// accepts is a Bearer token expiring between now and MaxAccessLifetime
// (or never, when no lifetime was given), and a refusal is one line.
func FuzzTokenAnswer(f *testing.F) {
	for _, s := range []string{`{"token_type":"Bearer","expires_in":3600}`, `{"token_type":"mac"}`, `{"token_type":"bearer","expires_in":-1}`,
		`{"token_type":"Bearer","expires_in":1e300}`, `{"token_type":"Bearer","expires_in":"12"}`, `{"token_type":"Bearer","expires_in":[1]}`,
		`{"token_type":"Bearer","expires_in":9.2233720368547758e18}`, `{"token_type":"Bearer","expires_in":null}`} {
		f.Add(s)
	}
	c := Config{Now: func() time.Time { return now }}
	f.Fuzz(func(t *testing.T, body string) {
		var raw map[string]any
		if json.Unmarshal([]byte(body), &raw) != nil {
			return
		}
		tt, _ := raw["token_type"].(string)
		tok, err := c.convert((&oauth2.Token{AccessToken: "a", TokenType: tt}).WithExtra(raw))
		if err != nil {
			if strings.ContainsAny(err.Error(), "\n\r\x1b") {
				t.Fatalf("refusal %q is not one clean line", err)
			}
			return
		}
		if tok.TokenType != "Bearer" {
			t.Fatalf("accepted token_type %q", tt)
		}
		if !tok.Expiry.IsZero() && (tok.Expiry.Before(now) || tok.Expiry.After(now.Add(MaxAccessLifetime))) {
			t.Fatalf("expiry %s outside [now, now+%s] for %s", tok.Expiry, MaxAccessLifetime, body)
		}
	})
}

// A token endpoint that answers form-encoded (golang.org/x/oauth2 reads
// it, as some ASPSP gateways answer) is held to the same rules, not
// refused for an expires_in that is a whole number of seconds or absent.
func TestFormEncodedTokenAnswers(t *testing.T) {
	for _, tc := range []struct {
		body    string
		life    time.Duration
		refused string
	}{
		{"access_token=a&token_type=Bearer&expires_in=3600", time.Hour, ""},
		{"access_token=a&token_type=bearer", 0, ""},
		{"access_token=a&token_type=Bearer&expires_in=0", -1, ""},
		{"access_token=a&token_type=Bearer&expires_in=99999999999", MaxAccessLifetime, ""},
		{"access_token=a&token_type=Bearer&expires_in=-5", 0, "expires_in -5"},
		{"access_token=a&token_type=Bearer&expires_in=1.5", 0, "expires_in 1.5"},
		{"access_token=a&token_type=Bearer&expires_in=soon", 0, "expires_in soon"},
		{"access_token=a&token_type=mac&expires_in=3600", 0, `token_type "mac"`},
	} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.Copy(io.Discard, r.Body)
			w.Header().Set("Content-Type", "application/x-www-form-urlencoded")
			_, _ = io.WriteString(w, tc.body)
		}))
		c := Config{ClientID: "c", ClientSecret: "s", TokenURL: srv.URL, Now: func() time.Time { return now }}
		tok, err := ClientCredentials(context.Background(), noRedirects(), c)
		srv.Close()
		if tc.refused != "" {
			var ae *AnswerError
			if !errors.As(err, &ae) || !strings.Contains(err.Error(), tc.refused) {
				t.Errorf("%s: %v; want an AnswerError with %q", tc.body, err, tc.refused)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tc.body, err)
			continue
		}
		want := time.Time{}
		switch {
		case tc.life > 0:
			want = now.Add(tc.life)
		case tc.life < 0:
			want = now
		}
		if !tok.Expiry.Equal(want) {
			t.Errorf("%s: expiry %v; want %v", tc.body, tok.Expiry, want)
		}
	}
}

// An error answer that echoes the request keeps none of its secrets, as
// sent or URL-encoded.
func TestErrorHidesEchoedSecrets(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(http.StatusBadRequest)
		_, _ = io.WriteString(w, "echo: "+string(b)+" "+r.Header.Get("Authorization"))
	}))
	t.Cleanup(srv.Close)
	c := Config{ClientID: "c", ClientSecret: "s3cr+t/x=", TokenURL: srv.URL}
	_, err := Refresh(context.Background(), noRedirects(), c, "rt+/= 42")
	var oe *Error
	if !errors.As(err, &oe) {
		t.Fatalf("Refresh: %v", err)
	}
	for _, s := range []string{"rt+/= 42", "rt%2B%2F%3D+42", "s3cr+t/x=", "YzpzM2NyJTJCdCUyRnglM0Q="} {
		if strings.Contains(err.Error(), s) {
			t.Errorf("%q is in %q", s, err)
		}
	}
}

func TestAuthCodeURLScope(t *testing.T) {
	u, err := url.Parse(AuthCodeURL(Config{ClientID: "c", AuthorizeURL: "https://bank.example/authorize", RedirectURL: "http://127.0.0.1/cb"}, "PIS:pay-1", "st", NewVerifier()))
	if err != nil {
		t.Fatal(err)
	}
	if q := u.Query(); q.Get("scope") != "PIS:pay-1" || q.Get("state") != "st" || q.Get("code_challenge_method") != "S256" {
		t.Errorf("authorization URL %s", u)
	}
}
