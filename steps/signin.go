package steps

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/authgear-migrate/authgear-migrate/importer"
	"github.com/authgear-migrate/authgear-migrate/importer/adminapi"
	"github.com/authgear-migrate/authgear-migrate/ui"
)

// The sign-in check (issue 16): after the import, "sign in as one of your
// users" through the project's own login (importer.SignIn, the same check
// as verify --sign-in); before it, the same login ID and password for the
// canary (RunConfig.CanarySignIn, replay's --canary-sign-in). The password
// is typed in a masked field (bubbles' textinput, EchoPassword), taken out
// of the field when it is used, and never kept in the model, a message, a
// view or a file.

// signInForm asks for a login ID and a password, and, for a project (not
// the sandbox), the public endpoint where it differs from the Admin API's.
type signInForm struct {
	login, password textinput.Model
	// endpoint is nil in a rehearsal: the sandbox's login is its own.
	endpoint *textinput.Model
	focus    int // 0: the login ID, 1: the password, 2: the endpoint
	// problem says what is missing when enter was pressed too early.
	problem string
}

type signInKeys struct {
	Submit, Next, Close key.Binding
}

func defaultSignInKeys() signInKeys {
	return signInKeys{
		Submit: ui.Binding([]string{"enter"}, "enter", "sign in"),
		Next:   ui.Binding([]string{"tab", "shift+tab", "up", "down"}, "tab", "other field"),
		Close:  ui.Binding([]string{"esc"}, "esc", "close"),
	}
}

// canarySignInKeys are the form's keys on the confirmation screen.
func canarySignInKeys() signInKeys {
	k := defaultSignInKeys()
	k.Submit = ui.Binding([]string{"enter"}, "enter", "sign in during the canary")
	k.Close = ui.Binding([]string{"esc"}, "esc", "no sign-in")
	return k
}

// newSignInForm starts the form with login (a suggestion) in the login ID
// field; the password field has the focus when a login ID is there. With
// withEndpoint, a third field takes the public endpoint (endpoint, "" for
// the Admin API endpoint's origin, the engine's default).
func newSignInForm(login string, withEndpoint bool, endpoint string) *signInForm {
	f := &signInForm{login: textinput.New(), password: textinput.New()}
	if withEndpoint {
		ti := textinput.New()
		ti.Prompt = "public endpoint  "
		ti.Placeholder = "(empty: the Admin API endpoint's)"
		ti.CharLimit = 2048
		ti.SetValue(endpoint)
		f.endpoint = &ti
	}
	f.login.Prompt = "login ID  "
	f.login.Placeholder = "an email, a phone (+44…) or a username"
	f.login.CharLimit = 320
	f.login.SetValue(login)
	f.login.CursorEnd()
	f.password.Prompt = "password  "
	f.password.Placeholder = "the user's password in the old system"
	f.password.EchoMode = textinput.EchoPassword
	f.password.EchoCharacter = '•'
	f.password.CharLimit = 1024
	if login == "" {
		f.setFocus(0)
	} else {
		f.setFocus(1)
	}
	return f
}

// setWidth fits the fields to a screen width columns wide: a long login
// ID or password scrolls inside its field.
func (f *signInForm) setWidth(width int) {
	for _, ti := range f.fields() {
		ti.Width = max(width-4-lipgloss.Width(ti.Prompt), 10)
	}
}

// fields are the form's fields, in order.
func (f *signInForm) fields() []*textinput.Model {
	fs := []*textinput.Model{&f.login, &f.password}
	if f.endpoint != nil {
		fs = append(fs, f.endpoint)
	}
	return fs
}

func (f *signInForm) setFocus(i int) tea.Cmd {
	fs := f.fields()
	f.focus = (i + len(fs)) % len(fs)
	for _, ti := range fs {
		ti.Blur()
	}
	return fs[f.focus].Focus()
}

