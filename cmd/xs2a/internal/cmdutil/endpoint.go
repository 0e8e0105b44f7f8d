package cmdutil

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/xs2a-dev/xs2a/pkg/origin"
	"github.com/xs2a-dev/xs2a/pkg/profile"
	"github.com/xs2a-dev/xs2a/pkg/termsafe"
)

// EndpointError is a request that failed on its way to one of the
// profile's URLs, marked with the key that named it, so that a hint names
// the key the user set (token_url, not base_url, when the token endpoint
// is down). Its message is the error's own.
type EndpointError struct {
	// Key is the profile key whose URL was called ("base_url",
	// "token_url", "authorize_url"), or "" for a URL none of them names
	// (an endpoint discovered from base_url's metadata).
	Key string
	// Origin is the URL's scheme://host:port.
	Origin string
	Err    error
}

func (e *EndpointError) Error() string { return e.Err.Error() }
func (e *EndpointError) Unwrap() error { return e.Err }

// where is the hint's name for the endpoint: "the profile's token_url
// (https://auth.bank.example)".
func (e *EndpointError) where() string {
	if e.Key == "" {
		return termsafe.Line(e.Origin) + " (an endpoint from base_url's OAuth metadata; set token_url to override it)"
	}
	return "the profile's " + e.Key + " (" + termsafe.Line(e.Origin) + ")"
}

// endpointWhere is where a request in err's chain went, for a hint; def
// when none says.
func endpointWhere(err error, def string) string {
	var ee *EndpointError
	if errors.As(err, &ee) {
		return ee.where()
	}
	return def
}

// endpointTransport marks the errors of requests to the profile's URLs
// with the key that named them (EndpointError).
type endpointTransport struct {
	p    profile.Profile
	base http.RoundTripper
}

func (t endpointTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(req)
	if err != nil {
		o, _ := origin.Of(req.URL)
		err = &EndpointError{Key: endpointKey(t.p, req.URL), Origin: o.String(), Err: err}
	}
	return resp, err
}

// endpointKey is the profile key whose URL u is: token_url or
// authorize_url when u is that endpoint, base_url when u is under it (the
// API, the discovery metadata), else "".
func endpointKey(p profile.Profile, u *url.URL) string {
	same := func(raw string) bool {
		c, err := url.Parse(raw)
		return err == nil && strings.EqualFold(c.Host, u.Host) && c.Path == u.Path
	}
	under := func(raw string) bool {
		c, err := url.Parse(raw)
		return err == nil && strings.EqualFold(c.Host, u.Host) && strings.HasPrefix(u.Path, strings.TrimRight(c.Path, "/"))
	}
	switch {
	case p.TokenURL != "" && same(p.TokenURL):
		return "token_url"
	case p.AuthorizeURL != "" && same(p.AuthorizeURL):
		return "authorize_url"
	case p.BaseURL != "" && under(p.BaseURL):
		return "base_url"
	}
	return ""
}
