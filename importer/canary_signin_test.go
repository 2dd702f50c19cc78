package importer

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/authgear-migrate/authgear-migrate/importer/sandbox"
)

const canaryMapping = "version: 1\npreset: generic\nsource:\n  format: csv\n  delimiter: ','\nidentifier: email\nupsert: false\npasswords:\n  unsupported: drop\n" +
	"fields:\n  email:\n    from: email\n  password.password_hash:\n    from: hash\n  disabled:\n    from: off\n    transforms: [bool]\n"

// canaryInput writes n users with one bcrypt hash of "Passw0rd-of-all!"
// (user42@example.com at row 42 ...), plus the extra lines, and returns
// the input and its mapping.
func canaryInput(t *testing.T, n int, extra ...string) (string, *Mapping) {
	t.Helper()
	h, err := bcrypt.GenerateFromPassword([]byte("Passw0rd-of-all!"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	b.WriteString("email,hash,off\n")
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "user%d@example.com,%s,false\n", i, h)
	}
	for _, l := range extra {
		b.WriteString(l + "\n")
	}
	path := filepath.Join(t.TempDir(), "users.csv")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	m, err := ReadMapping(strings.NewReader(canaryMapping), "users.mapping.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return path, m
}

// signInRun is a live Run into e with a canary sign-in; it records the
// events, and the import requests the sandbox had when the sign-in was
// told.
type signInRun struct {
	mu          sync.Mutex
	signedIn    []CanarySignedIn
	postsAtSign []int
	kinds       []string
}

func (x *signInRun) config(e *liveEnv, path string, m *Mapping, report, login, password string) RunConfig {
	return RunConfig{Mapping: m, MappingPath: "users.mapping.yaml", Input: path, Report: report,
		Target:       &Destination{API: e.api, Name: "the test sandbox", ID: e.sb.URL + "#test"},
		Import:       e.fastOptions(false),
		CanarySignIn: &SignInCheck{LoginID: login, Password: password},
		Events: func(ev Event) {
			x.mu.Lock()
			defer x.mu.Unlock()
			x.kinds = append(x.kinds, fmt.Sprintf("%T", ev))
			if s, ok := ev.(CanarySignedIn); ok {
				x.signedIn = append(x.signedIn, s)
				x.postsAtSign = append(x.postsAtSign, e.sb.Stats().ImportPOSTs)
			}
		}}
}

// TestCanarySignInWrongPasswordStops (issue 16 item 2, the check):
// a wrong password stops the run after the canary, with nothing else sent
// (the sandbox saw one request: the canary, with the sign-in's record,
// row 120, in it); the summary counts the rest not sent, the exit code is
// 1, and the remedy is to run again. Run again with the right password,
// the same journal continues: the user is not sent again, the sign-in
// comes before any other request, and every user is imported once.
func TestCanarySignInWrongPasswordStops(t *testing.T) {
	e := startLive(t, sandbox.Options{LoginIDTypes: []string{"email"}})
	path, m := canaryInput(t, 250)
	report := filepath.Join(t.TempDir(), "users.report.csv")
	var x signInRun
	s, err := Run(context.Background(), x.config(e, path, m, report, "USER120@example.com", "not-the-password"))
	var se *StopError
	if !errors.As(err, &se) || !errors.Is(err, ErrCanarySignIn) {
		t.Fatalf("err %v, want a stop with ErrCanarySignIn", err)
	}
	for _, w := range []string{"did not sign in with the password given", "nothing more was sent", "row 120", "pepper", "double-hashed", "72 bytes"} {
		if !strings.Contains(se.Reason, w) {
			t.Errorf("the stop does not say %q: %s", w, se.Reason)
		}
	}
	if RemedyOf(err) != RemedySignInAgain || ExitCode(&s, err, nil) != ExitError {
		t.Errorf("remedy %v, exit %d", RemedyOf(err), ExitCode(&s, err, nil))
	}
	st := e.sb.Stats()
	if st.ImportPOSTs != 1 || st.RecordsReceived != 1 || st.ReceivedByIdentifier["user120@example.com"] != 1 {
		t.Errorf("sent %d requests, %d records (user120: %d), want one request holding user120 alone (a hash that does not sign in costs one user)", st.ImportPOSTs, st.RecordsReceived, st.ReceivedByIdentifier["user120@example.com"])
	}
	if len(x.signedIn) != 1 || x.signedIn[0].Result.Outcome != SignInWrongPassword {
		t.Fatalf("sign-in events %+v", x.signedIn)
	}
	if s.Inserted != 1 || s.NotSent != 249 || s.Total != 250 {
		t.Errorf("summary %+v", s.ImportSummary)
	}
	for _, k := range x.kinds {
		if k == "importer.Estimated" {
			t.Error("an estimate for a run that stopped")
		}
	}
	if strings.Contains(fmt.Sprint(s, se.Reason), "not-the-password") {
		t.Error("the password is in the summary")
	}

	// The same command with the right password continues the run.
	var y signInRun
	s, err = Run(context.Background(), y.config(e, path, m, report, "user120@example.com", "Passw0rd-of-all!"))
	if err != nil {
		t.Fatal(err)
	}
	st = e.sb.Stats()
	if len(y.signedIn) != 1 || !y.signedIn[0].Result.PasswordRight || y.postsAtSign[0] != 1 {
		t.Errorf("sign-in events %+v after %v requests, want a right password before any new request", y.signedIn, y.postsAtSign)
	}
	if s.Inserted != 250 || s.Resumed != 1 || st.Users != 250 || st.ReceivedByIdentifier["user120@example.com"] != 1 || st.RecordsReceived != 250 {
		t.Errorf("summary %+v; stats: %d users, %d records, user120 %d times", s.ImportSummary, st.Users, st.RecordsReceived, st.ReceivedByIdentifier["user120@example.com"])
	}
	checkReportRows(t, report, 250)
}

// TestCanarySignInRightPasswordGoesOn: the right password (by another
// login ID form: upper case) signs in after the canary, before any other
// request, and the run goes on with the estimate; a disabled user with the
// right password goes on too (the password is right).
func TestCanarySignInRightPasswordGoesOn(t *testing.T) {
	h, err := bcrypt.GenerateFromPassword([]byte("Off-Passw0rd!"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		login, password string
		outcome         SignInOutcome
	}{
		{"User200@Example.com", "Passw0rd-of-all!", SignInSucceeded},
		{"off@example.com", "Off-Passw0rd!", SignInDisabled},
	} {
		t.Run(c.login, func(t *testing.T) {
			e := startLive(t, sandbox.Options{LoginIDTypes: []string{"email"}})
			path, m := canaryInput(t, 250, "off@example.com,"+string(h)+",true")
			var x signInRun
			s, err := Run(context.Background(), x.config(e, path, m, filepath.Join(t.TempDir(), "r.csv"), c.login, c.password))
			if err != nil {
				t.Fatal(err)
			}
			if len(x.signedIn) != 1 || x.signedIn[0].Result.Outcome != c.outcome || x.postsAtSign[0] != 1 {
				t.Errorf("sign-in %+v after %v requests", x.signedIn, x.postsAtSign)
			}
			if st := e.sb.Stats(); s.Inserted != 251 || st.Users != 251 || st.RecordsReceived != 251 {
				t.Errorf("summary %+v, %d users", s.ImportSummary, st.Users)
			}
			est, signed := -1, -1
			for i, k := range x.kinds {
				switch k {
				case "importer.Estimated":
					est = i
				case "importer.CanarySignedIn":
					signed = i
				}
			}
			if est < signed {
				t.Errorf("events %v: the estimate comes after the sign-in", x.kinds)
			}
		})
	}
}

// TestCanarySignInRefusedBeforeSending: a login ID no record has, an
// invalid record and a record without a password are refused before
// anything is sent or written.
func TestCanarySignInRefusedBeforeSending(t *testing.T) {
	e := startLive(t, sandbox.Options{LoginIDTypes: []string{"email"}})
	path, m := canaryInput(t, 30, "nopass@example.com,,false", "bad@example.com,$2a$10$short,maybe")
	for _, c := range []struct{ login, want string }{
		{"nobody@example.com", "no record of the input has the login ID nobody@example.com"},
		{"nopass@example.com", "(row 31) carries no password"},
		{"bad@example.com", "(row 32) is invalid"},
	} {
		dir := t.TempDir()
		var x signInRun
		report := filepath.Join(dir, "r.csv")
		_, err := Run(context.Background(), x.config(e, path, m, report, c.login, "whatever-it-is"))
		var re *RefusedError
		var sre *SignInRecordError
		if !errors.As(err, &re) || !errors.As(err, &sre) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want a refusal saying %q", c.login, err, c.want)
		}
		if n := e.sb.Stats().Requests; n != 0 {
			t.Errorf("%s: %d requests sent", c.login, n)
		}
		if _, err := os.Stat(report); err == nil {
			t.Errorf("%s: a report was written", c.login)
		}
	}
}

// flakyLogin is a public endpoint whose login answers 429 for the first
// limited calls, then passes to the sandbox.
type flakyLogin struct {
	mu      sync.Mutex
	limited int
	calls   int
	next    http.Handler
}

func (f *flakyLogin) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.calls++
	limit := f.calls <= f.limited
	f.mu.Unlock()
	if limit && strings.HasPrefix(r.URL.Path, AuthFlowPath) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Retry-After", "42")
		w.WriteHeader(http.StatusTooManyRequests)
		fmt.Fprint(w, `{"error":{"name":"TooManyRequest","reason":"RateLimited","message":"request rate limited","code":429}}`)
		return
	}
	f.next.ServeHTTP(w, r)
}

