package xs2a_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/xs2a-dev/xs2a/pkg/httpsig"
	"github.com/xs2a-dev/xs2a/pkg/oauth"
	"github.com/xs2a-dev/xs2a/pkg/origin"
	"github.com/xs2a-dev/xs2a/pkg/sandbox"
	"github.com/xs2a-dev/xs2a/pkg/xs2a"
	"golang.org/x/time/rate"
)

// bank starts a sandbox and returns an mTLS client, a signed client and the oauth config.
func bank(t *testing.T, opts sandbox.Options) (*sandbox.Server, *http.Client, *xs2a.Client, oauth.Config) {
	t.Helper()
	s, err := sandbox.Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	mtls := s.Client()
	signed := &http.Client{Transport: &httpsig.Transport{Signer: &httpsig.Signer{Key: s.Certs.QSeal.Key, Cert: s.Certs.QSeal.Cert}, Base: mtls.Transport}}
	c := &xs2a.Client{HTTP: signed, BaseURL: s.URL, APIKey: s.DefaultApp.APIKey}
	cfg := oauth.Config{ClientID: s.DefaultApp.ClientID, ClientSecret: s.DefaultApp.ClientSecret, TokenURL: s.URL + "/oauth/token",
		AuthorizeURL: s.AuthURL + "/oauth/authorize", RedirectURL: "http://127.0.0.1:9/cb"}
	return s, mtls, c, cfg
}

