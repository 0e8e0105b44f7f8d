// Package loopback receives the OAuth2 authorization redirect of a native app
// (RFC 8252 section 7.3): the bank sends the PSU's browser back to
// http://127.0.0.1:PORT/callback, and the CLI must be listening there.
//
// Whatever listens on a port can be reached by every program on the machine
// and by every web page open in the PSU's browser, so the receiver is
// deliberately narrow:
//
//   - It binds a loopback IP literal only. "localhost" may resolve to the
//     other address family than the one bound, or be redirected by a hosts
//     file; a wildcard address would expose the code to the network
//     (RFC 8252 section 8.3).
//   - It accepts a callback only when it carries the state the caller
//     generated, compared in constant time, so a forged redirect cannot slip
//     an attacker's code into the PSU's session (RFC 9700, "Cross-Site
//     Request Forgery"). A refused callback does not end the wait: otherwise
//     any page could abort an authorization by firing one bad request.
//   - It delivers exactly one callback and then stops listening, so the port
//     is not left open to anything that arrives later.
//   - The authorization code goes into the Result and nowhere else: not to a
//     log, not into a page, not to OnEvent.
//   - A URL pasted by hand (Deliver, Options.Paste), for a browser that
//     cannot reach this machine, meets the same rules as a callback: the
//     same state check, the same refusals, and a refusal never ends the
//     wait.
package loopback

import (
	"bufio"
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"html"
	"io"
	"log"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unicode"
	"unicode/utf8"
)

// ErrTimeout reports that the PSU did not come back from the bank before the
// caller's deadline; it replaces context.DeadlineExceeded because that reads
// like an internal failure rather than an abandoned login.
var ErrTimeout = errors.New("no callback arrived in time")

const (
	defaultAddr = "127.0.0.1:0"
	defaultPath = "/callback"

	// A browser sends its request line and headers at once; a connection
	// that dribbles them is holding the one-shot receiver hostage.
	readHeaderTimeout = 5 * time.Second
	// Long enough for a browser on the same machine to receive the result
	// page, short enough that an idle preconnect does not delay the CLI.
	shutdownGrace = time.Second
	// Authorization codes can be JWTs of a few kilobytes; nothing
	// legitimate needs the default megabyte.
	maxHeaderBytes = 64 << 10
	// Bank-supplied text shown in the browser and the terminal is capped so
	// a hostile description cannot flood either.
	maxEchoRunes = 300
)

// Options configures Listen. Addr and Path must match, character for
// character, the redirect URI registered with the bank, which is why they are
// not derived from anything else.
type Options struct {
	// Addr is the loopback IP literal and port to bind, "127.0.0.1:0" if
	// empty. Port 0 lets the system pick, for banks that accept any port on
	// a loopback redirect URI (RFC 8252 section 7.3); banks that pin the
	// port need it spelled out here.
	Addr string
	// Path is the callback path, "/callback" if empty.
	Path string
	// State is the unguessable value sent in the authorization request; a
	// callback without it is not ours. Required.
	State string
	// Issuer, when set, is the authorization server's issuer from metadata
	// announcing authorization_response_iss_parameter_supported: a
	// callback must then carry iss equal to it (RFC 9207), or it may be a
	// mix-up with another authorization server and is refused like a
	// wrong state.
	Issuer string
	// OnEvent, if set, hears about refused callbacks so the PSU can tell why
	// the terminal is still waiting. It is called from one goroutine at a
	// time, never after Wait returns, and never with the code.
	OnEvent func(msg string)
	// SuccessHTML and FailureHTML replace the built-in result pages, for
	// callers that want their own wording or branding. They are sent as
	// they are; FailureHTML therefore does not name the error.
	SuccessHTML, FailureHTML string
	// Paste, if set, is read line by line during Wait, and each line is
	// treated as the URL the PSU's browser ended on (see Deliver). It is
	// the way out when the browser cannot reach this machine's loopback
	// address: a browser on another machine over SSH, a headless server.
	// End of input only ends the pasting, never the wait, so a script's
	// closed or /dev/null stdin changes nothing. A read that blocks (a
	// terminal) can outlive Wait; its later lines are dropped.
	Paste io.Reader
	// IdleAfter and OnIdle: when neither a request nor a pasted line has
	// reached the receiver IdleAfter after Wait began, OnIdle is called
	// once (like OnEvent, never after Wait returns), so the caller can say
	// why nothing may be arriving. Zero disables it.
	IdleAfter time.Duration
	OnIdle    func()
}

