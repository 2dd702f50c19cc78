package importer

// The OAuth path of a sign-in check (SignInCheck.ClientID), as
// real-server/sign-in s04 recorded it, with the fewest cookies: OIDC
// discovery and the key set first (nothing is sent before they are read),
// then GET /oauth2/authorize (code + PKCE S256, no redirect followed) for
// the x_ref of its Location, the login flow bound by url_query
// "client_id=...&x_ref=..." with batch_input, the flow's
// finish_redirect_uri fetched without a cookie (303 to
// redirect_uri?code=&state=, the state checked), and POST /oauth2/token
// with the code_verifier. The access token's signature is then checked
// against the project's JWKS (RS256 only, the kid must name a key of the
// set) and its claims are reported; the ID token's claims are read for
// display only.
//
// The flow answers as the standalone path's (s04 = s03), so the outcomes
// are the same. A success leaves an IdP session and an OFFLINE_GRANT
// session (s17): the refresh token is revoked at /oauth2/revoke (which
// deletes only that grant, authgear-server pkg/lib/oauth/handler
// handler_revoke.go; 200 whatever the token, s12) and the check confirms
// it, through the Admin API's session list or a refresh that must fail;
// the IdP session is ended by revokeSession as on the standalone path.
// The user's other sessions are never touched.
//
// Tokens, the code, the verifier and the session cookie are never printed,
// logged or written: only claims are kept, and every text from the server
// is scrubbed of them.

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/authgear-migrate/authgear-migrate/importer/adminapi"
)

// Paths of the OAuth path on the project's public endpoint (s01, s04).
const (
	DiscoveryPath = "/.well-known/openid-configuration"
	AuthorizePath = "/oauth2/authorize"
	TokenPath     = "/oauth2/token"
	RevokePath    = "/oauth2/revoke"
)

// signInOAuthScope is the scope s04 asked: offline_access gives the
// refresh token whose grant the check then revokes.
const signInOAuthScope = "openid offline_access"

// SignInToken is what the check learnt from the access token of the OAuth
// path, after its signature was verified. It holds claims only, never a
// token; every text is through Printable.
type SignInToken struct {
	KeyID     string   // the kid of the project's key that signed it
	Issuer    string   // iss (the discovery document's issuer)
	Audience  []string // aud: Authgear puts the public origin, not the client id (s04)
	Subject   string   // sub: the raw user id
	ClientID  string   // client_id
	Roles     []string // the roles claim (s22); empty when the user has none
	RolesSent bool     // the roles claim is in the token
	Lifetime  time.Duration
	Methods   []string // amr
	// SubjectChecked: the Admin API was asked which user holds the login
	// id; SubjectIsUser is its answer (sub is that user).
	SubjectChecked, SubjectIsUser bool
	// The ID token's aud and lifetime, read for display, not verified.
	IDTokenAudience []string
	IDTokenLifetime time.Duration
}

// SignInOAuthError is an OAuth path that could not start: the discovery
// document, the key set or the authorization endpoint failed, before the
// password was sent. Nothing was left behind.
type SignInOAuthError struct {
	Step   string // "discovery", "key set" or "authorize"
	URL    string // without query
	Status int    // 0 when no answer came
	Detail string // through Printable
}

func (e *SignInOAuthError) Error() string {
	what := map[string]string{
		"discovery": "the OpenID discovery document",
		"key set":   "the project's key set (JWKS)",
		"authorize": "the authorization endpoint",
	}[e.Step]
	if what == "" {
		what = Printable(e.Step)
	}
	s := "sign-in check: " + what + " at " + Printable(e.URL)
	if e.Status != 0 {
		s += fmt.Sprintf(" answered HTTP %d", e.Status)
	} else {
		s += " gave no answer"
	}
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	return s + "; the password was not sent"
}

