package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/authgear-migrate/authgear-migrate/importer"
)

// TestMapNamesTheOldID (issue 16 item 4): map says which column is the
// old user id and offers to keep it in Authgear in its own words
// (--keep-source-id); with the flag the mapping keeps it as a custom
// attribute; without an id column it says none was found, and the flag is
// refused with a usage error.
func TestMapNamesTheOldID(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "users.csv")
	os.WriteFile(in, []byte("user_id,email\nu-1,a@example.com\nu-2,b@example.com\n"), 0o600)
	out := filepath.Join(dir, "m.yaml")
	r := runCmd(t, nil, "map", "--input", in, "--output", out)
	if r.code != exitOK {
		t.Fatalf("map:\n%s", r)
	}
	if !strings.Contains(r.out, "old user id: user_id (source.id") || !strings.Contains(r.out, "custom_attributes.legacy_id ← user_id (map again with --keep-source-id legacy_id") {
		t.Errorf("map's output:\n%s", r.out)
	}
	m, err := importer.ReadMappingFile(out)
	if err != nil || m.SourceIDPath() != "user_id" {
		t.Fatalf("source.id %q (%v)", m.SourceIDPath(), err)
	}

	r = runCmd(t, nil, "map", "--input", in, "--output", out, "--force", "--keep-source-id", "legacy_id")
	if r.code != exitOK {
		t.Fatalf("map --keep-source-id:\n%s", r)
	}
	m, _ = importer.ReadMappingFile(out)
	if f := m.Fields["custom_attributes.legacy_id"]; f == nil || f.From != "user_id" {
		t.Errorf("custom_attributes.legacy_id ← %+v", f)
	}
	if r = runCmd(t, nil, "map", "--input", in, "--output", out, "--force", "--keep-source-id", "a.b"); r.code != exitUsage {
		t.Errorf("a bad attribute name:\n%s", r)
	}

	none := filepath.Join(dir, "none.csv")
	os.WriteFile(none, []byte("email,name\na@example.com,A\n"), 0o600)
	r = runCmd(t, nil, "map", "--input", none, "--output", filepath.Join(dir, "n.yaml"))
	if r.code != exitOK || !strings.Contains(r.out, "old user id: none found") {
		t.Errorf("map without an id column:\n%s", r)
	}
	r = runCmd(t, nil, "map", "--input", none, "--output", filepath.Join(dir, "n2.yaml"), "--keep-source-id", "legacy_id")
	if r.code != exitUsage || !strings.Contains(r.errOut, "--keep-source-id legacy_id") {
		t.Errorf("--keep-source-id without an old id:\n%s", r)
	}
}
