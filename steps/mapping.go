package steps

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	"github.com/charmbracelet/bubbles/viewport"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/authgear-migrate/authgear-migrate/importer"
	"github.com/authgear-migrate/authgear-migrate/ui"
)

// The map step's rows: four settings, then every field of the record.
const (
	rowIdentifier = iota
	rowUpsert
	rowPasswords
	rowPlaintext
	rowRegion
	rowPhoneInvalid
	settingRows
)

type mapKeys struct {
	Save      key.Binding
	Source    key.Binding
	Transform key.Binding
	Untrans   key.Binding
	Constant  key.Binding
	Unmap     key.Binding
	Change    key.Binding
	Reset     key.Binding
	Custom    key.Binding
	Notes     key.Binding
	Unmask    key.Binding
	Next      key.Binding
	Prev      key.Binding
	// Of a chooser, a prompt, the notes and the save question.
	Choose   key.Binding
	Cancel   key.Binding
	OK       key.Binding
	Scroll   key.Binding
	Move     key.Binding
	Close    key.Binding
	Replace  key.Binding
	SaveAs   key.Binding
	Complete key.Binding
}

// sampleMsg is the sample validated with one version of the mapping.
type sampleMsg struct {
	version int
	checked int // the version results and compErr are of
	results []*importer.Prepared
	err     error
}

type savedMsg struct {
	path string
	err  error
	// doc is the file as saved: what the next save writes back to.
	doc *importer.MappingDocument
}

type mappingStep struct {
	stepBase
	c       *ui.Common
	s       *session
	keys    mapKeys
	keysIDs []string // field keys, in the record's order
	cursor  int
	top     int
	// version counts the mapping's changes; a sample result of an older
	// version is dropped.
	version int
	checked int // the version results and compErr are of
	results []*importer.Prepared
	compErr error
	chooser *ui.Chooser
	choose  string // what the chooser picks: "source", "transform"
	input   *textinput.Model
	inputOf string // "constant", "region", "arg:<transform>"
	saveErr error
	saving  bool
	// inputErr says why the prompt's answer was not taken; inputHelp
	// describes what it asks.
	inputErr  string
	inputHelp string
	// sources maps the chooser's printable column names to the columns.
	sources map[string]string
	// notes shows the engine's notes on the export (n); exists is the
	// file the mapping would replace, while the person decides.
	notes  *viewport.Model
	exists string
}

func newMapping(c *ui.Common, s *session) *mappingStep {
	m := &mappingStep{c: c, s: s, keys: mapKeys{
		Save:      ui.Binding([]string{"enter"}, "enter", "save & preview"),
		Source:    ui.Binding([]string{"s"}, "s", "source"),
		Transform: ui.Binding([]string{"t"}, "t", "add transform"),
		Untrans:   ui.Binding([]string{"x"}, "x", "drop transform"),
		Constant:  ui.Binding([]string{"v"}, "v", "constant"),
		Unmap:     ui.Binding([]string{"d"}, "d", "unmap"),
		Change:    ui.Binding([]string{" ", "right"}, "space", "change setting"),
		Reset:     ui.Binding([]string{"r"}, "r", "reset to suggestion"),
		Custom:    ui.Binding([]string{"a"}, "a", "add custom attribute"),
		Notes:     ui.Binding([]string{"n"}, "n", "notes"),
		Unmask:    ui.UnmaskKey,
		Next:      ui.Binding([]string{"tab"}, "tab", "next"),
		Prev:      ui.Binding([]string{"shift+tab"}, "shift+tab", "previous"),
		Choose:    ui.Binding([]string{"enter"}, "enter", "choose"),
		Cancel:    ui.Binding([]string{"esc"}, "esc", "cancel"),
		OK:        ui.Binding([]string{"enter"}, "enter", "ok"),
		Scroll:    ui.Binding([]string{"up", "down", "pgup", "pgdown"}, "↑/↓", "scroll"),
		Close:     ui.Binding([]string{"esc", "n"}, "esc", "back to the map"),
		Move:      ui.Binding([]string{"up", "down"}, "↑/↓", "move"),
		Replace:   ui.Binding([]string{"r"}, "r", "replace it"),
		SaveAs:    ui.Binding([]string{"a"}, "a", "save under another name"),
		Complete:  ui.Binding([]string{"tab"}, "tab", "complete"),
	}}
	m.refreshKeys()
	return m
}

