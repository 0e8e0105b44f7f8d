//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly || windows)

package state

import "os"

// On the remaining platforms the lock is advisory only in name: Update
// still works, but two invocations running at the same moment may lose
// one's change.
func lockFile(*os.File) error { return nil }

func unlockFile(*os.File) error { return nil }
