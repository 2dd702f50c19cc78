package importer

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/authgear-migrate/authgear-migrate/importer/adminapi"
	"github.com/authgear-migrate/authgear-migrate/importer/sandbox"
)

// oauthEnv is an in-process sandbox with the OAuth code path (token key,
// the recorded client migrate-test) and users of known passwords: ada
// (role admin), off (disabled) and nopass (no password).
type oauthEnv struct {
	sb  *sandbox.Server
	srv *httptest.Server
	api *adminapi.Client

	mu sync.Mutex
	// jwks, when set, is served at /oauth2/jwks instead of the sandbox's.
	jwks []byte
	// seen counts the requests by path.
	seen map[string]int
	// reqs are the requests to the public endpoint's OAuth and flow
	// paths, in order.
	reqs []seenRequest
}

// seenRequest is one request as the server got it.
type seenRequest struct {
	method, path string
	query        url.Values
	body         []byte
	cookie       string
}

var (
	otherKeyOnce sync.Once
	otherKey     *sandbox.KeyPair
	otherKeyErr  error
)

// otherSandboxKey is a second RSA key, for a key set that does not match.
func otherSandboxKey(t testing.TB) *sandbox.KeyPair {
	t.Helper()
	otherKeyOnce.Do(func() { otherKey, otherKeyErr = sandbox.GenerateKey() })
	if otherKeyErr != nil {
		t.Fatal(otherKeyErr)
	}
	return otherKey
}

