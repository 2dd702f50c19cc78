package importer

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/authgear-migrate/authgear-migrate/importer/adminapi"
)

// UserDeleter reads users back and deletes them through the Admin API's
// GraphQL endpoint; *adminapi.Client is one.
type UserDeleter interface {
	UserReader
	DeleteUser(ctx context.Context, userID string) (deleted bool, err error)
}

// Outcomes of undo, one per user of its report.
const (
	UndoDeleted     = "deleted"
	UndoAlreadyGone = "already gone"
	UndoKept        = "kept: created before the migration"
	// UndoNotJournaled keeps a user the import's journal does not name for
	// that row: the report was edited, or holds another run's id.
	UndoNotJournaled = "kept: not created by this migration"
	UndoFailed       = "failed"
	// UndoWouldDelete is a dry run's line for a user undo would delete.
	UndoWouldDelete = "would be deleted"
)

// Margins undo takes off the migration's first request before comparing
// a user's createdAt with it. The server's Date header has whole seconds,
// and a tiny job can finish before the answer to its POST is written
// (real-server/i07): users of the first request may be created up to the
// request's own duration before its Date. Without a server time (a journal
// of an older version) the time this machine recorded is used, corrected
// by its offset from the server's clock now, and the margin covers drift
// since. The ids the journal recorded are what keeps every other user
// safe: a user the journal does not name is never deleted, whatever its
// createdAt.
const (
	ServerClockMargin = 10 * time.Second
	LocalClockMargin  = 2 * time.Minute
)

// ClockBasis says which clock undo's "created before the migration" was
// read on.
type ClockBasis int

const (
	// ClockServer: the server's time of the first request (the Date of
	// its answer, recorded in the journal).
	ClockServer ClockBasis = iota
	// ClockLocalCorrected: the journal has no server time; this
	// machine's time of the first request, corrected by its offset from
	// the server's clock now (UndoPlan.Skew).
	ClockLocalCorrected
	// ClockLocal: neither; this machine's time as recorded.
	ClockLocal
)

// ServerClock reads the server's clock; *adminapi.Client is one.
type ServerClock interface {
	ServerTime(ctx context.Context) (time.Time, error)
}

// UndoConfig is the undoing of an import: the users its report says it
// inserted are deleted, when its journal names them and they were not
// created before its first request.
type UndoConfig struct {
	// Report is the import's report.
	Report string
	// Journal is the import's journal (default: DefaultJournal(Report)):
	// it says which project the import went to, when its first request
	// was sent, and which user each row created.
	Journal string
	// Out is undo's report (default: REPORT.undo.csv, or
	// REPORT.undo-dry-run.csv for a dry run); UndoJournal makes undo
	// resumable and keeps every deletion (default: REPORT.undo.journal).
	Out, UndoJournal string
	API              UserDeleter
	// Target names the endpoint and project of API as the import's
	// journal does (Destination.ID); undo refuses another project's.
	Target string
	// DryRun deletes nothing: the report says what would happen.
	DryRun bool
	// Confirm, when set, is asked once the plan is known and before any
	// deletion; false stops with ErrUndoCancelled.
	Confirm func(UndoPlan) bool
	// Batch tunes the look-up and the deletions (its Progress is Undo's).
	Batch adminapi.BatchOptions
	// Events receives what happens, one at a time: Counted (the users to
	// look up), Retrying, ReadingBack, Undoing, Stopped when interrupted,
	// and UndoDone last (see events.go).
	Events func(Event)
	// Now is this machine's clock (default time.Now).
	Now func() time.Time
	// RolesJournal lists the roles and groups the migration created
	// (default: DefaultRolesJournal(Report)); once the users are deleted,
	// those no one holds are deleted too.
	RolesJournal string
}

