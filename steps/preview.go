package steps

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"sync/atomic"
	"time"

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
	json   []byte      // the record as sent, compact (indented when shown)
	source [][2]string // column and value (invalid ones)
}

// previewKept is what the dry run keeps for the screen. The run's
// goroutine writes it, the model reads it, and neither waits for the
// other: records go into a slice made at its full size (it never grows,
// so a record once written never moves) and are published by an atomic
// count; a record below the count is never written again.
type previewKept struct {
	ld      *loaded
	recs    []previewRecord // len previewValid+previewInvalid
	n       atomic.Int64    // records published
	valid   int             // the run's goroutine only
	invalid int
}

func newPreviewKept(ld *loaded) *previewKept {
	return &previewKept{ld: ld, recs: make([]previewRecord, previewValid+previewInvalid)}
}

// inspect keeps a record if the screen has room for it (called on the
// run's goroutine for every record of the file: once full, it returns at
// once).
func (k *previewKept) inspect(pr *importer.Prepared) {
	valid := pr.Valid()
	if valid && k.valid >= previewValid || !valid && k.invalid >= previewInvalid {
		return
	}
	rec := previewRecord{row: pr.Row.Num, valid: valid, reason: pr.Reason()}
	if pr.Record != nil {
		if b, err := pr.Record.AppendJSON(nil); err == nil {
			rec.json = b
		}
	}
	if valid {
		k.valid++
	} else {
		k.invalid++
		for _, c := range k.ld.columns {
			if v := k.ld.viewer.Value(pr.Row, c); v != "" {
				rec.source = append(rec.source, [2]string{c, v})
			}
		}
	}
	n := k.n.Load()
	k.recs[n] = rec
	k.n.Store(n + 1)
}

// published is the records kept so far.
func (k *previewKept) published() []previewRecord {
	n := k.n.Load()
	return k.recs[:n:n]
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
	kept    *previewKept
	// records are the kept records the model has taken (from kept, in
	// Update); invalid indexes them and reasons counts their reasons.
	records []previewRecord
	invalid []int
	reasons map[string]int
	shown   int // the record in the viewport
	unmask  bool
	vp      viewport.Model
	docPath string
	docErr  error
}

func newPreview(c *ui.Common, s *session) *previewStep {
	return &previewStep{c: c, s: s, vp: viewport.New(c.Width-2, 10), reasons: map[string]int{}, keys: previewKeys{
		Next:     ui.Binding([]string{"enter"}, "enter", "import"),
		NextBad:  ui.Binding([]string{"n"}, "n/p", "invalid"),
		PrevBad:  ui.Binding([]string{"p"}, "p", "previous invalid"),
		Scroll:   ui.Binding([]string{"tab"}, "tab", "next"),
		Unmask:   ui.Binding([]string{"m"}, "m", "unmask"),
		WriteDoc: ui.Binding([]string{"w"}, "w", "write JSON"),
	}}
}

func (p *previewStep) Busy() bool { return false }

// leave stops a dry run still going: going back means the mapping changes.
// The run writes no file, so nothing is left behind.
func (p *previewStep) leave() {
	if p.cancel != nil {
		p.cancel()
	}
}

// ShortHelp is what the footer shows: enter and w only once the whole
// file is validated (Update enables them).
func (p *previewStep) ShortHelp() []key.Binding {
	return []key.Binding{p.keys.Next, p.keys.NextBad, p.keys.Scroll, p.keys.Unmask, p.keys.WriteDoc}
}

func (p *previewStep) FullHelp() [][]key.Binding {
	return [][]key.Binding{{p.keys.Next, p.keys.NextBad, p.keys.PrevBad, p.keys.Scroll}, {p.keys.Unmask, p.keys.WriteDoc, p.c.Keys.Up, p.c.Keys.Down}}
}

// Init prepares the whole file's dry run (the run's own, with no report:
// the preview keeps what it shows and leaves no file); it starts when the
// command runs.
func (p *previewStep) Init() tea.Cmd {
	p.kept = newPreviewKept(p.s.loaded)
	cfg := importer.RunConfig{
		Mapping: cloneMapping(p.s.mapping), MappingPath: p.s.mappingPath, Input: p.s.loaded.input,
		DryRun: true, NoReport: true, Inspect: p.kept.inspect,
	}
	p.running = true
	p.keys.Next.SetEnabled(false)
	p.keys.WriteDoc.SetEnabled(false)
	p.runID = p.s.nextRunID()
	ctx, cancel := context.WithCancel(p.s.ctx)
	p.cancel = cancel
	ch := make(chan tea.Msg, 16)
	p.ch = ch
	id := p.runID
	return func() tea.Msg {
		go previewRun(ctx, id, cfg, ch)
		return waitFor(ch)()
	}
}

