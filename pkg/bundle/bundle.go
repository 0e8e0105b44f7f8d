// Package bundle records HTTP exchanges with an ASPSP, one JSON file per
// exchange, so that they can be attached to a bank support ticket, their
// signatures re-checked offline and the requests replayed later.
//
// A recorded file holds the request as sent (after signing), the exact bytes
// the Digest covers, the signing string rebuilt from the Signature header,
// certificate fingerprints, the answer, timings and the TLS version. Tokens,
// codes, the client secret and the API key never reach the file: they are
// replaced by httplog.Redact's fingerprint, found by name (as the -v trace
// does) and by value (every secret the recorder was given or has seen).
// Signed headers are not secret, so a recorded signature stays verifiable.
//
// Read returns a directory's exchanges in recorded order; a Replayer sends
// them again and compares the answers.
package bundle

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/xs2a-dev/xs2a/pkg/httpmsg"
	"github.com/xs2a-dev/xs2a/pkg/xs2a"
)

// Format is the version of the file layout, written in every file.
const Format = 1

// Kinds of exchange: which client sent it.
const (
	KindAPI   = "api"   // the signed client: the XS2A API
	KindOAuth = "oauth" // the mTLS client: token endpoint, discovery
)

// Exchange is one recorded request and its answer (or error).
type Exchange struct {
	Format int `json:"format"`
	// Kind says which client sent it (KindAPI or KindOAuth).
	Kind string `json:"kind"`
	// BaseURL is the profile's base_url, so a replay can send the same
	// path to another ASPSP.
	BaseURL string    `json:"baseUrl,omitempty"`
	Time    time.Time `json:"time"`
	Request Request   `json:"request"`
	// Digest is the Digest header checked against the recorded body.
	Digest *DigestInput `json:"digest,omitempty"`
	// SigningString is rebuilt from the Signature's headers parameter.
	SigningString string       `json:"signingString,omitempty"`
	Certificates  Certificates `json:"certificates"`
	Response      *Response    `json:"response,omitempty"`
	Timings       Timings      `json:"timings"`
	TLS           *TLSInfo     `json:"tls,omitempty"`
	Error         string       `json:"error,omitempty"`

	// File is the name the exchange was read from (not stored).
	File string `json:"-"`
}

// Field is one header line.
type Field struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Request is the request as it went on the wire.
type Request struct {
	Method string `json:"method"`
	URL    string `json:"url"`
	// Target is the request-target: path and query, what
	// (request-target) signs.
	Target  string  `json:"target"`
	Headers []Field `json:"headers"`
	Body    *Body   `json:"body,omitempty"`
}

// Body is a message body: Text when it is UTF-8, otherwise Base64.
type Body struct {
	Text   string `json:"text,omitempty"`
	Base64 string `json:"base64,omitempty"`
	Size   int    `json:"size"`
	// Redacted: a secret was replaced in it, so it is not the bytes sent.
	Redacted bool `json:"redacted,omitempty"`
	// Truncated: the body was Size bytes; only the first MaxBody are kept.
	Truncated bool `json:"truncated,omitempty"`
	// Encoding is the Content-Encoding the body came in (an answer to a
	// caller that asked for gzip itself): the text is the body decoded, so
	// its secrets could be found, and Size counts the bytes on the wire.
	// With an encoding the recorder cannot decode (br) nothing is kept.
	Encoding string `json:"contentEncoding,omitempty"`
}

// DigestInput is the Digest header checked against the bytes it covers:
// the request body exactly as sent, Bytes long (request.body holds them
// unless it is marked redacted or truncated).
type DigestInput struct {
	Header   string `json:"header"`
	Bytes    int    `json:"bytes"`
	Computed string `json:"computed"`
	Match    bool   `json:"match"`
}

// Certificates are SHA-256 fingerprints (hex) of the certificates in play.
type Certificates struct {
	QSealC      string   `json:"qsealc,omitempty"`
	QWAC        string   `json:"qwac,omitempty"`
	ServerChain []string `json:"serverChain,omitempty"`
}

// Response is the ASPSP's answer.
type Response struct {
	Status  int     `json:"status"`
	Proto   string  `json:"proto,omitempty"`
	Headers []Field `json:"headers"`
	Body    *Body   `json:"body,omitempty"`
	// Code is the first Berlin Group tppMessages code, "" when none.
	Code string `json:"code,omitempty"`
}

// Timings are milliseconds from the start of the exchange; a phase that
// did not happen (a reused connection has no DNS, connect or handshake) is
// absent.
type Timings struct {
	Start time.Time `json:"start"`
	// Reused: the request went over a connection already open, so there
	// was no connect or handshake to time.
	Reused    bool     `json:"connectionReused"`
	DNS       *float64 `json:"dnsMs,omitempty"`
	Connect   *float64 `json:"connectMs,omitempty"`
	TLS       *float64 `json:"tlsHandshakeMs,omitempty"`
	FirstByte *float64 `json:"firstByteMs,omitempty"`
	Total     float64  `json:"totalMs"`
}

