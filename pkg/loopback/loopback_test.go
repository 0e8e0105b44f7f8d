package loopback

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

const rightState = "st-4f1c2a9e"

// client talks to the receiver directly: no proxy from the environment, no
// connection reuse between requests, no following of redirects.
var client = &http.Client{
	Transport: &http.Transport{Proxy: nil, DisableKeepAlives: true},
	Timeout:   5 * time.Second,
	CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	},
}

func listen(t *testing.T, o Options) *Receiver {
	t.Helper()
	if o.State == "" {
		o.State = rightState
	}
	r, err := Listen(o)
	if err != nil {
		t.Fatalf("Listen: %v", err)
	}
	t.Cleanup(func() { _ = r.Close() })
	return r
}

type waited struct {
	res *Result
	err error
}

func startWait(ctx context.Context, r *Receiver) <-chan waited {
	ch := make(chan waited, 1)
	go func() {
		res, err := r.Wait(ctx)
		ch <- waited{res, err}
	}()
	return ch
}

func await(t *testing.T, ch <-chan waited) waited {
	t.Helper()
	select {
	case w := <-ch:
		return w
	case <-time.After(5 * time.Second):
		t.Fatal("Wait did not return")
		return waited{}
	}
}

// stillWaiting fails if Wait has returned. The decisive check is the valid
// callback each caller sends afterwards: had a refused callback been
// delivered, Wait would have returned that one's outcome instead.
func stillWaiting(t *testing.T, ch <-chan waited) {
	t.Helper()
	select {
	case w := <-ch:
		t.Fatalf("Wait returned (%+v, %v); want it still waiting", w.res, w.err)
	case <-time.After(50 * time.Millisecond):
	}
}

type response struct {
	status int
	header http.Header
	body   string
}

func do(t *testing.T, method, u, host string) (response, error) {
	t.Helper()
	req, err := http.NewRequest(method, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	if host != "" {
		req.Host = host
	}
	resp, err := client.Do(req)
	if err != nil {
		return response{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return response{}, err
	}
	return response{resp.StatusCode, resp.Header, string(b)}, nil
}

func mustDo(t *testing.T, method, u string) response {
	t.Helper()
	resp, err := do(t, method, u, "")
	if err != nil {
		t.Fatalf("%s %s: %v", method, u, err)
	}
	return resp
}

func callbackURL(r *Receiver, kv ...string) string {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Add(kv[i], kv[i+1])
	}
	return r.RedirectURL + "?" + v.Encode()
}

// rootURL is the receiver's origin, for requests to other paths.
func rootURL(r *Receiver) string {
	u, _ := url.Parse(r.RedirectURL)
	return "http://" + u.Host
}

type events struct {
	mu   sync.Mutex
	msgs []string
}

func (e *events) add(m string) {
	e.mu.Lock()
	e.msgs = append(e.msgs, m)
	e.mu.Unlock()
}

func (e *events) all() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]string(nil), e.msgs...)
}

func assertPortFree(t *testing.T, addr string) {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("port still bound after the receiver finished: %v", err)
	}
	_ = ln.Close()
}

func assertSafeHeaders(t *testing.T, resp response) {
	t.Helper()
	if got := resp.header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("Cache-Control = %q; want no-store", got)
	}
	if got := resp.header.Get("Referrer-Policy"); got != "no-referrer" {
		t.Errorf("Referrer-Policy = %q; want no-referrer", got)
	}
	if got := resp.header.Get("Content-Type"); !strings.HasPrefix(got, "text/html") {
		t.Errorf("Content-Type = %q; want text/html", got)
	}
}

