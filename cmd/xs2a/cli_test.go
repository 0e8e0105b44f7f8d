package main_test

// These tests drive the built xs2a binary as a user's shell would: real
// processes, real files, exit codes and the exact stderr line. They are the
// contract of the README's exit-code table.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func TestBadInputGivesOneLineAndDocumentedCode(t *testing.T) {
	dir := t.TempDir()
	sign := []string{"sign", "--url", "https://bank.example/v1/consents", "-d", "{}"}
	tests := []struct {
		name   string
		args   []string
		stdin  string
		code   int
		stderr string // regexp the single stderr line must match
	}{
		{"missing key file", append(sign, "--key", "nope.key", "--cert", fixture("qseal.pem")), "", 2, `nope\.key: no such file`},
		{"missing cert file", append(sign, "--key", fixture("qseal.key"), "--cert", "nope.pem"), "", 2, `nope\.pem: no such file`},
		{"certificate given as key", append(sign, "--key", fixture("qseal.pem"), "--cert", fixture("qseal.pem")), "", 5, `qseal\.pem: no PRIVATE KEY block`},
		{"key given as certificate", append(sign, "--key", fixture("qseal.key"), "--cert", fixture("qseal.key")), "", 5, `holds "PRIVATE KEY", not a certificate \(did you swap`},
		{"garbage certificate", append(sign, "--key", fixture("qseal.key"), "--cert", fixture("garbage.pem")), "", 5, `garbage\.pem: not a PEM file and not a DER certificate`},
		{"mismatched key", append(sign, "--key", fixture("qwac.key"), "--cert", fixture("qseal.pem")), "", 5, `qwac\.key does not belong to the certificate .*qseal\.pem`},
		{"encrypted key", append(sign, "--key", fixture("encrypted.key"), "--cert", fixture("qseal.pem")), "", 5, `encrypted\.key: the private key is encrypted; decrypt it first`},
		{"EC key", append(sign, "--key", fixture("ec.key"), "--cert", fixture("qseal.pem")), "", 5, `holds an EC key; the Berlin Group profile signs with RSA`},
		{"unknown algorithm", append(sign, "--key", fixture("qseal.key"), "--cert", fixture("qseal.pem"), "--algorithm", "hmac-sha256"), "", 2, `unknown signature algorithm "hmac-sha256"`},
		{"unknown digest", append(sign, "--key", fixture("qseal.key"), "--cert", fixture("qseal.pem"), "--digest", "MD5"), "", 2, `unknown digest algorithm "MD5"`},
		{"unknown serial form", append(sign, "--key", fixture("qseal.key"), "--cert", fixture("qseal.pem"), "--serial-form", "octal"), "", 2, `unknown serial form "octal"`},
		{"malformed request", []string{"sign", "--request", fixture("request-bad.http"), "--key", fixture("qseal.key"), "--cert", fixture("qseal.pem")}, "", 2, `request-bad\.http: malformed HTTP request: line 1`},
		{"malformed request on stdin", []string{"sign", "--request", "-", "--key", fixture("qseal.key"), "--cert", fixture("qseal.pem")}, "GET\n", 2, `standard input: malformed HTTP request`},
		{"nothing to sign", []string{"sign", "--key", fixture("qseal.key"), "--cert", fixture("qseal.pem")}, "", 2, `nothing to sign`},
		{"relative URL", []string{"sign", "--url", "/v1/consents"}, "", 2, `is not an absolute http\(s\) URL`},
		{"no key configured", sign, "", 2, `no signing key: give --key`},
		{"bad header flag", append(sign, "-H", "no-colon"), "", 2, `--header "no-colon" is not "Name: value"`},
		{"unknown flag", []string{"sign", "--frobnicate"}, "", 2, `unknown flag: --frobnicate`},
		{"unknown command", []string{"frobnicate"}, "", 2, `unknown command "frobnicate"`},
		{"group without a subcommand", []string{"certs"}, "", 2, `missing subcommand: check, generate, inspect or sign-challenge \(see 'xs2a certs --help'\)`},
		{"bad output", []string{"version", "-o", "yaml"}, "", 2, `invalid --output "yaml"`},
		{"bad format", append(sign, "--format", "xml"), "", 2, `invalid --format "xml"`},
		{"missing config", []string{"--config", "nope.yaml", "version"}, "", 2, `config file nope\.yaml does not exist`},
		{"unknown profile", []string{"--profile", "live", "version"}, "", 2, `profile "live" is not defined`},
		{"verify missing file", []string{"sign", "verify", "nope.http"}, "", 2, `request file nope\.http does not exist`},
		{"verify malformed", []string{"sign", "verify", fixture("request-bad.http")}, "", 2, `malformed HTTP request`},
		{"verify bad --at", []string{"sign", "verify", fixture("request-bad.http"), "--at", "yesterday"}, "", 2, `not an RFC 3339 time|malformed`},
		{"certs generate 1024", []string{"certs", "generate", "--key-size", "1024"}, "", 2, `--key-size 1024 is not allowed`},
		{"certs generate unknown role", []string{"certs", "generate", "--roles", "PSP_AI,PSP_XX"}, "", 2, `unknown PSP role "PSP_XX"`},
		{"certs generate bad country", []string{"certs", "generate", "--country", "Finland"}, "", 2, `country "FINLAND" is not two upper-case letters`},
		{"certs inspect not a cert", []string{"certs", "inspect", fixture("garbage.pem")}, "", 5, `not a PEM file and not a DER certificate`},
		{"certs inspect missing", []string{"certs", "inspect", "nope.pem"}, "", 2, `no such file`},
		{"certs check unknown service", []string{"certs", "check", "--for", "xyz"}, "", 2, `--for "xyz" is not a service`},
		{"sign-challenge without key", []string{"certs", "sign-challenge", "--challenge", "abc"}, "", 2, `--key is required`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := xs2a(t, dir, tt.stdin, nil, tt.args...)
			if r.code != tt.code {
				t.Errorf("exit code %d; want %d (stderr %q)", r.code, tt.code, r.stderr)
			}
			lines := strings.Split(strings.TrimRight(r.stderr, "\n"), "\n")
			if len(lines) != 1 {
				t.Fatalf("stderr has %d lines; want exactly one:\n%s", len(lines), r.stderr)
			}
			if !strings.HasPrefix(lines[0], "xs2a: error: ") {
				t.Errorf("stderr %q does not start with \"xs2a: error: \"", lines[0])
			}
			if !regexp.MustCompile(tt.stderr).MatchString(lines[0]) {
				t.Errorf("stderr %q does not match %q", lines[0], tt.stderr)
			}
			if strings.Contains(r.stderr, "goroutine") || strings.Contains(r.stderr, "panic") {
				t.Errorf("stack trace on stderr: %s", r.stderr)
			}
			if r.stdout != "" {
				t.Errorf("stdout not empty on error: %q", r.stdout)
			}
		})
	}
}

