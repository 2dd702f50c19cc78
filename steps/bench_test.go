package steps

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/authgear-migrate/authgear-migrate/bench/usergen"
	"github.com/authgear-migrate/authgear-migrate/importer"
)

// The two places where typing could wait (issue 7): the map step's sample
// re-validation after a change, and the first screen of a large file.
//
//	go test ./steps -run '^$' -bench . -benchmem
//
// BenchmarkFirstScreen generates a 1,000,000-row CSV (about 125 MB) once
// and is skipped under -short.

// writeExport writes an n-row usergen export and its mapping into dir.
func writeExport(tb testing.TB, dir string, n int) (input, mapping string) {
	tb.Helper()
	input = filepath.Join(dir, "users.csv")
	f, err := os.Create(input)
	if err != nil {
		tb.Fatal(err)
	}
	if err := usergen.Write(f, usergen.Options{Rows: n}); err != nil {
		tb.Fatal(err)
	}
	if err := f.Close(); err != nil {
		tb.Fatal(err)
	}
	mapping = filepath.Join(dir, "users.mapping.yaml")
	if err := os.WriteFile(mapping, []byte(usergen.Mapping), 0o600); err != nil {
		tb.Fatal(err)
	}
	return input, mapping
}

// sampleOf loads a 200-record export the way the load step does.
func sampleOf(b *testing.B, mappingGiven bool) *session {
	b.Helper()
	in, mp := writeExport(b, b.TempDir(), 200)
	s := &session{ctx: context.Background()}
	if !mappingGiven {
		mp = ""
	}
	ld, err := load(s, loadReq{input: in, mapping: mp})
	if err != nil {
		b.Fatal(err)
	}
	if len(ld.sample) != 200 {
		b.Fatalf("sample of %d records, want 200", len(ld.sample))
	}
	s.loaded, s.mapping = ld, ld.mapping
	return s
}

// BenchmarkMapRevalidate is what the map step does in the background after
// every change of the mapping: copy it (validate) and map and validate the
// 200 sample records with the copy (validateSample). Each iteration makes
// a change first, adding or dropping a transform, so no plan is reused.
func BenchmarkMapRevalidate(b *testing.B) {
	for _, tc := range []struct {
		name  string
		given bool // usergen's mapping (every column) or the suggested one
	}{{"usergen-mapping", true}, {"suggested-mapping", false}} {
		b.Run(tc.name, func(b *testing.B) {
			s := sampleOf(b, tc.given)
			f := s.mapping.Fields["given_name"]
			if f == nil {
				b.Fatalf("the mapping has no given_name: %v", s.mapping.Fields)
			}
			base := append([]importer.Transform(nil), f.Transforms...)
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if i%2 == 0 {
					f.Transforms = append(base, importer.Transform{Name: "lowercase"})
				} else {
					f.Transforms = base
				}
				i++
				res, err := validateSample(cloneMapping(s.mapping), s.loaded)
				if err != nil {
					b.Fatal(err)
				}
				if len(res) != 200 {
					b.Fatalf("%d results for 200 records", len(res))
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/200, "ns/record")
		})
	}
}

// BenchmarkMapView draws the map step on a field (its detail reads the
// sample's values and what is sent): View runs on the UI goroutine after
// every key, so it is on the typing path too.
func BenchmarkMapView(b *testing.B) {
	s := sampleOf(b, true)
	res, err := validateSample(cloneMapping(s.mapping), s.loaded)
	if err != nil {
		b.Fatal(err)
	}
	for _, size := range [][2]int{{80, 24}, {120, 40}} {
		b.Run(fmt.Sprintf("%dx%d", size[0], size[1]), func(b *testing.B) {
			w := New(context.Background(), Options{Renderer: lipgloss.NewRenderer(io.Discard)})
			w.c.Width, w.c.Height = size[0], size[1]
			m := newMapping(w.c, s)
			m.results = res
			m.cursor = settingRows // the first field: email
			b.ReportAllocs()
			for b.Loop() {
				if v := m.View(); !strings.Contains(v, "user0@example.com") {
					b.Fatalf("the detail shows no sample value:\n%s", v)
				}
			}
		})
	}
}