func TestListenDefaultAddressAndRedirectURL(t *testing.T) {
	r := listen(t, Options{})
	m := regexp.MustCompile(`^http://127\.0\.0\.1:([0-9]+)/callback$`).FindStringSubmatch(r.RedirectURL)
	if m == nil {
		t.Fatalf("RedirectURL = %q; want http://127.0.0.1:PORT/callback", r.RedirectURL)
	}
	tcp := r.ln.Addr().(*net.TCPAddr)
	if !tcp.IP.Equal(net.IPv4(127, 0, 0, 1)) {
		t.Errorf("listener bound %v; want 127.0.0.1", tcp.IP)
	}
	if tcp.Port == 0 || m[1] != strconv.Itoa(tcp.Port) {
		t.Errorf("RedirectURL port %s, listener port %d", m[1], tcp.Port)
	}
}

func TestListenCustomPath(t *testing.T) {
	r := listen(t, Options{Path: "/oauth/cb"})
	if !strings.HasSuffix(r.RedirectURL, "/oauth/cb") {
		t.Fatalf("RedirectURL = %q", r.RedirectURL)
	}
	ch := startWait(context.Background(), r)
	if resp := mustDo(t, "GET", rootURL(r)+"/callback?code=c&state="+rightState); resp.status != http.StatusNotFound {
		t.Errorf("default path status = %d; want 404 when Path is /oauth/cb", resp.status)
	}
	mustDo(t, "GET", callbackURL(r, "code", "c1", "state", rightState))
	if w := await(t, ch); w.err != nil || w.res.Code != "c1" {
		t.Fatalf("Wait = %+v, %v", w.res, w.err)
	}
}

func TestListenIPv6Loopback(t *testing.T) {
	probe, err := net.Listen("tcp6", "[::1]:0")
	if err != nil {
		t.Skipf("IPv6 loopback unavailable: %v", err)
	}
	_ = probe.Close()

	r := listen(t, Options{Addr: "[::1]:0"})
	if !regexp.MustCompile(`^http://\[::1\]:[0-9]+/callback$`).MatchString(r.RedirectURL) {
		t.Fatalf("RedirectURL = %q; want http://[::1]:PORT/callback", r.RedirectURL)
	}
	if ip := r.ln.Addr().(*net.TCPAddr).IP; !ip.Equal(net.IPv6loopback) {
		t.Errorf("listener bound %v; want ::1", ip)
	}
	ch := startWait(context.Background(), r)
	mustDo(t, "GET", callbackURL(r, "code", "v6", "state", rightState))
	if w := await(t, ch); w.err != nil || w.res.Code != "v6" {
		t.Fatalf("Wait = %+v, %v", w.res, w.err)
	}
}

func TestListenRejectsNonLoopbackAddresses(t *testing.T) {
	for _, addr := range []string{
		"localhost", "localhost:0", "LOCALHOST:8765", "localhost.:0",
		"0.0.0.0:0", "192.168.1.1:0", "[::]:0", ":0", "example.com:0",
		"127.0.0.2:0", "[::ffff:127.0.0.1]:0",
	} {
		r, err := Listen(Options{Addr: addr, State: rightState})
		if err == nil {
			_ = r.Close()
			t.Errorf("Listen(%q) succeeded; want an error", addr)
			continue
		}
		if !strings.Contains(err.Error(), "RFC 8252 section 8.3") {
			t.Errorf("Listen(%q) error %q does not name RFC 8252 section 8.3", addr, err)
		}
		if strings.Contains(strings.ToLower(addr), "localhost") && !strings.Contains(err.Error(), `"localhost"`) {
			t.Errorf("Listen(%q) error %q does not say why localhost is refused", addr, err)
		}
	}
}

func TestListenRejectsBadOptions(t *testing.T) {
	for _, tc := range []struct {
		name string
		o    Options
		want string
	}{
		{"empty state", Options{}, "state is required"},
		{"relative path", Options{State: "s", Path: "callback"}, `must start with "/"`},
		{"path with query", Options{State: "s", Path: "/cb?x=1"}, "must not contain"},
		{"no port", Options{State: "s", Addr: "127.0.0.1"}, "needs a port"},
		{"named port", Options{State: "s", Addr: "127.0.0.1:http"}, "port must be a number"},
		{"port out of range", Options{State: "s", Addr: "127.0.0.1:70000"}, "port must be a number"},
	} {
		r, err := Listen(tc.o)
		if err == nil {
			_ = r.Close()
			t.Errorf("%s: Listen succeeded", tc.name)
			continue
		}
		if !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %q; want it to contain %q", tc.name, err, tc.want)
		}
	}
}

