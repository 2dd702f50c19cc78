package importer

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/authgear-migrate/authgear-migrate/importer/adminapi"
	"github.com/authgear-migrate/authgear-migrate/importer/sandbox"
)

// importedWithoutPasswords imports noPasswordInput(n) into a fresh
// sandbox and returns the environment, the report and the emails of the
// users without a password.
func importedWithoutPasswords(t *testing.T, n int) (*liveEnv, string, []string) {
	t.Helper()
	e := startLive(t, sandbox.Options{LoginIDTypes: []string{"email"}})
	input, want := noPasswordInput(t, n)
	c := noPasswordRun(t, e, input, filepath.Join(t.TempDir(), "users.report.csv"))
	s, err := Run(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	if s.NoPassword != len(want) {
		t.Fatalf("the import left %d users without a password, want %d", s.NoPassword, len(want))
	}
	var emails []string
	for e := range want {
		emails = append(emails, e)
	}
	sort.Strings(emails)
	return e, c.Report, emails
}

// fakeClock is a clock that moves only when slept on.
type fakeClock struct {
	now    time.Time
	slept  []time.Duration
	asleep time.Duration
}

func (f *fakeClock) Now() time.Time { return f.now }
func (f *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	f.slept = append(f.slept, d)
	f.asleep += d
	f.now = f.now.Add(d)
	return ctx.Err()
}

func notifyConfig(e *liveEnv, report string, clock *fakeClock) NotifyConfig {
	return NotifyConfig{Report: report, API: e.api, Target: "sandbox project test", Rate: 10, Now: clock.Now, Sleep: clock.Sleep}
}

func loginIDs(us []NotifyUser) []string {
	var out []string
	for _, u := range us {
		out = append(out, u.LoginID)
	}
	sort.Strings(out)
	return out
}

func messageTargets(sb *sandbox.Running) []string {
	var out []string
	for _, m := range sb.Messages() {
		out = append(out, m.Target)
	}
	sort.Strings(out)
	return out
}

// TestNotifyResetPassword (issue 16 item 6): notify --dry-run lists
// exactly the users without a password (none in the export, a dropped
// malformed hash, clear text left out) and sends nothing; a refused
// confirmation sends nothing; a real run sends one message each, paced,
// and journals them (0600); a rerun sends none, even after a torn last
// line; a second notify at once is refused by the lock; another project
// is refused.
func TestNotifyResetPassword(t *testing.T) {
	e, report, emails := importedWithoutPasswords(t, 20)
	clock := &fakeClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}

	c := notifyConfig(e, report, clock)
	c.DryRun = true
	s, err := Notify(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	if got := loginIDs(s.Send); strings.Join(got, " ") != strings.Join(emails, " ") || len(s.Skipped) != 0 || s.Sent != 0 {
		t.Errorf("dry run would send to %v (skipped %v), want %v", got, s.Skipped, emails)
	}
	if n := len(e.sb.Messages()); n != 0 {
		t.Errorf("a dry run sent %d messages", n)
	}
	nj := DefaultNotifyJournal(report)
	if _, err := os.Stat(nj); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a dry run wrote notify's journal: %v", err)
	}

	c.DryRun = false
	var asked NotifyPlan
	c.Confirm = func(p NotifyPlan) bool { asked = p; return false }
	if _, err := Notify(context.Background(), c); !errors.Is(err, ErrNotifyCancelled) || len(e.sb.Messages()) != 0 {
		t.Fatalf("not confirmed: %v, %d messages", err, len(e.sb.Messages()))
	}
	if len(asked.Send) != len(emails) || asked.Target != "sandbox project test" {
		t.Errorf("the confirmation was asked with %d users of %q", len(asked.Send), asked.Target)
	}

	c.Confirm = func(NotifyPlan) bool { return true }
	s, err = Notify(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	if s.Sent != len(emails) || s.Failed != 0 || NotifyExitCode(&s, nil, nil) != ExitOK {
		t.Errorf("sent %d, failed %d; want %d", s.Sent, s.Failed, len(emails))
	}
	if got := messageTargets(e.sb); strings.Join(got, " ") != strings.Join(emails, " ") {
		t.Errorf("the sandbox sent to %v, want %v", got, emails)
	}
	for _, m := range e.sb.Messages() {
		if m.Kind != sandbox.MessageResetPassword || m.Channel != "email" {
			t.Errorf("message %+v", m)
		}
	}
	// Paced at 10 a second: 11 waits of 100 ms between 12 messages.
	if want := time.Duration(len(emails)-1) * 100 * time.Millisecond; clock.asleep != want {
		t.Errorf("waited %v between messages, want %v", clock.asleep, want)
	}
	if fi, err := os.Stat(nj); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("notify's journal: %v %v", fi, err)
	}

	// A torn last line (an interrupted write) is tolerated; nothing is
	// sent twice.
	f, err := os.OpenFile(nj, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(`{"t":"user","user_id":"0000`)
	f.Close()
	before, _ := os.ReadFile(nj)
	s, err = Notify(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	if s.Sent != 0 || s.EarlierSent != len(emails) || len(s.Send) != 0 || len(e.sb.Messages()) != len(emails) {
		t.Errorf("rerun: sent %d, earlier %d, to send %d, messages %d", s.Sent, s.EarlierSent, len(s.Send), len(e.sb.Messages()))
	}
	if after, _ := os.ReadFile(nj); !strings.HasPrefix(string(after), string(before)) {
		t.Error("notify's journal was rewritten: it is history, appended to only")
	}

	release, err := LockFiles(nj)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Notify(context.Background(), c)
	release()
	var re *RefusedError
	if !errors.As(err, &re) {
		t.Errorf("a notify while another holds the lock: %v", err)
	}
	c.Target = "elsewhere project other"
	if _, err := Notify(context.Background(), c); !errors.As(err, &re) || !strings.Contains(err.Error(), "not elsewhere") {
		t.Errorf("another project: %v", err)
	}
}

// rateLimited answers the first n messages with 429.
type rateLimited struct {
	NotifyAPI
	n, calls int
}

func (r *rateLimited) SendResetPasswordMessage(ctx context.Context, loginID string) error {
	r.calls++
	if r.calls <= r.n {
		return &adminapi.HTTPError{Status: 429}
	}
	return r.NotifyAPI.SendResetPasswordMessage(ctx, loginID)
}

// TestNotifyBacksOffOnRateLimit: 429 is waited for, longer each time, and
// the message then sent; a user deleted since the import is told apart
// (Authgear's UserNotFound) and journaled, not failed; one that stays
// rate-limited fails (exit 3) and is tried again by the next notify.
func TestNotifyBacksOffOnRateLimit(t *testing.T) {
	e, report, emails := importedWithoutPasswords(t, 10) // 6 users
	u, _ := e.sb.UserByLoginID("email", emails[0])
	e.sb.DeleteUser(u.ID)
	clock := &fakeClock{now: time.Now()}
	c := notifyConfig(e, report, clock)
	api := &rateLimited{NotifyAPI: e.api, n: 3}
	c.API = api
	var retries []time.Duration
	c.Events = func(ev Event) {
		if r, ok := ev.(Retrying); ok {
			retries = append(retries, r.Retry.Wait)
		}
	}
	s, err := Notify(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	if s.Sent != len(emails)-1 || s.Unknown != 1 || s.Failed != 0 {
		t.Errorf("sent %d, unknown %d, failed %d", s.Sent, s.Unknown, s.Failed)
	}
	if want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second}; len(retries) != 3 || retries[0] != want[0] || retries[2] != want[2] {
		t.Errorf("waits after 429: %v, want %v", retries, want)
	}

	// Always rate-limited: failed, exit 3, and the next notify tries it.
	e2, report2, emails2 := importedWithoutPasswords(t, 5) // 3 users
	c = notifyConfig(e2, report2, &fakeClock{now: time.Now()})
	c.API = &rateLimited{NotifyAPI: e2.api, n: 1 << 30}
	s, err = Notify(context.Background(), c)
	if err != nil || s.Failed != len(emails2) || NotifyExitCode(&s, err, nil) != ExitPartial {
		t.Fatalf("always 429: failed %d, err %v", s.Failed, err)
	}
	c.API = e2.api
	if s, err = Notify(context.Background(), c); err != nil || s.Sent != len(emails2) {
		t.Errorf("after the rate limit: sent %d, %v", s.Sent, err)
	}
}

// TestNotifyUsernameOnly: a user imported by username gets the message at
// its email login ID when it has one; one with a username only is
// skipped, with why.
func TestNotifyUsernameOnly(t *testing.T) {
	e := startLive(t, sandbox.Options{LoginIDTypes: []string{"email", "username"}})
	dir := t.TempDir()
	input := filepath.Join(dir, "names.csv")
	if err := os.WriteFile(input, []byte("username,email\nalice,alice@example.com\nbob,\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	m, err := ReadMapping(strings.NewReader("version: 1\nsource:\n  format: csv\nidentifier: preferred_username\nfields:\n  preferred_username:\n    from: username\n  email:\n    from: email\n"), "names.mapping.yaml")
	if err != nil {
		t.Fatal(err)
	}
	report := filepath.Join(dir, "names.report.csv")
	s, err := Run(context.Background(), RunConfig{Mapping: m, MappingPath: "names.mapping.yaml", Input: input, Report: report,
		Target: &Destination{API: e.api, Name: "test", ID: "sandbox project test"}, Import: e.fastOptions(false)})
	if err != nil || s.NoPassword != 2 {
		t.Fatalf("import: %v, no password %d", err, s.NoPassword)
	}
	c := notifyConfig(e, report, &fakeClock{now: time.Now()})
	c.DryRun = true
	ns, err := Notify(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	if len(ns.Send) != 1 || ns.Send[0].LoginID != "alice@example.com" || len(ns.Skipped) != 1 || ns.Skipped[0].Identifier != "bob" || ns.Skipped[0].Skip != NotifySkipUsernameOnly {
		t.Errorf("send %+v, skipped %+v", ns.Send, ns.Skipped)
	}
	c.DryRun = false
	if ns, err = Notify(context.Background(), c); err != nil || ns.Sent != 1 || len(e.sb.Messages()) != 1 || e.sb.Messages()[0].Target != "alice@example.com" {
		t.Errorf("sent %d (%v), messages %+v", ns.Sent, err, e.sb.Messages())
	}
}
