package importer

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"time"
)

// Two processes on the same migration would both import everything,
// interleave their journal lines and race to commit the report: every
// run takes an exclusive lock on its journal and report (and verify and
// undo on their outputs) for its whole length. The lock is a file beside
// the locked one, NAME.lock (mode 0600), holding the holder's process id
// and start time; it is removed when the run ends. On Unix it is an
// flock(2), released by the kernel when the process dies, so a crash
// leaves no stale lock; elsewhere the file is created exclusively, and a
// crash leaves it behind (the refusal says so).

// processStarted is when this process started (near enough: when the
// package was initialised).
var processStarted = time.Now()

// LockedError refuses a run whose files another process holds.
type LockedError struct {
	// Path is the file the other process holds.
	Path string
	// PID and Started name the holder (0 and zero when it wrote neither).
	PID     int
	Started time.Time
	// Stale: the lock may have been left by a process that crashed (a
	// system without flock); the front end may say to remove LockFile.
	Stale    bool
	LockFile string
}

func (e *LockedError) Error() string {
	who := "another process"
	if e.PID > 0 {
		who = fmt.Sprintf("process %d", e.PID)
		if !e.Started.IsZero() {
			who += ", started " + e.Started.Local().Format("2006-01-02 15:04:05")
		}
	}
	msg := fmt.Sprintf("%s is in use by another run of authgear-migrate (%s): two runs on the same migration would both import every record; wait for it to finish or stop it", e.Path, who)
	if e.Stale {
		msg += fmt.Sprintf(" (if no such process runs, it crashed: remove %s)", e.LockFile)
	}
	return msg
}

// lockInfo is what a lock file holds.
type lockInfo struct {
	PID     int    `json:"pid"`
	Started string `json:"started"`
}

func (i lockInfo) locked(path, lockFile string) *LockedError {
	e := &LockedError{Path: path, PID: i.PID, LockFile: lockFile}
	e.Started, _ = time.Parse(time.RFC3339, i.Started)
	return e
}

func readLockInfo(r io.Reader) lockInfo {
	var i lockInfo
	b, _ := io.ReadAll(io.LimitReader(r, 4096))
	_ = json.Unmarshal(b, &i)
	return i
}

func writeLockInfo(f *os.File) error {
	b, _ := json.Marshal(lockInfo{PID: os.Getpid(), Started: processStarted.UTC().Format(time.RFC3339)})
	if err := f.Truncate(0); err != nil {
		return err
	}
	if _, err := f.WriteAt(append(b, '\n'), 0); err != nil {
		return err
	}
	return f.Sync()
}

// LockPath is the lock file of path.
func LockPath(path string) string { return path + ".lock" }

// LockFiles takes the locks of paths (empty ones are skipped), all or
// none: another process's hold is a *LockedError. release gives them back.
func LockFiles(paths ...string) (release func(), err error) {
	var held []*fileLock
	release = func() {
		for i := len(held) - 1; i >= 0; i-- {
			held[i].release()
		}
		held = nil
	}
	seen := map[string]bool{}
	for _, p := range paths {
		if p == "" || seen[pathKey(p)] {
			continue
		}
		seen[pathKey(p)] = true
		l, err := lockFile(p)
		if err != nil {
			release()
			return func() {}, err
		}
		held = append(held, l)
	}
	return release, nil
}

// refusedLock makes another process's hold a refusal.
func refusedLock(err error) error {
	var le *LockedError
	if errors.As(err, &le) {
		return refused(le)
	}
	return err
}
