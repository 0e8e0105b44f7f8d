package cmdutil

import (
	"errors"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/xs2a-dev/xs2a/pkg/profile"
)

// A request that failed on its way names the profile key of its URL: the
// token endpoint down is no reason to look at base_url.
func TestNetworkHintNamesTheKey(t *testing.T) {
	p := profile.Profile{BaseURL: "https://api.bank.example/psd2", TokenURL: "https://auth.bank.example/oauth/token"}
	for _, tc := range []struct{ url, want string }{
		{"https://auth.bank.example/oauth/token", "the profile's token_url (https://auth.bank.example)?"},
		{"https://api.bank.example/psd2/v1/accounts", "the profile's base_url (https://api.bank.example)?"},
		{"https://other.bank.example/token", "https://other.bank.example (an endpoint from base_url's OAuth metadata"},
	} {
		tr := endpointTransport{p: p, base: failing{}}
		req, _ := http.NewRequest(http.MethodPost, tc.url, nil)
		_, err := (&http.Client{Transport: tr}).Do(req)
		code, msg := Classify(err)
		if code != ExitFailure || !strings.Contains(msg, "hint: is the ASPSP reachable at "+tc.want) {
			t.Errorf("%s: exit %d %q; want the hint to name %q", tc.url, code, msg, tc.want)
		}
	}
}

type failing struct{}

func (failing) RoundTrip(*http.Request) (*http.Response, error) {
	return nil, &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connect: connection refused")}
}
