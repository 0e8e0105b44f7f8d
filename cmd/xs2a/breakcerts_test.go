package main_test

// certs generate --break through the built binary: the list, every defect
// written as generate writes a set, named by certs check, and refused by the
// emulated bank when a profile uses the broken files.

import (
	"crypto/x509"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/xs2a-dev/xs2a/pkg/pemfile"
	"github.com/xs2a-dev/xs2a/pkg/qcert"
	"github.com/xs2a-dev/xs2a/pkg/sandbox"
)

// breakCheckSays is what a `certs check` line says for each defect (the
// QWAC's line or the QSealC's).
var breakCheckSays = map[string]string{
	"expired":              `expired on \d{4}-\d\d-\d\d`,
	"not-yet-valid":        `not valid before \d{4}-\d\d-\d\dT`,
	"no-qcstatements":      `no qcStatements extension`,
	"psd2-unwrapped":       `PSD2 statement fields are not wrapped in a SEQUENCE`,
	"no-qctype":            `no QcType statement`,
	"web-qctype-on-seal":   `QcType is web; a QSealC must be eseal`,
	"no-psp-ai":            `roles PSP_PI do not include PSP_AI`,
	"no-org-id":            `no organizationIdentifier`,
	"wrong-key-usage":      `keyUsage (lacks digitalSignature|has neither digitalSignature nor nonRepudiation)`,
	"no-client-auth":       `extended key usage lacks clientAuth`,
	"rsa-1024":             `RSA key of 1024 bits`,
	"self-signed":          `self-signed`,
	"missing-intermediate": `missing intermediate`,
	"ca-as-leaf":           `a CA certificate \(basicConstraints CA:TRUE, keyUsage keyCertSign\)`,
}

// breakBankSays is what the bank's refusal names, for the defect in the
// QWAC (the first certificate a request meets) or, for a QSealC-only
// defect, in the QSealC.
var breakBankSays = map[string]string{
	"expired":              "expired on",
	"not-yet-valid":        "is not valid before",
	"no-qcstatements":      "has no qcStatements extension",
	"psd2-unwrapped":       "not wrapped in a SEQUENCE",
	"no-qctype":            "has no QcType statement",
	"web-qctype-on-seal":   "QSealC has QcType [web]; expected eseal",
	"no-psp-ai":            "do not include PSP_AI",
	"no-org-id":            "has no organizationIdentifier",
	"wrong-key-usage":      "key usage lacks digitalSignature",
	"no-client-auth":       "lacks clientAuth",
	"rsa-1024":             "1024-bit RSA key",
	"self-signed":          "is self-signed",
	"missing-intermediate": "the intermediate is missing",
	"ca-as-leaf":           "is a CA certificate",
}

func TestCertsBreakList(t *testing.T) {
	dir := t.TempDir()
	r := xs2a(t, dir, "", nil, "certs", "generate", "--break", "list")
	if r.code != 0 {
		t.Fatalf("--break list: exit %d %s", r.code, r.stderr)
	}
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if len(lines) != 1+len(breakCheckSays) || !regexp.MustCompile(`^DEFECT +CERTIFICATE +BANK ANSWERS +WHAT IS WRONG$`).MatchString(lines[0]) {
		t.Errorf("--break list:\n%s", r.stdout)
	}
	if !regexp.MustCompile(`(?m)^missing-intermediate +qwac +CERTIFICATE_INVALID +issued by an intermediate CA`).MatchString(r.stdout) ||
		!regexp.MustCompile(`(?m)^expired +both +CERTIFICATE_EXPIRED +validity ended`).MatchString(r.stdout) {
		t.Errorf("--break list rows:\n%s", r.stdout)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("--break list wrote %d files", len(entries))
	}

	r = xs2a(t, dir, "", nil, "certs", "generate", "--break", "list", "-o", "json")
	var list []qcert.Defect
	if err := json.Unmarshal([]byte(r.stdout), &list); err != nil || len(list) != len(breakCheckSays) {
		t.Fatalf("--break list -o json: %v\n%s", err, r.stdout)
	}
	for _, d := range list {
		if _, ok := breakCheckSays[d.Name]; !ok || d.What == "" || d.Code == "" || d.Certs == "" {
			t.Errorf("listed defect %+v", d)
		}
	}

	r = xs2a(t, dir, "", nil, "certs", "generate", "--break", "expird")
	oneErrorLine(t, "unknown defect", r, 2, `unknown defect "expird"`, "expired, not-yet-valid", "missing-intermediate")
}

