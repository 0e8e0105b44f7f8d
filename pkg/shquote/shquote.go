// Package shquote writes strings as POSIX shell words, for commands xs2a
// prints for a user to paste (`xs2a sign --format curl`). What goes into
// such a command came from a request file, somebody else's file: quoted, it
// is one argument, never a command substitution, a pipe or a second
// command.
//
// One rule, from POSIX (XCU 2.2.3): inside single quotes every character is
// literal, and a single quote itself is written as quote, backslash, quote,
// quote (end the quoted part, an escaped quote, start again). A library for
// that one rule would be more to trust than the rule.
package shquote

import (
	"errors"
	"strings"
)

// ErrNUL: a shell word cannot hold a NUL byte (a C string ends there).
var ErrNUL = errors.New("a NUL byte cannot be passed in a shell argument")

// Quote returns s as one single-quoted POSIX shell word. It does not
// check for NUL; Word does.
func Quote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// Word is Quote that refuses a string with a NUL byte.
func Word(s string) (string, error) {
	if strings.IndexByte(s, 0) >= 0 {
		return "", ErrNUL
	}
	return Quote(s), nil
}

// Arg is s as one shell word, left bare when it holds only characters no
// shell treats specially (letters, digits and -_.,/:=@%+), so that the
// common command stays readable, and single-quoted otherwise.
func Arg(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.,/:=@%+") == "" {
		return s
	}
	return Quote(s)
}
