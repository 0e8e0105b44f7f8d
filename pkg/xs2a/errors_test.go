package xs2a_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/xs2a-dev/xs2a/pkg/xs2a"
)

// TestErrorBodyForms: each form of an error body is read on its own, so a
// field of another form with an unexpected type does not hide the
// tppMessages (pkg/signproxy and pkg/bundle read their codes through it too).
func TestErrorBodyForms(t *testing.T) {
	msg := xs2a.TPPMessage{Category: "ERROR", Code: "CONSENT_UNKNOWN", Text: "no such consent"}
	for _, tc := range []struct {
		body  string
		want  []xs2a.TPPMessage
		oauth string
	}{
		{`{"tppMessages":[{"category":"ERROR","code":"CONSENT_UNKNOWN","text":"no such consent"}],"code":404}`, []xs2a.TPPMessage{msg}, ""},
		{`{"tppMessages":[{"category":"ERROR","code":"CONSENT_UNKNOWN","text":"no such consent"}],"error":{"x":1}}`, []xs2a.TPPMessage{msg}, ""},
		{`{"tppMessages":{},"code":"CONSENT_UNKNOWN","title":"no such consent"}`, []xs2a.TPPMessage{msg}, ""},
		{`{"error":"invalid_grant","error_description":"code used","code":7}`, nil, "invalid_grant"},
		{`{"tppMessages":[{"code":5}]}`, nil, ""},
		{`not json`, nil, ""},
	} {
		b := xs2a.DecodeErrorBody([]byte(tc.body))
		if got := b.Messages(); !reflect.DeepEqual(got, tc.want) || b.OAuthError != tc.oauth {
			t.Errorf("%s: messages %+v, OAuth error %q; want %+v, %q", tc.body, got, b.OAuthError, tc.want, tc.oauth)
		}
		e := xs2a.ParseError(404, "", []byte(tc.body))
		if !reflect.DeepEqual(e.Messages, tc.want) || (len(tc.want) == 0) != (e.Body == tc.body) {
			t.Errorf("ParseError(%s) = %+v, body %q", tc.body, e.Messages, e.Body)
		}
	}
}

// TestHintsByPath: ROLE_INVALID names the role the path's service needs,
// and ACCESS_EXCEEDED blames frequencyPerDay only on a path read under a
// consent (not payments, funds confirmation or consent management).
func TestHintsByPath(t *testing.T) {
	for _, tc := range []struct{ path, role string }{
		{"/v1/accounts/a1/transactions", "PSP_AI"},
		{"/v1/consents/c1/status", "PSP_AI"},
		{"/v1/funds-confirmations", "PSP_IC"},
		{"/v2/consents/confirmation-of-funds", "PSP_IC"},
		{"/v2/consents/confirmation-of-funds/c1/status", "PSP_IC"},
		{"/v1/payments/sepa-credit-transfers", "PSP_PI"},
		{"/v1/periodic-payments/sepa-credit-transfers/p1/status", "PSP_PI"},
		{"/v1/bulk-payments/sepa-credit-transfers", "PSP_PI"},
		{"/v1/signing-baskets/b1", "PSP_PI"},
	} {
		e := &xs2a.APIError{Status: 401, Path: tc.path, Messages: []xs2a.TPPMessage{{Category: "ERROR", Code: "ROLE_INVALID"}}}
		if h := e.Hint(); !strings.Contains(h, "lack "+tc.role+",") {
			t.Errorf("%s: ROLE_INVALID hint %q, want %s", tc.path, h, tc.role)
		}
	}
	for _, tc := range []struct {
		path      string
		frequency bool
	}{
		{"/v1/accounts/a1/transactions", true},
		{"/v1/accounts", true},
		{"/v1/consents/c1", false},
		{"/v1/funds-confirmations", false},
		{"/v1/payments/sepa-credit-transfers/p1/status", false},
		{"/v1/periodic-payments/sepa-credit-transfers", false},
		{"/v1/bulk-payments/sepa-credit-transfers", false},
	} {
		e := &xs2a.APIError{Status: 429, Path: tc.path, Messages: []xs2a.TPPMessage{{Category: "ERROR", Code: "ACCESS_EXCEEDED"}}}
		if got := strings.Contains(e.Hint(), "frequencyPerDay is used up"); got != tc.frequency {
			t.Errorf("%s: ACCESS_EXCEEDED hint %q; frequencyPerDay named %t, want %t", tc.path, e.Hint(), got, tc.frequency)
		}
	}
}
