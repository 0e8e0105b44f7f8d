package main_test

// `sign verify` of requests as people copy them: a HAR exported from browser
// devtools or Postman, and curl -v output. The signed requests come from
// `xs2a sign`; the curl -v output from running curl against a loopback server.

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// signedParts signs a request with `xs2a sign` and splits the message.
func signedParts(t *testing.T, dir, method, url, body string, extra ...string) (target string, headers [][2]string, gotBody string) {
	t.Helper()
	args := []string{"sign", "--key", fixture("qseal.key"), "--cert", fixture("qseal.pem"), "-X", method, "--url", url, "--format", "http"}
	if body != "" {
		args = append(args, "-d", body)
	}
	for _, h := range extra {
		args = append(args, "-H", h)
	}
	r := xs2a(t, dir, "", nil, args...)
	if r.code != 0 {
		t.Fatalf("sign: exit %d: %s", r.code, r.stderr)
	}
	head, b, ok := strings.Cut(r.stdout, "\r\n\r\n")
	if !ok {
		t.Fatalf("signed message has no blank line: %q", r.stdout)
	}
	ls := strings.Split(head, "\r\n")
	target = strings.Fields(ls[0])[1]
	for _, l := range ls[1:] {
		n, v, _ := strings.Cut(l, ": ")
		headers = append(headers, [2]string{n, v})
	}
	return target, headers, b
}

type harHeader struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

type harPost struct {
	MimeType string `json:"mimeType"`
	Text     string `json:"text"`
	Encoding string `json:"encoding,omitempty"`
}

type harReq struct {
	Method      string      `json:"method"`
	URL         string      `json:"url"`
	HTTPVersion string      `json:"httpVersion"`
	Headers     []harHeader `json:"headers"`
	QueryString []harHeader `json:"queryString"`
	Cookies     []any       `json:"cookies"`
	HeadersSize int         `json:"headersSize"`
	BodySize    int         `json:"bodySize"`
	PostData    *harPost    `json:"postData,omitempty"`
}