func TestListenPortInUse(t *testing.T) {
	occupied, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer occupied.Close()
	addr := occupied.Addr().String()
	_, port, _ := net.SplitHostPort(addr)

	r, err := Listen(Options{Addr: addr, State: rightState})
	if err == nil {
		_ = r.Close()
		t.Fatal("Listen on an occupied port succeeded")
	}
	var pe *PortInUseError
	if !errors.As(err, &pe) {
		t.Fatalf("error %T %v; want *PortInUseError", err, err)
	}
	if pe.Addr != addr {
		t.Errorf("Addr = %q; want %q", pe.Addr, addr)
	}
	if want := "port " + port + " on 127.0.0.1 is already in use"; !strings.Contains(err.Error(), want) {
		t.Errorf("message %q; want it to contain %q", err, want)
	}
	if !errors.Is(err, syscall.EADDRINUSE) {
		t.Errorf("error does not unwrap to EADDRINUSE: %v", pe.Err)
	}
}

func TestPortInUseErrorMessage(t *testing.T) {
	err := &PortInUseError{Addr: "127.0.0.1:8765", Err: syscall.EADDRINUSE}
	want := "port 8765 on 127.0.0.1 is already in use (another xs2a authorize, or another program): choose another port in the redirect URI or stop that program"
	if err.Error() != want {
		t.Errorf("Error() = %q\nwant      %q", err.Error(), want)
	}
}

func TestServerConfiguration(t *testing.T) {
	r := listen(t, Options{})
	if r.srv.ReadHeaderTimeout != 5*time.Second {
		t.Errorf("ReadHeaderTimeout = %v; want 5s", r.srv.ReadHeaderTimeout)
	}
	if r.srv.ErrorLog == nil || r.srv.ErrorLog.Writer() != io.Discard {
		t.Error("server ErrorLog does not discard: net/http could log request lines carrying the code")
	}
}

func TestValidCallback(t *testing.T) {
	r := listen(t, Options{})
	ch := startWait(context.Background(), r)
	code := "SplxlOBeZQQYbYS6WxSbIA/+=&x"
	resp := mustDo(t, "GET", callbackURL(r, "code", code, "state", rightState))
	if resp.status != http.StatusOK {
		t.Errorf("status = %d; want 200", resp.status)
	}
	if !strings.Contains(resp.body, "close this tab") {
		t.Errorf("page %q does not tell the PSU to close the tab", resp.body)
	}
	if strings.Contains(resp.body, code) {
		t.Error("success page contains the code")
	}
	assertSafeHeaders(t, resp)
	w := await(t, ch)
	if w.err != nil {
		t.Fatalf("Wait: %v", w.err)
	}
	if w.res.Code != code || w.res.State != rightState {
		t.Errorf("Result = %+v; want code %q state %q", w.res, code, rightState)
	}
	assertPortFree(t, r.ln.Addr().String())
}

func TestCustomPages(t *testing.T) {
	r := listen(t, Options{SuccessHTML: "<p>custom ok</p>"})
	ch := startWait(context.Background(), r)
	if resp := mustDo(t, "GET", callbackURL(r, "code", "c", "state", rightState)); resp.body != "<p>custom ok</p>" {
		t.Errorf("success body = %q", resp.body)
	}
	await(t, ch)

	r = listen(t, Options{FailureHTML: "<p>custom fail</p>"})
	ch = startWait(context.Background(), r)
	if resp := mustDo(t, "GET", callbackURL(r, "error", "access_denied", "state", rightState)); resp.body != "<p>custom fail</p>" {
		t.Errorf("failure body = %q", resp.body)
	}
	if w := await(t, ch); w.err == nil {
		t.Error("Wait returned no error for an error callback")
	}
}

