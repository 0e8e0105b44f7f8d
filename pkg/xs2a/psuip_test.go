package xs2a_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/xs2a-dev/xs2a/pkg/xs2a"
)

// TestConsentCreateAlwaysCarriesPSUIPAddress: the file makes PSU-IP-Address
// mandatory on POST /v1/consents; without a configured one the client sends
// the local address of the connection, which the server sees as the
// connection's remote address (the oracle).
func TestConsentCreateAlwaysCarriesPSUIPAddress(t *testing.T) {
	type seen struct{ header, remote string }
	var mu sync.Mutex
	var got []seen
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host, _, _ := net.SplitHostPort(r.RemoteAddr)
		mu.Lock()
		got = append(got, seen{r.Header.Get("PSU-IP-Address"), host})
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		if r.Method == http.MethodPost {
			w.WriteHeader(http.StatusCreated)
			w.Write([]byte(`{"consentStatus":"received","consentId":"c1","_links":{}}`))
			return
		}
		w.Write([]byte(`{"consentStatus":"received"}`))
	}))
	defer srv.Close()
	last := func() seen {
		mu.Lock()
		defer mu.Unlock()
		return got[len(got)-1]
	}
	ctx := context.Background()
	req := xs2a.ConsentRequest{Access: xs2a.Access{AllPsd2: "allAccounts"}, RecurringIndicator: true, ValidUntil: "2099-01-01", FrequencyPerDay: 4}

	t.Run("fallback: the local address of the connection", func(t *testing.T) {
		var heard []netip.Addr
		c := &xs2a.Client{HTTP: srv.Client(), BaseURL: srv.URL, OnLocalPSUIP: func(a netip.Addr) { heard = append(heard, a) }}
		created, err := c.CreateConsent(ctx, "t", req)
		if err != nil {
			t.Fatal(err)
		}
		s := last()
		if s.header == "" || s.header != s.remote {
			t.Errorf("PSU-IP-Address %q; the connection left from %q", s.header, s.remote)
		}
		if created.PSUIPAddress != s.header {
			t.Errorf("ConsentCreated.PSUIPAddress %q; sent %q", created.PSUIPAddress, s.header)
		}
		if len(heard) != 1 || heard[0].String() != s.header {
			t.Errorf("OnLocalPSUIP heard %v; want [%s]", heard, s.header)
		}
		// Other consent calls do not carry it (nothing configured).
		if _, err := c.ConsentStatus(ctx, "t", "c1"); err != nil {
			t.Fatal(err)
		}
		if h := last().header; h != "" {
			t.Errorf("GET consent status carried PSU-IP-Address %q", h)
		}
	})
	t.Run("configured address wins", func(t *testing.T) {
		called := false
		c := &xs2a.Client{HTTP: srv.Client(), BaseURL: srv.URL, PSUIPAddress: "192.0.2.7", OnLocalPSUIP: func(netip.Addr) { called = true }}
		if _, err := c.CreateConsent(ctx, "t", req); err != nil {
			t.Fatal(err)
		}
		if h := last().header; h != "192.0.2.7" || called {
			t.Errorf("PSU-IP-Address %q (fallback used: %v); want the configured 192.0.2.7", h, called)
		}
	})
	t.Run("unknown local address: nothing sent, one clear error", func(t *testing.T) {
		mu.Lock()
		n := len(got)
		mu.Unlock()
		c := &xs2a.Client{HTTP: srv.Client(), BaseURL: srv.URL,
			LocalAddr: func(context.Context, *url.URL) (netip.Addr, error) { return netip.Addr{}, errors.New("no route") }}
		_, err := c.CreateConsent(ctx, "t", req)
		if err == nil || !strings.Contains(err.Error(), "psu_ip_address") || !strings.Contains(err.Error(), "no route") {
			t.Errorf("error %v; want one naming psu_ip_address and the cause", err)
		}
		mu.Lock()
		defer mu.Unlock()
		if len(got) != n {
			t.Errorf("a request went out without PSU-IP-Address")
		}
	})
	t.Run("a bank host with no address: the lookup's error, not the header's", func(t *testing.T) {
		dns := &net.DNSError{Err: "no such host", Name: "api.bnak.invalid", IsNotFound: true}
		c := &xs2a.Client{HTTP: srv.Client(), BaseURL: srv.URL,
			LocalAddr: func(context.Context, *url.URL) (netip.Addr, error) { return netip.Addr{}, dns }}
		_, err := c.CreateConsent(ctx, "t", req)
		var got *net.DNSError
		if !errors.As(err, &got) || strings.Contains(err.Error(), "PSU-IP-Address") {
			t.Errorf("error %v; want the DNS error, not a PSU-IP-Address one", err)
		}
	})
}

func TestRouteLocalAddrIsLoopbackForLoopback(t *testing.T) {
	u, _ := url.Parse("https://127.0.0.1:1/v1")
	a, err := xs2a.RouteLocalAddr(context.Background(), u)
	if err != nil || a.String() != "127.0.0.1" {
		t.Errorf("RouteLocalAddr(%s) = %v, %v; want 127.0.0.1", u, a, err)
	}
}
