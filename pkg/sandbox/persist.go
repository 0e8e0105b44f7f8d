package sandbox

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// A data directory (Options.DataDir) keeps the bank's state in one bbolt
// file, so a sandbox shared by a team survives restarts, SIGKILL included.
// Every change an answer reports is committed (fsync) before the answer is
// written; the PSU's browser sessions, the per-second rate limiter and the
// certificate verdict cache stay in memory.

// DBFile is the database's name inside the data directory.
const DBFile = "sandbox.db"

// schemaVersion is the layout of the records below; a file with a higher
// one was written by a newer xs2a and is refused rather than misread.
// 2: apps carry the CA their TPP's QWACs chain to ("ca") and day counts
// are kept per TPP (organisation and CA). A schema 1 file is read as it is
// (its apps are bound on first use, its day counts by organisation only are
// left behind) and marked 2, so an older xs2a no longer misreads it.
// 3: consents carry their authorisation sub-resources ("authorisations"),
// and a consent's call counts may be kept per bank day and request path
// ("2026-12-05 /v1/card-accounts/x"), which a schema 2 reader refuses as
// damage; schema 1 and 2 files are read as they are and marked 3.
// 4: payments ("payments", paypersist.go) and codes of a payment's
// authorization ("paymentId"), which a schema 3 reader refuses as damage;
// older files are read as they are and marked 4.
// 5: a standing order's progress ("order", paysched.go), a payment's
// cancellation authorisations ("cancelRequested", "cancellations",
// paycancel.go), PIIS consents ("piis", piis.go) and codes of their
// authorization ("piisConsentId"), which a schema 4 reader refuses as
// damage or drops; older files are read as they are and marked 5 (running
// orders of a schema 4 file run from the day a schema 5 build reads it).
const schemaVersion = 5

// lockWait is how long Open waits for the file lock of another process: a
// sandbox that just stopped has released it; a running one keeps it.
const lockWait = 300 * time.Millisecond

// Errors of a data directory that cannot be used.
var (
	ErrDataLocked  = errors.New("in use by another sandbox")
	ErrDataCorrupt = errors.New("not a readable sandbox database")
	ErrDataVersion = errors.New("written by a newer xs2a")
)

var errJournalClosed = errors.New("the sandbox is shutting down")

var (
	bucketMeta     = []byte("meta")
	bucketApps     = []byte("apps")
	bucketConsents = []byte("consents")
	bucketTokens   = []byte("tokens")
	bucketCodes    = []byte("codes")
	bucketLimits   = []byte("limits")
	dataBuckets    = [][]byte{bucketApps, bucketConsents, bucketTokens, bucketCodes, bucketLimits, bucketPayments, bucketPIIS}
	keySchema      = []byte("schema")
)

// --- records: what is stored, as JSON -----------------------------------

type consentRecord struct {
	ID              string         `json:"id"`
	OrganizationID  string         `json:"organizationId"`
	ClientID        string         `json:"clientId"`
	Access          Access         `json:"access"`
	Recurring       bool           `json:"recurring"`
	ValidUntil      time.Time      `json:"validUntil"`
	FrequencyPerDay int            `json:"frequencyPerDay"`
	Status          string         `json:"status"`
	LastAction      time.Time      `json:"lastAction"`
	PSU             string         `json:"psu,omitempty"` // the PSU's id: the customers are built in
	Accounts        []string       `json:"accounts,omitempty"`
	Balances        []string       `json:"balances,omitempty"`
	Transactions    []string       `json:"transactions,omitempty"`
	Calls           map[string]int `json:"calls,omitempty"` // counted accesses per bank day ("2026-12-05"), or per day and path ("2026-12-05 /v1/...")
	// Authorisations: the consent's authorisation sub-resources, oldest
	// first (schema 3; a schema 2 record has none).
	Authorisations []authorisationRecord `json:"authorisations,omitempty"`
}

type authorisationRecord struct {
	ID      string    `json:"id"`
	Status  string    `json:"scaStatus"`
	PSU     string    `json:"psu,omitempty"`
	Created time.Time `json:"created"`
}

// scaStatuses are the statuses an authorisation record may hold.
var scaStatuses = map[string]bool{ScaReceived: true, ScaPSUIdentified: true, ScaStarted: true, ScaPSUAuthenticated: true,
	ScaFinalised: true, ScaFailed: true}