func TestWrongStateKeepsWaiting(t *testing.T) {
	var ev events
	r := listen(t, Options{OnEvent: ev.add})
	ch := startWait(context.Background(), r)

	const forged = "ATTACKER-CODE-7731"
	resp := mustDo(t, "GET", callbackURL(r, "code", forged, "state", "st-forged"))
	if resp.status != http.StatusBadRequest {
		t.Errorf("wrong state: status %d; want 400", resp.status)
	}
	if !strings.Contains(resp.body, "state mismatch") {
		t.Errorf("wrong state: page %q does not say state mismatch", resp.body)
	}
	assertSafeHeaders(t, resp)
	// A prefix of the right state must not pass either.
	if resp := mustDo(t, "GET", callbackURL(r, "code", forged, "state", rightState[:5])); resp.status != http.StatusBadRequest {
		t.Errorf("prefix state: status %d; want 400", resp.status)
	}
	if resp := mustDo(t, "GET", callbackURL(r, "code", forged)); resp.status != http.StatusBadRequest {
		t.Errorf("missing state: status %d; want 400", resp.status)
	}
	stillWaiting(t, ch)

	msgs := ev.all()
	if len(msgs) != 3 {
		t.Fatalf("OnEvent called %d times (%q); want 3", len(msgs), msgs)
	}
	if want := "refused a callback with a wrong state (possible CSRF) — still waiting"; msgs[0] != want {
		t.Errorf("OnEvent = %q; want %q", msgs[0], want)
	}
	for _, m := range msgs {
		if !strings.Contains(m, "state") {
			t.Errorf("OnEvent %q does not mention the state", m)
		}
		if strings.Contains(m, forged) {
			t.Errorf("OnEvent %q contains the refused code", m)
		}
	}

	mustDo(t, "GET", callbackURL(r, "code", "good", "state", rightState))
	w := await(t, ch)
	if w.err != nil || w.res.Code != "good" {
		t.Fatalf("Wait = %+v, %v; want the later valid callback", w.res, w.err)
	}
}

func TestMissingCodeKeepsWaiting(t *testing.T) {
	var ev events
	r := listen(t, Options{OnEvent: ev.add})
	ch := startWait(context.Background(), r)
	resp := mustDo(t, "GET", callbackURL(r, "state", rightState))
	if resp.status != http.StatusBadRequest {
		t.Errorf("status %d; want 400", resp.status)
	}
	stillWaiting(t, ch)
	if msgs := ev.all(); len(msgs) != 1 || !strings.Contains(msgs[0], "neither a code nor an error") {
		t.Errorf("OnEvent = %q", msgs)
	}
	mustDo(t, "GET", callbackURL(r, "code", "good", "state", rightState))
	if w := await(t, ch); w.err != nil || w.res.Code != "good" {
		t.Fatalf("Wait = %+v, %v", w.res, w.err)
	}
}

func TestRepeatedParameterKeepsWaiting(t *testing.T) {
	var ev events
	r := listen(t, Options{OnEvent: ev.add})
	ch := startWait(context.Background(), r)
	resp := mustDo(t, "GET", callbackURL(r, "code", "a", "code", "b", "state", rightState))
	if resp.status != http.StatusBadRequest {
		t.Errorf("status %d; want 400", resp.status)
	}
	stillWaiting(t, ch)
	if msgs := ev.all(); len(msgs) != 1 || !strings.Contains(msgs[0], "repeats the code parameter") {
		t.Errorf("OnEvent = %q", msgs)
	}
	mustDo(t, "GET", callbackURL(r, "code", "good", "state", rightState))
	if w := await(t, ch); w.err != nil || w.res.Code != "good" {
		t.Fatalf("Wait = %+v, %v", w.res, w.err)
	}
}

