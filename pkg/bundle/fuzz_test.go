package bundle

import (
	"bytes"
	"testing"
)

// FuzzParse: a bundle file comes from a ticket or another machine; any
// bytes give an exchange or an error, never a panic, and an exchange
// survives a write and a re-read unchanged.
func FuzzParse(f *testing.F) {
	f.Add([]byte(`{"format":1,"kind":"api","request":{"method":"GET","url":"https://b/v1/accounts","target":"/v1/accounts","headers":[{"name":"Host","value":"b"}]},"response":{"status":200,"headers":[],"body":{"text":"{}","size":2}}}`))
	f.Add([]byte(`{"format":1,"request":{"method":"POST","target":"/x","headers":[],"body":{"base64":"AAEC","size":3}}}`))
	f.Add([]byte(`{"format":1,"request":{"method":"POST","body":{"base64":"%%%"}}}`))
	f.Add([]byte(`{"format":2}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		e, err := Parse(data)
		if err != nil {
			return
		}
		if _, err := e.Message(); err != nil {
			t.Fatalf("parsed exchange has no message: %v", err)
		}
		_ = FileName(e)
		b, err := Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		e2, err := Parse(b)
		if err != nil {
			t.Fatalf("re-read of a written exchange: %v\n%s", err, b)
		}
		b2, _ := Marshal(e2)
		if !bytes.Equal(b, b2) {
			t.Fatalf("not stable:\n%s\n%s", b, b2)
		}
	})
}
