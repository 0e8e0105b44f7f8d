// Package pemfile reads certificates and RSA private keys from PEM or DER
// files and says, when it cannot, what the file is and what to do about it.
// Keys and certificates are where most "SIGNATURE_INVALID" tickets start, so
// the errors here name the file and the fix rather than an ASN.1 tag.
package pemfile

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
)

// Error is a problem with one file.
type Error struct {
	Path string
	Msg  string
	Err  error
}

func (e *Error) Error() string { return e.Path + ": " + e.Msg }
func (e *Error) Unwrap() error { return e.Err }

// Sentinel causes, for errors.Is.
var (
	ErrNotFound  = errors.New("file not found")
	ErrEncrypted = errors.New("encrypted private key")
	ErrNotRSA    = errors.New("not an RSA key")
	ErrNoCert    = errors.New("no certificate")
	ErrNoKey     = errors.New("no private key")
)

func read(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, &Error{Path: path, Msg: "no such file", Err: ErrNotFound}
		}
		return nil, &Error{Path: path, Msg: err.Error(), Err: err}
	}
	return b, nil
}

// ReadCertificates reads every certificate in a PEM file (a chain) or one DER certificate.
func ReadCertificates(path string) ([]*x509.Certificate, error) {
	b, err := read(path)
	if err != nil {
		return nil, err
	}
	return ParseCertificates(path, b)
}

// ParseCertificates is ReadCertificates on bytes; name is used in errors.
func ParseCertificates(name string, b []byte) ([]*x509.Certificate, error) {
	if !bytes.Contains(b, []byte("-----BEGIN")) {
		c, err := x509.ParseCertificate(b)
		if err != nil {
			return nil, &Error{Path: name, Msg: "not a PEM file and not a DER certificate", Err: ErrNoCert}
		}
		return []*x509.Certificate{c}, nil
	}
	var certs []*x509.Certificate
	var other []string
	rest := b
	for {
		var blk *pem.Block
		blk, rest = pem.Decode(rest)
		if blk == nil {
			break
		}
		if blk.Type != "CERTIFICATE" {
			other = append(other, blk.Type)
			continue
		}
		c, err := x509.ParseCertificate(blk.Bytes)
		if err != nil {
			return nil, &Error{Path: name, Msg: fmt.Sprintf("certificate %d cannot be parsed: %v", len(certs)+1, err), Err: err}
		}
		certs = append(certs, c)
	}
	if len(certs) == 0 {
		msg := "no CERTIFICATE block in the PEM data"
		if len(other) > 0 {
			msg = fmt.Sprintf("holds %q, not a certificate (did you swap the --cert and --key files?)", other[0])
		}
		return nil, &Error{Path: name, Msg: msg, Err: ErrNoCert}
	}
	return certs, nil
}

// ReadCertificate reads the first (leaf) certificate of a file.
func ReadCertificate(path string) (*x509.Certificate, error) {
	cs, err := ReadCertificates(path)
	if err != nil {
		return nil, err
	}
	return cs[0], nil
}

// ReadRSAKey reads an unencrypted RSA private key in PKCS#1 or PKCS#8, PEM or DER.
func ReadRSAKey(path string) (*rsa.PrivateKey, error) {
	b, err := read(path)
	if err != nil {
		return nil, err
	}
	return ParseRSAKey(path, b)
}

// ParseRSAKey is ReadRSAKey on bytes; name is used in errors.
func ParseRSAKey(name string, b []byte) (*rsa.PrivateKey, error) {
	der := b
	typ := "DER"
	if bytes.Contains(b, []byte("-----BEGIN")) {
		var blk *pem.Block
		rest := b
		for {
			blk, rest = pem.Decode(rest)
			if blk == nil {
				return nil, &Error{Path: name, Msg: "no PRIVATE KEY block in the PEM data", Err: ErrNoKey}
			}
			// Skip certificates (combined files) and the curve block
			// `openssl ecparam -genkey` writes before an EC key.
			if blk.Type == "CERTIFICATE" || blk.Type == "EC PARAMETERS" {
				continue
			}
			break
		}
		typ = blk.Type
		if typ == "ENCRYPTED PRIVATE KEY" || blk.Headers["Proc-Type"] == "4,ENCRYPTED" {
			return nil, &Error{Path: name, Err: ErrEncrypted,
				Msg: "the private key is encrypted; decrypt it first: openssl pkey -in " + name + " -out key.pem (and keep key.pem at mode 0600)"}
		}
		der = blk.Bytes
	}
	var key crypto.PrivateKey
	var err error
	switch typ {
	case "RSA PRIVATE KEY":
		key, err = x509.ParsePKCS1PrivateKey(der)
	case "EC PRIVATE KEY":
		return nil, &Error{Path: name, Msg: "holds an EC key; the Berlin Group profile signs with RSA (rsa-sha256): make an RSA key", Err: ErrNotRSA}
	case "PRIVATE KEY":
		key, err = x509.ParsePKCS8PrivateKey(der)
	case "DER":
		if key, err = x509.ParsePKCS8PrivateKey(der); err != nil {
			if key, err = x509.ParsePKCS1PrivateKey(der); err != nil {
				if ec, ecErr := x509.ParseECPrivateKey(der); ecErr == nil {
					key, err = ec, nil
				}
			}
		}
	default:
		return nil, &Error{Path: name, Msg: fmt.Sprintf("holds a %q block, not a private key", typ), Err: ErrNoKey}
	}
	if err != nil {
		if typ == "DER" {
			return nil, &Error{Path: name, Msg: "not a PEM file and not a DER private key", Err: ErrNoKey}
		}
		return nil, &Error{Path: name, Msg: fmt.Sprintf("the %s cannot be parsed: %v", typ, err), Err: err}
	}
	switch k := key.(type) {
	case *rsa.PrivateKey:
		return k, nil
	case *ecdsa.PrivateKey, ed25519.PrivateKey:
		return nil, &Error{Path: name, Msg: fmt.Sprintf("holds %s key; the Berlin Group profile signs with RSA (rsa-sha256): make an RSA key", keyKind(k)), Err: ErrNotRSA}
	default:
		return nil, &Error{Path: name, Msg: fmt.Sprintf("holds a %T key, not RSA", k), Err: ErrNotRSA}
	}
}

func keyKind(k any) string {
	switch k.(type) {
	case *ecdsa.PrivateKey:
		return "an EC"
	case ed25519.PrivateKey:
		return "an Ed25519"
	}
	return fmt.Sprintf("a %T", k)
}

// MatchError says a key and a certificate do not belong together.
type MatchError struct{ KeyPath, CertPath string }

func (e *MatchError) Error() string {
	return fmt.Sprintf("the private key %s does not belong to the certificate %s (their public keys differ): use the key the certificate was issued for", e.KeyPath, e.CertPath)
}

// CheckPair returns a *MatchError unless key is the private half of cert's public key.
func CheckPair(key *rsa.PrivateKey, cert *x509.Certificate, keyPath, certPath string) error {
	if pub, ok := cert.PublicKey.(*rsa.PublicKey); ok && pub.Equal(&key.PublicKey) {
		return nil
	}
	return &MatchError{KeyPath: keyPath, CertPath: certPath}
}
