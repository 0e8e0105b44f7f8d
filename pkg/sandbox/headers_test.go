package sandbox

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

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

// TestOptionalAccessFields: the optional fields of the file's accountAccess
// schema are accepted, or refused by name with PARAMETER_NOT_SUPPORTED;
// never FORMAT_ERROR "unknown field".
func TestOptionalAccessFields(t *testing.T) {
	s := startSandbox(t, Options{RatePerSecond: -1})
	p := bankTPP(t, s)
	tok := p.clientToken()
	ip := map[string]string{"PSU-IP-Address": "192.0.2.10"}
	access := func(a map[string]any) []byte {
		return consentBody(func(m map[string]any) { m["access"] = a })
	}
	for _, tc := range []struct {
		name   string
		access map[string]any
		status int
		code   string
		path   string
		text   string
	}{
		{"availableAccounts allAccountsWithOwnerName", map[string]any{"availableAccounts": "allAccountsWithOwnerName"}, 201, "", "", ""},
		{"availableAccountsWithBalance allAccountsWithOwnerName", map[string]any{"availableAccountsWithBalance": "allAccountsWithOwnerName"}, 201, "", "", ""},
		{"allPsd2 allAccountsWithOwnerName", map[string]any{"allPsd2": "allAccountsWithOwnerName"}, 400, CodeParameterNotSupported, "access.allPsd2", "does not deliver owner names"},
		{"additionalInformation ownerName", map[string]any{"accounts": []any{}, "additionalInformation": map[string]any{"ownerName": []any{}}}, 400, CodeParameterNotSupported, "access.additionalInformation", "not supported here"},
		{"additionalInformation trustedBeneficiaries", map[string]any{"accounts": []any{}, "additionalInformation": map[string]any{"trustedBeneficiaries": []any{}}}, 400, CodeParameterNotSupported, "access.additionalInformation", "trusted beneficiaries"},
		{"restrictedTo", map[string]any{"availableAccounts": "allAccounts", "restrictedTo": []any{"CACC"}}, 400, CodeParameterNotSupported, "access.restrictedTo", "no cashAccountType"},
		{"a field the file does not define", map[string]any{"allPsd2": "allAccounts", "ownerName": true}, 400, CodeFormatError, "ownerName", `unknown field "ownerName"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := p.call("POST", "/v1/consents", tok, access(tc.access), ip)
			if tc.status != 201 {
				wantAPIError(t, a, tc.status, tc.code, tc.path, tc.text)
				return
			}
			wantStatus(t, a, 201)
			var cr struct{ ConsentID string }
			a.json(t, &cr)
			// Accepted means kept: GET consent shows it as asked.
			g := p.call("GET", "/v1/consents/"+cr.ConsentID, tok, nil, nil)
			var info struct{ Access map[string]any }
			g.json(t, &info)
			for k, v := range tc.access {
				if info.Access[k] != v {
					t.Errorf("GET consent access.%s = %v, want %v", k, info.Access[k], v)
				}
			}
		})
	}
}

// TestLastActionDate: every change of a consent moves lastActionDate to
// the bank's day of the change.
func TestLastActionDate(t *testing.T) {
	clock := newClock(time.Now())
	s := startSandbox(t, Options{RatePerSecond: -1, AutoApprove: true, Now: clock.Now})
	p := bankTPP(t, s)
	tok := p.clientToken()
	ip := map[string]string{"PSU-IP-Address": "192.0.2.10"}
	last := func(cid string) string {
		t.Helper()
		var info struct{ LastActionDate string }
		p.call("GET", "/v1/consents/"+cid, p.clientToken(), nil, nil).json(t, &info)
		return info.LastActionDate
	}
	a := p.call("POST", "/v1/consents", tok, consentBody(nil), ip)
	wantStatus(t, a, 201)
	var cr struct{ ConsentID string }
	a.json(t, &cr)
	cid := cr.ConsentID
	steps := []struct {
		name   string
		change func()
	}{
		{"created", func() {}},
		{"approved", func() { p.tokens(p.autoCode(cid)) }},
		{"deleted", func() { wantStatus(t, p.call("DELETE", "/v1/consents/"+cid, p.clientToken(), nil, nil), 204) }},
	}
	for i, st := range steps {
		if i > 0 {
			clock.Add(24 * time.Hour)
		}
		st.change()
		if got, want := last(cid), bankDate(clock.Now()).Format(time.DateOnly); got != want {
			t.Errorf("%s: lastActionDate %s, want %s", st.name, got, want)
		}
	}
	// A terminated consent is kept a day after its last change, the DELETE.
	clock.Add(consentRetention - time.Minute)
	if a := p.call("GET", "/v1/consents/"+cid, p.clientToken(), nil, nil); a.status != 200 {
		t.Errorf("a deleted consent is pruned before a day after the DELETE: %d %s", a.status, a.body)
	}
	clock.Add(2 * time.Minute)
	p.clientToken() // prunes
	wantAPIError(t, p.call("GET", "/v1/consents/"+cid, p.clientToken(), nil, nil), 403, CodeConsentUnknown, "")

	t.Run("rejected by the PSU", func(t *testing.T) {
		s := startSandbox(t, Options{RatePerSecond: -1, Now: clock.Now})
		p := bankTPP(t, s)
		cid := p.createConsent(consentBody(nil))
		clock.Add(24 * time.Hour)
		_, challenge := pkce()
		session, otp := p.loginPage(authQuery(p.app, cid, loopbackRedirect, "st-deny", challenge))
		wantStatus(t, p.post("/oauth/login", url.Values{"session": {session}, "psu_id": {"1345611"}, "otp": {otp}}), 200)
		redirected(t, p.post("/oauth/decision", url.Values{"session": {session}, "decision": {"deny"}}), loopbackRedirect)
		if st := p.consentStatus(cid); st != StatusRejected {
			t.Fatalf("status %s, want rejected", st)
		}
		var info struct{ LastActionDate string }
		p.call("GET", "/v1/consents/"+cid, p.clientToken(), nil, nil).json(t, &info)
		if want := bankDate(clock.Now()).Format(time.DateOnly); info.LastActionDate != want {
			t.Errorf("rejected: lastActionDate %s, want %s", info.LastActionDate, want)
		}
	})
}
