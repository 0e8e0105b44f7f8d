package sandbox

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	bolt "go.etcd.io/bbolt"
)

// startData starts a sandbox on dir; the caller closes it (a restart is the point).
func startData(t *testing.T, dir string, opts Options) *Server {
	t.Helper()
	opts.DataDir = dir
	if opts.Certs == nil {
		opts.Certs = sharedSet(t)
	}
	s, err := Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func (p *tpp) refreshWith(rt string) answer {
	p.t.Helper()
	form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}}
	req, _ := http.NewRequest("POST", p.s.URL+"/oauth/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(p.s.DefaultApp.ClientID, p.s.DefaultApp.ClientSecret)
	return do(p.t, p.plain, req)
}

func TestDataDirKeepsTheBankAcrossARestart(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data") // created by Start
	clock := newClock(time.Now())             // frozen: the bank's day cannot turn mid-test
	other := App{Name: "other", ClientID: "other-client", ClientSecret: "s", APIKey: "k", OrganizationID: "PSDFI-FINFSA-7654321-0"}
	opts := Options{AutoApprove: true, RatePerSecond: -1, RatePerDay: 9, Now: clock.Now}

	first := opts
	first.Apps = []App{other}
	s1 := startData(t, dir, first)
	p := newTPP(t, s1)
	ct := p.clientToken()
	a := p.api("POST", "/v1/consents", ct, []byte(allAccounts), nil) // day count 1
	if a.status != 201 {
		t.Fatalf("create consent: %d %s", a.status, a.body)
	}
	var cr struct{ ConsentID string }
	a.json(t, &cr)
	cid := cr.ConsentID
	verifier, challenge := pkce()
	redirect := "http://127.0.0.1:9/callback"
	a = do(t, p.browser(), mustGet(p.authorizeURL(cid, redirect, "st", challenge)))
	loc, _ := url.Parse(a.header.Get("Location"))
	code := loc.Query().Get("code")
	ea, tr := p.exchange(code, redirect, verifier)
	if ea.status != 200 {
		t.Fatalf("exchange: %d %s", ea.status, ea.body)
	}
	ra := p.refreshWith(tr.RefreshToken) // rotation: tr.RefreshToken is now revoked
	var rotated TokenResponse
	ra.json(t, &rotated)
	if ra.status != 200 || rotated.RefreshToken == "" {
		t.Fatalf("refresh: %d %s", ra.status, ra.body)
	}
	noPSU := map[string]string{"Consent-ID": cid}
	for i := 0; i < 2; i++ { // day count 2, 3; frequencyPerDay calls 1, 2 of 4
		if a := p.api("GET", "/v1/card-accounts", tr.AccessToken, nil, noPSU); a.status != 200 {
			t.Fatalf("card-accounts %d: %d %s", i, a.status, a.body)
		}
	}
	app1 := s1.DefaultApp
	s1.Close()

	s2 := startData(t, dir, opts) // no Apps this time: the stored one stays
	defer s2.Close()
	if !reflect.DeepEqual(s2.DefaultApp, app1) {
		t.Errorf("default app after restart = %+v; want %+v (a written profile would stop working)", s2.DefaultApp, app1)
	}
	if a := s2.store.apps["other-client"]; a == nil || !reflect.DeepEqual(*a, other) {
		t.Errorf("app registered by the first run: %+v", a)
	}
	p = newTPP(t, s2)
	// The client token of the first run reads the consent (day count 4).
	a = p.api("GET", "/v1/consents/"+cid, ct, nil, nil)
	var info consentInfo
	a.json(t, &info)
	if a.status != 200 || info.ConsentStatus != StatusValid || info.Access.AllPsd2 != "allAccounts" || info.FrequencyPerDay != 4 || !info.RecurringIndicator {
		t.Errorf("consent after restart: %d %s", a.status, a.body)
	}
	// The PSU's access token still reads the granted cards; two of the
	// four PSU-not-present accesses are left (day count 5, 6).
	for i := 0; i < 2; i++ {
		a = p.api("GET", "/v1/card-accounts", tr.AccessToken, nil, noPSU)
		if a.status != 200 || !strings.Contains(string(a.body), "card-8693") || !strings.Contains(string(a.body), "card-8694") {
			t.Fatalf("card-accounts after restart %d: %d %s", i, a.status, a.body)
		}
	}
	a = p.api("GET", "/v1/card-accounts", tr.AccessToken, nil, noPSU) // day count 7
	if a.status != 429 || !strings.Contains(a.text(t), "allows 4 accesses a day without the PSU") {
		t.Errorf("fifth PSU-not-present access today: %d %s; want 429 (the two before the restart count)", a.status, a.body)
	}
	withPSU := map[string]string{"Consent-ID": cid, "PSU-IP-Address": "192.0.2.1"}
	for i := 0; i < 2; i++ { // day count 8, 9
		if a := p.api("GET", "/v1/card-accounts", tr.AccessToken, nil, withPSU); a.status != 200 {
			t.Fatalf("card-accounts with the PSU %d: %d %s", i, a.status, a.body)
		}
	}
	a = p.api("GET", "/v1/card-accounts", tr.AccessToken, nil, withPSU)
	if a.status != 429 || !strings.Contains(a.text(t), "daily limit of 9 requests") {
		t.Errorf("tenth request today: %d %s; want the daily limit (three were made before the restart)", a.status, a.body)
	}
	// The rotated-out refresh token stays revoked; its successor works.
	if a := p.refreshWith(tr.RefreshToken); a.status != 400 || !strings.Contains(string(a.body), "revoked") {
		t.Errorf("rotated refresh token after restart: %d %s", a.status, a.body)
	}
	if a := p.refreshWith(rotated.RefreshToken); a.status != 200 {
		t.Errorf("current refresh token after restart: %d %s", a.status, a.body)
	}
	// The used code stays used.
	if a, _ := p.exchange(code, redirect, verifier); a.status != 400 || !strings.Contains(string(a.body), "already used") {
		t.Errorf("code replayed after restart: %d %s", a.status, a.body)
	}
}

