package sandbox

import (
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

const sessionsQuery = `query($id:ID!){ node(id:$id){ ... on User { id lastLoginAt sessions { totalCount edges { node { id type clientID amr acr displayName applicationName createdAt createdByIP lastAccessedAt lastAccessedByIP } } } } } }`

// s17: the Admin API shows lastLoginAt and the IdP session a sign-in
// leaves; revokeSession ends that session only (its id is
// base64url("Session:<uuid of the cookie>")); revokeAllSessions ends the
// rest and keeps lastLoginAt; the revoked cookie is refused.
func TestAdminSessionsAfterSignIn(t *testing.T) {
	s, hs, _ := signInServer(t, pwRecord(t, "email", "s17@example.com", "S17-Passw0rd!"), pwRecord(t, "email", "other@example.com", "Other-Passw0rd!"))
	u, _ := s.UserByLoginID("email", "s17@example.com")
	other, _ := s.UserByLoginID("email", "other@example.com")
	uid := globalID("User", u.ID)

	m, _ := gql(t, hs, hs.URL, sessionsQuery, map[string]any{"id": uid})
	node := m["data"].(map[string]any)["node"].(map[string]any)
	if node["lastLoginAt"] != nil || node["sessions"].(map[string]any)["totalCount"] != float64(0) {
		t.Fatalf("before sign-in: %v", node)
	}

	first := signInSteps(t, hs, "email", "s17@example.com", "S17-Passw0rd!").cookie("session")
	second := signInSteps(t, hs, "email", "s17@example.com", "S17-Passw0rd!").cookie("session")
	otherCookie := signInSteps(t, hs, "email", "other@example.com", "Other-Passw0rd!").cookie("session")

	m, _ = gql(t, hs, hs.URL, sessionsQuery, map[string]any{"id": uid})
	node = m["data"].(map[string]any)["node"].(map[string]any)
	if node["lastLoginAt"] == nil {
		t.Errorf("lastLoginAt is null after sign-in: %v", node)
	}
	conn := node["sessions"].(map[string]any)
	if conn["totalCount"] != float64(2) {
		t.Fatalf("sessions = %v", conn)
	}
	sess := conn["edges"].([]any)[0].(map[string]any)["node"].(map[string]any)
	for k, want := range map[string]any{"type": "IDP", "clientID": nil, "acr": nil, "applicationName": "", "displayName": "Python Requests 2.34", "createdByIP": "127.0.0.1", "lastAccessedByIP": "127.0.0.1"} {
		if sess[k] != want {
			t.Errorf("session %s = %v, want %v", k, sess[k], want)
		}
	}
	if a, ok := sess["amr"].([]any); !ok || len(a) != 0 {
		t.Errorf("amr = %v", sess["amr"])
	}

	firstID, _, _ := strings.Cut(first, ".")
	gid := base64.RawURLEncoding.EncodeToString([]byte("Session:" + firstID))
	m, _ = gql(t, hs, hs.URL, `mutation($id:ID!){ revokeSession(input:{sessionID:$id}){ user { id sessions { totalCount } } } }`, map[string]any{"id": gid})
	got := m["data"].(map[string]any)["revokeSession"].(map[string]any)["user"].(map[string]any)
	if got["id"] != uid || got["sessions"].(map[string]any)["totalCount"] != float64(1) {
		t.Errorf("revokeSession = %v", m)
	}
	if a := userinfoWithCookie(t, hs, first); a != 401 {
		t.Errorf("revoked cookie at userinfo: %d", a)
	}
	if a := userinfoWithCookie(t, hs, second); a != 200 {
		t.Errorf("the other session at userinfo: %d", a)
	}
	// Again: the session no longer exists.
	m, _ = gql(t, hs, hs.URL, `mutation($id:ID!){ revokeSession(input:{sessionID:$id}){ user { id } } }`, map[string]any{"id": gid})
	if errs, _ := m["errors"].([]any); len(errs) != 1 || m["data"] != nil {
		t.Errorf("revoke again = %v", m)
	}
	// A user's id is not a session id.
	m, _ = gql(t, hs, hs.URL, `mutation($id:ID!){ revokeSession(input:{sessionID:$id}){ user { id } } }`, map[string]any{"id": uid})
	if errs, _ := m["errors"].([]any); len(errs) != 1 || errs[0].(map[string]any)["message"] != "invalid session ID" {
		t.Errorf("user id as session id = %v", m)
	}

	m, _ = gql(t, hs, hs.URL, `mutation($id:ID!){ revokeAllSessions(input:{userID:$id}){ user { id } } }`, map[string]any{"id": uid})
	if m["data"].(map[string]any)["revokeAllSessions"].(map[string]any)["user"].(map[string]any)["id"] != uid {
		t.Errorf("revokeAllSessions = %v", m)
	}
	m, _ = gql(t, hs, hs.URL, sessionsQuery, map[string]any{"id": uid})
	node = m["data"].(map[string]any)["node"].(map[string]any)
	if node["sessions"].(map[string]any)["totalCount"] != float64(0) || node["lastLoginAt"] == nil {
		t.Errorf("after revokeAllSessions: %v", node)
	}
	if a := userinfoWithCookie(t, hs, second); a != 401 {
		t.Errorf("cookie after revokeAllSessions: %d", a)
	}
	// Another user's session is untouched.
	if a := userinfoWithCookie(t, hs, otherCookie); a != 200 {
		t.Errorf("other user's cookie: %d", a)
	}
	if n := len(s.Sessions(other.ID)); n != 1 {
		t.Errorf("other user's sessions = %d", n)
	}
}

// userinfoWithCookie is the status of GET /oauth2/userinfo with only the
// session cookie.
func userinfoWithCookie(t *testing.T, hs *httptest.Server, cookie string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, hs.URL+userinfoPath, nil)
	req.Header.Set("Cookie", "session="+cookie)
	resp, err := hs.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}