// refreshKeys lists the record's fields: the mapped ones and every
// target, custom attributes included.
func (m *mappingStep) refreshKeys() {
	seen := map[string]bool{}
	var keys []string
	for _, t := range importer.Targets {
		keys = append(keys, t.Key)
		seen[t.Key] = true
	}
	var extra []string
	for k := range m.s.mapping.Fields {
		if !seen[k] {
			extra = append(extra, k)
		}
	}
	sort.Strings(extra)
	m.keysIDs = append(keys, extra...)
}

func (m *mappingStep) Init() tea.Cmd { return m.validate() }
func (m *mappingStep) Busy() bool    { return false }
func (m *mappingStep) Typing() bool  { return m.chooser != nil || m.input != nil }

// ShortHelp is the keys of what has the focus: a chooser, a prompt, the
// notes, the save question, or the map.
func (m *mappingStep) ShortHelp() []key.Binding {
	switch {
	case m.chooser != nil:
		return []key.Binding{m.keys.Choose, m.keys.Move, m.keys.Cancel}
	case m.input != nil:
		if m.input.ShowSuggestions {
			return []key.Binding{m.keys.OK, m.keys.Complete, m.keys.Cancel}
		}
		return []key.Binding{m.keys.OK, m.keys.Cancel}
	case m.exists != "":
		return []key.Binding{m.keys.Replace, m.keys.SaveAs, m.keys.Cancel}
	case m.notes != nil:
		return []key.Binding{m.keys.Close, m.keys.Scroll}
	}
	ks := []key.Binding{m.keys.Save, m.c.Keys.Down}
	if m.cursor < settingRows {
		ks = append(ks, m.keys.Change)
	} else {
		ks = append(ks, m.keys.Source, m.keys.Transform)
		if f := m.field(); f != "" && m.s.mapping.Fields[f] != nil && m.s.mapping.Droppable(f) {
			ks = append(ks, m.keys.Change)
		}
	}
	if len(m.s.loaded.notes) > 0 {
		ks = append(ks, m.keys.Notes)
	}
	return ks
}

func (m *mappingStep) FullHelp() [][]key.Binding {
	if m.chooser != nil || m.input != nil || m.exists != "" || m.notes != nil {
		return [][]key.Binding{m.ShortHelp()}
	}
	return [][]key.Binding{{m.keys.Save, m.c.Keys.Up, m.c.Keys.Down, m.keys.Next, m.keys.Prev, m.keys.Change},
		{m.keys.Source, m.keys.Transform, m.keys.Untrans, m.keys.Constant, m.keys.Unmap, m.keys.Reset},
		{m.keys.Custom, m.keys.Notes, m.keys.Unmask}}
}

// validate maps the sample with a copy of the current mapping, in the
// background.
func (m *mappingStep) validate() tea.Cmd {
	m.version++
	version := m.version
	mp := cloneMapping(m.s.mapping)
	ld := m.s.loaded
	return func() tea.Msg {
		return sampleMsg{version: version, results: nil, err: nil}.with(validateSample(mp, ld))
	}
}

func (s sampleMsg) with(results []*importer.Prepared, err error) sampleMsg {
	s.results, s.err = results, err
	return s
}

// validateSample maps and validates the sample rows with mp.
func validateSample(mp *importer.Mapping, ld *loaded) ([]*importer.Prepared, error) {
	plan, err := importer.CompileJoined(mp, ld.columns, ld.format == importer.FormatCSV, ld.joins)
	if err != nil {
		return nil, err
	}
	out := make([]*importer.Prepared, len(ld.sample))
	for i, r := range ld.sample {
		out[i] = plan.Apply(r)
	}
	return out, nil
}

func cloneMapping(m *importer.Mapping) *importer.Mapping {
	c := *m
	c.Fields = make(map[string]*importer.FieldSpec, len(m.Fields))
	for k, f := range m.Fields {
		fc := *f
		fc.Transforms = append([]importer.Transform(nil), f.Transforms...)
		c.Fields[k] = &fc
	}
	return &c
}

func (m *mappingStep) rows() int { return settingRows + len(m.keysIDs) }

func (m *mappingStep) field() string {
	if m.cursor < settingRows {
		return ""
	}
	return m.keysIDs[m.cursor-settingRows]
}

