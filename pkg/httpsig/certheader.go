package httpsig

import (
	"bytes"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"github.com/xs2a-dev/xs2a/pkg/text"
)

// CertHeaderForm names how a TPP-Signature-Certificate value was written.
// The Berlin Group form is one certificate, base64 DER on one line; the
// others are what people paste, and which of them a bank takes is the
// bank's rule (VerifyOptions.CertHeaderForms).
type CertHeaderForm string

const (
	// CertFormBase64DER is the standard: one DER certificate in base64
	// (RFC 4648 §4, padded), no armour, no white space.
	CertFormBase64DER CertHeaderForm = "base64-der"
	// CertFormLineBreaks is base64 DER broken by line breaks or spaces (a
	// PEM body pasted as is; folded header lines arrive as spaces).
	CertFormLineBreaks CertHeaderForm = "base64-with-line-breaks"
	// CertFormBase64URL is base64 in the URL-safe alphabet or unpadded.
	CertFormBase64URL CertHeaderForm = "base64url"
	// CertFormPEM is one certificate with its -----BEGIN/END CERTIFICATE----- armour.
	CertFormPEM CertHeaderForm = "pem-armoured"
	// CertFormPEMBundle is several armoured certificates (a chain file).
	CertFormPEMBundle CertHeaderForm = "pem-bundle"
	// CertFormBase64List is several base64 certificates in a row,
	// separated by white space or commas.
	CertFormBase64List CertHeaderForm = "base64-concatenated"
	// CertFormDERChain is one base64 of several DER certificates back to back.
	CertFormDERChain CertHeaderForm = "der-chain"
)

// CertHeaderForms lists every form, the standard first.
var CertHeaderForms = []CertHeaderForm{CertFormBase64DER, CertFormLineBreaks, CertFormBase64URL, CertFormPEM, CertFormPEMBundle, CertFormBase64List, CertFormDERChain}

// maxHeaderCerts bounds the certificates one header may carry: a chain is
// three or four; more is not a chain a bank reads.
const maxHeaderCerts = 10

// CertHeader is a decoded TPP-Signature-Certificate.
type CertHeader struct {
	Form CertHeaderForm
	// Certs are the certificates in the order written.
	Certs []*x509.Certificate
	// Leaf is the certificate the signature is verified with: the one that
	// issued none of the others (the first, when that does not single one out).
	Leaf *x509.Certificate
}

var certHeaderCache = newCache[*CertHeader](512)

// ParseCertHeader decodes TPP-Signature-Certificate in any of the forms
// people send and names the form.
func ParseCertHeader(v string) (*CertHeader, error) {
	if h, ok := certHeaderCache.get(v); ok {
		return h, nil
	}
	h, err := parseCertHeader(v)
	if err == nil {
		certHeaderCache.put(v, h)
	}
	return h, err
}

const (
	pemBegin = "-----BEGIN CERTIFICATE-----"
	pemEnd   = "-----END CERTIFICATE-----"
)

func parseCertHeader(v string) (*CertHeader, error) {
	s := strings.TrimSpace(v)
	// A PEM pasted from JSON or a properties file keeps its line breaks as
	// the two characters \n; base64 has no backslash, so they are spaces.
	s = strings.NewReplacer(`\r`, " ", `\n`, " ").Replace(s)
	if strings.Contains(s, "-----BEGIN") || strings.Contains(s, "-----END") {
		return parsePEMHeader(s)
	}
	parts := strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == '\t' || r == '\r' || r == '\n' || r == ',' })
	if len(parts) == 0 {
		return nil, errors.New("TPP-Signature-Certificate is empty")
	}
	if len(parts) > 1 && len(parts) <= maxHeaderCerts {
		// Several base64 certificates in a row, if each part is one on its
		// own; lines of one base64 broken up are not.
		if certs := parseEach(parts); certs != nil {
			return newCertHeader(CertFormBase64List, certs), nil
		}
	}
	joined := strings.Join(parts, "")
	der, url, err := decodeBase64(joined)
	if err != nil {
		return nil, fmt.Errorf("TPP-Signature-Certificate is not base64: %v", err)
	}
	certs, err := parseDERs(der)
	if err != nil {
		return nil, err
	}
	form := CertFormBase64DER
	switch {
	case len(certs) > 1:
		form = CertFormDERChain
	case url:
		form = CertFormBase64URL
	case joined != strings.TrimSpace(v):
		form = CertFormLineBreaks
	}
	return newCertHeader(form, certs), nil
}

