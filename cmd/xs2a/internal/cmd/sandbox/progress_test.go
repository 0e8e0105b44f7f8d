package sandbox

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xs2a-dev/xs2a/pkg/iostreams"
)

// The first start generates the certificates behind a progress line on a
// terminal's stderr; a later start loads them and shows nothing; off a
// terminal nothing is ever drawn (issue 18 item 15).
func TestFirstStartShowsProgress(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "certs")
	ios, _, out, errOut := iostreams.Test()
	ios.SetTTY(false, true, true)
	ios.SetProgressDelay(0)
	if _, generated, err := loadOrGenerate(ios, dir, time.Now()); err != nil || !generated {
		t.Fatalf("generated %v, %v", generated, err)
	}
	if !strings.HasPrefix(errOut.String(), "\r⠋ generating the sandbox's certificates in ") || !strings.HasSuffix(errOut.String(), "\r") || out.Len() != 0 {
		t.Errorf("first start: stdout %q, stderr %q", out, errOut)
	}
	errOut.Reset()
	if _, generated, err := loadOrGenerate(ios, dir, time.Now()); err != nil || generated {
		t.Fatalf("second start: generated %v, %v", generated, err)
	}
	if errOut.Len() != 0 {
		t.Errorf("loading drew %q", errOut)
	}

	piped, _, _, pipedErr := iostreams.Test()
	piped.SetProgressDelay(0)
	if _, _, err := loadOrGenerate(piped, filepath.Join(t.TempDir(), "certs"), time.Now()); err != nil {
		t.Fatal(err)
	}
	if pipedErr.Len() != 0 {
		t.Errorf("stderr not a terminal, yet %q", pipedErr)
	}
}
