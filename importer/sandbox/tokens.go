package sandbox

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"github.com/authgear-migrate/authgear-migrate/importer/internal/cmdline"
	"io"
	"math/big"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// The routes a backend uses to check Authgear's access tokens, as in
// Authgear's oauth and resolver handlers.
const (
	discoveryPath = "/.well-known/openid-configuration"
	jwksPath      = "/oauth2/jwks"
	resolvePath   = "/_resolver/resolve"
)

// The user claims of Authgear's JWT access token (model.ClaimUserIsAnonymous
// and friends).
const (
	ClaimIsAnonymous       = "https://authgear.com/claims/user/is_anonymous"
	ClaimIsVerified        = "https://authgear.com/claims/user/is_verified"
	ClaimCanReauthenticate = "https://authgear.com/claims/user/can_reauthenticate"
	ClaimRoles             = "https://authgear.com/claims/user/roles"
)

// AccessToken describes an access token to sign, with the claims Authgear's
// AccessTokenEncoding puts in a JWT access token: iss and aud are the
// endpoint (aud as a one-element array, as jwx writes it), sub the user id,
// iat, exp, jti, client_id and the user claims.
type AccessToken struct {
	// Issuer is the endpoint, "https://myapp.authgear.cloud". Required.
	Issuer string
	// Audience defaults to []string{Issuer}.
	Audience []string
	// Subject is the user id. Required.
	Subject string
	// ClientID defaults to "sandbox".
	ClientID string
	// IssuedAt defaults to time.Now().
	IssuedAt time.Time
	// ExpiresIn is added to IssuedAt for exp; default 5 minutes. A
	// negative value makes an expired token.
	ExpiresIn time.Duration
	// The user claims.
	IsAnonymous, IsVerified, CanReauthenticate bool
	// Roles are the user's effective role keys (the roles claim is always
	// present, [] when none, as Authgear writes it).
	Roles []string
}

// AccessToken signs t with the key: header {alg RS256, kid, typ at+jwt}.
func (k *KeyPair) AccessToken(t AccessToken) (string, error) {
	if t.Issuer == "" {
		return "", errors.New("sandbox: access token: Issuer is required")
	}
	if t.Subject == "" {
		return "", errors.New("sandbox: access token: Subject is required")
	}
	aud := t.Audience
	if aud == nil {
		aud = []string{t.Issuer}
	}
	if t.ClientID == "" {
		t.ClientID = "sandbox"
	}
	if t.IssuedAt.IsZero() {
		t.IssuedAt = time.Now()
	}
	if t.ExpiresIn == 0 {
		t.ExpiresIn = 5 * time.Minute
	}
	roles := t.Roles
	if roles == nil {
		roles = []string{}
	}
	var jti [32]byte
	_, _ = rand.Read(jti[:])
	claims := jwt.MapClaims{
		"iss":                  t.Issuer,
		"aud":                  aud,
		"sub":                  t.Subject,
		"iat":                  t.IssuedAt.Unix(),
		"exp":                  t.IssuedAt.Add(t.ExpiresIn).Unix(),
		"jti":                  hex.EncodeToString(jti[:]),
		"client_id":            t.ClientID,
		ClaimIsAnonymous:       t.IsAnonymous,
		ClaimIsVerified:        t.IsVerified,
		ClaimCanReauthenticate: t.CanReauthenticate,
		ClaimRoles:             roles,
	}
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
	tok.Header["kid"] = k.KID
	tok.Header["typ"] = "at+jwt"
	return tok.SignedString(k.Private)
}

// JWKS returns the key's public half as a JSON Web Key Set, as served at
// /oauth2/jwks.
func (k *KeyPair) JWKS() []byte {
	pub := k.Private.PublicKey
	set := map[string]any{"keys": []map[string]any{{
		"kty": "RSA",
		"use": "sig",
		"alg": "RS256",
		"kid": k.KID,
		"n":   base64.RawURLEncoding.EncodeToString(pub.N.Bytes()),
		"e":   base64.RawURLEncoding.EncodeToString(big.NewInt(int64(pub.E)).Bytes()),
	}}}
	data, _ := json.Marshal(set)
	return data
}

