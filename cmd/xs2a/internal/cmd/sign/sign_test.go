package sign_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xs2a-dev/xs2a/cmd/xs2a/internal/cmdtest"
)

func TestSignFlags(t *testing.T) {
	e := cmdtest.New(t)
	e.Expect(2, "invalid --format", "sign", "--format", "yaml")
	e.Expect(2, "nothing to sign", "sign")
	e.Expect(2, "are exclusive", "sign", "--request", "r.http", "--url", "https://x/")
	e.Expect(2, "--body and --body-file are exclusive", "sign", "--url", "https://x/", "-d", "{}", "--body-file", "b")
	e.Expect(2, "--keyid-form names the serial", "sign", "--url", "https://x/", "--keyid-form", "enfuce", "--serial-form", "dec")
	e.Expect(2, "--keyid-form and --key-id are exclusive", "sign", "--url", "https://x/", "--keyid-form", "enfuce", "--key-id", "k")
	e.Expect(2, "in --generic mode only", "sign", "--url", "https://x/", "--headers", "date")
	e.Expect(2, "", "sign", "verify", "a", "b")
}

func TestSignAndVerify(t *testing.T) {
	e := cmdtest.New(t)
	dir := e.Certs()
	key, cert := filepath.Join(dir, "qseal.key"), filepath.Join(dir, "qseal.pem")
	base := []string{"sign", "--key", key, "--cert", cert, "--url", "https://bank.example/v1/consents", "-X", "POST", "-d", `{"a":1}`}

	r := e.Must(base...)
	for _, h := range []string{"Digest: SHA-256=", "Signature: keyId=", "TPP-Signature-Certificate: ", "X-Request-ID: "} {
		if !strings.Contains(r.Stdout, h) {
			t.Errorf("sign: no %q in\n%s", h, r.Stdout)
		}
	}
	r = e.Must(append(base, "--format", "http", "--explain")...)
	if !strings.Contains(r.Stderr, "Signing string") {
		t.Errorf("sign --explain: stderr\n%s", r.Stderr)
	}
	signed := r.Stdout
	e.Must(append(base, "-o", "json")...)
	e.Must(append(base, "--format", "curl", "--qwac-cert", filepath.Join(dir, "qwac.pem"), "--qwac-key", filepath.Join(dir, "qwac.key"))...)
	e.Must(append(base, "--keyid-form", "adorsys", "--sign-date")...)
	e.Must("sign", "--key", key, "--cert", cert, "--url", "https://bank.example/x", "--generic", "--headers", "date x-request-id", "-H", "Date: Sat, 05 Dec 2026 21:00:00 GMT")

	// What sign wrote, verify accepts; one byte of the body changed, it refuses.
	r = e.RunStdin(signed, "sign", "verify", "-")
	if r.Code != 0 {
		t.Errorf("sign verify of a signed request: exit %d\n%s\n%s", r.Code, r.Stdout, r.Stderr)
	}
	// Signed the enfuce way: adorsys reads the keyId differently, so
	// "all" names a bank that would refuse it.
	r = e.RunStdin(signed, "sign", "verify", "-", "--bank", "all", "--explain")
	if !strings.Contains(r.Stdout, "adorsys") || !strings.Contains(r.Stdout, "enfuce") {
		t.Errorf("sign verify --bank all: exit %d\n%s\n%s", r.Code, r.Stdout, r.Stderr)
	}
	r = e.RunStdin(strings.Replace(signed, `{"a":1}`, `{"a":2}`, 1), "sign", "verify", "-")
	if r.Code == 0 || !strings.Contains(r.Stdout+r.Stderr, "igest") {
		t.Errorf("sign verify of a changed body: exit %d\n%s\n%s", r.Code, r.Stdout, r.Stderr)
	}
	r = e.RunStdin(signed, "sign", "verify", "-", "-o", "json")
	if r.Code != 0 || !strings.HasPrefix(r.Stdout, "{") {
		t.Errorf("sign verify -o json: exit %d\n%s", r.Code, r.Stdout)
	}

	req := filepath.Join(e.Dir, "req.http")
	if err := os.WriteFile(req, []byte("GET /v1/card-accounts HTTP/1.1\r\nHost: bank.example\r\nX-Request-ID: 99391c7e-ad88-49ec-a2ad-99ddcb1f7721\r\n\r\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r = e.Must("sign", "--request", req, "--key", key, "--cert", cert, "--format", "http")
	if !strings.Contains(r.Stdout, "99391c7e-ad88-49ec-a2ad-99ddcb1f7721") {
		t.Errorf("sign --request kept no X-Request-ID:\n%s", r.Stdout)
	}
}

// Every exchange recorded with --record against the bank verifies.
func TestVerifyBundle(t *testing.T) {
	e := cmdtest.New(t)
	e.Bank()
	rec := filepath.Join(e.Dir, "rec")
	e.Must("--record", rec, "token")
	e.Must("--record", rec, "consent", "create")
	r := e.Must("sign", "verify", "--bundle", rec)
	if r.Stdout == "" {
		t.Error("sign verify --bundle printed nothing")
	}
	e.Must("sign", "verify", "--bundle", rec, "-o", "json")
}
