package cmdutil

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strings"

	"github.com/pkg/browser"
	"github.com/xs2a-dev/xs2a/pkg/origin"
	"github.com/xs2a-dev/xs2a/pkg/termsafe"
)

// Browser opens URLs for the person at the terminal.
type Browser interface {
	Browse(url string) error
}

// ErrNoBrowser means there is no way to open a browser here (no display, or
// headless CI); the caller prints the URL instead.
var ErrNoBrowser = errors.New("no browser available")

// SystemBrowser opens URLs with $BROWSER when set (a command that gets the
// URL as its argument, as git and gh honour it), else with pkg/browser. It
// never writes to stdout, which carries data.
type SystemBrowser struct {
	Stderr io.Writer
	Getenv func(string) string
}

func (b SystemBrowser) getenv(k string) string {
	if b.Getenv != nil {
		return b.Getenv(k)
	}
	return os.Getenv(k)
}

// BrowserEnv is the environment a browser starts with: this process's
// without the XS2A_* variables, which may hold the client secret or the
// API key; a browser and whatever it runs have no use for them.
func BrowserEnv(env []string) []string {
	out := make([]string, 0, len(env))
	for _, kv := range env {
		if !strings.HasPrefix(strings.ToUpper(kv), "XS2A_") {
			out = append(out, kv)
		}
	}
	return out
}

// Browse implements Browser. It opens only what origin.Browsable accepts:
// a launcher must never get a file:, javascript: or option-like argument.
func (b SystemBrowser) Browse(url string) error {
	if err := origin.Browsable(url); err != nil {
		return fmt.Errorf("refused to open %s: %v", termsafe.Line(url), err)
	}
	if cmd := strings.TrimSpace(b.getenv("BROWSER")); cmd != "" {
		if cmd == "none" {
			return ErrNoBrowser
		}
		fields := strings.Fields(cmd)
		c := exec.Command(fields[0], append(fields[1:], url)...)
		c.Env = BrowserEnv(os.Environ())
		c.Stdout, c.Stderr = b.Stderr, b.Stderr
		if err := c.Start(); err != nil {
			return err
		}
		go func() { _ = c.Wait() }() // reap it; the browser outlives nothing of ours
		return nil
	}
	if runtime.GOOS == "linux" && b.getenv("DISPLAY") == "" && b.getenv("WAYLAND_DISPLAY") == "" {
		return ErrNoBrowser
	}
	// pkg/browser starts its launcher (xdg-open, open, rundll32) with this
	// process's environment and takes no other: the XS2A_* variables are
	// dropped from it first. The configuration was read long before.
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(strings.ToUpper(k), "XS2A_") {
			_ = os.Unsetenv(k)
		}
	}
	browser.Stdout, browser.Stderr = b.Stderr, b.Stderr
	return browser.OpenURL(url)
}
