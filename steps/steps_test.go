package steps

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"github.com/authgear-migrate/authgear-migrate/importer"
	"github.com/authgear-migrate/authgear-migrate/importer/sandbox"
)

// TestLoadErrorsInline: a broken export, a folder and a missing file are
// shown on the load screen with what is wrong, and nothing moves on.
func TestLoadErrorsInline(t *testing.T) {
	dir := exampleDir(t)
	os.WriteFile(filepath.Join(dir, "broken.json"), []byte("[{\"email\": \"a@example.com\"},\n {\"email\": }]\n"), 0o600)
	os.Mkdir(filepath.Join(dir, "folder.csv"), 0o700)
	for _, c := range []struct{ input, want string }{
		{"broken.json", "broken.json:2:"},
		{"folder.csv", "is a folder"},
		{"nope.csv", "nope.csv: no such file"},
	} {
		d := newDriver(t, Options{Input: c.input}, 80, 24)
		l := d.w.steps[stepLoad].(*loadStep)
		d.until(func() bool { return !l.busy && (l.s.loaded == nil || l.s.loaded.count >= 0) })
		if l.err == nil || !strings.Contains(d.w.View(), c.want) {
			t.Errorf("%s: error %v, screen:\n%s", c.input, l.err, d.w.View())
		}
		d.handle(enter)
		if d.w.cur != stepLoad {
			t.Errorf("%s: moved on to %s", c.input, d.w.cur)
		}
	}
}

// walkTo loads the example and presses Enter until the wizard is at step
// s (the map, the preview or the import).
func walkTo(t *testing.T, d *driver, s stepID) {
	t.Helper()
	w := d.w
	d.key(enter, func() bool { return w.s.loaded != nil })
	if s == stepLoad {
		return
	}
	d.key(enter, func() bool { m, ok := w.steps[stepMap].(*mappingStep); return ok && m.results != nil })
	if s == stepMap {
		return
	}
	d.key(enter, func() bool { p, ok := w.steps[stepPreview].(*previewStep); return ok && !p.running })
	if s == stepPreview {
		return
	}
	d.key(enter, func() bool { return w.cur == stepImport })
}

// TestMapEdits: changing the identifier, unmapping a field, choosing a
// source from the filtered list and setting a constant each change the
// mapping and re-validate the sample in the background.
func TestMapEdits(t *testing.T) {
	exampleDir(t)
	d := newDriver(t, Options{}, 80, 24)
	walkTo(t, d, stepMap)
	m := d.w.steps[stepMap].(*mappingStep)
	mp := d.w.s.mapping
	v := m.version
	d.key(runes(" "), func() bool { return m.version > v && m.results != nil })
	if mp.Identifier != importer.IdentifierPhone {
		t.Fatalf("identifier after space: %s", mp.Identifier)
	}
	// Records without a phone are now invalid: the sample line says so.
	if !strings.Contains(m.sampleLine(), "invalid") {
		t.Errorf("sample line after the identifier change: %s", m.sampleLine())
	}
	// The unreadable-phone policy is a setting row.
	for m.cursor != rowPhoneInvalid {
		d.handle(runes("j"))
	}
	if !strings.Contains(m.detail(), "sample: 1 record)") {
		t.Errorf("phone policy detail: %s", m.detail())
	}
	// Unreadable phones are dropped by default (issue 18's rule); space
	// makes them reject the record, and back.
	if phonePolicy(mp) != importer.InvalidDrop || !strings.Contains(m.View(), "import the user without it") {
		t.Fatalf("phone policy %q by default:\n%s", phonePolicy(mp), m.View())
	}
	v = m.version
	d.key(runes(" "), func() bool { return m.version > v && m.results != nil })
	if mp.Phone.Invalid != importer.PhoneInvalidReject || phonePolicy(mp) != importer.InvalidReject {
		t.Fatalf("phone.invalid after space: %q", mp.Phone.Invalid)
	}
	// A field's own choice: space on the given_name row rejects a user
	// whose name Authgear would refuse, and back.
	for m.field() != "given_name" {
		d.handle(runes("j"))
	}
	v = m.version
	d.key(runes(" "), func() bool { return m.version > v && m.results != nil })
	if mp.InvalidPolicy("given_name") != importer.InvalidReject || !strings.Contains(m.View(), "refused value rejects the user") {
		t.Fatalf("given_name's policy %q:\n%s", mp.InvalidPolicy("given_name"), m.View())
	}
	v = m.version
	d.key(runes(" "), func() bool { return m.version > v && m.results != nil })
	if mp.Fields["given_name"].Invalid != "" {
		t.Fatalf("given_name's policy back to the default is written %q", mp.Fields["given_name"].Invalid)
	}
	for m.cursor != rowPhoneInvalid {
		d.handle(runes("k"))
	}
	for m.field() != "email" {
		d.handle(runes("j"))
	}
	d.handle(runes("d"))
	if _, ok := mp.Fields["email"]; ok {
		t.Fatal("d did not unmap email")
	}
	d.handle(runes("s"))
	if m.chooser == nil {
		t.Fatal("s opened no chooser")
	}
	for _, r := range "Mobi" {
		d.handle(runes(string(r)))
	}
	d.handle(enter)
	if f := mp.Fields["email"]; f == nil || f.From != "Mobile number" {
		t.Fatalf("email after choosing a source: %+v", f)
	}
	d.handle(runes("v"))
	for _, r := range "x@example.com" {
		d.handle(runes(string(r)))
	}
	v = m.version
	d.key(enter, func() bool { return m.version > v && m.results != nil })
	if f := mp.Fields["email"]; f == nil || f.Value != "x@example.com" || f.From != "" {
		t.Fatalf("email after a constant: %+v", f)
	}
	if !strings.Contains(d.w.View(), "= x@example.com") {
		t.Errorf("the constant is not shown:\n%s", d.w.View())
	}
}

