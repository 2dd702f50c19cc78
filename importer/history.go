package importer

import (
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"
	"math/bits"
	"slices"
	"strconv"
	"time"
)

// The record of a live import is history. Its report and journal hold
// every user id the import created, and they are what undo and verify
// read: no later run replaces them. A later live run either continues
// the same migration (the same target, input and mapping: see
// OpenJournal), or is refused before anything is opened and told to name
// a new report. A dry run or a rehearsal never replaces a report that
// holds user ids (see CheckFiles).

// HistoryReason says why a run may not use a journal or report.
type HistoryReason uint8

// Reasons a run is refused the files of another migration.
const (
	// OtherTarget: the journal's import went to another project.
	OtherTarget HistoryReason = iota + 1
	// OtherInput, OtherMapping: the journal's import read another input,
	// or used another mapping.
	OtherInput
	OtherMapping
	// RestartWouldLose: starting over would truncate a journal that
	// holds user ids.
	RestartWouldLose
	// ReportNotJournaled: the report holds user ids that the journal
	// beside it does not record (its import kept its journal elsewhere,
	// or the journal is gone).
	ReportNotJournaled
)

// HistoryError refuses a run that would replace the record of a live
// import, or mix two migrations in one journal. Front ends word the way
// out: name a new report (its journal goes beside it), run against the
// journal's target, or (when Restartable) start over.
type HistoryError struct {
	Reason  HistoryReason
	Journal string
	Report  string
	// Target is where the journal's import went; RunTarget where this run
	// goes. Input names the journal's input.
	Target, RunTarget, Input string
	// UserIDs counts the user ids the journal (or report) records.
	UserIDs int
	// Unfinished: the journal's last run did not finish.
	Unfinished bool
	// Restartable: the journal holds no user id, so starting over loses
	// nothing (the front end may offer it).
	Restartable bool
	// NewReport is a free name for a new report (see NextReport).
	NewReport string
}

func (e *HistoryError) Error() string {
	held := "an import"
	if e.Unfinished {
		held = "an unfinished import"
	}
	ids := ""
	if e.UserIDs > 0 {
		ids = fmt.Sprintf(" (%d user ids)", e.UserIDs)
	}
	switch e.Reason {
	case OtherTarget:
		return fmt.Sprintf("%s holds %s into %s%s, not %s: it is kept as the record of that import; run against that target to continue it, or choose a new report for this one", e.Journal, held, e.Target, ids, e.RunTarget)
	case OtherInput, OtherMapping:
		what := "input"
		if e.Reason == OtherMapping {
			what = "mapping"
		}
		return fmt.Sprintf("%s holds %s of another %s (%s)%s: it is kept as the record of that import; restore the original %s to continue it, or choose a new report for this one", e.Journal, held, what, e.Input, ids, what)
	case RestartWouldLose:
		return fmt.Sprintf("%s holds the record of a live import into %s%s: starting over would lose the ids of the users it created (undo and verify read them); continue it without starting over, or choose a new report for a new import", e.Journal, e.Target, ids)
	case ReportNotJournaled:
		return fmt.Sprintf("%s holds the user ids of a live import that its journal %s does not record (that import kept its journal elsewhere, or it is gone): it is kept; choose a new report", e.Report, e.Journal)
	}
	return fmt.Sprintf("%s: the record of another import", e.Journal)
}

// Is makes a *HistoryError an ErrJournalMismatch for the reasons that are
// one.
func (e *HistoryError) Is(target error) bool {
	return target == ErrJournalMismatch && (e.Reason == OtherTarget || e.Reason == OtherInput || e.Reason == OtherMapping)
}

// JournalDamagedError: a line of the journal before its last is not an
// entry; cutting it would lose the job ids after it.
type JournalDamagedError struct {
	Path string
	Line int
}

func (e *JournalDamagedError) Error() string {
	return fmt.Sprintf("%s: line %d is not a journal entry and is not the last line: the journal is damaged (it is kept as it is; choose a new report to import again, records already imported will come back skipped)", e.Path, e.Line)
}

