package importer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/text/encoding/unicode"
)

// sourceOf opens an in-memory export.
func sourceOf(t testing.TB, name, data string, o SourceOptions) *Source {
	t.Helper()
	s, err := NewSource(strings.NewReader(data), name, o)
	if err != nil {
		t.Fatalf("NewSource(%q): %v", data, err)
	}
	return s
}

// drain reads every row; err is the error that ended the stream (nil at EOF).
func drain(t testing.TB, s *Source) ([]*Row, error) {
	t.Helper()
	var rows []*Row
	for {
		r, err := s.Next()
		if err == io.EOF {
			return rows, nil
		}
		if err != nil {
			return rows, err
		}
		rows = append(rows, r)
		if len(rows) > 1_000_000 {
			t.Fatal("runaway source")
		}
	}
}

func fieldsOf(rows []*Row) [][]string {
	out := make([][]string, len(rows))
	for i, r := range rows {
		out[i] = r.Fields
	}
	return out
}

// checkNums asserts Num counts 1, 2, 3, ...
func checkNums(t testing.TB, rows []*Row) {
	t.Helper()
	for i, r := range rows {
		if r.Num != i+1 {
			t.Errorf("row %d has Num %d", i+1, r.Num)
		}
	}
}

func TestCSVDelimiterDetection(t *testing.T) {
	cases := []struct {
		name  string
		data  string
		delim rune
		cols  []string
		rows  [][]string
	}{
		{"comma", "email,name,age\na@x.io,Ann,3\nb@x.io,Bob,4\n", ',', []string{"email", "name", "age"}, [][]string{{"a@x.io", "Ann", "3"}, {"b@x.io", "Bob", "4"}}},
		{"semicolon", "email;name;note\na@x.io;Ann;x, y, z\nb@x.io;Bob;1,5\n", ';', []string{"email", "name", "note"}, [][]string{{"a@x.io", "Ann", "x, y, z"}, {"b@x.io", "Bob", "1,5"}}},
		{"tab", "email\tname\tnote\na@x.io\tAnn\ta,b;c\n", '\t', []string{"email", "name", "note"}, [][]string{{"a@x.io", "Ann", "a,b;c"}}},
		{"pipe", "email|name\na@x.io|Ann, the first\nb@x.io|Bob; second\n", '|', []string{"email", "name"}, [][]string{{"a@x.io", "Ann, the first"}, {"b@x.io", "Bob; second"}}},
		{"comma beats a semicolon in values", "a,b,c\n\"x;y\",2,3\n4,5,6\n", ',', []string{"a", "b", "c"}, [][]string{{"x;y", "2", "3"}, {"4", "5", "6"}}},
		{"single column", "email\na@x.io\nb@x.io\n", ',', []string{"email"}, [][]string{{"a@x.io"}, {"b@x.io"}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := sourceOf(t, "in.csv", c.data, SourceOptions{})
			if s.Format() != FormatCSV {
				t.Fatalf("format %q", s.Format())
			}
			if s.Delimiter() != c.delim {
				t.Errorf("delimiter %q, want %q", s.Delimiter(), c.delim)
			}
			if !reflect.DeepEqual(s.Columns(), c.cols) {
				t.Errorf("columns %q, want %q", s.Columns(), c.cols)
			}
			rows, err := drain(t, s)
			if err != nil {
				t.Fatal(err)
			}
			if got := fieldsOf(rows); !reflect.DeepEqual(got, c.rows) {
				t.Errorf("rows %q, want %q", got, c.rows)
			}
			checkNums(t, rows)
		})
	}
	// DetectDelimiter on its own.
	for in, want := range map[string]rune{"a;b\n1;2\n": ';', "a|b|c\n": '|', "a\tb\n": '\t', "": ',', "just text\n": ','} {
		if got := DetectDelimiter([]byte(in)); got != want {
			t.Errorf("DetectDelimiter(%q) = %q, want %q", in, got, want)
		}
	}
	// A forced delimiter wins over detection.
	s := sourceOf(t, "in.csv", "a;b,c\n1;2,3\n", SourceOptions{Delimiter: ';'})
	if !reflect.DeepEqual(s.Columns(), []string{"a", "b,c"}) {
		t.Errorf("forced ';': columns %q", s.Columns())
	}
}

