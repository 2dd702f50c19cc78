package importer

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCheckOutputs(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "users.csv")
	if err := os.WriteFile(in, []byte("email\na@example.com\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "users.report.csv")
	if err := os.Symlink(in, link); err != nil {
		t.Fatal(err)
	}
	hard := filepath.Join(dir, "hard.report.csv")
	if err := os.Link(in, hard); err != nil {
		t.Fatal(err)
	}
	inputs := []NamedPath{{in, "--input"}}
	for _, c := range []struct {
		outs []NamedPath
		want string // "" for no error
	}{
		{[]NamedPath{{filepath.Join(dir, "new.csv"), "--report"}}, ""},
		{[]NamedPath{{link, "--report"}}, "symbolic link"},
		{[]NamedPath{{hard, "--report"}}, "same file as --input"},
		{[]NamedPath{{in, "--report"}}, "same file as --input"},
		{[]NamedPath{{filepath.Join(dir, ".", "sub", "..", "users.csv"), "--report"}}, "same file as --input"},
		{[]NamedPath{{dir, "--report"}}, "not a regular file"},
		{[]NamedPath{{filepath.Join(dir, "a.csv"), "--report"}, {filepath.Join(dir, "x", "..", "a.csv"), "the retry file"}}, "same file as --report"},
	} {
		err := CheckOutputs(inputs, c.outs)
		if c.want == "" {
			if err != nil {
				t.Errorf("%v: %v", c.outs, err)
			}
			continue
		}
		var oe *OutputError
		if !errors.As(err, &oe) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: got %v, want %q", c.outs, err, c.want)
		}
	}
	if b, _ := os.ReadFile(in); string(b) != "email\na@example.com\n" {
		t.Fatalf("the input changed: %q", b)
	}
}

func TestAtomicFile(t *testing.T) {
	dir := t.TempDir()
	dst := filepath.Join(dir, "report.csv")
	if err := os.WriteFile(dst, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	a, err := CreateAtomic(dst)
	if err != nil {
		t.Fatal(err)
	}
	a.WriteString("new")
	if b, _ := os.ReadFile(dst); string(b) != "old" {
		t.Fatalf("destination touched before Commit: %q", b)
	}
	if err := a.Commit(); err != nil {
		t.Fatal(err)
	}
	fi, _ := os.Stat(dst)
	if b, _ := os.ReadFile(dst); string(b) != "new" || fi.Mode().Perm() != 0o600 {
		t.Fatalf("after Commit: %q %v", b, fi.Mode())
	}
	b, err := CreateAtomic(dst)
	if err != nil {
		t.Fatal(err)
	}
	b.WriteString("aborted")
	b.Abort()
	if got, _ := os.ReadFile(dst); string(got) != "new" {
		t.Fatalf("Abort changed the destination: %q", got)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Fatalf("temporary files left: %v", ents)
	}
	victim := filepath.Join(dir, "victim")
	os.WriteFile(victim, []byte("keep"), 0o644)
	link := filepath.Join(dir, "link.csv")
	os.Symlink(victim, link)
	if _, err := CreateAtomic(link); err == nil {
		t.Fatal("CreateAtomic wrote through a symbolic link")
	}
	c, _ := CreateAtomic(filepath.Join(dir, "late.csv"))
	os.Symlink(victim, filepath.Join(dir, "late.csv"))
	if err := c.Commit(); err == nil {
		t.Fatal("Commit replaced a link planted meanwhile")
	}
	if got, _ := os.ReadFile(victim); string(got) != "keep" {
		t.Fatalf("victim changed: %q", got)
	}
}
