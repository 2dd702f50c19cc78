package importer

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/authgear-migrate/authgear-migrate/bench/usergen"
	"github.com/authgear-migrate/authgear-migrate/importer/adminapi"
	"github.com/authgear-migrate/authgear-migrate/importer/sandbox"
)

// The faults of a real Authgear in trouble (issue 17 items 3, 4, 10-13,
// 16), injected by the sandbox: every run finishes without --restart,
// every user is in the sandbox once, and every report row is true.

// troubleOptions are fastOptions with the waits of a server in trouble in
// milliseconds.
func (e *liveEnv) troubleOptions() ImportOptions {
	o := e.fastOptions(true)
	o.RetryWait = time.Millisecond
	o.OvertakenLimit = time.Millisecond
	o.ResumePendingLimit = 20 * time.Millisecond
	return o
}

// checkTrue asserts that every one of the n records is inserted, with the
// id of the one sandbox user holding its email, and that the sandbox holds
// n users.
func checkTrue(t testing.TB, sb *sandbox.Server, got map[int]ReportRow, n int) {
	t.Helper()
	bad := 0
	for row, r := range got {
		u, ok := sb.UserByLoginID("email", r.Identifier)
		if r.Outcome != OutcomeInserted || !ok || u.ID != r.UserID {
			if bad++; bad <= 10 {
				t.Errorf("row %d: %+v; the sandbox's user %v %s", row, r, ok, u.ID)
			}
		}
	}
	if st := sb.Stats(); st.Users != n {
		t.Errorf("the sandbox holds %d users, want %d", st.Users, n)
	}
	if bad > 10 {
		t.Errorf("... %d rows untrue", bad)
	}
}

// TestLostTaskResolvedInTheSameRun: the server loses a task (killed while
// running it: 40 of its records saved, its job pending for ever). The run
// does not wait for it: once a later job has completed, the lost job's
// records are looked up (the 40 reported inserted with their ids) and the
// others sent again, in the same run (issue 17 item 11). On the old code
// the run stopped after PendingLimit with "run the same command again".
func TestLostTaskResolvedInTheSameRun(t *testing.T) {
	const n = 610
	e := startLive(t, sandbox.Options{LoginIDTypes: []string{"email", "phone"},
		Faults: sandbox.Faults{LoseTasks: []int{3}, LoseAfter: 40}})
	path, m := genInput(t, n, usergen.Options{Seed: 31})
	o := e.troubleOptions()
	o.PendingLimit = 2 * time.Second
	run := runImport(t, context.Background(), path, m, o, nil)
	if run.err != nil {
		t.Fatal(run.err)
	}
	got := checkComplete(t, run, n)
	checkTrue(t, e.sb.Server, got, n)
	st := e.sb.Stats()
	if st.Faults.LostTasks != 1 {
		t.Fatalf("faults %+v: the test tests nothing", st.Faults)
	}
	claimed := 0
	for _, r := range got {
		if strings.Contains(r.Reason, NoteCreatedByLostRequest) {
			claimed++
		}
	}
	if claimed != 40 {
		t.Errorf("%d rows found created by the lost job, want its 40", claimed)
	}
}

// TestLostLastJobResolved: the last job is lost, so no later job overtakes
// it: PendingLimit ends the wait, and it is resolved the same way.
func TestLostLastJobResolved(t *testing.T) {
	const n = 310 // canary of 10, then 3 tasks of 100
	e := startLive(t, sandbox.Options{LoginIDTypes: []string{"email", "phone"},
		Faults: sandbox.Faults{LoseTasks: []int{4}, LoseAfter: 70}})
	path, m := genInput(t, n, usergen.Options{Seed: 32})
	o := e.troubleOptions()
	o.PendingLimit = 200 * time.Millisecond
	run := runImport(t, context.Background(), path, m, o, nil)
	if run.err != nil {
		t.Fatal(run.err)
	}
	checkTrue(t, e.sb.Server, checkComplete(t, run, n), n)
	if st := e.sb.Stats(); st.Faults.LostTasks != 1 {
		t.Fatalf("faults %+v", st.Faults)
	}
}

