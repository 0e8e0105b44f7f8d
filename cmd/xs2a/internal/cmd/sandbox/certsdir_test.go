package sandbox_test

import (
	"path/filepath"
	"testing"

	"github.com/xs2a-dev/xs2a/cmd/xs2a/internal/cmdutil"

	"github.com/xs2a-dev/xs2a/cmd/xs2a/internal/cmd/sandbox"
	"github.com/xs2a-dev/xs2a/pkg/state"
)

// The sandbox's certificates live in the state directory that pkg/state
// places, by its rule: a relative XDG_STATE_HOME is ignored (the XDG spec),
// which the sandbox's own copy of the rule once accepted.
func TestDefaultCertsDirIsInTheStateDir(t *testing.T) {
	home := t.TempDir()
	abs := filepath.Join(t.TempDir(), "state")
	for _, c := range []struct {
		name, xdg, home, want string
	}{
		{"absolute XDG_STATE_HOME", abs, home, filepath.Join(abs, "xs2a", "sandbox", "certs")},
		{"relative XDG_STATE_HOME", "rel/state", home, filepath.Join(home, ".local", "state", "xs2a", "sandbox", "certs")},
		{"no XDG_STATE_HOME", "", home, filepath.Join(home, ".local", "state", "xs2a", "sandbox", "certs")},
		{"no home either", "", "", "xs2a-sandbox-certs"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Setenv("XDG_STATE_HOME", c.xdg)
			t.Setenv("HOME", c.home)
			got := sandbox.DefaultCertsDir()
			if got != c.want {
				t.Errorf("DefaultCertsDir() = %q, want %q", got, c.want)
			}
			if dir, err := state.DefaultDir(); err == nil && got != filepath.Join(dir, "sandbox", "certs") {
				t.Errorf("DefaultCertsDir() = %q is not under state.DefaultDir() %q", got, dir)
			}
			if def := sandbox.NewCmdServe(&cmdutil.Factory{}, nil).Flags().Lookup("certs").DefValue; def != got {
				t.Errorf("serve --certs defaults to %q, want DefaultCertsDir() %q", def, got)
			}
		})
	}
}
