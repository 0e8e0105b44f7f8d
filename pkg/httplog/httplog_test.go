package httplog

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

const tokenJSON = `{"access_token":"AT-SECRET-123","refresh_token":"RT-SECRET-456","token_type":"Bearer"}`

const tokenForm = "grant_type=authorization_code&client_secret=CS-SECRET-789&code=CODE-SECRET-000&code_verifier=VERIFIER-SECRET&redirect_uri=https%3A%2F%2Flocalhost%2Fcb"

var secrets = []string{"AT-SECRET-123", "RT-SECRET-456", "CS-SECRET-789", "CODE-SECRET-000", "VERIFIER-SECRET", "APIKEY-SECRET"}

// safeBuffer is a bytes.Buffer the race detector accepts being read while
// a late writer could still be around.
type safeBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *safeBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *safeBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// tokenServer checks that the form arrives unredacted and answers with
// the token response.
func tokenServer(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			t.Errorf("server: %v", err)
		}
		if got := r.PostForm.Get("client_secret"); got != "CS-SECRET-789" {
			t.Errorf("server got client_secret %q: the request was altered", got)
		}
		if got := r.PostForm.Get("code_verifier"); got != "VERIFIER-SECRET" {
			t.Errorf("server got code_verifier %q", got)
		}
		if got := r.Header.Get("Authorization"); got != "Bearer AT-SECRET-123" {
			t.Errorf("server got Authorization %q", got)
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusCreated)
		io.WriteString(w, tokenJSON)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func tokenRequest(t *testing.T, u string, body io.Reader) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, u, body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", "Bearer AT-SECRET-123")
	req.Header.Set("X-API-Key", "APIKEY-SECRET")
	return req
}

func do(t *testing.T, tr *Transport, req *http.Request) (*http.Response, []byte) {
	t.Helper()
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, body
}

func TestTokenExchangeRedacted(t *testing.T) {
	srv := tokenServer(t)
	var out safeBuffer
	tr := &Transport{Base: srv.Client().Transport, Out: &out, ClientCert: "CN=tpp.example,O=Example TPP"}
	req := tokenRequest(t, srv.URL+"/token?state=st-123&code=Q-CODE-SECRET", strings.NewReader(tokenForm))
	resp, body := do(t, tr, req)
	trace := out.String()
	t.Log("\n" + trace)

	if string(body) != tokenJSON {
		t.Errorf("caller read %q, want the full response %q", body, tokenJSON)
	}
	if resp.StatusCode != http.StatusCreated {
		t.Errorf("status %d", resp.StatusCode)
	}
	for _, s := range append(secrets, "Q-CODE-SECRET") {
		if strings.Contains(trace, s) {
			t.Errorf("trace shows secret %q", s)
		}
	}
	want := []string{
		"> POST " + srv.URL + "/token?state=st-123&code=" + Redact("Q-CODE-SECRET") + "\n",
		"> Authorization: Bearer " + Redact("AT-SECRET-123") + "\n",
		"> X-Api-Key: " + Redact("APIKEY-SECRET") + "\n",
		"> Content-Type: application/x-www-form-urlencoded\n",
		"> client_secret=" + Redact("CS-SECRET-789") + "\n",
		"> code=" + Redact("CODE-SECRET-000") + "\n",
		"> code_verifier=" + Redact("VERIFIER-SECRET") + "\n",
		"> grant_type=authorization_code\n",
		"> redirect_uri=https://localhost/cb\n",
		"< 201 Created (",
		"client certificate: CN=tpp.example,O=Example TPP)\n",
		"< Content-Type: application/json\n",
		"< {\n",
		`<   "access_token": "` + Redact("AT-SECRET-123") + `",` + "\n",
		`<   "refresh_token": "` + Redact("RT-SECRET-456") + `",` + "\n",
		`<   "token_type": "Bearer"` + "\n",
		"< }\n",
	}
	for _, w := range want {
		if !strings.Contains(trace, w) {
			t.Errorf("trace lacks %q", w)
		}
	}
	if !strings.Contains(trace, "TLS 1.3") && !strings.Contains(trace, "TLS 1.2") {
		t.Error("status line does not name the TLS version")
	}
	if !regexp.MustCompile(`(?m)^< 201 Created \([0-9.]+m?s, TLS 1\.[23], client certificate: `).MatchString(trace) {
		t.Error("status line is not `< 201 Created (Nms, TLS 1.x, client certificate: ...)`")
	}
	// Headers are sorted.
	if a, c := strings.Index(trace, "> Authorization"), strings.Index(trace, "> Content-Type"); a < 0 || c < a {
		t.Error("request headers are not sorted")
	}
	// The caller's request is untouched.
	if got := req.Header.Get("Authorization"); got != "Bearer AT-SECRET-123" {
		t.Errorf("caller's Authorization became %q", got)
	}
}

