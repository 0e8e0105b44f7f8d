package signproxy

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/xs2a-dev/xs2a/pkg/httplog"
	"github.com/xs2a-dev/xs2a/pkg/httpsig"
	"github.com/xs2a-dev/xs2a/pkg/qcert"
	"github.com/xs2a-dev/xs2a/pkg/xs2a"
)

var (
	setOnce sync.Once
	set     *qcert.Set
	setErr  error
)

// certs is one generated certificate set for the whole package's tests.
func certs(t testing.TB) *qcert.Set {
	t.Helper()
	setOnce.Do(func() { set, setErr = qcert.GenerateSet(qcert.Options{Org: qcert.DefaultOrg}) })
	if setErr != nil {
		t.Fatal(setErr)
	}
	return set
}

// bank is an upstream that requires the QWAC in the TLS handshake, as an
// ASPSP's gateway does, and counts what reaches it.
type bank struct {
	*httptest.Server
	calls atomic.Int32
}

func startBank(t testing.TB, h http.HandlerFunc) *bank {
	t.Helper()
	s := certs(t)
	b := &bank{}
	b.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b.calls.Add(1)
		h(w, r)
	}))
	pool := x509.NewCertPool()
	pool.AddCert(s.CA.Cert)
	b.TLS = &tls.Config{
		Certificates: []tls.Certificate{{Certificate: [][]byte{s.Server.Cert.Raw}, PrivateKey: s.Server.Key, Leaf: s.Server.Cert}},
		ClientAuth:   tls.RequireAndVerifyClientCert, ClientCAs: pool, MinVersion: tls.VersionTLS12,
	}
	b.StartTLS()
	t.Cleanup(b.Close)
	return b
}

// signedClient is what the session builds: the signer over the QWAC transport.
func signedClient(t testing.TB) *http.Client {
	s := certs(t)
	pool := x509.NewCertPool()
	pool.AddCert(s.CA.Cert)
	tr := &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12,
			Certificates: []tls.Certificate{{Certificate: [][]byte{s.QWAC.Cert.Raw}, PrivateKey: s.QWAC.Key, Leaf: s.QWAC.Cert}}},
		MaxIdleConnsPerHost: 64, ForceAttemptHTTP2: true,
	}
	return &http.Client{Transport: &httpsig.Transport{Signer: &httpsig.Signer{Key: s.QSeal.Key, Cert: s.QSeal.Cert}, Base: tr}}
}

// startProxy serves a proxy to upstream on a loopback port; edit adjusts
// its configuration.
func startProxy(t testing.TB, upstream string, edit func(*Config)) (string, *syncLog) {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	log := &syncLog{}
	c := Config{Client: signedClient(t), BaseURL: upstream, Log: log, Addr: srv.Listener.Addr().String()}
	if edit != nil {
		edit(&c)
	}
	p, err := New(c)
	if err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = p
	srv.Start()
	t.Cleanup(srv.Close)
	return srv.URL, log
}

type syncLog struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *syncLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *syncLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func send(t *testing.T, method, url string, body io.Reader, hdr ...string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		if strings.EqualFold(hdr[i], "Host") {
			req.Host = hdr[i+1]
			continue
		}
		req.Header.Add(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading the answer: %v", method, url, err)
	}
	return resp, b
}

