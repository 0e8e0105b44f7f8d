package qcert

import (
	"bytes"
	"crypto/sha1" //nolint:gosec // RFC 5280 4.2.1.2 method 1 names SHA-1 for key identifiers; not a security use
	"crypto/x509"
	"encoding/asn1"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
)

// KeyID is c's key identifier in hex: its subjectKeyIdentifier, else the
// SHA-1 of its public key as RFC 5280 4.2.1.2 (method 1) derives one. It
// is what a certificate's authorityKeyIdentifier names its issuer by, and
// what `openssl x509 -text` prints, so two CAs of one name are told apart
// by it.
func KeyID(c *x509.Certificate) string {
	if len(c.SubjectKeyId) > 0 {
		return hex.EncodeToString(c.SubjectKeyId)
	}
	return hex.EncodeToString(spkiSHA1(c.RawSubjectPublicKeyInfo))
}

// spkiSHA1 is the SHA-1 of the subjectPublicKey bits of a DER
// SubjectPublicKeyInfo; nil when it does not parse.
func spkiSHA1(spki []byte) []byte {
	var info struct {
		Algorithm asn1.RawValue
		PublicKey asn1.BitString
	}
	if _, err := asn1.Unmarshal(spki, &info); err != nil {
		return nil
	}
	sum := sha1.Sum(info.PublicKey.Bytes) //nolint:gosec // see import
	return sum[:]
}

// Lookalike is a CA at hand that bears the name of a certificate's issuer
// but not the key that signed it: the mark of two `certs generate` sets
// (or two test CAs) mixed, which crypto/x509 reports only as "crypto/rsa:
// verification error" under an unknown authority.
type Lookalike struct {
	// Cert is the certificate whose signature the CA's key does not verify:
	// the leaf, or an intermediate sent with it.
	Cert *x509.Certificate
	// Leaf is the certificate the chain was built for.
	Leaf *x509.Certificate
	// CA is the certificate at hand with the issuer's name.
	CA *x509.Certificate
	// What Explain calls the leaf ("" for "this certificate").
	What string
}

// IssuerKeyID is the key id Cert names its issuer by (authorityKeyIdentifier),
// "not stated" when it has none.
func (l *Lookalike) IssuerKeyID() string {
	if len(l.Cert.AuthorityKeyId) == 0 {
		return "not stated in the certificate"
	}
	return hex.EncodeToString(l.Cert.AuthorityKeyId)
}

// Explain says what happened in one sentence; where names the CA at hand
// ("the bundle", "--ca a/ca.pem", "the sandbox's trusted CA").
func (l *Lookalike) Explain(where string) string {
	what := l.What
	if what == "" {
		what = "this certificate"
	}
	who := what + " was"
	if !l.Cert.Equal(l.Leaf) {
		who = fmt.Sprintf("its issuer %q was", l.Cert.Subject.CommonName)
	}
	return fmt.Sprintf("%s issued by another CA with the same name %q (another `xs2a certs generate` set?): its CA key id %s, %s's %s",
		who, l.CA.Subject.CommonName, l.IssuerKeyID(), where, KeyID(l.CA))
}

// sameName compares names as DER, else as strings: a CA made with
// openssl -subj writes UTF8String where Go writes PrintableString, the
// same name to a reader (and to openssl's matching).
func sameName(a, b []byte, as, bs string) bool {
	return bytes.Equal(a, b) || as == bs
}

// FindLookalike walks from c up through the certificates at hand (chain:
// the intermediates sent with it; anchors: the trusted CAs) by issuer name
// and returns where a CA of the right name has the wrong key; nil when
// every name found its signer, or no certificate bears the issuer's name
// (a plain unknown issuer).
func FindLookalike(c *x509.Certificate, chain, anchors []*x509.Certificate) *Lookalike {
	pool := slices.Concat(chain, anchors)
	cur := c
	for range 8 { // longer chains than any QTSP's mean a loop
		if bytes.Equal(cur.RawIssuer, cur.RawSubject) {
			return nil // a root: its own name
		}
		var named []*x509.Certificate
		var signer *x509.Certificate
		for _, ca := range pool {
			if ca.Equal(cur) || !sameName(ca.RawSubject, cur.RawIssuer, ca.Subject.String(), cur.Issuer.String()) {
				continue
			}
			named = append(named, ca)
			if ca.CheckSignature(cur.SignatureAlgorithm, cur.RawTBSCertificate, cur.Signature) == nil {
				signer = ca
				break
			}
		}
		switch {
		case len(named) == 0:
			return nil
		case signer == nil:
			return &Lookalike{Cert: cur, Leaf: c, CA: named[0]}
		case slices.ContainsFunc(anchors, signer.Equal):
			return nil
		}
		cur = signer
	}
	return nil
}

// OtherCAs says, when the issuer at the top of c's chain (c, then the
// intermediates sent with it) is the root of a generated set
// (IsGeneratedRoot) and no CA in anchors bears its name, which CAs anchors
// holds instead: "ca.pem holds "xs2a Test QTSP CA bad82b9e" instead
// (another `xs2a certs generate` set?)". where names anchors. "" for any
// other issuer (a missing intermediate looks the same and is more likely
// there), when a CA of that name is there, c is self-signed, or anchors
// is empty or too long to list.
func OtherCAs(c *x509.Certificate, chain, anchors []*x509.Certificate, where string) string {
	if len(anchors) == 0 || len(anchors) > 3 || IsSelfSigned(c) {
		return ""
	}
	top := c
	for range 8 {
		i := slices.IndexFunc(chain, func(ic *x509.Certificate) bool {
			return !ic.Equal(top) && sameName(ic.RawSubject, top.RawIssuer, ic.Subject.String(), top.Issuer.String())
		})
		if i < 0 {
			break
		}
		top = chain[i]
	}
	if !IsGeneratedRoot(top.Issuer.CommonName) {
		return ""
	}
	var names []string
	for _, ca := range anchors {
		if sameName(ca.RawSubject, top.RawIssuer, ca.Subject.String(), top.Issuer.String()) {
			return ""
		}
		names = append(names, fmt.Sprintf("%q", ca.Subject.CommonName))
	}
	return fmt.Sprintf("%s holds %s instead (another `xs2a certs generate` set?)", where, strings.Join(names, ", "))
}
