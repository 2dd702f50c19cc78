package importer

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/authgear-migrate/authgear-migrate/bench/usergen"
	"github.com/authgear-migrate/authgear-migrate/importer/sandbox"
)

func testFingerprint(input, mapping string) Fingerprint {
	return Fingerprint{Input: input, Mapping: mapping, Size: 1, Name: "users.csv"}
}

func rowsRange(a, b int) []int {
	var out []int
	for i := a; i <= b; i++ {
		out = append(out, i)
	}
	return out
}

// TestJournalReplay writes every kind of entry and reads the state back.
func TestJournalReplay(t *testing.T) {
	path := filepath.Join(t.TempDir(), "j")
	fp := testFingerprint("in", "map")
	j, err := OpenJournal(path, fp, false)
	if err != nil {
		t.Fatal(err)
	}
	if j.Resume() != nil {
		t.Fatal("a new journal resumes")
	}
	steps := []error{
		// seq 1: accepted and read.
		j.Request(1, rowsRange(1, 10)),
		j.Accepted(1, "userimport_A"),
		j.Result(1, []ReportRow{{Row: 1, Outcome: OutcomeInserted, UserID: "u1", Identifier: "a@x"}, {Row: 2, Outcome: OutcomeFailed, Reason: "r, with \"quotes\"", Identifier: "b@x"}}),
		// seq 2: accepted, not read: polled on resume.
		j.Request(2, []int{11, 12, 13, 20}),
		j.Accepted(2, "userimport_B"),
		// seq 3: split after a 413; its halves 4 and 5.
		j.Request(3, rowsRange(30, 33)),
		j.Split(3),
		j.Request(4, rowsRange(30, 31)),
		j.Accepted(4, "userimport_C"),
		j.Request(5, rowsRange(32, 33)),
		j.Unsent(5),
		// seq 6: journaled, never known accepted or refused.
		j.Request(6, rowsRange(40, 42)),
	}
	for i, err := range steps {
		if err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}

	st, gotFP, err := readJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	if gotFP == nil || *gotFP != fp {
		t.Errorf("fingerprint %+v, want %+v", gotFP, fp)
	}
	if st.ended || st.maxSeq != 6 {
		t.Errorf("ended %v maxSeq %d", st.ended, st.maxSeq)
	}
	var results []ReportRow
	if err := (&Journal{path: path, state: st}).eachResult(func(r ReportRow) error { results = append(results, r); return nil }); err != nil {
		t.Fatal(err)
	}
	if st.results != 2 || len(results) != 2 || results[1].Reason != `r, with "quotes"` || results[0].UserID != "u1" || results[1].Identifier != "b@x" {
		t.Errorf("results %d %+v", st.results, results)
	}
	var accepted []string
	for _, r := range st.accepted {
		accepted = append(accepted, fmt.Sprintf("%d:%s:%v", r.seq, r.jobID, r.rows))
	}
	// Rows 1 and 2 of job A have outcomes; 3..10 of it were never
	// reported (the job is done): they are neither settled nor pending.
	want := []string{"2:userimport_B:[11 12 13 20]", "4:userimport_C:[30 31]"}
	if fmt.Sprint(accepted) != fmt.Sprint(want) {
		t.Errorf("accepted %v, want %v", accepted, want)
	}
	for _, row := range []int{1, 2, 11, 12, 13, 20, 30, 31} {
		if !st.settled.has(row) {
			t.Errorf("row %d not settled", row)
		}
	}
	for _, row := range []int{3, 10, 14, 32, 33, 40} {
		if st.settled.has(row) {
			t.Errorf("row %d settled", row)
		}
	}
	for _, row := range []int{40, 41, 42} {
		if !st.maybeSent.has(row) {
			t.Errorf("row %d of a request never known accepted or refused is not maybe-sent", row)
		}
	}
	for _, row := range []int{1, 11, 30, 32, 33} {
		if st.maybeSent.has(row) {
			t.Errorf("row %d is maybe-sent", row)
		}
	}

	// Resuming keeps appending to the same file.
	j, err = OpenJournal(path, fp, false)
	if err != nil {
		t.Fatal(err)
	}
	if r := j.Resume(); r == nil || r.Settled() != 2 {
		t.Errorf("Resume = %+v; want one with 2 settled records", r)
	}
	if err := j.End(); err != nil {
		t.Fatal(err)
	}
	j.Close()
	// A finished journal that holds user ids is history: a later run of
	// the same migration continues it (appending a "cont" line), keeps
	// the record that was inserted (row 1, with its id) and sends the
	// failed one (row 2) again; starting over is refused.
	before, _ := os.ReadFile(path)
	j, err = OpenJournal(path, fp, false)
	if err != nil {
		t.Fatal(err)
	}
	r := j.Resume()
	if r == nil || r.Settled() != 1 || !r.kept.has(1) || r.kept.has(2) || !r.CanaryDue() {
		t.Fatalf("a finished journal: Resume %+v, want row 1 kept and row 2 sent again, canary first", r)
	}
	j.Close()
	after, _ := os.ReadFile(path)
	if !strings.HasPrefix(string(after), string(before)) || !strings.Contains(string(after[len(before):]), `"t":"cont"`) {
		t.Errorf("the journal was not appended to:\n%s", after)
	}
	var he *HistoryError
	if _, err := OpenJournal(path, fp, true); !errors.As(err, &he) || he.Reason != RestartWouldLose {
		t.Errorf("restart over a journal with user ids: %v", err)
	}
	if b, _ := os.ReadFile(path); string(b) != string(after) {
		t.Error("a refused restart changed the journal")
	}
}

func TestJournalTornLastLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "j")
	fp := testFingerprint("in", "map")
	j, err := OpenJournal(path, fp, false)
	if err != nil {
		t.Fatal(err)
	}
	j.Request(1, rowsRange(1, 5))
	j.Accepted(1, "userimport_A")
	j.Close()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(`{"t":"res","seq":1,"res":[["1","ins`) // a crash mid-write
	f.Close()
	st, _, err := readJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(st.accepted) != 1 || st.results != 0 {
		t.Errorf("accepted %d, results %d: the torn line was not ignored", len(st.accepted), st.results)
	}
	j, err = OpenJournal(path, fp, false)
	if err != nil {
		t.Fatal(err)
	}
	// The next entry must start on a line of its own.
	if err := j.Accepted(2, "userimport_B"); err != nil {
		t.Fatal(err)
	}
	j.Close()
	st, _, err = readJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(st.accepted) != 1 || st.accepted[0].jobID != "userimport_A" {
		// Job 2 has no request line: only job A is pending; what matters
		// is that the entry after the torn line was read at all.
		t.Errorf("accepted %+v", st.accepted)
	}
	if b, _ := os.ReadFile(path); !strings.Contains(string(b), "\n{\"t\":\"job\",\"seq\":2") || strings.Contains(string(b), "ins{") {
		t.Errorf("the entry after the torn line is not on a line of its own:\n%s", b)
	}

	// A whole last entry that lost its newline is kept, and the next entry
	// goes on a new line.
	f, err = os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(`{"t":"req","seq":3,"rows":[[7,8]]}`)
	f.Close()
	j, err = OpenJournal(path, fp, false)
	if err != nil {
		t.Fatal(err)
	}
	j.Accepted(3, "userimport_D")
	j.Close()
	st, _, err = readJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, r := range st.accepted {
		ids = append(ids, r.jobID)
	}
	if fmt.Sprint(ids) != "[userimport_A userimport_D]" {
		t.Errorf("accepted jobs %v, want [userimport_A userimport_D]", ids)
	}
}

func TestJournalMismatchAndRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "j")
	j, err := OpenJournal(path, testFingerprint("in", "map"), false)
	if err != nil {
		t.Fatal(err)
	}
	j.Request(1, rowsRange(1, 5))
	j.Close()
	for _, tc := range []struct {
		fp   Fingerprint
		what string
	}{
		{testFingerprint("other", "map"), "another input"},
		{testFingerprint("in", "other"), "another mapping"},
	} {
		_, err := OpenJournal(path, tc.fp, false)
		var he *HistoryError
		if !errors.Is(err, ErrJournalMismatch) || !strings.Contains(err.Error(), tc.what) || !errors.As(err, &he) || !he.Restartable || !he.Unfinished {
			t.Errorf("%+v: err = %v", tc.fp, err)
		}
	}
	j, err = OpenJournal(path, testFingerprint("other", "map"), true)
	if err != nil {
		t.Fatal(err)
	}
	if j.Resume() != nil {
		t.Error("--restart resumes")
	}
	j.Close()
	st, fp, err := readJournal(path)
	if err != nil || fp.Input != "other" || st.maxSeq != 0 {
		t.Errorf("after restart: %+v %+v %v", st, fp, err)
	}
}

