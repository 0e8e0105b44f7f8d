package main_test

// `sign --format curl` against the sandbox (issue 18 item 14): the printed
// command carries --cacert with the profile's ca_bundle, shell-quoted, so
// pasted into sh it reaches the bank; a profile without ca_bundle gets
// none.

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xs2a-dev/xs2a/pkg/sandbox"
)

func TestSignCurlCarriesTheProfileCA(t *testing.T) {
	needCurl(t)
	s := serveBinary(t)
	// The CA under a path a shell would split and unquote.
	odd := filepath.Join(s.dir, "ca dir's $HOME")
	if err := os.MkdirAll(odd, 0o700); err != nil {
		t.Fatal(err)
	}
	ca, err := os.ReadFile(filepath.Join(s.dir, "certs", "ca.pem"))
	if err != nil {
		t.Fatal(err)
	}
	oddCA := filepath.Join(odd, "ca.pem")
	if err := os.WriteFile(oddCA, ca, 0o600); err != nil {
		t.Fatal(err)
	}
	url := s.info["api_url"]
	if url == "" {
		t.Fatalf("no apiURL in %v", s.info)
	}
	url += "/v1/consents"
	body := `{"access":{"allPsd2":"allAccounts"},"recurringIndicator":false,"validUntil":"2099-12-31","frequencyPerDay":1}`
	r := s.run([]string{"XS2A_CA_BUNDLE=" + oddCA}, "sign", "--url", url, "--body", body, "--format", "curl")
	if r.code != 0 {
		t.Fatalf("sign --format curl: exit %d\n%s", r.code, r.stderr)
	}
	if !strings.Contains(r.stdout, ` --cacert '`+strings.ReplaceAll(oddCA, "'", `'\''`)+`'`) {
		t.Fatalf("no quoted --cacert %s in:\n%s", oddCA, r.stdout)
	}
	// Pasted into a shell, it reaches the bank: the answer is the bank's
	// JSON (a 401 for the missing token), not curl's TLS failure.
	sh := exec.Command("sh", "-c", r.stdout)
	sh.Dir = s.dir
	sh.Env = []string{"HOME=" + s.dir, "PATH=" + os.Getenv("PATH")} // no ~/.curlrc
	out, err := sh.CombinedOutput()
	if err != nil {
		t.Fatalf("the printed command failed: %v\n%s\n%s", err, r.stdout, out)
	}
	var e sandbox.ErrorBody
	if err := json.Unmarshal(out, &e); err != nil || len(e.TPPMessages) == 0 {
		t.Errorf("not the bank's answer: %s", out)
	}
	// Without the option the same command fails on the server certificate:
	// the --cacert is what makes it work.
	bare := strings.Replace(r.stdout, ` --cacert '`+strings.ReplaceAll(oddCA, "'", `'\''`)+`'`, "", 1)
	sh = exec.Command("sh", "-c", bare)
	sh.Env = []string{"HOME=" + s.dir, "PATH=" + os.Getenv("PATH")}
	if out, err := sh.CombinedOutput(); err == nil {
		t.Errorf("without --cacert curl reached the bank too: %s", out)
	}

	// A profile without ca_bundle: no --cacert at all.
	dir := t.TempDir()
	r = xs2a(t, dir, "", nil, "sign", "--key", fixture("qseal.key"), "--cert", fixture("qseal.pem"), "--url", "https://bank.example/v1/accounts", "--format", "curl")
	if r.code != 0 || strings.Contains(r.stdout, "--cacert") {
		t.Errorf("no ca_bundle: exit %d\n%s", r.code, r.stdout)
	}
}
