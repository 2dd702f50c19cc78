package steps

import (
	"bytes"
	"context"
	"flag"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/exp/teatest"
	"github.com/muesli/termenv"

	"github.com/authgear-migrate/authgear-migrate/importer"
)

// updating reports whether -update was given (the flag is golden's, which
// teatest uses too).
func updating() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

// asciiRenderer draws without colour, so that golden views do not depend
// on the terminal running the tests.
func asciiRenderer() *lipgloss.Renderer {
	r := lipgloss.NewRenderer(io.Discard)
	r.SetColorProfile(termenv.Ascii)
	return r
}

// exampleDir makes a folder holding the example export (and nothing
// else) and makes it the current folder: the wizard writes its files
// there.
func exampleDir(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "examples", "users.csv"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "users.csv"), b, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	return dir
}

// driver runs the wizard's model without a program: messages are handled
// one at a time, commands run in goroutines and their messages queue up,
// as in Bubble Tea's own loop.
type driver struct {
	t    *testing.T
	w    *Wizard
	msgs chan tea.Msg
}

func newDriver(t *testing.T, o Options, width, height int) *driver {
	o.Renderer = asciiRenderer()
	d := &driver{t: t, w: New(context.Background(), o), msgs: make(chan tea.Msg, 256)}
	t.Cleanup(func() {
		for _, c := range d.w.s.closers {
			c()
		}
	})
	d.handle(tea.WindowSizeMsg{Width: width, Height: height})
	d.exec(d.w.Init())
	return d
}

func (d *driver) exec(cmd tea.Cmd) {
	if cmd == nil {
		return
	}
	go func() {
		msg := cmd()
		switch msg := msg.(type) {
		case nil:
		case tea.BatchMsg:
			for _, c := range msg {
				d.exec(c)
			}
		default:
			d.msgs <- msg
		}
	}()
}

func (d *driver) handle(msg tea.Msg) {
	_, cmd := d.w.Update(msg)
	d.exec(cmd)
}

// key sends a key and handles what it causes until ready holds.
func (d *driver) key(k tea.KeyMsg, ready func() bool) {
	d.t.Helper()
	d.handle(k)
	d.until(ready)
}

func (d *driver) until(ready func() bool) {
	d.t.Helper()
	deadline := time.After(60 * time.Second)
	for !ready() {
		select {
		case m := <-d.msgs:
			d.handle(m)
		case <-deadline:
			d.t.Fatalf("the wizard did not get there; the screen:\n%s", d.w.View())
		}
	}
}

var enter = tea.KeyMsg{Type: tea.KeyEnter}

func runes(s string) tea.KeyMsg { return tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(s)} }

var (
	rePort = regexp.MustCompile(`127\.0\.0\.1:[0-9]+`)
	reRate = regexp.MustCompile(`[0-9]+ rec/s`)
	reBar  = regexp.MustCompile(`(?m)^[█░ ]+ *[0-9]+% *$`)
	reTmp  = regexp.MustCompile(`/tmp/[^ \n]*`)
	// the time a run took, and the spinner's frame
	reElapsed = regexp.MustCompile(`elapsed [0-9]+:[0-9][0-9]`)
	reSpinner = regexp.MustCompile(`[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]`)
	reETA     = regexp.MustCompile(`ETA (about [0-9]+ [a-z]+( [0-9]+ [a-z]+)?|less than a second)`)
)

// checkGolden compares a view with testdata/NAME.golden, with what
// changes from run to run (ports, rates, the bar's animation) normalised.
func checkGolden(t *testing.T, name, view string) {
	t.Helper()
	view = rePort.ReplaceAllString(view, "127.0.0.1:PORT")
	view = reRate.ReplaceAllString(view, "N rec/s")
	view = reBar.ReplaceAllString(view, "[progress bar]")
	view = reTmp.ReplaceAllString(view, "TMP")
	view = reElapsed.ReplaceAllString(view, "elapsed M:SS")
	view = reSpinner.ReplaceAllString(view, "*")
	view = reETA.ReplaceAllString(view, "ETA N")
	// The caller's working folder is a temporary one: normalise it.
	path := filepath.Join(goldenDir, name+".golden")
	if updating() {
		if err := os.WriteFile(path, []byte(view), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./steps -update)", err)
	}
	if string(want) != view {
		t.Errorf("view %s differs from its golden file:\n--- want\n%s\n--- got\n%s", name, want, view)
	}
}

var goldenDir = func() string {
	wd, _ := os.Getwd()
	return filepath.Join(wd, "testdata")
}()