func TestCSVEncodings(t *testing.T) {
	want := [][]string{{"a@x.io", "Zoë"}, {"b@x.io", "李"}}
	plain := "email,name\r\na@x.io,Zoë\r\nb@x.io,李\r\n"
	utf16 := func(e unicode.Endianness, s string) string {
		b, err := unicode.UTF16(e, unicode.UseBOM).NewEncoder().String(s)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	cases := map[string]string{
		"CRLF":                plain,
		"LF":                  strings.ReplaceAll(plain, "\r\n", "\n"),
		"UTF-8 BOM":           "\xEF\xBB\xBF" + plain,
		"UTF-16LE BOM":        utf16(unicode.LittleEndian, plain),
		"UTF-16BE BOM":        utf16(unicode.BigEndian, plain),
		"no trailing newline": strings.TrimSuffix(plain, "\r\n"),
	}
	for name, data := range cases {
		t.Run(name, func(t *testing.T) {
			s := sourceOf(t, "in.csv", data, SourceOptions{})
			if got := s.Columns(); !reflect.DeepEqual(got, []string{"email", "name"}) {
				t.Fatalf("columns %q", got)
			}
			rows, err := drain(t, s)
			if err != nil {
				t.Fatal(err)
			}
			if got := fieldsOf(rows); !reflect.DeepEqual(got, want) {
				t.Errorf("rows %q, want %q", got, want)
			}
			for i, r := range rows {
				if r.Err != nil {
					t.Errorf("row %d: %v", i+1, r.Err)
				}
				if r.Line != i+2 {
					t.Errorf("row %d: line %d, want %d", i+1, r.Line, i+2)
				}
			}
		})
	}
	// UTF-16 JSON too.
	s := sourceOf(t, "in.json", utf16(unicode.LittleEndian, `[{"email":"a@x.io"}]`), SourceOptions{})
	rows, err := drain(t, s)
	if err != nil || len(rows) != 1 || rows[0].Object["email"] != "a@x.io" {
		t.Errorf("UTF-16 JSON: %v %+v", err, rows)
	}
}

func TestCSVRowsAndLines(t *testing.T) {
	type wantRow struct {
		line   int
		fields []string
		err    error // wrapped error expected in Row.Err
	}
	cases := []struct {
		name string
		data string
		opts SourceOptions
		cols []string
		rows []wantRow
	}{
		{
			name: "quoted newlines and delimiters",
			data: "a,b\n\"x,\ny\",2\n3,\"4\n5\n6\"\n7,8\n",
			cols: []string{"a", "b"},
			rows: []wantRow{{2, []string{"x,\ny", "2"}, nil}, {4, []string{"3", "4\n5\n6"}, nil}, {7, []string{"7", "8"}, nil}},
		},
		{
			name: "quoted CRLF inside a field",
			data: "a,b\r\n\"x\r\ny\",2\r\n3,4\r\n",
			cols: []string{"a", "b"},
			rows: []wantRow{{2, []string{"x\ny", "2"}, nil}, {4, []string{"3", "4"}, nil}},
		},
		{
			name: "escaped quotes",
			data: "a,b\n\"say \"\"hi\"\"\",2\n",
			cols: []string{"a", "b"},
			rows: []wantRow{{2, []string{`say "hi"`, "2"}, nil}},
		},
		{
			name: "ragged rows are row errors and the load continues",
			data: "a,b\n1,2\n3\n4,5,6\n7,8\n",
			cols: []string{"a", "b"},
			rows: []wantRow{{2, []string{"1", "2"}, nil}, {3, []string{"3"}, ErrFieldCount}, {4, []string{"4", "5", "6"}, ErrFieldCount}, {5, []string{"7", "8"}, nil}},
		},
		{
			name: "blank lines are skipped",
			data: "a,b\n\n1,2\n\n\n3,4\n",
			cols: []string{"a", "b"},
			rows: []wantRow{{3, []string{"1", "2"}, nil}, {6, []string{"3", "4"}, nil}},
		},
		{
			name: "header only",
			data: "email,name\n",
			cols: []string{"email", "name"},
		},
		{
			name: "header only, no newline",
			data: "email,name",
			cols: []string{"email", "name"},
		},
		{
			name: "duplicate and empty header names",
			data: "Email, Email ,,name,Email\n1,2,3,4,5\n",
			cols: []string{"Email", "Email (2)", "column3", "name", "Email (3)"},
			rows: []wantRow{{2, []string{"1", "2", "3", "4", "5"}, nil}},
		},
		{
			name: "headerless with Columns",
			data: "a@x.io,Ann\nb@x.io,Bob\n",
			opts: SourceOptions{NoHeader: true, Columns: []string{"email", "name"}},
			cols: []string{"email", "name"},
			rows: []wantRow{{1, []string{"a@x.io", "Ann"}, nil}, {2, []string{"b@x.io", "Bob"}, nil}},
		},
		{
			name: "headerless without Columns",
			data: "a@x.io,Ann\nb@x.io,Bob\n",
			opts: SourceOptions{NoHeader: true},
			cols: []string{"column1", "column2"},
			rows: []wantRow{{1, []string{"a@x.io", "Ann"}, nil}, {2, []string{"b@x.io", "Bob"}, nil}},
		},
		{
			name: "lazy quotes accept a bare quote",
			data: "a,b\n1,x\"y\n",
			opts: SourceOptions{LazyQuotes: true},
			cols: []string{"a", "b"},
			rows: []wantRow{{2, []string{"1", `x"y`}, nil}},
		},
		{
			name: "invalid UTF-8 is a row error",
			data: "a,b\n1,\xff\xfe\n2,ok\n",
			cols: []string{"a", "b"},
			rows: []wantRow{{2, []string{"1", "\xff\xfe"}, errAny}, {3, []string{"2", "ok"}, nil}},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := sourceOf(t, "in.csv", c.data, c.opts)
			if !reflect.DeepEqual(s.Columns(), c.cols) {
				t.Errorf("columns %q, want %q", s.Columns(), c.cols)
			}
			if c.opts.NoHeader == s.HasHeader() {
				t.Errorf("HasHeader = %v", s.HasHeader())
			}
			rows, err := drain(t, s)
			if err != nil {
				t.Fatal(err)
			}
			if len(rows) != len(c.rows) {
				t.Fatalf("%d rows, want %d: %q", len(rows), len(c.rows), fieldsOf(rows))
			}
			checkNums(t, rows)
			for i, w := range c.rows {
				r := rows[i]
				if r.Line != w.line {
					t.Errorf("row %d: line %d, want %d", i+1, r.Line, w.line)
				}
				if !reflect.DeepEqual(r.Fields, w.fields) {
					t.Errorf("row %d: fields %q, want %q", i+1, r.Fields, w.fields)
				}
				switch {
				case w.err == nil && r.Err != nil:
					t.Errorf("row %d: unexpected error %v", i+1, r.Err)
				case w.err != nil && r.Err == nil:
					t.Errorf("row %d: no error, want %v", i+1, w.err)
				case w.err != nil && w.err != errAny && !errors.Is(r.Err, w.err):
					t.Errorf("row %d: error %v, want %v", i+1, r.Err, w.err)
				}
				if r.Err != nil {
					var pe *ParseError
					if !errors.As(r.Err, &pe) || pe.File != "in.csv" || pe.Line != w.line {
						t.Errorf("row %d: error %#v should be a *ParseError naming in.csv line %d", i+1, r.Err, w.line)
					}
				}
			}
		})
	}
}

// errAny stands for "some error" in tables.
var errAny = errors.New("any error")

func TestCSVFatalErrors(t *testing.T) {
	cases := []struct {
		name      string
		data      string
		rowsFirst int // rows delivered before the error
		line, col int
		contains  string
	}{
		{"bare quote in the first data row", "a,b\n1,x\"y\n", 0, 2, 4, "bare \""},
		{"bare quote after good rows", "a,b\n1,2\n3,4\n5,ab\"c\n", 2, 4, 5, "lazy_quotes"},
		{"bare quote in the header", "a,b\"c\n1,2\n", -1, 1, 4, "bare \""},
		{"unterminated quote", "a,b\n1,\"2\n3,4\n", 0, 3, 5, "extraneous or missing \" in quoted-field (the quoted field that starts on line 2 is not closed"},
		{"text after a closing quote", "a,b\n1,2\n3,\"4\"x\n", 1, 3, 5, "starts on line 3"},
		{"empty file", "", -1, 1, 0, "empty"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, err := NewSource(strings.NewReader(c.data), "users.csv", SourceOptions{Format: FormatCSV})
			var rows []*Row
			if err == nil {
				if c.rowsFirst < 0 {
					t.Fatal("NewSource succeeded, want an error")
				}
				rows, err = drain(t, s)
				if len(rows) != c.rowsFirst {
					t.Errorf("%d rows before the error, want %d", len(rows), c.rowsFirst)
				}
				// The error sticks.
				if _, err2 := s.Next(); err2 == nil || err2 == io.EOF {
					t.Errorf("Next after the error: %v", err2)
				}
			}
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %v (%T) is not a *ParseError", err, err)
			}
			if pe.File != "users.csv" || pe.Line != c.line || (c.col > 0 && pe.Column != c.col) {
				t.Errorf("position %s:%d:%d, want users.csv:%d:%d", pe.File, pe.Line, pe.Column, c.line, c.col)
			}
			if !strings.Contains(err.Error(), c.contains) || !strings.HasPrefix(err.Error(), "users.csv:") {
				t.Errorf("message %q should start with the file name and contain %q", err.Error(), c.contains)
			}
		})
	}
}

