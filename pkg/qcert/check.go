package qcert

import (
	"bytes"
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
)

// ServiceRoles maps each service to the PSP role it needs.
var ServiceRoles = map[string]Role{"ais": RoleAI, "pis": RolePI, "piis": RoleIC, "as": RoleAS}

// CheckInput is what a readiness check looks at.
type CheckInput struct {
	// QWAC and QSeal are the certificate files' contents: leaf first, then
	// any intermediates the file holds.
	QWAC, QSeal       []*x509.Certificate
	QWACKey, QSealKey *rsa.PrivateKey // optional
	Roots             *x509.CertPool  // nil: the system roots
	// RootCerts are the certificates in Roots, and RootsName what the
	// messages call them ("the bundle"): a CA among them named like a
	// certificate's issuer but of another key is said to be one.
	RootCerts []*x509.Certificate
	RootsName string
	Service   string // ais (default), pis, piis
	Now       time.Time
}

// Problem is one reason a bank would refuse the certificates.
type Problem struct {
	Cert string `json:"certificate"` // qwac, qseal or both
	Code string `json:"code"`        // the Berlin Group code a bank would answer, roughly
	Msg  string `json:"message"`
}

func (p Problem) String() string { return p.Cert + ": " + p.Msg }

var orgIDRE = regexp.MustCompile(`^PSD[A-Z]{2}-[A-Z0-9]{2,8}-.+$`)

// Check runs the readiness check before going live: chain, validity, key
// pairs, QcType per use, the role the service needs and one organisation.
func Check(in CheckInput) []Problem {
	svc := strings.ToLower(in.Service)
	if svc == "" {
		svc = "ais"
	}
	role, ok := ServiceRoles[svc]
	if !ok {
		return []Problem{{Cert: "both", Code: "PARAMETER_NOT_SUPPORTED", Msg: fmt.Sprintf("unknown service %q (want ais, pis or piis)", in.Service)}}
	}
	var ps []Problem
	for _, u := range []certUse{
		{"qwac", "QWAC", in.QWAC, in.QWACKey, QcTypeWeb, x509.ExtKeyUsageClientAuth},
		{"qseal", "QSealC", in.QSeal, in.QSealKey, QcTypeESeal, 0},
	} {
		if len(u.chain) == 0 {
			ps = append(ps, Problem{u.name, "CERTIFICATE_MISSING", "no certificate given"})
			continue
		}
		f := &findings{cert: u.name}
		f.chainAndKey(in, u)
		f.statements(u, role, svc)
		f.subjectAndUsage(u)
		ps = append(ps, f.ps...)
	}
	if len(in.QWAC) > 0 && len(in.QSeal) > 0 {
		a, b := OrganizationIdentifier(in.QWAC[0]), OrganizationIdentifier(in.QSeal[0])
		if a != b {
			ps = append(ps, Problem{"both", "CERTIFICATE_INVALID", fmt.Sprintf("organizationIdentifier differs: QWAC %q, QSealC %q (they must name the same TPP)", a, b)})
		}
		if !slices.Equal(in.QWAC[0].Subject.Organization, in.QSeal[0].Subject.Organization) {
			ps = append(ps, Problem{"both", "CERTIFICATE_INVALID", fmt.Sprintf("organisation differs: QWAC %q, QSealC %q", in.QWAC[0].Subject.Organization, in.QSeal[0].Subject.Organization)})
		}
	}
	return ps
}

// certUse is one of the TPP's certificates and what its use demands.
type certUse struct {
	name  string // qwac or qseal, as Problem.Cert names it
	title string // QWAC or QSealC, as messages name it
	chain []*x509.Certificate
	key   *rsa.PrivateKey
	qtype QcType
	eku   x509.ExtKeyUsage // 0: none required
}

// findings collects one certificate's problems, in the order a bank meets them.
type findings struct {
	cert string
	ps   []Problem
}

func (f *findings) add(code, format string, a ...any) {
	f.ps = append(f.ps, Problem{f.cert, code, fmt.Sprintf(format, a...)})
}

