package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/authgear-migrate/authgear-migrate/bench/usergen"
	"github.com/authgear-migrate/authgear-migrate/importer"
	"github.com/authgear-migrate/authgear-migrate/importer/sandbox"
)

// The tests of package main run in the repository's top folder, so
// examples/ is at hand. Every report goes to a temporary folder.

const (
	exampleInput   = "examples/users.csv"
	exampleMapping = "examples/users.mapping.yaml"
)

type runResult struct {
	code        int
	out, errOut string
}

func (r runResult) String() string {
	return fmt.Sprintf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.out, r.errOut)
}

// runCmd runs the CLI in-process with env as its whole environment.
func runCmd(t testing.TB, env map[string]string, args ...string) runResult {
	t.Helper()
	var out, errOut bytes.Buffer
	io := &stdio{
		In: strings.NewReader(""), Out: &out, Err: &errOut,
		Getenv:      func(k string) string { return env[k] },
		ProgramName: "authgear-migrate",
	}
	code := run(context.Background(), args, io)
	return runResult{code: code, out: out.String(), errOut: errOut.String()}
}

func TestExitCodes(t *testing.T) {
	dir := t.TempDir()
	rep := filepath.Join(dir, "r.csv")
	badMapping := filepath.Join(dir, "bad.mapping.yaml")
	m, err := os.ReadFile(exampleMapping)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(badMapping, bytes.Replace(m, []byte("from: Email"), []byte("from: E-mail address"), 1), 0o600); err != nil {
		t.Fatal(err)
	}
	valid := filepath.Join(dir, "valid.csv")
	validMapping := filepath.Join(dir, "valid.mapping.yaml")
	writeGenerated(t, valid, validMapping, 300)

	for _, tc := range []struct {
		name string
		args []string
		code int
		msg  string // in stderr
	}{
		{"unknown command", []string{"frobnicate"}, exitUsage, `unknown command "frobnicate"`},
		{"missing --input", []string{"replay", "--mapping", exampleMapping}, exitUsage, "--input"},
		{"missing file", []string{"replay", "--mapping", exampleMapping, "--input", filepath.Join(dir, "nope.csv"), "--dry-run", "--report", rep}, exitUsage, "nope.csv"},
		{"missing mapping file", []string{"replay", "--mapping", filepath.Join(dir, "nope.yaml"), "--input", exampleInput, "--dry-run", "--report", rep}, exitUsage, "nope.yaml"},
		{"missing column", []string{"replay", "--mapping", badMapping, "--input", exampleInput, "--dry-run", "--report", rep}, exitUsage, `no column "E-mail address"`},
		{"bad flag", []string{"replay", "--nope"}, exitUsage, "nope"},
		{"stray argument", []string{"replay", "--mapping", exampleMapping, "--input", exampleInput, "extra"}, exitUsage, "extra"},
		{"dry run valid", []string{"replay", "--mapping", validMapping, "--input", valid, "--dry-run", "--report", rep}, exitOK, ""},
		{"dry run invalid", []string{"replay", "--mapping", exampleMapping, "--input", exampleInput, "--dry-run", "--report", rep}, exitPartial, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := runCmd(t, nil, tc.args...)
			if r.code != tc.code {
				t.Fatalf("want exit %d, got %s", tc.code, r)
			}
			if tc.msg != "" && !strings.Contains(r.errOut, tc.msg) {
				t.Errorf("stderr does not mention %q: %s", tc.msg, r)
			}
		})
	}
}

