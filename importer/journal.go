package importer

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"strconv"
	"sync"
	"time"
)

// Journal is the append-only record of a live import that makes it
// resumable: the input's fingerprint and the mapping, each request's rows
// before it is sent, its job id once accepted, and its outcomes once
// complete. Every entry is one JSON line, written and fsync'd before the
// import acts on it. It holds no password hashes and no secrets.
type Journal struct {
	// mu serialises writes: requests are journaled by the streaming
	// goroutine while jobs are accepted and read on others.
	mu    sync.Mutex
	path  string
	f     *os.File
	w     *bufio.Writer
	state *Resume
}

// Fingerprint identifies the input and the mapping of a run.
type Fingerprint struct {
	Input   string `json:"input"`   // sha256 of the input file (and joined files)
	Mapping string `json:"mapping"` // sha256 of the mapping as written
	Size    int64  `json:"size"`
	Name    string `json:"name"` // the input's path, for messages
	// Target names the endpoint and project the records go to: the jobs
	// of one project cannot be read in another.
	Target string `json:"target,omitempty"`
	// Rehearsal marks the journal of a rehearsal (optional): only its
	// start line, which says that the report beside it holds the user ids
	// of a sandbox that is gone.
	Rehearsal bool `json:"rehearsal,omitempty"`
}

// Kinds of journal entries.
const (
	entryStart   = "start"  // the fingerprint: the first line
	entryRequest = "req"    // a request's rows, before it is sent
	entryJob     = "job"    // the job id the server gave the request
	entryResult  = "res"    // the outcomes of a request's records
	entrySplit   = "split"  // the request was split in two after a 413
	entryUnsent  = "unsent" // the request was never sent
	entryEnd     = "end"    // the run finished
	// entryContinue starts a later run of the same migration after a
	// finished one: the journal is appended to, never truncated, so
	// that it keeps every user id and the time of the first request.
	entryContinue = "cont"
	// endCanary is the Why of an end entry written when the canary
	// stopped the run: the canary's records are sent again by the next
	// run (the project had to be changed first).
	endCanary = "canary"
)

type journalEntry struct {
	T    string       `json:"t"` // one of the entry kinds
	Seq  int          `json:"seq,omitempty"`
	Rows [][2]int     `json:"rows,omitempty"` // ranges of record numbers
	Job  string       `json:"job,omitempty"`
	Res  [][6]string  `json:"res,omitempty"` // row, outcome, user_id, reason, identifier, source_id (absent before the id map)
	FP   *Fingerprint `json:"fp,omitempty"`
	At   string       `json:"at,omitempty"`
	// IDs are the identifiers of a request's rows (optional, since
	// version 2 of the journal): a job read by a resume reports them.
	IDs []string `json:"ids,omitempty"`
	// SIDs are the old system's ids of a request's rows (optional: a
	// mapping with source.id): a resume that reads the request's job
	// reports them, and writes them to the id map.
	SIDs []string `json:"sids,omitempty"`
	// Why ends a run early (optional): endCanary.
	Why string `json:"why,omitempty"`
	// ST is the server's clock (RFC 3339): on a request, its estimate
	// when the request was journaled (from the Date of earlier answers);
	// on a job, the Date of the POST's answer. Absent when unknown.
	ST string `json:"st,omitempty"`
}

// Resume is what an unfinished earlier run left in the journal: the
// records it settled, the jobs it left to read, and the requests it may
// have sent without learning their job.
type Resume struct {
	settled  *bitset    // rows with an outcome or in an accepted job
	results  int        // outcomes already known (read again by eachResult)
	accepted []*request // jobs accepted and not read
	// kept holds the rows whose outcome eachResult reports: settled in
	// this run, or in an earlier finished run with an outcome that is
	// not a failure. latest names, for a row with several outcomes in
	// the journal, the line of the one that counts.
	kept   *bitset
	latest map[int]int
	// segRequests counts the requests of the run this one continues
	// (since the last start or continue entry): none, and the canary
	// goes first again.
	segRequests int
	// ids counts the results that carry a user id; idSums holds a hash
	// of each (row, user id) pair, sorted (see historyHash).
	ids    int
	idSums []uint64
	// maybeSent holds the rows of requests that were journaled but never
	// seen accepted nor known refused: the run stopped between the POST
	// and the journal's "job" line, so the server may have created them.
	maybeSent *bitset
	// maybeSentAt says when each maybe-sent request was journaled (just
	// before its POST), to tell a user it created from an older one.
	maybeSentAt []sentSpan
	maxSeq      int
	ended       bool
	// valid is the length of the journal's whole entries: a torn last
	// line is cut off before appending, or the next entry would be glued
	// to it and lost with it on the next read.
	valid int64
}

