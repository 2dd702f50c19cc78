package importer

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
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
// ("the input", "the report": the engine's words, never a front end's
// flag).
type NamedPath struct {
	Path string
	Role string
}

// OutputError refuses an output before any file is touched.
type OutputError struct {
	Output NamedPath
	Msg    string
	// Remedy gets past it (RemedyOtherReport for the record of a live
	// import), for the front end to word.
	Remedy Remedy
}

func (e *OutputError) Error() string {
	return fmt.Sprintf("%s (%s) %s", e.Output.Role, e.Output.Path, e.Msg)
}

// CheckOutputs is CheckFiles for outputs of no kind of this program's
// (a mapping): besides what checkPaths refuses, none replaces a report, a
// journal, a verify or undo report, a request document or a private key.
func CheckOutputs(inputs, outputs []NamedPath) error {
	outs := make([]Output, len(outputs))
	for i, o := range outputs {
		outs[i] = Output{NamedPath: o, Kind: KindOther}
	}
	return CheckFiles(inputs, outs)
}

// checkPaths refuses an output that is an input or another output, an
// existing symbolic link, or anything but a regular file. It reads the
// file system and writes nothing.
func checkPaths(inputs, outputs []NamedPath) error {
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
			return &OutputError{Output: out, Msg: fmt.Sprintf("cannot be checked: %v", err)}
		case li.Mode()&fs.ModeSymlink != 0:
			return &OutputError{Output: out, Msg: "is a symbolic link: an output is never written through a link (it may lead to the export); remove the link or choose another name"}
		case !li.Mode().IsRegular():
			return &OutputError{Output: out, Msg: "exists and is not a regular file"}
		default:
			k.info = li
		}
		for _, in := range ins {
			same := k.key == in.key
			if !same && k.info != nil && in.info != nil {
				same = os.SameFile(k.info, in.info)
			}
			if same {
				return &OutputError{Output: out, Msg: fmt.Sprintf("is the same file as %s (%s): writing it would destroy it", in.Role, in.Path)}
			}
		}
		for _, o := range outs {
			same := k.key == o.key
			if !same && k.info != nil && o.info != nil {
				same = os.SameFile(k.info, o.info)
			}
			if same {
				return &OutputError{Output: out, Msg: fmt.Sprintf("is the same file as %s (%s)", o.Role, o.Path)}
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

// FileKind is what a file of this program is, recognised by its content
// (never only by its name: a journal or a report may be given any name).
type FileKind uint8

// Kinds of files.
const (
	// KindOther is a file that is none of the kinds below (an export, a
	// mapping, a retry file), or a file that does not exist.
	KindOther FileKind = iota
	// KindEmpty is an existing empty file.
	KindEmpty
	// KindReport is the report of a run (its header).
	KindReport
	// KindJournal is the journal of a run (its first line is the start
	// entry).
	KindJournal
	// KindVerifyReport is verify's report.
	KindVerifyReport
	// KindUndoReport is undo's report.
	KindUndoReport
	// KindUndoJournal is undo's journal.
	KindUndoJournal
	// KindRequestDocument is the records as the import API receives them.
	KindRequestDocument
	// KindKey is a private key (PEM, or a JSON Web Key with its private
	// part): the Admin API key file.
	KindKey
	// KindIDMap is the id map of a run (idmap.go): old ids beside
	// Authgear's.
	KindIDMap
	// KindNoPasswordList is the list of the users a run imported without
	// a password (nopassword.go).
	KindNoPasswordList
	// KindNotifyJournal is notify's journal (notify.go).
	KindNotifyJournal
)

var kindNames = [...]string{"a file", "an empty file", "the report of a run", "the journal of a run",
	"a verify report", "an undo report", "the journal of an undo", "a request document", "a private key", "an id map",
	"a list of users without a password", "the journal of a notify"}

func (k FileKind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "a file"
}

const (
	verifyReportHeader = "row,user_id,field,sent,stored"
	undoReportHeader   = "row,user_id,outcome,reason"
)

// Recognize reads the start of the file at path (without following a
// link) and says what it is. A file that does not exist is KindOther.
func Recognize(path string) (FileKind, error) {
	f, err := openNoFollow(path)
	if errors.Is(err, fs.ErrNotExist) {
		return KindOther, nil
	}
	if err != nil {
		return KindOther, err
	}
	defer f.Close()
	head := make([]byte, 64<<10)
	n, err := io.ReadFull(f, head)
	if err != nil && err != io.EOF && err != io.ErrUnexpectedEOF {
		return KindOther, err
	}
	return recognizeHead(head[:n]), nil
}

func recognizeHead(b []byte) FileKind {
	if len(b) == 0 {
		return KindEmpty
	}
	line := b
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		line = b[:i]
	}
	line = bytes.TrimSuffix(line, []byte("\r"))
	trimmed := bytes.TrimSpace(b)
	switch string(bytes.TrimPrefix(line, []byte("\ufeff"))) {
	case reportHeader, reportHeaderNoSourceID:
		return KindReport
	case idMapHeader:
		return KindIDMap
	case noPasswordHeader:
		return KindNoPasswordList
	case verifyReportHeader:
		return KindVerifyReport
	case undoReportHeader:
		return KindUndoReport
	}
	if bytes.HasPrefix(trimmed, []byte("-----BEGIN")) {
		return KindKey
	}
	var e struct {
		T      string          `json:"t"`
		FP     json.RawMessage `json:"fp"`
		Report string          `json:"report"`
		Kty    string          `json:"kty"`
		D      string          `json:"d"`
		Keys   []struct {
			D string `json:"d"`
		} `json:"keys"`
	}
	if json.Unmarshal(line, &e) == nil {
		switch {
		case e.T == entryStart && len(e.FP) > 0:
			return KindJournal
		case e.T == "start" && e.Report != "":
			return KindUndoJournal
		case e.T == "notify":
			return KindNotifyJournal
		}
	}
	if bytes.HasPrefix(trimmed, []byte(`{"identifier":`)) && bytes.Contains(trimmed[:min(len(trimmed), 200)], []byte(`"records":[`)) {
		return KindRequestDocument
	}
	if trimmed[0] == '{' && json.Unmarshal(trimmed, &e) == nil {
		if e.Kty != "" && e.D != "" || len(e.Keys) > 0 && e.Keys[0].D != "" {
			return KindKey
		}
	}
	return KindOther
}

// Output is a file a command writes, with the kind of file it is: it may
// replace only a file of its own kind (or an empty one).
type Output struct {
	NamedPath
	// Kind is what the output is; KindOther (a retry file, a mapping)
	// replaces no file of a kind this program recognises.
	Kind FileKind
	// MayHoldIDs: the caller has decided that this report may replace
	// one that holds user ids (a live run continuing its migration, a
	// rehearsal replacing a rehearsal's report).
	MayHoldIDs bool
}

// CheckFiles is the one output check of every command and the wizard: no
// output is an input (by identity or by name), another output, a
// symbolic link or anything but a regular file; and no output replaces a
// file of another kind (found by content: a journal, a report, a verify
// or undo report, a request document, a private key such as the admin
// key file). An output replaces a file of its own kind only; a report
// that holds user ids is never replaced here (it is the record of a live
// import: a live run decides whether it continues it, see Run). It reads
// the file system and writes nothing.
func CheckFiles(inputs []NamedPath, outputs []Output) error {
	paths := make([]NamedPath, len(outputs))
	for i, o := range outputs {
		paths[i] = o.NamedPath
	}
	if err := checkPaths(inputs, paths); err != nil {
		return err
	}
	for _, o := range outputs {
		if o.Path == "" {
			continue
		}
		if err := checkKind(o); err != nil {
			return err
		}
	}
	return nil
}

func checkKind(o Output) error {
	got, err := Recognize(o.Path)
	if err != nil {
		return &OutputError{Output: o.NamedPath, Msg: fmt.Sprintf("cannot be checked: %v", err)}
	}
	switch {
	case got == KindOther && o.Kind == KindOther, got == KindEmpty:
		return nil
	case got == KindOther:
		if fileExists(o.Path) {
			return &OutputError{Output: o.NamedPath, Msg: fmt.Sprintf("exists and is not %s (it may be an export or another file of yours): it is not replaced", o.Kind)}
		}
		return nil
	case got == KindKey:
		return &OutputError{Output: o.NamedPath, Msg: "is a private key (the Admin API key file?): it is never replaced"}
	case got != o.Kind:
		return &OutputError{Output: o.NamedPath, Msg: fmt.Sprintf("is %s, not %s: it is not replaced", got, o.Kind)}
	case got == KindReport && !o.MayHoldIDs:
		ids, err := ReportHoldsUserIDs(o.Path)
		if err != nil {
			return &OutputError{Output: o.NamedPath, Msg: fmt.Sprintf("cannot be checked: %v", err)}
		}
		if ids {
			return &OutputError{Output: o.NamedPath, Msg: "is the report of a live import (it holds the ids of the users it created): it is never replaced by another run", Remedy: RemedyOtherReport}
		}
	}
	return nil
}

// ReportHoldsUserIDs reports whether the report at path has a line with a
// user id (an outcome the server gave a user).
func ReportHoldsUserIDs(path string) (bool, error) {
	found := false
	err := eachReportID(path, func(int, string) bool { found = true; return false })
	return found, err
}

// eachReportID streams the rows of the report at path that carry a user
// id, until fn returns false.
func eachReportID(path string, fn func(row int, userID string) bool) error {
	f, err := openNoFollow(path)
	if err != nil {
		return err
	}
	defer f.Close()
	r := csv.NewReader(bufio.NewReaderSize(f, 64<<10))
	r.FieldsPerRecord = -1
	r.ReuseRecord = true
	first := true
	for {
		rec, err := r.Read()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if first {
			first = false
			continue
		}
		if len(rec) < 4 {
			continue
		}
		id := unquoteCell(rec[3])
		if id == "" {
			continue
		}
		row, _ := strconv.Atoi(rec[0])
		if !fn(row, id) {
			return nil
		}
	}
}

// openNoFollow opens path for reading without following a link at path.
func openNoFollow(path string) (*os.File, error) {
	if err := refuseNonRegular(path); err != nil {
		return nil, err
	}
	return os.OpenFile(path, os.O_RDONLY|oNoFollow, 0)
}