func TestSignThenVerifyThroughTheBinary(t *testing.T) {
	dir := t.TempDir()
	body := `{"access":{"allPsd2":"allAccounts"},"recurringIndicator":true,"validUntil":"2099-12-31","frequencyPerDay":4,"combinedServiceIndicator":false}`
	r := xs2a(t, dir, "", nil, "sign", "--key", fixture("qseal.key"), "--cert", fixture("qseal.pem"), "-X", "POST",
		"--url", "https://bank.example/v1/consents", "-d", body, "-H", "PSU-ID: psu-1", "--format", "http")
	if r.code != 0 {
		t.Fatalf("sign: exit %d: %s", r.code, r.stderr)
	}
	if !strings.Contains(r.stdout, `headers="x-request-id digest psu-id"`) {
		t.Errorf("signed message lacks the Berlin Group header list:\n%s", r.stdout)
	}
	if !strings.HasSuffix(r.stdout, "\r\n\r\n"+body) {
		t.Errorf("body not kept byte for byte at the end of the message")
	}
	signed := r.stdout

	v := xs2a(t, dir, signed, nil, "sign", "verify", "-")
	if v.code != 0 || !strings.Contains(v.stdout, "VALID") {
		t.Fatalf("verify: exit %d\n%s%s", v.code, v.stdout, v.stderr)
	}
	for _, want := range []string{"✓ signature verifies", "serial written as der-hex, issuer DN as rfc4514-pct"} {
		if !strings.Contains(v.stdout, want) {
			t.Errorf("report lacks %q:\n%s", want, v.stdout)
		}
	}

	// The same request, tampered: PSU-ID changed after signing.
	tampered := strings.Replace(signed, "PSU-ID: psu-1", "PSU-ID: psu-2", 1)
	v = xs2a(t, dir, tampered, nil, "sign", "verify", "-")
	if v.code != 6 {
		t.Fatalf("tampered request: exit %d; want 6\n%s", v.code, v.stdout)
	}
	if !strings.Contains(v.stdout, "✗ signature verifies") || !strings.Contains(v.stdout, "INVALID") {
		t.Errorf("report does not show the failing signature:\n%s", v.stdout)
	}
	if v.stderr != "" {
		t.Errorf("verify of an invalid request printed to stderr: %q (the report is the answer)", v.stderr)
	}

	// JSON report for scripts.
	v = xs2a(t, dir, tampered, nil, "sign", "verify", "-", "-o", "json")
	var d struct {
		Valid  bool
		Checks []struct{ ID, Status string }
	}
	if err := json.Unmarshal([]byte(v.stdout), &d); err != nil {
		t.Fatalf("verify -o json is not JSON: %v\n%s", err, v.stdout)
	}
	failed := map[string]bool{}
	for _, c := range d.Checks {
		if c.Status == "fail" {
			failed[c.ID] = true
		}
	}
	if d.Valid || !failed["signature"] || len(failed) != 1 {
		t.Errorf("json diagnosis: valid=%v failed=%v; want only the signature check failing", d.Valid, failed)
	}
}

