package importer

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/authgear-migrate/authgear-migrate/importer/adminapi"
)

// Issue 16 item 6: notify asks Authgear to send its own reset-password
// message (Admin API sendResetPasswordMessage) to each user an import
// left without a password (the list beside its report, nopassword.go).
// Every message sent is journaled (REPORT.notify.journal, 0600, append
// only, never truncated: it is history), so that a later notify sends
// none twice; messages are paced (NotifyConfig.Rate) and a server that
// says "too many requests" is waited for.

// NotifyAPI reads users back and sends reset-password messages;
// *adminapi.Client is one.
type NotifyAPI interface {
	UserReader
	SendResetPasswordMessage(ctx context.Context, loginID string) error
}

// DefaultNotifyRate is how many messages notify asks for per second when
// not told: Authgear's messaging has quotas of its own, and a few a second
// reach a million users in days, not weeks.
const DefaultNotifyRate = 5

// Rate-limit back-off: the first wait after a "too many requests" answer,
// the longest, and how many answers of the kind one user gets before it
// is reported failed (the next notify tries it again).
const (
	notifyBackoffMin   = time.Second
	notifyBackoffMax   = time.Minute
	notifyRateLimitTry = 8
)

// DefaultNotifyJournal names notify's journal after the import's report.
func DefaultNotifyJournal(report string) string { return reportStem(report) + ".notify.journal" }

// Outcomes of notify, one per user of the list.
const (
	// NotifySent: Authgear was asked, and said yes.
	NotifySent = "sent"
	// NotifyUnknownLoginID: Authgear found no email or phone login ID
	// equal to the one sent (ForgotPasswordFailed, UserNotFound).
	NotifyUnknownLoginID = "no email or phone login ID holds it"
)

// Why a user of the list gets no message.
const (
	NotifySkipUsernameOnly = "username only: Authgear sends its reset-password message to an email or phone login ID, and this user has neither"
	NotifySkipGone         = "no such user in the project (deleted since the import?)"
	NotifySkipNotImported  = "not a user this import inserted (the report and the import's journal do not name this user id)"
)

// NotifyConfig is one notify run over the users an import left without a
// password.
type NotifyConfig struct {
	// Report is the import's report; List the list of its users without a
	// password (default: DefaultNoPassword(Report)); Journal the import's
	// journal (default: DefaultJournal(Report)), which names the project
	// and the users the import created.
	Report, List, Journal string
	// NotifyJournal records every message sent (default:
	// DefaultNotifyJournal(Report)).
	NotifyJournal string
	API           NotifyAPI
	// Target names the endpoint and project of API as the import's journal
	// does (Destination.ID); notify refuses another project's.
	Target string
	// DryRun sends nothing: the plan says who would get a message.
	DryRun bool
	// Confirm, when set, is asked once the plan is known and before any
	// message; false stops with ErrNotifyCancelled.
	Confirm func(NotifyPlan) bool
	// Rate is how many messages are asked for per second (default
	// DefaultNotifyRate).
	Rate float64
	// Events receives Counted (the users looked up), Retrying (a rate
	// limit waited for), Notifying, Stopped when interrupted, NotifyDone
	// last.
	Events func(Event)
	// Now and Sleep are injectable clocks.
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error
}

// NotifyUser is one user of the list, with the login ID its message goes
// to, or why it gets none.
type NotifyUser struct {
	UserID, Identifier, Why string
	// LoginID is the email address or phone number the message goes to.
	LoginID string
	// Skip says why the user gets no message.
	Skip string
	// Outcome and Reason are what became of the message (NotifySent,
	// NotifyUnknownLoginID, or "failed" with its reason).
	Outcome, Reason string
}

// NotifyPlan is what notify is about to do.
type NotifyPlan struct {
	Target string
	// Listed is the number of users in the list.
	Listed int
	// Send are the users who get a message, in the list's order; Skipped
	// those who get none, each with why.
	Send, Skipped []NotifyUser
	// EarlierSent counts the users an earlier notify sent a message to:
	// none is sent again.
	EarlierSent int
}