// LoadOrCreateKeyFile loads the RSA key at path (PKCS#8 or PKCS#1 PEM) or,
// when there is no file, generates one and writes it there with mode 0600.
// The key ID is derived from the public key (KeyIDFor), so it is the same
// for every run. created reports that the file was written.
func LoadOrCreateKeyFile(path string) (kp *KeyPair, created bool, err error) {
	_, statErr := os.Stat(path)
	switch {
	case statErr == nil:
		kp, err = LoadKeyFile(path, "")
		return kp, false, err
	case errors.Is(statErr, os.ErrNotExist):
		if kp, err = GenerateKey(); err != nil {
			return nil, false, err
		}
		kp.KID = KeyIDFor(&kp.Private.PublicKey)
		if err := kp.WriteKeyFile(path); err != nil {
			return nil, false, err
		}
		return kp, true, nil
	default:
		return nil, false, statErr
	}
}

// issuerFor is the endpoint a request reached: Options.Issuer, or the
// scheme and Host of the request.
func (s *Server) issuerFor(r *http.Request) string {
	if s.opts.Issuer != "" {
		return strings.TrimSuffix(s.opts.Issuer, "/")
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// serveTokenAPI answers the routes a backend uses to check access tokens
// (OIDC discovery, the JWKS, the resolver) when Options.TokenKey is set. It
// reports whether the path was one of them.
func (s *Server) serveTokenAPI(w http.ResponseWriter, r *http.Request) bool {
	if s.opts.TokenKey == nil {
		return false
	}
	switch r.URL.Path {
	case discoveryPath:
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			methodNotAllowed(w, r, "GET, HEAD, OPTIONS")
			return true
		}
		w.Header().Set("Access-Control-Allow-Origin", "*")
		writeJSONBody(w, s.discovery(s.issuerFor(r)))
	case jwksPath:
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			methodNotAllowed(w, r, "GET, HEAD, OPTIONS")
			return true
		}
		// The JWKS with the key's created_at, as recorded (s02).
		var set map[string][]map[string]any
		_ = json.Unmarshal(s.opts.TokenKey.JWKS(), &set)
		for _, k := range set["keys"] {
			k["created_at"] = s.startedAt.Unix()
		}
		writeJSONBody(w, set)
	case resolvePath:
		s.resolve(w, r)
	default:
		return false
	}
	return true
}

func writeJSONBody(w http.ResponseWriter, v any) {
	data, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(data)
}

