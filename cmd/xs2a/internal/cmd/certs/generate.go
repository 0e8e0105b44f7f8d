package certs

import (
	"crypto/x509"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/xs2a-dev/xs2a/cmd/xs2a/internal/cmdutil"
	"github.com/xs2a-dev/xs2a/cmd/xs2a/internal/report"
	"github.com/xs2a-dev/xs2a/pkg/atomicfile"
	"github.com/xs2a-dev/xs2a/pkg/httpsig"
	"github.com/xs2a-dev/xs2a/pkg/iostreams"
	"github.com/xs2a-dev/xs2a/pkg/profile"
	"github.com/xs2a-dev/xs2a/pkg/qcert"
)

// GenerateOptions are the flags of `xs2a certs generate` and what it uses.
type GenerateOptions struct {
	IO           *iostreams.IOStreams
	Config       func() (*profile.Config, error)
	Now          func() time.Time
	Dir          string
	Org          qcert.Org
	Roles        string
	KeySize      int
	Days         int
	Force        bool
	WriteProfile string
	// Bank is the rule set --write-profile records for `sign verify`.
	Bank string
	// Break is a defect to build in, or "list".
	Break string
}

// NewCmdGenerate builds `xs2a certs generate`.
func NewCmdGenerate(f *cmdutil.Factory, runF func(*GenerateOptions) error) *cobra.Command {
	o := &GenerateOptions{IO: f.IO, Config: f.Config, Now: f.Now, Org: qcert.DefaultOrg}
	cmd := &cobra.Command{
		Use:   "generate [--dir DIR]",
		Short: "Make a test CA, QWAC, QSealC and sandbox server certificate",
		Long: `Make a complete PSD2 test certificate set like the bank portal's "generate
sandbox certificate set" button: a test CA standing in for a QTSP, a QWAC
(clientAuth, QcType web) for mutual TLS, a QSealC (digitalSignature and
nonRepudiation, QcType eseal) for signing, and a server certificate for the
embedded sandbox (localhost, 127.0.0.1, ::1).

The TPP certificates carry organizationIdentifier PSD<country>-<NCA>-<number>
and ETSI TS 119 495 QCStatements: QcCompliance, QcType and the PSD2 statement
with the roles, NCA name and NCA id. Keys are written with mode 0600, every
file atomically, and nothing is overwritten without --force.

--break DEFECT writes the same set with one defect a bank refuses built into
the certificate(s) it concerns (the rest stays good), for testing how a
client reports the refusal; --break list prints the defects.`,
		Example: `  xs2a certs generate --dir ./certs
  xs2a certs generate --dir ./certs --org "Acme Payments AB" --nca-id SE-FINA \
    --auth-number 44059 --roles PSP_AI,PSP_PI --write-profile sandbox
  xs2a certs generate --break list
  xs2a certs generate --dir ./expired --break expired`,
		Args:        cmdutil.NoArgs,
		Annotations: map[string]string{cmdutil.AnnotationWritesConfig: "true"},
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.Break == "list" {
				return listDefects(o)
			}
			if o.Break != "" {
				if _, err := qcert.LookupDefect(o.Break); err != nil {
					return cmdutil.UsageErrorf("--break: %v, or list", err)
				}
			}
			if _, err := qcert.ParseRoles(o.Roles); err != nil {
				return cmdutil.UsageError(err)
			}
			if _, err := httpsig.ParseBank(o.Bank); err != nil || o.Bank == "" {
				return cmdutil.UsageErrorf("--bank: unknown bank %q (one of %s)", o.Bank, httpsig.BankNames())
			}
			if err := resolveNCA(cmd, &o.Org); err != nil {
				return cmdutil.UsageError(err)
			}
			if err := o.Org.Validate(); err != nil {
				return cmdutil.UsageError(err)
			}
			valid := false
			for _, s := range qcert.ValidKeySizes {
				valid = valid || s == o.KeySize
			}
			if !valid {
				return cmdutil.UsageErrorf("--key-size %d is not allowed: use 2048, 3072 or 4096 (banks refuse shorter RSA keys)", o.KeySize)
			}
			if o.Days < 1 || o.Days > 3650 {
				return cmdutil.UsageErrorf("--days %d is outside 1..3650", o.Days)
			}
			if runF != nil {
				return runF(o)
			}
			return generateRun(o)
		},
	}
	addGenerateFlags(cmd, o)
	return cmd
}

