package cmdutil

import (
	"testing"
	"unicode/utf8"
)

func TestMask(t *testing.T) {
	for _, c := range []struct {
		secret string
		show   bool
		want   string
	}{
		{"", false, ""},
		{"s3cr3t-value-42", true, "s3cr3t-value-42"},
		{"12345678", false, "****"},
		{"s3cr3t-value-42", false, "s3cr…(15 chars, --show-secrets to see)"},
		// Characters, not bytes: eight two-byte characters are short, and
		// the four shown are whole.
		{"éééééééé", false, "****"},
		{"aéééééééé", false, "aééé…(9 chars, --show-secrets to see)"},
	} {
		got := Mask(c.secret, c.show)
		if got != c.want {
			t.Errorf("Mask(%q, %v) = %q, want %q", c.secret, c.show, got, c.want)
		}
		if !utf8.ValidString(got) {
			t.Errorf("Mask(%q, %v) = %q cuts a character", c.secret, c.show, got)
		}
	}
}

func TestMaskJSON(t *testing.T) {
	if v, m := MaskJSON("s3cr3t-value-42", false); v != nil || !m {
		t.Errorf("masked: %v, %v; want nil, true", v, m)
	}
	if v, m := MaskJSON("s3cr3t-value-42", true); v == nil || *v != "s3cr3t-value-42" || m {
		t.Errorf("shown: %v, %v; want the secret, false", v, m)
	}
	if v, m := MaskJSON("", false); v != nil || m {
		t.Errorf("none: %v, %v; want nil, false", v, m)
	}
	doc := map[string]any{}
	SecretJSON(doc, "code", "abcdefghij", false)
	if doc["code"].(*string) != nil || doc["code_masked"] != true {
		t.Errorf("SecretJSON: %v", doc)
	}
}
