package certs

import (
	"encoding/base64"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/xs2a-dev/xs2a/cmd/xs2a/internal/cmdutil"
	"github.com/xs2a-dev/xs2a/pkg/httpsig"
	"github.com/xs2a-dev/xs2a/pkg/iostreams"
	"github.com/xs2a-dev/xs2a/pkg/pemfile"
	"github.com/xs2a-dev/xs2a/pkg/profile"
	"github.com/xs2a-dev/xs2a/pkg/qcert"
	"github.com/xs2a-dev/xs2a/pkg/termsafe"
)

// InspectOptions are the flags of `xs2a certs inspect` and what it uses.
type InspectOptions struct {
	IO      *iostreams.IOStreams
	Config  func() (*profile.Config, error)
	Now     func() time.Time
	File    string
	KeyFile string
}

// NewCmdInspect builds `xs2a certs inspect`.
func NewCmdInspect(f *cmdutil.Factory, runF func(*InspectOptions) error) *cobra.Command {
	o := &InspectOptions{IO: f.IO, Config: f.Config, Now: f.Now}
	cmd := &cobra.Command{
		Use:   "inspect FILE [--key KEY]",
		Short: "Show what a bank will see in a certificate (PEM, DER or a chain)",
		Long: `Show subject, issuer, the serial in every form a keyId may use, validity
(with a warning when expired or expiring within 30 days), key type and size,
key usage, decoded PSD2 QCStatements (QcType, roles, NCA),
organizationIdentifier, the SHA-256 fingerprint, and the keyId and
TPP-Signature-Certificate exactly as 'xs2a sign' would send them.

Exit status 5 when a certificate is expired or not yet valid, or when --key
does not belong to the first certificate.`,
		Example: `  xs2a certs inspect qseal.pem --key qseal.key
  xs2a certs inspect chain.pem -o json | jq '.[0].key_id'`,
		Args: cmdutil.ExactArgs(1, "one certificate FILE"),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.File = args[0]
			if runF != nil {
				return runF(o)
			}
			return inspectRun(o)
		},
	}
	cmd.Flags().StringVar(&o.KeyFile, "key", "", "private key to check against the (first) certificate")
	return cmd
}

type inspectJSON struct {
	*qcert.Report
	Subject                 string            `json:"subject"`
	Issuer                  string            `json:"issuer"`
	Serial                  map[string]string `json:"serial"`
	KeyID                   string            `json:"key_id"`
	TPPSignatureCertificate string            `json:"tpp_signature_certificate"`
	KeyMatches              *bool             `json:"key_matches,omitempty"`
}

func inspectRun(o *InspectOptions) error {
	certs, err := pemfile.ReadCertificates(o.File)
	if err != nil {
		return cmdutil.FileError(err)
	}
	var match *bool
	if o.KeyFile != "" {
		key, err := pemfile.ReadRSAKey(o.KeyFile)
		if err != nil {
			return cmdutil.FileError(err)
		}
		m := qcert.KeyMatches(certs[0], key)
		match = &m
	}
	now := o.Now()
	var docs []inspectJSON
	bad := false
	for i, c := range certs {
		r := qcert.Inspect(c, now)
		if r.Validity == "expired" || r.Validity == "not-yet-valid" {
			bad = true
		}
		d := inspectJSON{Report: r, Serial: map[string]string{}}
		d.Subject, _ = httpsig.FormatDN(c.RawSubject, httpsig.DNRFC4514)
		d.Issuer, _ = httpsig.FormatDN(c.RawIssuer, httpsig.DNRFC4514)
		for _, f := range httpsig.SerialForms {
			d.Serial[string(f)] = httpsig.FormatSerial(c.SerialNumber, f)
		}
		d.KeyID, _ = httpsig.KeyID(c, httpsig.DefaultKeyIDFormat)
		d.TPPSignatureCertificate = base64.StdEncoding.EncodeToString(c.Raw)
		if i == 0 {
			d.KeyMatches = match
		}
		docs = append(docs, d)
	}
	if cmdutil.WantsJSON(o.Config) {
		if err := cmdutil.WriteJSON(o.IO.Out, docs); err != nil {
			return err
		}
	} else {
		cs := o.IO.ColorScheme()
		for i, d := range docs {
			writeInspect(o.IO.Out, cs, d, i, len(docs), o)
		}
	}
	switch {
	case match != nil && !*match:
		return cmdutil.CertError(fmt.Errorf("the key %s does not belong to the certificate %s", o.KeyFile, o.File))
	case bad:
		return cmdutil.CertError(fmt.Errorf("%s is not valid at %s", o.File, now.UTC().Format(time.RFC3339)))
	}
	return nil
}

