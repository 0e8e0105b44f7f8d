package main_test

// A capture whose Content-Length exceeds the body it holds (issue 18 item
// 19): the Digest checks out over the bytes present, so sign verify says
// VALID, and now warns that the digest was computed over those bytes only.
// crypto/sha256 is the oracle that the Digest is the present bytes'.

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func TestSignVerifyWarnsContentLengthBeyondBody(t *testing.T) {
	dir := t.TempDir()
	body := `{"access":{"allPsd2":"allAccounts"},"recurringIndicator":false,"validUntil":"2099-12-31","frequencyPerDay":1}`
	url := "https://bank.example/v1/consents"
	target, hs, _ := signedParts(t, dir, "POST", url, body)
	declared := len(body) + 25
	var digest string
	for i, h := range hs {
		switch strings.ToLower(h[0]) {
		case "content-length":
			hs[i][1] = strconv.Itoa(declared) // the bytes sent; the capture kept fewer
		case "digest":
			digest = h[1]
		}
	}
	sum := sha256.Sum256([]byte(body))
	if digest != "SHA-256="+base64.StdEncoding.EncodeToString(sum[:]) {
		t.Fatalf("oracle: Digest %q is not SHA-256 of the %d bytes present", digest, len(body))
	}
	want := "Content-Length says " + strconv.Itoa(declared) + " bytes but the HAR entry holds only " + strconv.Itoa(len(body)) +
		": the Digest was computed over the " + strconv.Itoa(len(body)) + " bytes present"
	har := writeHAR(t, dir, "cut.har", map[string]any{"version": "1.2", "creator": map[string]any{"name": "WebInspector", "version": "537.36"},
		"entries": []any{chromeEntry("POST", url, target, hs, body)}})

	// The whole HAR: VALID with the warning on its line.
	r := xs2a(t, dir, "", nil, "sign", "verify", har)
	if r.code != 0 || !strings.Contains(r.stdout, "VALID (warning: "+want) {
		t.Errorf("whole HAR: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	// One entry: the warning on stderr, and in -o json.
	r = xs2a(t, dir, "", nil, "sign", "verify", har, "--entry", "1")
	if r.code != 0 || !strings.Contains(r.stderr, "warning: "+want) || !strings.Contains(r.stdout, "✓ Digest matches the body") {
		t.Errorf("--entry 1: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = xs2a(t, dir, "", nil, "sign", "verify", har, "--entry", "1", "-o", "json")
	var one struct {
		Valid           bool
		CaptureWarnings []string `json:"captureWarnings"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &one); err != nil || !one.Valid || len(one.CaptureWarnings) != 1 || !strings.Contains(one.CaptureWarnings[0], want) {
		t.Errorf("--entry 1 -o json: %v %+v\n%s", err, one, r.stdout)
	}

	// curl -v output with the body given by --body: the same warning.
	var curl strings.Builder
	curl.WriteString("*   Trying 127.0.0.1:443...\n> POST " + target + " HTTP/1.1\n")
	for _, h := range hs {
		curl.WriteString("> " + h[0] + ": " + h[1] + "\n")
	}
	curl.WriteString("> \n} [" + strconv.Itoa(len(body)) + " bytes data]\n< HTTP/1.1 201 Created\n< \n")
	cv, bf := filepath.Join(dir, "curl.txt"), filepath.Join(dir, "body.json")
	if err := os.WriteFile(cv, []byte(curl.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bf, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	r = xs2a(t, dir, "", nil, "sign", "verify", cv, "--body", bf)
	if r.code != 0 || !strings.Contains(r.stderr, "warning: Content-Length says "+strconv.Itoa(declared)+" bytes but the --body file holds only "+strconv.Itoa(len(body))) {
		t.Errorf("curl -v --body: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}

	// A capture whose Content-Length matches draws no warning.
	for i, h := range hs {
		if strings.EqualFold(h[0], "content-length") {
			hs[i][1] = strconv.Itoa(len(body))
		}
	}
	good := writeHAR(t, dir, "good.har", map[string]any{"version": "1.2", "creator": map[string]any{"name": "WebInspector", "version": "537.36"},
		"entries": []any{chromeEntry("POST", url, target, hs, body)}})
	r = xs2a(t, dir, "", nil, "sign", "verify", good, "--entry", "1")
	if r.code != 0 || strings.Contains(r.stderr+r.stdout, "Content-Length says") {
		t.Errorf("matching Content-Length: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}
