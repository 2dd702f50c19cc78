package ui

import (
	"io"
	"strings"
	"testing"

	"github.com/charmbracelet/bubbles/textinput"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"
)

// TestFrameTooSmall: below 80x24 the frame is one message that says so,
// fitted to the screen, instead of text cut at the edge (issue 15 item 11).
func TestFrameTooSmall(t *testing.T) {
	for _, size := range [][2]int{{79, 24}, {80, 23}, {40, 10}, {20, 3}} {
		c := testCommon(size[0], size[1])
		out := c.Frame(1, strings.Repeat("some body text\n", 40), "", newHelp(), keysOnly{c.Keys}, false)
		lines := strings.Split(out, "\n")
		if len(lines) != size[1] {
			t.Errorf("%dx%d: %d lines", size[0], size[1], len(lines))
		}
		for _, l := range lines {
			if lipgloss.Width(l) > size[0] {
				t.Errorf("%dx%d: a line wider than the screen: %q", size[0], size[1], l)
			}
		}
		if flat := strings.Join(strings.Fields(out), " "); !strings.Contains(flat, "terminal too small") ||
			!strings.Contains(out, "80x24") || strings.Contains(out, "some body") {
			t.Errorf("%dx%d:\n%s", size[0], size[1], out)
		}
	}
	if c := testCommon(80, 24); c.TooSmall() {
		t.Error("80x24 is too small")
	}
}

// TestPlainShowsStepAndCursor: without colour (NO_COLOR gives the Ascii
// profile, which drops bold, underline and reverse video too) the current
// step and a text field's cursor are still visible, as characters.
func TestPlainShowsStepAndCursor(t *testing.T) {
	c := testCommon(80, 24)
	if !c.Styles.Plain {
		t.Fatal("an Ascii renderer's styles are not Plain")
	}
	if h := c.Header(1); !strings.Contains(h, "[2 Map]") {
		t.Errorf("header without colour: %q", h)
	}
	ti := textinput.New()
	ti.Prompt = "export file: "
	ti.Placeholder = "users.csv"
	ti.Focus()
	if got := c.Styles.InputView(&ti); got != "export file: "+PlainCursor+" (users.csv)" {
		t.Errorf("empty field: %q", got)
	}
	ti.SetValue("users.csv")
	ti.SetCursor(5)
	if got := c.Styles.InputView(&ti); got != "export file: users"+PlainCursor+".csv" {
		t.Errorf("cursor in the middle: %q", got)
	}
	ti.ShowSuggestions = true
	ti.SetSuggestions([]string{"users.csv.bak", "users.csv"})
	ti.SetValue("users.c")
	ti.CursorEnd()
	if got := c.Styles.InputView(&ti); !strings.HasPrefix(got, "export file: users.c"+PlainCursor+"sv") {
		t.Errorf("completion: %q", got)
	}
	ti.EchoMode = textinput.EchoPassword
	ti.SetValue("secret")
	if got := c.Styles.InputView(&ti); strings.Contains(got, "secret") || !strings.Contains(got, PlainCursor) {
		t.Errorf("password field: %q", got)
	}

	r := lipgloss.NewRenderer(io.Discard)
	r.SetColorProfile(termenv.TrueColor)
	colour := NewStyles(r)
	if colour.Plain {
		t.Error("a colour renderer's styles are Plain")
	}
	ti.EchoMode = textinput.EchoNormal
	if got := colour.InputView(&ti); got != ti.View() {
		t.Errorf("with colour the field draws itself: %q", got)
	}
	cc := &Common{Width: 80, Height: 24, Styles: colour, Keys: DefaultKeyMap()}
	if h := cc.Header(1); strings.Contains(h, "[2 Map]") {
		t.Errorf("header with colour has the plain marker: %q", h)
	}
}

// TestPlainInputScrollsWithinWidth: without colour, a value longer than
// the field's Width (a long password, masked) shows only Width characters
// around the cursor, as the field's own view does, so that the line fits
// the screen.
func TestPlainInputScrollsWithinWidth(t *testing.T) {
	c := testCommon(80, 24)
	ti := textinput.New()
	ti.Prompt = "password  "
	ti.EchoMode = textinput.EchoPassword
	ti.EchoCharacter = '•'
	ti.Width = 20
	ti.Focus()
	ti.SetValue(strings.Repeat("x", 50))
	ti.CursorEnd()
	if got, want := c.Styles.InputView(&ti), "password  "+strings.Repeat("•", 19)+PlainCursor; got != want {
		t.Errorf("cursor at the end: %q, want %q", got, want)
	}
	ti.SetCursor(0)
	if got, want := c.Styles.InputView(&ti), "password  "+PlainCursor+strings.Repeat("•", 20); got != want {
		t.Errorf("cursor at the start: %q, want %q", got, want)
	}
	ti.SetValue("short")
	if got := c.Styles.InputView(&ti); strings.Count(got, "•") != 5 {
		t.Errorf("a short value: %q", got)
	}
}