// writeGenerated writes an n-record usergen export and its mapping.
func writeGenerated(t testing.TB, input, mapping string, n int) {
	t.Helper()
	f, err := os.Create(input)
	if err != nil {
		t.Fatal(err)
	}
	if err := usergen.Write(f, usergen.Options{Rows: n}); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(mapping, []byte(usergen.Mapping), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestDryRunJSONAndReportMode(t *testing.T) {
	dir := t.TempDir()
	rep := filepath.Join(dir, "users.report.csv")
	r := runCmd(t, nil, "replay", "--mapping", exampleMapping, "--input", exampleInput, "--dry-run", "--json", "--report", rep)
	if r.code != exitPartial {
		t.Fatalf("want exit 3: %s", r)
	}
	dec := json.NewDecoder(strings.NewReader(r.out))
	var obj map[string]any
	if err := dec.Decode(&obj); err != nil {
		t.Fatalf("stdout is not JSON: %v\n%s", err, r.out)
	}
	if dec.More() {
		t.Fatalf("stdout holds more than one JSON value:\n%s", r.out)
	}
	for _, k := range []string{"total", "valid", "invalid", "passwords_dropped"} {
		if _, ok := obj[k].(float64); !ok {
			t.Errorf("JSON summary has no number %q: %s", k, r.out)
		}
	}
	if obj["total"] != 21.0 || obj["valid"] != 19.0 || obj["invalid"] != 2.0 {
		t.Errorf("total/valid/invalid = %v/%v/%v, want 21/19/2", obj["total"], obj["valid"], obj["invalid"])
	}
	st, err := os.Stat(rep)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("report mode %v, want 0600", st.Mode().Perm())
	}
	rows, err := importer.ReadReport(rep)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 21 {
		t.Errorf("report has %d rows, want 21", len(rows))
	}
	// A report that already exists with wider permissions is narrowed.
	if err := os.Chmod(rep, 0o644); err != nil {
		t.Fatal(err)
	}
	runCmd(t, nil, "replay", "--mapping", exampleMapping, "--input", exampleInput, "--dry-run", "--report", rep)
	if st, _ := os.Stat(rep); st.Mode().Perm() != 0o600 {
		t.Errorf("rewritten report mode %v, want 0600", st.Mode().Perm())
	}
}

func TestReplaySandboxExample(t *testing.T) {
	rep := filepath.Join(t.TempDir(), "users.report.csv")
	r := runCmd(t, nil, "replay", "--mapping", exampleMapping, "--input", exampleInput, "--sandbox", "--json",
		"--sandbox-login-ids", "email,phone", "--sandbox-roles", "*", "--report", rep)
	if r.code != exitPartial {
		t.Fatalf("want exit 3: %s", r)
	}
	var s importer.RunSummary
	if err := json.Unmarshal([]byte(r.out), &s); err != nil {
		t.Fatalf("%v: %s", err, r)
	}
	if s.Inserted != 19 || s.Invalid != 2 || s.Failed != 0 || s.Total != 21 {
		t.Errorf("inserted/invalid/failed/total = %d/%d/%d/%d, want 19/2/0/21", s.Inserted, s.Invalid, s.Failed, s.Total)
	}
	rows, err := importer.ReadReport(rep)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[int]int{}
	for _, x := range rows {
		seen[x.Row]++
	}
	for row := 1; row <= 21; row++ {
		if seen[row] != 1 {
			t.Errorf("row %d has %d report rows", row, seen[row])
		}
	}
}

// TestSecretsNeverPrinted gives the key through AUTHGEAR_ADMIN_KEY and
// checks that neither it nor a token appears in any output: a successful
// import, a refused one (403), and a dry run.
func TestSecretsNeverPrinted(t *testing.T) {
	kp, err := sandbox.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	pemBytes, err := kp.PEM()
	if err != nil {
		t.Fatal(err)
	}
	other, err := sandbox.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	good, err := sandbox.Start(ctx, "127.0.0.1:0", sandbox.Options{ProjectID: "myapp", Keys: []sandbox.PublicKey{kp.PublicKey()},
		LoginIDTypes: []string{"email", "phone"}, Roles: []string{"*"}})
	if err != nil {
		t.Fatal(err)
	}
	defer good.Close()
	// Same key id, another key: every token is refused with 403.
	bad, err := sandbox.Start(ctx, "127.0.0.1:0", sandbox.Options{ProjectID: "myapp", Keys: []sandbox.PublicKey{{KID: kp.KID, Key: &other.Private.PublicKey}}})
	if err != nil {
		t.Fatal(err)
	}
	defer bad.Close()

	pemLines := strings.Split(strings.TrimSpace(string(pemBytes)), "\n")
	check := func(what string, r runResult) {
		t.Helper()
		all := r.out + r.errOut
		for _, secret := range append([]string{"PRIVATE KEY", "eyJ"}, pemLines[1:len(pemLines)-1]...) {
			if strings.Contains(all, secret) {
				t.Errorf("%s: output contains %q:\n%s", what, secret, r)
			}
		}
	}
	for _, tc := range []struct {
		name     string
		endpoint string
		args     []string
		code     int
	}{
		{"import", good.URL, nil, exitPartial},
		{"refused", bad.URL, nil, exitError},
		{"dry run", good.URL, []string{"--dry-run"}, exitPartial},
		{"json", good.URL, []string{"--json", "--restart"}, exitPartial},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := map[string]string{
				"AUTHGEAR_ENDPOINT":     tc.endpoint,
				"AUTHGEAR_PROJECT_ID":   "myapp",
				"AUTHGEAR_ADMIN_KEY_ID": kp.KID,
				"AUTHGEAR_ADMIN_KEY":    string(pemBytes),
			}
			args := append([]string{"replay", "--mapping", exampleMapping, "--input", exampleInput,
				"--report", filepath.Join(t.TempDir(), "r.csv")}, tc.args...)
			r := runCmd(t, env, args...)
			if r.code != tc.code {
				t.Errorf("want exit %d: %s", tc.code, r)
			}
			if tc.name == "refused" && !strings.Contains(r.out+r.errOut, "403") {
				t.Errorf("the refusal does not say 403: %s", r)
			}
			check(tc.name, r)
		})
	}
}

