package httpsig

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/xs2a-dev/xs2a/pkg/httpmsg"
)

// Profile selects the header-list rules.
type Profile int

const (
	// ProfileBerlinGroup: digest and x-request-id always; psu-id,
	// psu-corporate-id and tpp-redirect-uri if and only if present; nothing else.
	ProfileBerlinGroup Profile = iota
	// ProfileGeneric signs any header list (draft-cavage as is).
	ProfileGeneric
)

func (p Profile) String() string {
	if p == ProfileGeneric {
		return "generic"
	}
	return "berlin-group"
}

// ParseProfile reads "berlin-group" or "generic".
func ParseProfile(s string) (Profile, error) {
	switch strings.ToLower(s) {
	case "berlin-group", "berlingroup", "bg", "":
		return ProfileBerlinGroup, nil
	case "generic":
		return ProfileGeneric, nil
	}
	return 0, fmt.Errorf("unknown profile %q (want berlin-group or generic)", s)
}

// Required and conditional headers of the Berlin Group profile, in the order
// xs2a signs them (the bank's example starts with x-request-id).
var (
	bgRequired    = []string{"x-request-id", "digest"}
	bgConditional = []string{"psu-id", "psu-corporate-id", "tpp-redirect-uri"}
)

// BerlinGroupHeaders returns the header list the profile demands for m.
func BerlinGroupHeaders(m *httpmsg.Request) []string {
	h := append([]string(nil), bgRequired...)
	for _, c := range bgConditional {
		if m.Has(c) {
			h = append(h, c)
		}
	}
	return h
}

// Signer signs requests. The zero values of the optional fields give the
// Berlin Group profile with rsa-sha256 (or what the certificate implies),
// SHA-256 digests and the default keyId form.
type Signer struct {
	Key  crypto.Signer     // RSA private key
	Cert *x509.Certificate // the QSealC; optional in generic mode

	Profile   Profile
	Algorithm Algorithm       // "" = matching the certificate, else rsa-sha256
	Digest    DigestAlgorithm // "" = SHA-256
	KeyID     KeyIDFormat
	// KeyIDOverride, when set, is written as the keyId verbatim.
	KeyIDOverride string
	// Headers is the header list in generic mode; ignored in the Berlin Group
	// profile, whose list is determined by the request.
	Headers []string
	// AddRequestID adds an X-Request-ID (a random UUID) when the request has none.
	AddRequestID bool
	// SignDate signs the Date header too, adding one (the current time) when
	// the request has none: adorsys-based ASPSPs require "date" in the list.
	SignDate bool
	// Now is the clock for the added Date; nil means time.Now.
	Now  func() time.Time
	Rand io.Reader
}

// Signed is what Sign did, kept for --explain and JSON output.
type Signed struct {
	Params          Params
	SignatureHeader string
	Digest          string // the Digest header value, "" when not added
	SigningString   string
	Lines           []Line
	// Certificate is the TPP-Signature-Certificate value, "" without a certificate.
	Certificate string
	// Date is the Date header the signer added, "" when it added none.
	Date      string
	KeyIDForm KeyIDFormat
	Serial    string
	IssuerDN  string
	Warnings  []string
}

// ErrKeyMismatch means the private key is not the certificate's.
var ErrKeyMismatch = errors.New("the private key does not belong to the certificate")

// Sign adds the signature headers to m (Digest, Signature,
// TPP-Signature-Certificate, and X-Request-ID when asked) and reports what it
// signed.
func (s *Signer) Sign(m *httpmsg.Request) (*Signed, error) {
	if err := s.checkKey(); err != nil {
		return nil, err
	}
	out := &Signed{}
	alg, err := s.algorithm(out)
	if err != nil {
		return nil, err
	}
	s.addHeaders(m, out)
	headers, err := s.headerList(m, out)
	if err != nil {
		return nil, err
	}
	if s.Profile == ProfileBerlinGroup || slices.Contains(headers, "digest") {
		dalg := s.Digest
		if dalg == "" {
			dalg = DigestSHA256
		}
		out.Digest = Digest(dalg, m.Body)
		m.Set("Digest", out.Digest)
	}
	p := Params{Algorithm: string(alg), Headers: headers, HeadersSet: true}
	if p.KeyID, err = s.keyID(out); err != nil {
		return nil, err
	}

	lines, err := SigningLines(m, headers, &p)
	if err != nil {
		return nil, err
	}
	ss := joinLines(lines, lineForm{})
	sig, err := signRaw(s.Key, alg.Hash(), []byte(ss), s.Rand)
	if err != nil {
		return nil, err
	}
	p.Signature = base64.StdEncoding.EncodeToString(sig)
	out.Params = p
	out.SignatureHeader = p.String()
	out.SigningString = ss
	out.Lines = lines
	m.Set("Signature", out.SignatureHeader)
	if s.Cert != nil {
		out.Certificate = base64.StdEncoding.EncodeToString(s.Cert.Raw)
		m.Set("TPP-Signature-Certificate", out.Certificate)
	}
	return out, nil
}

