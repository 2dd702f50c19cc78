package importer

import (
	"context"
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/authgear-migrate/authgear-migrate/importer/adminapi"
)

// The time before the run (issue 16 item 7): the canary, the first request
// sent alone, measures the server's pace; before the bulk, Run sends
// Estimated with how long the rest will take at that pace. During the run
// the pace (ImportProgress.Rate, and the ETA) is a moving rate over the
// recent jobs (paceMeter), so the ETA follows the server as it speeds up
// or slows down.

// Pace is a measured pace: Records settled in Elapsed.
type Pace struct {
	Records int
	Elapsed time.Duration
	// ServerClock: Elapsed is the server's own time for the job (its
	// created_at to its completed_at); otherwise it is this machine's
	// wall time from sending the request to reading its outcome, the
	// polling included (which, for a small request, is most of it).
	ServerClock bool
}

// Rate is the pace in records per second (0 when nothing was measured).
func (p Pace) Rate() float64 {
	if p.Records <= 0 || p.Elapsed <= 0 {
		return 0
	}
	return float64(p.Records) / p.Elapsed.Seconds()
}

// measureJob is the pace of a request of n records: by the server's clock
// when the job gives both its times and they are plausible (later than
// created, and no longer than this machine saw, give or take a second of
// clock skew between the server's processes), else by this machine's wall
// time from the POST to the answer that completed it.
func measureJob(job *adminapi.Job, n int, posted, answered time.Time) Pace {
	wall := answered.Sub(posted)
	if job != nil && !job.CreatedAt.IsZero() && !job.CompletedAt.IsZero() {
		if srv := job.CompletedAt.Sub(job.CreatedAt); srv > 0 && srv <= wall+time.Second {
			return Pace{Records: n, Elapsed: srv, ServerClock: true}
		}
	}
	return Pace{Records: n, Elapsed: wall}
}

// Estimate is the estimate for remaining records after a canary measured
// at canary. ok is false when nothing can be said (no records left, no
// pace). The pace is the server's: when this machine is the slower
// (hashing clear-text passwords locally), the ETA during the run follows
// the pace of the recent jobs, which includes it.
func Estimate(remaining int, canary Pace) (e Estimated, ok bool) {
	e = Estimated{Remaining: remaining, Canary: canary, Rate: canary.Rate()}
	if remaining <= 0 || e.Rate <= 0 || math.IsInf(e.Rate, 0) {
		return e, false
	}
	e.Duration = time.Duration(float64(remaining) / e.Rate * float64(time.Second))
	return e, true
}

// String words the estimate: "about 2 h 45 min for 998,000 records at 101
// records/s".
func (e Estimated) String() string {
	return fmt.Sprintf("%s for %s %s at %s records/s", AboutDuration(e.Duration), Thousands(e.Remaining),
		plural(e.Remaining, "record", "records"), rateText(e.Rate))
}

// Basis says how the estimate was made, for the line under it.
func (e Estimated) Basis() string {
	how := "by this machine's clock, from sending it to reading its outcome"
	if e.Canary.ServerClock {
		how = "by the server's clock"
	}
	s := fmt.Sprintf("the first request's %s %s took %s %s", Thousands(e.Canary.Records),
		plural(e.Canary.Records, "record", "records"), shortDuration(e.Canary.Elapsed), how)
	return s + "; one small request measures little: the ETA follows the pace of the recent jobs as the run goes"
}

func rateText(r float64) string {
	if r >= 10 || r == 0 {
		return Thousands(int(math.Round(r)))
	}
	return fmt.Sprintf("%.1f", r)
}

// shortDuration writes a measured time: "4 ms", "250 ms", "3.4 s", "12 s".
func shortDuration(d time.Duration) string {
	s := d.Seconds()
	switch {
	case d < time.Millisecond:
		return "less than 1 ms"
	case s < 1:
		return fmt.Sprintf("%d ms", d.Round(time.Millisecond)/time.Millisecond)
	case s < 10:
		return fmt.Sprintf("%.1f s", s)
	}
	return AboutDuration(d)[len("about "):]
}

