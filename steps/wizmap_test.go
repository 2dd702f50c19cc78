package steps

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/exp/teatest"

	"github.com/authgear-migrate/authgear-migrate/importer"
)

// writeSavedMapping writes the suggestion for users.csv as
// users.mapping.yaml, with a comment, a changed setting and a rule the
// wizard does not show.
func writeSavedMapping(t *testing.T, dir string) string {
	t.Helper()
	src, err := importer.Open(filepath.Join(dir, "users.csv"), importer.SourceOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	m, _, err := importer.SuggestMapping(src, importer.SuggestOptions{})
	if err != nil {
		t.Fatal(err)
	}
	m.RejectIf = []importer.Condition{{From: "Member ID", Present: false, Reason: "no member id: not a customer"}}
	var b bytes.Buffer
	if err := m.Write(&b); err != nil {
		t.Fatal(err)
	}
	text := "# reviewed by Ana: members only\n" + b.String()
	path := filepath.Join(dir, "users.mapping.yaml")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return text
}

// TestSavedMappingSurvivesRestartAndSave: the mapping saved for the input
// is offered first (its reject_if is in force), and saving an edit keeps
// its comment and rule; the next start finds the edit.
func TestSavedMappingSurvivesRestartAndSave(t *testing.T) {
	dir := exampleDir(t)
	writeSavedMapping(t, dir)
	d := newDriver(t, Options{}, 80, 24)
	w := d.w
	d.key(enter, func() bool { return w.s.loaded != nil })
	if w.s.loaded.saved != "users.mapping.yaml" || len(w.s.mapping.RejectIf) != 1 {
		t.Fatalf("the saved mapping was not offered: saved %q, reject_if %v", w.s.loaded.saved, w.s.mapping.RejectIf)
	}
	if v := w.View(); !strings.Contains(v, "the saved users.mapping.yaml") {
		t.Errorf("the load screen does not say the mapping is the saved one:\n%s", v)
	}
	d.key(enter, func() bool { m, ok := w.steps[stepMap].(*mappingStep); return ok && m.results != nil })
	m := w.steps[stepMap].(*mappingStep)
	m.cursor = rowUpsert
	d.key(runes(" "), func() bool { return m.checked == m.version })
	d.key(enter, func() bool { return w.cur == stepPreview })
	b, _ := os.ReadFile(filepath.Join(dir, "users.mapping.yaml"))
	for _, want := range []string{"# reviewed by Ana: members only", "reject_if:", "no member id: not a customer", "upsert: true"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("the saved file lost %q:\n%s", want, b)
		}
	}
	// A restart finds the edit and the rule.
	d2 := newDriver(t, Options{}, 80, 24)
	d2.key(enter, func() bool { return d2.w.s.loaded != nil })
	if mp := d2.w.s.mapping; !mp.Upsert || len(mp.RejectIf) != 1 {
		t.Errorf("after a restart: upsert %v, reject_if %v", mp.Upsert, mp.RejectIf)
	}
}

