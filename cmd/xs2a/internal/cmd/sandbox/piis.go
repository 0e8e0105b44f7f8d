package sandbox

import (
	"fmt"

	"github.com/xs2a-dev/xs2a/cmd/xs2a/internal/cmdutil"
	sbx "github.com/xs2a-dev/xs2a/pkg/sandbox"
	"github.com/xs2a-dev/xs2a/pkg/state"
	"github.com/xs2a-dev/xs2a/pkg/termsafe"
)

// grantedPIIS is a consent --piis-consent granted at start.
type grantedPIIS struct {
	ID, Account string
}

// grantPIIS grants the sandbox's own TPP (the organisation of its QWAC) a
// PIIS consent of each account, as the account's holder would on the
// grant page: scripts and tests get consents without a browser.
func grantPIIS(s *sbx.Server, accounts []string) ([]grantedPIIS, error) {
	var out []grantedPIIS
	for _, a := range accounts {
		id, err := s.GrantOwnPIISConsent(a)
		if err != nil {
			return nil, cmdutil.UsageErrorf("--piis-consent %q: %v", termsafe.Line(a), err)
		}
		out = append(out, grantedPIIS{ID: id, Account: a})
	}
	return out, nil
}

// piisJSON is -o json's piis_consents: a list, empty rather than null.
func piisJSON(gs []grantedPIIS) []map[string]string {
	out := []map[string]string{}
	for _, g := range gs {
		out = append(out, map[string]string{"consent_id": g.ID, "account": g.Account})
	}
	return out
}

// rememberPIIS keeps the consent id in the profile's state, as `xs2a
// authorize --piis` without an ID reads it; a PIIS token of an earlier
// consent goes, since it is not this consent's.
func rememberPIIS(profileName, id string) error {
	dir, err := state.DefaultDir()
	if err != nil {
		return err
	}
	err = state.Open(dir).Update(profileName, func(st *state.State) error {
		if st.PIISConsentID != id {
			st.PIISConsentID, st.PIISToken = id, nil
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("remembering PIIS consent %s for profile %q: %w", id, profileName, err)
	}
	return nil
}