func TestShowSecrets(t *testing.T) {
	srv := tokenServer(t)
	var out safeBuffer
	tr := &Transport{Base: srv.Client().Transport, Out: &out, ShowSecrets: true}
	do(t, tr, tokenRequest(t, srv.URL+"/token?code=Q-CODE-SECRET", strings.NewReader(tokenForm)))
	trace := out.String()
	for _, s := range append(secrets, "Q-CODE-SECRET") {
		if !strings.Contains(trace, s) {
			t.Errorf("--show-secrets trace lacks %q", s)
		}
	}
	if strings.Contains(trace, "[redacted") {
		t.Error("--show-secrets trace still redacts")
	}
}

// A body without GetBody is consumed by the trace and must reach the
// server whole, through a clone: the caller's request stays as it was.
func TestBodyWithoutGetBody(t *testing.T) {
	srv := tokenServer(t)
	var out safeBuffer
	tr := &Transport{Base: srv.Client().Transport, Out: &out}
	req := tokenRequest(t, srv.URL+"/token", io.NopCloser(strings.NewReader(tokenForm)))
	req.ContentLength = int64(len(tokenForm))
	if req.GetBody != nil {
		t.Fatal("test setup: GetBody is set")
	}
	hdr := req.Header.Clone()
	_, body := do(t, tr, req)
	if string(body) != tokenJSON {
		t.Errorf("caller read %q", body)
	}
	if !strings.Contains(out.String(), "> grant_type=authorization_code\n") {
		t.Errorf("form not traced:\n%s", out.String())
	}
	if fmt.Sprint(req.Header) != fmt.Sprint(hdr) || req.GetBody != nil {
		t.Error("caller's request was modified")
	}
}

