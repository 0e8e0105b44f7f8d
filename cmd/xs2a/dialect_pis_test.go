package main_test

// The dialects on PIS and PIIS through the built binary (issue 19: "the
// dialects apply to PIS and PIIS signatures as to AIS ones"): a bank
// served with --bank adorsys takes payments and funds confirmations signed
// as the profile it wrote signs, refuses them signed the default way, and
// `sandbox why` and `sign verify` name the keyId form they saw, as for a
// consent (dialect_test.go).

import (
	"encoding/json"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

func TestSandboxDialectPISAndPIISThroughTheBinary(t *testing.T) {
	s := serveBinary(t, "--bank", "adorsys")
	qseal := s.certSerials(t)
	good, bad := filepath.Join(s.dir, "rec-good"), filepath.Join(s.dir, "rec-bad")
	initiate := []string{"payment", "initiate", "--debtor", "FI0412345600012343", "--creditor", "DE89370400440532013000",
		"--creditor-name", "John Miles", "--amount", "12.34"}
	funds := []string{"funds-confirmation", "--account", "FI0412345600012343", "--amount", "12.34"}

	// The written profile signs as adorsys reads: each call goes through.
	r := s.run(nil, append([]string{"--record", good, "-v"}, initiate...)...)
	if r.code != 0 || !strings.HasPrefix(r.stdout, "payment pmt-") || !strings.Contains(r.stdout, ": RCVD") ||
		!strings.Contains(r.stderr, `> Signature: keyId="SN=`+qseal.lower+`,CA=`) || !strings.Contains(r.stderr, "> Date: ") {
		t.Fatalf("payment initiate with the written profile: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	for _, args := range [][]string{{"payment", "status"}, funds} {
		r = s.run(nil, append([]string{"--record", good}, args...)...)
		if r.code != 0 {
			t.Fatalf("%v with the written profile: exit %d\n%s%s", args, r.code, r.stdout, r.stderr)
		}
	}
	if !strings.HasPrefix(r.stdout, "funds available: 12.34 EUR on FI0412345600012343") {
		t.Errorf("funds-confirmation: %s", r.stdout)
	}

	// Signed the client's default way: each refused, exit 6, the error
	// line pointing to the kept report.
	enfuce := []string{"XS2A_SIGNING_KEYID_FORM=enfuce", "XS2A_SIGNING_SIGN_DATE=false"}
	var rid string
	for _, args := range [][]string{initiate, {"payment", "status"}, funds, {"payment", "cancel"}} {
		r = s.run(enfuce, append([]string{"--record", bad}, args...)...)
		oneErrorLine(t, strings.Join(args[:2], " ")+" signed the default way", r, 6, "401 SIGNATURE_INVALID",
			"serial written as der-hex", "(keyId form adorsys)", "xs2a sandbox why ")
		if rid == "" {
			m := requestIDInError.FindStringSubmatch(r.stderr)
			if m == nil {
				t.Fatalf("no X-Request-ID in the error line: %s", r.stderr)
			}
			rid = m[1]
		}
	}

	// The bank's side of the refused initiation.
	r = s.run(nil, "sandbox", "why", rid)
	if r.code != 0 {
		t.Fatalf("sandbox why: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	lines := strings.Split(r.stdout, "\n")
	head := regexp.MustCompile(`^The bank's side: \S+ POST /v1/payments/sepa-credit-transfers answered 401 SIGNATURE_INVALID \(X-Request-ID ` + rid + `, dialect adorsys\)$`)
	if !head.MatchString(lines[0]) || len(lines) < 2 || lines[1] != "Signature check of POST /v1/payments/sepa-credit-transfers (berlin-group profile)" {
		t.Errorf("why head:\n%s", r.stdout)
	}
	for _, want := range []string{
		"  ✗ keyId names the certificate\n      expected: SN=" + qseal.lower + ",CA=CN=xs2a%20Test%20QTSP%20CA%20",
		"      got:      SN=" + qseal.der + ",CA=CN=xs2a%20Test%20QTSP%20CA%20",
		"serial written as der-hex",
		"  ✗ signed header list\n      expected: x-request-id digest date (any order)\n      got:      x-request-id digest\n",
		"    fix: sign with --keyid-form adorsys (profile: signing.keyid_form: adorsys)",
		"INVALID for adorsys: adorsys would reject this request",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("why of the refused payment initiation lacks %q:\n%s", want, r.stdout)
		}
	}

	// The good profile cancels the payment the refused DELETE left alone.
	if r = s.run(nil, "--record", good, "payment", "cancel"); r.code != 0 {
		t.Fatalf("payment cancel with the written profile: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}

	// The doctor on the recordings names the form it saw: lower-hex for
	// what the written profile signed, der-hex for the refused calls.
	sv := s.run(nil, "sign", "verify", "--bundle", good)
	if sv.code != 0 || !regexp.MustCompile(`(?m)^\d+ +POST /v1/payments/sepa-credit-transfers +valid keyId serial lower-hex, DN rfc4514-pct$`).MatchString(sv.stdout) ||
		!regexp.MustCompile(`exchange\(s\) for adorsys: 4 valid, 0 invalid`).MatchString(sv.stdout) {
		t.Errorf("sign verify --bundle of the accepted calls: exit %d\n%s%s", sv.code, sv.stdout, sv.stderr)
	}
	sv = s.run(nil, "sign", "verify", "--bundle", bad, "-o", "json")
	type verdict struct {
		Method, Path, Verdict, Bank string
		Form                        struct{ Serial, DN string } `json:"key_id_form"`
	}
	var vs []verdict
	if err := json.Unmarshal([]byte(sv.stdout), &vs); err != nil || sv.code != 6 {
		t.Fatalf("sign verify --bundle -o json of the refused calls: exit %d %v\n%s%s", sv.code, err, sv.stdout, sv.stderr)
	}
	vs = slices.DeleteFunc(vs, func(v verdict) bool { return strings.HasPrefix(v.Path, "/oauth/") })
	if len(vs) != 4 {
		t.Fatalf("sign verify --bundle -o json of the refused calls: %d signed exchanges; want 4\n%s", len(vs), sv.stdout)
	}
	for _, v := range vs {
		if v.Verdict != "invalid" || v.Bank != "adorsys" || v.Form.Serial != "der-hex" || v.Form.DN != "rfc4514-pct" {
			t.Errorf("%s %s: %+v", v.Method, v.Path, v)
		}
	}
	if vs[0].Method != "POST" || vs[0].Path != "/v1/payments/sepa-credit-transfers" {
		t.Errorf("the first refused call recorded is %s %s", vs[0].Method, vs[0].Path)
	}
	sv = s.run(nil, "sign", "verify", "--bundle", bad, "--bank", "all")
	if !regexp.MustCompile(`(?m)^\d+ +POST /v1/payments/sepa-credit-transfers +enfuce valid keyId serial der-hex, DN rfc4514-pct$`).MatchString(sv.stdout) ||
		!regexp.MustCompile(`(?m)^\d+ +POST /v1/payments/sepa-credit-transfers +adorsys INVALID `).MatchString(sv.stdout) {
		t.Errorf("sign verify --bundle --bank all of the refused calls:\n%s%s", sv.stdout, sv.stderr)
	}

	// Every exchange, accepted or refused, against the OpenAPI file.
	for _, dir := range []string{good, bad} {
		exs, _ := recording(t, dir)
		checkAgainstOpenAPI(t, exs)
	}
}

// The lenient bank lets a payment initiation and a funds confirmation
// signed with a Date through with a warning, which `sandbox why` shows as
// it does for a consent.
func TestSandboxLenientPISAndPIISThroughTheBinary(t *testing.T) {
	s := serveBinary(t, "--bank", "lenient")
	date := []string{"XS2A_SIGNING_SIGN_DATE=true"}
	rid := regexp.MustCompile(`(?m)^> X-Request-Id: (\S+)$`)
	for _, c := range []struct {
		args []string
		head string
	}{
		{[]string{"payment", "initiate", "--debtor", "FI0412345600012343", "--creditor", "DE89370400440532013000", "--creditor-name", "John Miles", "--amount", "1.00"},
			"POST /v1/payments/sepa-credit-transfers answered 201, accepted with warnings"},
		{[]string{"funds-confirmation", "--account", "FI0412345600012343", "--amount", "1.00"},
			"POST /v1/funds-confirmations answered 200, accepted with warnings"},
	} {
		r := s.run(date, append(c.args, "-v")...)
		m := rid.FindStringSubmatch(r.stderr)
		if r.code != 0 || m == nil {
			t.Fatalf("%s with a signed date against lenient: exit %d\n%s", c.args[0], r.code, r.stderr)
		}
		r = s.run(nil, "sandbox", "why", m[1])
		for _, want := range []string{
			c.head + " (X-Request-ID " + m[1] + ", dialect lenient)\n",
			`  ! signed-headers: "date" is not allowed in the Berlin Group header list` + "\n",
			"VALID for lenient: the signature verifies",
		} {
			if !strings.Contains(r.stdout, want) {
				t.Errorf("why of the %s lacks %q:\n%s", c.args[0], want, r.stdout)
			}
		}
	}
}
