package qcert_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"net"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xs2a-dev/xs2a/pkg/qcert"
)

// ---------------------------------------------------------------------------
// Shared fixtures: key generation dominates, so every set is made once per
// test binary from a pool of keys generated concurrently.

// acmeOrg is the brief's custom organisation, except that its NCA id is
// "FINA" (Finansinspektionen's identifier): "FINANSINSP" has 10 characters and
// ETSI TS 119 495 allows 2 to 8, so Org.Validate rightly refuses it (see
// TestOrgValidate).
var acmeOrg = qcert.Org{
	Name: "Acme Payments AB", Country: "SE", NCAID: "FINA",
	NCAName: "Finansinspektionen", AuthNumber: "44059", Domain: "acme.example",
}

var acmeRoles = []qcert.Role{qcert.RoleAI, qcert.RolePI, qcert.RoleIC}

const acmeDays = 90

type fixtures struct {
	now  time.Time  // the Now both sets were generated with
	def  *qcert.Set // DefaultOrg, roles [PSP_AI], 2048 bits, 365 days
	acme *qcert.Set // acmeOrg, acmeRoles, 3072 bits, acmeDays
	weak *rsa.PrivateKey
	ec   *ecdsa.PrivateKey
}

var (
	fixOnce sync.Once
	fix     *fixtures
	fixErr  error
)

// keyPool hands out pre-generated keys by size, generating more on demand.
type keyPool struct {
	mu   sync.Mutex
	keys map[int][]*rsa.PrivateKey
}

func (p *keyPool) gen(bits int) (*rsa.PrivateKey, error) {
	p.mu.Lock()
	if ks := p.keys[bits]; len(ks) > 0 {
		p.keys[bits] = ks[1:]
		p.mu.Unlock()
		return ks[0], nil
	}
	p.mu.Unlock()
	return rsa.GenerateKey(rand.Reader, bits)
}

func newKeyPool(sizes map[int]int) (*keyPool, error) {
	p := &keyPool{keys: map[int][]*rsa.PrivateKey{}}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var firstErr error
	for bits, n := range sizes {
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				k, err := rsa.GenerateKey(rand.Reader, bits)
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					firstErr = err
					return
				}
				p.keys[bits] = append(p.keys[bits], k)
			}()
		}
	}
	wg.Wait()
	return p, firstErr
}

func getFixtures(t testing.TB) *fixtures {
	t.Helper()
	fixOnce.Do(func() {
		pool, err := newKeyPool(map[int]int{2048: 4, 3072: 4, 1024: 1})
		if err != nil {
			fixErr = err
			return
		}
		f := &fixtures{now: time.Now()}
		clock := func() time.Time { return f.now }
		f.def, err = qcert.GenerateSet(qcert.Options{Org: qcert.DefaultOrg, Now: clock, KeyGen: pool.gen})
		if err != nil {
			fixErr = fmt.Errorf("default set: %w", err)
			return
		}
		f.acme, err = qcert.GenerateSet(qcert.Options{Org: acmeOrg, Roles: acmeRoles, KeySize: 3072, Days: acmeDays,
			Now: clock, KeyGen: pool.gen})
		if err != nil {
			fixErr = fmt.Errorf("acme set: %w", err)
			return
		}
		if f.weak, err = pool.gen(1024); err != nil {
			fixErr = err
			return
		}
		if f.ec, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
			fixErr = err
			return
		}
		fix = f
	})
	if fixErr != nil {
		t.Fatalf("generating the shared certificate sets: %v", fixErr)
	}
	return fix
}

func pool(cs ...*x509.Certificate) *x509.CertPool {
	p := x509.NewCertPool()
	for _, c := range cs {
		p.AddCert(c)
	}
	return p
}

// leafTemplate is a TPP certificate template like GenerateSet's, for building
// defective certificates by hand.
func leafTemplate(t *testing.T, set *qcert.Set, qt qcert.QcType, roles []qcert.Role, org qcert.Org) *x509.Certificate {
	t.Helper()
	tmpl := &x509.Certificate{
		Subject: pkix.Name{CommonName: org.Name, Organization: []string{org.Name}, Country: []string{org.Country},
			ExtraNames: []pkix.AttributeTypeAndValue{{Type: qcert.OIDOrganizationID, Value: org.OrganizationIdentifier()}}},
		NotBefore: set.QWAC.Cert.NotBefore, NotAfter: set.QWAC.Cert.NotAfter,
	}
	if qt == qcert.QcTypeWeb {
		tmpl.KeyUsage = x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth, x509.ExtKeyUsageServerAuth}
	} else {
		tmpl.KeyUsage = x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment
	}
	if qt != "" {
		v, err := qcert.MarshalQCStatements(qcert.StatementsSpec{Type: qt, Roles: roles, NCAName: org.NCAName, NCAID: org.NCAIdentifier()})
		if err != nil {
			t.Fatal(err)
		}
		tmpl.ExtraExtensions = []pkix.Extension{{Id: qcert.OIDQCStatements, Value: v}}
	}
	return tmpl
}

// issueBy signs tmpl with the set's CA for pub.
func issueBy(t *testing.T, set *qcert.Set, tmpl *x509.Certificate, pub any) *x509.Certificate {
	t.Helper()
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 64))
	if err != nil {
		t.Fatal(err)
	}
	tmpl.SerialNumber = serial.Add(serial, big.NewInt(1))
	der, err := x509.CreateCertificate(rand.Reader, tmpl, set.CA.Cert, pub, set.CA.Key)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func qcExt(t *testing.T, c *x509.Certificate) []byte {
	t.Helper()
	for _, e := range c.Extensions {
		if e.Id.Equal(qcert.OIDQCStatements) {
			return e.Value
		}
	}
	t.Fatalf("%s has no qcStatements extension", c.Subject)
	return nil
}

// ---------------------------------------------------------------------------
// C. Round trip, validation tables, QCStatements encoding.