// TestSaveOverAnotherMappingAsks: with a fresh suggestion chosen over the
// saved mapping, saving does not replace the file: it asks, and "a"
// saves under a new name, leaving the file as it was.
func TestSaveOverAnotherMappingAsks(t *testing.T) {
	dir := exampleDir(t)
	before := writeSavedMapping(t, dir)
	for _, size := range [][2]int{{80, 24}, {120, 40}} {
		name := func(s string) string { return s + "-" + itoa(size[0]) + "x" + itoa(size[1]) }
		os.Remove(filepath.Join(dir, "users-2.mapping.yaml"))
		d := newDriver(t, Options{}, size[0], size[1])
		w := d.w
		d.key(enter, func() bool { return w.s.loaded != nil })
		l := w.steps[stepLoad].(*loadStep)
		d.key(tea.KeyMsg{Type: tea.KeyCtrlR}, func() bool { return !l.busy && w.s.loaded != nil && w.s.loaded.saved == "" })
		if len(w.s.mapping.RejectIf) != 0 {
			t.Fatal("ctrl+r kept the saved mapping")
		}
		d.key(enter, func() bool { m, ok := w.steps[stepMap].(*mappingStep); return ok && m.results != nil })
		m := w.steps[stepMap].(*mappingStep)
		d.key(enter, func() bool { return !m.saving })
		if m.exists != "users.mapping.yaml" || w.cur != stepMap {
			t.Fatalf("saving over another mapping did not ask (exists %q, step %s, error %v)", m.exists, w.cur, m.saveErr)
		}
		checkGolden(t, name("2-map-save-exists"), w.View())
		if b, _ := os.ReadFile(filepath.Join(dir, "users.mapping.yaml")); string(b) != before {
			t.Fatal("the saved mapping was replaced")
		}
		d.handle(runes("a"))
		if m.input == nil || m.input.Value() != "users-2.mapping.yaml" {
			t.Fatalf("no other name offered: %v", m.input)
		}
		d.key(enter, func() bool { return w.cur == stepPreview })
		if w.s.mappingPath != "users-2.mapping.yaml" {
			t.Errorf("mapping path %q", w.s.mappingPath)
		}
		if _, err := importer.ReadMappingFile(filepath.Join(dir, "users-2.mapping.yaml")); err != nil {
			t.Error(err)
		}
		if b, _ := os.ReadFile(filepath.Join(dir, "users.mapping.yaml")); string(b) != before {
			t.Fatal("the saved mapping was replaced")
		}
	}
}

var escapes = regexp.MustCompile(`[\x1b\x07\x{9b}]`)

// TestEscapesInNamesAreEscaped: an escape sequence in a column name (and
// in a file name) never reaches the terminal: not on the load screen,
// the map step's source chooser, the preview's source rows, nor the
// file browser. The renderer draws no colour, so any ESC is raw text.
func TestEscapesInNamesAreEscaped(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	csv := "email,\"na\x1b]0;pwned\x07me\",\"\x1b[2Jnote\"\n" +
		"ann@example.com,Ann,\x1b[31mred\n" +
		"not-an-email,Bob,plain\n"
	os.WriteFile("evil.csv", []byte(csv), 0o600)
	os.WriteFile("\x1b]0;title\x07.csv", []byte("email\nx@example.com\n"), 0o600)
	for _, size := range [][2]int{{80, 24}, {120, 40}} {
		name := func(s string) string { return s + "-" + itoa(size[0]) + "x" + itoa(size[1]) }
		d := newDriver(t, Options{Input: "evil.csv"}, size[0], size[1])
		w := d.w
		d.until(func() bool { return w.s.loaded != nil && w.s.loaded.count >= 0 })
		check := func(what string) {
			t.Helper()
			v := w.View()
			if escapes.MatchString(v) {
				t.Errorf("%s: a raw escape reaches the terminal:\n%q", what, v)
			}
		}
		check("load")
		checkGolden(t, name("1-load-escapes"), w.View())
		d.key(enter, func() bool { m, ok := w.steps[stepMap].(*mappingStep); return ok && m.results != nil })
		m := w.steps[stepMap].(*mappingStep)
		for m.field() != "name" {
			d.handle(runes("j"))
		}
		d.handle(runes("s"))
		check("map: the source chooser")
		checkGolden(t, name("2-map-escapes"), w.View())
		// Choose the odd column: its name is shown escaped in the list.
		for _, r := range "na" {
			d.handle(runes(string(r)))
		}
		d.handle(enter)
		if f := w.s.mapping.Fields["name"]; f == nil || f.From != "na\x1b]0;pwned\x07me" {
			t.Fatalf("name's source: %+v", f)
		}
		check("map")
		d.key(enter, func() bool { p, ok := w.steps[stepPreview].(*previewStep); return ok && !p.running })
		d.handle(runes("n")) // the invalid record, with its source row
		check("preview")
		checkGolden(t, name("3-preview-escapes"), w.View())
		d.key(tea.KeyMsg{Type: tea.KeyEsc}, func() bool { return w.cur == stepMap })
		d.key(tea.KeyMsg{Type: tea.KeyEsc}, func() bool { return w.cur == stepLoad })
		l := w.steps[stepLoad].(*loadStep)
		d.handle(tea.KeyMsg{Type: tea.KeyCtrlO})
		d.until(func() bool { return strings.Contains(w.View(), "evil.csv") })
		if !l.picking {
			t.Fatal("ctrl+o did not open the browser")
		}
		check("the file browser")
	}
}

