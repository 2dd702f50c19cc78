package sandbox

// The OAuth code path and the routes that read a session, as group s
// recorded them: /oauth2/authorize (302 to the entry point with x_ref,
// s04; errors s20; prompt=none with a session cookie, s03), the login flow
// bound by url_query, /oauth2/consent (the flow's finish_redirect_uri, one
// use), /oauth2/token (authorization_code with PKCE S256, refresh_token),
// /oauth2/userinfo (bearer token or session cookie, s13, s03).
//
// Choices where the recordings are silent: prompt=none without a session
// answers 303 with error=login_required; a client that is not public
// (none here) does not exist; the scopes asked are echoed, not checked.

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// The OAuth routes.
const (
	authorizePath  = "/oauth2/authorize"
	entrypointPath = "/_internals/oauth_entrypoint"
	consentPath    = "/oauth2/consent"
	tokenPath      = "/oauth2/token"
	userinfoPath   = "/oauth2/userinfo"
)

// Token lifetimes (s04): access token 1800 s, ID token 300 s.
const (
	accessTokenTTL = 1800 * time.Second
	idTokenTTL     = 300 * time.Second
)

// OAuthClient is a public OAuth client of the project (code + PKCE S256,
// no secret), as the recorded "migrate-test" (s04).
type OAuthClient struct {
	ID           string
	RedirectURIs []string
}

// DefaultOAuthClient is the client the sandbox has when Options.OAuthClients
// is nil: the one of the recordings.
var DefaultOAuthClient = OAuthClient{ID: "migrate-test", RedirectURIs: []string{"http://127.0.0.1:9999/after-login"}}

// ParseOAuthClient reads "ID=REDIRECT_URI[,REDIRECT_URI...]".
func ParseOAuthClient(v string) (OAuthClient, error) {
	id, uris, ok := strings.Cut(v, "=")
	if !ok || id == "" || uris == "" {
		return OAuthClient{}, fmt.Errorf("sandbox: OAuth client %q: want ID=REDIRECT_URI", v)
	}
	c := OAuthClient{ID: id}
	for _, u := range strings.Split(uris, ",") {
		p, err := url.Parse(u)
		if err != nil || p.Scheme == "" || p.Host == "" {
			return OAuthClient{}, fmt.Errorf("sandbox: OAuth client %q: %q is not an absolute URL", id, u)
		}
		c.RedirectURIs = append(c.RedirectURIs, u)
	}
	return c, nil
}

func (s *Server) oauthClient(id string) *OAuthClient {
	for i := range s.opts.OAuthClients {
		if s.opts.OAuthClients[i].ID == id {
			return &s.opts.OAuthClients[i]
		}
	}
	return nil
}

func (c *OAuthClient) allows(redirectURI string) bool {
	for _, u := range c.RedirectURIs {
		if u == redirectURI {
			return true
		}
	}
	return false
}

// authzRequest is an OAuth authorization waiting for its login flow.
type authzRequest struct {
	xref        string
	clientID    string
	redirectURI string
	state       string
	scope       string
	challenge   string
	// consentCode is the code of finish_redirect_uri (not the OAuth code);
	// used once.
	consentCode       string
	consentUsed       bool
	finishRedirectURI string
	// set when the flow finishes
	sessionID string
	userID    string
	amr       []string
	authTime  time.Time
}

// authzCode is an authorization code: one successful exchange.
type authzCode struct {
	code        string
	clientID    string
	redirectURI string
	scope       string
	challenge   string
	sessionID   string
	userID      string
	amr         []string
	authTime    time.Time
	used        bool
}

// accessTokenRecord ties an issued JWT (by jti) to its grant, so that the
// resolver and userinfo ignore it once the grant is revoked (s12, s13).
type accessTokenRecord struct {
	grantID   string
	sessionID string
}

// newCode is a 32-character code of letters and digits (s04).
func newCode() string { return newSecret() }