// NotifySummary counts what notify did.
type NotifySummary struct {
	NotifyPlan
	DryRun bool
	// Sent, Unknown and Failed split Send; NotTried were not asked for
	// (interrupted).
	Sent, Unknown, Failed, NotTried int
	// Journal is notify's journal.
	Journal string
}

// Notifying is notify's progress.
type Notifying struct{ Done, Total, Sent, Failed int }

// NotifyDone: notify is over; the summary is also Notify's result.
type NotifyDone struct{ Summary NotifySummary }

func (Notifying) event()  {}
func (NotifyDone) event() {}

// ErrNotifyCancelled: the person did not confirm.
var ErrNotifyCancelled = errors.New("notify cancelled: no message was sent")

// NotifyExitCode is notify's exit code, decided here for every front end:
// ExitCode's for an error, ExitPartial when a message failed.
func NotifyExitCode(s *NotifySummary, err, cause error) int {
	if err != nil {
		return ExitCode(nil, err, cause)
	}
	if s != nil && s.Failed > 0 {
		return ExitPartial
	}
	return ExitOK
}

// Notify sends Authgear's reset-password message to each user of the
// import's list of users without a password who has an email or phone
// login ID, and was not sent one by an earlier notify of the same
// project. A dry run looks the users up and sends nothing.
func Notify(ctx context.Context, c NotifyConfig) (s NotifySummary, err error) {
	ev := newEventSink(c.Events)
	defer func() {
		if errors.Is(err, context.Canceled) {
			ev.emit(Stopped{Advice: fmt.Sprintf("notify was interrupted: %d messages sent, %d not asked for; notify's journal keeps every message sent, and the next notify continues", s.Sent, s.NotTried)})
		}
		ev.emit(NotifyDone{Summary: s})
	}()
	ctx = adminapi.ContextWithOnRetry(ctx, func(e adminapi.RetryEvent) { ev.emit(Retrying{Retry: e}) })
	s.DryRun = c.DryRun
	if c.Report == "" || c.API == nil {
		return s, &RefusedError{Msg: "notify needs the import's report and a target"}
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Sleep == nil {
		c.Sleep = sleepCtx
	}
	if c.Rate <= 0 {
		c.Rate = DefaultNotifyRate
	}
	list, journal, nj := c.List, c.Journal, c.NotifyJournal
	if list == "" {
		list = DefaultNoPassword(c.Report)
	}
	if journal == "" {
		journal = DefaultJournal(c.Report)
	}
	if nj == "" {
		nj = DefaultNotifyJournal(c.Report)
	}
	s.Journal = nj
	if err := CheckFiles([]NamedPath{{c.Report, "the import's report"}, {list, "the list of users without a password"}, {journal, "the import's journal"}},
		[]Output{{NamedPath: NamedPath{nj, "notify's journal"}, Kind: KindNotifyJournal}}); err != nil {
		return s, refused(err)
	}
	if !c.DryRun {
		release, err := LockFiles(nj)
		if err != nil {
			return s, refusedLock(err)
		}
		defer release()
	}
	h, err := readImportHistory(journal)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return s, &RefusedError{Msg: fmt.Sprintf("notify needs the import's journal (%s) to know which project it went to and which users it created; it is not there (name where it is)", journal)}
		}
		return s, &RefusedError{Msg: err.Error()}
	}
	if h.target == "" {
		return s, &RefusedError{Msg: fmt.Sprintf("%s is the journal of no live import: no user of it is in Authgear", journal)}
	}
	if c.Target != "" && c.Target != h.target {
		return s, &RefusedError{Msg: fmt.Sprintf("the import of %s went to %s, not %s: notify runs against the project the import went to", c.Report, h.target, c.Target)}
	}
	s.Target = h.target
	users, err := ReadNoPasswordList(list)
	if errors.Is(err, os.ErrNotExist) {
		return s, &RefusedError{Msg: fmt.Sprintf("there is no list of users without a password beside the report (%s): the import left every user it inserted with a password, or a version that did not write the list made it", list)}
	}
	if err != nil {
		return s, &RefusedError{Msg: err.Error()}
	}
	s.Listed = len(users)
	rows, err := ReadReport(c.Report)
	if err != nil {
		return s, fmt.Errorf("read the report: %w", err)
	}
	// The users this import inserted: in the report, and named by its
	// journal for that row (an edited list or report names no one else).
	inserted := map[string]bool{}
	for _, r := range rows {
		if r.Outcome == OutcomeInserted && containsString(h.inserted[r.Row], r.UserID) {
			inserted[r.UserID] = true
		}
	}
	done, err := readNotifyJournal(nj, h.target)
	if err != nil {
		return s, &RefusedError{Msg: err.Error()}
	}

	var lookup []int // indexes in plan of users whose login ID is looked up
	var plan []NotifyUser
	seen := map[string]bool{}
	for _, u := range users {
		if seen[u.UserID] {
			continue
		}
		seen[u.UserID] = true
		nu := NotifyUser{UserID: u.UserID, Identifier: u.Identifier, Why: u.Why}
		switch {
		case !inserted[u.UserID] || !adminapi.ValidUserID(u.UserID):
			nu.Skip = NotifySkipNotImported
		case done[u.UserID] == NotifySent:
			s.EarlierSent++
			continue
		case done[u.UserID] != "":
			nu.Skip = done[u.UserID] + " (an earlier notify was told so)"
		case messageLoginID(u.Identifier):
			nu.LoginID = u.Identifier
		default:
			lookup = append(lookup, len(plan))
		}
		plan = append(plan, nu)
	}
	// Users imported by username: their email or phone login ID, if any.
	ev.emit(Counted{Total: len(lookup)})
	if len(lookup) > 0 {
		ids := make([]string, len(lookup))
		for i, k := range lookup {
			ids[i] = plan[k].UserID
		}
		found, err := c.API.UsersByID(ctx, ids, adminapi.BatchOptions{Progress: func(d int) { ev.emit(ReadingBack{Read: d, Total: len(ids)}) }})
		if err != nil {
			return s, fmt.Errorf("look the users up: %w", err)
		}
		for i, k := range lookup {
			switch u := found[i]; {
			case u == nil:
				plan[k].Skip = NotifySkipGone
			default:
				plan[k].LoginID = userMessageLoginID(u)
				if plan[k].LoginID == "" {
					plan[k].Skip = NotifySkipUsernameOnly
				}
			}
		}
	}
	for _, u := range plan {
		if u.Skip != "" {
			s.Skipped = append(s.Skipped, u)
		} else {
			s.Send = append(s.Send, u)
		}
	}
	if c.DryRun || len(s.Send) == 0 {
		return s, nil
	}
	if c.Confirm != nil && !c.Confirm(s.NotifyPlan) {
		return s, ErrNotifyCancelled
	}
	j, err := openNotifyJournal(nj, h.target)
	if err != nil {
		return s, err
	}
	defer j.Close()

	// One message at a time, paced; a rate limit is waited for.
	interval := time.Duration(float64(time.Second) / c.Rate)
	next := c.Now()
	prog := Notifying{Total: len(s.Send)}
	for i := range s.Send {
		u := &s.Send[i]
		if ctx.Err() != nil {
			s.NotTried = len(s.Send) - i
			break
		}
		if wait := next.Sub(c.Now()); wait > 0 {
			if err := c.Sleep(ctx, wait); err != nil {
				s.NotTried = len(s.Send) - i
				break
			}
		}
		err := sendPaced(ctx, c, u.LoginID, func(attempt int, wait time.Duration) {
			ev.emit(Retrying{Retry: adminapi.RetryEvent{Method: "POST", Path: adminapi.GraphQLPath, Attempt: attempt, MaxAttempts: notifyRateLimitTry,
				Wait: wait, Reason: "rate limited (too many requests)"}})
		})
		next = c.Now().Add(interval)
		switch {
		case err == nil:
			u.Outcome = NotifySent
			s.Sent++
		case adminapi.IsLoginIDUnknown(err):
			u.Outcome = NotifyUnknownLoginID
			s.Unknown++
		case ctx.Err() != nil:
			s.NotTried = len(s.Send) - i
		default:
			u.Outcome, u.Reason = "failed", clipReason(err.Error())
			s.Failed++
		}
		if s.NotTried > 0 {
			break
		}
		if u.Outcome != "failed" {
			if err := j.record(u); err != nil {
				return s, fmt.Errorf("write notify's journal (%s): %w; the message to %s was sent", nj, err, u.LoginID)
			}
		}
		prog.Done++
		prog.Sent, prog.Failed = s.Sent, s.Failed
		ev.emit(prog)
	}
	if ctx.Err() != nil {
		return s, ctx.Err()
	}
	return s, nil
}

