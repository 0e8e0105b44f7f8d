package sandbox

import (
	"crypto/tls"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/xs2a-dev/xs2a/pkg/httpmsg"
	"github.com/xs2a-dev/xs2a/pkg/httpsig"
)

// loadClients is the concurrency of the load benchmarks (issue target: 32).
const loadClients = 32

// presigned returns a signed GET /v1/card-accounts for a valid consent, to
// be replayed: the sandbox does not require unique X-Request-IDs, so the
// load measures the server, not the clients' RSA signing.
func presigned(b *testing.B, s *Server) http.Header {
	p := newTPP(b, s)
	cid, at := p.journey(allAccounts)
	m := &httpmsg.Request{Method: "GET", Target: "/v1/card-accounts", Header: []httpmsg.Field{
		{Name: "X-Request-ID", Value: "99391c7e-ad88-49ec-a2ad-99ddcb1f7721"},
		{Name: "Consent-ID", Value: cid}, {Name: "Authorization", Value: "Bearer " + at},
		{Name: "PSU-IP-Address", Value: "192.0.2.1"}, // PSU present: not counted against frequencyPerDay
	}}
	if _, err := (&httpsig.Signer{Key: s.Certs.QSeal.Key, Cert: s.Certs.QSeal.Cert}).Sign(m); err != nil {
		b.Fatal(err)
	}
	h := http.Header{}
	for _, f := range m.Header {
		h.Set(f.Name, f.Value)
	}
	return h
}

// load sends b.N requests from loadClients keep-alive clients and reports
// requests per second and latency percentiles.
func load(b *testing.B, url string, client *http.Client, hdr http.Header) {
	var mu sync.Mutex
	lat := make([]time.Duration, 0, b.N)
	work := make(chan struct{}, b.N)
	for i := 0; i < b.N; i++ {
		work <- struct{}{}
	}
	close(work)
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < loadClients; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			local := make([]time.Duration, 0, b.N/loadClients+1)
			for range work {
				req, _ := http.NewRequest("GET", url, nil)
				req.Header = hdr.Clone()
				t := time.Now()
				resp, err := client.Do(req)
				if err != nil {
					b.Error(err)
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					b.Errorf("status %d", resp.StatusCode)
					return
				}
				local = append(local, time.Since(t))
			}
			mu.Lock()
			lat = append(lat, local...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	slices.Sort(lat)
	if len(lat) == 0 {
		return
	}
	pct := func(p float64) float64 { return float64(lat[int(float64(len(lat)-1)*p)].Microseconds()) / 1000 }
	b.ReportMetric(float64(len(lat))/elapsed.Seconds(), "req/s")
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
}

// warm opens every keep-alive connection (TLS handshakes with client
// authentication) before the measurement, as long-running clients have.
func warm(b *testing.B, url string, client *http.Client, hdr http.Header) {
	var wg sync.WaitGroup
	for i := 0; i < loadClients; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequest("GET", url, nil)
			req.Header = hdr.Clone()
			if a := do(b, client, req); a.status != 200 {
				b.Errorf("warm-up: %d %s", a.status, a.body)
			}
		}()
	}
	wg.Wait()
}

func keepAlive(c *http.Client) *http.Client {
	t := c.Transport.(*http.Transport)
	t.MaxIdleConnsPerHost = loadClients
	t.MaxConnsPerHost = loadClients
	return c
}

// BenchmarkLoadSandboxCardAccounts: signed, mutually authenticated GET
// /v1/card-accounts through every check of the sandbox.
func BenchmarkLoadSandboxCardAccounts(b *testing.B) {
	s := startSandbox(b, Options{AutoApprove: true, RatePerSecond: -1, RatePerDay: -1})
	hdr := presigned(b, s)
	client := keepAlive(s.Client())
	warm(b, s.URL+"/v1/card-accounts", client, hdr)
	load(b, s.URL+"/v1/card-accounts", client, hdr)
}

// BenchmarkLoadSandboxCardAccountsCounted is the same load with the daily
// request limit on, so each request changes the TPP's count: in memory, and
// with a data directory, where each answer waits for its count's commit
// (fsync; concurrent answers share one). The difference is what
// persistence costs a request.
func BenchmarkLoadSandboxCardAccountsCounted(b *testing.B) {
	for _, mode := range []string{"memory", "data"} {
		b.Run(mode, func(b *testing.B) {
			opts := Options{AutoApprove: true, RatePerSecond: -1, RatePerDay: 1 << 30}
			if mode == "data" {
				opts.DataDir = b.TempDir()
			}
			s := startSandbox(b, opts)
			hdr := presigned(b, s)
			client := keepAlive(s.Client())
			warm(b, s.URL+"/v1/card-accounts", client, hdr)
			load(b, s.URL+"/v1/card-accounts", client, hdr)
		})
	}
}

// BenchmarkLoadBareTLSServer: a bare Go TLS server with the same
// certificates and client authentication answering the same bytes.
func BenchmarkLoadBareTLSServer(b *testing.B) {
	s := startSandbox(b, Options{AutoApprove: true, RatePerSecond: -1, RatePerDay: -1})
	hdr := presigned(b, s)
	client := keepAlive(s.Client())
	req, _ := http.NewRequest("GET", s.URL+"/v1/card-accounts", nil)
	req.Header = hdr.Clone()
	body := do(b, client, req).body
	bare := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Request-ID", r.Header.Get("X-Request-ID"))
		w.Write(body)
	}))
	bare.Config.ErrorLog = log.New(io.Discard, "", 0) // closing idle keep-alive connections is not news
	bare.TLS = s.TLSConfig()
	bare.TLS.ClientAuth = tls.RequireAndVerifyClientCert
	bare.TLS.ClientCAs = s.CertPool()
	bare.StartTLS()
	defer bare.Close()
	warm(b, bare.URL+"/v1/card-accounts", client, hdr)
	load(b, bare.URL+"/v1/card-accounts", client, hdr)
}

// BenchmarkMemory10kConsents reports the heap a sandbox holds with 10,000
// valid consents, each with its access and refresh token.
func BenchmarkMemory10kConsents(b *testing.B) {
	for i := 0; i < b.N; i++ {
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		s, err := New(Options{Certs: sharedSet(b)})
		if err != nil {
			b.Fatal(err)
		}
		psu := s.psu("1345611")
		now := time.Now()
		for j := 0; j < 10000; j++ {
			c, e := parseConsent([]byte(allAccounts), dateOf(now))
			if e != nil {
				b.Fatal(e)
			}
			c.ID = "cns-" + randomID(18)
			c.OrganizationID, c.ClientID, c.Status, c.PSU, c.LastAction = s.DefaultApp.OrganizationID, s.DefaultApp.ClientID, StatusValid, psu, now
			grant(c, psu, nil)
			s.store.consents[c.ID] = c
			for _, refresh := range []bool{false, true} {
				t := &token{value: randomID(32), kind: "user", refresh: refresh, clientID: c.ClientID, thumbprint: "x", consentID: c.ID, scope: "AIS:" + c.ID, expires: now.Add(time.Hour)}
				s.store.tokens[t.value] = t
			}
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/(1<<20), "heap-MB")
		runtime.KeepAlive(s)
	}
}