// Receiver is a bound, not yet serving, callback endpoint. It exists between
// Listen and Wait so the port is known before the browser is opened.
type Receiver struct {
	// RedirectURL is the redirect_uri to put in the authorization request,
	// e.g. http://127.0.0.1:8765/callback.
	RedirectURL string

	ln       net.Listener
	srv      *http.Server
	hostport string // the Host header a genuine redirect carries
	path     string
	state    []byte
	issuer   string
	success  string
	failure  string // empty: build one naming the error

	// decide hands out the single outcome: to the first valid callback, or
	// to Wait itself when it gives up, so a late callback is refused rather
	// than shown a success page nobody will act on.
	decide    sync.Once
	delivered chan outcome // capacity 1; written inside decide

	eventMu  sync.Mutex
	onEvent  func(string)
	finished bool // set once Wait has its answer; mutes OnEvent

	paste     io.Reader
	idleAfter time.Duration
	onIdle    func()
	// active is set by the first request or pasted line: something
	// reached us, so "nothing arrived" would be the wrong diagnosis.
	active atomic.Bool

	waited    atomic.Bool
	closeOnce sync.Once
	closeErr  error
}

type outcome struct {
	res     *Result
	authErr *AuthError
}

// Result is the successful callback. State is included so the caller can
// store or log which request it answered without keeping Options around.
type Result struct {
	Code, State string
}

// AuthError is the bank's refusal delivered through the redirect
// (RFC 6749 section 4.1.2.1), typically access_denied when the PSU declines.
// It is an error rather than a Result because the caller cannot proceed.
// The fields have control characters replaced and are length-capped, since
// they come from a URL anyone can craft and end up on a terminal.
type AuthError struct {
	Code, Description, URI string
}

func (e *AuthError) Error() string {
	var b strings.Builder
	b.WriteString("authorization refused: ")
	b.WriteString(e.Code)
	if e.Description != "" {
		b.WriteString(": ")
		b.WriteString(e.Description)
	}
	if e.URI != "" {
		b.WriteString(" (see ")
		b.WriteString(e.URI)
		b.WriteString(")")
	}
	return b.String()
}

// PortInUseError singles out the one Listen failure a user can fix without
// reading a stack of syscall errors: a fixed port that is already taken,
// typically by an earlier authorize still waiting.
type PortInUseError struct {
	Addr string
	Err  error
}

func (e *PortInUseError) Error() string {
	host, port, err := net.SplitHostPort(e.Addr)
	if err != nil {
		return fmt.Sprintf("address %s is already in use (another xs2a authorize, or another program): choose another port in the redirect URI or stop that program", e.Addr)
	}
	return fmt.Sprintf("port %s on %s is already in use (another xs2a authorize, or another program): choose another port in the redirect URI or stop that program", port, host)
}

func (e *PortInUseError) Unwrap() error { return e.Err }

