//go:build linux || darwin

package cmdutil

import (
	"syscall"
	"unsafe"
)

// readableTerminal reports whether this process may read the terminal on
// fd: a background job that reads its terminal is stopped by SIGTTIN, so
// `xs2a authorize &` would freeze instead of waiting for the browser.
func readableTerminal(fd uintptr) bool {
	var pgrp int32
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, fd, uintptr(syscall.TIOCGPGRP), uintptr(unsafe.Pointer(&pgrp))); e != 0 {
		return false
	}
	return int(pgrp) == syscall.Getpgrp()
}