func TestExactBlock(t *testing.T) {
	clock := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	now := func() time.Time { clock = clock.Add(12300 * time.Microsecond); return clock }
	base := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		return &http.Response{
			StatusCode: 200, Status: "200 OK", Request: r,
			Header: http.Header{"Content-Type": {"application/json; charset=utf-8"}, "X-Request-Id": {"r-1"}},
			Body:   io.NopCloser(strings.NewReader(`{"z":1,"a":[],"b":{},"c":[1.50,"x",null,true],"id_token":null}`)),
		}, nil
	})
	var out bytes.Buffer
	tr := &Transport{Base: base, Out: &out, Now: now}
	req, _ := http.NewRequest("POST", "http://bank.example/v1/consents", strings.NewReader(`{"access":{"allPsd2":"allAccounts"},"recurringIndicator":true}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Request-ID", "r-1")
	do(t, tr, req)
	want := `> POST http://bank.example/v1/consents
> Content-Type: application/json
> X-Request-Id: r-1
>
> {
>   "access": {
>     "allPsd2": "allAccounts"
>   },
>   "recurringIndicator": true
> }
< 200 OK (12.3ms)
< Content-Type: application/json; charset=utf-8
< X-Request-Id: r-1
<
< {
<   "z": 1,
<   "a": [],
<   "b": {},
<   "c": [
<     1.50,
<     "x",
<     null,
<     true
<   ],
<   "id_token": null
< }

`
	if got := out.String(); got != want {
		t.Errorf("trace:\n%s\nwant:\n%s", got, want)
	}
}

func TestNestedJSONSecrets(t *testing.T) {
	const body = `{"psuData":{"password":"PW-SECRET"},"list":[{"deep":{"refreshToken":"RT-CAMEL-SECRET"}},{"code":"AUTHCODE-abc123"}],` +
		`"tppMessages":[{"category":"ERROR","code":"CONSENT_UNKNOWN","text":"no such consent"}],"client_secret":{"v":"OBJ-SECRET"},"note":"<b>&</b>"}`
	base := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		return &http.Response{StatusCode: 403, Status: "403 Forbidden", Header: http.Header{"Content-Type": {"application/problem+json"}},
			Body: io.NopCloser(strings.NewReader(body)), Request: r}, nil
	})
	var out bytes.Buffer
	req, _ := http.NewRequest("GET", "https://bank.example/v1/accounts", nil)
	_, got := do(t, &Transport{Base: base, Out: &out}, req)
	trace := out.String()
	t.Log("\n" + trace)
	if string(got) != body {
		t.Errorf("caller read %q", got)
	}
	for _, s := range []string{"PW-SECRET", "RT-CAMEL-SECRET", "AUTHCODE-abc123", "OBJ-SECRET"} {
		if strings.Contains(trace, s) {
			t.Errorf("trace shows nested secret %q", s)
		}
	}
	for _, w := range []string{
		`"password": "` + Redact("PW-SECRET") + `"`,
		`"refreshToken": "` + Redact("RT-CAMEL-SECRET") + `"`,
		`"code": "` + Redact("AUTHCODE-abc123") + `"`,
		`"code": "CONSENT_UNKNOWN"`, // a Berlin Group message code is the error, not a secret
		`"client_secret": "` + Redact(`{"v":"OBJ-SECRET"}`) + `"`,
		`"note": "<b>&</b>"`,
	} {
		if !strings.Contains(trace, w) {
			t.Errorf("trace lacks %s", w)
		}
	}
}

func TestQueryAndLocationRedacted(t *testing.T) {
	base := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		if r.URL.Query().Get("code") != "QUERY-SECRET" {
			t.Errorf("sent query %q", r.URL.RawQuery)
		}
		return &http.Response{StatusCode: 302, Status: "302 Found", Request: r, Body: http.NoBody, Header: http.Header{
			"Location":   {"https://tpp.example/cb?code=LOC-SECRET&state=s1#access_token=FRAG-SECRET&token_type=bearer"},
			"Set-Cookie": {"SESSION=COOKIE-SECRET; Path=/; HttpOnly"},
		}}, nil
	})
	var out bytes.Buffer
	tr := &Transport{Base: base, Out: &out, SecretHeaders: []string{"x-bank-key"}}
	req, _ := http.NewRequest("GET", "https://user:PASS-SECRET@bank.example/authorize?response_type=code&code=QUERY-SECRET&state=keep-me", nil)
	req.Header.Set("X-Bank-Key", "BANKKEY-SECRET")
	req.Header.Set("Cookie", "a=C1-SECRET; b=C2-SECRET")
	req.Header.Set("Proxy-Authorization", "Basic PROXY-SECRET")
	resp, err := tr.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	trace := out.String()
	t.Log("\n" + trace)
	for _, s := range []string{"QUERY-SECRET", "LOC-SECRET", "FRAG-SECRET", "COOKIE-SECRET", "BANKKEY-SECRET", "C1-SECRET", "C2-SECRET", "PROXY-SECRET", "PASS-SECRET"} {
		if strings.Contains(trace, s) {
			t.Errorf("trace shows %q", s)
		}
	}
	for _, w := range []string{
		"?response_type=code&code=" + Redact("QUERY-SECRET") + "&state=keep-me\n",
		"< Location: https://tpp.example/cb?code=" + Redact("LOC-SECRET") + "&state=s1#access_token=" + Redact("FRAG-SECRET") + "&token_type=bearer\n",
		"< Set-Cookie: SESSION=" + Redact("COOKIE-SECRET") + "; Path=/; HttpOnly\n",
		"> Cookie: a=" + Redact("C1-SECRET") + "; b=" + Redact("C2-SECRET") + "\n",
		"> X-Bank-Key: " + Redact("BANKKEY-SECRET") + "\n",
		"> Proxy-Authorization: Basic " + Redact("PROXY-SECRET") + "\n",
		"< 302 Found (",
	} {
		if !strings.Contains(trace, w) {
			t.Errorf("trace lacks %q", w)
		}
	}
	if req.URL.Query().Get("code") != "QUERY-SECRET" {
		t.Error("caller's URL was modified")
	}
}

// Signature and TPP-Signature-Certificate are not secret and a signature
// debugger needs them whole: shown as sent, however long, with and without
// --show-secrets; a token beside them stays redacted.
func TestLongHeadersShownWhole(t *testing.T) {
	cert := strings.Repeat("MIIB", 150) // 600 chars
	sig := `keyId="SN=1,CA=CN=xs2a%20Test%20QTSP%20CA%203f2a9c1b",algorithm="rsa-sha256",headers="x-request-id digest",signature="` + strings.Repeat("c2ln", 86) + `"`
	base := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		if r.Header.Get("TPP-Signature-Certificate") != cert {
			t.Error("certificate header altered on the wire")
		}
		return &http.Response{StatusCode: 204, Status: "204 No Content", Body: http.NoBody, Header: http.Header{}, Request: r}, nil
	})
	for _, show := range []bool{false, true} {
		var out bytes.Buffer
		req, _ := http.NewRequest("DELETE", "https://bank.example/v1/consents/c1", nil)
		req.Header.Set("TPP-Signature-Certificate", cert)
		req.Header.Set("Signature", sig)
		req.Header.Set("Authorization", "Bearer SECRET-TOKEN-123")
		if _, err := (&Transport{Base: base, Out: &out, ShowSecrets: show}).RoundTrip(req); err != nil {
			t.Fatal(err)
		}
		trace := out.String()
		for _, want := range []string{"> Tpp-Signature-Certificate: " + cert + "\n", "> Signature: " + sig + "\n"} {
			if !strings.Contains(trace, want) {
				t.Errorf("show=%v: trace lacks the whole header %.60q…:\n%s", show, want, trace)
			}
		}
		if strings.Contains(trace, "chars)") {
			t.Errorf("show=%v: a header is still shortened:\n%s", show, trace)
		}
		if strings.Contains(trace, "SECRET-TOKEN-123") != show {
			t.Errorf("show=%v: token shown = %v", show, !show)
		}
	}
}

func TestLargeBodyTruncated(t *testing.T) {
	var sb strings.Builder
	sb.WriteString(`{"items":[`)
	for i := range 20000 {
		if i > 0 {
			sb.WriteString(",")
		}
		fmt.Fprintf(&sb, `{"i":%d}`, i)
	}
	sb.WriteString(`],"access_token":"LATE-SECRET"}`)
	body := sb.String()
	base := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		return &http.Response{StatusCode: 200, Status: "200 OK", Header: http.Header{"Content-Type": {"application/json"}},
			Body: io.NopCloser(strings.NewReader(body)), Request: r}, nil
	})
	var out bytes.Buffer
	req, _ := http.NewRequest("GET", "https://bank.example/v1/accounts/a/transactions", nil)
	_, got := do(t, &Transport{Base: base, Out: &out}, req)
	if string(got) != body {
		t.Errorf("caller read %d bytes, want %d", len(got), len(body))
	}
	trace := out.String()
	// The limit is on the body text; each line also carries its "< ".
	if shown := strings.ReplaceAll(trace, "\n< ", "\n"); len(shown) > MaxBody+1024 {
		t.Errorf("trace shows %d bytes of body", len(shown))
	}
	if !regexp.MustCompile(fmt.Sprintf(`\n< … \d+ more bytes not shown \(the body is %d bytes\)\n`, len(body))).MatchString(trace) {
		t.Errorf("no truncation note; trace ends %q", trace[len(trace)-200:])
	}
	if strings.Contains(trace, "LATE-SECRET") {
		t.Error("secret shown")
	}
}

func TestBinaryAndText(t *testing.T) {
	base := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		return &http.Response{StatusCode: 200, Status: "200 OK", Header: http.Header{"Content-Type": {"application/octet-stream"}},
			Body: io.NopCloser(bytes.NewReader([]byte{0, 1, 2, 0xff})), Request: r}, nil
	})
	var out bytes.Buffer
	req, _ := http.NewRequest("PUT", "https://bank.example/x", strings.NewReader("line one\nline two"))
	req.Header.Set("Content-Type", "text/plain")
	do(t, &Transport{Base: base, Out: &out}, req)
	trace := out.String()
	for _, w := range []string{"> line one\n> line two\n", `< (4 bytes of binary data, Content-Type "application/octet-stream")`} {
		if !strings.Contains(trace, w) {
			t.Errorf("trace lacks %q:\n%s", w, trace)
		}
	}
}

func TestInvalidJSONStillRedacted(t *testing.T) {
	base := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		return &http.Response{StatusCode: 200, Status: "200 OK", Header: http.Header{"Content-Type": {"application/json"}},
			Body: io.NopCloser(strings.NewReader(`{"access_token": "BROKEN-SECRET", oops`)), Request: r}, nil
	})
	var out bytes.Buffer
	req, _ := http.NewRequest("GET", "https://bank.example/x", nil)
	do(t, &Transport{Base: base, Out: &out}, req)
	trace := out.String()
	if strings.Contains(trace, "BROKEN-SECRET") || !strings.Contains(trace, Redact("BROKEN-SECRET")) || !strings.Contains(trace, "not valid JSON") {
		t.Errorf("trace:\n%s", trace)
	}
}

func TestConcurrentBlocksDoNotInterleave(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"path":%q,"items":[1,2,3]}`, r.URL.Path)
	}))
	defer srv.Close()
	var out safeBuffer
	client := &http.Client{Transport: &Transport{Base: srv.Client().Transport, Out: &out}}
	const n = 20
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			body := fmt.Sprintf(`{"n":%d}`, i)
			req, _ := http.NewRequest("POST", fmt.Sprintf("%s/req/%d", srv.URL, i), strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			resp, err := client.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if want := fmt.Sprintf(`{"path":"/req/%d","items":[1,2,3]}`, i); string(b) != want {
				t.Errorf("request %d read %q", i, b)
			}
		})
	}
	wg.Wait()

	blocks := strings.Split(strings.TrimSuffix(out.String(), "\n\n"), "\n\n")
	if len(blocks) != n {
		t.Fatalf("%d blocks, want %d:\n%s", len(blocks), n, out.String())
	}
	seen := map[string]bool{}
	head := regexp.MustCompile(`^> POST https://[^/]+/req/(\d+)$`)
	for _, blk := range blocks {
		lines := strings.Split(blk, "\n")
		m := head.FindStringSubmatch(lines[0])
		if m == nil {
			t.Fatalf("block does not start with its request line:\n%s", blk)
		}
		id := m[1]
		if seen[id] {
			t.Errorf("request %s traced twice", id)
		}
		seen[id] = true
		// Every line of the block belongs to this exchange, in order:
		// request lines, then the status, then response lines.
		want := []string{
			`>   "n": ` + id,
			`< 200 OK (`,
			`<   "path": "/req/` + id + `",`,
		}
		pos := 0
		for _, l := range lines {
			if !strings.HasPrefix(l, ">") && !strings.HasPrefix(l, "<") {
				t.Errorf("stray line %q in block %s", l, id)
			}
			if pos < len(want) && strings.HasPrefix(l, want[pos]) {
				pos++
			}
			if strings.Contains(l, "/req/") && !strings.Contains(l, "/req/"+id) {
				t.Errorf("block %s contains a line of another exchange: %q", id, l)
			}
		}
		if pos != len(want) {
			t.Errorf("block %s lacks %q:\n%s", id, want[pos], blk)
		}
	}
}

