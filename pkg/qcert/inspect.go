package qcert

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"fmt"
	"strings"
	"time"
)

// ExpiryWarning is how close to expiry a certificate gets a warning.
const ExpiryWarning = 30 * 24 * time.Hour

// Report is what inspection finds in one certificate.
type Report struct {
	Subject                string        `json:"subject"`
	Issuer                 string        `json:"issuer"`
	NotBefore              time.Time     `json:"not_before"`
	NotAfter               time.Time     `json:"not_after"`
	Validity               string        `json:"validity"` // valid, expires-soon, expired, not-yet-valid
	DaysLeft               int           `json:"days_left"`
	KeyType                string        `json:"key_type"`
	KeyBits                int           `json:"key_bits"`
	SignatureAlgorithm     string        `json:"signature_algorithm"`
	KeyUsage               []string      `json:"key_usage"`
	ExtKeyUsage            []string      `json:"ext_key_usage,omitempty"`
	IsCA                   bool          `json:"is_ca"`
	SelfSigned             bool          `json:"self_signed"`
	DNSNames               []string      `json:"dns_names,omitempty"`
	IPAddresses            []string      `json:"ip_addresses,omitempty"`
	OrganizationIdentifier string        `json:"organization_identifier,omitempty"`
	QCStatements           *QCStatements `json:"qc_statements,omitempty"`
	SHA256                 string        `json:"sha256_fingerprint"`
	Warnings               []string      `json:"warnings,omitempty"`
}

// Inspect reads what a bank looks at in a certificate.
func Inspect(c *x509.Certificate, now time.Time) *Report {
	r := &Report{
		Subject: c.Subject.String(), Issuer: c.Issuer.String(),
		NotBefore: c.NotBefore.UTC(), NotAfter: c.NotAfter.UTC(),
		SignatureAlgorithm: c.SignatureAlgorithm.String(),
		KeyUsage:           KeyUsageNames(c.KeyUsage), ExtKeyUsage: extKeyUsageNames(c),
		IsCA: c.IsCA, DNSNames: c.DNSNames,
		SelfSigned:             IsSelfSigned(c),
		OrganizationIdentifier: OrganizationIdentifier(c),
	}
	for _, ip := range c.IPAddresses {
		r.IPAddresses = append(r.IPAddresses, ip.String())
	}
	sum := sha256.Sum256(c.Raw)
	hx := make([]string, len(sum))
	for i, b := range sum {
		hx[i] = fmt.Sprintf("%02X", b)
	}
	r.SHA256 = strings.Join(hx, ":")
	r.KeyType, r.KeyBits = KeyInfo(c)
	r.DaysLeft = int(c.NotAfter.Sub(now).Hours() / 24)
	switch {
	case now.Before(c.NotBefore):
		r.Validity = "not-yet-valid"
		r.Warnings = append(r.Warnings, "not valid before "+c.NotBefore.UTC().Format(time.RFC3339))
	case now.After(c.NotAfter):
		r.Validity = "expired"
		r.Warnings = append(r.Warnings, fmt.Sprintf("expired on %s (%d days ago): banks answer CERTIFICATE_EXPIRED", c.NotAfter.UTC().Format(time.DateOnly), -r.DaysLeft))
	case c.NotAfter.Sub(now) < ExpiryWarning:
		r.Validity = "expires-soon"
		r.Warnings = append(r.Warnings, fmt.Sprintf("expires in %d days, on %s", r.DaysLeft, c.NotAfter.UTC().Format(time.DateOnly)))
	default:
		r.Validity = "valid"
	}
	if r.KeyType == "RSA" && r.KeyBits < 2048 {
		r.Warnings = append(r.Warnings, fmt.Sprintf("RSA key of %d bits: banks require at least 2048", r.KeyBits))
	} else if r.KeyType != "RSA" {
		r.Warnings = append(r.Warnings, r.KeyType+" key: the Berlin Group signature profile needs RSA")
	}
	qc, err := FromCertificate(c)
	if err != nil {
		r.Warnings = append(r.Warnings, "qcStatements cannot be decoded: "+err.Error())
	}
	r.QCStatements = qc
	if !c.IsCA {
		if qc == nil {
			r.Warnings = append(r.Warnings, "no qcStatements extension: not a PSD2 QWAC or QSealC")
		} else {
			r.Warnings = append(r.Warnings, qc.Problems...)
			if qc.PSD2 == nil {
				r.Warnings = append(r.Warnings, "no PSD2 QCStatement (roles, NCA)")
			}
		}
		if r.OrganizationIdentifier == "" {
			r.Warnings = append(r.Warnings, "no organizationIdentifier (2.5.4.97) in the subject")
		}
		if r.SelfSigned {
			r.Warnings = append(r.Warnings, "self-signed: banks accept only certificates a QTSP issued")
		}
	}
	return r
}

// KeyInfo names the key type and size.
func KeyInfo(c *x509.Certificate) (string, int) {
	switch k := c.PublicKey.(type) {
	case *rsa.PublicKey:
		return "RSA", k.N.BitLen()
	case *ecdsa.PublicKey:
		return "EC", k.Curve.Params().BitSize
	case ed25519.PublicKey:
		return "Ed25519", 256
	}
	return fmt.Sprintf("%T", c.PublicKey), 0
}

// KeyUsageNames lists keyUsage bits by their RFC 5280 names.
func KeyUsageNames(ku x509.KeyUsage) []string {
	names := []struct {
		b x509.KeyUsage
		n string
	}{
		{x509.KeyUsageDigitalSignature, "digitalSignature"}, {x509.KeyUsageContentCommitment, "nonRepudiation"},
		{x509.KeyUsageKeyEncipherment, "keyEncipherment"}, {x509.KeyUsageDataEncipherment, "dataEncipherment"},
		{x509.KeyUsageKeyAgreement, "keyAgreement"}, {x509.KeyUsageCertSign, "keyCertSign"},
		{x509.KeyUsageCRLSign, "cRLSign"}, {x509.KeyUsageEncipherOnly, "encipherOnly"}, {x509.KeyUsageDecipherOnly, "decipherOnly"},
	}
	var out []string
	for _, x := range names {
		if ku&x.b != 0 {
			out = append(out, x.n)
		}
	}
	return out
}

func extKeyUsageNames(c *x509.Certificate) []string {
	m := map[x509.ExtKeyUsage]string{
		x509.ExtKeyUsageServerAuth: "serverAuth", x509.ExtKeyUsageClientAuth: "clientAuth",
		x509.ExtKeyUsageCodeSigning: "codeSigning", x509.ExtKeyUsageEmailProtection: "emailProtection",
		x509.ExtKeyUsageTimeStamping: "timeStamping", x509.ExtKeyUsageOCSPSigning: "OCSPSigning",
		x509.ExtKeyUsageAny: "any",
	}
	var out []string
	for _, u := range c.ExtKeyUsage {
		if n, ok := m[u]; ok {
			out = append(out, n)
		} else {
			out = append(out, fmt.Sprintf("eku(%d)", u))
		}
	}
	for _, u := range c.UnknownExtKeyUsage {
		out = append(out, u.String())
	}
	return out
}

// KeyMatches reports whether key is the private half of the certificate's key.
func KeyMatches(c *x509.Certificate, key *rsa.PrivateKey) bool {
	pub, ok := c.PublicKey.(*rsa.PublicKey)
	return ok && pub.Equal(&key.PublicKey)
}