// TestCertsBreakThroughTheBinary: every defect written by generate --break,
// named by certs check with the bank's code, and refused by the emulated
// bank with that code when a profile uses the files.
func TestCertsBreakThroughTheBinary(t *testing.T) {
	dir := t.TempDir()
	type broken struct {
		d   qcert.Defect
		dir string
	}
	var sets []broken
	var cas []*x509.Certificate
	for _, d := range qcert.Defects {
		set := filepath.Join(dir, d.Name)
		r := xs2a(t, dir, "", nil, "certs", "generate", "--dir", set, "--break", d.Name, "-o", "json")
		if r.code != 0 {
			t.Fatalf("generate --break %s: exit %d %s", d.Name, r.code, r.stderr)
		}
		var out struct {
			Files map[string]string
			Break struct {
				Name, Code string
				Files      []string
			}
		}
		if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
			t.Fatalf("generate --break %s -o json: %v\n%s", d.Name, err, r.stdout)
		}
		var want []string
		for _, c := range []string{"qwac", "qseal"} {
			if d.Applies(c) {
				want = append(want, filepath.Join(set, c+".pem"))
			}
		}
		if out.Break.Name != d.Name || out.Break.Code != d.Code || !slices.Equal(out.Break.Files, want) {
			t.Errorf("generate --break %s -o json: break = %+v; want files %v", d.Name, out.Break, want)
		}
		for _, k := range []string{"ca", "qwac", "qseal", "server"} {
			st, err := os.Stat(filepath.Join(set, k+".key"))
			if err != nil || st.Mode().Perm() != 0o600 {
				t.Errorf("%s/%s.key: %v; want mode 0600", d.Name, k, err)
			}
		}
		ca, err := pemfile.ReadCertificate(filepath.Join(set, "ca.pem"))
		if err != nil {
			t.Fatal(err)
		}
		cas = append(cas, ca)
		sets = append(sets, broken{d, set})
	}

	t.Run("human output names the file", func(t *testing.T) {
		r := xs2a(t, dir, "", nil, "certs", "generate", "--dir", "h", "--break", "web-qctype-on-seal")
		if r.code != 0 || !strings.Contains(r.stdout, "broken on purpose, web-qctype-on-seal in h/qseal.pem: QcType web") ||
			!strings.Contains(r.stdout, "a bank answers CERTIFICATE_INVALID") {
			t.Errorf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
		r = xs2a(t, dir, "", nil, "certs", "generate", "--dir", "h", "--break", "expired")
		oneErrorLine(t, "second generate without --force", r, 2, "already holds ca.pem", "--force")
		if r := xs2a(t, dir, "", nil, "certs", "generate", "--dir", "h", "--break", "expired", "--force"); r.code != 0 {
			t.Errorf("--force: exit %d %s", r.code, r.stderr)
		}
	})

	for _, b := range sets {
		t.Run("check/"+b.d.Name, func(t *testing.T) {
			f := func(n string) string { return filepath.Join(b.dir, n) }
			r := xs2a(t, dir, "", nil, "certs", "check", "--qwac", f("qwac.pem"), "--qseal", f("qseal.pem"), "--ca", f("ca.pem"),
				"--qwac-key", f("qwac.key"), "--qseal-key", f("qseal.key"))
			if r.code != 5 {
				t.Errorf("exit %d; want 5\n%s%s", r.code, r.stdout, r.stderr)
			}
			line := regexp.MustCompile(`^✗ (qwac|qseal): .*(` + breakCheckSays[b.d.Name] + `).* \(` + b.d.Code + `\)$`)
			var certs []string
			for _, l := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
				m := line.FindStringSubmatch(l)
				if m == nil {
					t.Errorf("line %q does not name %s with %s", l, b.d.Name, b.d.Code)
					continue
				}
				certs = append(certs, m[1])
			}
			want := []string{"qwac", "qseal"}
			if b.d.Certs != "both" {
				want = []string{b.d.Certs}
			}
			if !slices.Equal(certs, want) {
				t.Errorf("problems on %v; want %v\n%s", certs, want, r.stdout)
			}
			if b.d.Name == qcert.DefectMissingIntermediate {
				// Mended by appending the intermediate, as a QTSP's bundle would be.
				qwac, _ := os.ReadFile(f("qwac.pem"))
				inter, _ := os.ReadFile(f("intermediate.pem"))
				if err := os.WriteFile(f("mended.pem"), append(qwac, inter...), 0o600); err != nil {
					t.Fatal(err)
				}
				r := xs2a(t, dir, "", nil, "certs", "check", "--qwac", f("mended.pem"), "--qseal", f("qseal.pem"), "--ca", f("ca.pem"))
				if r.code != 0 || !strings.Contains(r.stdout, "ready for AIS") {
					t.Errorf("with the intermediate appended: exit %d\n%s", r.code, r.stdout)
				}
			}
		})
	}

	// Each broken set has a CA of its own, which makes its QWAC another TPP
	// than the sandbox's default one: each gets an app of its own.
	var apps []sandbox.App
	for _, s := range sets {
		apps = append(apps, sandbox.App{Name: s.d.Name, ClientID: "broken-" + s.d.Name, ClientSecret: "secret-" + s.d.Name,
			APIKey: "key-" + s.d.Name, OrganizationID: qcert.DefaultOrg.OrganizationIdentifier()})
	}
	b := startBank(t, sandbox.Options{Trust: cas, RatePerSecond: -1, Apps: apps})
	for i, s := range sets {
		t.Run("bank/"+s.d.Name, func(t *testing.T) {
			f := func(n string) string { return filepath.Join(s.dir, n) }
			u := newUser(t, b, map[string]string{"qwac_cert": f("qwac.pem"), "qwac_key": f("qwac.key"),
				"qseal_cert": f("qseal.pem"), "qseal_key": f("qseal.key"),
				"client_id": apps[i].ClientID, "client_secret": apps[i].ClientSecret, "api_key": apps[i].APIKey})
			// A client token needs only the QWAC; the signed call needs both.
			r := u.run("api", "POST", "/consents", "--token", "client", "--body",
				`{"access":{"allPsd2":"allAccounts"},"recurringIndicator":true,"validUntil":"2099-12-31","frequencyPerDay":4,"combinedServiceIndicator":false}`)
			if r.code == 0 {
				t.Fatalf("the bank accepted %s:\n%s", s.d.Name, r.stdout)
			}
			all := r.stdout + r.stderr
			t.Logf("exit %d: %s", r.code, strings.TrimSpace(r.stderr))
			if !strings.Contains(all, s.d.Code) || !strings.Contains(all, breakBankSays[s.d.Name]) {
				t.Errorf("exit %d; want %s and %q\nstdout: %s\nstderr: %s", r.code, s.d.Code, breakBankSays[s.d.Name], r.stdout, r.stderr)
			}
		})
	}
}