func TestSignFormats(t *testing.T) {
	dir := t.TempDir()
	base := []string{"sign", "--key", fixture("qseal.key"), "--cert", fixture("qseal.pem"), "--url", "https://bank.example/v1/accounts?withBalance=true",
		"-H", "X-Request-ID: 99391c7e-ad88-49ec-a2ad-99ddcb1f7721"}

	r := xs2a(t, dir, "", nil, base...)
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	var names []string
	for _, l := range lines {
		names = append(names, strings.SplitN(l, ":", 2)[0])
	}
	if got := strings.Join(names, ","); got != "Digest,Signature,TPP-Signature-Certificate" {
		t.Errorf("headers format printed %s; want Digest,Signature,TPP-Signature-Certificate (X-Request-ID was given)", got)
	}
	if !strings.Contains(r.stdout, "Digest: SHA-256=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=") {
		t.Errorf("GET without body must carry the digest of zero bytes:\n%s", r.stdout)
	}

	r = xs2a(t, dir, "", nil, append(base, "--format", "json")...)
	var j struct {
		Method, URL, Algorithm string
		SigningString          string   `json:"signing_string"`
		KeyID                  string   `json:"key_id"`
		SignedHeaders          []string `json:"signed_headers"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &j); err != nil {
		t.Fatalf("json: %v\n%s", err, r.stdout)
	}
	if j.Method != "GET" || j.URL != "https://bank.example/v1/accounts?withBalance=true" || j.Algorithm != "rsa-sha256" ||
		j.SigningString != "x-request-id: 99391c7e-ad88-49ec-a2ad-99ddcb1f7721\ndigest: SHA-256=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=" {
		t.Errorf("json = %+v", j)
	}
	// --output json implies --format json.
	r2 := xs2a(t, dir, "", nil, append(base, "-o", "json")...)
	if !json.Valid([]byte(r2.stdout)) {
		t.Errorf("-o json did not print JSON: %q", r2.stdout)
	}

	r = xs2a(t, dir, "", nil, append(base, "--format", "curl", "--qwac-cert", fixture("qwac.pem"), "--qwac-key", fixture("qwac.key"))...)
	for _, want := range []string{"curl -sS --cert '" + fixture("qwac.pem") + "' --key '" + fixture("qwac.key") + "'", "-H 'Signature: keyId=", "'https://bank.example/v1/accounts?withBalance=true'"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("curl output lacks %q:\n%s", want, r.stdout)
		}
	}

	r = xs2a(t, dir, "", nil, append(base, "--explain", "--serial-form", "lower-hex", "--dn-form", "x509-order")...)
	for _, want := range []string{"x-request-id: 99391c7e-ad88-49ec-a2ad-99ddcb1f7721\\n", "--serial-form lower-hex", "--dn-form x509-order", "CA=C=FI,O="} {
		if !strings.Contains(r.stderr+r.stdout, want) {
			t.Errorf("--explain output lacks %q:\n%s", want, r.stderr)
		}
	}
}

func TestConfigPrecedence(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config.yaml")
	// The file names the wrong key; the environment fixes it; a flag beats both.
	yaml := fmt.Sprintf("profile: bank\nprofiles:\n  bank:\n    qseal_cert: %s\n    qseal_key: %s\n    signing:\n      serial_form: decimal\n", fixture("qseal.pem"), fixture("qwac.key"))
	if err := os.WriteFile(cfg, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	args := []string{"--config", cfg, "sign", "--url", "https://bank.example/v1/accounts", "-o", "json"}
	r := xs2a(t, dir, "", nil, args...)
	if r.code != 5 || !strings.Contains(r.stderr, "qwac.key does not belong") {
		t.Fatalf("file value not used: exit %d %s", r.code, r.stderr)
	}
	r = xs2a(t, dir, "", []string{"XS2A_QSEAL_KEY=" + fixture("qseal.key")}, args...)
	if r.code != 0 {
		t.Fatalf("environment did not override the file: exit %d %s", r.code, r.stderr)
	}
	if !regexp.MustCompile(`"key_id": "SN=[0-9]+,CA=`).MatchString(r.stdout) {
		t.Errorf("profile signing.serial_form=decimal not applied:\n%s", r.stdout)
	}
	r = xs2a(t, dir, "", []string{"XS2A_QSEAL_KEY=" + fixture("qseal.key")}, append(args, "--key", fixture("qwac.key"))...)
	if r.code != 5 {
		t.Errorf("flag did not beat the environment: exit %d", r.code)
	}
	r = xs2a(t, dir, "", []string{"XS2A_PROFILE=other"}, args...)
	// -o json: the error is the JSON object, its message JSON-quoted.
	if r.code != 2 || !strings.Contains(r.stderr, `profile \"other\" is not defined`) {
		t.Errorf("XS2A_PROFILE not honoured: exit %d %s", r.code, r.stderr)
	}
}

