package qcert

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

// SignChallenge signs the portal's challenge string with the QSealC key
// (RSASSA-PKCS1-v1_5 with SHA-256) and returns it base64-encoded: the proof
// of possession asked for when qualified certificates are uploaded.
func SignChallenge(key *rsa.PrivateKey, challenge string) (string, error) {
	if challenge == "" {
		return "", errors.New("the challenge is empty")
	}
	h := sha256.Sum256([]byte(challenge))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, h[:])
	if err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(sig), nil
}

// VerifyChallenge checks a base64 signature of challenge against the certificate.
func VerifyChallenge(cert *x509.Certificate, challenge, sigB64 string) error {
	pub, ok := cert.PublicKey.(*rsa.PublicKey)
	if !ok {
		return fmt.Errorf("the certificate has a %T key, not RSA", cert.PublicKey)
	}
	sig, err := base64.StdEncoding.DecodeString(strings.TrimSpace(sigB64))
	if err != nil {
		return fmt.Errorf("the signature is not base64: %v", err)
	}
	h := sha256.Sum256([]byte(challenge))
	if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, h[:], sig); err != nil {
		return errors.New("the signature does not verify: other challenge text (mind a trailing newline), or another key than the certificate's")
	}
	return nil
}