// authzForQueryLocked is the authorization a flow's url_query names by
// x_ref (s04), or nil.
func (s *Server) authzForQueryLocked(q string) *authzRequest {
	v, err := url.ParseQuery(q)
	if err != nil {
		return nil
	}
	a := s.signin.authz[v.Get("x_ref")]
	if a == nil || (v.Get("client_id") != "" && v.Get("client_id") != a.clientID) {
		return nil
	}
	return a
}

// finishOAuthLocked gives a finished flow bound to an authorization its
// finish_redirect_uri: /oauth2/consent with a one-use code.
func (s *Server) finishOAuthLocked(r *http.Request, a *authzRequest) {
	a.consentCode = newCode()
	q := url.Values{"client_id": {a.clientID}, "code": {a.consentCode}, "redirect_uri": {a.redirectURI}, "state": {a.state}}
	a.finishRedirectURI = s.issuerFor(r) + consentPath + "?" + q.Encode()
}

// serveOAuth answers the OAuth routes; it reports whether the path was
// one of them. Without Options.TokenKey only userinfo with a session
// cookie is served.
func (s *Server) serveOAuth(w http.ResponseWriter, r *http.Request) bool {
	switch r.URL.Path {
	case userinfoPath:
		setCSPNonce(w, r)
		s.userinfo(w, r)
		return true
	case authorizePath, consentPath, tokenPath, entrypointPath:
		if s.opts.TokenKey == nil {
			return false
		}
	default:
		return false
	}
	setCSPNonce(w, r)
	switch r.URL.Path {
	case authorizePath:
		s.oauthAuthorize(w, r)
	case consentPath:
		s.consent(w, r)
	case tokenPath:
		s.token(w, r)
	case entrypointPath:
		// The login page a browser would see; a headless client needs
		// only the x_ref of the Location that led here.
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("sign in through the Authentication Flow API with url_query \"client_id=...&x_ref=" + r.URL.Query().Get("x_ref") + "\"\n"))
	}
	return true
}

// redirect303 answers like the recorded server: 303 with a meta-refresh
// page.
func redirect303(w http.ResponseWriter, to string) {
	w.Header().Set("Location", to)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(http.StatusSeeOther)
	_, _ = fmt.Fprintf(w, "<!DOCTYPE html>\n<html>\n<head>\n<meta http-equiv=\"refresh\" content=\"0;url=%s\" />\n</head>\n<body>\n</body>\n</html>\n", html.EscapeString(to))
}

func withQuery(base string, q url.Values) string {
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	return base + sep + q.Encode()
}

// authorizeError is the text/plain 400 page of an authorization request
// that cannot be redirected (s20).
func authorizeError(w http.ResponseWriter, code, desc string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(http.StatusBadRequest)
	_, _ = fmt.Fprintf(w, "Invalid OAuth authorization request:\nerror: %s\nerror_description: %s\n", code, desc)
}

