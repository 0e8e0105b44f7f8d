package sandbox

import (
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/xs2a-dev/xs2a/pkg/qcert"
)

// twins makes every set of these tests: same keys, serials and clock.
var twins = &qcert.Twins{Seed: [32]byte{'t', 'w', 'i', 'n'}}

// twinSet makes DefaultOrg's set with defect brk ("" for a good one) from
// the same keys and serials as every other twin: twins without an
// intermediate share their CA, so a broken QWAC and a good QSealC (or the
// other way round) can be used together.
func twinSet(t testing.TB, brk string, intermediate bool) *qcert.Set {
	t.Helper()
	set, err := twins.Set(brk, intermediate)
	if err != nil {
		t.Fatal(err)
	}
	return set
}

// chainTransport connects with a client certificate chain as a TLS client
// sends it: the leaf, then what the file holds after it.
func chainTransport(s *Server, chain []*x509.Certificate, key *rsa.PrivateKey) *http.Transport {
	tc := tls.Certificate{PrivateKey: key, Leaf: chain[0]}
	for _, c := range chain {
		tc.Certificate = append(tc.Certificate, c.Raw)
	}
	return &http.Transport{TLSClientConfig: &tls.Config{RootCAs: s.CertPool(), MinVersion: tls.VersionTLS12,
		Certificates: []tls.Certificate{tc}}}
}

// sandboxSays is, per defect, a text the sandbox's tppMessages must carry
// when the broken QWAC connects and when the broken QSealC signs.
var sandboxSays = map[string]struct{ qwac, qseal string }{
	qcert.DefectExpired:             {"expired on", "the certificate has expired"},
	qcert.DefectNotYetValid:         {"is not valid before", "the certificate is not valid yet"},
	qcert.DefectNoQCStatements:      {"QWAC has no qcStatements extension", "QSealC has no qcStatements extension"},
	qcert.DefectPSD2Unwrapped:       {"PSD2 statement fields are not wrapped in a SEQUENCE", "PSD2 statement fields are not wrapped in a SEQUENCE"},
	qcert.DefectNoQcType:            {"QWAC has no QcType statement", "QSealC has no QcType statement"},
	qcert.DefectWebQcTypeOnSeal:     {"", "QSealC has QcType [web]; expected eseal"},
	qcert.DefectNoPSPAI:             {"roles [PSP_PI] do not include PSP_AI", "roles [PSP_PI] do not include PSP_AI"},
	qcert.DefectNoOrgID:             {"QWAC has no organizationIdentifier", "QSealC has no organizationIdentifier"},
	qcert.DefectWrongKeyUsage:       {"QWAC's key usage lacks digitalSignature", "expected keyUsage digitalSignature or nonRepudiation; got keyEncipherment"},
	qcert.DefectNoClientAuth:        {"QWAC's extended key usage lacks clientAuth", ""},
	qcert.DefectRSA1024:             {"QWAC has a 1024-bit RSA key", "QSealC has a 1024-bit RSA key"},
	qcert.DefectSelfSigned:          {"is self-signed: a QTSP must issue it", "is self-signed: a QTSP must issue it"},
	qcert.DefectMissingIntermediate: {"the intermediate is missing: send it after the QWAC", ""},
	qcert.DefectCAAsLeaf:            {"the QWAC is a CA certificate (basicConstraints CA:TRUE, keyUsage keyCertSign)", "the QSealC is a CA certificate (basicConstraints CA:TRUE, keyUsage keyCertSign)"},
}

// TestSandboxRefusesEveryDefect: the emulated bank refuses each broken
// certificate with the code a bank answers and a text naming the defect,
// the QWAC in the TLS handshake and the QSealC in the signature check,
// while the good twins (with or without an intermediate) get through.
func TestSandboxRefusesEveryDefect(t *testing.T) {
	good, goodInter := twinSet(t, "", false), twinSet(t, "", true)
	s := startSandbox(t, Options{Certs: good, Trust: []*x509.Certificate{goodInter.CA.Cert}, RatePerSecond: -1})

	// consent creates a consent as the TPP with this QWAC chain and QSealC.
	consent := func(t *testing.T, qwac []*x509.Certificate, qwacKey *rsa.PrivateKey, seal *qcert.Issued) answer {
		tr := chainTransport(s, qwac, qwacKey)
		t.Cleanup(tr.CloseIdleConnections)
		p := &party{t: t, s: s, app: s.DefaultApp, plain: &http.Client{Timeout: 30 * time.Second, Transport: tr}, signed: signing(tr, seal)}
		return p.call("POST", "/v1/consents", p.clientToken(), consentBody(nil), nil)
	}
	// connect makes any API call with this QWAC chain: the QWAC is judged first.
	connect := func(t *testing.T, qwac []*x509.Certificate, qwacKey *rsa.PrivateKey) answer {
		tr := chainTransport(s, qwac, qwacKey)
		defer tr.CloseIdleConnections()
		req := mustGet(s.URL + "/v1/consents/cns-x")
		req.Header.Set("X-Request-ID", uuid.NewString())
		return do(t, &http.Client{Timeout: 30 * time.Second, Transport: tr}, req)
	}

	t.Run("good twins", func(t *testing.T) {
		wantStatus(t, consent(t, good.QWACChain(), good.QWAC.Key, good.QSeal), 201)
		if len(goodInter.QWACChain()) != 2 {
			t.Fatalf("the good intermediate twin's chain has %d certificates", len(goodInter.QWACChain()))
		}
		wantStatus(t, consent(t, goodInter.QWACChain(), goodInter.QWAC.Key, goodInter.QSeal), 201)
	})
	for _, d := range qcert.Defects {
		t.Run(d.Name, func(t *testing.T) {
			bad := twinSet(t, d.Name, false)
			says := sandboxSays[d.Name]
			if d.Applies("qwac") {
				chain := bad.QWACChain()
				if d.Name == qcert.DefectMissingIntermediate && len(chain) != 1 {
					t.Fatalf("the broken QWAC chain has %d certificates; want the leaf alone", len(chain))
				}
				wantAPIError(t, connect(t, chain, bad.QWAC.Key), http.StatusUnauthorized, d.Code, "", says.qwac)
				if d.Name == qcert.DefectMissingIntermediate {
					// The same leaf with its intermediate passes the QWAC
					// check (the unsigned call then fails on the signature),
					// and without it is refused again: the verdict is per
					// chain, not per leaf.
					mended := append(chain, goodInter.Intermediate.Cert)
					wantAPIError(t, connect(t, mended, bad.QWAC.Key), http.StatusUnauthorized, CodeSignatureMissing, "")
					wantAPIError(t, connect(t, chain, bad.QWAC.Key), http.StatusUnauthorized, d.Code, "", says.qwac)
				}
			} else if says.qwac != "" {
				t.Errorf("%s does not concern the QWAC but sandboxSays has a QWAC text", d.Name)
			}
			if d.Applies("qseal") {
				wantAPIError(t, consent(t, good.QWACChain(), good.QWAC.Key, bad.QSeal), http.StatusUnauthorized, d.Code, "", says.qseal)
			} else {
				if says.qseal != "" {
					t.Errorf("%s does not concern the QSealC but sandboxSays has a QSealC text", d.Name)
				}
				// The good QSealC of the broken set passes: only the QWAC is at fault.
				issuer := good
				if bad.Intermediate != nil {
					issuer = goodInter
				}
				wantStatus(t, consent(t, issuer.QWACChain(), issuer.QWAC.Key, bad.QSeal), 201)
			}
		})
	}
}
