package report

import "testing"

// The one copy of what the one-line listings and the error line used to
// repeat in app, flow and sign.
func TestClipAndOneLine(t *testing.T) {
	for _, tc := range []struct {
		s    string
		n    int
		want string
	}{{"/v1/card-accounts", 60, "/v1/card-accounts"}, {"abcdef", 3, "abc…"}, {"abc", 3, "abc"}} {
		if got := Clip(tc.s, tc.n); got != tc.want {
			t.Errorf("Clip(%q, %d) = %q; want %q", tc.s, tc.n, got, tc.want)
		}
	}
	for in, want := range map[string]string{
		"sandbox: listen tcp:\n\taddress already in use\r\n": "sandbox: listen tcp: address already in use",
		"  one  ":  "one",
		"":         "",
		"a\u00a0b": "a b",
	} {
		if got := OneLine(in); got != want {
			t.Errorf("OneLine(%q) = %q; want %q", in, got, want)
		}
	}
}
