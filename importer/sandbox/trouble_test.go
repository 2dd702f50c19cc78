package sandbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"
)

// The faults of a real Authgear in trouble (issue 17 item 17): a lost
// task, forgotten jobs, a database outage and a restart.

func emails(from, n int) string {
	return `{"identifier":"email","records":[` + records(n, func(i int) string {
		return fmt.Sprintf(`{"email":"t%04d@example.com"}`, from+i)
	}) + `]}`
}

func jobID(t *testing.T, r response) string {
	t.Helper()
	if r.status != 200 {
		t.Fatalf("POST: %d %s", r.status, r.body)
	}
	return r.json(t)["result"].(map[string]any)["id"].(string)
}

func waitIdle(t *testing.T, s *Server) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := s.WaitIdle(ctx); err != nil {
		t.Fatal(err)
	}
}

// a03Error is the error body of real-server/a03 (an unknown job id),
// without its tracking id.
func a03Error(t *testing.T) map[string]any {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "real-server", "a03_status_unknown_job_id.json"))
	if err != nil {
		t.Fatalf("real-server recordings missing from testdata: %v", err)
	}
	var rec struct {
		Response struct {
			Status   int `json:"status"`
			BodyJSON struct {
				Error map[string]any `json:"error"`
			} `json:"body_json"`
		} `json:"response"`
	}
	if err := json.Unmarshal(b, &rec); err != nil {
		t.Fatal(err)
	}
	if rec.Response.Status != 404 {
		t.Fatalf("a03 status %d", rec.Response.Status)
	}
	e := rec.Response.BodyJSON.Error
	delete(e, "tracking_id")
	return e
}

func TestLostTaskStaysPending(t *testing.T) {
	s, hs := newTestServer(t, Options{Faults: Faults{LoseTasks: []int{2}, LoseAfter: 30}})
	first := jobID(t, post(t, hs, emails(0, 100)))
	lost := jobID(t, post(t, hs, emails(100, 100)))
	after := jobID(t, post(t, hs, emails(200, 10)))
	waitIdle(t, s)
	if g := get(t, hs, first).json(t)["result"].(map[string]any); g["status"] != StatusCompleted {
		t.Errorf("first job %v", g["status"])
	}
	if g := get(t, hs, lost).json(t)["result"].(map[string]any); g["status"] != StatusPending || g["details"] != nil {
		t.Errorf("the lost task's job: %v", g)
	}
	// The worker went on with the next task.
	if g := get(t, hs, after).json(t)["result"].(map[string]any); g["status"] != StatusCompleted {
		t.Errorf("the job after the lost one: %v", g["status"])
	}
	for i := 100; i < 200; i++ {
		_, saved := s.UserByLoginID("email", fmt.Sprintf("t%04d@example.com", i))
		if want := i < 130; saved != want {
			t.Errorf("record %d of the lost task saved = %v, want %v", i, saved, want)
		}
	}
	if st := s.Stats(); st.Users != 140 || st.Faults.LostTasks != 1 {
		t.Errorf("%d users, %+v", st.Users, st.Faults)
	}
}

func TestForgottenJobsAnswerTaskNotFound(t *testing.T) {
	s, hs := newTestServer(t, Options{Faults: Faults{ForgetJobsAfter: 1}})
	done := jobID(t, post(t, hs, emails(0, 5)))
	waitIdle(t, s)
	if g := get(t, hs, done); g.status != 200 {
		t.Fatalf("first poll: %d %s", g.status, g.body)
	}
	g := get(t, hs, done)
	if g.status != 404 || g.header.Get("Content-Type") != "application/json" {
		t.Fatalf("second poll: %d %s", g.status, g.body)
	}
	e, _ := g.json(t)["error"].(map[string]any)
	if _, ok := e["tracking_id"]; !ok {
		t.Errorf("no tracking_id in %v", e)
	}
	delete(e, "tracking_id")
	if !reflect.DeepEqual(e, a03Error(t)) {
		t.Errorf("error %v, want real-server/a03's %v", e, a03Error(t))
	}

	// A job still queued is forgotten with its tasks: its records are
	// never imported.
	s.Pause()
	queued := jobID(t, post(t, hs, emails(100, 5)))
	get(t, hs, queued)
	if g := get(t, hs, queued); g.status != 404 {
		t.Fatalf("queued job's second poll: %d %s", g.status, g.body)
	}
	s.Resume()
	waitIdle(t, s)
	if st := s.Stats(); st.Users != 5 || st.Faults.ForgottenJobs != 2 {
		t.Errorf("%d users, %+v", st.Users, st.Faults)
	}
}

func TestDatabaseOutage(t *testing.T) {
	unexpected := `{"name":"InternalError","reason":"UnexpectedError","message":"unexpected error occurred","code":500}`
	for _, noOutcome := range []bool{false, true} {
		t.Run(fmt.Sprintf("no-outcome=%v", noOutcome), func(t *testing.T) {
			s, hs := newTestServer(t, Options{Faults: Faults{DBOutageAfterTasks: 1, DBOutageTasks: 2, DBOutageNoOutcome: noOutcome}})
			before := importAndWait(t, s, hs, emails(0, 3))
			if summaryOf(t, before) != (Summary{Total: 3, Inserted: 3}) {
				t.Errorf("before the outage: %v", before)
			}
			for k := 0; k < 2; k++ {
				res := importAndWait(t, s, hs, emails(10+10*k, 3))
				if noOutcome {
					if !jsonEqual(res["error"], unexpected) || res["details"] != nil {
						t.Errorf("task in the outage: %v", res)
					}
					continue
				}
				if res["error"] != nil || summaryOf(t, res) != (Summary{Total: 3, Failed: 3}) {
					t.Errorf("task in the outage: %v", res)
				}
				for _, d := range res["details"].([]any) {
					errs := d.(map[string]any)["errors"].([]any)
					if len(errs) != 1 || !jsonEqual(errs[0], unexpected) {
						t.Errorf("detail %v", d)
					}
				}
			}
			after := importAndWait(t, s, hs, emails(10, 3))
			if summaryOf(t, after) != (Summary{Total: 3, Inserted: 3}) {
				t.Errorf("after the outage: %v", after)
			}
			if st := s.Stats(); st.Users != 6 || st.Faults.OutageTasks != 2 {
				t.Errorf("%d users, %+v", st.Users, st.Faults)
			}
		})
	}
}

