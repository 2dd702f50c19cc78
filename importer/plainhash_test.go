package importer

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/authgear-migrate/authgear-migrate/importer/sandbox"
	"golang.org/x/crypto/bcrypt"
)

// countHashes counts the bcrypt hashes of clear-text passwords until the
// test ends (at bcrypt's lowest cost, to be quick: the count is the point).
func countHashes(t *testing.T) *atomic.Int64 {
	t.Helper()
	var n atomic.Int64
	old := bcryptGenerate
	bcryptGenerate = func(pw []byte, _ int) ([]byte, error) {
		n.Add(1)
		return bcrypt.GenerateFromPassword(pw, bcrypt.MinCost)
	}
	t.Cleanup(func() { bcryptGenerate = old })
	return &n
}

// plaintextInput writes n users with clear-text passwords and returns the
// file and a mapping that hashes them (passwords.plaintext: hash).
func plaintextInput(t *testing.T, n int) (string, *Mapping) {
	t.Helper()
	var b strings.Builder
	b.WriteString("email,password\n")
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "user%d@example.com,secret-%d\n", i, i)
	}
	path := filepath.Join(t.TempDir(), "users.csv")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	m := NewMapping(IdentifierEmail)
	m.Set("email", "email")
	m.Set("password.password_hash", "password")
	m.Passwords.Plaintext = PlaintextHash
	return path, m
}

// TestPlaintextHashedOncePerRun is issue 17 item 10: a clear-text password
// is bcrypt-hashed once per run, and only when its record is sent or
// written. A live run (with the count of roles and groups before it) hashed
// every row twice, verify --sample 1 hashed the whole file, and a dry run
// hashed every row for nothing.
func TestPlaintextHashedOncePerRun(t *testing.T) {
	const n = 12
	hashes := countHashes(t)
	input, m := plaintextInput(t, n)
	dir := t.TempDir()
	report := filepath.Join(dir, "users.report.csv")

	// A dry run sends nothing: no hash.
	if _, err := Run(context.Background(), RunConfig{Mapping: m, Input: input, Report: filepath.Join(dir, "dry.report.csv"), DryRun: true}); err != nil {
		t.Fatal(err)
	}
	if got := hashes.Swap(0); got != 0 {
		t.Errorf("dry run: %d hashes, want 0", got)
	}
	// A dry run writing the records hashes each once.
	if _, err := Run(context.Background(), RunConfig{Mapping: m, Input: input, Report: filepath.Join(dir, "emit.report.csv"), DryRun: true, EmitJSON: filepath.Join(dir, "records.json")}); err != nil {
		t.Fatal(err)
	}
	if got := hashes.Swap(0); got != n {
		t.Errorf("dry run with --emit-json: %d hashes, want %d", got, n)
	}

	// A live run, with the project prepared first (a pass over the whole
	// file): each password hashed once, and the users can sign in with it.
	e := startLive(t, sandbox.Options{})
	c := RunConfig{Mapping: m, Input: input, Report: report,
		Target:  &Destination{API: e.api, Name: "sandbox", ID: "sandbox test"},
		Import:  e.fastOptions(false),
		Prepare: func(context.Context, ProjectNeeds) error { return nil },
	}
	s, err := Run(context.Background(), c)
	if err != nil || s.Inserted != n {
		t.Fatalf("run: %v, %+v", err, s)
	}
	if got := hashes.Swap(0); got != n {
		t.Errorf("live run of %d records: %d hashes, want %d", n, got, n)
	}
	for _, i := range []int{1, n} {
		if !e.sb.CheckPassword("email", fmt.Sprintf("user%d@example.com", i), fmt.Sprintf("secret-%d", i)) {
			t.Errorf("user%d cannot sign in with their password", i)
		}
	}

	// verify --sample 1 compares one user and sends nothing: no hash.
	v, err := Verify(context.Background(), VerifyConfig{Mapping: m, Input: input, Report: report, API: e.api, Sample: 1, Seed: 1})
	if err != nil || v.Checked != 1 || v.Differ != 0 {
		t.Fatalf("verify: %v, %+v", err, v)
	}
	if got := hashes.Swap(0); got != 0 {
		t.Errorf("verify --sample 1: %d hashes, want 0", got)
	}
	// verify --all neither.
	if _, err := Verify(context.Background(), VerifyConfig{Mapping: m, Input: input, Report: report, API: e.api, All: true, Out: filepath.Join(dir, "all.verify.csv")}); err != nil {
		t.Fatal(err)
	}
	if got := hashes.Swap(0); got != 0 {
		t.Errorf("verify --all: %d hashes, want 0", got)
	}
}

// TestPlaintextHashCache: a row prepared again by the same plan (the
// records of a lost job are prepared and sent again) reuses its hash; the
// same row with another password does not.
func TestPlaintextHashCache(t *testing.T) {
	hashes := countHashes(t)
	_, m := plaintextInput(t, 1)
	plan, err := Compile(m, []string{"email", "password"}, true)
	if err != nil {
		t.Fatal(err)
	}
	row := func(pw string) *Row { return &Row{Num: 7, Line: 8, Fields: []string{"a@example.com", pw}} }
	first := plan.Apply(row("secret-1"))
	if !first.Valid() || !first.PasswordHashedLocally || first.Record.Password.PasswordHash != "" || hashes.Load() != 0 {
		t.Fatalf("Apply hashed or refused: %+v, %d hashes", first, hashes.Load())
	}
	b1, err := first.Record.AppendJSON(nil)
	if err != nil {
		t.Fatal(err)
	}
	h1, _ := first.Record.Password.Hash()
	if !strings.Contains(string(b1), h1) || bcrypt.CompareHashAndPassword([]byte(h1), []byte("secret-1")) != nil || strings.Contains(string(b1), "secret-1") {
		t.Fatalf("sent %s", b1)
	}
	again := plan.Apply(row("secret-1"))
	if h2, _ := again.Record.Password.Hash(); h2 != h1 || hashes.Load() != 1 {
		t.Errorf("the same row again: hash %q (first %q), %d hashes, want the same hash and 1", h2, h1, hashes.Load())
	}
	other := plan.Apply(row("secret-2"))
	if h3, _ := other.Record.Password.Hash(); bcrypt.CompareHashAndPassword([]byte(h3), []byte("secret-2")) != nil || hashes.Load() != 2 {
		t.Errorf("the same row with another password: %d hashes, want 2", hashes.Load())
	}
}
