package importer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/authgear-migrate/authgear-migrate/importer/adminapi"
)

// RunConfig is a migration run: a mapping, its inputs, where the outputs
// go, and (unless DryRun) the target. Run resolves and checks all of it
// before any file is touched.
type RunConfig struct {
	// Mapping is the mapping read from MappingPath; MappingPath names it in
	// messages and in the check that no output replaces it.
	Mapping     *Mapping
	MappingPath string
	// Input is the export.
	Input string
	// Passwords, when set, is a password-hash export joined to the input
	// (Auth0); it overrides the mapping's.
	Passwords string
	// Upsert, when set, overrides the mapping's.
	Upsert bool

	// DryRun validates only: nothing is sent.
	DryRun bool
	// Report is the per-record report (default: INPUT-NAME.report.csv in
	// the current folder). The retry file is named after it.
	Report string
	// Journal makes a live import resumable (default: next to the report).
	Journal string
	// Restart ignores an unfinished earlier run in the journal.
	Restart bool
	// EmitJSON, in a dry run, writes the records as they would be sent.
	EmitJSON string
	// Inspect, in a dry run, sees every prepared record in input order (a
	// preview keeps what it shows). p is valid only during the call.
	Inspect func(p *Prepared)
	// NoReport, in a dry run, writes no report and no retry file (a
	// preview sees the records through Inspect; nothing is left on disk).
	NoReport bool

	// Target receives the records of a live run.
	Target *Destination
	// Concurrency is the number of jobs in flight (default 2).
	Concurrency int
	// Import tunes the live import further (its API, Journal, Total,
	// Rejected and Progress are set by Run).
	Import ImportOptions
	// ResumeCommand is shown in the summary when a stopped run can be
	// continued.
	ResumeCommand string

	// Events receives what happens, from several goroutines, one at a time.
	Events func(Event)

	// CanarySignIn, when set in a live run, signs in as LoginID with
	// Password once the canary settled, and stops the run before the
	// bulk when the password is not right (ErrCanarySignIn); the record
	// of that login ID is sent in the canary (canary_signin.go). Its
	// public endpoint and API default to the target's.
	CanarySignIn *SignInCheck

	// Prepare, when set, is called in a live run before the first request
	// with the roles and groups the whole file needs (an extra pass over
	// the input): it can create what the project lacks, or refuse the run
	// (a *RefusedError). See ProjectPrep.
	Prepare func(ctx context.Context, needs ProjectNeeds) error
}

// An Event is something a front end shows while a run goes on: one of
// the types below.
type Event interface{ event() }

// Loading: the input is open and its format known.
type Loading struct {
	Input  string
	Format Format
}

// Counted: the input holds Total records (counted beside a live import,
// for the ETA; CountRecords). From Verify and Undo: the users it checks,
// or looks up (events.go).
type Counted struct{ Total int }

// Validating: progress of a pass that maps and validates the input: a dry
// run; in a live run with RunConfig.Prepare (or the key transform), the
// pass for the roles and groups it needs, before anything is sent
// (CountNeeds); Verify's reading of the records sent.
type Validating struct{ Stats PrepareStats }

// Importing: live-import progress.
type Importing struct{ Progress ImportProgress }

// Warning: something the person should know before it matters.
type Warning struct{ Message string }

// Resuming: the journal holds an unfinished run that this one continues.
type Resuming struct {
	Journal string
	Settled int
}

// Retrying: a request failed and is tried again after a wait (the server
// did not answer, or answered 5xx).
type Retrying struct{ Retry adminapi.RetryEvent }

// Failed: the server failed a record (or it was not sent); the wizard
// shows the latest ones.
type Failed struct{ Row ReportRow }

// Stopped: the run stopped before every record was sent; Advice says
// what to do.
type Stopped struct{ Advice string }

// Done: the run is over; the summary is also Run's result.
type Done struct{ Summary RunSummary }

func (Loading) event()    {}
func (Counted) event()    {}
func (Validating) event() {}
func (Importing) event()  {}
func (Warning) event()    {}
func (Resuming) event()   {}
func (Stopped) event()    {}
func (Retrying) event()   {}
func (Failed) event()     {}
func (Done) event()       {}