func TestFlowAgainstTheSandbox(t *testing.T) {
	ctx := context.Background()
	s, mtls, c, cfg := bank(t, sandbox.Options{AutoApprove: true})

	md, err := oauth.Discover(ctx, mtls, s.URL+"/.well-known/oauth-authorization-server")
	if err != nil || !md.SupportsS256() || md.TokenEndpoint != cfg.TokenURL {
		t.Fatalf("discover: %+v %v", md, err)
	}
	ct, err := oauth.ClientCredentials(ctx, mtls, cfg)
	if err != nil {
		t.Fatal(err)
	}
	created, err := c.CreateConsent(ctx, ct.AccessToken, xs2a.ConsentRequest{Access: xs2a.Access{AllPsd2: "allAccounts"},
		RecurringIndicator: true, ValidUntil: time.Now().AddDate(0, 0, 30).Format(time.DateOnly), FrequencyPerDay: 4})
	if err != nil {
		t.Fatal(err)
	}
	if created.ConsentStatus != "received" || created.SCAApproach != "REDIRECT" || !strings.HasSuffix(created.Links["scaOAuth"].Href, "/.well-known/oauth-authorization-server") {
		t.Errorf("created = %+v", created)
	}

	verifier := oauth.NewVerifier()
	u := oauth.AuthCodeURL(cfg, "AIS:"+created.ConsentID, "state-42", verifier)
	pu, _ := url.Parse(u)
	if q := pu.Query(); q.Get("scope") != "AIS:"+created.ConsentID || q.Get("code_challenge_method") != "S256" || q.Get("response_mode") != "query" {
		t.Errorf("authorization URL %s", u)
	}
	browser := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: s.CertPool()}},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := browser.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, _ := url.Parse(resp.Header.Get("Location"))
	code := loc.Query().Get("code")
	if code == "" || loc.Query().Get("state") != "state-42" {
		t.Fatalf("redirect %s", loc)
	}
	if _, err := oauth.Exchange(ctx, mtls, cfg, code, "wrong-verifier-wrong-verifier-wrong-verifier-00"); err == nil {
		t.Fatal("a wrong verifier was accepted")
	} else {
		var oe *oauth.Error
		if !errors.As(err, &oe) || oe.Code != "invalid_grant" || oe.Status != 400 {
			t.Errorf("wrong verifier: %v", err)
		}
	}
	// A failed PKCE check does not spend the code: the sandbox marks a code
	// used only when it issues tokens for it.
	ut, err := oauth.Exchange(ctx, mtls, cfg, code, verifier)
	if err != nil {
		t.Fatal(err)
	}
	if ut.Scope != "AIS:"+created.ConsentID || ut.RefreshToken == "" || time.Until(ut.Expiry) < 50*time.Minute {
		t.Errorf("user token %+v", ut)
	}
	cards, err := c.CardAccounts(ctx, ut.AccessToken, created.ConsentID)
	if err != nil {
		t.Fatal(err)
	}
	// No withBalance (the file has none for cards): the balances come with
	// the cards because the consent (allPsd2) grants them.
	if len(cards) != 2 || cards[0].MaskedPan != "524378******8693" {
		t.Errorf("cards %+v", cards)
	}
	for _, card := range cards {
		if len(card.Balances) == 0 {
			t.Errorf("card %s of an allPsd2 consent carries no balances", card.ResourceID)
		}
	}
	tx, err := c.CardTransactions(ctx, ut.AccessToken, created.ConsentID, cards[0].ResourceID, xs2a.TransactionQuery{From: time.Now().AddDate(-1, 0, 0).Format(time.DateOnly)})
	if err != nil {
		t.Fatal(err)
	}
	if tx.Pages < 2 || len(tx.Booked) < 60 {
		t.Errorf("a year of transactions: %d pages, %d booked", tx.Pages, len(tx.Booked))
	}
	seen := map[string]bool{}
	for _, x := range append(tx.Booked, tx.Pending...) {
		if seen[x.CardTransactionID] {
			t.Fatalf("transaction %s twice across pages", x.CardTransactionID)
		}
		seen[x.CardTransactionID] = true
	}
	rt, err := oauth.Refresh(ctx, mtls, cfg, ut.RefreshToken)
	if err != nil || rt.AccessToken == ut.AccessToken {
		t.Errorf("refresh: %v", err)
	}
	if st, err := c.ConsentStatus(ctx, ct.AccessToken, created.ConsentID); err != nil || st != "valid" {
		t.Errorf("status %q %v", st, err)
	}
	if err := c.DeleteConsent(ctx, ct.AccessToken, created.ConsentID); err != nil {
		t.Fatal(err)
	}
	_, err = c.CardAccounts(ctx, rt.AccessToken, created.ConsentID)
	var ae *xs2a.APIError
	if !errors.As(err, &ae) || ae.Status != 401 || !ae.HasCode("CONSENT_INVALID") || ae.RequestID == "" || !ae.AuthProblem() {
		t.Errorf("after delete: %v", err)
	}
	if !strings.Contains(ae.Error(), "terminatedByTpp") || ae.Hint() == "" {
		t.Errorf("error text %q hint %q", ae.Error(), ae.Hint())
	}

	// A consent that grants the card's details only (accounts, no balances):
	// the card comes without balances, in the list and on its own.
	_, at, cid := approved(t, s, mtls, c, cfg, xs2a.ConsentRequest{Access: xs2a.Access{Accounts: []xs2a.AccountReference{{MaskedPAN: "524378******8693"}}},
		RecurringIndicator: true, ValidUntil: time.Now().AddDate(0, 0, 30).Format(time.DateOnly), FrequencyPerDay: 4})
	cards, err = c.CardAccounts(ctx, at, cid)
	if err != nil || len(cards) != 1 || cards[0].ResourceID != "card-8693" {
		t.Fatalf("cards of an accounts-only consent: %v %+v", err, cards)
	}
	one, err := c.CardAccount(ctx, at, cid, "card-8693")
	if err != nil {
		t.Fatal(err)
	}
	if len(cards[0].Balances) != 0 || len(one.Balances) != 0 {
		t.Errorf("a consent without a balances grant: balances in the list %+v, in the details %+v", cards[0].Balances, one.Balances)
	}
}

func TestRetryAfterIsHonoured(t *testing.T) {
	ctx := context.Background()
	_, mtls, c, cfg := bank(t, sandbox.Options{AutoApprove: true, RatePerSecond: 1})
	ct, err := oauth.ClientCredentials(ctx, mtls, cfg)
	if err != nil {
		t.Fatal(err)
	}
	var slept []time.Duration
	c.Sleep = func(_ context.Context, d time.Duration) error { slept = append(slept, d); time.Sleep(d); return nil }
	c.Limiter = nil
	// The client limiter (5/s) is faster than the sandbox (1/s): the second
	// call gets 429 and is retried after Retry-After.
	for i := 0; i < 2; i++ {
		if _, err := c.ConsentStatus(ctx, ct.AccessToken, "cns-unknown"); err == nil {
			t.Fatal("unknown consent accepted")
		} else if ae := new(xs2a.APIError); !errors.As(err, &ae) || !ae.HasCode("CONSENT_UNKNOWN") {
			t.Fatalf("call %d: %v", i, err)
		}
	}
	if len(slept) != 1 || slept[0] != time.Second {
		t.Errorf("slept %v; want one Retry-After of 1s", slept)
	}
	// With retries off, the 429 surfaces.
	c.MaxRetries = -1
	_, err = c.ConsentStatus(ctx, ct.AccessToken, "cns-unknown")
	var ae *xs2a.APIError
	if !errors.As(err, &ae) || ae.Status != 429 || !ae.HasCode("ACCESS_EXCEEDED") {
		t.Errorf("without retries: %v", err)
	}
}