func TestDataDirFilesAndPruning(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a", "data")
	clock := newClock(time.Now())
	s := startData(t, dir, Options{RatePerSecond: -1, Now: clock.Now})
	p := newTPP(t, s)
	old := p.clientToken()
	clock.Add(AccessTokenTTL + pruneEvery + time.Minute)
	fresh := p.clientToken() // prunes the expired one, from the file too
	s.Close()
	for path, want := range map[string]os.FileMode{dir: 0o700, filepath.Join(dir, DBFile): 0o600} {
		if st, err := os.Stat(path); err != nil {
			t.Error(err)
		} else if st.Mode().Perm() != want {
			t.Errorf("%s: mode %v; want %v", path, st.Mode().Perm(), want)
		}
	}
	s = startData(t, dir, Options{RatePerSecond: -1, Now: clock.Now})
	defer s.Close()
	if s.store.tokens[old] != nil || s.store.tokens[fresh] == nil {
		t.Errorf("after restart: pruned token kept %v, live token kept %v", s.store.tokens[old] != nil, s.store.tokens[fresh] != nil)
	}
}

func TestDataDirInUseIsRefused(t *testing.T) {
	dir := t.TempDir()
	s := startData(t, dir, Options{})
	_, err := Start(Options{Certs: sharedSet(t), DataDir: dir})
	if !errors.Is(err, ErrDataLocked) || !strings.Contains(err.Error(), "sandbox data directory "+dir+" is in use by another sandbox") {
		t.Errorf("second sandbox on the same directory: %v", err)
	}
	s.Close()
	s = startData(t, dir, Options{}) // the lock went with the first
	s.Close()
}

