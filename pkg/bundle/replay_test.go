package bundle

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestReplayerSendsAfreshAndFollowsNewConsentIDs(t *testing.T) {
	const oldRID = "99391c7e-ad88-49ec-a2ad-99ddcb1f7721"
	var problems []string
	bank := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		for _, h := range []string{"Signature", "Digest", "TPP-Signature-Certificate", "X-Bank-Key", "X-Secret"} {
			if r.Header.Get(h) != "" {
				problems = append(problems, r.URL.Path+": recorded "+h+" sent again")
			}
		}
		if rid := r.Header.Get("X-Request-ID"); rid == "" || rid == oldRID {
			problems = append(problems, r.URL.Path+": X-Request-ID "+rid)
		}
		if r.Header.Get("Authorization") != "Bearer now" || r.Header.Get("PSU-IP-Address") != "192.0.2.1" {
			problems = append(problems, r.URL.Path+": headers "+r.Header.Get("Authorization")+" / "+r.Header.Get("PSU-IP-Address"))
		}
		w.Header().Set("Content-Type", "application/json")
		switch r.Method + " " + r.URL.Path {
		case "POST /xs2a/v1/consents":
			if string(body) != `{"frequencyPerDay":4}` {
				problems = append(problems, "consent body "+string(body))
			}
			w.WriteHeader(201)
			io.WriteString(w, `{"consentId":"c-new","consentStatus":"received"}`)
		case "GET /xs2a/v1/consents/c-new/status":
			io.WriteString(w, `{"consentStatus":"received"}`)
		default:
			w.WriteHeader(403)
			io.WriteString(w, `{"tppMessages":[{"category":"ERROR","code":"CONSENT_UNKNOWN"}]}`)
		}
	}))
	defer bank.Close()

	hdr := []Field{{"Host", "old.example"}, {"X-Request-ID", oldRID}, {"Signature", "keyId=..."}, {"Digest", "SHA-256=x"},
		{"Authorization", "Bearer [redacted sha256:00000000]"}, {"X-Bank-Key", "[redacted sha256:11111111]"},
		{"X-Secret", "also [redacted sha256:22222222] here"}, {"PSU-IP-Address", "192.0.2.1"}}
	ex := func(kind, method, path, body string, status int, answer string) *Exchange {
		e := &Exchange{Format: Format, Kind: kind, BaseURL: "https://old.example/api",
			Request:  Request{Method: method, URL: "https://old.example/api" + path, Target: "/api" + path, Headers: hdr, Body: NewBody([]byte(body))},
			Response: &Response{Status: status, Body: NewBody([]byte(answer)), Code: TPPCode([]byte(answer))}}
		return e
	}
	exs := []*Exchange{
		ex(KindOAuth, "POST", "/token", "grant_type=client_credentials", 200, `{}`),
		ex(KindAPI, "POST", "/v1/consents", `{"frequencyPerDay":4}`, 201, `{"consentId":"c-old"}`),
		ex(KindAPI, "GET", "/v1/consents/c-old/status", "", 200, `{"consentStatus":"received"}`),
		ex(KindAPI, "GET", "/v1/accounts/c-old", "", 200, `{}`), // not consent management: no id mapping
	}
	r := &Replayer{Client: bank.Client(), BaseURL: bank.URL + "/xs2a/", Strip: []string{"X-Bank-Key"},
		Inject: func(req *http.Request) error { req.Header.Set("Authorization", "Bearer now"); return nil }}
	var got []Result
	for _, e := range exs {
		got = append(got, r.Replay(context.Background(), e))
	}
	want := []struct{ result, new, sent string }{
		{Skipped, "-", ""},
		{Same, "201", ""},
		{Same, "200", "/v1/consents/c-new/status"},
		{Changed, "403 CONSENT_UNKNOWN", ""},
	}
	for i, w := range want {
		g := got[i]
		if g.Result != w.result || g.New.String() != w.new || g.Sent != w.sent {
			t.Errorf("exchange %d %s %s: %s, now %s, sent %q; want %s, %s, %q", i+1, g.Method, g.Path, g.Result, g.New, g.Sent, w.result, w.new, w.sent)
		}
	}
	if !strings.Contains(got[1].Note, "c-old is now c-new") {
		t.Errorf("note %q", got[1].Note)
	}
	for _, p := range problems {
		t.Error(p)
	}

	// A credential that cannot be had now is a changed answer, not a crash.
	r.Inject = func(*http.Request) error { return io.ErrUnexpectedEOF }
	if g := r.Replay(context.Background(), exs[2]); g.Result != Changed || g.New.Error == "" || g.New.String() != "error" {
		t.Errorf("failed inject: %+v", g)
	}
}
