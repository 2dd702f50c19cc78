package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/authgear-migrate/authgear-migrate/importer/adminapi"
	"github.com/authgear-migrate/authgear-migrate/importer/sandbox"
)

// oauthCLIEnv is an in-process sandbox with a token key (the OAuth code
// path and its recorded client migrate-test) behind a test server that
// can serve another key set, and ada (password "Ada-Passw0rd!", role
// admin) imported.
type oauthCLIEnv struct {
	sb  *sandbox.Server
	srv *httptest.Server
	env map[string]string
	dir string
	ada string

	mu   sync.Mutex
	jwks []byte
}

func startOAuthCLIEnv(t *testing.T) *oauthCLIEnv {
	t.Helper()
	dir := t.TempDir()
	kp, err := sandbox.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	keyFile := filepath.Join(dir, "admin-key.pem")
	if err := kp.WriteKeyFile(keyFile); err != nil {
		t.Fatal(err)
	}
	sb, err := sandbox.New(sandbox.Options{ProjectID: "myapp", Keys: []sandbox.PublicKey{kp.PublicKey()}, TokenKey: kp, Roles: []string{"admin"}})
	if err != nil {
		t.Fatal(err)
	}
	e := &oauthCLIEnv{sb: sb, dir: dir}
	e.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.mu.Lock()
		jwks := e.jwks
		e.mu.Unlock()
		if r.URL.Path == "/oauth2/jwks" && jwks != nil {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write(jwks)
			return
		}
		sb.ServeHTTP(w, r)
	}))
	t.Cleanup(func() { e.srv.Close(); _ = sb.Close() })
	e.env = map[string]string{"AUTHGEAR_ENDPOINT": e.srv.URL, "AUTHGEAR_PROJECT_ID": "myapp", "AUTHGEAR_ADMIN_KEY_ID": kp.KID, "AUTHGEAR_ADMIN_KEY_FILE": keyFile}
	ep, err := adminapi.ParseEndpoint(e.srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	ts, err := adminapi.NewTokenSource(adminapi.Credentials{ProjectID: "myapp", KeyID: kp.KID, Key: kp.Private})
	if err != nil {
		t.Fatal(err)
	}
	api := adminapi.New(ep, ts, adminapi.WithRetry(3, time.Millisecond, time.Millisecond))
	body := fmt.Sprintf(`{"identifier":"email","records":[{"email":"ada@example.com","password":{"type":"bcrypt","password_hash":%q},"roles":["admin"]}]}`, bcryptOf(t, "Ada-Passw0rd!"))
	if _, err := api.CreateImport(context.Background(), []byte(body)); err != nil {
		t.Fatal(err)
	}
	if err := sb.WaitIdle(context.Background()); err != nil {
		t.Fatal(err)
	}
	u, ok := sb.UserByLoginID("email", "ada@example.com")
	if !ok {
		t.Fatal("ada not imported")
	}
	e.ada = u.ID
	return e
}

