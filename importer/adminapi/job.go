package adminapi

import (
	"encoding/json"
	"time"
)

// Job statuses. The server knows only these two: there is no "running" or
// "failed" status. A completed job may still carry a job-level Error.
const (
	StatusPending   = "pending"
	StatusCompleted = "completed"
)

// Per-record outcomes, as found in Detail.Outcome.
const (
	OutcomeInserted = "inserted"
	OutcomeUpdated  = "updated"
	OutcomeSkipped  = "skipped"
	OutcomeFailed   = "failed"
)

// MaxBodyBytes is the largest request body the User Import API accepts:
// 500,000 bytes (decimal). One byte more gets 413 JSONTooLarge. The client
// does not enforce it: the caller measures its batches, and the server's
// answer is authoritative.
const MaxBodyBytes = 500_000

// RecordsPerTask is the number of records the server puts in one task. A
// job-level error loses the results of (at most) one such task.
const RecordsPerTask = 100

// Job is an import job as the server describes it, in the POST answer or in
// a status answer.
type Job struct {
	// ID is the job id, "userimport_" followed by 32 base32 characters.
	// CreateImport never returns a job whose id fails ValidJobID.
	ID string `json:"id"`
	// CreatedAt is when the job was created.
	CreatedAt time.Time `json:"created_at"`
	// CompletedAt is when the last task finished; zero while pending.
	CompletedAt time.Time `json:"completed_at"`
	// Status is StatusPending or StatusCompleted.
	Status string `json:"status"`
	// Error is a job-level error: a task failed as a whole, so its records
	// are missing from Summary and Details (some may still have been saved).
	Error *APIError `json:"error,omitempty"`
	// Summary counts the outcomes; nil while pending.
	Summary *Summary `json:"summary,omitempty"`
	// Details has one entry per record that was processed; nil while
	// pending.
	Details []Detail `json:"details,omitempty"`

	// Ambiguous reports that an earlier attempt of this request may have
	// created a job too: the request was fully sent and the connection then
	// failed without an answer, a gateway answered 502/504, or a 2xx
	// answer was cut short. Some of the
	// records may therefore already have been imported by that unseen job;
	// re-sending them is how their outcome is learnt, and a report should
	// say so. Only CreateImport sets it.
	Ambiguous bool `json:"-"`
	// Attempts is how many requests it took to get this answer.
	Attempts int `json:"-"`
	// ServerTime is the Date header of the answer (the server's clock, to
	// the second); zero when the answer had none.
	ServerTime time.Time `json:"-"`
}

// Pending reports whether the job has not finished yet.
func (j *Job) Pending() bool { return j.Status == StatusPending }

// Completed reports whether every task of the job has finished.
func (j *Job) Completed() bool { return j.Status == StatusCompleted }

// Summary counts a completed job's record outcomes.
type Summary struct {
	Total    int `json:"total"`
	Inserted int `json:"inserted"`
	Updated  int `json:"updated"`
	Skipped  int `json:"skipped"`
	Failed   int `json:"failed"`
}

// Detail is the outcome of one record.
type Detail struct {
	// Index is the record's 0-based position in the request's records.
	Index int `json:"index"`
	// Record echoes the input record, with password hashes and TOTP
	// secrets replaced by "REDACTED".
	Record json.RawMessage `json:"record,omitempty"`
	// Outcome is one of OutcomeInserted, OutcomeUpdated, OutcomeSkipped,
	// OutcomeFailed.
	Outcome string `json:"outcome"`
	// UserID is the user that was inserted, updated or matched (skipped).
	// A value from the server that is not a UUID (ValidUserID) is not
	// kept: UserID is then empty and a WarningUserIDDropped warning added.
	UserID string `json:"user_id,omitempty"`
	// Warnings are notes on a record that was not failed: the server's
	// (at most MaxDetailWarnings), then the client's own notes on what it
	// dropped (a user_id, errors or warnings beyond the bounds).
	Warnings []Warning `json:"warnings,omitempty"`
	// Errors explain a failed record; there is one in practice. At most
	// MaxDetailErrors are kept, never a nil one.
	Errors []*APIError `json:"errors,omitempty"`
}

// Warning is a note the server attached to a record.
type Warning struct {
	Message string `json:"message"`
}
