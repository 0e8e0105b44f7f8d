// Package cmdtest runs xs2a commands in process for the tests beside each
// command package: one person at a terminal (test streams, a fixed clock, a
// stub browser, config and state in a temporary directory) and an emulated
// bank started the way `xs2a sandbox serve --write-profile` starts it.
package cmdtest

import (
	"bytes"
	"context"
	"crypto/tls"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xs2a-dev/xs2a/cmd/xs2a/internal/app"
	"github.com/xs2a-dev/xs2a/cmd/xs2a/internal/cmd/sandbox"
	"github.com/xs2a-dev/xs2a/cmd/xs2a/internal/cmdutil"
	"github.com/xs2a-dev/xs2a/pkg/iostreams"
	"github.com/xs2a-dev/xs2a/pkg/profile"
	"github.com/xs2a-dev/xs2a/pkg/qcert"
	sbx "github.com/xs2a-dev/xs2a/pkg/sandbox"
)

// Env is one person at a terminal. Its HOME, XDG config and XDG state
// directories are in t.TempDir(), set in the environment for the test
// (so tests using an Env cannot run in parallel), and no XS2A_* variable
// or BROWSER from the developer's shell leaks in.
type Env struct {
	T *testing.T
	// Dir is the working directory's stand-in for files a test writes.
	Dir string
	// ConfigPath is the default config file (it need not exist).
	ConfigPath string
	// StateDir is where the profiles' state lives.
	StateDir string
	// Now is the clock every command run sees; a test may move it.
	Now time.Time
	// Browser records the URLs commands open.
	Browser *Browser
}

// New makes an Env whose clock stands at the current second.
func New(t *testing.T) *Env {
	t.Helper()
	dir := t.TempDir()
	home := filepath.Join(dir, "home")
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "XS2A_") || k == "BROWSER" || k == "NO_COLOR" {
			t.Setenv(k, "") // restored after the test
			os.Unsetenv(k)
		}
	}
	t.Setenv("HOME", home)
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(home, ".config"))
	t.Setenv("XDG_STATE_HOME", filepath.Join(home, ".state"))
	b := &Browser{}
	t.Cleanup(b.wait)
	return &Env{T: t, Dir: dir, ConfigPath: app.DefaultConfigPath(),
		StateDir: filepath.Join(home, ".state", "xs2a"), Now: time.Now().Truncate(time.Second), Browser: b}
}

// Result is what one command run left behind.
type Result struct {
	Stdout, Stderr string
	Code           int
}

// Factory is the Factory a run gets: test streams with stdin, the Env's
// clock and browser.
func (e *Env) Factory(stdin string) (*cmdutil.Factory, *bytes.Buffer, *bytes.Buffer) {
	ios, in, out, errOut := iostreams.Test()
	in.WriteString(stdin)
	now := e.Now
	return &cmdutil.Factory{IO: ios, Now: func() time.Time { return now }, Version: "test", Browser: e.Browser}, out, errOut
}

// Run runs `xs2a args...` in process, as app.Main would, with empty stdin.
func (e *Env) Run(args ...string) Result {
	e.T.Helper()
	return e.RunStdin("", args...)
}

// RunStdin is Run with stdin.
func (e *Env) RunStdin(stdin string, args ...string) Result {
	e.T.Helper()
	f, out, errOut := e.Factory(stdin)
	code := app.RunFactory(context.Background(), f, args)
	return Result{Stdout: out.String(), Stderr: errOut.String(), Code: code}
}

// RunTTY is Run at a terminal: all three streams say they are one, and a
// progress line shows at once instead of after a second. The test sets
// the terminal's width with t.Setenv("COLUMNS", ...).
func (e *Env) RunTTY(args ...string) Result {
	e.T.Helper()
	f, out, errOut := e.Factory("")
	f.IO.SetTTY(true, true, true)
	f.IO.SetProgressDelay(0)
	code := app.RunFactory(context.Background(), f, args)
	return Result{Stdout: out.String(), Stderr: errOut.String(), Code: code}
}

