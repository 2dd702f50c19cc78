package ui

import (
	"strings"
	"testing"

	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"
)

// TestTruncateKeepsTheReset: a coloured string cut short still ends its
// colour, so the colour does not bleed into the rows below (issue 15 item
// 15); Wrap keeps escape sequences whole and breaks a word longer than the
// line.
func TestTruncateKeepsTheReset(t *testing.T) {
	r := lipgloss.NewRenderer(nil)
	r.SetColorProfile(termenv.TrueColor)
	red := r.NewStyle().Foreground(lipgloss.Color("#ff0000")).Render("hello world")
	got := Truncate(red, 6)
	if !strings.HasSuffix(got, "\x1b[0m") && !strings.HasSuffix(got, "\x1b[m") {
		t.Errorf("Truncate(red, 6) = %q: the reset is lost", got)
	}
	if w := lipgloss.Width(got); w != 6 || !strings.Contains(got, "hello…") {
		t.Errorf("Truncate(red, 6) = %q, width %d", got, w)
	}
	if got := Truncate("\x1b[31mab\x1b[0m", 5); got != "\x1b[31mab\x1b[0m" {
		t.Errorf("a string that fits is changed: %q", got)
	}
	wrapped := Wrap(red, 5)
	for i, l := range strings.Split(wrapped, "\n") {
		if lipgloss.Width(l) > 5 {
			t.Errorf("line %d of %q is wider than 5", i, wrapped)
		}
	}
	if !strings.HasSuffix(wrapped, "\x1b[0m") && !strings.HasSuffix(wrapped, "\x1b[m") {
		t.Errorf("Wrap lost the reset: %q", wrapped)
	}
	if got := Wrap("see /a/very/long/path/to/users.csv now", 12); strings.Contains(got, "users.csv now") {
		t.Errorf("Wrap: %q", got)
	} else {
		for _, l := range strings.Split(got, "\n") {
			if lipgloss.Width(l) > 12 {
				t.Errorf("Wrap left a line wider than 12: %q in %q", l, got)
			}
		}
	}
}

func TestNumberAndCount(t *testing.T) {
	for n, want := range map[int]string{0: "0", 7: "7", 999: "999", 1000: "1,000", 12345: "12,345",
		1_000_000: "1,000,000", -1234567: "-1,234,567"} {
		if got := Number(n); got != want {
			t.Errorf("Number(%d) = %q, want %q", n, got, want)
		}
	}
	for _, tc := range []struct {
		n    int
		want string
	}{{0, "0 records"}, {1, "1 record"}, {2, "2 records"}, {1000, "1,000 records"}} {
		if got := Count(tc.n, "record", "records"); got != tc.want {
			t.Errorf("Count(%d) = %q, want %q", tc.n, got, tc.want)
		}
	}
}
