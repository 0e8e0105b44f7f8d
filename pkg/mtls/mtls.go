// Package mtls builds the mutual-TLS transport every XS2A call rides on: the
// QWAC as client certificate, the ASPSP verified against the system roots
// plus an optional CA bundle, TLS 1.2 or newer, keep-alive and timeouts.
package mtls

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/xs2a-dev/xs2a/pkg/origin"
	"github.com/xs2a-dev/xs2a/pkg/pemfile"
	"github.com/xs2a-dev/xs2a/pkg/qcert"
)

// Options select the certificates.
type Options struct {
	CertFile, KeyFile string // the QWAC; both empty: no client certificate
	CABundle          string // extra trusted CAs for the ASPSP's server certificate
	// Insecure skips server certificate verification. Only for debugging a
	// broken server setup: anyone on the path can then read the tokens.
	Insecure bool
	Timeout  time.Duration // per request; 0 means 30 s
}

// Client is the configured transport with what it presents.
type Client struct {
	Transport *http.Transport
	HTTP      *http.Client
	// Leaf is the client certificate sent, nil when none.
	Leaf *x509.Certificate
	// RoundTripper is Transport, with a refused server certificate that a
	// CA of the bundle's name but another key issued reported as a
	// *LookalikeError: what every client sends through.
	RoundTripper http.RoundTripper
}

// LookalikeError is a server certificate refused because the CA bundle
// holds a CA of its issuer's name but not its key, or only CAs of other
// names: two test certificate sets mixed. It wraps the TLS error, which it
// leaves as it was.
type LookalikeError struct {
	Err error
	// Explanation says which CA is which, by key id.
	Explanation string
}

func (e *LookalikeError) Error() string { return e.Err.Error() }
func (e *LookalikeError) Unwrap() error { return e.Err }

// explaining turns a TLS verification error into a *LookalikeError when
// the bundle holds a CA of the issuer's name: crypto/x509 says only
// "crypto/rsa: verification error" then.
type explaining struct {
	base   http.RoundTripper
	bundle []*x509.Certificate
	name   string
}

func (t *explaining) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(r)
	var cve *tls.CertificateVerificationError
	var uae x509.UnknownAuthorityError
	if err != nil && errors.As(err, &cve) && errors.As(err, &uae) && len(cve.UnverifiedCertificates) > 0 {
		chain := cve.UnverifiedCertificates
		if l := qcert.FindLookalike(chain[0], chain[1:], t.bundle); l != nil {
			l.What = "the ASPSP's server certificate"
			return resp, &LookalikeError{Err: err, Explanation: l.Explain(t.name)}
		}
		if o := qcert.OtherCAs(chain[0], chain[1:], t.bundle, t.name); o != "" {
			return resp, &LookalikeError{Err: err, Explanation: fmt.Sprintf("the ASPSP's server certificate was issued by %q; %s", chain[len(chain)-1].Issuer.CommonName, o)}
		}
	}
	return resp, err
}

// ErrNoCertificate means the profile names no QWAC.
var ErrNoCertificate = errors.New("no QWAC configured")

// New builds the transport.
func New(o Options) (*Client, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: o.Insecure} //nolint:gosec // only on --insecure
	var leaf *x509.Certificate
	switch {
	case o.CertFile == "" && o.KeyFile == "":
	case o.CertFile == "" || o.KeyFile == "":
		return nil, fmt.Errorf("the QWAC needs both a certificate and a key file (got cert %q, key %q)", o.CertFile, o.KeyFile)
	default:
		chain, err := pemfile.ReadCertificates(o.CertFile)
		if err != nil {
			return nil, err
		}
		key, err := pemfile.ReadRSAKey(o.KeyFile)
		if err != nil {
			return nil, err
		}
		if err := pemfile.CheckPair(key, chain[0], o.KeyFile, o.CertFile); err != nil {
			return nil, err
		}
		tc := tls.Certificate{PrivateKey: key, Leaf: chain[0]}
		for _, c := range chain {
			tc.Certificate = append(tc.Certificate, c.Raw)
		}
		cfg.Certificates = []tls.Certificate{tc}
		leaf = chain[0]
	}
	var cas []*x509.Certificate
	if o.CABundle != "" {
		pool, err := x509.SystemCertPool()
		if err != nil || pool == nil {
			pool = x509.NewCertPool()
		}
		cas, err = pemfile.ReadCertificates(o.CABundle)
		if err != nil {
			return nil, err
		}
		for _, c := range cas {
			pool.AddCert(c)
		}
		cfg.RootCAs = pool
	}
	timeout := o.Timeout
	if timeout == 0 {
		timeout = 30 * time.Second
	}
	tr := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		TLSClientConfig:       cfg,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: timeout,
		IdleConnTimeout:       90 * time.Second,
		// `xs2a proxy` serves many clients (the benchmark's 32) over this
		// one transport; connections kept idle spare each a new
		// mutually authenticated handshake with the ASPSP.
		MaxIdleConnsPerHost: 32,
		ForceAttemptHTTP2:   true,
	}
	// No redirect is followed: it would take the credentials, the QWAC
	// handshake and the signature wherever the Location points.
	var rt http.RoundTripper = tr
	if len(cas) > 0 {
		rt = &explaining{base: tr, bundle: cas, name: "ca_bundle " + o.CABundle}
	}
	hc := &http.Client{Transport: rt, Timeout: timeout, CheckRedirect: origin.NoRedirect}
	return &Client{Transport: tr, HTTP: hc, Leaf: leaf, RoundTripper: rt}, nil
}
