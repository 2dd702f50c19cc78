package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A Django fixture (issue 9 item 1): map finds the user model; replay's
// summary counts the other objects on their own line, and they alone do
// not make the exit code 3.
func TestReplayDjangoFixtureOtherObjects(t *testing.T) {
	dir := t.TempDir()
	data, err := os.ReadFile(filepath.Join("importer", "testdata", "exports", "django-dumpdata.json"))
	if err != nil {
		t.Fatal(err)
	}
	var objs []map[string]any
	if err := json.Unmarshal(data, &objs); err != nil {
		t.Fatal(err)
	}
	// Without the user whose email is broken: 6 users, 19 other objects.
	var kept []map[string]any
	for _, o := range objs {
		if f, _ := o["fields"].(map[string]any); f["email"] != "grace@" {
			kept = append(kept, o)
		}
	}
	input := filepath.Join(dir, "dump.json")
	b, _ := json.Marshal(kept)
	if err := os.WriteFile(input, b, 0o600); err != nil {
		t.Fatal(err)
	}
	mapping := filepath.Join(dir, "dump.mapping.yaml")
	r := runCmd(t, nil, "map", "--input", input, "--output", mapping)
	if r.code != exitOK || !strings.Contains(r.out, "preset: django") || !strings.Contains(r.out, "19 objects are not users") {
		t.Fatalf("map: %s", r)
	}
	r = runCmd(t, nil, "replay", "--mapping", mapping, "--input", input, "--dry-run", "--report", filepath.Join(dir, "r.csv"))
	if r.code != exitOK {
		t.Fatalf("replay: %s", r)
	}
	for _, want := range []string{"records              25", "valid                 6", "invalid               0", "other objects        19 not users"} {
		if !strings.Contains(r.out, want) {
			t.Errorf("summary lacks %q:\n%s", want, r.out)
		}
	}
	if !strings.Contains(r.errOut, "(0 invalid, 19 not users)") {
		t.Errorf("progress: %s", r.errOut)
	}
	r = runCmd(t, nil, "replay", "--mapping", mapping, "--input", input, "--dry-run", "--json", "--report", filepath.Join(dir, "r2.csv"))
	var s struct {
		Total, Valid, Invalid int
		NotUsers              int `json:"not_users"`
	}
	if err := json.Unmarshal([]byte(r.out), &s); err != nil || s.Total != 25 || s.Valid != 6 || s.NotUsers != 19 || r.code != exitOK {
		t.Errorf("--json: %v %+v\n%s", err, s, r)
	}

	// With the invalid user, exit 3 as before.
	full := filepath.Join("importer", "testdata", "exports", "django-dumpdata.json")
	r = runCmd(t, nil, "replay", "--mapping", mapping, "--input", full, "--dry-run", "--report", filepath.Join(dir, "r3.csv"))
	if r.code != exitPartial || !strings.Contains(r.out, "invalid               1") {
		t.Errorf("with an invalid user: %s", r)
	}
}