func TestErrorCallback(t *testing.T) {
	r := listen(t, Options{})
	ch := startWait(context.Background(), r)
	resp := mustDo(t, "GET", callbackURL(r,
		"error", "access_denied",
		"error_description", "the PSU denied <b>the</b> consent",
		"error_uri", "https://bank.example/errors/denied",
		"state", rightState))
	if resp.status != http.StatusOK {
		t.Errorf("status %d; want 200", resp.status)
	}
	if !strings.Contains(resp.body, "access_denied") || !strings.Contains(resp.body, "&lt;b&gt;the&lt;/b&gt;") {
		t.Errorf("failure page does not name the (escaped) error: %q", resp.body)
	}
	assertSafeHeaders(t, resp)

	w := await(t, ch)
	if w.res != nil {
		t.Errorf("Result = %+v; want nil", w.res)
	}
	var ae *AuthError
	if !errors.As(w.err, &ae) {
		t.Fatalf("error %T %v; want *AuthError", w.err, w.err)
	}
	if ae.Code != "access_denied" || ae.Description != "the PSU denied <b>the</b> consent" || ae.URI != "https://bank.example/errors/denied" {
		t.Errorf("AuthError = %+v", ae)
	}
	want := "authorization refused: access_denied: the PSU denied <b>the</b> consent (see https://bank.example/errors/denied)"
	if ae.Error() != want {
		t.Errorf("Error() = %q\nwant      %q", ae.Error(), want)
	}
}

func TestAuthErrorMessage(t *testing.T) {
	e := &AuthError{Code: "access_denied", Description: "the PSU denied the consent"}
	if got, want := e.Error(), "authorization refused: access_denied: the PSU denied the consent"; got != want {
		t.Errorf("Error() = %q; want %q", got, want)
	}
	if got, want := (&AuthError{Code: "server_error"}).Error(), "authorization refused: server_error"; got != want {
		t.Errorf("Error() = %q; want %q", got, want)
	}
}

func TestErrorCallbackSanitizesTerminalText(t *testing.T) {
	r := listen(t, Options{})
	ch := startWait(context.Background(), r)
	mustDo(t, "GET", callbackURL(r,
		"error", "access_denied\x1b[2J",
		"error_description", "red\x1b[31m\u202eevil\n"+strings.Repeat("x", 1000),
		"state", rightState))
	var ae *AuthError
	if w := await(t, ch); !errors.As(w.err, &ae) {
		t.Fatalf("error %v; want *AuthError", w.err)
	}
	msg := ae.Error()
	for _, bad := range []string{"\x1b", "\u202e", "\n"} {
		if strings.Contains(msg, bad) {
			t.Errorf("Error() contains %q: %q", bad, msg)
		}
	}
	if n := len([]rune(ae.Description)); n > maxEchoRunes+1 {
		t.Errorf("Description has %d runes; want at most %d", n, maxEchoRunes+1)
	}
}

func TestOtherPathsAndMethodsKeepWaiting(t *testing.T) {
	var ev events
	r := listen(t, Options{OnEvent: ev.add})
	ch := startWait(context.Background(), r)

	for _, p := range []string{"/favicon.ico", "/callback/", "/", "/callback/../callback"} {
		resp := mustDo(t, "GET", rootURL(r)+p+"?code=c&state="+rightState)
		if resp.status != http.StatusNotFound {
			t.Errorf("GET %s: status %d; want 404", p, resp.status)
		}
		assertSafeHeaders(t, resp)
	}
	for _, m := range []string{"POST", "PUT", "DELETE", "HEAD"} {
		resp := mustDo(t, m, callbackURL(r, "code", "c", "state", rightState))
		if resp.status != http.StatusMethodNotAllowed {
			t.Errorf("%s: status %d; want 405", m, resp.status)
		}
		if got := resp.header.Get("Allow"); got != "GET" {
			t.Errorf("%s: Allow = %q; want GET", m, got)
		}
	}
	stillWaiting(t, ch)
	if msgs := ev.all(); len(msgs) != 0 {
		t.Errorf("OnEvent called for non-callback requests: %q", msgs)
	}
	mustDo(t, "GET", callbackURL(r, "code", "good", "state", rightState))
	if w := await(t, ch); w.err != nil || w.res.Code != "good" {
		t.Fatalf("Wait = %+v, %v", w.res, w.err)
	}
}

