package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/authgear-migrate/authgear-migrate/importer"
	"github.com/authgear-migrate/authgear-migrate/importer/sandbox"
)

// historyFixture is a standalone sandbox posing as project "myapp", an
// export of n generated users plus one invalid record (so that a finished
// import exits 3), and the environment that targets the sandbox.
type historyFixture struct {
	dir, input, mapping, report, journal, keyFile string
	sb                                            *sandbox.Running
	env                                           map[string]string
}

func newHistoryFixture(t *testing.T, n int) *historyFixture {
	t.Helper()
	f := &historyFixture{dir: t.TempDir()}
	kp, err := sandbox.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	f.keyFile = filepath.Join(f.dir, "admin-key.pem")
	if err := kp.WriteKeyFile(f.keyFile); err != nil {
		t.Fatal(err)
	}
	f.sb, err = sandbox.Start(context.Background(), "127.0.0.1:0", sandbox.Options{ProjectID: "myapp", Keys: []sandbox.PublicKey{kp.PublicKey()}, LoginIDTypes: []string{"email", "phone"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.sb.Close() })
	f.input = filepath.Join(f.dir, "users.csv")
	f.mapping = filepath.Join(f.dir, "users.mapping.yaml")
	writeGenerated(t, f.input, f.mapping, n)
	// One invalid record: a finished import exits 3.
	b, err := os.ReadFile(f.input)
	if err != nil {
		t.Fatal(err)
	}
	header := strings.SplitN(string(b), "\n", 2)[0]
	cols := strings.Split(header, ",")
	row := make([]string, len(cols))
	for i, c := range cols {
		if c == "email" {
			row[i] = "not-an-email"
		}
	}
	if err := os.WriteFile(f.input, append(b, []byte(strings.Join(row, ",")+"\n")...), 0o600); err != nil {
		t.Fatal(err)
	}
	f.report = filepath.Join(f.dir, "users.report.csv")
	f.journal = filepath.Join(f.dir, "users.report.journal")
	f.env = map[string]string{"AUTHGEAR_ENDPOINT": f.sb.URL, "AUTHGEAR_PROJECT_ID": "myapp", "AUTHGEAR_ADMIN_KEY_ID": kp.KID, "AUTHGEAR_ADMIN_KEY_FILE": f.keyFile}
	return f
}

// cmd runs the program with the fixture's environment, changed by env.
func (f *historyFixture) cmd(t *testing.T, env map[string]string, args ...string) runResult {
	t.Helper()
	e := map[string]string{}
	for k, v := range f.env {
		e[k] = v
	}
	for k, v := range env {
		e[k] = v
	}
	var out, errOut bytes.Buffer
	io := &stdio{In: strings.NewReader(""), Out: &out, Err: &errOut, Getenv: func(k string) string { return e[k] }, ProgramName: "authgear-migrate"}
	code := run(context.Background(), args, io)
	return runResult{code, out.String(), errOut.String()}
}

func (f *historyFixture) replay(t *testing.T, env map[string]string, extra ...string) runResult {
	t.Helper()
	return f.cmd(t, env, append([]string{"replay", "--mapping", f.mapping, "--input", f.input, "--report", f.report}, extra...)...)
}

// outcomes reads a report as row -> "outcome user_id".
func outcomes(t *testing.T, report string) map[int]string {
	t.Helper()
	rows, err := importer.ReadReport(report)
	if err != nil {
		t.Fatal(err)
	}
	out := map[int]string{}
	for _, r := range rows {
		out[r.Row] = string(r.Outcome) + " " + r.UserID
	}
	return out
}

func mustRead(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestLaterRunsKeepAFinishedImport (issue 17 items 1 and 15): after a
// live import that finished with exit 3, running the same command again
// (as is, with a wrong key id, into another project, with --restart, as a
// dry run) never loses a user id: the same migration is continued (every
// inserted row keeps its outcome and id, the journal is appended to,
// nothing is sent again), anything else is refused before a file is
// touched, and undo --dry-run still lists every user the import created.
// On the code before this change the second run started the journal over
// and reported the 30 users skipped.
func TestLaterRunsKeepAFinishedImport(t *testing.T) {
	f := newHistoryFixture(t, 30)
	if r := f.replay(t, nil); r.code != exitPartial {
		t.Fatalf("first import: %s", r)
	}
	first := outcomes(t, f.report)
	inserted := 0
	for _, o := range first {
		if strings.HasPrefix(o, "inserted ") {
			inserted++
		}
	}
	if inserted != 30 || len(f.sb.Users()) != 30 {
		t.Fatalf("first import: %d inserted, %d users: %v", inserted, len(f.sb.Users()), first)
	}
	journal0 := mustRead(t, f.journal)
	received := f.sb.Stats().RecordsReceived
	undoDry := func(when string) {
		t.Helper()
		r := f.cmd(t, nil, "undo", "--report", f.report, "--dry-run", "--out", filepath.Join(f.dir, "undo-dry.csv"))
		if r.code != exitOK || !strings.Contains(r.out, "of 30 users inserted") || !strings.Contains(r.out, "30 would be deleted") {
			t.Fatalf("%s: undo --dry-run: %s", when, r)
		}
	}
	undoDry("after the import")

	// The same command again, and with a wrong key id: the migration is
	// continued, nothing is sent, every row keeps its outcome and id.
	for _, tc := range []struct {
		name string
		env  map[string]string
	}{{"the same command", nil}, {"a wrong key id", map[string]string{"AUTHGEAR_ADMIN_KEY_ID": "wrong-key-id"}}} {
		r := f.replay(t, tc.env)
		if r.code != exitPartial {
			t.Fatalf("%s: %s", tc.name, r)
		}
		if got := outcomes(t, f.report); fmt.Sprint(got) != fmt.Sprint(first) {
			t.Fatalf("%s changed the report:\n got %v\nwant %v", tc.name, got, first)
		}
		if j := mustRead(t, f.journal); !strings.HasPrefix(j, journal0) || !strings.Contains(j[len(journal0):], `"t":"cont"`) {
			t.Fatalf("%s: the journal was not continued:\n%s", tc.name, j)
		}
		if n := f.sb.Stats().RecordsReceived; n != received {
			t.Fatalf("%s sent %d records again", tc.name, n-received)
		}
		undoDry("after " + tc.name)
	}

	// Another project, --restart, a dry run: refused, nothing touched.
	report1, journal1 := mustRead(t, f.report), mustRead(t, f.journal)
	for _, tc := range []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"another project", map[string]string{"AUTHGEAR_PROJECT_ID": "otherapp"}, nil, "--report " + filepath.Join(f.dir, "users-2.report.csv")},
		{"--restart", nil, []string{"--restart"}, "--report " + filepath.Join(f.dir, "users-2.report.csv")},
		{"a dry run", nil, []string{"--dry-run"}, "live import"},
	} {
		r := f.replay(t, tc.env, tc.args...)
		if r.code != exitUsage || !strings.Contains(r.errOut, tc.want) {
			t.Errorf("%s: %s", tc.name, r)
		}
		if mustRead(t, f.report) != report1 || mustRead(t, f.journal) != journal1 {
			t.Fatalf("%s changed the report or the journal", tc.name)
		}
	}
	if n := f.sb.Stats().RecordsReceived; n != received {
		t.Fatalf("%d records sent again", n-received)
	}
	undoDry("at the end")
}

