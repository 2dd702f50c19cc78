package steps

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/charmbracelet/bubbles/filepicker"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/authgear-migrate/authgear-migrate/importer"
	"github.com/authgear-migrate/authgear-migrate/ui"
)

// loaded is an export opened and understood: what the later steps start
// from.
type loaded struct {
	input      string
	format     importer.Format
	delimiter  rune
	preset     string
	confidence int
	columns    []string
	viewer     *importer.Viewer
	sample     []*importer.Row
	notes      []string
	mapping    *importer.Mapping
	// count is the number of records, once counted (-1 until then);
	// counting is how many so far.
	count    int
	counting int
}

type (
	loadedMsg struct {
		l            *loaded
		mappingPath  string
		mappingGiven bool
	}
	loadErrMsg struct{ err error }
	countedMsg struct {
		input string
		n     int
		err   error
	}
	exampleMsg struct{ input, mapping string }
)

type loadKeys struct {
	Open    key.Binding
	Example key.Binding
	Picker  key.Binding
	Next    key.Binding
}

type loadStep struct {
	stepBase
	c       *ui.Common
	s       *session
	keys    loadKeys
	path    textinput.Model
	picker  filepicker.Model
	picking bool
	busy    bool
	err     error
}

func newLoad(c *ui.Common, s *session) *loadStep {
	ti := textinput.New()
	ti.Placeholder = "users.csv"
	ti.Prompt = "export file: "
	ti.ShowSuggestions = true
	files := exportFiles(".")
	ti.SetSuggestions(files)
	if len(files) == 1 {
		// The one export here is what Enter opens.
		ti.SetValue(files[0])
		ti.CursorEnd()
	}
	ti.Focus()
	fp := filepicker.New()
	fp.AllowedTypes = []string{".csv", ".json", ".ndjson", ".jsonl", ".txt", ".tsv"}
	fp.CurrentDirectory, _ = os.Getwd()
	return &loadStep{c: c, s: s, path: ti, picker: fp, keys: loadKeys{
		Open:    ui.Binding([]string{"enter"}, "enter", "open"),
		Example: ui.Binding([]string{"ctrl+e"}, "ctrl+e", "try the example"),
		Picker:  ui.Binding([]string{"ctrl+o"}, "ctrl+o", "browse files"),
		Next:    ui.Binding([]string{"enter"}, "enter", "accept & map"),
	}}
}

// exportFiles lists the files in dir that look like exports, for
// completion.
func exportFiles(dir string) []string {
	ents, _ := os.ReadDir(dir)
	var out []string
	for _, e := range ents {
		switch strings.ToLower(filepath.Ext(e.Name())) {
		case ".csv", ".json", ".ndjson", ".jsonl", ".tsv":
			if !e.IsDir() && !strings.Contains(e.Name(), ".report.") && !strings.Contains(e.Name(), ".retry.") {
				out = append(out, e.Name())
			}
		}
	}
	sort.Strings(out)
	return out
}

func (l *loadStep) Init() tea.Cmd {
	cmds := []tea.Cmd{textinput.Blink}
	if in := l.s.opts.Input; in != "" && l.s.loaded == nil {
		l.path.SetValue(in)
		l.busy = true
		cmds = append(cmds, loadCmd(l.s, in, l.s.opts.Mapping))
	}
	return tea.Batch(cmds...)
}

func (l *loadStep) Busy() bool   { return false }
func (l *loadStep) Typing() bool { return !l.picking && l.s.loaded == nil }

func (l *loadStep) ShortHelp() []key.Binding {
	if l.s.loaded != nil {
		return []key.Binding{l.keys.Next, l.keys.Picker}
	}
	return []key.Binding{l.keys.Open, l.keys.Example, l.keys.Picker}
}

func (l *loadStep) FullHelp() [][]key.Binding { return [][]key.Binding{l.ShortHelp()} }

