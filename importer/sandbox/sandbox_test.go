package sandbox

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
)

var trackingID = regexp.MustCompile(`"tracking_id":"[0-9a-f]{32}-[0-9a-f]{16}"`)

// jsonEqual compares a decoded value with the JSON text want.
func jsonEqual(got any, want string) bool {
	var w any
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		panic(err)
	}
	return reflect.DeepEqual(got, w)
}

func records(n int, f func(i int) string) string {
	parts := make([]string, n)
	for i := range parts {
		parts[i] = f(i)
	}
	return strings.Join(parts, ",")
}

func summaryOf(t *testing.T, res map[string]any) Summary {
	t.Helper()
	var s Summary
	b, _ := json.Marshal(res["summary"])
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	return s
}

// A null identifier crashes its task (real-server/c24, i04): the job ends
// completed with the InternalError, that task's records are missing from
// summary and details, and the records before the null were saved.
func TestNullIdentifierLosesItsTask(t *testing.T) {
	s, hs := newTestServer(t, Options{})
	body := `{"identifier":"email","records":[` + records(250, func(i int) string {
		if i == 150 {
			return `{"email":null}`
		}
		return fmt.Sprintf(`{"email":"n%03d@example.com"}`, i)
	}) + `]}`
	res := importAndWait(t, s, hs, body)

	if res["status"] != StatusCompleted {
		t.Fatalf("status %v", res["status"])
	}
	wantErr := `{"name":"InternalError","reason":"UnexpectedError","message":"unexpected error occurred","code":500}`
	if !jsonEqual(res["error"], wantErr) {
		t.Errorf("error %v, want %s", res["error"], wantErr)
	}
	if got := summaryOf(t, res); got != (Summary{Total: 150, Inserted: 150}) {
		t.Errorf("summary %+v", got)
	}
	details := res["details"].([]any)
	if len(details) != 150 {
		t.Fatalf("%d details", len(details))
	}
	if first, last := details[99].(map[string]any)["index"], details[100].(map[string]any)["index"]; first != 99.0 || last != 200.0 {
		t.Errorf("details jump from %v to %v, want 99 to 200", first, last)
	}
	for i := 100; i < 250; i++ {
		_, saved := s.UserByLoginID("email", fmt.Sprintf("n%03d@example.com", i))
		if want := i < 150 || i >= 200; saved != want {
			t.Errorf("record %d saved = %v, want %v", i, saved, want)
		}
	}
	if st := s.Stats(); st.TasksCrashed != 1 || st.Users != 200 {
		t.Errorf("stats: %d tasks crashed, %d users", st.TasksCrashed, st.Users)
	}
	// A record whose null comes with another schema error fails normally.
	res = importAndWait(t, s, hs, `{"identifier":"email","records":[{"email":null,"foo":1}]}`)
	if res["error"] != nil || summaryOf(t, res).Failed != 1 {
		t.Errorf("null plus unknown field: %v", res)
	}
}

