package sandbox

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/xs2a-dev/xs2a/pkg/httpsig"
	"github.com/xs2a-dev/xs2a/pkg/qcert"
)

// TPP is who a request comes from, as its QWAC says: its
// organizationIdentifier together with the trusted CA its QWAC chains to.
// Any CA given with --trust can put any organizationIdentifier in a
// certificate; a QWAC from another CA naming the same organisation is
// another TPP, with none of the first one's apps, consents, tokens or
// rejection records.
type TPP struct {
	OrganizationID string // organizationIdentifier, e.g. PSDFI-FINFSA-1234567-8
	// CA is the trusted CA the QWAC chains to: caID of its public key.
	CA string
	// Key is OrganizationID and CA together: what limits and records are
	// kept by.
	Key  string
	Name string // subject O
	// Thumbprint is the base64url SHA-256 of the QWAC (RFC 8705 x5t#S256),
	// what tokens are bound to.
	Thumbprint string
	Cert       *x509.Certificate
}

// caID names a CA by its public key (hex SHA-256 of the
// SubjectPublicKeyInfo), which, unlike its name or key identifier, another
// CA cannot copy.
func caID(ca *x509.Certificate) string {
	sum := sha256.Sum256(ca.RawSubjectPublicKeyInfo)
	return hex.EncodeToString(sum[:])
}

// tppKey is a TPP's key: its organisation and its CA.
func tppKey(org, ca string) string { return org + " " + ca }

// anchorOf is caID of the trusted CA that c (with the intermediates in
// chain) chains to, at a time within c's validity, so that a certificate
// refused for its dates or content is still attributed to its CA; "" when
// no trusted CA issued it.
func (s *Server) anchorOf(c *x509.Certificate, chain []*x509.Certificate) string {
	inter := x509.NewCertPool()
	for _, ic := range chain {
		inter.AddCert(ic)
	}
	at := s.now()
	if at.Before(c.NotBefore) || at.After(c.NotAfter) {
		at = c.NotBefore
	}
	chains, err := c.Verify(x509.VerifyOptions{Roots: s.trust, Intermediates: inter, CurrentTime: at,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}})
	if err != nil || len(chains) == 0 {
		return ""
	}
	ch := chains[0]
	return caID(ch[len(ch)-1])
}