func TestDataDirThatCannotBeRead(t *testing.T) {
	write := func(t *testing.T, f func(tx *bolt.Tx) error) string {
		dir := t.TempDir()
		db, err := bolt.Open(filepath.Join(dir, DBFile), 0o600, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := db.Update(f); err != nil {
			t.Fatal(err)
		}
		db.Close()
		return dir
	}
	v1 := func(extra func(tx *bolt.Tx) error) func(tx *bolt.Tx) error {
		return func(tx *bolt.Tx) error {
			m, _ := tx.CreateBucket(bucketMeta)
			m.Put(keySchema, []byte("1"))
			for _, b := range dataBuckets {
				tx.CreateBucket(b)
			}
			return extra(tx)
		}
	}
	for _, tt := range []struct {
		name string
		dir  func(t *testing.T) string
		is   error
		want string
	}{
		{"not a database", func(t *testing.T) string {
			dir := t.TempDir()
			os.WriteFile(filepath.Join(dir, DBFile), []byte(strings.Repeat("not a database\n", 1000)), 0o600)
			return dir
		}, ErrDataCorrupt, "is not a readable sandbox database: invalid database; move it away"},
		{"newer schema", func(t *testing.T) string {
			return write(t, func(tx *bolt.Tx) error {
				m, _ := tx.CreateBucket(bucketMeta)
				return m.Put(keySchema, []byte("7"))
			})
		}, ErrDataVersion, fmt.Sprintf("was written by a newer xs2a (data schema 7; this one reads %d)", schemaVersion)},
		{"another program's bbolt file", func(t *testing.T) string {
			return write(t, func(tx *bolt.Tx) error { _, err := tx.CreateBucket([]byte("widgets")); return err })
		}, ErrDataCorrupt, "no schema version"},
		{"a damaged consent", func(t *testing.T) string {
			return write(t, v1(func(tx *bolt.Tx) error {
				return tx.Bucket(bucketConsents).Put([]byte("cns-1"), []byte(`{"id":"cns-1","status":`))
			}))
		}, ErrDataCorrupt, `consents record "cns-1": unexpected EOF`},
		{"a consent of an unknown customer", func(t *testing.T) string {
			return write(t, v1(func(tx *bolt.Tx) error {
				return tx.Bucket(bucketConsents).Put([]byte("cns-1"), []byte(`{"id":"cns-1","status":"valid","psu":"999"}`))
			}))
		}, ErrDataCorrupt, `consent of unknown customer "999"`},
		{"an authorisation of an unknown status", func(t *testing.T) string {
			return write(t, v1(func(tx *bolt.Tx) error {
				return tx.Bucket(bucketConsents).Put([]byte("cns-1"), []byte(`{"id":"cns-1","status":"received","authorisations":[{"id":"auth-1","scaStatus":"approved","created":"2026-01-01T00:00:00Z"}]}`))
			}))
		}, ErrDataCorrupt, `authorisation "auth-1": unknown scaStatus "approved"`},
		{"an authorisation twice", func(t *testing.T) string {
			return write(t, v1(func(tx *bolt.Tx) error {
				a := `{"id":"auth-1","scaStatus":"received","created":"2026-01-01T00:00:00Z"}`
				return tx.Bucket(bucketConsents).Put([]byte("cns-1"), []byte(`{"id":"cns-1","status":"received","authorisations":[`+a+`,`+a+`]}`))
			}))
		}, ErrDataCorrupt, `authorisation id "auth-1" missing or repeated`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := tt.dir(t)
			_, err := Start(Options{Certs: sharedSet(t), DataDir: dir})
			if !errors.Is(err, tt.is) || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), filepath.Join(dir, DBFile)) {
				t.Errorf("Start: %v; want %v with %q and the file's path", err, tt.is, tt.want)
			}
		})
	}
}