// resolveNCA makes the country and the NCA one: --nca-id in the nCAId form
// (SE-FINA) sets the country, which a --country given too must match; a
// --country alone takes its known NCA (qcert.KnownNCAs) and is refused
// for a country with none listed, rather than keep the default Finnish
// NCA under another country; an NCA known to belong to another country is
// refused; --nca-name defaults to the known NCA's name and is required for
// an NCA not listed.
func resolveNCA(cmd *cobra.Command, org *qcert.Org) error {
	fl := cmd.Flags()
	org.Country = strings.ToUpper(org.Country)
	if fl.Changed("nca-id") {
		c, id := qcert.SplitNCAID(org.NCAID)
		org.NCAID = id
		if c != "" {
			if fl.Changed("country") && c != org.Country {
				return fmt.Errorf("--nca-id %s is an NCA of %s but --country is %s (the TPP's country is its NCA's)", c+"-"+id, c, org.Country)
			}
			org.Country = c
		}
	}
	// The form first: a country or NCA that is no such thing is said as one.
	if err := org.Validate(); err != nil {
		return err
	}
	if !fl.Changed("nca-id") && fl.Changed("country") && org.Country != qcert.DefaultOrg.Country {
		n, ok := qcert.NCAOfCountry(org.Country)
		if !ok {
			return fmt.Errorf("--country %s: give --nca-id and --nca-name, the NCA that authorised the TPP (no default NCA is known for %s)", org.Country, org.Country)
		}
		org.NCAID = n.ID
		if !fl.Changed("nca-name") {
			org.NCAName = n.Name
		}
		return nil
	}
	n, known, other := qcert.NCAByID(org.Country, org.NCAID)
	switch {
	case !known && other != nil:
		return fmt.Errorf("NCA %s is %s's (%s), not %s's: give --nca-id with the NCA of %s, or --country %s", org.NCAID, other.Country, other.NCAIdentifier(), org.Country, org.Country, other.Country)
	case known && !fl.Changed("nca-name"):
		org.NCAName = n.Name
	case !known && !fl.Changed("nca-name"):
		return fmt.Errorf("--nca-id %s is not a known NCA: give its name with --nca-name (it goes into the PSD2 statement)", org.NCAID)
	}
	return nil
}

// addGenerateFlags registers the flags of `certs generate` and their
// completions.
func addGenerateFlags(cmd *cobra.Command, o *GenerateOptions) {
	fl := cmd.Flags()
	fl.StringVar(&o.Dir, "dir", "xs2a-certs", "directory to write the set into (created with mode 0700)")
	fl.StringVar(&o.Org.Name, "org", o.Org.Name, "organisation name (subject O)")
	fl.StringVar(&o.Org.Country, "country", o.Org.Country, "country of the TPP (subject C, two letters)")
	fl.StringVar(&o.Org.NCAID, "nca-id", o.Org.NCAID, "NCA id, as certs inspect prints it (SE-FINA, DE-BAFIN) or bare (FINA); sets the country")
	fl.StringVar(&o.Org.NCAName, "nca-name", o.Org.NCAName, "NCA name, as in the PSD2 statement (default: the known NCA's)")
	fl.StringVar(&o.Org.AuthNumber, "auth-number", o.Org.AuthNumber, "authorisation number at the NCA")
	fl.StringVar(&o.Org.Domain, "domain", o.Org.Domain, "QWAC common name and DNS name")
	fl.StringVar(&o.Roles, "roles", "PSP_AI", "PSP roles, comma-separated: PSP_AS, PSP_PI, PSP_AI, PSP_IC")
	fl.IntVar(&o.KeySize, "key-size", 2048, "RSA key size: 2048, 3072 or 4096")
	fl.IntVar(&o.Days, "days", 365, "validity in days")
	fl.BoolVar(&o.Force, "force", false, "overwrite existing files")
	fl.StringVar(&o.WriteProfile, "write-profile", "", "also point this profile's qwac_*, qseal_* and ca_bundle at the new files")
	fl.StringVar(&o.Bank, "bank", string(httpsig.BankEnfuce), "with --write-profile, whose signature rules the profile's bank key names: "+httpsig.BankNames())
	fl.StringVar(&o.Break, "break", "", "build in a defect a bank refuses (see --break list)")
	_ = cmd.RegisterFlagCompletionFunc("break", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return append([]string{"list"}, qcert.DefectNames()...), cobra.ShellCompDirectiveNoFileComp
	})
	_ = cmd.RegisterFlagCompletionFunc("roles", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return []string{"PSP_AI", "PSP_PI", "PSP_AS", "PSP_IC"}, cobra.ShellCompDirectiveNoFileComp
	})
	_ = cmd.RegisterFlagCompletionFunc("key-size", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return []string{"2048", "3072", "4096"}, cobra.ShellCompDirectiveNoFileComp
	})
	_ = cmd.MarkFlagDirname("dir")
}

