package main_test

// TestREADMEExamples runs the shell examples of README.md through the built
// binary, so an example that stops working fails make test. What it reads:
//
//   - every ```sh, ```bash and ```console block (a plain ``` block shows
//     output and is not run);
//   - in sh and bash blocks each line is a command, a line ending in `\`
//     continues on the next, and a line that is only a `# comment` (or
//     blank) is not; the shell itself drops a comment after a command;
//   - in console blocks a line starting with `$ ` is a command and the
//     lines after it, up to the next one, are its output as the README shows
//     it: a line `label: …` there must have a line with the same label in
//     what the command printed, and a last line that is a number, after a
//     command ending in `echo $?`, must be the number printed;
//   - the HTML comments right above a block's fence (invisible on GitHub,
//     beside the example in the source) say what the test cannot see:
//     <!-- example: skip: REASON -->            the block is not run
//     <!-- example: skip "PREFIX": REASON -->   nor a command starting so
//     <!-- example: exit N "PREFIX": REASON --> that command ends with N
//     <!-- example: first COMMANDS -->          run before the block
//
// Each block runs in a home of its own (HOME, XDG_CONFIG_HOME,
// XDG_STATE_HOME in t.TempDir(), nothing of the user's) with the built
// binary first on PATH as xs2a, a working directory holding the files the
// examples name (readmeFiles), and an in-memory `xs2a sandbox serve
// --auto-approve --rate -1` on 127.0.0.1:0 whose written profile is the config's
// default, sandbox and bank-sandbox (the README's names for "your bank").
// BROWSER is curl following the authorization URL, which the
// auto-approving sandbox redirects to the CLI's listener: the PSU's
// approval without a person. Commands run with sh -c, in order, sharing
// the block's state; a command that serves (sandbox serve, proxy) runs
// until the block's next server or the block's end (one ending in & until
// the block's end), the next command starting once it says it listens.
//
// Subtests are named by README line: TestREADMEExamples/blocks/176/183 is
// the command on line 183 of the block whose fence is on line 176. A block runs
// whole even when -run selects one of its commands, so that command sees
// the state the lines before it left.

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

// readmePlaceholders is the one table of what the README writes that
// cannot run as written here, and what runs instead. {port} is a free
// loopback port chosen for the block. Applied in order to every command
// (and to `first` commands), as plain text replacements.
var readmePlaceholders = []struct{ from, to, why string }{
	{"xs2a sandbox serve", "xs2a sandbox serve --addr 127.0.0.1:0 --auth-addr 127.0.0.1:0 --auto-approve --rate -1",
		"the README's ports (8443, 8444) may be taken on a shared machine; the PSU's approval is BROWSER's, without a person; " +
			"no per-second limit, whose 429 a run would meet by chance (a --rate in the example comes later and wins)"},
	{"xs2a proxy", "xs2a proxy --listen 127.0.0.1:{port}", "the README's 8080 may be taken"},
	{"127.0.0.1:8080", "127.0.0.1:{port}", "where that proxy listens"},
	{"3f1c2a9e-...", "3f1c2a9e-0000-4000-8000-000000000000", "an X-Request-ID, shortened in the README"},
	{" [--entry N]", "", "an optional flag, shown in brackets"},
}

// readmeFiles are the files the examples name as if the reader had them,
// written into each block's working directory: what they stand for and
// how the test makes them.
var readmeFiles = []struct{ name, what string }{
	{"qseal.pem", "a QSealC (the test set TestMain generates)"},
	{"qseal.key", "its key"},
	{"qwac.pem", "a QWAC of the same set"},
	{"qwac.key", "its key"},
	{"my-qtsp-ca.pem", "a QTSP's CA certificate (the set's CA)"},
	{"apps.yaml", "one more app for `sandbox serve --apps`"},
	{"consent.json", "a consent request body"},
	{"body.json", "the same body"},
	{"req.http", "a raw POST /v1/consents with that body, unsigned"},
	{"captured.http", "that request signed by `xs2a sign` (Enfuce's form)"},
	{"capture.har", "a HAR 1.2 of a token request (not signed) and captured.http"},
	{"configs/xs2a.example.yaml", "the repository's example config"},
}

