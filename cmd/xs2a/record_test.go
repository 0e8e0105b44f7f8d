package main_test

// --record, `sign verify --bundle` and `replay` through the built binary:
// a recording of every network command against an emulated bank holds no
// secret, verifies offline, and replays the same until the bank changes.

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xs2a-dev/xs2a/pkg/bundle"
	"github.com/xs2a-dev/xs2a/pkg/httplog"
	"github.com/xs2a-dev/xs2a/pkg/sandbox"
)

// secrets collects the real secret values a test has seen, by name.
type secrets map[string]string

func (s secrets) add(name, v string) {
	if v != "" {
		s[name+" "+strconv.Itoa(len(s))] = v
	}
}

// recording reads every file of dir, checking that each parses as a
// bundle file with mode 0600, and returns all their bytes.
func recording(t *testing.T, dir string) ([]*bundle.Exchange, []byte) {
	t.Helper()
	if st, err := os.Stat(dir); err != nil || st.Mode().Perm() != 0o700 {
		t.Errorf("record dir %s: %v, mode %v; want 0700", dir, err, st.Mode().Perm())
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var all []byte
	var exs []*bundle.Exchange
	for _, e := range ents {
		p := filepath.Join(dir, e.Name())
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if st, _ := os.Stat(p); st.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v; want 0600", e.Name(), st.Mode().Perm())
		}
		x, err := bundle.Parse(b)
		if err != nil {
			t.Errorf("%s does not parse: %v", e.Name(), err)
			continue
		}
		x.File = e.Name()
		exs = append(exs, x)
		all = append(all, b...)
	}
	if len(exs) == 0 {
		t.Fatalf("nothing recorded in %s", dir)
	}
	return exs, all
}

// noSecrets asserts that no secret is anywhere in the recording, and that
// the fingerprint of each in mustUse is.
func noSecrets(t *testing.T, all []byte, s secrets, mustUse ...string) {
	t.Helper()
	for name, v := range s {
		if bytes.Contains(all, []byte(v)) {
			t.Errorf("%s (%q) is in the recording", name, v)
		}
		if q := url.QueryEscape(v); bytes.Contains(all, []byte(q)) {
			t.Errorf("%s is in the recording URL-encoded", name)
		}
	}
	for _, v := range mustUse {
		if !bytes.Contains(all, []byte(httplog.Redact(v))) {
			t.Errorf("the fingerprint %s of a secret used is not in the recording", httplog.Redact(v))
		}
	}
}

// secretFieldsRedacted checks, without knowing the values, that every
// credential field of the recording holds a fingerprint.
func secretFieldsRedacted(t *testing.T, all []byte) {
	t.Helper()
	checks := []*regexp.Regexp{
		regexp.MustCompile(`\\"(?:access_token|refresh_token|id_token)\\":\\"([^\\"]*)\\"`),
		regexp.MustCompile(`"value": "(?:Bearer|Basic) ([^"]*)"`),
		regexp.MustCompile(`(?:code|code_verifier|refresh_token|client_secret)=([^&"]*)`),
	}
	n := 0
	for _, re := range checks {
		for _, m := range re.FindAllSubmatch(all, -1) {
			n++
			if !regexp.MustCompile(`^\[redacted sha256:[0-9a-f]{8}\]$`).Match(m[1]) {
				t.Errorf("credential not redacted: %s", m[0])
			}
		}
	}
	if n < 5 {
		t.Errorf("only %d credential fields found in the recording; the patterns no longer match it", n)
	}
}

// validLines are the report lines of signed exchanges that verify.
var validLines = regexp.MustCompile(`(?m)^\d+ +[A-Z]+ /\S* +valid keyId serial `)