// oauthCheck carries what one OAuth sign-in check needs.
type oauthCheck struct {
	ctx    context.Context
	hc     *http.Client
	origin *url.URL
	sec    signInSecrets
	client string
}

// signInDiscovery is the part of the OIDC discovery document the check
// uses.
type signInDiscovery struct {
	Issuer     string `json:"issuer"`
	JWKSURI    string `json:"jwks_uri"`
	Revocation string `json:"revocation_endpoint"`
}

// Usage errors of the OAuth path (both wrap ErrSignInUsage): each front
// end words them with its own names.
var (
	// ErrSignInNoRedirectURI: an OAuth client id without a redirect URI.
	// There is no default: the public endpoint does not say a client's
	// redirect URIs, and a wrong one stops the check at authorize.
	ErrSignInNoRedirectURI = fmt.Errorf("%w: an OAuth client needs one of its redirect URIs (the check never opens it)", ErrSignInUsage)
	// ErrSignInNoClient: a redirect URI without an OAuth client id.
	ErrSignInNoClient = fmt.Errorf("%w: a redirect URI goes with an OAuth client id", ErrSignInUsage)
)

// CheckSignInOAuth checks an OAuth client id and redirect URI before
// anything is sent (front ends call it before asking for the password;
// SignIn calls it too): both or neither, and the URI an absolute http(s)
// URL.
func CheckSignInOAuth(clientID, redirectURI string) error {
	clientID, redirectURI = strings.TrimSpace(clientID), strings.TrimSpace(redirectURI)
	switch {
	case clientID == "" && redirectURI == "":
		return nil
	case clientID == "":
		return ErrSignInNoClient
	}
	_, err := signInRedirectURI(redirectURI)
	return err
}

