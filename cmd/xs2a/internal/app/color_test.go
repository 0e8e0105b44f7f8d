package app

import "testing"

func TestNoColorAsked(t *testing.T) {
	for _, c := range []struct {
		env  string
		args []string
		want bool
	}{
		{"", []string{"sign", "--frobnicate"}, false},
		{"", []string{"--no-color", "sign"}, true},
		{"", []string{"sign", "--no-color=true"}, true},
		{"", []string{"sign", "--no-color=false"}, false},
		{"", []string{"api", "POST", "/x", "--", "--no-color"}, false}, // after --: an argument
		{"", []string{"--no-colour"}, false},
		{"1", []string{"version"}, true},
		{"true", []string{"--no-color=false", "version"}, false}, // the flag wins, as in viper
		{"no", []string{"version"}, false},
		{"", []string{"--no-color", "--no-color=false"}, false}, // the last one counts
	} {
		t.Setenv("XS2A_NO_COLOR", c.env)
		if got := noColorAsked(c.args); got != c.want {
			t.Errorf("XS2A_NO_COLOR=%q %v: %v, want %v", c.env, c.args, got, c.want)
		}
	}
}
