package sandbox

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
	"golang.org/x/text/unicode/norm"
)

// newFakeClock starts at the real time (the Admin API tokens of the
// helpers are signed with it) and moves only when told.
func newFakeClock() *fakeClock { return &fakeClock{now: time.Now().Truncate(time.Second)} }

// bcryptHash hashes pw at cost 4 (the tests' speed), or takes the hash as
// given when pw starts with "$2".
func bcryptHash(t testing.TB, pw string) string {
	t.Helper()
	b := []byte(pw)
	if len(b) > 72 {
		b = b[:72] // as PHP's password_hash does: the rest is ignored
	}
	h, err := bcrypt.GenerateFromPassword(b, bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	return string(h)
}

// signInServer is a sandbox with email, phone and username login IDs, a
// fake clock, and the users of recs imported.
func signInServer(t *testing.T, recs ...string) (*Server, *httptest.Server, *fakeClock) {
	t.Helper()
	clock := newFakeClock()
	s, hs := newTestServer(t, Options{LoginIDTypes: []string{"email", "phone", "username"}, Now: clock.Now})
	for _, rec := range recs {
		var m map[string]any
		if err := json.Unmarshal([]byte(rec), &m); err != nil {
			t.Fatal(err)
		}
		ident := "email"
		for _, f := range []string{"phone_number", "preferred_username"} {
			if _, ok := m[f]; ok && m["email"] == nil {
				ident = f
			}
		}
		res := importAndWait(t, s, hs, `{"identifier":"`+ident+`","records":[`+rec+`]}`)
		if summaryOf(t, res).Failed != 0 {
			t.Fatalf("import %s: %v", rec, res)
		}
	}
	return s, hs, clock
}

func pwRecord(t testing.TB, field, value, pw string) string {
	hash := pw
	if !strings.HasPrefix(pw, "$2") {
		hash = bcryptHash(t, pw)
	}
	return fmt.Sprintf(`{%q:%q,"password":{"type":"bcrypt","password_hash":%q}}`, field, value, hash)
}

type flowAnswer struct {
	status  int
	header  http.Header
	body    map[string]any
	cookies []string
}

func (a flowAnswer) action() string {
	res, _ := a.body["result"].(map[string]any)
	act, _ := res["action"].(map[string]any)
	s, _ := act["type"].(string)
	return s
}

func (a flowAnswer) stateToken() string {
	res, _ := a.body["result"].(map[string]any)
	s, _ := res["state_token"].(string)
	return s
}

func (a flowAnswer) reason() string {
	e, _ := a.body["error"].(map[string]any)
	s, _ := e["reason"].(string)
	return s
}

func (a flowAnswer) cookie(name string) string {
	for _, c := range a.cookies {
		if v, ok := strings.CutPrefix(c, name+"="); ok {
			v, _, _ = strings.Cut(v, ";")
			return v
		}
	}
	return ""
}

// flowPost posts a JSON body to the flow API (path relative), with
// optional extra headers as "Name: value".
func flowPost(t testing.TB, hs *httptest.Server, path string, body any, headers ...string) flowAnswer {
	t.Helper()
	b, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, hs.URL+path, strings.NewReader(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "python-requests/2.34.0")
	for _, h := range headers {
		k, v, _ := strings.Cut(h, ": ")
		req.Header.Set(k, v)
	}
	resp, err := hs.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&m)
	return flowAnswer{status: resp.StatusCode, header: resp.Header, body: m, cookies: resp.Header.Values("Set-Cookie")}
}

func createFlow(t testing.TB, hs *httptest.Server) flowAnswer {
	t.Helper()
	a := flowPost(t, hs, flowsPath, map[string]any{"type": "login", "name": "default"})
	if a.status != 200 || a.action() != "identify" {
		t.Fatalf("create: %d %v", a.status, a.body)
	}
	return a
}

func identifyInput(t testing.TB, hs *httptest.Server, token, ident, loginID string) flowAnswer {
	t.Helper()
	return flowPost(t, hs, flowInputPath, map[string]any{"state_token": token, "input": map[string]any{"identification": ident, "login_id": loginID}})
}

func passwordInput(t testing.TB, hs *httptest.Server, token, pw string) flowAnswer {
	t.Helper()
	return flowPost(t, hs, flowInputPath, map[string]any{"state_token": token, "input": map[string]any{"authentication": "primary_password", "password": pw}})
}

