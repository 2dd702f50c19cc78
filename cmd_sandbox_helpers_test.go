package main

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/authgear-migrate/authgear-migrate/importer/sandbox"
)

// projectSandbox starts a standalone sandbox for project myapp with the
// login ID types given (closed when the test ends), and writes a new
// Admin API key for it into dir: it returns the sandbox, the key file and
// the key id (the AUTHGEAR_* settings of a test).
func projectSandbox(t *testing.T, dir string, loginIDs ...string) (*sandbox.Running, string, string) {
	t.Helper()
	kp, err := sandbox.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	keyFile := filepath.Join(dir, "admin-key.pem")
	if err := kp.WriteKeyFile(keyFile); err != nil {
		t.Fatal(err)
	}
	sb, err := sandbox.Start(context.Background(), "127.0.0.1:0", sandbox.Options{ProjectID: "myapp", Keys: []sandbox.PublicKey{kp.PublicKey()}, LoginIDTypes: loginIDs})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sb.Close() })
	return sb, keyFile, kp.KID
}
