package importer

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/authgear-migrate/authgear-migrate/importer/adminapi"
	"github.com/authgear-migrate/authgear-migrate/importer/sandbox"
)

// recordedAnswer is one answer of a real Authgear, from
// testdata/real-server/sign-in (group s).
type recordedAnswer struct {
	Status    int
	Cookies   []string
	CType     string
	Body      []byte
	RetryHint string
}

// recorded reads the answer of one step of a group-s recording.
func recorded(t testing.TB, file, step string) recordedAnswer {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "testdata", "real-server", "sign-in", file))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Steps []struct {
			Step     string `json:"step"`
			Response struct {
				Status   int             `json:"status"`
				Headers  map[string]any  `json:"headers"`
				BodyJSON json.RawMessage `json:"body_json"`
				BodyText *string         `json:"body_text"`
			} `json:"response"`
		} `json:"steps"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	for _, s := range doc.Steps {
		if s.Step != step {
			continue
		}
		a := recordedAnswer{Status: s.Response.Status, Body: s.Response.BodyJSON}
		if s.Response.BodyText != nil {
			a.Body = []byte(*s.Response.BodyText)
		}
		if ct, ok := s.Response.Headers["content-type"].(string); ok {
			a.CType = ct
		}
		if cs, ok := s.Response.Headers["set-cookie"].([]any); ok {
			for _, c := range cs {
				a.Cookies = append(a.Cookies, c.(string))
			}
		}
		return a
	}
	t.Fatalf("%s has no step %s", file, step)
	return recordedAnswer{}
}

func (a recordedAnswer) write(w http.ResponseWriter) {
	for _, c := range a.Cookies {
		w.Header().Add("Set-Cookie", c)
	}
	if a.CType != "" {
		w.Header().Set("Content-Type", a.CType)
	}
	w.WriteHeader(a.Status)
	_, _ = w.Write(a.Body)
}

// sessionOf is the session cookie's value in a recorded answer.
func (a recordedAnswer) sessionOf(t testing.TB) string {
	t.Helper()
	for _, c := range a.Cookies {
		if v, ok := strings.CutPrefix(c, "session="); ok {
			return v[:strings.Index(v, ";")]
		}
	}
	t.Fatal("no session cookie")
	return ""
}

// replayServer answers the Authentication Flow API, userinfo and Admin
// GraphQL with what a real Authgear answered (group s): each login id of
// the test stands for one recorded case.
type replayServer struct {
	t        *testing.T
	srv      *httptest.Server
	answers  map[string]recordedAnswer // login id -> the answer to a right password
	wrong    recordedAnswer            // the answer to any other password
	password string                    // the right password
	userinfo recordedAnswer
	cookie   string // the session cookie userinfo accepts
	// sessions lists the global ids of the user's sessions that GraphQL
	// reports; nil = the one the flow created and one other.
	sessions []string

	mu      sync.Mutex
	flows   []map[string]any // the flow requests received
	revoked []string         // revokeSession ids
	queries []string         // every GraphQL query
	other   int              // requests the server does not know
}

func newReplayServer(t *testing.T) *replayServer {
	t.Helper()
	right := recorded(t, "s18_batch_input_one_request.json", "batch_right_password")
	rs := &replayServer{
		t:        t,
		password: "S18-Passw0rd!",
		answers: map[string]recordedAnswer{
			"ada@example.com":      right,
			"nobody@example.com":   recorded(t, "s18_batch_input_one_request.json", "batch_unknown_email"),
			"weak@example.com":     recorded(t, "s15_weak_old_password_force_change.json", "weak_authenticate"),
			"disabled@example.com": recorded(t, "s08_disabled_user.json", "authenticate_right_password"),
			"nopass@example.com":   recorded(t, "s07_user_without_password.json", "authenticate_with_password"),
			"limited@example.com":  recorded(t, "s05_wrong_password_and_rate_limit.json", "wrong_password_11"),
		},
		wrong:    recorded(t, "s18_batch_input_one_request.json", "batch_wrong_password"),
		userinfo: recorded(t, "s22_roles_in_tokens_and_resolver.json", "userinfo"),
		cookie:   right.sessionOf(t),
	}
	rs.srv = httptest.NewServer(http.HandlerFunc(rs.serve))
	t.Cleanup(rs.srv.Close)
	return rs
}

// userID is the sub of the recorded userinfo.
const replayUserID = "eb051f25-7cdd-4c08-b92e-40771b3cf5dd"

func (rs *replayServer) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	switch {
	case r.Method == http.MethodPost && r.URL.Path == AuthFlowPath:
		var req map[string]any
		if err := json.Unmarshal(body, &req); err != nil {
			http.Error(w, "bad json", http.StatusBadRequest)
			return
		}
		rs.mu.Lock()
		rs.flows = append(rs.flows, req)
		rs.mu.Unlock()
		if r.Header.Get("Cookie") != "" {
			rs.t.Errorf("the flow request sent a cookie: %q", r.Header.Get("Cookie"))
		}
		batch, _ := req["batch_input"].([]any)
		if len(batch) != 2 {
			http.Error(w, "no batch", http.StatusBadRequest)
			return
		}
		id, _ := batch[0].(map[string]any)["login_id"].(string)
		pw, _ := batch[1].(map[string]any)["password"].(string)
		if id == "echo@example.com" {
			// A server that repeats the password in its error.
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprintf(w, `{"error":{"name":"Invalid","reason":"ValidationFailed","message":"password %s is not allowed; in a query: %s","code":400}}`,
				strings.Trim(mustJSON(pw), `"`), url.QueryEscape(pw))
			return
		}
		a, ok := rs.answers[id]
		switch {
		case !ok:
			rs.answers["nobody@example.com"].write(w)
		case pw == rs.password || id == "nopass@example.com" || id == "limited@example.com":
			a.write(w)
		case id == "disabled@example.com":
			rs.wrong.write(w)
		default:
			rs.wrong.write(w)
		}
	case r.URL.Path == UserinfoPath:
		if c, err := r.Cookie("session"); err != nil || c.Value != rs.cookie {
			recorded(rs.t, "s13_userinfo.json", "no_token").write(w)
			return
		}
		rs.userinfo.write(w)
	case r.Method == http.MethodPost && r.URL.Path == adminapi.GraphQLPath:
		var q struct {
			Query     string         `json:"query"`
			Variables map[string]any `json:"variables"`
		}
		_ = json.Unmarshal(body, &q)
		rs.mu.Lock()
		rs.queries = append(rs.queries, q.Query)
		rs.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		switch {
		case strings.Contains(q.Query, "revokeAllSessions"):
			rs.t.Errorf("revokeAllSessions sent")
			http.Error(w, "no", http.StatusBadRequest)
		case strings.Contains(q.Query, "userByLoginID"):
			// q01's answer, for the user of the recorded userinfo.
			raw, err := os.ReadFile(filepath.Join("..", "testdata", "real-server", "q01_getUserByLoginID_email.json"))
			if err != nil {
				rs.t.Fatal(err)
			}
			var doc struct {
				Response struct {
					Body struct {
						Data struct {
							User map[string]any `json:"user"`
						} `json:"data"`
					} `json:"body_json"`
				} `json:"response"`
			}
			if err := json.Unmarshal(raw, &doc); err != nil {
				rs.t.Fatal(err)
			}
			u := doc.Response.Body.Data.User
			u["id"] = adminapi.UserGlobalID(replayUserID)
			u["roles"] = map[string]any{"edges": []any{map[string]any{"node": map[string]any{"key": "from_admin_api"}}}}
			if q.Variables["key"] != "email" {
				fmt.Fprint(w, `{"data":{"user":null}}`)
				return
			}
			fmt.Fprint(w, mustJSON(map[string]any{"data": map[string]any{"user": u}}))
		case strings.Contains(q.Query, "userSessions"):
			if q.Variables["id"] != adminapi.UserGlobalID(replayUserID) {
				fmt.Fprint(w, `{"data":{"node":null}}`)
				return
			}
			ids := rs.sessions
			if ids == nil {
				sid, _ := adminapi.SessionIDFromToken(rs.cookie)
				ids = []string{adminapi.SessionGlobalID("11111111-2222-3333-4444-555555555555"), adminapi.SessionGlobalID(sid)}
			}
			var edges []string
			for _, id := range ids {
				edges = append(edges, fmt.Sprintf(`{"node":{"id":%q,"type":"IDP"}}`, id))
			}
			fmt.Fprintf(w, `{"data":{"node":{"__typename":"User","id":%q,"sessions":{"edges":[%s]}}}}`, adminapi.UserGlobalID(replayUserID), strings.Join(edges, ","))
		case strings.Contains(q.Query, "revokeSession"):
			id, _ := q.Variables["id"].(string)
			rs.mu.Lock()
			rs.revoked = append(rs.revoked, id)
			rs.mu.Unlock()
			fmt.Fprintf(w, `{"data":{"revokeSession":{"user":{"id":%q}}}}`, adminapi.UserGlobalID(replayUserID))
		default:
			rs.t.Errorf("unexpected GraphQL query %q", q.Query)
			http.Error(w, "no", http.StatusBadRequest)
		}
	default:
		rs.mu.Lock()
		rs.other++
		rs.mu.Unlock()
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprint(w, "<html>not found</html>")
	}
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// api is an Admin API client of the replay server.
func (rs *replayServer) api(t *testing.T) *adminapi.Client {
	t.Helper()
	ep, err := adminapi.ParseEndpoint(rs.srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	kp := sandboxKey(t)
	ts, err := adminapi.NewTokenSource(adminapi.Credentials{ProjectID: "test", KeyID: kp.KID, Key: kp.Private})
	if err != nil {
		t.Fatal(err)
	}
	return adminapi.New(ep, ts, adminapi.WithRetry(1, time.Millisecond, time.Millisecond))
}

// TestSignInOutcomesFromRecordings (issue 16 item 1): each answer a real
// Authgear gave to a sign-in is read by its HTTP status and error.reason:
// finished is a success, change_password a success that says so and is
// not answered, 401 a wrong password (also for a user with no password),
// 404 an unknown user, 403 DisabledUser a right password of a disabled
// user, 429 proves nothing and says when to try again.
func TestSignInOutcomesFromRecordings(t *testing.T) {
	rs := newReplayServer(t)
	cases := []struct {
		login, password string
		want            SignInOutcome
		right           bool
		reason          string
		next            string
	}{
		{"ada@example.com", "S18-Passw0rd!", SignInSucceeded, true, "", ""},
		{"ada@example.com", "Wrong-Passw0rd!", SignInWrongPassword, false, "InvalidCredentials: invalid credentials", ""},
		{"nobody@example.com", "S18-Passw0rd!", SignInUnknownUser, false, "UserNotFound: user not found", ""},
		{"weak@example.com", "S18-Passw0rd!", SignInMustChangePassword, true, "weaker than the project's password policy", "change_password"},
		{"disabled@example.com", "S18-Passw0rd!", SignInDisabled, true, "DisabledUser: user is disabled", ""},
		{"disabled@example.com", "nope", SignInWrongPassword, false, "InvalidCredentials", ""},
		{"nopass@example.com", "anything", SignInWrongPassword, false, "InvalidCredentials", ""},
		{"limited@example.com", "S18-Passw0rd!", SignInRateLimited, false, "RateLimited: request rate limited", ""},
	}
	for _, c := range cases {
		t.Run(c.login+"/"+c.want.String(), func(t *testing.T) {
			res, err := SignIn(context.Background(), SignInCheck{PublicEndpoint: rs.srv.URL, LoginID: c.login, Password: c.password})
			if err != nil {
				t.Fatal(err)
			}
			if res.Outcome != c.want || res.PasswordRight != c.right || res.NextStep != c.next {
				t.Fatalf("got %v right=%v next=%q (%s), want %v right=%v next=%q", res.Outcome, res.PasswordRight, res.NextStep, res.Reason, c.want, c.right, c.next)
			}
			if !strings.Contains(res.Reason, c.reason) {
				t.Errorf("reason %q, want it to say %q", res.Reason, c.reason)
			}
			if res.LoginMethod != LoginMethodEmail {
				t.Errorf("login method %q", res.LoginMethod)
			}
			if c.want == SignInRateLimited && res.RetryAfter != time.Minute {
				t.Errorf("retry after %v, want a minute (no Retry-After, per-minute buckets)", res.RetryAfter)
			}
			if res.LastLoginChanged != (c.want == SignInSucceeded) {
				t.Errorf("last login changed %v for %v", res.LastLoginChanged, c.want)
			}
		})
	}
	// The request is s18's: one create with batch_input [identify, authenticate].
	rs.mu.Lock()
	first := rs.flows[0]
	rs.mu.Unlock()
	want := `{"batch_input":[{"identification":"email","login_id":"ada@example.com"},{"authentication":"primary_password","password":"S18-Passw0rd!"}],"name":"default","type":"login"}`
	if got := mustJSON(first); got != want {
		t.Errorf("flow request\n got %s\nwant %s", got, want)
	}
	if len(rs.revoked) != 0 {
		t.Errorf("revoked %v without an Admin API client", rs.revoked)
	}
}

// TestSignInEndsOnlyItsSession (issue 16 item 1): after a success the check
// reads the user id and roles through userinfo with the session cookie,
// finds the session it created among that user's sessions and ends that
// one with revokeSession (the global id of "Session:<the cookie's id>"),
// never revokeAllSessions; the user's other session stays.
func TestSignInEndsOnlyItsSession(t *testing.T) {
	rs := newReplayServer(t)
	res, err := SignIn(context.Background(), SignInCheck{LoginID: " ada@example.com ", Password: "S18-Passw0rd!", API: rs.api(t)})
	if err != nil {
		t.Fatal(err)
	}
	if res.Outcome != SignInSucceeded || res.UserID != replayUserID || strings.Join(res.Roles, ",") != "s22_role_20261207174605" {
		t.Fatalf("result %+v", res)
	}
	sid, _ := adminapi.SessionIDFromToken(rs.cookie)
	if sid != "03ce5789-deeb-4586-87af-3b47d71a6736" {
		t.Fatalf("session id %q", sid)
	}
	if !res.SessionEnded || res.SessionNote != "" || len(rs.revoked) != 1 || rs.revoked[0] != adminapi.SessionGlobalID(sid) {
		t.Fatalf("ended %v (%s), revoked %v", res.SessionEnded, res.SessionNote, rs.revoked)
	}
	if dec, _ := base64.RawURLEncoding.DecodeString(rs.revoked[0]); string(dec) != "Session:"+sid {
		t.Errorf("global id %q decodes to %q", rs.revoked[0], dec)
	}
	if !res.LastLoginChanged {
		t.Error("a success moves the last sign-in time")
	}
}

// TestSignInLeavesASessionItCannotPlace: a session that is not among the
// user's sessions is not ended (the check never ends a session blindly),
// and without an Admin API client the session is left with how long it
// lives (the cookie's Max-Age: 364 days).
func TestSignInLeavesASessionItCannotPlace(t *testing.T) {
	rs := newReplayServer(t)
	rs.sessions = []string{adminapi.SessionGlobalID("11111111-2222-3333-4444-555555555555")}
	res, err := SignIn(context.Background(), SignInCheck{LoginID: "ada@example.com", Password: "S18-Passw0rd!", API: rs.api(t)})
	if err != nil {
		t.Fatal(err)
	}
	if res.SessionEnded || len(rs.revoked) != 0 || !strings.Contains(res.SessionNote, "not among the user's sessions") {
		t.Fatalf("ended %v, revoked %v, note %q", res.SessionEnded, rs.revoked, res.SessionNote)
	}

	res, err = SignIn(context.Background(), SignInCheck{PublicEndpoint: rs.srv.URL, LoginID: "ada@example.com", Password: "S18-Passw0rd!"})
	if err != nil {
		t.Fatal(err)
	}
	if res.SessionEnded || !strings.Contains(res.SessionNote, "needs the Admin API key") || !strings.Contains(res.SessionNote, "364 days") || res.SessionLifetime != 31449600*time.Second {
		t.Fatalf("ended %v, note %q, lifetime %v", res.SessionEnded, res.SessionNote, res.SessionLifetime)
	}
	if res.UserID != replayUserID {
		t.Errorf("user id %q: userinfo works without the Admin API", res.UserID)
	}
}

// TestSignInNeverRepeatsThePassword: a server that echoes the password in
// its error does not get it into the result, nor does a check printed
// with any verb; the session cookie is in no result field either.
func TestSignInNeverRepeatsThePassword(t *testing.T) {
	rs := newReplayServer(t)
	const pw = `S3cr3t "pass" <word>/+&`
	c := SignInCheck{PublicEndpoint: rs.srv.URL, LoginID: "echo@example.com", Password: pw}
	res, err := SignIn(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	if res.Outcome != SignInUnexpected {
		t.Fatalf("outcome %v", res.Outcome)
	}
	all := fmt.Sprintf("%+v %#v %v %s %+v", res, res, c, c, c)
	if strings.Contains(all, "S3cr3t") || strings.Contains(all, "<word>") || strings.Contains(all, "%3Cword") {
		t.Fatalf("the password is repeated: %s", all)
	}
	if !strings.Contains(res.Reason, "[password]") || !strings.Contains(res.Reason, "ValidationFailed") {
		t.Errorf("reason %q", res.Reason)
	}

	res, err = SignIn(context.Background(), SignInCheck{PublicEndpoint: rs.srv.URL, LoginID: "ada@example.com", Password: "S18-Passw0rd!"})
	if err != nil {
		t.Fatal(err)
	}
	secret := rs.cookie[strings.Index(rs.cookie, ".")+1:]
	if all := fmt.Sprintf("%+v", res); strings.Contains(all, secret) || strings.Contains(all, "S18-Passw0rd!") {
		t.Fatalf("the cookie or password is in the result: %s", all)
	}
}

// TestSignInUsageAndTransport: an empty login id, no endpoint, a public
// endpoint that is not the Authentication Flow API's (an HTML 404) and a
// dead server are errors, and none of them says the password.
func TestSignInUsageAndTransport(t *testing.T) {
	rs := newReplayServer(t)
	const pw = "Pw-in-error?"
	if _, err := SignIn(context.Background(), SignInCheck{PublicEndpoint: rs.srv.URL, Password: pw}); !errors.Is(err, ErrSignInUsage) {
		t.Errorf("no login id: %v", err)
	}
	if _, err := SignIn(context.Background(), SignInCheck{LoginID: "a@example.com", Password: pw}); !errors.Is(err, ErrSignInUsage) {
		t.Errorf("no endpoint: %v", err)
	}
	if _, err := SignIn(context.Background(), SignInCheck{PublicEndpoint: "http://example.com", LoginID: "a@example.com", Password: pw}); !errors.Is(err, ErrSignInUsage) {
		t.Errorf("plain http off loopback: %v", err)
	}
	_, err := SignIn(context.Background(), SignInCheck{PublicEndpoint: rs.srv.URL + "/", LoginID: "a@example.com", Password: pw,
		HTTPClient: &http.Client{Transport: rewritePath{"/nowhere"}}})
	var ae *SignInAnswerError
	if !errors.As(err, &ae) || ae.Status != http.StatusNotFound {
		t.Errorf("an HTML 404: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	res, err := SignIn(ctx, SignInCheck{PublicEndpoint: rs.srv.URL, LoginID: "a@example.com", Password: pw})
	if !errors.Is(err, context.Canceled) || SignInExitCode(res, err) != ExitInterrupted {
		t.Errorf("cancelled: %v", err)
	}
	dead := httptest.NewServer(http.NotFoundHandler())
	dead.Close()
	_, err = SignIn(context.Background(), SignInCheck{PublicEndpoint: dead.URL, LoginID: "a@example.com", Password: pw})
	if err == nil || strings.Contains(err.Error(), pw) {
		t.Errorf("dead server: %v", err)
	}
}

// rewritePath sends every request to another path of the same server.
type rewritePath struct{ path string }

func (p rewritePath) RoundTrip(r *http.Request) (*http.Response, error) {
	r2 := r.Clone(r.Context())
	r2.URL.Path = p.path
	return http.DefaultTransport.RoundTrip(r2)
}

// TestSignInLoginMethod: email with an @, phone for E.164, else username.
func TestSignInLoginMethod(t *testing.T) {
	for in, want := range map[string]string{
		"ada@example.com": LoginMethodEmail, "+85251234567": LoginMethodPhone, "+852 5123 4567": LoginMethodPhone,
		"85251234567": LoginMethodUsername, "ada": LoginMethodUsername, "+ada": LoginMethodUsername, "+1": LoginMethodUsername,
	} {
		if got := SignInLoginMethod(in); got != want {
			t.Errorf("%q: %s, want %s", in, got, want)
		}
	}
}

// TestSignInFindsTheUserWithoutUserinfo: when userinfo does not take the
// session cookie, the user is read through the Admin API by the login id
// (q01's answer), and the session is still ended only after it is found
// among that user's sessions.
func TestSignInFindsTheUserWithoutUserinfo(t *testing.T) {
	rs := newReplayServer(t)
	right := rs.answers["ada@example.com"]
	rs.cookie = "not-the-cookie" // userinfo answers 401 (s13)
	sid, _ := adminapi.SessionIDFromToken(right.sessionOf(t))
	rs.sessions = []string{adminapi.SessionGlobalID(sid)}
	res, err := SignIn(context.Background(), SignInCheck{LoginID: "ada@example.com", Password: "S18-Passw0rd!", API: rs.api(t)})
	if err != nil {
		t.Fatal(err)
	}
	if res.UserID != replayUserID || strings.Join(res.Roles, ",") != "from_admin_api" || !res.SessionEnded || len(rs.revoked) != 1 {
		t.Fatalf("result %+v, revoked %v", res, rs.revoked)
	}
}

// TestSignInRefusesPasswordsJSONCannotCarry: a password that is not UTF-8
// would reach the server as U+FFFD: refused before anything is sent.
func TestSignInRefusesPasswordsJSONCannotCarry(t *testing.T) {
	rs := newReplayServer(t)
	_, err := SignIn(context.Background(), SignInCheck{PublicEndpoint: rs.srv.URL, LoginID: "ada@example.com", Password: "caf\xe9"})
	if !errors.Is(err, ErrSignInUsage) || len(rs.flows) != 0 {
		t.Fatalf("%v, %d flows", err, len(rs.flows))
	}
}

// TestSignInExitCodeAndLines: one decision for every front end: 0 signed
// in (change_password too), 3 refused, 1 nothing proven, 2 usage; and the
// words of each outcome, with what the check left behind.
func TestSignInExitCodeAndLines(t *testing.T) {
	cases := []struct {
		r    SignInResult
		err  error
		code int
		want string
	}{
		{SignInResult{Outcome: SignInSucceeded, PasswordRight: true, LoginMethod: "email", UserID: replayUserID, LastLoginChanged: true, SessionEnded: true}, nil, ExitOK,
			"signed in by email as user " + replayUserID + "|the user's last sign-in time now shows this check|the session this check created was ended (the user's other sessions were left alone)"},
		{SignInResult{Outcome: SignInMustChangePassword, PasswordRight: true}, nil, ExitOK,
			"right password, but weaker than the project's policy: the user will be asked for a new one at sign-in; not answered|no session was created"},
		{SignInResult{Outcome: SignInWrongPassword, Reason: "InvalidCredentials: invalid credentials"}, nil, ExitPartial,
			"refused: a wrong password, or the user has no password in Authgear (InvalidCredentials: invalid credentials)"},
		{SignInResult{Outcome: SignInUnknownUser, Reason: "UserNotFound: user not found"}, nil, ExitPartial, "no user has this login ID (UserNotFound: user not found)"},
		{SignInResult{Outcome: SignInDisabled, PasswordRight: true, Reason: "DisabledUser: user is disabled"}, nil, ExitPartial, "the password is right, but the user is disabled (DisabledUser: user is disabled)"},
		{SignInResult{Outcome: SignInRateLimited, RetryAfter: time.Minute, Reason: "RateLimited: request rate limited"}, nil, ExitError,
			"rate limited (RateLimited: request rate limited): a 429 proves nothing; try again in about a minute"},
		{SignInResult{Outcome: SignInRateLimited, RetryAfter: 5 * time.Minute}, nil, ExitError, "rate limited: a 429 proves nothing; try again in about 5 minutes"},
		{SignInResult{Outcome: SignInUnexpected, Reason: "HTTP 500 UnexpectedError"}, nil, ExitError, "an answer the check does not know; nothing is proven (HTTP 500 UnexpectedError)"},
		{SignInResult{}, fmt.Errorf("%w: no login id", ErrSignInUsage), ExitRefused, ""},
		{SignInResult{}, errors.New("connection refused"), ExitError, ""},
		{SignInResult{}, context.Canceled, ExitInterrupted, ""},
	}
	for _, c := range cases {
		if got := SignInExitCode(c.r, c.err); got != c.code {
			t.Errorf("%v %v: exit %d, want %d", c.r.Outcome, c.err, got, c.code)
		}
		if c.want == "" {
			continue
		}
		if got := strings.Join(c.r.Lines(), "|"); !strings.HasPrefix(got, c.want) {
			t.Errorf("%v:\n got %s\nwant %s", c.r.Outcome, got, c.want)
		}
	}
}

// TestSignInAgainstSandbox: the in-process sandbox's login, as a real
// Authgear's: a right password signs in and the check ends its session
// (the sandbox then lists none for the user, the user's own stays), a user
// with a TOTP second factor is a right password whose next step is not
// answered (no session, no last sign-in), and a phone signs in as phone.
func TestSignInAgainstSandbox(t *testing.T) {
	e := startLive(t, sandbox.Options{LoginIDTypes: []string{"email", "phone", "username"}})
	hash := func(pw string) string {
		h, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.MinCost)
		if err != nil {
			t.Fatal(err)
		}
		return string(h)
	}
	recs := fmt.Sprintf(`{"identifier":"email","records":[
		{"email":"ada@example.com","password":{"type":"bcrypt","password_hash":%q}},
		{"email":"mfa@example.com","password":{"type":"bcrypt","password_hash":%q},"mfa":{"totp":{"secret":"JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"}}}]}`,
		hash("Ada-Passw0rd!"), hash("Mfa-Passw0rd!"))
	phone := fmt.Sprintf(`{"identifier":"phone_number","records":[{"phone_number":"+85251234567","password":{"type":"bcrypt","password_hash":%q}}]}`, hash("Phone-Passw0rd!"))
	for _, body := range []string{recs, phone} {
		if _, err := e.api.CreateImport(context.Background(), []byte(body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.sb.WaitIdle(context.Background()); err != nil {
		t.Fatal(err)
	}
	ada, ok := e.sb.UserByLoginID("email", "ada@example.com")
	if !ok {
		t.Fatal("ada not imported")
	}
	own := func() []adminapi.Session {
		s, err := e.api.UserSessions(context.Background(), ada.ID)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	res, err := SignIn(context.Background(), SignInCheck{LoginID: "ada@example.com", Password: "Ada-Passw0rd!", API: e.api})
	if err != nil {
		t.Fatal(err)
	}
	if res.Outcome != SignInSucceeded || res.UserID != ada.ID || !res.SessionEnded || !res.LastLoginChanged || len(own()) != 0 {
		t.Fatalf("ada: %+v, sessions %v", res, own())
	}

	res, err = SignIn(context.Background(), SignInCheck{LoginID: "mfa@example.com", Password: "Mfa-Passw0rd!", API: e.api})
	if err != nil {
		t.Fatal(err)
	}
	if res.Outcome != SignInSucceeded || !res.PasswordRight || res.NextStep != "authenticate" || res.LastLoginChanged || res.SessionEnded || SignInExitCode(res, nil) != ExitOK {
		t.Fatalf("mfa: %+v", res)
	}
	if !strings.Contains(strings.Join(res.Lines(), "|"), "asks for a second factor") {
		t.Errorf("mfa lines: %v", res.Lines())
	}
	res, err = SignIn(context.Background(), SignInCheck{LoginID: "mfa@example.com", Password: "wrong", API: e.api})
	if err != nil || res.Outcome != SignInWrongPassword {
		t.Fatalf("mfa, wrong password: %+v %v", res, err)
	}

	res, err = SignIn(context.Background(), SignInCheck{LoginID: "+852 5123 4567", Password: "Phone-Passw0rd!", API: e.api})
	if err != nil || res.Outcome != SignInSucceeded || res.LoginMethod != LoginMethodPhone || !res.SessionEnded {
		t.Fatalf("phone: %+v %v", res, err)
	}
}

// TestSignInExpiredPassword: a password imported with expire_after in the
// past (clear text hashed on this machine, passwords.expire_plaintext) is
// right but expired: change_password with force_change_reason "expiry",
// worded as expired, not as weaker than the policy (which a short
// password gets).
func TestSignInExpiredPassword(t *testing.T) {
	e := startLive(t, sandbox.Options{LoginIDTypes: []string{"email"}})
	h, err := bcrypt.GenerateFromPassword([]byte("Long-Enough-Passw0rd"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	short, err := bcrypt.GenerateFromPassword([]byte("short"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	body := fmt.Sprintf(`{"identifier":"email","records":[
		{"email":"exp@example.com","password":{"type":"bcrypt","password_hash":%q,"expire_after":"2020-01-01T00:00:00Z"}},
		{"email":"weak@example.com","password":{"type":"bcrypt","password_hash":%q}}]}`, h, short)
	if _, err := e.api.CreateImport(context.Background(), []byte(body)); err != nil {
		t.Fatal(err)
	}
	if err := e.sb.WaitIdle(context.Background()); err != nil {
		t.Fatal(err)
	}
	res, err := SignIn(context.Background(), SignInCheck{LoginID: "exp@example.com", Password: "Long-Enough-Passw0rd", API: e.api})
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Join(res.Lines(), "|")
	if res.Outcome != SignInMustChangePassword || !res.PasswordExpired || !strings.Contains(lines, "expired") || strings.Contains(lines, "weaker") || SignInExitCode(res, nil) != ExitOK {
		t.Errorf("expired: %+v, lines %q", res, lines)
	}
	res, err = SignIn(context.Background(), SignInCheck{LoginID: "weak@example.com", Password: "short", API: e.api})
	if err != nil {
		t.Fatal(err)
	}
	lines = strings.Join(res.Lines(), "|")
	if res.Outcome != SignInMustChangePassword || res.PasswordExpired || !strings.Contains(lines, "weaker") {
		t.Errorf("weak: %+v, lines %q", res, lines)
	}
}

// TestSignInAtAnotherProject: a public endpoint that is another project's
// signs the user in there, and the Admin API's project has no such user:
// nothing is proven for this project (exit 1), whatever the password.
func TestSignInAtAnotherProject(t *testing.T) {
	here := startLive(t, sandbox.Options{LoginIDTypes: []string{"email"}})
	other := startLive(t, sandbox.Options{LoginIDTypes: []string{"email"}})
	h, err := bcrypt.GenerateFromPassword([]byte("Ada-Passw0rd!"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	body := fmt.Sprintf(`{"identifier":"email","records":[{"email":"ada@example.com","password":{"type":"bcrypt","password_hash":%q}}]}`, h)
	if _, err := other.api.CreateImport(context.Background(), []byte(body)); err != nil {
		t.Fatal(err)
	}
	if err := other.sb.WaitIdle(context.Background()); err != nil {
		t.Fatal(err)
	}
	res, err := SignIn(context.Background(), SignInCheck{PublicEndpoint: other.sb.URL, LoginID: "ada@example.com", Password: "Ada-Passw0rd!", API: here.api})
	if err != nil {
		t.Fatal(err)
	}
	if res.Outcome != SignInUnexpected || !strings.Contains(res.Reason, "another project's") || SignInExitCode(res, nil) != ExitError {
		t.Errorf("%+v, exit %d", res, SignInExitCode(res, nil))
	}
}