func wantRoles(t *testing.T, got []qcert.PSPRole, want []qcert.Role) {
	t.Helper()
	var exp []qcert.PSPRole
	oids := map[qcert.Role]string{
		qcert.RoleAS: "0.4.0.19495.1.1", qcert.RolePI: "0.4.0.19495.1.2",
		qcert.RoleAI: "0.4.0.19495.1.3", qcert.RoleIC: "0.4.0.19495.1.4",
	}
	for _, r := range want {
		exp = append(exp, qcert.PSPRole{OID: oids[r], Name: string(r), Known: r})
	}
	if !reflect.DeepEqual(got, exp) {
		t.Errorf("roles = %+v, want %+v", got, exp)
	}
}

func TestGenerateSetRoundTripCustomOrg(t *testing.T) {
	f := getFixtures(t)
	set := f.acme
	wantNotBefore := f.now.Add(-5 * time.Minute).UTC().Truncate(time.Second)
	for _, tc := range []struct {
		name  string
		c     *x509.Certificate
		qtype qcert.QcType
		cn    string
	}{
		{"qwac", set.QWAC.Cert, qcert.QcTypeWeb, "acme.example"},
		{"qseal", set.QSeal.Cert, qcert.QcTypeESeal, "Acme Payments AB"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := tc.c
			if got := qcert.OrganizationIdentifier(c); got != "PSDSE-FINA-44059" {
				t.Errorf("organizationIdentifier = %q", got)
			}
			if !slices.Equal(c.Subject.Organization, []string{"Acme Payments AB"}) || !slices.Equal(c.Subject.Country, []string{"SE"}) {
				t.Errorf("subject O/C = %q/%q", c.Subject.Organization, c.Subject.Country)
			}
			if c.Subject.CommonName != tc.cn {
				t.Errorf("CN = %q, want %q", c.Subject.CommonName, tc.cn)
			}
			qc, err := qcert.FromCertificate(c)
			if err != nil || qc == nil {
				t.Fatalf("FromCertificate = %v, %v", qc, err)
			}
			if !qc.Compliance {
				t.Error("QcCompliance missing")
			}
			if !slices.Equal(qc.Types, []qcert.QcType{tc.qtype}) {
				t.Errorf("QcTypes = %v, want [%s]", qc.Types, tc.qtype)
			}
			if len(qc.Problems) != 0 || len(qc.Other) != 0 {
				t.Errorf("problems %q, other statements %q; want none", qc.Problems, qc.Other)
			}
			if qc.PSD2 == nil {
				t.Fatal("no PSD2 statement")
			}
			wantRoles(t, qc.PSD2.Roles, acmeRoles)
			if qc.PSD2.NCAID != "SE-FINA" || qc.PSD2.NCAName != "Finansinspektionen" {
				t.Errorf("NCA = %q / %q", qc.PSD2.NCAID, qc.PSD2.NCAName)
			}
			for _, r := range acmeRoles {
				if !qc.HasRole(r) {
					t.Errorf("HasRole(%s) = false", r)
				}
			}
			if qc.HasRole(qcert.RoleAS) {
				t.Error("HasRole(PSP_AS) = true for a certificate without it")
			}
			rep := qcert.Inspect(c, f.now)
			if !reflect.DeepEqual(rep.QCStatements, qc) {
				t.Errorf("Inspect QCStatements = %+v, want %+v", rep.QCStatements, qc)
			}
			if rep.OrganizationIdentifier != "PSDSE-FINA-44059" {
				t.Errorf("Inspect organizationIdentifier = %q", rep.OrganizationIdentifier)
			}
		})
	}
	for name, is := range map[string]*qcert.Issued{"ca": set.CA, "qwac": set.QWAC, "qseal": set.QSeal, "server": set.Server} {
		if typ, bits := qcert.KeyInfo(is.Cert); typ != "RSA" || bits != 3072 {
			t.Errorf("%s key = %s %d, want RSA 3072", name, typ, bits)
		}
		if is.Key.N.BitLen() != 3072 || !qcert.KeyMatches(is.Cert, is.Key) {
			t.Errorf("%s private key: %d bits, matches=%v", name, is.Key.N.BitLen(), qcert.KeyMatches(is.Cert, is.Key))
		}
		if !is.Cert.NotBefore.Equal(wantNotBefore) {
			t.Errorf("%s NotBefore = %v, want %v (Now - 5 min)", name, is.Cert.NotBefore, wantNotBefore)
		}
		wantLife := acmeDays * 24 * time.Hour
		if name == "ca" {
			wantLife += 24 * time.Hour // the CA outlives its leaves by a day
		}
		if got := is.Cert.NotAfter.Sub(is.Cert.NotBefore); got != wantLife {
			t.Errorf("%s validity = %v, want %v", name, got, wantLife)
		}
	}
	// The default set: defaults of GenerateSet (PSP_AI, 2048 bits, 365 days).
	qc, _ := qcert.FromCertificate(f.def.QWAC.Cert)
	wantRoles(t, qc.PSD2.Roles, []qcert.Role{qcert.RoleAI})
	if _, bits := qcert.KeyInfo(f.def.QWAC.Cert); bits != 2048 {
		t.Errorf("default key size = %d, want 2048", bits)
	}
	if got := f.def.QWAC.Cert.NotAfter.Sub(f.def.QWAC.Cert.NotBefore); got != 365*24*time.Hour {
		t.Errorf("default validity = %v, want 365 days", got)
	}
	if got := qcert.OrganizationIdentifier(f.def.QSeal.Cert); got != "PSDFI-FINFSA-1234567-8" {
		t.Errorf("default organizationIdentifier = %q", got)
	}
	// Four different keys in a set.
	keys := map[string]bool{}
	for _, is := range []*qcert.Issued{set.CA, set.QWAC, set.QSeal, set.Server} {
		keys[is.Key.N.String()] = true
	}
	if len(keys) != 4 {
		t.Errorf("%d distinct keys in the set, want 4", len(keys))
	}
}

