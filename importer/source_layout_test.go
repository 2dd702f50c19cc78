package importer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// openExport opens a fixture of testdata/exports and reads it whole.
func openExport(t *testing.T, name string, o SourceOptions) (*Source, []*Row) {
	t.Helper()
	src, err := Open(filepath.Join("testdata", "exports", name), o)
	if err != nil {
		t.Fatalf("Open(%s): %v", name, err)
	}
	t.Cleanup(func() { src.Close() })
	rows, err := drain(t, src)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return src, rows
}

func emailsOf(rows []*Row) []string {
	var out []string
	for _, r := range rows {
		if r.Err != nil {
			out = append(out, "error: "+r.Err.Error())
			continue
		}
		e, _ := r.Object["email"].(string)
		out = append(out, e)
	}
	return out
}

// Issue 18 item 5: mongoexport writes documents one after another with no
// enclosing array, pretty-printed (--pretty) or one per line; both are a
// stream of records, each with the line it starts on.
func TestJSONDocumentStream(t *testing.T) {
	want := []string{"ana@example.com", "ben@example.com", "cleo@example.com", "dev@example.com"}
	for _, c := range []struct {
		file   string
		format Format
		lines  []int
	}{
		{"mongoexport-pretty.json", FormatJSON, []int{1, 20, 41, 60}},
		// Named as NDJSON, but its documents span lines.
		{"mongoexport-pretty.jsonl", FormatJSON, []int{1, 20, 41, 60}},
		{"mongoexport-compact.json", FormatNDJSON, []int{1, 2, 3, 4}},
		{"mongoexport-mixed.json", FormatJSON, []int{1, 1, 3, 21}},
	} {
		t.Run(c.file, func(t *testing.T) {
			src, rows := openExport(t, c.file, SourceOptions{})
			if src.Format() != c.format {
				t.Errorf("format %q, want %q", src.Format(), c.format)
			}
			if got := emailsOf(rows); !reflect.DeepEqual(got, want) {
				t.Fatalf("records %q, want %q", got, want)
			}
			checkNums(t, rows)
			var lines []int
			for _, r := range rows {
				lines = append(lines, r.Line)
			}
			if !reflect.DeepEqual(lines, c.lines) {
				t.Errorf("lines %v, want %v", lines, c.lines)
			}
			for _, col := range []string{"_id.$oid", "email", "emails[0].address", "createdAt.$date"} {
				if !containsString(src.Columns(), col) {
					t.Errorf("columns %q lack %q", src.Columns(), col)
				}
			}
			if w := src.Warnings(); len(w) > 0 {
				t.Errorf("warnings %q", w)
			}
		})
	}

	// A broken document after good ones stops the load at its line; a
	// value that is not an object is an invalid record.
	s := sourceOf(t, "s.json", "{\"email\": \"a@x.io\"}\n{\n \"email\": \"b@x.io\"\n}\n42\n{\n \"email\": \"c@x.io\",\n}\n", SourceOptions{})
	rows, err := drain(t, s)
	var pe *ParseError
	if len(rows) != 3 || rows[2].Err == nil || !errors.Is(rows[2].Err, ErrNotObject) || !errors.As(err, &pe) || pe.Line != 8 {
		t.Errorf("rows %q, error %v; want 2 records, a row error and a ParseError on line 8", emailsOf(rows), err)
	}
}

