package steps

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/exp/teatest"

	"github.com/authgear-migrate/authgear-migrate/importer"
	"github.com/authgear-migrate/authgear-migrate/importer/sandbox"
	"github.com/authgear-migrate/authgear-migrate/ui"
)

// adaPassword is the clear-text password behind the example's first
// bcrypt hash (testdata/fixtures/passwords.json).
const adaPassword = "correct horse battery staple"

// fakeSignIn stands for the project's login: it answers by password as
// a server that holds the example's users would, and records the checks
// it was asked (without keeping the passwords).
type fakeSignIn struct {
	mu     sync.Mutex
	checks []importer.SignInCheck
}

func (f *fakeSignIn) signIn(_ context.Context, c importer.SignInCheck) (importer.SignInResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	rec := c
	rec.Password = fmt.Sprintf("(%d characters)", len(c.Password))
	f.checks = append(f.checks, rec)
	switch {
	case c.LoginID != "ada.lovelace@example.com":
		return importer.SignInResult{Outcome: importer.SignInUnknownUser, LoginMethod: "email", Reason: "UserNotFound"}, nil
	case c.Password == adaPassword:
		return importer.SignInResult{Outcome: importer.SignInSucceeded, PasswordRight: true, UserID: "0e5b3b9c-4c5f-4a47-9c7e-1a2b3c4d5e6f",
			LoginMethod: "email", SessionEnded: true, LastLoginChanged: true}, nil
	}
	return importer.SignInResult{Outcome: importer.SignInWrongPassword, LoginMethod: "email", Reason: "InvalidCredentials"}, nil
}

func (f *fakeSignIn) last() importer.SignInCheck {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.checks[len(f.checks)-1]
}

// useSignIn makes the wizard's check f's for the test.
func useSignIn(t *testing.T, f func(context.Context, importer.SignInCheck) (importer.SignInResult, error)) {
	t.Helper()
	old := signInFunc
	signInFunc = f
	t.Cleanup(func() { signInFunc = old })
}

// typeText sends s a rune at a time.
func typeText(d *driver, s string) {
	for _, r := range s {
		d.handle(runes(string(r)))
	}
}

// TestSignInAfterImport (issue 16 item 1): on the Done screen, s opens
// "sign in as one of your users" with the report's first imported login
// ID; the password is masked and never on the screen; enter runs the
// check against the run's target (its Admin API client, so that the
// session is ended) and shows the result in the wizard's words; a wrong
// password says what it means; esc closes the result, and the password
// field is empty after each check.
func TestSignInAfterImport(t *testing.T) {
	for _, size := range [][2]int{{80, 24}, {120, 40}} {
		t.Run(fmt.Sprintf("%dx%d", size[0], size[1]), func(t *testing.T) {
			exampleDir(t)
			fake := &fakeSignIn{}
			useSignIn(t, fake.signIn)
			d := newDriver(t, Options{}, size[0], size[1])
			w := d.w
			walkTo(t, d, stepImport)
			im := w.steps[stepImport].(*importingStep)
			d.key(enter, func() bool { return im.phase == phaseConfirm })
			d.key(enter, func() bool { return im.phase == phaseDone })
			if v := w.View(); !strings.Contains(v, "s sign in") {
				t.Fatalf("the Done screen does not offer the sign-in:\n%s", v)
			}
			d.key(runes("s"), func() bool { return im.signIn != nil && im.signIn.login.Value() != "" })
			if got := im.signIn.login.Value(); got != "ada.lovelace@example.com" {
				t.Fatalf("login ID suggested %q, want the report's first imported user", got)
			}
			// q types into the form: the wizard does not quit.
			typeText(d, "q")
			if w.quitting {
				t.Fatal("q quit while the password field had the focus")
			}
			d.handle(tea.KeyMsg{Type: tea.KeyBackspace})
			typeText(d, adaPassword)
			v := w.View()
			if strings.Contains(v, adaPassword) || strings.Contains(v, "horse") {
				t.Fatalf("the password is on the screen:\n%s", v)
			}
			for _, want := range []string{"Sign in as one of your users", "login ID  ada.lovelace@example.com", "password  ••••", "enter sign in", "esc close"} {
				if !strings.Contains(v, want) {
					t.Errorf("the form lacks %q:\n%s", want, v)
				}
			}
			checkGolden(t, fmt.Sprintf("4-signin-form-%dx%d", size[0], size[1]), v)

			d.key(enter, func() bool { return im.signInRes != nil || im.signInErr != nil })
			c := fake.last()
			if c.LoginID != "ada.lovelace@example.com" || c.Password != fmt.Sprintf("(%d characters)", len(adaPassword)) || c.API == nil || c.PublicEndpoint != "" {
				t.Errorf("the check asked: %v (API %v, public endpoint %q)", c, c.API != nil, c.PublicEndpoint)
			}
			if im.signIn != nil {
				t.Error("the form is still open after the check")
			}
			v = w.View()
			for _, want := range []string{"✓ ada.lovelace@example.com signs in with that password (email login): user 0e5b3b9c",
				"The user's last sign-in time now shows this check.", "The session it created was ended"} {
				if !strings.Contains(strings.Join(strings.Fields(v), " "), want) {
					t.Errorf("the result lacks %q:\n%s", want, v)
				}
			}
			checkGolden(t, fmt.Sprintf("4-signin-ok-%dx%d", size[0], size[1]), v)

			// Again, with a wrong password: the form opens with the login
			// ID checked last and an empty password field.
			d.handle(runes("s"))
			if im.signIn == nil || im.signIn.login.Value() != "ada.lovelace@example.com" || im.signIn.password.Value() != "" {
				t.Fatalf("the form again: %+v", im.signIn)
			}
			typeText(d, "hunter2")
			d.key(enter, func() bool { return !im.signingIn && im.signInRes != nil })
			v = strings.Join(strings.Fields(w.View()), " ")
			if !strings.Contains(v, "Refused (invalid credentials): the password is wrong, or ada.lovelace@example.com has no password in Authgear") {
				t.Errorf("a wrong password:\n%s", w.View())
			}
			if strings.Contains(v, "last sign-in time") {
				t.Errorf("a refused check says the last sign-in time moved:\n%s", w.View())
			}
			// esc closes the result; the notes are back, and enter goes on.
			d.handle(tea.KeyMsg{Type: tea.KeyEsc})
			if im.signInShown() || !strings.Contains(w.View(), "note:") || w.cur != stepImport {
				t.Fatalf("after esc:\n%s", w.View())
			}
			d.key(enter, func() bool { return w.cur == stepMiddleware })
		})
	}
}

