package sandbox

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/xs2a-dev/xs2a/pkg/spec"
)

type startedAnswer struct {
	ScaStatus       string          `json:"scaStatus"`
	AuthorisationID string          `json:"authorisationId"`
	Links           map[string]link `json:"_links"`
}

// scaStatusAt reads an authorisation's scaStatus through the API.
func (p *party) scaStatusAt(t *testing.T, path string) string {
	t.Helper()
	a := p.call("GET", path, p.clientToken(), nil, nil)
	wantStatus(t, a, 200)
	var st struct{ ScaStatus string }
	a.json(t, &st)
	return st.ScaStatus
}

// oneOfAmbiguous reports findings that are only the file's ambiguous
// oneOfs: the 200 of updateConsentsPsuData is a oneOf of five schemas of
// which three (updatePsuAuthenticationResponse,
// selectPsuAuthenticationMethodResponse, scaStatusResponse) require only
// scaStatus and forbid nothing, so every answer matches several; the
// request bodies are a oneOf whose first branch is {} (anything), so any
// body that matches another branch matches two.
func oneOfAmbiguous(err error) bool {
	var me openapi3.MultiError
	if !errors.As(err, &me) {
		me = openapi3.MultiError{err}
	}
	for _, e := range me {
		if !strings.Contains(e.Error(), "input matches more than one oneOf schemas") {
			return false
		}
	}
	return len(me) > 0
}

// stepOneOf is a step whose request body or answer falls under one of
// the file's ambiguous oneOfs (PUT .../authorisations/{id}; the request
// bodies of POST .../authorisations and of that PUT, where {} is one of
// the branches and matches anything): of the findings only that
// ambiguity is accepted, and the answer is validated against the one
// schema it means (want, e.g. updatePsuIdentificationResponse), so the
// check still bites.
func (r *specRig) stepOneOf(name string, status int, want string, requestConforms bool, send func() answer) answer {
	r.t.Helper()
	var a answer
	r.t.Run(name, func(t *testing.T) {
		a = send()
		if a.status != status {
			t.Fatalf("status %d, want %d: %s", a.status, status, a.body)
		}
		op, reqErr, respErr := r.checker.validate(r.rec.last(t))
		switch {
		case requestConforms && reqErr != nil && !oneOfAmbiguous(reqErr):
			t.Errorf("%s request does not conform to the OpenAPI file: %v", op, reqErr)
		case !requestConforms && reqErr == nil:
			t.Errorf("%s: the request was meant to break the file but conforms", op)
		}
		if respErr != nil && !oneOfAmbiguous(respErr) {
			t.Errorf("%s response does not conform to the OpenAPI file: %v", op, respErr)
		}
		if want == "" {
			return
		}
		doc := spec.Load(t)
		sr := doc.Components.Schemas[want]
		if sr == nil || sr.Value == nil {
			t.Fatalf("no schema %s", want)
		}
		var v any
		if err := json.Unmarshal(a.body, &v); err != nil {
			t.Fatal(err)
		}
		if err := sr.Value.VisitJSON(v); err != nil {
			t.Errorf("the answer is not a %s: %v\n%s", want, err, a.body)
		}
		if !t.Failed() && requestConforms {
			r.checker.cover(r.rec.last(t))
		}
	})
	return a
}