func TestJSONSources(t *testing.T) {
	type wantRow struct {
		line  int
		email any  // Object["email"]; nil when the row is an error
		err   bool // Row.Err set
	}
	cases := []struct {
		name   string
		data   string
		opts   SourceOptions
		format Format
		cols   []string
		rows   []wantRow
	}{
		{
			name: "array", format: FormatJSON,
			data: "[\n  {\"email\": \"a@x.io\", \"n\": 1},\n  {\"email\": \"b@x.io\"}\n]\n",
			cols: []string{"email", "n"},
			rows: []wantRow{{2, "a@x.io", false}, {3, "b@x.io", false}},
		},
		{
			name: "compact array on one line", format: FormatJSON,
			data: `[{"email":"a@x.io"},{"email":"b@x.io"},{"email":"c@x.io"}]`,
			cols: []string{"email"},
			rows: []wantRow{{1, "a@x.io", false}, {1, "b@x.io", false}, {1, "c@x.io", false}},
		},
		{
			name: "users key", format: FormatJSON,
			data: "{\n \"users\": [\n  {\"email\": \"a@x.io\"},\n  {\"email\": \"b@x.io\"}\n ]\n}\n",
			cols: []string{"email"},
			rows: []wantRow{{3, "a@x.io", false}, {4, "b@x.io", false}},
		},
		{
			name: "records after other keys", format: FormatJSON,
			data: `{"realm": "demo", "roles": {"realm": []}, "count": 2, "users": [{"email":"a@x.io"},{"email":"b@x.io"}]}`,
			cols: []string{"email"},
			rows: []wantRow{{1, "a@x.io", false}, {1, "b@x.io", false}},
		},
		{
			name: "RecordsKey picks the named array", format: FormatJSON,
			data: `{"groups": [{"name":"g"}], "data": [{"email":"a@x.io"}]}`,
			opts: SourceOptions{RecordsKey: "data"},
			cols: []string{"email"},
			rows: []wantRow{{1, "a@x.io", false}},
		},
		{
			name: "RecordsKey with an empty array", format: FormatJSON,
			data: `{"users": [{"email":"a@x.io"}], "data": []}`,
			opts: SourceOptions{RecordsKey: "data"},
		},
		{
			name: "first empty array is skipped", format: FormatJSON,
			data: `{"groups": [], "users": [{"email":"a@x.io"}]}`,
			cols: []string{"email"},
			rows: []wantRow{{1, "a@x.io", false}},
		},
		{
			name: "single object is one record", format: FormatJSON,
			data: "{\n  \"email\": \"a@x.io\",\n  \"profile\": {\"name\": \"Ann\"}\n}\n",
			cols: []string{"email", "profile.name"},
			rows: []wantRow{{1, "a@x.io", false}},
		},
		{
			name: "single object with a list of scalars", format: FormatJSON,
			data: `{"email": "a@x.io", "tags": ["x", "y"], "roles": []}`,
			cols: []string{"email", "roles", "tags"},
			rows: []wantRow{{1, "a@x.io", false}},
		},
		{
			name: "wrapper whose first array holds scalars", format: FormatJSON,
			data: `{"version": [1, 2], "users": [{"email": "a@x.io"}, {"email": "b@x.io"}]}`,
			cols: []string{"email"},
			rows: []wantRow{{1, "a@x.io", false}, {1, "b@x.io", false}},
		},
		{
			name: "non-object element is a row error", format: FormatJSON,
			data: "[\n{\"email\": \"a@x.io\"},\n42,\n\"text\",\n[1],\nnull,\n{\"email\": \"b@x.io\"}\n]",
			cols: []string{"email"},
			rows: []wantRow{{2, "a@x.io", false}, {3, nil, true}, {4, nil, true}, {5, nil, true}, {6, nil, true}, {7, "b@x.io", false}},
		},
		{
			name: "empty array", format: FormatJSON,
			data: "[]",
		},
		{
			name: "NDJSON with blank lines", format: FormatNDJSON,
			data: "{\"email\": \"a@x.io\"}\n\n   \n{\"email\": \"b@x.io\"}\n\n",
			cols: []string{"email"},
			rows: []wantRow{{1, "a@x.io", false}, {4, "b@x.io", false}},
		},
		{
			name: "NDJSON broken lines are row errors", format: FormatNDJSON,
			data: "{\"email\": \"a@x.io\"}\n{\"email\": \n{\"email\": \"c@x.io\"} {}\n[1,2]\nnot json\n{\"email\": \"f@x.io\"}\n{\"email\": \"g@x.io\"}}\n{\"email\": \"h@x.io\"} ]\n",
			cols: []string{"email"},
			rows: []wantRow{{1, "a@x.io", false}, {2, nil, true}, {3, nil, true}, {4, nil, true}, {5, nil, true}, {6, "f@x.io", false}, {7, nil, true}, {8, nil, true}},
		},
		{
			name: "NDJSON CRLF and no final newline", format: FormatNDJSON,
			data: "{\"email\": \"a@x.io\"}\r\n{\"email\": \"b@x.io\"}\r\n{\"email\": \"c@x.io\"}",
			cols: []string{"email"},
			rows: []wantRow{{1, "a@x.io", false}, {2, "b@x.io", false}, {3, "c@x.io", false}},
		},
		{
			name: "NDJSON forced on a single line", format: FormatNDJSON,
			data: `{"email": "a@x.io"}`,
			opts: SourceOptions{Format: FormatNDJSON},
			cols: []string{"email"},
			rows: []wantRow{{1, "a@x.io", false}},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := sourceOf(t, "in.json", c.data, c.opts)
			if s.Format() != c.format {
				t.Fatalf("format %q, want %q", s.Format(), c.format)
			}
			if s.Delimiter() != 0 {
				t.Errorf("delimiter %q for JSON", s.Delimiter())
			}
			if !reflect.DeepEqual(s.Columns(), c.cols) {
				t.Errorf("columns %q, want %q", s.Columns(), c.cols)
			}
			rows, err := drain(t, s)
			if err != nil {
				t.Fatal(err)
			}
			if len(rows) != len(c.rows) {
				t.Fatalf("%d rows, want %d", len(rows), len(c.rows))
			}
			checkNums(t, rows)
			for i, w := range c.rows {
				r := rows[i]
				if r.Line != w.line {
					t.Errorf("row %d: line %d, want %d", i+1, r.Line, w.line)
				}
				if (r.Err != nil) != w.err {
					t.Errorf("row %d: err %v, want error %v", i+1, r.Err, w.err)
				}
				if r.Fields != nil {
					t.Errorf("row %d: JSON row with Fields", i+1)
				}
				if r.Err == nil {
					if r.Object == nil || r.Object["email"] != w.email {
						t.Errorf("row %d: object %v, want email %v", i+1, r.Object, w.email)
					}
					if len(r.Raw) == 0 {
						t.Errorf("row %d: no Raw bytes", i+1)
					}
				} else {
					var pe *ParseError
					if !errors.As(r.Err, &pe) || pe.Line != w.line || pe.File != "in.json" {
						t.Errorf("row %d: error %v should be a *ParseError at in.json line %d", i+1, r.Err, w.line)
					}
				}
			}
		})
	}
}

