package xs2a_test

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/xs2a-dev/xs2a/pkg/xs2a"
)

func FuzzParseError(f *testing.F) {
	for _, s := range []struct {
		status int
		body   string
	}{
		{401, `{"tppMessages":[{"category":"ERROR","code":"CERTIFICATE_MISSING","text":"no client certificate"}]}`},
		{400, `{"tppMessages":[{"category":"ERROR","code":"FORMAT_ERROR","path":"validUntil","text":"validUntil is required"}]}`},
		{401, `{"tppMessages":[{"category":"ERROR","code":"SIGNATURE_INVALID"},{"category":"WARNING","code":"X"}]}`},
		{403, `{"type":"https://berlingroup.com/error-codes/CONSENT_EXPIRED","title":"Consent expired","detail":"renew","code":"CONSENT_EXPIRED","additionalErrors":[{"title":"t","detail":"d","code":"TOKEN_INVALID"}]}`},
		{429, `{"tppMessages":[{"category":"ERROR","code":"ACCESS_EXCEEDED"}]}`},
		{500, `<html><body>Internal Server Error</body></html>`},
		{502, ``},
		{0, `null`},
		{-1, `{"tppMessages":null,"code":""}`},
		{404, "\xff\xfe{"},
	} {
		f.Add(s.status, []byte(s.body))
	}
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		e := xs2a.ParseError(status, "99391c7e-ad88-49ec-a2ad-99ddcb1f7721", body)
		if e == nil {
			t.Fatal("nil error")
		}
		if e.Error() == "" {
			t.Fatal("empty Error()")
		}
		_ = e.Hint()
		e.SignatureProblem()
		e.AuthProblem()
		if len(e.Messages) == 0 && e.Body != string(body) {
			t.Fatal("without messages the body must be kept")
		}
	})
}

// FuzzTransactionsJSON serves the fuzzed bytes as every page of a card
// transactions report. "%PAGE%" in the bytes becomes the page number, so a
// next link can name a new page every time: the client must stop at its
// page bound and return promptly.
func FuzzTransactionsJSON(f *testing.F) {
	for _, s := range []string{
		`{"cardAccount":{"maskedPan":"524378******8693"},"cardTransactions":{"booked":[{"cardTransactionId":"t1","transactionDate":"2025-05-30","bookingDate":"2025-05-31","transactionAmount":{"currency":"EUR","amount":"-12.30"},"originalAmount":{"currency":"SEK","amount":"-140.00"},"merchantCategoryCode":"5411","maskedPAN":"524378******8693","transactionDetails":"K-Market","invoiced":true}],"pending":[],"_links":{"account":{"href":"/v1/card-accounts/x"}}},"balances":[{"balanceType":"interimBooked","balanceAmount":{"currency":"EUR","amount":"100.00"}}]}`,
		`{"cardAccount":{"maskedPan":"524378******8693"},"cardTransactions":{"booked":[{"cardTransactionId":"t%PAGE%","transactionAmount":{"currency":"EUR","amount":"-1.00"}}],"_links":{"next":{"href":"/v1/card-accounts/x/transactions?page=%PAGE%"}}}}`,
		`{"cardTransactions":{"booked":[],"_links":{"next":{"href":"/v1/card-accounts/x/transactions?page=1"}}}}`,
		`{"cardTransactions":{"pending":[{"transactionAmount":{"currency":"EUR","amount":"-1.00"}}],"_links":{"next":{"href":"http://bank.example/v1/card-accounts/x/transactions?page=%PAGE%"}}}}`,
		`{"cardTransactions":{"_links":{"next":{"href":"https://bank.example/next"}}}}`,
		`{"cardTransactions":{"_links":{"next":{"href":"relative?page=%PAGE%"}}}}`,
		`{"cardTransactions":{"_links":{"next":"not an object"}}}`,
		`{"cardTransactions":null}`,
		``, `[]`, `{`,
	} {
		f.Add([]byte(s), uint8(0))
	}
	f.Add([]byte(`{"tppMessages":[{"category":"ERROR","code":"ACCESS_EXCEEDED"}]}`), uint8(1))
	f.Add([]byte(`{"tppMessages":[{"category":"ERROR","code":"CONSENT_EXPIRED"}]}`), uint8(2))
	f.Fuzz(func(t *testing.T, page []byte, mode uint8) {
		var n atomic.Int64
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			k := n.Add(1)
			w.Header().Set("Content-Type", "application/json")
			switch mode % 3 {
			case 1:
				w.Header().Set("Retry-After", "0")
				w.WriteHeader(http.StatusTooManyRequests)
			case 2:
				w.WriteHeader(http.StatusForbidden)
			}
			_, _ = w.Write(bytes.ReplaceAll(page, []byte("%PAGE%"), []byte(strconv.FormatInt(k, 10))))
		}))
		defer srv.Close()
		// Every host the links name is the test server: nothing leaves the machine.
		addr := srv.Listener.Addr().String()
		tr := &http.Transport{DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, network, addr)
		}}
		defer tr.CloseIdleConnections()
		c := &xs2a.Client{HTTP: &http.Client{Transport: tr, Timeout: 5 * time.Second}, BaseURL: srv.URL,
			Limiter: rate.NewLimiter(rate.Inf, 1), Sleep: func(context.Context, time.Duration) error { return nil }}
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		start := time.Now()
		res, err := c.CardTransactions(ctx, "token", "consent-1", "card-1", xs2a.TransactionQuery{From: "2025-01-01"})
		if ctx.Err() != nil {
			t.Fatalf("CardTransactions did not return within 20 s (%d requests)", n.Load())
		}
		if d := time.Since(start); d > 10*time.Second {
			t.Fatalf("CardTransactions took %s for %d requests", d, n.Load())
		}
		if got := n.Load(); got > 100*3 {
			t.Fatalf("%d requests: the page bound (100, 2 retries each) was not kept", got)
		}
		if err != nil {
			if res != nil {
				t.Fatal("a result and an error")
			}
			if err.Error() == "" {
				t.Fatal("empty error")
			}
			return
		}
		if res.Pages < 1 || res.Pages > 100 {
			t.Fatalf("%d pages", res.Pages)
		}
		if res.Booked == nil || res.Pending == nil {
			t.Fatal("nil transaction lists in a successful report")
		}
	})
}