func TestBaseErrorTraced(t *testing.T) {
	boom := errors.New("dial tcp 192.0.2.1:443: connect: connection refused")
	var closed bool
	base := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		r.Body.Close()
		return nil, boom
	})
	var out bytes.Buffer
	req, _ := http.NewRequest("POST", "https://bank.example/token", io.NopCloser(&closeRecorder{Reader: strings.NewReader("a=b"), closed: &closed}))
	_, err := (&Transport{Base: base, Out: &out}).RoundTrip(req)
	if !errors.Is(err, boom) {
		t.Fatalf("error %v, want %v", err, boom)
	}
	trace := out.String()
	if !regexp.MustCompile(`(?m)^< error: dial tcp 192\.0\.2\.1:443: connect: connection refused \([0-9.]+m?s\)$`).MatchString(trace) {
		t.Errorf("error not traced:\n%s", trace)
	}
	if !strings.HasPrefix(trace, "> POST https://bank.example/token\n") {
		t.Errorf("request not traced before the error:\n%s", trace)
	}
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

type closeRecorder struct {
	io.Reader
	closed *bool
}

func (c *closeRecorder) Close() error { *c.closed = true; return nil }

// A RoundTripper must close the request body even when reading it fails.
func TestRequestBodyReadError(t *testing.T) {
	var closed bool
	bad := &closeRecorder{Reader: io.MultiReader(strings.NewReader("a="), errReader{errors.New("disk gone")}), closed: &closed}
	req, _ := http.NewRequest("POST", "https://bank.example/token", bad)
	var out bytes.Buffer
	called := false
	base := roundTripFunc(func(r *http.Request) (*http.Response, error) { called = true; return nil, nil })
	if _, err := (&Transport{Base: base, Out: &out}).RoundTrip(req); err == nil || !strings.Contains(err.Error(), "disk gone") {
		t.Fatalf("error %v", err)
	}
	if called || !closed {
		t.Errorf("base called %v, body closed %v", called, closed)
	}
	if !strings.Contains(out.String(), "< error: reading request body: disk gone") {
		t.Errorf("trace:\n%s", out.String())
	}
}