func (s *Server) oauthAuthorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	client := s.oauthClient(q.Get("client_id"))
	if client == nil {
		authorizeError(w, "unauthorized_client", "invalid client ID")
		return
	}
	redirectURI := q.Get("redirect_uri")
	if !client.allows(redirectURI) {
		authorizeError(w, "invalid_request", "redirect URI is not allowed")
		return
	}
	state := q.Get("state")
	fail := func(code, desc string) {
		v := url.Values{"error": {code}, "error_description": {desc}}
		if state != "" {
			v.Set("state", state)
		}
		redirect303(w, withQuery(redirectURI, v))
	}
	if q.Get("response_type") != "code" {
		fail("unsupported_response_type", "only response_type=code is supported")
		return
	}
	challenge := q.Get("code_challenge")
	if challenge == "" {
		fail("invalid_request", "PKCE code challenge is required for public clients")
		return
	}
	if m := q.Get("code_challenge_method"); m != "S256" {
		fail("invalid_request", "only 'S256' PKCE transform is supported")
		return
	}
	a := &authzRequest{xref: randomBase32(32), clientID: client.ID, redirectURI: redirectURI, state: state, scope: q.Get("scope"), challenge: challenge}
	if q.Get("prompt") == "none" {
		s.mu.Lock()
		sess := s.sessionFromCookieLocked(r)
		var code string
		if sess != nil {
			// A token from an existing session carries no amr (s03).
			code = s.newCodeLocked(a, sess.id, sess.userID, nil, sess.authTime)
		}
		s.mu.Unlock()
		if sess == nil {
			fail("login_required", "authentication required")
			return
		}
		v := url.Values{"code": {code}}
		if state != "" {
			v.Set("state", state)
		}
		redirect303(w, withQuery(redirectURI, v))
		return
	}
	s.mu.Lock()
	s.signin.authz[a.xref] = a
	s.mu.Unlock()
	var trace [24]byte
	_, _ = rand.Read(trace[:])
	// The entry point's query in the recorded order (s04).
	w.Header().Set("Location", s.issuerFor(r)+entrypointPath+"?"+
		"client_id="+url.QueryEscape(client.ID)+"&redirect_uri="+url.QueryEscape(redirectURI)+"&state="+url.QueryEscape(state)+
		"&x_ref="+a.xref+"&x_settings_action_id=&x_traceparent=00-"+hex.EncodeToString(trace[:16])+"-"+hex.EncodeToString(trace[16:])+"-01")
	w.Header().Add("Set-Cookie", "oauth_ui="+a.xref+"; Path=/; HttpOnly")
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(http.StatusFound)
}

// newCodeLocked issues an authorization code for a.
func (s *Server) newCodeLocked(a *authzRequest, sessionID, userID string, amr []string, authTime time.Time) string {
	c := &authzCode{code: newCode(), clientID: a.clientID, redirectURI: a.redirectURI, scope: a.scope, challenge: a.challenge,
		sessionID: sessionID, userID: userID, amr: append([]string(nil), amr...), authTime: authTime}
	s.signin.codes[c.code] = c
	return c.code
}

// consent is the flow's finish_redirect_uri: no cookie needed, one use
// (s04).
func (s *Server) consent(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	s.mu.Lock()
	var a *authzRequest
	for _, x := range s.signin.authz {
		if x.consentCode != "" && x.consentCode == q.Get("code") {
			a = x
		}
	}
	var code string
	if a != nil && !a.consentUsed && a.userID != "" {
		a.consentUsed = true
		code = s.newCodeLocked(a, a.sessionID, a.userID, a.amr, a.authTime)
	}
	s.mu.Unlock()
	redirectURI := q.Get("redirect_uri")
	if a != nil {
		redirectURI = a.redirectURI
	}
	client := s.oauthClient(q.Get("client_id"))
	if client == nil || !client.allows(redirectURI) {
		authorizeError(w, "invalid_request", "redirect URI is not allowed")
		return
	}
	v := url.Values{}
	if code == "" {
		v.Set("error", "invalid_request")
		v.Set("error_description", "authentication expired")
	} else {
		v.Set("code", code)
	}
	if st := q.Get("state"); st != "" {
		v.Set("state", st)
	}
	redirect303(w, withQuery(redirectURI, v))
}

// tokenError is the token endpoint's JSON error (s20).
func tokenError(w http.ResponseWriter, code, desc string) {
	writeTokenJSON(w, http.StatusBadRequest, map[string]any{"error": code, "error_description": desc})
}

func writeTokenJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
	writeJSON(w, status, v)
}

