package importer

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/authgear-migrate/authgear-migrate/importer/sandbox"
)

// goodBcrypt is an importable hash (the guide's).
const goodBcrypt = "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy"

const noPasswordMapping = `version: 1
source:
  format: csv
identifier: email
passwords:
  unsupported: drop
fields:
  email:
    from: email
    transforms: [trim, lowercase]
  password.password_hash:
    from: password_hash
`

// noPasswordInput writes n users: row i (1-based) has, by i%5, 0 a bcrypt
// hash, 1 nothing, 2 a malformed bcrypt hash (dropped), 3 a clear-text
// password in a column the mapping leaves out, 4 a bcrypt hash. It
// returns the path and the want list: email → why.
func noPasswordInput(t *testing.T, n int) (string, map[string]string) {
	t.Helper()
	var b strings.Builder
	b.WriteString("email,password_hash,password\n")
	want := map[string]string{}
	for i := 1; i <= n; i++ {
		email := fmt.Sprintf("user%03d@example.com", i)
		switch i % 5 {
		case 0, 4:
			fmt.Fprintf(&b, "%s,%s,\n", email, goodBcrypt)
		case 1:
			fmt.Fprintf(&b, "%s,,\n", email)
			want[email] = NoPasswordNone
		case 2:
			fmt.Fprintf(&b, "%s,$2a$10$tooshort,\n", email)
			want[email] = NoPasswordDropped
		case 3:
			fmt.Fprintf(&b, "%s,,pw-%d-secret\n", email, i)
			want[email] = NoPasswordPlaintext
		}
	}
	path := filepath.Join(t.TempDir(), "users.csv")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return path, want
}

func noPasswordRun(t *testing.T, e *liveEnv, input, report string) RunConfig {
	t.Helper()
	m, err := ReadMapping(strings.NewReader(noPasswordMapping), "nopw.mapping.yaml")
	if err != nil {
		t.Fatal(err)
	}
	c := RunConfig{Mapping: m, MappingPath: "nopw.mapping.yaml", Input: input, Report: report}
	if e != nil {
		c.Target = &Destination{API: e.api, Name: "test", ID: "sandbox project test"}
		c.Import = e.fastOptions(false)
	}
	return c
}

// checkNoPasswordList: the list at path names exactly the users of want,
// each with the report's user id and its why, and is 0600.
func checkNoPasswordList(t *testing.T, path, report string, want map[string]string) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatalf("the list of users without a password: %v", err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("%s is %v, want 0600", path, fi.Mode().Perm())
	}
	users, err := ReadNoPasswordList(path)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := ReadReport(report)
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]string{}
	for _, r := range rows {
		if r.Outcome == OutcomeInserted {
			ids[r.Identifier] = r.UserID
		}
	}
	got := map[string]string{}
	for _, u := range users {
		if _, dup := got[u.Identifier]; dup {
			t.Errorf("%s listed twice", u.Identifier)
		}
		got[u.Identifier] = u.Why
		if ids[u.Identifier] != u.UserID || u.UserID == "" {
			t.Errorf("%s listed with user id %q, the report says %q", u.Identifier, u.UserID, ids[u.Identifier])
		}
	}
	for email, why := range want {
		if got[email] != why {
			t.Errorf("%s: why %q, want %q", email, got[email], why)
		}
	}
	if len(got) != len(want) {
		t.Errorf("listed %d users, want %d", len(got), len(want))
	}
}

