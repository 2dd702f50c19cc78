package importer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/authgear-migrate/authgear-migrate/importer/adminapi"
)

// ImportAPI is the part of the Admin API the import needs; *adminapi.Client
// implements it.
type ImportAPI interface {
	CreateImport(ctx context.Context, body []byte) (*adminapi.Job, error)
	GetImport(ctx context.Context, id string) (*adminapi.Job, error)
}

// ImportOptions tunes Import.
type ImportOptions struct {
	API ImportAPI
	// Concurrency is how many jobs may be in flight (default 2). The
	// server works through its queue with one consumer, in order: two jobs
	// keep it busy, more only queue results that expire after 24 hours.
	Concurrency int
	// MaxBodyBytes is the request body limit (default 500,000 bytes).
	MaxBodyBytes int
	// CanarySize is the number of records in the first request, which is
	// sent alone and checked before the rest (default 10; -1 disables).
	CanarySize int
	// TargetJobSeconds sizes requests to complete in about this long at the
	// rate measured so far (default 10 s).
	TargetJobSeconds float64
	// InitialRate is the records/s assumed before any job has finished
	// (default 100, the real server's pace on 2 cores).
	InitialRate float64
	// PollMin and PollMax bound the interval between status polls.
	PollMin, PollMax time.Duration
	// Grace is how long in-flight jobs are still polled after ctx ends.
	Grace time.Duration
	// PendingLimit is how long a job may stay pending before the run takes
	// it for lost (a server killed mid-task loses the task, and its job
	// stays pending for ever) and looks its records up: the users it
	// created are reported, the others sent again (default 15 minutes;
	// the real server finishes 100 records a second).
	PendingLimit time.Duration
	// OvertakenLimit is how long a job may stay pending after a job sent
	// after it completed (the server works through its queue in order, so
	// it was most likely lost) before it is taken for lost (default 1
	// minute).
	OvertakenLimit time.Duration
	// ResumePendingLimit is how long a job an earlier run left pending is
	// waited for, on resume, before it is taken for lost (default 1
	// minute).
	ResumePendingLimit time.Duration
	// RetryWait is the first wait before records the server gave no
	// outcome, or whose whole request failed with the server's internal
	// error, are sent again; it doubles after each try, up to a minute
	// (default 5 s).
	RetryWait time.Duration
	// RetryBudget is how long such records are sent again before they are
	// reported failed (default 5 minutes, as the client's retry budget).
	RetryBudget time.Duration
	// ClaimWindow is how long after a request a user found by look-up may
	// have been created by it (default 15 minutes): a user created later,
	// or one that does not match the record, is someone else's.
	ClaimWindow time.Duration
	// Journal, when set, makes the run resumable; an unfinished earlier run
	// it holds is continued.
	Journal *Journal
	// Total returns the number of input records once known (for the ETA),
	// or 0.
	Total func() int
	// Rejected, when set, receives each invalid input row (for the retry
	// file), in input order.
	Rejected func(*Row) error
	// Progress is called (from several goroutines, serialised) as work moves.
	Progress func(ImportProgress)
	// Prepared, when set, sees every prepared record in input order, those
	// an earlier run settled included (p is valid only during the call).
	Prepared func(p *Prepared)
	// Lookup looks users up by login ID: the holder of a login ID that
	// collided ("identity already exists") is named in the report, and a
	// resume finds the users an interrupted request created. Default: API,
	// when it can (*adminapi.Client can).
	Lookup UserLookup
	// AfterCanary, when set, is called once, after the canary (the first
	// request) completed without stopping the run and before any other
	// request (before the first one when there is no canary: a resume, or
	// CanarySize -1); an error stops the run. HoldFromCanary, when set,
	// keeps the records it is true for out of the canary: they wait (up to
	// maxHeldForCanary of them) for AfterCanary, which creates what they
	// need (see ProjectPrep).
	AfterCanary    func(ctx context.Context) error
	HoldFromCanary func(*Record) bool
	// CanaryDone, when set, is called once, before AfterCanary: after the
	// canary settled without stopping the run, with what it measured, or
	// before the first request when there is no canary (c.Ran false). An
	// error stops the run (a *StopError as it is).
	CanaryDone func(ctx context.Context, c CanaryMeasure) error
	// ReadyDone, when set, is called after the canary that shows whether
	// the project is ready when it follows the sign-in's record sent alone
	// (CanaryMeasure.ReadyFollows), with what that canary measured: the
	// pace of one record measures nothing.
	ReadyDone func(ctx context.Context, c CanaryMeasure)
	// first, when set, is sent in the canary whatever its place in the
	// input (the record the canary signs in as, RunConfig.CanarySignIn),
	// unless the run already has its outcome; a canary is then sent
	// even by a resume past its canary.
	first *queued
	// firstSID is first's old user id (source.id), for its report line.
	firstSID string
	// Now and Sleep are injectable clocks.
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error
}

// ImportProgress is a snapshot of a running import.
type ImportProgress struct {
	Counts        // the report's lines so far
	Total     int // input records, when known
	Prepared  int // records read, mapped and validated
	Sent      int // records in accepted jobs
	Done      int // records with a known outcome from the server
	InFlight  int // jobs sent and not complete
	Estimated int // records the server has probably finished in pending jobs (an estimate)
	Rate      float64
	ETA       time.Duration // 0 when unknown
	Phase     string
}

// Accounted is how many input records have an outcome.
func (p ImportProgress) Accounted() int {
	return p.Invalid + p.NotUsers + p.Inserted + p.Updated + p.Skipped + p.Failed
}

// Counts tallies the report's lines by outcome. The import counts each
// line as it is written, and the progress and the summary are both read
// from it, so that they always agree with the report.
type Counts struct {
	Valid   int
	Invalid int
	// NotUsers counts the objects that are not users (OutcomeNotUser).
	NotUsers int
	Inserted int
	Updated  int
	Skipped  int
	// Failed counts records the server failed or refused; NotSent, the
	// failed lines of records a resume sends (or reads) again.
	Failed  int
	NotSent int
	// Unresolved counts the failed lines of records that were sent and
	// whose outcome is not known yet (MaybeSent, Unknown, NotResent): not
	// "not sent", since the server may have created their users.
	Unresolved int
	// Resumed counts the lines whose outcome came from the journal.
	Resumed int
}

func (c *Counts) add(r ReportRow) {
	if r.Resumed {
		c.Resumed++
	}
	switch {
	case r.Unsent == NotSent || r.Unsent == NotRead:
		c.NotSent++
	case r.Unsent != Settled:
		c.Unresolved++
	case r.Outcome == OutcomeValid:
		c.Valid++
	case r.Outcome == OutcomeInvalid:
		c.Invalid++
	case r.Outcome == OutcomeNotUser:
		c.NotUsers++
	case r.Outcome == OutcomeInserted:
		c.Inserted++
	case r.Outcome == OutcomeUpdated:
		c.Updated++
	case r.Outcome == OutcomeSkipped:
		c.Skipped++
	default:
		c.Failed++
	}
}

