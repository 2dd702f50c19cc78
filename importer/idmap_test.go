package importer

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authgear-migrate/authgear-migrate/importer/sandbox"
)

// The old ids, read from an export the plain way (encoding/csv and
// encoding/json, not the engine's paths), by record number: what the id
// map must name.

// csvIDs reads column col of a CSV export (BOM, delimiter).
func csvIDs(t *testing.T, path string, delim rune, col string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	r := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(b, []byte("\ufeff"))))
	r.Comma = delim
	recs, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	at := -1
	for i, c := range recs[0] {
		if c == col {
			at = i
		}
	}
	if at < 0 {
		t.Fatalf("%s has no column %q", path, col)
	}
	var out []string
	for _, rec := range recs[1:] {
		out = append(out, rec[at])
	}
	return out
}

// jsonIDs reads key of each object of the array under arrayKey ("" for a
// top-level array), or of each NDJSON line.
func jsonIDs(t *testing.T, path, arrayKey, key string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var objs []map[string]any
	switch {
	case strings.HasSuffix(path, ".ndjson"):
		sc := bufio.NewScanner(bytes.NewReader(b))
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			if len(bytes.TrimSpace(sc.Bytes())) == 0 {
				continue
			}
			var o map[string]any
			if err := json.Unmarshal(sc.Bytes(), &o); err != nil {
				t.Fatal(err)
			}
			objs = append(objs, o)
		}
	case arrayKey != "":
		var doc map[string]json.RawMessage
		if err := json.Unmarshal(b, &doc); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(doc[arrayKey], &objs); err != nil {
			t.Fatal(err)
		}
	default:
		if err := json.Unmarshal(b, &objs); err != nil {
			t.Fatal(err)
		}
	}
	var out []string
	for _, o := range objs {
		switch v := o[key].(type) {
		case string:
			out = append(out, v)
		case float64:
			out = append(out, strconv.FormatFloat(v, 'f', -1, 64))
		default:
			out = append(out, "")
		}
	}
	return out
}

