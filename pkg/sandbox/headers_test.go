package sandbox

import (
	"net/http"
	"strings"
	"testing"

	"github.com/google/uuid"
)

func TestAcceptsJSON(t *testing.T) {
	for _, tc := range []struct {
		accept string
		want   bool
	}{
		{"", true},
		{"application/json", true},
		{"Application/JSON; charset=utf-8", true},
		{"application/*", true},
		{"*/*", true},
		{"text/html, */*;q=0.1", true},
		{"text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", true}, // a browser's
		{"application/json;q=0.001", true},
		{"text/html", false},
		{"application/xml", false},
		{"application/problem+json", false}, // the file allows it; this ASPSP answers application/json only
		{"*/*;q=0", false},
		{"application/json;q=0", false},
		{"application/json;q=0, */*", false}, // the most specific range decides
		{"application/json;q=0.0, application/*", false},
		{"application/json;q=2", false},
		{"application/json;q=abc", false},
		{"json", false},
		{"/", false},
		{",;", false},
	} {
		if got := AcceptsJSON(tc.accept); got != tc.want {
			t.Errorf("AcceptsJSON(%q) = %v, want %v", tc.accept, got, tc.want)
		}
	}
}

// TestHeaders: the answers' headers the file asks for, through the
// sandbox's HTTPS surface.
func TestHeaders(t *testing.T) {
	s := startSandbox(t, Options{RatePerSecond: -1})
	p := bankTPP(t, s)
	tok := p.clientToken()
	ip := map[string]string{"PSU-IP-Address": "192.0.2.10"}
	with := func(kv ...string) map[string]string {
		h := map[string]string{"PSU-IP-Address": "192.0.2.10"}
		for i := 0; i+1 < len(kv); i += 2 {
			h[kv[i]] = kv[i+1]
		}
		return h
	}

	t.Run("X-Request-ID on every answer", func(t *testing.T) {
		for _, tc := range []struct {
			name   string
			send   func() answer
			status int
			echo   string // the id to echo, or "" for a fresh UUID
		}{
			{"missing", func() answer {
				return do(t, p.plain, p.request("GET", "/v1/consents/cns-x", tok, nil, map[string]string{"X-Request-ID": ""}))
			}, 400, ""},
			{"not a UUID", func() answer {
				return p.call("GET", "/v1/consents/cns-x", tok, nil, map[string]string{"X-Request-ID": "12345"})
			}, 400, ""},
			{"unknown path, not a UUID", func() answer {
				return p.call("GET", "/v1/nothing", tok, nil, map[string]string{"X-Request-ID": "12345"})
			}, 404, ""},
			{"body too large", func() answer {
				return p.call("POST", "/v1/consents", tok, []byte(strings.Repeat(" ", MaxBody+1)), with("X-Request-ID", "0b6f3d4e-7c1a-4b9e-9a55-2f0c8d1e6a70"))
			}, 400, "0b6f3d4e-7c1a-4b9e-9a55-2f0c8d1e6a70"},
			{"malformed JSON", func() answer {
				return p.call("POST", "/v1/consents", tok, []byte(`{"access":`), with("X-Request-ID", "1c7a4e5f-8d2b-4cae-8b66-3f1d9e2f7b81"))
			}, 400, "1c7a4e5f-8d2b-4cae-8b66-3f1d9e2f7b81"},
			{"415", func() answer {
				return p.call("POST", "/v1/consents", tok, consentBody(nil), with("Content-Type", "text/plain", "X-Request-ID", "2d8b5f60-9e3c-4dbf-9c77-4a2eaf308c92"))
			}, 415, "2d8b5f60-9e3c-4dbf-9c77-4a2eaf308c92"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				a := tc.send()
				if a.status != tc.status {
					t.Fatalf("status %d, want %d: %s", a.status, tc.status, a.body)
				}
				got := a.header.Get("X-Request-ID")
				switch {
				case tc.echo != "" && got != tc.echo:
					t.Errorf("X-Request-ID = %q, want the request's %q", got, tc.echo)
				case tc.echo == "" && (uuid.Validate(got) != nil || len(got) != 36):
					t.Errorf("X-Request-ID = %q, want a fresh UUID", got)
				}
			})
		}
	})

	t.Run("Accept", func(t *testing.T) {
		for _, tc := range []struct {
			accept string
			status int
		}{
			{"", 201},
			{"application/json", 201},
			{"application/json; charset=utf-8", 201},
			{"application/*", 201},
			{"*/*", 201},
			{"text/html;q=0.9, application/json;q=0.5", 201},
			{"text/html", 406},
			{"application/xml, text/html", 406},
			{"application/json;q=0, */*", 406},
		} {
			t.Run(tc.accept, func(t *testing.T) {
				a := p.call("POST", "/v1/consents", tok, consentBody(nil), with("Accept", tc.accept))
				if tc.status == 406 {
					wantAPIError(t, a, 406, CodeRequestedFormatsInvalid, "Accept", "JSON only")
					return
				}
				wantStatus(t, a, tc.status)
			})
		}
		t.Run("on reads too", func(t *testing.T) {
			a := p.call("GET", "/v1/consents/cns-x", tok, nil, map[string]string{"Accept": "text/html"})
			wantAPIError(t, a, 406, CodeRequestedFormatsInvalid, "Accept")
		})
	})

	t.Run("415 has no body", func(t *testing.T) {
		rid := uuid.NewString()
		a := p.call("POST", "/v1/consents", tok, consentBody(nil), with("Content-Type", "text/plain", "X-Request-ID", rid))
		if a.status != 415 || len(a.body) != 0 {
			t.Fatalf("status %d body %q; want 415 without a body", a.status, a.body)
		}
		// The reason is not lost: the rejections endpoint keeps it.
		w := p.call("GET", RejectionsPath+rid, "", nil, nil)
		if w.status != 200 || !strings.Contains(string(w.body), `Content-Type \"text/plain\"`) {
			t.Errorf("rejection record: %d %s", w.status, w.body)
		}
	})

	t.Run("201 consent", func(t *testing.T) {
		a := p.call("POST", "/v1/consents", tok, consentBody(nil), ip)
		wantStatus(t, a, 201)
		var cr struct {
			ConsentID string
			Links     map[string]link `json:"_links"`
		}
		a.json(t, &cr)
		loc := a.header.Get("Location")
		if loc != "/v1/consents/"+cr.ConsentID || loc != cr.Links["self"].Href {
			t.Errorf("Location = %q, want /v1/consents/%s (the self link %q)", loc, cr.ConsentID, cr.Links["self"].Href)
		}
		if got := a.header.Get("ASPSP-SCA-Approach"); got != "REDIRECT" {
			t.Errorf("ASPSP-SCA-Approach = %q, want REDIRECT", got)
		}
		wantStatus(t, p.call("GET", loc, tok, nil, nil), 200)
	})

	t.Run("204 has no body", func(t *testing.T) {
		cid := p.createConsent(consentBody(nil))
		a := p.call("DELETE", "/v1/consents/"+cid, tok, nil, nil)
		if a.status != http.StatusNoContent || len(a.body) != 0 || a.header.Get("X-Request-ID") == "" {
			t.Errorf("DELETE: %d %q X-Request-ID %q; want 204, no body, an X-Request-ID", a.status, a.body, a.header.Get("X-Request-ID"))
		}
	})
}
