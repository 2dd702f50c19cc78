package sandbox

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"time"
)

const (
	jobIDPrefix  = "userimport_"
	taskIDPrefix = "userimporttask_"
	// crockford is pkg/util/base32's alphabet.
	crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
)

// Task statuses: the only two there are (md §2.4).
const (
	StatusPending   = "pending"
	StatusCompleted = "completed"
)

// Outcomes of a record.
const (
	OutcomeInserted = "inserted"
	OutcomeUpdated  = "updated"
	OutcomeSkipped  = "skipped"
	OutcomeFailed   = "failed"
)

func randomBase32(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = crockford[int(b[i])%len(crockford)]
	}
	return string(b)
}

func newJobID() string { return jobIDPrefix + randomBase32(32) }

// newTaskID is fmt.Sprintf("%v_%v", "userimporttask_", ...): note the
// double underscore (real-server/k01).
func newTaskID() string { return taskIDPrefix + "_" + randomBase32(32) }

// Summary is a job's or task's counts.
type Summary struct {
	Total    int `json:"total"`
	Inserted int `json:"inserted"`
	Updated  int `json:"updated"`
	Skipped  int `json:"skipped"`
	Failed   int `json:"failed"`
}

func (s *Summary) add(o *Summary) {
	s.Total += o.Total
	s.Inserted += o.Inserted
	s.Updated += o.Updated
	s.Skipped += o.Skipped
	s.Failed += o.Failed
}

// Warning is a per-record warning.
type Warning struct {
	Message string `json:"message,omitempty"`
}

// Detail is one record's result. Record is the input with password hashes
// and TOTP secrets redacted.
type Detail struct {
	Index    int            `json:"index"`
	Record   map[string]any `json:"record,omitempty"`
	Outcome  string         `json:"outcome,omitempty"`
	UserID   string         `json:"user_id,omitempty"`
	Warnings []Warning      `json:"warnings,omitempty"`
	Errors   []*APIError    `json:"errors,omitempty"`
}

// Result is the "result" of POST and GET: userimport.Response.
type Result struct {
	ID          string     `json:"id,omitempty"`
	CreatedAt   *time.Time `json:"created_at,omitempty"`
	CompletedAt *time.Time `json:"completed_at,omitempty"`
	Status      string     `json:"status,omitempty"`
	Error       *APIError  `json:"error,omitempty"`
	Summary     *Summary   `json:"summary,omitempty"`
	Details     []Detail   `json:"details,omitempty"`
}

type job struct {
	id        string
	createdAt time.Time
	expiresAt time.Time
	taskIDs   []string
	polls     int // GETs of the job (for Faults.ForgetJobsAfter)
}

// forgetLocked drops a polled job when Faults.ForgetJobsAfter says its
// time has come, as a Redis restart does: the job and its unfinished tasks
// are gone. A job with a task being run is forgotten at a later poll.
func (s *Server) forgetLocked(id string) {
	n := s.faults.cfg.ForgetJobsAfter
	j, ok := s.jobs[id]
	if n <= 0 || !ok {
		return
	}
	j.polls++
	if j.polls <= n {
		return
	}
	drop := map[*task]bool{}
	for _, tid := range j.taskIDs {
		t := s.tasks[tid]
		if t == nil {
			continue
		}
		if t == s.running {
			return
		}
		if t.completedAt == nil {
			drop[t] = true
		}
	}
	kept := s.queue[:0]
	for _, t := range s.queue {
		if !drop[t] {
			kept = append(kept, t)
		}
	}
	for i := len(kept); i < len(s.queue); i++ {
		s.queue[i] = nil
	}
	s.queue = kept
	for _, tid := range j.taskIDs {
		delete(s.tasks, tid)
	}
	delete(s.jobs, id)
	s.faults.stats.ForgottenJobs++
	s.notifyLocked()
}

type task struct {
	id          string
	identifier  string
	upsert      bool
	records     []json.RawMessage
	createdAt   time.Time
	expiresAt   time.Time
	completedAt *time.Time
	err         *APIError
	summary     *Summary
	details     []Detail
}

// enqueue is JobManager.EnqueueJob: reserve the usage quota, chunk the
// records into tasks of 100, queue them, write the job, and answer with
// GetJob's view of it.
func (s *Server) enqueue(req *importRequest, fault Fault) (*Result, *APIError) {
	s.mu.Lock()
	res, apiErr, logLine := s.enqueueLocked(req, fault)
	s.mu.Unlock()
	if logLine != "" {
		s.logf("%s", logLine)
	}
	return res, apiErr
}