// signInSteps runs create, identify and password; it returns the last
// answer (or the identify's when that failed).
func signInSteps(t testing.TB, hs *httptest.Server, ident, loginID, pw string) flowAnswer {
	t.Helper()
	c := createFlow(t, hs)
	id := identifyInput(t, hs, c.stateToken(), ident, loginID)
	if id.status != 200 {
		return id
	}
	if id.action() != "authenticate" {
		t.Fatalf("identify: %v", id.body)
	}
	return passwordInput(t, hs, id.stateToken(), pw)
}

// s03: the standalone login flow finishes with data {} and the session
// cookies, sets lastLoginAt and leaves one IdP session.
func TestSignInStandaloneFlowFinishes(t *testing.T) {
	s, hs, clock := signInServer(t, pwRecord(t, "email", "s03@example.com", "S03-Passw0rd!"))
	c := createFlow(t, hs)
	if c.cookie("csp_nonce") == "" {
		t.Errorf("create sets no csp_nonce: %v", c.cookies)
	}
	opts := c.body["result"].(map[string]any)["action"].(map[string]any)["data"]
	if !jsonEqual(opts, `{"type":"identification_data","options":[{"identification":"email"},{"identification":"phone"},{"identification":"username"}]}`) {
		t.Errorf("identify data = %v", opts)
	}
	id := identifyInput(t, hs, c.stateToken(), "email", "s03@example.com")
	if id.status != 200 || id.stateToken() == c.stateToken() {
		t.Fatalf("identify: %d %v", id.status, id.body)
	}
	data := id.body["result"].(map[string]any)["action"].(map[string]any)["data"]
	if !jsonEqual(data, `{"type":"authentication_data","options":[{"authentication":"primary_password"}],"device_token_enabled":false}`) {
		t.Errorf("authenticate data = %v", data)
	}
	fin := passwordInput(t, hs, id.stateToken(), "S03-Passw0rd!")
	if fin.status != 200 || fin.action() != "finished" {
		t.Fatalf("password: %d %v", fin.status, fin.body)
	}
	if !jsonEqual(fin.body["result"].(map[string]any)["action"], `{"type":"finished","data":{}}`) {
		t.Errorf("finished = %v", fin.body)
	}
	sess := fin.cookie("session")
	if id, secret, ok := strings.Cut(sess, "."); !ok || len(id) != 36 || len(secret) != 32 {
		t.Errorf("session cookie = %q", sess)
	}
	if fin.cookie("same_site_strict") != "true" {
		t.Errorf("no same_site_strict cookie: %v", fin.cookies)
	}
	for _, c := range fin.cookies {
		if strings.HasPrefix(c, "session=") && c != "session="+sess+"; Path=/; Max-Age=31449600; HttpOnly; SameSite=Lax" {
			t.Errorf("session cookie attributes: %q", c)
		}
	}
	u, _ := s.UserByLoginID("email", "s03@example.com")
	if at, ok := s.LastLoginAt(u.ID); !ok || !at.Equal(clock.Now()) {
		t.Errorf("lastLoginAt = %v %v, want %v", at, ok, clock.Now())
	}
	list := s.Sessions(u.ID)
	if len(list) != 1 || list[0].Type != "IDP" || list[0].ClientID != "" || list[0].DisplayName != "Python Requests 2.34" || !strings.HasPrefix(sess, list[0].ID+".") {
		t.Errorf("sessions = %+v", list)
	}
	// Every state of a finished flow is gone (s19).
	for _, tok := range []string{c.stateToken(), id.stateToken(), fin.stateToken()} {
		if a := passwordInput(t, hs, tok, "S03-Passw0rd!"); a.status != 404 || a.reason() != "AuthenticationFlowNotFound" || a.body["result"] != nil {
			t.Errorf("input to %s after finish: %d %v", tok, a.status, a.body)
		}
	}
}

