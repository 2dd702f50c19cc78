package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// replay with a mapped path that no record has (issue 18 item 10): the
// password's is refused (exit 2) before the report is written, naming the
// closest path; with optional: true, or for another field, it is a
// warning on stderr and a note in the summary.
func TestReplayMappedPathNoRecordHas(t *testing.T) {
	dir := t.TempDir()
	input := filepath.Join("importer", "testdata", "exports", "misspelled-path.json")
	write := func(name, fields string) string {
		p := filepath.Join(dir, name)
		doc := "version: 1\nidentifier: email\npasswords: {unsupported: drop}\nfields:\n  email: email\n" + fields
		if err := os.WriteFile(p, []byte(doc), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	rep := filepath.Join(dir, "r.csv")
	r := runCmd(t, nil, "replay", "--mapping", write("pw.yaml", "  password.password_hash: passwordHash\n"), "--input", input, "--report", rep, "--dry-run")
	if r.code != 2 || !strings.Contains(r.errOut, `fields.password.password_hash reads "passwordHash", which none of the 3 sampled records has (the closest path they have: "password_hash")`) {
		t.Fatalf("misspelled password path: %s", r)
	}
	if _, err := os.Stat(rep); !os.IsNotExist(err) {
		t.Errorf("the report was written: %v", err)
	}
	r = runCmd(t, nil, "replay", "--mapping", write("opt.yaml", "  password.password_hash: {from: passwordHash, optional: true}\n  given_name: firstNme\n"), "--input", input, "--report", rep, "--dry-run", "--json")
	if r.code != 0 {
		t.Fatalf("optional password path: %s", r)
	}
	for _, want := range []string{`warning: fields.password.password_hash reads "passwordHash"`, `warning: fields.given_name reads "firstNme"`} {
		if !strings.Contains(r.errOut, want) {
			t.Errorf("stderr lacks %q: %s", want, r)
		}
	}
	if !strings.Contains(r.out, `fields.given_name reads \"firstNme\", which none of the 3 sampled records has (the closest path they have: \"firstName\")`) {
		t.Errorf("--json notes lack the warning: %s", r.out)
	}
}