// chromeEntry is a request as Chrome's devtools export it over HTTP/2:
// pseudo-headers first, lower-case names, browser headers around the
// signed ones, and the response and timings a real export has.
func chromeEntry(method, url, path string, hs [][2]string, body string) map[string]any {
	req := harReq{Method: method, URL: url, HTTPVersion: "http/2.0", Cookies: []any{}, QueryString: []harHeader{}, HeadersSize: -1, BodySize: len(body)}
	req.Headers = []harHeader{{":authority", "bank.example"}, {":method", method}, {":path", path}, {":scheme", "https"},
		{"accept", "application/json"}, {"sec-ch-ua", `"Chromium";v="131", "Not_A Brand";v="24"`}}
	for _, h := range hs {
		if strings.EqualFold(h[0], "Host") {
			continue // HTTP/2 has :authority instead
		}
		req.Headers = append(req.Headers, harHeader{strings.ToLower(h[0]), h[1]})
	}
	req.Headers = append(req.Headers, harHeader{"user-agent", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"})
	if body != "" {
		req.PostData = &harPost{MimeType: "application/json", Text: body}
	}
	return map[string]any{
		"_initiator": map[string]any{"type": "script"}, "_priority": "High", "_resourceType": "fetch",
		"cache": map[string]any{}, "connection": "443", "pageref": "page_1",
		"request": req,
		"response": map[string]any{"status": 201, "statusText": "", "httpVersion": "http/2.0", "headers": []harHeader{{"content-type", "application/json"}},
			"cookies": []any{}, "content": map[string]any{"size": 2, "mimeType": "application/json", "text": "{}"}, "redirectURL": "", "headersSize": -1, "bodySize": -1},
		"serverIPAddress": "192.0.2.10", "startedDateTime": "2026-12-05T10:00:00.000Z", "time": 84.2,
		"timings": map[string]any{"blocked": 1.2, "dns": -1, "ssl": -1, "connect": -1, "send": 0.1, "wait": 80.3, "receive": 2.6},
	}
}

func writeHAR(t *testing.T, dir, name string, log map[string]any) string {
	t.Helper()
	b, err := json.MarshalIndent(map[string]any{"log": log}, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestSignVerifyHAR(t *testing.T) {
	dir := t.TempDir()
	body := `{"access":{"allPsd2":"allAccounts"},"recurringIndicator":true,"validUntil":"2099-12-31","frequencyPerDay":4}`
	url := "https://bank.example/v1/consents?withBalance=true"
	target, hs, b := signedParts(t, dir, "POST", url, body, "PSU-ID: psu-1")
	if b != body || target != "/v1/consents?withBalance=true" {
		t.Fatalf("sign gave target %q body %q", target, b)
	}
	tampered := strings.Replace(body, "4}", "40}", 1)
	token := []harHeader{{"content-type", "application/x-www-form-urlencoded"}}
	tokenReq := harReq{Method: "POST", URL: "https://bank.example/oauth/token", HTTPVersion: "http/2.0", Headers: token,
		Cookies: []any{}, QueryString: []harHeader{}, HeadersSize: -1, BodySize: 40,
		PostData: &harPost{MimeType: "application/x-www-form-urlencoded", Text: "grant_type=client_credentials&scope=AIS"}}
	chrome := writeHAR(t, dir, "chrome.har", map[string]any{
		"version": "1.2", "creator": map[string]any{"name": "WebInspector", "version": "537.36"},
		"pages": []any{map[string]any{"id": "page_1", "title": "https://tpp.example/", "startedDateTime": "2026-12-05T10:00:00.000Z", "pageTimings": map[string]any{}}},
		"entries": []any{
			chromeEntry("POST", url, target, hs, body),
			chromeEntry("POST", url, target, hs, tampered),
			map[string]any{"request": tokenReq, "startedDateTime": "2026-12-05T10:00:01.000Z", "time": 10},
		},
	})

	r := xs2a(t, dir, "", nil, "sign", "verify", chrome)
	if r.code != 6 {
		t.Fatalf("exit %d, want 6 (entry 2 is tampered)\n%s%s", r.code, r.stdout, r.stderr)
	}
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if len(lines) != 5 {
		t.Fatalf("want a read: line, 3 entry lines and a summary:\n%s", r.stdout)
	}
	if lines[0] != "read: HAR 1.2, 3 entries (Chrome 131)" {
		t.Errorf("read line %q", lines[0])
	}
	for i, re := range []string{
		`^1 +POST /v1/consents\?withBalance=true +VALID$`,
		`^2 +POST /v1/consents\?withBalance=true +INVALID digest`,
		`^3 +POST /oauth/token +not signed$`,
		`^3 entries for enfuce: 1 valid, 1 invalid, 1 not signed`,
	} {
		if !regexp.MustCompile(re).MatchString(lines[i+1]) {
			t.Errorf("line %d %q does not match %q", i+1, lines[i+1], re)
		}
	}

	// One entry in full: the normal diagnosis, naming the digest mismatch.
	r = xs2a(t, dir, "", nil, "sign", "verify", chrome, "--entry", "2")
	if r.code != 6 || !strings.HasPrefix(r.stdout, "read: HAR 1.2, 3 entries (Chrome 131), entry 2\nSignature check of POST /v1/consents?withBalance=true") {
		t.Fatalf("--entry 2: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stdout, "✗ Digest matches the body") || !strings.Contains(r.stdout, "✓ signature verifies") {
		t.Errorf("--entry 2 does not show the digest failing and the signature holding:\n%s", r.stdout)
	}
	r = xs2a(t, dir, "", nil, "sign", "verify", chrome, "--entry", "1")
	if r.code != 0 || !strings.Contains(r.stdout, "✓ Digest matches the body") {
		t.Errorf("--entry 1: exit %d\n%s", r.code, r.stdout)
	}
	// Every bank's verdict is for one entry; a whole HAR names one bank.
	r = xs2a(t, dir, "", nil, "sign", "verify", chrome, "--bank", "all")
	if r.code != 2 || !strings.Contains(r.stderr, "add --entry N") {
		t.Errorf("--bank all on a whole HAR: exit %d\n%s", r.code, r.stderr)
	}
	r = xs2a(t, dir, "", nil, "sign", "verify", chrome, "--bank", "all", "--entry", "1")
	if r.code != 0 || !regexp.MustCompile(`(?m)^adorsys +INVALID`).MatchString(r.stdout) || !regexp.MustCompile(`(?m)^enfuce +VALID`).MatchString(r.stdout) {
		t.Errorf("--bank all --entry 1: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}

	// JSON lists every entry.
	r = xs2a(t, dir, "", nil, "sign", "verify", chrome, "-o", "json")
	var rep struct {
		Format, Creator string
		Entries         []struct {
			Index         int
			Path, Verdict string
			FailedCheck   string `json:"failed_check"`
		}
	}
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil || r.code != 6 {
		t.Fatalf("-o json: exit %d, %v\n%s", r.code, err, r.stdout)
	}
	if rep.Format != "har" || len(rep.Entries) != 3 || rep.Entries[0].Verdict != "valid" || rep.Entries[1].FailedCheck != "digest" ||
		rep.Entries[2].Verdict != "not signed" || rep.Entries[2].Path != "/oauth/token" {
		t.Errorf("-o json: %+v", rep)
	}
	r = xs2a(t, dir, "", nil, "sign", "verify", chrome, "--entry", "2", "-o", "json")
	var one struct {
		Format string
		Entry  int
		Valid  bool
	}
	if err := json.Unmarshal([]byte(r.stdout), &one); err != nil || one.Format != "har" || one.Entry != 2 || one.Valid {
		t.Errorf("--entry 2 -o json: %v %+v\n%s", err, one, r.stdout)
	}

	// Postman: HTTP/1.1, names as typed, the body base64 with its encoding.
	var pmHeaders []harHeader
	for _, h := range hs {
		pmHeaders = append(pmHeaders, harHeader{h[0], h[1]})
	}
	postman := writeHAR(t, dir, "postman.har", map[string]any{
		"version": "1.2", "creator": map[string]any{"name": "Postman", "version": "v11"},
		"entries": []any{map[string]any{"request": harReq{Method: "POST", URL: url, HTTPVersion: "HTTP/1.1", Headers: pmHeaders,
			Cookies: []any{}, QueryString: []harHeader{{"withBalance", "true"}}, BodySize: len(body),
			PostData: &harPost{MimeType: "application/json", Text: base64.StdEncoding.EncodeToString([]byte(body)), Encoding: "base64"}}}},
	})
	r = xs2a(t, dir, "", nil, "sign", "verify", postman)
	if r.code != 0 || !regexp.MustCompile(`(?m)^1 +POST /v1/consents\?withBalance=true +VALID$`).MatchString(r.stdout) ||
		!strings.HasPrefix(r.stdout, "read: HAR 1.2, 1 entry (Postman v11)") {
		t.Errorf("postman HAR: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}

	// A browser that left the body out: the signature is checked, the Digest
	// is not, and the line says so; --body supplies it for one entry.
	noBody := chromeEntry("POST", url, target, hs, "")
	noBody["request"].(harReq).Headers[0].Value = "bank.example" // :authority
	nb := noBody["request"].(harReq)
	nb.BodySize = len(body)
	noBody["request"] = nb
	firefox := writeHAR(t, dir, "firefox.har", map[string]any{"version": "1.2", "creator": map[string]any{"name": "Firefox", "version": "133.0"},
		"browser": map[string]any{"name": "Firefox", "version": "133.0"}, "entries": []any{noBody}})
	r = xs2a(t, dir, "", nil, "sign", "verify", firefox)
	if r.code != 0 || !strings.Contains(r.stdout, "VALID (Digest not checked: the HAR holds no body)") || !strings.HasPrefix(r.stdout, "read: HAR 1.2, 1 entry (Firefox 133.0)") {
		t.Errorf("HAR without the body: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	bodyFile := filepath.Join(dir, "body.json")
	_ = os.WriteFile(bodyFile, []byte(tampered), 0o600)
	r = xs2a(t, dir, "", nil, "sign", "verify", firefox, "--entry", "1", "--body", bodyFile)
	if r.code != 6 || !strings.Contains(r.stdout, "✗ Digest matches the body") {
		t.Errorf("HAR entry with another --body: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}

	// Bad input: one clear line, exit 2.
	for _, tt := range []struct {
		name, content string
		args          []string
		want          string
	}{
		{"not har", `{"hello":"world"}`, nil, `not a HAR file: there is no log.entries`},
		{"broken json", `{"log":{"entries":[`, nil, `not a HAR file`},
		{"entry out of range", "", []string{"--entry", "9"}, `--entry 9: .* has entries 1 to 3`},
		{"body without entry", "", []string{"--body", chrome}, `--body is for one request`},
		{"entry with raw http", "POST /v1/consents HTTP/1.1\r\nHost: x\r\n\r\n", []string{"--entry", "1"}, `--entry is for HAR files; .* is a raw HTTP request`},
		{"curl trace", "== Info: Trying 127.0.0.1\n=> Send header, 80 bytes (0x50)\n", nil, `curl --trace output, which is not read`},
	} {
		p := chrome
		if tt.content != "" {
			p = filepath.Join(dir, "bad.har")
			_ = os.WriteFile(p, []byte(tt.content), 0o600)
		}
		r := xs2a(t, dir, "", nil, append([]string{"sign", "verify", p}, tt.args...)...)
		if r.code != 2 || r.stdout != "" || strings.Count(r.stderr, "\n") != 1 || !regexp.MustCompile(tt.want).MatchString(r.stderr) {
			t.Errorf("%s: exit %d stderr %q stdout %q; want exit 2 and %q", tt.name, r.code, r.stderr, r.stdout, tt.want)
		}
	}
}

// A HAR is bounded: a file beyond 64 MiB is refused before it is decoded.
// The file is sparse, so the test costs no disk.
func TestSignVerifyHARTooLarge(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "huge.har")
	fh, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := fh.Truncate(64<<20 + 1); err != nil {
		t.Fatal(err)
	}
	_ = fh.Close()
	r := xs2a(t, dir, "", nil, "sign", "verify", p)
	if r.code != 2 || !strings.Contains(r.stderr, "is larger than 64 MiB") || r.stdout != "" {
		t.Errorf("exit %d stderr %q", r.code, r.stderr)
	}
}

// What a HAR says is data: escape sequences in its URLs and headers reach
// the terminal escaped.
func TestSignVerifyHAREscapes(t *testing.T) {
	dir := t.TempDir()
	p := writeHAR(t, dir, "evil.har", map[string]any{"version": "1.2\x1b]0;pwned\x07", "creator": map[string]any{"name": "\x1b[2J"},
		"entries": []any{
			map[string]any{"request": map[string]any{"method": "GET", "url": "https://x/\x1b[31mred", "headers": []any{}}},
			map[string]any{"request": map[string]any{"method": "POST", "url": "https://x/a%1b", "headers": []any{
				map[string]string{"name": "Signature", "value": "keyId=\"\x1b]8;;http://evil\x07\",signature=\"x\""}}}},
		}})
	for _, args := range [][]string{{p}, {p, "--entry", "2"}} {
		r := xs2a(t, dir, "", nil, append([]string{"sign", "verify"}, args...)...)
		if r.code != 6 || strings.ContainsAny(r.stdout+r.stderr, "\x1b\x07") || !strings.Contains(r.stdout, `\x1b`) {
			t.Errorf("%v: exit %d\n%q\n%q", args, r.code, r.stdout, r.stderr)
		}
	}
}

func TestSignVerifyCurlV(t *testing.T) {
	curl, err := exec.LookPath("curl")
	if err != nil {
		t.Skip("curl is not installed; CI installs it to run this test")
	}
	dir := t.TempDir()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write([]byte(`{"consentStatus":"received"}`))
	}))
	defer srv.Close()
	body := `{"access":{"allPsd2":"allAccounts"},"recurringIndicator":false,"validUntil":"2099-12-31","frequencyPerDay":1}`
	_, hs, _ := signedParts(t, dir, "POST", srv.URL+"/v1/consents", body)
	bodyFile := filepath.Join(dir, "consent.json")
	if err := os.WriteFile(bodyFile, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	args := []string{"-sS", "-v", "-o", os.DevNull, "-X", "POST", "--data-binary", "@" + bodyFile}
	for _, h := range hs {
		if strings.EqualFold(h[0], "Host") || strings.EqualFold(h[0], "Content-Length") {
			continue // curl writes these itself
		}
		args = append(args, "-H", h[0]+": "+h[1])
	}
	cmd := exec.Command(curl, append(args, srv.URL+"/v1/consents")...)
	cmd.Env = []string{"HOME=" + dir, "PATH=" + os.Getenv("PATH")} // no ~/.curlrc
	var trace strings.Builder
	cmd.Stderr = &trace
	if err := cmd.Run(); err != nil {
		t.Fatalf("curl: %v\n%s", err, trace.String())
	}
	out := trace.String()
	if !strings.Contains(out, "> POST /v1/consents HTTP/1.1") || !strings.Contains(out, "< HTTP/1.1 201") {
		t.Fatalf("curl -v output is not what this test expects:\n%s", out)
	}

	r := xs2a(t, dir, out, nil, "sign", "verify", "-", "--body", bodyFile)
	if r.code != 0 || !strings.HasPrefix(r.stdout, "read: curl -v output, body from "+bodyFile) || !strings.Contains(r.stdout, "✓ Digest matches the body") ||
		!strings.Contains(r.stdout, "VALID") {
		t.Errorf("curl -v with --body: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	// Without the body the signature is still checked; the Digest is skipped, and says why.
	r = xs2a(t, dir, out, nil, "sign", "verify", "-")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "read: curl -v output\n") || !strings.Contains(r.stdout, "curl -v does not show the body") ||
		!strings.Contains(r.stdout, "✓ signature verifies") {
		t.Errorf("curl -v without --body: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	// Another body than the one sent: the digest fails.
	other := filepath.Join(dir, "other.json")
	_ = os.WriteFile(other, []byte(strings.Replace(body, "1}", "2}", 1)), 0o600)
	r = xs2a(t, dir, out, nil, "sign", "verify", "-", "--body", other, "-o", "json")
	var d struct {
		Format string
		Valid  bool
		Checks []struct{ ID, Status string }
	}
	if err := json.Unmarshal([]byte(r.stdout), &d); err != nil || r.code != 6 || d.Format != "curl" || d.Valid {
		t.Fatalf("curl -v with another body: exit %d %v %+v", r.code, err, d)
	}
	for _, c := range d.Checks {
		if (c.ID == "digest") != (c.Status == "fail") {
			t.Errorf("check %s is %s; want only the digest failing", c.ID, c.Status)
		}
	}
	// A tampered header in the pasted output.
	r = xs2a(t, dir, strings.Replace(out, "X-Request-ID: ", "X-Request-ID: 0", 1), nil, "sign", "verify", "-", "--body", bodyFile)
	if r.code != 6 {
		t.Errorf("tampered curl -v output: exit %d\n%s", r.code, r.stdout)
	}
}