// TestGoldenViews walks the happy path with Enter at 80x24 and 120x40 and
// pins the view of every step.
func TestGoldenViews(t *testing.T) {
	for _, size := range [][2]int{{80, 24}, {120, 40}} {
		name := func(step string) string { return step + "-" + itoa(size[0]) + "x" + itoa(size[1]) }
		t.Run(name("walk"), func(t *testing.T) {
			exampleDir(t)
			d := newDriver(t, Options{}, size[0], size[1])
			w := d.w
			checkGolden(t, name("1-load-empty"), w.View())
			d.key(enter, func() bool { return w.s.loaded != nil && w.s.loaded.count >= 0 })
			checkGolden(t, name("1-load"), w.View())
			d.key(enter, func() bool { m, ok := w.steps[stepMap].(*mappingStep); return ok && m.results != nil })
			checkGolden(t, name("2-map"), w.View())
			for range 5 {
				d.handle(runes("j"))
			}
			checkGolden(t, name("2-map-email"), w.View())
			d.key(enter, func() bool { p, ok := w.steps[stepPreview].(*previewStep); return ok && !p.running })
			checkGolden(t, name("3-preview"), w.View())
			d.handle(runes("n"))
			checkGolden(t, name("3-preview-invalid"), w.View())
			d.key(enter, func() bool { return w.cur == stepImport })
			checkGolden(t, name("4-target"), w.View())
			d.key(enter, func() bool { return w.steps[stepImport].(*importingStep).phase == phaseConfirm })
			checkGolden(t, name("4-confirm"), w.View())
			d.key(enter, func() bool { return w.steps[stepImport].(*importingStep).phase == phaseDone })
			checkGolden(t, name("4-done"), w.View())
			d.key(enter, func() bool { return w.cur == stepMiddleware })
			checkGolden(t, name("5-middleware"), w.View())
			d.handle(tea.KeyMsg{Type: tea.KeyRight})
			checkGolden(t, name("5-middleware-next"), w.View())
		})
	}
}

func itoa(n int) string {
	return strings.TrimSpace(strings.Repeat(" ", 0) + fmtInt(n))
}

func fmtInt(n int) string {
	var b []byte
	for n > 0 {
		b = append([]byte{byte('0' + n%10)}, b...)
		n /= 10
	}
	return string(b)
}

// TestWizardEndToEnd runs the whole wizard in a Bubble Tea program
// (teatest), pressing only Enter, and checks the final model and the files
// it wrote: the mapping, and a report with every record's outcome.
func TestWizardEndToEnd(t *testing.T) {
	dir := exampleDir(t)
	w := New(context.Background(), Options{Renderer: asciiRenderer()})
	tm := teatest.NewTestModel(t, w, teatest.WithInitialTermSize(80, 24))
	wait := func(text string) {
		t.Helper()
		teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return bytes.Contains(b, []byte(text)) },
			teatest.WithDuration(60*time.Second), teatest.WithCheckInterval(20*time.Millisecond))
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
	wait("report: users.report.csv")
	tm.Send(enter)
	wait("Protect your backend")
	tm.Send(enter)
	// FinalModel waits for the program's end but can come back nil
	// (teatest signals the end before it hands the model over): the
	// wizard is a pointer that Update returns, so w is the final model
	// either way, once the program has ended.
	final := tm.FinalModel(t, teatest.WithFinalTimeout(30*time.Second))
	fm, ok := final.(*Wizard)
	if !ok {
		fm = w
	}
	res := fm.Result()
	if res.Summary == nil || res.Summary.Inserted != 19 || res.Summary.Invalid != 2 || res.Summary.Total != 21 {
		t.Fatalf("summary %+v", res.Summary)
	}
	// A run that went through has no problem to print after the wizard:
	// its notes are the summary's, printed once.
	if res.Problem != "" || len(res.Summary.Notes) == 0 {
		t.Errorf("problem %q after a run that went through (notes %q)", res.Problem, res.Summary.Notes)
	}
	// The headless command repeats the rehearsal in the same project as
	// the wizard's (every login ID type, role and group).
	if res.Mapping != "users.mapping.yaml" || !strings.Contains(res.Replay, "replay --mapping users.mapping.yaml --input users.csv --sandbox --sandbox-login-ids email,phone,username --sandbox-roles '*' --sandbox-groups '*'") {
		t.Errorf("result %+v", res)
	}
	if _, err := importer.ReadMappingFile(filepath.Join(dir, "users.mapping.yaml")); err != nil {
		t.Errorf("the saved mapping: %v", err)
	}
	rows, err := importer.ReadReport(filepath.Join(dir, "users.report.csv"))
	if err != nil {
		t.Fatal(err)
	}
	outcomes := map[importer.Outcome]int{}
	seen := map[int]bool{}
	for _, r := range rows {
		outcomes[r.Outcome]++
		seen[r.Row] = true
	}
	if len(rows) != 21 || len(seen) != 21 || outcomes[importer.OutcomeInserted] != 19 || outcomes[importer.OutcomeInvalid] != 2 {
		t.Errorf("report: %d rows, outcomes %v", len(rows), outcomes)
	}
	st, err := os.Stat(filepath.Join(dir, "users.report.csv"))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("report mode: %v %v", st.Mode(), err)
	}
}

// progressLine replaces the progress line of a running import (its rate,
// jobs in flight and ETA change from run to run) with a marker.
func progressLine(view string) string {
	lines := strings.Split(view, "\n")
	var out []string
	in := false
	for _, l := range lines {
		switch {
		case strings.Contains(l, "elapsed"):
			in = true
			out = append(out, "[progress line]")
			continue
		case strings.HasPrefix(l, "inserted "):
			in = false
		}
		if !in {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
