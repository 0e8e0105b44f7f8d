package capture

import (
	"strings"
	"testing"

	"github.com/xs2a-dev/xs2a/pkg/httpmsg"
)

// checkRequest holds for every request a parser returns: what the doctor
// and WriteTo rely on.
func checkRequest(t *testing.T, m *httpmsg.Request) {
	t.Helper()
	if !httpmsg.IsToken(m.Method) {
		t.Fatalf("method %q is not a token", m.Method)
	}
	if m.Target == "" || strings.ContainsAny(m.Target, " \t\r\n") {
		t.Fatalf("target %q", m.Target)
	}
	for _, f := range m.Header {
		if !httpmsg.IsToken(f.Name) {
			t.Fatalf("header name %q", f.Name)
		}
		if strings.ContainsAny(f.Value, "\r\n") {
			t.Fatalf("header value %q has a line break", f.Value)
		}
	}
}

func FuzzParseHAR(f *testing.F) {
	for _, s := range [][]byte{chromeHAR(), postmanHAR(),
		[]byte(`{"log":{"version":"1.2","entries":[{"request":{"method":"GET","url":"https://x/a?b#c","httpVersion":"h3","headers":[{"name":":authority","value":"y"}]}}]}}`),
		[]byte(`{"log":{"entries":[{"request":{"method":"POST","url":"http://x","postData":{"text":"e30=","encoding":"base64"},"bodySize":2}}]}}`),
		[]byte(`{"log":{"entries":[{"request":{"method":"PUT","url":"https://x/","headers":[{"name":"Content-Length","value":"5"}]}}]}}`),
		[]byte(`{"log":{"entries":[{}, {"request":null}, {"request":{"url":"https://x"}}]}}`),
		[]byte(`{"log":{}}`), []byte(`{`), []byte(``),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		h, err := ParseHAR(raw)
		if err != nil {
			if h != nil {
				t.Fatal("a HAR and an error")
			}
			return
		}
		if len(h.Entries) > MaxEntries {
			t.Fatalf("%d entries", len(h.Entries))
		}
		for _, e := range h.Entries {
			if (e.Err == nil) == (e.Request == nil) {
				t.Fatalf("entry with request %v and error %v", e.Request, e.Err)
			}
			if e.Request != nil {
				checkRequest(t, e.Request)
				if e.Request.Target[0] != '/' {
					t.Fatalf("target %q is not origin-form", e.Request.Target)
				}
				if e.BodyOmitted && len(e.Request.Body) > 0 {
					t.Fatal("a body and BodyOmitted")
				}
			}
		}
	})
}

func FuzzParseCurl(f *testing.F) {
	for _, s := range []string{curlV, strings.ReplaceAll(curlV, "\n", "\r\n"),
		"> GET / HTTP/2\n> Host: x\n>\n> GET /b HTTP/1.1\n",
		"* x\n< HTTP/1.1 200 OK\n", "> GET / HTTP/1.1\n> bad\n", "== Info: x\n", ">", "",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		_ = Detect(raw)
		c, err := ParseCurl(raw)
		if err != nil {
			if c != nil {
				t.Fatal("a request and an error")
			}
			return
		}
		if c.Requests < 1 || c.Request == nil || c.Request.Body != nil {
			t.Fatalf("%+v", c)
		}
		checkRequest(t, c.Request)
	})
}