// RunSummary is the end of a run: what replay --json prints.
type RunSummary struct {
	ImportSummary
	NoPasswordSummary
	DryRun   bool     `json:"dry_run"`
	Target   string   `json:"target,omitempty"`
	Input    string   `json:"input"`
	Report   string   `json:"report"`
	Retry    string   `json:"retry,omitempty"`
	EmitJSON string   `json:"emit_json,omitempty"`
	Journal  string   `json:"journal,omitempty"`
	Seconds  float64  `json:"seconds"`
	Error    string   `json:"error,omitempty"`
	Resume   string   `json:"resume_command,omitempty"`
	Notes    []string `json:"notes,omitempty"`
	// Needs are the roles and groups the records carry (a dry run, or a
	// live run with Prepare).
	Needs *ProjectNeeds `json:"-"`
	// Rehearsal: the target was an in-process sandbox.
	Rehearsal bool `json:"-"`

	// IDMap is the id map the run wrote (a run that imports, with a
	// mapping that names source.id): IDMapped users, IDMapMissing of
	// them without an old id (idmap.go).
	IDMap        string `json:"id_map,omitempty"`
	IDMapped     int    `json:"id_mapped,omitempty"`
	IDMapMissing int    `json:"id_map_missing,omitempty"`
}

// Partial reports whether some records were invalid, failed or not sent.
func (s *RunSummary) Partial() bool {
	return s.Invalid > 0 || s.Failed > 0 || s.NotSent > 0 || s.Unresolved > 0
}

// RefusedError refuses a run before any output is touched: the command
// line, the mapping or the outputs are wrong (exit 2).
type RefusedError struct {
	Msg string
	// Remedy, worded by each front end, gets past the refusal.
	Remedy Remedy
	// Err is the cause, when it has a type a front end words itself.
	Err error
}

func (e *RefusedError) Error() string { return e.Msg }

// refused wraps a typed refusal; a refusal to replace the record of
// another migration is got past with another report.
func refused(err error) *RefusedError {
	re := &RefusedError{Msg: err.Error(), Err: err}
	var he *HistoryError
	var oe *OutputError
	if errors.As(err, &he) {
		re.Remedy = RemedyOtherReport
	} else if errors.As(err, &oe) {
		re.Remedy = oe.Remedy
	}
	return re
}

// Run is one migration run, the same for every front end: it loads the
// input with the mapping, validates every record, and in a dry run reports
// each one valid or invalid; otherwise it imports the valid ones into the
// target (resuming an unfinished earlier run from the journal). Every
// input record gets exactly one report line, records never read included.
// Refusals (*RefusedError) come before any output is opened. The error is
// nil when the run went through, whatever the records' outcomes; a stop
// is a *StopError, a broken input a *ParseError.
func Run(ctx context.Context, c RunConfig) (RunSummary, error) {
	r := &run{c: c, start: time.Now()}
	s, err := r.run(ctx)
	s.Seconds = time.Since(r.start).Seconds()
	if err != nil {
		var re *RefusedError
		if errors.As(err, &re) {
			return s, err
		}
		s.Error = err.Error()
		var se *StopError
		if s.Rehearsal && errors.Is(err, context.Canceled) {
			s.Error = "interrupted"
		}
		if s.Rehearsal {
			s.Notes = append(s.Notes, "the in-process sandbox ended with this run: importing again rehearses from the start")
		} else if (errors.As(err, &se) || errors.Is(err, context.Canceled)) && !c.DryRun {
			s.Resume = c.ResumeCommand
		}
		if se != nil || errors.Is(err, context.Canceled) {
			r.event(Stopped{Advice: s.Error})
		}
	}
	r.notes(&s)
	r.event(Done{Summary: s})
	return s, err
}

type run struct {
	c       RunConfig
	m       *Mapping
	plan    *Plan
	start   time.Time
	total   atomic.Int64 // counted records, 0 until known
	eventMu sync.Mutex
	// estimate is the time the rest takes, after the canary (estimate.go);
	// counted is closed when the count beside a live import is over.
	estimate runEstimate
	counted  <-chan struct{}
	// signInRec is the record the canary signs in as (CanarySignIn).
	signInRec *signInRecord

	// pathWarnings: mapped paths no sampled record has.
	pathWarnings []string
	// nopw: why the records of a live run carry no password (nopassword.go).
	nopw *noPasswordRows
}

func (r *run) event(e Event) {
	if r.c.Events != nil {
		r.eventMu.Lock()
		defer r.eventMu.Unlock()
		r.c.Events(e)
	}
}

