package main_test

import (
	"strings"
	"testing"
)

// TestSandboxServeAllowRemote: with --allow-remote the sandbox listens
// beyond loopback and says on stderr what that exposes, each listener
// once; a loopback listener is not mentioned. Only loopback is connected to.
func TestSandboxServeAllowRemote(t *testing.T) {
	dir := t.TempDir()
	p := startProc(t, "", []string{"HOME=" + dir}, "sandbox", "serve", "--addr", "0.0.0.0:0", "--auth-addr", "127.0.0.1:0", "--allow-remote",
		"--certs", fixture(""), "-o", "json")
	var info serveInfo
	p.waitJSON(&info)
	api := strings.TrimPrefix(info["api_url"], "https://")
	if !strings.HasPrefix(api, "0.0.0.0:") && !strings.HasPrefix(api, "[::]:") {
		t.Fatalf("apiURL %q", info["api_url"])
	}
	want := "warning: --allow-remote: anyone who can reach " + api + " can call the sandbox's API and token endpoint with a certificate of a trusted CA"
	p.waitLine("^serving;") // the warnings come before it
	got := p.stderr.String()
	if strings.Count(got, want) != 1 {
		t.Errorf("stderr does not warn once with %q:\n%s", want, got)
	}
	if strings.Contains(got, "PSU's pages") {
		t.Errorf("stderr warns about the pages on loopback:\n%s", got)
	}
}