// pkceS256 is BASE64URL(SHA256(verifier)).
func pkceS256(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		methodNotAllowed(w, r, "OPTIONS, POST")
		return
	}
	if err := r.ParseForm(); err != nil {
		tokenError(w, "invalid_request", "invalid request")
		return
	}
	f := r.PostForm
	client := s.oauthClient(f.Get("client_id"))
	switch f.Get("grant_type") {
	case "authorization_code", "refresh_token":
	default:
		tokenError(w, "unsupported_grant_type", "grant type is not supported")
		return
	}
	if client == nil {
		tokenError(w, "invalid_client", "invalid client ID")
		return
	}
	issuer := s.issuerFor(r)
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if f.Get("grant_type") == "refresh_token" {
		g := s.grantForTokenLocked(f.Get("refresh_token"))
		if g == nil || g.clientID != client.ID {
			tokenError(w, "invalid_grant", "invalid refresh token")
			return
		}
		g.accessedAt = now.UTC()
		// A refresh gives no new refresh token and no amr (s04).
		resp, err := s.tokenResponseLocked(issuer, g.clientID, g.userID, g.scope, g.id, "", nil, g.authTime, now)
		if err != nil {
			tokenError(w, "server_error", "unexpected error")
			return
		}
		writeTokenJSON(w, http.StatusOK, resp)
		return
	}
	c := s.signin.codes[f.Get("code")]
	if c == nil || c.used || c.clientID != client.ID {
		tokenError(w, "invalid_grant", "invalid authorization code")
		return
	}
	if f.Get("redirect_uri") != c.redirectURI {
		tokenError(w, "invalid_request", "invalid redirect URI")
		return
	}
	verifier := f.Get("code_verifier")
	if verifier == "" {
		tokenError(w, "invalid_request", "PKCE code verifier is required")
		return
	}
	if subtle.ConstantTimeCompare([]byte(pkceS256(verifier)), []byte(c.challenge)) != 1 {
		// A failed exchange does not burn the code (s20).
		tokenError(w, "invalid_grant", "invalid authorization code")
		return
	}
	u := s.store.users[c.userID]
	if u == nil || u.disabled {
		tokenError(w, "invalid_grant", "invalid authorization code")
		return
	}
	c.used = true
	grantID, refresh := "", ""
	if hasScope(c.scope, "offline_access") {
		g := &offlineGrant{id: newUUID(), secret: newSecret(), clientID: c.clientID, userID: c.userID, idpSession: c.sessionID,
			scope: c.scope, createdAt: now.UTC(), accessedAt: now.UTC(), authTime: c.authTime}
		if sess := s.signin.sessions[c.sessionID]; sess != nil {
			g.displayName, g.userAgent, g.ip = sess.displayName, sess.userAgent, sess.ip
		} else {
			g.displayName, g.userAgent, g.ip = userAgentDisplayName(r.UserAgent()), r.UserAgent(), clientIP(r)
		}
		s.signin.grants[g.id] = g
		grantID, refresh = g.id, g.id+"."+g.secret
	}
	resp, err := s.tokenResponseLocked(issuer, c.clientID, c.userID, c.scope, grantID, c.sessionID, c.amr, c.authTime, now)
	if err != nil {
		tokenError(w, "server_error", "unexpected error")
		return
	}
	if refresh != "" {
		resp["refresh_token"] = refresh
	}
	writeTokenJSON(w, http.StatusOK, resp)
}

func hasScope(scope, want string) bool {
	for _, s := range strings.Fields(scope) {
		if s == want {
			return true
		}
	}
	return false
}

// grantForTokenLocked is the live offline grant of a refresh token
// "<id>.<secret>" whose user may still sign in.
func (s *Server) grantForTokenLocked(tok string) *offlineGrant {
	id, secret, ok := strings.Cut(tok, ".")
	if !ok {
		return nil
	}
	g := s.signin.grants[id]
	if g == nil || g.revoked || subtle.ConstantTimeCompare([]byte(g.secret), []byte(secret)) != 1 {
		return nil
	}
	if u := s.store.users[g.userID]; u == nil || u.disabled {
		return nil
	}
	return g
}