// Unsent says why a failed line has no outcome from the server yet. A
// record with any kind but Settled is not settled in the journal: running
// the same command again sends it, or reads its job.
type Unsent uint8

// Kinds of unsent records.
const (
	// Settled: the line is the record's outcome.
	Settled Unsent = iota
	// NotSent: the record was read (and batched) but the run stopped
	// before sending it.
	NotSent
	// NotRead: the run stopped before the record was read.
	NotRead
	// MaybeSent: its request was sent and no answer came: the server may
	// have created the user.
	MaybeSent
	// Unknown: its job was accepted and the results could not be read.
	Unknown
	// NotResent: a job-level error lost it and the run stopped before it
	// was sent again: the first attempt may have saved it.
	NotResent
)

// ImportSummary counts the outcomes of a whole run.
type ImportSummary struct {
	PrepareStats
	Inserted int `json:"inserted"`
	Updated  int `json:"updated"`
	Skipped  int `json:"skipped"`
	Failed   int `json:"failed"`
	// NotSent counts records never sent, left for a resume (the run was
	// stopped); Unresolved, records sent whose outcome is not known yet
	// (a resume reads or looks them up).
	NotSent    int `json:"not_sent"`
	Unresolved int `json:"unresolved,omitempty"`
	// Resumed counts records whose outcome came from the journal.
	Resumed int `json:"resumed"`
	// reported holds the rows that got a report line in this run.
	reported *bitset
	Jobs     int `json:"jobs"`
}

// summarise fills the outcome fields from the report's tally.
func (s *ImportSummary) summarise(c Counts) {
	s.Inserted, s.Updated, s.Skipped, s.Failed = c.Inserted, c.Updated, c.Skipped, c.Failed
	s.NotSent, s.Unresolved, s.Resumed = c.NotSent, c.Unresolved, c.Resumed
	s.Invalid, s.NotUsers = c.Invalid, c.NotUsers
}

// StopError stops an import before every record was sent; the journal lets
// the same command continue later.
type StopError struct {
	// Reason explains, without secrets, what to do.
	Reason string
	Err    error
	// Remedy, worded by each front end, continues the import.
	Remedy Remedy
}

func (e *StopError) Error() string { return e.Reason }
func (e *StopError) Unwrap() error { return e.Err }

// ErrCanary is wrapped by the StopError raised when the first request shows
// that the project is not ready for the rest.
var ErrCanary = errors.New("the first request showed the project is not ready")

// request is one POST's worth of records.
type request struct {
	seq     int
	rows    []int // input record numbers, in request order
	ids     []string
	sids    []string // old ids, of a request resumed from the journal (idmap.go)
	recs    [][]byte // encoded records
	bytes   int
	attempt int    // 0 first time; >0 when re-sent after a job-level error
	note    string // reason prefix for outcomes of a re-sent request
	jobID   string // set when resuming an accepted job
	// ambiguous: an earlier attempt of the POST may have created a job.
	ambiguous bool
	// mayExist: an earlier request of these records (a lost job, records
	// with no outcome) may have created them.
	mayExist bool
	// since and sinceLocal are when the records were first sent, by the
	// server's clock (zero if unknown) and this machine's.
	since, sinceLocal time.Time
	// order numbers the accepted jobs of this run, in acceptance order.
	order int
	// retries counts the waits before sending records again after no
	// outcome or the server's internal error; firstFail is when the first
	// of those failures was seen.
	retries   int
	firstFail time.Time
	// posted is when this machine sent the POST that created its job.
	posted time.Time
}

type importer struct {
	o      ImportOptions
	m      *Mapping
	prefix []byte
	report func(ReportRow) error

	mu       sync.Mutex
	prog     ImportProgress
	sum      ImportSummary
	rate     float64
	started  time.Time
	lastDone time.Time
	// served and meter measure the server's pace in this run: outcomes
	// it gave since the first request, not journal or local ones; meter
	// is the moving rate over the recent jobs (estimate.go).
	served int
	meter  paceMeter
	// canary is what the canary measured (CanaryDone).
	canary CanaryMeasure
	// readyFollows: the request just sent held the sign-in's record
	// alone, and the canary of the project's readiness follows it.
	readyFollows bool
	stopErr      error
	seq          int
	// reportMu serialises report lines and guards counts.
	reportMu sync.Mutex
	counts   Counts

	resume   *Resume // the earlier run continued, or nil
	skip     *bitset // rows settled by an earlier run
	reported *bitset // rows reported in this run (under reportMu)
	// maybeSent are rows an interrupted earlier run may have sent in a job
	// the journal never learnt of.
	maybeSent *bitset

	notesMu sync.Mutex
	notes   map[int]string
	resent  map[int]string // rows of resumed jobs lost to a job-level error
	windows map[int]since  // rows of lost resumed jobs: when they were sent
	sids    map[int]string // rows' old ids until their line is reported (idmap.go)

	// accepted numbers the jobs accepted; completed is the highest number
	// of a completed job, and completedAt when it completed (under mu).
	accepted, completed int
	completedAt         time.Time

	sem chan struct{}
	wg  sync.WaitGroup
	// pollCtx outlives the sending context by the grace period.
	pollCtx context.Context
}

