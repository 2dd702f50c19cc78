package steps

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/viewport"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/authgear-migrate/authgear-migrate/importer"
	"github.com/authgear-migrate/authgear-migrate/ui"
)

// previewKeep bounds what the preview holds: the first valid records and
// the invalid ones (their reasons and source rows).
const (
	previewValid   = 50
	previewInvalid = 2000
)

type previewRecord struct {
	row    int
	valid  bool
	reason string
	json   []byte      // the record as sent (valid ones)
	source [][2]string // column and value (invalid ones)
}

type previewKeys struct {
	Next     key.Binding
	NextBad  key.Binding
	PrevBad  key.Binding
	Scroll   key.Binding
	Unmask   key.Binding
	WriteDoc key.Binding
}

type docWrittenMsg struct {
	path string
	err  error
}

type previewStep struct {
	stepBase
	c       *ui.Common
	s       *session
	keys    previewKeys
	ch      <-chan tea.Msg
	runID   int
	cancel  context.CancelFunc
	running bool
	stats   importer.PrepareStats
	summary *importer.RunSummary
	err     error
	mu      sync.Mutex
	records []previewRecord
	invalid []int // indexes into records
	shown   int   // the record in the viewport
	unmask  bool
	vp      viewport.Model
	docPath string
	docErr  error
	tmp     string
}

func newPreview(c *ui.Common, s *session) *previewStep {
	return &previewStep{c: c, s: s, vp: viewport.New(c.Width-2, 10), keys: previewKeys{
		Next:     ui.Binding([]string{"enter"}, "enter", "import"),
		NextBad:  ui.Binding([]string{"n"}, "n", "next invalid"),
		PrevBad:  ui.Binding([]string{"p"}, "p", "previous invalid"),
		Scroll:   ui.Binding([]string{"tab"}, "tab", "next record"),
		Unmask:   ui.Binding([]string{"m"}, "m", "unmask"),
		WriteDoc: ui.Binding([]string{"w"}, "w", "write JSON"),
	}}
}

func (p *previewStep) Busy() bool { return false }

// leave stops a dry run still going: going back means the mapping changes.
func (p *previewStep) leave() {
	if p.cancel != nil {
		p.cancel()
	}
}

func (p *previewStep) ShortHelp() []key.Binding {
	return []key.Binding{p.keys.Next, p.keys.NextBad, p.keys.Unmask, p.keys.WriteDoc}
}

func (p *previewStep) FullHelp() [][]key.Binding {
	return [][]key.Binding{{p.keys.Next, p.keys.NextBad, p.keys.PrevBad, p.keys.Scroll}, {p.keys.Unmask, p.keys.WriteDoc, p.c.Keys.Up, p.c.Keys.Down}}
}

// Init validates the whole file with the run's dry run; its report goes to
// a temporary folder (the import writes the real one).
func (p *previewStep) Init() tea.Cmd {
	dir, err := os.MkdirTemp("", "authgear-migrate-preview-")
	if err != nil {
		p.err = err
		return nil
	}
	p.tmp = dir
	ld := p.s.loaded
	cfg := importer.RunConfig{
		Mapping: cloneMapping(p.s.mapping), MappingPath: p.s.mappingPath, Input: ld.input,
		DryRun: true, Report: filepath.Join(dir, "preview.report.csv"),
		Inspect: p.inspect,
	}
	p.running = true
	var cmd tea.Cmd
	p.runID = p.s.nextRunID()
	ctx, cancel := context.WithCancel(p.s.ctx)
	p.cancel = cancel
	p.ch, cmd = startRun(ctx, p.runID, cfg)
	return cmd
}

// inspect keeps what the preview shows (called on the run's goroutine).
func (p *previewStep) inspect(pr *importer.Prepared) {
	p.mu.Lock()
	defer p.mu.Unlock()
	valid := pr.Valid()
	nValid := len(p.records) - len(p.invalid)
	if valid && nValid >= previewValid || !valid && len(p.invalid) >= previewInvalid {
		return
	}
	rec := previewRecord{row: pr.Row.Num, valid: valid, reason: pr.Reason()}
	if pr.Record != nil {
		b, err := pr.Record.AppendJSON(nil)
		if err == nil {
			var out bytes.Buffer
			if json.Indent(&out, b, "", "  ") == nil {
				rec.json = out.Bytes()
			}
		}
	}
	if !valid {
		ld := p.s.loaded
		for _, c := range ld.columns {
			if v := ld.viewer.Value(pr.Row, c); v != "" {
				rec.source = append(rec.source, [2]string{c, v})
			}
		}
		p.invalid = append(p.invalid, len(p.records))
	}
	p.records = append(p.records, rec)
}

