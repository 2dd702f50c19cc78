package importer

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/authgear-migrate/authgear-migrate/importer/adminapi"
)

// Issue 16 item 6: no user is left without a way in. After a live import
// the users it inserted without a password are listed beside the report
// (DefaultNoPassword: user_id,identifier,why, mode 0600, written
// atomically), so that notify can ask Authgear to send each of them its
// reset-password message. An updated user (upsert) keeps whatever
// password it had (the import ignores password on update): not listed.

// Why a user has no password in Authgear: the why column of the list.
const (
	// NoPasswordDropped: the export's hash cannot be imported (not bcrypt,
	// a malformed bcrypt hash, a placeholder) and the policy dropped it.
	NoPasswordDropped = "hash dropped: Authgear cannot import it"
	// NoPasswordNone: the export has no password for the user.
	NoPasswordNone = "no password in the export"
	// NoPasswordPlaintext: the export's password is in clear text and the
	// mapping leaves it out instead of hashing it.
	NoPasswordPlaintext = "clear text not hashed"
)

// noPasswordHeader names the list's columns.
const noPasswordHeader = "user_id,identifier,why"

// NoPasswordWhy says why the user of a prepared record will have no
// password in Authgear, or "" when the record carries one or is not sent
// (invalid, not a user).
func NoPasswordWhy(p *Prepared) string {
	if p == nil || p.NotUser != "" || !p.Valid() || p.Record == nil || p.Record.Password != nil {
		return ""
	}
	switch {
	case p.PasswordDropped:
		return NoPasswordDropped
	case p.PlaintextLeftOut:
		return NoPasswordPlaintext
	}
	return NoPasswordNone
}

// NoPasswordSummary is what a run says about the users left without a
// password and the passwords marked expired (part of RunSummary, and of
// replay --json).
type NoPasswordSummary struct {
	// NoPassword counts the users without a password: in a live run the
	// users the report lists as inserted whose record carried none (all of
	// the report, a continued run's earlier users included); in a dry run
	// the valid records that carry none.
	NoPassword int `json:"no_password"`
	// NoPasswordList is the list of those users (DefaultNoPassword), when
	// a live run wrote one.
	NoPasswordList string `json:"no_password_list,omitempty"`
	// PasswordsExpired counts the clear-text passwords hashed locally that
	// were sent expired (password.expire_after: the run's start), so that
	// those users change them at their next sign-in.
	PasswordsExpired int `json:"passwords_expired,omitempty"`
}

// noPasswordRows remembers, by input row, why the records of a live run
// carry no password: three bitsets, whatever the size of the input.
type noPasswordRows struct {
	mu                      sync.Mutex
	dropped, none, plaintxt bitset
	any                     bool
}

// see records p's reason, if any. Every prepared record is seen, those a
// continued run settled from its journal too, so the list is complete.
func (n *noPasswordRows) see(p *Prepared) {
	why := NoPasswordWhy(p)
	if why == "" {
		return
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	n.any = true
	switch why {
	case NoPasswordDropped:
		n.dropped.set(p.Row.Num)
	case NoPasswordPlaintext:
		n.plaintxt.set(p.Row.Num)
	default:
		n.none.set(p.Row.Num)
	}
}

func (n *noPasswordRows) why(row int) string {
	n.mu.Lock()
	defer n.mu.Unlock()
	switch {
	case n.dropped.has(row):
		return NoPasswordDropped
	case n.plaintxt.has(row):
		return NoPasswordPlaintext
	case n.none.has(row):
		return NoPasswordNone
	}
	return ""
}

// writeNoPasswordList writes the users of report that were inserted
// without a password (rows) to path, atomically (0600), in the report's
// order, and returns how many (path "": counts them only). With none, nothing is written and an
// earlier list is left as it was (it holds user ids: the record of an
// import is history).
func writeNoPasswordList(report, path string, rows *noPasswordRows) (int, error) {
	if rows == nil || !rows.any {
		return 0, nil
	}
	if path != "" {
		if err := CheckFiles([]NamedPath{{report, "the report"}}, []Output{{NamedPath: NamedPath{path, "the list of users without a password"}, Kind: KindNoPasswordList}}); err != nil {
			return 0, err
		}
	}
	f, err := os.Open(report)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	r := csv.NewReader(bufio.NewReader(f))
	r.FieldsPerRecord = -1
	head, err := r.Read()
	if err != nil || strings.Join(head, ",") != reportHeader {
		return 0, fmt.Errorf("%s is not a report", report)
	}
	var out *AtomicFile
	var bw *bufio.Writer
	n := 0
	var b []byte
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			if out != nil {
				out.Abort()
			}
			return 0, fmt.Errorf("%s: %w", report, err)
		}
		if len(rec) < 4 || unquoteCell(rec[2]) != string(OutcomeInserted) {
			continue
		}
		row, uid := 0, unquoteCell(rec[3])
		if _, err := fmt.Sscan(rec[0], &row); err != nil || !adminapi.ValidUserID(uid) {
			continue
		}
		why := rows.why(row)
		if why == "" {
			continue
		}
		n++
		if path == "" {
			continue // counted only
		}
		if out == nil {
			if out, err = CreateAtomic(path); err != nil {
				return 0, err
			}
			defer out.Abort()
			bw = bufio.NewWriter(out)
			bw.WriteString(noPasswordHeader + "\n")
		}
		b = b[:0]
		for i, cell := range []string{uid, unquoteCell(rec[1]), why} {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendCSVField(b, reportCell(cell))
		}
		bw.Write(append(b, '\n'))
	}
	if out == nil {
		return n, nil
	}
	if err := out.Finish(nil, bw.Flush); err != nil {
		return 0, err
	}
	return n, nil
}