// readmeKnownBroken lists examples (by the start of the command, after
// readmePlaceholders) that fail today because of a bug issue 18 names and
// another change is fixing: reported as skipped with the reason. An entry
// whose example passes, or that matches none, fails the test: delete it
// when its fix merges.
var readmeKnownBroken = map[string]string{}

// readmeCommandTimeout bounds one command; an example that waits longer
// (a browser that never comes) fails instead of hanging make test.
const readmeCommandTimeout = 60 * time.Second

type readmeBlock struct {
	line     int    // the fence's line
	lang     string // sh, bash or console
	skip     string // why the whole block is not run
	skipCmd  map[string]string
	exit     map[string]int
	first    []string
	commands []readmeCommand
	used     map[string]bool // markers that matched a command
}

type readmeCommand struct {
	line   int
	text   string   // as the README writes it (continuations joined)
	output []string // console blocks: the output the README shows
}

var readmeMarker = regexp.MustCompile(`^<!-- example: (.*) -->$`)

// parseREADME returns the runnable blocks of the README with their markers.
func parseREADME(t *testing.T, text string) []*readmeBlock {
	t.Helper()
	lines := strings.Split(text, "\n")
	var blocks []*readmeBlock
	for i := 0; i < len(lines); i++ {
		fence, ok := strings.CutPrefix(lines[i], "```")
		if !ok {
			continue
		}
		end := i + 1
		for end < len(lines) && !strings.HasPrefix(lines[end], "```") {
			end++
		}
		lang := strings.TrimSpace(fence)
		if lang != "sh" && lang != "bash" && lang != "console" {
			if markersAbove(lines, i) != nil {
				t.Errorf("README.md:%d: an example marker above a %q block, which is not run", i+1, lang)
			}
			i = end
			continue
		}
		b := &readmeBlock{line: i + 1, lang: lang, skipCmd: map[string]string{}, exit: map[string]int{}, used: map[string]bool{}}
		for _, m := range markersAbove(lines, i) {
			if err := b.addMarker(m.text); err != nil {
				t.Errorf("README.md:%d: %v", m.line, err)
			}
		}
		body := lines[i+1 : end]
		if lang == "console" {
			for j, l := range body {
				if cmd, ok := strings.CutPrefix(l, "$ "); ok {
					b.commands = append(b.commands, readmeCommand{line: i + 2 + j, text: cmd})
				} else if n := len(b.commands); n > 0 {
					b.commands[n-1].output = append(b.commands[n-1].output, l)
				}
			}
		} else {
			for j := 0; j < len(body); j++ {
				start := j
				l := body[j]
				if strings.TrimSpace(l) == "" || strings.HasPrefix(strings.TrimSpace(l), "#") {
					continue
				}
				for strings.HasSuffix(l, "\\") && j+1 < len(body) {
					j++
					l += "\n" + body[j]
				}
				b.commands = append(b.commands, readmeCommand{line: i + 2 + start, text: l})
			}
		}
		blocks = append(blocks, b)
		i = end
	}
	return blocks
}

type readmeMarkerLine struct {
	line int
	text string
}

// markersAbove returns the example markers on the lines right above the
// fence at index i, top first.
func markersAbove(lines []string, i int) []readmeMarkerLine {
	var ms []readmeMarkerLine
	for j := i - 1; j >= 0; j-- {
		m := readmeMarker.FindStringSubmatch(lines[j])
		if m == nil {
			break
		}
		ms = append([]readmeMarkerLine{{j + 1, m[1]}}, ms...)
	}
	return ms
}

var (
	readmeSkipCmd = regexp.MustCompile(`^skip "([^"]+)": (.+)$`)
	readmeExit    = regexp.MustCompile(`^exit (\d+) "([^"]+)": (.+)$`)
)

