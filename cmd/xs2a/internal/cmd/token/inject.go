package token

import (
	"context"
	"net/http"
	"strings"

	"github.com/xs2a-dev/xs2a/cmd/xs2a/internal/cmdutil"
)

// InjectAuth adds the credentials a request lacks, the way a TPP would
// send it: consent management (/v1/consents...) gets the client-credentials
// token and the API key; every other call the PSU's access token (refreshed
// when expired) and the Consent-ID it belongs to. Headers already present
// are kept. `xs2a proxy --inject-auth` and `xs2a replay` use it.
func InjectAuth(ctx context.Context, s *cmdutil.Session, out *http.Request) error {
	if ConsentManagement(out.URL.Path) {
		if out.Header.Get("Authorization") == "" {
			t, err := ClientToken(ctx, s, false)
			if err != nil {
				return err
			}
			out.Header.Set("Authorization", "Bearer "+t.AccessToken)
		}
		if h, key := s.API.APIKeyHeader, s.API.APIKey; key != "" {
			if h == "" {
				h = "X-API-Key"
			}
			if out.Header.Get(h) == "" {
				out.Header.Set(h, key)
			}
		}
		return nil
	}
	var consentID string
	if out.Header.Get("Authorization") == "" {
		t, err := UserToken(ctx, s)
		if err != nil {
			return err
		}
		out.Header.Set("Authorization", "Bearer "+t.AccessToken)
		consentID = t.ConsentID
	}
	if out.Header.Get("Consent-ID") == "" {
		if consentID == "" {
			st, err := s.Store.Load(s.Config.ProfileName)
			if err != nil {
				return err
			}
			consentID = st.ConsentID
			if st.UserToken != nil && st.UserToken.ConsentID != "" {
				consentID = st.UserToken.ConsentID
			}
		}
		if consentID != "" {
			out.Header.Set("Consent-ID", consentID)
		}
	}
	return nil
}

// ConsentManagement reports a path of the consent endpoints
// (/v1/consents, /v1/consents/{id}, .../status).
func ConsentManagement(path string) bool {
	segs := strings.Split(strings.Trim(path, "/"), "/")
	for i, s := range segs {
		if s == "consents" {
			return i <= 1
		}
	}
	return false
}