// TestLinksStayOnTheBanksOrigin: a library user's Client (Origins nil)
// refuses an absolute link to another origin and a redirect, sending
// nothing there.
func TestLinksStayOnTheBanksOrigin(t *testing.T) {
	caught := 0
	catcher := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { caught++ }))
	defer catcher.Close()
	bankSrv := httptest.NewTLSServer(http.RedirectHandler(catcher.URL+"/steal", http.StatusFound))
	defer bankSrv.Close()
	hc := bankSrv.Client()
	hc.CheckRedirect = origin.NoRedirect
	c := &xs2a.Client{HTTP: hc, BaseURL: bankSrv.URL}
	_, err := c.Do(context.Background(), xs2a.Request{Method: http.MethodGet, Path: catcher.URL + "/v1/x", Token: "psu-token"})
	var le *origin.LinkError
	if !errors.As(err, &le) {
		t.Errorf("absolute foreign link: %v; want a LinkError", err)
	}
	_, err = c.Do(context.Background(), xs2a.Request{Method: http.MethodGet, Path: "/accounts", Token: "psu-token"})
	var re *origin.RedirectError
	if !errors.As(err, &re) || !strings.Contains(err.Error(), "GET /accounts answered 302") {
		t.Errorf("redirect: %v; want a RedirectError", err)
	}
	if caught != 0 {
		t.Errorf("the catcher got %d requests", caught)
	}
}

// A bank that quotes the request in its error answer ("token ... is not
// known") does not get the PSU's token or the API key into the error.
func TestErrorHidesEchoedCredentials(t *testing.T) {
	const tok, key = "psu-token-3c9e1f", "api-key-77aa01"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = w.Write([]byte(`{"tppMessages":[{"category":"ERROR","code":"TOKEN_INVALID","text":"` + r.Header.Get("Authorization") +
			` is not known; key ` + r.Header.Get("X-API-Key") + `"}]}`))
	}))
	defer srv.Close()
	c := &xs2a.Client{HTTP: srv.Client(), BaseURL: srv.URL, APIKey: key}
	_, err := c.CreateConsent(context.Background(), tok, xs2a.ConsentRequest{})
	if err == nil || !strings.Contains(err.Error(), "TOKEN_INVALID") {
		t.Fatalf("CreateConsent: %v", err)
	}
	if strings.Contains(err.Error(), tok) || strings.Contains(err.Error(), key) {
		t.Errorf("a credential is in the error: %v", err)
	}
}

// A bank that answers without end (one answer over MaxAnswerBytes, or a
// report whose pages never stop and add up past MaxBytes) gets a clear
// error, not a process holding gigabytes or a cut answer read as JSON.
func TestAnswersAreBounded(t *testing.T) {
	page := 0
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path == "/v1/card-accounts/big/balances" {
			_, _ = w.Write([]byte(`{"balances":[],"pad":"`))
			_, _ = w.Write(bytes.Repeat([]byte("x"), xs2a.MaxAnswerBytes))
			_, _ = w.Write([]byte(`"}`))
			return
		}
		page++
		pad := strings.Repeat("y", 300<<10)
		fmt.Fprintf(w, `{"cardTransactions":{"booked":[],"pending":[],"pad":%q,"_links":{"next":{"href":"/v1/card-accounts/c/transactions?page=%d"}}}}`, pad, page)
	}))
	defer srv.Close()
	hc := srv.Client()
	hc.CheckRedirect = origin.NoRedirect
	c := &xs2a.Client{HTTP: hc, BaseURL: srv.URL, Limiter: rate.NewLimiter(rate.Inf, 0)}
	_, err := c.CardBalances(context.Background(), "tok", "consent", "big")
	if err == nil || !strings.Contains(err.Error(), "larger than 16 MiB") {
		t.Errorf("a 16 MiB+ answer: %v; want 'larger than 16 MiB'", err)
	}
	_, err = c.CardTransactions(context.Background(), "tok", "consent", "c", xs2a.TransactionQuery{MaxBytes: 1 << 20})
	if err == nil || !strings.Contains(err.Error(), "larger than 1 MiB after 4 pages") {
		t.Errorf("an endless report: %v; want 'larger than 1 MiB after 4 pages'", err)
	}
}
