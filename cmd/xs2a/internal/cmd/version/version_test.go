package version_test

import (
	"encoding/json"
	"runtime"
	"strings"
	"testing"

	"github.com/xs2a-dev/xs2a/cmd/xs2a/internal/cmdtest"
)

func TestVersion(t *testing.T) {
	e := cmdtest.New(t)
	r := e.Must("version")
	if r.Stdout != "xs2a test ("+runtime.Version()+", "+runtime.GOOS+"/"+runtime.GOARCH+")\n" {
		t.Errorf("version: %q", r.Stdout)
	}
	r = e.Must("version", "-o", "json")
	var v map[string]string
	if err := json.Unmarshal([]byte(r.Stdout), &v); err != nil || v["version"] != "test" || v["go"] != runtime.Version() {
		t.Errorf("version -o json: %v %q", err, r.Stdout)
	}
	e.Expect(2, "", "version", "extra")
	if r := e.Run("version", "-o", "yaml"); r.Code != 2 || !strings.Contains(r.Stderr, "yaml") {
		t.Errorf("version -o yaml: exit %d, stderr %q", r.Code, r.Stderr)
	}
}