// checkKey refuses to sign with no key, a non-RSA key, a key that is not the
// certificate's, or, in the Berlin Group profile, without the certificate.
func (s *Signer) checkKey() error {
	if s.Key == nil {
		return errors.New("no private key to sign with")
	}
	pub, ok := s.Key.Public().(*rsa.PublicKey)
	if !ok {
		return fmt.Errorf("the key is %T; the Berlin Group profile signs with RSA only", s.Key.Public())
	}
	if s.Cert != nil {
		cpub, ok := s.Cert.PublicKey.(*rsa.PublicKey)
		if !ok || !cpub.Equal(pub) {
			return ErrKeyMismatch
		}
	} else if s.Profile == ProfileBerlinGroup {
		return errors.New("the Berlin Group profile needs the QSealC certificate (for keyId and TPP-Signature-Certificate)")
	}
	return nil
}

// algorithm is the one asked for, else the certificate's, else rsa-sha256.
// In the Berlin Group profile it warns when the choice is not what the bank
// derives from the certificate.
func (s *Signer) algorithm(out *Signed) (Algorithm, error) {
	alg := s.Algorithm
	if alg == "" {
		alg = RSASHA256
		if s.Cert != nil {
			if a, err := AlgorithmForCertificate(s.Cert); err == nil {
				alg = a
			}
		}
	}
	if alg.Hash() == 0 {
		return "", fmt.Errorf("cannot sign with algorithm %q (want rsa-sha256 or rsa-sha512)", alg)
	}
	if s.Cert != nil && s.Profile == ProfileBerlinGroup {
		if want, err := AlgorithmForCertificate(s.Cert); err != nil {
			out.Warnings = append(out.Warnings, err.Error())
		} else if want != alg {
			out.Warnings = append(out.Warnings, fmt.Sprintf("algorithm %s does not match the certificate's signature hash (%s); the bank expects %s", alg, s.Cert.SignatureAlgorithm, want))
		}
	}
	return alg, nil
}

// addHeaders adds the X-Request-ID and Date the signer was asked to add and
// the request lacks, before the header list is chosen from what is there.
func (s *Signer) addHeaders(m *httpmsg.Request, out *Signed) {
	if s.AddRequestID && !m.Has("X-Request-ID") {
		m.Set("X-Request-ID", uuid.NewString())
	}
	if s.SignDate && !m.Has("Date") {
		now := time.Now
		if s.Now != nil {
			now = s.Now
		}
		out.Date = now().UTC().Format(http.TimeFormat)
		m.Set("Date", out.Date)
	}
}

// headerList is the profile's list for m (Berlin Group), or the configured
// one lower-cased, "date" when none (generic); "date" is added when SignDate.
func (s *Signer) headerList(m *httpmsg.Request, out *Signed) ([]string, error) {
	if s.Profile == ProfileBerlinGroup {
		if !m.Has("X-Request-ID") {
			return nil, errors.New("the request has no X-Request-ID header, which the Berlin Group profile signs (add one, or let xs2a add a UUID)")
		}
		headers := BerlinGroupHeaders(m)
		if s.SignDate {
			headers = append(headers, "date")
		}
		return headers, nil
	}
	headers := make([]string, len(s.Headers))
	for i, h := range s.Headers {
		headers[i] = strings.ToLower(h)
	}
	if len(headers) == 0 {
		headers = []string{"date"}
	}
	if s.SignDate && !slices.Contains(headers, "date") {
		headers = append(headers, "date")
	}
	out.Warnings = append(out.Warnings, "generic mode: the header list is not checked against the Berlin Group profile")
	return headers, nil
}

// keyID is the override verbatim, else the certificate's keyId in the
// configured form (each part defaulted), which out records.
func (s *Signer) keyID(out *Signed) (string, error) {
	switch {
	case s.KeyIDOverride != "":
		return s.KeyIDOverride, nil
	case s.Cert != nil:
		f := s.KeyID
		if f.Serial == "" {
			f.Serial = DefaultKeyIDFormat.Serial
		}
		if f.DN == "" {
			f.DN = DefaultKeyIDFormat.DN
		}
		kid, err := KeyID(s.Cert, f)
		if err != nil {
			return "", err
		}
		out.KeyIDForm = f
		out.Serial = FormatSerial(s.Cert.SerialNumber, f.Serial)
		out.IssuerDN, _ = FormatDN(s.Cert.RawIssuer, DNRFC4514)
		return kid, nil
	default:
		return "", errors.New("no keyId: give a certificate or an explicit keyId")
	}
}

func signRaw(key crypto.Signer, h crypto.Hash, data []byte, r io.Reader) ([]byte, error) {
	if r == nil {
		r = rand.Reader
	}
	hh := h.New()
	hh.Write(data)
	sig, err := key.Sign(r, hh.Sum(nil), h)
	if err != nil {
		return nil, fmt.Errorf("signing: %w", err)
	}
	return sig, nil
}