func TestForwardsSignedWithoutHopByHopHeaders(t *testing.T) {
	var got *http.Request
	var gotBody []byte
	b := startBank(t, func(w http.ResponseWriter, r *http.Request) {
		got, gotBody = r.Clone(context.Background()), must(io.ReadAll(r.Body))
		w.Header().Set("Connection", "X-Conn-Only")
		w.Header().Set("X-Conn-Only", "for this hop")
		w.Header().Set("Access-Control-Allow-Origin", "*")
		w.Header().Set("Location", "/v1/consents/c-1")
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		io.WriteString(w, `{"consentId":"c-1"}`)
	})
	url, log := startProxy(t, b.URL+"/base/", nil)
	resp, body := send(t, "POST", url+"/v1/consents?x=1%202", strings.NewReader(`{"access":{}}`),
		"Content-Type", "application/json", "Connection", "X-Hop", "X-Hop", "secret for the proxy", "Keep-Alive", "timeout=5",
		"Proxy-Authorization", "Basic eDp5", "PSU-IP-Address", "192.0.2.1")

	if resp.StatusCode != http.StatusCreated || string(body) != `{"consentId":"c-1"}` || resp.Header.Get("Location") != "/v1/consents/c-1" {
		t.Fatalf("answer %d %q Location %q", resp.StatusCode, body, resp.Header.Get("Location"))
	}
	if got.URL.Path != "/base/v1/consents" || got.URL.RawQuery != "x=1%202" || string(gotBody) != `{"access":{}}` {
		t.Errorf("upstream got %s?%s %q", got.URL.Path, got.URL.RawQuery, gotBody)
	}
	for _, h := range []string{"X-Request-ID", "Digest", "Signature", "TPP-Signature-Certificate", "PSU-IP-Address"} {
		if got.Header.Get(h) == "" {
			t.Errorf("upstream request lacks %s", h)
		}
	}
	for _, h := range []string{"X-Hop", "Keep-Alive", "Proxy-Authorization"} {
		if v := got.Header.Get(h); v != "" {
			t.Errorf("hop-by-hop %s: %q reached the bank", h, v)
		}
	}
	if !strings.HasPrefix(got.Header.Get("Digest"), "SHA-256=") {
		t.Errorf("Digest %q", got.Header.Get("Digest"))
	}
	for _, h := range []string{"X-Conn-Only", "Access-Control-Allow-Origin"} {
		if v := resp.Header.Get(h); v != "" {
			t.Errorf("answer header %s: %q passed through", h, v)
		}
	}
	rid := got.Header.Get("X-Request-ID")
	if want := "POST /v1/consents 201 - X-Request-ID " + rid + " "; !strings.HasPrefix(log.String(), want) || strings.Count(log.String(), "\n") != 1 {
		t.Errorf("log %q; want one line starting %q", log.String(), want)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func TestErrorAnswerLoggedWithCodeAndTexts(t *testing.T) {
	const answer = `{"tppMessages":[{"category":"ERROR","code":"SIGNATURE_INVALID","text":"check algorithm failed"},` +
		`{"category":"ERROR","code":"SIGNATURE_INVALID","path":"Signature","text":"cause: rsa-sha512 for a SHA256 certificate"}]}`
	b := startBank(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.Header().Set("X-Request-ID", r.Header.Get("X-Request-ID"))
		w.WriteHeader(http.StatusUnauthorized)
		io.WriteString(w, answer)
	})
	url, log := startProxy(t, b.URL, nil)
	resp, body := send(t, "GET", url+"/v1/card-accounts", nil, "X-Request-ID", "11111111-2222-3333-4444-555555555555")
	if resp.StatusCode != 401 || string(body) != answer {
		t.Fatalf("answer %d %s", resp.StatusCode, body)
	}
	want := "GET /v1/card-accounts 401 SIGNATURE_INVALID X-Request-ID 11111111-2222-3333-4444-555555555555 "
	lines := strings.Split(strings.TrimRight(log.String(), "\n"), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], want) ||
		lines[1] != "  SIGNATURE_INVALID: check algorithm failed" ||
		lines[2] != "  SIGNATURE_INVALID [Signature]: cause: rsa-sha512 for a SHA256 certificate" {
		t.Errorf("log:\n%s\nwant first line %q and the two texts", log.String(), want)
	}
}

func TestBodyOverLimitGets413BeforeSending(t *testing.T) {
	b := startBank(t, func(w http.ResponseWriter, r *http.Request) {})
	url, log := startProxy(t, b.URL, func(c *Config) { c.MaxBody = 1024 })
	resp, body := send(t, "POST", url+"/v1/consents", bytes.NewReader(make([]byte, 1025)))
	if resp.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(string(body), "larger than 1024 bytes") {
		t.Errorf("1025-byte body: %d %s", resp.StatusCode, body)
	}
	if n := b.calls.Load(); n != 0 {
		t.Errorf("the bank was called %d times", n)
	}
	if !strings.Contains(log.String(), "POST /v1/consents 413 ") {
		t.Errorf("log %q", log.String())
	}
	resp, _ = send(t, "POST", url+"/v1/consents", bytes.NewReader(make([]byte, 1024)))
	if resp.StatusCode != 200 {
		t.Errorf("1024-byte body: %d", resp.StatusCode)
	}
}

