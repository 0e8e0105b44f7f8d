// Package origin decides where xs2a may send a request the bank asked
// for: a link in an answer (paging, scaOAuth), an endpoint in discovered
// metadata, a URL for the browser. A URL the bank hands back is data, so
// it is followed only when it is on an origin the profile names: the
// scheme, host and port of base_url, or one listed in allowed_origins.
// It also stops the http.Client from following redirects by itself: a
// redirect would carry the client secret, the code and verifier, tokens
// and the API key to wherever the Location points.
package origin

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/xs2a-dev/xs2a/pkg/termsafe"
)

// Origin is a scheme, host and port (RFC 6454), the port always spelled out.
type Origin struct{ Scheme, Host, Port string }

func (o Origin) String() string {
	port := o.Port
	if (o.Scheme == "https" && port == "443") || (o.Scheme == "http" && port == "80") {
		port = ""
	}
	h := o.Host
	if strings.Contains(h, ":") {
		h = "[" + h + "]"
	}
	if port != "" {
		h += ":" + port
	}
	return o.Scheme + "://" + h
}

// Of is the origin of an absolute http or https URL.
func Of(u *url.URL) (Origin, error) {
	scheme := strings.ToLower(u.Scheme)
	if scheme != "https" && scheme != "http" {
		return Origin{}, fmt.Errorf("scheme %q is not https", u.Scheme)
	}
	if u.Host == "" || u.Opaque != "" {
		return Origin{}, errors.New("no host")
	}
	if u.User != nil {
		return Origin{}, errors.New("it carries user information")
	}
	host, port := strings.ToLower(u.Hostname()), u.Port()
	if host == "" {
		return Origin{}, errors.New("no host")
	}
	if port == "" {
		port = "443"
		if scheme == "http" {
			port = "80"
		}
	}
	return Origin{Scheme: scheme, Host: host, Port: port}, nil
}

// Parse is the origin of a URL string.
func Parse(raw string) (Origin, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return Origin{}, errors.New("not a URL")
	}
	return Of(u)
}

// Loopback reports a host that is a loopback IP literal or "localhost".
func Loopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}

// Configurable checks a URL the profile itself names (base_url, token_url,
// allowed_origins): https, or plain http only on a loopback host (a
// sandbox on this machine), since credentials travel to it.
func Configurable(raw string) error {
	o, err := Parse(raw)
	if err != nil {
		return err
	}
	if o.Scheme == "http" && !Loopback(o.Host) {
		return fmt.Errorf("plain http to %s would carry the credentials in clear; use https (plain http only to a loopback address)", o.Host)
	}
	return nil
}

// Policy is the set of origins links may point to.
type Policy struct {
	base    *url.URL
	allowed []Origin
}

// New makes the policy of a profile: base_url's origin and the origins
// listed in allowed (separated by commas or white space).
func New(baseURL, allowed string) (*Policy, error) {
	b, err := url.Parse(baseURL)
	if err != nil {
		return nil, fmt.Errorf("base_url %q is not a URL", baseURL)
	}
	bo, err := Of(b)
	if err != nil {
		return nil, fmt.Errorf("base_url %q: %v", baseURL, err)
	}
	p := &Policy{base: b, allowed: []Origin{bo}}
	for _, f := range strings.FieldsFunc(allowed, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == '\n' }) {
		u, err := url.Parse(f)
		if err != nil {
			return nil, fmt.Errorf("allowed_origins %q is not a URL", f)
		}
		o, err := Of(u)
		if err != nil {
			return nil, fmt.Errorf("allowed_origins %q: %v", f, err)
		}
		if (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
			return nil, fmt.Errorf("allowed_origins %q is not an origin: write it as scheme://host[:port], without a path", f)
		}
		if err := Configurable(f); err != nil {
			return nil, fmt.Errorf("allowed_origins %q: %v", f, err)
		}
		p.allowed = append(p.allowed, o)
	}
	return p, nil
}