func (s *Server) enqueueLocked(req *importRequest, fault Fault) (*Result, *APIError, string) {
	s.purgeLocked()

	n := len(req.Records)
	if q := s.faults.cfg.RecordQuota; q > 0 && s.stats.RecordsReceived+n > q {
		s.faults.stats.QuotaRejections++
		return nil, errUsageLimitExceeded(s.faults.cfg.QuotaPeriod), ""
	}
	if fault == Fault429 {
		s.faults.stats.TooManyRequests++
		return nil, errUsageLimitExceeded(s.faults.cfg.QuotaPeriod), ""
	}

	var tasks []*task
	for start := 0; start < n; start += recordsPerTask {
		end := min(start+recordsPerTask, n)
		now := s.now().UTC()
		t := &task{
			id:         newTaskID(),
			identifier: req.Identifier,
			upsert:     req.Upsert,
			records:    req.Records[start:end],
			createdAt:  now,
			expiresAt:  now.Add(s.opts.Retention),
		}
		s.tasks[t.id] = t
		s.queue = append(s.queue, t)
		tasks = append(tasks, t)
	}
	s.cond.Broadcast()

	s.stats.RecordsReceived += n
	for _, raw := range req.Records {
		s.stats.ReceivedByIdentifier[identifierKey(raw, req.Identifier)]++
	}

	if s.inlineWait > 0 {
		deadline := time.Now().Add(s.inlineWait)
		for !tasksDone(tasks) && !s.closed {
			remaining := time.Until(deadline)
			if remaining <= 0 {
				break
			}
			ch := s.changed
			s.mu.Unlock()
			timer := time.NewTimer(remaining)
			select {
			case <-ch:
			case <-timer.C:
			}
			timer.Stop()
			s.mu.Lock()
		}
	}

	now := s.now().UTC()
	j := &job{id: newJobID(), createdAt: now, expiresAt: now.Add(s.opts.Retention)}
	for _, t := range tasks {
		j.taskIDs = append(j.taskIDs, t.id)
	}
	s.jobs[j.id] = j
	s.stats.JobsAccepted++
	res, apiErr := s.jobResultLocked(j.id)
	return res, apiErr, fmt.Sprintf("sandbox: accepted job %s: %d records, %d tasks", j.id, n, len(tasks))
}

func tasksDone(ts []*task) bool {
	for _, t := range ts {
		if t.completedAt == nil {
			return false
		}
	}
	return true
}

// identifierKey is the Stats.ReceivedByIdentifier key of a record.
func identifierKey(raw json.RawMessage, identifier string) string {
	var rec map[string]json.RawMessage
	if err := json.Unmarshal(raw, &rec); err != nil {
		return "<missing>"
	}
	v, ok := rec[identifier]
	if !ok {
		return "<missing>"
	}
	var val any
	if err := json.Unmarshal(v, &val); err != nil {
		return "<missing>"
	}
	switch t := val.(type) {
	case nil:
		return "<null>"
	case string:
		return t
	default:
		return string(v)
	}
}

// jobResultLocked is JobManager.GetJob plus Response.AggregateTaskResult,
// quirks included: any pending task makes the job pending without counts;
// the last task error becomes the job's error; a crashed task contributes
// neither summary nor details; detail indexes are re-based by 100 per task.
func (s *Server) jobResultLocked(id string) (*Result, *APIError) {
	now := s.now()
	j, ok := s.jobs[id]
	if !ok || !now.Before(j.expiresAt) {
		return nil, errTaskNotFound()
	}
	created := j.createdAt
	completed := j.createdAt
	res := &Result{ID: j.id, CreatedAt: &created, CompletedAt: &completed, Status: StatusCompleted, Summary: &Summary{}}
	for i, tid := range j.taskIDs {
		t, ok := s.tasks[tid]
		if !ok || !now.Before(t.expiresAt) {
			return nil, errTaskNotFound()
		}
		if t.completedAt == nil {
			res.CompletedAt = nil
			res.Status = StatusPending
			res.Summary = nil
			res.Details = nil
		} else if res.CompletedAt != nil && t.completedAt.After(*res.CompletedAt) {
			c := *t.completedAt
			res.CompletedAt = &c
		}
		if t.err != nil {
			res.Error = t.err
		}
		if t.summary != nil {
			if res.Summary != nil {
				res.Summary.add(t.summary)
			}
			if res.CompletedAt != nil {
				for _, d := range t.details {
					d.Index += i * recordsPerTask
					res.Details = append(res.Details, d)
				}
			}
		}
	}
	return res, nil
}

// taskResultLocked is NewResponseFromTask: the legacy view of one task,
// with task-local indexes.
func (s *Server) taskResultLocked(id string) (*Result, *APIError) {
	t, ok := s.tasks[id]
	if !ok || !s.now().Before(t.expiresAt) {
		return nil, errTaskNotFound()
	}
	created := t.createdAt
	res := &Result{ID: t.id, CreatedAt: &created, Error: t.err, Summary: t.summary, Details: t.details}
	if t.completedAt != nil {
		c := *t.completedAt
		res.CompletedAt = &c
		res.Status = StatusCompleted
	} else {
		res.Status = StatusPending
	}
	return res, nil
}

// purgeLocked drops expired jobs and finished tasks, at most once per
// minute of the server's clock. Look-ups check expiry themselves.
func (s *Server) purgeLocked() {
	now := s.now()
	if now.Sub(s.lastPurge) < time.Minute && !s.lastPurge.After(now) {
		return
	}
	s.lastPurge = now
	for id, j := range s.jobs {
		if !now.Before(j.expiresAt) {
			delete(s.jobs, id)
		}
	}
	for id, t := range s.tasks {
		if t.completedAt != nil && !now.Before(t.expiresAt) {
			delete(s.tasks, id)
		}
	}
}

