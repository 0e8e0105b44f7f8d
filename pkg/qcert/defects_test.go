package qcert_test

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/xs2a-dev/xs2a/pkg/qcert"
)

// twins makes every set of these tests: same keys, serials and clock.
var twins = &qcert.Twins{Now: twinNow, Seed: [32]byte{'x', 's', '2', 'a'}}

// twinSet makes the set DefaultOrg gets with defect brk ("" for the good
// one) from the same keys, serials and clock as every other twin, so two
// twins differ only where the defect puts something else.
func twinSet(t testing.TB, brk string, intermediate bool) *qcert.Set {
	t.Helper()
	set, err := twins.Set(brk, intermediate)
	if err != nil {
		t.Fatalf("GenerateSet(Break %q): %v", brk, err)
	}
	return set
}

var twinNow = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

// goodTwin is the good set a broken one is compared with: for a missing
// intermediate, the set whose qwac.pem carries it.
func goodTwin(t testing.TB, d qcert.Defect) *qcert.Set {
	return twinSet(t, "", d.Name == qcert.DefectMissingIntermediate)
}

// checkSays is, per defect, what each line of `certs check` must say: the
// words that name the defect, for the QWAC and for the QSealC.
var checkSays = map[string]string{
	qcert.DefectExpired:             `^expired on 2026-05-31$`,
	qcert.DefectNotYetValid:         `^not valid before 2026-06-08T11:55:00Z$`,
	qcert.DefectNoQCStatements:      `^no qcStatements extension`,
	qcert.DefectPSD2Unwrapped:       `^PSD2 statement fields are not wrapped in a SEQUENCE`,
	qcert.DefectNoQcType:            `^no QcType statement; a (QWAC must declare QcType web|QSealC must declare QcType eseal)$`,
	qcert.DefectWebQcTypeOnSeal:     `^QcType is web; a QSealC must be eseal$`,
	qcert.DefectNoPSPAI:             `^roles PSP_PI do not include PSP_AI, needed for AIS$`,
	qcert.DefectNoOrgID:             `^no organizationIdentifier \(2\.5\.4\.97\) in the subject$`,
	qcert.DefectWrongKeyUsage:       `^keyUsage (lacks digitalSignature \(has keyEncipherment\), so it cannot sign the TLS handshake|has neither digitalSignature nor nonRepudiation, so it cannot seal)$`,
	qcert.DefectNoClientAuth:        `^extended key usage lacks clientAuth`,
	qcert.DefectRSA1024:             `^RSA key of 1024 bits; at least 2048 are required$`,
	qcert.DefectSelfSigned:          `^chain does not verify: .*: the certificate is self-signed`,
	qcert.DefectMissingIntermediate: `^chain does not verify: .*no intermediate certificate after it \(missing intermediate`,
	qcert.DefectCAAsLeaf:            `^a CA certificate \(basicConstraints CA:TRUE, keyUsage keyCertSign\), not a TPP's own: a QTSP's CA issues QWACs and QSealCs, it cannot be one$`,
}

func TestDefectsList(t *testing.T) {
	if len(qcert.Defects) != 14 {
		t.Errorf("%d defects; issues 7 and 14 name 14", len(qcert.Defects))
	}
	seen := map[string]bool{}
	for _, d := range qcert.Defects {
		if seen[d.Name] || d.What == "" || !slices.Contains([]string{"qwac", "qseal", "both"}, d.Certs) ||
			!regexp.MustCompile(`^(CERTIFICATE_(EXPIRED|INVALID)|ROLE_INVALID)$`).MatchString(d.Code) {
			t.Errorf("defect %+v: duplicate, undescribed, or an unknown certificate or code", d)
		}
		seen[d.Name] = true
		if _, ok := checkSays[d.Name]; !ok {
			t.Errorf("defect %s has no row in checkSays", d.Name)
		}
	}
	if _, err := qcert.LookupDefect("nope"); err == nil || !strings.Contains(err.Error(), "expired, not-yet-valid") {
		t.Errorf("LookupDefect(nope) = %v; want an error listing the names", err)
	}
	if _, err := qcert.GenerateSet(qcert.Options{Org: qcert.DefaultOrg, Break: "nope", KeyGen: func(int) (*rsa.PrivateKey, error) {
		t.Fatal("a key was generated for an unknown defect")
		return nil, nil
	}}); err == nil || !strings.Contains(err.Error(), `unknown defect "nope"`) {
		t.Errorf("GenerateSet(Break nope) = %v", err)
	}
}

