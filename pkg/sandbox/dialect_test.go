package sandbox

// The dialects and the memory of rejections, through real TLS on loopback:
// each dialect against every keyId form, with and without a signed Date.

import (
	"bytes"
	"crypto/x509"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xs2a-dev/xs2a/pkg/httpsig"
)

// signerClient is the bank TPP's QWAC with a signer configured by edit.
func signerClient(t testing.TB, s *Server, edit func(*httpsig.Signer)) *http.Client {
	tr := mtlsTransport(s, s.Certs.QWAC)
	t.Cleanup(tr.CloseIdleConnections)
	sg := &httpsig.Signer{Key: s.Certs.QSeal.Key, Cert: s.Certs.QSeal.Cert}
	if edit != nil {
		edit(sg)
	}
	return &http.Client{Timeout: 30 * time.Second, Transport: &httpsig.Transport{Signer: sg, Base: tr}}
}

// record reads GET /sandbox/v1/rejections/{rid} as party p.
func (p *party) record(rid string) (answer, *Record) {
	p.t.Helper()
	a := do(p.t, p.plain, mustGet(p.s.URL+RejectionsPath+rid))
	if a.status != http.StatusOK {
		return a, nil
	}
	var r Record
	a.json(p.t, &r)
	return a, &r
}

type syncLog struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *syncLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// line waits for the log line of request rid (written after the answer).
func (l *syncLog) line(t testing.TB, rid string) string {
	t.Helper()
	for range 200 {
		l.mu.Lock()
		for _, ln := range strings.Split(l.b.String(), "\n") {
			if strings.Contains(ln, " "+rid+" ") {
				l.mu.Unlock()
				return ln
			}
		}
		l.mu.Unlock()
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("no log line for %s", rid)
	return ""
}

func TestDialects(t *testing.T) {
	type form struct {
		name     string
		f        httpsig.KeyIDFormat
		override func(s *Server) string // a keyId in no form, when set
	}
	var forms []form
	for _, sf := range httpsig.SerialForms {
		for _, df := range httpsig.DNForms {
			forms = append(forms, form{name: string(sf) + "+" + string(df), f: httpsig.KeyIDFormat{Serial: sf, DN: df}})
		}
	}
	adorsys := httpsig.KeyIDFormat{Serial: httpsig.SerialLowerHex, DN: httpsig.DNPercent}
	// The adorsys form with the serial's bytes separated by colons, as
	// certificate viewers print it: the right certificate, in no form.
	forms = append(forms, form{name: "variant", override: func(s *Server) string {
		k, _ := httpsig.KeyID(s.Certs.QSeal.Cert, adorsys)
		sn, ca, _ := httpsig.ParseKeyID(k)
		var b strings.Builder
		for i := 0; i < len(sn); i += 2 {
			if i > 0 {
				b.WriteByte(':')
			}
			b.WriteString(sn[i:min(i+2, len(sn))])
		}
		return "SN=" + b.String() + ",CA=" + ca
	}})

	for _, dialect := range Dialects {
		t.Run(string(dialect), func(t *testing.T) {
			log := &syncLog{}
			s := startSandbox(t, Options{Dialect: dialect, RatePerSecond: -1, RatePerDay: -1, Log: log})
			p := bankTPP(t, s)
			tok := p.clientToken()
			for _, fm := range forms {
				for _, date := range []bool{false, true} {
					name := fm.name
					if date {
						name += "/date"
					}
					t.Run(name, func(t *testing.T) {
						c := signerClient(t, s, func(sg *httpsig.Signer) {
							sg.KeyID, sg.SignDate = fm.f, date
							if fm.override != nil {
								sg.KeyIDOverride = fm.override(s)
							}
						})
						req := p.request("POST", "/v1/consents", tok, consentBody(nil), nil)
						rid := req.Header.Get("X-Request-ID")
						a := do(t, c, req)
						exact := fm.override == nil
						var accept bool
						switch dialect {
						case DialectEnfuce:
							// Issue 15: Enfuce's page wants the serial in hex
							// and the CA URL-encoded; decimal serials and
							// raw-space DNs, once accepted, are refused.
							accept = !date && enfuceKeyOK(fm.f, exact)
						case DialectAdorsys:
							accept = date && fm.f == adorsys && exact
						case DialectLenient:
							accept = true
						}
						if !accept {
							wantAPIError(t, a, http.StatusUnauthorized, CodeSignatureInvalid, "")
							_, rec := p.record(rid)
							if rec == nil || rec.Accepted || rec.Status != 401 || rec.Diagnosis == nil || rec.Dialect != string(dialect) {
								t.Fatalf("record of the rejection: %+v", rec)
							}
							checkDialectRejection(t, s.Certs.QSeal.Cert, dialect, fm.f, exact, date, a, rec)
							return
						}
						wantStatus(t, a, http.StatusCreated)
						ra, rec := p.record(rid)
						warns := dialect == DialectLenient && (date || !exact)
						if !warns {
							wantAPIError(t, ra, http.StatusNotFound, CodeResourceUnknown, "", "no rejection of a request with X-Request-ID "+rid)
							return
						}
						if rec == nil || !rec.Accepted || rec.Status != http.StatusCreated || len(rec.Messages) != 0 || rec.Diagnosis == nil || !rec.Diagnosis.Valid {
							t.Fatalf("record of an accepted request with warnings: %+v", rec)
						}
						want := `signed-headers: "date" is not allowed in the Berlin Group header list`
						if !exact {
							want = "key-id: serial written as a variant of hex"
						}
						joined := strings.Join(rec.Warnings, " | ")
						if !strings.Contains(joined, want) {
							t.Errorf("warnings %q lack %q", joined, want)
						}
						if ln := log.line(t, rid); !strings.Contains(ln, " 201 - "+rid+" ") || !strings.Contains(ln, " warnings: ") || !strings.Contains(ln, want) {
							t.Errorf("log line %q lacks the warning %q", ln, want)
						}
					})
				}
			}
		})
	}
}

// checkDialectRejection: the answer and the kept diagnosis say which form
// and which header list came and which were expected, and how to fix it.
func checkDialectRejection(t *testing.T, cert *x509.Certificate, dialect Dialect, f httpsig.KeyIDFormat, exact, date bool, a answer, rec *Record) {
	t.Helper()
	text := a.text(t)
	kid := rec.Diagnosis.Check(httpsig.CheckKeyID)
	hdr := rec.Diagnosis.Check(httpsig.CheckHeaders)
	switch dialect {
	case DialectEnfuce:
		if date && (!strings.Contains(text, `"date" is not allowed in the Berlin Group header list`) || hdr.Status != httpsig.Fail) {
			t.Errorf("enfuce rejection of a signed date: %s", text)
		}
		if exact && !namesForm(kid.Detail, f) {
			t.Errorf("enfuce keyId check does not name the form: %+v", kid)
		}
		if enfuceKeyOK(f, exact) {
			if kid.Status != httpsig.Pass {
				t.Errorf("enfuce keyId check %+v", kid)
			}
			break
		}
		var want []string
		switch {
		case !exact:
			want = append(want, "keyid-serial-not-hex")
		case f.Serial == httpsig.SerialDecimal:
			want = append(want, "keyid-serial-decimal")
		}
		if exact && f.DN != httpsig.DNPercent && f.DN != httpsig.DNX509OrderPercent {
			want = append(want, "keyid-dn-not-encoded")
		}
		if kid.Status != httpsig.Fail || !strings.Contains(text, "this ASPSP accepts serial as der-hex, hex, lower-hex and DN as rfc4514-pct, x509-order-pct") {
			t.Errorf("enfuce keyId check %+v, answer %s", kid, text)
		}
		for _, id := range want {
			if !slices.ContainsFunc(rec.Diagnosis.Causes, func(c httpsig.Cause) bool { return c.ID == id && c.Fix != "" }) {
				t.Errorf("enfuce rejection of %s+%s lacks cause %s: %+v", f.Serial, f.DN, id, rec.Diagnosis.Causes)
			}
		}
	case DialectAdorsys:
		if !date && (!strings.Contains(text, `"date" must be signed (this ASPSP requires it)`) || hdr.Status != httpsig.Fail) {
			t.Errorf("adorsys rejection without date: %s", text)
		}
		if date && hdr.Status != httpsig.Pass {
			t.Errorf("adorsys header check with date: %+v", hdr)
		}
		wrongForm := !exact || f != (httpsig.KeyIDFormat{Serial: httpsig.SerialLowerHex, DN: httpsig.DNPercent})
		if wrongForm {
			if exact && !namesForm(text, f) {
				t.Errorf("adorsys rejection does not name the form seen (%s, %s): %s", f.Serial, f.DN, text)
			}
			if !exact && !strings.Contains(text, "serial written as a variant of hex") {
				t.Errorf("adorsys rejection does not name the variant: %s", text)
			}
			for _, w := range []string{"this ASPSP expects serial as lower-hex and DN as rfc4514-pct (keyId form adorsys)", "--keyid-form adorsys"} {
				if !strings.Contains(text, w) {
					t.Errorf("adorsys rejection lacks %q: %s", w, text)
				}
			}
			want, _ := httpsig.KeyID(cert, httpsig.KeyIDFormat{Serial: httpsig.SerialLowerHex, DN: httpsig.DNPercent})
			if kid.Status != httpsig.Fail || kid.Expected != want {
				t.Errorf("adorsys keyId check %+v", kid)
			}
		} else if kid.Status != httpsig.Pass {
			t.Errorf("adorsys keyId check of the adorsys form: %+v", kid)
		}
	}
	if !strings.Contains(text, "xs2a sandbox why "+rec.RequestID) {
		t.Errorf("the answer does not point to the kept report: %s", text)
	}
}

// enfuceKeyOK: Enfuce's page reads the serial "in hexadecimal coding" and
// the CA as the URL-encoded DN; the colon-separated variant is not hex.
func enfuceKeyOK(f httpsig.KeyIDFormat, exact bool) bool {
	return exact && f.Serial != httpsig.SerialDecimal && (f.DN == httpsig.DNPercent || f.DN == httpsig.DNX509OrderPercent)
}

// namesForm: the text says which serial and DN form the keyId was in (a
// serial without the high bit set is der-hex and hex at once, a DN without
// spaces rfc4514 and rfc4514-pct; the diagnosis names both).
func namesForm(text string, f httpsig.KeyIDFormat) bool {
	i := strings.Index(text, "serial written as ")
	if i < 0 {
		return false
	}
	rest := text[i:]
	if k := strings.IndexAny(rest, ";|"); k >= 0 {
		rest = rest[:k]
	}
	return containsWord(rest, string(f.Serial)) && containsWord(rest, string(f.DN))
}

func containsWord(s, w string) bool {
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == '(' || r == ')' || r == ',' }) {
		if f == w {
			return true
		}
	}
	return false
}