// TestSignInOutcomesInWizardWords: every outcome of the check is said in
// the wizard's words, with what it means; only a check that signed in
// says that the last sign-in time moved; a session left says why.
func TestSignInOutcomesInWizardWords(t *testing.T) {
	st := ui.NewStyles(asciiRenderer())
	for _, c := range []struct {
		res        importer.SignInResult
		err        error
		want, not  []string
		lastSignIn bool
	}{
		{res: importer.SignInResult{Outcome: importer.SignInSucceeded, UserID: "u-1", LoginMethod: "email", Roles: []string{"admin", "editor"},
			LastLoginChanged: true, SessionEnded: true},
			want: []string{"✓ a@x.io signs in with that password (email login): user u-1; roles admin, editor.", "last sign-in time now shows this check", "session it created was ended"}},
		{res: importer.SignInResult{Outcome: importer.SignInMustChangePassword, LoginMethod: "email", NextStep: "change_password"},
			want: []string{"✓ The password is right (email login), but weaker than the project's password policy", "asks a@x.io for a new one", "the password is unchanged"},
			not:  []string{"second factor"}},
		{res: importer.SignInResult{Outcome: importer.SignInWrongPassword},
			want: []string{"Refused (invalid credentials)", "has no password in Authgear"}, not: []string{"last sign-in"}},
		{res: importer.SignInResult{Outcome: importer.SignInUnknownUser},
			want: []string{"No user signs in with a@x.io"}},
		{res: importer.SignInResult{Outcome: importer.SignInDisabled, PasswordRight: true},
			want: []string{"The password is right, but a@x.io is disabled"}},
		{res: importer.SignInResult{Outcome: importer.SignInRateLimited, RetryAfter: 42 * time.Second},
			want: []string{"Rate limited (HTTP 429): this proves nothing about the password. Try again in about 42 s."}},
		{res: importer.SignInResult{Outcome: importer.SignInUnexpected, Reason: "WebHookDisallowed"},
			want: []string{"An unexpected answer: WebHookDisallowed"}},
		{res: importer.SignInResult{Outcome: importer.SignInSucceeded, LastLoginChanged: true, SessionNote: "the session the check created was left: ending it needs the Admin API key; it lasts up to 1 year"},
			want: []string{"The session the check created was left: ending it needs the Admin API key; it lasts up to 1 year."}},
		{res: importer.SignInResult{Outcome: importer.SignInSucceeded, PasswordRight: true, NextStep: "authenticate", LoginMethod: "email"},
			want: []string{"The password of a@x.io is right (email login); the project then asks for a second factor", "not signed in"}, not: []string{"signs in with that password"}},
		{res: importer.SignInResult{Outcome: importer.SignInMustChangePassword, PasswordRight: true, PasswordExpired: true},
			want: []string{"but expired"}, not: []string{"weaker"}},
		{err: fmt.Errorf("sign-in check: dial tcp: connection refused"),
			want: []string{"The check could not be made: sign-in check: dial tcp: connection refused"}},
	} {
		res := c.res
		var rp *importer.SignInResult
		if c.err == nil {
			rp = &res
		}
		got := strings.Join(strings.Fields(signInResultView(st, 200, "a@x.io", rp, c.err)), " ")
		for _, w := range c.want {
			if !strings.Contains(got, w) {
				t.Errorf("%v: %q lacks %q", res.Outcome, got, w)
			}
		}
		for _, w := range c.not {
			if strings.Contains(got, w) {
				t.Errorf("%v: %q says %q", res.Outcome, got, w)
			}
		}
	}
}

