package xs2a_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/xs2a-dev/xs2a/pkg/httpsig"
	"github.com/xs2a-dev/xs2a/pkg/oauth"
	"github.com/xs2a-dev/xs2a/pkg/sandbox"
	"github.com/xs2a-dev/xs2a/pkg/spec"
	"github.com/xs2a-dev/xs2a/pkg/xs2a"
)

// TestFundsConfirmationMatchesTheOpenAPIFile: the client's
// checkAvailabilityOfFunds against the sandbox, true for an amount the
// account has and false for one it has not (an IBAN account and a card),
// every request and answer validated against the file on its way; a
// refusal comes back as the bank's *APIError.
func TestFundsConfirmationMatchesTheOpenAPIFile(t *testing.T) {
	doc := spec.Load(t)
	ctx := context.Background()
	s, mtls, c, cfg := bank(t, sandbox.Options{RatePerSecond: -1, RatePerDay: -1})
	signer, ok := c.HTTP.Transport.(*httpsig.Transport)
	if !ok {
		t.Fatalf("the client's transport is %T, not the signer", c.HTTP.Transport)
	}
	gate := newSpecGate(t, doc, s.URL, signer.Base)
	gate.answers = true
	signer.Base = gate
	ct, err := oauth.ClientCredentials(ctx, mtls, cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		req  xs2a.FundsRequest
		want bool
	}{
		{"IBAN, one euro", xs2a.FundsRequest{Account: xs2a.AccountReference{IBAN: "FI0412345600012343"}, InstructedAmount: xs2a.Amount{Currency: "EUR", Amount: "1.00"}, Payee: "Kauppa Oy"}, true},
		{"IBAN, a billion", xs2a.FundsRequest{Account: xs2a.AccountReference{IBAN: "FI0412345600012343"}, InstructedAmount: xs2a.Amount{Currency: "EUR", Amount: "1000000000"}}, false},
		{"card, one euro", xs2a.FundsRequest{Account: xs2a.AccountReference{MaskedPAN: "524378******8693"}, CardNumber: "5243780000008693", InstructedAmount: xs2a.Amount{Currency: "EUR", Amount: "1"}}, true},
		{"card, a billion", xs2a.FundsRequest{Account: xs2a.AccountReference{PAN: "5243780000008693"}, InstructedAmount: xs2a.Amount{Currency: "EUR", Amount: "1000000000.00"}}, false},
	} {
		got, err := c.FundsConfirmation(ctx, ct.AccessToken, tc.req)
		if err != nil || got.FundsAvailable != tc.want || got.RequestID == "" {
			t.Errorf("%s: %+v %v; want fundsAvailable %v", tc.name, got, err, tc.want)
		}
	}
	_, err = c.FundsConfirmation(ctx, ct.AccessToken, xs2a.FundsRequest{Account: xs2a.AccountReference{IBAN: "DE89370400440532013000"}, InstructedAmount: xs2a.Amount{Currency: "EUR", Amount: "1.00"}})
	var ae *xs2a.APIError
	if !errors.As(err, &ae) || ae.Status != 400 || !ae.HasCode("RESOURCE_UNKNOWN") {
		t.Errorf("unknown IBAN: %v; want the bank's 400 RESOURCE_UNKNOWN", err)
	}

	gate.mu.Lock()
	defer gate.mu.Unlock()
	for _, f := range gate.findings {
		t.Errorf("does not conform: %s", f)
	}
	if n := gate.seen["checkAvailabilityOfFunds"]; n != 5 {
		t.Errorf("checkAvailabilityOfFunds: %d request(s) validated; want 5 (seen %v)", n, gate.seen)
	}
	// The oracle is alive: the last request, broken, is caught.
	last := gate.sent["checkAvailabilityOfFunds"]
	if last == nil {
		t.Fatal("no recorded POST /v1/funds-confirmations")
	}
	for name, body := range map[string][]byte{
		"instructedAmount missing": bytes.Replace(last.body, []byte(`,"instructedAmount":{"currency":"EUR","amount":"1.00"}`), nil, 1),
		"amount a number":          bytes.Replace(last.body, []byte(`"amount":"1.00"`), []byte(`"amount":1`), 1),
	} {
		if bytes.Equal(body, last.body) {
			t.Fatalf("%s: the edit changed nothing in %s", name, last.body)
		}
		if _, errs := gate.check(last.req.Clone(context.Background()), body); len(errs) == 0 {
			t.Errorf("%s: the check found nothing in %s", name, body)
		}
	}
	if _, errs := gate.check(last.req.Clone(context.Background()), last.body); len(errs) != 0 {
		t.Errorf("the recorded request fails on a second check: %v", errs)
	}
}

// TestFundsConfirmationBrokenAnswers: an answer without a boolean
// fundsAvailable is an error, never "no funds" (a script acting on the
// exit status would read it as a no).
func TestFundsConfirmationBrokenAnswers(t *testing.T) {
	for body, want := range map[string]string{
		`{}`:                         "has no fundsAvailable",
		`{"fundsAvailable":"false"}`: "not the expected JSON",
		`{"fundsAvailable":null}`:    "has no fundsAvailable",
		``:                           "has no fundsAvailable",
	} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method != http.MethodPost || r.URL.Path != "/v1/funds-confirmations" {
				t.Errorf("%s %s", r.Method, r.URL.Path)
			}
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(body))
		}))
		c := &xs2a.Client{HTTP: srv.Client(), BaseURL: srv.URL}
		got, err := c.FundsConfirmation(context.Background(), "t", xs2a.FundsRequest{Account: xs2a.AccountReference{IBAN: "FI0412345600012343"},
			InstructedAmount: xs2a.Amount{Currency: "EUR", Amount: "1"}})
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("answer %q: %+v, %v; want an error with %q", body, got, err, want)
		}
		srv.Close()
	}
}
