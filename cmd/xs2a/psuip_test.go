package main_test

// PSU-IP-Address on POST /v1/consents through the binary, against a
// sandbox the binary serves with the profile it writes (no key added by
// hand): --psu-ip, else psu_ip_address, else the local address of the
// connection, which -v names once.

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
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
	// A zoned IPv6 address names an interface of this machine; the
	// sandbox refuses it as a bank would, so the client does not send it.
	t.Run("--psu-ip with a zone", func(t *testing.T) {
		r := s.run(nil, "consent", "create", "--psu-ip", "fe80::1%eth0")
		oneErrorLine(t, "--psu-ip fe80::1%eth0", r, 2, `--psu-ip "fe80::1%eth0" is not an IP address`)
	})
}

// TestFlowWithTheServedProfile: the profile `sandbox serve --write-profile`
// writes has no psu_ip_address; the journey's reads carry the address the
// consent was created with, so its five reads fit frequencyPerDay 4.
func TestFlowWithTheServedProfile(t *testing.T) {
	needCurl(t)
	s := serveBinary(t)
	r := s.run([]string{"BROWSER=" + flowBrowser(t, s)}, "flow", "-o", "json")
	if r.code != 0 {
		t.Fatalf("flow -p sb: exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	rec := decodeFlowRecord(t, r.stdout)
	checkWholeJourney(t, rec)
	if rec.Sandbox {
		t.Errorf("flow -p sb ran the embedded sandbox")
	}
	if !strings.Contains(rec.Steps[4].Sent, "PSU-IP-Address 127.0.0.1") {
		t.Errorf("card accounts step sent %q; want it to carry PSU-IP-Address 127.0.0.1", rec.Steps[4].Sent)
	}
	// The bank agrees: the consent spent none of its PSU-not-present calls.
	st := s.run(nil, "consent", "status", rec.ConsentID, "-o", "json")
	if st.code != 0 || !strings.Contains(st.stdout, `"calls_today": 0`) {
		t.Errorf("consent status after flow: exit %d\n%s\n%s", st.code, st.stdout, st.stderr)
	}
	// A card's available is the money to spend: its credit limit plus the
	// expected balance of the bank's own answer (the file's card notes).
	for _, c := range rec.Cards {
		r := s.run(nil, "accounts", "balances", c.ResourceID, "--psu-ip", "192.0.2.1", "-o", "json")
		var doc struct {
			Bank struct {
				Balances []struct {
					BalanceType         string
					CreditLimitIncluded bool
					BalanceAmount       struct{ Amount, Currency string }
				}
			} `json:"bank_response"`
		}
		err := json.Unmarshal([]byte(r.stdout), &doc)
		bs := doc.Bank.Balances
		if r.code != 0 || err != nil {
			t.Fatalf("accounts balances %s: exit %d %v\n%s\n%s", c.ResourceID, r.code, err, r.stdout, r.stderr)
		}
		want := ""
		for _, b := range bs {
			if b.BalanceType == "expected" && !b.CreditLimitIncluded {
				want = addAmounts(t, string(c.CreditLimit), b.BalanceAmount.Amount+" "+b.BalanceAmount.Currency)
			}
		}
		if want == "" || string(c.Available) != want {
			t.Errorf("card %s: available %q; want credit limit %s + expected = %q (%+v)", c.ResourceID, c.Available, c.CreditLimit, want, bs)
		}
	}
	list := s.run(nil, "accounts", "list", "--psu-ip", "192.0.2.1")
	if list.code != 0 || !regexp.MustCompile(`available -?\d+\.\d\d EUR \(expected with credit limit\)`).MatchString(list.stdout) {
		t.Errorf("accounts list does not name the card's balance: exit %d\n%s\n%s", list.code, list.stdout, list.stderr)
	}
	// The card's two expected balances, told apart in the text.
	bal := s.run(nil, "accounts", "balances", "card-8693", "--psu-ip", "192.0.2.1")
	if bal.code != 0 || !regexp.MustCompile(`(?m)^expected:\s+-?\d+\.\d\d EUR\n(?s:.*)^expected \(credit limit included\): -?\d+\.\d\d EUR$`).MatchString(bal.stdout) {
		t.Errorf("accounts balances does not tell the two expected balances apart: exit %d\n%s\n%s", bal.code, bal.stdout, bal.stderr)
	}
}

// TestFlowStopsBeforeTheBudget: with a daily limit of 4 requests (the bank's
// and so the written profile's), one of the journey's reads is one the
// budget says the bank refuses (the calls the sandbox counts: consent
// create, authorize's, the reads): flow stops before it, exit 8.
func TestFlowStopsBeforeTheBudget(t *testing.T) {
	needCurl(t)
	s := serveBinary(t, "--daily-limit", "4")
	r := s.run([]string{"BROWSER=" + flowBrowser(t, s)}, "flow", "-o", "json")
	if r.code != 8 {
		t.Fatalf("exit %d; want 8 (budget)\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	rec := decodeFlowRecord(t, r.stdout)
	last := rec.Steps[len(rec.Steps)-1]
	// The steps before it passed; the one refused is a read after the
	// PSU's approval, refused by the client (had it been sent, the bank's
	// own limit would have answered 429 ACCESS_EXCEEDED instead).
	for _, st := range rec.Steps[:len(rec.Steps)-1] {
		if !st.OK {
			t.Errorf("step %s failed: %s", st.Name, st.Error)
		}
	}
	if len(rec.Steps) < 6 || last.OK || rec.OK ||
		!strings.Contains(last.Error, "daily limit of 4 requests is used up; not sent (xs2a flow sends no call its budget says the bank will refuse)") {
		t.Fatalf("steps %+v; want a read after the approval stopped by the budget", rec.Steps)
	}
	if strings.Contains(r.stdout, "ACCESS_EXCEEDED") {
		t.Errorf("the bank refused a call: it was sent\n%s", r.stdout)
	}
}

// addAmounts adds two "1234.56 EUR" amounts of one currency, in cents.
func addAmounts(t *testing.T, a, b string) string {
	t.Helper()
	parse := func(s string) (int64, string) {
		num, cur, _ := strings.Cut(s, " ")
		neg := strings.HasPrefix(num, "-")
		whole, frac, _ := strings.Cut(strings.TrimPrefix(num, "-"), ".")
		w, err := strconv.ParseInt(whole, 10, 64)
		f, err2 := strconv.ParseInt((frac + "00")[:2], 10, 64)
		if err != nil || err2 != nil || cur == "" {
			t.Fatalf("amount %q", s)
		}
		if neg {
			return -(w*100 + f), cur
		}
		return w*100 + f, cur
	}
	x, cx := parse(a)
	y, cy := parse(b)
	if cx != cy {
		t.Fatalf("%s + %s: two currencies", a, b)
	}
	sum, sign := x+y, ""
	if sum < 0 {
		sum, sign = -sum, "-"
	}
	return fmt.Sprintf("%s%d.%02d %s", sign, sum/100, sum%100, cx)
}
