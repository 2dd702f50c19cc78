package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestMapAgainLeavesTheSameMapping: map run again on the same export, its
// mapping file annotated by hand meanwhile but holding the same mapping,
// leaves the file as it is (comments kept) and says so, without --force;
// the overwrite rule is the engine's (importer.SaveMapping), shared with
// the wizard.
func TestMapAgainLeavesTheSameMapping(t *testing.T) {
	dir, input := mapFixture(t)
	out := filepath.Join(dir, "users.mapping.yaml")
	if r := runCmd(t, nil, "map", "--input", input, "--output", out); r.code != exitOK {
		t.Fatalf("first map:\n%s", r)
	}
	b, _ := os.ReadFile(out)
	annotated := "# checked by Ana\n" + string(b)
	os.WriteFile(out, []byte(annotated), 0o644)
	r := runCmd(t, nil, "map", "--input", input, "--output", out)
	if r.code != exitOK || !strings.Contains(r.out, "unchanged") {
		t.Fatalf("map again over the same mapping:\n%s", r)
	}
	if b, _ := os.ReadFile(out); string(b) != annotated {
		t.Errorf("the file was rewritten:\n%s", b)
	}
}

// TestMapNotesInItsWords (issue 15 item 14): the engine's notes name no
// flag; map adds its own where a note advises something to do.
func TestMapNotesInItsWords(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "seed.csv")
	os.WriteFile(in, []byte("email,password\na@example.com,secret\nb@example.com,hunter2\n"), 0o600)
	r := runCmd(t, nil, "map", "--input", in, "--output", filepath.Join(dir, "m.yaml"))
	if r.code != exitOK {
		t.Fatalf("map:\n%s", r)
	}
	if !strings.Contains(r.out, "hash them locally") || !strings.Contains(r.out, "(map again with --hash-plaintext-passwords)") {
		t.Errorf("map's notes:\n%s", r.out)
	}
}
