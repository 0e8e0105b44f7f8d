// Package sign implements `xs2a sign` and `xs2a sign verify`.
package sign

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/xs2a-dev/xs2a/cmd/xs2a/internal/cmdutil"
	"github.com/xs2a-dev/xs2a/pkg/httpmsg"
	"github.com/xs2a-dev/xs2a/pkg/httpsig"
	"github.com/xs2a-dev/xs2a/pkg/iostreams"
	"github.com/xs2a-dev/xs2a/pkg/pemfile"
	"github.com/xs2a-dev/xs2a/pkg/profile"
	"github.com/xs2a-dev/xs2a/pkg/shquote"
	"github.com/xs2a-dev/xs2a/pkg/termsafe"
)

// Options are the parsed flags of `xs2a sign` and what it uses.
type Options struct {
	IO     *iostreams.IOStreams
	Config func() (*profile.Config, error)
	Now    func() time.Time

	RequestFile string
	Method      string
	URL         string
	Headers     []string
	Body        string
	BodySet     bool
	BodyFile    string

	KeyFile, CertFile string
	QWACCert, QWACKey string

	Generic       bool
	HeaderList    string
	KeyIDOverride string
	Algorithm     string
	Digest        string
	SerialForm    string
	DNForm        string
	KeyIDForm     string
	SignDate      bool
	SignDateSet   bool
	NoRequestID   bool

	Format  string
	Explain bool
}

var formats = []string{"headers", "http", "json", "curl"}

// NewCmdSign builds `xs2a sign`; runF replaces the run function in tests.
func NewCmdSign(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{IO: f.IO, Config: f.Config, Now: f.Now}
	cmd := &cobra.Command{
		Use:   "sign [--request FILE | --url URL ...]",
		Short: "Sign a request the Berlin Group way (Digest, Signature, TPP-Signature-Certificate)",
		Long: `Sign an HTTP request per draft-cavage-http-signatures-10 as profiled by the
Berlin Group: a Digest of the exact body, a Signature over x-request-id and
digest (plus psu-id, psu-corporate-id and tpp-redirect-uri when present) with
keyId "SN=<serial>,CA=<issuer DN>", and the QSealC in TPP-Signature-Certificate.

The request comes from a raw HTTP/1.1 message (--request FILE, "-" for stdin,
as copied from a log or proxy) or is built from --method, --url, --header and
--body/--body-file. The key and certificate come from --key/--cert or the
profile's qseal_key/qseal_cert.`,
		Example: `  # sign a consent request and print the headers to add
  xs2a sign --key qseal.key --cert qseal.pem --method POST \
    --url https://api.example.com/v1/consents --body-file consent.json

  # sign a raw request from a log, show every step, print the signed message
  xs2a sign --request req.http --format http --explain

  # sign, then check the result
  xs2a sign --request req.http --format http | xs2a sign verify -`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.BodySet = cmd.Flags().Changed("body")
			if !contains(formats, opts.Format) {
				return cmdutil.UsageErrorf("invalid --format %q (want %s)", opts.Format, strings.Join(formats, ", "))
			}
			if cmdutil.WantsJSON(opts.Config) && !cmd.Flags().Changed("format") {
				opts.Format = "json"
			}
			if opts.RequestFile != "" && (opts.URL != "" || cmd.Flags().Changed("method")) {
				return cmdutil.UsageErrorf("--request and --url/--method are exclusive: the raw request already has them")
			}
			if opts.RequestFile == "" && opts.URL == "" {
				return cmdutil.UsageErrorf("nothing to sign: give --request FILE (or - for stdin) or --url")
			}
			if opts.BodySet && opts.BodyFile != "" {
				return cmdutil.UsageErrorf("--body and --body-file are exclusive")
			}
			if opts.KeyIDForm != "" && (opts.SerialForm != "" || opts.DNForm != "") {
				return cmdutil.UsageErrorf("--keyid-form names the serial and DN forms: leave out --serial-form and --dn-form")
			}
			if opts.KeyIDForm != "" && opts.KeyIDOverride != "" {
				return cmdutil.UsageErrorf("--keyid-form and --key-id are exclusive: --key-id writes the keyId verbatim")
			}
			opts.SignDateSet = cmd.Flags().Changed("sign-date")
			if opts.HeaderList != "" && !opts.Generic {
				return cmdutil.UsageErrorf("--headers chooses the signed headers in --generic mode only; the Berlin Group profile decides them")
			}
			if runF != nil {
				return runF(opts)
			}
			return signRun(opts)
		},
	}
	addSignFlags(cmd, opts)

	cmd.AddCommand(NewCmdVerify(f, nil))
	return cmd
}

