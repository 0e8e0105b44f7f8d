package main_test

import (
	"encoding/json"
	"errors"
	"github.com/xs2a-dev/xs2a/cmd/xs2a/internal/cmdtest"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"
)

// proc is an xs2a child process that runs until it is stopped or ends on
// its own: `sandbox serve`, `proxy`, an interactive `flow` or `authorize`.
// Every one stops by the same rule (stop: SIGINT, then SIGKILL after
// stopGrace), and the test's end stops one still running that way.
type proc struct {
	t              *testing.T
	cmd            *exec.Cmd
	stdin          io.WriteCloser
	stdout, stderr *syncBuffer
	done           chan struct{} // closed when the process has exited
	err            error         // of Wait, valid after done
	// read is how much of stderr waitLine has consumed: each call looks
	// at the lines after the last one it matched.
	read int
}

// stopGrace is how long stop waits after SIGINT before killing.
const stopGrace = 10 * time.Second

// startProc runs the binary with args in dir (none: the test's working
// directory) with env (PATH and NO_COLOR=1 added) and a stdin pipe.
func startProc(t *testing.T, dir string, env []string, args ...string) *proc {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "NO_COLOR=1"}, env...)
	p := &proc{t: t, cmd: cmd, stdout: &syncBuffer{}, stderr: &syncBuffer{}, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p.stdout, p.stderr
	var err error
	if p.stdin, err = cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.err = cmd.Wait(); close(p.done) }()
	t.Cleanup(func() { p.stop() })
	return p
}

// exited reports whether the process has ended.
func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// stop sends SIGINT, kills after stopGrace, and returns the exit code.
func (p *proc) stop() int {
	if !p.exited() {
		_ = p.cmd.Process.Signal(os.Interrupt)
		select {
		case <-p.done:
		case <-time.After(stopGrace):
			_ = p.cmd.Process.Kill()
			<-p.done
		}
	}
	return p.code()
}

// kill ends the process at once (SIGKILL: no shutdown) and waits for it.
func (p *proc) kill() {
	_ = p.cmd.Process.Kill()
	<-p.done
}

// wait waits up to within for the process to end on its own and returns
// its exit code.
func (p *proc) wait(within time.Duration) int {
	p.t.Helper()
	select {
	case <-p.done:
	case <-time.After(within):
		p.t.Fatalf("xs2a %s still running after %s\nstderr:\n%s", strings.Join(p.cmd.Args[1:], " "), within, p.stderr)
	}
	return p.code()
}

func (p *proc) code() int {
	var ee *exec.ExitError
	switch {
	case p.err == nil:
		return 0
	case errors.As(p.err, &ee):
		return ee.ExitCode()
	}
	p.t.Errorf("waiting for xs2a: %v", p.err)
	return -1
}

// waitLine waits up to 20 s for a stderr line after the last one matched
// that matches re, and returns its submatches.
func (p *proc) waitLine(re string) []string {
	p.t.Helper()
	rx := regexp.MustCompile(re)
	deadline := time.NewTimer(20 * time.Second)
	defer deadline.Stop()
	for {
		text, changed := p.stderr.Watch()
		rest := text[p.read:]
		for {
			line, after, complete := strings.Cut(rest, "\n")
			if !complete {
				break
			}
			p.read += len(line) + 1
			rest = after
			if m := rx.FindStringSubmatch(line); m != nil {
				return m
			}
		}
		select {
		case <-changed:
		case <-p.done:
			if text == p.stderr.String() {
				p.t.Fatalf("xs2a %s exited (%v) without a stderr line %q:\n%s", strings.Join(p.cmd.Args[1:], " "), p.err, re, text)
			}
		case <-deadline.C:
			p.t.Fatalf("no stderr line %q in 20s:\n%s", re, text)
		}
	}
}

// logged waits up to 20 s for stderr to hold every one of want (in any
// line, seen before or not).
func (p *proc) logged(what string, want ...string) {
	p.t.Helper()
	deadline := time.NewTimer(20 * time.Second)
	defer deadline.Stop()
	for {
		text, changed := p.stderr.Watch()
		missing := ""
		for _, w := range want {
			if !strings.Contains(text, w) {
				missing = w
				break
			}
		}
		if missing == "" {
			return
		}
		select {
		case <-changed:
			continue
		case <-p.done:
			if text != p.stderr.String() {
				continue
			}
		case <-deadline.C:
		}
		p.t.Errorf("%s: the log lacks %q:\n%s", what, missing, text)
		return
	}
}

// waitJSON waits up to 20 s for the first JSON document on stdout (what
// `sandbox serve -o json` prints once it listens) and decodes it into v.
func (p *proc) waitJSON(v any) {
	p.t.Helper()
	deadline := time.NewTimer(20 * time.Second)
	defer deadline.Stop()
	for {
		text, changed := p.stdout.Watch()
		err := json.NewDecoder(strings.NewReader(text)).Decode(v)
		if err == nil {
			return
		}
		if !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
			p.t.Fatalf("stdout is not JSON: %v\n%s", err, text)
		}
		select {
		case <-changed:
		case <-p.done:
			if text == p.stdout.String() {
				p.t.Fatalf("xs2a exited (%v) before printing its JSON\nstdout:\n%s\nstderr:\n%s", p.err, text, p.stderr)
			}
		case <-deadline.C:
			p.t.Fatalf("no JSON on stdout in 20s\nstderr:\n%s", p.stderr)
		}
	}
}

// syncBuffer collects a child's or a server's output, written by another
// goroutine and read by the test; Watch tells a waiter of the next write.
// It is the in-process harness's buffer: one waiting rule for both.
type syncBuffer = cmdtest.SyncBuffer