func (m *mappingStep) Update(msg tea.Msg) (step, tea.Cmd) {
	switch msg := msg.(type) {
	case sampleMsg:
		if msg.version == m.version {
			m.results, m.compErr, m.checked = msg.results, msg.err, msg.version
		}
		return m, nil
	case savedMsg:
		m.saving = false
		m.saveErr = msg.err
		var exists *importer.MappingExistsError
		switch {
		case msg.err == nil:
			m.s.mappingPath = msg.path
			if msg.doc != nil {
				m.s.loaded.doc = msg.doc
			}
			return m, next
		case errors.As(msg.err, &exists), errors.Is(msg.err, importer.ErrMappingChanged):
			// Asked, not replaced: the person decides.
			m.exists, m.saveErr = msg.path, nil
		}
		return m, nil
	case tea.WindowSizeMsg:
		if m.notes != nil {
			m.openNotes()
		}
	}
	if m.chooser != nil {
		cmd := m.chooser.Update(msg)
		if m.chooser.Done {
			ch := m.chooser
			m.chooser = nil
			if !ch.Cancelled {
				return m, m.chose(ch.Chosen)
			}
		}
		return m, cmd
	}
	if m.input != nil {
		if k, ok := msg.(tea.KeyMsg); ok {
			switch {
			case key.Matches(k, m.keys.OK):
				return m, m.entered(m.input.Value())
			case key.Matches(k, m.keys.Cancel):
				m.input, m.inputErr = nil, ""
				return m, nil
			}
		}
		var cmd tea.Cmd
		*m.input, cmd = m.input.Update(msg)
		return m, cmd
	}
	k, ok := msg.(tea.KeyMsg)
	if !ok {
		return m, nil
	}
	if m.exists != "" {
		switch {
		case key.Matches(k, m.keys.Replace):
			p := m.exists
			m.exists, m.saving = "", true
			return m, saveCmd(m.s, p, true)
		case key.Matches(k, m.keys.SaveAs):
			p := importer.FreeMappingPath(m.exists)
			m.exists = ""
			m.ask("saveas", "save as: ", p, "a new file for this mapping; "+importer.Printable(m.s.mappingPath)+" is left as it is")
		case key.Matches(k, m.keys.Cancel):
			m.exists = ""
		}
		return m, nil
	}
	if m.notes != nil {
		if key.Matches(k, m.keys.Close) {
			m.notes = nil
			return m, nil
		}
		var cmd tea.Cmd
		*m.notes, cmd = m.notes.Update(msg)
		return m, cmd
	}
	f := m.field()
	switch {
	case key.Matches(k, m.keys.Save):
		m.saving = true
		return m, saveCmd(m.s, m.s.mappingPath, false)
	case key.Matches(k, m.c.Keys.Back):
		return m, back
	case key.Matches(k, m.c.Keys.Up), key.Matches(k, m.keys.Prev):
		if m.cursor > 0 {
			m.cursor--
		}
	case key.Matches(k, m.c.Keys.Down), key.Matches(k, m.keys.Next):
		if m.cursor < m.rows()-1 {
			m.cursor++
		}
	case key.Matches(k, m.keys.Notes) && len(m.s.loaded.notes) > 0:
		m.openNotes()
	case key.Matches(k, m.keys.Unmask):
		m.s.loaded.unmask = !m.s.loaded.unmask
	case key.Matches(k, m.keys.Custom):
		m.ask("custom", "custom attribute: ", "", "the name of a custom attribute the project defines (portal: User Profile › Custom Attributes)")
	case key.Matches(k, m.keys.Change) && f == "":
		return m, m.changeSetting()
	case key.Matches(k, m.keys.Change) && f != "" && m.s.mapping.Fields[f] != nil && m.s.mapping.Droppable(f):
		// A value Authgear would refuse: the user without the field, or
		// no user (issue 18's rule; the engine decides the default).
		mp := m.s.mapping
		next := importer.InvalidDrop
		if mp.InvalidPolicy(f) == importer.InvalidDrop {
			next = importer.InvalidReject
		}
		if err := mp.SetInvalidPolicy(f, next); err == nil {
			return m, m.validate()
		}
	case key.Matches(k, m.keys.Source) && f != "":
		m.openSources(f)
	case key.Matches(k, m.keys.Transform) && f != "":
		var opts []string
		for _, t := range importer.Transforms() {
			opts = append(opts, t.Name+" — "+t.Doc)
		}
		m.chooser, m.choose = ui.NewChooser("add a transform to "+f, opts), "transform"
	case key.Matches(k, m.keys.Untrans) && f != "":
		if fs := m.s.mapping.Fields[f]; fs != nil && len(fs.Transforms) > 0 {
			fs.Transforms = fs.Transforms[:len(fs.Transforms)-1]
			return m, m.validate()
		}
	case key.Matches(k, m.keys.Constant) && f != "":
		m.ask("constant", "value: ", "", "")
	case key.Matches(k, m.keys.Unmap) && f != "":
		if _, ok := m.s.mapping.Fields[f]; ok {
			delete(m.s.mapping.Fields, f)
			return m, m.validate()
		}
	case key.Matches(k, m.keys.Reset) && f != "":
		return m, m.reset(f)
	}
	return m, nil
}

