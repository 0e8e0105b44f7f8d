package httpsig

import "testing"

// A request whose body is not known (curl -v output) is judged on
// everything else: the Digest must be there and well-formed, its value is
// not compared with the empty body, and the signature still decides.
func TestVerifyBodyUnknown(t *testing.T) {
	tc := newTestCert(t)
	m := sampleRequest()
	if _, err := (&Signer{Key: tc.Key, Cert: tc.Cert}).Sign(m); err != nil {
		t.Fatal(err)
	}
	m.Body = nil
	const why = "curl -v does not show the body"
	if d := Verify(m, VerifyOptions{}); d.Valid || d.Check(CheckDigest).Status != Fail {
		t.Fatalf("without BodyUnknown an empty body must fail the digest: valid=%v", d.Valid)
	}
	d := Verify(m, VerifyOptions{BodyUnknown: why})
	c := d.Check(CheckDigest)
	if !d.Valid || c.Status != Skip || c.Detail != why || c.Got != m.Get("Digest") {
		t.Fatalf("valid=%v digest check %+v", d.Valid, c)
	}
	for _, c := range d.Causes {
		t.Errorf("a cause for a body that is not there: %+v", c)
	}

	// The signature still decides.
	bad := m.Clone()
	bad.Set("X-Request-ID", "00000000-0000-4000-8000-000000000000")
	if d := Verify(bad, VerifyOptions{BodyUnknown: why}); d.Valid || d.Check(CheckSignature).Status != Fail {
		t.Errorf("a tampered signed header is valid when the body is unknown")
	}
	// A malformed or missing Digest is still a failure.
	for _, v := range []string{"SHA-256", ""} {
		bad := m.Clone()
		if v == "" {
			bad.Del("Digest")
		} else {
			bad.Set("Digest", v)
		}
		if d := Verify(bad, VerifyOptions{BodyUnknown: why}); d.Valid || d.Check(CheckDigest).Status != Fail {
			t.Errorf("Digest %q passes when the body is unknown", v)
		}
	}
}