// Import prepares every record of src with plan, sends the valid ones to
// the User Import API in batches, follows every job to completion and
// calls report once for every input record with its outcome. With a
// journal holding an earlier run of the same input and mapping, it resumes:
// outcomes already known are reported from the journal, accepted jobs are
// polled, and nothing already accepted is sent again.
func Import(ctx context.Context, src *Source, plan *Plan, o ImportOptions, report func(ReportRow) error) (ImportSummary, error) {
	if o.Concurrency <= 0 {
		o.Concurrency = 2
	}
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = adminapi.MaxBodyBytes
	}
	if o.CanarySize == 0 {
		o.CanarySize = 10
	}
	if o.TargetJobSeconds <= 0 {
		o.TargetJobSeconds = 10
	}
	if o.InitialRate <= 0 {
		o.InitialRate = 100
	}
	if o.PollMin <= 0 {
		o.PollMin = 200 * time.Millisecond
	}
	if o.PollMax <= 0 {
		o.PollMax = 5 * time.Second
	}
	if o.Grace <= 0 {
		o.Grace = 10 * time.Second
	}
	if o.PendingLimit <= 0 {
		o.PendingLimit = 15 * time.Minute
	}
	if o.OvertakenLimit <= 0 {
		o.OvertakenLimit = time.Minute
	}
	if o.ResumePendingLimit <= 0 {
		o.ResumePendingLimit = time.Minute
	}
	if o.RetryWait <= 0 {
		o.RetryWait = 5 * time.Second
	}
	if o.RetryBudget <= 0 {
		o.RetryBudget = adminapi.DefaultMaxElapsed
	}
	if o.ClaimWindow <= 0 {
		o.ClaimWindow = 15 * time.Minute
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Sleep == nil {
		o.Sleep = sleepCtx
	}
	m := plan.Mapping()
	im := &importer{
		reported: &bitset{},
		o:        o, m: m, report: report, rate: o.InitialRate, started: o.Now(),
		sem:    make(chan struct{}, o.Concurrency),
		prefix: []byte(fmt.Sprintf(`{"identifier":%q,"upsert":%t,"records":[`, m.Identifier, m.Upsert)),
	}
	im.prog.Phase = "importing"
	im.lastDone = im.started

	pollCtx, cancelPoll := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelPoll()
	im.pollCtx = pollCtx
	stopPolling := context.AfterFunc(ctx, func() {
		time.AfterFunc(o.Grace, cancelPoll)
	})
	defer stopPolling()

	// Resume: report what the journal knows, poll what it accepted.
	var skip *bitset
	var resume *Resume
	if o.Journal != nil {
		resume = o.Journal.Resume()
	}
	if resume != nil {
		skip = resume.settled
		if err := o.Journal.eachResult(func(r ReportRow) error {
			r.Resumed = true
			return im.emit(r)
		}); err != nil {
			im.sum.reported = im.reported
			return im.sum, err
		}
		im.seq = resume.maxSeq
		im.skip = skip
		im.resume = resume
		im.maybeSent = resume.maybeSent
		// Read the jobs the earlier run left in flight before sending
		// anything new; records they lost are prepared and sent again.
		for _, req := range resume.accepted {
			im.setSourceIDs(req.rows, req.sids)
			im.sum.Jobs++
			im.wg.Add(1)
			im.send(ctx, req, false)
		}
		resume.accepted = nil
		// A stop while reading them (a poll that failed) is handled by the
		// stream below, which reports every other record as not sent.
	}

	// Stream: prepare, report the invalid, batch the valid.
	var cur *request
	canaryPending := o.CanarySize > 0 && resume.CanaryDue()
	// firstAlone: the record the canary signs in as (ImportOptions.first)
	// is sent alone, so that a hash that does not sign in costs one user;
	// readyCanary: the canary that shows whether the project is ready
	// (CanarySize records, checked as every canary is) follows it, once
	// the sign-in proved the password.
	firstAlone, readyCanary := false, false
	var gate canaryGate
	var add func(q queued) error
	flush := func() error {
		if cur == nil || len(cur.rows) == 0 {
			return nil
		}
		req := cur
		cur = nil
		if err := im.stopped(); err != nil {
			im.failRequest(req, NotSent, "not sent: "+err.Error())
			return nil
		}
		im.mu.Lock()
		im.seq++
		req.seq = im.seq
		im.sum.Jobs++
		im.mu.Unlock()
		req.sinceLocal = o.Now()
		req.since, _ = im.serverNow()
		if o.Journal != nil {
			if err := im.journalRequest(req); err != nil {
				// Without the journal line a resume could not tell these
				// were never sent: send nothing more.
				im.stop(&StopError{Reason: "the journal could not be written (" + err.Error() + "): nothing more was sent", Err: err})
				req.seq = 0 // not in the journal
				im.failRequest(req, NotSent, "not sent: the journal could not be written")
				return nil
			}
		}
		if canaryPending {
			canaryPending = false
			im.wg.Add(1)
			im.send(ctx, req, true)
			im.wg.Wait()
			if firstAlone {
				firstAlone, canaryPending = false, readyCanary
				im.readyFollows = readyCanary
				return gate.run(ctx, im, add)
			}
			if im.readyFollows {
				im.readyFollows = false
				im.readyDone(ctx)
				return nil
			}
			return gate.run(ctx, im, add)
		}
		if err := gate.run(ctx, im, add); err != nil {
			return err
		}
		im.launch(ctx, req)
		return nil
	}
	// add puts a record into the current request, sending the request
	// when it is full.
	add = func(q queued) error {
		if err := im.stopped(); err != nil {
			return im.emit(ReportRow{Row: q.row, Identifier: q.id, Outcome: OutcomeFailed, Unsent: NotSent, Reason: "not sent: the run stopped before this record (import again to continue)"})
		}
		if q.hold && !gate.ran {
			if canaryPending && len(gate.held) < maxHeldForCanary {
				gate.held = append(gate.held, q)
				return nil
			}
			if err := gate.run(ctx, im, add); err != nil {
				return err
			}
		}
		limit := im.targetRecords(canaryPending)
		if firstAlone {
			limit = 1
		}
		if cur != nil && (len(cur.rows) >= limit || cur.bytes+len(q.rec)+1 > o.MaxBodyBytes) {
			if err := flush(); err != nil {
				return err
			}
		}
		if cur == nil {
			cur = &request{bytes: len(im.prefix) + 2}
		}
		cur.rows = append(cur.rows, q.row)
		cur.ids = append(cur.ids, q.id)
		cur.recs = append(cur.recs, q.rec)
		cur.bytes += len(q.rec) + 1
		if q.note != "" {
			im.setNote(q.row, q.note)
		}
		return nil
	}
	// pending are records of requests an interrupted run may have sent
	// (journaled, no job id): resolve looks them up; a user created after
	// the request was journaled is the interrupted run's, reported
	// inserted; the others are sent as usual.
	lookup := im.lookupAPI()
	var pending []queued
	resolve := func() error {
		if len(pending) == 0 {
			return nil
		}
		batch := pending
		pending = nil
		return im.resolveMaybeSent(ctx, lookup, resume, batch, add)
	}
	// The record the canary signs in as goes first, unless this run has
	// its outcome already (the journal's, or a resumed job's).
	firstRow := 0
	if o.first != nil {
		im.reportMu.Lock()
		done := im.reported.has(o.first.row)
		im.reportMu.Unlock()
		if !done {
			firstRow = o.first.row
			readyCanary = canaryPending && im.o.CanarySize > 1
			if im.o.CanarySize < 0 {
				im.o.CanarySize = 1
			}
			canaryPending, firstAlone = true, true
			im.setSourceIDs([]int{o.first.row}, []string{o.firstSID})
			if err := add(*o.first); err != nil {
				im.sum.reported = im.reported
				return im.sum, err
			}
		}
	}
	var buf []byte
	stats, err := Prepare(ctx, src, plan, PrepareOptions{}, func(p *Prepared) error {
		im.mu.Lock()
		im.prog.Prepared++
		im.mu.Unlock()
		if o.Prepared != nil {
			o.Prepared(p)
		}
		if skip != nil && skip.has(p.Row.Num) {
			return nil
		}
		if p.Row.Num == firstRow {
			return nil // sent first
		}
		im.setSourceIDs([]int{p.Row.Num}, []string{p.SourceID})
		if p.NotUser != "" {
			// Not a user: its line, never sent, not in the retry file.
			return im.emit(ReportRow{Row: p.Row.Num, Identifier: p.Identifier, Outcome: OutcomeNotUser, Reason: p.Reason()})
		}
		if !p.Valid() {
			if err := im.emit(ReportRow{Row: p.Row.Num, Identifier: p.Identifier, Outcome: OutcomeInvalid, Reason: p.Reason()}); err != nil {
				return err
			}
			if o.Rejected != nil {
				return o.Rejected(p.Row)
			}
			return nil
		}
		if err := im.stopped(); err != nil {
			return im.emit(ReportRow{Row: p.Row.Num, Identifier: p.Identifier, Outcome: OutcomeFailed, Unsent: NotSent, Reason: "not sent: the run stopped before this record (import again to continue)"})
		}
		var err error
		buf, err = p.Record.AppendJSON(buf[:0])
		if err != nil {
			return err
		}
		if len(im.prefix)+len(buf)+2 > o.MaxBodyBytes {
			return im.emit(ReportRow{Row: p.Row.Num, Identifier: p.Identifier, Outcome: OutcomeFailed,
				Reason: fmt.Sprintf("the record is %d bytes, more than fits in one request (%d bytes)", len(buf), o.MaxBodyBytes)})
		}
		q := queued{row: p.Row.Num, id: p.Identifier, rec: append([]byte(nil), buf...), note: strings.Join(p.Notes, "; "),
			hold: o.HoldFromCanary != nil && o.HoldFromCanary(p.Record)}
		if resume != nil && lookup != nil && im.maybeSent != nil && im.maybeSent.has(q.row) {
			// An interrupted run may have created it: looked up first.
			pending = append(pending, q)
			if len(pending) >= adminapi.DefaultBatchSize {
				return resolve()
			}
			return nil
		}
		return add(q)
	})
	if err == nil {
		err = resolve()
	}
	if err == nil {
		err = flush()
	}
	if err == nil {
		// Records held back from a canary that never filled (or that
		// was the last request) go now.
		if err = gate.run(ctx, im, add); err == nil {
			err = flush()
		}
	}
	if err != nil && cur != nil && len(cur.rows) > 0 {
		im.failRequest(cur, NotSent, "not sent: the run was interrupted; import again to continue")
	}
	im.wg.Wait()
	im.sum.PrepareStats = stats
	im.reportMu.Lock()
	im.sum.summarise(im.counts)
	im.reportMu.Unlock()
	if err == nil {
		err = im.stopped()
	}
	if err == nil && ctx.Err() != nil {
		err = ctx.Err()
	}
	if err == nil && o.Journal != nil {
		err = o.Journal.End()
	}
	if errors.Is(err, ErrCanary) && o.Journal != nil {
		// The project must be changed first; the next run sends the
		// canary's records again rather than treating them as settled.
		_ = o.Journal.EndCanary()
	}
	if err != nil && errors.Is(err, context.Canceled) {
		err = &StopError{Reason: "interrupted: jobs already accepted are in the journal", Err: err, Remedy: RemedyRunAgain}
	}
	im.sum.reported = im.reported
	return im.sum, err
}

