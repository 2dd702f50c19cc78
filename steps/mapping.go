package steps

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
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
}

// sampleMsg is the sample validated with one version of the mapping.
type sampleMsg struct {
	version int
	results []*importer.Prepared
	err     error
}

type savedMsg struct{ err error }

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
	results []*importer.Prepared
	compErr error
	chooser *ui.Chooser
	choose  string // what the chooser picks: "source", "transform"
	input   *textinput.Model
	inputOf string // "constant", "region", "arg:<transform>"
	saveErr error
	saving  bool
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

func (m *mappingStep) ShortHelp() []key.Binding {
	if m.cursor < settingRows {
		return []key.Binding{m.keys.Save, m.c.Keys.Down, m.keys.Change}
	}
	return []key.Binding{m.keys.Save, m.c.Keys.Down, m.keys.Source, m.keys.Transform}
}

func (m *mappingStep) FullHelp() [][]key.Binding {
	return [][]key.Binding{{m.keys.Save, m.c.Keys.Up, m.c.Keys.Down, m.keys.Change},
		{m.keys.Source, m.keys.Transform, m.keys.Untrans, m.keys.Constant, m.keys.Unmap}}
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
	plan, err := importer.Compile(mp, ld.columns, ld.format == importer.FormatCSV)
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
			m.results, m.compErr = msg.results, msg.err
		}
		return m, nil
	case savedMsg:
		m.saving = false
		m.saveErr = msg.err
		if msg.err == nil {
			return m, next
		}
		return m, nil
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
			switch k.String() {
			case "enter":
				v := m.input.Value()
				m.input = nil
				return m, m.entered(v)
			case "esc":
				m.input = nil
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
	f := m.field()
	switch {
	case key.Matches(k, m.keys.Save):
		m.saving = true
		return m, saveCmd(m.s)
	case key.Matches(k, m.c.Keys.Back):
		return m, back
	case key.Matches(k, m.c.Keys.Up):
		if m.cursor > 0 {
			m.cursor--
		}
	case key.Matches(k, m.c.Keys.Down):
		if m.cursor < m.rows()-1 {
			m.cursor++
		}
	case key.Matches(k, m.keys.Change) && f == "":
		return m, m.changeSetting()
	case key.Matches(k, m.keys.Source) && f != "":
		opts := append([]string(nil), m.s.loaded.columns...)
		m.chooser, m.choose = ui.NewChooser("source of "+f, opts), "source"
	case key.Matches(k, m.keys.Transform) && f != "":
		var opts []string
		for _, n := range importer.TransformNames() {
			opts = append(opts, n+" — "+importer.TransformDoc(n))
		}
		m.chooser, m.choose = ui.NewChooser("add a transform to "+f, opts), "transform"
	case key.Matches(k, m.keys.Untrans) && f != "":
		if fs := m.s.mapping.Fields[f]; fs != nil && len(fs.Transforms) > 0 {
			fs.Transforms = fs.Transforms[:len(fs.Transforms)-1]
			return m, m.validate()
		}
	case key.Matches(k, m.keys.Constant) && f != "":
		m.ask("constant", "value: ", "")
	case key.Matches(k, m.keys.Unmap) && f != "":
		if _, ok := m.s.mapping.Fields[f]; ok {
			delete(m.s.mapping.Fields, f)
			return m, m.validate()
		}
	}
	return m, nil
}

func (m *mappingStep) ask(what, prompt, value string) {
	ti := textinput.New()
	ti.Prompt = prompt
	ti.SetValue(value)
	ti.Focus()
	m.input, m.inputOf = &ti, what
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
		if mp.Phone.Invalid == importer.PhoneInvalidDrop {
			mp.Phone.Invalid = ""
		} else {
			mp.Phone.Invalid = importer.PhoneInvalidDrop
		}
	case rowRegion:
		m.ask("region", "default region for numbers without + (ISO code, empty for none): ", mp.Phone.DefaultRegion)
		return nil
	}
	return m.validate()
}

func (m *mappingStep) chose(v string) tea.Cmd {
	f := m.field()
	switch m.choose {
	case "source":
		fs := m.s.mapping.Fields[f]
		if fs == nil {
			fs = &importer.FieldSpec{}
			m.s.mapping.Fields[f] = fs
		}
		fs.From, fs.Value = v, nil
	case "transform":
		name, _, _ := strings.Cut(v, " — ")
		if strings.Contains(importer.TransformDoc(name), "(") && needsArg(name) {
			m.ask("arg:"+name, name+" argument: ", "")
			return nil
		}
		m.addTransform(f, importer.Transform{Name: name})
	}
	return m.validate()
}

