package main_test

import (
	"encoding/pem"
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestVerifyNamesPEMArmouredCertificateHeader: a TPP-Signature-Certificate
// pasted with its PEM armour, folded over lines as a PEM file has them, is
// read (the leaf verifies) and named, with the bank's rule as the fix.
func TestVerifyNamesPEMArmouredCertificateHeader(t *testing.T) {
	dir := t.TempDir()
	s := xs2a(t, dir, "", nil, "sign", "--key", fixture("qseal.key"), "--cert", fixture("qseal.pem"), "-X", "POST",
		"--url", "https://bank.example/v1/consents", "-d", `{"access":{"allPsd2":"allAccounts"}}`, "--format", "http")
	if s.code != 0 {
		t.Fatal(s.stderr)
	}
	pemText, err := os.ReadFile(fixture("qseal.pem"))
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := pem.Decode(pemText); b == nil {
		t.Fatal("qseal.pem is not PEM")
	}
	// obs-fold: every PEM line after the first is a continuation line.
	folded := strings.ReplaceAll(strings.TrimSpace(string(pemText)), "\n", "\r\n ")
	armoured := regexp.MustCompile(`TPP-Signature-Certificate: [^\r]*`).ReplaceAllLiteralString(s.stdout, "TPP-Signature-Certificate: "+folded)
	if armoured == s.stdout {
		t.Fatal("no TPP-Signature-Certificate in the signed message")
	}
	// Enfuce (the default bank) refuses the armour, as its page says;
	// lenient reads the certificate and names the form in a warning.
	v := xs2a(t, dir, armoured, nil, "sign", "verify", "-")
	if v.code != 6 || !strings.Contains(v.stdout, "INVALID for enfuce") {
		t.Fatalf("verify for enfuce: exit %d\n%s%s", v.code, v.stdout, v.stderr)
	}
	for _, want := range []string{"✗ TPP-Signature-Certificate form", "got:      pem-armoured", "this bank accepts only base64-der", "✓ signature verifies"} {
		if !strings.Contains(v.stdout, want) {
			t.Errorf("enfuce's report lacks %q:\n%s", want, v.stdout)
		}
	}
	v = xs2a(t, dir, armoured, nil, "sign", "verify", "-", "--bank", "lenient")
	if v.code != 0 || !strings.Contains(v.stdout, "VALID for lenient") {
		t.Fatalf("verify for lenient: exit %d\n%s%s", v.code, v.stdout, v.stderr)
	}
	for _, want := range []string{"TPP-Signature-Certificate form", "got:      pem-armoured", "without the enclosing -----BEGIN CERTIFICATE-----", "✓ signature verifies"} {
		if !strings.Contains(v.stdout, want) {
			t.Errorf("lenient's report lacks %q:\n%s", want, v.stdout)
		}
	}
	// The standard form: a passing check for the bank that has a rule,
	// nothing said where any form is read.
	v = xs2a(t, dir, s.stdout, nil, "sign", "verify", "-")
	if v.code != 0 || !strings.Contains(v.stdout, "✓ TPP-Signature-Certificate form: base64-der") {
		t.Errorf("standard form for enfuce: exit %d\n%s", v.code, v.stdout)
	}
	v = xs2a(t, dir, s.stdout, nil, "sign", "verify", "-", "--bank", "lenient")
	if v.code != 0 || strings.Contains(v.stdout, "TPP-Signature-Certificate form") {
		t.Errorf("standard form for lenient: exit %d\n%s", v.code, v.stdout)
	}
}