// TestReportOfACustomJournalIsKept (issue 17 item 2): a live import whose
// journal was kept elsewhere (--journal) still owns its report: a dry run
// or a live run that names the report (and not that journal) is refused,
// and --journal never names an input, a key file or the live report.
func TestReportOfACustomJournalIsKept(t *testing.T) {
	f := newHistoryFixture(t, 12)
	elsewhere := filepath.Join(f.dir, "elsewhere", "import.journal")
	if err := os.Mkdir(filepath.Dir(elsewhere), 0o700); err != nil {
		t.Fatal(err)
	}
	if r := f.replay(t, nil, "--journal", elsewhere); r.code != exitPartial {
		t.Fatalf("import: %s", r)
	}
	report := mustRead(t, f.report)
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"a dry run over the report", []string{"--dry-run"}},
		{"a live run without its journal", nil},
		{"--journal is the report", []string{"--journal", f.report}},
		{"--journal is the key file", []string{"--journal", f.keyFile, "--report", filepath.Join(f.dir, "new.report.csv")}},
		{"--journal is the input", []string{"--journal", f.input, "--report", filepath.Join(f.dir, "new.report.csv")}},
	} {
		key, input := mustRead(t, f.keyFile), mustRead(t, f.input)
		r := f.replay(t, nil, tc.args...)
		if r.code != exitUsage {
			t.Errorf("%s: %s", tc.name, r)
		}
		if mustRead(t, f.report) != report || mustRead(t, f.keyFile) != key || mustRead(t, f.input) != input {
			t.Fatalf("%s: a file was replaced", tc.name)
		}
	}
	// With its journal the same migration continues.
	if r := f.replay(t, nil, "--journal", elsewhere); r.code != exitPartial || !strings.Contains(r.errOut, "resuming") {
		t.Fatalf("with its journal: %s", r)
	}
}

