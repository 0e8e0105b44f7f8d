package httpsig_test

import (
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/xs2a-dev/xs2a/pkg/httpmsg"
	"github.com/xs2a-dev/xs2a/pkg/httpsig"
	"github.com/xs2a-dev/xs2a/pkg/qcert"
)

// Sign a raw request with a QSealC the way a Berlin Group bank wants it,
// verify it, then add a newline to its body and let the verifier say which
// check failed and which mistake explains it.
func Example() {
	set, err := qcert.GenerateSet(qcert.Options{Org: qcert.DefaultOrg})
	if err != nil {
		log.Fatal(err)
	}
	msg, err := httpmsg.Parse([]byte("POST /v1/consents HTTP/1.1\r\n" +
		"Host: api.bank.example\r\n" +
		"X-Request-ID: 99391c7e-ad88-49ec-a2ad-99ddcb1f7721\r\n" +
		"Content-Type: application/json\r\n" +
		"Content-Length: 2\r\n" +
		"\r\n{}"))
	if err != nil {
		log.Fatal(err)
	}

	signer := &httpsig.Signer{Key: set.QSeal.Key, Cert: set.QSeal.Cert} // the Berlin Group profile
	signed, err := signer.Sign(msg)                                     // adds Digest, Signature, TPP-Signature-Certificate
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("signed:", signed.Params.Headers)
	fmt.Println("digest:", msg.Get("Digest"))

	d := httpsig.Verify(msg, httpsig.VerifyOptions{}) // the certificate comes from TPP-Signature-Certificate
	fmt.Println("valid:", d.Valid)

	msg.Body = append(msg.Body, '\n') // an editor added a final newline after signing
	msg.UseContentLength()
	d = httpsig.Verify(msg, httpsig.VerifyOptions{})
	check, detail, _ := d.Refusal()
	fmt.Println("valid:", d.Valid, "failed:", check)
	fmt.Println(detail)
	for _, c := range d.Causes {
		fmt.Println("cause:", c.Summary, "→", c.Fix)
	}
	// Output:
	// signed: [x-request-id digest]
	// digest: SHA-256=RBNvo1WzZ4oRRq0W9+hknpT7T8If536DEMBg9hyq/4o=
	// valid: true
	// valid: false failed: digest
	// SHA-256 of the 3 body bytes does not match (the bank answers SIGNATURE_INVALID or FORMAT_ERROR)
	// cause: the digest was computed over the body without its trailing newline, but the body sent ends with one → digest the body bytes exactly as sent (an editor or heredoc may add a final newline)
}

// A Transport signs every request an http.Client sends; here a test server
// verifies what arrives. In xs2a its Base is the mutual-TLS transport.
func ExampleTransport() {
	set, err := qcert.GenerateSet(qcert.Options{Org: qcert.DefaultOrg})
	if err != nil {
		log.Fatal(err)
	}
	bank := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		msg, err := httpmsg.FromHTTP(r)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		d := httpsig.Verify(msg, httpsig.VerifyOptions{})
		fmt.Fprintf(w, "valid=%v headers=%v", d.Valid, d.Headers)
	}))
	defer bank.Close()

	client := &http.Client{Transport: &httpsig.Transport{
		Signer: &httpsig.Signer{Key: set.QSeal.Key, Cert: set.QSeal.Cert},
		Base:   http.DefaultTransport,
	}}
	resp, err := client.Post(bank.URL+"/v1/consents", "application/json", strings.NewReader(`{"recurringIndicator":false}`))
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	if _, err := io.Copy(&b, resp.Body); err != nil {
		log.Fatal(err)
	}
	fmt.Println(b.String())
	// Output:
	// valid=true headers=[x-request-id digest]
}
