//go:build !(linux || darwin)

package cmdutil

// readableTerminal: without Unix job control a terminal read never stops
// the process.
func readableTerminal(uintptr) bool { return true }