func TestLargeAnswerArrivesByteIdentical(t *testing.T) {
	big := make([]byte, 3<<20+17)
	rand.Read(big)
	b := startBank(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/octet-stream")
		// Unknown length: chunked from the bank, and from the proxy.
		for rest := big; len(rest) > 0; {
			n := min(len(rest), 100_000)
			w.Write(rest[:n])
			rest = rest[n:]
		}
	})
	url, _ := startProxy(t, b.URL, nil)
	resp, body := send(t, "GET", url+"/v1/card-accounts/x/transactions", nil)
	if resp.StatusCode != 200 || sha256.Sum256(body) != sha256.Sum256(big) {
		t.Errorf("3 MiB answer: %d, %d bytes, SHA-256 differs from what the bank sent", resp.StatusCode, len(body))
	}
}

// tracedClient is the signed client of `xs2a proxy -v`: the -v trace sits
// under the signer, over the QWAC transport, as the session composes it.
func tracedClient(t testing.TB, out io.Writer) *http.Client {
	c := signedClient(t)
	st := c.Transport.(*httpsig.Transport)
	st.Base = &httplog.Transport{Base: st.Base, Out: out}
	return c
}

// TestStreamsAsTheAnswerArrives: the bank sends a first part and waits
// until the caller has it before sending the rest. A proxy that buffered
// would keep the caller waiting until the bank gives up; so would a -v
// trace that read the answer whole before passing it on.
func TestStreamsAsTheAnswerArrives(t *testing.T) {
	for _, verbose := range []bool{false, true} {
		t.Run(map[bool]string{false: "plain", true: "-v"}[verbose], func(t *testing.T) {
			first := []byte(`{"transactions":{"booked":[` + strings.Repeat(" ", 4000))
			rest := []byte(`]}}`)
			callerHasFirst := make(chan struct{})
			var bankWaited atomic.Bool
			b := startBank(t, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.Write(first)
				w.(http.Flusher).Flush()
				select {
				case <-callerHasFirst:
				case <-time.After(5 * time.Second):
					bankWaited.Store(true)
				}
				w.Write(rest)
			})
			trace := &syncLog{}
			url, log := startProxy(t, b.URL, func(c *Config) {
				if verbose {
					c.Client = tracedClient(t, trace)
				}
			})
			resp, err := http.Get(url + "/v1/card-accounts/x/transactions")
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			got := make([]byte, len(first))
			if _, err := io.ReadFull(resp.Body, got); err != nil {
				t.Fatal(err)
			}
			if bankWaited.Load() {
				t.Fatal("the first part reached the caller only after the bank had given up waiting: the proxy buffers")
			}
			close(callerHasFirst)
			tail, err := io.ReadAll(resp.Body)
			if err != nil || !bytes.Equal(got, first) || !bytes.Equal(tail, rest) {
				t.Errorf("parts differ: %v", err)
			}
			if !eventually(func() bool { return strings.Contains(log.String(), "GET /v1/card-accounts/x/transactions 200") }) {
				t.Errorf("log %q", log.String())
			}
			if verbose && !strings.Contains(trace.String(), "< {\n<   \"transactions\": {\n<     \"booked\": []\n<   }\n< }\n") {
				t.Errorf("the trace lacks the whole answer:\n%s", trace.String())
			}
		})
	}
}

// A bank's error answer writes terminal escapes into its message code and
// texts: the proxy's log line shows them escaped,
// never as the bytes a terminal obeys (ESC, OSC 52's BEL, C1 CSI, bidi).
func TestHostileErrorAnswerLoggedEscaped(t *testing.T) {
	const answer = `{"tppMessages":[{"category":"ERROR","code":"FORMAT_ERROR\u001b[2J","text":"bad \u001b]52;c;Y3VybCBldmls\u0007 \u009b31m \u202eevil\r\u001b[1Afake OK"}]}`
	b := startBank(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		// Go's client refuses a header value with a control character
		// (malformed MIME header line): the id cannot carry one.
		w.Header().Set("X-Request-ID", "rid-1")
		w.WriteHeader(http.StatusBadRequest)
		io.WriteString(w, answer)
	})
	url, log := startProxy(t, b.URL, nil)
	resp, body := send(t, "GET", url+"/v1/card-accounts", nil)
	if resp.StatusCode != 400 || string(body) != answer {
		t.Fatalf("answer %d %s", resp.StatusCode, body)
	}
	got := log.String()
	for _, c := range []string{"\x1b", "\x07", "\u009b", "\u202e", "\r"} {
		if strings.Contains(got, c) {
			t.Errorf("log holds the raw %q:\n%s", c, got)
		}
	}
	for _, w := range []string{` 400 FORMAT_ERROR\x1b[2J X-Request-ID rid-1 `, `\x1b]52;c;Y3VybCBldmls\x07`, `\u009b31m`, `\u202eevil`, `\x1b[1Afake OK`} {
		if !strings.Contains(got, w) {
			t.Errorf("log lacks %q:\n%s", w, got)
		}
	}
}