func TestForeignHostRefused(t *testing.T) {
	var ev events
	r := listen(t, Options{OnEvent: ev.add})
	ch := startWait(context.Background(), r)
	_, port, _ := net.SplitHostPort(r.hostport)
	resp, err := do(t, "GET", callbackURL(r, "code", "c", "state", rightState), "rebind.attacker.example:"+port)
	if err != nil {
		t.Fatal(err)
	}
	if resp.status != http.StatusMisdirectedRequest {
		t.Errorf("status %d; want 421", resp.status)
	}
	stillWaiting(t, ch)
	if msgs := ev.all(); len(msgs) != 1 || !strings.Contains(msgs[0], "DNS rebinding") {
		t.Errorf("OnEvent = %q", msgs)
	}
	mustDo(t, "GET", callbackURL(r, "code", "good", "state", rightState))
	if w := await(t, ch); w.err != nil || w.res.Code != "good" {
		t.Fatalf("Wait = %+v, %v", w.res, w.err)
	}
}

func TestHostOKOnPort80(t *testing.T) {
	for _, tc := range []struct {
		hostport, host string
		ok             bool
	}{
		{"127.0.0.1:80", "127.0.0.1", true},
		{"127.0.0.1:80", "127.0.0.1:80", true},
		{"[::1]:80", "[::1]", true},
		{"127.0.0.1:8765", "127.0.0.1", false},
		{"127.0.0.1:80", "localhost", false},
		{"127.0.0.1:8765", "", false},
	} {
		r := &Receiver{hostport: tc.hostport}
		if got := r.hostOK(tc.host); got != tc.ok {
			t.Errorf("hostport %s, Host %q: ok = %v; want %v", tc.hostport, tc.host, got, tc.ok)
		}
	}
}

func TestTimeout(t *testing.T) {
	r := listen(t, Options{})
	addr := r.ln.Addr().String()
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	res, err := r.Wait(ctx)
	if res != nil || err != ErrTimeout {
		t.Fatalf("Wait = %+v, %v; want ErrTimeout", res, err)
	}
	if err.Error() != "no callback arrived in time" {
		t.Errorf("message %q", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("Wait took %v after a 100ms deadline", d)
	}
	assertPortFree(t, addr)
}

func TestCancel(t *testing.T) {
	r := listen(t, Options{})
	addr := r.ln.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	ch := startWait(ctx, r)
	time.AfterFunc(50*time.Millisecond, cancel)
	w := await(t, ch)
	if w.res != nil || !errors.Is(w.err, context.Canceled) {
		t.Fatalf("Wait = %+v, %v; want context.Canceled", w.res, w.err)
	}
	assertPortFree(t, addr)
}

func TestCallbackAfterSuccessRefused(t *testing.T) {
	r := listen(t, Options{})
	addr := r.ln.Addr().String()
	ch := startWait(context.Background(), r)
	mustDo(t, "GET", callbackURL(r, "code", "first", "state", rightState))
	if w := await(t, ch); w.err != nil || w.res.Code != "first" {
		t.Fatalf("Wait = %+v, %v", w.res, w.err)
	}
	resp, err := do(t, "GET", callbackURL(r, "code", "second", "state", rightState), "")
	if err == nil {
		t.Fatalf("second callback got status %d; want the connection refused", resp.status)
	}
	if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		_ = c.Close()
		t.Error("listener still accepts connections after the first valid callback")
	}
}

