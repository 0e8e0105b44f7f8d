package main_test

// The sandbox's dialects and its memory of rejections, through the built
// binary: a bank served with --bank adorsys rejects what a default profile
// signs, `xs2a sandbox why` shows the bank's side of it, and the adorsys
// signing settings make the same call work.

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/xs2a-dev/xs2a/pkg/httplog"
	"github.com/xs2a-dev/xs2a/pkg/profile"
	"github.com/xs2a-dev/xs2a/pkg/sandbox"
)

var requestIDInError = regexp.MustCompile(`\(X-Request-ID ([0-9a-f-]{36})\)`)

func TestSandboxWhyThroughTheBinary(t *testing.T) {
	s := serveBinary(t, "--bank", "adorsys")
	if s.info["dialect"] != "adorsys" || s.info["rejections"] != s.info["api_url"]+sandbox.RejectionsPath {
		t.Errorf("serve -o json: %v", s.info)
	}

	// The profile it wrote signs as adorsys reads (issue 18 item 4): the
	// keyId in adorsys's form and a signed Date, accepted as written.
	qseal := s.certSerials(t)
	cfgText, _ := os.ReadFile(s.cfg)
	if !strings.Contains(string(cfgText), "keyid_form: adorsys\n") || !strings.Contains(string(cfgText), "sign_date: true\n") {
		t.Errorf("--bank adorsys --write-profile wrote no adorsys signing settings:\n%s", cfgText)
	}
	r := s.run(nil, "consent", "create", "-v")
	if r.code != 0 || !strings.Contains(r.stderr, `> Signature: keyId="SN=`+qseal.lower+`,CA=`) || !strings.Contains(r.stderr, "> Date: ") {
		t.Fatalf("consent create with the written profile: exit %d\n%s", r.code, r.stderr)
	}

	// Signed the enfuce way (the client's defaults): rejected, and the
	// error line carries the X-Request-ID.
	enfuce := []string{"XS2A_SIGNING_KEYID_FORM=enfuce", "XS2A_SIGNING_SIGN_DATE=false"}
	r = s.run(enfuce, "consent", "create")
	oneErrorLine(t, "consent create against adorsys", r, 6, "SIGNATURE_INVALID", "xs2a sandbox why ")
	m := requestIDInError.FindStringSubmatch(r.stderr)
	if m == nil {
		t.Fatalf("no X-Request-ID in the error line: %s", r.stderr)
	}
	rid := m[1]

	r = s.run(nil, "sandbox", "why", rid)
	if r.code != 0 {
		t.Fatalf("sandbox why: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	lines := strings.Split(r.stdout, "\n")
	head := regexp.MustCompile(`^The bank's side: \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ POST /v1/consents answered 401 SIGNATURE_INVALID \(X-Request-ID ` + rid + `, dialect adorsys\)$`)
	if !head.MatchString(lines[0]) || lines[1] != "Signature check of POST /v1/consents (berlin-group profile)" {
		t.Errorf("why head:\n%s", r.stdout)
	}
	for _, want := range []string{
		"  ✗ keyId names the certificate\n      expected: SN=" + qseal.lower + ",CA=CN=xs2a%20Test%20QTSP%20CA%20",
		"      got:      SN=" + qseal.der + ",CA=CN=xs2a%20Test%20QTSP%20CA%20",
		"this ASPSP expects serial as lower-hex and DN as rfc4514-pct (keyId form adorsys) and compares the keyId as a string",
		"  ✗ signed header list\n      expected: x-request-id digest date (any order)\n      got:      x-request-id digest\n",
		"    fix: sign with --keyid-form adorsys (profile: signing.keyid_form: adorsys), or --serial-form lower-hex --dn-form rfc4514-pct\n",
		"    fix: send a Date header (RFC 9110 form, e.g. Tue, 01 Dec 2026 08:00:00 GMT) and sign it: xs2a sign --sign-date, or signing.sign_date: true in the profile\n",
		"  ✓ signature verifies with the certificate's key\n",
		"INVALID for adorsys: adorsys would reject this request",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("why lacks %q:\n%s", want, r.stdout)
		}
	}
	if !strings.Contains(r.stdout, "serial written as der-hex") {
		t.Errorf("why does not name the form seen:\n%s", r.stdout)
	}

	// -o json: the record, secrets fingerprinted.
	r = s.run(nil, "sandbox", "why", rid, "-o", "json")
	var rec sandbox.Record
	if err := json.Unmarshal([]byte(r.stdout), &rec); err != nil || r.code != 0 {
		t.Fatalf("why -o json: exit %d %v\n%s", r.code, err, r.stdout)
	}
	if rec.RequestID != rid || rec.Status != 401 || rec.Diagnosis == nil || rec.Diagnosis.Valid || rec.Request.Message().Get("X-API-Key") == "" {
		t.Errorf("record: %+v", rec)
	}
	if key := rec.Request.Message().Get("X-API-Key"); !strings.HasPrefix(key, "[redacted sha256:") {
		t.Errorf("API key kept as %q", key)
	}
	if k := regexp.MustCompile(`api_key: (\S+)`).FindSubmatch(cfgText); k == nil || strings.Contains(r.stdout, string(k[1])) ||
		!strings.Contains(r.stdout, httplog.Redact(string(k[1]))) {
		t.Errorf("the record does not fingerprint the profile's API key")
	}

	// Unknown id; bad ids.
	r = s.run(nil, "sandbox", "why", "00000000-0000-4000-8000-000000000000")
	oneErrorLine(t, "why unknown", r, 3, "404 RESOURCE_UNKNOWN", "no rejection of a request with X-Request-ID 00000000-0000-4000-8000-000000000000 is kept")
	r = s.run(nil, "sandbox", "why")
	oneErrorLine(t, "why without id", r, 2, "xs2a sandbox why needs the X-Request-ID")
	r = s.run(nil, "sandbox", "why", "a\x01b")
	oneErrorLine(t, "why control character", r, 2, "is not an X-Request-ID")
	r = s.run(nil, "sandbox", "why", rid, "--url", "http://127.0.0.1:1")
	oneErrorLine(t, "why http url", r, 2, "is not an https URL")

	// The adorsys settings from the environment over a profile without
	// them: the same call works.
	if err := profile.UpdateFile(s.cfg, "sb", map[string]string{"signing.keyid_form": "enfuce", "signing.sign_date": "false"}); err != nil {
		t.Fatal(err)
	}
	r = s.run([]string{"XS2A_SIGNING_KEYID_FORM=adorsys", "XS2A_SIGNING_SIGN_DATE=true"}, "consent", "create", "-v")
	if r.code != 0 || !strings.Contains(r.stderr, `> Signature: keyId="SN=`+qseal.lower+`,CA=`) || !strings.Contains(r.stderr, "> Date: ") {
		t.Fatalf("consent create with the adorsys settings: exit %d\n%s", r.code, r.stderr)
	}
	// ... and from the profile (a YAML bool for sign_date).
	if err := profile.UpdateFile(s.cfg, "sb", map[string]string{"signing.keyid_form": "adorsys", "signing.sign_date": "true"}); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(s.cfg); !strings.Contains(string(b), "sign_date: true\n") {
		t.Fatalf("config:\n%s", b)
	}
	r = s.run(nil, "consent", "create")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "consent ") {
		t.Fatalf("consent create with signing.keyid_form/sign_date in the profile: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	// A rejection after a good signature: the report, then what the bank
	// answered.
	r = s.run(nil, "consent", "status", "cns-nope")
	m = requestIDInError.FindStringSubmatch(r.stderr)
	if r.code == 0 || m == nil {
		t.Fatalf("consent status of an unknown consent: exit %d %s", r.code, r.stderr)
	}
	r = s.run(nil, "sandbox", "why", m[1])
	for _, want := range []string{"answered 403 CONSENT_UNKNOWN", "VALID for adorsys: the signature verifies", "The signature was accepted; the request was rejected after it:\n  ✗ CONSENT_UNKNOWN: "} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("why of a rejection after the signature lacks %q:\n%s", want, r.stdout)
		}
	}
	// A rejection before the signature checks: its codes and texts.
	r = s.run(nil, "api", "GET", "/v1/card-accounts", "--token", "none", "-H", "X-Request-ID: not-a-uuid")
	if r.code != 3 || !strings.Contains(r.stderr, "FORMAT_ERROR") {
		t.Fatalf("api with a malformed X-Request-ID: exit %d %s", r.code, r.stderr)
	}
	r = s.run(nil, "sandbox", "why", "not-a-uuid")
	for _, want := range []string{"answered 400 FORMAT_ERROR", "The signature checks did not run: the request was rejected before them.\n  ✗ FORMAT_ERROR [X-Request-ID]: X-Request-ID \"not-a-uuid\" is not a UUID"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("why of a rejection before the signature lacks %q:\n%s", want, r.stdout)
		}
	}
	// Another organisation's rejection cannot be read: --url with another
	// profile is covered in pkg/sandbox; here the profile's own QWAC reads
	// its own rejection, which is what the command is for.
	r = s.run(nil, "sandbox", "why", rid, "--url", s.info["api_url"])
	if r.code != 0 || !strings.HasPrefix(r.stdout, "The bank's side: ") {
		t.Errorf("why --url: exit %d %s", r.code, r.stderr)
	}
}

