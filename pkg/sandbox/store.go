package sandbox

import (
	"container/list"
	"crypto/rand"
	"encoding/base64"
	"slices"
	"sync"
	"time"

	"github.com/xs2a-dev/xs2a/pkg/xs2a"
)

// App is a TPP application registered at the bank: its OAuth client and API
// key, bound to the TPP of its QWAC: the organisation, and the trusted CA
// that issued the QWAC. An app with a client secret authenticates with it;
// one without is registered for tls_client_auth (RFC 8705 section 2): the
// QWAC alone authenticates it.
type App struct {
	Name           string   `json:"name" yaml:"name"`
	ClientID       string   `json:"client_id" yaml:"client_id"`
	ClientSecret   string   `json:"client_secret" yaml:"client_secret"`
	APIKey         string   `json:"api_key" yaml:"api_key"`
	OrganizationID string   `json:"organization_id" yaml:"organization_id"`
	RedirectURIs   []string `json:"redirect_uris" yaml:"redirect_uris"`
	// CA is the trusted CA the TPP's QWAC chains to: the hex SHA-256 of
	// its public key (SubjectPublicKeyInfo). Empty, the app is bound to
	// the CA of the first QWAC that authenticates as it (with its secret,
	// when it has one), and that binding is kept.
	CA string `json:"ca,omitempty" yaml:"ca,omitempty"`
}

// AccountReference and Access are the client's model types: the wire format
// is one, so the bank and the client share its definition (doc.go).
type (
	AccountReference = xs2a.AccountReference
	Access           = xs2a.Access
)

// Consent statuses.
const (
	StatusReceived        = "received"
	StatusValid           = "valid"
	StatusRejected        = "rejected"
	StatusExpired         = "expired"
	StatusRevokedByPsu    = "revokedByPsu"
	StatusTerminatedByTpp = "terminatedByTpp"
)

// Consent is an AIS consent and what the PSU granted.
type Consent struct {
	ID              string
	OrganizationID  string
	ClientID        string
	Access          Access
	Recurring       bool
	ValidUntil      time.Time // a date
	FrequencyPerDay int
	Status          string
	LastAction      time.Time
	PSU             *PSU
	// Granted resource ids per kind, set when the PSU approves.
	Accounts, Balances, Transactions map[string]bool
	calls                            map[string]int // PSU-not-present calls per day
	// Authorisations are its authorisation sub-resources, oldest first
	// (authorisations.go).
	Authorisations []*authorisation
}

type token struct {
	value      string
	kind       string // "client" (client_credentials) or "user" (authorization_code)
	clientID   string
	thumbprint string
	consentID  string
	scope      string
	expires    time.Time
	refresh    bool // a refresh token
	revoked    bool
	elem       *list.Element // in store.byApp[clientID]
}

type authCode struct {
	value       string
	clientID    string
	redirectURI string
	challenge   string
	consentID   string
	paymentID   string // the code of a PIS:<paymentId> authorization
	piisID      string // the code of a PIIS:<consentId> authorization (piis.go)
	expires     time.Time
	used        bool
	issued      []string // tokens issued for it, revoked when it is reused
}

// authSession is an authorization request in the PSU's browser.
type authSession struct {
	id          string
	clientID    string
	redirectURI string
	state       string
	challenge   string
	consentID   string
	paymentID   string // a PIS:<paymentId> authorization, instead of consentID
	piisID      string // a PIIS:<consentId> authorization, instead of consentID
	grant       bool   // a sign-in to grant PIIS consents (piisweb.go)
	otp         string
	psu         *PSU
	expires     time.Time
	authID      string // the consent's authorisation this sign-in acts on
}

type store struct {
	mu       sync.Mutex
	apps     map[string]*App // by client_id
	consents map[string]*Consent
	payments payments                // in memory only (payments.go)
	piis     map[string]*PIISConsent // by id (piis.go)
	tokens   map[string]*token
	byApp    map[string]*list.List // of *token, by client_id, oldest first
	codes    map[string]*authCode
	sessions map[string]*authSession
	signIns  map[string][]*authSession // sessions by consent id, oldest first
	pruned   time.Time
	j        *journal // the data file (Options.DataDir); nil keeps all in memory
}

func newStore() *store {
	return &store{apps: map[string]*App{}, consents: map[string]*Consent{}, tokens: map[string]*token{}, byApp: map[string]*list.List{},
		codes: map[string]*authCode{}, sessions: map[string]*authSession{}, signIns: map[string][]*authSession{},
		payments: payments{byID: map[string]*Payment{}, due: map[string]*Payment{}}, piis: map[string]*PIISConsent{}}
}

// locked runs f with the store's lock held, released by defer: a panic in
// f (a bug; the request log recovers it) must not leave the lock held and
// every later request waiting for it.
func (st *store) locked(f func()) {
	st.mu.Lock()
	defer st.mu.Unlock()
	f()
}