// BenchmarkFirstScreen is the load step on a 1,000,000-row export: from
// loadCmd to the loaded message (the file opened, its system detected, a
// mapping suggested or read, the first rows kept), and the wizard's first
// screen of that file drawn from it. The count (countCmd, which goes on
// after the screen is shown) is measured on its own.
func BenchmarkFirstScreen(b *testing.B) {
	if testing.Short() {
		b.Skip("generates a 1,000,000-row CSV (about 125 MB); run without -short")
	}
	const rows = 1_000_000
	in, mp := writeExport(b, b.TempDir(), rows)
	if st, err := os.Stat(in); err == nil {
		b.Logf("%d rows, %d MB", rows, st.Size()>>20)
	}
	ctx := context.Background()
	for _, tc := range []struct{ name, mapping string }{{"loadCmd/suggested", ""}, {"loadCmd/mapping", mp}} {
		b.Run(tc.name, func(b *testing.B) {
			s := &session{ctx: ctx}
			b.ReportAllocs()
			for b.Loop() {
				msg := (&loadStep{s: s}).loadCmd(loadReq{input: in, mapping: tc.mapping})()
				lm, ok := msg.(loadedMsg)
				if !ok {
					b.Fatalf("loadCmd: %#v", msg)
				}
				if len(lm.l.sample) == 0 || lm.l.count != -1 {
					b.Fatalf("loaded %d sample rows, count %d", len(lm.l.sample), lm.l.count)
				}
			}
		})
	}
	b.Run("wizard-screen", func(b *testing.B) {
		// New → Init (loadCmd for --input) → Update(loadedMsg) → View, at
		// 80x24: what the person sees first.
		b.ReportAllocs()
		for b.Loop() {
			w := New(ctx, Options{Input: in, Renderer: lipgloss.NewRenderer(io.Discard)})
			w.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
			loaded := false
			for _, msg := range runCmd(w.Init()) {
				if _, ok := msg.(loadedMsg); ok {
					w.Update(msg)
					loaded = true
				}
			}
			v := w.View()
			if !loaded || !strings.Contains(v, "user0@example.com") || !strings.Contains(v, "counting") {
				b.Fatalf("first screen (loaded %v):\n%s", loaded, v)
			}
		}
	})
	b.Run("countCmd", func(b *testing.B) {
		s := &session{ctx: ctx}
		ld, err := load(s, loadReq{input: in, mapping: mp})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			msg := countCmd(s, ld)()
			if c, ok := msg.(countedMsg); !ok || c.n != rows {
				b.Fatalf("countCmd: %#v, want %d records", msg, rows)
			}
		}
	})
}

// runCmd runs a command and the commands of a batch, one level deep,
// returning their messages (the cursor's blink included).
func runCmd(cmd tea.Cmd) []tea.Msg {
	if cmd == nil {
		return nil
	}
	msg := cmd()
	batch, ok := msg.(tea.BatchMsg)
	if !ok {
		return []tea.Msg{msg}
	}
	var out []tea.Msg
	for _, c := range batch {
		if c != nil {
			out = append(out, c())
		}
	}
	return out
}

// BenchmarkPreview is the preview step's whole-file dry run beside the
// dry run it is (issue 15 item 12), on the same 1,000,000-row export:
// "dry-run" is importer.Run as replay --dry-run calls it; "preview" is
// the wizard on its preview step, every message of the run through
// Update and View as the program's loop does, until the run is done.
func BenchmarkPreview(b *testing.B) {
	if testing.Short() {
		b.Skip("generates a 1,000,000-row CSV (about 125 MB); run without -short")
	}
	rows := 1_000_000
	if v := os.Getenv("BENCH_ROWS"); v != "" {
		fmt.Sscan(v, &rows)
	}
	dir := b.TempDir()
	in, mp := writeExport(b, dir, rows)
	ctx := context.Background()
	s := &session{ctx: ctx}
	ld, err := load(s, loadReq{input: in, mapping: mp})
	if err != nil {
		b.Fatal(err)
	}
	s.loaded, s.mapping, s.mappingPath, s.mappingGiven = ld, ld.mapping, mp, true
	b.Run("dry-run", func(b *testing.B) {
		for b.Loop() {
			sum, err := importer.Run(ctx, importer.RunConfig{Mapping: cloneMapping(s.mapping), MappingPath: mp, Input: in,
				DryRun: true, Report: filepath.Join(dir, "users.report.csv")})
			if err != nil || sum.Total != rows {
				b.Fatalf("dry run: %d records, %v", sum.Total, err)
			}
		}
		b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
	})
	b.Run("preview", func(b *testing.B) {
		for b.Loop() {
			sum := previewWholeFile(b, s, 120, 40)
			if sum.Total != rows {
				b.Fatalf("preview: %d records, want %d", sum.Total, rows)
			}
		}
		b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
	})
}

// previewWholeFile runs the wizard's preview step on s to the end of its
// dry run, as the program would: each command's message to Update, then
// View.
func previewWholeFile(tb testing.TB, s *session, width, height int) importer.RunSummary {
	tb.Helper()
	w := New(s.ctx, Options{Renderer: lipgloss.NewRenderer(io.Discard)})
	w.s = s
	w.Update(tea.WindowSizeMsg{Width: width, Height: height})
	w.cur = stepPreview
	w.steps[stepPreview] = newPreview(w.c, s)
	cmds := []tea.Cmd{w.steps[stepPreview].Init()}
	for len(cmds) > 0 {
		cmd := cmds[0]
		cmds = cmds[1:]
		for _, msg := range runCmd(cmd) {
			_, next := w.Update(msg)
			w.View()
			if next != nil {
				cmds = append(cmds, next)
			}
			if _, ok := msg.(runDoneMsg); ok && s.preview != nil {
				return *s.preview
			}
		}
	}
	tb.Fatalf("the preview ended without a summary: %v", w.steps[stepPreview].(*previewStep).err)
	return importer.RunSummary{}
}