func startOAuthEnv(t *testing.T) *oauthEnv {
	t.Helper()
	kp := sandboxKey(t)
	sb, err := sandbox.New(sandbox.Options{ProjectID: "test", Keys: []sandbox.PublicKey{kp.PublicKey()}, TokenKey: kp, Roles: []string{"admin"}})
	if err != nil {
		t.Fatal(err)
	}
	e := &oauthEnv{sb: sb, seen: map[string]int{}}
	e.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body []byte
		if r.Body != nil {
			body, _ = io.ReadAll(r.Body)
			r.Body = io.NopCloser(bytes.NewReader(body))
		}
		e.mu.Lock()
		e.seen[r.URL.Path]++
		if !strings.HasPrefix(r.URL.Path, "/_api/") {
			e.reqs = append(e.reqs, seenRequest{r.Method, r.URL.Path, r.URL.Query(), body, r.Header.Get("Cookie")})
		}
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
	ep, err := adminapi.ParseEndpoint(e.srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	ts, err := adminapi.NewTokenSource(adminapi.Credentials{ProjectID: "test", KeyID: kp.KID, Key: kp.Private})
	if err != nil {
		t.Fatal(err)
	}
	e.api = adminapi.New(ep, ts, adminapi.WithRetry(3, time.Millisecond, time.Millisecond))
	hash := func(pw string) string {
		h, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.MinCost)
		if err != nil {
			t.Fatal(err)
		}
		return string(h)
	}
	body := fmt.Sprintf(`{"identifier":"email","records":[
		{"email":"ada@example.com","password":{"type":"bcrypt","password_hash":%q},"roles":["admin"]},
		{"email":"off@example.com","password":{"type":"bcrypt","password_hash":%q},"disabled":true},
		{"email":"nopass@example.com"},
		{"email":"weak@example.com","password":{"type":"bcrypt","password_hash":%q}}]}`, hash("Ada-Passw0rd!"), hash("Off-Passw0rd!"), hash("abc123"))
	if _, err := e.api.CreateImport(context.Background(), []byte(body)); err != nil {
		t.Fatal(err)
	}
	if err := sb.WaitIdle(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(sb.Users()) != 4 {
		t.Fatalf("%d users imported", len(sb.Users()))
	}
	return e
}

func (e *oauthEnv) user(t *testing.T, email string) string {
	t.Helper()
	u, ok := e.sb.UserByLoginID("email", email)
	if !ok {
		t.Fatalf("%s not imported", email)
	}
	return u.ID
}

func (e *oauthEnv) check(login, pw string, api *adminapi.Client) SignInCheck {
	return SignInCheck{PublicEndpoint: e.srv.URL, LoginID: login, Password: pw, API: api,
		ClientID: sandbox.DefaultOAuthClient.ID, RedirectURI: sandbox.DefaultOAuthClient.RedirectURIs[0]}
}

// sessionIDs are the ids of a user's live sessions and grants, sorted.
func (e *oauthEnv) sessionIDs(userID string) []string {
	var out []string
	for _, s := range e.sb.Sessions(userID) {
		out = append(out, s.Type+":"+s.ID)
	}
	sort.Strings(out)
	return out
}

// ownSessions gives ada a session and a grant of her own: a standalone
// sign-in and an OAuth sign-in, as her browser and app would.
func (e *oauthEnv) ownSessions(t *testing.T) {
	t.Helper()
	body := `{"type":"login","name":"default","batch_input":[{"identification":"email","login_id":"ada@example.com"},{"authentication":"primary_password","password":"Ada-Passw0rd!"}]}`
	resp, err := http.Post(e.srv.URL+AuthFlowPath, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("own sign-in: %d", resp.StatusCode)
	}
	if _, err := sandbox.OAuthSignIn(context.Background(), nil, e.srv.URL, sandbox.DefaultOAuthClient, "email", "ada@example.com", "Ada-Passw0rd!"); err != nil {
		t.Fatal(err)
	}
}

// TestSignInOAuthAgainstSandbox (issue 16 item 1, the token's issuer,
// audience and roles): through the OAuth code path the check signs ada
// in, checks the access token's signature against the project's key set
// and reports iss, aud, client, roles, exp - iat and that sub is the user
// the Admin API holds; it then revokes the refresh token and ends the IdP
// session it created, and only those: ada's own session and grant stay.
func TestSignInOAuthAgainstSandbox(t *testing.T) {
	e := startOAuthEnv(t)
	ada := e.user(t, "ada@example.com")
	e.ownSessions(t)
	before := e.sessionIDs(ada)
	if len(before) != 3 { // IDP (standalone), IDP + OFFLINE_GRANT (OAuth)
		t.Fatalf("ada's own sessions: %v", before)
	}
	res, err := SignIn(context.Background(), e.check("ada@example.com", "Ada-Passw0rd!", e.api))
	if err != nil {
		t.Fatal(err)
	}
	tok := res.Token
	if res.Outcome != SignInSucceeded || !res.Succeeded() || res.TokenRefused != "" || tok == nil || SignInExitCode(res, nil) != ExitOK {
		t.Fatalf("result: %+v", res)
	}
	if res.UserID != ada || tok.Subject != ada || !tok.SubjectChecked || !tok.SubjectIsUser {
		t.Errorf("subject: %+v (ada %s)", tok, ada)
	}
	if tok.Issuer != e.srv.URL || !slices.Equal(tok.Audience, []string{e.srv.URL}) || tok.ClientID != "migrate-test" || tok.KeyID != sandboxKey(t).KID {
		t.Errorf("iss/aud/client/kid: %+v", tok)
	}
	if !tok.RolesSent || !slices.Equal(tok.Roles, []string{"admin"}) || tok.Lifetime != 30*time.Minute {
		t.Errorf("roles/lifetime: %+v", tok)
	}
	if !slices.Equal(tok.Methods, []string{"pwd", "x_primary_password"}) || !slices.Equal(tok.IDTokenAudience, []string{"migrate-test"}) || tok.IDTokenLifetime != 5*time.Minute {
		t.Errorf("amr / ID token: %+v", tok)
	}
	if !res.GrantEnded || !res.SessionEnded || !res.LastLoginChanged {
		t.Errorf("clean-up: %+v", res)
	}
	if after := e.sessionIDs(ada); !slices.Equal(after, before) {
		t.Errorf("sessions after the check %v, want ada's own %v", after, before)
	}
	text := strings.Join(res.Lines(), "\n")
	for _, want := range []string{
		"signed in by email as user " + ada,
		"access token: signature checked against the project's key set (RS256, key " + sandboxKey(t).KID + ")",
		"issuer " + e.srv.URL + "; audience " + e.srv.URL + "; client migrate-test; lifetime 30 min (exp - iat)",
		"subject " + ada + ": the user Authgear holds under this login ID",
		"roles claim: admin",
		"the refresh token this check received was revoked",
		"the session this check created was ended",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("want %q in\n%s", want, text)
		}
	}
	if strings.Contains(text, "eyJ") || strings.Contains(text, "Ada-Passw0rd!") {
		t.Errorf("a token or the password is shown:\n%s", text)
	}
	e.mu.Lock()
	revokes := e.seen[RevokePath]
	e.mu.Unlock()
	if revokes != 1 {
		t.Errorf("%d calls of %s, want 1", revokes, RevokePath)
	}
}

