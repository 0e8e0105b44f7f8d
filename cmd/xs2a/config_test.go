package main_test

// The config file as a user mistypes it, through the binary: every typo
// is one exit-2 line naming the key, the file and the line, before any
// request; `config show` and `config profiles` say what is in effect.

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xs2a-dev/xs2a/pkg/sandbox"
)

// writeYAML writes a config file into a new directory and returns its path.
func writeYAML(t *testing.T, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestConfigTyposThroughTheBinary(t *testing.T) {
	b := startBank(t, sandbox.Options{AutoApprove: true, RatePerSecond: -1, RatePerDay: -1})
	u := newUser(t, b, nil)
	good, err := os.ReadFile(u.cfg)
	if err != nil {
		t.Fatal(err)
	}
	line := func(key string) int {
		for i, l := range strings.Split(string(good), "\n") {
			if strings.HasPrefix(strings.TrimSpace(l), key+":") {
				return i + 1
			}
		}
		t.Fatalf("no %s in %s", key, good)
		return 0
	}
	for _, tc := range []struct {
		name, from, to string
		want           []string
	}{
		// Was blamed on the certificate (exit 5).
		{"qwac", "qwac_cert:", "qwac:", []string{`unknown key "qwac" in profile "sb"; did you mean qwac_cert or qwac_key?`, "line " + itoa(line("qwac_cert"))}},
		// Was a silent switch to tls_client_auth.
		{"client_secret", "client_secret:", "client_secrett:", []string{`unknown key "client_secrett" in profile "sb"; did you mean client_secret?`, "line " + itoa(line("client_secret"))}},
		{"global", "profile: sb", "profile: sb\noutptu: json", []string{`unknown key "outptu"; did you mean output?`, "line 2"}},
		// yaml v3 (under viper) says line 3, where the profile starts.
		{"indentation", "    client_id:", "   client_id:", []string{"not valid YAML: did not find expected key", "line " + itoa(line("client_id"))}},
	} {
		cfg := writeYAML(t, strings.Replace(string(good), tc.from, tc.to, 1))
		r := xs2a(t, u.dir, "", u.env, "--config", cfg, "token")
		oneErrorLine(t, tc.name, r, 2, append([]string{"config file " + cfg + " "}, tc.want...)...)
	}

	// URLs: checked before any request, the hint naming the key set.
	for _, tc := range []struct {
		key, value string
		want       []string
	}{
		{"base_url", b.s.URL + "/v1", []string{"base_url " + b.s.URL + "/v1 ends in /v1", "hint: drop /v1: xs2a adds it"}},
		{"base_url", strings.TrimPrefix(b.s.URL, "https://"), []string{"base_url 127.0.0.1:", "has no scheme; hint: write it https://127.0.0.1:"}},
		{"token_url", "http://auth.bank.example/token", []string{"token_url http://auth.bank.example/token", "use https"}},
		{"base_url", "https://", []string{"base_url https://: no host"}},
	} {
		v := newUser(t, b, map[string]string{tc.key: tc.value})
		oneErrorLine(t, tc.key+" "+tc.value, v.run("consent", "create"), 2, tc.want...)
	}
	// The token endpoint down: the hint names token_url, not base_url.
	down := "https://127.0.0.1:" + itoa(freePort(t)) + "/oauth/token"
	oneErrorLine(t, "token_url down", newUser(t, b, map[string]string{"token_url": down}).run("token"), 1,
		"hint: is the ASPSP reachable at the profile's token_url (https://127.0.0.1:")

	// A bank's profile without base_url: no hint that would overwrite it
	// with the sandbox's.
	r := newUser(t, b, map[string]string{"base_url": ""}).run("consent", "create")
	oneErrorLine(t, "no base_url", r, 2, `profile "sb" has no base_url: set base_url in it`)
	if strings.Contains(r.stderr, "write-profile") {
		t.Errorf("a bank profile without base_url got a write-profile hint: %s", r.stderr)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// XS2A_CONFIG naming a file that is not there fails only the commands
// that need a profile.
func TestMissingConfigFileThroughTheBinary(t *testing.T) {
	dir := t.TempDir()
	env := []string{"XS2A_CONFIG=" + filepath.Join(dir, "nope.yaml")}
	for _, args := range [][]string{
		{"version"},
		{"certs", "generate", "--dir", filepath.Join(dir, "certs")},
		{"sign", "verify", "-"},
	} {
		stdin := ""
		if args[0] == "sign" {
			stdin = "GET /v1/accounts HTTP/1.1\r\nHost: bank.example\r\n\r\n"
		}
		r := xs2a(t, dir, stdin, env, args...)
		if strings.Contains(r.stderr, "nope.yaml") || r.code == 2 {
			t.Errorf("xs2a %s with a missing XS2A_CONFIG: exit %d\n%s", strings.Join(args, " "), r.code, r.stderr)
		}
	}
	for _, args := range [][]string{{"consent", "create"}, {"config", "show"}, {"-p", "x", "accounts", "list"}} {
		oneErrorLine(t, strings.Join(args, " "), xs2a(t, dir, "", env, args...), 2, "config file "+filepath.Join(dir, "nope.yaml")+" (XS2A_CONFIG) does not exist")
	}
}

func TestConfigShowThroughTheBinary(t *testing.T) {
	b := startBank(t, sandbox.Options{})
	u := newUser(t, b, nil)
	r := u.runEnv([]string{"XS2A_API_KEY=from-the-environment-1234"}, "config", "show")
	for _, want := range []string{"config file: " + u.cfg + "\n", "profile: sb (file)\n", "environment XS2A_API_KEY",
		"client authentication: client_secret_basic"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("config show lacks %q:\n%s%s", want, r.stdout, r.stderr)
		}
	}
	for _, secret := range []string{b.s.DefaultApp.ClientSecret, "from-the-environment-1234"} {
		if strings.Contains(r.stdout, secret) {
			t.Errorf("config show printed a secret unmasked:\n%s", r.stdout)
		}
	}
	// Without client_secret the QWAC alone authenticates; JSON says so and
	// masks the API key as null.
	v := newUser(t, b, map[string]string{"client_secret": ""})
	r = v.run("config", "show", "-o", "json")
	var got struct {
		Method   string `json:"client_auth_method"`
		Settings map[string]struct {
			Value  *string `json:"value"`
			Masked bool    `json:"masked"`
		} `json:"settings"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
		t.Fatalf("config show -o json: %v\n%s", err, r.stdout)
	}
	if got.Method != "tls_client_auth" || got.Settings["api_key"].Value != nil || !got.Settings["api_key"].Masked {
		t.Errorf("config show -o json: %s", r.stdout)
	}

	// config profiles, and -p <TAB>.
	cfg := writeYAML(t, "profile: live\nprofiles:\n  live:\n    base_url: https://api.bank.example\n  sb:\n    base_url: "+b.s.URL+"\n")
	r = xs2a(t, u.dir, "", u.env, "--config", cfg, "config", "profiles")
	if r.stdout != "* live  (the file's profile:)\n  sb\n" {
		t.Errorf("config profiles:\n%s%s", r.stdout, r.stderr)
	}
	r = xs2a(t, u.dir, "", u.env, "--config", cfg, "__complete", "-p", "")
	if !strings.HasPrefix(r.stdout, "live\nsb\n:4\n") {
		t.Errorf("-p completion:\n%s", r.stdout)
	}
}

// --write-profile makes the profile the config's profile: when there is
// none, and leaves another alone, saying how to use the new one.
func TestWriteProfileSetsTheDefault(t *testing.T) {
	s := serveBinary(t)
	// stderr is read beside stdout's JSON line, which serveBinary waited
	// for: give the line a moment to arrive.
	for deadline := time.Now().Add(5 * time.Second); !strings.Contains(s.log.String(), "set profile: sb in "+s.cfg) && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
	}
	if !strings.Contains(s.log.String(), "set profile: sb in "+s.cfg) {
		t.Errorf("serve said nothing of profile:\n%s", s.log.String())
	}
	b, _ := os.ReadFile(s.cfg)
	if !strings.HasPrefix(string(b), "profile: sb\n") {
		t.Errorf("config:\n%s", b)
	}
	// Without -p, the written profile is in effect.
	r := xs2a(t, s.dir, "", s.env, "--config", s.cfg, "config", "profiles")
	if r.stdout != "* sb  (the file's profile:)\n" {
		t.Errorf("config profiles:\n%s%s", r.stdout, r.stderr)
	}
}
