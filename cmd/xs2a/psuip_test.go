package main_test

// PSU-IP-Address on POST /v1/consents through the binary, against a
// sandbox the binary serves with the profile it writes (no key added by
// hand): --psu-ip, else psu_ip_address, else the local address of the
// connection, which -v names once.

import (
	"strings"
	"testing"
)

const fallbackNote = "PSU-IP-Address: 127.0.0.1 (the local address of the connection; set psu_ip_address or --psu-ip)"

func TestConsentCreateSendsPSUIPAddress(t *testing.T) {
	s := serveBinary(t)

	t.Run("fallback: the connection's local address, said once in -v", func(t *testing.T) {
		r := s.run(nil, "-v", "consent", "create")
		if r.code != 0 {
			t.Fatalf("exit %d\n%s", r.code, r.stderr)
		}
		if n := strings.Count(r.stderr, fallbackNote); n != 1 {
			t.Errorf("the fallback note appears %d times; want once:\n%s", n, r.stderr)
		}
		// The -v trace shows the header as it went out.
		if !strings.Contains(r.stderr, "> Psu-Ip-Address: 127.0.0.1\n") {
			t.Errorf("the trace does not show PSU-IP-Address: 127.0.0.1 on the request:\n%s", r.stderr)
		}
	})
	t.Run("without -v: silent", func(t *testing.T) {
		r := s.run(nil, "consent", "create")
		if r.code != 0 || strings.Contains(r.stderr, "local address") {
			t.Errorf("exit %d\n%s", r.code, r.stderr)
		}
	})
	t.Run("--psu-ip wins", func(t *testing.T) {
		r := s.run(nil, "-v", "consent", "create", "--psu-ip", "192.0.2.9")
		if r.code != 0 {
			t.Fatalf("exit %d\n%s", r.code, r.stderr)
		}
		if strings.Contains(r.stderr, "local address of the connection") || !strings.Contains(r.stderr, "> Psu-Ip-Address: 192.0.2.9\n") {
			t.Errorf("--psu-ip 192.0.2.9 not sent, or the fallback used:\n%s", r.stderr)
		}
	})
	t.Run("--psu-ip not an address", func(t *testing.T) {
		r := s.run(nil, "consent", "create", "--psu-ip", "999.1.1.1")
		oneErrorLine(t, "--psu-ip 999.1.1.1", r, 2, `--psu-ip "999.1.1.1" is not an IP address`)
	})
}