// s18: batch_input runs the sign-in in one request; an error shows the
// flow's first state.
func TestSignInBatchInput(t *testing.T) {
	_, hs, _ := signInServer(t, pwRecord(t, "email", "s18@example.com", "S18-Passw0rd!"))
	batch := func(pw, email string) flowAnswer {
		return flowPost(t, hs, flowsPath, map[string]any{"type": "login", "name": "default", "batch_input": []any{
			map[string]any{"identification": "email", "login_id": email},
			map[string]any{"authentication": "primary_password", "password": pw},
		}})
	}
	if a := batch("S18-Passw0rd!", "s18@example.com"); a.status != 200 || a.action() != "finished" || a.cookie("session") == "" {
		t.Errorf("right: %d %v", a.status, a.body)
	}
	if a := batch("wrong", "s18@example.com"); a.status != 401 || a.reason() != "InvalidCredentials" || a.action() != "identify" {
		t.Errorf("wrong: %d %v", a.status, a.body)
	}
	if a := batch("S18-Passw0rd!", "nobody@example.com"); a.status != 404 || a.reason() != "UserNotFound" || a.action() != "identify" {
		t.Errorf("unknown: %d %v", a.status, a.body)
	}
	c := createFlow(t, hs)
	a := flowPost(t, hs, flowInputPath, map[string]any{"state_token": c.stateToken(), "batch_input": []any{
		map[string]any{"identification": "email", "login_id": "S18@Example.com"},
		map[string]any{"authentication": "primary_password", "password": "S18-Passw0rd!"},
	}})
	if a.status != 200 || a.action() != "finished" {
		t.Errorf("states/input batch: %d %v", a.status, a.body)
	}
}

// s05: the 11th failure on a user within a minute is 429 with the bucket
// recorded; the right password is 429 too while limited, and works once a
// token is back (6 s later, by the injected clock).
func TestSignInWrongPasswordRateLimit(t *testing.T) {
	_, hs, clock := signInServer(t, pwRecord(t, "email", "s05@example.com", "S05-Passw0rd!"))
	c := createFlow(t, hs)
	id := identifyInput(t, hs, c.stateToken(), "email", "s05@example.com")
	for i := 1; i <= 10; i++ {
		a := passwordInput(t, hs, id.stateToken(), fmt.Sprintf("wrong-password-%d", i))
		if a.status != 401 || a.reason() != "InvalidCredentials" || a.stateToken() != id.stateToken() {
			t.Fatalf("attempt %d: %d %v", i, a.status, a.body)
		}
		if !jsonEqual(a.body["error"].(map[string]any)["info"], `{"AuthenticationType":"password","FlowType":"login"}`) {
			t.Errorf("401 info = %v", a.body["error"])
		}
	}
	a := passwordInput(t, hs, id.stateToken(), "wrong-password-11")
	if a.status != 429 || a.reason() != "RateLimited" || a.stateToken() != id.stateToken() {
		t.Fatalf("11th: %d %v", a.status, a.body)
	}
	wantInfo := `{"FlowType":"login","bucket_name":"VerifyPasswordPerUserPerIP","rate_limit":{"name":"authentication.password.per_user_per_ip","group":"authentication.password"},"rate_limit_name":"authentication.password"}`
	if e := a.body["error"].(map[string]any); !jsonEqual(e["info"], wantInfo) || e["name"] != "TooManyRequest" || e["message"] != "request rate limited" {
		t.Errorf("429 error = %v", e)
	}
	if a.header.Get("Retry-After") != "" {
		t.Errorf("Retry-After = %q", a.header.Get("Retry-After"))
	}
	if a := passwordInput(t, hs, id.stateToken(), "S05-Passw0rd!"); a.status != 429 {
		t.Errorf("right password while limited: %d %v", a.status, a.body)
	}
	clock.Advance(7 * time.Second)
	if a := passwordInput(t, hs, id.stateToken(), "S05-Passw0rd!"); a.status != 200 || a.action() != "finished" {
		t.Errorf("right password 7 s later: %d %v", a.status, a.body)
	}
}

// Successes do not use the bucket up (s21): many right passwords in a row
// all finish.
func TestSignInSuccessesAreNotRateLimited(t *testing.T) {
	_, hs, _ := signInServer(t, pwRecord(t, "email", "ok@example.com", "Ok-Passw0rd!"))
	for i := 0; i < 15; i++ {
		if a := signInSteps(t, hs, "email", "ok@example.com", "Ok-Passw0rd!"); a.status != 200 {
			t.Fatalf("sign-in %d: %d %v", i, a.status, a.body)
		}
	}
}