func TestResponseBodyErrorPassedOn(t *testing.T) {
	cut := errors.New("unexpected EOF from bank")
	base := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		return &http.Response{StatusCode: 200, Status: "200 OK", Header: http.Header{"Content-Type": {"text/plain"}},
			Body: io.NopCloser(io.MultiReader(strings.NewReader("partial"), errReader{cut})), Request: r}, nil
	})
	var out bytes.Buffer
	req, _ := http.NewRequest("GET", "https://bank.example/x", nil)
	resp, err := (&Transport{Base: base, Out: &out}).RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(resp.Body)
	if string(b) != "partial" || !errors.Is(err, cut) {
		t.Errorf("caller read %q, %v", b, err)
	}
	if !strings.Contains(out.String(), "< partial\n< error: reading response body: unexpected EOF from bank\n") {
		t.Errorf("trace:\n%s", out.String())
	}
}

func TestRedact(t *testing.T) {
	if Redact("") != "" {
		t.Error(`Redact("") is not ""`)
	}
	a, b := Redact("AT-SECRET-123"), Redact("AT-SECRET-124")
	if a != Redact("AT-SECRET-123") {
		t.Error("Redact is not stable")
	}
	if a == b {
		t.Error("different secrets share a fingerprint")
	}
	re := regexp.MustCompile(`^\[redacted sha256:[0-9a-f]{8}\]$`)
	if !re.MatchString(a) || !re.MatchString(b) {
		t.Errorf("format: %q %q", a, b)
	}
	// sha256("abc") = ba7816bf...
	if got := Redact("abc"); got != "[redacted sha256:ba7816bf]" {
		t.Errorf(`Redact("abc") = %q`, got)
	}
	if strings.Contains(a, "AT-SECRET") {
		t.Error("fingerprint shows the secret")
	}
}