// addSignFlags registers the flags of `sign` and their completions.
func addSignFlags(cmd *cobra.Command, opts *Options) {
	fl := cmd.Flags()
	fl.StringVarP(&opts.RequestFile, "request", "r", "", "raw HTTP/1.1 request `file` to sign (- for stdin)")
	fl.StringVarP(&opts.Method, "method", "X", "", "HTTP method (default GET, or POST with a body)")
	fl.StringVar(&opts.URL, "url", "", "request URL, e.g. https://api.example.com/v1/consents")
	fl.StringArrayVarP(&opts.Headers, "header", "H", nil, "header \"Name: value\" (repeatable)")
	fl.StringVarP(&opts.Body, "body", "d", "", "request body")
	fl.StringVar(&opts.BodyFile, "body-file", "", "request body from `file` (- for stdin), bytes exactly as in the file")
	fl.StringVar(&opts.KeyFile, "key", "", "QSealC private key (PEM or DER; default: profile qseal_key)")
	fl.StringVar(&opts.CertFile, "cert", "", "QSealC certificate (PEM or DER; default: profile qseal_cert)")
	fl.StringVar(&opts.QWACCert, "qwac-cert", "", "QWAC certificate for --format curl (default: profile qwac_cert)")
	fl.StringVar(&opts.QWACKey, "qwac-key", "", "QWAC key for --format curl (default: profile qwac_key)")
	fl.BoolVar(&opts.Generic, "generic", false, "plain draft-cavage signing of any header list, not the Berlin Group profile")
	fl.StringVar(&opts.HeaderList, "headers", "", "space-separated headers to sign, with --generic (default \"date\")")
	fl.StringVar(&opts.KeyIDOverride, "key-id", "", "write this keyId verbatim instead of deriving it from the certificate")
	fl.StringVar(&opts.Algorithm, "algorithm", "", "rsa-sha256 or rsa-sha512 (default: matches the certificate)")
	fl.StringVar(&opts.Digest, "digest", "", "digest algorithm SHA-256 or SHA-512 (default SHA-256)")
	fl.StringVar(&opts.SerialForm, "serial-form", "", "keyId serial form: "+forms(httpsig.SerialForms)+" (default der-hex)")
	fl.StringVar(&opts.DNForm, "dn-form", "", "keyId issuer DN form: "+forms(httpsig.DNForms)+" (default rfc4514-pct)")
	fl.StringVar(&opts.KeyIDForm, "keyid-form", "", "keyId serial and DN form by who reads it: "+keyIDFormNames()+" (default enfuce)")
	fl.BoolVar(&opts.SignDate, "sign-date", false, "sign the Date header too, adding one when absent (adorsys-based ASPSPs; default: profile signing.sign_date)")
	fl.BoolVar(&opts.NoRequestID, "no-request-id", false, "do not add an X-Request-ID when the request has none")
	fl.StringVarP(&opts.Format, "format", "f", "headers", "output: headers, http, json or curl")
	fl.BoolVar(&opts.Explain, "explain", false, "show the digest input, signing string and keyId derivation on stderr (also -v)")
	_ = cmd.RegisterFlagCompletionFunc("format", fixed(formats...))
	_ = cmd.RegisterFlagCompletionFunc("algorithm", fixed("rsa-sha256", "rsa-sha512"))
	_ = cmd.RegisterFlagCompletionFunc("digest", fixed("SHA-256", "SHA-512"))
	_ = cmd.RegisterFlagCompletionFunc("keyid-form", fixed(strings.Split(keyIDFormNames(), ", ")...))
	_ = cmd.RegisterFlagCompletionFunc("serial-form", fixed(strs(httpsig.SerialForms)...))
	_ = cmd.RegisterFlagCompletionFunc("dn-form", fixed(strs(httpsig.DNForms)...))
}

func fixed(vals ...string) func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return vals, cobra.ShellCompDirectiveNoFileComp
	}
}