// suggest fills the login ID field with login when nothing was typed in
// it yet (the suggestion read from the report arrives after the form
// opened).
func (f *signInForm) suggest(login string) tea.Cmd {
	if f.login.Value() != "" || login == "" {
		return nil
	}
	f.login.SetValue(login)
	f.login.CursorEnd()
	if f.focus == 0 && f.password.Value() == "" {
		return f.setFocus(1)
	}
	return nil
}

// update handles a key. submit: enter with both fields filled (take
// reads them); closed: esc.
func (f *signInForm) update(k tea.KeyMsg, keys signInKeys) (submit, closed bool, cmd tea.Cmd) {
	switch {
	case key.Matches(k, keys.Close):
		f.clear()
		return false, true, nil
	case key.Matches(k, keys.Next):
		d := 1
		if k.Type == tea.KeyShiftTab || k.Type == tea.KeyUp {
			d = -1
		}
		return false, false, f.setFocus(f.focus + d)
	case key.Matches(k, keys.Submit):
		switch {
		case strings.TrimSpace(f.login.Value()) == "":
			f.problem = "type the login ID of a user you imported"
			return false, false, f.setFocus(0)
		case f.password.Value() == "":
			if f.focus == 0 {
				f.problem = ""
				return false, false, f.setFocus(1)
			}
			f.problem = "type the user's password"
			return false, false, nil
		}
		f.problem = ""
		return true, false, nil
	}
	f.problem = ""
	ti := f.fields()[f.focus]
	*ti, cmd = ti.Update(k)
	return false, false, cmd
}

// take returns the login ID, the password and the public endpoint ("":
// the engine's default), and empties the password field: the password is
// kept nowhere after this.
func (f *signInForm) take() (login, password, endpoint string) {
	login, password = strings.TrimSpace(f.login.Value()), f.password.Value()
	if f.endpoint != nil {
		endpoint = strings.TrimSpace(f.endpoint.Value())
	}
	f.password.SetValue("")
	f.password.Reset()
	return login, password, endpoint
}

// clear empties the password field.
func (f *signInForm) clear() {
	f.password.SetValue("")
	f.password.Reset()
}

// view draws the fields (the password masked).
func (f *signInForm) view(st *ui.Styles) string {
	var b strings.Builder
	b.WriteString("  " + st.InputView(&f.login) + "\n")
	b.WriteString("  " + st.InputView(&f.password) + "\n")
	if f.endpoint != nil {
		b.WriteString("  " + st.InputView(f.endpoint) + "\n")
	}
	if f.problem != "" {
		b.WriteString(st.Warn.Render("  "+f.problem) + "\n")
	}
	return b.String()
}

// Messages of the sign-in check after the import.
type (
	// firstImportedMsg is the report's first imported identifier, the
	// login ID suggested.
	firstImportedMsg struct {
		id    int
		login string
	}
	// signedInMsg is the check's result (never the password).
	signedInMsg struct {
		id    int
		login string
		res   importer.SignInResult
		err   error
	}
)

func (m firstImportedMsg) runID() int { return m.id }
func (m signedInMsg) runID() int      { return m.id }

// signInFunc is the check; tests replace it.
var signInFunc = importer.SignIn

// canSignIn: users were imported into a target that is still there (the
// in-process sandbox lives until the wizard ends).
func (m *importingStep) canSignIn() bool {
	if m.target == nil || m.summary == nil || m.summary.Inserted+m.summary.Updated+m.summary.Skipped == 0 {
		return false
	}
	_, ok := m.target.API.(*adminapi.Client)
	return ok
}

// openSignIn opens the form after the import, with the login ID of the
// last check, else the report's first imported user (read in a command).
func (m *importingStep) openSignIn() tea.Cmd {
	m.signIn = newSignInForm(m.signInLogin, m.real, m.signInEndpoint)
	m.signIn.setWidth(m.c.Width)
	focus := m.signIn.setFocus(m.signIn.focus)
	if m.signInLogin != "" || m.summary == nil || m.summary.Report == "" {
		return focus
	}
	id, report := m.s.nextRunID(), m.summary.Report
	m.firstID = id
	return tea.Batch(focus, func() tea.Msg {
		row, ok, err := importer.FirstImported(report)
		if err != nil || !ok {
			return firstImportedMsg{id: id}
		}
		return firstImportedMsg{id: id, login: row.Identifier}
	})
}

