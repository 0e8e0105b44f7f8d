package sandbox

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/xs2a-dev/xs2a/pkg/qcert"
	"github.com/xs2a-dev/xs2a/pkg/termsafe"
)

// Options configure a sandbox. The zero value is a working bank on random
// loopback ports with freshly generated certificates.
type Options struct {
	// Certs provides the CA (trusted for TPP certificates) and the server
	// certificate; nil generates a fresh set.
	Certs *qcert.Set
	// Trust adds more QTSP CAs whose TPP certificates are accepted.
	Trust []*x509.Certificate
	// StrictTLS refuses a missing or untrusted client certificate in the TLS
	// handshake, as many gateways do, instead of answering over HTTP.
	StrictTLS bool
	// AutoApprove skips the PSU's pages: the authorization endpoint
	// redirects at once as if customer 1345611 approved.
	AutoApprove bool
	// RequirePIISConsent refuses a funds confirmation under the
	// client-credentials token: only the access token of a PIIS consent
	// (piis.go) confirms funds.
	RequirePIISConsent bool
	// AutoApprovePSU is the customer AutoApprove approves as (default
	// DocumentedPSU, 1345611; PaymentCustomerID has payment accounts).
	AutoApprovePSU string
	// Bank is the card issuer's name shown on pages and in card names.
	Bank string
	// Dialect is how signatures are read and consents counted (default
	// DialectEnfuce; consent rules in consentrules.go).
	Dialect Dialect
	// Remember is how many rejections are kept for RejectionsPath per TPP
	// (and for the requests no trusted certificate identified, together),
	// newest first (default DefaultRemember; negative keeps none).
	Remember int
	// Apps are registered in addition to the default app.
	Apps []App
	// RatePerSecond and RatePerDay limit each TPP's API calls (defaults 5
	// and 1000, as documented for the bank's sandbox); RatePerSecond limits
	// its token requests too, in a count of their own, and the daily limit
	// does not count them; negative disables.
	RatePerSecond float64
	RatePerDay    int
	// APIKeyHeader is where the API key travels (default X-API-Key).
	APIKeyHeader string
	Now          func() time.Time
	// Log receives one line per request; nil discards.
	Log io.Writer
	// Addr and AuthAddr are the listen addresses of the API (mutual TLS)
	// and of the PSU's pages; default 127.0.0.1:0.
	Addr, AuthAddr string
	// DataDir keeps apps, consents, tokens, codes and day counters in
	// DataDir/sandbox.db across restarts; empty keeps them in memory.
	DataDir string
}

// safeLog escapes the control characters of everything written to the
// operator's log but newlines and tabs: net/http's own lines (TLS handshake
// refusals) and the data file's errors quote what came from outside too.
// The request log escapes its fields itself, newlines included.
type safeLog struct{ w io.Writer }

func (l safeLog) Write(p []byte) (int, error) {
	if _, err := io.WriteString(l.w, termsafe.Text(string(p))); err != nil {
		return 0, err
	}
	return len(p), nil
}

// Server is a running sandbox.
type Server struct {
	// URL is the API and token endpoint base (mutual TLS), AuthURL the base
	// of the pages the PSU's browser visits.
	URL, AuthURL string
	// Certs is the certificate set: CA, the default TPP's QWAC and QSealC,
	// and the server certificate.
	Certs *qcert.Set
	// DefaultApp is registered for the organisation of Certs.QWAC.
	DefaultApp App

	opts  Options
	trust *x509.CertPool
	// trusted are the certificates in trust, for naming a CA of the right
	// name but another key (qcert.FindLookalike).
	trusted []*x509.Certificate
	store   *store
	psus    []*PSU
	zone    *time.Location
	apiSrv  *http.Server
	webSrv  *http.Server
	lns     []net.Listener
	wg      sync.WaitGroup

	limMu    sync.Mutex
	limiters map[string]*tppLimit

	verdictMu sync.Mutex
	verdicts  map[string]verdict

	dialect Dialect
	memory  *rejections
}

// Start runs a sandbox until Close.
func Start(opts Options) (*Server, error) {
	s, err := New(opts)
	if err != nil {
		return nil, err
	}
	if err := s.listen(); err != nil {
		s.closeData()
		return nil, err
	}
	return s, nil
}