// queued is a prepared record waiting for its request.
type queued struct {
	row  int
	id   string
	rec  []byte
	note string
	// hold keeps the record out of the canary (ImportOptions.HoldFromCanary).
	hold bool
}

// NoteCreatedByInterruptedRun ends the reason of a record that a resume
// found created by the interrupted run.
const NoteCreatedByInterruptedRun = "created by the interrupted earlier run (its request was sent before the run stopped, and the server's answer was never recorded); found by a look-up, not sent again"

// resolveMaybeSent looks up, in one aliased batch, the records an
// interrupted run (or a lost resumed job) may have sent: a user holding
// the record's identifier that is the user the request created (claim:
// created within the request's window by the server's clock, holding what
// the record sent) is reported inserted with its id; a user that is
// someone else fails the record, naming them, and nothing is sent in their
// name (with upsert, the record is sent again: an upsert updates whoever
// holds the identifier); the others go to add. A look-up that fails sends
// the records as before (a skip then explains itself).
func (im *importer) resolveMaybeSent(ctx context.Context, api UserLookup, resume *Resume, qs []queued, add func(queued) error) error {
	ids := make([]string, len(qs))
	recs := make([]*Record, len(qs))
	from := make([]since, len(qs))
	known := make([]bool, len(qs))
	for i, q := range qs {
		ids[i] = q.id
		recs[i] = decodeSent(q.rec)
		from[i], known[i] = im.windowOf(resume, q.row)
	}
	fs, err := im.lookUp(ctx, api, ids, recs, from)
	key := loginIDName(Identifier(im.m.Identifier))
	var settled []ReportRow
	for i, q := range qs {
		var r *ReportRow
		switch {
		case err != nil || fs[i].user == nil:
		case !known[i]:
			// A journal of an older version, with no time for the
			// request: sent again, and a skip explains itself.
		case fs[i].claim:
			reason := NoteCreatedByInterruptedRun
			if n := im.resentNote(q.row); n != "" {
				reason = n + "; " + NoteCreatedByLostRequest
			}
			r = &ReportRow{Row: q.row, Identifier: q.id, Outcome: OutcomeInserted, UserID: fs[i].user.UserID, Reason: reason}
		case !im.m.Upsert:
			r = &ReportRow{Row: q.row, Identifier: q.id, Outcome: OutcomeFailed, Reason: strangerReason(key, q.id, fs[i])}
		}
		if r == nil {
			if err := add(q); err != nil {
				return err
			}
			continue
		}
		if q.note != "" {
			r.Reason = q.note + "; " + r.Reason
		}
		settled = append(settled, *r)
	}
	if len(settled) == 0 {
		return nil
	}
	if im.o.Journal != nil {
		if err := im.journalResult(0, settled); err != nil {
			im.stop(err)
		}
	}
	for _, r := range settled {
		if err := im.emit(r); err != nil {
			return err
		}
	}
	return nil
}

// setNote keeps a remark from preparation (password dropped) until the
// record's outcome is reported.
func (im *importer) setNote(row int, note string) {
	im.notesMu.Lock()
	defer im.notesMu.Unlock()
	if im.notes == nil {
		im.notes = map[int]string{}
	}
	im.notes[row] = note
}

// setResent marks a row sent again by the stream after a resumed job lost
// it to a job-level error.
func (im *importer) setResent(row int, note string) {
	im.notesMu.Lock()
	defer im.notesMu.Unlock()
	if im.resent == nil {
		im.resent = map[int]string{}
	}
	im.resent[row] = note
}

func (im *importer) resentNote(row int) string {
	im.notesMu.Lock()
	defer im.notesMu.Unlock()
	return im.resent[row]
}

func (im *importer) takeNote(row int) string {
	im.notesMu.Lock()
	defer im.notesMu.Unlock()
	n := im.notes[row]
	delete(im.notes, row)
	return n
}

