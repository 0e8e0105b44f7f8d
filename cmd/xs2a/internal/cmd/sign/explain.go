package sign

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/xs2a-dev/xs2a/pkg/httpmsg"
	"github.com/xs2a-dev/xs2a/pkg/httpsig"
	"github.com/xs2a-dev/xs2a/pkg/iostreams"
	"github.com/xs2a-dev/xs2a/pkg/termsafe"
	"github.com/xs2a-dev/xs2a/pkg/text"
)

var serialFormText = map[httpsig.SerialForm]string{
	httpsig.SerialDERHex:   "upper-case hex of the DER integer, with a leading 00 when the high bit is set",
	httpsig.SerialHex:      "upper-case hex without leading zeros",
	httpsig.SerialLowerHex: "lower-case hex without leading zeros",
	httpsig.SerialDecimal:  "decimal",
}

var dnFormText = map[httpsig.DNForm]string{
	httpsig.DNPercent:          "RFC 4514 order (CN first), spaces as %20",
	httpsig.DNRFC4514:          "RFC 4514 order (CN first)",
	httpsig.DNX509Order:        "certificate order (C first)",
	httpsig.DNX509OrderPercent: "certificate order (C first), spaces as %20",
}

// explain shows on stderr how the signature was made, with invisible
// characters made visible: what users compare against their own code.
func explain(w io.Writer, cs *iostreams.ColorScheme, m *httpmsg.Request, res *httpsig.Signed, s *httpsig.Signer) {
	h := func(t string) { fmt.Fprintln(w, cs.Bold(t)) }
	if res.Digest != "" {
		h("Digest")
		alg, _, _ := strings.Cut(res.Digest, "=")
		fmt.Fprintf(w, "  input: the %d body bytes exactly as sent (%s)\n", len(m.Body), alg)
		if len(m.Body) > 0 {
			body := text.Clip(string(m.Body), 400)
			fmt.Fprintf(w, "  body:  %s\n", indent(termsafe.Text(httpsig.Visible(body)), "         "))
		}
		fmt.Fprintf(w, "  value: %s\n", res.Digest)
	}
	h("Signing string")
	fmt.Fprintf(w, "  headers=%s, %d bytes, lines joined by \\n, no trailing newline:\n", termsafe.Line(strconv.Quote(strings.Join(res.Params.Headers, " "))), len(res.SigningString))
	// The signing string and keyId quote the request file and the flags.
	fmt.Fprintf(w, "  %s\n", indent(termsafe.Text(httpsig.Visible(res.SigningString)), "  "))
	h("keyId")
	fmt.Fprintf(w, "  %s\n", termsafe.Line(res.Params.KeyID))
	if s.Cert != nil && s.KeyIDOverride == "" {
		fmt.Fprintf(w, "  SN: %s = certificate serial as %s (--serial-form %s)\n", res.Serial, serialFormText[res.KeyIDForm.Serial], res.KeyIDForm.Serial)
		fmt.Fprintf(w, "  CA: issuer %s as %s (--dn-form %s)\n", termsafe.Line(res.IssuerDN), dnFormText[res.KeyIDForm.DN], res.KeyIDForm.DN)
	}
	h("Algorithm")
	if s.Cert != nil {
		fmt.Fprintf(w, "  %s (the certificate is signed with %s)\n", res.Params.Algorithm, s.Cert.SignatureAlgorithm)
	} else {
		fmt.Fprintf(w, "  %s\n", res.Params.Algorithm)
	}
}

func indent(s, pad string) string {
	return strings.ReplaceAll(strings.TrimSuffix(s, "\n"), "\n", "\n"+pad)
}
