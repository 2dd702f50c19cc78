package importer

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/authgear-migrate/authgear-migrate/importer/adminapi"
)

// The canary can sign in (issue 16 item 2): with RunConfig.CanarySignIn,
// the record of that login ID goes into the first request (the canary),
// and once the canary settled the engine signs in as that user through the
// project's own login (SignIn). A password Authgear does not accept stops
// the run before the bulk: a hash that will not work costs one user, not
// a million. The journal keeps the canary's outcomes, so the same command
// again continues the run: it does not send the user again, and signs in
// again before the rest.

// ErrCanarySignIn is wrapped by the StopError raised when the canary user
// does not sign in with the password given (or the check proved nothing).
var ErrCanarySignIn = errors.New("the canary user did not sign in")

// SignInRecordError refuses a run whose canary sign-in names no record
// that can be sent first: none has the login ID, or it is invalid, has no
// password or waits for roles created after the first request.
type SignInRecordError struct {
	LoginID string
	// Row is the record's number (0: no record has the login ID).
	Row int
	Why string
}

func (e *SignInRecordError) Error() string {
	if e.Row == 0 {
		return fmt.Sprintf("the canary sign-in: no record of the input has the login ID %s (its identifier, email, phone or username, after normalisation); nothing was sent", Printable(e.LoginID))
	}
	return fmt.Sprintf("the canary sign-in: the record of %s (row %d) %s; nothing was sent", Printable(e.LoginID), e.Row, e.Why)
}

// signInRecord is the record the canary signs in as, prepared.
type signInRecord struct {
	q   queued
	sid string // its old user id (source.id)
}

// hasLoginID reports whether p's record is reached by the login ID a
// person typed: its identifier, email, phone or username, each compared
// the way the engine normalised it.
func hasLoginID(p *Prepared, typed string) bool {
	t := strings.TrimSpace(typed)
	if t == "" || p.Record == nil {
		return false
	}
	r := p.Record
	switch {
	case p.Identifier != "" && p.Identifier == t:
		return true
	case r.Email != nil && *r.Email == NormalizeEmail(t):
		return true
	case r.PhoneNumber != nil && (*r.PhoneNumber == t || cleanPhone(t) != "" && *r.PhoneNumber == cleanPhone(t)):
		return true
	case r.PreferredUsername != nil && NormalizeUsername(*r.PreferredUsername, false) == NormalizeUsername(t, false):
		return true
	}
	return false
}

// errFound stops the look-up pass at the record.
var errFound = errors.New("found")

// findSignInRecord reads the input once to find the record the canary
// signs in as: the first valid record that has the login ID. It is
// refused (*SignInRecordError) when no record has it, or when the ones
// that do are invalid, carry no password, or wait for roles and groups
// created after the first request (hold).
func findSignInRecord(ctx context.Context, input string, m *Mapping, loginID string, hold func(*Record) bool) (*signInRecord, error) {
	src, err := OpenInputContext(ctx, input, m)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", input, err)
	}
	defer src.Close()
	plan, err := CompileFor(m, src)
	if err != nil {
		return nil, err
	}
	prefix := len(fmt.Sprintf(`{"identifier":%q,"upsert":%t,"records":[`, m.Identifier, m.Upsert)) + 2
	var found *signInRecord
	var refusal *SignInRecordError
	_, err = Prepare(ctx, src, plan, PrepareOptions{}, func(p *Prepared) error {
		if p.NotUser != "" || !hasLoginID(p, loginID) {
			return nil
		}
		why := ""
		switch {
		case !p.Valid():
			why = "is invalid (" + p.Reason() + ")"
		case p.Record.Password == nil:
			why = "carries no password to sign in with"
			if n := strings.Join(p.Notes, "; "); n != "" {
				why += " (" + n + ")"
			}
		case hold != nil && hold(p.Record):
			why = "needs roles or groups the project lacks, created only after the first request: it cannot be in the first request"
		}
		if why != "" {
			if refusal == nil {
				refusal = &SignInRecordError{LoginID: loginID, Row: p.Row.Num, Why: why}
			}
			return nil
		}
		b, err := p.Record.AppendJSON(nil)
		if err != nil {
			return err
		}
		if prefix+len(b) > adminapi.MaxBodyBytes {
			if refusal == nil {
				refusal = &SignInRecordError{LoginID: loginID, Row: p.Row.Num, Why: fmt.Sprintf("is %d bytes, more than fits in one request", len(b))}
			}
			return nil
		}
		found = &signInRecord{q: queued{row: p.Row.Num, id: p.Identifier, rec: b, note: strings.Join(p.Notes, "; ")}, sid: p.SourceID}
		return errFound
	})
	if found != nil {
		return found, nil
	}
	if err != nil {
		return nil, err
	}
	if refusal != nil {
		return nil, refusal
	}
	return nil, &SignInRecordError{LoginID: loginID}
}

