package importer

import (
	"bufio"
	"context"
	"crypto/sha256"
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
	UndoFailed      = "failed"
	// UndoWouldDelete is a dry run's line for a user undo would delete.
	UndoWouldDelete = "would be deleted"
)

// UndoConfig is the undoing of an import: the users its report says it
// inserted are deleted, unless created before its first request.
type UndoConfig struct {
	// Report is the import's report.
	Report string
	// Journal is the import's journal (default: DefaultJournal(Report)):
	// it says which project the import went to and when its first
	// request was sent.
	Journal string
	// Out is undo's report (default: REPORT.undo.csv); UndoJournal makes
	// undo resumable (default: REPORT.undo.journal).
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
	Batch   adminapi.BatchOptions
	// Progress is called as users are looked up and deleted.
	Progress func(phase string, done, total int)
}

// UndoPlan is what undo is about to do.
type UndoPlan struct {
	Target       string
	FirstRequest time.Time
	// Inserted is the number of users the report says the import inserted
	// (with a user id); Resumed how many of them an earlier undo settled.
	Inserted, Resumed int
	// Delete, Gone and Kept split the others: to delete, already gone,
	// and created before the first request.
	Delete, Gone, Kept int
}

// UndoSummary counts undo's outcomes.
type UndoSummary struct {
	UndoPlan
	DryRun                       bool
	Deleted, AlreadyGone, Failed int
	KeptBefore                   int
	Out                          string
	FailedExamples               []string
}

// ErrUndoCancelled: the person did not confirm.
var ErrUndoCancelled = errors.New("undo cancelled: nothing was deleted")

type undoLine struct {
	row     int
	userID  string
	outcome string
	reason  string
}

// Undo deletes the users the import's report says it inserted (never the
// skipped or updated ones), after checking each one's createdAt against
// the import's first request: a user created before it is kept. Each
// user gets one line in undo's report (row,user_id,outcome,reason; mode
// 0600). Outcomes are journaled as they come, so that an interrupted undo
// continues where it stopped; failed deletions are tried again.
func Undo(ctx context.Context, c UndoConfig) (UndoSummary, error) {
	var s UndoSummary
	s.DryRun = c.DryRun
	if c.Report == "" || c.API == nil {
		return s, &RefusedError{Msg: "undo needs the import's report and a target"}
	}
	journal := c.Journal
	if journal == "" {
		journal = DefaultJournal(c.Report)
	}
	out := c.Out
	if out == "" {
		out = DefaultUndoReport(c.Report)
	}
	ujPath := c.UndoJournal
	if ujPath == "" {
		ujPath = DefaultUndoJournal(c.Report)
	}
	if err := CheckFiles([]NamedPath{{c.Report, "--report"}, {journal, "the import's journal"}},
		[]Output{{NamedPath: NamedPath{out, "undo's report"}, Kind: KindUndoReport}, {NamedPath: NamedPath{ujPath, "undo's journal"}, Kind: KindUndoJournal}}); err != nil {
		return s, refused(err)
	}
	release, err := LockFiles(out, ujPath)
	if err != nil {
		return s, refusedLock(err)
	}
	defer release()
	info, err := ReadJournalInfo(journal)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return s, &RefusedError{Msg: fmt.Sprintf("undo needs the import's journal (%s) to know which project it went to and when it began; it is not there (give it with --journal)", journal)}
		}
		return s, &RefusedError{Msg: err.Error()}
	}
	if info.Target == "" {
		return s, &RefusedError{Msg: fmt.Sprintf("%s is the journal of no live import: there is nothing to undo", journal)}
	}
	if c.Target != "" && c.Target != info.Target {
		return s, &RefusedError{Msg: fmt.Sprintf("the import of %s went to %s, not %s: undo runs against the project the import went to", c.Report, info.Target, c.Target)}
	}
	s.Target, s.FirstRequest = info.Target, info.FirstRequest
	rows, err := ReadReport(c.Report)
	if err != nil {
		return s, fmt.Errorf("read the report: %w", err)
	}
	var cands []ReportRow
	for _, r := range rows {
		if r.Outcome == OutcomeInserted && adminapi.ValidUserID(r.UserID) {
			cands = append(cands, r)
		}
	}
	s.Inserted = len(cands)
	reportSum, err := fileSHA256(c.Report)
	if err != nil {
		return s, err
	}

	// An earlier undo of the same report: its settled users are kept as
	// they are.
	done := map[string]undoLine{}
	var uj *undoJournal
	if !c.DryRun {
		uj, done, err = openUndoJournal(ujPath, reportSum, info.Target)
		if err != nil {
			return s, err
		}
		defer uj.close()
	}
	var lines []undoLine
	var todo []ReportRow
	for _, r := range cands {
		if l, ok := done[r.UserID]; ok {
			l.row = r.Row
			lines = append(lines, l)
			s.Resumed++
			continue
		}
		todo = append(todo, r)
	}

	// Look every other user up: gone, created before, or to delete.
	ids := make([]string, len(todo))
	for i, r := range todo {
		ids[i] = r.UserID
	}
	bo := c.Batch
	if c.Progress != nil {
		total := len(ids)
		c.Progress("look-up", 0, total)
		bo.Progress = func(d int) { c.Progress("look-up", d, total) }
	}
	users, err := c.API.UsersByID(ctx, ids, bo)
	if err != nil {
		return s, fmt.Errorf("look the users up: %w", err)
	}
	var del []undoLine
	var settled []undoLine
	for i, r := range todo {
		u := users[i]
		switch {
		case u == nil:
			settled = append(settled, undoLine{r.Row, r.UserID, UndoAlreadyGone, "no such user in the project"})
			s.Gone++
		case u.CreatedAt.Before(info.FirstRequest):
			settled = append(settled, undoLine{r.Row, r.UserID, UndoKept, fmt.Sprintf("created %s, before the migration's first request (%s)", u.CreatedAt.UTC().Format(time.RFC3339), info.FirstRequest.UTC().Format(time.RFC3339))})
			s.Kept++
		default:
			del = append(del, undoLine{r.Row, r.UserID, UndoWouldDelete, ""})
			s.Delete++
		}
	}
	if c.DryRun {
		lines = append(append(lines, settled...), del...)
		return s, s.finish(out, lines)
	}
	if c.Confirm != nil && s.Delete > 0 && !c.Confirm(s.UndoPlan) {
		return s, ErrUndoCancelled
	}
	if err := uj.record(settled); err != nil {
		return s, err
	}
	lines = append(lines, settled...)

	// Delete, a few at a time; each outcome is journaled as it comes.
	conc := bo.Concurrency
	if conc <= 0 {
		conc = adminapi.DefaultConcurrency
	}
	var (
		mu       sync.Mutex
		wg       sync.WaitGroup
		firstErr error
		n        int
	)
	sem := make(chan struct{}, conc)
	for i := range del {
		if ctx.Err() != nil {
			del[i].outcome, del[i].reason = UndoFailed, "not tried: undo was interrupted; run the same command again to continue"
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
			n++
			if c.Progress != nil {
				c.Progress("delete", n, len(del))
			}
		}(&del[i])
	}
	wg.Wait()
	lines = append(lines, del...)
	if err := s.finish(out, lines); err != nil {
		return s, err
	}
	if firstErr != nil {
		return s, firstErr
	}
	if s.Failed == 0 && ctx.Err() == nil {
		_ = uj.end()
	}
	return s, ctx.Err()
}

