package capture

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/xs2a-dev/xs2a/pkg/httpmsg"
)

const consentBody = `{"access":{"allPsd2":"allAccounts"},"recurringIndicator":true,"validUntil":"2099-12-31","frequencyPerDay":4}`

func h(name, value string) map[string]string { return map[string]string{"name": name, "value": value} }

// chromeHAR is shaped like a Chrome devtools export (Save all as HAR) of a
// TPP page calling a bank over HTTP/2: pseudo-headers, lower-case names, a
// token call without a signature, and a binary upload whose body Chrome
// left out.
func chromeHAR() []byte {
	entry := func(method, url, path string, headers []map[string]string, post map[string]any, bodySize int) map[string]any {
		hs := []map[string]string{h(":authority", "api.bank.example"), h(":method", method), h(":path", path), h(":scheme", "https")}
		hs = append(hs, headers...)
		req := map[string]any{"method": method, "url": url, "httpVersion": "http/2.0", "headers": hs, "queryString": []any{},
			"cookies": []any{}, "headersSize": -1, "bodySize": bodySize}
		if post != nil {
			req["postData"] = post
		}
		return map[string]any{"_resourceType": "fetch", "cache": map[string]any{}, "connection": "443", "pageref": "page_1",
			"request": req, "response": map[string]any{"status": 200, "httpVersion": "http/2.0", "headers": []any{},
				"content": map[string]any{"size": 0, "mimeType": "application/json"}},
			"startedDateTime": "2026-12-05T10:00:00.000Z", "time": 12.5, "timings": map[string]any{"send": 0.1, "wait": 11, "receive": 1.4}}
	}
	signed := []map[string]string{h("accept", "application/json"), h("content-type", "application/json"),
		h("x-request-id", "99391c7e-ad88-49ec-a2ad-99ddcb1f7721"), h("digest", "SHA-256=XjC/MlCfZV8TYlNtLFs2qGFxlWPGy5c4xz9Q/DNy1k8="),
		h("signature", `keyId="SN=1A,CA=CN=Test%20CA",algorithm="rsa-sha256",headers="x-request-id digest",signature="c2ln"`),
		h("tpp-signature-certificate", "MIIB"), h("user-agent", "Mozilla/5.0 Chrome/131.0.0.0")}
	log := map[string]any{"version": "1.2", "creator": map[string]any{"name": "WebInspector", "version": "537.36"},
		"pages": []any{map[string]any{"id": "page_1", "title": "TPP"}},
		"entries": []any{
			entry("POST", "https://api.bank.example/v1/consents?withBalance=true#frag", "/v1/consents?withBalance=true", signed,
				map[string]any{"mimeType": "application/json", "text": consentBody}, len(consentBody)),
			entry("POST", "https://api.bank.example/oauth/token", "/oauth/token", []map[string]string{h("content-type", "application/x-www-form-urlencoded")},
				map[string]any{"mimeType": "application/x-www-form-urlencoded", "text": "grant_type=client_credentials",
					"params": []any{map[string]string{"name": "grant_type", "value": "client_credentials"}}}, 29),
			entry("PUT", "https://api.bank.example/v1/upload", "/v1/upload", []map[string]string{h("content-length", "2048"), h("signature", "x")}, nil, 2048),
		}}
	b, _ := json.Marshal(map[string]any{"log": log})
	return b
}

// postmanHAR is shaped like a Postman export: HTTP/1.1, names as typed, a
// Host header of its own, the body base64 with its encoding.
func postmanHAR() []byte {
	log := map[string]any{"version": "1.2", "creator": map[string]any{"name": "Postman", "version": "v11"},
		"entries": []any{map[string]any{"request": map[string]any{
			"method": "POST", "url": "https://api.bank.example:8443/v1/payments/sepa-credit-transfers", "httpVersion": "HTTP/1.1",
			"headers":  []any{h("Host", "api.bank.example:8443"), h("X-Request-ID", "0e5f0e1c-9b57-4d35-8a5a-4c2c7b4a3d41"), h("Content-Type", "application/json")},
			"postData": map[string]any{"mimeType": "application/json", "text": base64.StdEncoding.EncodeToString([]byte(consentBody)), "encoding": "base64"},
		}}}}
	b, _ := json.Marshal(map[string]any{"log": log})
	return b
}

