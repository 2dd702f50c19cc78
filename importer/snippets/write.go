package snippets

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
)

// FolderProblem says why a folder is not a safe place for a project.
type FolderProblem string

// The reasons WriteProject refuses a folder. A project holds scripts that
// its owner runs (run.sh) and code that checks tokens, so it is written
// only where no one else can have put or can change anything.
const (
	// FolderNotEmpty: the folder holds something already.
	FolderNotEmpty FolderProblem = "is not empty"
	// FolderLink: the folder (or a component created into it) is a
	// symbolic link.
	FolderLink FolderProblem = "is a symbolic link"
	// FolderNotDir: the path is not a folder.
	FolderNotDir FolderProblem = "is not a folder"
	// FolderOtherOwner: the folder belongs to another user.
	FolderOtherOwner FolderProblem = "belongs to another user"
	// FolderOthersWrite: other users can write into the folder.
	FolderOthersWrite FolderProblem = "can be written by other users"
	// FolderParentUnsafe: the folder would be created inside a folder
	// another user owns or can write into (not a sticky one such as /tmp).
	FolderParentUnsafe FolderProblem = "would be created in a folder another user can change"
	// FolderChanged: the folder changed while the project was written.
	FolderChanged FolderProblem = "changed while the project was written"
)

// UnsafeFolderError is returned by WriteProject for a folder it will not
// write into. Nothing was written.
type UnsafeFolderError struct {
	// Dir is the folder (or, for FolderParentUnsafe, the parent).
	Dir     string
	Problem FolderProblem
	// Owner is the folder's owner (a uid) for FolderOtherOwner and
	// FolderParentUnsafe, else -1.
	Owner int
}

func (e *UnsafeFolderError) Error() string {
	owner := ""
	if e.Owner >= 0 && (e.Problem == FolderOtherOwner || e.Problem == FolderParentUnsafe) {
		owner = fmt.Sprintf(" (uid %d)", e.Owner)
	}
	return fmt.Sprintf("snippets: %s %s%s; write the project into a new folder, or an empty one of yours", e.Dir, e.Problem, owner)
}

// WriteProject writes the stack's runnable project into dir. dir must be
// a new folder (created here, mode 0755, inside a folder that only its
// owner, root or a sticky bit protects) or an empty folder the user owns
// that other users cannot write into; it must not be a symbolic link.
// Every subfolder is created new inside it, and every file with O_EXCL
// through an os.Root opened on dir, so that nothing is written through a
// link. On a refusal (*UnsafeFolderError) nothing is written.
func WriteProject(dir, stack string, c Config) error {
	files, err := Project(stack, c)
	if err != nil {
		return err
	}
	root, err := openProjectDir(dir)
	if err != nil {
		return err
	}
	defer root.Close()
	for _, d := range subfolders(files) {
		if err := root.Mkdir(filepath.FromSlash(d), 0o755); err != nil {
			return changed(dir, err)
		}
		if fi, err := root.Lstat(filepath.FromSlash(d)); err != nil || !fi.IsDir() {
			return changed(dir, err)
		}
	}
	for _, f := range files {
		if err := writeNew(root, filepath.FromSlash(f.Path), f.Data, f.Mode); err != nil {
			return changed(dir, err)
		}
	}
	return nil
}

func changed(dir string, err error) error {
	if err != nil && !errors.Is(err, fs.ErrExist) && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("snippets: %w", err)
	}
	return &UnsafeFolderError{Dir: dir, Problem: FolderChanged, Owner: -1}
}

// subfolders lists the folders the files need, each parent before its
// children.
func subfolders(files []File) []string {
	seen := map[string]bool{}
	for _, f := range files {
		for d := path.Dir(f.Path); d != "." && !seen[d]; d = path.Dir(d) {
			seen[d] = true
		}
	}
	out := make([]string, 0, len(seen))
	for d := range seen {
		out = append(out, d)
	}
	sort.Slice(out, func(i, j int) bool {
		if ci, cj := strings.Count(out[i], "/"), strings.Count(out[j], "/"); ci != cj {
			return ci < cj
		}
		return out[i] < out[j]
	})
	return out
}

