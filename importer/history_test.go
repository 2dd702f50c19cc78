package importer

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/authgear-migrate/authgear-migrate/bench/usergen"
	"github.com/authgear-migrate/authgear-migrate/importer/adminapi"
	"github.com/authgear-migrate/authgear-migrate/importer/sandbox"
)

// noEchoAPI drops the records a job's details echo, as a real server
// does for the records it imported: only the journal can then name them.
type noEchoAPI struct{ ImportAPI }

func (a noEchoAPI) GetImport(ctx context.Context, id string) (*adminapi.Job, error) {
	job, err := a.ImportAPI.GetImport(ctx, id)
	if job != nil {
		for i := range job.Details {
			job.Details[i].Record = nil
		}
	}
	return job, err
}

// TestResumedJobRowsCarryTheirIdentifier (issue 17 item 16): the rows of
// a job an interrupted run left in flight, read by the resume, carry their
// identifier in the report (the request's journal line keeps them). Before,
// a server that echoes no record left them empty (500 rows of a real run).
func TestResumedJobRowsCarryTheirIdentifier(t *testing.T) {
	const n = 600
	e := startLive(t, sandbox.Options{LoginIDTypes: []string{"email", "phone"}})
	path, m := genInput(t, n, usergen.Options{Seed: 23})
	jpath := filepath.Join(t.TempDir(), "users.journal")
	interruptAfterCanary(t, e, jpath, path, m)
	e.sb.Resume()
	j := openTestJournal(t, jpath, path, m)
	if r := j.Resume(); r == nil || len(r.accepted) == 0 {
		t.Fatal("the interrupted run left no job to read")
	}
	o := e.fastOptions(true)
	o.API, o.Lookup = noEchoAPI{e.api}, e.api
	o.Journal = j
	second := runImport(t, context.Background(), path, m, o, nil)
	j.Close()
	if second.err != nil {
		t.Fatal(second.err)
	}
	for row, r := range checkComplete(t, second, n) {
		if r.Identifier == "" {
			t.Errorf("row %d has no identifier: %+v", row, r)
		}
	}
}

