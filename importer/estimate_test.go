package importer

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/authgear-migrate/authgear-migrate/bench/usergen"
	"github.com/authgear-migrate/authgear-migrate/importer/adminapi"
	"github.com/authgear-migrate/authgear-migrate/importer/sandbox"
)

func TestAboutDuration(t *testing.T) {
	for _, c := range []struct {
		d    time.Duration
		want string
	}{
		{300 * time.Millisecond, "less than a second"},
		{40 * time.Second, "about 40 s"},
		{3*time.Minute + 20*time.Second, "about 3 min 20 s"},
		{3 * time.Minute, "about 3 min"},
		{12*time.Minute + 29*time.Second, "about 12 min"},
		{2*time.Hour + 44*time.Minute + 41*time.Second, "about 2 h 45 min"},
		{5 * time.Hour, "about 5 h"},
		{76 * time.Hour, "about 3 days 4 h"},
		{24 * time.Hour, "about 1 day"},
	} {
		if got := AboutDuration(c.d); got != c.want {
			t.Errorf("AboutDuration(%v) = %q, want %q", c.d, got, c.want)
		}
	}
}

// TestEstimateWording: the example, and the way it was made.
func TestEstimateWording(t *testing.T) {
	canary := Pace{Records: 101, Elapsed: time.Second, ServerClock: true}
	e, ok := Estimate(998_000, canary)
	if !ok {
		t.Fatal("no estimate")
	}
	if got, want := e.String(), "about 2 h 45 min for 998,000 records at 101 records/s"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if got, want := e.Basis(), "the first request's 101 records took 1.0 s by the server's clock; one small request measures little: the ETA follows the pace of the recent jobs as the run goes"; got != want {
		t.Errorf("basis %q, want %q", got, want)
	}
	if e.Duration.Round(time.Second) != 9881*time.Second {
		t.Errorf("duration %v", e.Duration)
	}
	if _, ok := Estimate(0, canary); ok {
		t.Error("an estimate with nothing left")
	}
	if _, ok := Estimate(10, Pace{Records: 10}); ok {
		t.Error("an estimate with no time measured")
	}
}

// TestMeasureJob: the server's clock when the job's times are plausible,
// else this machine's wall time from the POST to the outcome.
func TestMeasureJob(t *testing.T) {
	t0 := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	posted, answered := t0, t0.Add(400*time.Millisecond) // 200 ms of polling in it
	job := &adminapi.Job{CreatedAt: t0.Add(50 * time.Millisecond), CompletedAt: t0.Add(150 * time.Millisecond)}
	if p := measureJob(job, 10, posted, answered); !p.ServerClock || p.Elapsed != 100*time.Millisecond || p.Rate() != 100 {
		t.Errorf("server clock: %+v", p)
	}
	// Completed in the POST's answer: completed_at is created_at.
	job = &adminapi.Job{CreatedAt: t0, CompletedAt: t0}
	if p := measureJob(job, 10, posted, answered); p.ServerClock || p.Elapsed != 400*time.Millisecond {
		t.Errorf("inline: %+v", p)
	}
	// Clocks of two server processes far apart: the wall time.
	job = &adminapi.Job{CreatedAt: t0, CompletedAt: t0.Add(5 * time.Second)}
	if p := measureJob(job, 10, posted, answered); p.ServerClock {
		t.Errorf("skewed: %+v", p)
	}
	if p := measureJob(&adminapi.Job{}, 10, posted, answered); p.ServerClock || p.Rate() != 25 {
		t.Errorf("no times: %+v", p)
	}
}

// TestPaceMeter: the moving rate is the pace of the recent jobs (the
// clock is injected: each mark says when).
func TestPaceMeter(t *testing.T) {
	t0 := time.Unix(1_800_000_000, 0)
	var m paceMeter
	if _, ok := m.rate(t0, 0); ok {
		t.Error("a rate before any mark")
	}
	m.mark(t0, 0) // not anchored: ignored
	if m.anchored() {
		t.Error("a completion anchored the meter")
	}
	m.anchor(t0, 0)
	at, served := t0, 0
	for i := 0; i < 20; i++ { // 100 records a second
		at, served = at.Add(time.Second), served+100
		m.mark(at, served)
	}
	if r, ok := m.rate(at, served); !ok || r != 100 {
		t.Errorf("rate %v %v, want 100", r, ok)
	}
	for i := 0; i < paceWindow; i++ { // then 10 a second
		at, served = at.Add(10*time.Second), served+100
		m.mark(at, served)
	}
	if r, _ := m.rate(at, served); r != 10 {
		t.Errorf("rate %v after %d slow jobs, want 10 (the average since the start is %.1f)", r, paceWindow, float64(served)/at.Sub(t0).Seconds())
	}
	// A wait with nothing settled: the pace falls.
	if r, _ := m.rate(at.Add(80*time.Second), served); r != 5 {
		t.Errorf("rate %v after a wait, want 5", r)
	}
}

