package cmdutil

import (
	"errors"
	"fmt"

	"github.com/xs2a-dev/xs2a/pkg/origin"
)

// RedirectFix gives a refused redirect (an *origin.RedirectError in err)
// its exit code and the fix: the final URL belongs in the profile key.
// Classify does this for base_url with exit 3; a command calls RedirectFix
// for another key or code (token_url, exit 4).
func RedirectFix(err error, key string, code int) error {
	var re *origin.RedirectError
	if !errors.As(err, &re) {
		return err
	}
	return &ExitError{Code: code, Err: fmt.Errorf("%w; configure the final URL in the profile: %s", err, key)}
}