// sentSpan is a maybe-sent request: its rows and when it was journaled,
// by this machine's clock (at) and the server's (st, zero if unknown).
type sentSpan struct {
	rows [][2]int
	at   time.Time
	st   time.Time
}

// sentAt returns when the request holding row was journaled; ok is false
// for a row of no maybe-sent request or a journal of an older version
// (no time recorded).
func (r *Resume) sentAt(row int) (time.Time, bool) {
	for _, s := range r.maybeSentAt {
		for _, rg := range s.rows {
			if row >= rg[0] && row <= rg[1] {
				return s.at, !s.at.IsZero()
			}
		}
	}
	return time.Time{}, false
}

// ErrJournalMismatch means the journal belongs to another input or mapping.
var ErrJournalMismatch = errors.New("the journal belongs to a different input or mapping")

// FingerprintFiles hashes the input files and the mapping. It stops when
// ctx ends.
func FingerprintFiles(ctx context.Context, m *Mapping, files ...string) (Fingerprint, error) {
	h := sha256.New()
	var size int64
	for _, p := range files {
		f, err := os.Open(p)
		if err != nil {
			return Fingerprint{}, err
		}
		n, err := io.Copy(h, &ctxReader{ctx, f})
		f.Close()
		if err != nil {
			return Fingerprint{}, err
		}
		size += n
	}
	mh := sha256.New()
	if err := m.Write(mh); err != nil {
		return Fingerprint{}, err
	}
	name := ""
	if len(files) > 0 {
		name = files[0]
	}
	return Fingerprint{Input: hex.EncodeToString(h.Sum(nil)), Mapping: hex.EncodeToString(mh.Sum(nil)), Size: size, Name: name}, nil
}

// OpenJournal opens the journal at path for a live run of fp. A journal
// holds the history of a migration, and is appended to, never truncated,
// once it holds a user id:
//
//   - a journal of the same migration (the same target, input and
//     mapping) is continued: an unfinished run is resumed; after a
//     finished one, the records it settled with an outcome keep it and
//     the others (failed, never sent) are sent again;
//   - a journal of another migration is refused (a *HistoryError)
//     unless it holds no user id and is finished, or restart is set;
//   - restart starts over only a journal that holds no user id.
func OpenJournal(path string, fp Fingerprint, restart bool) (*Journal, error) {
	if err := checkJournalFile(path); err != nil {
		return nil, err
	}
	st, old, err := readJournal(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		st, old = nil, nil
	case err != nil:
		return nil, fmt.Errorf("read journal %s: %w", path, err)
	}
	cont, err := decideJournal(path, fp, st, old, restart)
	if err != nil {
		return nil, err
	}
	if !cont {
		st = nil // started over
	}
	return openJournalState(path, fp, st)
}

// openJournalState opens the journal: appending to st's file, or, with st
// nil, starting it over.
func openJournalState(path string, fp Fingerprint, st *Resume) (*Journal, error) {
	j := &Journal{path: path, state: st}
	flags := os.O_WRONLY | os.O_CREATE | os.O_APPEND | oNoFollow
	if j.state == nil {
		flags |= os.O_TRUNC
	}
	f, err := os.OpenFile(path, flags, 0o600)
	if err != nil {
		return nil, err
	}
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("%s is not a regular file: the journal is not written there", path)
	}
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return nil, err
	}
	if j.state != nil {
		if fi, err := f.Stat(); err == nil && fi.Size() != j.state.valid {
			// Cut a torn last line; end a whole last line that lost
			// its newline.
			if fi.Size() > j.state.valid {
				err = f.Truncate(j.state.valid)
			} else {
				_, err = f.Write([]byte{'\n'})
			}
			if err != nil {
				f.Close()
				return nil, err
			}
		}
	}
	j.f, j.w = f, bufio.NewWriter(f)
	now := time.Now().UTC().Format(time.RFC3339)
	switch {
	case j.state == nil:
		err = j.append(journalEntry{T: entryStart, FP: &fp, At: now})
	case j.state.ended:
		// A later run of a finished migration: its own start, after
		// the earlier runs' lines.
		err = j.append(journalEntry{T: entryContinue, FP: &fp, At: now})
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return j, nil
}

