package xs2a_test

import (
	"context"
	"crypto/tls"
	"net/http"
	"net/url"
	"testing"

	"github.com/xs2a-dev/xs2a/pkg/oauth"
	"github.com/xs2a-dev/xs2a/pkg/sandbox"
	"github.com/xs2a-dev/xs2a/pkg/xs2a"
)

// approved creates a consent with req, lets the auto-approving sandbox's
// PSU approve it and exchanges the code: the client-credentials token,
// the PSU's access token and the consent id.
func approved(t *testing.T, s *sandbox.Server, mtls *http.Client, c *xs2a.Client, cfg oauth.Config, req xs2a.ConsentRequest) (ct, at, cid string) {
	t.Helper()
	ctx := context.Background()
	tok, err := oauth.ClientCredentials(ctx, mtls, cfg)
	if err != nil {
		t.Fatal(err)
	}
	created, err := c.CreateConsent(ctx, tok.AccessToken, req)
	if err != nil {
		t.Fatal(err)
	}
	verifier := oauth.NewVerifier()
	browser := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: s.CertPool()}},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := browser.Get(oauth.AuthCodeURL(cfg, "AIS:"+created.ConsentID, "state-1", verifier))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, _ := url.Parse(resp.Header.Get("Location"))
	ut, err := oauth.Exchange(ctx, mtls, cfg, loc.Query().Get("code"), verifier)
	if err != nil {
		t.Fatalf("exchange of the code from %s: %v", loc, err)
	}
	return tok.AccessToken, ut.AccessToken, created.ConsentID
}