// app is the registered app with this client_id, or nil.
func (st *store) app(clientID string) (a *App) {
	st.locked(func() { a = st.apps[clientID] })
	return a
}

// MaxTokensPerApp bounds the tokens the bank keeps for one app (access and
// refresh, live or revoked): past it the oldest is dropped, so a loop of
// token requests cannot grow memory or the data file without bound.
const MaxTokensPerApp = 256

// MaxSignInsPerConsent bounds the sign-ins (authorization requests in a
// browser) kept for one consent: the authorization endpoint takes no
// certificate and has no rate limit, so past it the oldest is forgotten.
const MaxSignInsPerConsent = 8

// addSession keeps sess, forgetting the consent's oldest sign-ins past
// MaxSignInsPerConsent; call with the lock held.
func (st *store) addSession(sess *authSession) {
	st.sessions[sess.id] = sess
	l := append(st.signIns[sess.resource()], sess)
	for len(l) > MaxSignInsPerConsent {
		delete(st.sessions, l[0].id)
		l = l[1:]
	}
	st.signIns[sess.resource()] = slices.Clip(l)
}

// resource is what the sign-in authorises: its consent, or its payment.
func (sess *authSession) resource() string {
	switch {
	case sess.paymentID != "":
		return "payment " + sess.paymentID
	case sess.piisID != "":
		return "piis " + sess.piisID
	case sess.grant:
		// The grant page's sign-ins are bounded together: it takes no
		// certificate either.
		return "piis grant"
	}
	return sess.consentID
}

// dropSession forgets sess; call with the lock held.
func (st *store) dropSession(sess *authSession) {
	delete(st.sessions, sess.id)
	l := slices.DeleteFunc(st.signIns[sess.resource()], func(o *authSession) bool { return o == sess })
	if len(l) == 0 {
		delete(st.signIns, sess.resource())
	} else {
		st.signIns[sess.resource()] = l
	}
}

// addToken keeps t, dropping the app's oldest tokens past
// MaxTokensPerApp; call with the lock held.
func (st *store) addToken(t *token) {
	l := st.byApp[t.clientID]
	if l == nil {
		l = list.New()
		st.byApp[t.clientID] = l
	}
	if old := st.tokens[t.value]; old != nil {
		st.dropToken(old)
	}
	st.tokens[t.value] = t
	t.elem = l.PushBack(t)
	for l.Len() > MaxTokensPerApp {
		old := l.Front().Value.(*token)
		st.dropToken(old)
		st.save(deletion{bucketTokens, old.value}) // nobody waits for it, as for prune
	}
}

// dropToken forgets t; call with the lock held.
func (st *store) dropToken(t *token) {
	delete(st.tokens, t.value)
	if l := st.byApp[t.clientID]; l != nil && t.elem != nil {
		l.Remove(t.elem)
		t.elem = nil
		if l.Len() == 0 {
			delete(st.byApp, t.clientID)
		}
	}
}

// randomID is a URL-safe random string with n bytes of entropy.
func randomID(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// Retention of what is no longer usable: long enough to answer a late
// status query or a replayed code with the precise reason, short enough that
// a sandbox serving for weeks does not grow without bound.
const (
	codeRetention    = time.Hour
	consentRetention = 24 * time.Hour
	pruneEvery       = time.Minute
)

// prune drops expired tokens, codes and sessions and consents that ended
// more than a day ago. Call with the lock held; it runs at most once a
// minute of the server's clock.
func (st *store) prune(now time.Time) {
	if now.Sub(st.pruned) < pruneEvery {
		return
	}
	st.pruned = now
	var gone []any // the data file forgets them too; nobody waits for that
	for k, t := range st.tokens {
		if now.After(t.expires) {
			st.dropToken(t)
			gone = append(gone, deletion{bucketTokens, k})
		}
	}
	for k, c := range st.codes {
		if now.After(c.expires.Add(codeRetention)) {
			delete(st.codes, k)
			gone = append(gone, deletion{bucketCodes, k})
		}
	}
	for _, s := range st.sessions {
		if now.After(s.expires) {
			st.dropSession(s)
		}
	}
	for k, c := range st.consents {
		switch c.Status {
		case StatusValid, StatusReceived, StatusExpired:
			// validUntil is a date: the consent lives through that day.
			if now.After(c.ValidUntil.Add(consentRetention + 24*time.Hour)) {
				delete(st.consents, k)
				gone = append(gone, deletion{bucketConsents, k})
			}
		default:
			if now.After(c.LastAction.Add(consentRetention)) {
				delete(st.consents, k)
				gone = append(gone, deletion{bucketConsents, k})
			}
		}
	}
	if len(gone) > 0 {
		st.save(gone...)
	}
}
