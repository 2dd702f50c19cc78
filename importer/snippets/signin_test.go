package snippets

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/authgear-migrate/authgear-migrate/importer/sandbox"
	"golang.org/x/crypto/bcrypt"
)

// signInUser is a user imported into the test's sandbox with a bcrypt
// hash of a known password, as a migration would import it.
type signInUser struct {
	endpoint, email, password, userID string
}

// importSignInUser imports one user through the sandbox's User Import API
// and returns it.
func importSignInUser(t *testing.T, srv *sandbox.Server, endpoint string, adminKey *sandbox.KeyPair) *signInUser {
	t.Helper()
	u := &signInUser{endpoint: endpoint, email: "migrated@example.com", password: "Old-Passw0rd!"}
	hash, err := bcrypt.GenerateFromPassword([]byte(u.password), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	body := fmt.Sprintf(`{"identifier":"email","records":[{"email":%q,"password":{"type":"bcrypt","password_hash":%q}}]}`, u.email, hash)
	tok, err := adminKey.Token("myapp", time.Now(), 5*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodPost, endpoint+"/_api/admin/users/import", bytes.NewReader([]byte(body)))
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("import: %d", resp.StatusCode)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := srv.WaitIdle(ctx); err != nil {
		t.Fatal(err)
	}
	got, ok := srv.UserByLoginID("email", u.email)
	if !ok {
		t.Fatal("the user was not imported")
	}
	u.userID = got.ID
	return u
}

// accessToken signs the user in through the sandbox's OAuth code path
// with the old password and returns the access token it issues.
func (u *signInUser) accessToken(t *testing.T) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	toks, err := sandbox.OAuthSignIn(ctx, http.DefaultClient, u.endpoint, sandbox.DefaultOAuthClient, "email", u.email, u.password)
	if err != nil {
		t.Fatalf("sign-in: %v", err)
	}
	parts := strings.Split(toks.AccessToken, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %q", toks.AccessToken)
	}
	return toks.AccessToken
}

// The sign-in's token is what the middleware tests use: a sandbox user
// signs in with the password its imported hash was made from, and the
// token names that user, for the sandbox's endpoint, with Authgear's
// claims.
func TestSignInTokenForMiddleware(t *testing.T) {
	adminKey, err := sandbox.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	tokenKey, err := sandbox.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	srv, err := sandbox.New(sandbox.Options{ProjectID: "myapp", Keys: []sandbox.PublicKey{adminKey.PublicKey()}, TokenKey: tokenKey})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(func() { hs.Close(); _ = srv.Close() })
	u := importSignInUser(t, srv, hs.URL, adminKey)
	tok := u.accessToken(t)
	claims, err := srv.VerifyAccessToken(tok, hs.URL)
	if err != nil {
		t.Fatal(err)
	}
	if sub, _ := claims.GetSubject(); sub != u.userID {
		t.Errorf("sub = %q, want %q", sub, u.userID)
	}
	if amr, _ := json.Marshal(claims["amr"]); string(amr) != `["pwd","x_primary_password"]` {
		t.Errorf("amr = %s", amr)
	}
	u.password = "Wrong-Passw0rd!"
	if _, err := sandbox.OAuthSignIn(context.Background(), http.DefaultClient, hs.URL, sandbox.DefaultOAuthClient, "email", u.email, u.password); err == nil || !strings.Contains(err.Error(), "InvalidCredentials") {
		t.Errorf("a wrong password: %v", err)
	}
}
