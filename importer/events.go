package importer

import (
	"sync"
	"time"
)

// The events of the work beside a run: counting an input's records
// (CountRecords), reading the roles and groups it needs (CountNeeds),
// reading users back (Verify) and deleting them (Undo). They arrive through
// the same Event interface as Run's, one at a time, and reuse Run's types
// where they mean the same thing:
//
//	CountRecords  Counting* Counted
//	CountNeeds    Validating*
//	Verify        Counted Validating* Retrying* ReadingBack* [Stopped] VerifyDone
//	Undo          Counted Retrying* ReadingBack* Undoing* [Stopped] UndoDone
//
// Counted comes before the progress it is the total of (for Verify, the
// users it checks; for Undo, the users it looks up), and the Done event
// (VerifyDone, UndoDone) comes last, whatever happened: its summary is also
// the function's result.

// Counting: the record count so far (CountRecords), every CountingEvery
// records; Counted gives the total.
type Counting struct{ Records int }

// CountingEvery is how many records CountRecords reads between two
// Counting events.
const CountingEvery = 100_000

// ReadingBack: Read of the Total users Verify checks, or Undo looks up,
// have been read back through the Admin API.
type ReadingBack struct{ Read, Total int }

// Undoing: Undo's deletions so far. Done of the Total users to delete
// were tried: Deleted, Gone (deleted by someone else meanwhile) and
// Failed add up to Done.
type Undoing struct{ Done, Total, Deleted, Gone, Failed int }

// VerifyDone: Verify is over; the summary is also Verify's result.
type VerifyDone struct{ Summary VerifySummary }

// UndoDone: Undo is over; the summary is also Undo's result.
type UndoDone struct{ Summary UndoSummary }

// Estimated: the time the rest of a live run should take, sent once, after
// the canary (the first request) settled and before the bulk, when some
// records are left. Duration is Remaining at Rate.
type Estimated struct {
	// Remaining is the input records without an outcome yet (invalid ones
	// among them are not sent, so the estimate errs long).
	Remaining int
	// Rate is the records per second assumed: the canary's pace.
	Rate     float64
	Duration time.Duration
	// Canary is how the server's pace was measured: the first request's
	// records and its time.
	Canary Pace
}

func (Estimated) event() {}

// CanarySignedIn: the sign-in check after the canary; Result says how it
// went. Sent before the run goes on or stops (and, on a 429, before the
// wait and the one retry).
type CanarySignedIn struct {
	LoginID string
	Result  SignInResult
	// Retrying: rate limited; the check is tried once more after
	// Result.RetryAfter.
	Retrying bool
}

func (CanarySignedIn) event() {}

func (Counting) event()    {}
func (ReadingBack) event() {}
func (Undoing) event()     {}
func (VerifyDone) event()  {}
func (UndoDone) event()    {}

// eventSink delivers events to fn one at a time, from any goroutine; a nil
// fn drops them.
type eventSink struct {
	mu sync.Mutex
	fn func(Event)
}

func newEventSink(fn func(Event)) *eventSink { return &eventSink{fn: fn} }

func (s *eventSink) emit(e Event) {
	if s == nil || s.fn == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fn(e)
}
