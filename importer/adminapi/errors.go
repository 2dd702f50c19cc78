package adminapi

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Reasons the import API answers with.
const (
	ReasonValidationFailed   = "ValidationFailed"
	ReasonInvalidJSON        = "InvalidJSON"
	ReasonJSONTooLarge       = "JSONTooLarge"
	ReasonTaskNotFound       = "TaskNotFound"
	ReasonUsageLimitExceeded = "UsageLimitExceeded"
	ReasonUnexpectedError    = "UnexpectedError"
)

// APIError is Authgear's JSON error object. It is returned (inside a
// *RequestError) when an answer carries {"error": {...}}, and it is also the
// type of Job.Error and Detail.Errors.
type APIError struct {
	Name       string         `json:"name"`
	Reason     string         `json:"reason"`
	Message    string         `json:"message"`
	Code       int            `json:"code"`
	Info       map[string]any `json:"info,omitempty"`
	TrackingID string         `json:"tracking_id,omitempty"`

	// Status is the HTTP status of the answer that carried the error; zero
	// for errors found inside a job (Job.Error, Detail.Errors).
	Status int `json:"-"`
}

// Error describes the error in one line, with the validation causes if any.
func (e *APIError) Error() string {
	var b strings.Builder
	b.WriteString("authgear: ")
	if e.Message != "" {
		b.WriteString(e.Message)
	} else {
		b.WriteString("error")
	}
	b.WriteString(" (")
	b.WriteString(e.Name)
	if e.Reason != "" && e.Reason != e.Name {
		b.WriteString("/")
		b.WriteString(e.Reason)
	}
	status := e.Status
	if status == 0 {
		status = e.Code
	}
	if status != 0 {
		fmt.Fprintf(&b, ", HTTP %d", status)
	}
	b.WriteString(")")
	if causes := e.Causes(); len(causes) > 0 {
		b.WriteString(": ")
		const maxShown = 5
		for i, c := range causes {
			if i == maxShown {
				fmt.Fprintf(&b, "; and %d more", len(causes)-maxShown)
				break
			}
			if i > 0 {
				b.WriteString("; ")
			}
			b.WriteString(c.String())
		}
	}
	if limit, ok := e.Info["limit"].(float64); ok && e.Reason == ReasonJSONTooLarge {
		fmt.Fprintf(&b, ": the limit is %.0f bytes", limit)
	}
	return b.String()
}

// Cause is one entry of info.causes in a ValidationFailed error.
type Cause struct {
	Location string         // JSON pointer, "/identifier"
	Kind     string         // schema keyword: "enum", "required", "format", ... ("" for an unknown key)
	Details  map[string]any // keyword-specific details; may be nil
}

// String renders the cause as "location: kind (details)".
func (c Cause) String() string {
	loc := c.Location
	if loc == "" {
		loc = "<root>"
	}
	kind := c.Kind
	if kind == "" {
		kind = "not allowed"
	}
	s := loc + ": " + kind
	if msg, ok := c.Details["error"].(string); ok && msg != "" {
		s += " (" + msg + ")"
	} else if missing, ok := c.Details["missing"].([]any); ok && len(missing) > 0 {
		s += fmt.Sprintf(" %v", missing)
	} else if expected, ok := c.Details["expected"]; ok && (c.Kind == "enum" || c.Kind == "type") {
		s += fmt.Sprintf(" (expected %v)", expected)
	}
	return s
}

// Causes returns info.causes of a ValidationFailed error, or nil.
func (e *APIError) Causes() []Cause {
	raw, ok := e.Info["causes"].([]any)
	if !ok {
		return nil
	}
	out := make([]Cause, 0, len(raw))
	for _, r := range raw {
		m, ok := r.(map[string]any)
		if !ok {
			continue
		}
		var c Cause
		c.Location, _ = m["location"].(string)
		c.Kind, _ = m["kind"].(string)
		c.Details, _ = m["details"].(map[string]any)
		out = append(out, c)
	}
	return out
}

// HTTPError is an answer that is not Authgear's JSON envelope: the plain-text
// 403 "Forbidden" of every authentication failure, 404 "app not found", 405,
// 415, a proxy's HTML error page, a redirect, or a 2xx body that could not be
// read as {"result": ...}.
type HTTPError struct {
	Status      int
	ContentType string
	// Body holds the first bytes of the body (at most 4 KiB).
	Body string
	// Hint says what to check, when the status suggests something.
	Hint string
}

// Error names the status and the first bytes of the body, then the hint.
func (e *HTTPError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "HTTP %d %s", e.Status, http.StatusText(e.Status))
	if e.ContentType != "" {
		fmt.Fprintf(&b, " (%s)", e.ContentType)
	}
	body := strings.TrimSpace(e.Body)
	if body == "" {
		b.WriteString(" with an empty body")
	} else {
		const maxShown = 200
		if len(body) > maxShown {
			body = body[:maxShown] + "..."
		}
		fmt.Fprintf(&b, ": %q", body)
	}
	if e.Hint != "" {
		b.WriteString(": ")
		b.WriteString(e.Hint)
	}
	return b.String()
}

// AnswerError is a 2xx answer the client refuses although it is well-formed
// JSON: a job id that is not an import job id (see ValidJobID), or a status
// answer about another job than the one asked for. A refused answer to a
// POST is marked Ambiguous in its RequestError: the server may have created
// a job whose id cannot be used. It is not retried.
type AnswerError struct {
	Status int
	// Problem says what is wrong; any server value in it is quoted,
	// redacted and cut short.
	Problem string
}

// Error names the status and the problem.
func (e *AnswerError) Error() string {
	return fmt.Sprintf("HTTP %d: the server's answer was refused: %s", e.Status, e.Problem)
}