func TestJSONFatalErrors(t *testing.T) {
	cases := []struct {
		name      string
		data      string
		opts      SourceOptions
		rowsFirst int // -1: NewSource fails
		line, col int
		contains  string
	}{
		{"trailing comma in an object", "[\n {\"email\": \"a@x.io\"},\n {\"email\": \"b@x.io\",}\n]", SourceOptions{}, 1, 3, 21, "invalid character '}'"},
		{"missing colon", "[\n {\"email\": \"a@x.io\"},\n {\"email\" \"b@x.io\"}\n]", SourceOptions{}, 1, 3, 11, "invalid character"},
		{"missing comma between elements", "[\n {\"email\": \"a@x.io\"}\n {\"email\": \"b@x.io\"}\n]", SourceOptions{}, 1, 3, 2, "expected comma"},
		{"bad first element", "[{\"email\": tru}]", SourceOptions{}, -1, 1, 15, "invalid character"},
		{"after many rows", "[" + strings.Repeat("{\"a\": 1},\n", 300) + "{\"a\": 1, \"b\": x}]", SourceOptions{}, 300, 301, 15, "invalid character 'x'"},
		{"truncated", "[\n {\"email\": \"a@x.io\"},\n {\"email\": \"b@", SourceOptions{}, 1, 3, 0, "unexpected end of JSON input"},
		{"empty document", "", SourceOptions{Format: FormatJSON}, -1, 1, 0, "empty"},
		{"a scalar document", "42", SourceOptions{Format: FormatJSON}, -1, 1, 1, "not an array or an object"},
		{"RecordsKey not found", `{"users": [{"email":"a@x.io"}]}`, SourceOptions{RecordsKey: "data"}, -1, 0, 0, "no array of records found under key \"data\""},
		{"broken key in the wrapper", "{\n  \"users\": [{\"email\": \"a@x.io\"}],\n  \"x\": tru\n}", SourceOptions{RecordsKey: "data"}, -1, 3, 11, "invalid character"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, err := NewSource(strings.NewReader(c.data), "users.json", c.opts)
			if err == nil {
				if c.rowsFirst < 0 {
					t.Fatal("NewSource succeeded, want an error")
				}
				var rows []*Row
				rows, err = drain(t, s)
				if len(rows) != c.rowsFirst {
					t.Errorf("%d rows before the error, want %d", len(rows), c.rowsFirst)
				}
			} else if c.rowsFirst >= 0 {
				t.Fatalf("NewSource: %v", err)
			}
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %v (%T) is not a *ParseError", err, err)
			}
			if pe.File != "users.json" || pe.Line != c.line || (c.col > 0 && pe.Column != c.col) {
				t.Errorf("position %s:%d:%d, want users.json:%d:%d (%v)", pe.File, pe.Line, pe.Column, c.line, c.col, err)
			}
			if !strings.Contains(err.Error(), c.contains) {
				t.Errorf("message %q should contain %q", err.Error(), c.contains)
			}
		})
	}
}

func TestFormatSniffing(t *testing.T) {
	cases := map[string]Format{
		"email\na@x.io\n":                FormatCSV,
		"  \n[{\"a\": 1}]":               FormatJSON,
		"{\"a\": 1}\n{\"a\": 2}\n":       FormatNDJSON,
		"{\"a\": 1}\n":                   FormatJSON,
		"{\n \"users\": []\n}":           FormatJSON,
		"{\"a\": [\n1]}\n{\"a\": [2]}\n": FormatJSON, // the first line alone is not JSON
	}
	for data, want := range cases {
		s, err := NewSource(strings.NewReader(data), "x", SourceOptions{})
		if err != nil {
			if want == FormatJSON && strings.Contains(data, "[\n1]}\n{") {
				continue // two documents in a JSON file: an error is fine
			}
			t.Errorf("%q: %v", data, err)
			continue
		}
		if s.Format() != want {
			t.Errorf("%q: format %q, want %q", data, s.Format(), want)
		}
	}
	for name, want := range map[string]Format{"u.csv": FormatCSV, "u.TSV": FormatCSV, "u.psv": FormatCSV, "u.ndjson": FormatNDJSON, "u.jsonl": FormatNDJSON, "u.json": FormatAuto, "u": FormatAuto} {
		if got := formatFromName(name); got != want {
			t.Errorf("formatFromName(%q) = %q, want %q", name, got, want)
		}
	}
	if _, err := NewSource(strings.NewReader("a"), "x", SourceOptions{Format: "xml"}); err == nil {
		t.Error("unknown format accepted")
	}
}

func TestOpenFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "users.jsonl")
	if err := os.WriteFile(p, []byte("{\"email\":\"a@x.io\"}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := Open(p, SourceOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if s.Name() != p || s.Format() != FormatNDJSON {
		t.Errorf("name %q format %q", s.Name(), s.Format())
	}
	if err := s.Close(); err != nil {
		t.Error(err)
	}
	if _, err := Open(filepath.Join(dir, "missing.csv"), SourceOptions{}); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
	// A broken file is closed and reported.
	bad := filepath.Join(dir, "bad.csv")
	os.WriteFile(bad, []byte("a,b\n1,x\"y\n"), 0o600)
	if _, err := Open(bad, SourceOptions{}); err == nil || !strings.HasPrefix(err.Error(), bad+":2:4:") {
		t.Errorf("broken CSV: %v", err)
	}
}