// checkInput is what `certs check --ca ca.pem` with the set's files and keys
// looks at, at the twins' clock.
func checkInput(s *qcert.Set) qcert.CheckInput {
	roots := x509.NewCertPool()
	roots.AddCert(s.CA.Cert)
	return qcert.CheckInput{QWAC: s.QWACChain(), QSeal: []*x509.Certificate{s.QSeal.Cert}, QWACKey: s.QWAC.Key,
		QSealKey: s.QSeal.Key, Roots: roots, Now: twinNow}
}

// TestCheckNamesEveryDefect: every line of the check is about the defect,
// with the bank's code, on exactly the certificates it concerns; the good
// twin passes.
func TestCheckNamesEveryDefect(t *testing.T) {
	for _, intermediate := range []bool{false, true} {
		if ps := qcert.Check(checkInput(twinSet(t, "", intermediate))); len(ps) != 0 {
			t.Fatalf("good set (intermediate %v) has problems:\n%s", intermediate, dumpProblems(ps))
		}
	}
	for _, d := range qcert.Defects {
		t.Run(d.Name, func(t *testing.T) {
			ps := qcert.Check(checkInput(twinSet(t, d.Name, false)))
			re := regexp.MustCompile(checkSays[d.Name])
			var certs []string
			for _, p := range ps {
				if p.Code != d.Code || !re.MatchString(p.Msg) {
					t.Errorf("%s: %s (%s); want %s with a text matching %s", p.Cert, p.Msg, p.Code, d.Code, re)
				}
				certs = append(certs, p.Cert)
			}
			want := []string{"qwac", "qseal"}
			if d.Certs != "both" {
				want = []string{d.Certs}
			}
			if !slices.Equal(certs, want) {
				t.Errorf("problems on %v; want one on each of %v:\n%s", certs, want, dumpProblems(ps))
			}
		})
	}
}