// TestIDMapOfFixtures imports each fixture into the sandbox with the
// mapping map suggests, and checks that the id map names every imported
// user's old id as the export holds it, and the report every record's
// (issue 16 item 4). Before source.id, no id map was written.
func TestIDMapOfFixtures(t *testing.T) {
	fx := fixturesDir(t)
	presets := filepath.Join("testdata", "presets")
	exports := filepath.Join("testdata", "exports")
	tests := []struct {
		name, file, passwords string
		wantPath              string // the mapping's source.id
		ids                   func(t *testing.T, path string) []string
	}{
		{"auth0", filepath.Join(fx, "auth0-users.ndjson"), filepath.Join(fx, "auth0-password-hashes.ndjson"), "user_id",
			func(t *testing.T, p string) []string { return jsonIDs(t, p, "", "user_id") }},
		{"firebase", filepath.Join(fx, "firebase-auth-export.json"), "", "localId",
			func(t *testing.T, p string) []string { return jsonIDs(t, p, "users", "localId") }},
		{"supabase", filepath.Join(fx, "supabase-auth-users.csv"), "", "id",
			func(t *testing.T, p string) []string { return csvIDs(t, p, ',', "id") }},
		{"clerk", filepath.Join(fx, "clerk-export.csv"), "", "id",
			func(t *testing.T, p string) []string { return csvIDs(t, p, ',', "id") }},
		{"cognito", filepath.Join(fx, "cognito-users.csv"), "", "cognito:username",
			func(t *testing.T, p string) []string { return csvIDs(t, p, ',', "cognito:username") }},
		{"keycloak", filepath.Join(fx, "keycloak-realm-export.json"), "", "id",
			func(t *testing.T, p string) []string { return jsonIDs(t, p, "users", "id") }},
		{"in-house", filepath.Join(fx, "inhouse-users.csv"), "", "Member ID",
			func(t *testing.T, p string) []string { return csvIDs(t, p, ';', "Member ID") }},
		{"django", filepath.Join(presets, "django-auth-user.csv"), "", "id",
			func(t *testing.T, p string) []string { return csvIDs(t, p, ',', "id") }},
		{"django fixture", filepath.Join(exports, "django-dumpdata.json"), "", "pk",
			func(t *testing.T, p string) []string { return jsonIDs(t, p, "", "pk") }},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// A sandbox of its own: the fixtures share their people.
			e := startLive(t, sandbox.Options{LoginIDTypes: []string{"email", "phone", "username"}})
			src, err := Open(tc.file, SourceOptions{})
			if err != nil {
				t.Fatal(err)
			}
			m, _, err := SuggestMapping(src, SuggestOptions{Passwords: tc.passwords})
			src.Close()
			if err != nil {
				t.Fatal(err)
			}
			if got := m.SourceIDPath(); got != tc.wantPath {
				t.Fatalf("source.id %q, want %q", got, tc.wantPath)
			}
			// The sandbox defines no role or group.
			delete(m.Fields, "roles")
			delete(m.Fields, "groups")
			dir := t.TempDir()
			mp := filepath.Join(dir, "m.yaml")
			if err := m.WriteFile(mp); err != nil {
				t.Fatal(err)
			}
			report := filepath.Join(dir, "users.report.csv")
			s, err := Run(context.Background(), RunConfig{Mapping: m, MappingPath: mp, Input: tc.file, Passwords: tc.passwords, Report: report,
				Target: &Destination{API: e.api, ID: "sandbox ids " + strconv.Itoa(i)}, Import: e.fastOptions(false)})
			if err != nil {
				t.Fatal(err)
			}
			want := tc.ids(t, tc.file)
			rows, err := ReadReport(report)
			if err != nil {
				t.Fatal(err)
			}
			imported := map[string]ReportRow{} // user id → line
			for _, r := range rows {
				if r.Row < 1 || r.Row > len(want) {
					t.Fatalf("report row %d of %d records", r.Row, len(want))
				}
				if r.Outcome != OutcomeNotUser && r.SourceID != want[r.Row-1] {
					t.Errorf("report row %d (%s): source_id %q, want %q", r.Row, r.Outcome, r.SourceID, want[r.Row-1])
				}
				if r.Imported() {
					imported[r.UserID] = r
				}
			}
			if len(imported) == 0 || len(imported) != s.Inserted+s.Updated {
				t.Fatalf("%d users imported (summary: %d inserted, %d updated)", len(imported), s.Inserted, s.Updated)
			}
			if s.IDMap != DefaultIDMap(report) || s.IDMapped != len(imported) || s.IDMapMissing != 0 {
				t.Errorf("summary: id map %q, %d users, %d without an old id", s.IDMap, s.IDMapped, s.IDMapMissing)
			}
			st, err := os.Stat(s.IDMap)
			if err != nil {
				t.Fatal(err)
			}
			if st.Mode().Perm() != 0o600 {
				t.Errorf("id map mode %v, want 0600", st.Mode().Perm())
			}
			lines, err := ReadIDMap(s.IDMap)
			if err != nil {
				t.Fatal(err)
			}
			if len(lines) != len(imported) {
				t.Errorf("%d lines in the id map for %d users imported", len(lines), len(imported))
			}
			for _, l := range lines {
				r, ok := imported[l.UserID]
				if !ok {
					t.Errorf("id map line %+v: no such user imported", l)
					continue
				}
				if l.SourceID == "" || l.SourceID != want[r.Row-1] || l.Identifier != r.Identifier {
					t.Errorf("id map line %+v, want source id %q of row %d, identifier %q", l, want[r.Row-1], r.Row, r.Identifier)
				}
				delete(imported, l.UserID)
			}
			for id, r := range imported {
				t.Errorf("user %s (row %d) is not in the id map", id, r.Row)
			}
		})
	}
}

