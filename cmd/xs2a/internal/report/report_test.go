package report

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/xs2a-dev/xs2a/pkg/httpmsg"
	"github.com/xs2a-dev/xs2a/pkg/httpsig"
	"github.com/xs2a-dev/xs2a/pkg/iostreams"
)

// A value the report shortens is cut between characters, never inside one:
// "a" then two-byte characters puts every odd byte count inside an "é",
// where the byte cut this package once had split it.
func TestShortenedValuesStayValidUTF8(t *testing.T) {
	long := "a" + strings.Repeat("é", 300)
	cs := iostreams.NewColorScheme(false)

	var out bytes.Buffer
	m := &httpmsg.Request{Method: "POST", Target: "/v1/consents"}
	Diagnosis(&out, cs, m, &httpsig.Diagnosis{Checks: []httpsig.Check{{ID: httpsig.CheckDigest, Title: "Digest", Status: httpsig.Pass, Got: long}}}, false)
	if !utf8.Valid(out.Bytes()) {
		t.Errorf("Diagnosis cut a character:\n%q", out.String())
	}
	if want := ": a" + strings.Repeat("é", 99) + "…\n"; !strings.Contains(out.String(), want) {
		t.Errorf("Diagnosis wrote\n%s\nwant the value clipped to 100 characters and one ellipsis", out.String())
	}

	out.Reset()
	BankVerdicts(&out, 0, cs, []*httpsig.Diagnosis{{Bank: "enfuce", Checks: []httpsig.Check{{ID: httpsig.CheckSignature, Status: httpsig.Fail, Detail: long}}}})
	if !utf8.Valid(out.Bytes()) {
		t.Errorf("BankVerdicts cut a character:\n%q", out.String())
	}
	prefix := httpsig.CheckSignature + ": " // FirstFailure's "check: detail", ASCII
	if want := prefix + "a" + strings.Repeat("é", 200-len(prefix)-1) + "…\n"; !strings.HasSuffix(out.String(), want) {
		t.Errorf("BankVerdicts wrote\n%s\nwant the verdict clipped to 200 characters and one ellipsis", out.String())
	}
}