// Listen validates o and binds immediately, so that RedirectURL carries the
// real port before the browser is sent to the bank. Nothing is served until
// Wait; a browser that arrives earlier waits in the kernel's backlog.
func Listen(o Options) (*Receiver, error) {
	if o.State == "" {
		return nil, errors.New("loopback: a state is required: without one, any web page could deliver its own authorization code (RFC 9700)")
	}
	addr := o.Addr
	if addr == "" {
		addr = defaultAddr
	}
	ip, port, err := parseAddr(addr)
	if err != nil {
		return nil, err
	}
	path := o.Path
	if path == "" {
		path = defaultPath
	}
	if err := checkPath(path); err != nil {
		return nil, err
	}

	network := "tcp4"
	if ip.Is6() {
		network = "tcp6"
	}
	bind := net.JoinHostPort(ip.String(), port)
	ln, err := net.Listen(network, bind)
	if err != nil {
		if addrInUse(err) {
			return nil, &PortInUseError{Addr: bind, Err: err}
		}
		return nil, fmt.Errorf("loopback: listening on %s: %w", bind, err)
	}
	tcp, ok := ln.Addr().(*net.TCPAddr)
	if !ok {
		_ = ln.Close()
		return nil, fmt.Errorf("loopback: listener on %s has unexpected address %v", bind, ln.Addr())
	}
	hostport := net.JoinHostPort(ip.String(), strconv.Itoa(tcp.Port))

	r := &Receiver{
		RedirectURL: (&url.URL{Scheme: "http", Host: hostport, Path: path}).String(),
		ln:          ln,
		hostport:    hostport,
		path:        path,
		state:       []byte(o.State),
		issuer:      o.Issuer,
		success:     o.SuccessHTML,
		failure:     o.FailureHTML,
		delivered:   make(chan outcome, 1),
		onEvent:     o.OnEvent,
		paste:       o.Paste,
		idleAfter:   o.IdleAfter,
		onIdle:      o.OnIdle,
	}
	if r.success == "" {
		r.success = page("Authorization received", "You can close this tab and return to the terminal.")
	}
	r.srv = &http.Server{
		Handler:           http.HandlerFunc(r.serveHTTP),
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       2 * readHeaderTimeout,
		WriteTimeout:      2 * readHeaderTimeout,
		IdleTimeout:       readHeaderTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		// The request line holds the code; net/http's own complaints
		// (bad requests, TLS probes) must not end up on the terminal.
		ErrorLog: log.New(io.Discard, "", 0),
	}
	// One request per connection: nothing is gained from keep-alive here,
	// and an idle kept-alive browser connection would only slow shutdown.
	r.srv.SetKeepAlivesEnabled(false)
	return r, nil
}

// parseAddr insists on exactly the two literals RFC 8252 section 7.3 names,
// because the address also becomes the host of the registered redirect URI.
func parseAddr(addr string) (netip.Addr, string, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		// Judge the host anyway: "localhost" without a port should hear
		// about RFC 8252, not about a missing colon.
		host, port = strings.TrimSuffix(strings.TrimPrefix(addr, "["), "]"), ""
	}
	ip, perr := netip.ParseAddr(host)
	switch {
	case strings.EqualFold(strings.TrimSuffix(host, "."), "localhost"):
		return netip.Addr{}, "", fmt.Errorf("loopback: address %q: use the loopback IP literal 127.0.0.1 or [::1], not \"localhost\", which can resolve to the other address family or elsewhere (RFC 8252 section 8.3)", addr)
	case perr != nil || (ip != netip.AddrFrom4([4]byte{127, 0, 0, 1}) && ip != netip.IPv6Loopback()):
		return netip.Addr{}, "", fmt.Errorf("loopback: address %q: the receiver binds only the loopback IP literal 127.0.0.1 or [::1], so nothing outside this machine can reach it (RFC 8252 section 8.3)", addr)
	}
	if err != nil || port == "" {
		return netip.Addr{}, "", fmt.Errorf("loopback: address %q needs a port, e.g. %s", addr, net.JoinHostPort(ip.String(), "0"))
	}
	if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		return netip.Addr{}, "", fmt.Errorf("loopback: address %q: port must be a number from 0 to 65535", addr)
	}
	return ip, port, nil
}

// checkPath keeps the path comparable with the decoded request path and
// representable verbatim in the registered redirect URI.
func checkPath(p string) error {
	if !strings.HasPrefix(p, "/") {
		return fmt.Errorf("loopback: callback path %q must start with \"/\"", p)
	}
	for _, c := range p {
		if c == '?' || c == '#' || c == '%' || c <= ' ' || c == 0x7f {
			return fmt.Errorf("loopback: callback path %q must not contain a query, a fragment, escapes, spaces or control characters", p)
		}
	}
	return nil
}

// addrInUse also knows Windows' WSAEADDRINUSE, which syscall.EADDRINUSE
// does not match there.
func addrInUse(err error) bool {
	var errno syscall.Errno
	if !errors.As(err, &errno) {
		return false
	}
	const wsaeaddrinuse = 10048
	return errno == syscall.EADDRINUSE || errno == wsaeaddrinuse
}

