package httpsig

import (
	"bytes"
	"crypto"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/xs2a-dev/xs2a/pkg/httpmsg"
	"github.com/xs2a-dev/xs2a/pkg/qcert"
	"github.com/xs2a-dev/xs2a/pkg/text"
)

// Status is the outcome of one check.
type Status string

const (
	Pass Status = "pass"
	Fail Status = "fail"
	Warn Status = "warn"
	Skip Status = "skip"
)

// Check IDs, stable for scripts that read --output json.
const (
	CheckSignatureHeader = "signature-header"
	CheckCertificate     = "certificate"
	CheckValidity        = "certificate-validity"
	CheckKeyUsage        = "certificate-key-usage"
	CheckHeaders         = "signed-headers"
	CheckRequestID       = "x-request-id"
	CheckDigest          = "digest"
	CheckKeyID           = "key-id"
	CheckAlgorithm       = "algorithm"
	CheckSignature       = "signature"
	CheckCertHeaderForm  = "certificate-header-form"
)

// Reasons tell apart the ways one check can fail where a program acts on the
// difference (the sandbox answers CERTIFICATE_EXPIRED, not
// CERTIFICATE_INVALID): stable like the check IDs, while Detail is prose for
// people and may be reworded.
const (
	ReasonMissing     = "missing"       // the header (or certificate) is not there at all
	ReasonExpired     = "expired"       // the certificate's notAfter has passed
	ReasonNotYetValid = "not-yet-valid" // the certificate's notBefore is still to come
)

// Check is one verification step with what was expected and what was found.
type Check struct {
	ID       string `json:"id"`
	Title    string `json:"title"`
	Status   Status `json:"status"`
	Expected string `json:"expected,omitempty"`
	Got      string `json:"got,omitempty"`
	Detail   string `json:"detail,omitempty"`
	// Reason is one of the Reason constants when a failure of this ID can
	// be told apart by a program, "" otherwise.
	Reason string `json:"reason,omitempty"`
}

// missingIfBlank is the reason for an unparsable header value: an empty one
// is as good as none.
func missingIfBlank(v string) string {
	if v == "" {
		return ReasonMissing
	}
	return ""
}

// Cause is a mistake that explains a failure: verified to make the signature
// (or digest) match when undone, not a guess, unless Confirmed is false.
type Cause struct {
	ID        string `json:"id"`
	Summary   string `json:"summary"`
	Fix       string `json:"fix,omitempty"`
	Confirmed bool   `json:"confirmed"`
}

// Diagnosis is the full answer of Verify.
type Diagnosis struct {
	Valid  bool    `json:"valid"`
	Checks []Check `json:"checks"`
	Causes []Cause `json:"causes,omitempty"`
	// What the verifier worked from, for the explanation.
	Profile string `json:"profile"`
	// Bank is the rule set judged by (VerifyOptions.Bank), "" for none.
	Bank          string       `json:"bank,omitempty"`
	KeyID         string       `json:"key_id,omitempty"`
	KeyIDForm     *KeyIDFormat `json:"key_id_form,omitempty"`
	Algorithm     string       `json:"algorithm,omitempty"`
	Headers       []string     `json:"headers,omitempty"`
	SigningString string       `json:"signing_string,omitempty"`
	CertSubject   string       `json:"certificate_subject,omitempty"`
}

// VerifyOptions tune Verify. The zero value verifies the Berlin Group profile
// with the certificate from TPP-Signature-Certificate at time.Now().
type VerifyOptions struct {
	Profile Profile
	// Bank names the rule set these options came from (Bank.VerifyOptions),
	// for the verdict; "" when the options were put together by hand.
	Bank Bank
	// KeyIDRule, when set, is the keyId forms the ASPSP accepts; any other
	// form is a failure with a named cause (Enfuce: a hex serial, a
	// URL-encoded DN). KeyIDFormat, when also set, wins.
	KeyIDRule *KeyIDRule
	// Cert, when set, is used instead of TPP-Signature-Certificate.
	Cert *x509.Certificate
	// PublicKey verifies without a certificate (generic mode, draft test keys).
	PublicKey *rsa.PublicKey
	Now       func() time.Time
	// KeyIDFormat, when set, makes any other keyId form a failure (a bank
	// that accepts only one form, and compares the keyId as a string);
	// otherwise every form passes and is named.
	KeyIDFormat *KeyIDFormat
	// RequireHeaders are headers an ASPSP wants signed beyond the profile's
	// list, lower case (adorsys-based ASPSPs: "date"). They must then be in
	// the request and signed, and the Berlin Group list allows them.
	RequireHeaders []string
	// RequestIDUUID makes an X-Request-ID that is not a UUID a failure (the
	// OpenAPI file's rule, which the sandbox enforces for enfuce and
	// adorsys) instead of a warning.
	RequestIDUUID bool
	// Lenient reports what breaks only the profile's rules as warnings: the
	// header list, the keyId form, an X-Request-ID that is not a UUID, a
	// missing or hs2019 algorithm, an algorithm whose hash is not the
	// certificate's. The digest, the signature, the certificate and a header
	// list that covers the body (digest) must still hold.
	Lenient bool
	// BodyUnknown, when set, says why the body is not known (curl -v shows
	// none, a HAR may leave it out): the Digest must still be present and
	// well-formed, but its value is not compared with a body that is not
	// there, and the check is skipped with this reason.
	BodyUnknown string
	// CertHeaderForms are the TPP-Signature-Certificate forms the bank
	// accepts (CertHeaderForm names). nil accepts every form, with a warning
	// for any but base64-der; otherwise another form fails, named.
	CertHeaderForms []string
}

