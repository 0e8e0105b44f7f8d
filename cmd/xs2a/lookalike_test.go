package main_test

// Two certificate sets mixed (issue 18 item 6): each `certs generate` set
// has a CA of its own name, and where a CA of the issuer's name but another
// key is at hand (two older sets, or a CA made again under the same name)
// certs check, the client's TLS error and the sandbox's refusal say so by
// key id instead of "crypto/rsa: verification error" and a missing
// intermediate. openssl is the oracle for which chain holds.

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/xs2a-dev/xs2a/pkg/qcert"
	"github.com/xs2a-dev/xs2a/pkg/sandbox"
)

// lookalikeSet writes to a new directory the set in src re-issued by a CA
// of the same name (the same DER subject) and a new key, the leaves
// keeping their keys: what two `certs generate` sets of one CA name were.
func lookalikeSet(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	ca := readCert(t, filepath.Join(src, "ca.pem"))
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := *ca
	tmpl.SubjectKeyId, tmpl.AuthorityKeyId, tmpl.PublicKey = nil, nil, &key.PublicKey
	tmpl.SerialNumber = big.NewInt(4242)
	der, err := x509.CreateCertificate(rand.Reader, &tmpl, &tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	fake, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	if string(fake.RawSubject) != string(ca.RawSubject) {
		t.Fatal("the lookalike CA's name differs from the original's")
	}
	write := func(name string, b []byte) {
		if err := os.WriteFile(filepath.Join(dst, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("ca.pem", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
	for _, n := range []string{"qwac", "qseal", "server"} {
		c := readCert(t, filepath.Join(src, n+".pem"))
		lt := *c
		lt.ExtraExtensions, lt.AuthorityKeyId = nil, nil
		for _, e := range c.Extensions {
			if e.Id.Equal(qcert.OIDQCStatements) {
				lt.ExtraExtensions = append(lt.ExtraExtensions, e)
			}
		}
		d, err := x509.CreateCertificate(rand.Reader, &lt, fake, c.PublicKey, key)
		if err != nil {
			t.Fatal(err)
		}
		write(n+".pem", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: d}))
		k, err := os.ReadFile(filepath.Join(src, n+".key"))
		if err != nil {
			t.Fatal(err)
		}
		write(n+".key", k)
	}
	return dst
}

// openSSLVerifies reports whether `openssl verify -CAfile ca leaf` accepts.
func openSSLVerifies(t *testing.T, ca, leaf string) bool {
	t.Helper()
	if _, err := exec.LookPath("openssl"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("CI=true and no openssl on PATH: it is the oracle for chains")
		}
		t.Skip("no openssl on PATH")
	}
	out, err := exec.Command("openssl", "verify", "-CAfile", ca, leaf).CombinedOutput()
	t.Logf("openssl verify -CAfile %s %s: %s", filepath.Base(filepath.Dir(ca))+"/"+filepath.Base(ca), filepath.Base(leaf), strings.TrimSpace(string(out)))
	return err == nil
}

func TestCertsGenerateNamesEachCA(t *testing.T) {
	dir := t.TempDir()
	var names []string
	for _, d := range []string{"a", "b"} {
		r := xs2a(t, dir, "", nil, "certs", "generate", "--dir", d)
		if r.code != 0 {
			t.Fatalf("certs generate: %d %s", r.code, r.stderr)
		}
		ca := readCert(t, filepath.Join(dir, d, "ca.pem"))
		// The suffix is the start of the CA's key id, which the QWAC's
		// authorityKeyIdentifier names.
		m := regexp.MustCompile(`^xs2a Test QTSP CA ([0-9a-f]{8})$`).FindStringSubmatch(ca.Subject.CommonName)
		if m == nil {
			t.Fatalf("CA name %q: want xs2a Test QTSP CA <8 hex>", ca.Subject.CommonName)
		}
		if qwac := readCert(t, filepath.Join(dir, d, "qwac.pem")); !strings.HasPrefix(qcert.KeyID(ca), m[1]) || qcert.KeyID(ca) != keyHex(qwac.AuthorityKeyId) {
			t.Errorf("CA key id %s, QWAC's authority key id %s, name suffix %s", qcert.KeyID(ca), keyHex(qwac.AuthorityKeyId), m[1])
		}
		names = append(names, ca.Subject.CommonName)
	}
	if names[0] == names[1] {
		t.Fatalf("two sets have one CA name %q", names[0])
	}
	if openSSLVerifies(t, filepath.Join(dir, "a", "ca.pem"), filepath.Join(dir, "b", "qwac.pem")) {
		t.Fatal("openssl accepts set b's QWAC under set a's CA")
	}
	// Mixed sets of different names: the check names the bundle's CA
	// rather than leaving only the missing-intermediate lead.
	r := xs2a(t, dir, "", nil, "certs", "check", "--qwac", "b/qwac.pem", "--qseal", "b/qseal.pem", "--ca", "a/ca.pem")
	if r.code != 5 || !strings.Contains(r.stdout, `a/ca.pem holds "`+names[0]+`" instead`) || !strings.Contains(r.stdout, names[1]) {
		t.Errorf("certs check with another set's CA: exit %d\n%s", r.code, r.stdout)
	}
}

func keyHex(b []byte) string {
	const digits = "0123456789abcdef"
	out := make([]byte, 0, 2*len(b))
	for _, c := range b {
		out = append(out, digits[c>>4], digits[c&15])
	}
	return string(out)
}

func TestCertsCheckSaysAnotherCAOfTheSameName(t *testing.T) {
	dir := t.TempDir()
	r := xs2a(t, dir, "", nil, "certs", "generate", "--dir", "a")
	if r.code != 0 {
		t.Fatal(r.stderr)
	}
	a := filepath.Join(dir, "a")
	fake := lookalikeSet(t, a)
	if openSSLVerifies(t, filepath.Join(a, "ca.pem"), filepath.Join(fake, "qwac.pem")) || !openSSLVerifies(t, filepath.Join(fake, "ca.pem"), filepath.Join(fake, "qwac.pem")) {
		t.Fatal("openssl: the lookalike set should verify under its own CA only")
	}
	r = xs2a(t, dir, "", nil, "certs", "check",
		"--qwac", filepath.Join(fake, "qwac.pem"), "--qseal", filepath.Join(fake, "qseal.pem"), "--ca", filepath.Join(a, "ca.pem"))
	caID, fakeID := qcert.KeyID(readCert(t, filepath.Join(a, "ca.pem"))), qcert.KeyID(readCert(t, filepath.Join(fake, "ca.pem")))
	if r.code != 5 {
		t.Fatalf("exit %d, want 5\n%s%s", r.code, r.stdout, r.stderr)
	}
	for _, c := range []string{"qwac", "qseal"} {
		want := "✗ " + c + ": chain does not verify: this certificate was issued by another CA with the same name"
		if !strings.Contains(r.stdout, want) {
			t.Errorf("no %q in\n%s", want, r.stdout)
		}
	}
	if !strings.Contains(r.stdout, "its CA key id "+fakeID+", "+filepath.Join(a, "ca.pem")+"'s "+caID) {
		t.Errorf("the key ids (%s issued, %s in the bundle) are not named:\n%s", fakeID, caID, r.stdout)
	}
	for _, bad := range []string{"crypto/rsa", "missing intermediate"} {
		if strings.Contains(r.stdout, bad) {
			t.Errorf("misleading %q still said:\n%s", bad, r.stdout)
		}
	}
}

func TestMixedSetsClientAndSandboxSaySo(t *testing.T) {
	needCurl(t)
	b := startBank(t, sandbox.Options{RatePerSecond: -1, RatePerDay: -1})
	fake := lookalikeSet(t, b.certs)
	caID, fakeID := qcert.KeyID(readCert(t, b.file("ca.pem"))), qcert.KeyID(readCert(t, filepath.Join(fake, "ca.pem")))

	// The client trusts the lookalike CA: the bank's server certificate
	// is refused, and the error says by which CA.
	u := newUser(t, b, map[string]string{"ca_bundle": filepath.Join(fake, "ca.pem")})
	r := u.run("token")
	oneErrorLine(t, "token with a lookalike ca_bundle", r, 5,
		"hint: the ASPSP's server certificate was issued by another CA with the same name",
		"its CA key id "+caID+", ca_bundle "+filepath.Join(fake, "ca.pem")+"'s "+fakeID)

	// The bank is sent a QWAC of the lookalike CA: one tppMessage says so
	// whole, none over 500 characters, none cut mid-sentence.
	status, body := bankAnswer(t, b, filepath.Join(fake, "qwac.pem"), filepath.Join(fake, "qwac.key"))
	found := 0
	for _, m := range body.TPPMessages {
		if n := utf8.RuneCountInString(m.Text); n > 500 {
			t.Errorf("tppMessage of %d characters: %s", n, m.Text)
		}
		if strings.Contains(m.Text, "issued by another CA with the same name") {
			found++
			if !strings.Contains(m.Text, "its CA key id "+fakeID+", the trusted CA's "+caID) {
				t.Errorf("the key ids are not in the same message: %q", m.Text)
			}
		}
		if strings.Contains(m.Text, "crypto/rsa") || strings.Contains(m.Text, "intermediate") {
			t.Errorf("misleading lead: %q", m.Text)
		}
	}
	if status != 401 || found != 1 {
		t.Errorf("status %d, %d messages naming the lookalike CA, want 401 and 1: %+v", status, found, body.TPPMessages)
	}
}

// bankAnswer sends GET /v1/accounts to b with the QWAC in certFile and
// returns the status and the error body.
func bankAnswer(t *testing.T, b *bank, certFile, keyFile string) (int, sandbox.ErrorBody) {
	t.Helper()
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	hc := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{
		RootCAs: b.s.CertPool(), Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}}}
	req, _ := http.NewRequest(http.MethodGet, b.s.URL+"/v1/accounts", nil)
	req.Header.Set("X-Request-ID", "0b8f7c1e-2d3a-4b5c-8d9e-0f1a2b3c4d5e")
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body sandbox.ErrorBody
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, body
}