func strs[T ~string](in []T) []string {
	out := make([]string, len(in))
	for i, v := range in {
		out[i] = string(v)
	}
	return out
}

func forms[T ~string](in []T) string { return strings.Join(strs(in), ", ") }

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func signRun(o *Options) error {
	cfg, err := o.Config()
	if err != nil {
		return err
	}
	m, scheme, err := o.buildRequest()
	if err != nil {
		return err
	}
	signer, err := o.signer(cfg)
	if err != nil {
		return err
	}
	hadRequestID := m.Has("X-Request-ID")
	res, err := signer.Sign(m)
	if err != nil {
		if errors.Is(err, httpsig.ErrKeyMismatch) {
			return cmdutil.CertError(fmt.Errorf("the key %s does not belong to the certificate %s", o.keyPath(cfg), o.certPath(cfg)))
		}
		return cmdutil.UsageError(err)
	}
	errOut := o.IO.ErrOut
	cs := o.IO.ErrColorScheme()
	for _, w := range res.Warnings {
		fmt.Fprintf(errOut, "%s %s\n", cs.Yellow("warning:"), termsafe.Line(w))
	}
	if signer.Cert != nil {
		now := o.Now()
		if now.After(signer.Cert.NotAfter) {
			fmt.Fprintf(errOut, "%s the certificate expired on %s: the bank will answer CERTIFICATE_EXPIRED\n", cs.Yellow("warning:"), signer.Cert.NotAfter.UTC().Format(time.DateOnly))
		} else if now.Before(signer.Cert.NotBefore) {
			fmt.Fprintf(errOut, "%s the certificate is not valid before %s\n", cs.Yellow("warning:"), signer.Cert.NotBefore.UTC().Format(time.RFC3339))
		}
	}
	if !hadRequestID && m.Has("X-Request-ID") && !cmdutil.WantsJSON(o.Config) {
		fmt.Fprintf(errOut, "added X-Request-ID: %s\n", m.Get("X-Request-ID"))
	}
	if o.Explain || cfg.Verbose {
		explain(errOut, cs, m, res, signer)
	}
	return o.print(cfg, m, res, scheme, !hadRequestID)
}

func (o *Options) keyPath(cfg *profile.Config) string {
	if o.KeyFile != "" {
		return o.KeyFile
	}
	return cfg.Profile.QSealKey
}

func (o *Options) certPath(cfg *profile.Config) string {
	if o.CertFile != "" {
		return o.CertFile
	}
	return cfg.Profile.QSealCert
}

