// Package qcert makes and reads eIDAS PSD2 certificates: a test CA standing in
// for a QTSP, a QWAC for mutual TLS, a QSealC for request signing and a server
// certificate for the embedded sandbox, each TPP certificate carrying the
// organizationIdentifier and the ETSI TS 119 495 QCStatements a bank checks.
// It also inspects real certificates, checks a QWAC/QSealC pair for
// readiness, and signs the proof-of-possession challenge bank portals ask for.
//
// Generated certificates are for tests and sandboxes only; nothing here is
// qualified. Tests and the demo generate them afresh so nothing ever expires
// in the repository.
package qcert
