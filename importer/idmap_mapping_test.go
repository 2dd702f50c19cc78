package importer

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// TestSourceIDInTheMapping: source.id is read in its short and long
// forms, checked, compiled like a field's source (a CSV column the file
// lacks is refused), read as text (an ObjectId's value, a number as
// written, Auth0's "'"-prefixed CSV cell with its transform), and saved
// back by SaveMapping with the document's comments kept.
func TestSourceIDInTheMapping(t *testing.T) {
	m, err := ReadMapping(strings.NewReader("version: 1\nsource:\n  id: user_id\nidentifier: email\nfields:\n  email: email\n"), "m.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if m.SourceIDPath() != "user_id" {
		t.Fatalf("source.id %+v", m.Source.ID)
	}
	for _, bad := range []string{
		"source:\n  id: {value: 1}\n",
		"source:\n  id: {from: id, transforms: [nosuch]}\n",
		"source:\n  id: {from: id, invalid: drop}\n",
		"source:\n  id: {form: id}\n",
	} {
		if _, err := ReadMapping(strings.NewReader("version: 1\n"+bad+"identifier: email\nfields:\n  email: email\n"), "m.yaml"); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	if _, err := Compile(m, []string{"email"}, true); err == nil || !strings.Contains(err.Error(), "user_id") {
		t.Errorf("a source.id column the CSV lacks: %v", err)
	}

	// Read as text.
	for _, tc := range []struct{ in, spec, want string }{
		{`{"_id":{"$oid":"5f1d7c8e9a1b2c3d4e5f6a7b"},"email":"a@x.io"}`, "_id", "5f1d7c8e9a1b2c3d4e5f6a7b"},
		{`{"pk":12345678901234567,"email":"a@x.io"}`, "pk", "12345678901234567"},
		{`{"user_id":" auth0|abc ","email":"a@x.io"}`, "user_id", "auth0|abc"},
		{`{"user_id":{"a":1},"email":"a@x.io"}`, "user_id", ""},
		{`{"email":"a@x.io"}`, "user_id", ""},
	} {
		src, err := NewSource(strings.NewReader(tc.in+"\n"), "u.ndjson", SourceOptions{})
		if err != nil {
			t.Fatal(err)
		}
		mm := NewMapping(IdentifierEmail)
		mm.Set("email", "email")
		mm.Source.ID = &FieldSpec{From: tc.spec}
		plan, err := CompileFor(mm, src)
		if err != nil {
			t.Fatal(err)
		}
		row, err := src.Next()
		if err != nil {
			t.Fatal(err)
		}
		if got := plan.Apply(row).SourceID; got != tc.want {
			t.Errorf("%s ← %s: %q, want %q", tc.spec, tc.in, got, tc.want)
		}
		src.Close()
	}
	src, err := NewSource(strings.NewReader("user_id,email\n'auth0|5f1,a@x.io\n"), "u.csv", SourceOptions{})
	if err != nil {
		t.Fatal(err)
	}
	mm := NewMapping(IdentifierEmail)
	mm.Set("email", "email")
	mm.Source.ID = &FieldSpec{From: "user_id", Transforms: []Transform{TA("strip_prefix", "'"), T("trim")}}
	plan, err := CompileFor(mm, src)
	if err != nil {
		t.Fatal(err)
	}
	row, _ := src.Next()
	if got := plan.Apply(row).SourceID; got != "auth0|5f1" {
		t.Errorf("Auth0 CSV cell: %q", got)
	}
	src.Close()

	// Saved back: written, read again the same, comments kept.
	dir := t.TempDir()
	path := filepath.Join(dir, "users.mapping.yaml")
	doc := "# my notes\nversion: 1\nsource:\n  format: csv\nidentifier: email # the login\nfields:\n  email: email\n"
	os.WriteFile(path, []byte(doc), 0o644)
	d, err := ReadMappingDocument(path)
	if err != nil {
		t.Fatal(err)
	}
	d.Mapping.Source.ID = &FieldSpec{From: "user_id", Transforms: []Transform{TA("strip_prefix", "'")}}
	if _, err := SaveMapping(path, d.Mapping, d, false); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	if !strings.Contains(string(b), "# my notes") || !strings.Contains(string(b), "# the login") {
		t.Errorf("comments lost:\n%s", b)
	}
	back, err := ReadMappingFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back.Source.ID, d.Mapping.Source.ID) {
		t.Errorf("source.id read back %+v, want %+v:\n%s", back.Source.ID, d.Mapping.Source.ID, b)
	}
}