func (e *oauthCLIEnv) passwordFile(t *testing.T, pw string) string {
	t.Helper()
	p := filepath.Join(e.dir, fmt.Sprintf("pw-%d", time.Now().UnixNano()))
	if err := os.WriteFile(p, []byte(pw+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestVerifySignInOAuth (issue 16 item 1: "where the project issues
// them, the token's issuer, audience and roles"): verify --sign-in with
// --client-id and --redirect-uri signs in through the OAuth code path,
// shows the checked token's claims (never a token), ends what it created
// and exits 0; a wrong password is exit 3 as on the standalone path; a
// key set that does not hold the signing key is exit 1 with the reason.
func TestVerifySignInOAuth(t *testing.T) {
	e := startOAuthCLIEnv(t)
	client := []string{"--client-id", "migrate-test", "--redirect-uri", "http://127.0.0.1:9999/after-login"}
	r := runCmd(t, e.env, append([]string{"verify", "--sign-in", "ada@example.com", "--password-file", e.passwordFile(t, "Ada-Passw0rd!")}, client...)...)
	if r.code != exitOK {
		t.Fatalf("%s", r)
	}
	for _, want := range []string{
		"verify --sign-in ada@example.com: signed in by email as user " + e.ada,
		"  access token: signature checked against the project's key set (RS256, key ",
		"  issuer " + e.srv.URL + "; audience " + e.srv.URL + "; client migrate-test; lifetime 30 min (exp - iat)",
		"  subject " + e.ada + ": the user Authgear holds under this login ID",
		"  roles claim: admin",
		"  the refresh token this check received was revoked",
		"  the session this check created was ended",
	} {
		if !strings.Contains(r.out, want) {
			t.Errorf("want %q in\n%s", want, r)
		}
	}
	if strings.Contains(r.out+r.errOut, "eyJ") || strings.Contains(r.out+r.errOut, "Ada-Passw0rd!") {
		t.Errorf("a token or the password is printed:\n%s", r)
	}
	if s := e.sb.Sessions(e.ada); len(s) != 0 {
		t.Errorf("sessions left: %+v", s)
	}

	r = runCmd(t, e.env, append([]string{"verify", "--sign-in", "ada@example.com", "--password-file", e.passwordFile(t, "wrong-password")}, client...)...)
	if r.code != exitPartial || !strings.Contains(r.out, "refused: a wrong password") {
		t.Errorf("wrong password: %s", r)
	}

	other, err := sandbox.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	e.mu.Lock()
	e.jwks = other.JWKS()
	e.mu.Unlock()
	r = runCmd(t, e.env, append([]string{"verify", "--sign-in", "ada@example.com", "--password-file", e.passwordFile(t, "Ada-Passw0rd!")}, client...)...)
	if r.code != exitError || !strings.Contains(r.out, "the password is right, but the OAuth sign-in gave no token that verifies: ") ||
		!strings.Contains(r.out, "is not in the project's key set") || strings.Contains(r.out, "signed in by") {
		t.Errorf("foreign key set: %s", r)
	}
	if s := e.sb.Sessions(e.ada); len(s) != 0 {
		t.Errorf("sessions left after a refused token: %+v", s)
	}
}

// TestVerifySignInOAuthUsage: --client-id needs --redirect-uri (no
// default) and the reverse, a relative URI is refused, and an unknown
// client stops at the authorization endpoint; all before any password is
// read or sent (the password file does not exist).
func TestVerifySignInOAuthUsage(t *testing.T) {
	e := startOAuthCLIEnv(t)
	missing := filepath.Join(e.dir, "no-such-file")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--client-id", "migrate-test"}, "--client-id needs --redirect-uri URI"},
		{[]string{"--redirect-uri", "http://127.0.0.1:9999/after-login"}, "--redirect-uri goes with --client-id ID"},
		{[]string{"--client-id", "migrate-test", "--redirect-uri", "/after-login"}, "is not an absolute http(s) URL"},
	} {
		r := runCmd(t, e.env, append([]string{"verify", "--sign-in", "ada@example.com", "--password-file", missing}, c.args...)...)
		if r.code != exitUsage || !strings.Contains(r.errOut, c.want) {
			t.Errorf("%v: %s", c.args, r)
		}
	}
	if r := runCmd(t, e.env, "verify", "--client-id", "migrate-test"); r.code != exitUsage || !strings.Contains(r.errOut, "go with --sign-in LOGIN_ID") {
		t.Errorf("no --sign-in: %s", r)
	}
	r := runCmd(t, e.env, "verify", "--sign-in", "ada@example.com", "--password-file", e.passwordFile(t, "Ada-Passw0rd!"), "--client-id", "nope", "--redirect-uri", "http://127.0.0.1:9999/after-login")
	if r.code != exitError || !strings.Contains(r.errOut, "the authorization endpoint") || !strings.Contains(r.errOut, "unauthorized_client: invalid client ID") || !strings.Contains(r.errOut, "the password was not sent") {
		t.Errorf("unknown client: %s", r)
	}
	if _, ok := e.sb.LastLoginAt(e.ada); ok {
		t.Error("the last sign-in time moved")
	}
}