type serials struct{ der, lower string }

// certSerials reads the QSealC's serial in der-hex and lower-hex with
// `xs2a certs inspect -o json`.
func (s *served) certSerials(t *testing.T) serials {
	t.Helper()
	r := s.run(nil, "certs", "inspect", filepath.Join(s.dir, "certs", "qseal.pem"), "-o", "json")
	var out []struct {
		Serials map[string]string `json:"serial"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil || len(out) == 0 {
		t.Fatalf("certs inspect -o json: %v\n%s", err, r.stdout)
	}
	return serials{der: out[0].Serials["der-hex"], lower: out[0].Serials["lower-hex"]}
}

func TestSignKeyIDFormThroughTheBinary(t *testing.T) {
	dir := t.TempDir()
	sign := []string{"sign", "--key", fixture("qseal.key"), "--cert", fixture("qseal.pem"), "-X", "POST", "--url", "https://bank.example/v1/consents",
		"-d", `{"access":{"allPsd2":"allAccounts"}}`, "--format", "http"}
	strict := []string{"sign", "verify", "-", "--expect-serial-form", "lower-hex", "--expect-dn-form", "rfc4514-pct"}

	r := xs2a(t, dir, "", nil, append(sign, "--keyid-form", "adorsys")...)
	if r.code != 0 || !regexp.MustCompile(`keyId="SN=[0-9a-f]+,CA=CN=xs2a%20Test%20QTSP%20CA%20[0-9a-f]{8},`).MatchString(r.stdout) {
		t.Fatalf("sign --keyid-form adorsys: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	v := xs2a(t, dir, r.stdout, nil, strict...)
	if v.code != 0 || !strings.Contains(v.stdout, "VALID") {
		t.Errorf("verify of the adorsys form with the adorsys expectations: exit %d\n%s", v.code, v.stdout)
	}
	// The default form fails those expectations and the report says so.
	r = xs2a(t, dir, "", nil, sign...)
	v = xs2a(t, dir, r.stdout, nil, strict...)
	if v.code != 6 || !strings.Contains(v.stdout, "this ASPSP expects serial as lower-hex and DN as rfc4514-pct (keyId form adorsys)") {
		t.Errorf("verify of the default form with the adorsys expectations: exit %d\n%s", v.code, v.stdout)
	}
	// berlin-group: upper-case hex without the DER zero.
	r = xs2a(t, dir, "", nil, append(sign, "--keyid-form", "berlin-group")...)
	v = xs2a(t, dir, r.stdout, nil, "sign", "verify", "-", "--expect-serial-form", "hex", "--expect-dn-form", "rfc4514-pct")
	if v.code != 0 {
		t.Errorf("berlin-group form: exit %d\n%s", v.code, v.stdout)
	}
	// --sign-date adds Date and signs it; the headers format lists it.
	r = xs2a(t, dir, "", nil, append(sign[:len(sign)-2], "--keyid-form", "adorsys", "--sign-date")...)
	if r.code != 0 || !regexp.MustCompile(`(?m)^Date: \w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d GMT$`).MatchString(r.stdout) ||
		!strings.Contains(r.stdout, `headers="x-request-id digest date"`) {
		t.Errorf("sign --sign-date: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}

	for _, tt := range []struct {
		name string
		args []string
		want string
	}{
		{"unknown keyid form", append(sign, "--keyid-form", "octal"), `unknown keyId form "octal" (one of enfuce, adorsys, berlin-group)`},
		{"keyid form with serial form", append(sign, "--keyid-form", "adorsys", "--serial-form", "hex"), "--keyid-form names the serial and DN forms: leave out --serial-form and --dn-form"},
		{"keyid form with dn form", append(sign, "--keyid-form", "adorsys", "--dn-form", "rfc4514"), "leave out --serial-form and --dn-form"},
		{"keyid form with key-id", append(sign, "--keyid-form", "adorsys", "--key-id", "x"), "--keyid-form and --key-id are exclusive"},
		{"unknown bank", []string{"sandbox", "serve", "--bank", "Rocker", "--certs", fixture("")}, `--bank: unknown bank "Rocker" (one of enfuce, adorsys, lenient); the card issuer's name is --bank-name`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			oneErrorLine(t, tt.name, xs2a(t, dir, "", nil, tt.args...), 2, tt.want)
		})
	}
	// Profile values are checked the same way.
	env := []string{"XS2A_QSEAL_KEY=" + fixture("qseal.key"), "XS2A_QSEAL_CERT=" + fixture("qseal.pem")}
	oneErrorLine(t, "profile keyid_form and serial_form", xs2a(t, dir, "", append(env, "XS2A_SIGNING_KEYID_FORM=adorsys", "XS2A_SIGNING_SERIAL_FORM=hex"), sign[:len(sign)-2]...),
		2, `signing.keyid_form "adorsys" names the serial and DN forms`)
	oneErrorLine(t, "profile sign_date", xs2a(t, dir, "", append(env, "XS2A_SIGNING_SIGN_DATE=sometimes"), sign[:len(sign)-2]...),
		2, `signing.sign_date "sometimes" is not true or false`)
	// A flag's serial form over the profile's named form: the flag wins for
	// its part.
	r = xs2a(t, dir, "", append(env, "XS2A_SIGNING_KEYID_FORM=adorsys"), append(sign[:len(sign)-2], "--dn-form", "rfc4514")...)
	if r.code != 0 || !regexp.MustCompile(`keyId="SN=[0-9a-f]+,CA=CN=xs2a Test QTSP CA [0-9a-f]{8},`).MatchString(r.stdout) {
		t.Errorf("--dn-form over signing.keyid_form adorsys: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// The lenient bank lets a deviation through with a warning: in its log
// line, and in what `sandbox why` shows.
func TestSandboxLenientThroughTheBinary(t *testing.T) {
	s := serveBinary(t, "--bank", "lenient")
	r := s.run([]string{"XS2A_SIGNING_SIGN_DATE=true"}, "consent", "create", "-v")
	m := regexp.MustCompile(`(?m)^> X-Request-Id: (\S+)$`).FindStringSubmatch(r.stderr)
	if r.code != 0 || m == nil {
		t.Fatalf("consent create with date signed against lenient: exit %d\n%s", r.code, r.stderr)
	}
	r = s.run(nil, "sandbox", "why", m[1])
	for _, want := range []string{
		"POST /v1/consents answered 201, accepted with warnings (X-Request-ID " + m[1] + ", dialect lenient)\n",
		`  ! signed-headers: "date" is not allowed in the Berlin Group header list` + "\n",
		"VALID for lenient: the signature verifies",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("why of an accepted request lacks %q:\n%s", want, r.stdout)
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		logText := s.log.String()
		if strings.Contains(logText, " 201 - "+m[1]+" ") && strings.Contains(logText, `warnings: signed-headers: "date" is not allowed`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no log line with the warning for %s:\n%s", m[1], logText)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// The command accepts exactly the ids the sandbox keeps: one that is not
// UTF-8 is a usage error here (exit 2), not a round trip answered 400.
func TestSandboxWhyRefusesWhatTheSandboxRefuses(t *testing.T) {
	r := xs2a(t, t.TempDir(), "", nil, "sandbox", "why", "a\xffb")
	oneErrorLine(t, "why invalid UTF-8", r, 2, "is not an X-Request-ID")
}