// TLSInfo is the negotiated TLS connection.
type TLSInfo struct {
	Version     string `json:"version"`
	CipherSuite string `json:"cipherSuite"`
}

// NewBody wraps b: text when it is valid UTF-8, base64 otherwise.
func NewBody(b []byte) *Body {
	if len(b) == 0 {
		return nil
	}
	if utf8.Valid(b) {
		return &Body{Text: string(b), Size: len(b)}
	}
	return &Body{Base64: base64.StdEncoding.EncodeToString(b), Size: len(b)}
}

// Bytes returns the body's bytes.
func (b *Body) Bytes() ([]byte, error) {
	if b == nil {
		return nil, nil
	}
	if b.Base64 != "" {
		return base64.StdEncoding.DecodeString(b.Base64)
	}
	return []byte(b.Text), nil
}

// Header returns the first value of the named header, "" when absent.
func (r *Request) Header(name string) string {
	for _, f := range r.Headers {
		if strings.EqualFold(f.Name, name) {
			return f.Value
		}
	}
	return ""
}

// Signed reports whether the request carries a Signature.
func (e *Exchange) Signed() bool { return e.Request.Header("Signature") != "" }

// Path is the request's path and query.
func (e *Exchange) Path() string {
	if e.Request.Target != "" {
		return e.Request.Target
	}
	if u, err := url.Parse(e.Request.URL); err == nil {
		return u.RequestURI()
	}
	return e.Request.URL
}

// Message returns the recorded request as an httpmsg.Request, with the
// Host header first, for httpsig.Verify.
func (e *Exchange) Message() (*httpmsg.Request, error) {
	body, err := e.Request.Body.Bytes()
	if err != nil {
		return nil, fmt.Errorf("request body: %w", err)
	}
	m := &httpmsg.Request{Method: e.Request.Method, Target: e.Path(), Proto: "HTTP/1.1", Body: body}
	hasHost := slices.ContainsFunc(e.Request.Headers, func(f Field) bool { return strings.EqualFold(f.Name, "Host") })
	if !hasHost {
		if u, err := url.Parse(e.Request.URL); err == nil && u.Host != "" {
			m.Header = append(m.Header, httpmsg.Field{Name: "Host", Value: u.Host})
		}
	}
	for _, f := range e.Request.Headers {
		m.Header = append(m.Header, httpmsg.Field{Name: f.Name, Value: f.Value})
	}
	return m, nil
}

// Parse decodes one bundle file.
func Parse(data []byte) (*Exchange, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	var e Exchange
	if err := dec.Decode(&e); err != nil {
		return nil, fmt.Errorf("not a bundle file: %v", err)
	}
	if dec.More() {
		return nil, errors.New("not a bundle file: data after the JSON object")
	}
	switch {
	case e.Format == 0:
		return nil, errors.New("not a bundle file: no format field")
	case e.Format > Format:
		return nil, fmt.Errorf("bundle format %d is newer than this xs2a reads (%d): update xs2a", e.Format, Format)
	case e.Request.Method == "":
		return nil, errors.New("not a bundle file: the request has no method")
	}
	if _, err := e.Request.Body.Bytes(); err != nil {
		return nil, fmt.Errorf("request body is not base64: %v", err)
	}
	if e.Response != nil {
		if _, err := e.Response.Body.Bytes(); err != nil {
			return nil, fmt.Errorf("response body is not base64: %v", err)
		}
	}
	return &e, nil
}

// ErrEmpty is returned by Read for a directory without bundle files.
var ErrEmpty = errors.New("no bundle files (*.json)")

// Read returns the exchanges of a bundle directory in recorded order (the
// file names sort by time). Files not ending in .json, and the temporary
// files of a writer, are skipped; a .json file that does not parse is an
// error naming it. An empty file is one being written, and skipped.
func Read(dir string) ([]*Exchange, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []*Exchange
	for _, ent := range ents {
		n := ent.Name()
		if ent.IsDir() || strings.HasPrefix(n, ".") || !strings.HasSuffix(n, ".json") {
			continue
		}
		path := filepath.Join(dir, n)
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		if len(data) == 0 {
			continue // a name claimed by a writer, its content not yet in place
		}
		e, err := Parse(data)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		e.File = n
		out = append(out, e)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: %w", dir, ErrEmpty)
	}
	return out, nil
}

// TPPCode is the first Berlin Group tppMessages code of a JSON answer, ""
// when it has none.
func TPPCode(body []byte) string {
	if m := xs2a.DecodeErrorBody(body).TPPMessages; len(m) > 0 {
		return m[0].Code
	}
	return ""
}
