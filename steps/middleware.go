package steps

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/viewport"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/muesli/termenv"

	"github.com/authgear-migrate/authgear-migrate/importer/snippets"
	"github.com/authgear-migrate/authgear-migrate/ui"
)

type middlewareKeys struct {
	Finish key.Binding
	Write  key.Binding
	Copy   key.Binding
	Stack  key.Binding
}

type writtenMsg struct {
	dir string
	err error
}

type middlewareStep struct {
	c        *ui.Common
	s        *session
	keys     middlewareKeys
	stacks   []snippets.Stack
	cursor   int
	endpoint string
	vp       viewport.Model
	text     string
	err      error
	status   string
}

func newMiddleware(c *ui.Common, s *session) *middlewareStep {
	ep := s.endpoint
	if ep == "" {
		ep = "https://myapp.authgear.cloud"
	}
	m := &middlewareStep{c: c, s: s, stacks: snippets.Stacks(), endpoint: ep, vp: viewport.New(c.Width, 10), keys: middlewareKeys{
		Finish: ui.Binding([]string{"enter"}, "enter", "finish"),
		Write:  ui.Binding([]string{"w"}, "w", "write project"),
		Copy:   ui.Binding([]string{"c"}, "c", "copy"),
		Stack:  ui.Binding([]string{"left", "right", "h", "l"}, "←/→", "stack"),
	}}
	m.render()
	return m
}

func (m *middlewareStep) Init() tea.Cmd { return nil }
func (m *middlewareStep) Busy() bool    { return false }

func (m *middlewareStep) ShortHelp() []key.Binding {
	return []key.Binding{m.keys.Finish, m.keys.Stack, m.keys.Write, m.keys.Copy}
}

func (m *middlewareStep) FullHelp() [][]key.Binding {
	return [][]key.Binding{m.ShortHelp(), {m.c.Keys.Up, m.c.Keys.Down}}
}

func (m *middlewareStep) render() {
	st := m.stacks[m.cursor]
	text, err := snippets.Render(st.Name, snippets.Config{Endpoint: m.endpoint})
	m.text, m.err = text, err
	m.vp.Width = max(m.c.Width-2, 20)
	m.vp.Height = max(m.c.BodyHeight()-4, 3)
	m.vp.SetContent(colourCode(m.c.Styles, text))
	m.vp.GotoTop()
}

// colourCode dims comment lines and the file markers.
func colourCode(s *ui.Styles, text string) string {
	lines := strings.Split(text, "\n")
	for i, l := range lines {
		t := strings.TrimSpace(l)
		switch {
		case strings.HasPrefix(t, "==>"):
			lines[i] = s.Title.Render(l)
		case strings.HasPrefix(t, "//"), strings.HasPrefix(t, "#"), strings.HasPrefix(t, "/*"), strings.HasPrefix(t, "*"):
			lines[i] = s.CodeNote.Render(l)
		default:
			lines[i] = s.Code.Render(l)
		}
	}
	return strings.Join(lines, "\n")
}

func (m *middlewareStep) Update(msg tea.Msg) (step, tea.Cmd) {
	switch msg := msg.(type) {
	case writtenMsg:
		if msg.err != nil {
			m.status = "not written: " + msg.err.Error()
		} else {
			m.status = "written to " + msg.dir + " (see its README)"
			m.s.snippet = msg.dir
		}
		return m, nil
	case tea.KeyMsg:
		switch {
		case key.Matches(msg, m.keys.Finish):
			return m, next
		case key.Matches(msg, m.c.Keys.Back):
			return m, back
		case key.Matches(msg, m.keys.Stack):
			if s := msg.String(); s == "left" || s == "h" {
				m.cursor = (m.cursor + len(m.stacks) - 1) % len(m.stacks)
			} else {
				m.cursor = (m.cursor + 1) % len(m.stacks)
			}
			m.status = ""
			m.render()
			return m, nil
		case key.Matches(msg, m.keys.Write):
			st, ep := m.stacks[m.cursor].Name, m.endpoint
			return m, func() tea.Msg {
				dir := "authgear-middleware-" + st
				return writtenMsg{dir, snippets.WriteProject(dir, st, snippets.Config{Endpoint: ep})}
			}
		case key.Matches(msg, m.keys.Copy):
			// OSC 52: the terminal puts the text on the clipboard.
			termenv.DefaultOutput().Copy(m.text)
			m.status = "copied to the clipboard (OSC 52: the terminal must allow it)"
			return m, nil
		}
	}
	var cmd tea.Cmd
	m.vp, cmd = m.vp.Update(msg)
	return m, cmd
}

func (m *middlewareStep) View() string {
	s := m.c.Styles
	var b strings.Builder
	b.WriteString(s.Title.Render("Protect your backend") + "  " + s.Muted.Render("migrated users sign in again through Authgear") + "\n")
	cur := m.stacks[m.cursor]
	b.WriteString(s.Selected.Render("‹ "+cur.Title+" ›") + s.Muted.Render(fmt.Sprintf("  %d of %d stacks: ←/→", m.cursor+1, len(m.stacks))) + "\n")
	if m.err != nil {
		b.WriteString(s.Bad.Render(m.err.Error()) + "\n")
	}
	m.vp.Width, m.vp.Height = max(m.c.Width-2, 20), max(m.c.BodyHeight()-4, 3)
	b.WriteString(m.vp.View() + "\n")
	if m.status != "" {
		b.WriteString(s.Good.Render(m.status) + "\n")
	} else {
		b.WriteString(s.Muted.Render(ui.Truncate(fmt.Sprintf("endpoint %s · %s", m.endpoint, m.stacks[m.cursor].Tested), m.c.Width-2)) + "\n")
	}
	return b.String()
}
