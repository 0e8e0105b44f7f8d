package httpsig

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/xs2a-dev/xs2a/pkg/httpmsg"
)

func TestTransportSignsWithoutTouchingTheCallersRequest(t *testing.T) {
	tc := newTestCert(t)
	var got *httpmsg.Request
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m, err := httpmsg.FromHTTP(r)
		if err != nil {
			t.Error(err)
		}
		got = m
	}))
	defer srv.Close()
	client := &http.Client{Transport: &Transport{Signer: &Signer{Key: tc.Key, Cert: tc.Cert}}}

	body := `{"access":{"allPsd2":"allAccounts"}}`
	req, _ := http.NewRequest("POST", srv.URL+"/v1/consents", strings.NewReader(body))
	req.Header.Set("PSU-ID", "1345611")
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()

	if req.Header.Get("Signature") != "" || req.Header.Get("X-Request-ID") != "" {
		t.Error("the caller's request was modified")
	}
	if string(got.Body) != body {
		t.Errorf("server received body %q", got.Body)
	}
	if err := uuid.Validate(got.Get("X-Request-ID")); err != nil {
		t.Errorf("X-Request-ID %q is not a UUID", got.Get("X-Request-ID"))
	}
	d := Verify(got, VerifyOptions{})
	if !d.Valid {
		t.Fatalf("what the transport sent does not verify: %+v %+v", d.Checks, d.Causes)
	}
	if strings.Join(d.Headers, " ") != "x-request-id digest psu-id" {
		t.Errorf("signed headers %v", d.Headers)
	}

	// A request that already has an X-Request-ID keeps it; GET has the empty-body digest.
	req, _ = http.NewRequest("GET", srv.URL+"/v1/card-accounts", nil)
	req.Header.Set("X-Request-ID", "99391c7e-ad88-49ec-a2ad-99ddcb1f7721")
	resp, err = client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if got.Get("X-Request-ID") != "99391c7e-ad88-49ec-a2ad-99ddcb1f7721" || got.Get("Digest") != "SHA-256=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=" {
		t.Errorf("X-Request-ID %q, Digest %q", got.Get("X-Request-ID"), got.Get("Digest"))
	}
	if !Verify(got, VerifyOptions{}).Valid {
		t.Error("GET does not verify")
	}
}
