package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/authgear-migrate/authgear-migrate/importer"
	"github.com/authgear-migrate/authgear-migrate/importer/sandbox"
)

// canaryEnv is a standalone sandbox, and an export of 60 users with the
// password "Passw0rd-of-all!" (user1@example.com ...), not imported yet.
type canaryEnv struct {
	sb                   *sandbox.Running
	env                  map[string]string
	dir, input, mapping  string
	report               string
	rightFile, wrongFile string
}

func startCanaryEnv(t *testing.T) *canaryEnv {
	t.Helper()
	dir := t.TempDir()
	sb, keyFile, kid := projectSandbox(t, dir, "email")
	e := &canaryEnv{sb: sb, dir: dir, input: filepath.Join(dir, "users.csv"), mapping: filepath.Join(dir, "users.mapping.yaml"),
		report: filepath.Join(dir, "users.report.csv"), rightFile: filepath.Join(dir, "right.pw"), wrongFile: filepath.Join(dir, "wrong.pw"),
		env: map[string]string{"AUTHGEAR_ENDPOINT": sb.URL, "AUTHGEAR_PROJECT_ID": "myapp", "AUTHGEAR_ADMIN_KEY_ID": kid, "AUTHGEAR_ADMIN_KEY_FILE": keyFile}}
	h := bcryptOf(t, "Passw0rd-of-all!")
	var b strings.Builder
	b.WriteString("email,hash,off\n")
	for i := 1; i <= 60; i++ {
		fmt.Fprintf(&b, "user%d@example.com,%s,false\n", i, h)
	}
	m := "version: 1\npreset: generic\nsource:\n  format: csv\n  delimiter: ','\nidentifier: email\nupsert: false\npasswords:\n  unsupported: drop\n" +
		"fields:\n  email:\n    from: email\n  password.password_hash:\n    from: hash\n  disabled:\n    from: off\n    transforms: [bool]\n"
	for p, s := range map[string]string{e.input: b.String(), e.mapping: m, e.rightFile: "Passw0rd-of-all!\n", e.wrongFile: "Secret-Wrong-One\n"} {
		if err := os.WriteFile(p, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return e
}

func (e *canaryEnv) replay(t *testing.T, args ...string) runResult {
	t.Helper()
	return runCmd(t, e.env, append([]string{"replay", "--mapping", e.mapping, "--input", e.input, "--report", e.report}, args...)...)
}

// TestReplayCanarySignIn (issue 16 item 2, the check): replay
// --canary-sign-in with a wrong password stops before the bulk, exit 1,
// with nothing sent but the canary (the sandbox saw one request, with the
// user in it) and the password printed nowhere; the same command with the
// right password continues the run (the resume command names the flag,
// not the password), signs in before the rest, and imports every user
// once.
func TestReplayCanarySignIn(t *testing.T) {
	e := startCanaryEnv(t)
	r := e.replay(t, "--canary-sign-in", "user33@example.com", "--password-file", e.wrongFile)
	if r.code != exitError {
		t.Fatalf("a wrong password: %s", r)
	}
	st := e.sb.Stats()
	if st.ImportPOSTs != 1 || st.RecordsReceived != 1 || st.ReceivedByIdentifier["user33@example.com"] != 1 {
		t.Errorf("sent %d requests of %d records (user33 %d times), want one request holding user33 alone", st.ImportPOSTs, st.RecordsReceived, st.ReceivedByIdentifier["user33@example.com"])
	}
	for _, w := range []string{"canary sign-in as user33@example.com: refused: a wrong password", "stopped: the canary user user33@example.com did not sign in", "nothing more was sent",
		"pepper", "if the password was mistyped, run the same command again", "not sent             59",
		"resume: authgear-migrate replay --mapping " + e.mapping + " --input " + e.input + " --report " + e.report + " --canary-sign-in user33@example.com --password-file " + e.wrongFile} {
		if !strings.Contains(r.out+r.errOut, w) {
			t.Errorf("the output lacks %q:\n%s", w, r)
		}
	}
	if strings.Contains(r.out+r.errOut, "Secret-Wrong-One") {
		t.Error("the password was printed")
	}
	r = e.replay(t, "--canary-sign-in", "user33@example.com", "--password-file", e.rightFile)
	if r.code != exitOK {
		t.Fatalf("the right password: %s", r)
	}
	for _, w := range []string{"canary sign-in as user33@example.com: signed in by email as user ", "going on with the rest", "inserted             60", "(from journal)        1"} {
		if !strings.Contains(r.out+r.errOut, w) {
			t.Errorf("the output lacks %q:\n%s", w, r)
		}
	}
	if st := e.sb.Stats(); st.Users != 60 || st.RecordsReceived != 60 || st.ReceivedByIdentifier["user33@example.com"] != 1 {
		t.Errorf("%d users, %d records received (user33 %d times)", st.Users, st.RecordsReceived, st.ReceivedByIdentifier["user33@example.com"])
	}
}

// TestReplayCanarySignInRight: the right password on a fresh run signs in
// after the canary and goes on, with the estimate of the rest.
func TestReplayCanarySignInRight(t *testing.T) {
	e := startCanaryEnv(t)
	r := e.replay(t, "--canary-sign-in", "user60@example.com", "--password-file", e.rightFile)
	if r.code != exitOK {
		t.Fatalf("%s", r)
	}
	for _, w := range []string{"canary sign-in as user60@example.com: signed in by email", "the session this check created was ended", "going on with the rest", "estimate: ", "for 49 records at "} {
		if !strings.Contains(r.errOut, w) {
			t.Errorf("stderr lacks %q:\n%s", w, r.errOut)
		}
	}
	if st := e.sb.Stats(); st.Users != 60 || st.ImportPOSTs < 2 {
		t.Errorf("%d users, %d requests", st.Users, st.ImportPOSTs)
	}
}

// TestReplayCanarySignInRefused: an unknown login ID is refused before
// anything is sent (exit 2); so are the flag with --dry-run, and
// --password-file without it.
func TestReplayCanarySignInRefused(t *testing.T) {
	e := startCanaryEnv(t)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--canary-sign-in", "nobody@example.com", "--password-file", e.rightFile}, "no record of the input has the login ID nobody@example.com"},
		{[]string{"--canary-sign-in", "user1@example.com", "--password-file", e.rightFile, "--dry-run"}, "drop --canary-sign-in or --dry-run"},
		{[]string{"--password-file", e.rightFile}, "go with --canary-sign-in"},
		{[]string{"--canary-sign-in", "user1@example.com"}, "no terminal to type the password on"},
	} {
		r := e.replay(t, c.args...)
		if r.code != exitUsage || !strings.Contains(r.errOut, c.want) {
			t.Errorf("%v: %s, want exit 2 saying %q", c.args, r, c.want)
		}
	}
	if n := e.sb.Stats().Requests; n != 0 {
		t.Errorf("%d requests sent", n)
	}
	if _, err := os.Stat(e.report); err == nil {
		t.Error("a report was written")
	}
}

// TestProgressLineETA: the ETA on replay's progress line is worded as the
// estimate before the run is.
func TestProgressLineETA(t *testing.T) {
	p := importer.ImportProgress{Total: 1_000_000, Rate: 101, ETA: 2*time.Hour + 44*time.Minute + 41*time.Second}
	p.Inserted = 2000
	if got := progressLine(p); !strings.HasSuffix(got, ", 101 rec/s, ETA about 2 h 45 min") {
		t.Errorf("progress line %q", got)
	}
}