// TestSignInAfterRehearsalTeatest runs the wizard in a Bubble Tea program
// (teatest) at 80x24, pressing Enter through the rehearsal into the
// in-process sandbox, then signs in as the report's first imported user
// with the example's known password through the sandbox's own login
// (importer.SignIn, no stand-in): the user signs in, the last sign-in
// time and the ended session are said, and the password never reaches
// the terminal.
func TestSignInAfterRehearsalTeatest(t *testing.T) {
	exampleDir(t)
	w := New(context.Background(), Options{Renderer: asciiRenderer()})
	tm := teatest.NewTestModel(t, w, teatest.WithInitialTermSize(80, 24))
	var seen bytes.Buffer
	wait := func(text string) {
		t.Helper()
		teatest.WaitFor(t, tm.Output(), func(b []byte) bool {
			seen.Write(b)
			return bytes.Contains(seen.Bytes(), []byte(text))
		}, teatest.WithDuration(60*time.Second), teatest.WithCheckInterval(20*time.Millisecond))
	}
	wait("export file: users.csv")
	tm.Send(enter)
	wait("accept & map")
	tm.Send(enter)
	wait("sample records valid")
	tm.Send(enter)
	wait("21 records:")
	tm.Send(enter)
	wait("Target:")
	tm.Send(enter)
	wait("enter starts the rehearsal")
	tm.Send(enter)
	wait("s sign in")
	tm.Send(runes("s"))
	wait("login ID  ada.lovelace@example.com")
	for _, r := range adaPassword {
		tm.Send(runes(string(r)))
	}
	tm.Send(enter)
	wait("The session it created was ended")
	for _, want := range []string{"signs in with that password (email login): user", "The user's last sign-in time now shows this check."} {
		if !bytes.Contains(seen.Bytes(), []byte(want)) {
			t.Errorf("the terminal never showed %q", want)
		}
	}
	tm.Send(tea.KeyMsg{Type: tea.KeyEsc})
	tm.Send(enter)
	wait("Protect your backend")
	tm.Send(enter)
	tm.FinalModel(t, teatest.WithFinalTimeout(30*time.Second))
	if bytes.Contains(seen.Bytes(), []byte(adaPassword)) || bytes.Contains(seen.Bytes(), []byte("horse")) {
		t.Error("the password reached the terminal")
	}
}

// TestSignInFormFitsOnResize: a password longer than the screen scrolls
// inside its field (no line of the form is wider than the screen), at
// 120 columns and after a resize to 80.
func TestSignInFormFitsOnResize(t *testing.T) {
	exampleDir(t)
	useSignIn(t, (&fakeSignIn{}).signIn)
	d := newDriver(t, Options{}, 120, 40)
	w := d.w
	walkTo(t, d, stepImport)
	im := w.steps[stepImport].(*importingStep)
	d.key(enter, func() bool { return im.phase == phaseConfirm })
	d.key(enter, func() bool { return im.phase == phaseDone })
	d.key(runes("s"), func() bool { return im.signIn != nil && im.signIn.login.Value() != "" })
	typeText(d, strings.Repeat("long password ", 12))
	for _, size := range [][2]int{{120, 40}, {80, 24}} {
		d.handle(tea.WindowSizeMsg{Width: size[0], Height: size[1]})
		form := im.signIn.view(w.c.Styles)
		for _, l := range strings.Split(form, "\n") {
			if lipgloss.Width(l) > size[0] {
				t.Errorf("%dx%d: a line of %d columns: %q", size[0], size[1], lipgloss.Width(l), l)
			}
		}
		if !strings.Contains(form, "password  ••••") {
			t.Errorf("%dx%d: the password field:\n%s", size[0], size[1], form)
		}
	}
}

