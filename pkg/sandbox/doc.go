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
//
// The wire types are shared: where the bank and the client (pkg/xs2a) send
// or read the same object of the Berlin Group OpenAPI file (Access,
// AccountReference, Amount, TPPMessage, the consent, a link), the sandbox
// uses pkg/xs2a's type, because the wire format is one and a field added
// on one side only would be a silent disagreement. A bug written once into
// a shared type cannot hide behind the sharing: the sandbox's answers and
// the client's requests are each validated against the file by
// pkg/spec.Checker, in their own tests. Only envelopes that carry one
// side's own fields stay apart (the client's ConsentCreated also records
// the answer's headers; the bank's error body is exactly the file's).
package sandbox