// AboutDuration words a duration that is an estimate, to two units at
// most: "about 2 h 45 min", "about 3 min 20 s", "about 40 s", "less than
// a second", "about 3 days 4 h".
func AboutDuration(d time.Duration) string {
	if d < time.Second {
		return "less than a second"
	}
	if d < time.Minute {
		return fmt.Sprintf("about %d s", int(d.Round(time.Second)/time.Second))
	}
	if d < time.Hour {
		d = d.Round(time.Second)
		m, s := int(d/time.Minute), int(d%time.Minute/time.Second)
		if s == 0 || m >= 10 {
			return fmt.Sprintf("about %d min", int(d.Round(time.Minute)/time.Minute))
		}
		return fmt.Sprintf("about %d min %d s", m, s)
	}
	d = d.Round(time.Minute)
	if d < 24*time.Hour {
		h, m := int(d/time.Hour), int(d%time.Hour/time.Minute)
		if m == 0 {
			return fmt.Sprintf("about %d h", h)
		}
		return fmt.Sprintf("about %d h %d min", h, m)
	}
	d = d.Round(time.Hour)
	days, h := int(d/(24*time.Hour)), int(d%(24*time.Hour)/time.Hour)
	if h == 0 {
		return fmt.Sprintf("about %d %s", days, plural(days, "day", "days"))
	}
	return fmt.Sprintf("about %d %s %d h", days, plural(days, "day", "days"), h)
}

// paceWindow is how many job completions the moving rate spans: with two
// jobs in flight sized to about 10 s each, the last minute or so.
const paceWindow = 8

// paceMeter is the moving rate of a run: the records the server settled
// between the oldest and the newest of the recent marks (a mark at the
// request that anchors it, then one at each job's completion).
type paceMeter struct {
	marks []paceMark // oldest first, at most paceWindow+1
}

type paceMark struct {
	at     time.Time
	served int
}

// anchored reports whether the meter has a starting mark.
func (m *paceMeter) anchored() bool { return len(m.marks) > 0 }

// anchor starts the window afresh at at, with served records settled so
// far (the bulk's first request, after a canary measured on its own).
func (m *paceMeter) anchor(at time.Time, served int) {
	m.marks = append(m.marks[:0], paceMark{at, served})
}

// mark adds a completion: served records settled by at.
func (m *paceMeter) mark(at time.Time, served int) {
	if !m.anchored() {
		return
	}
	m.marks = append(m.marks, paceMark{at, served})
	if over := len(m.marks) - (paceWindow + 1); over > 0 {
		m.marks = append(m.marks[:0], m.marks[over:]...)
	}
}

// rate is the pace over the window until now with served settled: equal
// to the pace at the last completion when now is that completion, and
// falling as a wait goes on. ok is false below 50 ms of window (too short
// to say anything) or with nothing settled in it.
func (m *paceMeter) rate(now time.Time, served int) (float64, bool) {
	if !m.anchored() {
		return 0, false
	}
	first := m.marks[0]
	el := now.Sub(first.at).Seconds()
	n := served - first.served
	if el <= 0.05 || n <= 0 {
		return 0, false
	}
	return float64(n) / el, true
}

// CanaryMeasure is what the canary measured, for ImportOptions.CanaryDone.
type CanaryMeasure struct {
	// Ran: a canary was sent in this run (a resume that continues a run
	// past its canary sends none).
	Ran bool
	// Pace is the server's pace on the canary.
	Pace Pace
	// Accounted is the input records with an outcome once it settled
	// (the canary's, the invalid ones read so far, an earlier run's).
	Accounted int
	// Rows are the canary's report lines.
	Rows []ReportRow
	// ReadyFollows: this canary held only the sign-in's record, and the
	// canary of the project's readiness follows it (ImportOptions.ReadyDone
	// then tells what that one measured).
	ReadyFollows bool
}

