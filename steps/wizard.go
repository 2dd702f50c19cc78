// Package steps is the wizard: five steps (load, map, preview, import,
// middleware) over the engine's one run, each a small model with its own
// Update and View, and the state machine that moves between them by
// messages. All slow work runs in tea.Cmds; the engine is reached only
// through package importer.
package steps

import (
	"context"
	"errors"
	"io"
	"os"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/authgear-migrate/authgear-migrate/importer"
	"github.com/authgear-migrate/authgear-migrate/ui"
)

// Options start the wizard.
type Options struct {
	// Input and Mapping open the wizard with a file loaded, or with a
	// saved mapping to adjust.
	Input, Mapping string
	// Example writes the bundled example somewhere and returns its export
	// and mapping ("try the example").
	Example func() (input, mapping string, err error)
	// Getenv reads AUTHGEAR_* for the import's target.
	Getenv func(string) string
	// In and Out are the terminal (Out also decides the colour profile).
	In  io.Reader
	Out io.Writer
	// Renderer overrides the styles' renderer (tests force a profile).
	Renderer *lipgloss.Renderer
	// ProgramOptions are added to the program's (tests pass teatest's).
	ProgramOptions []tea.ProgramOption
}

// Result is what the wizard did, for main to print after it exits.
type Result struct {
	Mapping string               // the mapping file saved
	Summary *importer.RunSummary // the import's, when one ran
	Snippet string               // the middleware written, if any
	Replay  string               // the replay command that repeats the migration
}

// ErrAborted: the person quit the wizard.
var ErrAborted = errors.New("wizard aborted")

type stepID int

const (
	stepLoad stepID = iota
	stepMap
	stepPreview
	stepImport
	stepMiddleware
)

func (s stepID) String() string { return ui.StepNames[s] }

// step is one screen of the wizard.
type step interface {
	Init() tea.Cmd
	Update(tea.Msg) (step, tea.Cmd)
	View() string
	help.KeyMap
	// Busy steps (a running import) are never left with esc or quit.
	Busy() bool
}

// Messages between the steps and the wizard.
type (
	nextMsg struct{}
	backMsg struct{}
)

func next() tea.Msg { return nextMsg{} }
func back() tea.Msg { return backMsg{} }

// session is what the steps share: the file, the mapping, the run.
type session struct {
	ctx     context.Context
	opts    Options
	loaded  *loaded
	mapping *importer.Mapping
	// mappingPath is where the mapping is saved (given, or the default).
	mappingPath  string
	mappingGiven bool
	summary      *importer.RunSummary
	preview      *importer.RunSummary // the preview's dry run
	endpoint     string
	snippet      string
	// closers end what outlives a step (the sandbox, kept for verify).
	closers []func()
	// runs numbers the engine runs, so that a step left and entered again
	// never takes an earlier run's messages for its own.
	runs int
}

func (s *session) nextRunID() int {
	s.runs++
	return s.runs
}

// Wizard is the root model.
type Wizard struct {
	c        *ui.Common
	s        *session
	cur      stepID
	steps    [5]step
	help     help.Model
	fullHelp bool
	quitting bool
	err      error
}

// New builds the wizard.
func New(ctx context.Context, o Options) *Wizard {
	r := o.Renderer
	if r == nil {
		out := o.Out
		if out == nil {
			out = os.Stdout
		}
		r = lipgloss.NewRenderer(out)
	}
	c := &ui.Common{Width: 80, Height: 24, Styles: ui.NewStyles(r), Keys: ui.DefaultKeyMap()}
	s := &session{ctx: ctx, opts: o}
	w := &Wizard{c: c, s: s, help: help.New()}
	w.help.Styles.ShortKey = c.Styles.Key
	w.help.Styles.FullKey = c.Styles.Key
	w.help.Styles.ShortDesc = c.Styles.Muted
	w.help.Styles.FullDesc = c.Styles.Muted
	w.steps[stepLoad] = newLoad(c, s)
	return w
}

// Init starts the first step.
func (w *Wizard) Init() tea.Cmd { return w.steps[w.cur].Init() }