// The form's own encoding must not hide a secret from redaction: names
// and values are decoded before they are matched.
func TestFormEncodedNames(t *testing.T) {
	var out bytes.Buffer
	base := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		return &http.Response{StatusCode: 200, Status: "200 OK", Header: http.Header{}, Body: http.NoBody, Request: r}, nil
	})
	form := url.Values{"client_secret": {"S E/C+RET"}, "password": {"pw"}, "assertion": {"jwt.jwt.jwt"}, "scope": {"AIS:c-1"}}.Encode()
	req, _ := http.NewRequest("POST", "https://bank.example/token", strings.NewReader(form))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	if _, err := (&Transport{Base: base, Out: &out}).RoundTrip(req); err != nil {
		t.Fatal(err)
	}
	trace := out.String()
	for _, w := range []string{"> client_secret=" + Redact("S E/C+RET"), "> password=" + Redact("pw"), "> assertion=" + Redact("jwt.jwt.jwt"), "> scope=AIS:c-1"} {
		if !strings.Contains(trace, w) {
			t.Errorf("trace lacks %q:\n%s", w, trace)
		}
	}
}

// golang.org/x/oauth2 reads a text/plain token answer as a form: -v
// shows none of its tokens either.
func TestTextPlainTokenAnswerRedacted(t *testing.T) {
	base := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		return &http.Response{StatusCode: 200, Status: "200 OK", Header: http.Header{"Content-Type": {"text/plain"}},
			Body: io.NopCloser(strings.NewReader("access_token=AT-SECRET-123&refresh_token=RT-SECRET-456&token_type=bearer")), Request: r}, nil
	})
	var out bytes.Buffer
	req := tokenRequest(t, "https://bank.example/oauth/token", strings.NewReader(tokenForm))
	do(t, &Transport{Base: base, Out: &out}, req)
	trace := out.String()
	for _, s := range secrets {
		if strings.Contains(trace, s) {
			t.Errorf("trace shows %s:\n%s", s, trace)
		}
	}
	if !strings.Contains(trace, "token_type=bearer") {
		t.Errorf("trace lacks the rest of the answer:\n%s", trace)
	}
}