// parseEach decodes every part as base64 DER certificates, or returns nil.
func parseEach(parts []string) []*x509.Certificate {
	var certs []*x509.Certificate
	for _, p := range parts {
		der, _, err := decodeBase64(p)
		if err != nil {
			return nil
		}
		cs, err := parseDERs(der)
		if err != nil {
			return nil
		}
		certs = append(certs, cs...)
	}
	if len(certs) > maxHeaderCerts {
		return nil
	}
	return certs
}

// parsePEMHeader reads armoured certificates; the line breaks PEM needs may
// have become spaces on the way into a header, so pem.Decode cannot be used.
func parsePEMHeader(s string) (*CertHeader, error) {
	var certs []*x509.Certificate
	rest := s
	for {
		rest = strings.TrimLeft(rest, " \t\r\n,")
		if rest == "" {
			break
		}
		if !strings.HasPrefix(rest, pemBegin) {
			if strings.HasPrefix(rest, "-----BEGIN ") {
				kind, _, _ := strings.Cut(strings.TrimPrefix(rest, "-----BEGIN "), "-----")
				return nil, fmt.Errorf("TPP-Signature-Certificate holds a PEM %q block, not a CERTIFICATE", text.Clip(kind, 40))
			}
			return nil, errors.New("TPP-Signature-Certificate mixes PEM armour with other text: expected -----BEGIN CERTIFICATE-----")
		}
		body, after, ok := strings.Cut(rest[len(pemBegin):], pemEnd)
		if !ok {
			return nil, errors.New("TPP-Signature-Certificate has -----BEGIN CERTIFICATE----- without its -----END CERTIFICATE-----")
		}
		der, _, err := decodeBase64(strings.Join(strings.Fields(body), ""))
		if err != nil {
			return nil, fmt.Errorf("TPP-Signature-Certificate: the PEM block is not base64: %v", err)
		}
		cs, err := parseDERs(der)
		if err != nil {
			return nil, err
		}
		certs = append(certs, cs...)
		if len(certs) > maxHeaderCerts {
			return nil, fmt.Errorf("TPP-Signature-Certificate holds more than %d certificates", maxHeaderCerts)
		}
		rest = after
	}
	if len(certs) == 0 {
		return nil, errors.New("TPP-Signature-Certificate holds no certificate")
	}
	form := CertFormPEM
	if len(certs) > 1 {
		form = CertFormPEMBundle
	}
	return newCertHeader(form, certs), nil
}

// decodeBase64 decodes standard base64, else the URL-safe or unpadded
// alphabet, and says whether it took the latter.
func decodeBase64(s string) ([]byte, bool, error) {
	der, err := base64.StdEncoding.DecodeString(s)
	if err == nil {
		return der, false, nil
	}
	if der2, err2 := base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "=")); err2 == nil {
		return der2, true, nil
	}
	if der2, err2 := base64.RawStdEncoding.DecodeString(strings.TrimRight(s, "=")); err2 == nil {
		return der2, true, nil
	}
	return nil, false, err
}

func parseDERs(der []byte) ([]*x509.Certificate, error) {
	certs, err := x509.ParseCertificates(der)
	if err != nil {
		return nil, fmt.Errorf("TPP-Signature-Certificate is not a DER certificate: %v", err)
	}
	if len(certs) == 0 {
		return nil, errors.New("TPP-Signature-Certificate holds no certificate")
	}
	if len(certs) > maxHeaderCerts {
		return nil, fmt.Errorf("TPP-Signature-Certificate holds more than %d certificates", maxHeaderCerts)
	}
	return certs, nil
}