// TestResumedPendingJobResolvedQuickly: a job the interrupted run left
// pending, and that the server lost, is resolved on resume after
// ResumePendingLimit, not PendingLimit (issue 17 item 11).
func TestResumedPendingJobResolvedQuickly(t *testing.T) {
	const n = 300
	e := startLive(t, sandbox.Options{LoginIDTypes: []string{"email", "phone"},
		Faults: sandbox.Faults{LoseTasks: []int{1}, LoseAfter: 4}})
	path, m := genInput(t, n, usergen.Options{Seed: 33})
	jpath := filepath.Join(t.TempDir(), "users.journal")

	// The first run: the canary's task is lost; the run is stopped while
	// it waits.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	j1 := openTestJournal(t, jpath, path, m)
	o := e.troubleOptions()
	o.Journal = j1
	o.Grace = 10 * time.Millisecond
	var once sync.Once
	o.Progress = func(p ImportProgress) {
		if p.Sent > 0 {
			once.Do(cancel)
		}
	}
	first := runImport(t, ctx, path, m, o, nil)
	j1.Close()
	if first.err == nil {
		t.Fatal("the first run was not stopped")
	}

	j2 := openTestJournal(t, jpath, path, m)
	o.Journal = j2
	o.Progress = nil
	o.PendingLimit = 5 * time.Second
	second := runImport(t, context.Background(), path, m, o, nil)
	j2.Close()
	if second.err != nil {
		t.Fatalf("second run: %v", second.err)
	}
	got := checkComplete(t, second, n)
	checkTrue(t, e.sb.Server, got, n)
	claimed := 0
	for _, r := range got {
		if r.Outcome == OutcomeInserted && strings.Contains(r.Reason, "look-up") {
			claimed++
		}
	}
	if claimed != 4 {
		t.Errorf("%d rows found created by the lost canary, want its 4", claimed)
	}
}

// TestForgottenJobsResolved: every job is forgotten after two polls (a
// Redis restart): 404 TaskNotFound is not "results expired"; the records
// are looked up, those the server imported reported inserted with their
// id, and the others sent again (issue 17 item 12).
func TestForgottenJobsResolved(t *testing.T) {
	const n = 500
	// A paced worker (100-record tasks take 50 ms) so that every job is
	// polled more than twice before it completes, whatever the machine.
	e := startLive(t, sandbox.Options{LoginIDTypes: []string{"email", "phone"}, Rate: 2000,
		Faults: sandbox.Faults{ForgetJobsAfter: 2}})
	path, m := genInput(t, n, usergen.Options{Seed: 34})
	run := runImport(t, context.Background(), path, m, e.troubleOptions(), nil)
	if run.err != nil {
		t.Fatal(run.err)
	}
	checkTrue(t, e.sb.Server, checkComplete(t, run, n), n)
	if st := e.sb.Stats(); st.Faults.ForgottenJobs == 0 {
		t.Fatalf("no job was forgotten: the test tests nothing (%+v)", st.Faults)
	}
}

// TestDatabaseOutageWaitedOut: six tasks fail while the database is down,
// every record with UnexpectedError, or the task as a whole with no
// outcome for its records: the records are sent again after a wait, not
// reported failed (issue 17 item 13).
func TestDatabaseOutageWaitedOut(t *testing.T) {
	for _, noOutcome := range []bool{false, true} {
		t.Run(fmt.Sprintf("no-outcome=%v", noOutcome), func(t *testing.T) {
			const n = 610
			e := startLive(t, sandbox.Options{LoginIDTypes: []string{"email", "phone"},
				Faults: sandbox.Faults{DBOutageAfterTasks: 2, DBOutageTasks: 6, DBOutageNoOutcome: noOutcome}})
			path, m := genInput(t, n, usergen.Options{Seed: 35})
			run := runImport(t, context.Background(), path, m, e.troubleOptions(), nil)
			if run.err != nil {
				t.Fatal(run.err)
			}
			checkTrue(t, e.sb.Server, checkComplete(t, run, n), n)
			if st := e.sb.Stats(); st.Faults.OutageTasks != 6 {
				t.Fatalf("%d tasks failed in the outage, want 6", st.Faults.OutageTasks)
			}
		})
	}
}

// TestServerRestartWaitedOut: the server refuses connections for a while
// after the third POST; the client's retries wait it out and the run
// finishes (issue 17 item 13). The waits are short, the default count of
// attempts is kept: the old six attempts of at most 10+20+40+50+50 ms of
// waits gave up before the 200 ms restart ended.
func TestServerRestartWaitedOut(t *testing.T) {
	const n = 510
	e := startLive(t, sandbox.Options{LoginIDTypes: []string{"email", "phone"},
		Faults: sandbox.Faults{RestartAfterPOSTs: 3, RestartFor: 200 * time.Millisecond}})
	// The client's default number of attempts (not the 12 of startLive).
	ep, _ := adminapi.ParseEndpoint(e.sb.URL)
	kp := sandboxKey(t)
	ts, err := adminapi.NewTokenSource(adminapi.Credentials{ProjectID: "test", KeyID: kp.KID, Key: kp.Private})
	if err != nil {
		t.Fatal(err)
	}
	e.api = adminapi.New(ep, ts, adminapi.WithRetry(adminapi.DefaultAttempts, 10*time.Millisecond, 50*time.Millisecond))
	path, m := genInput(t, n, usergen.Options{Seed: 36})
	run := runImport(t, context.Background(), path, m, e.troubleOptions(), nil)
	if run.err != nil {
		t.Fatal(run.err)
	}
	checkTrue(t, e.sb.Server, checkComplete(t, run, n), n)
	if st := e.sb.Stats(); st.Faults.Restarts != 1 {
		t.Fatalf("faults %+v", st.Faults)
	}
}