func TestGenerateSetRejectsOptions(t *testing.T) {
	calls := 0
	never := func(bits int) (*rsa.PrivateKey, error) {
		calls++
		return nil, errors.New("no key should be generated")
	}
	for _, tc := range []struct {
		name string
		o    qcert.Options
		want string
	}{
		{"key size", qcert.Options{Org: qcert.DefaultOrg, KeySize: 1024}, "key size 1024 is not one of 2048, 3072, 4096"},
		{"days too many", qcert.Options{Org: qcert.DefaultOrg, Days: 3651}, "validity of 3651 days is outside 1..3650"},
		{"days negative", qcert.Options{Org: qcert.DefaultOrg, Days: -1}, "validity of -1 days"},
		{"bad org", qcert.Options{Org: qcert.Org{Name: "X", Country: "fi"}}, `country "fi"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.o.KeyGen = never
			set, err := qcert.GenerateSet(tc.o)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("GenerateSet = %v, %v; want error containing %q", set, err, tc.want)
			}
		})
	}
	if calls != 0 {
		t.Errorf("KeyGen called %d times for rejected options", calls)
	}
	// A KeyGen failure surfaces as the error.
	boom := errors.New("entropy ran out")
	if _, err := qcert.GenerateSet(qcert.Options{Org: qcert.DefaultOrg, KeyGen: func(int) (*rsa.PrivateKey, error) { return nil, boom }}); !errors.Is(err, boom) {
		t.Errorf("KeyGen error: got %v, want %v", err, boom)
	}
}

func TestParseRoles(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    []qcert.Role
		wantErr string
	}{
		{"ai", []qcert.Role{qcert.RoleAI}, ""},
		{"PSP_AI", []qcert.Role{qcert.RoleAI}, ""},
		{"psp_pi", []qcert.Role{qcert.RolePI}, ""},
		{" PSP_AI , pi,IC,as ", []qcert.Role{qcert.RoleAI, qcert.RolePI, qcert.RoleIC, qcert.RoleAS}, ""},
		{"PSP_AI,,", []qcert.Role{qcert.RoleAI}, ""},
		{"ai,PSP_AI", nil, "role PSP_AI given twice"},
		{"pi,PI", nil, "role PSP_PI given twice"},
		{"PSP_AI,PSP_XX", nil, `unknown PSP role "PSP_XX"`},
		{"bogus", nil, `unknown PSP role "bogus"`},
		{"", nil, "no PSP role given"},
		{" , ", nil, "no PSP role given"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := qcert.ParseRoles(tc.in)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("ParseRoles(%q) = %v, %v; want error containing %q", tc.in, got, err, tc.wantErr)
				}
				return
			}
			if err != nil || !slices.Equal(got, tc.want) {
				t.Fatalf("ParseRoles(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
			}
		})
	}
}

func TestOrgValidate(t *testing.T) {
	if err := qcert.DefaultOrg.Validate(); err != nil {
		t.Fatalf("DefaultOrg: %v", err)
	}
	if err := acmeOrg.Validate(); err != nil {
		t.Fatalf("acmeOrg: %v", err)
	}
	mod := func(f func(*qcert.Org)) qcert.Org { o := qcert.DefaultOrg; f(&o); return o }
	for _, tc := range []struct {
		name string
		org  qcert.Org
		want string
	}{
		{"empty name", mod(func(o *qcert.Org) { o.Name = "  " }), "organisation name (--org) is empty"},
		{"lower-case country", mod(func(o *qcert.Org) { o.Country = "fi" }), `country "fi" is not two upper-case letters`},
		{"three-letter country", mod(func(o *qcert.Org) { o.Country = "FIN" }), `country "FIN"`},
		{"NCA id with dash", mod(func(o *qcert.Org) { o.NCAID = "FIN-FSA" }), `NCA id "FIN-FSA" is not 2 to 8`},
		{"NCA id too long", mod(func(o *qcert.Org) { o.NCAID = "FINANSINSP" }), `NCA id "FINANSINSP" is not 2 to 8`},
		{"NCA id too short", mod(func(o *qcert.Org) { o.NCAID = "F" }), `NCA id "F"`},
		{"NCA id lower case", mod(func(o *qcert.Org) { o.NCAID = "finfsa" }), `NCA id "finfsa"`},
		{"auth number with space", mod(func(o *qcert.Org) { o.AuthNumber = "1234567 8" }), `authorisation number "1234567 8" is empty or has spaces or commas`},
		{"auth number with comma", mod(func(o *qcert.Org) { o.AuthNumber = "12,3" }), `authorisation number "12,3"`},
		{"empty auth number", mod(func(o *qcert.Org) { o.AuthNumber = "" }), `authorisation number ""`},
		{"empty NCA name", mod(func(o *qcert.Org) { o.NCAName = "" }), "NCA name (--nca-name) is empty"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.org.Validate()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Validate() = %v, want error containing %q", err, tc.want)
			}
		})
	}
	if got := acmeOrg.OrganizationIdentifier(); got != "PSDSE-FINA-44059" {
		t.Errorf("OrganizationIdentifier = %q", got)
	}
	if got := acmeOrg.NCAIdentifier(); got != "SE-FINA" {
		t.Errorf("NCAIdentifier = %q", got)
	}
}

func TestQCStatementsEncoding(t *testing.T) {
	spec := qcert.StatementsSpec{Type: qcert.QcTypeESeal, Roles: []qcert.Role{qcert.RolePI, qcert.RoleAI},
		NCAName: "Finansinspektionen", NCAID: "SE-FINA"}
	good, err := qcert.MarshalQCStatements(spec)
	if err != nil {
		t.Fatal(err)
	}
	spec.NoPSD2Wrap = true
	bad, err := qcert.MarshalQCStatements(spec)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(good, bad) || len(bad) != len(good)-2 {
		t.Fatalf("NoPSD2Wrap should drop exactly one 2-byte SEQUENCE header: %d vs %d bytes", len(bad), len(good))
	}
	// The wrapped form: OID 0.4.0.19495.2 directly followed by a SEQUENCE
	// whose first element is the rolesOfPSP SEQUENCE.
	psd2OID, _ := hex.DecodeString("060604008198270230") // OID + SEQUENCE tag
	if !bytes.Contains(good, psd2OID) {
		t.Errorf("wrapped encoding lacks OID 0.4.0.19495.2 followed by a SEQUENCE: % x", good)
	}
	for name, der := range map[string][]byte{"wrapped": good, "unwrapped": bad} {
		q, err := qcert.ParseQCStatements(der)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if q.PSD2 == nil {
			t.Fatalf("%s: no PSD2 statement", name)
		}
		wantRoles(t, q.PSD2.Roles, []qcert.Role{qcert.RolePI, qcert.RoleAI})
		if q.PSD2.NCAID != "SE-FINA" || q.PSD2.NCAName != "Finansinspektionen" || !q.Compliance ||
			!slices.Equal(q.Types, []qcert.QcType{qcert.QcTypeESeal}) {
			t.Errorf("%s: decoded %+v / %+v", name, q, q.PSD2)
		}
		switch name {
		case "wrapped":
			if len(q.Problems) != 0 {
				t.Errorf("wrapped: problems %q", q.Problems)
			}
		case "unwrapped":
			if len(q.Problems) != 1 || !strings.Contains(q.Problems[0], "not wrapped in a SEQUENCE") {
				t.Errorf("unwrapped: problems %q, want one saying not wrapped in a SEQUENCE", q.Problems)
			}
		}
	}

	if _, err := qcert.MarshalQCStatements(qcert.StatementsSpec{Type: "qwac"}); err == nil || !strings.Contains(err.Error(), `unknown QcType "qwac"`) {
		t.Errorf("unknown QcType: err = %v", err)
	}
	// Only QcCompliance: no type, no PSD2 statement.
	only, err := qcert.MarshalQCStatements(qcert.StatementsSpec{})
	if err != nil {
		t.Fatal(err)
	}
	if want := "300a3008060604008e460101"; hex.EncodeToString(only) != want {
		t.Errorf("compliance-only DER = %x, want %s", only, want)
	}
	if _, err := qcert.ParseQCStatements([]byte{0x04, 0x01, 0x00}); err == nil || !strings.Contains(err.Error(), "not a SEQUENCE OF QCStatement") {
		t.Errorf("OCTET STRING as qcStatements: err = %v", err)
	}
	// An unknown statement and an undecodable PSD2 statement are reported.
	weird := []byte{0x30, 0x14,
		0x30, 0x08, 0x06, 0x06, 0x04, 0x00, 0x8e, 0x46, 0x01, 0x04, // QcSSCD 0.4.0.1862.1.4
		0x30, 0x08, 0x06, 0x06, 0x04, 0x00, 0x81, 0x98, 0x27, 0x02} // PSD2 without info
	q, err := qcert.ParseQCStatements(weird)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(q.Other, []string{"0.4.0.1862.1.4"}) || q.PSD2 != nil || q.Compliance ||
		len(q.Problems) != 1 || !strings.Contains(q.Problems[0], "cannot be decoded") {
		t.Errorf("weird statements decoded as %+v", q)
	}
}

// ---------------------------------------------------------------------------
// D. Readiness check.

func TestCheck(t *testing.T) {
	f := getFixtures(t)
	d, a := f.def, f.acme
	good := func() qcert.CheckInput {
		return qcert.CheckInput{
			QWAC: []*x509.Certificate{d.QWAC.Cert}, QSeal: []*x509.Certificate{d.QSeal.Cert},
			QWACKey: d.QWAC.Key, QSealKey: d.QSeal.Key, Roots: pool(d.CA.Cert), Service: "ais", Now: f.now,
		}
	}
	with := func(mut func(*qcert.CheckInput)) qcert.CheckInput { in := good(); mut(&in); return in }

	// Custom certificates signed by the default CA.
	piOnlyQWAC := issueBy(t, d, leafTemplate(t, d, qcert.QcTypeWeb, []qcert.Role{qcert.RolePI}, qcert.DefaultOrg), &d.QWAC.Key.PublicKey)
	piOnlySeal := issueBy(t, d, leafTemplate(t, d, qcert.QcTypeESeal, []qcert.Role{qcert.RolePI}, qcert.DefaultOrg), &d.QSeal.Key.PublicKey)
	noQC := issueBy(t, d, leafTemplate(t, d, "", nil, qcert.DefaultOrg), &d.QWAC.Key.PublicKey)
	weak := issueBy(t, d, leafTemplate(t, d, qcert.QcTypeWeb, []qcert.Role{qcert.RoleAI}, qcert.DefaultOrg), &f.weak.PublicKey)
	ecCert := issueBy(t, d, leafTemplate(t, d, qcert.QcTypeWeb, []qcert.Role{qcert.RoleAI}, qcert.DefaultOrg), &f.ec.PublicKey)
	serverOnlyTmpl := leafTemplate(t, d, qcert.QcTypeWeb, []qcert.Role{qcert.RoleAI}, qcert.DefaultOrg)
	serverOnlyTmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
	serverOnly := issueBy(t, d, serverOnlyTmpl, &d.QWAC.Key.PublicKey)
	unwrappedTmpl := leafTemplate(t, d, qcert.QcTypeWeb, nil, qcert.DefaultOrg)
	v, err := qcert.MarshalQCStatements(qcert.StatementsSpec{Type: qcert.QcTypeWeb, Roles: []qcert.Role{qcert.RoleAI},
		NCAName: qcert.DefaultOrg.NCAName, NCAID: qcert.DefaultOrg.NCAIdentifier(), NoPSD2Wrap: true})
	if err != nil {
		t.Fatal(err)
	}
	unwrappedTmpl.ExtraExtensions = []pkix.Extension{{Id: qcert.OIDQCStatements, Value: v}}
	unwrapped := issueBy(t, d, unwrappedTmpl, &d.QWAC.Key.PublicKey)
	noOrgIDTmpl := leafTemplate(t, d, qcert.QcTypeESeal, []qcert.Role{qcert.RoleAI}, qcert.DefaultOrg)
	noOrgIDTmpl.Subject.ExtraNames = nil
	noOrgID := issueBy(t, d, noOrgIDTmpl, &d.QSeal.Key.PublicKey)

	type want struct{ cert, code, msg string }
	notAfter := d.QWAC.Cert.NotAfter
	for _, tc := range []struct {
		name string
		in   qcert.CheckInput
		want []want // exactly these problems, in order
	}{
		{"good set ready for ais", good(), nil},
		{"service defaults to ais", with(func(in *qcert.CheckInput) { in.Service = "" }), nil},
		{"service is case-insensitive", with(func(in *qcert.CheckInput) { in.Service = "AIS" }), nil},
		{"acme set ready for pis", qcert.CheckInput{QWAC: []*x509.Certificate{a.QWAC.Cert}, QSeal: []*x509.Certificate{a.QSeal.Cert},
			QWACKey: a.QWAC.Key, QSealKey: a.QSeal.Key, Roots: pool(a.CA.Cert), Service: "pis", Now: f.now}, nil},
		{"acme set ready for piis", qcert.CheckInput{QWAC: []*x509.Certificate{a.QWAC.Cert}, QSeal: []*x509.Certificate{a.QSeal.Cert},
			Roots: pool(a.CA.Cert), Service: "piis", Now: f.now}, nil},
		{"chain with the CA as intermediate in the file", with(func(in *qcert.CheckInput) {
			in.Roots = pool(d.CA.Cert)
			in.QWAC = []*x509.Certificate{d.QWAC.Cert, d.CA.Cert}
		}), nil},
		{"default set lacks PSP_PI for pis", with(func(in *qcert.CheckInput) { in.Service = "pis" }), []want{
			{"qwac", "ROLE_INVALID", "roles PSP_AI do not include PSP_PI, needed for PIS"},
			{"qseal", "ROLE_INVALID", "roles PSP_AI do not include PSP_PI, needed for PIS"},
		}},
		{"PSP_PI only, for ais", with(func(in *qcert.CheckInput) {
			in.QWAC, in.QSeal = []*x509.Certificate{piOnlyQWAC}, []*x509.Certificate{piOnlySeal}
		}), []want{
			{"qwac", "ROLE_INVALID", "roles PSP_PI do not include PSP_AI, needed for AIS"},
			{"qseal", "ROLE_INVALID", "roles PSP_PI do not include PSP_AI, needed for AIS"},
		}},
		{"PSP_PI only, for pis", with(func(in *qcert.CheckInput) {
			in.QWAC, in.QSeal = []*x509.Certificate{piOnlyQWAC}, []*x509.Certificate{piOnlySeal}
			in.Service = "pis"
		}), nil},
		{"QWAC and QSealC swapped", with(func(in *qcert.CheckInput) {
			in.QWAC, in.QSeal = in.QSeal, in.QWAC
			in.QWACKey, in.QSealKey = in.QSealKey, in.QWACKey
		}), []want{
			{"qwac", "CERTIFICATE_INVALID", "QcType is eseal; a QWAC must be web"},
			{"qseal", "CERTIFICATE_INVALID", "QcType is web; a QSealC must be eseal"},
		}},
		{"wrong key for the QWAC", with(func(in *qcert.CheckInput) { in.QWACKey = d.QSeal.Key }), []want{
			{"qwac", "CERTIFICATE_INVALID", "the private key does not belong to this certificate"},
		}},
		{"wrong key for the QSealC", with(func(in *qcert.CheckInput) { in.QSealKey = a.QSeal.Key }), []want{
			{"qseal", "CERTIFICATE_INVALID", "the private key does not belong to this certificate"},
		}},
		{"expired", with(func(in *qcert.CheckInput) { in.Now = notAfter.Add(time.Hour) }), []want{
			{"qwac", "CERTIFICATE_EXPIRED", "expired on " + notAfter.UTC().Format(time.DateOnly)},
			{"qseal", "CERTIFICATE_EXPIRED", "expired on " + notAfter.UTC().Format(time.DateOnly)},
		}},
		{"not yet valid", with(func(in *qcert.CheckInput) { in.Now = d.QWAC.Cert.NotBefore.Add(-time.Hour) }), []want{
			{"qwac", "CERTIFICATE_INVALID", "not valid before " + d.QWAC.Cert.NotBefore.UTC().Format(time.RFC3339)},
			{"qseal", "CERTIFICATE_INVALID", "not valid before " + d.QWAC.Cert.NotBefore.UTC().Format(time.RFC3339)},
		}},
		{"unknown CA", with(func(in *qcert.CheckInput) { in.Roots = x509.NewCertPool() }), []want{
			{"qwac", "CERTIFICATE_INVALID", "chain does not verify: x509: certificate signed by unknown authority"},
			{"qseal", "CERTIFICATE_INVALID", "chain does not verify: x509: certificate signed by unknown authority"},
		}},
		{"other set's CA", with(func(in *qcert.CheckInput) { in.Roots = pool(a.CA.Cert) }), []want{
			{"qwac", "CERTIFICATE_INVALID", "chain does not verify: x509: certificate signed by unknown authority"},
			{"qseal", "CERTIFICATE_INVALID", "chain does not verify: x509: certificate signed by unknown authority"},
		}},
		{"two organisations", with(func(in *qcert.CheckInput) {
			in.QSeal, in.QSealKey = []*x509.Certificate{a.QSeal.Cert}, a.QSeal.Key
			in.Roots = pool(d.CA.Cert, a.CA.Cert)
		}), []want{
			{"both", "CERTIFICATE_INVALID", `organizationIdentifier differs: QWAC "PSDFI-FINFSA-1234567-8", QSealC "PSDSE-FINA-44059"`},
			{"both", "CERTIFICATE_INVALID", `organisation differs: QWAC ["Example TPP Oy"], QSealC ["Acme Payments AB"]`},
		}},
		{"no qcStatements", with(func(in *qcert.CheckInput) { in.QWAC = []*x509.Certificate{noQC} }), []want{
			{"qwac", "CERTIFICATE_INVALID", "no qcStatements extension (not an eIDAS PSD2 certificate)"},
		}},
		{"1024-bit key", with(func(in *qcert.CheckInput) { in.QWAC, in.QWACKey = []*x509.Certificate{weak}, f.weak }), []want{
			{"qwac", "CERTIFICATE_INVALID", "RSA key of 1024 bits; at least 2048 are required"},
		}},
		{"EC key", with(func(in *qcert.CheckInput) { in.QWAC, in.QWACKey = []*x509.Certificate{ecCert}, nil }), []want{
			{"qwac", "CERTIFICATE_INVALID", "EC key; the Berlin Group profile needs RSA"},
		}},
		{"QWAC without clientAuth", with(func(in *qcert.CheckInput) { in.QWAC = []*x509.Certificate{serverOnly} }), []want{
			{"qwac", "CERTIFICATE_INVALID", "extended key usage lacks clientAuth"},
		}},
		{"PSD2 statement not wrapped", with(func(in *qcert.CheckInput) { in.QWAC = []*x509.Certificate{unwrapped} }), []want{
			{"qwac", "CERTIFICATE_INVALID", "PSD2 statement fields are not wrapped in a SEQUENCE"},
		}},
		{"no organizationIdentifier", with(func(in *qcert.CheckInput) { in.QSeal = []*x509.Certificate{noOrgID} }), []want{
			{"qseal", "CERTIFICATE_INVALID", "no organizationIdentifier (2.5.4.97) in the subject"},
			{"both", "CERTIFICATE_INVALID", `organizationIdentifier differs: QWAC "PSDFI-FINFSA-1234567-8", QSealC ""`},
		}},
		{"sandbox server certificate as QWAC", with(func(in *qcert.CheckInput) {
			in.QWAC, in.QWACKey = []*x509.Certificate{d.Server.Cert}, d.Server.Key
		}), []want{
			{"qwac", "CERTIFICATE_INVALID", "no qcStatements extension"},
			{"qwac", "CERTIFICATE_INVALID", "no organizationIdentifier (2.5.4.97) in the subject"},
			{"qwac", "CERTIFICATE_INVALID", "extended key usage lacks clientAuth"},
			{"both", "CERTIFICATE_INVALID", `organizationIdentifier differs: QWAC "", QSealC "PSDFI-FINFSA-1234567-8"`},
			{"both", "CERTIFICATE_INVALID", `organisation differs: QWAC ["xs2a sandbox ASPSP"], QSealC ["Example TPP Oy"]`},
		}},
		{"missing QSealC", with(func(in *qcert.CheckInput) { in.QSeal = nil }), []want{
			{"qseal", "CERTIFICATE_MISSING", "no certificate given"},
		}},
		{"unknown service", with(func(in *qcert.CheckInput) { in.Service = "foo" }), []want{
			{"both", "PARAMETER_NOT_SUPPORTED", `unknown service "foo"`},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := qcert.Check(tc.in)
			ok := len(got) == len(tc.want)
			for i := 0; ok && i < len(got); i++ {
				w := tc.want[i]
				ok = got[i].Cert == w.cert && got[i].Code == w.code && strings.Contains(got[i].Msg, w.msg)
			}
			if !ok {
				t.Errorf("Check problems:\n%s\nwant:\n%s", dumpProblems(got), dumpWant(tc.want))
			}
		})
	}
}

func dumpProblems(ps []qcert.Problem) string {
	var b strings.Builder
	for _, p := range ps {
		fmt.Fprintf(&b, "  %s %s %q\n", p.Cert, p.Code, p.Msg)
	}
	if len(ps) == 0 {
		b.WriteString("  (none)\n")
	}
	return b.String()
}

func dumpWant[T any](ws []T) string {
	var b strings.Builder
	for _, w := range ws {
		fmt.Fprintf(&b, "  %+v\n", w)
	}
	if len(ws) == 0 {
		b.WriteString("  (none)\n")
	}
	return b.String()
}

// ---------------------------------------------------------------------------
// E. Inspect.

func TestInspectValidity(t *testing.T) {
	f := getFixtures(t)
	c := f.def.QWAC.Cert
	date := c.NotAfter.UTC().Format(time.DateOnly)
	for _, tc := range []struct {
		name     string
		now      time.Time
		validity string
		days     int
		warnings []string
	}{
		{"valid", f.now, "valid", 364, nil},
		{"expires soon", c.NotAfter.Add(-10 * 24 * time.Hour), "expires-soon", 10, []string{"expires in 10 days, on " + date}},
		{"just inside the warning", c.NotAfter.Add(-qcert.ExpiryWarning + time.Second), "expires-soon", 29, []string{"expires in 29 days, on " + date}},
		{"just outside the warning", c.NotAfter.Add(-qcert.ExpiryWarning), "valid", 30, nil},
		{"expired", c.NotAfter.Add(3 * 24 * time.Hour), "expired", -3,
			[]string{"expired on " + date + " (3 days ago): banks answer CERTIFICATE_EXPIRED"}},
		{"not yet valid", c.NotBefore.Add(-time.Minute), "not-yet-valid", 365,
			[]string{"not valid before " + c.NotBefore.UTC().Format(time.RFC3339)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := qcert.Inspect(c, tc.now)
			if r.Validity != tc.validity || r.DaysLeft != tc.days || !slices.Equal(r.Warnings, tc.warnings) {
				t.Errorf("Inspect at %v: validity %q, days %d, warnings %q; want %q, %d, %q",
					tc.now, r.Validity, r.DaysLeft, r.Warnings, tc.validity, tc.days, tc.warnings)
			}
		})
	}
}

func TestInspectFields(t *testing.T) {
	f := getFixtures(t)
	d := f.def
	for _, is := range []*qcert.Issued{d.CA, d.QWAC, d.QSeal, d.Server} {
		r := qcert.Inspect(is.Cert, f.now)
		sum := sha256.Sum256(is.Cert.Raw)
		want := strings.ToUpper(hex.EncodeToString(sum[:]))
		var parts []string
		for i := 0; i < len(want); i += 2 {
			parts = append(parts, want[i:i+2])
		}
		if r.SHA256 != strings.Join(parts, ":") || len(r.SHA256) != 95 {
			t.Errorf("%s fingerprint = %s, want %s", is.Cert.Subject.CommonName, r.SHA256, strings.Join(parts, ":"))
		}
		if r.KeyType != "RSA" || r.KeyBits != 2048 || r.SignatureAlgorithm != "SHA256-RSA" {
			t.Errorf("%s key %s %d, sig %s", is.Cert.Subject.CommonName, r.KeyType, r.KeyBits, r.SignatureAlgorithm)
		}
		if !qcert.KeyMatches(is.Cert, is.Key) {
			t.Errorf("%s: KeyMatches(own key) = false", is.Cert.Subject.CommonName)
		}
	}
	if qcert.KeyMatches(d.QWAC.Cert, d.QSeal.Key) || qcert.KeyMatches(d.QSeal.Cert, d.QWAC.Key) {
		t.Error("KeyMatches = true for another certificate's key")
	}

	ca := qcert.Inspect(d.CA.Cert, f.now)
	if !ca.IsCA || !ca.SelfSigned || !slices.Equal(ca.KeyUsage, []string{"keyCertSign", "cRLSign"}) ||
		ca.QCStatements != nil || len(ca.Warnings) != 0 {
		t.Errorf("CA report: %+v", ca)
	}
	qwac := qcert.Inspect(d.QWAC.Cert, f.now)
	if qwac.IsCA || qwac.SelfSigned || qwac.Issuer != d.CA.Cert.Subject.String() ||
		!slices.Equal(qwac.KeyUsage, []string{"digitalSignature", "keyEncipherment"}) ||
		!slices.Equal(qwac.ExtKeyUsage, []string{"clientAuth", "serverAuth"}) ||
		!slices.Equal(qwac.DNSNames, []string{"tpp.example"}) ||
		qwac.OrganizationIdentifier != "PSDFI-FINFSA-1234567-8" || len(qwac.Warnings) != 0 {
		t.Errorf("QWAC report: %+v", qwac)
	}
	if !strings.Contains(qwac.Subject, "CN=tpp.example") || !strings.Contains(qwac.Subject, "O=Example TPP Oy") {
		t.Errorf("QWAC subject = %q", qwac.Subject)
	}
	seal := qcert.Inspect(d.QSeal.Cert, f.now)
	if !slices.Equal(seal.KeyUsage, []string{"digitalSignature", "nonRepudiation"}) || len(seal.ExtKeyUsage) != 0 ||
		!seal.QCStatements.HasType(qcert.QcTypeESeal) || seal.QCStatements.HasType(qcert.QcTypeWeb) {
		t.Errorf("QSealC report: %+v", seal)
	}
	srv := qcert.Inspect(d.Server.Cert, f.now)
	if !slices.Equal(srv.IPAddresses, []string{"127.0.0.1", "::1"}) || !slices.Equal(srv.DNSNames, []string{"localhost"}) ||
		!slices.Equal(srv.ExtKeyUsage, []string{"serverAuth"}) {
		t.Errorf("server report: %+v", srv)
	}
	// A leaf without QCStatements or organizationIdentifier is warned about.
	if !slices.Equal(srv.Warnings, []string{"no qcStatements extension: not a PSD2 QWAC or QSealC",
		"no organizationIdentifier (2.5.4.97) in the subject"}) {
		t.Errorf("server warnings = %q", srv.Warnings)
	}

	weak := qcert.Inspect(issueBy(t, d, leafTemplate(t, d, qcert.QcTypeWeb, []qcert.Role{qcert.RoleAI}, qcert.DefaultOrg), &f.weak.PublicKey), f.now)
	if weak.KeyBits != 1024 || !slices.Equal(weak.Warnings, []string{"RSA key of 1024 bits: banks require at least 2048"}) {
		t.Errorf("1024-bit report: bits %d, warnings %q", weak.KeyBits, weak.Warnings)
	}
	ec := qcert.Inspect(issueBy(t, d, leafTemplate(t, d, qcert.QcTypeWeb, []qcert.Role{qcert.RoleAI}, qcert.DefaultOrg), &f.ec.PublicKey), f.now)
	if ec.KeyType != "EC" || ec.KeyBits != 256 || !slices.Equal(ec.Warnings, []string{"EC key: the Berlin Group signature profile needs RSA"}) {
		t.Errorf("EC report: %s %d, warnings %q", ec.KeyType, ec.KeyBits, ec.Warnings)
	}
	if qcert.KeyMatches(issueBy(t, d, leafTemplate(t, d, qcert.QcTypeWeb, nil, qcert.DefaultOrg), &f.ec.PublicKey), d.QWAC.Key) {
		t.Error("KeyMatches = true for an EC certificate")
	}
}

// ---------------------------------------------------------------------------
// Challenge signing (the openssl cross-checks are in openssl_test.go).

func TestChallenge(t *testing.T) {
	f := getFixtures(t)
	seal := f.def.QSeal
	const challenge = "xs2a-portal-challenge-7f3a9c"
	sig, err := qcert.SignChallenge(seal.Key, challenge)
	if err != nil {
		t.Fatal(err)
	}
	if err := qcert.VerifyChallenge(seal.Cert, challenge, sig); err != nil {
		t.Errorf("own signature rejected: %v", err)
	}
	if err := qcert.VerifyChallenge(seal.Cert, challenge, sig+"\n"); err != nil {
		t.Errorf("signature with a trailing newline (as pasted) rejected: %v", err)
	}
	for name, tc := range map[string]struct {
		cert      *x509.Certificate
		challenge string
		sig       string
		want      string
	}{
		"trailing newline": {seal.Cert, challenge + "\n", sig, "mind a trailing newline"},
		"other cert":       {f.def.QWAC.Cert, challenge, sig, "the signature does not verify"},
		"not base64":       {seal.Cert, challenge, "%%%", "the signature is not base64"},
		"EC certificate": {issueBy(t, f.def, leafTemplate(t, f.def, qcert.QcTypeESeal, nil, qcert.DefaultOrg), &f.ec.PublicKey),
			challenge, sig, "*ecdsa.PublicKey key, not RSA"},
	} {
		if err := qcert.VerifyChallenge(tc.cert, tc.challenge, tc.sig); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: VerifyChallenge = %v, want error containing %q", name, err, tc.want)
		}
	}
	if _, err := qcert.SignChallenge(seal.Key, ""); err == nil || !strings.Contains(err.Error(), "empty") {
		t.Errorf("empty challenge: err = %v", err)
	}
}

// ---------------------------------------------------------------------------
// B. Mutual TLS on loopback with the generated set.

type handshakeResult struct {
	serverErr error
	peer      []*x509.Certificate
	clientErr error
}

// mtls runs one handshake: server with the set's server certificate requiring
// a client certificate from the CA, client presenting clientCert (may be nil).
func mtls(t *testing.T, set *qcert.Set, clientCert *qcert.Issued, serverName, dialHost string, opts ...func(*tls.Config)) handshakeResult {
	t.Helper()
	srvPair, err := tls.X509KeyPair(set.Server.CertPEM(), set.Server.KeyPEM())
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	srvCfg := &tls.Config{Certificates: []tls.Certificate{srvPair}, ClientAuth: tls.RequireAndVerifyClientCert,
		ClientCAs: pool(set.CA.Cert), MinVersion: tls.VersionTLS12}
	type srvRes struct {
		err  error
		peer []*x509.Certificate
	}
	done := make(chan srvRes, 1)
	go func() {
		conn, err := ln.Accept()
		if err != nil {
			done <- srvRes{err: err}
			return
		}
		defer conn.Close()
		_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
		sc := tls.Server(conn, srvCfg)
		err = sc.Handshake()
		res := srvRes{err: err}
		if err == nil {
			res.peer = sc.ConnectionState().PeerCertificates
			// Let the client finish reading the session tickets.
			_, _ = sc.Write([]byte("ok"))
		}
		done <- res
	}()
	cliCfg := &tls.Config{RootCAs: pool(set.CA.Cert), ServerName: serverName, MinVersion: tls.VersionTLS12}
	if clientCert != nil {
		pair, err := tls.X509KeyPair(clientCert.CertPEM(), clientCert.KeyPEM())
		if err != nil {
			t.Fatal(err)
		}
		cliCfg.Certificates = []tls.Certificate{pair}
	}
	for _, o := range opts {
		o(cliCfg)
	}
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	d := &net.Dialer{Timeout: 5 * time.Second}
	conn, err := tls.DialWithDialer(d, "tcp", net.JoinHostPort(dialHost, port), cliCfg)
	var res handshakeResult
	if err != nil {
		res.clientErr = err
	} else {
		_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
		// In TLS 1.3 the server's verdict on the client certificate arrives
		// after the client's handshake: read to collect it.
		buf := make([]byte, 2)
		if _, err := conn.Read(buf); err != nil {
			res.clientErr = err
		}
		conn.Close()
	}
	sr := <-done
	res.serverErr, res.peer = sr.err, sr.peer
	return res
}

func TestMutualTLS(t *testing.T) {
	f := getFixtures(t)
	d := f.def
	for _, tc := range []struct{ name, serverName, host string }{
		{"by name", "localhost", "127.0.0.1"},
		{"by IP", "", "127.0.0.1"},
	} {
		t.Run("QWAC "+tc.name, func(t *testing.T) {
			r := mtls(t, d, d.QWAC, tc.serverName, tc.host)
			if r.serverErr != nil || r.clientErr != nil {
				t.Fatalf("handshake failed: server %v, client %v", r.serverErr, r.clientErr)
			}
			if len(r.peer) != 1 || !r.peer[0].Equal(d.QWAC.Cert) {
				t.Fatalf("server saw %d peer certificates, want the QWAC", len(r.peer))
			}
			p := r.peer[0]
			if p.Subject.CommonName != "tpp.example" || qcert.OrganizationIdentifier(p) != "PSDFI-FINFSA-1234567-8" ||
				!slices.Equal(p.Subject.Organization, []string{"Example TPP Oy"}) {
				t.Errorf("server saw subject %s", p.Subject)
			}
		})
	}
	t.Run("wrong server name", func(t *testing.T) {
		r := mtls(t, d, d.QWAC, "tpp.example", "127.0.0.1")
		if r.clientErr == nil || !strings.Contains(r.clientErr.Error(), "certificate is valid for localhost, not tpp.example") {
			t.Errorf("client err = %v, want a name mismatch", r.clientErr)
		}
	})
	// Go's crypto/x509 treats a certificate without extendedKeyUsage as valid
	// for any usage, so the QSealC (which has none) authenticates a TLS client.
	// Banks' TLS terminators generally do the same; Check still flags the
	// QcType when a QSealC is given as QWAC.
	t.Run("QSealC (no EKU) is accepted by Go", func(t *testing.T) {
		if len(d.QSeal.Cert.ExtKeyUsage) != 0 || len(d.QSeal.Cert.UnknownExtKeyUsage) != 0 {
			t.Fatalf("the QSealC has an EKU: %v", d.QSeal.Cert.ExtKeyUsage)
		}
		r := mtls(t, d, d.QSeal, "localhost", "127.0.0.1")
		if r.serverErr != nil {
			t.Fatalf("server rejected the QSealC: %v", r.serverErr)
		}
		if len(r.peer) != 1 || r.peer[0].Subject.CommonName != "Example TPP Oy" {
			t.Errorf("server saw %v", r.peer)
		}
	})
	t.Run("serverAuth-only certificate is rejected", func(t *testing.T) {
		r := mtls(t, d, d.Server, "localhost", "127.0.0.1")
		if r.serverErr == nil || !strings.Contains(r.serverErr.Error(), "incompatible key usage") {
			t.Errorf("server err = %v, want incompatible key usage", r.serverErr)
		}
		if r.clientErr == nil {
			t.Error("client saw no error although the server refused its certificate")
		}
	})
	t.Run("no client certificate is rejected", func(t *testing.T) {
		r := mtls(t, d, nil, "localhost", "127.0.0.1")
		if r.serverErr == nil || !strings.Contains(r.serverErr.Error(), "client didn't provide a certificate") {
			t.Errorf("server err = %v, want client didn't provide a certificate", r.serverErr)
		}
	})
	// A Go client only sends a certificate whose issuer is among the server's
	// acceptable CAs, so a QWAC from another CA is simply not presented.
	t.Run("QWAC from another CA is withheld by the client", func(t *testing.T) {
		r := mtls(t, d, f.acme.QWAC, "localhost", "127.0.0.1")
		if r.serverErr == nil || !strings.Contains(r.serverErr.Error(), "client didn't provide a certificate") {
			t.Errorf("server err = %v, want client didn't provide a certificate", r.serverErr)
		}
		// Forced onto the wire, the server refuses it.
		r = mtls(t, d, f.acme.QWAC, "localhost", "127.0.0.1", func(c *tls.Config) {
			forced := c.Certificates[0]
			c.Certificates = nil
			c.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &forced, nil }
		})
		if r.serverErr == nil || !strings.Contains(r.serverErr.Error(), "certificate signed by unknown authority") {
			t.Errorf("forced foreign QWAC: server err = %v, want unknown authority", r.serverErr)
		}
	})
}
