package main_test

// The country and the NCA of `certs generate` (issue 18 item 11): --nca-id
// takes the nCAId form certs inspect prints and the bare form, --country
// alone takes its country's NCA, a mix is refused, and certs check flags a
// certificate whose country and NCA disagree. openssl reads the subject.

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xs2a-dev/xs2a/pkg/qcert"
)

// opensslSubject is the subject line of `openssl x509 -noout -subject`.
func opensslSubject(t *testing.T, path string) string {
	t.Helper()
	if _, err := exec.LookPath("openssl"); err != nil {
		t.Skip("no openssl on PATH")
	}
	out, err := exec.Command("openssl", "x509", "-in", path, "-noout", "-subject").CombinedOutput()
	if err != nil {
		t.Fatalf("openssl x509: %v\n%s", err, out)
	}
	return strings.TrimSpace(string(out))
}

func TestCertsGenerateNCAIDForms(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		args            []string
		subject, ncaOut string
	}{
		{[]string{"--nca-id", "FI-FINFSA"}, "C = FI, O = Example TPP Oy, CN = tpp.example, organizationIdentifier = PSDFI-FINFSA-1234567-8", "Finnish Financial Supervisory Authority (FI-FINFSA)"},
		{[]string{"--nca-id", "fi-finfsa"}, "organizationIdentifier = PSDFI-FINFSA-1234567-8", "(FI-FINFSA)"},
		{[]string{"--nca-id", "FINFSA"}, "organizationIdentifier = PSDFI-FINFSA-1234567-8", "(FI-FINFSA)"},
		{[]string{"--nca-id", "SE-FINA", "--org", "Acme AB"}, "C = SE, O = Acme AB, CN = tpp.example, organizationIdentifier = PSDSE-FINA-1234567-8", "Finansinspektionen (SE-FINA)"},
		// --country alone: its country's NCA, not the default Finnish one.
		{[]string{"--country", "SE"}, "C = SE, O = Example TPP Oy, CN = tpp.example, organizationIdentifier = PSDSE-FINA-1234567-8", "Finansinspektionen (SE-FINA)"},
		{[]string{"--country", "de", "--nca-id", "BAFIN"}, "C = DE,", "Federal Financial Supervisory Authority (DE-BAFIN)"},
		{[]string{"--country", "DE", "--nca-id", "XY1", "--nca-name", "Test NCA"}, "organizationIdentifier = PSDDE-XY1-1234567-8", "Test NCA (DE-XY1)"},
	} {
		d := filepath.Join(dir, strings.Join(c.args, "_"))
		r := xs2a(t, dir, "", nil, append([]string{"certs", "generate", "--dir", d}, c.args...)...)
		if r.code != 0 {
			t.Errorf("%v: exit %d: %s", c.args, r.code, r.stderr)
			continue
		}
		if s := opensslSubject(t, filepath.Join(d, "qwac.pem")); !strings.Contains(s, c.subject) {
			t.Errorf("%v: openssl subject %q, want %q", c.args, s, c.subject)
		}
		if in := xs2a(t, dir, "", nil, "certs", "inspect", filepath.Join(d, "qseal.pem")); !strings.Contains(in.stdout, "NCA:") || !strings.Contains(in.stdout, c.ncaOut) {
			t.Errorf("%v: certs inspect does not show NCA %q:\n%s", c.args, c.ncaOut, in.stdout)
		}
		if ck := xs2a(t, dir, "", nil, "certs", "check", "--qwac", filepath.Join(d, "qwac.pem"), "--qseal", filepath.Join(d, "qseal.pem"), "--ca", filepath.Join(d, "ca.pem")); ck.code != 0 {
			t.Errorf("%v: certs check: exit %d\n%s", c.args, ck.code, ck.stdout)
		}
	}
}

func TestCertsGenerateRefusesCountryNCAMix(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		args []string
		want []string
	}{
		{[]string{"--country", "SE", "--nca-id", "FINFSA"}, []string{"NCA FINFSA is FI's (FI-FINFSA), not SE's"}},
		{[]string{"--country", "FI", "--nca-id", "SE-FINA"}, []string{"--nca-id SE-FINA is an NCA of SE but --country is FI"}},
		{[]string{"--nca-id", "FINANSINSP"}, []string{`NCA id "FINANSINSP" is not 2 to 8 upper-case letters`, "SE-FINA"}},
		{[]string{"--country", "XX"}, []string{"--country XX: give --nca-id and --nca-name", "no default NCA is known for XX"}},
		{[]string{"--country", "DE", "--nca-id", "XY1"}, []string{"XY1 is not a known NCA: give its name with --nca-name"}},
	} {
		r := xs2a(t, dir, "", nil, append([]string{"certs", "generate", "--dir", filepath.Join(dir, "x")}, c.args...)...)
		oneErrorLine(t, strings.Join(c.args, " "), r, 2, c.want...)
	}
	if m, _ := filepath.Glob(filepath.Join(dir, "x", "*")); len(m) > 0 {
		t.Errorf("a refused generate wrote %v", m)
	}
}

// A set made before --country chose the NCA (Swedish TPP, Finnish NCA) is
// no longer called ready.
func TestCertsCheckFlagsCountryNCAMismatch(t *testing.T) {
	dir := t.TempDir()
	org := qcert.DefaultOrg
	org.Country = "SE"
	set, err := qcert.GenerateSet(qcert.Options{Org: org})
	if err != nil {
		t.Fatal(err)
	}
	if err := set.Write(dir, false); err != nil {
		t.Fatal(err)
	}
	if s := opensslSubject(t, filepath.Join(dir, "qwac.pem")); !strings.Contains(s, "C = SE") || !strings.Contains(s, "PSDSE-FINFSA") {
		t.Fatalf("fixture subject %q", s)
	}
	r := xs2a(t, dir, "", nil, "certs", "check", "--qwac", "qwac.pem", "--qseal", "qseal.pem", "--ca", "ca.pem")
	want := "NCA FINFSA is FI's (FI-FINFSA, Finnish Financial Supervisory Authority), not SE's"
	if r.code != 5 || strings.Count(r.stdout, want) != 2 || strings.Contains(r.stdout, "ready for") {
		t.Errorf("certs check: exit %d, want 5 with %q for both certificates\n%s", r.code, want, r.stdout)
	}
}

// --break no-psp-ai's headline lists the roles written, not those asked for.
func TestCertsGenerateBreakHeadlineRoles(t *testing.T) {
	dir := t.TempDir()
	r := xs2a(t, dir, "", nil, "certs", "generate", "--dir", "broken", "--break", "no-psp-ai", "--roles", "PSP_AI,PSP_PI,PSP_IC")
	head, _, _ := strings.Cut(r.stdout, "\n")
	if r.code != 0 || !strings.Contains(head, "roles PSP_PI,PSP_IC,") || strings.Contains(head, "PSP_AI") {
		t.Errorf("headline %q (exit %d)", head, r.code)
	}
	in := xs2a(t, dir, "", nil, "certs", "inspect", "broken/qwac.pem")
	if strings.Contains(in.stdout, "PSP_AI") || !strings.Contains(in.stdout, "PSP_IC") {
		t.Errorf("the QWAC's roles are not what the headline says:\n%s", in.stdout)
	}
	r = xs2a(t, dir, "", nil, "certs", "generate", "--dir", "noqc", "--break", "no-qcstatements")
	if head, _, _ := strings.Cut(r.stdout, "\n"); !strings.Contains(head, "no PSD2 roles") {
		t.Errorf("no-qcstatements headline %q", head)
	}
}
