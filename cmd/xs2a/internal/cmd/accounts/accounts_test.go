package accounts_test

import (
	"encoding/json"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/xs2a-dev/xs2a/cmd/xs2a/internal/cmdtest"
)

func TestAccountsFlags(t *testing.T) {
	e := cmdtest.New(t)
	for _, tc := range []struct {
		args []string
		code int
		err  string
	}{
		{[]string{"accounts"}, 2, ""},
		{[]string{"accounts", "get"}, 2, "needs an ACCOUNT-ID"},
		{[]string{"accounts", "list", "--nope"}, 2, "unknown flag: --nope"},
		{[]string{"accounts", "transaction", "a"}, 2, ""},
		{[]string{"accounts", "list"}, 2, "has no base_url"},
	} {
		r := e.Run(tc.args...)
		if r.Code != tc.code || !strings.Contains(r.Stderr, tc.err) || r.Stdout != "" {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit %d and %q", tc.args, r.Code, r.Stdout, r.Stderr, tc.code, tc.err)
		}
	}
}

func TestCardAccounts(t *testing.T) {
	e := cmdtest.New(t)
	b := e.Consented()
	r := e.Must("accounts", "list")
	if !strings.Contains(r.Stdout, "card-8693") {
		t.Errorf("accounts list:\n%s", r.Stdout)
	}
	e.Must("accounts", "list", "-o", "json", "--with-balance")
	r = e.Must("accounts", "get", "card-8693", "--psu-ip", "192.0.2.10")
	if r.Stdout == "" {
		t.Error("accounts get printed nothing")
	}
	e.Must("accounts", "balances", "card-8694", "--psu-ip", "192.0.2.10")
	e.Must("accounts", "transactions", "card-8693", "--psu-ip", "192.0.2.10")
	e.Must("accounts", "transactions", "card-8693", "-o", "json", "--psu-ip", "192.0.2.10", "--from", e.Now.AddDate(0, -1, 0).Format("2006-01-02"))
	// bank_response is the bank's body as it came: what `xs2a api` prints
	// of the same call, field for field.
	for _, c := range []struct{ cmd, path string }{
		{"get", "/card-accounts/card-8693"}, {"balances", "/card-accounts/card-8693/balances"},
	} {
		api := e.Must("api", "GET", c.path, "-H", "PSU-IP-Address: 192.0.2.10")
		got := e.Must("accounts", c.cmd, "card-8693", "--psu-ip", "192.0.2.10", "-o", "json")
		var want, doc any
		if err := json.Unmarshal([]byte(api.Stdout), &want); err != nil {
			t.Fatalf("api GET %s: %v\n%s", c.path, err, api.Stdout)
		}
		if err := json.Unmarshal([]byte(got.Stdout), &doc); err != nil {
			t.Fatalf("accounts %s -o json: %v\n%s", c.cmd, err, got.Stdout)
		}
		m, _ := doc.(map[string]any)
		// The bank stamps lastChangeDateTime with its own clock, to the
		// second: the two calls may straddle one.
		dropKey(want, "lastChangeDateTime")
		dropKey(m["bank_response"], "lastChangeDateTime")
		if !reflect.DeepEqual(m["bank_response"], want) || m["account_type"] != "card" || m["account_id"] != "card-8693" {
			t.Errorf("accounts %s -o json: bank_response is not the bank's body\n%s\napi GET %s:\n%s", c.cmd, got.Stdout, c.path, api.Stdout)
		}
	}
	r = e.Run("accounts", "balances", "bad")
	if r.Code == 0 || r.Stderr == "" {
		t.Errorf("balances of an unknown account: exit %d, stderr %q", r.Code, r.Stderr)
	}
	r = e.Run("accounts", "transactions", "card-8693", "--booking-status", "sometimes")
	if r.Code != 2 {
		t.Errorf("--booking-status sometimes: exit %d, stderr %q", r.Code, r.Stderr)
	}
	// The bank's side: the calls arrived signed and were answered, and a
	// refused --booking-status never left the client.
	log := b.Log.String()
	if !strings.Contains(log, "GET /v1/card-accounts/card-8694/balances 200") || strings.Contains(log, "sometimes") {
		t.Errorf("bank log:\n%s", log)
	}
}

func TestPaymentAccounts(t *testing.T) {
	e := cmdtest.New(t)
	e.Consented("--auto-approve-as", "5000001")
	r := e.Must("accounts", "list", "--with-balance")
	if !strings.Contains(r.Stdout, "acc-") {
		t.Fatalf("accounts list:\n%s", r.Stdout)
	}
	e.Must("accounts", "get", "acc-2343", "--psu-ip", "192.0.2.10")
	e.Must("accounts", "balances", "acc-8763", "--psu-ip", "192.0.2.10")
	e.Must("accounts", "transactions", "acc-2343", "--from", e.Now.AddDate(0, -2, 0).Format("2006-01-02"), "--psu-ip", "192.0.2.10")
	r = e.Must("accounts", "transactions", "acc-2343", "--booking-status", "both", "--with-balance", "-o", "json", "--psu-ip", "192.0.2.10")
	r = e.Must("accounts", "transactions", "acc-2343", "-o", "json", "--psu-ip", "192.0.2.10")
	id := regexp.MustCompile(`"transactionId": "([^"]+)"`).FindStringSubmatch(r.Stdout)
	if id == nil {
		t.Fatalf("no transactionId in\n%s", r.Stdout)
	}
	r = e.Must("accounts", "transaction", "acc-2343", id[1], "--psu-ip", "192.0.2.10")
	if !strings.Contains(r.Stdout, id[1]) {
		t.Errorf("accounts transaction %s:\n%s", id[1], r.Stdout)
	}
	e.Must("accounts", "transaction", "acc-2343", id[1], "-o", "json", "--psu-ip", "192.0.2.10")
}

