package importer

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/authgear-migrate/authgear-migrate/importer/adminapi"
)

// This file decides what a request whose answer was lost did: a job the
// server lost (pending for ever, or forgotten: 404 TaskNotFound), a POST
// whose connection dropped after the server accepted it, or a request an
// interrupted run sent. The records are looked up by their identifier, and
// a user found is counted as created by the request only when it is the
// user the request would have created (claim); anyone else holding the
// identifier is a stranger, never reported as this migration's user.

// serverClock is the part of the Admin API client that knows the
// server's time (from the Date of its answers); *adminapi.Client is one.
type serverClock interface {
	ServerNow() (time.Time, bool)
}

// since is when a request's first attempt began: by the server's clock
// when known (server), and by this machine's (local).
type since struct {
	server, local time.Time
}

// serverNow is the server's time now, when the API knows it.
func (im *importer) serverNow() (time.Time, bool) {
	if c, ok := im.o.API.(serverClock); ok {
		return c.ServerNow()
	}
	return time.Time{}, false
}

// claimCheck says whether u, found holding a record's identifier, is the
// user a request sent at `from` created from rec: the user was created
// within the request's window (from, by the server's clock when known,
// up to ClaimWindow later) and holds what the record sent and nothing an
// import of it would not have given: its login IDs, its standard
// attributes, a primary password exactly when the record sent a hash.
// The password hash itself cannot be compared: the Admin API's User
// (importer/sandbox/admin-schema.graphql, the recorded schema) exposes the authenticators'
// kinds, never a hash. why says what differs.
func (im *importer) claimCheck(rec *Record, u *adminapi.User, from since) (ok bool, why string) {
	if u == nil || u.UserID == "" {
		return false, "no user"
	}
	start := from.server
	if start.IsZero() {
		start = from.local
	}
	if start.IsZero() {
		return false, "the request's time is not known"
	}
	// createdAt and Date are both whole seconds at worst: a second of slack.
	start = start.Truncate(time.Second).Add(-time.Second)
	if u.CreatedAt.Before(start) {
		return false, fmt.Sprintf("created at %s, before the request (%s)", u.CreatedAt.UTC().Format(time.RFC3339), start.UTC().Format(time.RFC3339))
	}
	if end := start.Add(im.o.ClaimWindow); u.CreatedAt.After(end) {
		return false, fmt.Sprintf("created at %s, more than %s after the request", u.CreatedAt.UTC().Format(time.RFC3339), im.o.ClaimWindow)
	}
	if rec == nil {
		return false, "the record sent is not known"
	}
	for _, d := range CompareUser(rec, u, false) {
		if k, ok := strings.CutPrefix(d.Field, "custom_attributes."); ok {
			if _, has := u.CustomAttributes[k]; !has {
				// A custom attribute the project does not define is
				// ignored by the server, without a word.
				continue
			}
		}
		return false, "its " + d.Field + " differs from the record's"
	}
	hasPassword := slices.Contains(u.Authenticators, adminapi.Authenticator{Type: "PASSWORD", Kind: "PRIMARY"})
	if rec.Password == nil && hasPassword {
		return false, "it has a password and the record sent none"
	}
	sent := map[string]*string{"email": rec.Email, "phone": rec.PhoneNumber, "username": rec.PreferredUsername}
	for _, l := range u.LoginIDs {
		if v := sent[l.Key]; v == nil {
			return false, "it has a " + l.Key + " login ID the record did not send"
		}
	}
	for _, f := range stdText {
		if f.get(rec) == nil {
			if v, _ := u.StandardAttributes[f.name].(string); v != "" {
				return false, "it has a " + f.name + " the record did not send"
			}
		}
	}
	return true, ""
}

// decodeSent reads a record as it was sent.
func decodeSent(b []byte) *Record {
	if len(b) == 0 {
		return nil
	}
	var r Record
	if json.Unmarshal(b, &r) != nil {
		return nil
	}
	return &r
}