// signInOAuth is SignIn with an OAuth client. loginID is trimmed and the
// password valid UTF-8; hc follows no redirect.
func signInOAuth(ctx context.Context, c SignInCheck, loginID string, origin *url.URL, hc *http.Client) (SignInResult, error) {
	clientID := strings.TrimSpace(c.ClientID)
	if err := CheckSignInOAuth(clientID, c.RedirectURI); err != nil {
		return SignInResult{}, err
	}
	redirect, err := signInRedirectURI(c.RedirectURI)
	if err != nil {
		return SignInResult{}, err
	}
	o := &oauthCheck{ctx: ctx, hc: hc, origin: origin, sec: signInSecrets{c.Password}, client: clientID}
	res := SignInResult{LoginMethod: SignInLoginMethod(loginID)}

	disc, err := o.discover()
	if err != nil {
		return res, err
	}
	keys, err := o.keySet(disc.JWKSURI)
	if err != nil {
		return res, err
	}
	verifier := signInRandom(48)
	state := signInRandom(16)
	o.sec = append(o.sec, verifier)
	xref, err := o.authorize(redirect, signInPKCE(verifier), state)
	if err != nil {
		return res, err
	}

	// The flow, bound to the authorization by url_query alone (s04).
	body, err := loginFlowBody(res.LoginMethod, loginID, c.Password, url.Values{"client_id": {clientID}, "x_ref": {xref}}.Encode())
	if err != nil {
		return res, fmt.Errorf("sign-in check: %w", err)
	}
	flowURL := origin.String() + AuthFlowPath
	resp, raw, err := o.do(http.MethodPost, flowURL, "application/json", body, "")
	if err != nil {
		return res, err
	}
	var env signInEnvelope
	if !json.Valid(raw) || json.Unmarshal(raw, &env) != nil || (env.Result == nil && env.Error == nil) {
		return res, &SignInAnswerError{Status: resp.StatusCode, ContentType: signInClip(resp.Header.Get("Content-Type"), 100), Endpoint: origin.String()}
	}
	classifySignIn(&res, resp, &env, o.sec)
	if res.Outcome != SignInSucceeded || res.NextStep != "" {
		return res, nil
	}
	res.LastLoginChanged = true
	cookie, maxAge := signInSessionToken(resp)
	if maxAge > 0 {
		res.SessionLifetime = maxAge
	}
	if cookie != "" {
		o.sec = append(o.sec, cookie)
	}
	var finished struct {
		Result struct {
			Action struct {
				Data struct {
					FinishRedirectURI string `json:"finish_redirect_uri"`
				} `json:"data"`
			} `json:"action"`
		} `json:"result"`
	}
	_ = json.Unmarshal(raw, &finished)

	refresh := ""
	tok, why := func() (*SignInToken, string) {
		code, why := o.consent(finished.Result.Action.Data.FinishRedirectURI, disc.Issuer, redirect, state)
		if why != "" {
			return nil, why
		}
		o.sec = append(o.sec, code)
		access, id, rt, why := o.exchange(code, redirect, verifier)
		for _, s := range []string{access, id, rt} {
			if s != "" {
				o.sec = append(o.sec, s)
			}
		}
		refresh = rt
		if why != "" {
			return nil, why
		}
		t, why := verifySignInToken(access, keys, disc.Issuer)
		if why != "" {
			return nil, why
		}
		signInIDTokenClaims(id, t)
		return t, ""
	}()
	if why != "" {
		res.TokenRefused = Printable(o.sec.scrub(why))
	}
	if tok != nil {
		res.UserID = tok.Subject
		if c.API != nil {
			var held SignInResult
			held.LoginMethod = res.LoginMethod
			signInLookup(ctx, c.API, loginID, &held)
			if held.UserID != "" {
				tok.SubjectChecked, tok.SubjectIsUser = true, held.UserID == tok.Subject
				if !tok.SubjectIsUser {
					res.TokenRefused = "the access token names user " + tok.Subject + ", but Authgear holds this login ID as user " + held.UserID
					res.UserID = held.UserID
				}
			}
		}
		res.Token = tok
	}
	if res.UserID == "" && cookie != "" {
		var info SignInResult
		signInUserinfo(ctx, o.hc, origin, cookie, &info)
		res.UserID = info.UserID
	}
	if res.UserID == "" && c.API != nil {
		var held SignInResult
		held.LoginMethod = res.LoginMethod
		signInLookup(ctx, c.API, loginID, &held)
		res.UserID = held.UserID
	}
	o.endGrant(c.API, refresh, disc, &res)
	if cookie == "" {
		res.SessionNote = "the server set no session cookie, so the session the check created cannot be named; the user's sessions are listed in the portal"
	} else {
		endSignInSession(ctx, c.API, cookie, &res)
	}
	if err := ctx.Err(); err != nil {
		return res, fmt.Errorf("sign-in check: %w", err)
	}
	return res, nil
}

// signInRedirectURI checks the redirect URI: required with a client, an
// absolute http(s) URL. The check never opens it.
func signInRedirectURI(s string) (*url.URL, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, ErrSignInNoRedirectURI
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.Fragment != "" {
		return nil, fmt.Errorf("%w: the redirect URI %s is not an absolute http(s) URL without a fragment", ErrSignInUsage, Printable(signInClip(s, 200)))
	}
	return u, nil
}

