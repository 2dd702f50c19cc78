package steps

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
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
	// suggested is the engine's suggestion (a field is reset to it);
	// doc is the saved mapping document the mapping was read from (saving
	// writes back only what was edited), saved its file when it was found
	// beside the input rather than given.
	suggested *importer.Mapping
	doc       *importer.MappingDocument
	saved     string
	// passwords is the password export joined to the input (Auth0), joins
	// the names of joined values and secret the columns masked on screen.
	passwords string
	joins     []string
	secret    map[string]bool
	// unmask shows the secrets (m); noIdentifier: no column was
	// recognised as the identifier.
	unmask       bool
	noIdentifier bool
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
	// loadReq is what is loaded: the input, a given mapping, a password
	// export to join, and whether a saved mapping is passed over.
	loadReq struct {
		input, mapping, passwords string
		fresh                     bool
		// recordsKey is the array of a JSON export's top-level object
		// chosen to read (records.go), "" for the engine's choice.
		recordsKey string
	}
	countedMsg struct {
		l   *loaded
		n   int
		err error
	}
	exampleMsg struct{ input, mapping string }
)

type loadKeys struct {
	Open      key.Binding
	Example   key.Binding
	Picker    key.Binding
	Next      key.Binding
	Passwords key.Binding
	Fresh     key.Binding
	Choose    key.Binding
	Cancel    key.Binding
	Complete  key.Binding
	Unmask    key.Binding
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
	// complete offers the names of the folder typed (paths.go).
	complete *pathCompleter
	// chosen is the file last picked or loaded, as it is (the field shows
	// it printable); pwInput asks for a password export to join.
	chosen  string
	pwInput *textinput.Model
	req     loadReq
	// records asks which array of a JSON export holds the users.
	records *recordsChoice
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
	return &loadStep{c: c, s: s, path: ti, picker: fp, complete: newPathCompleter(), keys: loadKeys{
		Open:      ui.Binding([]string{"enter"}, "enter", "open"),
		Example:   ui.Binding([]string{"ctrl+e"}, "ctrl+e", "try the example"),
		Picker:    ui.Binding([]string{"ctrl+o"}, "ctrl+o", "browse files"),
		Next:      ui.Binding([]string{"enter"}, "enter", "accept & map"),
		Passwords: ui.Binding([]string{"ctrl+p"}, "ctrl+p", "join passwords"),
		Fresh:     ui.Binding([]string{"ctrl+r"}, "ctrl+r", "saved/fresh mapping"),
		Choose:    ui.Binding([]string{"enter"}, "enter", "choose"),
		Cancel:    ui.Binding([]string{"esc"}, "esc", "cancel"),
		Complete:  ui.Binding([]string{"tab"}, "tab", "complete"),
		Unmask:    ui.UnmaskKey,
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
			if !e.IsDir() && !importer.IsOwnOutput(e.Name()) && !strings.HasPrefix(e.Name(), ".") && importer.Printable(e.Name()) == e.Name() {
				out = append(out, e.Name())
			}
		}
	}
	sort.Strings(out)
	return out
}

func (l *loadStep) Init() tea.Cmd {
	cmds := []tea.Cmd{textinput.Blink, l.complete.update(&l.path)}
	if in := l.s.opts.Input; in != "" && l.s.loaded == nil {
		l.setPath(in)
		l.busy = true
		cmds = append(cmds, l.loadCmd(loadReq{input: in, mapping: l.s.opts.Mapping}))
	}
	return tea.Batch(cmds...)
}

func (l *loadStep) Busy() bool { return false }
func (l *loadStep) Typing() bool {
	return l.pwInput != nil || l.records != nil || !l.picking && l.s.loaded == nil
}

// setPath shows p in the field, printable; chosen keeps it as it is.
func (l *loadStep) setPath(p string) {
	l.chosen = p
	l.path.SetValue(importer.Printable(p))
	l.path.CursorEnd()
}

