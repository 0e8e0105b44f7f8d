// Package sandbox is an emulated Berlin Group NextGenPSD2 ASPSP: the bank a
// TPP developer can run on a laptop, in CI or in a Go test. It behaves like
// the AIS API Enfuce documents for its card issuers (OAuth2 integrated
// approach, mutual TLS with a QWAC, every request signed with a QSealC) and
// enforces every rule; when it rejects a request, the tppMessages say which
// check failed, what it expected and what it got.
//
// A Server has two listeners, as real banks have two hosts: the API and the
// token endpoint behind mutual TLS, and the pages the PSU's browser visits
// (authorization, sign-in, consent approval), which a browser reaches
// without a client certificate.
//
// The shape follows net/http/httptest: Start on a random loopback port, URL,
// CA, Client, Close.
package sandbox
