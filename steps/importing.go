package steps

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/progress"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/authgear-migrate/authgear-migrate/importer"
	"github.com/authgear-migrate/authgear-migrate/importer/adminapi"
	"github.com/authgear-migrate/authgear-migrate/ui"
)

type importPhase int

const (
	phaseChoose importPhase = iota // the target
	phaseChecking
	phaseConfirm
	phaseRunning
	phaseAskStop
	phaseDone
)

type importKeys struct {
	Create key.Binding
	Verify key.Binding
	Start  key.Binding
	Switch key.Binding
	Stop   key.Binding
	Next   key.Binding
}

type (
	targetMsg struct {
		t   *importer.Destination
		err error
		// missing roles and groups the records need (a real project)
		missing []importer.KeyCount
	}
	verifiedMsg struct {
		s   importer.VerifySummary
		err error
	}
)

type importingStep struct {
	c       *ui.Common
	s       *session
	keys    importKeys
	phase   importPhase
	real    bool // the configured Authgear, not the sandbox
	cfg     adminapi.Config
	target  *importer.Destination
	err     error
	confirm textinput.Model
	// fields edit the Authgear target: endpoint, project id, key id and
	// the key file's path (the key itself is never shown).
	fields   [4]textinput.Model
	focus    int
	bar      progress.Model
	prog     importer.ImportProgress
	counted  int
	failures []importer.ReportRow
	warnings []string
	stopped  string
	summary  *importer.RunSummary
	runErr   error
	cancel   context.CancelFunc
	ch       <-chan tea.Msg
	runID    int
	started  time.Time
	// verify: reading the imported users back
	verifying bool
	verified  *importer.VerifySummary
	verifyErr error
	verifyN   [2]int // done, total
	// missing roles and groups of a real project, and whether to create
	// them before the first request; what preparing the project said
	missing []importer.KeyCount
	create  bool
	prepMu  sync.Mutex
	prepLog []string
}

func newImporting(c *ui.Common, s *session) *importingStep {
	getenv := s.opts.Getenv
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	ti := textinput.New()
	ti.Prompt = "type y to import into this project: "
	bar := progress.New(progress.WithDefaultGradient())
	cfg := adminapi.ConfigFromEnv(getenv)
	var fields [4]textinput.Model
	for i, f := range []struct{ prompt, value, placeholder string }{
		{"endpoint    ", cfg.Endpoint, "https://myapp.authgear.cloud"},
		{"project id  ", cfg.ProjectID, "(from the endpoint)"},
		{"key id      ", cfg.KeyID, "the key id shown in the portal (Advanced > Admin API)"},
		{"key file    ", cfg.KeyFile, "./admin-key.pem"},
	} {
		fields[i] = textinput.New()
		fields[i].Prompt = f.prompt
		fields[i].Placeholder = f.placeholder
		fields[i].SetValue(f.value)
	}
	if cfg.KeyFile == "" && cfg.KeyData != "" {
		fields[3].Placeholder = "(the key in AUTHGEAR_ADMIN_KEY)"
	}
	return &importingStep{c: c, s: s, cfg: cfg, confirm: ti, bar: bar, fields: fields, keys: importKeys{
		Start:  ui.Binding([]string{"enter"}, "enter", "continue"),
		Switch: ui.Binding([]string{"tab"}, "tab", "switch target"),
		Stop:   ui.Binding([]string{"ctrl+c"}, "ctrl+c", "stop safely"),
		Next:   ui.Binding([]string{"enter"}, "enter", "middleware"),
		Verify: ui.Binding([]string{"v"}, "v", "verify: read the users back"),
		Create: ui.Binding([]string{"ctrl+r"}, "ctrl+r", "create missing roles"),
	}}
}

func (m *importingStep) Init() tea.Cmd { return nil }
func (m *importingStep) Busy() bool    { return m.phase == phaseRunning || m.phase == phaseAskStop }
func (m *importingStep) Typing() bool {
	return m.real && (m.phase == phaseConfirm || m.phase == phaseChoose)
}

// targetConfig is the Authgear target as the fields say.
func (m *importingStep) targetConfig() adminapi.Config {
	c := m.cfg
	c.Endpoint = strings.TrimSpace(m.fields[0].Value())
	c.ProjectID = strings.TrimSpace(m.fields[1].Value())
	c.KeyID = strings.TrimSpace(m.fields[2].Value())
	if f := strings.TrimSpace(m.fields[3].Value()); f != "" {
		c.KeyFile, c.KeyData = f, ""
	} else {
		c.KeyFile = ""
	}
	return c
}