func (r *run) run(ctx context.Context) (RunSummary, error) {
	c := r.c
	var s RunSummary
	s.DryRun, s.Input = c.DryRun, c.Input
	if c.Mapping == nil || c.Input == "" {
		return s, &RefusedError{Msg: "a run needs a mapping and an input"}
	}
	if !c.DryRun && c.Target == nil {
		return s, &RefusedError{Msg: "a live run needs a target"}
	}
	if c.DryRun && c.Target != nil {
		return s, &RefusedError{Msg: "a dry run sends nothing: it takes no target"}
	}
	if c.EmitJSON != "" && !c.DryRun {
		return s, &RefusedError{Msg: "the request document goes with a dry run"}
	}
	if c.NoReport && !c.DryRun {
		return s, &RefusedError{Msg: "every live run writes its report"}
	}
	m := c.Mapping.withPasswordFile(c.Passwords)
	if c.Upsert {
		m.Upsert = true
	}
	r.m = &m
	// The inputs, resolved once: the joined file is looked for beside the
	// input as OpenInput does, and every later use takes this path.
	passwords := ""
	if m.Source.Passwords != nil && m.Source.Passwords.File != "" {
		passwords = resolveJoinFile(m.Source.Passwords.File, c.Input)
	}
	src, err := OpenInputContext(ctx, c.Input, &m)
	if err != nil {
		return s, fmt.Errorf("load %s: %w", c.Input, err)
	}
	defer src.Close()
	r.event(Loading{Input: c.Input, Format: src.Format()})
	plan, err := CompileFor(&m, src)
	if err != nil {
		var me *MappingError
		if errors.As(err, &me) {
			return s, &RefusedError{Msg: fmt.Sprintf("%s does not fit %s: %v", c.MappingPath, c.Input, err)}
		}
		return s, err
	}
	r.plan = plan
	// A mapped path that no sampled record has (missingpath.go).
	r.pathWarnings, err = CheckMappedPaths(src, &m)
	if err != nil {
		return s, &RefusedError{Msg: fmt.Sprintf("%s does not fit %s: %v", c.MappingPath, c.Input, err), Err: err}
	}
	for _, w := range r.pathWarnings {
		r.event(Warning{Message: w})
	}

	// The outputs, checked against the inputs and each other.
	report := c.Report
	if report == "" {
		report = DefaultReport(c.Input)
	}
	journalPath := c.Journal
	if journalPath == "" {
		journalPath = DefaultJournal(report)
	}
	retryPath := RetryPath(report, src.Format())
	s.Report = report
	live := !c.DryRun && !c.Target.Rehearsal
	rehearsal := !c.DryRun && c.Target.Rehearsal
	// One run at a time on a report and its journal, held to the end.
	lockPaths := []string{report}
	if c.NoReport {
		lockPaths = nil // a preview writes nothing
	}
	if !c.DryRun {
		lockPaths = append(lockPaths, journalPath)
	}
	release, err := LockFiles(lockPaths...)
	if err != nil {
		var le *LockedError
		if errors.As(err, &le) {
			return s, refused(le)
		}
		return s, err
	}
	defer release()
	jfp, isJournal := journalStart(journalPath)
	journalTarget := jfp.Target
	if jfp.Rehearsal {
		isJournal = false
	}
	// A report that holds user ids is the record of a live import: a
	// dry run or a rehearsal replaces it only when the journal beside it
	// marks it a rehearsal's; a live run decides below, from its journal.
	mayHoldIDs := live || jfp.Rehearsal
	inputs := []NamedPath{{c.Input, "the input"}, {c.MappingPath, "the mapping"}, {passwords, "the password file"}}
	outputs := []Output{{NamedPath{report, "the report"}, KindReport, mayHoldIDs}, {NamedPath{retryPath, "the retry file"}, KindOther, false},
		{NamedPath{c.EmitJSON, "the request document"}, KindRequestDocument, false}}
	if c.NoReport {
		s.Report, outputs = "", outputs[2:]
	}
	if !c.DryRun {
		outputs = append(outputs, Output{NamedPath{journalPath, "the journal"}, KindJournal, false},
			Output{NamedPath{DefaultNoPassword(report), "the list of users without a password"}, KindNoPasswordList, false})
	}
	idMapPath := idMapOf(c, &m, report)
	if idMapPath != "" {
		outputs = append(outputs, Output{NamedPath{idMapPath, "the id map"}, KindIDMap, false})
	}
	if err := CheckFiles(inputs, outputs); err != nil {
		var oe *OutputError
		if errors.As(err, &oe) {
			return s, refused(oe)
		}
		return s, &RefusedError{Msg: err.Error()}
	}
	if !live && !c.NoReport && isJournal && journalTarget != "" {
		// A rehearsal or a dry run never replaces the report of a live
		// import, nor (a rehearsal) its journal.
		if fileExists(report) || rehearsal {
			what := "a dry run"
			if rehearsal {
				what = "a rehearsal in the sandbox"
			}
			return s, &RefusedError{Remedy: RemedyOtherReport, Msg: fmt.Sprintf("%s is the report of a live import into %s (its journal %s says so): %s never replaces it", report, journalTarget, journalPath, what)}
		}
	}
	// The project, checked before any output is opened and anything is
	// sent (an extra pass over the input): names the key transform would
	// merge into one key stop the run, and Prepare sees the roles and
	// groups the whole file needs (it may ask, or refuse the run).
	if !c.DryRun && (c.Prepare != nil || plan.UsesKey()) {
		needs, err := CountNeeds(ctx, c.Input, &m, r.event)
		if err != nil {
			return s, err
		}
		s.Needs = &needs
		if err := needs.CollisionErr(); err != nil {
			return s, err
		}
		if c.Prepare != nil {
			if err := c.Prepare(ctx, needs); err != nil {
				return s, err
			}
		}
	}
	// The canary's sign-in: its record, found before anything is sent.
	if c.CanarySignIn != nil {
		if c.DryRun {
			return s, &RefusedError{Msg: "a dry run sends nothing: it signs in as no one"}
		}
		rec, err := findSignInRecord(ctx, c.Input, &m, c.CanarySignIn.LoginID, c.Import.HoldFromCanary)
		var sre *SignInRecordError
		if errors.As(err, &sre) {
			return s, &RefusedError{Msg: sre.Error(), Err: sre}
		}
		if err != nil {
			return s, err
		}
		r.signInRec = rec
	}
	var journal *Journal
	if live {
		files := []string{c.Input}
		if passwords != "" {
			files = append(files, passwords)
		}
		fp, err := FingerprintFiles(ctx, &m, files...)
		if err != nil {
			return s, err
		}
		fp.Target = c.Target.ID
		journal, err = openLiveJournal(report, journalPath, fp, c.Restart)
		if err != nil {
			var he *HistoryError
			if errors.As(err, &he) {
				return s, refused(he)
			}
			return s, err
		}
		defer journal.Close()
		s.Journal = journalPath
		if res := journal.Resume(); res != nil {
			r.event(Resuming{Journal: journalPath, Settled: res.Settled()})
		}
	}
	if rehearsal {
		if err := writeRehearsalMarker(journalPath, c.Input); err != nil {
			return s, err
		}
	}

	// Nothing was refused: the outputs are opened (as temporary files,
	// renamed into place when complete).
	var rep *ReportWriter // nil: NoReport
	if !c.NoReport {
		if rep, err = NewReportWriter(report); err != nil {
			return s, fmt.Errorf("create the report: %w", err)
		}
	}
	var idw *IDMapWriter // nil: a dry run, or no source.id
	if idMapPath != "" {
		if idw, err = NewIDMapWriter(idMapPath); err != nil {
			rep.Abort()
			return s, fmt.Errorf("create the id map: %w", err)
		}
		defer idw.Abort() // after Close, nothing
	}
	retry := NewRetryWriter(retryPath, src)
	retry.SetRecordsKey(m.Source.RecordsKey)
	var emit *JSONRecordsWriter
	if c.EmitJSON != "" {
		if emit, err = NewJSONRecordsWriter(c.EmitJSON, m.Identifier, m.Upsert); err != nil {
			if rep != nil {
				rep.Close()
			}
			return s, fmt.Errorf("create %s: %w", c.EmitJSON, err)
		}
		s.EmitJSON = c.EmitJSON
	}
	// bad holds the records the server failed or that were not sent: they
	// join the invalid ones in the retry file.
	bad := &bitset{}
	var reported *bitset
	var runErr error
	if c.DryRun {
		var counts Counts
		reported = &bitset{}
		s.Needs = &ProjectNeeds{}
		stats, err := Prepare(ctx, src, plan, PrepareOptions{
			Progress: func(st PrepareStats) { r.event(Validating{Stats: st}) },
		}, func(p *Prepared) error {
			row := ReportRow{Row: p.Row.Num, Identifier: p.Identifier, Outcome: OutcomeValid, Reason: p.Reason(), SourceID: p.SourceID}
			if p.NotUser != "" {
				// Not a user (a page of a Django fixture): its line, and
				// no place in the retry file.
				row.Outcome = OutcomeNotUser
			} else if !p.Valid() {
				row.Outcome = OutcomeInvalid
				if c.NoReport {
					// Nothing written.
				} else if err := retry.Write(p.Row); err != nil {
					return err
				}
			} else {
				if NoPasswordWhy(p) != "" {
					s.NoPassword++
				}
				s.Needs.Add(p.Record)
				if emit != nil {
					if err := emit.Write(p.Record); err != nil {
						return err
					}
				}
			}
			if c.Inspect != nil {
				c.Inspect(p)
			}
			reported.set(row.Row)
			counts.add(row)
			if rep == nil {
				return nil
			}
			return rep.Write(row)
		})
		r.event(Validating{Stats: stats})
		s.PrepareStats = stats
		runErr = err
		// Two names the key transform gives one key: an error naming
		// them, never a silent merge (keynames.go).
		s.Needs.Collisions = plan.KeyCollisions()
		if runErr == nil {
			runErr = s.Needs.CollisionErr()
		}
	} else {
		s.Target, s.Rehearsal = c.Target.Name, c.Target.Rehearsal
		for _, w := range c.Target.Warnings {
			r.event(Warning{Message: w})
		}
		countCtx, stopCount := context.WithCancel(ctx)
		counted := make(chan struct{})
		r.counted = counted
		go func() { defer close(counted); r.count(countCtx) }()
		defer func() { stopCount(); <-counted }()
		o := c.Import
		o.API, o.Journal, o.Concurrency = c.Target.API, journal, c.Concurrency
		o.Total = func() int { return int(r.total.Load()) }
		o.Rejected = retry.Write
		o.Progress = func(p ImportProgress) { r.event(Importing{Progress: p}) }
		r.nopw = &noPasswordRows{}
		o.Prepared = r.nopw.see
		o.CanaryDone = r.canaryDone
		o.ReadyDone = r.readyDone
		if r.signInRec != nil {
			o.first = &r.signInRec.q
			o.firstSID = r.signInRec.sid
		}
		// Every retry is told: a server that does not answer is never a
		// silent stall.
		ictx := adminapi.ContextWithOnRetry(ctx, func(ev adminapi.RetryEvent) { r.event(Retrying{Retry: ev}) })
		is, err := Import(ictx, src, plan, o, func(row ReportRow) error {
			if row.Outcome == OutcomeFailed {
				bad.set(row.Row)
				r.event(Failed{Row: row})
			}
			if err := idw.write(row); err != nil {
				return err
			}
			return rep.Write(row)
		})
		r.estimate.close() // too late for one
		s.ImportSummary = is
		reported = is.reported
		runErr = err
	}
	// A stopped run: the records never read get their line too, and every
	// record the server failed (or that was not sent) joins the retry file.
	if !c.DryRun && (runErr != nil || !bad.empty()) {
		n, err := r.finish(ctx, runErr != nil, reported, bad, rep, retry)
		s.NotSent += n
		if err != nil && runErr == nil {
			runErr = err
		} else if err != nil {
			r.event(Warning{Message: "could not list the records the run never read: " + err.Error()})
		}
	}
	if !c.DryRun {
		s.Total = s.Inserted + s.Updated + s.Skipped + s.Failed + s.Invalid + s.NotUsers + s.NotSent + s.Unresolved
	}
	if emit != nil {
		if err := emit.Close(); err != nil && runErr == nil {
			runErr = fmt.Errorf("write %s: %w", c.EmitJSON, err)
		}
	}
	if rep == nil {
		// NoReport.
	} else if err := rep.Close(); err != nil && runErr == nil {
		runErr = fmt.Errorf("write the report: %w", err)
	} else if err == nil {
		if err := r.finishNoPassword(&s, report); err != nil && runErr == nil {
			runErr = err
		}
	}
	if idw != nil {
		if err := idw.Close(); err != nil && runErr == nil {
			runErr = fmt.Errorf("write the id map: %w", err)
		} else if err == nil {
			s.IDMap, s.IDMapped, s.IDMapMissing = idw.Path(), idw.Count(), idw.Missing()
		}
	}
	if err := retry.Close(); err != nil && runErr == nil {
		runErr = fmt.Errorf("write the retry file: %w", err)
	}
	if retry.Count() > 0 {
		s.Retry = retry.Path()
	}
	// How the input was read (the array chosen, a quote that hides records).
	s.Notes = append(s.Notes, src.Warnings()...)
	var pe *ParseError
	if errors.As(runErr, &pe) && !strings.HasPrefix(runErr.Error(), "load") {
		runErr = fmt.Errorf("load: %w", runErr)
	}
	return s, runErr
}