type tokenRecord struct {
	Value      string    `json:"value"`
	Kind       string    `json:"kind"`
	ClientID   string    `json:"clientId"`
	Thumbprint string    `json:"thumbprint"`
	ConsentID  string    `json:"consentId,omitempty"`
	Scope      string    `json:"scope,omitempty"`
	Expires    time.Time `json:"expires"`
	Refresh    bool      `json:"refresh,omitempty"`
	Revoked    bool      `json:"revoked,omitempty"`
}

type codeRecord struct {
	Value       string    `json:"value"`
	ClientID    string    `json:"clientId"`
	RedirectURI string    `json:"redirectUri"`
	Challenge   string    `json:"challenge"`
	ConsentID   string    `json:"consentId"`
	PaymentID   string    `json:"paymentId,omitempty"`     // schema 4
	PIISID      string    `json:"piisConsentId,omitempty"` // schema 5
	Expires     time.Time `json:"expires"`
	Used        bool      `json:"used,omitempty"`
	Issued      []string  `json:"issued,omitempty"`
}

// limitRecord is a TPP's request count on one bank day.
type limitRecord struct {
	Org string `json:"org"`
	Day string `json:"day"`
	N   int    `json:"n"`
}

// deletion removes a record.
type deletion struct {
	bucket []byte
	key    string
}