// FuzzDecodeStoredRecord: whatever bytes a damaged or hand-edited file
// holds, decoding a record gives a record or an error, never a panic; and
// a record that decodes encodes back to what decodes to the same.
func FuzzDecodeStoredRecord(f *testing.F) {
	psus := TestPSUs("Bank")
	psu := func(id string) *PSU {
		for _, p := range psus {
			if p.ID == id {
				return p
			}
		}
		return nil
	}
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	con, _ := parseConsent([]byte(allAccounts), dateOf(now))
	con.ID, con.OrganizationID, con.ClientID, con.Status, con.LastAction, con.PSU = "cns-1", "PSDFI-FINFSA-1", "sandbox-client", StatusValid, now, psus[0]
	grant(con, psus[0], nil)
	con.calls = map[string]int{"2026-12-01": 2}
	con.Authorisations = []*authorisation{{ID: "auth-1", Status: ScaFinalised, PSU: "1345611", Created: now}, {ID: "auth-2", Status: ScaReceived, Created: now}}
	f.Add(uint8(0), "cns-1", encodeConsent(con))
	f.Add(uint8(1), "tok", encodeToken(&token{value: "tok", kind: "user", clientID: "c", thumbprint: "x", consentID: "cns-1", expires: now, refresh: true, revoked: true}))
	f.Add(uint8(2), "code", encodeCode(&authCode{value: "code", clientID: "c", consentID: "cns-1", expires: now, used: true, issued: []string{"a", "b"}}))
	f.Add(uint8(3), "sandbox-client", mustJSON(&App{Name: "default", ClientID: "sandbox-client", OrganizationID: "PSDFI-FINFSA-1"}))
	f.Add(uint8(4), "PSDFI-FINFSA-1", mustJSON(limitRecord{Org: "PSDFI-FINFSA-1", Day: "2026-12-01", N: 7}))
	pay := &Payment{ID: "pmt-1", Service: "payments", Product: "sepa-credit-transfers", OrganizationID: "PSDFI-FINFSA-1", ClientID: "c",
		Single: &paymentBody{DebtorAccount: &AccountReference{IBAN: currentIBAN}, InstructedAmount: &Amount{Currency: "EUR", Amount: "1.00"},
			CreditorAccount: &AccountReference{IBAN: savingsIBAN}, CreditorName: "Me"}, Total: 100, Status: TxSettled, Created: now, Executed: now,
		Authorisations: []*authorisation{{ID: "auth-1", Status: ScaFinalised, PSU: PaymentCustomerID, Created: now}}}
	for _, psu := range psus {
		if psu.ID == PaymentCustomerID {
			pay.Debtor = psu.Accounts[0]
		}
	}
	f.Add(uint8(5), "pmt-1", encodePayment(pay))
	order := *pay
	order.Service, order.Status, order.Single = "periodic-payments", TxAccepted, &paymentBody{DebtorAccount: pay.Single.DebtorAccount, InstructedAmount: pay.Single.InstructedAmount,
		CreditorAccount: pay.Single.CreditorAccount, CreditorName: "Me", StartDate: "2026-12-01", Frequency: "Weekly", EndDate: "2027-12-01"}
	order.Order = &orderProgress{Through: "2026-12-08", Booked: 1, Refused: []string{"2026-12-08"}}
	f.Add(uint8(5), "pmt-1", encodePayment(&order))
	f.Add(uint8(5), "pmt-1", []byte(`{"id":"pmt-1","service":"payments","product":"sepa-credit-transfers","status":"ACSC","debtorIban":"`+currentIBAN+`","single":{}}`))
	f.Add(uint8(0), "cns-1", []byte(`{"id":"cns-1","status":"valid"}`))
	f.Add(uint8(0), "cns-1", []byte(`{"id":"cns-1","status":"received","calls":{"yesterday":-1}}`))
	f.Add(uint8(1), "tok", []byte(`{"value":"tok","kind":"user"} {}`))
	f.Add(uint8(4), "x", []byte(`null`))
	f.Fuzz(func(t *testing.T, kind uint8, key string, b []byte) {
		decode := func(b []byte) ([]byte, error) {
			switch kind % 6 {
			case 5:
				v, err := (&Server{psus: psus}).decodePayment(key, b)
				if err != nil {
					return nil, err
				}
				return encodePayment(v), nil
			case 0:
				c, err := decodeConsent(key, b, psu)
				if err != nil {
					return nil, err
				}
				return encodeConsent(c), nil
			case 1:
				v, err := decodeToken(key, b)
				if err != nil {
					return nil, err
				}
				return encodeToken(v), nil
			case 2:
				v, err := decodeCode(key, b)
				if err != nil {
					return nil, err
				}
				return encodeCode(v), nil
			case 3:
				v, err := decodeApp(key, b)
				if err != nil {
					return nil, err
				}
				return mustJSON(v), nil
			default:
				v, err := decodeLimit(key, b)
				if err != nil {
					return nil, err
				}
				return mustJSON(v), nil
			}
		}
		enc, err := decode(b)
		if err != nil {
			if err.Error() == "" {
				t.Error("an error without a message")
			}
			return
		}
		again, err := decode(enc)
		if err != nil {
			t.Fatalf("a record that decoded does not decode once re-encoded: %v\n%s", err, enc)
		}
		if string(again) != string(enc) {
			t.Errorf("re-encoding changed the record:\n%s\n%s", enc, again)
		}
	})
}