// Must is Run that fails the test unless the command exits 0.
func (e *Env) Must(args ...string) Result {
	e.T.Helper()
	r := e.Run(args...)
	if r.Code != 0 {
		e.T.Fatalf("xs2a %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), r.Code, r.Stdout, r.Stderr)
	}
	return r
}

// Browser is the PSU's browser. It records every URL it is asked to open;
// with Client set it also loads the URL and follows the bank's redirects,
// so a loopback listener waiting for the authorization code gets it.
type Browser struct {
	Client *http.Client
	// Err, when set, is what Browse returns (e.g. cmdutil.ErrNoBrowser).
	Err error

	mu   sync.Mutex
	urls []string
	errs []error
	wg   sync.WaitGroup
}

// Browse records u and, with a Client, loads it in the background as a
// browser would: the command that opened it keeps running meanwhile.
func (b *Browser) Browse(u string) error {
	b.mu.Lock()
	b.urls = append(b.urls, u)
	b.mu.Unlock()
	if b.Err != nil {
		return b.Err
	}
	if c := b.Client; c != nil {
		b.wg.Add(1)
		go func() {
			defer b.wg.Done()
			resp, err := c.Get(u)
			if err == nil {
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
			b.mu.Lock()
			b.errs = append(b.errs, err)
			b.mu.Unlock()
		}()
	}
	return nil
}

// URLs are the URLs opened so far.
func (b *Browser) URLs() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.urls...)
}

// Errs are the errors of the loads that have finished (nil for a success).
func (b *Browser) Errs() []error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]error(nil), b.errs...)
}

func (b *Browser) wait() { b.wg.Wait() }

// Bank is an emulated bank running in this process, and the profile
// "default" in the Env's config file pointing at it.
type Bank struct {
	*sbx.Server
	// CertsDir holds the certificate set the profile names.
	CertsDir string
	// Log is the bank's stderr: one line per request.
	Log *SyncBuffer
	// Stdout is what `sandbox serve` printed on start.
	Stdout string
}

var (
	setOnce sync.Once
	set     *qcert.Set
	setErr  error
)

// certSet is generated once per test binary: generating keys is the slow
// part of starting a bank, and each bank writes it to its own directory.
func certSet() (*qcert.Set, error) {
	setOnce.Do(func() { set, setErr = qcert.GenerateSet(qcert.Options{Org: qcert.DefaultOrg, Roles: sbx.DefaultRoles}) })
	return set, setErr
}

// Certs writes a certificate set (the one every bank of this test binary
// uses) into a new directory and returns it; the files are qcert.SetFiles.
func (e *Env) Certs() string {
	e.T.Helper()
	s, err := certSet()
	if err != nil {
		e.T.Fatal(err)
	}
	dir, err := os.MkdirTemp(e.Dir, "certs")
	if err != nil {
		e.T.Fatal(err)
	}
	if err := s.Write(dir, true); err != nil {
		e.T.Fatal(err)
	}
	return dir
}

// Bank starts `xs2a sandbox serve --write-profile default` in process on
// random loopback ports, approving every authorization at once and with
// no rate or daily limit; args are more serve flags (later ones win). It
// stops when the test ends.
func (e *Env) Bank(args ...string) *Bank {
	e.T.Helper()
	certs := e.Certs()
	ios, _, out, _ := iostreams.Test()
	log := &SyncBuffer{}
	ios.ErrOut = log
	f := &cmdutil.Factory{IO: ios, Now: time.Now, Version: "test",
		Config: func() (*profile.Config, error) { return &profile.Config{Path: e.ConfigPath, Output: "text"}, nil }}
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan *sbx.Server, 1)
	done := make(chan error, 1)
	cmd := sandbox.NewCmdServe(f, func(o *sandbox.ServeOptions) error {
		o.Ready = func(s *sbx.Server) { ready <- s }
		return sandbox.ServeRun(ctx, o)
	})
	cmd.SetArgs(append([]string{"--auto-approve", "--addr", "127.0.0.1:0", "--auth-addr", "127.0.0.1:0",
		"--certs", certs, "--write-profile", "default", "--rate", "-1", "--daily-limit", "-1"}, args...))
	cmd.SetOut(io.Discard)
	cmd.SetErr(io.Discard)
	go func() { done <- cmd.ExecuteContext(ctx) }()
	select {
	case srv := <-ready:
		e.T.Cleanup(func() { cancel(); <-done })
		b := &Bank{Server: srv, CertsDir: certs, Log: log, Stdout: out.String()}
		e.Browser.Client = &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: srv.CertPool(), MinVersion: tls.VersionTLS12}}}
		return b
	case err := <-done:
		cancel()
		e.T.Fatalf("sandbox serve: %v\n%s", err, log.String())
	}
	return nil
}