// TestSecretsMaskedUntilM: clear-text passwords (unmapped) and hashes
// are masked on the load table, the map step's sample and the preview's
// source rows, until m.
func TestSecretsMaskedUntilM(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	os.WriteFile("u.csv", []byte("email,name,password\nann@example.com,Ann,hunter2\nbob@example.com,Bob,letmein99\n"), 0o600)
	d := newDriver(t, Options{Input: "u.csv"}, 120, 40)
	w := d.w
	d.until(func() bool { return w.s.loaded != nil && w.s.loaded.count >= 0 })
	if v := w.View(); strings.Contains(v, "hunter2") || !strings.Contains(v, "••••") {
		t.Errorf("load: a clear-text password is shown:\n%s", v)
	}
	d.handle(runes("m"))
	if v := w.View(); !strings.Contains(v, "hunter2") {
		t.Errorf("load after m: the password is still masked:\n%s", v)
	}
	d.handle(runes("m"))
	d.key(enter, func() bool { m, ok := w.steps[stepMap].(*mappingStep); return ok && m.results != nil })
	m := w.steps[stepMap].(*mappingStep)
	for m.field() != "password.password_hash" {
		d.handle(runes("j"))
	}
	d.handle(runes("s"))
	for _, r := range "password" {
		d.handle(runes(string(r)))
	}
	d.key(enter, func() bool { return m.checked == m.version })
	if f := w.s.mapping.Fields["password.password_hash"]; f == nil || f.From != "password" {
		t.Fatalf("password field: %+v", f)
	}
	if v := w.View(); strings.Contains(v, "hunter2") || !strings.Contains(v, "••••") {
		t.Errorf("map: a clear-text password is shown:\n%s", v)
	}
	d.handle(runes("m"))
	if v := w.View(); !strings.Contains(v, "hunter2") {
		t.Errorf("map after m: still masked:\n%s", v)
	}
	d.handle(runes("m"))
	d.key(enter, func() bool { p, ok := w.steps[stepPreview].(*previewStep); return ok && !p.running })
	d.handle(runes("n"))
	if v := w.View(); strings.Contains(v, "hunter2") || strings.Contains(v, "letmein99") {
		t.Errorf("preview: a clear-text password is shown:\n%s", v)
	}
}

// TestMapNotes: the engine's notes on the export are on the map step,
// wrapped and scrollable to their last word.
func TestMapNotes(t *testing.T) {
	exampleDir(t)
	for _, size := range [][2]int{{80, 24}, {120, 40}} {
		name := func(s string) string { return s + "-" + itoa(size[0]) + "x" + itoa(size[1]) }
		d := newDriver(t, Options{}, size[0], size[1])
		walkTo(t, d, stepMap)
		notes := d.w.s.loaded.notes
		if len(notes) == 0 {
			t.Fatal("the example has no notes")
		}
		if v := d.w.View(); !strings.Contains(v, "n reads them") {
			t.Errorf("the map step does not say there are notes:\n%s", v)
		}
		d.handle(runes("n"))
		checkGolden(t, name("2-map-notes"), d.w.View())
		m := d.w.steps[stepMap].(*mappingStep)
		var seen strings.Builder
		for i := 0; i < 50; i++ {
			seen.WriteString(d.w.View())
			if m.notes.AtBottom() {
				break
			}
			d.handle(tea.KeyMsg{Type: tea.KeyDown})
		}
		flat := strings.Join(strings.Fields(seen.String()), " ")
		for _, n := range notes {
			words := strings.Fields(importer.Printable(n))
			tail := strings.Join(words[max(len(words)-4, 0):], " ")
			if !strings.Contains(flat, tail) {
				t.Errorf("the end of a note is not shown: %q", tail)
			}
		}
		d.handle(runes("n"))
		if m.notes != nil {
			t.Error("n did not close the notes")
		}
	}
}