// sendPaced sends one message; "too many requests" is waited for, longer
// each time, notifyRateLimitTry times at most.
func sendPaced(ctx context.Context, c NotifyConfig, loginID string, retrying func(attempt int, wait time.Duration)) error {
	wait := notifyBackoffMin
	for attempt := 1; ; attempt++ {
		err := c.API.SendResetPasswordMessage(ctx, loginID)
		if err == nil || !adminapi.IsRateLimited(err) || attempt >= notifyRateLimitTry {
			return err
		}
		retrying(attempt, wait)
		if err := c.Sleep(ctx, wait); err != nil {
			return err
		}
		wait = min(2*wait, notifyBackoffMax)
	}
}

// messageLoginID says whether an identifier can receive a message as it
// is: an email address or a phone number (E.164). A username cannot.
func messageLoginID(id string) bool {
	if strings.Contains(id, "@") {
		return true
	}
	if len(id) < 2 || id[0] != '+' {
		return false
	}
	for _, r := range id[1:] {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// userMessageLoginID is the user's email login ID, else its phone one,
// else "".
func userMessageLoginID(u *adminapi.User) string {
	for _, want := range []string{"email", "phone"} {
		for _, l := range u.LoginIDs {
			if (l.Type == want || l.Key == want) && l.Value != "" {
				return l.Value
			}
		}
	}
	return ""
}

// notifyJournal is notify's append-only record, never truncated: a start
// line naming the project, then one line per user settled (sent, or no
// login ID holds it), each fsync'd.
type notifyJournal struct{ f *os.File }

type notifyEntry struct {
	T       string `json:"t"` // notify (a start), user
	Target  string `json:"target,omitempty"`
	UserID  string `json:"user_id,omitempty"`
	LoginID string `json:"login_id,omitempty"`
	Outcome string `json:"outcome,omitempty"`
	At      string `json:"at,omitempty"`
}

// readNotifyJournal reads the users earlier notifies of target settled,
// with their outcome. A torn line (an interrupted write) is skipped.
func readNotifyJournal(path, target string) (map[string]string, error) {
	done := map[string]string{}
	cur := ""
	err := readJSONLog(path, func(e *notifyEntry) bool { return e.T == "notify" },
		fmt.Errorf("%s is not notify's journal: it is not written to (name another file for notify's journal)", path),
		func(e *notifyEntry) {
			switch e.T {
			case "notify":
				cur = e.Target
			case "user":
				if cur == target && e.UserID != "" {
					done[e.UserID] = e.Outcome
				}
			}
		})
	if err != nil {
		return nil, err
	}
	return done, nil
}

// openNotifyJournal opens notify's journal for appending (0600, never
// through a link) and writes a start line for target.
func openNotifyJournal(path, target string) (*notifyJournal, error) {
	f, err := openAppendLog(path)
	if err != nil {
		return nil, err
	}
	j := &notifyJournal{f: f}
	if err := j.append(notifyEntry{T: "notify", Target: target, At: time.Now().UTC().Format(time.RFC3339)}); err != nil {
		f.Close()
		return nil, err
	}
	return j, nil
}

func (j *notifyJournal) append(e notifyEntry) error { return appendJSONLine(j.f, e) }

func (j *notifyJournal) record(u *NotifyUser) error {
	return j.append(notifyEntry{T: "user", UserID: u.UserID, LoginID: u.LoginID, Outcome: u.Outcome, At: time.Now().UTC().Format(time.RFC3339)})
}

func (j *notifyJournal) Close() error { return j.f.Close() }