// setFile is a file of a generated set and what it holds.
type setFile struct{ Name, What string }

// Files of a generated set, in writing order.
var setFiles = []setFile{
	{"ca.pem", "test CA certificate (trust it for the sandbox and for certs check --ca)"},
	{"ca.key", "test CA private key"},
	{"qwac.pem", "QWAC, the TLS client certificate"},
	{"qwac.key", "QWAC private key"},
	{"qseal.pem", "QSealC, the signing certificate"},
	{"qseal.key", "QSealC private key"},
	{"server.pem", "sandbox server certificate (localhost, 127.0.0.1, ::1)"},
	{"server.key", "sandbox server private key"},
}

type generatedJSON struct {
	Dir                    string            `json:"dir"`
	Files                  map[string]string `json:"files"`
	OrganizationIdentifier string            `json:"organization_identifier"`
	Roles                  []string          `json:"roles"`
	NotAfter               time.Time         `json:"not_after"`
	KeyGenerationMillis    int64             `json:"key_generation_ms"`
	TotalMillis            int64             `json:"total_ms"`
	Profile                string            `json:"profile,omitempty"`
	Break                  *brokenJSON       `json:"break,omitempty"`
}

type brokenJSON struct {
	qcert.Defect
	// Files carry the defect.
	Files []string `json:"files"`
}

func listDefects(o *GenerateOptions) error {
	if cmdutil.WantsJSON(o.Config) {
		return cmdutil.WriteJSON(o.IO.Out, qcert.Defects)
	}
	tw := report.NewTable(o.IO, 3) // WHAT IS WRONG
	fmt.Fprintln(tw, "DEFECT\tCERTIFICATE\tBANK ANSWERS\tWHAT IS WRONG")
	for _, d := range qcert.Defects {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", d.Name, d.Certs, d.Code, d.What)
	}
	return tw.Flush()
}

// brokenFiles are the files that carry the defect.
func brokenFiles(dir string, d qcert.Defect) []string {
	var out []string
	for _, c := range []string{"qwac", "qseal"} {
		if d.Applies(c) {
			out = append(out, filepath.Join(dir, c+".pem"))
		}
	}
	return out
}

func generateRun(o *GenerateOptions) error {
	roles, _ := qcert.ParseRoles(o.Roles)
	files, err := o.files()
	if err != nil {
		return err
	}
	start := time.Now()
	stop := o.IO.StartProgress(fmt.Sprintf("generating %d-bit RSA keys", o.KeySize)).Stop
	set, err := qcert.GenerateSet(qcert.Options{Org: o.Org, Roles: roles, KeySize: o.KeySize, Days: o.Days, Now: o.Now, Break: o.Break})
	stop()
	if err != nil {
		return cmdutil.UsageError(err)
	}
	if err := set.Write(o.Dir, o.Force); err != nil {
		if errors.Is(err, atomicfile.ErrExists) {
			return cmdutil.UsageErrorf("%v; stopped (use --force)", err)
		}
		return err
	}
	paths := map[string]string{}
	for _, sf := range files {
		paths[strings.ReplaceAll(sf.Name, ".", "_")] = filepath.Join(o.Dir, sf.Name)
	}
	total := time.Since(start)

	cfg, _ := o.Config()
	if o.WriteProfile != "" {
		if err := writeProfile(o, cfg, paths); err != nil {
			return err
		}
	}
	var broken *brokenJSON
	if o.Break != "" {
		d, _ := qcert.LookupDefect(o.Break)
		broken = &brokenJSON{Defect: d, Files: brokenFiles(o.Dir, d)}
	}
	if cmdutil.WantsJSON(o.Config) {
		// The roles written (a defect may differ from --roles), the QWAC's.
		written := []string{}
		if rs := writtenRoles(set.QWAC.Cert); rs != nil {
			written = rs
		}
		return cmdutil.WriteJSON(o.IO.Out, generatedJSON{Dir: o.Dir, Files: paths, OrganizationIdentifier: o.Org.OrganizationIdentifier(),
			Roles: written, NotAfter: set.QSeal.Cert.NotAfter, KeyGenerationMillis: set.KeyGenTime.Milliseconds(),
			TotalMillis: total.Milliseconds(), Profile: o.WriteProfile, Break: broken})
	}
	printGenerated(o, cfg, set, files, broken, total)
	return nil
}