func (d *Diagnosis) add(c Check) { d.Checks = append(d.Checks, c) }

// Warnings are the checks that passed with a warning.
func (d *Diagnosis) Warnings() []Check {
	var w []Check
	for _, c := range d.Checks {
		if c.Status == Warn {
			w = append(w, c)
		}
	}
	return w
}

func (d *Diagnosis) cause(c Cause) { d.Causes = append(d.Causes, c) }

// Refusal sums up an invalid diagnosis for a one-line listing (a bundle,
// a HAR): the first failed check with its detail, and the best cause, a
// confirmed one before any other.
func (d *Diagnosis) Refusal() (check, detail string, cause Cause) {
	for _, c := range d.Checks {
		if c.Status == Fail || (c.ID == CheckSignature && c.Status == Skip) {
			check, detail = c.ID, c.Detail
			break
		}
	}
	for _, c := range d.Causes {
		if cause.Summary == "" || (c.Confirmed && !cause.Confirmed) {
			cause = c
		}
	}
	return check, detail, cause
}

// Check returns the check with the given ID, or nil.
func (d *Diagnosis) Check(id string) *Check {
	for i := range d.Checks {
		if d.Checks[i].ID == id {
			return &d.Checks[i]
		}
	}
	return nil
}

// Verify checks a signed request and explains the result.
func Verify(m *httpmsg.Request, opt VerifyOptions) *Diagnosis {
	now := time.Now
	if opt.Now != nil {
		now = opt.Now
	}
	d := &Diagnosis{Profile: opt.Profile.String(), Bank: string(opt.Bank), Checks: make([]Check, 0, 10)}

	// 1. The Signature header.
	sigVals := m.Values("Signature")
	var p *Params
	switch {
	case len(sigVals) == 0 && strings.HasPrefix(strings.ToLower(m.Get("Authorization")), "signature "):
		sigVals = []string{m.Get("Authorization")}
		fallthrough
	case len(sigVals) == 1:
		var err error
		p, err = ParseSignature(sigVals[0])
		if err != nil {
			d.add(Check{ID: CheckSignatureHeader, Title: "Signature header present and parsable", Status: Fail, Got: text.Clip(sigVals[0], 200), Detail: err.Error(),
				Reason: missingIfBlank(sigVals[0])})
		} else {
			d.add(Check{ID: CheckSignatureHeader, Title: "Signature header present and parsable", Status: Pass})
		}
	case len(sigVals) == 0:
		d.add(Check{ID: CheckSignatureHeader, Title: "Signature header present and parsable", Status: Fail,
			Detail: "the request has no Signature header (the bank answers SIGNATURE_MISSING)", Reason: ReasonMissing})
	default:
		d.add(Check{ID: CheckSignatureHeader, Title: "Signature header present and parsable", Status: Fail,
			Got: fmt.Sprintf("%d Signature headers", len(sigVals)), Detail: "exactly one Signature header is allowed"})
	}
	if p != nil {
		d.KeyID, d.Algorithm, d.Headers = p.KeyID, p.Algorithm, p.SignedHeaders()
		if len(p.Unknown) > 0 {
			names := make([]string, 0, len(p.Unknown))
			for k := range p.Unknown {
				names = append(names, k)
			}
			slices.Sort(names)
			d.Checks[len(d.Checks)-1].Detail = "unknown parameters ignored: " + strings.Join(names, ", ")
		}
	}

	// 2. The certificate.
	cert, pub := verifyCertificate(d, m, opt, now())

	// 3. The header list.
	if p != nil {
		checkHeaderList(d, m, p, opt)
	}
	if opt.Profile == ProfileBerlinGroup {
		checkRequestID(d, m, opt.RequestIDUUID && !opt.Lenient)
	}

	// 4. Digest.
	checkDigest(d, m, p, opt)

	// 5. keyId and algorithm.
	if p != nil && cert != nil {
		checkKeyID(d, p, cert, opt.KeyIDFormat, opt.KeyIDRule, opt.Lenient)
	} else if p != nil {
		d.add(Check{ID: CheckKeyID, Title: "keyId names the certificate", Status: Skip, Got: p.KeyID, Detail: "no certificate to compare with"})
	}
	if p != nil {
		checkAlgorithm(d, p, cert, opt.Profile, opt.Lenient)
	}

	// 6. The signature itself.
	if p != nil && pub != nil {
		checkSignature(d, m, p, pub)
	} else {
		d.add(Check{ID: CheckSignature, Title: "signature verifies with the certificate's key", Status: Skip,
			Detail: "needs a parsable Signature header and a public key"})
	}

	d.Valid = true
	for _, c := range d.Checks {
		if c.Status == Fail || (c.ID == CheckSignature && c.Status == Skip) {
			d.Valid = false
		}
	}
	return d
}