// TestAnswerCutByTheBankIsCutForTheCaller: a chunked answer whose upstream
// breaks must not end with a clean last chunk.
func TestAnswerCutByTheBankIsCutForTheCaller(t *testing.T) {
	b := startBank(t, func(w http.ResponseWriter, r *http.Request) {
		w.Write(make([]byte, 500)) // no Content-Length: chunked
		w.(http.Flusher).Flush()
		panic(http.ErrAbortHandler)
	})
	url, log := startProxy(t, b.URL, nil)
	resp, err := http.Get(url + "/v1/x")
	if err == nil {
		defer resp.Body.Close()
		_, err = io.ReadAll(resp.Body)
	}
	if err == nil {
		t.Error("the caller read a complete answer; want an error for the cut")
	}
	if !eventually(func() bool { return strings.Contains(log.String(), "broke off after 500 bytes") }) {
		t.Errorf("log %q", log.String())
	}
}

func eventually(cond func() bool) bool {
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if cond() {
			return true
		}
	}
	return cond()
}

func TestInjectHook(t *testing.T) {
	var auth atomic.Value
	b := startBank(t, func(w http.ResponseWriter, r *http.Request) { auth.Store(r.Header.Get("Authorization")) })
	var fail atomic.Bool
	url, log := startProxy(t, b.URL, func(c *Config) {
		c.Inject = func(ctx context.Context, r *http.Request) error {
			if fail.Load() {
				return errors.New("no PSU token in the state: run xs2a authorize")
			}
			if r.Header.Get("Authorization") == "" {
				r.Header.Set("Authorization", "Bearer from-state")
			}
			return nil
		}
	})
	send(t, "GET", url+"/v1/card-accounts", nil)
	if auth.Load() != "Bearer from-state" {
		t.Errorf("injected Authorization: %v", auth.Load())
	}
	send(t, "GET", url+"/v1/card-accounts", nil, "Authorization", "Bearer mine")
	if auth.Load() != "Bearer mine" {
		t.Errorf("caller's Authorization replaced: %v", auth.Load())
	}
	fail.Store(true)
	resp, body := send(t, "GET", url+"/v1/card-accounts", nil)
	if resp.StatusCode != 401 || !strings.Contains(string(body), "run xs2a authorize") || b.calls.Load() != 2 {
		t.Errorf("hook error: %d %s, bank calls %d", resp.StatusCode, body, b.calls.Load())
	}
	if !strings.Contains(log.String(), "  proxy: no PSU token in the state") {
		t.Errorf("log %q", log.String())
	}
}

func TestHostMustNameTheProxy(t *testing.T) {
	b := startBank(t, func(w http.ResponseWriter, r *http.Request) {})
	url, log := startProxy(t, b.URL, nil)
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(url, "http://"))
	for _, host := range []string{"127.0.0.1:" + port, "localhost:" + port, "LOCALHOST:" + port, "[::1]:" + port} {
		if resp, body := send(t, "GET", url+"/v1/x", nil, "Host", host); resp.StatusCode != 200 {
			t.Errorf("Host %s: %d %s", host, resp.StatusCode, body)
		}
	}
	for _, host := range []string{"attacker.example:" + port, "127.0.0.1:1", "localhost", "127.0.0.1.nip.io:" + port} {
		resp, body := send(t, "GET", url+"/v1/x", nil, "Host", host)
		if resp.StatusCode != 403 || !strings.Contains(string(body), "DNS rebinding") {
			t.Errorf("Host %s: %d %s; want 403", host, resp.StatusCode, body)
		}
	}
	if n := b.calls.Load(); n != 4 {
		t.Errorf("bank calls %d; want 4 (the refused ones never leave)", n)
	}
	if n := strings.Count(log.String(), " 403 - X-Request-ID - "); n != 4 {
		t.Errorf("%d refusal lines; want 4:\n%s", n, log.String())
	}

	remote, _ := startProxy(t, b.URL, func(c *Config) { c.AllowRemote = true })
	if resp, _ := send(t, "GET", remote+"/v1/x", nil, "Host", "xs2a.lan:8080"); resp.StatusCode != 200 {
		t.Errorf("AllowRemote, Host xs2a.lan: %d", resp.StatusCode)
	}
}

