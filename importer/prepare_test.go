package importer

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// prepareAll runs Prepare over an in-memory export and collects the output.
func prepareAll(t testing.TB, name, data string, m *Mapping, o PrepareOptions) ([]*Prepared, PrepareStats, error) {
	t.Helper()
	src := sourceOf(t, name, data, SourceOptions{})
	plan, err := CompileFor(m, src)
	if err != nil {
		t.Fatal(err)
	}
	var out []*Prepared
	stats, err := Prepare(context.Background(), src, plan, o, func(p *Prepared) error {
		out = append(out, p)
		return nil
	})
	return out, stats, err
}

func emailMapping() *Mapping {
	m := NewMapping(IdentifierEmail)
	m.Set("email", "email")
	return m
}

func TestPrepareKeepsOrder(t *testing.T) {
	var b strings.Builder
	b.WriteString("email,n\n")
	for i := 1; i <= 1000; i++ {
		if i%97 == 0 {
			fmt.Fprintf(&b, "bad %d,%d\n", i, i) // invalid, to vary the work per row
		} else {
			fmt.Fprintf(&b, "u%d@x.io,%d\n", i, i)
		}
	}
	m := emailMapping()
	m.Set("custom_attributes.n", "n")
	var progress []PrepareStats
	out, stats, err := prepareAll(t, "in.csv", b.String(), m, PrepareOptions{Workers: 4, ChunkSize: 7, Progress: func(s PrepareStats) { progress = append(progress, s) }})
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != 1000 {
		t.Fatalf("%d records, want 1000", len(out))
	}
	for i, p := range out {
		if p.Row.Num != i+1 || p.Row.Fields[1] != fmt.Sprint(i+1) {
			t.Fatalf("record %d is row %d", i+1, p.Row.Num)
		}
		if want := (i+1)%97 != 0; p.Valid() != want {
			t.Errorf("row %d: valid %v", i+1, p.Valid())
		}
	}
	if stats.Total != 1000 || stats.Invalid != 10 || stats.Valid != 990 {
		t.Errorf("stats %+v", stats)
	}
	if len(progress) != (1000+6)/7 || progress[len(progress)-1].Total != 1000 {
		t.Errorf("%d progress calls, last %+v", len(progress), progress[len(progress)-1])
	}
	for i := 1; i < len(progress); i++ {
		if progress[i].Total <= progress[i-1].Total {
			t.Errorf("progress goes backwards at %d", i)
		}
	}
}