// TestRealTargetNeedsTypedConfirmation: an Authgear endpoint from the
// environment is checked, a lone Enter does not start the import, "y"
// does; ctrl+c during the import asks first; the run keeps a journal.
func TestRealTargetNeedsTypedConfirmation(t *testing.T) {
	dir := exampleDir(t)
	kp, err := sandbox.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	pem, _ := kp.PEM()
	sb, err := sandbox.Start(context.Background(), "127.0.0.1:0", sandbox.Options{ProjectID: "myapp",
		Keys: []sandbox.PublicKey{kp.PublicKey()}, LoginIDTypes: []string{"email", "phone"}, Roles: []string{"*"}, Rate: 40})
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	env := map[string]string{"AUTHGEAR_ENDPOINT": sb.URL, "AUTHGEAR_PROJECT_ID": "myapp", "AUTHGEAR_ADMIN_KEY_ID": kp.KID, "AUTHGEAR_ADMIN_KEY": string(pem)}
	d := newDriver(t, Options{Getenv: func(k string) string { return env[k] }}, 80, 24)
	walkTo(t, d, stepImport)
	im := d.w.steps[stepImport].(*importingStep)
	d.handle(tea.KeyMsg{Type: tea.KeyTab})
	if !im.real {
		t.Fatal("tab did not choose the configured Authgear")
	}
	if strings.Contains(d.w.View(), "BEGIN") || strings.Contains(d.w.View(), string(pem[40:80])) {
		t.Fatal("the key is on the screen")
	}
	d.key(enter, func() bool { return im.phase == phaseConfirm || im.err != nil })
	if im.err != nil {
		t.Fatalf("connection check: %v", im.err)
	}
	d.handle(enter)
	if im.phase != phaseConfirm || im.err == nil {
		t.Fatalf("a lone Enter started a real import (phase %d)", im.phase)
	}
	d.handle(runes("y"))
	d.handle(enter)
	if im.phase != phaseRunning {
		t.Fatalf("y did not start the import: phase %d, %v", im.phase, im.err)
	}
	d.handle(tea.KeyMsg{Type: tea.KeyCtrlC})
	if im.phase != phaseAskStop || d.w.quitting {
		t.Fatalf("ctrl+c during the import did not ask first (phase %d, quitting %v)", im.phase, d.w.quitting)
	}
	d.handle(runes("n"))
	d.until(func() bool { return im.phase == phaseDone })
	s := d.w.s.summary
	if s == nil || s.Inserted != 19 || s.Journal == "" {
		t.Fatalf("summary %+v", s)
	}
	if _, err := os.Stat(filepath.Join(dir, "users.report.journal")); err != nil {
		t.Errorf("no journal: %v", err)
	}
	d.handle(tea.KeyMsg{Type: tea.KeyEsc})
	if d.w.cur != stepImport {
		t.Error("esc after the import went back (and would import again)")
	}
	// v reads every imported user back.
	d.key(runes("v"), func() bool { return im.verified != nil || im.verifyErr != nil })
	if im.verifyErr != nil || im.verified.Checked != 19 || im.verified.Differ != 0 {
		t.Fatalf("verify: %+v %v", im.verified, im.verifyErr)
	}
	if !strings.Contains(d.w.View(), "19 users read back, 19 match") {
		t.Errorf("the verify line:\n%s", d.w.View())
	}
}