// TestContinuedJournalKeepsSuccessesOnly: a finished run's successes keep
// their outcome and id; its failures and unsent records are sent again; a
// failure of the unfinished run a journal ends with is kept (a resume);
// a row sent again reports its latest outcome only, once; the canary's
// outcomes are not kept after a canary stop; and the first request's time
// is the first run's.
func TestContinuedJournalKeepsSuccessesOnly(t *testing.T) {
	path := filepath.Join(t.TempDir(), "j")
	fp := testFingerprint("in", "map")
	fp.Target = "t"
	j, err := OpenJournal(path, fp, false)
	if err != nil {
		t.Fatal(err)
	}
	j.Request(1, rowsRange(1, 4), "a", "b", "c", "d")
	j.Accepted(1, "job1")
	j.Result(1, []ReportRow{{Row: 1, Outcome: OutcomeInserted, UserID: "u1", Identifier: "a"}, {Row: 2, Outcome: OutcomeFailed, Identifier: "b"},
		{Row: 3, Outcome: OutcomeSkipped, UserID: "u3", Identifier: "c"}, {Row: 4, Outcome: OutcomeFailed, Identifier: "d"}})
	j.Request(2, rowsRange(5, 6))
	j.Unsent(2)
	j.End()
	j.Close()
	info1, err := ReadJournalInfo(path)
	if err != nil {
		t.Fatal(err)
	}

	// Run 2: rows 2 and 4 sent again; 2 inserted, 4 fails again; the
	// run stops before rows 5 and 6.
	j, err = OpenJournal(path, fp, false)
	if err != nil {
		t.Fatal(err)
	}
	if r := j.Resume(); r == nil || r.Settled() != 2 || !r.kept.has(1) || !r.kept.has(3) || r.kept.has(2) || r.kept.has(5) || !r.CanaryDue() {
		t.Fatalf("after run 1: %+v", j.Resume())
	}
	j.Request(3, []int{2, 4}, "b", "d")
	j.Accepted(3, "job3")
	j.Result(3, []ReportRow{{Row: 2, Outcome: OutcomeInserted, UserID: "u2", Identifier: "b"}, {Row: 4, Outcome: OutcomeFailed, Reason: "again", Identifier: "d"}})
	j.Close()

	// Run 3 resumes run 2: its failure (row 4) is kept, rows 5 and 6 are
	// sent; each kept row is reported once, with its latest outcome.
	j, err = OpenJournal(path, fp, false)
	if err != nil {
		t.Fatal(err)
	}
	r := j.Resume()
	if r == nil || r.Settled() != 4 || r.CanaryDue() || r.kept.has(5) || r.ids != 3 {
		t.Fatalf("after run 2: %+v", r)
	}
	got := map[int]string{}
	if err := j.eachResult(func(rr ReportRow) error {
		if _, dup := got[rr.Row]; dup {
			t.Errorf("row %d reported twice", rr.Row)
		}
		got[rr.Row] = string(rr.Outcome) + " " + rr.UserID + " " + rr.Identifier
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	want := map[int]string{1: "inserted u1 a", 2: "inserted u2 b", 3: "skipped u3 c", 4: "failed  d"}
	for row, w := range want {
		if got[row] != w {
			t.Errorf("row %d: %q, want %q", row, got[row], w)
		}
	}
	if len(got) != len(want) {
		t.Errorf("reported %v", got)
	}
	j.End()
	j.Close()
	// A later run whose canary stops it: the canary's outcomes are not
	// kept, the earlier successes are.
	j, err = OpenJournal(path, fp, false)
	if err != nil {
		t.Fatal(err)
	}
	j.Request(4, []int{5, 6}, "e", "f")
	j.Accepted(4, "job4")
	j.Result(4, []ReportRow{{Row: 5, Outcome: OutcomeInserted, UserID: "u5"}, {Row: 6, Outcome: OutcomeFailed}})
	j.EndCanary()
	j.Close()
	j, err = OpenJournal(path, fp, false)
	if err != nil {
		t.Fatal(err)
	}
	if r := j.Resume(); r.kept.has(5) || r.kept.has(6) || r.kept.has(4) || !r.kept.has(1) || !r.kept.has(2) || !r.kept.has(3) || !r.CanaryDue() {
		t.Errorf("after a canary stop: %+v", r)
	}
	j.Close()
	info, err := ReadJournalInfo(path)
	if err != nil {
		t.Fatal(err)
	}
	if !info.FirstRequest.Equal(info1.FirstRequest) || info.Ended {
		t.Errorf("the first request moved or the continued run is taken as ended: %+v, was %+v", info, info1)
	}
}

// TestJournalRefusals: a journal of another target, input or mapping that
// holds user ids is refused even once finished (it was started over
// before); restart over user ids is refused; one without ids that is
// finished is started over.
func TestJournalRefusals(t *testing.T) {
	dir := t.TempDir()
	fp := testFingerprint("in", "map")
	fp.Target = "t"
	write := func(name string, ids bool) string {
		path := filepath.Join(dir, name)
		j, err := OpenJournal(path, fp, false)
		if err != nil {
			t.Fatal(err)
		}
		j.Request(1, []int{1})
		row := ReportRow{Row: 1, Outcome: OutcomeFailed}
		if ids {
			row = ReportRow{Row: 1, Outcome: OutcomeInserted, UserID: "u1"}
		}
		j.Result(1, []ReportRow{row})
		j.End()
		j.Close()
		return path
	}
	withIDs := write("ids", true)
	other := func(f func(*Fingerprint)) Fingerprint { o := fp; f(&o); return o }
	for _, tc := range []struct {
		fp      Fingerprint
		restart bool
		reason  HistoryReason
	}{
		{other(func(f *Fingerprint) { f.Target = "t2" }), false, OtherTarget},
		{other(func(f *Fingerprint) { f.Input = "in2" }), false, OtherInput},
		{other(func(f *Fingerprint) { f.Mapping = "map2" }), false, OtherMapping},
		{other(func(f *Fingerprint) { f.Target = "t2" }), true, OtherTarget},
		{fp, true, RestartWouldLose},
	} {
		before, _ := os.ReadFile(withIDs)
		_, err := OpenJournal(withIDs, tc.fp, tc.restart)
		var he *HistoryError
		if !errors.As(err, &he) || he.Reason != tc.reason || he.Restartable || he.UserIDs != 1 {
			t.Errorf("%+v restart %v: %v", tc.fp, tc.restart, err)
		}
		if after, _ := os.ReadFile(withIDs); string(after) != string(before) {
			t.Errorf("%+v: a refusal changed the journal", tc.fp)
		}
	}
	noIDs := write("noids", false)
	j, err := OpenJournal(noIDs, other(func(f *Fingerprint) { f.Target = "t2" }), false)
	if err != nil {
		t.Fatalf("a finished journal without user ids: %v", err)
	}
	j.Close()
	if b, _ := os.ReadFile(noIDs); strings.Count(string(b), "\n") != 1 {
		t.Errorf("not started over:\n%s", b)
	}
}

// TestJournalNeverFollowsALink (issue 17 item 10): a link planted at the
// journal's place, or at its place between the check and the open, is
// never written through.
func TestJournalNeverFollowsALink(t *testing.T) {
	dir := t.TempDir()
	victim := filepath.Join(dir, "victim")
	if err := os.WriteFile(victim, []byte("precious\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "j")
	if err := os.Symlink(victim, link); err != nil {
		t.Skip("no symbolic links here:", err)
	}
	if _, err := OpenJournal(link, testFingerprint("in", "map"), false); err == nil {
		t.Error("a journal was opened through a link")
	}
	// The open itself (after the checks) refuses the link.
	if j, err := openJournalState(link, testFingerprint("in", "map"), nil); err == nil {
		j.Close()
		t.Error("openJournalState followed a link")
	}
	if b, _ := os.ReadFile(victim); string(b) != "precious\n" {
		t.Errorf("the link's target was written: %q", b)
	}
}

// TestRecognize: every kind of file this program writes is recognised by
// its content, whatever its name, and CheckFiles lets an output replace
// only its own kind.
func TestRecognize(t *testing.T) {
	dir := t.TempDir()
	files := map[string]struct {
		text string
		kind FileKind
	}{
		"a":  {"row,identifier,outcome,user_id,reason\n1,a@x,inserted,2ada7974-faf5-4b10-87b9-4d96d97b8d9d,\n", KindReport},
		"b":  {`{"t":"start","fp":{"input":"x","mapping":"y","size":1,"name":"in"}}` + "\n", KindJournal},
		"c":  {"row,user_id,field,sent,stored\n", KindVerifyReport},
		"d":  {"row,user_id,outcome,reason\n", KindUndoReport},
		"e":  {`{"t":"start","report":"abc","target":"t"}` + "\n", KindUndoJournal},
		"f":  {`{"identifier":"email","upsert":false,"records":[` + "\n", KindRequestDocument},
		"g":  {"-----BEGIN PRIVATE KEY-----\nMII\n-----END PRIVATE KEY-----\n", KindKey},
		"h":  {`{"kty":"RSA","n":"x","e":"AQAB","d":"secret"}`, KindKey},
		"i":  {"email,name\na@x,A\n", KindOther},
		"j":  {"", KindEmpty},
		"dr": {"row,identifier,outcome,user_id,reason\n1,a@x,valid,,\n", KindReport},
		"np": {"user_id,identifier,why\n2ada7974-faf5-4b10-87b9-4d96d97b8d9d,a@x,no password in the export\n", KindNoPasswordList},
		"nj": {`{"t":"notify","target":"t","at":"2026-12-07T00:00:00Z"}` + "\n", KindNotifyJournal},
	}
	for name, f := range files {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(f.text), 0o600); err != nil {
			t.Fatal(err)
		}
		if got, err := Recognize(p); err != nil || got != f.kind {
			t.Errorf("%s: %v %v, want %v", name, got, err, f.kind)
		}
	}
	out := func(name string, k FileKind) []Output {
		return []Output{{NamedPath: NamedPath{filepath.Join(dir, name), "out"}, Kind: k}}
	}
	// CheckOutputs (the wizard's mapping, map's --output) is the same
	// check for outputs of no kind of ours: it replaces an export-like
	// file, never a key, a journal or a report (it did before).
	for name, ok := range map[string]bool{"i": true, "g": false, "h": false, "b": false, "a": false, "dr": false, "np": false, "nj": false} {
		if err := CheckOutputs(nil, []NamedPath{{filepath.Join(dir, name), "out"}}); (err == nil) != ok {
			t.Errorf("CheckOutputs over %s: %v", name, err)
		}
	}
	for _, tc := range []struct {
		name string
		kind FileKind
		ok   bool
	}{
		{"a", KindReport, false}, // a report with user ids
		{"dr", KindReport, true}, // a dry run's report
		{"b", KindReport, false},
		{"c", KindVerifyReport, true},
		{"c", KindUndoReport, false},
		{"i", KindVerifyReport, false}, // an export
		{"i", KindOther, true},
		{"g", KindOther, false}, // a key
		{"h", KindJournal, false},
		{"a", KindOther, false},
		{"j", KindUndoReport, true},
		{"new", KindUndoReport, true},
	} {
		err := CheckFiles(nil, out(tc.name, tc.kind))
		if (err == nil) != tc.ok {
			t.Errorf("%s as %v: %v", tc.name, tc.kind, err)
		}
	}
}

// TestNotSentCountsOnlyRecordsNeverSent (issue 17 item 16): after an
// interrupt that leaves a job in flight, the summary's "not sent" counts
// only the records never sent; those sent whose outcome is not known yet
// are counted apart (they were counted "not sent" before).
func TestNotSentCountsOnlyRecordsNeverSent(t *testing.T) {
	const n = 600
	e := startLive(t, sandbox.Options{LoginIDTypes: []string{"email", "phone"}})
	path, m := genInput(t, n, usergen.Options{Seed: 29})
	first := interruptAfterCanary(t, e, jpathFor(t), path, m)
	var neverSent, unknown int
	for _, r := range first.rows {
		switch r.Unsent {
		case NotSent, NotRead:
			neverSent++
		case Settled:
		default:
			unknown++
		}
	}
	if unknown == 0 || neverSent == 0 {
		t.Fatalf("the interrupt left %d unknown and %d never sent", unknown, neverSent)
	}
	if first.sum.NotSent != neverSent || first.sum.Unresolved != unknown {
		t.Errorf("not sent %d, unresolved %d; want %d never sent and %d unknown", first.sum.NotSent, first.sum.Unresolved, neverSent, unknown)
	}
}

func jpathFor(t *testing.T) string { return filepath.Join(t.TempDir(), "users.journal") }

// TestRehearsalThenLiveThenRehearsal: the wizard's path. A rehearsal's
// report (sandbox ids, marked by its journal's place) may be replaced by
// the live import that follows; the live import's report may not be
// replaced by the next rehearsal or dry run, and a second live run
// continues it.
func TestRehearsalThenLiveThenRehearsal(t *testing.T) {
	c, _ := exampleRun(t)
	rehearse := func() error {
		tgt, err := StartSandbox(context.Background(), SandboxConfig{LoginIDTypes: []string{"email", "phone"}, Roles: []string{"admin", "editor", "viewer"}}, testSandbox)
		if err != nil {
			t.Fatal(err)
		}
		defer tgt.Close()
		rc := c
		rc.Target = tgt
		_, err = Run(context.Background(), rc)
		return err
	}
	for i := 0; i < 2; i++ {
		if err := rehearse(); err != nil {
			t.Fatalf("rehearsal %d: %v", i+1, err)
		}
	}
	if ok, err := ReportHoldsUserIDs(c.Report); !ok || err != nil {
		t.Fatalf("the rehearsal's report holds no user id: %v", err)
	}
	e := startLive(t, sandbox.Options{LoginIDTypes: []string{"email", "phone"}, Roles: []string{"admin", "editor", "viewer"}})
	lc := c
	lc.Target = &Destination{API: e.api, Name: "sandbox", ID: "sandbox test"}
	lc.Import = e.fastOptions(false)
	s, err := Run(context.Background(), lc)
	if err != nil || s.Inserted != 19 {
		t.Fatalf("the live import after a rehearsal: %+v %v", s, err)
	}
	live, _ := os.ReadFile(c.Report)
	var re *RefusedError
	if err := rehearse(); !errors.As(err, &re) {
		t.Errorf("a rehearsal over the live report: %v", err)
	}
	dc := c
	dc.DryRun = true
	if _, err := Run(context.Background(), dc); !errors.As(err, &re) {
		t.Errorf("a dry run over the live report: %v", err)
	}
	if b, _ := os.ReadFile(c.Report); string(b) != string(live) {
		t.Fatal("the live report was replaced")
	}
	s, err = Run(context.Background(), lc)
	if err != nil || s.Inserted != 19 || s.Resumed != 19 {
		t.Fatalf("the second live run: %+v %v", s, err)
	}
	// The same lines (the journal's come first).
	sorted := func(b []byte) string {
		lines := strings.Split(strings.TrimSpace(string(b)), "\n")
		slices.Sort(lines)
		return strings.Join(lines, "\n")
	}
	if b, _ := os.ReadFile(c.Report); sorted(b) != sorted(live) {
		t.Errorf("the continued report differs:\n%s\nwas\n%s", b, live)
	}
}