// TestOldReportsStillRead: a report written before the source_id column
// is still a report (Recognize, CheckFiles, the user-id check) and reads
// back with empty old ids; the id map is a kind of its own, never written
// over an export or a report.
func TestOldReportsStillRead(t *testing.T) {
	dir := t.TempDir()
	old := filepath.Join(dir, "old.report.csv")
	os.WriteFile(old, []byte("row,identifier,outcome,user_id,reason\n1,a@x,inserted,u-1,\n2,b@x,failed,,\"no, never\"\n"), 0o600)
	if k, err := Recognize(old); err != nil || k != KindReport {
		t.Errorf("an old report is %v (%v)", k, err)
	}
	if ids, err := ReportHoldsUserIDs(old); err != nil || !ids {
		t.Errorf("an old report's user ids: %v %v", ids, err)
	}
	rows, err := ReadReport(old)
	if err != nil {
		t.Fatal(err)
	}
	want := []ReportRow{{Row: 1, Identifier: "a@x", Outcome: OutcomeInserted, UserID: "u-1"}, {Row: 2, Identifier: "b@x", Outcome: OutcomeFailed, Reason: "no, never"}}
	if !reflect.DeepEqual(rows, want) {
		t.Errorf("old report read as %+v", rows)
	}
	// The new report keeps user_id in its place.
	cur := filepath.Join(dir, "new.report.csv")
	w, _ := NewReportWriter(cur)
	w.Write(ReportRow{Row: 1, Identifier: "a@x", Outcome: OutcomeInserted, UserID: "u-1", SourceID: "=1+2"})
	w.Close()
	if ids, err := ReportHoldsUserIDs(cur); err != nil || !ids {
		t.Errorf("a new report's user ids: %v %v", ids, err)
	}
	if b, _ := os.ReadFile(cur); !strings.HasSuffix(string(b), ",u-1,,'=1+2\n") {
		t.Errorf("source_id not last or not formula-escaped: %q", b)
	}

	// The id map: its own kind; formula-escaped cells read back as given.
	idm := filepath.Join(dir, "new.report.ids.csv")
	iw, err := NewIDMapWriter(idm)
	if err != nil {
		t.Fatal(err)
	}
	iw.Write(ReportRow{Row: 1, Identifier: "+14155550100", Outcome: OutcomeInserted, UserID: "u-1", SourceID: "-5"})
	iw.Write(ReportRow{Row: 2, Identifier: "b@x", Outcome: OutcomeSkipped, UserID: "u-2", SourceID: "s2"})
	iw.Write(ReportRow{Row: 3, Identifier: "c@x", Outcome: OutcomeFailed, SourceID: "s3"})
	iw.Write(ReportRow{Row: 4, Identifier: "d@x", Outcome: OutcomeUpdated, UserID: "u-4"})
	if err := iw.Close(); err != nil {
		t.Fatal(err)
	}
	if iw.Count() != 2 || iw.Missing() != 1 {
		t.Errorf("count %d missing %d", iw.Count(), iw.Missing())
	}
	b, _ := os.ReadFile(idm)
	if string(b) != "source_id,user_id,identifier\n'-5,u-1,'+14155550100\n,u-4,d@x\n" {
		t.Errorf("id map %q", b)
	}
	if st, _ := os.Stat(idm); st.Mode().Perm() != 0o600 {
		t.Errorf("mode %v", st.Mode().Perm())
	}
	lines, err := ReadIDMap(idm)
	if err != nil || !reflect.DeepEqual(lines, []IDMapLine{{"-5", "u-1", "+14155550100"}, {"", "u-4", "d@x"}}) {
		t.Errorf("read back %+v %v", lines, err)
	}
	if k, _ := Recognize(idm); k != KindIDMap {
		t.Errorf("the id map is %v", k)
	}
	out := func(p string) []Output { return []Output{{NamedPath{p, "the id map"}, KindIDMap, false}} }
	if err := CheckFiles(nil, out(idm)); err != nil {
		t.Errorf("an id map may replace an id map: %v", err)
	}
	var oe *OutputError
	if err := CheckFiles(nil, out(old)); !errors.As(err, &oe) {
		t.Errorf("an id map over a report: %v", err)
	}
	export := filepath.Join(dir, "users.csv")
	os.WriteFile(export, []byte("id,email\n1,a@x\n"), 0o600)
	if err := CheckFiles(nil, out(export)); !errors.As(err, &oe) {
		t.Errorf("an id map over an export: %v", err)
	}
	if err := CheckFiles([]NamedPath{{export, "the input"}}, out(export)); err == nil {
		t.Error("an id map over the input")
	}
}

