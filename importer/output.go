package importer

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"unicode"
)

// An export may be the only copy of a user base, so the files a run writes
// are never opened over an input: every output is checked against every
// input by identity (os.SameFile catches hard links and links to links)
// and by name (case-insensitively where the file system is), an existing
// symbolic link is never written through, and an output is written to a
// temporary file in its folder and renamed into place once complete, so
// that a refusal, a crash or a full disk never leaves a truncated file
// behind.

// NamedPath is a file of a run with the role that names it in messages
// ("--input", "the report").
type NamedPath struct {
	Path string
	Role string
}

// OutputError refuses an output before any file is touched.
type OutputError struct {
	Output NamedPath
	Msg    string
}

func (e *OutputError) Error() string {
	return fmt.Sprintf("%s (%s) %s", e.Output.Role, e.Output.Path, e.Msg)
}

// CheckOutputs refuses an output that is an input or another output, an
// existing symbolic link, or anything but a regular file. It reads the
// file system and writes nothing.
func CheckOutputs(inputs, outputs []NamedPath) error {
	type known struct {
		NamedPath
		info fs.FileInfo
		key  string
	}
	var ins []known
	for _, in := range inputs {
		if in.Path == "" {
			continue
		}
		k := known{NamedPath: in, key: pathKey(in.Path)}
		k.info, _ = os.Stat(in.Path)
		ins = append(ins, k)
	}
	var outs []known
	for _, out := range outputs {
		if out.Path == "" {
			continue
		}
		k := known{NamedPath: out, key: pathKey(out.Path)}
		li, err := os.Lstat(out.Path)
		switch {
		case errors.Is(err, fs.ErrNotExist):
		case err != nil:
			return &OutputError{out, fmt.Sprintf("cannot be checked: %v", err)}
		case li.Mode()&fs.ModeSymlink != 0:
			return &OutputError{out, "is a symbolic link: an output is never written through a link (it may lead to the export); remove the link or choose another name"}
		case !li.Mode().IsRegular():
			return &OutputError{out, "exists and is not a regular file"}
		default:
			k.info = li
		}
		for _, in := range ins {
			same := k.key == in.key
			if !same && k.info != nil && in.info != nil {
				same = os.SameFile(k.info, in.info)
			}
			if same {
				return &OutputError{out, fmt.Sprintf("is the same file as %s (%s): writing it would destroy it", in.Role, in.Path)}
			}
		}
		for _, o := range outs {
			same := k.key == o.key
			if !same && k.info != nil && o.info != nil {
				same = os.SameFile(k.info, o.info)
			}
			if same {
				return &OutputError{out, fmt.Sprintf("is the same file as %s (%s)", o.Role, o.Path)}
			}
		}
		outs = append(outs, k)
	}
	return nil
}

// pathKey names a file for comparison: absolute, its folder's links
// resolved, case-folded where the folder's file system ignores case.
func pathKey(p string) string {
	abs, err := filepath.Abs(p)
	if err != nil {
		return p
	}
	dir, base := filepath.Split(abs)
	if d, err := filepath.EvalSymlinks(dir); err == nil {
		dir = d
	}
	key := filepath.Join(dir, base)
	if caseInsensitive(dir) {
		key = strings.ToLower(key)
	}
	return key
}

// caseInsensitive reports whether dir's file system finds a name in
// another case: tried on the folder's own name when it has letters, and
// otherwise assumed from the operating system's default.
func caseInsensitive(dir string) bool {
	dir = filepath.Clean(dir)
	base := filepath.Base(dir)
	swapped := strings.Map(func(r rune) rune {
		if unicode.IsUpper(r) {
			return unicode.ToLower(r)
		}
		return unicode.ToUpper(r)
	}, base)
	if swapped != base {
		a, err1 := os.Stat(dir)
		b, err2 := os.Stat(filepath.Join(filepath.Dir(dir), swapped))
		if err1 == nil {
			return err2 == nil && os.SameFile(a, b)
		}
	}
	return runtime.GOOS == "darwin" || runtime.GOOS == "windows"
}

// AtomicFile is an output being written: a temporary file (mode 0600) in
// the destination's folder, renamed over the destination by Commit.
// Until then the destination is untouched.
type AtomicFile struct {
	*os.File
	path string
	done bool
}

// CreateAtomic starts writing path. An existing symbolic link or
// non-regular file at path is refused.
func CreateAtomic(path string) (*AtomicFile, error) {
	if err := refuseNonRegular(path); err != nil {
		return nil, err
	}
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".*.tmp")
	if err != nil {
		return nil, err
	}
	return &AtomicFile{File: f, path: path}, nil
}

// Path is the destination.
func (a *AtomicFile) Path() string { return a.path }

// Commit syncs the temporary file and renames it over the destination.
func (a *AtomicFile) Commit() error {
	if a.done {
		return errors.New("output already closed")
	}
	a.done = true
	err := a.File.Sync()
	if cerr := a.File.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		// Checked again: a link planted while the run went on is not
		// followed either (rename replaces the link, never its target,
		// but the refusal says what happened).
		err = refuseNonRegular(a.path)
	}
	if err == nil {
		err = os.Rename(a.File.Name(), a.path)
	}
	if err != nil {
		os.Remove(a.File.Name())
		return err
	}
	syncDir(filepath.Dir(a.path))
	return nil
}

// Finish ends a writer's output: after err (a failed write), or when flush
// fails, the temporary file is dropped and the destination left as it
// was; otherwise it is committed.
func (a *AtomicFile) Finish(err error, flush func() error) error {
	if err == nil {
		err = flush()
	}
	if err != nil {
		a.Abort()
		return err
	}
	return a.Commit()
}

// Abort drops the temporary file and leaves the destination as it was.
func (a *AtomicFile) Abort() {
	if a.done {
		return
	}
	a.done = true
	a.File.Close()
	os.Remove(a.File.Name())
}

func refuseNonRegular(path string) error {
	li, err := os.Lstat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return err
	case li.Mode()&fs.ModeSymlink != 0:
		return fmt.Errorf("%s is a symbolic link: an output is never written through a link", path)
	case !li.Mode().IsRegular():
		return fmt.Errorf("%s exists and is not a regular file", path)
	}
	return nil
}

// syncDir makes a rename durable; file systems that cannot sync a folder
// are ignored.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}
