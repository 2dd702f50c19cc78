package importer

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// The roles journal records the roles and groups a migration created in
// the project (--create-roles, the wizard's ctrl+r), so that undo can
// remove them: beside the report (REPORT.roles.journal), mode 0600,
// appended to and never truncated, each line fsync'd. A line "create" is
// written before each creation and "created" (or "existed": someone made
// it meanwhile) after; undo writes "removed" once it deleted one.

// DefaultRolesJournal names the roles journal beside the report.
func DefaultRolesJournal(report string) string {
	return strings.TrimSuffix(report, filepath.Ext(report)) + ".roles.journal"
}

// Kinds of roles-journal lines.
const (
	roleStart   = "start"
	roleCreate  = "create"
	roleCreated = "created"
	roleExisted = "existed"
	roleRemoved = "removed"
)

type roleEntry struct {
	T      string `json:"t"`
	Target string `json:"target,omitempty"`
	Kind   string `json:"kind,omitempty"` // role or group
	Key    string `json:"key,omitempty"`
	At     string `json:"at"`
}

// rolesJournal appends to a roles journal.
type rolesJournal struct {
	mu sync.Mutex
	f  *os.File
}

// openRolesJournal opens the roles journal at path for appending (0600),
// with a start line naming target unless its last start names it.
func openRolesJournal(path, target string) (*rolesJournal, error) {
	if err := refuseNonRegular(path); err != nil {
		return nil, err
	}
	last := ""
	if b, err := os.ReadFile(path); err == nil {
		for i, line := range bytes.Split(b, []byte("\n")) {
			var e roleEntry
			if json.Unmarshal(line, &e) != nil {
				if i == 0 && len(line) > 0 {
					return nil, fmt.Errorf("%s is not a roles journal of authgear-migrate: it is not replaced", path)
				}
				continue
			}
			if i == 0 && e.T != roleStart {
				return nil, fmt.Errorf("%s is not a roles journal of authgear-migrate: it is not replaced", path)
			}
			if e.T == roleStart {
				last = e.Target
			}
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	f, err := openAppendLog(path)
	if err != nil {
		return nil, err
	}
	j := &rolesJournal{f: f}
	if last != target || last == "" {
		if err := j.add(roleEntry{T: roleStart, Target: target}); err != nil {
			f.Close()
			return nil, err
		}
	}
	return j, nil
}

func (j *rolesJournal) add(e roleEntry) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	e.At = time.Now().UTC().Format(time.RFC3339Nano)
	return appendJSONLine(j.f, e)
}

// appendJSONLine appends v to an append-only journal as one line of JSON,
// and syncs it: a line the journal holds is on the disk.
func appendJSONLine(f *os.File, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	if _, err := f.Write(append(b, '\n')); err != nil {
		return err
	}
	return f.Sync()
}

func (j *rolesJournal) close() {
	if j != nil {
		j.f.Close()
	}
}

// createdKey is a role or group the roles journal says a migration
// created (or may have: its creation was begun and never recorded).
type createdKey struct {
	Kind, Key string
	// Unsure: a "create" line with no outcome (the run was killed during
	// the request).
	Unsure bool
}

// readRolesJournal lists the roles and groups created in target and not
// removed since, in the order they were created.
func readRolesJournal(path, target string) ([]createdKey, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	type state struct {
		i      int
		status string
	}
	keys := map[string]*state{}
	var order []string
	cur := ""
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		var e roleEntry
		if json.Unmarshal(sc.Bytes(), &e) != nil {
			continue
		}
		if e.T == roleStart {
			cur = e.Target
			continue
		}
		if cur != target || (e.Kind != "role" && e.Kind != "group") {
			continue
		}
		id := e.Kind + "\x00" + e.Key
		st := keys[id]
		if st == nil {
			st = &state{i: len(order)}
			keys[id] = st
			order = append(order, id)
		}
		switch e.T {
		case roleCreate:
			if st.status != roleCreated {
				st.status = roleCreate
			}
		case roleCreated:
			st.status = roleCreated
		case roleExisted:
			if st.status != roleCreated {
				st.status = roleExisted
			}
		case roleRemoved:
			st.status = roleRemoved
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	var out []createdKey
	for _, id := range order {
		st := keys[id]
		if st.status != roleCreated && st.status != roleCreate {
			continue
		}
		kind, key, _ := strings.Cut(id, "\x00")
		out = append(out, createdKey{Kind: kind, Key: key, Unsure: st.status == roleCreate})
	}
	return out, nil
}

// readJSONLog reads a journal of JSON lines (openAppendLog's), giving each
// line to each, decoded into a fresh E: a missing file is an empty
// journal, a file whose first line is not a start line is another kind of
// file (notLog, and nothing is read), and a torn line after it (an
// interrupted write) is skipped.
func readJSONLog[E any](path string, start func(*E) bool, notLog error, each func(*E)) error {
	if err := refuseNonRegular(path); err != nil {
		return err
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	first := true
	for sc.Scan() {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		var e E
		if json.Unmarshal(line, &e) != nil || first && !start(&e) {
			if first {
				return notLog
			}
			continue
		}
		first = false
		each(&e)
	}
	return sc.Err()
}

// openAppendLog opens an append-only journal of lines (the roles journal,
// undo's journal): created 0600, never through a link, never truncated; a
// torn last line gets its line ended, so the next entry is whole.
func openAppendLog(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND|oNoFollow, 0o600)
	if err != nil {
		return nil, err
	}
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return nil, err
	}
	if fi, err := f.Stat(); err == nil && fi.Size() > 0 {
		if _, err := f.Write([]byte{'\n'}); err != nil {
			f.Close()
			return nil, err
		}
	}
	return f, nil
}