// emit writes a report line and counts it: the only place outcomes are
// counted.
func (im *importer) emit(r ReportRow) error {
	im.reportMu.Lock()
	defer im.reportMu.Unlock()
	im.reported.set(r.Row)
	im.counts.add(r)
	if sid := im.takeSourceID(r.Row); r.SourceID == "" {
		r.SourceID = sid
	}
	return im.report(r)
}

// Reported reports whether input record row got its report line in the
// run; after a stop or an interruption, the records that did not are the
// ones never read.
func (s ImportSummary) Reported(row int) bool { return s.reported != nil && s.reported.has(row) }

func (im *importer) stopped() error {
	im.mu.Lock()
	defer im.mu.Unlock()
	return im.stopErr
}

func (im *importer) stop(err error) {
	im.mu.Lock()
	defer im.mu.Unlock()
	if im.stopErr == nil {
		im.stopErr = err
	}
}

// targetRecords is how many records the next request should hold: enough
// to finish in about TargetJobSeconds at the measured rate, in whole
// server tasks of 100 records.
func (im *importer) targetRecords(canary bool) int {
	if canary {
		return im.o.CanarySize
	}
	im.mu.Lock()
	rate := im.rate
	im.mu.Unlock()
	n := int(math.Round(rate*im.o.TargetJobSeconds/100)) * 100
	if n < 100 {
		n = 100
	}
	return n
}

func (im *importer) launch(ctx context.Context, req *request) {
	select {
	case im.sem <- struct{}{}:
	case <-ctx.Done():
		im.failRequest(req, NotSent, "not sent: the run was interrupted; import again to continue")
		return
	}
	im.wg.Add(1)
	go func() {
		defer func() { <-im.sem }()
		im.send(ctx, req, false)
	}()
}

// send posts a request (unless it is a resumed job), polls the job and
// reports its records. It calls wg.Done when finished.
// The caller has done wg.Add(1).
func (im *importer) send(ctx context.Context, req *request, canary bool) {
	defer im.wg.Done()
	var job *adminapi.Job
	var err error
	if req.jobID == "" {
		stopped := im.stopped()
		if stopped == nil && ctx.Err() != nil {
			stopped = errors.New("the run was interrupted; import again to continue")
		}
		if stopped != nil {
			if req.attempt > 0 {
				// Records a job-level error lost: the server may have saved
				// them. Not journaled as unsent, so that a resume says so
				// when they come back skipped.
				im.failRequest(req, NotResent, "sent, but "+req.note+"; not sent again because "+stopped.Error())
				return
			}
			im.failRequest(req, NotSent, "not sent: "+stopped.Error())
			return
		}
		im.mu.Lock()
		if !im.meter.anchored() {
			// The first request, or the bulk's first after the canary.
			im.meter.anchor(im.o.Now(), im.served)
		}
		im.mu.Unlock()
		// A POST under way when the run is interrupted finishes (within
		// the grace period): abandoning it would leave records that may or
		// may not have been imported.
		began := im.o.Now()
		req.posted = began
		if req.sinceLocal.IsZero() {
			req.sinceLocal = began
		}
		job, err = im.o.API.CreateImport(im.pollCtx, im.body(req))
		if err != nil {
			im.postFailed(ctx, req, err)
			return
		}
		req.jobID = job.ID
		if job.Ambiguous {
			req.ambiguous = true
		}
		if req.since.IsZero() && !job.ServerTime.IsZero() {
			// The first request: the server's time is known from its
			// answer, less the time the POST took.
			req.since = job.ServerTime.Add(-im.o.Now().Sub(began))
		}
		if im.o.Journal != nil {
			if err := im.o.Journal.AcceptedAt(req.seq, job.ID, job.ServerTime); err != nil {
				im.stop(err)
			}
		}
		im.mu.Lock()
		im.prog.Sent += len(req.rows)
		im.prog.InFlight++
		im.accepted++
		req.order = im.accepted
		im.mu.Unlock()
		im.progress()
	} else {
		im.mu.Lock()
		im.prog.InFlight++
		im.mu.Unlock()
	}
	job, err = im.poll(req, job)
	im.mu.Lock()
	im.prog.InFlight--
	if err == nil && req.order > im.completed {
		im.completed, im.completedAt = req.order, im.o.Now()
	}
	im.mu.Unlock()
	if err != nil {
		var pe *pendingError
		if adminapi.IsTaskNotFound(err) {
			// Expired, or forgotten (a Redis restart): what the job did
			// is on the server, found by looking its records up.
			if im.resolveLost(ctx, req, fmt.Sprintf("job %s is no longer known to the server (404 TaskNotFound: its results expired or were lost)", req.jobID)) {
				return
			}
			im.failRequest(req, Settled, fmt.Sprintf("job %s: its results expired on the server (kept 24 hours) before they were read; check these users in the portal", req.jobID))
			return
		}
		if errors.As(err, &pe) && im.resolveLost(ctx, req, fmt.Sprintf("job %s stayed pending for %s (%s): the server lost it", req.jobID, pe.waited.Round(time.Second), pe.why)) {
			return
		}
		if pe != nil {
			im.stop(&StopError{Reason: fmt.Sprintf("job %s stayed pending for %s: the server has not started or finished it; its records are in the journal: import again later to read its results", req.jobID, pe.waited.Round(time.Second)), Err: err})
		} else {
			im.stop(&StopError{Reason: fmt.Sprintf("lost track of job %s: %v; its records are in the journal: import again to read its results", req.jobID, err), Err: err})
		}
		im.failRequest(req, Unknown, "sent in job "+req.jobID+"; its outcome is not known yet: import again to read it")
		return
	}
	im.complete(ctx, req, job, canary)
}

func (im *importer) body(req *request) []byte {
	b := make([]byte, 0, req.bytes)
	b = append(b, im.prefix...)
	for i, r := range req.recs {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, r...)
	}
	return append(b, ']', '}')
}