// canarySignIn is the sign-in after the canary (or, when a resume sends no
// canary, before the first request): nil when the password is right, a
// *StopError wrapping ErrCanarySignIn when not, or when the check proved
// nothing.
func (r *run) canarySignIn(ctx context.Context, c CanaryMeasure) error {
	cs := r.c.CanarySignIn
	if cs == nil {
		return nil
	}
	login := Printable(strings.TrimSpace(cs.LoginID))
	row := 0
	if r.signInRec != nil {
		row = r.signInRec.q.row
	}
	stop := func(reason string, err error, remedy Remedy) error {
		if err == nil {
			err = ErrCanarySignIn
		} else {
			err = fmt.Errorf("%w: %w", ErrCanarySignIn, err)
		}
		return &StopError{Reason: reason, Err: err, Remedy: remedy}
	}
	for _, x := range c.Rows {
		if x.Row == row && x.Outcome == OutcomeFailed {
			return stop(fmt.Sprintf("the canary user %s (row %d) failed in the first request (%s), so there is no one to sign in as; nothing more was sent", login, row, Printable(x.Reason)), nil, RemedyNone)
		}
	}
	check := *cs
	if check.API == nil && r.c.Target != nil {
		if api, ok := r.c.Target.API.(*adminapi.Client); ok {
			check.API = api
		}
	}
	sleep := r.c.Import.Sleep
	if sleep == nil {
		sleep = sleepCtx
	}
	res, err := SignIn(ctx, check)
	if err == nil && res.Outcome == SignInRateLimited {
		// A 429 proves nothing: wait and try once more.
		r.event(CanarySignedIn{LoginID: login, Result: res, Retrying: true})
		if err := sleep(ctx, res.RetryAfter); err != nil {
			return err
		}
		res, err = SignIn(ctx, check)
	}
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return err
		}
		return stop(fmt.Sprintf("the canary user %s could not be signed in as: %s; nothing is proven, and nothing more was sent", login, Printable(err.Error())), err, RemedyRunAgain)
	}
	r.event(CanarySignedIn{LoginID: login, Result: res})
	if res.PasswordRight {
		return nil // Disabled too: the server checks the password first (s07).
	}
	imported := "the user is imported"
	if row > 0 {
		imported = fmt.Sprintf("the user is imported (row %d of the input)", row)
	}
	for _, x := range c.Rows {
		if x.Row == row && x.Outcome == OutcomeSkipped {
			imported = fmt.Sprintf("the user existed already and was skipped (row %d of the input): the import did not set that password", row)
		}
	}
	switch res.Outcome {
	case SignInRateLimited:
		return stop(fmt.Sprintf("the canary user's sign-in was rate limited twice (429: %s): that proves nothing either way; nothing more was sent. Try again in %s", res.Reason, signInWait(res.RetryAfter)), nil, RemedyRunAgain)
	case SignInWrongPassword:
		return stop(fmt.Sprintf("the canary user %s did not sign in with the password given (%s): a wrong password, or the user has no password in Authgear; nothing more was sent, and %s. "+
			"If the password is the one the old system accepts, the hash the export gave does not check it as the old system did, and no other user would sign in either: %s",
			login, res.Reason, imported, CanarySignInCauses+r.canaryFixNext()), nil, RemedySignInAgain)
	case SignInUnknownUser:
		return stop(fmt.Sprintf("no user has the login ID %s after the first request (%s): the record was imported without it; nothing more was sent", login, res.Reason), nil, RemedySignInAgain)
	}
	return stop(fmt.Sprintf("the canary user's sign-in got an answer the check does not know (%s): nothing is proven; nothing more was sent", res.Reason), nil, RemedyRunAgain)
}

// CanarySignInCauses are the usual reasons a right password does not sign
// in after an import.
const CanarySignInCauses = "a pepper the old system added to every password before hashing (Authgear cannot add it), " +
	"a double-hashed export (a bcrypt of another hash, not of the password), " +
	"or a password longer than bcrypt's 72 bytes (bcrypt, on this machine or in the old system, keeps only the first 72 bytes: the hash does not check the whole password as the old system did). " +
	"Fix the mapping or the export"

// canaryFixNext ends the advice of a canary sign-in that failed: what to
// do once the mapping or the export is fixed. A rehearsal's sandbox holds
// the user only as long as the run, so there is nothing to delete.
func (r *run) canaryFixNext() string {
	if r.c.Target != nil && r.c.Target.Rehearsal {
		return ", and rehearse again"
	}
	return ", delete this user, and import again into a new report"
}