// fields flattens what a bank reads in a certificate, by name, so two
// certificates can be compared field by field.
func fields(t testing.TB, c *x509.Certificate, chainLen int) map[string]string {
	t.Helper()
	pub, err := x509.MarshalPKIXPublicKey(c.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	qc, err := qcert.FromCertificate(c)
	if err != nil {
		t.Fatal(err)
	}
	qcJSON, _ := json.Marshal(qc)
	m := map[string]string{
		"subject":            fmt.Sprintf("%x", c.RawSubject),
		"issuer":             fmt.Sprintf("%x", c.RawIssuer),
		"serial":             c.SerialNumber.String(),
		"notBefore":          c.NotBefore.String(),
		"notAfter":           c.NotAfter.String(),
		"publicKey":          fmt.Sprintf("%x", pub),
		"signatureAlgorithm": c.SignatureAlgorithm.String(),
		"keyUsage":           fmt.Sprint(c.KeyUsage),
		"extKeyUsage":        fmt.Sprint(c.ExtKeyUsage, c.UnknownExtKeyUsage),
		"basicConstraints":   fmt.Sprint(c.BasicConstraintsValid, c.IsCA, c.MaxPathLen),
		"dnsNames":           fmt.Sprint(c.DNSNames),
		"qcStatements":       string(qcJSON),
		"chain":              fmt.Sprint(chainLen),
	}
	for _, e := range c.Extensions {
		m["ext "+e.Id.String()] = fmt.Sprintf("%v %x", e.Critical, e.Value)
	}
	return m
}

// allowedDiff lists, per defect, the fields in which a broken certificate
// may differ from its good twin; the first must differ. The signature is
// left out: it differs whenever anything signed does.
var allowedDiff = map[string][]string{
	qcert.DefectExpired:             {"notBefore", "notAfter"},
	qcert.DefectNotYetValid:         {"notBefore", "notAfter"},
	qcert.DefectNoQCStatements:      {"qcStatements", "ext 1.3.6.1.5.5.7.1.3"},
	qcert.DefectPSD2Unwrapped:       {"ext 1.3.6.1.5.5.7.1.3", "qcStatements"},
	qcert.DefectNoQcType:            {"qcStatements", "ext 1.3.6.1.5.5.7.1.3"},
	qcert.DefectWebQcTypeOnSeal:     {"qcStatements", "ext 1.3.6.1.5.5.7.1.3"},
	qcert.DefectNoPSPAI:             {"qcStatements", "ext 1.3.6.1.5.5.7.1.3"},
	qcert.DefectNoOrgID:             {"subject"},
	qcert.DefectWrongKeyUsage:       {"keyUsage", "ext 2.5.29.15"},
	qcert.DefectNoClientAuth:        {"extKeyUsage", "ext 2.5.29.37"},
	qcert.DefectRSA1024:             {"publicKey"},
	qcert.DefectSelfSigned:          {"issuer", "ext 2.5.29.35"},
	qcert.DefectMissingIntermediate: {"chain"},
	// crypto/x509 gives a CA certificate a subject key identifier
	// (RFC 5280 4.2.1.2 requires one).
	qcert.DefectCAAsLeaf: {"basicConstraints", "keyUsage", "ext 2.5.29.19", "ext 2.5.29.15", "ext 2.5.29.14"},
}

func diffFields(a, b map[string]string) []string {
	var out []string
	for k, v := range a {
		if b[k] != v {
			out = append(out, k)
		}
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

// TestBrokenDiffersInTheDefectOnly compares each broken certificate with
// its good twin, made from the same keys, serials and clock.
func TestBrokenDiffersInTheDefectOnly(t *testing.T) {
	for _, d := range qcert.Defects {
		t.Run(d.Name, func(t *testing.T) {
			good, bad := goodTwin(t, d), twinSet(t, d.Name, false)
			if !good.CA.Cert.Equal(bad.CA.Cert) {
				t.Fatal("the twins' CAs differ: the comparison below would not be fair")
			}
			pairs := []struct {
				name      string
				good, bad *x509.Certificate
				gl, bl    int
			}{
				{"qwac", good.QWAC.Cert, bad.QWAC.Cert, len(good.QWACChain()), len(bad.QWACChain())},
				{"qseal", good.QSeal.Cert, bad.QSeal.Cert, 1, 1},
			}
			for _, p := range pairs {
				diff := diffFields(fields(t, p.good, p.gl), fields(t, p.bad, p.bl))
				if !d.Applies(p.name) {
					if len(diff) != 0 || !p.good.Equal(p.bad) {
						t.Errorf("%s does not carry %s but differs in %v", p.name, d.Name, diff)
					}
					continue
				}
				allowed := allowedDiff[d.Name]
				if len(diff) == 0 || !slices.Contains(diff, allowed[0]) {
					t.Errorf("%s: differs in %v; the defect must change %s", p.name, diff, allowed[0])
				}
				for _, f := range diff {
					if !slices.Contains(allowed, f) {
						t.Errorf("%s: differs in %s too; %s may change only %v", p.name, f, d.Name, allowed)
					}
				}
				t.Logf("%s differs in %v", p.name, diff)
			}
			if bad.Break != d.Name || good.Break != "" {
				t.Errorf("Set.Break = %q / %q", bad.Break, good.Break)
			}
		})
	}
}