// Wait serves until one valid callback arrives, ctx ends or Close is called.
// Refused callbacks do not end it; see the package comment. When a callback
// arrives just as ctx ends, the callback wins, because its browser has
// already been told that the authorization went through.
func (r *Receiver) Wait(ctx context.Context) (*Result, error) {
	if !r.waited.CompareAndSwap(false, true) {
		return nil, errors.New("loopback: Wait called more than once")
	}
	serveDone := make(chan error, 1)
	go func() { serveDone <- r.srv.Serve(r.ln) }()

	if r.paste != nil {
		go r.readPaste(r.paste)
	}
	var idle <-chan time.Time
	if r.idleAfter > 0 && r.onIdle != nil {
		t := time.NewTimer(r.idleAfter)
		defer t.Stop()
		idle = t.C
	}

	var (
		out    outcome
		err    error
		served bool
	)
wait:
	select {
	case <-idle:
		idle = nil
		if !r.active.Load() {
			r.eventMu.Lock()
			if !r.finished {
				r.onIdle()
			}
			r.eventMu.Unlock()
		}
		goto wait
	case out = <-r.delivered:
	case <-ctx.Done():
		if r.giveUp() {
			err = ctx.Err()
			if errors.Is(err, context.DeadlineExceeded) {
				err = ErrTimeout
			}
		} else {
			out = <-r.delivered
		}
	case serr := <-serveDone:
		served = true
		if r.giveUp() {
			err = serr
			if errors.Is(serr, http.ErrServerClosed) || errors.Is(serr, net.ErrClosed) {
				err = fmt.Errorf("loopback: receiver closed before a callback arrived: %w", net.ErrClosed)
			} else {
				err = fmt.Errorf("loopback: serving callbacks on %s: %w", r.hostport, serr)
			}
		} else {
			out = <-r.delivered
		}
	}

	r.eventMu.Lock()
	r.finished = true
	r.eventMu.Unlock()

	_ = r.stop(shutdownGrace)
	if !served {
		<-serveDone
	}

	switch {
	case err != nil:
		return nil, err
	case out.authErr != nil:
		return nil, out.authErr
	default:
		return out.res, nil
	}
}

// giveUp claims the outcome for Wait itself; false means a callback got
// there first and its outcome is waiting in r.delivered.
func (r *Receiver) giveUp() bool {
	won := false
	r.decide.Do(func() { won = true })
	return won
}

// Close stops serving at once and frees the port. It exists for the paths
// where Wait is never reached (the browser failed to open, the user
// interrupted); calling it after Wait, or twice, is harmless.
func (r *Receiver) Close() error {
	return r.stop(0)
}

// stop shuts the server down and releases the port exactly once; later
// callers block until the first has finished, so the port is free when any
// of them returns.
func (r *Receiver) stop(grace time.Duration) error {
	r.closeOnce.Do(func() {
		if grace > 0 {
			ctx, cancel := context.WithTimeout(context.Background(), grace)
			if r.srv.Shutdown(ctx) != nil {
				_ = r.srv.Close()
			}
			cancel()
		} else {
			_ = r.srv.Close()
		}
		// Serve may never have run (Close without Wait), and a Serve that
		// had not yet registered the listener leaves it to us as well.
		if err := r.ln.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
			r.closeErr = fmt.Errorf("loopback: closing %s: %w", r.hostport, err)
		}
	})
	return r.closeErr
}

// event forwards to OnEvent one call at a time and not once Wait has its
// answer, when "still waiting" would be false.
func (r *Receiver) event(msg string) {
	r.eventMu.Lock()
	defer r.eventMu.Unlock()
	if r.onEvent != nil && !r.finished {
		r.onEvent(msg)
	}
}

// deliver offers o as the outcome; false means another callback, or Wait
// giving up, came first.
func (r *Receiver) deliver(o outcome) bool {
	won := false
	r.decide.Do(func() {
		won = true
		r.delivered <- o
	})
	return won
}

// serveHTTP decides each request; it is unexported so that a Receiver cannot
// be mounted in some other server, where none of its guarantees would hold.
func (r *Receiver) serveHTTP(w http.ResponseWriter, req *http.Request) {
	h := w.Header()
	// The URL of this page carries the code: keep it out of caches and
	// out of the Referer of anything the page might load.
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")

	r.active.Store(true)
	// A web page using DNS rebinding reaches this port under its own
	// host name; a genuine redirect names the literal we bound.
	if !r.hostOK(req.Host) {
		r.event("refused a request addressed to another host name (possible DNS rebinding) — still waiting")
		respond(w, http.StatusMisdirectedRequest, page("Misdirected request", "This receiver only answers requests for "+r.hostport+"."))
		return
	}
	if req.URL.Path != r.path {
		respond(w, http.StatusNotFound, page("Not found", "Nothing here."))
		return
	}
	if req.Method != http.MethodGet {
		h.Set("Allow", http.MethodGet)
		respond(w, http.StatusMethodNotAllowed, page("Method not allowed", "The authorization callback is a GET request."))
		return
	}

	v := r.judge(req.URL.Query())
	if v.out == nil {
		r.event("refused a callback " + v.why + " — still waiting")
		respond(w, http.StatusBadRequest, page(v.title, v.page))
		return
	}
	if !r.deliver(*v.out) {
		respond(w, http.StatusConflict, alreadyHandled)
		return
	}
	body := r.success
	if ae := v.out.authErr; ae != nil {
		body = r.failure
		if body == "" {
			body = page("Authorization refused", "The bank reported: "+ae.Error()+". You can close this tab and return to the terminal.")
		}
	}
	respond(w, http.StatusOK, body)
}

