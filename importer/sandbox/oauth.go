package sandbox

import (
	"net/http"
	"time"
)

// authzRequest is an OAuth authorization waiting for its login flow.
type authzRequest struct {
	xref              string
	clientID          string
	redirectURI       string
	state             string
	scope             string
	challenge         string
	finishRedirectURI string
	// set when the flow finishes
	sessionID string
	userID    string
	amr       []string
	authTime  time.Time
}

// authzCode is an authorization code (one use).
type authzCode struct {
	code string
}

// authzForQueryLocked is the authorization a flow's url_query names by
// x_ref.
func (s *Server) authzForQueryLocked(q string) *authzRequest {
	return nil
}

// serveOAuth answers the OAuth routes.
func (s *Server) serveOAuth(w http.ResponseWriter, r *http.Request) bool {
	return false
}