func TestSampleDoesNotConsume(t *testing.T) {
	var b strings.Builder
	b.WriteString("email,n\n")
	for i := 1; i <= 10; i++ {
		b.WriteString("u")
		b.WriteString(string(rune('a' + i)))
		b.WriteString("@x.io,")
		b.WriteString(strings.Repeat("x", i))
		b.WriteString("\n")
	}
	for _, size := range []int{0, 1, 3, 10, 50} {
		s := sourceOf(t, "in.csv", b.String(), SourceOptions{SampleSize: size})
		sample := s.Sample()
		wantLen := size
		if size == 0 || size > 10 {
			wantLen = 10
		}
		if len(sample) != wantLen {
			t.Errorf("size %d: sample has %d rows, want %d", size, len(sample), wantLen)
		}
		// Sample twice gives the same.
		if again := s.Sample(); len(again) != len(sample) {
			t.Errorf("size %d: second Sample differs", size)
		}
		rows, err := drain(t, s)
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 10 {
			t.Fatalf("size %d: %d rows after Sample, want 10", size, len(rows))
		}
		checkNums(t, rows)
		for i := range sample {
			if rows[i] != sample[i] {
				t.Errorf("size %d: row %d is not the sampled row", size, i+1)
			}
		}
		for i, r := range rows {
			if r.Line != i+2 || r.Fields[1] != strings.Repeat("x", i+1) {
				t.Errorf("size %d: row %d line %d fields %q", size, i+1, r.Line, r.Fields)
			}
		}
	}
	// JSON columns come from the sample only.
	s := sourceOf(t, "in.ndjson", "{\"a\":1}\n{\"b\":2}\n{\"c\":3}\n", SourceOptions{SampleSize: 2})
	if got := s.Columns(); !reflect.DeepEqual(got, []string{"a", "b"}) {
		t.Errorf("columns from a 2-row sample: %q", got)
	}
}

func TestJSONColumns(t *testing.T) {
	data := `[{"email":"a@x.io","user_metadata":{"first_name":"Ann","tags":["x","y"]},"identities":[{"provider":"auth0","user_id":"1"}],"empty":{},"list":[]},
	{"email":"b@x.io","app_metadata":{"plan":"pro"},"identities":[]}]`
	s := sourceOf(t, "in.json", data, SourceOptions{})
	// The second record's empty identities is no column: other records
	// have objects there, and an empty list has nothing to address.
	want := []string{"email", "empty", "identities[0].provider", "identities[0].user_id", "list", "user_metadata.first_name", "user_metadata.tags", "app_metadata.plan"}
	if got := s.Columns(); !reflect.DeepEqual(got, want) {
		t.Errorf("columns\n got %q\nwant %q", got, want)
	}
}

func TestPathLookup(t *testing.T) {
	jsonRow := func(t *testing.T, data string) *Row {
		s := sourceOf(t, "in.json", "["+data+"]", SourceOptions{Format: FormatJSON})
		rows, err := drain(t, s)
		if err != nil || len(rows) != 1 || rows[0].Err != nil {
			t.Fatalf("%v %v", err, rows)
		}
		return rows[0]
	}
	auth0 := `{"email":"a@x.io","user_metadata":{"first_name":"Ann","address":{"city":"HK"}},"identities":[{"provider":"auth0","isSocial":false},{"provider":"google-oauth2"}],"logins_count":3,"blocked":true,"nothing":null,"a.b":"dotted"}`
	keycloak := `{"username":"ann","credentials":[{"type":"password","credentialData":"{\"hashIterations\":27500,\"algorithm\":\"pbkdf2-sha256\"}","secretData":"{\"value\":\"abc\"}"}]}`
	cases := []struct {
		name, data, path string
		want             any
		found            bool
	}{
		{"nested key", auth0, "user_metadata.first_name", "Ann", true},
		{"deeper key", auth0, "user_metadata.address.city", "HK", true},
		{"array index", auth0, "identities[0].provider", "auth0", true},
		{"second element", auth0, "identities[1].provider", "google-oauth2", true},
		{"index out of range", auth0, "identities[2].provider", nil, false},
		{"boolean inside", auth0, "identities[0].isSocial", false, true},
		{"number", auth0, "logins_count", "3", true},
		{"bool", auth0, "blocked", true, true},
		{"null is found", auth0, "nothing", nil, true},
		{"missing key", auth0, "user_metadata.last_name", nil, false},
		{"key on a string", auth0, "email.domain", nil, false},
		{"index on an object", auth0, "user_metadata[0]", nil, false},
		{"quoted key with a dot", auth0, `["a.b"]`, "dotted", true},
		{"JSON inside a JSON string", keycloak, "credentials[0].credentialData.algorithm", "pbkdf2-sha256", true},
		{"JSON number inside a JSON string", keycloak, "credentials[0].credentialData.hashIterations", "27500", true},
		{"JSON string, other key", keycloak, "credentials[0].secretData.value", "abc", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			row := jsonRow(t, c.data)
			p, err := compilePath(c.path, nil, false)
			if err != nil {
				t.Fatal(err)
			}
			if p.String() != c.path {
				t.Errorf("String() = %q", p.String())
			}
			v, ok := p.lookup(row)
			if ok != c.found {
				t.Fatalf("found = %v, want %v (value %v)", ok, c.found, v)
			}
			if n, isNum := v.(interface{ String() string }); isNum && ok {
				v = n.String()
			}
			if ok && !reflect.DeepEqual(v, c.want) {
				t.Errorf("value %#v, want %#v", v, c.want)
			}
		})
	}

	// CSV: a cell holding JSON, and column names with dots.
	csvData := "email,raw_user_meta_data,address.formatted,address,identities\n" +
		"a@x.io,\"{\"\"first_name\"\":\"\"Ann\"\",\"\"tags\"\":[\"\"a\"\",\"\"b\"\"]}\",1 Main St,\"{\"\"formatted\"\":\"\"from JSON\"\",\"\"city\"\":\"\"HK\"\"}\",\"[{\"\"provider\"\":\"\"google\"\"}]\"\n" +
		"b@x.io,not json,,,\"[{\"\"provider\"\":\"\"google\"\"}]]\"\n"
	s := sourceOf(t, "in.csv", csvData, SourceOptions{})
	rows, err := drain(t, s)
	if err != nil || len(rows) != 2 {
		t.Fatal(err, len(rows))
	}
	csvCases := []struct {
		path  string
		row   int
		want  any
		found bool
	}{
		{"email", 0, "a@x.io", true},
		{"raw_user_meta_data.first_name", 0, "Ann", true},
		{"raw_user_meta_data.tags[1]", 0, "b", true},
		{"raw_user_meta_data.last_name", 0, nil, false},
		{"raw_user_meta_data.first_name", 1, nil, false}, // not JSON
		{"identities[0].provider", 1, nil, false},        // JSON and a stray ']'
		{"address.formatted", 0, "1 Main St", true},      // the literal column wins
		{"address.city", 0, "HK", true},                  // a path into the address column
		{"identities[0].provider", 0, "google", true},
		{"address.formatted", 1, "", true},
		{"identities", 1, `[{"provider":"google"}]]`, true},
	}
	for _, c := range csvCases {
		p, err := compilePath(c.path, s.Columns(), true)
		if err != nil {
			t.Errorf("%s: %v", c.path, err)
			continue
		}
		v, ok := p.lookup(rows[c.row])
		if ok != c.found || (ok && !reflect.DeepEqual(v, c.want)) {
			t.Errorf("%s row %d: %#v %v, want %#v %v", c.path, c.row+1, v, ok, c.want, c.found)
		}
	}
	// A short row (ragged) has no value for a later column.
	p, _ := compilePath("identities", s.Columns(), true)
	if _, ok := p.lookup(&Row{Fields: []string{"x"}}); ok {
		t.Error("lookup past the end of a short row")
	}
	// Unknown columns and malformed paths.
	for _, bad := range []string{"nope", "raw_user_meta_datax.first", "emails.x"} {
		_, err := compilePath(bad, s.Columns(), true)
		var mc *MissingColumnError
		if !errors.As(err, &mc) || mc.Column != bad {
			t.Errorf("compilePath(%q): %v, want a MissingColumnError", bad, err)
		}
	}
	for _, bad := range []string{"", ".a", "a.", "a[", "a[x]", "a[-1]", "a..b"} {
		if _, err := compilePath(bad, nil, false); err == nil && bad != "a..b" {
			t.Errorf("compilePath(%q) accepted", bad)
		}
	}
}

