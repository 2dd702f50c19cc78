package sandbox

import (
	"crypto/rand"
	"math/big"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"time"
)

// Session types as the Admin API names them (s17).
const (
	sessionIDP          = "IDP"
	sessionOfflineGrant = "OFFLINE_GRANT"
)

// session is an IdP session: what the login flow's session cookie
// "session=<uuid>.<secret>" names (s03, s17).
type session struct {
	id, secret  string
	userID      string
	createdAt   time.Time
	accessedAt  time.Time
	authTime    time.Time
	amr         []string
	displayName string
	userAgent   string
	ip          string
	revoked     bool
}

func (sess *session) cookie() string { return sess.id + "." + sess.secret }

// offlineGrant is an OAuth refresh token's grant (s04): an OFFLINE_GRANT
// session of the client.
type offlineGrant struct {
	id, secret  string
	clientID    string
	userID      string
	idpSession  string
	scope       string
	createdAt   time.Time
	accessedAt  time.Time
	authTime    time.Time
	displayName string
	userAgent   string
	ip          string
	revoked     bool
}

// newSecret is the random part of a cookie or a refresh token: 32 letters
// and digits, as recorded.
func newSecret() string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	out := make([]byte, 32)
	for i := range out {
		n, err := rand.Int(rand.Reader, big.NewInt(int64(len(alphabet))))
		if err != nil {
			panic(err)
		}
		out[i] = alphabet[n.Int64()]
	}
	return string(out)
}

func (s *Server) newSessionLocked(r *http.Request, userID string, now time.Time, amr []string) *session {
	sess := &session{
		id: newUUID(), secret: newSecret(), userID: userID,
		createdAt: now, accessedAt: now, authTime: now,
		amr:         append([]string(nil), amr...),
		displayName: userAgentDisplayName(r.UserAgent()),
		userAgent:   r.UserAgent(),
		ip:          clientIP(r),
	}
	s.signin.sessions[sess.id] = sess
	return sess
}

// sessionFromCookieLocked is the live session of the request's session
// cookie, or nil.
func (s *Server) sessionFromCookieLocked(r *http.Request) *session {
	c, err := r.Cookie("session")
	if err != nil {
		return nil
	}
	return s.sessionForTokenLocked(c.Value)
}

func (s *Server) sessionForTokenLocked(v string) *session {
	id, secret, ok := strings.Cut(v, ".")
	if !ok {
		return nil
	}
	sess := s.signin.sessions[id]
	if sess == nil || sess.revoked || sess.secret != secret {
		return nil
	}
	if u := s.store.users[sess.userID]; u == nil || u.disabled {
		return nil
	}
	return sess
}

// hasSessionCookie reports whether the request carries a session cookie
// at all (a revoked or unknown one gets Session-Valid: false).
func hasSessionCookie(r *http.Request) bool {
	_, err := r.Cookie("session")
	return err == nil
}

// clearSessionCookie is the answer's cookie removal for an invalid
// session cookie (s17).
func clearSessionCookie(w http.ResponseWriter) {
	w.Header().Add("Set-Cookie", "session=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; SameSite=Lax")
}

var uaProduct = regexp.MustCompile(`^([A-Za-z][A-Za-z0-9_.-]*)/([0-9]+)(?:\.([0-9]+))?`)

// uaNames maps client names to how a User-Agent parser shows them
// ("python-requests/2.34.0" is "Python Requests 2.34", s17).
var uaNames = map[string]string{
	"python-requests": "Python Requests",
	"go-http-client":  "Go-http-client",
	"curl":            "curl",
	"node-fetch":      "Node Fetch",
	"axios":           "Axios",
}

// userAgentDisplayName is a session's displayName: the client's name and
// its major.minor version.
func userAgentDisplayName(ua string) string {
	m := uaProduct.FindStringSubmatch(ua)
	if m == nil {
		return ""
	}
	name := m[1]
	if n, ok := uaNames[strings.ToLower(name)]; ok {
		name = n
	}
	v := m[2]
	if m[3] != "" {
		v += "." + m[3]
	}
	return name + " " + v
}

// userSessionsLocked lists a user's live sessions, newest first (s17),
// as Admin API Session nodes.
func (s *Server) userSessionsLocked(userID string) []any {
	type entry struct {
		at     time.Time
		fields map[string]any
	}
	list := []entry{}
	for _, sess := range s.signin.sessions {
		if sess.userID != userID || sess.revoked {
			continue
		}
		list = append(list, entry{sess.createdAt, sessionFields(sess.id, sessionIDP, nil, sess.displayName, sess.userAgent, sess.ip, sess.createdAt, sess.accessedAt)})
	}
	for _, g := range s.signin.grants {
		if g.userID != userID || g.revoked {
			continue
		}
		list = append(list, entry{g.createdAt, sessionFields(g.id, sessionOfflineGrant, g.clientID, g.displayName, g.userAgent, g.ip, g.createdAt, g.accessedAt)})
	}
	sort.SliceStable(list, func(i, j int) bool { return list[i].at.After(list[j].at) })
	out := make([]any, 0, len(list))
	for _, e := range list {
		out = append(out, &payload{typ: "Session", fields: e.fields})
	}
	return out
}

