package sandbox

import (
	"io"
	"math/rand/v2"
	"net/http"
	"time"
)

// Fault is one injected failure, for Faults.POSTScript and Faults.GETScript.
type Fault string

// The faults the sandbox can inject. None of them exists in Authgear
// itself except 429 UsageLimitExceeded (md §1.2) and the task crash
// (real-server/c24); the others stand for what sits between a client and
// Authgear (load balancers, proxies, networks).
const (
	FaultNone Fault = ""
	// Fault500 answers 500 InternalError/UnexpectedError JSON, like
	// real-server/f01. The job is not accepted.
	Fault500 Fault = "500"
	// Fault502 answers 502 text/html, as a proxy in front of Authgear
	// would. The job is not accepted.
	Fault502 Fault = "502"
	// Fault503 answers 503 text/plain. The job is not accepted.
	Fault503 Fault = "503"
	// Fault429 answers 429 UsageLimitExceeded (POST only), after the body
	// was read and validated, as the usage limiter would. Not accepted.
	Fault429 Fault = "429"
	// FaultDrop closes the connection without an answer; a POST's job is
	// not accepted.
	FaultDrop Fault = "drop"
	// FaultDropAfterAccept accepts the POST's job, then closes the
	// connection without an answer (POST only): the job runs, the client
	// never learns its id.
	FaultDropAfterAccept Fault = "drop-after-accept"
	// FaultSlow delays the answer by Faults.SlowDelay.
	FaultSlow Fault = "slow"
)

// Faults configures fault injection. Everything is off by default. Scripts
// apply first, one entry per request in arrival order; after a script runs
// out, the rates apply, drawn from a generator seeded with Seed, so a
// sequential client sees the same faults on every run.
type Faults struct {
	Seed int64

	// POSTScript and GETScript give the faults of the first POST /import
	// and GET /import/{id} requests, in order (FaultNone = no fault).
	POSTScript []Fault
	GETScript  []Fault

	// Shares in [0,1] of requests that get each fault.
	POSTServerErrorRate float64 // 500, 502 or 503, evenly
	GETServerErrorRate  float64 // 500, 502 or 503, evenly
	TooManyRequestsRate float64 // POST: 429 UsageLimitExceeded
	DropRate            float64 // POST and GET: connection closed, nothing accepted
	DropAfterAcceptRate float64 // POST: job accepted, then connection closed
	SlowRate            float64 // POST and GET: answer delayed by SlowDelay
	SlowDelay           time.Duration

	// TaskErrorRate is the share of tasks (100 records each) that crash
	// like the real server's null-identifier bug: a random number of their
	// records are imported, the rest are not, and the job completes with
	// the InternalError and without that task's summary and details.
	TaskErrorRate float64

	// RecordQuota, when > 0, is a usage limit with action "block": a POST
	// whose records would take the accepted total past it gets 429
	// UsageLimitExceeded with info.period QuotaPeriod ("day" by default).
	RecordQuota int
	QuotaPeriod string

	// The faults of a real Authgear in trouble (issue 17 item 17):

	// LoseTasks lists tasks, numbered from 1 in the order the worker starts
	// them, that are lost as when the server process is killed while
	// running one: the first LoseAfter of its records are imported
	// (default: half of them), then the task is dropped and stays pending
	// for ever, and so does its job. The worker goes on with the next task.
	LoseTasks []int
	LoseAfter int

	// ForgetJobsAfter, when > 0, forgets every job at its next poll after
	// this many, as a Redis restart does: the job and its unfinished tasks
	// are gone (their records are never imported; a task being run is let
	// finish first) and GET answers 404 TaskNotFound, as real-server/a03.
	ForgetJobsAfter int

	// A database outage: the tasks that start after DBOutageAfterTasks
	// tasks, while the outage lasts (DBOutageTasks tasks, or DBOutageFor
	// of real time from the first failed task; whichever is longer), fail:
	// every record fails with 500 UnexpectedError (real-server/c22's
	// detail), or, with DBOutageNoOutcome, the task fails as a whole and
	// gives its records no outcome (the job's error is UnexpectedError, as
	// real-server/c24).
	DBOutageAfterTasks int
	DBOutageTasks      int
	DBOutageFor        time.Duration
	DBOutageNoOutcome  bool

	// RestartAfterPOSTs, when > 0, restarts a listening server (Start)
	// once it has answered that many accepted POSTs: it stops listening,
	// closes its connections, refuses connections for RestartFor, then
	// listens again on the same address. The queue and the stored users
	// survive, as Authgear's do in Redis and PostgreSQL.
	RestartAfterPOSTs int
	RestartFor        time.Duration
}

// FaultStats counts the faults actually injected.
type FaultStats struct {
	ServerErrors       int // 500, 502, 503
	TooManyRequests    int // injected 429s
	QuotaRejections    int // 429s from RecordQuota
	Dropped            int // connections closed before acceptance
	DroppedAfterAccept int
	Slow               int
	TaskErrors         int
	LostTasks          int // tasks lost (LoseTasks)
	ForgottenJobs      int // jobs forgotten (ForgetJobsAfter)
	OutageTasks        int // tasks failed by the database outage
	Restarts           int
}

// Total is the number of faults injected.
func (f FaultStats) Total() int {
	return f.ServerErrors + f.TooManyRequests + f.QuotaRejections + f.Dropped + f.DroppedAfterAccept + f.Slow + f.TaskErrors +
		f.LostTasks + f.ForgottenJobs + f.OutageTasks + f.Restarts
}

