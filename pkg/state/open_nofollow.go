//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package state

import "syscall"

// noFollow: the kernel refuses to open a symlink (ELOOP), so there is no
// window between a check and the open; non-blocking, so a FIFO planted
// there does not hang the open (it is then refused as not a regular file).
const noFollow = syscall.O_NOFOLLOW | syscall.O_NONBLOCK

// lstatFirst: the flags above already refuse a link.
func lstatFirst(string) error { return nil }