// TestDataDirConcurrentChangesLandInOrder: answers sent together share
// commits, and the last change of a record is the one a restart finds.
func TestDataDirConcurrentChangesLandInOrder(t *testing.T) {
	dir := t.TempDir()
	clock := newClock(time.Now())
	opts := Options{AutoApprove: true, RatePerSecond: -1, RatePerDay: 1000, Now: clock.Now}
	s := startData(t, dir, opts)
	p := newTPP(t, s)
	cid, at := p.journey(allAccounts) // day count 1
	const n = 16
	var wg sync.WaitGroup
	statuses := make(chan int, n)
	for i := 0; i < n; i++ { // day count 2..17; four of them are PSU-not-present accesses
		wg.Add(1)
		go func() {
			defer wg.Done()
			statuses <- p.api("GET", "/v1/card-accounts", at, nil, map[string]string{"Consent-ID": cid}).status
		}()
	}
	wg.Wait()
	close(statuses)
	ok := 0
	for st := range statuses {
		if st == 200 {
			ok++
		}
	}
	if ok != 4 {
		t.Fatalf("%d of %d concurrent PSU-not-present accesses answered 200; want frequencyPerDay 4", ok, n)
	}
	org := tppKey(s.DefaultApp.OrganizationID, s.DefaultApp.CA)
	s.Close()

	s = startData(t, dir, opts)
	defer s.Close()
	if l := s.limiters[org]; l == nil || l.n != n+1 {
		t.Errorf("day count after restart: %+v; want %d", l, n+1)
	}
	if c := s.store.consents[cid]; c == nil || c.calls[s.bankDay(clock.Now())] != 4 {
		t.Errorf("consent after restart: %+v; want 4 calls today", c)
	}
}