func keys(m map[string]bool) []string {
	var out []string
	for k, v := range m {
		if v {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

func set(ids []string) map[string]bool {
	if ids == nil {
		return nil
	}
	m := make(map[string]bool, len(ids))
	for _, id := range ids {
		m[id] = true
	}
	return m
}

func encodeConsent(c *Consent) []byte {
	r := consentRecord{ID: c.ID, OrganizationID: c.OrganizationID, ClientID: c.ClientID, Access: c.Access, Recurring: c.Recurring,
		ValidUntil: c.ValidUntil, FrequencyPerDay: c.FrequencyPerDay, Status: c.Status, LastAction: c.LastAction,
		Accounts: keys(c.Accounts), Balances: keys(c.Balances), Transactions: keys(c.Transactions)}
	if c.PSU != nil {
		r.PSU = c.PSU.ID
	}
	for _, a := range c.Authorisations {
		r.Authorisations = append(r.Authorisations, authorisationRecord{ID: a.ID, Status: a.Status, PSU: a.PSU, Created: a.Created})
	}
	if len(c.calls) > 0 {
		r.Calls = make(map[string]int, len(c.calls))
		for d, n := range c.calls {
			r.Calls[d] = n
		}
	}
	return mustJSON(r)
}

func encodeToken(t *token) []byte {
	return mustJSON(tokenRecord{Value: t.value, Kind: t.kind, ClientID: t.clientID, Thumbprint: t.thumbprint, ConsentID: t.consentID,
		Scope: t.scope, Expires: t.expires, Refresh: t.refresh, Revoked: t.revoked})
}

func encodeCode(c *authCode) []byte {
	return mustJSON(codeRecord{Value: c.value, ClientID: c.clientID, RedirectURI: c.redirectURI, Challenge: c.challenge,
		ConsentID: c.consentID, PaymentID: c.paymentID, PIISID: c.piisID, Expires: c.expires, Used: c.used, Issued: slices.Clone(c.issued)})
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // plain structs of strings, numbers and times always encode
	}
	return b
}

// decodeStrict reads exactly one JSON object with no unknown fields: a
// record that does not fit is damage, not data to guess at.
func decodeStrict(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("data after the record")
	}
	return nil
}

func sameKey(key, id string) error {
	switch {
	case id == "":
		return errors.New("the record has no id")
	case id != key:
		return fmt.Errorf("the record says %q but is stored under another key", id)
	}
	return nil
}

var consentStatuses = map[string]bool{StatusReceived: true, StatusValid: true, StatusRejected: true, StatusExpired: true,
	StatusRevokedByPsu: true, StatusTerminatedByTpp: true}

func decodeConsent(key string, b []byte, psu func(string) *PSU) (*Consent, error) {
	var r consentRecord
	if err := decodeStrict(b, &r); err != nil {
		return nil, err
	}
	if err := sameKey(key, r.ID); err != nil {
		return nil, err
	}
	if !consentStatuses[r.Status] {
		return nil, fmt.Errorf("unknown consent status %q", r.Status)
	}
	c := &Consent{ID: r.ID, OrganizationID: r.OrganizationID, ClientID: r.ClientID, Access: r.Access, Recurring: r.Recurring,
		ValidUntil: r.ValidUntil, FrequencyPerDay: r.FrequencyPerDay, Status: r.Status, LastAction: r.LastAction,
		Accounts: set(r.Accounts), Balances: set(r.Balances), Transactions: set(r.Transactions)}
	if r.PSU != "" {
		if c.PSU = psu(r.PSU); c.PSU == nil {
			return nil, fmt.Errorf("consent of unknown customer %q", r.PSU)
		}
	}
	if c.Status == StatusValid && c.PSU == nil {
		return nil, errors.New("a valid consent without the customer who granted it")
	}
	if len(r.Authorisations) > MaxAuthorisationsPerConsent {
		return nil, fmt.Errorf("%d authorisations; at most %d", len(r.Authorisations), MaxAuthorisationsPerConsent)
	}
	for _, a := range r.Authorisations {
		switch {
		case a.ID == "" || c.findAuthorisation(a.ID) != nil:
			return nil, fmt.Errorf("authorisation id %q missing or repeated", a.ID)
		case !scaStatuses[a.Status]:
			return nil, fmt.Errorf("authorisation %q: unknown scaStatus %q", a.ID, a.Status)
		case a.PSU != "" && psu(a.PSU) == nil:
			return nil, fmt.Errorf("authorisation %q of unknown customer %q", a.ID, a.PSU)
		}
		c.Authorisations = append(c.Authorisations, &authorisation{ID: a.ID, Status: a.Status, PSU: a.PSU, Created: a.Created})
	}
	for d, n := range r.Calls {
		// "day" counts per consent; "day /path" per endpoint and account
		// (schema 3; consentrules.go).
		day, path, per := strings.Cut(d, " ")
		if _, err := time.Parse(time.DateOnly, day); err != nil || n < 0 || (per && !strings.HasPrefix(path, "/")) {
			return nil, fmt.Errorf("bad call count %q: %d", d, n)
		}
		if c.calls == nil {
			c.calls = map[string]int{}
		}
		c.calls[d] = n
	}
	return c, nil
}

func decodeToken(key string, b []byte) (*token, error) {
	var r tokenRecord
	if err := decodeStrict(b, &r); err != nil {
		return nil, err
	}
	if err := sameKey(key, r.Value); err != nil {
		return nil, err
	}
	if r.Kind != "client" && r.Kind != "user" {
		return nil, fmt.Errorf("unknown token kind %q", r.Kind)
	}
	return &token{value: r.Value, kind: r.Kind, clientID: r.ClientID, thumbprint: r.Thumbprint, consentID: r.ConsentID,
		scope: r.Scope, expires: r.Expires, refresh: r.Refresh, revoked: r.Revoked}, nil
}

func decodeCode(key string, b []byte) (*authCode, error) {
	var r codeRecord
	if err := decodeStrict(b, &r); err != nil {
		return nil, err
	}
	if err := sameKey(key, r.Value); err != nil {
		return nil, err
	}
	return &authCode{value: r.Value, clientID: r.ClientID, redirectURI: r.RedirectURI, challenge: r.Challenge,
		consentID: r.ConsentID, paymentID: r.PaymentID, piisID: r.PIISID, expires: r.Expires, used: r.Used, issued: r.Issued}, nil
}

func decodeApp(key string, b []byte) (*App, error) {
	var a App
	if err := decodeStrict(b, &a); err != nil {
		return nil, err
	}
	if err := sameKey(key, a.ClientID); err != nil {
		return nil, err
	}
	if a.OrganizationID == "" {
		return nil, errors.New("an app without organization_id")
	}
	if !validCA(a.CA) {
		return nil, fmt.Errorf("ca %q is not a CA's id", a.CA)
	}
	return &a, nil
}

func decodeLimit(key string, b []byte) (*limitRecord, error) {
	var r limitRecord
	if err := decodeStrict(b, &r); err != nil {
		return nil, err
	}
	if err := sameKey(key, r.Org); err != nil {
		return nil, err
	}
	if _, err := time.Parse(time.DateOnly, r.Day); err != nil || r.N < 0 {
		return nil, fmt.Errorf("bad day count %q: %d", r.Day, r.N)
	}
	return &r, nil
}

// issuedAbout is about when t was issued: a record keeps only its expiry
// (a refresh token keeps its first one across rotations).
func issuedAbout(t *token) time.Time {
	if t.refresh {
		return t.expires.Add(-RefreshTokenTTL)
	}
	return t.expires.Add(-AccessTokenTTL)
}

// --- the journal: changes on their way to the file -----------------------

// change is one record written (val) or deleted (val nil).
type change struct {
	bucket []byte
	key    string
	val    []byte
}

func changeOf(rec any) change {
	switch r := rec.(type) {
	case *Consent:
		return change{bucketConsents, r.ID, encodeConsent(r)}
	case *token:
		return change{bucketTokens, r.value, encodeToken(r)}
	case *authCode:
		return change{bucketCodes, r.value, encodeCode(r)}
	case *App:
		return change{bucketApps, r.ClientID, mustJSON(r)}
	case *Payment:
		return change{bucketPayments, r.ID, encodePayment(r)}
	case *PIISConsent:
		return change{bucketPIIS, r.ID, encodePIIS(r)}
	case limitRecord:
		return change{bucketLimits, r.Org, mustJSON(r)}
	case deletion:
		return change{r.bucket, r.key, nil}
	}
	panic(fmt.Sprintf("sandbox: no record type %T", rec))
}

// journal commits changes in the order they were made, grouping what
// arrives while a commit is under way into the next transaction: under
// load, many answers share one fsync instead of queueing for one each.
type journal struct {
	db      *bolt.DB
	path    string
	mu      sync.Mutex
	queue   [][]change // one entry per submit: the changes of one answer
	waiters []chan error
	closed  bool
	wake    chan struct{}
	done    chan struct{}
	once    sync.Once
	// write commits changes in one transaction; tests replace it to make
	// the disk fail.
	write func([]change) error
	// failed is the first commit that could not be made: memory then
	// holds what the file does not, so no further change is accepted.
	failed error
	log    io.Writer // where the failure is said, once
}

// errDataFailed is what every change meets after a commit failed.
var errDataFailed = errors.New("the sandbox could not write its data file and accepts no more changes")

// submit queues the changes; the channel says when they are on disk. The
// caller holds the lock that ordered the changes, so the queue's order is
// theirs.
func (j *journal) submit(cs []change) <-chan error {
	ch := make(chan error, 1)
	if err := j.enqueue(cs, ch); err != nil {
		ch <- err
		return ch
	}
	select {
	case j.wake <- struct{}{}:
	default:
	}
	return ch
}

// enqueue queues cs and its waiter, or says why the journal takes no more.
func (j *journal) enqueue(cs []change, ch chan error) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	switch {
	case j.closed:
		return errJournalClosed
	case j.failed != nil:
		return fmt.Errorf("%w: %v", errDataFailed, j.failed)
	}
	j.queue = append(j.queue, cs)
	j.waiters = append(j.waiters, ch)
	return nil
}

