package steps

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/authgear-migrate/authgear-migrate/importer"
	"github.com/authgear-migrate/authgear-migrate/importer/sandbox"
)

// realProject starts a sandbox posing as a real Authgear project and
// returns the environment that points the wizard at it.
func realProject(t *testing.T, o sandbox.Options) (*sandbox.Running, map[string]string) {
	t.Helper()
	kp, err := sandbox.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	pem, _ := kp.PEM()
	o.ProjectID = "myapp"
	o.Keys = []sandbox.PublicKey{kp.PublicKey()}
	sb, err := sandbox.Start(context.Background(), "127.0.0.1:0", o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sb.Close() })
	return sb, map[string]string{"AUTHGEAR_ENDPOINT": sb.URL, "AUTHGEAR_PROJECT_ID": "myapp",
		"AUTHGEAR_ADMIN_KEY_ID": kp.KID, "AUTHGEAR_ADMIN_KEY": string(pem)}
}

// usersFile writes n users with an email and a mobile number (the first
// `invalid` of them without an email: invalid) to users.csv in the
// current folder.
func usersFile(t *testing.T, n, invalid int) {
	t.Helper()
	var b strings.Builder
	b.WriteString("Email,Mobile number,Role\n")
	for i := range n {
		email := fmt.Sprintf("user%d@example.com", i)
		if i < invalid {
			email = "not-an-email"
		}
		fmt.Fprintf(&b, "%s,+44 7911 %06d,viewer\n", email, 100000+i)
	}
	if err := os.WriteFile("users.csv", []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
}

// importInto walks to the import step and imports into the configured
// project (typing y), until the run ends.
func importInto(t *testing.T, d *driver) *importingStep {
	t.Helper()
	walkTo(t, d, stepImport)
	return confirmReal(t, d)
}

// forward presses enter from the map step to the import step.
func forward(t *testing.T, d *driver) {
	t.Helper()
	d.key(enter, func() bool {
		p, ok := d.w.steps[stepPreview].(*previewStep)
		return ok && d.w.cur == stepPreview && !p.running
	})
	d.key(enter, func() bool { return d.w.cur == stepImport })
}

// confirmReal, on the import step, imports into the configured project.
func confirmReal(t *testing.T, d *driver) *importingStep {
	t.Helper()
	im := d.w.steps[stepImport].(*importingStep)
	d.handle(tea.KeyMsg{Type: tea.KeyTab})
	d.key(enter, func() bool { return im.phase == phaseConfirm || im.err != nil })
	if im.err != nil {
		t.Fatalf("target check: %v", im.err)
	}
	d.handle(runes("y"))
	d.key(enter, func() bool { return im.phase == phaseDone })
	return im
}

// TestWizardCanaryStop: a canary stop (a login ID type the project does
// not enable) leaves the bar where the records settled, counts the records
// not sent, shows the whole advice in the wizard's words, and esc goes
// back to Map with the edits kept; fixed, the import goes on.
func TestWizardCanaryStop(t *testing.T) {
	for _, size := range [][2]int{{80, 24}, {120, 40}} {
		t.Run(fmt.Sprintf("%dx%d", size[0], size[1]), func(t *testing.T) {
			t.Chdir(t.TempDir())
			usersFile(t, 300, 7)
			sb, env := realProject(t, sandbox.Options{LoginIDTypes: []string{"email"}, Roles: []string{"viewer"}})
			d := newDriver(t, Options{Input: "users.csv", Getenv: func(k string) string { return env[k] }}, size[0], size[1])
			walkTo(t, d, stepMap)
			// An edit on the map step, to be found again after the stop.
			m := d.w.steps[stepMap].(*mappingStep)
			m.cursor = rowUpsert
			d.handle(runes(" "))
			if !d.w.s.mapping.Upsert {
				t.Fatal("space did not turn upsert on")
			}
			forward(t, d)
			im := confirmReal(t, d)
			s := im.summary
			if s == nil || s.NotSent == 0 || im.runErr == nil {
				t.Fatalf("not a stop: %+v %v", s, im.runErr)
			}
			v := d.w.View()
			settled := s.Total - s.NotSent
			for _, want := range []string{
				fmt.Sprintf("%d of 300 records settled", settled),
				fmt.Sprintf("not sent %d", s.NotSent),
				"stopped: the server ignored phone",
				"then import again.", // the end of the engine's advice: not cut
				"turn upsert on in Map",
			} {
				if !strings.Contains(strings.Join(strings.Fields(v), " "), want) {
					t.Errorf("the screen lacks %q:\n%s", want, v)
				}
			}
			if strings.Contains(v, "--upsert") || strings.Contains(v, "100%") {
				t.Errorf("flag words or a full bar on the wizard's screen:\n%s", v)
			}
			if im.fraction() >= 1 || im.fraction() != float64(settled)/300 {
				t.Errorf("the bar stands at %v, not %d of 300", im.fraction(), settled)
			}
			if settled != 17 || s.NotSent != 283 {
				t.Errorf("settled %d (10 sent + 7 invalid), not sent %d; want 17 and 283", settled, s.NotSent)
			}
			checkGolden(t, fmt.Sprintf("4-canary-stop-%dx%d", size[0], size[1]), v)
			if code := importer.ExitCode(d.w.Result().Summary, d.w.Result().RunErr, nil); code != importer.ExitError {
				t.Errorf("exit code %d, want 1", code)
			}

			// esc: back to Map, the edit kept.
			d.key(tea.KeyMsg{Type: tea.KeyEsc}, func() bool { return d.w.cur == stepMap })
			if !d.w.s.mapping.Upsert {
				t.Error("the edit was lost going back")
			}
			// Fixed in the project; the same import goes on.
			if err := sb.Server.SetLoginIDTypes("email", "phone"); err != nil {
				t.Fatal(err)
			}
			d.key(enter, func() bool {
				p, ok := d.w.steps[stepPreview].(*previewStep)
				return ok && d.w.cur == stepPreview && !p.running
			})
			d.key(enter, func() bool { return d.w.cur == stepImport })
			im2 := d.w.steps[stepImport].(*importingStep)
			if im2 == im {
				t.Fatal("the import step was not built again")
			}
			d.handle(tea.KeyMsg{Type: tea.KeyTab})
			d.key(enter, func() bool { return im2.phase == phaseConfirm || im2.err != nil })
			d.handle(runes("y"))
			d.key(enter, func() bool { return im2.phase == phaseDone })
			s2 := im2.summary
			if im2.runErr != nil || s2.NotSent != 0 || s2.Inserted+s2.Updated+s2.Skipped != 293 || s2.Invalid != 7 {
				t.Errorf("after the fix: %+v %v", s2, im2.runErr)
			}
		})
	}
}

// TestWizardRefusedRunShowsError: a rehearsal over the report of a live
// import is refused; the wizard shows the refusal in full, in its words,
// and exits 2.
func TestWizardRefusedRunShowsError(t *testing.T) {
	exampleDir(t)
	_, env := realProject(t, sandbox.Options{LoginIDTypes: []string{"email", "phone"}, Roles: []string{"*"}})
	// A live import of users.csv first: its report and journal are history.
	d := newDriver(t, Options{Getenv: func(k string) string { return env[k] }}, 80, 24)
	im := importInto(t, d)
	if im.runErr != nil || im.summary.Inserted != 19 {
		t.Fatalf("the live import: %+v %v", im.summary, im.runErr)
	}
	for _, size := range [][2]int{{80, 24}, {120, 40}} {
		d := newDriver(t, Options{}, size[0], size[1])
		walkTo(t, d, stepImport)
		im := d.w.steps[stepImport].(*importingStep)
		d.key(enter, func() bool { return im.phase == phaseConfirm })
		d.key(enter, func() bool { return im.phase == phaseDone })
		v := d.w.View()
		flat := strings.Join(strings.Fields(v), " ")
		for _, want := range []string{"The import was refused", "is the report of a live import", "start the wizard in another folder"} {
			if !strings.Contains(flat, want) {
				t.Errorf("%v: the screen lacks %q:\n%s", size, want, v)
			}
		}
		if strings.Contains(v, "--report") || strings.Contains(v, "100%") {
			t.Errorf("%v: flag words or a full bar:\n%s", size, v)
		}
		checkGolden(t, fmt.Sprintf("4-refused-%dx%d", size[0], size[1]), v)
		res := d.w.Result()
		if code := importer.ExitCode(res.Summary, res.RunErr, nil); code != importer.ExitRefused {
			t.Errorf("exit code %d, want 2", code)
		}
		if !strings.Contains(res.Problem, "start the wizard in another folder") {
			t.Errorf("the result's problem: %q", res.Problem)
		}
	}
}

// TestWizardLargeFileNoSandbox: a file larger than the in-process sandbox
// holds does not start it: the wizard says so and offers the other ways.
func TestWizardLargeFileNoSandbox(t *testing.T) {
	exampleDir(t)
	d := newDriver(t, Options{}, 100, 30)
	walkTo(t, d, stepImport)
	// The preview counted the file: a million records.
	p := *d.w.s.preview
	p.Total = 1_000_000
	d.w.s.preview = &p
	im := d.w.steps[stepImport].(*importingStep)
	d.key(enter, func() bool { return im.phase == phaseChoose && im.err != nil || im.phase == phaseConfirm })
	if im.target != nil || im.phase != phaseChoose {
		t.Fatalf("the in-process sandbox was started for 1,000,000 records (phase %d)", im.phase)
	}
	flat := strings.Join(strings.Fields(d.w.View()), " ")
	for _, want := range []string{"1,000,000 records are too many for the in-process sandbox", "dry run", importer.StandaloneSandboxCommand, "first 100,000 records", "s rehearses with a sample"} {
		if !strings.Contains(flat, want) {
			t.Errorf("the screen lacks %q:\n%s", want, d.w.View())
		}
	}
	checkGolden(t, "4-too-big-100x30", d.w.View())
	// s: a sample of the first records, rehearsed in the sandbox.
	d.key(runes("s"), func() bool { return im.sample != "" || (im.err != nil && !im.tooBig()) })
	if im.sample != "users.sample.csv" || im.sampleN != 21 {
		t.Fatalf("sample %q of %d records (%v)", im.sample, im.sampleN, im.err)
	}
	d.key(enter, func() bool { return im.phase == phaseConfirm || im.err != nil })
	d.key(enter, func() bool { return im.phase == phaseDone })
	if s := im.summary; s == nil || s.Input != "users.sample.csv" || s.Report != "users.sample.report.csv" || s.Inserted != 19 {
		t.Errorf("the sample's rehearsal: %+v", s)
	}
}

// TestWizardStopQuestion: ctrl+c asks; a second ctrl+c stops rather than
// taking the question back; the rehearsal's question promises no resume.
func TestWizardStopQuestion(t *testing.T) {
	for _, size := range [][2]int{{80, 24}, {120, 40}} {
		t.Run(fmt.Sprintf("%dx%d", size[0], size[1]), func(t *testing.T) {
			t.Chdir(t.TempDir())
			usersFile(t, 300, 0)
			_, env := realProject(t, sandbox.Options{LoginIDTypes: []string{"email", "phone"}, Roles: []string{"viewer"}, Rate: 20})
			d := newDriver(t, Options{Input: "users.csv", Getenv: func(k string) string { return env[k] }}, size[0], size[1])
			walkTo(t, d, stepImport)
			im := d.w.steps[stepImport].(*importingStep)
			d.handle(tea.KeyMsg{Type: tea.KeyTab})
			d.key(enter, func() bool { return im.phase == phaseConfirm })
			d.handle(runes("y"))
			d.key(enter, func() bool { return im.phase == phaseRunning && im.prog.InFlight > 0 })
			d.handle(tea.KeyMsg{Type: tea.KeyCtrlC})
			if im.phase != phaseAskStop {
				t.Fatalf("ctrl+c did not ask (phase %d)", im.phase)
			}
			v := d.w.View()
			flat := strings.Join(strings.Fields(v), " ")
			if !strings.Contains(flat, "y stops, n goes on") || !strings.Contains(flat, "the journal keeps what they have not finished and the rest") {
				t.Errorf("the question is cut or missing:\n%s", v)
			}
			if !strings.Contains(v, "y stop") || !strings.Contains(v, "n/esc go on") {
				t.Errorf("the footer does not show the question's keys:\n%s", v)
			}
			checkGolden(t, fmt.Sprintf("4-stop-question-%dx%d", size[0], size[1]), progressLine(v))
			// A second ctrl+c does not take the stop back: it stops.
			d.handle(tea.KeyMsg{Type: tea.KeyCtrlC})
			if im.phase != phaseRunning || !im.stopping {
				t.Fatalf("the second ctrl+c: phase %d, stopping %v", im.phase, im.stopping)
			}
			d.until(func() bool { return im.phase == phaseDone })
			res := d.w.Result()
			if code := importer.ExitCode(res.Summary, res.RunErr, nil); code != importer.ExitInterrupted {
				t.Errorf("exit code %d after a stop, want 130", code)
			}
		})
	}
}

// TestRehearsalStopPromisesNoResume: the in-process sandbox's stop
// question does not promise a journal.
func TestRehearsalStopPromisesNoResume(t *testing.T) {
	exampleDir(t)
	d := newDriver(t, Options{}, 100, 30)
	walkTo(t, d, stepImport)
	im := d.w.steps[stepImport].(*importingStep)
	d.key(enter, func() bool { return im.phase == phaseConfirm })
	// Stopped before any message of the run arrives.
	d.handle(enter)
	d.handle(tea.KeyMsg{Type: tea.KeyCtrlC})
	v := strings.Join(strings.Fields(d.w.View()), " ")
	if !strings.Contains(v, "rehearses from the start") || strings.Contains(v, "journal") {
		t.Errorf("the rehearsal's stop question:\n%s", d.w.View())
	}
	d.handle(runes("n"))
	d.until(func() bool { return im.phase == phaseDone })
}

// TestMiddlewareEndpoint: the middleware step takes the endpoint of the
// project imported into (the field as edited, not the environment's), and
// e changes it.
func TestMiddlewareEndpoint(t *testing.T) {
	exampleDir(t)
	sb, env := realProject(t, sandbox.Options{LoginIDTypes: []string{"email", "phone"}, Roles: []string{"*"}})
	real := sb.URL
	env["AUTHGEAR_ENDPOINT"] = "https://wrong.authgear.cloud"
	d := newDriver(t, Options{Getenv: func(k string) string { return env[k] }}, 100, 30)
	walkTo(t, d, stepImport)
	im := d.w.steps[stepImport].(*importingStep)
	d.handle(tea.KeyMsg{Type: tea.KeyTab})
	im.fields[0].SetValue(real)
	d.key(enter, func() bool { return im.phase == phaseConfirm || im.err != nil })
	if im.err != nil {
		t.Fatal(im.err)
	}
	// The project id on screen is accepted as the confirmation.
	if !strings.Contains(d.w.View(), "(project myapp)") {
		t.Errorf("no project id on the confirmation:\n%s", d.w.View())
	}
	for _, r := range "myapp" {
		d.handle(runes(string(r)))
	}
	d.key(enter, func() bool { return im.phase == phaseDone })
	d.key(enter, func() bool { return d.w.cur == stepMiddleware })
	mw := d.w.steps[stepMiddleware].(*middlewareStep)
	if mw.endpoint != real || !strings.Contains(mw.text, real) || strings.Contains(d.w.View(), "wrong.authgear") {
		t.Errorf("the middleware's endpoint is %q, not the project imported into (%s)", mw.endpoint, real)
	}
	d.handle(runes("e"))
	if !d.w.typing() {
		t.Fatal("e did not focus the endpoint field")
	}
	for range len(real) {
		d.handle(tea.KeyMsg{Type: tea.KeyBackspace})
	}
	for _, r := range "https://other.authgear.cloud" {
		d.handle(runes(string(r)))
	}
	d.handle(enter)
	if mw.endpoint != "https://other.authgear.cloud" || !strings.Contains(mw.text, "https://other.authgear.cloud") {
		t.Errorf("e did not change the endpoint: %q", mw.endpoint)
	}
	if d.w.cur != stepMiddleware {
		t.Error("enter in the field finished the wizard")
	}
}

// TestRehearsalMiddlewareEndpoint: after a rehearsal, the middleware
// takes AUTHGEAR_ENDPOINT when it is set.
func TestRehearsalMiddlewareEndpoint(t *testing.T) {
	exampleDir(t)
	env := map[string]string{"AUTHGEAR_ENDPOINT": "https://mine.authgear.cloud"}
	d := newDriver(t, Options{Getenv: func(k string) string { return env[k] }}, 100, 30)
	walkTo(t, d, stepImport)
	im := d.w.steps[stepImport].(*importingStep)
	d.key(enter, func() bool { return im.phase == phaseConfirm })
	d.key(enter, func() bool { return im.phase == phaseDone })
	d.key(enter, func() bool { return d.w.cur == stepMiddleware })
	if mw := d.w.steps[stepMiddleware].(*middlewareStep); mw.endpoint != "https://mine.authgear.cloud" {
		t.Errorf("endpoint %q", mw.endpoint)
	}
}

// TestQuitAsksWhenEditsUnsaved: ctrl+c (or q) on the map step quits at
// once when nothing was edited, and asks first when edits would be lost;
// n stays, y quits.
func TestQuitAsksWhenEditsUnsaved(t *testing.T) {
	exampleDir(t)
	d := newDriver(t, Options{}, 100, 30)
	walkTo(t, d, stepMap)
	d.key(tea.KeyMsg{Type: tea.KeyCtrlC}, func() bool { return d.w.quitting || d.w.askQuit })
	if !d.w.quitting {
		t.Fatal("nothing edited, and ctrl+c asked")
	}

	d = newDriver(t, Options{}, 100, 30)
	walkTo(t, d, stepMap)
	m := d.w.steps[stepMap].(*mappingStep)
	m.cursor = rowUpsert
	d.handle(runes(" "))
	for _, k := range []tea.KeyMsg{{Type: tea.KeyCtrlC}, runes("q")} {
		d.key(k, func() bool { return d.w.quitting || d.w.askQuit })
		if d.w.quitting {
			t.Fatalf("%s quit with an edit unsaved", k)
		}
		v := d.w.View()
		if !strings.Contains(v, "y quits, n stays") || !strings.Contains(v, "y yes") {
			t.Errorf("the question or its keys are not on screen:\n%s", v)
		}
		d.handle(runes("n"))
		if d.w.askQuit || d.w.quitting || d.w.cur != stepMap || !d.w.s.mapping.Upsert {
			t.Fatalf("n did not stay (ask %v, quitting %v)", d.w.askQuit, d.w.quitting)
		}
	}
	d.key(tea.KeyMsg{Type: tea.KeyCtrlC}, func() bool { return d.w.askQuit })
	d.handle(runes("y"))
	if !d.w.quitting {
		t.Error("y did not quit")
	}
}

// TestKeysInFields: in a text field, q types a letter and ? never does
// (it is the help key everywhere).
func TestKeysInFields(t *testing.T) {
	exampleDir(t)
	d := newDriver(t, Options{}, 100, 30)
	l := d.w.steps[stepLoad].(*loadStep)
	if !d.w.typing() {
		t.Fatal("the path field does not have the focus")
	}
	l.path.SetValue("")
	d.handle(runes("q"))
	d.handle(runes("?"))
	if d.w.quitting || l.path.Value() != "q" || !d.w.fullHelp {
		t.Errorf("in the path field: quitting %v, value %q, help %v", d.w.quitting, l.path.Value(), d.w.fullHelp)
	}
}

// TestBackgroundMessageReachesItsOwner: the preview's run, left with esc
// while it runs, still reaches the preview (not the map step now on
// screen): its run ends and nothing is left waiting.
func TestBackgroundMessageReachesItsOwner(t *testing.T) {
	exampleDir(t)
	d := newDriver(t, Options{}, 80, 24)
	walkTo(t, d, stepMap)
	d.key(enter, func() bool { return d.w.cur == stepPreview })
	p := d.w.steps[stepPreview].(*previewStep)
	if !p.running {
		t.Skip("the preview finished before it could be left")
	}
	// esc's message, handled before any message of the run.
	d.handle(backMsg{})
	if d.w.cur != stepMap {
		t.Fatal("esc did not go back")
	}
	d.until(func() bool { return !p.running })
}

// TestMissingSettingsInFieldWords: an Authgear project with empty fields
// is refused in the words of the fields, not the environment's.
func TestMissingSettingsInFieldWords(t *testing.T) {
	exampleDir(t)
	d := newDriver(t, Options{}, 100, 30)
	walkTo(t, d, stepImport)
	im := d.w.steps[stepImport].(*importingStep)
	d.handle(tea.KeyMsg{Type: tea.KeyTab})
	d.key(enter, func() bool { return im.phase == phaseChoose && im.err != nil })
	v := d.w.View()
	flat := strings.Join(strings.Fields(v), " ")
	for _, want := range []string{"fill in", "the endpoint field", "the key file field"} {
		if !strings.Contains(flat, want) {
			t.Errorf("the screen lacks %q:\n%s", want, v)
		}
	}
	if strings.Contains(v, "AUTHGEAR_") && !strings.Contains(v, "pre-filled from AUTHGEAR_*") || strings.Contains(v, "flag") {
		t.Errorf("the environment's or the flags' words:\n%s", v)
	}
}

// TestLongErrorScrolls: a refused connection check (a key id the project
// does not know: the 403 checklist) is shown whole, wrapped and
// scrollable, never cut to a line.
func TestLongErrorScrolls(t *testing.T) {
	for _, size := range [][2]int{{80, 24}, {120, 40}} {
		t.Run(fmt.Sprintf("%dx%d", size[0], size[1]), func(t *testing.T) {
			exampleDir(t)
			_, env := realProject(t, sandbox.Options{LoginIDTypes: []string{"email", "phone"}, Roles: []string{"*"}})
			env["AUTHGEAR_ADMIN_KEY_ID"] = "not-the-key-id"
			d := newDriver(t, Options{Getenv: func(k string) string { return env[k] }}, size[0], size[1])
			walkTo(t, d, stepImport)
			im := d.w.steps[stepImport].(*importingStep)
			d.handle(tea.KeyMsg{Type: tea.KeyTab})
			d.key(enter, func() bool { return im.phase == phaseChoose && im.err != nil })
			v := d.w.View()
			checkGolden(t, fmt.Sprintf("4-long-error-%dx%d", size[0], size[1]), v)
			if strings.Contains(v, "AUTHGEAR_ADMIN_KEY_ID") || !strings.Contains(v, "the key id field") {
				t.Errorf("the checklist is not in the words of the fields:\n%s", v)
			}
			// Every line of the wrapped message is on screen, or a pgdn
			// away.
			seen := map[string]bool{}
			for range 6 {
				for _, l := range strings.Split(d.w.View(), "\n") {
					seen[strings.TrimSpace(l)] = true
				}
				d.handle(tea.KeyMsg{Type: tea.KeyPgDown})
			}
			lines := strings.Split(im.problemText(), "\n")
			if len(lines) < 7 {
				t.Fatalf("the message is %d lines: %q", len(lines), lines)
			}
			for _, l := range lines {
				if l = strings.TrimSpace(l); !seen[l] {
					t.Errorf("%q is never on screen", l)
				}
			}
		})
	}
}

// TestCountReachesLoadAfterEnter: the load step's count of a large file,
// still going when Enter moved on to Map, reaches the load step (which
// reads its channel to the end) rather than the map step.
func TestCountReachesLoadAfterEnter(t *testing.T) {
	exampleDir(t)
	d := newDriver(t, Options{}, 80, 24)
	walkTo(t, d, stepMap)
	ld := d.w.s.loaded
	ch := make(chan tea.Msg, 1)
	ch <- countedMsg{l: ld, n: 12345}
	d.handle(countingMsg{l: ld, n: 10000, ch: ch})
	d.until(func() bool { return ld.count == 12345 })
	if d.w.cur != stepMap {
		t.Errorf("the count moved the wizard to %s", d.w.cur)
	}
}

// TestUnresolvedCounted: records sent whose outcome is not known yet (a
// stop while their job was in flight) have their own counter on the
// import's screen; they are neither "failed" nor "not sent", and the bar
// does not count them settled.
func TestUnresolvedCounted(t *testing.T) {
	exampleDir(t)
	d := newDriver(t, Options{}, 80, 24)
	walkTo(t, d, stepImport)
	im := d.w.steps[stepImport].(*importingStep)
	s := importer.RunSummary{}
	s.Total, s.Inserted, s.Unresolved = 1000, 810, 190
	im.phase = phaseRunning
	d.handle(runDoneMsg{id: im.runID, summary: s, err: context.Canceled})
	flat := strings.Join(strings.Fields(d.w.View()), " ")
	for _, want := range []string{"810 of 1,000 records settled", "no outcome yet 190", "failed 0"} {
		if !strings.Contains(flat, want) {
			t.Errorf("the screen lacks %q:\n%s", want, d.w.View())
		}
	}
}

// TestLongProblemScrolls (issue 15 item 1): a stop whose advice and notes
// are longer than the screen is shown whole a page at a time: the panel
// says which lines are on screen, and pgdn brings the last one.
func TestLongProblemScrolls(t *testing.T) {
	exampleDir(t)
	d := newDriver(t, Options{}, 80, 24)
	walkTo(t, d, stepImport)
	im := d.w.steps[stepImport].(*importingStep)
	s := importer.RunSummary{}
	s.Total, s.Inserted, s.NotSent = 300, 10, 290
	s.Error = "3 of the 10 records of the first request failed with RoleUnknownKeys; nothing more was sent"
	for i := 1; i <= 12; i++ {
		s.Notes = append(s.Notes, fmt.Sprintf("note number %d: a long remark about the run that wraps onto a second line of this narrow terminal", i))
	}
	im.phase = phaseRunning
	d.handle(runDoneMsg{id: im.runID, summary: s, err: &importer.StopError{Reason: s.Error}})
	v := d.w.View()
	if !strings.Contains(v, "(lines 1-") || strings.Contains(v, "note number 12") {
		t.Fatalf("a long problem is not paged:\n%s", v)
	}
	for range 10 {
		d.handle(tea.KeyMsg{Type: tea.KeyPgDown})
	}
	if v := d.w.View(); !strings.Contains(v, "note number 12") {
		t.Errorf("pgdn never shows the last line:\n%s", v)
	}
}