// signInCmd runs the check against the run's target: its Admin API
// client ends the session the check creates, and its endpoint's origin is
// the public endpoint (the engine's default).
func (m *importingStep) signInCmd() tea.Cmd {
	login, password, endpoint := m.signIn.take()
	m.signIn = nil
	m.signingIn, m.signInLogin, m.signInEndpoint = true, login, endpoint
	m.signInRes, m.signInErr = nil, nil
	api, _ := m.target.API.(*adminapi.Client)
	id := m.s.nextRunID()
	m.signInID = id
	ctx := m.s.ctx
	return tea.Batch(m.spin.Tick, func() tea.Msg {
		cctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
		defer cancel()
		res, err := signInFunc(cctx, importer.SignInCheck{LoginID: login, Password: password, API: api, PublicEndpoint: endpoint})
		return signedInMsg{id: id, login: login, res: res, err: err}
	})
}

// updateSignIn handles the sign-in's messages and, while the form is
// open, its keys; handled is false for what the step handles itself.
func (m *importingStep) updateSignIn(msg tea.Msg) (handled bool, cmd tea.Cmd) {
	switch msg := msg.(type) {
	case firstImportedMsg:
		if msg.id == m.firstID && m.signIn != nil {
			return true, m.signIn.suggest(msg.login)
		}
		return true, nil
	case signedInMsg:
		if msg.id != m.signInID {
			return true, nil
		}
		m.signingIn = false
		m.signInRes, m.signInErr = &msg.res, msg.err
		return true, nil
	case tea.KeyMsg:
		if m.signIn == nil {
			return false, nil
		}
		submit, closed, cmd := m.signIn.update(msg, m.formKeys())
		switch {
		case closed && m.phase == phaseConfirm:
			return true, m.dropCanary()
		case closed:
			m.signIn = nil
		case submit && m.phase == phaseConfirm:
			return true, m.setCanary()
		case submit:
			return true, m.signInCmd()
		}
		return true, cmd
	}
	return false, nil
}

// TypingSecret: the sign-in form has the focus, and "?" types into it (a
// password may hold any character).
func (m *importingStep) TypingSecret() bool { return m.signIn != nil }

// formKeys are the form's keys: on the confirmation screen, for the
// canary; after the import, for a check now.
func (m *importingStep) formKeys() signInKeys {
	if m.phase == phaseConfirm {
		return m.canaryKeys
	}
	return m.signKeys
}

// signInShown: the sign-in panel (the form, the check running, or its
// result) takes the place of the notes.
func (m *importingStep) signInShown() bool {
	return m.phase == phaseDone && (m.signIn != nil || m.signingIn || m.signInRes != nil || m.signInErr != nil)
}

// signInView is the sign-in panel after the import.
func (m *importingStep) signInView() string {
	st := m.c.Styles
	width := max(m.c.Width-2, 20)
	var b strings.Builder
	title := "Sign in as one of your users: the project's own login, as the user would"
	if m.target != nil && m.target.Rehearsal {
		title = "Sign in as one of your users: the sandbox's login, as the user would"
	}
	b.WriteString(st.Title.Render(ui.Truncate(title, width)) + "\n")
	switch {
	case m.signIn != nil:
		b.WriteString(m.signIn.view(st))
		b.WriteString(st.Muted.Render(ui.Wrap("The password is sent to the login only, never shown or written. A sign-in that succeeds moves the user's last sign-in time; the check then ends the session it created, and only it (with the Admin API key).", width)) + "\n")
	case m.signingIn:
		b.WriteString(st.Muted.Render(m.spin.View()+" signing in as "+importer.Printable(m.signInLogin)+"…") + "\n")
	default:
		b.WriteString(signInResultView(st, width, m.signInLogin, m.signInRes, m.signInErr))
		b.WriteString(st.Muted.Render("s signs in again (as another user); esc closes") + "\n")
	}
	return b.String()
}

