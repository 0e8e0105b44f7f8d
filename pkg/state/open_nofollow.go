//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package state

import (
	"io/fs"
	"os"
	"syscall"
)

// noFollow: the kernel refuses to open a symlink (ELOOP), so there is no
// window between a check and the open; non-blocking, so a FIFO planted
// there does not hang the open (it is then refused as not a regular file).
const noFollow = syscall.O_NOFOLLOW | syscall.O_NONBLOCK

// lstatFirst: the flags above already refuse a link.
func lstatFirst(string) error { return nil }

// foreignOwner reports the owner of fi when it is not this process's
// effective user.
func foreignOwner(fi fs.FileInfo) (uint32, bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, false
	}
	return st.Uid, int(st.Uid) != os.Geteuid()
}