// typePath is the source chooser's first option: a path not in the list.
const typePath = "… type a column or path"

// openSources lists the columns (printable) to take f from.
func (m *mappingStep) openSources(f string) {
	m.sources = map[string]string{}
	opts := []string{typePath}
	for _, c := range m.s.loaded.columns {
		pc := importer.Printable(c)
		m.sources[pc] = c
		opts = append(opts, pc)
	}
	m.chooser, m.choose = ui.NewChooser("source of "+f, opts), "source"
}

// openNotes shows the engine's notes on the export, wrapped, in a
// scrollable view.
func (m *mappingStep) openNotes() {
	w := max(m.c.Width-2, 20)
	var b strings.Builder
	for _, n := range m.s.loaded.notes {
		b.WriteString(ui.Wrap("• "+importer.Printable(n), w) + "\n")
	}
	vp := viewport.New(w, max(m.c.Height-7, 3))
	vp.SetContent(strings.TrimRight(b.String(), "\n"))
	if m.notes != nil {
		vp.SetYOffset(m.notes.YOffset)
	}
	m.notes = &vp
}

// reset gives f back its suggested source and transforms (or none).
func (m *mappingStep) reset(f string) tea.Cmd {
	var sf *importer.FieldSpec
	if sg := m.s.loaded.suggested; sg != nil {
		sf = sg.Fields[f]
	}
	if sf == nil {
		delete(m.s.mapping.Fields, f)
	} else {
		c := *sf
		c.Transforms = append([]importer.Transform(nil), sf.Transforms...)
		m.s.mapping.Fields[f] = &c
	}
	return m.validate()
}

func (m *mappingStep) ask(what, prompt, value, help string) {
	ti := textinput.New()
	ti.Prompt = prompt
	ti.SetValue(value)
	ti.CursorEnd()
	ti.Focus()
	m.input, m.inputOf, m.inputHelp, m.inputErr = &ti, what, help, ""
}

// askPath asks for a column or path, completing the export's columns.
func (m *mappingStep) askPath(what, prompt, help string) {
	m.ask(what, prompt, "", help)
	m.input.ShowSuggestions = true
	m.input.SetSuggestions(m.s.loaded.columns)
}

func (m *mappingStep) changeSetting() tea.Cmd {
	mp := m.s.mapping
	switch m.cursor {
	case rowIdentifier:
		ids := []importer.Identifier{importer.IdentifierEmail, importer.IdentifierPhone, importer.IdentifierUsername}
		for i, id := range ids {
			if id == mp.Identifier {
				mp.Identifier = ids[(i+1)%len(ids)]
				break
			}
		}
	case rowUpsert:
		mp.Upsert = !mp.Upsert
	case rowPasswords:
		if mp.Passwords.Unsupported == importer.PasswordsReject {
			mp.Passwords.Unsupported = importer.PasswordsDrop
		} else {
			mp.Passwords.Unsupported = importer.PasswordsReject
		}
	case rowPlaintext:
		if mp.Passwords.Plaintext == importer.PlaintextHash {
			mp.Passwords.Plaintext = ""
		} else {
			mp.Passwords.Plaintext = importer.PlaintextHash
		}
	case rowPhoneInvalid:
		// phone.invalid is the policy of both phone fields; the engine's
		// default (drop) is written as nothing.
		if phonePolicy(mp) == importer.InvalidDrop {
			mp.Phone.Invalid = importer.PhoneInvalidReject
		} else {
			mp.Phone.Invalid = ""
		}
	case rowRegion:
		m.ask("region", "default region: ", mp.Phone.DefaultRegion, "for numbers written without +: an ISO code such as US or HK; empty for none")
		return nil
	}
	return m.validate()
}

