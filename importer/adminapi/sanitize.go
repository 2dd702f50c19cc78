package adminapi

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"
)

// What the client keeps of the strings a server sends. A server that is
// wrong or hostile cannot make one record's outcome (one report row, one
// journal line) much longer than about 100 KB:
//
//   - a message (APIError.Message, Warning.Message) keeps at most
//     MaxServerTextBytes bytes;
//   - a name, reason, tracking id, job status or outcome at most
//     maxShortText bytes;
//   - inside APIError.Info, every string keeps at most maxInfoText bytes,
//     every list at most maxInfoItems entries, every object at most
//     maxInfoItems keys, and nesting stops at maxInfoDepth levels;
//   - a Detail keeps at most MaxDetailErrors errors and MaxDetailWarnings
//     warnings (one more warning says how many were dropped).
//
// A string cut short ends with "…". Real answers are far below these
// bounds: the longest message recorded is about 130 bytes, and a record's
// validation errors have a few causes.
const (
	// MaxServerTextBytes bounds a message kept from a server.
	MaxServerTextBytes = 1000
	// MaxDetailErrors bounds the errors kept for one record.
	MaxDetailErrors = 5
	// MaxDetailWarnings bounds the server's warnings kept for one record.
	MaxDetailWarnings = 10

	maxShortText = 100
	maxInfoText  = 256
	maxInfoItems = 20
	maxInfoDepth = 6
)

// WarningUserIDDropped is the warning added to a Detail whose user_id was
// not an Authgear user id: the value is not kept.
const WarningUserIDDropped = "the server's user_id was not a user id and was dropped"

// jobIDPrefix starts every import job id.
const jobIDPrefix = "userimport_"

// ValidJobID reports whether id has the shape of an import job id as the
// server creates them: "userimport_" followed by letters and digits (32
// characters of Crockford base32 on a real server; 16 to 64 are accepted,
// so a change of length does not break the client). CreateImport refuses a
// job whose id does not pass; the importer can use it on ids read back from
// a file.
func ValidJobID(id string) bool {
	rest, ok := strings.CutPrefix(id, jobIDPrefix)
	if !ok || len(rest) < 16 || len(rest) > 64 {
		return false
	}
	for i := 0; i < len(rest); i++ {
		if c := rest[i]; !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z') {
			return false
		}
	}
	return true
}

// ValidUserID reports whether id has the shape of an Authgear user id: a
// UUID, 8-4-4-4-12 hex digits (lower case on a real server; upper case is
// accepted).
func ValidUserID(id string) bool {
	if len(id) != 36 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
				return false
			}
		}
	}
	return true
}

// clip cuts s to at most n bytes, at a rune boundary, marking the cut.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// sanitize applies the bounds above to a job decoded from a server.
func (j *Job) sanitize() {
	j.Status = clip(j.Status, maxShortText)
	if j.Error != nil {
		j.Error.sanitize()
	}
	for i := range j.Details {
		j.Details[i].sanitize()
	}
}

func (d *Detail) sanitize() {
	d.Outcome = clip(d.Outcome, maxShortText)
	var notes []Warning
	if d.UserID != "" && !ValidUserID(d.UserID) {
		d.UserID = ""
		notes = append(notes, Warning{Message: WarningUserIDDropped})
	}
	given := countNonNil(d.Errors)
	errs := make([]*APIError, 0, min(given, MaxDetailErrors))
	for _, e := range d.Errors {
		if e == nil {
			continue
		}
		if len(errs) == MaxDetailErrors {
			notes = append(notes, Warning{Message: fmt.Sprintf("the server gave %d errors for this record; only the first %d are kept", given, MaxDetailErrors)})
			break
		}
		e.sanitize()
		errs = append(errs, e)
	}
	if len(errs) == 0 {
		errs = nil
	}
	d.Errors = errs
	if n := len(d.Warnings); n > MaxDetailWarnings {
		d.Warnings = d.Warnings[:MaxDetailWarnings]
		notes = append(notes, Warning{Message: fmt.Sprintf("the server gave %d warnings for this record; only the first %d are kept", n, MaxDetailWarnings)})
	}
	for i := range d.Warnings {
		d.Warnings[i].Message = clip(d.Warnings[i].Message, MaxServerTextBytes)
	}
	d.Warnings = append(d.Warnings, notes...)
}

func countNonNil(errs []*APIError) int {
	n := 0
	for _, e := range errs {
		if e != nil {
			n++
		}
	}
	return n
}

func (e *APIError) sanitize() {
	e.Name = clip(e.Name, maxShortText)
	e.Reason = clip(e.Reason, maxShortText)
	e.Message = clip(e.Message, MaxServerTextBytes)
	e.TrackingID = clip(e.TrackingID, maxShortText)
	if e.Info != nil {
		e.Info, _ = boundInfo(e.Info, 0).(map[string]any)
	}
}

// boundInfo returns v with the Info bounds applied.
func boundInfo(v any, depth int) any {
	switch x := v.(type) {
	case string:
		return clip(x, maxInfoText)
	case []any:
		if depth >= maxInfoDepth {
			return []any{}
		}
		if len(x) > maxInfoItems {
			x = x[:maxInfoItems]
		}
		for i := range x {
			x[i] = boundInfo(x[i], depth+1)
		}
		return x
	case map[string]any:
		if depth >= maxInfoDepth {
			return map[string]any{}
		}
		out := make(map[string]any, min(len(x), maxInfoItems))
		// The keys the real server uses are kept first, so that a flood
		// of others cannot push them out; the rest in name order.
		for _, k := range infoKeys(x) {
			if len(out) == maxInfoItems {
				break
			}
			out[clip(k, maxInfoText)] = boundInfo(x[k], depth+1)
		}
		return out
	}
	return v
}

// knownInfoKeys are the keys of APIError.Info, and of its causes, that
// Authgear sends and that this client or its callers read.
var knownInfoKeys = []string{
	"causes", "location", "kind", "details", "error", "expected", "actual",
	"missing", "keys", "limit", "byte_offset", "name", "usage_name", "period",
}

// infoKeys returns m's keys: the known ones first, then the others sorted.
func infoKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for _, k := range knownInfoKeys {
		if _, ok := m[k]; ok {
			keys = append(keys, k)
		}
	}
	var rest []string
	for k := range m {
		if !slices.Contains(knownInfoKeys, k) {
			rest = append(rest, k)
		}
	}
	slices.Sort(rest)
	return append(keys, rest...)
}