// New prepares a sandbox without listening; Handler and WebHandler serve it.
func New(opts Options) (*Server, error) {
	if opts.Certs == nil {
		set, err := qcert.GenerateSet(qcert.Options{Org: qcert.DefaultOrg, Roles: DefaultRoles})
		if err != nil {
			return nil, fmt.Errorf("sandbox certificates: %w", err)
		}
		opts.Certs = set
	}
	if opts.Bank == "" {
		opts.Bank = "Enfuce Sandbox Bank"
	}
	if opts.RatePerSecond == 0 {
		opts.RatePerSecond = 5
	}
	if opts.RatePerDay == 0 {
		opts.RatePerDay = 1000
	}
	if opts.APIKeyHeader == "" {
		opts.APIKeyHeader = "X-API-Key"
	}
	if opts.Log == nil {
		opts.Log = io.Discard
	} else {
		opts.Log = safeLog{opts.Log}
	}
	if opts.Addr == "" {
		opts.Addr = "127.0.0.1:0"
	}
	if opts.AuthAddr == "" {
		opts.AuthAddr = "127.0.0.1:0"
	}
	dialect, err := ParseDialect(string(opts.Dialect))
	if err != nil {
		return nil, err
	}
	if opts.Remember == 0 {
		opts.Remember = DefaultRemember
	}
	zone, err := time.LoadLocation("Europe/Helsinki")
	if err != nil {
		zone = time.UTC
	}
	s := &Server{opts: opts, Certs: opts.Certs, store: newStore(), psus: TestPSUs(opts.Bank), zone: zone,
		limiters: map[string]*tppLimit{}, verdicts: map[string]verdict{}, dialect: dialect, memory: newRejections(opts.Remember)}
	if s.opts.AutoApprovePSU == "" {
		s.opts.AutoApprovePSU = DocumentedPSU
	}
	if s.psu(s.opts.AutoApprovePSU) == nil {
		return nil, fmt.Errorf("auto-approve customer %q is not a test customer (%s)", s.opts.AutoApprovePSU, customerIDs(s.psus))
	}
	s.trust = x509.NewCertPool()
	s.trusted = append([]*x509.Certificate{opts.Certs.CA.Cert}, opts.Trust...)
	for _, c := range s.trusted {
		s.trust.AddCert(c)
	}
	if opts.DataDir != "" {
		j, err := openJournal(opts.DataDir)
		if err != nil {
			return nil, err
		}
		if err := s.load(j); err != nil {
			j.close()
			return nil, err
		}
		j.log = opts.Log
		s.store.j = j
	}
	if err := s.registerApps(); err != nil {
		s.closeData()
		return nil, err
	}
	return s, nil
}

// registerApps registers the default app and Options.Apps. With a data
// directory the default app's secret and API key are made once and kept,
// so a profile written by --write-profile stays valid across restarts.
func (s *Server) registerApps() error {
	def := App{Name: "default", ClientID: "sandbox-client", ClientSecret: "sandbox-secret-" + randomID(12),
		APIKey: "sandbox-api-key-" + randomID(12)}
	if old := s.store.apps[def.ClientID]; old != nil && old.ClientSecret != "" && old.APIKey != "" {
		def.ClientSecret, def.APIKey = old.ClientSecret, old.APIKey
	}
	def.OrganizationID = qcert.OrganizationIdentifier(s.opts.Certs.QWAC.Cert)
	def.CA = caID(s.opts.Certs.CA.Cert)
	s.DefaultApp = def
	s.store.apps[def.ClientID] = &s.DefaultApp
	recs := []any{&s.DefaultApp}
	seen := map[string]bool{def.ClientID: true}
	for i := range s.opts.Apps {
		a := s.opts.Apps[i]
		if a.ClientID == "" || a.OrganizationID == "" {
			return fmt.Errorf("app %q: client_id and organization_id are required", a.Name)
		}
		if seen[a.ClientID] {
			return fmt.Errorf("app %q: client_id %q is registered twice", a.Name, a.ClientID)
		}
		if !validCA(a.CA) {
			return fmt.Errorf("app %q: ca %q is not the hex SHA-256 of a CA's public key (64 hex digits)", a.Name, a.CA)
		}
		seen[a.ClientID] = true
		if old := s.store.apps[a.ClientID]; a.CA == "" && old != nil && old.OrganizationID == a.OrganizationID {
			a.CA = old.CA // the binding made on first use outlives a restart
		}
		s.store.apps[a.ClientID] = &a // replaces the stored one: the file given now wins
		recs = append(recs, &a)
	}
	if ch := s.store.save(recs...); ch != nil {
		if err := <-ch; err != nil {
			return fmt.Errorf("sandbox data: %w", err)
		}
	}
	return nil
}

// validCA reports an App.CA: empty, or 64 lower-case hex digits.
func validCA(ca string) bool {
	if ca == "" {
		return true
	}
	if len(ca) != 64 {
		return false
	}
	for _, r := range ca {
		if !('0' <= r && r <= '9' || 'a' <= r && r <= 'f') {
			return false
		}
	}
	return true
}

func (s *Server) now() time.Time {
	if s.opts.Now != nil {
		return s.opts.Now()
	}
	return time.Now()
}

