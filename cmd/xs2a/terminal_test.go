package main_test

// A hostile bank writes terminal control sequences into everything it
// answers: ESC sequences that clear the screen, an OSC 52 that sets the
// clipboard, a CR that prints a fake "✓ VALID" over the line, a C1 CSI,
// DEL and a bidi override. None of it may reach the terminal as such: text
// output shows every control character escaped (\x1b), -o json keeps the
// strings intact as JSON escapes.

import (
	"bytes"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/json"
	"encoding/pem"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/xs2a-dev/xs2a/pkg/pemfile"
	"github.com/xs2a-dev/xs2a/pkg/qcert"
	"github.com/xs2a-dev/xs2a/pkg/state"
)

// evil is what the hostile bank puts in every string it answers.
const evil = "\x1b[2J\x1b[H\x1b]52;c;cm0gLXJmIH4=\x07\r✓ VALID\u009b31m\u202efdp.exe\x7f"

// terminalUnsafe returns the first rune of s a terminal would obey: a C0
// control but LF and TAB, DEL, C1, a bidi override or isolate, the line
// and paragraph separators, or a byte that is not UTF-8.
func terminalUnsafe(s string) (rune, bool) {
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1,
			r < 0x20 && r != '\n' && r != '\t', r == 0x7f, r >= 0x80 && r <= 0x9f,
			r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069, r == 0x2028, r == 0x2029:
			return r, true
		}
		i += n
	}
	return 0, false
}

// safeOutput asserts that neither stream of r holds a control character
// and, for text output, that the attack is shown escaped in stream want
// ("stdout" or "stderr"; "" for no such check).
func safeOutput(t *testing.T, what string, r result, want string) {
	t.Helper()
	for name, s := range map[string]string{"stdout": r.stdout, "stderr": r.stderr} {
		if c, bad := terminalUnsafe(s); bad {
			t.Errorf("%s: %s carries %U to the terminal:\n%q", what, name, c, s)
		}
	}
	shown := map[string]string{"stdout": r.stdout, "stderr": r.stderr}[want]
	if want != "" && !strings.Contains(shown, `\x1b[2J`) {
		t.Errorf("%s: %s does not show the escape sequence escaped (\\x1b[2J):\n%s", what, want, shown)
	}
}