// UndoPlan is what undo is about to do.
type UndoPlan struct {
	Target string
	// FirstRequest is when the migration's first request was sent, on the
	// clock Basis names; users created before Since (FirstRequest less
	// the basis's margin) are kept.
	FirstRequest, Since time.Time
	Basis               ClockBasis
	// Skew is the server's clock less this machine's, measured now
	// (ClockLocalCorrected).
	Skew time.Duration
	// Inserted is the number of users the report says the import inserted
	// (with a user id); Resumed how many of them an earlier undo settled.
	Inserted, Resumed int
	// Delete, Gone and Kept split the others: to delete, already gone,
	// and created before the first request.
	Delete, Gone, Kept int
	// NotJournaled are report rows whose user id the import's journal
	// does not name for that row: kept, each with its line.
	NotJournaled int
	// NotInReport counts users the journal recorded as inserted that the
	// report does not list as inserted: not deleted (the report changed
	// after the import).
	NotInReport int
	// KeysCreated is the number of roles and groups the migration created
	// and no undo removed yet: each is deleted after the users, once
	// nothing holds it.
	KeysCreated int
}

// UndoSummary counts undo's outcomes.
type UndoSummary struct {
	UndoPlan
	DryRun bool
	// Deleted and AlreadyGone are this run's; EarlierDeleted and
	// EarlierGone were settled by an earlier undo and stay in its report.
	Deleted, AlreadyGone, Failed int
	EarlierDeleted, EarlierGone  int
	KeptBefore                   int
	Out                          string
	FailedExamples               []string
	// Keys are the roles and groups the migration created, and what undo
	// did with each.
	Keys []KeyUndo
}

// ErrUndoCancelled: the person did not confirm.
var ErrUndoCancelled = errors.New("undo cancelled: nothing was deleted")

type undoLine struct {
	row     int
	userID  string
	outcome string
	reason  string
	// earlier: settled by an earlier undo (from its journal or report).
	earlier bool
}

