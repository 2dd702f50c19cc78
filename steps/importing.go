package steps

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/progress"
	"github.com/charmbracelet/bubbles/spinner"
	"github.com/charmbracelet/bubbles/textinput"
	"github.com/charmbracelet/bubbles/viewport"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/authgear-migrate/authgear-migrate/importer"
	"github.com/authgear-migrate/authgear-migrate/importer/adminapi"
	"github.com/authgear-migrate/authgear-migrate/internal/rehearsal"
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
	Create   key.Binding
	Verify   key.Binding
	Start    key.Binding
	Check    key.Binding
	Switch   key.Binding
	Fields   key.Binding
	Stop     key.Binding
	Next     key.Binding
	Yes, No  key.Binding
	Scroll   key.Binding
	BackMap  key.Binding
	BackPick key.Binding
	Sample   key.Binding
	SignIn   key.Binding
	Canary   key.Binding
	// VerifyFull and SignInFull are Verify and SignIn in the full help.
	VerifyFull, SignInFull key.Binding
}

type (
	targetMsg struct {
		t   *importer.Destination
		err error
		// missing roles and groups the records need (a real project)
		missing []importer.KeyCount
		// an unfinished import of this file in the journal (a real project)
		unfinished string
		settled    int
	}
	// sampleWrittenMsg: the first records of a file too large for the
	// in-process sandbox were written to path.
	sampleWrittenMsg struct {
		path string
		n    int
		err  error
	}
	verifiedMsg struct {
		id  int
		s   importer.VerifySummary
		err error
	}
	verifyProgressMsg struct {
		id          int
		done, total int
		ch          <-chan tea.Msg
	}
)

func (m verifiedMsg) runID() int       { return m.id }
func (m verifyProgressMsg) runID() int { return m.id }

type importingStep struct {
	stepBase
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
	spin     spinner.Model
	prog     importer.ImportProgress
	counted  int
	failures []importer.ReportRow
	warnings []string
	// stopping: the person asked to stop; jobs in flight are read.
	stopping bool
	summary  *importer.RunSummary
	runErr   error
	cancel   context.CancelFunc
	ch       <-chan tea.Msg
	runID    int
	started  time.Time
	now      time.Time
	// the problem panel: a refusal, a stop or an error, in full
	problemVP viewport.Model
	// sample is the file imported instead of the export (a sample of a
	// file too large for the in-process sandbox) and its records
	sample   string
	sampleN  int
	sampling bool
	// an unfinished import of the same file, found by the target check
	unfinished string
	settled    int
	// verify: reading the imported users back
	verifying bool
	verified  *importer.VerifySummary
	verifyErr error
	verifyN   [2]int // done, total
	verifyID  int
	// missing roles and groups of a real project, and whether to create
	// them before the first request; what preparing the project said
	missing []importer.KeyCount
	create  bool
	prepMu  sync.Mutex
	prepLog []string
	// the sign-in check after the import (signin.go): the form, the check
	// running, its result, and the login ID last checked (never the
	// password)
	signIn      *signInForm
	signKeys    signInKeys
	canaryKeys  signInKeys
	signingIn   bool
	signInLogin string
	// signInEndpoint is the public endpoint typed last ("": the Admin
	// API endpoint's origin)
	signInEndpoint string
	signInRes      *importer.SignInResult
	signInErr      error
	signInID       int
	firstID        int
	// the canary's sign-in (canary.go): the check chosen on the
	// confirmation screen (its password only until the run starts; the
	// login ID is the session's canaryLogin), what it answered; the run's
	// estimate
	canary    *importer.SignInCheck
	canaryRes *importer.SignInResult
	// canaryRetrying: rate limited, the engine waits and tries once more
	canaryRetrying bool
	estimate       *importer.Estimated
}

func newImporting(c *ui.Common, s *session) *importingStep {
	getenv := s.opts.Getenv
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	ti := textinput.New()
	ti.Prompt = "type y or the project id to import into this project: "
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
	sp := spinner.New(spinner.WithSpinner(spinner.MiniDot))
	return &importingStep{c: c, s: s, cfg: cfg, confirm: ti, bar: bar, spin: sp, fields: fields, keys: importKeys{
		Start:      ui.Binding([]string{"enter"}, "enter", "continue"),
		Check:      ui.Binding([]string{"enter"}, "enter", "check the project"),
		Switch:     ui.Binding([]string{"tab"}, "tab", "switch target"),
		Fields:     ui.Binding([]string{"up", "down"}, "↑/↓", "field"),
		Stop:       ui.Binding([]string{"ctrl+c"}, "ctrl+c", "stop safely"),
		Next:       ui.Binding([]string{"enter"}, "enter", "middleware"),
		Verify:     ui.Binding([]string{"v"}, "v", "verify"),
		Create:     ui.Binding([]string{"ctrl+r"}, "ctrl+r", "create missing roles"),
		Yes:        ui.Binding([]string{"y", "Y", "ctrl+c"}, "y", "stop"),
		No:         ui.Binding([]string{"n", "N", "esc"}, "n/esc", "go on"),
		Scroll:     ui.Binding([]string{"pgup", "pgdown"}, "pgup/pgdn", "scroll"),
		BackMap:    ui.Binding([]string{"esc"}, "esc", "back to Map"),
		BackPick:   ui.Binding([]string{"esc"}, "esc", "other target"),
		Sample:     ui.Binding([]string{"s"}, "s", "rehearse a sample"),
		SignIn:     ui.Binding([]string{"s"}, "s", "sign in"),
		Canary:     ui.Binding([]string{"ctrl+s"}, "ctrl+s", "canary sign-in"),
		VerifyFull: ui.Binding([]string{"v"}, "v", "verify: read the users back"),
		SignInFull: ui.Binding([]string{"s"}, "s", "sign in as one of your users"),
	}, signKeys: defaultSignInKeys(), canaryKeys: canarySignInKeys()}
}

