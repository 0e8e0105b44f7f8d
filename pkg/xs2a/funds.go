package xs2a

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
)

// FundsRequest is the file's confirmationOfFunds (the PIIS): is
// InstructedAmount available on Account now.
type FundsRequest struct {
	// CardNumber is the card the card-based payment instrument issuer
	// issued ("should be delivered if available").
	CardNumber       string           `json:"cardNumber,omitempty"`
	Account          AccountReference `json:"account"`
	Payee            string           `json:"payee,omitempty"`
	InstructedAmount Amount           `json:"instructedAmount"`
	// ConsentID, when set, goes in Consent-ID: the file comments the
	// header out for "the related extended services" (a PIIS consent the
	// TPP holds); without one no Consent-ID is sent.
	ConsentID string `json:"-"`
}

// FundsConfirmation is the bank's answer.
type FundsConfirmation struct {
	FundsAvailable bool   `json:"fundsAvailable"`
	RequestID      string `json:"-"`
}

// FundsConfirmation asks POST /v1/funds-confirmations with token (the
// client-credentials token, or a PIIS consent's) and the API key. An
// answer without fundsAvailable is an error, not "no funds": a script
// acting on the exit status must not read a broken answer as false.
func (c *Client) FundsConfirmation(ctx context.Context, token string, req FundsRequest) (*FundsConfirmation, error) {
	body, err := json.Marshal(req)
	if err != nil {
		return nil, err
	}
	var out struct {
		FundsAvailable *bool `json:"fundsAvailable"`
	}
	r := Request{Method: http.MethodPost, Path: "/funds-confirmations", Token: token, ConsentID: req.ConsentID, Body: body, APIKey: true}
	resp, err := c.call(ctx, r, http.StatusOK, &out)
	if err != nil {
		return nil, err
	}
	if out.FundsAvailable == nil {
		return nil, fmt.Errorf("the answer to POST /v1/funds-confirmations has no fundsAvailable")
	}
	if members(resp.Body, "fundsAvailable") > 1 {
		// Go keeps the last of repeated keys, other parsers the first
		// (RFC 8259 §4): the bank said yes and no.
		return nil, fmt.Errorf("the answer to POST /v1/funds-confirmations has fundsAvailable twice: no answer to act on")
	}
	return &FundsConfirmation{FundsAvailable: *out.FundsAvailable, RequestID: resp.RequestID}, nil
}

// members counts the top-level members named key of the JSON object b.
func members(b []byte, key string) int {
	dec := json.NewDecoder(bytes.NewReader(b))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return 0
	}
	n := 0
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return n
		}
		if k, _ := t.(string); k == key {
			n++
		}
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return n
		}
	}
	return n
}