// signInResultView words a check's result for the wizard.
func signInResultView(st *ui.Styles, width int, login string, res *importer.SignInResult, err error) string {
	wrap := func(s string) string { return ui.Wrap(s, width) }
	who := importer.Printable(login)
	var b strings.Builder
	if err != nil {
		b.WriteString(st.Bad.Render(wrap("The check could not be made: "+importer.PrintableLines(err.Error()))) + "\n")
		return b.String()
	}
	if res == nil {
		return ""
	}
	line := func(style func(...string) string, s string) { b.WriteString(style(wrap(s)) + "\n") }
	method := ""
	if res.LoginMethod != "" {
		method = " (" + importer.Printable(res.LoginMethod) + " login)"
	}
	user := ""
	if res.UserID != "" {
		user = ": user " + importer.Printable(res.UserID)
	}
	roles := ""
	if len(res.Roles) > 0 {
		roles = "; roles " + importer.Printable(strings.Join(res.Roles, ", "))
	}
	switch o := res.Outcome; {
	case o == importer.SignInSucceeded && res.NextStep == "authenticate":
		line(st.Good.Render, fmt.Sprintf("✓ The password of %s is right%s; the project then asks for a second factor, which the check does not answer: not signed in, no session created.", who, method))
	case o == importer.SignInSucceeded:
		line(st.Good.Render, fmt.Sprintf("✓ %s signs in with that password%s%s%s.", who, method, user, roles))
	case o == importer.SignInMustChangePassword && res.PasswordExpired:
		line(st.Good.Render, fmt.Sprintf("✓ The password is right%s%s, but expired: it was imported to be changed (a clear-text password hashed on this machine), so Authgear asks %s for a new one at sign-in. The check did not answer that step.", method, user, who))
	case o == importer.SignInMustChangePassword:
		line(st.Good.Render, fmt.Sprintf("✓ The password is right%s%s, but weaker than the project's password policy: Authgear asks %s for a new one at sign-in. The check did not answer that step, so the password is unchanged.", method, user, who))
	case o == importer.SignInWrongPassword:
		line(st.Bad.Render, fmt.Sprintf("✗ Refused (invalid credentials): the password is wrong, or %s has no password in Authgear (none in the export, or a hash that could not be imported: see the report's reason).", who))
	case o == importer.SignInUnknownUser:
		line(st.Bad.Render, fmt.Sprintf("✗ No user signs in with %s: the project has no user with this login ID, or does not enable this login method. The report says what became of the record.", who))
	case o == importer.SignInDisabled:
		line(st.Warn.Render, fmt.Sprintf("The password is right, but %s is disabled: they cannot sign in until the user is enabled again (portal: User Management).", who))
	case o == importer.SignInRateLimited:
		wait := "about a minute"
		if d := res.RetryAfter; d > 0 {
			wait = importer.AboutDuration(d)
		}
		line(st.Warn.Render, fmt.Sprintf("Rate limited (HTTP 429): this proves nothing about the password. Try again in %s.", wait))
	default:
		reason := res.Reason
		if reason == "" {
			reason = "no reason given"
		}
		line(st.Bad.Render, "✗ An unexpected answer: "+importer.Printable(reason))
	}
	if res.NextStep != "" && res.NextStep != "change_password" {
		line(st.Muted.Render, "The login asked next for "+importer.Printable(res.NextStep)+" (a second factor), which the check does not answer.")
	}
	if res.LastLoginChanged {
		line(st.Muted.Render, "The user's last sign-in time now shows this check.")
	}
	switch {
	case res.SessionEnded:
		line(st.Muted.Render, "The session it created was ended; the user's other sessions are untouched.")
	case res.SessionNote != "":
		note := importer.Printable(res.SessionNote)
		line(st.Warn.Render, strings.ToUpper(note[:1])+note[1:]+".")
	}
	return b.String()
}
