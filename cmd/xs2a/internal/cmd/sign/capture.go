package sign

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/xs2a-dev/xs2a/cmd/xs2a/internal/cmdutil"
	"github.com/xs2a-dev/xs2a/cmd/xs2a/internal/report"
	"github.com/xs2a-dev/xs2a/pkg/capture"
	"github.com/xs2a-dev/xs2a/pkg/httpmsg"
	"github.com/xs2a-dev/xs2a/pkg/httpsig"
	"github.com/xs2a-dev/xs2a/pkg/termsafe"
	"github.com/xs2a-dev/xs2a/pkg/text"
)

// input is what `sign verify` read: one request (raw HTTP, curl -v, one HAR
// entry picked with --entry) or a whole HAR.
type input struct {
	format capture.Format
	req    *httpmsg.Request
	har    *capture.HAR
	// bodyUnknown says why the body is not known, for httpsig.VerifyOptions.
	bodyUnknown string
	// header is the "read: ..." line printed above the report ("" for raw
	// HTTP, whose report has always started with the request).
	header string
	entry  int
	// warnings are the capture's own (a Content-Length that disagrees
	// with the body), for -o json.
	warnings []string
}

const curlNoBody = "curl -v does not show the body it sends; give it with --body FILE (the file or the --data you gave curl) to check the Digest"

// readRequestInput reads the request file and recognises its format.
func readRequestInput(o *VerifyOptions) (*input, error) {
	if o.BodyFile == "-" && o.RequestFile == "-" {
		return nil, cmdutil.UsageErrorf("the request and --body cannot both be standard input")
	}
	raw, err := readCapped(o.IO.In, o.RequestFile)
	if err != nil {
		return nil, err
	}
	var body []byte
	if o.BodyFile != "" {
		if body, err = readCapped(o.IO.In, o.BodyFile); err != nil {
			return nil, err
		}
	}
	name := displayName(o.RequestFile)
	in := &input{format: capture.Detect(raw)}
	if in.format != capture.FormatHAR && o.Entry != 0 {
		return nil, cmdutil.UsageErrorf("--entry is for HAR files; %s is %s", name, formatName(in.format))
	}
	switch in.format {
	case capture.FormatHAR:
		err = in.readHAR(raw, name, o, body)
	case capture.FormatCurl:
		err = in.readCurl(raw, name, body)
	default:
		err = in.readRaw(raw, name, o)
	}
	if err != nil {
		return nil, err
	}
	if body != nil {
		in.req.Body = body
		in.header += fmt.Sprintf(", body from %s (%d bytes)", termsafe.Line(displayName(o.BodyFile)), len(body))
	}
	return in, nil
}

// readHAR reads a HAR: the whole file (in.har), or the entry --entry
// picks (in.req); body is --body's, nil without it.
func (in *input) readHAR(raw []byte, name string, o *VerifyOptions, body []byte) error {
	h, err := capture.ParseHAR(raw)
	if err != nil {
		return cmdutil.UsageErrorf("%s: %v", name, err)
	}
	in.header = fmt.Sprintf("read: HAR %s, %s", termsafe.Line(h.Version), entries(len(h.Entries)))
	if by := harBy(h); by != "" {
		in.header += " (" + termsafe.Line(by) + ")"
	}
	if o.Entry == 0 {
		if o.BodyFile != "" {
			return cmdutil.UsageErrorf("--body is for one request: pick the HAR entry with --entry N")
		}
		in.har = h
		return nil
	}
	if o.Entry < 1 || o.Entry > len(h.Entries) {
		return cmdutil.UsageErrorf("--entry %d: %s has entries 1 to %d", o.Entry, name, len(h.Entries))
	}
	e := h.Entries[o.Entry-1]
	if e.Err != nil {
		return cmdutil.UsageErrorf("%s: entry %d: %v", name, o.Entry, e.Err)
	}
	in.req, in.entry = e.Request, o.Entry
	in.header += fmt.Sprintf(", entry %d", o.Entry)
	if e.BodyOmitted && body == nil {
		in.bodyUnknown = "the HAR holds no body for this request (browsers leave out large or binary ones); give it with --body FILE to check the Digest"
	}
	return nil
}

// readCurl reads the first request of curl -v output; body is --body's,
// nil without it.
func (in *input) readCurl(raw []byte, name string, body []byte) error {
	c, err := capture.ParseCurl(raw)
	if err != nil {
		return cmdutil.UsageErrorf("%s: %v", name, err)
	}
	in.req = c.Request
	in.header = "read: curl -v output"
	if c.Requests > 1 {
		in.header += fmt.Sprintf(", the first of its %d requests", c.Requests)
	}
	if body == nil {
		in.bodyUnknown = curlNoBody
	}
	return nil
}