func TestRestartRefusesConnections(t *testing.T) {
	r, err := Start(context.Background(), "127.0.0.1:0", Options{ProjectID: "myapp", Keys: []PublicKey{key(t).PublicKey()},
		Faults: Faults{RestartAfterPOSTs: 1, RestartFor: 500 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	c := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	p, err := do(t, c, http.MethodPost, r.URL+importPath, "Bearer "+token(t, time.Now()), "application/json", []byte(emails(0, 2)))
	if err != nil || p.status != 200 {
		t.Fatalf("the POST before the restart: %v %d", err, p.status)
	}
	id := p.json(t)["result"].(map[string]any)["id"].(string)
	poll := func() error {
		_, err := do(t, c, http.MethodGet, r.URL+importPath+"/"+id, "Bearer "+token(t, time.Now()), "", nil)
		return err
	}
	deadline := time.Now().Add(20 * time.Second)
	refused := false
	for time.Now().Before(deadline) {
		if err := poll(); err != nil {
			refused = true
			break
		}
		time.Sleep(2 * time.Millisecond)
	}
	if !refused {
		t.Fatal("the server never refused a connection")
	}
	for time.Now().Before(deadline) {
		if err := poll(); err == nil {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := poll(); err != nil {
		t.Fatalf("the server did not come back: %v", err)
	}
	waitIdle(t, r.Server)
	if st := r.Stats(); st.Users != 2 || st.Faults.Restarts != 1 {
		t.Errorf("%d users, %+v", st.Users, st.Faults)
	}
}

func TestStandaloneFaultFlags(t *testing.T) {
	f, err := faultsFromFlags("3, 7", "2,4")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(f.LoseTasks, []int{3, 7}) || !reflect.DeepEqual(f.POSTScript, []Fault{FaultNone, FaultDropAfterAccept, FaultNone, FaultDropAfterAccept}) {
		t.Errorf("%+v", f)
	}
	for _, args := range [][]string{
		{"--lose-tasks", "0"},
		{"--lose-tasks", "x"},
		{"--drop-after-accept", "-1"},
		{"--forget-jobs-after", "-2"},
		{"--db-outage", "-1s"},
	} {
		args = append(args, "--key-file", filepath.Join(t.TempDir(), "k.pem"))
		if err := Main(context.Background(), args, io.Discard, io.Discard); !errors.Is(err, ErrUsage) {
			t.Errorf("%v: %v, want a usage error", args, err)
		}
	}
	// The flags reach the server: a lost first task.
	dir := t.TempDir()
	env, _, stop := runMain(t, "--listen", "127.0.0.1:0", "--key-file", filepath.Join(dir, "k.pem"), "--lose-tasks", "1", "--lose-after", "1")
	defer stop()
	kp, err := LoadKeyFile(env["AUTHGEAR_ADMIN_KEY_FILE"], env["AUTHGEAR_ADMIN_KEY_ID"])
	if err != nil {
		t.Fatal(err)
	}
	tok, _ := kp.Token(env["AUTHGEAR_PROJECT_ID"], time.Now(), time.Minute)
	p, err := do(t, http.DefaultClient, http.MethodPost, env["AUTHGEAR_ENDPOINT"]+importPath, "Bearer "+tok, "application/json", []byte(emails(0, 3)))
	if err != nil || p.status != 200 {
		t.Fatalf("POST: %v %d", err, p.status)
	}
	id := p.json(t)["result"].(map[string]any)["id"].(string)
	status := func(id string) string {
		g, err := do(t, http.DefaultClient, http.MethodGet, env["AUTHGEAR_ENDPOINT"]+importPath+"/"+id, "Bearer "+tok, "", nil)
		if err != nil || g.status != 200 {
			t.Fatalf("GET: %v %d %s", err, g.status, g.body)
		}
		return g.json(t)["result"].(map[string]any)["status"].(string)
	}
	// One worker, FIFO: once a later job is completed, the first task
	// was run, and lost.
	p2, err := do(t, http.DefaultClient, http.MethodPost, env["AUTHGEAR_ENDPOINT"]+importPath, "Bearer "+tok, "application/json", []byte(emails(10, 1)))
	if err != nil || p2.status != 200 {
		t.Fatalf("POST: %v %d", err, p2.status)
	}
	id2 := p2.json(t)["result"].(map[string]any)["id"].(string)
	for deadline := time.Now().Add(20 * time.Second); status(id2) != StatusCompleted; time.Sleep(2 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the second job never completed")
		}
	}
	if st := status(id); st != StatusPending {
		t.Errorf("the lost task's job is %s, want pending", st)
	}
}
