package signproxy

import (
	"context"
	"crypto/tls"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/xs2a-dev/xs2a/pkg/httpsig"
	"github.com/xs2a-dev/xs2a/pkg/mtls"
	"github.com/xs2a-dev/xs2a/pkg/oauth"
	"github.com/xs2a-dev/xs2a/pkg/sandbox"
	"github.com/xs2a-dev/xs2a/pkg/xs2a"
	"golang.org/x/time/rate"
)

// loadClients is the concurrency of the load (issue target: 32 keep-alive
// clients).
const loadClients = 32

// benchBank is a sandbox with rate limits off, the session's signed
// mutual-TLS client for it (pkg/mtls transport, httpsig signer: what
// `xs2a proxy` is given), and a PSU token with a consent.
type benchBank struct {
	s                *sandbox.Server
	signed           *http.Client
	token, consentID string
}

func startBenchBank(b testing.TB) *benchBank {
	b.Helper()
	s, err := sandbox.Start(sandbox.Options{AutoApprove: true, RatePerSecond: -1, RatePerDay: -1})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(s.Close)
	dir := b.TempDir()
	if err := s.Certs.Write(dir, false); err != nil {
		b.Fatal(err)
	}
	m, err := mtls.New(mtls.Options{CertFile: filepath.Join(dir, "qwac.pem"), KeyFile: filepath.Join(dir, "qwac.key"), CABundle: filepath.Join(dir, "ca.pem")})
	if err != nil {
		b.Fatal(err)
	}
	signed := &http.Client{Transport: &httpsig.Transport{Signer: &httpsig.Signer{Key: s.Certs.QSeal.Key, Cert: s.Certs.QSeal.Cert}, Base: m.Transport}, Timeout: m.HTTP.Timeout}

	// The bank's flow, once: client token, consent, the PSU's approval
	// (AutoApprove redirects at once), code exchange.
	ctx := context.Background()
	oc := oauth.Config{ClientID: s.DefaultApp.ClientID, ClientSecret: s.DefaultApp.ClientSecret,
		AuthorizeURL: s.AuthURL + "/oauth/authorize", TokenURL: s.URL + "/oauth/token", RedirectURL: "http://127.0.0.1:9/callback"}
	ct, err := oauth.ClientCredentials(ctx, m.HTTP, oc)
	if err != nil {
		b.Fatal(err)
	}
	api := &xs2a.Client{HTTP: signed, BaseURL: s.URL, APIKey: s.DefaultApp.APIKey, Limiter: rate.NewLimiter(rate.Inf, 1), PSUIPAddress: "192.0.2.1"}
	c, err := api.CreateConsent(ctx, ct.AccessToken, xs2a.ConsentRequest{Access: xs2a.Access{AllPsd2: "allAccounts"},
		RecurringIndicator: true, ValidUntil: time.Now().AddDate(0, 1, 0).Format(time.DateOnly), FrequencyPerDay: 4})
	if err != nil {
		b.Fatal(err)
	}
	verifier := oauth.NewVerifier()
	browser := s.Client()
	browser.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := browser.Get(oauth.AuthCodeURL(oc, "AIS:"+c.ConsentID, "st", verifier))
	if err != nil {
		b.Fatal(err)
	}
	resp.Body.Close()
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || loc.Query().Get("code") == "" {
		b.Fatalf("authorization: %d, Location %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	at, err := oauth.Exchange(ctx, m.HTTP, oc, loc.Query().Get("code"), verifier)
	if err != nil {
		b.Fatal(err)
	}
	return &benchBank{s: s, signed: signed, token: at.AccessToken, consentID: c.ConsentID}
}

func (bb *benchBank) header() http.Header {
	return http.Header{"Authorization": {"Bearer " + bb.token}, "Consent-Id": {bb.consentID},
		"Psu-Ip-Address": {"192.0.2.1"}} // PSU present: not counted against frequencyPerDay
}

// target is one side of the comparison: a client and the URL it calls.
type target struct {
	client *http.Client
	url    string
	hdr    http.Header
}

func (tg target) exchange(b *testing.B) (time.Duration, bool) {
	req, _ := http.NewRequest("GET", tg.url, nil)
	req.Header = tg.hdr.Clone()
	t := time.Now()
	resp, err := tg.client.Do(req)
	if err != nil {
		b.Error(err)
		return 0, false
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		b.Errorf("status %d", resp.StatusCode)
		return 0, false
	}
	return time.Since(t), true
}

// warm opens every keep-alive connection, as long-running clients have.
func (tg target) warm(b *testing.B) {
	var wg sync.WaitGroup
	for range loadClients {
		wg.Go(func() { tg.exchange(b) })
	}
	wg.Wait()
}

// batch sends n requests from loadClients concurrent clients and gives
// their latencies and the wall time.
func (tg target) batch(b *testing.B, n int) ([]time.Duration, time.Duration) {
	work := make(chan struct{}, n)
	for range n {
		work <- struct{}{}
	}
	close(work)
	var mu sync.Mutex
	var wg sync.WaitGroup
	lat := make([]time.Duration, 0, n)
	start := time.Now()
	for range loadClients {
		wg.Go(func() {
			local := make([]time.Duration, 0, n/loadClients+1)
			for range work {
				d, ok := tg.exchange(b)
				if !ok {
					return
				}
				local = append(local, d)
			}
			mu.Lock()
			lat = append(lat, local...)
			mu.Unlock()
		})
	}
	wg.Wait()
	return lat, time.Since(start)
}

// report gives requests per second and latency percentiles, the names
// prefixed (direct-, proxy-) when two sides share a benchmark.
func report(b *testing.B, prefix string, lat []time.Duration, elapsed time.Duration) float64 {
	if len(lat) == 0 {
		return 0
	}
	slices.Sort(lat)
	pct := func(p float64) float64 { return float64(lat[int(float64(len(lat)-1)*p)].Microseconds()) / 1000 }
	rps := float64(len(lat)) / elapsed.Seconds()
	b.ReportMetric(rps, prefix+"req/s")
	b.ReportMetric(pct(0.50), prefix+"p50-ms")
	b.ReportMetric(pct(0.99), prefix+"p99-ms")
	return rps
}

func (bb *benchBank) direct() target {
	return target{client: bb.signed, url: bb.s.URL + "/v1/card-accounts", hdr: bb.header()}
}

// viaProxy serves the proxy with the same signed client on loopback.
func (bb *benchBank) viaProxy(b *testing.B) target {
	srv := httptest.NewUnstartedServer(nil)
	// The log line is written as the command writes it to stderr: one
	// write per exchange.
	devNull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { devNull.Close() })
	p, err := New(Config{Client: bb.signed, BaseURL: bb.s.URL, Log: devNull, Addr: srv.Listener.Addr().String()})
	if err != nil {
		b.Fatal(err)
	}
	srv.Config.Handler = p
	srv.Start()
	b.Cleanup(srv.Close)
	plain := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: loadClients, TLSClientConfig: &tls.Config{}}}
	return target{client: plain, url: srv.URL + "/v1/card-accounts", hdr: bb.header()}
}

