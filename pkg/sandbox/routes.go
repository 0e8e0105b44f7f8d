package sandbox

import (
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/google/uuid"
)

// route is one endpoint of the API listener. The one list of them gives
// both the mux and the Allow header of the 405 answers, so that a new
// endpoint cannot be served without being allowed, or the reverse.
type route struct {
	method  string
	path    string // a ServeMux path: a {name} segment is any one segment
	handler http.Handler
}

// apiRoutes are the endpoints of the API listener.
func (s *Server) apiRoutes() []route {
	api := func(h apiHandler) http.Handler { return s.api(true, h) }
	rs := []route{
		{"GET", "/.well-known/oauth-authorization-server", http.HandlerFunc(s.handleMetadata)},
		{"POST", "/oauth/token", http.HandlerFunc(s.handleToken)},
		{"POST", "/v1/consents", api(s.createConsent)},
		{"GET", "/v1/consents/{consentId}", api(s.getConsent)},
		{"GET", "/v1/consents/{consentId}/status", api(s.consentStatus)},
		{"DELETE", "/v1/consents/{consentId}", api(s.deleteConsent)},
		{"POST", "/v1/consents/{consentId}/authorisations", api(s.startAuth(s.consentHolder))},
		{"GET", "/v1/consents/{consentId}/authorisations", api(s.listAuth(s.consentHolder))},
		{"GET", "/v1/consents/{consentId}/authorisations/{authorisationId}", api(s.authStatus(s.consentHolder))},
		{"PUT", "/v1/consents/{consentId}/authorisations/{authorisationId}", api(s.updatePSUData)},
		{"POST", "/v1/funds-confirmations", api(s.confirmFunds)},
		{"GET", "/v1/card-accounts", api(s.listCards)},
		{"GET", "/v1/card-accounts/{accountId}", api(s.getCard)},
		{"GET", "/v1/card-accounts/{accountId}/balances", api(s.cardBalances)},
		{"GET", "/v1/card-accounts/{accountId}/transactions", api(s.cardTransactions)},
		{"GET", "/v1/accounts", api(s.listAccounts)},
		{"GET", "/v1/accounts/{accountId}", api(s.getAccount)},
		{"GET", "/v1/accounts/{accountId}/balances", api(s.accountBalances)},
		{"GET", "/v1/accounts/{accountId}/transactions", api(s.accountTransactions)},
		{"GET", "/v1/accounts/{accountId}/transactions/{transactionId}", api(s.accountTransaction)},
		{"GET", RejectionsPath + "{requestId}", http.HandlerFunc(s.handleRejection)},
		// Signing baskets are not offered: every operation of the file's
		// answers 405 SERVICE_INVALID (payments.go).
		{"POST", "/v1/signing-baskets", api(s.signingBaskets)},
		{"GET", "/v1/signing-baskets/{basketId}", api(s.signingBaskets)},
		{"DELETE", "/v1/signing-baskets/{basketId}", api(s.signingBaskets)},
		{"GET", "/v1/signing-baskets/{basketId}/status", api(s.signingBaskets)},
		{"POST", "/v1/signing-baskets/{basketId}/authorisations", api(s.signingBaskets)},
		{"GET", "/v1/signing-baskets/{basketId}/authorisations", api(s.signingBaskets)},
		{"GET", "/v1/signing-baskets/{basketId}/authorisations/{authorisationId}", api(s.signingBaskets)},
		{"PUT", "/v1/signing-baskets/{basketId}/authorisations/{authorisationId}", api(s.signingBaskets)},
	}
	// PIS (payments.go): each service with {paymentProduct} checked by
	// the handlers (404 PRODUCT_UNKNOWN), so a wrong product is the
	// file's code rather than the mux's 404.
	for _, svc := range PaymentServices {
		base := "/v1/" + svc + "/{paymentProduct}"
		rs = append(rs,
			route{"POST", base, api(s.initiatePayment)},
			route{"GET", base + "/{paymentId}", api(s.getPayment)},
			route{"DELETE", base + "/{paymentId}", api(s.cancelPayment)},
			route{"GET", base + "/{paymentId}/status", api(s.paymentStatus)},
			route{"POST", base + "/{paymentId}/authorisations", api(s.startAuth(s.paymentHolder))},
			route{"GET", base + "/{paymentId}/authorisations", api(s.listAuth(s.paymentHolder))},
			route{"GET", base + "/{paymentId}/authorisations/{authorisationId}", api(s.authStatus(s.paymentHolder))},
			route{"POST", base + "/{paymentId}/cancellation-authorisations", api(s.startAuth(s.cancellationHolder))},
			route{"GET", base + "/{paymentId}/cancellation-authorisations", api(s.listAuth(s.cancellationHolder))},
			route{"GET", base + "/{paymentId}/cancellation-authorisations/{authorisationId}", api(s.authStatus(s.cancellationHolder))},
		)
	}
	return rs
}

// Handler serves the API and the token endpoint (the mutual-TLS listener).
func (s *Server) Handler() http.Handler {
	routes := s.apiRoutes()
	mux := http.NewServeMux()
	for _, rt := range routes {
		mux.Handle(rt.method+" "+rt.path, rt.handler)
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		// Echoed when it is a UUID, as the file's header is; otherwise a
		// fresh one, so that no answer goes without.
		if rid := r.Header.Get("X-Request-ID"); isUUID(rid) {
			w.Header().Set("X-Request-ID", rid)
		} else {
			w.Header().Set("X-Request-ID", uuid.NewString())
		}
		var e *apiError
		if allow := allowed(routes, r.URL.Path); allow != "" {
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

// methodOrder is the order of the methods in an Allow header (RFC 9110's).
var methodOrder = []string{"GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"}

// allowed is the Allow header for a path: the methods of the routes whose
// path matches it, "" when none does (a 404, not a 405).
func allowed(routes []route, path string) string {
	var methods []string
	for _, rt := range routes {
		if matches(rt.path, path) && !slices.Contains(methods, rt.method) {
			methods = append(methods, rt.method)
		}
	}
	slices.SortFunc(methods, func(a, b string) int { return slices.Index(methodOrder, a) - slices.Index(methodOrder, b) })
	return strings.Join(methods, ", ")
}

// matches reports whether path is one of pattern's: the same segments, a
// {name} segment standing for any non-empty one.
func matches(pattern, path string) bool {
	ps, xs := strings.Split(pattern, "/"), strings.Split(path, "/")
	if len(ps) != len(xs) {
		return false
	}
	for i, p := range ps {
		wild := strings.HasPrefix(p, "{") && strings.HasSuffix(p, "}")
		if (wild && xs[i] == "") || (!wild && p != xs[i]) {
			return false
		}
	}
	return true
}

// WebHandler serves the pages the PSU's browser visits.
func (s *Server) WebHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/oauth-authorization-server", s.handleMetadata)
	mux.HandleFunc("GET /oauth/authorize", s.handleAuthorize)
	mux.HandleFunc("POST /oauth/login", s.handleLogin)
	mux.HandleFunc("POST /oauth/decision", s.handleDecision)
	mux.HandleFunc("GET /psu/piis-consents", s.handlePIISGrantPage)
	mux.HandleFunc("POST /psu/piis-consents", s.handlePIISGrant)
	return s.logged(mux)
}