// RequestError is what CreateImport and GetImport return when they fail.
// Err is the last attempt's error: an *APIError, an *HTTPError, a network
// error, or the context's error. errors.As and errors.Is see through it.
type RequestError struct {
	Method string // "POST" or "GET"
	Path   string // "/_api/admin/users/import[/id]"
	// Attempts is the number of requests sent (0 if none could be).
	Attempts int
	// Ambiguous is set when an attempt may have created a job that was
	// never seen: see Job.Ambiguous.
	Ambiguous bool
	// Err is the last attempt's error.
	Err error
	// Stopped is the context's error when the context ended the retries.
	Stopped error
	// OutOfTime is set when the client stopped retrying a retryable
	// failure because the next attempt would have started after its retry
	// budget (WithMaxElapsed) was spent; it holds that budget.
	OutOfTime time.Duration
}

// Error describes the request, the last error and how it ended.
func (e *RequestError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "adminapi: %s %s: ", e.Method, e.Path)
	switch {
	case e.Err != nil:
		b.WriteString(e.Err.Error())
	case e.Stopped != nil:
		b.WriteString(e.Stopped.Error())
	}
	if e.Stopped != nil && e.Err != nil {
		fmt.Fprintf(&b, "; stopped retrying: %v", e.Stopped)
	}
	if e.Attempts > 1 {
		fmt.Fprintf(&b, " (after %d attempts)", e.Attempts)
	}
	if e.OutOfTime > 0 {
		fmt.Fprintf(&b, "; stopped retrying: the next attempt would have started more than %s after the first", e.OutOfTime)
	}
	if e.Ambiguous {
		b.WriteString("; an attempt reached the server without a clear answer (no answer, a 500 or a gateway error), so the server may have imported some of these records anyway")
	}
	return b.String()
}

// Unwrap returns the last attempt's error and the context's error.
func (e *RequestError) Unwrap() []error {
	var errs []error
	if e.Err != nil {
		errs = append(errs, e.Err)
	}
	if e.Stopped != nil {
		errs = append(errs, e.Stopped)
	}
	return errs
}

// statusOf returns the HTTP status carried by err, or 0.
func statusOf(err error) int {
	var ae *APIError
	if errors.As(err, &ae) {
		if ae.Status != 0 {
			return ae.Status
		}
	}
	var he *HTTPError
	if errors.As(err, &he) {
		return he.Status
	}
	return 0
}

// IsReason reports whether err is (or wraps) an *APIError with that reason,
// for example IsReason(err, ReasonJSONTooLarge).
func IsReason(err error, reason string) bool {
	var ae *APIError
	return errors.As(err, &ae) && ae.Reason == reason
}

// IsForbidden reports whether the server refused the credentials (403). The
// Admin API answers every authentication failure this way: wrong key id,
// wrong project id in aud, a key that is not the registered one, or a clock
// more than 5 minutes off.
func IsForbidden(err error) bool { return statusOf(err) == http.StatusForbidden }

// IsTooLarge reports whether the body was over the server's limit (413): the
// batch must be split.
func IsTooLarge(err error) bool { return statusOf(err) == http.StatusRequestEntityTooLarge }

// IsQuotaExceeded reports whether the project's user-import usage quota is
// used up (429 UsageLimitExceeded). Retrying soon does not help; the quota
// is per day or per month.
func IsQuotaExceeded(err error) bool {
	var ae *APIError
	return errors.As(err, &ae) && ae.Reason == ReasonUsageLimitExceeded
}

// IsTaskNotFound reports whether the job id is unknown or has expired (404
// TaskNotFound); the server keeps jobs for 24 hours.
func IsTaskNotFound(err error) bool {
	var ae *APIError
	return errors.As(err, &ae) && ae.Reason == ReasonTaskNotFound
}

// IsAmbiguous reports whether a failed CreateImport may nevertheless have
// created a job (see Job.Ambiguous).
func IsAmbiguous(err error) bool {
	var re *RequestError
	return errors.As(err, &re) && re.Ambiguous
}

// IsRetryable reports whether the failure is of a kind that may go away by
// itself: a network error, or a 500, 502, 503 or 504 answer. It is false for
// answers about the request or the credentials (400, 403, 404, 413, 415,
// 429, ...), for TLS certificate failures and unknown hosts, and when the
// caller's context ended.
func IsRetryable(err error) bool {
	if err == nil {
		return false
	}
	var re *RequestError
	if errors.As(err, &re) {
		if re.Stopped != nil && re.Err == nil {
			return false
		}
		err = re.Err
	}
	if s := statusOf(err); s != 0 {
		return retryableStatus(s)
	}
	var te *transportError
	if errors.As(err, &te) {
		return te.retryable
	}
	return false
}

func retryableStatus(s int) bool {
	switch s {
	case http.StatusInternalServerError, http.StatusBadGateway,
		http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// transportError is a failure to get an answer: a network error, a body cut
// short, or an answer too large. It wraps the underlying error, whose text
// (which may quote the server, as in a malformed status line) is kept
// redacted in detail.
type transportError struct {
	msg       string
	err       error
	detail    string // err.Error(), redacted
	retryable bool
	reason    string // a few words for RetryEvent.Reason
}

func newTransportError(msg string, err error, retryable bool, sec *secretSet, reason string) *transportError {
	te := &transportError{msg: msg, err: err, retryable: retryable, reason: reason}
	if err != nil {
		te.detail = clip(sec.string(err.Error()), MaxServerTextBytes)
	}
	return te
}

func (e *transportError) Error() string {
	if e.detail == "" {
		return e.msg
	}
	if e.msg == "" {
		return e.detail
	}
	return e.msg + ": " + e.detail
}

func (e *transportError) Unwrap() error { return e.err }
