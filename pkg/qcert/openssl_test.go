package qcert_test

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/asn1"
	"encoding/base64"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/xs2a-dev/xs2a/pkg/qcert"
)

// openssl is the outside oracle: an independent X.509/ASN.1 implementation
// that reads what qcert writes. Without it the tests skip, except in CI.
func requireOpenSSL(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("openssl"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("openssl is not on PATH and CI=true: the openssl cross-checks must run in CI (%v)", err)
		}
		t.Skip("openssl is not on PATH: skipping the openssl cross-checks (they fail instead when CI=true)")
	}
}

// runOpenSSL runs openssl in dir and returns its combined output.
func runOpenSSL(t *testing.T, dir string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "openssl", args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func mustOpenSSL(t *testing.T, dir string, args ...string) string {
	t.Helper()
	out, err := runOpenSSL(t, dir, args...)
	if err != nil {
		t.Fatalf("openssl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

func writeFile(t *testing.T, dir, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// writeSet writes ca.pem, qwac.pem, qseal.pem, server.pem and their keys.
func writeSet(t *testing.T, dir string, set *qcert.Set) {
	t.Helper()
	for name, is := range map[string]*qcert.Issued{"ca": set.CA, "qwac": set.QWAC, "qseal": set.QSeal, "server": set.Server} {
		writeFile(t, dir, name+".pem", is.CertPEM())
		writeFile(t, dir, name+".key", is.KeyPEM())
	}
}

func opensslDate(tm time.Time) string { return tm.UTC().Format("Jan _2 15:04:05 2006 GMT") }

func TestOpenSSLParsesCertificates(t *testing.T) {
	requireOpenSSL(t)
	f := getFixtures(t)
	dir := t.TempDir()
	writeSet(t, dir, f.def)
	acmeDir := t.TempDir()
	writeSet(t, acmeDir, f.acme)

	caSubject := "C = FI, O = xs2a test trust service (not qualified), CN = xs2a Test QTSP CA"
	for _, tc := range []struct {
		dir, file string
		is        *qcert.Issued
		want      []string
		notWant   []string
	}{
		{dir, "ca.pem", f.def.CA, []string{
			"Issuer: " + caSubject, "Subject: " + caSubject, "Public-Key: (2048 bit)",
			"X509v3 Basic Constraints: critical\n                CA:TRUE, pathlen:0",
			"X509v3 Key Usage: critical\n                Certificate Sign, CRL Sign",
		}, []string{"qcStatements"}},
		{dir, "qwac.pem", f.def.QWAC, []string{
			"Issuer: " + caSubject,
			"Subject: C = FI, O = Example TPP Oy, CN = tpp.example, organizationIdentifier = PSDFI-FINFSA-1234567-8",
			"Public-Key: (2048 bit)",
			"X509v3 Key Usage: critical\n                Digital Signature, Key Encipherment",
			"X509v3 Extended Key Usage: \n                TLS Web Client Authentication, TLS Web Server Authentication",
			"X509v3 Subject Alternative Name: \n                DNS:tpp.example\n",
			"qcStatements: \n", "PSP_AI", "FI-FINFSA",
		}, []string{"CA:TRUE", "Non Repudiation"}},
		{dir, "qseal.pem", f.def.QSeal, []string{
			"Issuer: " + caSubject,
			"Subject: C = FI, O = Example TPP Oy, CN = Example TPP Oy, organizationIdentifier = PSDFI-FINFSA-1234567-8",
			"X509v3 Key Usage: critical\n                Digital Signature, Non Repudiation\n",
			"qcStatements: \n", "PSP_AI", "FI-FINFSA",
		}, []string{"Extended Key Usage", "Subject Alternative Name", "CA:TRUE"}},
		{dir, "server.pem", f.def.Server, []string{
			"Issuer: " + caSubject,
			"Subject: O = xs2a sandbox ASPSP, CN = localhost",
			"X509v3 Extended Key Usage: \n                TLS Web Server Authentication\n",
			"X509v3 Subject Alternative Name: \n                DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1\n",
		}, []string{"qcStatements", "Client Authentication", "organizationIdentifier"}},
		{acmeDir, "qwac.pem", f.acme.QWAC, []string{
			"Issuer: C = SE, O = xs2a test trust service (not qualified), CN = xs2a Test QTSP CA",
			"Subject: C = SE, O = Acme Payments AB, CN = acme.example, organizationIdentifier = PSDSE-FINA-44059",
			"Public-Key: (3072 bit)", "DNS:acme.example", "PSP_AI", "PSP_PI", "PSP_IC", "SE-FINA", "Finansinspektionen",
		}, nil},
		{acmeDir, "qseal.pem", f.acme.QSeal, []string{
			"Subject: C = SE, O = Acme Payments AB, CN = Acme Payments AB, organizationIdentifier = PSDSE-FINA-44059",
			"Public-Key: (3072 bit)", "Digital Signature, Non Repudiation",
		}, nil},
	} {
		t.Run(map[string]string{dir: "default", acmeDir: "acme"}[tc.dir]+"/"+tc.file, func(t *testing.T) {
			out := mustOpenSSL(t, tc.dir, "x509", "-in", tc.file, "-text", "-noout")
			want := append(tc.want,
				"Not Before: "+opensslDate(tc.is.Cert.NotBefore),
				"Not After : "+opensslDate(tc.is.Cert.NotAfter),
				"Signature Algorithm: sha256WithRSAEncryption")
			for _, w := range want {
				if !strings.Contains(out, w) {
					t.Errorf("openssl x509 -text output lacks %q", w)
				}
			}
			for _, w := range tc.notWant {
				if strings.Contains(out, w) {
					t.Errorf("openssl x509 -text output has %q", w)
				}
			}
			if t.Failed() {
				t.Logf("output:\n%s", out)
			}
			// The serial openssl reads is the one Go wrote.
			serial := mustOpenSSL(t, tc.dir, "x509", "-in", tc.file, "-noout", "-serial")
			wantSerial := "serial=" + strings.ToUpper(hex.EncodeToString(tc.is.Cert.SerialNumber.Bytes()))
			if strings.TrimSpace(serial) != wantSerial {
				t.Errorf("openssl serial %q, want %q", strings.TrimSpace(serial), wantSerial)
			}
		})
	}
}

func TestOpenSSLVerifiesChain(t *testing.T) {
	requireOpenSSL(t)
	f := getFixtures(t)
	dir := t.TempDir()
	writeSet(t, dir, f.def)
	writeFile(t, dir, "acme-ca.pem", f.acme.CA.CertPEM())
	writeFile(t, dir, "acme-qwac.pem", f.acme.QWAC.CertPEM())
	for _, tc := range []struct{ file, purpose string }{
		{"qwac.pem", ""}, {"qseal.pem", ""}, {"server.pem", ""},
		{"qwac.pem", "sslclient"}, {"server.pem", "sslserver"},
	} {
		args := []string{"verify", "-CAfile", "ca.pem"}
		if tc.purpose != "" {
			args = append(args, "-purpose", tc.purpose)
		}
		out := mustOpenSSL(t, dir, append(args, tc.file)...)
		if strings.TrimSpace(out) != tc.file+": OK" {
			t.Errorf("openssl verify %s (purpose %q) = %q, want %q", tc.file, tc.purpose, out, tc.file+": OK")
		}
	}
	// The oracle can say no: another set's CA, and a server certificate used
	// for a TLS client.
	if out, err := runOpenSSL(t, dir, "verify", "-CAfile", "acme-ca.pem", "qwac.pem"); err == nil ||
		!strings.Contains(out, "unable to get local issuer certificate") {
		t.Errorf("verify against the other CA: err %v, output %q", err, out)
	}
	if out, err := runOpenSSL(t, dir, "verify", "-CAfile", "ca.pem", "-purpose", "sslclient", "server.pem"); err == nil ||
		!strings.Contains(out, "unsuitable certificate purpose") {
		t.Errorf("server.pem as sslclient: err %v, output %q", err, out)
	}
	if out := mustOpenSSL(t, dir, "verify", "-CAfile", "acme-ca.pem", "acme-qwac.pem"); strings.TrimSpace(out) != "acme-qwac.pem: OK" {
		t.Errorf("acme chain: %q", out)
	}
	// The PKCS#8 keys are what openssl calls a pair with each certificate.
	for _, name := range []string{"qwac", "qseal"} {
		certMod := mustOpenSSL(t, dir, "x509", "-in", name+".pem", "-noout", "-modulus")
		keyMod := mustOpenSSL(t, dir, "rsa", "-in", name+".key", "-noout", "-modulus")
		if certMod != keyMod || !strings.HasPrefix(certMod, "Modulus=") {
			t.Errorf("%s: certificate modulus %.40q != key modulus %.40q", name, certMod, keyMod)
		}
		if out := mustOpenSSL(t, dir, "rsa", "-in", name+".key", "-check", "-noout"); !strings.Contains(out, "RSA key ok") {
			t.Errorf("%s key check: %q", name, out)
		}
	}
}

var asn1Line = regexp.MustCompile(`^\s*\d+:d=(\d+)\s+hl=\d+\s+l=\s*\d+\s+(?:prim|cons):\s+(\S+)\s*(?::(.*))?$`)

// asn1Tree reduces `openssl asn1parse` output to "depth TYPE value" lines.
func asn1Tree(t *testing.T, out string) []string {
	t.Helper()
	var tree []string
	for _, l := range strings.Split(strings.TrimRight(out, "\n"), "\n") {
		m := asn1Line.FindStringSubmatch(l)
		if m == nil {
			t.Fatalf("unexpected asn1parse line %q in\n%s", l, out)
		}
		tree = append(tree, strings.TrimSpace(m[1]+" "+m[2]+" "+strings.TrimSpace(m[3])))
	}
	return tree
}

func qcTree(qtype string, nca, ncaName string, roles ...string) []string {
	tree := []string{
		"0 SEQUENCE",
		"1 SEQUENCE", "2 OBJECT 0.4.0.1862.1.1", // QcCompliance
		"1 SEQUENCE", "2 OBJECT 0.4.0.1862.1.6", "2 SEQUENCE", "3 OBJECT " + qtype, // QcType
		"1 SEQUENCE", "2 OBJECT 0.4.0.19495.2", "2 SEQUENCE", "3 SEQUENCE", // PSD2 statement, rolesOfPSP
	}
	oids := map[string]string{"PSP_AS": "0.4.0.19495.1.1", "PSP_PI": "0.4.0.19495.1.2", "PSP_AI": "0.4.0.19495.1.3", "PSP_IC": "0.4.0.19495.1.4"}
	for _, r := range roles {
		tree = append(tree, "4 SEQUENCE", "5 OBJECT "+oids[r], "5 UTF8STRING "+r)
	}
	return append(tree, "3 UTF8STRING "+ncaName, "3 UTF8STRING "+nca)
}

func mustHex(s string) []byte {
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		panic(err)
	}
	return b
}

// DER encodings from the reference (section 6) and ETSI EN 319 412-5.
var (
	derQCStatementsOID = mustHex("06 08 2b 06 01 05 05 07 01 03")
	derPSD2OID         = mustHex("06 06 04 00 81 98 27 02")
	derRoleAI          = mustHex("06 07 04 00 81 98 27 01 03")
	derRolePI          = mustHex("06 07 04 00 81 98 27 01 02")
	derRoleIC          = mustHex("06 07 04 00 81 98 27 01 04")
	derESeal           = mustHex("06 07 04 00 8e 46 01 06 02")
	derWeb             = mustHex("06 07 04 00 8e 46 01 06 03")
	derCompliance      = mustHex("06 06 04 00 8e 46 01 01")
)

func TestOpenSSLReadsQCStatements(t *testing.T) {
	requireOpenSSL(t)
	f := getFixtures(t)
	fi := "Finnish Financial Supervisory Authority"
	for _, tc := range []struct {
		name     string
		c        *x509.Certificate
		tree     []string
		has, not [][]byte
	}{
		{"default qwac", f.def.QWAC.Cert, qcTree("0.4.0.1862.1.6.3", "FI-FINFSA", fi, "PSP_AI"),
			[][]byte{derCompliance, derWeb, derPSD2OID, derRoleAI}, [][]byte{derESeal, derRolePI}},
		{"default qseal", f.def.QSeal.Cert, qcTree("0.4.0.1862.1.6.2", "FI-FINFSA", fi, "PSP_AI"),
			[][]byte{derCompliance, derESeal, derPSD2OID, derRoleAI}, [][]byte{derWeb, derRolePI}},
		{"acme qwac", f.acme.QWAC.Cert, qcTree("0.4.0.1862.1.6.3", "SE-FINA", "Finansinspektionen", "PSP_AI", "PSP_PI", "PSP_IC"),
			[][]byte{derWeb, derPSD2OID, derRoleAI, derRolePI, derRoleIC}, [][]byte{derESeal}},
		{"acme qseal", f.acme.QSeal.Cert, qcTree("0.4.0.1862.1.6.2", "SE-FINA", "Finansinspektionen", "PSP_AI", "PSP_PI", "PSP_IC"),
			[][]byte{derESeal, derPSD2OID, derRoleAI, derRolePI, derRoleIC}, [][]byte{derWeb}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ext := qcExt(t, tc.c)
			dir := t.TempDir()
			writeFile(t, dir, "ext.der", ext)
			out := mustOpenSSL(t, dir, "asn1parse", "-inform", "DER", "-in", "ext.der")
			got := asn1Tree(t, out)
			if strings.Join(got, "\n") != strings.Join(tc.tree, "\n") {
				t.Errorf("openssl asn1parse structure:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.tree, "\n"))
			}
			// The extension in the certificate: its OID, then (non-critical,
			// so no BOOLEAN) the OCTET STRING holding the value openssl read.
			octets, err := asn1.Marshal(ext)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Contains(tc.c.Raw, append(append([]byte{}, derQCStatementsOID...), octets...)) {
				t.Error("certificate DER lacks 06 08 2b 06 01 05 05 07 01 03 followed by the extension's OCTET STRING")
			}
			for _, h := range tc.has {
				if !bytes.Contains(ext, h) {
					t.Errorf("extension DER lacks % x", h)
				}
			}
			for _, h := range tc.not {
				if bytes.Contains(ext, h) {
					t.Errorf("extension DER has % x", h)
				}
			}
		})
	}

	// The generator bug NoPSD2Wrap reproduces, as openssl sees it: after the
	// PSD2 OID come rolesOfPSP and the two strings at the same depth.
	bad, err := qcert.MarshalQCStatements(qcert.StatementsSpec{Type: qcert.QcTypeESeal, Roles: []qcert.Role{qcert.RoleAI},
		NCAName: fi, NCAID: "FI-FINFSA", NoPSD2Wrap: true})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	writeFile(t, dir, "bad.der", bad)
	got := asn1Tree(t, mustOpenSSL(t, dir, "asn1parse", "-inform", "DER", "-in", "bad.der"))
	want := []string{"0 SEQUENCE", "1 SEQUENCE", "2 OBJECT 0.4.0.1862.1.1",
		"1 SEQUENCE", "2 OBJECT 0.4.0.1862.1.6", "2 SEQUENCE", "3 OBJECT 0.4.0.1862.1.6.2",
		"1 SEQUENCE", "2 OBJECT 0.4.0.19495.2", "2 SEQUENCE", "3 SEQUENCE", "4 OBJECT 0.4.0.19495.1.3", "4 UTF8STRING PSP_AI",
		"2 UTF8STRING " + fi, "2 UTF8STRING FI-FINFSA"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("unwrapped statement per openssl:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestOpenSSLChallenge(t *testing.T) {
	requireOpenSSL(t)
	f := getFixtures(t)
	seal := f.def.QSeal
	dir := t.TempDir()
	writeFile(t, dir, "qseal.pem", seal.CertPEM())
	writeFile(t, dir, "qseal.key", seal.KeyPEM())
	const challenge = "Prove possession: 8c1f0e7a-portal-nonce"
	writeFile(t, dir, "challenge.txt", []byte(challenge))
	writeFile(t, dir, "challenge-nl.txt", []byte(challenge+"\n"))
	mustOpenSSL(t, dir, "x509", "-in", "qseal.pem", "-pubkey", "-noout", "-out", "qseal-pub.pem")

	// Ours, verified by openssl.
	sigB64, err := qcert.SignChallenge(seal.Key, challenge)
	if err != nil {
		t.Fatal(err)
	}
	sig, err := base64.StdEncoding.DecodeString(sigB64)
	if err != nil {
		t.Fatalf("SignChallenge output is not base64: %v", err)
	}
	if len(sig) != 256 {
		t.Errorf("signature of %d bytes, want 256 for a 2048-bit key", len(sig))
	}
	writeFile(t, dir, "sig.bin", sig)
	out, err := runOpenSSL(t, dir, "dgst", "-sha256", "-verify", "qseal-pub.pem", "-signature", "sig.bin", "challenge.txt")
	if err != nil || strings.TrimSpace(out) != "Verified OK" {
		t.Errorf("openssl rejects SignChallenge output: %v %q", err, out)
	}
	out, err = runOpenSSL(t, dir, "dgst", "-sha256", "-verify", "qseal-pub.pem", "-signature", "sig.bin", "challenge-nl.txt")
	if err == nil || !strings.Contains(out, "Verification failure") {
		t.Errorf("openssl accepts the signature for the challenge with a trailing newline: %v %q", err, out)
	}

	// openssl's, verified by VerifyChallenge.
	mustOpenSSL(t, dir, "dgst", "-sha256", "-sign", "qseal.key", "-out", "osig.bin", "challenge.txt")
	osig, err := os.ReadFile(filepath.Join(dir, "osig.bin"))
	if err != nil {
		t.Fatal(err)
	}
	osigB64 := base64.StdEncoding.EncodeToString(osig)
	if err := qcert.VerifyChallenge(seal.Cert, challenge, osigB64); err != nil {
		t.Errorf("VerifyChallenge rejects openssl's signature: %v", err)
	}
	if err := qcert.VerifyChallenge(seal.Cert, challenge+"\n", osigB64); err == nil {
		t.Error("VerifyChallenge accepts openssl's signature for the challenge with a trailing newline")
	}
	// RSASSA-PKCS1-v1_5 is deterministic: both tools must produce the same bytes.
	if !bytes.Equal(osig, sig) {
		t.Error("openssl dgst -sha256 -sign and SignChallenge produce different signatures for the same key and text")
	}
	// What a user gets signing a file that ends in a newline.
	mustOpenSSL(t, dir, "dgst", "-sha256", "-sign", "qseal.key", "-out", "osig-nl.bin", "challenge-nl.txt")
	osigNL, err := os.ReadFile(filepath.Join(dir, "osig-nl.bin"))
	if err != nil {
		t.Fatal(err)
	}
	err = qcert.VerifyChallenge(seal.Cert, challenge, base64.StdEncoding.EncodeToString(osigNL))
	if err == nil || !strings.Contains(err.Error(), "trailing newline") {
		t.Errorf("signature over challenge+newline: VerifyChallenge = %v, want an error mentioning the trailing newline", err)
	}
	if err := qcert.VerifyChallenge(seal.Cert, challenge+"\n", base64.StdEncoding.EncodeToString(osigNL)); err != nil {
		t.Errorf("signature over challenge+newline vs the same text: %v", err)
	}
}