// openProjectDir checks dir (creating it when missing) and opens it as a
// root that nothing is resolved out of.
func openProjectDir(dir string) (*os.Root, error) {
	refuse := func(d string, p FolderProblem, owner int) error {
		return &UnsafeFolderError{Dir: d, Problem: p, Owner: owner}
	}
	fi, err := os.Lstat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if err := mkdirSafely(dir); err != nil {
			return nil, err
		}
		if fi, err = os.Lstat(dir); err != nil {
			return nil, fmt.Errorf("snippets: %w", err)
		}
	case err != nil:
		return nil, fmt.Errorf("snippets: %w", err)
	}
	if fi.Mode()&fs.ModeSymlink != 0 {
		return nil, refuse(dir, FolderLink, -1)
	}
	if !fi.IsDir() {
		return nil, refuse(dir, FolderNotDir, -1)
	}
	if uid, ok := ownerOf(fi); ok && !isMe(uid) {
		return nil, refuse(dir, FolderOtherOwner, uid)
	}
	if othersCanWrite(fi) {
		return nil, refuse(dir, FolderOthersWrite, -1)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("snippets: %w", err)
	}
	// The folder opened is the one checked (not swapped for a link since).
	opened, err := root.Stat(".")
	if err != nil || !os.SameFile(fi, opened) {
		root.Close()
		return nil, refuse(dir, FolderChanged, -1)
	}
	f, err := root.Open(".")
	if err != nil {
		root.Close()
		return nil, fmt.Errorf("snippets: %w", err)
	}
	names, err := f.Readdirnames(1)
	f.Close()
	if err != nil && err != io.EOF {
		root.Close()
		return nil, fmt.Errorf("snippets: %w", err)
	}
	if len(names) > 0 {
		root.Close()
		return nil, refuse(dir, FolderNotEmpty, -1)
	}
	return root, nil
}

// mkdirSafely creates dir and its missing parents. The nearest folder that
// exists must be one that no other user can change under the new folder:
// owned by this user or root, and not writable by others unless sticky.
func mkdirSafely(dir string) error {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return fmt.Errorf("snippets: %w", err)
	}
	var missing []string
	p := abs
	for {
		fi, err := os.Lstat(p)
		if err == nil {
			if fi.Mode()&fs.ModeSymlink != 0 && len(missing) > 0 {
				// A link the user named as a parent is theirs to follow.
				if fi, err = os.Stat(p); err != nil {
					return fmt.Errorf("snippets: %w", err)
				}
			}
			if !fi.IsDir() {
				return &UnsafeFolderError{Dir: p, Problem: FolderNotDir, Owner: -1}
			}
			uid, ok := ownerOf(fi)
			if ok && ((!isMe(uid) && uid != 0) || (othersCanWrite(fi) && fi.Mode()&fs.ModeSticky == 0)) {
				return &UnsafeFolderError{Dir: p, Problem: FolderParentUnsafe, Owner: uid}
			}
			break
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("snippets: %w", err)
		}
		missing = append(missing, p)
		parent := filepath.Dir(p)
		if parent == p {
			break
		}
		p = parent
	}
	for i := len(missing) - 1; i >= 0; i-- {
		if err := os.Mkdir(missing[i], 0o755); err != nil {
			if errors.Is(err, fs.ErrExist) {
				return &UnsafeFolderError{Dir: missing[i], Problem: FolderChanged, Owner: -1}
			}
			return fmt.Errorf("snippets: %w", err)
		}
		fi, err := os.Lstat(missing[i])
		if err != nil || !fi.IsDir() {
			return &UnsafeFolderError{Dir: missing[i], Problem: FolderChanged, Owner: -1}
		}
	}
	return nil
}

func writeNew(root *os.Root, p string, data []byte, mode fs.FileMode) error {
	f, err := root.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		_ = f.Close()
		return err
	}
	if err := f.Chmod(mode); err != nil { // the umask may have narrowed it
		_ = f.Close()
		return err
	}
	return f.Close()
}