// typedPath is the path in the field: the file chosen when the field
// still shows it.
func (l *loadStep) typedPath() string {
	v := l.path.Value()
	if l.chosen != "" && v == importer.Printable(l.chosen) {
		return l.chosen
	}
	return parsePath(v, l.complete.home)
}

func (l *loadStep) ShortHelp() []key.Binding {
	switch {
	case l.records != nil:
		return l.recordsKeys()
	case l.pwInput != nil:
		return []key.Binding{l.keys.Choose, l.keys.Complete, l.keys.Cancel}
	case l.picking:
		return []key.Binding{l.keys.Choose, ui.Binding([]string{"up", "down"}, "↑/↓", "move"), ui.Binding([]string{"esc"}, "esc", "type a path")}
	case l.s.loaded != nil:
		ks := []key.Binding{l.keys.Next}
		if len(l.s.loaded.secret) > 0 {
			ks = append(ks, l.keys.Unmask)
		}
		if l.s.loaded.saved != "" || l.req.fresh {
			ks = append(ks, l.keys.Fresh)
		}
		if l.s.loaded.mapping.Source.Passwords == nil {
			ks = append(ks, l.keys.Passwords)
		}
		return append(ks, l.keys.Picker)
	}
	return []key.Binding{l.keys.Open, l.keys.Complete, l.keys.Example, l.keys.Picker}
}

func (l *loadStep) FullHelp() [][]key.Binding {
	// The short help already names every key that works here; ctrl+p
	// also joins another password export over one joined already.
	if l.s.loaded != nil && l.pwInput == nil && l.records == nil && !l.picking && l.s.loaded.mapping.Source.Passwords != nil {
		return [][]key.Binding{l.ShortHelp(), {l.keys.Passwords}}
	}
	return [][]key.Binding{l.ShortHelp()}
}

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
		if ke := recordsKeyError(msg.err); ke != nil && l.req.recordsKey == "" {
			// Several arrays and none clearly the users: the person
			// chooses (map's --records-key).
			l.err = nil
			l.records = newRecordsChoice(l.req.input, l.req, ke)
		}
		return l, nil
	case pathsMsg:
		l.complete.apply(&l.path, msg)
		return l, nil
	case exampleMsg:
		l.setPath(msg.input)
		l.busy = true
		return l, l.loadCmd(loadReq{input: msg.input, mapping: msg.mapping})
	case countingMsg:
		// It comes here even after the person moved on (forStep).
		if l.s.loaded == msg.l {
			l.s.loaded.counting = msg.n
		}
		return l, waitFor(msg.ch)
	case countedMsg:
		if l.s.loaded == msg.l {
			l.s.loaded.count = msg.n
			if msg.err != nil {
				// Broken past the first rows: nothing after that point
				// could be imported, so the file is not taken.
				l.err = msg.err
			}
		}
		return l, nil
	case tea.KeyMsg:
		if l.records != nil {
			return l.updateRecords(msg)
		}
		if l.pwInput != nil {
			switch {
			case key.Matches(msg, l.keys.Cancel):
				l.pwInput = nil
				return l, nil
			case key.Matches(msg, l.keys.Choose):
				p := strings.TrimSpace(l.pwInput.Value())
				l.pwInput = nil
				if p == "" || l.s.loaded == nil {
					return l, nil
				}
				r := l.req
				r.passwords = p
				l.busy = true
				return l, l.loadCmd(r)
			}
			var cmd tea.Cmd
			*l.pwInput, cmd = l.pwInput.Update(msg)
			return l, cmd
		}
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
		case key.Matches(msg, l.keys.Passwords) && l.s.loaded != nil && !l.busy:
			ti := textinput.New()
			ti.Prompt = "password export: "
			ti.Placeholder = "auth0-password-hashes.ndjson"
			ti.ShowSuggestions = true
			dir := filepath.Dir(l.s.loaded.input)
			var sugg []string
			for _, f := range exportFiles(dir) {
				if p := filepath.Join(dir, f); p != filepath.Clean(l.s.loaded.input) {
					sugg = append(sugg, p)
				}
			}
			ti.SetSuggestions(sugg)
			if c := passwordCandidate(sugg); l.s.loaded.passwords != "" {
				ti.SetValue(l.s.loaded.passwords)
			} else if c != "" {
				ti.SetValue(c)
			}
			ti.CursorEnd()
			ti.Focus()
			l.pwInput = &ti
			return l, textinput.Blink
		case key.Matches(msg, l.keys.Fresh) && l.s.loaded != nil && !l.busy && (l.s.loaded.saved != "" || l.req.fresh):
			r := l.req
			r.fresh = !r.fresh
			l.busy = true
			return l, l.loadCmd(r)
		case key.Matches(msg, l.keys.Unmask) && l.s.loaded != nil:
			l.s.loaded.unmask = !l.s.loaded.unmask
			return l, nil
		case key.Matches(msg, l.keys.Open):
			p := l.typedPath()
			if l.s.loaded != nil && l.s.loaded.input == p && l.err == nil {
				return l, next
			}
			if p == "" {
				l.err = fmt.Errorf("type the path of an export, or press ctrl+e to try the example")
				return l, nil
			}
			l.busy = true
			l.s.loaded = nil
			return l, l.loadCmd(loadReq{input: p})
		}
		if l.s.loaded != nil && (msg.Type == tea.KeyRunes || msg.Type == tea.KeyBackspace) {
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
			l.setPath(p)
			l.busy = true
			l.s.loaded = nil
			return l, l.loadCmd(loadReq{input: p})
		}
		return l, cmd
	}
	var cmd tea.Cmd
	l.path, cmd = l.path.Update(msg)
	return l, tea.Batch(cmd, l.complete.update(&l.path))
}

