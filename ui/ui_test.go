package ui

import (
	"io"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"
)

func testCommon(w, h int) *Common {
	r := lipgloss.NewRenderer(io.Discard)
	r.SetColorProfile(termenv.Ascii)
	return &Common{Width: w, Height: h, Styles: NewStyles(r), Keys: DefaultKeyMap()}
}

func TestHeader(t *testing.T) {
	c := testCommon(80, 24)
	if got := c.Header(2); got != "✓ 1 Load · ✓ 2 Map · [3 Preview] · 4 Import · 5 Middleware" {
		t.Errorf("header at 80: %q", got)
	}
	c.Width = 30
	if got := c.Header(2); !strings.HasPrefix(got, "3/5 Preview") || lipgloss.Width(got) > 30 {
		t.Errorf("header at 30: %q", got)
	}
}

func TestFitTruncateWrap(t *testing.T) {
	if got := FitHeight("a\nb\nc", 2); got != "a\nb" {
		t.Errorf("FitHeight cut: %q", got)
	}
	if got := FitHeight("a", 3); got != "a\n\n" {
		t.Errorf("FitHeight pad: %q", got)
	}
	if got := Truncate("héllo wörld", 6); got != "héllo…" || lipgloss.Width(got) != 6 {
		t.Errorf("Truncate: %q", got)
	}
	if got := Truncate("short", 10); got != "short" {
		t.Errorf("Truncate kept: %q", got)
	}
	if got := Wrap("one two three four", 9); got != "one two\nthree\nfour" {
		t.Errorf("Wrap: %q", got)
	}
}

func TestChooser(t *testing.T) {
	c := NewChooser("source", []string{"Email", "Mobile number", "First name", "email_verified"})
	for _, r := range "mail" {
		c.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}})
	}
	c.Update(tea.KeyMsg{Type: tea.KeyDown})
	c.Update(tea.KeyMsg{Type: tea.KeyEnter})
	if !c.Done || c.Cancelled || c.Chosen != "email_verified" {
		t.Errorf("chooser: done %v cancelled %v chosen %q", c.Done, c.Cancelled, c.Chosen)
	}
	c = NewChooser("x", []string{"a"})
	c.Update(tea.KeyMsg{Type: tea.KeyEsc})
	if !c.Done || !c.Cancelled {
		t.Error("esc did not cancel")
	}
	view := NewChooser("t", []string{"a", "b"}).View(testCommon(40, 10).Styles, 40, 10)
	if !strings.Contains(view, "› a") {
		t.Errorf("chooser view: %q", view)
	}
}

func TestFrameFitsTheScreen(t *testing.T) {
	c := testCommon(80, 24)
	body := strings.Repeat(strings.Repeat("x", 100)+"\n", 30)
	km := keysOnly{c.Keys}
	out := c.Frame(1, body, "", newHelp(), km, false)
	lines := strings.Split(out, "\n")
	if len(lines) != 24 {
		t.Errorf("%d lines, want 24", len(lines))
	}
	for _, l := range lines {
		if lipgloss.Width(l) > 80 {
			t.Errorf("line wider than 80: %q", l)
		}
	}
	if !strings.Contains(lines[len(lines)-1], "quit") {
		t.Errorf("help line: %q", lines[len(lines)-1])
	}
}

func TestMask(t *testing.T) {
	if Mask("$2b$10$x", true, false) != Masked || Mask("$2b$10$x", true, true) != "$2b$10$x" ||
		Mask("Ann", false, false) != "Ann" || Mask("", true, false) != "" {
		t.Error("Mask")
	}
}

// TestChooserNamesFirst: typing a transform's name lists it before the
// transforms whose description merely mentions the word.
func TestChooserNamesFirst(t *testing.T) {
	c := NewChooser("t", []string{"bool — parse true/false", "key — a role name to a key", "split — split a list (roles)"})
	for _, r := range "key" {
		c.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}})
	}
	c.Update(tea.KeyMsg{Type: tea.KeyEnter})
	if c.Chosen != "key — a role name to a key" {
		t.Errorf("chosen %q", c.Chosen)
	}
	c = NewChooser("t", []string{"bool — a key word", "key — x"})
	for _, r := range "key" {
		c.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}})
	}
	c.Update(tea.KeyMsg{Type: tea.KeyEnter})
	if c.Chosen != "key — x" {
		t.Errorf("a description matched before the name: %q", c.Chosen)
	}
}