func (im *importer) postFailed(ctx context.Context, req *request, err error) {
	unsent := func(req *request, reason string) { im.failRequest(req, NotSent, reason) }
	if adminapi.IsAmbiguous(err) {
		// An attempt was fully sent and got no answer: the records may
		// be in a job nobody knows the id of. Not "not sent".
		unsent = func(req *request, reason string) {
			im.failRequest(req, MaybeSent, "maybe sent: the request was sent and no answer came, so the server may have created these users; "+strings.TrimPrefix(reason, "not sent: "))
		}
	}
	switch {
	case adminapi.IsTooLarge(err) && len(req.rows) > 1:
		// Split and send the halves.
		if im.o.Journal != nil {
			if jerr := im.o.Journal.Split(req.seq); jerr != nil {
				im.stop(jerr)
			}
		}
		half := len(req.rows) / 2
		for _, part := range []*request{
			{rows: req.rows[:half], ids: req.ids[:half], recs: req.recs[:half], attempt: req.attempt, note: req.note},
			{rows: req.rows[half:], ids: req.ids[half:], recs: req.recs[half:], attempt: req.attempt, note: req.note},
		} {
			im.sendFollowUp(ctx, part)
		}
	case adminapi.IsTooLarge(err):
		im.failRequest(req, Settled, "the server refused the record as too large (413 JSONTooLarge)")
	case adminapi.IsQuotaExceeded(err):
		im.stop(&StopError{Reason: "the project's user import quota is used up (429 UsageLimitExceeded): no more records were sent. Records already accepted are in the report; when the quota resets (see the portal's usage page or ask Authgear to raise it), import again to continue", Err: err})
		unsent(req, "not sent: the project's import quota is used up; import again when it resets")
	case adminapi.IsForbidden(err):
		im.stop(&StopError{Reason: err.Error(), Err: err})
		unsent(req, "not sent: the Admin API refused the credentials (403)")
	case errors.Is(err, context.Canceled) || ctx.Err() != nil:
		unsent(req, "not sent: the run was interrupted; import again to continue")
	default:
		var ae *adminapi.APIError
		if errors.As(err, &ae) && ae.Code == 400 {
			// The request as a whole was refused: every record fails.
			im.failRequest(req, Settled, "the server refused the request: "+ae.Error())
			return
		}
		im.stop(&StopError{Reason: fmt.Sprintf("sending a request failed: %v", err), Err: err, Remedy: RemedyRunAgain})
		unsent(req, "not sent: "+err.Error())
	}
}

// pendingError gives up on a job that stays pending; why says which limit
// it passed.
type pendingError struct {
	waited time.Duration
	why    string
}

func (e *pendingError) Error() string {
	return fmt.Sprintf("the job stayed pending for %s", e.waited.Round(time.Second))
}

// poll follows a job until it completes, or until it has stayed pending
// for PendingLimit (ResumePendingLimit for a job an earlier run left), or
// for OvertakenLimit after a job accepted after it completed.
func (im *importer) poll(req *request, job *adminapi.Job) (*adminapi.Job, error) {
	interval := im.o.PollMin
	since := im.o.Now()
	limit, why := im.o.PendingLimit, "longer than the limit"
	if req.order == 0 {
		limit, why = im.o.ResumePendingLimit, "left pending by the earlier run"
	}
	for job == nil || job.Pending() {
		now := im.o.Now()
		if waited := now.Sub(since); job != nil && waited >= limit {
			return nil, &pendingError{waited: waited, why: why}
		}
		im.mu.Lock()
		overtaken := req.order > 0 && im.completed > req.order && now.Sub(im.completedAt) >= im.o.OvertakenLimit
		im.mu.Unlock()
		if job != nil && overtaken {
			return nil, &pendingError{waited: now.Sub(since), why: "a job sent after it completed long ago, and the server works in order"}
		}
		if job != nil {
			// Back off while the job stays pending: PollMin growing by
			// 1.6 up to PollMax.
			if err := im.o.Sleep(im.pollCtx, interval); err != nil {
				return nil, err
			}
			interval = time.Duration(float64(interval) * 1.6)
			if interval > im.o.PollMax {
				interval = im.o.PollMax
			}
		}
		var err error
		job, err = im.o.API.GetImport(im.pollCtx, req.jobID)
		if err != nil {
			return nil, err
		}
		im.progress()
	}
	return job, nil
}