func TestRecordVerifyReplay(t *testing.T) {
	needCurl(t)
	b := startBank(t, sandbox.Options{AutoApprove: true, RatePerSecond: -1, RatePerDay: -1})
	u := newUser(t, b, nil)
	rec := filepath.Join(u.dir, "rec")
	app := b.s.DefaultApp
	sec := secrets{}
	sec.add("client secret", app.ClientSecret)
	sec.add("API key", app.APIKey)
	basic := base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(app.ClientID) + ":" + url.QueryEscape(app.ClientSecret)))
	sec.add("Basic credentials", basic)
	from := time.Now().AddDate(0, 0, -30).Format(time.DateOnly)

	u.must("--record", rec, "token")
	clientTok := u.state().ClientToken.AccessToken
	sec.add("client token", clientTok)
	r := u.must("--record", rec, "consent", "create")
	m := consentLine.FindStringSubmatch(r.stdout)
	if m == nil {
		t.Fatalf("consent create printed %q", r.stdout)
	}
	cid := m[1]
	u.must("--record", rec, "authorize", "--timeout", "20s")
	st := u.state()
	code, verifier := st.Code, st.CodeVerifier
	if code == "" || verifier == "" {
		t.Fatalf("authorize kept no code/verifier: %+v", st)
	}
	sec.add("authorization code", code)
	sec.add("PKCE verifier", verifier)
	// XS2A_RECORD works like the flag.
	u.runEnv([]string{"XS2A_RECORD=" + rec}, "token", "exchange")
	st = u.state()
	if st.UserToken == nil {
		t.Fatal("token exchange gave no user token")
	}
	access, refresh := st.UserToken.AccessToken, st.UserToken.RefreshToken
	sec.add("access token", access)
	sec.add("refresh token", refresh)
	u.must("--record", rec, "accounts", "list")
	u.must("--record", rec, "accounts", "balances", "card-8693", "--psu-ip", "192.0.2.10")
	u.must("--record", rec, "accounts", "transactions", "card-8693", "--from", from, "--psu-ip", "192.0.2.10")
	u.must("--record", rec, "api", "GET", "/consents/"+cid+"/status", "--token", "client")
	r = u.must("--record", rec, "token", "refresh", "-o", "json", "--show-secrets")
	var refreshed struct {
		AccessToken  string `json:"access_token"`
		RefreshToken string `json:"refresh_token"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &refreshed); err != nil || refreshed.AccessToken == "" || refreshed.AccessToken == access {
		t.Fatalf("token refresh -o json --show-secrets: %v %s", err, r.stdout)
	}
	sec.add("refreshed access token", refreshed.AccessToken)
	sec.add("rotated refresh token", refreshed.RefreshToken)
	u.must("--record", rec, "accounts", "get", "card-8694", "--psu-ip", "192.0.2.10")

	exs, all := recording(t, rec)
	// token, consent, exchange, list, balances, two pages of
	// transactions, status, refresh, get.
	if len(exs) != 10 {
		t.Errorf("%d exchanges recorded; want 10", len(exs))
	}
	oauth := 0
	for _, e := range exs {
		if e.Kind == bundle.KindOAuth {
			oauth++
		}
	}
	if oauth != 3 {
		t.Errorf("%d token-endpoint exchanges recorded; want 3 (token, exchange, refresh)", oauth)
	}
	noSecrets(t, all, sec, app.APIKey, clientTok, code, verifier, access, refresh, refreshed.AccessToken, refreshed.RefreshToken, basic)
	secretFieldsRedacted(t, all)
	// The recording keeps what a ticket needs.
	for _, w := range []string{`"status": 201`, `\"consentId\":\"` + cid, `"qsealc": "`, `"qwac": "`, `"serverChain": [`, `"version": "TLS 1.3"`, `"signingString": "x-request-id: `, `"match": true`, `"firstByteMs": `} {
		if !bytes.Contains(all, []byte(w)) {
			t.Errorf("recording lacks %s", w)
		}
	}

	t.Run("sign verify --bundle", func(t *testing.T) {
		r := xs2a(t, u.dir, "", nil, "sign", "verify", "--bundle", rec)
		if r.code != 0 {
			t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
		lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
		if len(lines) != len(exs)+1 {
			t.Errorf("%d lines for %d exchanges:\n%s", len(lines), len(exs), r.stdout)
		}
		valid, unsigned := validLines.FindAllString(r.stdout, -1), strings.Count(r.stdout, "not signed (token endpoint")
		if unsigned != oauth || len(valid) != len(exs)-oauth || strings.Contains(r.stdout, "INVALID") {
			t.Errorf("%d valid, %d token exchanges not signed; want %d and %d:\n%s", len(valid), unsigned, len(exs)-oauth, oauth, r.stdout)
		}
		if !regexp.MustCompile(`(?m)^\d+ +POST /v1/consents +valid keyId serial der-hex, DN rfc4514-pct$`).MatchString(r.stdout) {
			t.Errorf("no valid line for the consent:\n%s", r.stdout)
		}

		if !strings.HasSuffix(r.stdout, fmt.Sprintf("%d exchange(s) for enfuce: %d valid, 0 invalid, %d not signed\n", len(exs), len(exs)-oauth, oauth)) {
			t.Errorf("the summary does not name the bank:\n%s", r.stdout)
		}
		// Judged by adorsys (no signed date, another keyId form): every
		// signed exchange is invalid; --bank all shows each bank's verdict
		// and exits 0, since enfuce accepts them.
		r = xs2a(t, u.dir, "", nil, "sign", "verify", "--bundle", rec, "--bank", "adorsys")
		if r.code != 6 || strings.Count(r.stdout, "INVALID signed-headers: ") != len(exs)-oauth || !strings.Contains(r.stdout, "exchange(s) for adorsys: 0 valid") {
			t.Errorf("--bank adorsys: exit %d\n%s", r.code, r.stdout)
		}
		r = xs2a(t, u.dir, "", nil, "sign", "verify", "--bundle", rec, "--bank", "all")
		if r.code != 0 || len(regexp.MustCompile(`(?m)^\d+ +POST /v1/consents +enfuce +valid `).FindAllString(r.stdout, -1)) == 0 ||
			len(regexp.MustCompile(`(?m)^\d+ +POST /v1/consents +adorsys +INVALID signed-headers`).FindAllString(r.stdout, -1)) == 0 ||
			!strings.Contains(r.stdout, fmt.Sprintf("%d exchange(s) for enfuce, adorsys, lenient: ", len(exs))) {
			t.Errorf("--bank all: exit %d\n%s", r.code, r.stdout)
		}

		// The bank's expectations still apply: a keyId form it does not
		// accept, a time after the certificate expired.
		r = xs2a(t, u.dir, "", nil, "sign", "verify", "--bundle", rec, "--expect-serial-form", "decimal")
		if r.code != 6 || !regexp.MustCompile(`(?m)^\d+ +POST /v1/consents +INVALID key-id: .*\(confirmed\)$`).MatchString(r.stdout) {
			t.Errorf("--expect-serial-form decimal: exit %d\n%s", r.code, r.stdout)
		}
		r = xs2a(t, u.dir, "", nil, "sign", "verify", "--bundle", rec, "--at", time.Now().AddDate(3, 0, 0).Format(time.RFC3339))
		if r.code != 6 || !strings.Contains(r.stdout, "INVALID certificate-validity: the certificate has expired") {
			t.Errorf("--at in three years: exit %d\n%s", r.code, r.stdout)
		}

		// A changed body and a changed signed header are caught offline.
		bad := filepath.Join(t.TempDir(), "bad")
		os.MkdirAll(bad, 0o700)
		tampered := map[string]string{}
		for _, e := range exs {
			if e.Request.Method == "POST" && e.Path() == "/v1/consents" {
				e.Request.Body.Text = strings.Replace(e.Request.Body.Text, `"frequencyPerDay":4`, `"frequencyPerDay":40`, 1)
				tampered["POST /v1/consents"] = "digest"
			} else if e.Request.Method == "GET" && e.Path() == "/v1/card-accounts" && tampered["GET /v1/card-accounts"] == "" {
				for i, h := range e.Request.Headers {
					if strings.EqualFold(h.Name, "X-Request-ID") {
						c := "a"
						if h.Value[:1] == c {
							c = "b"
						}
						e.Request.Headers[i].Value = c + h.Value[1:]
					}
				}
				tampered["GET /v1/card-accounts"] = "signature"
			}
			if _, err := bundle.Write(bad, e); err != nil {
				t.Fatal(err)
			}
		}
		if len(tampered) != 2 {
			t.Fatalf("tampered with %v", tampered)
		}
		r = xs2a(t, u.dir, "", nil, "sign", "verify", "--bundle", bad)
		if r.code != 6 {
			t.Errorf("tampered bundle: exit %d; want 6\n%s", r.code, r.stdout)
		}
		if !regexp.MustCompile(`(?m)^\d+ +POST /v1/consents +INVALID digest: `).MatchString(r.stdout) ||
			!regexp.MustCompile(`(?m)^\d+ +GET /v1/card-accounts +INVALID signature: .*signed header's value changed`).MatchString(r.stdout) ||
			strings.Count(r.stdout, "INVALID") != 2 {
			t.Errorf("tampered bundle report:\n%s", r.stdout)
		}
		r = xs2a(t, u.dir, "", nil, "sign", "verify", "--bundle", bad, "-o", "json")
		var vs []struct {
			Index       int    `json:"index"`
			Method      string `json:"method"`
			Path        string `json:"path"`
			Verdict     string `json:"verdict"`
			FailedCheck string `json:"failed_check"`
			Cause       string `json:"cause"`
			KeyIDForm   *struct {
				Serial, DN string
			} `json:"key_id_form"`
		}
		if err := json.Unmarshal([]byte(r.stdout), &vs); err != nil || r.code != 6 || len(vs) != len(exs) {
			t.Fatalf("-o json: exit %d, %v\n%s", r.code, err, r.stdout)
		}
		for _, v := range vs {
			want := "valid"
			if strings.HasPrefix(v.Path, "/oauth/") {
				want = "not signed"
			}
			if c, ok := tampered[v.Method+" "+v.Path]; ok {
				if v.Verdict != "invalid" || v.FailedCheck != c || v.Cause == "" {
					t.Errorf("json %d %s %s: %q %q %q; want invalid %s with a cause", v.Index, v.Method, v.Path, v.Verdict, v.FailedCheck, v.Cause, c)
				}
				delete(tampered, v.Method+" "+v.Path)
				continue
			}
			if v.Verdict != want {
				t.Errorf("json %d %s %s: %q; want %q", v.Index, v.Method, v.Path, v.Verdict, want)
			}
			if want == "valid" && (v.KeyIDForm == nil || v.KeyIDForm.Serial != "der-hex") {
				t.Errorf("json %d: keyIdForm %+v", v.Index, v.KeyIDForm)
			}
		}

		r = xs2a(t, u.dir, "", nil, "sign", "verify", "--bundle", t.TempDir())
		oneErrorLine(t, "empty bundle dir", r, 2, "no bundle files")
		os.WriteFile(filepath.Join(bad, "zz.json"), []byte("{not json"), 0o600)
		r = xs2a(t, u.dir, "", nil, "sign", "verify", "--bundle", bad)
		oneErrorLine(t, "unreadable bundle file", r, 2, "zz.json")
	})

	t.Run("replay", func(t *testing.T) {
		rec2 := filepath.Join(t.TempDir(), "again")
		r := u.run("replay", rec, "--record", rec2)
		if r.code != 0 {
			t.Fatalf("replay: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
		}
		if strings.Contains(r.stdout, "CHANGED") || len(regexp.MustCompile(`(?m)^\d+ +POST /oauth/token +200 +- +not replayed`).FindAllString(r.stdout, -1)) != oauth ||
			!regexp.MustCompile(`(?m)^\d+ +POST /v1/consents +201 +201 +same`).MatchString(r.stdout) ||
			!regexp.MustCompile(`(?m)^\d+ +GET /v1/consents/`+cid+`/status +200 +200 +same`).MatchString(r.stdout) {
			t.Errorf("replay table:\n%s", r.stdout)
		}
		// The replay was signed afresh, and recorded: it verifies too,
		// and it names the consent the replayed POST created, not cid.
		again, all2 := recording(t, rec2)
		if len(again) != len(exs)-oauth {
			t.Errorf("replay recorded %d exchanges; want %d", len(again), len(exs)-oauth)
		}
		noSecrets(t, all2, sec)
		if vr := xs2a(t, u.dir, "", nil, "sign", "verify", "--bundle", rec2); vr.code != 0 || strings.Contains(vr.stdout, "INVALID") {
			t.Errorf("verify of the replay's recording: exit %d\n%s", vr.code, vr.stdout)
		}
		for _, e := range again {
			if strings.Contains(e.Path(), "/consents/"+cid) {
				t.Errorf("replay named the recorded consent %s: %s %s", cid, e.Request.Method, e.Path())
			}
			for _, e0 := range exs {
				if e0.Request.Header("X-Request-ID") != "" && e0.Request.Header("X-Request-ID") == e.Request.Header("X-Request-ID") {
					t.Errorf("replay reused X-Request-ID %s", e.Request.Header("X-Request-ID"))
				}
			}
		}

		// The bank changes: the consent is gone, the PSU's token no longer
		// reads accounts.
		u.must("api", "DELETE", "/consents/"+cid, "--token", "client")
		r = u.run("replay", rec)
		t.Logf("replay after the consent was deleted:\n%s", r.stdout)
		if r.code != 7 {
			t.Errorf("replay after the consent was deleted: exit %d; want 7\n%s\n%s", r.code, r.stdout, r.stderr)
		}
		if !regexp.MustCompile(`(?m)^\d+ +GET /v1/card-accounts +200 +40[13] \w+ +CHANGED`).MatchString(r.stdout) ||
			!regexp.MustCompile(`(?m)^\d+ +POST /v1/consents +201 +201 +same`).MatchString(r.stdout) {
			t.Errorf("replay table after the change:\n%s", r.stdout)
		}
		r = u.run("replay", rec, "-o", "json")
		var rows []struct {
			Method string `json:"method"`
			Path   string `json:"path"`
			Old    struct {
				Status int    `json:"status"`
				Code   string `json:"code"`
			} `json:"recorded"`
			New struct {
				Status int    `json:"status"`
				Code   string `json:"code"`
			} `json:"now"`
			Result string `json:"result"`
		}
		if err := json.Unmarshal([]byte(r.stdout), &rows); err != nil || r.code != 7 || len(rows) != len(exs) {
			t.Fatalf("replay -o json: exit %d %v\n%s", r.code, err, r.stdout)
		}
		changed := 0
		for _, row := range rows {
			if row.Result == "changed" {
				changed++
				if row.New.Status == row.Old.Status && row.New.Code == row.Old.Code {
					t.Errorf("changed row with the same answer: %+v", row)
				}
			}
		}
		if changed < 4 {
			t.Errorf("%d changed rows; want the accounts calls (at least 4)", changed)
		}

		r = u.run("replay", t.TempDir())
		oneErrorLine(t, "replay of an empty dir", r, 2, "no bundle files")
	})
}

