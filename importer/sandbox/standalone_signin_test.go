package sandbox

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"testing"
	"time"
)

// The standalone sandbox signs in too: --oauth-client configures the
// client of the code path, and a user imported with the printed settings
// gets tokens that its resolver accepts.
func TestStandaloneSignsIn(t *testing.T) {
	dir := t.TempDir()
	env, out, stop := runMain(t, "--listen", "127.0.0.1:0", "--key-file", filepath.Join(dir, "admin.pem"),
		"--token-key-file", filepath.Join(dir, "token.pem"), "--oauth-client", "my-spa=http://127.0.0.1:9998/cb")
	defer func() { _ = stop() }()
	kp, err := LoadKeyFile(env["AUTHGEAR_ADMIN_KEY_FILE"], env["AUTHGEAR_ADMIN_KEY_ID"])
	if err != nil {
		t.Fatal(err)
	}
	tok, _ := kp.Token(env["AUTHGEAR_PROJECT_ID"], time.Now(), time.Minute)
	body := fmt.Sprintf(`{"identifier":"email","records":[{"email":"sa@example.com","password":{"type":"bcrypt","password_hash":%q}}]}`, bcryptHash(t, "Sa-Passw0rd!"))
	r, err := do(t, http.DefaultClient, http.MethodPost, env["AUTHGEAR_ENDPOINT"]+importPath, "Bearer "+tok, "application/json", []byte(body))
	if err != nil || r.status != 200 {
		t.Fatalf("import: %v %d %s", err, r.status, r.body)
	}
	client := OAuthClient{ID: "my-spa", RedirectURIs: []string{"http://127.0.0.1:9998/cb"}}
	var toks Tokens
	for i := 0; ; i++ { // the import runs in the background
		toks, err = OAuthSignIn(context.Background(), http.DefaultClient, env["AUTHGEAR_ENDPOINT"], client, "email", "sa@example.com", "Sa-Passw0rd!")
		if err == nil || i == 1000 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("sign-in: %v\n%s", err, out)
	}
	req, _ := http.NewRequest(http.MethodGet, env["AUTHGEAR_ENDPOINT"]+resolvePath, nil)
	req.Header.Set("Authorization", "Bearer "+toks.AccessToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Header.Get(HeaderSessionValid) != "true" {
		t.Errorf("resolver: %v", resp.Header)
	}
	// The default client is not configured when one is given.
	if _, err := OAuthSignIn(context.Background(), http.DefaultClient, env["AUTHGEAR_ENDPOINT"], DefaultOAuthClient, "email", "sa@example.com", "Sa-Passw0rd!"); err == nil {
		t.Error("the default client still exists next to --oauth-client")
	}
}

func TestStandaloneOAuthClientUsage(t *testing.T) {
	dir := t.TempDir()
	for _, args := range [][]string{
		{"--key-file", filepath.Join(dir, "k.pem"), "--oauth-client", "x=http://127.0.0.1/cb"}, // no --token-key-file
		{"--key-file", filepath.Join(dir, "k.pem"), "--token-key-file", filepath.Join(dir, "t.pem"), "--oauth-client", "no-uri"},
		{"--key-file", filepath.Join(dir, "k.pem"), "--token-key-file", filepath.Join(dir, "t.pem"), "--oauth-client", "x=/relative"},
	} {
		if err := Main(context.Background(), args, io.Discard, io.Discard); !errors.Is(err, ErrUsage) {
			t.Errorf("%v: %v, want a usage error", args, err)
		}
	}
}