// TestCanarySignInRateLimited: a 429 is waited out (Retry-After) and tried
// once more; a second 429 stops the run, saying it proves nothing.
func TestCanarySignInRateLimited(t *testing.T) {
	for _, limited := range []int{1, 2} {
		t.Run(fmt.Sprint(limited), func(t *testing.T) {
			e := startLive(t, sandbox.Options{LoginIDTypes: []string{"email"}})
			path, m := canaryInput(t, 40)
			// The sandbox behind a proxy that answers 429 first.
			f := &flakyLogin{limited: limited}
			proxy := httptest.NewServer(f)
			defer proxy.Close()
			u, err := url.Parse(e.sb.URL)
			if err != nil {
				t.Fatal(err)
			}
			f.next = httputil.NewSingleHostReverseProxy(u)
			var x signInRun
			c := x.config(e, path, m, filepath.Join(t.TempDir(), "r.csv"), "user5@example.com", "Passw0rd-of-all!")
			c.CanarySignIn.PublicEndpoint = proxy.URL
			var waits []time.Duration
			c.Import.Sleep = func(ctx context.Context, d time.Duration) error {
				if d >= time.Second {
					x.mu.Lock()
					waits = append(waits, d)
					x.mu.Unlock()
					return ctx.Err()
				}
				return sleepCtx(ctx, d)
			}
			s, err := Run(context.Background(), c)
			if len(waits) != 1 || waits[0] != 42*time.Second {
				t.Errorf("waited %v, want 42 s once", waits)
			}
			if limited == 1 {
				if err != nil || s.Inserted != 40 || len(x.signedIn) != 2 || !x.signedIn[0].Retrying || x.signedIn[1].Result.Outcome != SignInSucceeded {
					t.Errorf("after one 429: %v, %+v, events %+v", err, s.ImportSummary, x.signedIn)
				}
				return
			}
			if !errors.Is(err, ErrCanarySignIn) || !strings.Contains(err.Error(), "proves nothing") || e.sb.Stats().ImportPOSTs != 1 {
				t.Errorf("after two 429s: %v (%d requests)", err, e.sb.Stats().ImportPOSTs)
			}
			if len(x.signedIn) != 2 || !x.signedIn[0].Retrying || x.signedIn[1].Result.Outcome != SignInRateLimited {
				t.Errorf("sign-in events %+v", x.signedIn)
			}
		})
	}
}

