package steps

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/authgear-migrate/authgear-migrate/importer"
)

var ctrlS = tea.KeyMsg{Type: tea.KeyCtrlS}

// canaryConfirm walks the example to the rehearsal's confirmation screen
// and chooses the canary's sign-in there: ctrl+s, the login ID, tab, the
// password, enter.
func canaryConfirm(t *testing.T, d *driver, login, password string) *importingStep {
	t.Helper()
	walkTo(t, d, stepImport)
	im := d.w.steps[stepImport].(*importingStep)
	d.key(enter, func() bool { return im.phase == phaseConfirm })
	if v := d.w.View(); !strings.Contains(v, "ctrl+s: sign in as one of the users during the canary") {
		t.Fatalf("the confirmation does not offer the canary's sign-in:\n%s", v)
	}
	d.handle(ctrlS)
	if im.signIn == nil {
		t.Fatal("ctrl+s opened no form")
	}
	typeText(d, login)
	d.handle(tea.KeyMsg{Type: tea.KeyTab})
	typeText(d, password)
	return im
}

// TestCanarySignInBeforeImport (issue 16 items 2 and 7): on the
// confirmation screen ctrl+s takes a login ID and a masked password; the
// screen then says the canary signs in as that user; the run gets them
// as RunConfig.CanarySignIn (the model keeps no password once it runs),
// says the canary's sign-in, and the estimate comes before the bulk.
func TestCanarySignInBeforeImport(t *testing.T) {
	exampleDir(t)
	d := newDriver(t, Options{}, 80, 24)
	im := canaryConfirm(t, d, "ada.lovelace@example.com", adaPassword)
	v := d.w.View()
	if strings.Contains(v, adaPassword) || !strings.Contains(v, "enter sign in during the canary") || !strings.Contains(v, "esc no sign-in") {
		t.Fatalf("the canary's form:\n%s", v)
	}
	checkGolden(t, "4-confirm-canary-form-80x24", v)
	d.handle(enter)
	if im.signIn != nil || im.canary == nil || im.canary.LoginID != "ada.lovelace@example.com" {
		t.Fatalf("enter did not keep the canary's sign-in: %v", im.canary)
	}
	v = d.w.View()
	if !strings.Contains(strings.Join(strings.Fields(v), " "), "The canary signs in as ada.lovelace@example.com before the rest is sent") || strings.Contains(v, adaPassword) {
		t.Fatalf("the confirmation after the choice:\n%s", v)
	}
	checkGolden(t, "4-confirm-canary-80x24", v)

	d.handle(enter)
	if im.canary != nil || im.s.canaryLogin != "ada.lovelace@example.com" {
		t.Fatalf("the password stays in the model after the start (canary %v, login %q)", im.canary != nil, im.s.canaryLogin)
	}
	d.until(func() bool { return im.phase == phaseDone })
	if im.runErr != nil || im.summary == nil || im.summary.Inserted != 19 {
		t.Fatalf("the run: %+v %v", im.summary, im.runErr)
	}
	if im.canaryRes == nil || !im.canaryRes.Succeeded() {
		t.Fatalf("the canary's sign-in: %+v", im.canaryRes)
	}
	v = strings.Join(strings.Fields(d.w.View()), " ")
	if !strings.Contains(v, "canary sign-in: ✓ ada.lovelace@example.com signs in with that password (email login).") {
		t.Errorf("the Done screen does not say the canary's sign-in:\n%s", d.w.View())
	}
	if im.estimate == nil || im.estimate.Remaining <= 0 {
		t.Errorf("no estimate came before the bulk: %+v", im.estimate)
	}
}

