package adminapi

import (
	"context"
	"encoding/base64"
	"errors"
	"strings"
)

// SessionGlobalID turns a session id into the GraphQL global id that
// revokeSession takes: base64url without padding of "Session:<id>", as for
// users (authgear-server pkg/admin/graphql: typeSession = "Session", the
// relay global id of every node).
func SessionGlobalID(sessionID string) string {
	return base64.RawURLEncoding.EncodeToString([]byte("Session:" + sessionID))
}

// SessionIDFromToken is the session id of an IdP session token (the value
// of the session cookie, "<id>.<secret>"): the part before the dot
// (authgear-server pkg/lib/session/idpsession: encodeToken). ok is false
// for a value of another shape. The secret is never returned.
func SessionIDFromToken(token string) (id string, ok bool) {
	id, secret, found := strings.Cut(token, ".")
	if !found || id == "" || secret == "" || strings.Contains(secret, ".") || !ValidUserID(id) {
		return "", false
	}
	return id, true
}

// Session is one session of a user, as the Admin API lists it.
type Session struct {
	ID   string // global id
	Type string // IDP or OFFLINE_GRANT
}

// ErrNoSuchUser: the user read for its sessions is not there.
var ErrNoSuchUser = errors.New("adminapi: no user with that id")

// UserSessions lists the sessions of the user with that raw id (the first
// 100).
func (c *Client) UserSessions(ctx context.Context, userID string) ([]Session, error) {
	if !ValidUserID(userID) {
		return nil, errors.New("adminapi: not a user id")
	}
	resp, err := userSessions(ctx, c, UserGlobalID(userID))
	if err != nil {
		if IsReason(err, ReasonUserNotFound) || isNotFound(err) {
			return nil, ErrNoSuchUser
		}
		return nil, err
	}
	u, ok := resp.Node.(*userSessionsNodeUser)
	if !ok || u == nil {
		return nil, ErrNoSuchUser
	}
	out := make([]Session, 0, len(u.Sessions.Edges))
	for _, e := range u.Sessions.Edges {
		out = append(out, Session{ID: clip(e.Node.Id, maxShortText), Type: clip(string(e.Node.Type), maxShortText)})
	}
	return out, nil
}

// RevokeSession ends one session by its global id (SessionGlobalID). It
// never ends the user's other sessions (there is no revokeAllSessions in
// this package on purpose).
func (c *Client) RevokeSession(ctx context.Context, sessionGlobalID string) error {
	if sessionGlobalID == "" {
		return errors.New("adminapi: no session id")
	}
	_, err := revokeSession(ctx, c, sessionGlobalID)
	return err
}
