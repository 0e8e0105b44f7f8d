package httpsig

import (
	"crypto/x509"
	"fmt"
	"slices"
	"strings"
)

// Bank is a rule set: how one ASPSP (or family of ASPSPs) reads
// signatures. Berlin Group ASPSPs agree on the cryptography and disagree
// on the keyId's spelling and the signed header list, so `xs2a sign
// verify --bank` and `xs2a sandbox serve --bank` take their rules from
// here and cannot disagree.
type Bank string

const (
	// BankEnfuce is Enfuce's page as written: the header list exactly
	// (x-request-id and digest; psu-id, psu-corporate-id, tpp-redirect-uri
	// if and only if present; nothing else, so no date), the keyId serial
	// "in hexadecimal coding" (upper or lower case, with or without the DER
	// 00 byte; decimal refused) and the CA as the URL-encoded DN (spaces as
	// %20, either RDN order). The default.
	BankEnfuce Bank = "enfuce"
	// BankAdorsys is what adorsys-based ASPSPs demand: the keyId exactly
	// SN=<lower-case hex>,CA=<RFC 4514 DN with %20>, compared as a string,
	// and "date" in the signed header list.
	BankAdorsys Bank = "adorsys"
	// BankLenient accepts every keyId form and turns the profile's rule
	// deviations into warnings; digest, signature and certificates must
	// still hold.
	BankLenient Bank = "lenient"
)

// Banks lists every bank, the default first.
var Banks = []Bank{BankEnfuce, BankAdorsys, BankLenient}

// BankNames are the names of Banks, comma-separated.
func BankNames() string { return joinForms(Banks) }

// ParseBank validates a bank name; "" is the default.
func ParseBank(s string) (Bank, error) {
	if s == "" {
		return BankEnfuce, nil
	}
	for _, b := range Banks {
		if string(b) == s {
			return b, nil
		}
	}
	return "", fmt.Errorf("unknown bank %q (one of %s)", s, joinForms(Banks))
}

// enfuceKeyID is Enfuce's keyId rule: any hex spelling of the serial, the
// issuer DN URL-encoded in either order.
var enfuceKeyID = KeyIDRule{
	Serial: []SerialForm{SerialDERHex, SerialHex, SerialLowerHex},
	DN:     []DNForm{DNPercent, DNX509OrderPercent},
}

// VerifyOptions are the verifier's rules for the bank (Now, Cert and the
// rest left to the caller).
func (b Bank) VerifyOptions() VerifyOptions {
	o := VerifyOptions{Profile: ProfileBerlinGroup, Bank: b, RequestIDUUID: b != BankLenient}
	switch b {
	case BankAdorsys:
		f, _ := ParseKeyIDFormName("adorsys")
		o.KeyIDFormat = &f
		o.RequireHeaders = []string{"date"}
	case BankLenient:
		o.Lenient = true
	default:
		r := enfuceKeyID
		o.KeyIDRule = &r
		// Enfuce's page: the certificate "in PEM-format without the
		// enclosing -----BEGIN CERTIFICATE----- and -----END
		// CERTIFICATE----- strings", so one base64 DER certificate.
		o.CertHeaderForms = []string{string(CertFormBase64DER)}
	}
	return o
}

// KeyIDRule is the keyId forms an ASPSP accepts when it recognises the
// certificate by value rather than by one exact string. The serial is
// accepted when the keyId writes the certificate's serial in one of Serial
// (a hex form also in another case or with extra leading zeros, as long as
// every character is a hex digit); the DN when it is written in one of DN.
type KeyIDRule struct {
	Serial []SerialForm
	DN     []DNForm
}

// describe is the rule in words, for a diagnosis.
func (r KeyIDRule) describe() string {
	return "serial as " + joinForms(r.Serial) + " and DN as " + joinForms(r.DN)
}

func isHexDigits(s string) bool {
	if s == "" {
		return false
	}
	return strings.Trim(s, "0123456789abcdefABCDEF") == ""
}

