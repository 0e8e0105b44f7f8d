//go:build linux || darwin

package iostreams

import (
	"syscall"
	"unsafe"
)

// terminalColumns asks the terminal on fd for its width (TIOCGWINSZ);
// 0 when fd is no terminal.
func terminalColumns(fd uintptr) int {
	var ws struct{ Row, Col, X, Y uint16 }
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, fd, uintptr(syscall.TIOCGWINSZ), uintptr(unsafe.Pointer(&ws))); e != 0 {
		return 0
	}
	return int(ws.Col)
}
