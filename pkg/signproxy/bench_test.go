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
	resp, err := browser.Get(oauth.AuthCodeURL(oc, c.ConsentID, "st", verifier))
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

// load sends b.N GET url from loadClients keep-alive clients and reports
// requests per second and latency percentiles.
func load(b *testing.B, client *http.Client, url string, hdr http.Header) {
	exchange := func() (time.Duration, bool) {
		req, _ := http.NewRequest("GET", url, nil)
		req.Header = hdr.Clone()
		t := time.Now()
		resp, err := client.Do(req)
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
	// Open every keep-alive connection first, as long-running clients have.
	var wg sync.WaitGroup
	for range loadClients {
		wg.Go(func() { exchange() })
	}
	wg.Wait()

	work := make(chan struct{}, b.N)
	for range b.N {
		work <- struct{}{}
	}
	close(work)
	var mu sync.Mutex
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	start := time.Now()
	for range loadClients {
		wg.Go(func() {
			local := make([]time.Duration, 0, b.N/loadClients+1)
			for range work {
				d, ok := exchange()
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
	elapsed := time.Since(start)
	b.StopTimer()
	if len(lat) == 0 {
		return
	}
	slices.Sort(lat)
	pct := func(p float64) float64 { return float64(lat[int(float64(len(lat)-1)*p)].Microseconds()) / 1000 }
	b.ReportMetric(float64(len(lat))/elapsed.Seconds(), "req/s")
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
}

// BenchmarkLoadDirect: 32 clients sharing the session's signed mutual-TLS
// client send GET /v1/card-accounts straight to the sandbox; every request
// is signed.
func BenchmarkLoadDirect(b *testing.B) {
	bb := startBenchBank(b)
	load(b, bb.signed, bb.s.URL+"/v1/card-accounts", bb.header())
}

// BenchmarkLoadThroughProxy: the same load from 32 plain-HTTP keep-alive
// clients through the proxy, which signs each request with the same client.
func BenchmarkLoadThroughProxy(b *testing.B) {
	bb := startBenchBank(b)
	srv := httptest.NewUnstartedServer(nil)
	// The log line is written as the command writes it to stderr: one
	// write per exchange.
	devNull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		b.Fatal(err)
	}
	defer devNull.Close()
	p, err := New(Config{Client: bb.signed, BaseURL: bb.s.URL, Log: devNull, Addr: srv.Listener.Addr().String()})
	if err != nil {
		b.Fatal(err)
	}
	srv.Config.Handler = p
	srv.Start()
	defer srv.Close()
	plain := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: loadClients, TLSClientConfig: &tls.Config{}}}
	load(b, plain, srv.URL+"/v1/card-accounts", bb.header())
}