// buildRequest returns the message to sign and the URL scheme to print it with.
func (o *Options) buildRequest() (*httpmsg.Request, string, error) {
	var m *httpmsg.Request
	scheme := "https"
	if o.RequestFile != "" {
		raw, err := cmdutil.ReadInput(o.IO.In, o.RequestFile, "request")
		if err != nil {
			return nil, "", err
		}
		req, extra, err := httpmsg.ParseWithExtra(raw)
		if err != nil {
			return nil, "", cmdutil.UsageErrorf("%s: %v", displayName(o.RequestFile), err)
		}
		printParseWarnings(o.IO, req)
		if extra > 0 {
			framing := "Content-Length"
			if req.Framing == httpmsg.FramingChunked {
				framing = "chunked"
			}
			fmt.Fprintf(o.IO.ErrOut, "note: %d byte(s) after the %s body were ignored\n", extra, framing)
		}
		if req.Framing == httpmsg.FramingChunked {
			// The Digest covers the content; the message written carries it
			// with Content-Length, which every server and tool reads alike.
			req.UseContentLength()
			note := fmt.Sprintf("note: the chunked body was de-chunked: the Digest covers its %d bytes of content, not the framing", len(req.Body))
			if o.Format != "headers" {
				note += fmt.Sprintf(", and the signed message carries Content-Length: %d instead of Transfer-Encoding: chunked", len(req.Body))
			}
			fmt.Fprintln(o.IO.ErrOut, note)
		}
		if strings.HasPrefix(req.Target, "http://") {
			scheme = "http"
		}
		m = req
	} else {
		u, err := url.Parse(o.URL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return nil, "", cmdutil.UsageErrorf("--url %q is not an absolute http(s) URL", o.URL)
		}
		scheme = u.Scheme
		body, err := o.body()
		if err != nil {
			return nil, "", err
		}
		method := strings.ToUpper(o.Method)
		if method != "" && !httpmsg.IsToken(method) {
			return nil, "", cmdutil.UsageErrorf("--method %s is not an HTTP method: RFC 9110 allows letters, digits and !#$%%&'*+-.^_`|~ only", termsafe.Line(strconv.Quote(o.Method)))
		}
		if method == "" {
			method = "GET"
			if body != nil {
				method = "POST"
			}
		}
		m = &httpmsg.Request{Method: method, Target: u.RequestURI(), Proto: "HTTP/1.1", Body: body,
			Header: []httpmsg.Field{{Name: "Host", Value: u.Host}}}
		if len(body) > 0 {
			m.Header = append(m.Header, httpmsg.Field{Name: "Content-Type", Value: "application/json"},
				httpmsg.Field{Name: "Content-Length", Value: strconv.Itoa(len(body))})
		}
	}
	for _, h := range o.Headers {
		name, value, ok := strings.Cut(h, ":")
		if !ok || strings.TrimSpace(name) == "" {
			return nil, "", cmdutil.UsageErrorf("--header %q is not \"Name: value\"", h)
		}
		if !httpmsg.IsToken(strings.TrimSpace(name)) {
			return nil, "", cmdutil.UsageErrorf("--header name %q is not an RFC 9110 token", strings.TrimSpace(name))
		}
		if strings.ContainsAny(value, "\r\n\x00") {
			return nil, "", cmdutil.UsageErrorf("--header %s: the value holds a line break or NUL, which RFC 9110 (5.5) forbids in a field value", strings.TrimSpace(name))
		}
		m.Set(strings.TrimSpace(name), strings.TrimSpace(value))
	}
	return m, scheme, nil
}

func (o *Options) body() ([]byte, error) {
	switch {
	case o.BodyFile != "":
		return cmdutil.ReadInput(o.IO.In, o.BodyFile, "body")
	case o.BodySet:
		return []byte(o.Body), nil
	}
	return nil, nil
}

// printParseWarnings prints what the raw-request reader noticed about the
// message's framing, one warning line each.
func printParseWarnings(ios *iostreams.IOStreams, m *httpmsg.Request) {
	cs := ios.ErrColorScheme()
	for _, w := range m.Warnings {
		fmt.Fprintf(ios.ErrOut, "%s %s\n", cs.Yellow("warning:"), termsafe.Line(w))
	}
}

func displayName(p string) string {
	if p == "-" {
		return "standard input"
	}
	return p
}

func (o *Options) signer(cfg *profile.Config) (*httpsig.Signer, error) {
	s := &httpsig.Signer{AddRequestID: !o.NoRequestID, KeyIDOverride: o.KeyIDOverride}
	if o.Generic {
		s.Profile = httpsig.ProfileGeneric
		s.Headers = strings.Fields(o.HeaderList)
	}
	if err := cmdutil.ApplySigning(s, o.signing(cfg.Profile.Signing)); err != nil {
		return nil, err
	}
	keyPath, certPath := o.keyPath(cfg), o.certPath(cfg)
	if keyPath == "" {
		return nil, cmdutil.UsageErrorf("no signing key: give --key (and --cert), or set qseal_key in profile %q", cfg.ProfileName)
	}
	if certPath == "" && !(o.Generic && o.KeyIDOverride != "") {
		return nil, cmdutil.UsageErrorf("no QSealC certificate: give --cert, or set qseal_cert in profile %q", cfg.ProfileName)
	}
	key, err := pemfile.ReadRSAKey(keyPath)
	if err != nil {
		return nil, cmdutil.FileError(err)
	}
	s.Key = key
	if certPath != "" {
		cert, err := pemfile.ReadCertificate(certPath)
		if err != nil {
			return nil, cmdutil.FileError(err)
		}
		if err := pemfile.CheckPair(key, cert, keyPath, certPath); err != nil {
			return nil, cmdutil.CertError(err)
		}
		s.Cert = cert
	}
	return s, nil
}

