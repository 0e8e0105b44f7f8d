package termsafe

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
	"unicode/utf8"
)

// encoding/json leaves DEL, C1 and the bidi overrides raw: the reason JSON
// exists. Should it ever escape them itself, JSON is a no-op and this
// test says so.
func TestEncodingJSONLeavesSomeRaw(t *testing.T) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode("\x1b \r \u2028 \x7f \u009b \u202e"); err != nil {
		t.Fatal(err)
	}
	if got, want := buf.String(), "\"\\u001b \\r \\u2028 \x7f \u009b \u202e\"\n"; got != want {
		t.Errorf("encoding/json wrote %q, want %q", got, want)
	}
}

func TestJSON(t *testing.T) {
	in := []byte("{\n  \"a\": \"x\x7f\u009b31m\u202eexe \\u001b ✓ Töölö\",\n  \"b\": \"bad\xff\"\n}")
	want := "{\n  \"a\": \"x\\u007f\\u009b31m\\u202eexe \\u001b ✓ Töölö\",\n  \"b\": \"bad\\ufffd\"\n}"
	if got := string(JSON(in)); got != want {
		t.Errorf("JSON = %q, want %q", got, want)
	}
	clean := []byte(`{"a": "Töölö ✓"}`)
	if got := JSON(clean); &got[0] != &clean[0] {
		t.Error("JSON copied a clean document")
	}
}

// For any valid JSON document, JSON's output is valid, decodes to the same
// value and holds no character a terminal obeys but the layout's \n.
func FuzzJSON(f *testing.F) {
	for _, s := range []string{`{}`, `"a"`, "{\"a\":\"\x7f\u0085\u009b\u202e\u2066\"}", "[\"\xff\xfe\"]", `{"\u001b":[1,"\u2028"]}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var before any
		if json.Unmarshal(b, &before) != nil {
			return
		}
		var pretty bytes.Buffer
		if json.Indent(&pretty, b, "", "  ") != nil {
			t.Fatalf("Indent refused valid JSON %q", b)
		}
		out := JSON(pretty.Bytes())
		var after any
		if err := json.Unmarshal(out, &after); err != nil {
			t.Fatalf("JSON(%q) = %q is not JSON: %v", pretty.Bytes(), out, err)
		}
		if !reflect.DeepEqual(before, after) {
			t.Fatalf("JSON changed the value: %#v → %#v", before, after)
		}
		if !utf8.Valid(out) {
			t.Fatalf("JSON(%q) is not UTF-8", b)
		}
		for _, r := range string(out) {
			if dangerous(r) && r != '\n' && r != '\t' && r != '\r' {
				t.Fatalf("JSON(%q) keeps %U", b, r)
			}
		}
	})
}
