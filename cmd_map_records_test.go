package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestMapRecordsKey (issue 18 item 6): a JSON object with two arrays of
// users is refused by map with the candidates named and the flag that
// chooses; --records-key chooses, the mapping says so, and replay reads
// those users.
func TestMapRecordsKey(t *testing.T) {
	dir := t.TempDir()
	b, err := os.ReadFile(filepath.Join("importer", "testdata", "exports", "two-user-arrays.json"))
	if err != nil {
		t.Fatal(err)
	}
	input := filepath.Join(dir, "users.json")
	os.WriteFile(input, b, 0o600)
	out := filepath.Join(dir, "users.mapping.yaml")
	r := runCmd(t, nil, "map", "--input", input, "--output", out)
	if r.code != exitUsage || !strings.Contains(r.errOut, `"admins" (line 2, 1 object`) || !strings.Contains(r.errOut, `"staff" (line 5, 2 objects`) || !strings.Contains(r.errOut, "--records-key") {
		t.Fatalf("map of an ambiguous file:\n%s", r)
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("a mapping was written")
	}
	r = runCmd(t, nil, "map", "--input", input, "--output", out, "--records-key", "staff")
	if r.code != exitOK {
		t.Fatalf("map --records-key staff:\n%s", r)
	}
	if m, _ := os.ReadFile(out); !strings.Contains(string(m), "records_key: staff") {
		t.Errorf("the mapping does not name the array:\n%s", m)
	}
	r = runCmd(t, nil, "replay", "--mapping", out, "--input", input, "--dry-run", "--json", "--report", filepath.Join(dir, "r.csv"))
	if r.code != exitOK || !strings.Contains(r.out, `"total":2`) {
		t.Fatalf("replay:\n%s", r)
	}
}