// chainAndKey: the chain to a trusted root, the validity period, an RSA key
// of 2048 bits or more, and the private key given, if any, the certificate's.
func (f *findings) chainAndKey(in CheckInput, u certUse) {
	c := u.chain[0]
	inter := x509.NewCertPool()
	for _, ic := range u.chain[1:] {
		inter.AddCert(ic)
	}
	if _, err := c.Verify(x509.VerifyOptions{Roots: in.Roots, Intermediates: inter, CurrentTime: in.Now,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}); err != nil {
		if l := FindLookalike(c, u.chain[1:], in.RootCerts); l != nil {
			name := in.RootsName
			if name == "" {
				name = "the bundle"
			}
			f.add("CERTIFICATE_INVALID", "chain does not verify: %s", l.Explain(name))
		} else if msg := chainProblem(c, u.chain[1:], err); msg != "" {
			f.add("CERTIFICATE_INVALID", "%s%s", msg, otherCAs(c, u.chain[1:], in))
		}
	}
	switch {
	case in.Now.Before(c.NotBefore):
		f.add("CERTIFICATE_INVALID", "not valid before %s", c.NotBefore.UTC().Format(time.RFC3339))
	case in.Now.After(c.NotAfter):
		f.add("CERTIFICATE_EXPIRED", "expired on %s", c.NotAfter.UTC().Format(time.DateOnly))
	}
	kt, bits := KeyInfo(c)
	if kt != "RSA" {
		f.add("CERTIFICATE_INVALID", "%s key; the Berlin Group profile needs RSA", kt)
	} else if bits < 2048 {
		f.add("CERTIFICATE_INVALID", "RSA key of %d bits; at least 2048 are required", bits)
	}
	if u.key != nil && !KeyMatches(c, u.key) {
		f.add("CERTIFICATE_INVALID", "the private key does not belong to this certificate")
	}
}

// statements: decodable eIDAS qcStatements with QcCompliance, the use's
// QcType, and a PSD2 statement with the role the service needs.
func (f *findings) statements(u certUse, role Role, svc string) {
	qc, err := FromCertificate(u.chain[0])
	switch {
	case err != nil:
		f.add("CERTIFICATE_INVALID", "qcStatements cannot be decoded: %v", err)
		return
	case qc == nil:
		f.add("CERTIFICATE_INVALID", "no qcStatements extension (not an eIDAS PSD2 certificate)")
		return
	}
	for _, p := range qc.Problems {
		f.add("CERTIFICATE_INVALID", "%s", p)
	}
	if !qc.Compliance {
		f.add("CERTIFICATE_INVALID", "no QcCompliance statement")
	}
	switch {
	case len(qc.Types) == 0:
		f.add("CERTIFICATE_INVALID", "no QcType statement; a %s must declare QcType %s", u.title, u.qtype)
	case !qc.HasType(u.qtype):
		f.add("CERTIFICATE_INVALID", "QcType is %s; a %s must be %s", typesString(qc.Types), u.title, u.qtype)
	}
	if qc.PSD2 != nil {
		c := u.chain[0]
		if m := NCAMismatch(strings.Join(c.Subject.Country, ","), OrganizationIdentifier(c), qc.PSD2.NCAID); m != "" {
			f.add("CERTIFICATE_INVALID", "%s", m)
		}
	}
	if qc.PSD2 == nil {
		f.add("ROLE_INVALID", "no PSD2 QCStatement (roles of the PSP, NCA)")
	} else if !qc.HasRole(role) {
		f.add("ROLE_INVALID", "roles %s do not include %s, needed for %s", rolesString(qc.PSD2.Roles), role, strings.ToUpper(svc))
	}
}

