package httplog

import (
	"encoding/json"
	"strings"
	"testing"
)

// FuzzRedactorJSON: answers are outside input; whatever the bytes, JSON
// redaction never panics, keeps valid JSON valid, and leaves no top-level
// secret string in clear.
func FuzzRedactorJSON(f *testing.F) {
	f.Add([]byte(`{"access_token":"abc","n":1}`))
	f.Add([]byte(`{"tppMessages":[{"code":"FORMAT_ERROR"}],"code":{"x":[1,2]}}`))
	f.Add([]byte(`[{"refresh_token":"\u0041\"b"}, "code", null]`))
	f.Add([]byte(`{"a":1} {"code":"x"}`))
	f.Add([]byte(`{"access_token":`))
	f.Fuzz(func(t *testing.T, in []byte) {
		out, ok := Redactor{}.JSON(in)
		if ok != json.Valid(in) {
			t.Fatalf("ok=%v for input valid=%v", ok, json.Valid(in))
		}
		if !ok {
			if string(out) != string(in) {
				t.Fatal("input that is not JSON was changed")
			}
			return
		}
		if !json.Valid(out) {
			t.Fatalf("output is not JSON: %s", out)
		}
		var obj map[string]any
		if json.Unmarshal(out, &obj) != nil {
			return
		}
		for k, v := range obj {
			s, isStr := v.(string)
			if !secretJSON[normalize(k)] || !isStr || s == "" || (normalize(k) == "code" && messageCode.MatchString(s)) {
				continue
			}
			if !strings.HasPrefix(s, "[redacted sha256:") {
				t.Fatalf("%q left in clear: %q", k, s)
			}
		}
	})
}