// signing merges the flags over the profile's signing settings: a keyId
// flag replaces the profile's keyid_form, and --keyid-form its serial and
// DN forms too.
func (o *Options) signing(sg profile.Signing) profile.Signing {
	eff := profile.Signing{Algorithm: first(o.Algorithm, sg.Algorithm), Digest: first(o.Digest, sg.Digest), SignDate: sg.SignDate}
	switch {
	case o.KeyIDForm != "":
		eff.KeyIDForm = o.KeyIDForm
	case o.SerialForm != "" || o.DNForm != "":
		eff.SerialForm, eff.DNForm = first(o.SerialForm, sg.SerialForm), first(o.DNForm, sg.DNForm)
		if sg.KeyIDForm != "" {
			// The profile's named form, with the flag's part replaced.
			if f, err := httpsig.ParseKeyIDFormName(sg.KeyIDForm); err == nil {
				eff.SerialForm, eff.DNForm = first(o.SerialForm, string(f.Serial)), first(o.DNForm, string(f.DN))
			}
		}
	default:
		eff.KeyIDForm, eff.SerialForm, eff.DNForm = sg.KeyIDForm, sg.SerialForm, sg.DNForm
	}
	if o.SignDateSet {
		eff.SignDate = strconv.FormatBool(o.SignDate)
	}
	return eff
}

func keyIDFormNames() string {
	names := make([]string, len(httpsig.NamedKeyIDForms))
	for i, n := range httpsig.NamedKeyIDForms {
		names[i] = n.Name
	}
	return strings.Join(names, ", ")
}

func first(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}

// signedJSON is the --format json document.
type signedJSON struct {
	Method        string          `json:"method"`
	URL           string          `json:"url"`
	Headers       []httpmsg.Field `json:"headers"`
	Body          string          `json:"body"`
	Added         []httpmsg.Field `json:"added_headers"`
	SigningString string          `json:"signing_string"`
	KeyID         string          `json:"key_id"`
	Algorithm     string          `json:"algorithm"`
	SignedHeaders []string        `json:"signed_headers"`
	Warnings      []string        `json:"warnings,omitempty"`
}

func addedHeaders(m *httpmsg.Request, withRequestID, withDate bool) []httpmsg.Field {
	var out []httpmsg.Field
	names := []string{"Digest", "Signature", "TPP-Signature-Certificate"}
	if withDate {
		names = append([]string{"Date"}, names...)
	}
	if withRequestID {
		names = append([]string{"X-Request-ID"}, names...)
	}
	for _, n := range names {
		if m.Has(n) {
			out = append(out, httpmsg.Field{Name: n, Value: m.Get(n)})
		}
	}
	return out
}

func (o *Options) print(cfg *profile.Config, m *httpmsg.Request, res *httpsig.Signed, scheme string, addedID bool) error {
	w := o.IO.Out
	switch o.Format {
	case "http":
		return writeHTTP(w, m, o.IO.IsStdoutTTY())
	case "json":
		added := addedHeaders(m, addedID, res.Date != "")
		return cmdutil.WriteJSON(o.IO.Out, signedJSON{Method: m.Method, URL: fullURL(m, scheme), Headers: m.Header, Body: string(m.Body),
			Added: added, SigningString: res.SigningString, KeyID: res.Params.KeyID, Algorithm: res.Params.Algorithm,
			SignedHeaders: res.Params.Headers, Warnings: res.Warnings})
	case "curl":
		return writeCurl(w, m, scheme, first(o.QWACCert, cfg.Profile.QWACCert), first(o.QWACKey, cfg.Profile.QWACKey), cfg.Profile.CABundle)
	default:
		for _, h := range addedHeaders(m, addedID, res.Date != "") {
			// The Signature quotes the keyId: from --key-id or a certificate's issuer.
			if _, err := fmt.Fprintf(w, "%s: %s\n", h.Name, termsafe.Line(h.Value)); err != nil {
				return err
			}
		}
		return nil
	}
}

// pasteSafe reports text a terminal shows as it is: no control character
// but the newlines (LF or CRLF) and tabs a multi-line body keeps.
func pasteSafe(s string) bool {
	return termsafe.Safe(strings.NewReplacer("\r\n", "", "\n", "", "\t", "").Replace(s))
}

func controlRefusal(what string) error {
	return cmdutil.UsageErrorf("%s holds a control character a terminal would obey, so it is not printed as a curl command to paste: use --format http or --format json, which keep the bytes exactly", what)
}