// s06: unknown login IDs are 404 UserNotFound (a malformed e-mail too);
// the 11th from one IP is 429 AccountEnumerationPerIP, and then a known
// user is limited as well until a token is back.
func TestSignInUnknownUserAndEnumerationLimit(t *testing.T) {
	_, hs, clock := signInServer(t, pwRecord(t, "email", "known@example.com", "Known-Passw0rd!"))
	c := createFlow(t, hs)
	a := identifyInput(t, hs, c.stateToken(), "email", "not-an-email")
	if a.status != 404 || a.reason() != "UserNotFound" || a.stateToken() != c.stateToken() {
		t.Fatalf("malformed: %d %v", a.status, a.body)
	}
	if !jsonEqual(a.body["error"].(map[string]any)["info"], `{"FlowType":"login","IdentityTypeIncoming":"login_id","LoginIDTypeIncoming":"email"}`) {
		t.Errorf("404 info = %v", a.body["error"])
	}
	for i := 2; i <= 10; i++ {
		if a := identifyInput(t, hs, c.stateToken(), "email", fmt.Sprintf("nobody%d@example.com", i)); a.status != 404 {
			t.Fatalf("unknown %d: %d", i, a.status)
		}
	}
	a = identifyInput(t, hs, c.stateToken(), "email", "nobody11@example.com")
	if a.status != 429 || a.body["error"].(map[string]any)["info"].(map[string]any)["bucket_name"] != "AccountEnumerationPerIP" {
		t.Fatalf("11th unknown: %d %v", a.status, a.body)
	}
	if a := identifyInput(t, hs, c.stateToken(), "email", "known@example.com"); a.status != 429 {
		t.Errorf("known while limited: %d", a.status)
	}
	clock.Advance(7 * time.Second)
	if a := identifyInput(t, hs, c.stateToken(), "email", "known@example.com"); a.status != 200 || a.action() != "authenticate" {
		t.Errorf("known 7 s later: %d %v", a.status, a.body)
	}
	a = identifyInput(t, hs, c.stateToken(), "oauth", "x@example.com")
	if a.status != 400 || a.reason() != "ValidationFailed" || len(a.body["error"].(map[string]any)["info"].(map[string]any)["causes"].([]any)) != 3 {
		t.Errorf("identification oauth: %d %v", a.status, a.body)
	}
}

// s07, s08, s19: no password and an empty password are 401 like a wrong
// one; a disabled user gets 403 DisabledUser only after the right password,
// and no cookie.
func TestSignInNoPasswordAndDisabledUser(t *testing.T) {
	s, hs, _ := signInServer(t, `{"email":"nopw@example.com"}`, pwRecord(t, "email", "off@example.com", "S08-Passw0rd!"))
	if a := signInSteps(t, hs, "email", "nopw@example.com", "anything"); a.status != 401 || a.reason() != "InvalidCredentials" {
		t.Errorf("no password: %d %v", a.status, a.body)
	}
	if a := signInSteps(t, hs, "email", "nopw@example.com", ""); a.status != 401 || a.reason() != "InvalidCredentials" {
		t.Errorf("no password, empty: %d %v", a.status, a.body)
	}
	if a := signInSteps(t, hs, "email", "off@example.com", ""); a.status != 401 {
		t.Errorf("empty password: %d %v", a.status, a.body)
	}
	u, _ := s.UserByLoginID("email", "off@example.com")
	if err := s.EditUser(u.ID, func(u User) User { u.Disabled = true; return u }); err != nil {
		t.Fatal(err)
	}
	if a := signInSteps(t, hs, "email", "off@example.com", "Wrong-Passw0rd!"); a.status != 401 {
		t.Errorf("disabled, wrong: %d %v", a.status, a.body)
	}
	a := signInSteps(t, hs, "email", "off@example.com", "S08-Passw0rd!")
	if a.status != 403 || a.reason() != "DisabledUser" || a.cookie("session") != "" || a.action() != "authenticate" {
		t.Errorf("disabled, right: %d %v %v", a.status, a.body, a.cookies)
	}
	if !jsonEqual(a.body["error"].(map[string]any)["info"], `{"FlowType":"login","reason":null}`) {
		t.Errorf("403 info = %v", a.body["error"])
	}
	if _, ok := s.LastLoginAt(u.ID); ok {
		t.Error("a refused sign-in set lastLoginAt")
	}
}

