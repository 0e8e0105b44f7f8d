package httplog

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/url"
	"slices"
	"strings"
)

// Redactor replaces credentials, found by their name, with Redact's
// fingerprint. The -v trace uses it, and so does the bundle recorder
// (pkg/bundle), so a name is secret in both or in neither. The zero value
// knows the built-in names.
type Redactor struct {
	// SecretHeaders are redacted in addition to Authorization,
	// Proxy-Authorization, Cookie, Set-Cookie and X-API-Key.
	SecretHeaders []string
	// Found, when set, is called with every value that is redacted, so a
	// caller can also hide it wherever else it appears.
	Found func(secret string)
}

func (r Redactor) found(s string) {
	if r.Found != nil && s != "" {
		r.Found(s)
	}
}

// SecretHeader reports whether the header name carries a credential.
func (r Redactor) SecretHeader(name string) bool {
	l := strings.ToLower(name)
	if slices.Contains(alwaysSecretHeaders, l) {
		return true
	}
	for _, s := range r.SecretHeaders {
		if strings.EqualFold(strings.TrimSpace(s), name) {
			return true
		}
	}
	return false
}

// Header returns the value v of header name with its credentials redacted:
// Authorization keeps its scheme, cookies their names, URL-valued headers
// (Location) everything but secret query and fragment parameters.
func (r Redactor) Header(name, v string) string {
	l := strings.ToLower(name)
	switch {
	case l == "authorization" || l == "proxy-authorization":
		// Keep the scheme: "Bearer" vs "Basic" is often the bug.
		if scheme, cred, ok := strings.Cut(strings.TrimSpace(v), " "); ok && isToken(scheme) {
			cred = strings.TrimSpace(cred)
			r.found(cred)
			return scheme + " " + Redact(cred)
		}
		r.found(v)
		return Redact(v)
	case l == "cookie":
		// name=value; name=value: keep the names.
		parts := strings.Split(v, ";")
		for i, p := range parts {
			parts[i] = r.pair(p)
		}
		return strings.Join(parts, ";")
	case l == "set-cookie":
		// name=value; Path=/; HttpOnly: only the value is secret.
		first, attrs, ok := strings.Cut(v, ";")
		if ok {
			return r.pair(first) + ";" + attrs
		}
		return r.pair(first)
	case r.SecretHeader(name):
		r.found(v)
		return Redact(v)
	case slices.Contains(urlHeaders, l):
		if u, err := url.Parse(v); err == nil && (u.RawQuery != "" || u.Fragment != "") {
			frag := u.EscapedFragment()
			c := *u
			c.RawQuery, c.ForceQuery, c.Fragment, c.RawFragment = "", false, "", ""
			s := c.Redacted()
			if u.RawQuery != "" {
				s += "?" + r.Query(u.RawQuery)
			}
			if frag != "" {
				// An implicit-flow redirect carries the token here.
				s += "#" + r.Query(frag)
			}
			return s
		}
	}
	return v
}

func (r Redactor) pair(p string) string {
	lead := p[:len(p)-len(strings.TrimLeft(p, " "))]
	k, v, ok := strings.Cut(strings.TrimLeft(p, " "), "=")
	if !ok {
		return p
	}
	r.found(v)
	return lead + k + "=" + Redact(v)
}

// URL renders u with secret query parameters and the userinfo password
// redacted; the fragment (never sent) is left out.
func (r Redactor) URL(u *url.URL) string {
	if u == nil {
		return ""
	}
	c := *u
	c.RawQuery, c.ForceQuery, c.Fragment, c.RawFragment = "", false, "", ""
	if p, ok := u.User.Password(); ok {
		r.found(p)
	}
	s := c.Redacted()
	if u.RawQuery != "" || u.ForceQuery {
		s += "?" + r.Query(u.RawQuery)
	}
	return s
}

// Query redacts the secret parameters (code, access_token...) of a raw
// query, keeping the rest byte for byte.
func (r Redactor) Query(raw string) string { return r.pairs(raw, secretQuery) }

// Form redacts the secret fields (client_secret, code, code_verifier,
// refresh_token...) of an application/x-www-form-urlencoded body, keeping
// the rest byte for byte.
func (r Redactor) Form(raw string) string { return r.pairs(raw, secretForm) }

// pairs redacts the values of the secret parameters of a raw query (or
// form), keeping the rest byte for byte and in order. A redaction is
// written unescaped so it matches Redact's output.
func (r Redactor) pairs(raw string, secret map[string]bool) string {
	if raw == "" {
		return raw
	}
	parts := strings.Split(raw, "&")
	for i, p := range parts {
		k, v, ok := strings.Cut(p, "=")
		if !ok {
			continue
		}
		name, err := url.QueryUnescape(k)
		if err != nil {
			name = k
		}
		if !secret[normalize(name)] {
			continue
		}
		val, err := url.QueryUnescape(v)
		if err != nil {
			val = v
		}
		r.found(val)
		parts[i] = k + "=" + Redact(val)
	}
	return strings.Join(parts, "&")
}