func (l *loadStep) Update(msg tea.Msg) (step, tea.Cmd) {
	switch msg := msg.(type) {
	case loadedMsg:
		l.busy, l.err = false, nil
		l.s.loaded = msg.l
		l.s.mapping = msg.l.mapping
		l.s.mappingPath, l.s.mappingGiven = msg.mappingPath, msg.mappingGiven
		l.path.Blur()
		return l, countCmd(l.s, msg.l)
	case loadErrMsg:
		l.busy, l.err = false, msg.err
		return l, nil
	case exampleMsg:
		l.path.SetValue(msg.input)
		l.busy = true
		return l, loadCmd(l.s, msg.input, msg.mapping)
	case countingMsg:
		if l.s.loaded != nil && l.s.loaded.input == msg.input {
			l.s.loaded.counting = msg.n
		}
		return l, waitFor(msg.ch)
	case countedMsg:
		if l.s.loaded != nil && l.s.loaded.input == msg.input {
			l.s.loaded.count = msg.n
			if msg.err != nil {
				// Broken past the first rows: nothing after that point
				// could be imported, so the file is not taken.
				l.err = msg.err
			}
		}
		return l, nil
	case tea.KeyMsg:
		if l.picking {
			if msg.String() == "esc" {
				l.picking = false
				return l, nil
			}
			break
		}
		switch {
		case key.Matches(msg, l.keys.Picker):
			l.picking = true
			l.picker.Height = max(l.c.Height-8, 5)
			return l, l.picker.Init()
		case key.Matches(msg, l.keys.Example) && l.s.opts.Example != nil:
			l.busy = true
			return l, exampleCmd(l.s)
		case key.Matches(msg, l.keys.Open):
			if l.s.loaded != nil && l.s.loaded.input == l.path.Value() && l.err == nil {
				return l, next
			}
			p := strings.TrimSpace(l.path.Value())
			if p == "" {
				l.err = fmt.Errorf("type the path of an export, or press ctrl+e to try the example")
				return l, nil
			}
			l.busy = true
			l.s.loaded = nil
			return l, loadCmd(l.s, p, "")
		}
		if l.s.loaded != nil && msg.Type == tea.KeyRunes || msg.Type == tea.KeyBackspace {
			// Typing another path starts over.
			l.s.loaded = nil
			l.path.Focus()
		}
	}
	if l.picking {
		var cmd tea.Cmd
		l.picker, cmd = l.picker.Update(msg)
		if ok, p := l.picker.DidSelectFile(msg); ok {
			l.picking = false
			l.path.SetValue(p)
			l.busy = true
			l.s.loaded = nil
			return l, loadCmd(l.s, p, "")
		}
		return l, cmd
	}
	var cmd tea.Cmd
	l.path, cmd = l.path.Update(msg)
	return l, cmd
}

// loadCmd opens the export, detects its system and suggests a mapping (or
// reads the given one), keeping the first rows.
func loadCmd(s *session, input, mappingPath string) tea.Cmd {
	return func() tea.Msg {
		l, err := load(s, input, mappingPath)
		if err != nil {
			return loadErrMsg{err}
		}
		mp, given := mappingPath, mappingPath != ""
		if !given {
			mp = defaultMappingPath(input)
		}
		return loadedMsg{l: l, mappingPath: mp, mappingGiven: given}
	}
}

func load(s *session, input, mappingPath string) (*loaded, error) {
	st, err := os.Stat(input)
	if err != nil {
		if os.IsNotExist(err) {
			return nil, fmt.Errorf("%s: no such file", input)
		}
		return nil, err
	}
	if st.IsDir() {
		return nil, fmt.Errorf("%s is a folder: choose an export file in it", input)
	}
	l := &loaded{input: input, count: -1}
	var m *importer.Mapping
	if mappingPath != "" {
		if m, err = importer.ReadMappingFile(mappingPath); err != nil {
			return nil, err
		}
	} else {
		src, err := importer.OpenContext(s.ctx, input, importer.SourceOptions{})
		if err != nil {
			return nil, err
		}
		p, score := importer.DetectPreset(src)
		l.confidence = score
		var rep *importer.SuggestReport
		m, rep, err = importer.SuggestMapping(src, importer.SuggestOptions{})
		src.Close()
		if err != nil {
			return nil, err
		}
		if p != nil {
			l.preset = p.Name
		}
		if rep != nil {
			l.notes = rep.Notes
		}
	}
	if l.preset == "" {
		l.preset = m.Preset
	}
	src, err := importer.OpenInputContext(s.ctx, input, m)
	if err != nil {
		return nil, err
	}
	defer src.Close()
	if err := importer.CheckUserExport(src); err != nil {
		return nil, err
	}
	if _, err := importer.CompileFor(m, src); err != nil {
		if mappingPath == "" {
			return nil, fmt.Errorf("%s: no mapping could be suggested (%w): is it a user export?", input, err)
		}
		return nil, fmt.Errorf("%s does not fit %s: %w", mappingPath, input, err)
	}
	l.format, l.delimiter, l.columns = src.Format(), src.Delimiter(), src.Columns()
	l.viewer = importer.NewViewer(src)
	l.sample = src.Sample()
	if len(l.sample) > 200 {
		l.sample = l.sample[:200]
	}
	l.mapping = m
	return l, nil
}

// countingMsg is the count so far of a large file.
type countingMsg struct {
	input string
	n     int
	ch    <-chan tea.Msg
}