func verifyCertificate(d *Diagnosis, m *httpmsg.Request, opt VerifyOptions, now time.Time) (*x509.Certificate, *rsa.PublicKey) {
	title := "certificate available (TPP-Signature-Certificate or --cert)"
	var fromHeader *x509.Certificate
	if v := m.Get("TPP-Signature-Certificate"); v != "" {
		h, err := ParseCertHeader(v)
		if err != nil {
			if opt.Cert == nil {
				d.add(Check{ID: CheckCertificate, Title: title, Status: Fail, Got: text.Clip(v, 60), Detail: err.Error()})
				return nil, nil
			}
		} else {
			fromHeader = h.Leaf
			checkCertHeaderForm(d, h, opt)
		}
	}
	cert := opt.Cert
	detail := ""
	switch {
	case cert != nil && fromHeader != nil && !bytes.Equal(cert.Raw, fromHeader.Raw):
		d.add(Check{ID: CheckCertificate, Title: title, Status: Fail,
			Expected: "the certificate given with --cert: " + subjectString(cert),
			Got:      "TPP-Signature-Certificate holds another certificate: " + subjectString(fromHeader),
			Detail:   "the bank verifies with the certificate in the header; send the QSealC whose key signs"})
		d.CertSubject = subjectString(cert)
		return cert, rsaKey(cert)
	case cert != nil && fromHeader != nil:
		detail = "TPP-Signature-Certificate is the certificate given"
	case cert != nil:
		detail = "from the command line"
		if opt.Profile == ProfileBerlinGroup {
			d.add(Check{ID: CheckCertificate, Title: title, Status: Fail, Expected: "TPP-Signature-Certificate header", Got: "absent",
				Detail: "the Berlin Group profile requires TPP-Signature-Certificate whenever there is a Signature (verifying with the given certificate anyway)"})
			d.CertSubject = subjectString(cert)
			return cert, rsaKey(cert)
		}
	case fromHeader != nil:
		cert = fromHeader
		detail = "from TPP-Signature-Certificate"
	case opt.PublicKey != nil:
		d.add(Check{ID: CheckCertificate, Title: title, Status: Skip, Detail: "verifying with a bare public key"})
		return nil, opt.PublicKey
	default:
		st := Fail
		if opt.Profile == ProfileGeneric {
			st = Skip
		}
		d.add(Check{ID: CheckCertificate, Title: title, Status: st,
			Detail: "no TPP-Signature-Certificate header (and no certificate given): nothing to verify the signature with", Reason: ReasonMissing})
		return nil, nil
	}
	d.CertSubject = subjectString(cert)
	d.add(Check{ID: CheckCertificate, Title: title, Status: Pass, Got: subjectString(cert), Detail: detail})

	vt := "certificate valid now"
	switch t := now; {
	case t.Before(cert.NotBefore):
		d.add(Check{ID: CheckValidity, Title: vt, Status: Fail,
			Expected: "not before " + cert.NotBefore.UTC().Format(time.RFC3339), Got: t.UTC().Format(time.RFC3339),
			Detail: "the certificate is not valid yet (clock skew, or issued in the future)", Reason: ReasonNotYetValid})
	case t.After(cert.NotAfter):
		d.add(Check{ID: CheckValidity, Title: vt, Status: Fail,
			Expected: "not after " + cert.NotAfter.UTC().Format(time.RFC3339), Got: t.UTC().Format(time.RFC3339),
			Detail: "the certificate has expired (the bank answers CERTIFICATE_EXPIRED)", Reason: ReasonExpired})
	default:
		d.add(Check{ID: CheckValidity, Title: vt, Status: Pass, Got: cert.NotBefore.UTC().Format("2006-01-02") + " to " + cert.NotAfter.UTC().Format("2006-01-02")})
	}

	ut := "certificate may sign (RSA key, digitalSignature or nonRepudiation)"
	pub := rsaKey(cert)
	switch {
	case pub == nil:
		d.add(Check{ID: CheckKeyUsage, Title: ut, Status: Fail, Expected: "an RSA public key", Got: fmt.Sprintf("%T", cert.PublicKey)})
	case cert.KeyUsage != 0 && cert.KeyUsage&(x509.KeyUsageDigitalSignature|x509.KeyUsageContentCommitment) == 0:
		d.add(Check{ID: CheckKeyUsage, Title: ut, Status: Fail,
			Expected: "keyUsage digitalSignature or nonRepudiation", Got: keyUsageString(cert.KeyUsage),
			Detail: "a QSealC carries digitalSignature and nonRepudiation; is this the QWAC?"})
	default:
		d.add(Check{ID: CheckKeyUsage, Title: ut, Status: Pass, Got: fmt.Sprintf("RSA %d bits, %s", pub.N.BitLen(), keyUsageString(cert.KeyUsage))})
	}
	return cert, pub
}