// A bank that quotes the request in its answer ("Bearer ... is not
// known", an echoed form) does not get the request's secrets into the
// trace: they are hidden by value in the answer's block too.
func TestEchoedSecretsHiddenInTheAnswer(t *testing.T) {
	base := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		b, _ := io.ReadAll(r.Body)
		text := r.Header.Get("Authorization") + " " + r.Header.Get("X-API-Key") + " " + string(b)
		return &http.Response{StatusCode: 401, Status: "401 Unauthorized",
			Header: http.Header{"Content-Type": {"application/json"}, "X-Echo": {r.Header.Get("X-API-Key")}},
			Body:   io.NopCloser(strings.NewReader(`{"tppMessages":[{"code":"TOKEN_INVALID","text":` + strconv.Quote(text) + `}]}`)), Request: r}, nil
	})
	var out bytes.Buffer
	req := tokenRequest(t, "https://bank.example/oauth/token", strings.NewReader(tokenForm))
	do(t, &Transport{Base: base, Out: &out}, req)
	trace := out.String()
	for _, s := range secrets {
		if strings.Contains(trace, s) {
			t.Errorf("trace shows %s:\n%s", s, trace)
		}
	}
	if !strings.Contains(trace, "TOKEN_INVALID") {
		t.Errorf("trace:\n%s", trace)
	}
}