func TestRacingValidCallbacksDeliverOne(t *testing.T) {
	r := listen(t, Options{})
	ch := startWait(context.Background(), r)
	// Make sure Serve is running so the requests race each other, not
	// the start-up.
	mustDo(t, "GET", rootURL(r)+"/favicon.ico")

	const n = 8
	type answer struct {
		code string
		resp response
		err  error
	}
	answers := make(chan answer, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		code := "race-code-" + strconv.Itoa(i)
		wg.Go(func() {
			<-start
			resp, err := do(t, "GET", callbackURL(r, "code", code, "state", rightState), "")
			answers <- answer{code, resp, err}
		})
	}
	close(start)
	wg.Wait()
	close(answers)

	w := await(t, ch)
	if w.err != nil {
		t.Fatalf("Wait: %v", w.err)
	}
	winners := 0
	for a := range answers {
		switch {
		case a.err != nil:
			// Arrived after the listener closed: refused by the kernel.
		case a.resp.status == http.StatusOK:
			winners++
			if a.code != w.res.Code {
				t.Errorf("browser for %s saw success, but Wait returned %s", a.code, w.res.Code)
			}
		case a.resp.status == http.StatusConflict:
			if strings.Contains(a.resp.body, a.code) {
				t.Errorf("refusal page echoes the code %s", a.code)
			}
		default:
			t.Errorf("%s: unexpected status %d", a.code, a.resp.status)
		}
	}
	if winners != 1 {
		t.Errorf("%d callbacks saw the success page; want exactly 1", winners)
	}
}

// TestConcurrentValidCallbacksOneWinner drives the handler directly, so that
// all callbacks are inside it at once, which the network cannot guarantee.
func TestConcurrentValidCallbacksOneWinner(t *testing.T) {
	r := listen(t, Options{})
	const n = 32
	recs := make([]*httptest.ResponseRecorder, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		recs[i] = httptest.NewRecorder()
		req := httptest.NewRequest("GET", callbackURL(r, "code", "code-"+strconv.Itoa(i), "state", rightState), nil)
		wg.Go(func() {
			<-start
			r.serveHTTP(recs[i], req)
		})
	}
	close(start)
	wg.Wait()

	winner := -1
	for i, rec := range recs {
		switch rec.Code {
		case http.StatusOK:
			if winner >= 0 {
				t.Errorf("callbacks %d and %d both saw the success page", winner, i)
			}
			winner = i
		case http.StatusConflict:
			if strings.Contains(rec.Body.String(), "code-") {
				t.Errorf("refusal page echoes a code: %q", rec.Body)
			}
		default:
			t.Errorf("callback %d: status %d", i, rec.Code)
		}
	}
	if winner < 0 {
		t.Fatal("no callback won")
	}
	select {
	case o := <-r.delivered:
		if want := "code-" + strconv.Itoa(winner); o.res == nil || o.res.Code != want {
			t.Errorf("delivered %+v; want %s", o.res, want)
		}
	default:
		t.Fatal("nothing delivered")
	}
	select {
	case o := <-r.delivered:
		t.Errorf("a second outcome was delivered: %+v", o.res)
	default:
	}
}

// TestCallbackBeatsCancellation covers a callback that arrives as ctx ends:
// its browser was already told to close the tab, so Wait must return it.
func TestCallbackBeatsCancellation(t *testing.T) {
	for range 20 { // Wait's select picks either ready case at random
		r := listen(t, Options{})
		if !r.deliver(outcome{res: &Result{Code: "just-in-time", State: rightState}}) {
			t.Fatal("deliver lost with no competitor")
		}
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		res, err := r.Wait(ctx)
		if err != nil || res.Code != "just-in-time" {
			t.Fatalf("Wait = %+v, %v; want the delivered result", res, err)
		}
	}
}

func TestNoEventsAfterWaitReturns(t *testing.T) {
	var ev events
	r := listen(t, Options{OnEvent: ev.add})
	ch := startWait(context.Background(), r)
	mustDo(t, "GET", callbackURL(r, "code", "good", "state", rightState))
	await(t, ch)
	// A request already inside the handler when Wait finished.
	rec := httptest.NewRecorder()
	r.serveHTTP(rec, httptest.NewRequest("GET", callbackURL(r, "code", "x", "state", "wrong"), nil))
	if rec.Code != http.StatusBadRequest {
		t.Errorf("status %d; want 400", rec.Code)
	}
	if msgs := ev.all(); len(msgs) != 0 {
		t.Errorf("OnEvent called after Wait returned: %q", msgs)
	}
}