func clipReason(s string) string {
	if len(s) > 500 {
		return s[:500] + "…"
	}
	return s
}

// finish counts the lines and writes undo's report, in row order.
func (s *UndoSummary) finish(out string, lines []undoLine) error {
	sort.Slice(lines, func(i, j int) bool { return lines[i].row < lines[j].row })
	s.Deleted, s.AlreadyGone, s.KeptBefore, s.Failed = 0, 0, 0, 0
	for _, l := range lines {
		switch l.outcome {
		case UndoDeleted:
			s.Deleted++
		case UndoAlreadyGone:
			s.AlreadyGone++
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
	bw.WriteString("row,user_id,outcome,reason\n")
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

// undoJournal is undo's append-only record: a start line naming the
// import's report (its sha256) and the target, then the users settled
// (deleted, already gone, kept), each line fsync'd.
type undoJournal struct {
	f *os.File
}

type undoEntry struct {
	T      string      `json:"t"` // start, users, end
	Report string      `json:"report,omitempty"`
	Target string      `json:"target,omitempty"`
	Users  [][3]string `json:"users,omitempty"` // user id, outcome, reason
}

// openUndoJournal continues the undo journal of the same report and
// target, or starts a new one (a finished undo, or one of another report,
// is started over: deleting again only finds users already gone).
func openUndoJournal(path, reportSum, target string) (*undoJournal, map[string]undoLine, error) {
	if err := refuseNonRegular(path); err != nil {
		return nil, nil, err
	}
	done := map[string]undoLine{}
	resume := false
	if b, err := os.ReadFile(path); err == nil {
		sc := bufio.NewScanner(strings.NewReader(string(b)))
		sc.Buffer(make([]byte, 1<<20), 64<<20)
		first, ended := true, false
		for sc.Scan() {
			var e undoEntry
			if json.Unmarshal(sc.Bytes(), &e) != nil {
				if first {
					return nil, nil, fmt.Errorf("%s is not undo's journal: it is not replaced (choose another --undo-journal)", path)
				}
				continue // a torn last line
			}
			if first {
				first = false
				if e.T != "start" {
					return nil, nil, fmt.Errorf("%s is not undo's journal: it is not replaced (choose another --undo-journal)", path)
				}
				resume = e.Report == reportSum && e.Target == target
				if !resume {
					break
				}
				continue
			}
			switch e.T {
			case "users":
				for _, u := range e.Users {
					done[u[0]] = undoLine{userID: u[0], outcome: u[1], reason: u[2]}
				}
			case "end":
				ended = true
			}
		}
		if ended {
			resume = false
		}
		if !resume {
			done = map[string]undoLine{}
		}
	} else if !os.IsNotExist(err) {
		return nil, nil, err
	}
	flags := os.O_WRONLY | os.O_CREATE | os.O_APPEND
	if !resume {
		flags |= os.O_TRUNC
	}
	f, err := os.OpenFile(path, flags, 0o600)
	if err != nil {
		return nil, nil, err
	}
	j := &undoJournal{f: f}
	if resume {
		// A torn last line gets its own line ended, so the next entry
		// is whole.
		if _, err := f.Write([]byte{'\n'}); err != nil {
			f.Close()
			return nil, nil, err
		}
	} else if err := j.append(undoEntry{T: "start", Report: reportSum, Target: target}); err != nil {
		f.Close()
		return nil, nil, err
	}
	return j, done, nil
}

func (j *undoJournal) append(e undoEntry) error {
	b, err := json.Marshal(e)
	if err != nil {
		return err
	}
	if _, err := j.f.Write(append(b, '\n')); err != nil {
		return err
	}
	return j.f.Sync()
}

func (j *undoJournal) record(lines []undoLine) error {
	if j == nil || len(lines) == 0 {
		return nil
	}
	e := undoEntry{T: "users"}
	for _, l := range lines {
		e.Users = append(e.Users, [3]string{l.userID, l.outcome, l.reason})
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
