package iostreams

import (
	"strings"
	"testing"
	"time"
)

// Off a terminal a progress line is never drawn, however long the wait.
func TestProgressOffATerminalWritesNothing(t *testing.T) {
	s, _, out, errOut := Test()
	s.SetTTY(false, true, false) // stdout a terminal does not count
	s.SetProgressDelay(0)
	p := s.StartProgress("generating keys")
	p.Update("more")
	time.Sleep(250 * time.Millisecond)
	p.Stop()
	p.Stop()
	if out.Len() != 0 || errOut.Len() != 0 {
		t.Errorf("stdout %q, stderr %q; want nothing", out, errOut)
	}
}

// On a terminal it draws frames over each other on stderr and leaves
// the line empty when it stops; stdout gets nothing.
func TestProgressOnATerminal(t *testing.T) {
	s, _, out, errOut := Test()
	s.SetTTY(false, false, true)
	s.SetProgressDelay(0)
	t.Setenv("COLUMNS", "30")
	p := s.StartProgress("reading transactions")
	time.Sleep(150 * time.Millisecond)
	p.Update("reading transactions: 3 pages, a label far longer than the terminal")
	time.Sleep(250 * time.Millisecond)
	p.Stop()
	got := errOut.String()
	if out.Len() != 0 {
		t.Errorf("stdout %q", out)
	}
	if !strings.HasPrefix(got, "\r⠋ reading transactions") || strings.Contains(got, "\n") {
		t.Errorf("stderr %q", got)
	}
	frames := strings.Split(got, "\r")[1:]
	if len(frames) < 3 {
		t.Fatalf("%d frames: %q", len(frames), got)
	}
	for _, f := range frames {
		if n := len([]rune(f)); n > 29 {
			t.Errorf("frame %q is %d columns on a 30-column terminal", f, n)
		}
	}
	if !strings.Contains(got, "reading transactions: 3 pa…") {
		t.Errorf("the update is not shown, cut to the width: %q", got)
	}
	// The last thing written blanks the line and returns to its start.
	if last := frames[len(frames)-1]; strings.TrimSpace(last) != "" || !strings.HasSuffix(got, "\r") {
		t.Errorf("the line is not erased at the end: %q", got)
	}
}

// A wait shorter than the delay draws nothing.
func TestProgressShortWaitDrawsNothing(t *testing.T) {
	s, _, _, errOut := Test()
	s.SetTTY(false, false, true)
	p := s.StartProgress("quick")
	p.Stop()
	if errOut.Len() != 0 {
		t.Errorf("stderr %q", errOut)
	}
}