// TestDroppedAfterAcceptReportsInserted: the connection drops after the
// server accepted the second POST; the client sends it again, the server
// answers "skipped" for every record (the first job created them), and
// the run reports them inserted with their ids, found by look-up (issue 17
// item 4). On the old code they were reported skipped.
func TestDroppedAfterAcceptReportsInserted(t *testing.T) {
	const n = 310
	e := startLive(t, sandbox.Options{LoginIDTypes: []string{"email", "phone"},
		Faults: sandbox.Faults{POSTScript: []sandbox.Fault{sandbox.FaultNone, sandbox.FaultDropAfterAccept}}})
	path, m := genInput(t, n, usergen.Options{Seed: 37})
	run := runImport(t, context.Background(), path, m, e.troubleOptions(), nil)
	if run.err != nil {
		t.Fatal(run.err)
	}
	got := checkComplete(t, run, n)
	checkTrue(t, e.sb.Server, got, n)
	if st := e.sb.Stats(); st.Faults.DroppedAfterAccept != 1 {
		t.Fatalf("faults %+v", st.Faults)
	}
	earlier := 0
	for _, r := range got {
		if strings.Contains(r.Reason, "created by an earlier attempt of this request") {
			earlier++
		}
	}
	if earlier != 100 {
		t.Errorf("%d rows say an earlier attempt created them, want the 100 of the dropped request", earlier)
	}
}