// TestOpenAPIAuthorisations: the four authorisation operations of the
// file, each with a 2xx and its errors, validated against the file, and the
// scaStatus following a real sign-in on the bank's pages (AutoApprove off).
func TestOpenAPIAuthorisations(t *testing.T) {
	rig := newSpecRigAs(t, Options{})
	p := rig.p
	tok := p.clientToken()
	step, badStep := rig.step, rig.badStep

	var cid, implicit string
	step("201 consent created, its authorisation implicit", 201, func() answer {
		a := p.call("POST", "/v1/consents", tok, consentBody(nil), nil)
		var cr struct {
			ConsentID string
			Links     map[string]link `json:"_links"`
		}
		a.json(t, &cr)
		cid, implicit = cr.ConsentID, cr.Links["scaStatus"].Href
		if !strings.HasPrefix(implicit, "/v1/consents/"+cid+"/authorisations/") || cr.Links["scaOAuth"].Href == "" {
			t.Errorf("consent links: %s", a.body)
		}
		return a
	})
	step("200 implicit authorisation received", 200, func() answer {
		a := p.call("GET", implicit, tok, nil, nil)
		if got := string(bytes.TrimSpace(a.body)); got != `{"scaStatus":"received"}` {
			t.Errorf("body %s", got)
		}
		return a
	})
	base := "/v1/consents/" + cid + "/authorisations"
	var started startedAnswer
	step("201 authorisation started, no body", 201, func() answer {
		a := p.call("POST", base, tok, nil, nil)
		a.json(t, &started)
		if started.ScaStatus != ScaReceived || started.AuthorisationID == "" ||
			started.Links["scaStatus"].Href != base+"/"+started.AuthorisationID ||
			started.Links["scaOAuth"].Href != p.s.URL+"/.well-known/oauth-authorization-server" {
			t.Errorf("answer %s", a.body)
		}
		if a.header.Get("ASPSP-SCA-Approach") != "REDIRECT" || a.header.Get("Location") != base+"/"+started.AuthorisationID {
			t.Errorf("headers %v", a.header)
		}
		return a
	})
	var second startedAnswer
	step("201 authorisation started, body {} and PSU-IP-Address", 201, func() answer {
		a := p.call("POST", base, tok, []byte(`{}`), map[string]string{"PSU-IP-Address": testPSUIP})
		a.json(t, &second)
		return a
	})
	step("200 authorisation list", 200, func() answer {
		a := p.call("GET", base, tok, nil, nil)
		var l struct{ AuthorisationIDs []string }
		a.json(t, &l)
		want := []string{strings.TrimPrefix(implicit, base+"/"), started.AuthorisationID, second.AuthorisationID}
		if strings.Join(l.AuthorisationIDs, ",") != strings.Join(want, ",") {
			t.Errorf("ids %v, want %v", l.AuthorisationIDs, want)
		}
		return a
	})
	secondPath := base + "/" + second.AuthorisationID
	rig.stepOneOf("200 PSU identified", 200, "updatePsuIdentificationResponse", true, func() answer {
		a := p.call("PUT", secondPath, tok, []byte(`{}`), map[string]string{"PSU-ID": "1345611"})
		var u startedAnswer
		a.json(t, &u)
		if u.ScaStatus != ScaPSUIdentified || u.Links["scaOAuth"].Href == "" || u.Links["scaStatus"].Href != secondPath {
			t.Errorf("answer %s", a.body)
		}
		if a.header.Get("ASPSP-SCA-Approach") != "REDIRECT" {
			t.Errorf("headers %v", a.header)
		}
		return a
	})

	// The PSU opens the page, signs in and approves: the latest open
	// authorisation follows; the others can no longer finish.
	verifier, challenge := pkce()
	session, otp := p.loginPage(authQuery(p.app, cid, loopbackRedirect, "st-1", challenge))
	if got := p.scaStatusAt(t, secondPath); got != ScaStarted {
		t.Errorf("after the page opened: %s, want started", got)
	}
	wantStatus(t, p.post("/oauth/login", url.Values{"session": {session}, "psu_id": {"1345611"}, "otp": {otp}}), 200)
	if got := p.scaStatusAt(t, secondPath); got != ScaPSUAuthenticated {
		t.Errorf("after the sign-in: %s, want psuAuthenticated", got)
	}
	q := redirected(t, p.post("/oauth/decision", url.Values{"session": {session}, "decision": {"approve"}}), loopbackRedirect)
	step("200 authorisation finalised", 200, func() answer {
		a := p.call("GET", secondPath, tok, nil, nil)
		var st struct{ ScaStatus string }
		a.json(t, &st)
		if st.ScaStatus != ScaFinalised {
			t.Errorf("after the approval: %s, want finalised", a.body)
		}
		return a
	})
	for _, other := range []string{implicit, base + "/" + started.AuthorisationID} {
		if got := p.scaStatusAt(t, other); got != ScaFailed {
			t.Errorf("%s after another authorisation finished: %s, want failed", other, got)
		}
	}
	p.tokens(authGrant{cid: cid, code: q.Get("code"), redirect: loopbackRedirect, verifier: verifier})

	// Errors.
	step("409 STATUS_INVALID (POST on a valid consent)", 409, func() answer {
		a := p.call("POST", base, tok, nil, nil)
		wantAPIError(t, a, 409, CodeStatusInvalid, "", "is valid", "does not allow additional authorisation")
		return a
	})
	rig.stepOneOf("409 STATUS_INVALID (PUT on a finalised authorisation)", 409, "", true, func() answer {
		a := p.call("PUT", secondPath, tok, []byte(`{}`), map[string]string{"PSU-ID": "1345611"})
		wantAPIError(t, a, 409, CodeStatusInvalid, "", "finalised")
		return a
	})
	step("403 RESOURCE_UNKNOWN (unknown authorisationId)", 403, func() answer {
		a := p.call("GET", base+"/auth-unknown", tok, nil, nil)
		wantAPIError(t, a, 403, CodeResourceUnknown, "authorisationId", "auth-unknown")
		return a
	})
	step("403 CONSENT_UNKNOWN (unknown consent)", 403, func() answer {
		return p.call("GET", "/v1/consents/cns-unknown/authorisations", tok, nil, nil)
	})
	step("401 TOKEN_INVALID (no token)", 401, func() answer { return p.call("POST", base, "", nil, nil) })

	fresh := p.createConsent(consentBody(nil))
	fbase := "/v1/consents/" + fresh + "/authorisations"
	var f startedAnswer
	step("201 authorisation started with PSU-ID", 201, func() answer {
		a := p.call("POST", fbase, tok, nil, map[string]string{"PSU-ID": "3000001"})
		a.json(t, &f)
		if f.ScaStatus != ScaPSUIdentified {
			t.Errorf("answer %s", a.body)
		}
		return a
	})
	fpath := fbase + "/" + f.AuthorisationID
	for _, c := range []struct{ name, body, field string }{
		{"psuData", `{"psuData":{"password":"secret"}}`, "psuData"},
		{"authenticationMethodId", `{"authenticationMethodId":"sms"}`, "authenticationMethodId"},
		{"scaAuthenticationData", `{"scaAuthenticationData":"123456"}`, "scaAuthenticationData"},
		{"confirmationCode", `{"confirmationCode":"abc"}`, "confirmationCode"},
	} {
		// {"psuData": ...} matches both the file's {} and
		// updatePsuAuthentication: the request's oneOf is ambiguous too.
		rig.stepOneOf("400 SERVICE_INVALID ("+c.name+")", 400, "", true, func() answer {
			a := p.call("PUT", fpath, tok, []byte(c.body), map[string]string{"PSU-ID": "3000001"})
			wantAPIError(t, a, 400, CodeServiceInvalid, c.field, "OAuth2 pages")
			return a
		})
	}
	rig.stepOneOf("400 SERVICE_INVALID (psuData on POST)", 400, "", true, func() answer {
		a := p.call("POST", fbase, tok, []byte(`{"psuData":{"password":"secret"}}`), nil)
		wantAPIError(t, a, 400, CodeServiceInvalid, "psuData", "OAuth2 pages")
		return a
	})
	rig.stepOneOf("400 FORMAT_ERROR (PSU-ID missing)", 400, "", true, func() answer {
		a := p.call("PUT", fpath, tok, []byte(`{}`), nil)
		wantAPIError(t, a, 400, CodeFormatError, "PSU-ID", "PSU identification")
		return a
	})
	rig.stepOneOf("401 PSU_CREDENTIALS_INVALID (unknown PSU-ID)", 401, "", true, func() answer {
		a := p.call("PUT", fpath, tok, []byte(`{}`), map[string]string{"PSU-ID": "9999999"})
		wantAPIError(t, a, 401, CodePSUCredentialsInvalid, "PSU-ID", "9999999")
		return a
	})
	badStep("405 SERVICE_INVALID (DELETE)", 405, func() answer {
		a := p.call("DELETE", fpath, tok, nil, nil)
		if a.header.Get("Allow") != "GET, PUT" {
			t.Errorf("Allow %q", a.header.Get("Allow"))
		}
		return a
	})

	// Identified for customer 3000001: another customer cannot sign in
	// for it; the customer identified refuses, and the authorisation fails.
	_, challenge = pkce()
	session, otp = p.loginPage(authQuery(p.app, fresh, loopbackRedirect, "st-2", challenge))
	if got := p.scaStatusAt(t, fpath); got != ScaStarted {
		t.Errorf("after the page opened: %s, want started", got)
	}
	a := p.post("/oauth/login", url.Values{"session": {session}, "psu_id": {"1345611"}, "otp": {otp}})
	if a.status != 200 || !bytes.Contains(a.body, []byte("another customer")) || bytes.Contains(a.body, []byte(`id="approve"`)) {
		t.Errorf("another customer signed in: %d %s", a.status, a.body)
	}
	wantStatus(t, p.post("/oauth/login", url.Values{"session": {session}, "psu_id": {"3000001"}, "otp": {otp}}), 200)
	q = redirected(t, p.post("/oauth/decision", url.Values{"session": {session}, "decision": {"deny"}}), loopbackRedirect)
	if q.Get("error") != "access_denied" {
		t.Errorf("redirect %v", q)
	}
	step("200 authorisation failed", 200, func() answer {
		a := p.call("GET", fpath, tok, nil, nil)
		if got := string(bytes.TrimSpace(a.body)); got != `{"scaStatus":"failed"}` {
			t.Errorf("after the refusal: %s", got)
		}
		return a
	})
	if st := p.consentStatus(fresh); st != StatusRejected {
		t.Errorf("consent %s, want rejected", st)
	}
}

