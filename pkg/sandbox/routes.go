package sandbox

import (
	"fmt"
	"net/http"
	"regexp"
	"strings"

	"github.com/google/uuid"
)

// Handler serves the API and the token endpoint (the mutual-TLS listener).
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/oauth-authorization-server", s.handleMetadata)
	mux.HandleFunc("POST /oauth/token", s.handleToken)
	mux.Handle("POST /v1/consents", s.api(true, s.createConsent))
	mux.Handle("GET /v1/consents/{consentId}", s.api(true, s.getConsent))
	mux.Handle("GET /v1/consents/{consentId}/status", s.api(true, s.consentStatus))
	mux.Handle("DELETE /v1/consents/{consentId}", s.api(true, s.deleteConsent))
	mux.Handle("POST /v1/consents/{consentId}/authorisations", s.api(true, s.startAuthorisation))
	mux.Handle("GET /v1/consents/{consentId}/authorisations", s.api(true, s.listAuthorisations))
	mux.Handle("GET /v1/consents/{consentId}/authorisations/{authorisationId}", s.api(true, s.authorisationStatus))
	mux.Handle("PUT /v1/consents/{consentId}/authorisations/{authorisationId}", s.api(true, s.updatePSUData))
	mux.Handle("GET /v1/card-accounts", s.api(true, s.listCards))
	mux.Handle("GET /v1/card-accounts/{accountId}", s.api(true, s.getCard))
	mux.Handle("GET /v1/card-accounts/{accountId}/balances", s.api(true, s.cardBalances))
	mux.Handle("GET /v1/card-accounts/{accountId}/transactions", s.api(true, s.cardTransactions))
	mux.Handle("GET /v1/accounts", s.api(true, s.listAccounts))
	mux.Handle("GET /v1/accounts/{accountId}", s.api(true, s.getAccount))
	mux.Handle("GET /v1/accounts/{accountId}/balances", s.api(true, s.accountBalances))
	mux.Handle("GET /v1/accounts/{accountId}/transactions", s.api(true, s.accountTransactions))
	mux.Handle("GET /v1/accounts/{accountId}/transactions/{transactionId}", s.api(true, s.accountTransaction))
	mux.HandleFunc("GET "+RejectionsPath+"{requestId}", s.handleRejection)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		// Echoed when it is a UUID, as the file's header is; otherwise a
		// fresh one, so that no answer goes without.
		if rid := r.Header.Get("X-Request-ID"); uuid.Validate(rid) == nil && len(rid) == 36 {
			w.Header().Set("X-Request-ID", rid)
		} else {
			w.Header().Set("X-Request-ID", uuid.NewString())
		}
		var e *apiError
		if allow := allowed(r.URL.Path); allow != "" {
			w.Header().Set("Allow", allow)
			e = reject(http.StatusMethodNotAllowed, CodeServiceInvalid, fmt.Sprintf("%s is not allowed on %s (allowed: %s)", r.Method, r.URL.Path, allow))
		} else {
			e = reject(http.StatusNotFound, CodeResourceUnknown, fmt.Sprintf("no endpoint %s %s on this ASPSP", r.Method, r.URL.Path))
		}
		codeTo(w, e.Code())
		if !strings.HasPrefix(r.URL.Path, RejectionsPath) {
			s.remember(&call{w: w, r: r}, e.status, e)
		}
		writeAPIError(w, e)
	})
	return s.logged(mux)
}

// resources are the API's paths and their methods, for 405 answers.
var resources = []struct {
	re    *regexp.Regexp
	allow string
}{
	{regexp.MustCompile(`^/v1/consents$`), "POST"},
	{regexp.MustCompile(`^/v1/consents/[^/]+$`), "GET, DELETE"},
	{regexp.MustCompile(`^/v1/consents/[^/]+/status$`), "GET"},
	{regexp.MustCompile(`^/v1/consents/[^/]+/authorisations$`), "GET, POST"},
	{regexp.MustCompile(`^/v1/consents/[^/]+/authorisations/[^/]+$`), "GET, PUT"},
	{regexp.MustCompile(`^/v1/(card-)?accounts$`), "GET"},
	{regexp.MustCompile(`^/v1/card-accounts/[^/]+(/balances|/transactions)?$`), "GET"},
	{regexp.MustCompile(`^/v1/accounts/[^/]+(/balances|/transactions(/[^/]+)?)?$`), "GET"},
	{regexp.MustCompile(`^/oauth/token$`), "POST"},
	{regexp.MustCompile(`^/sandbox/v1/rejections/[^/]+$`), "GET"},
}

func allowed(path string) string {
	for _, r := range resources {
		if r.re.MatchString(path) {
			return r.allow
		}
	}
	return ""
}

// WebHandler serves the pages the PSU's browser visits.
func (s *Server) WebHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/oauth-authorization-server", s.handleMetadata)
	mux.HandleFunc("GET /oauth/authorize", s.handleAuthorize)
	mux.HandleFunc("POST /oauth/login", s.handleLogin)
	mux.HandleFunc("POST /oauth/decision", s.handleDecision)
	return s.logged(mux)
}