func (m *importingStep) Init() tea.Cmd { return nil }
func (m *importingStep) Busy() bool    { return m.phase == phaseRunning || m.phase == phaseAskStop }
func (m *importingStep) Typing() bool {
	return m.real && (m.phase == phaseConfirm || m.phase == phaseChoose) || m.signIn != nil
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

// ended: the run is over and did not go through (refused, stopped, an
// error, or records failed or not sent): esc goes back to Map to fix it.
func (m *importingStep) ended() bool {
	if m.phase != phaseDone {
		return false
	}
	s := m.summary
	return m.runErr != nil || s == nil || s.Error != "" || s.Failed > 0 || s.NotSent > 0
}

// backTo: before the import, the preview; after one that did not go
// through, Map (every edit kept: fix, and import again; a real project's
// journal continues the run). After one that went through, nowhere: going
// back would import again.
func (m *importingStep) backTo() (stepID, bool) {
	switch {
	case m.ended():
		return stepMap, true
	case m.phase == phaseDone:
		return 0, false
	}
	return stepPrev, true
}

func (m *importingStep) ShortHelp() []key.Binding {
	switch m.phase {
	case phaseChoose:
		if m.real {
			return []key.Binding{m.keys.Check, m.keys.Fields, m.keys.Switch}
		}
		if m.tooBig() {
			ks := []key.Binding{m.keys.Sample, m.keys.Switch}
			if m.problemLines() > 0 {
				ks = append(ks, m.keys.Scroll)
			}
			return ks
		}
		return []key.Binding{m.keys.Start, m.keys.Switch}
	case phaseChecking:
		return nil
	case phaseRunning:
		if m.stopping {
			return nil
		}
		return []key.Binding{m.keys.Stop}
	case phaseAskStop:
		return []key.Binding{m.keys.Yes, m.keys.No}
	case phaseDone:
		return m.doneKeys(m.keys.Verify, m.keys.SignIn)
	}
	if m.signIn != nil {
		k := m.formKeys()
		return []key.Binding{k.Submit, k.Next, k.Close}
	}
	if len(m.missing) > 0 {
		// The canary's sign-in is in the full help: the line fits 80
		// columns.
		return []key.Binding{m.keys.Start, m.keys.Create, m.keys.BackPick}
	}
	return []key.Binding{m.keys.Start, m.keys.Canary, m.keys.BackPick}
}

// doneKeys are the keys of the Done screen, with verify and sign-in as
// given (short in the help line, so that it fits 80 columns; in full
// words in the full help).
func (m *importingStep) doneKeys(verify, signIn key.Binding) []key.Binding {
	if m.signIn != nil {
		return []key.Binding{m.signKeys.Submit, m.signKeys.Next, m.signKeys.Close}
	}
	if m.signInRes != nil || m.signInErr != nil {
		return []key.Binding{signIn, m.signKeys.Close}
	}
	var ks []key.Binding
	if m.ended() {
		ks = append(ks, m.keys.BackMap)
		if m.problemLines() > 0 {
			ks = append(ks, m.keys.Scroll)
		}
	}
	ks = append(ks, m.keys.Next)
	if m.canVerify() {
		ks = append(ks, verify)
	}
	if m.canSignIn() {
		ks = append(ks, signIn)
	}
	if !m.ended() && m.problemLines() > 0 {
		ks = append(ks, m.keys.Scroll)
	}
	return ks
}

// FullHelp is the short help, with the Done screen's checks in full words.
func (m *importingStep) FullHelp() [][]key.Binding {
	switch {
	case m.phase == phaseDone:
		return [][]key.Binding{m.doneKeys(m.keys.VerifyFull, m.keys.SignInFull)}
	case m.phase == phaseConfirm && m.signIn == nil && len(m.missing) > 0:
		return [][]key.Binding{{m.keys.Start, m.keys.Create, m.keys.Canary, m.keys.BackPick}}
	}
	return [][]key.Binding{m.ShortHelp()}
}

// input is the file the import reads: the export, or a sample of it.
func (m *importingStep) input() string {
	if m.sample != "" {
		return m.sample
	}
	return m.s.loaded.input
}

// tooBig: the in-process sandbox was refused for the file's size.
func (m *importingStep) tooBig() bool {
	var big *importer.SandboxTooBig
	return !m.real && errors.As(m.err, &big)
}

// sampleCmd writes the first records the in-process sandbox holds to a
// file of their own, in the export's format.
func (m *importingStep) sampleCmd() tea.Cmd {
	m.sampling = true
	ctx, in, mp := m.s.ctx, m.s.loaded.input, cloneMapping(m.s.mapping)
	out := importer.SamplePath(in)
	return func() tea.Msg {
		n, err := importer.WriteSample(ctx, in, mp, out, importer.MaxSandboxRecords)
		return sampleWrittenMsg{out, n, err}
	}
}

// records is how many records the file holds, -1 when not known yet (the
// preview counted them all; the load step counts them too).
func (m *importingStep) records() int {
	if m.sample != "" {
		return m.sampleN
	}
	if p := m.s.preview; p != nil {
		return p.Total
	}
	if m.s.loaded != nil {
		return m.s.loaded.count
	}
	return -1
}

// targetCmd starts the sandbox, or checks the configured endpoint and its
// credentials with a look-up that needs a valid token.
func (m *importingStep) targetCmd() tea.Cmd {
	real, cfg, ctx := m.real, m.targetConfig(), m.s.ctx
	var needs importer.ProjectNeeds
	if p := m.s.preview; p != nil && p.Needs != nil {
		needs = *p.Needs
	}
	records := m.records()
	journal := importer.DefaultJournal(importer.DefaultReport(m.input()))
	return func() tea.Msg {
		if !real {
			if err := importer.CheckSandboxSize(records); err != nil {
				return targetMsg{err: err}
			}
			t, err := rehearsal.Start(ctx, rehearsalProject)
			return targetMsg{t: t, err: err}
		}
		t, err := importer.AdminAPITarget(cfg)
		if err != nil {
			return targetMsg{err: err}
		}
		cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		_, err = t.API.GetImport(cctx, "userimport_00000000000000000000000000000000")
		if err != nil && !adminapi.IsTaskNotFound(err) {
			return targetMsg{err: fmt.Errorf("the connection check failed: %w", err)}
		}
		msg := targetMsg{t: t}
		// The roles and groups the records need that the project lacks.
		if api, ok := t.API.(importer.ProjectAPI); ok && !needs.Empty() {
			msg.missing, _ = importer.MissingKeys(cctx, api, needs)
		}
		msg.unfinished, msg.settled, _ = importer.UnfinishedJournal(journal)
		return msg
	}
}

func (m *importingStep) Update(msg tea.Msg) (step, tea.Cmd) {
	if handled, cmd := m.updateSignIn(msg); handled {
		return m, cmd
	}
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		if m.signIn != nil {
			m.signIn.setWidth(m.c.Width)
		}
		m.layoutProblem()
		return m, nil
	case sampleWrittenMsg:
		m.sampling = false
		if msg.err != nil {
			m.err = msg.err
		} else {
			m.sample, m.sampleN, m.err = msg.path, msg.n, nil
		}
		m.layoutProblem()
		return m, nil
	case targetMsg:
		if msg.err != nil {
			m.phase, m.err = phaseChoose, msg.err
			m.layoutProblem()
			return m, nil
		}
		m.target, m.phase, m.missing = msg.t, phaseConfirm, msg.missing
		m.unfinished, m.settled = msg.unfinished, msg.settled
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
			// The latest failures the server gave; records not sent are
			// counted (not sent N), not listed.
			if e.Row.Unsent == importer.Settled {
				m.failures = append(m.failures, e.Row)
				if len(m.failures) > 3 {
					m.failures = m.failures[1:]
				}
			}
		case importer.Warning:
			m.warnings = append(m.warnings, e.Message)
		case importer.Retrying:
			m.warnings = append(m.warnings, "retrying: "+e.Retry.String())
		case importer.CanarySignedIn:
			res := e.Result
			m.canaryRes, m.canaryRetrying = &res, e.Retrying
		case importer.Estimated:
			m.estimate = &e
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
		m.s.summary, m.s.runErr = &s, msg.err
		// What stays in the scrollback after the wizard: the summary
		// printed there carries the notes already.
		m.s.problem = m.problemOnly()
		m.now = time.Now()
		m.layoutProblem()
		return m, m.setPercent(m.fraction())
	case spinner.TickMsg:
		if m.phase != phaseRunning && m.phase != phaseAskStop && m.phase != phaseChecking && !m.signingIn {
			return m, nil
		}
		m.now = time.Now()
		var cmd tea.Cmd
		m.spin, cmd = m.spin.Update(msg)
		return m, cmd
	case verifiedMsg:
		if msg.id != m.verifyID {
			return m, nil
		}
		m.verifying = false
		m.verified, m.verifyErr = &msg.s, msg.err
		m.layoutProblem()
		return m, nil
	case verifyProgressMsg:
		if msg.id != m.verifyID {
			return m, nil
		}
		m.verifyN = [2]int{msg.done, msg.total}
		return m, waitFor(msg.ch)
	case progress.FrameMsg:
		bar, cmd := m.bar.Update(msg)
		if b, ok := bar.(progress.Model); ok {
			m.bar = b
		}
		return m, cmd
	case tea.KeyMsg:
		st, cmd := m.key(msg)
		m.layoutProblem()
		return st, cmd
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
		case m.real && key.Matches(k, m.keys.Fields):
			d := 1
			if k.Type == tea.KeyUp {
				d = -1
			}
			return m, m.focusField(m.focus + d)
		case key.Matches(k, m.keys.Start):
			m.phase, m.err = phaseChecking, nil
			m.now = time.Now()
			return m, tea.Batch(m.targetCmd(), m.spin.Tick)
		case key.Matches(k, m.c.Keys.Back):
			return m, back
		case m.tooBig() && key.Matches(k, m.keys.Sample) && !m.sampling:
			return m, m.sampleCmd()
		case m.err != nil && key.Matches(k, m.keys.Scroll):
			return m, m.scroll(k)
		case m.real:
			var cmd tea.Cmd
			m.fields[m.focus], cmd = m.fields[m.focus].Update(k)
			return m, cmd
		}
	case phaseConfirm:
		switch {
		case key.Matches(k, m.c.Keys.Back):
			m.dropCanary()
			m.target.Close()
			m.target, m.phase, m.err = nil, phaseChoose, nil
			return m, nil
		case key.Matches(k, m.keys.Canary):
			return m, m.openCanarySignIn()
		case key.Matches(k, m.keys.Create) && len(m.missing) > 0:
			m.create = !m.create
			return m, nil
		case key.Matches(k, m.keys.Start):
			if m.real {
				v := strings.TrimSpace(m.confirm.Value())
				if v != "y" && v != "yes" && (m.target.ProjectID == "" || v != m.target.ProjectID) {
					m.err = fmt.Errorf("type y or the project id (%s) to import into this real project", m.target.ProjectID)
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
		if key.Matches(k, m.keys.Stop) && !m.stopping {
			m.phase = phaseAskStop
		}
	case phaseAskStop:
		switch {
		case key.Matches(k, m.keys.Yes):
			// y, or ctrl+c again: stop. A second ctrl+c never takes the
			// question back.
			m.cancel()
			m.phase, m.stopping = phaseRunning, true
		case key.Matches(k, m.keys.No):
			m.phase = phaseRunning
		}
	case phaseDone:
		switch {
		case key.Matches(k, m.signKeys.Close) && (m.signInRes != nil || m.signInErr != nil):
			// esc closes the check's result first.
			m.signInRes, m.signInErr = nil, nil
			return m, nil
		case key.Matches(k, m.keys.SignIn) && m.canSignIn() && !m.verifying && !m.signingIn:
			m.signInRes, m.signInErr = nil, nil
			return m, m.openSignIn()
		case key.Matches(k, m.keys.Next) && !m.verifying:
			return m, next
		case key.Matches(k, m.keys.Verify) && m.canVerify() && !m.verifying:
			return m, m.verify()
		case key.Matches(k, m.keys.BackMap) && m.ended() && !m.verifying:
			return m, back
		case key.Matches(k, m.keys.Scroll), key.Matches(k, m.c.Keys.Up), key.Matches(k, m.c.Keys.Down):
			return m, m.scroll(k)
		}
	}
	return m, nil
}

// rehearsalProject is the project the wizard rehearses in: every login ID
// type and every role and group (the headless command it prints says the
// same, replayCommand).
var rehearsalProject = importer.SandboxConfig{
	LoginIDTypes: []string{"email", "phone", "username"}, Roles: []string{"*"}, Groups: []string{"*"}}

// start runs the import: the same run replay does, with the same files.
func (m *importingStep) start() tea.Cmd {
	ctx, cancel := context.WithCancel(m.s.ctx)
	m.cancel = cancel
	m.phase, m.started, m.err = phaseRunning, time.Now(), nil
	m.now = m.started
	m.s.rehearsal, m.s.canaryLogin = !m.real, ""
	if m.canary != nil {
		m.s.canaryLogin = m.canary.LoginID
	}
	cfg := importer.RunConfig{
		Mapping: cloneMapping(m.s.mapping), MappingPath: m.s.mappingPath, Input: m.input(),
		Report: importer.DefaultReport(m.input()), Target: m.target, Concurrency: 2,
		ResumeCommand: replayCommand(m.s),
	}
	if m.real {
		// The fields the person changed are flags of the headless resume
		// (the rest comes from the same AUTHGEAR_* environment).
		tc := m.targetConfig()
		for _, f := range [][3]string{{"--endpoint", tc.Endpoint, m.cfg.Endpoint}, {"--project-id", tc.ProjectID, m.cfg.ProjectID},
			{"--key-id", tc.KeyID, m.cfg.KeyID}, {"--key-file", tc.KeyFile, m.cfg.KeyFile}} {
			if f[1] != "" && f[1] != f[2] {
				cfg.ResumeCommand += " " + f[0] + " " + importer.ShellQuote(f[1])
			}
		}
	}
	if m.sample != "" {
		cfg.ResumeCommand = ""
	}
	if m.canary != nil {
		// The engine fills in the endpoint and the Admin API client from
		// the target; the password leaves the model with the run.
		cfg.CanarySignIn = m.canary
		m.canary = nil
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
			Tell: func(msg string, r importer.Remedy) {
				if r == importer.RemedyCreateRoles {
					msg += ". Records that carry them fail; the canary stops the import at the first request."
				}
				m.prepMu.Lock()
				defer m.prepMu.Unlock()
				m.prepLog = append(m.prepLog, msg)
			},
		}).Install(&cfg)
	}
	// The middleware step protects the project imported into: the
	// endpoint in the field; after a rehearsal, AUTHGEAR_ENDPOINT (when
	// set).
	if m.real {
		m.s.endpoint = m.target.Endpoint
	} else {
		m.s.endpoint = m.cfg.Endpoint
	}
	var cmd tea.Cmd
	m.runID = m.s.nextRunID()
	m.ch, cmd = startRun(ctx, m.runID, cfg)
	return tea.Batch(cmd, m.spin.Tick)
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
	if m.target == nil {
		return false
	}
	_, ok := m.target.API.(importer.UserReader)
	return ok && m.summary != nil && m.summary.Inserted+m.summary.Updated > 0
}