// passwordCandidate is the one file among files whose name says it holds
// passwords, if there is exactly one.
func passwordCandidate(files []string) string {
	var found []string
	for _, f := range files {
		if strings.Contains(strings.ToLower(filepath.Base(f)), "password") {
			found = append(found, f)
		}
	}
	if len(found) == 1 {
		return found[0]
	}
	return ""
}

// loadCmd opens the export, detects its system and suggests a mapping,
// reads the given one or the one saved for it, keeping the first rows.
func (l *loadStep) loadCmd(r loadReq) tea.Cmd {
	l.req = r
	s := l.s
	return func() tea.Msg {
		ld, err := load(s, r)
		if err != nil {
			return loadErrMsg{err}
		}
		mp, given := r.mapping, r.mapping != ""
		if !given {
			mp = defaultMappingPath(r.input)
			given = ld.saved != ""
		}
		return loadedMsg{l: ld, mappingPath: mp, mappingGiven: given}
	}
}

func load(s *session, r loadReq) (*loaded, error) {
	input, mappingPath := r.input, r.mapping
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
	l := &loaded{input: input, count: -1, passwords: r.passwords}
	// The engine's suggestion: the mapping when none was saved, the notes,
	// and what a field is reset to. With a mapping given, it is only an
	// aid: a file it cannot read is the mapping's to read.
	if r.recordsKey == "" && !r.fresh {
		// The array a given or saved mapping names is read (chosen
		// before, here or with map --records-key).
		r.recordsKey = savedRecordsKey(input, mappingPath)
	}
	sugg, rep, p, score, serr := suggest(s, input, r.passwords, r.recordsKey)
	if serr != nil && mappingPath == "" {
		return nil, serr
	}
	l.confidence = score
	if p != nil {
		l.preset = p.Name
	}
	if rep != nil {
		l.notes = make([]string, len(rep.Notes))
		for i, n := range rep.Notes {
			// What a note advises, in the wizard's keys.
			l.notes[i] = n + noteRemedy(rep.NoteRemedy[n])
		}
	}
	l.suggested = sugg
	var m *importer.Mapping
	switch {
	case mappingPath != "":
		if l.doc, err = importer.ReadMappingDocument(mappingPath); err != nil {
			return nil, err
		}
		m = l.doc.Mapping
	default:
		saved := defaultMappingPath(input)
		if _, err := os.Stat(saved); err == nil && !r.fresh {
			doc, err := importer.ReadMappingDocument(saved)
			if err == nil {
				if doc.Mapping.Source.RecordsKey == "" {
					doc.Mapping.Source.RecordsKey = r.recordsKey
				}
				err = fits(s, input, doc.Mapping)
			}
			if err != nil {
				l.notes = append([]string{fmt.Sprintf("the saved mapping %s is not used (%v): this is a fresh suggestion, and saving asks before replacing that file", saved, err)}, l.notes...)
			} else {
				l.doc, l.saved, m = doc, saved, doc.Mapping
			}
		}
		if m == nil {
			m = cloneMapping(sugg)
		}
	}
	if r.passwords != "" && m.Source.Passwords == nil && sugg != nil && sugg.Source.Passwords != nil {
		// A password export joined to a saved mapping: its join, and the
		// password field when the mapping has none.
		j := *sugg.Source.Passwords
		m.Source.Passwords = &j
		if _, ok := m.Fields["password.password_hash"]; !ok {
			if f := sugg.Fields["password.password_hash"]; f != nil {
				fc := *f
				m.Fields["password.password_hash"] = &fc
			}
		}
	} else if r.passwords != "" && m.Source.Passwords != nil {
		m.Source.Passwords.File = r.passwords
	}
	if m.Source.RecordsKey == "" && r.recordsKey != "" {
		// The array chosen goes into the mapping, as map writes it.
		m.Source.RecordsKey = r.recordsKey
	}
	if l.preset == "" || l.preset == "generic" && m.Preset != "" {
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
		_, hasID := m.Fields[string(m.Identifier)]
		switch {
		case mappingPath != "":
			return nil, fmt.Errorf("%s does not fit %s: %w", mappingPath, input, err)
		case !hasID:
			// No column was recognised as the identifier: the map step
			// chooses it.
			l.noIdentifier = true
		default:
			return nil, fmt.Errorf("%s: no mapping could be suggested (%w): is it a user export?", input, err)
		}
	}
	if l.doc != nil {
		// A saved or given mapping may name paths no record has
		// (passwordHash where the file says password_hash): said first,
		// before anything is sent (issue 18 item 10; the run refuses
		// the identifier's and the password's).
		warnings, err := importer.CheckMappedPaths(src, m)
		var pre []string
		if err != nil {
			pre = append(pre, "the mapping cannot be used as it is: "+err.Error())
		}
		for _, w := range warnings {
			pre = append(pre, "the mapping: "+w)
		}
		l.notes = append(pre, l.notes...)
	}
	l.format, l.delimiter, l.columns = src.Format(), src.Delimiter(), src.Columns()
	l.joins = src.Joins()
	l.viewer = importer.NewViewer(src)
	l.sample = src.Sample()
	if len(l.sample) > 200 {
		l.sample = l.sample[:200]
	}
	l.mapping = m
	l.secret = importer.SecretColumns(m, l.viewer, l.columns, l.sample)
	return l, nil
}