// idInput writes n records "old-<i>,u<i>@example.com" and a mapping that
// names id as the old id.
func idInput(t *testing.T, dir string, n int) (string, string, *Mapping) {
	t.Helper()
	var b strings.Builder
	b.WriteString("id,email\n")
	for i := 1; i <= n; i++ {
		b.WriteString("old-" + strconv.Itoa(i) + ",u" + strconv.Itoa(i) + "@example.com\n")
	}
	input := filepath.Join(dir, "users.csv")
	if err := os.WriteFile(input, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	mp := filepath.Join(dir, "users.mapping.yaml")
	if err := os.WriteFile(mp, []byte("version: 1\nsource:\n  id: id\nidentifier: email\nfields:\n  email: {from: email}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	m, err := ReadMappingFile(mp)
	if err != nil {
		t.Fatal(err)
	}
	return input, mp, m
}

// checkIDMap checks that the id map at path lists exactly the users the
// report at report imported, each with the old id of its row
// ("old-<row>"); with path "", only the report's source_id.
func checkIDMap(t *testing.T, report, path string) int {
	t.Helper()
	rows, err := ReadReport(report)
	if err != nil {
		t.Fatal(err)
	}
	byUser := map[string]ReportRow{}
	for _, r := range rows {
		if want := "old-" + strconv.Itoa(r.Row); r.SourceID != want {
			t.Errorf("report row %d (%s): source_id %q, want %q", r.Row, r.Outcome, r.SourceID, want)
		}
		if r.Imported() {
			byUser[r.UserID] = r
		}
	}
	if path == "" {
		return 0
	}
	lines, err := ReadIDMap(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(lines) != len(byUser) {
		t.Errorf("%d lines in the id map, %d users imported", len(lines), len(byUser))
	}
	for _, l := range lines {
		r, ok := byUser[l.UserID]
		if !ok || l.SourceID != "old-"+strconv.Itoa(r.Row) || l.Identifier != r.Identifier {
			t.Errorf("id map line %+v; the report says %+v", l, r)
		}
	}
	return len(lines)
}

// TestIDMapAfterResume interrupts a live import with jobs in flight, then
// runs it again: the resumed run reports the earlier run's outcomes and
// reads its jobs from the journal, and its id map still names every user
// imported, with the old id of each (the journal keeps them). A third run
// of the finished import writes the same complete map. A dry run writes no
// id map.
func TestIDMapAfterResume(t *testing.T) {
	const n = 1500
	dir := t.TempDir()
	input, mp, m := idInput(t, dir, n)
	e := startLive(t, sandbox.Options{Rate: 5000, LoginIDTypes: []string{"email"}})
	report := filepath.Join(dir, "users.report.csv")
	cfg := RunConfig{Mapping: m, MappingPath: mp, Input: input, Report: report,
		Target: &Destination{API: e.api, ID: "sandbox resume ids"}, Import: e.fastOptions(true)}

	// A dry run: the report's source_id, no id map.
	dry := cfg
	dry.Target, dry.Report = nil, filepath.Join(dir, "dry.report.csv")
	dry.DryRun = true
	s, err := Run(context.Background(), dry)
	if err != nil {
		t.Fatal(err)
	}
	if s.IDMap != "" {
		t.Errorf("a dry run names an id map: %q", s.IDMap)
	}
	if _, err := os.Lstat(DefaultIDMap(dry.Report)); err == nil {
		t.Error("a dry run wrote an id map")
	}
	checkIDMap(t, dry.Report, "") // the report's source_id

	// The first run is interrupted with a job the server accepted and has
	// not done (its worker paused): the resume reads that job, whose rows'
	// old ids come from the journal's request line.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	first := cfg
	first.Concurrency = 1
	first.Import.Grace = 50 * time.Millisecond
	var paused atomic.Bool
	first.Events = func(ev Event) {
		im, ok := ev.(Importing)
		if !ok {
			return
		}
		if p := im.Progress; p.Done >= 10 && paused.CompareAndSwap(false, true) {
			e.sb.Pause()
		}
		if p := im.Progress; paused.Load() && p.InFlight > 0 && p.Sent > 10 {
			cancel()
		}
	}
	s, err = Run(ctx, first)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("the first run: %v, want interrupted", err)
	}
	if s.Inserted == 0 || s.Inserted == n {
		t.Fatalf("the first run inserted %d of %d: no resume to test", s.Inserted, n)
	}
	if got := checkIDMap(t, report, s.IDMap); got != s.Inserted {
		t.Errorf("the interrupted run's id map lists %d users, it inserted %d", got, s.Inserted)
	}
	if r, _, err := readJournal(DefaultJournal(report)); err != nil || len(r.accepted) == 0 {
		t.Fatalf("the interrupted run left no job to read (%v)", err)
	}
	e.sb.Resume()

	s, err = Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if s.Resumed == 0 {
		t.Fatal("nothing came from the journal")
	}
	if got := checkIDMap(t, report, s.IDMap); got != n || s.IDMapped != n {
		t.Errorf("the resumed run's id map lists %d users (summary %d), want %d", got, s.IDMapped, n)
	}

	// The same import again, finished: it continues from the journal.
	s, err = Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if got := checkIDMap(t, report, s.IDMap); got != n {
		t.Errorf("the continued run's id map lists %d users, want %d", got, n)
	}
}

func sandboxOptionsEmail() sandbox.Options { return sandbox.Options{LoginIDTypes: []string{"email"}} }

// TestOldJournalStillResumes: a journal of an older version (results of
// five cells, requests without old ids) is read as before: its outcomes
// come back with no old id.
func TestOldJournalStillResumes(t *testing.T) {
	dir := t.TempDir()
	input, _, m := idInput(t, dir, 3)
	jpath := filepath.Join(dir, "users.report.journal")
	j := openTestJournal(t, jpath, input, m)
	if err := j.Request(1, []int{1, 2}, "u1@example.com", "u2@example.com"); err != nil {
		t.Fatal(err)
	}
	if err := j.Result(1, []ReportRow{{Row: 1, Outcome: OutcomeInserted, UserID: "id-1", Identifier: "u1@example.com"},
		{Row: 2, Outcome: OutcomeInserted, UserID: "id-2", Identifier: "u2@example.com"}}); err != nil {
		t.Fatal(err)
	}
	j.Close()
	b, _ := os.ReadFile(jpath)
	old := bytes.ReplaceAll(b, []byte(`,""]`), []byte("]"))
	if bytes.Equal(old, b) {
		t.Fatalf("no result of six cells in %s", b)
	}
	os.WriteFile(jpath, old, 0o600)
	j = openTestJournal(t, jpath, input, m)
	defer j.Close()
	if j.Resume() == nil || j.Resume().Settled() != 2 {
		t.Fatalf("the old journal does not resume: %+v", j.Resume())
	}
	var got []ReportRow
	if err := j.eachResult(func(r ReportRow) error { got = append(got, r); return nil }); err != nil {
		t.Fatal(err)
	}
	want := []ReportRow{{Row: 1, Outcome: OutcomeInserted, UserID: "id-1", Identifier: "u1@example.com"},
		{Row: 2, Outcome: OutcomeInserted, UserID: "id-2", Identifier: "u2@example.com"}}
	if len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("outcomes %+v, want %+v", got, want)
	}
}

// TestOldReportOfALiveImport: the report of a live import written before
// the source_id column (the same lines without it) is still read by
// verify and undo, and the same import run again continues it: its report
// is rewritten with the column and its id map is complete.
func TestOldReportOfALiveImport(t *testing.T) {
	const n = 20
	dir := t.TempDir()
	input, mp, m := idInput(t, dir, n)
	e := startLive(t, sandboxOptionsEmail())
	report := filepath.Join(dir, "users.report.csv")
	target := &Destination{API: e.api, ID: "sandbox old report"}
	cfg := RunConfig{Mapping: m, MappingPath: mp, Input: input, Report: report, Target: target, Import: e.fastOptions(false)}
	if s, err := Run(context.Background(), cfg); err != nil || s.Inserted != n {
		t.Fatalf("import: %+v %v", s, err)
	}
	// The report as an older version wrote it.
	f, _ := os.Open(report)
	recs, err := csv.NewReader(f).ReadAll()
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	for _, r := range recs {
		w.Write(r[:5])
	}
	w.Flush()
	if !strings.HasPrefix(b.String(), "row,identifier,outcome,user_id,reason\n") {
		t.Fatalf("old report %q", b.String())
	}
	os.WriteFile(report, b.Bytes(), 0o600)
	os.Remove(DefaultIDMap(report))

	v, err := Verify(context.Background(), VerifyConfig{Mapping: m, MappingPath: mp, Input: input, Report: report, API: e.api, All: true})
	if err != nil || v.Eligible != n || v.Checked != n || v.Differ != 0 {
		t.Errorf("verify over the old report: %+v %v", v, err)
	}
	u, err := Undo(context.Background(), UndoConfig{Report: report, API: e.api, Target: target.ID, DryRun: true})
	if err != nil || u.Inserted != n || u.Delete != n {
		t.Errorf("undo's dry run over the old report: %+v %v", u, err)
	}
	s, err := Run(context.Background(), cfg)
	if err != nil || s.Inserted != n {
		t.Fatalf("the import continued: %+v %v", s, err)
	}
	if got := checkIDMap(t, report, s.IDMap); got != n {
		t.Errorf("the continued import's id map lists %d users, want %d", got, n)
	}
}
