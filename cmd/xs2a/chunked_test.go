package main_test

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/xs2a-dev/xs2a/pkg/httpmsg"
	"github.com/xs2a-dev/xs2a/pkg/httpsig"
	"github.com/xs2a-dev/xs2a/pkg/pemfile"
)

const chunkedConsent = `{"access":{"allPsd2":"allAccounts"},"recurringIndicator":true}`

// A request as Node's http module sends a streamed JSON body: Transfer-Encoding:
// chunked, the content in two chunks, one with an extension, and a trailer.
var nodeChunked = "POST /v1/consents HTTP/1.1\r\nHost: bank.example\r\nContent-Type: application/json\r\n" +
	"X-Request-ID: 99391c7e-ad88-49ec-a2ad-99ddcb1f7721\r\nTransfer-Encoding: chunked\r\n\r\n" +
	"10;src=node\r\n" + chunkedConsent[:16] + "\r\n" +
	strings.ToUpper(strconv.FormatInt(int64(len(chunkedConsent)-16), 16)) + "\r\n" + chunkedConsent[16:] + "\r\n0\r\nX-Checksum: abc\r\n\r\n"

func TestSignChunkedRequestThroughTheBinary(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "chunked.http"), []byte(nodeChunked), 0o600); err != nil {
		t.Fatal(err)
	}
	r := xs2a(t, dir, "", nil, "sign", "--request", "chunked.http", "--key", fixture("qseal.key"), "--cert", fixture("qseal.pem"), "--format", "http")
	if r.code != 0 {
		t.Fatalf("sign: exit %d: %s", r.code, r.stderr)
	}
	sum := sha256.Sum256([]byte(chunkedConsent))
	digest := "Digest: SHA-256=" + base64.StdEncoding.EncodeToString(sum[:])
	if !strings.Contains(r.stdout, digest+"\r\n") {
		t.Errorf("the Digest is not over the content (want %q):\n%s", digest, r.stdout)
	}
	if strings.Contains(strings.ToLower(r.stdout), "transfer-encoding") || !strings.Contains(r.stdout, "Content-Length: 62\r\n") ||
		!strings.HasSuffix(r.stdout, "\r\n\r\n"+chunkedConsent) {
		t.Errorf("the signed message is not re-framed with Content-Length:\n%s", r.stdout)
	}
	for _, want := range []string{"de-chunked", "Content-Length: 62 instead of Transfer-Encoding: chunked", "trailer field(s) X-Checksum are ignored"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
	// What a bank reads: net/http's reader takes the same body.
	hr, err := http.ReadRequest(bufio.NewReader(strings.NewReader(r.stdout)))
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := io.ReadAll(hr.Body); string(b) != chunkedConsent {
		t.Errorf("net/http reads the signed body as %q", b)
	}
	v := xs2a(t, dir, r.stdout, nil, "sign", "verify", "-")
	if v.code != 0 || !strings.Contains(v.stdout, "VALID") {
		t.Fatalf("sign --request chunked.http | sign verify -: exit %d\n%s%s", v.code, v.stdout, v.stderr)
	}

	// Content-Length and Transfer-Encoding together: refused, one line.
	both := strings.Replace(nodeChunked, "Transfer-Encoding: chunked\r\n", "Content-Length: 62\r\nTransfer-Encoding: chunked\r\n", 1)
	for _, args := range [][]string{{"sign", "verify", "-"}, {"sign", "--request", "-", "--key", fixture("qseal.key"), "--cert", fixture("qseal.pem")}} {
		r := xs2a(t, dir, both, nil, args...)
		if r.code != 2 || !strings.Contains(r.stderr, "request smuggling") || strings.Count(r.stderr, "\n") != 1 {
			t.Errorf("%v with Content-Length and chunked: exit %d, stderr %q; want 2 and one line naming request smuggling", args, r.code, r.stderr)
		}
	}
	// Broken framing names the byte offset.
	broken := strings.Replace(nodeChunked, "10;src=node", "11;src=node", 1)
	r = xs2a(t, dir, broken, nil, "sign", "verify", "-")
	if off := strings.Index(nodeChunked, "10;src=node"); r.code != 2 || !strings.Contains(r.stderr, "chunked body") || !strings.Contains(r.stderr, "byte offset") {
		t.Errorf("malformed chunks: exit %d, %q; want 2 naming the offset after %d", r.code, r.stderr, off)
	}
}