func (m *importingStep) focusField(i int) tea.Cmd {
	for j := range m.fields {
		m.fields[j].Blur()
	}
	m.focus = (i + len(m.fields)) % len(m.fields)
	return m.fields[m.focus].Focus()
}

// NoBack: once the import ran, going back would import again.
func (m *importingStep) NoBack() bool { return m.phase == phaseDone }

func (m *importingStep) ShortHelp() []key.Binding {
	switch m.phase {
	case phaseChoose:
		return []key.Binding{m.keys.Start, m.keys.Switch}
	case phaseRunning:
		return []key.Binding{m.keys.Stop}
	case phaseDone:
		if m.canVerify() {
			return []key.Binding{m.keys.Next, m.keys.Verify}
		}
		return []key.Binding{m.keys.Next}
	}
	if m.phase == phaseConfirm && len(m.missing) > 0 {
		return []key.Binding{m.keys.Start, m.keys.Create}
	}
	return []key.Binding{m.keys.Start}
}

func (m *importingStep) FullHelp() [][]key.Binding { return [][]key.Binding{m.ShortHelp()} }

// targetCmd starts the sandbox, or checks the configured endpoint and its
// credentials with a look-up that needs a valid token.
func (m *importingStep) targetCmd() tea.Cmd {
	real, cfg, ctx := m.real, m.targetConfig(), m.s.ctx
	var needs importer.ProjectNeeds
	if p := m.s.preview; p != nil && p.Needs != nil {
		needs = *p.Needs
	}
	return func() tea.Msg {
		if !real {
			t, err := importer.StartSandbox(ctx, importer.SandboxConfig{
				LoginIDTypes: []string{"email", "phone", "username"}, Roles: []string{"*"}, Groups: []string{"*"}})
			return targetMsg{t, err, nil}
		}
		t, err := importer.AdminAPITarget(cfg)
		if err != nil {
			return targetMsg{nil, err, nil}
		}
		cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		_, err = t.API.GetImport(cctx, "userimport_00000000000000000000000000000000")
		if err != nil && !adminapi.IsTaskNotFound(err) {
			return targetMsg{nil, fmt.Errorf("the connection check failed: %w", err), nil}
		}
		// The roles and groups the records need that the project lacks.
		var missing []importer.KeyCount
		if api, ok := t.API.(importer.ProjectAPI); ok && !needs.Empty() {
			missing, _ = importer.MissingKeys(cctx, api, needs)
		}
		return targetMsg{t, nil, missing}
	}
}

func (m *importingStep) Update(msg tea.Msg) (step, tea.Cmd) {
	switch msg := msg.(type) {
	case targetMsg:
		if msg.err != nil {
			m.phase, m.err = phaseChoose, msg.err
			return m, nil
		}
		m.target, m.phase, m.missing = msg.t, phaseConfirm, msg.missing
		if m.real {
			m.confirm.SetValue("")
			return m, m.confirm.Focus()
		}
		return m, nil
	case eventMsg:
		if msg.id != m.runID {
			return m, nil
		}
		switch e := msg.e.(type) {
		case importer.Importing:
			m.prog = e.Progress
		case importer.Counted:
			m.counted = e.Total
		case importer.Failed:
			m.failures = append(m.failures, e.Row)
			if len(m.failures) > 5 {
				m.failures = m.failures[1:]
			}
		case importer.Warning:
			m.warnings = append(m.warnings, e.Message)
		case importer.Retrying:
			m.warnings = append(m.warnings, "retrying: "+e.Retry.String())
		case importer.Stopped:
			m.stopped = e.Advice
		}
		if len(m.warnings) > 3 {
			m.warnings = m.warnings[len(m.warnings)-3:]
		}
		return m, tea.Batch(waitFor(m.ch), m.setPercent(m.fraction()))
	case runDoneMsg:
		if msg.id != m.runID {
			return m, nil
		}
		s := msg.summary
		m.summary, m.runErr, m.phase = &s, msg.err, phaseDone
		m.s.summary = &s
		// The target stays open for verify; the wizard closes it at the end.
		m.s.closers = append(m.s.closers, m.target.Close)
		return m, m.setPercent(1)
	case verifiedMsg:
		m.verifying = false
		m.verified, m.verifyErr = &msg.s, msg.err
		return m, nil
	case verifyProgressMsg:
		m.verifyN = [2]int{msg.done, msg.total}
		return m, waitFor(msg.ch)
	case progress.FrameMsg:
		bar, cmd := m.bar.Update(msg)
		if b, ok := bar.(progress.Model); ok {
			m.bar = b
		}
		return m, cmd
	case tea.KeyMsg:
		return m.key(msg)
	}
	if m.phase == phaseConfirm && m.real {
		var cmd tea.Cmd
		m.confirm, cmd = m.confirm.Update(msg)
		return m, cmd
	}
	return m, nil
}