func TestNewRefusesAnAddressWithoutPort(t *testing.T) {
	for _, addr := range []string{"", "127.0.0.1", "127.0.0.1:0"} {
		if _, err := New(Config{Client: http.DefaultClient, BaseURL: "https://bank.example", Addr: addr}); err == nil {
			t.Errorf("Addr %q accepted: the Host check would have nothing to compare with", addr)
		}
	}
	if _, err := New(Config{Client: http.DefaultClient, BaseURL: "https://bank.example", AllowRemote: true}); err != nil {
		t.Errorf("AllowRemote without Addr: %v", err)
	}
}

func TestOriginRefusedUnlessAllowed(t *testing.T) {
	b := startBank(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Access-Control-Allow-Origin", "*")
		w.Header().Set("X-Request-ID", r.Header.Get("X-Request-ID"))
	})
	plain, _ := startProxy(t, b.URL, nil)
	cors, _ := startProxy(t, b.URL, func(c *Config) { c.CORSOrigins = []string{"http://localhost:3000", "HTTPS://App.Example:443"} })

	for _, tc := range []struct {
		url  string
		hdr  []string
		want int
	}{
		{plain, []string{"Origin", "http://localhost:3000"}, 403},
		{plain, []string{"Origin", "null"}, 403},
		{plain, []string{"Sec-Fetch-Site", "cross-site"}, 403}, // <img src=http://127.0.0.1:8080/...>
		{plain, []string{"Sec-Fetch-Site", "none"}, 200},       // typed into the address bar
		{cors, []string{"Origin", "http://localhost:3001"}, 403},
		{cors, []string{"Origin", "http://evil.example"}, 403},
		{cors, []string{"Origin", "http://localhost:3000"}, 200},
		{cors, []string{"Origin", "https://app.example"}, 200},
	} {
		resp, body := send(t, "GET", tc.url+"/v1/card-accounts", nil, tc.hdr...)
		if resp.StatusCode != tc.want {
			t.Errorf("%v: %d %s; want %d", tc.hdr, resp.StatusCode, body, tc.want)
			continue
		}
		acao := resp.Header.Get("Access-Control-Allow-Origin")
		switch {
		case tc.want == 403 && !strings.Contains(string(body), "may not use the TPP's certificates"):
			t.Errorf("%v: refusal %q does not say why", tc.hdr, body)
		case tc.want == 200 && tc.url == plain && acao != "":
			t.Errorf("%v without CORS origins: Access-Control-Allow-Origin %q", tc.hdr, acao)
		case tc.want == 200 && tc.url == cors:
			expose := resp.Header.Get("Access-Control-Expose-Headers")
			if acao != tc.hdr[1] || !strings.Contains(resp.Header.Get("Vary"), "Origin") ||
				!strings.Contains(expose, "X-Request-ID") || !strings.Contains(expose, "Location") || !strings.Contains(expose, "Retry-After") {
				t.Errorf("%v: ACAO %q Vary %q Expose %q", tc.hdr, acao, resp.Header.Get("Vary"), expose)
			}
		}
	}
	if n := b.calls.Load(); n != 3 {
		t.Errorf("bank calls %d; want 3", n)
	}
}