// complete turns a job's details into outcomes; records lost to a
// job-level error are sent again to learn their outcome.
func (im *importer) complete(ctx context.Context, req *request, job *adminapi.Job, canary bool) {
	seen := make([]bool, len(req.rows))
	rows := make([]ReportRow, 0, len(req.rows))
	identityWarnings := map[string]int{} // field -> records whose login ID was ignored
	failReasons := map[string]int{}
	var conflicts []conflict
	// index and echo are, for each of rows, its record's index in req
	// and the record as the server echoed it.
	var index []int
	var echoes []json.RawMessage
	// unexpected counts the records failed with only the server's
	// internal error: when that is every record of the request, the
	// server is in trouble (its database is down), not the records, and
	// they are sent again after a wait, within the retry budget.
	unexpected := unexpectedFailures(job, len(req.rows))
	for _, d := range job.Details {
		if unexpected == len(req.rows) {
			break
		}
		if d.Index < 0 || d.Index >= len(req.rows) || seen[d.Index] {
			continue
		}
		seen[d.Index] = true
		index = append(index, d.Index)
		echoes = append(echoes, d.Record)
		r := ReportRow{Row: req.rows[d.Index], Identifier: req.ids[d.Index], Outcome: Outcome(d.Outcome), UserID: d.UserID}
		var unknownOutcome string
		switch d.Outcome {
		case adminapi.OutcomeInserted, adminapi.OutcomeUpdated, adminapi.OutcomeSkipped, adminapi.OutcomeFailed:
		default:
			// An outcome this tool does not know is not a success: a
			// failure, so that the record joins the retry file.
			unknownOutcome = `the server gave an outcome this tool does not know ("` + Printable(d.Outcome) + `"); check this user in the portal`
			r.Outcome, r.UserID = OutcomeFailed, ""
		}
		if r.Identifier == "" && len(d.Record) > 0 { // a job resumed from the journal
			var echo map[string]any
			if json.Unmarshal(d.Record, &echo) == nil {
				r.Identifier, _ = echo[string(im.m.Identifier)].(string)
			}
		}
		var reasons []string
		if req.note != "" && d.Outcome == adminapi.OutcomeSkipped {
			reasons = append(reasons, req.note)
		} else if n := im.resentNote(r.Row); n != "" && d.Outcome == adminapi.OutcomeSkipped {
			reasons = append(reasons, n)
		}
		for _, e := range d.Errors {
			reasons = append(reasons, describeAPIError(e))
			failReasons[e.Reason]++
		}
		if d.Outcome == adminapi.OutcomeFailed {
			rec := d.Record
			if req.recs != nil {
				rec = req.recs[d.Index]
			}
			if key, value, ok := duplicateConflict(d.Errors, rec); ok {
				conflicts = append(conflicts, conflict{at: len(rows), key: key, value: value})
			}
		}
		for _, w := range d.Warnings {
			reasons = append(reasons, w.Message)
			if field, ok := strings.CutSuffix(w.Message, " is ignored because it is not an allowed login ID."); ok {
				identityWarnings[field]++
			}
		}
		if req.ambiguous && d.Outcome == adminapi.OutcomeSkipped {
			reasons = append(reasons, "an earlier attempt of this request lost its connection after sending and may have created this user")
		}
		if im.maybeSent != nil && im.maybeSent.has(r.Row) && d.Outcome == adminapi.OutcomeSkipped {
			reasons = append(reasons, "an earlier run was stopped after sending this record and before the server's answer was recorded, and may have created this user")
		}
		if unknownOutcome != "" {
			reasons = append([]string{unknownOutcome}, reasons...)
		}
		if n := im.takeNote(r.Row); n != "" {
			reasons = append(reasons, n)
		}
		r.Reason = strings.Join(reasons, "; ")
		rows = append(rows, r)
	}
	im.claimSkipped(rows, func(i int) (*Record, since, bool) {
		row := rows[i].Row
		w, ok := im.windowOf(im.resume, row)
		if !ok {
			w = req.from()
		}
		if !(req.ambiguous || req.mayExist || ok || im.resentNote(row) != "") {
			return nil, since{}, false
		}
		if req.recs != nil {
			return decodeSent(req.recs[index[i]]), w, true
		}
		return decodeSent(echoes[i]), w, true
	})
	var lost *request
	for i, ok := range seen {
		if ok {
			continue
		}
		if lost == nil {
			lost = &request{attempt: req.attempt + 1, mayExist: true, since: req.since, sinceLocal: req.sinceLocal, retries: req.retries + 1, firstFail: req.firstFail}
			switch {
			case unexpected == len(req.rows):
				lost.note = "re-sent after every record of job " + req.jobID + " failed with the server's internal error (UnexpectedError)"
			case job.Error != nil:
				lost.note = "re-sent after a job-level error in job " + req.jobID + " (the first attempt may have saved it)"
			default:
				lost.note = "re-sent: the server gave no outcome for it in job " + req.jobID
			}
			if lost.firstFail.IsZero() {
				lost.firstFail = im.o.Now()
			}
		}
		lost.rows = append(lost.rows, req.rows[i])
		lost.ids = append(lost.ids, req.ids[i])
		if req.recs != nil {
			lost.recs = append(lost.recs, req.recs[i])
		}
	}
	if lost != nil && req.recs == nil {
		// A job resumed from the journal: its records are not in memory,
		// so the lost ones go back to the stream, which looks them up
		// (the first attempt may have saved them) and sends the others.
		for _, row := range lost.rows {
			im.skip.clear(row)
			im.setResent(row, lost.note)
			im.setWindow(row, req.from())
			if im.maybeSent != nil {
				im.maybeSent.set(row)
			}
		}
		lost = nil
	}
	jobErr := ""
	if job.Error != nil {
		jobErr = describeAPIError(job.Error)
	}
	if lost != nil && (lost.retries > maxResends || im.o.Now().Sub(lost.firstFail) > im.o.RetryBudget) {
		why := fmt.Sprintf("the server gave no outcome for this record, on every attempt for %s", im.o.Now().Sub(lost.firstFail).Round(time.Second))
		switch {
		case unexpected == len(req.rows):
			why = fmt.Sprintf("the server failed every record of the request with its internal error (UnexpectedError), on every attempt for %s", im.o.Now().Sub(lost.firstFail).Round(time.Second))
		case jobErr != "":
			why = "job-level error on every attempt: " + jobErr
		}
		for i := range lost.rows {
			rows = append(rows, ReportRow{Row: lost.rows[i], Identifier: lost.ids[i], Outcome: OutcomeFailed, Reason: why})
		}
		lost = nil
	}
	im.explainConflicts(rows, conflicts)
	if im.o.Journal != nil {
		if err := im.journalResult(req.seq, rows); err != nil {
			im.stop(err)
		}
	}
	for _, r := range rows {
		if err := im.emit(r); err != nil {
			im.stop(err)
		}
	}
	im.measure(len(rows))
	if canary {
		im.measuredCanary(req, job, rows)
	}
	if canary && len(rows) > 0 {
		if identityWarnings[string(im.m.Identifier)] > 0 {
			im.stop(&StopError{Err: ErrCanary, Reason: fmt.Sprintf(
				"the first %d records were imported without their %s identity (%q): the %s login ID is not enabled in this Authgear project, so users would be created with no way to sign in, and a re-run would create them again. Enable it in the portal (Authentication > Login Methods), delete the users listed in the report, then run again",
				len(rows), im.m.Identifier, "is not an allowed login ID", loginIDName(Identifier(im.m.Identifier)))})
		} else if len(identityWarnings) > 0 {
			var fields []string
			for f := range identityWarnings {
				fields = append(fields, f)
			}
			sort.Strings(fields)
			im.stop(&StopError{Err: ErrCanary, Reason: fmt.Sprintf(
				"the server ignored %s in the first request (%q): that login ID type is not enabled in this Authgear project, so every user would be imported without it. Enable it in the portal (Authentication > Login Methods) or remove it from the mapping, then import again.",
				strings.Join(fields, " and "), "is not an allowed login ID"), Remedy: RemedyUpsert})
		} else if reason, n := projectReason(failReasons); n > 0 {
			// A reason about the project, not the record: every later
			// record that carries the key would fail the same way.
			var example []ReportRow
			for _, r := range rows {
				if r.Outcome == OutcomeFailed && strings.Contains(r.Reason, reason) {
					example = append(example, r)
					break
				}
			}
			im.stop(&StopError{Err: ErrCanary, Remedy: RemedyCreateRoles, Reason: fmt.Sprintf("%d of the %d records of the first request failed with %s: %s; nothing more was sent", n, len(rows), reason, canaryAdvice(reason, example))})
		} else if len(failReasons) == 1 && im.sumFailedAll(rows) {
			for reason := range failReasons {
				im.stop(&StopError{Err: ErrCanary, Reason: "every record of the first request failed with " + reason + ": " + canaryAdvice(reason, rows) + "; nothing more was sent"})
			}
		}
	}
	if lost != nil {
		// Wait before sending them again: the server may be restarting
		// or its database down. A stop during the wait leaves them to a
		// resume (send reports them so).
		_ = im.o.Sleep(ctx, im.resendWait(lost.retries))
		im.sendFollowUp(ctx, lost)
	}
	im.progress()
}

// unexpectedFailures counts the records of a job (of n) that failed with
// only the server's internal error (UnexpectedError).
func unexpectedFailures(job *adminapi.Job, n int) int {
	seen := make([]bool, n)
	count := 0
	for _, d := range job.Details {
		if d.Index < 0 || d.Index >= n || seen[d.Index] {
			continue
		}
		seen[d.Index] = true
		if d.Outcome != adminapi.OutcomeFailed || len(d.Errors) == 0 {
			continue
		}
		all := true
		for _, e := range d.Errors {
			if e == nil || e.Reason != "UnexpectedError" {
				all = false
			}
		}
		if all {
			count++
		}
	}
	return count
}

// maxResends bounds how often records without an outcome are sent again
// (with RetryBudget): with the default waits, 8 tries take about the
// 5-minute budget.
const maxResends = 8

// resendWait is the wait before the n-th sending again of records the
// server gave no outcome: RetryWait, doubling, at most a minute.
func (im *importer) resendWait(n int) time.Duration {
	d := im.o.RetryWait
	for i := 1; i < n && d < time.Minute; i++ {
		d *= 2
	}
	return min(d, max(time.Minute, im.o.RetryWait))
}