// TestHasLoginID: the login ID a person types reaches the record by its
// identifier, email, phone or username, as the engine normalised them.
func TestHasLoginID(t *testing.T) {
	email, phone, user := "ada@example.com", "+14155550100", "ada_l"
	p := &Prepared{Identifier: email, Record: &Record{Email: &email, PhoneNumber: &phone, PreferredUsername: &user}}
	for typed, want := range map[string]bool{
		"ada@example.com": true, " ADA@Example.COM ": true, "+1 415 555 0100": true, "+1 (415) 555-0100": true,
		"+14155550100": true, "ADA_L": true, "ada": false, "": false, "+14155550101": false, "bob@example.com": false,
	} {
		if got := hasLoginID(p, typed); got != want {
			t.Errorf("hasLoginID(%q) = %v, want %v", typed, got, want)
		}
	}
}

// TestCanarySignInThenReadinessCanary: the sign-in's user goes alone in
// the first request (a hash that does not sign in costs one user), and the
// canary that shows whether the project is ready still follows it: here
// the sign-in's user has no phone, the others do, and the project has not
// enabled the phone login ID; the second request (the canary of ten)
// stops the run before the bulk, as a run without a sign-in does.
func TestCanarySignInThenReadinessCanary(t *testing.T) {
	e := startLive(t, sandbox.Options{LoginIDTypes: []string{"email"}})
	h, err := bcrypt.GenerateFromPassword([]byte("Passw0rd-of-all!"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	b.WriteString("email,hash,phone\n")
	for i := 1; i <= 60; i++ {
		phone := fmt.Sprintf("+8525123%04d", i)
		if i == 30 {
			phone = ""
		}
		fmt.Fprintf(&b, "user%d@example.com,%s,%s\n", i, h, phone)
	}
	path := filepath.Join(t.TempDir(), "users.csv")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	m, err := ReadMapping(strings.NewReader("version: 1\npreset: generic\nsource:\n  format: csv\n  delimiter: ','\nidentifier: email\nupsert: false\n"+
		"fields:\n  email:\n    from: email\n  password.password_hash:\n    from: hash\n  phone_number:\n    from: phone\n"), "users.mapping.yaml")
	if err != nil {
		t.Fatal(err)
	}
	report := filepath.Join(t.TempDir(), "users.report.csv")
	var x signInRun
	s, err := Run(context.Background(), x.config(e, path, m, report, "user30@example.com", "Passw0rd-of-all!"))
	var se *StopError
	if !errors.As(err, &se) || !errors.Is(err, ErrCanary) || !strings.Contains(se.Reason, "phone_number") {
		t.Fatalf("err %v, want the readiness canary's stop naming phone_number", err)
	}
	if len(x.signedIn) != 1 || !x.signedIn[0].Result.PasswordRight || x.postsAtSign[0] != 1 {
		t.Errorf("sign-in %+v after %v requests, want a right password after the first request alone", x.signedIn, x.postsAtSign)
	}
	st := e.sb.Stats()
	if st.ImportPOSTs != 2 || st.RecordsReceived != 11 {
		t.Errorf("sent %d requests of %d records, want the sign-in's user alone, then the canary of ten", st.ImportPOSTs, st.RecordsReceived)
	}
	if s.Inserted != 11 || s.NotSent != 49 {
		t.Errorf("summary %+v", s.ImportSummary)
	}
}