// suggest is the engine's suggestion for the input, as map makes it.
func suggest(s *session, input, passwords, recordsKey string) (*importer.Mapping, *importer.SuggestReport, *importer.Preset, int, error) {
	src, err := importer.OpenContext(s.ctx, input, importer.SourceOptions{RecordsKey: recordsKey})
	if err != nil {
		return nil, nil, nil, 0, err
	}
	defer src.Close()
	if err := importer.CheckUserExport(src); err != nil {
		return nil, nil, nil, 0, err
	}
	p, score := importer.DetectPreset(src)
	m, rep, err := importer.SuggestMapping(src, importer.SuggestOptions{Passwords: passwords})
	return m, rep, p, score, err
}

// savedRecordsKey is the records array named by the mapping given, or
// else by the one saved beside the input ("" when none names one).
func savedRecordsKey(input, mappingPath string) string {
	if mappingPath == "" {
		mappingPath = defaultMappingPath(input)
	}
	m, err := importer.ReadMappingFile(mappingPath)
	if err != nil {
		return ""
	}
	return m.Source.RecordsKey
}

// fits checks a saved mapping against the input.
func fits(s *session, input string, m *importer.Mapping) error {
	src, err := importer.OpenInputContext(s.ctx, input, m)
	if err != nil {
		return err
	}
	defer src.Close()
	_, err = importer.CompileFor(m, src)
	return err
}