// TestVerifyAndUndoOutputsNeverReplace (issue 17 item 2): verify --out and
// undo --out never replace an input, the mapping, a key file, the import's
// report or journal, or any file that is not their own kind of report.
// Before this change verify --out replaced the mapping, the journal and
// the key file, and undo --out the export.
func TestVerifyAndUndoOutputsNeverReplace(t *testing.T) {
	f := newHistoryFixture(t, 5)
	if r := f.replay(t, nil); r.code != exitPartial {
		t.Fatalf("import: %s", r)
	}
	files := []string{f.input, f.mapping, f.keyFile, f.report, f.journal}
	for _, out := range files {
		before := map[string]string{}
		for _, p := range files {
			before[p] = mustRead(t, p)
		}
		for _, cmd := range [][]string{
			{"verify", "--mapping", f.mapping, "--input", f.input, "--report", f.report, "--out", out},
			{"undo", "--report", f.report, "--dry-run", "--out", out},
		} {
			r := f.cmd(t, nil, cmd...)
			if r.code != exitUsage {
				t.Errorf("%s --out %s: %s", cmd[0], filepath.Base(out), r)
			}
			for _, p := range files {
				if mustRead(t, p) != before[p] {
					t.Fatalf("%s --out %s replaced %s", cmd[0], filepath.Base(out), filepath.Base(p))
				}
			}
		}
	}
	// Their own reports are replaced as before.
	for i := 0; i < 2; i++ {
		if r := f.cmd(t, nil, "verify", "--mapping", f.mapping, "--input", f.input, "--report", f.report, "--all"); r.code != exitOK && r.code != exitPartial {
			t.Fatalf("verify, run %d: %s", i+1, r)
		}
		if r := f.cmd(t, nil, "undo", "--report", f.report, "--dry-run"); r.code != exitOK {
			t.Fatalf("undo --dry-run, run %d: %s", i+1, r)
		}
	}
}

// TestVerifyOfNobodyFails (issue 17 item 16): verify --all over a report
// that names no inserted or updated user checks 0 users: that proves
// nothing, so it exits non-zero and says why (it exited 0 before).
func TestVerifyOfNobodyFails(t *testing.T) {
	f := newHistoryFixture(t, 5)
	if r := f.replay(t, nil, "--dry-run"); r.code != exitPartial {
		t.Fatalf("dry run: %s", r)
	}
	r := f.cmd(t, nil, "verify", "--mapping", f.mapping, "--input", f.input, "--report", f.report, "--all")
	if r.code == exitOK || !strings.Contains(r.out, "0 users checked") || !strings.Contains(r.out, "proves nothing") {
		t.Fatalf("verify of a dry run's report: %s", r)
	}
}

// TestSecondRunIsRefused (issue 17 item 14): while one process holds the
// migration's report and journal, another run on them is refused before
// it sends anything, and is told which process holds them.
func TestSecondRunIsRefused(t *testing.T) {
	f := newHistoryFixture(t, 5)
	// The lock another process would hold (an flock is per open file,
	// so this process's own run is refused as another's would be).
	for _, held := range []string{f.report, f.journal} {
		release, err := importer.LockFiles(held)
		if err != nil {
			t.Fatal(err)
		}
		r := f.replay(t, nil)
		release()
		if r.code != exitUsage || !strings.Contains(r.errOut, fmt.Sprintf("process %d", os.Getpid())) {
			t.Errorf("with %s held: %s", filepath.Base(held), r)
		}
		if n := f.sb.Stats().RecordsReceived; n != 0 {
			t.Fatalf("with %s held, %d records were sent", filepath.Base(held), n)
		}
		if _, err := os.Stat(f.report); err == nil {
			t.Fatalf("with %s held, the report was written", filepath.Base(held))
		}
	}
	if r := f.replay(t, nil); r.code != exitPartial {
		t.Fatalf("once released: %s", r)
	}
	if _, err := os.Stat(importer.LockPath(f.report)); err == nil {
		t.Error("the lock file was left behind")
	}
}

