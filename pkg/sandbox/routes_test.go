package sandbox

import "testing"

// TestAllowed pins the Allow header the route list gives each resource:
// the values of the hand-kept table it replaced, plus the metadata
// endpoint, which that table left out (a POST to it was a 404).
func TestAllowed(t *testing.T) {
	routes := (&Server{}).apiRoutes()
	for path, want := range map[string]string{
		"/v1/consents":                                     "POST",
		"/v1/consents/cns-1":                               "GET, DELETE",
		"/v1/consents/cns-1/status":                        "GET",
		"/v1/consents/cns-1/authorisations":                "GET, POST",
		"/v1/consents/cns-1/authorisations/auth-1":         "GET, PUT",
		"/v1/accounts":                                     "GET",
		"/v1/card-accounts":                                "GET",
		"/v1/card-accounts/card-1":                         "GET",
		"/v1/card-accounts/card-1/balances":                "GET",
		"/v1/card-accounts/card-1/transactions":            "GET",
		"/v1/accounts/acc-1":                               "GET",
		"/v1/accounts/acc-1/balances":                      "GET",
		"/v1/accounts/acc-1/transactions":                  "GET",
		"/v1/accounts/acc-1/transactions/tx-1":             "GET",
		"/oauth/token":                                     "POST",
		RejectionsPath + "rid-1":                           "GET",
		"/.well-known/oauth-authorization-server":          "GET",
		"/v1/consents/":                                    "",
		"/v1/consents/cns-1/authorisations/":               "",
		"/v1/card-accounts/card-1/transactions/tx-1":       "",
		"/v1/accounts/acc-1/transactions/tx-1/more":        "",
		"/v1/payments/sepa-credit-transfers":               "POST",
		"/v1/payments/sepa-credit-transfers/p-1":           "GET, DELETE",
		"/v1/payments/x/p-1/authorisations":                "GET, POST",
		"/v1/payments/sepa-credit-transfers/p-1/cancel/x":  "",
		"/oauth/token/x":                                   "",
		RejectionsPath:                                     "",
		"/":                                                "",
		"/v1/consents/cns-1/authorisations/auth-1/extra/x": "",
	} {
		if got := allowed(routes, path); got != want {
			t.Errorf("allowed(%q) = %q, want %q", path, got, want)
		}
	}
}