// s15: a right password shorter than 8 gets change_password (no cookie);
// a short new password is refused, a long one finishes and replaces it.
func TestSignInWeakPasswordMustChange(t *testing.T) {
	_, hs, _ := signInServer(t, pwRecord(t, "email", "weak@example.com", "abc12"), pwRecord(t, "email", "eight@example.com", "12345678"))
	a := signInSteps(t, hs, "email", "weak@example.com", "abc12")
	if a.status != 200 || a.action() != "change_password" || a.cookie("session") != "" {
		t.Fatalf("weak: %d %v", a.status, a.body)
	}
	if !jsonEqual(a.body["result"].(map[string]any)["action"].(map[string]any)["data"], `{"type":"new_password_data","password_policy":{"minimum_length":8,"history":{"enabled":false}},"force_change_reason":"policy"}`) {
		t.Errorf("change_password data = %v", a.body)
	}
	short := flowPost(t, hs, flowInputPath, map[string]any{"state_token": a.stateToken(), "input": map[string]any{"new_password": "abc"}})
	if short.status != 400 || short.reason() != "PasswordPolicyViolated" || short.stateToken() != a.stateToken() {
		t.Errorf("short new password: %d %v", short.status, short.body)
	}
	ok := flowPost(t, hs, flowInputPath, map[string]any{"state_token": a.stateToken(), "input": map[string]any{"new_password": "S15-NewPassw0rd!"}})
	if ok.status != 200 || ok.action() != "finished" || ok.cookie("session") == "" {
		t.Errorf("new password: %d %v", ok.status, ok.body)
	}
	if a := signInSteps(t, hs, "email", "weak@example.com", "abc12"); a.status != 401 {
		t.Errorf("old password after change: %d", a.status)
	}
	if a := signInSteps(t, hs, "email", "eight@example.com", "12345678"); a.action() != "finished" {
		t.Errorf("8 characters: %d %v", a.status, a.body)
	}
}

// s09, s16: every $2?$ prefix and costs 4..14 sign in unchanged; only the
// first 72 bytes count; nothing is normalised or trimmed.
func TestSignInBcryptRules(t *testing.T) {
	h, _ := bcrypt.GenerateFromPassword([]byte("Prefix-Passw0rd!"), bcrypt.MinCost)
	a2 := string(h) // $2a$
	long := strings.Repeat("x", 72) + "TAIL-THAT-DOES-NOT-COUNT"
	nfc := norm.NFC.String("Pässwörd-é1")
	recs := []string{
		pwRecord(t, "email", "2a@example.com", a2),
		pwRecord(t, "email", "2b@example.com", "$2b$"+a2[4:]),
		pwRecord(t, "email", "2y@example.com", "$2y$"+a2[4:]),
		pwRecord(t, "email", "2x@example.com", "$2x$"+a2[4:]),
		pwRecord(t, "email", "long@example.com", long),
		pwRecord(t, "email", "nfc@example.com", nfc),
		pwRecord(t, "email", "space@example.com", " spaced pw "),
	}
	_, hs, _ := signInServer(t, recs...)
	for _, p := range []string{"2a", "2b", "2y", "2x"} {
		if a := signInSteps(t, hs, "email", p+"@example.com", "Prefix-Passw0rd!"); a.action() != "finished" {
			t.Errorf("$%s$: %d %v", p, a.status, a.body)
		}
	}
	cases := []struct {
		email, pw string
		ok        bool
	}{
		{"long@example.com", long, true},
		{"long@example.com", long[:72], true},
		{"long@example.com", long[:72] + "other tail", true},
		{"long@example.com", long[:71], false},
		{"nfc@example.com", nfc, true},
		{"nfc@example.com", norm.NFD.String(nfc), false},
		{"space@example.com", " spaced pw ", true},
		{"space@example.com", "spaced pw", false},
	}
	for _, c := range cases {
		a := signInSteps(t, hs, "email", c.email, c.pw)
		if got := a.status == 200; got != c.ok {
			t.Errorf("%s with %q: %d %v", c.email, c.pw, a.status, a.body)
		}
	}
}

