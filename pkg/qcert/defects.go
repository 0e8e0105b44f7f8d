package qcert

import (
	"fmt"
	"strings"
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
// bank's checks tend to meet them.
var Defects = []Defect{
	{DefectExpired, "validity ended yesterday", "both", "CERTIFICATE_EXPIRED"},
	{DefectNotYetValid, "validity starts in 7 days", "both", "CERTIFICATE_INVALID"},
	{DefectNoQCStatements, "no qcStatements extension: not an eIDAS certificate", "both", "CERTIFICATE_INVALID"},
	{DefectPSD2Unwrapped, "PSD2 statement's roles and NCA not wrapped in a SEQUENCE (a known generator bug)", "both", "CERTIFICATE_INVALID"},
	{DefectNoQcType, "no QcType statement", "both", "CERTIFICATE_INVALID"},
	{DefectWebQcTypeOnSeal, "QcType web (a QWAC's) on the QSealC", "qseal", "CERTIFICATE_INVALID"},
	{DefectNoPSPAI, "PSD2 roles without PSP_AI (the other roles asked for; PSP_PI by default)", "both", "ROLE_INVALID"},
	{DefectNoOrgID, "no organizationIdentifier (2.5.4.97) in the subject", "both", "CERTIFICATE_INVALID"},
	{DefectWrongKeyUsage, "keyUsage keyEncipherment only: the QWAC lacks digitalSignature, the QSealC digitalSignature and nonRepudiation", "both", "CERTIFICATE_INVALID"},
	{DefectNoClientAuth, "extended key usage serverAuth only, no clientAuth", "qwac", "CERTIFICATE_INVALID"},
	{DefectRSA1024, "a 1024-bit RSA key", "both", "CERTIFICATE_INVALID"},
	{DefectSelfSigned, "signed by its own key, not by the CA", "both", "CERTIFICATE_INVALID"},
	{DefectMissingIntermediate, "issued by an intermediate CA that qwac.pem lacks (intermediate.pem holds it)", "qwac", "CERTIFICATE_INVALID"},
	{DefectCAAsLeaf, "a CA certificate (basicConstraints CA:TRUE, keyUsage keyCertSign) in the TPP's place", "both", "CERTIFICATE_INVALID"},
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