// JSON redacts the secret fields (access_token, refresh_token, id_token,
// code...) of a JSON body at any depth, keeping every other byte as it was
// (spacing, key order, number spelling), so the rest of the body can still
// be compared with what was sent. A "code" that is a Berlin Group message
// code (FORMAT_ERROR) is kept. ok is false when body is not JSON; it is
// then returned unchanged (LooseJSON still finds secrets in it).
func (r Redactor) JSON(body []byte) (out []byte, ok bool) {
	if !json.Valid(body) {
		return body, false
	}
	type span struct {
		start, end int
		with       string
	}
	var spans []span
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var walk func() error
	walk = func() error {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		d, isDelim := tok.(json.Delim)
		if !isDelim || (d != '{' && d != '[') {
			return nil
		}
		for dec.More() {
			if d == '{' {
				kt, err := dec.Token()
				if err != nil {
					return err
				}
				key, _ := kt.(string)
				if secretJSON[normalize(key)] {
					var raw json.RawMessage
					if err := dec.Decode(&raw); err != nil {
						return err
					}
					end := int(dec.InputOffset())
					if with, changed := secretJSONValue(key, raw, r.Found); changed {
						spans = append(spans, span{end - len(raw), end, with})
					}
					continue
				}
			}
			if err := walk(); err != nil {
				return err
			}
		}
		_, err = dec.Token() // the closing delimiter
		return err
	}
	for {
		if err := walk(); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return body, false
		}
	}
	if len(spans) == 0 {
		return body, true
	}
	var b bytes.Buffer
	last := 0
	for _, s := range spans {
		b.Write(body[last:s.start])
		b.WriteString(s.with)
		last = s.end
	}
	b.Write(body[last:])
	return b.Bytes(), true
}

// secretJSONValue is the JSON text that stands for the value raw of the
// secret field key, and whether it differs from raw: a string becomes its
// fingerprint (a message code stays), null and "" stay, anything else is
// fingerprinted in its compact form.
func secretJSONValue(key string, raw json.RawMessage, found func(string)) (string, bool) {
	if string(raw) == "null" {
		return "null", false
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		var c bytes.Buffer
		if json.Compact(&c, raw) == nil {
			s = c.String()
		} else {
			s = string(raw)
		}
	} else if normalize(key) == "code" && messageCode.MatchString(s) {
		return jsonString(s), false
	}
	if s == "" {
		return `""`, false
	}
	if found != nil {
		found(s)
	}
	return jsonString(Redact(s)), true
}

// Hide replaces each secret (as it is and URL-encoded) in text that came
// back from a server with Redact's fingerprint: a bank or gateway that
// quotes the request in its error answer ("token ... is not known", an
// echoed form) would otherwise put the caller's credentials into an error
// line, and a CI log keeps it. Secrets shorter than 4 bytes are left, as
// they cannot be told from the text around them.
func Hide(text string, secrets ...string) string {
	for _, sec := range secrets {
		if len(sec) < 4 {
			continue
		}
		for _, form := range []string{sec, url.QueryEscape(sec), url.PathEscape(sec)} {
			text = strings.ReplaceAll(text, form, Redact(sec))
		}
	}
	return text
}

// Text redacts a body whose Content-Type is neither JSON nor a form (text/
// plain, or none): secret "name": "value" pairs as LooseJSON finds them,
// and the secret name=value pairs of a query string, since
// golang.org/x/oauth2 reads a text/plain token answer as a form
// (access_token=...&token_type=bearer): an ASPSP may send its tokens so.
func (r Redactor) Text(s string) string { return r.Form(r.LooseJSON(s)) }

// LooseJSON redacts the string values of secret names ("access_token":
// "...") in text that claims to be JSON but does not parse (a bank's stray
// comma, a body cut off), found by pattern as the -v trace finds them. A
// value that the end of the text cuts off is redacted as far as it goes.
func (r Redactor) LooseJSON(s string) string {
	return jsonSecretRe.ReplaceAllStringFunc(s, func(m string) string {
		g := jsonSecretRe.FindStringSubmatch(m)
		name, _, _ := strings.Cut(g[1][1:], `"`)
		if normalize(name) == "code" && messageCode.MatchString(g[2]) {
			return m // a Berlin Group message code, not an authorization code
		}
		r.found(g[2])
		if g[3] != `"` {
			return g[1] + Redact(g[2]) // cut off before its closing quote
		}
		return g[1] + Redact(g[2]) + g[3]
	})
}

func jsonString(s string) string {
	var sb bytes.Buffer
	enc := json.NewEncoder(&sb)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	return string(bytes.TrimRight(sb.Bytes(), "\n"))
}
