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
	"slices"
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
		return fmt.Errorf("NCA id %q is not 2 to 8 upper-case letters or digits (e.g. FINA in SE-FINA, BAFIN in DE-BAFIN)", o.NCAID)
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
	o, defect, err := o.withDefaults()
	if err != nil {
		return nil, err
	}
	b := &setBuilder{o: o, defect: defect, set: &Set{Break: o.Break}}
	// Backdate a little so a client whose clock lags still accepts them.
	b.notBefore = o.Now().Add(-5 * time.Minute).UTC().Truncate(time.Second)
	b.notAfter = b.notBefore.Add(time.Duration(o.Days) * 24 * time.Hour)
	// The order keys and serials are drawn in is part of the contract: two
	// sets from the same streams differ only in their defect.
	if err := b.ca(); err != nil {
		return nil, err
	}
	qwacIssuer := b.set.CA
	if o.Intermediate {
		if err := b.intermediate(); err != nil {
			return nil, err
		}
		qwacIssuer = b.set.Intermediate
	}
	domain := o.Org.Domain
	if domain == "" {
		domain = DefaultOrg.Domain
	}
	if b.set.QWAC, err = b.leaf("qwac", &x509.Certificate{
		Subject: pkix.Name{CommonName: domain}, DNSNames: []string{domain},
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth, x509.ExtKeyUsageServerAuth},
	}, QcTypeWeb, qwacIssuer); err != nil {
		return nil, err
	}
	if b.set.QSeal, err = b.leaf("qseal", &x509.Certificate{
		Subject:  pkix.Name{CommonName: o.Org.Name},
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment,
	}, QcTypeESeal, b.set.CA); err != nil {
		return nil, err
	}
	if err := b.server(); err != nil {
		return nil, err
	}
	return b.set, nil
}

