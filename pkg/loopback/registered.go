package loopback

import (
	"fmt"
	"net"
	"net/url"
	"strings"
)

// RegistrationError says why a redirect URI is none of those registered at
// the bank for the client: the bank compares redirect_uri as a string
// (RFC 6749 section 3.1.2.3), so each differing part is named against the
// closest registered URI rather than leaving the PSU on the bank's error
// page.
type RegistrationError struct {
	URI     string   // the redirect URI that would be sent
	Closest string   // the registered URI with the fewest differences
	Diffs   []string // one phrase per differing part
}

func (e *RegistrationError) Error() string {
	return fmt.Sprintf("redirect URI %s is not registered for the client; the closest registered, %s, differs in %s",
		e.URI, e.Closest, strings.Join(e.Diffs, "; "))
}

// MatchRegistered checks the redirect URI a Receiver will announce against
// the URIs registered at the bank. uri is in the form of RedirectURL, with
// port 0 when the system is to pick one. A registered loopback URI without a
// port matches any port, but only at banks that follow RFC 8252 section
// 7.3; that match returns a note saying so, for the caller to show.
func MatchRegistered(uri string, registered []string) (note string, err error) {
	u, err := url.Parse(uri)
	if err != nil {
		return "", fmt.Errorf("redirect URI %q: %v", uri, err)
	}
	var best *RegistrationError
	for _, reg := range registered {
		if reg == uri && u.Port() != "0" {
			return "", nil
		}
		r, err := url.Parse(reg)
		if err != nil || r.Scheme == "" || r.Host == "" {
			return "", fmt.Errorf("registered redirect URI %q is not an absolute URI", reg)
		}
		diffs, anyPort := compareRedirect(uri, u, reg, r)
		if len(diffs) == 0 {
			if anyPort {
				port := u.Port()
				if port == "0" {
					port = "a random port"
				} else {
					port = "port " + port
				}
				return fmt.Sprintf("the registered %s has no port: %s works only at banks that accept any port on a loopback redirect URI (RFC 8252 section 7.3); a bank that compares strings refuses it", reg, port), nil
			}
			return "", nil
		}
		if best == nil || len(diffs) < len(best.Diffs) {
			best = &RegistrationError{URI: shown(u), Closest: reg, Diffs: diffs}
		}
	}
	if best == nil {
		return "", nil
	}
	return "", best
}

// shown writes port 0 as what it means.
func shown(u *url.URL) string {
	if u.Port() != "0" {
		return u.String()
	}
	return u.Scheme + "://" + net.JoinHostPort(u.Hostname(), "<random port>") + u.EscapedPath()
}

func compareRedirect(raw string, u *url.URL, rawReg string, r *url.URL) (diffs []string, anyPort bool) {
	if u.Scheme != r.Scheme {
		diffs = append(diffs, fmt.Sprintf("scheme: %s here, %s registered (the loopback listener speaks plain http, RFC 8252 section 7.3)", u.Scheme, r.Scheme))
	}
	h, rh := u.Hostname(), r.Hostname()
	switch {
	case h == rh:
	case strings.EqualFold(rh, "localhost"):
		diffs = append(diffs, fmt.Sprintf("host: %s here, %s registered (the bank compares strings, so localhost is not %s; register the IP literal, as RFC 8252 section 8.3 advises)", h, rh, h))
	case isLoopbackName(h) && isLoopbackName(rh):
		diffs = append(diffs, fmt.Sprintf("host: %s here, %s registered (a different loopback address: the bank compares strings)", h, rh))
	default:
		diffs = append(diffs, fmt.Sprintf("host: %s here, %s registered (not a loopback address: a redirect there never reaches this machine)", h, rh))
	}
	p, rp := u.Port(), r.Port()
	switch {
	case p == rp:
	case rp == "":
		anyPort = isLoopbackName(rh) && r.Scheme == "http"
		if !anyPort {
			diffs = append(diffs, fmt.Sprintf("port: %s here, none registered", p))
		}
	case p == "0":
		diffs = append(diffs, fmt.Sprintf("port: random here (the profile's redirect_uri fixes none), %s registered: set redirect_uri to %s", rp, rawReg))
	default:
		diffs = append(diffs, fmt.Sprintf("port: %s here, %s registered", p, rp))
	}
	if u.EscapedPath() != r.EscapedPath() {
		d := fmt.Sprintf("path: %q here, %q registered", u.EscapedPath(), r.EscapedPath())
		if strings.TrimSuffix(u.EscapedPath(), "/") == strings.TrimSuffix(r.EscapedPath(), "/") {
			d += " (a trailing slash counts)"
		}
		diffs = append(diffs, d)
	}
	if r.RawQuery != "" || r.Fragment != "" {
		diffs = append(diffs, "query or fragment: none here, registered "+rawReg+" has one (the loopback listener's callback has none)")
	}
	if len(diffs) == 0 && !anyPort && raw != rawReg && p != "0" {
		diffs = append(diffs, "spelling: the same address written differently (letter case, escapes or a default port); the bank compares strings")
	}
	return diffs, anyPort
}

func isLoopbackName(h string) bool {
	if strings.EqualFold(h, "localhost") {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}
