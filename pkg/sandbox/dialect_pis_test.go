package sandbox

// The dialects on PIS and PIIS: a bank reads every signature by the same
// rules, so what a dialect refuses on a consent it refuses on a payment
// and a funds confirmation too, with the same code and the same report.

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/xs2a-dev/xs2a/pkg/httpsig"
)

// tamperBody changes the first digit of a request's body after it was
// signed: the Digest no longer matches what arrives.
type tamperBody struct{ base http.RoundTripper }

func (tb tamperBody) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body == nil {
		return tb.base.RoundTrip(req)
	}
	b, err := io.ReadAll(req.Body)
	req.Body.Close()
	if err != nil {
		return nil, err
	}
	if i := bytes.IndexAny(b, "0123456789"); i >= 0 {
		b[i] = '0' + (b[i]-'0'+1)%10
	}
	r := req.Clone(req.Context())
	r.Body = io.NopCloser(bytes.NewReader(b))
	return tb.base.RoundTrip(r)
}

// dialectOutcome is what the sandbox made of one signed request: the
// status, and for a refusal the code, the failed checks and the causes of
// the kept report; for an accepted request the warnings it kept.
type dialectOutcome struct {
	status   int
	code     string
	findings []string
	warnings []string
}

// signVariant is one way of signing, set on top of the dialect's own
// (enfuce and lenient: xs2a's default; adorsys: its keyId form and a
// signed Date).
type signVariant struct {
	name string
	// edit changes the signer; headers is the extra request headers.
	edit    func(sg *httpsig.Signer, dialect Dialect)
	headers map[string]string
	tamper  bool // the body changes after signing
	digest  bool // the request carries its right Digest, signed or not
	// requestID: an X-Request-ID that is not a UUID (the file wants one).
	requestID bool
	// want is what the dialect does with it: accepted (warned when the
	// lenient dialect lets a deviation through), else refused with code.
	want func(dialect Dialect, body bool) (accepted, warned bool, code string)
}

// dialectSigner is the signer a dialect accepts.
func dialectSigner(s *Server, dialect Dialect) *httpsig.Signer {
	sg := &httpsig.Signer{Key: s.Certs.QSeal.Key, Cert: s.Certs.QSeal.Cert}
	if dialect == DialectAdorsys {
		sg.KeyID, sg.SignDate = httpsig.KeyIDFormat{Serial: httpsig.SerialLowerHex, DN: httpsig.DNPercent}, true
	}
	return sg
}

// genericList signs exactly headers (and "date" when the dialect's signer
// signs it), not the Berlin Group list the request calls for.
func genericList(headers ...string) func(*httpsig.Signer, Dialect) {
	return func(sg *httpsig.Signer, _ Dialect) {
		sg.Profile, sg.Headers = httpsig.ProfileGeneric, headers
	}
}

// refusedUnlessLenient: the profile's header rules, which the lenient
// dialect turns into warnings.
func refusedUnlessLenient(d Dialect, _ bool) (bool, bool, string) {
	if d == DialectLenient {
		return true, true, ""
	}
	return false, false, CodeSignatureInvalid
}

var signVariants = []signVariant{
	{name: "the dialect's own", want: func(Dialect, bool) (bool, bool, string) { return true, false, "" }},
	{name: "decimal serial", edit: func(sg *httpsig.Signer, _ Dialect) {
		sg.KeyID = httpsig.KeyIDFormat{Serial: httpsig.SerialDecimal, DN: httpsig.DNPercent}
	}, want: func(d Dialect, _ bool) (bool, bool, string) {
		if d == DialectLenient {
			return true, false, ""
		}
		return false, false, CodeSignatureInvalid
	}},
	{name: "enfuce keyId form", edit: func(sg *httpsig.Signer, _ Dialect) {
		sg.KeyID = httpsig.DefaultKeyIDFormat
	}, want: func(d Dialect, _ bool) (bool, bool, string) {
		// Upper-case hex is not adorsys's exact string.
		if d == DialectAdorsys {
			return false, false, CodeSignatureInvalid
		}
		return true, false, ""
	}},
	{name: "date flipped", edit: func(sg *httpsig.Signer, _ Dialect) { sg.SignDate = !sg.SignDate },
		want: refusedUnlessLenient},
	{name: "tpp-redirect-uri unsigned", headers: map[string]string{"TPP-Redirect-URI": "https://tpp.example/cb"},
		edit: genericList("x-request-id", "digest"), want: refusedUnlessLenient},
	{name: "authorization signed", edit: genericList("x-request-id", "digest", "authorization"), want: refusedUnlessLenient},
	// Digest must be present whenever Signature is, in every dialect.
	{name: "digest absent", edit: genericList("x-request-id"), want: func(Dialect, bool) (bool, bool, string) {
		return false, false, CodeSignatureInvalid
	}},
	{name: "digest unsigned", edit: genericList("x-request-id"), digest: true, want: func(d Dialect, body bool) (bool, bool, string) {
		// Without a signed digest the signature does not cover a body:
		// no dialect forgives that; a body-less request loses nothing.
		if body {
			return false, false, CodeSignatureInvalid
		}
		return refusedUnlessLenient(d, body)
	}},
	{name: "x-request-id not a UUID", requestID: true, want: func(d Dialect, _ bool) (bool, bool, string) {
		if d == DialectLenient {
			return true, true, ""
		}
		return false, false, CodeFormatError
	}},
	{name: "body changed after signing", tamper: true, want: func(_ Dialect, body bool) (bool, bool, string) {
		if body {
			return false, false, CodeSignatureInvalid
		}
		return true, false, ""
	}},
}