// sendFollowUp numbers, journals and sends (in the calling goroutine) a
// request made from another: a half after a 413, or records a job-level
// error lost.
func (im *importer) sendFollowUp(ctx context.Context, req *request) {
	req.bytes = len(im.prefix) + 2
	for _, r := range req.recs {
		req.bytes += len(r) + 1
	}
	im.mu.Lock()
	im.seq++
	req.seq = im.seq
	im.sum.Jobs++
	im.mu.Unlock()
	if req.since.IsZero() {
		req.since, _ = im.serverNow()
	}
	if im.o.Journal != nil {
		// A request made of records sent before keeps their first
		// request's time: a resume looking them up must not take the
		// users that first request created for strangers.
		if err := im.journalRequest(req); err != nil {
			im.stop(err)
		}
	}
	im.wg.Add(1)
	im.send(ctx, req, false)
}

// projectReason finds, among the first request's failure reasons, one
// that is about the project rather than the record (a role or group the
// project lacks), with the number of records it failed.
func projectReason(reasons map[string]int) (string, int) {
	for _, r := range []string{"RoleUnknownKeys", "GroupUnknownKeys"} {
		if reasons[r] > 0 {
			return r, reasons[r]
		}
	}
	return "", 0
}

func (im *importer) sumFailedAll(rows []ReportRow) bool {
	for _, r := range rows {
		if r.Outcome != OutcomeFailed {
			return false
		}
	}
	return true
}

func loginIDName(id Identifier) string {
	switch id {
	case IdentifierPhone:
		return "phone"
	case IdentifierUsername:
		return "username"
	}
	return "email"
}

func canaryAdvice(reason string, rows []ReportRow) string {
	example := ""
	if len(rows) > 0 {
		example = " (" + rows[0].Reason + ")"
	}
	switch reason {
	case "RoleUnknownKeys":
		return "the roles must exist in the project first: create them in the portal (User Management > Roles)" + example
	case "GroupUnknownKeys":
		return "the groups must exist in the project first: create them in the portal (User Management > Groups)" + example
	case "DuplicatedIdentity", "InvariantViolated":
		return "these users already exist (with upsert on, the import updates them)" + example
	}
	return "fix the cause and run again" + example
}

// describeAPIError renders a server error for the report.
func describeAPIError(e *adminapi.APIError) string {
	if e == nil {
		return ""
	}
	s := e.Reason + ": " + e.Message
	if e.Reason == "" {
		s = e.Message
	}
	if keys, ok := e.Info["keys"]; ok {
		s += fmt.Sprintf(" %v", keys)
	}
	if causes := e.Causes(); len(causes) > 0 {
		var parts []string
		for _, c := range causes {
			parts = append(parts, c.String())
		}
		s += " (" + strings.Join(parts, "; ") + ")"
	}
	return s
}

// failRequest gives every record of req a failed line with one reason.
// Settled lines are the records' outcomes and are journaled as such; the
// other kinds leave the records to a resume, which sends them (NotSent,
// MaybeSent, NotResent) or reads their job (Unknown) again.
func (im *importer) failRequest(req *request, kind Unsent, reason string) {
	rows := make([]ReportRow, len(req.rows))
	for i := range req.rows {
		rows[i] = ReportRow{Row: req.rows[i], Identifier: req.ids[i], Outcome: OutcomeFailed, Reason: reason, Unsent: kind}
	}
	if j := im.o.Journal; j != nil && req.seq > 0 {
		var err error
		switch kind {
		case Settled:
			err = im.journalResult(req.seq, rows)
		case NotSent:
			err = j.Unsent(req.seq)
		}
		// MaybeSent and NotResent stay unsettled so that a resume explains
		// a skip; Unknown keeps its accepted job to read.
		if err != nil {
			im.stop(err)
		}
	}
	for _, r := range rows {
		if err := im.emit(r); err != nil {
			im.stop(err)
		}
	}
}

// measure updates the throughput estimate after the server gave n
// outcomes.
func (im *importer) measure(n int) {
	im.mu.Lock()
	defer im.mu.Unlock()
	now := im.o.Now()
	im.lastDone = now
	im.served += n
	// The pace of the recent jobs, not the average since the first
	// request: the ETA follows the server as its pace changes.
	im.meter.mark(now, im.served)
	if r, ok := im.meter.rate(now, im.served); ok {
		im.rate = r
	}
}

// progress publishes a snapshot, with the records the server has probably
// finished since the last answer estimated from the measured rate.
func (im *importer) progress() {
	if im.o.Progress == nil {
		return
	}
	im.reportMu.Lock()
	counts := im.counts
	im.reportMu.Unlock()
	im.mu.Lock()
	p := im.prog
	p.Counts = counts
	p.Done = counts.Inserted + counts.Updated + counts.Skipped + counts.Failed
	if im.o.Total != nil {
		p.Total = im.o.Total()
	}
	p.Rate = im.rate
	inFlight := p.Sent - p.Done
	if inFlight < 0 {
		inFlight = 0
	}
	est := int(im.rate * im.o.Now().Sub(im.lastDone).Seconds())
	if est > inFlight {
		est = inFlight
	}
	p.Estimated = est
	// The ETA counts down at the measured rate while the server keeps
	// pace. Once the run waits longer than that rate predicts (a job stays
	// pending, the server restarts), the records in flight are not taken
	// as done, and the pace is what the server did over the recent jobs
	// until now, which falls as the wait goes on: the ETA grows instead
	// of standing still.
	rate := im.rate
	left := p.Total - p.Accounted() - est
	if waiting := inFlight > 0 && im.rate*im.o.Now().Sub(im.lastDone).Seconds() >= float64(inFlight); waiting {
		if r, ok := im.meter.rate(im.o.Now(), im.served); ok {
			rate = min(rate, r)
			left = p.Total - p.Accounted()
		}
	}
	if p.Total > 0 && rate > 0 {
		if left < 0 {
			left = 0
		}
		p.ETA = time.Duration(float64(left) / rate * float64(time.Second))
	}
	im.mu.Unlock()
	im.reportMu.Lock()
	im.o.Progress(p)
	im.reportMu.Unlock()
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// bitset is a growable set of record numbers.
type bitset struct{ w []uint64 }

func (b *bitset) set(i int) {
	for i/64 >= len(b.w) {
		b.w = append(b.w, 0)
	}
	b.w[i/64] |= 1 << (uint(i) % 64)
}

func (b *bitset) clear(i int) {
	if i/64 < len(b.w) {
		b.w[i/64] &^= 1 << (uint(i) % 64)
	}
}

func (b *bitset) empty() bool {
	for _, w := range b.w {
		if w != 0 {
			return false
		}
	}
	return true
}

func (b *bitset) has(i int) bool {
	return i/64 < len(b.w) && b.w[i/64]&(1<<(uint(i)%64)) != 0
}
