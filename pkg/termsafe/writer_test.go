package termsafe

import (
	"bytes"
	"testing"
)

func TestWriter(t *testing.T) {
	var b bytes.Buffer
	in := []byte("warning: consent c1\u202e\x1b[2J today\n")
	n, err := Writer{&b}.Write(in)
	if err != nil || n != len(in) || b.String() != "warning: consent c1\\u202e\\x1b[2J today\n" {
		t.Errorf("Writer wrote %q (n %d, err %v)", b.String(), n, err)
	}
}
