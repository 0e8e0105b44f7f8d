package sandbox_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log"
	"net/http"
	"time"

	"github.com/xs2a-dev/xs2a/pkg/httpsig"
	"github.com/xs2a-dev/xs2a/pkg/oauth"
	"github.com/xs2a-dev/xs2a/pkg/sandbox"
	"github.com/xs2a-dev/xs2a/pkg/xs2a"
)

// Start a bank on loopback, as httptest.NewServer starts a server, and use
// its Client (mutual TLS with the default TPP's QWAC, trusting the bank) to
// read the OAuth metadata, take a client-credentials token and create a
// consent signed with the QSealC.
func Example() {
	s, err := sandbox.Start(sandbox.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()

	resp, err := s.Client().Get(s.URL + oauth.WellKnown)
	if err != nil {
		log.Fatal(err)
	}
	var md sandbox.Metadata
	err = json.NewDecoder(resp.Body).Decode(&md)
	resp.Body.Close()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("grant types:", md.GrantTypesSupported)
	fmt.Println("PKCE:", md.CodeChallengeMethodsSupported)

	app := s.DefaultApp
	tok, err := oauth.ClientCredentials(ctx, s.Client(), oauth.Config{
		ClientID: app.ClientID, ClientSecret: app.ClientSecret, TokenURL: md.TokenEndpoint,
	})
	if err != nil {
		log.Fatal(err)
	}
	signed := &http.Client{Transport: &httpsig.Transport{
		Signer: &httpsig.Signer{Key: s.Certs.QSeal.Key, Cert: s.Certs.QSeal.Cert},
		Base:   s.Client().Transport,
	}}
	bank := &xs2a.Client{HTTP: signed, BaseURL: s.URL, APIKey: app.APIKey}
	created, err := bank.CreateConsent(ctx, tok.AccessToken, xs2a.ConsentRequest{
		Access:     xs2a.Access{AllPsd2: "allAccounts"},
		ValidUntil: time.Now().AddDate(0, 0, 30).Format(time.DateOnly), FrequencyPerDay: 4, RecurringIndicator: true,
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("consent:", created.ConsentStatus, "SCA approach:", created.SCAApproach)
	// Output:
	// grant types: [client_credentials authorization_code refresh_token]
	// PKCE: [S256]
	// consent: received SCA approach: REDIRECT
}
