package main_test

// Issue 15: the doctor and the sandbox agree. One table of requests (the
// mistakes the doctor knows, every keyId form with and without a signed
// Date) goes byte for byte to `xs2a sandbox serve --bank X` over mutual
// TLS and through `xs2a sign verify --bank X -o json`; for every bank the
// sandbox refuses exactly what the doctor calls INVALID, naming the same
// failed checks and the same causes.

import (
	"bufio"
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/xs2a-dev/xs2a/pkg/httpmsg"
	"github.com/xs2a-dev/xs2a/pkg/httpsig"
	"github.com/xs2a-dev/xs2a/pkg/pemfile"
)

// bankKit is a TPP of a served sandbox: its certificates, token and keys.
type bankKit struct {
	t        *testing.T
	s        *served
	host     string
	tlsConf  *tls.Config
	seal     *rsa.PrivateKey
	sealCert *x509.Certificate
	caDER    []byte // the CA that issued the QSealC, for chains in the header
	token    string
	apiKey   string
}

func newBankKit(t *testing.T, s *served) *bankKit {
	t.Helper()
	certs := filepath.Join(s.dir, "certs")
	qwac, err := tls.LoadX509KeyPair(filepath.Join(certs, "qwac.pem"), filepath.Join(certs, "qwac.key"))
	if err != nil {
		t.Fatal(err)
	}
	cas, err := pemfile.ReadCertificates(filepath.Join(certs, "ca.pem"))
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	for _, c := range cas {
		pool.AddCert(c)
	}
	k := &bankKit{t: t, s: s, apiKey: s.info["api_key"], caDER: cas[0].Raw,
		tlsConf: &tls.Config{Certificates: []tls.Certificate{qwac}, RootCAs: pool, MinVersion: tls.VersionTLS12}}
	if k.sealCert, err = pemfile.ReadCertificate(filepath.Join(certs, "qseal.pem")); err != nil {
		t.Fatal(err)
	}
	if k.seal, err = pemfile.ReadRSAKey(filepath.Join(certs, "qseal.key")); err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(s.info["api_url"])
	if err != nil {
		t.Fatal(err)
	}
	k.host = u.Host
	req, _ := http.NewRequest("POST", s.info["token_endpoint"], strings.NewReader("grant_type=client_credentials"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(s.info["client_id"], s.info["client_secret"])
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	status, body := k.do(req)
	if status != 200 || json.Unmarshal(body, &tok) != nil || tok.AccessToken == "" {
		t.Fatalf("client_credentials: %d %s", status, body)
	}
	k.token = tok.AccessToken
	return k
}

func (k *bankKit) client() *http.Client {
	return &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{TLSClientConfig: k.tlsConf, DisableKeepAlives: true}}
}

func (k *bankKit) do(req *http.Request) (int, []byte) {
	k.t.Helper()
	resp, err := k.client().Do(req)
	if err != nil {
		k.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// send writes raw on a fresh mutual-TLS connection, exactly these bytes.
func (k *bankKit) send(raw []byte) (int, []byte) {
	k.t.Helper()
	conn, err := tls.Dial("tcp", k.host, k.tlsConf)
	if err != nil {
		k.t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(30 * time.Second))
	if _, err := conn.Write(raw); err != nil {
		k.t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		k.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// bankRow is one way of signing POST /v1/consents, right or wrong.
type bankRow struct {
	name    string
	prep    func(m *httpmsg.Request)        // before the digest and the signature
	digest  func(body []byte) string        // the Digest value; nil: SHA-256 of the body
	headers string                          // the headers parameter; "": x-request-id digest
	ss      func(m *httpmsg.Request) string // the signing string; nil: the right one
	hash    crypto.Hash
	alg     string
	other   bool // signed with another key than the QSealC's
	pss     bool
	keyID   func(c *x509.Certificate) string // nil: the enfuce form
	after   func(m *httpmsg.Request)         // after signing
	chain   string                           // the certificate header as a chain: "der-chain" or "base64-concatenated"
	dated   bool                             // also sent with a signed Date
}

var consentJSON = []byte(`{"access":{"allPsd2":"allAccounts"},"recurringIndicator":true,"validUntil":"9999-12-31","frequencyPerDay":4,"combinedServiceIndicator":false}`)

func ssLine(m *httpmsg.Request, h string) string {
	if h == httpsig.RequestTarget {
		return h + ": " + strings.ToLower(m.Method) + " " + m.Target
	}
	return strings.ToLower(h) + ": " + strings.Join(m.Values(h), ", ")
}

func ssOf(m *httpmsg.Request, headers ...string) string {
	var l []string
	for _, h := range headers {
		l = append(l, ssLine(m, h))
	}
	return strings.Join(l, "\n")
}

var otherTPPKey = func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
}()

// sign builds the raw request of row r, with a signed Date when date.
func (k *bankKit) sign(r bankRow, date bool) []byte {
	k.t.Helper()
	m := &httpmsg.Request{Method: "POST", Target: "/v1/consents", Proto: "HTTP/1.1", Header: []httpmsg.Field{
		{Name: "Host", Value: k.host}, {Name: "Content-Type", Value: "application/json"}, {Name: "X-Request-ID", Value: uuid.NewString()},
		{Name: "Authorization", Value: "Bearer " + k.token}, {Name: "X-API-Key", Value: k.apiKey}, {Name: "Connection", Value: "close"},
		{Name: "PSU-IP-Address", Value: "192.0.2.1"}, // mandatory on POST /v1/consents
	}, Body: append([]byte(nil), consentJSON...)}
	if date {
		m.Set("Date", time.Now().UTC().Format(http.TimeFormat))
	}
	if r.prep != nil {
		r.prep(m)
	}
	sum := sha256.Sum256(m.Body)
	dg := "SHA-256=" + base64.StdEncoding.EncodeToString(sum[:])
	if r.digest != nil {
		dg = r.digest(m.Body)
	}
	m.Set("Digest", dg)
	headers := r.headers
	if headers == "" {
		headers = "x-request-id digest"
	}
	if date {
		headers += " date"
	}
	ss := ssOf(m, strings.Fields(headers)...)
	if r.ss != nil {
		ss = r.ss(m)
	}
	h := r.hash
	if h == 0 {
		h = crypto.SHA256
	}
	hh := h.New()
	hh.Write([]byte(ss))
	key := k.seal
	if r.other {
		key = otherTPPKey
	}
	var sig []byte
	var err error
	if r.pss {
		sig, err = rsa.SignPSS(rand.Reader, key, h, hh.Sum(nil), nil)
	} else {
		sig, err = rsa.SignPKCS1v15(rand.Reader, key, h, hh.Sum(nil))
	}
	if err != nil {
		k.t.Fatal(err)
	}
	alg := r.alg
	if alg == "" {
		alg = "rsa-sha256"
	}
	keyID, _ := httpsig.KeyID(k.sealCert, httpsig.DefaultKeyIDFormat)
	if r.keyID != nil {
		keyID = r.keyID(k.sealCert)
	}
	m.Set("Signature", fmt.Sprintf(`keyId="%s",algorithm="%s",headers="%s",signature="%s"`, keyID, alg, headers, base64.StdEncoding.EncodeToString(sig)))
	m.Set("TPP-Signature-Certificate", base64.StdEncoding.EncodeToString(k.sealCert.Raw))
	if r.after != nil {
		r.after(m)
	}
	switch r.chain {
	case "der-chain":
		m.Set("TPP-Signature-Certificate", base64.StdEncoding.EncodeToString(append(slices.Clone(k.sealCert.Raw), k.caDER...)))
	case "base64-concatenated":
		m.Set("TPP-Signature-Certificate", base64.StdEncoding.EncodeToString(k.caDER)+" "+base64.StdEncoding.EncodeToString(k.sealCert.Raw))
	}
	m.Set("Content-Length", fmt.Sprint(len(m.Body)))
	var b bytes.Buffer
	if _, err := m.WriteTo(&b); err != nil {
		k.t.Fatal(err)
	}
	return b.Bytes()
}

// bankRows is the table: every mistake of pkg/httpsig's mistakes_test.go
// that can travel over HTTP (the certificate's validity period is the
// sandbox's clock, not the table's), and every keyId form.
func bankRows() []bankRow {
	b64 := base64.StdEncoding.EncodeToString
	s256 := func(b []byte) []byte { s := sha256.Sum256(b); return s[:] }
	s512 := func(b []byte) []byte { s := sha512.Sum512(b); return s[:] }
	kid := func(f httpsig.KeyIDFormat) func(c *x509.Certificate) string {
		return func(c *x509.Certificate) string { s, _ := httpsig.KeyID(c, f); return s }
	}
	pretty := func(b []byte) []byte {
		var out bytes.Buffer
		_ = json.Indent(&out, b, "", "  ")
		return out.Bytes()
	}
	rows := []bankRow{
		{name: "correct", dated: true},
		{name: "header order swapped", ss: func(m *httpmsg.Request) string { return ssOf(m, "digest", "x-request-id") }},
		{name: "names in canonical case", ss: func(m *httpmsg.Request) string {
			return "X-Request-ID: " + m.Get("X-Request-ID") + "\nDigest: " + m.Get("Digest")
		}},
		{name: "lines joined by CRLF", ss: func(m *httpmsg.Request) string { return ssOf(m, "x-request-id") + "\r\n" + ssOf(m, "digest") }},
		{name: "trailing newline", ss: func(m *httpmsg.Request) string { return ssOf(m, "x-request-id", "digest") + "\n" }},
		{name: "(request-target) signed, not listed", ss: func(m *httpmsg.Request) string {
			return ssOf(m, httpsig.RequestTarget, "x-request-id", "digest")
		}},
		{name: "(request-target) listed, not signed", headers: "(request-target) x-request-id digest",
			ss: func(m *httpmsg.Request) string { return ssOf(m, "x-request-id", "digest") }},
		{name: "SHA-512 signed, rsa-sha256 declared", hash: crypto.SHA512},
		{name: "SHA-256 signed, rsa-sha512 declared", alg: "rsa-sha512"},
		{name: "signed with another key", other: true},
		{name: "RSA-PSS padding", pss: true},
		{name: "listed header left out", ss: func(m *httpmsg.Request) string { return ssOf(m, "x-request-id") }},
		{name: "extra header signed, not listed", ss: func(m *httpmsg.Request) string {
			return ssOf(m, "x-request-id", "digest") + "\npsu-ip-address: 192.0.2.1"
		}},
		{name: "digest in hex", digest: func(b []byte) string { return "SHA-256=" + hex.EncodeToString(s256(b)) }},
		{name: "SHA-512 value labelled SHA-256", digest: func(b []byte) string { return "SHA-256=" + b64(s512(b)) }},
		{name: "digest over body plus newline", digest: func(b []byte) string { return "SHA-256=" + b64(s256(append(slices.Clone(b), '\n'))) }},
		{name: "digest over compact JSON, pretty body sent", prep: func(m *httpmsg.Request) { m.Body = pretty(m.Body) },
			digest: func(b []byte) string { return "SHA-256=" + b64(s256(consentJSON)) }},
		{name: "digest of the empty body", digest: func([]byte) string { return "SHA-256=" + b64(s256(nil)) }},
		{name: "digest in base64url", digest: func(b []byte) string { return "SHA-256=" + base64.RawURLEncoding.EncodeToString(s256(b)) }},
		{name: "SHA-512 digest", digest: func(b []byte) string { return "SHA-512=" + b64(s512(b)) }},
		{name: "keyId of another serial", keyID: func(c *x509.Certificate) string {
			s, _ := httpsig.KeyID(c, httpsig.DefaultKeyIDFormat)
			_, ca, _ := httpsig.ParseKeyID(s)
			return "SN=01,CA=" + ca
		}},
		{name: "keyId of another CA", keyID: func(c *x509.Certificate) string {
			return "SN=" + httpsig.FormatSerial(c.SerialNumber, httpsig.SerialDERHex) + ",CA=CN=Other%20CA,C=DE"
		}},
		{name: "keyId without CA", keyID: func(c *x509.Certificate) string {
			return "SN=" + httpsig.FormatSerial(c.SerialNumber, httpsig.SerialDERHex)
		}},
		{name: "digest not signed", headers: "x-request-id"},
		{name: "x-request-id not signed", headers: "digest"},
		{name: "psu-id present, not signed", prep: func(m *httpmsg.Request) { m.Set("PSU-ID", "PSU-1234") }, dated: true},
		{name: "psu-id present and signed", prep: func(m *httpmsg.Request) { m.Set("PSU-ID", "PSU-1234") }, headers: "x-request-id digest psu-id", dated: true},
		{name: "tpp-redirect-uri signed, then dropped", prep: func(m *httpmsg.Request) { m.Set("TPP-Redirect-URI", "https://tpp.example/cb") },
			headers: "x-request-id digest tpp-redirect-uri", after: func(m *httpmsg.Request) { m.Del("TPP-Redirect-URI") }},
		{name: "content-type signed", headers: "x-request-id digest content-type"},
		{name: "upper-case name in the list", headers: "X-Request-ID digest",
			ss: func(m *httpmsg.Request) string { return ssOf(m, "x-request-id", "digest") }},
		{name: "header listed twice", headers: "x-request-id digest digest"},
		{name: "TPP-Signature-Certificate missing", after: func(m *httpmsg.Request) { m.Del("TPP-Signature-Certificate") }},
		{name: "TPP-Signature-Certificate not base64", after: func(m *httpmsg.Request) { m.Set("TPP-Signature-Certificate", "not base64 at all!") }},
		{name: "TPP-Signature-Certificate base64 of garbage", after: func(m *httpmsg.Request) { m.Set("TPP-Signature-Certificate", b64([]byte("hello world"))) }},
		// The certificate header in the forms people send: enfuce refuses
		// all but base64 DER, the others warn; sandbox and doctor alike.
		{name: "TPP-Signature-Certificate PEM-armoured", after: func(m *httpmsg.Request) {
			m.Set("TPP-Signature-Certificate", "-----BEGIN CERTIFICATE-----"+m.Get("TPP-Signature-Certificate")+"-----END CERTIFICATE-----")
		}},
		{name: "TPP-Signature-Certificate base64url", after: func(m *httpmsg.Request) {
			der, _ := base64.StdEncoding.DecodeString(m.Get("TPP-Signature-Certificate"))
			m.Set("TPP-Signature-Certificate", base64.RawURLEncoding.EncodeToString(der))
		}},
		{name: "TPP-Signature-Certificate with spaces every 64", after: func(m *httpmsg.Request) {
			v, parts := m.Get("TPP-Signature-Certificate"), []string{}
			for len(v) > 64 {
				parts, v = append(parts, v[:64]), v[64:]
			}
			m.Set("TPP-Signature-Certificate", strings.Join(append(parts, v), " "))
		}},
		{name: "TPP-Signature-Certificate as a DER chain", chain: "der-chain"},
		{name: "TPP-Signature-Certificate CA first, then the QSealC", chain: "base64-concatenated"},
		{name: "X-Request-ID not a UUID", prep: func(m *httpmsg.Request) { m.Set("X-Request-ID", "req-42-"+uuid.NewString()[:8]) }},
		{name: "two Signature headers", after: func(m *httpmsg.Request) {
			m.Header = append(m.Header, httpmsg.Field{Name: "Signature", Value: m.Get("Signature")})
		}},
		{name: "Signature header cut off", after: func(m *httpmsg.Request) { v := m.Get("Signature"); m.Set("Signature", v[:len(v)-1]) }},
	}
	for _, sf := range httpsig.SerialForms {
		for _, df := range httpsig.DNForms {
			rows = append(rows, bankRow{name: "keyId " + string(sf) + "/" + string(df), keyID: kid(httpsig.KeyIDFormat{Serial: sf, DN: df}), dated: true})
		}
	}
	rows = append(rows,
		bankRow{name: "keyId serial with colons", dated: true, keyID: func(c *x509.Certificate) string {
			s := httpsig.FormatSerial(c.SerialNumber, httpsig.SerialLowerHex)
			var b strings.Builder
			for i := 0; i < len(s); i += 2 {
				if i > 0 {
					b.WriteByte(':')
				}
				b.WriteString(s[i:min(i+2, len(s))])
			}
			k, _ := httpsig.KeyID(c, httpsig.DefaultKeyIDFormat)
			_, ca, _ := httpsig.ParseKeyID(k)
			return "SN=" + b.String() + ",CA=" + ca
		}},
		bankRow{name: "keyId der-hex in lower case", dated: true, keyID: func(c *x509.Certificate) string {
			k, _ := httpsig.KeyID(c, httpsig.DefaultKeyIDFormat)
			sn, ca, _ := httpsig.ParseKeyID(k)
			return "SN=" + strings.ToLower(sn) + ",CA=" + ca
		}},
	)
	return rows
}

// doctorVerdict is what `sign verify -o json` says.
type doctorVerdict struct {
	Valid  bool   `json:"valid"`
	Bank   string `json:"bank"`
	Checks []struct {
		ID     string `json:"id"`
		Status string `json:"status"`
	} `json:"checks"`
	Causes []struct {
		ID string `json:"id"`
	} `json:"causes"`
}

func (d doctorVerdict) failed() []string {
	var out []string
	for _, c := range d.Checks {
		if c.Status == "fail" {
			out = append(out, c.ID)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func (d doctorVerdict) causes() []string {
	var out []string
	for _, c := range d.Causes {
		out = append(out, c.ID)
	}
	slices.Sort(out)
	return out
}

var checkFailedText = regexp.MustCompile(`^check (\S+) failed`)

func TestDoctorAndSandboxAgree(t *testing.T) {
	rows := bankRows()
	for _, bank := range httpsig.Banks {
		t.Run(string(bank), func(t *testing.T) {
			s := serveBinary(t, "--bank", string(bank), "--show-secrets")
			if s.info["bank"] != string(bank) {
				t.Fatalf("serve -o json: %v", s.info)
			}
			// --write-profile records the bank, so sign verify -p sb judges
			// by it without --bank.
			if b, _ := os.ReadFile(s.cfg); !strings.Contains(string(b), "bank: "+string(bank)+"\n") {
				t.Errorf("the written profile lacks bank: %s\n%s", bank, b)
			}
			k := newBankKit(t, s)
			dir := t.TempDir()
			refused := 0
			for i, r := range rows {
				for _, date := range []bool{false, true} {
					if date && !r.dated {
						continue
					}
					name := r.name
					if date {
						name += "/date"
					}
					raw := k.sign(r, date)
					file := filepath.Join(dir, fmt.Sprintf("%d-%v.http", i, date))
					if err := os.WriteFile(file, raw, 0o600); err != nil {
						t.Fatal(err)
					}
					// The doctor, through the built binary.
					res := xs2a(t, dir, "", nil, "sign", "verify", file, "--bank", string(bank), "-o", "json")
					var doc doctorVerdict
					if err := json.Unmarshal([]byte(res.stdout), &doc); err != nil || doc.Bank != string(bank) {
						t.Fatalf("%s: sign verify -o json: exit %d, %v\n%s%s", name, res.code, err, res.stdout, res.stderr)
					}
					if want := map[bool]int{true: 0, false: 6}[doc.Valid]; res.code != want {
						t.Errorf("%s: sign verify exit %d; want %d", name, res.code, want)
					}
					// The profile's bank is the default: the same verdict.
					if i == 0 && !date {
						pr := s.run(nil, "sign", "verify", file, "-o", "json")
						var pd doctorVerdict
						if err := json.Unmarshal([]byte(pr.stdout), &pd); err != nil || pd.Bank != string(bank) {
							t.Errorf("sign verify -p sb judges by %q; want %s (%v)", pd.Bank, bank, err)
						}
					}
					// The sandbox, over mutual TLS, the same bytes.
					status, body := k.send(raw)
					accepted := status == http.StatusCreated
					if accepted != doc.Valid {
						t.Errorf("%s: sandbox answered %d, the doctor says valid=%v (failed %v)\n%s", name, status, doc.Valid, doc.failed(), body)
						continue
					}
					if accepted {
						continue
					}
					refused++
					var answer struct {
						TPPMessages []struct {
							Code, Path, Text string
						} `json:"tppMessages"`
					}
					if err := json.Unmarshal(body, &answer); err != nil {
						t.Fatalf("%s: answer %d %s", name, status, body)
					}
					var named []string
					for _, m := range answer.TPPMessages {
						if mm := checkFailedText.FindStringSubmatch(m.Text); mm != nil {
							named = append(named, mm[1])
						}
						if m.Path == "X-Request-ID" && m.Code == "FORMAT_ERROR" {
							// Refused before the signature checks: the
							// doctor's check of the same name.
							named = append(named, httpsig.CheckRequestID)
						}
					}
					slices.Sort(named)
					named = slices.Compact(named)
					// A request refused before the signature checks (its
					// X-Request-ID) names that one check; the doctor,
					// which runs them all, names it among the others.
					early := len(answer.TPPMessages) == 1 && answer.TPPMessages[0].Path == "X-Request-ID"
					if early && !slices.Contains(doc.failed(), httpsig.CheckRequestID) {
						t.Errorf("%s: the sandbox refused the X-Request-ID, the doctor names %v", name, doc.failed())
					} else if !early && !slices.Equal(named, doc.failed()) {
						t.Errorf("%s: the sandbox names the checks %v, the doctor %v\n%s", name, named, doc.failed(), body)
					}
					// The kept record: the same causes as the doctor's.
					m, _ := httpmsg.Parse(raw)
					rid := m.Get("X-Request-ID")
					req, _ := http.NewRequest("GET", s.info["rejections"]+url.PathEscape(rid), nil)
					st, rb := k.do(req)
					var rec struct {
						Diagnosis *doctorVerdict `json:"diagnosis"`
					}
					if st != 200 || json.Unmarshal(rb, &rec) != nil {
						t.Errorf("%s: rejection record: %d %s", name, st, rb)
						continue
					}
					if rec.Diagnosis == nil {
						if early {
							continue // refused before the signature checks ran
						}
						t.Errorf("%s: the record has no diagnosis: %s", name, rb)
						continue
					}
					if got, want := rec.Diagnosis.causes(), doc.causes(); !slices.Equal(got, want) {
						t.Errorf("%s: the sandbox's causes %v, the doctor's %v", name, got, want)
					}
				}
			}
			if refused == 0 {
				t.Errorf("the %s sandbox refused nothing", bank)
			}
		})
	}
}

// TestSignVerifyBankThroughTheBinary: sign verify judges by one bank, named
// in the verdict; the profile's bank is the default; --bank all is a line
// per bank; certs generate --write-profile records the bank.
func TestSignVerifyBankThroughTheBinary(t *testing.T) {
	dir := t.TempDir()
	sign := []string{"sign", "--key", fixture("qseal.key"), "--cert", fixture("qseal.pem"), "-X", "POST", "--url", "https://bank.example/v1/consents",
		"-d", `{"access":{"allPsd2":"allAccounts"}}`, "--format", "http"}
	signed := func(args ...string) string {
		t.Helper()
		r := xs2a(t, dir, "", nil, append(append([]string{}, sign...), args...)...)
		if r.code != 0 {
			t.Fatalf("sign %v: exit %d %s", args, r.code, r.stderr)
		}
		return r.stdout
	}

	// The false VALID: a decimal serial. Enfuce by default.
	dec := signed("--serial-form", "decimal")
	r := xs2a(t, dir, dec, nil, "sign", "verify", "-")
	if r.code != 6 || !strings.Contains(r.stdout, "\nINVALID for enfuce: enfuce would reject this request") ||
		!strings.Contains(r.stdout, `the bank wants "the serial number of the QSEALC in hexadecimal coding"`) ||
		!strings.Contains(r.stdout, "fix: write the serial in hexadecimal: SN=") {
		t.Errorf("decimal serial, default bank: exit %d\n%s", r.code, r.stdout)
	}
	r = xs2a(t, dir, dec, nil, "sign", "verify", "-", "-o", "json")
	var d doctorVerdict
	if err := json.Unmarshal([]byte(r.stdout), &d); err != nil || r.code != 6 || d.Bank != "enfuce" || !slices.Equal(d.causes(), []string{"keyid-serial-decimal"}) || !slices.Equal(d.failed(), []string{"key-id"}) {
		t.Errorf("decimal serial -o json: exit %d, %v\n%s", r.code, err, r.stdout)
	}
	r = xs2a(t, dir, dec, nil, "sign", "verify", "-", "--bank", "lenient")
	if r.code != 0 || !strings.Contains(r.stdout, "\nVALID for lenient: ") {
		t.Errorf("decimal serial, lenient: exit %d\n%s", r.code, r.stdout)
	}
	// --expect-serial-form still decides the keyId form over the bank's.
	r = xs2a(t, dir, dec, nil, "sign", "verify", "-", "--expect-serial-form", "decimal")
	if r.code != 0 || !strings.Contains(r.stdout, "\nVALID for enfuce: ") {
		t.Errorf("decimal serial with --expect-serial-form decimal: exit %d\n%s", r.code, r.stdout)
	}

	// --bank all: one line per bank, exit 0 when one accepts.
	r = xs2a(t, dir, dec, nil, "sign", "verify", "-", "--bank", "all")
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if len(lines) > 0 && lines[0] == "read: raw HTTP/1.1 request" {
		lines = lines[1:]
	} else {
		t.Errorf("--bank all does not say what it read:\n%s", r.stdout)
	}
	if r.code != 0 || len(lines) != 3 ||
		!regexp.MustCompile(`^enfuce +INVALID +key-id: the keyId's serial \d+ is written in decimal`).MatchString(lines[0]) ||
		!regexp.MustCompile(`^adorsys +INVALID +signed-headers: this ASPSP requires "date"`).MatchString(lines[1]) ||
		!regexp.MustCompile(`^lenient +VALID +accepts this request$`).MatchString(lines[2]) {
		t.Errorf("--bank all: exit %d\n%s", r.code, r.stdout)
	}
	r = xs2a(t, dir, dec, nil, "sign", "verify", "-", "--bank", "all", "-o", "json")
	var all []doctorVerdict
	if err := json.Unmarshal([]byte(r.stdout), &all); err != nil || len(all) != 3 || all[0].Bank != "enfuce" || all[1].Bank != "adorsys" || all[2].Bank != "lenient" || !all[2].Valid {
		t.Errorf("--bank all -o json: %v\n%s", err, r.stdout)
	}
	// A body changed after signing: no bank accepts.
	tampered := strings.Replace(signed(), "allAccounts", "allAccountz", 1)
	if r = xs2a(t, dir, tampered, nil, "sign", "verify", "-", "--bank", "all"); r.code != 6 || strings.Count(r.stdout, " INVALID ") != 3 || strings.Count(r.stdout, "INVALID  digest: the digest was computed over other bytes") != 2 {
		t.Errorf("tampered body, --bank all: exit %d\n%s", r.code, r.stdout)
	}

	// The README's adorsys example, judged by adorsys: VALID (issue 15: it
	// said INVALID), by --bank and by the profile's bank.
	ad := signed("--keyid-form", "adorsys", "--sign-date")
	if r = xs2a(t, dir, ad, nil, "sign", "verify", "-", "--bank", "adorsys"); r.code != 0 || !strings.Contains(r.stdout, "\nVALID for adorsys: ") {
		t.Errorf("adorsys example, --bank adorsys: exit %d\n%s", r.code, r.stdout)
	}
	if r = xs2a(t, dir, ad, nil, "sign", "verify", "-"); r.code != 6 || !strings.Contains(r.stdout, "does not allow (exactly: x-request-id digest;") {
		t.Errorf("adorsys example judged by enfuce: exit %d\n%s", r.code, r.stdout)
	}
	cfg := filepath.Join(dir, "config.yaml")
	r = xs2a(t, dir, "", nil, "--config", cfg, "certs", "generate", "--dir", filepath.Join(dir, "certs"), "--write-profile", "ad", "--bank", "adorsys")
	if b, _ := os.ReadFile(cfg); r.code != 0 || !strings.Contains(string(b), "bank: adorsys") ||
		!strings.Contains(string(b), "keyid_form: adorsys\n") || !strings.Contains(string(b), "sign_date: true\n") {
		t.Fatalf("certs generate --write-profile --bank adorsys (bank and its signing settings): exit %d %s\n%s", r.code, r.stderr, b)
	}
	if r = xs2a(t, dir, ad, nil, "--config", cfg, "-p", "ad", "sign", "verify", "-"); r.code != 0 || !strings.Contains(r.stdout, "\nVALID for adorsys: ") {
		t.Errorf("adorsys example with the profile's bank: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r = xs2a(t, dir, ad, nil, "--config", cfg, "-p", "ad", "sign", "verify", "-", "--bank", "enfuce"); r.code != 6 {
		t.Errorf("--bank over the profile's bank: exit %d", r.code)
	}
	r = xs2a(t, dir, "", nil, "--config", cfg, "certs", "generate", "--dir", filepath.Join(dir, "certs2"), "--write-profile", "en")
	if b, _ := os.ReadFile(cfg); r.code != 0 || !strings.Contains(string(b), "bank: enfuce") {
		t.Errorf("certs generate --write-profile writes bank: enfuce unless told: exit %d\n%s", r.code, b)
	}

	// Bad input: one line, exit 2.
	for _, tt := range []struct {
		name string
		env  []string
		args []string
		want string
	}{
		{"unknown bank", nil, []string{"sign", "verify", "-", "--bank", "Enfuce"}, `--bank: unknown bank "Enfuce" (one of enfuce, adorsys, lenient), or all`},
		{"--generic and --bank", nil, []string{"sign", "verify", "-", "--bank", "enfuce", "--generic"}, "give either --generic (plain draft-cavage rules) or --bank, not both"},
		{"profile's bank unknown", []string{"XS2A_BANK=octal"}, []string{"--config", cfg, "-p", "ad", "sign", "verify", "-"}, `the profile's bank: unknown bank "octal"`},
		{"certs generate --bank", nil, []string{"certs", "generate", "--dir", filepath.Join(dir, "c3"), "--bank", "x"}, `--bank: unknown bank "x"`},
	} {
		r := xs2a(t, dir, dec, tt.env, tt.args...)
		if r.code != 2 || strings.Count(r.stderr, "\n") != 1 || !strings.Contains(r.stderr, tt.want) {
			t.Errorf("%s: exit %d, stderr %q; want 2 and %q", tt.name, r.code, r.stderr, tt.want)
		}
	}
}