// s10, s11: the identification does not restrict the look-up; phones are
// found with spaces, not as national numbers; e-mail and username ignore
// case.
func TestSignInLoginIDLookUp(t *testing.T) {
	_, hs, _ := signInServer(t,
		pwRecord(t, "phone_number", "+85294173900", "S10-Passw0rd!"),
		pwRecord(t, "preferred_username", "S11MixedCase", "S11-Passw0rd!"),
		pwRecord(t, "email", "s11@example.com", "S11e-Passw0rd!"))
	cases := []struct{ ident, loginID, pw string }{
		{"phone", "+85294173900", "S10-Passw0rd!"},
		{"phone", "+852 9417 3900", "S10-Passw0rd!"},
		{"email", "+85294173900", "S10-Passw0rd!"},
		{"username", "s11mixedcase", "S11-Passw0rd!"},
		{"username", "S11MIXEDCASE", "S11-Passw0rd!"},
		{"email", "S11@EXAMPLE.COM", "S11e-Passw0rd!"},
		{"email", "s11@Example.Com", "S11e-Passw0rd!"},
	}
	for _, c := range cases {
		if a := signInSteps(t, hs, c.ident, c.loginID, c.pw); a.action() != "finished" {
			t.Errorf("%s %q: %d %v", c.ident, c.loginID, a.status, a.body)
		}
	}
	c := createFlow(t, hs)
	if a := identifyInput(t, hs, c.stateToken(), "phone", "94173900"); a.status != 404 {
		t.Errorf("national number: %d %v", a.status, a.body)
	}
}

// s19: the error shapes of the flow API, and state tokens as snapshots.
func TestSignInFlowErrorShapes(t *testing.T) {
	_, hs, _ := signInServer(t, pwRecord(t, "email", "s19@example.com", "S19-Passw0rd!"))
	a := flowPost(t, hs, flowsPath, map[string]any{"type": "login", "name": "nope"})
	if a.status != 404 || a.reason() != "AuthenticationFlowFlowNotFound" || a.body["result"] != nil {
		t.Errorf("unknown name: %d %v", a.status, a.body)
	}
	a = flowPost(t, hs, flowsPath, map[string]any{"type": "login"})
	if a.status != 400 || !jsonEqual(a.body["error"].(map[string]any)["info"], `{"causes":[{"location":"","kind":"required","details":{"actual":["type"],"expected":["name","type"],"missing":["name"]}}]}`) {
		t.Errorf("missing name: %d %v", a.status, a.body)
	}
	a = flowPost(t, hs, flowsPath, map[string]any{"type": "sign_in", "name": "default"})
	if a.status != 400 || a.body["error"].(map[string]any)["info"].(map[string]any)["causes"].([]any)[0].(map[string]any)["kind"] != "enum" {
		t.Errorf("unknown type: %d %v", a.status, a.body)
	}
	req, _ := http.NewRequest(http.MethodPost, hs.URL+flowsPath, strings.NewReader("type=login"))
	resp, err := hs.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&m)
	resp.Body.Close()
	if resp.StatusCode != 400 || m["error"].(map[string]any)["reason"] != "InvalidJSON" {
		t.Errorf("not JSON: %d %v", resp.StatusCode, m)
	}
	for _, body := range []map[string]any{
		{"state_token": "authflowstate_0000000000000000000000000000ZZZZ", "input": map[string]any{"identification": "email", "login_id": "x"}},
		{"input": map[string]any{"identification": "email", "login_id": "x"}},
	} {
		if a := flowPost(t, hs, flowInputPath, body); a.status != 404 || a.reason() != "AuthenticationFlowNotFound" || a.body["result"] != nil {
			t.Errorf("%v: %d %v", body, a.status, a.body)
		}
	}
	c := createFlow(t, hs)
	read := flowPost(t, hs, flowStatesPath, map[string]any{"state_token": c.stateToken()})
	if read.status != 200 || read.stateToken() != c.stateToken() || read.action() != "identify" {
		t.Errorf("read state: %d %v", read.status, read.body)
	}
	id := identifyInput(t, hs, c.stateToken(), "email", "s19@example.com")
	tok := id.stateToken()
	shape := func(input map[string]any, want string) {
		t.Helper()
		a := flowPost(t, hs, flowInputPath, map[string]any{"state_token": tok, "input": input})
		if a.status != 400 || a.stateToken() != tok || !jsonEqual(a.body["error"].(map[string]any)["info"], want) {
			t.Errorf("%v: %d %v", input, a.status, a.body)
		}
	}
	shape(map[string]any{"authentication": "password", "password": "x"}, `{"causes":[{"location":"/authentication","kind":"const","details":{"actual":"password","expected":"primary_password"}}]}`)
	shape(map[string]any{"authentication": "primary_password"}, `{"causes":[{"location":"","kind":"required","details":{"actual":["authentication"],"expected":["authentication","password"],"missing":["password"]}}]}`)
	shape(map[string]any{"identification": "email", "login_id": "s19@example.com"}, `{"causes":[{"location":"","kind":"required","details":{"actual":["identification","login_id"],"expected":["authentication","password"],"missing":["authentication","password"]}}]}`)
	// The create's token is still usable before the flow finishes.
	if again := identifyInput(t, hs, c.stateToken(), "email", "s19@example.com"); again.status != 200 || again.action() != "authenticate" {
		t.Errorf("older token: %d %v", again.status, again.body)
	}
	if fin := passwordInput(t, hs, tok, "S19-Passw0rd!"); fin.action() != "finished" {
		t.Fatalf("finish: %v", fin.body)
	}
	if a := flowPost(t, hs, flowStatesPath, map[string]any{"state_token": c.stateToken()}); a.status != 404 {
		t.Errorf("read after finish: %d", a.status)
	}
}

