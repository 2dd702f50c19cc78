//go:build unix

package importer

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

type fileLock struct {
	f    *os.File
	path string
}

// lockFile takes an flock on LockPath(path), and writes this process's id
// into it.
func lockFile(path string) (*fileLock, error) {
	lp := LockPath(path)
	for attempt := 0; ; attempt++ {
		f, err := os.OpenFile(lp, os.O_RDWR|os.O_CREATE|oNoFollow, 0o600)
		if err != nil {
			return nil, err
		}
		if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
			info := readLockInfo(f)
			f.Close()
			if errors.Is(err, unix.EWOULDBLOCK) {
				return nil, info.locked(path, lp)
			}
			return nil, err
		}
		// The holder removes the file before it lets go: a lock taken on
		// a file no longer at lp is no lock, and is taken again.
		fi, err1 := f.Stat()
		li, err2 := os.Lstat(lp)
		if err1 != nil || err2 != nil || !os.SameFile(fi, li) {
			f.Close()
			if attempt < 10 {
				continue
			}
			return nil, errors.New(lp + " keeps changing: another process is locking it")
		}
		if err := writeLockInfo(f); err != nil {
			os.Remove(lp)
			f.Close()
			return nil, err
		}
		return &fileLock{f: f, path: lp}, nil
	}
}

func (l *fileLock) release() {
	os.Remove(l.path)
	l.f.Close()
}
