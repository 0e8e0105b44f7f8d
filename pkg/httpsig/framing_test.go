package httpsig

import (
	"testing"

	"github.com/xs2a-dev/xs2a/pkg/httpmsg"
)

// TestDigestOverChunkFraming: a signer that digests a chunked body as read
// from the wire is named, and the same request digested over its content
// verifies.
func TestDigestOverChunkFraming(t *testing.T) {
	tc := newTestCert(t)
	raw := "POST /v1/consents HTTP/1.1\r\nHost: h\r\nX-Request-ID: 99391c7e-ad88-49ec-a2ad-99ddcb1f7721\r\nTransfer-Encoding: chunked\r\n\r\n" +
		"5\r\n{\"a\":\r\n2;x=1\r\n1}\r\n0\r\n\r\n"
	m, err := httpmsg.Parse([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	wrong := m.Clone()
	wrong.Body = m.Framed
	if _, err := (&Signer{Key: tc.Key, Cert: tc.Cert}).Sign(wrong); err != nil {
		t.Fatal(err)
	}
	for _, h := range []string{"Digest", "Signature", "TPP-Signature-Certificate"} {
		m.Set(h, wrong.Get(h))
	}
	d := Verify(m, VerifyOptions{})
	if d.Valid || len(d.Causes) != 1 || d.Causes[0].ID != "digest-over-chunk-framing" {
		t.Fatalf("valid %v, causes %+v; want digest-over-chunk-framing", d.Valid, d.Causes)
	}
	right := m.Clone()
	if _, err := (&Signer{Key: tc.Key, Cert: tc.Cert}).Sign(right); err != nil {
		t.Fatal(err)
	}
	if d := Verify(right, VerifyOptions{}); !d.Valid {
		t.Errorf("digest over the content: %+v", d.Checks)
	}
}