// Two sets of today, each CA of its own name: the client and the bank name
// the CA they hold instead, and the bank drops the missing-intermediate
// lead for a QWAC a generated root issued.
func TestMixedNamedSetsSayWhichCA(t *testing.T) {
	b := startBank(t, sandbox.Options{RatePerSecond: -1, RatePerDay: -1})
	dir := t.TempDir()
	if r := xs2a(t, dir, "", nil, "certs", "generate", "--dir", "other"); r.code != 0 {
		t.Fatal(r.stderr)
	}
	other := filepath.Join(dir, "other")
	bankCA, otherCA := readCert(t, b.file("ca.pem")).Subject.CommonName, readCert(t, filepath.Join(other, "ca.pem")).Subject.CommonName
	if openSSLVerifies(t, b.file("ca.pem"), filepath.Join(other, "qwac.pem")) {
		t.Fatal("openssl accepts the other set's QWAC under the bank's CA")
	}
	u := newUser(t, b, map[string]string{"ca_bundle": filepath.Join(other, "ca.pem")})
	oneErrorLine(t, "token with another set's ca_bundle", u.run("token"), 5,
		`hint: the ASPSP's server certificate was issued by "`+bankCA+`"; ca_bundle `+filepath.Join(other, "ca.pem")+` holds "`+otherCA+`" instead (another `+"`xs2a certs generate`"+` set?)`)

	status, body := bankAnswer(t, b, filepath.Join(other, "qwac.pem"), filepath.Join(other, "qwac.key"))
	all := ""
	for _, m := range body.TPPMessages {
		all += m.Text + " | "
	}
	if status != 401 || !strings.Contains(all, `the sandbox's trust list holds "`+bankCA+`" instead`) || strings.Contains(all, "intermediate") {
		t.Errorf("status %d: %s", status, all)
	}
}
