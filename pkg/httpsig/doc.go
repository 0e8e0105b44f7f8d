// Package httpsig signs and verifies HTTP requests the way Berlin Group
// NextGenPSD2 (XS2A) ASPSPs demand: draft-cavage-http-signatures-10 with an
// RFC 3230 Digest header, a keyId of the form "SN=<serial>,CA=<issuer DN>" and
// the QSealC in TPP-Signature-Certificate.
//
// The engine is written here rather than taken from a library because its
// internals are the product: Verify does not answer with a bool but with a
// Diagnosis that lists every check with what was expected and what was found,
// and when the signature itself fails it recovers the hash that was signed
// from the RSA signature and searches the mistakes people actually make
// (header order, case, CRLF, a trailing newline, (request-target), the wrong
// hash, a re-serialised body) until it finds the one that explains it.
//
// Two modes exist. ProfileBerlinGroup enforces the bank's header list rules;
// ProfileGeneric signs and verifies any header list, as other servers and the
// draft's own test cases need.
package httpsig