func (b *readmeBlock) addMarker(m string) error {
	if reason, ok := strings.CutPrefix(m, "skip: "); ok {
		b.skip = reason
		return nil
	}
	if s := readmeSkipCmd.FindStringSubmatch(m); s != nil {
		b.skipCmd[s[1]] = s[2]
		return nil
	}
	if s := readmeExit.FindStringSubmatch(m); s != nil {
		n, _ := strconv.Atoi(s[1])
		b.exit[s[2]] = n
		return nil
	}
	if cmds, ok := strings.CutPrefix(m, "first "); ok {
		b.first = append(b.first, cmds)
		return nil
	}
	return fmt.Errorf("example marker %q is none of: skip: REASON; skip \"PREFIX\": REASON; exit N \"PREFIX\": REASON; first COMMANDS", m)
}

// lookup finds the marker entry whose prefix starts the command.
func lookup[V any](b *readmeBlock, kind string, m map[string]V, cmd string) (V, bool) {
	for prefix, v := range m {
		if strings.HasPrefix(cmd, prefix) {
			b.used[kind+prefix] = true
			return v, true
		}
	}
	var zero V
	return zero, false
}

func TestREADMEExamples(t *testing.T) {
	needCurl(t)
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	blocks := parseREADME(t, string(readme))
	if len(blocks) == 0 {
		t.Fatal("no sh, bash or console blocks in README.md")
	}
	files := readmeFixtures(t)
	brokenUsed := &readmeUsed{m: map[string]bool{}}
	var ran atomic.Int32 // blocks -run selected
	// Blocks are independent (a home, ports and a sandbox each), so they
	// run side by side: most of a block's time is waiting on the sandbox.
	t.Run("blocks", func(t *testing.T) {
		for _, b := range blocks {
			t.Run(strconv.Itoa(b.line), func(t *testing.T) {
				ran.Add(1)
				if b.skip != "" {
					t.Skipf("README.md:%d: %s", b.line, b.skip)
				}
				t.Parallel()
				runREADMEBlock(t, b, files, brokenUsed)
			})
		}
	})
	// Only a run of every block can tell that an entry matches none.
	if int(ran.Load()) == len(blocks) {
		for prefix := range readmeKnownBroken {
			if !brokenUsed.has("broken:" + prefix) {
				t.Errorf("readmeKnownBroken %q matches no example: delete it", prefix)
			}
		}
		for _, p := range readmePlaceholders {
			if !brokenUsed.has("placeholder:" + p.from) {
				t.Errorf("readmePlaceholders %q is in no example: delete it", p.from)
			}
		}
	}
}

// readmeUsed records which readmeKnownBroken and readmePlaceholders entries
// matched, from blocks running in parallel.
type readmeUsed struct {
	mu sync.Mutex
	m  map[string]bool
}

func (u *readmeUsed) add(k string) { u.mu.Lock(); u.m[k] = true; u.mu.Unlock() }
func (u *readmeUsed) has(k string) bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.m[k]
}

// readmeEnv is one block's reader: a home, a working directory and the
// environment every command of the block runs with.
type readmeEnv struct {
	t    *testing.T
	used *readmeUsed
	work string
	env  []string
	port int
}

