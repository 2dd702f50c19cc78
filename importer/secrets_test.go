package importer

import (
	"os"
	"path/filepath"
	"testing"
)

// TestSecretColumns: a mapped password column, an unmapped clear-text
// password column and an unmapped column of hashes are secret; a name,
// an email and an id are not.
func TestSecretColumns(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "u.csv")
	os.WriteFile(p, []byte("email,name,pass,legacy,uid\n"+
		"a@example.com,Ann,hunter2,$2b$10$abcdefghijklmnopqrstuuOm0vN8w1x5dKc0e8m4R0mA8y8B1GZ6a,17\n"+
		"b@example.com,Bob,letmein,$2b$10$abcdefghijklmnopqrstuuOm0vN8w1x5dKc0e8m4R0mA8y8B1GZ6b,18\n"), 0o600)
	src, err := Open(p, SourceOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	m, _, err := SuggestMapping(src, SuggestOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got := SecretColumns(m, NewViewer(src), src.Columns(), src.Sample())
	for _, c := range []string{"pass", "legacy"} {
		if !got[c] {
			t.Errorf("%s is not secret: %v (mapping %v)", c, got, m.Fields)
		}
	}
	for _, c := range []string{"email", "name", "uid"} {
		if got[c] {
			t.Errorf("%s is secret: %v", c, got)
		}
	}
	m.Set("password.password_hash", "uid")
	if !SecretColumns(m, NewViewer(src), src.Columns(), src.Sample())["uid"] {
		t.Error("a mapped password column is not secret")
	}
}