// take empties the queue.
func (j *journal) take() (q [][]change, ws []chan error, closed bool) {
	j.mu.Lock()
	defer j.mu.Unlock()
	q, ws, closed = j.queue, j.waiters, j.closed
	j.queue, j.waiters = nil, nil
	return q, ws, closed
}

// broken is the failure that stopped the journal, or nil.
func (j *journal) broken() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.failed
}

func (j *journal) run() {
	defer close(j.done)
	for range j.wake {
		q, ws, closed := j.take()
		if len(ws) > 0 {
			j.commit(q, ws)
		}
		if closed {
			return
		}
	}
}

// commit writes the queued answers' changes in one transaction. When that
// fails, each answer's changes are tried alone, so one bad change does not
// fail the others; an answer whose changes still fail leaves memory ahead
// of the file, and the journal stops accepting changes.
func (j *journal) commit(q [][]change, ws []chan error) {
	if len(q) > 1 {
		if j.safeWrite(slices.Concat(q...)) == nil {
			for _, w := range ws {
				w <- nil
			}
			return
		}
	}
	for i, w := range ws {
		err := j.safeWrite(q[i])
		if err != nil {
			err = fmt.Errorf("%s: %w", j.path, err)
			j.fail(err)
		}
		w <- err
	}
}

// safeWrite is write with a panic turned into an error: bbolt trusts its
// file, and a page damaged after the sandbox started can make it panic.
func (j *journal) safeWrite(cs []change) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%w (%v)", ErrDataCorrupt, p)
		}
	}()
	return j.write(cs)
}