// count counts the input's records for the ETA, beside the import.
func (r *run) count(ctx context.Context) {
	n, err := CountRecords(ctx, r.c.Input, r.m, nil)
	if err == nil {
		r.total.Store(int64(n))
		r.event(Counted{Total: n})
		if e, ok := r.estimate.estimate(nil, n); ok {
			r.event(e)
		}
	}
}

// finish reads the input once more, without preparing it: a record that
// got no report line (the run stopped before reading it) gets one, and
// joins the retry file with the records in bad. It returns how many
// records were never read.
func (r *run) finish(ctx context.Context, stopped bool, reported, bad *bitset, rep *ReportWriter, retry *RetryWriter) (int, error) {
	n := 0
	// The person may have pressed Ctrl-C: this pass is short and what it
	// writes is what makes the report whole, so it does not stop with ctx.
	err := eachRow(context.WithoutCancel(ctx), r.c.Input, r.m, func(row *Row) error {
		if stopped && (reported == nil || !reported.has(row.Num)) {
			n++
			if err := rep.Write(ReportRow{Row: row.Num, Outcome: OutcomeFailed, Unsent: NotRead, SourceID: r.plan.SourceIDOf(row),
				Reason: "not sent: the run stopped before this record was read; import again to continue"}); err != nil {
				return err
			}
			return retry.Write(row)
		}
		if bad.has(row.Num) {
			return retry.Write(row)
		}
		return nil
	})
	return n, err
}