// Proc is a long-running command (proxy, sandbox serve) started in
// process: wait for a line on its stderr, then stop it as Ctrl-C would.
type Proc struct {
	t      *testing.T
	cancel context.CancelFunc
	done   chan int
	Stdout *SyncBuffer
	Stderr *SyncBuffer
	result *Result
}

// Start runs `xs2a args...` in the background; the test's end stops it.
func (e *Env) Start(args ...string) *Proc {
	e.T.Helper()
	ios, _, _, _ := iostreams.Test()
	p := &Proc{t: e.T, done: make(chan int, 1), Stdout: &SyncBuffer{}, Stderr: &SyncBuffer{}}
	ios.Out, ios.ErrOut = p.Stdout, p.Stderr
	now := e.Now
	f := &cmdutil.Factory{IO: ios, Now: func() time.Time { return now }, Version: "test", Browser: e.Browser}
	ctx, cancel := context.WithCancel(context.Background())
	p.cancel = cancel
	go func() { p.done <- app.RunFactory(ctx, f, args) }()
	e.T.Cleanup(func() { p.Stop() })
	return p
}

// WaitFor waits up to 10 s for a stderr line matching re and returns its
// submatches; a command that exits first fails the test.
func (p *Proc) WaitFor(re *regexp.Regexp) []string {
	p.t.Helper()
	timeout := time.NewTimer(10 * time.Second)
	defer timeout.Stop()
	for {
		text, changed := p.Stderr.Watch()
		for _, line := range strings.Split(text, "\n") {
			if m := re.FindStringSubmatch(line); m != nil {
				return m
			}
		}
		select {
		case <-changed:
		case code := <-p.done:
			p.done <- code
			p.t.Fatalf("exited %d before a line matching %s:\n%s", code, re, p.Stderr.String())
		case <-timeout.C:
			p.t.Fatalf("no line matching %s in 10s:\n%s", re, p.Stderr.String())
		}
	}
}

// Stop cancels the command's context (Ctrl-C) and waits for it to end.
func (p *Proc) Stop() Result {
	if p.result == nil {
		p.cancel()
		code := <-p.done
		p.result = &Result{Stdout: p.Stdout.String(), Stderr: p.Stderr.String(), Code: code}
	}
	return *p.result
}

// SyncBuffer is a bytes.Buffer safe for a server's goroutines; it tells a
// waiter when something was written.
type SyncBuffer struct {
	mu      sync.Mutex
	b       bytes.Buffer
	changed chan struct{}
}

func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.changed != nil {
		close(s.changed)
		s.changed = nil
	}
	return s.b.Write(p)
}

func (s *SyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Watch returns the text so far and a channel closed at the next write.
func (s *SyncBuffer) Watch() (string, <-chan struct{}) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.changed == nil {
		s.changed = make(chan struct{})
	}
	return s.b.String(), s.changed
}

// Consented starts a bank (Bank with args) and runs token, consent create
// and authorize --exchange against it: where every data command starts.
func (e *Env) Consented(args ...string) *Bank {
	e.T.Helper()
	b := e.Bank(args...)
	e.Must("token")
	e.Must("consent", "create")
	e.Must("authorize", "--exchange", "--timeout", "10s")
	return b
}

// Expect runs `xs2a args...` and fails the test unless it exits code with
// want in its stderr (want "" matches any stderr).
func (e *Env) Expect(code int, want string, args ...string) Result {
	e.T.Helper()
	r := e.Run(args...)
	if r.Code != code || !strings.Contains(r.Stderr, want) {
		e.T.Errorf("xs2a %s: exit %d, stdout %q, stderr %q; want exit %d and %q on stderr",
			strings.Join(args, " "), r.Code, r.Stdout, r.Stderr, code, want)
	}
	return r
}
