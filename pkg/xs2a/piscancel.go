package xs2a

import (
	"context"
	"net/http"
	"net/url"
)

// CancellationAuthorisations lists a payment's cancellation authorisations
// (GET .../cancellation-authorisations, the file's
// getPaymentInitiationCancellationAuthorisationInformation), oldest first
// as the bank lists them.
func (c *Client) CancellationAuthorisations(ctx context.Context, token, service, product, id string) ([]string, []byte, error) {
	if err := CheckPaymentPath(service, product); err != nil {
		return nil, nil, err
	}
	var out struct {
		AuthorisationIDs []string `json:"authorisationIds"`
	}
	resp, err := c.call(ctx, Request{Method: http.MethodGet, Path: paymentPath(service, product, id) + "/cancellation-authorisations", Token: token, APIKey: true, PSUIP: true}, http.StatusOK, &out)
	if err != nil {
		return nil, nil, err
	}
	return out.AuthorisationIDs, resp.Body, nil
}

// CancellationSCAStatus reads the scaStatus of a cancellation
// authorisation (GET .../cancellation-authorisations/{authorisationId},
// the file's getPaymentCancellationScaStatus).
func (c *Client) CancellationSCAStatus(ctx context.Context, token, service, product, id, authID string) (string, []byte, error) {
	if err := CheckPaymentPath(service, product); err != nil {
		return "", nil, err
	}
	var out struct {
		SCAStatus string `json:"scaStatus"`
	}
	path := paymentPath(service, product, id) + "/cancellation-authorisations/" + url.PathEscape(authID)
	resp, err := c.call(ctx, Request{Method: http.MethodGet, Path: path, Token: token, APIKey: true, PSUIP: true}, http.StatusOK, &out)
	if err != nil {
		return "", nil, err
	}
	return out.SCAStatus, resp.Body, nil
}