// userClaimsLocked are the https://authgear.com/claims/user/* claims.
func (s *Server) userClaimsLocked(u *user) map[string]any {
	return map[string]any{
		ClaimCanReauthenticate: u.password != nil || len(u.totps) > 0,
		ClaimIsAnonymous:       false,
		ClaimIsVerified:        s.isVerifiedLocked(u),
		ClaimRoles:             rolesOf(u),
	}
}

func rolesOf(u *user) []string {
	out := append([]string{}, u.roles...)
	return out
}

// isVerifiedLocked is the is_verified claim: true only when a verifiable
// claim is verified. With the recorded project's configuration (e-mail
// verification off, phone on; Options.VerifiableClaims), a verified
// e-mail does not count (s14).
func (s *Server) isVerifiedLocked(u *user) bool {
	for _, c := range u.verified {
		for _, v := range s.opts.VerifiableClaims {
			if c.Name == v {
				return true
			}
		}
	}
	return false
}

// tokenResponseLocked signs the access token and the ID token (s04).
func (s *Server) tokenResponseLocked(issuer, clientID, userID, scope, grantID, sessionID string, amr []string, authTime, now time.Time) (map[string]any, error) {
	u := s.store.users[userID]
	if u == nil {
		return nil, fmt.Errorf("no user")
	}
	key := s.opts.TokenKey
	var jti [32]byte
	_, _ = rand.Read(jti[:])
	at := jwt.MapClaims{
		"iss": issuer, "aud": []string{issuer}, "sub": userID, "client_id": clientID,
		"iat": now.Unix(), "exp": now.Add(accessTokenTTL).Unix(), "jti": hex.EncodeToString(jti[:]),
		"scope": scope, "auth_time": authTime.Unix(),
	}
	id := jwt.MapClaims{
		"iss": issuer, "aud": []string{clientID}, "sub": userID,
		"iat": now.Unix(), "exp": now.Add(idTokenTTL).Unix(), "auth_time": authTime.Unix(),
	}
	if grantID != "" {
		id["sid"] = base64.RawURLEncoding.EncodeToString([]byte("offline_grant:" + grantID))
	} else if sessionID != "" {
		id["sid"] = base64.RawURLEncoding.EncodeToString([]byte("idp_session:" + sessionID))
	}
	if len(amr) > 0 {
		at["amr"] = append([]string(nil), amr...)
		id["amr"] = append([]string(nil), amr...)
	}
	for k, v := range s.userClaimsLocked(u) {
		at[k], id[k] = v, v
	}
	sign := func(c jwt.MapClaims, typ string) (string, error) {
		t := jwt.NewWithClaims(jwt.SigningMethodRS256, c)
		t.Header["kid"] = key.KID
		t.Header["typ"] = typ
		return t.SignedString(key.Private)
	}
	accessToken, err := sign(at, "at+jwt")
	if err != nil {
		return nil, err
	}
	idToken, err := sign(id, "JWT")
	if err != nil {
		return nil, err
	}
	s.signin.tokens[at["jti"].(string)] = accessTokenRecord{grantID: grantID, sessionID: sessionID}
	return map[string]any{"access_token": accessToken, "expires_in": int(accessTokenTTL / time.Second), "id_token": idToken, "token_type": "Bearer"}, nil
}

// bearerToken is the request's access token: "Bearer" in any case (s12).
func bearerToken(r *http.Request) (string, bool) {
	scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "bearer") || tok == "" {
		return "", false
	}
	return tok, true
}