// subjectAndUsage: an end-entity certificate, a PSD2 organizationIdentifier,
// and the key usages its use needs (TLS client for the QWAC, sealing for
// the QSealC).
func (f *findings) subjectAndUsage(u certUse) {
	c := u.chain[0]
	if marks := CAMarks(c); len(marks) > 0 {
		f.add("CERTIFICATE_INVALID", "a CA certificate (%s), not a TPP's own: a QTSP's CA issues QWACs and QSealCs, it cannot be one", strings.Join(marks, ", "))
	}
	oid := OrganizationIdentifier(c)
	if oid == "" {
		f.add("CERTIFICATE_INVALID", "no organizationIdentifier (2.5.4.97) in the subject")
	} else if !orgIDRE.MatchString(oid) {
		f.add("CERTIFICATE_INVALID", "organizationIdentifier %q is not PSD<country>-<NCA>-<authorisation number>", oid)
	}
	if u.name == "qwac" && c.KeyUsage != 0 && c.KeyUsage&x509.KeyUsageDigitalSignature == 0 {
		f.add("CERTIFICATE_INVALID", "keyUsage lacks digitalSignature (has %s), so it cannot sign the TLS handshake", strings.Join(KeyUsageNames(c.KeyUsage), ", "))
	}
	if u.eku != 0 && len(c.ExtKeyUsage) > 0 && !slices.Contains(c.ExtKeyUsage, u.eku) && !slices.Contains(c.ExtKeyUsage, x509.ExtKeyUsageAny) {
		f.add("CERTIFICATE_INVALID", "extended key usage lacks clientAuth, so it cannot authenticate a TLS client")
	}
	if u.name == "qseal" && c.KeyUsage&(x509.KeyUsageDigitalSignature|x509.KeyUsageContentCommitment) == 0 {
		f.add("CERTIFICATE_INVALID", "keyUsage has neither digitalSignature nor nonRepudiation, so it cannot seal")
	}
}

// CAMarks lists what makes c a CA certificate (basicConstraints CA:TRUE,
// keyUsage keyCertSign); none for an end-entity certificate. A QWAC or
// QSealC is an end-entity certificate (ETSI EN 319 412-1/-3/-4): one that
// may issue certificates is refused whatever else it holds.
func CAMarks(c *x509.Certificate) []string {
	var m []string
	if c.BasicConstraintsValid && c.IsCA {
		m = append(m, "basicConstraints CA:TRUE")
	}
	if c.KeyUsage&x509.KeyUsageCertSign != 0 {
		m = append(m, "keyUsage keyCertSign")
	}
	return m
}

// chainProblem says why the chain does not verify, naming the usual
// causes; "" when the validity check below reports it already.
func chainProblem(c *x509.Certificate, inFile []*x509.Certificate, err error) string {
	var inv x509.CertificateInvalidError
	if errors.As(err, &inv) && inv.Reason == x509.Expired && inv.Cert != nil && inv.Cert.Equal(c) {
		return ""
	}
	var ua x509.UnknownAuthorityError
	if !errors.As(err, &ua) {
		return fmt.Sprintf("chain does not verify: %v", err)
	}
	if IsSelfSigned(c) {
		return fmt.Sprintf("chain does not verify: %v: the certificate is self-signed (issued by its own key, not by a QTSP)", err)
	}
	if len(inFile) == 0 {
		return fmt.Sprintf("chain does not verify: %v: its issuer %q is not a trusted CA and the file holds no intermediate certificate after it (missing intermediate, or the issuer's root given neither with --ca nor as the profile's ca_bundle)", err, c.Issuer.String())
	}
	return fmt.Sprintf("chain does not verify: %v: issuer %q", err, c.Issuer.String())
}

// otherCAs names the CAs the bundle holds when none of them has c's
// issuer's name: a set generated apart from the bundle's shows its own CA
// name here, which the "missing intermediate" lead alone would hide.
func otherCAs(c *x509.Certificate, inFile []*x509.Certificate, in CheckInput) string {
	name := in.RootsName
	if name == "" {
		name = "the bundle"
	}
	if s := OtherCAs(c, inFile, in.RootCerts, name); s != "" {
		return "; " + s
	}
	return ""
}

// IsSelfSigned reports whether c names itself as issuer and its own key
// verifies its signature. CheckSignatureFrom would refuse a leaf as its own
// parent (not a CA), so the signature is checked directly.
func IsSelfSigned(c *x509.Certificate) bool {
	return bytes.Equal(c.RawIssuer, c.RawSubject) && c.CheckSignature(c.SignatureAlgorithm, c.RawTBSCertificate, c.Signature) == nil
}

func typesString(ts []QcType) string {
	if len(ts) == 0 {
		return "absent"
	}
	s := make([]string, len(ts))
	for i, t := range ts {
		s[i] = string(t)
	}
	return strings.Join(s, ",")
}

func rolesString(rs []PSPRole) string {
	if len(rs) == 0 {
		return "(none)"
	}
	s := make([]string, len(rs))
	for i, r := range rs {
		s[i] = r.Name
	}
	return strings.Join(s, ",")
}