// worker is the single consumer of the task queue, FIFO across jobs
// (real-server/k06).
func (s *Server) worker() {
	defer s.wg.Done()
	for {
		s.mu.Lock()
		for !s.closed && (s.paused || len(s.queue) == 0) {
			s.cond.Wait()
		}
		if s.closed {
			s.mu.Unlock()
			return
		}
		t := s.queue[0]
		s.queue[0] = nil
		s.queue = s.queue[1:]
		if !s.now().Before(t.expiresAt) {
			// The task's key expired in Redis before a consumer got to it.
			delete(s.tasks, t.id)
			s.notifyLocked()
			s.mu.Unlock()
			continue
		}
		s.running = t
		plan := s.faults.planTask(len(t.records), s.mono())
		s.mu.Unlock()

		if !s.runTask(t, plan) {
			return
		}
	}
}

// runTask is the consumer plus UserImportService.ImportRecords: each
// record on its own, committed on its own. It reports false when the
// server closed in the middle (the task then stays pending).
func (s *Server) runTask(t *task, plan taskPlan) bool {
	summary := &Summary{Total: len(t.records)}
	details := make([]Detail, 0, len(t.records))
	crashAt := plan.crashAt
	if plan.outage && s.faults.cfg.DBOutageNoOutcome {
		crashAt = 0
	}
	var crashed bool
	for i, raw := range t.records {
		if i == plan.loseAt {
			// The process running the task was killed: the records
			// committed so far stay, the task is never finished.
			s.mu.Lock()
			s.running = nil
			s.notifyLocked()
			s.mu.Unlock()
			s.logf("sandbox: task %s lost after %d records (injected)", t.id, i)
			return true
		}
		if !s.pace() {
			s.mu.Lock()
			s.running = nil
			s.notifyLocked()
			s.mu.Unlock()
			return false
		}
		s.mu.Lock()
		if i == crashAt {
			crashed = true
			s.mu.Unlock()
			break
		}
		var d Detail
		var crash bool
		if plan.outage {
			d = outageDetail(i, raw)
		} else {
			d, crash = s.importRecordLocked(t.identifier, t.upsert, i, raw)
		}
		if crash {
			crashed = true
			s.mu.Unlock()
			break
		}
		s.stats.RecordsProcessed++
		s.stats.Outcomes[d.Outcome]++
		switch d.Outcome {
		case OutcomeInserted:
			summary.Inserted++
		case OutcomeUpdated:
			summary.Updated++
		case OutcomeSkipped:
			summary.Skipped++
		default:
			summary.Failed++
		}
		details = append(details, d)
		s.mu.Unlock()
	}

	if plan.loseAt >= len(t.records) {
		s.mu.Lock()
		s.running = nil
		s.notifyLocked()
		s.mu.Unlock()
		s.logf("sandbox: task %s lost after %d records (injected)", t.id, len(t.records))
		return true
	}
	s.mu.Lock()
	now := s.now().UTC()
	t.completedAt = &now
	t.expiresAt = now.Add(s.opts.Retention)
	t.records = nil
	if crashed {
		// The consumer stores the panic as the task's error and no output
		// (real-server/c24, i04).
		t.err = errUnexpected()
		s.stats.TasksCrashed++
	} else {
		t.summary = summary
		t.details = details
	}
	s.stats.TasksCompleted++
	s.running = nil
	s.notifyLocked()
	s.mu.Unlock()
	if crashed {
		s.logf("sandbox: task %s crashed after %d records", t.id, len(details))
	} else {
		s.logf("sandbox: task %s completed: %d inserted, %d updated, %d skipped, %d failed",
			t.id, summary.Inserted, summary.Updated, summary.Skipped, summary.Failed)
	}
	return true
}

// outageDetail is a record's result while the database is down: failed
// with UnexpectedError, as in real-server/c22.
func outageDetail(idx int, raw json.RawMessage) Detail {
	d := Detail{Index: idx, Outcome: OutcomeFailed, Errors: []*APIError{errUnexpected()}}
	var echo map[string]any
	if err := json.Unmarshal(raw, &echo); err == nil {
		redact(echo)
		if len(echo) > 0 {
			d.Record = echo
		}
	}
	return d
}

// pace throttles the worker to Rate records per second, in real time. It
// reports false when the server is closing.
func (s *Server) pace() bool {
	s.mu.Lock()
	rate, closed, mono, sleep := s.rate, s.closed, s.mono, s.sleep
	s.mu.Unlock()
	if closed {
		return false
	}
	if rate <= 0 {
		return true
	}
	interval := time.Duration(float64(time.Second) / rate)
	now := mono()
	if s.nextAt.After(now) {
		if !sleep(s.nextAt.Sub(now)) {
			return false
		}
		now = s.nextAt
	}
	s.nextAt = now.Add(interval)
	return true
}

func (s *Server) realSleep(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-s.closeCh:
		return false
	}
}
