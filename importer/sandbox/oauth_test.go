package sandbox

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/golang-jwt/jwt/v5"
)

// oauthServer is signInServer with a token key (the OAuth path on).
func oauthServer(t *testing.T, recs ...string) (*Server, *httptest.Server) {
	t.Helper()
	good, _ := signingKeys(t)
	clock := newFakeClock()
	s, hs := newTestServer(t, Options{LoginIDTypes: []string{"email", "phone", "username"}, Now: clock.Now, TokenKey: good, Roles: []string{"admin"}})
	for _, rec := range recs {
		if res := importAndWait(t, s, hs, `{"identifier":"email","records":[`+rec+`]}`); summaryOf(t, res).Failed != 0 {
			t.Fatalf("import: %v", res)
		}
	}
	return s, hs
}

func parseClaims(t *testing.T, tok string) (header, claims map[string]any) {
	t.Helper()
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %q", tok)
	}
	for i, dst := range []*map[string]any{&header, &claims} {
		b, err := jwt.NewParser().DecodeSegment(parts[i])
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, dst); err != nil {
			t.Fatal(err)
		}
	}
	return header, claims
}

// s04: the OAuth code path gives the access token and ID token a real
// Authgear gives (claims, lifetimes, aud), the resolver and userinfo accept
// the access token, a refresh gives tokens without amr and no refresh
// token, and the sessions are an IdP session and an offline grant (s17).
func TestOAuthSignInTokens(t *testing.T) {
	rec := fmt.Sprintf(`{"email":"s04@example.com","email_verified":true,"roles":["admin"],"password":{"type":"bcrypt","password_hash":%q}}`, bcryptHash(t, "S04-Passw0rd!"))
	s, hs := oauthServer(t, rec)
	toks, err := OAuthSignIn(context.Background(), hs.Client(), hs.URL, DefaultOAuthClient, "email", "s04@example.com", "S04-Passw0rd!")
	if err != nil {
		t.Fatal(err)
	}
	u, _ := s.UserByLoginID("email", "s04@example.com")
	if toks.ExpiresIn != 1800 || toks.TokenType != "Bearer" || !strings.HasPrefix(toks.RefreshToken, "") || len(strings.Split(toks.RefreshToken, ".")) != 2 {
		t.Errorf("tokens = %+v", toks)
	}
	h, c := parseClaims(t, toks.AccessToken)
	good, _ := signingKeys(t)
	if h["typ"] != "at+jwt" || h["alg"] != "RS256" || h["kid"] != good.KID {
		t.Errorf("access token header = %v", h)
	}
	want := map[string]any{
		"iss": hs.URL, "client_id": "migrate-test", "sub": u.ID, "scope": "openid offline_access",
		ClaimCanReauthenticate: true, ClaimIsAnonymous: false, ClaimIsVerified: false,
	}
	for k, v := range want {
		if c[k] != v {
			t.Errorf("access token %s = %v, want %v", k, c[k], v)
		}
	}
	if !jsonEqual(c["aud"], `["`+hs.URL+`"]`) || !jsonEqual(c["amr"], `["pwd","x_primary_password"]`) || !jsonEqual(c[ClaimRoles], `["admin"]`) {
		t.Errorf("access token aud/amr/roles = %v %v %v", c["aud"], c["amr"], c[ClaimRoles])
	}
	if c["exp"].(float64)-c["iat"].(float64) != 1800 || c["auth_time"] == nil || len(c["jti"].(string)) != 64 {
		t.Errorf("access token times/jti = %v", c)
	}
	ih, ic := parseClaims(t, toks.IDToken)
	grantID, _, _ := strings.Cut(toks.RefreshToken, ".")
	if ih["typ"] != "JWT" || !jsonEqual(ic["aud"], `["migrate-test"]`) || ic["exp"].(float64)-ic["iat"].(float64) != 300 ||
		ic["sid"] != base64URL("offline_grant:"+grantID) || ic["client_id"] != nil || ic["scope"] != nil {
		t.Errorf("ID token = %v %v", ih, ic)
	}

	// The resolver (with the issuer's host) and userinfo accept it.
	req, _ := http.NewRequest(http.MethodGet, hs.URL+resolvePath, nil)
	req.Header.Set("Authorization", "Bearer "+toks.AccessToken)
	resp, err := hs.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Header.Get(HeaderSessionValid) != "true" || resp.Header.Get(HeaderUserID) != u.ID || resp.Header.Get(HeaderUserRoles) != "admin" || resp.Header.Get(HeaderSessionAmr) != "" {
		t.Errorf("resolver = %v", resp.Header)
	}
	info := userinfoBearer(t, hs, toks.AccessToken)
	if info["sub"] != u.ID || info["email"] != "s04@example.com" || info["email_verified"] != true || info[ClaimIsVerified] != false || info["custom_attributes"] == nil || info["https://authgear.com/claims/user/identities"] != nil {
		t.Errorf("userinfo = %v", info)
	}

	// Refresh: new tokens, no amr, no refresh token.
	ref := tokenPost(t, hs, url.Values{"grant_type": {"refresh_token"}, "client_id": {"migrate-test"}, "refresh_token": {toks.RefreshToken}})
	if ref.status != 200 || ref.body["refresh_token"] != nil {
		t.Fatalf("refresh: %d %v", ref.status, ref.body)
	}
	_, rc := parseClaims(t, ref.body["access_token"].(string))
	if rc["amr"] != nil || rc["auth_time"] != c["auth_time"] {
		t.Errorf("refreshed claims = %v", rc)
	}

	list := s.Sessions(u.ID)
	if len(list) != 2 || list[0].Type != "OFFLINE_GRANT" || list[0].ClientID != "migrate-test" || list[1].Type != "IDP" {
		t.Errorf("sessions = %+v", list)
	}
	// Revoking the offline grant: the access token is ignored, the
	// refresh token refused (s12, s13, s17).
	if !s.revokeForTest(grantID) {
		t.Fatal("no grant to revoke")
	}
	resp, _ = hs.Client().Do(req)
	resp.Body.Close()
	if _, present := resp.Header[HeaderSessionValid]; present {
		t.Errorf("resolver after revoke: %v", resp.Header)
	}
	if st := userinfoStatus(t, hs, toks.AccessToken); st != 401 {
		t.Errorf("userinfo after revoke: %d", st)
	}
	if r := tokenPost(t, hs, url.Values{"grant_type": {"refresh_token"}, "client_id": {"migrate-test"}, "refresh_token": {toks.RefreshToken}}); r.status != 400 || r.body["error_description"] != "invalid refresh token" {
		t.Errorf("refresh after revoke: %d %v", r.status, r.body)
	}
}

