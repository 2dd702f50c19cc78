package sandbox

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe for a writer and a reader goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// runMain runs Main until its environment lines are printed, and returns
// them with a stop function.
func runMain(t *testing.T, args ...string) (map[string]string, string, func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr syncBuffer
	done := make(chan error, 1)
	go func() { done <- Main(ctx, args, &stdout, &stderr) }()
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(stdout.String(), "AUTHGEAR_ADMIN_KEY_FILE=") {
		select {
		case err := <-done:
			cancel()
			t.Fatalf("Main returned early: %v; stderr %s", err, stderr.String())
		case <-time.After(5 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatal("Main printed nothing")
		}
	}
	env := map[string]string{}
	for _, line := range strings.Split(stdout.String(), "\n") {
		if k, v, ok := strings.Cut(strings.TrimPrefix(line, "export "), "="); ok && strings.HasPrefix(line, "export ") {
			env[k] = strings.Trim(v, "'")
		}
	}
	return env, stdout.String() + stderr.String(), func() error {
		cancel()
		return <-done
	}
}

func TestStandaloneGeneratesKeyAndServes(t *testing.T) {
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "admin-key.pem")
	env, out, stop := runMain(t, "--listen", "127.0.0.1:0", "--project-id", "proj", "--key-file", keyFile,
		"--login-ids", "email,username", "--roles", "a,b", "--rate", "0")

	info, err := os.Stat(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %v, want 0600", info.Mode().Perm())
	}
	pemData, _ := os.ReadFile(keyFile)
	if !bytes.HasPrefix(pemData, []byte("-----BEGIN PRIVATE KEY-----\n")) {
		t.Errorf("key file is not PKCS#8 PEM: %.40q", pemData)
	}
	if strings.Contains(out, "PRIVATE KEY") || strings.Contains(out, string(pemData[30:80])) {
		t.Error("Main printed the private key")
	}
	if env["AUTHGEAR_PROJECT_ID"] != "proj" || env["AUTHGEAR_ADMIN_KEY_FILE"] != keyFile || !strings.HasPrefix(env["AUTHGEAR_ENDPOINT"], "http://127.0.0.1:") {
		t.Fatalf("environment %v", env)
	}

	// The printed settings work.
	kp, err := LoadKeyFile(env["AUTHGEAR_ADMIN_KEY_FILE"], env["AUTHGEAR_ADMIN_KEY_ID"])
	if err != nil {
		t.Fatal(err)
	}
	tok, err := kp.Token(env["AUTHGEAR_PROJECT_ID"], time.Now(), time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	r, err := do(t, http.DefaultClient, http.MethodPost, env["AUTHGEAR_ENDPOINT"]+importPath, "Bearer "+tok, "application/json",
		[]byte(`{"identifier":"preferred_username","records":[{"preferred_username":"alice","roles":["a"]}]}`))
	if err != nil || r.status != 200 {
		t.Fatalf("POST with the printed settings: %v %d %s", err, r.status, r.body)
	}
	if err := stop(); err != nil {
		t.Errorf("Main: %v", err)
	}

	// A second run loads the file, derives the same key ID.
	env2, _, stop2 := runMain(t, "--listen", "127.0.0.1:0", "--project-id", "proj", "--key-file", keyFile)
	if env2["AUTHGEAR_ADMIN_KEY_ID"] != env["AUTHGEAR_ADMIN_KEY_ID"] {
		t.Errorf("key id changed: %s, then %s", env["AUTHGEAR_ADMIN_KEY_ID"], env2["AUTHGEAR_ADMIN_KEY_ID"])
	}
	if err := stop2(); err != nil {
		t.Error(err)
	}
}

func TestStandaloneUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"--no-such-flag"},
		{},                                      // no --key-file
		{"--key-file", "k.pem", "extra"},        // stray argument
		{"--key-file", "k.pem", "--rate", "-1"}, // negative rate
		{"--key-file", "k.pem", "--login-ids", "email,fax"},
		{"--key-file", "k.pem", "--phone-validation", "maybe"},
	} {
		dir := t.TempDir()
		for i, a := range args {
			if a == "k.pem" {
				args[i] = filepath.Join(dir, a)
			}
		}
		err := Main(context.Background(), args, io.Discard, io.Discard)
		if !errors.Is(err, ErrUsage) {
			t.Errorf("%v: %v, want a usage error", args, err)
		}
	}
	if err := Main(context.Background(), []string{"-h"}, io.Discard, io.Discard); !errors.Is(err, flag.ErrHelp) || !errors.Is(err, ErrUsage) {
		t.Errorf("-h: %v", err)
	}
}

func TestKeyFiles(t *testing.T) {
	dir := t.TempDir()
	kp, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	if !uuidShape.MatchString(kp.KID) {
		t.Errorf("kid %q is not a UUID", kp.KID)
	}
	p := filepath.Join(dir, "k.pem")
	if err := kp.WriteKeyFile(p); err != nil {
		t.Fatal(err)
	}
	if err := kp.WriteKeyFile(p); err == nil {
		t.Error("WriteKeyFile replaced an existing file")
	}
	back, err := LoadKeyFile(p, "")
	if err != nil {
		t.Fatal(err)
	}
	if !back.Private.Equal(kp.Private) || back.KID != KeyIDFor(&kp.Private.PublicKey) {
		t.Error("the key did not round-trip")
	}
}

// Start and Close leave no goroutine behind.
func TestStartCloseNoLeak(t *testing.T) {
	before := runtime.NumGoroutine()
	for i := 0; i < 3; i++ {
		r, err := Start(context.Background(), "127.0.0.1:0", Options{ProjectID: "myapp", Keys: []PublicKey{key(t).PublicKey()}, Rate: 1000})
		if err != nil {
			t.Fatal(err)
		}
		client := &http.Client{}
		resp, err := do(t, client, http.MethodPost, r.URL+importPath, "Bearer "+token(t, time.Now()), "application/json",
			[]byte(`{"identifier":"email","records":[`+records(300, func(i int) string { return `{"email":"x@example.com"}` })+`]}`))
		if err != nil || resp.status != 200 {
			t.Fatalf("%v %d", err, resp.status)
		}
		client.CloseIdleConnections()
		if err := r.Close(); err != nil {
			t.Fatal(err)
		}
		if err := r.Close(); err != nil {
			t.Fatal(err)
		}
	}
	// ctx cancellation closes too.
	ctx, cancel := context.WithCancel(context.Background())
	r, err := Start(ctx, "127.0.0.1:0", Options{ProjectID: "myapp", Keys: []PublicKey{key(t).PublicKey()}})
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	<-r.closed
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		buf := make([]byte, 1<<16)
		t.Errorf("%d goroutines before, %d after:\n%s", before, n, buf[:runtime.Stack(buf, true)])
	}
}