// files are the files the set is written to. Without --force none of
// them may exist yet: nothing is written then.
func (o *GenerateOptions) files() ([]setFile, error) {
	if st, err := os.Stat(o.Dir); err == nil && !st.IsDir() {
		return nil, cmdutil.UsageErrorf("%s exists and is not a directory", o.Dir)
	}
	files := setFiles
	if o.Break == qcert.DefectMissingIntermediate {
		files = append(slices.Clone(setFiles), setFile{qcert.IntermediateFile, "the intermediate CA that issued the QWAC, left out of qwac.pem"})
	}
	if o.Force {
		return files, nil
	}
	var existing []string
	for _, sf := range files {
		if _, err := os.Lstat(filepath.Join(o.Dir, sf.Name)); err == nil {
			existing = append(existing, sf.Name)
		}
	}
	if len(existing) > 0 {
		return nil, cmdutil.UsageErrorf("%s already holds %s; nothing was written (use --force to replace them, or another --dir)", o.Dir, strings.Join(existing, ", "))
	}
	return files, nil
}

// writeProfile points --write-profile's profile at the new files, by
// absolute path so that it works from any directory.
func writeProfile(o *GenerateOptions, cfg *profile.Config, paths map[string]string) error {
	abs := func(p string) string {
		a, err := filepath.Abs(p)
		if err != nil {
			return p
		}
		return a
	}
	if cfg == nil || cfg.Path == "" {
		return cmdutil.UsageErrorf("no config file path to write profile %q to (use --config)", o.WriteProfile)
	}
	keys := map[string]string{
		"bank":      o.Bank,
		"qwac_cert": abs(paths["qwac_pem"]), "qwac_key": abs(paths["qwac_key"]),
		"qseal_cert": abs(paths["qseal_pem"]), "qseal_key": abs(paths["qseal_key"]),
		"ca_bundle": abs(paths["ca_pem"]),
	}
	// Sign as the named bank reads (validated by the flag's check).
	maps.Copy(keys, cmdutil.BankSigning(httpsig.Bank(o.Bank)))
	err := profile.UpdateFile(cfg.Path, o.WriteProfile, keys)
	if err != nil {
		return fmt.Errorf("updating profile %q in %s: %w", o.WriteProfile, cfg.Path, err)
	}
	return nil
}

// writtenRoles are the PSD2 roles c carries, as written (a --break defect
// may have changed them from --roles); nil when it has no PSD2 statement.
func writtenRoles(c *x509.Certificate) []string {
	qc, err := qcert.FromCertificate(c)
	if err != nil || qc == nil || qc.PSD2 == nil {
		return nil
	}
	var names []string
	for _, r := range qc.PSD2.Roles {
		names = append(names, r.Name)
	}
	return names
}

// rolesHeadline says the roles the QWAC and the QSealC were written with:
// once when they agree, each when a defect made them differ.
func rolesHeadline(set *qcert.Set) string {
	show := func(rs []string) string {
		if len(rs) == 0 {
			return "no PSD2 roles"
		}
		return "roles " + strings.Join(rs, ",")
	}
	qwac, qseal := writtenRoles(set.QWAC.Cert), writtenRoles(set.QSeal.Cert)
	if slices.Equal(qwac, qseal) {
		return show(qwac)
	}
	return "QWAC " + show(qwac) + ", QSealC " + show(qseal)
}

// printGenerated lists the set's files on stdout, and on stderr the
// profile written and the time taken.
func printGenerated(o *GenerateOptions, cfg *profile.Config, set *qcert.Set, files []setFile, broken *brokenJSON, total time.Duration) {
	out := o.IO.Out
	cs := o.IO.ColorScheme()
	fmt.Fprintf(out, "%s PSD2 test certificates for %s (%s), %s, valid until %s:\n",
		cs.SuccessIcon(), o.Org.Name, o.Org.OrganizationIdentifier(), rolesHeadline(set), set.QSeal.Cert.NotAfter.Format(time.DateOnly))
	for _, sf := range files {
		fmt.Fprintf(out, "  %-28s %s\n", filepath.Join(o.Dir, sf.Name), cs.Faint(sf.What))
	}
	if broken != nil {
		fmt.Fprintf(out, "%s broken on purpose, %s in %s: %s; a bank answers %s\n", cs.WarningIcon(), broken.Name,
			strings.Join(broken.Files, " and "), broken.What, broken.Code)
	}
	if o.WriteProfile != "" {
		fmt.Fprintf(o.IO.ErrOut, "profile %q in %s now uses these files\n", o.WriteProfile, cfg.Path)
	}
	fmt.Fprintf(o.IO.ErrOut, "generated in %s (key generation %s)\n", total.Round(time.Millisecond), set.KeyGenTime.Round(time.Millisecond))
}
