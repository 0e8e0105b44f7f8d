package xs2a_test

import (
	"reflect"
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
