package qcert

import (
	"crypto/x509"
	"fmt"
	"strings"
	"time"
)

// Defect is one way a TPP certificate gets refused by a bank, made on
// purpose by GenerateSet (Options.Break) so a client's error handling can
// be tested against the sandbox or a bank's.
type Defect struct {
	Name string `json:"name"`
	What string `json:"what"`
	// Certs is which certificate carries it: qwac, qseal or both.
	Certs string `json:"certificates"`
	// Code is the Berlin Group code a bank answers.
	Code string `json:"code"`
	// apply builds the defect into a good leaf (the QWAC or the QSealC it
	// concerns) before it is issued; nil for missing-intermediate, which
	// breaks the set (qwac.pem), not a certificate.
	apply func(*leafSpec)
}

// Applies reports whether the defect goes into the certificate named cert
// (qwac or qseal).
func (d Defect) Applies(cert string) bool { return d.Certs == "both" || d.Certs == cert }

// Defect names.
const (
	DefectExpired             = "expired"
	DefectNotYetValid         = "not-yet-valid"
	DefectNoQCStatements      = "no-qcstatements"
	DefectPSD2Unwrapped       = "psd2-unwrapped"
	DefectNoQcType            = "no-qctype"
	DefectWebQcTypeOnSeal     = "web-qctype-on-seal"
	DefectNoPSPAI             = "no-psp-ai"
	DefectNoOrgID             = "no-org-id"
	DefectWrongKeyUsage       = "wrong-key-usage"
	DefectNoClientAuth        = "no-client-auth"
	DefectRSA1024             = "rsa-1024"
	DefectSelfSigned          = "self-signed"
	DefectMissingIntermediate = "missing-intermediate"
	DefectCAAsLeaf            = "ca-as-leaf"
)

// Defects are what `xs2a certs generate --break` can make, in the order a
// bank's checks tend to meet them. A new defect is one row here: its name,
// what it is, where it goes, the bank's code, and how it breaks a leaf.
var Defects = []Defect{
	{DefectExpired, "validity ended yesterday", "both", "CERTIFICATE_EXPIRED", func(l *leafSpec) {
		validity := l.tmpl.NotAfter.Sub(l.tmpl.NotBefore)
		l.tmpl.NotAfter = l.tmpl.NotBefore.Add(-24 * time.Hour)
		l.tmpl.NotBefore = l.tmpl.NotAfter.Add(-validity)
	}},
	{DefectNotYetValid, "validity starts in 7 days", "both", "CERTIFICATE_INVALID", func(l *leafSpec) {
		l.tmpl.NotBefore = l.tmpl.NotBefore.Add(7 * 24 * time.Hour)
		if !l.tmpl.NotAfter.After(l.tmpl.NotBefore) {
			l.tmpl.NotAfter = l.tmpl.NotBefore.Add(24 * time.Hour)
		}
	}},
	{DefectNoQCStatements, "no qcStatements extension: not an eIDAS certificate", "both", "CERTIFICATE_INVALID",
		func(l *leafSpec) { l.noStatements = true }},
	{DefectPSD2Unwrapped, "PSD2 statement's roles and NCA not wrapped in a SEQUENCE (a known generator bug)", "both", "CERTIFICATE_INVALID",
		func(l *leafSpec) { l.statements.NoPSD2Wrap = true }},
	{DefectNoQcType, "no QcType statement", "both", "CERTIFICATE_INVALID",
		func(l *leafSpec) { l.statements.Type = "" }},
	{DefectWebQcTypeOnSeal, "QcType web (a QWAC's) on the QSealC", "qseal", "CERTIFICATE_INVALID",
		func(l *leafSpec) { l.statements.Type = QcTypeWeb }},
	{DefectNoPSPAI, "PSD2 roles without PSP_AI (the other roles asked for; PSP_PI by default)", "both", "ROLE_INVALID", func(l *leafSpec) {
		var roles []Role
		for _, r := range l.statements.Roles {
			if r != RoleAI {
				roles = append(roles, r)
			}
		}
		if len(roles) == 0 {
			roles = []Role{RolePI}
		}
		l.statements.Roles = roles
	}},
	{DefectNoOrgID, "no organizationIdentifier (2.5.4.97) in the subject", "both", "CERTIFICATE_INVALID",
		func(l *leafSpec) { l.tmpl.Subject.ExtraNames = nil }},
	{DefectWrongKeyUsage, "keyUsage keyEncipherment only: the QWAC lacks digitalSignature, the QSealC digitalSignature and nonRepudiation", "both", "CERTIFICATE_INVALID",
		func(l *leafSpec) { l.tmpl.KeyUsage = x509.KeyUsageKeyEncipherment }},
	{DefectNoClientAuth, "extended key usage serverAuth only, no clientAuth", "qwac", "CERTIFICATE_INVALID",
		func(l *leafSpec) { l.tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth} }},
	{DefectRSA1024, "a 1024-bit RSA key", "both", "CERTIFICATE_INVALID",
		func(l *leafSpec) { l.bits = 1024 }},
	{DefectSelfSigned, "signed by its own key, not by the CA", "both", "CERTIFICATE_INVALID",
		func(l *leafSpec) { l.issuer = nil }},
	{DefectMissingIntermediate, "issued by an intermediate CA that qwac.pem lacks (intermediate.pem holds it)", "qwac", "CERTIFICATE_INVALID", nil},
	{DefectCAAsLeaf, "a CA certificate (basicConstraints CA:TRUE, keyUsage keyCertSign) in the TPP's place", "both", "CERTIFICATE_INVALID", func(l *leafSpec) {
		l.tmpl.BasicConstraintsValid, l.tmpl.IsCA = true, true
		l.tmpl.KeyUsage |= x509.KeyUsageCertSign
	}},
}

// DefectNames lists the names of Defects.
func DefectNames() []string {
	out := make([]string, len(Defects))
	for i, d := range Defects {
		out[i] = d.Name
	}
	return out
}

// LookupDefect finds a defect by name; the error lists the known ones.
func LookupDefect(name string) (Defect, error) {
	for _, d := range Defects {
		if d.Name == name {
			return d, nil
		}
	}
	return Defect{}, fmt.Errorf("unknown defect %q (want one of %s)", name, strings.Join(DefectNames(), ", "))
}
