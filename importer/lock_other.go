//go:build !unix

package importer

import (
	"errors"
	"io/fs"
	"os"
)

type fileLock struct{ path string }

// lockFile creates LockPath(path) exclusively: a file left by a process
// that crashed is reported as maybe stale.
func lockFile(path string) (*fileLock, error) {
	lp := LockPath(path)
	f, err := os.OpenFile(lp, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		var info lockInfo
		if g, err := os.Open(lp); err == nil {
			info = readLockInfo(g)
			g.Close()
		}
		e := info.locked(path, lp)
		e.Stale = true
		return nil, e
	}
	if err != nil {
		return nil, err
	}
	if err := writeLockInfo(f); err != nil {
		f.Close()
		os.Remove(lp)
		return nil, err
	}
	f.Close()
	return &fileLock{path: lp}, nil
}

func (l *fileLock) release() { os.Remove(l.path) }