func TestJoinsAndExtra(t *testing.T) {
	s := sourceOf(t, "in.ndjson", "{\"id\":\"1\",\"email\":\"a@x.io\"}\n{\"id\":\"2\",\"email\":\"b@x.io\"}\n{\"id\":\"3\"}\n", SourceOptions{SampleSize: 1})
	hashes := map[string]any{"1": map[string]any{"passwordHash": "$2a$..."}, "3": map[string]any{"passwordHash": "x"}}
	s.AddJoin("passwords", func(r *Row) (any, bool) {
		v, ok := hashes[r.Object["id"].(string)]
		return v, ok
	})
	if !reflect.DeepEqual(s.Joins(), []string{"passwords"}) {
		t.Errorf("joins %q", s.Joins())
	}
	rows, err := drain(t, s)
	if err != nil {
		t.Fatal(err)
	}
	p, err := compilePathExtra("passwords.passwordHash", s.Columns(), false, s.Joins())
	if err != nil {
		t.Fatal(err)
	}
	var got []any
	for _, r := range rows {
		v, _ := p.lookup(r)
		got = append(got, v)
	}
	if want := []any{"$2a$...", nil, "x"}; !reflect.DeepEqual(got, want) {
		t.Errorf("joined values %v, want %v", got, want)
	}
}

func TestParseErrorMessage(t *testing.T) {
	cases := []struct {
		e    ParseError
		want string
	}{
		{ParseError{File: "f.csv", Line: 3, Column: 7, Err: ErrFieldCount}, "f.csv:3:7: wrong number of fields"},
		{ParseError{File: "f.csv", Line: 3, Err: ErrFieldCount}, "f.csv:3: wrong number of fields"},
		{ParseError{File: "f.csv", Err: ErrFieldCount}, "f.csv: wrong number of fields"},
		{ParseError{Err: ErrFieldCount}, "wrong number of fields"},
	}
	for _, c := range cases {
		if got := c.e.Error(); got != c.want {
			t.Errorf("%q, want %q", got, c.want)
		}
		if !errors.Is(&c.e, ErrFieldCount) {
			t.Error("Unwrap")
		}
	}
}

func TestJSONTrailingData(t *testing.T) {
	cases := []struct {
		name      string
		data      string
		opts      SourceOptions
		rows      int // rows read before the error
		line, col int
		ndjson    bool // the message suggests NDJSON
	}{
		{"a stray bracket pair", "[{\"a\":1},{\"a\":2}]][", SourceOptions{}, 2, 1, 18, false},
		// The NDJSON advice is gone: it split pretty-printed documents
		// into invalid lines (issue 18 item 5).
		{"an object after the array", "[{\"a\":1}]\n  {}", SourceOptions{}, 1, 2, 3, false},
		{"a second array", "[{\"a\":1}]\n[{\"a\":2}]\n", SourceOptions{}, 1, 2, 1, false},
		{"text after a wrapper", "{\"users\":[{\"a\":1}],\n \"count\": 1} x", SourceOptions{}, 1, 2, 14, false},
		{"after an empty records array", "{\"users\": []} 1", SourceOptions{RecordsKey: "users"}, 0, 1, 15, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var rows []*Row
			s, err := NewSource(strings.NewReader(c.data), "users.json", c.opts)
			if err == nil {
				rows, err = drain(t, s)
			}
			if len(rows) != c.rows {
				t.Errorf("%d rows before the error, want %d", len(rows), c.rows)
			}
			var pe *ParseError
			if !errors.As(err, &pe) || !errors.Is(err, ErrTrailingData) {
				t.Fatalf("error %v (%T), want a *ParseError wrapping ErrTrailingData", err, err)
			}
			if pe.File != "users.json" || pe.Line != c.line || pe.Column != c.col {
				t.Errorf("position %s:%d:%d, want users.json:%d:%d (%v)", pe.File, pe.Line, pe.Column, c.line, c.col, err)
			}
			if got := strings.Contains(err.Error(), "NDJSON"); got != c.ndjson {
				t.Errorf("message %q: mentions NDJSON %v, want %v", err, got, c.ndjson)
			}
		})
	}

	// White space after the document, keys after the records array, and
	// NDJSON are all still fine.
	for data, want := range map[string]int{
		"[{\"a\":1},{\"a\":2}]\n\n \t\r\n":                           2,
		"{\"users\":[{\"a\":1}],\"count\":1,\"next\":{\"p\":[1]}}\n": 1,
		"{\"a\":1}\n{\"a\":2}\n{\"a\":3}\n":                          3,
		"{\"email\":\"a@x.io\"}  \n":                                 1,
		// Documents one after another are a stream of records (issue 18
		// item 5): they were refused as trailing data.
		"{\"a\":1}\n{\"a\":2}\n":                                2,
		"{\n \"email\": \"a@x.io\"\n}\n{\"email\": \"b@x.io\"}": 2,
	} {
		s, err := NewSource(strings.NewReader(data), "users.json", SourceOptions{})
		if err != nil {
			t.Errorf("%q: %v", data, err)
			continue
		}
		rows, err := drain(t, s)
		if err != nil || len(rows) != want {
			t.Errorf("%q: %d rows, %v; want %d rows", data, len(rows), err, want)
		}
	}

	// A document cut short after its records is an error, not the end.
	for _, data := range []string{"[{\"a\":1}", "[{\"a\":1},", "{\"users\":[{\"a\":1}]", "{\"email\":\"a@x.io\""} {
		s, err := NewSource(strings.NewReader(data), "users.json", SourceOptions{Format: FormatJSON})
		if err == nil {
			_, err = drain(t, s)
		}
		var pe *ParseError
		if !errors.As(err, &pe) || !strings.Contains(err.Error(), "unexpected end") {
			t.Errorf("%q: error %v, want unexpected end of JSON input", data, err)
		}
	}
}