// verify reads every user the report says were inserted or updated and
// compares them with what was sent (importer.Verify), with progress.
func (m *importingStep) verify() tea.Cmd {
	m.verifying, m.verified, m.verifyErr = true, nil, nil
	reader := m.target.API.(importer.UserReader)
	cfg := importer.VerifyConfig{Mapping: cloneMapping(m.s.mapping), Input: m.s.loaded.input,
		Report: m.summary.Report, All: true, API: reader}
	ch := make(chan tea.Msg, 16)
	id := m.s.nextRunID()
	m.verifyID = id
	cfg.Events = func(e importer.Event) {
		if r, ok := e.(importer.ReadingBack); ok {
			select {
			case ch <- verifyProgressMsg{id, r.Read, r.Total, ch}:
			default:
			}
		}
	}
	ctx := m.s.ctx
	return startThenWait(ch, func() {
		s, err := importer.Verify(ctx, cfg)
		ch <- verifiedMsg{id, s, err}
		close(ch)
	})
}

// counts is what the bar and the counters show: the summary's at the end,
// the run's progress before.
func (m *importingStep) counts() (c importer.Counts, settled, total int) {
	if s := m.summary; s != nil {
		c = importer.Counts{Invalid: s.Invalid, NotUsers: s.NotUsers, Inserted: s.Inserted, Updated: s.Updated,
			Skipped: s.Skipped, Failed: s.Failed, NotSent: s.NotSent, Unresolved: s.Unresolved}
		settled = s.Invalid + s.NotUsers + s.Inserted + s.Updated + s.Skipped + s.Failed
		return c, settled, s.Total
	}
	total = m.prog.Total
	if total == 0 {
		total = m.counted
	}
	return m.prog.Counts, m.prog.Accounted(), total
}

