package httpsig

import (
	"crypto"
	"crypto/x509"
	"fmt"
	"strings"
)

// Algorithm is the value of the Signature header's algorithm parameter.
type Algorithm string

const (
	RSASHA256 Algorithm = "rsa-sha256"
	RSASHA512 Algorithm = "rsa-sha512"
	// HS2019 hides the algorithm; the verifier derives it from the key.
	// go-fed/httpsig always writes it. xs2a accepts it but never writes it,
	// because the Berlin Group profile wants the algorithm named.
	HS2019 Algorithm = "hs2019"
)

// ParseAlgorithm accepts the algorithms xs2a can sign with.
func ParseAlgorithm(s string) (Algorithm, error) {
	switch a := Algorithm(strings.ToLower(strings.TrimSpace(s))); a {
	case RSASHA256, RSASHA512:
		return a, nil
	}
	return "", fmt.Errorf("unknown signature algorithm %q (want rsa-sha256 or rsa-sha512)", s)
}

// Hash is the hash function behind the algorithm; 0 for hs2019 and unknown ones.
func (a Algorithm) Hash() crypto.Hash {
	switch Algorithm(strings.ToLower(string(a))) {
	case RSASHA256:
		return crypto.SHA256
	case RSASHA512:
		return crypto.SHA512
	}
	return 0
}

// AlgorithmForCertificate is the algorithm whose hash matches the hash of the
// certificate's own signature, which the Berlin Group profile requires.
func AlgorithmForCertificate(cert *x509.Certificate) (Algorithm, error) {
	switch cert.SignatureAlgorithm {
	case x509.SHA256WithRSA, x509.SHA256WithRSAPSS, x509.ECDSAWithSHA256:
		return RSASHA256, nil
	case x509.SHA512WithRSA, x509.SHA512WithRSAPSS, x509.ECDSAWithSHA512:
		return RSASHA512, nil
	}
	return "", fmt.Errorf("the certificate is signed with %s; the Berlin Group profile only has rsa-sha256 and rsa-sha512", cert.SignatureAlgorithm)
}

func hashName(h crypto.Hash) string {
	switch h {
	case crypto.SHA1:
		return "SHA-1"
	case crypto.SHA224:
		return "SHA-224"
	case crypto.SHA256:
		return "SHA-256"
	case crypto.SHA384:
		return "SHA-384"
	case crypto.SHA512:
		return "SHA-512"
	}
	return h.String()
}