type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// Results vanish after Retention: 404 TaskNotFound, like an unknown id
// (real-server/a03). Tokens are checked against the same clock.
func TestRetention(t *testing.T) {
	clock := &fakeClock{now: time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)}
	s, hs := newTestServer(t, Options{Now: clock.Now, Retention: time.Hour})
	tok := func() string { return "Bearer " + token(t, clock.Now()) }
	call := func(method, path, body string) response {
		t.Helper()
		var b []byte
		ct := ""
		if body != "" {
			b, ct = []byte(body), "application/json"
		}
		r, err := do(t, hs.Client(), method, hs.URL+path, tok(), ct, b)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	r := call(http.MethodPost, importPath, `{"identifier":"email","records":[{"email":"keep@example.com"}]}`)
	id := r.json(t)["result"].(map[string]any)["id"].(string)
	if created := r.json(t)["result"].(map[string]any)["created_at"]; created != "2030-01-02T03:04:05Z" {
		t.Errorf("created_at %v", created)
	}
	if err := s.WaitIdle(context.Background()); err != nil {
		t.Fatal(err)
	}
	s.mu.Lock()
	taskID := s.jobs[id].taskIDs[0]
	s.mu.Unlock()

	clock.Advance(59 * time.Minute)
	if r := call(http.MethodGet, importPath+"/"+id, ""); r.status != 200 {
		t.Fatalf("before expiry: %d %s", r.status, r.body)
	}
	if r := call(http.MethodGet, importPath+"/"+taskID, ""); r.status != 200 {
		t.Fatalf("task before expiry: %d %s", r.status, r.body)
	}
	clock.Advance(time.Minute)
	want := `{"error":{"name":"NotFound","reason":"TaskNotFound","message":"task not found","code":404,"tracking_id":"X"}}`
	for _, p := range []string{importPath + "/" + id, importPath + "/" + taskID} {
		r := call(http.MethodGet, p, "")
		body := trackingID.ReplaceAllString(string(r.body), `"tracking_id":"X"`)
		if r.status != 404 || strings.TrimSpace(body) != want {
			t.Errorf("after expiry %s: %d %s", p, r.status, r.body)
		}
	}

	// A task still queued when its time is up is dropped by the worker.
	s.Pause()
	r = call(http.MethodPost, importPath, `{"identifier":"email","records":[{"email":"late@example.com"}]}`)
	id = r.json(t)["result"].(map[string]any)["id"].(string)
	clock.Advance(2 * time.Hour)
	s.Resume()
	if err := s.WaitIdle(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, ok := s.UserByLoginID("email", "late@example.com"); ok {
		t.Error("an expired task was processed")
	}
	if r := call(http.MethodGet, importPath+"/"+id, ""); r.status != 404 {
		t.Errorf("expired pending job: %d", r.status)
	}
	s.mu.Lock()
	n := len(s.jobs)
	s.mu.Unlock()
	if n != 0 {
		t.Errorf("%d expired jobs kept", n)
	}
}

// The worker paces records at Rate per second. The test replaces the
// worker's clock and sleep, so nothing is timed.
func TestRate(t *testing.T) {
	s, hs := newTestServer(t, Options{Rate: 10})
	var mu sync.Mutex
	mono := time.Unix(0, 0)
	var slept time.Duration
	s.mu.Lock()
	s.mono = func() time.Time { mu.Lock(); defer mu.Unlock(); return mono }
	s.sleep = func(d time.Duration) bool {
		mu.Lock()
		defer mu.Unlock()
		slept += d
		mono = mono.Add(d)
		return true
	}
	s.mu.Unlock()

	body := `{"identifier":"email","records":[` + records(25, func(i int) string {
		return fmt.Sprintf(`{"email":"r%02d@example.com"}`, i)
	}) + `]}`
	importAndWait(t, s, hs, body)
	mu.Lock()
	got := slept
	mu.Unlock()
	// The first record goes at once, the next 24 every 100 ms.
	if want := 24 * 100 * time.Millisecond; got != want {
		t.Errorf("slept %v for 25 records at 10/s, want %v", got, want)
	}

	s.SetRate(0)
	mu.Lock()
	slept = 0
	mu.Unlock()
	importAndWait(t, s, hs, strings.ReplaceAll(body, "@", "+b@"))
	if slept != 0 {
		t.Errorf("slept %v unthrottled", slept)
	}
}

// Jobs are processed by one worker, FIFO across jobs (real-server/k06),
// and a pending job shows no counts.
func TestFIFOAcrossJobsAndPending(t *testing.T) {
	s, hs := newTestServer(t, Options{})
	s.Pause()
	big := post(t, hs, `{"identifier":"email","records":[`+records(250, func(i int) string {
		return fmt.Sprintf(`{"email":"big%03d@example.com"}`, i)
	})+`]}`).json(t)["result"].(map[string]any)
	small := post(t, hs, `{"identifier":"email","records":[{"email":"small@example.com"}]}`).json(t)["result"].(map[string]any)
	p := get(t, hs, small["id"].(string)).json(t)["result"].(map[string]any)
	if len(p) != 3 || p["status"] != StatusPending {
		t.Errorf("pending answer %v, want only id, created_at, status", p)
	}
	s.Resume()
	if err := s.WaitIdle(context.Background()); err != nil {
		t.Fatal(err)
	}
	b := get(t, hs, big["id"].(string)).json(t)["result"].(map[string]any)
	sm := get(t, hs, small["id"].(string)).json(t)["result"].(map[string]any)
	tb, _ := time.Parse(time.RFC3339Nano, b["completed_at"].(string))
	ts, _ := time.Parse(time.RFC3339Nano, sm["completed_at"].(string))
	if ts.Before(tb) {
		t.Errorf("the small job (%v) finished before the big one (%v) queued ahead of it", ts, tb)
	}
	if got := summaryOf(t, b); got.Inserted != 250 {
		t.Errorf("big: %+v", got)
	}
	// Indexes are re-based per task; the legacy task view is task-local.
	d := b["details"].([]any)
	if d[150].(map[string]any)["index"] != 150.0 {
		t.Errorf("detail 150 has index %v", d[150].(map[string]any)["index"])
	}
	s.mu.Lock()
	second := s.jobs[big["id"].(string)].taskIDs[1]
	s.mu.Unlock()
	tv := get(t, hs, second).json(t)["result"].(map[string]any)
	if tv["id"] != second || tv["details"].([]any)[0].(map[string]any)["index"] != 0.0 || summaryOf(t, tv).Total != 100 {
		t.Errorf("task view: %v", tv["summary"])
	}
}

// What an upsert overwrites and what it ignores (md §3.4, real-server/i13,
// j06), with a project that has roles, groups and a custom attribute.
func TestUpsertSemantics(t *testing.T) {
	s, hs := newTestServer(t, Options{
		LoginIDTypes:     []string{"email", "phone", "username"},
		Roles:            []string{"admin-role", "viewer"},
		Groups:           []string{"*"},
		CustomAttributes: []string{"member_id"},
	})
	const hash = "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy"
	res := importAndWait(t, s, hs, `{"identifier":"email","records":[{
		"email":"Up@Example.com","email_verified":true,"phone_number":"+85298765432",
		"name":"N","given_name":"G","address":{"locality":"Central","planet":"Mars"},
		"custom_attributes":{"member_id":"M1","unknown":"x"},
		"roles":["viewer"],"groups":["g1"],
		"password":{"type":"bcrypt","password_hash":"`+hash+`","expire_after":"2031-01-01T00:00:00Z"},
		"mfa":{"email":"mfa@example.com","totp":{"secret":"JBSWY3DPEHPK3PXP"}}}]}`)
	if summaryOf(t, res).Inserted != 1 {
		t.Fatalf("insert: %v", res["details"])
	}
	u, ok := s.UserByLoginID("email", "up@example.com")
	if !ok {
		t.Fatal("stored email is not lowercased")
	}
	if u.Identities[0].OriginalValue != "Up@Example.com" || len(u.Identities) != 2 {
		t.Errorf("identities %+v", u.Identities)
	}
	if len(u.VerifiedClaims) != 1 || u.VerifiedClaims[0] != (Claim{"email", "up@example.com"}) {
		t.Errorf("verified %+v", u.VerifiedClaims)
	}
	if addr := u.StandardAttributes["address"].(map[string]any); len(addr) != 1 {
		t.Errorf("address %v: the unknown key should be dropped", addr)
	}
	if len(u.CustomAttributes) != 1 || u.CustomAttributes["member_id"] != "M1" {
		t.Errorf("custom attributes %v", u.CustomAttributes)
	}
	if u.PasswordHash != hash || u.PasswordExpireAfter == nil || len(u.MFA.TOTPSecrets) != 1 {
		t.Errorf("authenticators %+v", u)
	}

	// The look-up is by the raw value: the same case as the stored one.
	res = importAndWait(t, s, hs, `{"identifier":"email","upsert":true,"records":[{
		"email":"up@example.com","email_verified":false,"given_name":null,"nickname":"Nick",
		"phone_number":null,"disabled":true,"roles":["admin-role"],
		"custom_attributes":{"member_id":null},
		"password":{"type":"bcrypt","password_hash":"not even a hash"},
		"mfa":{"email":"other@example.com","totp":{"secret":"!!"}}}]}`)
	if summaryOf(t, res).Updated != 1 {
		t.Fatalf("upsert: %v", res["details"])
	}
	u, _ = s.UserByLoginID("email", "up@example.com")
	if u.PasswordHash != hash {
		t.Error("the upsert changed the password")
	}
	if _, ok := u.StandardAttributes["given_name"]; ok || u.StandardAttributes["nickname"] != "Nick" || u.StandardAttributes["name"] != "N" {
		t.Errorf("standard attributes %v", u.StandardAttributes)
	}
	if len(u.VerifiedClaims) != 0 || len(u.Identities) != 1 || !u.Disabled {
		t.Errorf("after upsert: %+v", u)
	}
	if strings.Join(u.Roles, ",") != "admin-role" || strings.Join(u.Groups, ",") != "g1" || len(u.CustomAttributes) != 0 {
		t.Errorf("roles %v groups %v custom %v", u.Roles, u.Groups, u.CustomAttributes)
	}
	if strings.Join(u.MFA.Emails, ",") != "other@example.com" || len(u.MFA.TOTPSecrets) != 1 {
		t.Errorf("mfa %+v", u.MFA)
	}

	// Disabling a disabled user is only a warning.
	res = importAndWait(t, s, hs, `{"identifier":"email","upsert":true,"records":[{"email":"up@example.com","disabled":true,"email_verified":true}]}`)
	d := res["details"].([]any)[0].(map[string]any)
	if !jsonEqual(d["warnings"], `[{"message":"invalid account status transition: disabled -> disabled"}]`) {
		t.Errorf("warnings %v", d["warnings"])
	}

	// A case variant is not found, then collides (real-server/l04).
	res = importAndWait(t, s, hs, `{"identifier":"email","upsert":true,"records":[{"email":"UP@example.com","nickname":"x"}]}`)
	if e, _ := json.Marshal(res["details"].([]any)[0].(map[string]any)["errors"]); !strings.Contains(string(e), "DuplicatedIdentity") {
		t.Errorf("case variant: %s", e)
	}
	// Unknown roles fail the record with 404 RoleUnknownKeys.
	res = importAndWait(t, s, hs, `{"identifier":"email","records":[{"email":"r@example.com","roles":["viewer","nope","nope"]}]}`)
	if e := res["details"].([]any)[0].(map[string]any)["errors"]; !jsonEqual(e, `[{"name":"NotFound","reason":"RoleUnknownKeys","message":"unknown role keys","code":404,"info":{"keys":["nope"]}}]`) {
		t.Errorf("unknown role: %v", e)
	}
}

// An imported bcrypt hash logs in (real-server/h03).
func TestCheckPassword(t *testing.T) {
	s, hs := newTestServer(t, Options{})
	hash, err := bcrypt.GenerateFromPassword([]byte("correct horse"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	importAndWait(t, s, hs, `{"identifier":"email","records":[{"email":"login@example.com","password":{"type":"bcrypt","password_hash":"`+string(hash)+`"}}]}`)
	if !s.CheckPassword("email", "login@example.com", "correct horse") {
		t.Error("the right password is refused")
	}
	if s.CheckPassword("email", "login@example.com", "wrong") {
		t.Error("a wrong password is accepted")
	}
}

// A login-ID type that is not enabled: the user is created without that
// identity, and a re-run creates another (real-server/c27, c28).
func TestDisabledLoginIDType(t *testing.T) {
	s, hs := newTestServer(t, Options{})
	body := `{"identifier":"preferred_username","records":[{"preferred_username":"jdoe"}]}`
	for i := 0; i < 2; i++ {
		res := importAndWait(t, s, hs, body)
		w, _ := json.Marshal(res["details"].([]any)[0].(map[string]any)["warnings"])
		if string(w) != `[{"message":"preferred_username is ignored because it is not an allowed login ID."}]` {
			t.Errorf("warnings %s", w)
		}
	}
	if n := len(s.Users()); n != 2 {
		t.Errorf("%d users, want 2 identity-less ones", n)
	}
	if rep := s.Stats().Repeated(); rep["jdoe"] != 2 {
		t.Errorf("repeated %v", rep)
	}
	if err := s.SetLoginIDTypes("username"); err != nil {
		t.Fatal(err)
	}
	res := importAndWait(t, s, hs, `{"identifier":"preferred_username","records":[{"preferred_username":"JDoe"},{"preferred_username":"jdoe"},{"preferred_username":"admin"},{"preferred_username":"John Doe"}]}`)
	// JDoe is stored as jdoe; then jdoe is found (skipped); admin is
	// reserved; "John Doe" is not a valid username (real-server/g06).
	if got := summaryOf(t, res); got != (Summary{Total: 4, Inserted: 1, Skipped: 1, Failed: 2}) {
		t.Errorf("usernames: %+v %v", got, res["details"])
	}
}

// Content types and methods beyond the recordings.
func TestContentTypesAndMethods(t *testing.T) {
	_, hs := newTestServer(t, Options{})
	tok := "Bearer " + token(t, time.Now())
	body := []byte(`{"identifier":"email","records":[{"email":"ct@example.com"}]}`)
	for _, c := range []struct {
		ct     string
		status int
		body   string
	}{
		{"application/graphql", 400, "request content type is invalid"},
		{"application/json; charset=utf8", 400, "request content type is invalid"},
		{"application/json; charset=UTF-8", 200, ""},
		{"application/json; foo=bar", 400, "request content type is invalid"},
		{"", 415, "invalid content type: \n"},
		{"text/csv; charset=utf-8", 415, "invalid content type: text/csv\n"},
	} {
		r, err := do(t, hs.Client(), http.MethodPost, hs.URL+importPath, tok, c.ct, body)
		if err != nil {
			t.Fatal(err)
		}
		if r.status != c.status || !strings.Contains(string(r.body), c.body) {
			t.Errorf("%q: %d %s", c.ct, r.status, r.body)
		}
	}
	r, err := do(t, hs.Client(), http.MethodDelete, hs.URL+importPath+"/userimport_X", tok, "", nil)
	if err != nil || r.status != 405 || r.header.Get("Allow") != "GET, OPTIONS" {
		t.Errorf("DELETE: %v %d %v", err, r.status, r.header)
	}
	r, err = do(t, hs.Client(), http.MethodGet, hs.URL+"/_api/admin/users", tok, "", nil)
	if err != nil || r.status != 404 {
		t.Errorf("other path: %v %d", err, r.status)
	}
}

// Key rotation, and token shapes beyond the recordings.
func TestAuth(t *testing.T) {
	other, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	clock := &fakeClock{now: time.Now()}
	_, hs := newTestServer(t, Options{Keys: []PublicKey{key(t).PublicKey(), other.PublicKey()}, Now: clock.Now})
	status := func(tok string) int {
		r, err := do(t, hs.Client(), http.MethodGet, hs.URL+importPath+"/userimport_UNKNOWN", "Bearer "+tok, "", nil)
		if err != nil {
			t.Fatal(err)
		}
		return r.status
	}
	for name, k := range map[string]*KeyPair{"first key": key(t), "second key": other} {
		tok, _ := k.Token("myapp", clock.Now(), time.Minute)
		if got := status(tok); got != 404 {
			t.Errorf("%s: %d, want 404 (authorised, unknown job)", name, got)
		}
	}
	wrongKID := *other
	wrongKID.KID = key(t).KID
	tok, _ := wrongKID.Token("myapp", clock.Now(), time.Minute)
	if got := status(tok); got != 403 {
		t.Errorf("signature of another key under this kid: %d", got)
	}
	tok, _ = key(t).Token("myapp", clock.Now(), time.Minute)
	clock.Advance(5*time.Minute + time.Minute - time.Second)
	if got := status(tok); got != 404 {
		t.Errorf("expired 4m59s ago: %d, want accepted", got)
	}
	clock.Advance(2 * time.Second)
	if got := status(tok); got != 403 {
		t.Errorf("expired 5m01s ago: %d, want 403", got)
	}
}
