// Package steps is the wizard: five steps (load, map, preview, import,
// middleware) over the engine's one run, each a small model with its own
// Update and View, and the state machine that moves between them by
// messages. All slow work runs in tea.Cmds; the engine is reached only
// through package importer.
package steps

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"strings"

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
	// RunErr is the import's error (a refusal, a stop), and Problem what
	// the wizard said of it, in its words.
	RunErr  error
	Problem string
	Snippet string // the middleware written, if any
	Replay  string // the replay command that repeats the migration
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

// step is one screen of the wizard. The optional behaviours have defaults
// in stepBase, which every step embeds.
type step interface {
	Init() tea.Cmd
	Update(tea.Msg) (step, tea.Cmd)
	View() string
	help.KeyMap
	// Busy steps (a running import) are never left with esc or quit.
	Busy() bool
	// Typing: a text field has the focus (keys type into it).
	Typing() bool
	// backTo is the step esc goes back to (stepPrev: the one before), and
	// false when going back is not allowed (a finished import).
	backTo() (stepID, bool)
	// leave tells a step that it is left (a preview stops its dry run).
	leave()
}

// stepPrev, as a step to go back to, is the step before.
const stepPrev stepID = -1

// stepBase is the default of a step's optional behaviours.
type stepBase struct{}

func (stepBase) Typing() bool           { return false }
func (stepBase) backTo() (stepID, bool) { return stepPrev, true }
func (stepBase) leave()                 {}

// Messages between the steps and the wizard.
type (
	nextMsg struct{}
	backMsg struct{}
	// quitCheckedMsg says whether quitting now loses edits (the mapping
	// differs from the file it is saved in).
	quitCheckedMsg struct{ unsaved bool }
)

func next() tea.Msg { return nextMsg{} }
func back() tea.Msg { return backMsg{} }

// ownedMsg is a message of background work: it goes to the step that
// started the work (its owner), whichever step is on screen.
type ownedMsg interface{ runID() int }

// session is what the steps share: the file, the mapping, the run.
type session struct {
	ctx     context.Context
	opts    Options
	loaded  *loaded
	mapping *importer.Mapping
	// mappingPath is where the mapping is saved (given, or the default).
	mappingPath  string
	mappingGiven bool
	// baseline is the mapping the map step opened with: edits are what
	// differs from it (or from the saved file).
	baseline *importer.Mapping
	summary  *importer.RunSummary
	// runErr is the import's error, and problem what the import step
	// said of it (printed again after the wizard).
	runErr  error
	problem string
	// rehearsal: the import went to the in-process sandbox.
	rehearsal bool
	// canaryLogin is the login ID the import's canary signed in as.
	canaryLogin string
	preview     *importer.RunSummary // the preview's dry run
	endpoint    string
	snippet     string
	// closers end what outlives a step (the sandbox, kept for verify).
	closers []func()
	// runs numbers the engine runs, so that a step left and entered again
	// never takes an earlier run's messages for its own; owners says which
	// step started each (active is the step being updated).
	runs   int
	owners map[int]stepID
	active stepID
}

// nextRunID numbers a new run of background work, owned by the step that
// asks for it.
func (s *session) nextRunID() int {
	s.runs++
	if s.owners == nil {
		s.owners = map[int]stepID{}
	}
	s.owners[s.runs] = s.active
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
	// askQuit: quitting would lose edits; the wizard asks first.
	askQuit bool
	keys    wizardKeys
	err     error
}

// wizardKeys are the wizard's own bindings beside the steps' and ui's.
type wizardKeys struct {
	// QuitQ quits where nothing is being typed.
	QuitQ    key.Binding
	Yes, No  key.Binding
	Question key.Binding // the help line of a y/n question
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
	w := &Wizard{c: c, s: s, help: help.New(), keys: wizardKeys{
		QuitQ:    key.NewBinding(key.WithKeys("q"), key.WithHelp("q", "quit")),
		Yes:      key.NewBinding(key.WithKeys("y", "Y"), key.WithHelp("y", "yes")),
		No:       key.NewBinding(key.WithKeys("n", "N", "esc"), key.WithHelp("n/esc", "no")),
		Question: key.NewBinding(key.WithKeys("y", "n"), key.WithHelp("y/n", "answer")),
	}}
	w.help.Styles.ShortKey = c.Styles.Key
	w.help.Styles.FullKey = c.Styles.Key
	w.help.Styles.ShortDesc = c.Styles.Muted
	w.help.Styles.FullDesc = c.Styles.Muted
	w.steps[stepLoad] = newLoad(c, s)
	return w
}

