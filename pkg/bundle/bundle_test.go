package bundle

import (
	"bytes"
	"compress/gzip"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/xs2a-dev/xs2a/pkg/httplog"
	"github.com/xs2a-dev/xs2a/pkg/httpsig"
	"github.com/xs2a-dev/xs2a/pkg/qcert"
)

const (
	clientSecret = "cs-0123456789-secret"
	apiKey       = "ak-9876543210-key"
	accessToken  = "at-AAAAAAAAAAAAAAAA"
	refreshToken = "rt-BBBBBBBBBBBBBBBB"
	authCode     = "code-CCCCCCCCCCCC"
	verifier     = "ver-DDDDDDDDDDDDDDDDD"
	echoed       = "echo-EEEEEEEEEEEE" // a secret the bank echoes under a harmless name
)

// bank answers the token endpoint with tokens and the API with a body
// that repeats a known secret under a name no redaction rule knows.
func bank(t *testing.T) *httptest.Server {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		switch r.URL.Path {
		case "/oauth/token":
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"access_token":"`+accessToken+`","refresh_token":"`+refreshToken+`","token_type":"Bearer","expires_in":300}`)
		case "/v1/consents":
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusCreated)
			io.WriteString(w, `{"consentId":"c-1","note":"`+echoed+`","got":`+string(body)+`}`)
		default:
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			io.WriteString(w, `{"tppMessages":[{"category":"ERROR","code":"TOKEN_INVALID"}]}`)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestRecordRedactsByNameAndValueAndStaysVerifiable(t *testing.T) {
	srv := bank(t)
	set, err := qcert.GenerateSet(qcert.Options{Org: qcert.DefaultOrg})
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "rec")
	if err := Prepare(dir); err != nil {
		t.Fatal(err)
	}
	rec := &Recorder{Dir: dir, BaseURL: srv.URL, SecretHeaders: []string{"X-Bank-Key"}, ClientCert: set.QWAC.Cert,
		OnError: func(err error) { t.Error(err) }}
	rec.AddSecrets(apiKey, echoed)
	base := srv.Client().Transport
	mtls := &http.Client{Transport: rec.Transport(KindOAuth, base)}
	signed := &http.Client{Transport: &httpsig.Transport{Signer: &httpsig.Signer{Key: set.QSeal.Key, Cert: set.QSeal.Cert}, Base: rec.Transport(KindAPI, base)}}

	form := url.Values{"grant_type": {"authorization_code"}, "code": {authCode}, "code_verifier": {verifier}}.Encode()
	req, _ := http.NewRequest("POST", srv.URL+"/oauth/token", strings.NewReader(form))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth("client-1", clientSecret)
	do(t, mtls, req, 200)

	req, _ = http.NewRequest("POST", srv.URL+"/v1/consents", strings.NewReader(`{"recurringIndicator": true, "frequencyPerDay":4}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+accessToken)
	req.Header.Set("X-Bank-Key", apiKey)
	req.Header.Set("PSU-ID", "psu-1")
	do(t, signed, req, 201)

	req, _ = http.NewRequest("GET", srv.URL+"/v1/accounts?withBalance=true&code="+authCode, nil)
	req.Header.Set("Authorization", "Bearer "+refreshToken)
	do(t, signed, req, 401)

	files, _ := filepath.Glob(filepath.Join(dir, "*"))
	if len(files) != 3 {
		t.Fatalf("%d files; want 3: %v", len(files), files)
	}
	var all []byte
	for _, f := range files {
		st, _ := os.Stat(f)
		if st.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v; want 0600", f, st.Mode().Perm())
		}
		b, _ := os.ReadFile(f)
		all = append(all, b...)
	}
	if st, _ := os.Stat(dir); st.Mode().Perm() != 0o700 {
		t.Errorf("dir mode %v; want 0700", st.Mode().Perm())
	}
	basic := base64.StdEncoding.EncodeToString([]byte("client-1:" + clientSecret))
	for _, s := range []string{clientSecret, apiKey, accessToken, refreshToken, authCode, verifier, echoed, basic} {
		if bytes.Contains(all, []byte(s)) {
			t.Errorf("secret %q is in the recording", s)
		}
	}
	for _, s := range []string{apiKey, accessToken, refreshToken, authCode, verifier, echoed, basic} {
		if !bytes.Contains(all, []byte(httplog.Redact(s))) {
			t.Errorf("fingerprint of %q is not in the recording", s)
		}
	}

	ex, err := Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(ex) != 3 || ex[0].Path() != "/oauth/token" || ex[1].Path() != "/v1/consents" || !strings.HasPrefix(ex[2].Path(), "/v1/accounts?withBalance=true&code=[redacted") {
		t.Fatalf("order: %v %v %v", ex[0].Path(), ex[1].Path(), ex[2].Path())
	}
	tok, cons, acc := ex[0], ex[1], ex[2]
	if tok.Kind != KindOAuth || tok.Signed() || tok.Request.Header("Authorization") != "Basic "+httplog.Redact(basic) {
		t.Errorf("token exchange: kind %q signed %v auth %q", tok.Kind, tok.Signed(), tok.Request.Header("Authorization"))
	}
	if tok.TLS == nil || tok.TLS.Version == "" || len(tok.Certificates.ServerChain) == 0 || tok.Certificates.QWAC == "" || tok.Timings.Total <= 0 {
		t.Errorf("token exchange TLS/certs/timings: %+v %+v %+v", tok.TLS, tok.Certificates, tok.Timings)
	}
	if cons.Kind != KindAPI || cons.BaseURL != srv.URL || cons.Response.Status != 201 || cons.Certificates.QSealC == "" ||
		cons.Digest == nil || !cons.Digest.Match || cons.Digest.Bytes != 49 || !strings.Contains(cons.SigningString, "psu-id: psu-1") {
		t.Errorf("consent exchange: %+v digest %+v\nsigning string %q", cons, cons.Digest, cons.SigningString)
	}
	if !cons.Response.Body.Redacted || cons.Request.Body.Redacted {
		t.Errorf("redacted flags: response %v request %v", cons.Response.Body.Redacted, cons.Request.Body.Redacted)
	}
	if acc.Response.Code != "TOKEN_INVALID" || !strings.Contains(acc.Response.Body.Text, `"code":"TOKEN_INVALID"`) {
		t.Errorf("message code lost: %+v", acc.Response)
	}
	// The recorded signed requests verify offline, at the recorded time.
	for _, e := range []*Exchange{cons, acc} {
		m, err := e.Message()
		if err != nil {
			t.Fatal(err)
		}
		d := httpsig.Verify(m, httpsig.VerifyOptions{Now: func() time.Time { return e.Time }})
		if !d.Valid {
			t.Errorf("%s %s does not verify: %+v", e.Request.Method, e.Path(), d.Checks)
		}
		if d.SigningString != e.SigningString {
			t.Errorf("recorded signing string %q; verifier built %q", e.SigningString, d.SigningString)
		}
	}
	if v := Verify(tok, httpsig.VerifyOptions{}); v.Verdict != NotSigned || v.Detail == "" {
		t.Errorf("token exchange verdict %+v", v)
	}
	if v := Verify(cons, httpsig.VerifyOptions{}); v.Verdict != Valid || v.KeyIDForm == nil || v.KeyIDForm.Serial != httpsig.DefaultKeyIDFormat.Serial {
		t.Errorf("consent verdict %+v", v)
	}
	later := httpsig.VerifyOptions{Now: func() time.Time { return cons.Time.AddDate(5, 0, 0) }}
	if v := Verify(cons, later); v.Verdict != Invalid || v.FailedCheck != httpsig.CheckValidity {
		t.Errorf("five years later: %+v", v)
	}
	bad := *cons
	bad.Request.Body = NewBody([]byte(`{"recurringIndicator": true, "frequencyPerDay":5}`))
	if v := Verify(&bad, httpsig.VerifyOptions{}); v.Verdict != Invalid || v.FailedCheck != httpsig.CheckDigest || v.Cause == "" {
		t.Errorf("changed body: %+v", v)
	}
	bad.Request.Body.Redacted = true
	if v := Verify(&bad, httpsig.VerifyOptions{}); !strings.Contains(v.Cause, "recorded body is not the bytes sent") || v.Confirmed {
		t.Errorf("redacted body: %+v", v)
	}
	// A changed body no longer verifies, on the digest.
	m, _ := cons.Message()
	m.Body = bytes.Replace(m.Body, []byte("4"), []byte("5"), 1)
	if d := httpsig.Verify(m, httpsig.VerifyOptions{Now: func() time.Time { return cons.Time }}); d.Valid || d.Check(httpsig.CheckDigest).Status != httpsig.Fail {
		t.Errorf("changed body verifies")
	}
}