func (m *importingStep) key(k tea.KeyMsg) (step, tea.Cmd) {
	switch m.phase {
	case phaseChoose:
		switch {
		case key.Matches(k, m.keys.Switch):
			m.real, m.err = !m.real, nil
			if m.real {
				return m, m.focusField(m.focus)
			}
			for j := range m.fields {
				m.fields[j].Blur()
			}
		case m.real && (k.Type == tea.KeyUp || k.Type == tea.KeyDown):
			d := 1
			if k.Type == tea.KeyUp {
				d = -1
			}
			return m, m.focusField(m.focus + d)
		case key.Matches(k, m.keys.Start):
			m.phase, m.err = phaseChecking, nil
			return m, m.targetCmd()
		case key.Matches(k, m.c.Keys.Back):
			return m, back
		case m.real:
			var cmd tea.Cmd
			m.fields[m.focus], cmd = m.fields[m.focus].Update(k)
			return m, cmd
		}
	case phaseConfirm:
		switch {
		case key.Matches(k, m.c.Keys.Back):
			m.target.Close()
			m.target, m.phase = nil, phaseChoose
			return m, nil
		case key.Matches(k, m.keys.Create) && len(m.missing) > 0:
			m.create = !m.create
			return m, nil
		case key.Matches(k, m.keys.Start):
			if m.real {
				v := strings.TrimSpace(m.confirm.Value())
				if v != "y" && v != "yes" && v != m.cfg.ProjectID {
					m.err = fmt.Errorf("type y (or the project id) to import into a real project")
					return m, nil
				}
			}
			return m, m.start()
		}
		if m.real {
			var cmd tea.Cmd
			m.confirm, cmd = m.confirm.Update(k)
			return m, cmd
		}
	case phaseRunning:
		if key.Matches(k, m.keys.Stop) {
			m.phase = phaseAskStop
		}
	case phaseAskStop:
		switch k.String() {
		case "y", "Y":
			m.cancel()
			m.phase = phaseRunning
			m.stopped = "stopping at a safe point…"
		default:
			m.phase = phaseRunning
		}
	case phaseDone:
		switch {
		case key.Matches(k, m.keys.Next) && !m.verifying:
			return m, next
		case key.Matches(k, m.keys.Verify) && m.canVerify() && !m.verifying:
			return m, m.verify()
		}
	}
	return m, nil
}

// start runs the import: the same run replay does, with the same files.
func (m *importingStep) start() tea.Cmd {
	ld := m.s.loaded
	ctx, cancel := context.WithCancel(m.s.ctx)
	m.cancel = cancel
	m.phase, m.started, m.err = phaseRunning, time.Now(), nil
	cfg := importer.RunConfig{
		Mapping: cloneMapping(m.s.mapping), MappingPath: m.s.mappingPath, Input: ld.input,
		Report: importer.DefaultReport(ld.input), Target: m.target, Concurrency: 2,
		ResumeCommand: replayCommand(m.s),
	}
	if api, ok := m.target.API.(importer.ProjectAPI); ok && m.real {
		// Missing roles and groups are created (when confirmed) or listed
		// before the first request.
		// The engine decides (issue 17 item 7): the limit, and creation
		// after the first request; the typed confirmation on this screen
		// covers the keys it listed, and no others.
		shown := m.missing
		importer.NewProjectPrep(api, importer.ProjectOptions{
			Create:  m.create,
			Confirm: func(p importer.KeyPlan) bool { return p.Within(shown) },
			Tell: func(msg string) {
				m.prepMu.Lock()
				defer m.prepMu.Unlock()
				m.prepLog = append(m.prepLog, msg)
			},
		}).Install(&cfg)
	}
	if m.real {
		m.s.endpoint = m.cfg.Endpoint
	}
	var cmd tea.Cmd
	m.runID = m.s.nextRunID()
	m.ch, cmd = startRun(ctx, m.runID, cfg)
	return cmd
}

// setPercent moves the bar. The animation's command reads the model it
// was made from when its tick fires: it gets a copy that no later Update
// writes to (the bar is a field of this pointer model).
func (m *importingStep) setPercent(f float64) tea.Cmd {
	bar := m.bar
	cmd := bar.SetPercent(f)
	m.bar = bar
	return cmd
}

// canVerify: users were inserted or updated, and the target can read
// them back.
func (m *importingStep) canVerify() bool {
	_, ok := m.target.API.(importer.UserReader)
	return ok && m.summary != nil && m.summary.Inserted+m.summary.Updated > 0
}