// subjectString names organizationIdentifier instead of printing its OID
// and hex value, as pkix.Name.String would.
func subjectString(c *x509.Certificate) string {
	if s, err := FormatDN(c.RawSubject, DNRFC4514); err == nil {
		return s
	}
	return c.Subject.String()
}

func rsaKey(c *x509.Certificate) *rsa.PublicKey {
	k, _ := c.PublicKey.(*rsa.PublicKey)
	return k
}

func keyUsageString(ku x509.KeyUsage) string {
	if ku == 0 {
		return "no keyUsage extension"
	}
	return strings.Join(qcert.KeyUsageNames(ku), ", ")
}

// ParseCertificateHeader decodes TPP-Signature-Certificate in any form
// people send (see ParseCertHeader) and returns the leaf certificate.
func ParseCertificateHeader(v string) (*x509.Certificate, error) {
	h, err := ParseCertHeader(v)
	if err != nil {
		return nil, err
	}
	return h.Leaf, nil
}

// headerFindings is what the header-list rules find. Rule problems break
// the profile only; broken ones leave the request unverifiable or its body
// unprotected, which no dialect forgives. The rest is what the causes name:
// headers unsigned, not allowed, listed twice, written in upper case.
type headerFindings struct {
	rule, broken                       []string
	unsigned, disallowed, twice, upper []string
}

func checkHeaderList(d *Diagnosis, m *httpmsg.Request, p *Params, opt VerifyOptions) {
	headers := p.SignedHeaders()
	var f headerFindings
	lower := f.listed(m, headers)
	if !p.HeadersSet && opt.Profile == ProfileBerlinGroup {
		f.rule = append(f.rule, "no headers parameter (the draft then signs only \"date\")")
	}
	extra := opt.RequireHeaders
	var expected string
	if opt.Profile == ProfileBerlinGroup {
		expected = f.berlinGroupHeaderRules(m, lower, extra)
		if !opt.Lenient || len(f.broken) > 0 {
			headerListCauses(d, m, f.unsigned, f.disallowed, f.twice, f.upper)
		}
	} else {
		expected = f.genericHeaderRules(m, lower, extra)
	}
	for _, w := range extra {
		if !slices.Contains(lower, w) {
			d.cause(requiredCause(m, w))
		}
	}
	c := Check{ID: CheckHeaders, Title: "signed header list", Expected: expected, Got: strings.Join(headers, " ")}
	switch {
	case len(f.broken) > 0 || (len(f.rule) > 0 && !opt.Lenient):
		c.Status = Fail
	case len(f.rule) > 0:
		c.Status = Warn
	default:
		c.Status = Pass
	}
	c.Detail = problemList(append(f.broken, f.rule...))
	d.add(c)
}

// listed holds every profile to two rules for each listed header, a name in
// lower case and a header the request has, and returns the names lower-cased.
func (f *headerFindings) listed(m *httpmsg.Request, headers []string) []string {
	lower := make([]string, len(headers))
	for i, h := range headers {
		lh := strings.ToLower(h)
		lower[i] = lh
		if h != lh {
			f.rule = append(f.rule, fmt.Sprintf("%q is not lower-case", h))
			f.upper = append(f.upper, h)
		}
		if lh == RequestTarget || lh == "(created)" || lh == "(expires)" {
			continue
		}
		if !m.Has(lh) {
			f.broken = append(f.broken, fmt.Sprintf("%q is listed but not in the request", lh))
		}
	}
	return lower
}