// countCmd counts the records in the background; the count so far comes
// in every 100,000 records.
func countCmd(s *session, l *loaded) tea.Cmd {
	ch := make(chan tea.Msg, 4)
	go func() {
		defer close(ch)
		n, err := importer.CountRecordsProgress(s.ctx, l.input, l.mapping, 100_000, func(n int) {
			select {
			case ch <- countingMsg{input: l.input, n: n, ch: ch}:
			default:
			}
		})
		if err != nil && s.ctx.Err() != nil {
			return
		}
		ch <- countedMsg{input: l.input, n: n, err: err}
	}()
	return waitFor(ch)
}

func exampleCmd(s *session) tea.Cmd {
	return func() tea.Msg {
		in, m, err := s.opts.Example()
		if err != nil {
			return loadErrMsg{err}
		}
		return exampleMsg{in, m}
	}
}

func (l *loadStep) View() string {
	st := l.c.Styles
	var b strings.Builder
	b.WriteString(st.Title.Render("Load an export") + "\n")
	if l.picking {
		b.WriteString(st.Muted.Render("choose a file (enter), esc to type a path") + "\n")
		b.WriteString(l.picker.View())
		return b.String()
	}
	b.WriteString(l.path.View() + "\n")
	switch {
	case l.busy:
		b.WriteString(st.Muted.Render("reading…") + "\n")
	case l.err != nil && l.s.loaded == nil:
		b.WriteString(st.ErrorBox.Width(max(l.c.Width-4, 20)).Render(importer.PrintableLines(l.err.Error())) + "\n")
	case l.s.loaded == nil:
		b.WriteString(st.Muted.Render("CSV (any delimiter), a JSON array or NDJSON. Exports of Auth0,\nFirebase, Supabase, Clerk, Cognito, Keycloak, Django and others are\nrecognised. tab completes a name; ctrl+e tries the bundled example.") + "\n")
	}
	if ld := l.s.loaded; ld != nil && !l.busy {
		if l.err != nil {
			b.WriteString(st.ErrorBox.Width(max(l.c.Width-4, 20)).Render(importer.PrintableLines(l.err.Error())) + "\n")
		}
		b.WriteString(l.summary(ld))
	}
	return b.String()
}

func (l *loadStep) summary(ld *loaded) string {
	st := l.c.Styles
	var b strings.Builder
	format := string(ld.format)
	if ld.format == importer.FormatCSV {
		format += fmt.Sprintf(", delimiter %q", ld.delimiter)
	}
	count := st.Muted.Render("counting…")
	if ld.counting > 0 {
		count = st.Muted.Render(fmt.Sprintf("counting… %d", ld.counting))
	}
	if ld.count >= 0 {
		count = fmt.Sprintf("%d records", ld.count)
	}
	sure := "detected"
	if ld.confidence > 0 && ld.preset != "generic" {
		sure = fmt.Sprintf("detected, score %d", ld.confidence)
	} else if ld.preset == "generic" {
		sure = "no known system: by column names"
	}
	fmt.Fprintf(&b, "%s  ·  %s  ·  %s (%s)\n", format, count, st.Selected.Render(ld.preset), sure)
	b.WriteString(l.table(ld))
	return b.String()
}

// table shows the first rows under the first columns that fit.
func (l *loadStep) table(ld *loaded) string {
	st := l.c.Styles
	width := l.c.Width - 2
	rows := min(len(ld.sample), max(l.c.Height-10, 1))
	var cols []string
	var widths []int
	used := 0
	for _, c := range ld.columns {
		w := min(max(lipgloss.Width(c), 6), 24)
		for _, r := range ld.sample[:rows] {
			w = max(w, min(lipgloss.Width(importer.Printable(ld.viewer.Value(r, c))), 24))
		}
		if used+w+2 > width {
			break
		}
		cols, widths, used = append(cols, c), append(widths, w), used+w+2
	}
	var b strings.Builder
	line := func(cells []string, style lipgloss.Style) {
		var parts []string
		for i, c := range cells {
			parts = append(parts, style.Render(pad(ui.Truncate(c, widths[i]), widths[i])))
		}
		b.WriteString(strings.Join(parts, "  ") + "\n")
	}
	line(cols, st.Key)
	for _, r := range ld.sample[:rows] {
		cells := make([]string, len(cols))
		for i, c := range cols {
			cells[i] = importer.Printable(ld.viewer.Value(r, c))
		}
		line(cells, st.Code)
	}
	if more := len(ld.columns) - len(cols); more > 0 {
		b.WriteString(st.Muted.Render(fmt.Sprintf("… and %d more %s", more, plural(more, "column", "columns"))) + "\n")
	}
	return b.String()
}

func pad(s string, w int) string {
	if n := w - lipgloss.Width(s); n > 0 {
		return s + strings.Repeat(" ", n)
	}
	return s
}