type verifyProgressMsg struct {
	done, total int
	ch          <-chan tea.Msg
}

// verify reads every user the report says were inserted or updated and
// compares them with what was sent (importer.Verify), with progress.
func (m *importingStep) verify() tea.Cmd {
	m.verifying, m.verified, m.verifyErr = true, nil, nil
	reader := m.target.API.(importer.UserReader)
	cfg := importer.VerifyConfig{Mapping: cloneMapping(m.s.mapping), Input: m.s.loaded.input,
		Report: m.summary.Report, All: true, API: reader}
	ch := make(chan tea.Msg, 16)
	cfg.Events = func(e importer.Event) {
		if r, ok := e.(importer.ReadingBack); ok {
			select {
			case ch <- verifyProgressMsg{r.Read, r.Total, ch}:
			default:
			}
		}
	}
	ctx := m.s.ctx
	go func() {
		s, err := importer.Verify(ctx, cfg)
		ch <- verifiedMsg{s, err}
		close(ch)
	}()
	return waitFor(ch)
}

func (m *importingStep) fraction() float64 {
	total := m.prog.Total
	if total == 0 {
		total = m.counted
	}
	if total == 0 {
		return 0
	}
	return min(float64(m.prog.Accounted())/float64(total), 1)
}

func (m *importingStep) View() string {
	st := m.c.Styles
	var b strings.Builder
	b.WriteString(st.Title.Render("Import") + "\n")
	switch m.phase {
	case phaseChoose, phaseChecking:
		b.WriteString("Target:\n")
		sb, rl := "› ", "  "
		if m.real {
			sb, rl = "  ", "› "
		}
		b.WriteString(sb + "the in-process sandbox: a rehearsal on this machine (email, phone and username\n    login IDs enabled, every role and group exists); nothing is sent to Authgear\n")
		b.WriteString(rl + "an Authgear project, with its Admin API key (pre-filled from AUTHGEAR_*)\n")
		if m.real {
			for _, f := range m.fields {
				b.WriteString("    " + st.InputView(&f) + "\n")
			}
			b.WriteString(st.Muted.Render("    ↑/↓ moves between fields; the key is read from the file, never shown") + "\n")
		}
		if m.phase == phaseChecking {
			b.WriteString(st.Muted.Render("checking the target…") + "\n")
		}
	case phaseConfirm:
		ld := m.s.loaded
		if len(m.missing) > 0 {
			var ks []string
			for _, k := range m.missing {
				ks = append(ks, k.String())
			}
			b.WriteString(st.Warn.Render(ui.Wrap("The project lacks "+importer.Printable(strings.Join(ks, ", "))+": those records would fail (RoleUnknownKeys, GroupUnknownKeys).", m.c.Width-2)) + "\n")
			if m.create {
				b.WriteString(st.Good.Render("They are created after the first request (ctrl+r: don't).") + "\n")
			} else {
				b.WriteString(st.Muted.Render("ctrl+r creates them after the first request.") + "\n")
			}
		}
		n := ld.count
		b.WriteString(ui.Wrap(fmt.Sprintf("Import %s into %s.", importer.Printable(ld.input), importer.Printable(m.target.Name)), m.c.Width-2) + "\n")
		if p := m.s.preview; p != nil {
			fmt.Fprintf(&b, "%d records: %d valid are sent, %d invalid are not.\n", p.Total, p.Valid, p.Invalid)
		} else if n >= 0 {
			fmt.Fprintf(&b, "%d records.\n", n)
		}
		fmt.Fprintf(&b, "The report goes to %s.\n", importer.DefaultReport(ld.input))
		if m.real {
			if target, settled, ok := importer.UnfinishedJournal(importer.DefaultJournal(importer.DefaultReport(ld.input))); ok {
				b.WriteString(st.Warn.Render(ui.Truncate(fmt.Sprintf("An unfinished import of this file into %s (%d records done) is in its journal: it is continued.", importer.Printable(target), settled), m.c.Width*2)) + "\n")
			}
			b.WriteString(st.Warn.Render("This writes to a real project.") + "\n" + st.InputView(&m.confirm) + "\n")
		} else {
			b.WriteString(st.Muted.Render("enter starts the rehearsal; esc chooses another target") + "\n")
		}
	case phaseRunning, phaseAskStop, phaseDone:
		b.WriteString(m.progressView())
	}
	if m.err != nil {
		b.WriteString(st.Bad.Render(importer.PrintableLines(m.err.Error())) + "\n")
	}
	return b.String()
}