// TestTransformArguments: the transform chooser matches names first, and
// a transform's argument is asked as the engine describes it: drop and
// hashed_with ask for theirs (and refuse none), key asks for none.
func TestTransformArguments(t *testing.T) {
	exampleDir(t)
	for _, size := range [][2]int{{80, 24}, {120, 40}} {
		name := func(s string) string { return s + "-" + itoa(size[0]) + "x" + itoa(size[1]) }
		d := newDriver(t, Options{}, size[0], size[1])
		walkTo(t, d, stepMap)
		m := d.w.steps[stepMap].(*mappingStep)
		for m.field() != "roles" {
			d.handle(runes("j"))
		}
		fs := d.w.s.mapping.Fields["roles"]
		if fs == nil {
			t.Fatal("roles is not mapped in the example")
		}
		n := len(fs.Transforms)
		typeIn := func(s string) {
			for _, r := range s {
				d.handle(runes(string(r)))
			}
		}
		d.handle(runes("t"))
		typeIn("drop")
		d.handle(enter)
		if m.input == nil || m.inputOf != "arg:drop" {
			t.Fatalf("drop asks no argument (input %v)", m.input)
		}
		checkGolden(t, name("2-map-transform-arg"), d.w.View())
		d.handle(enter)
		if m.input == nil || m.inputErr == "" {
			t.Fatal("drop was added without its argument")
		}
		typeIn("viewer")
		d.key(enter, func() bool { return m.checked == m.version })
		if got := fs.Transforms[len(fs.Transforms)-1]; len(fs.Transforms) != n+1 || got.Name != "drop" || got.Arg != "viewer" {
			t.Fatalf("transforms %v", fs.Transforms)
		}
		d.handle(runes("t"))
		typeIn("key")
		d.key(enter, func() bool { return m.checked == m.version })
		// key's argument (a table of names and keys) is optional: enter
		// on an empty field adds it without one.
		if m.input == nil {
			t.Fatal("key does not offer its optional argument")
		}
		d.key(enter, func() bool { return m.checked == m.version })
		if m.input != nil {
			t.Fatalf("an empty optional argument is refused: %s", m.inputErr)
		}
		if got := fs.Transforms[len(fs.Transforms)-1]; got.Name != "key" || got.Arg != "" {
			t.Fatalf("transforms %v", fs.Transforms)
		}
		if err := importer.NewMapping(importer.IdentifierEmail).Check(); err == nil {
			t.Fatal("unreachable")
		}
		if err := cloneMapping(d.w.s.mapping).Check(); err != nil {
			t.Errorf("the mapping is broken: %v", err)
		}
	}
}

// TestCountReachesTheLoadStepAfterEnter: Enter before the count came in
// moves on, and the count still lands (it used to go to the map step,
// which dropped it).
func TestCountReachesTheLoadStepAfterEnter(t *testing.T) {
	exampleDir(t)
	d := newDriver(t, Options{}, 80, 24)
	w := d.w
	d.key(enter, func() bool { return w.s.loaded != nil })
	d.handle(enter) // before the counted message is handled
	d.until(func() bool { return w.cur == stepMap && w.s.loaded.count == 21 })
}