// TestSignInPasswordTypesQuestionMark: "?" is the help key everywhere but
// in the sign-in form, where a password may hold it: it is typed, the
// help does not open, and the help line does not offer "?".
func TestSignInPasswordTypesQuestionMark(t *testing.T) {
	exampleDir(t)
	fake := &fakeSignIn{}
	useSignIn(t, fake.signIn)
	d := newDriver(t, Options{}, 80, 24)
	w := d.w
	walkTo(t, d, stepImport)
	im := w.steps[stepImport].(*importingStep)
	d.key(enter, func() bool { return im.phase == phaseConfirm })
	d.key(enter, func() bool { return im.phase == phaseDone })
	d.key(runes("s"), func() bool { return im.signIn != nil && im.signIn.login.Value() != "" })
	typeText(d, "why?not")
	if w.fullHelp || im.signIn.password.Value() != "why?not" {
		t.Fatalf("? opened the help (%v) or was not typed (%d characters)", w.fullHelp, len(im.signIn.password.Value()))
	}
	if v := w.View(); strings.Contains(v, "? more keys") {
		t.Errorf("the help line offers ? while it types:\n%s", v)
	}
	d.key(enter, func() bool { return im.signInRes != nil })
	if c := fake.last(); c.Password != "(7 characters)" {
		t.Errorf("the check got %s", c.Password)
	}
	// The form closed: ? is the help key again.
	d.handle(runes("?"))
	if !w.fullHelp {
		t.Error("? does not open the help after the form closed")
	}
}

// TestSignInAfterLiveImport: after an import into a project (a sandbox
// posing as one), the form has a third field, the public endpoint, empty
// for the Admin API endpoint's origin (the engine's default): the real
// check signs in as the example's first user there and ends its session;
// a public endpoint typed where nothing answers is said as a check that
// could not be made.
func TestSignInAfterLiveImport(t *testing.T) {
	exampleDir(t)
	_, env := realProject(t, sandbox.Options{LoginIDTypes: []string{"email", "phone"}, Roles: []string{"*"}})
	d := newDriver(t, Options{Getenv: func(k string) string { return env[k] }}, 80, 24)
	w := d.w
	im := importInto(t, d)
	if im.summary == nil || im.summary.Inserted != 19 {
		t.Fatalf("the import: %+v %v", im.summary, im.runErr)
	}
	d.key(runes("s"), func() bool { return im.signIn != nil && im.signIn.login.Value() != "" })
	if im.signIn.endpoint == nil || !strings.Contains(w.View(), "public endpoint") {
		t.Fatalf("no public endpoint field after a live import:\n%s", w.View())
	}
	typeText(d, adaPassword)
	checkGolden(t, "4-signin-live-form-80x24", w.View())
	d.key(enter, func() bool { return im.signInRes != nil || im.signInErr != nil })
	if im.signInErr != nil || im.signInRes.Outcome != importer.SignInSucceeded || !im.signInRes.SessionEnded {
		t.Fatalf("the check: %+v %v\n%s", im.signInRes, im.signInErr, w.View())
	}
	d.handle(runes("s"))
	typeText(d, adaPassword)
	d.handle(tea.KeyMsg{Type: tea.KeyTab})
	typeText(d, "http://127.0.0.1:1")
	d.key(enter, func() bool { return im.signInRes != nil || im.signInErr != nil })
	if im.signInErr == nil || !strings.Contains(strings.Join(strings.Fields(w.View()), " "), "The check could not be made") {
		t.Errorf("a public endpoint where nothing answers: %+v %v\n%s", im.signInRes, im.signInErr, w.View())
	}
	// The endpoint typed is offered again.
	d.handle(tea.KeyMsg{Type: tea.KeyEsc})
	d.handle(runes("s"))
	if im.signIn.endpoint.Value() != "http://127.0.0.1:1" || im.signIn.password.Value() != "" {
		t.Errorf("the form again: endpoint %q", im.signIn.endpoint.Value())
	}
}
