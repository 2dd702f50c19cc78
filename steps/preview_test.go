package steps

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
)

// TestPreviewLeavesNothingInTmpdir: the preview's dry run writes no
// report (it held every email of the export): leaving the preview while
// it runs, coming back, and writing the request document leave nothing in
// TMPDIR (issue 15 item 15).
func TestPreviewLeavesNothingInTmpdir(t *testing.T) {
	dir := exampleDir(t)
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	d := newDriver(t, Options{}, 80, 24)
	walkTo(t, d, stepMap)
	d.handle(enter) // save & preview: the dry run starts
	d.until(func() bool { return d.w.cur == stepPreview })
	first := d.w.steps[stepPreview].(*previewStep)
	d.key(tea.KeyMsg{Type: tea.KeyEsc}, func() bool { return d.w.cur == stepMap })
	d.key(enter, func() bool {
		p, ok := d.w.steps[stepPreview].(*previewStep)
		return ok && p != first && !p.running
	})
	p := d.w.steps[stepPreview].(*previewStep)
	if p.err != nil || p.summary == nil || p.summary.Total != 21 || p.summary.Report != "" {
		t.Fatalf("preview: %v, summary %+v", p.err, p.summary)
	}
	d.key(runes("w"), func() bool { return p.docPath != "" || p.docErr != nil })
	if p.docErr != nil {
		t.Fatal(p.docErr)
	}
	if st, err := os.Stat(filepath.Join(dir, "users.request.json")); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("request document: %v", err)
	}
	if ents, _ := os.ReadDir(tmp); len(ents) > 0 {
		var names []string
		for _, e := range ents {
			names = append(names, e.Name())
		}
		t.Errorf("TMPDIR holds %v after the preview", names)
	}
	for _, name := range []string{"users.report.csv", "users.retry.csv"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err == nil {
			t.Errorf("the preview wrote %s", name)
		}
	}
}

// TestPreviewFooterShowsItsKeys: at 80 columns the footer names the
// preview's own keys (next/previous invalid, next record, unmask), and
// enter only once the whole file is validated (issue 15 item 11).
func TestPreviewFooterShowsItsKeys(t *testing.T) {
	exampleDir(t)
	d := newDriver(t, Options{}, 80, 24)
	walkTo(t, d, stepMap)
	d.handle(enter)
	d.until(func() bool { return d.w.cur == stepPreview })
	p := d.w.steps[stepPreview].(*previewStep)
	if p.running {
		if foot := lastLine(d.w.View()); strings.Contains(foot, "enter import") {
			t.Errorf("enter import offered while the file is validated: %q", foot)
		}
	}
	d.until(func() bool { return !p.running })
	foot := lastLine(d.w.View())
	for _, k := range []string{"enter import", "n/p invalid", "tab next", "m unmask", "w write JSON", "? more keys"} {
		if !strings.Contains(foot, k) {
			t.Errorf("footer lacks %q: %q", k, foot)
		}
	}
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return lines[len(lines)-1]
}

// TestPreviewKeysWhileRunning: keys are answered while the whole file is
// validated (the model takes the kept records without a lock: run with
// -race), and what the screen shows at the end is the run's.
func TestPreviewKeysWhileRunning(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	in, mp := writeExport(t, dir, 20_000)
	d := newDriver(t, Options{Input: in, Mapping: mp}, 100, 30)
	d.until(func() bool { return d.w.s.loaded != nil })
	d.key(enter, func() bool { m, ok := d.w.steps[stepMap].(*mappingStep); return ok && m.results != nil })
	d.handle(enter)
	d.until(func() bool { return d.w.cur == stepPreview })
	p := d.w.steps[stepPreview].(*previewStep)
	for i := 0; p.running; i++ {
		d.handle([]tea.KeyMsg{{Type: tea.KeyTab}, runes("n"), runes("m"), {Type: tea.KeyDown}}[i%4])
		d.w.View()
		d.handle(<-d.msgs)
	}
	if p.err != nil || p.summary.Total != 20_000 || len(p.records) != previewValid {
		t.Fatalf("preview: %v, %d records kept, summary %+v", p.err, len(p.records), p.summary)
	}
	if v := d.w.View(); !strings.Contains(v, "20,000 records: 20,000 valid") {
		t.Errorf("the end of the preview:\n%s", v)
	}
}

// TestPreviewWriteRefusalSaidWhole: w over a file of the person's that is
// not a request document is refused, and the refusal is said whole at
// 80x24, wrapped, within the screen.
func TestPreviewWriteRefusalSaidWhole(t *testing.T) {
	dir := exampleDir(t)
	if err := os.WriteFile(filepath.Join(dir, "users.request.json"), []byte(`{"my":"data"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	d := newDriver(t, Options{}, 80, 24)
	walkTo(t, d, stepMap)
	d.handle(enter)
	d.until(func() bool {
		p, ok := d.w.steps[stepPreview].(*previewStep)
		return d.w.cur == stepPreview && ok && !p.running
	})
	p := d.w.steps[stepPreview].(*previewStep)
	d.key(runes("w"), func() bool { return p.docPath != "" || p.docErr != nil })
	if p.docErr == nil {
		t.Fatal("a file of the person's was replaced")
	}
	v := d.w.View()
	flat := strings.Join(strings.Fields(v), " ")
	if !strings.Contains(flat, "it is not replaced") {
		t.Errorf("the refusal is cut:\n%s", v)
	}
	if h := lipgloss.Height(v); h > 24 {
		t.Errorf("the screen is %d lines high", h)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "users.request.json")); string(b) != `{"my":"data"}` {
		t.Errorf("the file was changed: %q", b)
	}
}