// measuredCanary keeps what the canary measured: its pace, which sizes
// the bulk's first requests and is the ETA's rate until the first bulk
// job completes, when the moving rate takes over (anchored at the bulk's
// first request, so that the wait between the canary and the bulk, a
// sign-in or roles created, is not taken for the server's).
func (im *importer) measuredCanary(req *request, job *adminapi.Job, rows []ReportRow) {
	pace := measureJob(job, len(rows), req.posted, im.o.Now())
	im.reportMu.Lock()
	accounted := ImportProgress{Counts: im.counts}.Accounted()
	im.reportMu.Unlock()
	im.mu.Lock()
	defer im.mu.Unlock()
	im.canary.Ran, im.canary.Pace, im.canary.Accounted = true, pace, accounted
	im.canary.Rows = append([]ReportRow(nil), rows...)
	if r := pace.Rate(); r > 0 && !math.IsInf(r, 0) {
		im.rate = r
	}
	im.meter = paceMeter{}
}

// readyDone calls ImportOptions.ReadyDone with what the readiness canary
// measured, unless the run stopped.
func (im *importer) readyDone(ctx context.Context) {
	if im.o.ReadyDone == nil || im.stopped() != nil || ctx.Err() != nil {
		return
	}
	im.mu.Lock()
	c := im.canary
	im.mu.Unlock()
	im.o.ReadyDone(ctx, c)
}

// canaryDone calls ImportOptions.CanaryDone with what the canary measured.
func (im *importer) canaryDone(ctx context.Context) error {
	if im.o.CanaryDone == nil {
		return nil
	}
	im.mu.Lock()
	c := im.canary
	im.mu.Unlock()
	c.ReadyFollows = im.readyFollows
	if !c.Ran {
		im.reportMu.Lock()
		c.Accounted = ImportProgress{Counts: im.counts}.Accounted()
		im.reportMu.Unlock()
	}
	return im.o.CanaryDone(ctx, c)
}

// runEstimate sends Estimated once the canary's measure and the input's
// record count are both known: before the bulk when the count came first
// (the usual case: the count runs beside the canary), else as soon as it
// comes.
type runEstimate struct {
	mu     sync.Mutex
	canary *CanaryMeasure
	total  int
	sent   bool
	closed bool
}

// close: the import is over, no estimate is sent any more.
func (e *runEstimate) close() {
	e.mu.Lock()
	e.closed = true
	e.mu.Unlock()
}

// estimate records what one side learnt (a nil canary or a 0 total: not
// this side) and returns the event to send, once.
func (e *runEstimate) estimate(canary *CanaryMeasure, total int) (Estimated, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if canary != nil && canary.Ran {
		e.canary = canary
	}
	if total > 0 {
		e.total = total
	}
	if e.sent || e.canary == nil || e.total == 0 || e.closed {
		return Estimated{}, false
	}
	e.sent = true
	return Estimate(e.total-e.canary.Accounted, e.canary.Pace)
}

// countWait is how long the estimate after the canary waits for the
// input's records to be counted.
const countWait = 30 * time.Second

// canaryDone is Run's ImportOptions.CanaryDone: the canary user's sign-in
// (issue 16 item 2), then the estimate of the rest (item 7).
func (r *run) canaryDone(ctx context.Context, c CanaryMeasure) error {
	// The canary user signs in first: a stop leaves no estimate to give.
	if err := r.canarySignIn(ctx, c); err != nil {
		return err
	}
	if !c.ReadyFollows {
		r.estimateRest(ctx, c)
	}
	return nil
}

// readyDone is Run's ImportOptions.ReadyDone: the estimate of the rest,
// from the canary of ten that followed the sign-in's record.
func (r *run) readyDone(ctx context.Context, c CanaryMeasure) { r.estimateRest(ctx, c) }

// estimateRest sends the estimate of the rest from what canary c measured,
// once the input's records are counted.
func (r *run) estimateRest(ctx context.Context, c CanaryMeasure) {
	if c.Ran && r.total.Load() == 0 && r.counted != nil {
		// The count beside the import is usually over by now; when it is
		// not, the estimate waits for it a little (it comes before the
		// bulk, which is hours long when the count is long), and after
		// that comes as soon as the count does.
		t := time.NewTimer(countWait)
		select {
		case <-r.counted:
		case <-ctx.Done():
		case <-t.C:
		}
		t.Stop()
	}
	if e, ok := r.estimate.estimate(&c, int(r.total.Load())); ok {
		r.event(e)
	}
}