// TestETAFollowsRecentPace: the import's rate, and so its ETA, follows the
// pace of the recent jobs: after 20 jobs at 100 records/s and 12 at 5,
// the rate is 5, not the 12 records/s averaged since the first request
// (issue 16 item 7). Fake clock: a job pending p polls takes p+1 s.
func TestETAFollowsRecentPace(t *testing.T) {
	const fast, slow = 20, 12
	n := (fast + slow) * 100
	api := &slowJobs{clock: time.Unix(1_800_000_000, 0), jobs: map[string]int{}, polls: map[string]int{},
		pending: func(k int) int {
			if k <= fast {
				return 0
			}
			return 19
		}}
	path, m := genInput(t, n, usergen.Options{Seed: 42})
	var mu sync.Mutex
	var last ImportProgress
	o := ImportOptions{API: api, Now: api.now, Sleep: api.sleep, CanarySize: -1, Concurrency: 1, TargetJobSeconds: 1e-9,
		Total: func() int { return n }, PollMin: time.Second, PollMax: time.Second}
	o.Progress = func(p ImportProgress) {
		mu.Lock()
		last = p
		mu.Unlock()
	}
	run := runImport(t, context.Background(), path, m, o, nil)
	if run.err != nil {
		t.Fatal(run.err)
	}
	if last.Done != n || last.Rate < 4.5 || last.Rate > 5.5 {
		t.Errorf("after %d records the rate is %.1f records/s, want 5 (the last %d jobs' pace)", last.Done, last.Rate, paceWindow)
	}
}

// TestEstimateAfterCanary: through Run into a live target, Estimated comes
// once, after the canary and before any other request, with the records
// left and the canary's pace.
func TestEstimateAfterCanary(t *testing.T) {
	e := startLive(t, sandbox.Options{LoginIDTypes: []string{"email", "phone"}})
	path, m := genInput(t, 250, usergen.Options{Seed: 43})
	var mu sync.Mutex
	var est []Estimated
	var postsAtEstimate int
	c := RunConfig{Mapping: m, MappingPath: "usergen.mapping.yaml", Input: path,
		Report: filepath.Join(t.TempDir(), "users.report.csv"),
		Target: &Destination{API: e.api, Name: "the test sandbox", ID: e.sb.URL + "#test"},
		Import: e.fastOptions(false),
		Events: func(ev Event) {
			if x, ok := ev.(Estimated); ok {
				mu.Lock()
				est = append(est, x)
				postsAtEstimate = e.sb.Stats().ImportPOSTs
				mu.Unlock()
			}
		}}
	s, err := Run(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	if len(est) != 1 {
		t.Fatalf("%d Estimated events, want 1", len(est))
	}
	x := est[0]
	if postsAtEstimate != 1 {
		t.Errorf("Estimated came after %d requests, want after the canary alone", postsAtEstimate)
	}
	if x.Remaining != 240 || x.Canary.Records != 10 || x.Rate <= 0 || x.Duration <= 0 {
		t.Errorf("estimate %+v", x)
	}
	if s.Inserted != 250 || e.sb.Stats().ImportPOSTs < 2 {
		t.Errorf("summary %+v, stats %+v", s.ImportSummary, e.sb.Stats())
	}
}

// TestEstimateWithinFactorTwo: on a sandbox paced at 300 records/s, the
// estimate after the canary is within a factor of two of the time the
// rest really took. It measures real durations: not in -short (run it
// with -run TestEstimateWithinFactorTwo -v to read the ratio).
func TestEstimateWithinFactorTwo(t *testing.T) {
	if testing.Short() {
		t.Skip("measures real durations")
	}
	const rate, n = 300, 3000
	e := startLive(t, sandbox.Options{LoginIDTypes: []string{"email", "phone"}, Rate: rate})
	path, m := genInput(t, n, usergen.Options{Seed: 44})
	var est Estimated
	var at time.Time
	o := e.fastOptions(false)
	o.PollMin, o.PollMax = 0, 0 // the defaults: 200 ms growing to 5 s
	c := RunConfig{Mapping: m, MappingPath: "usergen.mapping.yaml", Input: path,
		Report: filepath.Join(t.TempDir(), "users.report.csv"),
		Target: &Destination{API: e.api, Name: "the test sandbox", ID: e.sb.URL + "#test"},
		Import: o,
		Events: func(ev Event) {
			if x, ok := ev.(Estimated); ok {
				est, at = x, time.Now()
			}
		}}
	if _, err := Run(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	if at.IsZero() {
		t.Fatal("no estimate")
	}
	real := time.Since(at)
	ratio := est.Duration.Seconds() / real.Seconds()
	t.Logf("estimated %v (%s; %s), took %v: ratio %.2f", est.Duration.Round(time.Millisecond), est, est.Basis(), real.Round(time.Millisecond), ratio)
	if ratio < 0.5 || ratio > 2 {
		t.Errorf("the estimate is %.2f times the real duration", ratio)
	}
}

// BenchmarkEstimateRatio reports the estimate after the canary over the
// real duration, on a sandbox paced at 500 records/s (1 is exact).
func BenchmarkEstimateRatio(b *testing.B) {
	const rate, n = 500, 2000
	for i := 0; i < b.N; i++ {
		e := startLive(b, sandbox.Options{LoginIDTypes: []string{"email", "phone"}, Rate: rate})
		path, m := genInput(b, n, usergen.Options{Seed: uint64(45 + i)})
		var est Estimated
		var at time.Time
		o := e.fastOptions(false)
		o.PollMin, o.PollMax = 0, 0
		c := RunConfig{Mapping: m, MappingPath: "usergen.mapping.yaml", Input: path,
			Report: filepath.Join(b.TempDir(), "users.report.csv"),
			Target: &Destination{API: e.api, Name: "bench", ID: fmt.Sprint(e.sb.URL, "#bench")},
			Import: o,
			Events: func(ev Event) {
				if x, ok := ev.(Estimated); ok {
					est, at = x, time.Now()
				}
			}}
		if _, err := Run(context.Background(), c); err != nil {
			b.Fatal(err)
		}
		if !at.IsZero() {
			b.ReportMetric(est.Duration.Seconds()/time.Since(at).Seconds(), "estimate/real")
		}
	}
}
