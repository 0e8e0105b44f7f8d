package sandbox

import (
	"io"
	"net/http"
	"net/url"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestTokenSoak requests client-credentials tokens as fast as the bank
// allows, from a few clients of one app, for XS2A_SOAK (default 3s; `make
// soak` runs longer). Every answer is a token or a 429 slow_down; the app
// never holds more than MaxTokensPerApp tokens, and the heap after a GC
// stays where it was once the bound was reached.
func TestTokenSoak(t *testing.T) {
	dur := 3 * time.Second
	if v := os.Getenv("XS2A_SOAK"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			t.Fatalf("XS2A_SOAK=%q is not a positive Go duration", v)
		}
		dur = d
	}
	s, err := Start(Options{Certs: sharedSet(t), RatePerSecond: 200, RatePerDay: -1, Log: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	defer s.CloseNow()
	p := bankTPP(t, s)
	form := url.Values{"grant_type": {"client_credentials"}}.Encode()

	var issued, slowed, bad atomic.Int64
	var firstBad atomic.Value
	loop := func(stop <-chan struct{}) {
		for {
			select {
			case <-stop:
				return
			default:
			}
			req, _ := http.NewRequest("POST", s.URL+"/oauth/token", strings.NewReader(form))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.SetBasicAuth(s.DefaultApp.ClientID, s.DefaultApp.ClientSecret)
			resp, err := p.plain.Do(req)
			if err != nil {
				bad.Add(1)
				firstBad.CompareAndSwap(nil, err.Error())
				continue
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			switch {
			case resp.StatusCode == 200:
				issued.Add(1)
			case resp.StatusCode == 429 && strings.Contains(string(b), `"slow_down"`):
				slowed.Add(1)
			default:
				bad.Add(1)
				firstBad.CompareAndSwap(nil, resp.Status+" "+string(b))
			}
		}
	}
	run := func(d time.Duration) {
		stop := make(chan struct{})
		var wg sync.WaitGroup
		for range 4 {
			wg.Add(1)
			go func() { defer wg.Done(); loop(stop) }()
		}
		time.Sleep(d)
		close(stop)
		wg.Wait()
	}
	heap := func() uint64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}

	// Warm up until the bound is reached, then measure.
	warm := time.Now()
	for issued.Load() <= 2*MaxTokensPerApp && time.Since(warm) < dur {
		run(100 * time.Millisecond)
	}
	if issued.Load() <= MaxTokensPerApp {
		t.Skipf("only %d tokens issued in %s: too slow a machine to reach the bound of %d", issued.Load(), dur, MaxTokensPerApp)
	}
	before := heap()
	run(dur)
	after := heap()

	if n := bad.Load(); n > 0 {
		t.Errorf("%d answers neither a token nor 429 slow_down; first: %v", n, firstBad.Load())
	}
	if n := s.liveTokens(s.DefaultApp.ClientID); n > MaxTokensPerApp {
		t.Errorf("%d tokens kept for the app; want at most %d", n, MaxTokensPerApp)
	}
	const slack = 8 << 20
	if after > before+slack {
		t.Errorf("heap grew from %d to %d bytes over %s of token requests", before, after, dur)
	}
	t.Logf("%d tokens issued, %d slowed down; heap %d -> %d bytes", issued.Load(), slowed.Load(), before, after)
}