// TestTwoProcessesOneMigration (issue 17 item 14): two processes started
// on the same export and report. The first holds the report and journal
// while its jobs are pending; the second is refused before it sends a
// record and told the first one's process id; the first then finishes,
// and every user is imported exactly once (before, both imported
// everything and the last report won).
func TestTwoProcessesOneMigration(t *testing.T) {
	bin := buildBinary(t)
	f := newHistoryFixture(t, 250)
	f.sb.Pause() // the first process's jobs stay pending
	cmd := exec.Command(bin, "replay", "--mapping", f.mapping, "--input", f.input, "--report", f.report)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + f.dir}
	for k, v := range f.env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var out1 bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out1, &out1
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	// Wait until the first process has sent its canary (a wait for a
	// state, not a timed assertion): it holds the lock from before.
	for f.sb.Stats().RecordsReceived == 0 {
		select {
		case err := <-exited:
			t.Fatalf("the first process ended early: %v\n%s", err, out1.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	if b, _ := os.ReadFile(importer.LockPath(f.journal)); !strings.Contains(string(b), fmt.Sprintf(`"pid":%d`, cmd.Process.Pid)) {
		cmd.Process.Kill()
		f.sb.Resume()
		t.Fatalf("the first process holds no lock naming it: %q", b)
	}
	received := f.sb.Stats().RecordsReceived
	r := f.replay(t, nil)
	if r.code != exitUsage || !strings.Contains(r.errOut, fmt.Sprintf("process %d", cmd.Process.Pid)) {
		t.Errorf("the second process: %s", r)
	}
	if n := f.sb.Stats().RecordsReceived; n != received {
		t.Errorf("the second process sent %d records", n-received)
	}
	f.sb.Resume()
	if err := <-exited; err == nil || !strings.Contains(err.Error(), "exit status 3") {
		t.Fatalf("the first process: %v\n%s", err, out1.String())
	}
	if n, users := f.sb.Stats().RecordsReceived, len(f.sb.Users()); n != 250 || users != 250 {
		t.Errorf("%d records received, %d users; want each of the 250 once", n, users)
	}
	inserted := 0
	for _, o := range outcomes(t, f.report) {
		if strings.HasPrefix(o, "inserted ") {
			inserted++
		}
	}
	if inserted != 250 {
		t.Errorf("the report has %d inserted rows, want 250", inserted)
	}
}

// TestVerifyAndUndoHoldTheirOutputs (issue 17 item 14): verify and undo
// lock the reports they write; a second one on the same output is
// refused and told which process holds it.
func TestVerifyAndUndoHoldTheirOutputs(t *testing.T) {
	f := newHistoryFixture(t, 5)
	if r := f.replay(t, nil); r.code != exitPartial {
		t.Fatalf("import: %s", r)
	}
	for _, tc := range []struct {
		out  string
		args []string
	}{
		{importer.DefaultVerifyReport(f.report), []string{"verify", "--mapping", f.mapping, "--input", f.input, "--report", f.report}},
		{importer.DefaultUndoDryRunReport(f.report), []string{"undo", "--report", f.report, "--dry-run"}},
	} {
		release, err := importer.LockFiles(tc.out)
		if err != nil {
			t.Fatal(err)
		}
		r := f.cmd(t, nil, tc.args...)
		release()
		if r.code != exitUsage || !strings.Contains(r.errOut, fmt.Sprintf("process %d", os.Getpid())) {
			t.Errorf("%s with its output held: %s", tc.args[0], r)
		}
		if _, err := os.Stat(tc.out); err == nil {
			t.Errorf("%s wrote %s while another process held it", tc.args[0], filepath.Base(tc.out))
		}
	}
}