// previewEvery is how often the dry run's progress reaches the screen: a
// redraw per 512-record chunk (2,000 for a million records) cost the run
// a third of its time on two cores.
const previewEvery = 100 * time.Millisecond

// previewRun is the preview's dry run: its progress comes as eventMsgs at
// most every previewEvery (dropped when the screen is behind: the next
// carries the same counts), and its end as a runDoneMsg, which always
// has room in ch (only this goroutine sends, and progress leaves a slot
// free), so the run never waits for the screen, even one that stopped
// reading because the person left the step.
func previewRun(ctx context.Context, id int, cfg importer.RunConfig, ch chan tea.Msg) {
	var last time.Time
	cfg.Events = func(e importer.Event) {
		if v, ok := e.(importer.Validating); ok && time.Since(last) >= previewEvery && len(ch) < cap(ch)-1 {
			last = time.Now()
			ch <- eventMsg{id, v}
		}
	}
	s, err := importer.Run(ctx, cfg)
	ch <- runDoneMsg{id: id, summary: s, err: err}
	close(ch)
}

// take adds the records the run kept since the last call.
func (p *previewStep) take() {
	if p.kept == nil {
		return
	}
	all := p.kept.published()
	had := len(p.records)
	for i := had; i < len(all); i++ {
		if !all[i].valid {
			p.invalid = append(p.invalid, i)
			r := all[i].reason
			if j := strings.Index(r, "; "); j > 0 {
				r = r[:j]
			}
			if strings.HasPrefix(r, "duplicate of record") {
				r = "duplicate of an earlier record"
			}
			p.reasons[r]++
		}
	}
	p.records = all
	if had == 0 && len(all) > 0 {
		p.refresh()
	}
}

func (p *previewStep) Update(msg tea.Msg) (step, tea.Cmd) {
	cmd := p.update(msg)
	done := !p.running && p.err == nil
	p.keys.Next.SetEnabled(done)
	p.keys.WriteDoc.SetEnabled(done)
	p.layout()
	return p, cmd
}

func (p *previewStep) update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case eventMsg:
		if msg.id != p.runID {
			return nil
		}
		if v, ok := msg.e.(importer.Validating); ok {
			p.stats = v.Stats
		}
		p.take()
		return waitFor(p.ch)
	case runDoneMsg:
		if msg.id != p.runID {
			return nil
		}
		p.running = false
		s := msg.summary
		p.summary, p.err = &s, msg.err
		if msg.err == nil {
			p.s.preview = &s
		}
		p.stats = s.PrepareStats
		p.take()
		p.refresh()
		return nil
	case docWrittenMsg:
		p.docPath, p.docErr = msg.path, msg.err
		return nil
	case tea.KeyMsg:
		switch {
		case key.Matches(msg, p.keys.Next) && !p.running && p.err == nil:
			return next
		case key.Matches(msg, p.c.Keys.Back):
			return back
		case key.Matches(msg, p.keys.NextBad), key.Matches(msg, p.keys.PrevBad):
			p.jumpBad(key.Matches(msg, p.keys.NextBad))
		case key.Matches(msg, p.keys.Scroll):
			if n := len(p.records); n > 0 {
				p.shown = (p.shown + 1) % n
			}
			p.refresh()
		case key.Matches(msg, p.keys.Unmask):
			p.unmask = !p.unmask
			p.refresh()
		case key.Matches(msg, p.keys.WriteDoc) && !p.running:
			return writeDocCmd(p.s)
		default:
			var cmd tea.Cmd
			p.vp, cmd = p.vp.Update(msg)
			return cmd
		}
	}
	return nil
}

func (p *previewStep) jumpBad(forward bool) {
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
	if pick >= 0 {
		p.refresh()
	}
}

var hashValue = regexp.MustCompile(`("(?:password_hash|secret)": ")([^"]*)(")`)

// refresh puts the shown record in the viewport, coloured.
func (p *previewStep) refresh() {
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
		secret := p.s.loaded.secretColumns(p.s.mapping)
		for _, cv := range r.source {
			v := cv[1]
			if secret[cv[0]] && !p.unmask {
				v = "••••••••"
			}
			b.WriteString(st.Muted.Render("  "+ui.Truncate(importer.Printable(cv[0]+": "+v), p.vp.Width-4)) + "\n")
		}
	}
	js := indentJSON(r.json)
	if !p.unmask {
		js = hashValue.ReplaceAllString(js, "${1}••••••••${3}")
	}
	b.WriteString(colourJSON(st, js))
	p.vp.SetContent(b.String())
	p.vp.GotoTop()
}

