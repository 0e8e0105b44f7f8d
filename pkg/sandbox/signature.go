package sandbox

import (
	"fmt"
	"net/http"

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
	c.warnings = append(c.warnings, warningTexts(d, c.warned)...)
	cert, _ := httpsig.ParseCertificateHeader(c.r.Header.Get("TPP-Signature-Certificate"))
	// The QSealC may come from another QTSP than the QWAC: the QWAC
	// identifies the TPP, the QSealC must name the same organisation.
	if _, e := s.checkPSD2Cert(cert, nil, "QSealC", qcert.QcTypeESeal); e != nil {
		return e
	}
	if e := checkRole(cert, "QSealC", c.r.URL.Path); e != nil {
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
	texts = append(texts, "the sandbox keeps the full report: `xs2a sandbox why "+rid+"` prints it")
	return reject(http.StatusUnauthorized, signatureCode(d), texts...)
}

// signatureCode is the code for a failed verification, chosen by check ID
// and Reason only: Detail is prose and may be reworded. A missing signature
// outranks everything; otherwise the first failure that blames the
// certificate names it, and SIGNATURE_INVALID is the rest.
func signatureCode(d *httpsig.Diagnosis) string {
	code := CodeSignatureInvalid
	for _, ch := range d.Checks {
		if ch.Status != httpsig.Fail {
			continue
		}
		switch {
		case ch.ID == httpsig.CheckSignatureHeader && ch.Reason == httpsig.ReasonMissing:
			return CodeSignatureMissing
		case code != CodeSignatureInvalid:
			// An earlier certificate failure named the code.
		case ch.ID == httpsig.CheckCertificate && ch.Reason == httpsig.ReasonMissing:
			code = CodeCertificateMissing
		case ch.ID == httpsig.CheckValidity && ch.Reason == httpsig.ReasonExpired:
			code = CodeCertificateExpired
		case ch.ID == httpsig.CheckCertificate, ch.ID == httpsig.CheckValidity, ch.ID == httpsig.CheckKeyUsage:
			// Not yet valid, unreadable, or a key that may not sign: the
			// certificate is at fault, not the signature.
			code = CodeCertificateInvalid
		}
	}
	return code
}
