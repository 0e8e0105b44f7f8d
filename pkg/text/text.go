// Package text cuts text that came from outside xs2a (a peer's value, a
// request file, a recorded path) down for display: Clip shortens it by
// character with one ellipsis, OneLine folds it onto one line, so that long
// or multi-line input cannot flood or break the message, listing or error
// line quoting it. It is the one home of both, for the libraries in pkg/ and
// the commands alike; escaping for the terminal is pkg/termsafe's job.
package text

import "strings"

// Ellipsis marks where Clip cut a value: one character, so a clipped value
// is never mistaken for one that really ends in dots.
const Ellipsis = "…"

// Clip returns s when it has at most n characters, else its first n
// characters followed by Ellipsis. It counts and cuts by character, never
// inside a UTF-8 sequence, so a clipped value stays valid UTF-8 when s was;
// a byte that is not UTF-8 counts as one character and is kept as it is.
func Clip(s string, n int) string {
	if n < 0 {
		n = 0
	}
	if len(s) <= n { // no more bytes than n, so no more characters either
		return s
	}
	count := 0
	for i := range s {
		if count == n {
			return s[:i] + Ellipsis
		}
		count++
	}
	return s
}

// OneLine folds every run of white space in s, line breaks included, into
// one space and trims both ends, so that a multi-line message (an error
// from a peer, a wrapped diagnosis) fits on the one line quoting it.
func OneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
