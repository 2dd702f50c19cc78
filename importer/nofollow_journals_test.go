package importer

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// TestJournalsNeverFollowALink (issue 17 item 10): the roles journal and
// undo's journal, like the import's, are never opened through a link: a
// link planted at their place is refused and what it points to is left
// as it was.
func TestJournalsNeverFollowALink(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no O_NOFOLLOW on windows: the callers' Lstat checks cover it")
	}
	dir := t.TempDir()
	victim := filepath.Join(dir, "victim.txt")
	os.WriteFile(victim, []byte("keep me\n"), 0o600)
	for _, open := range []struct {
		name string
		fn   func(path string) error
	}{
		{"roles journal", func(p string) error { _, err := openRolesJournal(p, "target"); return err }},
		{"undo journal", func(p string) error { _, err := openUndoJournal(p, "sum", "target"); return err }},
	} {
		link := filepath.Join(dir, open.name+".journal")
		if err := os.Symlink(victim, link); err != nil {
			t.Skip(err)
		}
		if err := open.fn(link); err == nil {
			t.Errorf("%s: opened through a link", open.name)
		}
		if b, _ := os.ReadFile(victim); string(b) != "keep me\n" {
			t.Fatalf("%s: the link's target changed: %q", open.name, b)
		}
	}
}