func runREADMEBlock(t *testing.T, b *readmeBlock, files map[string][]byte, brokenUsed *readmeUsed) {
	dir := t.TempDir()
	home := filepath.Join(dir, "home")
	e := &readmeEnv{t: t, used: brokenUsed, work: filepath.Join(dir, "work"), port: freePort(t)}
	pathDir := filepath.Join(dir, "bin")
	for _, d := range []string{home, e.work, pathDir} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(bin, filepath.Join(pathDir, "xs2a")); err != nil {
		t.Fatal(err)
	}
	for name, content := range files {
		p := filepath.Join(e.work, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, content, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	state := filepath.Join(home, ".local", "state")
	// The sandbox's certificates, made before (TestMain's set): as a reader
	// who ran it once has them, and no key generation per block.
	sandboxCerts := filepath.Join(state, "xs2a", "sandbox", "certs")
	if err := os.MkdirAll(sandboxCerts, 0o700); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"ca", "qwac", "qseal", "server"} {
		for _, ext := range []string{".pem", ".key"} {
			b, err := os.ReadFile(fixture(n + ext))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(sandboxCerts, n+ext), b, 0o600); err != nil {
				t.Fatal(err)
			}
		}
	}
	// The PSU's browser: the sandbox approves at once and redirects to the
	// CLI's loopback listener, which curl follows as a browser would.
	browser := filepath.Join(dir, "browser.sh")
	script := "#!/bin/sh\nexec curl -sS --cacert '" + filepath.Join(state, "xs2a", "sandbox", "certs", "ca.pem") + "' -L \"$1\" >/dev/null\n"
	if err := os.WriteFile(browser, []byte(script), 0o700); err != nil {
		t.Fatal(err)
	}
	e.env = []string{"HOME=" + home, "XDG_CONFIG_HOME=" + filepath.Join(home, ".config"), "XDG_STATE_HOME=" + state,
		"PATH=" + pathDir + string(os.PathListSeparator) + os.Getenv("PATH"), "NO_COLOR=1", "BROWSER=" + browser, "LC_ALL=C.UTF-8"}

	// The bank the examples talk to, written as the README's profiles.
	bank := e.serve(e.replace("xs2a sandbox serve --write-profile default"))
	if bank.failed != "" {
		t.Fatalf("the test's sandbox: %s", bank.failed)
	}
	defer bank.stop()
	aliasProfile(t, filepath.Join(home, ".config", "xs2a", "config.yaml"), "default", "sandbox", "bank-sandbox")

	for _, f := range b.first {
		r := e.run(e.replace(f))
		if r.code != 0 {
			t.Fatalf("README.md:%d: <!-- example: first %s --> exit %d\nstdout:\n%s\nstderr:\n%s", b.line, f, r.code, r.stdout, r.stderr)
		}
	}

	var foreground *readmeServer
	var background []*readmeServer
	defer func() {
		for _, s := range append(background, foreground) {
			if s != nil {
				s.stop()
			}
		}
	}()
	for _, c := range b.commands {
		cmd := e.replace(c.text)
		name := strconv.Itoa(c.line)
		if reason, ok := lookup(b, "skip", b.skipCmd, c.text); ok {
			t.Run(name, func(t *testing.T) { t.Skipf("README.md:%d: %s: %s", c.line, c.text, reason) })
			continue
		}
		broken, isBroken := "", false
		for prefix, reason := range readmeKnownBroken {
			if strings.HasPrefix(cmd, prefix) {
				broken, isBroken = reason, true
				brokenUsed.add("broken:" + prefix)
			}
		}
		wantExit, _ := lookup(b, "exit", b.exit, c.text)
		if tool := missingTool(cmd); tool != "" {
			t.Run(name, func(t *testing.T) {
				if os.Getenv("CI") == "true" {
					t.Fatalf("README.md:%d: %s: CI=true and no %s on PATH (.ci/run installs it)", c.line, c.text, tool)
				}
				t.Skipf("README.md:%d: %s: no %s on PATH", c.line, c.text, tool)
			})
			continue
		}
		// Run first, report in the subtest: a -run that selects one command
		// still runs the block's commands before it.
		var failure string
		var r result
		if line, bg, ok := serverCommand(cmd); ok {
			if !bg && foreground != nil {
				foreground.stop()
				foreground = nil
			}
			s := e.serve(line)
			if bg {
				background = append(background, s)
			} else {
				foreground = s
			}
			failure = s.failed
			r = result{stdout: s.stdout.String(), stderr: s.stderr.String()}
		} else {
			r = e.run(cmd)
			failure = checkREADMEResult(c, cmd, r, wantExit)
		}
		t.Run(name, func(t *testing.T) {
			switch {
			case isBroken && failure != "":
				t.Skipf("README.md:%d: known broken (%s): %s\n%s", c.line, broken, c.text, failure)
			case isBroken:
				t.Errorf("README.md:%d: %s works now: delete its readmeKnownBroken entry (%s)", c.line, c.text, broken)
			case failure != "":
				t.Errorf("README.md:%d: %s\nran: %s\n%s\nstdout:\n%s\nstderr:\n%s", c.line, c.text, cmd, failure, r.stdout, r.stderr)
			}
		})
	}
	for prefix := range b.skipCmd {
		if !b.used["skip"+prefix] {
			t.Errorf("README.md:%d: <!-- example: skip %q --> matches no command of the block", b.line, prefix)
		}
	}
	for prefix := range b.exit {
		if !b.used["exit"+prefix] {
			t.Errorf("README.md:%d: <!-- example: exit %q --> matches no command of the block", b.line, prefix)
		}
	}
}