// checkJournalFile refuses to replace anything at path but a journal: a
// link, a folder, or a file of another kind (the journal's name may be
// given by hand).
func checkJournalFile(path string) error {
	f, err := openNoFollow(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer f.Close()
	line, err := bufio.NewReader(io.LimitReader(f, 1<<20)).ReadBytes('\n')
	if len(line) == 0 && err == io.EOF {
		return nil // empty
	}
	var e journalEntry
	if json.Unmarshal(line, &e) != nil || e.T != entryStart || e.FP == nil {
		return fmt.Errorf("%s is not a journal of authgear-migrate: it is not replaced (choose another journal or report)", path)
	}
	return nil
}

// UnfinishedJournal reports whether path holds the journal of a live
// import that did not finish (running the same import again continues it),
// with the target it imported into and how many records it settled.
func UnfinishedJournal(path string) (target string, settled int, ok bool) {
	st, fp, err := readJournal(path)
	if err != nil || fp == nil || st.ended || fp.Target == "" {
		return "", 0, false
	}
	return fp.Target, st.results, true
}

// JournalInfo is what undo needs from an import's journal.
type JournalInfo struct {
	// Target is the endpoint and project the import sent to.
	Target string
	// FirstRequest is when the first request was journaled, just before
	// it was sent (the journal's start when no request time is recorded).
	FirstRequest time.Time
	// Ended: the import finished.
	Ended bool
}

// ReadJournalInfo reads the target and the first request's time of the
// import journaled at path.
func ReadJournalInfo(path string) (JournalInfo, error) {
	var info JournalInfo
	start, err := scanJournal(path, []string{entryRequest, entryEnd, entryContinue}, func(e *journalEntry) {
		switch e.T {
		case entryRequest:
			if t, err := time.Parse(time.RFC3339Nano, e.At); err == nil && (info.FirstRequest.IsZero() || t.Before(info.FirstRequest)) {
				info.FirstRequest = t
			}
		case entryEnd:
			info.Ended = true
		case entryContinue:
			info.Ended = false
		}
	})
	if err != nil {
		return info, err
	}
	info.Target = start.FP.Target
	if info.FirstRequest.IsZero() {
		info.FirstRequest, _ = time.Parse(time.RFC3339Nano, start.At)
	}
	return info, nil
}

// scanJournal reads the journal at path (never through a link): its start
// entry, which it returns after checking it is one, then each later entry
// of the kinds given, in order, through fn. A line that is not an entry
// (a torn last line) is skipped, as a resume does.
func scanJournal(path string, kinds []string, fn func(e *journalEntry)) (journalEntry, error) {
	f, err := openNoFollow(path)
	if err != nil {
		return journalEntry{}, err
	}
	defer f.Close()
	markers := make([][]byte, len(kinds))
	for i, k := range kinds {
		markers[i] = []byte(`"t":"` + k + `"`)
	}
	var start journalEntry
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 256<<20)
	first := true
	for sc.Scan() {
		line := sc.Bytes()
		if !first && !slices.ContainsFunc(markers, func(m []byte) bool { return bytes.Contains(line, m) }) {
			continue
		}
		var e journalEntry
		if json.Unmarshal(line, &e) != nil {
			if first {
				return start, fmt.Errorf("%s is not a journal of authgear-migrate", path)
			}
			continue
		}
		if first {
			first = false
			if e.T != entryStart || e.FP == nil {
				return start, fmt.Errorf("%s is not a journal of authgear-migrate", path)
			}
			start = e
			continue
		}
		fn(&e)
	}
	if err := sc.Err(); err != nil {
		return start, err
	}
	if first {
		return start, fmt.Errorf("%s is empty: not a journal of authgear-migrate", path)
	}
	return start, nil
}

