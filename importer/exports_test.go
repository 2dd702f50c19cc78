package importer

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// Tests of the shapes real exports take (issue 9): each fixture under
// testdata/exports has one pattern, and each test pins what map says of
// it and what becomes of every record.

// exportRun is what map and a dry run made of a fixture.
type exportRun struct {
	m     *Mapping
	rep   *SuggestReport
	stats PrepareStats
	rows  map[int]*Prepared // by row number
}

// mapAndPrepare suggests a mapping for testdata/exports/name (adjusted by
// edit, when given) and prepares every record with it.
func mapAndPrepare(t *testing.T, name string, o SuggestOptions, edit func(*Mapping)) *exportRun {
	t.Helper()
	path := filepath.Join("testdata", "exports", name)
	src, err := Open(path, SourceOptions{})
	if err != nil {
		t.Fatal(err)
	}
	m, rep, err := SuggestMapping(src, o)
	src.Close()
	if err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		edit(m)
	}
	in, err := OpenInput(path, m)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	plan, err := CompileFor(m, in)
	if err != nil {
		t.Fatal(err)
	}
	r := &exportRun{m: m, rep: rep, rows: map[int]*Prepared{}}
	r.stats, err = Prepare(context.Background(), in, plan, PrepareOptions{}, func(p *Prepared) error {
		r.rows[p.Row.Num] = p
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// note returns the first note that contains every part, or "".
func (r *exportRun) note(parts ...string) string {
	for _, n := range r.rep.Notes {
		ok := true
		for _, p := range parts {
			ok = ok && strings.Contains(n, p)
		}
		if ok {
			return n
		}
	}
	return ""
}

func TestExportFirebaseEmulatorPlaceholderHashesAreDropped(t *testing.T) {
	r := mapAndPrepare(t, "firebase-emulator.json", SuggestOptions{}, nil)
	if r.m.Preset != "firebase" {
		t.Fatalf("preset = %q, want firebase", r.m.Preset)
	}
	if r.note("3 sampled password hashes are placeholders") == "" {
		t.Errorf("no note on the placeholders: %q", r.rep.Notes)
	}
	if r.stats.Total != 5 || r.stats.Valid != 5 {
		t.Fatalf("total/valid = %d/%d, want 5/5", r.stats.Total, r.stats.Valid)
	}
	for num, want := range map[int]string{
		1: "password dropped: the export holds a placeholder",
		2: "password dropped: the export holds a placeholder",
		3: "password dropped: the export holds a placeholder",
		4: "password dropped: firebase scrypt hashes cannot be imported",
		5: "",
	} {
		p := r.rows[num]
		if p.Record.Password != nil {
			t.Errorf("row %d: a password is sent", num)
		}
		if got := p.Reason(); !strings.HasPrefix(got, want) || (want == "") != (got == "") {
			t.Errorf("row %d: reason %q, want %q...", num, got, want)
		}
		if want != "" && !p.PasswordDropped {
			t.Errorf("row %d: PasswordDropped not set", num)
		}
	}
}

func TestRecognisePlaceholderHashes(t *testing.T) {
	for _, c := range []struct {
		h    string
		want HashFamily
	}{
		{"fakeHash:salt=abc:password=secret", HashPlaceholder},
		{"UkVEQUNURUQ9PT0=", HashPlaceholder},
		{"REDACTED", HashPlaceholder},
		{"[redacted]", HashPlaceholder},
		{"********", HashPlaceholder},
		{"{hasher:firebase_scrypt}fakeHash:salt=a:password=b", HashPlaceholder},
		{"{hasher:firebase_scrypt}abc", HashFirebaseScrypt},
		{"secret", HashUnknown},
		{"**", HashUnknown},
	} {
		if got := RecogniseHash(c.h); got != c.want {
			t.Errorf("RecogniseHash(%q) = %q, want %q", c.h, got, c.want)
		}
	}
}