func TestPrepareDuplicates(t *testing.T) {
	m := emailMapping()
	m.Set("phone_number", "phone")
	m.Fields["phone_number"].Invalid = InvalidReject // record 3 is refused (TestSameLoginIDDropped drops)
	m.Set("mfa.phone_number", "mfa_phone")
	m.Set("birthdate", "born")
	m.Fields["birthdate"].Invalid = InvalidReject // record 5 is invalid
	data := "email,phone,mfa_phone,born\n" +
		"a@x.io,+852 9876 5433,,\n" + // 1
		" A@X.IO ,,,\n" + // 2: duplicate of 1's email
		"b@x.io,+85298765433,,\n" + // 3: 1's phone, written differently
		"c@x.io,,+85298765433,\n" + // 4: the MFA phone is not a login ID: fine
		"d@x.io,,,not a date\n" + // 5: invalid
		"d@x.io,,,\n" + // 6: same email as an invalid record: fine
		"e@x.io,+85251234567,,\n" + // 7
		"e@x.io,+85261234567,,\n" + // 8: duplicate email; its phone is not registered
		"f@x.io,+85261234567,,\n" + // 9: so this phone is free
		"D@x.io,,,\n" // 10: duplicate of 6, the first valid d@
	out, stats, err := prepareAll(t, "in.csv", data, m, PrepareOptions{Workers: 3, ChunkSize: 2})
	if err != nil {
		t.Fatal(err)
	}
	want := map[int]string{
		2:  "duplicate of record 1 after normalisation",
		3:  "phone number is the same as record 1's after normalisation",
		5:  "birthdate is not a birthdate (YYYY-MM-DD, --MM-DD or YYYY)",
		8:  "duplicate of record 7 after normalisation",
		10: "duplicate of record 6 after normalisation",
	}
	for _, p := range out {
		if w, bad := want[p.Row.Num]; bad {
			if p.Valid() || p.Reason() != w {
				t.Errorf("row %d: %q, want %q", p.Row.Num, p.Reason(), w)
			}
		} else if !p.Valid() {
			t.Errorf("row %d: unexpected %q", p.Row.Num, p.Reason())
		}
	}
	if stats.Invalid != len(want) {
		t.Errorf("stats %+v", stats)
	}
	// Usernames, case-insensitive by default and sensitive when asked.
	for _, cs := range []bool{false, true} {
		m := NewMapping(IdentifierUsername)
		m.Set("preferred_username", "u")
		m.Set("email", "e")
		m.Fields["email"].Invalid = InvalidReject
		m.UsernameCaseSensitive = cs
		out, _, err := prepareAll(t, "in.csv", "u,e\nJohn,j1@x.io\njohn,j2@x.io\nMary,J1@x.io\n", m, PrepareOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if out[1].Valid() != cs {
			t.Errorf("case sensitive %v: row 2 %q", cs, out[1].Reason())
		}
		if out[2].Valid() || out[2].Reason() != "email is the same as record 1's after normalisation" {
			t.Errorf("case sensitive %v: row 3 %q", cs, out[2].Reason())
		}
	}
}

func TestPrepareEveryRowOnce(t *testing.T) {
	cases := []struct {
		name, file, data string
		rows             int
		invalid          map[int]string // row -> part of the reason
	}{
		{"ragged CSV", "in.csv", "email,name\na@x.io,A\nb@x.io\nc@x.io,C,extra\nd@x.io,D\n\"e@x.io\",\"E\nE\"\nf@x.io\n", 6,
			map[int]string{2: "line 3: wrong number of fields: the row has 1 fields, the header has 2", 3: "line 4: wrong number of fields", 6: "line 8: wrong number of fields"}},
		{"broken NDJSON", "in.ndjson", "{\"email\":\"a@x.io\"}\n{\"email\":\n\n[1]\n{\"email\":\"d@x.io\"} x\n{\"email\":\"e@x.io\"}\n", 5,
			map[int]string{2: "line 2: invalid JSON", 3: "line 4: record is not a JSON object", 4: "line 5 column 20: invalid JSON: more than one value on the line"}},
		{"JSON array with non-objects", "in.json", "[{\"email\":\"a@x.io\"},\n7,\n{\"email\":\"c@x.io\"}]", 3,
			map[int]string{2: "line 2: record is not a JSON object"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, stats, err := prepareAll(t, c.file, c.data, emailMapping(), PrepareOptions{Workers: 2, ChunkSize: 1})
			if err != nil {
				t.Fatal(err)
			}
			if len(out) != c.rows || stats.Total != c.rows {
				t.Fatalf("%d records (stats %d), want %d", len(out), stats.Total, c.rows)
			}
			for i, p := range out {
				if p.Row.Num != i+1 {
					t.Errorf("record %d is row %d", i+1, p.Row.Num)
				}
				w, bad := c.invalid[p.Row.Num]
				if bad != !p.Valid() || (bad && !strings.Contains(p.Reason(), w)) {
					t.Errorf("row %d: %q, want %q", p.Row.Num, p.Reason(), w)
				}
				if bad && p.Record != nil {
					t.Errorf("row %d: a broken row has a record", p.Row.Num)
				}
			}
		})
	}
}

func TestPrepareStopsAtABrokenFile(t *testing.T) {
	var b strings.Builder
	b.WriteString("email\n")
	for i := 1; i <= 500; i++ {
		fmt.Fprintf(&b, "u%d@x.io\n", i)
	}
	b.WriteString("x\"y@x.io\nlast@x.io\n")
	out, stats, err := prepareAll(t, "in.csv", b.String(), emailMapping(), PrepareOptions{Workers: 2, ChunkSize: 64})
	var pe *ParseError
	if !errors.As(err, &pe) || pe.Line != 502 {
		t.Fatalf("error %v, want a ParseError on line 502", err)
	}
	if len(out) != 500 || stats.Total != 500 {
		t.Errorf("%d records before the error, want 500", len(out))
	}
}

// waitGoroutines waits for the goroutine count to come back to n.
func waitGoroutines(t *testing.T, n int) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for runtime.NumGoroutine() > n {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			t.Fatalf("%d goroutines, want %d:\n%s", runtime.NumGoroutine(), n, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func bigCSV(n int) string {
	var b strings.Builder
	b.WriteString("email\n")
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "u%d@x.io\n", i)
	}
	return b.String()
}

func TestPrepareCancelAndEmitError(t *testing.T) {
	data := bigCSV(20000)
	run := func(ctx context.Context, emit func(*Prepared) error) (int, error) {
		src := sourceOf(t, "in.csv", data, SourceOptions{})
		plan := planFor(t, emailMapping(), src.Columns(), true)
		n := 0
		_, err := Prepare(ctx, src, plan, PrepareOptions{Workers: 4, ChunkSize: 16}, func(p *Prepared) error {
			n++
			return emit(p)
		})
		return n, err
	}

	t.Run("cancel while emitting", func(t *testing.T) {
		defer waitGoroutines(t, runtime.NumGoroutine())
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		n, err := run(ctx, func(p *Prepared) error {
			if p.Row.Num == 100 {
				cancel()
			}
			return nil
		})
		if !errors.Is(err, context.Canceled) {
			t.Errorf("error %v, want context.Canceled", err)
		}
		if n >= 20000 {
			t.Errorf("emitted all %d records after the cancel", n)
		}
	})
	t.Run("cancelled before", func(t *testing.T) {
		defer waitGoroutines(t, runtime.NumGoroutine())
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := run(ctx, func(*Prepared) error { return nil })
		if !errors.Is(err, context.Canceled) {
			t.Errorf("error %v, want context.Canceled", err)
		}
	})
	t.Run("deadline", func(t *testing.T) {
		defer waitGoroutines(t, runtime.NumGoroutine())
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
		defer cancel()
		_, err := run(ctx, func(*Prepared) error { time.Sleep(100 * time.Microsecond); return nil })
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("error %v, want context.DeadlineExceeded", err)
		}
	})
	t.Run("emit error", func(t *testing.T) {
		defer waitGoroutines(t, runtime.NumGoroutine())
		stop := errors.New("disk full")
		n, err := run(context.Background(), func(p *Prepared) error {
			if p.Row.Num == 10 {
				return stop
			}
			return nil
		})
		if !errors.Is(err, stop) {
			t.Errorf("error %v, want the emit error", err)
		}
		if n != 10 {
			t.Errorf("emit called %d times, want 10", n)
		}
	})
}

