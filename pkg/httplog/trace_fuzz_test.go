package httplog

import (
	"bytes"
	"compress/gzip"
	"net/http"
	"strings"
	"testing"

	"github.com/xs2a-dev/xs2a/pkg/termsafe"
)

// FuzzWriteBody: a bank's body, Content-Type and Content-Encoding are
// outside input, whole or cut anywhere; whatever they are, the trace never
// panics, writes no control character but the line ends and tabs, keeps
// every line marked as the answer's, and stays bounded.
func FuzzWriteBody(f *testing.F) {
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(`{"access_token":"AT","tppMessages":[{"code":"FORMAT_ERROR","text":"x"}]}`))
	zw.Close()
	f.Add([]byte(`{"access_token":"AT-1","n":[1,2,{"code":"c"}]}`), "application/json", "", uint16(20), true)
	f.Add([]byte("grant_type=x&client_secret=s\x1b[2J"), "application/x-www-form-urlencoded", "", uint16(0), true)
	f.Add([]byte("text\r\nwith \x1b]52;c;eA==\x07 and \u202e"), "text/plain", "", uint16(7), false)
	f.Add(gz.Bytes(), "application/json", "gzip", uint16(30), true)
	f.Add(gz.Bytes(), "", "gzip", uint16(0), false)
	f.Add([]byte{0x78, 0x9c, 0x01, 0x02}, "text/plain", "deflate", uint16(3), true)
	f.Add([]byte(`[[[[[[[[[[[[[[[[[[[[`), "", "", uint16(0), true)
	f.Fuzz(func(t *testing.T, data []byte, ctype, enc string, cut uint16, complete bool) {
		bd := body{header: http.Header{"Content-Type": {ctype}, "Content-Encoding": {enc}}, kept: data,
			read: int64(len(data)), complete: complete, length: -1}
		if c := int(cut); c > 0 && c < len(data) {
			bd.kept = data[:c] // the trace kept a prefix of what went by
		}
		var b strings.Builder
		(&Transport{}).writeBody(&b, "< ", bd)
		out := b.String()
		if out == "" {
			if len(data) > 0 {
				t.Fatal("a body that went by is not traced at all")
			}
			return
		}
		for line := range strings.SplitSeq(strings.TrimSuffix(out, "\n"), "\n") {
			if !strings.HasPrefix(line, "<") {
				t.Fatalf("line %q is not marked as the answer's", line)
			}
			if termsafe.Text(line) != line {
				t.Fatalf("line %q holds a control character", line)
			}
		}
		if len(out) > 8*MaxBody+4096 {
			t.Fatalf("%d bytes of trace for a %d-byte prefix", len(out), len(bd.kept))
		}
	})
}