// TestResize: after a resize every line fits the new width and the screen
// the new height.
func TestResize(t *testing.T) {
	exampleDir(t)
	d := newDriver(t, Options{}, 120, 40)
	walkTo(t, d, stepPreview)
	for _, size := range [][2]int{{100, 30}, {80, 24}, {150, 50}} {
		d.handle(tea.WindowSizeMsg{Width: size[0], Height: size[1]})
		view := d.w.View()
		lines := strings.Split(view, "\n")
		if len(lines) > size[1] {
			t.Errorf("%dx%d: %d lines", size[0], size[1], len(lines))
		}
		for _, l := range lines {
			if lipgloss.Width(l) > size[0] {
				t.Errorf("%dx%d: a line of %d cells: %q", size[0], size[1], lipgloss.Width(l), l)
				break
			}
		}
		if !strings.Contains(lines[len(lines)-1], "enter") {
			t.Errorf("%dx%d: no help line at the bottom: %q", size[0], size[1], lines[len(lines)-1])
		}
	}
}

// TestNoColor: with NO_COLOR the views carry no escape sequences; with a
// colour terminal they do.
func TestNoColor(t *testing.T) {
	exampleDir(t)
	render := func() string {
		var buf bytes.Buffer
		r := lipgloss.NewRenderer(&buf, termenv.WithTTY(true), termenv.WithColorCache(false))
		w := New(context.Background(), Options{Renderer: r})
		w.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
		return w.View()
	}
	t.Setenv("TERM", "xterm-256color")
	t.Setenv("COLORTERM", "truecolor")
	if !strings.Contains(render(), "\x1b[") {
		t.Skip("this environment gives no colour profile even to a terminal; nothing to compare")
	}
	t.Setenv("NO_COLOR", "1")
	if v := render(); strings.Contains(v, "\x1b[") {
		t.Errorf("NO_COLOR view has escapes: %q", v)
	}
}

// TestFullHelp: ? shows every binding of the step, and again hides them.
func TestFullHelp(t *testing.T) {
	exampleDir(t)
	d := newDriver(t, Options{}, 100, 30)
	walkTo(t, d, stepMap)
	short := d.w.View()
	d.handle(runes("?"))
	full := d.w.View()
	for _, k := range []string{"drop transform", "constant", "unmap"} {
		if !strings.Contains(full, k) {
			t.Errorf("full help lacks %q:\n%s", k, full)
		}
	}
	d.handle(runes("?"))
	if d.w.View() != short {
		t.Error("? did not hide the full help again")
	}
}

