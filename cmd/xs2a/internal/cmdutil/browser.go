package cmdutil

import (
	"errors"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strings"

	"github.com/pkg/browser"
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

// Browse implements Browser.
func (b SystemBrowser) Browse(url string) error {
	if cmd := strings.TrimSpace(b.getenv("BROWSER")); cmd != "" {
		if cmd == "none" {
			return ErrNoBrowser
		}
		fields := strings.Fields(cmd)
		c := exec.Command(fields[0], append(fields[1:], url)...)
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
	browser.Stdout, browser.Stderr = b.Stderr, b.Stderr
	return browser.OpenURL(url)
}