// verdict is judge's decision on a callback's query: an outcome to
// deliver, or why it was refused, for the terminal (why) and for the
// browser (title, page). None of them contains the code.
type verdict struct {
	out              *outcome
	why, title, page string
}

// judge applies the same rules to a browser's callback and to a pasted URL,
// so pasting is no weaker than the redirect it stands in for.
func (r *Receiver) judge(q url.Values) verdict {
	for _, k := range []string{"state", "code", "error", "error_description", "error_uri", "iss"} {
		if len(q[k]) > 1 {
			// RFC 6749 section 3.1: parameters must not repeat; with two
			// values, which one the bank meant is anyone's guess.
			return verdict{why: "that repeats the " + k + " parameter", title: "Invalid callback",
				page: "The callback repeats a parameter, so it was ignored."}
		}
	}
	state := q.Get("state")
	if subtle.ConstantTimeCompare([]byte(state), r.state) != 1 {
		why := "with a wrong state (possible CSRF)"
		if state == "" {
			why = "without a state (possible CSRF)"
		}
		return verdict{why: why, title: "State mismatch",
			page: "This callback does not answer the authorization the terminal is waiting for (state mismatch), so it was ignored. If you started the authorization in this browser, start it again from the terminal."}
	}
	if r.issuer != "" && q.Get("iss") != r.issuer {
		why := "with a wrong iss (RFC 9207: not from the authorization server asked, possible mix-up)"
		if q.Get("iss") == "" {
			why = "without the iss its authorization server announces (RFC 9207)"
		}
		return verdict{why: why, title: "Issuer mismatch",
			page: "This callback does not come from the authorization server the terminal asked (issuer mismatch), so it was ignored."}
	}
	if e := q.Get("error"); e != "" {
		return verdict{out: &outcome{authErr: &AuthError{
			Code:        clean(e),
			Description: clean(q.Get("error_description")),
			URI:         clean(q.Get("error_uri")),
		}}}
	}
	code := q.Get("code")
	if code == "" {
		return verdict{why: "with neither a code nor an error", title: "Missing code",
			page: "The callback carries neither an authorization code nor an error, so it was ignored."}
	}
	return verdict{out: &outcome{res: &Result{Code: code, State: state}}}
}

// ErrAlreadyHandled is Deliver's answer once the receiver has its outcome
// (another callback, or Wait gave up).
var ErrAlreadyHandled = errors.New("the authorization was already received, or the wait is over")

// PasteError is a pasted line Deliver refused; its message says why in one
// line and never contains the code.
type PasteError struct{ Reason string }

func (e *PasteError) Error() string { return e.Reason }

// Deliver takes the URL the PSU's browser ended on, pasted by hand, and
// decides it exactly as a callback request to RedirectURL: nil means it is
// the outcome Wait returns (a code, or the bank's error); a *PasteError
// says why it was refused, and the wait goes on.
func (r *Receiver) Deliver(rawURL string) error {
	r.active.Store(true)
	q, err := r.parsePasted(rawURL)
	if err != nil {
		return err
	}
	v := r.judge(q)
	if v.out == nil {
		reason := "refused the pasted URL " + v.why
		if v.title == "State mismatch" {
			reason += ": is it from an earlier authorization?"
		}
		return &PasteError{Reason: reason}
	}
	if !r.deliver(*v.out) {
		return ErrAlreadyHandled
	}
	return nil
}

// maxPaste bounds a pasted line like maxHeaderBytes bounds a request.
const maxPaste = maxHeaderBytes