// signInRandom is n random bytes, base64url without padding.
func signInRandom(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// signInPKCE is the S256 code challenge of a verifier (RFC 7636).
func signInPKCE(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// do sends one request and reads its answer (bounded). cookie, when set,
// is the session cookie's value. Transport failures are errors, scrubbed.
func (o *oauthCheck) do(method, u, ctype string, body []byte, cookie string) (*http.Response, []byte, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(o.ctx, method, u, rd)
	if err != nil {
		return nil, nil, fmt.Errorf("sign-in check: %s", Printable(o.sec.scrub(err.Error())))
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", signInUserAgent)
	if cookie != "" {
		req.AddCookie(&http.Cookie{Name: sessionCookie, Value: cookie})
	}
	resp, err := o.hc.Do(req)
	if err != nil && o.ctx.Err() != nil {
		return nil, nil, fmt.Errorf("sign-in check: %w", o.ctx.Err())
	}
	if err != nil {
		return nil, nil, fmt.Errorf("sign-in check: %s: %s", Printable(signInNoQuery(u)), Printable(o.sec.scrub(signInTransportText(err))))
	}
	raw, rerr := io.ReadAll(io.LimitReader(resp.Body, maxSignInAnswer))
	_ = resp.Body.Close()
	if rerr != nil {
		return nil, nil, fmt.Errorf("sign-in check: reading the answer of %s: %s", Printable(signInNoQuery(u)), Printable(o.sec.scrub(signInTransportText(rerr))))
	}
	return resp, raw, nil
}

// signInNoQuery is a URL without its query and fragment (which may hold a
// code or a state).
func signInNoQuery(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return signInClip(s, 100)
	}
	u.RawQuery, u.Fragment, u.User = "", "", nil
	return u.String()
}

// discover reads the OIDC discovery document of the public endpoint.
func (o *oauthCheck) discover() (signInDiscovery, error) {
	u := o.origin.String() + DiscoveryPath
	fail := func(status int, detail string) error {
		return &SignInOAuthError{Step: "discovery", URL: u, Status: status, Detail: Printable(o.sec.scrub(signInClip(detail, 300)))}
	}
	resp, raw, err := o.do(http.MethodGet, u, "", nil, "")
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return signInDiscovery{}, err
		}
		return signInDiscovery{}, fail(0, strings.TrimPrefix(err.Error(), "sign-in check: "))
	}
	var d signInDiscovery
	if resp.StatusCode != http.StatusOK || json.Unmarshal(raw, &d) != nil {
		return d, fail(resp.StatusCode, "not an OpenID discovery document: is it the project's public endpoint?")
	}
	if d.Issuer == "" {
		return d, fail(resp.StatusCode, "the document names no issuer")
	}
	if j, err := url.Parse(d.JWKSURI); err != nil || (j.Scheme != "http" && j.Scheme != "https") || j.Host == "" {
		return d, fail(resp.StatusCode, "the document names no jwks_uri the check can read")
	}
	return d, nil
}

// keySet reads the project's RSA signing keys by kid.
func (o *oauthCheck) keySet(u string) (map[string]*rsa.PublicKey, error) {
	fail := func(status int, detail string) error {
		return &SignInOAuthError{Step: "key set", URL: signInNoQuery(u), Status: status, Detail: Printable(signInClip(detail, 300))}
	}
	resp, raw, err := o.do(http.MethodGet, u, "", nil, "")
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return nil, err
		}
		return nil, fail(0, strings.TrimPrefix(err.Error(), "sign-in check: "))
	}
	var set struct {
		Keys []struct {
			Kty, Kid, Alg, Use, N, E string
		} `json:"keys"`
	}
	if resp.StatusCode != http.StatusOK || json.Unmarshal(raw, &set) != nil {
		return nil, fail(resp.StatusCode, "not a JSON Web Key Set")
	}
	keys := map[string]*rsa.PublicKey{}
	for _, k := range set.Keys {
		if k.Kty != "RSA" || k.Kid == "" || (k.Alg != "" && k.Alg != "RS256") || (k.Use != "" && k.Use != "sig") {
			continue
		}
		n, err1 := base64.RawURLEncoding.DecodeString(strings.TrimRight(k.N, "="))
		e, err2 := base64.RawURLEncoding.DecodeString(strings.TrimRight(k.E, "="))
		if err1 != nil || err2 != nil || len(n) == 0 || len(e) == 0 || len(e) > 4 {
			continue
		}
		exp := int(new(big.Int).SetBytes(e).Int64())
		if exp < 3 {
			continue
		}
		keys[k.Kid] = &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: exp}
	}
	if len(keys) == 0 {
		return nil, fail(resp.StatusCode, "no RS256 signing key in the set")
	}
	return keys, nil
}

