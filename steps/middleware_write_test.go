//go:build unix

package steps

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/authgear-migrate/authgear-migrate/importer/snippets"
	"github.com/authgear-migrate/authgear-migrate/ui"
)

// TestMiddlewareWriteRefusesPlantedFolder: the wizard's w writes through
// snippets.WriteProject, the CLI's --out check (issue 17 item 9): a
// planted authgear-middleware-<stack> folder with a symlinked subfolder is
// refused, and nothing lands where the link points.
func TestMiddlewareWriteRefusesPlantedFolder(t *testing.T) {
	dir, victim := t.TempDir(), t.TempDir()
	t.Chdir(dir)
	c := &ui.Common{Width: 100, Height: 30, Styles: ui.NewStyles(lipgloss.DefaultRenderer()), Keys: ui.DefaultKeyMap()}
	m := newMiddleware(c, &session{ctx: context.Background()})
	st := m.stacks[m.cursor].Name
	planted := "authgear-middleware-" + st
	if err := os.Mkdir(planted, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(victim, filepath.Join(planted, "sub")); err != nil {
		t.Fatal(err)
	}
	_, cmd := m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("w")})
	if cmd == nil {
		t.Fatal("w: no command")
	}
	msg, ok := cmd().(writtenMsg)
	var ue *snippets.UnsafeFolderError
	if !ok || !errors.As(msg.err, &ue) || ue.Problem != snippets.FolderNotEmpty {
		t.Fatalf("w into a planted folder: %#v, want an UnsafeFolderError (not empty)", msg)
	}
	m.Update(msg)
	if !strings.Contains(m.View(), "not written") {
		t.Errorf("the refusal is not shown:\n%s", m.View())
	}
	if entries, _ := os.ReadDir(victim); len(entries) != 0 {
		t.Errorf("files were written through the link: %v", entries)
	}
	// Into a new folder it writes.
	if err := os.RemoveAll(planted); err != nil {
		t.Fatal(err)
	}
	if msg, _ := cmd().(writtenMsg); msg.err != nil {
		t.Fatalf("w into a new folder: %v", msg.err)
	}
	if _, err := os.Lstat(filepath.Join(planted, "README.md")); err != nil {
		t.Error(err)
	}
}