func (s *Server) revokeForTest(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.revokeSessionLocked(id) != ""
}

func base64URL(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

type tokenAnswer struct {
	status int
	body   map[string]any
}

func tokenPost(t *testing.T, hs *httptest.Server, form url.Values) tokenAnswer {
	t.Helper()
	resp, err := hs.Client().PostForm(hs.URL+tokenPath, form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&m)
	return tokenAnswer{resp.StatusCode, m}
}

func userinfoStatus(t *testing.T, hs *httptest.Server, tok string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, hs.URL+userinfoPath, nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := hs.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func userinfoBearer(t *testing.T, hs *httptest.Server, tok string) map[string]any {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, hs.URL+userinfoPath, nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := hs.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&m); err != nil || resp.StatusCode != 200 {
		t.Fatalf("userinfo: %d %v", resp.StatusCode, err)
	}
	return m
}

// s04, s20: the code works once, a failed exchange does not burn it, and
// the errors of /oauth2/token and /oauth2/authorize are the recorded ones.
func TestOAuthErrors(t *testing.T) {
	_, hs := oauthServer(t, pwRecord(t, "email", "s20@example.com", "S20-Passw0rd!"))
	noFollow := *hs.Client()
	noFollow.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	authz := func(q url.Values) *http.Response {
		resp, err := noFollow.Get(hs.URL + authorizePath + "?" + q.Encode())
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	base := func() url.Values {
		return url.Values{"client_id": {"migrate-test"}, "response_type": {"code"}, "redirect_uri": {"http://127.0.0.1:9999/after-login"},
			"scope": {"openid offline_access"}, "code_challenge": {pkceS256("verifier-0123456789-0123456789-0123456789-0123")}, "code_challenge_method": {"S256"}, "state": {"s20"}}
	}
	q := base()
	q.Set("redirect_uri", "http://127.0.0.1:9999/other")
	if r := authz(q); r.StatusCode != 400 || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/plain") {
		t.Errorf("unregistered redirect: %d", r.StatusCode)
	}
	q = base()
	q.Set("client_id", "nope")
	if r := authz(q); r.StatusCode != 400 {
		t.Errorf("unknown client: %d", r.StatusCode)
	}
	q = base()
	q.Del("code_challenge")
	if r := authz(q); r.StatusCode != 303 || r.Header.Get("Location") != "http://127.0.0.1:9999/after-login?error=invalid_request&error_description=PKCE+code+challenge+is+required+for+public+clients&state=s20" {
		t.Errorf("no challenge: %d %s", r.StatusCode, r.Header.Get("Location"))
	}
	r := authz(base())
	loc, _ := r.Location()
	if r.StatusCode != 302 || loc.Path != entrypointPath || len(loc.Query().Get("x_ref")) != 32 {
		t.Fatalf("authorize: %d %v", r.StatusCode, loc)
	}
	fin := flowPost(t, hs, flowsPath, map[string]any{"type": "login", "name": "default", "url_query": "client_id=migrate-test&x_ref=" + loc.Query().Get("x_ref"),
		"batch_input": []any{map[string]any{"identification": "email", "login_id": "s20@example.com"}, map[string]any{"authentication": "primary_password", "password": "S20-Passw0rd!"}}})
	finish, _ := fin.body["result"].(map[string]any)["action"].(map[string]any)["data"].(map[string]any)["finish_redirect_uri"].(string)
	if !strings.HasPrefix(finish, hs.URL+consentPath+"?client_id=migrate-test&code=") {
		t.Fatalf("finish_redirect_uri = %q", finish)
	}
	get := func(u string) string {
		resp, err := noFollow.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 303 {
			t.Fatalf("consent: %d", resp.StatusCode)
		}
		return resp.Header.Get("Location")
	}
	back, _ := url.Parse(get(finish))
	code := back.Query().Get("code")
	if code == "" || back.Query().Get("state") != "s20" {
		t.Fatalf("consent: %v", back)
	}
	if again := get(finish); again != "http://127.0.0.1:9999/after-login?error=invalid_request&error_description=authentication+expired&state=s20" {
		t.Errorf("consent again: %s", again)
	}
	form := func(mod func(url.Values)) url.Values {
		f := url.Values{"grant_type": {"authorization_code"}, "client_id": {"migrate-test"}, "code": {code}, "redirect_uri": {"http://127.0.0.1:9999/after-login"}, "code_verifier": {"verifier-0123456789-0123456789-0123456789-0123"}}
		mod(f)
		return f
	}
	cases := []struct {
		mod       func(url.Values)
		err, desc string
	}{
		{func(f url.Values) { f.Set("code_verifier", "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx") }, "invalid_grant", "invalid authorization code"},
		{func(f url.Values) { f.Del("code_verifier") }, "invalid_request", "PKCE code verifier is required"},
		{func(f url.Values) { f.Set("redirect_uri", "http://127.0.0.1:9999/other") }, "invalid_request", "invalid redirect URI"},
		{func(f url.Values) { f.Set("client_id", "nope") }, "invalid_client", "invalid client ID"},
		{func(f url.Values) { f.Set("grant_type", "password") }, "unsupported_grant_type", "grant type is not supported"},
	}
	for _, c := range cases {
		a := tokenPost(t, hs, form(c.mod))
		if a.status != 400 || a.body["error"] != c.err || a.body["error_description"] != c.desc {
			t.Errorf("want %s: %d %v", c.err, a.status, a.body)
		}
	}
	if a := tokenPost(t, hs, form(func(url.Values) {})); a.status != 200 || a.body["access_token"] == nil {
		t.Errorf("after failed tries: %d %v", a.status, a.body)
	}
	if a := tokenPost(t, hs, form(func(url.Values) {})); a.status != 400 || a.body["error"] != "invalid_grant" {
		t.Errorf("code again: %d %v", a.status, a.body)
	}
}

// s03: prompt=none with the session cookie gives a code straight away,
// and its access token has no amr.
func TestOAuthPromptNoneWithSessionCookie(t *testing.T) {
	_, hs := oauthServer(t, pwRecord(t, "email", "s03@example.com", "S03-Passw0rd!"))
	cookie := signInSteps(t, hs, "email", "s03@example.com", "S03-Passw0rd!").cookie("session")
	verifier := "D7V2WZtNAOb1w18D8zX6xNK3S4C1ZUAV79Jc-ncMSlfoAqmTh2BjA7tk-pXB2pLP"
	q := url.Values{"client_id": {"migrate-test"}, "response_type": {"code"}, "redirect_uri": {"http://127.0.0.1:9999/after-login"},
		"scope": {"openid offline_access"}, "code_challenge": {pkceS256(verifier)}, "code_challenge_method": {"S256"}, "state": {"s03state"}, "prompt": {"none"}}
	req, _ := http.NewRequest(http.MethodGet, hs.URL+authorizePath+"?"+q.Encode(), nil)
	req.Header.Set("Cookie", "session="+cookie)
	noFollow := *hs.Client()
	noFollow.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := noFollow.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, _ := resp.Location()
	if resp.StatusCode != 303 || loc.Query().Get("code") == "" || loc.Query().Get("state") != "s03state" {
		t.Fatalf("prompt=none: %d %v", resp.StatusCode, loc)
	}
	a := tokenPost(t, hs, url.Values{"grant_type": {"authorization_code"}, "client_id": {"migrate-test"}, "code": {loc.Query().Get("code")}, "redirect_uri": {"http://127.0.0.1:9999/after-login"}, "code_verifier": {verifier}})
	if a.status != 200 {
		t.Fatalf("token: %d %v", a.status, a.body)
	}
	if _, c := parseClaims(t, a.body["access_token"].(string)); c["amr"] != nil {
		t.Errorf("amr = %v", c["amr"])
	}
}