// JournalTarget reads the target a journal's run imported into ("" for a
// journal of no live run); ok is false when path holds no journal.
func JournalTarget(path string) (target string, ok bool) {
	fp, ok := journalStart(path)
	if !ok {
		return "", false
	}
	return fp.Target, true
}

// journalStart reads the fingerprint of the journal at path; ok is false
// when path holds no journal.
func journalStart(path string) (fp Fingerprint, ok bool) {
	f, err := openNoFollow(path)
	if err != nil {
		return Fingerprint{}, false
	}
	defer f.Close()
	line, _ := bufio.NewReader(io.LimitReader(f, 1<<20)).ReadBytes('\n')
	var e journalEntry
	if json.Unmarshal(line, &e) != nil || e.T != entryStart || e.FP == nil {
		return Fingerprint{}, false
	}
	return *e.FP, true
}

// Resume is the unfinished earlier run this journal continues, or nil
// when it starts a new one.
func (j *Journal) Resume() *Resume { return j.state }

// Settled is how many records the earlier run gave an outcome.
func (r *Resume) Settled() int { return r.results }

// Path is the journal's file name.
func (j *Journal) Path() string { return j.path }

func (j *Journal) append(e journalEntry) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	b, err := json.Marshal(e)
	if err != nil {
		return err
	}
	b = append(b, '\n')
	if _, err := j.w.Write(b); err != nil {
		return err
	}
	if err := j.w.Flush(); err != nil {
		return err
	}
	return j.f.Sync()
}

func ranges(rows []int) [][2]int {
	var out [][2]int
	for _, r := range rows {
		if n := len(out); n > 0 && out[n-1][1]+1 == r {
			out[n-1][1] = r
			continue
		}
		out = append(out, [2]int{r, r})
	}
	return out
}

// Request records a request's rows, and the time, before it is sent: undo
// keeps users created before a migration's first request, and a resume
// tells a user an interrupted request created from an older one.
//
// ids, when given, are the rows' identifiers: a resume that reads the
// request's job reports them (the server echoes no record it imported).
func (j *Journal) Request(seq int, rows []int, ids ...string) error {
	return j.RequestAt(seq, rows, time.Time{}, ids...)
}

// RequestAt is Request with the server's time, when known (st).
func (j *Journal) RequestAt(seq int, rows []int, st time.Time, ids ...string) error {
	return j.requestWith(seq, rows, st, ids, nil)
}

// requestWith is RequestAt with the rows' old ids (sids), when the
// mapping names them.
func (j *Journal) requestWith(seq int, rows []int, st time.Time, ids, sids []string) error {
	if len(ids) != len(rows) {
		ids = nil
	}
	if len(sids) != len(rows) {
		sids = nil
	}
	return j.append(journalEntry{T: entryRequest, Seq: seq, Rows: ranges(rows), IDs: ids, SIDs: sids, At: time.Now().UTC().Format(time.RFC3339Nano), ST: serverTime(st)})
}

// Accepted records the job id the server gave a request.
func (j *Journal) Accepted(seq int, jobID string) error {
	return j.AcceptedAt(seq, jobID, time.Time{})
}

// AcceptedAt is Accepted with the Date of the POST's answer (st), when
// known.
func (j *Journal) AcceptedAt(seq int, jobID string, st time.Time) error {
	return j.append(journalEntry{T: entryJob, Seq: seq, Job: jobID, ST: serverTime(st)})
}

func serverTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// Split records that a request was split into others (after a 413).
func (j *Journal) Split(seq int) error {
	return j.append(journalEntry{T: entrySplit, Seq: seq})
}

// Unsent records that a request was never accepted (it was not sent, or
// the server refused it unambiguously), so that a resume does not take
// its records for ones an interrupted POST may have created.
func (j *Journal) Unsent(seq int) error {
	return j.append(journalEntry{T: entryUnsent, Seq: seq})
}

