package signproxy

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// FuzzParseOrigin: --cors-origin values and Origin headers. An accepted
// origin is already in the form browsers send, so parsing it again gives
// it back, and it never carries a path, user or query.
func FuzzParseOrigin(f *testing.F) {
	for _, s := range []string{"http://localhost:3000", "HTTPS://App.Example:443/", "http://[::1]:5173", "null", "*",
		"http://a/b", "http://u@a", "http://%zz", "http://a:99999", "javascript:alert(1)", "http://a\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		o, err := ParseOrigin(s)
		if err != nil {
			return
		}
		if !strings.HasPrefix(o, "http://") && !strings.HasPrefix(o, "https://") {
			t.Fatalf("ParseOrigin(%q) = %q: not http(s)", s, o)
		}
		if strings.ContainsAny(o[8:], "/?#@") {
			t.Fatalf("ParseOrigin(%q) = %q: more than scheme://host[:port]", s, o)
		}
		again, err := ParseOrigin(o)
		if err != nil || again != o {
			t.Fatalf("ParseOrigin(%q) = %q, but ParseOrigin(%q) = %q, %v", s, o, o, again, err)
		}
	})
}

// FuzzBerlinGroup: an ASPSP's error body, whatever it is, gives a code
// and texts only when it is JSON, no empty text, and no panic.
func FuzzBerlinGroup(f *testing.F) {
	for _, s := range []string{`{"tppMessages":[{"category":"ERROR","code":"TOKEN_UNKNOWN","text":"x"}]}`,
		`{"tppMessages":[{"code":"FORMAT_ERROR","path":"X-Request-ID","text":"y"},{"code":"A"}]}`,
		`{"error":"invalid_grant","error_description":"code used"}`, `{"tppMessages":{}}`, `[]`, `null`, ``, `{"tppMessages":[null]}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		code, texts := berlinGroup(body)
		if (code != "" || len(texts) > 0) && !json.Valid(body) {
			t.Fatalf("code %q, texts %q from a body that is not JSON: %q", code, texts, body)
		}
		for _, tx := range texts {
			if code != "" && tx == "" {
				t.Fatalf("empty text beside code %q", code)
			}
		}
	})
}

// FuzzPreflight: whatever a page asks for in Access-Control-Request-Headers,
// the answer's Allow-Headers is a list of tokens (no header injection).
func FuzzPreflight(f *testing.F) {
	for _, s := range []string{"content-type,psu-ip-address", "x-a, x-b ,,", "bad header", "a\r\nSet-Cookie: x", strings.Repeat("x", 200)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, acrh string) {
		h := http.Header{}
		preflight(h, http.Header{"Access-Control-Request-Headers": {acrh}}, "http://localhost:3000")
		for _, name := range strings.Split(h.Get("Access-Control-Allow-Headers"), ", ") {
			if !validToken(name) {
				t.Fatalf("Allow-Headers item %q from %q is not a token", name, acrh)
			}
		}
	})
}

// TestBerlinGroupReadsEachForm: the proxy reads error bodies with
// pkg/xs2a's decoder, so an OAuth field of an unexpected type beside the
// tppMessages no longer hides the code.
func TestBerlinGroupReadsEachForm(t *testing.T) {
	code, texts := berlinGroup([]byte(`{"tppMessages":[{"code":"TOKEN_INVALID","text":"expired"}],"error":{"reason":"x"}}`))
	if code != "TOKEN_INVALID" || len(texts) != 1 || texts[0] != "TOKEN_INVALID: expired" {
		t.Errorf("berlinGroup = %q, %q; want TOKEN_INVALID and its text", code, texts)
	}
	if code, texts := berlinGroup([]byte(`{"error":"invalid_client","error_description":"no QWAC"}`)); code != "invalid_client" || len(texts) != 1 || texts[0] != "invalid_client: no QWAC" {
		t.Errorf("OAuth error: %q, %q", code, texts)
	}
}