// userForAccessTokenLocked checks an access token as the resolver and
// userinfo do: signed by the token key for this origin, not expired, its
// grant (when the sandbox issued it through OAuth) not revoked, and its
// user not disabled. A token minted by "sandbox token" for a user the
// sandbox does not hold is accepted with u == nil.
func (s *Server) userForAccessTokenLocked(tok, issuer string) (claims jwt.MapClaims, u *user, ok bool) {
	claims, err := s.VerifyAccessToken(tok, issuer)
	if err != nil {
		return nil, nil, false
	}
	jti, _ := claims["jti"].(string)
	if rec, issued := s.signin.tokens[jti]; issued {
		if rec.grantID != "" {
			if g := s.signin.grants[rec.grantID]; g == nil || g.revoked {
				return nil, nil, false
			}
		} else if sess := s.signin.sessions[rec.sessionID]; sess == nil || sess.revoked {
			return nil, nil, false
		}
	}
	sub, _ := claims.GetSubject()
	u = s.store.users[sub]
	if u != nil && u.disabled {
		return nil, nil, false
	}
	return claims, u, true
}

// userinfoFailure is every userinfo failure (s13): 401, a JSON body
// labelled text/plain, and WWW-Authenticate.
func userinfoFailure(w http.ResponseWriter) {
	w.Header().Set("WWW-Authenticate", `Bearer error="invalid_grant", error_description="invalid session"`)
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(http.StatusUnauthorized)
	_, _ = w.Write([]byte(`{"error":"invalid_grant","error_description":"invalid session"}` + "\n"))
}

// userinfo is /oauth2/userinfo (GET or POST) with a bearer token or the
// session cookie (s13, s03).
func (s *Server) userinfo(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		methodNotAllowed(w, r, "GET, OPTIONS, POST")
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	s.mu.Lock()
	defer s.mu.Unlock()
	var u *user
	withCookie := false
	if tok, ok := bearerToken(r); ok {
		if s.opts.TokenKey != nil {
			if _, tu, ok := s.userForAccessTokenLocked(tok, s.issuerFor(r)); ok {
				u = tu
			}
		}
	} else if hasSessionCookie(r) {
		if sess := s.sessionFromCookieLocked(r); sess != nil {
			u, withCookie = s.store.users[sess.userID], true
			sess.accessedAt = s.now().UTC()
		} else {
			clearSessionCookie(w)
		}
	}
	if u == nil {
		userinfoFailure(w)
		return
	}
	writeJSON(w, http.StatusOK, s.userinfoClaimsLocked(u, withCookie))
}

// userinfoClaimsLocked are the claims of userinfo: the standard
// attributes (login IDs and their verified flags), custom_attributes, the
// user claims, sub, updated_at, x_web3; with the session cookie also the
// authenticators, identities and recovery_code_enabled (s03).
func (s *Server) userinfoClaimsLocked(u *user, full bool) map[string]any {
	m := (&userObj{u: u}).standardAttributes()
	m["custom_attributes"] = copyMap(u.custom)
	m["sub"] = u.id
	m["x_web3"] = map[string]any{}
	for k, v := range s.userClaimsLocked(u) {
		m[k] = v
	}
	if full {
		var auths []any
		if u.password != nil {
			auths = append(auths, map[string]any{"created_at": rfc3339(u.createdAt), "updated_at": rfc3339(u.updatedAt), "type": "password", "kind": "primary"})
		}
		for range u.totps {
			auths = append(auths, map[string]any{"created_at": rfc3339(u.createdAt), "updated_at": rfc3339(u.updatedAt), "type": "totp", "kind": "secondary"})
		}
		if auths == nil {
			auths = []any{}
		}
		ids := []any{}
		for _, id := range u.identities {
			ids = append(ids, map[string]any{"created_at": rfc3339(u.createdAt), "updated_at": rfc3339(u.createdAt), "type": "login_id", "login_id_key": id.key, "login_id_type": id.key})
		}
		m["https://authgear.com/claims/user/authenticators"] = auths
		m["https://authgear.com/claims/user/identities"] = ids
		m["https://authgear.com/claims/user/recovery_code_enabled"] = false
	}
	return m
}

// formatUnix is a unix time as the resolver's headers show it.
func formatUnix(t time.Time) string { return strconv.FormatInt(t.Unix(), 10) }