func (m *mappingStep) chose(v string) tea.Cmd {
	f := m.field()
	switch m.choose {
	case "source":
		if v == typePath {
			m.askPath("path", "column or path: ", "a column, or a path into the records: user_metadata.plan, identities[0].provider")
			return nil
		}
		m.setSource(f, m.sources[v])
	case "transform":
		name, _, _ := strings.Cut(v, " — ")
		info, ok := importer.DescribeTransform(name)
		if !ok {
			return nil
		}
		if info.Arg != "" {
			// The argument is asked as the engine describes it.
			help := info.Arg
			if !info.ArgRequired {
				help += " (empty: the default)"
			}
			if info.ArgPath {
				m.askPath("arg:"+name, name+": ", help)
			} else {
				m.ask("arg:"+name, name+": ", "", help)
			}
			return nil
		}
		m.addTransform(f, importer.Transform{Name: name})
	}
	return m.validate()
}

func (m *mappingStep) setSource(f, from string) {
	fs := m.s.mapping.Fields[f]
	if fs == nil {
		fs = &importer.FieldSpec{}
		m.s.mapping.Fields[f] = fs
	}
	fs.From, fs.Value = from, nil
}

func (m *mappingStep) addTransform(f string, t importer.Transform) {
	fs := m.s.mapping.Fields[f]
	if fs == nil {
		return
	}
	fs.Transforms = append(fs.Transforms, t)
}

// entered takes the prompt's answer, or keeps the prompt open with what
// is wrong.
func (m *mappingStep) entered(v string) tea.Cmd {
	f := m.field()
	what := m.inputOf
	switch {
	case what == "constant":
		m.s.mapping.Fields[f] = &importer.FieldSpec{Value: v}
	case what == "region":
		m.s.mapping.Phone.DefaultRegion = strings.ToUpper(strings.TrimSpace(v))
	case what == "path":
		if strings.TrimSpace(v) == "" {
			m.inputErr = "type a column or a path"
			return nil
		}
		m.setSource(f, strings.TrimSpace(v))
	case what == "custom":
		key := importer.CustomAttributePrefix + strings.TrimSpace(v)
		if _, ok := importer.LookupTarget(key); !ok {
			m.inputErr = "a custom attribute's name has no dot, bracket or slash"
			return nil
		}
		m.input = nil
		if !slices.Contains(m.keysIDs, key) {
			m.keysIDs = append(m.keysIDs, key)
		}
		m.cursor = settingRows + slices.Index(m.keysIDs, key)
		m.openSources(key)
		return nil
	case what == "saveas":
		p := strings.TrimSpace(v)
		if p == "" {
			m.inputErr = "type a file name"
			return nil
		}
		m.input, m.saving = nil, true
		return saveCmd(m.s, p, false)
	case strings.HasPrefix(what, "arg:"):
		name := strings.TrimPrefix(what, "arg:")
		if info, _ := importer.DescribeTransform(name); info.ArgRequired && v == "" {
			m.inputErr = name + " needs " + info.Arg
			return nil
		}
		m.addTransform(f, importer.Transform{Name: name, Arg: v})
	}
	m.input, m.inputErr = nil, ""
	return m.validate()
}

// saveCmd saves the mapping to path under the engine's rule: a file that
// exists and holds another mapping is replaced only with overwrite (the
// person said so); the saved document the mapping was read from is
// written back with only the edited parts changed.
func saveCmd(s *session, path string, overwrite bool) tea.Cmd {
	mp := cloneMapping(s.mapping)
	input := s.loaded.input
	doc := s.loaded.doc
	return func() tea.Msg {
		if err := mp.Check(); err != nil {
			return savedMsg{path: path, err: err}
		}
		ins := []importer.NamedPath{{Path: input, Role: "the export"}}
		if mp.Source.Passwords != nil {
			ins = append(ins, importer.NamedPath{Path: mp.Source.Passwords.File, Role: "the password export"})
		}
		if err := importer.CheckOutputs(ins, []importer.NamedPath{{Path: path, Role: "the mapping"}}); err != nil {
			return savedMsg{path: path, err: err}
		}
		orig := doc
		if orig != nil && !sameMappingFile(orig.Path, path) {
			orig = nil
		}
		if _, err := importer.SaveMapping(path, mp, orig, overwrite); err != nil {
			return savedMsg{path: path, err: err}
		}
		doc, _ := importer.ReadMappingDocument(path)
		return savedMsg{path: path, doc: doc}
	}
}