// TestWizardCreatesMissingRoles: a real project that lacks roles the file
// needs is told before the import; ctrl+r creates them first, and no record
// fails for want of a role.
func TestWizardCreatesMissingRoles(t *testing.T) {
	exampleDir(t)
	kp, err := sandbox.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	pem, _ := kp.PEM()
	sb, err := sandbox.Start(context.Background(), "127.0.0.1:0", sandbox.Options{ProjectID: "myapp",
		Keys: []sandbox.PublicKey{kp.PublicKey()}, LoginIDTypes: []string{"email", "phone"}, Roles: []string{"viewer"}})
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	env := map[string]string{"AUTHGEAR_ENDPOINT": sb.URL, "AUTHGEAR_PROJECT_ID": "myapp", "AUTHGEAR_ADMIN_KEY_ID": kp.KID, "AUTHGEAR_ADMIN_KEY": string(pem)}
	d := newDriver(t, Options{Getenv: func(k string) string { return env[k] }}, 100, 30)
	walkTo(t, d, stepImport)
	im := d.w.steps[stepImport].(*importingStep)
	d.handle(tea.KeyMsg{Type: tea.KeyTab})
	d.key(enter, func() bool { return im.phase == phaseConfirm || im.err != nil })
	if len(im.missing) != 2 || !strings.Contains(d.w.View(), `role "admin"`) {
		t.Fatalf("missing %v; screen:\n%s", im.missing, d.w.View())
	}
	d.handle(tea.KeyMsg{Type: tea.KeyCtrlR})
	if !im.create {
		t.Fatal("ctrl+r did not choose to create the roles")
	}
	d.handle(runes("y"))
	d.key(enter, func() bool { return im.phase == phaseDone })
	if s := d.w.s.summary; s == nil || s.Inserted != 19 || s.Failed != 0 {
		t.Fatalf("summary %+v", s)
	}
	if v := d.w.View(); !strings.Contains(v, "created 2 roles") {
		t.Errorf("no word of the roles created:\n%s", v)
	}
}

// TestWizardDjangoFixture: a Django dumpdata fixture's objects that are not
// users are counted apart on the map step and the preview.
func TestWizardDjangoFixture(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "importer", "testdata", "exports", "django-dumpdata.json"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "dump.json"), b, 0o600)
	t.Chdir(dir)
	d := newDriver(t, Options{Input: "dump.json"}, 100, 30)
	w := d.w
	d.until(func() bool { return w.s.loaded != nil })
	if w.s.loaded.preset != "django" {
		t.Fatalf("preset %q", w.s.loaded.preset)
	}
	d.key(enter, func() bool { m, ok := w.steps[stepMap].(*mappingStep); return ok && m.results != nil })
	m := w.steps[stepMap].(*mappingStep)
	if line := m.sampleLine(); !strings.Contains(line, "6 of 7 sample records valid (and 19 other objects, not users)") {
		t.Errorf("sample line: %s", line)
	}
	d.key(enter, func() bool { p, ok := w.steps[stepPreview].(*previewStep); return ok && !p.running })
	if v := w.View(); !strings.Contains(v, "19 other objects (not users)") || !strings.Contains(v, "6 valid, 1 invalid") {
		t.Errorf("preview:\n%s", v)
	}
}

// TestBackFromPreviewThenForward: leaving the preview stops its dry run,
// and the preview entered again shows its own run, not the earlier one's.
func TestBackFromPreviewThenForward(t *testing.T) {
	exampleDir(t)
	d := newDriver(t, Options{}, 80, 24)
	walkTo(t, d, stepMap)
	d.handle(enter) // save & preview: the dry run starts
	d.until(func() bool { return d.w.cur == stepPreview })
	first := d.w.steps[stepPreview].(*previewStep)
	d.key(tea.KeyMsg{Type: tea.KeyEsc}, func() bool { return d.w.cur == stepMap })
	m := d.w.steps[stepMap].(*mappingStep)
	// Change the mapping: upsert on.
	m.cursor = rowUpsert
	d.handle(runes(" "))
	d.key(enter, func() bool {
		p, ok := d.w.steps[stepPreview].(*previewStep)
		return ok && p != first && !p.running && p.summary != nil
	})
	p := d.w.steps[stepPreview].(*previewStep)
	if p.runID == first.runID || p.summary.Total != 21 {
		t.Errorf("second preview: run %d (first %d), summary %+v", p.runID, first.runID, p.summary)
	}
	if !d.w.s.mapping.Upsert {
		t.Error("the change was lost")
	}
}
