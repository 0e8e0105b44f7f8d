package capture

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/xs2a-dev/xs2a/pkg/httpmsg"
	"github.com/xs2a-dev/xs2a/pkg/text"
)

// HAR is an HTTP Archive read by ParseHAR.
type HAR struct {
	Version string
	// Creator is the program that wrote the file ("WebInspector 537.36" for
	// Chrome and Edge, "Firefox 133.0", "Postman ...", "Insomnia ...").
	Creator string
	// Browser is log.browser, when the file names one.
	Browser string
	Entries []Entry
}

// Entry is one request of a HAR.
type Entry struct {
	// Method and URL as the file writes them, for listing an entry that
	// could not be read.
	Method string
	URL    string
	// Request is the request rebuilt as HTTP/1.1; nil when Err is set.
	Request *httpmsg.Request
	// Signed: the headers include a Signature.
	Signed bool
	// BodyOmitted: the request announced a body (bodySize or
	// Content-Length) but the file holds none, as browsers do for large or
	// binary bodies.
	BodyOmitted bool
	Err         error
}

// The HAR 1.2 fields read; everything else in the file is ignored.
type harFile struct {
	Log *struct {
		Version string `json:"version"`
		Creator struct {
			Name    string `json:"name"`
			Version string `json:"version"`
		} `json:"creator"`
		Browser *struct {
			Name    string `json:"name"`
			Version string `json:"version"`
		} `json:"browser"`
		Entries []json.RawMessage `json:"entries"`
	} `json:"log"`
}

type harEntry struct {
	Request *struct {
		Method      string `json:"method"`
		URL         string `json:"url"`
		HTTPVersion string `json:"httpVersion"`
		Headers     []struct {
			Name  string `json:"name"`
			Value string `json:"value"`
		} `json:"headers"`
		PostData *struct {
			MimeType string  `json:"mimeType"`
			Text     *string `json:"text"`
			Encoding string  `json:"encoding"`
		} `json:"postData"`
		BodySize *float64 `json:"bodySize"`
	} `json:"request"`
}

// ParseHAR reads an HTTP Archive. An entry that cannot be turned into a
// request carries its own Err; the file fails as a whole only when it is not
// a HAR, or is larger than MaxBytes or MaxEntries.
func ParseHAR(raw []byte) (*HAR, error) {
	if len(raw) > MaxBytes {
		return nil, fmt.Errorf("the HAR is larger than %d MiB; export only the requests to check", MaxBytes>>20)
	}
	raw = bytes.TrimPrefix(raw, []byte("\xef\xbb\xbf")) // Windows tools may write a BOM, which JSON does not allow
	var f harFile
	if err := json.Unmarshal(raw, &f); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return nil, fmt.Errorf("not a HAR file: JSON syntax error at byte %d: %v", se.Offset, err)
		}
		return nil, fmt.Errorf("not a HAR file: %v", err)
	}
	if f.Log == nil || f.Log.Entries == nil {
		return nil, errors.New("JSON, but not a HAR file: there is no log.entries")
	}
	if n := len(f.Log.Entries); n > MaxEntries {
		return nil, fmt.Errorf("the HAR has %d entries, more than the %d read; export only the requests to check", n, MaxEntries)
	}
	h := &HAR{Version: f.Log.Version, Creator: strings.TrimSpace(f.Log.Creator.Name + " " + f.Log.Creator.Version)}
	if b := f.Log.Browser; b != nil {
		h.Browser = strings.TrimSpace(b.Name + " " + b.Version)
	}
	h.Entries = make([]Entry, 0, len(f.Log.Entries))
	for _, rm := range f.Log.Entries {
		h.Entries = append(h.Entries, entry(rm))
	}
	if h.Browser == "" && f.Log.Creator.Name == "WebInspector" {
		h.Browser = chromium(h.Entries)
	}
	return h, nil
}

// chromium names the browser of a Chromium devtools export, which writes
// only "WebInspector 537.36", from the User-Agent its requests sent.
func chromium(es []Entry) string {
	for _, e := range es {
		if e.Request == nil {
			continue
		}
		ua := e.Request.Get("User-Agent")
		for _, b := range []struct{ token, name string }{{"Edg/", "Edge"}, {"OPR/", "Opera"}, {"Chrome/", "Chrome"}} {
			if _, v, ok := strings.Cut(ua, b.token); ok {
				major, _, _ := strings.Cut(v, ".")
				if n, err := strconv.Atoi(major); err == nil && n > 0 && n < 10000 {
					return fmt.Sprintf("%s %d", b.name, n)
				}
			}
		}
		if ua != "" {
			return ""
		}
	}
	return ""
}