// TestCanarySignInStop: a wrong password for the canary stops the run
// before the bulk (only the canary's records sent), says why and what to
// do in the wizard's words (no flag), and esc goes back to Map as after
// other stops.
func TestCanarySignInStop(t *testing.T) {
	for _, size := range [][2]int{{80, 24}, {120, 40}} {
		t.Run(fmt.Sprintf("%dx%d", size[0], size[1]), func(t *testing.T) {
			exampleDir(t)
			d := newDriver(t, Options{}, size[0], size[1])
			im := canaryConfirm(t, d, "ada.lovelace@example.com", "not her password")
			d.handle(enter)
			d.key(enter, func() bool { return im.phase == phaseDone })
			if !errors.Is(im.runErr, importer.ErrCanarySignIn) {
				t.Fatalf("not a canary sign-in stop: %v", im.runErr)
			}
			s := im.summary
			if s == nil || s.NotSent == 0 || s.Inserted+s.Updated > 10 {
				t.Fatalf("the bulk was sent: %+v", s)
			}
			v := d.w.View()
			flat := strings.Join(strings.Fields(v), " ")
			for _, want := range []string{"canary sign-in: ✗ ada.lovelace@example.com does not sign in with that password.",
				"stopped: the canary user ada.lovelace@example.com did not sign in", "not sent"} {
				if !strings.Contains(flat, want) {
					t.Errorf("the screen lacks %q:\n%s", want, v)
				}
			}
			if strings.Contains(v, "--canary-sign-in") || strings.Contains(v, "not her password") {
				t.Errorf("a flag or the password on the wizard's screen:\n%s", v)
			}
			checkGolden(t, fmt.Sprintf("4-canary-signin-stop-%dx%d", size[0], size[1]), v)
			// The remedy in the wizard's words, in the panel (pgdn scrolls
			// to it at 80x24).
			if p := strings.Join(strings.Fields(im.problem()), " "); !strings.Contains(p, "type the sign-in again on the confirmation screen (ctrl+s)") {
				t.Errorf("the remedy is not in the wizard's words:\n%s", p)
			}
			seen := v
			for range 10 {
				d.handle(tea.KeyMsg{Type: tea.KeyPgDown})
				seen += d.w.View()
			}
			if !strings.Contains(strings.Join(strings.Fields(seen), " "), "on the confirmation screen (ctrl+s)") {
				t.Errorf("the remedy cannot be scrolled to:\n%s", seen)
			}
			if code := importer.ExitCode(d.w.Result().Summary, d.w.Result().RunErr, nil); code != importer.ExitError {
				t.Errorf("exit code %d, want 1", code)
			}
			d.key(tea.KeyMsg{Type: tea.KeyEsc}, func() bool { return d.w.cur == stepMap })
		})
	}
}

// TestCanarySignInFormDropped: esc in the canary's form drops the choice;
// esc on the confirmation (another target) drops it too, so that no
// password stays behind.
func TestCanarySignInFormDropped(t *testing.T) {
	exampleDir(t)
	d := newDriver(t, Options{}, 80, 24)
	im := canaryConfirm(t, d, "ada.lovelace@example.com", adaPassword)
	d.handle(tea.KeyMsg{Type: tea.KeyEsc})
	if im.signIn != nil || im.canary != nil || im.phase != phaseConfirm {
		t.Fatalf("esc in the form: form %v, canary %v, phase %d", im.signIn != nil, im.canary != nil, im.phase)
	}
	d.handle(ctrlS)
	if im.signIn == nil || im.signIn.password.Value() != "" || im.signIn.login.Value() != "" {
		t.Fatal("the form opened again with what was dropped in it")
	}
	typeText(d, "ada.lovelace@example.com")
	d.handle(tea.KeyMsg{Type: tea.KeyTab})
	typeText(d, adaPassword)
	d.handle(enter)
	if im.canary == nil {
		t.Fatal("no canary sign-in kept")
	}
	d.handle(tea.KeyMsg{Type: tea.KeyEsc})
	if im.phase != phaseChoose || im.canary != nil {
		t.Fatalf("esc on the confirmation: phase %d, canary %v", im.phase, im.canary != nil)
	}
}