// TestPrepareBoundedMemory: while one chunk is slow to map, the others must
// not pile up: the doc of Prepare promises that only a few chunks are in
// flight whatever the input size.
func TestPrepareBoundedMemory(t *testing.T) {
	defer waitGoroutines(t, runtime.NumGoroutine())
	transforms["zz_slow_row_50"] = transformSpec{doc: "test only", fn: func(v any, _ string, c *applyCtx) (any, error) {
		if c.row.Num == 50 {
			time.Sleep(300 * time.Millisecond)
		}
		return v, nil
	}}
	t.Cleanup(func() { delete(transforms, "zz_slow_row_50") })
	m := emailMapping()
	m.Set("custom_attributes.x", "email", T("zz_slow_row_50"))
	src := sourceOf(t, "in.csv", bigCSV(20000), SourceOptions{SampleSize: 1})
	plan := planFor(t, m, src.Columns(), true)
	var read atomic.Int64
	src.AddJoin("count", func(*Row) (any, bool) { read.Add(1); return nil, false })
	var ahead int64
	_, err := Prepare(context.Background(), src, plan, PrepareOptions{Workers: 2, ChunkSize: 10}, func(p *Prepared) error {
		if p.Row.Num == 50 {
			ahead = read.Load() - 50
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// todo and done hold 2*Workers chunks each, each worker one, the
	// reader one: 11 chunks of 10 rows.
	if ahead > 200 {
		t.Errorf("while row 50 was being mapped the reader read %d rows ahead: memory is not bounded", ahead)
	}
}

func TestPrepareStatsPasswords(t *testing.T) {
	h := bcryptHash(t, 4)
	m := emailMapping()
	m.Set("password.password_hash", "hash")
	data := "email,hash\n" +
		"a@x.io," + h + "\n" +
		"b@x.io,\"$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA\"\n" +
		"c@x.io,5f4dcc3b5aa765d61d8327deb882cf99\n" +
		"d@x.io,secret\n" +
		"e@x.io,\n"
	out, stats, err := prepareAll(t, "in.csv", data, m, PrepareOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if stats.PasswordsBcrypt != 1 || stats.PasswordsDropped != 2 || stats.PasswordsNotImportable != 2 || stats.Invalid != 1 {
		t.Errorf("stats %+v", stats)
	}
	if out[3].Valid() {
		t.Errorf("plaintext accepted")
	}
	b, _ := json.Marshal(stats)
	if !strings.Contains(string(b), `"with_bcrypt_password":1`) {
		t.Errorf("stats JSON %s", b)
	}
}

func TestReportWriter(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "users.report.csv")
	// A file that existed with wider permissions is narrowed.
	if err := os.WriteFile(path, []byte("old content that is longer than the new one\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	os.Chmod(path, 0o644)
	w, err := NewReportWriter(path)
	if err != nil {
		t.Fatal(err)
	}
	rows := []ReportRow{
		{Row: 1, Identifier: "a@x.io", Outcome: OutcomeInserted, UserID: "u-1", SourceID: "auth0|5f1"},
		{Row: 2, Identifier: "b,c@x.io", Outcome: OutcomeInvalid, Reason: `email is not an email address; name "x"`},
		{Row: 3, Identifier: "", Outcome: OutcomeFailed, Reason: "line 1\nline 2"},
	}
	for i := 4; i <= 2100; i++ { // more than a batch
		rows = append(rows, ReportRow{Row: i, Identifier: fmt.Sprintf("u%d@x.io", i), Outcome: OutcomeValid})
	}
	for _, r := range rows {
		if err := w.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	st, _ := os.Stat(path)
	if st.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", st.Mode().Perm())
	}
	b, _ := os.ReadFile(path)
	if !strings.HasPrefix(string(b), "row,identifier,outcome,user_id,reason,source_id\n1,a@x.io,inserted,u-1,,\"auth0|5f1\"\n2,\"b,c@x.io\",invalid,,\"email is not an email address; name \"\"x\"\"\",\n") {
		t.Errorf("report starts\n%s", b[:200])
	}
	if strings.Contains(string(b), "old content") {
		t.Error("old content kept")
	}
	if !strings.Contains(string(b), "\n3,,failed,,line 1\\nline 2,\n") {
		t.Errorf("a reason's newline is not escaped (one record, one line):\n%s", b[:300])
	}
	got, err := ReadReport(path)
	if err != nil {
		t.Fatal(err)
	}
	rows[2].Reason = `line 1\nline 2` // reads back as written: escaped
	if !reflect.DeepEqual(got, rows) {
		t.Errorf("ReadReport gives %d rows, first %+v", len(got), got[:3])
	}
	// An empty report is just the header.
	empty := filepath.Join(dir, "empty.csv")
	w, _ = NewReportWriter(empty)
	w.Close()
	if b, _ := os.ReadFile(empty); string(b) != "row,identifier,outcome,user_id,reason,source_id\n" {
		t.Errorf("empty report %q", b)
	}
	if _, err := NewReportWriter(filepath.Join(dir, "no", "such", "dir.csv")); err == nil {
		t.Error("report in a missing directory")
	}
}

func TestRetryWriter(t *testing.T) {
	dir := t.TempDir()
	if got := RetryPath(filepath.Join(dir, "users.report.csv"), FormatCSV); got != filepath.Join(dir, "users.retry.csv") {
		t.Errorf("RetryPath %s", got)
	}
	if got := RetryPath("out/users.report.csv", FormatJSON); got != "out/users.retry.json" {
		t.Errorf("RetryPath %s", got)
	}
	if got := RetryPath("report.txt", FormatNDJSON); got != "report.retry.ndjson" {
		t.Errorf("RetryPath %s", got)
	}

	retry := func(t *testing.T, name, data string, opts SourceOptions, reject func(*Row) bool) (string, int) {
		src := sourceOf(t, name, data, opts)
		path := filepath.Join(dir, "retry-"+strings.ReplaceAll(t.Name(), "/", "_"))
		os.WriteFile(path, []byte("stale"), 0o644)
		w := NewRetryWriter(path, src)
		rows, err := drain(t, src)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			if reject(r) {
				if err := w.Write(r); err != nil {
					t.Fatal(err)
				}
			}
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		if w.Path() != path {
			t.Errorf("Path %s", w.Path())
		}
		b, err := os.ReadFile(path)
		if errors.Is(err, os.ErrNotExist) {
			return "", w.Count()
		}
		st, _ := os.Stat(path)
		if st.Mode().Perm() != 0o600 {
			t.Errorf("mode %v, want 0600", st.Mode().Perm())
		}
		return string(b), w.Count()
	}
	t.Run("CSV keeps header and delimiter", func(t *testing.T) {
		data := "email;name;note\r\na@x.io;Ann;\"x;y\"\r\nbad;Bob;\"multi\nline\"\r\nc@x.io;Cy;z\r\n"
		got, n := retry(t, "in.csv", data, SourceOptions{}, func(r *Row) bool { return r.Fields[0] != "a@x.io" })
		want := "email;name;note\nbad;Bob;\"multi\nline\"\nc@x.io;Cy;z\n"
		if got != want || n != 2 {
			t.Errorf("retry file %q (%d), want %q", got, n, want)
		}
		// It loads back as the same rows.
		src := sourceOf(t, "retry.csv", got, SourceOptions{})
		rows, _ := drain(t, src)
		if src.Delimiter() != ';' || len(rows) != 2 || rows[0].Fields[2] != "multi\nline" {
			t.Errorf("reloaded: %q %q", src.Delimiter(), fieldsOf(rows))
		}
	})
	t.Run("headerless CSV stays headerless", func(t *testing.T) {
		got, _ := retry(t, "in.csv", "a@x.io,A\nb@x.io,B\n", SourceOptions{NoHeader: true, Columns: []string{"email", "name"}}, func(r *Row) bool { return r.Num == 2 })
		if got != "b@x.io,B\n" {
			t.Errorf("retry file %q", got)
		}
	})
	t.Run("ragged rows are written as they were", func(t *testing.T) {
		got, _ := retry(t, "in.csv", "email,name\na@x.io\nb@x.io,B\n", SourceOptions{}, func(r *Row) bool { return r.Err != nil })
		if got != "email,name\na@x.io\n" {
			t.Errorf("retry file %q", got)
		}
	})
	t.Run("JSON stays a JSON array, one raw record a line", func(t *testing.T) {
		data := "[\n  {\"email\": \"a@x.io\", \"n\": 1.50},\n  {\"email\": \"b@x.io\",\n   \"tags\": [\"<x>\"]}\n]"
		got, _ := retry(t, "in.json", data, SourceOptions{}, func(*Row) bool { return true })
		want := "[\n{\"email\": \"a@x.io\", \"n\": 1.50},\n{\"email\":\"b@x.io\",\"tags\":[\"<x>\"]}\n]\n"
		if got != want {
			t.Errorf("retry file %q, want %q", got, want)
		}
	})
	t.Run("NDJSON keeps broken lines", func(t *testing.T) {
		data := "{\"email\":\"a@x.io\"}\n{\"email\": \n{\"email\":\"c@x.io\"}\n"
		got, _ := retry(t, "in.ndjson", data, SourceOptions{}, func(r *Row) bool { return r.Num > 1 })
		if got != "{\"email\":\n{\"email\":\"c@x.io\"}\n" {
			t.Errorf("retry file %q", got)
		}
	})
	t.Run("nothing rejected removes a stale file", func(t *testing.T) {
		got, n := retry(t, "in.csv", "email\na@x.io\n", SourceOptions{}, func(*Row) bool { return false })
		if got != "" || n != 0 {
			t.Errorf("retry file %q", got)
		}
	})
}

func TestJSONRecordsWriter(t *testing.T) {
	dir := t.TempDir()
	h := bcryptHash(t, 4)
	m := emailMapping()
	m.Set("name", "name")
	m.Set("email_verified", "v")
	m.Set("roles", "roles")
	m.Set("password.password_hash", "hash")
	m.Set("custom_attributes.n", "n")
	out, _, err := prepareAll(t, "in.csv", "email,name,v,roles,hash,n\na@x.io,A <b> & c,true,\"x,y\","+h+",1.50\nb@x.io,,,,,\n", m, PrepareOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{0, 1, 2} {
		path := filepath.Join(dir, fmt.Sprintf("emit%d.json", n))
		os.WriteFile(path, []byte("old"), 0o644)
		w, err := NewJSONRecordsWriter(path, IdentifierEmail, n == 1)
		if err != nil {
			t.Fatal(err)
		}
		var records []*Record
		for _, p := range out[:n] {
			records = append(records, p.Record)
			if err := w.Write(p.Record); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		b, _ := os.ReadFile(path)
		if st, _ := os.Stat(path); st.Mode().Perm() != 0o600 {
			t.Errorf("mode %v", st.Mode().Perm())
		}
		var doc struct {
			Identifier string            `json:"identifier"`
			Upsert     bool              `json:"upsert"`
			Records    []json.RawMessage `json:"records"`
		}
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&doc); err != nil {
			t.Fatalf("%d records: not JSON: %v\n%s", n, err, b)
		}
		if doc.Identifier != "email" || doc.Upsert != (n == 1) || len(doc.Records) != n {
			t.Errorf("%d records: %s", n, b)
		}
		for i, raw := range doc.Records {
			want, _ := records[i].AppendJSON(nil)
			if !bytes.Equal(raw, want) {
				t.Errorf("record %d: %s, want %s", i, raw, want)
			}
			var back Record
			if err := json.Unmarshal(raw, &back); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(normalizeRecord(&back), normalizeRecord(records[i])) {
				t.Errorf("record %d does not decode to the same record", i)
			}
		}
		if n > 0 && !strings.Contains(string(b), `"A <b> & c"`) {
			t.Errorf("HTML escaped: %s", b)
		}
	}
}

// normalizeRecord makes custom attributes comparable after a JSON round trip.
func normalizeRecord(r *Record) *Record {
	c := *r
	if c.CustomAttributes != nil {
		b, _ := json.Marshal(c.CustomAttributes)
		var m map[string]any
		json.Unmarshal(b, &m)
		c.CustomAttributes = m
	}
	return &c
}

// benchCSV generates an export of n users with an email, a bcrypt hash,
// a phone, names and booleans; a few rows in a hundred are invalid.
func benchCSV(tb testing.TB, n int) []byte {
	hashes := make([]string, 8)
	for i := range hashes {
		hashes[i] = bcryptHash(tb, 4)
	}
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.Write([]string{"Email", "Password Hash", "Phone", "First Name", "Last Name", "Email Verified", "Disabled", "Roles", "Created At"})
	for i := 0; i < n; i++ {
		email := fmt.Sprintf("User.%d@Example.com", i)
		if i%100 == 42 {
			email = "not an email"
		}
		phone := fmt.Sprintf("+852 91%02d %04d", i/10000, i%10000)
		if i%3 == 0 {
			phone = ""
		}
		w.Write([]string{email, hashes[i%len(hashes)], phone, "First" + fmt.Sprint(i%50), "Last", []string{"true", "false", "1", "0", "yes"}[i%5], []string{"", "no", "yes"}[i%3], "member;viewer", fmt.Sprint(1600000000 + i)})
	}
	w.Flush()
	return b.Bytes()
}

func benchMapping() *Mapping {
	m := NewMapping(IdentifierEmail)
	m.Set("email", "Email")
	m.Set("password.password_hash", "Password Hash")
	m.Set("phone_number", "Phone")
	m.Set("given_name", "First Name")
	m.Set("family_name", "Last Name")
	m.Set("email_verified", "Email Verified", T("bool"))
	m.Set("disabled", "Disabled", T("bool"))
	m.Set("roles", "Roles", TA("split", ";"))
	m.Set("custom_attributes.created_at", "Created At", T("timestamp"))
	return m
}

// BenchmarkPrepareCSV loads, maps, validates and de-duplicates a 20,000-row
// CSV per op; ns/row and allocs/row are per input row.
func BenchmarkPrepareCSV(b *testing.B) {
	const rows = 20000
	data := benchCSV(b, rows)
	m := benchMapping()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	var ms0, ms1 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	for b.Loop() {
		src, err := NewSource(bytes.NewReader(data), "bench.csv", SourceOptions{})
		if err != nil {
			b.Fatal(err)
		}
		plan, err := CompileFor(m, src)
		if err != nil {
			b.Fatal(err)
		}
		stats, err := Prepare(context.Background(), src, plan, PrepareOptions{}, func(*Prepared) error { return nil })
		if err != nil || stats.Total != rows || stats.Invalid != rows/100 {
			b.Fatalf("%v %+v", err, stats)
		}
	}
	runtime.ReadMemStats(&ms1)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*rows), "ns/row")
	b.ReportMetric(float64(ms1.Mallocs-ms0.Mallocs)/float64(b.N*rows), "allocs/row")
}

// BenchmarkApply maps and validates one row at a time.
func BenchmarkApply(b *testing.B) {
	data := benchCSV(b, 1000)
	src, err := NewSource(bytes.NewReader(data), "bench.csv", SourceOptions{})
	if err != nil {
		b.Fatal(err)
	}
	plan, err := CompileFor(benchMapping(), src)
	if err != nil {
		b.Fatal(err)
	}
	rows, _ := drain(b, src)
	b.Run("csv", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			plan.Apply(rows[i%len(rows)])
		}
	})
	// The same users as JSON objects.
	var nd bytes.Buffer
	for _, r := range rows {
		obj := map[string]any{}
		for i, c := range src.Columns() {
			obj[c] = r.Fields[i]
		}
		json.NewEncoder(&nd).Encode(obj)
	}
	jsrc, _ := NewSource(&nd, "bench.ndjson", SourceOptions{})
	jplan, err := CompileFor(benchMapping(), jsrc)
	if err != nil {
		b.Fatal(err)
	}
	jrows, _ := drain(b, jsrc)
	b.Run("json", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			jplan.Apply(jrows[i%len(jrows)])
		}
	})
}
