package sandbox

import (
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/xs2a-dev/xs2a/pkg/httpmsg"
	"github.com/xs2a-dev/xs2a/pkg/httpsig"
)

// TestSignatureCodeIgnoresProse: the Berlin Group code for a failed
// signature comes from check IDs and reasons only, so rewording what a check
// says to people (Detail, Title, Expected, Got) changes no code.
func TestSignatureCodeIgnoresProse(t *testing.T) {
	seal := sharedSet(t).QSeal
	del := func(name string) func(*httpmsg.Request) { return func(m *httpmsg.Request) { m.Del(name) } }
	set := func(name, value string) func(*httpmsg.Request) {
		return func(m *httpmsg.Request) { m.Set(name, value) }
	}
	rows := []struct {
		name   string
		change func(*httpmsg.Request)
		now    time.Time
		code   string
	}{
		{name: "no Signature header", change: del("Signature"), code: CodeSignatureMissing},
		{name: "empty Signature header", change: set("Signature", ""), code: CodeSignatureMissing},
		{name: "unparsable Signature header", change: set("Signature", `keyId="x`), code: CodeSignatureInvalid},
		{name: "no TPP-Signature-Certificate", change: del("TPP-Signature-Certificate"), code: CodeCertificateMissing},
		{name: "unreadable TPP-Signature-Certificate", change: set("TPP-Signature-Certificate", "not base64 at all!"), code: CodeCertificateInvalid},
		{name: "expired QSealC", now: seal.Cert.NotAfter.Add(time.Hour), code: CodeCertificateExpired},
		{name: "QSealC not yet valid", now: seal.Cert.NotBefore.Add(-time.Hour), code: CodeCertificateInvalid},
		{name: "body changed after signing", change: func(m *httpmsg.Request) { m.Body = []byte(`{"changed":true}`) }, code: CodeSignatureInvalid},
	}
	// Each rewording would have moved a code when codes were picked by
	// searching the text: the words the old search looked for, and nothing.
	rewordings := map[string]func(*httpsig.Check){
		"emptied": func(c *httpsig.Check) { c.Title, c.Detail, c.Expected, c.Got = "", "", "", "" },
		"old search words": func(c *httpsig.Check) {
			w := "the certificate has expired; no TPP-Signature-Certificate"
			c.Title, c.Detail, c.Expected, c.Got = w, w, w, w
		},
	}
	for _, dialect := range Dialects {
		for _, r := range rows {
			t.Run(string(dialect)+"/"+r.name, func(t *testing.T) {
				req := httptest.NewRequest("POST", "https://bank.example/v1/consents", strings.NewReader(`{"access":{}}`))
				req.Header.Set("X-Request-ID", uuid.NewString())
				req.Header.Set("Content-Type", "application/json")
				m, err := httpmsg.FromHTTP(req)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := (&httpsig.Signer{Key: seal.Key, Cert: seal.Cert}).Sign(m); err != nil {
					t.Fatal(err)
				}
				if r.change != nil {
					r.change(m)
				}
				now := r.now
				if now.IsZero() {
					now = time.Now()
				}
				vo := dialect.VerifyOptions()
				vo.Now = func() time.Time { return now }
				d := httpsig.Verify(m, vo)
				if d.Valid {
					t.Fatal("the request verified")
				}
				if got := diagnosisError(d, "rid").Code(); got != r.code {
					t.Fatalf("code %s, want %s; checks %+v", got, r.code, d.Checks)
				}
				for name, reword := range rewordings {
					rd := *d
					rd.Checks = append([]httpsig.Check(nil), d.Checks...)
					for i := range rd.Checks {
						reword(&rd.Checks[i])
					}
					if got := diagnosisError(&rd, "rid").Code(); got != r.code {
						t.Errorf("%s: code %s, want %s", name, got, r.code)
					}
				}
			})
		}
	}
}