// berlinGroupHeaderRules holds the list to the profile's: every header it
// demands for m (and each extra one required) signed, nothing else, nothing
// twice. It returns the list expected, for the check.
func (f *headerFindings) berlinGroupHeaderRules(m *httpmsg.Request, lower, extra []string) string {
	want := append(BerlinGroupHeaders(m), extra...)
	for _, w := range want {
		if slices.Contains(lower, w) {
			continue
		}
		switch {
		case w == "digest" && len(m.Body) > 0:
			f.broken = append(f.broken, "\"digest\" must be signed: without it the signature does not cover the body")
			f.unsigned = append(f.unsigned, w)
		case slices.Contains(bgConditional, w):
			f.rule = append(f.rule, fmt.Sprintf("%q is in the request, so it must be signed", w))
			f.unsigned = append(f.unsigned, w)
		case slices.Contains(extra, w):
			f.rule = append(f.rule, requiredProblem(m, w))
		default:
			f.rule = append(f.rule, fmt.Sprintf("%q must be signed", w))
			f.unsigned = append(f.unsigned, w)
		}
	}
	for _, h := range lower {
		if !slices.Contains(want, h) && !slices.Contains(bgConditional, h) {
			f.rule = append(f.rule, fmt.Sprintf("%q is not allowed in the Berlin Group header list", h))
			if !slices.Contains(f.disallowed, h) {
				f.disallowed = append(f.disallowed, h)
			}
		}
	}
	seen := map[string]bool{}
	for _, h := range lower {
		if seen[h] {
			f.rule = append(f.rule, fmt.Sprintf("%q is listed twice", h))
			f.twice = append(f.twice, h)
		}
		seen[h] = true
	}
	return strings.Join(want, " ") + " (any order)"
}

// genericHeaderRules asks only that each extra header required be signed;
// it returns the list expected, "" when none is.
func (f *headerFindings) genericHeaderRules(m *httpmsg.Request, lower, extra []string) string {
	for _, w := range extra {
		if !slices.Contains(lower, w) {
			f.rule = append(f.rule, requiredProblem(m, w))
		}
	}
	if len(extra) == 0 {
		return ""
	}
	return "at least " + strings.Join(extra, " ")
}

// headerListCauses names the fix for a header list that breaks the
// bank's rules: a header it wants signed and is not, one it does not allow.
func headerListCauses(d *Diagnosis, m *httpmsg.Request, unsigned, disallowed, twice, upper []string) {
	allowed := strings.Join(BerlinGroupHeaders(m), " ")
	if len(upper) > 0 {
		d.cause(Cause{ID: "header-list-not-lowercase", Confirmed: true,
			Summary: fmt.Sprintf("the headers parameter writes %s in upper case; the profile lists header names in lower case", problemList(quoteAll(upper))),
			Fix:     "write the names in the headers parameter in lower case (the signing string uses lower-case names too)"})
	}
	if len(twice) > 0 {
		d.cause(Cause{ID: "header-list-duplicate", Confirmed: true,
			Summary: fmt.Sprintf("the headers parameter lists %s more than once", problemList(quoteAll(twice))),
			Fix:     "list each header once: " + allowed})
	}
	for _, h := range unsigned {
		d.cause(Cause{ID: "header-list-missing", Confirmed: true,
			Summary: fmt.Sprintf("%q must be in the signed header list (for this request: %s)", h, allowed),
			Fix:     fmt.Sprintf("add %q to the signed headers (xs2a sign signs the list the bank wants)", h)})
	}
	if len(disallowed) == 0 {
		return
	}
	if len(disallowed) > maxProblems {
		disallowed = append(disallowed[:maxProblems:maxProblems], "...")
	}
	c := Cause{ID: "header-list-extra", Confirmed: true,
		Summary: fmt.Sprintf("the signed header list has %s, which the bank's list does not allow "+
			"(exactly: %s; psu-id, psu-corporate-id, tpp-redirect-uri if and only if present)", strings.Join(disallowed, " "), allowed),
		Fix: fmt.Sprintf("sign exactly %s", allowed)}
	if slices.Contains(disallowed, "date") {
		c.Fix += " (a signed Date is for adorsys-style banks: drop --sign-date, or signing.sign_date from the profile)"
	}
	d.cause(c)
}

func quoteAll(hs []string) []string {
	out := make([]string, len(hs))
	for i, h := range hs {
		out[i] = fmt.Sprintf("%q", h)
	}
	return out
}

// maxProblems bounds the problems a check lists: a headers parameter of
// thousands of names (the request's header limit allows them) would draw
// a few for each, a report, a bank's answer and a kept record some fifty
// times the size of the request.
const maxProblems = 12

// problemList joins the first maxProblems problems and says how many more
// there are.
func problemList(ps []string) string {
	if len(ps) <= maxProblems {
		return strings.Join(ps, "; ")
	}
	return strings.Join(ps[:maxProblems], "; ") + fmt.Sprintf("; and %d more", len(ps)-maxProblems)
}

