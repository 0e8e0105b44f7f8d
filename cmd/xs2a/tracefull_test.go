package main_test

// `-v` shows Signature and TPP-Signature-Certificate whole (issue 18 item
// 13): go-fed/httpsig verifies the request rebuilt from the trace alone,
// with the key of the certificate the trace shows. The sandbox's request
// log keeps the query string.

import (
	"crypto/x509"
	"encoding/base64"
	"net/http"
	"strings"
	"testing"
	"time"

	gofed "github.com/go-fed/httpsig"
)

// tracedRequest rebuilds the first request of a -v trace whose request
// line is "> METHOD URL" and whose path starts with pathPrefix: method, URL
// and the headers as traced.
func tracedRequest(t *testing.T, trace, method, pathPrefix string) *http.Request {
	t.Helper()
	var req *http.Request
	for _, line := range strings.Split(trace, "\n") {
		rest, ok := strings.CutPrefix(line, "> ")
		if !ok {
			if req != nil && !strings.HasPrefix(line, ">") {
				break
			}
			continue
		}
		if req == nil {
			m, u, _ := strings.Cut(rest, " ")
			if m != method || !strings.Contains(u, pathPrefix) {
				continue
			}
			r, err := http.NewRequest(m, strings.Fields(u)[0], nil)
			if err != nil {
				t.Fatalf("request line %q: %v", line, err)
			}
			req = r
			continue
		}
		if k, v, ok := strings.Cut(rest, ": "); ok {
			req.Header.Add(k, v)
		}
	}
	if req == nil {
		t.Fatalf("no traced %s %s in:\n%s", method, pathPrefix, trace)
	}
	return req
}

func TestVerboseTraceHoldsWholeSignature(t *testing.T) {
	needCurl(t)
	s := serveBinary(t)
	env := []string{"BROWSER=" + flowBrowser(t, s)}
	for _, args := range [][]string{{"token"}, {"consent", "create"}, {"authorize", "--exchange", "--timeout", "20s"}} {
		if r := s.run(env, args...); r.code != 0 {
			t.Fatalf("%v: exit %d\n%s", args, r.code, r.stderr)
		}
	}
	r := s.run(nil, "-v", "api", "GET", "/v1/accounts?withBalance=true")
	if r.code != 0 {
		t.Fatalf("api: exit %d\n%s", r.code, r.stderr)
	}
	req := tracedRequest(t, r.stderr, "GET", "/v1/accounts?withBalance=true")
	sig, certB64 := req.Header.Get("Signature"), req.Header.Get("TPP-Signature-Certificate")
	if sig == "" || certB64 == "" || strings.Contains(sig+certB64, "…") {
		t.Fatalf("Signature %q and TPP-Signature-Certificate %q not traced whole:\n%s", sig, certB64, r.stderr)
	}
	der, err := base64.StdEncoding.DecodeString(certB64)
	if err != nil {
		t.Fatalf("the traced certificate is not base64: %v", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatalf("the traced certificate does not parse: %v", err)
	}
	v, err := gofed.NewVerifier(req)
	if err != nil {
		t.Fatalf("go-fed cannot read the traced Signature %q: %v", sig, err)
	}
	if err := v.Verify(cert.PublicKey, gofed.RSA_SHA256); err != nil {
		t.Errorf("go-fed does not verify the request rebuilt from the trace: %v\n%s", err, r.stderr)
	}
	// The tokens stay redacted beside them.
	if a := req.Header.Get("Authorization"); !strings.HasPrefix(a, "Bearer [redacted") {
		t.Errorf("Authorization traced as %q", a)
	}
	// The sandbox's log line keeps the query.
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(s.log.String(), " GET /v1/accounts?withBalance=true 200 ") {
		if time.Now().After(deadline) {
			t.Fatalf("the sandbox's request log drops the query:\n%s", s.log.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}