// TestJournalKeepsTheOrderOfChanges: changes queued while a commit is under
// way share the next one, and within it the later change of a record wins.
func TestJournalKeepsTheOrderOfChanges(t *testing.T) {
	j, err := openJournal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	n := 0
	var wg sync.WaitGroup
	errs := make(chan error, 8*200)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var waits []<-chan error
			for i := 0; i < 200; i++ {
				mu.Lock()
				n++
				waits = append(waits, j.submit([]change{changeOf(limitRecord{Org: "org", Day: "2026-12-01", N: n})}))
				mu.Unlock()
			}
			for _, w := range waits {
				errs <- <-w
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	var got *limitRecord
	j.db.View(func(tx *bolt.Tx) error {
		got, err = decodeLimit("org", tx.Bucket(bucketLimits).Get([]byte("org")))
		return nil
	})
	j.close()
	if err != nil || got.N != 8*200 {
		t.Errorf("stored count %+v (%v); want the last of %d changes", got, err, 8*200)
	}
	if ch := j.submit(nil); <-ch != errJournalClosed {
		t.Error("a closed journal accepted a change")
	}
}

// TestJournalFailedCommit: when a shared commit fails, each answer's
// changes are tried alone, so only the bad one fails; a panic inside the
// write is an error; after that the journal accepts nothing more and says
// so once on the log.
func TestJournalFailedCommit(t *testing.T) {
	j, err := openJournal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer j.close()
	log := &syncLog{}
	j.log = log
	hold, held := make(chan struct{}), make(chan struct{})
	var calls atomic.Int32
	j.write = func(cs []change) error {
		if calls.Add(1) == 1 {
			close(held)
			<-hold // the next answers queue up and share one commit
		}
		for _, c := range cs {
			switch c.key {
			case "bad":
				return errors.New("no space left on device")
			case "boom":
				panic("bbolt: damaged page")
			}
		}
		return j.writeDB(cs)
	}
	rec := func(org string) []change { return []change{changeOf(limitRecord{Org: org, Day: "2026-12-01", N: 1})} }
	first := j.submit(rec("a"))
	<-held
	bad, good, boom := j.submit(rec("bad")), j.submit(rec("c")), j.submit(rec("boom"))
	close(hold)
	if err := <-first; err != nil {
		t.Errorf("the first answer's change: %v", err)
	}
	if err := <-bad; err == nil || !strings.Contains(err.Error(), "no space left") {
		t.Errorf("the bad change: %v; want the write's error", err)
	}
	if err := <-good; err != nil {
		t.Errorf("a good change committed with a bad one: %v; want it retried alone and saved", err)
	}
	if err := <-boom; !errors.Is(err, ErrDataCorrupt) || !strings.Contains(err.Error(), "damaged page") {
		t.Errorf("a panic inside the write: %v; want ErrDataCorrupt with the panic's text", err)
	}
	if err := <-j.submit(rec("d")); !errors.Is(err, errDataFailed) {
		t.Errorf("a change after a failed commit: %v; want errDataFailed", err)
	}
	if j.broken() == nil {
		t.Error("the journal does not report its failure")
	}
	stored := map[string]bool{}
	j.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketLimits).ForEach(func(k, _ []byte) error { stored[string(k)] = true; return nil })
	})
	if want := map[string]bool{"a": true, "c": true}; !reflect.DeepEqual(stored, want) {
		t.Errorf("on disk: %v; want %v", stored, want)
	}
	log.mu.Lock()
	out := log.b.String()
	log.mu.Unlock()
	if strings.Count(out, "\n") != 1 || !strings.Contains(out, "data file could not be written") || !strings.Contains(out, "start it again") {
		t.Errorf("log: %q; want one line saying the data file could not be written and what to do", out)
	}
}