type faultState struct {
	cfg       Faults
	rng       *rand.Rand
	postIndex int
	getIndex  int
	stats     FaultStats
	// tasksStarted numbers the tasks the worker starts; outageFrom is
	// when the database outage's first task failed.
	tasksStarted int
	outageFrom   time.Time
	restarted    bool
}

// taskPlan is what happens to the task the worker starts next.
type taskPlan struct {
	crashAt int // a record at which the task crashes, or -1
	loseAt  int // a record at which the task is lost, or -1
	outage  bool
}

// planTask decides the fate of the task the worker starts now; the caller
// holds the server lock. now is real (monotonic) time.
func (f *faultState) planTask(n int, now time.Time) taskPlan {
	f.tasksStarted++
	p := taskPlan{crashAt: -1, loseAt: -1}
	for _, k := range f.cfg.LoseTasks {
		if k == f.tasksStarted {
			p.loseAt = n / 2
			if f.cfg.LoseAfter > 0 {
				p.loseAt = min(f.cfg.LoseAfter, n)
			}
			f.stats.LostTasks++
			return p
		}
	}
	if f.outage(now) {
		f.stats.OutageTasks++
		p.outage = true
		return p
	}
	p.crashAt = f.taskCrashAt(n)
	return p
}

// outage reports whether the database is down for a task starting now.
func (f *faultState) outage(now time.Time) bool {
	c := f.cfg
	if c.DBOutageTasks <= 0 && c.DBOutageFor <= 0 || f.tasksStarted <= c.DBOutageAfterTasks {
		return false
	}
	if f.outageFrom.IsZero() {
		f.outageFrom = now
	}
	return f.stats.OutageTasks < c.DBOutageTasks || now.Sub(f.outageFrom) < c.DBOutageFor
}

func newFaultState(cfg Faults) *faultState {
	if cfg.QuotaPeriod == "" {
		cfg.QuotaPeriod = "day"
	}
	seed := uint64(cfg.Seed)
	return &faultState{cfg: cfg, rng: rand.New(rand.NewPCG(seed, seed^0x5eed5a4db0c5))}
}

// decide picks the fault of one request; the caller holds the server lock.
func (f *faultState) decide(method string) Fault {
	if method == http.MethodPost {
		f.postIndex++
		if f.postIndex <= len(f.cfg.POSTScript) {
			return f.cfg.POSTScript[f.postIndex-1]
		}
	} else {
		f.getIndex++
		if f.getIndex <= len(f.cfg.GETScript) {
			return f.cfg.GETScript[f.getIndex-1]
		}
	}
	type share struct {
		rate  float64
		fault Fault
	}
	var shares []share
	if method == http.MethodPost {
		shares = []share{
			{f.cfg.POSTServerErrorRate, Fault500},
			{f.cfg.TooManyRequestsRate, Fault429},
			{f.cfg.DropRate, FaultDrop},
			{f.cfg.DropAfterAcceptRate, FaultDropAfterAccept},
			{f.cfg.SlowRate, FaultSlow},
		}
	} else {
		shares = []share{
			{f.cfg.GETServerErrorRate, Fault500},
			{f.cfg.DropRate, FaultDrop},
			{f.cfg.SlowRate, FaultSlow},
		}
	}
	total := 0.0
	for _, s := range shares {
		total += s.rate
	}
	if total <= 0 {
		return FaultNone
	}
	u := f.rng.Float64()
	acc := 0.0
	for _, s := range shares {
		acc += s.rate
		if u < acc {
			if s.fault == Fault500 {
				return []Fault{Fault500, Fault502, Fault503}[f.rng.IntN(3)]
			}
			return s.fault
		}
	}
	return FaultNone
}

// taskCrashAt returns the index of the record at which a task of n records
// crashes, or -1; the caller holds the server lock.
func (f *faultState) taskCrashAt(n int) int {
	if f.cfg.TaskErrorRate <= 0 || n == 0 {
		return -1
	}
	if f.rng.Float64() >= f.cfg.TaskErrorRate {
		return -1
	}
	f.stats.TaskErrors++
	return f.rng.IntN(n)
}

// writeServerError answers an injected 5xx.
func writeServerError(w http.ResponseWriter, f Fault) {
	switch f {
	case Fault500:
		writeAPIError(w, errUnexpected())
	case Fault502:
		h := w.Header()
		for _, k := range []string{"Content-Security-Policy", "Permissions-Policy", "X-Frame-Options", "X-Robots-Tag", "Pragma", "Cache-Control"} {
			h.Del(k)
		}
		h.Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusBadGateway)
		_, _ = io.WriteString(w, "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n</body>\r\n</html>\r\n")
	default:
		http.Error(w, "Service Unavailable", http.StatusServiceUnavailable)
	}
}

// dropConnection closes the client's connection without an answer: hijack
// and close, or (HTTP/2, recorders) abort the handler.
func dropConnection(w http.ResponseWriter, r *http.Request) {
	// Read what the client sends first, so it sees the closed connection
	// as a missing answer rather than as a failed write.
	_, _ = io.Copy(io.Discard, io.LimitReader(r.Body, 2<<20))
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			_ = conn.Close()
			return
		}
	}
	panic(http.ErrAbortHandler)
}
