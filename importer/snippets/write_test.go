//go:build unix

package snippets

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// listTree returns every path under dir (relative), links not followed.
func listTree(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.Walk(dir, func(p string, _ os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		out = append(out, rel)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// The attacks of issue 17 item 9 on `snippets --out` and the wizard's w:
// a folder another user owns or planted, a symlinked subfolder, the folder
// itself a link. Each is refused with the reason and nothing is written.
func TestWriteProjectRefusesUnsafeFolders(t *testing.T) {
	refused := func(t *testing.T, dir, stack string, want FolderProblem) {
		t.Helper()
		err := WriteProject(dir, stack, Config{Endpoint: goldenEndpoint})
		var ue *UnsafeFolderError
		if !errors.As(err, &ue) || ue.Problem != want {
			t.Fatalf("WriteProject(%s): %v, want an UnsafeFolderError %q", dir, err, want)
		}
	}
	t.Run("symlinked subfolder", func(t *testing.T) {
		victim := t.TempDir() // where the attacker wants files to land
		dir := filepath.Join(t.TempDir(), "out")
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(victim, filepath.Join(dir, "src")); err != nil {
			t.Fatal(err)
		}
		refused(t, dir, "php", FolderNotEmpty)
		if got := listTree(t, victim); len(got) != 1 {
			t.Errorf("files were written through the link: %v", got)
		}
	})
	t.Run("folder is a link", func(t *testing.T) {
		target := t.TempDir()
		link := filepath.Join(t.TempDir(), "out")
		if err := os.Symlink(target, link); err != nil {
			t.Fatal(err)
		}
		refused(t, link, "nginx", FolderLink)
		if got := listTree(t, target); len(got) != 1 {
			t.Errorf("files were written through the link: %v", got)
		}
	})
	t.Run("a file is planted", func(t *testing.T) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "nginx.conf"), []byte("planted"), 0o644); err != nil {
			t.Fatal(err)
		}
		refused(t, dir, "nginx", FolderNotEmpty)
		if got := listTree(t, dir); len(got) != 2 {
			t.Errorf("the folder changed: %v", got)
		}
	})
	t.Run("writable by others", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "shared")
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(dir, 0o777); err != nil {
			t.Fatal(err)
		}
		refused(t, dir, "nginx", FolderOthersWrite)
		if got := listTree(t, dir); len(got) != 1 {
			t.Errorf("files were written: %v", got)
		}
	})
	t.Run("another user's folder", func(t *testing.T) {
		if os.Geteuid() != 0 {
			t.Skip("needs root to give a folder to another uid")
		}
		dir := filepath.Join(t.TempDir(), "theirs")
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(dir, 65534, 65534); err != nil {
			t.Fatal(err)
		}
		refused(t, dir, "nginx", FolderOtherOwner)
		// A new folder inside it: the other user could swap it for a link.
		refused(t, filepath.Join(dir, "new", "deeper"), "nginx", FolderParentUnsafe)
		if got := listTree(t, dir); len(got) != 1 {
			t.Errorf("files were written: %v", got)
		}
	})
	t.Run("new folder in a sticky shared folder", func(t *testing.T) {
		shared := filepath.Join(t.TempDir(), "tmp")
		if err := os.Mkdir(shared, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(shared, 0o777|os.ModeSticky); err != nil {
			t.Fatal(err)
		}
		dir := filepath.Join(shared, "a", "b")
		if err := WriteProject(dir, "php", Config{Endpoint: goldenEndpoint}); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Lstat(filepath.Join(dir, "src", "AuthgearJwt.php")); err != nil {
			t.Error(err)
		}
	})
	t.Run("empty folder of one's own", func(t *testing.T) {
		dir := t.TempDir()
		if err := WriteProject(dir, "php", Config{Endpoint: goldenEndpoint}); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Lstat(filepath.Join(dir, "app", "Http", "Middleware", "AuthgearAuthenticate.php")); err != nil {
			t.Error(err)
		}
	})
}
