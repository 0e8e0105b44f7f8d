package mtls

import (
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xs2a-dev/xs2a/pkg/qcert"
)

func TestClientPresentsTheQWACAndVerifiesTheServer(t *testing.T) {
	set, err := qcert.GenerateSet(qcert.Options{Org: qcert.DefaultOrg})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := set.Write(dir, false); err != nil {
		t.Fatal(err)
	}
	var seen string
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if len(r.TLS.PeerCertificates) > 0 {
			seen = r.TLS.PeerCertificates[0].Subject.CommonName
		}
	}))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{set.Server.Cert.Raw}, PrivateKey: set.Server.Key}},
		ClientAuth: tls.RequireAnyClientCert}
	srv.StartTLS()
	defer srv.Close()
	url := strings.Replace(srv.URL, "127.0.0.1", "localhost", 1)

	c, err := New(Options{CertFile: filepath.Join(dir, "qwac.pem"), KeyFile: filepath.Join(dir, "qwac.key"), CABundle: filepath.Join(dir, "ca.pem")})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.HTTP.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if seen != set.QWAC.Cert.Subject.CommonName || c.Leaf.Subject.CommonName != seen {
		t.Errorf("server saw %q", seen)
	}
	if resp.TLS.Version < tls.VersionTLS12 {
		t.Errorf("TLS version %x", resp.TLS.Version)
	}

	// Without the CA bundle the server is not trusted...
	c2, _ := New(Options{CertFile: filepath.Join(dir, "qwac.pem"), KeyFile: filepath.Join(dir, "qwac.key")})
	if _, err := c2.HTTP.Get(url); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("untrusted server accepted: %v", err)
	}
	// ...unless --insecure.
	c3, _ := New(Options{CertFile: filepath.Join(dir, "qwac.pem"), KeyFile: filepath.Join(dir, "qwac.key"), Insecure: true})
	if r, err := c3.HTTP.Get(url); err != nil {
		t.Errorf("insecure: %v", err)
	} else {
		r.Body.Close()
	}
}

func TestBadInput(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "x.pem"), []byte("nope"), 0o600)
	for _, o := range []Options{{CertFile: "a.pem"}, {KeyFile: "a.key"}, {CertFile: filepath.Join(dir, "x.pem"), KeyFile: filepath.Join(dir, "x.pem")}, {CABundle: filepath.Join(dir, "missing.pem")}} {
		if _, err := New(o); err == nil {
			t.Errorf("%+v accepted", o)
		}
	}
}

// TestNoRedirectIsFollowed: the 3xx is the answer; the Location gets nothing.
func TestNoRedirectIsFollowed(t *testing.T) {
	caught := 0
	catcher := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { caught++ }))
	defer catcher.Close()
	srv := httptest.NewServer(http.RedirectHandler(catcher.URL+"/steal", http.StatusTemporaryRedirect))
	defer srv.Close()
	c, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodPost, srv.URL, strings.NewReader("client_secret=s"))
	resp, err := c.HTTP.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusTemporaryRedirect || caught != 0 {
		t.Errorf("status %d, catcher got %d requests; want the 307 itself and none", resp.StatusCode, caught)
	}
}