// decideJournal decides what a live run of fp does with the journal read
// from path (st and old nil when there is none): continue it (cont), start
// it over, or refuse (a *HistoryError).
func decideJournal(path string, fp Fingerprint, st *Resume, old *Fingerprint, restart bool) (cont bool, err error) {
	if st == nil || old == nil || old.Rehearsal {
		// No journal, an empty one, or the marker of a rehearsal.
		return false, nil
	}
	he := &HistoryError{Journal: path, Target: old.Target, RunTarget: fp.Target, Input: old.Name,
		UserIDs: st.ids, Unfinished: !st.ended, Restartable: st.ids == 0}
	same := true
	switch {
	case old.Target != fp.Target:
		he.Reason, same = OtherTarget, false
	case old.Input != fp.Input:
		he.Reason, same = OtherInput, false
	case old.Mapping != fp.Mapping:
		he.Reason, same = OtherMapping, false
	}
	switch {
	case st.ids > 0 && restart:
		if same {
			he.Reason = RestartWouldLose
		}
		return false, he
	case restart:
		return false, nil
	case same:
		return true, nil
	case st.ids > 0 || !st.ended:
		return false, he
	}
	// A finished journal of another migration that created no user:
	// nothing is lost by starting over.
	return false, nil
}

// checkReportHistory refuses a live run whose report holds user ids that
// the journal it continues does not record: replacing the report would
// lose them. st is the journal's state (nil for none, or one started
// over).
func checkReportHistory(report, journal string, st *Resume) error {
	n := 0
	var missing bool
	err := eachReportID(report, func(row int, id string) bool {
		n++
		if st == nil {
			missing = true
			return false
		}
		if _, found := slices.BinarySearch(st.idSums, historyHash(row, id)); !found {
			missing = true
			return false
		}
		return true
	})
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read %s: %w", report, err)
	}
	if missing {
		return &HistoryError{Reason: ReportNotJournaled, Report: report, Journal: journal}
	}
	return nil
}

// historyHash is a hash of a report row's (row, user id) pair.
func historyHash(row int, id string) uint64 {
	h := fnv.New64a()
	h.Write(strconv.AppendInt(nil, int64(row), 10))
	h.Write([]byte{0})
	h.Write([]byte(id))
	return h.Sum64()
}

// andNot clears in a the bits set in b; or sets them.
func andNot(a, b *bitset) {
	for i := range a.w {
		if i < len(b.w) {
			a.w[i] &^= b.w[i]
		}
	}
}

func or(a, b *bitset) {
	for i, w := range b.w {
		if i >= len(a.w) {
			a.w = append(a.w, make([]uint64, i+1-len(a.w))...)
		}
		a.w[i] |= w
	}
}

func count(a *bitset) int {
	n := 0
	for _, w := range a.w {
		n += bits.OnesCount64(w)
	}
	return n
}

// openLiveJournal opens the journal of a live run of fp whose report is
// report: it continues the migration the journal records, starts a new
// one, or refuses (a *HistoryError) before anything is written. The
// report may be replaced only when every user id it holds is in the
// journal that is continued (it is rewritten from the journal's outcomes
// and the new ones); a report written by a rehearsal (its journal is the
// rehearsal's marker) holds no user of a real project.
func openLiveJournal(report, journalPath string, fp Fingerprint, restart bool) (*Journal, error) {
	if err := checkJournalFile(journalPath); err != nil {
		return nil, err
	}
	st, old, err := readJournal(journalPath)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		st, old = nil, nil
	case err != nil:
		var de *JournalDamagedError
		if errors.As(err, &de) {
			return nil, err
		}
		return nil, fmt.Errorf("read journal %s: %w", journalPath, err)
	}
	cont, err := decideJournal(journalPath, fp, st, old, restart)
	if !cont && err == nil && (old == nil || !old.Rehearsal) {
		err = checkReportHistory(report, journalPath, nil)
	} else if cont {
		err = checkReportHistory(report, journalPath, st)
	}
	var he *HistoryError
	if errors.As(err, &he) {
		he.Report, he.NewReport = report, NextReport(report)
	}
	if err != nil {
		return nil, err
	}
	if !cont {
		st = nil
	}
	if st != nil {
		st.idSums = nil // checked: not needed any more
	}
	return openJournalState(journalPath, fp, st)
}

// writeRehearsalMarker writes the journal of a rehearsal: only its start,
// with no target. It marks the report beside it as a rehearsal's (its user
// ids are those of a sandbox that is gone), which a later run may replace.
func writeRehearsalMarker(path, input string) error {
	f, err := CreateAtomic(path)
	if err != nil {
		return err
	}
	b, err := json.Marshal(journalEntry{T: entryStart, FP: &Fingerprint{Name: input, Rehearsal: true}, At: time.Now().UTC().Format(time.RFC3339)})
	if err == nil {
		_, err = f.Write(append(b, '\n'))
	}
	return f.Finish(err, func() error { return nil })
}