// requiredProblem says that a header the ASPSP requires is not signed, and
// whether it is in the request at all.
func requiredProblem(m *httpmsg.Request, h string) string {
	if !m.Has(h) {
		return fmt.Sprintf("%q must be signed (this ASPSP requires it) and the request has no %s header", h, canonicalName(h))
	}
	return fmt.Sprintf("%q must be signed (this ASPSP requires it)", h)
}

func requiredCause(m *httpmsg.Request, h string) Cause {
	c := Cause{ID: "required-header-unsigned", Confirmed: true,
		Summary: fmt.Sprintf("this ASPSP requires %q in the signed header list and it is not there", h)}
	switch {
	case h == "date":
		c.ID = "date-unsigned"
		c.Fix = "send a Date header (RFC 9110 form, e.g. " + dateExample + ") and sign it: xs2a sign --sign-date, or signing.sign_date: true in the profile"
	case m.Has(h):
		c.Fix = fmt.Sprintf("add %q to the signed headers", h)
	default:
		c.Fix = fmt.Sprintf("send a %s header and add %q to the signed headers", canonicalName(h), h)
	}
	return c
}

const dateExample = "Tue, 01 Dec 2026 08:00:00 GMT"

func canonicalName(h string) string {
	parts := strings.Split(h, "-")
	for i, p := range parts {
		if p != "" {
			parts[i] = strings.ToUpper(p[:1]) + p[1:]
		}
	}
	return strings.Join(parts, "-")
}

func checkRequestID(d *Diagnosis, m *httpmsg.Request, uuidRequired bool) {
	title := "X-Request-ID is a UUID"
	v := m.Get("X-Request-ID")
	switch {
	case !m.Has("X-Request-ID"):
		d.add(Check{ID: CheckRequestID, Title: title, Status: Fail, Expected: "a UUID", Got: "absent", Detail: "every Berlin Group request carries X-Request-ID"})
	case (uuid.Validate(v) != nil || len(v) != 36) && uuidRequired:
		d.add(Check{ID: CheckRequestID, Title: title, Status: Fail,
			Expected: "a UUID (e.g. 99391c7e-ad88-49ec-a2ad-99ddcb1f7721)", Got: v, Detail: "the OpenAPI file requires a UUID; this ASPSP answers FORMAT_ERROR"})
		d.cause(Cause{ID: "x-request-id-not-uuid", Confirmed: true, Summary: fmt.Sprintf("X-Request-ID %q is not a UUID", text.Clip(v, 60)),
			Fix: "send a fresh UUID in X-Request-ID for every request (xs2a sign and xs2a api do)"})
	case uuid.Validate(v) != nil || len(v) != 36:
		d.add(Check{ID: CheckRequestID, Title: title, Status: Warn,
			Expected: "a UUID (e.g. 99391c7e-ad88-49ec-a2ad-99ddcb1f7721)", Got: v, Detail: "the OpenAPI file requires a UUID; some ASPSPs answer FORMAT_ERROR"})
	default:
		d.add(Check{ID: CheckRequestID, Title: title, Status: Pass, Got: v})
	}
}

func checkDigest(d *Diagnosis, m *httpmsg.Request, p *Params, opt VerifyOptions) {
	prof := opt.Profile
	title := "Digest matches the body"
	signed := p != nil && slices.ContainsFunc(p.SignedHeaders(), func(h string) bool { return strings.EqualFold(h, "digest") })
	if !m.Has("Digest") {
		if prof == ProfileBerlinGroup || signed {
			d.add(Check{ID: CheckDigest, Title: title, Status: Fail,
				Expected: Digest(DigestSHA256, m.Body), Got: "absent", Detail: "Digest must be present whenever Signature is"})
		} else {
			d.add(Check{ID: CheckDigest, Title: title, Status: Skip, Detail: "no Digest header"})
		}
		return
	}
	got := m.Get("Digest")
	vals, err := ParseDigest(got)
	if err != nil {
		d.add(Check{ID: CheckDigest, Title: title, Status: Fail, Got: got, Detail: err.Error()})
		return
	}
	if opt.BodyUnknown != "" {
		d.add(Check{ID: CheckDigest, Title: title, Status: Skip, Got: got, Detail: opt.BodyUnknown})
		return
	}
	for _, v := range vals {
		alg, err := ParseDigestAlgorithm(v.Algorithm)
		if err != nil {
			d.add(Check{ID: CheckDigest, Title: title, Status: Fail, Expected: Digest(DigestSHA256, m.Body), Got: got, Detail: err.Error()})
			return
		}
		if alg.Matches(v.Value, m.Body) {
			c := Check{ID: CheckDigest, Title: title, Status: Pass, Got: got, Detail: fmt.Sprintf("%s over %d body bytes", alg, len(m.Body))}
			if v.Algorithm != string(alg) {
				c.Status = Warn
				c.Detail += fmt.Sprintf("; the algorithm is written %q, RFC 3230 and the bank write %q", v.Algorithm, alg)
			}
			d.add(c)
			continue
		}
		d.add(Check{ID: CheckDigest, Title: title, Status: Fail, Expected: Digest(alg, m.Body), Got: got,
			Detail: fmt.Sprintf("%s of the %d body bytes does not match (the bank answers SIGNATURE_INVALID or FORMAT_ERROR)", alg, len(m.Body))})
		if c, ok := framingMistake(alg, v.Value, m); ok {
			d.cause(c)
		} else if c, ok := digestMistake(alg, v.Value, m.Body); ok {
			d.cause(c)
		} else {
			d.cause(Cause{ID: "digest-other-body", Summary: "the digest was computed over other bytes than the body sent (none of the usual mistakes reproduces it)",
				Fix: "compute the digest over the exact bytes you send, after any serialisation, and send those bytes unchanged"})
		}
		return
	}
}

