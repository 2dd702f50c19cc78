package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/charmbracelet/x/term"
	"golang.org/x/crypto/bcrypt"

	"github.com/authgear-migrate/authgear-migrate/importer/sandbox"
)

// signInEnv is a standalone sandbox with users of known passwords
// imported by replay: ada (right password "Ada-Passw0rd!"), weak (the
// short "abc123": change_password), nopass (no hash in the export) and
// off (disabled, password "Off-Passw0rd!").
type signInEnv struct {
	sb      *sandbox.Running
	env     map[string]string
	dir     string
	keyFile string
}

func bcryptOf(t testing.TB, pw string) string {
	t.Helper()
	h, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	return string(h)
}

func startSignInEnv(t *testing.T) *signInEnv {
	t.Helper()
	dir := t.TempDir()
	sb, keyFile, kid := projectSandbox(t, dir, "email", "phone", "username")
	input := filepath.Join(dir, "users.csv")
	csv := "email,hash,off\n" +
		"ada@example.com," + bcryptOf(t, "Ada-Passw0rd!") + ",false\n" +
		"weak@example.com," + bcryptOf(t, "abc123") + ",false\n" +
		"nopass@example.com,,false\n" +
		"off@example.com," + bcryptOf(t, "Off-Passw0rd!") + ",true\n"
	mapping := filepath.Join(dir, "users.mapping.yaml")
	m := "version: 1\npreset: generic\nsource:\n  format: csv\n  delimiter: ','\nidentifier: email\nupsert: false\npasswords:\n  unsupported: drop\n" +
		"fields:\n  email:\n    from: email\n  password.password_hash:\n    from: hash\n  disabled:\n    from: off\n    transforms: [bool]\n"
	for p, s := range map[string]string{input: csv, mapping: m} {
		if err := os.WriteFile(p, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	e := &signInEnv{sb: sb, dir: dir, keyFile: keyFile,
		env: map[string]string{"AUTHGEAR_ENDPOINT": sb.URL, "AUTHGEAR_PROJECT_ID": "myapp", "AUTHGEAR_ADMIN_KEY_ID": kid, "AUTHGEAR_ADMIN_KEY_FILE": keyFile}}
	if r := runCmd(t, e.env, "replay", "--mapping", mapping, "--input", input, "--report", filepath.Join(dir, "users.report.csv")); r.code != exitOK {
		t.Fatalf("replay: %s", r)
	}
	if n := len(sb.Users()); n != 4 {
		t.Fatalf("%d users imported", n)
	}
	return e
}

// passwordFile writes pw (and a newline) to a 0600 file.
func (e *signInEnv) passwordFile(t *testing.T, pw string) string {
	t.Helper()
	f, err := os.CreateTemp(e.dir, "pw")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(pw + "\n"); err != nil {
		t.Fatal(err)
	}
	return f.Name()
}

func (e *signInEnv) signIn(t *testing.T, env map[string]string, login, pw string, args ...string) runResult {
	t.Helper()
	return runCmd(t, env, append([]string{"verify", "--sign-in", login, "--password-file", e.passwordFile(t, pw)}, args...)...)
}

// TestVerifySignInAgainstSandbox (issue 16 item 1, the check):
// users imported by replay with known passwords; verify --sign-in
// succeeds for one (the user id, the login method, the last sign-in
// time, the session ended) and fails with the server's reason for a
// wrong password, an unknown user, a user with no password and a
// disabled user; change_password is a success that says so; exit codes
// 0, 3 and 3; the password is printed nowhere.
func TestVerifySignInAgainstSandbox(t *testing.T) {
	e := startSignInEnv(t)
	adaID := ""
	for _, u := range e.sb.Users() {
		for _, id := range u.Identities {
			if id.Value == "ada@example.com" {
				adaID = u.ID
			}
		}
	}
	if adaID == "" {
		t.Fatal("ada not imported")
	}
	// The user's own session, from a sign-in of their own: the check must
	// leave it alone.
	own := ownSession(t, e.sb.URL, "ada@example.com", "Ada-Passw0rd!")
	cases := []struct {
		login, pw string
		code      int
		want      []string
	}{
		{"ada@example.com", "Ada-Passw0rd!", exitOK, []string{"signed in by email as user " + adaID, "the user's last sign-in time now shows this check", "the session this check created was ended"}},
		{"ADA@example.com", "Ada-Passw0rd!", exitOK, []string{"signed in by email"}},
		{"weak@example.com", "abc123", exitOK, []string{"right password, but weaker than the project's policy: the user will be asked for a new one at sign-in; not answered"}},
		{"ada@example.com", "wrong-password", exitPartial, []string{"refused: a wrong password, or the user has no password in Authgear (InvalidCredentials", "no session was created"}},
		{"nobody@example.com", "Ada-Passw0rd!", exitPartial, []string{"no user has this login ID (UserNotFound"}},
		{"nopass@example.com", "anything-at-all", exitPartial, []string{"InvalidCredentials"}},
		{"off@example.com", "Off-Passw0rd!", exitPartial, []string{"the password is right, but the user is disabled (DisabledUser"}},
	}
	for _, c := range cases {
		r := e.signIn(t, e.env, c.login, c.pw)
		if r.code != c.code {
			t.Errorf("%s: %s", c.login, r)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(r.out, w) {
				t.Errorf("%s: want %q in\n%s", c.login, w, r)
			}
		}
		if strings.Contains(r.out+r.errOut, c.pw) {
			t.Errorf("%s: the password is printed:\n%s", c.login, r)
		}
	}
	if code := userinfoStatus(t, e.sb.URL, own); code != http.StatusOK {
		t.Errorf("the user's own session was ended: userinfo %d", code)
	}
}

// ownSession signs login in as the user would and returns the session
// cookie's value.
func ownSession(t *testing.T, origin, login, pw string) string {
	t.Helper()
	body := `{"type":"login","name":"default","batch_input":[{"identification":"email","login_id":"` + login + `"},{"authentication":"primary_password","password":"` + pw + `"}]}`
	resp, err := http.Post(origin+"/api/v1/authentication_flows", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	for _, c := range resp.Cookies() {
		if c.Name == "session" && c.Value != "" {
			return c.Value
		}
	}
	t.Fatalf("no session cookie: %d", resp.StatusCode)
	return ""
}

func userinfoStatus(t *testing.T, origin, cookie string) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, origin+"/oauth2/userinfo", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.AddCookie(&http.Cookie{Name: "session", Value: cookie})
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestVerifySignInRateLimited: the 11th wrong password within a minute is
// a 429, which proves nothing: exit 1 and "try again in about a minute";
// then even the right password is rate limited (s05).
func TestVerifySignInRateLimited(t *testing.T) {
	e := startSignInEnv(t)
	for i := 0; i < 10; i++ {
		if r := e.signIn(t, e.env, "ada@example.com", "wrong"); r.code != exitPartial {
			t.Fatalf("wrong password %d: %s", i+1, r)
		}
	}
	for _, pw := range []string{"wrong", "Ada-Passw0rd!"} {
		r := e.signIn(t, e.env, "ada@example.com", pw)
		if r.code != exitError || !strings.Contains(r.out, "rate limited (RateLimited") || !strings.Contains(r.out, "a 429 proves nothing; try again in about a minute") {
			t.Fatalf("%s: %s", pw, r)
		}
	}
}

// TestVerifySignInWithoutAdminKey: with only the endpoint (no key) the
// check still signs in, says the session was left and how long it lives,
// and names the settings that would end it.
func TestVerifySignInWithoutAdminKey(t *testing.T) {
	e := startSignInEnv(t)
	r := e.signIn(t, map[string]string{}, "ada@example.com", "Ada-Passw0rd!", "--public-endpoint", e.sb.URL)
	if r.code != exitOK || !strings.Contains(r.out, "the session the check created was left: ending it needs the Admin API key") ||
		!strings.Contains(r.out, "AUTHGEAR_ADMIN_KEY_FILE") {
		t.Fatalf("%s", r)
	}
}

// TestVerifySignInUsage: --sign-in takes no comparison flags; the
// password flags need --sign-in; no endpoint at all is a usage error; the
// password is never a flag value; a password file others can read is
// warned about; without a terminal and a file, the person is told to use
// --password-file.
func TestVerifySignInUsage(t *testing.T) {
	e := startSignInEnv(t)
	pf := e.passwordFile(t, "Ada-Passw0rd!")
	for _, args := range [][]string{
		{"verify", "--sign-in", "ada@example.com", "--password-file", pf, "--mapping", "m.yaml"},
		{"verify", "--password-file", pf},
		{"verify", "--sign-in", "ada@example.com", "--password", "x"},
	} {
		if r := runCmd(t, e.env, args...); r.code != exitUsage {
			t.Errorf("%v: %s", args, r)
		}
	}
	if r := runCmd(t, map[string]string{}, "verify", "--sign-in", "ada@example.com", "--password-file", pf); r.code != exitUsage || !strings.Contains(r.errOut, "--public-endpoint") {
		t.Errorf("no endpoint: %s", r)
	}
	if r := runCmd(t, e.env, "verify", "--sign-in", "ada@example.com"); r.code != exitUsage || !strings.Contains(r.errOut, "--password-file") {
		t.Errorf("no terminal: %s", r)
	}
	if err := os.Chmod(pf, 0o644); err != nil {
		t.Fatal(err)
	}
	if r := runCmd(t, e.env, "verify", "--sign-in", "ada@example.com", "--password-file", pf); r.code != exitOK || !strings.Contains(r.errOut, "can be read by others (mode 0644)") {
		t.Errorf("readable file: %s", r)
	}
}

// TestReadPasswordFile: the first line only, without its line end, spaces
// kept; an empty first line is refused.
func TestReadPasswordFile(t *testing.T) {
	dir := t.TempDir()
	for content, want := range map[string]string{
		"  pass word \nsecond line\n": "  pass word ",
		"crlf\r\nnext":                "crlf",
		"no newline":                  "no newline",
		"\nsecond":                    "",
	} {
		p := filepath.Join(dir, "pw")
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		var errOut bytes.Buffer
		got, err := readPasswordFile(&stdio{Err: &errOut}, p)
		if want == "" {
			if err == nil {
				t.Errorf("%q: no error", content)
			}
			continue
		}
		if err != nil || got != want || errOut.Len() != 0 {
			t.Errorf("%q: %q %v %q", content, got, err, errOut.String())
		}
	}
}

// TestReadPasswordFromTerminal: on a terminal the prompt goes to stderr
// and the typed password is read without echo.
func TestReadPasswordFromTerminal(t *testing.T) {
	oldTerm, oldRead := passwordIsTerminal, terminalPassword
	t.Cleanup(func() { passwordIsTerminal, terminalPassword = oldTerm, oldRead })
	passwordIsTerminal = func(uintptr) bool { return true }
	terminalPassword = func(uintptr) ([]byte, error) { return []byte("Typed Pw!"), nil }
	var out, errOut bytes.Buffer
	got, err := readPassword(&stdio{In: os.Stdin, Out: &out, Err: &errOut}, "", "ada@example.com")
	if err != nil || got != "Typed Pw!" || out.Len() != 0 || !strings.Contains(errOut.String(), "Password for ada@example.com (not shown): ") {
		t.Fatalf("%q %v out=%q err=%q", got, err, out.String(), errOut.String())
	}
}

// TestReadPasswordInterrupted: Ctrl-C while the password is being typed
// ends the read with the context's error and puts the terminal's modes
// back (the echo is on again).
func TestReadPasswordInterrupted(t *testing.T) {
	oldTerm, oldRead, oldState, oldRestore := passwordIsTerminal, terminalPassword, terminalState, terminalRestore
	t.Cleanup(func() {
		passwordIsTerminal, terminalPassword, terminalState, terminalRestore = oldTerm, oldRead, oldState, oldRestore
	})
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	passwordIsTerminal = func(uintptr) bool { return true }
	terminalPassword = func(uintptr) ([]byte, error) { <-release; return nil, errors.New("released") }
	saved := &term.State{}
	terminalState = func(uintptr) (*term.State, error) { return saved, nil }
	restored := 0
	terminalRestore = func(_ uintptr, st *term.State) error {
		if st == saved {
			restored++
		}
		return nil
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var errOut bytes.Buffer
	_, err := readPasswordContext(ctx, &stdio{In: os.Stdin, Out: io.Discard, Err: &errOut}, "", "ada@example.com")
	if !errors.Is(err, context.Canceled) || restored != 1 {
		t.Fatalf("%v, restored %d", err, restored)
	}
	if code := exitCode(ctx, err, &stdio{Err: io.Discard}); code != exitInterrupted {
		t.Errorf("exit %d", code)
	}
}