// TestUnrecognisedIdentifierIsChosen: an export whose identifier is not
// recognised loads, and the map step chooses it.
func TestUnrecognisedIdentifierIsChosen(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	os.WriteFile("u.csv", []byte("kennung,anzeige\nann_1,Ann\nbob_2,Bob\n"), 0o600)
	d := newDriver(t, Options{Input: "u.csv"}, 80, 24)
	w := d.w
	d.until(func() bool { l := w.steps[stepLoad].(*loadStep); return !l.busy })
	if w.s.loaded == nil {
		t.Fatalf("not loaded:\n%s", w.View())
	}
	d.key(enter, func() bool { m, ok := w.steps[stepMap].(*mappingStep); return ok && m.checked == m.version })
	m := w.steps[stepMap].(*mappingStep)
	for w.s.mapping.Identifier != importer.IdentifierUsername {
		d.key(runes(" "), func() bool { return m.checked == m.version })
	}
	for m.field() != "preferred_username" {
		d.handle(runes("j"))
	}
	d.handle(runes("s"))
	for _, r := range "kenn" {
		d.handle(runes(string(r)))
	}
	d.key(enter, func() bool { return m.checked == m.version })
	if m.compErr != nil || !strings.Contains(m.sampleLine(), "2 of 2 sample records valid") {
		t.Fatalf("after choosing the identifier: %v %s", m.compErr, m.sampleLine())
	}
}

// TestPathsCustomAttributesAndReset: a custom attribute is added and
// taken from a nested path typed by hand; a field unmapped is reset to
// its suggestion.
func TestPathsCustomAttributesAndReset(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	os.WriteFile("u.ndjson", []byte(`{"email":"ann@example.com","profile":{"tier":"gold"}}`+"\n"+`{"email":"bob@example.com","profile":{"tier":"silver"}}`+"\n"), 0o600)
	d := newDriver(t, Options{Input: "u.ndjson"}, 80, 24)
	w := d.w
	d.until(func() bool { return w.s.loaded != nil })
	d.key(enter, func() bool { m, ok := w.steps[stepMap].(*mappingStep); return ok && m.results != nil })
	m := w.steps[stepMap].(*mappingStep)
	typeIn := func(s string) {
		for _, r := range s {
			d.handle(runes(string(r)))
		}
	}
	d.handle(runes("a"))
	typeIn("tier")
	d.handle(enter)
	if m.chooser == nil || m.field() != "custom_attributes.tier" {
		t.Fatalf("a custom attribute: chooser %v, field %q", m.chooser, m.field())
	}
	d.handle(enter) // the first option: type a path
	if m.input == nil {
		t.Fatal("no path prompt")
	}
	typeIn("profile.tier")
	d.key(enter, func() bool { return m.checked == m.version })
	if f := w.s.mapping.Fields["custom_attributes.tier"]; f == nil || f.From != "profile.tier" {
		t.Fatalf("custom attribute: %+v", f)
	}
	if got := importer.FieldValue(m.results[0], "custom_attributes.tier"); !strings.Contains(got, "gold") {
		t.Errorf("sent %q", got)
	}
	for m.field() != "email" {
		d.handle(runes("k"))
	}
	want := *w.s.mapping.Fields["email"]
	d.handle(runes("d"))
	if w.s.mapping.Fields["email"] != nil {
		t.Fatal("d did not unmap")
	}
	d.handle(runes("r"))
	if f := w.s.mapping.Fields["email"]; f == nil || f.From != want.From || len(f.Transforms) != len(want.Transforms) {
		t.Errorf("reset: %+v, want %+v", f, want)
	}
}