// judge says what in a keyId that names the certificate (mm.OK) breaks
// the rule, "" when nothing, with a cause and fix for each part.
//
// A serial of digits 0-9 only is hex and decimal alike to the eye; the
// verifier has the certificate, so it knows which spelling the keyId
// matches: MatchKeyID tries the hex forms first, and only a keyId that is
// the decimal spelling and no hex spelling of the serial is "decimal"
// (serials 0 to 9, identical in both, are hex).
func (r KeyIDRule) judge(keyID string, cert *x509.Certificate, mm KeyIDMatch) (string, []Cause) {
	sn, ca, err := ParseKeyID(keyID)
	if err != nil {
		return err.Error(), nil
	}
	var problems []string
	var causes []Cause
	hexSN := FormatSerial(cert.SerialNumber, SerialDERHex)
	serialOK := false
	if mm.SerialExact {
		serialOK = slices.Contains(r.Serial, mm.SerialForm) || slices.ContainsFunc(mm.SameSerial, func(f SerialForm) bool { return slices.Contains(r.Serial, f) })
	} else {
		// A spelling of the same number in no form: only hex digits (any
		// case, extra zeros) are still hexadecimal coding.
		serialOK = isHexDigits(sn) && slices.ContainsFunc(r.Serial, func(f SerialForm) bool { return f != SerialDecimal })
	}
	if !serialOK {
		fix := "write the serial in hexadecimal: SN=" + hexSN + " (xs2a sign --keyid-form enfuce, or --serial-form der-hex; profile: signing.serial_form)"
		if mm.SerialExact && mm.SerialForm == SerialDecimal {
			problems = append(problems, fmt.Sprintf("the serial %s is the certificate's serial in decimal, which the bank reads as hexadecimal (another number: the certificate's is %s)", sn, hexSN))
			causes = append(causes, Cause{ID: "keyid-serial-decimal", Confirmed: true,
				Summary: fmt.Sprintf("the keyId's serial %s is written in decimal; the bank wants \"the serial number of the QSEALC in hexadecimal coding\" (%s)", sn, hexSN), Fix: fix})
		} else {
			problems = append(problems, fmt.Sprintf("the serial %q is not written in hexadecimal digits only", sn))
			causes = append(causes, Cause{ID: "keyid-serial-not-hex", Confirmed: true,
				Summary: fmt.Sprintf("the keyId's serial %q names the certificate but is not plain hexadecimal (separators or a form the bank does not read)", sn), Fix: fix})
		}
	}
	dnOK := false
	if mm.DNExact {
		dnOK = slices.Contains(r.DN, mm.DNForm) || slices.ContainsFunc(mm.SameDN, func(f DNForm) bool { return slices.Contains(r.DN, f) })
	} else {
		// The issuer in another spelling (attribute-name case): still
		// URL-encoded when it holds no raw space and its order is allowed.
		pct := map[DNForm]DNForm{DNRFC4514: DNPercent, DNX509Order: DNX509OrderPercent, DNPercent: DNPercent, DNX509OrderPercent: DNX509OrderPercent}[mm.DNForm]
		dnOK = !strings.ContainsAny(ca, " \t") && slices.Contains(r.DN, pct)
	}
	if !dnOK {
		want, _ := FormatDN(cert.RawIssuer, DNPercent)
		problems = append(problems, fmt.Sprintf("the CA %q is not the URL-encoded issuer DN", ca))
		causes = append(causes, Cause{ID: "keyid-dn-not-encoded", Confirmed: true,
			Summary: fmt.Sprintf("the keyId's CA %q names the issuer but not URL-encoded (spaces as %%20) as the bank reads it", ca),
			Fix:     "write CA=" + want + " (xs2a sign --keyid-form enfuce, or --dn-form rfc4514-pct; profile: signing.dn_form)"})
	}
	return strings.Join(problems, "; "), causes
}