// Undo deletes the users the import's report says it inserted (never the
// skipped or updated ones) after two checks: the import's journal must
// have recorded that user id for that row (an edited report cannot name
// another user), and the user's createdAt must not be before the import's
// first request on the server's clock. Each user gets one line in undo's
// report (row,user_id,outcome,reason; mode 0600). Outcomes are journaled as
// they come, so that an interrupted undo continues where it stopped and a
// later one keeps the list of users already deleted; failed deletions are
// tried again. Its progress arrives through c.Events; UndoDone, last,
// carries the summary it returns.
func Undo(ctx context.Context, c UndoConfig) (s UndoSummary, err error) {
	ev := newEventSink(c.Events)
	// stopped says what an interruption left, for the Stopped event.
	stopped := "undo was interrupted before anything was deleted"
	defer func() {
		if errors.Is(err, context.Canceled) {
			ev.emit(Stopped{Advice: stopped})
		}
		ev.emit(UndoDone{Summary: s})
	}()
	// Every retry is told: a server that does not answer is never a
	// silent stall.
	ctx = adminapi.ContextWithOnRetry(ctx, func(e adminapi.RetryEvent) { ev.emit(Retrying{Retry: e}) })
	s.DryRun = c.DryRun
	if c.Report == "" || c.API == nil {
		return s, &RefusedError{Msg: "undo needs the import's report and a target"}
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	journal := c.Journal
	if journal == "" {
		journal = DefaultJournal(c.Report)
	}
	out := c.Out
	if out == "" {
		out = DefaultUndoReport(c.Report)
		if c.DryRun {
			out = DefaultUndoDryRunReport(c.Report)
		}
	}
	ujPath := c.UndoJournal
	if ujPath == "" {
		ujPath = DefaultUndoJournal(c.Report)
	}
	if err := CheckFiles([]NamedPath{{c.Report, "the import's report"}, {journal, "the import's journal"}},
		[]Output{{NamedPath: NamedPath{out, "undo's report"}, Kind: KindUndoReport}, {NamedPath: NamedPath{ujPath, "undo's journal"}, Kind: KindUndoJournal}}); err != nil {
		return s, refused(err)
	}
	release, err := LockFiles(out, ujPath)
	if err != nil {
		return s, refusedLock(err)
	}
	defer release()
	prior, err := readUndoReport(out)
	if err != nil {
		return s, &RefusedError{Msg: err.Error()}
	}
	h, err := readImportHistory(journal)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return s, &RefusedError{Msg: fmt.Sprintf("undo needs the import's journal (%s) to know which project it went to, when it began and which users it created; it is not there (name where it is)", journal)}
		}
		return s, &RefusedError{Msg: err.Error()}
	}
	if h.target == "" {
		return s, &RefusedError{Msg: fmt.Sprintf("%s is the journal of no live import: there is nothing to undo", journal)}
	}
	if c.Target != "" && c.Target != h.target {
		return s, &RefusedError{Msg: fmt.Sprintf("the import of %s went to %s, not %s: undo runs against the project the import went to", c.Report, h.target, c.Target)}
	}
	s.Target = h.target
	rows, err := ReadReport(c.Report)
	if err != nil {
		return s, fmt.Errorf("read the report: %w", err)
	}
	reportSum, err := fileSHA256(c.Report)
	if err != nil {
		return s, err
	}

	// The users to undo: inserted in the report, and named by the
	// journal for that row.
	var lines []undoLine
	var cands []ReportRow
	matched := 0
	for _, r := range rows {
		if r.Outcome != OutcomeInserted || !adminapi.ValidUserID(r.UserID) {
			continue
		}
		s.Inserted++
		ids := h.inserted[r.Row]
		if !containsString(ids, r.UserID) {
			reason := fmt.Sprintf("the import's journal records no user inserted for row %d: this id was not created by the migration, and is not deleted", r.Row)
			if len(ids) > 0 {
				reason = fmt.Sprintf("the import's journal records user %s for row %d, not this one: the report was changed, and this id is not deleted", ids[0], r.Row)
			}
			lines = append(lines, undoLine{row: r.Row, userID: r.UserID, outcome: UndoNotJournaled, reason: reason})
			s.NotJournaled++
			continue
		}
		matched++
		cands = append(cands, r)
	}
	for _, ids := range h.inserted {
		s.NotInReport += len(ids)
	}
	s.NotInReport -= matched
	if s.NotInReport < 0 {
		s.NotInReport = 0
	}

	// What earlier undos of this project settled stays settled, and in
	// the report.
	done, err := readUndoJournal(ujPath, h.target)
	if err != nil {
		return s, err
	}
	// undo's report may list deletions its journal lost: they stand too.
	for _, l := range prior {
		if _, ok := done[l.userID]; !ok && l.outcome == UndoDeleted {
			l.earlier = true
			done[l.userID] = l
		}
	}
	var uj *undoJournal
	if !c.DryRun {
		if uj, err = openUndoJournal(ujPath, reportSum, h.target); err != nil {
			return s, err
		}
		defer uj.close()
	}
	seen := map[string]bool{}
	var todo []ReportRow
	for _, r := range cands {
		seen[r.UserID] = true
		if l, ok := done[r.UserID]; ok {
			l.row = r.Row
			lines = append(lines, l)
			s.Resumed++
			continue
		}
		todo = append(todo, r)
	}
	// Deletions recorded for ids this report no longer names (it was
	// rewritten or edited): kept in undo's report, never lost.
	for id, l := range done {
		if !seen[id] {
			seen[id] = true
			lines = append(lines, l)
		}
	}

	// The users to look up.
	ev.emit(Counted{Total: len(todo)})

	// The migration's start on the server's clock.
	s.FirstRequest, s.Basis = h.firstLocal, ClockLocal
	margin := LocalClockMargin
	switch {
	case !h.firstServer.IsZero():
		s.FirstRequest, s.Basis, margin = h.firstServer, ClockServer, ServerClockMargin
	default:
		if sc, ok := c.API.(ServerClock); ok && len(todo) > 0 {
			if now, err := sc.ServerTime(ctx); err == nil {
				// Date has whole seconds: the server's clock is half a
				// second past it on average.
				s.Skew = now.Add(500 * time.Millisecond).Sub(c.Now()).Round(time.Second)
				s.FirstRequest, s.Basis = h.firstLocal.Add(s.Skew), ClockLocalCorrected
			}
		}
	}
	s.Since = s.FirstRequest.Add(-margin)

	// Look every other user up: gone, created before, or to delete.
	ids := make([]string, len(todo))
	for i, r := range todo {
		ids[i] = r.UserID
	}
	bo := c.Batch
	bo.Progress = func(d int) { ev.emit(ReadingBack{Read: d, Total: len(ids)}) }
	users, err := c.API.UsersByID(ctx, ids, bo)
	if err != nil {
		return s, fmt.Errorf("look the users up: %w", err)
	}
	var del []undoLine
	var settled, kept []undoLine
	// leaving counts, per role and group, the users undo is about to
	// delete that hold it: a dry run does not count them as holders.
	leaving := map[string]int{}
	for i, r := range todo {
		u := users[i]
		switch {
		case u == nil:
			settled = append(settled, undoLine{row: r.Row, userID: r.UserID, outcome: UndoAlreadyGone, reason: "no such user in the project"})
			s.Gone++
		case u.CreatedAt.Before(s.Since):
			kept = append(kept, undoLine{row: r.Row, userID: r.UserID, outcome: UndoKept, reason: fmt.Sprintf("created %s, before the migration's first request (%s, %s)",
				u.CreatedAt.UTC().Format(time.RFC3339), s.FirstRequest.UTC().Format(time.RFC3339), s.Basis.describe(s.Skew))})
			s.Kept++
		default:
			del = append(del, undoLine{row: r.Row, userID: r.UserID, outcome: UndoWouldDelete})
			for _, k := range u.Roles {
				leaving["role\x00"+k]++
			}
			for _, k := range u.Groups {
				leaving["group\x00"+k]++
			}
			s.Delete++
		}
	}
	lines = append(append(lines, settled...), kept...)
	rolesJournal := c.RolesJournal
	if rolesJournal == "" {
		rolesJournal = DefaultRolesJournal(c.Report)
	}
	if ks, err := readRolesJournal(rolesJournal, h.target); err == nil {
		s.KeysCreated = len(ks)
	}
	if c.DryRun {
		lines = append(lines, del...)
		if err := s.finish(out, lines); err != nil {
			return s, err
		}
		s.Keys, err = undoKeys(ctx, c.API, rolesJournal, h.target, leaving)
		return s, err
	}
	if c.Confirm != nil && s.Delete > 0 && !c.Confirm(s.UndoPlan) {
		return s, ErrUndoCancelled
	}
	if err := uj.record(settled); err != nil {
		return s, err
	}

	// Delete, a few at a time; each outcome is journaled as it comes.
	conc := bo.Concurrency
	if conc <= 0 {
		conc = adminapi.DefaultConcurrency
	}
	var (
		mu       sync.Mutex
		wg       sync.WaitGroup
		firstErr error
		progress = Undoing{Total: len(del)}
		notTried int
	)
	sem := make(chan struct{}, conc)
	for i := range del {
		if ctx.Err() != nil {
			del[i].outcome, del[i].reason = UndoFailed, "not tried: undo was interrupted; undo again to continue"
			notTried++
			continue
		}
		sem <- struct{}{}
		wg.Add(1)
		go func(l *undoLine) {
			defer wg.Done()
			defer func() { <-sem }()
			deleted, err := c.API.DeleteUser(ctx, l.userID)
			switch {
			case err != nil:
				l.outcome, l.reason = UndoFailed, clipReason(err.Error())
			case deleted:
				l.outcome = UndoDeleted
			default:
				l.outcome, l.reason = UndoAlreadyGone, "deleted by someone else meanwhile (UserNotFound)"
			}
			mu.Lock()
			defer mu.Unlock()
			if l.outcome != UndoFailed {
				if err := uj.record([]undoLine{*l}); err != nil && firstErr == nil {
					firstErr = err
				}
			}
			progress.Done++
			switch l.outcome {
			case UndoDeleted:
				progress.Deleted++
			case UndoAlreadyGone:
				progress.Gone++
			default:
				progress.Failed++
			}
			ev.emit(progress)
		}(&del[i])
	}
	wg.Wait()
	stopped = fmt.Sprintf("undo was interrupted: %d of the %d users to delete were not tried (%d deleted); undo's journal keeps every deletion, and the next undo continues from it",
		notTried, len(del), progress.Deleted)
	if notTried == 0 {
		stopped = "undo was interrupted after the users were deleted, before the roles and groups the migration created were removed; the next undo removes them"
	}
	lines = append(lines, del...)
	if err := s.finish(out, lines); err != nil {
		return s, err
	}
	if firstErr != nil {
		return s, firstErr
	}
	if ctx.Err() != nil {
		return s, ctx.Err()
	}
	if s.Keys, err = undoKeys(ctx, c.API, rolesJournal, h.target, nil); err != nil {
		return s, err
	}
	for _, k := range s.Keys {
		if k.Outcome == UndoKeyFailed {
			s.Failed++
		}
	}
	if s.Failed == 0 {
		_ = uj.end()
	}
	return s, nil
}

