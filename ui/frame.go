package ui

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/lipgloss"
)

// StepNames are the wizard's five steps, in order.
var StepNames = []string{"Load", "Map", "Preview", "Import", "Middleware"}

// Common is what every step is given: the size of its area, the styles
// and the global keys.
type Common struct {
	Width, Height int
	Styles        *Styles
	Keys          *KeyMap
}

// Header draws "1 Load · 2 Map · 3 Preview · 4 Import · 5 Middleware" with
// the current step marked, cut to width.
func (c *Common) Header(current int) string {
	var parts []string
	for i, name := range StepNames {
		label := string(rune('1'+i)) + " " + name
		switch {
		case i < current:
			parts = append(parts, c.Styles.StepDone.Render("✓ "+label))
		case i == current && c.Styles.Plain:
			parts = append(parts, "["+label+"]")
		case i == current:
			parts = append(parts, c.Styles.StepActive.Render(label))
		default:
			parts = append(parts, c.Styles.StepTodo.Render(label))
		}
	}
	line := strings.Join(parts, c.Styles.StepSep.Render(" · "))
	if lipgloss.Width(line) > c.Width && c.Width > 0 {
		// Narrow: only the current step with its number.
		line = c.Styles.StepActive.Render(string(rune('1'+current))+"/5 "+StepNames[current]) +
			c.Styles.Muted.Render("  authgear-migrate")
	}
	return line
}

// MinWidth and MinHeight are the smallest screen the wizard draws on.
const (
	MinWidth  = 80
	MinHeight = 24
)

// TooSmall reports whether the screen is below MinWidth x MinHeight (a
// size of 0 is not known yet, and taken as large enough).
func (c *Common) TooSmall() bool {
	return c.Width > 0 && c.Width < MinWidth || c.Height > 0 && c.Height < MinHeight
}

// BodyHeight is the height a step's body gets in the frame.
func (c *Common) BodyHeight() int { return max(c.Height-2, 1) }

// Frame lays out a screen: header, body (cut or padded to the height that
// is left), an optional status line and the help line at the bottom.
//
// Below MinWidth x MinHeight it draws only a line that says so: text cut
// at the edge could hide what matters (a count, a key, a warning).
func (c *Common) Frame(current int, body, status string, h help.Model, km help.KeyMap, full bool) string {
	if c.TooSmall() {
		msg := fmt.Sprintf("terminal too small (need %dx%d, this one is %dx%d): enlarge it, or ctrl+c to quit", MinWidth, MinHeight, c.Width, c.Height)
		return c.Styles.Warn.Render(FitHeight(Wrap(msg, c.Width), max(c.Height, 1)))
	}
	h.Width = c.Width
	h.ShowAll = full
	helpView := h.View(km)
	head := c.Header(current)
	used := lipgloss.Height(head) + lipgloss.Height(helpView)
	if status != "" {
		used += lipgloss.Height(status)
	}
	avail := c.Height - used
	if avail < 1 {
		avail = 1
	}
	body = FitHeight(body, avail)
	parts := []string{head, body}
	if status != "" {
		parts = append(parts, status)
	}
	parts = append(parts, helpView)
	return c.Styles.Screen.MaxWidth(c.Width).Render(strings.Join(parts, "\n"))
}

// FitHeight cuts or pads s to exactly n lines.
func FitHeight(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[:n]
	}
	for len(lines) < n {
		lines = append(lines, "")
	}
	return strings.Join(lines, "\n")
}