// NoPasswordUser is one line of the list of users without a password.
type NoPasswordUser struct {
	UserID, Identifier, Why string
}

// ReadNoPasswordList reads the list an import wrote (DefaultNoPassword).
func ReadNoPasswordList(path string) ([]NoPasswordUser, error) {
	f, err := openNoFollow(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := csv.NewReader(bufio.NewReader(f))
	r.FieldsPerRecord = -1
	head, err := r.Read()
	if err != nil || strings.Join(head, ",") != noPasswordHeader {
		return nil, fmt.Errorf("%s is not a list of users without a password (its first line is not %q)", path, noPasswordHeader)
	}
	var out []NoPasswordUser
	for {
		rec, err := r.Read()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if len(rec) != 3 {
			continue
		}
		out = append(out, NoPasswordUser{UserID: unquoteCell(rec[0]), Identifier: unquoteCell(rec[1]), Why: unquoteCell(rec[2])})
	}
}

// ExpirePlaintext says whether clear-text passwords hashed locally are
// sent expired, so that their users must change them at the next sign-in
// (passwords.expire_plaintext; default yes: a password kept in clear text
// must be taken as exposed).
func (s PasswordSpec) ExpirePlaintext() bool {
	return s.ExpirePlaintextPasswords == nil || *s.ExpirePlaintextPasswords
}

// expireHashedPlaintext sets the password's expire_after to the run's
// start (RFC 3339, UTC; the import's own field, what setPasswordExpired
// sets, atomic with the insert) unless the mapping keeps such passwords,
// or the record's own expire_after is earlier already.
func (p *Plan) expireHashedPlaintext(pw *Password) bool {
	if !p.mapping.Passwords.ExpirePlaintext() {
		return false
	}
	at := p.now.UTC().Truncate(time.Second).Format(time.RFC3339)
	if pw.ExpireAfter != nil {
		if t, err := time.Parse(time.RFC3339, *pw.ExpireAfter); err == nil && !t.After(p.now) {
			return true
		}
	}
	pw.ExpireAfter = &at
	return true
}

// noPasswordNotes are the run's notes on the users without a password and
// the passwords sent expired.
func (r *run) noPasswordNotes(s *RunSummary) []string {
	if r.m != nil && r.m.Passwords.ExpirePlaintext() {
		s.PasswordsExpired = s.PasswordsHashedLocally
	}
	var out []string
	switch {
	case s.NoPasswordList != "":
		out = append(out, fmt.Sprintf("%s %s no password: %s", Thousands(s.NoPassword), plural(s.NoPassword, "user has", "users have"), s.NoPasswordList))
	case s.NoPassword > 0 && (s.DryRun || s.Rehearsal):
		out = append(out, fmt.Sprintf("%s %s no password in Authgear (a live import lists them beside its report)", Thousands(s.NoPassword), plural(s.NoPassword, "user would have", "users would have")))
	case s.NoPassword > 0:
		out = append(out, fmt.Sprintf("%s %s no password", Thousands(s.NoPassword), plural(s.NoPassword, "user has", "users have")))
	}
	if s.PasswordsExpired > 0 {
		verb := "were"
		if s.DryRun {
			verb = "would be"
		}
		out = append(out, fmt.Sprintf("%d %s hashed locally %s sent expired (password.expire_after: the run's start): those users must change their password at their next sign-in", s.PasswordsExpired, plural(s.PasswordsExpired, "clear-text password", "clear-text passwords"), verb))
	}
	return out
}

// finishNoPassword writes the list of a run that sent records, once its
// report is complete.
func (r *run) finishNoPassword(s *RunSummary, report string) error {
	if s.DryRun || r.nopw == nil {
		return nil
	}
	// A rehearsal's users are the sandbox's: counted, not listed.
	path := DefaultNoPassword(report)
	if s.Rehearsal {
		path = ""
	}
	n, err := writeNoPasswordList(report, path, r.nopw)
	var oe *OutputError
	if errors.As(err, &oe) {
		return err
	}
	if err != nil {
		return fmt.Errorf("write the list of users without a password: %w", err)
	}
	s.NoPassword = n
	if n > 0 && path != "" {
		s.NoPasswordList = path
	}
	return nil
}

// NotifyDue reports whether the run left users without a password in a
// real project, listed beside the report: the front ends then point to
// notify, which asks Authgear to send each its reset-password message. A
// rehearsal's users are the sandbox's, and a dry run imported no one.
func (s *RunSummary) NotifyDue() bool {
	return s.NoPasswordList != "" && !s.Rehearsal && !s.DryRun
}