// authorize starts the authorization (s04) and returns the x_ref of the
// Location it redirects to.
func (o *oauthCheck) authorize(redirect *url.URL, challenge, state string) (string, error) {
	base := o.origin.String() + AuthorizePath
	q := url.Values{
		"client_id": {o.client}, "response_type": {"code"}, "redirect_uri": {redirect.String()},
		"scope": {signInOAuthScope}, "code_challenge": {challenge}, "code_challenge_method": {"S256"}, "state": {state},
	}
	fail := func(status int, detail string) error {
		return &SignInOAuthError{Step: "authorize", URL: base, Status: status, Detail: Printable(o.sec.scrub(signInClip(detail, 300)))}
	}
	resp, raw, err := o.do(http.MethodGet, base+"?"+q.Encode(), "", nil, "")
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return "", err
		}
		return "", fail(0, strings.TrimPrefix(err.Error(), "sign-in check: "))
	}
	if resp.StatusCode == http.StatusBadRequest {
		// text/plain: "error: ...\nerror_description: ..." (s20).
		code, desc := "", ""
		for _, l := range strings.Split(string(raw), "\n") {
			if v, ok := strings.CutPrefix(l, "error: "); ok {
				code = strings.TrimSpace(v)
			}
			if v, ok := strings.CutPrefix(l, "error_description: "); ok {
				desc = strings.TrimSpace(v)
			}
		}
		if code == "" {
			return "", fail(resp.StatusCode, "the client id or the redirect URI is not the project's")
		}
		return "", fail(resp.StatusCode, code+": "+desc+" (is the client id the project's, and the redirect URI one of its?)")
	}
	loc, err := resp.Location()
	if err != nil || (resp.StatusCode != http.StatusFound && resp.StatusCode != http.StatusSeeOther) {
		return "", fail(resp.StatusCode, "no redirect to the login")
	}
	if e := loc.Query().Get("error"); e != "" {
		return "", fail(resp.StatusCode, e+": "+loc.Query().Get("error_description"))
	}
	xref := loc.Query().Get("x_ref")
	if xref == "" || len(xref) > 200 {
		return "", fail(resp.StatusCode, "the redirect names no x_ref")
	}
	return xref, nil
}

// sameOrigin reports whether u is on the public endpoint or the issuer's
// host: where the check may send what it holds.
func (o *oauthCheck) sameOrigin(u *url.URL, issuer string) bool {
	if strings.EqualFold(u.Scheme, o.origin.Scheme) && strings.EqualFold(u.Host, o.origin.Host) {
		return true
	}
	iss, err := url.Parse(issuer)
	return err == nil && strings.EqualFold(u.Scheme, iss.Scheme) && strings.EqualFold(u.Host, iss.Host)
}

// consent fetches the flow's finish_redirect_uri without a cookie and
// returns the code of the 303 to the redirect URI, after checking the
// state; why says what went wrong instead.
func (o *oauthCheck) consent(finish, issuer string, redirect *url.URL, state string) (code, why string) {
	if finish == "" {
		return "", "the login flow finished without an OAuth redirect: the flow was not bound to the authorization"
	}
	u, err := url.Parse(finish)
	if err != nil || !o.sameOrigin(u, issuer) {
		return "", "the login flow's finish_redirect_uri is not on the public endpoint, so it was not opened"
	}
	resp, _, err := o.do(http.MethodGet, u.String(), "", nil, "")
	if err != nil {
		return "", strings.TrimPrefix(err.Error(), "sign-in check: ")
	}
	loc, err := resp.Location()
	if err != nil || resp.StatusCode != http.StatusSeeOther && resp.StatusCode != http.StatusFound {
		return "", fmt.Sprintf("the finish_redirect_uri answered HTTP %d, not a redirect to the redirect URI", resp.StatusCode)
	}
	if !strings.EqualFold(loc.Scheme, redirect.Scheme) || !strings.EqualFold(loc.Host, redirect.Host) || loc.Path != redirect.Path {
		return "", "the finish_redirect_uri redirected elsewhere than the redirect URI"
	}
	q := loc.Query()
	if q.Get("state") != state {
		return "", "the redirect's state is not the one the check sent"
	}
	if e := q.Get("error"); e != "" {
		return "", "the redirect carries " + signInClip(e, 100) + ": " + signInClip(q.Get("error_description"), 200)
	}
	if q.Get("code") == "" {
		return "", "the redirect carries no code"
	}
	return q.Get("code"), ""
}