func sameMappingFile(a, b string) bool {
	if filepath.Clean(a) == filepath.Clean(b) {
		return true
	}
	sa, err1 := os.Stat(a)
	sb, err2 := os.Stat(b)
	return err1 == nil && err2 == nil && os.SameFile(sa, sb)
}

func (m *mappingStep) View() string {
	st := m.c.Styles
	if m.chooser != nil {
		return m.chooser.View(st, m.c.Width, m.c.Height-4)
	}
	var b strings.Builder
	b.WriteString(st.Title.Render("Map the columns") + "  " + st.Muted.Render(importer.Printable(m.s.loaded.input)+" → "+importer.Printable(m.s.mappingPath)) + "\n")
	if m.notes != nil {
		n := len(m.s.loaded.notes)
		b.WriteString(st.Key.Render(fmt.Sprintf("%d %s on this export", n, plural(n, "note", "notes"))) + "\n")
		b.WriteString(m.notes.View())
		if !m.notes.AtBottom() {
			b.WriteString("\n" + st.Muted.Render(fmt.Sprintf("↓ more (%d%%)", int(m.notes.ScrollPercent()*100))))
		}
		return b.String()
	}
	if m.exists != "" {
		b.WriteString(st.Warn.Render(ui.Wrap(importer.Printable(m.exists)+" already exists and holds another mapping (edited by hand, or another suggestion). It is not replaced unless you say so.", m.c.Width-2)) + "\n\n")
		b.WriteString(st.Key.Render("r") + " replace it  ·  " + st.Key.Render("a") + " save under another name  ·  " + st.Key.Render("esc") + " back to the map\n")
		return b.String()
	}
	sample := m.sampleLine()
	b.WriteString(sample + "\n")
	if n := len(m.s.loaded.notes); n > 0 {
		b.WriteString(st.Warn.Render(ui.Truncate(fmt.Sprintf("%d %s on this export (what is carried over, what is not): n reads them", n, plural(n, "note", "notes")), m.c.Width-2)) + "\n")
	}
	// The list, then the detail of the selected row.
	// A verdict said on more than one line (an error, a warning: said
	// whole) takes its room from the list.
	listH := max((m.c.Height-8)/2-min(len(m.s.loaded.notes), 1)-max(strings.Count(sample, "\n")-1, 0), 3)
	if m.cursor < m.top {
		m.top = m.cursor
	}
	if m.cursor >= m.top+listH {
		m.top = m.cursor - listH + 1
	}
	for i := m.top; i < m.rows() && i < m.top+listH; i++ {
		line := m.rowText(i)
		if i == m.cursor {
			line = st.Selected.Render("› " + line)
		} else {
			line = "  " + line
		}
		b.WriteString(ui.Truncate(line, m.c.Width-2) + "\n")
	}
	b.WriteString(st.Muted.Render(strings.Repeat("─", max(m.c.Width-4, 10))) + "\n")
	var prompt string
	if m.input != nil {
		prompt = "\n" + st.InputView(m.input)
		if m.inputHelp != "" {
			prompt += "\n" + st.Muted.Render(ui.Wrap(importer.Printable(m.inputHelp), m.c.Width-2))
		}
		if m.inputErr != "" {
			prompt += "\n" + st.Bad.Render(ui.Wrap(importer.Printable(m.inputErr), m.c.Width-2))
		}
	}
	b.WriteString(m.detailIn(strings.Count(prompt, "\n")))
	b.WriteString(prompt)
	if m.saveErr != nil {
		b.WriteString("\n" + st.Bad.Render(ui.Wrap("cannot save: "+importer.PrintableLines(m.saveErr.Error()), m.c.Width-2)))
	}
	return b.String()
}

