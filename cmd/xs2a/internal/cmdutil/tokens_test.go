package cmdutil

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xs2a-dev/xs2a/pkg/oauth"
	"github.com/xs2a-dev/xs2a/pkg/profile"
	"github.com/xs2a-dev/xs2a/pkg/state"
	"github.com/xs2a-dev/xs2a/pkg/xs2a"
)

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

// Confirmation of funds has no PSU: the client token and the API key too.
func TestFundsConfirmationPath(t *testing.T) {
	for path, want := range map[string]bool{
		"/v1/funds-confirmations":                true,
		"/funds-confirmations":                   true,
		"/v1/accounts/funds-confirmations":       false, // an account so named
		"/v1/funds-confirmations/x":              false,
		"/v1/consents/confirmation-of-funds":     false,
		"/v1/card-accounts/funds-confirmations/": false,
	} {
		if got := FundsConfirmation(path); got != want {
			t.Errorf("FundsConfirmation(%q) = %v, want %v", path, got, want)
		}
	}
}

// The payment paths get the client token too (the TPP's, as for consents).
func TestPaymentPaths(t *testing.T) {
	for path, want := range map[string]bool{
		"/v1/payments/sepa-credit-transfers":                true,
		"/v1/periodic-payments/sepa-credit-transfers/pay-1": true,
		"/v1/bulk-payments/target-2-payments/pay-1/status":  true,
		"/v1/payments":                       false,
		"/v1/accounts/payments/transactions": false,
		"/v1/card-accounts":                  false,
		"/v1/consents":                       false,
	} {
		if got := PaymentPath(path); got != want {
			t.Errorf("PaymentPath(%q) = %v, want %v", path, got, want)
		}
	}
}

// TestWithClientToken: a kept client token the bank refuses as unknown is
// replaced once and the call made again; a token just fetched, a second
// refusal and any other answer are not.
func TestWithClientToken(t *testing.T) {
	issued := 0
	tokenEndpoint := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		issued++
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"access_token":"new-%d","token_type":"Bearer","expires_in":3600}`, issued)
	}))
	t.Cleanup(tokenEndpoint.Close)
	unknown := &xs2a.APIError{Status: 401, Messages: []xs2a.TPPMessage{{Code: "TOKEN_UNKNOWN"}}}
	for _, tc := range []struct {
		name   string
		kept   bool
		answer func(token string) error
		calls  []string
		err    bool
		notes  int
	}{
		{"kept and unknown: replaced once", true, func(tok string) error {
			if tok == "kept" {
				return fmt.Errorf("POST /v1/consents: %w", unknown)
			}
			return nil
		}, []string{"kept", "new-1"}, false, 1},
		{"refused again: no third call", true, func(string) error { return unknown }, []string{"kept", "new-1"}, true, 1},
		{"fetched now: not replaced", false, func(string) error { return unknown }, []string{"new-1"}, true, 0},
		{"TOKEN_INVALID: replaced", true, func(tok string) error {
			if tok == "kept" {
				return &xs2a.APIError{Status: 401, Messages: []xs2a.TPPMessage{{Code: "TOKEN_INVALID"}}}
			}
			return nil
		}, []string{"kept", "new-1"}, false, 1},
		{"another refusal: not replaced", true, func(string) error {
			return &xs2a.APIError{Status: 403, Messages: []xs2a.TPPMessage{{Code: "CONSENT_UNKNOWN"}}}
		}, []string{"kept"}, true, 0},
		{"a 400 naming the token: not replaced", true, func(string) error {
			return &xs2a.APIError{Status: 400, Messages: []xs2a.TPPMessage{{Code: "TOKEN_INVALID"}}}
		}, []string{"kept"}, true, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			issued = 0
			var errOut bytes.Buffer
			s := &Session{Config: &profile.Config{ProfileName: "p"}, Store: state.Open(t.TempDir()), Now: time.Now, ErrOut: &errOut,
				MTLS: tokenEndpoint.Client(), OAuth: oauth.Config{ClientID: "c", ClientSecret: "s", TokenURL: tokenEndpoint.URL}}
			if tc.kept {
				if err := s.Store.Save("p", &state.State{ClientToken: &state.Token{AccessToken: "kept", Expiry: time.Now().Add(time.Hour)}}); err != nil {
					t.Fatal(err)
				}
			}
			var calls []string
			err := s.WithClientToken(context.Background(), func(tok string) error {
				calls = append(calls, tok)
				return tc.answer(tok)
			})
			if !slices.Equal(calls, tc.calls) || (err != nil) != tc.err {
				t.Errorf("calls %v, error %v; want %v, error %v", calls, err, tc.calls, tc.err)
			}
			if n := strings.Count(errOut.String(), "\n"); n != tc.notes {
				t.Errorf("%d stderr lines; want %d: %q", n, tc.notes, errOut.String())
			}
			st, _ := s.Store.Load("p")
			if last := tc.calls[len(tc.calls)-1]; st.ClientToken == nil || st.ClientToken.AccessToken != last {
				t.Errorf("kept token %+v; want %s", st.ClientToken, last)
			}
		})
	}
}

// TestInjectAuthFundsConfirmation: the proxy's and replay's funds
// confirmation gets the PIIS token the state keeps, else the client token,
// and the API key either way; an Authorization sent wins.
func TestInjectAuthFundsConfirmation(t *testing.T) {
	later := time.Now().Add(time.Hour)
	for _, tc := range []struct {
		name, sent, want string
		piis             *state.Token
	}{
		{"the PIIS token", "", "Bearer piis-tok", &state.Token{AccessToken: "piis-tok", ConsentID: "piis-1", Expiry: later}},
		{"no PIIS token: the client token", "", "Bearer client-tok", nil},
		{"sent wins", "Bearer mine", "Bearer mine", &state.Token{AccessToken: "piis-tok", ConsentID: "piis-1", Expiry: later}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := &Session{Config: &profile.Config{ProfileName: "p"}, Store: state.Open(t.TempDir()), Now: time.Now,
				API: &xs2a.Client{APIKey: "key"}}
			st := &state.State{ClientToken: &state.Token{AccessToken: "client-tok", Expiry: later}, PIISToken: tc.piis}
			if err := s.Store.Save("p", st); err != nil {
				t.Fatal(err)
			}
			req, _ := http.NewRequest("POST", "https://bank.example/v1/funds-confirmations", nil)
			if tc.sent != "" {
				req.Header.Set("Authorization", tc.sent)
			}
			if err := s.InjectAuth(context.Background(), req); err != nil {
				t.Fatal(err)
			}
			if got := req.Header.Get("Authorization"); got != tc.want || req.Header.Get("X-API-Key") != "key" || req.Header.Get("Consent-ID") != "" {
				t.Errorf("Authorization %q, X-API-Key %q, Consent-ID %q; want %q, key, none", got, req.Header.Get("X-API-Key"), req.Header.Get("Consent-ID"), tc.want)
			}
		})
	}
}
