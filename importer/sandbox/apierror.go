package sandbox

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
)

// APIError is Authgear's error object, as it appears under "error" in a
// response envelope and in a record's "errors" list.
//
// Field order follows the real server's bytes: name, reason, message, code,
// tracking_id, info (real-server/d01 and c07). Per-record errors and the
// job-level error carry no tracking_id (real-server/c22, c24).
type APIError struct {
	Name       string         `json:"name"`
	Reason     string         `json:"reason"`
	Message    string         `json:"message"`
	Code       int            `json:"code"`
	TrackingID string         `json:"tracking_id,omitempty"`
	Info       map[string]any `json:"info,omitempty"`
}

// Error implements error.
func (e *APIError) Error() string { return e.Message }

func (e *APIError) withTracking() *APIError {
	c := *e
	c.TrackingID = newTrackingID()
	return &c
}

// newTrackingID mimics the OpenTelemetry "traceid-spanid" tracking ids of
// the real server (real-server/a03). Tests ignore them.
func newTrackingID() string {
	var b [24]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:16]) + "-" + hex.EncodeToString(b[16:])
}

func errUnexpected() *APIError {
	return &APIError{Name: "InternalError", Reason: "UnexpectedError", Message: "unexpected error occurred", Code: 500}
}

func errTaskNotFound() *APIError {
	return &APIError{Name: "NotFound", Reason: "TaskNotFound", Message: "task not found", Code: 404}
}

func errBadRequest(msg string) *APIError {
	return &APIError{Name: "BadRequest", Reason: "BadRequest", Message: msg, Code: 400}
}

func errJSONTooLarge(limit int64) *APIError {
	return &APIError{Name: "RequestEntityTooLarge", Reason: "JSONTooLarge", Message: "request body too large", Code: 413,
		Info: map[string]any{"limit": limit}}
}

func errInvalidJSON(msg string, offset int64) *APIError {
	return &APIError{Name: "BadRequest", Reason: "InvalidJSON", Message: msg, Code: 400,
		Info: map[string]any{"byte_offset": offset}}
}

// errUsageLimitExceeded is the 429 of md §1.2 (pkg/lib/usage/errors.go).
func errUsageLimitExceeded(period string) *APIError {
	return &APIError{Name: "TooManyRequest", Reason: "UsageLimitExceeded", Message: "usage limit exceeded", Code: 429,
		Info: map[string]any{"name": "UserImport", "usage_name": "user_import", "period": period}}
}

// errValidation is ValidationFailed. Request-level causes keep the
// struct's key order (location, kind, details: real-server/c07); per-record
// causes went through the task's JSON in Redis, so they come out as maps
// with sorted keys (real-server/c22), which asMaps reproduces.
func errValidation(msg string, causes []cause, asMaps bool) *APIError {
	list := make([]any, len(causes))
	for i, c := range causes {
		if asMaps {
			m := map[string]any{"location": c.Location, "kind": c.Kind}
			if c.Details != nil {
				m["details"] = c.Details
			}
			list[i] = m
		} else {
			list[i] = c
		}
	}
	return &APIError{Name: "Invalid", Reason: "ValidationFailed", Message: msg, Code: 400,
		Info: map[string]any{"causes": list}}
}

func errDuplicatedIdentity(incoming, existing string) *APIError {
	return &APIError{Name: "Invalid", Reason: "InvariantViolated", Message: "identity already exists", Code: 400,
		Info: map[string]any{
			"cause":                map[string]any{"kind": "DuplicatedIdentity"},
			"IdentityTypeIncoming": "login_id",
			"LoginIDTypeIncoming":  incoming,
			"IdentityTypeExisting": "login_id",
			"LoginIDTypeExisting":  existing,
		}}
}

func errInvalidBcryptHash(msg string) *APIError {
	return &APIError{Name: "Invalid", Reason: "InvalidBcryptHash", Message: msg, Code: 400}
}

func errInvalidTOTPSecret(msg string) *APIError {
	return &APIError{Name: "Invalid", Reason: "InvalidTOTPSecret", Message: msg, Code: 400}
}

func errRoleUnknownKeys(keys []string) *APIError {
	return &APIError{Name: "NotFound", Reason: "RoleUnknownKeys", Message: "unknown role keys", Code: 404,
		Info: map[string]any{"keys": keys}}
}

func errGroupUnknownKeys(keys []string) *APIError {
	return &APIError{Name: "NotFound", Reason: "GroupUnknownKeys", Message: "unknown group keys", Code: 404,
		Info: map[string]any{"keys": keys}}
}

// errInvalidValidPeriod is real-server/m02 record 17.
func errInvalidValidPeriod() *APIError {
	return &APIError{Name: "Invalid", Reason: "InvalidAccountStatusTransition",
		Message: "the start timestamp of account valid period must be less than the end timestamp of the account valid period",
		Code:    400,
		Info:    map[string]any{"cause": map[string]any{"kind": "AccountValidFromShouldBeBeforeAccountValidUntil"}}}
}

// envelope is api.Response: {"result":...} or {"error":...}.
type envelope struct {
	Result any       `json:"result,omitempty"`
	Error  *APIError `json:"error,omitempty"`
}

// writeJSON writes like httputil.WriteResponse: Content-Type
// application/json (no charset), HTML escaping, and no trailing newline:
// every recorded answer's content-length is that of the compact JSON
// (real-server a03: 157 bytes, d01: 202).
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

func writeResult(w http.ResponseWriter, result any) {
	writeJSON(w, http.StatusOK, envelope{Result: result})
}

func writeAPIError(w http.ResponseWriter, e *APIError) {
	writeJSON(w, e.Code, envelope{Error: e.withTracking()})
}
