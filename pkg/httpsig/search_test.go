package httpsig

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"

	"github.com/xs2a-dev/xs2a/pkg/httpmsg"
)

// TestMistakeSearchLinear: a TPP signs, with its own QSealC's key, some
// other string, and lists one header n times in the headers parameter (a
// few thousand fit in the 64 KB a server takes). The search for the usual
// mistakes built a signing string of n-1 headers for each of the n (pass
// 3): n=4000 kept the sandbox's CPU busy 14 seconds for one 52 KB request.
// The work must grow with n, not n²: allocations (not time) are compared.
func TestMistakeSearchLinear(t *testing.T) {
	tc := newTestCert(t)
	h := sha256.Sum256([]byte("not the signing string"))
	sig, err := rsa.SignPKCS1v15(rand.Reader, tc.Key, crypto.SHA256, h[:])
	if err != nil {
		t.Fatal(err)
	}
	kid, _ := KeyID(tc.Cert, DefaultKeyIDFormat)
	request := func(n int) *httpmsg.Request {
		m := sampleRequest()
		m.Set("Digest", Digest(DigestSHA256, m.Body))
		m.Set("TPP-Signature-Certificate", base64.StdEncoding.EncodeToString(tc.Cert.Raw))
		list := "digest " + strings.TrimSpace(strings.Repeat("x-request-id ", n))
		m.Set("Signature", fmt.Sprintf(`keyId=%q,algorithm="rsa-sha256",headers=%q,signature=%q`, kid, list, base64.StdEncoding.EncodeToString(sig)))
		return m
	}
	allocs := func(n int) float64 {
		m := request(n)
		d := Verify(m, VerifyOptions{})
		if d.Valid || d.Check(CheckSignature).Status != Fail {
			t.Fatalf("n=%d: %+v", n, d.Check(CheckSignature))
		}
		return testing.AllocsPerRun(1, func() { Verify(m, VerifyOptions{}) })
	}
	small, large := allocs(200), allocs(1600)
	t.Logf("allocations: %.0f for 200 headers, %.0f for 1600", small, large)
	if large > 16*small {
		t.Errorf("8 times the headers listed cost %.0f times the allocations (%.0f against %.0f): the search is not linear", large/small, large, small)
	}
}