func TestCertsThroughTheBinary(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "cfg", "config.yaml")
	r := xs2a(t, dir, "", nil, "--config", cfg, "certs", "generate", "--dir", "set", "--roles", "PSP_AI,PSP_PI", "--write-profile", "sandbox")
	if r.code != 0 {
		t.Fatalf("generate: exit %d %s", r.code, r.stderr)
	}
	for _, name := range []string{"ca", "qwac", "qseal", "server"} {
		st, err := os.Stat(filepath.Join(dir, "set", name+".key"))
		if err != nil || st.Mode().Perm() != 0o600 {
			t.Errorf("%s.key: %v mode %v; want 0600", name, err, st.Mode().Perm())
		}
	}
	before, _ := os.ReadFile(filepath.Join(dir, "set", "qseal.pem"))
	r = xs2a(t, dir, "", nil, "certs", "generate", "--dir", "set")
	if r.code != 2 || !strings.Contains(r.stderr, "already holds ca.pem") || !strings.Contains(r.stderr, "--force") {
		t.Errorf("second generate: exit %d %q", r.code, r.stderr)
	}
	after, _ := os.ReadFile(filepath.Join(dir, "set", "qseal.pem"))
	if !bytes.Equal(before, after) {
		t.Error("a refused generate changed qseal.pem")
	}
	entries, _ := os.ReadDir(filepath.Join(dir, "set"))
	if len(entries) != 8 {
		t.Errorf("set has %d files; want 8 (a temp file left?)", len(entries))
	}

	// The written profile is enough to sign: no --key or --cert.
	r = xs2a(t, dir, "", nil, "--config", cfg, "--profile", "sandbox", "sign", "--url", "https://127.0.0.1:8443/v1/accounts", "--format", "http")
	if r.code != 0 {
		t.Fatalf("sign with the written profile: exit %d %s", r.code, r.stderr)
	}
	v := xs2a(t, dir, r.stdout, nil, "sign", "verify", "-")
	if v.code != 0 {
		t.Errorf("verify: exit %d\n%s", v.code, v.stdout)
	}

	r = xs2a(t, dir, "", nil, "certs", "inspect", "set/qseal.pem", "--key", "set/qseal.key", "-o", "json")
	var docs []struct {
		OrganizationIdentifier string `json:"organization_identifier"`
		KeyMatches             *bool  `json:"key_matches"`
		QCStatements           struct {
			Types []string `json:"qc_types"`
			PSD2  struct{ Roles []struct{ Name string } }
		} `json:"qc_statements"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &docs); err != nil || len(docs) != 1 {
		t.Fatalf("inspect json: %v %s", err, r.stdout)
	}
	d := docs[0]
	if d.OrganizationIdentifier != "PSDFI-FINFSA-1234567-8" || d.KeyMatches == nil || !*d.KeyMatches ||
		len(d.QCStatements.Types) != 1 || d.QCStatements.Types[0] != "eseal" || len(d.QCStatements.PSD2.Roles) != 2 {
		t.Errorf("inspect = %+v", d)
	}
	r = xs2a(t, dir, "", nil, "certs", "inspect", "set/qseal.pem", "--key", "set/qwac.key")
	if r.code != 5 || !strings.Contains(r.stdout, "does NOT match") {
		t.Errorf("inspect with the wrong key: exit %d\n%s", r.code, r.stdout)
	}
	r = xs2a(t, dir, "", nil, "certs", "inspect", fixture("expired.pem"))
	if r.code != 5 || !strings.Contains(r.stdout, "EXPIRED") || !strings.Contains(r.stderr, "is not valid at") {
		t.Errorf("inspect of an expired certificate: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}

	r = xs2a(t, dir, "", nil, "certs", "check", "--qwac", "set/qwac.pem", "--qseal", "set/qseal.pem", "--ca", "set/ca.pem",
		"--qwac-key", "set/qwac.key", "--qseal-key", "set/qseal.key", "--for", "pis")
	if r.code != 0 || !strings.Contains(r.stdout, "ready for PIS") {
		t.Errorf("check: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = xs2a(t, dir, "", nil, "certs", "check", "--qwac", "set/qseal.pem", "--qseal", "set/qwac.pem", "--ca", "set/ca.pem")
	if r.code != 5 {
		t.Errorf("swapped check: exit %d; want 5", r.code)
	}
	for _, want := range []string{"qwac: QcType is eseal; a QWAC must be web", "qseal: QcType is web; a QSealC must be eseal"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("check output lacks %q:\n%s", want, r.stdout)
		}
	}

	for _, bad := range []struct{ file, want string }{
		{fixture("weak-qwac.pem"), "qwac: RSA key of 1024 bits; at least 2048 are required (CERTIFICATE_INVALID)"},
		{fixture("ec-qwac.pem"), "qwac: EC key; the Berlin Group profile needs RSA (CERTIFICATE_INVALID)"},
	} {
		r = xs2a(t, dir, "", nil, "certs", "check", "--qwac", bad.file, "--qseal", fixture("qseal.pem"), "--ca", fixture("ca.pem"))
		if r.code != 5 || !strings.Contains(r.stdout, bad.want) || strings.Count(r.stdout, "\n") != 1 {
			t.Errorf("check %s: exit %d; want 5 and exactly the line %q:\n%s", bad.file, r.code, bad.want, r.stdout)
		}
	}
	r = xs2a(t, dir, "", nil, "certs", "inspect", fixture("weak-qwac.pem"))
	if r.code != 0 || !strings.Contains(r.stdout, "RSA key of 1024 bits: banks require at least 2048") {
		t.Errorf("inspect of a 1024-bit certificate: exit %d\n%s", r.code, r.stdout)
	}
	r = xs2a(t, dir, "", nil, "certs", "inspect", fixture("qseal.pem"), "--key", fixture("ec.key"))
	if r.code != 5 || !strings.Contains(r.stderr, "holds an EC key") {
		t.Errorf("inspect --key with an EC key: exit %d %s", r.code, r.stderr)
	}

	r = xs2a(t, dir, "", nil, "certs", "sign-challenge", "--key", "set/qseal.key", "--challenge", "portal-challenge-42")
	sig := strings.TrimSpace(r.stdout)
	if r.code != 0 || len(sig) < 300 {
		t.Fatalf("sign-challenge: exit %d %q", r.code, r.stdout)
	}
	r = xs2a(t, dir, "", nil, "certs", "sign-challenge", "--cert", "set/qseal.pem", "--challenge", "portal-challenge-42", "--verify", sig)
	if r.code != 0 {
		t.Errorf("verify own challenge signature: exit %d %s", r.code, r.stderr)
	}
	r = xs2a(t, dir, "", nil, "certs", "sign-challenge", "--cert", "set/qseal.pem", "--challenge", "portal-challenge-43", "--verify", sig)
	if r.code != 6 {
		t.Errorf("verify with another challenge: exit %d; want 6", r.code)
	}
}

func TestExampleConfigLoads(t *testing.T) {
	example, err := filepath.Abs(filepath.Join("..", "..", "configs", "xs2a.example.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"local", "sandbox", "live", "adorsys-style"} {
		r := xs2a(t, t.TempDir(), "", nil, "--config", example, "--profile", p, "version", "-o", "json")
		if r.code != 0 || !json.Valid([]byte(r.stdout)) {
			t.Errorf("profile %s of the example config: exit %d %s", p, r.code, r.stderr)
		}
	}
	// The example's adorsys profile selects lower-hex serials: prove it reaches the signer.
	r := xs2a(t, t.TempDir(), "", []string{"XS2A_QSEAL_CERT=" + fixture("qseal.pem"), "XS2A_QSEAL_KEY=" + fixture("qseal.key")},
		"--config", example, "--profile", "adorsys-style", "sign", "--url", "https://x.example/v1/accounts", "-o", "json")
	ins := xs2a(t, t.TempDir(), "", nil, "certs", "inspect", fixture("qseal.pem"), "-o", "json")
	var docs []struct{ Serial map[string]string }
	if err := json.Unmarshal([]byte(ins.stdout), &docs); err != nil || len(docs) != 1 {
		t.Fatalf("inspect: %v", err)
	}
	want := `"key_id": "SN=` + docs[0].Serial["lower-hex"] + `,CA=CN=xs2a%20Test`
	if r.code != 0 || !strings.Contains(r.stdout, want) {
		t.Errorf("adorsys-style profile: exit %d, want %s in\n%s%s", r.code, want, r.stdout, r.stderr)
	}
}