func TestRecordFlowAndProxy(t *testing.T) {
	t.Run("flow --sandbox --record", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		rec := filepath.Join(dir, "flow")
		r := xs2a(t, dir, "", nil, "flow", "--sandbox", "--record", rec)
		if r.code != 0 {
			t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
		}
		exs, all := recording(t, rec)
		if len(exs) < 8 {
			t.Errorf("flow recorded %d exchanges; want token, consent, exchange and the account calls", len(exs))
		}
		secretFieldsRedacted(t, all)
		vr := xs2a(t, dir, "", nil, "sign", "verify", "--bundle", rec)
		if vr.code != 0 || strings.Count(vr.stdout, "(token endpoint") != 2 || len(validLines.FindAllString(vr.stdout, -1)) != len(exs)-2 {
			t.Errorf("verify of the flow's recording: exit %d\n%s", vr.code, vr.stdout)
		}
		r = xs2a(t, dir, "", nil, "flow", "--sandbox", "--record", filepath.Join(dir, "flow", exs[0].File))
		oneErrorLine(t, "--record naming a file", r, 2, "--record", "not a directory")
	})

	t.Run("flow against a bank profile", func(t *testing.T) {
		t.Parallel()
		needCurl(t)
		b := startBank(t, sandbox.Options{AutoApprove: true, RatePerSecond: -1, RatePerDay: -1})
		// Discovery is recorded too; the sign-in pages' port is listed.
		u := newUser(t, b, map[string]string{"token_url": "", "authorize_url": "", "allowed_origins": b.s.AuthURL})
		rec := filepath.Join(u.dir, "rec")
		// The PSU is present, so the consent's four unattended reads a day
		// do not run out.
		r := u.runEnv([]string{"XS2A_PSU_IP_ADDRESS=192.0.2.1"}, "--record", rec, "flow")
		if r.code != 0 {
			t.Fatalf("flow: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
		}
		st := u.state()
		sec := secrets{}
		sec.add("client secret", b.s.DefaultApp.ClientSecret)
		sec.add("API key", b.s.DefaultApp.APIKey)
		sec.add("client token", st.ClientToken.AccessToken)
		sec.add("access token", st.UserToken.AccessToken)
		sec.add("refresh token", st.UserToken.RefreshToken)
		exs, all := recording(t, rec)
		noSecrets(t, all, sec, st.ClientToken.AccessToken, st.UserToken.AccessToken, st.UserToken.RefreshToken, b.s.DefaultApp.APIKey)
		if !bytes.Contains(all, []byte("/.well-known/oauth-authorization-server")) {
			t.Errorf("discovery not recorded (%d exchanges)", len(exs))
		}
	})

	t.Run("proxy --record", func(t *testing.T) {
		t.Parallel()
		needCurl(t)
		b := startBank(t, sandbox.Options{AutoApprove: true, RatePerSecond: -1, RatePerDay: -1})
		u := newUser(t, b, nil)
		setup := filepath.Join(u.dir, "setup")
		u.must("--record", setup, "token")
		u.must("--record", setup, "consent", "create")
		u.must("--record", setup, "authorize", "--exchange", "--timeout", "20s")
		st := u.state()
		// authorize --exchange: the code and verifier never reach the
		// state, so they are checked by field; the tokens by value.
		exs, all := recording(t, setup)
		if len(exs) != 3 {
			t.Errorf("token, consent create, authorize --exchange recorded %d exchanges; want 3", len(exs))
		}
		secretFieldsRedacted(t, all)
		if !regexp.MustCompile(`code=\[redacted sha256:[0-9a-f]{8}\]&code_verifier=\[redacted sha256:[0-9a-f]{8}\]&grant_type=authorization_code`).Match(all) {
			t.Errorf("the code exchange's form is not recorded redacted")
		}
		setupSecrets := secrets{}
		setupSecrets.add("client secret", b.s.DefaultApp.ClientSecret)
		setupSecrets.add("API key", b.s.DefaultApp.APIKey)
		setupSecrets.add("client token", st.ClientToken.AccessToken)
		setupSecrets.add("access token", st.UserToken.AccessToken)
		setupSecrets.add("refresh token", st.UserToken.RefreshToken)
		noSecrets(t, all, setupSecrets, st.ClientToken.AccessToken, st.UserToken.AccessToken, st.UserToken.RefreshToken, b.s.DefaultApp.APIKey)

		rec := filepath.Join(u.dir, "rec")
		p := startProxy(t, u, "127.0.0.1", "--record", rec, "--inject-auth")
		body, code := curlStatus(t, p.base+"/v1/card-accounts", "-H", "PSU-IP-Address: 192.0.2.1")
		if code != 200 {
			t.Fatalf("via proxy: %d %s\n%s", code, body, p.stderr)
		}
		body, code = curlStatus(t, p.base+"/v1/consents/"+st.ConsentID+"/status")
		if code != 200 || !strings.Contains(body, "valid") {
			t.Fatalf("consent status via proxy: %d %s", code, body)
		}
		p.stop()
		exs, all = recording(t, rec)
		if len(exs) != 2 {
			t.Errorf("proxy recorded %d exchanges; want 2", len(exs))
		}
		sec := secrets{}
		sec.add("API key", b.s.DefaultApp.APIKey)
		sec.add("client token", st.ClientToken.AccessToken)
		sec.add("access token", st.UserToken.AccessToken)
		sec.add("refresh token", st.UserToken.RefreshToken)
		noSecrets(t, all, sec, st.UserToken.AccessToken, st.ClientToken.AccessToken, b.s.DefaultApp.APIKey)
		if vr := xs2a(t, u.dir, "", nil, "sign", "verify", "--bundle", rec); vr.code != 0 || len(validLines.FindAllString(vr.stdout, -1)) != 2 {
			t.Errorf("verify of the proxy's recording: exit %d\n%s", vr.code, vr.stdout)
		}
	})
}