func newCertHeader(form CertHeaderForm, certs []*x509.Certificate) *CertHeader {
	h := &CertHeader{Form: form, Certs: certs, Leaf: certs[0]}
	if len(certs) == 1 {
		return h
	}
	var leaves []*x509.Certificate
	for _, c := range certs {
		issues := false
		for _, o := range certs {
			if o != c && !bytes.Equal(o.RawIssuer, o.RawSubject) && bytes.Equal(o.RawIssuer, c.RawSubject) {
				issues = true
				break
			}
		}
		if !issues {
			leaves = append(leaves, c)
		}
	}
	if len(leaves) == 1 {
		h.Leaf = leaves[0]
	}
	return h
}

// certFormAdvice is the cause and the fix of each form that is not the standard.
func certFormAdvice(h *CertHeader) (cause, fix string) {
	const oneLine = "send the QSealC alone as base64 DER on one line, e.g. openssl x509 -in qseal.pem -outform DER | base64 -w0"
	switch h.Form {
	case CertFormPEM:
		return "TPP-Signature-Certificate carries the PEM armour (-----BEGIN CERTIFICATE----- ... -----END CERTIFICATE-----)",
			"send the base64 between the armour lines only, on one line (Enfuce: \"in PEM-format without the enclosing -----BEGIN CERTIFICATE----- and -----END CERTIFICATE----- strings\"), e.g. openssl x509 -in qseal.pem -outform DER | base64 -w0"
	case CertFormPEMBundle:
		return fmt.Sprintf("TPP-Signature-Certificate holds %d PEM certificates (a chain file), not the QSealC alone", len(h.Certs)), oneLine
	case CertFormLineBreaks:
		return "the base64 in TPP-Signature-Certificate is broken by line breaks or spaces (a PEM body pasted as it is)", "remove every line break and space: " + oneLine
	case CertFormBase64URL:
		return "TPP-Signature-Certificate is in the URL-safe base64 alphabet (- and _) or lacks its = padding", "encode with standard base64 (RFC 4648 §4, + / and = padding): " + oneLine
	case CertFormBase64List:
		return fmt.Sprintf("TPP-Signature-Certificate holds %d base64 certificates in a row, not the QSealC alone", len(h.Certs)), oneLine
	case CertFormDERChain:
		return fmt.Sprintf("TPP-Signature-Certificate is one base64 of %d DER certificates back to back (a chain), not the QSealC alone", len(h.Certs)), oneLine
	}
	return "", ""
}

// checkCertHeaderForm reports a form other than the standard (a warning
// when any form is accepted, a failure when the bank's forms exclude it),
// and the standard form only when the bank names its forms.
func checkCertHeaderForm(d *Diagnosis, h *CertHeader, opt VerifyOptions) {
	title := "TPP-Signature-Certificate form"
	if h.Form == CertFormBase64DER {
		if opt.CertHeaderForms != nil {
			d.add(Check{ID: CheckCertHeaderForm, Title: title, Status: Pass, Got: string(h.Form)})
		}
		return
	}
	cause, fix := certFormAdvice(h)
	c := Check{ID: CheckCertHeaderForm, Title: title, Status: Warn, Expected: string(CertFormBase64DER) + " (one certificate, base64 DER on one line)", Got: string(h.Form),
		Detail: cause + "; the leaf was taken to verify with, but a bank that reads the header as base64 DER refuses it; fix: " + fix}
	if opt.CertHeaderForms == nil {
		d.add(c)
		return
	}
	for _, f := range opt.CertHeaderForms {
		if f == string(h.Form) {
			c.Status, c.Detail = Pass, cause+"; this bank accepts it"
			d.add(c)
			return
		}
	}
	c.Status = Fail
	c.Detail = cause + "; this bank accepts only " + strings.Join(opt.CertHeaderForms, ", ")
	d.add(c)
	d.cause(Cause{ID: "cert-header-" + string(h.Form), Summary: cause, Fix: fix, Confirmed: true})
}