// buildBinary builds the command once per test binary.
var buildOnce struct {
	sync.Once
	path string
	err  error
	out  []byte
}

func buildBinary(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "authgear-migrate-bin-")
		if err != nil {
			buildOnce.err = err
			return
		}
		buildOnce.path = filepath.Join(dir, "authgear-migrate")
		cmd := exec.Command("go", "build", "-o", buildOnce.path, ".")
		buildOnce.out, buildOnce.err = cmd.CombinedOutput()
	})
	if buildOnce.err != nil {
		t.Fatalf("go build: %v\n%s", buildOnce.err, buildOnce.out)
	}
	return buildOnce.path
}

func TestMain(m *testing.M) {
	code := m.Run()
	if buildOnce.path != "" {
		os.RemoveAll(filepath.Dir(buildOnce.path))
	}
	os.Exit(code)
}

// journalHasJob reports whether the journal file holds k accepted jobs.
func journalJobs(path string) int {
	f, err := os.Open(path)
	if err != nil {
		return 0
	}
	defer f.Close()
	n := 0
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		if bytes.Contains(sc.Bytes(), []byte(`"t":"job"`)) {
			n++
		}
	}
	return n
}

// TestSIGKILLResume runs replay as a child process against a sandbox this
// test serves, kills it with SIGKILL once the journal shows an accepted job,
// runs the same command again to completion, and checks from the sandbox's
// counters that every record was received once and reported inserted once
// (when the kill landed between a POST and its journal line, the resume
// found those users by a look-up, and the report says so).
func TestSIGKILLResume(t *testing.T) {
	n, rounds := 5000, 6
	if testing.Short() {
		// Only the kill that lands while the server holds an accepted POST.
		n, rounds = 1000, 0
	}
	bin := buildBinary(t)
	total := 0
	doubles := 0
	for round := 0; round < rounds; round++ {
		t.Run(fmt.Sprint("journal", round), func(t *testing.T) {
			// Kill after 1, 2, 3... accepted jobs, and a little later each
			// round, so that the kill lands at different moments.
			d := killResume(t, bin, n, 1+round, time.Duration(round*7)*time.Millisecond, false)
			total++
			if d > 0 {
				doubles++
			}
		})
	}
	if total > 0 {
		t.Logf("%d of %d kills timed by the journal landed between a POST and its journal line (records found by a look-up on resume, inserted once)", doubles, total)
	}
	t.Run("during-post", func(t *testing.T) {
		if d := killResume(t, bin, n, 0, 0, true); d == 0 {
			t.Error("the kill during an accepted POST left no record that the resume found created by the interrupted run")
		}
	})
}

