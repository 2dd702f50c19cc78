package ui

import (
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
)

// Chooser is a filterable list: typing narrows the options, up and down
// move, enter chooses, esc cancels.
type Chooser struct {
	Title   string
	options []string
	shown   []string
	cursor  int
	filter  textinput.Model
	// Chosen is set once enter was pressed on an option; Cancelled on esc.
	Chosen    string
	Done      bool
	Cancelled bool
}

// NewChooser lists options under title.
func NewChooser(title string, options []string) *Chooser {
	ti := textinput.New()
	ti.Prompt = "filter: "
	ti.Focus()
	c := &Chooser{Title: title, options: options, filter: ti}
	c.refilter()
	return c
}

func (c *Chooser) refilter() {
	q := strings.ToLower(c.filter.Value())
	c.shown = c.shown[:0]
	// An option is a name, then " — " and its description: the options
	// whose name matches come before those matched by description only.
	var byDoc []string
	for _, o := range c.options {
		name, _, _ := strings.Cut(o, " — ")
		switch {
		case q == "" || strings.Contains(strings.ToLower(name), q):
			c.shown = append(c.shown, o)
		case strings.Contains(strings.ToLower(o), q):
			byDoc = append(byDoc, o)
		}
	}
	c.shown = append(c.shown, byDoc...)
	if c.cursor >= len(c.shown) {
		c.cursor = max(len(c.shown)-1, 0)
	}
}

var (
	chooseKey = key.NewBinding(key.WithKeys("enter"))
	cancelKey = key.NewBinding(key.WithKeys("esc"))
	upKey     = key.NewBinding(key.WithKeys("up", "ctrl+p"))
	downKey   = key.NewBinding(key.WithKeys("down", "ctrl+n"))
)

// Update handles a key.
func (c *Chooser) Update(msg tea.Msg) tea.Cmd {
	if k, ok := msg.(tea.KeyMsg); ok {
		switch {
		case key.Matches(k, chooseKey):
			if len(c.shown) > 0 {
				c.Chosen, c.Done = c.shown[c.cursor], true
			}
			return nil
		case key.Matches(k, cancelKey):
			c.Done, c.Cancelled = true, true
			return nil
		case key.Matches(k, upKey):
			if c.cursor > 0 {
				c.cursor--
			}
			return nil
		case key.Matches(k, downKey):
			if c.cursor < len(c.shown)-1 {
				c.cursor++
			}
			return nil
		}
	}
	var cmd tea.Cmd
	c.filter, cmd = c.filter.Update(msg)
	c.refilter()
	return cmd
}

// View draws the chooser in at most height lines.
func (c *Chooser) View(s *Styles, width, height int) string {
	var b strings.Builder
	b.WriteString(s.Title.Render(c.Title) + "\n" + s.InputView(&c.filter) + "\n")
	rows := max(height-3, 1)
	start := 0
	if c.cursor >= rows {
		start = c.cursor - rows + 1
	}
	for i := start; i < len(c.shown) && i < start+rows; i++ {
		line := Truncate(c.shown[i], width-2)
		if i == c.cursor {
			b.WriteString(s.Selected.Render("› "+line) + "\n")
		} else {
			b.WriteString("  " + line + "\n")
		}
	}
	if len(c.shown) == 0 {
		b.WriteString(s.Muted.Render("  nothing matches") + "\n")
	}
	b.WriteString(s.Muted.Render("enter choose · esc cancel"))
	return b.String()
}