// TestResumeDoesNotClaimAStranger: the interrupted run journaled a request
// and was stopped before its answer; before the resume, someone signs up
// with one of its emails. The resume must not report that person as the
// migration's user: the record fails naming the holder, and nothing is
// sent in their name (issue 17 item 3).
func TestResumeDoesNotClaimAStranger(t *testing.T) {
	const n = 120
	e := startLive(t, sandbox.Options{LoginIDTypes: []string{"email", "phone"}})
	path, m := genInput(t, n, usergen.Options{Seed: 38})
	jpath := filepath.Join(t.TempDir(), "users.journal")
	// Learn the records' emails (a dry pass of the same plan).
	emails := map[int]string{}
	src, err := OpenInput(path, m)
	if err != nil {
		t.Fatal(err)
	}
	plan, err := CompileFor(m, src)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Prepare(context.Background(), src, plan, PrepareOptions{}, func(p *Prepared) error {
		emails[p.Row.Num] = p.Identifier
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	src.Close()

	// The interrupted run: a request of rows 1-50 journaled, its answer
	// never recorded (it was never sent).
	j := openTestJournal(t, jpath, path, m)
	rows := make([]int, 50)
	for i := range rows {
		rows[i] = i + 1
	}
	if err := j.RequestAt(1, rows, time.Now()); err != nil {
		t.Fatal(err)
	}
	j.Close()

	// A stranger signs up with row 5's email.
	stranger := emails[5]
	job, err := e.api.CreateImport(context.Background(), []byte(fmt.Sprintf(`{"identifier":"email","records":[{"email":%q,"given_name":"Someone Else"}]}`, stranger)))
	if err != nil {
		t.Fatal(err)
	}
	if err := e.sb.WaitIdle(context.Background()); err != nil {
		t.Fatal(err)
	}
	holder, ok := e.sb.UserByLoginID("email", stranger)
	if !ok || job.ID == "" {
		t.Fatal("the stranger was not created")
	}

	j = openTestJournal(t, jpath, path, m)
	o := e.troubleOptions()
	o.Journal = j
	run := runImport(t, context.Background(), path, m, o, nil)
	j.Close()
	if run.err != nil {
		t.Fatal(run.err)
	}
	got := checkComplete(t, run, n)
	r := got[5]
	if r.Outcome != OutcomeFailed || r.UserID != "" || !strings.Contains(r.Reason, holder.ID) {
		t.Errorf("row 5, whose email a stranger holds: %+v (the stranger is %s)", r, holder.ID)
	}
	if c := e.sb.Stats().ReceivedByIdentifier[stranger]; c != 1 {
		t.Errorf("the stranger's email was received %d times, want once (their own sign-up)", c)
	}
	if u, _ := e.sb.UserByLoginID("email", stranger); u.PasswordHash != "" || u.ID != holder.ID {
		t.Errorf("the stranger's account changed: %+v", u)
	}
	for row, r := range got {
		if row != 5 && (r.Outcome != OutcomeInserted || r.UserID == "") {
			t.Errorf("row %d: %+v", row, r)
		}
	}
}

// outcomeAPI rewrites the outcome of the first record of every completed
// job to one the tool does not know.
type outcomeAPI struct{ *adminapi.Client }

func (a outcomeAPI) GetImport(ctx context.Context, id string) (*adminapi.Job, error) {
	j, err := a.Client.GetImport(ctx, id)
	if err == nil && !j.Pending() && len(j.Details) > 0 {
		j.Details[0].Outcome = "merged"
	}
	return j, err
}

// TestUnknownOutcomeIsAFailure: an outcome the tool does not know is a
// failure (the record joins the retry file), not a line of its own that
// no count or retry file holds (issue 17 item 10).
func TestUnknownOutcomeIsAFailure(t *testing.T) {
	const n = 30
	e := startLive(t, sandbox.Options{LoginIDTypes: []string{"email", "phone"}})
	path, m := genInput(t, n, usergen.Options{Seed: 39})
	o := e.troubleOptions()
	o.API = outcomeAPI{e.api}
	o.Lookup = e.api
	run := runImport(t, context.Background(), path, m, o, nil)
	if run.err != nil {
		t.Fatal(run.err)
	}
	got := checkComplete(t, run, n)
	merged := 0
	for _, r := range got {
		switch r.Outcome {
		case OutcomeInserted:
		case OutcomeFailed:
			if !strings.Contains(r.Reason, `"merged"`) || r.UserID != "" {
				t.Errorf("%+v", r)
			}
			merged++
		default:
			t.Errorf("row %d: outcome %q", r.Row, r.Outcome)
		}
	}
	if merged == 0 || run.sum.Failed != merged {
		t.Errorf("%d rows with the unknown outcome, summary %+v", merged, run.sum)
	}
}

// slowJobs is an Import API whose jobs complete after a number of polls,
// on a fake clock that each wait moves.
type slowJobs struct {
	mu      sync.Mutex
	clock   time.Time
	jobs    map[string]int // records
	polls   map[string]int
	pending func(n int) int // polls that job number n stays pending
}

func (s *slowJobs) now() time.Time { s.mu.Lock(); defer s.mu.Unlock(); return s.clock }

func (s *slowJobs) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.clock = s.clock.Add(d)
	s.mu.Unlock()
	return ctx.Err()
}

func (s *slowJobs) CreateImport(ctx context.Context, body []byte) (*adminapi.Job, error) {
	var req struct {
		Records []json.RawMessage `json:"records"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	id := fmt.Sprintf("userimport_%04d", len(s.jobs)+1)
	s.jobs[id] = len(req.Records)
	return &adminapi.Job{ID: id, Status: adminapi.StatusPending}, nil
}

func (s *slowJobs) GetImport(ctx context.Context, id string) (*adminapi.Job, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.polls[id]++
	var k int
	fmt.Sscanf(id, "userimport_%d", &k)
	if s.polls[id] <= s.pending(k) {
		return &adminapi.Job{ID: id, Status: adminapi.StatusPending}, nil
	}
	j := &adminapi.Job{ID: id, Status: adminapi.StatusCompleted}
	for i := 0; i < s.jobs[id]; i++ {
		j.Details = append(j.Details, adminapi.Detail{Index: i, Outcome: adminapi.OutcomeInserted, UserID: fmt.Sprintf("00000000-0000-4000-8000-%012d", k*1000+i)})
	}
	return j, nil
}

// TestETAMovesWhileWaiting: while a job stays pending far longer than the
// measured rate predicts, the ETA grows instead of standing still (issue
// 17 item 16: it stayed at 15 s for 15 minutes).
func TestETAMovesWhileWaiting(t *testing.T) {
	// 200: every record left is in the pending job; 300: one more request
	// waits behind it.
	for _, n := range []int{200, 300} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			api := &slowJobs{clock: time.Unix(1_800_000_000, 0), jobs: map[string]int{}, polls: map[string]int{},
				pending: func(k int) int {
					if k == 2 {
						return 60 // about 5 minutes at PollMax
					}
					return 1
				}}
			path, m := genInput(t, n, usergen.Options{Seed: 40})
			var mu sync.Mutex
			var etas []time.Duration
			o := ImportOptions{API: api, Now: api.now, Sleep: api.sleep, CanarySize: -1, Concurrency: 1, TargetJobSeconds: 1e-9,
				Total: func() int { return n }, PollMax: 5 * time.Second}
			o.Progress = func(p ImportProgress) {
				if p.Done == 100 && p.InFlight == 1 && p.Estimated == 100 {
					// Job 2 is pending, and the server should have
					// finished it.
					mu.Lock()
					etas = append(etas, p.ETA)
					mu.Unlock()
				}
			}
			run := runImport(t, context.Background(), path, m, o, nil)
			if run.err != nil {
				t.Fatal(run.err)
			}
			if len(etas) < 10 {
				t.Fatalf("the wait was not seen: %d progress reports (%v)", len(etas), etas)
			}
			if first, last := etas[0], etas[len(etas)-1]; last <= first || first <= 0 {
				t.Errorf("the ETA went from %v to %v while the run waited for minutes", first, last)
			}
		})
	}
}

// TestJournalServerTime: the request and job lines carry the server's
// time as "st" (RFC 3339), and a resume reads it as the window of the
// request: the accepted job's and the maybe-sent request's.
func TestJournalServerTime(t *testing.T) {
	path, m := genInput(t, 10, usergen.Options{Seed: 41})
	jpath := filepath.Join(t.TempDir(), "users.journal")
	j := openTestJournal(t, jpath, path, m)
	st := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	if err := j.RequestAt(1, []int{1, 2, 3}, st); err != nil {
		t.Fatal(err)
	}
	if err := j.AcceptedAt(1, "userimport_AAAA", st.Add(2*time.Second)); err != nil {
		t.Fatal(err)
	}
	if err := j.RequestAt(2, []int{4, 5}, st.Add(5*time.Second)); err != nil {
		t.Fatal(err)
	}
	j.Close()
	b, err := os.ReadFile(jpath)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"t":"req","seq":1,"rows":[[1,3]],"at":"`, `"st":"2026-12-07T12:00:00Z"`, `"t":"job","seq":1,"job":"userimport_AAAA","st":"2026-12-07T12:00:02Z"`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("journal lacks %s:\n%s", want, b)
		}
	}
	r, _, err := readJournal(jpath)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.accepted) != 1 || !r.accepted[0].since.Equal(st) {
		t.Errorf("accepted %+v", r.accepted)
	}
	im := &importer{}
	if w, ok := im.windowOf(r, 5); !ok || !w.server.Equal(st.Add(5*time.Second)) {
		t.Errorf("the maybe-sent request's window: %v %v", w, ok)
	}
}