// Init starts the first step.
func (w *Wizard) Init() tea.Cmd { return w.steps[w.cur].Init() }

// Update routes a message: global concerns first, then the active step;
// a message of background work goes to the step that started it.
func (w *Wizard) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	if om, ok := msg.(ownedMsg); ok {
		if owner, ok := w.s.owners[om.runID()]; ok && owner != w.cur && w.steps[owner] != nil {
			w.s.active = owner
			var cmd tea.Cmd
			w.steps[owner], cmd = w.steps[owner].Update(msg)
			w.s.active = w.cur
			return w, cmd
		}
	}
	if fm, ok := msg.(interface{ forStep() stepID }); ok {
		// Background work of a step (the load step's count of a large
		// file) reports to that step even after the person moved on:
		// the step re-arms its channel, else the goroutine would wait
		// forever.
		if id := fm.forStep(); id != w.cur && w.steps[id] != nil {
			w.s.active = id
			var cmd tea.Cmd
			w.steps[id], cmd = w.steps[id].Update(msg)
			w.s.active = w.cur
			return w, cmd
		}
	}
	w.s.active = w.cur
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		w.c.Width, w.c.Height = msg.Width, msg.Height
	case quitCheckedMsg:
		if !msg.unsaved {
			w.quitting = true
			return w, tea.Quit
		}
		w.askQuit = true
		return w, nil
	case tea.KeyMsg:
		if w.askQuit {
			// The question has the focus: y quits, anything else stays.
			w.askQuit = false
			if key.Matches(msg, w.keys.Yes) {
				w.quitting = true
				return w, tea.Quit
			}
			return w, nil
		}
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
		case key.Matches(msg, w.c.Keys.Quit) && !w.steps[w.cur].Busy(),
			key.Matches(msg, w.keys.QuitQ) && !w.steps[w.cur].Busy() && !w.typing():
			return w, w.quit()
		case key.Matches(msg, w.c.Keys.Help) && !typingSecret(w.steps[w.cur]):
			// "?" is the help key everywhere: it never types into a field,
			// except a password's (signin.go), where any character may be.
			w.fullHelp = !w.fullHelp
			return w, nil
		}
	case nextMsg:
		return w, w.advance()
	case backMsg:
		st := w.steps[w.cur]
		to, ok := st.backTo()
		if to == stepPrev {
			to = w.cur - 1
		}
		if w.cur > stepLoad && !st.Busy() && ok && to >= stepLoad && to < w.cur && w.steps[to] != nil {
			st.leave()
			w.cur = to
			w.s.active = to
			w.fullHelp = false
		}
		return w, nil
	}
	var cmd tea.Cmd
	w.steps[w.cur], cmd = w.steps[w.cur].Update(msg)
	return w, cmd
}

// typing reports whether the active step has a text field focused (so
// that q types a letter).
func (w *Wizard) typing() bool { return w.steps[w.cur].Typing() }

// quit ends the wizard, after asking when edits of the mapping would be
// lost: whether they would is read from the saved file in a command.
func (w *Wizard) quit() tea.Cmd {
	if w.cur == stepLoad || w.cur > stepPreview || w.s.mapping == nil || w.s.mappingPath == "" {
		w.quitting = true
		return tea.Quit
	}
	mp, path, base := cloneMapping(w.s.mapping), w.s.mappingPath, w.s.baseline
	return func() tea.Msg { return quitCheckedMsg{unsaved: unsavedMapping(mp, path, base)} }
}

