//go:build unix

package snippets

import (
	"io/fs"
	"os"
	"syscall"
)

// ownerOf returns the uid that owns the file.
func ownerOf(fi fs.FileInfo) (int, bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, false
	}
	return int(st.Uid), true
}

// isMe says whether uid is this process's effective user.
func isMe(uid int) bool { return uid == os.Geteuid() }

// isMyGroup says whether the file's group is this process's effective
// group (a user's own group, where umask 002 is the custom).
func isMyGroup(fi fs.FileInfo) bool {
	st, ok := fi.Sys().(*syscall.Stat_t)
	return ok && int(st.Gid) == os.Getegid()
}

// othersCanWrite says whether users other than the owner can write into
// the folder: anyone, or its group when the group is not this user's own.
func othersCanWrite(fi fs.FileInfo) bool {
	perm := fi.Mode().Perm()
	if perm&0o002 != 0 {
		return true
	}
	return perm&0o020 != 0 && !isMyGroup(fi)
}