// TestRunRefusesAnIDMapOverAnotherFile: a live run whose id map's place
// holds another kind of file (an export named so by hand) is refused
// before anything is written or sent.
func TestRunRefusesAnIDMapOverAnotherFile(t *testing.T) {
	dir := t.TempDir()
	input, mp, m := idInput(t, dir, 3)
	report := filepath.Join(dir, "users.report.csv")
	os.WriteFile(DefaultIDMap(report), []byte("email,name\na@x,A\n"), 0o600)
	e := startLive(t, sandboxOptionsEmail())
	_, err := Run(context.Background(), RunConfig{Mapping: m, MappingPath: mp, Input: input, Report: report,
		Target: &Destination{API: e.api, ID: "sandbox refuse"}, Import: e.fastOptions(false)})
	var re *RefusedError
	if !errors.As(err, &re) || !strings.Contains(err.Error(), "id map") {
		t.Fatalf("err = %v, want a refusal naming the id map", err)
	}
	if _, err := os.Lstat(report); err == nil {
		t.Error("the report was written")
	}
	if b, _ := os.ReadFile(DefaultIDMap(report)); string(b) != "email,name\na@x,A\n" {
		t.Errorf("the file was changed: %q", b)
	}
	if st := e.sb.Stats(); st.ImportPOSTs != 0 {
		t.Errorf("%d requests sent", st.ImportPOSTs)
	}
}

// TestMissingSourceIDPath: a source.id path that no sampled record has is
// a warning (the run goes on), named as source.id with the closest path.
func TestMissingSourceIDPath(t *testing.T) {
	src, err := NewSource(strings.NewReader(`{"userId":"a1","email":"a@x.io"}`+"\n"), "u.ndjson", SourceOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	m := NewMapping(IdentifierEmail)
	m.Set("email", "email")
	m.Source.ID = &FieldSpec{From: "userid"}
	warnings, err := CheckMappedPaths(src, m)
	if err != nil {
		t.Fatal(err)
	}
	if len(warnings) != 1 || !strings.HasPrefix(warnings[0], `source.id reads "userid", which none of the 1 sampled records has (the closest path they have: "userId")`) ||
		!strings.Contains(warnings[0], "no user's old id would be in the report or the id map") {
		t.Errorf("warnings %q", warnings)
	}
}

// TestKeepSourceIDOfAnObjectID: the old id kept as a custom attribute is
// sent as the ObjectId's value, not as the {"$oid": ...} wrapper of the
// export (before, the wrapper object was sent).
func TestKeepSourceIDOfAnObjectID(t *testing.T) {
	src, err := NewSource(strings.NewReader(`{"_id":{"$oid":"5f1d7c8e9a1b2c3d4e5f6a7b"},"email":"a@x.io","pk":{"$numberLong":"12"}}`+"\n"), "m.ndjson", SourceOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	m := NewMapping(IdentifierEmail)
	m.Set("email", "email")
	m.Source.ID = &FieldSpec{From: "_id"}
	if err := m.KeepSourceID("legacy_id"); err != nil {
		t.Fatal(err)
	}
	m.Set("custom_attributes.n", "pk")
	plan, err := CompileFor(m, src)
	if err != nil {
		t.Fatal(err)
	}
	row, _ := src.Next()
	p := plan.Apply(row)
	b, _ := p.Record.AppendJSON(nil)
	if want := `"custom_attributes":{"legacy_id":"5f1d7c8e9a1b2c3d4e5f6a7b","n":12}`; !strings.Contains(string(b), want) || p.SourceID != "5f1d7c8e9a1b2c3d4e5f6a7b" {
		t.Errorf("record %s (old id %q), want %s", b, p.SourceID, want)
	}
}
