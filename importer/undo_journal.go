package importer

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
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

// undoJournalLine is a journal entry as undo reads it: the fields it
// needs, "st" included (an optional field added after journals of older
// versions were written).
type undoJournalLine struct {
	T   string       `json:"t"`
	Res [][5]string  `json:"res,omitempty"`
	FP  *Fingerprint `json:"fp,omitempty"`
	At  string       `json:"at,omitempty"`
	St  string       `json:"st,omitempty"`
}

// readImportHistory reads the import's journal at path. A torn last line
// is ignored, as a resume does.
func readImportHistory(path string) (*importHistory, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	h := &importHistory{inserted: map[int][]string{}}
	var started time.Time
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 256<<20)
	first := true
	for sc.Scan() {
		line := sc.Bytes()
		if !first && !bytes.Contains(line, []byte(`"t":"`+entryRequest+`"`)) && !bytes.Contains(line, []byte(`"t":"`+entryJob+`"`)) &&
			!bytes.Contains(line, resultMarker) {
			continue
		}
		var e undoJournalLine
		if json.Unmarshal(line, &e) != nil {
			if first {
				return nil, fmt.Errorf("%s is not a journal of authgear-migrate", path)
			}
			continue
		}
		if first {
			first = false
			if e.T != entryStart || e.FP == nil {
				return nil, fmt.Errorf("%s is not a journal of authgear-migrate", path)
			}
			h.target = e.FP.Target
			started, _ = time.Parse(time.RFC3339Nano, e.At)
			continue
		}
		if st, err := time.Parse(time.RFC3339Nano, e.St); err == nil && (h.firstServer.IsZero() || st.Before(h.firstServer)) {
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
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if first {
		return nil, fmt.Errorf("%s is empty: not a journal of authgear-migrate", path)
	}
	if h.firstLocal.IsZero() {
		h.firstLocal = started
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
