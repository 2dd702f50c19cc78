package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Issue 18 item 11: when a column holds clear-text passwords and the
// mapping leaves it out (as map does without --hash-plaintext-passwords),
// replay's summary and --json say how many users will have no password,
// and why; not only map.
func TestReplaySaysClearTextPasswordsLeftOut(t *testing.T) {
	dir := t.TempDir()
	input := filepath.Join(dir, "users.csv")
	data := "email,name,password\n" +
		"ann@example.com,Ann,hunter2\n" +
		"bob@example.com,Bob,correct horse battery\n" +
		"cat@example.com,Cat,\n" +
		"dee@example.com,Dee,S3cret!pw\n"
	if err := os.WriteFile(input, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	mapping := filepath.Join(dir, "m.yaml")
	if r := runCmd(t, nil, "map", "--input", input, "--output", mapping); r.code != 0 || !strings.Contains(r.out+r.errOut, "holds passwords in clear text") {
		t.Fatalf("map: %s", r)
	}
	if b, _ := os.ReadFile(mapping); strings.Contains(string(b), "password_hash") {
		t.Fatalf("map mapped the clear-text column:\n%s", b)
	}
	r := runCmd(t, nil, "replay", "--mapping", mapping, "--input", input, "--dry-run", "--report", filepath.Join(dir, "r.csv"))
	if r.code != 0 {
		t.Fatalf("replay: %s", r)
	}
	for _, want := range []string{
		`  no password           3 users: their clear-text passwords ("password") are not mapped; map --hash-plaintext-passwords keeps them`,
		`note: 3 users will have no password in Authgear: "password" holds passwords in clear text and the mapping leaves it out.`,
	} {
		if !strings.Contains(r.out, want) {
			t.Errorf("replay's summary lacks %q:\n%s", want, r.out)
		}
	}
	r = runCmd(t, nil, "replay", "--mapping", mapping, "--input", input, "--dry-run", "--json", "--report", filepath.Join(dir, "r2.csv"))
	if r.code != 0 || !strings.Contains(r.out, `"passwords_plaintext_unmapped":3,"plaintext_password_column":"password"`) {
		t.Errorf("replay --json: %s", r)
	}
}

// The rule's drops are in replay's summary, one line for all fields.
func TestReplaySummaryLeftOutLine(t *testing.T) {
	dir := t.TempDir()
	input := filepath.Join(dir, "users.csv")
	if err := os.WriteFile(input, []byte("email,username,born\na@x.io,admin,1990-13-45\nb@x.io,root,\nc@x.io,carl,1990-01-02\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	mapping := filepath.Join(dir, "m.yaml")
	if err := os.WriteFile(mapping, []byte("version: 1\nidentifier: email\nfields:\n  email: email\n  preferred_username: username\n  birthdate: born\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r := runCmd(t, nil, "replay", "--mapping", mapping, "--input", input, "--dry-run", "--report", filepath.Join(dir, "r.csv"))
	want := "  left out              3 values Authgear would refuse (the users are imported without them): preferred_username (reserved 2), birthdate (not_a_date 1)\n"
	if r.code != 0 || !strings.Contains(r.out, "  valid                 3\n") || !strings.Contains(r.out, want) {
		t.Errorf("replay: want %q in\n%s", want, r)
	}
}