// needsArg reports whether a transform is written with an argument.
func needsArg(name string) bool {
	switch name {
	case "strip_prefix", "split", "default", "contains", "key":
		return true
	}
	return false
}

func (m *mappingStep) addTransform(f string, t importer.Transform) {
	fs := m.s.mapping.Fields[f]
	if fs == nil {
		return
	}
	fs.Transforms = append(fs.Transforms, t)
}

func (m *mappingStep) entered(v string) tea.Cmd {
	f := m.field()
	switch {
	case m.inputOf == "constant":
		m.s.mapping.Fields[f] = &importer.FieldSpec{Value: v}
	case m.inputOf == "region":
		m.s.mapping.Phone.DefaultRegion = strings.ToUpper(strings.TrimSpace(v))
	case strings.HasPrefix(m.inputOf, "arg:"):
		m.addTransform(f, importer.Transform{Name: strings.TrimPrefix(m.inputOf, "arg:"), Arg: v})
	}
	return m.validate()
}

// saveCmd writes the mapping where replay finds it, after checking that it
// replaces no input.
func saveCmd(s *session) tea.Cmd {
	mp := cloneMapping(s.mapping)
	path, input := s.mappingPath, s.loaded.input
	return func() tea.Msg {
		if err := mp.Check(); err != nil {
			return savedMsg{err}
		}
		ins := []importer.NamedPath{{Path: input, Role: "the export"}}
		if mp.Source.Passwords != nil {
			ins = append(ins, importer.NamedPath{Path: mp.Source.Passwords.File, Role: "the password export"})
		}
		if err := importer.CheckOutputs(ins, []importer.NamedPath{{Path: path, Role: "the mapping"}}); err != nil {
			return savedMsg{err}
		}
		return savedMsg{mp.WriteFile(path)}
	}
}

func (m *mappingStep) View() string {
	st := m.c.Styles
	if m.chooser != nil {
		return m.chooser.View(st, m.c.Width, m.c.Height-4)
	}
	var b strings.Builder
	mp := m.s.mapping
	b.WriteString(st.Title.Render("Map the columns") + "  " + st.Muted.Render(importer.Printable(m.s.loaded.input)+" → "+m.s.mappingPath) + "\n")
	b.WriteString(m.sampleLine() + "\n")
	// The list, then the detail of the selected row.
	listH := max((m.c.Height-8)/2, 3)
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
	b.WriteString(m.detail())
	if m.input != nil {
		b.WriteString("\n" + m.input.View())
	}
	if m.saveErr != nil {
		b.WriteString("\n" + st.Bad.Render("cannot save: "+importer.Printable(m.saveErr.Error())))
	}
	_ = mp
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
		if mp.Phone.Invalid == importer.PhoneInvalidDrop {
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
	if !m.s.mappingGiven {
		s += " " + st.Suggested.Render("(suggested)")
	}
	return s
}

// sampleLine is the verdict on the whole sample.
func (m *mappingStep) sampleLine() string {
	st := m.c.Styles
	if m.compErr != nil {
		return st.Bad.Render(ui.Truncate(importer.Printable(m.compErr.Error()), m.c.Width-2))
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
	line := fmt.Sprintf("%d of %d sample records valid", valid, len(m.results)-others)
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
			s += "\n" + st.Warn.Render(ui.Truncate(w, m.c.Width-2))
		}
		return s
	}
	s := st.Good.Render(line)
	if w := m.loginIDWarning(); w != "" {
		s += "\n" + st.Warn.Render(ui.Truncate(w, m.c.Width-2))
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
func (m *mappingStep) detail() string {
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
			return fmt.Sprintf("A password column in clear text (sample: %d) is best left unmapped. hash: bcrypt it\nhere (cost 10) so users keep their passwords; %s. space: change", m.plaintext(), importer.PlaintextWarning)
		case rowPhoneInvalid:
			return fmt.Sprintf("A phone number that cannot be read (no country code, impossible) rejects the\nrecord, or is left out with a note (sample: %d such records). space: change", m.badPhones())
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
	fs := m.s.mapping.Fields[f]
	rows := min(len(m.results), max(m.c.Height-max((m.c.Height-8)/2, 3)-9, 2))
	cw := max((m.c.Width-16)/3, 10)
	for i := 0; i < rows; i++ {
		p := m.results[i]
		raw := ""
		if fs != nil && fs.From != "" {
			raw = m.s.loaded.viewer.Value(p.Row, fs.From)
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