func TestPreflightAnsweredByTheProxy(t *testing.T) {
	b := startBank(t, func(w http.ResponseWriter, r *http.Request) {})
	url, log := startProxy(t, b.URL, func(c *Config) { c.CORSOrigins = []string{"http://localhost:3000"} })
	resp, _ := send(t, "OPTIONS", url+"/v1/consents", nil, "Origin", "http://localhost:3000",
		"Access-Control-Request-Method", "POST", "Access-Control-Request-Headers", "content-type,psu-ip-address,x-my-header, bad header",
		"Access-Control-Request-Private-Network", "true")
	h := resp.Header
	allow := strings.ToLower(h.Get("Access-Control-Allow-Headers"))
	if resp.StatusCode != 204 || h.Get("Access-Control-Allow-Origin") != "http://localhost:3000" ||
		!strings.Contains(h.Get("Access-Control-Allow-Methods"), "POST") || !strings.Contains(h.Get("Access-Control-Allow-Methods"), "DELETE") ||
		h.Get("Access-Control-Max-Age") == "" || h.Get("Access-Control-Allow-Private-Network") != "true" ||
		!strings.Contains(h.Get("Vary"), "Origin") {
		t.Errorf("preflight: %d %v", resp.StatusCode, h)
	}
	for _, want := range []string{"x-my-header", "psu-ip-address", "content-type", "consent-id", "x-request-id", "authorization", "tpp-redirect-uri"} {
		if !strings.Contains(allow, want) {
			t.Errorf("Access-Control-Allow-Headers %q lacks %s", allow, want)
		}
	}
	if strings.Contains(allow, "bad header") {
		t.Errorf("Access-Control-Allow-Headers %q echoes a non-token", allow)
	}
	if b.calls.Load() != 0 {
		t.Error("the preflight went to the bank")
	}
	if !strings.Contains(log.String(), "OPTIONS /v1/consents 204 ") {
		t.Errorf("log %q", log.String())
	}
	resp, _ = send(t, "OPTIONS", url+"/v1/consents", nil, "Origin", "http://localhost:4000", "Access-Control-Request-Method", "POST")
	if resp.StatusCode != 403 || resp.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("preflight of another origin: %d ACAO %q", resp.StatusCode, resp.Header.Get("Access-Control-Allow-Origin"))
	}
}