func (p *previewStep) Update(msg tea.Msg) (step, tea.Cmd) {
	switch msg := msg.(type) {
	case eventMsg:
		if msg.id != p.runID {
			return p, nil
		}
		if v, ok := msg.e.(importer.Validating); ok {
			p.stats = v.Stats
		}
		p.refresh()
		return p, waitFor(p.ch)
	case runDoneMsg:
		if msg.id != p.runID {
			return p, nil
		}
		p.running = false
		s := msg.summary
		p.summary, p.err = &s, msg.err
		if msg.err == nil {
			p.s.preview = &s
		}
		p.stats = s.PrepareStats
		if p.tmp != "" {
			os.RemoveAll(p.tmp)
		}
		p.refresh()
		return p, nil
	case docWrittenMsg:
		p.docPath, p.docErr = msg.path, msg.err
		return p, nil
	case tea.KeyMsg:
		switch {
		case key.Matches(msg, p.keys.Next) && !p.running && p.err == nil:
			return p, next
		case key.Matches(msg, p.c.Keys.Back):
			return p, back
		case key.Matches(msg, p.keys.NextBad), key.Matches(msg, p.keys.PrevBad):
			p.jumpBad(key.Matches(msg, p.keys.NextBad))
		case key.Matches(msg, p.keys.Scroll):
			p.mu.Lock()
			if n := len(p.records); n > 0 {
				p.shown = (p.shown + 1) % n
			}
			p.mu.Unlock()
			p.refresh()
		case key.Matches(msg, p.keys.Unmask):
			p.unmask = !p.unmask
			p.refresh()
		case key.Matches(msg, p.keys.WriteDoc) && !p.running:
			return p, writeDocCmd(p.s)
		default:
			var cmd tea.Cmd
			p.vp, cmd = p.vp.Update(msg)
			return p, cmd
		}
	}
	return p, nil
}

func (p *previewStep) jumpBad(forward bool) {
	p.mu.Lock()
	pick := -1
	if n := len(p.invalid); n > 0 {
		if forward {
			pick = p.invalid[0]
			for _, i := range p.invalid {
				if i > p.shown {
					pick = i
					break
				}
			}
		} else {
			pick = p.invalid[n-1]
			for j := n - 1; j >= 0; j-- {
				if p.invalid[j] < p.shown {
					pick = p.invalid[j]
					break
				}
			}
		}
		p.shown = pick
	}
	p.mu.Unlock()
	if pick >= 0 {
		p.refresh()
	}
}

// secretColumns are the source columns of password hashes and TOTP
// secrets, masked like the record's own.
func secretColumns(m *importer.Mapping) map[string]bool {
	out := map[string]bool{}
	for k, f := range m.Fields {
		if strings.Contains(k, "password") || strings.Contains(k, "totp") {
			if f != nil && f.From != "" {
				out[f.From] = true
			}
		}
	}
	return out
}

var hashValue = regexp.MustCompile(`("(?:password_hash|secret)": ")([^"]*)(")`)

// refresh puts the shown record in the viewport, coloured.
func (p *previewStep) refresh() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.vp.Width = max(p.c.Width-2, 20)
	if len(p.records) == 0 {
		p.vp.SetContent("")
		return
	}
	if p.shown >= len(p.records) {
		p.shown = 0
	}
	r := p.records[p.shown]
	st := p.c.Styles
	var b strings.Builder
	head := fmt.Sprintf("record %d", r.row)
	if r.valid {
		b.WriteString(st.Good.Render(head+": valid, sent as") + "\n")
	} else {
		b.WriteString(st.Bad.Render(head+": invalid: "+importer.Printable(r.reason)) + "\n")
		secret := secretColumns(p.s.mapping)
		for _, cv := range r.source {
			v := cv[1]
			if secret[cv[0]] && !p.unmask {
				v = "••••••••"
			}
			b.WriteString(st.Muted.Render("  "+ui.Truncate(importer.Printable(cv[0]+": "+v), p.vp.Width-4)) + "\n")
		}
	}
	js := string(r.json)
	if !p.unmask {
		js = hashValue.ReplaceAllString(js, "${1}••••••••${3}")
	}
	b.WriteString(colourJSON(st, js))
	p.vp.SetContent(b.String())
	p.vp.GotoTop()
}

// colourJSON colours an indented JSON document line by line: keys, strings
// and other values.
func colourJSON(st *ui.Styles, js string) string {
	lines := strings.Split(js, "\n")
	for i, l := range lines {
		k, v, ok := strings.Cut(l, `": `)
		if !ok {
			lines[i] = st.Muted.Render(l)
			continue
		}
		key := k + `":`
		val := strings.TrimSuffix(v, ",")
		comma := strings.TrimPrefix(v, val)
		style := st.JSONOther
		if strings.HasPrefix(val, `"`) {
			style = st.JSONString
		}
		lines[i] = st.JSONKey.Render(importer.Printable(key)) + " " + style.Render(importer.Printable(val)) + comma
	}
	return strings.Join(lines, "\n")
}

