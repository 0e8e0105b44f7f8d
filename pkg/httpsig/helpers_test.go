package httpsig

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"sync"
	"testing"
	"time"

	"github.com/xs2a-dev/xs2a/pkg/httpmsg"
)

// testCert is a throw-away QSealC-like certificate made once per test binary.
type testCert struct {
	Key  *rsa.PrivateKey
	Cert *x509.Certificate
}

var (
	certOnce sync.Once
	certVal  testCert
	otherKey *rsa.PrivateKey
)

func newTestCert(t testing.TB) testCert {
	t.Helper()
	certOnce.Do(func() {
		caKey, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		key, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		otherKey, err = rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		caTmpl := &x509.Certificate{
			SerialNumber:          big.NewInt(1),
			Subject:               pkix.Name{CommonName: "Test QTSP CA 2-1", Organization: []string{"Test Trust Services"}, Country: []string{"FI"}},
			NotBefore:             time.Now().Add(-time.Hour),
			NotAfter:              time.Now().Add(24 * time.Hour),
			IsCA:                  true,
			BasicConstraintsValid: true,
			KeyUsage:              x509.KeyUsageCertSign,
		}
		caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
		if err != nil {
			panic(err)
		}
		ca, _ := x509.ParseCertificate(caDER)
		serial, _ := new(big.Int).SetString("E62A8BB30907C2BA", 16) // high bit set: DER adds 00
		tmpl := &x509.Certificate{
			SerialNumber: serial,
			Subject:      pkix.Name{CommonName: "Example TPP", Organization: []string{"Example TPP Oy"}, Country: []string{"FI"}},
			NotBefore:    time.Now().Add(-time.Hour),
			NotAfter:     time.Now().Add(24 * time.Hour),
			KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment,
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
		if err != nil {
			panic(err)
		}
		c, _ := x509.ParseCertificate(der)
		certVal = testCert{Key: key, Cert: c}
	})
	return certVal
}

func sampleRequest() *httpmsg.Request {
	return &httpmsg.Request{
		Method: "POST", Target: "/v1/consents", Proto: "HTTP/1.1",
		Header: []httpmsg.Field{
			{Name: "Host", Value: "api.example.com"},
			{Name: "Content-Type", Value: "application/json"},
			{Name: "X-Request-ID", Value: "99391c7e-ad88-49ec-a2ad-99ddcb1f7721"},
			{Name: "PSU-IP-Address", Value: "192.0.2.1"},
		},
		Body: []byte(`{"access":{"allPsd2":"allAccounts"},"recurringIndicator":true,"validUntil":"2026-12-31","frequencyPerDay":4,"combinedServiceIndicator":false}`),
	}
}
