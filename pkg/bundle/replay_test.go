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

// A replayed payment initiation is a new payment at the bank (a fresh
// X-Request-ID, as a replayed consent is a new consent): the later calls
// on the recorded payment — status, get, an authorisation started, its
// status, the DELETE — go to the new one, and so does an authorisation id
// the replay's own POST got; other paths keep their segments.
func TestReplayerFollowsNewPaymentAndAuthorisationIDs(t *testing.T) {
	const base = "/v1/periodic-payments/sepa-credit-transfers"
	var seen []string
	bank := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		seen = append(seen, r.Method+" "+r.URL.Path)
		w.Header().Set("Content-Type", "application/json")
		switch r.Method + " " + r.URL.Path {
		case "POST " + base:
			if string(body) != `{"creditorName":"A"}` {
				t.Errorf("initiation body %s", body)
			}
			w.WriteHeader(201)
			io.WriteString(w, `{"transactionStatus":"RCVD","paymentId":"p-new"}`)
		case "GET " + base + "/p-new/status", "GET " + base + "/p-new", "GET " + base + "/p-new/authorisations/a-new":
			io.WriteString(w, `{"transactionStatus":"RCVD"}`)
		case "POST " + base + "/p-new/authorisations":
			w.WriteHeader(201)
			io.WriteString(w, `{"scaStatus":"received","authorisationId":"a-new"}`)
		case "DELETE " + base + "/p-new":
			w.WriteHeader(204)
		default:
			w.WriteHeader(403)
			io.WriteString(w, `{"tppMessages":[{"category":"ERROR","code":"RESOURCE_UNKNOWN"}]}`)
		}
	}))
	defer bank.Close()
	ex := func(method, path, body string, status int, answer string) *Exchange {
		return &Exchange{Format: Format, Kind: KindAPI, BaseURL: "https://old.example",
			Request:  Request{Method: method, URL: "https://old.example" + path, Target: path, Body: NewBody([]byte(body))},
			Response: &Response{Status: status, Body: NewBody([]byte(answer)), Code: TPPCode([]byte(answer))}}
	}
	exs := []*Exchange{
		ex("POST", base, `{"creditorName":"A"}`, 201, `{"transactionStatus":"RCVD","paymentId":"p-old"}`),
		ex("GET", base+"/p-old/status", "", 200, `{"transactionStatus":"RCVD"}`),
		ex("GET", base+"/p-old", "", 200, `{}`),
		ex("POST", base+"/p-old/authorisations", "{}", 201, `{"scaStatus":"received","authorisationId":"a-old"}`),
		ex("GET", base+"/p-old/authorisations/a-old", "", 200, `{"scaStatus":"received"}`),
		ex("DELETE", base+"/p-old", "", 204, ``),
		ex("GET", "/v1/accounts/p-old", "", 403, `{"tppMessages":[{"category":"ERROR","code":"RESOURCE_UNKNOWN"}]}`), // not a payment path
	}
	r := &Replayer{Client: bank.Client(), BaseURL: bank.URL}
	want := []struct{ result, sent string }{
		{Same, ""},
		{Same, base + "/p-new/status"},
		{Same, base + "/p-new"},
		{Same, base + "/p-new/authorisations"},
		{Same, base + "/p-new/authorisations/a-new"},
		{Same, base + "/p-new"},
		{Same, ""},
	}
	for i, e := range exs {
		g := r.Replay(context.Background(), e)
		if g.Result != want[i].result || g.Sent != want[i].sent {
			t.Errorf("exchange %d %s %s: %s (now %s), sent %q; want %s, sent %q", i+1, g.Method, g.Path, g.Result, g.New, g.Sent, want[i].result, want[i].sent)
		}
		if i == 0 && !strings.Contains(g.Note, "payment p-old is now p-new") {
			t.Errorf("initiation note %q", g.Note)
		}
		if i == 3 && !strings.Contains(g.Note, "authorisation a-old is now a-new") {
			t.Errorf("authorisation note %q", g.Note)
		}
	}
	if len(seen) != len(exs) || seen[len(seen)-1] != "GET /v1/accounts/p-old" {
		t.Errorf("sent %v", seen)
	}
}

// The PIIS consent of the Berlin Group's extension
// (/v2/consents/confirmation-of-funds) is a consent path too: its new id
// is followed.
func TestReplayerFollowsNewPIISConsentIDs(t *testing.T) {
	const base = "/v2/consents/confirmation-of-funds"
	bank := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.Method + " " + r.URL.Path {
		case "POST " + base:
			w.WriteHeader(201)
			io.WriteString(w, `{"consentStatus":"received","consentId":"piis-new"}`)
		case "GET " + base + "/piis-new/status":
			io.WriteString(w, `{"consentStatus":"received"}`)
		default:
			w.WriteHeader(403)
			io.WriteString(w, `{"tppMessages":[{"category":"ERROR","code":"CONSENT_UNKNOWN"}]}`)
		}
	}))
	defer bank.Close()
	ex := func(method, path string, status int, answer string) *Exchange {
		return &Exchange{Format: Format, Kind: KindAPI, BaseURL: "https://old.example",
			Request:  Request{Method: method, URL: "https://old.example" + path, Target: path, Body: NewBody(nil)},
			Response: &Response{Status: status, Body: NewBody([]byte(answer))}}
	}
	r := &Replayer{Client: bank.Client(), BaseURL: bank.URL}
	r.Replay(context.Background(), ex("POST", base, 201, `{"consentId":"piis-old"}`))
	if g := r.Replay(context.Background(), ex("GET", base+"/piis-old/status", 200, `{}`)); g.Result != Same || g.Sent != base+"/piis-new/status" {
		t.Errorf("PIIS consent status: %s, sent %q", g.Result, g.Sent)
	}
}