// TestSCATransitions: the scaStatus moves of the OAuth2 sign-in.
func TestSCATransitions(t *testing.T) {
	for _, c := range []struct {
		from string
		ev   scaEvent
		to   string
		ok   bool
	}{
		{ScaReceived, scaIdentify, ScaPSUIdentified, true},
		{ScaPSUIdentified, scaIdentify, ScaPSUIdentified, false},
		{ScaStarted, scaIdentify, ScaStarted, false},
		{ScaReceived, scaOpen, ScaStarted, true},
		{ScaPSUIdentified, scaOpen, ScaStarted, true},
		{ScaPSUAuthenticated, scaOpen, ScaStarted, true}, // a new sign-in restarts the routine
		{ScaReceived, scaSignIn, ScaReceived, false},     // no sign-in without the page
		{ScaStarted, scaSignIn, ScaPSUAuthenticated, true},
		{ScaPSUAuthenticated, scaSignIn, ScaPSUAuthenticated, true},
		{ScaPSUAuthenticated, scaApprove, ScaFinalised, true},
		{ScaReceived, scaApprove, ScaFinalised, true}, // AutoApprove: no page
		{ScaPSUAuthenticated, scaDeny, ScaFailed, true},
		{ScaFinalised, scaDeny, ScaFinalised, false},
		{ScaFailed, scaApprove, ScaFailed, false},
		{ScaFinalised, scaOpen, ScaFinalised, false},
		{ScaFailed, scaIdentify, ScaFailed, false},
	} {
		to, ok := nextSCA(c.from, c.ev)
		if to != c.to || ok != c.ok {
			t.Errorf("%s --%s--> %s %v, want %s %v", c.from, c.ev, to, ok, c.to, c.ok)
		}
	}
	// What is answered: an unfinished authorisation of a consent that
	// left received is failed; a final one stays what it is.
	for _, c := range []struct{ consent, stored, want string }{
		{StatusReceived, ScaStarted, ScaStarted},
		{StatusValid, ScaReceived, ScaFailed},
		{StatusTerminatedByTpp, ScaPSUIdentified, ScaFailed},
		{StatusExpired, ScaStarted, ScaFailed},
		{StatusValid, ScaFinalised, ScaFinalised},
		{StatusRevokedByPsu, ScaFinalised, ScaFinalised},
		{StatusRejected, ScaFailed, ScaFailed},
	} {
		if got := scaStatusOf(&Consent{Status: c.consent}, &authorisation{Status: c.stored}); got != c.want {
			t.Errorf("consent %s, stored %s: answered %s, want %s", c.consent, c.stored, got, c.want)
		}
	}
}

