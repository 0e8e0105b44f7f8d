package bundle

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// BenchmarkRecord is the cost --record adds to one exchange (a consent
// POST and its JSON answer): build, redact, encode and write the file,
// against the same exchange without the recorder.
func BenchmarkRecord(b *testing.B) {
	answer := `{"consentStatus":"received","consentId":"cns-1","_links":{"scaOAuth":{"href":"https://bank/.well-known/oauth-authorization-server"}}}`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, answer)
	}))
	defer srv.Close()
	body := `{"access":{"allPsd2":"allAccounts"},"recurringIndicator":true,"validUntil":"2027-03-01","frequencyPerDay":4,"combinedServiceIndicator":false}`
	run := func(b *testing.B, rt http.RoundTripper) {
		c := &http.Client{Transport: rt}
		b.ReportAllocs()
		for b.Loop() {
			req, _ := http.NewRequest("POST", srv.URL+"/v1/consents", strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer at-0123456789abcdef0123456789")
			req.Header.Set("X-Request-ID", "99391c7e-ad88-49ec-a2ad-99ddcb1f7721")
			resp, err := c.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	}
	b.Run("plain", func(b *testing.B) { run(b, http.DefaultTransport) })
	b.Run("recorded", func(b *testing.B) {
		r := &Recorder{Dir: b.TempDir(), OnError: func(err error) { b.Fatal(err) }}
		r.AddSecrets("cs-0123456789-secret", "ak-9876543210-key")
		run(b, r.Transport(KindAPI, http.DefaultTransport))
	})
}
