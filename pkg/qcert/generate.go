package qcert

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"regexp"
	"strings"
	"time"
)

// Org describes the TPP as its certificates name it.
type Org struct {
	Name       string // subject O
	Country    string // subject C, two letters
	NCAID      string // NCA abbreviation, e.g. FINFSA
	NCAName    string // e.g. "Finnish Financial Supervisory Authority"
	AuthNumber string // authorisation number at the NCA
	Domain     string // QWAC common name and DNS name
}

// OrganizationIdentifier is "PSD" + country + "-" + NCA + "-" + number.
func (o Org) OrganizationIdentifier() string {
	return "PSD" + o.Country + "-" + o.NCAID + "-" + o.AuthNumber
}

// NCAIdentifier is the PSD2 statement's nCAId: country + "-" + NCA.
func (o Org) NCAIdentifier() string { return o.Country + "-" + o.NCAID }

// DefaultOrg is a plausible Finnish test TPP.
var DefaultOrg = Org{
	Name: "Example TPP Oy", Country: "FI", NCAID: "FINFSA",
	NCAName: "Finnish Financial Supervisory Authority", AuthNumber: "1234567-8", Domain: "tpp.example",
}

var (
	countryRE = regexp.MustCompile(`^[A-Z]{2}$`)
	ncaRE     = regexp.MustCompile(`^[A-Z0-9]{2,8}$`)
)

// Validate reports the first field that a bank would refuse.
func (o Org) Validate() error {
	switch {
	case strings.TrimSpace(o.Name) == "":
		return errors.New("organisation name (--org) is empty")
	case !countryRE.MatchString(o.Country):
		return fmt.Errorf("country %q is not two upper-case letters (ISO 3166, e.g. FI)", o.Country)
	case !ncaRE.MatchString(o.NCAID):
		return fmt.Errorf("NCA id %q is not 2 to 8 upper-case letters or digits (e.g. FINFSA, BAFIN)", o.NCAID)
	case strings.TrimSpace(o.AuthNumber) == "" || strings.ContainsAny(o.AuthNumber, " ,"):
		return fmt.Errorf("authorisation number %q is empty or has spaces or commas", o.AuthNumber)
	case strings.TrimSpace(o.NCAName) == "":
		return errors.New("NCA name (--nca-name) is empty")
	}
	return nil
}

// Options for GenerateSet.
type Options struct {
	Org     Org
	Roles   []Role
	KeySize int // 2048, 3072 or 4096
	Days    int
	Now     func() time.Time
	Rand    io.Reader
	// KeyGen, when set, replaces RSA key generation (benchmarks and tests
	// reuse keys this way; generation dominates the cost).
	KeyGen func(bits int) (*rsa.PrivateKey, error)
	// Serials is where serial numbers come from (default Rand); tests make
	// two sets that differ only in a defect by giving both the same stream.
	Serials io.Reader
	// Intermediate issues the QWAC from an intermediate CA under the root,
	// as real QTSPs do; qwac.pem then carries the intermediate after the
	// QWAC.
	Intermediate bool
	// Break names a Defect to build into the certificate(s) it concerns;
	// the rest of the set stays good.
	Break string
}

// Issued is one certificate with its key.
type Issued struct {
	Cert *x509.Certificate
	Key  *rsa.PrivateKey
}

// CertPEM is the certificate in PEM.
func (i *Issued) CertPEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: i.Cert.Raw})
}