// exchange is the code exchange (s04): the tokens, or why not.
func (o *oauthCheck) exchange(code string, redirect *url.URL, verifier string) (access, id, refresh, why string) {
	form := url.Values{"grant_type": {"authorization_code"}, "client_id": {o.client}, "code": {code}, "redirect_uri": {redirect.String()}, "code_verifier": {verifier}}
	resp, raw, err := o.do(http.MethodPost, o.origin.String()+TokenPath, "application/x-www-form-urlencoded", []byte(form.Encode()), "")
	if err != nil {
		return "", "", "", strings.TrimPrefix(err.Error(), "sign-in check: ")
	}
	var t struct {
		AccessToken  string `json:"access_token"`
		IDToken      string `json:"id_token"`
		RefreshToken string `json:"refresh_token"`
		Error        string `json:"error"`
		Description  string `json:"error_description"`
	}
	if json.Unmarshal(raw, &t) != nil {
		return "", "", "", fmt.Sprintf("the token endpoint answered HTTP %d, not JSON", resp.StatusCode)
	}
	if resp.StatusCode != http.StatusOK || t.Error != "" || t.AccessToken == "" {
		return "", "", t.RefreshToken, fmt.Sprintf("the token endpoint answered HTTP %d %s: %s", resp.StatusCode, signInClip(t.Error, 100), signInClip(t.Description, 200))
	}
	return t.AccessToken, t.IDToken, t.RefreshToken, ""
}

// verifySignInToken checks the access token as a backend would: RS256
// only, the kid names a key of the project's set, the signature verifies,
// iss is the discovery's issuer, exp is there and not past. It returns the
// claims, or why the token is refused.
func verifySignInToken(access string, keys map[string]*rsa.PublicKey, issuer string) (*SignInToken, string) {
	out := &SignInToken{}
	claims := jwt.MapClaims{}
	_, err := jwt.ParseWithClaims(access, claims, func(t *jwt.Token) (any, error) {
		kid, _ := t.Header["kid"].(string)
		if kid == "" {
			return nil, errors.New("the token names no key (no kid)")
		}
		out.KeyID = Printable(signInClip(kid, 100))
		k := keys[kid]
		if k == nil {
			return nil, fmt.Errorf("the token's key %s is not in the project's key set", out.KeyID)
		}
		return k, nil
	}, jwt.WithValidMethods([]string{"RS256"}), jwt.WithIssuer(issuer), jwt.WithExpirationRequired(), jwt.WithIssuedAt(), jwt.WithLeeway(time.Minute))
	if err != nil {
		switch {
		case errors.Is(err, jwt.ErrTokenSignatureInvalid):
			return nil, "the access token's signature does not verify against key " + out.KeyID + " of the project's key set"
		case errors.Is(err, jwt.ErrTokenUnverifiable):
			return nil, "the access token cannot be verified: " + signInJWTReason(err)
		case errors.Is(err, jwt.ErrTokenInvalidIssuer):
			return nil, "the access token's issuer is not the discovery document's (" + Printable(signInClip(issuer, 200)) + ")"
		}
		return nil, "the access token is refused: " + signInJWTReason(err)
	}
	str := func(k string) string { v, _ := claims[k].(string); return Printable(signInClip(v, 200)) }
	out.Issuer, out.Subject, out.ClientID = str("iss"), str("sub"), str("client_id")
	if aud, err := claims.GetAudience(); err == nil {
		for i, a := range aud {
			if i == 20 {
				break
			}
			out.Audience = append(out.Audience, Printable(signInClip(a, 200)))
		}
	}
	out.Roles, out.RolesSent = signInStrings(claims[rolesClaim])
	out.Methods, _ = signInStrings(claims["amr"])
	exp, _ := claims.GetExpirationTime()
	iat, _ := claims.GetIssuedAt()
	if exp != nil && iat != nil {
		out.Lifetime = exp.Sub(iat.Time)
	}
	if !adminapi.ValidUserID(out.Subject) {
		return nil, "the access token's subject is not a user id"
	}
	return out, ""
}