// Issue 18 item 5: mongoexport's extended JSON reads as its plain value
// where a field needs text: {"$oid": ...} as the id, {"$date": ...} as the
// date-time, {"$numberLong": ...} as the number.
func TestExtendedJSONAsText(t *testing.T) {
	_, rows := openExport(t, "mongoexport-pretty.json", SourceOptions{})
	cases := []struct {
		path string
		row  int
		want string
	}{
		{"_id", 0, "5f1d7c2e9a1b2c3d4e5f6a01"},
		{"createdAt", 0, "2020-07-26T12:00:00.000Z"},
		{"createdAt", 1, "1595764800000"},
		{"logins", 0, "42"},
	}
	for _, c := range cases {
		p, err := compilePath(c.path, nil, false)
		if err != nil {
			t.Fatal(err)
		}
		v, ok := p.lookup(rows[c.row])
		if !ok {
			t.Fatalf("%s: not found", c.path)
		}
		got, err := toText(v)
		if err != nil || got != c.want {
			t.Errorf("toText(%s of row %d) = %q, %v; want %q", c.path, c.row+1, got, err, c.want)
		}
	}
	for _, obj := range []map[string]any{{"$oid": "x", "other": 1}, {"$where": "x"}, {"name": "x"}} {
		if _, err := toText(obj); err == nil {
			t.Errorf("toText(%v) should stay an error", obj)
		}
	}

	// And a mapping that takes the id from _id reads the ObjectId.
	m := NewMapping(IdentifierEmail)
	m.Set("email", "email")
	m.Set("preferred_username", "_id")
	m.Set("name", "name")
	src, err := Open(filepath.Join("testdata", "exports", "mongoexport-pretty.json"), m.SourceOptions())
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	plan, err := CompileFor(m, src)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	if _, err := Prepare(context.Background(), src, plan, PrepareOptions{}, func(p *Prepared) error {
		if !p.Valid() {
			t.Errorf("row %d invalid: %s", p.Row.Num, p.Reason())
			return nil
		}
		if p.Record.PreferredUsername != nil {
			names = append(names, *p.Record.PreferredUsername)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(names) != 4 || names[3] != "5f1d7c2e9a1b2c3d4e5f6a04" {
		t.Errorf("usernames %q, want the four ObjectIds", names)
	}
}

// Issue 18 item 6: the array of users is chosen by content and name, a
// key that occurs twice follows its last occurrence with a warning, and
// when no array is clearly the users the load refuses and names them.
func TestJSONRecordsArrayChoice(t *testing.T) {
	t.Run("realm with several arrays and users twice", func(t *testing.T) {
		src, rows := openExport(t, "keycloak-realm-arrays.json", SourceOptions{})
		var names []string
		for _, r := range rows {
			names = append(names, r.Object["username"].(string))
		}
		if want := []string{"alice", "bob", "carol"}; !reflect.DeepEqual(names, want) {
			t.Fatalf("users %q, want %q (the last \"users\" array)", names, want)
		}
		if rows[0].Line != 34 {
			t.Errorf("first user on line %d, want 34", rows[0].Line)
		}
		if src.RecordsKey() != "users" || !src.RecordsKeyChosen() {
			t.Errorf("records key %q chosen %v", src.RecordsKey(), src.RecordsKeyChosen())
		}
		w := strings.Join(src.Warnings(), "\n")
		for _, s := range []string{`the key "users" occurs 2 times`, "lines 6 and 33", "the last one (line 33) is read", "the others, with 1 object, are ignored", `"clients" (line 28, 3 objects`} {
			if !strings.Contains(w, s) {
				t.Errorf("warnings %q lack %q", w, s)
			}
		}
		// Named in the mapping: the same users, the same warning.
		src2, rows2 := openExport(t, "keycloak-realm-arrays.json", SourceOptions{RecordsKey: "users"})
		if len(rows2) != 3 || src2.RecordsKeyChosen() || !strings.Contains(strings.Join(src2.Warnings(), "\n"), "lines 6 and 33") {
			t.Errorf("with records_key: %d rows, chosen %v, warnings %q", len(rows2), src2.RecordsKeyChosen(), src2.Warnings())
		}
		// Another array named in the mapping is read instead.
		_, clients := openExport(t, "keycloak-realm-arrays.json", SourceOptions{RecordsKey: "clients"})
		if len(clients) != 3 || clients[0].Object["clientId"] != "account" {
			t.Errorf("records_key clients: %d rows", len(clients))
		}
	})
	t.Run("organizations then users", func(t *testing.T) {
		src, rows := openExport(t, "org-users.json", SourceOptions{})
		want := []string{"wile@acme.example", "hank@globex.example", "road@acme.example"}
		if got := emailsOf(rows); !reflect.DeepEqual(got, want) {
			t.Fatalf("records %q, want %q", got, want)
		}
		w := strings.Join(src.Warnings(), "\n")
		if !strings.Contains(w, `read from the array "users" (line 6, 3 objects): its elements look like users`) || !strings.Contains(w, `"organizations" (line 2, 2 objects: domain, id, name)`) {
			t.Errorf("warnings %q", w)
		}
	})
	t.Run("two arrays of users", func(t *testing.T) {
		_, err := Open(filepath.Join("testdata", "exports", "two-user-arrays.json"), SourceOptions{})
		var ke *RecordsKeyError
		var pe *ParseError
		if !errors.As(err, &ke) || !errors.As(err, &pe) || !errors.Is(err, ErrNoRecords) {
			t.Fatalf("error %v (%T), want a *ParseError holding a *RecordsKeyError", err, err)
		}
		if len(ke.Candidates) != 2 || ke.Candidates[0].Key != "admins" || ke.Candidates[1].Key != "staff" || ke.Candidates[1].Count != 2 || ke.Candidates[1].Line != 5 {
			t.Errorf("candidates %+v", ke.Candidates)
		}
		for _, s := range []string{`"admins" (line 2, 1 object: email, name)`, `"staff" (line 5, 2 objects`, "source.records_key"} {
			if !strings.Contains(err.Error(), s) {
				t.Errorf("message %q lacks %q", err, s)
			}
		}
		_, rows := openExport(t, "two-user-arrays.json", SourceOptions{RecordsKey: "staff"})
		if got := emailsOf(rows); !reflect.DeepEqual(got, []string{"sam@example.com", "kim@example.com"}) {
			t.Errorf("records_key staff: %q", got)
		}
	})
	t.Run("pages of a listing one after another", func(t *testing.T) {
		_, err := NewSource(strings.NewReader("{\"Users\": [{\"Username\": \"u1\"}], \"PaginationToken\": \"x\"}\n{\"Users\": [{\"Username\": \"u2\"}]}\n"), "pages.json", SourceOptions{Format: FormatJSON})
		var pe *ParseError
		if !errors.As(err, &pe) || !errors.Is(err, ErrNoRecords) || !strings.Contains(err.Error(), `"Users" (line 1, 1 object: Username)`) {
			t.Errorf("error %v, want the pages refused", err)
		}
		// Users that hold arrays of their own are a stream of users.
		s := sourceOf(t, "m.json", "{\"username\": \"a\", \"emails\": [{\"address\": \"a@x.io\"}]}\n{\"username\": \"b\", \"emails\": []}\n", SourceOptions{Format: FormatJSON})
		if rows, err := drain(t, s); err != nil || len(rows) != 2 {
			t.Errorf("%d rows, %v", len(rows), err)
		}
	})
	t.Run("a user with an array of identities is one record", func(t *testing.T) {
		s := sourceOf(t, "u.json", `{"email": "a@x.io", "identities": [{"provider": "google", "user_id": "1"}]}`, SourceOptions{})
		rows, err := drain(t, s)
		if err != nil || len(rows) != 1 || rows[0].Object["email"] != "a@x.io" {
			t.Errorf("rows %v, %v", emailsOf(rows), err)
		}
	})
	t.Run("by name when the content does not tell", func(t *testing.T) {
		s := sourceOf(t, "u.json", `{"groups": [{"id": 1}], "users": [{"id": 2, "sub": "x"}]}`, SourceOptions{})
		rows, err := drain(t, s)
		if err != nil || len(rows) != 1 || s.RecordsKey() != "users" {
			t.Errorf("rows %d, %v, key %q", len(rows), err, s.RecordsKey())
		}
	})
}

// Issue 18 item 6: map writes the array it chose into the mapping, with
// its notes, so that replay reads the same one.
func TestSuggestWritesChosenRecordsKey(t *testing.T) {
	src, err := Open(filepath.Join("testdata", "exports", "org-users.json"), SourceOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	m, rep, err := SuggestMapping(src, SuggestOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if m.Source.RecordsKey != "users" {
		t.Errorf("records_key %q, want users", m.Source.RecordsKey)
	}
	if !strings.Contains(strings.Join(rep.Notes, "\n"), `read from the array "users"`) {
		t.Errorf("notes %q lack the choice", rep.Notes)
	}
	if f := m.Fields["email"]; f == nil || f.From != "email" {
		t.Errorf("email mapped from %+v", f)
	}

	// A Keycloak realm whose users come after other arrays, twice: the
	// preset is detected from the users read, and the notes say which.
	kc, err := Open(filepath.Join("testdata", "exports", "keycloak-realm-arrays.json"), SourceOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer kc.Close()
	m, rep, err = SuggestMapping(kc, SuggestOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if m.Preset != "keycloak" || m.Source.RecordsKey != "users" || !strings.Contains(strings.Join(rep.Notes, "\n"), `the key "users" occurs 2 times`) {
		t.Errorf("preset %q, records_key %q, notes %q", m.Preset, m.Source.RecordsKey, rep.Notes)
	}
}

// Issue 18 item 9: a quote left open in an unmapped notes column reads
// the next rows into that field; the loader says so at the line where the
// quote opened, with the count of records it hides, in map's notes and in
// the replay summary.
func TestStrayQuoteHidesRecords(t *testing.T) {
	src, rows := openExport(t, "stray-quote.csv", SourceOptions{})
	if len(rows) != 2 {
		t.Fatalf("%d records, want 2 (the quote hides 2 of 4)", len(rows))
	}
	if src.HiddenRecords() != 2 {
		t.Errorf("HiddenRecords %d, want 2", src.HiddenRecords())
	}
	w := src.Warnings()
	if len(w) != 1 {
		t.Fatalf("warnings %q, want one", w)
	}
	for _, s := range []string{"stray-quote.csv, line 2:", `the "notes" field whose quote opens on this line (column 21) runs over 3 lines, to line 4`, "holds 2 lines that look like records", "hidden 2 records"} {
		if !strings.Contains(w[0], s) {
			t.Errorf("warning %q lacks %q", w[0], s)
		}
	}

	// map's notes.
	src2, err := Open(filepath.Join("testdata", "exports", "stray-quote.csv"), SourceOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer src2.Close()
	m, rep, err := SuggestMapping(src2, SuggestOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(strings.Join(rep.Notes, "\n"), "hidden 2 records") {
		t.Errorf("map notes %q lack the hidden records", rep.Notes)
	}

	// The replay summary.
	dir := t.TempDir()
	s, err := Run(context.Background(), RunConfig{Mapping: m, MappingPath: "m.yaml", Input: filepath.Join("testdata", "exports", "stray-quote.csv"), DryRun: true, Report: filepath.Join(dir, "r.csv")})
	if err != nil {
		t.Fatal(err)
	}
	if s.Total != 2 || !strings.Contains(strings.Join(s.Notes, "\n"), "hidden 2 records") {
		t.Errorf("summary total %d, notes %q", s.Total, s.Notes)
	}

	// Fields that span lines as people write them say nothing.
	for _, data := range []string{
		"email,name,address\na@x.io,Ann,\"1 Main St\nSpringfield\"\nb@x.io,Bob,x\n",
		"email,bio\na@x.io,\"line one\nline two, with a comma\nline three\"\nb@x.io,ok\n",
	} {
		s := sourceOf(t, "ok.csv", data, SourceOptions{})
		if _, err := drain(t, s); err != nil {
			t.Fatal(err)
		}
		if w := s.Warnings(); len(w) > 0 || s.HiddenRecords() != 0 {
			t.Errorf("%q: warnings %q", data, w)
		}
	}

	// Many fields of a few lines each (addresses, bios) say nothing.
	var many strings.Builder
	many.WriteString("email;bio\n")
	for i := 0; i < 50; i++ {
		fmt.Fprintf(&many, "u%d@x.io;\"one\ntwo\nthree\nfour\"\n", i)
	}
	s3 := sourceOf(t, "bios.csv", many.String(), SourceOptions{})
	if rows, err := drain(t, s3); err != nil || len(rows) != 50 || len(s3.Warnings()) > 0 {
		t.Errorf("bios: %d rows, %v, warnings %q", len(rows), err, s3.Warnings())
	}

	// Far fewer records than lines, without lines that split like records.
	var b strings.Builder
	b.WriteString("email;note\na@x.io;\"start\n")
	for i := 0; i < 30; i++ {
		b.WriteString("just text\n")
	}
	b.WriteString("\"\nb@x.io;x\n")
	s2 := sourceOf(t, "few.csv", b.String(), SourceOptions{})
	if _, err := drain(t, s2); err != nil {
		t.Fatal(err)
	}
	if w := strings.Join(s2.Warnings(), "\n"); !strings.Contains(w, "2 records were read from 33 lines") || !strings.Contains(w, "from line 2 (column 8) to line 33") {
		t.Errorf("warnings %q", w)
	}
}

// seekGen is a genReader that can be read again from its start, as Open's
// file is: the loader's first pass over a JSON object needs that.
type seekGen struct {
	mk     func() *genReader
	cur    *genReader
	off    int64
	pulled int64
}

func (s *seekGen) Read(p []byte) (int, error) {
	if s.cur == nil {
		s.cur = s.mk()
	}
	n, err := s.cur.Read(p)
	s.off += int64(n)
	s.pulled += int64(n)
	return n, err
}

func (s *seekGen) Seek(off int64, whence int) (int64, error) {
	if off != 0 || whence == io.SeekEnd {
		return 0, errors.New("seekGen seeks to the start only")
	}
	if whence == io.SeekStart {
		s.cur, s.off = nil, 0
	}
	return s.off, nil
}

// The first pass over a JSON object holds no more than a record either:
// a huge value of a wrapper's key, or a huge document of a stream, is
// refused at about the limit with its position.
func TestOversizeJSONLayout(t *testing.T) {
	const huge = 50 << 20
	const maxPulled = MaxRecordBytes + 1<<20
	cases := []struct {
		name       string
		head, tail string
		fill       string
		line, col  int
	}{
		{"a JSON wrapper's other key", "{\"meta\": \"", "\", \"users\": []}", "m", 1, 10},
		{"an element of another array", "{\"groups\": [{\"a\": 1},\n {\"name\": \"", "\"}], \"users\": [{\"email\": \"a@x.io\"}]}", "g", 2, 2},
		{"a nested object of the wrapper", "{\"config\": {\"k\": {\"v\": \"", "\"}}, \"users\": []}", "c", 1, 18},
		{"a document of a stream", "{\n \"email\": \"a@x.io\"\n}\n{\"email\": \"b@x.io\", \"notes\": \"", "\"}", "x", 4, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g := &seekGen{mk: func() *genReader {
				return &genReader{head: []byte(c.head), tail: []byte(c.tail), fill: c.fill, n: huge}
			}}
			var err error
			alloc := allocated(func() {
				var s *Source
				s, err = NewSource(g, "users.json", SourceOptions{})
				if err == nil {
					_, err = drain(t, s)
				}
			})
			var pe *ParseError
			if !errors.As(err, &pe) || !errors.Is(err, ErrRecordTooLarge) {
				t.Fatalf("error %v (%T), want a *ParseError wrapping ErrRecordTooLarge", err, err)
			}
			if pe.Line != c.line || pe.Column != c.col {
				t.Errorf("position %d:%d, want %d:%d (%v)", pe.Line, pe.Column, c.line, c.col, err)
			}
			if g.pulled > 2*maxPulled {
				t.Errorf("read %d bytes of the input before refusing it", g.pulled)
			}
			if alloc > 24<<20 {
				t.Errorf("allocated %d bytes for a refused value", alloc)
			}
		})
	}

	// An array of 20 MB of small objects before the users is read past,
	// element by element, twice (the first pass, then the reading).
	g := &seekGen{mk: func() *genReader {
		return &genReader{head: []byte("{\"groups\": ["), fill: "{\"id\": 1},", n: 20 << 20, tail: []byte("{\"id\": 2}], \"users\": [{\"email\": \"a@x.io\"}]}")}
	}}
	s, err := NewSource(g, "users.json", SourceOptions{})
	if err != nil {
		t.Fatal(err)
	}
	rows, err := drain(t, s)
	if err != nil || len(rows) != 1 || rows[0].Object["email"] != "a@x.io" || s.RecordsKey() != "users" {
		t.Errorf("%d rows, %v, key %q", len(rows), err, s.RecordsKey())
	}
}