func TestParseHARChrome(t *testing.T) {
	raw := chromeHAR()
	if f := Detect(raw); f != FormatHAR {
		t.Fatalf("Detect = %s", f)
	}
	hr, err := ParseHAR(raw)
	if err != nil {
		t.Fatal(err)
	}
	if hr.Version != "1.2" || hr.Creator != "WebInspector 537.36" || hr.Browser != "Chrome 131" || len(hr.Entries) != 3 {
		t.Fatalf("%+v", hr)
	}
	e := hr.Entries[0]
	if e.Err != nil || !e.Signed || e.BodyOmitted {
		t.Fatalf("entry 1: %+v", e)
	}
	m := e.Request
	if m.Method != "POST" || m.Target != "/v1/consents?withBalance=true" || m.Proto != "HTTP/2" || string(m.Body) != consentBody {
		t.Errorf("entry 1 request %q %q %q body %q", m.Method, m.Target, m.Proto, m.Body)
	}
	if m.Header[0] != (httpmsg.Field{Name: "Host", Value: "api.bank.example"}) {
		t.Errorf("Host is not first, from :authority: %q", m.Header)
	}
	for _, f := range m.Header {
		if strings.HasPrefix(f.Name, ":") {
			t.Errorf("pseudo-header %q kept", f.Name)
		}
	}
	if m.Get("X-Request-ID") != "99391c7e-ad88-49ec-a2ad-99ddcb1f7721" {
		t.Errorf("x-request-id not found case-insensitively: %q", m.Header)
	}
	if e := hr.Entries[1]; e.Err != nil || e.Signed || string(e.Request.Body) != "grant_type=client_credentials" {
		t.Errorf("token entry: %+v", e)
	}
	if e := hr.Entries[2]; e.Err != nil || !e.Signed || !e.BodyOmitted || len(e.Request.Body) != 0 {
		t.Errorf("upload entry without its body: %+v", e)
	}
}

func TestParseHARPostman(t *testing.T) {
	hr, err := ParseHAR(append([]byte("\xef\xbb\xbf"), postmanHAR()...))
	if err != nil {
		t.Fatal(err)
	}
	m := hr.Entries[0].Request
	if string(m.Body) != consentBody {
		t.Errorf("base64 body not decoded: %q", m.Body)
	}
	if m.Proto != "HTTP/1.1" || m.Target != "/v1/payments/sepa-credit-transfers" || len(m.Values("Host")) != 1 || m.Get("Host") != "api.bank.example:8443" {
		t.Errorf("%q %q %q", m.Proto, m.Target, m.Header)
	}
}

