package httpsig

import "testing"

func TestDigestMatches(t *testing.T) {
	body := []byte(`{"hello": "world"}`)
	sha256 := Digest(DigestSHA256, body)
	sha512 := Digest(DigestSHA512, body)
	for _, c := range []struct {
		header string
		want   bool
	}{
		{sha256, true},
		{sha512, true},
		{sha256 + ", " + sha512, true},
		{"sha256=" + sha256[len("SHA-256="):], true}, // the name is case- and dash-insensitive
		{Digest(DigestSHA256, []byte("other")), false},
		{sha256 + ", " + Digest(DigestSHA512, nil), false}, // every entry must match
		{sha256 + ", MD5=abc=", false},                     // an unknown algorithm is no match
		{sha256[:len(sha256)-1], false},                    // padding is significant
		{"", false},
		{"SHA-256", false},
	} {
		if got := DigestMatches(c.header, body); got != c.want {
			t.Errorf("DigestMatches(%q) = %v, want %v", c.header, got, c.want)
		}
	}
}
