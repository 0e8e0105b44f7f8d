package iostreams

import (
	"io"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// DefaultProgressDelay is how long a wait runs before its progress line
// shows: a shorter one would only flicker.
const DefaultProgressDelay = time.Second

// spinner frames: one glyph wide, drawn over each other with \r.
var spinner = []string{"⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"}

// Progress is one line on stderr that says a wait is under way: a
// spinner, a label and what has happened so far. It is drawn on a
// terminal only, after the delay, and erased by Stop, so that neither a
// script's stderr nor anything on stdout ever holds a frame. A Progress
// off a terminal does nothing; every method is safe on it.
type Progress struct {
	w     io.Writer
	width int // the line is cut to this many columns, so \r can erase it

	mu     sync.Mutex
	label  string
	drawn  int // columns of the frame on the screen; 0: none
	stop   chan struct{}
	done   chan struct{}
	frame  int
	closed bool
}

// StartProgress shows label as a progress line on stderr while a wait
// lasts, if stderr is a terminal; the caller calls Stop before printing
// anything else.
func (s *IOStreams) StartProgress(label string) *Progress {
	if !s.stderrTTY {
		return &Progress{}
	}
	delay := DefaultProgressDelay
	if s.progressDelay != nil {
		delay = *s.progressDelay
	}
	return NewProgress(s.ErrOut, s.errWidth(), delay, label)
}

// SetProgressDelay lets tests see progress lines at once (0).
func (s *IOStreams) SetProgressDelay(d time.Duration) { s.progressDelay = &d }

// NewProgress draws label on w, a terminal width columns wide, from
// delay on until Stop.
func NewProgress(w io.Writer, width int, delay time.Duration, label string) *Progress {
	p := &Progress{w: w, width: width, label: label, stop: make(chan struct{}), done: make(chan struct{})}
	go p.run(delay)
	return p
}

func (p *Progress) run(delay time.Duration) {
	defer close(p.done)
	t := time.NewTimer(delay)
	defer t.Stop()
	select {
	case <-p.stop:
		return
	case <-t.C:
	}
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		p.draw()
		select {
		case <-p.stop:
			return
		case <-tick.C:
		}
	}
}

// draw writes the next frame over the last one.
func (p *Progress) draw() {
	p.mu.Lock()
	defer p.mu.Unlock()
	line := spinner[p.frame%len(spinner)] + " " + p.label
	p.frame++
	// One column short of the width: a line that fills it wraps on some
	// terminals, and \r then erases only its second half.
	if limit := p.width - 1; limit > 1 && utf8.RuneCountInString(line) > limit {
		line = string([]rune(line)[:limit-1]) + "…"
	}
	n := utf8.RuneCountInString(line)
	pad := ""
	if p.drawn > n {
		pad = strings.Repeat(" ", p.drawn-n) // the rest of a longer frame
	}
	_, _ = io.WriteString(p.w, "\r"+line+pad)
	p.drawn = max(n, p.drawn)
}

// Update replaces the label (e.g. "3 pages read"); the next frame shows it.
func (p *Progress) Update(label string) {
	if p.w == nil {
		return
	}
	p.mu.Lock()
	p.label = label
	p.mu.Unlock()
}

// Stop ends the progress line and erases it; the cursor is back at the
// start of an empty line, as if nothing had been drawn.
func (p *Progress) Stop() {
	if p.w == nil {
		return
	}
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return
	}
	p.closed = true
	p.mu.Unlock()
	close(p.stop)
	<-p.done
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.drawn > 0 {
		_, _ = io.WriteString(p.w, "\r"+strings.Repeat(" ", p.drawn)+"\r")
		p.drawn = 0
	}
}
