package xs2a

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/time/rate"
)

// Paced retries the gateway's 429 with Retry-After, body and all, and
// leaves a 429 without one (frequencyPerDay spent) to the caller.
func TestPacedRetriesRetryAfter(t *testing.T) {
	var calls atomic.Int32
	var mu sync.Mutex
	var bodies []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		bodies = append(bodies, string(b))
		mu.Unlock()
		n := calls.Add(1)
		switch {
		case r.URL.Path == "/spent":
			w.WriteHeader(http.StatusTooManyRequests)
		case n == 1:
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
		default:
			w.WriteHeader(http.StatusCreated)
		}
	}))
	defer srv.Close()
	var slept []time.Duration
	c := &Client{Limiter: rate.NewLimiter(rate.Inf, 0), Sleep: func(_ context.Context, d time.Duration) error {
		slept = append(slept, d)
		return nil
	}}
	hc := &http.Client{Transport: c.Paced(http.DefaultTransport)}
	resp, err := hc.Post(srv.URL+"/v1/consents", "application/json", strings.NewReader(`{"a":1}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated || calls.Load() != 2 {
		t.Errorf("status %d after %d calls; want 201 after 2 (the 429 retried)", resp.StatusCode, calls.Load())
	}
	mu.Lock()
	if len(bodies) != 2 || bodies[1] != `{"a":1}` {
		t.Errorf("bodies sent %q; want the body twice", bodies)
	}
	mu.Unlock()
	if len(slept) != 1 || slept[0] != time.Second {
		t.Errorf("slept %v; want the Retry-After, 1s", slept)
	}
	calls.Store(0)
	resp, err = hc.Get(srv.URL + "/spent")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusTooManyRequests || calls.Load() != 1 {
		t.Errorf("a 429 without Retry-After: status %d after %d calls; want it returned after 1", resp.StatusCode, calls.Load())
	}
}

// Paced waits for the client's limiter before each request.
func TestPacedWaitsForTheLimiter(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	c := &Client{Limiter: rate.NewLimiter(rate.Every(100*time.Millisecond), 1)}
	hc := &http.Client{Transport: c.Paced(http.DefaultTransport)}
	start := time.Now()
	for range 3 {
		resp, err := hc.Get(srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	if d := time.Since(start); d < 190*time.Millisecond {
		t.Errorf("3 requests at 10 a second took %v; want at least 200ms", d)
	}
}
