package cmdutil

import "testing"

// InjectAuth gives consent management the client token and the API key,
// everything else the PSU's token: the path decides which.
func TestConsentManagementPaths(t *testing.T) {
	for path, want := range map[string]bool{
		"/v1/consents":                         true,
		"/v1/consents/abc":                     true,
		"/v1/consents/abc/status":              true,
		"/consents":                            true,
		"/v1/consents/abc/authorisations":      true,
		"/v1/card-accounts":                    false,
		"/v1/accounts/consents":                false, // an account named consents, not the endpoint
		"/v1/card-accounts/x/transactions":     false,
		"/":                                    false,
		"/v1/accounts/acc-1/transactions/tx-2": false,
	} {
		if got := ConsentManagement(path); got != want {
			t.Errorf("ConsentManagement(%q) = %v, want %v", path, got, want)
		}
	}
}
