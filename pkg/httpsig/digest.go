package httpsig

import (
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"fmt"
	"strings"
)

// DigestAlgorithm names an RFC 3230 digest algorithm as written in the header.
type DigestAlgorithm string

const (
	DigestSHA256 DigestAlgorithm = "SHA-256"
	DigestSHA512 DigestAlgorithm = "SHA-512"
)

// ParseDigestAlgorithm accepts the names case-insensitively, with or without the dash.
func ParseDigestAlgorithm(s string) (DigestAlgorithm, error) {
	switch strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(s), "-", "")) {
	case "SHA256":
		return DigestSHA256, nil
	case "SHA512":
		return DigestSHA512, nil
	}
	return "", fmt.Errorf("unknown digest algorithm %q (want SHA-256 or SHA-512)", s)
}

// Sum returns the raw digest of body.
func (a DigestAlgorithm) Sum(body []byte) []byte {
	if a == DigestSHA512 {
		s := sha512.Sum512(body)
		return s[:]
	}
	s := sha256.Sum256(body)
	return s[:]
}

// Digest returns the Digest header value for body: "SHA-256=<base64>". The
// empty body has the digest of zero bytes, never an absent header.
func Digest(a DigestAlgorithm, body []byte) string {
	return string(a) + "=" + base64.StdEncoding.EncodeToString(a.Sum(body))
}

// DigestValue is one "alg=value" entry of a Digest header.
type DigestValue struct {
	Algorithm string // as written
	Value     string
}

// ParseDigest splits a Digest header ("SHA-256=abc=, SHA-512=def=") into its
// entries. Base64 padding makes '=' ambiguous, so only the first '=' splits.
func ParseDigest(h string) ([]DigestValue, error) {
	var out []DigestValue
	for _, part := range strings.Split(h, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		i := strings.IndexByte(part, '=')
		if i <= 0 || i == len(part)-1 {
			return nil, fmt.Errorf("digest entry %q is not \"ALGORITHM=base64\"", part)
		}
		out = append(out, DigestValue{Algorithm: part[:i], Value: part[i+1:]})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("digest header is empty")
	}
	return out, nil
}

// Matches reports whether value, the base64 part of one Digest entry, is
// this algorithm's digest of body. It is the one digest comparison: the
// verifier and the bundle recorder both come here, so they cannot disagree
// on what matches (padding and case are significant, as in RFC 3230).
func (a DigestAlgorithm) Matches(value string, body []byte) bool {
	return value == base64.StdEncoding.EncodeToString(a.Sum(body))
}

// DigestMatches reports whether a Digest header holds body's digest: it must
// parse, and every entry must name a known algorithm and match.
func DigestMatches(header string, body []byte) bool {
	vals, err := ParseDigest(header)
	if err != nil {
		return false
	}
	for _, v := range vals {
		alg, err := ParseDigestAlgorithm(v.Algorithm)
		if err != nil || !alg.Matches(v.Value, body) {
			return false
		}
	}
	return true
}
