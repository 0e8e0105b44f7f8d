package qcert_test

import (
	"encoding/pem"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/xs2a-dev/xs2a/pkg/qcert"
)

// opensslSays is what openssl, read as an outside oracle, shows for one
// defect: a command run in the directory of the good twin and in that of the
// broken one, and a pattern found in the good output but not in the broken
// (good) or the other way round (bad).
type opensslSays struct {
	args      []string
	good, bad string
	// fails: the command exits non-zero on the broken set only.
	fails bool
}

// qcDER is where the tests leave the qcStatements extension value of
// qwac.pem for asn1parse.
const qcDER = "qwac-qc.der"

var opensslOracle = map[string]opensslSays{
	qcert.DefectExpired:        {args: []string{"verify", "-attime", "1780315200", "-CAfile", "ca.pem", "qwac.pem"}, bad: `certificate has expired`, fails: true},
	qcert.DefectNotYetValid:    {args: []string{"verify", "-attime", "1780315200", "-CAfile", "ca.pem", "qwac.pem"}, bad: `certificate is not yet valid`, fails: true},
	qcert.DefectNoQCStatements: {args: []string{"x509", "-in", "qwac.pem", "-noout", "-text"}, good: `qcStatements`},
	// ETSI: PSD2QcType ::= SEQUENCE { rolesOfPSP, nCAName, nCAId }. Inside
	// the statement (depth 1) the good twin's NCA name sits one SEQUENCE
	// deeper (depth 3) than the broken one's (depth 2).
	qcert.DefectPSD2Unwrapped:   {args: []string{"asn1parse", "-inform", "DER", "-in", qcDER}, good: `d=3 .*UTF8STRING *:Finnish Financial`, bad: `d=2 .*UTF8STRING *:Finnish Financial`},
	qcert.DefectNoQcType:        {args: []string{"asn1parse", "-inform", "DER", "-in", qcDER}, good: `:0\.4\.0\.1862\.1\.6\b`},
	qcert.DefectWebQcTypeOnSeal: {args: []string{"asn1parse", "-inform", "DER", "-in", "qseal-qc.der"}, good: `:0\.4\.0\.1862\.1\.6\.2\b`, bad: `:0\.4\.0\.1862\.1\.6\.3\b`},
	qcert.DefectNoPSPAI:         {args: []string{"asn1parse", "-inform", "DER", "-in", qcDER}, good: `:0\.4\.0\.19495\.1\.3\b`, bad: `:0\.4\.0\.19495\.1\.2\b`},
	qcert.DefectNoOrgID:         {args: []string{"x509", "-in", "qwac.pem", "-noout", "-subject", "-nameopt", "RFC2253"}, good: `organizationIdentifier=PSDFI-FINFSA-1234567-8|2\.5\.4\.97=`},
	qcert.DefectWrongKeyUsage:   {args: []string{"x509", "-in", "qseal.pem", "-noout", "-ext", "keyUsage"}, good: `Digital Signature, Non Repudiation`, bad: `^\s*Key Encipherment\s*$`},
	qcert.DefectNoClientAuth:    {args: []string{"x509", "-in", "qwac.pem", "-noout", "-ext", "extendedKeyUsage"}, good: `TLS Web Client Authentication`},
	qcert.DefectRSA1024:         {args: []string{"x509", "-in", "qwac.pem", "-noout", "-text"}, good: `Public-Key: \(2048 bit\)`, bad: `Public-Key: \(1024 bit\)`},
	qcert.DefectCAAsLeaf:        {args: []string{"x509", "-in", "qwac.pem", "-noout", "-ext", "basicConstraints"}, bad: `CA:TRUE`},
	qcert.DefectSelfSigned:      {args: []string{"verify", "-attime", "1780315200", "-CAfile", "ca.pem", "qwac.pem"}, bad: `self-signed certificate|self signed certificate`, fails: true},
	// Without the intermediate in qwac.pem openssl cannot build the chain to
	// the root; with it (the good twin) it can.
	qcert.DefectMissingIntermediate: {args: []string{"verify", "-attime", "1780315200", "-CAfile", "ca.pem", "-untrusted", "qwac.pem", "qwac.pem"}, bad: `unable to get local issuer certificate`, fails: true},
}

// writeTwin writes a set as `certs generate` does, plus the qcStatements
// extension values of the QWAC and the QSealC for asn1parse.
func writeTwin(t *testing.T, s *qcert.Set) string {
	t.Helper()
	dir := t.TempDir()
	if err := s.Write(dir, false); err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]*qcert.Issued{qcDER: s.QWAC, "qseal-qc.der": s.QSeal} {
		for _, e := range c.Cert.Extensions {
			if e.Id.Equal(qcert.OIDQCStatements) {
				writeFile(t, dir, name, e.Value)
			}
		}
	}
	return dir
}

func TestOpenSSLSeesEveryDefect(t *testing.T) {
	requireOpenSSL(t)
	for _, d := range qcert.Defects {
		t.Run(d.Name, func(t *testing.T) {
			o, ok := opensslOracle[d.Name]
			if !ok {
				t.Fatalf("no openssl oracle for %s", d.Name)
			}
			goodDir, badDir := writeTwin(t, goodTwin(t, d)), writeTwin(t, twinSet(t, d.Name, false))
			goodOut, goodErr := runOpenSSL(t, goodDir, o.args...)
			badOut, badErr := runOpenSSL(t, badDir, o.args...)
			if goodErr != nil {
				t.Fatalf("openssl %s on the good twin: %v\n%s", strings.Join(o.args, " "), goodErr, goodOut)
			}
			if o.fails != (badErr != nil) {
				t.Errorf("openssl %s on the broken set: err %v, want failure %v\n%s", strings.Join(o.args, " "), badErr, o.fails, badOut)
			}
			for _, c := range []struct {
				pat, in, notIn, what string
			}{{o.good, goodOut, badOut, "good"}, {o.bad, badOut, goodOut, "broken"}} {
				if c.pat == "" {
					continue
				}
				re := regexp.MustCompile(`(?m)` + c.pat)
				if !re.MatchString(c.in) || re.MatchString(c.notIn) {
					t.Errorf("%s: want %q only in the %s output\ngood:\n%s\nbroken:\n%s", strings.Join(o.args, " "), c.pat, c.what, goodOut, badOut)
				}
			}
		})
	}
}

// TestOpenSSLVerifiesTheIntermediateChain: the good twin's qwac.pem holds
// the QWAC then the intermediate, and openssl builds the chain from it
// alone; the broken one holds the QWAC only, and intermediate.pem mends it.
func TestOpenSSLVerifiesTheIntermediateChain(t *testing.T) {
	requireOpenSSL(t)
	dir := writeTwin(t, twinSet(t, qcert.DefectMissingIntermediate, false))
	b, err := os.ReadFile(filepath.Join(dir, "qwac.pem"))
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(b), "BEGIN CERTIFICATE"); n != 1 {
		t.Errorf("broken qwac.pem holds %d certificates; want the QWAC alone", n)
	}
	if blk, _ := pem.Decode(b); blk == nil {
		t.Fatal("qwac.pem is not PEM")
	}
	out := mustOpenSSL(t, dir, "verify", "-attime", "1780315200", "-CAfile", "ca.pem", "-untrusted", qcert.IntermediateFile, "qwac.pem")
	if !strings.Contains(out, "qwac.pem: OK") {
		t.Errorf("with intermediate.pem: %s", out)
	}
}
