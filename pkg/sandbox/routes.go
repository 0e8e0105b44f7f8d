package sandbox

import (
	"fmt"
	"net/http"
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
	mux.Handle("GET /v1/card-accounts", s.api(true, s.listCards))
	mux.Handle("GET /v1/card-accounts/{accountId}", s.api(true, s.getCard))
	mux.Handle("GET /v1/card-accounts/{accountId}/balances", s.api(true, s.cardBalances))
	mux.Handle("GET /v1/card-accounts/{accountId}/transactions", s.api(true, s.cardTransactions))
	mux.Handle("GET /v1/accounts", s.api(true, s.listAccounts))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		codeTo(w, CodeResourceUnknown)
		writeAPIError(w, reject(http.StatusNotFound, CodeResourceUnknown, fmt.Sprintf("no endpoint %s %s on this ASPSP", r.Method, r.URL.Path)))
	})
	return s.logged(mux)
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