// countingMsg is the count so far of a large file.
type countingMsg struct {
	l  *loaded
	n  int
	ch <-chan tea.Msg
}

// The count is the load step's, wherever the person is when it comes.
func (countingMsg) forStep() stepID { return stepLoad }
func (countedMsg) forStep() stepID  { return stepLoad }

// countCmd counts the records in the background; the count so far comes
// in every 100,000 records. The goroutine starts when the command runs.
func countCmd(s *session, l *loaded) tea.Cmd {
	mp := cloneMapping(l.mapping) // the map step edits l.mapping meanwhile
	return func() tea.Msg {
		ch := make(chan tea.Msg, 4)
		go func() {
			defer close(ch)
			n, err := importer.CountRecords(s.ctx, l.input, mp, func(e importer.Event) {
				if c, ok := e.(importer.Counting); ok {
					select {
					case ch <- countingMsg{l: l, n: c.Records, ch: ch}:
					default:
					}
				}
			})
			if err != nil && s.ctx.Err() != nil {
				return
			}
			ch <- countedMsg{l: l, n: n, err: err}
		}()
		return <-ch
	}
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
	if l.records != nil {
		// The chooser has the focus: the field is shown without its cursor.
		b.WriteString(st.Muted.Render(l.path.Prompt+importer.Printable(l.records.input)) + "\n")
		b.WriteString(l.recordsView())
		return b.String()
	}
	if l.picking {
		b.WriteString(st.Muted.Render("choose a file (enter), esc to type a path") + "\n")
		b.WriteString(printablePicker(l.picker.View()))
		return b.String()
	}
	b.WriteString(st.InputView(&l.path) + "\n")
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
		prompt := ""
		if l.pwInput != nil {
			prompt = "\n" + st.InputView(l.pwInput) + "\n" + st.Muted.Render(ui.Wrap("the second file of an Auth0 export: its password hashes, joined to the users by id or email", l.c.Width-2))
		}
		b.WriteString(l.summary(ld, strings.Count(prompt, "\n")))
		b.WriteString(prompt)
	}
	return b.String()
}

// printablePicker escapes what the file picker draws of file names: it
// prints them as they are, and a name can hold terminal escapes. Only
// escapes that are colours (SGR) are kept.
func printablePicker(v string) string {
	lines := strings.Split(v, "\n")
	for i, line := range lines {
		var b strings.Builder
		for len(line) > 0 {
			if m := sgr.FindStringIndex(line); m != nil && m[0] == 0 {
				b.WriteString(line[:m[1]])
				line = line[m[1]:]
				continue
			}
			next := len(line)
			if m := sgr.FindStringIndex(line); m != nil {
				next = m[0]
			}
			b.WriteString(importer.Printable(line[:next]))
			line = line[next:]
		}
		lines[i] = b.String()
	}
	return strings.Join(lines, "\n")
}

var sgr = regexp.MustCompile(`\x1b\[[0-9;]*m`)

