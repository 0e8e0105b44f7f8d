package profile

import (
	"errors"
	"strings"
	"testing"
)

func TestCheckFile(t *testing.T) {
	for _, tc := range []struct {
		name, yaml string
		line       int    // 0: no error
		want       string // in the message
	}{
		{"valid", "profile: a\noutput: json\nprofiles:\n  a:\n    base_url: https://x\n    registered_redirect_uris:\n      - http://127.0.0.1/cb\n    signing:\n      keyid_form: adorsys\n    budget:\n      strict: true\n", 0, ""},
		{"empty", "", 0, ""},
		{"anchors", "x-common: &c\n  client_id: abc\nprofiles:\n  a:\n    <<: *c\n    base_url: https://x\n", 0, ""},
		{"alias", "profiles:\n  a: &a\n    base_url: https://x\n    signing: &s\n      digest: SHA-256\n  b: *a\n  c:\n    signing: *s\n", 0, ""},
		{"qwac", "profiles:\n  a:\n    base_url: https://x\n    qwac: q.pem\n", 4, `unknown key "qwac" in profile "a"; did you mean qwac_cert or qwac_key?`},
		{"client secret typo", "profiles:\n  a:\n    client_secert: s\n", 3, "did you mean client_secret?"},
		{"global typo", "ouptut: json\n", 1, "did you mean output?"},
		{"nested typo", "profiles:\n  a:\n    signing:\n      algoritm: rsa-sha256\n", 4, `under signing: in profile "a"; did you mean algorithm?`},
		{"leaf at profile level", "profiles:\n  a:\n    keyid_form: adorsys\n", 3, "did you mean signing.keyid_form?"},
		{"dotted", "profiles:\n  a:\n    signing.keyid_form: adorsys\n", 3, "write it nested"},
		{"profile key at top", "base_url: https://x\n", 1, "is a profile key"},
		{"global in profile", "profiles:\n  a:\n    output: json\n", 3, "is a global key"},
		{"nothing close", "profiles:\n  a:\n    zzzzzzzz: 1\n", 3, "known keys: base_url"},
		{"list where a value is", "profiles:\n  a:\n    base_url:\n      - https://x\n", 4, "must be a single value"},
		// yaml v3 (viper) reports line 3, where the mapping starts.
		{"bad indent", "profile: a\nprofiles:\n  a:\n    base_url: https://x\n    client_id: c\n   qwac_cert: q.pem\n", 6, "not valid YAML: did not find expected key"},
		{"unclosed quote", "profiles:\n  a:\n    client_id: \"abc\n", 4, "from line 3"},
	} {
		err := CheckFile([]byte(tc.yaml))
		if tc.line == 0 {
			if err != nil {
				t.Errorf("%s: %v", tc.name, err)
			}
			continue
		}
		var fe *FileError
		if !errors.As(err, &fe) {
			t.Errorf("%s: error %v; want a *FileError", tc.name, err)
			continue
		}
		if fe.Line != tc.line || !strings.Contains(fe.Error(), tc.want) {
			t.Errorf("%s: %q (line %d); want line %d and %q", tc.name, fe.Error(), fe.Line, tc.line, tc.want)
		}
	}
}

func TestScope(t *testing.T) {
	var p Profile
	for kind, want := range map[string]string{ScopeAIS: "AIS:x-1", ScopePIS: "PIS:x-1", ScopePIIS: "PIIS:x-1"} {
		if got, err := p.Scope(kind, "x-1"); err != nil || got != want {
			t.Errorf("default %s scope: %q %v, want %q", kind, got, err, want)
		}
	}
	if err := p.Set("scopes.pis", "PIS[{paymentId}]"); err != nil {
		t.Fatal(err)
	}
	if got, _ := p.Scope(ScopePIS, "p-7"); got != "PIS[p-7]" {
		t.Errorf("scopes.pis PIS[{paymentId}]: %q", got)
	}
	if got, _ := p.Scope(ScopeAIS, "c-1"); got != "AIS:c-1" {
		t.Errorf("AIS scope changed by scopes.pis: %q", got)
	}
	for key, v := range map[string]string{"scopes.pis": "PIS:{consentId}", "scopes.ais": "AIS:", "scopes.piis": "PIIS:{paymentId}"} {
		if err := p.Set(key, v); err == nil || !strings.Contains(err.Error(), "does not contain") {
			t.Errorf("Set(%s, %q): %v, want a refusal naming the placeholder", key, v, err)
		}
	}
}

// TestScopeRefusesAnIDItCannotHold: a scope token is printable ASCII
// without spaces, quotes or backslashes (RFC 6749 §3.3); an id with a
// space would add a scope to what the PSU is asked for. Every caller of
// Scope gets the refusal, naming the kind and the character.
func TestScopeRefusesAnIDItCannotHold(t *testing.T) {
	var p Profile
	for _, tc := range []struct{ kind, id, want string }{
		{ScopePIS, "pay-1 AIS:cns-9", `payment pay-1 AIS:cns-9 cannot go in the OAuth scope: it holds ' '`},
		{ScopePIIS, `c"1`, `funds confirmation consent c"1 cannot go in the OAuth scope: it holds '"'`},
		{ScopeAIS, "päy", `consent päy cannot go in the OAuth scope: it holds 'ä'`},
		{ScopeAIS, `a\b`, `it holds '\\'`},
		{ScopePIS, "p\x1b[2J", `it holds '\x1b'`},
	} {
		got, err := p.Scope(tc.kind, tc.id)
		var ide *ScopeIDError
		if got != "" || !errors.As(err, &ide) || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "RFC 6749") {
			t.Errorf("Scope(%s, %q) = %q, %v; want a refusal with %q", tc.kind, tc.id, got, err, tc.want)
		}
		if strings.ContainsRune(err.Error(), 0x1b) {
			t.Errorf("Scope(%s, %q): the error carries the raw escape: %q", tc.kind, tc.id, err)
		}
	}
}
