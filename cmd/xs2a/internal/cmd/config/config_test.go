package config_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xs2a-dev/xs2a/cmd/xs2a/internal/cmdtest"
)

const bankYAML = `profile: bank
profiles:
  bank:
    base_url: https://api.bank.example
    client_id: tpp-1
    client_secret: s3cr3t-value-of-the-bank
    qwac_cert: /certs/qwac.pem
    signing:
      keyid_form: adorsys
  local:
    base_url: https://127.0.0.1:8443
    qwac_cert: /certs/local.pem
`

func writeConfig(t *testing.T, e *cmdtest.Env, text string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(e.ConfigPath), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(e.ConfigPath, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestShow(t *testing.T) {
	e := cmdtest.New(t)
	writeConfig(t, e, bankYAML)
	t.Setenv("XS2A_CLIENT_ID", "from-env")
	r := e.Must("config", "show")
	for _, want := range []string{
		"config file: " + e.ConfigPath + "\n",
		"profile: bank (file)\n",
		"client_id ", "from-env", "environment XS2A_CLIENT_ID",
		"signing.keyid_form", "adorsys",
		"budget.daily_limit", "1000", "default",
		"client authentication: client_secret_basic",
	} {
		if !strings.Contains(r.Stdout, want) {
			t.Errorf("config show lacks %q:\n%s", want, r.Stdout)
		}
	}
	if strings.Contains(r.Stdout, "s3cr3t-value-of-the-bank") {
		t.Errorf("config show printed the client secret:\n%s", r.Stdout)
	}
	if !strings.Contains(e.Must("config", "show", "--show-secrets").Stdout, "s3cr3t-value-of-the-bank") {
		t.Error("config show --show-secrets hid the client secret")
	}

	// No client_secret: the QWAC alone authenticates.
	r = e.Must("config", "show", "-p", "local")
	if !strings.Contains(r.Stdout, "profile: local (flag --profile)") || !strings.Contains(r.Stdout, "client authentication: tls_client_auth") {
		t.Errorf("config show -p local:\n%s", r.Stdout)
	}

	var got struct {
		Profile    string `json:"profile"`
		Source     string `json:"profile_source"`
		AuthMethod string `json:"client_auth_method"`
		Settings   map[string]struct {
			Value  *string `json:"value"`
			Masked bool    `json:"masked"`
			Source string  `json:"source"`
		} `json:"settings"`
	}
	r = e.Must("config", "show", "-o", "json")
	if err := json.Unmarshal([]byte(r.Stdout), &got); err != nil {
		t.Fatalf("config show -o json: %v\n%s", err, r.Stdout)
	}
	sec := got.Settings["client_secret"]
	if sec.Value != nil || !sec.Masked || sec.Source != "file" {
		t.Errorf("masked client_secret in JSON = %+v; want value null, masked, source file", sec)
	}
	if id := got.Settings["client_id"]; id.Value == nil || *id.Value != "from-env" || id.Source != "environment XS2A_CLIENT_ID" {
		t.Errorf("client_id in JSON = %+v", id)
	}
	if got.Profile != "bank" || got.Source != "file" || got.AuthMethod != "client_secret_basic" {
		t.Errorf("config show -o json = %+v", got)
	}
}

func TestProfiles(t *testing.T) {
	e := cmdtest.New(t)
	writeConfig(t, e, bankYAML)
	if r := e.Must("config", "profiles"); r.Stdout != "* bank  (the file's profile:)\n  local\n" {
		t.Errorf("config profiles:\n%s", r.Stdout)
	}
	if r := e.Must("config", "profiles", "-p", "local"); r.Stdout != "  bank  (the file's profile:)\n* local\n" {
		t.Errorf("config profiles -p local:\n%s", r.Stdout)
	}
	// -p <TAB> offers the same names, and no file names.
	r := e.Must("__complete", "-p", "")
	if !strings.HasPrefix(r.Stdout, "bank\nlocal\n:4\n") {
		t.Errorf("completion of -p:\n%s", r.Stdout)
	}
}

func TestUnknownKeys(t *testing.T) {
	e := cmdtest.New(t)
	writeConfig(t, e, strings.Replace(bankYAML, "client_secret:", "client_secert:", 1))
	e.Expect(2, "config file "+e.ConfigPath+" line 6: unknown key \"client_secert\" in profile \"bank\"; did you mean client_secret?", "config", "show")
}

// A mistyped XS2A_* variable is named with the one meant; one close to no
// setting (a test's own) draws nothing.
func TestMistypedEnvironment(t *testing.T) {
	e := cmdtest.New(t)
	writeConfig(t, e, bankYAML)
	t.Setenv("XS2A_CLIENT_SECRT", "x")
	t.Setenv("XS2A_SOAK_CLIENTS", "3")
	r := e.Must("config", "profiles")
	if r.Stderr != "warning: XS2A_CLIENT_SECRT is no xs2a setting and is ignored; did you mean XS2A_CLIENT_SECRET?\n" {
		t.Errorf("stderr:\n%s", r.Stderr)
	}
}