// Result records the outcomes of a request's records.
func (j *Journal) Result(seq int, rows []ReportRow) error {
	res := make([][6]string, len(rows))
	for i, r := range rows {
		res[i] = [6]string{fmt.Sprint(r.Row), string(r.Outcome), r.UserID, r.Reason, r.Identifier, r.SourceID}
	}
	return j.append(journalEntry{T: entryResult, Seq: seq, Res: res})
}

// End marks the run complete.
func (j *Journal) End() error { return j.append(journalEntry{T: entryEnd}) }

// EndCanary marks the run stopped by its canary: the project must be
// changed first, and the next run sends the canary's records again
// rather than keeping their outcomes. The journal (and the user ids it
// holds) stays.
func (j *Journal) EndCanary() error { return j.append(journalEntry{T: entryEnd, Why: endCanary}) }

// CanaryDue reports whether a resumed run sends its canary first: the run
// it continues has sent no request yet.
func (r *Resume) CanaryDue() bool { return r == nil || r.ended || r.segRequests == 0 }

// Close closes the file.
func (j *Journal) Close() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.f == nil {
		return nil
	}
	err := j.w.Flush()
	if cerr := j.f.Close(); err == nil {
		err = cerr
	}
	return err
}

// readJournal replays a journal, the runs of one migration one after
// the other. A torn last line (a crash mid-write) is ignored.
func readJournal(path string) (*Resume, *Fingerprint, error) {
	f, err := openNoFollow(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	st := &Resume{settled: &bitset{}, maybeSent: &bitset{}, kept: &bitset{}}
	var fp *Fingerprint
	type reqInfo struct {
		at     time.Time
		st     time.Time // server time of the request line
		jobST  time.Time // server time of the job line
		rows   [][2]int
		ids    []string
		sids   []string
		job    string
		done   bool
		split  bool
		unsent bool
	}
	reqs := map[int]*reqInfo{}
	var order []int
	// ok: the row's latest outcome is not a failure; cur: the row has an
	// outcome in the run the journal ends with; seen: any outcome.
	ok, cur, seen := &bitset{}, &bitset{}, &bitset{}
	// canary holds the outcomes of the first request of the run the
	// journal ends with (firstSeq): a canary stop does not keep them.
	canary, firstSeq := &bitset{}, 0
	line := -1
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 256<<20)
	for sc.Scan() {
		line++
		var e journalEntry
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			// Only the last line can be torn by a crash mid-write; a bad
			// line before others means the file was damaged, and cutting
			// it would lose the job ids after it.
			if sc.Scan() {
				return nil, nil, &JournalDamagedError{Path: path, Line: lineNo(st.valid, path) + 1}
			}
			break
		}
		st.valid += int64(len(sc.Bytes())) + 1
		switch e.T {
		case entryStart:
			fp = e.FP
		case entryContinue:
			cur, canary, firstSeq = &bitset{}, &bitset{}, 0
			st.ended = false
			st.segRequests = 0
		case entryRequest:
			at, _ := time.Parse(time.RFC3339Nano, e.At)
			sat, _ := time.Parse(time.RFC3339, e.ST)
			reqs[e.Seq] = &reqInfo{rows: e.Rows, at: at, st: sat, ids: e.IDs, sids: e.SIDs}
			order = append(order, e.Seq)
			if e.Seq > st.maxSeq {
				st.maxSeq = e.Seq
			}
			st.segRequests++
			if firstSeq == 0 {
				firstSeq = e.Seq
			}
		case entryJob:
			if r := reqs[e.Seq]; r != nil {
				r.job = e.Job
				r.jobST, _ = time.Parse(time.RFC3339, e.ST)
			}
		case entrySplit:
			if r := reqs[e.Seq]; r != nil {
				r.split = true
			}
		case entryUnsent:
			if r := reqs[e.Seq]; r != nil {
				r.unsent = true
			}
		case entryResult:
			if r := reqs[e.Seq]; r != nil {
				r.done = true
			}
			for _, x := range e.Res {
				row, _ := strconv.Atoi(x[0])
				if seen.has(row) {
					if st.latest == nil {
						st.latest = map[int]int{}
					}
					st.latest[row] = line
				}
				seen.set(row)
				cur.set(row)
				if e.Seq == firstSeq {
					canary.set(row)
				}
				if Outcome(x[1]) == OutcomeFailed {
					ok.clear(row)
				} else {
					ok.set(row)
				}
				if x[2] != "" {
					st.ids++
					st.idSums = append(st.idSums, historyHash(row, x[2]))
				}
			}
		case entryEnd:
			st.ended = true
			if e.Why == endCanary {
				// The canary's outcomes are not kept: the next run
				// sends its records again.
				andNot(ok, canary)
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, nil, err
	}
	// Kept: a success of any run, or any outcome of the unfinished run
	// this journal ends with.
	st.kept = ok
	if !st.ended {
		or(st.kept, cur)
	}
	st.results = count(st.kept)
	or(st.settled, st.kept)
	for _, seq := range order {
		r := reqs[seq]
		if !r.done && !r.split && r.job == "" && !r.unsent {
			for _, rg := range r.rows {
				for row := rg[0]; row <= rg[1]; row++ {
					if !st.kept.has(row) {
						st.maybeSent.set(row)
					}
				}
			}
			st.maybeSentAt = append(st.maybeSentAt, sentSpan{rows: r.rows, at: r.at, st: r.st})
		}
		if r.done || r.split || r.job == "" {
			continue // settled, replaced, or never accepted (sent again)
		}
		req := &request{seq: seq, jobID: r.job, since: r.st, sinceLocal: r.at}
		if req.since.IsZero() && !r.jobST.IsZero() {
			// Only the answer's Date is known: the POST began before
			// it, by less than an attempt's answer timeout.
			req.since = r.jobST.Add(-time.Minute)
		}
		i := 0
		for _, rg := range r.rows {
			for row := rg[0]; row <= rg[1]; row++ {
				if !st.settled.has(row) {
					req.rows = append(req.rows, row)
					id := ""
					if i < len(r.ids) {
						id = r.ids[i]
					}
					req.ids = append(req.ids, id)
					if i < len(r.sids) {
						req.sids = append(req.sids, r.sids[i])
					} else if r.sids != nil {
						req.sids = append(req.sids, "")
					}
					st.settled.set(row)
				}
				i++
			}
		}
		st.accepted = append(st.accepted, req)
	}
	slices.Sort(st.idSums)
	return st, fp, nil
}

// lineNo counts the lines in the first n bytes of the file at path.
func lineNo(n int64, path string) int {
	f, err := os.Open(path)
	if err != nil {
		return 0
	}
	defer f.Close()
	b := make([]byte, n)
	m, _ := io.ReadFull(f, b)
	return bytes.Count(b[:m], []byte("\n"))
}

// resultMarker finds result lines without decoding the others.
var resultMarker = []byte(`"t":"` + entryResult + `"`)

// eachResult streams the outcomes an earlier run recorded, so that a
// resume of a million-record import does not hold them all in memory.
func (j *Journal) eachResult(fn func(ReportRow) error) error {
	if j.state == nil {
		return nil
	}
	f, err := openNoFollow(j.path)
	if err != nil {
		return err
	}
	defer f.Close()
	sc := bufio.NewScanner(io.LimitReader(f, j.state.valid))
	sc.Buffer(make([]byte, 1<<20), 256<<20)
	n := -1
	for sc.Scan() {
		n++
		line := sc.Bytes()
		if !bytes.Contains(line, resultMarker) {
			continue
		}
		var e journalEntry
		if err := json.Unmarshal(line, &e); err != nil {
			return fmt.Errorf("%s: %w", j.path, err)
		}
		for _, x := range e.Res {
			row, _ := strconv.Atoi(x[0])
			if !j.state.kept.has(row) {
				continue // sent again by this run
			}
			if at, ok := j.state.latest[row]; ok && at != n {
				continue // an earlier outcome of a record sent again
			}
			if err := fn(ReportRow{Row: row, Outcome: Outcome(x[1]), UserID: x[2], Reason: x[3], Identifier: x[4], SourceID: x[5]}); err != nil {
				return err
			}
		}
	}
	return sc.Err()
}