func (l *loadStep) summary(ld *loaded, below int) string {
	st := l.c.Styles
	var b strings.Builder
	format := string(ld.format)
	if ld.format == importer.FormatCSV {
		format += fmt.Sprintf(", delimiter %q", ld.delimiter)
	}
	count := st.Muted.Render("counting…")
	if ld.counting > 0 {
		count = st.Muted.Render("counting… " + thousands(ld.counting))
	}
	if ld.count >= 0 {
		count = records(ld.count)
	}
	sure := "detected"
	if ld.confidence > 0 && ld.preset != "generic" {
		sure = fmt.Sprintf("detected, score %d", ld.confidence)
	} else if ld.preset == "generic" {
		sure = "no known system: by column names"
	}
	fmt.Fprintf(&b, "%s  ·  %s  ·  %s (%s)\n", format, count, st.Selected.Render(importer.Printable(ld.preset)), sure)
	switch {
	case ld.saved != "":
		b.WriteString(st.Good.Render("mapping: the saved "+importer.Printable(ld.saved)) + st.Muted.Render(" (ctrl+r: a fresh suggestion)") + "\n")
	case l.req.fresh:
		b.WriteString(st.Muted.Render("mapping: a fresh suggestion (ctrl+r: the saved one)") + "\n")
	}
	if ld.noIdentifier {
		b.WriteString(st.Warn.Render(ui.Wrap("no column was recognised as the identifier (email, phone or username): choose it on the map step", l.c.Width-2)) + "\n")
	}
	if ld.passwords != "" {
		b.WriteString(st.Good.Render("passwords: joined from "+importer.Printable(ld.passwords)) + "\n")
	} else if ld.mapping.Source.Passwords == nil && ld.preset == "auth0" {
		b.WriteString(st.Warn.Render(ui.Wrap("Auth0 keeps password hashes in a second export: ctrl+p joins it (without it, no user keeps a password)", l.c.Width-2)) + "\n")
	}
	b.WriteString(l.table(ld, strings.Count(b.String(), "\n")-1+below))
	return b.String()
}

// table shows the first rows under the first columns that fit.
func (l *loadStep) table(ld *loaded, above int) string {
	st := l.c.Styles
	width := l.c.Width - 2
	rows := min(len(ld.sample), max(l.c.Height-10-above, 1))
	var cols []string
	var widths []int
	used := 0
	cell := func(r *importer.Row, c string) string {
		return importer.Printable(ui.Mask(ld.viewer.Value(r, c), ld.secret[c], ld.unmask))
	}
	for _, c := range ld.columns {
		w := min(max(lipgloss.Width(importer.Printable(c)), 6), 24)
		for _, r := range ld.sample[:rows] {
			w = max(w, min(lipgloss.Width(cell(r, c)), 24))
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
	heads := make([]string, len(cols))
	for i, c := range cols {
		heads[i] = importer.Printable(c)
	}
	line(heads, st.Key)
	for _, r := range ld.sample[:rows] {
		cells := make([]string, len(cols))
		for i, c := range cols {
			cells[i] = cell(r, c)
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

// secretColumns are the columns masked on screen: those found secret on
// loading, and the sources of the password and TOTP fields of m as it is
// now (the engine decides both: importer.SecretColumns).
func (ld *loaded) secretColumns(m *importer.Mapping) map[string]bool {
	out := importer.SecretColumns(m, ld.viewer, nil, nil)
	for c := range ld.secret {
		out[c] = true
	}
	return out
}

// noteRemedy words what a note of the engine advises with the wizard's
// keys and settings.
func noteRemedy(r importer.Remedy) string {
	switch r {
	case importer.RemedyJoinPasswords:
		return " (ctrl+p on the load step joins it)"
	case importer.RemedyHashPlaintext:
		return " (the map step's clear-text passwords setting)"
	case importer.RemedyChooseIdentifier:
		return " (the map step's identifier setting)"
	case importer.RemedyCreateRoles:
		return " (ctrl+r on the import's confirmation creates them)"
	case importer.RemedyKeepSourceID:
		return " (a on the map step adds a custom attribute from that column)"
	}
	return ""
}