// TestDataDirWriteFailureRefusesChanges: once a change could not be saved,
// the API, the token endpoint and the authorization pages answer 503
// instead of serving what memory holds and the file does not.
func TestDataDirWriteFailureRefusesChanges(t *testing.T) {
	log := &syncLog{}
	s := startData(t, t.TempDir(), Options{AutoApprove: true, RatePerSecond: -1, RatePerDay: -1, Log: log})
	defer s.Close()
	var broken atomic.Bool
	s.store.j.write = func(cs []change) error {
		if broken.Load() {
			return errors.New("input/output error")
		}
		return s.store.j.writeDB(cs)
	}
	p := newTPP(t, s)
	ct := p.clientToken()
	broken.Store(true)
	a := p.api("POST", "/v1/consents", ct, []byte(allAccounts), nil)
	if a.status != 500 || !strings.Contains(a.text(t), "could not save the change") {
		t.Fatalf("consent whose save failed: %d %s; want 500", a.status, a.body)
	}
	rid := uuid.NewString()
	a = p.api("GET", "/v1/card-accounts", ct, nil, map[string]string{"X-Request-ID": rid})
	if a.status != 503 || !reflect.DeepEqual(a.codes(t), []string{CodeServiceUnavailable}) || !strings.Contains(a.text(t), "restarts it") {
		t.Errorf("API call after the failure: %d %s; want 503 %s", a.status, a.body, CodeServiceUnavailable)
	}
	if a.header.Get("X-Request-ID") != rid {
		t.Errorf("the 503 echoes X-Request-ID %q; want %q", a.header.Get("X-Request-ID"), rid)
	}
	form := url.Values{"grant_type": {"client_credentials"}}
	req, _ := http.NewRequest("POST", s.URL+"/oauth/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(s.DefaultApp.ClientID, s.DefaultApp.ClientSecret)
	a = do(t, p.plain, req)
	var oe oauthError
	a.json(t, &oe)
	if a.status != 503 || oe.Code != "server_error" || !strings.Contains(oe.Description, "data file") {
		t.Errorf("token request after the failure: %d %s; want 503 server_error", a.status, a.body)
	}
	_, challenge := pkce()
	a = do(t, p.browser(), mustGet(p.authorizeURL("any", "http://127.0.0.1:9/cb", "st", challenge)))
	if a.status != 503 || !strings.Contains(string(a.body), "could not write its data file") {
		t.Errorf("authorization page after the failure: %d %s; want a 503 page", a.status, a.body)
	}
	log.mu.Lock()
	out := log.b.String()
	log.mu.Unlock()
	if n := strings.Count(out, "data file could not be written"); n != 1 {
		t.Errorf("the failure is on the log %d times; want once:\n%s", n, out)
	}
}

// TestDataDirOfSchema1: a data file of schema 1 (apps without their CA,
// day counts by organisation) still loads: its consent and tokens work
// again, the default app is bound to the sandbox's CA, and the file is
// marked with the current schema, which an older xs2a refuses as newer rather than
// misreading its apps.
func TestDataDirOfSchema1(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	opts := Options{AutoApprove: true, RatePerSecond: -1}
	s := startData(t, dir, opts)
	p := newTPP(t, s)
	ct := p.clientToken()
	cid := p.createConsent(allAccounts)
	org := s.DefaultApp.OrganizationID
	s.Close()

	// Write it back as schema 1 wrote it.
	db, err := bolt.Open(filepath.Join(dir, DBFile), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		if err := tx.Bucket(bucketMeta).Put(keySchema, []byte("1")); err != nil {
			return err
		}
		apps := tx.Bucket(bucketApps)
		var a App
		if err := json.Unmarshal(apps.Get([]byte("sandbox-client")), &a); err != nil {
			return err
		}
		a.CA = ""
		if err := apps.Put([]byte("sandbox-client"), mustJSON(&a)); err != nil {
			return err
		}
		return tx.Bucket(bucketLimits).Put([]byte(org), mustJSON(limitRecord{Org: org, Day: "2026-01-01", N: 3}))
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}

	s = startData(t, dir, opts)
	p = newTPP(t, s)
	a := p.api("GET", "/v1/consents/"+cid+"/status", ct, nil, nil)
	if a.status != 200 {
		t.Errorf("the consent with the token from before: %d %s", a.status, a.body)
	}
	if s.DefaultApp.CA != caID(s.Certs.CA.Cert) {
		t.Errorf("default app CA %q", s.DefaultApp.CA)
	}
	s.Close()
	db, err = bolt.Open(filepath.Join(dir, DBFile), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.View(func(tx *bolt.Tx) error {
		if v := string(tx.Bucket(bucketMeta).Get(keySchema)); v != strconv.Itoa(schemaVersion) {
			t.Errorf("schema %q after the upgrade; want %d", v, schemaVersion)
		}
		return nil
	})
}