// fraction is the records settled: a stopped run's bar stands where it
// stopped, not at 100%.
func (m *importingStep) fraction() float64 {
	_, settled, total := m.counts()
	if total <= 0 {
		return 0
	}
	return min(float64(settled)/float64(total), 1)
}

// scroll moves the problem panel.
func (m *importingStep) scroll(k tea.KeyMsg) tea.Cmd {
	m.layoutProblem()
	var cmd tea.Cmd
	m.problemVP, cmd = m.problemVP.Update(k)
	return cmd
}

// layoutProblem sizes the problem panel and fills it (Update, never View,
// changes it).
func (m *importingStep) layoutProblem() {
	text := m.problemText()
	w, h := m.problemSize(text)
	m.problemVP.Width, m.problemVP.Height = w, h
	m.problemVP.SetContent(text)
}

// problemText is the problem wrapped to the screen, in the error colour.
func (m *importingStep) problemText() string {
	p := m.problem()
	if m.phase != phaseDone && m.err != nil {
		p = m.describe(m.err)
	}
	if p == "" {
		return ""
	}
	w := max(m.c.Width-2, 20)
	style := m.c.Styles.Bad
	if m.phase == phaseDone && m.runErr == nil && m.summary != nil && m.summary.Error == "" {
		// Only the run's notes: things to know, not an error.
		style = m.c.Styles.Warn
	}
	return style.Width(w).Render(p)
}

