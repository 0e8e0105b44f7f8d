package httpsig

import (
	"fmt"
	"net/http"

	"github.com/google/uuid"
	"github.com/xs2a-dev/xs2a/pkg/httpmsg"
)

// Transport is an http.RoundTripper that signs every request it sends:
// X-Request-ID (a UUID) when absent, Digest, Signature and
// TPP-Signature-Certificate (and Date, when the signer adds one). It never modifies the caller's request.
type Transport struct {
	Signer *Signer
	// Base sends the signed request; nil means http.DefaultTransport.
	Base http.RoundTripper
}

var _ http.RoundTripper = (*Transport)(nil)

// RoundTrip implements http.RoundTripper.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	r := req.Clone(req.Context())
	if r.Header.Get("X-Request-ID") == "" {
		r.Header.Set("X-Request-ID", uuid.NewString())
	}
	// The clone shares the body; reading it for the digest must not consume
	// the caller's copy, so FromHTTP replaces r.Body with a fresh reader.
	if req.Body != nil && req.GetBody != nil {
		b, err := req.GetBody()
		if err != nil {
			return nil, fmt.Errorf("httpsig: re-reading body: %w", err)
		}
		r.Body = b
	}
	m, err := httpmsg.FromHTTP(r)
	if err != nil {
		return nil, fmt.Errorf("httpsig: %w", err)
	}
	if _, err := t.Signer.Sign(m); err != nil {
		return nil, fmt.Errorf("httpsig: signing %s %s: %w", req.Method, req.URL.Path, err)
	}
	for _, h := range []string{"Date", "Digest", "Signature", "TPP-Signature-Certificate"} {
		if v := m.Get(h); v != "" {
			r.Header.Set(h, v)
		}
	}
	base := t.Base
	if base == nil {
		base = http.DefaultTransport
	}
	return base.RoundTrip(r)
}