func thumbprint(c *x509.Certificate) string {
	sum := sha256.Sum256(c.Raw)
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

func subject(c *x509.Certificate) string {
	s, err := httpsig.FormatDN(c.RawSubject, httpsig.DNRFC4514)
	if err != nil {
		return c.Subject.String()
	}
	return s
}

// verdictTTL is how long a certificate's verdict is reused. A gateway checks
// the QWAC once per TLS connection; reusing the verdict per certificate for
// a few minutes does the same without tying it to connections, and keeps a
// chain verification (an RSA operation) off every request.
const verdictTTL = 5 * time.Minute

type verdict struct {
	err   *apiError
	ca    string // caID of the trusted CA the certificate chains to
	until time.Time
}

// checkPSD2Cert applies what the bank checks on a TPP certificate; use is
// "QWAC" or "QSealC". It returns the CA the certificate chains to, and nil
// or the Berlin Group error.
func (s *Server) checkPSD2Cert(c *x509.Certificate, chain []*x509.Certificate, use string, qtype qcert.QcType) (string, *apiError) {
	now := s.now()
	key := use + "/" + thumbprint(c)
	for _, ic := range chain {
		// The verdict depends on the intermediates sent with the leaf: the
		// same QWAC without its intermediate must be refused again.
		key += "+" + thumbprint(ic)
	}
	v, ok := s.verdict(key)
	if ok && now.Before(v.until) && !now.Before(c.NotBefore) {
		return v.ca, v.err
	}
	e := s.judgeCert(c, chain, use, qtype, now)
	ca := ""
	if e == nil {
		ca = s.anchorOf(c, chain)
	}
	until := now.Add(verdictTTL)
	if c.NotAfter.Before(until) {
		until = c.NotAfter
	}
	s.keepVerdict(key, verdict{err: e, ca: ca, until: until})
	return ca, e
}

func (s *Server) verdict(key string) (verdict, bool) {
	s.verdictMu.Lock()
	defer s.verdictMu.Unlock()
	v, ok := s.verdicts[key]
	return v, ok
}

func (s *Server) keepVerdict(key string, v verdict) {
	s.verdictMu.Lock()
	defer s.verdictMu.Unlock()
	if len(s.verdicts) >= 1024 {
		clear(s.verdicts)
	}
	s.verdicts[key] = v
}

func (s *Server) judgeCert(c *x509.Certificate, chain []*x509.Certificate, use string, qtype qcert.QcType, now time.Time) *apiError {
	inter := x509.NewCertPool()
	for _, ic := range chain {
		inter.AddCert(ic)
	}
	if now.After(c.NotAfter) {
		return reject(http.StatusUnauthorized, CodeCertificateExpired,
			fmt.Sprintf("the %s %q expired on %s", use, subject(c), c.NotAfter.UTC().Format(time.RFC3339)))
	}
	if now.Before(c.NotBefore) {
		return reject(http.StatusUnauthorized, CodeCertificateInvalid,
			fmt.Sprintf("the %s %q is not valid before %s", use, subject(c), c.NotBefore.UTC().Format(time.RFC3339)))
	}
	if _, err := c.Verify(x509.VerifyOptions{Roots: s.trust, Intermediates: inter, CurrentTime: now,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}); err != nil {
		issuer, _ := httpsig.FormatDN(c.RawIssuer, httpsig.DNRFC4514)
		if qcert.IsSelfSigned(c) {
			return reject(http.StatusUnauthorized, CodeCertificateInvalid,
				fmt.Sprintf("the %s %q is self-signed: a QTSP must issue it", use, subject(c)))
		}
		if l := qcert.FindLookalike(c, chain, s.trusted); l != nil {
			// Two test sets mixed: crypto/x509's "crypto/rsa: verification
			// error" and the missing-intermediate lead would both mislead.
			return reject(http.StatusUnauthorized, CodeCertificateInvalid,
				fmt.Sprintf("the %s %q is not issued by a CA this ASPSP trusts: %s", use, subject(c), l.Explain("the trusted CA")),
				"the sandbox trusts its own test CA (ca.pem of its --certs directory) and those given with --trust: point the profile at one set (xs2a certs check names the CA)")
		}
		hint := ""
		other := qcert.OtherCAs(c, chain, s.trusted, "the sandbox's trust list")
		if use == "QWAC" && len(chain) == 0 && other == "" {
			// A bank trusts QTSP roots (or the trusted list's issuing CAs)
			// and needs the client to send the rest of the chain. A QWAC
			// from another `certs generate` set (other) is issued by that
			// set's root, which no intermediate would help.
			hint = "; if an intermediate CA issued it, the intermediate is missing: send it after the QWAC in the TLS handshake (qwac.pem: the QWAC, then the intermediate)"
		}
		if other != "" {
			other = "; " + other
		}
		return reject(http.StatusUnauthorized, CodeCertificateInvalid,
			fmt.Sprintf("the %s %q is not issued by a QTSP this ASPSP trusts (issuer %q): %v; the sandbox trusts its own test CA and those given with --trust%s%s", use, subject(c), issuer, err, other, hint))
	}
	if marks := qcert.CAMarks(c); len(marks) > 0 {
		return reject(http.StatusUnauthorized, CodeCertificateInvalid, fmt.Sprintf("the %s is a CA certificate (%s), not a TPP's own: a QTSP's CA issues %ss, it cannot be one", use, strings.Join(marks, ", "), use))
	}
	if kt, bits := qcert.KeyInfo(c); kt != "RSA" || bits < 2048 {
		return reject(http.StatusUnauthorized, CodeCertificateInvalid, fmt.Sprintf("the %s has a %d-bit %s key; RSA of at least 2048 bits is required", use, bits, kt))
	}
	if use == "QWAC" && len(c.ExtKeyUsage) > 0 && !slices.Contains(c.ExtKeyUsage, x509.ExtKeyUsageClientAuth) && !slices.Contains(c.ExtKeyUsage, x509.ExtKeyUsageAny) {
		return reject(http.StatusUnauthorized, CodeCertificateInvalid, "the QWAC's extended key usage lacks clientAuth")
	}
	if use == "QWAC" && c.KeyUsage != 0 && c.KeyUsage&x509.KeyUsageDigitalSignature == 0 {
		return reject(http.StatusUnauthorized, CodeCertificateInvalid, "the QWAC's key usage lacks digitalSignature, which TLS client authentication needs")
	}
	if use == "QSealC" && c.KeyUsage != 0 && c.KeyUsage&(x509.KeyUsageDigitalSignature|x509.KeyUsageContentCommitment) == 0 {
		return reject(http.StatusUnauthorized, CodeCertificateInvalid, "the QSealC's key usage has neither digitalSignature nor nonRepudiation")
	}
	qc, err := qcert.FromCertificate(c)
	switch {
	case err != nil:
		return reject(http.StatusUnauthorized, CodeCertificateInvalid, fmt.Sprintf("the %s's qcStatements cannot be decoded: %v", use, err))
	case qc == nil:
		return reject(http.StatusUnauthorized, CodeCertificateInvalid, fmt.Sprintf("the %s has no qcStatements extension: it is not an eIDAS PSD2 certificate", use))
	case len(qc.Problems) > 0:
		return reject(http.StatusUnauthorized, CodeCertificateInvalid, fmt.Sprintf("the %s's qcStatements are malformed: %s", use, strings.Join(qc.Problems, "; ")))
	case len(qc.Types) == 0:
		return reject(http.StatusUnauthorized, CodeCertificateInvalid, fmt.Sprintf("the %s has no QcType statement; it must declare QcType %s", use, qtype))
	case !qc.HasType(qtype):
		return reject(http.StatusUnauthorized, CodeCertificateInvalid, fmt.Sprintf("the %s has QcType %v; expected %s (did you swap the QWAC and the QSealC?)", use, qc.Types, qtype))
	case qc.PSD2 == nil:
		return reject(http.StatusUnauthorized, CodeRoleInvalid, fmt.Sprintf("the %s has no PSD2 QCStatement with the roles of the PSP", use))
	case len(qc.PSD2.Roles) == 0:
		return reject(http.StatusUnauthorized, CodeRoleInvalid, fmt.Sprintf("the %s's PSD2 QCStatement names no role of the PSP", use))
	}
	switch org := qcert.OrganizationIdentifier(c); {
	case org == "":
		return reject(http.StatusUnauthorized, CodeCertificateInvalid, fmt.Sprintf("the %s has no organizationIdentifier (2.5.4.97) in its subject", use))
	case len(org) > maxOrgIDLen:
		// It keys the TPP's day count in the data file, whose keys are at
		// most 32 KiB: one such QWAC made every later change fail.
		return reject(http.StatusUnauthorized, CodeCertificateInvalid, fmt.Sprintf("the %s's organizationIdentifier is %d bytes long; at most %d (e.g. PSDFI-FINFSA-1234567-8, ETSI EN 319 412-1 section 5.1.4)", use, len(org), maxOrgIDLen))
	}
	return nil
}

// maxOrgIDLen bounds an organizationIdentifier: "PSD", a country, an NCA and
// its authorisation number are some 30 characters.
const maxOrgIDLen = 256

// tppFromTLS identifies the TPP by its QWAC (lenient mode answers over HTTP
// what a gateway would otherwise refuse in the handshake).
func (s *Server) tppFromTLS(r *http.Request) (*TPP, *apiError) {
	if r.TLS == nil || len(r.TLS.PeerCertificates) == 0 {
		return nil, reject(http.StatusUnauthorized, CodeCertificateMissing,
			"no client certificate was presented in the TLS handshake: connect with the QWAC (curl --cert qwac.pem --key qwac.key)")
	}
	c := r.TLS.PeerCertificates[0]
	ca, e := s.checkPSD2Cert(c, r.TLS.PeerCertificates[1:], "QWAC", qcert.QcTypeWeb)
	if e != nil {
		return nil, e
	}
	org := qcert.OrganizationIdentifier(c)
	return &TPP{OrganizationID: org, CA: ca, Key: tppKey(org, ca), Name: strings.Join(c.Subject.Organization, ", "),
		Thumbprint: thumbprint(c), Cert: c}, nil
}

// DefaultRoles are the PSD2 roles of the certificates the sandbox makes for
// itself: every service it serves, so its own set works for AIS, PIS and
// PIIS alike (`certs generate --roles` makes sets that lack some).
var DefaultRoles = []qcert.Role{qcert.RoleAI, qcert.RolePI, qcert.RoleIC}

// roleFor is the PSD2 role a path needs and the service's name: the
// certificate's roles are what the NCA authorised the TPP for (EBA RTS
// art. 34), so a PSP_AI-only TPP may not initiate payments. The verdict
// of a certificate (checkPSD2Cert) is kept per certificate, the role per
// path, so the two are apart. "" is a path that needs none beyond the
// PSD2 statement (the rejection reports).
func roleFor(path string) (qcert.Role, string) {
	under := func(prefix string) bool { return path == prefix || strings.HasPrefix(path, prefix+"/") }
	switch {
	case under("/v1/funds-confirmations"), under("/v2/funds-confirmations"), under("/v2/consents/confirmation-of-funds"):
		return qcert.RoleIC, "confirmation of funds"
	case under("/v1/payments"), under("/v1/periodic-payments"), under("/v1/bulk-payments"), under("/v1/signing-baskets"):
		return qcert.RolePI, "payment initiation"
	case under("/v1/consents"), under("/v1/accounts"), under("/v1/card-accounts"):
		return qcert.RoleAI, "account information"
	}
	return "", ""
}

// checkRole refuses a certificate (use: QWAC or QSealC) whose PSD2 roles
// lack the one the path needs, naming it: ROLE_INVALID, 401 as the file's
// certificate codes are.
func checkRole(cert *x509.Certificate, use, path string) *apiError {
	role, service := roleFor(path)
	if role == "" || cert == nil {
		return nil
	}
	qc, err := qcert.FromCertificate(cert)
	if err != nil || qc == nil || qc.PSD2 == nil {
		return reject(http.StatusUnauthorized, CodeRoleInvalid, fmt.Sprintf("the %s has no PSD2 QCStatement with the roles of the PSP; %s needs %s", use, service, role))
	}
	if qc.HasRole(role) {
		return nil
	}
	var names []string
	for _, r := range qc.PSD2.Roles {
		names = append(names, r.Name)
	}
	return reject(http.StatusUnauthorized, CodeRoleInvalid, fmt.Sprintf("the %s's PSD2 roles %v do not include %s, which %s needs", use, names, role, service))
}