func TestWaitOnlyOnce(t *testing.T) {
	r := listen(t, Options{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := r.Wait(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("first Wait: %v; want context.Canceled", err)
	}
	if _, err := r.Wait(context.Background()); err == nil || !strings.Contains(err.Error(), "more than once") {
		t.Fatalf("second Wait: %v; want a called-more-than-once error", err)
	}
}

func TestCloseIsIdempotentAndFreesPort(t *testing.T) {
	r := listen(t, Options{})
	addr := r.ln.Addr().String()
	if err := r.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := r.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	assertPortFree(t, addr)
	if _, err := r.Wait(context.Background()); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("Wait after Close: %v; want net.ErrClosed", err)
	}
}

func TestCloseUnblocksWait(t *testing.T) {
	r := listen(t, Options{})
	addr := r.ln.Addr().String()
	ch := startWait(context.Background(), r)
	mustDo(t, "GET", rootURL(r)+"/favicon.ico") // Serve is running
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	w := await(t, ch)
	if w.res != nil || !errors.Is(w.err, net.ErrClosed) {
		t.Fatalf("Wait = %+v, %v; want net.ErrClosed", w.res, w.err)
	}
	assertPortFree(t, addr)
}

// TestRefusedCodeNeverEchoed sends the same code through every kind of
// refused request, then ends the wait with an error callback that also
// carries it, and checks that no page, header or OnEvent message ever
// repeated it.
func TestRefusedCodeNeverEchoed(t *testing.T) {
	const secret = "S3CRET-c0de-9f8e7d"
	var ev events
	r := listen(t, Options{OnEvent: ev.add})
	ch := startWait(context.Background(), r)
	_, port, _ := net.SplitHostPort(r.hostport)

	type req struct{ method, url, host string }
	reqs := []req{
		{"GET", callbackURL(r, "code", secret, "state", "wrong"), ""},
		{"GET", callbackURL(r, "code", secret), ""},
		{"GET", callbackURL(r, "code", secret, "state", rightState, "state", rightState), ""},
		{"GET", callbackURL(r, "code", secret, "code", secret, "state", rightState), ""},
		{"POST", callbackURL(r, "code", secret, "state", rightState), ""},
		{"GET", callbackURL(r, "code", secret, "state", rightState), "attacker.example:" + port},
		{"GET", rootURL(r) + "/favicon.ico?code=" + secret + "&state=" + rightState, ""},
		{"GET", rootURL(r) + "/" + secret, ""},
		// Valid, and ends the wait; the page names the error, not the code.
		{"GET", callbackURL(r, "code", secret, "error", "access_denied", "state", rightState), ""},
	}
	var seen []string
	for _, q := range reqs {
		resp, err := do(t, q.method, q.url, q.host)
		if err != nil {
			t.Fatalf("%s %s: %v", q.method, q.url, err)
		}
		seen = append(seen, resp.body)
		for k, vs := range resp.header {
			seen = append(seen, k+": "+strings.Join(vs, ","))
		}
	}
	w := await(t, ch)
	var ae *AuthError
	if !errors.As(w.err, &ae) {
		t.Fatalf("Wait = %+v, %v; want *AuthError", w.res, w.err)
	}
	seen = append(seen, ae.Error())
	msgs := ev.all()
	if len(msgs) != 5 {
		t.Errorf("OnEvent called %d times (%q); want 5", len(msgs), msgs)
	}
	seen = append(seen, msgs...)
	for _, s := range seen {
		if strings.Contains(s, secret) {
			t.Errorf("output contains the refused code: %q", s)
		}
	}
}