// TestAuthorisationsBounded: a consent keeps its newest
// MaxAuthorisationsPerConsent authorisations.
func TestAuthorisationsBounded(t *testing.T) {
	s := startSandbox(t, Options{RatePerSecond: -1})
	p := bankTPP(t, s)
	tok := p.clientToken()
	cid := p.createConsent(consentBody(nil))
	var last string
	for range MaxAuthorisationsPerConsent + 3 {
		a := p.call("POST", "/v1/consents/"+cid+"/authorisations", tok, nil, nil)
		wantStatus(t, a, 201)
		var st startedAnswer
		a.json(t, &st)
		last = st.AuthorisationID
	}
	a := p.call("GET", "/v1/consents/"+cid+"/authorisations", tok, nil, nil)
	var l struct{ AuthorisationIDs []string }
	a.json(t, &l)
	if len(l.AuthorisationIDs) != MaxAuthorisationsPerConsent || l.AuthorisationIDs[len(l.AuthorisationIDs)-1] != last {
		t.Errorf("%d ids, last %v; want %d ending in %s", len(l.AuthorisationIDs), l.AuthorisationIDs, MaxAuthorisationsPerConsent, last)
	}
}

// TestAuthorisationsPersist: authorisations and their statuses survive a
// restart; AutoApprove finalises the implicit one, as the identified PSU.
func TestAuthorisationsPersist(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	opts := Options{AutoApprove: true, RatePerSecond: -1}
	s := startData(t, dir, opts)
	p := bankTPP(t, s)
	tok := p.clientToken()
	approved := p.createConsent(consentBody(nil))
	pending := p.createConsent(consentBody(nil))
	a := p.call("POST", "/v1/consents/"+pending+"/authorisations", tok, nil, map[string]string{"PSU-ID": "3000001"})
	wantStatus(t, a, 201)
	var st startedAnswer
	a.json(t, &st)
	p.tokens(p.autoCode(approved))
	list := func(p *party, cid string) []string {
		a := p.call("GET", "/v1/consents/"+cid+"/authorisations", p.clientToken(), nil, nil)
		wantStatus(t, a, 200)
		var l struct{ AuthorisationIDs []string }
		a.json(t, &l)
		return l.AuthorisationIDs
	}
	before := list(p, approved)
	s.Close()

	s = startData(t, dir, opts)
	defer s.Close()
	p = bankTPP(t, s)
	if after := list(p, approved); len(after) != 1 || strings.Join(after, ",") != strings.Join(before, ",") {
		t.Fatalf("after the restart %v, before %v", after, before)
	}
	if got := p.scaStatusAt(t, "/v1/consents/"+approved+"/authorisations/"+before[0]); got != ScaFinalised {
		t.Errorf("approved consent's authorisation: %s", got)
	}
	path := "/v1/consents/" + pending + "/authorisations/" + st.AuthorisationID
	if got := p.scaStatusAt(t, path); got != ScaPSUIdentified {
		t.Errorf("identified authorisation after the restart: %s", got)
	}
	// AutoApprove signs in the PSU the TPP identified.
	p.tokens(p.autoCode(pending))
	if got := p.scaStatusAt(t, path); got != ScaFinalised {
		t.Errorf("after AutoApprove: %s", got)
	}
	var psu string
	s.store.locked(func() { psu = s.store.consents[pending].PSU.ID })
	if psu != "3000001" {
		t.Errorf("AutoApprove approved as %s, want the identified 3000001", psu)
	}
}