// TestVerifyChunkedFromRealClient signs with the project's httpsig.Transport
// inside Go's net/http client, which frames the body with real chunks (as a
// streaming client does, when the length is not known up front), captures the
// bytes on a loopback listener, and has `sign verify` judge them.
func TestVerifyChunkedFromRealClient(t *testing.T) {
	key, err := pemfile.ReadRSAKey(fixture("qseal.key"))
	if err != nil {
		t.Fatal(err)
	}
	cert, err := pemfile.ReadCertificate(fixture("qseal.pem"))
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	captured := make(chan []byte, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			captured <- nil
			return
		}
		defer c.Close()
		var raw bytes.Buffer
		req, err := http.ReadRequest(bufio.NewReader(io.TeeReader(c, &raw)))
		if err == nil {
			_, _ = io.Copy(io.Discard, req.Body)
		}
		_, _ = io.WriteString(c, "HTTP/1.1 201 Created\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
		captured <- raw.Bytes()
	}()
	streaming := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		// The length unknown, as for a streamed body: net/http chunks it.
		r.ContentLength, r.TransferEncoding = -1, []string{"chunked"}
		return (&http.Transport{}).RoundTrip(r)
	})
	client := &http.Client{Transport: &httpsig.Transport{Signer: &httpsig.Signer{Key: key, Cert: cert, AddRequestID: true}, Base: streaming}}
	resp, err := client.Post("http://"+ln.Addr().String()+"/v1/consents", "application/json", strings.NewReader(chunkedConsent))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	raw := <-captured
	if !bytes.Contains(raw, []byte("Transfer-Encoding: chunked\r\n")) || !bytes.HasSuffix(raw, []byte("\r\n\r\n3e\r\n"+chunkedConsent+"\r\n0\r\n\r\n")) {
		t.Fatalf("the client did not send real chunks:\n%q", raw)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "captured.http"), raw, 0o600); err != nil {
		t.Fatal(err)
	}
	v := xs2a(t, dir, "", nil, "sign", "verify", "captured.http")
	if v.code != 0 || !strings.Contains(v.stdout, "VALID") || !strings.Contains(v.stdout, "over 62 body bytes") {
		t.Fatalf("sign verify of a chunked request from net/http: exit %d\n%s%s", v.code, v.stdout, v.stderr)
	}
	if v.stderr != "" {
		t.Errorf("a cleanly chunked request gave warnings: %q", v.stderr)
	}
}

// TestVerifyNamesDigestOverChunkFraming: what xs2a sign --request wrote for
// a chunked request before it de-chunked (a Digest over the framing), as
// bytes, is INVALID with the cause named.
func TestVerifyNamesDigestOverChunkFraming(t *testing.T) {
	key, err := pemfile.ReadRSAKey(fixture("qseal.key"))
	if err != nil {
		t.Fatal(err)
	}
	cert, err := pemfile.ReadCertificate(fixture("qseal.pem"))
	if err != nil {
		t.Fatal(err)
	}
	m, err := httpmsg.Parse([]byte(nodeChunked))
	if err != nil {
		t.Fatal(err)
	}
	m.Body = m.Framed // the old reader's body: the framing
	if _, err := (&httpsig.Signer{Key: key, Cert: cert}).Sign(m); err != nil {
		t.Fatal(err)
	}
	head, _, _ := strings.Cut(nodeChunked, "\r\n\r\n")
	signed := head + "\r\nDigest: " + m.Get("Digest") + "\r\nSignature: " + m.Get("Signature") +
		"\r\nTPP-Signature-Certificate: " + m.Get("TPP-Signature-Certificate") + "\r\n\r\n" + string(m.Framed)
	v := xs2a(t, t.TempDir(), signed, nil, "sign", "verify", "-")
	if v.code != 6 || !strings.Contains(v.stdout, "the digest was computed over the chunked body as framed") {
		t.Errorf("exit %d; want 6 naming the framing\n%s%s", v.code, v.stdout, v.stderr)
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestVerifyWarnsOfABodyWithoutFraming(t *testing.T) {
	dir := t.TempDir()
	s := xs2a(t, dir, "", nil, "sign", "--key", fixture("qseal.key"), "--cert", fixture("qseal.pem"), "-X", "POST",
		"--url", "https://bank.example/v1/consents", "-d", chunkedConsent, "--format", "http")
	if s.code != 0 {
		t.Fatal(s.stderr)
	}
	noCL := strings.Replace(s.stdout, "Content-Length: 62\r\n", "", 1)
	v := xs2a(t, dir, noCL, nil, "sign", "verify", "-")
	if v.code != 0 || !strings.Contains(v.stderr, "warning: no Content-Length and no Transfer-Encoding") || !strings.Contains(v.stderr, "send Content-Length: 62") {
		t.Errorf("verify of a body without framing: exit %d, stderr %q", v.code, v.stderr)
	}
}