// indentJSON indents a record's JSON for the screen (only the record
// shown: the run keeps them compact).
func indentJSON(b []byte) string {
	var out bytes.Buffer
	if json.Indent(&out, b, "", "  ") != nil {
		return string(b)
	}
	return out.String()
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
		path := importer.DefaultRequestDocument(ld.input)
		_, err := importer.Run(s.ctx, importer.RunConfig{Mapping: mp, MappingPath: mappingPath, Input: ld.input,
			DryRun: true, NoReport: true, EmitJSON: path})
		return docWrittenMsg{path: path, err: err}
	}
}

// View draws the step; it changes nothing (the viewport is sized in
// Update, by layout).
func (p *previewStep) View() string {
	st := p.c.Styles
	var b strings.Builder
	b.WriteString(p.head())
	vp := p.vp
	vp.Width, vp.Height = p.vpSize()
	b.WriteString(vp.View() + "\n")
	if line := p.docLine(); line != "" {
		if p.docErr != nil {
			b.WriteString(st.Bad.Render(line) + "\n")
		} else {
			b.WriteString(st.Good.Render(line) + "\n")
		}
	}
	return b.String()
}

// docLine is what w did (the request document written, or why not),
// wrapped to the width: a refusal is said whole.
func (p *previewStep) docLine() string {
	width := max(p.c.Width-2, 20)
	switch {
	case p.docErr != nil:
		return ui.Wrap("request document: "+importer.PrintableLines(p.docErr.Error()), width)
	case p.docPath != "":
		return ui.Wrap("request document written: "+importer.Printable(p.docPath)+" (mode 0600)", width)
	}
	return ""
}

// vpSize is the viewport's size: the body below the head.
func (p *previewStep) vpSize() (int, int) {
	used := lipgloss.Height(p.head())
	if line := p.docLine(); line != "" {
		used += lipgloss.Height(line)
	}
	return max(p.c.Width-2, 20), max(p.c.BodyHeight()-used, 3)
}

// layout sizes the viewport after a change (its scrolling needs the
// height).
func (p *previewStep) layout() { p.vp.Width, p.vp.Height = p.vpSize() }

// head is the title, the command and the counts.
func (p *previewStep) head() string {
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
		b.WriteString(st.Muted.Render(fmt.Sprintf("validating the whole file… %s (%s invalid)", ui.Count(p.stats.Total, "record", "records"), ui.Number(p.stats.Invalid))) + "\n")
	default:
		b.WriteString(p.counts() + "\n")
	}
	return b.String()
}

func (p *previewStep) counts() string {
	st := p.c.Styles
	s := p.stats
	line := fmt.Sprintf("%s: %s, %s · passwords: %s bcrypt, %s dropped",
		ui.Count(s.Total, "record", "records"), st.Good.Render(ui.Number(s.Valid)+" valid"), p.badText(ui.Number(s.Invalid)+" invalid", s.Invalid),
		ui.Number(s.PasswordsBcrypt), ui.Number(s.PasswordsDropped))
	if s.NotUsers > 0 {
		line += " · " + ui.Count(s.NotUsers, "other object", "other objects") + " (not users)"
	}
	if dropped := importer.DroppedCounts(s.DroppedFields); len(dropped) > 0 {
		// Values the users are imported without (issue 18's rule), per
		// field and reason; space on a field in Map rejects instead.
		parts := make([]string, len(dropped))
		for i, d := range dropped {
			parts[i] = d.String()
		}
		line += "\n" + st.Warn.Render(ui.Wrap("left out, the users imported without them: "+importer.Printable(strings.Join(parts, ", ")), max(p.c.Width-2, 20)))
	}
	type kv struct {
		k string
		n int
	}
	var list []kv
	for k, n := range p.reasons {
		list = append(list, kv{k, n})
	}
	sort.Slice(list, func(i, j int) bool { return list[i].n > list[j].n || list[i].n == list[j].n && list[i].k < list[j].k })
	for i, x := range list {
		if i == 3 {
			break
		}
		line += "\n  " + st.Bad.Render(ui.Number(x.n)) + " " + ui.Truncate(importer.Printable(x.k), p.c.Width-10)
	}
	return line
}

func (p *previewStep) badText(s string, n int) string {
	if n == 0 {
		return p.c.Styles.Muted.Render(s)
	}
	return p.c.Styles.Bad.Render(s)
}