func TestParseOrigin(t *testing.T) {
	for in, want := range map[string]string{
		"http://localhost:3000":   "http://localhost:3000",
		"HTTP://LocalHost:3000/":  "http://localhost:3000",
		"https://app.example:443": "https://app.example",
		"http://app.example:80":   "http://app.example",
		"http://[::1]:5173":       "http://[::1]:5173",
	} {
		if got, err := ParseOrigin(in); err != nil || got != want {
			t.Errorf("ParseOrigin(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"*", "null", "localhost:3000", "ftp://x", "http://", "http://a/b", "http://u@a", "http://a?q", "http://a#f"} {
		if got, err := ParseOrigin(in); err == nil {
			t.Errorf("ParseOrigin(%q) = %q; want an error", in, got)
		}
	}
}

func TestUnreachableBankGets502(t *testing.T) {
	b := startBank(t, func(w http.ResponseWriter, r *http.Request) {})
	gone := b.URL
	b.Close()
	url, log := startProxy(t, gone, nil)
	resp, body := send(t, "GET", url+"/v1/card-accounts", nil, "X-Request-ID", "11111111-2222-3333-4444-555555555555")
	// An app parses the proxy's 502 as it parses the bank's errors.
	e := xs2a.DecodeErrorBody(body)
	if resp.StatusCode != http.StatusBadGateway || resp.Header.Get("Content-Type") != "application/json" ||
		len(e.TPPMessages) != 1 || e.TPPMessages[0].Category != "ERROR" || e.TPPMessages[0].Code != "PROXY_BAD_GATEWAY" ||
		!strings.HasPrefix(e.TPPMessages[0].Text, "xs2a proxy: ") || !strings.Contains(e.TPPMessages[0].Text, "connection refused") {
		t.Errorf("bank down: %d %s %s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	if !strings.HasPrefix(log.String(), "GET /v1/card-accounts 502 - X-Request-ID 11111111-2222-3333-4444-555555555555 ") ||
		!strings.Contains(log.String(), "\n  proxy: ") {
		t.Errorf("log %q", log.String())
	}
}

func TestAllowedAppReadsTheProxysOwnRefusals(t *testing.T) {
	b := startBank(t, func(w http.ResponseWriter, r *http.Request) {})
	url, _ := startProxy(t, b.URL, func(c *Config) { c.CORSOrigins = []string{"http://localhost:3000"}; c.MaxBody = 10 })
	resp, _ := send(t, "POST", url+"/v1/consents", strings.NewReader("more than ten bytes"), "Origin", "http://localhost:3000")
	if resp.StatusCode != 413 || resp.Header.Get("Access-Control-Allow-Origin") != "http://localhost:3000" {
		t.Errorf("413 to the allowed app: %d ACAO %q", resp.StatusCode, resp.Header.Get("Access-Control-Allow-Origin"))
	}
	resp, _ = send(t, "POST", url+"/v1/consents", strings.NewReader("more than ten bytes"), "Origin", "http://localhost:4000")
	if resp.StatusCode != 403 || resp.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("refused origin: %d ACAO %q", resp.StatusCode, resp.Header.Get("Access-Control-Allow-Origin"))
	}
}

func TestTargetThatIsNotAPathIsRefused(t *testing.T) {
	b := startBank(t, func(w http.ResponseWriter, r *http.Request) {})
	url, log := startProxy(t, b.URL, nil)
	c, err := net.Dial("tcp", strings.TrimPrefix(url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	io.WriteString(c, "GET * HTTP/1.1\r\nHost: "+strings.TrimPrefix(url, "http://")+"\r\nConnection: close\r\n\r\n")
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	answer, _ := io.ReadAll(c)
	if !strings.HasPrefix(string(answer), "HTTP/1.1 400 ") || b.calls.Load() != 0 {
		t.Errorf("GET *: %q, bank calls %d", answer, b.calls.Load())
	}
	if !strings.Contains(log.String(), `request target "*" is not a path`) {
		t.Errorf("log %q", log.String())
	}
}

// The log line never shows the query (it may carry a code or a token), and
// neither does the 502 text the client's error brings with it.
func TestUnreachableBankErrorHidesSecretQuery(t *testing.T) {
	b := startBank(t, func(w http.ResponseWriter, r *http.Request) {})
	gone := b.URL
	b.Close()
	url, log := startProxy(t, gone, nil)
	const code = "query-code-secret-0815"
	resp, body := send(t, "GET", url+"/v1/card-accounts?withBalance=true&code="+code, nil)
	if resp.StatusCode != http.StatusBadGateway {
		t.Fatalf("bank down: %d %s", resp.StatusCode, body)
	}
	if strings.Contains(log.String(), code) || strings.Contains(string(body), code) {
		t.Errorf("the secret query parameter is shown:\nlog %q\nbody %q", log.String(), body)
	}
	if !strings.Contains(log.String(), "withBalance=true&code="+httplog.Redact(code)) {
		t.Errorf("the log does not say which URL failed: %q", log.String())
	}
}

// A bank that quotes the request in its error text ("Bearer ... is not
// known") does not get the injected token or the API key into the log.
func TestEchoedCredentialsNotLogged(t *testing.T) {
	b := startBank(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		io.WriteString(w, `{"tppMessages":[{"category":"ERROR","code":"TOKEN_INVALID","text":"`+r.Header.Get("Authorization")+
			` and `+r.Header.Get("X-API-Key")+` and `+r.Header.Get("Ocp-Apim-Subscription-Key")+` are not known"}]}`)
	})
	url, log := startProxy(t, b.URL, func(c *Config) {
		c.Inject = func(ctx context.Context, r *http.Request) error {
			r.Header.Set("Authorization", "Bearer psu-token-from-state")
			r.Header.Set("X-API-Key", "api-key-from-profile")
			r.Header.Set("Ocp-Apim-Subscription-Key", "custom-key-header")
			return nil
		}
		c.SecretHeaders = []string{"Ocp-Apim-Subscription-Key"}
	})
	send(t, "GET", url+"/v1/card-accounts", nil)
	if !eventually(func() bool { return strings.Contains(log.String(), "TOKEN_INVALID") }) {
		t.Fatalf("log %q", log.String())
	}
	if s := log.String(); strings.Contains(s, "psu-token-from-state") || strings.Contains(s, "api-key-from-profile") || strings.Contains(s, "custom-key-header") {
		t.Errorf("a credential is in the log:\n%s", s)
	}
}