// problemSize is the panel's size: the lines left below the rest of the
// screen, at least 3.
func (m *importingStep) problemSize(text string) (int, int) {
	w := max(m.c.Width-2, 20)
	if text == "" {
		return w, 0
	}
	above := lipgloss.Height(strings.TrimSuffix(m.viewAbove(), "\n"))
	h := max(m.c.BodyHeight()-above, 3)
	if th := lipgloss.Height(text); th <= h {
		return w, th
	}
	return w, h - 1 // and a line saying how much more there is
}

// problemLines is how many lines of the panel are hidden (0: it fits).
func (m *importingStep) problemLines() int {
	return max(m.problemVP.TotalLineCount()-m.problemVP.Height, 0)
}

// problem is the run's refusal, stop or error in the wizard's words, with
// what to do; "" when the run went through.
func (m *importingStep) problemOnly() string {
	if m.phase != phaseDone {
		return ""
	}
	s := m.summary
	var b strings.Builder
	var re *importer.RefusedError
	switch {
	case errors.As(m.runErr, &re):
		b.WriteString("The import was refused; nothing was sent and no file was touched: " + importer.Printable(re.Msg) + ".")
	case s != nil && s.Error != "":
		b.WriteString("stopped: " + importer.PrintableLines(s.Error))
	case m.runErr != nil:
		b.WriteString("error: " + importer.PrintableLines(m.runErr.Error()))
	}
	if r := m.remedy(importer.RemedyOf(m.runErr)); r != "" {
		b.WriteString("\n" + r)
	}
	if s != nil && s.Resume != "" && importer.RemedyOf(m.runErr) == importer.RemedyRunAgain {
		b.WriteString("\nFrom a shell, the same import goes on with: " + s.Resume)
	}
	return strings.TrimSpace(b.String())
}