// missingTool names a program besides xs2a and sh that cmd runs and this
// machine lacks (jq), or "".
func missingTool(cmd string) string {
	for _, tool := range []string{"jq", "curl"} {
		if regexp.MustCompile(`(^|[|;&]\s*)` + tool + `\s`).MatchString(cmd) {
			if _, err := exec.LookPath(tool); err != nil {
				return tool
			}
		}
	}
	return ""
}

// replace applies readmePlaceholders.
func (e *readmeEnv) replace(cmd string) string {
	for _, p := range readmePlaceholders {
		if strings.Contains(cmd, p.from) {
			e.used.add("placeholder:" + p.from)
		}
		cmd = strings.ReplaceAll(cmd, p.from, strings.ReplaceAll(p.to, "{port}", strconv.Itoa(e.port)))
	}
	return cmd
}

// run runs one command with sh -c in the block's directory and environment.
func (e *readmeEnv) run(cmd string) result {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), readmeCommandTimeout)
	defer cancel()
	c := exec.CommandContext(ctx, "sh", "-c", cmd)
	c.Dir, c.Env = e.work, e.env
	// The timeout ends the whole pipeline, not only sh: a child left
	// holding stdout would keep Run waiting.
	c.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	c.Cancel = func() error { return syscall.Kill(-c.Process.Pid, syscall.SIGKILL) }
	c.WaitDelay = 5 * time.Second
	var out, errb syncBuffer
	c.Stdout, c.Stderr = &out, &errb
	err := c.Run()
	code := 0
	var ee *exec.ExitError
	switch {
	case ctx.Err() != nil:
		code = -1
		errb.Write([]byte(fmt.Sprintf("\n(killed after %s)", readmeCommandTimeout)))
	case errors.As(err, &ee):
		code = ee.ExitCode()
	case err != nil:
		e.t.Fatalf("sh -c %q: %v", cmd, err)
	}
	return result{out.String(), errb.String(), code}
}

// checkREADMEResult says what is wrong with a command's outcome, or "".
func checkREADMEResult(c readmeCommand, cmd string, r result, wantExit int) string {
	var problems []string
	if r.code != wantExit {
		problems = append(problems, fmt.Sprintf("exit %d; want %d", r.code, wantExit))
	}
	if len(c.output) == 0 {
		return strings.Join(problems, "; ")
	}
	got := r.stdout + "\n" + r.stderr
	// A labelled line the README shows (consent:, warning:, xs2a:) must have
	// its label in what the command printed: the format the README documents.
	label := regexp.MustCompile(`^([A-Za-z][A-Za-z -]{0,30}):\s`)
	for _, want := range c.output {
		m := label.FindStringSubmatch(want)
		if m == nil {
			continue
		}
		if !regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(m[1]) + `:`).MatchString(got) {
			problems = append(problems, fmt.Sprintf("the README shows a line %q; no line starts with %q", want, m[1]+":"))
		}
	}
	// `…; echo $?` then a number: the exit status the README shows.
	if last := c.output[len(c.output)-1]; strings.HasSuffix(cmd, "echo $?") {
		if _, err := strconv.Atoi(last); err == nil {
			lines := strings.Split(strings.TrimRight(r.stdout, "\n"), "\n")
			if printed := lines[len(lines)-1]; printed != last {
				problems = append(problems, fmt.Sprintf("printed exit status %s; the README shows %s", printed, last))
			}
		}
	}
	return strings.Join(problems, "; ")
}

