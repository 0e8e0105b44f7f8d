package iostreams

import (
	"strings"
	"testing"
)

func TestColorOnlyOnATerminalAndNotWhenDisabled(t *testing.T) {
	s, _, _, _ := Test()
	if s.ColorEnabled() || strings.Contains(s.ColorScheme().Red("x"), "\x1b[") {
		t.Error("colour on a non-terminal")
	}
	s.SetTTY(false, true, false)
	if !s.ColorEnabled() {
		t.Fatal("stdout terminal without NO_COLOR: colour should be on")
	}
	if got := s.ColorScheme().Red("x"); got != "\x1b[31mx\x1b[0m" {
		t.Errorf("Red = %q", got)
	}
	if s.ErrColorEnabled() {
		t.Error("stderr is not a terminal: no colour there")
	}
	s.SetColorDisabled(true)
	if s.ColorEnabled() || s.ColorScheme().Green("ok") != "ok" {
		t.Error("--no-color did not switch colour off")
	}
	// Disabling is sticky: a later false (flag default) does not re-enable.
	s.SetColorDisabled(false)
	if s.ColorEnabled() {
		t.Error("colour came back after being disabled")
	}
}

func TestSystemHonoursNoColor(t *testing.T) {
	t.Setenv("TERM", "xterm")
	for _, c := range []struct {
		value string
		off   bool
	}{{"1", true}, {"0", true}, {"", false}} { // any value but the empty one
		t.Setenv("NO_COLOR", c.value)
		s := System()
		s.SetTTY(false, true, true)
		if s.ColorEnabled() == c.off || s.ErrColorEnabled() == c.off {
			t.Errorf("NO_COLOR=%q: colour on stdout %v, stderr %v; want off %v", c.value, s.ColorEnabled(), s.ErrColorEnabled(), c.off)
		}
	}
}

func TestIcons(t *testing.T) {
	cs := NewColorScheme(false)
	if cs.SuccessIcon() != "✓" || cs.FailureIcon() != "✗" || cs.WarningIcon() != "!" {
		t.Errorf("icons %q %q %q", cs.SuccessIcon(), cs.FailureIcon(), cs.WarningIcon())
	}
}