func (m *importingStep) progressView() string {
	st := m.c.Styles
	p := m.prog
	var b strings.Builder
	m.bar.Width = max(min(m.c.Width-4, 72), 10)
	total := p.Total
	if total == 0 {
		total = m.counted
	}
	b.WriteString(m.bar.View() + "\n")
	line := fmt.Sprintf("%d", p.Accounted())
	if total > 0 {
		line += fmt.Sprintf(" of %d records", total)
	}
	if p.Rate > 0 {
		line += fmt.Sprintf(" · %.0f rec/s", p.Rate)
	}
	if p.ETA > 0 && m.phase != phaseDone {
		line += " · ETA " + p.ETA.Round(time.Second).String()
	}
	if p.InFlight > 0 {
		line += fmt.Sprintf(" · %d %s in flight", p.InFlight, plural(p.InFlight, "job", "jobs"))
	}
	b.WriteString(line + "\n")
	if s := m.summary; s != nil {
		fmt.Fprintf(&b, "%s  %s  %s  %s  %s\n", st.Good.Render(fmt.Sprintf("inserted %d", s.Inserted)), fmt.Sprintf("updated %d", s.Updated),
			fmt.Sprintf("skipped %d", s.Skipped), st.Bad.Render(fmt.Sprintf("failed %d", s.Failed)), st.Warn.Render(fmt.Sprintf("invalid %d", s.Invalid)))
	} else {
		fmt.Fprintf(&b, "%s  %s  %s  %s  %s\n", st.Good.Render(fmt.Sprintf("inserted %d", p.Inserted)), fmt.Sprintf("updated %d", p.Updated),
			fmt.Sprintf("skipped %d", p.Skipped), st.Bad.Render(fmt.Sprintf("failed %d", p.Failed)), st.Warn.Render(fmt.Sprintf("invalid %d", p.Invalid)))
	}
	for _, f := range m.failures {
		b.WriteString(st.Bad.Render(ui.Truncate(fmt.Sprintf("  row %d %s: %s", f.Row, importer.Printable(f.Identifier), importer.Printable(f.Reason)), m.c.Width-2)) + "\n")
	}
	m.prepMu.Lock()
	for _, l := range m.prepLog {
		b.WriteString(st.Warn.Render(ui.Wrap(importer.Printable(l), m.c.Width-2)) + "\n")
	}
	m.prepMu.Unlock()
	for _, w := range m.warnings {
		b.WriteString(st.Warn.Render(ui.Truncate(importer.Printable(w), m.c.Width-2)) + "\n")
	}
	if m.phase == phaseAskStop {
		b.WriteString(st.Warn.Render("Stop the import? Jobs already sent are read to the end and the journal resumes the rest. y/n") + "\n")
	}
	if m.stopped != "" && m.phase != phaseDone {
		b.WriteString(st.Warn.Render(ui.Truncate(importer.Printable(m.stopped), m.c.Width-2)) + "\n")
	}
	if s := m.summary; s != nil && m.phase == phaseDone {
		if s.NotUsers > 0 {
			fmt.Fprintf(&b, "%d other objects of the export are not users: not sent\n", s.NotUsers)
		}
		fmt.Fprintf(&b, "report: %s\n", s.Report)
		if s.Retry != "" {
			fmt.Fprintf(&b, "retry file: %s\n", s.Retry)
		}
		if s.Error != "" {
			b.WriteString(st.Bad.Render(ui.Truncate("stopped: "+importer.Printable(s.Error), m.c.Width-2)) + "\n")
		}
		if s.Resume != "" {
			b.WriteString(ui.Truncate("resume: "+s.Resume, m.c.Width-2) + "\n")
		}
		switch {
		case m.verifying:
			b.WriteString(st.Muted.Render(fmt.Sprintf("verifying: %d of %d users read back…", m.verifyN[0], m.verifyN[1])) + "\n")
		case m.verifyErr != nil:
			b.WriteString(st.Bad.Render(ui.Truncate("verify: "+importer.Printable(m.verifyErr.Error()), m.c.Width-2)) + "\n")
		case m.verified != nil:
			v := m.verified
			line := fmt.Sprintf("verify: %d users read back, %d match what was sent", v.Checked, v.Matched)
			if v.Differ > 0 {
				b.WriteString(st.Bad.Render(ui.Truncate(fmt.Sprintf("%s, %d differ: see %s", line, v.Differ, v.Out), m.c.Width-2)) + "\n")
			} else {
				b.WriteString(st.Good.Render(ui.Truncate(line, m.c.Width-2)) + "\n")
			}
		}
	}
	return b.String()
}