// TestSignInOAuthRefusesATokenThatDoesNotVerify: a project whose key set
// does not hold the key that signed the token (another key under the same
// kid; or another kid) gets no "signed in": the password is right, the
// token is refused, exit 1, and the check still ends what it created.
func TestSignInOAuthRefusesATokenThatDoesNotVerify(t *testing.T) {
	e := startOAuthEnv(t)
	ada := e.user(t, "ada@example.com")
	other := otherSandboxKey(t)
	sameKID := *other
	sameKID.KID = sandboxKey(t).KID
	for _, c := range []struct {
		name string
		jwks []byte
		want string
	}{
		{"same kid, another key", sameKID.JWKS(), "the access token's signature does not verify against key " + sandboxKey(t).KID},
		{"another kid", other.JWKS(), "the token's key " + sandboxKey(t).KID + " is not in the project's key set"},
	} {
		e.mu.Lock()
		e.jwks = c.jwks
		e.mu.Unlock()
		res, err := SignIn(context.Background(), e.check("ada@example.com", "Ada-Passw0rd!", e.api))
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if !strings.Contains(res.TokenRefused, c.want) || res.Token != nil || !res.PasswordRight || res.Succeeded() || SignInExitCode(res, nil) != ExitError {
			t.Errorf("%s: %+v", c.name, res)
		}
		if lines := res.Lines(); !strings.HasPrefix(lines[0], "the password is right, but the OAuth sign-in gave no token that verifies: ") || strings.Contains(strings.Join(lines, "\n"), "signed in") {
			t.Errorf("%s: lines %q", c.name, lines)
		}
		if !res.GrantEnded || !res.SessionEnded || len(e.sessionIDs(ada)) != 0 {
			t.Errorf("%s: clean-up %+v, sessions left %v", c.name, res, e.sessionIDs(ada))
		}
	}
}

