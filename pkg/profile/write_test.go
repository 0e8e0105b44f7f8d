package profile

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

func TestUpdateFileKeepsCommentsAndOtherProfiles(t *testing.T) {
	p := filepath.Join(t.TempDir(), "config.yaml")
	orig := "# my settings\nprofile: bank\nprofiles:\n  bank:\n    base_url: https://bank.example # live\n"
	if err := os.WriteFile(p, []byte(orig), 0o644); err != nil {
		t.Fatal(err)
	}
	err := UpdateFile(p, "sandbox", map[string]string{"qseal_cert": "/c/qseal.pem", "signing.serial_form": "hex"})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(p)
	s := string(b)
	for _, want := range []string{"# my settings", "# live", "base_url: https://bank.example"} {
		if !strings.Contains(s, want) {
			t.Errorf("lost %q:\n%s", want, s)
		}
	}
	var got struct {
		Profiles map[string]struct {
			QSealCert string `yaml:"qseal_cert"`
			Signing   struct {
				SerialForm string `yaml:"serial_form"`
			}
		}
	}
	if err := yaml.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if sb := got.Profiles["sandbox"]; sb.QSealCert != "/c/qseal.pem" || sb.Signing.SerialForm != "hex" {
		t.Errorf("sandbox profile = %+v", sb)
	}
	if st, _ := os.Stat(p); st.Mode().Perm() != 0o600 {
		t.Errorf("mode %v; want 0600", st.Mode().Perm())
	}
	if err := UpdateFile(p, "x", map[string]string{"nope": "1"}); err == nil {
		t.Error("unknown key accepted")
	}
}

func TestUpdateFileCreatesFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "sub", "config.yaml")
	if err := UpdateFile(p, "Sandbox", map[string]string{"base_url": "https://127.0.0.1:1"}); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(p)
	if !strings.Contains(string(b), "sandbox:") || !strings.Contains(string(b), "base_url: https://127.0.0.1:1") {
		t.Errorf("file:\n%s", b)
	}
}

func TestSetDefaultProfile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(path, []byte("# my banks\nprofiles:\n  bank:\n    base_url: https://bank.example # live\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	other, err := SetDefaultProfile(path, "Local")
	if err != nil || other != "" {
		t.Fatalf("SetDefaultProfile on a file without profile: = %q, %v", other, err)
	}
	b, _ := os.ReadFile(path)
	want := "# my banks\nprofile: local\nprofiles:\n  bank:\n    base_url: https://bank.example # live\n"
	if string(b) != want {
		t.Errorf("file:\n%s\nwant:\n%s", b, want)
	}
	// A file that names a profile keeps it.
	other, err = SetDefaultProfile(path, "second")
	if err != nil || other != "local" {
		t.Errorf("SetDefaultProfile over profile: local = %q, %v; want local", other, err)
	}
	if b2, _ := os.ReadFile(path); string(b2) != want {
		t.Errorf("file changed:\n%s", b2)
	}
}
