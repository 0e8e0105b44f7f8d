package cmdutil

import (
	"slices"
	"testing"
)

func TestEditDistance(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want int
	}{
		{"", "", 0}, {"", "abc", 3}, {"abc", "", 3}, {"lst", "list", 1}, {"lst", "get", 2},
		{"kitten", "sitting", 3}, {"consnt", "consent", 1}, {"l", "get", 3},
	} {
		if got := editDistance(c.a, c.b); got != c.want {
			t.Errorf("editDistance(%q, %q) = %d, want %d", c.a, c.b, got, c.want)
		}
	}
}

func TestClosestKeepsOnlyTheNearest(t *testing.T) {
	names := []string{"balances", "get", "list", "transaction", "transactions"}
	for _, c := range []struct {
		word string
		want []string
	}{
		{"lst", []string{"list"}}, // get is two edits away, list one
		{"l", []string{"list"}},   // a prefix
		{"xyz", nil},              // nothing near
		{"GET", []string{"get"}},  // case folded
		{"transactio", []string{"transaction"}},
	} {
		if got := closest(c.word, names); !slices.Equal(got, c.want) {
			t.Errorf("closest(%q) = %q, want %q", c.word, got, c.want)
		}
	}
}

func TestListenAddr(t *testing.T) {
	for _, c := range []struct {
		in     string
		remote bool
		want   string
	}{
		{"8082", false, "127.0.0.1:8082"},
		{"0", false, "127.0.0.1:0"},
		{":8082", false, "127.0.0.1:8082"},
		{":8082", true, ":8082"}, // --allow-remote: Go's every interface
		{"8082", true, "127.0.0.1:8082"},
		{"127.0.0.1:9", false, "127.0.0.1:9"},
		{"[::1]:9", false, "[::1]:9"},
		{"70000", false, "70000"}, // no port: left for CheckListen to refuse
		{"-1", false, "-1"},
		{"localhost", false, "localhost"},
	} {
		if got := ListenAddr(c.in, c.remote); got != c.want {
			t.Errorf("ListenAddr(%q, %v) = %q, want %q", c.in, c.remote, got, c.want)
		}
	}
}
