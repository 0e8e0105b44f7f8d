package termsafe

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// A bank's body nested 3,000 deep is not indented (it would take over
// 100 MB); an ordinary one is, exactly as json.Indent does.
func TestIndentJSONBounded(t *testing.T) {
	var b bytes.Buffer
	deep := []byte(strings.Repeat("[", 3000) + strings.Repeat("]", 3000))
	if IndentJSON(&b, deep, "  ", 16<<20) || b.Len() != 0 {
		t.Errorf("a body nested 3,000 deep was indented (%d bytes)", b.Len())
	}
	body := []byte(`{"cardAccounts":[{"resourceId":"c-1","balances":[{"balanceType":"interimAvailable"}]}]}`)
	var want bytes.Buffer
	_ = json.Indent(&want, body, "", "  ")
	if !IndentJSON(&b, body, "  ", 16<<20) || b.String() != want.String() {
		t.Errorf("an ordinary body:\n%s\nwant\n%s", b.String(), want.String())
	}
}

func FuzzJSONDepth(f *testing.F) {
	for _, s := range []string{`{}`, `[[1,[2]],{"a":"[[["}]`, `"\"["`, `{"a\\":[{}]}`, `[`, `]]]`, ``} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		d := jsonDepth(b)
		if d < 0 {
			t.Fatalf("depth %d", d)
		}
		if !json.Valid(b) {
			return
		}
		// For valid JSON the depth is the decoder's deepest nesting.
		dec := json.NewDecoder(strings.NewReader(string(b)))
		cur, max := 0, 0
		for {
			tok, err := dec.Token()
			if err != nil {
				break
			}
			if d, ok := tok.(json.Delim); ok {
				if d == '[' || d == '{' {
					cur++
					max = maxInt(max, cur)
				} else {
					cur--
				}
			}
		}
		if d != max {
			t.Fatalf("jsonDepth %d, decoder %d for %q", d, max, b)
		}
	})
}

func maxInt(a, b int) int {
	if a > b {
		return a
	}
	return b
}