// killResume runs the child twice; the first is killed after afterJobs
// accepted jobs in the journal (+delay) or, with duringPOST, while the
// server holds the POST after the canary, already accepted (the sandbox's
// InlineWait keeps it open while its tasks run).
func killResume(t *testing.T, bin string, n, afterJobs int, delay time.Duration, duringPOST bool) (doubled int) {
	dir := t.TempDir()
	kp, err := sandbox.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	keyFile := filepath.Join(dir, "admin-key.pem")
	if err := kp.WriteKeyFile(keyFile); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	so := sandbox.Options{ProjectID: "myapp", Keys: []sandbox.PublicKey{kp.PublicKey()},
		LoginIDTypes: []string{"email", "phone"}, Rate: 2000}
	if duringPOST {
		so.InlineWait = 10 * time.Second
	}
	sb, err := sandbox.Start(ctx, "127.0.0.1:0", so)
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	input := filepath.Join(dir, "users.csv")
	mapping := filepath.Join(dir, "users.mapping.yaml")
	writeGenerated(t, input, mapping, n)
	report := filepath.Join(dir, "users.report.csv")
	journal := filepath.Join(dir, "users.report.journal")
	args := []string{"replay", "--mapping", mapping, "--input", input, "--report", report, "--json",
		"--endpoint", sb.URL, "--project-id", "myapp", "--key-id", kp.KID, "--key-file", keyFile}
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir}

	cmd := exec.Command(bin, args...)
	cmd.Env = env
	var out1 bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out1, &out1
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	deadline := time.After(60 * time.Second)
	killed := false
wait:
	for {
		select {
		case err := <-exited:
			t.Fatalf("the first run ended before it could be killed (%v): %s", err, out1.String())
		case <-deadline:
			_ = cmd.Process.Kill()
			t.Fatal("no accepted job in the journal after 60 s")
		case <-time.After(2 * time.Millisecond):
			if duringPOST {
				// The canary (10 records, sent alone) is done and the next
				// POST's records are queued, but it is not answered:
				// JobsAccepted counts it only once the inline wait is over.
				if st := sb.Stats(); st.RecordsReceived > 10 && st.JobsAccepted < 2 {
					if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
						t.Fatal(err)
					}
					killed = true
					break wait
				}
				continue
			}
			if journalJobs(journal) >= afterJobs {
				time.Sleep(delay)
				if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
					t.Fatal(err)
				}
				killed = true
				break wait
			}
		}
	}
	err = <-exited
	var ee *exec.ExitError
	if !killed || !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("the first run was not killed: %v", err)
	}
	// A person runs the command again after the kill: the jobs the server
	// had accepted are done by then.
	if err := sb.WaitIdle(ctx); err != nil {
		t.Fatal(err)
	}
	before := sb.Stats()

	cmd = exec.Command(bin, args...)
	cmd.Env = env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("the second run: %v\nstdout: %s\nstderr: %s", err, stdout.String(), stderr.String())
	}
	if !strings.Contains(stderr.String(), "resuming") {
		t.Errorf("the second run did not resume: %s", stderr.String())
	}
	st := sb.Stats()
	rows, err := importer.ReadReport(report)
	if err != nil {
		t.Fatal(err)
	}
	byRow := map[int][]importer.ReportRow{}
	for _, r := range rows {
		byRow[r.Row] = append(byRow[r.Row], r)
	}
	for row := 1; row <= n; row++ {
		rs := byRow[row]
		if len(rs) != 1 {
			t.Fatalf("row %d has %d report rows: %+v", row, len(rs), rs)
		}
		r := rs[0]
		switch c := st.ReceivedByIdentifier[r.Identifier]; {
		case c == 1 && r.Outcome == importer.OutcomeInserted:
			if strings.Contains(r.Reason, importer.NoteCreatedByInterruptedRun) {
				doubled++ // the kill fell between the POST and its journal line
			}
		default:
			t.Errorf("row %d (%s): received %d times, outcome %s %q", row, r.Identifier, c, r.Outcome, r.Reason)
		}
	}
	if st.Users != n {
		t.Errorf("the sandbox holds %d users, want %d", st.Users, n)
	}
	t.Logf("killed after %d accepted jobs (+%v): %d records received before the kill; %d jobs in all; %d records found created by the interrupted run",
		afterJobs, delay, before.RecordsReceived, st.JobsAccepted, doubled)
	return doubled
}

