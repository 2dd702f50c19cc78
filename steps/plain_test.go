package steps

import (
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/authgear-migrate/authgear-migrate/ui"
)

// TestNoColorShowsStepAndCursor: without colour (the profile NO_COLOR
// gives, as asciiRenderer's) the wizard still shows which step is current
// and where the cursor of the path field is (issue 15 item 11).
func TestNoColorShowsStepAndCursor(t *testing.T) {
	exampleDir(t)
	d := newDriver(t, Options{}, 80, 24)
	v := d.w.View()
	if !strings.Contains(v, "[1 Load]") {
		t.Errorf("no current step without colour:\n%s", v)
	}
	if !strings.Contains(v, "export file: users.csv"+ui.PlainCursor) {
		t.Errorf("no cursor without colour:\n%s", v)
	}
	walkTo(t, d, stepMap)
	if v := d.w.View(); !strings.Contains(v, "[2 Map]") || !strings.Contains(v, "› ") {
		t.Errorf("map step without colour: no current step or no cursor:\n%s", v)
	}
}

// TestNarrowTerminalSaysSo: below 80x24 the wizard says the terminal is
// too small, in one line that fits, rather than cutting its text; back at
// 80x24 the step is drawn again.
func TestNarrowTerminalSaysSo(t *testing.T) {
	exampleDir(t)
	d := newDriver(t, Options{}, 80, 24)
	walkTo(t, d, stepPreview)
	for _, size := range [][2]int{{60, 20}, {79, 40}, {120, 23}} {
		d.handle(tea.WindowSizeMsg{Width: size[0], Height: size[1]})
		v := d.w.View()
		if flat := strings.Join(strings.Fields(v), " "); !strings.Contains(flat, "terminal too small (need 80x24") {
			t.Errorf("%dx%d:\n%s", size[0], size[1], v)
		}
		if strings.Contains(v, "Preview") || len(strings.Split(v, "\n")) > size[1] {
			t.Errorf("%dx%d: the step is drawn cut:\n%s", size[0], size[1], v)
		}
	}
	d.handle(tea.WindowSizeMsg{Width: 80, Height: 24})
	if v := d.w.View(); !strings.Contains(v, "Preview: the JSON as it will be sent") {
		t.Errorf("80x24 again:\n%s", v)
	}
}