// evilTextBank answers every call the client commands make with evil in
// each string, and its errors with evil in tppMessages and the OAuth error.
func evilTextBank(t *testing.T) *httptest.Server {
	t.Helper()
	cert, err := tls.LoadX509KeyPair(fixture("server.pem"), fixture("server.key"))
	if err != nil {
		t.Fatal(err)
	}
	amount := map[string]string{"amount": "12.30" + evil, "currency": "EUR" + evil}
	balances := []any{map[string]any{"balanceType": "interimAvailable" + evil, "balanceAmount": amount},
		map[string]any{"balanceType": evil, "balanceAmount": amount}}
	card := map[string]any{"resourceId": "card-1" + evil, "maskedPan": "524378******8693", "currency": "EUR" + evil,
		"ownerName": "Owner" + evil, "name": "Name" + evil, "displayName": "Display" + evil, "product": "Product" + evil,
		"status": "enabled" + evil, "creditLimit": amount, "balances": balances}
	tx := map[string]any{"cardTransactionId": "t1" + evil, "transactionDate": "2026-11-01" + evil, "transactionAmount": amount,
		"transactionDetails": "Merchant" + evil, "maskedPAN": evil}
	answers := map[string]any{
		"POST /v1/consents": map[string]any{"consentStatus": "received" + evil, "consentId": "c1" + evil,
			"_links": map[string]any{"scaOAuth": map[string]string{"href": "https://bank.example/" + evil}}},
		"GET /v1/consents/c1":                       map[string]any{"consentStatus": "valid" + evil, "validUntil": "2026-12-31" + evil, "lastActionDate": evil, "frequencyPerDay": 4, "recurringIndicator": true},
		"GET /v1/consents/c1/status":                map[string]any{"consentStatus": "valid" + evil},
		"GET /v1/card-accounts":                     map[string]any{"cardAccounts": []any{card}},
		"GET /v1/card-accounts/card-1":              map[string]any{"cardAccount": card},
		"GET /v1/card-accounts/card-1/balances":     map[string]any{"balances": balances},
		"GET /v1/card-accounts/card-1/transactions": map[string]any{"cardTransactions": map[string]any{"booked": []any{tx}, "pending": []any{tx}}},
		"GET /sandbox/v1/rejections/rid-1": map[string]any{"x_request_id": "rid-1" + evil, "time": "2026-11-01T10:00:00Z", "method": "GET" + evil,
			"path": "/v1/x" + evil, "status": 400, "dialect": "strict" + evil, "warnings": []string{"warn" + evil},
			"tpp_messages": []any{map[string]string{"category": "ERROR", "code": "FORMAT_ERROR" + evil, "path": "p" + evil, "text": "text" + evil}},
			"request":      map[string]any{"method": "GET", "target": "/v1/x", "headers": []any{}}},
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := r.Method + " " + r.URL.Path
		switch {
		case key == "POST /token":
			_ = r.ParseForm()
			w.Header().Set("Content-Type", "application/json")
			if r.PostForm.Get("grant_type") == "refresh_token" {
				w.WriteHeader(http.StatusBadRequest)
				_ = json.NewEncoder(w).Encode(map[string]string{"error": "invalid_grant" + evil, "error_description": "refused" + evil})
				return
			}
			tok := evil + "token"
			if id, _, ok := r.BasicAuth(); id == "flow" || (!ok && r.PostForm.Get("client_id") == "flow") {
				tok = "flow-token" // one a request header can carry
			}
			_ = json.NewEncoder(w).Encode(map[string]any{"access_token": tok, "token_type": "Bearer", "expires_in": 3600, "scope": "AIS" + evil})
		case key == "DELETE /v1/consents/c1":
			w.WriteHeader(http.StatusNoContent)
		case key == "GET /v1/card-accounts/bad/balances":
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("X-Request-ID", "rid\u202e\u009b31m") // Go refuses ESC in a header; not C1 or bidi
			w.WriteHeader(http.StatusBadRequest)
			_ = json.NewEncoder(w).Encode(map[string]any{"tppMessages": []any{
				map[string]string{"category": "ERROR", "code": "FORMAT_ERROR" + evil, "path": "p" + evil, "text": "text" + evil}}})
		case key == "GET /v1/raw-text":
			w.Header().Set("Content-Type", "text/plain")
			_, _ = w.Write([]byte("line one " + evil + "\nline two\tcolumn\n"))
		case key == "GET /v1/raw-json":
			// Valid JSON may hold DEL, C1 and bidi characters raw.
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"a":"\u001b[2J del` + "\x7f c1 \u009b31m bidi \u202e" + `"}`))
		case key == "POST /v1/consents" && strings.Contains(readAll(r), `"frequencyPerDay":1,`):
			// A one-off consent gets an id a Consent-ID header can carry:
			// no ESC, but C1 and a bidi override.
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusCreated)
			_ = json.NewEncoder(w).Encode(map[string]any{"consentStatus": "received", "consentId": oneOffID})
		default:
			a, ok := answers[key]
			if !ok {
				http.NotFound(w, r)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			if r.Method == http.MethodPost {
				w.WriteHeader(http.StatusCreated)
			}
			_ = json.NewEncoder(w).Encode(a)
		}
	}))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv
}

// oneOffID is the hostile bank's id for a one-off consent.
const oneOffID = "c9\u202e\u009b31m"

func readAll(r *http.Request) string {
	b, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(b))
	return string(b)
}

// evilTextUser is a TPP whose profile names the hostile bank.
func evilTextUser(t *testing.T, base string) *user {
	t.Helper()
	return evilTextClient(t, base, "tpp")
}

// evilTextClient is evilTextUser with the given client_id.
func evilTextClient(t *testing.T, base, clientID string) *user {
	t.Helper()
	dir := t.TempDir()
	var y strings.Builder
	y.WriteString("profile: sb\nprofiles:\n  sb:\n")
	for _, kv := range [][2]string{{"base_url", base}, {"token_url", base + "/token"}, {"authorize_url", base + "/authorize"},
		{"client_id", clientID}, {"qwac_cert", fixture("qwac.pem")}, {"qwac_key", fixture("qwac.key")}, {"qseal_cert", fixture("qseal.pem")},
		{"qseal_key", fixture("qseal.key")}, {"ca_bundle", fixture("ca.pem")}} {
		y.WriteString("    " + kv[0] + ": " + yamlQuote(kv[1]) + "\n")
	}
	cfg := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(cfg, []byte(y.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	home := filepath.Join(dir, "home")
	u := &user{t: t, dir: dir, cfg: cfg, home: home}
	u.env = []string{"HOME=" + home, "XDG_STATE_HOME=" + filepath.Join(home, ".state"), "XDG_CONFIG_HOME=" + filepath.Join(home, ".config")}
	return u
}

func TestHostileBankTextIsEscaped(t *testing.T) {
	srv := evilTextBank(t)
	u := evilTextUser(t, srv.URL)

	// The client token itself is the bank's: its masked head and, with
	// --show-secrets, all of it.
	safeOutput(t, "token", u.must("token", "--show-secrets"), "stdout")
	safeOutput(t, "token masked", u.must("token"), "stdout")

	// From here on tokens a request header can carry, and a clean consent id.
	future := time.Now().Add(time.Hour)
	writeState(t, u, &state.State{ClientToken: &state.Token{AccessToken: "client-token", Expiry: future}})
	safeOutput(t, "consent create", u.must("consent", "create"), "stdout")
	writeState(t, u, &state.State{ConsentID: "c1", ConsentStatus: "valid",
		ClientToken: &state.Token{AccessToken: "client-token", Expiry: future},
		UserToken:   &state.Token{AccessToken: "user-token", RefreshToken: "refresh", Expiry: future, ConsentID: "c1"}})

	for _, args := range [][]string{
		{"consent", "get"},
		{"consent", "status"},
		{"accounts", "list"},
		{"accounts", "get", "card-1"},
		{"accounts", "balances", "card-1"},
		{"accounts", "transactions", "card-1", "--from", "2026-10-01"},
		{"api", "GET", "/raw-text"},
		{"sandbox", "why", "rid-1"},
	} {
		safeOutput(t, strings.Join(args, " "), u.must(args...), "stdout")
	}
	// A JSON body with raw DEL, C1 and bidi: still JSON, still the same
	// strings, but escaped.
	r := u.must("api", "GET", "/raw-json")
	safeOutput(t, "api raw-json", r, "")
	var v map[string]string
	if err := json.Unmarshal([]byte(r.stdout), &v); err != nil || v["a"] != "\x1b[2J del\x7f c1 \u009b31m bidi \u202e" {
		t.Errorf("api raw-json: %v, %q", err, r.stdout)
	}

	// Errors: the bank's tppMessages and X-Request-ID, the OAuth error.
	r = u.run("accounts", "balances", "bad")
	oneErrorLine(t, "tppMessages error", r, 3, `\x1b[2J`)
	safeOutput(t, "tppMessages error", r, "stderr")
	// The recorded and the new answer's code, in replay's table.
	rec := filepath.Join(u.dir, "rec")
	if r = u.run("--record", rec, "accounts", "balances", "bad"); r.code != 3 {
		t.Fatalf("recording: exit %d\n%s", r.code, r.stderr)
	}
	r = u.run("replay", rec)
	if r.code != 0 && r.code != 7 {
		t.Errorf("replay: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	safeOutput(t, "replay", r, "stdout")
	// Shell completion offers the ids and status the bank gave; the shell
	// shows them in its menu. (Completion reads the default profile's
	// state: it runs before the configuration is loaded.)
	writeState(t, u, &state.State{ConsentID: "c1" + evil, ConsentStatus: "valid" + evil, AccountIDs: []string{"card-1" + evil}})
	if err := os.Rename(u.statePath(), filepath.Join(filepath.Dir(u.statePath()), "default.json")); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"__complete", "consent", "get", ""}, {"__complete", "accounts", "balances", ""}} {
		r = u.must(args...)
		safeOutput(t, strings.Join(args, " "), r, "stdout")
	}
	writeState(t, u, &state.State{ConsentID: "c1", UserToken: &state.Token{AccessToken: "user-token", RefreshToken: "refresh", Expiry: future.Add(-2 * time.Hour)}})
	r = u.run("token", "refresh")
	oneErrorLine(t, "OAuth error", r, 4, `\x1b[2J`)
	safeOutput(t, "OAuth error", r, "stderr")
}

// The budget warns when a call goes beyond a consent's budget (here a
// one-off consent's second read of an endpoint), naming the consent by the
// id the bank gave.
func TestHostileBankBudgetWarningIsEscaped(t *testing.T) {
	srv := evilTextBank(t)
	u := evilTextUser(t, srv.URL)
	future := time.Now().Add(time.Hour)
	if err := os.MkdirAll(filepath.Dir(u.statePath()), 0o700); err != nil {
		t.Fatal(err)
	}
	writeState(t, u, &state.State{ClientToken: &state.Token{AccessToken: "client-token", Expiry: future}})
	u.must("consent", "create", "--one-off")
	st := u.state()
	if st.ConsentID != oneOffID {
		t.Fatalf("consent id %q", st.ConsentID)
	}
	st.UserToken = &state.Token{AccessToken: "user-token", Expiry: future, ConsentID: oneOffID}
	writeState(t, u, st)
	u.must("accounts", "balances", "card-1")
	r := u.must("accounts", "balances", "card-1")
	safeOutput(t, "budget warning", r, "")
	if !strings.Contains(r.stderr, `c9\u202e\u009b31m`) {
		t.Errorf("the warning does not name the consent escaped:\n%s", r.stderr)
	}
}

// `xs2a flow` prints each step's answer and the diagnosis of the one that
// failed: the consent the hostile bank created and the authorization that
// never came.
func TestHostileBankFlowIsEscaped(t *testing.T) {
	srv := evilTextBank(t)
	u := evilTextClient(t, srv.URL, "flow")
	r := u.run("flow", "--timeout", "1s")
	if r.code == 0 {
		t.Fatalf("flow against the hostile bank succeeded:\n%s", r.stdout)
	}
	safeOutput(t, "flow", r, "stdout")
	if !strings.Contains(r.stdout, "diagnosis:") {
		t.Errorf("flow: no diagnosis:\n%s", r.stdout)
	}
}

// bankOf is the bank's answer in a -o json document (bank_response).
func bankOf(v any) map[string]any {
	m, _ := v.(map[string]any)["bank_response"].(map[string]any)
	return m
}

// -o json keeps the bank's strings exactly (a script reads them back), but
// written as JSON escapes, so that a `cat` of it cannot drive the terminal.
func TestHostileBankJSONRoundTrips(t *testing.T) {
	srv := evilTextBank(t)
	u := evilTextUser(t, srv.URL)
	future := time.Now().Add(time.Hour)
	if err := os.MkdirAll(filepath.Dir(u.statePath()), 0o700); err != nil {
		t.Fatal(err)
	}
	writeState(t, u, &state.State{ConsentID: "c1", ConsentStatus: "valid",
		ClientToken: &state.Token{AccessToken: "client-token", Expiry: future},
		UserToken:   &state.Token{AccessToken: "user-token", Expiry: future, ConsentID: "c1"}})
	cases := []struct {
		args []string
		get  func(any) any
		want string
	}{
		{[]string{"consent", "get"}, func(v any) any { return v.(map[string]any)["consent_status"] }, "valid" + evil},
		{[]string{"consent", "get"}, func(v any) any { return bankOf(v)["consentStatus"] }, "valid" + evil},
		{[]string{"accounts", "list"}, func(v any) any { return bankOf(v)["cardAccounts"].([]any)[0].(map[string]any)["name"] }, "Name" + evil},
		{[]string{"accounts", "balances", "card-1"}, func(v any) any { return bankOf(v)["balances"].([]any)[1].(map[string]any)["balanceType"] }, evil},
		{[]string{"accounts", "transactions", "card-1"}, func(v any) any {
			return bankOf(v)["cardTransactions"].(map[string]any)["booked"].([]any)[0].(map[string]any)["transactionDetails"]
		}, "Merchant" + evil},
		{[]string{"sandbox", "why", "rid-1"}, func(v any) any { return v.(map[string]any)["path"] }, "/v1/x" + evil},
	}
	for _, c := range cases {
		what := strings.Join(c.args, " ") + " -o json"
		r := u.must(append(c.args, "-o", "json")...)
		safeOutput(t, what, r, "")
		var v any
		if err := json.Unmarshal([]byte(r.stdout), &v); err != nil {
			t.Errorf("%s: not JSON: %v\n%s", what, err, r.stdout)
			continue
		}
		if got := c.get(v); got != c.want {
			t.Errorf("%s: %q; want %q", what, got, c.want)
		}
	}
}

// A certificate whose subject, issuer, NCA and PSP role name carry the
// attack: `certs inspect` and `certs check` show them escaped.
func TestHostileCertificateIsEscaped(t *testing.T) {
	key, err := pemfile.ReadRSAKey(fixture("qwac.key"))
	if err != nil {
		t.Fatal(err)
	}
	type role struct {
		OID  asn1.ObjectIdentifier
		Name string `asn1:"utf8"`
	}
	type info struct {
		Roles   []role
		NCAName string `asn1:"utf8"`
		NCAID   string `asn1:"utf8"`
	}
	ib, err := asn1.Marshal(info{Roles: []role{{asn1.ObjectIdentifier{0, 4, 0, 19495, 1, 2}, "PSP" + evil}}, NCAName: "NCA" + evil, NCAID: "FI-" + evil})
	if err != nil {
		t.Fatal(err)
	}
	seq := func(parts ...[]byte) []byte {
		b, err := asn1.Marshal(asn1.RawValue{Class: asn1.ClassUniversal, Tag: asn1.TagSequence, IsCompound: true, Bytes: concat(parts...)})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	oid := func(o asn1.ObjectIdentifier) []byte { b, _ := asn1.Marshal(o); return b }
	qc := seq(seq(oid(qcert.OIDQcCompliance)), seq(oid(qcert.OIDQcType), seq(oid(qcert.OIDQcTypeWeb))), seq(oid(qcert.OIDPSD2Statement), ib))
	name := pkix.Name{CommonName: "TPP" + evil, Organization: []string{"Org" + evil}}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1414), Subject: name, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(90 * 24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
		DNSNames: []string{"tpp\x1b[2J.example"}, ExtraExtensions: []pkix.Extension{{Id: qcert.OIDQCStatements, Value: qc}}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "evil.pem")
	if err := os.WriteFile(file, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	r := xs2a(t, dir, "", nil, "certs", "inspect", file)
	safeOutput(t, "certs inspect", r, "stdout")
	for _, s := range []string{"CN=TPP" + `\x1b[2J`, "NCA" + `\x1b[2J`, "PSP" + `\x1b[2J`, `tpp\x1b[2J.example`} {
		if !strings.Contains(r.stdout, s) {
			t.Errorf("certs inspect: %q not shown:\n%s", s, r.stdout)
		}
	}
	r = xs2a(t, dir, "", nil, "certs", "check", "--qwac", file, "--qseal", fixture("qseal.pem"), "--ca", fixture("ca.pem"))
	if r.code != 5 {
		t.Errorf("certs check: exit %d; want 5\n%s%s", r.code, r.stdout, r.stderr)
	}
	safeOutput(t, "certs check", r, "stdout")
	r = xs2a(t, dir, "", nil, "certs", "inspect", file, "-o", "json")
	safeOutput(t, "certs inspect -o json", r, "")
	var docs []struct {
		Subject string `json:"subject"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &docs); err != nil || len(docs) != 1 || !strings.Contains(docs[0].Subject, "CN=TPP\x1b[2J\x1b[H\x1b]52") {
		t.Errorf("certs inspect -o json: %v %+v", err, docs)
	}
}

func concat(parts ...[]byte) []byte {
	var b []byte
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}