// writeDocCmd writes the request document (the guide's step 2) beside the
// mapping: INPUT-NAME.request.json, mode 0600 (it holds hashes).
func writeDocCmd(s *session) tea.Cmd {
	mp := cloneMapping(s.mapping)
	ld := s.loaded
	mappingPath := s.mappingPath
	return func() tea.Msg {
		dir, err := os.MkdirTemp("", "authgear-migrate-doc-")
		if err != nil {
			return docWrittenMsg{err: err}
		}
		defer os.RemoveAll(dir)
		path := strings.TrimSuffix(defaultMappingPath(ld.input), ".mapping.yaml") + ".request.json"
		_, err = importer.Run(s.ctx, importer.RunConfig{Mapping: mp, MappingPath: mappingPath, Input: ld.input,
			DryRun: true, Report: filepath.Join(dir, "r.csv"), EmitJSON: path})
		return docWrittenMsg{path: path, err: err}
	}
}

func (p *previewStep) View() string {
	st := p.c.Styles
	var b strings.Builder
	b.WriteString(st.Title.Render("Preview: the JSON as it will be sent") + "  " + st.Muted.Render("nothing is sent in this step") + "\n")
	b.WriteString(st.Muted.Render(ui.Truncate("saved "+p.s.mappingPath+" · headless: "+replayCommand(p.s), p.c.Width-2)) + "\n")
	switch {
	case p.err != nil:
		b.WriteString(st.ErrorBox.Render(importer.PrintableLines(p.err.Error())) + "\n")
	case p.summary != nil && p.summary.Needs != nil && p.summary.Needs.InvalidKeyAdvice() != "":
		b.WriteString(p.counts() + "\n")
		b.WriteString(st.Warn.Render(ui.Wrap(importer.Printable(p.summary.Needs.InvalidKeyAdvice()), p.c.Width-2)) + "\n")
	case p.running:
		b.WriteString(st.Muted.Render(fmt.Sprintf("validating the whole file… %d records (%d invalid)", p.stats.Total, p.stats.Invalid)) + "\n")
	default:
		b.WriteString(p.counts() + "\n")
	}
	used := lipgloss.Height(b.String())
	if p.docPath != "" || p.docErr != nil {
		used++
	}
	p.vp.Width, p.vp.Height = max(p.c.Width-2, 20), max(p.c.BodyHeight()-used, 3)
	b.WriteString(p.vp.View() + "\n")
	if p.docPath != "" || p.docErr != nil {
		if p.docErr != nil {
			b.WriteString(st.Bad.Render("request document: "+importer.Printable(p.docErr.Error())) + "\n")
		} else {
			b.WriteString(st.Good.Render("request document written: "+p.docPath+" (mode 0600)") + "\n")
		}
	}
	return b.String()
}

func (p *previewStep) counts() string {
	st := p.c.Styles
	s := p.stats
	line := fmt.Sprintf("%d records: %s, %s · passwords: %d bcrypt, %d dropped",
		s.Total, st.Good.Render(fmt.Sprintf("%d valid", s.Valid)), p.badText(fmt.Sprintf("%d invalid", s.Invalid), s.Invalid), s.PasswordsBcrypt, s.PasswordsDropped)
	if s.NotUsers > 0 {
		line += fmt.Sprintf(" · %d other objects (not users)", s.NotUsers)
	}
	p.mu.Lock()
	reasons := map[string]int{}
	for _, i := range p.invalid {
		r := p.records[i].reason
		if j := strings.Index(r, "; "); j > 0 {
			r = r[:j]
		}
		if strings.HasPrefix(r, "duplicate of record") {
			r = "duplicates"
		}
		reasons[r]++
	}
	p.mu.Unlock()
	type kv struct {
		k string
		n int
	}
	var list []kv
	for k, n := range reasons {
		list = append(list, kv{k, n})
	}
	sort.Slice(list, func(i, j int) bool { return list[i].n > list[j].n || list[i].n == list[j].n && list[i].k < list[j].k })
	for i, x := range list {
		if i == 3 {
			break
		}
		line += "\n  " + st.Bad.Render(fmt.Sprintf("%d", x.n)) + " " + ui.Truncate(importer.Printable(x.k), p.c.Width-10)
	}
	return line
}

func (p *previewStep) badText(s string, n int) string {
	if n == 0 {
		return p.c.Styles.Muted.Render(s)
	}
	return p.c.Styles.Bad.Render(s)
}
