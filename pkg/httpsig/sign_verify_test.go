package httpsig

import (
	"strings"
	"testing"
)

func TestSignThenVerify(t *testing.T) {
	tc := newTestCert(t)
	m := sampleRequest()
	s := &Signer{Key: tc.Key, Cert: tc.Cert}
	res, err := s.Sign(m)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(res.Params.Headers, " "), "x-request-id digest"; got != want {
		t.Errorf("headers = %q; want %q", got, want)
	}
	if !strings.HasPrefix(res.Params.KeyID, "SN=00E62A8BB30907C2BA,CA=CN=Test%20QTSP%20CA%202-1,O=Test%20Trust%20Services,C=FI") {
		t.Errorf("keyId = %q", res.Params.KeyID)
	}
	d := Verify(m, VerifyOptions{})
	if !d.Valid {
		for _, c := range d.Checks {
			t.Logf("%s %s: %s (%s)", c.Status, c.ID, c.Detail, c.Got)
		}
		t.Fatalf("own signature does not verify; causes %+v", d.Causes)
	}
}