func do(t *testing.T, c *http.Client, req *http.Request, want int) {
	t.Helper()
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != want {
		t.Fatalf("%s %s: %d; want %d", req.Method, req.URL.Path, resp.StatusCode, want)
	}
}

func TestFailedExchangeIsRecorded(t *testing.T) {
	dir := t.TempDir()
	rec := &Recorder{Dir: dir}
	c := &http.Client{Transport: rec.Transport(KindAPI, &http.Transport{TLSClientConfig: &tls.Config{}})}
	ln := httptest.NewServer(http.NotFoundHandler())
	addr := ln.URL
	ln.Close() // nothing listens there now
	if _, err := c.Get(addr + "/v1/accounts"); err == nil {
		t.Fatal("request to a closed port succeeded")
	}
	ex, err := Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(ex) != 1 || ex[0].Response != nil || !strings.Contains(ex[0].Error, "refused") {
		t.Errorf("failed exchange: %+v", ex[0])
	}
}

func TestFileNamesSortByTimeAndNeverClash(t *testing.T) {
	dir := t.TempDir()
	t0 := time.Date(2026, 12, 1, 8, 45, 12, 123456789, time.UTC)
	mk := func(at time.Time, method, target, rid string) *Exchange {
		e := &Exchange{Format: Format, Kind: KindAPI, Time: at, Request: Request{Method: method, Target: target}}
		if rid != "" {
			e.Request.Headers = []Field{{"X-Request-ID", rid}}
		}
		return e
	}
	e := mk(t0, "POST", "/v1/consents?x=1", "99391c7e-ad88-49ec-a2ad-99ddcb1f7721")
	if n := FileName(e); n != "20261201T084512.123456789Z-POST-v1-consents-99391c7e.json" {
		t.Errorf("FileName = %q", n)
	}
	// Same instant, same request id (two processes): both kept.
	var names []string
	for range 3 {
		p, err := Write(dir, e)
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, filepath.Base(p))
	}
	if names[0] == names[1] || names[1] == names[2] {
		t.Errorf("names clash: %v", names)
	}
	// Earlier by a nanosecond, written later: still read first. Times
	// a second apart and a nanosecond apart both sort.
	for _, x := range []*Exchange{mk(t0.Add(-time.Nanosecond), "GET", "/", ""), mk(t0.Add(time.Second), "DELETE", "/v1/consents/c-1", "abc")} {
		if _, err := Write(dir, x); err != nil {
			t.Fatal(err)
		}
	}
	ex, err := Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, x := range ex {
		got = append(got, x.Request.Method)
	}
	if !slices.Equal(got, []string{"GET", "POST", "POST", "POST", "DELETE"}) {
		t.Errorf("read order %v", got)
	}
	files := []string{}
	for _, x := range ex {
		files = append(files, x.File)
	}
	if !sort.StringsAreSorted(files) {
		t.Errorf("files not in name order: %v", files)
	}
}

func TestReadErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := Read(dir); !errors.Is(err, ErrEmpty) {
		t.Errorf("empty dir: %v", err)
	}
	os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("hello"), 0o600)
	if _, err := Read(dir); !errors.Is(err, ErrEmpty) {
		t.Errorf("dir with only a .txt: %v", err)
	}
	os.WriteFile(filepath.Join(dir, "x.json"), []byte(`{"format":1}`), 0o600)
	if _, err := Read(dir); err == nil || !strings.Contains(err.Error(), "x.json") || !strings.Contains(err.Error(), "no method") {
		t.Errorf("bad file: %v", err)
	}
	os.WriteFile(filepath.Join(dir, "x.json"), []byte(`{"format":99,"request":{"method":"GET"}}`), 0o600)
	if _, err := Read(dir); err == nil || !strings.Contains(err.Error(), "newer") {
		t.Errorf("future format: %v", err)
	}
	if _, err := Read(filepath.Join(dir, "missing")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing dir: %v", err)
	}
	if err := Prepare(filepath.Join(dir, "notes.txt")); err == nil {
		t.Error("Prepare accepted a file")
	}
}

func TestLongAnswerPassesWholeAndIsKeptCut(t *testing.T) {
	big := bytes.Repeat([]byte("x"), MaxBody+MaxBody/2)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.Write(big)
	}))
	defer srv.Close()
	dir := t.TempDir()
	rec := &Recorder{Dir: dir}
	c := &http.Client{Transport: rec.Transport(KindAPI, nil)}
	resp, err := c.Get(srv.URL + "/big")
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !bytes.Equal(got, big) {
		t.Errorf("caller read %d bytes; want %d", len(got), len(big))
	}
	ex, err := Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	b := ex[0].Response.Body
	if !b.Truncated || b.Size != len(big) || len(b.Text) != MaxBody {
		t.Errorf("kept body: truncated %v size %d, %d bytes kept", b.Truncated, b.Size, len(b.Text))
	}
}