// TestCanaryRunWords: while the run goes, the canary's sign-in and the
// estimate are said before the bulk (events injected into the running
// step).
func TestCanaryRunWords(t *testing.T) {
	exampleDir(t)
	d := newDriver(t, Options{}, 80, 24)
	walkTo(t, d, stepImport)
	im := d.w.steps[stepImport].(*importingStep)
	im.phase, im.runID, im.s.canaryLogin = phaseRunning, 99, "ada.lovelace@example.com"
	ch := make(chan tea.Msg)
	im.ch = ch
	if v := d.w.View(); !strings.Contains(v, "the canary signs in as ada.lovelace@example.com after its request") {
		t.Errorf("before the sign-in:\n%s", v)
	}
	im.Update(eventMsg{id: 99, e: importer.CanarySignedIn{LoginID: "ada.lovelace@example.com",
		Result: importer.SignInResult{Outcome: importer.SignInRateLimited, RetryAfter: time.Minute}, Retrying: true}})
	if v := strings.Join(strings.Fields(d.w.View()), " "); !strings.Contains(v, "rate limited (HTTP 429): this proves nothing about the password. Waiting about 1 min to try once more") {
		t.Errorf("a 429 on the canary:\n%s", d.w.View())
	}
	im.Update(eventMsg{id: 99, e: importer.CanarySignedIn{LoginID: "ada.lovelace@example.com",
		Result: importer.SignInResult{Outcome: importer.SignInSucceeded, PasswordRight: true, LoginMethod: "email"}}})
	e, ok := importer.Estimate(998000, importer.Pace{Records: 10, Elapsed: 99 * time.Millisecond, ServerClock: true})
	if !ok {
		t.Fatal("no estimate")
	}
	im.Update(eventMsg{id: 99, e: e})
	v := d.w.View()
	flat := strings.Join(strings.Fields(v), " ")
	for _, want := range []string{"canary sign-in: ✓ ada.lovelace@example.com signs in with that password (email login).",
		"before the rest: " + e.String(), "the first request's 10 records took"} {
		if !strings.Contains(flat, want) {
			t.Errorf("the running screen lacks %q:\n%s", want, v)
		}
	}
	// Only a wrong password is blamed on the password.
	for _, tc := range []struct {
		res       importer.SignInResult
		want, not string
	}{
		{importer.SignInResult{Outcome: importer.SignInUnknownUser, Reason: "UserNotFound: user not found"}, "no user has the login ID ada.lovelace@example.com after its request (UserNotFound: user not found)", "with that password"},
		{importer.SignInResult{Outcome: importer.SignInUnexpected, Reason: "HTTP 502"}, "an answer the check does not know (HTTP 502): nothing is proven", "with that password"},
		{importer.SignInResult{Outcome: importer.SignInWrongPassword, Reason: "InvalidCredentials"}, "does not sign in with that password", "nothing is proven"},
	} {
		im.Update(eventMsg{id: 99, e: importer.CanarySignedIn{LoginID: "ada.lovelace@example.com", Result: tc.res}})
		flat := strings.Join(strings.Fields(d.w.View()), " ")
		if !strings.Contains(flat, tc.want) || strings.Contains(flat, tc.not) {
			t.Errorf("%v: want %q, not %q:\n%s", tc.res.Outcome, tc.want, tc.not, d.w.View())
		}
	}
}

// TestCanarySignInUnknownLoginRefused: a canary sign-in whose login ID no
// record has is refused before anything is sent, on the wizard's screen,
// and esc goes back to Map.
func TestCanarySignInUnknownLoginRefused(t *testing.T) {
	exampleDir(t)
	d := newDriver(t, Options{}, 80, 24)
	im := canaryConfirm(t, d, "nobody@example.com", adaPassword)
	d.handle(enter)
	d.key(enter, func() bool { return im.phase == phaseDone })
	var re *importer.SignInRecordError
	if !errors.As(im.runErr, &re) {
		t.Fatalf("not refused for the login ID: %v", im.runErr)
	}
	if s := im.summary; s != nil && s.Inserted+s.Updated+s.Skipped+s.Failed > 0 {
		t.Fatalf("records were sent: %+v", s)
	}
	flat := strings.Join(strings.Fields(im.problem()), " ")
	if !strings.Contains(flat, "no record of the input has the login ID nobody@example.com") || !strings.Contains(flat, "nothing was sent") {
		t.Errorf("the refusal:\n%s", d.w.View())
	}
	d.key(tea.KeyMsg{Type: tea.KeyEsc}, func() bool { return d.w.cur == stepMap })
}

// TestRunningETAWords: the ETA of a running import is worded as the
// estimate before it (and as replay's progress line): "ETA about 2 h 45
// min", not a Go duration.
func TestRunningETAWords(t *testing.T) {
	exampleDir(t)
	d := newDriver(t, Options{}, 80, 24)
	walkTo(t, d, stepImport)
	im := d.w.steps[stepImport].(*importingStep)
	im.phase = phaseRunning
	im.prog = importer.ImportProgress{Total: 1_000_000, Rate: 101, ETA: 2*time.Hour + 44*time.Minute + 41*time.Second}
	if v := d.w.View(); !strings.Contains(strings.Join(strings.Fields(v), " "), "101 rec/s · ETA about 2 h 45 min") {
		t.Errorf("the running line:\n%s", v)
	}
}
