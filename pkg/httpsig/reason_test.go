package httpsig

import (
	"testing"
	"time"

	"github.com/xs2a-dev/xs2a/pkg/httpmsg"
)

// TestCheckReasons pins the Reason of each failure a program tells apart
// (the sandbox's Berlin Group codes), and that other failures carry none.
func TestCheckReasons(t *testing.T) {
	tc := newTestCert(t)
	at := func(when time.Time) VerifyOptions { return VerifyOptions{Now: func() time.Time { return when }} }
	set := func(name, value string) func(*httpmsg.Request) {
		return func(m *httpmsg.Request) { m.Set(name, value) }
	}
	del := func(name string) func(*httpmsg.Request) { return func(m *httpmsg.Request) { m.Del(name) } }
	rows := []struct {
		name   string
		after  func(*httpmsg.Request)
		opt    VerifyOptions
		id     string
		reason string
	}{
		{name: "no Signature header", after: del("Signature"), id: CheckSignatureHeader, reason: ReasonMissing},
		{name: "empty Signature header", after: set("Signature", ""), id: CheckSignatureHeader, reason: ReasonMissing},
		{name: "unparsable Signature header", after: set("Signature", `keyId="x`), id: CheckSignatureHeader},
		{name: "no TPP-Signature-Certificate", after: del("TPP-Signature-Certificate"), id: CheckCertificate, reason: ReasonMissing},
		{name: "unreadable TPP-Signature-Certificate", after: set("TPP-Signature-Certificate", "not base64 at all!"), id: CheckCertificate},
		{name: "expired", opt: at(tc.Cert.NotAfter.Add(time.Hour)), id: CheckValidity, reason: ReasonExpired},
		{name: "not yet valid", opt: at(tc.Cert.NotBefore.Add(-time.Hour)), id: CheckValidity, reason: ReasonNotYetValid},
	}
	for _, r := range rows {
		t.Run(r.name, func(t *testing.T) {
			d := Verify(mtSign(t, tc, mtRow{after: r.after}), r.opt)
			var found bool
			for _, c := range d.Checks {
				if c.Status != Fail {
					if c.Reason != "" {
						t.Errorf("check %s is %s with reason %q", c.ID, c.Status, c.Reason)
					}
					continue
				}
				if c.ID != r.id {
					continue
				}
				found = true
				if c.Reason != r.reason {
					t.Errorf("check %s: reason %q, want %q (detail %q)", c.ID, c.Reason, r.reason, c.Detail)
				}
			}
			if !found {
				t.Fatalf("check %s did not fail: %+v", r.id, d.Checks)
			}
		})
	}
}
