//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package state

import (
	"errors"
	"io/fs"
	"os"
)

// Without O_NOFOLLOW the link is looked for before the open: not atomic,
// but a planted link still gets the clear error.
const noFollow = 0

func lstatFirst(path string) error {
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if fi.Mode()&fs.ModeSymlink != 0 {
		return errSymlink
	}
	return nil
}

// foreignOwner: no POSIX owner to compare here.
func foreignOwner(fs.FileInfo) (uint32, bool) { return 0, false }