// genReader generates head, then n bytes of fill repeated, then tail,
// counting the bytes read from it: a huge input without a file or its
// memory.
type genReader struct {
	head, tail []byte
	fill       string
	n          int64 // fill bytes left
	k          int   // next byte of fill
	block      []byte
	pulled     int64
	// after, when set, is called once pulled reaches at.
	after func()
	at    int64
}

func (g *genReader) Read(p []byte) (int, error) {
	k := 0
	for k < len(p) {
		switch {
		case len(g.head) > 0:
			c := copy(p[k:], g.head)
			g.head = g.head[c:]
			k += c
		case g.n > 0:
			if g.block == nil {
				g.block = []byte(strings.Repeat(g.fill, 64<<10/len(g.fill)+1))
			}
			c := copy(p[k:], g.block[g.k:g.k+min(len(g.block)-g.k-len(g.fill), int(min(g.n, 1<<30)))])
			g.k = (g.k + c) % len(g.fill)
			g.n -= int64(c)
			k += c
		case len(g.tail) > 0:
			c := copy(p[k:], g.tail)
			g.tail = g.tail[c:]
			k += c
		default:
			if k == 0 {
				return 0, io.EOF
			}
			g.pulled += int64(k)
			return k, nil
		}
	}
	g.pulled += int64(k)
	if g.after != nil && g.pulled >= g.at {
		g.after()
		g.after = nil
	}
	return k, nil
}

// allocated returns the bytes allocated while f ran.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

func TestOversizeRecord(t *testing.T) {
	const huge = 50 << 20
	// Reading stops soon after the limit: the limit, the loader's 256 KB
	// buffer and the decoders' read-ahead.
	const maxPulled = MaxRecordBytes + 1<<20
	cases := []struct {
		name       string
		head, tail string
		fill       string
		opts       SourceOptions
		line, col  int
	}{
		{"a quoted CSV field", "email,notes\na@x.io,ok\nb@x.io,\"", "\"\n", "x", SourceOptions{}, 3, 0},
		{"a quote left open", "email,notes\na@x.io,\"ok\nstill,open\n", "", "\n", SourceOptions{}, 2, 0},
		{"an unquoted CSV field", "email;notes\na@x.io;", "\n", "y", SourceOptions{}, 2, 0},
		{"a CSV header", "email,", "\n", "h", SourceOptions{}, 1, 0},
		{"a JSON string", "[\n {\"email\": \"a@x.io\"},\n  {\"email\": \"b@x.io\", \"notes\": \"", "\"}]", "x", SourceOptions{}, 3, 3},
		{"JSON white space", "[{\"email\": \"a@x.io\"},", "{}]", " ", SourceOptions{}, 1, 22},
		{"a JSON wrapper's other key", "{\"meta\": \"", "\", \"users\": []}", "m", SourceOptions{}, 1, 10},
		{"a JSON key after the records", "{\"users\": [{\"a\": 1}], \"meta\": [", "]}", "1", SourceOptions{}, 1, 31},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g := &genReader{head: []byte(c.head), tail: []byte(c.tail), fill: c.fill, n: huge}
			var err error
			alloc := allocated(func() {
				var s *Source
				s, err = NewSource(g, "users", c.opts)
				if err == nil {
					_, err = drain(t, s)
				}
			})
			var pe *ParseError
			if !errors.As(err, &pe) || !errors.Is(err, ErrRecordTooLarge) {
				t.Fatalf("error %v (%T), want a *ParseError wrapping ErrRecordTooLarge", err, err)
			}
			if pe.File != "users" || pe.Line != c.line || pe.Column != c.col {
				t.Errorf("position %s:%d:%d, want users:%d:%d (%v)", pe.File, pe.Line, pe.Column, c.line, c.col, err)
			}
			if !strings.Contains(err.Error(), "over 1 MiB") {
				t.Errorf("message %q does not give the limit", err)
			}
			if g.pulled > maxPulled {
				t.Errorf("read %d bytes of the input before refusing it, want at most %d", g.pulled, maxPulled)
			}
			if alloc > 16<<20 {
				t.Errorf("allocated %d bytes for a refused record", alloc)
			}
		})
	}

	// Blank lines between CSV records are not part of a record (the CSV
	// reader skips them without holding them), LF or CRLF; a run of lone
	// CRs is text on one line.
	for _, fill := range []string{"\n", "\r\n"} {
		g := &genReader{head: []byte("email\na@x.io\n"), fill: fill, n: MaxRecordBytes + 256<<10, tail: []byte("b@x.io\n")}
		s, err := NewSource(g, "users.csv", SourceOptions{})
		if err != nil {
			t.Fatal(err)
		}
		rows, err := drain(t, s)
		if err != nil || len(rows) != 2 || rows[1].Line != 3+(MaxRecordBytes+256<<10)/len(fill) {
			t.Errorf("%q lines: %d rows, %v", fill, len(rows), err)
		}
	}
	g := &genReader{head: []byte("email\na@x.io\n"), fill: "\r", n: 50 << 20, tail: []byte("\n")}
	s, err := NewSource(g, "users.csv", SourceOptions{})
	if err == nil {
		_, err = drain(t, s)
	}
	if !errors.Is(err, ErrRecordTooLarge) || g.pulled > maxPulled {
		t.Errorf("a line of CRs: %v after %d bytes", err, g.pulled)
	}

	// A record just under the limit is read.
	big := strings.Repeat("z", MaxRecordBytes-100)
	for _, data := range []string{
		"email,notes\na@x.io,\"" + big + "\"\nb@x.io,x\n",
		"[{\"email\": \"a@x.io\", \"notes\": \"" + big + "\"}, {\"email\": \"b@x.io\"}]",
	} {
		s, err := NewSource(strings.NewReader(data), "users", SourceOptions{})
		if err != nil {
			t.Fatal(err)
		}
		rows, err := drain(t, s)
		if err != nil || len(rows) != 2 || rows[0].Err != nil {
			t.Errorf("%d rows, %v: a record under the limit was refused", len(rows), err)
		}
	}
}