// describe says which clock the migration's start was read on, for undo's
// report.
func (b ClockBasis) describe(skew time.Duration) string {
	switch b {
	case ClockServer:
		return fmt.Sprintf("the server's clock, less %s", ServerClockMargin)
	case ClockLocalCorrected:
		return fmt.Sprintf("this machine's clock corrected by its offset from the server's (%s), less %s", skew, LocalClockMargin)
	}
	return fmt.Sprintf("this machine's clock, less %s", LocalClockMargin)
}

func clipReason(s string) string {
	if len(s) > 500 {
		return s[:500] + "…"
	}
	return s
}

// finish counts the lines and writes undo's report, in row order.
func (s *UndoSummary) finish(out string, lines []undoLine) error {
	sort.SliceStable(lines, func(i, j int) bool { return lines[i].row < lines[j].row })
	s.Deleted, s.AlreadyGone, s.KeptBefore, s.Failed, s.EarlierDeleted, s.EarlierGone = 0, 0, 0, 0, 0, 0
	for _, l := range lines {
		switch l.outcome {
		case UndoDeleted:
			if l.earlier {
				s.EarlierDeleted++
			} else {
				s.Deleted++
			}
		case UndoAlreadyGone:
			if l.earlier {
				s.EarlierGone++
			} else {
				s.AlreadyGone++
			}
		case UndoKept:
			s.KeptBefore++
		case UndoFailed:
			s.Failed++
			if len(s.FailedExamples) < 3 {
				s.FailedExamples = append(s.FailedExamples, fmt.Sprintf("row %d: %s", l.row, l.reason))
			}
		}
	}
	f, err := CreateAtomic(out)
	if err != nil {
		return err
	}
	defer f.Abort()
	bw := bufio.NewWriter(f)
	bw.WriteString(undoReportHeader + "\n")
	var b []byte
	for _, l := range lines {
		b = strconv.AppendInt(b[:0], int64(l.row), 10)
		for _, cell := range []string{l.userID, l.outcome, l.reason} {
			b = append(b, ',')
			b = appendCSVField(b, reportCell(cell))
		}
		b = append(b, '\n')
		bw.Write(b)
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	if err := f.Commit(); err != nil {
		return err
	}
	s.Out = out
	return nil
}

// readUndoReport reads the undo report an earlier run wrote at path (none
// is no error): its deletions are written again, whatever this run finds.
// A file there that is not undo's report is refused, not replaced.
func readUndoReport(path string) ([]undoLine, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := csv.NewReader(bufio.NewReader(f))
	r.FieldsPerRecord = -1
	head, err := r.Read()
	if err == io.EOF {
		return nil, nil
	}
	if err != nil || strings.Join(head, ",") != undoReportHeader {
		return nil, fmt.Errorf("%s is not undo's report: it is not replaced (name another file for undo's report)", path)
	}
	var out []undoLine
	for {
		rec, err := r.Read()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w (it is not replaced: name another file for undo's report)", path, err)
		}
		if len(rec) != 4 {
			continue
		}
		row, _ := strconv.Atoi(rec[0])
		out = append(out, undoLine{row: row, userID: unquoteCell(rec[1]), outcome: unquoteCell(rec[2]), reason: unquoteCell(rec[3])})
	}
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// undoJournal is undo's append-only record, never truncated: a start line
// naming the import's report (its sha256) and the target, then the users
// settled (deleted or already gone), each line fsync'd. A later undo of
// the same target, whatever the report became, appends a start line of
// its own and keeps every earlier deletion.
type undoJournal struct {
	f *os.File
}

type undoEntry struct {
	T      string `json:"t"` // start, users, end
	Report string `json:"report,omitempty"`
	Target string `json:"target,omitempty"`
	// Users are user id, outcome, reason and row (older journals have no
	// row).
	Users [][4]string `json:"users,omitempty"`
}

// readUndoJournal reads the users earlier undos of target settled: deleted
// or already gone, for good.
func readUndoJournal(path, target string) (map[string]undoLine, error) {
	done := map[string]undoLine{}
	cur := ""
	err := readJSONLog(path, func(e *undoEntry) bool { return e.T == "start" },
		fmt.Errorf("%s is not undo's journal: it is not replaced (name another file for undo's journal)", path),
		func(e *undoEntry) {
			switch e.T {
			case "start":
				cur = e.Target
			case "users":
				if cur != target {
					return
				}
				for _, u := range e.Users {
					if u[1] != UndoDeleted && u[1] != UndoAlreadyGone {
						continue
					}
					row, _ := strconv.Atoi(u[3])
					done[u[0]] = undoLine{row: row, userID: u[0], outcome: u[1], reason: u[2], earlier: true}
				}
			}
		})
	if err != nil {
		return nil, err
	}
	return done, nil
}

// openUndoJournal opens undo's journal for appending (creating it 0600),
// after a start line for this report and target unless the last one is
// the same and unfinished.
func openUndoJournal(path, reportSum, target string) (*undoJournal, error) {
	if err := refuseNonRegular(path); err != nil {
		return nil, err
	}
	last, ended := undoEntry{}, false
	if b, err := os.ReadFile(path); err == nil {
		for _, line := range bytes.Split(b, []byte("\n")) {
			var e undoEntry
			if json.Unmarshal(line, &e) != nil {
				continue
			}
			switch e.T {
			case "start":
				last, ended = e, false
			case "end":
				ended = true
			}
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	f, err := openAppendLog(path)
	if err != nil {
		return nil, err
	}
	j := &undoJournal{f: f}
	if ended || last.Report != reportSum || last.Target != target {
		if err := j.append(undoEntry{T: "start", Report: reportSum, Target: target}); err != nil {
			f.Close()
			return nil, err
		}
	}
	return j, nil
}

func (j *undoJournal) append(e undoEntry) error { return appendJSONLine(j.f, e) }

func (j *undoJournal) record(lines []undoLine) error {
	if j == nil || len(lines) == 0 {
		return nil
	}
	e := undoEntry{T: "users"}
	for _, l := range lines {
		e.Users = append(e.Users, [4]string{l.userID, l.outcome, l.reason, strconv.Itoa(l.row)})
	}
	return j.append(e)
}

func (j *undoJournal) end() error {
	if j == nil {
		return nil
	}
	return j.append(undoEntry{T: "end"})
}

func (j *undoJournal) close() {
	if j != nil {
		j.f.Close()
	}
}