// readmeServer is a command that serves until stopped.
type readmeServer struct {
	cmd            *exec.Cmd
	stdout, stderr *syncBuffer
	done           chan struct{}
	failed         string // why it is not serving, or ""
}

// serverCommand says whether cmd serves until stopped, and returns it
// without a trailing & (and its comment) and whether it had one.
func serverCommand(cmd string) (line string, background bool, ok bool) {
	if !strings.HasPrefix(cmd, "xs2a sandbox serve") && !strings.HasPrefix(cmd, "xs2a proxy") {
		return "", false, false
	}
	line = strings.TrimSpace(stripComment(cmd))
	if l, bg := strings.CutSuffix(line, "&"); bg {
		return strings.TrimSpace(l), true, true
	}
	return line, false, true
}

// stripComment drops a shell comment: a # at a word's start, outside quotes.
func stripComment(s string) string {
	var quote rune
	for i, r := range s {
		switch {
		case quote != 0:
			if r == quote {
				quote = 0
			}
		case r == '\'' || r == '"':
			quote = r
		case r == '#' && (i == 0 || s[i-1] == ' ' || s[i-1] == '\t'):
			return s[:i]
		}
	}
	return s
}

// readmeReady is what a server prints once it listens.
var readmeReady = regexp.MustCompile(`(?m)^(serving; |proxying )`)

// serve starts a server command (exec'd by sh, so SIGINT reaches it) and
// waits up to 30 s for it to say it listens.
func (e *readmeEnv) serve(line string) *readmeServer {
	e.t.Helper()
	c := exec.Command("sh", "-c", "exec "+line)
	c.Dir, c.Env = e.work, e.env
	s := &readmeServer{cmd: c, stdout: &syncBuffer{}, stderr: &syncBuffer{}, done: make(chan struct{})}
	c.Stdout, c.Stderr = s.stdout, s.stderr
	if err := c.Start(); err != nil {
		e.t.Fatal(err)
	}
	go func() { _ = c.Wait(); close(s.done) }()
	deadline := time.NewTimer(30 * time.Second)
	defer deadline.Stop()
	for {
		text, changed := s.stderr.Watch()
		if readmeReady.MatchString(text) {
			return s
		}
		select {
		case <-changed:
		case <-s.done:
			if text == s.stderr.String() {
				s.failed = fmt.Sprintf("ended (%v) before it listened", c.ProcessState)
				return s
			}
		case <-deadline.C:
			s.failed = "did not say it listens within 30s"
			s.stop()
			return s
		}
	}
}

// stop ends the server as Ctrl-C does (SIGKILL after 10 s).
func (s *readmeServer) stop() {
	select {
	case <-s.done:
		return
	default:
	}
	_ = s.cmd.Process.Signal(os.Interrupt)
	select {
	case <-s.done:
	case <-time.After(10 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
	}
}

// aliasProfile copies profile from in the config file to each of names.
func aliasProfile(t *testing.T, path, from string, names ...string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var cfg map[string]any
	if err := yaml.Unmarshal(b, &cfg); err != nil {
		t.Fatal(err)
	}
	profiles, _ := cfg["profiles"].(map[string]any)
	if profiles[from] == nil {
		t.Fatalf("%s has no profile %q:\n%s", path, from, b)
	}
	for _, n := range names {
		profiles[n] = profiles[from]
	}
	out, err := yaml.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, out, 0o600); err != nil {
		t.Fatal(err)
	}
}

