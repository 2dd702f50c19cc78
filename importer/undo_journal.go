package importer

import (
	"strconv"
	"time"

	"github.com/authgear-migrate/authgear-migrate/importer/adminapi"
)

// importHistory is what undo reads from an import's journal: the project
// it went to, the users its results recorded as inserted (by row), and
// when its first request was sent, on the server's clock when the journal
// has it.
type importHistory struct {
	target string
	// inserted holds, per input row, the user ids the journal's result
	// lines recorded as inserted (one, except after a lost task).
	inserted map[int][]string
	// firstServer is the earliest server time ("st", the Date header of
	// a POST's answer) on the journal's request and job lines; zero for
	// a journal written before it was recorded.
	firstServer time.Time
	// firstLocal is when the first request was journaled, on this
	// machine's clock (the journal's start when no request time is
	// recorded).
	firstLocal time.Time
}

// readImportHistory reads the import's journal at path. A torn last line
// is ignored, as a resume does.
func readImportHistory(path string) (*importHistory, error) {
	h := &importHistory{inserted: map[int][]string{}}
	start, err := scanJournal(path, []string{entryRequest, entryJob, entryResult}, func(e *journalEntry) {
		if st, err := time.Parse(time.RFC3339Nano, e.ST); err == nil && (h.firstServer.IsZero() || st.Before(h.firstServer)) {
			h.firstServer = st
		}
		switch e.T {
		case entryRequest:
			if t, err := time.Parse(time.RFC3339Nano, e.At); err == nil && (h.firstLocal.IsZero() || t.Before(h.firstLocal)) {
				h.firstLocal = t
			}
		case entryResult:
			for _, x := range e.Res {
				if Outcome(x[1]) != OutcomeInserted || !adminapi.ValidUserID(x[2]) {
					continue
				}
				row, err := strconv.Atoi(x[0])
				if err != nil {
					continue
				}
				if !containsString(h.inserted[row], x[2]) {
					h.inserted[row] = append(h.inserted[row], x[2])
				}
			}
		}
	})
	if err != nil {
		return nil, err
	}
	h.target = start.FP.Target
	if h.firstLocal.IsZero() {
		h.firstLocal, _ = time.Parse(time.RFC3339Nano, start.At)
	}
	return h, nil
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