// eachRow reads the input the way the mapping reads it, without the
// joins: the rows' numbers and raw text only.
func eachRow(ctx context.Context, input string, m *Mapping, fn func(*Row) error) error {
	src, err := OpenContext(ctx, input, m.SourceOptions())
	if err != nil {
		return err
	}
	defer src.Close()
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		row, err := src.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if err := fn(row); err != nil {
			return err
		}
	}
}

// notes adds what the person should know about the whole run.
func (r *run) notes(s *RunSummary) {
	if s.PasswordsNotImportable > 0 {
		s.Notes = append(s.Notes, fmt.Sprintf("%d %s hashes Authgear cannot import (bcrypt only); those users must set a new password (the forgot-password flow or a passwordless login). To keep their old passwords, move them with a rolling migration instead of a bulk import: %s.", s.PasswordsNotImportable, plural(s.PasswordsNotImportable, "password uses", "passwords use"), RollingMigrationGuide))
	}
	if s.PasswordsHashedLocally > 0 {
		s.Notes = append(s.Notes, fmt.Sprintf("%d clear-text passwords were bcrypt-hashed on this machine (passwords.plaintext: hash) so that those users keep them; %s.", s.PasswordsHashedLocally, PlaintextWarning))
	}
	// What the mapping's policies left out of valid records.
	s.Notes = append(s.Notes, ruleNotes(&s.PrepareStats)...)
	s.Notes = append(s.Notes, r.noPasswordNotes(s)...)
	m := r.m
	if m == nil {
		return
	}
	s.Notes = append(s.Notes, idMapNotes(s, m)...)
	for _, w := range r.pathWarnings {
		s.Notes = append(s.Notes, w+".")
	}
	if n := loginIDFieldsNote(m); n != "" {
		s.Notes = append(s.Notes, n+".")
	}
	var attrs []string
	for _, k := range m.FieldKeys() {
		if name, ok := strings.CutPrefix(k, CustomAttributePrefix); ok {
			attrs = append(attrs, name)
		}
	}
	if len(attrs) > 0 {
		s.Notes = append(s.Notes, fmt.Sprintf("custom attributes (%s) are stored only if the project defines them (portal: User Profile > Custom Attributes); Authgear silently ignores the others, with no warning.", strings.Join(attrs, ", ")))
	}
	if m.Upsert && !s.DryRun {
		s.Notes = append(s.Notes, "upsert: existing users were updated, but their passwords (and MFA password and TOTP) are never changed by an import.")
	}
	if u := UpsertIgnoredOf(m); u != nil && u.Upsert {
		if !s.DryRun {
			u.Updated = s.Updated
		}
		s.Notes = append(s.Notes, u.String())
	}
}

func fileExists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}
