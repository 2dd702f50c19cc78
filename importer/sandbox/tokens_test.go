package sandbox

import (
	"bytes"
	"context"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

var (
	tokenKeyOnce sync.Once
	tokenKey     *KeyPair
	otherKey     *KeyPair
)

// signingKeys returns the sandbox's token key and a second key with the
// same kid (for bad signatures), made once per test binary.
func signingKeys(t testing.TB) (good, other *KeyPair) {
	t.Helper()
	tokenKeyOnce.Do(func() {
		var err error
		if tokenKey, err = GenerateKey(); err != nil {
			panic(err)
		}
		if otherKey, err = GenerateKey(); err != nil {
			panic(err)
		}
		otherKey.KID = tokenKey.KID
	})
	return tokenKey, otherKey
}

func TestTokenRoutesOffWithoutTokenKey(t *testing.T) {
	_, hs := newTestServer(t, Options{})
	for _, p := range []string{discoveryPath, jwksPath, resolvePath} {
		r, err := do(t, hs.Client(), http.MethodGet, hs.URL+p, "", "", nil)
		if err != nil {
			t.Fatal(err)
		}
		if r.status != http.StatusNotFound {
			t.Errorf("GET %s without a token key: %d, want 404", p, r.status)
		}
	}
}

func TestDiscoveryAndJWKS(t *testing.T) {
	good, _ := signingKeys(t)
	_, hs := newTestServer(t, Options{TokenKey: good})
	r, err := do(t, hs.Client(), http.MethodGet, hs.URL+discoveryPath, "", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	doc := r.json(t)
	if doc["issuer"] != hs.URL || doc["jwks_uri"] != hs.URL+"/oauth2/jwks" {
		t.Fatalf("issuer %v, jwks_uri %v; want %s and %s/oauth2/jwks", doc["issuer"], doc["jwks_uri"], hs.URL, hs.URL)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("discovery Content-Type %q", ct)
	}

	r, err = do(t, hs.Client(), http.MethodGet, hs.URL+jwksPath, "", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	var set struct {
		Keys []struct{ Kty, Kid, Alg, Use, N, E string }
	}
	if err := json.Unmarshal(r.body, &set); err != nil || len(set.Keys) != 1 {
		t.Fatalf("JWKS %q: %v", r.body, err)
	}
	k := set.Keys[0]
	if k.Kty != "RSA" || k.Kid != good.KID || k.Alg != "RS256" || k.Use != "sig" {
		t.Fatalf("JWK %+v", k)
	}
	n, _ := base64.RawURLEncoding.DecodeString(k.N)
	e, _ := base64.RawURLEncoding.DecodeString(k.E)
	pub := &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}
	if !pub.Equal(&good.Private.PublicKey) {
		t.Fatal("the JWK is not the token key's public key")
	}

	// A token verifies with the served key and has Authgear's claims.
	tok, err := good.AccessToken(AccessToken{Issuer: hs.URL, Subject: "user-1", IsVerified: true})
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := jwt.Parse(tok, func(*jwt.Token) (any, error) { return pub, nil },
		jwt.WithValidMethods([]string{"RS256"}), jwt.WithIssuer(hs.URL), jwt.WithAudience(hs.URL), jwt.WithExpirationRequired())
	if err != nil {
		t.Fatal(err)
	}
	if parsed.Header["typ"] != "at+jwt" || parsed.Header["kid"] != good.KID {
		t.Errorf("header %v", parsed.Header)
	}
	c := parsed.Claims.(jwt.MapClaims)
	for _, name := range []string{"iss", "aud", "sub", "exp", "iat", "jti", "client_id", ClaimIsVerified, ClaimIsAnonymous, ClaimCanReauthenticate, ClaimRoles} {
		if _, ok := c[name]; !ok {
			t.Errorf("claim %s missing", name)
		}
	}
	if aud, ok := c["aud"].([]any); !ok || len(aud) != 1 || aud[0] != hs.URL {
		t.Errorf("aud %#v, want [%q]", c["aud"], hs.URL)
	}
}

func TestResolver(t *testing.T) {
	good, other := signingKeys(t)
	_, hs := newTestServer(t, Options{TokenKey: good})
	now := time.Now()
	mint := func(k *KeyPair, t0 AccessToken) string {
		t.Helper()
		if t0.Issuer == "" {
			t0.Issuer = hs.URL
		}
		t0.Subject = "user-1"
		tok, err := k.AccessToken(t0)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	valid := mint(good, AccessToken{IssuedAt: now, IsVerified: true, CanReauthenticate: true})
	cases := []struct {
		name, auth string
		valid      string // want X-Authgear-Session-Valid; "" = absent
	}{
		{"no token", "", ""},
		{"valid", "Bearer " + valid, "true"},
		// A token the resolver does not honour gets no X-Authgear header
		// at all, not Session-Valid: false (real-server/sign-in s12).
		{"bad signature", "Bearer " + mint(other, AccessToken{}), ""},
		{"other issuer", "Bearer " + mint(good, AccessToken{Issuer: "https://other.example", Audience: []string{hs.URL}}), ""},
		{"other audience", "Bearer " + mint(good, AccessToken{Audience: []string{"https://other.example"}}), ""},
		{"expired", "Bearer " + mint(good, AccessToken{IssuedAt: now.Add(-time.Hour), ExpiresIn: 30 * time.Minute}), ""},
		{"garbage", "Bearer not-a-jwt", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r, err := do(t, hs.Client(), http.MethodGet, hs.URL+resolvePath, tc.auth, "", nil)
			if err != nil {
				t.Fatal(err)
			}
			if r.status != http.StatusOK || len(r.body) != 0 {
				t.Fatalf("status %d body %q, want 200 and no body", r.status, r.body)
			}
			if _, present := r.header[HeaderSessionValid]; present != (tc.valid != "") || r.header.Get(HeaderSessionValid) != tc.valid {
				t.Fatalf("%s = %q (present %v), want %q", HeaderSessionValid, r.header.Get(HeaderSessionValid), present, tc.valid)
			}
			if tc.valid != "true" {
				if id := r.header.Get(HeaderUserID); id != "" {
					t.Fatalf("user id %q on a session that is not valid", id)
				}
				return
			}
			want := map[string]string{
				HeaderUserID:                 "user-1",
				HeaderUserAnonymous:          "false",
				HeaderUserVerified:           "true",
				HeaderUserCanReauthenticate:  "true",
				HeaderSessionAuthenticatedAt: strconv.FormatInt(now.Unix(), 10),
			}
			for h, v := range want {
				if got := r.header.Get(h); got != v {
					t.Errorf("%s = %q, want %q", h, got, v)
				}
			}
		})
	}
}

func TestIssuerOption(t *testing.T) {
	good, _ := signingKeys(t)
	s, hs := newTestServer(t, Options{TokenKey: good, Issuer: "https://myapp.authgear.cloud/"})
	r, err := do(t, hs.Client(), http.MethodGet, hs.URL+discoveryPath, "", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if iss := r.json(t)["issuer"]; iss != "https://myapp.authgear.cloud" {
		t.Fatalf("issuer %v", iss)
	}
	tok, _ := good.AccessToken(AccessToken{Issuer: "https://myapp.authgear.cloud", Subject: "u"})
	if _, err := s.VerifyAccessToken(tok, "https://myapp.authgear.cloud"); err != nil {
		t.Fatal(err)
	}
	// The token is honoured only when the request names the issuer's
	// host (real-server/sign-in s12: Host or X-Forwarded-Host).
	r, _ = do(t, hs.Client(), http.MethodGet, hs.URL+resolvePath, "Bearer "+tok, "", nil)
	if _, present := r.header[HeaderSessionValid]; present {
		t.Fatalf("resolver without the issuer's host: %v", r.header)
	}
	req, _ := http.NewRequest(http.MethodGet, hs.URL+resolvePath, nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("X-Forwarded-Host", "myapp.authgear.cloud")
	resp, err := hs.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Header.Get(HeaderSessionValid) != "true" {
		t.Fatalf("resolver with Options.Issuer and X-Forwarded-Host: %v", resp.Header)
	}
}

func TestAccessTokenNeedsIssuerAndSubject(t *testing.T) {
	good, _ := signingKeys(t)
	if _, err := good.AccessToken(AccessToken{Subject: "u"}); err == nil {
		t.Error("no issuer: no error")
	}
	if _, err := good.AccessToken(AccessToken{Issuer: "https://x"}); err == nil {
		t.Error("no subject: no error")
	}
}

func TestTokenSubcommand(t *testing.T) {
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "token-key.pem")
	var out, errOut bytes.Buffer
	err := Main(context.Background(), []string{"token", "--token-key-file", keyFile, "--issuer", "http://127.0.0.1:3002/", "--subject", "user-9", "--expires-in", "10m"}, &out, &errOut)
	if err != nil {
		t.Fatalf("%v; stderr %s", err, errOut.String())
	}
	info, err := os.Stat(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v, want 0600", info.Mode().Perm())
	}
	if !strings.Contains(errOut.String(), "wrote a new token signing key") {
		t.Errorf("stderr %q", errOut.String())
	}
	kp, err := LoadKeyFile(keyFile, "")
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(Options{ProjectID: "p", Keys: []PublicKey{key(t).PublicKey()}, TokenKey: kp})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	claims, err := s.VerifyAccessToken(strings.TrimSpace(out.String()), "http://127.0.0.1:3002")
	if err != nil {
		t.Fatalf("printed token does not verify: %v", err)
	}
	exp, _ := claims.GetExpirationTime()
	if sub, _ := claims.GetSubject(); sub != "user-9" || time.Until(exp.Time) < 9*time.Minute || time.Until(exp.Time) > 10*time.Minute {
		t.Fatalf("sub %q exp %v", sub, exp)
	}

	// Usage errors.
	for _, args := range [][]string{
		{"token", "--issuer", "http://x", "--subject", "u"},
		{"token", "--token-key-file", keyFile, "--subject", "u"},
		{"token", "--token-key-file", keyFile, "--issuer", "ftp://x", "--subject", "u"},
		{"token", "--token-key-file", keyFile, "--issuer", "http://x"},
	} {
		if err := Main(context.Background(), args, &out, &errOut); err == nil || !strings.Contains(err.Error(), "sandbox token") {
			t.Errorf("%v: err %v, want a usage error", args, err)
		}
	}
}

func TestStandaloneServesTokenRoutes(t *testing.T) {
	dir := t.TempDir()
	tokenFile := filepath.Join(dir, "token-key.pem")
	env, out, stop := runMain(t, "--listen", "127.0.0.1:0", "--key-file", filepath.Join(dir, "admin.pem"), "--token-key-file", tokenFile)
	defer func() {
		if err := stop(); err != nil {
			t.Error(err)
		}
	}()
	if info, err := os.Stat(tokenFile); err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("token key file: %v %v", info, err)
	}
	if !strings.Contains(out, "sandbox token --token-key-file") {
		t.Errorf("output does not say how to get a token: %s", out)
	}
	endpoint := env["AUTHGEAR_ENDPOINT"]
	kp, err := LoadKeyFile(tokenFile, "")
	if err != nil {
		t.Fatal(err)
	}
	tok, _ := kp.AccessToken(AccessToken{Issuer: endpoint, Subject: "u-2"})
	r, err := do(t, http.DefaultClient, http.MethodGet, endpoint+resolvePath, "Bearer "+tok, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if r.header.Get(HeaderUserID) != "u-2" {
		t.Fatalf("resolver headers %v", r.header)
	}
	if err := Main(context.Background(), []string{"--key-file", tokenFile, "--token-key-file", tokenFile}, &bytes.Buffer{}, &bytes.Buffer{}); err == nil {
		t.Error("the same file for both keys: no error")
	}
}