// TestSandboxInterruptThenRerun: Ctrl-C during an import into the
// in-process sandbox exits 130; the sandbox ends with the run, so the same
// command rehearses from the start and gives a complete report, with no
// failures for the first sandbox's jobs that the new one never knew.
func TestSandboxInterruptThenRerun(t *testing.T) {
	dir := t.TempDir()
	input := filepath.Join(dir, "users.csv")
	mapping := filepath.Join(dir, "users.mapping.yaml")
	writeGenerated(t, input, mapping, 1500)
	report := filepath.Join(dir, "users.report.csv")
	args := []string{"replay", "--mapping", mapping, "--input", input, "--report", report,
		"--sandbox", "--sandbox-login-ids", "email,phone", "--sandbox-rate", "2000"}
	ctx, cancel := context.WithCancel(context.Background())
	var out bytes.Buffer
	// A rehearsal keeps no journal: interrupt once the progress line
	// (redrawn every 100 ms on a terminal) shows the first job's records.
	errOut := &interruptWriter{cancel: cancel}
	io := &stdio{In: strings.NewReader(""), Out: &out, Err: errOut, StderrTTY: true, Getenv: func(string) string { return "" }, ProgramName: "authgear-migrate"}
	code := run(ctx, args, io)
	cancel()
	if code != exitInterrupted {
		t.Fatalf("want exit 130: %s", runResult{code, out.String(), errOut.String()})
	}
	// Its journal's place holds only the marker of a rehearsal (one
	// start line), never a request.
	if b, err := os.ReadFile(filepath.Join(dir, "users.report.journal")); err != nil || strings.Count(string(b), "\n") != 1 || !strings.Contains(string(b), `"rehearsal":true`) {
		t.Errorf("a rehearsal wrote a journal: %q %v", b, err)
	}
	// The job in flight at the interrupt is still read (the sandbox
	// outlives the interrupt by the grace period): its records have outcomes.
	first, err := importer.ReadReport(report)
	if err != nil {
		t.Fatal(err)
	}
	inserted := 0
	for _, x := range first {
		if x.Outcome == importer.OutcomeInserted {
			inserted++
		}
		if strings.Contains(x.Reason, "not known yet") || strings.Contains(x.Reason, "maybe sent") {
			t.Fatalf("row %d of a job in flight at the interrupt was not read: %s", x.Row, x.Reason)
		}
	}
	if inserted == 0 || len(first) != 1500 {
		t.Errorf("interrupted run: %d report rows, %d inserted\n%s", len(first), inserted, out.String())
	}
	if !strings.Contains(out.String(), "rehearses from the start") {
		t.Errorf("the summary does not say the next run starts over:\n%s", out.String())
	}
	r := runCmd(t, nil, args...)
	rows, err := importer.ReadReport(report)
	if err != nil {
		t.Fatal(err)
	}
	counts := map[importer.Outcome]int{}
	for _, x := range rows {
		counts[x.Outcome]++
		if x.Outcome == importer.OutcomeFailed {
			t.Errorf("row %d failed: %s", x.Row, x.Reason)
			break
		}
	}
	if r.code != exitOK || len(rows) != 1500 {
		t.Errorf("rerun: %d report rows %v; %s", len(rows), counts, r)
	}
}

// interruptWriter collects stderr and cancels once a progress line reports
// inserted records.
type interruptWriter struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	cancel func()
}

var insertedRe = regexp.MustCompile(`: ([1-9][0-9]*) inserted`)

func (w *interruptWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if insertedRe.Match(p) {
		w.cancel()
	}
	return w.buf.Write(p)
}

