package main

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
)

// lineProgress writes plain progress lines to stderr: redrawn in place on
// a terminal, one line per step of progress (at most every few seconds)
// otherwise, so that CI logs stay short.
type lineProgress struct {
	mu       sync.Mutex
	w        io.Writer
	tty      bool
	last     time.Time
	lastLen  int
	interval time.Duration
	now      func() time.Time
}

func newLineProgress(w io.Writer, tty bool) *lineProgress {
	iv := 5 * time.Second
	if tty {
		iv = 100 * time.Millisecond
	}
	return &lineProgress{w: w, tty: tty, interval: iv, now: time.Now}
}

// update shows a line; unless force, it is dropped when the previous one
// is recent.
func (p *lineProgress) update(line string, force bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	if !force && now.Sub(p.last) < p.interval {
		return
	}
	p.last = now
	if p.tty {
		pad := ""
		if n := p.lastLen - len(line); n > 0 {
			pad = strings.Repeat(" ", n)
		}
		fmt.Fprintf(p.w, "\r%s%s", line, pad)
		p.lastLen = len(line)
		return
	}
	fmt.Fprintln(p.w, line)
}

// done ends the in-place line.
func (p *lineProgress) done() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.tty && p.lastLen > 0 {
		fmt.Fprintln(p.w)
		p.lastLen = 0
	}
}

// println prints a message on its own line, above the progress line.
func (p *lineProgress) println(msg string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.tty && p.lastLen > 0 {
		fmt.Fprintf(p.w, "\r%s\r", strings.Repeat(" ", p.lastLen))
		p.lastLen = 0
	}
	fmt.Fprintln(p.w, msg)
}
