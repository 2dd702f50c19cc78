package importer

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/authgear-migrate/authgear-migrate/bench/usergen"
	"github.com/authgear-migrate/authgear-migrate/importer/sandbox"
)

// undoFixture is a finished live import of 20 users into a sandbox.
type undoFixture struct {
	e       *liveEnv
	target  *Destination
	report  string
	journal string
	ids     map[int]string // row -> user id, as the report says
}

func importForUndo(t *testing.T) *undoFixture {
	t.Helper()
	e := startLive(t, sandbox.Options{LoginIDTypes: []string{"email", "phone"}})
	input, m := genInput(t, 20, usergen.Options{})
	dir := t.TempDir()
	f := &undoFixture{e: e, target: &Destination{API: e.api, Name: "sandbox", ID: "sandbox undo"},
		report: filepath.Join(dir, "users.report.csv"), ids: map[int]string{}}
	f.journal = DefaultJournal(f.report)
	s, err := Run(context.Background(), RunConfig{Mapping: m, MappingPath: "usergen.mapping.yaml", Input: input, Report: f.report,
		Target: f.target, Import: e.fastOptions(false)})
	if err != nil || s.Inserted != 20 {
		t.Fatalf("import: %v %+v", err, s.ImportSummary)
	}
	rows, err := ReadReport(f.report)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		f.ids[r.Row] = r.UserID
	}
	return f
}

// stranger imports, after the migration, users that are not the
// migration's (someone signing up), and returns their ids.
func (f *undoFixture) stranger(t *testing.T, n int) []string {
	t.Helper()
	input, m := genInput(t, n, usergen.Options{Start: 1000})
	rep := filepath.Join(t.TempDir(), "other.report.csv")
	s, err := Run(context.Background(), RunConfig{Mapping: m, MappingPath: "usergen.mapping.yaml", Input: input, Report: rep,
		Target: &Destination{API: f.e.api, ID: "sandbox other"}, Import: f.e.fastOptions(false)})
	if err != nil || s.Inserted != n {
		t.Fatalf("stranger: %v %+v", err, s.ImportSummary)
	}
	rows, _ := ReadReport(rep)
	var ids []string
	for _, r := range rows {
		ids = append(ids, r.UserID)
	}
	return ids
}

func (f *undoFixture) exists(id string) bool {
	for _, u := range f.e.sb.Users() {
		if u.ID == id {
			return true
		}
	}
	return false
}

// TestUndoDeletesOnlyJournaledUsers (issue 17 item 5): a report row edited
// to the id of a user who signed up after the migration began cannot make
// undo delete that user (today it does): the line says the journal names
// another user, that row's own user is not deleted either (the report no
// longer lists it), and every other user of the migration is deleted.
func TestUndoDeletesOnlyJournaledUsers(t *testing.T) {
	f := importForUndo(t)
	victim := f.stranger(t, 1)[0]
	own := f.ids[5]
	b, _ := os.ReadFile(f.report)
	os.WriteFile(f.report, bytes.Replace(b, []byte(own), []byte(victim), 1), 0o600)

	dry, err := Undo(context.Background(), UndoConfig{Report: f.report, API: f.e.api, Target: f.target.ID, DryRun: true})
	if err != nil || dry.Delete != 19 || dry.NotJournaled != 1 || dry.NotInReport != 1 {
		t.Fatalf("dry run: %v %+v", err, dry.UndoPlan)
	}
	s, err := Undo(context.Background(), UndoConfig{Report: f.report, API: f.e.api, Target: f.target.ID})
	if err != nil {
		t.Fatal(err)
	}
	if !f.exists(victim) {
		t.Fatal("undo deleted a user the journal does not name (the report was edited)")
	}
	if s.Deleted != 19 || s.NotJournaled != 1 || len(f.e.sb.Users()) != 2 {
		t.Fatalf("undo: %+v, %d users left", s, len(f.e.sb.Users()))
	}
	out, _ := os.ReadFile(s.Out)
	want := "5," + victim + "," + UndoNotJournaled + `,"the import's journal records user ` + own + " for row 5, not this one"
	if !strings.Contains(string(out), want) {
		t.Fatalf("undo report lacks %q:\n%s", want, out)
	}
}