// found is what a look-up found for one record.
type found struct {
	user  *adminapi.User // nil: nobody holds the identifier
	claim bool           // the user is the one the request created
	why   string         // why not, when user is someone else
}

// lookUp looks the records' identifiers up (in aliased batches) and
// judges each user found against the record sent.
func (im *importer) lookUp(ctx context.Context, api UserLookup, ids []string, recs []*Record, from []since) ([]found, error) {
	key := loginIDName(Identifier(im.m.Identifier))
	lookups := make([]adminapi.LoginIDLookup, len(ids))
	for i, id := range ids {
		lookups[i] = adminapi.LoginIDLookup{Key: key, Value: id}
	}
	res, err := api.LookupUsers(ctx, lookups, adminapi.BatchOptions{Concurrency: 1})
	if err != nil {
		return nil, err
	}
	out := make([]found, len(ids))
	for i := range ids {
		if res[i].Err != nil {
			return nil, res[i].Err
		}
		u := res[i].User
		if u == nil || u.UserID == "" {
			continue
		}
		out[i].user = u
		out[i].claim, out[i].why = im.claimCheck(recs[i], u, from[i])
	}
	return out, nil
}

// strangerReason is the failure of a record whose identifier someone
// else holds, found when resolving a request whose answer was lost.
func strangerReason(key, value string, f found) string {
	return fmt.Sprintf("the %s %s is already held by user %s, who is not the user this migration's request created (%s): nothing is sent in their name, and this record was not imported", key, value, f.user.UserID, f.why)
}

// NoteCreatedByLostRequest ends the reason of a record whose request's
// answer was lost (the job was lost or forgotten by the server, or the
// connection dropped after the server accepted it) and which a look-up
// found created by that request.
const NoteCreatedByLostRequest = "created by this request (its answer was lost; found by a look-up that matched the record, not sent again)"

// resolveLost settles a request whose job's results cannot be read (the
// server lost or forgot the job): each record is looked up; the users the
// request created are reported inserted with their id, a record whose
// identifier a stranger holds fails naming them, and the others are sent
// again. It reports false when it cannot (no look-up API, records not in
// memory, or the look-up failed): the caller then does what it did before.
func (im *importer) resolveLost(ctx context.Context, req *request, what string) bool {
	api := im.lookupAPI()
	if api == nil {
		return false
	}
	if req.recs == nil {
		// A job resumed from the journal: its records are not in memory.
		// They go back to the stream, which looks them up before sending
		// (resolveMaybeSent), with the request's window.
		if im.maybeSent == nil || im.skip == nil {
			return false
		}
		for _, row := range req.rows {
			im.skip.clear(row)
			im.maybeSent.set(row)
			im.setWindow(row, req.from())
			im.setResent(row, what)
		}
		return true
	}
	recs := make([]*Record, len(req.rows))
	from := make([]since, len(req.rows))
	for i := range req.rows {
		recs[i] = decodeSent(req.recs[i])
		from[i] = req.from()
	}
	fs, err := im.lookUp(im.pollCtx, api, req.ids, recs, from)
	if err != nil {
		return false
	}
	key := loginIDName(Identifier(im.m.Identifier))
	var rows []ReportRow
	again := &request{attempt: req.attempt + 1, note: what + "; sent again", mayExist: true, since: req.since, sinceLocal: req.sinceLocal}

	for i, f := range fs {
		switch {
		case f.user != nil && f.claim:
			r := ReportRow{Row: req.rows[i], Identifier: req.ids[i], Outcome: OutcomeInserted, UserID: f.user.UserID, Reason: what + "; " + NoteCreatedByLostRequest}
			if n := im.takeNote(r.Row); n != "" {
				r.Reason = n + "; " + r.Reason
			}
			rows = append(rows, r)
		case f.user != nil && !im.m.Upsert:
			rows = append(rows, ReportRow{Row: req.rows[i], Identifier: req.ids[i], Outcome: OutcomeFailed, UserID: "", Reason: what + "; " + strangerReason(key, req.ids[i], f)})
		case again.attempt > maxResends:
			rows = append(rows, ReportRow{Row: req.rows[i], Identifier: req.ids[i], Outcome: OutcomeFailed, Reason: fmt.Sprintf("%s; the server lost this record's job %d times: not sent again", what, again.attempt)})
		default:
			// Nobody holds it (the job never imported it), or an upsert,
			// which updates whoever holds it: sent again.
			again.rows = append(again.rows, req.rows[i])
			again.ids = append(again.ids, req.ids[i])
			again.recs = append(again.recs, req.recs[i])
		}
	}
	if im.o.Journal != nil && len(rows) > 0 {
		if err := im.journalResult(req.seq, rows); err != nil {
			im.stop(err)
		}
	}
	for _, r := range rows {
		if err := im.emit(r); err != nil {
			im.stop(err)
		}
	}
	im.measure(len(rows))
	if len(again.rows) > 0 {
		if im.o.Journal != nil {
			// The rows sent again are in a new request: this one is done.
			if err := im.o.Journal.Split(req.seq); err != nil {
				im.stop(err)
			}
		}
		im.sendFollowUp(ctx, again)
	} else if im.o.Journal != nil && len(rows) == 0 {
		_ = im.o.Journal.Split(req.seq)
	}
	im.progress()
	return true
}