func (j *journal) writeDB(cs []change) error {
	return j.db.Update(func(tx *bolt.Tx) error {
		for _, c := range cs {
			b := tx.Bucket(c.bucket)
			var err error
			if c.val == nil {
				err = b.Delete([]byte(c.key))
			} else {
				err = b.Put([]byte(c.key), c.val)
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
}

// fail stops the journal and says so loudly, once.
func (j *journal) fail(err error) {
	first := func() bool {
		j.mu.Lock()
		defer j.mu.Unlock()
		if j.failed != nil {
			return false
		}
		j.failed = err
		return true
	}()
	if first && j.log != nil {
		fmt.Fprintf(j.log, "sandbox: ERROR: the data file could not be written (%v); the sandbox now refuses every change with 503. "+
			"Stop it, fix the disk (space, permissions) or move %s away, and start it again: the file keeps every change answered as done\n", err, j.path)
	}
}

// close commits what is queued and releases the file (and its lock).
func (j *journal) close() {
	j.once.Do(func() {
		func() {
			j.mu.Lock()
			defer j.mu.Unlock()
			j.closed = true
		}()
		select {
		case j.wake <- struct{}{}:
		default:
		}
		<-j.done
		_ = j.db.Close()
	})
}

// pending are commits an answer waits for: it may only report what a
// restart would find again.
type pending []<-chan error

func (p *pending) add(ch <-chan error) {
	if ch != nil {
		*p = append(*p, ch)
	}
}

func (p *pending) wait() error {
	var first error
	for _, ch := range *p {
		if err := <-ch; err != nil && first == nil {
			first = err
		}
	}
	*p = nil
	return first
}

// dataFailed is why the sandbox refuses changes: a commit to its data file
// failed, so memory holds what a restart would not find. Nil while all is well.
func (s *Server) dataFailed() error {
	if s.store.j == nil {
		return nil
	}
	return s.store.j.broken()
}

// unavailable is the answer's text while dataFailed.
func unavailable(err error) string {
	return "the sandbox could not write its data file and refuses every change until its operator restarts it (see the sandbox's log): " + err.Error()
}

func saveFailed(err error) string {
	return "the sandbox could not save the change to its data file, so it is not reported as done: " + err.Error()
}

// save queues recs (*Consent, *token, *authCode, *App, limitRecord,
// deletion) for the data file; call it with the lock that guards them held.
// In memory it does nothing and returns nil.
func (st *store) save(recs ...any) <-chan error {
	if st.j == nil {
		return nil
	}
	cs := make([]change, len(recs))
	for i, r := range recs {
		cs[i] = changeOf(r)
	}
	return st.j.submit(cs)
}

// --- opening and loading --------------------------------------------------

// openJournal opens (creating) DIR/sandbox.db and checks it is a sandbox
// database of a schema this build reads.
func openJournal(dir string) (j *journal, err error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("sandbox data directory: %w", err)
	}
	path := filepath.Join(dir, DBFile)
	var db *bolt.DB
	defer func() {
		// bbolt trusts its file; a damaged one can make it panic. That is
		// a bad file, not a crash.
		if p := recover(); p != nil {
			if db != nil {
				_ = db.Close()
			}
			j, err = nil, fmt.Errorf("%s: %w (%v); move it away to start afresh", path, ErrDataCorrupt, p)
		}
	}()
	db, err = bolt.Open(path, 0o600, &bolt.Options{Timeout: lockWait})
	switch {
	case errors.Is(err, berrors.ErrTimeout):
		return nil, fmt.Errorf("sandbox data directory %s is %w (%s is locked): stop that one, or give another --data directory", dir, ErrDataLocked, DBFile)
	case errors.Is(err, os.ErrPermission):
		return nil, fmt.Errorf("sandbox data directory: %w", err)
	case err != nil:
		return nil, fmt.Errorf("%s is %w: %v; move it away to start afresh", path, ErrDataCorrupt, err)
	}
	err = db.Update(func(tx *bolt.Tx) error { return prepareSchema(tx, path) })
	if err != nil {
		_ = db.Close()
		if errors.Is(err, ErrDataCorrupt) || errors.Is(err, ErrDataVersion) {
			return nil, err
		}
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	j = &journal{db: db, path: path, wake: make(chan struct{}, 1), done: make(chan struct{})}
	j.write = j.writeDB
	go j.run()
	return j, nil
}

// prepareSchema checks the file of path is a sandbox database of a schema
// this build reads, making a new (empty) file one, and brings it to this
// build's schema and buckets.
func prepareSchema(tx *bolt.Tx, path string) error {
	meta := tx.Bucket(bucketMeta)
	if meta == nil {
		if k, _ := tx.Cursor().First(); k != nil {
			return fmt.Errorf("%s is %w: a bbolt file of something else (no schema version)", path, ErrDataCorrupt)
		}
		m, err := tx.CreateBucket(bucketMeta)
		if err != nil {
			return err
		}
		if err := m.Put(keySchema, []byte(strconv.Itoa(schemaVersion))); err != nil {
			return err
		}
		meta = m
	}
	v, perr := strconv.Atoi(string(meta.Get(keySchema)))
	switch {
	case perr != nil || v < 1:
		return fmt.Errorf("%s is %w: schema version %q", path, ErrDataCorrupt, meta.Get(keySchema))
	case v > schemaVersion:
		return fmt.Errorf("%s was %w (data schema %d; this one reads %d): upgrade xs2a, or give another --data directory", path, ErrDataVersion, v, schemaVersion)
	case v < schemaVersion:
		if err := meta.Put(keySchema, []byte(strconv.Itoa(schemaVersion))); err != nil {
			return err
		}
	}
	for _, b := range dataBuckets {
		if _, err := tx.CreateBucketIfNotExists(b); err != nil {
			return err
		}
	}
	return nil
}

// load reads every record into the store and the day counters.
func (s *Server) load(j *journal) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%s: %w (%v); move it away to start afresh", j.path, ErrDataCorrupt, p)
		}
	}()
	st := s.store
	return j.db.View(func(tx *bolt.Tx) error {
		if err := loadBucket(tx, j.path, bucketApps, decodeApp, func(k string, a *App) { st.apps[k] = a }); err != nil {
			return err
		}
		consent := func(k string, v []byte) (*Consent, error) { return decodeConsent(k, v, s.psu) }
		if err := loadBucket(tx, j.path, bucketConsents, consent, func(k string, c *Consent) { st.consents[k] = c }); err != nil {
			return err
		}
		var tokens []*token
		if err := loadBucket(tx, j.path, bucketTokens, decodeToken, func(_ string, t *token) { tokens = append(tokens, t) }); err != nil {
			return err
		}
		// In about the order they were issued, so that MaxTokensPerApp
		// drops the oldest first.
		slices.SortStableFunc(tokens, func(a, b *token) int { return issuedAbout(a).Compare(issuedAbout(b)) })
		for _, t := range tokens {
			st.addToken(t)
		}
		if err := loadBucket(tx, j.path, bucketCodes, decodeCode, func(k string, c *authCode) { st.codes[k] = c }); err != nil {
			return err
		}
		var ps []*Payment
		if err := loadBucket(tx, j.path, bucketPayments, s.decodePayment, func(_ string, p *Payment) { ps = append(ps, p) }); err != nil {
			return err
		}
		s.loadPayments(ps)
		if err := loadBucket(tx, j.path, bucketPIIS, s.decodePIIS, func(k string, p *PIISConsent) { st.piis[k] = p }); err != nil {
			return err
		}
		return loadBucket(tx, j.path, bucketLimits, decodeLimit, func(k string, r *limitRecord) {
			l := s.newLimit()
			l.day, l.n = r.Day, r.N
			s.limiters[k] = l
		})
	})
}

// loadBucket decodes every record of the bucket name and hands each to
// keep; a record that does not decode makes the file ErrDataCorrupt, named
// with the bucket and key.
func loadBucket[T any](tx *bolt.Tx, path string, name []byte, decode func(k string, v []byte) (T, error), keep func(k string, t T)) error {
	return tx.Bucket(name).ForEach(func(k, v []byte) error {
		t, err := decode(string(k), v)
		if err != nil {
			return fmt.Errorf("%s: %w: %s record %q: %v", path, ErrDataCorrupt, name, k, err)
		}
		keep(string(k), t)
		return nil
	})
}
