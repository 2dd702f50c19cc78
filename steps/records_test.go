package steps

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/authgear-migrate/authgear-migrate/importer"
)

// twoArrays copies the fixture whose top-level object holds two arrays
// of users (users: 3, members: 2) into a new current folder as org.json.
func twoArrays(t *testing.T) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "records", "two-arrays.json"))
	if err != nil {
		t.Fatal(err)
	}
	t.Chdir(t.TempDir())
	if err := os.WriteFile("org.json", b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestRecordsKeyChosenOnLoad (issue 18 item 6): a JSON export whose
// top-level object holds two arrays of users, none clearly the one, makes
// the load step ask which (with the count of each); esc leaves it unread,
// enter asks again; the choice is read, counted, saved in the mapping
// (source.records_key, as map --records-key writes it), and the next
// start reads the same array without asking.
func TestRecordsKeyChosenOnLoad(t *testing.T) {
	for _, size := range [][2]int{{80, 24}, {120, 40}} {
		t.Run(fmt.Sprintf("%dx%d", size[0], size[1]), func(t *testing.T) {
			twoArrays(t)
			d := newDriver(t, Options{Input: "org.json"}, size[0], size[1])
			w := d.w
			l := w.steps[stepLoad].(*loadStep)
			d.until(func() bool { return !l.busy })
			if l.records == nil {
				t.Fatalf("no choice of the records array; error %v, screen:\n%s", l.err, w.View())
			}
			v := w.View()
			for _, want := range []string{"Which array of org.json holds the users?", "users — 3 objects (line 3): email, id, name",
				"members — 2 objects (line 8)", "enter choose", "esc cancel"} {
				if !strings.Contains(v, want) {
					t.Errorf("the screen lacks %q:\n%s", want, v)
				}
			}
			if strings.Contains(v, "--records-key") {
				t.Errorf("a flag on the wizard's screen:\n%s", v)
			}
			checkGolden(t, fmt.Sprintf("1-load-records-%dx%d", size[0], size[1]), v)
			// q types into the filter: the wizard does not quit.
			d.handle(runes("q"))
			if w.quitting {
				t.Fatal("q quit while the chooser had the focus")
			}
			d.handle(tea.KeyMsg{Type: tea.KeyBackspace})

			// esc: nothing is read; the screen says why, enter asks again.
			d.handle(tea.KeyMsg{Type: tea.KeyEsc})
			if l.records != nil || w.s.loaded != nil || !strings.Contains(w.View(), "press enter to choose the one to read") {
				t.Fatalf("after esc:\n%s", w.View())
			}
			d.key(enter, func() bool { return !l.busy && l.records != nil })

			for _, r := range "mem" {
				d.handle(runes(string(r)))
			}
			d.key(enter, func() bool { return w.s.loaded != nil && w.s.loaded.count >= 0 })
			if w.s.mapping.Source.RecordsKey != "members" || w.s.loaded.count != 2 {
				t.Fatalf("records key %q, %d records; want members and 2", w.s.mapping.Source.RecordsKey, w.s.loaded.count)
			}
			if v := w.View(); !strings.Contains(v, "2 records") || !strings.Contains(v, "edsger@example.com") || strings.Contains(v, "ada@example.com") {
				t.Errorf("the load screen does not show the members:\n%s", v)
			}
			// Map, then the preview: the mapping is saved with the choice.
			d.key(enter, func() bool { m, ok := w.steps[stepMap].(*mappingStep); return ok && m.results != nil })
			d.key(enter, func() bool { p, ok := w.steps[stepPreview].(*previewStep); return ok && !p.running })
			saved, err := importer.ReadMappingFile("org.mapping.yaml")
			if err != nil {
				t.Fatal(err)
			}
			if saved.Source.RecordsKey != "members" {
				t.Fatalf("the saved mapping reads %q", saved.Source.RecordsKey)
			}
			if p := w.s.preview; p == nil || p.Total != 2 || p.Valid != 2 {
				t.Errorf("the preview's dry run: %+v", p)
			}

			// The next start reads the saved mapping's array, and asks
			// nothing.
			d2 := newDriver(t, Options{Input: "org.json"}, size[0], size[1])
			l2 := d2.w.steps[stepLoad].(*loadStep)
			d2.until(func() bool { return !l2.busy && (d2.w.s.loaded == nil || d2.w.s.loaded.count >= 0) })
			if l2.records != nil || d2.w.s.loaded == nil || d2.w.s.loaded.count != 2 || d2.w.s.loaded.saved == "" {
				t.Fatalf("the next start: records chooser %v, error %v:\n%s", l2.records != nil, l2.err, d2.w.View())
			}
		})
	}
}