func TestParseHARErrors(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{`{"foo":1}`, "no log.entries"},
		{`{"log":{}}`, "no log.entries"},
		{`{"log":{"entries":[`, "JSON syntax error"},
		{`{"log":{"entries":7}}`, "not a HAR file"},
		{`[]`, "not a HAR file"},
	} {
		if _, err := ParseHAR([]byte(tt.in)); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParseHAR(%s) = %v; want %q", tt.in, err, tt.want)
		}
	}
	many := `{"log":{"entries":[` + strings.Repeat(`{},`, MaxEntries) + `{}]}}`
	if _, err := ParseHAR([]byte(many)); err == nil || !strings.Contains(err.Error(), fmt.Sprintf("%d entries", MaxEntries+1)) {
		t.Errorf("more than MaxEntries: %v", err)
	}
	big := make([]byte, MaxBytes+1)
	if _, err := ParseHAR(big); err == nil || !strings.Contains(err.Error(), "larger than 64 MiB") {
		t.Errorf("more than MaxBytes: %v", err)
	}
	// Entry errors stay with their entry.
	raw := `{"log":{"entries":[{"request":{"method":"GET","url":"/relative","headers":[]}},` +
		`{"request":{"method":"GET","url":"https://x/","headers":[{"name":"Bad Name","value":"v"},{"name":"Signature","value":"s"}]}},` +
		`{"request":{"method":"GET","url":"https://x/","headers":[{"name":"X","value":"a\r\nInjected: 1"}]}},` +
		`{"request":{"method":"POST","url":"https://x/","postData":{"text":"%%%","encoding":"base64"}}},` +
		`{"request":{"method":"GET","url":"https://x?q=1"}},{}]}}`
	hr, err := ParseHAR([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []string{"not an absolute http(s) URL", "invalid header name", "line break", "not base64", "", "no request"} {
		e := hr.Entries[i]
		if want == "" {
			if e.Err != nil || e.Request.Target != "/?q=1" || e.Request.Get("Host") != "x" {
				t.Errorf("entry %d: %v %+v", i+1, e.Err, e.Request)
			}
			continue
		}
		if i == 1 && !e.Signed {
			t.Errorf("entry 2 carries a Signature after the bad header but is not Signed")
		}
		if e.Err == nil || !strings.Contains(e.Err.Error(), want) || e.Request != nil {
			t.Errorf("entry %d: %v; want %q", i+1, e.Err, want)
		}
	}
}

// curlV is curl 7.88 -v output of a signed POST, as pasted from a terminal.
const curlV = `Note: Unnecessary use of -X or --request, POST is already inferred.
*   Trying 127.0.0.1:8443...
* Connected to localhost (127.0.0.1) port 8443 (#0)
> POST /v1/consents HTTP/1.1
> Host: localhost:8443
> User-Agent: curl/7.88.1
> Accept: */*
> Content-Type: application/json
> X-Request-ID: 99391c7e-ad88-49ec-a2ad-99ddcb1f7721
> Digest: SHA-256=XjC/MlCfZV8TYlNtLFs2qGFxlWPGy5c4xz9Q/DNy1k8=
> Signature: keyId="SN=1A,CA=CN=Test%20CA",algorithm="rsa-sha256",headers="x-request-id digest",signature="c2ln"
> Content-Length: 36
> 
} [36 bytes data]
< HTTP/1.1 201 Created
< Content-Type: application/json
< 
* Connection #0 to host localhost left intact
`

func TestParseCurl(t *testing.T) {
	for name, in := range map[string]string{"lf": curlV, "crlf": strings.ReplaceAll(curlV, "\n", "\r\n")} {
		if f := Detect([]byte(in)); f != FormatCurl {
			t.Errorf("%s: Detect = %s", name, f)
		}
		c, err := ParseCurl([]byte(in))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		m := c.Request
		if c.Requests != 1 || m.Method != "POST" || m.Target != "/v1/consents" || len(m.Header) != 8 || m.Body != nil {
			t.Errorf("%s: %d %q %q %q", name, c.Requests, m.Method, m.Target, m.Header)
		}
		if m.Get("Content-Length") != "36" || m.Get("Signature") == "" {
			t.Errorf("%s: headers %q", name, m.Header)
		}
	}
	// -L following a redirect shows two requests; the first is read.
	two := curlV + "* Issue another request\n> GET /v1/consents/1 HTTP/1.1\n> Host: x\n> \n"
	c, err := ParseCurl([]byte(two))
	if err != nil || c.Requests != 2 || c.Request.Target != "/v1/consents" {
		t.Errorf("two requests: %v %+v", err, c)
	}
	for in, want := range map[string]string{
		"* Trying\n< HTTP/1.1 200 OK\n":               "no \"> METHOD",
		"> GET / HTTP/1.1\n> no colon here\n> \n":     "not \"Name: value\"",
		"== Info: Trying\n=> Send header, 10 bytes\n": "curl --trace",
	} {
		if _, err := ParseCurl([]byte(in)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseCurl(%q) = %v; want %q", in, err, want)
		}
	}
}

func TestDetect(t *testing.T) {
	for in, want := range map[string]Format{
		"POST /v1/consents HTTP/1.1\r\nHost: x\r\n\r\n{}": FormatHTTP,
		"\r\nGET /x\n":                   FormatHTTP,
		"\xef\xbb\xbf  {\"log\":{}}":     FormatHAR,
		"* Trying\n> GET / HTTP/2\n> \n": FormatCurl,
		"== Info: x\n":                   FormatCurl,
		"this is not http\n":             FormatHTTP,
		"":                               FormatHTTP,
	} {
		if got := Detect([]byte(in)); got != want {
			t.Errorf("Detect(%q) = %s; want %s", in, got, want)
		}
	}
}