// unsavedMapping reports whether mp holds edits that quitting would lose:
// it differs from the mapping saved at path or, when none is saved there,
// from base (what the map step opened with).
func unsavedMapping(mp *importer.Mapping, path string, base *importer.Mapping) bool {
	saved, err := importer.ReadMappingFile(path)
	if err != nil {
		saved = base
	}
	if saved == nil {
		return true
	}
	var a, b bytes.Buffer
	if mp.Write(&a) != nil || saved.Write(&b) != nil {
		return true
	}
	return !bytes.Equal(a.Bytes(), b.Bytes())
}

// advance moves to the next step, building it from the session.
func (w *Wizard) advance() tea.Cmd {
	if w.cur == stepMiddleware {
		return tea.Quit
	}
	w.cur++
	w.s.active = w.cur
	w.fullHelp = false
	switch w.cur {
	case stepMap:
		w.s.baseline = cloneMapping(w.s.mapping)
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
	status := ""
	var km help.KeyMap = helpKeys{st, w.c.Keys, &w.keys, w.cur}
	if w.askQuit {
		status = w.c.Styles.Warn.Render(lipgloss.NewStyle().Width(max(w.c.Width, 20)).Render(
			"Quit? The mapping's edits are not saved and would be lost. y quits, n stays."))
		km = questionKeys{&w.keys}
	}
	return w.c.Frame(int(w.cur), st.View(), status, w.help, km, w.fullHelp)
}

// helpKeys adds the global bindings to a step's.
type helpKeys struct {
	st  step
	g   *ui.KeyMap
	w   *wizardKeys
	cur stepID
}

// ShortHelp is the step's main keys and "?"; going back and quitting are
// in the full help.
func (h helpKeys) ShortHelp() []key.Binding {
	if typingSecret(h.st) {
		return h.st.ShortHelp() // "?" types into the field
	}
	return append(h.st.ShortHelp(), h.g.Help)
}

// typingSecret reports whether st has a password field focused: every
// key that types, "?" included, goes to it.
func typingSecret(st step) bool {
	s, ok := st.(interface{ TypingSecret() bool })
	return ok && s.TypingSecret()
}

func (h helpKeys) FullHelp() [][]key.Binding {
	var global []key.Binding
	if _, ok := h.st.backTo(); h.cur > stepLoad && !h.st.Busy() && ok {
		global = append(global, h.g.Back)
	}
	if !typingSecret(h.st) {
		global = append(global, h.g.Help)
	}
	if !h.st.Busy() {
		global = append(global, h.g.Quit)
		if !h.st.Typing() {
			global = append(global, h.w.QuitQ)
		}
	}
	return append(h.st.FullHelp(), global)
}

// questionKeys are the keys of a y/n question, which has the focus.
type questionKeys struct{ w *wizardKeys }

func (q questionKeys) ShortHelp() []key.Binding  { return []key.Binding{q.w.Yes, q.w.No} }
func (q questionKeys) FullHelp() [][]key.Binding { return [][]key.Binding{q.ShortHelp()} }

// Result is what the wizard did.
func (w *Wizard) Result() Result {
	r := Result{Summary: w.s.summary, Snippet: w.s.snippet, RunErr: w.s.runErr, Problem: w.s.problem}
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
	if s.rehearsal {
		// The same project as the wizard's rehearsal (rehearsalProject).
		p := rehearsalProject
		parts += " --sandbox --sandbox-login-ids " + strings.Join(p.LoginIDTypes, ",") +
			" --sandbox-roles " + importer.ShellQuote(strings.Join(p.Roles, ",")) +
			" --sandbox-groups " + importer.ShellQuote(strings.Join(p.Groups, ","))
	}
	if s.canaryLogin != "" {
		parts += " --canary-sign-in " + importer.ShellQuote(s.canaryLogin)
	}
	return parts
}

// defaultMappingPath is INPUT-NAME.mapping.yaml in the current folder.
func defaultMappingPath(input string) string {
	return importer.DefaultMapping(input)
}