func fullURL(m *httpmsg.Request, scheme string) string {
	if strings.Contains(m.Target, "://") {
		return m.Target
	}
	host := m.Get("Host")
	if host == "" {
		return m.Target
	}
	return scheme + "://" + host + m.Target
}

// writeCurl prints m as a curl command to paste. Everything in it may have
// come from a request file, so every word is single-quoted (pkg/shquote),
// and curl is kept from reading more into it than the words: --data-raw,
// not --data-binary, which reads a file for a body starting with @;
// --globoff, so [] and {} in the URL are not ranges; --url, so a URL is
// never taken for an option; and the certificate path escaped for curl's
// own "file:password" syntax. caBundle, the profile's ca_bundle, becomes
// --cacert: without it curl refuses the sandbox's (or any test bank's)
// server certificate, which the profile trusts through it.
func writeCurl(w io.Writer, m *httpmsg.Request, scheme, qwacCert, qwacKey, caBundle string) error {
	if !httpmsg.IsToken(m.Method) {
		return cmdutil.UsageErrorf("method %s is not an RFC 9110 token", termsafe.Line(strconv.Quote(m.Method)))
	}
	if bytes.IndexByte(m.Body, 0) >= 0 {
		return cmdutil.UsageErrorf("the body holds a NUL byte, which a shell argument cannot carry: use --format http and send it with curl --data-binary @FILE")
	}
	// The command is printed to be read and pasted: a control character in
	// it (ESC, OSC 52 setting the clipboard, a lone CR, C1, bidi) would be
	// obeyed by the terminal, and escaping it would change what curl sends.
	for what, word := range map[string]string{"the method": m.Method, "the URL": fullURL(m, scheme), "the body": string(m.Body)} {
		if !pasteSafe(word) {
			return controlRefusal(what)
		}
	}
	for _, h := range m.Header {
		if !pasteSafe(h.Name + ": " + h.Value) {
			return controlRefusal("header " + termsafe.Line(strconv.Quote(h.Name)))
		}
	}
	q := shquote.Quote
	var b strings.Builder
	b.WriteString("curl -sS")
	if m.Method != "GET" || len(m.Body) > 0 {
		b.WriteString(" -X " + q(m.Method))
	}
	if qwacCert != "" {
		b.WriteString(" --cert " + q(strings.NewReplacer(`\`, `\\`, ":", `\:`).Replace(qwacCert)))
		if qwacKey != "" {
			b.WriteString(" --key " + q(qwacKey))
		}
	}
	if caBundle != "" {
		// --cacert takes a plain path (no "file:password" as --cert has).
		b.WriteString(" --cacert " + q(caBundle))
	}
	for _, h := range m.Header {
		switch strings.ToLower(h.Name) {
		case "host", "content-length":
			continue // curl derives them from the URL and body
		}
		if strings.ContainsAny(h.Name+h.Value, "\r\n\x00") {
			return cmdutil.UsageErrorf("header %s holds a line break or NUL", termsafe.Line(strconv.Quote(h.Name)))
		}
		line := h.Name + ": " + h.Value
		if strings.TrimSpace(h.Value) == "" {
			line = h.Name + ";" // curl's form for an empty value; "Name:" would remove the header
		}
		b.WriteString(" \\\n  -H " + q(line))
	}
	if len(m.Body) > 0 {
		b.WriteString(" \\\n  --data-raw " + q(string(m.Body)))
	}
	b.WriteString(" \\\n  --globoff --url " + q(fullURL(m, scheme)) + "\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// writeHTTP writes the signed message byte for byte into a pipe or file,
// made to be read by `sign verify -` or a bank. On a terminal it is only
// read by a person, so what the request file held (ESC, OSC, bare CR) is
// shown escaped, its CRLF line ends as plain newlines.
func writeHTTP(w io.Writer, m *httpmsg.Request, tty bool) error {
	if !tty {
		_, err := m.WriteTo(w)
		return err
	}
	var b strings.Builder
	if _, err := m.WriteTo(&b); err != nil {
		return err
	}
	_, err := io.WriteString(w, termsafe.Text(strings.ReplaceAll(b.String(), "\r\n", "\n")))
	return err
}