// problem is what the screen shows after the run: the problem, if any,
// and the run's notes.
func (m *importingStep) problem() string {
	var b strings.Builder
	b.WriteString(m.problemOnly())
	if s := m.summary; s != nil {
		for _, n := range s.Notes {
			b.WriteString("\nnote: " + importer.Printable(n))
		}
	}
	return strings.TrimSpace(b.String())
}

// remedy words an engine remedy with the wizard's fields and keys.
func (m *importingStep) remedy(r importer.Remedy) string {
	report := importer.DefaultReport(m.s.loaded.input)
	switch r {
	case importer.RemedyOtherReport:
		report = importer.DefaultReport(m.input())
		return fmt.Sprintf("The wizard writes its report as %s in this folder: move that report and its journal somewhere safe (undo and verify read them), or start the wizard in another folder.", report)
	case importer.RemedyCreateRoles:
		return "esc goes back to Map; import again, choose the project, and press ctrl+r before confirming to create the missing roles and groups first (or create them in the portal, User Management > Roles and Groups)."
	case importer.RemedyUpsert:
		return "To add it to the users already imported, turn upsert on in Map (esc goes back) before importing again."
	case importer.RemedyRunAgain:
		if m.target != nil && m.target.Rehearsal {
			return "The in-process sandbox ends with the wizard: importing again rehearses from the start."
		}
		return "esc goes back to Map; import into the same project again and the journal continues where this run stopped."
	case importer.RemedySignInAgain:
		if m.target != nil && m.target.Rehearsal {
			return "esc goes back to Map: fix the mapping or the export, import again, and type the sign-in again on the confirmation screen (ctrl+s); the in-process sandbox ends with the wizard, so a rehearsal starts over."
		}
		return "esc goes back to Map; import into the same project again with the sign-in typed again on the confirmation screen (ctrl+s): the canary user is not sent again, and is signed in as before the rest is sent. Without a sign-in, the import goes on unchecked."
	case importer.RemedyRestart:
		return fmt.Sprintf("To start over, move the journal %s away (records it imported would come back skipped).", importer.DefaultJournal(report))
	}
	return ""
}

// describe words an error of choosing the target.
func (m *importingStep) describe(err error) string {
	var big *importer.SandboxTooBig
	if errors.As(err, &big) {
		var b strings.Builder
		b.WriteString("The in-process sandbox is not started: " + big.Error() + ". Instead:")
		for _, o := range big.Options() {
			switch o {
			case importer.RehearseDryRun:
				b.WriteString("\n• the preview (step 3) was the dry run: every record was validated, nothing sent.")
			case importer.RehearseStandalone:
				b.WriteString("\n• a standalone sandbox holds it, and a stopped import resumes there: in another terminal run\n  " + importer.StandaloneSandboxCommand +
					"\n  then press tab and import into endpoint " + importer.StandaloneSandboxEndpoint + ", project id sandbox, the key id it prints, key file sandbox-key.pem.")
			case importer.RehearseSample:
				b.WriteString(fmt.Sprintf("\n• s rehearses with a sample: the first %s records, written to %s.", importer.Thousands(big.Max), importer.SamplePath(m.s.loaded.input)))
			}
		}
		return b.String()
	}
	var he *adminapi.HTTPError
	switch {
	case adminapi.IsForbidden(err):
		// The 403 checklist, in the words of the fields on screen.
		tc := m.targetConfig()
		return fmt.Sprintf("The connection check failed: Authgear refused the Admin API token (HTTP 403; every authentication failure is this same answer). Check:\n"+
			"(1) the key id field (%q) is the Key ID shown in the portal (Advanced > Admin API) for this key;\n"+
			"(2) the project id field (%q; when empty, the <id> of https://<id>.authgear.cloud) is the id of the project at this endpoint;\n"+
			"(3) the key file is the private key downloaded for that key id, and the key has not been deleted in the portal;\n"+
			"(4) this machine's clock is right to within 5 minutes.",
			importer.Printable(tc.KeyID), importer.Printable(tc.ProjectID))
	case errors.As(err, &he) && he.Status == 404:
		return "The connection check failed: no Authgear project or API answers at this address (HTTP 404): check the endpoint field."
	}
	if missing := adminapi.Missing(err); len(missing) > 0 {
		// The settings are the fields on screen: say which to fill in.
		var b strings.Builder
		b.WriteString("The Authgear project is not complete; fill in:")
		for _, s := range missing {
			switch s {
			case adminapi.SettingEndpoint:
				b.WriteString("\n• the endpoint field: the project's endpoint, for example https://myapp.authgear.cloud")
			case adminapi.SettingProjectID:
				b.WriteString("\n• the project id field: the <id> in https://<id>.authgear.cloud")
			case adminapi.SettingKeyID:
				b.WriteString("\n• the key id field: the Key ID shown next to the key in the portal (Advanced > Admin API)")
			case adminapi.SettingKey:
				b.WriteString("\n• the key file field: the private key file downloaded from the portal (Advanced > Admin API)")
			}
		}
		return b.String()
	}
	return importer.PrintableLines(err.Error())
}