// TestNoPasswordListAfterLiveImport (issue 16 item 6): a live import lists
// the users it inserted with no password (none in the export, a dropped
// malformed hash, clear text left out), counts them in the summary and
// its note; a dry run counts them and writes nothing; an upsert that
// updates them lists none (the import ignores password on update).
func TestNoPasswordListAfterLiveImport(t *testing.T) {
	e := startLive(t, sandbox.Options{LoginIDTypes: []string{"email"}})
	input, want := noPasswordInput(t, 20)
	dir := t.TempDir()

	dry := noPasswordRun(t, nil, input, filepath.Join(dir, "dry.report.csv"))
	dry.DryRun = true
	s, err := Run(context.Background(), dry)
	if err != nil {
		t.Fatal(err)
	}
	if s.NoPassword != len(want) || s.NoPasswordList != "" {
		t.Errorf("dry run: no_password %d list %q, want %d and none", s.NoPassword, s.NoPasswordList, len(want))
	}
	if _, err := os.Stat(DefaultNoPassword(dry.Report)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a dry run wrote the list: %v", err)
	}

	c := noPasswordRun(t, e, input, filepath.Join(dir, "users.report.csv"))
	s, err = Run(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	list := DefaultNoPassword(c.Report)
	if s.Inserted != 20 || s.NoPassword != len(want) || s.NoPasswordList != list {
		t.Fatalf("live: inserted %d, no_password %d, list %q; want 20, %d, %s", s.Inserted, s.NoPassword, s.NoPasswordList, len(want), list)
	}
	checkNoPasswordList(t, list, c.Report, want)
	note := fmt.Sprintf("%d users have no password: %s", len(want), list)
	if !containsString(s.Notes, note) {
		t.Errorf("notes %q lack %q", s.Notes, note)
	}
	// The sandbox agrees: the listed users hold no password.
	for email := range want {
		if u, ok := e.sb.UserByLoginID("email", email); !ok || u.PasswordHash != "" {
			t.Errorf("%s in the sandbox: %v, hash %q", email, ok, u.PasswordHash)
		}
	}

	// Upsert: every user is updated and keeps what it had; no one listed.
	up := noPasswordRun(t, e, input, filepath.Join(dir, "upsert.report.csv"))
	up.Upsert = true
	s, err = Run(context.Background(), up)
	if err != nil {
		t.Fatal(err)
	}
	if s.Updated != 20 || s.NoPassword != 0 || s.NoPasswordList != "" {
		t.Errorf("upsert: updated %d, no_password %d, list %q", s.Updated, s.NoPassword, s.NoPasswordList)
	}
	if _, err := os.Stat(DefaultNoPassword(up.Report)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("an upsert that inserted no one wrote a list: %v", err)
	}
}

// TestNoPasswordListOfAContinuedRun: a run stopped after its canary, then
// continued, lists every user without a password, those the first run
// settled (from the journal) included.
func TestNoPasswordListOfAContinuedRun(t *testing.T) {
	e := startLive(t, sandbox.Options{LoginIDTypes: []string{"email"}})
	input, want := noPasswordInput(t, 300)
	report := filepath.Join(t.TempDir(), "users.report.csv")
	c := noPasswordRun(t, e, input, report)
	c.Import.TargetJobSeconds = 1e-9 // 100-record requests after the canary
	c.Concurrency = 1
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c.Events = func(ev Event) {
		if im, ok := ev.(Importing); ok && im.Progress.Done >= 10 {
			e.sb.Pause()
			cancel()
		}
	}
	s, err := Run(ctx, c)
	if err == nil {
		t.Fatal("the first run was not stopped")
	}
	if s.Inserted == 0 || s.Inserted == 300 {
		t.Fatalf("the first run inserted %d of 300", s.Inserted)
	}
	e.sb.Resume()
	c.Events = nil
	s, err = Run(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	if s.Resumed == 0 || s.Inserted != 300 {
		t.Fatalf("the continued run: resumed %d, inserted %d", s.Resumed, s.Inserted)
	}
	if s.NoPassword != len(want) {
		t.Errorf("no_password %d, want %d", s.NoPassword, len(want))
	}
	checkNoPasswordList(t, DefaultNoPassword(report), report, want)
}

// TestHashedPlaintextPasswordsExpire (issue 16 item 6): clear-text
// passwords hashed locally are sent with password.expire_after at the
// run's start (the sandbox stores it, as Authgear does), counted in the
// summary; passwords.expire_plaintext: false keeps them valid.
func TestHashedPlaintextPasswordsExpire(t *testing.T) {
	e := startLive(t, sandbox.Options{LoginIDTypes: []string{"email"}})
	dir := t.TempDir()
	input := filepath.Join(dir, "plain.csv")
	if err := os.WriteFile(input, []byte("email,password\na@example.com,correct horse\nb@example.com,battery staple\nc@example.com,"+goodBcrypt+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, keep := range []bool{false, true} {
		yaml := "version: 1\nsource:\n  format: csv\nidentifier: email\nupsert: true\npasswords:\n  unsupported: drop\n  plaintext: hash\n"
		if keep {
			yaml += "  expire_plaintext: false\n"
		}
		yaml += "fields:\n  email:\n    from: email\n  password.password_hash:\n    from: password\n"
		m, err := ReadMapping(strings.NewReader(yaml), "plain.mapping.yaml")
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range e.sb.Users() {
			e.sb.DeleteUser(u.ID)
		}
		start := time.Now().Add(-time.Second)
		c := RunConfig{Mapping: m, MappingPath: "plain.mapping.yaml", Input: input, Report: filepath.Join(dir, fmt.Sprintf("r%v.report.csv", keep)),
			Target: &Destination{API: e.api, Name: "test", ID: "sandbox project test"}, Import: e.fastOptions(false)}
		s, err := Run(context.Background(), c)
		if err != nil {
			t.Fatal(err)
		}
		if s.Inserted != 3 || s.PasswordsHashedLocally != 2 {
			t.Fatalf("keep=%v: inserted %d, hashed locally %d", keep, s.Inserted, s.PasswordsHashedLocally)
		}
		wantExpired := 2
		if keep {
			wantExpired = 0
		}
		if s.PasswordsExpired != wantExpired {
			t.Errorf("keep=%v: passwords_expired %d, want %d", keep, s.PasswordsExpired, wantExpired)
		}
		for _, email := range []string{"a@example.com", "b@example.com", "c@example.com"} {
			u, ok := e.sb.UserByLoginID("email", email)
			if !ok || u.PasswordHash == "" {
				t.Fatalf("%s: %v %+v", email, ok, u)
			}
			exp := u.PasswordExpireAfter
			switch {
			case email == "c@example.com" || keep:
				if exp != nil {
					t.Errorf("keep=%v %s: expire_after %v, want none", keep, email, exp)
				}
			case exp == nil:
				t.Errorf("%s: no expire_after: the user keeps a password that was in clear text", email)
			case exp.Before(start.Truncate(time.Second)) || exp.After(time.Now()):
				t.Errorf("%s: expire_after %v, want the run's start (%v)", email, exp, start)
			}
		}
		note := "2 clear-text passwords hashed locally were sent expired"
		found := false
		for _, n := range s.Notes {
			found = found || strings.HasPrefix(n, note)
		}
		if found == keep {
			t.Errorf("keep=%v: notes %q", keep, s.Notes)
		}
	}
}

// TestNoPasswordListPlaceCheckedFirst: a live run whose list of users
// without a password could not be written (a folder in its place) is
// refused before anything is sent, not after the users are created.
func TestNoPasswordListPlaceCheckedFirst(t *testing.T) {
	e := startLive(t, sandbox.Options{LoginIDTypes: []string{"email"}})
	input, _ := noPasswordInput(t, 5)
	c := noPasswordRun(t, e, input, filepath.Join(t.TempDir(), "users.report.csv"))
	if err := os.Mkdir(DefaultNoPassword(c.Report), 0o700); err != nil {
		t.Fatal(err)
	}
	_, err := Run(context.Background(), c)
	var re *RefusedError
	if !errors.As(err, &re) || len(e.sb.Users()) != 0 {
		t.Errorf("run: %v; %d users created", err, len(e.sb.Users()))
	}
}