func entry(rm json.RawMessage) Entry {
	var he harEntry
	if err := json.Unmarshal(rm, &he); err != nil {
		return Entry{Err: fmt.Errorf("entry is not a HAR entry: %v", err)}
	}
	r := he.Request
	if r == nil {
		return Entry{Err: errors.New("entry has no request")}
	}
	e := Entry{Method: r.Method, URL: r.URL}
	authority := ""
	var fields []httpmsg.Field
	contentLength := int64(0)
	for _, h := range r.Headers {
		// Before anything can fail: an unreadable signed entry is a failure.
		if strings.EqualFold(strings.TrimSpace(h.Name), "Signature") {
			e.Signed = true
		}
	}
	for _, h := range r.Headers {
		if strings.HasPrefix(h.Name, ":") {
			// HTTP/2 pseudo-headers: :method and :path repeat the request
			// line, :scheme the URL; :authority is what Host would be.
			if h.Name == ":authority" {
				authority = h.Value
			}
			continue
		}
		if !httpmsg.IsToken(h.Name) {
			e.Err = fmt.Errorf("invalid header name %q", text.Clip(h.Name, 80))
			return e
		}
		if strings.ContainsAny(h.Value, "\r\n") {
			e.Err = fmt.Errorf("header %s has a line break in its value", text.Clip(h.Name, 80))
			return e
		}
		if strings.EqualFold(h.Name, "Content-Length") {
			contentLength, _ = strconv.ParseInt(strings.TrimSpace(h.Value), 10, 64)
		}
		fields = append(fields, httpmsg.Field{Name: h.Name, Value: strings.Trim(h.Value, " \t")})
	}
	if !httpmsg.IsToken(r.Method) {
		e.Err = fmt.Errorf("invalid method %q", text.Clip(r.Method, 80))
		return e
	}
	target, host, err := splitURL(r.URL)
	if err != nil {
		e.Err = err
		return e
	}
	req := &httpmsg.Request{Method: r.Method, Target: target, Proto: proto(r.HTTPVersion)}
	if !hasField(fields, "Host") {
		if authority != "" && !strings.ContainsAny(authority, "\r\n") {
			host = authority
		}
		if host != "" {
			req.Header = append(req.Header, httpmsg.Field{Name: "Host", Value: host})
		}
	}
	req.Header = append(req.Header, fields...)
	if pd := r.PostData; pd != nil && pd.Text != nil {
		if strings.EqualFold(pd.Encoding, "base64") {
			b, err := base64.StdEncoding.DecodeString(*pd.Text)
			if err != nil {
				e.Err = fmt.Errorf("postData.text is not base64 as its encoding says: %v", err)
				return e
			}
			req.Body = b
		} else {
			req.Body = []byte(*pd.Text)
		}
	} else if contentLength > 0 || (r.BodySize != nil && *r.BodySize > 0) {
		e.BodyOmitted = true
	}
	e.Request = req
	return e
}

// splitURL returns the request-target (path and query as written, without
// the fragment) and the host of an absolute http(s) URL. The target is cut
// from the string rather than re-encoded by net/url, because the signature
// covers the bytes sent.
func splitURL(raw string) (target, host string, err error) {
	u, err := url.Parse(raw)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return "", "", fmt.Errorf("url %q: %v", text.Clip(raw, 80), err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", "", fmt.Errorf("url %q is not an absolute http(s) URL", text.Clip(raw, 80))
	}
	rest := raw[strings.Index(raw, "://")+3:]
	rest, _, _ = strings.Cut(rest, "#")
	i := strings.IndexAny(rest, "/?")
	if i < 0 {
		return "/", u.Host, nil
	}
	target = rest[i:]
	if target[0] == '?' {
		target = "/" + target
	}
	if strings.ContainsAny(target, " \t\r\n") {
		return "", "", fmt.Errorf("url %q has white space in its path", text.Clip(raw, 80))
	}
	return target, u.Host, nil
}

// proto maps a HAR httpVersion ("HTTP/1.1", "http/2.0", "h2", "h3", "")
// to the form of a request line.
func proto(v string) string {
	switch l := strings.ToLower(v); {
	case l == "h2" || l == "http/2" || l == "http/2.0":
		return "HTTP/2"
	case l == "h3" || l == "http/3" || l == "http/3.0":
		return "HTTP/3"
	case strings.HasPrefix(l, "http/") && !strings.ContainsAny(l, " \t\r\n"):
		return "HTTP/" + v[5:]
	}
	return "HTTP/1.1"
}

func hasField(fs []httpmsg.Field, name string) bool {
	for _, f := range fs {
		if strings.EqualFold(f.Name, name) {
			return true
		}
	}
	return false
}