// The proxy records concurrent exchanges through one Recorder: every one
// gets its own file.
func TestConcurrentExchangesEachGetAFile(t *testing.T) {
	srv := bank(t)
	dir := t.TempDir()
	rec := &Recorder{Dir: dir, OnError: func(err error) { t.Error(err) }}
	c := &http.Client{Transport: rec.Transport(KindAPI, srv.Client().Transport)}
	done := make(chan struct{})
	for g := range 8 {
		go func() {
			defer func() { done <- struct{}{} }()
			for i := range 5 {
				req, _ := http.NewRequest("GET", srv.URL+"/v1/accounts", nil)
				req.Header.Set("Authorization", "Bearer tok-"+strings.Repeat("x", g+i+6))
				req.Header.Set("X-Request-ID", "99391c7e-ad88-49ec-a2ad-99ddcb1f7721")
				resp, err := c.Do(req)
				if err != nil {
					t.Error(err)
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		}()
	}
	for range 8 {
		<-done
	}
	ex, err := Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(ex) != 40 {
		t.Errorf("%d files for 40 exchanges", len(ex))
	}
}

// An answer that says JSON but does not parse (a bank's trailing comma,
// a body cut off) still has its secret fields hidden, as the -v trace
// hides them, and the token it carries is then hidden by value elsewhere.
func TestMalformedJSONAnswerIsRedacted(t *testing.T) {
	const tok = "at-malformed-FFFFFFFFFFFF"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/oauth/token":
			io.WriteString(w, `{"access_token": "`+tok+`", "token_type":"Bearer",}`)
		default:
			w.WriteHeader(http.StatusUnauthorized)
			io.WriteString(w, `{"tppMessages":[{"code":"TOKEN_INVALID","text":"token `+tok+` is not known"}]}`)
		}
	}))
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	rec := &Recorder{Dir: dir, OnError: func(err error) { t.Error(err) }}
	c := &http.Client{Transport: rec.Transport(KindOAuth, nil)}
	req, _ := http.NewRequest("POST", srv.URL+"/oauth/token", strings.NewReader("grant_type=client_credentials"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	do(t, c, req, 200)
	api := &http.Client{Transport: rec.Transport(KindAPI, nil)}
	do(t, api, mustRequest(t, "GET", srv.URL+"/v1/accounts"), 401)
	ex, err := Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ex {
		data, _ := Marshal(e)
		if strings.Contains(string(data), tok) {
			t.Errorf("%s %s: the token is in the file", e.Request.Method, e.Path())
		}
	}
	if len(ex) != 2 || ex[0].Response == nil || !strings.Contains(ex[0].Response.Body.Text, `"access_token": "`+httplog.Redact(tok)+`"`) ||
		!ex[0].Response.Body.Redacted {
		t.Errorf("token answer kept as %+v", ex[0].Response)
	}
}

func mustRequest(t *testing.T, method, u string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

// A caller that asks for gzip itself (a browser or Postman through `xs2a
// proxy`) gets the compressed bytes from the transport: the recorder must
// still find the token inside, and keep the answer readable.
func TestCompressedAnswerIsRedacted(t *testing.T) {
	const tok = "at-gzipped-GGGGGGGGGGGG"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Encoding", "gzip")
		zw := gzip.NewWriter(w)
		io.WriteString(zw, `{"access_token":"`+tok+`","token_type":"Bearer"}`)
		zw.Close()
	}))
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	rec := &Recorder{Dir: dir, OnError: func(err error) { t.Error(err) }}
	c := &http.Client{Transport: rec.Transport(KindOAuth, nil)}
	req, _ := http.NewRequest("POST", srv.URL+"/oauth/token", strings.NewReader("grant_type=client_credentials"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept-Encoding", "gzip")
	do(t, c, req, 200)
	ex, err := Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := ex[0].Response.Body.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	if zr, err := gzip.NewReader(bytes.NewReader(raw)); err == nil {
		raw, _ = io.ReadAll(zr)
	}
	if strings.Contains(string(raw), tok) {
		t.Errorf("the token is in the recorded answer once decompressed")
	}
	if b := ex[0].Response.Body; !strings.Contains(b.Text, `"access_token":"`+httplog.Redact(tok)+`"`) || b.Encoding != "gzip" || !b.Redacted {
		t.Errorf("answer kept as %+v", b)
	}

	// An encoding the recorder cannot undo: nothing of the body is kept.
	br := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Encoding", "br")
		io.WriteString(w, `{"access_token":"`+tok+`"}`) // stands for bytes no redaction can read
	}))
	t.Cleanup(br.Close)
	dir = t.TempDir()
	rec.Dir = dir
	req, _ = http.NewRequest("POST", br.URL+"/oauth/token", strings.NewReader("grant_type=client_credentials"))
	req.Header.Set("Accept-Encoding", "br")
	do(t, c, req, 200)
	if ex, err = Read(dir); err != nil {
		t.Fatal(err)
	}
	if b := ex[0].Response.Body; b == nil || b.Text != "" || b.Base64 != "" || b.Encoding != "br" || b.Size == 0 {
		t.Errorf("br answer kept as %+v", b)
	}
}