// TestUnknownOutcomeJoinsTheRetryFile: through Run, a record given an
// outcome the tool does not know is in the retry file, as a failure is
// (issue 17 item 10).
func TestUnknownOutcomeJoinsTheRetryFile(t *testing.T) {
	c, dir := exampleRun(t)
	tgt, err := StartSandbox(context.Background(), SandboxConfig{LoginIDTypes: []string{"email", "phone"}, Roles: []string{"admin", "editor", "viewer"}}, testSandbox)
	if err != nil {
		t.Fatal(err)
	}
	defer tgt.Close()
	tgt.API = outcomeAPI{tgt.API.(*adminapi.Client)}
	c.Target = tgt
	c.Report = filepath.Join(dir, "live.report.csv")
	s, err := Run(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := ReadReport(c.Report)
	if err != nil {
		t.Fatal(err)
	}
	merged := 0
	for _, r := range rows {
		if strings.Contains(r.Reason, `"merged"`) {
			merged++
			if r.Outcome != OutcomeFailed {
				t.Errorf("%+v", r)
			}
		}
	}
	if merged == 0 || s.Retry == "" {
		t.Fatalf("%d rows with the unknown outcome; retry file %q", merged, s.Retry)
	}
	b, err := os.ReadFile(s.Retry)
	if err != nil {
		t.Fatal(err)
	}
	// The header, the invalid rows, and the records with the unknown
	// outcome.
	if lines := strings.Count(string(b), "\n"); s.Invalid == 0 || lines != 1+s.Invalid+merged {
		t.Errorf("the retry file has %d lines, want %d:\n%s", lines, 1+s.Invalid+merged, b)
	}
}