// Update routes a message: global concerns first, then the active step.
func (w *Wizard) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		w.c.Width, w.c.Height = msg.Width, msg.Height
	case tea.KeyMsg:
		if msg.Type == tea.KeyRunes && len(msg.Runes) > 1 && !msg.Paste && !w.typing() {
			// Keys typed faster than the terminal is read arrive as one
			// message ("jjj"): each is a key of its own.
			var cmds []tea.Cmd
			for _, r := range msg.Runes {
				_, cmd := w.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}, Alt: msg.Alt})
				cmds = append(cmds, cmd)
			}
			return w, tea.Batch(cmds...)
		}
		switch {
		case key.Matches(msg, w.c.Keys.Quit) && !w.steps[w.cur].Busy():
			w.quitting = true
			return w, tea.Quit
		case key.Matches(msg, w.c.Keys.Help) && !w.typing():
			w.fullHelp = !w.fullHelp
			return w, nil
		}
	case interface{ forStep() stepID }:
		// Background work reports to the step that started it, even
		// after the person moved on.
		if id := msg.forStep(); id != w.cur && w.steps[id] != nil {
			var cmd tea.Cmd
			w.steps[id], cmd = w.steps[id].Update(msg)
			return w, cmd
		}
	case nextMsg:
		return w, w.advance()
	case backMsg:
		if w.cur > stepLoad && !w.steps[w.cur].Busy() && canGoBack(w.steps[w.cur]) {
			leave(w.steps[w.cur])
			w.cur--
			w.fullHelp = false
		}
		return w, nil
	}
	var cmd tea.Cmd
	w.steps[w.cur], cmd = w.steps[w.cur].Update(msg)
	return w, cmd
}

// typing reports whether the active step has a text field focused (so
// that "?" types a question mark).
func (w *Wizard) typing() bool {
	t, ok := w.steps[w.cur].(interface{ Typing() bool })
	return ok && t.Typing()
}

// advance moves to the next step, building it from the session.
func (w *Wizard) advance() tea.Cmd {
	if w.cur == stepMiddleware {
		return tea.Quit
	}
	w.cur++
	w.fullHelp = false
	switch w.cur {
	case stepMap:
		w.steps[stepMap] = newMapping(w.c, w.s)
	case stepPreview:
		w.steps[stepPreview] = newPreview(w.c, w.s)
	case stepImport:
		w.steps[stepImport] = newImporting(w.c, w.s)
	case stepMiddleware:
		w.steps[stepMiddleware] = newMiddleware(w.c, w.s)
	}
	return w.steps[w.cur].Init()
}

// View draws the active step in the frame.
func (w *Wizard) View() string {
	if w.quitting {
		return ""
	}
	st := w.steps[w.cur]
	return w.c.Frame(int(w.cur), st.View(), "", w.help, helpKeys{st, w.c.Keys, w.cur}, w.fullHelp)
}

// helpKeys adds the global bindings to a step's.
type helpKeys struct {
	st  step
	g   *ui.KeyMap
	cur stepID
}

// ShortHelp is the step's main keys and "?"; going back and quitting are
// in the full help.
func (h helpKeys) ShortHelp() []key.Binding {
	return append(h.st.ShortHelp(), h.g.Help)
}

func (h helpKeys) FullHelp() [][]key.Binding {
	var global []key.Binding
	if h.cur > stepLoad && !h.st.Busy() && canGoBack(h.st) {
		global = append(global, h.g.Back)
	}
	global = append(global, h.g.Help)
	if !h.st.Busy() {
		global = append(global, h.g.Quit)
	}
	return append(h.st.FullHelp(), global)
}

// leave tells a step that it is left (a preview stops its dry run).
func leave(s step) {
	if l, ok := s.(interface{ leave() }); ok {
		l.leave()
	}
}

// canGoBack: a step may say that esc does not go back (a finished import).
func canGoBack(s step) bool {
	nb, ok := s.(interface{ NoBack() bool })
	return !ok || !nb.NoBack()
}

// Result is what the wizard did.
func (w *Wizard) Result() Result {
	r := Result{Summary: w.s.summary, Snippet: w.s.snippet}
	if w.s.mappingPath != "" && w.cur > stepMap {
		r.Mapping = w.s.mappingPath
		if w.s.loaded != nil {
			r.Replay = replayCommand(w.s)
		}
	}
	return r
}

// Run runs the wizard on the terminal until it ends.
func Run(ctx context.Context, o Options) (Result, error) {
	w := New(ctx, o)
	opts := []tea.ProgramOption{tea.WithContext(ctx), tea.WithAltScreen()}
	if o.In != nil {
		opts = append(opts, tea.WithInput(o.In))
	}
	if o.Out != nil {
		opts = append(opts, tea.WithOutput(o.Out))
	}
	opts = append(opts, o.ProgramOptions...)
	m, err := tea.NewProgram(w, opts...).Run()
	if fw, ok := m.(*Wizard); ok {
		w = fw
	}
	for _, c := range w.s.closers {
		c()
	}
	res := w.Result()
	if err != nil {
		if errors.Is(err, tea.ErrProgramKilled) || errors.Is(err, context.Canceled) {
			return res, context.Canceled
		}
		return res, err
	}
	if w.quitting {
		return res, ErrAborted
	}
	return res, nil
}

// replayCommand is the headless command that repeats this migration.
func replayCommand(s *session) string {
	parts := "authgear-migrate replay --mapping " + importer.ShellQuote(s.mappingPath) +
		" --input " + importer.ShellQuote(s.loaded.input)
	return parts
}

// defaultMappingPath is INPUT-NAME.mapping.yaml in the current folder.
func defaultMappingPath(input string) string {
	return importer.DefaultMapping(input)
}