// BenchmarkLoadDirect: 32 clients sharing the session's signed mutual-TLS
// client send GET /v1/card-accounts straight to the sandbox; every request
// is signed.
func BenchmarkLoadDirect(b *testing.B) {
	tg := startBenchBank(b).direct()
	tg.warm(b)
	b.ResetTimer()
	lat, elapsed := tg.batch(b, b.N)
	b.StopTimer()
	report(b, "", lat, elapsed)
}

// BenchmarkLoadThroughProxy: the same load from 32 plain-HTTP keep-alive
// clients through the proxy, which signs each request with the same client.
func BenchmarkLoadThroughProxy(b *testing.B) {
	tg := startBenchBank(b).viaProxy(b)
	tg.warm(b)
	b.ResetTimer()
	lat, elapsed := tg.batch(b, b.N)
	b.StopTimer()
	report(b, "", lat, elapsed)
}

// BenchmarkLoadProxyVsDirect: both loads against one sandbox in
// alternating batches (direct then proxy, proxy then direct, ...), so that
// whatever else runs on the machine falls on both sides alike; b.N
// requests in all. The ratio is the proxy's throughput over the direct one.
func BenchmarkLoadProxyVsDirect(b *testing.B) {
	const rounds = 10
	bb := startBenchBank(b)
	sides := [2]target{bb.direct(), bb.viaProxy(b)}
	for _, tg := range sides {
		tg.warm(b)
	}
	per := max(b.N/(2*rounds), 1)
	var lat [2][]time.Duration
	var elapsed [2]time.Duration
	b.ResetTimer()
	for r := range rounds {
		for i := range 2 {
			side := (i + r) % 2
			l, e := sides[side].batch(b, per)
			lat[side] = append(lat[side], l...)
			elapsed[side] += e
		}
	}
	b.StopTimer()
	d := report(b, "direct-", lat[0], elapsed[0])
	p := report(b, "proxy-", lat[1], elapsed[1])
	if d > 0 {
		b.ReportMetric(100*p/d, "ratio-%")
	}
}
