package steps

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
)

// TestParsePath: paths as people type, paste or drop them (issue 15 item
// 10).
func TestParsePath(t *testing.T) {
	home := "/home/ada"
	for _, tc := range []struct{ typed, want string }{
		{"users.csv", "users.csv"},
		{"  users.csv \n", "users.csv"},
		{"~", "/home/ada"},
		{"~/exports/users.csv", "/home/ada/exports/users.csv"},
		{"~ada/x.csv", "~ada/x.csv"},
		{"'/path/with space.csv'", "/path/with space.csv"},
		{"'/path/with space.csv' ", "/path/with space.csv"}, // a drop ends with a space
		{`"/path/with space.csv"`, "/path/with space.csv"},
		{`"/path/\"quoted\" \\ x.csv"`, `/path/"quoted" \ x.csv`},
		{`'/it'\''s.csv'`, "/it's.csv"},
		{`/path/with\ space.csv`, "/path/with space.csv"},
		{`/path/paren\(1\).csv`, "/path/paren(1).csv"},
		{`~/my\ exports/users.csv`, "/home/ada/my exports/users.csv"},
		{"'/path/open quote.csv", "/path/open quote.csv"},
		{"file:///tmp/a%20b.csv", "/tmp/a b.csv"},
		{"file://localhost/tmp/x.csv", "/tmp/x.csv"},
		{"file:///tmp/my file.csv", "/tmp/my file.csv"},
		{"'file:///tmp/q%C3%A9.csv'", "/tmp/qé.csv"},
		{"FILE:///tmp/x.csv", "/tmp/x.csv"},
		{"file://otherhost/x.csv", "file://otherhost/x.csv"},
		{"", ""},
	} {
		if filepath.Separator == '\\' && strings.Contains(tc.typed, `\`) {
			continue
		}
		if got := parsePath(tc.typed, home); got != filepath.FromSlash(tc.want) {
			t.Errorf("parsePath(%q) = %q, want %q", tc.typed, got, tc.want)
		}
	}
	if got := parsePath("~/x.csv", ""); got != "~/x.csv" {
		t.Errorf("no home: %q", got)
	}
}

// pathsTree makes root/sub with an export, other files, a folder, a
// hidden file and this program's outputs.
func pathsTree(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	sub := filepath.Join(root, "sub")
	for _, d := range []string{sub, filepath.Join(sub, "nested")} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range []string{"users.csv", "notes.txt", "dump.sql", ".hidden.csv", "users.report.csv", "users.retry.csv",
		"users.report.journal", "users.request.json", "users.mapping.yaml", "users.report.verify.csv", "users.report.undo.csv"} {
		if err := os.WriteFile(filepath.Join(sub, f), []byte("email\na@example.com\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

// TestCompletePathAnotherFolder: completion lists any file (not only
// exports) of the folder the typed text names, however it is written,
// never this program's outputs, and hidden files only when asked for.
func TestCompletePathAnotherFolder(t *testing.T) {
	root := pathsTree(t)
	want := func(prefix string) []string {
		return []string{prefix + "dump.sql", prefix + "nested/", prefix + "notes.txt", prefix + "users.csv"}
	}
	for _, typed := range []string{root + "/sub/", root + "/sub/u", "~/sub/", "'" + root + "/sub/", "file://" + root + "/sub/"} {
		folder, _ := splitTyped(typed)
		if got := completePath(typed, root); !reflect.DeepEqual(got, want(folder)) {
			t.Errorf("completePath(%q) = %q, want %q", typed, got, want(folder))
		}
	}
	if got := completePath(root+"/sub/.h", root); !contains(got, root+"/sub/.hidden.csv") {
		t.Errorf("hidden files when a dot is typed: %q", got)
	}
	if got := completePath(root+"/nope/", root); got != nil {
		t.Errorf("a missing folder: %q", got)
	}
	t.Chdir(filepath.Join(root, "sub"))
	if got := completePath("", root); !reflect.DeepEqual(got, want("")) {
		t.Errorf("the current folder: %q", got)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// TestLoadFieldPaths: on the load step, the folder's own outputs are never
// offered (so the one export is filled in), typing another folder offers
// its files, and a path dropped from a file manager (quoted, with a space)
// is opened.
func TestLoadFieldPaths(t *testing.T) {
	root := pathsTree(t)
	t.Chdir(filepath.Join(root, "sub"))
	d := newDriver(t, Options{}, 100, 30)
	l := d.w.steps[stepLoad].(*loadStep)
	if got := l.path.Value(); got != "users.csv" {
		t.Errorf("the one export is not filled in: %q", got)
	}
	d.until(func() bool { return len(l.path.AvailableSuggestions()) > 0 })
	for _, s := range l.path.AvailableSuggestions() {
		if strings.Contains(s, ".report.") || strings.Contains(s, ".request.") || strings.Contains(s, ".retry.") || strings.Contains(s, ".mapping.") {
			t.Errorf("an output is offered: %q (all: %q)", s, l.path.AvailableSuggestions())
		}
	}

	// Another folder, typed.
	other := filepath.Join(root, "other folder")
	os.Mkdir(other, 0o700)
	b, _ := os.ReadFile("users.csv")
	os.WriteFile(filepath.Join(other, "people.csv"), b, 0o600)
	d.handle(tea.KeyMsg{Type: tea.KeyCtrlU}) // clear the field
	d.handle(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("../other\\ folder/"), Paste: true})
	d.until(func() bool { return contains(l.path.AvailableSuggestions(), "../other\\ folder/people.csv") })
	d.handle(tea.KeyMsg{Type: tea.KeyTab})
	if got := l.path.Value(); got != "../other\\ folder/people.csv" {
		t.Errorf("tab took %q", got)
	}

	// Dropped: quoted, with a trailing space.
	d.handle(tea.KeyMsg{Type: tea.KeyCtrlU})
	d.handle(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("'" + filepath.Join(other, "people.csv") + "' "), Paste: true})
	d.key(enter, func() bool { return !l.busy && l.s.loaded != nil || l.err != nil })
	if l.err != nil || l.s.loaded.input != filepath.Join(other, "people.csv") {
		t.Fatalf("the dropped path: %v\n%s", l.err, d.w.View())
	}
}