func TestVersionAndCompletions(t *testing.T) {
	dir := t.TempDir()
	r := xs2a(t, dir, "", nil, "version", "-o", "json")
	var v map[string]string
	if err := json.Unmarshal([]byte(r.stdout), &v); err != nil || v["version"] == "" || !strings.HasPrefix(v["go"], "go") {
		t.Errorf("version json: %v %q", err, r.stdout)
	}
	for _, sh := range []string{"bash", "zsh", "fish", "powershell"} {
		r := xs2a(t, dir, "", nil, "completion", sh)
		if r.code != 0 || !strings.Contains(r.stdout, "xs2a") {
			t.Errorf("completion %s: exit %d", sh, r.code)
		}
	}
	// The committed completions are the generated ones.
	committed, err := os.ReadFile(filepath.Join("..", "..", "completions", "xs2a.bash"))
	if err != nil {
		t.Fatalf("completions/xs2a.bash: %v (run make completions)", err)
	}
	r = xs2a(t, dir, "", nil, "completion", "bash")
	if string(committed) != r.stdout {
		t.Error("completions/xs2a.bash is stale: run make completions")
	}
}

func TestSandboxServeBadInput(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "apps.yaml"), []byte("name: [unclosed\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "dup.yaml"), []byte("- {name: a, client_id: sandbox-client, organization_id: PSDFI-FINFSA-1}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "partial"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "partial", "ca.pem"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	base := []string{"sandbox", "serve", "--addr", "127.0.0.1:0", "--auth-addr", "127.0.0.1:0", "--certs", fixture("")}
	for _, tt := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"apps not YAML", []string{"--apps", "apps.yaml"}, 2, "apps.yaml: not a YAML list of apps"},
		{"app clashing with the default", []string{"--apps", "dup.yaml"}, 2, `client_id "sandbox-client" is registered twice`},
		{"missing trust file", []string{"--trust", "nope.pem"}, 2, "nope.pem: no such file"},
		{"zero rate", []string{"--rate", "0"}, 2, "--rate and --daily-limit must be positive"},
		{"auto-approve as no customer", []string{"--auto-approve-as", "9999999"}, 2, `--auto-approve-as "9999999": not a test customer (1345611, 2000001, 3000001, 4000001, 5000001)`},
		{"incomplete certs dir", []string{"--certs", "partial"}, 2, "partial holds an incomplete certificate set: ca.key, qwac.pem"},
		{"API beyond loopback", []string{"--addr", "0.0.0.0:0"}, 2, `--addr "0.0.0.0:0" is not a loopback address: the sandbox's API, its PSU sign-in pages and its ` + "`sandbox why`" + ` records would serve anyone who reaches it; use 127.0.0.1 or [::1], or give --allow-remote`},
		{"pages beyond loopback", []string{"--auth-addr", "0.0.0.0:0"}, 2, `--auth-addr "0.0.0.0:0" is not a loopback address`}, // ":8444" is 127.0.0.1:8444
		{"a name, not an address", []string{"--addr", "localhost:0"}, 2, `--addr "localhost:0" is not a loopback address`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := xs2a(t, dir, "", nil, append(base, tt.args...)...)
			if r.code != tt.code || !strings.Contains(r.stderr, tt.want) || strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 {
				t.Errorf("exit %d; want %d and one line with %q; stderr:\n%s", r.code, tt.code, tt.want, r.stderr)
			}
		})
	}
}