// claimSkipped turns into inserted the skipped records of rows that an
// earlier attempt of their request (a dropped connection after the server
// accepted it, a lost job, a task that crashed after saving some) may have
// created, when the user found is the one the record describes: the
// server said "skipped" only because that attempt had created it.
// mayExist(i) says whether rows[i] may have been created so, and with
// which record and window.
func (im *importer) claimSkipped(rows []ReportRow, mayExist func(i int) (*Record, since, bool)) {
	api := im.lookupAPI()
	if api == nil {
		return
	}
	var at []int
	var ids []string
	var recs []*Record
	var from []since
	for i, r := range rows {
		if r.Outcome != OutcomeSkipped || r.Identifier == "" {
			continue
		}
		rec, s, ok := mayExist(i)
		if !ok {
			continue
		}
		at = append(at, i)
		ids = append(ids, r.Identifier)
		recs = append(recs, rec)
		from = append(from, s)
	}
	if len(at) == 0 {
		return
	}
	fs, err := im.lookUp(im.pollCtx, api, ids, recs, from)
	if err != nil {
		return // the skip keeps its reason: the attempt may have created it
	}
	for k, i := range at {
		f := fs[k]
		if f.user == nil || !f.claim {
			continue
		}
		r := &rows[i]
		r.Outcome = OutcomeInserted
		r.UserID = f.user.UserID
		r.Reason = strings.TrimPrefix(r.Reason+"; created by an earlier attempt of this request, whose answer was lost (found by a look-up that matched the record)", "; ")
	}
}

// from is the request's window start.
func (r *request) from() since { return since{server: r.since, local: r.sinceLocal} }

// setWindow keeps the window of a row sent back to the stream by a lost
// resumed job.
func (im *importer) setWindow(row int, s since) {
	im.notesMu.Lock()
	defer im.notesMu.Unlock()
	if im.windows == nil {
		im.windows = map[int]since{}
	}
	im.windows[row] = s
}

// windowOf is when the request that may have created row was sent: a
// lost resumed job's, or the interrupted run's maybe-sent request's.
func (im *importer) windowOf(resume *Resume, row int) (since, bool) {
	im.notesMu.Lock()
	s, ok := im.windows[row]
	im.notesMu.Unlock()
	if ok {
		return s, true
	}
	if resume != nil {
		for _, sp := range resume.maybeSentAt {
			for _, rg := range sp.rows {
				if row >= rg[0] && row <= rg[1] {
					return since{server: sp.st, local: sp.at}, !sp.at.IsZero() || !sp.st.IsZero()
				}
			}
		}
	}
	return since{}, false
}