func checkKeyID(d *Diagnosis, p *Params, cert *x509.Certificate, want *KeyIDFormat, rule *KeyIDRule, lenient bool) {
	title := "keyId names the certificate"
	expected := func() string {
		f := DefaultKeyIDFormat
		if want != nil {
			f = *want
		}
		s, _ := KeyID(cert, f)
		return s
	}
	mm := MatchKeyID(p.KeyID, cert)
	if !mm.OK() {
		d.add(Check{ID: CheckKeyID, Title: title, Status: Fail, Expected: expected(), Got: p.KeyID, Detail: mm.Problem})
		d.cause(Cause{ID: "keyid-mismatch", Confirmed: true, Summary: "the keyId does not name the certificate sent: " + mm.Problem,
			Fix: "build the keyId from the QSealC you sign with (xs2a certs inspect shows it)"})
		return
	}
	f := mm.Form()
	d.KeyIDForm = &f
	detail := "serial written as " + formName(string(f.Serial), mm.SerialExact) + ", issuer DN as " + formName(string(f.DN), mm.DNExact)
	var same []string
	if len(mm.SameSerial) > 0 {
		same = append(same, "serial "+string(f.Serial)+" = "+strings.ReplaceAll(joinForms(mm.SameSerial), ", ", " = "))
	}
	if len(mm.SameDN) > 0 {
		same = append(same, "DN "+string(f.DN)+" = "+strings.ReplaceAll(joinForms(mm.SameDN), ", ", " = "))
	}
	if len(same) > 0 {
		detail += " (for this certificate " + strings.Join(same, ", ") + ")"
	}
	if want == nil && rule != nil {
		if problem, causes := rule.judge(p.KeyID, cert, mm); problem != "" {
			exp, _ := KeyID(cert, DefaultKeyIDFormat)
			d.add(Check{ID: CheckKeyID, Title: title, Status: Fail, Expected: exp, Got: p.KeyID,
				Detail: detail + "; " + problem + "; this ASPSP accepts " + rule.describe()})
			for _, c := range causes {
				d.cause(c)
			}
			return
		}
	}
	// An ASPSP that wants one form compares the keyId as a string: the
	// right certificate in another spelling is still not found.
	if want != nil && p.KeyID != expected() {
		st := Fail
		if lenient {
			st = Warn
		}
		wantName := fmt.Sprintf("serial as %s and DN as %s", want.Serial, want.DN)
		if n := KeyIDFormName(*want); n != "" {
			wantName += " (keyId form " + n + ")"
		}
		d.add(Check{ID: CheckKeyID, Title: title, Status: st, Expected: expected(), Got: p.KeyID,
			Detail: detail + "; this ASPSP expects " + wantName + " and compares the keyId as a string"})
		fix := fmt.Sprintf("sign with --serial-form %s --dn-form %s (profile: signing.serial_form, signing.dn_form)", want.Serial, want.DN)
		if n := KeyIDFormName(*want); n != "" {
			fix = fmt.Sprintf("sign with --keyid-form %s (profile: signing.keyid_form: %s), or --serial-form %s --dn-form %s", n, n, want.Serial, want.DN)
		}
		if st == Fail {
			d.cause(Cause{ID: "keyid-form", Confirmed: true,
				Summary: fmt.Sprintf("the keyId names the right certificate but in another form (%s) than the ASPSP expects (%s)", detail, wantName),
				Fix:     fix})
		}
		return
	}
	if lenient && (!mm.SerialExact || !mm.DNExact) {
		d.add(Check{ID: CheckKeyID, Title: title, Status: Warn, Got: p.KeyID,
			Detail: detail + "; an ASPSP that compares the keyId as a string will not find the certificate"})
		return
	}
	d.add(Check{ID: CheckKeyID, Title: title, Status: Pass, Got: p.KeyID, Detail: detail})
}