// readmeFixtures makes the files of readmeFiles.
func readmeFixtures(t *testing.T) map[string][]byte {
	t.Helper()
	read := func(name string) []byte {
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	consent := `{"access":{"allPsd2":"allAccounts"},"recurringIndicator":true,"validUntil":"2027-03-01","frequencyPerDay":4,"combinedServiceIndicator":false}`
	req := "POST /v1/consents HTTP/1.1\r\nHost: api.bank.example\r\nContent-Type: application/json\r\nPSU-IP-Address: 192.0.2.1\r\n" +
		"Content-Length: " + strconv.Itoa(len(consent)) + "\r\n\r\n" + consent
	files := map[string][]byte{
		"qseal.pem": read(fixture("qseal.pem")), "qseal.key": read(fixture("qseal.key")),
		"qwac.pem": read(fixture("qwac.pem")), "qwac.key": read(fixture("qwac.key")),
		"my-qtsp-ca.pem": read(fixture("ca.pem")),
		"apps.yaml": []byte("- name: acme\n  client_id: acme-app\n  client_secret: acme-secret\n  api_key: acme-api-key\n" +
			"  organization_id: PSDFI-FINFSA-29884997\n  redirect_uris: [\"http://127.0.0.1:8765/callback\"]\n"),
		"consent.json":              []byte(consent),
		"body.json":                 []byte(consent),
		"req.http":                  []byte(req),
		"configs/xs2a.example.yaml": read(filepath.Join("..", "..", "configs", "xs2a.example.yaml")),
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "req.http"), []byte(req), 0o600); err != nil {
		t.Fatal(err)
	}
	signed := xs2a(t, dir, "", nil, "sign", "--request", "req.http", "--key", fixture("qseal.key"), "--cert", fixture("qseal.pem"), "--format", "http")
	if signed.code != 0 {
		t.Fatalf("signing req.http: exit %d\n%s", signed.code, signed.stderr)
	}
	files["captured.http"] = []byte(signed.stdout)
	files["capture.har"] = harOf(t, signed.stdout)
	for _, f := range readmeFiles {
		if files[f.name] == nil {
			t.Fatalf("readmeFiles names %s, which readmeFixtures does not make", f.name)
		}
	}
	if len(files) != len(readmeFiles) {
		t.Fatalf("readmeFixtures makes %d files; readmeFiles lists %d", len(files), len(readmeFiles))
	}
	return files
}

// harOf is a HAR 1.2 of two entries: a token request (not signed) and the
// raw request msg.
func harOf(t *testing.T, msg string) []byte {
	t.Helper()
	head, body, _ := strings.Cut(msg, "\r\n\r\n")
	sc := bufio.NewScanner(strings.NewReader(head))
	sc.Scan()
	type nv struct {
		Name  string `json:"name"`
		Value string `json:"value"`
	}
	var headers []nv
	for sc.Scan() {
		name, value, _ := strings.Cut(sc.Text(), ":")
		headers = append(headers, nv{name, strings.TrimSpace(value)})
	}
	entry := func(method, url string, headers []nv, mime, body string) map[string]any {
		return map[string]any{"startedDateTime": "2026-12-01T08:45:12.123Z", "time": 12,
			"request": map[string]any{"method": method, "url": url, "httpVersion": "HTTP/1.1", "headers": headers,
				"queryString": []nv{}, "cookies": []nv{}, "headersSize": -1, "bodySize": len(body),
				"postData": map[string]any{"mimeType": mime, "text": body}},
			"response": map[string]any{"status": 200, "statusText": "OK", "httpVersion": "HTTP/1.1", "headers": []nv{},
				"cookies": []nv{}, "content": map[string]any{"size": 0, "mimeType": "application/json"}, "redirectURL": "",
				"headersSize": -1, "bodySize": 0},
			"cache": map[string]any{}, "timings": map[string]any{"send": 1, "wait": 10, "receive": 1}}
	}
	token := "grant_type=client_credentials"
	har := map[string]any{"log": map[string]any{"version": "1.2", "creator": map[string]any{"name": "xs2a README test", "version": "1"},
		"entries": []any{
			entry("POST", "https://api.bank.example/oauth/token", []nv{{"Host", "api.bank.example"},
				{"Content-Type", "application/x-www-form-urlencoded"}, {"Content-Length", strconv.Itoa(len(token))}},
				"application/x-www-form-urlencoded", token),
			entry("POST", "https://api.bank.example/v1/consents", headers, "application/json", body),
		}}}
	b, err := json.MarshalIndent(har, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(headers, func(h nv) bool { return strings.EqualFold(h.Name, "Signature") }) {
		t.Fatalf("the signed request has no Signature header:\n%s", msg)
	}
	return b
}