// discovery is the OpenID Provider metadata as real-server/sign-in s01
// recorded it, for the endpoint issuer.
func (s *Server) discovery(issuer string) map[string]any {
	return map[string]any{
		"issuer":                                issuer,
		"authorization_endpoint":                issuer + "/oauth2/authorize",
		"token_endpoint":                        issuer + "/oauth2/token",
		"userinfo_endpoint":                     issuer + "/oauth2/userinfo",
		"end_session_endpoint":                  issuer + "/oauth2/end_session",
		"revocation_endpoint":                   issuer + "/oauth2/revoke",
		"jwks_uri":                              issuer + jwksPath,
		"scopes_supported":                      []string{"offline_access", "device_sso", "openid", "profile", "email", "address", "phone", "https://authgear.com/scopes/full-access", "https://authgear.com/scopes/full-userinfo", "https://authgear.com/scopes/pre-authenticated-url"},
		"response_types_supported":              []string{"code", "urn:authgear:params:oauth:response-type:settings-action", "none"},
		"response_modes_supported":              []string{"query", "fragment", "form_post"},
		"grant_types_supported":                 []string{"authorization_code", "refresh_token", "client_credentials"},
		"subject_types_supported":               []string{"public"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"code_challenge_methods_supported":      []string{"S256"},
		"dpop_signing_alg_values_supported":     []string{"ES256", "RS256"},
		"token_endpoint_auth_methods_supported": []string{"none", "client_secret_post", "client_secret_basic"},
		"claims_supported": []string{"iss", "aud", "iat", "exp", "sub", "email", "email_verified", "phone_number", "phone_number_verified",
			"preferred_username", "family_name", "given_name", "middle_name", "name", "nickname", "picture", "profile", "website",
			"gender", "birthdate", "zoneinfo", "locale", "address", "updated_at"},
	}
}

// Resolver answer headers (model.SessionInfo.PopulateHeaders).
const (
	HeaderSessionValid           = "X-Authgear-Session-Valid"
	HeaderUserID                 = "X-Authgear-User-Id"
	HeaderUserAnonymous          = "X-Authgear-User-Anonymous"
	HeaderUserVerified           = "X-Authgear-User-Verified"
	HeaderUserCanReauthenticate  = "X-Authgear-User-Can-Reauthenticate"
	HeaderSessionAmr             = "X-Authgear-Session-Amr"
	HeaderSessionAuthenticatedAt = "X-Authgear-Session-Authenticated-At"
)

// HeaderUserRoles lists the user's role keys, joined by ",", only when
// there are some (real-server/sign-in s22).
const HeaderUserRoles = "X-Authgear-User-Roles"

// resolverIssuer is the issuer a token must name at the resolver. A JWT
// access token is honoured only when the request names the public
// origin's host (X-Forwarded-Host, else Host; real-server/sign-in s12):
// with Options.Issuer, its host; without, any host, whose origin the
// token must then name. ok is false when the host is another.
func (s *Server) resolverIssuer(r *http.Request) (issuer string, ok bool) {
	host := r.Host
	if xfh := r.Header.Get("X-Forwarded-Host"); xfh != "" {
		host = xfh
	}
	if s.opts.Issuer != "" {
		iss := strings.TrimSuffix(s.opts.Issuer, "/")
		u, err := url.Parse(iss)
		if err != nil || !strings.EqualFold(u.Host, host) {
			return "", false
		}
		return iss, true
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + host, true
}

// resolve is the resolver (real-server/sign-in s03, s12, s17, s22): always
// 200 with an empty body. A bearer token that this key signed for the
// request's origin, not expired, whose grant is live and whose user is
// not disabled gives the session headers with X-Authgear-Session-Valid:
// true; any other token, and no credential, gives no X-Authgear header at
// all. A live session cookie gives the session headers, with or without
// the Host override; an invalid or revoked cookie gives
// X-Authgear-Session-Valid: false only (and clears the cookie). The
// authenticated-at time is the sign-in's (a token's auth_time, or its iat
// for a minted token), and amr is always empty.
func (s *Server) resolve(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	h := w.Header()
	s.mu.Lock()
	defer s.mu.Unlock()
	if tok, ok := bearerToken(r); ok {
		issuer, ok := s.resolverIssuer(r)
		var claims jwt.MapClaims
		var u *user
		if ok {
			claims, u, ok = s.userForAccessTokenLocked(tok, issuer)
		}
		if !ok {
			w.WriteHeader(http.StatusOK)
			return
		}
		h.Set(HeaderSessionValid, "true")
		sub, _ := claims.GetSubject()
		h.Set(HeaderUserID, sub)
		h.Set(HeaderUserAnonymous, strconv.FormatBool(claims[ClaimIsAnonymous] == true))
		h.Set(HeaderUserVerified, strconv.FormatBool(claims[ClaimIsVerified] == true))
		h.Set(HeaderUserCanReauthenticate, strconv.FormatBool(claims[ClaimCanReauthenticate] == true))
		h.Set(HeaderSessionAmr, "")
		if at, ok := claims["auth_time"].(float64); ok {
			h.Set(HeaderSessionAuthenticatedAt, strconv.FormatInt(int64(at), 10))
		} else if iat, err := claims.GetIssuedAt(); err == nil && iat != nil {
			h.Set(HeaderSessionAuthenticatedAt, strconv.FormatInt(iat.Unix(), 10))
		}
		var roles []string
		if u != nil {
			roles = rolesOf(u)
		} else if list, ok := claims[ClaimRoles].([]any); ok {
			for _, v := range list {
				if k, ok := v.(string); ok {
					roles = append(roles, k)
				}
			}
		}
		if len(roles) > 0 {
			h.Set(HeaderUserRoles, strings.Join(roles, ","))
		}
		w.WriteHeader(http.StatusOK)
		return
	}
	if hasSessionCookie(r) {
		sess := s.sessionFromCookieLocked(r)
		if sess == nil {
			clearSessionCookie(w)
			h.Set(HeaderSessionValid, "false")
			w.WriteHeader(http.StatusOK)
			return
		}
		u := s.store.users[sess.userID]
		sess.accessedAt = s.now().UTC()
		claims := s.userClaimsLocked(u)
		h.Set(HeaderSessionValid, "true")
		h.Set(HeaderUserID, u.id)
		h.Set(HeaderUserAnonymous, "false")
		h.Set(HeaderUserVerified, strconv.FormatBool(claims[ClaimIsVerified] == true))
		h.Set(HeaderUserCanReauthenticate, strconv.FormatBool(claims[ClaimCanReauthenticate] == true))
		h.Set(HeaderSessionAmr, "")
		h.Set(HeaderSessionAuthenticatedAt, formatUnix(sess.authTime))
		if roles := rolesOf(u); len(roles) > 0 {
			h.Set(HeaderUserRoles, strings.Join(roles, ","))
		}
	}
	w.WriteHeader(http.StatusOK)
}

// VerifyAccessToken checks an access token as the resolver does: signed
// with Options.TokenKey (RS256, matching kid), iss == issuer, aud
// containing issuer, exp present and in the future by Options.Now, sub
// present.
func (s *Server) VerifyAccessToken(token, issuer string) (jwt.MapClaims, error) {
	key := s.opts.TokenKey
	if key == nil {
		return nil, errors.New("sandbox: no token key")
	}
	claims := jwt.MapClaims{}
	_, err := jwt.ParseWithClaims(token, claims, func(t *jwt.Token) (any, error) {
		if kid, _ := t.Header["kid"].(string); kid != key.KID {
			return nil, errors.New("unknown key ID")
		}
		return &key.Private.PublicKey, nil
	},
		jwt.WithValidMethods([]string{"RS256"}),
		jwt.WithIssuer(issuer),
		jwt.WithAudience(issuer),
		jwt.WithExpirationRequired(),
		jwt.WithTimeFunc(s.now),
	)
	if err != nil {
		return nil, err
	}
	if sub, _ := claims.GetSubject(); sub == "" {
		return nil, errors.New("sandbox: token has no sub")
	}
	return claims, nil
}

// tokenMain is "authgear-migrate sandbox token": it prints an access token
// signed with the key of --token-key-file (created if missing).
func tokenMain(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("sandbox token", flag.ContinueOnError)
	fs.SetOutput(stderr)
	keyFile := fs.String("token-key-file", "", "`path` of the access-token signing key (PKCS#8 PEM); created (mode 0600) if missing")
	issuer := fs.String("issuer", "", "the endpoint `URL` the token is for: iss and aud")
	subject := fs.String("subject", "", "the user `id`: sub")
	expiresIn := fs.Duration("expires-in", 5*time.Minute, "lifetime of the token (negative: already expired)")
	audience := fs.String("audience", "", "aud `values`, comma-separated (default: the issuer)")
	clientID := fs.String("client-id", "sandbox", "the client_id claim")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "Usage: authgear-migrate sandbox token --token-key-file PATH --issuer URL --subject ID [--expires-in 5m]")
		fmt.Fprintln(fs.Output(), "Prints a JWT access token, shaped like Authgear's, signed with the sandbox's token key.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return &usageError{err: err}
	}
	if fs.NArg() > 0 {
		return usagef("sandbox token: unexpected argument %q", fs.Arg(0))
	}
	switch {
	case *keyFile == "":
		return usagef("sandbox token: --token-key-file is required")
	case *issuer == "":
		return usagef("sandbox token: --issuer is required")
	case *subject == "":
		return usagef("sandbox token: --subject is required")
	case !strings.HasPrefix(*issuer, "http://") && !strings.HasPrefix(*issuer, "https://"):
		return usagef("sandbox token: --issuer must be an http:// or https:// URL, not %q", *issuer)
	}
	kp, created, err := LoadOrCreateKeyFile(*keyFile)
	if err != nil {
		return err
	}
	if created {
		fmt.Fprintf(stderr, "sandbox token: wrote a new token signing key to %s (mode 0600)\n", *keyFile)
	}
	t := AccessToken{
		Issuer:     strings.TrimSuffix(*issuer, "/"),
		Subject:    *subject,
		ClientID:   *clientID,
		ExpiresIn:  *expiresIn,
		IsVerified: true,
	}
	if *audience != "" {
		t.Audience = cmdline.SplitList(*audience)
	}
	if t.ExpiresIn == 0 {
		return usagef("sandbox token: --expires-in must not be 0")
	}
	tok, err := kp.AccessToken(t)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, tok)
	return nil
}