func (m *importingStep) View() string {
	var b strings.Builder
	b.WriteString(m.viewAbove())
	if m.signInShown() {
		b.WriteString(m.signInView())
	} else if m.problemVP.Height > 0 {
		b.WriteString(m.problemVP.View() + "\n")
		if m.problemLines() > 0 {
			vp := m.problemVP
			last := min(vp.YOffset+vp.Height, vp.TotalLineCount())
			b.WriteString(m.c.Styles.Muted.Render(fmt.Sprintf("(lines %d-%d of %d: pgup/pgdn)", vp.YOffset+1, last, vp.TotalLineCount())) + "\n")
		}
	} else if m.err != nil {
		b.WriteString(m.c.Styles.Bad.Width(max(m.c.Width-2, 20)).Render(importer.PrintableLines(m.err.Error())) + "\n")
	}
	return b.String()
}

// viewAbove is the screen above the problem panel.
func (m *importingStep) viewAbove() string {
	st := m.c.Styles
	width := max(m.c.Width-2, 20)
	wrap := func(s string) string { return lipgloss.NewStyle().Width(width).Render(s) }
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
			b.WriteString(st.Muted.Render("    the key is read from the file, never shown") + "\n")
		}
		if m.sample != "" && !m.real {
			b.WriteString(st.Good.Render(wrap(fmt.Sprintf("The rehearsal imports the sample %s (%s), not the whole export.", importer.Printable(m.sample), count(m.sampleN, "record", "records")))) + "\n")
		}
		if m.sampling {
			b.WriteString(st.Muted.Render("writing the sample…") + "\n")
		}
		if m.phase == phaseChecking {
			b.WriteString(st.Muted.Render(m.spin.View()+" checking the target…") + "\n")
		}
	case phaseConfirm:
		ld := m.s.loaded
		if len(m.missing) > 0 {
			var ks []string
			for _, k := range m.missing {
				ks = append(ks, k.String())
			}
			b.WriteString(st.Warn.Render(wrap("The project lacks "+importer.Printable(strings.Join(ks, ", "))+": those records would fail (RoleUnknownKeys, GroupUnknownKeys).")) + "\n")
			if m.create {
				b.WriteString(st.Good.Render("They are created after the first request (ctrl+r: don't).") + "\n")
			} else {
				b.WriteString(st.Muted.Render("ctrl+r creates them after the first request.") + "\n")
			}
		}
		into := importer.Printable(m.target.Name)
		if m.real && m.target.ProjectID != "" {
			into += " (project " + importer.Printable(m.target.ProjectID) + ")"
		}
		b.WriteString(wrap(fmt.Sprintf("Import %s into %s.", importer.Printable(m.input()), into)) + "\n")
		if m.sample != "" {
			b.WriteString(count(m.sampleN, "record", "records") + " (a sample of the export).\n")
		} else if p := m.s.preview; p != nil {
			fmt.Fprintf(&b, "%s: %s valid are sent, %s invalid are not.\n", count(p.Total, "record", "records"), importer.Thousands(p.Valid), importer.Thousands(p.Invalid))
		} else if n := ld.count; n >= 0 {
			b.WriteString(count(n, "record", "records") + ".\n")
		}
		fmt.Fprintf(&b, "The report goes to %s.\n", importer.DefaultReport(m.input()))
		b.WriteString(m.canaryConfirmView())
		if m.real {
			if m.unfinished != "" {
				b.WriteString(st.Warn.Render(wrap(fmt.Sprintf("An unfinished import of this file into %s (%s done) is in its journal: it is continued.", importer.Printable(m.unfinished), count(m.settled, "record", "records")))) + "\n")
			}
			b.WriteString(st.Warn.Render("This writes to a real project.") + "\n" + st.InputView(&m.confirm) + "\n")
		} else if m.signIn == nil {
			b.WriteString(st.Muted.Render("enter starts the rehearsal; esc chooses another target") + "\n")
		}
	case phaseRunning, phaseAskStop, phaseDone:
		b.WriteString(m.progressView())
	}
	return b.String()
}