// At a terminal the report's pages show as a progress line on stderr and
// the table fits $COLUMNS, the details cut with an ellipsis; piped, stderr
// has no progress and the table every character (issue 18 item 15).
func TestTransactionsAtATerminal(t *testing.T) {
	e := cmdtest.New(t)
	e.Consented()
	args := []string{"accounts", "transactions", "card-8693", "--psu-ip", "192.0.2.10", "--from", e.Now.AddDate(0, 0, -90).Format("2006-01-02")}
	t.Setenv("COLUMNS", "48")
	r := e.RunTTY(args...)
	if r.Code != 0 || !strings.Contains(r.Stderr, "\r⠋ reading the transaction report") {
		t.Fatalf("exit %d, stderr %q", r.Code, r.Stderr)
	}
	if strings.ContainsAny(r.Stdout, "\r⠋") {
		t.Errorf("a progress frame on stdout:\n%q", r.Stdout)
	}
	lines := strings.Split(strings.TrimSuffix(r.Stdout, "\n"), "\n")
	cut := 0
	for _, l := range lines {
		if n := len([]rune(l)); n > 48 {
			t.Errorf("%d columns on a 48-column terminal: %q", n, l)
		}
		if strings.HasSuffix(l, "…") {
			cut++
		}
	}
	if cut == 0 {
		t.Errorf("no details cut at 48 columns:\n%s", r.Stdout)
	}

	if v := e.RunTTY(append(args, "-v")...); v.Code != 0 || strings.Contains(v.Stderr, "\r") {
		t.Errorf("-v: exit %d; a progress line drawn into the trace:\n%q", v.Code, v.Stderr)
	}
	piped := e.Must(args...)
	if strings.Contains(piped.Stderr, "\r") || strings.Contains(piped.Stdout, "…") {
		t.Errorf("piped: progress or a cut cell:\nstdout %s\nstderr %q", piped.Stdout, piped.Stderr)
	}
	if len(strings.Split(strings.TrimSuffix(piped.Stdout, "\n"), "\n")) != len(lines) {
		t.Errorf("piped and at a terminal differ in rows:\n%s\n%s", piped.Stdout, r.Stdout)
	}
}

// The card list at a terminal of 100 columns: the product gives way
// first, then the balance's note, cut at a word, the amount whole.
func TestListAtATerminal(t *testing.T) {
	e := cmdtest.New(t)
	e.Consented()
	t.Setenv("COLUMNS", "100")
	r := e.RunTTY("accounts", "list")
	piped := e.Must("accounts", "list")
	if r.Code != 0 || !strings.Contains(piped.Stdout, "(expected with credit limit)") {
		t.Fatalf("exit %d\n%s\npiped:\n%s", r.Code, r.Stdout, piped.Stdout)
	}
	for _, l := range strings.Split(strings.TrimSuffix(r.Stdout, "\n"), "\n") {
		if n := len([]rune(l)); n > 100 {
			t.Errorf("%d columns on a 100-column terminal: %q", n, l)
		}
	}
	// A balance's amount shows whole, with its currency, at any width.
	if len(regexp.MustCompile(`  available \d+\.\d\d EUR`).FindAllString(r.Stdout, -1)) != 2 {
		t.Errorf("at 100 columns:\n%s", r.Stdout)
	}
	// At 80 the narrowest cells do not fit: PRODUCT and STATUS are left
	// out, said on stderr, and no row is wider than the terminal.
	t.Setenv("COLUMNS", "80")
	r = e.RunTTY("accounts", "list")
	for _, l := range strings.Split(strings.TrimSuffix(r.Stdout, "\n"), "\n") {
		if n := len([]rune(l)); n > 80 {
			t.Errorf("%d columns on an 80-column terminal: %q", n, l)
		}
	}
	if r.Code != 0 || strings.Contains(r.Stdout, "PRODUCT") || !strings.Contains(r.Stdout, "MASKED PAN") ||
		!strings.Contains(r.Stderr, "(terminal too narrow: PRODUCT") ||
		len(regexp.MustCompile(`  available \d+\.\d\d EUR`).FindAllString(r.Stdout, -1)) != 2 {
		t.Errorf("at 80 columns: exit %d\n%s%s", r.Code, r.Stdout, r.Stderr)
	}
}

// dropKey removes key from every object in a decoded JSON document.
func dropKey(doc any, key string) {
	switch v := doc.(type) {
	case map[string]any:
		delete(v, key)
		for _, x := range v {
			dropKey(x, key)
		}
	case []any:
		for _, x := range v {
			dropKey(x, key)
		}
	}
}