// TestDialectsPISAndPIIS: each dialect's rules (keyId form, signed Date,
// the header list, the Digest) decide a payment initiation (single,
// periodic, bulk), a payment status read, a payment's cancellation
// (DELETE), a standing order's cancellation authorisations and a funds
// confirmation exactly as they decide the AIS twin of each (consent
// creation, status, deletion, authorisations): the same status, code,
// failed checks, causes and warnings; every exchange validated against the
// OpenAPI file.
func TestDialectsPISAndPIIS(t *testing.T) {
	for _, dialect := range Dialects {
		t.Run(string(dialect), func(t *testing.T) {
			rig := newSpecRig(t, Options{Dialect: dialect, RatePerDay: -1})
			s, p := rig.s, rig.p
			tok := p.clientToken()
			good := &http.Client{Timeout: 30 * time.Second, Transport: &httpsig.Transport{Signer: dialectSigner(s, dialect), Base: rig.rec}}
			p.signed = good
			const sct = "/v1/payments/sepa-credit-transfers"
			newPayment := func() string {
				a, pc := p.initiate(sct, sepaBody("12.34", nil))
				wantStatus(t, a, 201)
				return pc.PaymentID
			}
			statusOf := newPayment()
			consentOf := p.createConsent(consentBody(nil))
			today := bankDate(rig.clock.Now())
			const pp, bp = "/v1/periodic-payments/sepa-credit-transfers", "/v1/bulk-payments/sepa-credit-transfers"
			periodic := sepaBody("50.00", func(m map[string]any) {
				m["startDate"] = today.AddDate(0, 0, 3).Format(time.DateOnly)
				m["frequency"] = "Monthly"
			})
			bulk, _ := json.Marshal(map[string]any{"debtorAccount": map[string]any{"iban": currentIBAN}, "payments": []any{map[string]any{
				"instructedAmount": map[string]any{"currency": "EUR", "amount": "1.00"},
				"creditorAccount":  map[string]any{"iban": landlord.iban}, "creditorName": landlord.name}}})
			a, standing := p.initiate(pp, periodic)
			wantStatus(t, a, 201)

			type op struct {
				name   string
				method string
				path   func() string // a fresh resource for a DELETE
				body   []byte
				hdr    map[string]string
				status int
				// oneOf: the body falls under the file's ambiguous oneOf of
				// single, periodic and bulk payments; only that finding
				// is forgiven.
				oneOf bool
			}
			type pair struct{ pis, ais op }
			pairs := []pair{
				{op{"payment initiation", "POST", func() string { return sct }, sepaBody("12.34", nil), pisIP, 201, false},
					op{"consent creation", "POST", func() string { return "/v1/consents" }, consentBody(nil), nil, 201, false}},
				{op{"payment status", "GET", func() string { return sct + "/" + statusOf + "/status" }, nil, nil, 200, false},
					op{"consent status", "GET", func() string { return "/v1/consents/" + consentOf + "/status" }, nil, nil, 200, false}},
				{op{"payment cancellation", "DELETE", func() string { return sct + "/" + newPayment() }, nil, nil, 204, false},
					op{"consent deletion", "DELETE", func() string { return "/v1/consents/" + p.createConsent(consentBody(nil)) }, nil, nil, 204, false}},
				{op{"funds confirmation", "POST", func() string { return "/v1/funds-confirmations" },
					fundsBody(map[string]any{"iban": currentIBAN}, "1.00", "EUR", nil), nil, 200, false},
					op{"consent creation", "POST", func() string { return "/v1/consents" }, consentBody(nil), nil, 201, false}},
				{op{"standing order initiation", "POST", func() string { return pp }, periodic, pisIP, 201, true},
					op{"consent creation", "POST", func() string { return "/v1/consents" }, consentBody(nil), nil, 201, false}},
				{op{"bulk payment initiation", "POST", func() string { return bp }, bulk, pisIP, 201, true},
					op{"consent creation", "POST", func() string { return "/v1/consents" }, consentBody(nil), nil, 201, false}},
				{op{"standing order's cancellation authorisations", "GET", func() string { return pp + "/" + standing.PaymentID + "/cancellation-authorisations" }, nil, nil, 200, false},
					op{"consent's authorisations", "GET", func() string { return "/v1/consents/" + consentOf + "/authorisations" }, nil, nil, 200, false}},
			}

			for _, v := range signVariants {
				sg := dialectSigner(s, dialect)
				if v.edit != nil {
					v.edit(sg, dialect)
				}
				var base http.RoundTripper = rig.rec
				if v.tamper {
					base = tamperBody{base}
				}
				c := &http.Client{Timeout: 30 * time.Second, Transport: &httpsig.Transport{Signer: sg, Base: base}}
				send := func(t *testing.T, o op) dialectOutcome {
					t.Helper()
					hdr := map[string]string{}
					for k, val := range o.hdr {
						hdr[k] = val
					}
					for k, val := range v.headers {
						hdr[k] = val
					}
					if v.digest {
						hdr["Digest"] = httpsig.Digest(httpsig.DigestSHA256, o.body)
					}
					if v.requestID {
						hdr["X-Request-ID"] = "req-" + uuid.NewString()[:8]
					}
					req := p.request(o.method, o.path(), tok, o.body, hdr)
					rid := req.Header.Get("X-Request-ID")
					a := do(t, c, req)
					accepted, warned, code := v.want(dialect, o.body != nil)
					// Each exchange against the file.
					if v.requestID {
						// The request breaks the file on purpose: the answer
						// is checked, but for the X-Request-ID it echoes
						// (the file's is a UUID; the lenient bank echoes
						// what it let through).
						ex := rig.rec.last(t)
						if got := ex.header.Get("X-Request-ID"); accepted && got != rid {
							t.Errorf("%s: the answer's X-Request-ID is %q; want %q", o.name, got, rid)
						}
						ex.header = ex.header.Clone()
						ex.header.Set("X-Request-ID", uuid.NewString())
						op, reqErr, respErr := rig.checker.validate(ex)
						if reqErr == nil {
							t.Errorf("%s: the request was meant to break the file but conforms", op)
						}
						if respErr != nil && !oneOfAmbiguous(respErr) {
							rig.checker.findings(t, op, "response", respErr)
						}
					} else if o.oneOf {
						op, reqErr, respErr := rig.checker.validate(rig.rec.last(t))
						for _, e := range []error{reqErr, respErr} {
							if e != nil && !oneOfAmbiguous(e) {
								t.Errorf("%s does not conform to the OpenAPI file: %v", op, e)
							}
						}
					} else {
						// The request is valid: both halves are checked.
						rig.checker.check(t, rig.rec.last(t))
					}
					out := dialectOutcome{status: a.status}
					_, rec := p.record(rid)
					if !accepted {
						status, path := http.StatusUnauthorized, ""
						if code == CodeFormatError {
							// Refused before the signature is read.
							status, path = http.StatusBadRequest, "X-Request-ID"
						}
						wantAPIError(t, a, status, code, path)
						if rec == nil || rec.Accepted || rec.Dialect != string(dialect) || (status == http.StatusUnauthorized) != (rec.Diagnosis != nil) {
							t.Fatalf("%s: record of the refusal: %+v", o.name, rec)
						}
						if status == http.StatusUnauthorized && !strings.Contains(a.text(t), "xs2a sandbox why "+rid) {
							t.Errorf("%s: the answer does not point to the kept report: %s", o.name, a.body)
						}
						out.code = a.codes(t)[0]
						if rec.Diagnosis == nil {
							return out
						}
						for _, ch := range rec.Diagnosis.Checks {
							if ch.Status == httpsig.Fail {
								out.findings = append(out.findings, "check "+ch.ID)
							}
						}
						for _, cs := range rec.Diagnosis.Causes {
							out.findings = append(out.findings, "cause "+cs.ID)
						}
						return out
					}
					if a.status != o.status {
						t.Fatalf("%s: status %d, want %d: %.600s", o.name, a.status, o.status, a.body)
					}
					if warned != (rec != nil) {
						t.Fatalf("%s: warned %v, but the kept record is %+v", o.name, warned, rec)
					}
					out.status = 0 // accepted: each operation has its own 2xx
					if rec != nil {
						if !rec.Accepted || rec.Status != o.status || len(rec.Warnings) == 0 {
							t.Errorf("%s: record of the warnings: %+v", o.name, rec)
						}
						// The request's own id aside, the same words.
						for _, w := range rec.Warnings {
							out.warnings = append(out.warnings, strings.ReplaceAll(w, rid, "<X-Request-ID>"))
						}
					}
					return out
				}
				t.Run(v.name, func(t *testing.T) {
					for _, pr := range pairs {
						got, twin := send(t, pr.pis), send(t, pr.ais)
						if got.status != twin.status || got.code != twin.code || !slices.Equal(got.findings, twin.findings) || !slices.Equal(got.warnings, twin.warnings) {
							t.Errorf("%s is judged otherwise than %s:\n  %+v\n  %+v", pr.pis.name, pr.ais.name, got, twin)
						}
					}
				})
			}
		})
	}
}