func (m *importingStep) progressView() string {
	st := m.c.Styles
	width := max(m.c.Width-2, 20)
	wrap := func(s string) string { return lipgloss.NewStyle().Width(width).Render(s) }
	var b strings.Builder
	var re *importer.RefusedError
	if errors.As(m.runErr, &re) {
		// Refused before anything was opened: no bar, no counts.
		return b.String()
	}
	m2 := m.bar
	m2.Width = max(min(m.c.Width-4, 72), 10)
	b.WriteString(m2.View() + "\n")
	c, settled, total := m.counts()
	line := ""
	if m.phase != phaseDone {
		// Alive: the spinner turns and the time goes on while a job is
		// in flight.
		line = m.spin.View() + " " + elapsed(m.now.Sub(m.started)) + " · "
	}
	line += importer.Thousands(settled)
	if total > 0 {
		line += " of " + count(total, "record", "records")
	} else {
		line += " " + plural(settled, "record", "records")
	}
	line += " settled"
	p := m.prog
	if m.phase != phaseDone {
		if p.Rate > 0 {
			line += fmt.Sprintf(" · %.0f rec/s", p.Rate)
		}
		if p.ETA > 0 {
			line += " · ETA " + importer.AboutDuration(p.ETA)
		}
		if p.InFlight > 0 {
			line += " · " + count(p.InFlight, "job", "jobs") + " in flight"
		}
	} else if s := m.summary; s != nil && s.Seconds > 0 {
		line += " · " + elapsed(time.Duration(s.Seconds*float64(time.Second)))
	}
	b.WriteString(wrap(line) + "\n")
	counters := []string{
		st.Good.Render("inserted " + importer.Thousands(c.Inserted)),
		"updated " + importer.Thousands(c.Updated),
		"skipped " + importer.Thousands(c.Skipped),
		st.Bad.Render("failed " + importer.Thousands(c.Failed)),
		st.Warn.Render("invalid " + importer.Thousands(c.Invalid)),
	}
	if c.NotSent > 0 {
		counters = append(counters, st.Warn.Render("not sent "+importer.Thousands(c.NotSent)))
	}
	if c.Unresolved > 0 {
		// Sent, with no outcome yet: an import again reads or looks
		// them up (never "not sent": the server may have created them).
		counters = append(counters, st.Warn.Render("no outcome yet "+importer.Thousands(c.Unresolved)))
	}
	if c.NotUsers > 0 {
		counters = append(counters, "not users "+importer.Thousands(c.NotUsers))
	}
	b.WriteString(wrap(strings.Join(counters, "  ")) + "\n")
	b.WriteString(m.canaryRunView())
	for _, f := range m.failures {
		b.WriteString(st.Bad.Render(wrap(fmt.Sprintf("  row %d %s: %s", f.Row, importer.Printable(f.Identifier), importer.Printable(f.Reason)))) + "\n")
	}
	m.prepMu.Lock()
	for _, l := range m.prepLog {
		b.WriteString(st.Warn.Render(wrap(importer.Printable(l))) + "\n")
	}
	m.prepMu.Unlock()
	for _, w := range m.warnings {
		b.WriteString(st.Warn.Render(wrap(importer.Printable(w))) + "\n")
	}
	switch {
	case m.phase == phaseAskStop && m.target != nil && m.target.Rehearsal:
		b.WriteString(st.Warn.Render(wrap("Stop the rehearsal? Nothing more is sent; jobs already sent are read for a few seconds more. The in-process sandbox ends with the wizard: importing again rehearses from the start. y stops, n goes on.")) + "\n")
	case m.phase == phaseAskStop:
		b.WriteString(st.Warn.Render(wrap("Stop the import? Nothing more is sent; jobs already sent are read for a few seconds more, and the journal keeps what they have not finished and the rest: importing this file into the same project again reads them and continues. y stops, n goes on.")) + "\n")
	case m.stopping && m.phase != phaseDone:
		b.WriteString(st.Warn.Render(wrap("stopping at a safe point: nothing more is sent; jobs in flight are read for a few seconds more…")) + "\n")
	}
	if s := m.summary; s != nil && m.phase == phaseDone {
		if s.NotUsers > 0 {
			b.WriteString(wrap(count(s.NotUsers, "other object", "other objects")+" of the export are not users: not sent") + "\n")
		}
		if s.Report != "" {
			b.WriteString(wrap("report: "+importer.Printable(s.Report)) + "\n")
		}
		if s.IDMap != "" {
			b.WriteString(wrap("id map (old id → Authgear user id): "+importer.Printable(s.IDMap)) + "\n")
		}
		if s.Retry != "" {
			b.WriteString(wrap("retry file: "+importer.Printable(s.Retry)) + "\n")
		}
		if s.NotifyDue() {
			b.WriteString(wrap("Authgear sends the users without a password its reset-password message when, after the wizard, you run (with --dry-run first to see who):") + "\n")
			b.WriteString(wrap("authgear-migrate notify --report "+importer.Printable(importer.ShellQuote(s.Report))+" --reset-password") + "\n")
		}
		switch {
		case m.verifying:
			b.WriteString(st.Muted.Render(fmt.Sprintf("verifying: %s of %s read back…", importer.Thousands(m.verifyN[0]), count(m.verifyN[1], "user", "users"))) + "\n")
		case m.verifyErr != nil:
			b.WriteString(st.Bad.Render(wrap("verify: "+importer.Printable(m.verifyErr.Error()))) + "\n")
		case m.verified != nil:
			v := m.verified
			line := fmt.Sprintf("verify: %s read back, %s match what was sent", count(v.Checked, "user", "users"), importer.Thousands(v.Matched))
			if v.Differ > 0 {
				b.WriteString(st.Bad.Render(wrap(fmt.Sprintf("%s, %s differ: see %s", line, importer.Thousands(v.Differ), v.Out))) + "\n")
			} else {
				b.WriteString(st.Good.Render(wrap(line)) + "\n")
			}
		}
	}
	return b.String()
}

// elapsed is a duration as "elapsed m:ss".
func elapsed(d time.Duration) string {
	s := int(d.Round(time.Second) / time.Second)
	return fmt.Sprintf("elapsed %d:%02d", s/60, s%60)
}