func (m *mappingStep) rowText(i int) string {
	st := m.c.Styles
	mp := m.s.mapping
	switch i {
	case rowIdentifier:
		return fmt.Sprintf("%-22s %s", "identifier", mp.Identifier)
	case rowUpsert:
		v := "no: existing users are skipped"
		if mp.Upsert {
			v = "yes: existing users are updated (passwords never)"
		}
		return fmt.Sprintf("%-22s %s", "upsert", v)
	case rowPasswords:
		return fmt.Sprintf("%-22s %s", "other password hashes", mp.Passwords.Unsupported)
	case rowPlaintext:
		v := "reject the record"
		if mp.Passwords.Plaintext == importer.PlaintextHash {
			v = "bcrypt-hash here, so the user keeps it"
		}
		return fmt.Sprintf("%-22s %s", "clear-text passwords", v)
	case rowPhoneInvalid:
		v := "reject the record"
		if phonePolicy(mp) == importer.InvalidDrop {
			v = "import the user without it"
		}
		return fmt.Sprintf("%-22s %s", "unreadable phones", v)
	case rowRegion:
		r := mp.Phone.DefaultRegion
		if r == "" {
			r = "none (numbers need +)"
		}
		return fmt.Sprintf("%-22s %s", "phone default region", r)
	}
	f := m.keysIDs[i-settingRows]
	fs := mp.Fields[f]
	if fs == nil {
		return st.Muted.Render(fmt.Sprintf("%-22s —", f))
	}
	src := fs.From
	if fs.From == "" {
		src = fmt.Sprintf("= %v", fs.Value)
	}
	src = importer.Printable(src)
	var ts []string
	for _, t := range fs.Transforms {
		ts = append(ts, t.String())
	}
	s := fmt.Sprintf("%-22s ← %s", f, src)
	if len(ts) > 0 {
		s += " " + st.Muted.Render("| "+strings.Join(ts, " | "))
	}
	if mp.Droppable(f) && mp.InvalidPolicy(f) == importer.InvalidReject {
		// The exception to the rule, said on the row.
		s += " " + st.Warn.Render("(refused value rejects the user)")
	}
	if !m.s.mappingGiven {
		s += " " + st.Suggested.Render("(suggested)")
	}
	return s
}

// sampleLine is the verdict on the whole sample.
func (m *mappingStep) sampleLine() string {
	st := m.c.Styles
	if m.compErr != nil {
		return st.Bad.Render(ui.Wrap(importer.PrintableLines(m.compErr.Error()), m.c.Width-2))
	}
	if m.results == nil {
		return st.Muted.Render("checking the sample…")
	}
	valid, others := 0, 0
	reasons := map[string]int{}
	for _, p := range m.results {
		switch {
		case p.NotUser != "":
			others++
		case p.Valid():
			valid++
		case len(p.Problems) > 0:
			reasons[p.Problems[0].Message]++
		}
	}
	line := fmt.Sprintf("%s of %s sample %s valid", thousands(valid), thousands(len(m.results)-others), plural(len(m.results)-others, "record", "records"))
	if others > 0 {
		line += fmt.Sprintf(" (and %d other objects, not users)", others)
	}
	if bad := len(m.results) - valid - others; bad > 0 {
		top, n := "", 0
		for r, c := range reasons {
			if c > n || c == n && r < top {
				top, n = r, c
			}
		}
		most := "most"
		if n == bad {
			most = "all"
		}
		s := st.Warn.Render(ui.Truncate(fmt.Sprintf("%s; %d invalid (%s: %s)", line, bad, most, importer.Printable(top)), m.c.Width-2))
		if w := m.loginIDWarning(); w != "" {
			s += "\n" + st.Warn.Render(ui.Wrap(w, m.c.Width-2))
		}
		return s
	}
	s := st.Good.Render(line)
	if w := m.loginIDWarning(); w != "" {
		s += "\n" + st.Warn.Render(ui.Wrap(w, m.c.Width-2))
	}
	return s
}

// loginIDWarning says when the mapping sends a login ID other than the
// identifier: the project must enable that type.
func (m *mappingStep) loginIDWarning() string {
	mp := m.s.mapping
	var others []string
	for _, f := range []string{"email", "phone_number", "preferred_username"} {
		if _, ok := mp.Fields[f]; ok && f != string(mp.Identifier) {
			others = append(others, f)
		}
	}
	if len(others) == 0 {
		return ""
	}
	return "also sends " + strings.Join(others, ", ") + ": enable that login ID type in the portal, or the first request stops the import"
}

// detail shows the selected field on the first sample rows: the source
// value, what is sent, and the verdict.
func (m *mappingStep) detail() string { return m.detailIn(0) }

