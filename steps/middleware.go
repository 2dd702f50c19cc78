package steps

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	"github.com/charmbracelet/bubbles/viewport"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/muesli/termenv"

	"github.com/authgear-migrate/authgear-migrate/importer"
	"github.com/authgear-migrate/authgear-migrate/importer/snippets"
	"github.com/authgear-migrate/authgear-migrate/ui"
)

type middlewareKeys struct {
	Finish key.Binding
	Write  key.Binding
	Copy   key.Binding
	Stack  key.Binding // the help line's ←/→; Prev and Next are its keys
	Prev   key.Binding
	Next   key.Binding
	Edit   key.Binding
	Save   key.Binding
	Cancel key.Binding
}

type writtenMsg struct {
	dir string
	err error
}

type middlewareStep struct {
	stepBase
	c        *ui.Common
	s        *session
	keys     middlewareKeys
	stacks   []snippets.Stack
	cursor   int
	endpoint string
	// guessed: no project was imported into (and AUTHGEAR_ENDPOINT is
	// not set): the endpoint is an example to replace.
	guessed bool
	// editing: the endpoint field has the focus.
	editing bool
	field   textinput.Model
	vp      viewport.Model
	text    string
	err     error
	status  string
}

func newMiddleware(c *ui.Common, s *session) *middlewareStep {
	// The endpoint of the project imported into; after a rehearsal,
	// AUTHGEAR_ENDPOINT when set (the import step decided it).
	ep, guessed := s.endpoint, false
	if ep == "" {
		ep, guessed = "https://myapp.authgear.cloud", true
	}
	f := textinput.New()
	f.Prompt = "endpoint: "
	f.Placeholder = "https://myapp.authgear.cloud"
	m := &middlewareStep{c: c, s: s, stacks: snippets.Stacks(), endpoint: ep, guessed: guessed, field: f, vp: viewport.New(c.Width, 10), keys: middlewareKeys{
		Finish: ui.Binding([]string{"enter"}, "enter", "finish"),
		Write:  ui.Binding([]string{"w"}, "w", "write project"),
		Copy:   ui.Binding([]string{"c"}, "c", "copy"),
		Stack:  ui.Binding([]string{"left", "right", "h", "l"}, "←/→", "stack"),
		Prev:   ui.Binding([]string{"left", "h"}, "←", "previous stack"),
		Next:   ui.Binding([]string{"right", "l"}, "→", "next stack"),
		Edit:   ui.Binding([]string{"e"}, "e", "change endpoint"),
		Save:   ui.Binding([]string{"enter"}, "enter", "use this endpoint"),
		Cancel: ui.Binding([]string{"esc"}, "esc", "keep the old one"),
	}}
	m.render()
	return m
}

func (m *middlewareStep) Init() tea.Cmd { return nil }
func (m *middlewareStep) Busy() bool    { return false }
func (m *middlewareStep) Typing() bool  { return m.editing }

func (m *middlewareStep) ShortHelp() []key.Binding {
	if m.editing {
		return []key.Binding{m.keys.Save, m.keys.Cancel}
	}
	return []key.Binding{m.keys.Finish, m.keys.Stack, m.keys.Write, m.keys.Copy, m.keys.Edit}
}

func (m *middlewareStep) FullHelp() [][]key.Binding {
	if m.editing {
		return [][]key.Binding{m.ShortHelp()}
	}
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
	case tea.WindowSizeMsg:
		m.vp.Width, m.vp.Height = max(m.c.Width-2, 20), max(m.c.BodyHeight()-4, 3)
		return m, nil
	case writtenMsg:
		if msg.err != nil {
			m.status = "not written: " + msg.err.Error()
		} else {
			m.status = "written to " + msg.dir + " (see its README)"
			m.s.snippet = msg.dir
		}
		return m, nil
	case tea.KeyMsg:
		if m.editing {
			switch {
			case key.Matches(msg, m.keys.Save):
				if v := strings.TrimSpace(m.field.Value()); v != "" {
					m.endpoint, m.guessed = v, false
				}
				m.editing = false
				m.field.Blur()
				m.status = ""
				m.render()
				return m, nil
			case key.Matches(msg, m.keys.Cancel):
				m.editing = false
				m.field.Blur()
				return m, nil
			}
			var cmd tea.Cmd
			m.field, cmd = m.field.Update(msg)
			return m, cmd
		}
		switch {
		case key.Matches(msg, m.keys.Edit):
			m.editing = true
			m.field.SetValue(m.endpoint)
			if m.guessed {
				m.field.SetValue("")
			}
			m.field.CursorEnd()
			return m, m.field.Focus()
		case key.Matches(msg, m.keys.Finish):
			return m, next
		case key.Matches(msg, m.c.Keys.Back):
			return m, back
		case key.Matches(msg, m.keys.Prev), key.Matches(msg, m.keys.Next):
			if key.Matches(msg, m.keys.Prev) {
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
	b.WriteString(m.vp.View() + "\n")
	w := max(m.c.Width-2, 20)
	switch {
	case m.editing:
		b.WriteString(m.field.View() + "\n")
	case m.status != "":
		b.WriteString(s.Good.Width(w).Render(importer.Printable(m.status)) + "\n")
	case m.guessed:
		b.WriteString(s.Warn.Width(w).Render(fmt.Sprintf("endpoint %s is an example: e sets your project's · %s", importer.Printable(m.endpoint), m.stacks[m.cursor].Tested)) + "\n")
	default:
		b.WriteString(s.Muted.Width(w).Render(fmt.Sprintf("endpoint %s (the project imported into; e changes it) · %s", importer.Printable(m.endpoint), m.stacks[m.cursor].Tested)) + "\n")
	}
	return b.String()
}
