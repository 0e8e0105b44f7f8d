package loopback

import (
	"errors"
	"strings"
	"testing"
)

func TestMatchRegistered(t *testing.T) {
	for _, tc := range []struct {
		uri        string
		registered []string
		note, diff []string // substrings of the note / the error
		closest    string
	}{
		{uri: "http://127.0.0.1:8765/callback", registered: []string{"https://tpp.example/cb", "http://127.0.0.1:8765/callback"}},
		{uri: "http://127.0.0.1:8765/callback", registered: []string{"http://127.0.0.1/callback"}, note: []string{"has no port", "port 8765", "RFC 8252 section 7.3"}},
		{uri: "http://127.0.0.1:0/callback", registered: []string{"http://127.0.0.1/callback"}, note: []string{"a random port"}},
		{uri: "http://127.0.0.1:8765/callback", registered: []string{"https://127.0.0.1:8765/callback"},
			diff: []string{"scheme: http here, https registered"}, closest: "https://127.0.0.1:8765/callback"},
		{uri: "http://127.0.0.1:8765/callback", registered: []string{"http://localhost:8765/callback"},
			diff: []string{"host: 127.0.0.1 here, localhost registered", "8.3"}},
		{uri: "http://[::1]:8765/callback", registered: []string{"http://127.0.0.1:8765/callback"},
			diff: []string{"host: ::1 here, 127.0.0.1 registered", "different loopback address"}},
		{uri: "http://127.0.0.1:8765/callback", registered: []string{"http://127.0.0.1:9000/callback"}, diff: []string{"port: 8765 here, 9000 registered"}},
		{uri: "http://127.0.0.1:0/callback", registered: []string{"http://127.0.0.1:9000/callback"},
			diff: []string{"port: random here", "set redirect_uri to http://127.0.0.1:9000/callback"}},
		{uri: "http://127.0.0.1:8765/cb", registered: []string{"http://127.0.0.1:8765/callback"}, diff: []string{`path: "/cb" here, "/callback" registered`}},
		{uri: "http://127.0.0.1:8765/callback", registered: []string{"http://127.0.0.1:8765/callback/"}, diff: []string{"trailing slash"}},
		{uri: "http://127.0.0.1:8765/callback", registered: []string{"HTTP://127.0.0.1:8765/callback"}, diff: []string{"spelling"}},
		// The closest of several is named: one difference beats two.
		{uri: "http://127.0.0.1:8765/callback", registered: []string{"https://tpp.example/callback", "http://127.0.0.1:8765/cb"},
			diff: []string{"path"}, closest: "http://127.0.0.1:8765/cb"},
	} {
		note, err := MatchRegistered(tc.uri, tc.registered)
		var re *RegistrationError
		switch {
		case tc.diff != nil:
			if !errors.As(err, &re) {
				t.Errorf("%s vs %v: err %v; want a RegistrationError", tc.uri, tc.registered, err)
				continue
			}
			for _, w := range tc.diff {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("%s vs %v: %q lacks %q", tc.uri, tc.registered, err, w)
				}
			}
			if tc.closest != "" && re.Closest != tc.closest {
				t.Errorf("%s vs %v: closest %s; want %s", tc.uri, tc.registered, re.Closest, tc.closest)
			}
			if strings.Contains(err.Error(), ":0/") {
				t.Errorf("error shows port 0: %v", err)
			}
		default:
			if err != nil {
				t.Errorf("%s vs %v: %v; want a match", tc.uri, tc.registered, err)
			}
			for _, w := range tc.note {
				if !strings.Contains(note, w) {
					t.Errorf("%s vs %v: note %q lacks %q", tc.uri, tc.registered, note, w)
				}
			}
			if tc.note == nil && note != "" {
				t.Errorf("%s vs %v: unexpected note %q", tc.uri, tc.registered, note)
			}
		}
	}
	if _, err := MatchRegistered("http://127.0.0.1:1/callback", []string{"not a uri"}); err == nil || !strings.Contains(err.Error(), "not an absolute URI") {
		t.Errorf("garbage registered URI: %v", err)
	}
}