// sessionFields is a Session node of the Admin API (s17).
func sessionFields(id, typ string, clientID any, displayName, ua, ip string, created, accessed time.Time) map[string]any {
	var agent any
	if ua != "" {
		agent = ua
	}
	return map[string]any{
		"id": globalID("Session", id), "type": typ, "clientID": clientID, "amr": []any{}, "acr": nil,
		"displayName": displayName, "applicationName": "", "userAgent": agent,
		"createdAt": rfc3339(created), "updatedAt": rfc3339(accessed), "createdByIP": ip,
		"lastAccessedAt": rfc3339(accessed), "lastAccessedByIP": ip,
		"lastAccessedByIPCountryCode": "", "lastAccessedByIPEnglishCountryName": "",
	}
}

// sessionNodeLocked is node(id: "Session:<id>"): a live session or
// offline grant, or nil.
func (s *Server) sessionNodeLocked(id string) *payload {
	if sess := s.signin.sessions[id]; sess != nil && !sess.revoked {
		return &payload{typ: "Session", fields: sessionFields(sess.id, sessionIDP, nil, sess.displayName, sess.userAgent, sess.ip, sess.createdAt, sess.accessedAt)}
	}
	if g := s.signin.grants[id]; g != nil && !g.revoked {
		return &payload{typ: "Session", fields: sessionFields(g.id, sessionOfflineGrant, g.clientID, g.displayName, g.userAgent, g.ip, g.createdAt, g.accessedAt)}
	}
	return nil
}

// revokeSessionLocked ends the live session or offline grant id and
// returns its user ("" when there is none). As in authgear-server's
// session.Manager, only that session ends: an offline grant is in the
// same SSO group as its IdP session only when the client enables SSO,
// which the sandbox's clients do not.
func (s *Server) revokeSessionLocked(id string) string {
	if sess := s.signin.sessions[id]; sess != nil && !sess.revoked {
		sess.revoked = true
		return sess.userID
	}
	if g := s.signin.grants[id]; g != nil && !g.revoked {
		g.revoked = true
		return g.userID
	}
	return ""
}

// revokeMutation is revokeSession(input: {sessionID}) and
// revokeAllSessions(input: {userID}), as authgear-server's
// session_mutation.go: an id of another type is Invalid "invalid session
// ID" / "invalid user ID"; a session that does not exist (or was revoked)
// is session.ErrSessionNotFound, a plain error that the GraphQL layer
// shows as the unexpected error (a choice: not recorded). revokeSession
// takes no user: whichever user the session belongs to is answered.
// revokeAllSessions of an unknown user succeeds and then fails to load
// the user (UserNotFound).
func (s *Server) revokeMutation(name string, input map[string]any) (any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var userID string
	if name == "revokeSession" {
		typ, id, ok := parseGlobalID(argString(input, "sessionID"))
		if !ok || typ != "Session" {
			return nil, &gqlError{name: "Invalid", reason: "Invalid", message: "invalid session ID"}
		}
		if userID = s.revokeSessionLocked(id); userID == "" {
			return nil, &gqlError{name: "InternalError", reason: "UnexpectedError", message: "unexpected error occurred"}
		}
	} else {
		typ, id, ok := parseGlobalID(argString(input, "userID"))
		if !ok || typ != "User" {
			return nil, &gqlError{name: "Invalid", reason: "Invalid", message: "invalid user ID"}
		}
		userID = id
		s.revokeAllSessionsLocked(userID)
	}
	u := s.store.users[userID]
	if u == nil {
		return nil, &gqlError{name: "NotFound", reason: "UserNotFound", message: "user not found"}
	}
	typ := "RevokeSessionPayload"
	if name == "revokeAllSessions" {
		typ = "RevokeAllSessionsPayload"
	}
	return &payload{typ: typ, fields: map[string]any{"user": s.userObjLocked(u)}}, nil
}

// revokeAllSessionsLocked ends every session of userID.
func (s *Server) revokeAllSessionsLocked(userID string) {
	for _, sess := range s.signin.sessions {
		if sess.userID == userID {
			sess.revoked = true
		}
	}
	for _, g := range s.signin.grants {
		if g.userID == userID {
			g.revoked = true
		}
	}
}

// SessionInfo is a live session, for tests.
type SessionInfo struct {
	ID, Type, ClientID, UserID, DisplayName string
	CreatedAt                               time.Time
}

// Sessions returns the live sessions and offline grants of userID.
func (s *Server) Sessions(userID string) []SessionInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []SessionInfo
	for _, n := range s.userSessionsLocked(userID) {
		f := n.(*payload).fields
		_, id, _ := parseGlobalID(f["id"].(string))
		cid, _ := f["clientID"].(string)
		at, _ := time.Parse(time.RFC3339Nano, f["createdAt"].(string))
		out = append(out, SessionInfo{ID: id, Type: f["type"].(string), ClientID: cid, UserID: userID, DisplayName: f["displayName"].(string), CreatedAt: at})
	}
	return out
}

// LastLoginAt returns the user's last sign-in time, if any.
func (s *Server) LastLoginAt(userID string) (time.Time, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.signin.lastLogin[userID]
	return t, ok
}