// formName names a recognised form, and says so when the keyId only spells
// the value differently (case, zeros, separators).
func formName(name string, exact bool) string {
	if !exact {
		return "a variant of " + name
	}
	return name
}

func checkAlgorithm(d *Diagnosis, p *Params, cert *x509.Certificate, prof Profile, lenient bool) {
	title := "algorithm matches the certificate"
	a := Algorithm(p.Algorithm)
	switch {
	case p.Algorithm == "":
		st := Fail
		if prof == ProfileGeneric || lenient {
			st = Warn
		}
		d.add(Check{ID: CheckAlgorithm, Title: title, Status: st, Expected: "rsa-sha256 or rsa-sha512", Got: "absent"})
		return
	case strings.EqualFold(p.Algorithm, string(HS2019)):
		st := Warn
		if prof == ProfileGeneric {
			st = Pass
		}
		d.add(Check{ID: CheckAlgorithm, Title: title, Status: st,
			Got: p.Algorithm, Detail: "hs2019 does not name the hash; the Berlin Group examples name it (rsa-sha256); the hash is taken from the signature"})
		return
	case a.Hash() == 0:
		d.add(Check{ID: CheckAlgorithm, Title: title, Status: Fail, Expected: "rsa-sha256 or rsa-sha512", Got: p.Algorithm})
		return
	}
	if cert == nil || prof == ProfileGeneric {
		d.add(Check{ID: CheckAlgorithm, Title: title, Status: Pass, Got: p.Algorithm})
		return
	}
	want, err := AlgorithmForCertificate(cert)
	switch {
	case err != nil:
		d.add(Check{ID: CheckAlgorithm, Title: title, Status: Warn, Got: p.Algorithm, Detail: err.Error()})
	case !strings.EqualFold(string(want), p.Algorithm):
		st := Fail
		if lenient {
			st = Warn
		}
		d.add(Check{ID: CheckAlgorithm, Title: title, Status: st, Expected: string(want), Got: p.Algorithm,
			Detail: fmt.Sprintf("the certificate is signed with %s; the bank expects the signature hash to match", cert.SignatureAlgorithm)})
	default:
		d.add(Check{ID: CheckAlgorithm, Title: title, Status: Pass, Got: p.Algorithm})
	}
}

func checkSignature(d *Diagnosis, m *httpmsg.Request, p *Params, pub *rsa.PublicKey) {
	title := "signature verifies with the certificate's key"
	headers := p.SignedHeaders()
	ss, err := SigningString(m, headers, p)
	if err != nil {
		d.add(Check{ID: CheckSignature, Title: title, Status: Fail, Detail: "cannot build the signing string: " + err.Error()})
		return
	}
	d.SigningString = ss
	sig, err := base64.StdEncoding.DecodeString(p.Signature)
	if err != nil {
		d.add(Check{ID: CheckSignature, Title: title, Status: Fail, Got: text.Clip(p.Signature, 40), Detail: "signature parameter is not base64: " + err.Error()})
		return
	}
	// The fast path is crypto/rsa; recovering the signed hash (big.Int
	// arithmetic) is only worth its cost when explaining a failure.
	h := Algorithm(p.Algorithm).Hash()
	for _, fh := range fastHashes(h) {
		if rsa.VerifyPKCS1v15(pub, fh, hashOf(fh, []byte(ss)), sig) == nil {
			d.add(Check{ID: CheckSignature, Title: title, Status: Pass,
				Detail: fmt.Sprintf("RSA PKCS#1 v1.5 with %s over %d bytes of signing string", hashName(fh), len(ss))})
			return
		}
	}
	rec := recoverDigest(pub, sig)
	if h == 0 && rec.ok {
		h = rec.hash // hs2019: the signature says which hash
	}
	if h == 0 {
		h = crypto.SHA256
	}
	if rec.ok && rec.hash == h && bytes.Equal(rec.digest, hashOf(h, []byte(ss))) {
		d.add(Check{ID: CheckSignature, Title: title, Status: Pass,
			Detail: fmt.Sprintf("RSA PKCS#1 v1.5 with %s over %d bytes of signing string", hashName(h), len(ss))})
		return
	}
	c := Check{ID: CheckSignature, Title: title, Status: Fail, Detail: "the signature does not match the signing string built from this request"}
	d.add(c)
	for _, cause := range explainSignature(m, p, pub, sig, rec, h, ss) {
		d.cause(cause)
	}
}

// fastHashes are the hashes to try directly: the algorithm's, or for
// hs2019 (which does not say) both the profile allows.
func fastHashes(h crypto.Hash) []crypto.Hash {
	if h == 0 {
		return []crypto.Hash{crypto.SHA256, crypto.SHA512}
	}
	return []crypto.Hash{h}
}