// TOTP as a second factor, for a user imported with mfa.totp.secret: the
// password leads to authenticate secondary_totp, a code of the secret (now
// or one step away) finishes, another code is 401.
func TestSignInTOTPSecondFactor(t *testing.T) {
	const secret = "JBSWY3DPEHPK3PXP"
	rec := fmt.Sprintf(`{"email":"mfa@example.com","password":{"type":"bcrypt","password_hash":%q},"mfa":{"totp":{"secret":%q}}}`, bcryptHash(t, "Mfa-Passw0rd!"), secret)
	_, hs, clock := signInServer(t, rec)
	a := signInSteps(t, hs, "email", "mfa@example.com", "Mfa-Passw0rd!")
	if a.status != 200 || a.action() != "authenticate" || a.cookie("session") != "" {
		t.Fatalf("after password: %d %v", a.status, a.body)
	}
	if !jsonEqual(a.body["result"].(map[string]any)["action"].(map[string]any)["data"], `{"type":"authentication_data","options":[{"authentication":"secondary_totp"}],"device_token_enabled":false}`) {
		t.Errorf("totp options = %v", a.body)
	}
	code := func(at time.Time) string {
		c, err := TOTPCode(secret, at)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	wrong := "000000"
	if code(clock.Now()) == wrong {
		wrong = "111111"
	}
	if b := flowPost(t, hs, flowInputPath, map[string]any{"state_token": a.stateToken(), "input": map[string]any{"authentication": "secondary_totp", "code": wrong}}); b.status != 401 || b.reason() != "InvalidCredentials" {
		t.Errorf("wrong code: %d %v", b.status, b.body)
	}
	if b := flowPost(t, hs, flowInputPath, map[string]any{"state_token": a.stateToken(), "input": map[string]any{"authentication": "secondary_totp", "code": code(clock.Now().Add(-90 * time.Second))}}); b.status != 401 {
		t.Errorf("code three steps old: %d %v", b.status, b.body)
	}
	b := flowPost(t, hs, flowInputPath, map[string]any{"state_token": a.stateToken(), "input": map[string]any{"authentication": "secondary_totp", "code": code(clock.Now().Add(-30 * time.Second))}})
	if b.status != 200 || b.action() != "finished" || b.cookie("session") == "" {
		t.Errorf("code one step old: %d %v", b.status, b.body)
	}
}

// RFC 6238 appendix B, SHA1 (8 digits there; the last 6 here).
func TestTOTPCodeRFC6238(t *testing.T) {
	secret := "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ" // "12345678901234567890"
	for at, want := range map[int64]string{59: "287082", 1111111109: "081804", 1234567890: "005924", 2000000000: "279037"} {
		if got, _ := TOTPCode(secret, time.Unix(at, 0)); got != want {
			t.Errorf("T=%d: %s, want %s", at, got, want)
		}
	}
}