// TLSConfig is the API listener's TLS configuration.
func (s *Server) TLSConfig() *tls.Config {
	cert := tls.Certificate{Certificate: [][]byte{s.Certs.Server.Cert.Raw}, PrivateKey: s.Certs.Server.Key, Leaf: s.Certs.Server.Cert}
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	if s.opts.StrictTLS {
		cfg.ClientAuth = tls.RequireAndVerifyClientCert
		cfg.ClientCAs = s.trust
	} else {
		// Ask for a certificate without naming CAs, so clients send theirs
		// whoever issued it, and judge it in the handler where the answer
		// can say what is wrong.
		cfg.ClientAuth = tls.RequestClientCert
	}
	return cfg
}

func (s *Server) listen() error {
	apiLn, err := net.Listen("tcp", s.opts.Addr)
	if err != nil {
		return fmt.Errorf("sandbox API listener: %w", err)
	}
	webLn, err := net.Listen("tcp", s.opts.AuthAddr)
	if err != nil {
		apiLn.Close()
		return fmt.Errorf("sandbox PSU pages listener: %w", err)
	}
	s.lns = []net.Listener{apiLn, webLn}
	s.URL = "https://" + apiLn.Addr().String()
	s.AuthURL = "https://" + webLn.Addr().String()
	errLog := log.New(s.opts.Log, "sandbox: ", 0) // TLS handshake refusals, for --strict-tls
	s.apiSrv = &http.Server{Handler: s.Handler(), TLSConfig: s.TLSConfig(), ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout: 30 * time.Second, WriteTimeout: 30 * time.Second, IdleTimeout: 120 * time.Second, MaxHeaderBytes: 64 << 10, ErrorLog: errLog}
	webTLS := s.TLSConfig()
	webTLS.ClientAuth, webTLS.ClientCAs = tls.NoClientCert, nil
	s.webSrv = &http.Server{Handler: s.WebHandler(), TLSConfig: webTLS, ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout: 30 * time.Second, WriteTimeout: 30 * time.Second, MaxHeaderBytes: 64 << 10, ErrorLog: errLog}
	for i, srv := range []*http.Server{s.apiSrv, s.webSrv} {
		ln := tls.NewListener(s.lns[i], srv.TLSConfig)
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				fmt.Fprintf(s.opts.Log, "sandbox: serve: %v\n", err)
			}
		}()
	}
	return nil
}

// Close stops both listeners, giving requests in flight up to two seconds.
func (s *Server) Close() { s.shutdown(2 * time.Second) }

// CloseNow stops at once. A browser keeps idle connections open to the
// bank's pages, which a graceful shutdown would wait for; a process that is
// done (xs2a flow) has nothing in flight worth that wait.
func (s *Server) CloseNow() { s.shutdown(0) }

func (s *Server) shutdown(grace time.Duration) {
	defer s.closeData() // after the listeners: answers in flight commit first
	if grace == 0 {
		for _, srv := range []*http.Server{s.apiSrv, s.webSrv} {
			if srv != nil {
				srv.Close()
			}
		}
		s.wg.Wait()
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	for _, srv := range []*http.Server{s.apiSrv, s.webSrv} {
		if srv != nil {
			if err := srv.Shutdown(ctx); err != nil {
				srv.Close()
			}
		}
	}
	s.wg.Wait()
}

// closeData commits what is queued and releases the data file's lock.
func (s *Server) closeData() {
	if s.store.j != nil {
		s.store.j.close()
	}
}

// CertPool trusts the sandbox's CA, for clients verifying its server certificate.
func (s *Server) CertPool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(s.Certs.CA.Cert)
	return p
}

// Client is an HTTP client with the default TPP's QWAC that trusts the sandbox.
func (s *Server) Client() *http.Client {
	cert := tls.Certificate{Certificate: [][]byte{s.Certs.QWAC.Cert.Raw}, PrivateKey: s.Certs.QWAC.Key, Leaf: s.Certs.QWAC.Cert}
	return &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: s.CertPool(), Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12},
	}}
}

// DocumentedPSU is the test customer of the bank's documentation.
const DocumentedPSU = "1345611"

func customerIDs(psus []*PSU) string {
	var ids []string
	for _, p := range psus {
		ids = append(ids, p.ID)
	}
	return strings.Join(ids, ", ")
}

// PSUs lists the test customers.
func (s *Server) PSUs() []*PSU { return s.psus }

func (s *Server) psu(id string) *PSU {
	for _, p := range s.psus {
		if p.ID == id {
			return p
		}
	}
	return nil
}

// bankDay is the bank's calendar day (Helsinki), when daily limits reset.
func (s *Server) bankDay(t time.Time) string { return t.In(s.zone).Format(time.DateOnly) }

func trimBase(u string) string { return strings.TrimRight(u, "/") }
