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
	t.Setenv("NO_COLOR", "")
	s := System()
	s.SetTTY(false, true, true)
	if s.ColorEnabled() || s.ErrColorEnabled() {
		t.Error("NO_COLOR set (even empty) must disable colour")
	}
}

func TestIcons(t *testing.T) {
	cs := NewColorScheme(false)
	if cs.SuccessIcon() != "✓" || cs.FailureIcon() != "✗" || cs.WarningIcon() != "!" {
		t.Errorf("icons %q %q %q", cs.SuccessIcon(), cs.FailureIcon(), cs.WarningIcon())
	}
}
