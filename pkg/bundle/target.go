package bundle

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/xs2a-dev/xs2a/pkg/origin"
)

// ErrTarget marks a recorded request target that a replay refuses to send.
var ErrTarget = errors.New("not an origin-relative request target")

// Resolve joins a recorded request target to base (the profile's
// base_url) as a replay sends it, and refuses a target that could take
// the request, and the live credentials a replay adds to it, anywhere but
// base's origin. A bundle file is somebody else's file: its target is data,
// not a URL to follow.
//
// The target must be origin-relative: one leading "/", then only printable
// ASCII; no "//", "@" or "\" in the path (where a URL parser, a proxy or a
// server may see an authority), no "." or ".." segment (the path stays
// under base's path), no fragment; and, percent-decoded, no control
// character and no "/" or "\" right after the leading "/" (some servers
// decode before routing). The query may hold "@", "/" and "?". Joined to
// base, the URL must have base's exact scheme, host and port and no
// userinfo of its own.
func Resolve(base, target string) (*url.URL, error) {
	if err := checkTarget(target); err != nil {
		return nil, err
	}
	bo, err := origin.Parse(base)
	if err != nil {
		return nil, fmt.Errorf("base_url %q is not an absolute http(s) URL: %v", base, err)
	}
	u, err := url.Parse(strings.TrimRight(base, "/") + target)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrTarget, err)
	}
	// The same origin test as every link the bank hands back (pkg/origin).
	if uo, err := origin.Of(u); err != nil || uo != bo {
		return nil, fmt.Errorf("%w: it leaves the base_url's origin", ErrTarget)
	}
	return u, nil
}

func checkTarget(target string) error {
	if !strings.HasPrefix(target, "/") {
		return fmt.Errorf("%w: it does not start with /", ErrTarget)
	}
	for i := 0; i < len(target); i++ {
		if c := target[i]; c <= ' ' || c >= 0x7f || c == '\\' || c == '#' {
			return fmt.Errorf("%w: it holds %q", ErrTarget, string(c))
		}
	}
	path, _, _ := strings.Cut(target, "?")
	switch {
	case strings.Contains(path, "//"):
		return fmt.Errorf("%w: its path holds //", ErrTarget)
	case strings.Contains(path, "@"):
		return fmt.Errorf("%w: its path holds @", ErrTarget)
	}
	dec, err := url.PathUnescape(path)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrTarget, err)
	}
	if strings.HasPrefix(dec, "//") || strings.HasPrefix(dec, `/\`) {
		return fmt.Errorf("%w: its path decodes to a leading %q", ErrTarget, dec[:2])
	}
	if strings.ContainsFunc(dec, func(r rune) bool { return r < ' ' || r == 0x7f }) {
		return fmt.Errorf("%w: its path decodes to a control character", ErrTarget)
	}
	for _, seg := range strings.Split(dec, "/") {
		if seg == "." || seg == ".." {
			return fmt.Errorf("%w: its path holds a %q segment", ErrTarget, seg)
		}
	}
	if q, err := url.QueryUnescape(target[len(path):]); err != nil {
		return fmt.Errorf("%w: %v", ErrTarget, err)
	} else if strings.ContainsFunc(q, func(r rune) bool { return r < ' ' || r == 0x7f }) {
		return fmt.Errorf("%w: its query decodes to a control character", ErrTarget)
	}
	return nil
}

// ReplayTarget is the request target a replay sends e to: its recorded path
// and query relative to the recorded base_url (the whole target when the
// URL does not start with it). Resolve checks it.
func (e *Exchange) ReplayTarget() string {
	if b := strings.TrimRight(e.BaseURL, "/"); b != "" && strings.HasPrefix(e.Request.URL, b+"/") {
		return strings.TrimPrefix(e.Request.URL, b)
	}
	return e.Path()
}

// TargetError names the exchange whose recorded target Check refused.
type TargetError struct {
	File, Target string
	Err          error
}

func (e *TargetError) Error() string {
	return fmt.Sprintf("%s: recorded target %q: %v", e.File, e.Target, e.Err)
}

func (e *TargetError) Unwrap() error { return e.Err }

// Check resolves the target of every API exchange against base, so that a
// replay refuses a bundle before sending any of it: the first exchange
// whose target Resolve refuses is a *TargetError. Token-endpoint exchanges
// are never sent, and not checked.
func Check(base string, exs []*Exchange) error {
	for _, e := range exs {
		if e.Kind != KindAPI {
			continue
		}
		if _, err := Resolve(base, e.ReplayTarget()); err != nil {
			return &TargetError{File: e.File, Target: e.ReplayTarget(), Err: err}
		}
	}
	return nil
}