// TestSignInOAuthOutcomes: the flow answers as on the standalone path
// (s04 = s03): a wrong password, no password, an unknown user and a
// disabled user are the same outcomes, with no token, nothing left behind
// and no code exchanged; a weak right password is change_password, not
// answered.
func TestSignInOAuthOutcomes(t *testing.T) {
	e := startOAuthEnv(t)
	for _, c := range []struct {
		login, pw string
		want      SignInOutcome
	}{
		{"ada@example.com", "wrong-password", SignInWrongPassword},
		{"nopass@example.com", "anything", SignInWrongPassword},
		{"nobody@example.com", "Ada-Passw0rd!", SignInUnknownUser},
		{"off@example.com", "Off-Passw0rd!", SignInDisabled},
	} {
		res, err := SignIn(context.Background(), e.check(c.login, c.pw, e.api))
		if err != nil {
			t.Fatalf("%s: %v", c.login, err)
		}
		if res.Outcome != c.want || res.Token != nil || res.LastLoginChanged || res.GrantEnded || SignInExitCode(res, nil) != ExitPartial {
			t.Errorf("%s: %+v", c.login, res)
		}
	}
	for _, u := range e.sb.Users() {
		if s := e.sb.Sessions(u.ID); len(s) != 0 {
			t.Errorf("%s: sessions %v", u.ID, s)
		}
	}
	// A right password weaker than the policy: a success that says so,
	// and the change_password step is not answered (s15).
	res, err := SignIn(context.Background(), e.check("weak@example.com", "abc123", e.api))
	if err != nil || res.Outcome != SignInMustChangePassword || !res.Succeeded() || res.Token != nil || res.NextStep != "change_password" || SignInExitCode(res, nil) != ExitOK {
		t.Errorf("weak: %+v %v", res, err)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.seen[AuthorizePath] != 5 || e.seen[TokenPath] != 0 || e.seen["/oauth2/consent"] != 0 || e.seen[AuthFlowPath] != 5 {
		t.Errorf("requests: %v", e.seen)
	}
}

// TestSignInOAuthWithoutAdminKey: without the Admin API the refresh token
// is still revoked at /oauth2/revoke, which the check confirms by a
// refresh that must fail; the IdP session is left and the result says so.
// The subject is reported as not compared.
func TestSignInOAuthWithoutAdminKey(t *testing.T) {
	e := startOAuthEnv(t)
	ada := e.user(t, "ada@example.com")
	res, err := SignIn(context.Background(), e.check("ada@example.com", "Ada-Passw0rd!", nil))
	if err != nil {
		t.Fatal(err)
	}
	if res.Token == nil || res.Token.SubjectChecked || res.UserID != ada || !res.GrantEnded || res.SessionEnded || SignInExitCode(res, nil) != ExitOK {
		t.Fatalf("result: %+v", res)
	}
	left := e.sb.Sessions(ada)
	if len(left) != 1 || left[0].Type != "IDP" {
		t.Errorf("sessions left: %+v, want the IdP session only", left)
	}
	text := strings.Join(res.Lines(), "\n")
	for _, want := range []string{"not compared with the user Authgear holds", "the refresh token this check received was revoked", "ending it needs the Admin API key"} {
		if !strings.Contains(text, want) {
			t.Errorf("want %q in\n%s", want, text)
		}
	}
}

// TestSignInOAuthUsage: a client needs a redirect URI and the reverse; a
// client or redirect URI the project does not have stops at the
// authorization endpoint, before the password is sent.
func TestSignInOAuthUsage(t *testing.T) {
	e := startOAuthEnv(t)
	for _, c := range []struct {
		check SignInCheck
		want  error
	}{
		{SignInCheck{PublicEndpoint: e.srv.URL, LoginID: "ada@example.com", Password: "x", ClientID: "migrate-test"}, ErrSignInNoRedirectURI},
		{SignInCheck{PublicEndpoint: e.srv.URL, LoginID: "ada@example.com", Password: "x", RedirectURI: "http://127.0.0.1:9999/after-login"}, ErrSignInNoClient},
		{SignInCheck{PublicEndpoint: e.srv.URL, LoginID: "ada@example.com", Password: "x", ClientID: "migrate-test", RedirectURI: "/after-login"}, ErrSignInUsage},
		{SignInCheck{PublicEndpoint: e.srv.URL, LoginID: "ada@example.com", Password: "x", ClientID: "migrate-test", RedirectURI: "http://127.0.0.1:9999/cb#frag"}, ErrSignInUsage},
	} {
		_, err := SignIn(context.Background(), c.check)
		if !errors.Is(err, c.want) || SignInExitCode(SignInResult{}, err) != ExitRefused {
			t.Errorf("%q %q: %v", c.check.ClientID, c.check.RedirectURI, err)
		}
		if cerr := CheckSignInOAuth(c.check.ClientID, c.check.RedirectURI); !errors.Is(cerr, c.want) {
			t.Errorf("CheckSignInOAuth(%q, %q) = %v", c.check.ClientID, c.check.RedirectURI, cerr)
		}
	}
	if err := CheckSignInOAuth("", ""); err != nil {
		t.Errorf("no client: %v", err)
	}
	for _, c := range []struct{ client, uri, want string }{
		{"nope", "http://127.0.0.1:9999/after-login", "unauthorized_client: invalid client ID"},
		{"migrate-test", "http://127.0.0.1:9999/other", "invalid_request: redirect URI is not allowed"},
	} {
		ch := e.check("ada@example.com", "Ada-Passw0rd!", e.api)
		ch.ClientID, ch.RedirectURI = c.client, c.uri
		_, err := SignIn(context.Background(), ch)
		var oe *SignInOAuthError
		if !errors.As(err, &oe) || oe.Step != "authorize" || oe.Status != http.StatusBadRequest || !strings.Contains(err.Error(), c.want) || SignInExitCode(SignInResult{}, err) != ExitError {
			t.Errorf("%s %s: %v", c.client, c.uri, err)
		}
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.seen[AuthFlowPath] != 0 {
		t.Errorf("the password was sent: %v", e.seen)
	}
	if _, ok := e.sb.LastLoginAt(e.user(t, "ada@example.com")); ok {
		t.Error("the last sign-in time moved")
	}
}

// TestSignInOAuthRequestsAsRecorded: the requests of the OAuth path are
// the ones s04 recorded, in order, with no cookie anywhere: discovery and
// the key set, authorize (code, S256 challenge of the verifier sent
// later, scope openid offline_access, a state), the flow created with
// url_query "client_id=...&x_ref=<the Location's x_ref>" and batch_input,
// the finish_redirect_uri, the code exchange with the code_verifier and no
// secret, then the revocation of the refresh token.
func TestSignInOAuthRequestsAsRecorded(t *testing.T) {
	e := startOAuthEnv(t)
	res, err := SignIn(context.Background(), e.check("ada@example.com", "Ada-Passw0rd!", nil))
	if err != nil || res.Token == nil {
		t.Fatalf("%+v %v", res, err)
	}
	e.mu.Lock()
	reqs := append([]seenRequest(nil), e.reqs...)
	e.mu.Unlock()
	var paths []string
	for _, r := range reqs {
		paths = append(paths, r.method+" "+r.path)
		if r.cookie != "" && r.path != UserinfoPath {
			t.Errorf("%s %s sent a cookie", r.method, r.path)
		}
	}
	want := []string{"GET " + DiscoveryPath, "GET /oauth2/jwks", "GET " + AuthorizePath, "POST " + AuthFlowPath,
		"GET /oauth2/consent", "POST " + TokenPath, "POST " + RevokePath, "POST " + TokenPath}
	if !slices.Equal(paths, want) {
		t.Fatalf("requests:\n%v\nwant\n%v", paths, want)
	}
	az := reqs[2].query
	if az.Get("client_id") != "migrate-test" || az.Get("response_type") != "code" || az.Get("redirect_uri") != "http://127.0.0.1:9999/after-login" ||
		az.Get("scope") != "openid offline_access" || az.Get("code_challenge_method") != "S256" || az.Get("state") == "" || az.Get("code_challenge") == "" {
		t.Errorf("authorize: %v", az)
	}
	var flow struct {
		Type       string              `json:"type"`
		Name       string              `json:"name"`
		URLQuery   string              `json:"url_query"`
		BatchInput []map[string]string `json:"batch_input"`
	}
	if err := json.Unmarshal(reqs[3].body, &flow); err != nil {
		t.Fatal(err)
	}
	uq, err := url.ParseQuery(flow.URLQuery)
	if err != nil || flow.Type != "login" || flow.Name != "default" || uq.Get("client_id") != "migrate-test" || len(uq.Get("x_ref")) != 32 || len(uq) != 2 ||
		len(flow.BatchInput) != 2 || flow.BatchInput[0]["login_id"] != "ada@example.com" || flow.BatchInput[1]["authentication"] != "primary_password" {
		t.Errorf("flow: %s", reqs[3].body)
	}
	tf, err := url.ParseQuery(string(reqs[5].body))
	if err != nil || tf.Get("grant_type") != "authorization_code" || tf.Get("client_id") != "migrate-test" || tf.Get("code") == "" ||
		tf.Get("redirect_uri") != "http://127.0.0.1:9999/after-login" || tf.Has("client_secret") ||
		signInPKCE(tf.Get("code_verifier")) != az.Get("code_challenge") || len(tf.Get("code_verifier")) < 43 {
		t.Errorf("token: %v", tf)
	}
	rf, err := url.ParseQuery(string(reqs[6].body))
	if err != nil || rf.Get("client_id") != "migrate-test" || !strings.Contains(rf.Get("token"), ".") {
		t.Errorf("revoke: %v", rf)
	}
	// The confirmation is a refresh of the revoked token, refused.
	cf, _ := url.ParseQuery(string(reqs[7].body))
	if cf.Get("grant_type") != "refresh_token" || cf.Get("refresh_token") != rf.Get("token") || !res.GrantEnded {
		t.Errorf("confirmation: %v, %+v", cf, res)
	}
}

func TestSignInTokenLifetime(t *testing.T) {
	for d, want := range map[time.Duration]string{30 * time.Minute: "30 min", 5 * time.Minute: "5 min", 90 * time.Second: "90 s",
		2 * time.Hour: "2 h", 90 * time.Minute: "1 h 30 min", 0: "none"} {
		if got := signInTokenLifetime(d); got != want {
			t.Errorf("%s: %q, want %q", d, got, want)
		}
	}
}