// withDefaults fills the options left zero and refuses the ones a bank (or
// this package) cannot use; it returns the defect Break names.
func (o Options) withDefaults() (Options, Defect, error) {
	if err := o.Org.Validate(); err != nil {
		return o, Defect{}, err
	}
	var defect Defect
	if o.Break != "" {
		var err error
		if defect, err = LookupDefect(o.Break); err != nil {
			return o, Defect{}, err
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
	if !slices.Contains(ValidKeySizes, o.KeySize) {
		return o, Defect{}, fmt.Errorf("key size %d is not one of 2048, 3072, 4096", o.KeySize)
	}
	if o.Days == 0 {
		o.Days = 365
	}
	if o.Days < 1 || o.Days > 3650 {
		return o, Defect{}, fmt.Errorf("validity of %d days is outside 1..3650", o.Days)
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
	if o.KeyGen == nil {
		r := o.Rand
		o.KeyGen = func(bits int) (*rsa.PrivateKey, error) { return rsa.GenerateKey(r, bits) }
	}
	return o, defect, nil
}

// setBuilder issues one set's certificates from options with their
// defaults, in order: CA, intermediate, QWAC, QSealC, server.
type setBuilder struct {
	o                   Options
	defect              Defect
	set                 *Set
	notBefore, notAfter time.Time
}

// leafSpec is what a TPP certificate (QWAC or QSealC) is made from: good
// until a Defect's apply breaks it.
type leafSpec struct {
	tmpl         *x509.Certificate
	statements   StatementsSpec
	noStatements bool // no qcStatements extension at all
	bits         int
	issuer       *Issued // nil: self-signed
}

// newKey generates a key, counting the time it takes in the set.
func (b *setBuilder) newKey(bits int) (*rsa.PrivateKey, error) {
	t := time.Now()
	k, err := b.o.KeyGen(bits)
	b.set.KeyGenTime += time.Since(t)
	return k, err
}

// ca is the self-signed root; it may sign CAs only when there is an
// intermediate.
func (b *setBuilder) ca() error {
	key, err := b.newKey(b.o.KeySize)
	if err != nil {
		return err
	}
	skid, err := subjectKeyID(key)
	if err != nil {
		return err
	}
	tmpl := &x509.Certificate{
		Subject: pkix.Name{CommonName: caName("xs2a Test QTSP CA", skid), Organization: []string{"xs2a test trust service (not qualified)"},
			Country: []string{b.o.Org.Country}},
		SubjectKeyId: skid,
		NotBefore:    b.notBefore, NotAfter: b.notAfter.Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, MaxPathLenZero: !b.o.Intermediate,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	if b.o.Intermediate {
		tmpl.MaxPathLen = 1
	}
	b.set.CA, err = issue(b.o.Serials, tmpl, nil, key, nil)
	return err
}

// subjectKeyID is the key identifier of a CA's key, RFC 5280 4.2.1.2
// method 1 (KeyID computes the same for a CA without one).
func subjectKeyID(key *rsa.PrivateKey) ([]byte, error) {
	spki, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		return nil, err
	}
	return spkiSHA1(spki), nil
}

// caName is a test CA's common name: base and the start of its key id.
// Every set has a CA of its own key; one name for all of them made two
// sets mixed up look like a missing intermediate ("crypto/rsa:
// verification error" under an unknown authority), where the name now
// tells them apart and FindLookalike says which is which.
func caName(base string, skid []byte) string {
	return fmt.Sprintf("%s %x", base, skid[:4])
}

// generatedRootRE matches the name caName gives a generated set's root.
var generatedRootRE = regexp.MustCompile(`^xs2a Test QTSP CA [0-9a-f]{8}$`)

// IsGeneratedRoot reports whether cn is the name of a root GenerateSet
// made: a certificate it issued belongs to a set of its own, with no
// intermediate between.
func IsGeneratedRoot(cn string) bool { return generatedRootRE.MatchString(cn) }

// intermediate is the issuing CA under the root that signs the QWAC, as
// real QTSPs do.
func (b *setBuilder) intermediate() error {
	key, err := b.newKey(b.o.KeySize)
	if err != nil {
		return err
	}
	skid, err := subjectKeyID(key)
	if err != nil {
		return err
	}
	root := b.set.CA.Cert.Subject
	b.set.Intermediate, err = issue(b.o.Serials, &x509.Certificate{
		Subject: pkix.Name{CommonName: caName("xs2a Test QTSP Issuing CA", skid), Organization: root.Organization,
			Country: root.Country},
		SubjectKeyId: skid,
		NotBefore:    b.notBefore, NotAfter: b.notAfter.Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, MaxPathLenZero: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}, b.set.CA, key, b.set.CA.Key)
	return err
}

// leaf makes the QWAC or the QSealC (cert) from its good template, then
// builds in the defect when it concerns this certificate.
func (b *setBuilder) leaf(cert string, tmpl *x509.Certificate, t QcType, issuer *Issued) (*Issued, error) {
	o := b.o
	tmpl.Subject = pkix.Name{CommonName: tmpl.Subject.CommonName, Organization: []string{o.Org.Name}, Country: []string{o.Org.Country},
		ExtraNames: []pkix.AttributeTypeAndValue{{Type: OIDOrganizationID, Value: o.Org.OrganizationIdentifier()}}}
	tmpl.NotBefore, tmpl.NotAfter = b.notBefore, b.notAfter
	l := &leafSpec{
		tmpl:       tmpl,
		statements: StatementsSpec{Type: t, Roles: o.Roles, NCAName: o.Org.NCAName, NCAID: o.Org.NCAIdentifier()},
		bits:       o.KeySize,
		issuer:     issuer,
	}
	if b.defect.apply != nil && b.defect.Applies(cert) {
		b.defect.apply(l)
	}
	if !l.noStatements {
		v, err := MarshalQCStatements(l.statements)
		if err != nil {
			return nil, err
		}
		tmpl.ExtraExtensions = []pkix.Extension{{Id: OIDQCStatements, Value: v}}
	}
	key, err := b.newKey(l.bits)
	if err != nil {
		return nil, err
	}
	if l.issuer == nil {
		return issue(o.Serials, tmpl, nil, key, nil)
	}
	return issue(o.Serials, tmpl, l.issuer, key, l.issuer.Key)
}

// server is the sandbox bank's TLS certificate for localhost, from the CA.
func (b *setBuilder) server() error {
	key, err := b.newKey(b.o.KeySize)
	if err != nil {
		return err
	}
	b.set.Server, err = issue(b.o.Serials, &x509.Certificate{
		Subject:  pkix.Name{CommonName: "localhost", Organization: []string{"xs2a sandbox ASPSP"}},
		DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		NotBefore: b.notBefore, NotAfter: b.notAfter,
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}, b.set.CA, key, b.set.CA.Key)
	return err
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
