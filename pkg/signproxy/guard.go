package signproxy

import (
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/xs2a-dev/xs2a/pkg/text"
	"github.com/xs2a-dev/xs2a/pkg/xs2a"
)

// allowedHosts are the Host values naming a proxy listening on addr.
func allowedHosts(addr string) (map[string]bool, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil || port == "" || port == "0" {
		return nil, fmt.Errorf("signproxy: listen address %q: want host:port with the port chosen", addr)
	}
	hosts := map[string]bool{}
	for _, h := range []string{strings.ToLower(host), "localhost", "127.0.0.1", "::1"} {
		hosts[net.JoinHostPort(h, port)] = true
		if port == "80" {
			// Browsers and curl leave the default port out of Host.
			hosts[strings.TrimSuffix(net.JoinHostPort(h, "0"), ":0")] = true
		}
	}
	return hosts, nil
}

// checkHost says why a Host header does not name this proxy ("" when it
// does). A page on attacker.example whose name was rebound to 127.0.0.1
// reaches the proxy with Host attacker.example.
func (p *Proxy) checkHost(host string) string {
	if p.hosts == nil || p.hosts[strings.ToLower(host)] {
		return ""
	}
	return fmt.Sprintf("Host %q is not this proxy's address (a web page behind DNS rebinding names its own); call it as 127.0.0.1 or localhost with its port, or start it with --allow-remote", text.Clip(host, 80))
}

// ParseOrigin checks a browser origin (scheme://host[:port], as in the
// Origin header) and gives it in the form browsers send: scheme and host
// in lower case, the scheme's default port left out.
func ParseOrigin(s string) (string, error) {
	u, err := url.Parse(s)
	switch {
	case s == "*" || s == "null":
		return "", fmt.Errorf("origin %q: name each browser app's origin, e.g. http://localhost:3000", s)
	case err != nil:
		return "", fmt.Errorf("origin %q: %v", text.Clip(s, 80), err)
	case u.Scheme != "http" && u.Scheme != "https":
		return "", fmt.Errorf("origin %q: want http:// or https:// and a host, e.g. http://localhost:3000", text.Clip(s, 80))
	case u.Hostname() == "" || !validPort(u.Port()) || u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "":
		return "", fmt.Errorf("origin %q: an origin is scheme://host[:port] with nothing after it", text.Clip(s, 80))
	}
	host, port := strings.ToLower(u.Hostname()), u.Port()
	if (u.Scheme == "http" && port == "80") || (u.Scheme == "https" && port == "443") {
		port = ""
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if port != "" {
		host += ":" + port
	}
	return u.Scheme + "://" + host, nil
}

// checkOrigin gives the request's allowed origin ("" when it has none) or
// says why it is refused. A browser sends Origin on every cross-origin
// fetch and form post; a cross-site subresource load (<img>, <script>)
// carries no Origin but Sec-Fetch-Site.
func (p *Proxy) checkOrigin(h http.Header) (origin, refusal string) {
	o := h.Get("Origin")
	if o == "" {
		switch h.Get("Sec-Fetch-Site") {
		case "cross-site", "same-site":
			return "", "a request made by another web page (Sec-Fetch-Site: " + h.Get("Sec-Fetch-Site") + ") may not use the TPP's certificates"
		}
		return "", ""
	}
	if n, err := ParseOrigin(o); err == nil && p.origins[n] {
		return n, ""
	}
	return "", fmt.Sprintf("Origin %q may not use the TPP's certificates: a web page would call the bank in your name; allow a browser app with --cors-origin", text.Clip(o, 80))
}

// berlinGroupHeaders are the request headers of the XS2A interface a
// browser app may send, allowed in every preflight answer beside the ones
// the preflight asks for.
var berlinGroupHeaders = []string{"Authorization", "Content-Type", "Accept", "Consent-ID", "X-Request-ID",
	"PSU-ID", "PSU-ID-Type", "PSU-Corporate-ID", "PSU-Corporate-ID-Type", "PSU-IP-Address", "PSU-IP-Port",
	"PSU-Accept", "PSU-Accept-Charset", "PSU-Accept-Encoding", "PSU-Accept-Language", "PSU-User-Agent",
	"PSU-Http-Method", "PSU-Device-ID", "PSU-Geo-Location", "TPP-Redirect-Preferred", "TPP-Redirect-URI",
	"TPP-Nok-Redirect-URI", "TPP-Explicit-Authorisation-Preferred", "TPP-Notification-URI",
	"TPP-Notification-Content-Preferred", "TPP-Brand-Logging-Information", "X-API-Key"}

// exposedHeaders are the answer headers a browser app reads besides the
// CORS-safelisted ones.
const exposedHeaders = "X-Request-ID, Location, Retry-After, ASPSP-SCA-Approach, ASPSP-Notification-Support, " +
	"ASPSP-Notification-Content, WWW-Authenticate, Content-Disposition, Content-Length, Date"

// preflight answers a CORS preflight of an allowed origin.
func preflight(h, req http.Header, origin string) {
	h.Set("Access-Control-Allow-Origin", origin)
	h.Set("Access-Control-Allow-Methods", "GET, POST, PUT, PATCH, DELETE")
	allow := slices.Clone(berlinGroupHeaders)
	for _, v := range req.Values("Access-Control-Request-Headers") {
		for _, name := range strings.Split(v, ",") {
			name = strings.TrimSpace(name)
			if validToken(name) && !slices.ContainsFunc(allow, func(a string) bool { return strings.EqualFold(a, name) }) {
				allow = append(allow, name)
			}
		}
	}
	h.Set("Access-Control-Allow-Headers", strings.Join(allow, ", "))
	h.Set("Access-Control-Max-Age", "600")
	if strings.EqualFold(req.Get("Access-Control-Request-Private-Network"), "true") {
		// Chrome asks before a public page reaches a loopback address.
		h.Set("Access-Control-Allow-Private-Network", "true")
	}
	h.Add("Vary", "Origin, Access-Control-Request-Method, Access-Control-Request-Headers")
}

// allowOrigin marks a forwarded answer readable by the allowed origin.
func allowOrigin(h http.Header, origin string) {
	h.Set("Access-Control-Allow-Origin", origin)
	h.Set("Access-Control-Expose-Headers", exposedHeaders)
	h.Add("Vary", "Origin")
}

// validToken reports an RFC 9110 token (a header name).
func validToken(s string) bool {
	if s == "" || len(s) > 100 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0) {
			return false
		}
	}
	return true
}

// berlinGroup finds the first tppMessages code and all texts of an error
// answer, or an OAuth error's code and description.
func berlinGroup(body []byte) (string, []string) {
	e := xs2a.DecodeErrorBody(body)
	if len(e.TPPMessages) == 0 {
		if e.OAuthError == "" {
			return "", nil
		}
		if e.OAuthDescription == "" {
			return e.OAuthError, nil
		}
		return e.OAuthError, []string{e.OAuthError + ": " + e.OAuthDescription}
	}
	code := ""
	var texts []string
	for _, m := range e.TPPMessages {
		if code == "" {
			code = m.Code
		}
		if m.Text == "" {
			continue
		}
		t := m.Text
		switch {
		case m.Code != "" && m.Path != "":
			t = m.Code + " [" + m.Path + "]: " + m.Text
		case m.Code != "":
			t = m.Code + ": " + m.Text
		}
		texts = append(texts, t)
	}
	return code, texts
}

func validPort(p string) bool {
	if p == "" {
		return true
	}
	n, err := strconv.Atoi(p)
	return err == nil && n > 0 && n < 65536 && p[0] != '0'
}