func TestOversizeNDJSONLine(t *testing.T) {
	// Lines are NDJSON's records: an oversize line is one invalid record,
	// read through without being held, and the next line is read.
	g := &genReader{
		head: []byte("{\"email\": \"a@x.io\"}\n{\"email\": \"b@x.io\", \"notes\": \""),
		tail: []byte("\"}\n{\"email\": \"c@x.io\"}\n"),
		fill: "x", n: 50 << 20,
	}
	var rows []*Row
	var err error
	alloc := allocated(func() {
		var s *Source
		s, err = NewSource(g, "users.ndjson", SourceOptions{Format: FormatNDJSON})
		if err == nil {
			rows, err = drain(t, s)
		}
	})
	if err != nil || len(rows) != 3 {
		t.Fatalf("%d rows, %v; want 3 rows", len(rows), err)
	}
	if rows[0].Err != nil || rows[2].Err != nil || rows[2].Line != 3 || rows[2].Object["email"] != "c@x.io" {
		t.Errorf("the lines around the oversize one: %+v, %+v", rows[0], rows[2])
	}
	var pe *ParseError
	if !errors.As(rows[1].Err, &pe) || !errors.Is(pe, ErrRecordTooLarge) || pe.Line != 2 || rows[1].Raw != nil {
		t.Errorf("row 2: %+v, want an invalid row on line 2 wrapping ErrRecordTooLarge without Raw", rows[1])
	}
	if alloc > 16<<20 {
		t.Errorf("allocated %d bytes for a 50 MB line", alloc)
	}
}

func TestWideHeader(t *testing.T) {
	// A million empty column names fit in the record limit: the column
	// count stops them.
	g := &genReader{fill: ",", n: 999_999, tail: []byte("\na@x.io\n")}
	_, err := NewSource(g, "wide.csv", SourceOptions{})
	var pe *ParseError
	if !errors.As(err, &pe) || !errors.Is(err, ErrTooManyColumns) || pe.Line != 1 {
		t.Fatalf("error %v, want a *ParseError on line 1 wrapping ErrTooManyColumns", err)
	}
	if want := "wide.csv:1: too many columns: the header has 1000000 columns, at most 10000 are supported"; err.Error() != want {
		t.Errorf("message %q, want %q", err, want)
	}
	if g.pulled > 2<<20 {
		t.Errorf("read %d bytes", g.pulled)
	}

	// Named columns: the record limit comes first.
	g = &genReader{head: []byte("\n\n")}
	var b strings.Builder
	for i := 0; i < 1_000_000; i++ {
		g.head = append(strconv.AppendInt(append(g.head, 'c'), int64(i), 10), ',')
	}
	_, err = NewSource(g, "wide.csv", SourceOptions{})
	if !errors.As(err, &pe) || !errors.Is(err, ErrRecordTooLarge) || pe.Line != 3 {
		t.Errorf("error %v, want a *ParseError on line 3 wrapping ErrRecordTooLarge", err)
	}

	// Headerless, the first row names the columns.
	_, err = NewSource(strings.NewReader(strings.Repeat(",", MaxColumns)+"\n"), "wide.csv", SourceOptions{NoHeader: true, Format: FormatCSV})
	if !errors.Is(err, ErrTooManyColumns) || !strings.Contains(err.Error(), "first row has 10001 columns") {
		t.Errorf("headerless: %v", err)
	}

	// The limit itself is accepted.
	s, err := NewSource(strings.NewReader(strings.Repeat("c,", MaxColumns-1)+"c\n"+strings.Repeat("1,", MaxColumns-1)+"1\n"), "wide.csv", SourceOptions{})
	if err != nil || len(s.Columns()) != MaxColumns {
		t.Errorf("%d columns: %v", MaxColumns, err)
	}

	// JSON paths are listed up to the limit.
	b.Reset()
	b.WriteString(`[{"email": "a@x.io"`)
	for i := 0; i < MaxColumns+500; i++ {
		fmt.Fprintf(&b, `, "k%d": 1`, i)
	}
	b.WriteString("}]")
	s, err = NewSource(strings.NewReader(b.String()), "wide.json", SourceOptions{})
	if err != nil || len(s.Columns()) != MaxColumns || !s.ColumnsCapped() {
		t.Errorf("JSON: %d columns, capped %v, %v", len(s.Columns()), s.ColumnsCapped(), err)
	}
}

func TestSourceContext(t *testing.T) {
	// Cancelled while reading: the read stops at once with the context's
	// error, not a ParseError, and the rest of the file is not read.
	for _, format := range []Format{FormatCSV, FormatJSON, FormatNDJSON} {
		t.Run(string(format), func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			head, fill := "email\n", "a@x.io\n"
			switch format {
			case FormatJSON:
				head, fill = "[", `{"email":"a@x.io"},`
			case FormatNDJSON:
				head, fill = "", "{\"email\":\"a@x.io\"}\n"
			}
			g := &genReader{head: []byte(head), fill: fill, n: 1 << 30, after: cancel, at: 1 << 20}
			s, err := NewSourceContext(ctx, g, "big", SourceOptions{Format: format})
			if err == nil {
				_, err = drain(t, s)
			}
			if err != context.Canceled {
				t.Fatalf("error %v (%T), want context.Canceled", err, err)
			}
			if g.pulled > 3<<19 {
				t.Errorf("read %d bytes, cancelled at 1 MB", g.pulled)
			}
			if _, err := s.Next(); err != context.Canceled {
				t.Errorf("Next after the cancel: %v", err)
			}
		})
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	dir := t.TempDir()
	p := filepath.Join(dir, "u.csv")
	os.WriteFile(p, []byte("email\na@x.io\n"), 0o600)
	if _, err := OpenContext(ctx, p, SourceOptions{}); err != context.Canceled {
		t.Errorf("OpenContext with a cancelled context: %v", err)
	}
}

func TestUniqueColumns(t *testing.T) {
	got := uniqueColumns([]string{"a", "a", "a (2)", " ", "a", "b"})
	want := []string{"a", "a (2)", "a (2) (2)", "column4", "a (3)", "b"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("uniqueColumns = %q, want %q", got, want)
	}
}