func writeInspect(w io.Writer, cs *iostreams.ColorScheme, d inspectJSON, i, n int, o *InspectOptions) {
	title := o.File
	if n > 1 {
		title = fmt.Sprintf("%s, certificate %d of %d", o.File, i+1, n)
	}
	fmt.Fprintln(w, cs.Bold(termsafe.Line(title)))
	// Whoever made the certificate wrote its subject, issuer, names and
	// QCStatements: every value is shown with control characters escaped;
	// colored is for the two rows xs2a composes itself with colour.
	colored := func(k, v string) {
		if v != "" {
			fmt.Fprintf(w, "  %-26s %s\n", k+":", v)
		}
	}
	row := func(k, v string) { colored(k, termsafe.Line(v)) }
	row("Subject", d.Subject)
	row("Issuer", d.Issuer)
	row("Serial", fmt.Sprintf("%s (der-hex), %s (hex), %s (lower-hex), %s (decimal)", d.Serial["der-hex"], d.Serial["hex"], d.Serial["lower-hex"], d.Serial["decimal"]))
	validity := fmt.Sprintf("%s to %s", d.NotBefore.Format(time.RFC3339), d.NotAfter.Format(time.RFC3339))
	switch d.Validity {
	case "valid":
		validity += cs.Green(fmt.Sprintf(" (valid, %d days left)", d.DaysLeft))
	case "expires-soon":
		validity += cs.Yellow(fmt.Sprintf(" (expires in %d days)", d.DaysLeft))
	case "expired":
		validity += cs.Red(" (EXPIRED)")
	default:
		validity += cs.Red(" (NOT YET VALID)")
	}
	colored("Validity", validity)
	key := fmt.Sprintf("%s %d bits", d.KeyType, d.KeyBits)
	if d.KeyMatches != nil {
		if *d.KeyMatches {
			key += cs.Green(" (matches " + termsafe.Line(o.KeyFile) + ")")
		} else {
			key += cs.Red(" (does NOT match " + termsafe.Line(o.KeyFile) + ")")
		}
	}
	colored("Key", key)
	row("Signature algorithm", d.SignatureAlgorithm)
	row("Key usage", strings.Join(d.KeyUsage, ", "))
	row("Extended key usage", strings.Join(d.ExtKeyUsage, ", "))
	if d.IsCA {
		row("CA", "yes")
	}
	row("DNS names", strings.Join(d.DNSNames, ", "))
	row("IP addresses", strings.Join(d.IPAddresses, ", "))
	row("organizationIdentifier", d.OrganizationIdentifier)
	if q := d.QCStatements; q != nil {
		qcRows(row, q)
	}
	row("SHA-256 fingerprint", d.SHA256)
	if !d.IsCA {
		row("keyId (xs2a sign)", d.KeyID)
		row("TPP-Signature-Certificate", d.TPPSignatureCertificate)
	}
	for _, wn := range d.Warnings {
		fmt.Fprintf(w, "  %s %s\n", cs.WarningIcon(), termsafe.Line(wn))
	}
	if i < n-1 {
		fmt.Fprintln(w)
	}
}

// qcRows writes the decoded QCStatements as rows: the statements, and the
// PSD2 roles and NCA when the PSD2 statement is there.
func qcRows(row func(k, v string), q *qcert.QCStatements) {
	var parts []string
	if q.Compliance {
		parts = append(parts, "QcCompliance")
	}
	if len(q.Types) > 0 {
		ts := make([]string, len(q.Types))
		for i, t := range q.Types {
			ts[i] = string(t)
		}
		parts = append(parts, "QcType "+strings.Join(ts, ","))
	}
	row("QCStatements", strings.Join(parts, "; "))
	if p := q.PSD2; p != nil {
		rs := make([]string, len(p.Roles))
		for i, r := range p.Roles {
			rs[i] = fmt.Sprintf("%s (%s)", r.Name, r.OID)
		}
		row("PSD2 roles", strings.Join(rs, ", "))
		row("NCA", fmt.Sprintf("%s (%s)", p.NCAName, p.NCAID))
	}
}