// TestAuth0WithPasswordFile: an Auth0 export and its password export,
// joined on the load step (ctrl+p offers the file beside it), import their
// bcrypt hashes through the whole wizard.
func TestAuth0WithPasswordFile(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"auth0-users.ndjson", "auth0-password-hashes.ndjson"} {
		b, err := os.ReadFile(filepath.Join("..", "testdata", "fixtures", f))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(dir, f), b, 0o600)
	}
	t.Chdir(dir)
	w := New(context.Background(), Options{Input: "auth0-users.ndjson", Renderer: asciiRenderer()})
	tm := teatest.NewTestModel(t, w, teatest.WithInitialTermSize(120, 40))
	wait := func(text string) {
		t.Helper()
		teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return bytes.Contains(b, []byte(text)) },
			teatest.WithDuration(60*time.Second), teatest.WithCheckInterval(20*time.Millisecond))
	}
	wait("ctrl+p joins it")
	tm.Send(tea.KeyMsg{Type: tea.KeyCtrlP})
	wait("password export: auth0-password-hashes.ndjson")
	tm.Send(enter)
	wait("passwords: joined from auth0-password-hashes.ndjson")
	tm.Send(enter)
	wait("sample records valid")
	tm.Send(enter)
	wait("60 records:")
	tm.Send(enter)
	wait("Target:")
	tm.Send(enter)
	wait("enter starts the rehearsal")
	tm.Send(enter)
	wait("report: auth0-users.report.csv")
	tm.Send(enter)
	wait("Protect your backend")
	tm.Send(enter)
	// FinalModel can come back nil though the program ended (teatest
	// signals the end before it hands the model over): the wizard is a
	// pointer that Update returns, so w is the final model either way.
	final := tm.FinalModel(t, teatest.WithFinalTimeout(30*time.Second))
	if fm, ok := final.(*Wizard); ok {
		w = fm
	}
	res := w.Result()
	if res.Summary == nil || res.Summary.Inserted != 60 || res.Summary.PasswordsBcrypt != 53 {
		t.Fatalf("summary %+v", res.Summary)
	}
	mp, err := importer.ReadMappingFile(filepath.Join(dir, "auth0-users.mapping.yaml"))
	if err != nil || mp.Source.Passwords == nil || mp.Fields["password.password_hash"] == nil {
		t.Errorf("the saved mapping does not join the password file: %v %+v", err, mp)
	}
}

// TestGivenMappingChangedMeanwhileAsks: a mapping given to the wizard and
// edited by hand while the wizard runs is not saved over: it asks.
func TestGivenMappingChangedMeanwhileAsks(t *testing.T) {
	dir := exampleDir(t)
	text := writeSavedMapping(t, dir)
	path := filepath.Join(dir, "users.mapping.yaml")
	d := newDriver(t, Options{Input: "users.csv", Mapping: "users.mapping.yaml"}, 80, 24)
	w := d.w
	d.until(func() bool { return w.s.loaded != nil })
	d.key(enter, func() bool { m, ok := w.steps[stepMap].(*mappingStep); return ok && m.checked == m.version })
	os.WriteFile(path, []byte(text+"# edited meanwhile\n"), 0o644)
	m := w.steps[stepMap].(*mappingStep)
	d.key(enter, func() bool { return !m.saving })
	if m.exists == "" || w.cur != stepMap {
		t.Fatalf("saved over a file changed meanwhile (step %s, error %v)", w.cur, m.saveErr)
	}
	if b, _ := os.ReadFile(path); !strings.HasSuffix(string(b), "# edited meanwhile\n") {
		t.Fatal("the file was replaced")
	}
}

// TestMappedPathNoRecordHasIsSaid (issue 18 item 10): a saved mapping whose
// password path no record has is said on the map step's notes, with the
// closest path the records do have, before anything is sent.
func TestMappedPathNoRecordHasIsSaid(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	os.WriteFile("users.json", []byte(`[{"email":"a@example.com","password_hash":"$2a$10$dHDOy0q3g41ajrwvDlxcAe6m4ImvPLaQ1d5EOSWfu8Xb2ZkVQOhfy"},{"email":"b@example.com","password_hash":"$2a$10$dHDOy0q3g41ajrwvDlxcAe6m4ImvPLaQ1d5EOSWfu8Xb2ZkVQOhfy"}]`), 0o600)
	os.WriteFile("users.mapping.yaml", []byte("version: 1\nidentifier: email\nfields:\n  email: {from: email}\n  password.password_hash: {from: passwordHash}\n"), 0o600)
	d := newDriver(t, Options{Input: "users.json"}, 100, 30)
	walkTo(t, d, stepMap)
	notes := strings.Join(d.w.s.loaded.notes, "\n")
	if !strings.Contains(notes, `"passwordHash"`) || !strings.Contains(notes, `"password_hash"`) {
		t.Errorf("the notes do not name the missing path and the closest one:\n%s", notes)
	}
}
