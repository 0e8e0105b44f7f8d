package sandbox

import (
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/xs2a-dev/xs2a/pkg/httpmsg"
	"github.com/xs2a-dev/xs2a/pkg/httpsig"
	"github.com/xs2a-dev/xs2a/pkg/qcert"
)

// checkSignature verifies Digest, Signature and TPP-Signature-Certificate
// with the same engine as `xs2a sign verify`, and turns its diagnosis into
// tppMessages.
func (s *Server) checkSignature(c *call) *apiError {
	m, err := httpmsg.FromHTTP(c.r)
	if err != nil {
		return reject(http.StatusBadRequest, CodeFormatError, err.Error())
	}
	m.Body = c.body
	vo := s.dialect.VerifyOptions()
	vo.Now = s.now
	d := httpsig.Verify(m, vo)
	c.diag = d
	if !d.Valid {
		return diagnosisError(d, c.rid)
	}
	// The X-Request-ID warning may already come from the first check.
	ridWarned := slices.ContainsFunc(c.warnings, func(w string) bool { return strings.HasPrefix(w, httpsig.CheckRequestID+":") })
	for _, w := range warningTexts(d) {
		if !(ridWarned && strings.HasPrefix(w, httpsig.CheckRequestID+":")) {
			c.warnings = append(c.warnings, w)
		}
	}
	cert, _ := httpsig.ParseCertificateHeader(c.r.Header.Get("TPP-Signature-Certificate"))
	// The QSealC may come from another QTSP than the QWAC: the QWAC
	// identifies the TPP, the QSealC must name the same organisation.
	if _, e := s.checkPSD2Cert(cert, nil, "QSealC", qcert.QcTypeESeal); e != nil {
		return e
	}
	if org := qcert.OrganizationIdentifier(cert); org != c.tpp.OrganizationID {
		return reject(http.StatusUnauthorized, CodeCertificateInvalid,
			fmt.Sprintf("the QSealC belongs to %q but the QWAC to %q: both must name the same TPP", org, c.tpp.OrganizationID))
	}
	return nil
}

// diagnosisError maps a failed verification to the code a bank answers and
// keeps the whole diagnosis in the texts.
func diagnosisError(d *httpsig.Diagnosis, rid string) *apiError {
	code := CodeSignatureInvalid
	for _, ch := range d.Checks {
		if ch.Status != httpsig.Fail {
			continue
		}
		switch {
		case ch.ID == httpsig.CheckSignatureHeader && ch.Got == "":
			code = CodeSignatureMissing
		case ch.ID == httpsig.CheckCertificate && strings.Contains(ch.Detail, "no TPP-Signature-Certificate") && code == CodeSignatureInvalid:
			code = CodeCertificateMissing
		case ch.ID == httpsig.CheckCertificate && code == CodeSignatureInvalid:
			code = CodeCertificateInvalid
		case ch.ID == httpsig.CheckValidity && strings.Contains(ch.Detail, "expired") && code == CodeSignatureInvalid:
			code = CodeCertificateExpired
		case (ch.ID == httpsig.CheckValidity || ch.ID == httpsig.CheckKeyUsage) && code == CodeSignatureInvalid:
			// Not yet valid, or a key that may not sign: the certificate is
			// at fault, not the signature.
			code = CodeCertificateInvalid
		}
		if code == CodeSignatureMissing {
			break
		}
	}
	var texts []string
	for _, ch := range d.Checks {
		if ch.Status != httpsig.Fail {
			continue
		}
		t := "check " + ch.ID + " failed"
		if ch.Detail != "" {
			t += ": " + ch.Detail
		}
		if ch.Expected != "" {
			t += "; expected " + ch.Expected
		}
		if ch.Got != "" {
			t += "; got " + ch.Got
		}
		texts = append(texts, t)
	}
	for _, cause := range d.Causes {
		t := "cause: " + cause.Summary
		if cause.Fix != "" {
			t += "; fix: " + cause.Fix
		}
		texts = append(texts, t)
	}
	texts = append(texts, "the sandbox keeps the full report: `xs2a sandbox why "+rid+"` prints it (or run `xs2a sign verify` on the request)")
	return reject(http.StatusUnauthorized, code, texts...)
}