// signInJWTReason is a jwt error's text without the library's prefixes.
func signInJWTReason(err error) string {
	s := err.Error()
	if i := strings.LastIndex(s, ": "); i >= 0 {
		s = s[i+2:]
	}
	return Printable(signInClip(s, 200))
}

// signInStrings reads a claim that is a list of strings (at most 100).
func signInStrings(v any) ([]string, bool) {
	list, ok := v.([]any)
	if !ok {
		return nil, false
	}
	out := []string{}
	for _, x := range list {
		if s, ok := x.(string); ok && len(out) < 100 {
			out = append(out, Printable(signInClip(s, 100)))
		}
	}
	return out, true
}

// signInIDTokenClaims reads the ID token's aud and lifetime for display
// only: its signature is not checked.
func signInIDTokenClaims(id string, t *SignInToken) {
	if id == "" {
		return
	}
	claims := jwt.MapClaims{}
	if _, _, err := jwt.NewParser().ParseUnverified(id, claims); err != nil {
		return
	}
	if aud, err := claims.GetAudience(); err == nil {
		for i, a := range aud {
			if i == 20 {
				break
			}
			t.IDTokenAudience = append(t.IDTokenAudience, Printable(signInClip(a, 200)))
		}
	}
	exp, _ := claims.GetExpirationTime()
	iat, _ := claims.GetIssuedAt()
	if exp != nil && iat != nil {
		t.IDTokenLifetime = exp.Sub(iat.Time)
	}
}

// endGrant ends the OFFLINE_GRANT session of the refresh token the check
// received, and only that one: /oauth2/revoke when the discovery document
// lists it, confirmed by the Admin API's session list (revokeSession when
// the grant is still listed) or, without the Admin API, by a refresh that
// must now fail.
func (o *oauthCheck) endGrant(api *adminapi.Client, refresh string, disc signInDiscovery, res *SignInResult) {
	if refresh == "" {
		return
	}
	grantID, ok := adminapi.SessionIDFromToken(refresh)
	revoked := false
	if disc.Revocation != "" {
		if u, err := url.Parse(disc.Revocation); err == nil && o.sameOrigin(u, disc.Issuer) {
			form := url.Values{"token": {refresh}, "client_id": {o.client}}
			resp, _, err := o.do(http.MethodPost, u.String(), "application/x-www-form-urlencoded", []byte(form.Encode()), "")
			revoked = err == nil && resp.StatusCode == http.StatusOK
		}
	}
	if api != nil && ok && res.UserID != "" {
		gid := adminapi.SessionGlobalID(grantID)
		sessions, err := api.UserSessions(o.ctx, res.UserID)
		if err != nil {
			res.GrantNote = "the refresh token's grant may be left: the user's sessions could not be read (" + Printable(o.sec.scrub(signInErrText(err))) + ")"
			return
		}
		listed := false
		for _, s := range sessions {
			if s.ID == gid {
				listed = true
			}
		}
		if !listed {
			if revoked {
				res.GrantEnded = true
			} else {
				res.GrantNote = "the refresh token's grant is not among the user's sessions, so it was not ended; the user's sessions are listed in the portal"
			}
			return
		}
		if err := api.RevokeSession(o.ctx, gid); err != nil {
			res.GrantNote = "the refresh token's grant was left: ending it failed (" + Printable(o.sec.scrub(signInErrText(err))) + ")"
			return
		}
		res.GrantEnded = true
		return
	}
	if !revoked {
		res.GrantNote = "the refresh token's grant was left: the project lists no revocation endpoint the check could use, and ending it otherwise needs the Admin API key"
		return
	}
	// 200 is the answer whatever the token (s12): a refresh must now fail.
	form := url.Values{"grant_type": {"refresh_token"}, "client_id": {o.client}, "refresh_token": {refresh}}
	resp, raw, err := o.do(http.MethodPost, o.origin.String()+TokenPath, "application/x-www-form-urlencoded", []byte(form.Encode()), "")
	var e struct {
		Error string `json:"error"`
	}
	if err == nil && resp.StatusCode == http.StatusBadRequest && json.Unmarshal(raw, &e) == nil && e.Error == "invalid_grant" {
		res.GrantEnded = true
		return
	}
	res.GrantNote = "the refresh token's grant may be left: the revocation was answered, but a refresh was not refused; the user's sessions are listed in the portal"
}