// parsePasted accepts only an absolute URL to this receiver's redirect URI,
// so a line from another authorization, or the bank's own URL, is named
// as what it is rather than judged by its query.
func (r *Receiver) parsePasted(raw string) (url.Values, error) {
	want := r.RedirectURL
	s := strings.TrimSpace(raw)
	// Terminals and chat tools wrap copied URLs in quotes or <...>.
	if len(s) >= 2 && (s[0] == '"' && s[len(s)-1] == '"' || s[0] == '\'' && s[len(s)-1] == '\'' || s[0] == '<' && s[len(s)-1] == '>') {
		s = s[1 : len(s)-1]
	}
	if len(s) > maxPaste {
		return nil, &PasteError{Reason: tooLongPaste(want)}
	}
	u, err := url.Parse(s)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return nil, &PasteError{Reason: "the pasted line is not a URL: paste the whole address your browser ended on, starting with " + want + "?"}
	}
	if u.Scheme != "http" || !r.hostOK(u.Host) || u.Path != r.path {
		where := clean((&url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path}).String())
		msg := "the pasted URL goes to " + where + ", not to " + want
		if u.Query().Get("response_type") != "" || u.Query().Get("client_id") != "" {
			msg += ": that is the bank's authorization URL; open it in a browser, sign in, and paste the address the browser ends on"
		} else {
			msg += ": paste the address your browser ended on after the bank redirected it (from this authorization, not an earlier one)"
		}
		return nil, &PasteError{Reason: msg}
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return nil, &PasteError{Reason: "the pasted URL's query is malformed (was it cut?): paste the whole address your browser ended on"}
	}
	return q, nil
}

func tooLongPaste(want string) string {
	return fmt.Sprintf("the pasted line is longer than %d bytes: paste only the address your browser ended on (%s?...)", maxPaste, want)
}

// readPaste feeds Deliver one line at a time until an outcome is decided
// or the input ends; refusals are events, like refused callbacks.
func (r *Receiver) readPaste(in io.Reader) {
	br := bufio.NewReaderSize(in, 4096)
	for {
		line, tooLong, err := readLine(br, maxPaste)
		if tooLong {
			r.active.Store(true)
			r.event(tooLongPaste(r.RedirectURL) + " — still waiting")
		} else if strings.TrimSpace(line) != "" {
			switch derr := r.Deliver(line); {
			case derr == nil, errors.Is(derr, ErrAlreadyHandled):
				return
			default:
				r.event(derr.Error() + " — still waiting")
			}
		}
		if err != nil {
			return
		}
	}
}

// readLine reads up to a newline, keeping at most max bytes of it.
func readLine(br *bufio.Reader, limit int) (line string, tooLong bool, err error) {
	var b []byte
	for {
		chunk, err := br.ReadSlice('\n')
		if len(b)+len(chunk) > limit {
			tooLong = true
		} else {
			b = append(b, chunk...)
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		return strings.TrimRight(string(b), "\r\n"), tooLong, err
	}
}

var alreadyHandled = page("Already handled", "The terminal is no longer waiting for this authorization: it already received one, or gave up. You can close this tab.")

// hostOK accepts the Host header a browser sends for RedirectURL, which
// omits the port when it is 80.
func (r *Receiver) hostOK(host string) bool {
	if host == r.hostport {
		return true
	}
	h, port, err := net.SplitHostPort(r.hostport)
	if err != nil || port != "80" {
		return false
	}
	if strings.Contains(h, ":") {
		h = "[" + h + "]"
	}
	return host == h
}

func respond(w http.ResponseWriter, status int, body string) {
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}

func page(title, msg string) string {
	t := html.EscapeString(title)
	return "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>" + t +
		"</title></head>\n<body style=\"font-family:sans-serif;margin:3em\"><h1>" + t +
		"</h1>\n<p>" + html.EscapeString(msg) + "</p></body></html>\n"
}

// clean makes bank-supplied text safe for a terminal: no escape sequences,
// no bidirectional overrides, bounded length.
func clean(s string) string {
	var b strings.Builder
	n := 0
	for _, c := range s {
		if n == maxEchoRunes {
			b.WriteString("…")
			break
		}
		if c == utf8.RuneError || !unicode.IsPrint(c) {
			c = '?'
		}
		b.WriteRune(c)
		n++
	}
	return b.String()
}