func (w *interruptWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// TestRefusedBeforeAnyOutput: settings that cannot work are usage errors
// found before the report (or anything else) is written.
func TestRefusedBeforeAnyOutput(t *testing.T) {
	dir := t.TempDir()
	input := filepath.Join(dir, "users.csv")
	mapping := filepath.Join(dir, "users.mapping.yaml")
	writeGenerated(t, input, mapping, 20)
	before, _ := os.ReadFile(input)
	rep := filepath.Join(dir, "r.csv")
	if err := os.WriteFile(rep, []byte("an earlier report\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		env  map[string]string
		args []string
		msg  string
	}{
		{"report is the input", nil, []string{"replay", "--mapping", mapping, "--input", input, "--dry-run", "--report", input}, "same file"},
		{"emit-json is the mapping", nil, []string{"replay", "--mapping", mapping, "--input", input, "--dry-run", "--report", rep, "--emit-json", mapping}, "same file"},
		{"emit-json on a live run", nil, []string{"replay", "--mapping", mapping, "--input", input, "--sandbox", "--report", rep, "--emit-json", filepath.Join(dir, "x.json")}, "--dry-run"},
		{"missing key id", map[string]string{"AUTHGEAR_ENDPOINT": "https://myapp.authgear.cloud"}, []string{"replay", "--mapping", mapping, "--input", input, "--report", rep}, "AUTHGEAR_ADMIN_KEY"},
		{"http endpoint off loopback", map[string]string{"AUTHGEAR_ENDPOINT": "http://example.com"}, []string{"replay", "--mapping", mapping, "--input", input, "--report", rep}, "http"},
		{"bad sandbox login id", nil, []string{"replay", "--mapping", mapping, "--input", input, "--sandbox", "--report", rep, "--sandbox-login-ids", "fax"}, "fax"},
		{"bad map format", nil, []string{"map", "--input", input, "--output", filepath.Join(dir, "m.yaml"), "--format", "xml"}, "--format"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := runCmd(t, tc.env, tc.args...)
			if r.code != exitUsage || !strings.Contains(r.errOut, tc.msg) {
				t.Errorf("want exit 2 with %q: %s", tc.msg, r)
			}
			if r.out != "" {
				t.Errorf("a refused run printed a summary:\n%s", r.out)
			}
			if got, _ := os.ReadFile(input); !bytes.Equal(got, before) {
				t.Fatal("the input was changed")
			}
			if got, _ := os.ReadFile(rep); string(got) != "an earlier report\n" {
				t.Errorf("the earlier report was touched: %q", got)
			}
		})
	}
	if r := runCmd(t, nil, "sandbox", "-h"); r.code != exitOK {
		t.Errorf("sandbox -h: %s", r)
	}
}

// TestJournalBelongsToItsTarget: a journal of an import into one project is
// not resumed against another.
func TestJournalBelongsToItsTarget(t *testing.T) {
	dir := t.TempDir()
	input := filepath.Join(dir, "users.csv")
	mapping := filepath.Join(dir, "users.mapping.yaml")
	writeGenerated(t, input, mapping, 20)
	m, err := importer.ReadMappingFile(mapping)
	if err != nil {
		t.Fatal(err)
	}
	fp, err := importer.FingerprintFiles(context.Background(), m, input)
	if err != nil {
		t.Fatal(err)
	}
	fp.Target = "https://a.authgear.cloud project a"
	path := filepath.Join(dir, "j")
	j, err := importer.OpenJournal(path, fp, false)
	if err != nil {
		t.Fatal(err)
	}
	j.Request(1, []int{1})
	j.Close()
	fp.Target = "https://b.authgear.cloud project b"
	if _, err := importer.OpenJournal(path, fp, false); !errors.Is(err, importer.ErrJournalMismatch) || !strings.Contains(err.Error(), "a.authgear.cloud") {
		t.Fatalf("a journal of another target was opened: %v", err)
	}
}

func TestResumeCommandKeepsFlags(t *testing.T) {
	o := replayOptions{mapping: "m.yaml", input: "in put.csv", report: "r.csv", journal: "j.journal", keyFile: "k.pem", keyID: "kid", projectID: "p", endpoint: "https://p.authgear.cloud", concurrency: 3, upsert: true}
	got := resumeCommand(o)
	for _, want := range []string{"--journal j.journal", "--key-file k.pem", "--key-id kid", "--project-id p", "--endpoint https://p.authgear.cloud", "--concurrency 3", "--upsert", "'in put.csv'"} {
		if !strings.Contains(got, want) {
			t.Errorf("resume command %q lacks %q", got, want)
		}
	}
}

// ---- map: outputs, escapes, cancellation ----

// mapFixture writes a small export into a temporary folder.
func mapFixture(t *testing.T) (dir, input string) {
	t.Helper()
	dir = t.TempDir()
	input = filepath.Join(dir, "users.csv")
	if err := os.WriteFile(input, []byte("email,name\na@example.com,Ann\nb@example.com,Bob\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return dir, input
}

// fileState is a file's bytes and mode, to show it was left alone.
func fileState(t *testing.T, path string) string {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%v %q", st.Mode(), b)
}

func TestMapOutputNeverAnInput(t *testing.T) {
	cases := []struct {
		name string
		// setup returns the --output and extra flags, and the files that
		// must be left as they were.
		setup func(t *testing.T, dir, input string) (output string, flags []string, keep []string)
		want  string
	}{
		{"the input itself", func(t *testing.T, dir, input string) (string, []string, []string) {
			return input, nil, []string{input}
		}, "is the same file as --input"},
		{"the input by another spelling", func(t *testing.T, dir, input string) (string, []string, []string) {
			return filepath.Join(dir, ".", "sub", "..", "users.csv"), nil, []string{input}
		}, "is the same file as --input"},
		{"a hard link to the input", func(t *testing.T, dir, input string) (string, []string, []string) {
			out := filepath.Join(dir, "m.yaml")
			if err := os.Link(input, out); err != nil {
				t.Skip(err)
			}
			return out, nil, []string{input}
		}, "is the same file as --input"},
		{"a symbolic link to the input", func(t *testing.T, dir, input string) (string, []string, []string) {
			out := filepath.Join(dir, "m.yaml")
			if err := os.Symlink(input, out); err != nil {
				t.Skip(err)
			}
			return out, nil, []string{input}
		}, "symbolic link"},
		{"a symbolic link elsewhere", func(t *testing.T, dir, input string) (string, []string, []string) {
			other := filepath.Join(dir, "notes.txt")
			os.WriteFile(other, []byte("mine"), 0o600)
			out := filepath.Join(dir, "m.yaml")
			if err := os.Symlink(other, out); err != nil {
				t.Skip(err)
			}
			return out, nil, []string{input, other}
		}, "symbolic link"},
		{"the password file", func(t *testing.T, dir, input string) (string, []string, []string) {
			pw := filepath.Join(dir, "passwords.json")
			os.WriteFile(pw, []byte(`{"_id":{"$oid":"1"},"email":"a@example.com","passwordHash":"$2b$10$abcdefghijklmnopqrstuv"}`+"\n"), 0o600)
			return pw, []string{"--passwords", pw}, []string{input, pw}
		}, "is the same file as --passwords"},
		{"another export", func(t *testing.T, dir, input string) (string, []string, []string) {
			other := filepath.Join(dir, "other.csv")
			os.WriteFile(other, []byte("email\nc@example.com\n"), 0o600)
			return other, nil, []string{input, other}
		}, "is not a mapping file"},
		{"a folder", func(t *testing.T, dir, input string) (string, []string, []string) {
			out := filepath.Join(dir, "m.yaml")
			os.Mkdir(out, 0o700)
			return out, nil, []string{input}
		}, "not a regular file"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir, input := mapFixture(t)
			out, flags, keep := c.setup(t, dir, input)
			before := map[string]string{}
			for _, k := range keep {
				before[k] = fileState(t, k)
			}
			args := append([]string{"map", "--input", input, "--output", out, "--force"}, flags...)
			r := runCmd(t, nil, args...)
			if r.code != exitUsage || !strings.Contains(r.errOut, c.want) {
				t.Errorf("want exit %d and %q:\n%s", exitUsage, c.want, r)
			}
			for _, k := range keep {
				if got := fileState(t, k); got != before[k] {
					t.Errorf("%s changed: %s, was %s", k, got, before[k])
				}
			}
			if entries, _ := os.ReadDir(dir); len(entries) > len(keep)+1 {
				t.Errorf("files left behind: %v", entries)
			}
		})
	}

	// --force replaces a mapping, and only the mapping.
	dir, input := mapFixture(t)
	out := filepath.Join(dir, "users.mapping.yaml")
	os.WriteFile(out, []byte("identifier: email\nfields:\n  email: old\n"), 0o600)
	if r := runCmd(t, nil, "map", "--input", input, "--output", out); r.code != exitUsage || !strings.Contains(r.errOut, "--force") {
		t.Errorf("an existing mapping was replaced without --force:\n%s", r)
	}
	if r := runCmd(t, nil, "map", "--input", input, "--output", out, "--force"); r.code != exitOK {
		t.Fatalf("--force over a mapping:\n%s", r)
	}
	if m, err := importer.ReadMappingFile(out); err != nil || m.Fields["email"].From != "email" {
		t.Errorf("the mapping was not replaced: %v", err)
	}
	if st, _ := os.Stat(out); st.Mode().Perm() != 0o644 {
		t.Errorf("mapping mode %v, want 0644", st.Mode().Perm())
	}
}

// TestMapTemporaryNameIsNotPredictable: a link planted at OUTPUT.tmp (the
// name map used to write through) is neither followed nor removed.
func TestMapTemporaryNameIsNotPredictable(t *testing.T) {
	dir, input := mapFixture(t)
	out := filepath.Join(dir, "users.mapping.yaml")
	victim := filepath.Join(dir, "victim.txt")
	os.WriteFile(victim, []byte("precious"), 0o600)
	if err := os.Symlink(victim, out+".tmp"); err != nil {
		t.Skip(err)
	}
	before := fileState(t, victim)
	if r := runCmd(t, nil, "map", "--input", input, "--output", out); r.code != exitOK {
		t.Fatalf("map:\n%s", r)
	}
	if got := fileState(t, victim); got != before {
		t.Errorf("the file behind OUTPUT.tmp changed: %s, was %s", got, before)
	}
	if _, err := importer.ReadMappingFile(out); err != nil {
		t.Errorf("no mapping written: %v", err)
	}
	if target, err := os.Readlink(out + ".tmp"); err != nil || target != victim {
		t.Errorf("the planted link was touched: %q, %v", target, err)
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".tmp") && e.Name() != "users.mapping.yaml.tmp" {
			t.Errorf("temporary file left behind: %s", e.Name())
		}
	}
}

func TestMapEscapesFileText(t *testing.T) {
	dir := t.TempDir()
	input := filepath.Join(dir, "users.csv")
	header := "email,\x1b]0;pwned\x07title,\x1b[2Jclear,\u202eevil,bad\xff\n"
	if err := os.WriteFile(input, []byte(header+"a@example.com,1,2,3,4\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r := runCmd(t, nil, "map", "--input", input, "--output", filepath.Join(dir, "m.yaml"))
	if r.code != exitOK {
		t.Fatalf("map:\n%s", r)
	}
	all := r.out + r.errOut
	for _, raw := range []string{"\x1b", "\x07", "\u202e", "\xff"} {
		if strings.Contains(all, raw) {
			t.Errorf("map printed %q raw:\n%s", raw, all)
		}
	}
	for _, esc := range []string{`\x1b]0;pwned\atitle`, `\x1b[2Jclear`, `\u202eevil`, `bad\xff`} {
		if !strings.Contains(r.out, esc) {
			t.Errorf("map output lacks %s:\n%s", esc, r.out)
		}
	}
}

// mapCountdownCtx is a context whose Err turns to Canceled after left
// calls: a cancel at a chosen point of a run, without timing.
type mapCountdownCtx struct {
	context.Context
	left  atomic.Int64
	calls atomic.Int64
}

func (c *mapCountdownCtx) Err() error {
	c.calls.Add(1)
	if c.left.Add(-1) < 0 {
		return context.Canceled
	}
	return nil
}

func TestMapStopsOnCancel(t *testing.T) {
	dir := t.TempDir()
	input := filepath.Join(dir, "wide.csv")
	var b bytes.Buffer
	const cols, rows = 300, 200
	for i := 0; i < cols; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "col%d", i)
	}
	b.WriteString(",email\n")
	for r := 0; r < rows; r++ {
		for i := 0; i < cols; i++ {
			fmt.Fprintf(&b, "v%d,", r*i)
		}
		fmt.Fprintf(&b, "u%d@example.com\n", r)
	}
	if err := os.WriteFile(input, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "wide.mapping.yaml")
	io := &stdio{In: strings.NewReader(""), Out: &bytes.Buffer{}, Err: &bytes.Buffer{}, Getenv: func(string) string { return "" }, ProgramName: "authgear-migrate"}

	// How often a whole map looks at its context.
	full := &mapCountdownCtx{Context: context.Background()}
	full.left.Store(1 << 62)
	if err := runMap(full, []string{"--input", input, "--output", out}, io); err != nil {
		t.Fatalf("map: %v", err)
	}
	os.Remove(out)
	n := full.calls.Load()
	if n < 100 {
		t.Fatalf("a map of %d columns looked at its context %d times", cols, n)
	}
	// Cancelled at points spread over the run (reading, detecting,
	// suggesting), it stops with context.Canceled and writes nothing.
	for _, at := range []int64{0, n / 10, n / 2, n - 2} {
		ctx := &mapCountdownCtx{Context: context.Background()}
		ctx.left.Store(at)
		err := runMap(ctx, []string{"--input", input, "--output", out}, io)
		if !errors.Is(err, context.Canceled) {
			t.Errorf("cancelled after %d of %d checks: %v, want context.Canceled", at, n, err)
		}
		if _, err := os.Stat(out); !os.IsNotExist(err) {
			t.Errorf("cancelled after %d of %d checks: a mapping was written", at, n)
			os.Remove(out)
		}
		if entries, _ := os.ReadDir(dir); len(entries) != 1 {
			t.Errorf("cancelled after %d checks: files left %v", at, entries)
		}
	}
}