func TestSandboxServeThroughTheBinary(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config.yaml")
	env := []string{"HOME=" + dir}
	p := startProc(t, "", env, "--config", cfg, "sandbox", "serve", "--addr", "127.0.0.1:0", "--auth-addr", "127.0.0.1:0",
		"--certs", filepath.Join(dir, "certs"), "--write-profile", "sb", "--auto-approve", "--daily-limit", "250", "-o", "json")
	var info serveInfo
	p.waitJSON(&info)
	if !strings.HasPrefix(info["api_url"], "https://127.0.0.1:") || !strings.HasPrefix(info["auth_url"], "https://127.0.0.1:") {
		t.Errorf("urls: %v", info)
	}
	if info["client_secret"] != "" || info["client_secret_masked"] != "true" {
		t.Errorf("client secret without --show-secrets: %q (masked %q); want null and client_secret_masked true", info["client_secret"], info["client_secret_masked"])
	}
	// The written profile is enough to sign for the sandbox: the curl line
	// carries its QWAC.
	r := xs2a(t, dir, "", nil, "--config", cfg, "--profile", "sb", "sign", "--url", info["api_url"]+"/v1/card-accounts",
		"--format", "curl")
	if r.code != 0 || !strings.Contains(r.stdout, "--cert '"+filepath.Join(dir, "certs", "qwac.pem")+"'") {
		t.Fatalf("sign with the sandbox profile: exit %d %s %s", r.code, r.stdout, r.stderr)
	}
	b, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Stat(cfg); st.Mode().Perm() != 0o600 {
		t.Errorf("config with the client secret has mode %v", st.Mode().Perm())
	}
	for _, want := range []string{"base_url: " + info["api_url"], "client_id: sandbox-client", "client_secret: sandbox-secret-", "api_key_header: X-API-Key",
		// The client's budget counts against the limits this bank enforces.
		"budget:\n      rate_per_second: 5\n      daily_limit: 250\n      timezone: Europe/Helsinki\n"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("profile lacks %q:\n%s", want, b)
		}
	}
	// Ctrl-C stops it cleanly.
	if code := p.stop(); code != 0 {
		t.Errorf("serve after SIGINT: exit %d\n%s", code, p.stderr)
	}
	if !strings.Contains(p.stderr.String(), "stopping") {
		t.Errorf("stderr: %s", p.stderr)
	}

	// A second run reuses the certificates instead of generating new ones.
	before, _ := os.ReadFile(filepath.Join(dir, "certs", "qseal.pem"))
	p2 := startProc(t, "", env, "--config", cfg, "sandbox", "serve", "--addr", "127.0.0.1:0", "--auth-addr", "127.0.0.1:0", "--certs", filepath.Join(dir, "certs"))
	p2.waitLine("^serving;") // after the banner on stdout
	p2.stop()
	after, _ := os.ReadFile(filepath.Join(dir, "certs", "qseal.pem"))
	if !bytes.Equal(before, after) || strings.Contains(p2.stdout.String(), "generated now") {
		t.Errorf("second run regenerated the certificates:\n%s", p2.stdout)
	}
}
