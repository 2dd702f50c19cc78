package sandbox

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

const oneRecord = `{"identifier":"email","records":[{"email":"f@example.com"}]}`

func TestFaultScript(t *testing.T) {
	s, hs := newTestServer(t, Options{Faults: Faults{
		POSTScript: []Fault{Fault500, Fault502, Fault503, FaultDrop, Fault429, FaultSlow, FaultDropAfterAccept, FaultNone},
		GETScript:  []Fault{Fault503, FaultDrop},
		SlowDelay:  time.Millisecond,
	}})
	// A client without retries or keep-alive, so every fault shows.
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	send := func() (response, error) {
		return do(t, client, http.MethodPost, hs.URL+importPath, "Bearer "+token(t, time.Now()), "application/json", []byte(oneRecord))
	}

	r, err := send()
	if err != nil || r.status != 500 || r.header.Get("Content-Type") != "application/json" ||
		!strings.Contains(string(r.body), `"name":"InternalError","reason":"UnexpectedError","message":"unexpected error occurred","code":500`) {
		t.Errorf("500: %v %d %s", err, r.status, r.body)
	}
	r, err = send()
	if err != nil || r.status != 502 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") {
		t.Errorf("502: %v %d %v", err, r.status, r.header)
	}
	r, err = send()
	if err != nil || r.status != 503 {
		t.Errorf("503: %v %d", err, r.status)
	}
	if _, err = send(); err == nil {
		t.Error("drop: got an answer")
	}
	r, err = send()
	want := `{"error":{"name":"TooManyRequest","reason":"UsageLimitExceeded","message":"usage limit exceeded","code":429,"tracking_id":"X","info":{"name":"UserImport","period":"day","usage_name":"user_import"}}}`
	if err != nil || r.status != 429 || strings.TrimSpace(trackingID.ReplaceAllString(string(r.body), `"tracking_id":"X"`)) != want {
		t.Errorf("429: %v %d %s", err, r.status, r.body)
	}
	if st := s.Stats(); st.JobsAccepted != 0 {
		t.Errorf("%d jobs accepted by failed POSTs", st.JobsAccepted)
	}
	if r, err = send(); err != nil || r.status != 200 {
		t.Errorf("slow: %v %d", err, r.status)
	}
	if _, err = send(); err == nil {
		t.Error("drop after accept: got an answer")
	}
	if r, err = send(); err != nil || r.status != 200 {
		t.Errorf("after the script: %v %d", err, r.status)
	}
	if err := s.WaitIdle(context.Background()); err != nil {
		t.Fatal(err)
	}
	st := s.Stats()
	if st.JobsAccepted != 3 || st.ReceivedByIdentifier["f@example.com"] != 3 {
		t.Errorf("accepted %d jobs, received f@example.com %d times; want 3 (slow, dropped after accept, normal)",
			st.JobsAccepted, st.ReceivedByIdentifier["f@example.com"])
	}
	want2 := FaultStats{ServerErrors: 3, Dropped: 1, TooManyRequests: 1, Slow: 1, DroppedAfterAccept: 1}
	if st.Faults != want2 || st.Faults.Total() != 7 {
		t.Errorf("fault stats %+v, want %+v", st.Faults, want2)
	}

	g, err := do(t, client, http.MethodGet, hs.URL+importPath+"/userimport_X", "Bearer "+token(t, time.Now()), "", nil)
	if err != nil || g.status != 503 {
		t.Errorf("GET 503: %v %d", err, g.status)
	}
	if _, err := do(t, client, http.MethodGet, hs.URL+importPath+"/userimport_X", "Bearer "+token(t, time.Now()), "", nil); err == nil {
		t.Error("GET drop: got an answer")
	}
}

// Rates are drawn from a generator seeded with Seed: the same requests see
// the same faults.
func TestFaultRatesDeterministic(t *testing.T) {
	run := func(seed int64) string {
		s, hs := newTestServer(t, Options{Faults: Faults{
			Seed:                seed,
			POSTServerErrorRate: 0.3,
			TooManyRequestsRate: 0.2,
			GETServerErrorRate:  0.5,
		}})
		var out []string
		for i := 0; i < 40; i++ {
			body := fmt.Sprintf(`{"identifier":"email","records":[{"email":"d%d@example.com"}]}`, i)
			out = append(out, fmt.Sprint(post(t, hs, body).status))
			out = append(out, fmt.Sprint(get(t, hs, "userimport_X").status))
		}
		st := s.Stats()
		if st.Faults.ServerErrors == 0 || st.Faults.TooManyRequests == 0 {
			t.Errorf("seed %d: no faults injected: %+v", seed, st.Faults)
		}
		return strings.Join(out, " ")
	}
	a, b := run(7), run(7)
	if a != b {
		t.Errorf("same seed, different faults:\n%s\n%s", a, b)
	}
	if strings.Count(a, "200") == 0 {
		t.Errorf("no POST got through: %s", a)
	}
}

func TestRecordQuota(t *testing.T) {
	s, hs := newTestServer(t, Options{Faults: Faults{RecordQuota: 5, QuotaPeriod: "month"}})
	body := func(n int, tag string) string {
		return `{"identifier":"email","records":[` + records(n, func(i int) string {
			return fmt.Sprintf(`{"email":"%s%d@example.com"}`, tag, i)
		}) + `]}`
	}
	for _, c := range []struct {
		n      int
		status int
	}{{3, 200}, {3, 429}, {2, 200}, {1, 429}} {
		r := post(t, hs, body(c.n, fmt.Sprint("q", c.n, c.status)))
		if r.status != c.status {
			t.Errorf("%d records: %d, want %d", c.n, r.status, c.status)
		}
		if r.status == 429 && !strings.Contains(string(r.body), `"period":"month"`) {
			t.Errorf("429 body %s", r.body)
		}
	}
	if st := s.Stats(); st.RecordsReceived != 5 || st.Faults.QuotaRejections != 2 {
		t.Errorf("stats %+v", st)
	}
}

// TaskErrorRate crashes tasks like the null-identifier bug: the records
// before the crash are saved, the task's results are lost.
func TestTaskErrors(t *testing.T) {
	s, hs := newTestServer(t, Options{Faults: Faults{Seed: 3, TaskErrorRate: 1}})
	body := `{"identifier":"email","records":[` + records(150, func(i int) string {
		return fmt.Sprintf(`{"email":"t%03d@example.com"}`, i)
	}) + `]}`
	res := importAndWait(t, s, hs, body)
	if res["status"] != StatusCompleted || res["error"] == nil || res["details"] != nil {
		t.Errorf("job %v", res)
	}
	if got := summaryOf(t, res); got != (Summary{}) {
		t.Errorf("summary %+v, want zeros", got)
	}
	st := s.Stats()
	if st.Faults.TaskErrors != 2 || st.TasksCrashed != 2 {
		t.Errorf("stats %+v", st)
	}
	if st.Users >= 150 {
		t.Errorf("%d users: the crashed tasks imported everything", st.Users)
	}
	// Sending the records again finds the saved ones (skipped) once the
	// faults are gone.
	s.mu.Lock()
	s.faults.cfg.TaskErrorRate = 0
	s.mu.Unlock()
	res = importAndWait(t, s, hs, body)
	if got := summaryOf(t, res); got.Skipped != st.Users || got.Inserted != 150-st.Users {
		t.Errorf("re-run %+v after %d saved", got, st.Users)
	}
}