func TestJournalMode0600(t *testing.T) {
	path := filepath.Join(t.TempDir(), "j")
	// A finished journal of an earlier run, left with a wider mode.
	if err := os.WriteFile(path, []byte(`{"t":"start","fp":{"input":"x","mapping":"y","size":1,"name":"in"}}`+"\n"+`{"t":"end"}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	j, err := OpenJournal(path, testFingerprint("in", "map"), false)
	if err != nil {
		t.Fatal(err)
	}
	j.Close()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("journal mode %v, want 0600", st.Mode().Perm())
	}
}

// TestJournalConcurrentWrites: entries written from many goroutines at
// once (the streaming goroutine and every job's) stay whole lines.
func TestJournalConcurrentWrites(t *testing.T) {
	path := filepath.Join(t.TempDir(), "j")
	j, err := OpenJournal(path, testFingerprint("in", "map"), false)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 25; i++ {
				seq := g*100 + i + 1
				j.Request(seq, rowsRange(seq*10, seq*10+9))
				j.Accepted(seq, fmt.Sprintf("userimport_%d", seq))
			}
		}()
	}
	wg.Wait()
	j.Close()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	lines := 0
	for sc.Scan() {
		var e journalEntry
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("line %d is broken: %q", lines+1, sc.Text())
		}
		lines++
	}
	if lines != 1+8*25*2 {
		t.Errorf("%d lines, want %d", lines, 1+8*25*2)
	}
	st, _, _ := readJournal(path)
	if len(st.accepted) != 200 {
		t.Errorf("%d accepted jobs read back, want 200", len(st.accepted))
	}
}

// TestJournalHoldsNoSecrets: after a live import, the journal names rows,
// jobs and outcomes, never a password hash.
func TestJournalHoldsNoSecrets(t *testing.T) {
	e := startLive(t, sandbox.Options{LoginIDTypes: []string{"email", "phone"}})
	path, m := genInput(t, 300, usergen.Options{Seed: 21})
	jpath := filepath.Join(t.TempDir(), "users.journal")
	j := openTestJournal(t, jpath, path, m)
	o := e.fastOptions(true)
	o.Journal = j
	run := runImport(t, context.Background(), path, m, o, nil)
	j.Close()
	if run.err != nil {
		t.Fatal(run.err)
	}
	b, err := os.ReadFile(jpath)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "$2a$") || strings.Contains(string(b), "password") {
		t.Errorf("the journal holds password data:\n%.500s", b)
	}
	if !strings.Contains(string(b), `"t":"end"`) {
		t.Error("the finished run did not end its journal")
	}
}

// TestJournalNeverReplacesOtherFiles: a file that is not a journal, a link
// and a folder at the journal's path are refused and left as they were,
// with --restart too.
func TestJournalNeverReplacesOtherFiles(t *testing.T) {
	dir := t.TempDir()
	junk := filepath.Join(dir, "users.csv")
	if err := os.WriteFile(junk, []byte("email\na@example.com\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link.journal")
	if err := os.Symlink(junk, link); err != nil {
		t.Fatal(err)
	}
	for _, restart := range []bool{false, true} {
		for _, p := range []string{junk, link, dir} {
			if j, err := OpenJournal(p, testFingerprint("in", "map"), restart); err == nil {
				j.Close()
				t.Errorf("OpenJournal(%s, restart=%v) replaced it", p, restart)
			}
		}
	}
	if b, _ := os.ReadFile(junk); string(b) != "email\na@example.com\n" {
		t.Fatalf("the file changed: %q", b)
	}
	if target, ok := JournalTarget(junk); ok || target != "" {
		t.Errorf("JournalTarget of a CSV = %q, %v", target, ok)
	}
}