// Expected names the origins links may point to, for messages.
func (p *Policy) Expected() string {
	s := make([]string, len(p.allowed))
	for i, o := range p.allowed {
		s[i] = o.String()
	}
	return strings.Join(s, " or ")
}

// LinkError is a URL from the bank that xs2a refuses to follow.
type LinkError struct {
	What, Link, Why, Expected string
}

// Error escapes Why as well as Link: Why names the link's origin, and a
// host may hold C1 controls and bidi overrides that url.Parse lets through.
func (e *LinkError) Error() string {
	return fmt.Sprintf("refused to follow the %s %s: %s; expected %s (add another origin to the profile's allowed_origins only if the bank documents it)",
		e.What, termsafe.Line(e.Link), termsafe.Line(e.Why), termsafe.Line(e.Expected))
}

// Resolve resolves a link the bank gave (what names it in messages)
// against base_url and returns it when it is on an allowed origin. A
// relative link ("/v1/...") stays on base_url's origin. The scheme must
// match too: an https profile never follows a link to plain http.
func (p *Policy) Resolve(what, link string) (*url.URL, error) {
	fail := func(why string) error { return &LinkError{What: what, Link: link, Why: why, Expected: p.Expected()} }
	if strings.HasPrefix(strings.TrimSpace(link), "-") {
		return nil, fail("it starts with -")
	}
	u, err := url.Parse(link)
	if err != nil {
		return nil, fail("it is not a URL")
	}
	u = p.base.ResolveReference(u)
	o, err := Of(u)
	if err != nil {
		return nil, fail(err.Error())
	}
	for _, a := range p.allowed {
		if a == o {
			return u, nil
		}
	}
	if o.Scheme == "http" {
		return nil, fail("plain http would carry the credentials in clear")
	}
	return nil, fail("origin " + o.String() + " is not the profile's")
}

// Check is Resolve for an absolute URL that must already be allowed.
func (p *Policy) Check(what, link string) error {
	u, err := url.Parse(link)
	if err == nil && !u.IsAbs() {
		return &LinkError{What: what, Link: link, Why: "it is not an absolute URL", Expected: p.Expected()}
	}
	_, err = p.Resolve(what, link)
	return err
}

// Browsable checks a URL before it goes to the browser launcher: it must
// parse as https (or http on a loopback host, a sandbox here) with a host,
// and must not start with "-", which a launcher would read as an option.
func Browsable(raw string) error {
	if strings.HasPrefix(raw, "-") {
		return errors.New("it starts with -, which the browser launcher would take for an option")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return errors.New("it is not a URL")
	}
	o, err := Of(u)
	if err != nil {
		return err
	}
	if o.Scheme == "http" && !Loopback(o.Host) {
		return errors.New("plain http is only for a loopback address")
	}
	return nil
}

// RedirectError is a 3xx answer: xs2a follows no redirect by itself.
type RedirectError struct {
	Status   int
	Location string
}

func (e *RedirectError) Error() string {
	loc := e.Location
	if loc == "" {
		loc = "(no Location)"
	}
	return fmt.Sprintf("answered %d %s with a redirect to %s; xs2a follows no redirect", e.Status, http.StatusText(e.Status), termsafe.Line(loc))
}

// NoRedirect is the CheckRedirect of every client xs2a builds: the 3xx is
// handed back as the answer, never followed (see Redirected).
func NoRedirect(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// Redirected is a *RedirectError for a 3xx answer that redirects
// (Location set, or one of 301, 302, 303, 307, 308), else nil.
func Redirected(resp *http.Response) error {
	switch resp.StatusCode {
	case http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther, http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
	default:
		if resp.StatusCode < 300 || resp.StatusCode > 399 || resp.Header.Get("Location") == "" {
			return nil
		}
	}
	return &RedirectError{Status: resp.StatusCode, Location: resp.Header.Get("Location")}
}