// KeyPEM is the key as an unencrypted PKCS#8 PEM block.
func (i *Issued) KeyPEM() []byte {
	der, err := x509.MarshalPKCS8PrivateKey(i.Key)
	if err != nil {
		panic(err) // an RSA key always marshals
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
}

// Set is a complete test certificate set.
type Set struct {
	CA, QWAC, QSeal, Server *Issued
	// Intermediate issued the QWAC when Options.Intermediate was set (or
	// Break was missing-intermediate); nil otherwise.
	Intermediate *Issued
	// Break is the defect built in, "" for a good set.
	Break string
	// KeyGenTime is the part of the time spent generating keys.
	KeyGenTime time.Duration
}

// ValidKeySizes are the RSA sizes GenerateSet accepts.
var ValidKeySizes = []int{2048, 3072, 4096}

// GenerateSet makes a CA, a QWAC, a QSealC and a sandbox server certificate.
func GenerateSet(o Options) (*Set, error) {
	if err := o.Org.Validate(); err != nil {
		return nil, err
	}
	var defect Defect
	if o.Break != "" {
		var err error
		if defect, err = LookupDefect(o.Break); err != nil {
			return nil, err
		}
		if o.Break == DefectMissingIntermediate {
			o.Intermediate = true
		}
	}
	if len(o.Roles) == 0 {
		o.Roles = []Role{RoleAI}
	}
	if o.KeySize == 0 {
		o.KeySize = 2048
	}
	okSize := false
	for _, s := range ValidKeySizes {
		okSize = okSize || s == o.KeySize
	}
	if !okSize {
		return nil, fmt.Errorf("key size %d is not one of 2048, 3072, 4096", o.KeySize)
	}
	if o.Days == 0 {
		o.Days = 365
	}
	if o.Days < 1 || o.Days > 3650 {
		return nil, fmt.Errorf("validity of %d days is outside 1..3650", o.Days)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Rand == nil {
		o.Rand = rand.Reader
	}
	if o.Serials == nil {
		o.Serials = o.Rand
	}
	keygen := o.KeyGen
	if keygen == nil {
		keygen = func(bits int) (*rsa.PrivateKey, error) { return rsa.GenerateKey(o.Rand, bits) }
	}
	set := &Set{Break: o.Break}
	newKey := func(bits int) (*rsa.PrivateKey, error) {
		t := time.Now()
		k, err := keygen(bits)
		set.KeyGenTime += time.Since(t)
		return k, err
	}
	// Backdate a little so a client whose clock lags still accepts them.
	notBefore := o.Now().Add(-5 * time.Minute).UTC().Truncate(time.Second)
	notAfter := notBefore.Add(time.Duration(o.Days) * 24 * time.Hour)

	caKey, err := newKey(o.KeySize)
	if err != nil {
		return nil, err
	}
	caTmpl := &x509.Certificate{
		Subject: pkix.Name{CommonName: "xs2a Test QTSP CA", Organization: []string{"xs2a test trust service (not qualified)"},
			Country: []string{o.Org.Country}},
		NotBefore: notBefore, NotAfter: notAfter.Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, MaxPathLenZero: !o.Intermediate,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	if o.Intermediate {
		caTmpl.MaxPathLen = 1
	}
	ca, err := issue(o.Serials, caTmpl, nil, caKey, nil)
	if err != nil {
		return nil, err
	}
	set.CA = ca
	qwacIssuer := ca
	if o.Intermediate {
		k, err := newKey(o.KeySize)
		if err != nil {
			return nil, err
		}
		set.Intermediate, err = issue(o.Serials, &x509.Certificate{
			Subject: pkix.Name{CommonName: "xs2a Test QTSP Issuing CA", Organization: caTmpl.Subject.Organization,
				Country: caTmpl.Subject.Country},
			NotBefore: notBefore, NotAfter: notAfter.Add(24 * time.Hour),
			IsCA: true, BasicConstraintsValid: true, MaxPathLenZero: true,
			KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		}, ca, k, caKey)
		if err != nil {
			return nil, err
		}
		qwacIssuer = set.Intermediate
	}

	breaks := func(cert string) string {
		if defect.Name != "" && defect.Applies(cert) {
			return defect.Name
		}
		return ""
	}
	tppSubject := func(cn, brk string) pkix.Name {
		n := pkix.Name{CommonName: cn, Organization: []string{o.Org.Name}, Country: []string{o.Org.Country}}
		if brk != DefectNoOrgID {
			n.ExtraNames = []pkix.AttributeTypeAndValue{{Type: OIDOrganizationID, Value: o.Org.OrganizationIdentifier()}}
		}
		return n
	}
	// leaf makes the QWAC or the QSealC from its good template, then builds
	// in the defect when it concerns this certificate.
	leaf := func(cert string, tmpl *x509.Certificate, t QcType, issuer *Issued) (*Issued, error) {
		brk := breaks(cert)
		tmpl.Subject = tppSubject(tmpl.Subject.CommonName, brk)
		tmpl.NotBefore, tmpl.NotAfter = notBefore, notAfter
		spec := StatementsSpec{Type: t, Roles: o.Roles, NCAName: o.Org.NCAName, NCAID: o.Org.NCAIdentifier()}
		bits := o.KeySize
		switch brk {
		case DefectExpired:
			tmpl.NotAfter = notBefore.Add(-24 * time.Hour)
			tmpl.NotBefore = tmpl.NotAfter.Add(-time.Duration(o.Days) * 24 * time.Hour)
		case DefectNotYetValid:
			tmpl.NotBefore = notBefore.Add(7 * 24 * time.Hour)
			if !tmpl.NotAfter.After(tmpl.NotBefore) {
				tmpl.NotAfter = tmpl.NotBefore.Add(24 * time.Hour)
			}
		case DefectPSD2Unwrapped:
			spec.NoPSD2Wrap = true
		case DefectNoQcType:
			spec.Type = ""
		case DefectWebQcTypeOnSeal:
			spec.Type = QcTypeWeb
		case DefectNoPSPAI:
			spec.Roles = nil
			for _, r := range o.Roles {
				if r != RoleAI {
					spec.Roles = append(spec.Roles, r)
				}
			}
			if len(spec.Roles) == 0 {
				spec.Roles = []Role{RolePI}
			}
		case DefectWrongKeyUsage:
			tmpl.KeyUsage = x509.KeyUsageKeyEncipherment
		case DefectNoClientAuth:
			tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
		case DefectRSA1024:
			bits = 1024
		case DefectSelfSigned:
			issuer = nil
		case DefectCAAsLeaf:
			tmpl.BasicConstraintsValid, tmpl.IsCA = true, true
			tmpl.KeyUsage |= x509.KeyUsageCertSign
		}
		if brk != DefectNoQCStatements {
			v, err := MarshalQCStatements(spec)
			if err != nil {
				return nil, err
			}
			tmpl.ExtraExtensions = []pkix.Extension{{Id: OIDQCStatements, Value: v}}
		}
		key, err := newKey(bits)
		if err != nil {
			return nil, err
		}
		if issuer == nil {
			return issue(o.Serials, tmpl, nil, key, nil)
		}
		return issue(o.Serials, tmpl, issuer, key, issuer.Key)
	}

	domain := o.Org.Domain
	if domain == "" {
		domain = DefaultOrg.Domain
	}
	set.QWAC, err = leaf("qwac", &x509.Certificate{
		Subject: pkix.Name{CommonName: domain}, DNSNames: []string{domain},
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth, x509.ExtKeyUsageServerAuth},
	}, QcTypeWeb, qwacIssuer)
	if err != nil {
		return nil, err
	}
	set.QSeal, err = leaf("qseal", &x509.Certificate{
		Subject:  pkix.Name{CommonName: o.Org.Name},
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment,
	}, QcTypeESeal, ca)
	if err != nil {
		return nil, err
	}

	srvKey, err := newKey(o.KeySize)
	if err != nil {
		return nil, err
	}
	set.Server, err = issue(o.Serials, &x509.Certificate{
		Subject:  pkix.Name{CommonName: "localhost", Organization: []string{"xs2a sandbox ASPSP"}},
		DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		NotBefore: notBefore, NotAfter: notAfter,
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}, ca, srvKey, caKey)
	if err != nil {
		return nil, err
	}
	return set, nil
}

// QWACChain is what qwac.pem holds: the QWAC, then the intermediate that
// issued it unless the set is broken by leaving it out.
func (s *Set) QWACChain() []*x509.Certificate {
	chain := []*x509.Certificate{s.QWAC.Cert}
	if s.Intermediate != nil && s.Break != DefectMissingIntermediate {
		chain = append(chain, s.Intermediate.Cert)
	}
	return chain
}

// issue signs tmpl with the parent (self-signed when parent is nil).
func issue(serials io.Reader, tmpl *x509.Certificate, parent *Issued, key, parentKey *rsa.PrivateKey) (*Issued, error) {
	serial, err := randSerial(serials)
	if err != nil {
		return nil, err
	}
	tmpl.SerialNumber = serial
	tmpl.SignatureAlgorithm = x509.SHA256WithRSA
	p, pk := tmpl, key
	if parent != nil {
		p, pk = parent.Cert, parentKey
	}
	// PKCS #1 v1.5 signatures need no randomness: a set made from the same
	// keys and serials comes out byte for byte the same.
	der, err := x509.CreateCertificate(rand.Reader, tmpl, p, &key.PublicKey, pk)
	if err != nil {
		return nil, fmt.Errorf("creating certificate %q: %w", tmpl.Subject.CommonName, err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return &Issued{Cert: c, Key: key}, nil
}

// randSerial is a positive random serial of up to 128 bits, as CAs use (RFC
// 5280 allows 20 octets). About half have the high bit set, so the DER form
// of the keyId (leading 00) gets exercised.
func randSerial(r io.Reader) (*big.Int, error) {
	limit := new(big.Int).Lsh(big.NewInt(1), 128)
	for {
		n, err := rand.Int(r, limit)
		if err != nil {
			return nil, err
		}
		if n.Sign() > 0 {
			return n, nil
		}
	}
}