// tokenLines says what the OAuth path learnt (Lines shows them after the
// outcome): the token's claims, then what became of the grant.
func (r SignInResult) tokenLines() []string {
	var out []string
	if t := r.Token; t != nil && r.TokenRefused == "" {
		out = append(out, "access token: signature checked against the project's key set (RS256, key "+t.KeyID+")")
		out = append(out, "issuer "+t.Issuer+"; audience "+signInList(t.Audience)+"; client "+t.ClientID+"; lifetime "+signInTokenLifetime(t.Lifetime)+" (exp - iat)")
		switch {
		case t.SubjectChecked && t.SubjectIsUser:
			out = append(out, "subject "+t.Subject+": the user Authgear holds under this login ID")
		case !t.SubjectChecked:
			out = append(out, "subject "+t.Subject+": not compared with the user Authgear holds under this login ID (that needs the Admin API key)")
		}
		switch {
		case !t.RolesSent:
			out = append(out, "roles claim: not in the token")
		case len(t.Roles) == 0:
			out = append(out, "roles claim: none")
		default:
			out = append(out, "roles claim: "+strings.Join(t.Roles, ", "))
		}
		if len(t.IDTokenAudience) > 0 {
			out = append(out, "ID token (read, not verified): audience "+signInList(t.IDTokenAudience)+"; lifetime "+signInTokenLifetime(t.IDTokenLifetime))
		}
	}
	switch {
	case r.GrantEnded:
		out = append(out, "the refresh token this check received was revoked (its grant ended; the user's other grants were left alone)")
	case r.GrantNote != "":
		out = append(out, r.GrantNote)
	}
	return out
}

// signInList joins a short list, sorted, or says none.
func signInList(l []string) string {
	if len(l) == 0 {
		return "(none)"
	}
	c := append([]string(nil), l...)
	sort.Strings(c)
	return strings.Join(c, ", ")
}

// signInTokenLifetime says a token's lifetime: "30 min", "1 h 30 min",
// "90 s".
func signInTokenLifetime(d time.Duration) string {
	switch {
	case d <= 0:
		return "none"
	case d%time.Minute != 0:
		return fmt.Sprintf("%d s", int(d/time.Second))
	case d >= time.Hour && d%time.Hour == 0:
		return fmt.Sprintf("%d h", int(d/time.Hour))
	case d >= time.Hour:
		return fmt.Sprintf("%d h %d min", int(d/time.Hour), int(d%time.Hour/time.Minute))
	}
	return fmt.Sprintf("%d min", int(d/time.Minute))
}