// detailIn is the detail in reserve lines fewer (a prompt is below it).
func (m *mappingStep) detailIn(reserve int) string {
	st := m.c.Styles
	f := m.field()
	if f == "" {
		switch m.cursor {
		case rowIdentifier:
			return "The login ID Authgear looks users up by; its type must be enabled in\nthe portal. space: change"
		case rowUpsert:
			return "Upsert updates users that already exist: every mapped attribute is overwritten;\npasswords (and MFA secrets) are never updated by an import. space: change"
		case rowPasswords:
			return fmt.Sprintf("Only bcrypt hashes can be imported. drop: import the user without the password (they\nset a new one); reject: leave the user out. Sample hash families: %s. space: change", m.families())
		case rowPlaintext:
			return fmt.Sprintf("A password column in clear text (sample: %s) is best left unmapped. hash: bcrypt it\nhere (cost 10) so users keep their passwords; %s. space: change", records(m.plaintext()), importer.PlaintextWarning)
		case rowPhoneInvalid:
			return fmt.Sprintf("A phone number that cannot be read (no country code, impossible) is left out\nwith a note, or rejects the record (sample: %s). space: change", records(m.badPhones()))
		default:
			return "The region assumed for phone numbers written without +. space: edit"
		}
	}
	doc := ""
	if t, ok := importer.LookupTarget(f); ok {
		doc = t.Doc
	}
	var b strings.Builder
	b.WriteString(st.Key.Render(f) + "  " + st.Muted.Render(doc) + "\n")
	if mp := m.s.mapping; mp.Fields[f] != nil && mp.Droppable(f) {
		what := "the user is imported without it"
		if mp.InvalidPolicy(f) == importer.InvalidReject {
			what = "the user is rejected"
		}
		b.WriteString(st.Muted.Render(fmt.Sprintf("a value Authgear would refuse: %s (default: %s). space: change", what, importer.DefaultInvalidPolicy(f))) + "\n")
	}
	fs := m.s.mapping.Fields[f]
	rows := min(len(m.results), max(m.c.Height-max((m.c.Height-8)/2, 3)-9-reserve, 1))
	cw := max((m.c.Width-16)/3, 10)
	for i := 0; i < rows; i++ {
		p := m.results[i]
		raw := ""
		ld := m.s.loaded
		if fs != nil && fs.From != "" {
			raw = ui.Mask(ld.viewer.Value(p.Row, fs.From), ld.secret[fs.From] || secretField(f), ld.unmask)
		}
		sent := importer.FieldValue(p, f)
		verdict := st.Good.Render("ok")
		for _, pr := range p.Problems {
			if pr.Field == f || strings.HasPrefix(pr.Field, f+".") {
				verdict = st.Bad.Render(importer.Printable(pr.Message))
				break
			}
		}
		switch {
		case fs == nil:
			verdict = st.Muted.Render("not mapped")
		case sent == "":
			verdict = st.Muted.Render("not sent")
		}
		if uq, err := strconv.Unquote(sent); err == nil {
			sent = uq
		}
		sent = ui.Mask(sent, secretField(f), ld.unmask)
		line := pad(ui.Truncate(importer.Printable(raw), cw), cw) + " → " + pad(ui.Truncate(importer.Printable(sent), cw), cw) + " " + verdict
		b.WriteString(ui.Truncate(line, m.c.Width-2) + "\n")
	}
	return b.String()
}

// badPhones counts the sample records whose phone cannot be read (or was
// dropped for that).
func (m *mappingStep) badPhones() int {
	n := 0
	for _, p := range m.results {
		if p.PhonesDropped > 0 {
			n++
			continue
		}
		for _, pr := range p.Problems {
			if strings.Contains(pr.Field, "phone_number") {
				n++
				break
			}
		}
	}
	return n
}

func (m *mappingStep) plaintext() int {
	n := 0
	for _, p := range m.results {
		if p.PasswordFamily == importer.HashPlaintext {
			n++
		}
	}
	return n
}

func (m *mappingStep) families() string {
	c := map[importer.HashFamily]int{}
	for _, p := range m.results {
		if p.PasswordFamily != "" {
			c[p.PasswordFamily]++
		}
	}
	if len(c) == 0 {
		return "none"
	}
	var parts []string
	for f, n := range c {
		parts = append(parts, fmt.Sprintf("%s %d", f, n))
	}
	sort.Strings(parts)
	return strings.Join(parts, ", ")
}

// secretField: the field's value is a secret (a password, an MFA secret).
func secretField(f string) bool {
	return strings.HasPrefix(f, "password.") || strings.HasPrefix(f, "mfa.")
}

// phonePolicy is phone.invalid as the setting row shows it: what happens
// to an unreadable phone_number that is not the identifier.
func phonePolicy(mp *importer.Mapping) string {
	if mp.Phone.Invalid != "" {
		return mp.Phone.Invalid
	}
	return importer.DefaultInvalidPolicy("phone_number")
}
