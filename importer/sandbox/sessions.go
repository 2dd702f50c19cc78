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
	var list []entry
	for _, sess := range s.signin.sessions {
		if sess.userID != userID || sess.revoked {
			continue
		}
		list = append(list, entry{sess.createdAt, map[string]any{
			"id": globalID("Session", sess.id), "type": sessionIDP, "clientID": nil, "amr": []any{}, "acr": nil,
			"displayName": sess.displayName, "applicationName": "",
			"createdAt": rfc3339(sess.createdAt), "createdByIP": sess.ip,
			"lastAccessedAt": rfc3339(sess.accessedAt), "lastAccessedByIP": sess.ip,
		}})
	}
	for _, g := range s.signin.grants {
		if g.userID != userID || g.revoked {
			continue
		}
		list = append(list, entry{g.createdAt, map[string]any{
			"id": globalID("Session", g.id), "type": sessionOfflineGrant, "clientID": g.clientID, "amr": []any{}, "acr": nil,
			"displayName": g.displayName, "applicationName": "",
			"createdAt": rfc3339(g.createdAt), "createdByIP": g.ip,
			"lastAccessedAt": rfc3339(g.accessedAt), "lastAccessedByIP": g.ip,
		}})
	}
	sort.SliceStable(list, func(i, j int) bool { return list[i].at.After(list[j].at) })
	out := make([]any, 0, len(list))
	for _, e := range list {
		out = append(out, &payload{typ: "Session", fields: e.fields})
	}
	return out
}

// revokeSessionLocked ends the session or offline grant id of userID; it
// reports whether there was one.
func (s *Server) revokeSessionLocked(userID, id string) bool {
	if sess := s.signin.sessions[id]; sess != nil && sess.userID == userID && !sess.revoked {
		sess.revoked = true
		for _, g := range s.signin.grants {
			if g.idpSession == id {
				g.revoked = true
			}
		}
		return true
	}
	if g := s.signin.grants[id]; g != nil && g.userID == userID && !g.revoked {
		g.revoked = true
		return true
	}
	return false
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