// shiftJournal rewrites the import's journal as a client whose clock ran
// ahead by d would have written it; with server, each request line also
// gets the server's time ("st"), the true one; without, no line has it
// (a journal of an older version).
func shiftJournal(t *testing.T, path string, d time.Duration, server bool) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []byte
	for _, line := range bytes.Split(bytes.TrimSuffix(b, []byte("\n")), []byte("\n")) {
		var e map[string]any
		if err := json.Unmarshal(line, &e); err != nil {
			t.Fatal(err)
		}
		if at, ok := e["at"].(string); ok {
			tm, err := time.Parse(time.RFC3339Nano, at)
			if err != nil {
				t.Fatal(err)
			}
			e["at"] = tm.Add(d).Format(time.RFC3339Nano)
			if server && e["t"] == "req" {
				e["st"] = tm.UTC().Truncate(time.Second).Format(time.RFC3339)
			}
		}
		if !server {
			delete(e, "st") // a journal of a version that did not record it
		}
		nb, _ := json.Marshal(e)
		out = append(append(out, nb...), '\n')
	}
	if err := os.WriteFile(path, out, 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestUndoUsesServerClock (issue 17 item 5): the client's clock ran 60 s
// ahead of the server's during the import. Compared with the time this
// machine recorded, every user of the migration looks created before it
// and is kept (today); undo reads the server's time of the first request
// from the journal ("st"), or, for a journal without it, corrects the
// recorded time by the clock offset it measures now, and deletes them.
func TestUndoUsesServerClock(t *testing.T) {
	ahead := func() time.Time { return time.Now().Add(60 * time.Second) }
	for _, server := range []bool{true, false} {
		f := importForUndo(t)
		shiftJournal(t, f.journal, 60*time.Second, server)
		s, err := Undo(context.Background(), UndoConfig{Report: f.report, API: f.e.api, Target: f.target.ID, Now: ahead})
		if err != nil {
			t.Fatal(err)
		}
		wantBasis := ClockServer
		if !server {
			wantBasis = ClockLocalCorrected
		}
		if s.Deleted != 20 || s.Kept != 0 || s.Basis != wantBasis || len(f.e.sb.Users()) != 0 {
			t.Fatalf("server time in the journal %v: %+v, %d users left", server, s, len(f.e.sb.Users()))
		}
		if !server && (s.Skew > -59*time.Second || s.Skew < -61*time.Second) {
			t.Fatalf("skew %s, want about -60s", s.Skew)
		}
	}
	// A user created long before the first request is still kept, on the
	// server's clock.
	f := importForUndo(t)
	shiftJournal(t, f.journal, 60*time.Second, true)
	if err := f.e.sb.EditUser(f.ids[3], func(u sandbox.User) sandbox.User { u.CreatedAt = time.Now().Add(-time.Minute); return u }); err != nil {
		t.Fatal(err)
	}
	s, err := Undo(context.Background(), UndoConfig{Report: f.report, API: f.e.api, Target: f.target.ID, Now: ahead})
	if err != nil || s.Deleted != 19 || s.KeptBefore != 1 || !f.exists(f.ids[3]) {
		t.Fatalf("backdated user: %v %+v", err, s)
	}
}

// TestUndoKeepsItsList (issue 17 item 5): once users are deleted, neither
// a dry run nor a second undo (even one whose undo journal was lost)
// overwrites the list of ids deleted: today the dry run writes its
// "would be deleted" lines over REPORT.undo.csv, and a second undo's
// report says "already gone" for every user.
func TestUndoKeepsItsList(t *testing.T) {
	f := importForUndo(t)
	uc := UndoConfig{Report: f.report, API: f.e.api, Target: f.target.ID}
	first, err := Undo(context.Background(), uc)
	if err != nil || first.Deleted != 20 {
		t.Fatalf("undo: %v %+v", err, first)
	}
	list, _ := os.ReadFile(first.Out)
	if strings.Count(string(list), ","+UndoDeleted+",") != 20 {
		t.Fatalf("undo report:\n%s", list)
	}
	deletedIn := func(path string) int {
		b, _ := os.ReadFile(path)
		return strings.Count(string(b), ","+UndoDeleted+",")
	}

	uc.DryRun = true
	d, err := Undo(context.Background(), uc)
	if err != nil || d.Out == first.Out || d.EarlierDeleted != 20 || d.Delete != 0 {
		t.Fatalf("dry run: %v %+v", err, d)
	}
	if b, _ := os.ReadFile(first.Out); !bytes.Equal(b, list) {
		t.Fatalf("the dry run changed %s:\n%s", first.Out, b)
	}
	// A dry run told to write undo's report keeps its deletions.
	uc.Out = first.Out
	if _, err := Undo(context.Background(), uc); err != nil || deletedIn(first.Out) != 20 {
		t.Fatalf("dry run into undo's report: %v, %d deleted lines", err, deletedIn(first.Out))
	}
	uc.Out, uc.DryRun = "", false
	second, err := Undo(context.Background(), uc)
	if err != nil || second.EarlierDeleted != 20 || second.Deleted != 0 || second.AlreadyGone != 0 || deletedIn(second.Out) != 20 {
		t.Fatalf("second undo: %v %+v", err, second)
	}
	// Its journal lost, undo still keeps the list its report holds.
	if err := os.Remove(DefaultUndoJournal(f.report)); err != nil {
		t.Fatal(err)
	}
	third, err := Undo(context.Background(), uc)
	if err != nil || third.EarlierDeleted != 20 || deletedIn(third.Out) != 20 {
		t.Fatalf("undo without its journal: %v %+v", err, third)
	}
	// The journal is appended to, never started over.
	jb, _ := os.ReadFile(DefaultUndoJournal(f.report))
	if !bytes.HasPrefix(jb, []byte(`{"t":"start"`)) {
		t.Fatalf("undo journal:\n%s", jb)
	}
	// A file at --out that is not undo's report is not replaced.
	uc.Out = f.report
	if _, err := Undo(context.Background(), uc); err == nil {
		t.Fatal("undo wrote its report over the import's")
	}
}