// readRaw reads a raw HTTP/1.1 request, which carries its own body.
func (in *input) readRaw(raw []byte, name string, o *VerifyOptions) error {
	if o.BodyFile != "" {
		return cmdutil.UsageErrorf("--body is for curl -v output and HAR entries; a raw HTTP request carries its body")
	}
	m, err := httpmsg.Parse(raw)
	if err != nil {
		return cmdutil.UsageErrorf("%s: %v (read as a raw HTTP request; HAR files and curl -v output are read too)", name, err)
	}
	in.req = m
	in.header = "read: raw HTTP/1.1 request"
	switch m.Framing {
	case httpmsg.FramingChunked:
		in.header += ", its chunked body de-chunked"
	case httpmsg.FramingToEnd:
		in.header += ", its body read to the end (no Content-Length)"
	}
	return nil
}

// lengthWarning says how a capture's Content-Length disagrees with the
// body it holds, "" when it does not (or states none). A HAR or curl -v
// capture keeps what the tool kept of the body (browsers cut large ones;
// a --body file may be another version) while its Content-Length is what
// was sent, so a Digest that checks out over the bytes present proves
// nothing about the rest: VALID must not pass in silence. where names the
// body ("the HAR entry", "the --body file").
func lengthWarning(m *httpmsg.Request, where string) string {
	cl := strings.TrimSpace(m.Get("Content-Length"))
	if cl == "" {
		return ""
	}
	n, err := strconv.ParseInt(cl, 10, 64)
	have := int64(len(m.Body))
	switch {
	case err != nil || n < 0:
		return fmt.Sprintf("Content-Length %q is not a byte count; the Digest was computed over the %d bytes %s holds", text.Clip(cl, 40), have, where)
	case n > have:
		return fmt.Sprintf("Content-Length says %d bytes but %s holds only %d: the Digest was computed over the %d bytes present, not the whole body that was sent (the capture may have cut it)", n, where, have, have)
	case n < have:
		return fmt.Sprintf("Content-Length says %d bytes but %s holds %d: the Digest was computed over all %d, while a server reads only the first %d", n, where, have, have, n)
	}
	return ""
}

func formatName(f capture.Format) string {
	switch f {
	case capture.FormatCurl:
		return "curl -v output"
	case capture.FormatHAR:
		return "a HAR file"
	}
	return "a raw HTTP request"
}

// harBy names who wrote the HAR: the browser when the file says, else the
// creator (Chrome and Edge write "WebInspector").
func harBy(h *capture.HAR) string {
	if h.Browser != "" {
		return h.Browser
	}
	return h.Creator
}

// readCapped reads a file or standard input (in), refusing more than
// capture.MaxBytes rather than holding a whole browser session in memory.
func readCapped(in io.Reader, path string) ([]byte, error) {
	var r io.Reader
	what := "request"
	if path == "-" {
		r = in
	} else {
		fh, err := os.Open(path)
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				return nil, cmdutil.UsageErrorf("%s file %s does not exist", what, path)
			}
			return nil, fmt.Errorf("reading %s: %w", what, err)
		}
		defer fh.Close()
		r = fh
	}
	b, err := io.ReadAll(io.LimitReader(r, capture.MaxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", displayName(path), err)
	}
	if len(b) > capture.MaxBytes {
		return nil, cmdutil.UsageErrorf("%s is larger than %d MiB, more than any request to check; export only the requests you need", displayName(path), capture.MaxBytes>>20)
	}
	return b, nil
}

// entryVerdict is one line of `sign verify FILE.har`, and its JSON form.
type entryVerdict struct {
	Index  int    `json:"index"`
	Method string `json:"method"`
	URL    string `json:"url"`
	Path   string `json:"path"`
	// Verdict is valid, invalid or "not signed"; "unreadable" for an entry
	// without a Signature that could not be read.
	Verdict     string `json:"verdict"`
	FailedCheck string `json:"failed_check,omitempty"`
	Detail      string `json:"detail,omitempty"`
	Cause       string `json:"cause,omitempty"`
	Confirmed   bool   `json:"confirmed,omitempty"`
	// Note says what was not checked (a body the HAR left out).
	Note string `json:"note,omitempty"`
	// Warning: the entry's Content-Length disagrees with the body it holds.
	Warning string `json:"warning,omitempty"`
}

type harReport struct {
	Format  capture.Format `json:"format"`
	Version string         `json:"version"`
	Creator string         `json:"creator,omitempty"`
	Browser string         `json:"browser,omitempty"`
	Bank    httpsig.Bank   `json:"bank,omitempty"`
	Entries []entryVerdict `json:"entries"`
}

const harNoBody = "the HAR holds no body for this request; the Digest was not checked (see --entry N --body FILE)"