// An unsigned profile's API calls are still API exchanges: not signed (not
// a failure), replayed, and the bank's refusal is recorded with its code.
func TestRecordUnsignedProfile(t *testing.T) {
	b := startBank(t, sandbox.Options{AutoApprove: true, RatePerSecond: -1, RatePerDay: -1})
	u := newUser(t, b, map[string]string{"qseal_cert": "", "qseal_key": ""})
	rec := filepath.Join(u.dir, "rec")
	r := u.run("--record", rec, "consent", "create")
	if r.code == 0 {
		t.Fatalf("the sandbox accepted an unsigned consent: %s", r.stdout)
	}
	exs, _ := recording(t, rec)
	var api *bundle.Exchange
	for _, e := range exs {
		if e.Path() == "/v1/consents" {
			api = e
		}
	}
	if api == nil || api.Kind != bundle.KindAPI || api.Signed() || api.Response == nil || api.Response.Status < 400 || api.Response.Code == "" {
		t.Fatalf("unsigned consent exchange: %+v", api)
	}
	t.Logf("recorded: %d %s", api.Response.Status, api.Response.Code)
	vr := xs2a(t, u.dir, "", nil, "sign", "verify", "--bundle", rec)
	if vr.code != 0 || !regexp.MustCompile(`(?m)^\d+ +POST /v1/consents +not signed$`).MatchString(vr.stdout) {
		t.Errorf("verify: exit %d\n%s", vr.code, vr.stdout)
	}
	rr := u.run("replay", rec)
	want := fmt.Sprintf(`(?m)^\d+ +POST /v1/consents +%d %s +%d %s +same`, api.Response.Status, api.Response.Code, api.Response.Status, api.Response.Code)
	if rr.code != 0 || !regexp.MustCompile(want).MatchString(rr.stdout) {
		t.Errorf("replay: exit %d\n%s\n%s", rr.code, rr.stdout, rr.stderr)
	}
}