// golang.org/x/oauth2 reads a text/plain token answer as a form
// (access_token=...&token_type=bearer), so an ASPSP may send its tokens
// that way: the recording keeps none of them.
func TestTextPlainTokenAnswerIsRedacted(t *testing.T) {
	const tok, rt = "at-textplain-EEEEEEEEEEEE", "rt-textplain-DDDDDDDDDDDD"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, "access_token="+tok+"&refresh_token="+rt+"&token_type=bearer&expires_in=3600")
	}))
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	rec := &Recorder{Dir: dir, OnError: func(err error) { t.Error(err) }}
	c := &http.Client{Transport: rec.Transport(KindOAuth, nil)}
	req, _ := http.NewRequest("POST", srv.URL+"/oauth/token", strings.NewReader("grant_type=client_credentials"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	do(t, c, req, 200)
	ex, err := Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(ex) != 1 || ex[0].Response == nil || ex[0].Response.Body == nil {
		t.Fatalf("recorded %+v", ex)
	}
	data, _ := Marshal(ex[0])
	if strings.Contains(string(data), tok) || strings.Contains(string(data), rt) {
		t.Errorf("a token is in the file:\n%s", data)
	}
	if !ex[0].Response.Body.Redacted || !strings.Contains(ex[0].Response.Body.Text, "token_type=bearer") {
		t.Errorf("token answer kept as %+v", ex[0].Response.Body)
	}
}
