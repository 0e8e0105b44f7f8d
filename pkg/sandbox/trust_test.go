package sandbox

// Issue 14, the trust boundary: what one party of a shared sandbox (a TPP,
// a QTSP's CA given with --trust, anyone reaching its pages) can do to the
// others or to the bank itself.

import (
	"crypto/x509"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xs2a-dev/xs2a/pkg/qcert"

	"github.com/google/uuid"
)

// responsive fails unless the sandbox answers, within a second, both a
// request that takes no lock (the metadata) and one that takes the store's
// (a client token).
func responsive(t *testing.T, p *party) {
	t.Helper()
	quick := &http.Client{Timeout: time.Second, Transport: p.plain.Transport}
	resp, err := quick.Get(p.s.URL + "/.well-known/oauth-authorization-server")
	if err != nil {
		t.Fatalf("the metadata: %v", err)
	}
	resp.Body.Close()
	form := url.Values{"grant_type": {"client_credentials"}}
	req, _ := http.NewRequest("POST", p.s.URL+"/oauth/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(p.app.ClientID, p.app.ClientSecret)
	resp, err = quick.Do(req)
	if err != nil {
		t.Fatalf("a client token (the store's lock): %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("a client token: %d", resp.StatusCode)
	}
}

// TestSignInToAConsentThatIsGone: the PSU signs in to a consent the TPP
// deleted, or that the store pruned meanwhile. The page says so and the
// bank goes on serving (it used to dereference nil with the store's lock
// held, and every later request hung).
func TestSignInToAConsentThatIsGone(t *testing.T) {
	clock := newClock(time.Now())
	s := startSandbox(t, Options{RatePerSecond: -1, Now: clock.Now})

	// signIn opens the sign-in page for consent cid and returns the form
	// that signs in to it.
	signIn := func(p *party, cid string) url.Values {
		_, challenge := pkce()
		session, otp := p.loginPage(authQuery(p.app, cid, loopbackRedirect, "st", challenge))
		return url.Values{"session": {session}, "psu_id": {"1345611"}, "otp": {otp}}
	}
	del := func(p *party, token, cid string) {
		if a := p.call("DELETE", "/v1/consents/"+cid, token, nil, nil); a.status != http.StatusNoContent {
			t.Errorf("delete: %d %s", a.status, a.body)
		}
	}
	// signedIn checks the answer to a sign-in raced against the end of its
	// consent: the consent page, or the page saying the consent is gone.
	signedIn := func(t *testing.T, a answer) {
		if a.status == 200 && strings.Contains(string(a.body), `id="approve"`) {
			return
		}
		if a.status != 400 || !strings.Contains(string(a.body), "Start again from the application") {
			t.Errorf("sign-in during the consent's end: %d %.300s", a.status, a.body)
		}
	}

	t.Run("deleted", func(t *testing.T) {
		p := bankTPP(t, s)
		cid := p.createConsent(consentBody(nil))
		form := signIn(p, cid)
		del(p, p.clientToken(), cid)
		wantErrorPage(t, p.post("/oauth/login", form), "terminatedByTpp")
		responsive(t, p)
	})
	t.Run("pruned", func(t *testing.T) {
		// A terminated consent is pruned a day after its last action, and
		// the DELETE is that action: a sign-in (10 minutes at most) cannot
		// outlive it through the API. The page's answer to a consent gone
		// under a live sign-in is kept, with the last action set back by
		// hand to a minute before the day is over.
		p := bankTPP(t, s)
		cid := p.createConsent(consentBody(nil))
		form := signIn(p, cid)
		del(p, p.clientToken(), cid)
		s.store.locked(func() { s.store.consents[cid].LastAction = clock.Now().Add(-consentRetention + time.Minute) })
		clock.Add(2 * time.Minute)
		p.clientToken() // prunes
		wantErrorPage(t, p.post("/oauth/login", form), "no longer exists")
		responsive(t, p)
	})
	t.Run("raced", func(t *testing.T) {
		p := bankTPP(t, s)
		const n = 8
		// Deletes against sign-ins.
		tok := p.clientToken()
		var cids [n]string
		var forms [n]url.Values
		for i := range n {
			cids[i] = p.createConsent(consentBody(nil))
			forms[i] = signIn(p, cids[i])
		}
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(2)
			go func() { defer wg.Done(); signedIn(t, p.post("/oauth/login", forms[i])) }()
			go func() { defer wg.Done(); del(p, tok, cids[i]) }()
		}
		wg.Wait()
		responsive(t, p)

		// Prunes against sign-ins: the consents ended a day ago.
		for i := range n {
			cids[i] = p.createConsent(consentBody(nil))
		}
		clock.Add(24*time.Hour - time.Minute)
		tok = p.clientToken()
		for i := range n {
			forms[i] = signIn(p, cids[i])
			del(p, tok, cids[i])
		}
		clock.Add(2 * time.Minute)
		for i := range n {
			wg.Add(2)
			go func() { defer wg.Done(); signedIn(t, p.post("/oauth/login", forms[i])) }()
			go func() {
				defer wg.Done()
				clock.Add(time.Minute) // a minute apart: each may prune
				p.token(url.Values{"grant_type": {"client_credentials"}}, true)
			}()
		}
		wg.Wait()
		responsive(t, p)
	})
}

// TestLogHoldsNoControlCharacters: the operator's log shows what requests
// carried (a percent-decoded path, the X-Request-ID, the warnings quoting
// headers) with their control characters escaped: a request cannot clear
// the operator's terminal or forge a log line.
func TestLogHoldsNoControlCharacters(t *testing.T) {
	log := &syncLog{}
	s := startSandbox(t, Options{RatePerSecond: -1, Log: log, Dialect: DialectLenient})
	p := bankTPP(t, s)
	rid := "rid-\u009b2J-\u202eevil" // C1 CSI and a bidi override: net/http lets both through
	req := p.request("GET", "/%1b%5b2J%0d%0a2026-01-01T00:00:00Z GET /forged 200", "", nil, map[string]string{"X-Request-ID": rid})
	do(t, p.signed, req)
	// A raw ESC in a header: net/http refuses it before any handler.
	rawExchange(t, s, "GET /v1/accounts HTTP/1.1\r\nHost: x\r\nX-Request-ID: \x1b[2J\r\n\r\n")
	last := uuid.NewString()
	wantStatus(t, p.call("GET", "/v1/consents/%1b]0;title%07", p.clientToken(), nil, map[string]string{"X-Request-ID": last}), http.StatusForbidden)

	line := log.line(t, `rid-\u009b2J-\u202eevil`)
	if !strings.Contains(line, `/\x1b[2J\r\n2026-01-01T00:00:00Z GET /forged 200`) {
		t.Errorf("the path is not escaped in the log line: %q", line)
	}
	log.line(t, last) // written after the answer
	log.mu.Lock()
	all := log.b.String()
	log.mu.Unlock()
	if !strings.Contains(all, `/v1/consents/\x1b]0;title\x07`) {
		t.Errorf("the consent id is not escaped in the log:\n%s", all)
	}
	for _, bad := range []string{"\x1b", "\r", "\u009b", "\u202e", "\x07"} {
		if strings.Contains(all, bad) {
			t.Errorf("the log holds %q:\n%q", bad, all)
		}
	}
	for _, l := range strings.Split(strings.TrimSuffix(all, "\n"), "\n") {
		if strings.Contains(l, "GET /forged") && !strings.Contains(l, `\r\n`) {
			t.Errorf("a request forged a log line: %q", l)
		}
	}
}

// TestAnotherCAIsAnotherTPP: a TPP is its organizationIdentifier together
// with the CA its QWAC chains to. A QWAC with the same organizationIdentifier
// from another trusted CA (any --trust CA can mint one) is another TPP: it
// cannot use the first one's app, even knowing its secret, nor see its
// consents or its rejection records, nor spend its daily budget.
func TestAnotherCAIsAnotherTPP(t *testing.T) {
	rogueSet := extraSet(t, "same-org") // DefaultOrg under another CA
	rogueApp := App{Name: "Rogue", ClientID: "rogue-client", ClientSecret: "rogue-secret", APIKey: "rogue-key",
		OrganizationID: qcert.DefaultOrg.OrganizationIdentifier()}
	s := startSandbox(t, Options{RatePerSecond: -1, RatePerDay: 100, AutoApprove: true,
		Trust: []*x509.Certificate{rogueSet.CA.Cert}, Apps: []App{rogueApp}})
	victim := bankTPP(t, s)
	cid, at := victim.consented(consentBody(nil))
	rid := uuid.NewString()
	wantAPIError(t, do(t, victim.plain, victim.request("GET", "/v1/card-accounts", at, nil, map[string]string{"X-Request-ID": rid, "Consent-ID": cid})),
		http.StatusUnauthorized, CodeSignatureMissing, "")

	// The victim's app, with and without its secret.
	thief := newParty(t, s, s.DefaultApp, rogueSet.QWAC, rogueSet.QSeal)
	cc := url.Values{"grant_type": {"client_credentials"}}
	wantOAuthError(t, thief.token(cc, true), 401, "invalid_client", "another CA")
	post := url.Values{"grant_type": {"client_credentials"}, "client_id": {s.DefaultApp.ClientID}}
	wantOAuthError(t, thief.token(post, false), 401, "invalid_client")

	// Its own app of the same organisation: none of the victim's things.
	rogue := newParty(t, s, rogueApp, rogueSet.QWAC, rogueSet.QSeal)
	tok := rogue.clientToken()
	wantAPIError(t, rogue.call("GET", "/v1/consents/"+cid, tok, nil, nil), http.StatusForbidden, CodeConsentUnknown, "")
	wantAPIError(t, rogue.call("DELETE", "/v1/consents/"+cid, tok, nil, nil), http.StatusForbidden, CodeConsentUnknown, "")
	wantAPIError(t, rogue.cards(cid, at, nil), http.StatusUnauthorized, CodeTokenInvalid, "", "bound to another client certificate")
	a, _ := rogue.record(rid)
	wantAPIError(t, a, http.StatusForbidden, CodeResourceUnknown, "", "came from another TPP")
	// A consent of the victim awaiting authorisation cannot be authorised
	// through the rogue's app.
	waiting := victim.createConsent(consentBody(nil))
	_, challenge := pkce()
	q := redirected(t, rogue.authorize(authQuery(rogueApp, waiting, loopbackRedirect, "st", challenge)), loopbackRedirect)
	if q.Get("error") != "invalid_scope" || !strings.Contains(q.Get("error_description"), "belongs to another TPP") {
		t.Errorf("authorize the victim's consent through the rogue app: %v", q)
	}
	// Their day counts are apart.
	if n, m := s.requestsToday(victim), s.requestsToday(rogue); n == 0 || m == 0 || n+m != s.RequestsToday(victim.app.OrganizationID) {
		t.Errorf("requests today: victim %d, rogue %d, organisation %d", n, m, s.RequestsToday(victim.app.OrganizationID))
	}
	// The victim is untouched.
	if st := victim.consentStatus(cid); st != StatusValid {
		t.Errorf("the victim's consent is %s", st)
	}
}

// TestWhyRecordsPerTPP: each TPP's `sandbox why` records are kept apart and
// bounded per TPP. Requests without a certificate, or from another TPP
// (another organisation, or the same one under another CA), cannot push
// a TPP's record out, and the same X-Request-ID sent by another never
// replaces it.
func TestWhyRecordsPerTPP(t *testing.T) {
	rogueSet := extraSet(t, "same-org")
	s := startSandbox(t, otherOrgOptions(t, Options{Remember: 3, RatePerSecond: -1, RatePerDay: -1,
		Trust: []*x509.Certificate{rogueSet.CA.Cert}}))
	bank, other := bankTPP(t, s), otherTPP(t, s)
	rogue := newParty(t, s, s.DefaultApp, rogueSet.QWAC, rogueSet.QSeal)
	anon := newParty(t, s, s.DefaultApp, nil, s.Certs.QSeal)
	reject := func(p *party, path, rid string) {
		t.Helper()
		a := do(t, p.plain, p.request("GET", path, "", nil, map[string]string{"X-Request-ID": rid}))
		if a.status < 400 {
			t.Fatalf("%s was not rejected: %d", path, a.status)
		}
	}
	rid := uuid.NewString()
	reject(bank, "/v1/card-accounts", rid)
	// The same id from the others; then a flood from each.
	for _, p := range []*party{other, rogue, anon} {
		reject(p, "/v1/accounts", rid)
		if p == other {
			// Each reads its own record of that id.
			if _, rec := other.record(rid); rec == nil || rec.Path != "/v1/accounts" || rec.OrganizationID != otherApp.OrganizationID {
				t.Errorf("the other TPP's record of the same id: %+v", rec)
			}
		}
		for range 10 {
			reject(p, "/v1/accounts", uuid.NewString())
		}
	}
	a, rec := bank.record(rid)
	if rec == nil || rec.Path != "/v1/card-accounts" {
		t.Fatalf("the bank's record of %s: %d %s", rid, a.status, a.body)
	}
	// The bank's bound is its own.
	for range 3 {
		reject(bank, "/v1/card-accounts", uuid.NewString())
	}
	a, _ = bank.record(rid)
	wantAPIError(t, a, http.StatusNotFound, CodeResourceUnknown, "", "the sandbox keeps the newest 3 of each TPP")
	if n := s.memory.len(); n > 3*4 {
		t.Errorf("%d records kept; want at most 3 per sender", n)
	}
}

// TestTokenEndpointLimits: the token endpoint limits each TPP's requests a
// second as the API does (the same --rate, in a count of its own) and
// answers 429 slow_down with Retry-After past it; each app
// keeps at most MaxTokensPerApp tokens, the oldest dropped first, so a
// loop cannot grow memory or the data file.
func TestTokenEndpointLimits(t *testing.T) {
	cc := url.Values{"grant_type": {"client_credentials"}}
	t.Run("per second", func(t *testing.T) {
		clock := newClock(time.Now())
		s := startSandbox(t, otherOrgOptions(t, Options{RatePerSecond: 2, RatePerDay: -1, Now: clock.Now}))
		p, other := bankTPP(t, s), otherTPP(t, s)
		wantStatus(t, p.token(cc, true), 200)
		wantStatus(t, p.token(cc, true), 200)
		a := p.token(cc, true)
		wantOAuthError(t, a, http.StatusTooManyRequests, "slow_down", "more than 2 token requests a second from this TPP")
		if a.header.Get("Retry-After") != "1" {
			t.Errorf("Retry-After %q", a.header.Get("Retry-After"))
		}
		wantStatus(t, other.token(cc, true), 200) // another TPP's count
		// The API's count is apart.
		wantStatus(t, p.call("POST", "/v1/consents", "", consentBody(nil), nil), 401)
		clock.Add(time.Second)
		wantStatus(t, p.token(cc, true), 200)
	})
	t.Run("not the API's daily count", func(t *testing.T) {
		// The daily limit is the API's (the client's budget counts API
		// calls): token requests neither use it up nor meet it.
		s := startSandbox(t, Options{RatePerSecond: -1, RatePerDay: 2})
		p := bankTPP(t, s)
		for range 4 {
			wantStatus(t, p.token(cc, true), 200)
		}
		if n := s.RequestsToday(p.app.OrganizationID); n != 0 {
			t.Errorf("token requests counted %d API requests", n)
		}
	})
	t.Run("tokens per app", func(t *testing.T) {
		s := startSandbox(t, Options{RatePerSecond: -1, RatePerDay: -1, AutoApprove: true})
		p := bankTPP(t, s)
		_, at := p.consented(consentBody(nil))
		first := p.clientToken()
		for range MaxTokensPerApp + 5 {
			p.clientToken()
		}
		if n := s.liveTokens(s.DefaultApp.ClientID); n > MaxTokensPerApp {
			t.Errorf("%d tokens kept for the app; want at most %d", n, MaxTokensPerApp)
		}
		wantAPIError(t, p.call("POST", "/v1/consents", first, consentBody(nil), nil), 401, CodeTokenUnknown, "")
		wantAPIError(t, p.call("GET", "/v1/card-accounts", at, nil, map[string]string{"Consent-ID": "x"}), 401, CodeTokenUnknown, "")
	})
}