// verifyHAR checks every entry of a HAR, one line each, as --bundle does.
func verifyHAR(o *VerifyOptions, in *input) error {
	banks, err := resolveBanks(o)
	if err != nil {
		return err
	}
	if len(banks) > 1 {
		// One line per entry; every bank's verdict is for one request.
		return cmdutil.UsageErrorf("--bank all judges one request: add --entry N to see each bank's verdict on entry N of the HAR")
	}
	vo, err := verifyOptions(o, banks[0])
	if err != nil {
		return err
	}
	if vo.Now == nil {
		vo.Now = o.Now
	}
	rep := harReport{Format: capture.FormatHAR, Version: in.har.Version, Creator: in.har.Creator, Browser: in.har.Browser, Bank: banks[0],
		Entries: make([]entryVerdict, 0, len(in.har.Entries))}
	invalid := 0
	for i, e := range in.har.Entries {
		v := entryVerdict{Index: i + 1, Method: e.Method, URL: e.URL}
		switch {
		case e.Err != nil && e.Signed:
			v.Verdict, v.FailedCheck, v.Detail = "invalid", "har", e.Err.Error()
		case e.Err != nil:
			v.Verdict, v.Detail = "unreadable", e.Err.Error()
		case !e.Signed:
			v.Path, v.Verdict = e.Request.Path(), "not signed"
		default:
			v.Path = e.Request.Path()
			evo := vo
			if e.BodyOmitted {
				evo.BodyUnknown, v.Note = harNoBody, harNoBody
			} else {
				v.Warning = lengthWarning(e.Request, "the HAR entry")
			}
			judge(&v, httpsig.Verify(e.Request, evo))
		}
		if v.Verdict == "invalid" {
			invalid++
		}
		rep.Entries = append(rep.Entries, v)
	}
	if cmdutil.WantsJSON(o.Config) {
		if err := cmdutil.WriteJSON(o.IO.Out, rep); err != nil {
			return err
		}
	} else {
		fmt.Fprintln(o.IO.Out, in.header)
		printHAR(o, rep.Entries, banks[0])
	}
	if invalid > 0 {
		return cmdutil.Silent(cmdutil.ExitSignature)
	}
	return nil
}

// judge fills the verdict from a diagnosis: the first failed check and the
// best cause, as bundle.Verify does for recorded exchanges.
func judge(v *entryVerdict, d *httpsig.Diagnosis) {
	if d.Valid {
		v.Verdict = "valid"
		return
	}
	v.Verdict = "invalid"
	var cause httpsig.Cause
	v.FailedCheck, v.Detail, cause = d.Refusal()
	v.Cause, v.Confirmed = cause.Summary, cause.Confirmed
}

func printHAR(o *VerifyOptions, vs []entryVerdict, bank httpsig.Bank) {
	cs := o.IO.ColorScheme()
	tw := report.NewTable(o.IO, -1) // the verdict's reason; --entry N has it in full
	valid, invalid, unsigned, unreadable := 0, 0, 0, 0
	for _, v := range vs {
		verdict := ""
		switch v.Verdict {
		case "valid":
			valid++
			verdict = cs.Green("VALID")
			if v.Note != "" {
				verdict += cs.Faint(" (Digest not checked: the HAR holds no body)")
			}
		case "invalid":
			invalid++
			verdict = invalidText(cs, v.FailedCheck, v.Cause, v.Detail, v.Confirmed)
		case "unreadable":
			unreadable++
			verdict = cs.Faint("unreadable: " + termsafe.Line(v.Detail))
		default:
			unsigned++
			verdict = cs.Faint("not signed")
		}
		if v.Warning != "" {
			verdict += " " + cs.Yellow("(warning: "+termsafe.Line(v.Warning)+")")
		}
		path := v.Path
		if path == "" {
			path = v.URL
		}
		fmt.Fprintf(tw, "%d\t%s %s\t%s\n", v.Index, text.Clip(termsafe.Line(v.Method), 10), text.Clip(termsafe.Line(path), 60), text.OneLine(verdict))
	}
	_ = tw.Flush()
	judged := ""
	if bank != "" {
		judged = " for " + string(bank)
	}
	s := fmt.Sprintf("%s%s: %d valid, %d invalid, %d not signed", entries(len(vs)), judged, valid, invalid, unsigned)
	if unreadable > 0 {
		s += fmt.Sprintf(", %d unreadable", unreadable)
	}
	if invalid > 0 {
		s += "; see one in full with --entry N"
	}
	fmt.Fprintln(o.IO.Out, s)
}

// singleJSON is the -o json report of one request: the diagnosis with the
// format it was read from.
type singleJSON struct {
	Format          capture.Format `json:"format"`
	Entry           int            `json:"entry,omitempty"`
	CaptureWarnings []string       `json:"captureWarnings,omitempty"`
	*httpsig.Diagnosis
}

func entries(n int) string {
	if n == 1 {
		return "1 entry"
	}
	return fmt.Sprintf("%d entries", n)
}
